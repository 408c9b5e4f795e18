//! What the project names used in one module's function bodies resolve to, asked of the run's
//! index once per module and name: a body names the same few classes, globals and helpers over
//! and over, and each question follows imports through the run.

use std::cell::RefCell;

use rustc_hash::FxHashMap as HashMap;

use super::{PyIndex, PyTy, TyExpr};
use crate::ids::FnKey;

/// Answers by canonical dotted name.
type Table<T> = RefCell<HashMap<Vec<String>, T>>;

/// The answers for one module, from one thread.
pub(crate) struct ModuleNames<'a> {
    index: &'a PyIndex,
    module: &'a [String],
    classes: Table<bool>,
    globals: Table<PyTy>,
    /// Resolved types, by the module they were recorded in.
    types: Table<HashMap<TyExpr, PyTy>>,
    functions: Table<Vec<(FnKey, TyExpr)>>,
}

impl<'a> ModuleNames<'a> {
    pub(crate) fn new(index: &'a PyIndex, module: &'a [String]) -> ModuleNames<'a> {
        ModuleNames {
            index,
            module,
            classes: RefCell::default(),
            globals: RefCell::default(),
            types: RefCell::default(),
            functions: RefCell::default(),
        }
    }

    /// The run's index these answers come from.
    pub(crate) fn index(&self) -> &'a PyIndex {
        self.index
    }

    /// Whether a canonical dotted name is a project class.
    pub(crate) fn is_class(&self, q: &[String]) -> bool {
        memo(&self.classes, q, || self.index.is_class(self.module, q))
    }

    /// The type of a project global by canonical name (`app.db.engine`).
    pub(crate) fn global(&self, q: &[String]) -> PyTy {
        memo(&self.globals, q, || {
            self.index.imported_global(self.module, q)
        })
    }

    /// A type recorded in this module, resolved.
    pub(crate) fn resolve(&self, ty: &TyExpr) -> PyTy {
        self.resolve_in(self.module, ty)
    }

    /// A type recorded in module `from` (a callee's return type), resolved.
    pub(crate) fn resolve_in(&self, from: &[String], ty: &TyExpr) -> PyTy {
        if let Some(hit) = self.types.borrow().get(from).and_then(|t| t.get(ty)) {
            return hit.clone();
        }
        let answer = self.index.resolve(from, ty);
        self.types
            .borrow_mut()
            .entry(from.to_vec())
            .or_default()
            .insert(ty.clone(), answer.clone());
        answer
    }

    /// The project functions a canonical name calls.
    pub(crate) fn functions(&self, q: &[String]) -> Vec<(FnKey, TyExpr)> {
        memo(&self.functions, q, || self.index.functions(self.module, q))
    }
}

fn memo<T: Clone>(table: &Table<T>, q: &[String], ask: impl FnOnce() -> T) -> T {
    if let Some(hit) = table.borrow().get(q) {
        return hit.clone();
    }
    let answer = ask();
    table.borrow_mut().insert(q.to_vec(), answer.clone());
    answer
}
