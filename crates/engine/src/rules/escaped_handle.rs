//! SDB001 escaped-handle: a function returns a handle it obtained itself.

use super::{Rule, RuleInfo, Severity};
use crate::finding::{Finding, Label};
use crate::ids::HandleKind;
use crate::propagate::Facts;
use crate::summary::{FnSummary, Language, OriginKind};

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::EscapedHandle,
    code: "SDB001",
    name: "escaped-handle",
    default_severity: Severity::Error,
    summary: "a function returns a connection or transaction handle that it obtained itself",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports a function that returns a database handle it obtained itself: a connection it acquired
from a pool, a transaction it began, a session it started, or a handle it received from another
function that does the same. The handle may be wrapped (`Ok`, `Some`, `Box`, `Arc`, a tuple or a
struct) and may pass through `?`, `.await`, `unwrap`, `map_err`, `timeout(..)`, `let` bindings,
`match` arms and loops. Wrappers that only pass such a handle on are reported too, with a pointer
to the function they got it from.

## Why is this bad?
The function that acquires a handle is the one that knows when it must go back. Handing it out
moves that duty to every caller, and one forgotten caller is enough: a pooled connection held by a
long-lived value starves the pool (`PoolTimedOut`), and a transaction nobody commits is rolled
back silently when it is dropped. In Python the same shape (`async with engine.begin() as conn:
return conn`) returns a connection its context manager has already released.

## Example
```rust
impl OrderStore {
    async fn open_tx(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        let tx = self.pool.begin().await?;
        Ok(tx)
    }
}
```

Use instead:
```rust
impl OrderStore {
    async fn place(&self, order: &Order) -> sqlx::Result<OrderId> {
        let mut tx = self.pool.begin().await?;
        let id = insert_order(&mut tx, order).await?;
        tx.commit().await?;
        Ok(id)
    }
}
```
Helpers take `&mut PgConnection` (or `&mut Transaction`) and return data. A function that hands
handles out by design (a unit-of-work constructor) is marked `#[scoped_db::provider]`: it is not
reported, and its callers must keep what it returns in their own scope.

## Library notes
- sqlx: `Pool::acquire`/`begin`, `Connection::begin`, `Acquire::{acquire, begin}`; a `PgPool` is a
  pool (clone it freely), a `PoolConnection` or `Transaction` is the handle.
- deadpool (redis, lapin, tiberius), deadpool-sqlite, deadpool-diesel, bb8 (bb8-tiberius), r2d2,
  diesel-async, mobc: `Pool::get` (and `get_owned`, `timeout_get`) hands out the pooled object;
  deadpool-postgres `Client::transaction` a `Transaction`. deadpool-sqlite and deadpool-diesel
  `conn.interact(|conn| ..)` give back what the closure returns, never the object.
- sea-orm: `DatabaseConnection` is a pool; `begin` hands out a `DatabaseTransaction`.
- tokio-postgres, postgres, rusqlite, libsql, duckdb: the `Client`/`Connection` is not pooled and
  may be returned; its `Transaction`/`Savepoint` may not.
