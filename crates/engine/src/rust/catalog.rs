//! The handle catalog: which crates, types and calls make a database handle.
//!
//! This is data, read by the analysis through a handful of lookups. Adding a library means adding
//! a [`Family`] here and a fixture; no visitor changes.

pub use crate::ids::HandleKind;

/// What a value of a catalog type is to the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A pool, or a client that is a pool: cheap to clone, never a handle.
    Pool,
    /// A connection that is not itself checked out of a pool (or a trait over connections): it can
    /// begin transactions, but returning it is not a leak.
    Connection,
    /// A builder whose other methods return itself.
    Builder,
    /// A handle: a value that must go back to its pool, or be finished, inside the scope that got it.
    Handle(HandleKind),
}

/// A type a family exports.
#[derive(Debug)]
pub struct TypeEntry {
    pub name: &'static str,
    pub role: Role,
}

/// A method (or associated function) of catalog types that produces a catalog type.
#[derive(Debug)]
pub struct MethodEntry {
    /// Receiver type names, in the same family.
    pub on: &'static [&'static str],
    pub methods: &'static [&'static str],
    /// The type produced, in the same family.
    pub produces: &'static str,
}

/// One library (or a few crates that re-export the same types).
#[derive(Debug)]
pub struct Family {
    pub library: &'static str,
    /// Crate roots as written in paths (`sqlx`, `deadpool_postgres`).
    pub crates: &'static [&'static str],
    pub types: &'static [TypeEntry],
    pub methods: &'static [MethodEntry],
    /// The crate versions this entry was read against, in their sources (`sqlx 0.9.0`): the
    /// methods listed exist there and the handles they produce go back to a pool or roll back when
    /// dropped.
    pub checked: &'static str,
}

const fn ty(name: &'static str, role: Role) -> TypeEntry {
    TypeEntry { name, role }
}

const fn m(
    on: &'static [&'static str],
    methods: &'static [&'static str],
    produces: &'static str,
) -> MethodEntry {
    MethodEntry {
        on,
        methods,
        produces,
    }
}

use HandleKind::{Connection as Conn, Session, Transaction as Tx};
use Role::{Builder, Connection, Handle, Pool};

const SQLX_POOLS: &[&str] = &["Pool", "PgPool", "MySqlPool", "SqlitePool", "AnyPool"];
const SQLX_CONNS: &[&str] = &[
    "PgConnection",
    "MySqlConnection",
    "SqliteConnection",
    "AnyConnection",
    "PoolConnection",
    "Transaction",
    "Connection",
    "Acquire",
];
const SQLX_POOL_OPTIONS: &[&str] = &[
    "PoolOptions",
    "PgPoolOptions",
    "MySqlPoolOptions",
    "SqlitePoolOptions",
    "AnyPoolOptions",
];

