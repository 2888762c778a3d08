//! A rehearsal of spec updates: each fixture under `tests/fixtures/specs/`
//! is a JSON Patch that makes `openapi.yaml` differ by one kind of change.
//! Each test shows what the change does to the build and to the public
//! surface, and snapshots a report of it:
//!
//! - (a) a new optional field and (b) a new enum value are additive;
//! - (c) a new JSON operation builds, but fails the coverage check until a
//!   public method wraps it;
//! - (d) a removed field builds, and removes a line from the surface,
//!   which is a breaking change;
//! - (e) a new multipart operation fails the build, naming the operation
//!   and the handwritten module to add.
//!
//! Patches rather than whole copies keep the fixtures in step with every
//! new `openapi.yaml`. `rehearsal_cases_compile` runs `cargo check` on the
//! crate with each fixture's spec, to show that the cases that build do
//! compile with the handwritten layer.

mod spec_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use kataven_codegen::Generated;

/// The outcome of generating the crate from one fixture's spec.
struct Rehearsal {
    generated: Option<Generated>,
    report: String,
    surface_diff: String,
    problems: Vec<String>,
}

/// Generates the bindings from `openapi.yaml` with `fixture` applied,
/// with `overrides` replacing files of `src/`, and compares the result
/// with the current crate.
fn rehearse(fixture: &str, overrides: &[(&str, String)]) -> Rehearsal {
    let spec = spec_support::fixture_spec(fixture);
    let mut report = format!("spec: openapi.yaml + tests/fixtures/specs/{fixture}.yaml\n");
    for (file, _) in overrides {
        report.push_str(&format!("changed: src/{file}\n"));
    }

    let generated = match kataven_codegen::generate_from_str(
        "openapi.yaml",
        &spec,
        kataven::HANDWRITTEN_OPERATIONS,
    ) {
        Ok(generated) => generated,
        Err(error) => {
            report.push_str(&format!("build: fails\n{error}\n"));
            return Rehearsal {
                generated: None,
                report,
                surface_diff: String::new(),
                problems: Vec::new(),
            };
        }
    };
    if let Err(error) = syn::parse_file(&generated.code) {
        panic!("the code generated for {fixture} does not parse as Rust: {error}");
    }
    report.push_str("build: generates code that parses as Rust\n");

    let analysis = spec_support::analyse(&generated.code, overrides);
    let problems = analysis
        .operation_coverage(&generated, kataven::HANDWRITTEN_OPERATIONS)
        .problems();
    if problems.is_empty() {
        report.push_str("coverage: every operation is reachable\n");
    } else {
        report.push_str("coverage: fails\n");
        for problem in &problems {
            report.push_str(&format!("{problem}\n"));
        }
    }

    let surface_diff =
        spec_support::surface_diff(&spec_support::current_surface(), &analysis.surface_text());
    report.push_str(&format!(
        "public API: {}\n{surface_diff}",
        classify(&surface_diff)
    ));
    Rehearsal {
        generated: Some(generated),
        report,
        surface_diff,
        problems,
    }
}

/// Names the semver class of a surface diff: a removed or changed line
/// breaks callers, an added one does not.
fn classify(diff: &str) -> &'static str {
    if diff.is_empty() {
        "unchanged"
    } else if diff.lines().any(|line| line.starts_with('-')) {
        "breaking (lines removed or changed)"
    } else {
        "additive (lines added)"
    }
}

#[test]
fn new_optional_field_is_additive() {
    let rehearsal = rehearse("new_optional_field", &[]);
    insta::assert_snapshot!("new_optional_field", rehearsal.report);
    assert!(rehearsal.generated.is_some());
    assert!(rehearsal.problems.is_empty());
    assert_eq!(
        rehearsal.surface_diff,
        "+pub kataven::models::Campaign::description: Option<String>\n"
    );
}

#[test]
fn new_enum_value_is_additive() {
    let rehearsal = rehearse("new_enum_value", &[]);
    insta::assert_snapshot!("new_enum_value", rehearsal.report);
    assert!(rehearsal.generated.is_some());
    assert!(rehearsal.problems.is_empty());
    assert_eq!(
        rehearsal.surface_diff,
        "+kataven::models::CampaignStatus::Archived\n"
    );
}

#[test]
fn new_json_operation_needs_a_wrapper() {
    let rehearsal = rehearse("new_json_operation", &[]);
    insta::assert_snapshot!("new_json_operation", rehearsal.report);
    assert!(rehearsal.generated.is_some());
    assert_eq!(
        rehearsal.surface_diff, "",
        "the generated client is private"
    );
    assert_eq!(rehearsal.problems.len(), 1, "{:?}", rehearsal.problems);
    let problem = &rehearsal.problems[0];
    assert!(
        problem.contains("operation `duplicate_campaign`"),
        "{problem}"
    );
    assert!(
        problem.contains("add a method that calls it to `Campaigns` in src/campaigns.rs"),
        "{problem}"
    );
}

#[test]
fn new_json_operation_with_wrapper_is_additive() {
    let rehearsal = rehearse(
        "new_json_operation",
        &[("campaigns.rs", campaigns_with_wrapper())],
    );
    insta::assert_snapshot!("new_json_operation_with_wrapper", rehearsal.report);
    assert!(rehearsal.problems.is_empty(), "{:?}", rehearsal.problems);
    assert_eq!(
        rehearsal.surface_diff,
        "+pub async fn kataven::Campaigns::duplicate(&self, campaign_id: impl AsRef<str>) -> kataven::Result<kataven::models::Campaign>\n"
    );
}

