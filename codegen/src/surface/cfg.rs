//! Evaluates `#[cfg(...)]` for the surface: `test` is off, and every other
//! predicate (features, target, `debug_assertions`) may be on, so an item
//! under it is kept and shown with its `cfg`.

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

/// Whether an item exists in a non-test build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cfg {
    /// In every build.
    On,
    /// In no non-test build, such as `#[cfg(test)]`.
    Off,
    /// In some builds, depending on features or the target.
    Depends,
}

/// Combines every `#[cfg]` of `attrs`.
pub(crate) fn evaluate(attrs: &[Attribute]) -> Cfg {
    let mut result = Cfg::On;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("cfg")) {
        let value = match &attr.meta {
            Meta::List(list) => list
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .ok()
                .and_then(|predicates| predicates.into_iter().next())
                .map_or(Cfg::Depends, |predicate| predicate_value(&predicate)),
            _ => Cfg::Depends,
        };
        result = all([result, value]);
    }
    result
}

fn predicate_value(predicate: &Meta) -> Cfg {
    match predicate {
        Meta::Path(path) if path.is_ident("test") => Cfg::Off,
        Meta::List(list) => {
            let inner: Vec<Cfg> = list
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .map(|items| items.iter().map(predicate_value).collect())
                .unwrap_or_default();
            if list.path.is_ident("not") {
                match inner.first() {
                    Some(Cfg::On) => Cfg::Off,
                    Some(Cfg::Off) => Cfg::On,
                    _ => Cfg::Depends,
                }
            } else if list.path.is_ident("all") {
                all(inner)
            } else if list.path.is_ident("any") {
                any(inner)
            } else {
                Cfg::Depends
            }
        }
        _ => Cfg::Depends,
    }
}

fn all(values: impl IntoIterator<Item = Cfg>) -> Cfg {
    let mut result = Cfg::On;
    for value in values {
        match value {
            Cfg::Off => return Cfg::Off,
            Cfg::Depends => result = Cfg::Depends,
            Cfg::On => {}
        }
    }
    result
}

fn any(values: impl IntoIterator<Item = Cfg>) -> Cfg {
    let mut result = Cfg::Off;
    for value in values {
        match value {
            Cfg::On => return Cfg::On,
            Cfg::Depends => result = Cfg::Depends,
            Cfg::Off => {}
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::{evaluate, Cfg};

    fn cfg_of(source: &str) -> Cfg {
        let item: syn::ItemFn = syn::parse_str(&format!("{source} fn f() {{}}")).unwrap();
        evaluate(&item.attrs)
    }

    #[test]
    fn cfg_test_is_off() {
        assert_eq!(cfg_of("#[cfg(test)]"), Cfg::Off);
        assert_eq!(cfg_of("#[cfg(all(test, feature = \"x\"))]"), Cfg::Off);
    }

    #[test]
    fn cfg_not_test_is_on() {
        assert_eq!(cfg_of("#[cfg(not(test))]"), Cfg::On);
        assert_eq!(cfg_of(""), Cfg::On);
    }

    #[test]
    fn cfg_feature_depends() {
        assert_eq!(cfg_of("#[cfg(feature = \"rustls\")]"), Cfg::Depends);
        assert_eq!(
            cfg_of("#[cfg(not(target_arch = \"wasm32\"))]"),
            Cfg::Depends
        );
        assert_eq!(cfg_of("#[cfg(any(test, unix))]"), Cfg::Depends);
    }
}
