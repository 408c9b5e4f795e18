//! Per-function summaries: what the second pass keeps of a function once its syntax tree is gone,
//! and all the linking step needs. Both frontends fill the same IR; a field or kind marked (Rust) or
//! (Python) is only ever filled by that language's walker, and is empty in the other's summaries.

use crate::ids::{FnKey, HandleKind, Provider};
use crate::rules::code::Rule;

/// Where a value a function returns may have come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginKind {
    /// (Rust) A catalog acquisition in this function (`pool.begin()`).
    Acquire(HandleKind),
    /// (Python) The target of a `with` over a catalog scope that closes it on exit
    /// (`async with engine.begin() as conn`).
    WithBound(HandleKind),
    /// The result of calling these functions of the project; a handle if one of them lets one escape.
    Call(Vec<FnKey>),
    /// (Python) A handle obtained without a scope that manages it (`conn = await pool.acquire()`):
    /// handing it out is a hand-off, but a function that yields or enters with one is a scope.
    Obtained(HandleKind),
    /// (Python) The target of `with f() as x` where `f` is the project's own scope (a `@contextmanager`
    /// function or a class's `__enter__`); a handle if one of them is a scope for one.
    Enter(Vec<FnKey>),
    /// (Python) The target of a `with` whose context manager could not be resolved: assumed to be
    /// released when the block exits; kept only with evidence that it is a database handle.
    WithTarget(TargetEvidence),
    /// (Python) A handle whose own `with` does not close it (`sqlite3.connect()`,
    /// `psycopg2.connect()`, `await asyncpg.connect()`): a project scope that yields it is one
    /// only where the project releases it.
    Opened(HandleKind),
}

/// (Python) What says the target of an unresolved `with` is a database handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetEvidence {
    /// A database package the catalog does not model call by call made the manager.
    DbPackage,
    /// The manager is a DB-API call on a value of unknown type (`conn.cursor()`).
    DbApiCall,
    /// The block calls a DB-API method on it (`execute`, `cursor`, `commit`, `fetch*`...).
    UsedAsHandle,
}

/// (Python) Where a project context manager releases what it hands to its `with` block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReleaseHow {
    /// In a `finally` around the `yield`.
    Finally,
    /// After the `yield`.
    AfterYield,
    /// Through `contextlib.closing(..)`.
    Closing,
    /// In the class's `__exit__`/`__aexit__`.
    Exit,
}

impl ReleaseHow {
    /// Where, for messages: "closes it {phrase}".
    pub fn phrase(self) -> &'static str {
        match self {
            ReleaseHow::Finally => "in its `finally`",
            ReleaseHow::AfterYield => "after its `yield`",
            ReleaseHow::Closing => "through `contextlib.closing`",
            ReleaseHow::Exit => "in its `__exit__`",
        }
    }
}

/// (Python) Handles a function releases (`conn.close()`, `pool.release(conn)`, `closing(conn)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release<S> {
    pub span: S,
    pub how: ReleaseHow,
    /// Indices into [`FnSummary::origins`].
    pub origins: Vec<usize>,
}

/// (Python) What makes a function a scope that hands a handle to a `with` block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ManagerRole {
    #[default]
    None,
    /// A `@contextmanager`/`@asynccontextmanager` generator: its `yield` is what `with` binds.
    Generator,
    /// `__enter__`/`__aenter__`: its return value is what `with` binds.
    Enter,
}

/// A value stored where it outlives the function (`self.conn = conn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreFlow<S> {
    pub span: S,
    /// Where it is stored, as written: `self.conn`, `CACHE`.
    pub target: String,
    pub origins: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin<S> {
    pub kind: OriginKind,
    pub span: S,
}

/// A returned expression and the origins (indices into [`FnSummary::origins`]) it may carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnFlow<S> {
    pub span: S,
    pub origins: Vec<usize>,
}

/// A handle made never to return to its pool (`mem::forget(conn)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakFlow<S> {
    pub span: S,
    /// The call that leaks it, as written: `std::mem::forget`, `PoolConnection::detach`.
    pub how: String,
    pub origins: Vec<usize>,
    /// The leaked value's type is a catalog handle, wherever it came from.
    pub typed_handle: bool,
}

/// A transaction begun in a function and neither committed, rolled back nor handed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfinished<S> {
    /// Where it was begun.
    pub span: S,
    /// The library, for what its drop does.
    pub library: &'static str,
    /// (Rust) Begun by the project function this call origin (an index into
    /// [`FnSummary::origins`]) calls, which is declared to return a transaction: reported when that
    /// function lets one escape.
    pub through: Option<usize>,
}

/// The language a function is written in, for messages that name its constructs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Language {
    #[default]
    Rust,
    Python,
}

