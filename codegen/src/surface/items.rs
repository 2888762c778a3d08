//! Turns public items, inherent impls and trait impls into surface lines.

use std::collections::BTreeSet;

use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::Token;

use super::cfg::{self, Cfg};
use super::render::{self, named_item_line, placeholder, Renderer};
use super::resolve::{self, Target};
use super::{Entry, EntryKind};

/// The order of an item's lines: the item, its members in declaration
/// order, its methods, then its trait impls.
const GROUP_ITEM: u8 = 0;
const GROUP_MEMBER: u8 = 1;
pub(super) const GROUP_METHOD: u8 = 2;
pub(super) const GROUP_IMPL: u8 = 3;

pub(super) struct Line {
    pub(super) path: String,
    pub(super) group: u8,
    pub(super) order: usize,
    pub(super) kind: EntryKind,
    pub(super) text: String,
}

pub(crate) fn entries(renderer: &Renderer<'_>, crate_name: &str) -> Vec<Entry> {
    let mut lines = Vec::new();
    for (target, paths) in &renderer.public.by_target {
        let Some(canonical) = renderer.public.canonical(target) else {
            continue;
        };
        let path = canonical.segments.join("::");
        for alias in paths.iter().filter(|alias| *alias != canonical) {
            let hidden = if alias.hidden { "#[doc(hidden)] " } else { "" };
            lines.push(Line {
                path: alias.segments.join("::"),
                group: GROUP_ITEM,
                order: 0,
                kind: EntryKind::ReExport,
                text: format!("{hidden}pub use {path} as {}", alias.segments.join("::")),
            });
        }
        match target {
            Target::Module(_) => {
                let hidden = if canonical.hidden {
                    "#[doc(hidden)] "
                } else {
                    ""
                };
                lines.push(item_line(
                    &path,
                    EntryKind::Module,
                    format!("{hidden}pub mod {path}"),
                ));
            }
            Target::Item { module, index } => {
                let item = &renderer.resolver.tree.modules[*module].items[*index];
                item_lines(renderer, *module, item, &path, canonical.hidden, &mut lines);
            }
            Target::External(_) => {}
        }
    }
    for (path, external) in &renderer.public.external {
        let public_path = path.segments.join("::");
        let hidden = if path.hidden { "#[doc(hidden)] " } else { "" };
        lines.push(Line {
            path: public_path.clone(),
            group: GROUP_ITEM,
            order: 0,
            kind: EntryKind::ReExport,
            text: format!("{hidden}pub use {} as {public_path}", external.join("::")),
        });
    }
    for (module, current) in renderer.resolver.tree.modules.iter().enumerate() {
        for item in &current.items {
            if let syn::Item::Impl(item) = item {
                super::impls::impl_lines(renderer, crate_name, module, item, &mut lines);
            }
        }
    }

    lines.sort_by(|a, b| {
        (&a.path, a.group, a.order, &a.text).cmp(&(&b.path, b.group, b.order, &b.text))
    });
    let mut entries: Vec<Entry> = lines
        .into_iter()
        .map(|line| Entry {
            path: line.path,
            kind: line.kind,
            text: line.text,
        })
        .collect();
    entries.dedup();
    entries
}

fn item_line(path: &str, kind: EntryKind, text: String) -> Line {
    Line {
        path: path.to_owned(),
        group: GROUP_ITEM,
        order: 0,
        kind,
        text,
    }
}

