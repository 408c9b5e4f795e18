//! The Rust frontend's entry points and the dispatch by language: a file's declarations
//! ([`index_source`]) and its functions' summaries ([`summarize_source`]), Rust through syn and
//! Python through `python/`; and how a file's path names its crate and module.

use std::collections::BTreeMap;

use proc_macro2::Span;

use crate::ids::Provider;
use crate::location::{LineCol, LineIndex, Location, SpanRange};
use crate::options::{MAX_NESTING, Options, SourceError, depth_bound};
#[cfg(feature = "python")]
use crate::python;
use crate::rust::attrs::Inherited;
use crate::rust::catalog;
use crate::rust::flow;
use crate::rust::index::{self, Decl, FnItem, Index, RustDecls};
use crate::rust::lex_error;
use crate::rust::types::{self, NameScope};
use crate::summary::FnSummary;

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

pub(crate) fn is_rust(path: &str) -> bool {
    path.ends_with(".rs")
}

/// A file's declarations, in its language: the languages never resolve against each other.
#[derive(Clone, Debug, PartialEq)]
pub enum FileDecls {
    Rust(RustDecls),
    #[cfg(feature = "python")]
    Python(python::PyDecls),
}

impl FileDecls {
    /// What a file the prefilter did not let through contributes to the index: a Python module
    /// is still a module of the run (see [`python::PyDecls::unread`]); a Rust file nothing.
    pub(crate) fn unread(path: &str) -> Option<FileDecls> {
        #[cfg(feature = "python")]
        if is_python(path) {
            return Some(FileDecls::Python(python::PyDecls::unread(path)));
        }
        let _ = path;
        None
    }

    /// Puts the file in part `part` of the run (see `crate::pipeline::SourceSet::part`); a Rust
    /// crate sees only the crates its manifest names, whatever the part.
    pub(crate) fn in_part(self, part: usize) -> FileDecls {
        match self {
            #[cfg(feature = "python")]
            FileDecls::Python(mut d) => {
                d.set_part(part);
                FileDecls::Python(d)
            }
            other => {
                let _ = part;
                other
            }
        }
    }

    /// A Rust file's declarations.
    pub(crate) fn rust(&self) -> Option<&RustDecls> {
        match self {
            FileDecls::Rust(d) => Some(d),
            #[cfg(feature = "python")]
            FileDecls::Python(_) => None,
        }
    }

    /// The names the prefilter looks for once the Python files of `files` are read, beside the
    /// words it `knows` (see [`python::db_words`]).
    pub(crate) fn python_words<'a>(
        files: impl Iterator<Item = &'a FileDecls> + Clone,
        knows: &std::collections::BTreeSet<String>,
    ) -> Vec<String> {
        #[cfg(feature = "python")]
        {
            python::db_words(
                files.filter_map(|f| match f {
                    FileDecls::Python(d) => Some(d),
                    FileDecls::Rust(_) => None,
                }),
                knows,
            )
        }
        #[cfg(not(feature = "python"))]
        {
            let _ = (files, knows);
            Vec::new()
        }
    }

    /// What cannot be tied to names: a Rust file's glob imports, the module a Python file is.
    fn untied(&self) -> Vec<String> {
        match self {
            FileDecls::Rust(d) => d.globs(),
            #[cfg(feature = "python")]
            FileDecls::Python(d) => vec![d.identity()],
        }
    }

    /// What the file declares under each name, each declaration written out.
    fn by_name(&self) -> BTreeMap<String, Vec<String>> {
        match self {
            FileDecls::Rust(d) => d.by_name(),
            #[cfg(feature = "python")]
            FileDecls::Python(d) => {
                let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for (name, decl) in d.by_name() {
                    out.entry(name).or_default().push(decl);
                }
                out
            }
        }
    }

    /// The names a file newly let into a run declares, against what the run's index held for it
    /// (a Python module not read yet, or nothing): a source that names none of them resolves
    /// as it did. `None` when what it brings is not tied to names (a Rust file's glob imports).
    pub(crate) fn introduced_names(path: &str, after: Option<&FileDecls>) -> Option<Vec<String>> {
        match FileDecls::unread(path) {
            Some(before) => FileDecls::changed_names(Some(&before), after),
            None => {
                let Some(after) = after else {
                    return Some(Vec::new());
                };
                after
                    .untied()
                    .is_empty()
                    .then(|| after.by_name().into_keys().collect())
            }
        }
    }

    /// The names whose declarations differ between two versions of a file: a source that names
    /// none of them resolves as it did. `None` when what changed is not tied to names (glob
    /// imports, the module a Python file is): every source may resolve differently.
    pub(crate) fn changed_names(
        before: Option<&FileDecls>,
        after: Option<&FileDecls>,
    ) -> Option<Vec<String>> {
        if before.map(FileDecls::untied) != after.map(FileDecls::untied) {
            return None;
        }
        let (before, after) = (
            before.map(FileDecls::by_name).unwrap_or_default(),
            after.map(FileDecls::by_name).unwrap_or_default(),
        );
        let mut names: Vec<String> = before
            .keys()
            .chain(after.keys())
            .filter(|n| before.get(*n) != after.get(*n))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        Some(names)
    }
}

