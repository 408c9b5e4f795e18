//! Call resolution in one place, for Rust: what a call site calls ([`Callee`]) and what else it
//! does to its receiver or arguments ([`Effects`]), from the index and the catalog. The walker
//! ([`crate::rust::flow`]) evaluates receivers and arguments and turns a `Callee` into a value; it never
//! matches a name against a table itself.
//!
//! "Unknown" is an answer: it links to nothing. A function of the run is linked only when the
//! index resolves the path or the receiver's type to it ([`Index::free_fn`], [`Index::assoc_fn`],
//! [`Index::method`]).

use crate::ids::FnKey;
use crate::rust::catalog::{self, CatalogType, Role};
use crate::rust::index::{Index, Method};
use crate::rust::std_model;
use crate::rust::types::{NameScope, Ty};

/// What a call calls.
#[derive(Debug)]
pub(crate) enum Callee {
    /// A catalog call that produces a catalog type: an acquisition when it is a handle
    /// (`pool.begin()`, `PgPool::acquire(&pool)`).
    Catalog(CatalogType),
    /// The project's own pool from the configuration (`broker.checkout()`): a connection.
    ConfiguredPool,
    /// Functions of the run, and the type they declare they return.
    Project(Vec<FnKey>, Option<Ty>),
    /// Data read through a handle (`tx.query_opt(..)`, `conn.execute(..)`): holds nothing of it.
    Data,
    /// A value of a known type that holds nothing new: a catalog constructor (`PgPool::connect`),
    /// a collection accessor (`map.get(k)`), a lazy cell (`POOL.get()`).
    Typed(Ty),
    /// The receiver itself, now typed as this: `unwrap`, `clone`, `as_mut`, `map_err`.
    Receiver(Option<Ty>),
    /// A lock's guard (`mutex.lock()`): what the lock holds, and whatever the lock carries.
    Guard(Ty),
    /// A value built from the arguments: `Box::new(x)`, `Ok(x)`, a project tuple struct or enum
    /// variant (with its type when the run declares it).
    Wraps(Option<Ty>),
    /// A future wrapper (`tokio::time::timeout(d, fut)`): the last argument's output.
    FutureOutput,
    /// A blocking runner (`spawn_blocking(move || ..)`): what the closure it is given returns.
    RunsClosure,
    /// A pooled object that runs the closure it is given on its connection (deadpool-sqlite
    /// `conn.interact(|c| ..)`): the closure's parameter is a borrow of that connection, of this
    /// type when the catalog knows it, and the call gives what the closure returns.
    RunsOnConnection(Option<Ty>),
    /// Nothing known; `std` when it is the standard library's (which moves values around and
    /// acquires nothing).
    Unknown { std: bool },
}

/// What a call does besides giving its value.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Commits or rolls back the receiver (`tx.commit()`).
    pub finishes: bool,
    /// Keeps its by-value arguments in the receiver (`conns.push(c)`).
    pub stores: bool,
    /// Makes its first argument (a path call) or receiver (a method call) never return to its
    /// pool: how, as the finding names it (`std::mem::forget`, `PoolConnection::detach`); and
    /// whether that value is a handle whatever it carries.
    pub leaks: Option<(String, bool)>,
    /// Begins a transaction held by the receiver (mongodb `session.start_transaction()`), in
    /// this library.
    pub begins_on_receiver: Option<&'static str>,
}

impl Index {
    /// What `recv.name(..)` calls and does, given the receiver's type when it is known.
    pub(crate) fn method_callee(
        &self,
        recv: Option<&Ty>,
        name: &str,
        pools: &[(String, Vec<String>)],
    ) -> (Callee, Effects) {
        let mut effects = Effects {
            finishes: catalog::FINISH_METHODS.contains(&name),
            stores: catalog::STORE_METHODS.contains(&name),
            ..Effects::default()
        };
        if let Some(ct) = recv.and_then(|t| self.catalog(t)) {
            let (library, ty_name) = (ct.family.library, ct.entry.name);
            if catalog::LEAK_METHODS
                .iter()
                .any(|(l, t, m)| *l == library && *t == ty_name && *m == name)
            {
                effects.leaks = Some((format!("{ty_name}::{name}"), true));
            }
            if catalog::BEGINS_ON_RECEIVER
                .iter()
                .any(|(l, t, m)| *l == library && *t == ty_name && *m == name)
            {
                effects.begins_on_receiver = Some(library);
            }
        }
        (self.method_value(recv, name, pools), effects)
    }

