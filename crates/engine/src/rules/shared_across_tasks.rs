//! SDB008 shared-across-tasks: one session or connection given to coroutines that run at once
//! (`asyncio.gather`), each of which runs statements on it.

use super::{Rule, RuleInfo, Severity};
use crate::finding::{Finding, Label};
use crate::propagate::Facts;
use crate::summary::{CoroRun, FnSummary, ShareHow};

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::SharedAcrossTasks,
    code: "SDB008",
    name: "shared-across-tasks",
    default_severity: Severity::Error,
    summary: "one session or connection is used by coroutines that run at once",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports coroutines of the project that run at once and are given the same session, connection
or cursor, each running statements on it, directly or through the functions they call: two
calls of one `asyncio.gather(..)` given it (`gather(load_user(session, uid), load_orders(session,
uid))`), one call made for each item of a comprehension (`gather(*[load(session, i) for i in
ids])`), coroutines kept in a local and gathered later, the coroutines given to `asyncio.wait`
or `as_completed`, tasks made by `create_task` (or in a `TaskGroup`) while another task given it
has not been awaited yet, one such task made in a loop and not awaited in it, and a statement the
function runs itself on it while a task given it is still running. The same value is the same
local, parameter or attribute path (`self.session`); a coroutine that is given it but only reads
an attribute of it, or passes it nowhere that runs a statement, does not count. Engines, pools and session factories are safe to share: a coroutine given one opens a
session or connection of its own, and is never reported.

A handle is known by its type: an annotation (`session: AsyncSession`, `conn:
asyncpg.Connection`), or what made it (`async with engine.connect() as conn`, `async with
SessionLocal() as session`); a coroutine's untyped parameter counts when it is given one.

