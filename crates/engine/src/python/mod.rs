//! The Python frontend: the same two passes as Rust, over Ruff's Python syntax tree, into the same
//! summaries, so propagation, suppression and rendering are shared.
//!
//! Pass 1 ([`index`]) records what each module declares: imports, module globals and class
//! attributes with the types their assignments or annotations give them, and function return
//! types. Pass 2 ([`summarize`]) reads each function body with the run's declarations in view.

mod callee;
mod catalog;
mod flow;
mod names;

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::ids::FnKey;
use crate::location::{LineIndex, Location};
use crate::options::{MAX_NESTING, Options, SourceError, depth_bound};
use crate::summary::FnSummary;

pub(crate) use catalog::LibType;
pub(crate) use catalog::{package_roots, slow_roots};

/// A type as pass 1 records it: symbolic, resolved against the whole run when read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TyExpr {
    /// An instance of a project class, by canonical dotted name.
    Class(Vec<String>),
    /// The result of calling something, by canonical dotted name.
    Call(Vec<String>),
    /// The value of `self.<attr>` in a class, by module, class and attribute.
    Attr(Vec<String>, String, String),
    /// The value of a module global, by canonical dotted name.
    Global(Vec<String>),
    /// A tuple's items (`return sessionmaker(bind=engine), engine`).
    Tuple(Vec<TyExpr>),
    /// One item of a tuple-valued type (`SessionLocal, engine = sql_global_init(url)`).
    Item(Box<TyExpr>, usize),
    /// The result of calling a value of this type (`sessionmaker(bind=engine)()`).
    CallOf(Box<TyExpr>),
    /// Whichever of these types is known first: a function's returns, or a local's assignments.
    Join(Vec<TyExpr>),
    Unknown,
}

impl TyExpr {
    /// The join of several types: nothing when none is known, the one when one is.
    fn join(mut tys: Vec<TyExpr>) -> TyExpr {
        tys.retain(|t| *t != TyExpr::Unknown);
        tys.dedup();
        match tys.len() {
            0 => TyExpr::Unknown,
            1 => tys.pop().unwrap_or(TyExpr::Unknown),
            _ => TyExpr::Join(tys),
        }
    }
}

/// How many local assignments deep pass 1 follows a name (`conn = connect(); c = conn; return c`).
const MAX_LOCAL_DEPTH: usize = 4;

/// A function's own assignments, flow-insensitively: each local name and the expressions assigned
/// to it (with the item taken when a tuple is unpacked), for pass 1's return types.
#[derive(Default)]
struct Locals<'e> {
    names: HashMap<String, Vec<(&'e Expr, Option<usize>)>>,
}

