//! Pass 2 for Python: reads each function body and records which handles flow into its return
//! values, its `yield`s and the places it stores them.
//!
//! A name bound by `with`/`async with` over a scope that closes its handle on exit (a catalog
//! call, or the project's own `@contextmanager` function or class with `__enter__`) carries a
//! with-bound origin; a result of calling a project function carries a call origin, settled by
//! propagation. Parameters carry nothing; data read through a handle carries nothing.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::callee::Callee;
use super::catalog::{self, LibType, Manager, OnExit};
use super::names::ModuleNames;
use super::{ClassRef, PyIndex, PyTy, written_name};
use crate::held::Tracker;
use crate::ids::{FnKey, HandleKind};
use crate::location::Location;
use crate::options::Options;
use crate::summary::{
    CoroArg, CoroRun, FnSummary, Language, ManagerRole, Origin, OriginKind, PoolFlow, PoolPath,
    PoolRoot, Release, ReleaseHow, ReturnFlow, Share, ShareHow, Slot, StoreFlow, TargetEvidence,
    union_into,
};

/// Deeper than this, an expression is treated as carrying nothing.
const MAX_DEPTH: usize = 200;

/// Visits statements, into compound statements but not into nested functions or classes.
pub(crate) fn each_stmt<'e>(body: &'e [Stmt], f: &mut dyn FnMut(&'e Stmt)) {
    for stmt in body {
        f(stmt);
        match stmt {
            Stmt::If(s) => {
                each_stmt(&s.body, f);
                for clause in &s.elif_else_clauses {
                    each_stmt(&clause.body, f);
                }
            }
            Stmt::For(s) => {
                each_stmt(&s.body, f);
                each_stmt(&s.orelse, f);
            }
            Stmt::While(s) => {
                each_stmt(&s.body, f);
                each_stmt(&s.orelse, f);
            }
            Stmt::With(s) => each_stmt(&s.body, f),
            Stmt::Try(s) => {
                each_stmt(&s.body, f);
                for ast::ExceptHandler::ExceptHandler(h) in &s.handlers {
                    each_stmt(&h.body, f);
                }
                each_stmt(&s.orelse, f);
                each_stmt(&s.finalbody, f);
            }
            Stmt::Match(s) => {
                for case in &s.cases {
                    each_stmt(&case.body, f);
                }
            }
            _ => {}
        }
    }
}

/// Whether a decorator's last name makes a generator a context manager.
pub(crate) fn is_context_manager_decorator(last: &str) -> bool {
    catalog::CONTEXT_MANAGER_DECORATORS.contains(&last)
}

/// What `with <value> as x` binds, when the value is a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
enum WithScope {
    /// A library's manager that closes what it binds (of this tracked type, when known).
    Closes(HandleKind, Option<LibType>),
    /// A library's manager that leaves what it binds open.
    KeepsOpen(Option<LibType>),
    /// `contextlib.closing(x)`: binds `x` and closes it on exit.
    Closing,
    /// The project's own scope: these functions' `yield` or `__enter__` decides.
    Project(Vec<FnKey>),
}

#[derive(Clone, Debug)]
struct Value {
    carried: Vec<usize>,
    ty: PyTy,
    scope: Option<WithScope>,
    site: Option<TextRange>,
    /// The pool path the value is, when a function can name it again (see the Rust walker's).
    place: Option<Rc<PoolPath>>,
}

impl Default for Value {
    fn default() -> Self {
        Value {
            carried: Vec::new(),
            ty: PyTy::Unknown,
            scope: None,
            site: None,
            place: None,
        }
    }
}

impl Value {
    fn typed(ty: PyTy) -> Value {
        Value {
            ty,
            ..Value::default()
        }
    }
}

/// A function to read: where it sits and what it is.
struct FnDef<'a> {
    def: &'a ast::StmtFunctionDef,
    class: Option<ClassRef>,
    qual_name: String,
    /// Defined inside another function (at any depth, a method of a class there included).
    nested: bool,
    /// The statements it is defined among (a method's class body): where `__enter__` finds its
    /// `__exit__`.
    siblings: &'a [Stmt],
}

/// All functions of a module, summarized.
pub(crate) fn summarize_module(
    body: &[Stmt],
    module: &[String],
    index: &PyIndex,
    options: &Options,
    at: &dyn Fn(TextRange) -> Location,
) -> Vec<FnSummary<Location>> {
    let empty = HashMap::default();
    let imports = index.imports(module).unwrap_or(&empty);
    let mut defs = Vec::new();
    collect_defs(body, module, None, None, &mut defs);
    let names = ModuleNames::new(index, module);
    defs.iter()
        .filter(|d| options.include_tests || !is_test_code(d, imports, module))
        .map(|d| summarize_fn(d, module, imports, index, &names, at))
        .collect()
}

fn collect_defs<'a>(
    body: &'a [Stmt],
    module: &[String],
    class: Option<&ClassRef>,
    prefix: Option<&str>,
    out: &mut Vec<FnDef<'a>>,
) {
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(f) => {
                let own = match (prefix, class) {
                    (Some(p), _) => format!("{p}.{}", f.name),
                    (None, Some(c)) => format!("{}.{}", c.name, f.name),
                    (None, None) => f.name.to_string(),
                };
                out.push(FnDef {
                    def: f,
                    class: class.cloned(),
                    qual_name: own.clone(),
                    nested: prefix.is_some(),
                    siblings: body,
                });
                // Functions nested in this one.
                collect_nested(&f.body, module, &own, out);
            }
            Stmt::ClassDef(c) => {
                let class = ClassRef {
                    module: module.to_vec(),
                    name: c.name.to_string(),
                };
                let prefix = prefix.map(|p| format!("{p}.{}", c.name));
                collect_defs(&c.body, module, Some(&class), prefix.as_deref(), out);
            }
            Stmt::If(s) => {
                collect_defs(&s.body, module, class, prefix, out);
                for clause in &s.elif_else_clauses {
                    collect_defs(&clause.body, module, class, prefix, out);
                }
            }
            Stmt::Try(s) => {
                collect_defs(&s.body, module, class, prefix, out);
                collect_defs(&s.orelse, module, class, prefix, out);
            }
            Stmt::With(s) => collect_defs(&s.body, module, class, prefix, out),
            _ => {}
        }
    }
}

/// Functions defined inside a function body (at any depth of its compound statements).
fn collect_nested<'a>(body: &'a [Stmt], module: &[String], prefix: &str, out: &mut Vec<FnDef<'a>>) {
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                collect_defs(std::slice::from_ref(stmt), module, None, Some(prefix), out);
            }
            Stmt::If(s) => {
                collect_nested(&s.body, module, prefix, out);
                for clause in &s.elif_else_clauses {
                    collect_nested(&clause.body, module, prefix, out);
                }
            }
            Stmt::For(s) => collect_nested(&s.body, module, prefix, out),
            Stmt::While(s) => collect_nested(&s.body, module, prefix, out),
            Stmt::With(s) => collect_nested(&s.body, module, prefix, out),
            Stmt::Try(s) => {
                collect_nested(&s.body, module, prefix, out);
                for ast::ExceptHandler::ExceptHandler(h) in &s.handlers {
                    collect_nested(&h.body, module, prefix, out);
                }
                collect_nested(&s.finalbody, module, prefix, out);
            }
            _ => {}
        }
    }
}

/// Decorator names, made canonical: `pytest.fixture`, `contextlib.asynccontextmanager`.
fn decorators(
    def: &ast::StmtFunctionDef,
    imports: &HashMap<String, Vec<String>>,
    module: &[String],
) -> Vec<Vec<String>> {
    def.decorator_list
        .iter()
        .filter_map(|d| {
            let e = match &d.expression {
                Expr::Call(c) => &*c.func,
                other => other,
            };
            written_name(e).map(|w| super::canonical(imports, module, &w))
        })
        .collect()
}

/// pytest fixtures and test functions exist for tests.
fn is_test_code(d: &FnDef<'_>, imports: &HashMap<String, Vec<String>>, module: &[String]) -> bool {
    if d.class.is_none() && !d.nested && d.def.name.as_str().starts_with("test_") {
        return true;
    }
    decorators(d.def, imports, module).iter().any(|q| {
        catalog::TEST_DECORATORS.iter().any(|(root, name)| {
            q.first().is_some_and(|r| r == root) && q.last().is_some_and(|l| l == name)
        })
    })
}

struct BodyReader<'a> {
    index: &'a PyIndex,
    /// The module-level names, resolved once per module.
    names: &'a ModuleNames<'a>,
    module: &'a [String],
    /// The module's imports, and those inside the function body (`def f(): from x import y`).
    imports: std::borrow::Cow<'a, HashMap<String, Vec<String>>>,
    env: HashMap<String, Value>,
    /// Names that refer to objects the function does not own: parameters (and `self`).
    outer: HashSet<String>,
    /// Names declared `global`.
    globals: HashSet<String>,
    origins: Vec<(OriginKind, TextRange)>,
    returns: Vec<(TextRange, Vec<usize>)>,
    yields: Vec<(TextRange, Vec<usize>)>,
    stores: Vec<(TextRange, String, Vec<usize>)>,
    /// Store targets a `finally` resets (`self._session = None`).
    reset: HashSet<String>,
    /// Targets of unresolved `with` blocks that wait for evidence of being a database handle
    /// (origin index → whether the block used it as one).
    pending: HashMap<usize, bool>,
    /// What makes this function a scope for a `with` block, known before its body is read.
    role: ManagerRole,
    /// The name of a method's receiver (`self`, `cls`).
    receiver: Option<String>,
    /// Inside this many `finally` blocks, and `except` handlers.
    in_finally: usize,
    in_except: usize,
    /// A `yield` has been read (what follows runs when the `with` block exits).
    yielded: bool,
    /// Handles released where a scope's exit runs: in a `finally`, after the `yield`, through
    /// `closing`, or (for `__enter__`) in the class's `__exit__`.
    releases: Vec<(TextRange, ReleaseHow, Vec<usize>)>,
    /// `return self` in `__enter__`.
    returns_self: Vec<TextRange>,
    /// Functions defined in this body, by name, and their keys.
    nested: HashMap<String, FnKey>,
    /// How many `yield`s have been read.
    yield_count: usize,
    /// This function's qualified name, for the keys of the functions defined in it.
    qual_name: String,
    depth: usize,
    /// The handle the function's return annotation names (`-> Session`), if any.
    declared: Option<HandleKind>,
    /// What the function holds from its pools and does to them meanwhile (SDB006, SDB007).
    held: Tracker<TextRange>,
    /// Origins released (`conn.close()`, `pool.release(conn)`) anywhere: no longer held.
    released: HashSet<usize>,
    /// Paths from parameters statements run on (SDB008).
    runs_on: Vec<(PoolPath, bool)>,
    /// The project calls read, by range: their callees and the values they were given, for a
    /// `gather` that runs them at once (SDB008).
    coroutines: HashMap<TextRange, (Vec<FnKey>, Vec<CoroArg>)>,
    /// Coroutines run at once (SDB008).
    shares: Vec<Share<TextRange>>,
    /// Tasks made (`create_task(f(session))`) and not awaited yet: what each runs, the name it
    /// is bound to, and the loop and `TaskGroup` depths it was made at (SDB008).
    tasks: Vec<LiveTask>,
    /// Above zero while reading what may be a coroutine kept or run at once (the arguments of
    /// `gather`, `create_task`, `append`; an assigned call): only then are the values a project
    /// call is given recorded (SDB008).
    coroutine_context: usize,
    /// Coroutines made and kept in a local to be gathered later (`coros.append(f(session, i))`,
    /// `first = f(session)`), by the local's name (SDB008).
    kept_coroutines: HashMap<String, Vec<CoroRun<TextRange>>>,
    loop_depth: usize,
    group_depth: usize,
    /// How many `with` blocks deep the reader is.
    with_depth: usize,
}

