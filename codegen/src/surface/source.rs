//! Loads a crate's module tree from its source files, the way rustc finds
//! them: `mod name;` is `name.rs` or `name/mod.rs`, `#[path]` is honoured,
//! and items under `#[cfg(test)]` are left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::cfg::{self, Cfg};
use super::SurfaceError;

/// The display name of the generated file, used in messages and as the
/// `file` of every module that it defines.
pub const GENERATED_FILE: &str = "OUT_DIR/hub.rs";

/// The source files of a crate: files read from `src_dir`, with overrides,
/// and the code that an `include!` of a file under `OUT_DIR` stands for.
#[derive(Debug, Clone)]
pub struct Sources {
    src_dir: PathBuf,
    generated_code: String,
    overrides: BTreeMap<String, String>,
}

impl Sources {
    /// Reads files from `src_dir` (the directory holding `lib.rs`);
    /// `generated_code` is what the crate includes from `OUT_DIR`.
    pub fn new(src_dir: impl Into<PathBuf>, generated_code: impl Into<String>) -> Self {
        Self {
            src_dir: src_dir.into(),
            generated_code: generated_code.into(),
            overrides: BTreeMap::new(),
        }
    }

    /// Replaces the file at `relative` (such as `campaigns.rs`, relative to
    /// the source directory) with `text`, or adds it, without touching the
    /// disk.
    #[must_use]
    pub fn with_file(mut self, relative: impl Into<String>, text: impl Into<String>) -> Self {
        self.overrides.insert(relative.into(), text.into());
        self
    }

    /// Returns the text of the file at `relative`.
    ///
    /// # Errors
    ///
    /// Returns [`SurfaceError::Read`] when the file is neither overridden
    /// nor readable.
    pub fn read(&self, relative: &str) -> Result<String, SurfaceError> {
        if let Some(text) = self.overrides.get(relative) {
            return Ok(text.clone());
        }
        let path = self.src_dir.join(relative);
        std::fs::read_to_string(&path).map_err(|source| SurfaceError::Read {
            file: path.display().to_string(),
            source,
        })
    }

    fn exists(&self, relative: &str) -> bool {
        self.overrides.contains_key(relative) || self.src_dir.join(relative).is_file()
    }
}

/// One module of the crate.
pub(crate) struct Module {
    /// The module's path from the crate root; empty for the root.
    pub(crate) path: Vec<String>,
    /// The file that contains the module's items, relative to the source
    /// directory, or [`GENERATED_FILE`].
    pub(crate) file: String,
    /// The items, without those that `#[cfg(test)]` removes.
    pub(crate) items: Vec<syn::Item>,
    pub(crate) parent: Option<usize>,
    pub(crate) children: BTreeMap<String, usize>,
}

/// Every module of a crate; module 0 is the root.
#[derive(Default)]
pub(crate) struct ModuleTree {
    pub(crate) modules: Vec<Module>,
}

/// The directory, relative to `src/`, in which a module's `mod name;`
/// children are looked up.
struct ChildDir(String);

impl ModuleTree {
    pub(crate) fn load(sources: &Sources) -> Result<Self, SurfaceError> {
        let mut tree = Self::default();
        let root = parse_file(sources, "lib.rs")?;
        tree.add_module(
            sources,
            Vec::new(),
            "lib.rs".to_owned(),
            root.items,
            None,
            &ChildDir(String::new()),
        )?;
        Ok(tree)
    }

    fn add_module(
        &mut self,
        sources: &Sources,
        path: Vec<String>,
        file: String,
        items: Vec<syn::Item>,
        parent: Option<usize>,
        child_dir: &ChildDir,
    ) -> Result<usize, SurfaceError> {
        let (file, items) = expand_generated_include(sources, file, items)?;
        let id = self.modules.len();
        self.modules.push(Module {
            path: path.clone(),
            file: file.clone(),
            items: Vec::new(),
            parent,
            children: BTreeMap::new(),
        });

        let mut kept = Vec::new();
        for item in items {
            if cfg::evaluate(item_attrs(&item)) == Cfg::Off {
                continue;
            }
            let syn::Item::Mod(mut module) = item else {
                kept.push(item);
                continue;
            };
            let name = module.ident.to_string();
            let mut child_path = path.clone();
            child_path.push(name.clone());
            let (child_file, child_items, grandchild_dir) =
                module_body(sources, &file, child_dir, &mut module)?;
            let child = self.add_module(
                sources,
                child_path,
                child_file,
                child_items,
                Some(id),
                &grandchild_dir,
            )?;
            self.modules[id].children.insert(name, child);
            kept.push(syn::Item::Mod(module));
        }
        self.modules[id].items = kept;
        Ok(id)
    }
}

