//! Propagation across the whole run: which functions let a handle escape and which are scopes
//! that hand one to a `with` block, as a fixpoint over every summary.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;

use crate::ids::{FnKey, HandleKind, Provider};
use crate::summary::{FnSummary, OriginKind, ScopeRole};

/// What the run knows of its functions once propagation is done.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// Functions that let a handle escape (or hand one out on purpose: providers).
    pub esc: HashMap<FnKey, HandleKind>,
    /// Functions whose result a `with` binds as a handle it manages: `@contextmanager` generators
    /// that yield one, `__enter__` methods that return one, and functions returning one.
    pub scopes: HashMap<FnKey, HandleKind>,
    /// Functions that return the target of a `with` whose manager was not resolved, or what such
    /// a function returns (and let no known handle escape).
    pub with_targets: HashSet<FnKey>,
    /// Display names, for messages.
    pub names: HashMap<FnKey, String>,
}

impl Facts {
    /// The least fixpoint over every summary, by a worklist over call edges: a function is read
    /// again only when a function its results come from has changed, so the cost is linear in
    /// the number of edges.
    pub(crate) fn compute<S>(summaries: &[&FnSummary<S>]) -> Facts {
        let mut facts = Facts {
            names: summaries
                .iter()
                .map(|s| (s.key.clone(), s.function.clone()))
                .collect(),
            ..Facts::default()
        };
        // Who reads whose facts: the callers of each function, by summary.
        let mut callers: HashMap<&FnKey, Vec<usize>> = HashMap::default();
        for (i, s) in summaries.iter().enumerate() {
            for origin in &s.origins {
                if let OriginKind::Call(keys) | OriginKind::Enter(keys) = &origin.kind {
                    for key in keys {
                        let list = callers.entry(key).or_default();
                        if list.last() != Some(&i) {
                            list.push(i);
                        }
                    }
                }
            }
        }
        let mut queue: VecDeque<usize> = (0..summaries.len()).collect();
        let mut queued = vec![true; summaries.len()];
        while let Some(i) = queue.pop_front() {
            queued[i] = false;
            if facts.update(summaries[i]) {
                for &caller in callers.get(&summaries[i].key).into_iter().flatten() {
                    if !queued[caller] {
                        queued[caller] = true;
                        queue.push_back(caller);
                    }
                }
            }
        }
        facts
    }

    /// Reads one summary against what is known; whether that added anything.
    fn update<S>(&mut self, s: &FnSummary<S>) -> bool {
        let mut changed = false;
        if !self.esc.contains_key(&s.key) {
            let own = s
                .returns
                .iter()
                .flat_map(|r| r.origins.iter())
                .find_map(|&o| self.escaping(&s.origins[o].kind).map(|(k, _)| k));
            let kind = match (own, s.provider) {
                (Some(kind), _) => Some(kind),
                // A provider the user declared hands out what it says, or a connection; a
                // library's trait impl (an extractor, a manager) only what its declared return
                // type holds.
                (None, Some(Provider::Attribute | Provider::Configured)) => {
                    Some(s.declared_kind.unwrap_or(HandleKind::Connection))
                }
                (None, Some(_)) => s.declared_kind,
                (None, None) => None,
            };
            if let Some(kind) = kind {
                self.esc.insert(s.key.clone(), kind);
                changed = true;
            }
        }
        if !self.esc.contains_key(&s.key)
            && !self.with_targets.contains(&s.key)
            && s.returns
                .iter()
                .flat_map(|r| r.origins.iter())
                .any(|&o| self.with_target(&s.origins[o].kind).is_some())
        {
            self.with_targets.insert(s.key.clone());
            changed = true;
        }
        if !self.scopes.contains_key(&s.key) {
            let flows = match s.scope {
                ScopeRole::Generator => &s.yields,
                ScopeRole::Enter | ScopeRole::None => &s.returns,
            };
            let kind = flows
                .iter()
                .flat_map(|r| r.origins.iter())
                .find_map(|&o| self.handle(&s.origins[o].kind));
            if let Some(kind) = kind {
                self.scopes.insert(s.key.clone(), kind);
                changed = true;
            }
        }
        changed
    }

    /// The kind of handle an origin holds when it escapes by being returned, and the function it
    /// came through, if any.
    pub(crate) fn escaping<'k>(
        &self,
        kind: &'k OriginKind,
    ) -> Option<(HandleKind, Option<&'k FnKey>)> {
        match kind {
            OriginKind::Acquire(k) | OriginKind::WithBound(k) => Some((*k, None)),
            OriginKind::Call(keys) => keys
                .iter()
                .find_map(|c| self.esc.get(c).map(|k| (*k, Some(c)))),
            OriginKind::Enter(keys) => keys
                .iter()
                .find_map(|c| self.scopes.get(c).map(|k| (*k, Some(c)))),
            OriginKind::Obtained(_) | OriginKind::WithTarget => None,
        }
    }

    /// Whether an origin is the target of an unresolved `with` (directly, or returned by the
    /// function named), when it is no known handle.
    pub(crate) fn with_target<'k>(&self, kind: &'k OriginKind) -> Option<Option<&'k FnKey>> {
        match kind {
            OriginKind::WithTarget => Some(None),
            OriginKind::Call(keys) if self.escaping(kind).is_none() => keys
                .iter()
                .find(|c| self.with_targets.contains(*c))
                .map(Some),
            _ => None,
        }
    }

    /// The kind of handle an origin holds at all, escaping or not.
    fn handle(&self, kind: &OriginKind) -> Option<HandleKind> {
        match kind {
            OriginKind::Obtained(k) => Some(*k),
            OriginKind::Call(keys) => keys
                .iter()
                .find_map(|c| self.esc.get(c).or_else(|| self.scopes.get(c)).copied()),
            other => self.escaping(other).map(|(k, _)| k),
        }
    }

    /// The names of the functions that hand a handle out or are scopes for one, for the
    /// prefilter: a file that calls one of them can matter.
    pub(crate) fn handing_out(&self) -> impl Iterator<Item = &str> {
        self.esc
            .keys()
            .chain(self.scopes.keys())
            .chain(self.with_targets.iter())
            // Free Rust functions: a Python one's name says nothing about a Rust file, and a
            // method is reached through a receiver whose type is named already.
            .filter(|k| {
                k.owner.is_none()
                    && k.module
                        .first()
                        .is_some_and(|m| crate::types::is_crate_root(m))
            })
            .map(|k| k.name.as_str())
    }

    /// The display name of a function.
    pub(crate) fn name(&self, key: &FnKey) -> String {
        self.names
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.name.clone())
    }
}