impl<'e> Locals<'e> {
    /// A function's locals; its parameters are locals with nothing known assigned.
    fn of_fn(f: &'e ast::StmtFunctionDef) -> Locals<'e> {
        let mut locals = Locals::of(&f.body);
        for p in f.parameters.iter_non_variadic_params() {
            locals
                .names
                .entry(p.parameter.name.to_string())
                .or_default();
        }
        locals
    }

    fn of(body: &'e [Stmt]) -> Locals<'e> {
        let mut names: HashMap<String, Vec<(&'e Expr, Option<usize>)>> = HashMap::default();
        let mut bind = |target: &'e Expr, value: &'e Expr| match target {
            Expr::Name(n) => names
                .entry(n.id.to_string())
                .or_default()
                .push((value, None)),
            Expr::Tuple(t) => {
                for (i, elt) in t.elts.iter().enumerate() {
                    if let Expr::Name(n) = elt {
                        names
                            .entry(n.id.to_string())
                            .or_default()
                            .push((value, Some(i)));
                    }
                }
            }
            _ => {}
        };
        flow::each_stmt(body, &mut |stmt| match stmt {
            Stmt::Assign(a) => {
                for target in &a.targets {
                    bind(target, &a.value);
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(value) = &a.value {
                    bind(&a.target, value);
                }
            }
            // `with psycopg2.connect(dsn) as conn`: these managers bind themselves.
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(target) = &item.optional_vars {
                        bind(target, &item.context_expr);
                    }
                }
            }
            _ => {}
        });
        Locals { names }
    }
}

/// A resolved type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PyTy {
    Lib(LibType),
    /// A client of a slow service (SDB009), by its type's name (`httpx.AsyncClient`).
    Client(&'static str),
    Class(ClassRef),
    Unknown,
}

/// A project class: its module and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClassRef {
    pub module: Vec<String>,
    pub name: String,
}

/// What one module declares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PyDecls {
    module: Vec<String>,
    /// An `__init__.py`: the module is a package.
    package: bool,
    imports: HashMap<String, Vec<String>>,
    globals: HashMap<String, TyExpr>,
    /// Session factories bound to an engine (`SessionLocal = sessionmaker(bind=engine)`): the
    /// global's name and the engine's canonical dotted name, for the pool rules (a session from
    /// the factory is a checkout of the engine's pool).
    binds: Vec<(String, Vec<String>)>,
    /// Module functions that return a module global and nothing else (`def get_engine(): return
    /// _engine`, a lazy singleton): the function's name and the global's, for the pool rules.
    getters: Vec<(String, String)>,
    classes: Vec<ClassDecl>,
    fns: Vec<(FnKey, TyExpr)>,
    /// FastAPI dependencies and what their consumers declare they get:
    /// `db: Session = Depends(get_session)` gives `(get_session, Session)`.
    depends: Vec<(Vec<String>, TyExpr)>,
    /// The last names of the project calls its `with` statements enter and bind a target of
    /// (`with session_scope() as s`, `with self.db.connection() as c`), for the prefilter: the
    /// module that defines one decides what the target is.
    managers: Vec<String>,
    /// The part of the run the module is in (`crate::pipeline::SourceSet::part`): an import never
    /// resolves into another part's modules.
    part: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct ClassDecl {
    name: String,
    /// The base classes, by canonical dotted name, in the order written.
    bases: Vec<Vec<String>>,
    attrs: HashMap<String, TyExpr>,
    methods: Vec<String>,
}

/// How many classes up a base-class walk goes.
const MAX_BASES: usize = 8;

/// What the whole run declares, for pass 2.
///
/// Modules are keyed by their path in the run (`svc/app/db`); each also has a name relative to its
/// root, the directory above its top-level package (`app.db` when `svc/app/__init__.py` exists
/// and `svc/__init__.py` does not; a module outside any package is named after its file). An
/// import resolves in the importing module's own root first, then by that relative name.
#[derive(Clone, Debug, Default)]
pub struct PyIndex {
    modules: HashMap<Vec<String>, PyDecls>,
    /// How many leading segments of a module's path are its root.
    roots: HashMap<Vec<String>, usize>,
    /// Modules by their name relative to their root.
    relative: HashMap<Vec<String>, Vec<Vec<String>>>,
    /// What the consumers of a FastAPI dependency declare it gives, by function.
    dependency_types: HashMap<FnKey, (Vec<String>, TyExpr)>,
    /// The project bases of each class that has some, resolved once.
    bases: HashMap<ClassRef, Vec<ClassRef>>,
}

/// The dotted module path of a file: `chatter/utils/database.py` is `chatter.utils.database`;
/// a package's `__init__.py` is the package.
pub(crate) fn module_path(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(|p| p.strip_suffix(".py").unwrap_or(p).to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "__init__") {
        parts.pop();
    }
    parts
}

fn parse(src: &str) -> Result<ast::ModModule, SourceError> {
    // The parser recurses once per level of nesting: refuse what would overflow the stack,
    // after an iterative pass of the lexer.
    // Only a file that could nest that deep is lexed to find out.
    let depth = if depth_bound(src) <= MAX_NESTING {
        0
    } else {
        nesting_depth(src)
    };
    if depth > MAX_NESTING {
        return Err(SourceError {
            message: format!(
                "delimiters nest too deep to check (depth {depth}; the limit is {})",
                MAX_NESTING
            ),
            position: None,
        });
    }
    ruff_python_parser::parse_module(src)
        .map(|parsed| parsed.into_syntax())
        .map_err(|e| {
            let lines = LineIndex::new(src);
            SourceError {
                message: e.error.to_string(),
                position: Some(lines.line_col(src, e.location.start().into())),
            }
        })
}

/// The deepest nesting of brackets and indented blocks in `src`, without recursion.
fn nesting_depth(src: &str) -> usize {
    use ruff_python_ast::token::TokenKind;
    let mut lexer = ruff_python_parser::lexer::lex(src, ruff_python_parser::Mode::Module);
    let (mut depth, mut deepest) = (0usize, 0usize);
    loop {
        match lexer.next_token() {
            TokenKind::EndOfFile => return deepest,
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace | TokenKind::Indent => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace | TokenKind::Dedent => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
}

/// A module parsed once for both passes: its tree, and its text for the locations of findings.
/// Plain data, so it can wait between the passes on any thread.
pub(crate) struct Module {
    src: String,
    ast: ast::ModModule,
}

/// Parses a module once: pass 1 (its declarations) now, and the tree kept for pass 2.
pub(crate) fn read(path: &str, src: String) -> Result<(PyDecls, Module), SourceError> {
    crate::parse_count::record(path);
    let ast = parse(&src)?;
    let decls = declarations(path, &ast);
    Ok((decls, Module { src, ast }))
}

/// Pass 1 over one module.
pub(crate) fn index(path: &str, src: &str) -> Result<PyDecls, SourceError> {
    crate::parse_count::record(path);
    Ok(declarations(path, &parse(src)?))
}

fn declarations(path: &str, module: &ast::ModModule) -> PyDecls {
    let mut decls = PyDecls::unread(path);
    decls.read_module(&module.body);
    decls.read_class_writes(&module.body);
    decls.read_managers(&module.body);
    decls.managers.sort();
    decls.managers.dedup();
    decls
}

impl PyIndex {
    pub(crate) fn new(decls: impl IntoIterator<Item = PyDecls>) -> PyIndex {
        let modules: HashMap<Vec<String>, PyDecls> =
            decls.into_iter().map(|d| (d.module.clone(), d)).collect();
        let packages: rustc_hash::FxHashSet<&[String]> = modules
            .values()
            .filter(|d| d.package)
            .map(|d| d.module.as_slice())
            .collect();
        let mut roots = HashMap::default();
        let mut relative: HashMap<Vec<String>, Vec<Vec<String>>> = HashMap::default();
        for path in modules.keys() {
            let mut root = path.len().saturating_sub(1);
            while root > 0 && packages.contains(&path[..root]) {
                root -= 1;
            }
            roots.insert(path.clone(), root);
            relative
                .entry(path[root..].to_vec())
                .or_default()
                .push(path.clone());
        }
        for candidates in relative.values_mut() {
            candidates.sort();
        }
        let mut index = PyIndex {
            modules,
            roots,
            relative,
            dependency_types: HashMap::default(),
            bases: HashMap::default(),
        };
        index.derive();
        index
    }

    /// Puts `decls` in place of what the same module declared: the modules of the run, and so
    /// every module's root and name, stay what they were (the caller knows the module is the same
    /// one, a package as it was). What is derived from every module's declarations is derived
    /// again; nothing else is built.
    pub(crate) fn replace(&mut self, decls: PyDecls) {
        self.modules.insert(decls.module.clone(), decls);
        self.derive();
    }

    /// What the index derives from all its modules: what FastAPI consumers declare their
    /// dependencies give, and each class's project bases.
    fn derive(&mut self) {
        let index = &*self;
        let mut dependency_types = HashMap::default();
        for decls in index.modules.values() {
            for (f, ty) in &decls.depends {
                for (key, _) in index.functions(&decls.module, f) {
                    dependency_types
                        .entry(key)
                        .or_insert_with(|| (decls.module.clone(), ty.clone()));
                }
            }
        }
        let mut bases = HashMap::default();
        for decls in index.modules.values() {
            for c in &decls.classes {
                let resolved: Vec<ClassRef> = c
                    .bases
                    .iter()
                    .filter_map(|b| index.class(&decls.module, b))
                    .map(|(d, base)| ClassRef {
                        module: d.module.clone(),
                        name: base.name.clone(),
                    })
                    .collect();
                if !resolved.is_empty() {
                    let class = ClassRef {
                        module: decls.module.clone(),
                        name: c.name.clone(),
                    };
                    bases.insert(class, resolved);
                }
            }
        }
        self.dependency_types = dependency_types;
        self.bases = bases;
    }

    /// What the consumers of a dependency declare it gives, with the module that says so.
    pub(crate) fn dependency_type(&self, key: &FnKey) -> Option<&(Vec<String>, TyExpr)> {
        self.dependency_types.get(key)
    }

    /// The module a dotted name names, imported from module `from`: the one in `from`'s own root,
    /// else the module with exactly that path, else the one module of the run with that name
    /// relative to its root. When several have it (two projects with an `app/db.py` each, neither
    /// the importer's), nothing in the code says which is meant: none is.
    fn modules_named(&self, from: &[String], dotted: &[String]) -> Option<&PyDecls> {
        if dotted.is_empty() {
            return None;
        }
        if let Some(&root) = self.roots.get(from) {
            let mut own = from[..root].to_vec();
            own.extend(dotted.iter().cloned());
            if let Some(d) = self.modules.get(&own) {
                return Some(d);
            }
        }
        // Beyond its own root, a module sees only the modules of its own part of the run.
        let part = self.modules.get(from).map(|d| d.part);
        let seen = |d: &&PyDecls| part.is_none_or(|p| d.part == p);
        if let Some(d) = self.modules.get(dotted).filter(seen) {
            return Some(d);
        }
        let mut candidates = self
            .relative
            .get(dotted)?
            .iter()
            .filter_map(|m| self.modules.get(m))
            .filter(seen);
        match (candidates.next(), candidates.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    /// Where a dotted name is defined: through the `import`s of the modules it names
    /// (`from database import get_db`, where `database/__init__.py` imports it from
    /// `database/connection.py`). Gives the module to resolve from and the name there.
    fn follow(&self, from: &[String], dotted: &[String]) -> (Vec<String>, Vec<String>) {
        let (mut from, mut dotted) = (from.to_vec(), dotted.to_vec());
        for _ in 0..4 {
            let Some((name, module)) = dotted.split_last() else {
                break;
            };
            let Some(decls) = self.modules_named(&from, module) else {
                break;
            };
            if decls.defines(name) {
                break;
            }
            let Some(target) = decls.imports.get(name).cloned() else {
                break;
            };
            let next_from = decls.module.clone();
            if target == dotted {
                break;
            }
            (from, dotted) = (next_from, target);
        }
        (from, dotted)
    }

    fn class(&self, from: &[String], dotted: &[String]) -> Option<(&PyDecls, &ClassDecl)> {
        let (from, dotted) = self.follow(from, dotted);
        let (from, dotted) = (from.as_slice(), dotted.as_slice());
        let (name, module) = dotted.split_last()?;
        let decls = self.modules_named(from, module)?;
        decls
            .classes
            .iter()
            .find(|c| &c.name == name)
            .map(|c| (decls, c))
    }

    /// The functions a canonical dotted name calls from module `from`: a module function, or a
    /// class's method; each definition when the module defines it more than once.
    pub(crate) fn functions(&self, from: &[String], dotted: &[String]) -> Vec<(FnKey, TyExpr)> {
        let (from, dotted) = self.follow(from, dotted);
        let (from, dotted) = (from.as_slice(), dotted.as_slice());
        let Some((name, prefix)) = dotted.split_last() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(decls) = self.modules_named(from, prefix) {
            out.extend(
                decls
                    .fns
                    .iter()
                    .filter(|(k, _)| k.owner.is_none() && &k.name == name)
                    .cloned(),
            );
        }
        if out.is_empty()
            && let Some((decls, class)) = self.class(from, prefix)
        {
            out.extend(self.methods(decls, class, name));
        }
        out
    }

    fn methods(&self, decls: &PyDecls, class: &ClassDecl, name: &str) -> Vec<(FnKey, TyExpr)> {
        decls
            .fns
            .iter()
            .filter(|(k, _)| k.owner.as_deref() == Some(&class.name) && k.name == name)
            .cloned()
            .collect()
    }

    /// A method of a project class, or of the first of its bases (depth-first, as written, up to
    /// [`MAX_BASES`] classes) that defines it.
    pub(crate) fn method(&self, class: &ClassRef, name: &str) -> Vec<(FnKey, TyExpr)> {
        self.in_lineage(class, |decls, c| {
            let m = self.methods(decls, c, name);
            (!m.is_empty()).then_some(m)
        })
        .unwrap_or_default()
    }

    /// The first answer `find` gives for a project class or its project bases, nearest first: the
    /// class, then each base and its own bases in the order written (a simplified MRO: enough to
    /// find what a base declares). Bases are looked up only when the class itself has no answer;
    /// bases outside the run end the walk there; a cycle or more than [`MAX_BASES`] classes is cut.
    fn in_lineage<'s, T>(
        &'s self,
        class: &ClassRef,
        mut find: impl FnMut(&'s PyDecls, &'s ClassDecl) -> Option<T>,
    ) -> Option<T> {
        let lookup = |class: &ClassRef| {
            let decls = self.modules.get(&class.module)?;
            let c = decls.classes.iter().find(|c| c.name == class.name)?;
            Some((decls, c))
        };
        let (decls, c) = lookup(class)?;
        if let Some(found) = find(decls, c) {
            return Some(found);
        }
        let mut seen: Vec<&ClassRef> = Vec::new();
        let mut stack: Vec<&ClassRef> = self.bases.get(class)?.iter().rev().collect();
        while let Some(base) = stack.pop() {
            if seen.len() >= MAX_BASES || seen.contains(&base) || base == class {
                continue;
            }
            seen.push(base);
            let Some((decls, c)) = lookup(base) else {
                continue;
            };
            if let Some(found) = find(decls, c) {
                return Some(found);
            }
            stack.extend(self.bases.get(base).into_iter().flatten().rev());
        }
        None
    }

    /// Resolves a type recorded in module `from` against the whole run.
    pub(crate) fn resolve(&self, from: &[String], ty: &TyExpr) -> PyTy {
        self.resolve_depth(from, ty, 0)
    }

    fn resolve_depth(&self, from: &[String], ty: &TyExpr, depth: usize) -> PyTy {
        if depth > 8 {
            return PyTy::Unknown;
        }
        let class_ref = |decls: &PyDecls, c: &ClassDecl| {
            PyTy::Class(ClassRef {
                module: decls.module.clone(),
                name: c.name.clone(),
            })
        };
        match ty {
            TyExpr::Unknown => PyTy::Unknown,
            TyExpr::Class(q) => match self.class(from, q) {
                Some((decls, c)) => class_ref(decls, c),
                None => self.lib_annotation(q),
            },
            TyExpr::Call(q) => {
                if let (Some(root), Some(last)) = (q.first(), q.last()) {
                    if let Some(t) = catalog::made_by(root, last) {
                        return PyTy::Lib(t);
                    }
                    if let Some(c) = catalog::slow_client(root, last) {
                        return PyTy::Client(c.ty);
                    }
                }
                if let Some((decls, c)) = self.class(from, q) {
                    return class_ref(decls, c);
                }
                self.functions(from, q)
                    .iter()
                    .map(|(key, ret)| self.resolve_depth(&key.module, ret, depth + 1))
                    .find(|t| *t != PyTy::Unknown)
                    .unwrap_or(PyTy::Unknown)
            }
            TyExpr::Global(q) => {
                let (from, q) = self.follow(from, q);
                let (from, q) = (from.as_slice(), &q);
                let Some((name, module)) = q.split_last() else {
                    return PyTy::Unknown;
                };
                self.modules_named(from, module)
                    .into_iter()
                    .filter_map(|d| d.globals.get(name).map(|ty| (d, ty)))
                    // `engine = engine` in its own module would loop.
                    .filter(|(_, ty)| *ty != &TyExpr::Global(q.clone()))
                    .map(|(d, ty)| self.resolve_depth(&d.module, ty, depth + 1))
                    .find(|t| *t != PyTy::Unknown)
                    .unwrap_or(PyTy::Unknown)
            }
            // A tuple is nothing one method call can use; its items are.
            TyExpr::Tuple(_) => PyTy::Unknown,
            TyExpr::CallOf(inner) => match self.resolve_depth(from, inner, depth + 1) {
                PyTy::Lib(t) => catalog::called(t).map_or(PyTy::Unknown, PyTy::Lib),
                _ => PyTy::Unknown,
            },
            TyExpr::Join(tys) => tys
                .iter()
                .map(|t| self.resolve_depth(from, t, depth + 1))
                .find(|t| *t != PyTy::Unknown)
                .unwrap_or(PyTy::Unknown),
            TyExpr::Item(inner, i) => match self.item(from, inner, *i, depth + 1) {
                Some((from, item)) => self.resolve_depth(&from, &item, depth + 1),
                None => PyTy::Unknown,
            },
            TyExpr::Attr(module, class, attr) => {
                let class = ClassRef {
                    module: module.clone(),
                    name: class.clone(),
                };
                let found = self.in_lineage(&class, |d, c| c.attrs.get(attr).map(|ty| (d, ty)));
                match found {
                    Some((d, ty)) => self.resolve_depth(&d.module, ty, depth + 1),
                    None => PyTy::Unknown,
                }
            }
        }
    }

    /// Item `i` of a tuple-valued type, with the module to resolve it from: a tuple literal's, or
    /// what a function returns or a global holds.
    fn item(
        &self,
        from: &[String],
        ty: &TyExpr,
        i: usize,
        depth: usize,
    ) -> Option<(Vec<String>, TyExpr)> {
        if depth > 8 {
            return None;
        }
        match ty {
            TyExpr::Tuple(items) => items.get(i).map(|t| (from.to_vec(), t.clone())),
            TyExpr::Join(tys) => tys.iter().find_map(|t| self.item(from, t, i, depth + 1)),
            TyExpr::Call(q) => self
                .functions(from, q)
                .iter()
                .find_map(|(key, ret)| self.item(&key.module, ret, i, depth + 1)),
            TyExpr::Global(q) => {
                let (from, q) = self.follow(from, q);
                let (name, module) = q.split_last()?;
                self.modules_named(&from, module)
                    .into_iter()
                    .find_map(|d| self.item(&d.module, d.globals.get(name)?, i, depth + 1))
            }
            _ => None,
        }
    }

    fn lib_annotation(&self, q: &[String]) -> PyTy {
        match (q.first(), q.last()) {
            (Some(root), Some(last)) => catalog::find(catalog::ANNOTATIONS, root, last)
                .map(PyTy::Lib)
                .or_else(|| catalog::slow_client(root, last).map(|c| PyTy::Client(c.ty)))
                .unwrap_or(PyTy::Unknown),
            _ => PyTy::Unknown,
        }
    }

    /// A module global's identity across the run, as imported into `from` by canonical dotted
    /// name `q`: the path of the module that defines it (through re-exports) and its name.
    pub(crate) fn global_key(&self, from: &[String], q: &[String]) -> Vec<String> {
        let (at, dotted) = self.follow(from, q);
        if let Some((name, module)) = dotted.split_last()
            && let Some(d) = self.modules_named(&at, module)
        {
            let mut key = d.module.clone();
            key.push(name.clone());
            return key;
        }
        q.to_vec()
    }

    /// The global a module function returns and nothing else, by its key ([`PyIndex::global_key`]):
    /// what a call of the getter is, whichever call.
    pub(crate) fn getter(&self, key: &FnKey) -> Option<Vec<String>> {
        if key.owner.is_some() {
            return None;
        }
        let d = self.modules.get(&key.module)?;
        let (_, global) = d.getters.iter().find(|(f, _)| *f == key.name)?;
        let mut q = key.module.clone();
        q.push(global.clone());
        Some(self.global_key(&key.module, &q))
    }

    /// The engine the session factory with the key `key` ([`PyIndex::global_key`]) is bound to,
    /// by its key, when the module that defines the factory binds it to one
    /// (`SessionLocal = sessionmaker(bind=engine)`).
    pub(crate) fn session_bind(&self, key: &[String]) -> Option<Vec<String>> {
        let (name, module) = key.split_last()?;
        let d = self.modules.get(module)?;
        let (_, engine) = d.binds.iter().find(|(n, _)| n == name)?;
        Some(self.global_key(module, engine))
    }

    /// The type of a module global, by the module it is defined in.
    pub(crate) fn global(&self, module: &[String], name: &str) -> PyTy {
        match self.modules.get(module).and_then(|d| d.globals.get(name)) {
            Some(ty) => self.resolve(module, ty),
            None => PyTy::Unknown,
        }
    }

    /// The type of a global imported into `from` by canonical name (`from app.db import engine`).
    pub(crate) fn imported_global(&self, from: &[String], dotted: &[String]) -> PyTy {
        self.resolve(from, &TyExpr::Global(dotted.to_vec()))
    }

    /// The type of a project class's attribute (`self.engine`), declared in the class or in the
    /// nearest of its bases that declares it.
    pub(crate) fn attr(&self, class: &ClassRef, name: &str) -> PyTy {
        let found = self.in_lineage(class, |d, c| c.attrs.get(name).map(|ty| (d, ty)));
        match found {
            Some((d, ty)) => self.resolve(&d.module, ty),
            None => PyTy::Unknown,
        }
    }

    /// Whether a canonical dotted name, seen from `from`, is a project class.
    pub(crate) fn is_class(&self, from: &[String], dotted: &[String]) -> bool {
        self.class(from, dotted).is_some()
    }

    /// Whether the module is a package's `__init__`.
    pub(crate) fn is_package(&self, module: &[String]) -> bool {
        self.modules.get(module).is_some_and(|d| d.package)
    }

    pub(crate) fn imports(&self, module: &[String]) -> Option<&HashMap<String, Vec<String>>> {
        self.modules.get(module).map(|d| &d.imports)
    }
}

/// The names the prefilter looks for once `modules` are read, beside the words it `knows` already:
/// what they declare as database-bearing, found on the declarations as written, without resolving
/// them (a name is only looked for, so a name too many costs a parse, never a finding). A global,
/// function, method, class attribute or FastAPI dependency is database-bearing when its type names
/// a catalog package (`sqlalchemy.orm.Session`, `create_engine(..)`) or, by its last name, something
/// database-bearing (`make_engine()`, `self.engine`, `Repo(..)`); a class when one of its attributes
/// or methods is, or a base is; an import when what it imports is. Then the project managers the
/// modules' `with` statements enter. Every resolved type that holds a handle is so named: a
/// re-export under another name is an import of it, a base's attribute has its name.
pub(crate) fn db_words<'a>(
    modules: impl Iterator<Item = &'a PyDecls> + Clone,
    knows: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let roots: rustc_hash::FxHashSet<&str> = package_roots().collect();
    let knows: rustc_hash::FxHashSet<&str> = knows.iter().map(String::as_str).collect();
    // Each declaration as a rule: its names become words when it names a catalog package or any
    // of its names is a word.
    struct Rule<'a> {
        gives: Vec<&'a str>,
        needs: Vec<&'a str>,
        catalog: bool,
    }
    fn read<'a>(ty: &'a TyExpr, roots: &rustc_hash::FxHashSet<&str>, rule: &mut Rule<'a>) {
        match ty {
            TyExpr::Class(q) | TyExpr::Call(q) | TyExpr::Global(q) => {
                rule.catalog |= q.first().is_some_and(|r| roots.contains(r.as_str()));
                rule.needs.extend(q.last().map(String::as_str));
            }
            TyExpr::Attr(_, _, attr) => rule.needs.push(attr),
            TyExpr::Tuple(tys) | TyExpr::Join(tys) => {
                for t in tys {
                    read(t, roots, rule);
                }
            }
            TyExpr::Item(inner, _) | TyExpr::CallOf(inner) => read(inner, roots, rule),
            TyExpr::Unknown => {}
        }
    }
    let typed = |gives: Vec<&'a str>, ty: &'a TyExpr| {
        let mut rule = Rule {
            gives,
            needs: Vec::new(),
            catalog: false,
        };
        read(ty, &roots, &mut rule);
        rule
    };
    let mut rules: Vec<Rule<'a>> = Vec::new();
    for d in modules.clone() {
        for (name, ty) in &d.globals {
            rules.push(typed(vec![name], ty));
        }
        for (key, ret) in &d.fns {
            rules.push(typed(
                std::iter::once(key.name.as_str())
                    .chain(key.owner.as_deref())
                    .collect(),
                ret,
            ));
        }
        for c in &d.classes {
            for (attr, ty) in &c.attrs {
                rules.push(typed(vec![attr, &c.name], ty));
            }
            for base in &c.bases {
                rules.push(Rule {
                    gives: vec![&c.name],
                    needs: base.last().map(String::as_str).into_iter().collect(),
                    catalog: base.first().is_some_and(|r| roots.contains(r.as_str())),
                });
            }
        }
        for (local, target) in &d.imports {
            rules.push(Rule {
                gives: vec![local],
                needs: target.last().map(String::as_str).into_iter().collect(),
                catalog: catalog::is_db_package(target)
                    || target.first().is_some_and(|r| roots.contains(r.as_str())),
            });
        }
        for (f, ty) in &d.depends {
            rules.push(typed(
                f.last().map(String::as_str).into_iter().collect(),
                ty,
            ));
        }
    }
    // Which rules wait on each name.
    let mut waiting: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut queue: Vec<usize> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if rule.catalog || rule.needs.iter().any(|n| knows.contains(*n)) {
            queue.push(i);
        } else {
            for n in &rule.needs {
                waiting.entry(n).or_default().push(i);
            }
        }
    }
    let mut fired = vec![false; rules.len()];
    let mut words: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    while let Some(i) = queue.pop() {
        if std::mem::replace(&mut fired[i], true) {
            continue;
        }
        for &word in &rules[i].gives {
            if !knows.contains(word) && words.insert(word) {
                queue.extend(waiting.remove(word).into_iter().flatten());
            }
        }
    }
    let mut words: Vec<String> = words.into_iter().map(str::to_string).collect();
    for d in modules {
        words.extend(d.managers.iter().cloned());
    }
    words.sort();
    words.dedup();
    words
}

