//! Call resolution in one place, for Python, as `crate::rust::callee` is for Rust: what a call calls
//! ([`Callee`]), from the run's index (through the module's [`ModuleNames`]) and the catalog. The
//! walker (`flow`) evaluates receivers and arguments and turns a `Callee` into a value; it never
//! matches a name against a table itself.
//!
//! "Unknown" is an answer: it links to nothing. A function of the run is linked only when the
//! index resolves the name or the receiver's class to it.

use super::catalog::{self, LibType, Manager};
use super::names::ModuleNames;
use super::{ClassRef, PyTy, TyExpr};
use crate::ids::FnKey;

/// What a call calls.
#[derive(Debug)]
pub(crate) enum Callee {
    /// A wrapper that gives what its first argument gives (`asyncio.wait_for(coro, timeout)`).
    FirstArgument,
    /// `contextlib.closing(x)`: its `with` binds `x` and closes it.
    Closing,
    /// A library call that makes a scope: `engine.begin()`, `psycopg.connect(..)`, a session
    /// factory called (`SessionLocal()`).
    Scope(Manager),
    /// A library object made by a factory (`create_async_engine(..)`): it holds nothing new.
    Lib(LibType),
    /// A project class called: an instance, holding what it is given; a scope through these
    /// `__aenter__`/`__enter__` methods when it has them.
    Class(ClassRef, Vec<FnKey>),
    /// Functions of the run, and the type they are declared to return.
    Project(Vec<FnKey>, PyTy),
    /// A client of a slow service made (`httpx.AsyncClient()`), by its type's name.
    Client(&'static str),
    /// A method that keeps its arguments in the receiver (`conns.append(c)`).
    Stores,
    Unknown,
}

impl ModuleNames<'_> {
    /// What `recv.method(..)` calls, given the receiver's type.
    pub(crate) fn method_callee(&self, recv: &PyTy, method: &str) -> Callee {
        match recv {
            PyTy::Lib(t) => {
                if let Some(manager) = scope_method(t, method) {
                    return Callee::Scope(manager);
                }
            }
            PyTy::Class(class) => {
                // A class attribute holding a session factory: `self.session_factory()`.
                if let PyTy::Lib(t) = self.index().attr(class, method)
                    && let Some(manager) = callable_scope(t)
                {
                    return Callee::Scope(manager);
                }
                let fns = self.index().method(class, method);
                if let Some(callee) = self.project(fns) {
                    return callee;
                }
            }
            PyTy::Client(_) | PyTy::Unknown => {}
        }
        if catalog::STORE_METHODS.contains(&method) {
            Callee::Stores
        } else {
            Callee::Unknown
        }
    }

    /// What calling a value of type `ty` calls: a session factory held in a variable makes a
    /// scope; anything else is unknown.
    pub(crate) fn value_callee(&self, ty: &PyTy) -> Callee {
        match ty {
            PyTy::Lib(t) => callable_scope(t).map_or(Callee::Unknown, Callee::Scope),
            _ => Callee::Unknown,
        }
    }

    /// What a call of the canonical dotted name `q` calls; `ty_of_name` gives the type of the
    /// value that name holds (a module global such as `SessionLocal = sessionmaker(..)`), asked
    /// only when no library function has that name.
    pub(crate) fn path_callee(&self, q: &[String], ty_of_name: impl FnOnce() -> PyTy) -> Callee {
        let (Some(root), Some(last)) = (q.first(), q.last()) else {
            return Callee::Unknown;
        };
        let (root, last) = (root.as_str(), last.as_str());
        if catalog::AWAIT_WRAPPERS
            .iter()
            .any(|(r, n)| *r == root && *n == last)
        {
            return Callee::FirstArgument;
        }
        if catalog::CLOSING_WRAPPERS
            .iter()
            .any(|(r, n)| *r == root && *n == last)
        {
            return Callee::Closing;
        }
        if let Some(manager) = catalog::find(catalog::SCOPE_FUNCTIONS, root, last) {
            return Callee::Scope(manager);
        }
        if let Some(t) = catalog::find(catalog::FACTORIES, root, last) {
            return Callee::Lib(t);
        }
        if let Some(c) = catalog::slow_client(root, last) {
            return Callee::Client(c.ty);
        }
        if let Callee::Scope(manager) = self.value_callee(&ty_of_name()) {
            return Callee::Scope(manager);
        }
        // Whether it is a class first: a remembered yes or no, where resolving is a walk.
        if self.is_class(q)
            && let PyTy::Class(class) = self.resolve(&TyExpr::Call(q.to_vec()))
        {
            let enters = ["__aenter__", "__enter__"]
                .iter()
                .flat_map(|m| self.index().method(&class, m))
                .map(|(k, _)| k)
                .collect();
            return Callee::Class(class, enters);
        }
        self.project(self.functions(q)).unwrap_or(Callee::Unknown)
    }

    /// Project functions found for a call, with the return type the first declares.
    fn project(&self, fns: Vec<(FnKey, TyExpr)>) -> Option<Callee> {
        let (key, ret) = fns.first()?;
        let ty = self.resolve_in(&key.module, ret);
        Some(Callee::Project(
            fns.into_iter().map(|(k, _)| k).collect(),
            ty,
        ))
    }
}

/// The manager a library object's method makes (`engine.begin()`), if it makes one.
fn scope_method(t: LibType, method: &str) -> Option<Manager> {
    catalog::SCOPE_METHODS
        .iter()
        .find(|(lib, m, _)| *lib == t && *m == method)
        .map(|(_, _, manager)| *manager)
}

/// The manager a library object makes when called (a `sessionmaker`), if it makes one.
fn callable_scope(t: LibType) -> Option<Manager> {
    catalog::CALLABLE_SCOPES
        .iter()
        .find(|(lib, _)| *lib == t)
        .map(|(_, manager)| *manager)
}
