//! What SDB006 and SDB007 share: where a function, holding a handle from a pool, reaches that same
//! pool again, directly or through a callee; and which of the two rules each such place is.

use super::RuleInfo;
use crate::finding::{Finding, Label};
use crate::ids::HandleKind;
use crate::propagate::{Facts, PoolFact};
use crate::summary::{FnSummary, HoldFrom, PoolOp, PoolPath, Reach};

/// Which rule a conflict is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Clash {
    /// A statement on the pool while a transaction begun from it is open (SDB006).
    Bypass,
    /// Another handle taken from the pool while one is held (SDB007).
    Nested(HandleKind),
    /// A statement run on the pool itself while a connection from it is held: the pool takes a
    /// second connection for it (SDB007).
    NestedStatement,
}

impl Clash {
    /// Which of two clashes at one place is reported: a bypass, then an explicit acquire.
    fn rank(self) -> u8 {
        match self {
            Clash::Bypass => 0,
            Clash::Nested(_) => 1,
            Clash::NestedStatement => 2,
        }
    }
}

/// One place a function reaches a pool it holds a handle from.
pub(crate) struct Conflict<'a> {
    pub clash: Clash,
    /// Index into the summary's pool accesses.
    pub access: usize,
    /// Index into the summary's holds.
    pub hold: usize,
    pub pool: PoolPath,
    /// Through a callee: its display name, and what it does (where, how deep).
    pub via: Option<(&'a str, &'a PoolFact)>,
    /// A statement run on a connection the function took from the pool (not the pool itself).
    pub second_connection: bool,
    /// The kind of the handle held.
    pub held: HandleKind,
    /// The project function that gave the held handle, when one did (`with get_session() as s`).
    pub given_by: Option<&'a str>,
}

