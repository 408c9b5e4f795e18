//! One pipeline for every door that checks a run of sources (the command line, the tests, the
//! benchmark): prefilter, declarations, index, summaries, link. The sources come from a
//! [`SourceSet`], which reads a text when asked; the engine itself never touches a file. A file is
//! parsed once per run: a Python tree waits for the last summary of it here, a Rust tree on the
//! keeper thread that parsed it (`keepers`), within a budget of memory; past the budget a file is
//! parsed again for its summaries.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crate::finding::Finding;
use crate::frontend::{FileDecls, RunIndex};
use crate::frontend::{
    Parsed, Tree, has_summaries, is_rust, read_source, summarize_source, summarize_tree,
};
use crate::rust::index::Index;
use keepers::{Answer, Keepers};

mod keepers;
use crate::location::Location;
use crate::options::{Options, SourceError};
use crate::prefilter::{self, Needles, Words};
use crate::propagate;
use crate::summary::FnSummary;

/// The sources of a run.
pub trait SourceSet: Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// How findings name source `i`; `.rs` and `.py` decide the language.
    fn path(&self, i: usize) -> &str;
    /// The configuration that applies to source `i`.
    fn options(&self, i: usize) -> &Options;
    /// The text of source `i`, read now, or why it cannot be read.
    fn text(&self, i: usize) -> Result<String, String>;
    /// The part of the run source `i` belongs to: sources of different parts cannot see each
    /// other (different Cargo workspaces, different Python projects), so each part is checked as
    /// if it were checked alone, and only a batch of parts is held in memory at a time. One part
    /// unless the set knows better.
    fn part(&self, i: usize) -> usize {
        let _ = i;
        0
    }
    /// Called when a batch of parts was checked and what it held was dropped: a set that knows
    /// the allocator can have it give the memory back, so the next batch does not add to it.
    fn batch_done(&self) {}
}

/// The sources `of` a set, as a set of their own.
struct Subset<'a> {
    of: &'a dyn SourceSet,
    indices: &'a [usize],
}

impl SourceSet for Subset<'_> {
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn path(&self, i: usize) -> &str {
        self.of.path(self.indices[i])
    }
    fn options(&self, i: usize) -> &Options {
        self.of.options(self.indices[i])
    }
    fn text(&self, i: usize) -> Result<String, String> {
        self.of.text(self.indices[i])
    }
    fn part(&self, i: usize) -> usize {
        self.of.part(self.indices[i])
    }
}

/// How many sources a batch of small parts holds at most: a part at least this large is a batch
/// of its own, smaller ones are checked together (each batch pays its rounds and threads once).
const BATCH: usize = 256;

/// The parts of a run in batches: whole parts, in the order of their first source; a part of
/// [`BATCH`] sources or more alone, smaller ones together up to [`BATCH`] sources. What a batch
/// holds in memory is then about what its largest part, checked alone, holds. The parts of one
/// batch still cannot see each other: a Python import resolves only within its part, a Rust
/// crate reaches only the crates its manifest names.
fn batches(sources: &dyn SourceSet) -> Vec<Vec<usize>> {
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut at: rustc_hash::FxHashMap<usize, usize> = rustc_hash::FxHashMap::default();
    for i in 0..sources.len() {
        let slot = *at.entry(sources.part(i)).or_insert_with(|| {
            parts.push(Vec::new());
            parts.len() - 1
        });
        parts[slot].push(i);
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut small: Vec<usize> = Vec::new();
    for part in parts {
        if part.len() >= BATCH {
            out.push(part);
            continue;
        }
        if small.len() + part.len() > BATCH {
            out.push(std::mem::take(&mut small));
        }
        small.extend(part);
    }
    if !small.is_empty() {
        out.push(small);
    }
    for batch in &mut out {
        batch.sort_unstable();
    }
    out
}

/// Why a source was not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// It could not be read (the [`SourceSet`]'s message).
    Unreadable(String),
    /// It does not parse.
    Source(SourceError),
    /// The engine panicked on it: a bug to report.
    Internal(String),
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings with the index of the source they are in, sorted by source and position.
    pub findings: Vec<(usize, Finding<Location>)>,
    /// Sources that could not be checked.
    pub failures: Vec<(usize, Failure)>,
    /// Sources the prefilter showed cannot matter, so they were never parsed (checked, clean).
    pub skipped: usize,
}

