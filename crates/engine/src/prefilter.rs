//! The prefilter: which files can matter to a run, decided on their bytes before they are parsed.
//!
//! A Rust file that names no catalog crate, none of the project's configured handles, pools or
//! providers, no `scoped_db` attribute or suppression comment, and nothing the parsed files declare
//! as database-bearing (a type that holds a catalog type, an alias of one, a function that returns
//! one or lets a handle escape) can neither obtain a handle nor receive one from another file, so
//! it is never parsed. The set grows to a fixpoint: a wrapper in a file that names no catalog term
//! is found because it names the function that returns the handle.
//!
//! A Python file is held to the same words (the catalog's packages, the configured handles, what
//! the parsed modules declare as database-bearing or hand out, the project managers their `with`
//! statements enter), and is parsed too when it has a `with` statement that binds a target
//! ([`binds_with_target`]): a manager the catalog does not know still binds a handle when the
//! block uses its target as one. A Python module that is not parsed still counts as a module of
//! the run (see `crate::python::PyDecls::unread`), so how every import resolves is the same.

use std::collections::BTreeSet;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::frontend::{crate_name, crate_root};
use crate::options::Options;
use crate::rust::catalog;

/// Byte patterns that make a file worth parsing.
pub(crate) struct Needles {
    words: BTreeSet<String>,
    /// Built on the first search: a run's growing set of words is searched for only through the
    /// fresh words each round adds.
    search: std::sync::OnceLock<Option<Search>>,
}

/// A leftmost-longest automaton (which memchr-accelerated search serves, unlike an overlapping
/// one) over the words, with, for each word, the shorter words that are its prefixes.
struct Search {
    automaton: AhoCorasick,
    words: Vec<String>,
    prefixes: Vec<Vec<usize>>,
}

impl Search {
    fn new(words: &BTreeSet<String>) -> Option<Search> {
        let words: Vec<String> = words.iter().cloned().collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&words)
            .ok()?;
        // Each word's own prefixes looked up: linear in the words' length, where comparing every
        // pair is quadratic in their number (thousands, on a large application).
        let position: rustc_hash::FxHashMap<&str, usize> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_str(), i))
            .collect();
        let prefixes = words
            .iter()
            .map(|w| {
                (1..w.len())
                    .filter(|&end| w.is_char_boundary(end))
                    .filter_map(|end| position.get(&w[..end]).copied())
                    .collect()
            })
            .collect();
        Some(Search {
            automaton,
            words,
            prefixes,
        })
    }
}

