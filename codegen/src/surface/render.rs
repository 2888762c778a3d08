//! Renders items as one-line signatures.
//!
//! A path into the crate becomes the item's public path (or `crate::...`
//! when it has none), an imported external name its full path, and a
//! prelude type its short name. A line then changes only when what it
//! names changes.

use std::collections::BTreeSet;

use syn::visit_mut::{self, VisitMut};

use super::resolve::{PublicPaths, Resolver, Target};

/// The name written in place of an item's own name while rendering, then
/// replaced by its public path.
const PLACEHOLDER: &str = "__SurfaceName";

/// Prelude items, by the module of `std`, `core` or `alloc` that defines
/// them.
const PRELUDE: &[(&str, &str)] = &[
    ("borrow", "ToOwned"),
    ("boxed", "Box"),
    ("clone", "Clone"),
    ("cmp", "Eq"),
    ("cmp", "Ord"),
    ("cmp", "PartialEq"),
    ("cmp", "PartialOrd"),
    ("convert", "AsMut"),
    ("convert", "AsRef"),
    ("convert", "From"),
    ("convert", "Into"),
    ("convert", "TryFrom"),
    ("convert", "TryInto"),
    ("default", "Default"),
    ("iter", "DoubleEndedIterator"),
    ("iter", "ExactSizeIterator"),
    ("iter", "Extend"),
    ("iter", "FromIterator"),
    ("iter", "IntoIterator"),
    ("iter", "Iterator"),
    ("marker", "Copy"),
    ("marker", "Send"),
    ("marker", "Sized"),
    ("marker", "Sync"),
    ("marker", "Unpin"),
    ("ops", "Drop"),
    ("ops", "Fn"),
    ("ops", "FnMut"),
    ("ops", "FnOnce"),
    ("option", "Option"),
    ("result", "Result"),
    ("string", "String"),
    ("string", "ToString"),
    ("vec", "Vec"),
];

pub(crate) struct Renderer<'a> {
    pub(crate) resolver: &'a Resolver<'a>,
    pub(crate) public: &'a PublicPaths,
}

impl Renderer<'_> {
    /// Returns the path that names `target` in the surface.
    pub(crate) fn target_path(&self, target: &Target) -> Vec<String> {
        if let Some(path) = self.public.canonical(target) {
            return path.segments.clone();
        }
        match target {
            Target::External(path) => path.clone(),
            Target::Module(module) => {
                let mut path = vec!["crate".to_owned()];
                path.extend(self.resolver.tree.modules[*module].path.iter().cloned());
                path
            }
            Target::Item { module, index } => {
                let mut path = vec!["crate".to_owned()];
                path.extend(self.resolver.tree.modules[*module].path.iter().cloned());
                let item = &self.resolver.tree.modules[*module].items[*index];
                path.push(super::resolve::item_name(item).unwrap_or_default());
                path
            }
        }
    }

    /// Rewrites every path in `node`, as written in `module` where the
    /// names in `generics` are generic parameters.
    pub(crate) fn rewrite<T>(
        &self,
        module: usize,
        generics: &BTreeSet<String>,
        node: &mut T,
        visit: fn(&mut PathRewriter<'_, '_>, &mut T),
    ) {
        let mut rewriter = PathRewriter {
            renderer: self,
            module,
            generics,
        };
        visit(&mut rewriter, node);
    }

    pub(crate) fn type_text(
        &self,
        module: usize,
        generics: &BTreeSet<String>,
        ty: &syn::Type,
    ) -> String {
        let mut ty = ty.clone();
        self.rewrite(module, generics, &mut ty, |rewriter, ty| {
            rewriter.visit_type_mut(ty)
        });
        type_to_string(&ty)
    }
}

pub(crate) struct PathRewriter<'r, 'a> {
    renderer: &'r Renderer<'a>,
    module: usize,
    generics: &'r BTreeSet<String>,
}

impl VisitMut for PathRewriter<'_, '_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        visit_mut::visit_path_mut(self, path);
        self.rewrite_path(path);
    }

    // Attribute and macro paths are not part of a signature.
    fn visit_attribute_mut(&mut self, _: &mut syn::Attribute) {}

    fn visit_macro_mut(&mut self, _: &mut syn::Macro) {}
}

impl PathRewriter<'_, '_> {
    fn rewrite_path(&self, path: &mut syn::Path) {
        let idents: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        let is_generic =
            path.leading_colon.is_none() && idents.len() == 1 && self.generics.contains(&idents[0]);
        if is_generic {
            return;
        }
        let resolution =
            self.renderer
                .resolver
                .resolve(self.module, &idents, path.leading_colon.is_some());
        if let Some(resolution) = resolution {
            let replacement = self.renderer.target_path(&resolution.target);
            replace_front(path, resolution.consumed, &replacement);
        }
        path.leading_colon = None;
        shorten_prelude(path);
    }
}

