//! Snapshot of the crate's public API surface: every public item and
//! signature, read from `src/` and the generated code by the syn-based
//! reader in `kataven_codegen::surface`, which runs on the stable toolchain.

mod spec_support;

#[test]
fn public_api_surface() {
    insta::assert_snapshot!("public_api", spec_support::current_surface());
}
