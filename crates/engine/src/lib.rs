//! The scoped-db engine: source text or a syn item in, findings out.
//!
//! The analysis runs in three steps, so a caller can run the first two in parallel and drop each
//! syntax tree as soon as it has been read:
//! 1. [`index_source`]: a file's declarations (struct fields, type aliases, signatures);
//! 2. [`summarize_source`]: with the [`RunIndex`] of the whole run, each function's summary (which
//!    handles it obtains and which of them flow into its return values);
//! 3. [`link`]: a fixpoint over all summaries, so a wrapper in one file that returns what a function
//!    in another file let escape is reported too.
//!
//! [`check_sources`] runs all three; [`check_item`] is the entry point of the `#[scoped_db]` macro.
//! Nothing here reads files or prints.

pub mod attribute;
mod fault;
mod finding;
mod frontend;
mod held;
mod ids;
mod location;
mod options;
mod parse_count;
pub mod pipeline;
mod prefilter;
mod propagate;
#[cfg(feature = "python")]
mod python;
pub mod rules;
mod rust;
mod summary;
pub mod suppress;
pub mod workspace;

pub use finding::{Finding, Label};
pub use frontend::{
    FileDecls, RunIndex, crate_name, crate_root, index_source, is_source_path, module_path,
    summarize_source,
};
pub use ids::{FnKey, HandleKind, Provider};
pub use location::{LineCol, LineIndex, Location, SpanRange};
pub use options::{CrateNames, MAX_NESTING, Options, STACK_BYTES, SourceError};
pub use pipeline::link;
pub use rules::{Rule, RuleInfo, Severity};
pub use rust::attrs::{AllowArgs, ScopedDbArgs};
pub use rust::index::{Index, RustDecls};
pub use rust::{catalog, manifests};
pub use summary::FnSummary;

use frontend::summarize_items;
use rust::types::NameScope;

/// The outcome of [`check_sources`].
#[derive(Debug, Default)]
pub struct Report {
    /// Findings with the index of the source they are in.
    pub findings: Vec<(usize, Finding<Location>)>,
    /// Sources that could not be checked, by index.
    pub errors: Vec<(usize, SourceError)>,
}

/// All three steps over `(path, text)` pairs, one after the other, with one configuration.
pub fn check_sources(sources: &[(&str, &str)], options: &Options) -> Report {
    let sources: Vec<Source<'_>> = sources
        .iter()
        .map(|&(path, text)| Source {
            path,
            text,
            options,
        })
        .collect();
    check_run(&sources)
}

/// A source of a run, with the configuration that applies to it (a monorepo's projects each
/// bring their own).
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub options: &'a Options,
}

/// The pipeline over the sources of one run, held in memory; the prefilter on.
pub fn check_run(sources: &[Source<'_>]) -> Report {
    check_run_with(sources, true)
}

/// Sources held in memory, as a [`pipeline::SourceSet`].
pub struct InMemory<'s, 'a>(pub &'s [Source<'a>]);

impl pipeline::SourceSet for InMemory<'_, '_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn path(&self, i: usize) -> &str {
        self.0[i].path
    }
    fn options(&self, i: usize) -> &Options {
        self.0[i].options
    }
    fn text(&self, i: usize) -> Result<String, String> {
        Ok(self.0[i].text.to_string())
    }
}

/// The pipeline over the sources of one run, held in memory, with or without the prefilter.
pub fn check_run_with(sources: &[Source<'_>], prefilter: bool) -> Report {
    let outcome = pipeline::check(&InMemory(sources), prefilter);
    Report {
        findings: outcome.findings,
        errors: outcome
            .failures
            .into_iter()
            .map(|(i, f)| {
                let error = match f {
                    pipeline::Failure::Source(e) => e,
                    pipeline::Failure::Unreadable(message) => SourceError {
                        message,
                        position: None,
                    },
                    pipeline::Failure::Internal(what) => SourceError {
                        message: format!("internal error ({what})"),
                        position: None,
                    },
                };
                (i, error)
            })
            .collect(),
    }
}

/// The `#[scoped_db]` door: checks one item (a function, an impl or an inline module) on its own.
/// Spans are the item's own, for compile errors.
pub fn check_item(item: &syn::Item, options: &Options) -> Vec<Finding<SpanRange>> {
    let items = [item];
    let scope = NameScope::item_only();
    let index = Index::new([RustDecls::collect(&items, &scope)]);
    let summaries = summarize_items(&items, &scope, &index, options);
    // Spans have no order: link over their positions in a table, then map back.
    let mut table = Vec::new();
    let keyed: Vec<FnSummary<usize>> = summaries
        .into_iter()
        .map(|s| {
            s.map_spans(|span| {
                table.push(span);
                table.len() - 1
            })
        })
        .collect();
    link(&[keyed])
        .into_iter()
        .map(|(_, f)| f.map_spans(|i| table[i]))
        .collect()
}
