use super::{Analysis, EntryKind, Sources};

/// Reads a crate made of in-memory files; `lib.rs` includes `generated`
/// in place of `OUT_DIR/hub.rs`.
fn surface(files: &[(&str, &str)], generated: &str) -> Vec<String> {
    let mut sources = Sources::new("/nonexistent", generated);
    for (file, text) in files {
        sources = sources.with_file(*file, *text);
    }
    let analysis = Analysis::load("demo", &sources).unwrap();
    analysis
        .surface()
        .into_iter()
        .map(|entry| entry.text)
        .collect()
}

#[test]
fn reexport_shows_item_at_public_path() {
    let lines = surface(
        &[
            ("lib.rs", "mod inner; pub use inner::Thing;"),
            (
                "inner.rs",
                "#[derive(Clone)] pub struct Thing { pub size: u32, hidden: bool }",
            ),
        ],
        "",
    );
    assert_eq!(
        lines,
        [
            "pub mod demo",
            "pub struct demo::Thing { /* private fields */ }",
            "pub demo::Thing::size: u32",
            "impl Clone for demo::Thing",
        ]
    );
}

#[test]
fn private_items_are_left_out() {
    let lines = surface(
        &[(
            "lib.rs",
            "mod private { pub struct Hidden; } pub(crate) fn helper() {} \
             pub struct Open; impl Open { fn private(&self) {} pub(crate) fn crate_only(&self) {} }",
        )],
        "",
    );
    assert_eq!(lines, ["pub mod demo", "pub struct demo::Open"]);
}

#[test]
fn signature_paths_are_public_paths() {
    let lines = surface(
        &[
            ("lib.rs", "mod error; pub mod api; pub use error::Error;"),
            ("error.rs", "pub struct Error;"),
            (
                "api/mod.rs",
                "use crate::error::Error; use std::time::Duration; \
                 pub fn wait(limit: Duration) -> Result<(), Error> { todo!() }",
            ),
        ],
        "",
    );
    assert!(lines.contains(
        &"pub fn demo::api::wait(limit: std::time::Duration) -> Result<(), demo::Error>".to_owned()
    ));
}

#[test]
fn generated_include_is_read() {
    let lines = surface(
        &[(
            "lib.rs",
            "mod generated { include!(concat!(env!(\"OUT_DIR\"), \"/hub.rs\")); } \
             pub mod models { pub use crate::generated::types::Model; }",
        )],
        "pub mod types { pub struct Model { pub id: ::std::string::String } }",
    );
    assert!(lines.contains(&"pub demo::models::Model::id: String".to_owned()));
}

#[test]
fn cfg_test_items_are_left_out() {
    let lines = surface(
        &[(
            "lib.rs",
            "#[cfg(test)] pub fn only_in_tests() {} \
             #[cfg(feature = \"extra\")] pub fn with_feature() {}",
        )],
        "",
    );
    assert_eq!(
        lines,
        [
            "pub mod demo",
            "#[cfg(feature = \"extra\")] pub fn demo::with_feature()"
        ]
    );
}

#[test]
fn enum_variants_and_trait_impls() {
    let lines = surface(
        &[(
            "lib.rs",
            "use std::fmt; #[non_exhaustive] pub enum Kind { A, B(String), C { at: u64 } } \
             impl fmt::Display for Kind { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { Ok(()) } }",
        )],
        "",
    );
    assert_eq!(
        lines,
        [
            "pub mod demo",
            "#[non_exhaustive] pub enum demo::Kind",
            "demo::Kind::A",
            "demo::Kind::B(String)",
            "demo::Kind::C { at: u64 }",
            "impl std::fmt::Display for demo::Kind",
        ]
    );
}

#[test]
fn glob_reexport_lists_each_name() {
    let analysis = Analysis::load(
        "demo",
        &Sources::new("/nonexistent", "")
            .with_file("lib.rs", "mod inner; pub use inner::*;")
            .with_file(
                "inner.rs",
                "pub fn one() {} pub const TWO: u8 = 2; fn three() {}",
            ),
    )
    .unwrap();
    let kinds: Vec<(EntryKind, String)> = analysis
        .surface()
        .into_iter()
        .map(|entry| (entry.kind, entry.path))
        .collect();
    assert_eq!(
        kinds,
        [
            (EntryKind::Module, "demo".to_owned()),
            (EntryKind::Constant, "demo::TWO".to_owned()),
            (EntryKind::Function, "demo::one".to_owned()),
        ]
    );
}

#[test]
fn receivers_keep_reference_mutability() {
    let lines = surface(
        &[(
            "lib.rs",
            "pub struct Thing; impl Thing { \
             pub fn edit(&mut self) {} pub fn read(&self) {} pub fn take(mut self) {} }",
        )],
        "",
    );
    for expected in [
        "pub fn demo::Thing::edit(&mut self)",
        "pub fn demo::Thing::read(&self)",
        "pub fn demo::Thing::take(self)",
    ] {
        assert!(
            lines.contains(&expected.to_owned()),
            "{expected}: {lines:#?}"
        );
    }
}
