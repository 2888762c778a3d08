// Shared by `build.rs` and the crate, so both read one list.

/// The spec operations that progenitor cannot generate, each with the
/// handwritten module that implements it.
///
/// The build fails when an operation of `openapi.yaml` needs a handwritten
/// implementation and is missing here, or when an entry here names an
/// operation that the spec no longer has or that progenitor can generate.
pub const HANDWRITTEN_OPERATIONS: &[(&str, &str)] = &[
    ("create_campaign", "src/create.rs"),
    ("stream_campaign_events", "src/events/mod.rs"),
];