fn item_lines(
    renderer: &Renderer<'_>,
    module: usize,
    item: &syn::Item,
    path: &str,
    hidden: bool,
    lines: &mut Vec<Line>,
) {
    let attrs = super::source::item_attrs(item);
    let prefix = attribute_prefix(attrs, hidden);
    match item {
        syn::Item::Struct(item) => {
            let generics = generic_names(&item.generics);
            let mut header = item.clone();
            header.attrs.clear();
            header.ident = placeholder();
            header.fields = syn::Fields::Unit;
            header.semi_token = Some(Default::default());
            renderer.rewrite(module, &generics, &mut header.generics, |r, g| {
                r.visit_generics_mut(g)
            });
            let mut text = format!(
                "{prefix}{}",
                named_item_line(syn::Item::Struct(header), path)
            );
            text.push_str(private_fields_marker(&item.fields));
            lines.push(item_line(path, EntryKind::Struct, text));
            field_lines(renderer, module, &generics, &item.fields, path, lines);
            derive_lines(
                renderer,
                module,
                &generics,
                attrs,
                &self_type_text(path, &item.generics),
                path,
                lines,
            );
        }
        syn::Item::Union(item) => {
            let generics = generic_names(&item.generics);
            let mut header = item.clone();
            header.attrs.clear();
            header.ident = placeholder();
            header.fields.named.clear();
            renderer.rewrite(module, &generics, &mut header.generics, |r, g| {
                r.visit_generics_mut(g)
            });
            let fields = syn::Fields::Named(item.fields.clone());
            let mut text = format!(
                "{prefix}{}",
                named_item_line(syn::Item::Union(header), path)
            );
            text = text.trim_end_matches(" {}").to_owned();
            text.push_str(private_fields_marker(&fields));
            lines.push(item_line(path, EntryKind::Union, text));
            field_lines(renderer, module, &generics, &fields, path, lines);
            derive_lines(
                renderer,
                module,
                &generics,
                attrs,
                &self_type_text(path, &item.generics),
                path,
                lines,
            );
        }
        syn::Item::Enum(item) => {
            let generics = generic_names(&item.generics);
            let mut header = item.clone();
            header.attrs.clear();
            header.ident = placeholder();
            header.variants.clear();
            renderer.rewrite(module, &generics, &mut header.generics, |r, g| {
                r.visit_generics_mut(g)
            });
            let text = format!("{prefix}{}", named_item_line(syn::Item::Enum(header), path));
            lines.push(item_line(path, EntryKind::Enum, text));
            for (order, variant) in item.variants.iter().enumerate() {
                lines.push(Line {
                    path: path.to_owned(),
                    group: GROUP_MEMBER,
                    order,
                    kind: EntryKind::Variant,
                    text: variant_text(renderer, module, &generics, variant, path),
                });
            }
            derive_lines(
                renderer,
                module,
                &generics,
                attrs,
                &self_type_text(path, &item.generics),
                path,
                lines,
            );
        }
        syn::Item::Trait(item) => {
            let generics = generic_names(&item.generics);
            let mut header = item.clone();
            header.attrs.clear();
            header.ident = placeholder();
            header.items.clear();
            renderer.rewrite(module, &generics, &mut header, |r, t| {
                r.visit_item_trait_mut(t)
            });
            let text = format!(
                "{prefix}{}",
                named_item_line(syn::Item::Trait(header), path)
            );
            lines.push(item_line(path, EntryKind::Trait, text));
            for (order, trait_item) in item.items.iter().enumerate() {
                if let Some(text) = trait_item_text(renderer, module, &generics, trait_item, path) {
                    lines.push(Line {
                        path: path.to_owned(),
                        group: GROUP_MEMBER,
                        order,
                        kind: EntryKind::TraitItem,
                        text,
                    });
                }
            }
        }
        syn::Item::Type(item) => {
            let generics = generic_names(&item.generics);
            let mut alias = item.clone();
            alias.attrs.clear();
            alias.ident = placeholder();
            renderer.rewrite(module, &generics, &mut alias, |r, t| {
                r.visit_item_type_mut(t)
            });
            let text = format!("{prefix}{}", named_item_line(syn::Item::Type(alias), path));
            lines.push(item_line(path, EntryKind::TypeAlias, text));
        }
        syn::Item::Fn(item) => {
            let text = format!(
                "{prefix}{}",
                signature_text(renderer, module, &BTreeSet::new(), &item.sig, path)
            );
            lines.push(item_line(path, EntryKind::Function, text));
        }
        syn::Item::Const(item) => {
            let ty = renderer.type_text(module, &BTreeSet::new(), &item.ty);
            lines.push(item_line(
                path,
                EntryKind::Constant,
                format!("{prefix}pub const {path}: {ty}"),
            ));
        }
        syn::Item::Static(item) => {
            let ty = renderer.type_text(module, &BTreeSet::new(), &item.ty);
            let mutability = if matches!(item.mutability, syn::StaticMutability::Mut(_)) {
                "mut "
            } else {
                ""
            };
            lines.push(item_line(
                path,
                EntryKind::Static,
                format!("{prefix}pub static {mutability}{path}: {ty}"),
            ));
        }
        syn::Item::Macro(_) => {
            lines.push(item_line(
                path,
                EntryKind::Macro,
                format!("{prefix}#[macro_export] macro_rules! {path}"),
            ));
        }
        syn::Item::ExternCrate(item) => {
            let text = format!("{prefix}pub extern crate {} as {path}", item.ident);
            lines.push(item_line(path, EntryKind::ReExport, text));
        }
        syn::Item::TraitAlias(_) => {
            lines.push(item_line(
                path,
                EntryKind::Trait,
                format!("{prefix}pub trait {path} = .."),
            ));
        }
        _ => {}
    }
}