fn summarize_fn(
    d: &FnDef<'_>,
    module: &[String],
    imports: &HashMap<String, Vec<String>>,
    index: &PyIndex,
    names: &ModuleNames<'_>,
    at: &dyn Fn(TextRange) -> Location,
) -> FnSummary<Location> {
    let mut imports = std::borrow::Cow::Borrowed(imports);
    each_stmt(&d.def.body, &mut |stmt| {
        if matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) {
            super::read_import(stmt, module, index.is_package(module), imports.to_mut());
        }
    });
    let mut fx = BodyReader {
        index,
        names,
        module,
        imports,
        env: HashMap::default(),
        outer: HashSet::default(),
        globals: HashSet::default(),
        origins: Vec::new(),
        returns: Vec::new(),
        yields: Vec::new(),
        stores: Vec::new(),
        reset: HashSet::default(),
        pending: HashMap::default(),
        role: ManagerRole::None,
        receiver: None,
        in_finally: 0,
        in_except: 0,
        yielded: false,
        releases: Vec::new(),
        returns_self: Vec::new(),
        nested: HashMap::default(),
        yield_count: 0,
        qual_name: d.qual_name.clone(),
        depth: 0,
        declared: None,
        held: Tracker::default(),
        released: HashSet::default(),
        runs_on: Vec::new(),
        coroutines: HashMap::default(),
        shares: Vec::new(),
        tasks: Vec::new(),
        kept_coroutines: HashMap::default(),
        coroutine_context: 0,
        loop_depth: 0,
        group_depth: 0,
        with_depth: 0,
    };
    // A function nested in another is its own: keyed by its qualified name (`outer.inner`), never
    // the key of a module function or method of the same name, and never what a call links to.
    let key = if d.nested {
        FnKey {
            module: module.to_vec(),
            owner: None,
            name: d.qual_name.clone(),
        }
    } else {
        FnKey {
            module: module.to_vec(),
            owner: d.class.as_ref().map(|c| c.name.clone()),
            name: d.def.name.to_string(),
        }
    };
    // What the function's return annotation says it returns, else what the consumers of it as a
    // FastAPI dependency declare they get.
    fx.declared = match d.def.returns.as_deref() {
        Some(r) => bound_handle(&super::annotation_ty(&fx.imports, module, r)),
        None => index
            .dependency_type(&key)
            .and_then(|(_, ty)| bound_handle(ty)),
    };
    let params = &d.def.parameters;
    for (i, p) in params.iter_non_variadic_params().enumerate() {
        let name = p.parameter.name.to_string();
        let ty = if i == 0 && d.class.is_some() && (name == "self" || name == "cls") {
            d.class.clone().map_or(PyTy::Unknown, PyTy::Class)
        } else {
            p.parameter
                .annotation
                .as_deref()
                .map_or(PyTy::Unknown, |a| fx.annotation(a))
        };
        fx.outer.insert(name.clone());
        let place = Some(Rc::new(PoolPath::root(PoolRoot::Param {
            index: i,
            name: name.clone(),
        })));
        fx.env.insert(
            name,
            Value {
                place,
                ..Value::typed(ty)
            },
        );
    }
    // FastAPI's dependencies (`session: AsyncSession = Depends(get_session)`): what the project's
    // dependency gives is held by the route for the whole request.
    for (i, p) in params.iter_non_variadic_params().enumerate() {
        fx.depends_hold(i, p);
    }
    for p in [&params.vararg, &params.kwarg].into_iter().flatten() {
        fx.outer.insert(p.name.to_string());
    }
    let scope = if decorators(d.def, &fx.imports, module)
        .iter()
        .any(|q| q.last().is_some_and(|l| is_context_manager_decorator(l)))
    {
        ManagerRole::Generator
    } else if d.class.is_some() && matches!(d.def.name.as_str(), "__enter__" | "__aenter__") {
        ManagerRole::Enter
    } else {
        ManagerRole::None
    };
    fx.role = scope;
    if d.class.is_some() {
        fx.receiver = params
            .iter_non_variadic_params()
            .next()
            .map(|p| p.parameter.name.to_string());
    }
    fx.block(&d.def.body);
    if scope == ManagerRole::Enter {
        fx.enter_released_by_exit(d.siblings);
    }

    // Keep the origins that a return, yield or store carries, with their locations; the target of
    // an unresolved `with` only when the block used it as a database handle.
    let pending = std::mem::take(&mut fx.pending);
    let mut kept: HashMap<usize, usize> = HashMap::default();
    let mut origins = Vec::new();
    let mut keep = |carried: Vec<usize>| -> Vec<usize> {
        carried
            .into_iter()
            .filter(|o| pending.get(o) != Some(&false))
            .map(|o| {
                *kept.entry(o).or_insert_with(|| {
                    let (kind, range) = &fx.origins[o];
                    origins.push(Origin {
                        kind: kind.clone(),
                        span: at(*range),
                    });
                    origins.len() - 1
                })
            })
            .collect()
    };
    let returns = std::mem::take(&mut fx.returns)
        .into_iter()
        .map(|(r, c)| ReturnFlow {
            span: at(r),
            origins: keep(c),
        })
        .filter(|r| !r.origins.is_empty())
        .collect();
    let yields = std::mem::take(&mut fx.yields)
        .into_iter()
        .map(|(r, c)| ReturnFlow {
            span: at(r),
            origins: keep(c),
        })
        .filter(|r| !r.origins.is_empty())
        .collect();
    let reset = std::mem::take(&mut fx.reset);
    let stores = std::mem::take(&mut fx.stores)
        .into_iter()
        .filter(|(_, target, _)| !reset.contains(target))
        .map(|(r, target, c)| StoreFlow {
            span: at(r),
            target,
            origins: keep(c),
        })
        .filter(|s| !s.origins.is_empty())
        .collect();
    // Releases of what the flows carry (nothing else of a release matters to a caller).
    let releases = std::mem::take(&mut fx.releases)
        .into_iter()
        .map(|(r, how, c)| Release {
            span: at(r),
            how,
            origins: c.iter().filter_map(|o| kept.get(o).copied()).collect(),
        })
        .filter(|r| !r.origins.is_empty())
        .collect();
    FnSummary {
        language: Language::Python,
        key,
        function: d.qual_name.clone(),
        name_span: at(d.def.name.range()),
        provider: None,
        declared_kind: None,
        allowed: Vec::new(),
        origins,
        returns,
        yields,
        scope,
        stores,
        leaks: Vec::new(),
        unfinished: Vec::new(),
        releases,
        pools: PoolFlow {
            runs_on: std::mem::take(&mut fx.runs_on),
            shares: std::mem::take(&mut fx.shares)
                .into_iter()
                .map(|sh| sh.map_spans(&mut |r| at(r)))
                .collect(),
            ..std::mem::take(&mut fx.held).finish(at)
        },
    }
}