/// One function, summarized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnSummary<S> {
    pub key: FnKey,
    pub language: Language,
    /// `Type::method` or `name`, as findings show it.
    pub function: String,
    pub name_span: S,
    /// Set when the function hands handles out by design.
    pub provider: Option<Provider>,
    /// The handle kind its declared return type holds, if any.
    pub declared_kind: Option<HandleKind>,
    /// Rules silenced here by `#[scoped_db::allow(..)]`.
    pub allowed: Vec<Rule>,
    pub origins: Vec<Origin<S>>,
    pub returns: Vec<ReturnFlow<S>>,
    /// (Python) Values a generator yields.
    pub yields: Vec<ReturnFlow<S>>,
    pub scope: ManagerRole,
    /// Values stored where they outlive the function.
    pub stores: Vec<StoreFlow<S>>,
    /// (Rust) Handles made never to return to their pool.
    pub leaks: Vec<LeakFlow<S>>,
    /// (Rust) Transactions begun here and never finished nor handed on.
    pub unfinished: Vec<Unfinished<S>>,
    /// (Python) Handles a context manager releases when its block exits.
    pub releases: Vec<Release<S>>,
    /// What the function does with pools while it holds their handles (SDB006, SDB007).
    pub pools: PoolFlow<S>,
}

/// A pool as a function reaches it: a parameter (`self` is parameter 0 of a method), a module
/// global or `static`, or a local, then a path of fields (`self.pool`, `state.db`). Two receivers
/// are the same pool when their paths are equal; nothing less certain makes them one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolPath {
    pub root: PoolRoot,
    pub fields: Vec<String>,
}

/// Where a [`PoolPath`] starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoolRoot {
    /// A parameter, by position and name as declared.
    Param { index: usize, name: String },
    /// A module global or `static`, by its absolute path.
    Global(String),
    /// A local binding of this function, numbered in the order it was bound.
    Local { id: u32, name: String },
}

/// At most this many fields are followed from a root: deeper paths are not told apart.
pub const MAX_POOL_FIELDS: usize = 4;

impl PoolPath {
    pub fn root(root: PoolRoot) -> PoolPath {
        PoolPath {
            root,
            fields: Vec::new(),
        }
    }

    /// The path of a field of this one; none past [`MAX_POOL_FIELDS`].
    pub fn field(&self, name: &str) -> Option<PoolPath> {
        (self.fields.len() < MAX_POOL_FIELDS).then(|| {
            let mut fields = self.fields.clone();
            fields.push(name.to_string());
            PoolPath {
                root: self.root.clone(),
                fields,
            }
        })
    }

    /// This path followed by `more` fields; none past [`MAX_POOL_FIELDS`].
    pub fn join(&self, more: &[String]) -> Option<PoolPath> {
        (self.fields.len() + more.len() <= MAX_POOL_FIELDS).then(|| PoolPath {
            root: self.root.clone(),
            fields: self.fields.iter().chain(more).cloned().collect(),
        })
    }

    /// The path as code writes it: `pool`, `self.pool`, `DB`.
    pub fn display(&self) -> String {
        let mut out = match &self.root {
            PoolRoot::Param { name, .. } | PoolRoot::Local { name, .. } => name.clone(),
            PoolRoot::Global(path) => path.rsplit(['.', ':']).next().unwrap_or(path).to_string(),
        };
        for f in &self.fields {
            out.push('.');
            out.push_str(f);
        }
        out
    }

    /// Whether the path outlives the call, so a caller can name it (a parameter or a global).
    pub fn is_shared(&self) -> bool {
        !matches!(self.root, PoolRoot::Local { .. })
    }
}

/// What a function does to a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoolOp {
    /// Runs a statement on the pool itself, which takes a connection of its own for it
    /// (`query.execute(&pool)`, `await pool.fetch(..)`), or on a connection it took from the pool.
    Statement,
    /// Takes a handle of this kind from the pool (`pool.acquire()`, `pool.begin()`,
    /// `engine.connect()`, a session from a sessionmaker of the engine).
    Acquire(HandleKind),
    /// Hands a handle of this kind taken from the pool to its caller (returns it, or yields it to
    /// a `with` block), with a transaction open on it (`true`) or not: the caller holds it.
    Gives(HandleKind, bool),
}

/// A handle taken from a pool and held by the function for a while.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold<S> {
    pub span: S,
    pub kind: HandleKind,
    /// The pool it came from (for a transaction begun on a connection, the connection's pool).
    pub from: HoldFrom,
    /// A transaction the code began explicitly and has not finished yet.
    pub open_transaction: bool,
}

