//! Snapshots of the JSON Schema (schemars 0.8) of every public model type,
//! one file per type.

mod spec_support;

use kataven::models::*;
use kataven_codegen::surface::EntryKind;

/// Defines one snapshot test per model type, and the list of the types.
macro_rules! model_schema_tests {
    ($($model:ident),* $(,)?) => {
        const MODELS: &[&str] = &[$(stringify!($model)),*];

        $(
            #[test]
            #[allow(non_snake_case)]
            fn $model() {
                let schema = schemars::schema_for!($model);
                insta::assert_json_snapshot!(stringify!($model), schema);
            }
        )*
    };
}

model_schema_tests!(
    CallOutcome,
    Campaign,
    CampaignProgress,
    CampaignStatus,
    Contact,
    ContactEvent,
    ContactPage,
    ContactStatus,
    EndEvent,
    ProgressEvent,
    StatusEvent,
);

#[test]
fn every_public_model_has_a_schema_snapshot() {
    let generated = spec_support::generate_current();
    let surface = spec_support::analyse(&generated.code, &[]).surface();
    let public_models: Vec<String> = surface
        .iter()
        .filter(|entry| matches!(entry.kind, EntryKind::Struct | EntryKind::Enum))
        .filter_map(|entry| entry.path.strip_prefix("kataven::models::"))
        .map(str::to_owned)
        .collect();

    let missing: Vec<&String> = public_models
        .iter()
        .filter(|model| !MODELS.contains(&model.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "public model types without a JSON Schema snapshot: {missing:?}; add them to \
         model_schema_tests! in tests/model_schemas.rs"
    );
    let stale: Vec<&&str> = MODELS
        .iter()
        .filter(|model| !public_models.iter().any(|public| public == *model))
        .collect();
    assert!(
        stale.is_empty(),
        "tests/model_schemas.rs lists types that kataven::models no longer exports: {stale:?}"
    );
}
