//! Name resolution over the module tree, close to rustc's for the paths a
//! public API uses: items, `use` declarations (renames and globs included),
//! `crate`, `self` and `super`. A name that nothing in the crate defines is
//! taken to be an external crate or a prelude item.

use std::collections::{BTreeMap, BTreeSet};

use super::source::{item_attrs, ModuleTree};

/// The depth at which resolution gives up, which ends `use` cycles.
const MAX_DEPTH: usize = 32;

/// The item, module or external path that a path names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Target {
    /// A module of the crate.
    Module(usize),
    /// An item of the crate: the module and the index into its items.
    Item { module: usize, index: usize },
    /// A path outside the crate, such as `std::fmt` or `reqwest::Client`.
    External(Vec<String>),
}

/// A path resolved from the front: `target` is what the first `consumed`
/// segments name; later segments (an associated item, a variant) follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolution {
    pub(crate) target: Target,
    pub(crate) consumed: usize,
}

/// One name that a `use` declaration binds.
#[derive(Debug, Clone)]
pub(crate) struct UseLeaf {
    /// The bound name; empty for a glob.
    pub(crate) binding: String,
    pub(crate) path: Vec<String>,
    pub(crate) leading_colon: bool,
    pub(crate) glob: bool,
    /// The index of the `use` item in its module.
    pub(crate) index: usize,
}

pub(crate) struct Resolver<'a> {
    pub(crate) tree: &'a ModuleTree,
    uses: Vec<Vec<UseLeaf>>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(tree: &'a ModuleTree) -> Self {
        let uses = tree
            .modules
            .iter()
            .map(|module| {
                let mut leaves = Vec::new();
                for (index, item) in module.items.iter().enumerate() {
                    if let syn::Item::Use(item) = item {
                        flatten_use(
                            &item.tree,
                            Vec::new(),
                            item.leading_colon.is_some(),
                            index,
                            &mut leaves,
                        );
                    }
                }
                leaves
            })
            .collect();
        Self { tree, uses }
    }

    pub(crate) fn uses(&self, module: usize) -> &[UseLeaf] {
        &self.uses[module]
    }

    /// Resolves `segments`, written in `module`, as far as the crate
    /// defines them. Returns `None` for `Self` paths and for paths into a
    /// crate module that has no such name (such as macro-made items).
    pub(crate) fn resolve(
        &self,
        module: usize,
        segments: &[String],
        leading_colon: bool,
    ) -> Option<Resolution> {
        self.resolve_at(module, segments, leading_colon, 0)
    }

    fn resolve_at(
        &self,
        module: usize,
        segments: &[String],
        leading_colon: bool,
        depth: usize,
    ) -> Option<Resolution> {
        let first = segments.first()?;
        if leading_colon {
            return Some(Resolution {
                target: Target::External(segments.to_vec()),
                consumed: segments.len(),
            });
        }

        let mut consumed = 1;
        let mut current = match first.as_str() {
            "crate" => Target::Module(0),
            "self" => Target::Module(module),
            "super" => {
                let mut at = self.tree.modules[module].parent?;
                while segments.get(consumed).map(String::as_str) == Some("super") {
                    at = self.tree.modules[at].parent?;
                    consumed += 1;
                }
                Target::Module(at)
            }
            "Self" => return None,
            name => self
                .lookup(module, name, depth)
                .unwrap_or_else(|| Target::External(vec![name.to_owned()])),
        };
        while let (Target::Module(at), Some(segment)) = (&current, segments.get(consumed)) {
            current = self.lookup(*at, segment, depth)?;
            consumed += 1;
        }
        Some(Resolution {
            target: current,
            consumed,
        })
    }

    /// Finds what `name` means inside `module`: a child module, an item, or
    /// a `use` binding, in that order, then glob imports.
    pub(crate) fn lookup(&self, module: usize, name: &str, depth: usize) -> Option<Target> {
        if depth > MAX_DEPTH {
            return None;
        }
        let current = &self.tree.modules[module];
        if let Some(child) = current.children.get(name) {
            return Some(Target::Module(*child));
        }
        let item = current.items.iter().position(|item| {
            !matches!(item, syn::Item::Mod(_)) && item_name(item).as_deref() == Some(name)
        });
        if let Some(index) = item {
            return Some(Target::Item { module, index });
        }
        for leaf in self.uses[module]
            .iter()
            .filter(|leaf| !leaf.glob && leaf.binding == name)
        {
            if let Some(target) = self.resolve_use(module, leaf, depth + 1) {
                return Some(target);
            }
        }
        for leaf in self.uses[module].iter().filter(|leaf| leaf.glob) {
            if let Some(Target::Module(source)) = self.resolve_use(module, leaf, depth + 1) {
                if source != module {
                    if let Some(target) = self.lookup(source, name, depth + 1) {
                        return Some(target);
                    }
                }
            }
        }
        None
    }

    /// Resolves the whole path of a `use` leaf; a leaf that names an enum
    /// variant or an associated item resolves to nothing.
    pub(crate) fn resolve_use(
        &self,
        module: usize,
        leaf: &UseLeaf,
        depth: usize,
    ) -> Option<Target> {
        let resolution = self.resolve_at(module, &leaf.path, leaf.leading_colon, depth)?;
        match resolution.target {
            Target::External(mut path) => {
                path.extend(leaf.path[resolution.consumed..].iter().cloned());
                Some(Target::External(path))
            }
            target if resolution.consumed == leaf.path.len() => Some(target),
            _ => None,
        }
    }

    /// Names that other modules can import from `module` with a glob.
    pub(crate) fn public_names(&self, module: usize) -> BTreeSet<String> {
        let current = &self.tree.modules[module];
        let mut names: BTreeSet<String> = current
            .items
            .iter()
            .filter(|item| is_public(item))
            .filter_map(item_name)
            .collect();
        for leaf in &self.uses[module] {
            let public = matches!(&current.items[leaf.index], syn::Item::Use(item) if matches!(item.vis, syn::Visibility::Public(_)));
            if public && !leaf.glob && leaf.binding != "_" {
                names.insert(leaf.binding.clone());
            }
        }
        names
    }
}