fn field_lines(
    renderer: &Renderer<'_>,
    module: usize,
    generics: &BTreeSet<String>,
    fields: &syn::Fields,
    path: &str,
    lines: &mut Vec<Line>,
) {
    for (order, field) in fields.iter().enumerate() {
        if !matches!(field.vis, syn::Visibility::Public(_)) {
            continue;
        }
        let name = field
            .ident
            .as_ref()
            .map_or_else(|| order.to_string(), ToString::to_string);
        let ty = renderer.type_text(module, generics, &field.ty);
        let prefix = attribute_prefix(&field.attrs, false);
        lines.push(Line {
            path: path.to_owned(),
            group: GROUP_MEMBER,
            order,
            kind: EntryKind::Field,
            text: format!("{prefix}pub {path}::{name}: {ty}"),
        });
    }
}

fn private_fields_marker(fields: &syn::Fields) -> &'static str {
    let private = fields
        .iter()
        .any(|field| !matches!(field.vis, syn::Visibility::Public(_)));
    match (fields, private) {
        (syn::Fields::Named(_), true) => " { /* private fields */ }",
        (syn::Fields::Unnamed(_), true) => "(/* private fields */)",
        _ => "",
    }
}

fn variant_text(
    renderer: &Renderer<'_>,
    module: usize,
    generics: &BTreeSet<String>,
    variant: &syn::Variant,
    path: &str,
) -> String {
    let prefix = attribute_prefix(&variant.attrs, false);
    let fields = match &variant.fields {
        syn::Fields::Unit => String::new(),
        syn::Fields::Unnamed(fields) => {
            let types: Vec<String> = fields
                .unnamed
                .iter()
                .map(|field| renderer.type_text(module, generics, &field.ty))
                .collect();
            format!("({})", types.join(", "))
        }
        syn::Fields::Named(fields) => {
            let types: Vec<String> = fields
                .named
                .iter()
                .map(|field| {
                    let name = field
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    format!(
                        "{name}: {}",
                        renderer.type_text(module, generics, &field.ty)
                    )
                })
                .collect();
            format!(" {{ {} }}", types.join(", "))
        }
    };
    let discriminant = variant
        .discriminant
        .as_ref()
        .map(|(_, value)| format!(" = {}", quote::ToTokens::to_token_stream(value)))
        .unwrap_or_default();
    format!("{prefix}{path}::{}{fields}{discriminant}", variant.ident)
}

fn trait_item_text(
    renderer: &Renderer<'_>,
    module: usize,
    generics: &BTreeSet<String>,
    item: &syn::TraitItem,
    path: &str,
) -> Option<String> {
    match item {
        syn::TraitItem::Fn(item) => {
            let prefix = attribute_prefix(&item.attrs, false);
            Some(format!(
                "{prefix}{}",
                signature_text(
                    renderer,
                    module,
                    generics,
                    &item.sig,
                    &format!("{path}::{}", item.sig.ident)
                )
            ))
        }
        syn::TraitItem::Const(item) => {
            let ty = renderer.type_text(module, generics, &item.ty);
            Some(format!("const {path}::{}: {ty}", item.ident))
        }
        syn::TraitItem::Type(item) => {
            let mut item = item.clone();
            item.attrs.clear();
            item.default = None;
            renderer.rewrite(module, generics, &mut item, |r, t| {
                r.visit_trait_item_type_mut(t)
            });
            let text = quote::ToTokens::to_token_stream(&item.bounds).to_string();
            let bounds = if item.bounds.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            };
            Some(format!("type {path}::{}{bounds}", item.ident))
        }
        _ => None,
    }
}

