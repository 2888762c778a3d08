//! A call graph of the crate's function and method bodies, read from
//! syntax.
//!
//! A path call (`helper(..)`, `Self::helper(..)`, `Type::new(..)`) is
//! resolved to the function or inherent method it names. A method call is
//! followed when its receiver's type is known from syntax alone: `self`,
//! a field of `self`, a parameter, or a `let` with a written type. Other
//! method calls are not followed, because their receiver's type needs type
//! checking. Calls to the generated operation methods are matched by name
//! on any receiver. Trait impl methods are entry points only, since the
//! compiler calls them (`fmt`, `into_future`, `poll_next`), not the crate
//! by name.

use std::collections::{BTreeMap, BTreeSet};

use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::Token;

use super::resolve::{PublicPaths, Resolver, Target};
use super::source::GENERATED_FILE;

/// A function or method body, with what it calls and names.
struct Body {
    module: usize,
    file: String,
    name: String,
    /// The crate item that the enclosing impl is for.
    owner: Option<Target>,
    /// The public path when the function is part of the public API.
    entry: Option<String>,
    /// The documentation, kept for generated methods.
    doc: String,
    /// `(receiver, method name)` pairs.
    method_calls: BTreeSet<(Receiver, String)>,
    /// The written types of parameters and `let` bindings, by name.
    locals: BTreeMap<String, syn::Type>,
    /// Path expressions, by segment.
    paths: BTreeSet<Vec<String>>,
    literals: BTreeSet<String>,
}

/// Every body of the crate, indexed for call resolution.
pub(crate) struct Bodies {
    list: Vec<Body>,
    constants: Constants,
    /// Module-level functions by their item.
    free: BTreeMap<Target, usize>,
    /// Handwritten inherent methods by type and name.
    inherent: BTreeMap<(Target, String), Vec<usize>>,
}

