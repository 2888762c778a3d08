//! Turns the Kataven Hub OpenAPI spec into the `kataven` crate's generated
//! bindings.
//!
//! [`generate`] does what `build.rs` needs, in order:
//!
//! 1. reads the spec and checks that it is OpenAPI 3.0.x, which is what
//!    progenitor 0.15 reads;
//! 2. finds the operations progenitor cannot generate (a `multipart/*`
//!    request body or a `text/event-stream` response) by their content
//!    types, and checks them against the operations the handwritten layer
//!    implements;
//! 3. hands progenitor a copy of the spec without those operations, with
//!    every string enum replaced by a forward-compatible enum that keeps
//!    unknown values (progenitor's own enums reject them);
//! 4. gives every checked string newtype a crate-private constructor
//!    without the check, for ids the handwritten layer has checked already;
//! 5. formats the result with prettyplease.
//!
//! Every failure is a [`CodegenError`] naming the file, the operation when
//! there is one, and what to change.
//!
//! [`surface`] reads the `kataven` crate's public API from its sources and
//! checks that every operation is reachable from it, for the tests that
//! track the spec (see `docs/spec-updates.md`).

mod enums;
mod error;
mod newtypes;
mod spec;
pub mod surface;

use std::path::Path;

pub use error::CodegenError;
pub use spec::{Operation, Unsupported};

/// Where the generated code is included in the crate; the replacement enums
/// are named by absolute paths under it.
pub const GENERATED_MODULE: &str = "crate::generated";

/// The type of the generated client's inner value, which carries the
/// configuration that the request hooks need.
pub const INNER_TYPE: &str = "crate::transport::Transport";

/// The result of a successful run.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The formatted Rust source, to be included at [`GENERATED_MODULE`].
    pub code: String,
    /// The operations left to the handwritten layer, in spec order.
    pub handwritten: Vec<Operation>,
    /// The operations progenitor generated, in spec order.
    pub generated: Vec<Operation>,
    /// The spec's `info.version`, which progenitor sends as `api-version`.
    pub api_version: String,
}

/// Generates the bindings for the spec at `spec_path`.
///
/// `handwritten` lists `(operation_id, module)` pairs: the operations that
/// the crate implements by hand and the module that does it.
///
/// # Errors
///
/// Returns [`CodegenError`] when the file cannot be read or parsed, is not
/// OpenAPI 3.0.x, has an operation without an `operationId`, has an
/// operation that needs a handwritten implementation that `handwritten`
/// does not list (or lists one that the spec does not need), has an inline
/// string enum, or when progenitor rejects it.
pub fn generate(spec_path: &Path, handwritten: &[(&str, &str)]) -> Result<Generated, CodegenError> {
    let file = spec_path.display().to_string();
    let text = std::fs::read_to_string(spec_path).map_err(|source| CodegenError::Read {
        file: file.clone(),
        source,
    })?;
    generate_from_str(&file, &text, handwritten)
}

/// Generates the bindings from spec text; `file` names it in errors.
///
/// # Errors
///
/// As [`generate`], except for reading the file.
pub fn generate_from_str(
    file: &str,
    text: &str,
    handwritten: &[(&str, &str)],
) -> Result<Generated, CodegenError> {
    let mut document = spec::parse(file, text)?;
    let operations = spec::operations(file, &document)?;
    let api_version = document
        .pointer("/info/version")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| CodegenError::Invalid {
            file: file.to_owned(),
            reason: "`info.version` is missing".to_owned(),
        })?
        .to_owned();
    spec::check_handwritten(file, &operations, handwritten)?;

    let (unsupported, supported): (Vec<Operation>, Vec<Operation>) = operations
        .into_iter()
        .partition(|operation| operation.unsupported.is_some());
    spec::remove_operations(&mut document, &unsupported);
    spec::drop_closed_objects(&mut document);
    let enum_schemas = enums::collect(file, &document)?;

    let openapi: openapiv3::OpenAPI =
        serde_json::from_value(document).map_err(|source| CodegenError::Invalid {
            file: file.to_owned(),
            reason: source.to_string(),
        })?;
    let tokens = run_progenitor(file, &openapi, &enum_schemas)?;
    let code = format_code(file, tokens, &enum_schemas)?;

    Ok(Generated {
        code,
        handwritten: unsupported,
        generated: supported,
        api_version,
    })
}

fn run_progenitor(
    file: &str,
    openapi: &openapiv3::OpenAPI,
    enum_schemas: &[enums::EnumSchema],
) -> Result<proc_macro2::TokenStream, CodegenError> {
    let inner_type: proc_macro2::TokenStream =
        INNER_TYPE.parse().map_err(|_| CodegenError::Internal {
            file: file.to_owned(),
            reason: format!("`{INNER_TYPE}` is not a Rust path"),
        })?;

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(inner_type)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap");
    for schema in enum_schemas {
        settings.with_replacement(
            &schema.name,
            format!("{GENERATED_MODULE}::types::{}", schema.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }

    // progenitor reports some unsupported shapes by panicking; turn the
    // panic into an error that names the file.
    let result = std::panic::catch_unwind(|| {
        let mut generator = progenitor::Generator::new(&settings);
        generator.generate_tokens(openapi)
    });
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(source)) => Err(CodegenError::Progenitor {
            file: file.to_owned(),
            reason: source.to_string(),
        }),
        Err(panic) => Err(CodegenError::Progenitor {
            file: file.to_owned(),
            reason: format!("progenitor panicked: {}", panic_message(&panic)),
        }),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else {
        "no message".to_owned()
    }
}

fn format_code(
    file: &str,
    tokens: proc_macro2::TokenStream,
    enum_schemas: &[enums::EnumSchema],
) -> Result<String, CodegenError> {
    let mut syntax: syn::File = syn::parse2(tokens).map_err(|source| CodegenError::Internal {
        file: file.to_owned(),
        reason: format!("progenitor's output does not parse as Rust: {source}"),
    })?;
    enums::insert_into_types_module(file, &mut syntax, enum_schemas)?;
    newtypes::add_checked_constructors(file, &mut syntax)?;

    let body = prettyplease::unparse(&syntax);
    Ok(format!(
        "// Generated by build.rs from openapi.yaml with progenitor {}. Do not edit:\n\
         // change the spec, rebuild, and review the snapshots.\n\n{body}",
        PROGENITOR_VERSION
    ))
}

/// The pinned progenitor version, named in the generated file's header.
pub const PROGENITOR_VERSION: &str = "0.15.1";
