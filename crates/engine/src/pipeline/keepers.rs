//! Threads that keep Rust trees between the two passes of a run, so a Rust file is parsed once.
//!
//! A syn tree cannot leave the thread that parsed it: it is `!Send`, and its spans' positions live
//! in that thread's source map. So a file whose tree is kept is parsed, indexed and later
//! summarized (once per index generation) on one keeper thread, which holds its trees and their
//! spans until the run ends. A file the budget has no room for never reaches a keeper: it is parsed
//! per pass on any thread, which forgets its spans at once, as before. Files go to the keeper that
//! holds the fewest bytes of source, so the second pass stays balanced.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{Scope, ScopedJoinHandle};

use super::{Failure, SourceSet, guarded};
use crate::frontend;
use crate::frontend::RunIndex;
use crate::location::Location;
use crate::rust::index::RustDecls;
use crate::summary::FnSummary;

enum Job {
    /// Parse source `i` from this text; keep its tree.
    Read(usize, String),
    /// Summarize the kept tree of source `i` against this index.
    Summarize(usize, Arc<RunIndex>),
}

/// A keeper's answer to one job.
pub(crate) enum Answer {
    Read(usize, Box<Result<RustDecls, Failure>>),
    Summarized(usize, Result<Vec<FnSummary<Location>>, Failure>),
}

/// The keeper threads of one run.
pub(crate) struct Keepers<'scope> {
    jobs: Vec<Sender<Job>>,
    answers: Mutex<Receiver<Answer>>,
    /// Bytes of source each keeper holds, for picking the next one.
    load: Mutex<Vec<usize>>,
    /// Which keeper holds the tree of each source given to one.
    owner: Mutex<HashMap<usize, usize>>,
    /// Answers owed: one per job sent and not yet received.
    owed: Mutex<usize>,
    _threads: Vec<ScopedJoinHandle<'scope, ()>>,
}

impl<'scope> Keepers<'scope> {
    /// `count` keepers for `sources`, in `scope`: they stop when the `Keepers` is dropped.
    pub(crate) fn spawn<'env>(
        scope: &'scope Scope<'scope, 'env>,
        sources: &'env dyn SourceSet,
        count: usize,
    ) -> Keepers<'scope> {
        let (answer, answers) = mpsc::channel();
        let mut jobs = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..count.max(1) {
            let (send, receive) = mpsc::channel::<Job>();
            let answer = answer.clone();
            jobs.push(send);
            let thread = std::thread::Builder::new()
                .name("scoped-db keeper".into())
                .stack_size(crate::options::STACK_BYTES)
                .spawn_scoped(scope, move || keep(sources, &receive, &answer))
                .expect("a keeper thread starts");
            threads.push(thread);
        }
        Keepers {
            load: Mutex::new(vec![0; jobs.len()]),
            jobs,
            answers: Mutex::new(answers),
            owner: Mutex::new(HashMap::new()),
            owed: Mutex::new(0),
            _threads: threads,
        }
    }

    /// Hands source `i`, read as `text`, to the keeper with the least source; callable from any
    /// thread. Its declarations come back from [`Keepers::collect`].
    pub(crate) fn read(&self, i: usize, text: String) {
        let keeper = {
            let mut load = self.load.lock().expect("no keeper panics holding the lock");
            let (k, _) = load
                .iter()
                .enumerate()
                .min_by_key(|(_, bytes)| **bytes)
                .expect("at least one keeper");
            load[k] += text.len();
            k
        };
        self.owner
            .lock()
            .expect("no keeper panics holding the lock")
            .insert(i, keeper);
        self.send(keeper, Job::Read(i, text));
    }

    /// Whether a keeper holds the tree of source `i`.
    pub(crate) fn holds(&self, i: usize) -> bool {
        self.owner
            .lock()
            .expect("no keeper panics holding the lock")
            .contains_key(&i)
    }

    /// Asks the keeper of source `i` (which [`Keepers::holds`] it) for its summaries against
    /// `index`; they come back from [`Keepers::collect`].
    pub(crate) fn summarize(&self, i: usize, index: &Arc<RunIndex>) {
        let keeper = self
            .owner
            .lock()
            .expect("no keeper panics holding the lock")[&i];
        self.send(keeper, Job::Summarize(i, index.clone()));
    }

    fn send(&self, keeper: usize, job: Job) {
        *self.owed.lock().expect("no keeper panics holding the lock") += 1;
        self.jobs[keeper]
            .send(job)
            .expect("a keeper lives as long as the run");
    }

    /// Every answer owed so far, in no particular order.
    pub(crate) fn collect(&self) -> Vec<Answer> {
        let owed =
            std::mem::take(&mut *self.owed.lock().expect("no keeper panics holding the lock"));
        let answers = self
            .answers
            .lock()
            .expect("no keeper panics holding the lock");
        (0..owed)
            .map(|_| {
                answers
                    .recv()
                    .expect("a keeper answers every job it is sent")
            })
            .collect()
    }
}

/// One keeper's loop: its trees, until the run drops its end of the channel.
fn keep(sources: &dyn SourceSet, jobs: &Receiver<Job>, answers: &Sender<Answer>) {
    let mut trees: HashMap<usize, syn::File> = HashMap::new();
    for job in jobs {
        let answer = match job {
            Job::Read(i, text) => {
                let read =
                    guarded(|| frontend::read_rust(sources.path(i), &text, sources.options(i)));
                Answer::Read(
                    i,
                    Box::new(read.map(|(decls, file)| {
                        trees.insert(i, file);
                        decls
                    })),
                )
            }
            Job::Summarize(i, index) => {
                let (path, options) = (sources.path(i), sources.options(i));
                let summaries = match trees.get(&i) {
                    Some(file) => guarded(|| {
                        crate::fault::point("summarize", path);
                        Ok(frontend::summarize_rust_tree(
                            path,
                            file,
                            &index.rust,
                            options,
                        ))
                    }),
                    None => Err(Failure::Internal(format!(
                        "{path}: no tree was kept for its summaries"
                    ))),
                };
                Answer::Summarized(i, summaries)
            }
        };
        if answers.send(answer).is_err() {
            return;
        }
    }
}
