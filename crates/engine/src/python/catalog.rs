//! The Python handle catalog, as data: which calls make engines and pools, and which context
//! managers hand a handle to their `with` block and close or release it on exit.
//!
//! Names are matched by their package root and final name (`sqlalchemy` ... `create_engine`), after
//! imports are resolved, the way the Rust catalog matches crate and type.

use crate::ids::HandleKind;

/// A library type scoped-db tracks in Python, by a stable name.
pub type LibType = &'static str;

/// Calls (functions or classes) that make a tracked type without being a context manager
/// themselves: `create_async_engine(..)` makes an `AsyncEngine`. `(package root, final name, type
/// made)`. A manager's call makes what it binds ([`Manager::binds`]).
pub static FACTORIES: &[(&str, &str, LibType)] = &[
    ("sqlalchemy", "create_engine", "sqlalchemy.Engine"),
    // SQLModel (the ORM FastAPI's documentation teaches) re-exports SQLAlchemy's engine.
    ("sqlmodel", "create_engine", "sqlalchemy.Engine"),
    ("sqlalchemy", "engine_from_config", "sqlalchemy.Engine"),
    (
        "sqlalchemy",
        "create_async_engine",
        "sqlalchemy.AsyncEngine",
    ),
    (
        "sqlalchemy",
        "async_engine_from_config",
        "sqlalchemy.AsyncEngine",
    ),
    ("sqlalchemy", "sessionmaker", "sqlalchemy.sessionmaker"),
    (
        "sqlalchemy",
        "async_sessionmaker",
        "sqlalchemy.async_sessionmaker",
    ),
    // A registry of one session per thread (or scope): the same session each call, so never a
    // second checkout (SDB007); otherwise a session factory like any other.
    ("sqlalchemy", "scoped_session", "sqlalchemy.scoped_session"),
    // `asyncpg.connect` is a coroutine, not a manager: the caller closes what it gives.
    ("asyncpg", "connect", "asyncpg.Connection"),
    ("aiomysql", "create_pool", "aiomysql.Pool"),
    ("asyncmy", "create_pool", "asyncmy.Pool"),
    ("mysql", "MySQLConnectionPool", "mysql.Pool"),
    ("oracledb", "create_pool", "oracledb.Pool"),
    ("oracledb", "create_pool_async", "oracledb.Pool"),
    ("motor", "AsyncIOMotorClient", "motor.Client"),
];

/// Annotations that name a tracked type: `engine: AsyncEngine`.
pub static ANNOTATIONS: &[(&str, &str, LibType)] = &[
    ("sqlalchemy", "Engine", "sqlalchemy.Engine"),
    ("sqlmodel", "Engine", "sqlalchemy.Engine"),
    ("sqlalchemy", "AsyncEngine", "sqlalchemy.AsyncEngine"),
    ("sqlalchemy", "sessionmaker", "sqlalchemy.sessionmaker"),
    (
        "sqlalchemy",
        "async_sessionmaker",
        "sqlalchemy.async_sessionmaker",
    ),
    ("sqlalchemy", "Session", "sqlalchemy.Session"),
    ("sqlalchemy", "AsyncSession", "sqlalchemy.Session"),
    ("sqlmodel", "Session", "sqlalchemy.Session"),
    ("asyncpg", "Pool", "asyncpg.Pool"),
    ("asyncpg", "Connection", "asyncpg.Connection"),
    (
        "psycopg_pool",
        "ConnectionPool",
        "psycopg_pool.ConnectionPool",
    ),
    (
        "psycopg_pool",
        "AsyncConnectionPool",
        "psycopg_pool.ConnectionPool",
    ),
    ("psycopg", "Connection", "psycopg.Connection"),
    ("psycopg", "AsyncConnection", "psycopg.Connection"),
    ("aiomysql", "Pool", "aiomysql.Pool"),
    ("aiomysql", "Connection", "aiomysql.Connection"),
    ("asyncmy", "Pool", "asyncmy.Pool"),
    ("pymysql", "Connection", "pymysql.Connection"),
    ("aiopg", "Pool", "aiopg.Pool"),
    ("aiopg", "Connection", "aiopg.Connection"),
    // `aiopg.sa.Engine`, `aiopg.sa.SAConnection`.
    ("aiopg", "Engine", "aiopg.sa.Engine"),
    ("aiopg", "SAConnection", "aiopg.sa.Connection"),
    ("oracledb", "Connection", "oracledb.Connection"),
    ("oracledb", "AsyncConnection", "oracledb.Connection"),
    ("oracledb", "ConnectionPool", "oracledb.Pool"),
    ("oracledb", "AsyncConnectionPool", "oracledb.Pool"),
    ("databases", "Database", "databases.Database"),
    ("pymongo", "MongoClient", "pymongo.Client"),
    ("pymongo", "AsyncMongoClient", "pymongo.Client"),
    ("aiosqlite", "Connection", "aiosqlite.Connection"),
    ("duckdb", "DuckDBPyConnection", "duckdb.Connection"),
];

/// Handle types that a `with` closes or releases on exit whatever made them: a function declared
/// to return one (`def get_session() -> Session`) that returns a `with` target returns a dead
/// handle, even when the manager itself is out of sight. `(package root, name, kind)`.
pub static BOUND_HANDLES: &[(&str, &str, HandleKind)] = &[
    ("sqlalchemy", "Session", HandleKind::Session),
    ("sqlalchemy", "AsyncSession", HandleKind::Session),
    ("sqlmodel", "Session", HandleKind::Session),
    ("sqlalchemy", "Connection", HandleKind::Connection),
    ("sqlalchemy", "AsyncConnection", HandleKind::Connection),
    ("asyncpg", "Connection", HandleKind::Connection),
];

/// The packages the catalog models, by root: a module that names none of them (in an import or a
/// qualified name) gets none of their calls or types by itself.
pub fn package_roots() -> impl Iterator<Item = &'static str> {
    FACTORIES
        .iter()
        .map(|(r, _, _)| *r)
        .chain(ANNOTATIONS.iter().map(|(r, _, _)| *r))
        .chain(SCOPE_FUNCTIONS.iter().map(|(r, _, _)| *r))
        .chain(BOUND_HANDLES.iter().map(|(r, _, _)| *r))
}