## Why is this bad?
A session or connection runs one statement at a time. Coroutines gathered together interleave
at every `await`, so the second one's statement starts while the first one's is in flight:
SQLAlchemy raises "This session is provisioning a new connection; concurrent operations are not
permitted" (or, worse, interleaves their statements and their transaction state), asyncpg raises
"another operation is in progress", aiomysql and psycopg corrupt the protocol state. SQLAlchemy's
maintainer calls concurrent use of one session "a programming error" (sqlalchemy #10092); it
passes tests that gather one coroutine, and fails under real data.

## Example
```python
import asyncio

from sqlalchemy.ext.asyncio import AsyncSession


async def load_user(session: AsyncSession, user_id: int):
    return await session.get(User, user_id)


async def load_orders(session: AsyncSession, user_id: int):
    return (await session.scalars(select(Order).where(Order.user_id == user_id))).all()


async def profile(session: AsyncSession, user_id: int):
    return await asyncio.gather(load_user(session, user_id), load_orders(session, user_id))
```

Use instead:
```python
import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def load_user(factory: async_sessionmaker[AsyncSession], user_id: int):
    async with factory() as session:
        return await session.get(User, user_id)


async def load_orders(factory: async_sessionmaker[AsyncSession], user_id: int):
    async with factory() as session:
        return (await session.scalars(select(Order).where(Order.user_id == user_id))).all()


async def profile(factory: async_sessionmaker[AsyncSession], user_id: int):
    return await asyncio.gather(load_user(factory, user_id), load_orders(factory, user_id))
```
Give each coroutine its own session (from the factory, or the pool), or await them one after
the other on the one session.

## Library notes
- SQLAlchemy `AsyncSession`, `AsyncConnection`: not safe for concurrent tasks; an `AsyncEngine`
  and an `async_sessionmaker` are.
- asyncpg, aiomysql, aiopg, aiosqlite, psycopg (async): a connection runs one query at a time;
  a pool is safe to share.
- A task is running from its `create_task` until it is awaited by the name it is bound to,
  awaited through `gather`/`wait`/`wait_for`/`shield`, or its `TaskGroup` block ends. anyio's
  `start_soon(f, session)` (a function and its arguments, not a coroutine) is not read yet.
"#;

/// The findings for one summary.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.allowed.contains(&Rule::SharedAcrossTasks) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut reported: Vec<String> = Vec::new();
    for share in &summary.pools.shares {
        // Each value (with the field path a callee runs statements on), and the coroutines
        // that run statements on it.
        let mut users: Vec<(String, String, usize, Vec<usize>)> = Vec::new();
        for (i, run) in share.runs.iter().enumerate() {
            for arg in &run.args {
                // The function's own statement on it (beside a task it gave it to).
                let used = if run.callees.is_empty() {
                    vec![Vec::new()]
                } else {
                    facts.runs_on_slot(&run.callees, &arg.slot, arg.handle)
                };
                for fields in used {
                    let key = format!("{}.{}", arg.key, fields.join("."));
                    let display = std::iter::once(arg.display.as_str())
                        .chain(fields.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(".");
                    let weight = if run.many { 2 } else { 1 };
                    match users.iter_mut().find(|u| u.0 == key) {
                        Some(u) => {
                            if !u.3.contains(&i) {
                                u.2 += weight;
                                u.3.push(i);
                            }
                        }
                        None => users.push((key, display, weight, vec![i])),
                    }
                }
            }
        }
        let Some((_, display, _, runs)) = users.into_iter().find(|u| u.2 >= 2) else {
            continue;
        };
        // One finding per value in a function: the first place its uses meet.
        if reported.contains(&display) {
            continue;
        }
        reported.push(display.clone());
        let name = |r: &CoroRun<S>| {
            r.callees
                .first()
                .and_then(|k| facts.names.get(k))
                .map_or("?", String::as_str)
                .to_string()
        };
        let first = &share.runs[runs[0]];
        let second = runs.get(1).map(|&i| &share.runs[i]);
        let (message, primary) = match (share.how, second) {
            (ShareHow::Beside, Some(_)) => (
                format!(
                    "`{display}` is used here while the task running `{}` still uses it",
                    name(first)
                ),
                format!("runs a statement on `{display}`"),
            ),
            (ShareHow::Wait, Some(second)) => (
                format!(
                    "`{display}` is used by `{}` and `{}`, which this call runs at once",
                    name(first),
                    name(second)
                ),
                "runs them at once".to_string(),
            ),
            (ShareHow::Wait, None) => (
                format!(
                    "`{display}` is used by every `{}` this call runs at once",
                    name(first)
                ),
                "runs them at once".to_string(),
            ),
            (ShareHow::Gather, Some(second)) if name(first) == name(second) => (
                format!(
                    "`{display}` is used by two `{}` calls this `gather` runs at once",
                    name(first)
                ),
                "runs them at once".to_string(),
            ),
            (ShareHow::Gather, Some(second)) => (
                format!(
                    "`{display}` is used by `{}` and `{}`, which this `gather` runs at once",
                    name(first),
                    name(second)
                ),
                "runs them at once".to_string(),
            ),
            (_, Some(second)) if name(first) == name(second) => (
                format!(
                    "`{display}` is used by two `{}` tasks that run at once",
                    name(first)
                ),
                "made while the other still runs".to_string(),
            ),
            (_, Some(second)) => (
                format!(
                    "`{display}` is used by `{}` and `{}`, tasks that run at once",
                    name(first),
                    name(second)
                ),
                "made while the other still runs".to_string(),
            ),
            (ShareHow::Gather, None) => (
                format!(
                    "`{display}` is used by every `{}` this `gather` runs at once",
                    name(first)
                ),
                "runs them at once".to_string(),
            ),
            (_, None) => (
                format!(
                    "`{display}` is used by every `{}` task this loop makes, which run at once",
                    name(first)
                ),
                "a task per iteration, not awaited in it".to_string(),
            ),
        };
        let mut related = vec![Label {
            span: first.span.clone(),
            message: format!("`{}` runs statements on `{display}`", name(first)),
        }];
        if let Some(r) = second
            && !r.callees.is_empty()
        {
            related.push(Label {
                span: r.span.clone(),
                message: format!("so does `{}`, at the same time", name(r)),
            });
        }
        out.push(super::finding(
            summary,
            &INFO,
            message,
            Label {
                span: share.span.clone(),
                message: primary,
            },
            related,
            "give each coroutine its own session or connection (from the session factory or the \
             pool), or await them one after the other",
        ));
    }
    out
}
