//! SDB003 leaked-handle: a handle is made never to return to its pool.

use super::{Rule, RuleInfo, Severity};
use crate::finding::{Finding, Label};
use crate::propagate::Facts;
use crate::summary::FnSummary;

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::LeakedHandle,
    code: "SDB003",
    name: "leaked-handle",
    default_severity: Severity::Error,
    summary: "a handle is made never to return to its pool: `mem::forget`, `Box::leak`, \
              `ManuallyDrop`, a pool's own leak/detach/take",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports a connection or transaction handle passed to `std::mem::forget`, `Box::leak` or
`ManuallyDrop::new`, or to a pool's own escape hatch: sqlx `PoolConnection::leak` and
`PoolConnection::detach`, deadpool `Object::take`. Only values known to be handles are reported:
the result of an acquisition in the function, of a function that lets one escape, or a value whose
type is a library's handle type.

## Why is this bad?
A pooled connection goes back to its pool when it is dropped. Forgetting or leaking it means it
never does: the pool counts it as checked out forever, and after `max_connections` such calls
every `acquire()` waits until it times out. `detach()` and `take()` are legitimate when the
connection is meant to leave the pool for good (a long-lived listener), but then the pool's size
shrinks for the life of the process, which deserves a reviewed exception.

## Example
```rust
async fn warm_up(pool: &PgPool) -> sqlx::Result<()> {
    let conn = pool.acquire().await?;
    std::mem::forget(conn); // "keep it open"
    Ok(())
}
```

Use instead:
```rust
async fn warm_up(pool: &PgPool) -> sqlx::Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT 1").execute(&mut *conn).await?;
    Ok(()) // dropped: back in the pool, still open
}
```
Size the pool with `min_connections` to keep connections open.

## Library notes
- sqlx: `PoolConnection::leak` returns the raw connection and never releases the slot;
  `detach` releases the slot but closes the connection's tie to the pool.
- deadpool: `Object::take` removes the object from the pool for good.

## Not reported
`forget` of anything that is not known to be a handle (a semaphore permit, an FFI pointer,
`ManuallyDrop` around a foreign type).
"#;

/// The findings for one summary's leaks.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.allowed.contains(&Rule::LeakedHandle) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for leak in &summary.leaks {
        let mut related = Vec::new();
        let mut kind = None;
        for &o in &leak.origins {
            let origin = &summary.origins[o];
            let Some((k, through)) = facts.escaping(&origin.kind) else {
                continue;
            };
            kind.get_or_insert(k);
            let message = match through {
                Some(key) => format!("{} comes from `{}`", k.noun(), facts.name(key)),
                None => format!("{} obtained here", k.noun()),
            };
            related.push(Label {
                span: origin.span.clone(),
                message,
            });
        }
        if kind.is_none() && !leak.typed_handle {
            continue;
        }
        let noun = kind.map_or("handle", |k| k.noun());
        findings.push(Finding {
            rule: Rule::LeakedHandle,
            severity: INFO.default_severity,
            function: summary.function.clone(),
            function_span: summary.name_span.clone(),
            message: format!("{noun} is leaked by `{}` and never returns to its pool", leak.how),
            primary: Label {
                span: leak.span.clone(),
                message: format!("leaked by `{}`", leak.how),
            },
            related,
            help: format!(
                "let the {noun} drop so it goes back to the pool; to keep connections open, size the \
                 pool (`min_connections`) instead"
            ),
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::reported;

    fn leaked(src: &str) -> Vec<String> {
        reported("src/l.rs", src, "SDB003")
            .into_iter()
            .map(|f| f.function)
            .collect()
    }

    #[test]
    fn fires_on_forgetting_an_acquired_connection() {
        let src = "use sqlx::PgPool;\nasync fn f(pool: &PgPool) -> sqlx::Result<()> { let c = pool.acquire().await?; std::mem::forget(c); Ok(()) }";
        assert_eq!(leaked(src), ["f"]);
    }

    #[test]
    fn passes_forgetting_what_is_not_a_handle() {
        let src = "use tokio::sync::Semaphore;\nasync fn f(s: &Semaphore) { let p = s.acquire().await.unwrap(); std::mem::forget(p); }\n\
                   fn g(v: Vec<u8>) -> *mut u8 { let mut v = std::mem::ManuallyDrop::new(v); v.as_mut_ptr() }";
        assert!(leaked(src).is_empty());
    }
}
