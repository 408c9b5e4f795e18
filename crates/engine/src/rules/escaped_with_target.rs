//! SDB005 escaped-with-target: (Python) the target of a `with` whose context manager could not be
//! resolved is returned or stored from inside the block.

use super::{Rule, RuleInfo, Severity};
use crate::finding::{Finding, Label};
use crate::propagate::Facts;
use crate::summary::{FnSummary, Origin, OriginKind, TargetEvidence};

/// The diagnostic: `flow` is the returned or stored expression; `target` where it is stored.
fn finding<S: Clone>(
    summary: &FnSummary<S>,
    span: S,
    target: Option<&str>,
    callee: Option<String>,
    related: Vec<Label<S>>,
) -> Finding<S> {
    let (message, primary) = match (&callee, target) {
        (None, None) => (
            "the target of a `with` block escapes it; its context manager was not resolved and is \
             assumed to release it on exit"
                .to_string(),
            format!("returned from `{}`", summary.function),
        ),
        (None, Some(t)) => (
            format!(
                "the target of a `with` block is stored in `{t}`, which outlives the block; its \
                 context manager was not resolved and is assumed to release it on exit"
            ),
            format!("stored in `{t}`"),
        ),
        (Some(f), None) => (
            format!("the `with` target that `{f}` returns escapes through this function too"),
            format!("returned from `{}`", summary.function),
        ),
        (Some(f), Some(t)) => (
            format!("the `with` target that `{f}` returns is stored in `{t}`"),
            format!("stored in `{t}`"),
        ),
    };
    Finding {
        rule: Rule::EscapedWithTarget,
        severity: INFO.default_severity,
        function: summary.function.clone(),
        function_span: summary.name_span.clone(),
        message,
        primary: Label {
            span,
            message: primary,
        },
        related,
        help: "use the value inside the `with` block and return the data it produces; to lend it \
               to callers, make this function a `@contextmanager` that yields it; if the manager \
               does not close what it binds, allow the rule on this line"
            .to_string(),
    }
}

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::EscapedWithTarget,
    code: "SDB005",
    name: "escaped-with-target",
    default_severity: Severity::Warning,
    summary: "(Python) the target of a `with` whose context manager could not be resolved is \
              returned or stored from inside the block",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports, in Python, a function that returns (or stores in an attribute of `self`, directly or in
a container there) the target of a `with` block whose context manager scoped-db could not resolve,
from inside the block, when there is evidence that the target is a database handle:
- the manager comes from a database package that the catalog does not model call by call
  (`django.db`, `flask_sqlalchemy`, `MySQLdb`, `pymssql`, `peewee`, `pony.orm`, `cx_Oracle`, ...,
  or a call of a modelled library that the catalog does not list), or
- the block uses the target as one: it calls a DB-API method on it (`execute`, `executemany`,
  `cursor`, `fetchone`/`fetchall`/`fetchmany`, `fetch`/`fetchrow`/`fetchval`, `scalar(s)`,
  `commit`, `rollback`, `callproc`, `copy_*`).

A manager from any other package, from the run itself, or on a receiver of unknown type, whose
target the block does not use as a database handle, is not reported: a UI layout
(`with gr.Row() as row`), an HTTP client or a file looks exactly like that. The manager is assumed
to release its target when the block exits. Functions that only pass such a value on are reported
too, with a pointer to the function they got it from. Managers the catalog resolves are reported
as SDB001 (escaped-handle) instead.

## Why is this bad?
`with` exists so that what it binds is released on exit: a session is closed, a connection goes
back to its pool, a file is closed. Returning the target hands every caller an object that is
already released; it may still look usable until the first query fails or, worse, a pooled
connection is shared by two users. Across the Python libraries checked while building this rule
(SQLAlchemy, asyncpg, psycopg, alembic, FastAPI), the shape never occurs in code that is right.

## Example
```python
from myapp.db import SessionLocal  # outside the run

def get_session():
    with SessionLocal() as session:
        session.execute(text("SET search_path TO app"))
        return session
```

Use instead:
```python
from contextlib import contextmanager

@contextmanager
def get_session():
    with SessionLocal() as session:
        session.execute(text("SET search_path TO app"))
        yield session
```

## Library notes
- Resolved managers are SDB001 (the list is under `scoped-db explain SDB001`: SQLAlchemy, asyncpg,
  aiomysql, asyncmy, psycopg, psycopg_pool, psycopg2, PyMySQL, mysql-connector, aiopg, oracledb,
  Tortoise, databases, aiosqlite, duckdb, pymongo, motor, snowflake, clickhouse-connect,
  clickhouse-driver, vertica); this rule covers the rest.