/// Replaces the first `consumed` segments of `path` with `replacement`; the
/// generic arguments of the last replaced segment move to the new last one.
fn replace_front(path: &mut syn::Path, consumed: usize, replacement: &[String]) {
    let old: Vec<syn::PathSegment> = path.segments.iter().cloned().collect();
    let arguments = consumed
        .checked_sub(1)
        .and_then(|last| old.get(last))
        .map(|segment| segment.arguments.clone())
        .unwrap_or(syn::PathArguments::None);

    let mut segments = syn::punctuated::Punctuated::new();
    for (position, name) in replacement.iter().enumerate() {
        let mut segment =
            syn::PathSegment::from(syn::Ident::new(name, proc_macro2::Span::call_site()));
        if position + 1 == replacement.len() {
            segment.arguments = arguments.clone();
        }
        segments.push(segment);
    }
    segments.extend(old.into_iter().skip(consumed));
    path.segments = segments;
}

/// Writes `std::string::String` as `String`, and the like for every
/// prelude item.
fn shorten_prelude(path: &mut syn::Path) {
    if path.segments.len() != 3 {
        return;
    }
    let names: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let from_std = matches!(names[0].as_str(), "std" | "core" | "alloc");
    if from_std && PRELUDE.contains(&(names[1].as_str(), names[2].as_str())) {
        let last = path.segments.pop().map(syn::punctuated::Pair::into_value);
        path.segments.clear();
        if let Some(last) = last {
            path.segments.push(last);
        }
    }
}

/// Formats one item with prettyplease and joins its lines into one.
pub(crate) fn item_to_line(item: syn::Item) -> String {
    let file = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![item],
    };
    collapse(&prettyplease::unparse(&file))
}

/// Formats an item whose name is [`PLACEHOLDER`] and puts `path` in its
/// place; a trailing `;` or empty body is dropped.
pub(crate) fn named_item_line(item: syn::Item, path: &str) -> String {
    let line = item_to_line(item);
    let line = line
        .strip_suffix(" {}")
        .or_else(|| line.strip_suffix(';'))
        .unwrap_or(&line);
    line.replacen(PLACEHOLDER, path, 1)
}

pub(crate) fn placeholder() -> syn::Ident {
    syn::Ident::new(PLACEHOLDER, proc_macro2::Span::call_site())
}

pub(crate) fn type_to_string(ty: &syn::Type) -> String {
    let item: syn::Item = syn::parse_quote!(type __SurfaceType = #ty;);
    let line = item_to_line(item);
    line.strip_prefix("type __SurfaceType = ")
        .and_then(|rest| rest.strip_suffix(';'))
        .unwrap_or(&line)
        .to_owned()
}

pub(crate) fn attribute_to_string(attr: &syn::Attribute) -> String {
    let mut item: syn::ItemStruct = syn::parse_quote!(
        struct __SurfaceAttr;
    );
    item.attrs.push(attr.clone());
    let text = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![syn::Item::Struct(item)],
    });
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// Joins prettyplease's lines into one line, dropping the trailing commas
/// that it adds when it breaks a list.
pub(crate) fn collapse(text: &str) -> String {
    let mut line = String::new();
    for part in text.lines().map(str::trim).filter(|part| !part.is_empty()) {
        if line.is_empty() {
            line.push_str(part);
            continue;
        }
        let closes = part.starts_with([')', ']', '>', '}', '{', ';']);
        if closes && line.ends_with(',') {
            line.pop();
        }
        let opens = line.ends_with(['(', '[', '<']);
        let tight = opens || part.starts_with([')', ']', '>', ';']);
        if !tight {
            line.push(' ');
        }
        line.push_str(part);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::collapse;

    #[test]
    fn collapse_broken_argument_list() {
        let text = "pub fn f<'a>(\n    &'a self,\n    id: &'a str,\n) -> Result<\n    Vec<u8>,\n    Error,\n> {}\n";
        assert_eq!(
            collapse(text),
            "pub fn f<'a>(&'a self, id: &'a str) -> Result<Vec<u8>, Error> {}"
        );
    }

    #[test]
    fn collapse_where_clause() {
        let text = "pub fn f<T>(x: T)\nwhere\n    T: Clone,\n{}\n";
        assert_eq!(collapse(text), "pub fn f<T>(x: T) where T: Clone {}");
    }

    #[test]
    fn collapse_impl_body() {
        let text = "impl Deref for X {\n    type Target = T;\n}\n";
        assert_eq!(collapse(text), "impl Deref for X { type Target = T; }");
    }
}