impl Bodies {
    pub(crate) fn collect(resolver: &Resolver<'_>, public: &PublicPaths) -> Self {
        let mut bodies = Self {
            list: Vec::new(),
            constants: Constants::default(),
            free: BTreeMap::new(),
            inherent: BTreeMap::new(),
        };
        for (module, current) in resolver.tree.modules.iter().enumerate() {
            for (index, item) in current.items.iter().enumerate() {
                let target = Target::Item { module, index };
                match item {
                    syn::Item::Fn(function) => {
                        let entry = public
                            .canonical(&target)
                            .filter(|_| is_public(&function.vis))
                            .map(|path| path.segments.join("::"));
                        let body = scan(
                            module,
                            &current.file,
                            &function.sig,
                            None,
                            entry,
                            &function.attrs,
                            &function.block,
                        );
                        bodies.free.insert(target, bodies.list.len());
                        bodies.list.push(body);
                    }
                    syn::Item::Const(constant) => {
                        bodies
                            .constants
                            .add(&current.file, &constant.ident, &constant.expr)
                    }
                    syn::Item::Impl(block) => bodies.add_impl(resolver, public, module, block),
                    syn::Item::Trait(definition) => {
                        let owner = public
                            .canonical(&target)
                            .map(|path| path.segments.join("::"));
                        for trait_item in &definition.items {
                            let syn::TraitItem::Fn(method) = trait_item else {
                                continue;
                            };
                            if let Some(block) = &method.default {
                                let entry = owner
                                    .as_ref()
                                    .map(|owner| format!("{owner}::{}", method.sig.ident));
                                let body = scan(
                                    module,
                                    &current.file,
                                    &method.sig,
                                    None,
                                    entry,
                                    &method.attrs,
                                    block,
                                );
                                bodies.list.push(body);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        bodies
    }

    fn add_impl(
        &mut self,
        resolver: &Resolver<'_>,
        public: &PublicPaths,
        module: usize,
        block: &syn::ItemImpl,
    ) {
        let file = resolver.tree.modules[module].file.clone();
        let owner = self_target(resolver, module, &block.self_ty);
        let owner_path = owner
            .as_ref()
            .and_then(|owner| public.canonical(owner))
            .map(|path| path.segments.join("::"));
        for impl_item in &block.items {
            match impl_item {
                syn::ImplItem::Fn(method) => {
                    let exposed = block.trait_.is_some() || is_public(&method.vis);
                    let entry = owner_path
                        .as_ref()
                        .filter(|_| exposed)
                        .map(|owner| format!("{owner}::{}", method.sig.ident));
                    let body = scan(
                        module,
                        &file,
                        &method.sig,
                        owner.clone(),
                        entry,
                        &method.attrs,
                        &method.block,
                    );
                    let index = self.list.len();
                    let callable = block.trait_.is_none() && file != GENERATED_FILE;
                    if let (true, Some(owner)) = (callable, &owner) {
                        self.inherent
                            .entry((owner.clone(), body.name.clone()))
                            .or_default()
                            .push(index);
                    }
                    self.list.push(body);
                }
                syn::ImplItem::Const(constant) => {
                    self.constants.add(&file, &constant.ident, &constant.expr)
                }
                _ => {}
            }
        }
    }

    /// The generated method whose documentation says that it sends
    /// `method` to `path`, as progenitor 0.15 writes it.
    pub(crate) fn generated_method(&self, method: &str, path: &str) -> Option<String> {
        let doc_line = format!("Sends a `{method}` request to `{path}`");
        self.list
            .iter()
            .find(|body| body.file == GENERATED_FILE && body.doc.contains(&doc_line))
            .map(|body| body.name.clone())
    }

    /// Returns the bodies that a call from `body` may run.
    fn callees(&self, resolver: &Resolver<'_>, body: &Body) -> BTreeSet<usize> {
        let mut callees = BTreeSet::new();
        for (receiver, name) in &body.method_calls {
            let Some(target) = receiver_target(resolver, body, receiver) else {
                continue;
            };
            if let Some(methods) = self.inherent.get(&(target, name.clone())) {
                callees.extend(methods);
            }
        }
        for path in &body.paths {
            callees.extend(self.path_callees(resolver, body, path));
        }
        callees
    }

    fn path_callees(&self, resolver: &Resolver<'_>, body: &Body, path: &[String]) -> Vec<usize> {
        if let ([first, name], Some(owner)) = (path, &body.owner) {
            if first == "Self" {
                return self
                    .inherent
                    .get(&(owner.clone(), name.clone()))
                    .cloned()
                    .unwrap_or_default();
            }
        }
        let Some(resolution) = resolver.resolve(body.module, path, false) else {
            return Vec::new();
        };
        if resolution.consumed == path.len() {
            return self
                .free
                .get(&resolution.target)
                .into_iter()
                .copied()
                .collect();
        }
        match (&resolution.target, path.get(resolution.consumed)) {
            (Target::Item { .. }, Some(name)) if resolution.consumed + 1 == path.len() => self
                .inherent
                .get(&(resolution.target.clone(), name.clone()))
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// The generated methods and operation ids that each public entry point
/// reaches.
pub(crate) struct Reach {
    /// Per entry: the generated methods it calls.
    generated_calls: BTreeMap<String, BTreeSet<String>>,
    /// Per entry: the `(file, literal)` pairs that the code it reaches names.
    literals: BTreeMap<String, BTreeSet<(String, String)>>,
}

impl Reach {
    /// Walks the call graph from each public entry point;
    /// `generated_methods` are the generated methods of the operations.
    pub(crate) fn compute(
        resolver: &Resolver<'_>,
        bodies: &Bodies,
        generated_methods: &BTreeSet<&str>,
    ) -> Self {
        let mut reach = Self {
            generated_calls: BTreeMap::new(),
            literals: BTreeMap::new(),
        };
        for (start, body) in bodies.list.iter().enumerate() {
            let Some(entry) = &body.entry else {
                continue;
            };
            let calls = reach.generated_calls.entry(entry.clone()).or_default();
            let literals = reach.literals.entry(entry.clone()).or_default();
            let mut visited = BTreeSet::from([start]);
            let mut pending = vec![start];
            while let Some(index) = pending.pop() {
                let body = &bodies.list[index];
                for literal in &body.literals {
                    literals.insert((body.file.clone(), literal.clone()));
                }
                for (_, name) in &body.method_calls {
                    if generated_methods.contains(name.as_str()) {
                        calls.insert(name.clone());
                    }
                }
                for path in &body.paths {
                    let Some(name) = path.last() else {
                        continue;
                    };
                    for (file, value) in bodies.constants.values(&body.file, name) {
                        literals.insert((file.to_owned(), value.to_owned()));
                    }
                }
                for next in bodies.callees(resolver, body) {
                    if visited.insert(next) {
                        pending.push(next);
                    }
                }
            }
        }
        reach
    }

    /// Returns the entry points that call the generated `method`.
    pub(crate) fn entries_calling(&self, method: &str) -> Vec<String> {
        self.generated_calls
            .iter()
            .filter(|(_, calls)| calls.contains(method))
            .map(|(entry, _)| entry.clone())
            .collect()
    }

    /// Returns the entry points that reach code in `module` (a file such as
    /// `src/create.rs`) naming `operation_id`.
    pub(crate) fn entries_naming(&self, operation_id: &str, module: &str) -> Vec<String> {
        let relative = module.strip_prefix("src/").unwrap_or(module);
        self.literals
            .iter()
            .filter(|(_, literals)| {
                literals
                    .iter()
                    .any(|(file, literal)| literal == operation_id && in_module(file, relative))
            })
            .map(|(entry, _)| entry.clone())
            .collect()
    }
}

/// Returns whether `file` belongs to the module whose file is `module`, both
/// relative to `src/`: `create.rs` contains `create.rs` and `create/*`,
/// and `events/mod.rs` contains `events/*`.
fn in_module(file: &str, module: &str) -> bool {
    if module.is_empty() {
        return false;
    }
    if let Some(directory) = module.strip_suffix("mod.rs") {
        return file.starts_with(directory);
    }
    let stem = module.trim_end_matches(".rs");
    file == module || file.starts_with(&format!("{stem}/"))
}

/// The string literals of every constant, by name and file.
#[derive(Default)]
struct Constants {
    by_name: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

impl Constants {
    fn add(&mut self, file: &str, name: &syn::Ident, expr: &syn::Expr) {
        let mut scanner = Scanner::default();
        scanner.visit_expr_mut(&mut expr.clone());
        self.by_name
            .entry(name.to_string())
            .or_default()
            .entry(file.to_owned())
            .or_default()
            .extend(scanner.literals);
    }

    /// Returns the `(file, literal)` pairs of the constants named `name`: those of
    /// `file` when it defines one, else those of every file.
    fn values<'a>(&'a self, file: &str, name: &str) -> Vec<(&'a str, &'a str)> {
        let Some(files) = self.by_name.get(name) else {
            return Vec::new();
        };
        let pairs = |(file, values): (&'a String, &'a BTreeSet<String>)| {
            values
                .iter()
                .map(move |value| (file.as_str(), value.as_str()))
        };
        match files.get_key_value(file) {
            Some(local) => pairs(local).collect(),
            None => files.iter().flat_map(pairs).collect(),
        }
    }
}

/// Returns the crate item that an impl's self type names, if any.
fn self_target(resolver: &Resolver<'_>, module: usize, ty: &syn::Type) -> Option<Target> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let idents: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let resolution = resolver.resolve(module, &idents, path.path.leading_colon.is_some())?;
    match resolution.target {
        Target::Item { .. } if resolution.consumed == idents.len() => Some(resolution.target),
        _ => None,
    }
}

fn is_public(visibility: &syn::Visibility) -> bool {
    matches!(visibility, syn::Visibility::Public(_))
}

fn scan(
    module: usize,
    file: &str,
    signature: &syn::Signature,
    owner: Option<Target>,
    entry: Option<String>,
    attrs: &[syn::Attribute],
    block: &syn::Block,
) -> Body {
    let mut scanner = Scanner::default();
    for input in &signature.inputs {
        if let syn::FnArg::Typed(typed) = input {
            scanner.bind(&typed.pat, &typed.ty);
        }
    }
    scanner.visit_block_mut(&mut block.clone());
    let name = &signature.ident;
    Body {
        module,
        file: file.to_owned(),
        name: name.to_string(),
        owner,
        entry,
        doc: if file == GENERATED_FILE {
            doc_text(attrs)
        } else {
            String::new()
        },
        method_calls: scanner.method_calls,
        locals: scanner.locals,
        paths: scanner.paths,
        literals: scanner.literals,
    }
}

fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut text = String::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("doc")) {
        if let syn::Meta::NameValue(syn::MetaNameValue {
            value:
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(line),
                    ..
                }),
            ..
        }) = &attr.meta
        {
            text.push_str(&line.value());
            text.push('\n');
        }
    }
    text
}

/// The expression that a method is called on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Receiver {
    /// `self`.
    SelfValue,
    /// `self.field`.
    SelfField(String),
    /// A parameter or local binding.
    Local(String),
    /// Anything else, whose type is not known without type checking.
    Other,
}

/// Returns the crate item that a method call's receiver is, when syntax
/// alone shows it.
fn receiver_target(resolver: &Resolver<'_>, body: &Body, receiver: &Receiver) -> Option<Target> {
    match receiver {
        Receiver::SelfValue => body.owner.clone(),
        Receiver::SelfField(field) => {
            let Some(Target::Item { module, index }) = &body.owner else {
                return None;
            };
            let syn::Item::Struct(owner) = &resolver.tree.modules[*module].items[*index] else {
                return None;
            };
            let field = owner
                .fields
                .iter()
                .find(|candidate| candidate.ident.as_ref().is_some_and(|ident| ident == field))?;
            type_target(resolver, *module, &field.ty)
        }
        Receiver::Local(name) => type_target(resolver, body.module, body.locals.get(name)?),
        Receiver::Other => None,
    }
}

/// Returns the crate item that a type names, through references.
fn type_target(resolver: &Resolver<'_>, module: usize, ty: &syn::Type) -> Option<Target> {
    match ty {
        syn::Type::Reference(reference) => type_target(resolver, module, &reference.elem),
        syn::Type::Paren(inner) => type_target(resolver, module, &inner.elem),
        syn::Type::Group(inner) => type_target(resolver, module, &inner.elem),
        other => self_target(resolver, module, other),
    }
}

/// Records the calls, paths, written local types and string literals of
/// a body.
#[derive(Default)]
struct Scanner {
    method_calls: BTreeSet<(Receiver, String)>,
    locals: BTreeMap<String, syn::Type>,
    paths: BTreeSet<Vec<String>>,
    literals: BTreeSet<String>,
}

impl Scanner {
    fn bind(&mut self, pattern: &syn::Pat, ty: &syn::Type) {
        if let syn::Pat::Ident(ident) = pattern {
            self.locals.insert(ident.ident.to_string(), ty.clone());
        }
    }
}

impl VisitMut for Scanner {
    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        let receiver = match call.receiver.as_ref() {
            syn::Expr::Path(path) if path.path.is_ident("self") => Receiver::SelfValue,
            syn::Expr::Path(path) => match path.path.get_ident() {
                Some(ident) => Receiver::Local(ident.to_string()),
                None => Receiver::Other,
            },
            syn::Expr::Field(field) => match (field.base.as_ref(), &field.member) {
                (syn::Expr::Path(base), syn::Member::Named(name)) if base.path.is_ident("self") => {
                    Receiver::SelfField(name.to_string())
                }
                _ => Receiver::Other,
            },
            _ => Receiver::Other,
        };
        self.method_calls
            .insert((receiver, call.method.to_string()));
        visit_mut::visit_expr_method_call_mut(self, call);
    }

    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        if let syn::Pat::Type(typed) = &local.pat {
            self.bind(&typed.pat, &typed.ty);
        }
        visit_mut::visit_local_mut(self, local);
    }

    fn visit_expr_path_mut(&mut self, path: &mut syn::ExprPath) {
        if path.qself.is_none() && path.path.leading_colon.is_none() {
            self.paths.insert(
                path.path
                    .segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect(),
            );
        }
        visit_mut::visit_expr_path_mut(self, path);
    }

    fn visit_lit_str_mut(&mut self, literal: &mut syn::LitStr) {
        self.literals.insert(literal.value());
    }

    // Macro arguments are tokens to syn; read them as expressions where
    // they parse as such, as in `format!` or `matches!`.
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if let Ok(mut arguments) =
            mac.parse_body_with(Punctuated::<syn::Expr, Token![,]>::parse_terminated)
        {
            for argument in &mut arguments {
                self.visit_expr_mut(argument);
            }
        }
    }
}