/// Runs the pipeline; `prefilter: false` parses every source.
///
/// With the prefilter, rounds alternate: search the sources not parsed yet for the words not
/// searched for yet; read the declarations of the sources that matched; summarize them and link,
/// for the names of what the parsed sources declare and hand out, which are the next words. While
/// new sources keep coming, only they are summarized; once none comes, every parsed source is
/// summarized again against the final index (what a source declares may change how another
/// resolves), and the words that gives are searched for too, so the run ends only at a fixpoint.
///
/// A run whose sources are in several parts ([`SourceSet::part`]) is checked a batch of parts at a
/// time: what one batch parsed, indexed and linked is dropped before the next is read.
pub fn check(sources: &dyn SourceSet, prefilter: bool) -> Outcome {
    let batches = batches(sources);
    if batches.len() <= 1 {
        return check_keeping(sources, prefilter, KEPT_TREE_BYTES);
    }
    let mut out = Outcome::default();
    for indices in &batches {
        let part = check_keeping(
            &Subset {
                of: sources,
                indices,
            },
            prefilter,
            KEPT_TREE_BYTES,
        );
        out.findings
            .extend(part.findings.into_iter().map(|(i, f)| (indices[i], f)));
        out.failures
            .extend(part.failures.into_iter().map(|(i, f)| (indices[i], f)));
        out.skipped += part.skipped;
        sources.batch_done();
    }
    // By source, each source's findings in the order its batch gave them.
    out.findings.sort_by_key(|(i, _)| *i);
    out.failures.sort_by_key(|(i, _)| *i);
    out
}

/// [`check`], keeping trees of at most about `keep` bytes for the second pass.
fn check_keeping(sources: &dyn SourceSet, prefilter: bool, keep: usize) -> Outcome {
    std::thread::scope(|scope| {
        let keepers = Keepers::spawn(scope, sources, threads());
        run(sources, prefilter, keep, &keepers)
    })
}

/// The threads a step runs on.
fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// A source's summaries, or why it has none.
type Summarized = Result<Vec<FnSummary<Location>>, Failure>;

/// What reading a source gave, on the thread that read it.
enum Read {
    /// Parsed here: a Python file (its tree, when kept) or a Rust file the budget had no room for.
    Here(Box<Result<Parsed, Failure>>),
    /// A Rust file handed to a keeper, whose answer brings its declarations.
    Kept,
}

/// The state of a batch run between its rounds, by source.
struct Run<'a, 'k> {
    sources: &'a dyn SourceSet,
    /// Python sources that are a catalog library's own ([`prefilter::python_library_sources`]).
    library: Vec<bool>,
    /// The texts the prefilter read of the sources it let through, until they are parsed.
    texts: Vec<Option<String>>,
    keepers: &'a Keepers<'k>,
    kept: Budget,
    failed: Vec<Option<Failure>>,
    decls: Vec<Option<FileDecls>>,
    trees: Vec<Option<Tree>>,
    groups: Vec<Vec<FnSummary<Location>>>,
}

/// A link's findings and the facts they were found with.
type Linked = (Vec<(usize, Finding<Location>)>, propagate::Facts);