/// Every library scoped-db knows.
pub static FAMILIES: &[Family] = &[
    Family {
        library: "sqlx",
        crates: &[
            "sqlx",
            "sqlx_core",
            "sqlx_postgres",
            "sqlx_mysql",
            "sqlx_sqlite",
        ],
        types: &[
            ty("Pool", Pool),
            ty("PgPool", Pool),
            ty("MySqlPool", Pool),
            ty("SqlitePool", Pool),
            ty("AnyPool", Pool),
            ty("PoolOptions", Builder),
            ty("PgPoolOptions", Builder),
            ty("MySqlPoolOptions", Builder),
            ty("SqlitePoolOptions", Builder),
            ty("AnyPoolOptions", Builder),
            ty("PgConnection", Connection),
            ty("MySqlConnection", Connection),
            ty("SqliteConnection", Connection),
            ty("AnyConnection", Connection),
            ty("Connection", Connection),
            ty("Acquire", Connection),
            ty("PoolConnection", Handle(Conn)),
            ty("Transaction", Handle(Tx)),
        ],
        methods: &[
            m(SQLX_POOLS, &["acquire", "try_acquire"], "PoolConnection"),
            m(
                SQLX_POOLS,
                &["begin", "try_begin", "begin_with", "try_begin_with"],
                "Transaction",
            ),
            m(&["Acquire"], &["acquire"], "PoolConnection"),
            m(SQLX_CONNS, &["begin", "begin_with"], "Transaction"),
            m(
                SQLX_POOL_OPTIONS,
                &[
                    "connect",
                    "connect_with",
                    "connect_lazy",
                    "connect_lazy_with",
                ],
                "Pool",
            ),
            m(
                SQLX_POOLS,
                &[
                    "connect",
                    "connect_with",
                    "connect_lazy",
                    "connect_lazy_with",
                ],
                "Pool",
            ),
        ],
        checked: "sqlx 0.9.0 (sqlx-core 0.9.0)",
    },
    Family {
        library: "deadpool-postgres",
        crates: &["deadpool_postgres"],
        types: &[
            ty("Pool", Pool),
            ty("Object", Handle(Conn)),
            ty("Client", Handle(Conn)),
            ty("Transaction", Handle(Tx)),
            ty("TransactionBuilder", Builder),
        ],
        methods: &[
            m(&["Pool"], &["get", "timeout_get"], "Client"),
            m(
                &["Client", "Object", "Transaction"],
                &["transaction"],
                "Transaction",
            ),
            m(
                &["Client", "Object"],
                &["build_transaction"],
                "TransactionBuilder",
            ),
            m(&["TransactionBuilder"], &["start"], "Transaction"),
        ],
        checked: "deadpool-postgres 0.14.2",
    },
    Family {
        library: "deadpool",
        crates: &[
            "deadpool",
            "deadpool_redis",
            "deadpool_lapin",
            "deadpool_tiberius",
        ],
        types: &[
            ty("Pool", Pool),
            ty("Object", Handle(Conn)),
            ty("Connection", Handle(Conn)),
        ],
        methods: &[m(&["Pool"], &["get", "timeout_get"], "Object")],
        checked: "deadpool 0.13.1, deadpool-tiberius 0.1.9",
    },
    // deadpool's sync wrappers: `interact(|conn| ..)` runs the closure on the pooled connection
    // and gives back what it returns (see `CONNECTION_RUNNERS`).
    Family {
        library: "deadpool-sqlite",
        crates: &["deadpool_sqlite"],
        types: &[
            ty("Pool", Pool),
            ty("Object", Handle(Conn)),
            ty("Connection", Handle(Conn)),
        ],
        methods: &[m(&["Pool"], &["get", "timeout_get"], "Object")],
        checked: "deadpool-sqlite 0.14.0 (deadpool 0.13.1, deadpool-sync 0.1)",
    },
    Family {
        library: "deadpool-diesel",
        crates: &["deadpool_diesel"],
        types: &[
            ty("Pool", Pool),
            ty("Object", Handle(Conn)),
            ty("Connection", Handle(Conn)),
        ],
        methods: &[m(&["Pool"], &["get", "timeout_get"], "Object")],
        checked: "deadpool-diesel 0.7.0 (deadpool 0.13.1, deadpool-sync 0.1)",
    },
    Family {
        library: "bb8",
        crates: &["bb8"],
        types: &[
            ty("Pool", Pool),
            ty("PooledConnection", Handle(Conn)),
            ty("Transaction", Handle(Tx)),
            ty("TransactionBuilder", Builder),
        ],
        methods: &[
            m(&["Pool"], &["get", "get_owned"], "PooledConnection"),
            m(&["PooledConnection"], &["transaction"], "Transaction"),
            // bb8-postgres: the pooled `tokio_postgres::Client`'s builder.
            m(
                &["PooledConnection"],
                &["build_transaction"],
                "TransactionBuilder",
            ),
            m(&["TransactionBuilder"], &["start"], "Transaction"),
        ],
        checked: "bb8 0.9.1 (bb8-tiberius 0.16.0 is its manager), bb8-postgres 0.9.0",
    },
    Family {
        library: "r2d2",
        crates: &["r2d2", "diesel"],
        types: &[
            ty("Pool", Pool),
            ty("PooledConnection", Handle(Conn)),
            ty("Transaction", Handle(Tx)),
        ],
        methods: &[
            m(
                &["Pool"],
                &["get", "get_timeout", "try_get"],
                "PooledConnection",
            ),
            m(&["PooledConnection"], &["transaction"], "Transaction"),
        ],
        checked: "r2d2 0.8.10, diesel 2.3.14 (`diesel::r2d2` re-exports r2d2)",
    },
    Family {
        library: "diesel-async",
        crates: &["diesel_async"],
        types: &[
            ty("Pool", Pool),
            ty("Object", Handle(Conn)),
            ty("PooledConnection", Handle(Conn)),
        ],
        methods: &[m(&["Pool"], &["get", "get_owned", "timeout_get"], "Object")],
        checked: "diesel-async 0.9.2",
    },
    Family {
        library: "mobc",
        crates: &["mobc"],
        types: &[ty("Pool", Pool), ty("Connection", Handle(Conn))],
        methods: &[m(&["Pool"], &["get", "get_timeout"], "Connection")],
        checked: "mobc 0.9.0",
    },
    Family {
        library: "sea-orm",
        crates: &["sea_orm"],
        types: &[
            ty("Database", Builder),
            ty("DatabaseConnection", Pool),
            ty("TransactionTrait", Connection),
            ty("DatabaseTransaction", Handle(Tx)),
        ],
        methods: &[
            m(&["Database"], &["connect"], "DatabaseConnection"),
            m(
                &[
                    "DatabaseConnection",
                    "DatabaseTransaction",
                    "TransactionTrait",
                ],
                &["begin", "begin_with_config", "begin_with_options"],
                "DatabaseTransaction",
            ),
        ],
        checked: "sea-orm 2.0.4",
    },
    Family {
        library: "tokio-postgres",
        crates: &["tokio_postgres", "postgres"],
        types: &[
            ty("Client", Connection),
            ty("Transaction", Handle(Tx)),
            ty("TransactionBuilder", Builder),
        ],
        methods: &[
            m(
                &["Client", "Transaction"],
                &["transaction", "savepoint"],
                "Transaction",
            ),
            m(&["Client"], &["build_transaction"], "TransactionBuilder"),
            m(&["TransactionBuilder"], &["start"], "Transaction"),
        ],
        checked: "tokio-postgres 0.7.18, postgres 0.19.14",
    },
    Family {
        library: "rusqlite",
        crates: &["rusqlite"],
        types: &[
            ty("Connection", Connection),
            ty("Transaction", Handle(Tx)),
            ty("Savepoint", Handle(Tx)),
        ],
        methods: &[
            m(&["Connection"], &["open", "open_in_memory"], "Connection"),
            m(
                &["Connection"],
                &[
                    "transaction",
                    "unchecked_transaction",
                    "transaction_with_behavior",
                ],
                "Transaction",
            ),
            m(
                &["Connection", "Transaction", "Savepoint"],
                &["savepoint", "savepoint_with_name"],
                "Savepoint",
            ),
        ],
        checked: "rusqlite 0.43.0",
    },
    Family {
        library: "mongodb",
        crates: &["mongodb"],
        types: &[
            ty("Client", Pool),
            ty("Database", Builder),
            ty("ClientSession", Handle(Session)),
        ],
        methods: &[
            m(&["Database"], &["client"], "Client"),
            m(&["Client"], &["start_session"], "ClientSession"),
        ],
        checked: "mongodb 3.9.1",
    },
    Family {
        library: "mysql_async",
        crates: &["mysql_async"],
        types: &[
            ty("Pool", Pool),
            ty("Conn", Handle(Conn)),
            ty("Transaction", Handle(Tx)),
        ],
        methods: &[
            m(&["Pool"], &["get_conn"], "Conn"),
            m(&["Pool", "Conn"], &["start_transaction"], "Transaction"),
        ],
        checked: "mysql_async 0.37.1",
    },
    Family {
        library: "mysql",
        crates: &["mysql"],
        types: &[
            ty("Pool", Pool),
            ty("PooledConn", Handle(Conn)),
            ty("Transaction", Handle(Tx)),
        ],
        methods: &[
            m(&["Pool"], &["get_conn", "try_get_conn"], "PooledConn"),
            m(
                &["Pool", "PooledConn"],
                &["start_transaction"],
                "Transaction",
            ),
        ],
        checked: "mysql 28.0.4",
    },
    Family {
        library: "libsql",
        crates: &["libsql"],
        types: &[
            ty("Database", Pool),
            ty("Connection", Connection),
            ty("Transaction", Handle(Tx)),
        ],
        methods: &[
            m(&["Database"], &["connect"], "Connection"),
            m(
                &["Connection"],
                &["transaction", "transaction_with_behavior"],
                "Transaction",
            ),
        ],
        checked: "libsql 0.10.0",
    },
    Family {
        library: "duckdb",
        crates: &["duckdb"],
        types: &[ty("Connection", Connection), ty("Transaction", Handle(Tx))],
        methods: &[
            m(
                &["Connection"],
                &[
                    "open",
                    "open_in_memory",
                    "open_with_flags",
                    "open_in_memory_with_flags",
                    "try_clone",
                ],
                "Connection",
            ),
            m(
                &["Connection"],
                &["transaction", "unchecked_transaction"],
                "Transaction",
            ),
        ],
        checked: "duckdb 1.20000.1",
    },
];

