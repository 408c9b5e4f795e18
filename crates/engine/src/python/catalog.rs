//! The Python handle catalog, as data: which calls make engines and pools, and which context
//! managers hand a handle to their `with` block and close or release it on exit.
//!
//! Names are matched by their package root and final name (`sqlalchemy` ... `create_engine`), after
//! imports are resolved, the way the Rust catalog matches crate and type.

use crate::ids::HandleKind;

/// A library type scoped-db tracks in Python, by a stable name.
pub type LibType = &'static str;

/// Calls (functions or classes) that make a tracked type: `create_async_engine(..)` makes an
/// `AsyncEngine`. `(package root, final name, type made)`.
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
    ("sqlalchemy", "scoped_session", "sqlalchemy.sessionmaker"),
    ("asyncpg", "create_pool", "asyncpg.Pool"),
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
    ("aiomysql", "create_pool", "aiomysql.Pool"),
    ("asyncmy", "create_pool", "aiomysql.Pool"),
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
    ("asyncpg", "Pool", "asyncpg.Pool"),
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
    ("aiomysql", "Pool", "aiomysql.Pool"),
    ("asyncmy", "Pool", "aiomysql.Pool"),
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

/// What a context manager does with the handle it binds when its block exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnExit {
    /// Closes it or gives it back to the pool: returning it hands out a dead handle.
    Closes(HandleKind),
    /// Only commits or rolls back (`sqlite3`, `psycopg2` connections used as `with conn:`): the
    /// handle lives on, so returning it is not this bug.
    KeepsOpen,
}

/// Methods of tracked types whose result, used in `with`, binds a handle:
/// `(receiver type, method, on exit)`.
pub static SCOPE_METHODS: &[(LibType, &str, OnExit)] = &[
    (
        "sqlalchemy.Engine",
        "connect",
        OnExit::Closes(HandleKind::Connection),
    ),
    (
        "sqlalchemy.Engine",
        "begin",
        OnExit::Closes(HandleKind::Connection),
    ),
    (
        "sqlalchemy.AsyncEngine",
        "connect",
        OnExit::Closes(HandleKind::Connection),
    ),
    (
        "sqlalchemy.AsyncEngine",
        "begin",
        OnExit::Closes(HandleKind::Connection),
    ),
    (
        "sqlalchemy.sessionmaker",
        "begin",
        OnExit::Closes(HandleKind::Session),
    ),
    (
        "sqlalchemy.async_sessionmaker",
        "begin",
        OnExit::Closes(HandleKind::Session),
    ),
    (
        "asyncpg.Pool",
        "acquire",
        OnExit::Closes(HandleKind::Connection),
    ),
    (
        "psycopg_pool.ConnectionPool",
        "connection",
        OnExit::Closes(HandleKind::Connection),
    ),
    (
        "aiomysql.Pool",
        "acquire",
        OnExit::Closes(HandleKind::Connection),
    ),
];

/// Tracked types whose instances, called, make a session that closes on exit:
/// `SessionLocal()` for `SessionLocal = sessionmaker(..)`.
pub static CALLABLE_SCOPES: &[(LibType, OnExit)] = &[
    (
        "sqlalchemy.sessionmaker",
        OnExit::Closes(HandleKind::Session),
    ),
    (
        "sqlalchemy.async_sessionmaker",
        OnExit::Closes(HandleKind::Session),
    ),
];

/// Functions and classes whose result, used in `with`, binds a handle:
/// `(package root, final name, on exit)`.
pub static SCOPE_FUNCTIONS: &[(&str, &str, OnExit)] = &[
    ("sqlalchemy", "Session", OnExit::Closes(HandleKind::Session)),
    ("sqlmodel", "Session", OnExit::Closes(HandleKind::Session)),
    (
        "sqlalchemy",
        "AsyncSession",
        OnExit::Closes(HandleKind::Session),
    ),
    ("psycopg", "connect", OnExit::Closes(HandleKind::Connection)),
    (
        "aiosqlite",
        "connect",
        OnExit::Closes(HandleKind::Connection),
    ),
    ("duckdb", "connect", OnExit::Closes(HandleKind::Connection)),
    ("sqlite3", "connect", OnExit::KeepsOpen),
    ("psycopg2", "connect", OnExit::KeepsOpen),
];

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
        for (ty, _, _) in SCOPE_METHODS {
            assert!(FACTORIES.iter().any(|(_, _, t)| t == ty), "{ty}");
        }
        assert_eq!(
            find(SCOPE_FUNCTIONS, "sqlite3", "connect"),
            Some(OnExit::KeepsOpen)
        );
    }
}