/// The index of a run: each language's, from its files' declarations.
#[derive(Default)]
pub struct RunIndex {
    pub(crate) rust: Index,
    #[cfg(feature = "python")]
    pub(crate) python: python::PyIndex,
}

impl RunIndex {
    /// The index of a run whose Rust index is built already: the Python files of `files` join it
    /// (its Rust files are ignored).
    pub(crate) fn with_rust(rust: Index, files: impl IntoIterator<Item = FileDecls>) -> RunIndex {
        #[cfg(feature = "python")]
        let python = python::PyIndex::new(files.into_iter().filter_map(|f| match f {
            FileDecls::Python(d) => Some(d),
            FileDecls::Rust(_) => None,
        }));
        #[cfg(not(feature = "python"))]
        drop(files.into_iter());
        RunIndex {
            rust,
            #[cfg(feature = "python")]
            python,
        }
    }

    /// Merges the declarations of every file of the run, each into its language's index.
    pub fn new(files: impl IntoIterator<Item = FileDecls>) -> RunIndex {
        let mut rust = Vec::new();
        #[cfg(feature = "python")]
        let mut py = Vec::new();
        for file in files {
            match file {
                FileDecls::Rust(d) => rust.push(d),
                #[cfg(feature = "python")]
                FileDecls::Python(d) => py.push(d),
            }
        }
        RunIndex {
            rust: Index::new(rust),
            #[cfg(feature = "python")]
            python: python::PyIndex::new(py),
        }
    }
}

/// A Python file after the first pass: its declarations, and its tree when the second pass can use
/// it. A Python tree is plain data and waits for the second pass on any thread; a syn tree cannot
/// leave the thread that parsed it (`!Send`), so a Rust tree waits on a keeper thread instead
/// ([`crate::pipeline`]'s keepers).
pub struct Parsed {
    pub decls: FileDecls,
    pub(crate) tree: Option<Tree>,
}

/// A parsed file kept for the second pass.
pub(crate) enum Tree {
    #[cfg(feature = "python")]
    Python(python::Module),
}

/// Step 1, keeping what step 2 can reuse: see [`Parsed`].
pub(crate) fn read_source(
    path: &str,
    text: String,
    options: &Options,
) -> Result<Parsed, SourceError> {
    #[cfg(feature = "python")]
    if is_python(path) {
        let (decls, module) = python::read(path, text)?;
        return Ok(Parsed {
            decls: FileDecls::Python(decls),
            tree: Some(Tree::Python(module)),
        });
    }
    Ok(Parsed {
        decls: index_source(path, &text, options)?,
        tree: None,
    })
}

/// Step 2 over a tree [`read_source`] kept.
pub(crate) fn summarize_tree(
    path: &str,
    tree: &Tree,
    index: &RunIndex,
    options: &Options,
) -> Vec<FnSummary<Location>> {
    #[cfg(feature = "python")]
    match tree {
        Tree::Python(module) => python::summarize_parsed(path, module, &index.python, options),
    }
    #[cfg(not(feature = "python"))]
    {
        let _ = (path, index, options);
        match *tree {}
    }
}

/// A file parsed on the calling thread and held for its own step 2 there ([`summarize_held`]):
/// a long-lived run's edit parses the edited file once.
pub(crate) enum Held {
    Rust(syn::File),
    #[cfg(feature = "python")]
    Python(python::Module),
}

/// Step 1 of one file, holding its tree for [`summarize_held`] on the same thread. Its spans stay
/// registered until that call.
pub(crate) fn read_held(
    path: &str,
    text: String,
    options: &Options,
) -> Result<(FileDecls, Held), SourceError> {
    #[cfg(feature = "python")]
    if is_python(path) {
        let (decls, module) = python::read(path, text)?;
        return Ok((FileDecls::Python(decls), Held::Python(module)));
    }
    if is_python(path) {
        return Err(python_disabled());
    }
    let read = read_rust(path, &text, options);
    if read.is_err() {
        release_spans();
    }
    read.map(|(decls, file)| (FileDecls::Rust(decls), Held::Rust(file)))
}

/// Step 2 over what [`read_held`] gave, then the thread's spans are released.
pub(crate) fn summarize_held(
    path: &str,
    held: Held,
    index: &RunIndex,
    options: &Options,
) -> Vec<FnSummary<Location>> {
    match held {
        Held::Rust(file) => {
            let summaries = if has_summaries(path) {
                summarize_rust_tree(path, &file, &index.rust, options)
            } else {
                Vec::new()
            };
            drop(file);
            release_spans();
            summaries
        }
        #[cfg(feature = "python")]
        Held::Python(module) => python::summarize_parsed(path, &module, &index.python, options),
    }
}

/// Drops what [`read_held`] gave without summarizing it, releasing the thread's spans.
pub(crate) fn release_held(held: Held) {
    drop(held);
    release_spans();
}

