//! Generates the Hub bindings from `openapi.yaml` with progenitor.
//!
//! The steps (read, check, generate, format) live in the `kataven-codegen`
//! crate, so the spec-tracking tests run exactly the same code on fixture
//! specs. This script only wires them to Cargo.

use std::path::PathBuf;

include!("src/handwritten.rs");

fn main() {
    println!("cargo:rerun-if-changed=openapi.yaml");
    println!("cargo:rerun-if-changed=src/handwritten.rs");
    println!("cargo:rerun-if-changed=build.rs");

    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let spec = manifest_dir.join("openapi.yaml");
    let generated = match kataven_codegen::generate(&spec, HANDWRITTEN_OPERATIONS) {
        Ok(generated) => generated,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    };

    println!(
        "cargo:rustc-env=KATAVEN_HUB_API_VERSION={}",
        generated.api_version
    );

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let target = out_dir.join("hub.rs");
    if let Err(error) = std::fs::write(&target, generated.code) {
        eprintln!("error: cannot write {}: {error}", target.display());
        std::process::exit(1);
    }
}
