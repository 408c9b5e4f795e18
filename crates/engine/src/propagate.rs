//! Propagation across the whole run: which functions let a handle escape and which are scopes
//! that hand one to a `with` block, as a fixpoint over every summary.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;

use crate::ids::{FnKey, HandleKind, Provider};
use crate::location::SpanLine;
use crate::summary::{
    FnSummary, HoldFrom, ManagerRole, OriginKind, PoolOp, PoolPath, PoolRoot, Reach, ReleaseHow,
    Slot, WaitOn,
};

/// What the run knows of its functions once propagation is done.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// Functions that let a handle escape (or hand one out on purpose: providers).
    escapes: HashMap<FnKey, Known>,
    /// Functions whose result a `with` binds as a handle it manages: `@contextmanager` generators
    /// that yield one they release (or that a `with` of theirs closes), `__enter__` methods that
    /// return one their `__exit__` releases, and functions returning one whose own `with` closes it.
    scopes: HashMap<FnKey, Known>,
    /// Where a project scope releases its handle, when it does so itself (not through a `with`).
    closes: HashMap<FnKey, ReleaseHow>,
    /// (Python) Functions that return a handle at all, whatever manages it (`return
    /// sqlite3.connect(p)`): what a scope that yields their result must release.
    opens: HashMap<FnKey, Known>,
    /// Functions that return the target of a `with` whose manager was not resolved, or what such
    /// a function returns (and let no known handle escape).
    pub with_targets: HashSet<FnKey>,
    /// Display names, for messages.
    pub names: HashMap<FnKey, String>,
    /// What each function does to the pools it is given (or names as globals), directly or
    /// through the functions it calls: sorted, at most [`MAX_POOL_FACTS`].
    pools: HashMap<FnKey, Vec<PoolFact>>,
    /// Functions that wait on a slow external call, directly or through the functions they
    /// call (SDB009): the least such call.
    slow: HashMap<FnKey, SlowFact>,
    /// (Python) The paths from its parameters each function runs statements on, directly or
    /// through the functions it calls, and whether a type there says it is a handle (SDB008).
    runs: HashMap<FnKey, Vec<(PoolPath, bool)>>,
}

/// A function waits on the slow API `api`, in `function` at `line`, `hops` calls down. Ordered
/// so that the least wins (the nearest), whatever order the facts settle in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SlowFact {
    pub hops: u32,
    pub api: String,
    pub function: String,
    pub line: usize,
}

/// At most this many pool facts are kept per function (the least, in [`PoolFact`]'s order).
const MAX_POOL_FACTS: usize = 16;

/// A function does `op` to the pool at `path` (a parameter's or a global's), in `function` at
/// `line`, `hops` calls down. Ordered so that the least wins: the same pool and operation found
/// along a shorter path replaces a longer one, whatever order the facts settle in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PoolFact {
    pub path: PoolPath,
    pub op: PoolOp,
    pub hops: u32,
    /// Where the operation is, for messages.
    pub function: String,
    pub line: usize,
}

/// A handle a function gives, ordered so that the least wins: what its own code gives (or the
/// functions it calls give) before what it is only declared to hand out (a provider's assumed
/// connection), then by kind. Every fact only gets less in this order as the fixpoint proceeds,
/// so its result does not depend on the order summaries are read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Known {
    declared: bool,
    kind: HandleKind,
}

impl Known {
    fn found(kind: HandleKind) -> Known {
        Known {
            declared: false,
            kind,
        }
    }
}

impl Facts {
    /// The least fixpoint over every summary.
    pub(crate) fn compute<S: SpanLine>(summaries: &[&FnSummary<S>]) -> Facts {
        let mut facts = Facts {
            names: summaries
                .iter()
                .map(|s| (s.key.clone(), s.function.clone()))
                .collect(),
            ..Facts::default()
        };
        let all: Vec<usize> = (0..summaries.len()).collect();
        facts.settle(summaries, &all);
        facts
    }