fn run(sources: &dyn SourceSet, prefilter: bool, keep: usize, keepers: &Keepers<'_>) -> Outcome {
    let n = sources.len();
    let mut state = Run {
        sources,
        library: prefilter::python_library_sources((0..n).map(|i| sources.path(i))),
        texts: vec![None; n],
        keepers,
        kept: Budget::new(keep),
        failed: vec![None; n],
        decls: vec![None; n],
        trees: (0..n).map(|_| None).collect(),
        groups: vec![Vec::new(); n],
    };
    let mut parsed = vec![!prefilter; n];
    let mut needles = Words::base((0..n).map(|i| sources.options(i)));
    let mut fresh = Words::base((0..n).map(|i| sources.options(i)));
    // The slow calls' words (SDB009), which let a source through only in a part another source
    // was let through in: every source of such a part is read against all of them once, then
    // against the fresh ones.
    let mut slow = Words::slow();
    let mut slow_fresh = Words::slow();
    let mut slow_seen = vec![false; n];
    let mut indexed = vec![false; n];
    let mut index = Arc::new(RunIndex::default());
    // The index generation each source was summarized against (0: not yet); a generation ends
    // when new declarations come in.
    let mut summarized = vec![0usize; n];
    let mut generation = 0;
    let mut declaring = vec![false; n];
    // Each Rust source by its path, to find the files that declare a module.
    let by_path: rustc_hash::FxHashMap<String, usize> = if prefilter {
        (0..n)
            .map(|i| (prefilter::normal(sources.path(i)), i))
            .collect()
    } else {
        Default::default()
    };
    let mut first = true;
    // What each generation of the index brought, by name (`None`: not tied to names): a source
    // summarized before a generation is read again only if it names what came since.
    let mut brought: Vec<(usize, Option<Vec<String>>)> = Vec::new();
    // The last link's findings and facts, while nothing was summarized again since.
    let mut linked: Option<Linked> = None;
    // The index is built when sources come in, and once at the start.
    let mut stale = true;
    loop {
        if prefilter {
            scan(
                sources,
                &|_| Some(&fresh),
                first,
                &state.library,
                &mut parsed,
                &mut state.failed,
                &mut state.texts,
            );
            first = false;
            // A slow call matters only to a caller in its part that holds a scope: only where a
            // source of the part holds database code (no other is let through yet).
            let database: rustc_hash::FxHashSet<usize> = (0..n)
                .filter(|&i| parsed[i])
                .map(|i| sources.part(i))
                .collect();
            let words = |i: usize| {
                if !database.contains(&sources.part(i)) {
                    None
                } else if slow_seen[i] {
                    Some(&slow_fresh)
                } else {
                    Some(&slow)
                }
            };
            scan(
                sources,
                &words,
                false,
                &state.library,
                &mut parsed,
                &mut state.failed,
                &mut state.texts,
            );
            for (i, seen) in slow_seen.iter_mut().enumerate() {
                if database.contains(&sources.part(i)) {
                    *seen = true;
                }
            }
            slow_fresh = Words::none();
            // A parsed file's module is declared in its parents: their declarations say whether it
            // is test code.
            // A library's own source is never reported, so whether it is test code is moot.
            let parents: Vec<usize> = (0..n)
                .filter(|&i| {
                    let path = sources.path(i);
                    parsed[i] && !indexed[i] && is_rust(path) && !prefilter::is_library_source(path)
                })
                .flat_map(|i| prefilter::module_parents(sources.path(i)))
                .filter_map(|(p, child)| Some((*by_path.get(&p)?, child)))
                .filter(|&(i, _)| !parsed[i] && !declaring[i])
                // Only a parent whose text could declare that module for tests (bytes first, as
                // the prefilter does; its syntax tree decides).
                .filter(|(i, child)| {
                    sources.text(*i).is_ok_and(|text| {
                        text.contains("cfg(test)") && Needles::of([child.clone()]).found_in(&text)
                    })
                })
                .map(|(i, _)| i)
                .collect();
            for i in parents {
                declaring[i] = true;
            }
        }
        // Declarations of the sources newly let through, and of the files that declare their
        // modules (read for their declarations only, unless a later round lets them through).
        let new: Vec<usize> = (0..n)
            .filter(|&i| (parsed[i] || declaring[i]) && !indexed[i] && state.failed[i].is_none())
            .collect();
        state.read_round(&new);
        for &i in &new {
            indexed[i] = true;
        }
        // No source came in: every source against the final index.
        let settling = new.is_empty();
        if !new.is_empty() || stale {
            generation += 1;
            let mut names: Option<Vec<String>> = Some(Vec::new());
            for &i in &new {
                match (
                    &mut names,
                    FileDecls::introduced_names(sources.path(i), state.decls[i].as_ref()),
                ) {
                    (Some(all), Some(more)) => all.extend(more),
                    (all, _) => *all = None,
                }
            }
            brought.push((generation, names));
            stale = false;
            // The declarations are kept for a later index only while a source is left that a
            // later round could let through.
            let more_rounds = prefilter && (0..n).any(|i| !parsed[i] && state.failed[i].is_none());
            let rust = if more_rounds {
                Index::new(
                    state
                        .decls
                        .iter()
                        .flatten()
                        .filter_map(FileDecls::rust)
                        .cloned(),
                )
            } else {
                Index::new(state.decls.iter_mut().filter_map(|d| match d.take() {
                    Some(FileDecls::Rust(r)) => Some(r),
                    other => {
                        *d = other;
                        None
                    }
                }))
            };
            // What the parsed sources declare as database-bearing: a source that names it can
            // matter. While that lets more sources through, their declarations are read before
            // anything is summarized (a summary read against an index that is about to grow
            // would be read again), and the index is built only once none comes.
            if more_rounds {
                let python =
                    FileDecls::python_words(state.decls.iter().flatten(), needles.python.words());
                fresh = needles.extend(rust.db_names(), python);
                if !fresh.is_empty() {
                    // The next round builds the index, whether or not these words let a source
                    // through.
                    stale = true;
                    continue;
                }
            }
            // A Python module the prefilter has not let through yet is still a module of the run.
            let unread = (0..n)
                .filter(|&i| !parsed[i] && state.failed[i].is_none())
                .filter_map(|i| Some(FileDecls::unread(sources.path(i))?.in_part(sources.part(i))));
            index = Arc::new(if more_rounds {
                RunIndex::with_rust(rust, state.decls.iter().flatten().cloned().chain(unread))
            } else {
                RunIndex::with_rust(
                    rust,
                    state
                        .decls
                        .iter_mut()
                        .filter_map(Option::take)
                        .chain(unread),
                )
            });
        }
        let mut todo: Vec<usize> = (0..n)
            .filter(|&i| {
                parsed[i]
                    && state.failed[i].is_none()
                    && if settling {
                        summarized[i] < generation
                    } else {
                        summarized[i] == 0
                    }
            })
            .collect();
        // A source summarized against an earlier index that names nothing the index gained
        // since resolves as it did: its summaries stand.
        if settling && prefilter {
            let standing = map(&todo, |i| {
                let since = summarized[i];
                if since == 0 {
                    return Ok::<bool, String>(false);
                }
                let mut names: Vec<String> = Vec::new();
                for (g, brought) in &brought {
                    if *g > since {
                        match brought {
                            Some(more) => names.extend(more.iter().cloned()),
                            None => return Ok(false),
                        }
                    }
                }
                if names.is_empty() {
                    return Ok(true);
                }
                let text = sources.text(i)?;
                Ok(!Needles::of(names).found_in(&text))
            });
            let mut kept = Vec::with_capacity(todo.len());
            for (i, standing) in todo.into_iter().zip(standing) {
                if standing.unwrap_or(false) {
                    summarized[i] = generation;
                } else {
                    kept.push(i);
                }
            }
            todo = kept;
        }
        state.summarize_round(&todo, &index);
        for &i in &todo {
            summarized[i] = generation;
        }
        // Nothing summarized again since the last link: its findings and facts stand.
        let (findings, facts) = match linked.take() {
            Some(previous) if todo.is_empty() => previous,
            _ => match panic::catch_unwind(AssertUnwindSafe(|| link_with_facts(&state.groups))) {
                Ok(linked) => linked,
                // The cross-file step failed: each source is linked alone, as if checked alone,
                // and one whose own link fails again is an internal error on it. No later round.
                Err(_) => {
                    let findings = link_alone(&state.groups, &mut state.failed);
                    return state.finish(findings, index, &parsed);
                }
            },
        };
        if !prefilter {
            return state.finish(findings, index, &parsed);
        }
        // The functions the parsed sources hand handles out of: a source that names one can
        // matter.
        fresh = needles.extend(
            facts.handing_out().map(str::to_string).collect(),
            facts.python_handing_out().map(str::to_string).collect(),
        );
        // So can one that names a function waiting on a slow call (SDB009), in its part.
        slow_fresh = slow.extend(
            facts.waiting().map(str::to_string).collect(),
            facts.python_waiting().map(str::to_string).collect(),
        );
        // Done when no word is new, no part has come to hold database code since its sources
        // were read against the slow calls' words, and every parsed source was read against the
        // last index.
        let current =
            (0..n).all(|i| !parsed[i] || state.failed[i].is_some() || summarized[i] == generation);
        let parts_read = !prefilter || (0..n).all(|i| !parsed[i] || slow_seen[i]);
        if fresh.is_empty() && slow_fresh.is_empty() && parts_read && current {
            return state.finish(findings, index, &parsed);
        }
        linked = Some((findings, facts));
    }
}

