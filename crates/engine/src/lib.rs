//! The scoped-db engine: source text or a syn item in, findings out.
//!
//! The analysis runs in three steps, so a caller can run the first two in parallel and drop each
//! syntax tree as soon as it has been read:
//! 1. [`index_source`]: a file's declarations (struct fields, type aliases, signatures);
//! 2. [`summarize_source`]: with the [`Index`] of the whole run, each function's summary (which
//!    handles it obtains and which of them flow into its return values);
//! 3. [`link`]: a fixpoint over all summaries, so a wrapper in one file that returns what a function
//!    in another file let escape is reported too.
//!
//! [`check_sources`] runs all three; [`check_item`] is the entry point of the `#[scoped_db]` macro.
//! Nothing here reads files or prints.

pub mod attribute;
mod attrs;
mod callee;
pub mod catalog;
mod fault;
mod finding;
mod flow;
mod index;
mod lex_error;
mod location;
pub mod pipeline;
mod prefilter;
mod propagate;
#[cfg(feature = "python")]
mod python;
pub mod rules;
mod summary;
pub mod suppress;
mod types;
pub mod workspace;

use proc_macro2::Span;

pub use attrs::{AllowArgs, ScopedDbArgs};
pub use finding::{Finding, Label};
pub use index::{FileDecls, FnKey, Index, Provider};
pub use location::{LineCol, LineIndex, Location, SpanRange};
pub use rules::{Rule, RuleInfo, Severity};
pub use summary::FnSummary;

use attrs::Inherited;
use index::{Decl, FnItem};
use types::Scope;

/// What a run checks.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Also check functions that only build for tests (`#[cfg(test)]`, `#[test]`).
    pub include_tests: bool,
    /// The project's own handle types, by name (`#[scoped_db(handles(..))]`).
    pub handles: Vec<String>,
    /// The project's own pools: a type name and the methods that hand out a handle.
    pub pools: Vec<(String, Vec<String>)>,
    /// Functions that hand handles out on purpose (`Type::method` or `name`), as
    /// `#[scoped_db::provider]` marks them.
    pub providers: Vec<String>,
}

/// Why a source could not be checked: it does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceError {
    pub message: String,
    pub position: Option<LineCol>,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "{} at line {} column {}", self.message, p.line, p.column),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for SourceError {}

/// The module path a file's functions live in, from its path: `src/db/pool.rs` is `db::pool`,
/// `src/db/mod.rs` is `db`, a file outside any `src/` is named after itself.
pub fn module_path(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let from = parts
        .iter()
        .rposition(|p| *p == "src")
        .map_or(parts.len().saturating_sub(1), |i| i + 1);
    let mut module: Vec<String> = parts[from.min(parts.len())..]
        .iter()
        .map(|p| p.strip_suffix(".rs").unwrap_or(p).to_string())
        .collect();
    if module
        .last()
        .is_some_and(|m| matches!(m.as_str(), "mod" | "lib" | "main"))
    {
        module.pop();
    }
    module
}

/// The directory of the crate a file belongs to: the one holding its `src/` (`crates/app` for
/// `crates/app/src/db.rs`), else the file's own directory. Two crates of one run never share a
/// module path.
pub fn crate_root(path: &str) -> String {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let end = parts
        .iter()
        .rposition(|p| *p == "src")
        .unwrap_or(parts.len().saturating_sub(1));
    parts[..end].join("/")
}

/// The name of the crate in a crate directory, as paths write it: `deadpool_redis` for
/// `vendor/deadpool-redis` or a registry checkout `deadpool-redis-0.18.0`.
pub fn crate_name(root: &str) -> String {
    let dir = root.rsplit(['/', '\\']).next().unwrap_or("");
    // A registry checkout ends in `-<version>`.
    let name = match dir.rfind('-') {
        Some(i)
            if dir[i + 1..].starts_with(|c: char| c.is_ascii_digit())
                && dir[i + 1..].contains('.') =>
        {
            &dir[..i]
        }
        _ => dir,
    };
    name.replace('-', "_")
}

/// Delimiter nesting deeper than this is refused before parsing: syn's parser recurses once per
/// level, and a stack overflow would end the whole run. Real code stays far below it.
pub const MAX_NESTING: usize = 1000;