#[test]
fn removed_field_is_breaking() {
    let rehearsal = rehearse("removed_field", &[]);
    insta::assert_snapshot!("removed_field", rehearsal.report);
    assert!(rehearsal.generated.is_some());
    assert!(rehearsal.problems.is_empty());
    assert_eq!(
        rehearsal.surface_diff,
        "-pub kataven::models::Contact::next_attempt_at: Option<chrono::DateTime<chrono::offset::Utc>>\n"
    );
    assert!(classify(&rehearsal.surface_diff).starts_with("breaking"));
}

#[test]
fn new_multipart_operation_fails_the_build() {
    let rehearsal = rehearse("new_multipart_operation", &[]);
    insta::assert_snapshot!("new_multipart_operation", rehearsal.report);
    assert!(
        rehearsal.generated.is_none(),
        "progenitor cannot generate a multipart body"
    );
    let report = &rehearsal.report;
    assert!(
        report.contains("operation `append_campaign_contacts`"),
        "{report}"
    );
    assert!(report.contains("has a multipart request body"), "{report}");
    assert!(
        report.contains("Implement it by hand in a module under src/"),
        "{report}"
    );
    assert!(
        report.contains("to HANDWRITTEN_OPERATIONS in src/handwritten.rs"),
        "{report}"
    );
}

/// `src/campaigns.rs` with the rehearsal's `duplicate` method appended.
fn campaigns_with_wrapper() -> String {
    let root = spec_support::manifest_dir();
    let campaigns = std::fs::read_to_string(root.join("src/campaigns.rs"))
        .expect("src/campaigns.rs is readable");
    let wrapper =
        std::fs::read_to_string(root.join("tests/fixtures/specs/new_json_operation_wrapper.rs"))
            .expect("the wrapper fixture is readable");
    format!("{campaigns}\n{wrapper}")
}

#[test]
fn rehearsal_cases_compile() {
    let cases: [(&str, Vec<(&str, String)>); 4] = [
        ("new_optional_field", Vec::new()),
        ("new_enum_value", Vec::new()),
        (
            "new_json_operation",
            vec![("campaigns.rs", campaigns_with_wrapper())],
        ),
        ("removed_field", Vec::new()),
    ];
    for (fixture, overrides) in cases {
        let crate_dir = write_rehearsal_crate(fixture, &overrides);
        cargo_check(fixture, &crate_dir);
    }
}

/// Copies the crate (manifest, lock file, build script, `src/`) under the
/// target directory, with the fixture's spec as `openapi.yaml` and the
/// `overrides` applied, and returns its directory.
fn write_rehearsal_crate(fixture: &str, overrides: &[(&str, String)]) -> PathBuf {
    let root = spec_support::manifest_dir();
    let crate_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("spec-rehearsal")
        .join(fixture);
    if crate_dir.exists() {
        std::fs::remove_dir_all(&crate_dir).expect("the old rehearsal crate can be removed");
    }

    copy_dir(&root.join("src"), &crate_dir.join("src"));
    for (file, text) in overrides {
        std::fs::write(crate_dir.join("src").join(file), text).expect("an override can be written");
    }
    // The library may include the README or a guide in its docs.
    if root.join("docs").is_dir() {
        copy_dir(&root.join("docs"), &crate_dir.join("docs"));
    }
    for file in ["Cargo.lock", "build.rs", "README.md"] {
        if root.join(file).exists() {
            std::fs::copy(root.join(file), crate_dir.join(file))
                .expect("a crate file can be copied");
        }
    }

    let spec = spec_support::fixture_spec(fixture);
    std::fs::write(crate_dir.join("openapi.yaml"), spec).expect("the spec can be written");
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml is readable");
    let manifest = standalone_manifest(&manifest, root);
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).expect("the manifest can be written");
    crate_dir
}

/// Keeps the sections of the root manifest that building the library
/// needs, as a workspace of its own, with `codegen` at its absolute path.
fn standalone_manifest(manifest: &str, root: &Path) -> String {
    const KEPT: [&str; 5] = [
        "[package]",
        "[features]",
        "[dependencies]",
        "[build-dependencies]",
        "[lints]",
    ];
    let mut kept = String::new();
    let mut keep = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            keep = KEPT.contains(&line.trim());
        }
        if keep {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    let codegen = root.join("codegen");
    kept = kept.replace(
        "path = \"codegen\"",
        &format!("path = {:?}", codegen.display().to_string()),
    );
    format!("{kept}\n[workspace]\n")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory can be created");
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .expect("a source directory is readable")
        .map(|entry| entry.expect("a directory entry is readable").path())
        .collect();
    entries.sort();
    for path in entries {
        let target = to.join(path.file_name().expect("an entry has a name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("a source file can be copied");
        }
    }
}

/// Runs `cargo check --offline` on the rehearsal crate, sharing this
/// build's target directory so that dependencies are compiled once.
fn cargo_check(fixture: &str, crate_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the temporary directory is inside the target directory");
    let output = Command::new(cargo)
        .args([
            "check",
            "--offline",
            "--lib",
            "--message-format",
            "short",
            "--manifest-path",
        ])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("cargo can be started");
    assert!(
        output.status.success(),
        "the crate does not compile with the spec of {fixture}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