impl BodyReader<'_> {
    /// A route's parameter `i` whose default (or `Annotated` metadata) is FastAPI's
    /// `Depends(f)` with `f` a project function: the handle `f` gives (from the pool it takes it
    /// from, once linked) is held by the parameter from the start.
    fn depends_hold(&mut self, i: usize, p: &ast::ParameterWithDefault) {
        fn depends_on<'e>(fx: &BodyReader<'_>, e: &'e Expr) -> Option<&'e Expr> {
            let Expr::Call(c) = e else {
                return None;
            };
            let q = fx.canonical(&written_name(&c.func)?);
            (q.first().map(String::as_str) == Some("fastapi")
                && q.last().map(String::as_str) == Some("Depends"))
            .then(|| c.arguments.args.first())
            .flatten()
        }
        let depends_on = |e| depends_on(self, e);
        let annotated = match p.parameter.annotation.as_deref() {
            Some(Expr::Subscript(s)) => match &*s.slice {
                Expr::Tuple(t) => t.elts.iter().skip(1).find_map(depends_on),
                _ => None,
            },
            _ => None,
        };
        let Some(target) = p.default.as_deref().and_then(depends_on).or(annotated) else {
            return;
        };
        let Some(written) = written_name(target) else {
            return;
        };
        let q = self.canonical(&written);
        let Callee::Project(keys, _) = self.names.path_callee(&q, || PyTy::Unknown) else {
            return;
        };
        let range = target.range();
        let o = self.origin(OriginKind::Call(keys.clone()), range);
        self.held
            .call(&keys, Vec::new(), range, Some(o), true, &|_| false);
        self.held.injected(o);
        self.held.given(o);
        let place = PoolPath::root(PoolRoot::Param {
            index: i,
            name: p.parameter.name.to_string(),
        });
        self.held.held_by(o, place);
    }

    fn origin(&mut self, kind: OriginKind, range: TextRange) -> usize {
        self.origins.push((kind, range));
        self.origins.len() - 1
    }

    fn canonical(&self, written: &[String]) -> Vec<String> {
        super::canonical(&self.imports, self.module, written)
    }

    fn annotation(&self, e: &Expr) -> PyTy {
        self.names
            .resolve(&super::annotation_ty(&self.imports, self.module, e))
    }

    fn block(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Return(r) => {
                if let Some(value) = &r.value {
                    if self.role == ManagerRole::Enter
                        && matches!(&**value, Expr::Name(n) if Some(n.id.as_str()) == self.receiver.as_deref())
                    {
                        self.returns_self.push(value.range());
                    }
                    let v = self.expr(value);
                    if !v.carried.is_empty() {
                        self.held.returned(&v.carried, value.range());
                        self.returns
                            .push((v.site.unwrap_or(value.range()), v.carried));
                    }
                }
            }
            Stmt::Expr(e) => {
                self.expr(&e.value);
            }
            Stmt::Assign(a) => {
                let tasks = self.tasks.len();
                let call = usize::from(matches!(&*a.value, Expr::Call(_)));
                self.coroutine_context += call;
                let v = self.expr(&a.value);
                self.coroutine_context -= call;
                for target in &a.targets {
                    self.assign(target, &v);
                }
                // `task = create_task(f(session))`: awaited by this name.
                if self.tasks.len() == tasks + 1
                    && let [Expr::Name(n)] = a.targets.as_slice()
                    && let Some(t) = self.tasks.last_mut()
                {
                    t.name = Some(n.id.to_string());
                }
                // `first = f(session)`, `coros = [f(session, i) for i in ids]`: coroutines kept
                // to be gathered; any other value the name is given replaces them.
                if let [Expr::Name(n)] = a.targets.as_slice() {
                    match self.coroutine_of(&a.value) {
                        Some(run) => {
                            self.kept_coroutines.insert(n.id.to_string(), vec![run]);
                        }
                        None => {
                            self.kept_coroutines.remove(n.id.as_str());
                        }
                    }
                }
            }
            Stmt::AnnAssign(a) => {
                let mut v = match &a.value {
                    Some(value) => self.expr(value),
                    None => Value::default(),
                };
                if v.ty == PyTy::Unknown {
                    v.ty = self.annotation(&a.annotation);
                }
                if a.value.is_some() {
                    self.assign(&a.target, &v);
                }
            }
            Stmt::AugAssign(a) => {
                self.expr(&a.value);
            }
            Stmt::With(w) => self.with_stmt(w),
            Stmt::If(s) => {
                self.expr(&s.test);
                let mark = self.held.mark();
                self.block(&s.body);
                for clause in &s.elif_else_clauses {
                    self.held.next_alternative(mark);
                    if let Some(test) = &clause.test {
                        self.expr(test);
                    }
                    self.block(&clause.body);
                }
                self.held.alternatives_end(mark);
            }
            Stmt::For(s) => {
                let iter = self.expr(&s.iter);
                // Iterating a cursor gives its rows.
                let carried: Vec<usize> = self
                    .read_through(&iter.carried)
                    .into_iter()
                    .filter(|&o| {
                        !matches!(
                            self.origins[o].0,
                            OriginKind::WithBound(HandleKind::Cursor)
                                | OriginKind::Obtained(HandleKind::Cursor)
                        )
                    })
                    .collect();
                self.assign(
                    &s.target,
                    &Value {
                        carried,
                        scope: None,
                        site: None,
                        ..iter
                    },
                );
                self.loop_body(&s.body);
                self.block(&s.orelse);
            }
            Stmt::While(s) => {
                self.expr(&s.test);
                self.loop_body(&s.body);
                self.block(&s.orelse);
            }
            Stmt::Try(s) => self.try_stmt(s),
            Stmt::Match(m) => {
                self.expr(&m.subject);
                for case in &m.cases {
                    self.block(&case.body);
                }
            }
            Stmt::Global(g) => {
                self.globals.extend(g.names.iter().map(|n| n.to_string()));
            }
            // A function defined here is called by its name below: its key is its qualified name.
            Stmt::FunctionDef(f) => {
                let name = f.name.to_string();
                self.env.remove(&name);
                self.nested.insert(
                    name.clone(),
                    FnKey {
                        module: self.module.to_vec(),
                        owner: None,
                        name: format!("{}.{name}", self.qual_name),
                    },
                );
            }
            // Nested functions and classes are summarized on their own.
            _ => {}
        }
    }

    /// A `with` statement: what each manager binds (a handle of the library when it closes it on
    /// exit, the project's own scope, or data), then the block.
    fn with_stmt(&mut self, w: &ast::StmtWith) {
        // What the managers take from pools is held for the block.
        self.with_depth += 1;
        let frame = self.with_depth;
        let mark = self.held.mark();
        let mut bound_names: Vec<(String, usize)> = Vec::new();
        // Targets of managers that were not resolved: assumed released on exit, so what holds
        // one after the block holds nothing this rule reports (its documentation promises only
        // targets that leave inside the block).
        let mut unresolved: Vec<usize> = Vec::new();
        for item in &w.items {
            let mut v = self.expr(&item.context_expr);
            // `with (a() if reuse else b()) as c`: a scope whichever arm runs.
            if v.scope.is_none()
                && let Expr::If(i) = &item.context_expr
            {
                self.held.mute(true);
                v.scope = [&*i.body, &*i.orelse]
                    .into_iter()
                    .find_map(|arm| self.expr(arm).scope);
                self.held.mute(false);
            }
            let range = item.context_expr.range();
            let bound = match &v.scope {
                Some(WithScope::Closes(kind, binds)) => {
                    let o = self.origin(OriginKind::WithBound(*kind), range);
                    for &taken in &v.carried {
                        self.held.alias(taken, o);
                    }
                    Value {
                        carried: vec![o],
                        ty: binds.map_or(PyTy::Unknown, PyTy::Lib),
                        ..Value::default()
                    }
                }
                // The target keeps the type the project's function gives (`conn.cursor()` on a
                // connection a project function returns resolves). What the function gives from a
                // pool is held for the block.
                Some(WithScope::Project(keys)) => {
                    let o = self.origin(OriginKind::Enter(keys.clone()), range);
                    for &taken in &v.carried {
                        self.held.given(taken);
                        self.held.alias(taken, o);
                    }
                    // A database scope when the project's manager is one (known once linked),
                    // held once used (it may be a session).
                    self.held.scoped(
                        o,
                        HandleKind::Connection,
                        false,
                        keys.clone(),
                        Some((&[o][..], None)),
                        range,
                    );
                    Value {
                        carried: vec![o],
                        ty: v.ty.clone(),
                        ..Value::default()
                    }
                }
                // The manager binds itself: the target is the value, open after the block.
                Some(WithScope::KeepsOpen(binds)) => Value {
                    carried: v.carried.clone(),
                    ty: binds.map_or(PyTy::Unknown, PyTy::Lib),
                    ..Value::default()
                },
                // `closing(x)`: the target is `x`, closed on exit; a handle of the type `x` has,
                // else evidence is needed as for any manager that was not resolved.
                Some(WithScope::Closing) => {
                    self.release(range, ReleaseHow::Closing, &v.carried);
                    let kind = match &v.ty {
                        PyTy::Lib(t) => catalog::handle_kind(t),
                        _ => None,
                    };
                    let o = match kind {
                        Some(kind) => self.origin(OriginKind::WithBound(kind), range),
                        None => {
                            // `closing(MySQLdb.connect(..))`: evidence from what it closes.
                            let closed = match &item.context_expr {
                                Expr::Call(c) => c.arguments.args.first(),
                                _ => None,
                            };
                            let db = matches!(
                                closed.and_then(|x| self.unresolved_manager(x)),
                                Some(Evidence::Db | Evidence::DbApi)
                            );
                            let evidence = if db {
                                TargetEvidence::DbPackage
                            } else {
                                TargetEvidence::UsedAsHandle
                            };
                            let o = self.origin(OriginKind::WithTarget(evidence), range);
                            if !db {
                                self.pending.insert(o, false);
                            }
                            unresolved.push(o);
                            o
                        }
                    };
                    let mut carried = vec![o];
                    union_into(&mut carried, &v.carried);
                    Value {
                        carried,
                        ty: v.ty.clone(),
                        ..Value::default()
                    }
                }
                None => match self.unresolved_manager(&item.context_expr) {
                    // `def get_session() -> Session`: what the block binds is a session
                    // whatever made it, closed on exit.
                    Some(evidence) => {
                        let kind = match (self.declared, evidence) {
                            (Some(kind), _) => OriginKind::WithBound(kind),
                            (None, Evidence::Db) => {
                                OriginKind::WithTarget(TargetEvidence::DbPackage)
                            }
                            (None, Evidence::DbApi) => {
                                OriginKind::WithTarget(TargetEvidence::DbApiCall)
                            }
                            (None, Evidence::Needed) => {
                                OriginKind::WithTarget(TargetEvidence::UsedAsHandle)
                            }
                        };
                        let o = self.origin(kind, range);
                        if self.declared.is_none() && evidence == Evidence::Needed {
                            self.pending.insert(o, false);
                        }
                        unresolved.push(o);
                        Value {
                            carried: vec![o],
                            ..Value::default()
                        }
                    }
                    None => Value::default(),
                },
            };
            // `session = SessionLocal()` then `with session:`: the block closes the session the
            // name holds.
            if item.optional_vars.is_none()
                && let Expr::Name(n) = &item.context_expr
                && let Some(WithScope::Closes(kind, _)) = &v.scope
            {
                let o = self.origin(OriginKind::WithBound(*kind), range);
                if let Some(local) = self.env.get_mut(n.id.as_str()) {
                    local.carried = vec![o];
                }
            }
            // `async with httpx.AsyncClient() as client`: the target is the client.
            let bound = match (&v.ty, bound) {
                (PyTy::Client(_), b) if b.ty == PyTy::Unknown => Value {
                    ty: v.ty.clone(),
                    ..b
                },
                (_, b) => b,
            };
            if let Some(target) = &item.optional_vars {
                // `as (connection, name)`: what a manager binds as a tuple is told apart by
                // nothing here, so its items are data (a handle in one item is not followed).
                let bound = match &**target {
                    Expr::Tuple(_) | Expr::List(_) => Value::default(),
                    _ => bound,
                };
                self.assign(target, &bound);
                if let (Expr::Name(n), [o]) = (&**target, bound.carried.as_slice()) {
                    bound_names.push((n.id.to_string(), *o));
                }
            }
        }
        let stored_before = self.stores.len();
        let yields_before = self.yield_count;
        self.held.bind_since(mark, frame);
        // `async with asyncio.TaskGroup() as tg:`: the block's end awaits the tasks made in it.
        let group = w.items.iter().any(|item| {
            matches!(&item.context_expr, Expr::Call(c) if self.names_any(&c.func, TASK_GROUPS))
        });
        if group {
            self.group_depth += 1;
        }
        self.block(&w.body);
        if group {
            let depth = self.group_depth;
            self.tasks.retain(|t| t.group_depth < depth);
            self.group_depth -= 1;
        }
        self.held.scope_ended(frame);
        self.with_depth -= 1;
        // A lifespan: `app.state.pool = pool` or `app.pool = pool`, then `yield`, in a
        // `@contextmanager` generator: the object it was given holds the handle exactly as long as
        // the block lasts (the application's life). A store on the method's own receiver is not.
        if self.role == ManagerRole::Generator && self.yield_count > yields_before {
            let mut i = stored_before;
            while i < self.stores.len() {
                let root = self.stores[i]
                    .1
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if self.outer.contains(&root) && self.receiver.as_deref() != Some(root.as_str()) {
                    self.stores.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        if !unresolved.is_empty() {
            for v in self.env.values_mut() {
                v.carried.retain(|o| !unresolved.contains(o));
            }
        }
        // `self.ws = ws` and then a loop over `ws` that ends the block: the handle is
        // published for as long as it lives (other tasks use it while the loop runs), not
        // kept past the block.
        if let Some(last) = w.body.last() {
            let published: Vec<usize> = bound_names
                .iter()
                .filter(|(name, _)| loops_over(last, name))
                .map(|(_, o)| *o)
                .collect();
            if !published.is_empty() {
                for (_, _, carried) in &mut self.stores[stored_before..] {
                    carried.retain(|o| !published.contains(o));
                }
                self.stores.retain(|(_, _, carried)| !carried.is_empty());
            }
        }
    }

    /// A `try` statement; stores its `finally` resets are undone.
    fn try_stmt(&mut self, s: &ast::StmtTry) {
        self.block(&s.body);
        self.in_except += 1;
        for ast::ExceptHandler::ExceptHandler(h) in &s.handlers {
            if let Some(name) = &h.name {
                self.env.insert(name.to_string(), Value::default());
            }
            self.block(&h.body);
        }
        self.in_except -= 1;
        self.block(&s.orelse);
        self.in_finally += 1;
        self.block(&s.finalbody);
        self.in_finally -= 1;
        // `finally: self._session = None`: a store to that target is undone on the way
        // out, whatever the body stored there.
        for stmt in &s.finalbody {
            let targets: &[Expr] = match stmt {
                Stmt::Assign(a) => &a.targets,
                Stmt::Delete(d) => &d.targets,
                Stmt::AnnAssign(a) => std::slice::from_ref(&*a.target),
                _ => &[],
            };
            self.reset
                .extend(targets.iter().filter_map(written_name).map(|w| w.join(".")));
        }
    }

    /// Binds an assignment target. A name is local unless declared `global`; an attribute or
    /// item of an object the function does not own is a store that outlives it.
    fn assign(&mut self, target: &Expr, v: &Value) {
        match target {
            Expr::Name(n) => {
                let name = n.id.to_string();
                if self.globals.contains(&name) {
                    self.store(target.range(), name.clone(), v);
                }
                // What a project call gives from a pool is held from here.
                for &o in &v.carried {
                    self.held.given(o);
                }
                // A pool made here is a local place of its own; another name for one is that one.
                let place = match &v.place {
                    None if is_pool(&v.ty) => Some(self.held.local(&name)),
                    place => place.clone(),
                };
                self.env.insert(
                    name,
                    Value {
                        site: None,
                        place,
                        ..v.clone()
                    },
                );
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                let part = Value {
                    carried: self.read_through(&v.carried),
                    ..Value::default()
                };
                for e in elts {
                    self.assign(e, &part);
                }
            }
            Expr::Starred(s) => self.assign(&s.value, v),
            Expr::Attribute(a) => {
                self.store_into(&a.value, target, v);
                // Read back in this function: `self.session = factory(); return self.session`.
                if let Some(w) = written_name(target) {
                    self.env.insert(
                        w.join("."),
                        Value {
                            site: None,
                            ..v.clone()
                        },
                    );
                }
            }
            Expr::Subscript(s) => {
                self.expr(&s.slice);
                self.store_into(&s.value, target, v);
            }
            _ => {}
        }
    }

    /// `owner.attr = v` or `owner[k] = v`: a store when `owner` outlives the function, else the
    /// local object now holds `v`.
    fn store_into(&mut self, owner: &Expr, target: &Expr, v: &Value) {
        if self.request_scoped(owner) {
            return;
        }
        match root_name(owner) {
            Some(root) if self.outlives(&root) => {
                let text =
                    written_name(target).map_or_else(|| format!("{root}[..]"), |w| w.join("."));
                self.store(target.range(), text, v);
            }
            Some(root) => {
                if let Some(local) = self.env.get_mut(&root) {
                    union_into(&mut local.carried, &v.carried);
                }
            }
            None => {}
        }
    }

    /// Whether `owner` is request-scoped storage (`request.state`, `scope`, Flask's `g`).
    fn request_scoped(&self, owner: &Expr) -> bool {
        let Some(written) = written_name(owner) else {
            return false;
        };
        if written
            .iter()
            .any(|s| catalog::REQUEST_SCOPED.contains(&s.as_str()))
        {
            return true;
        }
        let q = self.canonical(&written[..1]);
        catalog::REQUEST_GLOBALS.iter().any(|(root, name)| {
            q.first().is_some_and(|r| r == root) && q.last().is_some_and(|l| l == name)
        })
    }

    fn store(&mut self, range: TextRange, target: String, v: &Value) {
        if !v.carried.is_empty() {
            self.stores
                .push((v.site.unwrap_or(range), target, v.carried.clone()));
        }
    }

    /// Whether a name refers to something that outlives this call: `self`, a parameter, a
    /// declared global, or a module-level name.
    fn outlives(&self, name: &str) -> bool {
        self.outer.contains(name) || self.globals.contains(name) || !self.env.contains_key(name)
    }

    fn expr(&mut self, e: &Expr) -> Value {
        if self.depth >= MAX_DEPTH {
            return Value::default();
        }
        self.depth += 1;
        let v = self.expr_inner(e);
        self.depth -= 1;
        v
    }

    fn expr_inner(&mut self, e: &Expr) -> Value {
        match e {
            Expr::Name(n) => {
                let name = n.id.as_str();
                if let Some(v) = self.env.get(name) {
                    return Value {
                        site: Some(e.range()),
                        ..v.clone()
                    };
                }
                let ty = self.name_ty(name);
                // A module's pool (its own global, or one it imports) is the same pool wherever it
                // is named.
                let place = is_pool(&ty).then(|| {
                    let q = match self.imports.get(name) {
                        Some(q) => q.clone(),
                        None => self
                            .module
                            .iter()
                            .cloned()
                            .chain([name.to_string()])
                            .collect(),
                    };
                    self.global_place(&q)
                });
                Value {
                    place,
                    ..Value::typed(ty)
                }
            }
            Expr::Await(a) => {
                self.awaited(&a.value);
                let v = self.expr(&a.value);
                Value {
                    site: v.site.map(|_| e.range()),
                    ..v
                }
            }
            Expr::Call(c) => self.call(e, c),
            Expr::Attribute(a) => {
                if let Some(v) = written_name(e).and_then(|w| self.env.get(&w.join("."))) {
                    return Value {
                        site: Some(e.range()),
                        ..v.clone()
                    };
                }
                // A global of another module: `db.engine` after `from app import db`.
                if let Some(w) = written_name(e)
                    && !self.env.contains_key(&w[0])
                    && self.imports.contains_key(&w[0])
                {
                    let q = self.canonical(&w);
                    let ty = self.names.global(&q);
                    if ty != PyTy::Unknown {
                        let place = is_pool(&ty).then(|| self.global_place(&q));
                        return Value {
                            place,
                            ..Value::typed(ty)
                        };
                    }
                }
                let recv = self.expr(&a.value);
                // Data read through a handle carries nothing.
                let place = recv
                    .place
                    .as_ref()
                    .and_then(|p| p.field(a.attr.as_str()))
                    .map(Rc::new);
                match &recv.ty {
                    PyTy::Class(c) => Value {
                        place,
                        ..Value::typed(self.index.attr(c, a.attr.as_str()))
                    },
                    // `client.chat.completions`: a resource of an LLM client makes its requests.
                    PyTy::Client(t)
                        if catalog::slow_client_named(t).is_some_and(|c| c.resources) =>
                    {
                        Value {
                            place,
                            ..Value::typed(recv.ty.clone())
                        }
                    }
                    _ => Value {
                        place,
                        ..Value::default()
                    },
                }
            }
            Expr::Subscript(s) => {
                let base = self.expr(&s.value);
                self.expr(&s.slice);
                Value {
                    carried: self.read_through(&base.carried),
                    site: Some(e.range()),
                    ..Value::default()
                }
            }
            Expr::Tuple(t) => self.combine(e, &t.elts),
            Expr::List(l) => self.combine(e, &l.elts),
            Expr::Set(s) => self.combine(e, &s.elts),
            Expr::Dict(d) => {
                let values: Vec<Expr> = d.items.iter().map(|i| i.value.clone()).collect();
                for item in &d.items {
                    if let Some(k) = &item.key {
                        self.expr(k);
                    }
                }
                self.combine(e, &values)
            }
            Expr::Starred(s) => self.expr(&s.value),
            Expr::If(i) => {
                self.expr(&i.test);
                let mark = self.held.mark();
                let body = self.expr(&i.body);
                self.held.next_alternative(mark);
                let orelse = self.expr(&i.orelse);
                self.held.alternatives_end(mark);
                self.union_of(e, [(&*i.body, body), (&*i.orelse, orelse)])
            }
            Expr::BoolOp(b) => self.combine(e, &b.values),
            Expr::Named(n) => {
                let v = self.expr(&n.value);
                self.assign(&n.target, &v);
                v
            }
            Expr::Yield(y) => {
                self.yield_count += 1;
                self.yielded = true;
                if let Some(value) = &y.value {
                    let v = self.expr(value);
                    if !v.carried.is_empty() {
                        self.held.returned(&v.carried, value.range());
                        self.yields
                            .push((v.site.unwrap_or(value.range()), v.carried));
                    }
                }
                Value::default()
            }
            Expr::YieldFrom(y) => {
                self.expr(&y.value);
                Value::default()
            }
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
                Value::default()
            }
            Expr::Compare(c) => {
                self.expr(&c.left);
                for x in &c.comparators {
                    self.expr(x);
                }
                Value::default()
            }
            Expr::UnaryOp(u) => {
                self.expr(&u.operand);
                Value::default()
            }
            _ => Value::default(),
        }
    }

    /// The union of what the parts carry: a tuple, list or dict returned with the handle in it.
    fn combine(&mut self, e: &Expr, parts: &[Expr]) -> Value {
        let values: Vec<Value> = parts.iter().map(|p| self.expr(p)).collect();
        self.union_of(e, parts.iter().zip(values))
    }

    /// The union of what parts already read carry.
    fn union_of<'p>(&self, e: &Expr, parts: impl IntoIterator<Item = (&'p Expr, Value)>) -> Value {
        let mut carried = Vec::new();
        let mut sites = Vec::new();
        for (p, v) in parts {
            if !v.carried.is_empty() {
                sites.push(v.site.unwrap_or(p.range()));
            }
            union_into(&mut carried, &v.carried);
        }
        Value {
            carried,
            site: match sites.as_slice() {
                [one] => Some(*one),
                [] => None,
                _ => Some(e.range()),
            },
            ..Value::default()
        }
    }

    /// The type of a name that is not a local: a module global, or an imported project global.
    fn name_ty(&self, name: &str) -> PyTy {
        let ty = match self.index.global(self.module, name) {
            PyTy::Unknown => match self.imports.get(name) {
                Some(q) => self.names.global(q),
                None => PyTy::Unknown,
            },
            ty => ty,
        };
        if ty != PyTy::Unknown {
            return ty;
        }
        // A project class by name: its class attributes (`Database.pool`).
        let q = self.canonical(&[name.to_string()]);
        if self.names.is_class(&q) {
            return self.names.resolve(&super::TyExpr::Class(q));
        }
        PyTy::Unknown
    }

    fn call(&mut self, e: &Expr, c: &ast::ExprCall) -> Value {
        // `asyncio.create_task(audit(pool))`: the coroutine runs later, as its own task.
        let spawns = match &*c.func {
            Expr::Attribute(a) => catalog::SPAWNS.contains(&a.attr.as_str()),
            Expr::Name(n) => catalog::SPAWNS.contains(&n.id.as_str()),
            _ => false,
        };
        if spawns {
            self.held.task(true);
        }
        // What may be a coroutine run at once or kept (SDB008).
        let takes_coroutines = match &*c.func {
            Expr::Attribute(a) => COROUTINE_TAKERS.contains(&a.attr.as_str()),
            Expr::Name(n) => COROUTINE_TAKERS.contains(&n.id.as_str()),
            _ => false,
        };
        self.coroutine_context += usize::from(takes_coroutines);
        let args: Vec<Value> = c.arguments.args.iter().map(|a| self.expr(a)).collect();
        self.coroutine_context -= usize::from(takes_coroutines);
        let kwargs: Vec<Value> = c
            .arguments
            .keywords
            .iter()
            .map(|k| self.expr(&k.value))
            .collect();
        if spawns {
            self.held.task(false);
        }
        let range = e.range();
        // A slow external call (SDB009): `httpx.post(..)`, `client.get(..)`, `time.sleep(1)`.
        let mut slow: Option<String> = None;
        let mut gathers = false;
        // For the pool rules: the receiver of a method call, the place of what a name calls, and
        // where the positional arguments land among a project callee's parameters.
        let mut on: Option<(Value, &str)> = None;
        let mut func_place: Option<Rc<PoolPath>> = None;
        let mut offset: Option<usize> = Some(0);
        let nested = match &*c.func {
            Expr::Name(n) if !self.env.contains_key(n.id.as_str()) => {
                self.nested.get(n.id.as_str()).cloned()
            }
            _ => None,
        };
        let callee = if let Some(key) = nested {
            Callee::Project(vec![key], PyTy::Unknown)
        } else if let Expr::Attribute(attr) = &*c.func
            && !self.is_module_path(&attr.value)
        {
            // A method call on a value: `self.engine.begin()`, `pool.acquire()`, `items.append(x)`.
            let recv = self.expr(&attr.value);
            let method = attr.attr.as_str();
            if let PyTy::Client(t) = &recv.ty
                && catalog::slow_client_named(t).is_some_and(|c| c.methods.contains(&method))
            {
                slow = Some(format!("{t}.{method}"));
            }
            if catalog::DB_API_METHODS.contains(&method) {
                self.used_as_handle(&recv.carried);
            }
            // `conn.close()`, `pool.release(conn)`: no longer held, wherever it is.
            if catalog::RELEASE_METHODS.contains(&method) {
                let given = if args.is_empty() {
                    &recv.carried
                } else {
                    &args[0].carried
                };
                self.released.extend(given.iter().copied());
            }
            // `conn.close()`, `pool.release(conn)`: where a scope's exit runs, a release.
            if catalog::RELEASE_METHODS.contains(&method) && self.at_exit() {
                let mut released = Vec::new();
                if args.is_empty() {
                    union_into(&mut released, &recv.carried);
                }
                for a in &args {
                    union_into(&mut released, &a.carried);
                }
                let how = if self.in_finally > 0 {
                    ReleaseHow::Finally
                } else {
                    ReleaseHow::AfterYield
                };
                self.release(range, how, &released);
            }
            let callee = self.names.method_callee(&recv.ty, attr.attr.as_str());
            if let Callee::Stores = callee {
                let mut added = Value::default();
                for a in args.iter().chain(&kwargs) {
                    union_into(&mut added.carried, &a.carried);
                    added.site = added.site.or(a.site);
                }
                self.store_into(&attr.value, &c.func, &added);
            }
            on = Some((recv, method));
            offset = Some(1);
            callee
        } else if let Some(written) = written_name(&c.func) {
            match self.env.get(&written[0]) {
                // A local callable: a session factory held in a variable, or a closure.
                Some(local) if written.len() == 1 => {
                    func_place.clone_from(&local.place);
                    self.names.value_callee(&local.ty)
                }
                _ => {
                    let q = self.canonical(&written);
                    if let (Some(root), Some(last)) = (q.first(), q.last())
                        && catalog::slow_function(&q)
                        && !(catalog::ZERO_IS_YIELD.contains(&(root.as_str(), last.as_str()))
                            && c.arguments.args.first().is_some_and(is_zero))
                    {
                        slow = Some(q.join("."));
                    }
                    gathers = q.len() == 2
                        && q[0] == "asyncio"
                        && matches!(q[1].as_str(), "gather" | "wait" | "as_completed");
                    let callee = self.names.path_callee(&q, || self.name_ty_of(&written));
                    if let Callee::Scope(_) = callee
                        && is_pool(&self.name_ty_of(&written))
                    {
                        func_place = Some(self.global_place(&q));
                    }
                    // `Class.method(x)`: whether `x` is `self` or the first parameter is not known.
                    if let Callee::Project(keys, _) = &callee
                        && keys.iter().any(|k| k.owner.is_some())
                    {
                        offset = None;
                    }
                    callee
                }
            }
        } else {
            // `sessionmaker(bind=engine)()`: calling the value a call gives.
            let func = self.expr(&c.func);
            func_place = func.place;
            self.names.value_callee(&func.ty)
        };
        let manager = match &callee {
            Callee::Scope(m) => Some(*m),
            _ => None,
        };
        let project = match &callee {
            Callee::Project(keys, _) => Some(keys.clone()),
            _ => None,
        };
        let factory = match &callee {
            Callee::Lib(t) => Some(*t),
            _ => None,
        };
        let mut v = self.call_value(callee, args.clone(), &kwargs, range);
        let site = CallSite {
            call: c,
            range,
            on: on.as_ref().map(|(v, m)| (v, *m)),
            func_place,
            args: &args,
            kwargs: &kwargs,
            offset,
        };
        self.pool_call(&site, manager, project, factory, &mut v);
        // A back-off in an `except` handler waits after a failure, not while work is held: the
        // statement failed (and is rolled back, or the connection is gone).
        if let Some(api) = slow.filter(|_| self.in_except == 0) {
            let released = &self.released;
            self.held.slow(api, range, &|o| released.contains(&o));
        }
        if gathers {
            // `gather(a, b, *more)`: each argument, a starred one spread; `wait(coros)`,
            // `as_completed([a, b])`: the items of the first.
            let gather =
                written_name(&c.func).is_some_and(|w| w.last().is_some_and(|n| n == "gather"));
            let items: Vec<(&Expr, bool)> = if gather {
                c.arguments
                    .args
                    .iter()
                    .map(|a| match a {
                        Expr::Starred(st) => (&*st.value, true),
                        other => (other, false),
                    })
                    .collect()
            } else {
                match c.arguments.args.first() {
                    Some(Expr::List(l)) => l.elts.iter().map(|e| (e, false)).collect(),
                    Some(Expr::Tuple(t)) => t.elts.iter().map(|e| (e, false)).collect(),
                    Some(Expr::Set(st)) => st.elts.iter().map(|e| (e, false)).collect(),
                    Some(other) => vec![(other, true)],
                    None => Vec::new(),
                }
            };
            let how = if gather {
                ShareHow::Gather
            } else {
                ShareHow::Wait
            };
            self.gather(&items, range, how);
        }
        if spawns
            && let Some(Expr::Call(coro)) = c.arguments.args.first()
            && let Some((callees, args)) = self.coroutines.get(&coro.range()).cloned()
        {
            self.spawned(
                CoroRun {
                    span: coro.range(),
                    callees,
                    args,
                    many: false,
                },
                range,
            );
        }
        // `coros.append(f(session, i))`, `coros.extend([f(session), g(session)])`: kept to be
        // gathered; one per iteration in a loop.
        if let Expr::Attribute(attr) = &*c.func
            && matches!(attr.attr.as_str(), "append" | "extend")
            && let Expr::Name(list) = &*attr.value
            && let [item] = &*c.arguments.args
        {
            let items: &[Expr] = match (attr.attr.as_str(), item) {
                ("append", call @ Expr::Call(_)) => std::slice::from_ref(call),
                ("extend", Expr::List(l)) => &l.elts,
                ("extend", Expr::Tuple(t)) => &t.elts,
                _ => &[],
            };
            for item in items {
                if let Expr::Call(coro) = item
                    && let Some((callees, args)) = self.coroutines.get(&coro.range()).cloned()
                {
                    let run = CoroRun {
                        span: coro.range(),
                        callees,
                        args,
                        many: self.loop_depth > 0,
                    };
                    self.kept_coroutines
                        .entry(list.id.to_string())
                        .or_default()
                        .push(run);
                }
            }
        }
        // The function's own statement on a value a live task was given.
        if let Some((recv, method)) = &on
            && catalog::STATEMENT_METHODS.contains(method)
            && !self.tasks.is_empty()
            && let Expr::Attribute(attr) = &*c.func
            && let Some(arg) = self.coro_arg(Slot::Position(usize::MAX), recv, Some(&attr.value))
        {
            self.used_beside_tasks(arg, range);
        }
        v
    }

    /// The pool a module global is, by canonical dotted name: a session factory bound to an
    /// engine is the engine's pool.
    fn global_place(&self, q: &[String]) -> Rc<PoolPath> {
        let key = self.index.global_key(self.module, q);
        let key = self.index.session_bind(&key).unwrap_or(key);
        Rc::new(PoolPath::root(PoolRoot::Global(key.join("."))))
    }

    /// What a call gives, its callee resolved.
    fn call_value(
        &mut self,
        callee: Callee,
        args: Vec<Value>,
        kwargs: &[Value],
        range: TextRange,
    ) -> Value {
        match callee {
            Callee::FirstArgument => {
                let first = args.into_iter().next().unwrap_or_default();
                Value {
                    site: first.site.map(|_| range),
                    ..first
                }
            }
            Callee::Closing => {
                let first = args.into_iter().next().unwrap_or_default();
                Value {
                    site: first.site.map(|_| range),
                    scope: Some(WithScope::Closing),
                    ..first
                }
            }
            Callee::Scope(manager) => self.scope_value(manager, range),
            Callee::Lib(t) => self.opened(t, range),
            // An instance holds what it was given, and is a scope if it has `__enter__`.
            Callee::Class(class, enters) => {
                let mut v = Value {
                    ty: PyTy::Class(class),
                    site: Some(range),
                    ..Value::default()
                };
                for a in args.iter().chain(kwargs) {
                    union_into(&mut v.carried, &a.carried);
                }
                if v.carried.is_empty() {
                    v.site = None;
                }
                if !enters.is_empty() {
                    v.scope = Some(WithScope::Project(enters));
                }
                v
            }
            Callee::Project(keys, ty) => self.project_call(keys, ty, range),
            Callee::Client(t) => Value::typed(PyTy::Client(t)),
            Callee::Stores | Callee::Unknown => Value::default(),
        }
    }

    /// What a call does to pools: takes a handle from one (`pool.acquire()`, `engine.begin()`,
    /// `SessionLocal()`, `Session(engine)`), begins a transaction on a handle taken from one
    /// (`conn.transaction()`), runs a statement on one (`pool.fetch(..)`) or on a handle taken
    /// from one, or calls the project with pools; and the pool a session factory is bound to.
    fn pool_call(
        &mut self,
        site: &CallSite<'_>,
        manager: Option<Manager>,
        project: Option<Vec<FnKey>>,
        factory: Option<LibType>,
        v: &mut Value,
    ) {
        let range = site.range;
        // The engine a session or session factory is bound to: `bind=` or the first argument.
        let bound_engine = || {
            let bind = site
                .call
                .arguments
                .keywords
                .iter()
                .zip(site.kwargs)
                .find(|(k, _)| k.arg.as_ref().is_some_and(|a| a.as_str() == "bind"))
                .map(|(_, v)| v);
            bind.or(site.args.first())
                .filter(|a| is_pool(&a.ty))
                .and_then(|a| a.place.clone())
        };
        if let Some(t) = factory
            && matches!(
                t,
                "sqlalchemy.sessionmaker" | "sqlalchemy.async_sessionmaker"
            )
        {
            v.place = bound_engine();
        }
        if let Some(m) = manager {
            let begins = site.on.is_some_and(
                |(recv, method)| matches!(&recv.ty, PyTy::Lib(t) if catalog::begins(t, method)),
            );
            match m.on_exit {
                OnExit::Closes(
                    kind @ (HandleKind::Connection | HandleKind::Session | HandleKind::Transaction),
                ) => {
                    let pool = match site.on {
                        Some((recv, method)) => match &recv.ty {
                            PyTy::Lib(_) if is_pool(&recv.ty) => recv.place.clone(),
                            // `self.session_factory()`: a class attribute holding a factory.
                            PyTy::Class(c) if is_pool(&self.index.attr(c, method)) => recv
                                .place
                                .as_ref()
                                .and_then(|p| p.field(method))
                                .map(Rc::new),
                            _ => None,
                        },
                        None => site.func_place.clone().or_else(bound_engine),
                    };
                    match (pool, v.carried.as_slice()) {
                        (Some(pool), [o]) => {
                            let released = &self.released;
                            self.held.acquired(
                                *o,
                                kind,
                                begins || kind == HandleKind::Transaction,
                                pool,
                                range,
                                &|o| released.contains(&o),
                            );
                        }
                        // From no pool the function names (`session.begin()` on a session it
                        // was given): a database scope for SDB009 all the same. A session, or a
                        // transaction begun on one, checks out its connection at its first
                        // statement.
                        (None, [o]) => {
                            let on_session = site.on.filter(|(recv, _)| {
                                matches!(&recv.ty, PyTy::Lib(t) if *t == "sqlalchemy.Session")
                            });
                            let lazy = match on_session {
                                Some((recv, _)) => {
                                    Some((recv.carried.as_slice(), recv.place.as_deref().cloned()))
                                }
                                None if kind == HandleKind::Session => Some((&[][..], None)),
                                None => None,
                            };
                            self.held.scoped(
                                *o,
                                kind,
                                begins || kind == HandleKind::Transaction,
                                Vec::new(),
                                lazy,
                                range,
                            );
                        }
                        _ => {}
                    }
                }
                OnExit::KeepsOpen if begins => {
                    if let Some((recv, _)) = site.on {
                        if !recv.carried.is_empty() {
                            let o =
                                self.origin(OriginKind::Obtained(HandleKind::Transaction), range);
                            self.held.begun_on(o, &recv.carried, range);
                        } else if let Some(place) = &recv.place
                            && matches!(&recv.ty, PyTy::Lib(t) if *t == "sqlalchemy.Session")
                        {
                            // `async with session.begin():` on a session the function was given:
                            // a database scope for SDB009 once the session runs something.
                            let o =
                                self.origin(OriginKind::Obtained(HandleKind::Transaction), range);
                            self.held.scoped(
                                o,
                                HandleKind::Transaction,
                                true,
                                Vec::new(),
                                Some((&[][..], Some((**place).clone()))),
                                range,
                            );
                        }
                    }
                }
                OnExit::Closes(_) | OnExit::KeepsOpen => {}
            }
        }
        // A session checks out its connection at its first statement; a project function given
        // it may run one. (An object built with it is not counted: what its methods run is not
        // known here.)
        if let Some((recv, method)) = site.on
            && (catalog::STATEMENT_METHODS.contains(&method)
                || catalog::CHECKOUT_METHODS.contains(&method))
        {
            self.held.touch(&recv.carried);
            self.held.touch_place(recv.place.as_deref());
        }
        // A statement on a path from a parameter (SDB008): `session.execute(..)`,
        // `self.session.scalar(..)`; never on a pool, which is safe to share.
        if let Some((recv, method)) = site.on
            && catalog::STATEMENT_METHODS.contains(&method)
            && let Some(place) = &recv.place
            && matches!(place.root, PoolRoot::Param { .. })
            && !is_pool(&recv.ty)
        {
            let typed = is_handle(&recv.ty);
            let plain = recv.ty == PyTy::Unknown && place.fields.is_empty();
            if (typed || plain) && !self.runs_on.iter().any(|(p, _)| **place == *p) {
                self.runs_on.push(((**place).clone(), typed));
            }
        }
        // `session.commit()`: a session gives its connection back until its next statement.
        // A parameter's, whatever its declared type (`session: AsyncSession | None`): a slow
        // call after it is not made while the caller's session holds a connection.
        if let Some((recv, method)) = site.on
            && matches!(method, "commit" | "rollback" | "close")
            && (matches!(&recv.ty, PyTy::Lib(t) if *t == "sqlalchemy.Session")
                || recv
                    .place
                    .as_ref()
                    .is_some_and(|p| matches!(p.root, PoolRoot::Param { .. })))
        {
            self.held.committed(&recv.carried, recv.place.as_deref());
        }
        if project.is_some() {
            for a in site.args.iter().chain(site.kwargs) {
                self.held.touch(&a.carried);
                self.held.touch_place(a.place.as_deref());
            }
        }
        let released = &self.released;
        let done = |o: usize| released.contains(&o);
        if let Some((recv, method)) = site.on {
            match (&recv.ty, &recv.place) {
                (PyTy::Lib(t), Some(place)) if catalog::POOL_STATEMENTS.contains(&(*t, method)) => {
                    self.held.statement(place.clone(), range, &done);
                }
                _ if self.held.holds_any()
                    && catalog::STATEMENT_METHODS.contains(&method)
                    && !recv.carried.is_empty() =>
                {
                    self.held.statement_on(&recv.carried, range, &done);
                }
                _ => {}
            }
        }
        // `get_session_maker()`: a getter of a module global is that global, whichever call.
        if let Some([key]) = project.as_deref()
            && site.args.is_empty()
            && site.kwargs.is_empty()
            && let Some(global) = self.index.getter(key)
        {
            let global = self.index.session_bind(&global).unwrap_or(global);
            v.place = Some(Rc::new(PoolPath::root(PoolRoot::Global(global.join(".")))));
        }
        if let Some(keys) = &project
            && self.coroutine_context > 0
        {
            let mut given: Vec<CoroArg> = Vec::new();
            if let Some((recv, _)) = site.on
                && let Some(arg) = self.coro_arg(Slot::Position(0), recv, None)
            {
                given.push(arg);
            }
            if let Some(offset) = site.offset {
                for (i, (a, e)) in site.args.iter().zip(&site.call.arguments.args).enumerate() {
                    given.extend(self.coro_arg(Slot::Position(i + offset), a, Some(e)));
                }
            }
            for (k, a) in site.call.arguments.keywords.iter().zip(site.kwargs) {
                if let Some(name) = &k.arg {
                    given.extend(self.coro_arg(Slot::Keyword(name.to_string()), a, Some(&k.value)));
                }
            }
            if !given.is_empty() {
                self.coroutines.insert(range, (keys.clone(), given));
            }
        }
        if let Some(keys) = project {
            let mut slots: Vec<(Slot, PoolPath)> = Vec::new();
            if let Some((recv, _)) = site.on
                && let Some(p) = &recv.place
            {
                slots.push((Slot::Position(0), (**p).clone()));
            }
            if let Some(offset) = site.offset {
                for (i, a) in site.args.iter().enumerate() {
                    if let Some(p) = &a.place {
                        slots.push((Slot::Position(i + offset), (**p).clone()));
                    }
                }
            }
            for (k, a) in site.call.arguments.keywords.iter().zip(site.kwargs) {
                if let (Some(name), Some(p)) = (&k.arg, &a.place) {
                    slots.push((Slot::Keyword(name.to_string()), (**p).clone()));
                }
            }
            // Always: a callee may use a module's pool, which its callers name too.
            self.held
                .call(&keys, slots, range, v.carried.first().copied(), true, &done);
            // And it may wait on a slow call (SDB009).
            self.held.waited_call(&keys, range, &done);
        }
    }

    /// A value given to a project call in `slot`, as a coroutine of a `gather` would get it.
    fn coro_arg(&self, slot: Slot, v: &Value, e: Option<&Expr>) -> Option<CoroArg> {
        let written = e.and_then(written_name).map(|w| w.join("."));
        let (key, display) = match (&v.place, v.carried.first()) {
            (Some(p), _) => (format!("{:?}", **p), p.display()),
            (None, Some(o)) => (format!("origin {o}"), written.clone()?),
            (None, None) => return None,
        };
        let handle = !is_pool(&v.ty)
            && (is_handle(&v.ty)
                || v.carried.iter().any(|&o| {
                    matches!(
                        self.origins[o].0,
                        OriginKind::WithBound(k) | OriginKind::Obtained(k) | OriginKind::Opened(k)
                            if k != HandleKind::Pool
                    )
                }));
        Some(CoroArg {
            slot,
            key,
            display,
            handle,
        })
    }

    /// A loop's body: a task made in it and not awaited in it runs beside the next iteration's.
    fn loop_body(&mut self, body: &[Stmt]) {
        self.loop_depth += 1;
        let before = self.tasks.len();
        self.block(body);
        let depth = self.loop_depth;
        let made: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| i >= before.min(self.tasks.len()) && self.tasks[i].loop_depth >= depth)
            .collect();
        for i in made {
            let mut run = self.tasks[i].run.clone();
            run.many = true;
            let span = run.span;
            self.shares.push(Share {
                span,
                how: ShareHow::Loop,
                runs: vec![run],
            });
            self.tasks[i].loop_depth = depth - 1;
        }
        self.loop_depth -= 1;
    }

    /// `create_task(f(session))`: a task that runs beside the function, and beside every other
    /// task made and not awaited yet.
    fn spawned(&mut self, run: CoroRun<TextRange>, range: TextRange) {
        if !self.tasks.is_empty() {
            let mut runs: Vec<CoroRun<TextRange>> =
                self.tasks.iter().map(|t| t.run.clone()).collect();
            runs.push(run.clone());
            self.shares.push(Share {
                span: range,
                how: ShareHow::Tasks,
                runs,
            });
        }
        self.tasks.push(LiveTask {
            run,
            name: None,
            loop_depth: self.loop_depth,
            group_depth: self.group_depth,
        });
    }

    /// A statement the function runs itself on a value a live task was given.
    fn used_beside_tasks(&mut self, arg: CoroArg, range: TextRange) {
        let beside: Vec<CoroRun<TextRange>> = self
            .tasks
            .iter()
            .filter(|t| t.run.args.iter().any(|a| a.key == arg.key))
            .map(|t| t.run.clone())
            .collect();
        if beside.is_empty() {
            return;
        }
        let mut runs = beside;
        runs.push(CoroRun {
            span: range,
            callees: Vec::new(),
            args: vec![arg],
            many: false,
        });
        self.shares.push(Share {
            span: range,
            how: ShareHow::Beside,
            runs,
        });
    }

    /// `await task`, `await gather(*tasks)`, `await asyncio.wait(tasks)`: the tasks it names (or
    /// all of them, for a wait over several) are done.
    fn awaited(&mut self, e: &Expr) {
        if self.tasks.is_empty() {
            return;
        }
        match e {
            Expr::Name(n) => self
                .tasks
                .retain(|t| t.name.as_deref() != Some(n.id.as_str())),
            Expr::Call(c) if self.names_any(&c.func, TASK_WAITS) => self.tasks.clear(),
            _ => {}
        }
    }

    /// Whether `func` is one of these library functions, by canonical name.
    fn names_any(&self, func: &Expr, table: &[(&str, &str)]) -> bool {
        let Some(written) = written_name(func) else {
            return false;
        };
        if self.env.contains_key(&written[0]) {
            return false;
        }
        let q = self.canonical(&written);
        q.len() == 2 && table.iter().any(|(r, n)| q[0] == *r && q[1] == *n)
    }

    /// The coroutine a value is, read already: a project call not awaited (`f(session)`), or one
    /// made per item of a list comprehension of such calls (read here, recording nothing).
    fn coroutine_of(&mut self, e: &Expr) -> Option<CoroRun<TextRange>> {
        let (call, many) = match e {
            Expr::Call(c) => (c, false),
            Expr::ListComp(l) => match &*l.elt {
                Expr::Call(c) if plain_arguments(c) => {
                    self.held.mute(true);
                    self.coroutine_context += 1;
                    self.expr(&l.elt);
                    self.coroutine_context -= 1;
                    self.held.mute(false);
                    (c, true)
                }
                _ => return None,
            },
            _ => return None,
        };
        let (callees, args) = self.coroutines.get(&call.range())?.clone();
        Some(CoroRun {
            span: call.range(),
            callees,
            args,
            many,
        })
    }

    /// `asyncio.gather(f(session), g(session))`, `gather(*[f(session, x) for x in xs])`,
    /// `asyncio.wait([f(session), g(session)])`, `as_completed(coros)`: the
    /// coroutines it runs at once, and what each was given (SDB008).
    fn gather(&mut self, items: &[(&Expr, bool)], range: TextRange, how: ShareHow) {
        let mut runs = Vec::new();
        for &(item, spread) in items {
            // Coroutines kept in a local: `gather(first, second)`, `gather(*coros)`.
            if let Expr::Name(n) = item
                && let Some(kept) = self.kept_coroutines.get(n.id.as_str())
            {
                runs.extend(kept.iter().cloned());
                continue;
            }
            let (call, many) = match item {
                Expr::Call(inner) if !spread => (inner.range(), false),
                Expr::ListComp(_) | Expr::Generator(_) | Expr::SetComp(_) if spread => {
                    let elt = match item {
                        Expr::ListComp(l) => &*l.elt,
                        Expr::Generator(g) => &*g.elt,
                        Expr::SetComp(sc) => &*sc.elt,
                        _ => continue,
                    };
                    let Expr::Call(inner) = elt else {
                        continue;
                    };
                    // Read once here (the walker does not read comprehensions), recording
                    // nothing but the call: its arguments are names and attributes only.
                    if !plain_arguments(inner) {
                        continue;
                    }
                    self.held.mute(true);
                    self.coroutine_context += 1;
                    self.expr(elt);
                    self.coroutine_context -= 1;
                    self.held.mute(false);
                    (inner.range(), true)
                }
                _ => continue,
            };
            if let Some((callees, args)) = self.coroutines.get(&call) {
                runs.push(CoroRun {
                    span: call,
                    callees: callees.clone(),
                    args: args.clone(),
                    many,
                });
            }
        }
        if !runs.is_empty() && (runs.len() > 1 || runs.iter().any(|r| r.many)) {
            self.shares.push(Share {
                span: range,
                how,
                runs,
            });
        }
    }

    /// What an item or an iteration of a value carries: a container of handles gives handles, but
    /// the target of an unresolved `with` gives what is read through it (a file's lines, a form's
    /// fields, a result's rows).
    fn read_through(&self, carried: &[usize]) -> Vec<usize> {
        carried
            .iter()
            .copied()
            .filter(|&o| !matches!(self.origins[o].0, OriginKind::WithTarget(_)))
            .collect()
    }

    /// Whether a `with` context expression that resolved to no scope is a manager made right
    /// here by a call (not a name, whose value could be anything) that is not known to leave its
    /// target open, and what says its target is a database handle. Its target is then assumed to
    /// be released on exit.
    ///
    /// Classified where the name resolves, as isort's sections are: a call into a database
    /// package the catalog does not model in detail (`django.db`, `MySQLdb`, a catalog library's
    /// unmodelled call) is evidence; anything else (a module of the run, another third-party or
    /// standard-library package, a builtin, a receiver of unknown type) needs the block to use
    /// the target as a database handle before it counts.
    fn unresolved_manager(&self, e: &Expr) -> Option<Evidence> {
        let e = match e {
            Expr::Await(a) => &*a.value,
            other => other,
        };
        let Expr::Call(c) = e else {
            return None;
        };
        if let Some(written) = written_name(&c.func) {
            let method = written.len() > 1 && !self.is_module_path_name(&written[..1]);
            if catalog::keeps_target_open(&self.canonical(&written), method) {
                return None;
            }
        } else if !matches!(
            &*c.func,
            Expr::Attribute(_) | Expr::Call(_) | Expr::Subscript(_)
        ) {
            return None;
        }
        // The longest dotted name the callee starts with: `django.db.connections` in
        // `connections[alias].cursor()`, `gr.Column` in `gr.Column(..)`.
        let head = dotted_head(&c.func)?;
        // `with conn.cursor() as cur`: the manager is a DB-API call on whatever `conn` is.
        if let Expr::Attribute(a) = &*c.func
            && catalog::DB_API_MANAGERS.contains(&a.attr.as_str())
        {
            return Some(Evidence::DbApi);
        }
        if !self.is_module_path_name(&head[..1]) {
            return Some(Evidence::Needed);
        }
        if catalog::is_db_package(&self.canonical(&head)) {
            Some(Evidence::Db)
        } else {
            Some(Evidence::Needed)
        }
    }

    /// Marks the unresolved `with` targets a value carries as used as a database handle.
    fn used_as_handle(&mut self, carried: &[usize]) {
        for o in carried {
            if let Some(confirmed) = self.pending.get_mut(o) {
                *confirmed = true;
            }
        }
    }

    fn is_module_path_name(&self, first: &[String]) -> bool {
        first
            .first()
            .is_some_and(|f| !self.env.contains_key(f) && self.imports.contains_key(f))
    }

    /// Whether `e` names a module (`asyncpg`, `sqlalchemy.orm`) rather than a value.
    fn is_module_path(&self, e: &Expr) -> bool {
        match written_name(e) {
            Some(w) => {
                !self.env.contains_key(&w[0]) && self.imports.contains_key(&w[0]) && {
                    let q = self.canonical(&w);
                    // `Database.pool` on an imported class is an attribute, not a module.
                    let head = self.canonical(&w[..1]);
                    !self.names.is_class(&head)
                        && self.names.global(&q) == PyTy::Unknown
                        && !self.names.is_class(&q)
                }
            }
            None => false,
        }
    }

    fn name_ty_of(&self, written: &[String]) -> PyTy {
        if written.len() == 1 {
            self.name_ty(&written[0])
        } else {
            self.names.global(&self.canonical(written))
        }
    }

    /// A call that makes a scope: used in `with`, it binds a handle; used bare, it obtains one
    /// (of the type the manager binds: the libraries' managers bind themselves).
    fn scope_value(&mut self, manager: Manager, range: TextRange) -> Value {
        let ty = manager.binds.map_or(PyTy::Unknown, PyTy::Lib);
        match manager.on_exit {
            OnExit::Closes(kind) => {
                let o = self.origin(OriginKind::Obtained(kind), range);
                Value {
                    place: None,
                    carried: vec![o],
                    ty,
                    scope: Some(WithScope::Closes(kind, manager.binds)),
                    site: Some(range),
                }
            }
            OnExit::KeepsOpen => Value {
                scope: Some(WithScope::KeepsOpen(manager.binds)),
                ..manager
                    .binds
                    .map_or_else(Value::default, |t| self.opened(t, range))
            },
        }
    }

    /// A library object made bare: a handle whose own `with` does not close it carries an
    /// opened origin (a project scope that yields it must release it).
    fn opened(&mut self, t: LibType, range: TextRange) -> Value {
        match catalog::opened_kind(t) {
            Some(kind) => {
                let o = self.origin(OriginKind::Opened(kind), range);
                Value {
                    place: None,
                    carried: vec![o],
                    ty: PyTy::Lib(t),
                    scope: None,
                    site: Some(range),
                }
            }
            None => Value::typed(PyTy::Lib(t)),
        }
    }

    /// Whether code here runs when a scope's block exits: a `@contextmanager` generator's
    /// `finally` or what follows its `yield` (not an `except` handler, which runs on error only).
    fn at_exit(&self) -> bool {
        self.role == ManagerRole::Generator
            && (self.in_finally > 0 || (self.yielded && self.in_except == 0))
    }

    fn release(&mut self, range: TextRange, how: ReleaseHow, carried: &[usize]) {
        if !carried.is_empty() {
            self.releases.push((range, how, carried.to_vec()));
        }
    }

    /// For `__enter__`: what the class's `__exit__`/`__aexit__` releases (`self.session.close()`)
    /// is what this method stored there; `return self` hands the block an object holding it.
    fn enter_released_by_exit(&mut self, siblings: &[Stmt]) {
        let receiver = self.receiver.clone().unwrap_or_default();
        let exits = siblings.iter().filter_map(|s| match s {
            Stmt::FunctionDef(f) if matches!(f.name.as_str(), "__exit__" | "__aexit__") => Some(f),
            _ => None,
        });
        let mut released: Vec<(String, TextRange)> = Vec::new();
        for exit in exits {
            released.extend(released_paths(&exit.body, &receiver));
        }
        let mut held = Vec::new();
        for (_, target, carried) in &self.stores {
            if let Some((_, range)) = released.iter().find(|(path, _)| path == target) {
                self.releases
                    .push((*range, ReleaseHow::Exit, carried.clone()));
                union_into(&mut held, carried);
            }
        }
        if !held.is_empty() {
            for range in std::mem::take(&mut self.returns_self) {
                self.returns.push((range, held.clone()));
            }
        }
    }

    fn project_call(&mut self, keys: Vec<FnKey>, ty: PyTy, range: TextRange) -> Value {
        let o = self.origin(OriginKind::Call(keys.clone()), range);
        Value {
            place: None,
            carried: vec![o],
            ty,
            scope: Some(WithScope::Project(keys)),
            site: Some(range),
        }
    }
}