/// Renders `pub fn path(...) -> ...` for a signature, written in `module`
/// inside an item whose generic parameters are `outer`.
pub(super) fn signature_text(
    renderer: &Renderer<'_>,
    module: usize,
    outer: &BTreeSet<String>,
    signature: &syn::Signature,
    path: &str,
) -> String {
    let mut signature = signature.clone();
    signature.ident = placeholder();
    let mut generics = outer.clone();
    generics.extend(generic_names(&signature.generics));
    for input in &mut signature.inputs {
        match input {
            syn::FnArg::Receiver(receiver) => {
                receiver.attrs.clear();
                // `mut self` binds mutably, which callers do not see, while
                // the `mut` of `&mut self` is part of the signature.
                if receiver.reference.is_none() {
                    receiver.mutability = None;
                }
            }
            syn::FnArg::Typed(typed) => {
                typed.attrs.clear();
                if let syn::Pat::Ident(ident) = typed.pat.as_mut() {
                    ident.mutability = None;
                }
            }
        }
    }
    renderer.rewrite(module, &generics, &mut signature, |r, s| {
        r.visit_signature_mut(s)
    });
    let item = syn::Item::Fn(syn::ItemFn {
        attrs: Vec::new(),
        vis: syn::parse_quote!(pub),
        sig: signature,
        block: Box::new(syn::parse_quote!({})),
    });
    named_item_line(item, path)
}

fn derive_lines(
    renderer: &Renderer<'_>,
    module: usize,
    generics: &BTreeSet<String>,
    attrs: &[syn::Attribute],
    self_text: &str,
    path: &str,
    lines: &mut Vec<Line>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("derive")) {
        let Ok(traits) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        for mut trait_path in traits {
            qualify_std_derive(&mut trait_path);
            renderer.rewrite(module, generics, &mut trait_path, |r, p| {
                r.visit_path_mut(p)
            });
            let trait_type = syn::Type::Path(syn::TypePath {
                qself: None,
                path: trait_path,
            });
            lines.push(Line {
                path: path.to_owned(),
                group: GROUP_IMPL,
                order: 0,
                kind: EntryKind::TraitImpl,
                text: format!(
                    "impl {} for {self_text}",
                    render::type_to_string(&trait_type)
                ),
            });
        }
    }
}

/// Writes the standard derives that are not in the prelude by their full
/// path, as a written impl names them: `Debug` as `std::fmt::Debug`.
fn qualify_std_derive(path: &mut syn::Path) {
    if path.is_ident("Debug") {
        *path = syn::parse_quote!(std::fmt::Debug);
    } else if path.is_ident("Hash") {
        *path = syn::parse_quote!(std::hash::Hash);
    }
}

/// `path` followed by the item's generic parameters, without bounds.
fn self_type_text(path: &str, generics: &syn::Generics) -> String {
    if generics.params.is_empty() {
        return path.to_owned();
    }
    let params: Vec<String> = generics
        .params
        .iter()
        .map(|param| match param {
            syn::GenericParam::Lifetime(lifetime) => lifetime.lifetime.to_string(),
            syn::GenericParam::Type(ty) => ty.ident.to_string(),
            syn::GenericParam::Const(constant) => constant.ident.to_string(),
        })
        .collect();
    format!("{path}<{}>", params.join(", "))
}

pub(super) fn generic_names(generics: &syn::Generics) -> BTreeSet<String> {
    generics
        .params
        .iter()
        .filter_map(|param| match param {
            syn::GenericParam::Type(ty) => Some(ty.ident.to_string()),
            syn::GenericParam::Const(constant) => Some(constant.ident.to_string()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// Renders the attributes that change what a user may do with an item,
/// each followed by a space, and `#[doc(hidden)]` also when `hidden` is set.
pub(super) fn attribute_prefix(attrs: &[syn::Attribute], hidden: bool) -> String {
    let mut prefix = String::new();
    for attr in attrs {
        let shown = if attr.path().is_ident("cfg") {
            cfg::evaluate(std::slice::from_ref(attr)) == Cfg::Depends
        } else {
            ["deprecated", "non_exhaustive", "repr"]
                .iter()
                .any(|name| attr.path().is_ident(name))
        };
        if shown {
            prefix.push_str(&render::attribute_to_string(attr));
            prefix.push(' ');
        }
    }
    if hidden || resolve::is_doc_hidden(attrs) {
        prefix.push_str("#[doc(hidden)] ");
    }
    prefix
}
