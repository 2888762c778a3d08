use std::fmt;

use crate::spec::{Operation, Unsupported};

/// Why the bindings could not be generated.
#[derive(Debug)]
#[non_exhaustive]
pub enum CodegenError {
    /// The spec file could not be read.
    Read {
        /// The spec file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The spec is not valid YAML or not a valid OpenAPI document.
    Invalid {
        /// The spec file.
        file: String,
        /// What is wrong, with the location when known.
        reason: String,
    },
    /// The spec is not OpenAPI 3.0.x.
    UnsupportedVersion {
        /// The spec file.
        file: String,
        /// The version the spec declares.
        version: String,
    },
    /// An operation has no `operationId`, which names its Rust method.
    MissingOperationId {
        /// The spec file.
        file: String,
        /// The HTTP method.
        method: String,
        /// The path template.
        path: String,
    },
    /// An operation needs a handwritten implementation that the crate lacks.
    NotHandwritten {
        /// The spec file.
        file: String,
        /// The operation.
        operation: Box<Operation>,
    },
    /// The crate lists a handwritten operation that the spec does not need.
    NotInSpec {
        /// The spec file.
        file: String,
        /// The listed operation id.
        operation_id: String,
        /// The module that implements it.
        module: String,
        /// The operation when the spec has it but progenitor can generate it.
        generated: Option<Box<Operation>>,
    },
    /// A string enum is written inline, where no forward-compatible type can
    /// be named for it.
    InlineEnum {
        /// The spec file.
        file: String,
        /// A JSON pointer to the schema.
        pointer: String,
    },
    /// Two values of one enum map to the same Rust variant name.
    EnumVariantClash {
        /// The spec file.
        file: String,
        /// The enum schema.
        schema: String,
        /// The variant name both map to.
        variant: String,
    },
    /// progenitor rejected the spec.
    Progenitor {
        /// The spec file.
        file: String,
        /// progenitor's message.
        reason: String,
    },
    /// The generator's own output could not be processed.
    Internal {
        /// The spec file.
        file: String,
        /// What failed.
        reason: String,
    },
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { file, source } => write!(f, "{file}: cannot read the spec: {source}"),
            Self::Invalid { file, reason } => {
                write!(f, "{file}: not a valid OpenAPI document: {reason}")
            }
            Self::UnsupportedVersion { file, version } => write!(
                f,
                "{file}: OpenAPI {version} is not supported; progenitor 0.15 reads OpenAPI 3.0.x, \
                 so write the spec as 3.0.3"
            ),
            Self::MissingOperationId { file, method, path } => write!(
                f,
                "{file}: operation {method} {path} has no operationId; add one, because it names \
                 the Rust method"
            ),
            Self::NotHandwritten { file, operation } => {
                let reason = operation
                    .unsupported
                    .as_ref()
                    .map(Unsupported::describe)
                    .unwrap_or("cannot be generated");
                write!(
                    f,
                    "{file}: operation `{}` ({} {}) {reason}, which progenitor cannot generate. \
                     Implement it by hand in a module under src/ (as src/create.rs does for \
                     multipart uploads and src/events/mod.rs for event streams), then add \
                     (\"{}\", \"src/<module>.rs\") to HANDWRITTEN_OPERATIONS in src/handwritten.rs",
                    operation.operation_id,
                    operation.method,
                    operation.path,
                    operation.operation_id
                )
            }
            Self::NotInSpec {
                file,
                operation_id,
                module,
                generated: None,
            } => write!(
                f,
                "{file}: src/handwritten.rs lists operation `{operation_id}` ({module}), but the \
                 spec has no such operation; remove the entry and its module, or restore the \
                 operation"
            ),
            Self::NotInSpec {
                file,
                operation_id,
                module,
                generated: Some(operation),
            } => write!(
                f,
                "{file}: src/handwritten.rs lists operation `{operation_id}` ({module}), but \
                 {} {} now has only content types that progenitor generates; remove the entry \
                 and call the generated method from {module}",
                operation.method, operation.path
            ),
            Self::InlineEnum { file, pointer } => write!(
                f,
                "{file}: the string enum at {pointer} is inline; move it to components/schemas \
                 and refer to it with $ref, so that it gets a named type that keeps unknown values"
            ),
            Self::EnumVariantClash {
                file,
                schema,
                variant,
            } => write!(
                f,
                "{file}: two values of enum schema `{schema}` map to the Rust variant `{variant}`; \
                 rename one value or extend the variant naming in codegen/src/enums.rs"
            ),
            Self::Progenitor { file, reason } => {
                write!(f, "{file}: progenitor cannot generate the client: {reason}")
            }
            Self::Internal { file, reason } => write!(f, "{file}: {reason}"),
        }
    }
}

impl std::error::Error for CodegenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}