impl Run<'_, '_> {
    /// The outcome, once what the run kept is released: the trees, summaries and index are freed
    /// across the pool, since freeing hundreds of megabytes on one thread is a serial tail as long
    /// as linking.
    fn finish(
        self,
        findings: Vec<(usize, Finding<Location>)>,
        index: Arc<RunIndex>,
        parsed: &[bool],
    ) -> Outcome {
        let Run {
            failed,
            trees,
            groups,
            ..
        } = self;
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            rayon::join(
                || drop(index),
                || {
                    rayon::join(
                        || trees.into_par_iter().for_each(drop),
                        || groups.into_par_iter().for_each(drop),
                    )
                },
            );
        }
        #[cfg(not(feature = "parallel"))]
        drop((index, trees, groups));
        outcome(findings, failed, parsed)
    }

    /// Step 1 for the sources `new`: a Rust file the budget has room for goes to a keeper, the
    /// rest is parsed here (a Python tree kept while the budget lasts).
    fn read_round(&mut self, new: &[usize]) {
        let (sources, keepers, kept, library) =
            (self.sources, self.keepers, &self.kept, &self.library);
        let texts: Vec<std::sync::Mutex<Option<String>>> = self
            .texts
            .iter_mut()
            .map(|t| std::sync::Mutex::new(t.take()))
            .collect();
        let read = map(new, |i| {
            let path = sources.path(i);
            let read_before = texts[i].lock().ok().and_then(|mut t| t.take());
            let text = match read_before.map_or_else(|| sources.text(i), Ok) {
                Ok(text) => text,
                Err(message) => return Read::Here(Box::new(Err(Failure::Unreadable(message)))),
            };
            let size = text.len();
            if is_rust(path) && has_summaries(path) && kept.admit(size * RUST_TREE_PER_BYTE) {
                keepers.read(i, text);
                return Read::Kept;
            }
            Read::Here(Box::new(
                guarded(|| read_source(path, text, sources.options(i))).map(|mut parsed| {
                    // A library's own module: parsed (it must parse), nothing of it kept.
                    if library[i] {
                        return Parsed {
                            decls: FileDecls::unread(path).unwrap_or(parsed.decls),
                            tree: None,
                        };
                    }
                    if parsed.tree.is_some() && !kept.admit(size * PYTHON_TREE_PER_BYTE) {
                        parsed.tree = None;
                    }
                    parsed
                }),
            ))
        });
        let mut read: Vec<(usize, Result<Parsed, Failure>)> = new
            .iter()
            .zip(read)
            .filter_map(|(&i, read)| match read {
                Read::Here(result) => Some((i, *result)),
                Read::Kept => None,
            })
            .collect();
        read.extend(
            keepers
                .collect()
                .into_iter()
                .filter_map(|answer| match answer {
                    Answer::Read(i, decls) => Some((
                        i,
                        decls.map(|decls| Parsed {
                            decls: FileDecls::Rust(decls),
                            tree: None,
                        }),
                    )),
                    Answer::Summarized(..) => None,
                }),
        );
        for (i, result) in read {
            match result {
                Ok(parsed) => {
                    self.decls[i] = Some(parsed.decls.in_part(self.sources.part(i)));
                    self.trees[i] = parsed.tree;
                }
                Err(e) => self.failed[i] = Some(e),
            }
        }
    }

    /// Step 2 for the sources `todo` against `index`: on their keeper, from a kept Python tree, or
    /// parsed again here.
    fn summarize_round(&mut self, todo: &[usize], index: &Arc<RunIndex>) {
        let (sources, keepers, trees, library) =
            (self.sources, self.keepers, &self.trees, &self.library);
        for &i in todo {
            if keepers.holds(i) {
                keepers.summarize(i, index);
            }
        }
        let here: Vec<usize> = todo
            .iter()
            .copied()
            .filter(|&i| !keepers.holds(i))
            .collect();
        let results = map(&here, |i| {
            let (path, options) = (sources.path(i), sources.options(i));
            if !has_summaries(path) || library[i] {
                return Ok(Vec::new());
            }
            if let Some(tree) = &trees[i] {
                return guarded(|| {
                    crate::fault::point("summarize", path);
                    Ok(summarize_tree(path, tree, index, options))
                });
            }
            let text = sources.text(i).map_err(Failure::Unreadable)?;
            guarded(|| {
                crate::fault::point("summarize", path);
                summarize_source(path, &text, index, options)
            })
        });
        let mut results: Vec<(usize, Summarized)> = here.into_iter().zip(results).collect();
        results.extend(
            keepers
                .collect()
                .into_iter()
                .filter_map(|answer| match answer {
                    Answer::Summarized(i, summaries) => Some((i, summaries)),
                    Answer::Read(..) => None,
                }),
        );
        for (i, result) in results {
            match result {
                Ok(s) => self.groups[i] = s,
                Err(e) => {
                    self.groups[i] = Vec::new();
                    self.failed[i] = Some(e);
                }
            }
        }
    }
}

