//! The Rust frontend, beside `python/`: the two passes over syn's syntax tree into the shared
//! summaries. [`index`] is pass 1 (what each file declares, and the run's index), [`flow`] pass 2
//! (each function body); [`callee`] resolves calls, [`catalog`] and [`types`] are their data and
//! their types, [`std_model`] the standard library and runtimes they see through, [`manifests`]
//! reads the crates of a run, [`attrs`] scoped-db's own attributes and [`lex_error`] what rustc
//! would say of a file that does not lex.

pub(crate) mod attrs;
pub(crate) mod callee;
pub mod catalog;
pub(crate) mod flow;
pub(crate) mod index;
pub(crate) mod lex_error;
pub mod manifests;
pub(crate) mod std_model;
pub(crate) mod types;