/// Replaces an `include!` of a file under `OUT_DIR` with the generated
/// items; the module then counts as generated code.
fn expand_generated_include(
    sources: &Sources,
    file: String,
    items: Vec<syn::Item>,
) -> Result<(String, Vec<syn::Item>), SurfaceError> {
    let mut file = file;
    let mut expanded = Vec::with_capacity(items.len());
    for item in items {
        match item {
            syn::Item::Macro(mac) if is_generated_include(&mac) => {
                let generated = syn::parse_file(&sources.generated_code).map_err(|source| {
                    SurfaceError::Parse {
                        file: GENERATED_FILE.to_owned(),
                        source,
                    }
                })?;
                expanded.extend(generated.items);
                file = GENERATED_FILE.to_owned();
            }
            other => expanded.push(other),
        }
    }
    Ok((file, expanded))
}

/// Returns the file, the items and the child directory of a module, and
/// empties the inline body kept in the parent.
fn module_body(
    sources: &Sources,
    parent_file: &str,
    child_dir: &ChildDir,
    module: &mut syn::ItemMod,
) -> Result<(String, Vec<syn::Item>, ChildDir), SurfaceError> {
    let name = module.ident.to_string();
    if let Some((_, items)) = module.content.take() {
        module.content = Some((Default::default(), Vec::new()));
        let dir = ChildDir(format!("{}{name}/", child_dir.0));
        return Ok((parent_file.to_owned(), items, dir));
    }

    let file = match path_attribute(&module.attrs) {
        Some(path) => {
            let base = Path::new(parent_file).parent().unwrap_or(Path::new(""));
            normalise(&base.join(path))
        }
        None => {
            let flat = format!("{}{name}.rs", child_dir.0);
            let nested = format!("{}{name}/mod.rs", child_dir.0);
            if sources.exists(&flat) {
                flat
            } else if sources.exists(&nested) {
                nested
            } else {
                return Err(SurfaceError::Unsupported {
                    file: parent_file.to_owned(),
                    reason: format!("`mod {name};` names neither {flat} nor {nested}"),
                });
            }
        }
    };
    let items = parse_file(sources, &file)?.items;
    let dir = if file.ends_with("mod.rs") || file == "lib.rs" {
        let base = Path::new(&file).parent().unwrap_or(Path::new(""));
        ChildDir(dir_prefix(base))
    } else {
        ChildDir(format!("{}/", file.trim_end_matches(".rs")))
    };
    Ok((file, items, dir))
}

fn parse_file(sources: &Sources, relative: &str) -> Result<syn::File, SurfaceError> {
    let text = sources.read(relative)?;
    syn::parse_file(&text).map_err(|source| SurfaceError::Parse {
        file: relative.to_owned(),
        source,
    })
}

fn dir_prefix(dir: &Path) -> String {
    let text = normalise(dir);
    if text.is_empty() {
        text
    } else {
        format!("{text}/")
    }
}

/// Joins path components with `/` and resolves `..`, so that file names are
/// the same on every platform.
fn normalise(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| {
        let syn::Meta::NameValue(pair) = &attr.meta else {
            return None;
        };
        if !pair.path.is_ident("path") {
            return None;
        }
        match &pair.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        }
    })
}

/// Returns whether the item is `include!(...)` of a file under `OUT_DIR`.
fn is_generated_include(item: &syn::ItemMacro) -> bool {
    item.mac.path.is_ident("include") && item.mac.tokens.to_string().contains("OUT_DIR")
}

/// Returns the attributes of any item.
pub(crate) fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        syn::Item::ExternCrate(item) => &item.attrs,
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::ForeignMod(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Macro(item) => &item.attrs,
        syn::Item::Mod(item) => &item.attrs,
        syn::Item::Static(item) => &item.attrs,
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Trait(item) => &item.attrs,
        syn::Item::TraitAlias(item) => &item.attrs,
        syn::Item::Type(item) => &item.attrs,
        syn::Item::Union(item) => &item.attrs,
        syn::Item::Use(item) => &item.attrs,
        _ => &[],
    }
}