/// A call, for what it does to pools.
struct CallSite<'a> {
    call: &'a ast::ExprCall,
    range: TextRange,
    /// The receiver of a method call, and the method.
    on: Option<(&'a Value, &'a str)>,
    /// The pool a called name is (`SessionLocal()`).
    func_place: Option<Rc<PoolPath>>,
    args: &'a [Value],
    kwargs: &'a [Value],
    /// Where the first positional argument lands among a project callee's parameters (1 past a
    /// method's receiver); none when that is not known.
    offset: Option<usize>,
}

/// Whether a value of this type is a pool ([`catalog::POOLS`]).
fn is_pool(ty: &PyTy) -> bool {
    matches!(ty, PyTy::Lib(t) if catalog::is_pool(t))
}

/// Whether `stmt` is a loop that runs on `name`: `for`/`async for` over it (or over a call on
/// it, `ws.iter_messages()`), or a `while` whose body uses it (`await ws.recv()`).
fn loops_over(stmt: &Stmt, name: &str) -> bool {
    use ruff_python_ast::visitor::Visitor;
    let mentions = |e: &Expr| {
        let mut found = false;
        Mentions {
            name,
            found: &mut found,
        }
        .visit_expr(e);
        found
    };
    match stmt {
        Stmt::For(f) => mentions(&f.iter),
        Stmt::While(w) => {
            let mut found = false;
            let mut v = Mentions {
                name,
                found: &mut found,
            };
            for s in &w.body {
                v.visit_stmt(s);
            }
            found
        }
        _ => false,
    }
}