/// How much memory the kept trees may take, estimated from their source: a Python tree takes about
/// seven times its text, a syn tree about thirty-six (its spans and identifiers, and the copy of
/// the text its thread's source map keeps: keeping 32 MB of the benchmark's vendored Rust took the
/// peak from 1.05 to 2.26 GB). That covers the Python of most projects (the SQLAlchemy, psycopg,
/// asyncpg, alembic and FastAPI sources together are 27 MB) and the Rust a prefiltered run of the
/// benchmark's 179 MB of crates parses. Past it, a file is parsed again for its summaries: the
/// same answers, bounded memory.
const KEPT_TREE_BYTES: usize = 256 << 20;
const PYTHON_TREE_PER_BYTE: usize = 7;
const RUST_TREE_PER_BYTE: usize = 36;

/// Bytes handed out up to a limit, from any thread.
struct Budget {
    left: std::sync::atomic::AtomicUsize,
}

impl Budget {
    fn new(bytes: usize) -> Budget {
        Budget {
            left: std::sync::atomic::AtomicUsize::new(bytes),
        }
    }

    /// Takes `bytes` if that many are left.
    fn admit(&self, bytes: usize) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.left
            .fetch_update(Relaxed, Relaxed, |left| left.checked_sub(bytes))
            .is_ok()
    }
}