impl Needles {
    /// What any run looks for in Rust: the catalog's crates and types, our own attribute and
    /// comment, and what the configurations of the run name.
    pub(crate) fn base<'a>(options: impl IntoIterator<Item = &'a Options>) -> Needles {
        // A catalog type is only ever known through a path into its crate (a `use` item, a
        // qualified path), so the crate names are enough; a bare name re-exported by the project's
        // own modules joins once those are parsed ([`crate::rust::index::Index::db_names`]).
        let crates = catalog::FAMILIES
            .iter()
            .flat_map(|f| f.crates.iter().map(|c| c.to_string()));
        Needles::base_with(crates, options)
    }

    /// The same in Python: a library's types and calls are known through its package's name (an
    /// import), and the rest as in Rust.
    pub(crate) fn python_base<'a>(options: impl IntoIterator<Item = &'a Options>) -> Needles {
        #[cfg(feature = "python")]
        let packages = crate::python::package_roots().map(str::to_string);
        #[cfg(not(feature = "python"))]
        let packages = std::iter::empty();
        Needles::base_with(packages, options)
    }

    fn base_with<'a>(
        catalog: impl Iterator<Item = String>,
        options: impl IntoIterator<Item = &'a Options>,
    ) -> Needles {
        let mut words: BTreeSet<String> = catalog.collect();
        words.extend(["scoped_db".to_string(), "scoped-db".to_string()]);
        for o in options {
            words.extend(o.handles.iter().cloned());
            words.extend(
                o.providers
                    .iter()
                    .filter_map(|p| p.rsplit("::").next().map(str::to_string)),
            );
            for (ty, methods) in &o.pools {
                words.insert(ty.clone());
                words.extend(methods.iter().cloned());
            }
        }
        let mut needles = Needles {
            words: BTreeSet::new(),
            search: std::sync::OnceLock::new(),
        };
        needles.extend(words);
        needles
    }

    /// Exactly these words.
    pub(crate) fn of(words: impl IntoIterator<Item = String>) -> Needles {
        let mut needles = Needles {
            words: BTreeSet::new(),
            search: std::sync::OnceLock::new(),
        };
        needles.extend(words);
        needles
    }

    /// Adds words; the ones not seen before, which files already passed over must be searched
    /// for again.
    pub(crate) fn extend(&mut self, words: impl IntoIterator<Item = String>) -> Needles {
        let fresh: BTreeSet<String> = words
            .into_iter()
            .filter(|w| !w.is_empty() && !self.words.contains(w))
            .collect();
        self.words.extend(fresh.iter().cloned());
        self.search = std::sync::OnceLock::new();
        Needles {
            search: std::sync::OnceLock::new(),
            words: fresh,
        }
    }

    /// Every word looked for so far.
    pub(crate) fn words(&self) -> &BTreeSet<String> {
        &self.words
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `text` holds one of the words as a whole word (`Pool`, not `ThreadPool`; `db`,
    /// not `dbg`).
    pub(crate) fn found_in(&self, text: &str) -> bool {
        // An automaton that could not be built (never expected) lets everything through.
        let Some(search) = self.search.get_or_init(|| Search::new(&self.words)) else {
            return true;
        };
        let bytes = text.as_bytes();
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let whole = |start: usize, end: usize| {
            let before = start.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(end).copied();
            before.is_none_or(|b| !ident(b)) && after.is_none_or(|b| !ident(b))
        };
        let mut at = 0;
        while let Some(m) = search.automaton.find(Input::new(bytes).range(at..)) {
            // The longest word at a position stands for the shorter ones there, except where a
            // shorter one ends at a boundary the longer one runs past (`scoped` in `scoped-db`).
            let shorter = &search.prefixes[m.pattern().as_usize()];
            if whole(m.start(), m.end())
                || shorter
                    .iter()
                    .any(|&j| whole(m.start(), m.start() + search.words[j].len()))
            {
                return true;
            }
            // Every match that starts later is found from the next byte on.
            at = m.start() + 1;
        }
        false
    }
}

/// The words of a run, by language: what a Rust file declares or hands out says nothing of a
/// Python file, and the other way round.
pub(crate) struct Words {
    pub(crate) rust: Needles,
    pub(crate) python: Needles,
}

impl Words {
    /// What a source that makes a slow call (SDB009) names: it can matter only to a caller in
    /// its own part that holds a database scope, so these let a source through only in a part
    /// where another source was let through already (see `pipeline::run`).
    pub(crate) fn slow() -> Words {
        #[cfg(feature = "python")]
        let python: Vec<String> = crate::python::slow_roots().map(str::to_string).collect();
        #[cfg(not(feature = "python"))]
        let python = Vec::new();
        Words {
            rust: Needles::of(catalog::slow_words().map(str::to_string)),
            python: Needles::of(python),
        }
    }

    /// No words.
    pub(crate) fn none() -> Words {
        Words {
            rust: Needles::of(std::iter::empty()),
            python: Needles::of(std::iter::empty()),
        }
    }

    /// What any run looks for ([`Needles::base`], [`Needles::python_base`]).
    pub(crate) fn base<'a>(options: impl IntoIterator<Item = &'a Options> + Clone) -> Words {
        Words {
            rust: Needles::base(options.clone()),
            python: Needles::python_base(options),
        }
    }

    /// Adds each language's words; the ones not seen before.
    pub(crate) fn extend(&mut self, rust: Vec<String>, python: Vec<String>) -> Words {
        Words {
            rust: self.rust.extend(rust),
            python: self.python.extend(python),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rust.is_empty() && self.python.is_empty()
    }

    /// Whether the text of the source at `path` holds one of its language's words.
    pub(crate) fn found_in(&self, path: &str, text: &str) -> bool {
        let needles = if path.ends_with(".py") {
            &self.python
        } else {
            &self.rust
        };
        !needles.is_empty() && needles.found_in(text)
    }
}

/// Whether the prefilter applies to a source: Rust and Python.
pub(crate) fn applies_to(path: &str) -> bool {
    path.ends_with(".rs") || path.ends_with(".py")
}

/// Whether Python source may hold a `with` statement that binds a target: a line that begins with
/// `with` (or `async with`) and a whole-word `as` before the end of that statement's header (the
/// first line after it that ends in `:`, at most [`HEADER_LINES`] lines on). A line of a string
/// that reads so passes too: the file is parsed, which costs time, never a finding.
pub(crate) fn binds_with_target(text: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let has_as = |line: &str| {
        line.match_indices("as")
            .any(|(i, _)| !line[..i].ends_with(ident) && !line[i + 2..].starts_with(ident))
    };
    for (at, _) in text.match_indices("with") {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        // Only blanks, or `async` and blanks, before it on its line.
        let before = &text[line_start..at];
        let lead = before.trim_start();
        if !(lead.is_empty() || (lead.trim_end() == "async" && lead.ends_with([' ', '\t']))) {
            continue;
        }
        let after = &text[at + 4..];
        if !after.starts_with([' ', '\t', '(']) {
            continue;
        }
        // The header: from `with` to the first line that ends in `:`.
        for line in after.lines().take(HEADER_LINES) {
            if has_as(line) {
                return true;
            }
            if line.trim_end().ends_with(':') {
                break;
            }
        }
    }
    false
}

/// How many lines a `with` statement's header may span for [`binds_with_target`].
const HEADER_LINES: usize = 50;

/// Whether a source is a catalog library's own (`vendor/sqlx-core-0.8.6/src/..`): never
/// reported, and reached by no other crate's paths, so it cannot matter to a run.
pub(crate) fn is_library_source(path: &str) -> bool {
    catalog::is_catalog_crate(&crate_name(&crate_root(path)))
}

/// Which Python sources of a run are a catalog library's own (`sqlalchemy/engine/base.py` in a
/// checkout of SQLAlchemy, or a vendored copy): those whose top-level package (the outermost
/// directory of the chain of packages, directories with an `__init__.py`, they sit in) is a package
/// the catalog models. Such a module is never reported, and it is never read for declarations
/// either: the catalog describes its API, and a class of its source would stand in for the
/// catalog's type of the same name (`sqlalchemy.engine.Connection`).
pub(crate) fn python_library_sources<'a>(
    paths: impl Iterator<Item = &'a str> + Clone,
) -> Vec<bool> {
    #[cfg(feature = "python")]
    {
        let packages: rustc_hash::FxHashSet<String> = paths
            .clone()
            .filter_map(|p| normal(p).strip_suffix("/__init__.py").map(str::to_string))
            .collect();
        let roots: BTreeSet<&str> = crate::python::package_roots().collect();
        paths
            .map(|path| {
                if !path.ends_with(".py") {
                    return false;
                }
                let path = normal(path);
                let mut dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                let mut top = None;
                while packages.contains(dir) {
                    top = Some(dir);
                    dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
                }
                top.is_some_and(|t| roots.contains(t.rsplit('/').next().unwrap_or(t)))
            })
            .collect()
    }
    #[cfg(not(feature = "python"))]
    paths.map(|_| false).collect()
}