    /// The facts again after the summaries of some functions changed: those functions and every
    /// function that calls one of them, directly or not (`changed` holds their keys, before and
    /// after), are settled again; no other function's facts can depend on them. Gives the keys
    /// settled again, whose callers' findings may change.
    /// `locate` gives the positions in `summaries` of the functions with a key (none for a key no
    /// longer in the run).
    pub(crate) fn recompute<'k, S: SpanLine>(
        &mut self,
        summaries: &[&'k FnSummary<S>],
        changed: impl IntoIterator<Item = &'k FnKey>,
        callers: &Callers,
        locate: &dyn Fn(&FnKey) -> Vec<usize>,
    ) -> HashSet<&'k FnKey> {
        let mut affected: HashSet<&'k FnKey> = HashSet::default();
        let mut stack: Vec<&'k FnKey> = changed.into_iter().collect();
        while let Some(key) = stack.pop() {
            if affected.insert(key) {
                // A caller no longer in the run has no facts to settle.
                for c in callers.0.get(key).into_iter().flatten() {
                    stack.extend(locate(c).into_iter().map(|i| &summaries[i].key));
                }
            }
        }
        for key in &affected {
            self.escapes.remove(*key);
            self.scopes.remove(*key);
            self.closes.remove(*key);
            self.opens.remove(*key);
            self.with_targets.remove(*key);
            self.names.remove(*key);
            self.pools.remove(*key);
            self.slow.remove(*key);
            self.runs.remove(*key);
        }
        let mut todo: Vec<usize> = affected.iter().flat_map(|k| locate(k)).collect();
        todo.sort_unstable();
        todo.dedup();
        for &i in &todo {
            self.names
                .insert(summaries[i].key.clone(), summaries[i].function.clone());
        }
        self.settle(summaries, &todo);
        affected
    }

    /// Settles the facts of the summaries `todo` (by index), every other function's being final,
    /// by worklists over call edges: a function is read again only when a function its results
    /// come from has changed, so the cost is linear in the number of edges. Each fact only ever
    /// grows (a kind only ever gets smaller: the least kind any path gives wins), so the answer
    /// does not depend on the order the summaries are read in: settling a part of the run again
    /// gives what settling all of it would. First which functions let a handle escape or are
    /// scopes for one, then (those being final) which return an unresolved `with` target.
    fn settle<S: SpanLine>(&mut self, summaries: &[&FnSummary<S>], todo: &[usize]) {
        // Who reads whose facts: the callers of each function, among `todo`.
        let mut callers: HashMap<&FnKey, Vec<usize>> = HashMap::default();
        for &i in todo {
            for key in callees(summaries[i]) {
                let list = callers.entry(key).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let phases: [fn(&mut Facts, &FnSummary<S>) -> bool; 5] = [
            Facts::update_handles,
            Facts::update_with_target,
            Facts::update_pools,
            Facts::update_slow,
            Facts::update_runs,
        ];
        for update in phases {
            let mut queue: VecDeque<usize> = todo.iter().copied().collect();
            let mut queued = vec![false; summaries.len()];
            for &i in todo {
                queued[i] = true;
            }
            while let Some(i) = queue.pop_front() {
                queued[i] = false;
                if update(self, summaries[i]) {
                    for &caller in callers.get(&summaries[i].key).into_iter().flatten() {
                        if !queued[caller] {
                            queued[caller] = true;
                            queue.push_back(caller);
                        }
                    }
                }
            }
        }
    }

    /// Reads one summary for whether it lets a handle escape and whether it is a scope for one,
    /// against what is known; whether that changed anything.
    fn update_handles<S>(&mut self, s: &FnSummary<S>) -> bool {
        let own = s
            .returns
            .iter()
            .flat_map(|r| r.origins.iter())
            .filter_map(|&o| self.escaping_known(&s.origins[o].kind).map(|(k, _)| k))
            .min();
        let declared = match s.provider {
            // A provider the user declared hands out what it says, or a connection; a
            // library's trait impl (an extractor, a manager) only what its declared return
            // type holds.
            Some(Provider::Attribute | Provider::Configured) => {
                Some(s.declared_kind.unwrap_or(HandleKind::Connection))
            }
            Some(_) => s.declared_kind,
            None => None,
        }
        .map(|kind| Known {
            declared: true,
            kind,
        });
        let mut changed = lower(
            &mut self.escapes,
            &s.key,
            own.into_iter().chain(declared).min(),
        );
        let opened = s
            .returns
            .iter()
            .flat_map(|r| r.origins.iter())
            .filter_map(|&o| self.held(&s.origins[o].kind))
            .min();
        changed |= lower(&mut self.opens, &s.key, opened);
        let (kind, how) = self.scope_of(s);
        changed |= lower(&mut self.scopes, &s.key, kind);
        if let Some(how) = how
            && self.closes.get(&s.key).is_none_or(|old| how < *old)
        {
            self.closes.insert(s.key.clone(), how);
            changed = true;
        }
        changed
    }

    /// What a `with` over a call of this function binds and closes on exit, and where the function
    /// releases it when it does so itself. A generator's yield or an `__enter__`'s return counts
    /// when a `with` of its own closes it (or a project scope it enters), or when it releases it (in
    /// a `finally`, after the `yield`, through `closing`, in `__exit__`): `yield SessionLocal()`
    /// with nothing to close it is no scope. Any other function's result is closed by its own
    /// `with` when it is a handle whose manager closes it (a session, not a `sqlite3` connection).
    fn scope_of<S>(&self, s: &FnSummary<S>) -> (Option<Known>, Option<ReleaseHow>) {
        let flows = match s.scope {
            ManagerRole::Generator => &s.yields,
            ManagerRole::Enter | ManagerRole::None => &s.returns,
        };
        let mut best: Option<Known> = None;
        let mut released_how: Option<ReleaseHow> = None;
        for &o in flows.iter().flat_map(|r| r.origins.iter()) {
            let kind = &s.origins[o].kind;
            let found = match (s.scope, kind) {
                (ManagerRole::None, OriginKind::Opened(_)) => None,
                (ManagerRole::None, _) => self.handle(kind).map(|k| (k, None)),
                (_, OriginKind::WithBound(_) | OriginKind::Enter(_)) => {
                    self.handle(kind).map(|k| (k, None))
                }
                _ => s
                    .releases
                    .iter()
                    .filter(|r| r.origins.contains(&o))
                    .map(|r| r.how)
                    .min()
                    .and_then(|how| self.held(kind).map(|k| (k, Some(how)))),
            };
            // Where it releases: the least of every release that makes it a scope, so that the
            // answer is the same whatever order the facts settled in.
            if let Some((k, how)) = found {
                best = Some(best.map_or(k, |b| b.min(k)));
                if let Some(how) = how {
                    released_how = Some(released_how.map_or(how, |h| h.min(how)));
                }
            }
        }
        (best, released_how)
    }

    /// The handle an origin holds, whatever manages it.
    fn held(&self, kind: &OriginKind) -> Option<Known> {
        self.held_as(kind, true)
    }

    /// Where a project scope releases what it hands to its `with` block, when it does so itself.
    pub(crate) fn closes(&self, key: &FnKey) -> Option<ReleaseHow> {
        self.closes.get(key).copied()
    }

    /// Reads one summary for what it does to the pools it is given or names as globals: its own
    /// operations on them, and its callees' mapped onto what it passes them; whether that
    /// changed anything.
    fn update_pools<S: SpanLine>(&mut self, s: &FnSummary<S>) -> bool {
        let mut found: Vec<PoolFact> = Vec::new();
        for access in &s.pools.accesses {
            match &access.what {
                Reach::Direct { pool, op, .. } if pool.is_shared() => found.push(PoolFact {
                    path: pool.clone(),
                    op: *op,
                    hops: 0,
                    function: s.function.clone(),
                    line: access.span.line(),
                }),
                Reach::Direct { .. } => {}
                Reach::Call { injected: true, .. } => {}
                Reach::Call {
                    callees,
                    args,
                    returned,
                    ..
                } => {
                    for (_, path, fact) in self.reached(callees, args) {
                        // What a callee gives is given on only by returning it.
                        let given = matches!(fact.op, PoolOp::Gives(..));
                        if path.is_shared() && (*returned || !given) {
                            found.push(PoolFact {
                                path,
                                hops: fact.hops + 1,
                                ..fact.clone()
                            });
                        }
                    }
                }
                // A statement on a handle a callee gave runs on the pool the callee took it from.
                Reach::OnGiven { call } => {
                    if let Some(Reach::Call { callees, args, .. }) =
                        s.pools.accesses.get(*call).map(|a| &a.what)
                    {
                        for (_, path, fact) in self.reached(callees, args) {
                            if path.is_shared() && matches!(fact.op, PoolOp::Gives(..)) {
                                found.push(PoolFact {
                                    path,
                                    op: PoolOp::Statement,
                                    hops: 0,
                                    function: s.function.clone(),
                                    line: access.span.line(),
                                });
                            }
                        }
                    }
                }
            }
        }
        if found.is_empty() {
            return false;
        }
        found.sort();
        // One fact per pool and operation: the least.
        found.dedup_by(|b, a| a.path == b.path && a.op == b.op);
        found.truncate(MAX_POOL_FACTS);
        let old = self.pools.get(&s.key);
        if old == Some(&found) {
            return false;
        }
        // Facts only get better: merge with what was known, keep the least per pool and operation.
        if let Some(old) = old {
            found.extend(old.iter().cloned());
            found.sort();
            found.dedup_by(|b, a| a.path == b.path && a.op == b.op);
            found.truncate(MAX_POOL_FACTS);
            if *old == found {
                return false;
            }
        }
        self.pools.insert(s.key.clone(), found);
        true
    }

    /// Reads one summary for the slow call it waits on: its own, or its callees' one call
    /// further down; whether that changed anything. A call made inside a closure or an async
    /// block is the task's, not the function's.
    fn update_slow<S: SpanLine>(&mut self, s: &FnSummary<S>) -> bool {
        let mut best: Option<SlowFact> = None;
        for wait in s.pools.waits.iter().filter(|w| !w.in_task && !w.gave_back) {
            let found = match &wait.on {
                WaitOn::Slow(api) => Some(SlowFact {
                    hops: 0,
                    api: api.clone(),
                    function: s.function.clone(),
                    line: wait.span.line(),
                }),
                WaitOn::Call(callees) => self.slow_call(callees).map(|f| SlowFact {
                    hops: f.hops + 1,
                    ..f.clone()
                }),
            };
            if let Some(found) = found
                && best.as_ref().is_none_or(|b| found < *b)
            {
                best = Some(found);
            }
        }
        if let Some(found) = self.slow_call(&s.pools.waited).map(|f| SlowFact {
            hops: f.hops + 1,
            ..f.clone()
        }) && best.as_ref().is_none_or(|b| found < *b)
        {
            best = Some(found);
        }
        let Some(best) = best else {
            return false;
        };
        if self.slow.get(&s.key).is_some_and(|old| *old <= best) {
            return false;
        }
        self.slow.insert(s.key.clone(), best);
        true
    }

    /// Reads one summary for the paths from its parameters it runs statements on: its own, and
    /// its callees' mapped onto what it passes them; whether that changed anything.
    fn update_runs<S>(&mut self, s: &FnSummary<S>) -> bool {
        let mut found: Vec<(PoolPath, bool)> = s
            .pools
            .runs_on
            .iter()
            .filter(|(p, _)| matches!(p.root, PoolRoot::Param { .. }))
            .cloned()
            .collect();
        for access in &s.pools.accesses {
            let Reach::Call {
                callees,
                args,
                injected: false,
                ..
            } = &access.what
            else {
                continue;
            };
            for (path, typed) in self.runs_through(callees, args) {
                if matches!(path.root, PoolRoot::Param { .. }) {
                    found.push((path, typed));
                }
            }
        }
        if found.is_empty() {
            return false;
        }
        if let Some(old) = self.runs.get(&s.key) {
            found.extend(old.iter().cloned());
        }
        found.sort();
        // Typed wins: `(path, true)` after `(path, false)`.
        found.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 |= b.1;
                true
            } else {
                false
            }
        });
        found.truncate(MAX_POOL_FACTS);
        if self.runs.get(&s.key) == Some(&found) {
            return false;
        }
        self.runs.insert(s.key.clone(), found);
        true
    }

    /// The paths a call of `callees` given `args` runs statements on, in the caller's terms.
    pub(crate) fn runs_through<'f>(
        &'f self,
        callees: &'f [FnKey],
        args: &'f [(Slot, PoolPath)],
    ) -> impl Iterator<Item = (PoolPath, bool)> + 'f {
        callees
            .iter()
            .filter_map(|k| self.runs.get(k))
            .flatten()
            .filter_map(move |(p, typed)| {
                let PoolRoot::Param { index, name } = &p.root else {
                    return None;
                };
                let (_, given) = args.iter().find(|(slot, _)| slot.is(*index, name))?;
                Some((given.join(&p.fields)?, *typed))
            })
    }

    /// Whether a call of `callees` runs statements on what it is given in `slot` (or on the
    /// field path `fields` of it): with a handle's type there, or given a handle (`handle`).
    pub(crate) fn runs_on_slot(
        &self,
        callees: &[FnKey],
        slot: &Slot,
        handle: bool,
    ) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = callees
            .iter()
            .filter_map(|k| self.runs.get(k))
            .flatten()
            .filter_map(|(p, typed)| {
                let PoolRoot::Param { index, name } = &p.root else {
                    return None;
                };
                (slot.is(*index, name) && (*typed || (handle && p.fields.is_empty())))
                    .then(|| p.fields.clone())
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The least slow call a call of `callees` waits on, if one does.
    pub(crate) fn slow_call(&self, callees: &[FnKey]) -> Option<&SlowFact> {
        callees.iter().filter_map(|k| self.slow.get(k)).min()
    }

    /// Whether the project scopes `keys` bind a database handle to their `with` block.
    pub(crate) fn is_scope(&self, keys: &[FnKey]) -> bool {
        keys.iter().any(|k| self.scopes.contains_key(k))
    }

    /// What a call of `callees` given `args` does to pools, in the caller's terms: each callee
    /// fact on a parameter mapped onto the path the caller passed in that slot (with the fact's
    /// fields after it), and each fact on a global as it is.
    pub(crate) fn reached<'f>(
        &'f self,
        callees: &'f [FnKey],
        args: &'f [(Slot, PoolPath)],
    ) -> impl Iterator<Item = (&'f FnKey, PoolPath, &'f PoolFact)> + 'f {
        callees
            .iter()
            .filter_map(|c| self.pools.get(c).map(|facts| (c, facts)))
            .flat_map(|(c, facts)| facts.iter().map(move |f| (c, f)))
            .flat_map(move |(callee, fact)| {
                let mapped: Vec<PoolPath> = match &fact.path.root {
                    PoolRoot::Param { index, name } => args
                        .iter()
                        .filter(|(slot, _)| slot.is(*index, name))
                        .filter_map(|(_, given)| given.join(&fact.path.fields))
                        .collect(),
                    PoolRoot::Global(_) => vec![fact.path.clone()],
                    PoolRoot::Local { .. } => Vec::new(),
                };
                mapped.into_iter().map(move |p| (callee, p, fact))
            })
    }

    /// Reads one summary for whether it returns the target of an unresolved `with` (and lets no
    /// known handle escape), the handles being settled; whether that changed anything.
    fn update_with_target<S>(&mut self, s: &FnSummary<S>) -> bool {
        if self.escapes.contains_key(&s.key) || self.with_targets.contains(&s.key) {
            return false;
        }
        let returns_one = s
            .returns
            .iter()
            .flat_map(|r| r.origins.iter())
            .any(|&o| self.with_target(&s.origins[o].kind).is_some());
        if returns_one {
            self.with_targets.insert(s.key.clone());
        }
        returns_one
    }

    /// The kind of handle an origin holds when it escapes by being returned, and the function it
    /// came through, if any (of several callees, the first that gives the least).
    pub(crate) fn escaping<'k>(
        &self,
        kind: &'k OriginKind,
    ) -> Option<(HandleKind, Option<&'k FnKey>)> {
        self.escaping_known(kind).map(|(k, c)| (k.kind, c))
    }

    fn escaping_known<'k>(&self, kind: &'k OriginKind) -> Option<(Known, Option<&'k FnKey>)> {
        match kind {
            OriginKind::Acquire(k) | OriginKind::WithBound(k) => Some((Known::found(*k), None)),
            OriginKind::Call(keys) => least(keys, |c| self.escapes.get(c).copied()),
            OriginKind::Enter(keys) => least(keys, |c| self.scopes.get(c).copied()),
            OriginKind::Obtained(_) | OriginKind::Opened(_) | OriginKind::WithTarget(_) => None,
        }
    }

    /// Whether an origin is the target of an unresolved `with` (directly, or returned by the
    /// function named), when it is no known handle.
    pub(crate) fn with_target<'k>(&self, kind: &'k OriginKind) -> Option<Option<&'k FnKey>> {
        match kind {
            OriginKind::WithTarget(_) => Some(None),
            OriginKind::Call(keys) if self.escaping(kind).is_none() => keys
                .iter()
                .find(|c| self.with_targets.contains(*c))
                .map(Some),
            _ => None,
        }
    }

    /// The handle an origin holds at all, escaping or not, when its own `with` closes it (not a
    /// bare `sqlite3` connection).
    fn handle(&self, kind: &OriginKind) -> Option<Known> {
        self.held_as(kind, false)
    }

    /// [`Facts::held`] and [`Facts::handle`]: `opened` says whether handles that no `with` of
    /// their own closes count.
    fn held_as(&self, kind: &OriginKind, opened: bool) -> Option<Known> {
        match kind {
            OriginKind::Obtained(k) => Some(Known::found(*k)),
            OriginKind::Opened(k) if opened => Some(Known::found(*k)),
            OriginKind::Call(keys) => least(keys, |c| {
                [
                    self.escapes.get(c),
                    self.scopes.get(c),
                    self.opens.get(c).filter(|_| opened),
                ]
                .into_iter()
                .flatten()
                .min()
                .copied()
            })
            .map(|(k, _)| k),
            other => self.escaping_known(other).map(|(k, _)| k),
        }
    }

    /// The names of the functions that hand a handle out or are scopes for one, for the
    /// prefilter: a file that calls one of them can matter.
    pub(crate) fn handing_out(&self) -> impl Iterator<Item = &str> {
        self.handing_keys()
            // Free Rust functions: a Python one's name says nothing about a Rust file, and a
            // method is reached through a receiver whose type is named already.
            .filter(|k| {
                k.owner.is_none()
                    && k.module
                        .first()
                        .is_some_and(|m| crate::rust::types::is_crate_root(m))
            })
            .map(|k| k.name.as_str())
    }

    /// The names of the Rust functions that wait on a slow call, for the prefilter: a caller may
    /// hold a scope across it. A method by its name and its type's (a caller reaches it through
    /// a trait, or a value of the type from a file that names it).
    pub(crate) fn waiting(&self) -> impl Iterator<Item = &str> {
        self.slow
            .keys()
            .filter(|k| {
                k.module
                    .first()
                    .is_some_and(|m| crate::rust::types::is_crate_root(m))
            })
            .flat_map(|k| std::iter::once(k.name.as_str()).chain(k.owner.as_deref()))
    }

    /// The same for Python.
    pub(crate) fn python_waiting(&self) -> impl Iterator<Item = &str> {
        self.slow
            .keys()
            .filter(|k| {
                !k.module
                    .first()
                    .is_some_and(|m| crate::rust::types::is_crate_root(m))
            })
            .flat_map(|k| std::iter::once(k.name.as_str()).chain(k.owner.as_deref()))
    }

    /// The same for Python: the names of its functions and methods that hand a handle out or are
    /// scopes for one, and the classes of those methods (a module reaches a method through a value
    /// of its class, whose name it names or gets from a module that does).
    pub(crate) fn python_handing_out(&self) -> impl Iterator<Item = &str> {
        self.handing_keys()
            .filter(|k| {
                !k.module
                    .first()
                    .is_some_and(|m| crate::rust::types::is_crate_root(m))
            })
            .flat_map(|k| std::iter::once(k.name.as_str()).chain(k.owner.as_deref()))
    }

    /// The functions that hand a handle out or are scopes for one.
    fn handing_keys(&self) -> impl Iterator<Item = &FnKey> {
        self.escapes
            .keys()
            .chain(self.scopes.keys())
            .chain(self.with_targets.iter())
    }

    /// The display name of a function.
    pub(crate) fn name(&self, key: &FnKey) -> String {
        self.names
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.name.clone())
    }
}

