//! Shared by the spec-tracking tests: generating the bindings the way
//! `build.rs` does, reading the crate's public surface, and applying the
//! rehearsal fixtures to `openapi.yaml`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kataven_codegen::surface::{Analysis, Sources};
use kataven_codegen::Generated;

/// Returns the root crate's directory.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn spec_path() -> PathBuf {
    manifest_dir().join("openapi.yaml")
}

/// Generates the bindings from `openapi.yaml` exactly as `build.rs` does.
pub fn generate_current() -> Generated {
    kataven_codegen::generate(&spec_path(), kataven::HANDWRITTEN_OPERATIONS)
        .unwrap_or_else(|error| panic!("openapi.yaml does not generate: {error}"))
}

/// Loads the crate's sources from `src/`, with `generated_code` as the
/// contents of `OUT_DIR/hub.rs` and `overrides` replacing files (paths
/// relative to `src/`).
pub fn analyse(generated_code: &str, overrides: &[(&str, String)]) -> Analysis {
    let mut sources = Sources::new(manifest_dir().join("src"), generated_code);
    for (file, text) in overrides {
        sources = sources.with_file(*file, text.clone());
    }
    Analysis::load("kataven", &sources)
        .unwrap_or_else(|error| panic!("cannot read the crate's sources: {error}"))
}

/// Returns the public surface of the crate as it builds from `openapi.yaml`.
pub fn current_surface() -> String {
    analyse(&generate_current().code, &[]).surface_text()
}

/// Returns `openapi.yaml` with the JSON Patch of the rehearsal fixture
/// `tests/fixtures/specs/{name}.yaml` applied, as YAML.
pub fn fixture_spec(name: &str) -> String {
    let spec_text = std::fs::read_to_string(spec_path()).expect("openapi.yaml is readable");
    let mut spec: serde_json::Value =
        serde_yaml::from_str(&spec_text).expect("openapi.yaml is YAML");

    let fixture = manifest_dir().join(format!("tests/fixtures/specs/{name}.yaml"));
    let patch_text = std::fs::read_to_string(&fixture)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", fixture.display()));
    let patch: json_patch::Patch = serde_yaml::from_str(&patch_text)
        .unwrap_or_else(|error| panic!("{} is not a JSON Patch: {error}", fixture.display()));
    json_patch::patch(&mut spec, &patch).unwrap_or_else(|error| {
        panic!(
            "{} no longer applies to openapi.yaml ({error}); update the fixture to the new spec",
            fixture.display()
        )
    });
    serde_yaml::to_string(&spec).expect("a JSON value serialises as YAML")
}

/// Lists the lines that differ between two surfaces: `-` for a line only
/// in `old`, `+` for a line only in `new`.
pub fn surface_diff(old: &str, new: &str) -> String {
    let mut diff = String::new();
    for change in similar::TextDiff::from_lines(old, new).iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Equal => continue,
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
        };
        diff.push(sign);
        diff.push_str(change.value());
    }
    diff
}

/// Returns the index, the expected line and the actual line of the first
/// line where two texts differ.
pub fn first_difference<'a>(
    expected: &'a str,
    actual: &'a str,
) -> Option<(usize, &'a str, &'a str)> {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for number in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (None, None) => return None,
            (left, right) if left == right => continue,
            (left, right) => {
                return Some((number, left.unwrap_or("<end>"), right.unwrap_or("<end>")))
            }
        }
    }
    None
}
