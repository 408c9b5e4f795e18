//! What the `#[scoped_db]`, `#[scoped_db::provider]` and `#[scoped_db::allow]` attributes expand
//! to. The proc-macro crate (`scoped-db`) only forwards its token streams here, so this is an
//! ordinary library that tests can call (the sqlx-macros / sqlx-macros-core split).
//!
//! Every expansion re-emits the item it was given unchanged, followed by one `compile_error!` per
//! finding or bad argument, so the only errors a user sees are ours.

use proc_macro2::{Punct, Spacing, TokenStream, TokenTree};
use quote::quote;

use crate::check_item;
use crate::finding::Finding;
use crate::location::SpanRange;
use crate::options::Options;
use crate::rust::attrs::{AllowArgs, ScopedDbArgs};

/// `#[scoped_db]` / `#[scoped_db(handles(..))]` on a `fn`, an `impl` block or an inline `mod`.
pub fn scoped_db(args: TokenStream, item: TokenStream) -> TokenStream {
    let args: ScopedDbArgs = match syn::parse2(args) {
        Ok(args) => args,
        Err(e) => return with_errors(item, [e]),
    };
    let parsed: syn::Item = match syn::parse2(item.clone()) {
        Ok(parsed) => parsed,
        Err(e) => return with_errors(item, [e]),
    };
    match &parsed {
        syn::Item::Fn(_) | syn::Item::Impl(_) => {}
        syn::Item::Mod(m) if m.content.is_some() => {}
        other => {
            let e = syn::Error::new_spanned(
                first_token(other),
                "`#[scoped_db]` goes on a `fn`, an `impl` block or an inline `mod { .. }`",
            );
            return with_errors(item, [e]);
        }
    }
    let options = Options {
        // Marking an item is asking for it to be checked, test code or not.
        include_tests: true,
        handles: args.handles.iter().map(ToString::to_string).collect(),
        ..Options::default()
    };
    // A bug in the engine must not look like a crash of the compiler: it becomes one error on
    // the item, which still compiles as written once the attribute is removed.
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg(test)]
        if let syn::Item::Fn(f) = &parsed {
            crate::fault::point("item", &f.sig.ident.to_string());
        }
        check_item(&parsed, &options)
    }));
    match checked {
        Ok(findings) => with_errors(item, findings.iter().map(finding_error)),
        Err(payload) => {
            let what = crate::pipeline::panic_message(payload.as_ref());
            let e = syn::Error::new_spanned(
                first_token(&parsed),
                format!(
                    "scoped-db could not check this item: internal error ({what}); please report \
                     it with the item's code"
                ),
            );
            with_errors(item, [e])
        }
    }
}