/// Step 1: the declarations of one file.
pub fn index_source(path: &str, src: &str, options: &Options) -> Result<FileDecls, SourceError> {
    #[cfg(feature = "python")]
    if is_python(path) {
        return Ok(FileDecls::Python(python::index(path, src)?));
    }
    if is_python(path) {
        return Err(python_disabled());
    }
    crate::parse_count::record(path);
    let decls = {
        let file = parse(src)?;
        let items: Vec<&syn::Item> = file.items.iter().collect();
        RustDecls::collect(&items, &file_scope(path, options))
    };
    release_spans();
    Ok(FileDecls::Rust(decls))
}

/// Step 1 for a Rust file whose tree a keeper thread holds for step 2
/// ([`summarize_rust_tree`]): parsed once, and its spans kept (the thread releases them when the
/// run ends, see [`crate::pipeline`]'s keepers).
pub(crate) fn read_rust(
    path: &str,
    src: &str,
    options: &Options,
) -> Result<(RustDecls, syn::File), SourceError> {
    crate::parse_count::record(path);
    let file = parse(src)?;
    let items: Vec<&syn::Item> = file.items.iter().collect();
    let decls = RustDecls::collect(&items, &file_scope(path, options));
    Ok((decls, file))
}

/// Step 2 over a tree [`read_rust`] kept, on the thread that parsed it.
pub(crate) fn summarize_rust_tree(
    path: &str,
    file: &syn::File,
    index: &Index,
    options: &Options,
) -> Vec<FnSummary<Location>> {
    let items: Vec<&syn::Item> = file.items.iter().collect();
    summarize_items(&items, &file_scope(path, options), index, options)
        .into_iter()
        .map(|s| s.map_spans(Location::of))
        .collect()
}

/// Whether step 2 can give `path` any summary once its step 1 parsed: not for a catalog library's
/// own source (vendored, or a registry checkout), which manages its handles by design.
pub(crate) fn has_summaries(path: &str) -> bool {
    is_python(path) || !catalog::is_catalog_crate(&crate_name(&crate_root(path)))
}

/// Step 2: the summaries of one file's functions.
pub fn summarize_source(
    path: &str,
    src: &str,
    index: &RunIndex,
    options: &Options,
) -> Result<Vec<FnSummary<Location>>, SourceError> {
    #[cfg(feature = "python")]
    if is_python(path) {
        return python::summarize(path, src, &index.python, options);
    }
    if is_python(path) {
        return Err(python_disabled());
    }
    // A catalog library's own source (vendored, or a registry checkout) manages its handles by
    // design: its functions are the API the catalog describes, not code to report.
    crate::parse_count::record(path);
    if !has_summaries(path) {
        parse(src)?;
        release_spans();
        return Ok(Vec::new());
    }
    let summaries = {
        let file = parse(src)?;
        summarize_rust_tree(path, &file, &index.rust, options)
    };
    release_spans();
    Ok(summaries)
}

/// The scope of a file's top-level items: its crate and module, from its path.
fn file_scope(path: &str, options: &Options) -> NameScope {
    NameScope::file_in(
        types::crate_root_segment(&crate_root(path)),
        module_path(path),
        &options.crates,
    )
}

/// In `scope.item_only` (the macro door) the items are all there is to see, so the return types
/// and call shapes stand in for the declarations the item does not show.
pub(crate) fn summarize_items(
    items: &[&syn::Item],
    scope: &NameScope,
    index: &Index,
    options: &Options,
) -> Vec<FnSummary<SpanRange>> {
    let mut out = Vec::new();
    let mut module = vec![scope.krate.clone()];
    module.extend(scope.module.iter().cloned());
    let context = Inherited {
        handles: options.handles.clone(),
        item_only: scope.item_only,
        test_only: index.is_test_module(&module),
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
        let err = index_source("src/deep.rs", &src, &Options::default()).unwrap_err();
        assert!(err.message.contains("nest too deep"), "{err}");
        let ok = format!("fn f() -> i32 {{ {}1{} }}", "(".repeat(50), ")".repeat(50));
        assert!(index_source("src/ok.rs", &ok, &Options::default()).is_ok());
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
        assert!(index_source("src/bom.rs", "\u{feff}fn f() {}", &Options::default()).is_ok());
        assert!(
            index_source(
                "src/main.rs",
                "#!/usr/bin/env run-cargo-script\nfn main() {}",
                &Options::default()
            )
            .is_ok()
        );
        assert!(
            index_source(
                "src/lib.rs",
                "#![allow(dead_code)]\nfn f() {}",
                &Options::default()
            )
            .is_ok()
        );
        let err = index_source(
            "src/lex.rs",
            "fn f() { \"unterminated }",
            &Options::default(),
        )
        .unwrap_err();
        assert!(err.position.is_some(), "{err}");
    }

    #[test]
    fn a_parse_error_names_the_position() {
        let err = index_source(
            "src/broken.rs",
            "fn f() {\n    let x = 1\n}\n",
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(err.position, Some(LineCol { line: 3, column: 1 }));
        assert!(err.to_string().contains("at line 3 column 1"), "{err}");
    }
}