fn parse(src: &str) -> Result<syn::File, SourceError> {
    // As `syn::parse_file`: a byte-order mark and a shebang line are not Rust.
    let mut content = src.strip_prefix('\u{feff}').unwrap_or(src);
    if content.starts_with("#!") && !content[2..].trim_start().starts_with('[') {
        content = content.find('\n').map_or("", |i| &content[i..]);
    }
    let position = |span: Span| {
        let start = span.start();
        Some(LineCol {
            line: start.line,
            column: start.column + 1,
        })
    };
    // Lexing is iterative; only then is the depth known and the recursive parse safe.
    let tokens: proc_macro2::TokenStream = content.parse().map_err(
        |e: proc_macro2::LexError| match lex_error::diagnose(content) {
            Some((message, offset)) => SourceError {
                message,
                position: Some(LineIndex::new(content).line_col(content, offset)),
            },
            None => SourceError {
                message: e.to_string(),
                position: position(e.span()),
            },
        },
    )?;
    // Every level of nesting needs an opening delimiter of its own: a file with fewer of them than
    // the limit cannot nest deeper, and needs no walk over its tokens.
    let depth = if depth_bound(content) <= MAX_NESTING {
        0
    } else {
        nesting_depth(&tokens)
    };
    if depth > MAX_NESTING {
        return Err(SourceError {
            message: format!(
                "delimiters nest too deep to check (depth {depth}; the limit is {MAX_NESTING})"
            ),
            position: None,
        });
    }
    syn::parse2(tokens).map_err(|e| SourceError {
        message: e.to_string(),
        position: position(e.span()),
    })
}

/// An upper bound of the nesting depth of `src`: its opening delimiters and, for Python, its
/// deepest indentation (each level of which is at least one leading whitespace character).
pub(crate) fn depth_bound(src: &str) -> usize {
    let openers = src
        .bytes()
        .filter(|b| matches!(b, b'(' | b'[' | b'{'))
        .count();
    let indent = src
        .lines()
        .map(|l| l.len() - l.trim_start().len())
        .max()
        .unwrap_or(0);
    openers + indent
}