/// `#[scoped_db::provider]` on a function meant to hand a handle out. It changes nothing by
/// itself; `#[scoped_db]` and `scoped-db check` read it.
pub fn provider(args: TokenStream, item: TokenStream) -> TokenStream {
    if let Some(first) = args.clone().into_iter().next() {
        let e = syn::Error::new(first.span(), "`#[scoped_db::provider]` takes no arguments");
        return with_errors(item, [e]);
    }
    let attr = quote!(#[scoped_db::provider]);
    marker(item, attr, "#[scoped_db::provider]")
}

/// `#[scoped_db::allow(rule, ...)]` on a function, `impl` or `mod`: silences the named rules there.
pub fn allow(args: TokenStream, item: TokenStream) -> TokenStream {
    if let Err(e) = syn::parse2::<AllowArgs>(args.clone()) {
        return with_errors(item, [e]);
    }
    let attr = quote!(#[scoped_db::allow(#args)]);
    marker(item, attr, "#[scoped_db::allow(..)]")
}

/// A marker attribute's expansion: the item unchanged, unless a `#[scoped_db]` still to expand
/// sits among its attributes. Rust expands the outermost attribute first, so a marker written
/// above `#[scoped_db]` would be gone before `#[scoped_db]` could read it: it is put back below.
fn marker(item: TokenStream, attr: TokenStream, what: &str) -> TokenStream {
    let Ok(mut parsed) = syn::parse2::<syn::Item>(item.clone()) else {
        return item;
    };
    let Some(attrs) = item_attrs_mut(&mut parsed) else {
        let e = syn::Error::new_spanned(
            first_token(&parsed),
            format!("`{what}` goes on a `fn`, an `impl` block or an inline `mod`"),
        );
        return with_errors(item, [e]);
    };
    let Some(at) = attrs.iter().position(is_scoped_db) else {
        return item;
    };
    let marker: syn::Attribute = syn::parse_quote!(#attr);
    attrs.insert(at + 1, marker);
    quote!(#parsed)
}

fn item_attrs_mut(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    match item {
        syn::Item::Fn(f) => Some(&mut f.attrs),
        syn::Item::Impl(i) => Some(&mut i.attrs),
        syn::Item::Mod(m) => Some(&mut m.attrs),
        _ => None,
    }
}

fn is_scoped_db(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(
        names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["scoped_db"] | ["scoped_db", "scoped_db"]
    )
}

fn first_token(item: &impl quote::ToTokens) -> TokenStream {
    item.to_token_stream().into_iter().take(1).collect()
}

fn with_errors(item: TokenStream, errors: impl IntoIterator<Item = syn::Error>) -> TokenStream {
    let errors = errors.into_iter().map(|e| e.to_compile_error());
    quote!(#item #(#errors)*)
}

/// A finding as a compile error spanning the offending expression, with where the handle came from
/// and the fix in its text (a proc macro cannot attach notes on stable Rust).
fn finding_error(f: &Finding<SpanRange>) -> syn::Error {
    let mut message = format!("{} [{} {}]", f.message, f.rule.code(), f.rule.name());
    for related in &f.related {
        message.push_str(&format!("\nnote: {}", related.message));
        if let Some(text) = span_text(related.span) {
            message.push_str(&format!(": `{text}`"));
        }
        let at = related.span.start.start();
        if at.line > 0 {
            message.push_str(&format!(" (line {}, column {})", at.line, at.column + 1));
        }
    }
    message.push_str(&format!("\nhelp: {}", f.help));
    syn::Error::new_spanned(range_tokens(f.primary.span), message)
}

/// The source text of a range, when the compiler can give it (joining spans is not stable yet,
/// so often it cannot) and it fits on a line.
fn span_text(range: SpanRange) -> Option<String> {
    let text = range.start.join(range.end)?.source_text()?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (text.len() <= 60).then_some(text)
}

/// Two tokens carrying the range's first and last span: `syn::Error::new_spanned` spans from one
/// to the other.
fn range_tokens(range: SpanRange) -> TokenStream {
    let mut start = Punct::new('#', Spacing::Alone);
    start.set_span(range.start);
    let mut end = Punct::new('#', Spacing::Alone);
    end.set_span(range.end);
    [TokenTree::Punct(start), TokenTree::Punct(end)]
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(attr: fn(TokenStream, TokenStream) -> TokenStream, args: &str, item: &str) -> String {
        let args: TokenStream = args.parse().unwrap();
        let item: TokenStream = item.parse().unwrap();
        attr(args, item).to_string()
    }

    #[test]
    fn a_panic_while_checking_is_one_compile_error_on_the_item_never_a_crash() {
        crate::fault::arm("item", "panics_in_the_attribute");
        let out = expand(
            scoped_db,
            "",
            "async fn panics_in_the_attribute(pool: &PgPool) -> u32 { 1 }",
        );
        // The item is kept as written, followed by exactly one error.
        assert!(out.starts_with("async fn panics_in_the_attribute"), "{out}");
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("internal error (injected fault at item:panics_in_the_attribute)"));
    }

    const SEED: &str = r#"
        impl DatabaseManager {
            async fn _attempt_connection(&self) -> Result<Transaction<'static, Postgres>, DatabaseError> {
                let pool = &self.pool;
                let conn = pool.begin().await?;
                Ok(conn)
            }
            pub async fn get_connection_with_retry(&self) -> Result<Transaction<'static, Postgres>, DatabaseError> {
                loop {
                    match self._attempt_connection().await {
                        Ok(conn) => return Ok(conn),
                        Err(e) => tracing::warn!("{e}"),
                    }
                }
            }
            pub async fn get_connection_with_timeout(&self, timeout: Duration) -> Result<Transaction<'static, Postgres>, DatabaseError> {
                match tokio::time::timeout(timeout, self._attempt_connection()).await {
                    Ok(result) => result,
                    Err(_) => Err(DatabaseError::Timeout(timeout)),
                }
            }
        }
    "#;

    #[test]
    fn the_seed_impl_gets_one_error_per_method_and_stays_as_it_was() {
        let out = expand(scoped_db, "", SEED);
        let original: TokenStream = SEED.parse().unwrap();
        let original = original.to_string();
        assert!(
            out.starts_with(&original),
            "the item comes first, unchanged"
        );
        let errors = &out[original.len()..];
        assert_eq!(errors.matches("compile_error").count(), 3, "{errors}");
        assert!(
            errors
                .contains("transaction escapes the function that began it [SDB001 escaped-handle]")
        );
        assert!(errors.contains("from `DatabaseManager::_attempt_connection`"));
    }

    /// The seed's `DatabaseManager` as fixed: the same impl, the handles kept inside.
    const FIXED_SEED: &str = r#"
        impl DatabaseManager {
            pub fn pool(&self) -> PgPool {
                self.pool.clone()
            }
            pub async fn count_users(&self) -> Result<i64, DatabaseError> {
                let mut tx = self.pool.begin().await?;
                let n = count_in(&mut tx).await?;
                tx.commit().await?;
                Ok(n)
            }
            pub async fn with_timeout(&self, timeout: Duration) -> Result<i64, DatabaseError> {
                match tokio::time::timeout(timeout, self.count_users()).await {
                    Ok(result) => result,
                    Err(_) => Err(DatabaseError::Timeout(timeout)),
                }
            }
        }
    "#;

    #[test]
    fn the_fixed_seed_expands_to_exactly_itself() {
        let original: TokenStream = FIXED_SEED.parse().unwrap();
        assert_eq!(expand(scoped_db, "", FIXED_SEED), original.to_string());
    }

    #[test]
    fn bad_arguments_and_targets_are_errors_and_the_item_survives() {
        let out = expand(scoped_db, "handle(Conn)", "fn f() {}");
        assert!(out.starts_with("fn f () { }"), "{out}");
        assert!(out.contains("unknown argument `handle`"), "{out}");
        let out = expand(scoped_db, "", "struct S;");
        assert!(out.contains("goes on a `fn`"), "{out}");
        let out = expand(allow, "escaped_handle, leaky", "fn f() {}");
        assert!(out.contains("unknown rule `leaky`"), "{out}");
        let out = expand(provider, "now", "fn f() {}");
        assert!(out.contains("takes no arguments"), "{out}");
    }

    #[test]
    fn markers_above_scoped_db_move_below_it() {
        let out = expand(
            provider,
            "",
            "#[scoped_db] fn open(&self) -> Transaction { self.pool.begin() }",
        );
        let scoped = out.find("# [scoped_db]").unwrap();
        let marker = out.find("scoped_db :: provider").unwrap();
        assert!(scoped < marker, "{out}");
        let plain = "fn open(&self) -> Transaction { self.pool.begin() }";
        let original: TokenStream = plain.parse().unwrap();
        assert_eq!(expand(provider, "", plain), original.to_string());
    }

    #[test]
    fn a_method_the_item_does_not_show_may_consume_the_transaction() {
        // sea-orm's own `run(self, callback)` commits or rolls back.
        let item = r#"
            impl DatabaseConnection {
                pub async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>> {
                    let transaction = self.begin().await.map_err(TransactionError::Connection)?;
                    transaction.run(callback).await
                }
            }
        "#;
        assert!(!expand(scoped_db, "", item).contains("compile_error"));
        // A transaction from the catalog, through a method the catalog knows does not finish it:
        // still never committed.
        let forgotten = r#"
            impl Orders {
                pub async fn cancel(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
                    let mut tx = pool.begin().await?;
                    sqlx::query("UPDATE orders SET state = 'x' WHERE id = $1").bind(id).execute(&mut *tx).await?;
                    Ok(())
                }
            }
        "#;
        let out = expand(scoped_db, "", forgotten);
        assert!(out.contains("SDB004"), "{out}");
    }

    #[test]
    fn a_call_on_self_is_not_an_acquisition() {
        // sqlx's own `impl PgConnection`: the type info fetched through `self` is data.
        let item = r#"
            impl PgConnection {
                async fn fetch_type(&mut self, oid: Oid) -> Result<PgTypeInfo, Error> {
                    let info = self.fetch_type_by_oid(oid).await?;
                    self.inner.cache_type_info.insert(oid, info.clone());
                    Ok(info)
                }
            }
        "#;
        assert!(!expand(scoped_db, "", item).contains("compile_error"));
    }

    #[test]
    fn handles_declares_the_projects_own_handle_types() {
        let item =
            "fn lease(&self) -> Result<Lease, Error> { let l = self.broker.checkout()?; Ok(l) }";
        assert!(!expand(scoped_db, "", item).contains("compile_error"));
        assert!(expand(scoped_db, "handles(Lease)", item).contains("compile_error"));
        let moved = "fn into_lease(&mut self) -> Option<Lease> { self.lease.take() }";
        assert!(!expand(scoped_db, "handles(Lease)", moved).contains("compile_error"));
    }
}
