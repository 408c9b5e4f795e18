//! A long-lived run, for the language server: every source's declarations and summaries are kept,
//! so a change to one file re-reads that file only. When its declarations are unchanged (an edit
//! inside a function body, which is most keystrokes), only that file is summarized again, and only
//! what it can change is linked again: the facts of its functions and of their callers, direct or
//! not, and the findings of the files those are in; when they change (a signature, a struct, an import), the index is rebuilt and the
//! sources that name one of the file's declarations are summarized again against it, since how
//! they resolve may have changed (one that names none cannot resolve anything to the file: the
//! prefilter's argument, on the names of one file).
//!
//! Unlike a command-line run there is no prefilter: the set of files that can matter changes as
//! the user types, so every source is parsed when the workspace is opened. An edited file is
//! parsed once per edit: its tree is held from its declarations to its summaries.

use std::panic::{self, AssertUnwindSafe};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::finding::Finding;
use crate::frontend::{
    FileDecls, Held, RunIndex, read_held, release_held, summarize_held, summarize_source,
};
use crate::ids::FnKey;
use crate::location::Location;
use crate::options::{Options, SourceError};
use crate::pipeline::{self, Failure, group_findings, link_with_facts};
use crate::propagate::{Callers, Facts};
use crate::rust::index::Index;
use crate::summary::FnSummary;

/// Where a source's text comes from when it must be read again: the editor's buffer for an open
/// file, the disk for the rest.
pub trait Texts {
    fn text(&self, path: &str) -> Result<String, String>;
}

struct Entry {
    path: String,
    options: Options,
    decls: Option<FileDecls>,
    error: Option<SourceError>,
    /// The identifiers its text holds, hashed: whether it names a declaration that changed is
    /// answered here, without reading it again (a hash shared by two names costs a summary).
    names: HashSet<u64>,
}

/// What the workspace knows, and the findings of its last link.
pub struct Workspace {
    entries: Vec<Entry>,
    /// Each entry's summaries, by the same index: linked as they are, never copied.
    groups: Vec<Vec<FnSummary<Location>>>,
    by_path: HashMap<String, usize>,
    index: RunIndex,
    /// Each entry's findings, by the same index.
    findings: Vec<Vec<Finding<Location>>>,
    /// What the last link found of the run's functions; none when it fell back to linking each
    /// file alone, so the next link is of the whole run.
    facts: Option<Facts>,
    /// Who calls each function, and where each function's summary is (its entry and its place
    /// there), for [`Workspace::relink`].
    callers: Callers,
    located: HashMap<FnKey, Vec<(usize, usize)>>,
    /// By entry, whether it is a catalog library's own Python module (as a command-line run
    /// treats it: never read for declarations or summaries, see
    /// `crate::prefilter::python_library_sources`).
    library: Vec<bool>,
}

/// What an update did, for whoever wants to know its cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Only the changed source was summarized again.
    OneFile,
    /// Its declarations changed: the index was rebuilt and this many other sources, those that
    /// name one of its declarations, were summarized again.
    Dependents(usize),
}

impl Workspace {
    /// Opens a workspace over `sources` (path and configuration), reading each once.
    pub fn open(sources: Vec<(String, Options)>, texts: &dyn Texts) -> Workspace {
        let mut ws = Workspace {
            entries: Vec::new(),
            groups: Vec::new(),
            by_path: HashMap::default(),
            index: RunIndex::default(),
            findings: Vec::new(),
            facts: None,
            callers: Callers::default(),
            located: HashMap::default(),
            library: Vec::new(),
        };
        for (path, options) in sources {
            ws.by_path.insert(path.clone(), ws.entries.len());
            ws.entries.push(Entry {
                path,
                options,
                decls: None,
                error: None,
                names: HashSet::default(),
            });
            ws.groups.push(Vec::new());
        }
        ws.find_library();
        for i in 0..ws.entries.len() {
            if let Some(held) = ws.read_decls(i, texts) {
                release_held(held);
            }
        }
        ws.rebuild(texts);
        ws
    }

    /// Which entries are a catalog library's own Python modules.
    fn find_library(&mut self) {
        self.library =
            crate::prefilter::python_library_sources(self.entries.iter().map(|e| e.path.as_str()));
    }