/// A type of the catalog, found by crate root and name.
#[derive(Clone, Copy, Debug)]
pub struct CatalogType {
    pub family: &'static Family,
    pub entry: &'static TypeEntry,
}

impl PartialEq for CatalogType {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.family, other.family) && std::ptr::eq(self.entry, other.entry)
    }
}

impl CatalogType {
    pub fn role(&self) -> Role {
        self.entry.role
    }

    /// The type the method `name` produces when called on this type, if the catalog lists it.
    pub fn method(&self, name: &str) -> Option<CatalogType> {
        let entry = self
            .family
            .methods
            .iter()
            .find(|m| m.on.contains(&self.entry.name) && m.methods.contains(&name))?;
        self.family.find(entry.produces)
    }

    /// A readable name: `sqlx::Transaction`.
    pub fn display(&self) -> String {
        format!("{}::{}", self.family.crates[0], self.entry.name)
    }
}

impl Family {
    fn find(&'static self, name: &str) -> Option<CatalogType> {
        let entry = self.types.iter().find(|t| t.name == name)?;
        Some(CatalogType {
            family: self,
            entry,
        })
    }
}

/// Looks up `krate::...::name`.
pub fn lookup(krate: &str, name: &str) -> Option<CatalogType> {
    FAMILIES
        .iter()
        .filter(|f| f.crates.contains(&krate))
        .find_map(|f| f.find(name))
}

