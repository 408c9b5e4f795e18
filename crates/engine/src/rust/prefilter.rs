//! The prefilter: which Rust files can matter to a run, decided on their bytes before they are
//! parsed. A file that names no catalog crate, none of the project's configured handles,
//! pools or providers, no `scoped_db` attribute or suppression comment, and nothing the parsed
//! files declare as database-bearing (a type that holds a catalog type, an alias of one, a
//! function that returns one or lets a handle escape) can neither obtain a handle nor receive one
//! from another file, so it is never parsed. The set grows to a fixpoint: a wrapper in a file that
//! names no catalog term is found because it names the function that returns the handle.
//!
//! Python files are always parsed: Ruff's parser reads them faster than the fixpoint would pay.

use std::collections::BTreeSet;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::frontend::{crate_name, crate_root};
use crate::options::Options;
use crate::rust::catalog;

/// Byte patterns that make a file worth parsing.
pub(crate) struct Needles {
    words: BTreeSet<String>,
    search: Option<Search>,
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
        let prefixes = words
            .iter()
            .map(|w| {
                (0..words.len())
                    .filter(|&j| words[j].len() < w.len() && w.starts_with(words[j].as_str()))
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
    /// What any run looks for: the catalog's crates and types, our own attribute and comment,
    /// and what the configurations of the run name.
    pub(crate) fn base<'a>(options: impl IntoIterator<Item = &'a Options>) -> Needles {
        let mut words: BTreeSet<String> = BTreeSet::new();
        // A catalog type is only ever known through a path into its crate (a `use` item, a
        // qualified path), so the crate names are enough; a bare name re-exported by the project's
        // own modules joins once those are parsed ([`crate::rust::index::Index::db_names`]).
        for family in catalog::FAMILIES {
            words.extend(family.crates.iter().map(|c| c.to_string()));
        }
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
            search: None,
        };
        needles.extend(words);
        needles
    }

    /// Exactly these words.
    pub(crate) fn of(words: impl IntoIterator<Item = String>) -> Needles {
        let mut needles = Needles {
            words: BTreeSet::new(),
            search: None,
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
        self.search = Search::new(&self.words);
        Needles {
            search: Search::new(&fresh),
            words: fresh,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `text` holds one of the words as a whole word (`Pool`, not `ThreadPool`; `db`,
    /// not `dbg`).
    pub(crate) fn found_in(&self, text: &str) -> bool {
        // An automaton that could not be built (never expected) lets everything through.
        let Some(search) = &self.search else {
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

/// Whether the prefilter applies to a source: Rust only.
pub(crate) fn applies_to(path: &str) -> bool {
    path.ends_with(".rs")
}

/// Whether a source is a catalog library's own (`vendor/sqlx-core-0.8.6/src/..`): never
/// reported, and reached by no other crate's paths, so it cannot matter to a run.
pub(crate) fn is_library_source(path: &str) -> bool {
    catalog::is_catalog_crate(&crate_name(&crate_root(path)))
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
