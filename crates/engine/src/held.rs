//! What a function holds from its pools while it reads on: the handles it took (and from which
//! pool), and what it does to a pool while they are live. Both walkers drive one [`Tracker`] as
//! they read a body in order; it gives the [`PoolFlow`] of the summary, from which SDB006 and
//! SDB007 are decided once the link knows what callees do.
//!
//! A hold is live from the call that took it until the function finishes it (commit, rollback,
//! close), moves it away (returns it, passes it by value, drops it), or the scope that binds it
//! ends; a hold no binding keeps ends with the statement that made it. Inside a closure or an async
//! block, nothing held outside is held: a task spawned to run later is not this function's.

use std::rc::Rc;

use rustc_hash::FxHashMap as HashMap;

use crate::ids::{FnKey, HandleKind};
use crate::summary::{
    Access, Hold, HoldFrom, PoolFlow, PoolOp, PoolPath, PoolRoot, Reach, Slot, Wait, WaitOn,
};

struct HoldState<N> {
    /// The walker's origin of the handle.
    origin: usize,
    /// None for a handle a project call gave (`given_by`).
    pool: Option<Rc<PoolPath>>,
    given_by: Option<usize>,
    kind: HandleKind,
    open_transaction: bool,
    node: N,
    /// The connection origin a transaction was begun on.
    on: Option<usize>,
    /// The scope depth of the first binding that keeps it.
    frame: Option<usize>,
    ended: bool,
    task: usize,
    /// Taken in an earlier alternative of a conditional the reader is now in another of.
    hidden: bool,
    /// Held inside the closures and async blocks read while it is live too (a transaction that
    /// runs the closure it is given).
    spans_tasks: bool,
    /// Something ran on it or was given it: a session has checked out its connection.
    used: bool,
    /// The parameter that holds it (a FastAPI dependency), which is how it is used.
    #[cfg_attr(not(feature = "python"), allow(dead_code))]
    param: Option<PoolPath>,
    /// A database scope from no pool the function can name (SDB009 only), bound by a `with`
    /// of these project scopes (empty: a catalog handle).
    scope_only: Option<Vec<FnKey>>,
    /// It checks out its connection at its first statement (a SQLAlchemy session, or a
    /// transaction begun on one): held only once `used`.
    lazy: bool,
    /// A lazy handle committed or rolled back since it last ran something: it gave its
    /// connection back (SDB009 only; the pool rules go by `used`).
    idle: bool,
}

impl<N> HoldState<N> {
    /// A handle of `kind` held from `node` on, in the task at depth `task`, from no pool yet.
    fn new(origin: usize, kind: HandleKind, node: N, task: usize) -> HoldState<N> {
        HoldState {
            origin,
            pool: None,
            given_by: None,
            kind,
            open_transaction: false,
            node,
            on: None,
            frame: None,
            ended: false,
            task,
            hidden: false,
            spans_tasks: false,
            used: false,
            param: None,
            scope_only: None,
            lazy: kind == HandleKind::Session,
            idle: false,
        }
    }
}

/// The holds and pool accesses of one function, as its body is read.
pub(crate) struct Tracker<N> {
    holds: Vec<HoldState<N>>,
    accesses: Vec<(N, Reach, Vec<usize>, Vec<usize>)>,
    waits: Vec<Wait<N>>,
    /// The project functions called outside closures with nothing held (and no session given
    /// back): their slow calls are this function's, for its callers.
    waited: rustc_hash::FxHashSet<FnKey>,
    /// The pool an acquired origin came from, and the access that took it.
    from_pool: HashMap<usize, (Rc<PoolPath>, usize)>,
    /// The access of the project call whose result an origin is.
    calls: HashMap<usize, usize>,
    next_local: u32,
    /// How many closures and async blocks deep the reader is.
    task: usize,
    /// While above zero, nothing is recorded (an expression read a second time).
    muted: usize,
    /// Paths from parameters (sessions the caller gave) committed, rolled back or closed here
    /// and not used since: the caller's session holds no connection meanwhile.
    idle_params: Vec<PoolPath>,
}