    /// Sets the text of `path` (opened, edited or created; added to the workspace if new).
    pub fn update(&mut self, path: &str, options: Options, texts: &dyn Texts) -> Update {
        let i = match self.by_path.get(path) {
            Some(&i) => {
                self.entries[i].options = options;
                i
            }
            None => {
                self.by_path.insert(path.to_string(), self.entries.len());
                self.entries.push(Entry {
                    path: path.to_string(),
                    options,
                    decls: None,
                    error: None,
                    names: HashSet::default(),
                });
                self.groups.push(Vec::new());
                self.find_library();
                self.entries.len() - 1
            }
        };
        let before = self.entries[i].decls.clone();
        let keys_before: Vec<FnKey> = self.groups[i].iter().map(|s| s.key.clone()).collect();
        // The edited file is parsed once: its tree is held for its own summaries.
        let held = self.read_decls(i, texts);
        if self.entries[i].decls == before {
            self.summarize_from(i, held);
            self.relink(&[i], keys_before);
            return Update::OneFile;
        }
        let changed = FileDecls::changed_names(before.as_ref(), self.entries[i].decls.as_ref());
        self.reindex(i, before.as_ref(), changed.is_some());
        // Before any other file: reading one releases the thread's spans, which a held Rust tree
        // still needs.
        self.summarize_from(i, held);
        let changed: Option<HashSet<u64>> =
            changed.map(|names| names.iter().map(|n| hash(n)).collect());
        let dependents: Vec<usize> = (0..self.entries.len())
            .filter(|&j| {
                j != i
                    && self.entries[j].decls.is_some()
                    && changed
                        .as_ref()
                        .is_none_or(|names| names.iter().any(|n| self.entries[j].names.contains(n)))
            })
            .collect();
        let Some(_) = changed else {
            // What changed is not tied to names: every source is read again and all is linked.
            for &j in &dependents {
                self.summarize(j, texts);
            }
            self.link();
            return Update::Dependents(dependents.len());
        };
        let mut before_keys = keys_before;
        for &j in &dependents {
            before_keys.extend(self.groups[j].iter().map(|s| s.key.clone()));
            self.summarize(j, texts);
        }
        let mut files = dependents.clone();
        files.push(i);
        self.relink(&files, before_keys);
        Update::Dependents(dependents.len())
    }

    /// Brings the index up to date after source `i`'s declarations changed from `before`: only
    /// its language's part is built again, and a Python module whose identity is the same
    /// (`tied`: what changed is tied to names) replaces its old declarations in place.
    fn reindex(&mut self, i: usize, before: Option<&FileDecls>, tied: bool) {
        let after = self.entries[i].decls.as_ref();
        #[cfg(feature = "python")]
        if tied
            && let (Some(FileDecls::Python(_)), Some(FileDecls::Python(after))) = (before, after)
        {
            self.index.python.replace(after.clone());
            return;
        }
        let rust = |d: Option<&FileDecls>| matches!(d, Some(FileDecls::Rust(_)));
        if rust(before) && rust(after) {
            self.index.rust = Index::new(
                self.entries
                    .iter()
                    .filter_map(|e| e.decls.as_ref()?.rust().cloned()),
            );
            return;
        }
        let _ = tied;
        self.index = RunIndex::new(self.entries.iter().filter_map(|e| e.decls.clone()));
    }

    /// Drops `path` from the workspace (deleted).
    pub fn remove(&mut self, path: &str, texts: &dyn Texts) {
        let Some(i) = self.by_path.remove(path) else {
            return;
        };
        self.entries.remove(i);
        self.groups.remove(i);
        self.find_library();
        for index in self.by_path.values_mut() {
            if *index > i {
                *index -= 1;
            }
        }
        self.rebuild(texts);
    }

    /// The findings in `path`, in order.
    pub fn findings(&self, path: &str) -> Vec<&Finding<Location>> {
        let Some(&i) = self.by_path.get(path) else {
            return Vec::new();
        };
        self.findings.get(i).into_iter().flatten().collect()
    }

