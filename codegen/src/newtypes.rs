//! Constructors that skip the generated check of a string newtype.
//!
//! progenitor turns a string schema with a `pattern` or a length limit into
//! a newtype whose `FromStr` checks the value with a regular expression. The
//! handwritten layer checks ids itself before a request is built, with
//! messages that name the invalid character or length. Running the
//! generated regular expression again on every call would cost more than
//! the rest of the check.
//! So every such newtype gets a crate-private `from_checked`, which the
//! handwritten layer calls only after its own check. Tests in the crate
//! compare that check with the generated `FromStr`, so the two cannot drift
//! apart when the spec's pattern changes.

use crate::error::CodegenError;

/// Adds `pub(crate) fn from_checked(String) -> Self` to every
/// `pub struct Name(::std::string::String)` of the `types` module.
pub(crate) fn add_checked_constructors(
    file: &str,
    syntax: &mut syn::File,
) -> Result<(), CodegenError> {
    let Some((_, items)) = syntax.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    }) else {
        return Ok(());
    };

    let names: Vec<syn::Ident> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) if wraps_string(&item.fields) => Some(item.ident.clone()),
            _ => None,
        })
        .collect();
    for name in names {
        let tokens = quote::quote! {
            impl #name {
                /// Wraps a value that the caller has already checked
                /// against the schema, without checking it again.
                pub(crate) fn from_checked(value: ::std::string::String) -> Self {
                    Self(value)
                }
            }
        };
        let item: syn::Item = syn::parse2(tokens).map_err(|source| CodegenError::Internal {
            file: file.to_owned(),
            reason: format!("the constructor of `{name}` does not parse as Rust: {source}"),
        })?;
        items.push(item);
    }
    Ok(())
}

/// Returns whether the fields are one unnamed `String`.
fn wraps_string(fields: &syn::Fields) -> bool {
    let syn::Fields::Unnamed(fields) = fields else {
        return false;
    };
    let mut fields = fields.unnamed.iter();
    let (Some(field), None) = (fields.next(), fields.next()) else {
        return false;
    };
    let syn::Type::Path(path) = &field.ty else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "String" && segment.arguments.is_empty())
}

#[cfg(test)]
mod tests {
    use super::add_checked_constructors;

    fn run(code: &str) -> String {
        let mut syntax: syn::File = syn::parse_str(code).expect("test code parses");
        add_checked_constructors("test.yaml", &mut syntax).expect("constructors added");
        prettyplease::unparse(&syntax)
    }

    #[test]
    fn string_newtypes_get_a_constructor() {
        let out = run("pub mod types { pub struct Id(::std::string::String); \
             pub struct Name(String); }");
        assert_eq!(out.matches("fn from_checked").count(), 2, "{out}");
        assert!(out.contains("impl Id"), "{out}");
        assert!(out.contains("impl Name"), "{out}");
    }

    #[test]
    fn other_structs_are_left_alone() {
        let out = run("pub mod types { pub struct Count(u64); \
             pub struct Pair(String, String); pub struct Named { id: String } \
             pub struct Wrapped(Vec<String>); }");
        assert!(!out.contains("from_checked"), "{out}");
    }

    #[test]
    fn code_without_types_module_is_unchanged() {
        let out = run("pub struct Id(String);");
        assert!(!out.contains("from_checked"), "{out}");
    }
}