impl<N> Default for Tracker<N> {
    fn default() -> Self {
        Tracker {
            holds: Vec::new(),
            accesses: Vec::new(),
            waits: Vec::new(),
            waited: rustc_hash::FxHashSet::default(),
            from_pool: HashMap::default(),
            calls: HashMap::default(),
            next_local: 0,
            task: 0,
            muted: 0,
            idle_params: Vec::new(),
        }
    }
}

impl<N: Copy> Tracker<N> {
    /// A new local's path.
    pub(crate) fn local(&mut self, name: &str) -> Rc<PoolPath> {
        self.next_local += 1;
        Rc::new(PoolPath::root(PoolRoot::Local {
            id: self.next_local,
            name: name.to_string(),
        }))
    }

    /// Whether the function holds anything from a pool now (cheap: most functions never do).
    pub(crate) fn holds_any(&self) -> bool {
        self.holds
            .iter()
            .any(|h| !h.ended && h.scope_only.is_none())
    }

    /// The holds from pools live now; `done` says which origins were finished or moved away.
    fn live(&self, done: &dyn Fn(usize) -> bool) -> Vec<usize> {
        self.live_where(done, false)
    }

    /// The database scopes live now (SDB009): the holds from pools and those from no pool.
    fn live_scopes(&self, done: &dyn Fn(usize) -> bool) -> Vec<usize> {
        self.live_where(done, true)
    }

    fn live_where(&self, done: &dyn Fn(usize) -> bool, scopes: bool) -> Vec<usize> {
        self.holds
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                !h.ended
                    && !h.hidden
                    && (scopes || h.scope_only.is_none())
                    // A session holds a connection only once it has run something.
                    && (h.used || !h.lazy || h.given_by.is_some())
                    && !(scopes && h.lazy && h.idle)
                    && (h.task == self.task || (h.spans_tasks && h.task < self.task))
                    && !done(h.origin)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// `origin`, a handle of `kind` bound at `node` by a database scope from no pool the
    /// function can name (SDB009): by a `with` of the project scopes `project` (empty for a
    /// catalog handle). `lazy`: it checks out its connection at its first statement, run on
    /// the values carrying `on` (a transaction begun on a session) or on the parameter at
    /// `param`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn scoped(
        &mut self,
        origin: usize,
        kind: HandleKind,
        open_transaction: bool,
        project: Vec<FnKey>,
        lazy: Option<(&[usize], Option<PoolPath>)>,
        node: N,
    ) {
        if self.muted > 0 || self.holds.iter().any(|h| h.origin == origin) {
            return;
        }
        let mut hold = HoldState {
            open_transaction,
            scope_only: Some(project),
            ..HoldState::new(origin, kind, node, self.task)
        };
        if let Some((on, param)) = lazy {
            hold.lazy = true;
            hold.on = on.first().copied();
            hold.param = param;
        }
        self.holds.push(hold);
    }

    /// A call of a slow API of the catalog at `node`.
    pub(crate) fn slow(&mut self, api: String, node: N, done: &dyn Fn(usize) -> bool) {
        self.wait(WaitOn::Slow(api), node, done);
    }

    /// A call of project functions at `node`, which may wait on a slow call: with nothing held,
    /// only which functions it calls (for its callers), once each.
    pub(crate) fn waited_call(&mut self, callees: &[FnKey], node: N, done: &dyn Fn(usize) -> bool) {
        if self.muted > 0 {
            return;
        }
        if self.holds.iter().all(|h| h.ended) || self.live_scopes(done).is_empty() {
            if self.task == 0 && self.idle_params.is_empty() {
                self.waited.extend(callees.iter().cloned());
            }
            return;
        }
        self.wait(WaitOn::Call(callees.to_vec()), node, done);
    }

    fn wait(&mut self, on: WaitOn, node: N, done: &dyn Fn(usize) -> bool) {
        if self.muted > 0 {
            return;
        }
        let scopes = self.live_scopes(done);
        // Inside a closure with nothing held, nothing a caller or a rule can use.
        if self.task > 0 && scopes.is_empty() {
            return;
        }
        let untouched = scopes
            .iter()
            .copied()
            .filter(|&h| self.holds[h].given_by.is_some() && !self.holds[h].used)
            .collect();
        self.waits.push(Wait {
            span: node,
            on,
            scopes,
            untouched,
            in_task: self.task > 0,
            gave_back: !self.idle_params.is_empty(),
        });
    }