/// The files that may declare the module `path` is, or one it is in, each with the name it would
/// declare (`src/a/b.rs` is `b` in `src/a.rs` or `src/a/mod.rs`, which are `a` in `src/lib.rs` or
/// `src/main.rs`), as `/`-separated paths:
/// parsed with any file that is, since a `#[cfg(test)] mod b;` there makes `b` test code.
/// [`normal`] spells the run's paths the same way.
pub(crate) fn module_parents(path: &str) -> Vec<(String, String)> {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let Some(src) = parts.iter().rposition(|p| *p == "src") else {
        return Vec::new();
    };
    let below = &parts[src + 1..];
    let mut modules: Vec<&str> = below
        .iter()
        .map(|p| p.strip_suffix(".rs").unwrap_or(p))
        .collect();
    if modules.last() == Some(&"mod") {
        modules.pop();
    }
    if modules.is_empty()
        || below == ["lib.rs"]
        || below == ["main.rs"]
        || below.first() == Some(&"bin")
    {
        return Vec::new();
    }
    let root = parts[..=src].join("/");
    let mut out = Vec::new();
    for k in (1..modules.len()).rev() {
        let parent = modules[..k].join("/");
        let child = modules[k].to_string();
        out.push((format!("{root}/{parent}.rs"), child.clone()));
        out.push((format!("{root}/{parent}/mod.rs"), child));
    }
    out.push((format!("{root}/lib.rs"), modules[0].to_string()));
    out.push((format!("{root}/main.rs"), modules[0].to_string()));
    out
}