/// Where a held handle came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldFrom {
    /// Taken from this pool here.
    Pool(PoolPath),
    /// Given by the project call of this access (an index into [`PoolFlow::accesses`]): from
    /// the pools its callees give handles of ([`PoolOp::Gives`]), of the kind they give.
    Call(usize),
    /// Held by a scope of the function from no pool it can name (`async with session.begin()`
    /// on a session it was given, a Rust transaction begun on a connection parameter): a
    /// database scope for SDB009, never a pool for SDB006 and SDB007. Bound by the `with` of
    /// these project scopes (`with get_session() as s`), when they are one (known once linked);
    /// empty for a catalog handle.
    Scope(Vec<FnKey>),
}

/// A call a function waits on: a slow external call of the catalog, or a project call that may
/// make one (SDB009), with the database scopes live there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait<S> {
    pub span: S,
    pub on: WaitOn,
    /// Indices into [`PoolFlow::holds`] of the scopes live here.
    pub scopes: Vec<usize>,
    /// Those of `scopes` a project call gave that nothing has used yet (see [`Access::untouched`]).
    pub untouched: Vec<usize>,
    /// Made inside a closure or an async block: run by it, not (surely) by the function.
    pub in_task: bool,
    /// (Python) Made after the function committed, rolled back or closed a session it was given:
    /// its caller's session holds no connection there.
    pub gave_back: bool,
}

impl<S> Wait<S> {
    /// The same wait with its span mapped.
    pub(crate) fn map_span<T>(self, f: impl FnOnce(S) -> T) -> Wait<T> {
        Wait {
            span: f(self.span),
            on: self.on,
            scopes: self.scopes,
            untouched: self.untouched,
            in_task: self.in_task,
            gave_back: self.gave_back,
        }
    }
}

/// What a [`Wait`] calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitOn {
    /// A slow API of the catalog, as the message names it (`httpx.AsyncClient.post`).
    Slow(String),
    /// These project functions.
    Call(Vec<FnKey>),
}

/// Something a function does to a pool, or may do through a callee, and the holds live there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access<S> {
    pub span: S,
    pub what: Reach,
    /// Indices into [`PoolFlow::holds`] of the handles live here.
    pub held: Vec<usize>,
    /// Those of `held` a project call gave that nothing has used yet: a session among them has
    /// checked out no connection (SQLAlchemy's sessions take one at their first statement).
    pub untouched: Vec<usize>,
}

/// What an [`Access`] reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The function itself does `op` on `pool`. `through` is the access (an index into
    /// [`PoolFlow::accesses`]) that took the connection a statement runs on.
    Direct {
        pool: PoolPath,
        op: PoolOp,
        through: Option<usize>,
    },
    /// A call of these project functions, given these pools (or values whose fields are pools)
    /// as their parameters: what the callees do to their parameters and to globals, it does.
    Call {
        callees: Vec<FnKey>,
        args: Vec<(Slot, PoolPath)>,
        /// The call's result is returned (or yielded): what the callees give, this function gives.
        returned: bool,
        /// Made by a framework before the function runs (a FastAPI `Depends` default), not by the
        /// function: what the callees do is not what the function does to its callers.
        injected: bool,
    },
    /// A statement on the handle the project call of this access (an index into
    /// [`PoolFlow::accesses`]) gave: on the pools its callees take it from.
    OnGiven { call: usize },
}

/// Which parameter of a callee an argument lands in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    Position(usize),
    /// (Python) A keyword argument.
    Keyword(String),
}

impl Slot {
    /// Whether an argument in this slot is the parameter `index` named `name`.
    pub fn is(&self, index: usize, name: &str) -> bool {
        match self {
            Slot::Position(i) => *i == index,
            Slot::Keyword(k) => k == name,
        }
    }
}

/// The pool side of a function: its holds and what it does while they are live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolFlow<S> {
    pub holds: Vec<Hold<S>>,
    pub accesses: Vec<Access<S>>,
    /// The calls it waits on with something held, or that are slow themselves (SDB009), and the
    /// holds live at each.
    pub waits: Vec<Wait<S>>,
    /// The project functions it calls with nothing held, outside closures: whether they wait on
    /// a slow call is whether it does, for its callers (SDB009). Sorted, once each.
    pub waited: Vec<FnKey>,
    /// (Python) Paths from its parameters it runs statements on itself (`session.execute(..)`,
    /// `self.session.scalar(..)`), and whether the receiver's type says it is a handle there
    /// (SDB008).
    pub runs_on: Vec<(PoolPath, bool)>,
    /// (Python) Coroutines it runs at once, with what each is given (SDB008).
    pub shares: Vec<Share<S>>,
}

/// (Python) Coroutines run at once: the arguments of one `asyncio.gather(..)`, tasks not awaited
/// yet, or a task beside the function's own statements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share<S> {
    pub span: S,
    pub how: ShareHow,
    pub runs: Vec<CoroRun<S>>,
}