fn flatten_use(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    leading_colon: bool,
    index: usize,
    out: &mut Vec<UseLeaf>,
) {
    match tree {
        syn::UseTree::Path(path) => {
            let mut prefix = prefix;
            prefix.push(path.ident.to_string());
            flatten_use(&path.tree, prefix, leading_colon, index, out);
        }
        syn::UseTree::Name(name) => {
            let ident = name.ident.to_string();
            let (path, binding) = if ident == "self" {
                let binding = prefix.last().cloned().unwrap_or_default();
                (prefix, binding)
            } else {
                let mut path = prefix;
                path.push(ident.clone());
                (path, ident)
            };
            out.push(UseLeaf {
                binding,
                path,
                leading_colon,
                glob: false,
                index,
            });
        }
        syn::UseTree::Rename(rename) => {
            let ident = rename.ident.to_string();
            let path = if ident == "self" {
                prefix
            } else {
                let mut path = prefix;
                path.push(ident);
                path
            };
            out.push(UseLeaf {
                binding: rename.rename.to_string(),
                path,
                leading_colon,
                glob: false,
                index,
            });
        }
        syn::UseTree::Glob(_) => out.push(UseLeaf {
            binding: String::new(),
            path: prefix,
            leading_colon,
            glob: true,
            index,
        }),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten_use(tree, prefix.clone(), leading_colon, index, out);
            }
        }
    }
}

/// Returns the name an item defines, if it defines one.
pub(crate) fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Const(item) => &item.ident,
        syn::Item::Enum(item) => &item.ident,
        syn::Item::ExternCrate(item) => item
            .rename
            .as_ref()
            .map_or(&item.ident, |(_, rename)| rename),
        syn::Item::Fn(item) => &item.sig.ident,
        syn::Item::Macro(item) => item.ident.as_ref()?,
        syn::Item::Mod(item) => &item.ident,
        syn::Item::Static(item) => &item.ident,
        syn::Item::Struct(item) => &item.ident,
        syn::Item::Trait(item) => &item.ident,
        syn::Item::TraitAlias(item) => &item.ident,
        syn::Item::Type(item) => &item.ident,
        syn::Item::Union(item) => &item.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

pub(crate) fn is_public(item: &syn::Item) -> bool {
    let visibility = match item {
        syn::Item::Const(item) => &item.vis,
        syn::Item::Enum(item) => &item.vis,
        syn::Item::ExternCrate(item) => &item.vis,
        syn::Item::Fn(item) => &item.vis,
        syn::Item::Mod(item) => &item.vis,
        syn::Item::Static(item) => &item.vis,
        syn::Item::Struct(item) => &item.vis,
        syn::Item::Trait(item) => &item.vis,
        syn::Item::TraitAlias(item) => &item.vis,
        syn::Item::Type(item) => &item.vis,
        syn::Item::Union(item) => &item.vis,
        syn::Item::Use(item) => &item.vis,
        _ => return false,
    };
    matches!(visibility, syn::Visibility::Public(_))
}

/// Returns whether the attributes contain `#[doc(hidden)]`.
pub(crate) fn is_doc_hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("doc")
            && matches!(&attr.meta, syn::Meta::List(list) if list.tokens.to_string() == "hidden")
    })
}

/// One public path of an item or module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PublicPath {
    /// Whether `#[doc(hidden)]` is on the item or on a module or `use` on
    /// the way to it.
    pub(crate) hidden: bool,
    pub(crate) segments: Vec<String>,
}