/// Lowers `key`'s fact to `kind` when that is new or less; whether it changed.
fn lower(facts: &mut HashMap<FnKey, Known>, key: &FnKey, kind: Option<Known>) -> bool {
    let Some(kind) = kind else {
        return false;
    };
    match facts.get_mut(key) {
        Some(old) if *old <= kind => false,
        Some(old) => {
            *old = kind;
            true
        }
        None => {
            facts.insert(key.clone(), kind);
            true
        }
    }
}

/// The least `of` gives any of `keys`, with the first key that gives it.
fn least(keys: &[FnKey], of: impl Fn(&FnKey) -> Option<Known>) -> Option<(Known, Option<&FnKey>)> {
    keys.iter()
        .filter_map(|c| of(c).map(|k| (k, c)))
        .min_by_key(|(k, _)| *k)
        .map(|(k, c)| (k, Some(c)))
}

/// The functions whose facts a summary's own depend on: those it calls or enters.
/// Who calls each function, kept between links by a long-lived run: the calls of a function read
/// again are added to it; a call it no longer makes stays until the next whole link (a caller too
/// many is settled again for nothing, never wrongly).
#[derive(Default)]
pub(crate) struct Callers(HashMap<FnKey, Vec<FnKey>>);

impl Callers {
    /// The callers of every function of `summaries`.
    pub(crate) fn of<'s, S: 's>(summaries: impl IntoIterator<Item = &'s FnSummary<S>>) -> Callers {
        let mut callers = Callers::default();
        callers.add(summaries);
        callers
    }