/// Finds a use of a name.
struct Mentions<'n, 'f> {
    name: &'n str,
    found: &'f mut bool,
}

impl<'a> ruff_python_ast::visitor::Visitor<'a> for Mentions<'_, '_> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if let Expr::Name(n) = e
            && n.id.as_str() == self.name
        {
            *self.found = true;
        }
        ruff_python_ast::visitor::walk_expr(self, e);
    }
}

/// The handle kind a declared type names, when a `with` closes that type on exit.
fn bound_handle(ty: &super::TyExpr) -> Option<HandleKind> {
    let super::TyExpr::Class(q) = ty else {
        return None;
    };
    let (root, last) = (q.first()?, q.last()?);
    catalog::BOUND_HANDLES
        .iter()
        .find(|(r, n, _)| r == root && n == last)
        .map(|(_, _, kind)| *kind)
}

/// The name an attribute or item chain starts from: `self` in `self.pool[k].x`.
fn root_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => root_name(&a.value),
        Expr::Subscript(s) => root_name(&s.value),
        _ => None,
    }
}

/// The attribute paths of `receiver` (`self.session`) that a body releases, with where:
/// `self.session.close()`, `await self.conn.aclose()`, `self.pool.release(self.conn)`.
fn released_paths(body: &[Stmt], receiver: &str) -> Vec<(String, TextRange)> {
    use ruff_python_ast::visitor::{Visitor, walk_expr};
    struct Calls<'r> {
        receiver: &'r str,
        out: Vec<(String, TextRange)>,
    }
    impl<'a> Visitor<'a> for Calls<'_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            if let Expr::Call(c) = e
                && let Expr::Attribute(a) = &*c.func
                && catalog::RELEASE_METHODS.contains(&a.attr.as_str())
            {
                let released: Vec<&Expr> = if c.arguments.args.is_empty() {
                    vec![&*a.value]
                } else {
                    c.arguments.args.iter().collect()
                };
                for r in released {
                    if let Some(w) = written_name(r)
                        && w.len() > 1
                        && w[0] == self.receiver
                    {
                        self.out.push((w.join("."), c.range()));
                    }
                }
            }
            walk_expr(self, e);
        }
    }
    let mut calls = Calls {
        receiver,
        out: Vec::new(),
    };
    for stmt in body {
        calls.visit_stmt(stmt);
    }
    calls.out
}