/// Searches the sources not parsed yet for `words` (and, in the `first` search, Python sources for
/// a `with` statement that binds a target); marks those that hold one.
fn scan<'w>(
    sources: &dyn SourceSet,
    words_for: &(dyn Fn(usize) -> Option<&'w Words> + Sync),
    first: bool,
    library: &[bool],
    parsed: &mut [bool],
    failed: &mut [Option<Failure>],
    texts: &mut [Option<String>],
) {
    let pending: Vec<usize> = (0..sources.len())
        .filter(|&i| !parsed[i] && failed[i].is_none())
        .filter(|&i| first || words_for(i).is_some_and(|w| !w.is_empty()))
        .collect();
    // A hit's text, read here, is what the round then parses.
    let hits = map(&pending, |i| {
        let path = sources.path(i);
        if !prefilter::applies_to(path) {
            return Ok(Some(None));
        }
        if library[i] || prefilter::is_library_source(path) {
            return Ok(None);
        }
        sources.text(i).map(|text| {
            let hit = words_for(i).is_some_and(|words| words.found_in(path, &text))
                || (first && path.ends_with(".py") && prefilter::binds_with_target(&text));
            hit.then_some(Some(text))
        })
    });
    for (i, hit) in pending.into_iter().zip(hits) {
        match hit {
            Ok(hit) => {
                parsed[i] = hit.is_some();
                texts[i] = hit.flatten();
            }
            Err(message) => failed[i] = Some(Failure::Unreadable(message)),
        }
    }
}

fn outcome(
    findings: Vec<(usize, Finding<Location>)>,
    failed: Vec<Option<Failure>>,
    parsed: &[bool],
) -> Outcome {
    let skipped = (0..parsed.len())
        .filter(|&i| !parsed[i] && failed[i].is_none())
        .count();
    let failures = failed
        .into_iter()
        .enumerate()
        .filter_map(|(i, f)| f.map(|f| (i, f)))
        .collect();
    Outcome {
        findings,
        failures,
        skipped,
    }
}