impl PyDecls {
    /// A module of the run that the prefilter let nothing of be read: it declares nothing, but it
    /// is there (a package's `__init__.py` makes its directory a package), so every module's root
    /// and name, and so every import, resolves as it would with the module read.
    pub(crate) fn unread(path: &str) -> PyDecls {
        PyDecls {
            module: module_path(path),
            package: path.ends_with("__init__.py"),
            ..PyDecls::default()
        }
    }

    /// The project managers the module's `with` statements enter and bind a target of, at any
    /// depth (functions, methods and nested functions included): their last names.
    fn read_managers(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::With(w) => {
                    for item in w.items.iter().filter(|i| i.optional_vars.is_some()) {
                        let e = match &item.context_expr {
                            Expr::Await(a) => &*a.value,
                            other => other,
                        };
                        if let Expr::Call(c) = e
                            && let Some(name) = self.project_manager(&c.func)
                        {
                            self.managers.push(name);
                        }
                    }
                    self.read_managers(&w.body);
                }
                Stmt::FunctionDef(f) => self.read_managers(&f.body),
                Stmt::ClassDef(c) => self.read_managers(&c.body),
                Stmt::If(i) => {
                    self.read_managers(&i.body);
                    for clause in &i.elif_else_clauses {
                        self.read_managers(&clause.body);
                    }
                }
                Stmt::For(f) => {
                    self.read_managers(&f.body);
                    self.read_managers(&f.orelse);
                }
                Stmt::While(w) => {
                    self.read_managers(&w.body);
                    self.read_managers(&w.orelse);
                }
                Stmt::Try(t) => {
                    self.read_managers(&t.body);
                    for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                        self.read_managers(&h.body);
                    }
                    self.read_managers(&t.orelse);
                    self.read_managers(&t.finalbody);
                }
                Stmt::Match(m) => {
                    for case in &m.cases {
                        self.read_managers(&case.body);
                    }
                }
                _ => {}
            }
        }
    }

    /// The last name of a manager's callee that another module may define: an imported name
    /// outside the catalog's packages, or a method of a value (`self.db.connection`), not a
    /// DB-API `cursor()`. A name of this module's own or a builtin is not.
    fn project_manager(&self, func: &Expr) -> Option<String> {
        match written_name(func) {
            Some(w) if self.imports.contains_key(&w[0]) => {
                let q = self.canonical(&w);
                (!catalog::is_db_package(&q)).then(|| q.last().cloned())?
            }
            Some(w) if w.len() > 1 => w
                .last()
                .filter(|m| !catalog::DB_API_MANAGERS.contains(&m.as_str()))
                .cloned(),
            Some(_) => None,
            None => match func {
                Expr::Attribute(a) if !catalog::DB_API_MANAGERS.contains(&a.attr.as_str()) => {
                    Some(a.attr.to_string())
                }
                _ => None,
            },
        }
    }

    /// What the module declares under each name, each declaration written out: functions (and
    /// methods), classes, globals, imports (a re-export) and FastAPI dependencies.
    pub(crate) fn by_name(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (key, ty) in &self.fns {
            out.push((key.name.clone(), format!("{key:?} {ty:?}")));
        }
        for class in &self.classes {
            out.push((class.name.clone(), format!("{class:?}")));
            for method in &class.methods {
                out.push((method.clone(), format!("{class:?}")));
            }
        }
        let mut globals: Vec<_> = self.globals.iter().collect();
        globals.sort_by(|a, b| a.0.cmp(b.0));
        for (name, ty) in globals {
            out.push((name.clone(), format!("global {ty:?}")));
        }
        let mut imports: Vec<_> = self.imports.iter().collect();
        imports.sort_by(|a, b| a.0.cmp(b.0));
        for (name, target) in imports {
            out.push((name.clone(), format!("import {target:?}")));
        }
        for (dependency, ty) in &self.depends {
            if let Some(name) = dependency.last() {
                out.push((name.clone(), format!("depends {ty:?}")));
            }
        }
        // The engine a session factory is bound to decides which pool its sessions come from;
        // the global a getter returns, which pool a call of it is.
        for (name, engine) in &self.binds {
            out.push((name.clone(), format!("binds {engine:?}")));
        }
        for (getter, global) in &self.getters {
            out.push((getter.clone(), format!("returns the global {global}")));
        }
        out
    }

    /// What the module is, apart from what it declares.
    pub(crate) fn identity(&self) -> String {
        format!("{:?} {} {}", self.module, self.package, self.part)
    }

    /// Puts the module in part `part` of the run.
    pub(crate) fn set_part(&mut self, part: usize) {
        self.part = part;
    }

    /// Whether the module itself defines `name` (a function, class or global).
    fn defines(&self, name: &str) -> bool {
        self.fns
            .iter()
            .any(|(k, _)| k.owner.is_none() && k.name == name)
            || self.classes.iter().any(|c| c.name == name)
            || self.globals.contains_key(name)
    }

    fn read_module(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Import(_) | Stmt::ImportFrom(_) => {
                    read_import(stmt, &self.module, self.package, &mut self.imports);
                }
                Stmt::Assign(a) => {
                    // `Subject = NamedTuple("Subject", [("db_session", Session)])`: a class.
                    if let [Expr::Name(n)] = a.targets.as_slice()
                        && self.makes_tuple_class(&a.value)
                    {
                        self.classes.push(ClassDecl {
                            name: n.id.to_string(),
                            ..ClassDecl::default()
                        });
                        continue;
                    }
                    let ty = self.expr_ty(&a.value, None);
                    let bind = self.session_bind(&a.value);
                    for target in &a.targets {
                        match target {
                            Expr::Name(n) => {
                                self.globals.insert(n.id.to_string(), ty.clone());
                                if let Some(engine) = &bind {
                                    self.binds.push((n.id.to_string(), engine.clone()));
                                }
                            }
                            Expr::Tuple(t) if ty != TyExpr::Unknown => {
                                for (i, elt) in t.elts.iter().enumerate() {
                                    if let Expr::Name(n) = elt {
                                        let item = TyExpr::Item(Box::new(ty.clone()), i);
                                        self.globals.insert(n.id.to_string(), item);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let Expr::Name(n) = &*a.target {
                        let ty = match self.annotation_ty(&a.annotation) {
                            TyExpr::Unknown => a
                                .value
                                .as_ref()
                                .map_or(TyExpr::Unknown, |v| self.expr_ty(v, None)),
                            ty => ty,
                        };
                        self.globals.insert(n.id.to_string(), ty);
                    }
                }
                Stmt::FunctionDef(f) => {
                    let ret = self.return_ty(f, None);
                    self.fns.push((
                        FnKey {
                            module: self.module.clone(),
                            owner: None,
                            name: f.name.to_string(),
                        },
                        ret,
                    ));
                    self.read_global_writes(&f.body);
                    self.read_depends(f);
                    if let Some(global) = returned_global(f) {
                        self.getters.push((f.name.to_string(), global));
                    }
                }
                Stmt::ClassDef(c) => self.read_class(c),
                // `with psycopg2.connect(dsn) as conn:` at module level: `conn` is a global of
                // the type the manager binds, and what the block defines is the module's.
                Stmt::With(w) => {
                    for item in &w.items {
                        if let Some(Expr::Name(n)) = item.optional_vars.as_deref() {
                            let ty = self.expr_ty(&item.context_expr, None);
                            self.globals.insert(n.id.to_string(), ty);
                        }
                    }
                    self.read_module(&w.body);
                }
                // `if TYPE_CHECKING:` imports, `try: import x except ImportError:`.
                Stmt::If(i) => {
                    self.read_module(&i.body);
                    for clause in &i.elif_else_clauses {
                        self.read_module(&clause.body);
                    }
                }
                Stmt::Try(t) => {
                    self.read_module(&t.body);
                    for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                        self.read_module(&h.body);
                    }
                    self.read_module(&t.orelse);
                    self.read_module(&t.finalbody);
                }
                _ => {}
            }
        }
    }

    /// FastAPI dependencies a function's parameters declare, with the type they declare:
    /// `db: Session = Depends(get_session)`, `db: Annotated[AsyncSession, Depends(get_session)]`.
    fn read_depends(&mut self, f: &ast::StmtFunctionDef) {
        let depends_on = |e: &Expr| -> Option<Vec<String>> {
            let Expr::Call(c) = e else {
                return None;
            };
            written_name(&c.func)?.last().filter(|n| *n == "Depends")?;
            let target = c.arguments.args.first()?;
            written_name(target).map(|w| self.canonical(&w))
        };
        let mut found = Vec::new();
        for p in f.parameters.iter_non_variadic_params() {
            let Some(annotation) = p.parameter.annotation.as_deref() else {
                continue;
            };
            let ty = self.annotation_ty(annotation);
            if ty == TyExpr::Unknown {
                continue;
            }
            let from_default = p.default.as_deref().and_then(depends_on);
            let from_annotated = match annotation {
                Expr::Subscript(s) => match &*s.slice {
                    Expr::Tuple(t) => t.elts.iter().skip(1).find_map(depends_on),
                    _ => None,
                },
                _ => None,
            };
            if let Some(dependency) = from_default.or(from_annotated) {
                found.push((dependency, ty));
            }
        }
        self.depends.extend(found);
    }

    /// Class attributes assigned through the class's name in a function or method of the module
    /// (`Database.pool = await asyncmy.create_pool(..)` in `init_db()`), once every class of the
    /// module is known.
    fn read_class_writes(&mut self, body: &[Stmt]) {
        let mut writes = Vec::new();
        let mut visit = |body: &[Stmt]| {
            flow::each_stmt(body, &mut |stmt| {
                if let Stmt::Assign(a) = stmt
                    && let [Expr::Attribute(target)] = a.targets.as_slice()
                    && let Expr::Name(class) = &*target.value
                    && self.classes.iter().any(|c| c.name == class.id.as_str())
                {
                    let ty = self.expr_ty(&a.value, None);
                    if ty != TyExpr::Unknown {
                        writes.push((class.id.to_string(), target.attr.to_string(), ty));
                    }
                }
            });
        };
        for stmt in body {
            match stmt {
                Stmt::FunctionDef(f) => visit(&f.body),
                Stmt::ClassDef(c) => {
                    for inner in &c.body {
                        if let Stmt::FunctionDef(f) = inner {
                            visit(&f.body);
                        }
                    }
                }
                _ => {}
            }
        }
        for (class, attr, ty) in writes {
            if let Some(c) = self.classes.iter_mut().find(|c| c.name == class) {
                let slot = c.attrs.entry(attr).or_insert(TyExpr::Unknown);
                // `pool = None` in the class body says nothing.
                if *slot == TyExpr::Unknown {
                    *slot = ty;
                }
            }
        }
    }

    /// Module globals assigned inside a function after `global name` (a lazy getter).
    fn read_global_writes(&mut self, body: &[Stmt]) {
        let mut declared = Vec::new();
        flow::each_stmt(body, &mut |stmt| {
            if let Stmt::Global(g) = stmt {
                declared.extend(g.names.iter().map(|n| n.to_string()));
            }
        });
        if declared.is_empty() {
            return;
        }
        let mut writes = Vec::new();
        flow::each_stmt(body, &mut |stmt| {
            if let Stmt::Assign(a) = stmt {
                for target in &a.targets {
                    if let Expr::Name(n) = target
                        && declared.iter().any(|d| d == n.id.as_str())
                    {
                        writes.push((n.id.to_string(), (*a.value).clone()));
                    }
                }
            }
        });
        for (name, value) in writes {
            if let Some(engine) = self.session_bind(&value) {
                self.binds.push((name.clone(), engine));
            }
            let ty = self.expr_ty(&value, None);
            if ty != TyExpr::Unknown {
                self.globals.insert(name, ty);
            }
        }
    }

    fn read_class(&mut self, c: &ast::StmtClassDef) {
        let bases = c
            .bases()
            .iter()
            .filter_map(|b| {
                let b = match b {
                    // `Generic[T]`, `Base[Model]`: the class subscripted.
                    Expr::Subscript(s) => &*s.value,
                    other => other,
                };
                written_name(b).map(|w| self.canonical(&w))
            })
            .collect();
        let mut class = ClassDecl {
            name: c.name.to_string(),
            bases,
            ..ClassDecl::default()
        };
        for stmt in &c.body {
            match stmt {
                Stmt::AnnAssign(a) => {
                    if let Expr::Name(n) = &*a.target {
                        class
                            .attrs
                            .insert(n.id.to_string(), self.annotation_ty(&a.annotation));
                    }
                }
                Stmt::Assign(a) => {
                    let ty = self.expr_ty(&a.value, Some(&class.name));
                    for target in &a.targets {
                        if let Expr::Name(n) = target {
                            class.attrs.insert(n.id.to_string(), ty.clone());
                        }
                    }
                }
                Stmt::FunctionDef(f) => {
                    class.methods.push(f.name.to_string());
                    self.read_depends(f);
                    let ret = self.return_ty(f, Some(&class.name));
                    // `@property def engine(self) -> AsyncEngine`: `self.engine` is what it returns.
                    if is_property(f) && ret != TyExpr::Unknown {
                        class.attrs.insert(f.name.to_string(), ret.clone());
                    }
                    self.fns.push((
                        FnKey {
                            module: self.module.clone(),
                            owner: Some(class.name.clone()),
                            name: f.name.to_string(),
                        },
                        ret,
                    ));
                    // `self.x = ...` anywhere in a method gives the attribute a type; so does an
                    // annotated parameter assigned to it (`self.engine = engine`).
                    let params: HashMap<String, TyExpr> = parameter_annotations(f)
                        .into_iter()
                        .map(|(name, ann)| (name, self.annotation_ty(ann)))
                        .collect();
                    // Built only for a method that assigns `self.x` (most assign nothing there).
                    let locals = std::cell::OnceCell::new();
                    let mut attrs = Vec::new();
                    flow::each_stmt(&f.body, &mut |stmt| {
                        let (target, value) = match stmt {
                            Stmt::Assign(a) if a.targets.len() == 1 => {
                                (&a.targets[0], Some(&*a.value))
                            }
                            Stmt::AnnAssign(a) => (&*a.target, None),
                            _ => return,
                        };
                        let Expr::Attribute(attr) = target else {
                            return;
                        };
                        if !matches!(&*attr.value, Expr::Name(n) if n.id.as_str() == "self") {
                            return;
                        }
                        let ty = match (stmt, value) {
                            (Stmt::AnnAssign(a), _) => self.annotation_ty(&a.annotation),
                            (_, Some(Expr::Name(n))) if params.contains_key(n.id.as_str()) => {
                                params[n.id.as_str()].clone()
                            }
                            (_, Some(value)) => self.local_ty(
                                value,
                                Some(&class.name),
                                locals.get_or_init(|| Locals::of_fn(f)),
                                0,
                            ),
                            (_, None) => TyExpr::Unknown,
                        };
                        if ty != TyExpr::Unknown {
                            attrs.push((attr.attr.to_string(), ty));
                        }
                    });
                    for (name, ty) in attrs {
                        class.attrs.entry(name).or_insert(ty);
                    }
                }
                _ => {}
            }
        }
        self.classes.push(class);
    }

    fn return_ty(&self, f: &ast::StmtFunctionDef, class: Option<&str>) -> TyExpr {
        if let Some(ret) = &f.returns {
            let ty = self.annotation_ty(ret);
            if ty != TyExpr::Unknown {
                return ty;
            }
        }
        // No useful annotation: the join of what every `return <expr>` gives, through the
        // function's own locals; for a `@contextmanager` generator, what it yields (what `with`
        // binds).
        let generator = f.decorator_list.iter().any(|d| {
            let e = match &d.expression {
                Expr::Call(c) => &*c.func,
                other => other,
            };
            written_name(e)
                .and_then(|w| w.last().cloned())
                .is_some_and(|l| flow::is_context_manager_decorator(&l))
        });
        let mut values = Vec::new();
        flow::each_stmt(&f.body, &mut |stmt| {
            let value = match stmt {
                Stmt::Return(r) if !generator => r.value.as_deref(),
                Stmt::Expr(e) if generator => match &*e.value {
                    Expr::Yield(y) => y.value.as_deref(),
                    _ => None,
                },
                _ => None,
            };
            values.extend(value);
        });
        if values.is_empty() {
            return TyExpr::Unknown;
        }
        let locals = Locals::of_fn(f);
        TyExpr::join(
            values
                .into_iter()
                .map(|v| self.local_ty(v, class, &locals, 0))
                .collect(),
        )
    }

    /// Whether a call makes a tuple class: `typing.NamedTuple(..)`, `collections.namedtuple(..)`.
    fn makes_tuple_class(&self, value: &Expr) -> bool {
        let Expr::Call(c) = value else {
            return false;
        };
        written_name(&c.func).is_some_and(|w| {
            let q = self.canonical(&w);
            matches!(
                (q.first().map(String::as_str), q.last().map(String::as_str)),
                (Some("typing" | "typing_extensions"), Some("NamedTuple"))
                    | (Some("collections"), Some("namedtuple"))
            )
        })
    }

    /// The canonical dotted name of `a.b.c` as written here.
    pub(crate) fn canonical(&self, written: &[String]) -> Vec<String> {
        canonical(&self.imports, &self.module, written)
    }

    /// The type an expression gives an assignment, as far as pass 1 can tell.
    /// The engine a session factory made by `e` is bound to, by canonical dotted name:
    /// `sessionmaker(bind=engine)`, `async_sessionmaker(engine, ..)`, as written with a name.
    fn session_bind(&self, e: &Expr) -> Option<Vec<String>> {
        let Expr::Call(c) = e else {
            return None;
        };
        let q = self.canonical(&written_name(&c.func)?);
        if q.first().map(String::as_str) != Some("sqlalchemy")
            || !matches!(
                q.last().map(String::as_str),
                Some("sessionmaker" | "async_sessionmaker")
            )
        {
            return None;
        }
        let bind = c
            .arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "bind"))
            .map(|k| &k.value)
            .or(c.arguments.args.first())?;
        Some(self.canonical(&written_name(bind)?))
    }

    fn expr_ty(&self, e: &Expr, class: Option<&str>) -> TyExpr {
        self.local_ty(e, class, &Locals::default(), 0)
    }

    /// The type of an expression in a function body whose assignments are `locals`: a name
    /// assigned there has the join of the types assigned to it.
    fn local_ty(&self, e: &Expr, class: Option<&str>, locals: &Locals<'_>, depth: usize) -> TyExpr {
        let ty = |x: &Expr| self.local_ty(x, class, locals, depth);
        match e {
            Expr::Name(n)
                if depth < MAX_LOCAL_DEPTH && locals.names.contains_key(n.id.as_str()) =>
            {
                let assigned = &locals.names[n.id.as_str()];
                TyExpr::join(
                    assigned
                        .iter()
                        .map(|(value, item)| {
                            let t = self.local_ty(value, class, locals, depth + 1);
                            match (item, t) {
                                (_, TyExpr::Unknown) => TyExpr::Unknown,
                                (None, t) => t,
                                (Some(i), TyExpr::Tuple(items)) => {
                                    items.get(*i).cloned().unwrap_or(TyExpr::Unknown)
                                }
                                (Some(i), t) => TyExpr::Item(Box::new(t), *i),
                            }
                        })
                        .collect(),
                )
            }
            Expr::Await(a) => ty(&a.value),
            Expr::Tuple(t) => TyExpr::Tuple(t.elts.iter().map(ty).collect()),
            // `sessionmaker(bind=engine)()`: calling what a call gives.
            Expr::Call(c) if matches!(&*c.func, Expr::Call(_)) => match ty(&c.func) {
                TyExpr::Unknown => TyExpr::Unknown,
                inner => TyExpr::CallOf(Box::new(inner)),
            },
            // `factory()` where `factory = sessionmaker(..)` is a local.
            Expr::Call(c) if matches!(&*c.func, Expr::Name(n) if locals.names.contains_key(n.id.as_str())) => {
                match ty(&c.func) {
                    TyExpr::Unknown => TyExpr::Unknown,
                    inner => TyExpr::CallOf(Box::new(inner)),
                }
            }
            Expr::Call(c) => match written_name(&c.func) {
                Some(w) if w.first().is_some_and(|s| s == "self") && w.len() == 2 => match class {
                    Some(class) => {
                        let mut q = self.module.clone();
                        q.push(class.to_string());
                        q.push(w[1].clone());
                        TyExpr::Call(q)
                    }
                    None => TyExpr::Unknown,
                },
                Some(w) => TyExpr::Call(self.canonical(&w)),
                None => TyExpr::Unknown,
            },
            Expr::Attribute(a) => match (&*a.value, class) {
                (Expr::Name(n), Some(class)) if n.id.as_str() == "self" => {
                    TyExpr::Attr(self.module.clone(), class.to_string(), a.attr.to_string())
                }
                _ => match written_name(e) {
                    Some(w) if self.imports.contains_key(&w[0]) => {
                        TyExpr::Global(self.canonical(&w))
                    }
                    _ => TyExpr::Unknown,
                },
            },
            Expr::Name(n) => TyExpr::Global(self.canonical(&[n.id.to_string()])),
            _ => TyExpr::Unknown,
        }
    }

    /// The type an annotation names.
    fn annotation_ty(&self, e: &Expr) -> TyExpr {
        annotation_ty(&self.imports, &self.module, e)
    }
}