    /// Why `path` could not be checked, if it could not.
    pub fn error(&self, path: &str) -> Option<&SourceError> {
        self.by_path
            .get(path)
            .and_then(|&i| self.entries[i].error.as_ref())
    }

    /// The paths of the workspace, in the order they were added.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.path.as_str())
    }

    /// Reads the declarations of source `i`, and gives its tree for [`Workspace::summarize_from`].
    fn read_decls(&mut self, i: usize, texts: &dyn Texts) -> Option<Held> {
        let entry = &mut self.entries[i];
        let read = texts.text(&entry.path).map_err(|message| SourceError {
            message,
            position: None,
        });
        let path = entry.path.clone();
        let options = &entry.options;
        if let Ok(text) = &read {
            entry.names = identifiers(text);
        }
        match read.and_then(|text| contained(|| read_held(&path, text, options))) {
            // A catalog library's own module: it must parse, and is then a module of the run that
            // declares nothing and has nothing to report.
            Ok((_, held)) if self.library.get(i).copied().unwrap_or(false) => {
                release_held(held);
                entry.decls = FileDecls::unread(&path);
                entry.error = None;
                self.groups[i].clear();
                None
            }
            Ok((decls, held)) => {
                entry.decls = Some(decls);
                entry.error = None;
                Some(held)
            }
            Err(e) => {
                entry.decls = None;
                entry.error = Some(e);
                self.groups[i].clear();
                None
            }
        }
    }

    /// Summarizes source `i` from the tree [`Workspace::read_decls`] gave.
    fn summarize_from(&mut self, i: usize, held: Option<Held>) {
        let Some(held) = held else {
            return;
        };
        let entry = &self.entries[i];
        let (path, options) = (&entry.path, &entry.options);
        let index = &self.index;
        match contained(|| Ok(summarize_held(path, held, index, options))) {
            Ok(s) => self.groups[i] = s,
            Err(e) => {
                self.groups[i].clear();
                self.entries[i].error = Some(e);
            }
        }
    }

    fn summarize(&mut self, i: usize, texts: &dyn Texts) {
        if self.entries[i].decls.is_none() || self.library.get(i).copied().unwrap_or(false) {
            return;
        }
        let entry = &self.entries[i];
        let (path, options) = (entry.path.clone(), entry.options.clone());
        let index = &self.index;
        let result = texts
            .text(&path)
            .map_err(|message| SourceError {
                message,
                position: None,
            })
            .and_then(|text| contained(|| summarize_source(&path, &text, index, &options)));
        match result {
            Ok(s) => self.groups[i] = s,
            Err(e) => {
                self.groups[i].clear();
                self.entries[i].error = Some(e);
            }
        }
    }

    fn rebuild(&mut self, texts: &dyn Texts) {
        self.index = RunIndex::new(self.entries.iter().filter_map(|e| e.decls.clone()));
        for i in 0..self.entries.len() {
            self.summarize(i, texts);
        }
        self.link();
    }

    /// Links the whole run.
    fn link(&mut self) {
        let groups = &self.groups;
        self.callers = Callers::of(groups.iter().flatten());
        self.located = HashMap::default();
        for (g, group) in groups.iter().enumerate() {
            for (k, s) in group.iter().enumerate() {
                self.located.entry(s.key.clone()).or_default().push((g, k));
            }
        }
        let mut findings = vec![Vec::new(); groups.len()];
        match panic::catch_unwind(AssertUnwindSafe(|| link_with_facts(groups))) {
            Ok((linked, facts)) => {
                for (file, f) in linked {
                    findings[file].push(f);
                }
                self.facts = Some(facts);
            }
            // The cross-file step failed: each source is linked alone, as if checked alone, and
            // one whose own link fails is an error on it.
            Err(_) => {
                let mut failed = vec![None; groups.len()];
                for (file, f) in pipeline::link_alone(groups, &mut failed) {
                    findings[file].push(f);
                }
                for (entry, failure) in self.entries.iter_mut().zip(failed) {
                    if let Some(failure) = failure {
                        entry.error = Some(source_error(failure));
                    }
                }
                self.facts = None;
            }
        }
        self.findings = findings;
    }

    /// Links again what a change to the summaries of the sources `files` can change (`before`: the
    /// keys of their functions before the change): the facts of its functions and of their callers, and
    /// the findings of the sources those are in. What it gives is what linking the whole run
    /// gives (the facts do not depend on the order they are settled in; a test compares).
    fn relink(&mut self, files: &[usize], before: Vec<FnKey>) {
        let Some(mut facts) = self.facts.take() else {
            return self.link();
        };
        let groups = &self.groups;
        self.callers
            .add(files.iter().flat_map(|&f| groups[f].iter()));
        // Where the functions of the files read again are now.
        for key in &before {
            if let Some(places) = self.located.get_mut(key) {
                places.retain(|(g, _)| !files.contains(g));
            }
        }
        for &f in files {
            for (k, s) in groups[f].iter().enumerate() {
                self.located.entry(s.key.clone()).or_default().push((f, k));
            }
        }
        let (callers, located) = (&self.callers, &self.located);
        let relinked = panic::catch_unwind(AssertUnwindSafe(|| {
            let all: Vec<&FnSummary<Location>> = groups.iter().flatten().collect();
            let mut offsets = Vec::with_capacity(groups.len());
            let mut at = 0;
            for group in groups {
                offsets.push(at);
                at += group.len();
            }
            let locate = |key: &FnKey| -> Vec<usize> {
                located
                    .get(key)
                    .into_iter()
                    .flatten()
                    .map(|&(g, k)| offsets[g] + k)
                    .collect()
            };
            let changed = before
                .iter()
                .chain(files.iter().flat_map(|&f| groups[f].iter().map(|s| &s.key)));
            let affected = facts.recompute(&all, changed, callers, &locate);
            let mut again: Vec<usize> = files.to_vec();
            again.extend(
                affected
                    .iter()
                    .flat_map(|k| located.get(*k).into_iter().flatten().map(|&(g, _)| g)),
            );
            again.sort_unstable();
            again.dedup();
            let findings: Vec<_> = again
                .iter()
                .map(|&g| (g, group_findings(&groups[g], &facts)))
                .collect();
            (facts, findings)
        }));
        match relinked {
            Ok((facts, findings)) => {
                self.findings.resize_with(self.groups.len(), Vec::new);
                for (g, own) in findings {
                    self.findings[g] = own;
                }
                self.facts = Some(facts);
            }
            Err(_) => self.link(),
        }
    }
}