    fn method_value(
        &self,
        recv: Option<&Ty>,
        name: &str,
        pools: &[(String, Vec<String>)],
    ) -> Callee {
        if let Some(recv) = recv {
            let owner = self.receiver(recv);
            if pools
                .iter()
                .any(|(ty, methods)| ty == owner.last() && methods.iter().any(|m| m == name))
            {
                return Callee::ConfiguredPool;
            }
            match self.method(recv, name) {
                Some(Method::Catalog(produced)) => return Callee::Catalog(produced),
                Some(Method::Project(fns, ret)) => return Callee::Project(fns, ret),
                Some(Method::Typed(ty)) => return Callee::Typed(ty),
                None => {}
            }
            if let Some(ct) = self.catalog(recv)
                && let Some(runner) = catalog::CONNECTION_RUNNERS.iter().find(|r| {
                    r.library == ct.family.library && r.on == ct.entry.name && r.method == name
                })
            {
                return Callee::RunsOnConnection(
                    runner
                        .param
                        .map(|(krate, ty)| Ty::named(vec![krate.to_string(), ty.to_string()])),
                );
            }
            if catalog::READ_METHODS.contains(&name) && self.catalog(recv).is_some() {
                return Callee::Data;
            }
            // `POOL.get()` on a `OnceCell<PgPool>`: an `Option` of what the cell holds; a lock's
            // guard gives what the lock holds.
            if let Some(inner) = owner.first_arg() {
                if std_model::LOCKS.contains(&owner.last())
                    && std_model::LOCK_METHODS.contains(&name)
                {
                    return Callee::Guard(inner.clone());
                }
                if std_model::LAZY_CELLS.contains(&owner.last()) {
                    return Callee::Typed(match name {
                        "get" => Ty {
                            path: vec!["Option".into()],
                            args: vec![inner.clone()],
                        },
                        _ => inner.clone(),
                    });
                }
            }
        }
        if std_model::CARRIER_METHODS.contains(&name) {
            return Callee::Receiver(match name {
                "unwrap" | "expect" | "unwrap_or" | "unwrap_or_else" | "unwrap_or_default"
                | "unwrap_unchecked" => recv.and_then(|t| self.unwrap_ty(t)),
                _ => recv.cloned(),
            });
        }
        // Builders return themselves.
        if let Some(recv) = recv
            && self
                .catalog(recv)
                .is_some_and(|ct| ct.role() == Role::Builder)
        {
            return Callee::Typed(self.receiver(recv));
        }
        Callee::Unknown { std: false }
    }

    /// What a call of the path `func` calls and does, read in `scope`.
    pub(crate) fn path_callee(&self, scope: &NameScope, func: &syn::Path) -> (Callee, Effects) {
        let written: Vec<String> = func.segments.iter().map(|s| s.ident.to_string()).collect();
        let mut effects = Effects::default();
        let Some(name) = written.last().map(String::as_str) else {
            return (Callee::Unknown { std: true }, effects);
        };
        let canonical = scope.absolute(&written);
        let root = canonical.first().map(String::as_str).unwrap_or("");
        // `mem::forget(conn)`, `Box::leak(Box::new(conn))`, `ManuallyDrop::new(conn)`: a leak
        // of a handle only when the argument is typed as one or carries one.
        if let [.., owner, last] = canonical.as_slice()
            && catalog::LEAK_FUNCTIONS.contains(&(owner.as_str(), last.as_str()))
        {
            effects.leaks = Some((format!("{owner}::{last}"), false));
        }
        // Containers and variants of `Result`/`Option`: the value is what goes in.
        let owner = match written.as_slice() {
            [.., owner, _] => owner.as_str(),
            _ => "",
        };
        if std_model::CONTAINER_CONSTRUCTORS.iter().any(|(o, n)| {
            (written.len() == 1 && *o == name && n.is_empty()) || (*o == owner && *n == name)
        }) {
            return (Callee::Wraps(None), effects);
        }
        if std_model::BLOCKING_RUNNERS
            .iter()
            .any(|(krate, n)| *krate == root && *n == name)
        {
            return (Callee::RunsClosure, effects);
        }
        if std_model::FUTURE_WRAPPERS
            .iter()
            .any(|(krate, n)| *krate == root && *n == name)
        {
            return (Callee::FutureOutput, effects);
        }
        // `PgPool::begin(&pool)`, `sqlx::Acquire::begin(&mut conn)`, `Self::open(..)`.
        if written.len() >= 2 {
            let owner_path = syn::Path {
                leading_colon: None,
                segments: func
                    .segments
                    .iter()
                    .take(func.segments.len() - 1)
                    .cloned()
                    .collect(),
            };
            let owner_ty = self.expand(&scope.resolve_path(&owner_path));
            if let Some(ct) = self.catalog(&owner_ty) {
                let (library, ty_name) = (ct.family.library, ct.entry.name);
                if catalog::LEAK_METHODS
                    .iter()
                    .any(|(l, t, m)| *l == library && *t == ty_name && *m == name)
                {
                    effects.leaks = Some((format!("{ty_name}::{name}"), true));
                }
                if let Some(produced) = ct.method(name) {
                    return (Callee::Catalog(produced), effects);
                }
                if matches!(ct.role(), Role::Pool | Role::Builder) {
                    // `PgPool::connect(..)`, `PgPoolOptions::new()`.
                    return (Callee::Typed(owner_ty), effects);
                }
            }
            if let Some(Method::Project(fns, ret)) = self.assoc_fn(&owner_ty, name) {
                return (Callee::Project(fns, ret), effects);
            }
        }
        // A tuple struct or enum variant of the project: a wrapper holds what goes in.
        if name.starts_with(|ch: char| ch.is_uppercase()) {
            let ty = scope.resolve_path(func);
            return (
                Callee::Wraps(self.is_local_struct(&ty).then_some(ty)),
                effects,
            );
        }
        let decls = self.free_fn(&canonical);
        if decls.is_empty() {
            let std = matches!(root, "std" | "core" | "alloc");
            return (Callee::Unknown { std }, effects);
        }
        let ret = decls.iter().find_map(|d| d.ret.clone());
        let fns = decls.iter().map(|d| d.key.clone()).collect();
        (Callee::Project(fns, ret), effects)
    }

    /// `T` from `Result<T, E>`, `Option<T>` (through aliases); anything else is itself.
    pub(crate) fn unwrap_ty(&self, ty: &Ty) -> Option<Ty> {
        let expanded = self.expand(ty);
        if matches!(expanded.last(), "Result" | "Option" | "Poll") {
            expanded.first_arg().cloned()
        } else {
            Some(expanded)
        }
    }
}

/// Whether `recv.name(|x| ..)` hands the receiver's value to its closure (`map`, `and_then`).
pub(crate) fn maps_into_closure(name: &str) -> bool {
    std_model::MAPPING_METHODS.contains(&name)
}