/// Each group linked on its own; a group whose link panics becomes an internal error.
pub(crate) fn link_alone<S: Clone + Ord + crate::location::SpanLine>(
    groups: &[Vec<FnSummary<S>>],
    failed: &mut [Option<Failure>],
) -> Vec<(usize, Finding<S>)> {
    let mut findings = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        if group.is_empty() {
            continue;
        }
        let linked = guarded(|| Ok(link_with_facts(std::slice::from_ref(group)).0));
        match linked {
            Ok(own) => findings.extend(own.into_iter().map(|(_, f)| (i, f))),
            Err(Failure::Internal(what)) => {
                failed[i] = Some(Failure::Internal(format!("in the cross-file step: {what}")));
            }
            Err(other) => failed[i] = Some(other),
        }
    }
    findings
}

/// Step 3 with what propagation found.
pub(crate) fn link_with_facts<S: Clone + Ord + crate::location::SpanLine>(
    groups: &[Vec<FnSummary<S>>],
) -> (Vec<(usize, Finding<S>)>, propagate::Facts) {
    let all: Vec<&FnSummary<S>> = groups.iter().flatten().collect();
    for s in &all {
        crate::fault::point("link", &s.function);
    }
    let facts = propagate::Facts::compute(&all);
    // Sorted group by group (the groups are in order already): linear in the run, n log n only
    // within a file.
    let mut findings = Vec::new();
    for (group, summaries) in groups.iter().enumerate() {
        let own = group_findings(summaries, &facts);
        findings.extend(own.into_iter().map(|f| (group, f)));
    }
    (findings, facts)
}

/// The findings of one group (file) given the run's facts, in order.
pub(crate) fn group_findings<S: Clone + Ord>(
    summaries: &[FnSummary<S>],
    facts: &propagate::Facts,
) -> Vec<Finding<S>> {
    let mut own: Vec<Finding<S>> = summaries
        .iter()
        .flat_map(|s| crate::rules::check(s, facts))
        .collect();
    own.sort_by(|a, b| (&a.primary.span, a.rule).cmp(&(&b.primary.span, b.rule)));
    own
}

/// One step on one source, a panic included, as its outcome.
pub(crate) fn guarded<T>(step: impl FnOnce() -> Result<T, SourceError>) -> Result<T, Failure> {
    match panic::catch_unwind(AssertUnwindSafe(step)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Failure::Source(e)),
        Err(payload) => Err(Failure::Internal(panic_message(payload.as_ref()))),
    }
}

/// What a caught panic said.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// `f` over `items`, in parallel when the engine is built with its `parallel` feature.
fn map<T: Send>(items: &[usize], f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_iter().map(|&i| f(i)).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.iter().map(|&i| f(i)).collect()
    }
}

/// Step 3: the findings of the run, each with the index of the summary group (file) it belongs
/// to, sorted by group and position.
pub fn link<S: Clone + Ord + crate::location::SpanLine>(
    groups: &[Vec<FnSummary<S>>],
) -> Vec<(usize, Finding<S>)> {
    link_with_facts(groups).0
}

#[cfg(test)]
mod tests {
    use crate::{Options, Source, check_run};

