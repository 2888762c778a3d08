//! The public API surface of a crate, read from its sources with syn, so it
//! works on the stable toolchain (rustdoc's JSON output needs nightly).
//!
//! [`Analysis::load`] reads the module tree from `lib.rs`, with the
//! generated code standing for the `include!` of a file under `OUT_DIR`,
//! resolves names, and walks every public module and `pub use` from the
//! crate root. [`Analysis::surface`] then lists each public item once, at
//! its canonical path (visible before `#[doc(hidden)]`, then the shortest),
//! one line per item and member:
//!
//! - modules, structs (with `{ /* private fields */ }` when some field is not
//!   public), enums and their variants, unions, traits and their items,
//!   type aliases, functions, constants and statics (types only, not
//!   values), and `#[macro_export]` macros;
//! - each public field, as `pub path::Type::field: FieldType`;
//! - each public method and associated constant of an inherent impl,
//!   wherever in the crate the impl is written;
//! - each trait impl, derived or written, for a public type, with its
//!   associated types;
//! - re-exports of external items and second paths of crate items, as
//!   `pub use <what it names> as <public path>`.
//!
//! `#[non_exhaustive]`, `#[repr]`, `#[deprecated]`, `#[doc(hidden)]` and
//! any `#[cfg]` other than `test` are shown; items under `#[cfg(test)]` are
//! not. Every path into the crate is written as the public path of what it
//! names, so a re-export shows the item it names with its fields and
//! methods.
//!
//! Known limits, because this reads syntax and does not compile:
//!
//! - auto traits (`Send`, `Sync`, `Unpin`) and blanket impls are not shown;
//! - items made by macros other than the generated `include!` are missing;
//! - a derive is shown as `impl Trait for Type` without the bounds it adds;
//! - name resolution does not separate the type and value namespaces, and
//!   glob re-exports of external crates are not listed;
//! - doc comments and the values of constants are left out on purpose.

mod callgraph;
mod cfg;
mod coverage;
mod impls;
mod items;
mod render;
mod resolve;
mod source;

#[cfg(test)]
mod tests;

use std::fmt;

pub use coverage::{Coverage, Implementation, OperationCoverage};
pub use source::{Sources, GENERATED_FILE};

use resolve::{PublicPaths, Resolver};
use source::ModuleTree;

/// An error that stops reading a crate's surface.
#[derive(Debug)]
#[non_exhaustive]
pub enum SurfaceError {
    /// A source file could not be read.
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A source file is not valid Rust.
    Parse {
        /// The file.
        file: String,
        /// syn's error.
        source: syn::Error,
    },
    /// The sources use a form that this reader does not follow.
    Unsupported {
        /// The file.
        file: String,
        /// The form that is not followed.
        reason: String,
    },
}

impl fmt::Display for SurfaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { file, source } => {
                write!(f, "{file}: cannot read the source file: {source}")
            }
            Self::Parse { file, source } => write!(f, "{file}: not valid Rust: {source}"),
            Self::Unsupported { file, reason } => write!(f, "{file}: {reason}"),
        }
    }
}

impl std::error::Error for SurfaceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            Self::Parse { source, .. } => Some(source),
            Self::Unsupported { .. } => None,
        }
    }
}

/// The kind of a surface line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EntryKind {
    /// `pub mod`.
    Module,
    /// `pub struct`.
    Struct,
    /// `pub enum`.
    Enum,
    /// `pub union`.
    Union,
    /// `pub trait`.
    Trait,
    /// `pub type`.
    TypeAlias,
    /// `pub fn` at module level.
    Function,
    /// `pub const` at module level.
    Constant,
    /// `pub static`.
    Static,
    /// `#[macro_export] macro_rules!`.
    Macro,
    /// A public field of a struct or union.
    Field,
    /// A variant of an enum.
    Variant,
    /// An item of a trait.
    TraitItem,
    /// A public method or associated constant of an inherent impl.
    Method,
    /// A trait impl, derived or written.
    TraitImpl,
    /// A `pub use` of an external item, or a second path of a crate item.
    ReExport,
}

/// One line of the surface.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// The public path of the item the line belongs to (for a field or a
    /// method, the path of its type).
    pub path: String,
    /// The kind of line.
    pub kind: EntryKind,
    /// The line.
    pub text: String,
}

/// A crate's sources, loaded and resolved.
pub struct Analysis {
    crate_name: String,
    tree: ModuleTree,
}

impl fmt::Debug for Analysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analysis")
            .field("crate_name", &self.crate_name)
            .field("modules", &self.tree.modules.len())
            .finish()
    }
}

impl Analysis {
    /// Loads the crate named `crate_name` from `sources`.
    ///
    /// # Errors
    ///
    /// Returns [`SurfaceError`] when a file cannot be read or parsed, or a
    /// `mod name;` names no file.
    pub fn load(crate_name: &str, sources: &Sources) -> Result<Self, SurfaceError> {
        Ok(Self {
            crate_name: crate_name.to_owned(),
            tree: ModuleTree::load(sources)?,
        })
    }

    /// Lists the public API, one entry per line, sorted by item path.
    ///
    /// The lines of one item keep a fixed order: the item, its fields or
    /// variants in declaration order, then its methods and trait impls
    /// sorted by text.
    pub fn surface(&self) -> Vec<Entry> {
        let resolver = Resolver::new(&self.tree);
        let public = PublicPaths::collect(&resolver, &self.crate_name);
        let renderer = render::Renderer {
            resolver: &resolver,
            public: &public,
        };
        items::entries(&renderer, &self.crate_name)
    }

    /// Renders [`Analysis::surface`] as text, one line per entry.
    pub fn surface_text(&self) -> String {
        let mut text = String::new();
        for entry in self.surface() {
            text.push_str(&entry.text);
            text.push('\n');
        }
        text
    }

    pub(crate) fn tree(&self) -> &ModuleTree {
        &self.tree
    }

    pub(crate) fn crate_name(&self) -> &str {
        &self.crate_name
    }
}
