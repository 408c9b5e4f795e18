//! The identities every layer shares: a function's key, why a function hands handles out, and the
//! kinds of handle. Leaves: they import nothing of the engine, so the frontends, the summaries, the
//! link step and the rules can all use them without importing each other.

/// A function's identity across the run. Free functions are told apart by module; methods by the
/// name of the type (or trait) they are defined on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnKey {
    pub module: Vec<String>,
    pub owner: Option<String>,
    pub name: String,
}

/// Why a function hands handles out by design, so it is not reported and its callers get a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Marked `#[scoped_db::provider]`.
    Attribute,
    /// A method of an impl on a catalog type (a pool library's own `Pool::begin`).
    CatalogType,
    /// A method of a connection-manager or request-extractor trait impl.
    ProviderTrait,
    /// Named in the configuration's `providers`.
    Configured,
}

/// The kind of handle, for messages and for rules that care (transactions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandleKind {
    /// A connection checked out of a pool.
    Connection,
    /// A transaction or savepoint.
    Transaction,
    /// A client session (mongodb, an ORM session).
    Session,
    /// A database cursor (Python DB-API), closed by the `with` that opened it.
    Cursor,
    /// A pool or client that a Python `with` closes on exit (`async with asyncpg.create_pool()`).
    Pool,
}

impl HandleKind {
    /// The noun used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            HandleKind::Connection => "connection",
            HandleKind::Transaction => "transaction",
            HandleKind::Session => "session",
            HandleKind::Cursor => "cursor",
            HandleKind::Pool => "pool",
        }
    }

    /// The verb for how a function obtains it, in the past tense.
    pub fn obtained(self) -> &'static str {
        match self {
            HandleKind::Connection => "acquired",
            HandleKind::Transaction => "began",
            HandleKind::Session => "started",
            HandleKind::Cursor => "opened",
            HandleKind::Pool => "created",
        }
    }
}