    /// The project call whose result is `o` is made by a framework before the function runs.
    #[cfg(feature = "python")]
    pub(crate) fn injected(&mut self, o: usize) {
        if let Some(&call) = self.calls.get(&o)
            && let Some((_, Reach::Call { injected, .. }, _, _)) = self.accesses.get_mut(call)
        {
            *injected = true;
        }
    }

    /// The handle `o` (given by a project call) is what the parameter at `place` holds.
    #[cfg(feature = "python")]
    pub(crate) fn held_by(&mut self, o: usize, place: PoolPath) {
        for h in &mut self.holds {
            if h.origin == o {
                h.param = Some(place.clone());
            }
        }
    }

    /// Something ran on the value at `place`, or it was given to a function that may run
    /// something: the handle a parameter there holds has checked out its connection.
    #[cfg(feature = "python")]
    pub(crate) fn touch_place(&mut self, place: Option<&PoolPath>) {
        let Some(place) = place.filter(|_| self.muted == 0) else {
            return;
        };
        self.idle_params.retain(|p| p != place);
        for h in &mut self.holds {
            if h.param.as_ref() == Some(place) {
                h.used = true;
                h.idle = false;
            }
        }
    }

    /// The value carrying `carried` (or the parameter at `place`) was committed or rolled back:
    /// a session among them gave its connection back until it runs something again.
    #[cfg(feature = "python")]
    pub(crate) fn committed(&mut self, carried: &[usize], place: Option<&PoolPath>) {
        if let Some(p) = place
            && matches!(p.root, PoolRoot::Param { .. })
            && !self.idle_params.contains(p)
        {
            self.idle_params.push(p.clone());
        }
        for h in &mut self.holds {
            let this = carried.contains(&h.origin)
                || h.on.is_some_and(|o| carried.contains(&o))
                || (place.is_some() && h.param.as_ref() == place);
            if h.lazy && this {
                h.idle = true;
            }
        }
    }

    /// Records an access, with which of the handles held there a project call gave and nothing
    /// has used yet.
    fn push_access(&mut self, (node, what, held): (N, Reach, Vec<usize>)) {
        let untouched = held
            .iter()
            .copied()
            .filter(|&h| self.holds[h].given_by.is_some() && !self.holds[h].used)
            .collect();
        self.accesses.push((node, what, held, untouched));
    }

    fn push(&mut self, node: N, what: Reach, held: Vec<usize>) {
        self.push_access((node, what, held));
    }

    /// Something ran on the handles `carried` holds, or they were given to a function that may:
    /// a session among them has checked out its connection.
    #[cfg_attr(not(feature = "python"), allow(dead_code))]
    pub(crate) fn touch(&mut self, carried: &[usize]) {
        if self.muted > 0 {
            return;
        }
        for h in &mut self.holds {
            if carried.contains(&h.origin) || (h.lazy && h.on.is_some_and(|o| carried.contains(&o)))
            {
                h.used = true;
                h.idle = false;
            }
        }
    }

    /// Reading an expression again (`true`) or no more: nothing is recorded meanwhile.
    #[cfg(feature = "python")]
    pub(crate) fn mute(&mut self, muting: bool) {
        if muting {
            self.muted += 1;
        } else {
            self.muted = self.muted.saturating_sub(1);
        }
    }

    /// Another alternative of a conditional starts (`else`, the next `match` arm), the current
    /// one having started at `mark`: what that one took is not held in this one. After the last,
    /// [`Tracker::alternatives_end`].
    pub(crate) fn next_alternative(&mut self, mark: usize) {
        for h in self.since(mark) {
            h.hidden = true;
        }
    }

    /// The conditional whose first alternative started at `mark` ended: what any alternative
    /// took (and still holds) may be held after it.
    pub(crate) fn alternatives_end(&mut self, mark: usize) {
        for h in self.since(mark) {
            h.hidden = false;
        }
    }

