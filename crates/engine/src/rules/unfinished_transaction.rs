//! SDB004 unfinished-transaction: a transaction begun in a function is neither committed nor
//! rolled back, nor handed on.

use super::{Rule, RuleInfo, Severity};
use crate::finding::{Finding, Label};
use crate::ids::HandleKind;
use crate::propagate::Facts;
use crate::summary::FnSummary;

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::UnfinishedTransaction,
    code: "SDB004",
    name: "unfinished-transaction",
    default_severity: Severity::Warning,
    summary: "a transaction begun in a function is neither committed nor rolled back, nor handed \
              on, so it silently rolls back when dropped",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports a transaction begun in a function (sqlx, sea-orm, tokio-postgres and postgres, rusqlite,
libsql, duckdb, deadpool-postgres, mongodb's `start_transaction`) that the function never commits or rolls back,
and never moves out of it: not returned, not passed by value to another function, not stored;
likewise a transaction the function gets from a project function that begins one and hands it
over (`let txn = state.connection(&tenant).await?;`, where `connection` is SDB001 or a provider).
Transactions run by a closure (diesel `conn.transaction(|c| ..)`, sea-orm
`db.transaction(|txn| ..)`, `redis::transaction`) commit themselves and are never reported.

## Why is this bad?
Every library here rolls a transaction back when it is dropped unfinished, silently. The writes
look done in the code and in the tests that read them back inside the same transaction, and are
gone in production. mysql_async added `#[must_use]` to its `Transaction` after a user lost days to
this.

## Example
```rust
async fn rename(pool: &PgPool, id: i64, name: &str) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(()) // rolled back here
}
```

Use instead:
```rust
async fn rename(pool: &PgPool, id: i64, name: &str) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
```
A read-only transaction that is meant to end in a rollback says so: `tx.rollback().await?`.

## Library notes
- sqlx: dropping a `Transaction` queues a `ROLLBACK` on its connection.
- sea-orm: dropping a `DatabaseTransaction` rolls it back.
- tokio-postgres, postgres, deadpool-postgres: dropping a `Transaction` rolls it back.
- rusqlite: a `Transaction` rolls back on drop (its default `DropBehavior::Rollback`); so does one
  begun inside deadpool-sqlite's `conn.interact(|conn| ..)`.
- libsql: a local `Transaction` rolls back on drop; a remote one sends a `ROLLBACK` when dropped.
- duckdb: a `Transaction` rolls back on drop (its default `DropBehavior::Rollback`).
- mongodb: a transaction left open when its `ClientSession` is dropped is aborted.
"#;

fn on_drop(library: &str) -> &'static str {
    match library {
        "sqlx" => "dropping a sqlx `Transaction` queues a `ROLLBACK`",
        "sea-orm" => "dropping a sea-orm `DatabaseTransaction` rolls it back",
        "rusqlite" => "a rusqlite `Transaction` rolls back on drop by default",
        "libsql" => "dropping a libsql `Transaction` rolls it back",
        "duckdb" => "a duckdb `Transaction` rolls back on drop by default",
        "mongodb" => "mongodb aborts a transaction left open when the session is dropped",
        "mysql_async" | "mysql" => "dropping a mysql `Transaction` rolls it back",
        _ => "dropping the `Transaction` rolls it back",
    }
}

/// The findings for one summary's unfinished transactions. One a project function handed over
/// counts when that function lets a transaction escape, as propagation found.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.allowed.contains(&Rule::UnfinishedTransaction) {
        return Vec::new();
    }
    summary
        .unfinished
        .iter()
        .filter_map(|u| {
            let (message, primary, related) = match u.through {
                None => (
                    "transaction is begun here but never committed or rolled back".to_string(),
                    format!("begun in `{}`", summary.function),
                    Vec::new(),
                ),
                Some(o) => {
                    let origin = summary.origins.get(o)?;
                    let (HandleKind::Transaction, Some(callee)) = facts.escaping(&origin.kind)?
                    else {
                        return None;
                    };
                    let name = facts.name(callee);
                    (
                        format!("transaction from `{name}` is never committed or rolled back here"),
                        format!("obtained here from `{name}`, which begins it"),
                        Vec::new(),
                    )
                }
            };
            Some(Finding {
                rule: Rule::UnfinishedTransaction,
                severity: INFO.default_severity,
                function: summary.function.clone(),
                function_span: summary.name_span.clone(),
                message,
                primary: Label {
                    span: u.span.clone(),
                    message: primary,
                },
                related,
                help: format!(
                    "commit it (or roll it back explicitly) before it goes out of scope; {}",
                    on_drop(u.library)
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::reported;

    fn unfinished(src: &str) -> Vec<String> {
        reported("src/u.rs", src, "SDB004")
            .into_iter()
            .map(|f| f.function)
            .collect()
    }

    #[test]
    fn fires_on_a_transaction_left_to_drop() {
        let src = "use sqlx::PgPool;\nasync fn f(pool: &PgPool) -> sqlx::Result<()> { let mut tx = pool.begin().await?; q(&mut tx).await?; Ok(()) }";
        assert_eq!(unfinished(src), ["f"]);
    }

    #[test]
    fn passes_commits_rollbacks_hand_offs_and_closures() {
        let src = "use sqlx::PgPool;\n\
                   async fn a(pool: &PgPool) -> sqlx::Result<()> { let tx = pool.begin().await?; tx.commit().await }\n\
                   async fn b(pool: &PgPool) -> sqlx::Result<()> { let tx = pool.begin().await?; tx.rollback().await }\n\
                   async fn c(pool: &PgPool) -> sqlx::Result<()> { let tx = pool.begin().await?; finish(tx).await }\n\
                   fn d(conn: &mut diesel::PgConnection) -> QueryResult<()> { conn.transaction(|c| run(c)) }";
        assert!(unfinished(src).is_empty());
    }
}