/// The catalog type a path names: `krate::...::name`, or through a catalog crate that another
/// crate re-exports as a module (`bb8_postgres::bb8::Pool`, `diesel::r2d2::Pool`).
pub fn lookup_path(path: &[String]) -> Option<CatalogType> {
    let (first, last) = (path.first()?, path.last()?);
    lookup(first, last).or_else(|| match path {
        [_, module, _, ..] if is_catalog_crate(module) => lookup(module, last),
        _ => None,
    })
}

/// Whether some family has a handle type of this name (`Transaction`, `Conn`).
pub fn names_a_handle(name: &str) -> bool {
    FAMILIES.iter().any(|f| {
        f.types
            .iter()
            .any(|t| t.name == name && matches!(t.role, Role::Handle(_)))
    })
}

/// Whether `krate` is a crate root the catalog knows.
pub fn is_catalog_crate(krate: &str) -> bool {
    FAMILIES.iter().any(|f| f.crates.contains(&krate))
}

/// Names too common to take, alone, for a library's handle type (`Object`, `Client`): never matched
/// by name without a path into a catalog crate.
pub static AMBIGUOUS_NAMES: &[&str] = &["Object", "Client", "Connection", "Conn", "Database"];

/// The handle kind a type named `name` is in every family that has it, when the name alone says it
/// (the macro door, which sees no `use` items).
pub fn handle_kind_by_name(name: &str) -> Option<HandleKind> {
    if AMBIGUOUS_NAMES.contains(&name) {
        return None;
    }
    let mut kinds = FAMILIES
        .iter()
        .flat_map(|f| f.types.iter())
        .filter(|t| t.name == name)
        .map(|t| t.role);
    let first = kinds.next()?;
    match first {
        Role::Handle(kind) if kinds.all(|r| r == first) => Some(kind),
        _ => None,
    }
}