    /// Entering (`true`) or leaving a closure, an async block or a spawned task's arguments.
    /// Every entering is paired with one leaving.
    pub(crate) fn task(&mut self, entering: bool) {
        if entering {
            self.task += 1;
        } else {
            self.task = self.task.saturating_sub(1);
            let task = self.task;
            for h in &mut self.holds {
                if h.task > task {
                    h.ended = true;
                }
            }
        }
    }

    /// `origin`, a handle of `kind`, taken from `pool` at `node`.
    /// `open_transaction`: taken with a transaction begun on it (`engine.begin()`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn acquired(
        &mut self,
        origin: usize,
        kind: HandleKind,
        open_transaction: bool,
        pool: Rc<PoolPath>,
        node: N,
        done: &dyn Fn(usize) -> bool,
    ) {
        if self.muted > 0 {
            return;
        }
        let held = self.live(done);
        self.push_access((
            node,
            Reach::Direct {
                pool: (*pool).clone(),
                op: PoolOp::Acquire(kind),
                through: None,
            },
            held,
        ));
        self.from_pool
            .insert(origin, (pool.clone(), self.accesses.len() - 1));
        self.holds.push(HoldState {
            pool: Some(pool),
            open_transaction,
            ..HoldState::new(origin, kind, node, self.task)
        });
    }

    /// A transaction `origin` begun at `node` on a value carrying `on`: held from the pool the
    /// connection came from, when this function took it from one.
    pub(crate) fn begun_on(&mut self, origin: usize, on: &[usize], node: N) {
        if self.muted > 0 {
            return;
        }
        let Some((conn, pool)) = on
            .iter()
            .find_map(|o| self.from_pool.get(o).map(|(p, _)| (*o, p.clone())))
        else {
            // On a connection from no pool the function names: a database scope all the same.
            self.scoped(
                origin,
                HandleKind::Transaction,
                true,
                Vec::new(),
                None,
                node,
            );
            return;
        };
        self.from_pool.insert(origin, (pool.clone(), usize::MAX));
        self.holds.push(HoldState {
            pool: Some(pool),
            open_transaction: true,
            on: Some(conn),
            ..HoldState::new(origin, HandleKind::Transaction, node, self.task)
        });
    }

    /// A statement run on `pool` itself at `node`.
    pub(crate) fn statement(&mut self, pool: Rc<PoolPath>, node: N, done: &dyn Fn(usize) -> bool) {
        if self.muted > 0 || (!pool.is_shared() && !self.holds_any()) {
            return;
        }
        let held = self.live(done);
        self.push_access((
            node,
            Reach::Direct {
                pool: (*pool).clone(),
                op: PoolOp::Statement,
                through: None,
            },
            held,
        ));
    }

    /// A statement run at `node` on a value carrying `carried`: on the pool a connection among
    /// them came from, when this function took it from one (or began a transaction on one). The
    /// holds of that very connection are not bypassed by it: its statements are its transaction's.
    pub(crate) fn statement_on(
        &mut self,
        carried: &[usize],
        node: N,
        done: &dyn Fn(usize) -> bool,
    ) {
        if self.muted > 0 {
            return;
        }
        self.touch(carried);
        // On a handle a project call gave: on whatever pool its callees take it from.
        if let Some(given) = carried.iter().find_map(|o| {
            self.holds
                .iter()
                .position(|h| h.origin == *o && h.given_by.is_some())
        }) {
            let hold = &self.holds[given];
            let (origin, call) = (hold.origin, hold.given_by.unwrap_or(usize::MAX));
            let held: Vec<usize> = self
                .live(done)
                .into_iter()
                .filter(|&h| self.holds[h].origin != origin && self.holds[h].on != Some(origin))
                .collect();
            if !held.is_empty() {
                self.push(node, Reach::OnGiven { call }, held);
            }
            return;
        }
        let Some((conn, pool, took, in_transaction)) = carried.iter().find_map(|o| {
            let (pool, took) = self.from_pool.get(o)?;
            let hold = self.holds.iter().find(|h| h.origin == *o)?;
            Some((
                hold.on.unwrap_or(*o),
                pool.clone(),
                *took,
                hold.open_transaction,
            ))
        }) else {
            return;
        };
        // A statement in a transaction this function began is that transaction's: a second one
        // begun beside another is reported where it is begun (SDB007), not at each statement.
        // Its callers still learn that it runs statements on the pool.
        let held: Vec<usize> = if in_transaction {
            Vec::new()
        } else {
            self.live(done)
                .into_iter()
                .filter(|&h| self.holds[h].origin != conn && self.holds[h].on != Some(conn))
                .collect()
        };
        if held.is_empty() && !pool.is_shared() {
            return;
        }
        self.push_access((
            node,
            Reach::Direct {
                pool: (*pool).clone(),
                op: PoolOp::Statement,
                through: (took != usize::MAX).then_some(took),
            },
            held,
        ));
    }

    /// A call of project functions at `node`, given these pool paths, whose result is `origin`.
    pub(crate) fn call(
        &mut self,
        callees: &[FnKey],
        args: Vec<(Slot, PoolPath)>,
        node: N,
        origin: Option<usize>,
        always: bool,
        done: &dyn Fn(usize) -> bool,
    ) {
        let held = if self.holds_any() {
            self.live(done)
        } else {
            Vec::new()
        };
        let shared = args.iter().any(|(_, p)| p.is_shared());
        if self.muted > 0 || !(always || shared || !held.is_empty()) {
            return;
        }
        self.push_access((
            node,
            Reach::Call {
                callees: callees.to_vec(),
                args,
                returned: false,
                injected: false,
            },
            held,
        ));
        if let Some(o) = origin {
            self.calls.insert(o, self.accesses.len() - 1);
        }
    }

    /// The result of a project call (origin `o`) is kept: what its callees give is held, from
    /// the pools they take it from (known once they are linked).
    pub(crate) fn given(&mut self, o: usize) {
        let Some(&call) = self.calls.get(&o) else {
            return;
        };
        let node = self.accesses[call].0;
        if self.muted > 0 || self.holds.iter().any(|h| h.origin == o) {
            return;
        }
        // Its kind and whether a transaction is open on it are the callees', once linked.
        self.holds.push(HoldState {
            given_by: Some(call),
            ..HoldState::new(o, HandleKind::Connection, node, self.task)
        });
    }

    /// A value carrying `carried` is returned (or yielded): a handle this function took from a
    /// pool its caller can name is given to the caller, and so is what a project call it returns
    /// the result of gives.
    pub(crate) fn returned(&mut self, carried: &[usize], node: N) {
        if self.muted > 0 {
            return;
        }
        for o in carried {
            if let Some(&call) = self.calls.get(o)
                && let Some((_, Reach::Call { returned, .. }, _, _)) = self.accesses.get_mut(call)
            {
                *returned = true;
            }
            let Some((pool, _)) = self.from_pool.get(o) else {
                continue;
            };
            let Some(hold) = self.holds.iter().find(|h| h.origin == *o) else {
                continue;
            };
            if !pool.is_shared() {
                continue;
            }
            let op = PoolOp::Gives(hold.kind, hold.open_transaction);
            let pool = (**pool).clone();
            self.push_access((
                node,
                Reach::Direct {
                    pool,
                    op,
                    through: None,
                },
                Vec::new(),
            ));
        }
    }

    /// The handle `from` is now held as `to` (a `with` binds what its manager took).
    #[cfg(feature = "python")]
    pub(crate) fn alias(&mut self, from: usize, to: usize) {
        if let Some(taken) = self.from_pool.get(&from).cloned() {
            self.from_pool.insert(to, taken);
        }
        for h in &mut self.holds {
            if h.origin == from {
                h.origin = to;
            }
            if h.on == Some(from) {
                h.on = Some(to);
            }
        }
    }

    /// What was taken since `mark` and is bound nowhere yet is kept by the scope at `frame` (a
    /// `with` statement's managers, for its block).
    #[cfg(feature = "python")]
    pub(crate) fn bind_since(&mut self, mark: usize, frame: usize) {
        for h in self.since(mark) {
            if h.frame.is_none() {
                h.frame = Some(frame);
            }
        }
    }

    /// The values carrying `carried` are bound at scope depth `frame`: what a project call among
    /// them gives is held from here.
    pub(crate) fn bound(&mut self, carried: &[usize], frame: usize) {
        for &o in carried {
            self.given(o);
        }
        for h in &mut self.holds {
            if h.frame.is_none() && carried.contains(&h.origin) {
                h.frame = Some(frame);
            }
        }
    }

    /// The scope at depth `frame` ended: what its bindings held is dropped.
    pub(crate) fn scope_ended(&mut self, frame: usize) {
        for h in &mut self.holds {
            if h.frame.is_some_and(|f| f >= frame) {
                h.ended = true;
            }
        }
    }

    /// The holds taken since `mark` are held inside the closures read from here on, until
    /// [`Tracker::end_since`].
    pub(crate) fn span_tasks_since(&mut self, mark: usize) {
        for h in self.since(mark) {
            h.spans_tasks = true;
        }
    }

    /// The holds taken since `mark` are no longer held (the call that ran the closure returned).
    pub(crate) fn end_since(&mut self, mark: usize) {
        for h in self.since(mark) {
            h.ended = true;
        }
    }

    /// The holds taken since `mark`.
    fn since(&mut self, mark: usize) -> impl Iterator<Item = &mut HoldState<N>> {
        self.holds.iter_mut().skip(mark)
    }

    /// How many holds there are, to mark where a statement starts.
    pub(crate) fn mark(&self) -> usize {
        self.holds.len()
    }

    /// A statement that started at `mark` ended: what it took and bound nowhere is dropped.
    pub(crate) fn statement_ended(&mut self, mark: usize) {
        for h in self.since(mark) {
            if h.frame.is_none() {
                h.ended = true;
            }
        }
    }

    /// The flow for the summary, with spans: the accesses a caller or a rule can use (on a pool
    /// a caller can name, a call, or with something held), and the holds.
    pub(crate) fn finish<S>(self, span: impl Fn(N) -> S) -> PoolFlow<S> {
        let useful = |(what, held): (&Reach, &Vec<usize>)| match what {
            Reach::Direct { pool, .. } => pool.is_shared() || !held.is_empty(),
            Reach::Call { .. } | Reach::OnGiven { .. } => true,
        };
        let mut renumbered = vec![None; self.accesses.len()];
        let mut kept = 0;
        for (i, (_, what, held, _)) in self.accesses.iter().enumerate() {
            if useful((what, held)) {
                renumbered[i] = Some(kept);
                kept += 1;
            }
        }
        let mut waited: Vec<FnKey> = self.waited.into_iter().collect();
        waited.sort();
        if kept == 0 && self.waits.is_empty() {
            return PoolFlow {
                waited,
                ..PoolFlow::default()
            };
        }
        PoolFlow {
            holds: self
                .holds
                .iter()
                .map(|h| Hold {
                    span: span(h.node),
                    kind: h.kind,
                    from: match (&h.pool, h.given_by, &h.scope_only) {
                        (Some(pool), _, _) => HoldFrom::Pool((**pool).clone()),
                        (None, None, Some(project)) => HoldFrom::Scope(project.clone()),
                        (None, call, _) => {
                            HoldFrom::Call(call.and_then(|c| renumbered[c]).unwrap_or(usize::MAX))
                        }
                    },
                    open_transaction: h.open_transaction,
                })
                .collect(),
            accesses: self
                .accesses
                .into_iter()
                .enumerate()
                .filter(|(i, _)| renumbered[*i].is_some())
                .map(|(_, (node, mut what, held, untouched))| {
                    match &mut what {
                        Reach::Direct { through, .. } => {
                            *through = through.and_then(|t| renumbered.get(t).copied().flatten());
                        }
                        Reach::OnGiven { call } => {
                            *call = renumbered
                                .get(*call)
                                .copied()
                                .flatten()
                                .unwrap_or(usize::MAX);
                        }
                        Reach::Call { .. } => {}
                    }
                    Access {
                        span: span(node),
                        what,
                        held,
                        untouched,
                    }
                })
                .collect(),
            waits: self.waits.into_iter().map(|w| w.map_span(&span)).collect(),
            waited,
            runs_on: Vec::new(),
            shares: Vec::new(),
        }
    }
}
