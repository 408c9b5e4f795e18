//! SDB002 stored-handle: a handle obtained in a function is stored where it outlives it.

use super::{Rule, RuleInfo, Severity};
use crate::finding::{Finding, Label};
use crate::propagate::Facts;
use crate::summary::{FnSummary, OriginKind};

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::StoredHandle,
    code: "SDB002",
    name: "stored-handle",
    default_severity: Severity::Warning,
    summary: "a handle obtained in a function is stored where it outlives the function: a field, a \
              global, a collection owned elsewhere",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports a handle obtained in a function that is stored where it outlives the scope that manages
it: an attribute of `self` or of a parameter, a module global, or a container the function does
not own (`self.connections.append(conn)`).

In Rust: a handle acquired in the function (or received from a function that lets one escape)
assigned to a field of `self` or of a parameter, pushed or inserted into a collection the function
does not own, or set into a static (`OnceCell::set`, `OnceLock::set`, a `lazy_static!` or
`thread_local!` cell). Moving it into request extensions (`req.extensions_mut().insert(conn)`) is
request-scoped by design and not reported.

In Python: the target of `with`/`async with` over a scope that closes it on exit (SQLAlchemy
`engine.begin()`, asyncpg `pool.acquire()`, a project `@contextmanager` that yields a connection)
stored anywhere that outlives the block.

## Why is this bad?
The scope closes the handle when the block exits, but the stored reference lives on: the next use
through it fails with "connection is closed", or worse, uses a connection the pool has already
handed to someone else. Where the scope does not close it, a stored handle is never returned and
the pool starves.

## Example
```rust
impl Worker {
    async fn start(&mut self) -> sqlx::Result<()> {
        self.conn = Some(self.pool.acquire().await?); // held for the worker's lifetime
        Ok(())
    }
}
```

```python
class Repository:
    async def connect(self):
        async with self.engine.connect() as conn:
            self.conn = conn
```

Use instead:
```rust
impl Worker {
    async fn tick(&self) -> sqlx::Result<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }
}
```

```python
class Repository:
    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return (await conn.execute(text("select count(*) from t"))).scalar_one()
```
Keep the engine (or pool, or session factory) in the object and open a scope where the work is
done.

## Library notes
- sqlx: a `PoolConnection` held in a struct keeps one of `max_connections` slots for as long as the
  struct lives; the sqlx maintainers list leaked connections first among causes of `PoolTimedOut`.
- deadpool, bb8, r2d2: the same for their pooled objects.
- SQLAlchemy: a `Connection` or `Session` stored from a `with` block is closed when the block exits;
  later use raises `ResourceClosedError` or silently reconnects outside the transaction.

## Not reported
Handles stored in local variables and containers the function created, values read through the
handle, and handles that came in as parameters.
"#;

/// The findings for one summary's stores.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.allowed.contains(&Rule::StoredHandle) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for store in &summary.stores {
        let mut related = Vec::new();
        let mut headline = None;
        for &o in &store.origins {
            let origin = &summary.origins[o];
            let Some((kind, through)) = facts.escaping(&origin.kind) else {
                continue;
            };
            let scoped = matches!(origin.kind, OriginKind::WithBound(_) | OriginKind::Enter(_));
            let label = match through {
                Some(key) if scoped => format!(
                    "{} bound here by `{}`, which closes it on exit{}",
                    kind.noun(),
                    facts.name(key),
                    facts
                        .closes(key)
                        .map_or(String::new(), |h| format!(" ({})", h.phrase()))
                ),
                Some(key) => format!("{} comes from `{}`", kind.noun(), facts.name(key)),
                None if scoped => {
                    format!("{} bound here; the block closes it on exit", kind.noun())
                }
                None => format!("{} obtained here", kind.noun()),
            };
            headline.get_or_insert((kind, scoped));
            related.push(Label {
                span: origin.span.clone(),
                message: label,
            });
        }
        let Some((kind, scoped)) = headline else {
            continue;
        };
        let noun = kind.noun();
        let (message, help) = if scoped {
            (
                format!(
                    "{noun} is stored in `{}`, which outlives the `with` block that closes it",
                    store.target
                ),
                format!(
                    "keep what opens the {noun} (the engine, pool or session factory) and open a `with` \
                     block where the work is done"
                ),
            )
        } else {
            (
                format!(
                    "{noun} is stored in `{}`, which outlives the function that obtained it",
                    store.target
                ),
                format!("keep the pool and obtain the {noun} where the work is done"),
            )
        };
        findings.push(Finding {
            rule: Rule::StoredHandle,
            severity: INFO.default_severity,
            function: summary.function.clone(),
            function_span: summary.name_span.clone(),
            message,
            primary: Label {
                span: store.span.clone(),
                message: format!("stored in `{}`", store.target),
            },
            related,
            help,
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::reported;

    fn stored(path: &str, src: &str) -> Vec<String> {
        reported(path, src, "SDB002")
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn fires_on_a_connection_parked_in_a_field() {
        let src = "use sqlx::{PgPool, pool::PoolConnection, Postgres};\n\
                   struct W { pool: PgPool, conn: Option<PoolConnection<Postgres>> }\n\
                   impl W { async fn start(&mut self) -> sqlx::Result<()> { self.conn = Some(self.pool.acquire().await?); Ok(()) } }";
        assert_eq!(
            stored("src/w.rs", src),
            ["connection is stored in `self.conn`, which outlives the function that obtained it"]
        );
    }

    #[test]
    fn passes_a_local_collection_and_request_extensions() {
        let src = "use sqlx::PgPool;\n\
                   async fn a(pool: &PgPool) -> sqlx::Result<usize> { let mut v = Vec::new(); v.push(pool.acquire().await?); Ok(v.len()) }\n\
                   async fn b(pool: &PgPool, mut req: Request) { let c = pool.acquire().await.unwrap(); req.extensions_mut().insert(c); }";
        assert!(stored("src/a.rs", src).is_empty());
    }

    #[test]
    fn fires_on_a_python_with_target_kept_on_self() {
        let src = "from sqlalchemy import create_engine\nclass R:\n    def __init__(self):\n        self.engine = create_engine('sqlite://')\n    def keep(self):\n        with self.engine.connect() as conn:\n            self.conn = conn\n";
        assert_eq!(stored("app/r.py", src).len(), 1);
    }
}