/// What says the target of an unresolved manager is a database handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Evidence {
    /// The manager comes from a database package.
    Db,
    /// The manager is a DB-API call (`conn.cursor()`).
    DbApi,
    /// Nothing yet: the block must use the target as a database handle.
    Needed,
}

/// The longest dotted name a callee expression starts from, through attributes, items and calls:
/// `["connections"]` for `connections[alias].cursor`, `["gr", "Column"]` for `gr.Column`.
fn dotted_head(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Name(_) | Expr::Attribute(_) if written_name(e).is_some() => written_name(e),
        Expr::Attribute(a) => dotted_head(&a.value),
        Expr::Subscript(s) => dotted_head(&s.value),
        Expr::Call(c) => dotted_head(&c.func),
        _ => None,
    }
}

/// A constant zero (`asyncio.sleep(0)`): a yield to the event loop, not a wait.
fn is_zero(e: &Expr) -> bool {
    match e {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_u8() == Some(0),
            ast::Number::Float(f) => *f == 0.0,
            ast::Number::Complex { .. } => false,
        },
        _ => false,
    }
}

/// A session, connection or cursor of the catalog (not a pool).
fn is_handle(ty: &PyTy) -> bool {
    matches!(ty, PyTy::Lib(t) if catalog::handle_kind(t).is_some_and(|k| k != HandleKind::Pool))
}