- mongodb: the `Client` is a pool; `start_session` hands out a `ClientSession`.
- Python (each manager read from the library's source at a version, `docs/LIBRARIES.md`):
  close or release what their `with` binds: SQLAlchemy `engine.connect()`/`begin()`, sessions
  and session makers; asyncpg and aiomysql `pool.acquire()`; psycopg `connect()` and cursors,
  psycopg_pool `connection()`; psycopg2 cursors; PyMySQL and mysql-connector connections, pooled
  connections and cursors (and `mysql.connector.aio`); aiopg `connect()`, `pool.acquire()`,
  cursors and `aiopg.sa` `engine.acquire()`; oracledb `connect()`, `pool.acquire()`, cursors and
  `connect_async()`; Tortoise `in_transaction()`; databases `connection()`; aiosqlite
  `connect()`, `cursor()` and `execute()`; duckdb `connect()` and cursors; pymongo and motor
  `start_session()`; snowflake `connect()` and cursors; clickhouse-connect and clickhouse-driver
  DB-API `connect()` and cursors; vertica `connect()` and cursors; and the pools and clients a
  `with` closes (asyncpg and aiopg `create_pool()`, psycopg_pool pools, `aiopg.sa` engines,
  databases `Database`, pymongo `MongoClient`, redis pub/sub and monitor connections), which a
  function returns as a closed pool. Never reported, because they do
  not close what they bind: `sqlite3`, `psycopg2` and `pyodbc` connections, pyodbc cursors, asyncpg
  and psycopg `transaction()`, SQLAlchemy `session.begin()` and `conn.begin()`, databases
  `transaction()`, redis clients and pipelines, clickhouse-connect's HTTP client and
  clickhouse-driver's native `Client`.

## Not reported
A handle that came in as a parameter and goes back out (`fn step(tx: Transaction) ->
Result<Transaction>`), pools and pool clones, data read through a handle, `&mut` borrows passed to
helpers, methods defined on the libraries' own types, connection managers (`ManageConnection`,
deadpool `Manager`) and request extractors (`FromRequestParts`, `FromRequest`), and code that only
builds for tests unless `--include-tests` is given.
"#;

/// The findings for one summary, given what propagation found.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.provider.is_some() || summary.allowed.contains(&Rule::EscapedHandle) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for flow in &summary.returns {
        let mut related = Vec::new();
        let mut headline: Option<(HandleKind, Via)> = None;
        for &o in &flow.origins {
            let origin = &summary.origins[o];
            let Some((kind, through)) = facts.escaping(&origin.kind) else {
                continue;
            };
            let via = match (&origin.kind, through) {
                (OriginKind::WithBound(_), _) => Via::With,
                (OriginKind::Enter(_), Some(key)) => Via::Scope(facts.name(key), facts.closes(key)),
                (_, Some(key)) => Via::Call(facts.name(key)),
                _ => Via::Acquired,
            };
            let label = match &via {
                Via::Acquired => format!("{} {} here", kind.noun(), participle(kind)),
                Via::With => format!("{} bound here; the block closes it on exit", kind.noun()),
                Via::Scope(f, how) => format!(
                    "{} bound here by `{f}`, which closes it on exit{}",
                    kind.noun(),
                    how.map_or(String::new(), |h| format!(" ({})", h.phrase()))
                ),
                Via::Call(f) => format!("{} comes from `{f}`, which lets it escape", kind.noun()),
            };
            // The headline names the most direct cause: this function's own scope first.
            if headline.as_ref().is_none_or(|(_, v)| v.rank() > via.rank()) {
                headline = Some((kind, via));
            }
            related.push(Label {
                span: origin.span.clone(),
                message: label,
            });
        }
        if let Some((kind, via)) = headline {
            findings.push(finding(summary, flow.span.clone(), kind, &via, related));
        }
    }
    findings
}

/// How the returned handle was obtained.
enum Via {
    Acquired,
    With,
    Scope(String, Option<crate::summary::ReleaseHow>),
    Call(String),
}

impl Via {
    fn rank(&self) -> u8 {
        match self {
            Via::Acquired | Via::With => 0,
            Via::Scope(..) => 1,
            Via::Call(_) => 2,
        }
    }
}

fn participle(kind: HandleKind) -> &'static str {
    match kind {
        HandleKind::Connection => "acquired",
        HandleKind::Transaction => "begun",
        HandleKind::Session => "started",
        HandleKind::Cursor => "opened",
        HandleKind::Pool => "created",
    }
}