/// The type an annotation names: `AsyncEngine`, `Optional[AsyncEngine]`, `Engine | None`,
/// `"AsyncEngine"`, and a generic's outer type (`async_sessionmaker[AsyncSession]`).
pub(crate) fn annotation_ty(
    imports: &HashMap<String, Vec<String>>,
    module: &[String],
    e: &Expr,
) -> TyExpr {
    let ann = |e: &Expr| annotation_ty(imports, module, e);
    match e {
        Expr::Subscript(s) => match written_name(&s.value).as_deref().and_then(|w| w.last()) {
            Some(outer) if outer == "Optional" || outer == "Annotated" => match &*s.slice {
                Expr::Tuple(t) => t.elts.first().map_or(TyExpr::Unknown, ann),
                other => ann(other),
            },
            Some(outer) if outer == "Union" => match &*s.slice {
                Expr::Tuple(t) => t
                    .elts
                    .iter()
                    .map(ann)
                    .find(|t| *t != TyExpr::Unknown)
                    .unwrap_or(TyExpr::Unknown),
                other => ann(other),
            },
            _ => ann(&s.value),
        },
        Expr::BinOp(b) => match ann(&b.left) {
            TyExpr::Unknown => ann(&b.right),
            ty => ty,
        },
        Expr::StringLiteral(s) => {
            let text = s.value.to_str();
            TyExpr::Class(canonical(imports, module, &dotted(text.trim())))
        }
        other => match written_name(other) {
            Some(w) if w != ["None"] => TyExpr::Class(canonical(imports, module, &w)),
            _ => TyExpr::Unknown,
        },
    }
}