/// The catalog type named `name`, when exactly one library has a type of that name and the
/// name is not one shared by unrelated types.
pub fn unique_by_name(name: &str) -> Option<CatalogType> {
    if AMBIGUOUS_NAMES.contains(&name) {
        return None;
    }
    let mut found = FAMILIES.iter().filter_map(|f| f.find(name));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Whether some library acquires a handle of type `name` with a method called `method`:
/// `begin` makes a `Transaction`, `get` does not.
pub fn acquires_by_name(name: &str, method: &str) -> bool {
    FAMILIES.iter().any(|f| {
        f.methods
            .iter()
            .any(|m| m.produces == name && m.methods.contains(&method))
    })
}

/// Calls that move a value around rather than obtain one: never taken for an acquisition of a
/// project's own handle type (`self.conn.take()` hands out what `self` held).
pub static NOT_ACQUISITIONS: &[&str] = &[
    "take",
    "replace",
    "swap",
    "clone",
    "cloned",
    "copied",
    "get",
    "get_mut",
    "remove",
    "pop",
    "unwrap",
    "expect",
    "into",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "lock",
    "read",
    "write",
    "iter",
    "next",
    "first",
    "last",
    "to_owned",
    "default",
    "from",
];

/// A handle's methods that read or write through it and give back data (rows, a row, a count):
/// what they return holds nothing of the handle (tokio-postgres and postgres `query*`/`execute`,
/// sqlx's `Executor` `fetch*`/`execute`, rusqlite `query_row`/`execute`, mysql_async `query*`/
/// `exec*`). Used only where the catalog has no entry of its own for the method.
pub static READ_METHODS: &[&str] = &[
    "query",
    "query_one",
    "query_opt",
    "query_typed",
    "simple_query",
    "execute",
    "batch_execute",
    "fetch_one",
    "fetch_optional",
    "fetch_all",
    "query_row",
    "query_first",
    "query_drop",
    "exec",
    "exec_first",
    "exec_drop",
];

/// A pool that runs a statement itself, on a connection it takes for it: outside any transaction
/// the caller holds, and a second connection while the caller holds one (SDB006, SDB007).
#[derive(Debug)]
pub struct PoolStatements {
    pub library: &'static str,
    /// Methods called on the pool: `pool.execute(q)`, `db.query_all(stmt)`.
    pub on_pool: &'static [&'static str],
    /// Methods given the pool as their executor: `query.fetch_one(&pool)`, `Entity::find().all(&db)`.
    pub given_pool: &'static [&'static str],
}

const SQLX_EXECUTOR: &[&str] = &[
    "execute",
    "execute_many",
    "fetch",
    "fetch_all",
    "fetch_many",
    "fetch_one",
    "fetch_optional",
];

/// The pools that run statements, read at the versions their [`Family::checked`] names: sqlx's
/// `Executor for &Pool` and its query types' `execute`/`fetch*`; sea-orm's `ConnectionTrait` for
/// `DatabaseConnection` and the selects, inserts, updates, deletes and active models given one.
pub static POOL_STATEMENTS: &[PoolStatements] = &[
    PoolStatements {
        library: "sqlx",
        on_pool: SQLX_EXECUTOR,
        given_pool: SQLX_EXECUTOR,
    },
    PoolStatements {
        library: "sea-orm",
        on_pool: &[
            "execute",
            "execute_raw",
            "execute_unprepared",
            "query_one",
            "query_one_raw",
            "query_all",
            "query_all_raw",
        ],
        given_pool: &[
            "one",
            "all",
            "stream",
            "count",
            "exec",
            "exec_with_returning",
            "exec_with_returning_many",
            "exec_with_returning_keys",
            "exec_without_returning",
            "insert",
            "update",
            "save",
            "delete",
        ],
    },
];

/// Methods that run the closure they are given inside a transaction they begin and finish:
/// `(library, receiver types, methods)`. sea-orm's `TransactionTrait::transaction`, sqlx's
/// `Connection::transaction`, diesel's and diesel-async's `Connection::transaction` on a pooled
/// connection. While the closure runs, the transaction is open on the receiver's pool.
pub static CLOSURE_TRANSACTIONS: &[(&str, &[&str], &[&str])] = &[
    (
        "sea-orm",
        &[
            "DatabaseConnection",
            "DatabaseTransaction",
            "TransactionTrait",
        ],
        &["transaction", "transaction_with_config"],
    ),
    ("sqlx", SQLX_CONNS, &["transaction"]),
    ("r2d2", &["PooledConnection"], &["transaction"]),
    ("bb8", &["PooledConnection"], &["transaction"]),
    (
        "diesel-async",
        &["Object", "PooledConnection"],
        &["transaction"],
    ),
];