/// Every public path of every crate item and module, and the external
/// items that the crate re-exports.
#[derive(Debug, Default)]
pub(crate) struct PublicPaths {
    pub(crate) by_target: BTreeMap<Target, BTreeSet<PublicPath>>,
    /// `(public path, external path)` pairs.
    pub(crate) external: BTreeSet<(PublicPath, Vec<String>)>,
}

impl PublicPaths {
    /// Walks the crate from its root through public modules and `pub use`.
    pub(crate) fn collect(resolver: &Resolver<'_>, crate_name: &str) -> Self {
        let mut paths = Self::default();
        let mut visited = BTreeSet::new();
        let root = PublicPath {
            hidden: false,
            segments: vec![crate_name.to_owned()],
        };
        paths.walk(resolver, 0, root, &mut visited);

        // `#[macro_export]` puts a macro at the crate root from any module.
        for (module, current) in resolver.tree.modules.iter().enumerate() {
            for (index, item) in current.items.iter().enumerate() {
                if let syn::Item::Macro(mac) = item {
                    let exported = mac
                        .attrs
                        .iter()
                        .any(|attr| attr.path().is_ident("macro_export"));
                    if let (true, Some(ident)) = (exported, &mac.ident) {
                        paths.record(
                            Target::Item { module, index },
                            PublicPath {
                                hidden: is_doc_hidden(&mac.attrs),
                                segments: vec![crate_name.to_owned(), ident.to_string()],
                            },
                        );
                    }
                }
            }
        }
        paths
    }

    /// Returns the path that names `target` everywhere in the surface: visible
    /// before hidden, then the shortest, then the first in sort order.
    pub(crate) fn canonical(&self, target: &Target) -> Option<&PublicPath> {
        self.by_target.get(target)?.iter().min_by(|a, b| {
            (a.hidden, a.segments.len(), &a.segments).cmp(&(
                b.hidden,
                b.segments.len(),
                &b.segments,
            ))
        })
    }

    fn record(&mut self, target: Target, path: PublicPath) {
        self.by_target.entry(target).or_default().insert(path);
    }

    fn walk(
        &mut self,
        resolver: &Resolver<'_>,
        module: usize,
        path: PublicPath,
        visited: &mut BTreeSet<(usize, Vec<String>)>,
    ) {
        if path.segments.len() > MAX_DEPTH || !visited.insert((module, path.segments.clone())) {
            return;
        }
        self.record(Target::Module(module), path.clone());

        let current = &resolver.tree.modules[module];
        for (index, item) in current.items.iter().enumerate() {
            if !is_public(item) {
                continue;
            }
            let hidden = path.hidden || is_doc_hidden(item_attrs(item));
            match item {
                syn::Item::Mod(child) => {
                    if let Some(child_module) = current.children.get(&child.ident.to_string()) {
                        self.walk(
                            resolver,
                            *child_module,
                            child_path(&path, hidden, &child.ident.to_string()),
                            visited,
                        );
                    }
                }
                syn::Item::Use(_) => {
                    for leaf in resolver
                        .uses(module)
                        .iter()
                        .filter(|leaf| leaf.index == index)
                    {
                        self.export_leaf(resolver, module, leaf, &path, hidden, visited);
                    }
                }
                syn::Item::Impl(_) | syn::Item::Macro(_) | syn::Item::ForeignMod(_) => {}
                other => {
                    if let Some(name) = item_name(other) {
                        self.record(
                            Target::Item { module, index },
                            child_path(&path, hidden, &name),
                        );
                    }
                }
            }
        }
    }

    fn export_leaf(
        &mut self,
        resolver: &Resolver<'_>,
        module: usize,
        leaf: &UseLeaf,
        path: &PublicPath,
        hidden: bool,
        visited: &mut BTreeSet<(usize, Vec<String>)>,
    ) {
        if !leaf.glob {
            if let Some(target) = resolver.resolve_use(module, leaf, 0) {
                self.export(
                    resolver,
                    target,
                    child_path(path, hidden, &leaf.binding),
                    visited,
                );
            }
            return;
        }
        // NOTE: a glob re-export of an external crate cannot be listed,
        // because its names are not in this crate's sources.
        if let Some(Target::Module(source)) = resolver.resolve_use(module, leaf, 0) {
            for name in resolver.public_names(source) {
                if let Some(target) = resolver.lookup(source, &name, 0) {
                    self.export(resolver, target, child_path(path, hidden, &name), visited);
                }
            }
        }
    }

    fn export(
        &mut self,
        resolver: &Resolver<'_>,
        target: Target,
        path: PublicPath,
        visited: &mut BTreeSet<(usize, Vec<String>)>,
    ) {
        match target {
            Target::Module(module) => self.walk(resolver, module, path, visited),
            Target::External(external) => {
                self.external.insert((path, external));
            }
            item => self.record(item, path),
        }
    }
}

fn child_path(parent: &PublicPath, hidden: bool, name: &str) -> PublicPath {
    let mut segments = parent.segments.clone();
    segments.push(name.to_owned());
    PublicPath { hidden, segments }
}