/// Records what an `import` or `from .. import` statement binds, made absolute from `module` (a
/// package's `__init__` when `package`).
pub(crate) fn read_import(
    stmt: &Stmt,
    module: &[String],
    package: bool,
    imports: &mut HashMap<String, Vec<String>>,
) {
    match stmt {
        Stmt::Import(i) => {
            for alias in &i.names {
                let full = dotted(alias.name.as_str());
                match &alias.asname {
                    Some(a) => {
                        imports.insert(a.to_string(), full);
                    }
                    None => {
                        let root = full[0].clone();
                        imports.insert(root.clone(), vec![root]);
                    }
                }
            }
        }
        Stmt::ImportFrom(i) => {
            let named = i
                .module
                .as_ref()
                .map(|m| dotted(m.as_str()))
                .unwrap_or_default();
            let base = if i.level == 0 {
                named
            } else {
                // `from . import x` in a package's `__init__` is the package itself.
                let up = i.level as usize - usize::from(package);
                let mut base = module[..module.len().saturating_sub(up)].to_vec();
                base.extend(named);
                base
            };
            for alias in &i.names {
                let name = alias.name.to_string();
                let mut full = base.clone();
                full.push(name.clone());
                let local = alias.asname.as_ref().map_or(name, |a| a.to_string());
                imports.insert(local, full);
            }
        }
        _ => {}
    }
}

