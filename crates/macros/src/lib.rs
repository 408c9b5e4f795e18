//! `#[scoped_db]`: a compile-time door onto the scoped-db engine.
//!
//! ```ignore
//! use scoped_db::scoped_db;
//!
//! #[scoped_db]
//! impl OrderStore {
//!     async fn open_tx(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
//!         let tx = self.pool.begin().await?;
//!         Ok(tx) // error: transaction escapes the function that began it [SDB001 escaped-handle]
//!     }
//! }
//! ```
//!
//! A proc-macro crate can export only macros, so the expansion lives in
//! `scoped_db_engine::attribute`, where it is unit-tested; each attribute here forwards to it.

use proc_macro::TokenStream;

/// Checks the marked `fn`, `impl` block or inline `mod` and fails compilation, with an error on
/// the exact expression, when it lets a connection or transaction handle escape. The item itself
/// is emitted unchanged.
///
/// `#[scoped_db(handles(Lease, ...))]` declares the project's own handle types.
#[proc_macro_attribute]
pub fn scoped_db(args: TokenStream, item: TokenStream) -> TokenStream {
    scoped_db_engine::attribute::scoped_db(args.into(), item.into()).into()
}

/// Marks a function that hands a handle out on purpose (a connection factory, a unit-of-work
/// constructor): it is not reported, and its callers must keep what it returns in their own scope.
#[proc_macro_attribute]
pub fn provider(args: TokenStream, item: TokenStream) -> TokenStream {
    scoped_db_engine::attribute::provider(args.into(), item.into()).into()
}

/// `#[scoped_db::allow(escaped_handle, ...)]`: silences the named rules (by code, kebab-case or
/// snake_case name) in the marked function, `impl` block or `mod`.
#[proc_macro_attribute]
pub fn allow(args: TokenStream, item: TokenStream) -> TokenStream {
    scoped_db_engine::attribute::allow(args.into(), item.into()).into()
}
