//! Snapshot of the generated bindings, exactly as `build.rs` writes them to
//! `OUT_DIR/hub.rs`, and checks that generation is deterministic.

mod spec_support;

#[test]
fn generated_code_snapshot() {
    insta::assert_snapshot!("generated_code", spec_support::generate_current().code);
}

#[test]
fn snapshot_source_is_build_output() {
    // The code this crate was built with, written by build.rs.
    let built = include_str!(concat!(env!("OUT_DIR"), "/hub.rs"));
    let generated = spec_support::generate_current().code;
    if let Some((line, expected, actual)) = spec_support::first_difference(built, &generated) {
        panic!(
            "the test's generation differs from build.rs's output at line {line}:\n\
             build.rs: {expected}\ntest:     {actual}"
        );
    }
}

#[test]
fn generation_is_deterministic() {
    // Each run builds new hash maps with new random seeds, so output that
    // depended on a map's iteration order would differ between runs.
    let first = spec_support::generate_current().code;
    for run in 2..=5 {
        let again = spec_support::generate_current().code;
        if let Some((line, expected, actual)) = spec_support::first_difference(&first, &again) {
            panic!("run {run} differs from run 1 at line {line}:\nrun 1: {expected}\nrun {run}: {actual}");
        }
    }
}