/// Calls whose arguments may be coroutines run at once or kept to be (SDB008), by their last
/// name; only in their arguments are the values given to a project call recorded.
const COROUTINE_TAKERS: &[&str] = &[
    "gather",
    "wait",
    "as_completed",
    "create_task",
    "ensure_future",
    "append",
    "extend",
];

/// Calls that wait for the tasks they are given: `await asyncio.gather(*tasks)`.
const TASK_WAITS: &[(&str, &str)] = &[
    ("asyncio", "gather"),
    ("asyncio", "wait"),
    ("asyncio", "wait_for"),
    ("asyncio", "shield"),
];

/// Managers whose block's end awaits the tasks made in it.
const TASK_GROUPS: &[(&str, &str)] = &[
    ("asyncio", "TaskGroup"),
    ("anyio", "create_task_group"),
    ("trio", "open_nursery"),
];

/// A task made and not awaited yet (SDB008).
struct LiveTask {
    run: CoroRun<TextRange>,
    /// The local it is bound to, if any.
    name: Option<String>,
    /// How many loops deep it was made.
    loop_depth: usize,
    /// How many `TaskGroup` blocks deep it was made: the group's block awaits it.
    group_depth: usize,
}

/// Whether a call is of a name or a method of `self`, given names, attributes and literals only:
/// reading it again records nothing but the call itself.
fn plain_arguments(c: &ast::ExprCall) -> bool {
    let callee = match &*c.func {
        Expr::Name(_) => true,
        Expr::Attribute(a) => matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "self"),
        _ => false,
    };
    if !callee {
        return false;
    }
    let plain = |a: &Expr| {
        matches!(
            a,
            Expr::Name(_) | Expr::Attribute(_) | Expr::NumberLiteral(_) | Expr::StringLiteral(_)
        )
    };
    c.arguments.args.iter().all(plain) && c.arguments.keywords.iter().all(|k| plain(&k.value))
}