    /// Adds the calls `summaries` make.
    pub(crate) fn add<'s, S: 's>(&mut self, summaries: impl IntoIterator<Item = &'s FnSummary<S>>) {
        for s in summaries {
            for key in callees(s) {
                let list = self.0.entry(key.clone()).or_default();
                if !list.contains(&s.key) {
                    list.push(s.key.clone());
                }
            }
        }
    }
}

fn callees<S>(s: &FnSummary<S>) -> impl Iterator<Item = &FnKey> {
    let pooled = s.pools.accesses.iter().flat_map(|a| match &a.what {
        Reach::Call { callees, .. } => callees.as_slice(),
        Reach::Direct { .. } | Reach::OnGiven { .. } => &[],
    });
    let waited = s
        .pools
        .waits
        .iter()
        .flat_map(|w| match &w.on {
            WaitOn::Call(callees) => callees.as_slice(),
            WaitOn::Slow(_) => &[],
        })
        .chain(&s.pools.waited);
    let scoped = s.pools.holds.iter().flat_map(|h| match &h.from {
        HoldFrom::Scope(keys) => keys.as_slice(),
        HoldFrom::Pool(_) | HoldFrom::Call(_) => &[],
    });
    s.origins
        .iter()
        .flat_map(|origin| match &origin.kind {
            OriginKind::Call(keys) | OriginKind::Enter(keys) => keys.as_slice(),
            _ => &[],
        })
        .chain(pooled)
        .chain(waited)
        .chain(scoped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{Language, Origin, ReturnFlow};

    fn key(name: &str) -> FnKey {
        FnKey {
            module: vec!["app".into()],
            owner: None,
            name: name.into(),
        }
    }

    /// A function returning what `origin` gives.
    fn returning(name: &str, origin: OriginKind, provider: Option<Provider>) -> FnSummary<()> {
        FnSummary {
            key: key(name),
            language: Language::Python,
            function: name.into(),
            name_span: (),
            provider,
            declared_kind: None,
            allowed: Vec::new(),
            origins: vec![Origin {
                kind: origin,
                span: (),
            }],
            returns: vec![ReturnFlow {
                span: (),
                origins: vec![0],
            }],
            yields: Vec::new(),
            scope: ManagerRole::None,
            stores: Vec::new(),
            leaks: Vec::new(),
            unfinished: Vec::new(),
            releases: Vec::new(),
            pools: Default::default(),
        }
    }

    /// Whatever order the summaries come in, the facts are the same: a configured provider that
    /// returns a transaction it got from a helper hands out a transaction (what it returns beats
    /// the connection it is assumed to hand out), and its caller lets one escape.
    #[test]
    fn the_facts_do_not_depend_on_the_order_summaries_are_read_in() {
        let begin = returning("begin", OriginKind::Acquire(HandleKind::Transaction), None);
        let provider = returning(
            "provide",
            OriginKind::Call(vec![key("begin")]),
            Some(Provider::Configured),
        );
        let caller = returning("caller", OriginKind::Call(vec![key("provide")]), None);
        for order in [
            [&provider, &caller, &begin],
            [&begin, &provider, &caller],
            [&caller, &provider, &begin],
        ] {
            let facts = Facts::compute(&order);
            assert_eq!(facts.escapes[&key("provide")].kind, HandleKind::Transaction);
            assert_eq!(facts.escapes[&key("caller")].kind, HandleKind::Transaction);
            // Settled again from the helper up: the same.
            let mut again = Facts::compute(&order);
            let locate = |k: &FnKey| -> Vec<usize> {
                (0..order.len()).filter(|&i| order[i].key == *k).collect()
            };
            again.recompute(&order, [&key("begin")], &Callers::of(order), &locate);
            assert_eq!(again.escapes, facts.escapes);
        }
    }

    /// A `@contextmanager` that yields what a helper opens and closes it in `finally` is a scope
    /// whatever order the summaries come in; the same generator without the release is none.
    #[test]
    fn a_generator_is_a_scope_when_it_releases_what_it_yields_in_any_order() {
        use crate::summary::{Release, ReleaseHow};
        let open = returning("open", OriginKind::Opened(HandleKind::Connection), None);
        let generator = |name: &str, released: bool| {
            let mut g = returning(name, OriginKind::Call(vec![key("open")]), None);
            g.scope = ManagerRole::Generator;
            g.yields = std::mem::take(&mut g.returns);
            if released {
                g.releases = vec![Release {
                    span: (),
                    how: ReleaseHow::Finally,
                    origins: vec![0],
                }];
            }
            g
        };
        let (cm, noop) = (generator("cm", true), generator("noop", false));
        let user = returning("user", OriginKind::Enter(vec![key("cm")]), None);
        let noop_user = returning("noop_user", OriginKind::Enter(vec![key("noop")]), None);
        for order in [
            [&open, &cm, &noop, &user, &noop_user],
            [&noop_user, &user, &noop, &cm, &open],
            [&cm, &user, &open, &noop_user, &noop],
        ] {
            let facts = Facts::compute(&order);
            assert_eq!(facts.scopes[&key("cm")].kind, HandleKind::Connection);
            assert_eq!(facts.closes(&key("cm")), Some(ReleaseHow::Finally));
            assert_eq!(facts.escapes[&key("user")].kind, HandleKind::Connection);
            assert!(!facts.scopes.contains_key(&key("noop")));
            assert!(!facts.escapes.contains_key(&key("noop_user")));
        }
    }
}