/// Whether a method is decorated `@property` (or `@functools.cached_property`).
fn is_property(f: &ast::StmtFunctionDef) -> bool {
    f.decorator_list.iter().any(|d| {
        written_name(&d.expression)
            .and_then(|w| w.last().cloned())
            .is_some_and(|n| n == "property" || n == "cached_property")
    })
}

/// The annotated parameters of a function.
fn parameter_annotations(f: &ast::StmtFunctionDef) -> Vec<(String, &Expr)> {
    f.parameters
        .iter_non_variadic_params()
        .filter_map(|p| {
            p.parameter
                .annotation
                .as_deref()
                .map(|a| (p.parameter.name.to_string(), a))
        })
        .collect()
}

/// The module global a function returns, when every `return` returns that one name, and the name
/// is the module's (declared `global` there, or neither a parameter nor assigned in the body).
fn returned_global(f: &ast::StmtFunctionDef) -> Option<String> {
    let mut returned: Option<String> = None;
    let mut every = true;
    let mut declared: Vec<String> = Vec::new();
    let mut assigned: Vec<String> = Vec::new();
    flow::each_stmt(&f.body, &mut |stmt| match stmt {
        Stmt::Return(r) => match r.value.as_deref() {
            Some(Expr::Name(n)) if returned.as_deref().is_none_or(|g| g == n.id.as_str()) => {
                returned = Some(n.id.to_string());
            }
            _ => every = false,
        },
        Stmt::Global(g) => declared.extend(g.names.iter().map(|n| n.to_string())),
        Stmt::Assign(a) => assigned.extend(a.targets.iter().filter_map(|t| match t {
            Expr::Name(n) => Some(n.id.to_string()),
            _ => None,
        })),
        Stmt::AnnAssign(a) => {
            if let Expr::Name(n) = &*a.target {
                assigned.push(n.id.to_string());
            }
        }
        Stmt::For(l) => {
            if let Expr::Name(n) = &*l.target {
                assigned.push(n.id.to_string());
            }
        }
        Stmt::With(w) => {
            assigned.extend(
                w.items
                    .iter()
                    .filter_map(|i| match i.optional_vars.as_deref() {
                        Some(Expr::Name(n)) => Some(n.id.to_string()),
                        _ => None,
                    }),
            )
        }
        _ => {}
    });
    let global = returned.filter(|_| every)?;
    let param = f.parameters.iter().any(|p| p.name().as_str() == global);
    let module_name = declared.contains(&global) || (!param && !assigned.contains(&global));
    module_name.then_some(global)
}

