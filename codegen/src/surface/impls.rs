//! Turns inherent impls and trait impls into surface lines.

use std::collections::BTreeSet;

use syn::visit_mut::VisitMut;

use super::cfg::{self, Cfg};
use super::items::{
    attribute_prefix, generic_names, signature_text, Line, GROUP_IMPL, GROUP_METHOD,
};
use super::render::{self, Renderer};
use super::resolve::Target;
use super::EntryKind;

pub(super) fn impl_lines(
    renderer: &Renderer<'_>,
    crate_name: &str,
    module: usize,
    item: &syn::ItemImpl,
    lines: &mut Vec<Line>,
) {
    let generics = generic_names(&item.generics);
    let self_target = self_type_target(renderer, module, &item.self_ty);
    let self_path = match &self_target {
        Some(target) => match renderer.public.canonical(target) {
            Some(path) => Some(path.segments.join("::")),
            // An impl of a type that is not public is not part of the API.
            None => return,
        },
        None => None,
    };
    let self_text = renderer.type_text(module, &generics, &item.self_ty);

    if item.trait_.is_none() {
        let Some(path) = self_path else {
            return;
        };
        let impl_prefix = if item.generics.params.is_empty() {
            String::new()
        } else {
            let mut header = syn::ItemImpl {
                items: Vec::new(),
                attrs: Vec::new(),
                ..item.clone()
            };
            renderer.rewrite(module, &generics, &mut header.generics, |r, g| {
                r.visit_generics_mut(g)
            });
            let text = render::item_to_line(syn::Item::Impl(header));
            let generic_part = text
                .split_once(' ')
                .map_or("", |(_, rest)| rest)
                .split_once(' ')
                .map_or("", |(generics, _)| generics);
            format!("impl{generic_part} ")
        };
        for impl_item in &item.items {
            if let Some(text) =
                inherent_item_text(renderer, module, &generics, impl_item, &self_text)
            {
                lines.push(Line {
                    path: path.clone(),
                    group: GROUP_METHOD,
                    order: 0,
                    kind: EntryKind::Method,
                    text: format!("{impl_prefix}{text}"),
                });
            }
        }
        return;
    }

    let mut header = item.clone();
    header.attrs.clear();
    header.items = item
        .items
        .iter()
        .filter(|impl_item| cfg::evaluate(impl_item_attrs(impl_item)) != Cfg::Off)
        .filter_map(associated_declaration)
        .collect();
    renderer.rewrite(module, &generics, &mut header, |r, i| {
        r.visit_item_impl_mut(i)
    });
    let text = render::item_to_line(syn::Item::Impl(header));
    let text = text.strip_suffix(" {}").unwrap_or(&text).to_owned();
    let path = match self_path {
        Some(path) => path,
        // An impl for an outside type belongs to the surface when its trait
        // names a public item, such as `impl From<Error> for String`.
        None if text.contains(&format!("{crate_name}::")) => self_text,
        None => return,
    };
    let prefix = attribute_prefix(&item.attrs, false);
    lines.push(Line {
        path,
        group: GROUP_IMPL,
        order: 0,
        kind: EntryKind::TraitImpl,
        text: format!("{prefix}{text}"),
    });
}

fn inherent_item_text(
    renderer: &Renderer<'_>,
    module: usize,
    generics: &BTreeSet<String>,
    item: &syn::ImplItem,
    self_text: &str,
) -> Option<String> {
    if cfg::evaluate(impl_item_attrs(item)) == Cfg::Off {
        return None;
    }
    match item {
        syn::ImplItem::Fn(method) if matches!(method.vis, syn::Visibility::Public(_)) => {
            let prefix = attribute_prefix(&method.attrs, false);
            let path = format!("{self_text}::{}", method.sig.ident);
            Some(format!(
                "{prefix}{}",
                signature_text(renderer, module, generics, &method.sig, &path)
            ))
        }
        syn::ImplItem::Const(constant) if matches!(constant.vis, syn::Visibility::Public(_)) => {
            let prefix = attribute_prefix(&constant.attrs, false);
            let ty = renderer.type_text(module, generics, &constant.ty);
            Some(format!(
                "{prefix}pub const {self_text}::{}: {ty}",
                constant.ident
            ))
        }
        _ => None,
    }
}

/// Keeps the associated types and constants of a trait impl, constants
/// without their values.
fn associated_declaration(item: &syn::ImplItem) -> Option<syn::ImplItem> {
    match item {
        syn::ImplItem::Type(item) => {
            let mut item = item.clone();
            item.attrs.clear();
            Some(syn::ImplItem::Type(item))
        }
        syn::ImplItem::Const(item) => {
            let mut item = item.clone();
            item.attrs.clear();
            item.expr = syn::parse_quote!(_);
            Some(syn::ImplItem::Const(item))
        }
        _ => None,
    }
}

fn impl_item_attrs(item: &syn::ImplItem) -> &[syn::Attribute] {
    match item {
        syn::ImplItem::Const(item) => &item.attrs,
        syn::ImplItem::Fn(item) => &item.attrs,
        syn::ImplItem::Type(item) => &item.attrs,
        syn::ImplItem::Macro(item) => &item.attrs,
        _ => &[],
    }
}

/// Returns the crate item that an impl's self type names, if any.
fn self_type_target(renderer: &Renderer<'_>, module: usize, ty: &syn::Type) -> Option<Target> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let idents: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let resolution =
        renderer
            .resolver
            .resolve(module, &idents, path.path.leading_colon.is_some())?;
    match resolution.target {
        Target::Item { .. } if resolution.consumed == idents.len() => Some(resolution.target),
        _ => None,
    }
}