impl<S> Share<S> {
    /// The same share with its spans mapped.
    pub(crate) fn map_spans<T>(self, f: &mut impl FnMut(S) -> T) -> Share<T> {
        Share {
            span: f(self.span),
            how: self.how,
            runs: self
                .runs
                .into_iter()
                .map(|r| CoroRun {
                    span: f(r.span),
                    callees: r.callees,
                    args: r.args,
                    many: r.many,
                })
                .collect(),
        }
    }
}

/// What runs the coroutines of a [`Share`] at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareHow {
    /// The arguments of one `asyncio.gather(..)`.
    Gather,
    /// The coroutines one `asyncio.wait(..)` or `asyncio.as_completed(..)` is given.
    Wait,
    /// Tasks made (`create_task`) and not awaited yet.
    Tasks,
    /// A task made in a loop and not awaited in it: one per iteration.
    Loop,
    /// The function's own statement (the last run, with no callees) beside a live task.
    Beside,
}

/// One coroutine of a [`Share`]: a call of project functions, and the values it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoroRun<S> {
    pub span: S,
    pub callees: Vec<FnKey>,
    pub args: Vec<CoroArg>,
    /// Made for each item of a comprehension (`gather(*[f(s, x) for x in xs])`): many at once.
    pub many: bool,
}

/// A value given to a coroutine of a [`Share`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoroArg {
    pub slot: Slot,
    /// Which value it is: equal for the same value within the function.
    pub key: String,
    /// As written, for the message.
    pub display: String,
    /// Its type (or what made it) says it is a session, connection or cursor.
    pub handle: bool,
}

impl<S> Default for PoolFlow<S> {
    fn default() -> Self {
        PoolFlow {
            holds: Vec::new(),
            accesses: Vec::new(),
            waits: Vec::new(),
            waited: Vec::new(),
            runs_on: Vec::new(),
            shares: Vec::new(),
        }
    }
}

impl<S> PoolFlow<S> {
    fn map_spans<T>(self, f: &mut impl FnMut(S) -> T) -> PoolFlow<T> {
        PoolFlow {
            holds: self
                .holds
                .into_iter()
                .map(|h| Hold {
                    span: f(h.span),
                    kind: h.kind,
                    from: h.from,
                    open_transaction: h.open_transaction,
                })
                .collect(),
            accesses: self
                .accesses
                .into_iter()
                .map(|a| Access {
                    span: f(a.span),
                    what: a.what,
                    held: a.held,
                    untouched: a.untouched,
                })
                .collect(),
            waits: self
                .waits
                .into_iter()
                .map(|w| w.map_span(&mut *f))
                .collect(),
            waited: self.waited,
            runs_on: self.runs_on,
            shares: self.shares.into_iter().map(|sh| sh.map_spans(f)).collect(),
        }
    }
}

impl<S> FnSummary<S> {
    /// The same summary with its spans mapped (compiler spans to line/column locations).
    pub fn map_spans<T>(self, mut f: impl FnMut(S) -> T) -> FnSummary<T> {
        FnSummary {
            key: self.key,
            language: self.language,
            function: self.function,
            name_span: f(self.name_span),
            provider: self.provider,
            declared_kind: self.declared_kind,
            allowed: self.allowed,
            origins: self
                .origins
                .into_iter()
                .map(|o| Origin {
                    kind: o.kind,
                    span: f(o.span),
                })
                .collect(),
            returns: self
                .returns
                .into_iter()
                .map(|r| ReturnFlow {
                    span: f(r.span),
                    origins: r.origins,
                })
                .collect(),
            yields: self
                .yields
                .into_iter()
                .map(|r| ReturnFlow {
                    span: f(r.span),
                    origins: r.origins,
                })
                .collect(),
            scope: self.scope,
            stores: self
                .stores
                .into_iter()
                .map(|r| StoreFlow {
                    span: f(r.span),
                    target: r.target,
                    origins: r.origins,
                })
                .collect(),
            leaks: self
                .leaks
                .into_iter()
                .map(|l| LeakFlow {
                    span: f(l.span),
                    how: l.how,
                    origins: l.origins,
                    typed_handle: l.typed_handle,
                })
                .collect(),
            unfinished: self
                .unfinished
                .into_iter()
                .map(|u| Unfinished {
                    span: f(u.span),
                    library: u.library,
                    through: u.through,
                })
                .collect(),
            releases: self
                .releases
                .into_iter()
                .map(|r| Release {
                    span: f(r.span),
                    how: r.how,
                    origins: r.origins,
                })
                .collect(),
            pools: self.pools.map_spans(&mut f),
        }
    }
}

/// At most this many origins are tracked per value.
const MAX_CARRIED: usize = 32;

/// Adds origins to a set of origins a value carries, once each, up to [`MAX_CARRIED`].
pub(crate) fn union_into(acc: &mut Vec<usize>, more: &[usize]) {
    for &o in more {
        if acc.len() >= MAX_CARRIED {
            return;
        }
        if !acc.contains(&o) {
            acc.push(o);
        }
    }
}
