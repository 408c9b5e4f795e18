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

use aho_corasick::AhoCorasick;

use crate::Options;
use crate::catalog;

/// Byte patterns that make a file worth parsing.
pub(crate) struct Needles {
    words: BTreeSet<String>,
    automaton: Option<AhoCorasick>,
}

impl Needles {
    /// What any run looks for: the catalog's crates and types, our own attribute and comment,
    /// and what the configurations of the run name.
    pub(crate) fn base<'a>(options: impl IntoIterator<Item = &'a Options>) -> Needles {
        let mut words: BTreeSet<String> = BTreeSet::new();
        // A catalog type is only ever known through a path into its crate (a `use` item, a
        // qualified path), so the crate names are enough; a bare name re-exported by the project's
        // own modules joins once those are parsed ([`crate::Index::db_names`]).
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
            automaton: None,
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
        self.automaton = AhoCorasick::new(&self.words).ok();
        Needles {
            automaton: AhoCorasick::new(&fresh).ok(),
            words: fresh,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `text` holds one of the words as a whole word (`Pool`, not `ThreadPool`; `db`,
    /// not `dbg`). Words with a `-` (`scoped-db`) match anywhere.
    pub(crate) fn found_in(&self, text: &str) -> bool {
        // An automaton that could not be built (never expected) lets everything through.
        let Some(automaton) = &self.automaton else {
            return true;
        };
        let bytes = text.as_bytes();
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        automaton.find_overlapping_iter(bytes).any(|m| {
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            before.is_none_or(|b| !ident(b)) && after.is_none_or(|b| !ident(b))
        })
    }
}

/// Whether the prefilter applies to a source: Rust only.
pub(crate) fn applies_to(path: &str) -> bool {
    path.ends_with(".rs")
}

/// Whether a source is a catalog library's own (`vendor/sqlx-core-0.8.6/src/..`): never
/// reported, and reached by no other crate's paths, so it cannot matter to a run.
pub(crate) fn is_library_source(path: &str) -> bool {
    catalog::is_catalog_crate(&crate::crate_name(&crate::crate_root(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn extending_answers_only_for_new_words() {
        let mut needles = Needles::base([&Options::default()]);
        let fresh = needles.extend(["open_tx".to_string(), "sqlx".to_string()]);
        assert!(fresh.found_in("let t = open_tx(&db);"));
        assert!(!fresh.found_in("use sqlx::PgPool;"));
        assert!(needles.found_in("let t = open_tx(&db);"));
        assert!(needles.extend(["open_tx".to_string()]).is_empty());
    }
}