    const ESCAPES: &str = "use sqlx::PgPool;\n\
        pub async fn {name}(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
        \x20   pool.acquire().await\n\
        }\n";

    fn escapes(name: &str) -> String {
        ESCAPES.replace("{name}", name)
    }

    /// Two sources; the first cannot be read when a step asks for it (deleted after discovery).
    struct Vanishing(Options, String);

    impl super::SourceSet for Vanishing {
        fn len(&self) -> usize {
            2
        }
        fn path(&self, i: usize) -> &str {
            ["src/deleted.rs", "src/fine.rs"][i]
        }
        fn options(&self, _: usize) -> &Options {
            &self.0
        }
        fn text(&self, i: usize) -> Result<String, String> {
            match i {
                0 => Err("no such file or directory".into()),
                _ => Ok(self.1.clone()),
            }
        }
    }

    /// A run whose Rust takes two rounds of the prefilter (`b.rs` names only what `a.rs` hands
    /// out): a file read in the first round is summarized again against the final index, and every
    /// file, Rust and Python, is still parsed once.
    #[test]
    fn a_file_is_parsed_once_per_run_across_the_prefilter_rounds() {
        let options = Options::default();
        let a = "from sqlalchemy.ext.asyncio import create_async_engine\n\
            engine = create_async_engine('postgresql+asyncpg://app')\n\
            async def lease():\n\
            \x20   async with engine.connect() as conn:\n\
            \x20       return conn\n";
        let b = "from parse_once.a import lease\n\
            async def relay():\n\
            \x20   return await lease()\n";
        let c = "from parse_once.b import relay\n\
            async def front():\n\
            \x20   return await relay()\n\
            def unrelated():\n\
            \x20   return 1\n";
        let rust_a = escapes("rust_lease");
        let rust_b = "pub async fn rust_relay(p: &Holder) -> Lease { crate::a::rust_lease(&p.0).await.unwrap() }\n";
        let paths = [
            "parse_once/a.py",
            "parse_once/b.py",
            "parse_once/c.py",
            "parse_once/src/a.rs",
            "parse_once/src/b.rs",
        ];
        let sources: Vec<Source<'_>> = paths
            .iter()
            .zip([a, b, c, &rust_a, rust_b])
            .map(|(&path, text)| Source {
                path,
                text,
                options: &options,
            })
            .collect();
        let report = check_run(&sources);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let mut found: Vec<&str> = report
            .findings
            .iter()
            .map(|(_, f)| f.function.as_str())
            .collect();
        found.sort();
        assert_eq!(
            found,
            ["front", "lease", "relay", "rust_lease", "rust_relay"]
        );
        // A syn tree waits on the keeper thread that parsed it.
        for path in &paths {
            assert_eq!(crate::parse_count::parses(path), 1, "{path}");
        }
        // With no room for trees, every file is parsed again for its summaries: same answers.
        let shown = |o: &super::Outcome| format!("{:?} {:?}", o.findings, o.failures);
        let kept = super::check(&crate::InMemory(&sources), true);
        let none_kept = super::check_keeping(&crate::InMemory(&sources), true, 0);
        assert_eq!(shown(&kept), shown(&none_kept));
        // Then every pass parses again: the declarations, and the summaries, read once the rounds
        // of declarations let no more sources through and once more against the index the
        // functions they hand handles out of grew.
        assert_eq!(crate::parse_count::parses(paths[0]), 1 + 1 + 2);
        assert_eq!(crate::parse_count::parses(paths[3]), 1 + 1 + 2);
    }

    #[test]
    fn a_file_gone_before_it_is_read_is_an_error_and_the_rest_is_checked() {
        for prefilter in [true, false] {
            let out = super::check(&Vanishing(Options::default(), escapes("conn")), prefilter);
            assert_eq!(out.findings.len(), 1);
            assert_eq!(out.findings[0].0, 1);
            assert_eq!(
                out.failures,
                [(
                    0,
                    super::Failure::Unreadable("no such file or directory".into())
                )]
            );
        }
    }

    #[test]
    fn a_panic_in_one_files_analysis_is_an_internal_error_on_that_file() {
        crate::fault::arm("summarize", "src/panics_in_summary.rs");
        let options = Options::default();
        let (a, b) = (escapes("first_conn"), escapes("second_conn"));
        let sources = [
            Source {
                path: "src/panics_in_summary.rs",
                text: &a,
                options: &options,
            },
            Source {
                path: "src/fine.rs",
                text: &b,
                options: &options,
            },
        ];
        let report = check_run(&sources);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].0, 1);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].0, 0);
        assert!(
            report.errors[0]
                .1
                .message
                .contains("internal error (injected fault"),
            "{}",
            report.errors[0].1.message
        );
    }

    #[test]
    fn a_panic_in_the_cross_file_step_costs_only_the_file_it_comes_from() {
        crate::fault::arm("link", "panics_in_link");
        let options = Options::default();
        let (a, b) = (escapes("panics_in_link"), escapes("links_fine"));
        let sources = [
            Source {
                path: "src/a.rs",
                text: &a,
                options: &options,
            },
            Source {
                path: "src/b.rs",
                text: &b,
                options: &options,
            },
        ];
        let report = check_run(&sources);
        let found: Vec<(usize, &str)> = report
            .findings
            .iter()
            .map(|(i, f)| (*i, f.function.as_str()))
            .collect();
        assert_eq!(found, [(1, "links_fine")]);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].0, 0);
        assert!(
            report.errors[0]
                .1
                .message
                .contains("in the cross-file step")
        );
    }
}