/// Whether `ty.method(|..| ..)` of `library` runs its closure in a transaction.
pub fn closure_transaction(library: &str, ty: &str, method: &str) -> bool {
    CLOSURE_TRANSACTIONS.iter().any(|(l, types, methods)| {
        *l == library && types.contains(&ty) && methods.contains(&method)
    })
}

/// Whether `method` called on (or given) a pool of `library` runs a statement on it.
pub fn pool_statement(library: &str, method: &str, given: bool) -> bool {
    POOL_STATEMENTS.iter().any(|p| {
        p.library == library
            && if given {
                p.given_pool.contains(&method)
            } else {
                p.on_pool.contains(&method)
            }
    })
}

/// What a call of the slow-call catalog (SDB009) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlowStep {
    /// Waits on the network, a timer or another process.
    Waits,
    /// Gives a value of this type (absolute path, `::`-joined) whose calls may wait: a client,
    /// a request builder.
    Makes(&'static str),
}

const TOKIO: &str = "tokio 1.54.1";
const STD: &str = "Rust 1.95";
const ASYNC_STD: &str = "async-std 1.13.2";
const REQWEST: &str = "reqwest 0.13.5";
const UREQ: &str = "ureq 3.5.2";
const HYPER_UTIL: &str = "hyper-util 0.1.20";

/// Free functions and associated functions of the slow-call catalog, by absolute path:
/// `(path, step, version read at)`.
pub static SLOW_FUNCTIONS: &[(&str, SlowStep, &str)] = &[
    ("tokio::time::sleep", SlowStep::Waits, TOKIO),
    ("tokio::time::sleep_until", SlowStep::Waits, TOKIO),
    ("std::thread::sleep", SlowStep::Waits, STD),
    ("async_std::task::sleep", SlowStep::Waits, ASYNC_STD),
    ("reqwest::get", SlowStep::Waits, REQWEST),
    ("reqwest::blocking::get", SlowStep::Waits, REQWEST),
    (
        "reqwest::Client::new",
        SlowStep::Makes("reqwest::Client"),
        REQWEST,
    ),
    (
        "reqwest::Client::builder",
        SlowStep::Makes("reqwest::ClientBuilder"),
        REQWEST,
    ),
    (
        "reqwest::blocking::Client::new",
        SlowStep::Makes("reqwest::blocking::Client"),
        REQWEST,
    ),
    ("ureq::get", SlowStep::Makes("ureq::RequestBuilder"), UREQ),
    ("ureq::post", SlowStep::Makes("ureq::RequestBuilder"), UREQ),
    ("ureq::put", SlowStep::Makes("ureq::RequestBuilder"), UREQ),
    ("ureq::patch", SlowStep::Makes("ureq::RequestBuilder"), UREQ),
    (
        "ureq::delete",
        SlowStep::Makes("ureq::RequestBuilder"),
        UREQ,
    ),
    ("ureq::head", SlowStep::Makes("ureq::RequestBuilder"), UREQ),
    ("ureq::agent", SlowStep::Makes("ureq::Agent"), UREQ),
];

const HTTP_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "request"];
const REQUEST_BUILDER: &[&str] = &[
    "header",
    "headers",
    "json",
    "form",
    "query",
    "body",
    "bearer_auth",
    "basic_auth",
    "timeout",
    "version",
    "multipart",
];