/// The diagnostic.
fn finding<S: Clone>(
    summary: &FnSummary<S>,
    span: S,
    kind: HandleKind,
    via: &Via,
    related: Vec<Label<S>>,
) -> Finding<S> {
    let noun = kind.noun();
    let (message, help) = match via {
        Via::Acquired => (
            format!("{noun} escapes the function that {} it", kind.obtained()),
            match kind {
                HandleKind::Transaction => {
                    "commit or roll back here and return the data; helpers that \
                    need the transaction take `&mut` to it"
                        .to_string()
                }
                HandleKind::Connection => {
                    "use the connection here and return the data; helpers take \
                    the pool or `&mut` to a connection"
                        .to_string()
                }
                HandleKind::Session => "use the session here and return the data; helpers take \
                    `&mut` to it"
                    .to_string(),
                HandleKind::Cursor => "fetch the rows here and return them".to_string(),
                HandleKind::Pool => "create the pool once, for the application's lifetime, and \
                    hand that out"
                    .to_string(),
            },
        ),
        Via::With | Via::Scope(..) => (
            format!("{noun} escapes the `with` block that closes it"),
            format!(
                "use the {noun} inside the block and return the data it produces; to lend it to \
                 callers, make this function a `@contextmanager` that yields it"
            ),
        ),
        Via::Call(callee) => (
            format!("{noun} from `{callee}` escapes through this function too"),
            match summary.language {
                Language::Rust => format!(
                    "use the {noun} where it is obtained and return the data; if `{callee}` hands \
                     handles out on purpose, mark it and its callers `#[scoped_db::provider]`"
                ),
                Language::Python => format!(
                    "use the {noun} inside a `with` block here and return the data; or turn \
                     `{callee}` into a `@contextmanager` that yields it and use it with `with`"
                ),
            },
        ),
    };
    Finding {
        rule: Rule::EscapedHandle,
        severity: INFO.default_severity,
        function: summary.function.clone(),
        function_span: summary.name_span.clone(),
        message,
        primary: Label {
            span,
            message: format!("returned from `{}`", summary.function),
        },
        related,
        help,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Options, check_sources};

    fn rules(src: &str) -> Vec<(String, usize)> {
        let report = check_sources(&[("src/db.rs", src)], &Options::default());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report
            .findings
            .iter()
            .map(|(_, f)| (f.function.clone(), f.primary.span.start.line))
            .collect()
    }

    #[test]
    fn fires_on_a_transaction_returned_from_the_function_that_began_it() {
        let src = r#"
use sqlx::{PgPool, Postgres, Transaction};
struct Store { pool: PgPool }
impl Store {
    async fn open(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        let tx = self.pool.begin().await?;
        Ok(tx)
    }
}
"#;
        assert_eq!(rules(src), [("Store::open".to_string(), 7)]);
    }

    #[test]
    fn passes_a_transaction_passed_in_and_passed_back() {
        let src = r#"
use sqlx::{Postgres, Transaction};
async fn step(mut tx: Transaction<'static, Postgres>) -> sqlx::Result<Transaction<'static, Postgres>> {
    sqlx::query("select 1").execute(&mut *tx).await?;
    Ok(tx)
}
"#;
        assert!(rules(src).is_empty());
    }

    #[test]
    fn passes_a_domain_transaction_and_a_map_lookup() {
        let src = r#"
use rustc_hash::FxHashMap as HashMap;
struct Transaction { id: u64 }
struct Ledger { open: HashMap<u64, Transaction>, pool: Pool }
impl Ledger {
    fn begin(&mut self) -> Transaction { Transaction { id: 1 } }
    fn get(&self, id: u64) -> Option<&Transaction> { self.open.get(&id) }
    fn conn(&self) -> Conn { self.pool.get().unwrap() }
}
"#;
        assert!(rules(src).is_empty());
    }

    #[test]
    fn wrappers_are_reported_across_calls_with_the_callee_named() {
        let src = r#"
use sqlx::PgPool;
async fn open(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    pool.acquire().await
}
async fn open_twice(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    let c = open(pool).await?;
    Ok(c)
}
"#;
        let report = check_sources(&[("src/db.rs", src)], &Options::default());
        let wrapper = &report.findings[1].1;
        assert_eq!(wrapper.function, "open_twice");
        assert!(wrapper.related[0].message.contains("`open`"), "{wrapper:?}");
    }
}