/// What a context manager does with the handle it binds when its block exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnExit {
    /// Closes it or gives it back to the pool: returning it hands out a dead handle.
    Closes(HandleKind),
    /// Only commits or rolls back (`sqlite3`, `psycopg2` connections used as `with conn:`), or
    /// binds nothing that closes (asyncpg's `transaction()` binds `None`): returning the target
    /// is not this bug.
    KeepsOpen,
}

/// A context manager of a library: what its exit does, the tracked type of what it binds (so
/// `with pymysql.connect() as conn: with conn.cursor() as cur` resolves the cursor), and the
/// library version its source was read at (`docs/LIBRARIES.md` names file and line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Manager {
    pub on_exit: OnExit,
    pub binds: Option<LibType>,
    pub checked: &'static str,
}

const fn closes(kind: HandleKind, binds: Option<LibType>, checked: &'static str) -> Manager {
    Manager {
        on_exit: OnExit::Closes(kind),
        binds,
        checked,
    }
}

const fn keeps_open(binds: Option<LibType>, checked: &'static str) -> Manager {
    Manager {
        on_exit: OnExit::KeepsOpen,
        binds,
        checked,
    }
}

use HandleKind::{Connection as Conn, Cursor, Pool, Session, Transaction as Tx};

const SQLALCHEMY: &str = "SQLAlchemy 2.1.9";
const ASYNCPG: &str = "asyncpg 0.32.0";
const PSYCOPG: &str = "psycopg 3.3.9";
const PSYCOPG_POOL: &str = "psycopg-pool 3.3.3";
const PSYCOPG2: &str = "psycopg2 2.9.13";
const PYMYSQL: &str = "PyMySQL 1.2.4";
const AIOMYSQL: &str = "aiomysql 0.3.2";
const MYSQL_CONNECTOR: &str = "mysql-connector-python 26.10.0";
const AIOPG: &str = "aiopg 1.4.0";
const ORACLEDB: &str = "oracledb 26.1.0";
const TORTOISE: &str = "tortoise-orm 1.1.9";
const DATABASES: &str = "databases 0.9.0";
const PYMONGO: &str = "pymongo 4.20.1";
const MOTOR: &str = "motor 3.7.1";
const REDIS: &str = "redis 8.1.0";
const DUCKDB: &str = "duckdb 2.0.1";
const AIOSQLITE: &str = "aiosqlite 0.22.1";
const SQLITE3: &str = "sqlite3 (CPython)";
const PYODBC: &str = "pyodbc 5.5.0";
const SNOWFLAKE: &str = "snowflake-connector-python 5.2.0";
const CLICKHOUSE_CONNECT: &str = "clickhouse-connect 1.12.0";
const CLICKHOUSE_DRIVER: &str = "clickhouse-driver 0.2.11";
const VERTICA: &str = "vertica-python 1.4.0";
/// Entries from before the libraries were read at a version (asyncmy, SQLModel).
const UNVERSIONED: &str = "not rechecked";
const REQUESTS: &str = "requests 2.34.2";
const HTTPX: &str = "httpx 0.29.0";
const AIOHTTP: &str = "aiohttp 3.14.5";
const URLLIB3: &str = "urllib3 2.8.0";
const OPENAI: &str = "openai 3.63.0";
const ANTHROPIC: &str = "anthropic 2.17.0";
const CPYTHON: &str = "CPython 3.14";
const STRIPE: &str = "stripe 16.1.0";
const MCP: &str = "mcp 2.3.0";