/// Methods of the slow-call catalog's types: `(receiver type, methods, step, version read at)`.
/// A method not listed does nothing slow (`client.clone()`).
pub static SLOW_METHODS: &[(&str, &[&str], SlowStep, &str)] = &[
    (
        "reqwest::Client",
        HTTP_VERBS,
        SlowStep::Makes("reqwest::RequestBuilder"),
        REQWEST,
    ),
    ("reqwest::Client", &["execute"], SlowStep::Waits, REQWEST),
    (
        "reqwest::RequestBuilder",
        REQUEST_BUILDER,
        SlowStep::Makes("reqwest::RequestBuilder"),
        REQWEST,
    ),
    (
        "reqwest::RequestBuilder",
        &["send"],
        SlowStep::Waits,
        REQWEST,
    ),
    (
        "reqwest::ClientBuilder",
        &["build"],
        SlowStep::Makes("reqwest::Client"),
        REQWEST,
    ),
    (
        "reqwest::blocking::Client",
        HTTP_VERBS,
        SlowStep::Makes("reqwest::blocking::RequestBuilder"),
        REQWEST,
    ),
    (
        "reqwest::blocking::RequestBuilder",
        REQUEST_BUILDER,
        SlowStep::Makes("reqwest::blocking::RequestBuilder"),
        REQWEST,
    ),
    (
        "reqwest::blocking::RequestBuilder",
        &["send"],
        SlowStep::Waits,
        REQWEST,
    ),
    (
        "ureq::Agent",
        HTTP_VERBS,
        SlowStep::Makes("ureq::RequestBuilder"),
        UREQ,
    ),
    (
        "ureq::RequestBuilder",
        &["header", "query", "config"],
        SlowStep::Makes("ureq::RequestBuilder"),
        UREQ,
    ),
    (
        "ureq::RequestBuilder",
        &["call", "send", "send_json", "send_form", "send_empty"],
        SlowStep::Waits,
        UREQ,
    ),
    (
        "hyper_util::client::legacy::Client",
        &["request", "get"],
        SlowStep::Waits,
        HYPER_UTIL,
    ),
];

/// What a call of the function at this absolute path does in the slow-call catalog.
pub fn slow_function(path: &[String]) -> Option<SlowStep> {
    let joined = path.join("::");
    SLOW_FUNCTIONS
        .iter()
        .find(|(p, _, _)| *p == joined)
        .map(|(_, step, _)| *step)
}

/// What a call of `method` on a value of the type at this absolute path does in the slow-call
/// catalog.
pub fn slow_method(ty: &[String], method: &str) -> Option<SlowStep> {
    let joined = ty.join("::");
    SLOW_METHODS
        .iter()
        .find(|(t, methods, _, _)| *t == joined && methods.contains(&method))
        .map(|(_, _, step, _)| *step)
}

/// The crates of the slow-call catalog, and `sleep`, for the prefilter.
pub fn slow_words() -> impl Iterator<Item = &'static str> {
    ["reqwest", "ureq", "hyper_util", "sleep"].into_iter()
}

/// Functions that run the future they are given as a task of its own, later (`tokio::spawn`,
/// `tokio::task::spawn_local`, `actix_rt::spawn`, `async_std::task::spawn`): by the last segment of
/// their path. Only ever used to leave what the task does out of what the caller holds.
pub static SPAWNS: &[&str] = &["spawn", "spawn_local"];

/// Methods that finish a transaction: commit or roll it back.
pub static FINISH_METHODS: &[&str] = &[
    "commit",
    "rollback",
    "commit_transaction",
    "abort_transaction",
    "finish",
];

/// Methods that begin a transaction on their receiver rather than return one:
/// `(family library, receiver type, method)`.
pub static BEGINS_ON_RECEIVER: &[(&str, &str, &str)] =
    &[("mongodb", "ClientSession", "start_transaction")];

/// Libraries whose transactions can be finished through a `&mut` borrow of what holds them
/// (`session.commit_transaction()` takes `&mut self`), so lending it hands the duty on.
pub static FINISHES_THROUGH_BORROW: &[&str] = &["mongodb"];

/// Functions that make a value never be dropped, by the last two segments of their path.
pub static LEAK_FUNCTIONS: &[(&str, &str)] =
    &[("mem", "forget"), ("Box", "leak"), ("ManuallyDrop", "new")];

/// A pool's own escape hatches, which take a handle out of the pool for good:
/// `(family library, type, method or associated function)`.
pub static LEAK_METHODS: &[(&str, &str, &str)] = &[
    ("sqlx", "PoolConnection", "leak"),
    ("sqlx", "PoolConnection", "detach"),
    ("deadpool", "Object", "take"),
    ("deadpool-sqlite", "Object", "take"),
    ("deadpool-diesel", "Object", "take"),
    ("deadpool-postgres", "Object", "take"),
    ("deadpool-postgres", "Client", "take"),
];

/// Collection and cell methods that keep their argument: storing a handle through them.
pub static STORE_METHODS: &[&str] = &[
    "push",
    "push_back",
    "push_front",
    "insert",
    "extend",
    "append",
    "set",
    "replace",
    "get_or_init",
    "get_or_insert",
    "get_or_insert_with",
];

