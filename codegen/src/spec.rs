use serde_json::Value;

use crate::CodegenError;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The `operationId`.
    pub operation_id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template.
    pub path: String,
    /// The operation's tags, in spec order.
    pub tags: Vec<String>,
    /// Why progenitor cannot generate it, if it cannot.
    pub unsupported: Option<Unsupported>,
}

/// A shape of operation that progenitor 0.15 cannot generate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unsupported {
    /// The request body is `multipart/*`.
    MultipartRequest,
    /// A response is `text/event-stream`.
    EventStreamResponse,
}

impl Unsupported {
    /// A clause for messages, such as "has a multipart/form-data request body".
    pub fn describe(&self) -> &'static str {
        match self {
            Self::MultipartRequest => "has a multipart request body",
            Self::EventStreamResponse => "has a text/event-stream response",
        }
    }
}

pub(crate) fn parse(file: &str, text: &str) -> Result<Value, CodegenError> {
    let document: Value = serde_yaml::from_str(text).map_err(|source| CodegenError::Invalid {
        file: file.to_owned(),
        reason: source.to_string(),
    })?;

    let version = document
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| CodegenError::Invalid {
            file: file.to_owned(),
            reason: "the top-level `openapi` version field is missing".to_owned(),
        })?;
    if !version.starts_with("3.0.") {
        return Err(CodegenError::UnsupportedVersion {
            file: file.to_owned(),
            version: version.to_owned(),
        });
    }
    Ok(document)
}

pub(crate) fn operations(file: &str, document: &Value) -> Result<Vec<Operation>, CodegenError> {
    let mut found = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Ok(found);
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let operation_id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| CodegenError::MissingOperationId {
                    file: file.to_owned(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                })?;
            let tags = operation
                .get("tags")
                .and_then(Value::as_array)
                .map(|tags| {
                    tags.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            found.push(Operation {
                operation_id: operation_id.to_owned(),
                method: method.to_uppercase(),
                path: path.clone(),
                tags,
                unsupported: classify(document, operation),
            });
        }
    }
    Ok(found)
}

fn classify(document: &Value, operation: &Value) -> Option<Unsupported> {
    let request_types = operation
        .get("requestBody")
        .map(|body| resolve(document, body))
        .and_then(|body| body.get("content"))
        .and_then(Value::as_object);
    if request_types.is_some_and(|types| types.keys().any(|t| t.starts_with("multipart/"))) {
        return Some(Unsupported::MultipartRequest);
    }

    let responses = operation.get("responses").and_then(Value::as_object)?;
    let streams = responses.values().any(|response| {
        resolve(document, response)
            .get("content")
            .and_then(Value::as_object)
            .is_some_and(|types| types.contains_key("text/event-stream"))
    });
    streams.then_some(Unsupported::EventStreamResponse)
}

/// Follows a local `$ref` (`#/components/...`), once.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .and_then(|pointer| document.pointer(pointer))
        .unwrap_or(value)
}

pub(crate) fn check_handwritten(
    file: &str,
    operations: &[Operation],
    handwritten: &[(&str, &str)],
) -> Result<(), CodegenError> {
    for operation in operations.iter().filter(|op| op.unsupported.is_some()) {
        let listed = handwritten
            .iter()
            .any(|(id, _)| *id == operation.operation_id);
        if !listed {
            return Err(CodegenError::NotHandwritten {
                file: file.to_owned(),
                operation: Box::new(operation.clone()),
            });
        }
    }
    for (operation_id, module) in handwritten {
        let in_spec = operations
            .iter()
            .find(|op| op.operation_id == *operation_id);
        match in_spec {
            Some(operation) if operation.unsupported.is_some() => {}
            other => {
                return Err(CodegenError::NotInSpec {
                    file: file.to_owned(),
                    operation_id: (*operation_id).to_owned(),
                    module: (*module).to_owned(),
                    generated: other.cloned().map(Box::new),
                })
            }
        }
    }
    Ok(())
}

pub(crate) fn remove_operations(document: &mut Value, removed: &[Operation]) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in removed {
        if let Some(item) = paths
            .get_mut(&operation.path)
            .and_then(Value::as_object_mut)
        {
            item.remove(&operation.method.to_lowercase());
        }
    }
    paths.retain(|_, item| METHODS.iter().any(|method| item.get(*method).is_some()));
}

/// Removes every `additionalProperties: false`.
///
/// progenitor turns it into `deny_unknown_fields`, so a field that a newer
/// Hub adds would break decoding in this version of the crate.
pub(crate) fn drop_closed_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                map.remove("additionalProperties");
            }
            map.values_mut().for_each(drop_closed_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_closed_objects),
        _ => {}
    }
}