fn dotted(s: &str) -> Vec<String> {
    s.split('.').map(str::to_string).collect()
}

/// `a.b.c` as written, for a chain of names and attributes.
pub(crate) fn written_name(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Name(n) => Some(vec![n.id.to_string()]),
        Expr::Attribute(a) => {
            let mut base = written_name(&a.value)?;
            base.push(a.attr.to_string());
            Some(base)
        }
        _ => None,
    }
}

/// Makes a dotted name canonical through a module's imports; names defined in the module itself
/// are prefixed with the module's path.
fn canonical(
    imports: &HashMap<String, Vec<String>>,
    module: &[String],
    written: &[String],
) -> Vec<String> {
    let Some(first) = written.first() else {
        return Vec::new();
    };
    match imports.get(first) {
        Some(target) => {
            let mut out = target.clone();
            out.extend(written[1..].iter().cloned());
            out
        }
        None => {
            let mut out = module.to_vec();
            out.extend(written.iter().cloned());
            out
        }
    }
}

/// Pass 2 over one module: its functions' summaries.
pub(crate) fn summarize(
    path: &str,
    src: &str,
    index: &PyIndex,
    options: &Options,
) -> Result<Vec<FnSummary<Location>>, SourceError> {
    crate::parse_count::record(path);
    let module = parse(src)?;
    Ok(summarize_tree(path, src, &module, index, options))
}