/// A path as [`module_parents`] spells it: `/`-separated, without `.` segments.
pub(crate) fn normal(path: &str) -> String {
    path.split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_is_declared_by_its_parents_up_to_the_crate_root() {
        let parents = |p: &str| -> Vec<(String, String)> { module_parents(p) };
        let pair = |p: &str, c: &str| (p.to_string(), c.to_string());
        assert_eq!(
            parents("app/src/db/pool.rs"),
            [
                pair("app/src/db.rs", "pool"),
                pair("app/src/db/mod.rs", "pool"),
                pair("app/src/lib.rs", "db"),
                pair("app/src/main.rs", "db")
            ]
        );
        assert_eq!(
            parents("./src/test_support.rs"),
            [
                pair("src/lib.rs", "test_support"),
                pair("src/main.rs", "test_support")
            ]
        );
        assert_eq!(
            parents(r"src\db\mod.rs"),
            [pair("src/lib.rs", "db"), pair("src/main.rs", "db")]
        );
        assert!(parents("src/lib.rs").is_empty());
        assert!(parents("src/bin/tool.rs").is_empty());
        assert!(parents("build.rs").is_empty());
    }

    #[test]
    fn a_with_statement_that_binds_a_target_is_found_on_the_bytes() {
        for binds in [
            "with engine.connect() as conn:\n    pass\n",
            "async def f():\n    async with pool.acquire() as c:\n        return c\n",
            "with (\n    a() as x,\n    b() as y,\n):\n    pass\n",
            "with a(), \\\n        b() as y:\n    pass\n",
            "with\ttimer() as t: t.go()\n",
        ] {
            assert!(binds_with_target(binds), "{binds}");
        }
        for not_binding in [
            "with lock:\n    x = 1\nimport numpy as np\n",
            "without = 1\nwith_x = 2 as_y\n",
            "x = 1  # with a as b\n",
            "def with_conn(): pass\n",
            "with open(p):\n    alias = 1\n",
        ] {
            assert!(!binds_with_target(not_binding), "{not_binding}");
        }
    }

    #[cfg(feature = "python")]
    #[test]
    fn a_catalog_packages_own_modules_are_its_library_source() {
        let paths = [
            "sqlalchemy-2.0.36/lib/sqlalchemy/__init__.py",
            "sqlalchemy-2.0.36/lib/sqlalchemy/engine/__init__.py",
            "sqlalchemy-2.0.36/lib/sqlalchemy/engine/base.py",
            "sqlalchemy-2.0.36/setup.py",
            "app/sqlalchemy/helpers.py",
            "app/__init__.py",
            "app/db.py",
            "svc/asyncpg/pool.py",
            "svc/asyncpg/__init__.py",
            "src/lib.rs",
        ];
        let library = python_library_sources(paths.iter().copied());
        assert_eq!(
            library,
            [
                true, true, true, false, false, false, false, true, true, false
            ]
        );
    }

    #[test]
    fn base_words_find_catalog_code_and_configured_names() {
        let options = Options {
            pools: vec![("Broker".into(), vec!["checkout".into()])],
            ..Options::default()
        };
        let needles = Needles::base([&options]);
        assert!(needles.found_in("use sqlx::PgPool;"));
        assert!(needles.found_in("use deadpool_postgres::Pool;"));
        assert!(needles.found_in("fn f(b: &Broker) {}"));
        assert!(needles.found_in("// scoped-db: allow(SDB001)"));
        assert!(!needles.found_in("fn add(a: u32, b: u32) -> u32 { a + b }"));
        // Whole words only.
        assert!(!needles.found_in("let sqlxish = 1; // not_sqlx"));
    }

    #[test]
    fn a_word_is_found_behind_or_inside_a_longer_match_that_is_not_whole() {
        let mut needles = Needles::base([&Options::default()]);
        needles.extend([
            "Pool".to_string(),
            "PoolBox".to_string(),
            "oolB".to_string(),
        ]);
        // The longest match (`PoolBox`) runs into `es`; `Pool` does not end there either.
        assert!(!needles.found_in("let x: PoolBoxes = y;"));
        // A later word inside a failed match.
        let fresh = Needles::base([&Options::default()]).extend([
            "ab".to_string(),
            "b_c".to_string(),
            "c".to_string(),
        ]);
        assert!(fresh.found_in("ab_c c"));
        assert!(!fresh.found_in("ab_cd"));
        // A shorter word at the same start that ends where the longer one does not.
        let mut dashed = Needles::base([&Options::default()]);
        let fresh = dashed.extend(["pool".to_string(), "pool-x".to_string()]);
        assert!(fresh.found_in("pool-xy"));
        assert!(!fresh.found_in("pool_xy"));
    }

    #[test]
    fn extending_answers_only_for_new_words() {
        let mut needles = Needles::base([&Options::default()]);
        let fresh = needles.extend(["open_tx".to_string(), "sqlx".to_string()]);
        assert!(fresh.found_in("let t = open_tx(&db);"));
        assert!(!fresh.found_in("use sqlx::PgPool;"));
        assert!(needles.found_in("let t = open_tx(&db);"));
        assert!(needles.extend(["open_tx".to_string()]).is_empty());
    }
}