/// The pools a hold's handle came from, its kind, whether a transaction is open on it, and the
/// project function that gave it (if one did).
pub(crate) fn sources<'a, S>(
    flow: &'a crate::summary::PoolFlow<S>,
    facts: &'a Facts,
    h: usize,
) -> Vec<(PoolPath, HandleKind, bool, Option<&'a str>)> {
    let Some(hold) = flow.holds.get(h) else {
        return Vec::new();
    };
    match &hold.from {
        HoldFrom::Pool(p) => vec![(p.clone(), hold.kind, hold.open_transaction, None)],
        HoldFrom::Call(a) => match flow.accesses.get(*a).map(|a| &a.what) {
            Some(Reach::Call { callees, args, .. }) => facts
                .reached(callees, args)
                .filter_map(|(callee, path, fact)| match fact.op {
                    PoolOp::Gives(kind, open) => Some((
                        path,
                        kind,
                        open,
                        Some(facts.names.get(callee).map_or("?", String::as_str)),
                    )),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        HoldFrom::Scope(_) => Vec::new(),
    }
}

/// A pool an access reaches, what it does to it, through which callee, and whether on a second
/// connection.
type Reached<'a> = (PoolPath, PoolOp, Option<(&'a str, &'a PoolFact)>, bool);

/// Every conflict in one summary: at most one per access, a bypass before a nested acquire; an
/// acquire whose connection then runs a bypassing statement is that statement's (SDB006 only).
pub(crate) fn conflicts<'a, S>(summary: &'a FnSummary<S>, facts: &'a Facts) -> Vec<Conflict<'a>> {
    let flow = &summary.pools;
    if flow.accesses.iter().all(|a| a.held.is_empty()) {
        return Vec::new();
    }
    let mut out: Vec<Conflict<'a>> = Vec::new();
    for (i, access) in flow.accesses.iter().enumerate() {
        if access.held.is_empty() {
            continue;
        }
        let reached: Vec<Reached<'a>> = match &access.what {
            Reach::Direct { pool, op, through } => {
                vec![(pool.clone(), *op, None, through.is_some())]
            }
            // A statement on a handle a callee gave: on a connection of the pools it gives from.
            Reach::OnGiven { call } => match flow.accesses.get(*call).map(|a| &a.what) {
                Some(Reach::Call { callees, args, .. }) => facts
                    .reached(callees, args)
                    .filter(|(_, _, fact)| matches!(fact.op, PoolOp::Gives(..)))
                    .map(|(_, path, _)| (path, PoolOp::Statement, None, true))
                    .collect(),
                _ => Vec::new(),
            },
            Reach::Call { callees, args, .. } => facts
                .reached(callees, args)
                .map(|(callee, path, fact)| {
                    let name = facts.names.get(callee).map_or("?", String::as_str);
                    (path, fact.op, Some((name, fact)), false)
                })
                .collect(),
        };
        let mut best: Option<Conflict<'a>> = None;
        for (path, op, via, second) in reached {
            for &h in &access.held {
                for (pool, held, open, given_by) in sources(flow, facts, h) {
                    // A session a callee gave that nothing has used yet holds no connection.
                    if pool != path
                        || (held == HandleKind::Session && access.untouched.contains(&h))
                    {
                        continue;
                    }
                    let clash = match op {
                        PoolOp::Statement if open => Clash::Bypass,
                        // On a second connection the function took: that take is the finding.
                        PoolOp::Statement if second => continue,
                        PoolOp::Statement => Clash::NestedStatement,
                        PoolOp::Acquire(kind) => Clash::Nested(kind),
                        PoolOp::Gives(..) => continue,
                    };
                    let better = best.as_ref().is_none_or(|b| clash.rank() < b.clash.rank());
                    if better {
                        best = Some(Conflict {
                            clash,
                            access: i,
                            hold: h,
                            pool: path.clone(),
                            via,
                            second_connection: second,
                            held,
                            given_by,
                        });
                    }
                }
            }
        }
        out.extend(best);
    }
    // One statement per second connection is enough: the first that bypasses the transaction.
    let mut seen: Vec<usize> = Vec::new();
    out.retain(|c| {
        let second = match &flow.accesses[c.access].what {
            Reach::Direct { through, .. } => *through,
            Reach::OnGiven { call } => Some(*call),
            Reach::Call { .. } => None,
        };
        match (second, c.clash) {
            (Some(t), Clash::Bypass) => {
                let first = !seen.contains(&t);
                seen.push(t);
                first
            }
            _ => true,
        }
    });
    // The acquire whose connection ran a bypassing statement is reported as that statement.
    let subsumed: Vec<usize> = out
        .iter()
        .filter(|c| c.clash == Clash::Bypass)
        .filter_map(|c| match &flow.accesses[c.access].what {
            Reach::Direct { through, .. } => *through,
            Reach::OnGiven { call } => Some(*call),
            Reach::Call { .. } => None,
        })
        .collect();
    out.retain(|c| c.clash == Clash::Bypass || !subsumed.contains(&c.access));
    out
}

/// The finding of `rule` at a conflict: the access is the primary label, the hold the related
/// one.
pub(crate) fn finding<S: Clone>(
    summary: &FnSummary<S>,
    c: &Conflict<'_>,
    info: &RuleInfo,
    (message, label): (String, String),
    held: String,
    help: &str,
) -> Finding<S> {
    Finding {
        rule: info.rule,
        severity: info.default_severity,
        function: summary.function.clone(),
        function_span: summary.name_span.clone(),
        message,
        primary: Label {
            span: summary.pools.accesses[c.access].span.clone(),
            message: label,
        },
        related: vec![Label {
            span: summary.pools.holds[c.hold].span.clone(),
            message: held,
        }],
        help: help.to_string(),
    }
}

/// " (in `inner`, line 12)" for a fact found in another function, else "".
pub(crate) fn inside(function: &str, line: usize, callee: &str) -> String {
    match (function == callee, line) {
        (true, 0) => String::new(),
        (true, line) => format!(" (line {line})"),
        (false, 0) => format!(" (in `{function}`)"),
        (false, line) => format!(" (in `{function}`, line {line})"),
    }
}