/// Receivers that are request-scoped by design: moving a handle into them is not a store that
/// outlives the request.
pub static REQUEST_SCOPED: &[&str] = &["extensions_mut", "extensions", "local_cache"];

/// A method that runs the closure it is given on the connection its receiver holds and gives back
/// what the closure returns.
#[derive(Debug)]
pub struct ConnectionRunner {
    /// The family, receiver type and method: `deadpool-sqlite`, `Object`, `interact`.
    pub library: &'static str,
    pub on: &'static str,
    pub method: &'static str,
    /// The closure parameter's catalog type, as crate and name, when the catalog has it.
    pub param: Option<(&'static str, &'static str)>,
}

const fn runs_on(
    library: &'static str,
    on: &'static str,
    param: Option<(&'static str, &'static str)>,
) -> ConnectionRunner {
    ConnectionRunner {
        library,
        on,
        method: "interact",
        param,
    }
}

/// deadpool's sync wrappers (`SyncWrapper::interact`) take a `'static` closure, so nothing of the
/// pooled object comes out; a transaction begun inside is the closure's to finish.
pub static CONNECTION_RUNNERS: &[ConnectionRunner] = &[
    runs_on(
        "deadpool-sqlite",
        "Object",
        Some(("rusqlite", "Connection")),
    ),
    runs_on(
        "deadpool-sqlite",
        "Connection",
        Some(("rusqlite", "Connection")),
    ),
    runs_on("deadpool-diesel", "Object", None),
    runs_on("deadpool-diesel", "Connection", None),
];

/// Trait impls whose job is to hand a handle out: a pool's connection manager, a web framework's
/// request extractor. Their methods are providers by definition.
pub static PROVIDER_TRAITS: &[&str] = &[
    "ManageConnection",
    "FromRequestParts",
    "FromRequest",
    "OptionalFromRequestParts",
    "FromRequestAsync",
    "Acquire",
];

/// Provider traits whose name is too common to trust without a path into a catalog crate
/// (`deadpool::managed::Manager`).
pub static PROVIDER_TRAITS_QUALIFIED: &[&str] = &["Manager"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_produced_type_is_declared_in_its_family() {
        for family in FAMILIES {
            for method in family.methods {
                assert!(
                    family.types.iter().any(|t| t.name == method.produces),
                    "{}: {} is produced but not declared",
                    family.library,
                    method.produces
                );
                for on in method.on {
                    assert!(
                        family.types.iter().any(|t| t.name == *on),
                        "{}: {} has methods but is not declared",
                        family.library,
                        on
                    );
                }
            }
        }
    }

    #[test]
    fn every_family_names_the_versions_it_was_checked_against() {
        for family in FAMILIES {
            let first = family.checked.split_whitespace().next().unwrap_or("");
            assert_eq!(
                first, family.library,
                "{}: `checked` starts with another crate",
                family.library
            );
            assert!(
                family
                    .checked
                    .split_whitespace()
                    .nth(1)
                    .is_some_and(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit())),
                "{}: `checked` has no version",
                family.library
            );
        }
    }

    #[test]
    fn connection_runners_name_types_of_the_catalog() {
        for runner in CONNECTION_RUNNERS {
            let (library, on) = (runner.library, runner.on);
            let family = FAMILIES.iter().find(|f| f.library == library).unwrap();
            assert!(family.find(on).is_some(), "{library}: {on} is not declared");
            if let Some((krate, name)) = runner.param {
                assert!(
                    lookup(krate, name).is_some(),
                    "{krate}::{name} is not in the catalog"
                );
            }
        }
    }

    #[test]
    fn pools_begin_transactions_and_domain_names_do_not() {
        let pool = lookup("sqlx", "PgPool").unwrap();
        assert_eq!(pool.role(), Role::Pool);
        let tx = pool.method("begin").unwrap();
        assert_eq!(tx.role(), Role::Handle(HandleKind::Transaction));
        assert!(pool.method("get").is_none());
        assert!(lookup("my_app", "Transaction").is_none());
        let client = lookup("mongodb", "Client").unwrap();
        assert_eq!(client.role(), Role::Pool);
    }
}
