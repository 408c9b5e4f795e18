//! SDB006 bypassed-transaction: while a transaction begun from a pool is open, a statement runs on
//! that pool itself (or on a second connection from it), directly or through a callee given it.

use super::held_pool::{self, Clash};
use super::{Rule, RuleInfo, Severity};
use crate::finding::Finding;
use crate::propagate::Facts;
use crate::summary::{FnSummary, Language};

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::BypassedTransaction,
    code: "SDB006",
    name: "bypassed-transaction",
    default_severity: Severity::Error,
    summary: "a statement runs on the pool (or a second connection from it) while a transaction \
              begun from that pool is open, so it is not part of the transaction",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports a statement that runs on a pool while the function holds an open transaction begun from
that same pool: `query.execute(&pool)` after `let mut tx = pool.begin().await?`, `await
pool.execute(..)` inside `async with conn.transaction():` on a connection acquired from `pool`, a
session from the engine's `sessionmaker` used inside `with engine.begin() as conn:`. Also a
statement on a second connection the function takes from the pool meanwhile, and a call of a
project function that does either with the pool it is given (or a module global), at any depth.

The transaction is open from the call that begins it until it is committed, rolled back, moved
away (returned, passed by value, dropped) or its `with` block or scope ends. "The same pool" is
certain, never guessed: the same local, parameter, field path (`self.pool`, `state.db`), static or
module global; in Python, a `sessionmaker`/`Session` bound to the engine counts as the engine.
A task spawned to run later (`tokio::spawn`, `asyncio.create_task`) is not this rule's.

## Why is this bad?
The pool runs the statement on another connection, outside the transaction: it commits even when
the transaction rolls back, and it cannot see the transaction's uncommitted rows (sqlx's maintainer,
sqlx #2446: "you're not actually performing the insert in a transaction"). With a pool of one
connection it never runs at all: the transaction holds the only connection (sqlx #1328).

## Example
```rust
use sqlx::PgPool;

async fn transfer(pool: &PgPool, from: i64, to: i64) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    debit(&mut tx, from).await?;
    sqlx::query("UPDATE accounts SET balance = balance + 1 WHERE id = $1")
        .bind(to)
        .execute(pool) // not in `tx`
        .await?;
    tx.commit().await
}
```

Use instead:
```rust
use sqlx::PgPool;

async fn transfer(pool: &PgPool, from: i64, to: i64) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    debit(&mut tx, from).await?;
    sqlx::query("UPDATE accounts SET balance = balance + 1 WHERE id = $1")
        .bind(to)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
```
A helper that needs to run inside the caller's transaction takes the transaction (`&mut
PgConnection`, `impl Acquire`, the `AsyncConnection` or session) rather than the pool.

## Library notes
- sqlx: `Executor for &Pool` acquires a connection per statement (`execute`, `fetch*`).
- sea-orm: `DatabaseConnection` runs each statement on a pooled connection of its own; a
  `DatabaseTransaction` is a separate connection.
- deadpool-postgres, bb8, r2d2, mobc, mysql, mysql_async: a statement on a second `get()` is on a
  second connection.
- asyncpg: `pool.execute`/`fetch*` acquire a connection per call.
- SQLAlchemy: a `Session` or `Connection` from the same engine checks out a connection of its own.
- psycopg_pool, aiomysql, aiopg: a connection from a second `connection()`/`acquire()` is another
  connection, with its own transaction.
"#;

/// The findings for one summary.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.allowed.contains(&Rule::BypassedTransaction) {
        return Vec::new();
    }
    held_pool::conflicts(summary, facts)
        .into_iter()
        .filter(|c| c.clash == Clash::Bypass)
        .map(|c| {
            let pool = c.pool.display();
            let (message, label) = match c.via {
                Some((callee, fact)) => (
                    format!(
                        "`{callee}` runs a statement on `{pool}` outside the transaction this \
                         function holds from it"
                    ),
                    format!(
                        "`{callee}` runs a statement on `{pool}`{}",
                        held_pool::inside(&fact.function, fact.line, callee)
                    ),
                ),
                None if c.second_connection => (
                    format!(
                        "statement runs on a second connection from `{pool}`, outside the \
                         transaction this function holds from it"
                    ),
                    "runs on another connection from the pool".to_string(),
                ),
                None => (
                    format!(
                        "statement runs on `{pool}` itself, outside the transaction this function \
                         holds from it"
                    ),
                    "runs on a connection of its own, not in the transaction".to_string(),
                ),
            };
            let help = match summary.language {
                Language::Rust => {
                    "run it on the transaction (`&mut *tx`), or give the helper the transaction \
                     instead of the pool; if it must not be part of the transaction, run it after \
                     the commit"
                }
                Language::Python => {
                    "run it on the connection or session the transaction is on, or give the \
                     helper that connection instead of the pool or engine; if it must not be part \
                     of the transaction, run it after the block"
                }
            };
            let held = match c.given_by {
                Some(giver) => {
                    format!("transaction from `{pool}` given by `{giver}` here, still open")
                }
                None => format!("transaction begun from `{pool}` here, still open"),
            };
            held_pool::finding(summary, &c, &INFO, (message, label), held, help)
        })
        .collect()
}