/// The deepest nesting of groups in `tokens`, without recursion.
fn nesting_depth(tokens: &proc_macro2::TokenStream) -> usize {
    let mut stack = vec![tokens.clone().into_iter()];
    let mut deepest = 0;
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(proc_macro2::TokenTree::Group(g)) => {
                stack.push(g.stream().into_iter());
                deepest = deepest.max(stack.len() - 1);
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    deepest
}

fn python_disabled() -> SourceError {
    SourceError {
        message: "this build of scoped-db reads no Python (the `python` feature is off)".into(),
        position: None,
    }
}

/// Forgets the spans of the files parsed on this thread, which `span-locations` would otherwise keep
/// for the whole run. Only called where no compiler spans exist (never inside a proc macro).
fn release_spans() {
    proc_macro2::extra::invalidate_current_thread_spans();
}

/// Whether `path` is a source the engine reads: Rust, and Python with the `python` feature.
pub fn is_source_path(path: &str) -> bool {
    path.ends_with(".rs") || (cfg!(feature = "python") && path.ends_with(".py"))
}

fn is_python(path: &str) -> bool {
    path.ends_with(".py")
}

/// Step 1: the declarations of one file.
pub fn index_source(path: &str, src: &str) -> Result<FileDecls, SourceError> {
    #[cfg(feature = "python")]
    if is_python(path) {
        return Ok(FileDecls::python(python::index(path, src)?));
    }
    if is_python(path) {
        return Err(python_disabled());
    }
    let decls = {
        let file = parse(src)?;
        let items: Vec<&syn::Item> = file.items.iter().collect();
        FileDecls::collect(&items, &file_scope(path))
    };
    release_spans();
    Ok(decls)
}

/// Step 2: the summaries of one file's functions.
pub fn summarize_source(
    path: &str,
    src: &str,
    index: &Index,
    options: &Options,
) -> Result<Vec<FnSummary<Location>>, SourceError> {
    #[cfg(feature = "python")]
    if is_python(path) {
        return python::summarize(path, src, index.python(), options);
    }
    if is_python(path) {
        return Err(python_disabled());
    }
    // A catalog library's own source (vendored, or a registry checkout) manages its handles by
    // design: its functions are the API the catalog describes, not code to report.
    if catalog::is_catalog_crate(&crate_name(&crate_root(path))) {
        parse(src)?;
        release_spans();
        return Ok(Vec::new());
    }
    let summaries = {
        let file = parse(src)?;
        let items: Vec<&syn::Item> = file.items.iter().collect();
        summarize_items(&items, &file_scope(path), index, options)
            .into_iter()
            .map(|s| s.map_spans(Location::of))
            .collect()
    };
    release_spans();
    Ok(summaries)
}

/// The scope of a file's top-level items: its crate and module, from its path.
fn file_scope(path: &str) -> Scope {
    Scope::file(
        types::crate_root_segment(&crate_root(path)),
        module_path(path),
    )
}

/// In `scope.item_only` (the macro door) the items are all there is to see, so the return types
/// and call shapes stand in for the declarations the item does not show.
fn summarize_items(
    items: &[&syn::Item],
    scope: &Scope,
    index: &Index,
    options: &Options,
) -> Vec<FnSummary<SpanRange>> {
    let mut out = Vec::new();
    let context = Inherited {
        handles: options.handles.clone(),
        item_only: scope.item_only,
        ..Inherited::default()
    };
    index::walk(items, scope, &context, None, &mut |decl| {
        if let Decl::Fn(item) = decl
            && wanted(&item, options)
        {
            let mut summary = flow::summarize(&item, index, &options.pools);
            if summary.provider.is_none() && options.providers.contains(&summary.function) {
                summary.provider = Some(Provider::Configured);
            }
            out.push(summary);
        }
    });
    out
}

fn wanted(item: &FnItem<'_>, options: &Options) -> bool {
    item.body.is_some() && (options.include_tests || !item.context.test_only)
}

/// Step 3: the findings of the run, each with the index of the summary group (file) it belongs
/// to, sorted by group and position.
pub fn link<S: Clone + Ord>(groups: &[Vec<FnSummary<S>>]) -> Vec<(usize, Finding<S>)> {
    pipeline::link_with_facts(groups).0
}

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
    let scope = Scope::item_only();
    let index = Index::new([FileDecls::collect(&items, &scope)]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_follow_the_file_layout() {
        assert_eq!(module_path("src/db/pool.rs"), ["db", "pool"]);
        assert_eq!(module_path("crates/app/src/db/mod.rs"), ["db"]);
        assert_eq!(module_path("./src/lib.rs"), Vec::<String>::new());
        assert_eq!(module_path("fixtures/seed/database.rs"), ["database"]);
        assert_eq!(module_path(r"src\win\db.rs"), ["win", "db"]);
        assert_eq!(crate_root("crates/app/src/db/mod.rs"), "crates/app");
        assert_eq!(crate_root("fixtures/lookalikes.rs"), "fixtures");
        assert_eq!(crate_name("vendor/deadpool-redis"), "deadpool_redis");
        assert_eq!(crate_name("registry/src/x/sqlx-core-0.8.6"), "sqlx_core");
        assert_eq!(crate_name("crates/my-app-2"), "my_app_2");
    }

    #[test]
    fn nesting_too_deep_is_an_error_not_a_stack_overflow() {
        let n = MAX_NESTING + 1;
        let src = format!("fn f() -> i32 {{ {}1{} }}", "(".repeat(n), ")".repeat(n));
        let err = index_source("src/deep.rs", &src).unwrap_err();
        assert!(err.message.contains("nest too deep"), "{err}");
        let ok = format!("fn f() -> i32 {{ {}1{} }}", "(".repeat(50), ")".repeat(50));
        assert!(index_source("src/ok.rs", &ok).is_ok());
    }

    #[test]
    fn the_depth_bound_never_underestimates() {
        let src = "fn f() -> i32 { ((((1)))) }";
        assert!(depth_bound(src) >= 5);
        // Closing delimiters in strings cannot hide depth: only openers are counted.
        let tricky = format!(
            "fn f() {{ let s = \"{}\"; {}1{} }}",
            ")".repeat(50),
            "(".repeat(30),
            ")".repeat(30)
        );
        assert!(depth_bound(&tricky) >= 31);
        assert!(depth_bound("def f():\n    if x:\n        return 1\n") >= 2);
    }

    #[test]
    fn byte_order_marks_and_shebangs_are_not_rust() {
        assert!(index_source("src/bom.rs", "\u{feff}fn f() {}").is_ok());
        assert!(
            index_source(
                "src/main.rs",
                "#!/usr/bin/env run-cargo-script\nfn main() {}"
            )
            .is_ok()
        );
        assert!(index_source("src/lib.rs", "#![allow(dead_code)]\nfn f() {}").is_ok());
        let err = index_source("src/lex.rs", "fn f() { \"unterminated }").unwrap_err();
        assert!(err.position.is_some(), "{err}");
    }

    #[test]
    fn a_parse_error_names_the_position() {
        let err = index_source("src/broken.rs", "fn f() {\n    let x = 1\n}\n").unwrap_err();
        assert_eq!(err.position, Some(LineCol { line: 3, column: 1 }));
        assert!(err.to_string().contains("at line 3 column 1"), "{err}");
    }
}
