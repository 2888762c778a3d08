//! Checks that every operation of the spec is reachable from the public
//! API.
//!
//! A generated operation is reachable when a public function or method
//! calls its generated `Client` method, directly or through private
//! helpers. A handwritten operation is reachable when a public function or
//! method reaches code in the module that `HANDWRITTEN_OPERATIONS` names
//! for it, and that code names the operation id (a string literal, or a
//! constant holding one).
//!
//! Calls are matched by name, not by type: a call to any function or
//! method named `send` counts as a call to every `send` in the crate. That
//! can count an operation as reachable through a helper of the same name,
//! but never misses a real call, except one written inside a macro whose
//! arguments are not Rust expressions.

use std::collections::BTreeSet;

use super::callgraph::{Bodies, Reach};
use super::resolve::{PublicPaths, Resolver};
use super::Analysis;
use crate::{Generated, Operation};

/// The implementation of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Implementation {
    /// By progenitor, as a method of the generated `Client`.
    Generated {
        /// The generated method's name.
        method: String,
    },
    /// By hand, in the module that `HANDWRITTEN_OPERATIONS` names.
    Handwritten {
        /// The module's file, such as `src/create.rs`.
        module: String,
    },
    /// By progenitor, but its method was not found in the generated code.
    GeneratedMethodNotFound,
}

/// Whether one operation is reachable, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationCoverage {
    /// The operation.
    pub operation: Operation,
    /// Its implementation.
    pub implementation: Implementation,
    /// The public functions and methods that reach it, sorted.
    pub reached_from: Vec<String>,
}

/// The reachability of every operation of a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// One entry per operation: the generated ones, then the handwritten
    /// ones, each in spec order.
    pub operations: Vec<OperationCoverage>,
}

impl Coverage {
    /// Returns one message per operation that no public function or method
    /// reaches, saying what to add.
    pub fn problems(&self) -> Vec<String> {
        self.operations
            .iter()
            .filter(|coverage| coverage.reached_from.is_empty())
            .map(problem_message)
            .collect()
    }

    /// Renders one line per operation with what reaches it.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for coverage in &self.operations {
            let operation = &coverage.operation;
            let implementation_text = match &coverage.implementation {
                Implementation::Generated { method } => format!("generated `Client::{method}`"),
                Implementation::Handwritten { module } => format!("handwritten in {module}"),
                Implementation::GeneratedMethodNotFound => "generated method not found".to_owned(),
            };
            let from = if coverage.reached_from.is_empty() {
                "NOT REACHABLE".to_owned()
            } else {
                coverage.reached_from.join(", ")
            };
            text.push_str(&format!(
                "{} ({} {}): {implementation_text}; reached from {from}\n",
                operation.operation_id, operation.method, operation.path
            ));
        }
        text
    }
}

fn problem_message(coverage: &OperationCoverage) -> String {
    let operation = &coverage.operation;
    let name = format!(
        "operation `{}` ({} {})",
        operation.operation_id, operation.method, operation.path
    );
    match &coverage.implementation {
        Implementation::Generated { method } => {
            let home = match operation.tags.first().map(String::as_str) {
                None | Some("campaigns") => {
                    "add a method that calls it to `Campaigns` in src/campaigns.rs, \
                     as the other methods there call theirs"
                        .to_owned()
                }
                Some(tag) => format!(
                    "add a method that calls it to the public type that serves the `{tag}` tag \
                     (a module under src/ like src/campaigns.rs, reached from `Client` as \
                     `Client::campaigns` is)"
                ),
            };
            format!(
                "{name} is generated as `Client::{method}`, but no public function or method \
                 calls it, so users cannot reach it; {home}"
            )
        }
        Implementation::Handwritten { module } => format!(
            "{name} is listed in src/handwritten.rs as implemented in {module}, but no public \
             function or method reaches code in {module} that names `{}`; implement it there, \
             reachable from a public method, and pass the operation id to the request's errors",
            operation.operation_id
        ),
        Implementation::GeneratedMethodNotFound => format!(
            "{name} has no method in the generated code whose documentation says \"Sends a `{}` \
             request to `{}`\"; progenitor's output changed, so update \
             codegen/src/surface/coverage.rs",
            operation.method, operation.path
        ),
    }
}

impl Analysis {
    /// Checks which public functions and methods reach each operation of
    /// `generated`; `handwritten` is the crate's `HANDWRITTEN_OPERATIONS`.
    pub fn operation_coverage(
        &self,
        generated: &Generated,
        handwritten: &[(&str, &str)],
    ) -> Coverage {
        let resolver = Resolver::new(self.tree());
        let public = PublicPaths::collect(&resolver, self.crate_name());
        let bodies = Bodies::collect(&resolver, &public);

        let methods: Vec<Option<String>> = generated
            .generated
            .iter()
            .map(|operation| bodies.generated_method(&operation.method, &operation.path))
            .collect();
        let method_names: BTreeSet<&str> = methods.iter().flatten().map(String::as_str).collect();
        let reach = Reach::compute(&resolver, &bodies, &method_names);

        let mut operations = Vec::new();
        for (operation, method) in generated.generated.iter().zip(methods.iter()) {
            let (implementation, reached_from) = match method {
                Some(method) => {
                    let reached_from = reach.entries_calling(method);
                    (
                        Implementation::Generated {
                            method: method.clone(),
                        },
                        reached_from,
                    )
                }
                None => (Implementation::GeneratedMethodNotFound, Vec::new()),
            };
            operations.push(OperationCoverage {
                operation: operation.clone(),
                implementation,
                reached_from,
            });
        }
        for operation in &generated.handwritten {
            let module = handwritten
                .iter()
                .find(|(id, _)| *id == operation.operation_id)
                .map_or_else(String::new, |(_, module)| (*module).to_owned());
            let reached_from = reach.entries_naming(&operation.operation_id, &module);
            operations.push(OperationCoverage {
                operation: operation.clone(),
                implementation: Implementation::Handwritten { module },
                reached_from,
            });
        }
        Coverage { operations }
    }
}
