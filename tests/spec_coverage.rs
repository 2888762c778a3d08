//! Every operation of `openapi.yaml` must be reachable through the public
//! API, generated or handwritten, and every schema must be public or
//! deliberately internal.

mod spec_support;

use kataven_codegen::surface::EntryKind;
use kataven_codegen::{CodegenError, Unsupported};

/// The schemas of `components/schemas` that `kataven::models` does not
/// export, each with the reason.
const INTERNAL_SCHEMAS: &[(&str, &str)] = &[
    (
        "CampaignId",
        "ids are validated and passed as `&str` by `Campaigns`",
    ),
    (
        "CampaignList",
        "`Campaigns::list` returns its items as a `Vec`",
    ),
    (
        "CreateCampaignForm",
        "`Campaigns::create` builds the multipart form",
    ),
    (
        "Error",
        "`kataven::Error` and `kataven::HubError` carry the Hub's error body",
    ),
];

#[test]
fn every_operation_is_reachable() {
    let generated = spec_support::generate_current();
    let analysis = spec_support::analyse(&generated.code, &[]);
    let coverage = analysis.operation_coverage(&generated, kataven::HANDWRITTEN_OPERATIONS);
    let problems = coverage.problems();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    insta::assert_snapshot!("operation_coverage", coverage.render());
}

#[test]
fn unwrapped_operation_is_reported() {
    let spec = spec_support::fixture_spec("new_json_operation");
    let generated =
        kataven_codegen::generate_from_str("openapi.yaml", &spec, kataven::HANDWRITTEN_OPERATIONS)
            .expect("a JSON operation generates");
    let coverage = spec_support::analyse(&generated.code, &[])
        .operation_coverage(&generated, kataven::HANDWRITTEN_OPERATIONS);
    assert_eq!(
        coverage.problems(),
        [
            "operation `duplicate_campaign` (POST /api/v1/campaigns/{campaign_id}/duplicate) is \
          generated as `Client::duplicate_campaign`, but no public function or method calls it, \
          so users cannot reach it; add a method that calls it to `Campaigns` in \
          src/campaigns.rs, as the other methods there call theirs"
        ]
    );
}

#[test]
fn ungeneratable_operation_fails_the_build() {
    let spec = spec_support::fixture_spec("new_multipart_operation");
    let error =
        kataven_codegen::generate_from_str("openapi.yaml", &spec, kataven::HANDWRITTEN_OPERATIONS)
            .expect_err("progenitor cannot generate a multipart request body");
    match &error {
        CodegenError::NotHandwritten { operation, .. } => {
            assert_eq!(operation.operation_id, "append_campaign_contacts");
            assert_eq!(operation.unsupported, Some(Unsupported::MultipartRequest));
        }
        other => panic!("expected NotHandwritten, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "openapi.yaml: operation `append_campaign_contacts` (POST \
         /api/v1/campaigns/{campaign_id}/contacts) has a multipart request body, which progenitor \
         cannot generate. Implement it by hand in a module under src/ (as src/create.rs does for \
         multipart uploads and src/events/mod.rs for event streams), then add \
         (\"append_campaign_contacts\", \"src/<module>.rs\") to HANDWRITTEN_OPERATIONS in \
         src/handwritten.rs"
    );
}

#[test]
fn every_schema_is_public_or_internal() {
    let spec_text =
        std::fs::read_to_string(spec_support::spec_path()).expect("openapi.yaml is readable");
    let spec: serde_json::Value = serde_yaml::from_str(&spec_text).expect("openapi.yaml is YAML");
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(serde_json::Value::as_object)
        .expect("openapi.yaml has components/schemas");

    let generated = spec_support::generate_current();
    let surface = spec_support::analyse(&generated.code, &[]).surface();
    let is_model = |name: &str| {
        surface.iter().any(|entry| {
            matches!(entry.kind, EntryKind::Struct | EntryKind::Enum)
                && entry.path == format!("kataven::models::{name}")
        })
    };
    for name in schemas.keys() {
        let internal = INTERNAL_SCHEMAS
            .iter()
            .any(|(internal, _)| internal == name);
        assert!(
            is_model(name) != internal,
            "schema `{name}` must be either exported from kataven::models (src/models.rs) or \
             listed in INTERNAL_SCHEMAS in tests/spec_coverage.rs with the reason, not both"
        );
    }
    for (name, _) in INTERNAL_SCHEMAS {
        assert!(
            schemas.contains_key(*name),
            "INTERNAL_SCHEMAS lists `{name}`, which the spec no longer has"
        );
    }
}