- Exempt, because they do not close their target: `sqlite3`, `psycopg2` and `pyodbc`
  connections, pyodbc cursors, asyncpg and psycopg `transaction()`, SQLAlchemy `session.begin()`,
  redis clients and pipelines, clickhouse-connect's `get_client()` and clickhouse-driver's
  `Client`, `unittest` `assertRaises`/`assertWarns`/`assertLogs` (and their `Regex` forms),
  `pytest.raises`/`warns`/`deprecated_call`, `warnings.catch_warnings`, `unittest.mock.patch`
  (and `mocker.patch`), `contextlib.nullcontext`, `redirect_stdout`/`redirect_stderr`, `suppress`,
  SQLAlchemy's testing `sql_execution_asserter`.
- Only a manager made by a call in the `with` statement counts: `with lock as held:` binds
  whatever `lock` is, and is left alone.
- Warning by default; `[rules] escaped-with-target = "error"` in `scoped-db.toml` makes it fail
  builds like SDB001.

## Not reported
Targets with no evidence of being a database handle (above); a target used after its block ends
(`return row` after `with gr.Row() as row:`); the items of a destructured target
(`as (f, name)`: data); data read from the target (`return session.get(User, id)`, `return f.read()`, `form["text"]`,
the lines of `for line in f`), targets used only inside the block, targets set into request-scoped
storage for the rest of the block (`scope["astack"] = stack`, `request.state.db = session`), generators that `yield` the target (`@contextmanager` functions are scopes), and
the exempt managers above.
"#;

/// The findings for one summary, given what propagation found.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.provider.is_some() || summary.allowed.contains(&Rule::EscapedWithTarget) {
        return Vec::new();
    }
    let flows = summary
        .returns
        .iter()
        .map(|r| (&r.span, &r.origins, None))
        .chain(
            summary
                .stores
                .iter()
                // Only the object's own attributes: a request's state or an ASGI `scope[..]` set
                // for the rest of the block (`scope["astack"] = stack; await app(..)`) is used
                // while the block still runs.
                .filter(|s| s.target.starts_with("self.") || s.target.starts_with("cls."))
                .map(|s| (&s.span, &s.origins, Some(s.target.as_str()))),
        );
    let mut findings = Vec::new();
    for (span, origins, target) in flows {
        let origins: Vec<&Origin<S>> = origins.iter().map(|&o| &summary.origins[o]).collect();
        // A known handle in the same flow is SDB001's or SDB002's.
        if origins.iter().any(|o| facts.escaping(&o.kind).is_some()) {
            continue;
        }
        let mut callee = None;
        let mut related = Vec::new();
        for origin in origins {
            let Some(through) = facts.with_target(&origin.kind) else {
                continue;
            };
            let message = match (through, &origin.kind) {
                (None, OriginKind::WithTarget(TargetEvidence::DbPackage)) => {
                    "bound here by a database package's context manager that scoped-db does not \
                     model, assumed to release it on exit"
                        .to_string()
                }
                (None, OriginKind::WithTarget(TargetEvidence::DbApiCall)) => {
                    "bound here by a DB-API call on a value of unknown type, assumed to close it \
                     on exit"
                        .to_string()
                }
                (None, _) => "bound here by a context manager that was not resolved; the block \
                              uses it as a database handle"
                    .to_string(),
                (Some(key), _) => {
                    let name = facts.name(key);
                    let label = format!("comes from `{name}`, which returns a `with` target");
                    callee.get_or_insert(name);
                    label
                }
            };
            related.push(Label {
                span: origin.span.clone(),
                message,
            });
        }
        if related.is_empty() {
            continue;
        }
        // The block's own target is the more direct cause.
        if related.iter().any(|l| l.message.starts_with("bound here")) {
            callee = None;
        }
        findings.push(finding(summary, span.clone(), target, callee, related));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::reported;

    fn found(src: &str) -> Vec<String> {
        reported("app/db.py", src, "SDB005")
            .into_iter()
            .map(|f| format!("{} {}", f.function, f.message))
            .collect()
    }

    #[test]
    fn fires_on_a_target_returned_from_an_unresolved_manager() {
        let src = "from myapp.db import SessionLocal\n\
                   def get_session():\n    with SessionLocal() as session:\n        session.commit()\n        return session\n\
                   def wrapper():\n    s = get_session()\n    return s\n";
        let found = found(src);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("get_session the target of a `with` block escapes it"));
        assert!(found[1].contains("that `get_session` returns escapes"));
    }

    #[test]
    fn passes_data_read_inside_and_non_closing_managers() {
        let src = "import sqlite3\nimport pytest\nfrom myapp.db import SessionLocal\n\
                   def count():\n    with SessionLocal() as session:\n        return session.query(1).count()\n\
                   def lite():\n    with sqlite3.connect('x') as conn:\n        return conn\n\
                   def check():\n    with pytest.raises(ValueError) as info:\n        int('x')\n    return info\n\
                   def held(lock):\n    with lock as it:\n        return it\n";
        assert!(found(src).is_empty(), "{:?}", found(src));
    }

    #[test]
    fn resolved_scopes_stay_sdb001() {
        let src = "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\
                   def c():\n    with engine.connect() as conn:\n        return conn\n";
        assert!(found(src).is_empty());
        assert_eq!(reported("app/db.py", src, "SDB001").len(), 1);
    }
}
