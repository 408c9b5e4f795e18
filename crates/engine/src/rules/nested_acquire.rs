//! SDB007 nested-acquire: while a connection, session or transaction from a pool is held, the
//! function takes another handle from the same pool, directly or through a callee given it.

use super::held_pool::{self, Clash};
use super::{Rule, RuleInfo, Severity};
use crate::finding::Finding;
use crate::propagate::Facts;
use crate::summary::FnSummary;

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::NestedAcquire,
    code: "SDB007",
    name: "nested-acquire",
    default_severity: Severity::Warning,
    summary: "a second handle is taken from a pool while the function holds one from it, which \
              deadlocks once the pool runs out",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports a function that, while it holds a connection, session or transaction taken from a pool,
takes another from the same pool: `pool.acquire()`/`pool.begin()`/`pool.get()` again,
`engine.connect()` inside `with engine.begin() as conn:`, a session from the engine's
`sessionmaker` while a connection of it is held, a statement run on the pool itself
(`query.execute(&pool)`, `await pool.fetch(..)`), which takes a connection of its own, or a call of
a project function that does any of these with the pool it is given (or a module global), at any
depth. The message names both handles and, for a callee, the line inside it.

A handle is held from the call that takes it until it is released, finished, moved away or its
`with` block or scope ends. "The same pool" is certain, never guessed (see SDB006). A statement
that is also outside an open transaction is reported as SDB006 instead.

## Why is this bad?
Every request that runs this code holds one connection and waits for a second. With N concurrent
requests and a pool of N, each holds one and none gets another: the pool deadlocks (or times out:
SQLAlchemy's "QueuePool limit of size 5 overflow 10 reached, connection timed out"; asyncpg #5;
aiopg #113, #127). It passes every test with a large pool and fails under load.

## Example
```python
import asyncpg

async def handler(pool: asyncpg.Pool, user_id: int) -> None:
    async with pool.acquire() as conn:
        user = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        await audit(pool, user)  # takes a second connection

async def audit(pool: asyncpg.Pool, user) -> None:
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO audit VALUES ($1)", user["id"])
```

Use instead:
```python
import asyncpg

async def handler(pool: asyncpg.Pool, user_id: int) -> None:
    async with pool.acquire() as conn:
        user = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        await audit(conn, user)

async def audit(conn: asyncpg.Connection, user) -> None:
    await conn.execute("INSERT INTO audit VALUES ($1)", user["id"])
```
A pool is known by its type: a parameter's annotation, or what made it (`asyncpg.create_pool`,
`create_engine`, `sessionmaker(bind=engine)`); an unannotated parameter is not known to be one.

## Library notes
- sqlx, deadpool, bb8, r2d2, mobc, diesel-async, mysql, mysql_async: `acquire`/`begin`/`get`/
  `get_conn` wait for a free connection (up to the pool's timeout).
- sea-orm: `DatabaseConnection::begin` takes a pooled connection for the transaction.
- asyncpg, aiomysql, aiopg, psycopg_pool: `acquire()`/`connection()` wait for a free connection.
- SQLAlchemy: `engine.connect()`/`begin()` and a session's first statement check out a
  connection from the engine's `QueuePool`.
- mongodb sessions and libsql connections are not checked out of a bounded pool and are not
  reported.
"#;

/// The findings for one summary.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.allowed.contains(&Rule::NestedAcquire) {
        return Vec::new();
    }
    held_pool::conflicts(summary, facts)
        .into_iter()
        .filter_map(|c| match c.clash {
            Clash::Nested(kind) => Some((c, Some(kind))),
            Clash::NestedStatement => Some((c, None)),
            Clash::Bypass => None,
        })
        .map(|(c, taken)| {
            let pool = c.pool.display();
            let held = c.held.noun();
            let (message, label) = match (c.via, taken) {
                (Some((callee, fact)), Some(kind)) => (
                    format!(
                        "`{callee}` takes a {} from `{pool}` while this function holds a {held} \
                         from it",
                        kind.noun()
                    ),
                    format!(
                        "`{callee}` takes a {} from `{pool}`{}",
                        kind.noun(),
                        held_pool::inside(&fact.function, fact.line, callee)
                    ),
                ),
                (None, Some(kind)) => (
                    format!(
                        "second {} taken from `{pool}` while this function holds a {held} from it",
                        kind.noun()
                    ),
                    format!("takes another {} from `{pool}`", kind.noun()),
                ),
                (Some((callee, fact)), None) => (
                    format!(
                        "`{callee}` runs a statement on `{pool}`, which takes a second connection \
                         from it while this function holds a {held} from it"
                    ),
                    format!(
                        "`{callee}` runs a statement on `{pool}`{}",
                        held_pool::inside(&fact.function, fact.line, callee)
                    ),
                ),
                (None, None) => (
                    format!(
                        "statement on `{pool}` takes a second connection from it while this \
                         function holds a {held} from it"
                    ),
                    format!("runs on another connection from `{pool}`"),
                ),
            };
            let held_here = match c.given_by {
                Some(giver) => format!("{held} from `{pool}` given by `{giver}` here, still held"),
                None => format!(
                    "{held} {} from `{pool}` here, still held",
                    c.held.obtained()
                ),
            };
            held_pool::finding(
                summary,
                &c,
                &INFO,
                (message, label),
                held_here,
                "pass the held handle to the code that needs one instead of taking a second from \
                 the pool: under load every request holds one and waits for another",
            )
        })
        .collect()
}
