//! SDB009 held-across-io: while a database scope is live (a connection, session or transaction
//! the function holds), it waits on a slow external call (an HTTP request, an LLM API call, a
//! sleep, a subprocess), directly or through a callee.

use super::held_pool;
use super::{Rule, RuleInfo, Severity};
use crate::finding::{Finding, Label};
use crate::ids::HandleKind;
use crate::propagate::Facts;
use crate::summary::{FnSummary, HoldFrom, Language, PoolFlow, Wait, WaitOn};

pub static INFO: RuleInfo = RuleInfo {
    rule: Rule::HeldAcrossIo,
    code: "SDB009",
    name: "held-across-io",
    default_severity: Severity::Warning,
    summary: "a connection, session or transaction is held while the function waits on the \
              network, a sleep or a subprocess",
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Reports a call that waits on something slow outside the database (an HTTP request, an LLM API
call, a sleep, a subprocess) made while the function holds a database scope: inside
`with engine.begin() as conn:`, `async with session.begin():` or `with SessionLocal() as
session:` once the session has run a statement, while a connection acquired from a pool is
still held (`conn = await pool.acquire()`, a FastAPI `Depends(get_session)` session that has
run a query), or while a Rust transaction (`pool.begin()`, `conn.transaction()`) or pooled
connection (`pool.get()`, `pool.acquire()`) is live. A call of a project function that makes
such a call, at any depth, counts too: the message names the slow call and the line inside the
callee.

The slow calls are a catalog, each read at a version: requests, httpx, aiohttp, urllib3 and
`urllib.request`; the OpenAI and Anthropic SDKs' clients; Stripe's API; the MCP SDK's
transports and `ClientSession`; `time.sleep`, `asyncio.sleep` (a
constant zero sleep is a yield, not a wait) and `subprocess`; in Rust reqwest, ureq,
`tokio::time::sleep` and `std::thread::sleep`. A client is known by its type: what made it
(`httpx.AsyncClient()`, `OpenAI()`, `reqwest::Client::new()`), an annotation, or a struct
field's declared type. A project function named like an HTTP call is not one.

## Why is this bad?
The connection stays checked out of the pool for as long as the call takes, and an open
transaction stays open on the server: seconds for an LLM call or a slow backend. Under load the
pool runs dry (SQLAlchemy's "QueuePool limit ... reached"), requests queue behind connections
that do nothing, and PostgreSQL accumulates `idle in transaction` sessions holding locks and
snapshots (IBM mcp-context-forge #2323 and #2550, paperless-ngx #12983, chatwoot #13559). A
scope that only read data before the call is still reported: the connection is held all the
same.

## Example
```python
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine


async def sync_user(engine: AsyncEngine, client: httpx.AsyncClient, user_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(LOCK_USER, {"id": user_id})
        profile = await client.get(f"/users/{user_id}")  # the transaction waits on the network
        await conn.execute(SAVE_PROFILE, profile.json())
```

Use instead:
```python
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine


async def sync_user(engine: AsyncEngine, client: httpx.AsyncClient, user_id: int) -> None:
    profile = await client.get(f"/users/{user_id}")
    async with engine.begin() as conn:
        await conn.execute(LOCK_USER, {"id": user_id})
        await conn.execute(SAVE_PROFILE, profile.json())
```
Make the slow call before the scope opens, or end the scope (commit, close, leave the `with`
block, drop the connection) before it, and open a new one for what comes after.

## Library notes
- SQLAlchemy: a `Session` checks out its connection at its first statement and keeps it until
  `commit()`, `rollback()` or `close()`; a session that has run nothing yet holds nothing and is
  not reported.
- asyncpg, aiomysql, aiopg, psycopg_pool: an acquired connection is out of the pool until it is
  released.
- sqlx, sea-orm, deadpool, bb8, r2d2, diesel-async: a transaction or pooled connection goes back
  when it is committed, rolled back or dropped.
- A client's methods that do not touch the network (`build_request`, `with_options`) are not
  slow; `asyncio.sleep(0)` is not slow.
"#;

/// The findings for one summary.
pub(crate) fn check<S: Clone>(summary: &FnSummary<S>, facts: &Facts) -> Vec<Finding<S>> {
    if summary.allowed.contains(&Rule::HeldAcrossIo) {
        return Vec::new();
    }
    let flow = &summary.pools;
    let mut out = Vec::new();
    for wait in flow.waits.iter().filter(|w| !w.scopes.is_empty()) {
        let (api, via) = match &wait.on {
            WaitOn::Slow(api) => (api.as_str(), None),
            WaitOn::Call(callees) => {
                let Some(fact) = facts.slow_call(callees) else {
                    continue;
                };
                let callee = callees
                    .iter()
                    .find(|k| facts.slow_call(std::slice::from_ref(*k)) == Some(fact))
                    .and_then(|k| facts.names.get(k))
                    .map_or("?", String::as_str);
                (fact.api.as_str(), Some((callee, fact)))
            }
        };
        let Some((hold, scope)) = wait
            .scopes
            .iter()
            .find_map(|&h| describe(flow, facts, wait, h).map(|d| (h, d)))
        else {
            continue;
        };
        let (message, label) = match via {
            Some((callee, fact)) => (
                format!(
                    "`{callee}` waits on `{api}`{} while {scope} is held",
                    held_pool::inside(&fact.function, fact.line, callee)
                ),
                format!("`{callee}` waits on `{api}`"),
            ),
            None => (
                format!("`{api}` is waited on while {scope} is held"),
                format!("waits on `{api}`"),
            ),
        };
        let help = match summary.language {
            Language::Python => {
                "make the call before the scope opens, or end it first (commit, close, leave the \
                 `with` block) and open another for what follows"
            }
            Language::Rust => {
                "make the call before taking the connection or beginning the transaction, or \
                 commit (or drop the connection) first and take another for what follows"
            }
        };
        out.push(super::finding(
            summary,
            &INFO,
            message,
            Label {
                span: wait.span.clone(),
                message: label,
            },
            vec![Label {
                span: flow.holds[hold].span.clone(),
                message: format!("{scope} held from here"),
            }],
            help,
        ));
    }
    out
}

/// "the transaction from `engine`": what the hold `h` is, when it is a database scope (a
/// project scope's `with` only once linked as one; a handle a project call gave only when a
/// callee gives one, and a session only once used).
fn describe<S>(flow: &PoolFlow<S>, facts: &Facts, wait: &Wait<S>, h: usize) -> Option<String> {
    let hold = flow.holds.get(h)?;
    let kind = |k: HandleKind, open: bool| match (k, open) {
        (_, true) | (HandleKind::Transaction, _) => "the transaction",
        (HandleKind::Session, _) => "the session",
        _ => "the connection",
    };
    match &hold.from {
        HoldFrom::Pool(pool) => Some(format!(
            "{} from `{}`",
            kind(hold.kind, hold.open_transaction),
            pool.display()
        )),
        HoldFrom::Call(_) => {
            let (_, k, open, giver) = held_pool::sources(flow, facts, h)
                .into_iter()
                .find(|(_, k, _, _)| *k != HandleKind::Session || !wait.untouched.contains(&h))?;
            Some(format!(
                "{} given by `{}`",
                kind(k, open),
                giver.unwrap_or("?")
            ))
        }
        HoldFrom::Scope(keys) if keys.is_empty() => {
            Some(kind(hold.kind, hold.open_transaction).to_string())
        }
        HoldFrom::Scope(keys) if facts.is_scope(keys) => {
            let giver = keys
                .iter()
                .find_map(|k| facts.names.get(k))
                .map_or("?", String::as_str);
            Some(format!(
                "{} given by `{giver}`",
                kind(hold.kind, hold.open_transaction)
            ))
        }
        HoldFrom::Scope(_) => None,
    }
}
