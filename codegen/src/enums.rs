//! Forward-compatible replacements for the spec's string enums.
//!
//! progenitor turns a string enum into a Rust enum that fails to decode any
//! value it does not list, so a status that a newer Hub adds would break
//! every response that carries it. Each string enum of
//! `components/schemas` is generated here instead, as a `#[non_exhaustive]`
//! enum with one variant per value plus `Unknown(String)`, which keeps the
//! unknown value as sent.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::CodegenError;

pub(crate) struct EnumSchema {
    pub(crate) name: String,
    description: Option<String>,
    values: Vec<String>,
}

pub(crate) fn collect(file: &str, document: &Value) -> Result<Vec<EnumSchema>, CodegenError> {
    find_inline_enums(file, document, "", 0)?;

    let mut found = Vec::new();
    let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Ok(found);
    };
    for (name, schema) in schemas {
        let Some(values) = string_enum_values(schema) else {
            continue;
        };
        found.push(EnumSchema {
            name: name.clone(),
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(|text| text.trim().to_owned()),
            values,
        });
    }
    Ok(found)
}

fn string_enum_values(schema: &Value) -> Option<Vec<String>> {
    let values = schema.get("enum")?.as_array()?;
    let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
    if !is_string {
        return None;
    }
    values
        .iter()
        .map(|value| value.as_str().map(str::to_owned))
        .collect()
}

/// Rejects a string enum anywhere but directly under `components/schemas`.
fn find_inline_enums(
    file: &str,
    value: &Value,
    pointer: &str,
    depth: usize,
) -> Result<(), CodegenError> {
    match value {
        Value::Object(map) => {
            let top_level_schema = depth == 3 && pointer.starts_with("/components/schemas/");
            if !top_level_schema && string_enum_values(value).is_some() {
                return Err(CodegenError::InlineEnum {
                    file: file.to_owned(),
                    pointer: pointer.to_owned(),
                });
            }
            for (key, child) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                find_inline_enums(file, child, &format!("{pointer}/{escaped}"), depth + 1)?;
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                find_inline_enums(file, child, &format!("{pointer}/{index}"), depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Converts a value such as `in_progress` or `no-answer` to `InProgress` or
/// `NoAnswer`; a leading digit gets a `V` prefix.
fn variant_name(value: &str) -> String {
    let mut name = String::new();
    for word in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    name
}

fn enum_tokens(file: &str, schema: &EnumSchema) -> Result<TokenStream, CodegenError> {
    let type_name = Ident::new(&schema.name, Span::call_site());
    let schema_name = &schema.name;
    let description = schema
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{}` values of the Hub API.", schema.name));

    let mut variants: Vec<Ident> = Vec::new();
    for value in &schema.values {
        let name = variant_name(value);
        let clash = name == "Unknown" || variants.iter().any(|v| *v == name.as_str());
        if clash {
            return Err(CodegenError::EnumVariantClash {
                file: file.to_owned(),
                schema: schema.name.clone(),
                variant: name,
            });
        }
        variants.push(Ident::new(&name, Span::call_site()));
    }
    let values = &schema.values;
    let value_docs: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();

    Ok(quote! {
        #[doc = #description]
        ///
        /// A value that this version of the crate does not know decodes to
        /// `Unknown` with the value as sent, so a newer Hub never breaks
        /// decoding.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #type_name {
            #(
                #[doc = #value_docs]
                #variants,
            )*
            /// A value that this version of the crate does not know, as sent.
            Unknown(::std::string::String),
        }

        impl #type_name {
            /// Every value that this version of the crate knows, in spec order.
            pub const KNOWN: &'static [&'static str] = &[#(#values),*];

            /// Returns the value as the Hub spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #values,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// Returns `false` for a value that this version of the crate does not know.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for #type_name {
            fn from(value: &str) -> Self {
                match value {
                    #(#values => Self::#variants,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #type_name {
            fn from(value: ::std::string::String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for #type_name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #type_name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #type_name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #type_name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value))
            }
        }

        impl ::schemars::JsonSchema for #type_name {
            fn schema_name() -> ::std::string::String {
                #schema_name.to_owned()
            }

            fn json_schema(
                _: &mut ::schemars::gen::SchemaGenerator,
            ) -> ::schemars::schema::Schema {
                let metadata = ::schemars::schema::Metadata {
                    description: Some(#description.to_owned()),
                    examples: vec![#(::serde_json::Value::String(#values.to_owned())),*],
                    ..Default::default()
                };
                ::schemars::schema::SchemaObject {
                    instance_type: Some(::schemars::schema::InstanceType::String.into()),
                    metadata: Some(Box::new(metadata)),
                    ..Default::default()
                }
                .into()
            }
        }
    })
}

pub(crate) fn insert_into_types_module(
    file: &str,
    syntax: &mut syn::File,
    schemas: &[EnumSchema],
) -> Result<(), CodegenError> {
    let mut items = Vec::new();
    for schema in schemas {
        let tokens = enum_tokens(file, schema)?;
        let parsed: syn::File = syn::parse2(tokens).map_err(|source| CodegenError::Internal {
            file: file.to_owned(),
            reason: format!(
                "the enum `{}` does not parse as Rust: {source}",
                schema.name
            ),
        })?;
        items.extend(parsed.items);
    }

    let types_module = syntax.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    });
    match types_module {
        Some((_, module_items)) => {
            module_items.extend(items);
            Ok(())
        }
        None if items.is_empty() => Ok(()),
        None => Err(CodegenError::Internal {
            file: file.to_owned(),
            reason: "progenitor's output has no `types` module for the enums".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::variant_name;

    #[test]
    fn variant_name_from_snake_case() {
        assert_eq!(variant_name("in_progress"), "InProgress");
    }

    #[test]
    fn variant_name_from_kebab_case() {
        assert_eq!(variant_name("no-answer"), "NoAnswer");
    }

    #[test]
    fn variant_name_with_leading_digit() {
        assert_eq!(variant_name("3d"), "V3d");
    }
}