/// The identifiers of a text, hashed: every run of letters, digits and `_` that does not start
/// with a digit (in a string or a comment too, which only makes the answer larger).
fn identifiers(text: &str) -> HashSet<u64> {
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut out = HashSet::default();
    let mut at = 0;
    while at < bytes.len() {
        if !ident(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && ident(bytes[at]) {
            at += 1;
        }
        if !bytes[start].is_ascii_digit() {
            out.insert(hash(&text[start..at]));
        }
    }
    out
}

fn hash(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(name)
}

/// One step on one source, a panic included, as an error on it.
fn contained<T>(step: impl FnOnce() -> Result<T, SourceError>) -> Result<T, SourceError> {
    pipeline::guarded(step).map_err(source_error)
}

fn source_error(failure: Failure) -> SourceError {
    match failure {
        Failure::Source(e) => e,
        Failure::Unreadable(message) => SourceError {
            message,
            position: None,
        },
        Failure::Internal(what) => SourceError {
            message: format!("internal error ({what}); please report it"),
            position: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap as Map;

    #[derive(Default)]
    struct Buffers(RefCell<Map<String, String>>);

    impl Texts for Buffers {
        fn text(&self, path: &str) -> Result<String, String> {
            self.0
                .borrow()
                .get(path)
                .cloned()
                .ok_or_else(|| "no such file or directory".into())
        }
    }

    impl Buffers {
        fn set(&self, path: &str, text: &str) {
            self.0.borrow_mut().insert(path.into(), text.into());
        }
    }

    const DB: &str = "use sqlx::PgPool;\n\
        pub async fn conn(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
        \x20   pool.acquire().await\n\
        }\n";
    const CALLER: &str = "use crate::db::conn;\n\
        pub async fn wrapper(pool: &sqlx::PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
        \x20   conn(pool).await\n\
        }\n";

    fn names(ws: &Workspace, path: &str) -> Vec<String> {
        ws.findings(path)
            .iter()
            .map(|f| format!("{} {}", f.rule.code(), f.function))
            .collect()
    }

    /// Whether the workspace's findings are what linking all of it again gives.
    fn relinked_as_a_whole(ws: &Workspace) {
        let mut whole = vec![Vec::new(); ws.groups.len()];
        for (file, f) in pipeline::link(&ws.groups) {
            whole[file].push(f);
        }
        assert_eq!(ws.findings, whole);
    }

    #[test]
    fn a_body_edit_links_again_what_it_can_change_and_the_result_is_the_whole_runs() {
        let api = "use crate::service::wrapper;\n\
            pub async fn handler(pool: &sqlx::PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
            \x20   wrapper(pool).await\n\
            }\n";
        let other = DB.replace("conn(", "other_conn(");
        let files = [
            ("src/db.rs", DB.to_string()),
            ("src/service.rs", CALLER.to_string()),
            ("src/api.rs", api.to_string()),
            ("src/other.rs", other),
            (
                "app/db.py",
                "from sqlalchemy import create_engine\nfrom sqlalchemy.engine import Connection\n\
                 engine = create_engine('x')\n\n\
                 def get_conn() -> Connection:\n    with engine.connect() as conn:\n        return conn\n"
                    .to_string(),
            ),
            (
                "app/users.py",
                "from app.db import get_conn\n\ndef users_conn():\n    return get_conn()\n"
                    .to_string(),
            ),
        ];
        let texts = Buffers::default();
        for (path, text) in &files {
            texts.set(path, text);
        }
        let mut ws = Workspace::open(
            files
                .iter()
                .map(|(p, _)| (p.to_string(), Options::default()))
                .collect(),
            &texts,
        );
        relinked_as_a_whole(&ws);
        assert_eq!(names(&ws, "src/api.rs"), ["SDB001 handler"]);
        let fixed_db = DB.replace(
            "    pool.acquire().await\n",
            "    let c = pool.acquire().await?;\n    drop(c);\n    todo!()\n",
        );
        // Annotated, so its declaration stays what it was (an unannotated return's type is inferred).
        let fixed_py = files[4].1.replace(
            "        return conn\n",
            "        conn.close()\n    raise RuntimeError('closed')\n",
        );
        // Each edit in a body, and back: the chain above it follows, the rest stays.
        let chains = [
            ("src/db.rs", fixed_db, "src/api.rs", "SDB001 handler"),
            ("app/db.py", fixed_py, "app/users.py", "SDB001 users_conn"),
        ];
        for (path, fixed, top, finding) in chains {
            let original = texts.text(path).unwrap();
            for (text, fires) in [
                (fixed.as_str(), false),
                (&original, true),
                (&original, true),
            ] {
                texts.set(path, text);
                assert_eq!(
                    ws.update(path, Options::default(), &texts),
                    Update::OneFile,
                    "{path}"
                );
                relinked_as_a_whole(&ws);
                let expected: &[&str] = if fires { &[finding] } else { &[] };
                assert_eq!(names(&ws, top), expected, "{path}: {text}");
            }
        }
        texts.set(
            "src/db.rs",
            &DB.replace("pool.acquire().await", "pool.acquire().await.map(|c| c)"),
        );
        ws.update("src/db.rs", Options::default(), &texts);
        relinked_as_a_whole(&ws);
        assert_eq!(names(&ws, "src/api.rs"), ["SDB001 handler"]);
        assert_eq!(names(&ws, "src/other.rs"), ["SDB001 other_conn"]);
        assert_eq!(names(&ws, "app/users.py"), ["SDB001 users_conn"]);
        // The fixed state, checked on its own: the chain is silent, the unrelated file is not.
        texts.set(
            "src/db.rs",
            &DB.replace("    pool.acquire().await\n", "    todo!()\n"),
        );
        ws.update("src/db.rs", Options::default(), &texts);
        relinked_as_a_whole(&ws);
        assert!(names(&ws, "src/service.rs").is_empty());
        assert!(names(&ws, "src/api.rs").is_empty());
        assert_eq!(names(&ws, "src/other.rs"), ["SDB001 other_conn"]);
    }

    /// Whether the workspace holds what opening it afresh over the same texts gives: the same
    /// summaries and findings, by file.
    fn as_if_opened_afresh(ws: &Workspace, texts: &Buffers) {
        let fresh = Workspace::open(
            ws.paths()
                .map(|p| (p.to_string(), Options::default()))
                .collect(),
            texts,
        );
        assert_eq!(ws.groups, fresh.groups);
        assert_eq!(ws.findings, fresh.findings);
    }

    /// A declaration edit builds again only its language's part of the index (a Python module's
    /// declarations replace its old ones), reads again only the sources that name a declaration
    /// that changed, and links again what those can change: the result is what opening the
    /// workspace afresh gives, edit after edit.
    #[test]
    fn a_declaration_edit_reads_again_only_the_sources_that_name_what_changed() {
        let db = "from sqlalchemy import create_engine\n\
            engine = create_engine('x')\n\n\
            def lease():\n    with engine.connect() as conn:\n        return conn\n\n\
            def helper():\n    return 1\n";
        let users = "from app.db import lease\n\ndef users_conn():\n    return lease()\n";
        let other = "from app.db import helper\n\ndef other():\n    return helper()\n";
        let models = "class Base:\n    def session(self):\n        return None\n";
        let texts = Buffers::default();
        let files = [
            ("app/db.py", db),
            ("app/users.py", users),
            ("app/other.py", other),
            ("app/models.py", models),
            ("src/db.rs", DB),
            ("src/service.rs", CALLER),
        ];
        for (path, text) in files {
            texts.set(path, text);
        }
        let mut ws = Workspace::open(
            files
                .iter()
                .map(|(p, _)| (p.to_string(), Options::default()))
                .collect(),
            &texts,
        );
        assert_eq!(names(&ws, "app/users.py"), ["SDB001 users_conn"]);
        // `lease` no longer returns what the block binds: its inferred type changes, and the one
        // module that names it is read again.
        let edits = [
            (
                "app/db.py",
                db.replace("        return conn\n", "        pass\n"),
                1,
            ),
            ("app/db.py", db.to_string(), 1),
            // A declaration no other module names.
            (
                "app/models.py",
                models.replace("return None", "return Base()"),
                0,
            ),
            (
                "app/db.py",
                db.replace(
                    "def helper():\n    return 1",
                    "def helper():\n    return engine",
                ),
                1,
            ),
            (
                "src/db.rs",
                DB.replace(
                    "sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>>",
                    "Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error>",
                ),
                // `conn` is named by the caller and, as a Python local, by `app/db.py`: a name
                // is all the question asks.
                2,
            ),
        ];
        for (path, text, dependents) in edits {
            texts.set(path, &text);
            assert_eq!(
                ws.update(path, Options::default(), &texts),
                Update::Dependents(dependents),
                "{path}: {text}"
            );
            relinked_as_a_whole(&ws);
            as_if_opened_afresh(&ws, &texts);
        }
        assert_eq!(names(&ws, "app/users.py"), ["SDB001 users_conn"]);
    }

    /// The pool rules in the editor: rebinding a session factory to another engine changes the
    /// findings of a module that only names the engine and calls a helper of a third module, as
    /// a workspace opened afresh finds them, and a body edit of the helper does too.
    #[cfg(feature = "python")]
    #[test]
    fn pool_facts_follow_edits_of_the_engine_a_factory_is_bound_to() {
        let db = "from sqlalchemy import create_engine\n\
            from sqlalchemy.orm import sessionmaker\n\
            engine = create_engine('a')\n\
            other = create_engine('b')\n\
            SessionLocal = sessionmaker(bind=engine)\n";
        let stock = "from sqlalchemy import text\n\
            from app.db import SessionLocal\n\n\
            def reserve():\n    with SessionLocal() as s:\n        s.execute(text('y'))\n";
        let orders = "from sqlalchemy import text\n\
            from app.db import engine\n\
            from app import stock\n\n\
            def place():\n    with engine.begin() as conn:\n        conn.execute(text('x'))\n        stock.reserve()\n";
        let texts = Buffers::default();
        let files = [
            ("app/__init__.py", ""),
            ("app/db.py", db),
            ("app/stock.py", stock),
            ("app/orders.py", orders),
        ];
        for (path, text) in files {
            texts.set(path, text);
        }
        let mut ws = Workspace::open(
            files
                .iter()
                .map(|(p, _)| (p.to_string(), Options::default()))
                .collect(),
            &texts,
        );
        assert_eq!(names(&ws, "app/orders.py"), ["SDB006 place"]);
        let edits = [
            ("app/db.py", db.replace("bind=engine", "bind=other"), false),
            ("app/db.py", db.to_string(), true),
            (
                "app/stock.py",
                stock.replace("s.execute(text('y'))", "pass"),
                // The session is still a second checkout while the transaction is open.
                true,
            ),
            (
                "app/stock.py",
                stock.replace("SessionLocal() as s", "open_file() as s"),
                false,
            ),
            ("app/stock.py", stock.to_string(), true),
        ];
        for (path, text, reported) in edits {
            texts.set(path, &text);
            ws.update(path, Options::default(), &texts);
            as_if_opened_afresh(&ws, &texts);
            assert_eq!(
                !names(&ws, "app/orders.py").is_empty(),
                reported,
                "{path}: {text}"
            );
        }
    }

    /// SDB009 in the editor: a helper two modules away starting or stopping a slow call changes
    /// the finding of the function that holds a transaction across the call to it, as a
    /// workspace opened afresh finds it; the helper's module names no database package.
    #[cfg(feature = "python")]
    #[test]
    fn slow_call_facts_follow_edits_of_a_helper_that_names_no_database() {
        let notify = "import time\n\n\
            def pause():\n    time.sleep(2)\n\n\
            def announce():\n    pause()\n";
        let orders = "from sqlalchemy import create_engine, text\n\
            from app.notify import announce\n\
            engine = create_engine('a')\n\n\
            def place():\n    with engine.begin() as conn:\n        conn.execute(text('x'))\n        announce()\n";
        let texts = Buffers::default();
        let files = [
            ("app/__init__.py", ""),
            ("app/notify.py", notify),
            ("app/orders.py", orders),
        ];
        for (path, text) in files {
            texts.set(path, text);
        }
        let mut ws = Workspace::open(
            files
                .iter()
                .map(|(p, _)| (p.to_string(), Options::default()))
                .collect(),
            &texts,
        );
        assert_eq!(names(&ws, "app/orders.py"), ["SDB009 place"]);
        let edits = [
            (
                "app/notify.py",
                notify.replace("time.sleep(2)", "pass"),
                false,
            ),
            ("app/notify.py", notify.to_string(), true),
            // A constant zero sleep yields; it does not wait.
            (
                "app/notify.py",
                notify.replace("sleep(2)", "sleep(0)"),
                false,
            ),
            ("app/notify.py", notify.to_string(), true),
        ];
        for (path, text, reported) in edits {
            texts.set(path, &text);
            ws.update(path, Options::default(), &texts);
            as_if_opened_afresh(&ws, &texts);
            assert_eq!(
                !names(&ws, "app/orders.py").is_empty(),
                reported,
                "{path}: {text}"
            );
        }
    }

    /// As in a command-line run, a catalog library's own package in the workspace (a vendored
    /// copy, a checkout beside the application) is no project code: its class does not stand in
    /// for the catalog's type of the same name, and it is never reported.
    #[cfg(feature = "python")]
    #[test]
    fn a_catalog_librarys_own_package_is_not_the_workspaces_code() {
        let app = "from sqlalchemy.ext.asyncio import AsyncEngine\n\
            async def lease(engine: AsyncEngine):\n\
            \x20   async with engine.connect() as conn:\n\
            \x20       return conn\n";
        let files = [
            ("svc/app/db.py", app),
            ("lib/sqlalchemy/__init__.py", ""),
            ("lib/sqlalchemy/ext/__init__.py", ""),
            (
                "lib/sqlalchemy/ext/asyncio/__init__.py",
                "class AsyncEngine:\n    def connect(self):\n        return self\n\n\
                 def escape(engine):\n    with engine.connect() as conn:\n        return conn\n",
            ),
        ];
        let texts = Buffers::default();
        for (path, text) in files {
            texts.set(path, text);
        }
        let mut ws = Workspace::open(
            files
                .iter()
                .map(|(p, _)| (p.to_string(), Options::default()))
                .collect(),
            &texts,
        );
        assert_eq!(names(&ws, "svc/app/db.py"), ["SDB001 lease"]);
        assert!(names(&ws, "lib/sqlalchemy/ext/asyncio/__init__.py").is_empty());
        texts.set("svc/app/db.py", &app.replace("return conn", "return None"));
        ws.update("svc/app/db.py", Options::default(), &texts);
        assert!(names(&ws, "svc/app/db.py").is_empty());
    }

    #[test]
    fn an_edit_parses_the_edited_file_once() {
        let (db, service) = ("edit_once/src/db.rs", "edit_once/src/service.rs");
        let texts = Buffers::default();
        texts.set(db, DB);
        texts.set(service, CALLER);
        let mut ws = Workspace::open(
            vec![
                (db.into(), Options::default()),
                (service.into(), Options::default()),
            ],
            &texts,
        );
        let opened = crate::parse_count::parses(db);
        // In a body, then in a signature (the caller, which names `conn`, is read again).
        texts.set(
            db,
            &DB.replace("pool.acquire().await", "pool.acquire().await.map(|c| c)"),
        );
        assert_eq!(ws.update(db, Options::default(), &texts), Update::OneFile);
        assert_eq!(crate::parse_count::parses(db), opened + 1);
        texts.set(
            db,
            &DB.replace(
                "sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>>",
                "Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error>",
            ),
        );
        assert_eq!(
            ws.update(db, Options::default(), &texts),
            Update::Dependents(1)
        );
        assert_eq!(crate::parse_count::parses(db), opened + 2);
        assert_eq!(names(&ws, service), ["SDB001 wrapper"]);
    }

    #[test]
    fn a_body_edit_reads_one_file_and_a_signature_edit_reaches_the_callers() {
        let texts = Buffers::default();
        texts.set("src/db.rs", DB);
        texts.set("src/service.rs", CALLER);
        let mut ws = Workspace::open(
            vec![
                ("src/db.rs".into(), Options::default()),
                ("src/service.rs".into(), Options::default()),
            ],
            &texts,
        );
        assert_eq!(names(&ws, "src/db.rs"), ["SDB001 conn"]);
        assert_eq!(names(&ws, "src/service.rs"), ["SDB001 wrapper"]);

        // Inside the body: the handle no longer escapes; only this file is read again, and the
        // caller's finding goes with it.
        let fixed = DB.replace(
            "    pool.acquire().await\n",
            "    let c = pool.acquire().await?;\n    drop(c);\n    todo!()\n",
        );
        texts.set("src/db.rs", &fixed);
        assert_eq!(
            ws.update("src/db.rs", Options::default(), &texts),
            Update::OneFile
        );
        assert!(names(&ws, "src/db.rs").is_empty());
        assert!(names(&ws, "src/service.rs").is_empty());

        // Back again, then a broken file: an error on it, and its callers lose what it gave.
        texts.set("src/db.rs", DB);
        ws.update("src/db.rs", Options::default(), &texts);
        assert_eq!(names(&ws, "src/service.rs"), ["SDB001 wrapper"]);
        texts.set("src/db.rs", "use sqlx::PgPool;\nfn broken( {}\n");
        // The caller names `conn`: it is read again.
        assert_eq!(
            ws.update("src/db.rs", Options::default(), &texts),
            Update::Dependents(1)
        );
        assert_eq!(
            ws.error("src/db.rs").map(|e| e.message.as_str()),
            Some("unclosed delimiter `(`")
        );
        assert!(names(&ws, "src/service.rs").is_empty());
        ws.remove("src/db.rs", &texts);
        assert_eq!(ws.paths().collect::<Vec<_>>(), ["src/service.rs"]);
    }
}
