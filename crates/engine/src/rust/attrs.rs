//! scoped-db's own attributes, as both doors read them: `#[scoped_db(handles(..))]`,
//! `#[scoped_db::provider]` and `#[scoped_db::allow(..)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, Token};

use crate::rules::code::Rule;
use crate::rust::types::NameScope;

/// Which of our attributes an attribute is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ours {
    ScopedDb,
    Provider,
    Allow,
}

/// Recognises our attributes by their path: `scoped_db::provider`, or a name imported from
/// `scoped_db` (`use scoped_db::{scoped_db, provider};`). Inside a `#[scoped_db]` item the macro
/// cannot see the `use` items, so there a bare `#[provider]` is taken to be ours. A bare `allow` is
/// always rustc's.
pub(crate) fn ours(scope: &NameScope, attr: &Attribute, item_only: bool) -> Option<Ours> {
    let written: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    // A multi-segment path names the crate (`use scoped_db::scoped_db;` does not change what
    // `scoped_db::provider` means); a single name is what a `use` made it.
    let path = if written.len() > 1 {
        written
    } else {
        scope.canonical(&written)
    };
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["scoped_db"] | ["scoped_db", "scoped_db"] => Some(Ours::ScopedDb),
        ["scoped_db", "provider"] => Some(Ours::Provider),
        ["scoped_db", "allow"] => Some(Ours::Allow),
        ["provider"] if item_only => Some(Ours::Provider),
        _ => None,
    }
}

/// The arguments of `#[scoped_db(...)]`.
#[derive(Debug, Default)]
pub struct ScopedDbArgs {
    /// `handles(TypeName, ...)`: the project's own handle types.
    pub handles: Vec<Ident>,
}

impl Parse for ScopedDbArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = ScopedDbArgs::default();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "handles" {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{key}`: `#[scoped_db]` takes `handles(TypeName, ...)`"
                    ),
                ));
            }
            let content;
            syn::parenthesized!(content in input);
            let names = content.parse_terminated(Ident::parse, Token![,])?;
            if names.is_empty() {
                return Err(syn::Error::new(
                    key.span(),
                    "`handles(..)` names at least one type",
                ));
            }
            args.handles.extend(names);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// The arguments of `#[scoped_db::allow(...)]`: rules by code (`SDB001`), snake_case name
/// (`escaped_handle`), kebab-case name (`escaped-handle`) or a string of any of these.
#[derive(Debug, Default)]
pub struct AllowArgs {
    pub rules: Vec<(Rule, Span)>,
}

impl Parse for AllowArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = AllowArgs::default();
        if input.is_empty() {
            return Err(syn::Error::new(
                input.span(),
                "`allow(..)` names at least one rule, e.g. `allow(escaped_handle)`",
            ));
        }
        while !input.is_empty() {
            let (name, span) = if input.peek(syn::LitStr) {
                let lit: syn::LitStr = input.parse()?;
                (lit.value(), lit.span())
            } else {
                let first: Ident = input.parse()?;
                let mut name = first.to_string();
                let mut last = first.span();
                while input.peek(Token![-]) {
                    input.parse::<Token![-]>()?;
                    let next: Ident = input.parse()?;
                    name.push('-');
                    name.push_str(&next.to_string());
                    last = next.span();
                }
                (name, first.span().join(last).unwrap_or(first.span()))
            };
            let rule = Rule::from_name(&name).ok_or_else(|| {
                syn::Error::new(span, format!("unknown rule `{name}`{}", known_rules()))
            })?;
            args.rules.push((rule, span));
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

fn known_rules() -> String {
    let names: Vec<String> = crate::rules::RULES
        .iter()
        .map(|r| format!("`{}` ({})", r.name.replace('-', "_"), r.code))
        .collect();
    format!("; known rules: {}", names.join(", "))
}

/// What an item passes down to the functions inside it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Inherited {
    pub test_only: bool,
    pub allowed: Vec<Rule>,
    pub handles: Vec<String>,
    pub item_only: bool,
}

impl Inherited {
    /// This context with an item's own attributes added. Malformed arguments are skipped here:
    /// the compiler reports them where the macro is used.
    pub(crate) fn with(&self, scope: &NameScope, attrs: &[Attribute]) -> Inherited {
        let mut next = self.clone();
        next.test_only |= is_cfg_test(attrs);
        for attr in attrs {
            match ours(scope, attr, self.item_only) {
                Some(Ours::Allow) => {
                    if let Ok(args) = attr.parse_args::<AllowArgs>() {
                        next.allowed.extend(args.rules.into_iter().map(|(r, _)| r));
                    }
                }
                Some(Ours::ScopedDb) => {
                    if let syn::Meta::List(_) = &attr.meta
                        && let Ok(args) = attr.parse_args::<ScopedDbArgs>()
                    {
                        next.handles
                            .extend(args.handles.iter().map(ToString::to_string));
                    }
                }
                Some(Ours::Provider) | None => {}
            }
        }
        next
    }

    /// Whether the attributes mark a provider.
    pub(crate) fn is_provider(&self, scope: &NameScope, attrs: &[Attribute]) -> bool {
        attrs
            .iter()
            .any(|a| ours(scope, a, self.item_only) == Some(Ours::Provider))
    }
}

/// `#[cfg(test)]`, `#[cfg(all(test, ...))]` or `#[cfg(any(test, ...))]`.
fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta_requires_test(&meta))
    })
}

fn meta_requires_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        // `any(test, feature = "test-utils")`: helpers built for tests, even when a feature also
        // builds them.
        syn::Meta::List(l) if l.path.is_ident("all") || l.path.is_ident("any") => l
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|items| items.iter().any(meta_requires_test)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_takes_codes_snake_kebab_and_strings() {
        let args: AllowArgs =
            syn::parse_str(r#"SDB001, escaped_handle, escaped-handle, "escaped-handle""#).unwrap();
        assert_eq!(args.rules.len(), 4);
        assert!(args.rules.iter().all(|(r, _)| *r == Rule::EscapedHandle));
        let err = syn::parse_str::<AllowArgs>("escaped_handle, no_such_rule").unwrap_err();
        assert!(
            err.to_string().starts_with("unknown rule `no_such_rule`"),
            "{err}"
        );
        assert!(syn::parse_str::<AllowArgs>("").is_err());
    }

    #[test]
    fn scoped_db_takes_handles() {
        let args: ScopedDbArgs = syn::parse_str("handles(Conn, Session)").unwrap();
        assert_eq!(args.handles.len(), 2);
        for bad in [
            "handle(Conn)",
            "handles()",
            "handles(Conn) extra",
            "handles = Conn",
        ] {
            assert!(syn::parse_str::<ScopedDbArgs>(bad).is_err(), "{bad}");
        }
    }
}