/// Methods of tracked types whose result, used in `with`, binds a handle:
/// `(receiver type, method, manager)`.
pub static SCOPE_METHODS: &[(LibType, &str, Manager)] = &[
    (
        "sqlalchemy.Engine",
        "connect",
        closes(Conn, Some("sqlalchemy.Connection"), SQLALCHEMY),
    ),
    (
        "sqlalchemy.Engine",
        "begin",
        closes(Conn, Some("sqlalchemy.Connection"), SQLALCHEMY),
    ),
    (
        "sqlalchemy.AsyncEngine",
        "connect",
        closes(Conn, Some("sqlalchemy.Connection"), SQLALCHEMY),
    ),
    (
        "sqlalchemy.AsyncEngine",
        "begin",
        closes(Conn, Some("sqlalchemy.Connection"), SQLALCHEMY),
    ),
    // A connection's or a session's own `begin()` only commits or rolls back.
    (
        "sqlalchemy.Connection",
        "begin",
        keeps_open(None, SQLALCHEMY),
    ),
    ("sqlalchemy.Session", "begin", keeps_open(None, SQLALCHEMY)),
    (
        "sqlalchemy.sessionmaker",
        "begin",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
    (
        "sqlalchemy.async_sessionmaker",
        "begin",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
    (
        "sqlalchemy.scoped_session",
        "begin",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
    (
        "asyncpg.Pool",
        "acquire",
        closes(Conn, Some("asyncpg.Connection"), ASYNCPG),
    ),
    // `async with conn.transaction() as tx` binds `None`.
    (
        "asyncpg.Connection",
        "transaction",
        keeps_open(None, ASYNCPG),
    ),
    (
        "psycopg_pool.ConnectionPool",
        "connection",
        closes(Conn, Some("psycopg.Connection"), PSYCOPG_POOL),
    ),
    (
        "psycopg.Connection",
        "cursor",
        closes(Cursor, None, PSYCOPG),
    ),
    (
        "psycopg.Connection",
        "transaction",
        keeps_open(None, PSYCOPG),
    ),
    (
        "psycopg2.Connection",
        "cursor",
        closes(Cursor, None, PSYCOPG2),
    ),
    ("asyncmy.Pool", "acquire", closes(Conn, None, UNVERSIONED)),
    // `_PoolAcquireContextManager`: releases to the pool.
    (
        "aiomysql.Pool",
        "acquire",
        closes(Conn, Some("aiomysql.Connection"), AIOMYSQL),
    ),
    // `Connection.cursor` gives `_ContextManager`, whose `__aexit__` awaits `cursor.close()`
    // (`aiomysql/utils.py` 77-79).
    (
        "aiomysql.Connection",
        "cursor",
        closes(Cursor, None, AIOMYSQL),
    ),
    (
        "pymysql.Connection",
        "cursor",
        closes(Cursor, None, PYMYSQL),
    ),
    (
        "mysql.Connection",
        "cursor",
        closes(Cursor, None, MYSQL_CONNECTOR),
    ),
    (
        "mysql.Pool",
        "get_connection",
        closes(Conn, Some("mysql.Connection"), MYSQL_CONNECTOR),
    ),
    (
        "aiopg.Pool",
        "acquire",
        closes(Conn, Some("aiopg.Connection"), AIOPG),
    ),
    ("aiopg.Pool", "cursor", closes(Cursor, None, AIOPG)),
    ("aiopg.Connection", "cursor", closes(Cursor, None, AIOPG)),
    (
        "aiopg.sa.Engine",
        "acquire",
        closes(Conn, Some("aiopg.sa.Connection"), AIOPG),
    ),
    ("aiopg.sa.Connection", "begin", keeps_open(None, AIOPG)),
    (
        "oracledb.Pool",
        "acquire",
        closes(Conn, Some("oracledb.Connection"), ORACLEDB),
    ),
    (
        "oracledb.Connection",
        "cursor",
        closes(Cursor, None, ORACLEDB),
    ),
    (
        "databases.Database",
        "connection",
        closes(Conn, None, DATABASES),
    ),
    // The transaction is finished on exit; returning it is useless, not a leaked connection.
    (
        "databases.Database",
        "transaction",
        keeps_open(None, DATABASES),
    ),
    (
        "pymongo.Client",
        "start_session",
        closes(Session, Some("pymongo.Session"), PYMONGO),
    ),
    (
        "pymongo.Session",
        "start_transaction",
        keeps_open(None, PYMONGO),
    ),
    // `with s.bind():` ends the session on exit by default.
    ("pymongo.Session", "bind", closes(Session, None, PYMONGO)),
    // `async with await client.start_session()`: pymongo's session underneath.
    (
        "motor.Client",
        "start_session",
        closes(Session, Some("motor.Session"), MOTOR),
    ),
    (
        "motor.Session",
        "start_transaction",
        keeps_open(None, MOTOR),
    ),
    // A pipeline is reset on exit (queued commands dropped), not closed: it can be used again.
    ("redis.Redis", "pipeline", keeps_open(None, REDIS)),
    // A pub/sub or monitor connection is released on exit.
    ("redis.Redis", "pubsub", closes(Conn, None, REDIS)),
    ("redis.Redis", "monitor", closes(Conn, None, REDIS)),
    ("duckdb.Connection", "cursor", closes(Cursor, None, DUCKDB)),
    (
        "aiosqlite.Connection",
        "cursor",
        closes(Cursor, None, AIOSQLITE),
    ),
    (
        "aiosqlite.Connection",
        "execute",
        closes(Cursor, None, AIOSQLITE),
    ),
    (
        "snowflake.Connection",
        "cursor",
        closes(Cursor, None, SNOWFLAKE),
    ),
    (
        "clickhouse.Connection",
        "cursor",
        closes(Cursor, None, CLICKHOUSE_CONNECT),
    ),
    (
        "vertica.Connection",
        "cursor",
        closes(Cursor, None, VERTICA),
    ),
    // pyodbc's cursor manager commits and leaves the cursor open.
    ("pyodbc.Connection", "cursor", keeps_open(None, PYODBC)),
];

/// Tracked types whose instances, called, make a session that closes on exit:
/// `SessionLocal()` for `SessionLocal = sessionmaker(..)`.
pub static CALLABLE_SCOPES: &[(LibType, Manager)] = &[
    (
        "sqlalchemy.sessionmaker",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
    (
        "sqlalchemy.async_sessionmaker",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
    (
        "sqlalchemy.scoped_session",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
];

/// Tracked types that are pools: each connection, session or transaction taken from one is a
/// checkout of a bounded pool (SDB006, SDB007). A `scoped_session` gives the same session again,
/// `databases.Database` one connection per task, and pymongo/motor clients sessions that are not
/// checkouts: none of them is here. Read at the versions of their managers above.
pub static POOLS: &[LibType] = &[
    "sqlalchemy.Engine",
    "sqlalchemy.AsyncEngine",
    "sqlalchemy.sessionmaker",
    "sqlalchemy.async_sessionmaker",
    "asyncpg.Pool",
    "psycopg_pool.ConnectionPool",
    "aiomysql.Pool",
    "asyncmy.Pool",
    "aiopg.Pool",
    "aiopg.sa.Engine",
    "oracledb.Pool",
    "mysql.Pool",
];

/// Whether a tracked type is a pool ([`POOLS`]).
pub fn is_pool(t: LibType) -> bool {
    POOLS.contains(&t)
}

/// Methods that take a handle from a pool with its transaction begun (`engine.begin()`,
/// `Session.begin()` on a sessionmaker), or begin one on a handle (`conn.transaction()`,
/// `session.begin()`): `(type, method)`. SQLAlchemy's autobegin is not an explicit begin.
pub static BEGINS: &[(LibType, &str)] = &[
    ("sqlalchemy.Engine", "begin"),
    ("sqlalchemy.AsyncEngine", "begin"),
    ("sqlalchemy.sessionmaker", "begin"),
    ("sqlalchemy.async_sessionmaker", "begin"),
    ("sqlalchemy.Connection", "begin"),
    ("sqlalchemy.Session", "begin"),
    ("asyncpg.Connection", "transaction"),
    ("psycopg.Connection", "transaction"),
    ("aiopg.sa.Connection", "begin"),
];

/// Whether `t.method()` begins a transaction ([`BEGINS`]).
pub fn begins(t: LibType, method: &str) -> bool {
    BEGINS.iter().any(|(lib, m)| *lib == t && *m == method)
}

/// Pools that run a statement themselves, on a connection they take for it: asyncpg's
/// `Pool.execute`/`fetch*`/`copy_*` (`asyncpg/pool.py`, 0.32.0). `(type, method)`.
pub static POOL_STATEMENTS: &[(LibType, &str)] = &[
    ("asyncpg.Pool", "execute"),
    ("asyncpg.Pool", "executemany"),
    ("asyncpg.Pool", "fetch"),
    ("asyncpg.Pool", "fetchrow"),
    ("asyncpg.Pool", "fetchval"),
    ("asyncpg.Pool", "fetchmany"),
    ("asyncpg.Pool", "copy_from_table"),
    ("asyncpg.Pool", "copy_from_query"),
    ("asyncpg.Pool", "copy_to_table"),
    ("asyncpg.Pool", "copy_records_to_table"),
];

/// Methods that run a statement on the handle they are called on: PEP 249's, asyncpg's and
/// SQLAlchemy's `Connection`/`Session` ones.
pub static STATEMENT_METHODS: &[&str] = &[
    "execute",
    "executemany",
    "executescript",
    "fetch",
    "fetchrow",
    "fetchval",
    "fetchmany",
    "scalar",
    "scalars",
    "exec",
    "get",
    "stream",
    "stream_scalars",
    "copy_from_table",
    "copy_from_query",
    "copy_to_table",
    "copy_records_to_table",
];

/// Methods of a SQLAlchemy `Session` (or a connection) that check out its connection, besides the
/// statements ([`STATEMENT_METHODS`]): a session holds none until one of these runs.
pub static CHECKOUT_METHODS: &[&str] = &[
    "flush",
    "commit",
    "refresh",
    "query",
    "merge",
    "delete",
    "connection",
    "get_one",
    "scalar_one",
];

/// Functions that run the coroutine (or callable) they are given as a task of its own, later:
/// `asyncio.create_task`, `TaskGroup.create_task`, `asyncio.ensure_future`, anyio's
/// `start_soon`, `loop.run_in_executor`. By their last name; used only to leave what the task
/// does out of what the caller holds.
pub static SPAWNS: &[&str] = &[
    "create_task",
    "ensure_future",
    "start_soon",
    "run_in_executor",
    "run_coroutine_threadsafe",
    "add_task",
];

/// Tracked types whose own `with` does not close them, and the handle each is: made bare
/// (`conn = sqlite3.connect(p)`), they are open until someone closes them, so a project scope
/// that yields one is a scope only where the project releases it.
pub static OPENED: &[(LibType, HandleKind)] = &[
    ("sqlite3.Connection", Conn),
    ("psycopg2.Connection", Conn),
    ("pyodbc.Connection", Conn),
    ("asyncpg.Connection", Conn),
];

/// The handle a tracked type whose own `with` does not close it is.
pub fn opened_kind(t: LibType) -> Option<HandleKind> {
    OPENED.iter().find(|(lib, _)| *lib == t).map(|(_, k)| *k)
}

/// The handle a tracked type is, whatever closes it: one of [`OPENED`], or what a closing
/// manager binds (`sqlalchemy.Session`, `psycopg.Connection`).
pub fn handle_kind(t: LibType) -> Option<HandleKind> {
    let managers = SCOPE_FUNCTIONS
        .iter()
        .map(|(_, _, m)| m)
        .chain(SCOPE_METHODS.iter().map(|(_, _, m)| m))
        .chain(CALLABLE_SCOPES.iter().map(|(_, m)| m));
    opened_kind(t).or_else(|| {
        managers
            .filter(|m| m.binds == Some(t))
            .find_map(|m| match m.on_exit {
                OnExit::Closes(kind) if kind != Pool => Some(kind),
                _ => None,
            })
    })
}

/// Wrappers whose `with` binds their first argument and closes it on exit:
/// `contextlib.closing(conn)`.
pub static CLOSING_WRAPPERS: &[(&str, &str)] =
    &[("contextlib", "closing"), ("contextlib", "aclosing")];

/// Methods that release the handle they are called on (`conn.close()`), or, given arguments, the
/// handles given (`pool.release(conn)`, psycopg2's `pool.putconn(conn)`).
pub static RELEASE_METHODS: &[&str] = &["close", "aclose", "release", "terminate", "putconn"];

/// What calling a tracked type's instance makes, if it makes a tracked type (`SessionLocal()`).
pub fn called(t: LibType) -> Option<LibType> {
    CALLABLE_SCOPES
        .iter()
        .find(|(lib, _)| *lib == t)
        .and_then(|(_, manager)| manager.binds)
}

/// Functions and classes whose result, used in `with`, binds a handle:
/// `(package root, final name, manager)`.
pub static SCOPE_FUNCTIONS: &[(&str, &str, Manager)] = &[
    (
        "sqlalchemy",
        "Session",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
    (
        "sqlmodel",
        "Session",
        closes(Session, Some("sqlalchemy.Session"), UNVERSIONED),
    ),
    (
        "sqlalchemy",
        "AsyncSession",
        closes(Session, Some("sqlalchemy.Session"), SQLALCHEMY),
    ),
    // Also `AsyncConnection.connect` (`async with await ..`): closed unless a pool owns it.
    (
        "psycopg",
        "connect",
        closes(Conn, Some("psycopg.Connection"), PSYCOPG),
    ),
    (
        "aiosqlite",
        "connect",
        closes(Conn, Some("aiosqlite.Connection"), AIOSQLITE),
    ),
    (
        "duckdb",
        "connect",
        closes(Conn, Some("duckdb.Connection"), DUCKDB),
    ),
    (
        "pymysql",
        "connect",
        closes(Conn, Some("pymysql.Connection"), PYMYSQL),
    ),
    (
        "pymysql",
        "Connect",
        closes(Conn, Some("pymysql.Connection"), PYMYSQL),
    ),
    // `mysql.connector.connect` and `mysql.connector.aio.connect` (a pooled one with `pool_name`).
    (
        "mysql",
        "connect",
        closes(Conn, Some("mysql.Connection"), MYSQL_CONNECTOR),
    ),
    // `_ConnectionContextManager.__aexit__` closes the connection (`aiomysql/utils.py` 82-87).
    (
        "aiomysql",
        "connect",
        closes(Conn, Some("aiomysql.Connection"), AIOMYSQL),
    ),
    (
        "aiopg",
        "connect",
        closes(Conn, Some("aiopg.Connection"), AIOPG),
    ),
    (
        "oracledb",
        "connect",
        closes(Conn, Some("oracledb.Connection"), ORACLEDB),
    ),
    (
        "oracledb",
        "connect_async",
        closes(Conn, Some("oracledb.Connection"), ORACLEDB),
    ),
    // Pooled backends release the connection the wrapper still points at.
    ("tortoise", "in_transaction", closes(Tx, None, TORTOISE)),
    (
        "snowflake",
        "connect",
        closes(Conn, Some("snowflake.Connection"), SNOWFLAKE),
    ),
    // The DB-API modules: `clickhouse_connect.dbapi.connect`, `clickhouse_driver.dbapi.connect`.
    (
        "clickhouse_connect",
        "connect",
        closes(Conn, Some("clickhouse.Connection"), CLICKHOUSE_CONNECT),
    ),
    (
        "clickhouse_driver",
        "connect",
        closes(Conn, Some("clickhouse.Connection"), CLICKHOUSE_DRIVER),
    ),
    (
        "clickhouse_connect",
        "get_async_client",
        closes(Conn, None, CLICKHOUSE_CONNECT),
    ),
    // The sync HTTP client closes only a pool it owns, and the native client reconnects on its
    // next query: both stay usable after the block.
    (
        "clickhouse_connect",
        "get_client",
        keeps_open(None, CLICKHOUSE_CONNECT),
    ),
    (
        "clickhouse_driver",
        "Client",
        keeps_open(None, CLICKHOUSE_DRIVER),
    ),
    (
        "vertica_python",
        "connect",
        closes(Conn, Some("vertica.Connection"), VERTICA),
    ),
    // Commit or roll back only: the connection stays open.
    (
        "sqlite3",
        "connect",
        keeps_open(Some("sqlite3.Connection"), SQLITE3),
    ),
    (
        "psycopg2",
        "connect",
        keeps_open(Some("psycopg2.Connection"), PSYCOPG2),
    ),
    (
        "pyodbc",
        "connect",
        keeps_open(Some("pyodbc.Connection"), PYODBC),
    ),
    // The client releases its connections on exit and reconnects on the next command.
    ("redis", "Redis", keeps_open(Some("redis.Redis"), REDIS)),
    (
        "redis",
        "StrictRedis",
        keeps_open(Some("redis.Redis"), REDIS),
    ),
    ("redis", "from_url", keeps_open(Some("redis.Redis"), REDIS)),
    // Pools and clients closed on exit: made bare, they live on (`self.pool = await
    // asyncpg.create_pool(..)`), but returned from their `with` they are closed.
    (
        "asyncpg",
        "create_pool",
        closes(Pool, Some("asyncpg.Pool"), ASYNCPG),
    ),
    (
        "psycopg_pool",
        "ConnectionPool",
        closes(Pool, Some("psycopg_pool.ConnectionPool"), PSYCOPG_POOL),
    ),
    (
        "psycopg_pool",
        "AsyncConnectionPool",
        closes(Pool, Some("psycopg_pool.ConnectionPool"), PSYCOPG_POOL),
    ),
    (
        "aiopg",
        "create_pool",
        closes(Pool, Some("aiopg.Pool"), AIOPG),
    ),
    // `aiopg.sa.create_engine`.
    (
        "aiopg",
        "create_engine",
        closes(Pool, Some("aiopg.sa.Engine"), AIOPG),
    ),
    (
        "databases",
        "Database",
        closes(Pool, Some("databases.Database"), DATABASES),
    ),
    (
        "pymongo",
        "MongoClient",
        closes(Pool, Some("pymongo.Client"), PYMONGO),
    ),
    (
        "pymongo",
        "AsyncMongoClient",
        closes(Pool, Some("pymongo.Client"), PYMONGO),
    ),
    ("redis", "ConnectionPool", closes(Pool, None, REDIS)),
];

/// The tracked type a call of `root ... name` makes: a factory's, or what a manager binds.
pub fn made_by(root: &str, name: &str) -> Option<LibType> {
    find(FACTORIES, root, name).or_else(|| find(SCOPE_FUNCTIONS, root, name)?.binds)
}

/// Wrappers that resolve to the awaitable they are given first: `asyncio.wait_for(coro, t)`.
pub static AWAIT_WRAPPERS: &[(&str, &str)] = &[
    ("asyncio", "wait_for"),
    ("asyncio", "shield"),
    ("asyncio", "ensure_future"),
    ("asyncio", "create_task"),
    ("anyio", "fail_after"),
];

/// Context managers known not to close or release what they bind, so returning their `with`
/// target is fine: `(package root, a segment of the name)`, matched after imports are resolved
/// (`unittest.mock.patch.object` has `patch`; `mock` matches wherever `mock` is re-exported from). sqlite3 and psycopg2 connections are in
/// [`SCOPE_FUNCTIONS`] as [`OnExit::KeepsOpen`].
pub static NON_CLOSING_MANAGERS: &[(&str, &str)] = &[
    ("unittest", "patch"),
    ("mock", "patch"),
    ("pytest", "raises"),
    ("pytest", "warns"),
    ("pytest", "deprecated_call"),
    ("warnings", "catch_warnings"),
    ("contextlib", "nullcontext"),
    ("contextlib", "redirect_stdout"),
    ("contextlib", "redirect_stderr"),
    ("contextlib", "suppress"),
    ("sqlite3", "connect"),
    ("psycopg2", "connect"),
];

/// Methods that make a context manager known not to close what it binds, on whatever receiver:
/// `unittest.TestCase`'s assertion managers and pytest-mock's `mocker.patch`.
pub static NON_CLOSING_METHODS: &[&str] = &[
    "assertRaises",
    "assertRaisesRegex",
    "assertWarns",
    "assertWarnsRegex",
    "assertLogs",
    "assertNoLogs",
    "patch",
    // SQLAlchemy's test suite: records the SQL a block ran, for assertions after it.
    "sql_execution_asserter",
];

/// Whether a context manager made by calling `name` (canonical, as written when `method`) is
/// known to leave its target open.
pub fn keeps_target_open(name: &[String], method: bool) -> bool {
    let Some(root) = name.first() else {
        return false;
    };
    // `unittest.mock.patch`, or `mock.patch` re-exported by a test toolkit (`alembic.testing`).
    let has = |segment: &str| name.iter().any(|s| s == segment);
    NON_CLOSING_MANAGERS
        .iter()
        .any(|(r, n)| (r == root || (*r == "mock" && has("mock"))) && has(n))
        || (method
            && name
                .last()
                .is_some_and(|m| NON_CLOSING_METHODS.contains(&m.as_str())))
}

/// Methods whose call on the target of an unresolved `with` is evidence that it is a database
/// handle (PEP 249's connection and cursor methods, asyncpg's and SQLAlchemy's statement methods):
/// `with connections[alias].cursor() as c: c.execute(q); return c`.
pub static DB_API_METHODS: &[&str] = &[
    "execute",
    "executemany",
    "executescript",
    "cursor",
    "fetchone",
    "fetchmany",
    "fetchall",
    "fetch",
    "fetchrow",
    "fetchval",
    "scalar",
    "scalars",
    "scalar_one",
    "scalar_one_or_none",
    "commit",
    "rollback",
    "callproc",
    "copy_expert",
    "copy_from",
    "copy_to",
];

/// Methods whose call, as a `with` manager on a receiver of unknown type, is itself evidence that
/// the target is a database handle: PEP 249's `connection.cursor()`.
pub static DB_API_MANAGERS: &[&str] = &["cursor"];

/// Database packages the catalog does not model call by call, by canonical module prefix, each
/// with the release it was checked at on its registry page: a `with` over anything they make
/// binds a database object (`with connections[alias].cursor() as c` in Django).
pub static DB_PACKAGES: &[(&[&str], &str)] = &[
    (&["django", "db"], "Django 5.2"),
    (&["flask_sqlalchemy"], "Flask-SQLAlchemy 3.1.1"),
    (&["MySQLdb"], "mysqlclient 2.2.7"),
    (&["pymssql"], "pymssql 2.3.4"),
    (&["peewee"], "peewee 3.18.1"),
    (&["playhouse"], "peewee 3.18.1"),
    (&["pony", "orm"], "pony 0.7.19"),
    (&["cx_Oracle"], "cx-Oracle 8.3.0"),
    (&["ibm_db"], "ibm_db 3.2.6"),
    (&["ibm_db_dbi"], "ibm_db 3.2.6"),
    (&["jaydebeapi"], "JayDeBeApi 1.2.3"),
    (&["teradatasql"], "teradatasql 20.0.0.30"),
    (&["trino", "dbapi"], "trino 0.335.0"),
    (&["pg8000"], "pg8000 1.31.2"),
    (&["records"], "records 0.6.0"),
    (&["dataset"], "dataset 1.6.2"),
    (&["sqlite_utils"], "sqlite-utils 3.38"),
    (&["edgedb"], "edgedb 2.2.0"),
];

/// Whether a canonical name belongs to a database package: one the catalog models (any call of
/// it that the catalog does not list is still a database library's) or one of [`DB_PACKAGES`].
pub fn is_db_package(q: &[String]) -> bool {
    let Some(root) = q.first().map(String::as_str) else {
        return false;
    };
    let roots = SCOPE_FUNCTIONS
        .iter()
        .map(|(r, _, _)| *r)
        .chain(FACTORIES.iter().map(|(r, _, _)| *r))
        .chain(ANNOTATIONS.iter().map(|(r, _, _)| *r));
    // Modelled call by call, and not a database's: a redis client does not close, and nothing
    // else of redis is a database handle.
    roots.filter(|r| *r != "redis").any(|r| r == root)
        || DB_PACKAGES
            .iter()
            .any(|(prefix, _)| q.len() >= prefix.len() && prefix.iter().zip(q).all(|(p, s)| p == s))
}

/// Methods that keep their arguments in the receiver (`conns.append(c)`, `cache.update(..)`).
pub static STORE_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "add",
    "insert",
    "extend",
    "put",
    "put_nowait",
    "setdefault",
    "update",
    "push",
];

/// Request-scoped storage, by an attribute or name on the way to it: ASGI's `scope[..]`,
/// Starlette's `request.state`, Flask's `g`. A handle kept there lives as long as the request,
/// which the `with` block that opened it usually encloses (a middleware): not a store.
pub static REQUEST_SCOPED: &[&str] = &["state", "scope"];

/// Request-scoped globals, by package root and name: Flask's `g`.
pub static REQUEST_GLOBALS: &[(&str, &str)] = &[("flask", "g")];

/// Decorators that make a generator a context manager.
pub static CONTEXT_MANAGER_DECORATORS: &[&str] = &["contextmanager", "asynccontextmanager"];

/// Decorators of code that exists for tests.
pub static TEST_DECORATORS: &[(&str, &str)] =
    &[("pytest", "fixture"), ("pytest_asyncio", "fixture")];

/// The slow external calls (SDB009): calls that wait on the network, a sleep or another process,
/// by the version each was read at. Functions by `(package root, final name)`; a client's calls by
/// its type ([`SLOW_CLIENTS`]).
pub static SLOW_FUNCTIONS: &[(&str, &str, &str)] = &[
    ("requests", "get", REQUESTS),
    ("requests", "post", REQUESTS),
    ("requests", "put", REQUESTS),
    ("requests", "patch", REQUESTS),
    ("requests", "delete", REQUESTS),
    ("requests", "head", REQUESTS),
    ("requests", "options", REQUESTS),
    ("requests", "request", REQUESTS),
    ("httpx", "get", HTTPX),
    ("httpx", "post", HTTPX),
    ("httpx", "put", HTTPX),
    ("httpx", "patch", HTTPX),
    ("httpx", "delete", HTTPX),
    ("httpx", "head", HTTPX),
    ("httpx", "options", HTTPX),
    ("httpx", "request", HTTPX),
    ("httpx", "stream", HTTPX),
    ("aiohttp", "request", AIOHTTP),
    ("urllib3", "request", URLLIB3),
    // `urllib.request.urlopen`.
    ("urllib", "urlopen", CPYTHON),
    ("time", "sleep", CPYTHON),
    // `asyncio.sleep(0)` is a yield, not a wait: see [`ZERO_IS_YIELD`].
    ("asyncio", "sleep", CPYTHON),
    ("subprocess", "run", CPYTHON),
    ("subprocess", "call", CPYTHON),
    ("subprocess", "check_call", CPYTHON),
    ("subprocess", "check_output", CPYTHON),
    // The MCP SDK's transports connect when their `async with` is entered.
    ("mcp", "streamablehttp_client", MCP),
    ("mcp", "sse_client", MCP),
    ("mcp", "websocket_client", MCP),
];

/// Packages every call of which under these final names makes a request: Stripe's API
/// resources (`stripe.Customer.create(..)`, `stripe.PaymentIntent.retrieve_async(..)`).
/// `(package root, final names, version read at)`.
pub static SLOW_PACKAGE_CALLS: &[(&str, &[&str], &str)] = &[("stripe", STRIPE_OPERATIONS, STRIPE)];

const STRIPE_OPERATIONS: &[&str] = &[
    "create",
    "retrieve",
    "modify",
    "list",
    "delete",
    "search",
    "cancel",
    "capture",
    "confirm",
    "pay",
    "void_invoice",
    "finalize_invoice",
    "create_reversal",
    "create_async",
    "retrieve_async",
    "modify_async",
    "list_async",
    "delete_async",
    "search_async",
    "cancel_async",
    "capture_async",
    "confirm_async",
    "pay_async",
    "create_reversal_async",
];

/// Whether a call of the canonical dotted name `q` is a slow one of the catalog.
pub fn slow_function(q: &[String]) -> bool {
    let (Some(root), Some(last)) = (q.first(), q.last()) else {
        return false;
    };
    SLOW_FUNCTIONS
        .iter()
        .any(|(r, n, _)| r == root && n == last)
        || SLOW_PACKAGE_CALLS
            .iter()
            .any(|(r, names, _)| r == root && q.len() > 1 && names.contains(&last.as_str()))
}

/// Sleeps whose constant zero delay yields to the event loop and waits on nothing.
pub static ZERO_IS_YIELD: &[(&str, &str)] = &[("asyncio", "sleep"), ("time", "sleep")];

/// A client of a slow service: its type's name, the methods of it that wait, and whether its
/// attributes are resources whose methods wait too (`client.chat.completions.create(..)`).
#[derive(Debug)]
pub struct SlowClient {
    pub ty: &'static str,
    pub methods: &'static [&'static str],
    pub resources: bool,
}

const HTTP_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
];
/// The calls of the OpenAI and Anthropic SDKs' resources that make a request (a resource's
/// `with_raw_response`, `with_options` and `copy` make none).
const LLM_METHODS: &[&str] = &[
    "create",
    "parse",
    "stream",
    "retrieve",
    "list",
    "count_tokens",
    "generate",
    "edit",
    "upload",
    "delete",
];

/// Clients of slow services, made by calling them or named by an annotation: `(package root,
/// name, client, version read at)`.
pub static SLOW_CLIENTS: &[(&str, &str, SlowClient, &str)] = &[
    (
        "requests",
        "Session",
        SlowClient {
            ty: "requests.Session",
            methods: HTTP_METHODS,
            resources: false,
        },
        REQUESTS,
    ),
    (
        "httpx",
        "Client",
        SlowClient {
            ty: "httpx.Client",
            methods: HTTP_METHODS,
            resources: false,
        },
        HTTPX,
    ),
    (
        "httpx",
        "AsyncClient",
        SlowClient {
            ty: "httpx.AsyncClient",
            methods: HTTP_METHODS,
            resources: false,
        },
        HTTPX,
    ),
    (
        "aiohttp",
        "ClientSession",
        SlowClient {
            ty: "aiohttp.ClientSession",
            methods: &[
                "get",
                "post",
                "put",
                "patch",
                "delete",
                "head",
                "options",
                "request",
                "ws_connect",
            ],
            resources: false,
        },
        AIOHTTP,
    ),
    (
        "urllib3",
        "PoolManager",
        SlowClient {
            ty: "urllib3.PoolManager",
            methods: &[
                "request",
                "urlopen",
                "request_encode_url",
                "request_encode_body",
            ],
            resources: false,
        },
        URLLIB3,
    ),
    (
        "openai",
        "OpenAI",
        SlowClient {
            ty: "openai.OpenAI",
            methods: LLM_METHODS,
            resources: true,
        },
        OPENAI,
    ),
    (
        "openai",
        "AsyncOpenAI",
        SlowClient {
            ty: "openai.AsyncOpenAI",
            methods: LLM_METHODS,
            resources: true,
        },
        OPENAI,
    ),
    (
        "openai",
        "AzureOpenAI",
        SlowClient {
            ty: "openai.AzureOpenAI",
            methods: LLM_METHODS,
            resources: true,
        },
        OPENAI,
    ),
    (
        "openai",
        "AsyncAzureOpenAI",
        SlowClient {
            ty: "openai.AsyncAzureOpenAI",
            methods: LLM_METHODS,
            resources: true,
        },
        OPENAI,
    ),
    (
        "anthropic",
        "Anthropic",
        SlowClient {
            ty: "anthropic.Anthropic",
            methods: LLM_METHODS,
            resources: true,
        },
        ANTHROPIC,
    ),
    (
        "mcp",
        "ClientSession",
        SlowClient {
            ty: "mcp.ClientSession",
            methods: &[
                "initialize",
                "call_tool",
                "list_tools",
                "list_resources",
                "read_resource",
                "list_prompts",
                "get_prompt",
                "send_ping",
                "complete",
            ],
            resources: false,
        },
        MCP,
    ),
    (
        "stripe",
        "StripeClient",
        SlowClient {
            ty: "stripe.StripeClient",
            methods: STRIPE_OPERATIONS,
            resources: true,
        },
        STRIPE,
    ),
    (
        "anthropic",
        "AsyncAnthropic",
        SlowClient {
            ty: "anthropic.AsyncAnthropic",
            methods: LLM_METHODS,
            resources: true,
        },
        ANTHROPIC,
    ),
];

/// The client a `(package root, name)` makes or names, if it is a slow one.
pub fn slow_client(root: &str, name: &str) -> Option<&'static SlowClient> {
    SLOW_CLIENTS
        .iter()
        .find(|(r, n, _, _)| *r == root && *n == name)
        .map(|(_, _, c, _)| c)
}

/// The client of this type.
pub fn slow_client_named(ty: &str) -> Option<&'static SlowClient> {
    SLOW_CLIENTS
        .iter()
        .find(|(_, _, c, _)| c.ty == ty)
        .map(|(_, _, c, _)| c)
}

/// What a module that makes a slow call names, for the prefilter: a slow call's package root,
/// or, for the sleeps of `time` and `asyncio` (which most modules import for something else),
/// `sleep`, which a module that calls one writes in its import or its call.
pub fn slow_roots() -> impl Iterator<Item = &'static str> {
    SLOW_FUNCTIONS
        .iter()
        .map(|(r, n, _)| match *r {
            "time" | "asyncio" => *n,
            root => root,
        })
        .chain(SLOW_CLIENTS.iter().map(|(r, _, _, _)| *r))
        .chain(SLOW_PACKAGE_CALLS.iter().map(|(r, _, _)| *r))
}

/// `(root, name)` lookups.
pub fn find<T: Copy>(table: &[(&str, &str, T)], root: &str, name: &str) -> Option<T> {
    table
        .iter()
        .find(|(r, n, _)| *r == root && *n == name)
        .map(|(_, _, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_with_scope_methods_is_made_somewhere() {
        let binds = SCOPE_FUNCTIONS
            .iter()
            .map(|(_, _, m)| m)
            .chain(SCOPE_METHODS.iter().map(|(_, _, m)| m))
            .chain(CALLABLE_SCOPES.iter().map(|(_, m)| m))
            .filter_map(|m| m.binds);
        let made: Vec<LibType> = FACTORIES
            .iter()
            .chain(ANNOTATIONS)
            .map(|(_, _, t)| *t)
            .chain(binds)
            .collect();
        for (ty, _, _) in SCOPE_METHODS {
            assert!(made.contains(ty), "{ty}");
        }
        assert_eq!(
            find(SCOPE_FUNCTIONS, "sqlite3", "connect").map(|m| m.on_exit),
            Some(OnExit::KeepsOpen)
        );
    }

    /// `explain SDB001` names every library a manager of the catalog is from, and `explain SDB005`
    /// says they are resolved.
    #[test]
    fn the_rule_docs_list_every_library() {
        let plain = |s: &str| s.to_lowercase().replace(['-', '_'], "");
        let sdb001 = plain(crate::rules::escaped_handle::INFO.docs);
        let sdb005 = plain(crate::rules::escaped_with_target::INFO.docs);
        for m in SCOPE_FUNCTIONS
            .iter()
            .map(|(_, _, m)| m)
            .chain(SCOPE_METHODS.iter().map(|(_, _, m)| m))
            .filter(|m| m.checked != UNVERSIONED)
        {
            let name = m.checked.rsplit_once(' ').map_or(m.checked, |(n, _)| n);
            let name = name.trim_end_matches(" (CPython)");
            let name = plain(name);
            let name = ["python", "orm", "connector"]
                .iter()
                .fold(name, |n, suffix| {
                    n.strip_suffix(suffix).map_or(n.clone(), str::to_string)
                });
            assert!(
                sdb001.contains(&name),
                "explain SDB001 does not name {name}"
            );
            if !matches!(m.on_exit, OnExit::KeepsOpen) {
                assert!(
                    sdb005.contains(&name),
                    "explain SDB005 does not name {name}"
                );
            }
        }
    }

    #[test]
    fn every_slow_call_names_the_version_it_was_read_at() {
        let versions = SLOW_FUNCTIONS
            .iter()
            .map(|(_, _, v)| *v)
            .chain(SLOW_CLIENTS.iter().map(|(_, _, _, v)| *v))
            .chain(SLOW_PACKAGE_CALLS.iter().map(|(_, _, v)| *v));
        for v in versions {
            assert!(v.chars().any(|c| c.is_ascii_digit()), "{v}");
        }
        for (root, _, c, _) in SLOW_CLIENTS {
            assert!(c.ty.starts_with(root), "{}", c.ty);
            assert!(!c.methods.is_empty(), "{}", c.ty);
        }
    }

    #[test]
    fn every_manager_names_the_version_it_was_read_at() {
        for m in SCOPE_FUNCTIONS
            .iter()
            .map(|(_, _, m)| m)
            .chain(SCOPE_METHODS.iter().map(|(_, _, m)| m))
            .chain(CALLABLE_SCOPES.iter().map(|(_, m)| m))
        {
            assert!(
                m.checked == UNVERSIONED
                    || m.checked.chars().any(|c| c.is_ascii_digit())
                    || m.checked.contains("CPython"),
                "{m:?}"
            );
        }
    }
}