/// Pass 2 over a module [`read`] parsed.
pub(crate) fn summarize_parsed(
    path: &str,
    module: &Module,
    index: &PyIndex,
    options: &Options,
) -> Vec<FnSummary<Location>> {
    summarize_tree(path, &module.src, &module.ast, index, options)
}

fn summarize_tree(
    path: &str,
    src: &str,
    module: &ast::ModModule,
    index: &PyIndex,
    options: &Options,
) -> Vec<FnSummary<Location>> {
    // Built on the first position asked for: most modules have nothing to report.
    let lines = std::cell::OnceCell::new();
    let at = |r: ruff_text_size::TextRange| {
        lines
            .get_or_init(|| LineIndex::new(src))
            .location(src, r.start().into(), r.end().into())
    };
    let module_path = module_path(path);
    let mut summaries = flow::summarize_module(&module.body, &module_path, index, options, &at);
    for s in &mut summaries {
        if options.providers.contains(&s.function) {
            s.provider = Some(crate::ids::Provider::Configured);
        }
    }
    summaries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_nesting_is_refused_before_the_parser_recurses() {
        let n = MAX_NESTING + 1;
        let src = format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n));
        let err = index("deep.py", &src).unwrap_err();
        assert!(err.message.contains("nest too deep"), "{err}");
        let ok = format!(
            "def f():\n    return {}1{}\n",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(index("ok.py", &ok).is_ok());
        assert_eq!(
            nesting_depth("def f():\n    if x:\n        return (1)\n"),
            3
        );
    }
}
