//! The second pass: reads one function body and records which handles flow into its return values.
//!
//! An abstract interpretation over the syntax tree. Each local binding carries the set of handle
//! origins its value may hold (an acquisition in this function, or the result of a call into the
//! project) and, where known, its type, which is what decides whether `x.begin()` acquires anything.
//! Data read through a handle carries nothing; parameters carry nothing (a handle passed in and
//! passed back is the caller's business).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;

use syn::{Expr, Pat, Stmt};

use crate::held::Tracker;
use crate::ids::{FnKey, HandleKind};
use crate::location::SpanRange;
use crate::rust::callee::{self, Callee};
use crate::rust::catalog::{self, CatalogType, Role};
use crate::rust::index::{FnItem, Index};
use crate::rust::types::{NameScope, Ty};
use crate::summary::{
    FnSummary, Language, LeakFlow, ManagerRole, Origin, OriginKind, PoolPath, PoolRoot, ReturnFlow,
    Slot, StoreFlow, Unfinished, union_into,
};

/// Deeper than this, an expression is treated as carrying nothing (no stack overflow on hostile
/// input; real code is far shallower).
const MAX_DEPTH: usize = 200;

#[derive(Clone, Debug, Default)]
struct Value<'t> {
    carried: Vec<usize>,
    ty: Option<Ty>,
    /// The smallest expression that holds the carried handle.
    site: Option<Node<'t>>,
    /// The carried origins that are only maybe in the value: what a method the checker does not
    /// know returned, given a value that carried one, or what a project function was given by
    /// value (a constructor: parameter in, handle out). They count as a hand-off (never "never
    /// committed"), and as a return only when the declared return type surely holds a handle;
    /// never as a store or a leak.
    maybe: Vec<usize>,
    /// The pool path the value is, when it names one a caller or this function can name again
    /// (a parameter, a field of one, a static, a local): what tells two uses of one pool apart
    /// from uses of two.
    place: Option<Rc<PoolPath>>,
}

impl<'t> Value<'t> {
    fn typed(ty: Option<Ty>) -> Value<'t> {
        Value {
            ty,
            ..Value::default()
        }
    }

    fn carries(&self) -> bool {
        !self.carried.is_empty()
    }

    /// Whether origin `o` is carried for sure.
    fn surely(&self, o: usize) -> bool {
        self.carried.contains(&o) && !self.maybe.contains(&o)
    }

    /// The value with only the origins it carries for sure.
    fn only_sure(&self) -> Value<'t> {
        Value {
            carried: self
                .carried
                .iter()
                .copied()
                .filter(|o| !self.maybe.contains(o))
                .collect(),
            maybe: Vec::new(),
            ..self.clone()
        }
    }
}

enum Sink {
    /// `return` leaves the function.
    Function,
    /// `return` leaves a closure, whose value is what calling it gives.
    Closure(Returned),
    /// `return` leaves an async block, whose value is the future's output.
    AsyncBlock(Returned),
}

/// What the `return`s and the tail of a closure or async block give: every origin they carry, and
/// those that some return carries surely (the others are only maybe in its value).
#[derive(Default)]
struct Returned {
    carried: Vec<usize>,
    sure: Vec<usize>,
}

impl Returned {
    fn add(&mut self, v: &Value<'_>) {
        union_into(&mut self.carried, &v.carried);
        for &o in &v.carried {
            if !v.maybe.contains(&o) && !self.sure.contains(&o) {
                self.sure.push(o);
            }
        }
    }

    /// With the tail's value: what the closure or block gives, and what of it only maybe.
    fn with_tail(mut self, tail: &Value<'_>) -> (Vec<usize>, Vec<usize>) {
        self.add(tail);
        let maybe = self
            .carried
            .iter()
            .copied()
            .filter(|o| !self.sure.contains(o))
            .collect();
        (self.carried, maybe)
    }
}

struct BodyReader<'a, 't> {
    index: &'a Index,
    scope: &'a NameScope,
    origins: Vec<(Provenance<'t>, Node<'t>)>,
    /// Whether calls on receivers nothing is known about may be acquisitions (see [`Promotion`]).
    promotion: Option<Promotion>,
    /// The project's own handle types in scope (`handles(..)`).
    handles: &'a [String],
    /// The project's own pools, from the configuration.
    pools: &'a [(String, Vec<String>)],
    env: Vec<HashMap<String, Value<'t>>>,
    returns: Vec<(Node<'t>, Vec<usize>, Vec<usize>)>,
    /// Stores that outlive the function: where, into what, what they carry.
    stores: Vec<(Node<'t>, String, Vec<usize>)>,
    /// Leaks: the call, how, what it carries, whether the value is typed as a handle.
    leaks: Vec<(Node<'t>, String, Vec<usize>, bool)>,
    /// Origins committed or rolled back, and origins moved on (returned, passed by value, stored).
    finished: HashSet<usize>,
    moved: HashSet<usize>,
    /// Transactions begun here, by origin, with their library.
    transactions: Vec<(usize, &'static str)>,
    /// Names bound to the function's parameters (`self` included): objects that outlive it.
    params: HashSet<String>,
    /// Set while reading a closure passed to a method of something that outlives the function.
    closure_params_outlive: bool,
    sinks: Vec<Sink>,
    /// What each closure read so far only maybe returns, by the closure's address.
    closure_maybe: HashMap<usize, Vec<usize>>,
    breaks: Vec<Vec<usize>>,
    depth: usize,
    /// What the function holds from its pools and does to them meanwhile (SDB006, SDB007).
    held: Tracker<Node<'t>>,
    /// Transaction builders made on a connection (`conn.build_transaction()`), by the address of
    /// the call that made them: what that connection carries, for the transaction they start.
    builders: HashMap<usize, Vec<usize>>,
}

/// Reads one function into its summary.
pub(crate) fn summarize(
    item: &FnItem<'_>,
    index: &Index,
    pools: &[(String, Vec<String>)],
) -> FnSummary<SpanRange> {
    let mut cx = BodyReader {
        index,
        scope: &item.scope,
        origins: Vec::new(),
        env: vec![HashMap::default()],
        returns: Vec::new(),
        stores: Vec::new(),
        leaks: Vec::new(),
        finished: HashSet::default(),
        moved: HashSet::default(),
        transactions: Vec::new(),
        params: HashSet::default(),
        closure_params_outlive: false,
        sinks: vec![Sink::Function],
        closure_maybe: HashMap::default(),
        breaks: Vec::new(),
        depth: 0,
        held: Tracker::default(),
        builders: HashMap::default(),
        promotion: Promotion::of(item, index),
        handles: &item.context.handles,
        pools,
    };
    for (index, input) in item.sig.inputs.iter().enumerate() {
        match input {
            syn::FnArg::Receiver(_) => {
                let ty = item.scope.self_ty.clone();
                let mut v = Value::typed(ty);
                v.place = Some(param_place(index, "self"));
                cx.bind_name("self", v);
                cx.params.insert("self".into());
            }
            syn::FnArg::Typed(pt) => {
                let ty = item.scope.resolve_type(&pt.ty);
                let names = pat_names(&pt.pat);
                let mut v = Value::typed(Some(ty));
                v.place = Some(param_place(
                    index,
                    names.first().map_or("_", String::as_str),
                ));
                cx.bind(&pt.pat, &v);
                cx.params.extend(names);
            }
        }
    }
    if let Some(body) = item.body {
        let tail = cx.block(body);
        let fallback = match body.stmts.last() {
            Some(Stmt::Expr(tail, None)) => Node::Expr(tail),
            _ => Node::Block(body),
        };
        cx.record_return(&tail, fallback);
    }
    let ret_ty = item.scope.resolve_return(&item.sig.output);
    let promotion = cx.promotion.clone();
    let declared_kind = ret_ty
        .as_ref()
        .and_then(|t| handle_kind_in(index, t, 0))
        .or_else(|| promotion.as_ref().and_then(Promotion::declared_kind));
    // A declared return type that cannot hold a handle settles it, whatever the flow guessed; so
    // does a reference (an acquisition returns an owned handle).
    if ret_ty.as_ref().is_none_or(|t| !cx.may_hold(t)) || returns_reference(&item.sig.output) {
        cx.returns.clear();
    }
    // What a return only maybe carried is handed off only where the declared type can hold it:
    // a transaction read through for a `u64` is still this function's to finish.
    for (_, carried, _) in &cx.returns {
        cx.moved.extend(carried.iter().copied());
    }
    // What only maybe carries a handle is returned as one when the declared type surely holds
    // one: a catalog handle, or a project type that wraps one.
    // Asked only when some return only maybe carries one (most functions have none).
    let surely = std::cell::LazyCell::new(|| {
        declared_kind.is_some()
            || ret_ty
                .as_ref()
                .is_some_and(|t| holds_project_wrapper(index, t, 0))
    });
    // A transaction committed or rolled back in the function carries nothing into what is
    // built after it: what only maybe holds it (a value read through it) holds data.
    let finished = &cx.finished;
    for (_, carried, maybe) in &mut cx.returns {
        carried.retain(|o| !maybe.contains(o) || (*surely && !finished.contains(o)));
    }
    cx.returns.retain(|(_, carried, _)| !carried.is_empty());
    // What the function returns, as SDB001 judges it (what only maybe carries a handle counts
    // where the declared type surely holds one), it gives its callers.
    for (node, carried, _) in &cx.returns {
        cx.held.returned(carried, *node);
    }
    // Spans are computed only for what a finding can show: the returned expressions and the
    // origins they carry. Tentative origins become acquisitions here, or are dropped.
    let mut kept: HashMap<usize, Option<usize>> = HashMap::default();
    let mut origins = Vec::new();
    let cx_origins = std::mem::take(&mut cx.origins);
    let mut keep = |carried: Vec<usize>| -> Vec<usize> {
        carried
            .into_iter()
            .filter_map(|o| {
                *kept.entry(o).or_insert_with(|| {
                    let (src, node) = &cx_origins[o];
                    let kind = match src {
                        Provenance::Known(kind) => kind.clone(),
                        Provenance::Tentative(name) => {
                            OriginKind::Acquire(promotion.as_ref()?.promoted(&name.to_string())?)
                        }
                    };
                    origins.push(Origin {
                        kind,
                        span: node.range(),
                    });
                    Some(origins.len() - 1)
                })
            })
            .collect()
    };
    let mut returns = Vec::new();
    for (node, carried, _) in std::mem::take(&mut cx.returns) {
        let carried = keep(carried);
        if !carried.is_empty() {
            returns.push(ReturnFlow {
                span: node.range(),
                origins: carried,
            });
        }
    }
    let stores = std::mem::take(&mut cx.stores)
        .into_iter()
        .map(|(node, target, carried)| StoreFlow {
            span: node.range(),
            target,
            origins: keep(carried),
        })
        .filter(|s| !s.origins.is_empty())
        .collect();
    let leaks = std::mem::take(&mut cx.leaks)
        .into_iter()
        .map(|(node, how, carried, typed_handle)| LeakFlow {
            span: node.range(),
            how,
            origins: keep(carried),
            typed_handle,
        })
        .filter(|l| l.typed_handle || !l.origins.is_empty())
        .collect();
    let unfinished = cx
        .transactions
        .iter()
        .filter(|(o, _)| !cx.finished.contains(o) && !cx.moved.contains(o))
        .map(|&(o, library)| {
            // A transaction a project function handed over: whether it is one, the link says.
            let through = match &cx_origins[o].0 {
                Provenance::Known(OriginKind::Call(_)) => keep(vec![o]).first().copied(),
                _ => None,
            };
            Unfinished {
                span: cx_origins[o].1.range(),
                library,
                through,
            }
        })
        .collect();
    FnSummary {
        key: item.key.clone(),
        language: Language::Rust,
        function: item.qual_name.clone(),
        name_span: SpanRange::of(&item.sig.ident),
        provider: item.provider,
        declared_kind,
        allowed: item.context.allowed.clone(),
        origins,
        returns,
        yields: Vec::new(),
        scope: ManagerRole::None,
        stores,
        leaks,
        unfinished,
        releases: Vec::new(),
        pools: std::mem::take(&mut cx.held).finish(Node::range),
    }
}

/// Whether `ty` is, or is a `Result`/`Option`/tuple of, a project type that may hold a handle.
fn holds_project_wrapper(index: &Index, ty: &Ty, depth: usize) -> bool {
    let ty = index.expand(ty);
    if depth > 4 {
        return false;
    }
    if index.is_local_struct(&ty) {
        return index.surely_holds_handle(&ty);
    }
    matches!(ty.last(), "Result" | "Option" | "(tuple)" | "Box")
        && ty
            .args
            .iter()
            .take(if ty.last() == "Result" { 1 } else { usize::MAX })
            .any(|a| holds_project_wrapper(index, a, depth + 1))
}

/// Whether a declared return type is a reference, or a `Result`/`Option` of one.
fn returns_reference(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    match &**ty {
        syn::Type::Reference(_) => true,
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|last| {
            matches!(last.ident.to_string().as_str(), "Result" | "Option")
                && matches!(&last.arguments, syn::PathArguments::AngleBracketed(a)
                    if matches!(a.args.first(), Some(syn::GenericArgument::Type(syn::Type::Reference(_)))))
        }),
        _ => false,
    }
}

/// The names a pattern binds.
fn pat_names(pat: &Pat) -> Vec<String> {
    match pat {
        Pat::Ident(p) => vec![p.ident.to_string()],
        Pat::Type(p) => pat_names(&p.pat),
        Pat::Reference(p) => pat_names(&p.pat),
        Pat::Paren(p) => pat_names(&p.pat),
        Pat::Tuple(p) => p.elems.iter().flat_map(pat_names).collect(),
        Pat::TupleStruct(p) => p.elems.iter().flat_map(pat_names).collect(),
        Pat::Struct(p) => p.fields.iter().flat_map(|f| pat_names(&f.pat)).collect(),
        _ => Vec::new(),
    }
}

/// The variable an assignment target or receiver chain starts from, and the chain as written:
/// `self` and `self.conns` for `self.conns.push(c)`; `CACHE` for `*CACHE.lock().unwrap() = ..`.
fn target_root(e: &Expr) -> Option<(String, String)> {
    match e {
        Expr::Path(p) => p
            .path
            .get_ident()
            .map(|i| (i.to_string(), i.to_string()))
            .or_else(|| {
                p.path
                    .segments
                    .last()
                    .map(|s| (s.ident.to_string(), s.ident.to_string()))
            }),
        Expr::Field(f) => {
            let (root, text) = target_root(&f.base)?;
            let member = match &f.member {
                syn::Member::Named(n) => n.to_string(),
                syn::Member::Unnamed(i) => i.index.to_string(),
            };
            Some((root, format!("{text}.{member}")))
        }
        Expr::Index(i) => {
            let (root, text) = target_root(&i.expr)?;
            Some((root, format!("{text}[..]")))
        }
        Expr::MethodCall(m) => target_root(&m.receiver),
        Expr::Unary(u) => target_root(&u.expr),
        Expr::Reference(r) => target_root(&r.expr),
        Expr::Paren(p) => target_root(&p.expr),
        Expr::Group(g) => target_root(&g.expr),
        Expr::Try(t) => target_root(&t.expr),
        Expr::Await(a) => target_root(&a.base),
        _ => None,
    }
}

/// Whether a receiver chain goes through request-scoped storage (`req.extensions_mut()`).
fn request_scoped(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => {
            catalog::REQUEST_SCOPED.contains(&m.method.to_string().as_str())
                || request_scoped(&m.receiver)
        }
        Expr::Field(f) => {
            matches!(&f.member, syn::Member::Named(n) if catalog::REQUEST_SCOPED.contains(&n.to_string().as_str()))
                || request_scoped(&f.base)
        }
        Expr::Unary(u) => request_scoped(&u.expr),
        Expr::Reference(r) => request_scoped(&r.expr),
        Expr::Paren(p) => request_scoped(&p.expr),
        _ => false,
    }
}

/// Where an origin came from, before the return type has had its say.
#[derive(Clone, Debug)]
enum Provenance<'t> {
    Known(OriginKind),
    /// A call on a receiver nothing is known about, by method (or function) name: an acquisition
    /// only if [`Promotion`] says so.
    Tentative(&'t syn::Ident),
}

/// When the declarations are out of sight, the return type speaks for them. A call on an unknown
/// receiver whose value is returned is an acquisition when the function's return type names:
/// - a type declared with `handles(..)`: any call (but moves such as `take`);
/// - in the macro door, a library handle by name (`Transaction`, `PoolConnection`): a call that
///   library makes it with (`begin` for a `Transaction`, never `get`).
///
/// Types behind a reference never count: an acquisition returns an owned handle.
#[derive(Clone, Debug, Default)]
struct Promotion {
    custom: bool,
    /// Library handle names the return type shows, with their kinds.
    by_name: Vec<(String, HandleKind)>,
    /// The catalog handles the declared return type resolves to (`Result<mysql_async::Conn, E>`):
    /// a call on a receiver of unknown type that their own family lists as producing them is an
    /// acquisition (`self.pool().get_conn()`), never a method of the same name elsewhere.
    resolved: Vec<CatalogType>,
}

impl Promotion {
    fn of(item: &FnItem<'_>, index: &Index) -> Option<Promotion> {
        let syn::ReturnType::Type(_, ret) = &item.sig.output else {
            return None;
        };
        let mut names = Vec::new();
        owned_type_names(ret, &mut names);
        // Resolved only when a name in it could be a catalog handle (or an alias of one).
        let mut resolved = Vec::new();
        if names
            .iter()
            .any(|n| catalog::names_a_handle(n) || index.is_alias_name(n))
        {
            catalog_handles_in(index, &item.scope.resolve_type(ret), 0, &mut resolved);
        }
        let custom = names.iter().any(|n| item.context.handles.contains(n));
        let by_name: Vec<(String, HandleKind)> = if item.context.item_only {
            names
                .into_iter()
                .filter_map(|n| catalog::handle_kind_by_name(&n).map(|k| (n, k)))
                .collect()
        } else {
            Vec::new()
        };
        (custom || !by_name.is_empty() || !resolved.is_empty()).then_some(Promotion {
            custom,
            by_name,
            resolved,
        })
    }

    fn promoted(&self, name: &str) -> Option<HandleKind> {
        if let Some(ct) = self.resolved.iter().find(|ct| {
            ct.family
                .methods
                .iter()
                .any(|m| m.produces == ct.entry.name && m.methods.contains(&name))
        }) && let Role::Handle(kind) = ct.role()
        {
            return Some(kind);
        }
        if let Some((_, kind)) = self
            .by_name
            .iter()
            .find(|(ty, _)| catalog::acquires_by_name(ty, name))
        {
            return Some(*kind);
        }
        (self.custom && !catalog::NOT_ACQUISITIONS.contains(&name))
            .then_some(HandleKind::Connection)
    }

    fn declared_kind(&self) -> Option<HandleKind> {
        if let Some(Role::Handle(kind)) = self.resolved.first().map(CatalogType::role) {
            return Some(kind);
        }
        match self.by_name.first() {
            Some((_, kind)) => Some(*kind),
            None => self.custom.then_some(HandleKind::Connection),
        }
    }
}

/// The last segments of the type paths in `ty` that are not behind a reference.
fn owned_type_names(ty: &syn::Type, out: &mut Vec<String>) {
    match ty {
        syn::Type::Path(p) => {
            if let Some(last) = p.path.segments.last() {
                out.push(last.ident.to_string());
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    for arg in &a.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            owned_type_names(t, out);
                        }
                    }
                }
            }
        }
        syn::Type::Tuple(t) => t.elems.iter().for_each(|e| owned_type_names(e, out)),
        syn::Type::Paren(p) => owned_type_names(&p.elem, out),
        syn::Type::Group(g) => owned_type_names(&g.elem, out),
        _ => {}
    }
}

/// A syntax node a span will be taken from, if a finding needs it: spans cost a walk over the
/// node's tokens, so they are taken late.
#[derive(Clone, Copy, Debug)]
enum Node<'t> {
    Expr(&'t Expr),
    Block(&'t syn::Block),
}

impl Node<'_> {
    fn range(self) -> SpanRange {
        match self {
            Node::Expr(e) => SpanRange::of(e),
            Node::Block(b) => SpanRange::of(b),
        }
    }
}

/// The kind of handle a declared type holds, looking through `Result`, `Option`, tuples and
/// project structs that hold one.
/// The catalog handle types `ty` is or holds (`Result<Conn, E>`, `(Conn, Pool)`), as declared.
fn catalog_handles_in(index: &Index, ty: &Ty, depth: usize, out: &mut Vec<CatalogType>) {
    if depth > 6 {
        return;
    }
    let ty = index.expand(ty);
    if let Some(ct) = index.catalog(&ty) {
        if matches!(ct.role(), Role::Handle(_)) && !out.contains(&ct) {
            out.push(ct);
        }
        return;
    }
    for arg in &ty.args {
        catalog_handles_in(index, arg, depth + 1, out);
    }
}

/// The library of the transaction type `ty` is or holds (`Result<DatabaseTransaction, E>`).
fn transaction_library_in(index: &Index, ty: &Ty, depth: usize) -> Option<&'static str> {
    if depth > 6 {
        return None;
    }
    let ty = index.expand(ty);
    if let Some(ct) = index.catalog(&ty) {
        return (ct.role() == Role::Handle(HandleKind::Transaction)).then_some(ct.family.library);
    }
    ty.args
        .iter()
        .find_map(|arg| transaction_library_in(index, arg, depth + 1))
}

fn handle_kind_in(index: &Index, ty: &Ty, depth: usize) -> Option<HandleKind> {
    if depth > 6 {
        return None;
    }
    let ty = index.expand(ty);
    if let Some(ct) = index.catalog(&ty)
        && let Role::Handle(kind) = ct.role()
    {
        return Some(kind);
    }
    ty.args
        .iter()
        .find_map(|arg| handle_kind_in(index, arg, depth + 1))
}

impl<'t> BodyReader<'_, 't> {
    /// Whether a value of `ty` may hold a handle, counting the declared handle types.
    fn may_hold(&self, ty: &Ty) -> bool {
        self.index.may_hold_handle(ty) || mentions(ty, self.handles)
    }

    /// A part of a destructured value: it may be the handle the whole carries, unless its type
    /// says it cannot hold one (`let (tx, id) = ..` leaves `id` clean).
    fn part(&self, val: &Value<'t>, ty: Option<Ty>) -> Value<'t> {
        let carried = match &ty {
            Some(t) if !self.may_hold(t) => Vec::new(),
            _ => val.carried.clone(),
        };
        Value {
            carried,
            ty,
            site: None,
            maybe: val.maybe.clone(),
            place: None,
        }
    }

    /// The declared types of the fields a tuple-struct pattern's path names: a project tuple
    /// struct (`Wrapper(x)`: fields `0`, `1`, ..) or enum variant (`DbPool::Pool(p)`: fields
    /// `Pool::0`, ..). `None` when the path names neither.
    fn declared_fields(&self, path: &syn::Path, n: usize) -> Option<Vec<Option<Ty>>> {
        let ty = self.scope.resolve_path(path);
        if self.index.is_local_struct(&ty) {
            let fields: Vec<Option<Ty>> = (0..n)
                .map(|i| self.index.field(&ty, &i.to_string()))
                .collect();
            return fields.iter().any(Option::is_some).then_some(fields);
        }
        let (variant, owner) = ty.path.split_last()?;
        let owner = Ty::named(owner.to_vec());
        if !self.index.is_local_struct(&owner) {
            return None;
        }
        let fields: Vec<Option<Ty>> = (0..n)
            .map(|i| self.index.field(&owner, &format!("{variant}::{i}")))
            .collect();
        fields.iter().any(Option::is_some).then_some(fields)
    }

    fn tentative(&mut self, name: &'t syn::Ident, node: Node<'t>) -> Value<'t> {
        // Only a call that the declared return type could make an acquisition of.
        if self
            .promotion
            .as_ref()
            .and_then(|p| p.promoted(&name.to_string()))
            .is_none()
        {
            return Value::default();
        }
        self.origins.push((Provenance::Tentative(name), node));
        Value {
            carried: vec![self.origins.len() - 1],
            ty: None,
            site: Some(node),
            maybe: Vec::new(),
            place: None,
        }
    }

    fn bind_name(&mut self, name: &str, val: Value<'t>) {
        if val.carries() {
            self.held
                .bound(&val.carried, self.env.len().saturating_sub(1));
        }
        if let Some(scope) = self.env.last_mut() {
            scope.insert(name.to_string(), val);
        }
    }

    fn lookup(&self, name: &str) -> Option<&Value<'t>> {
        self.env.iter().rev().find_map(|s| s.get(name))
    }

    fn origin(&mut self, kind: OriginKind, node: Node<'t>) -> usize {
        self.origins.push((Provenance::Known(kind), node));
        self.origins.len() - 1
    }

    /// A value returned: what it surely carries is handed off; what it only maybe carries is,
    /// for the function, once its declared return type is known to be able to hold it
    /// ([`summarize`]), and for a closure or async block, where what it gives goes.
    fn record_return(&mut self, val: &Value<'t>, fallback: Node<'t>) {
        if !val.carries() {
            return;
        }
        self.moved.extend(
            val.carried
                .iter()
                .copied()
                .filter(|o| !val.maybe.contains(o)),
        );
        match self.sinks.last_mut() {
            Some(Sink::Function) => self.returns.push((
                val.site.unwrap_or(fallback),
                val.carried.clone(),
                val.maybe.clone(),
            )),
            Some(Sink::AsyncBlock(acc) | Sink::Closure(acc)) => acc.add(val),
            None => {}
        }
    }

    /// Binds the names in `pat` to the parts of `val`.
    fn bind(&mut self, pat: &'t Pat, val: &Value<'t>) {
        match pat {
            Pat::Ident(p) => {
                if let Some((_, sub)) = &p.subpat {
                    self.bind(sub, val);
                }
                self.bind_name(&p.ident.to_string(), val.clone());
            }
            Pat::Type(p) => {
                let ty = self.scope.resolve_type(&p.ty);
                let val = self.part(val, Some(ty));
                self.bind(&p.pat, &val);
            }
            Pat::Reference(p) => self.bind(&p.pat, val),
            Pat::Guard(p) => {
                self.bind(&p.pat, val);
                self.expr(&p.guard);
            }
            Pat::Paren(p) => self.bind(&p.pat, val),
            Pat::Or(p) => {
                for case in &p.cases {
                    self.bind(case, val);
                }
            }
            Pat::Tuple(p) => {
                for (i, elem) in p.elems.iter().enumerate() {
                    let ty = val.ty.as_ref().and_then(|t| t.args.get(i).cloned());
                    self.bind(elem, &self.part(val, ty));
                }
            }
            Pat::TupleStruct(p) => {
                // `Err(e)`: an error is never the handle.
                if p.path.segments.last().is_some_and(|s| s.ident == "Err") {
                    let ty = val
                        .ty
                        .as_ref()
                        .and_then(|t| self.index.expand(t).args.get(1).cloned());
                    for elem in &p.elems {
                        self.bind(elem, &Value::typed(ty.clone()));
                    }
                    return;
                }
                // A project tuple struct or enum variant (`DbPool::Pool(p)`): its declared fields.
                if let Some(fields) = self.declared_fields(&p.path, p.elems.len()) {
                    for (elem, ty) in p.elems.iter().zip(fields) {
                        self.bind(elem, &self.part(val, ty));
                    }
                    return;
                }
                // `Ok(x)`, `Some(x)`, axum's `State(x)`: the single field is the first type argument,
                // and the same place (an extractor's pool is the parameter's).
                let ty = if p.elems.len() == 1 {
                    val.ty
                        .as_ref()
                        .map(|t| self.index.expand(t))
                        .and_then(|t| t.first_arg().cloned())
                } else {
                    None
                };
                for elem in &p.elems {
                    let mut part = self.part(val, ty.clone());
                    if p.elems.len() == 1 {
                        part.place.clone_from(&val.place);
                    }
                    self.bind(elem, &part);
                }
            }
            Pat::Struct(p) => {
                for field in &p.fields {
                    let ty = match (&field.member, &val.ty) {
                        (syn::Member::Named(name), Some(t)) => {
                            self.index.field(t, &name.to_string())
                        }
                        _ => None,
                    };
                    self.bind(&field.pat, &self.part(val, ty));
                }
            }
            Pat::Slice(p) => {
                for elem in &p.elems {
                    self.bind(elem, &self.part(val, None));
                }
            }
            _ => {}
        }
    }

    fn block(&mut self, block: &'t syn::Block) -> Value<'t> {
        self.env.push(HashMap::default());
        let frame = self.env.len() - 1;
        let mut tail = Value::default();
        let last = block.stmts.len().saturating_sub(1);
        for (i, stmt) in block.stmts.iter().enumerate() {
            let mark = self.held.mark();
            match stmt {
                Stmt::Local(local) => {
                    let mut val = match &local.init {
                        Some(init) => {
                            let v = self.expr(&init.expr);
                            if let Some((_, diverge)) = &init.diverge {
                                self.expr(diverge);
                            }
                            v
                        }
                        None => Value::default(),
                    };
                    if val.site.is_none() && val.carries() {
                        val.site = local.init.as_ref().map(|i| Node::Expr(&i.expr));
                    }
                    // A local that names a value of a known type is a place of its own (a pool
                    // made here, or a struct holding one), unless it is another name for one.
                    if val.place.is_none()
                        && val.ty.is_some()
                        && let [name] = pat_names(&local.pat).as_slice()
                    {
                        val.place = Some(self.held.local(name));
                    }
                    self.bind(&local.pat, &val);
                }
                Stmt::Expr(e, semi) => {
                    let v = self.expr(e);
                    if i == last && semi.is_none() {
                        tail = v;
                        // The block's value: what it took goes on to whatever binds it.
                        continue;
                    }
                }
                Stmt::Item(_) | Stmt::Macro(_) => {}
            }
            self.held.statement_ended(mark);
        }
        self.env.pop();
        self.held.scope_ended(frame);
        tail
    }

    fn expr(&mut self, e: &'t Expr) -> Value<'t> {
        if self.depth >= MAX_DEPTH {
            return Value::default();
        }
        self.depth += 1;
        let v = self.expr_inner(e);
        self.depth -= 1;
        v
    }

    fn expr_inner(&mut self, e: &'t Expr) -> Value<'t> {
        match e {
            Expr::Path(p) => self.path_expr(e, p),
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Reference(r) => self.expr(&r.expr),
            Expr::Unary(u) => {
                let v = self.expr(&u.expr);
                match u.op {
                    syn::UnOp::Deref(_) => v,
                    _ => Value::default(),
                }
            }
            Expr::Await(a) => {
                let v = self.expr(&a.base);
                self.wrap(e, v, None)
            }
            Expr::Try(t) => {
                let v = self.expr(&t.expr);
                let ty = v.ty.as_ref().and_then(|t| self.index.unwrap_ty(t));
                self.wrap(e, v, Some(ty))
            }
            Expr::MethodCall(mc) => self.method_call(e, mc),
            Expr::Call(c) => self.call(e, c),
            Expr::Struct(s) => {
                let mut parts: Vec<Value> = s.fields.iter().map(|f| self.expr(&f.expr)).collect();
                if let Some(rest) = &s.rest {
                    parts.push(self.expr(rest));
                }
                // Moved into the value: its owner decides what becomes of it (what a part only
                // maybe carries, a row read through a transaction, is not the transaction).
                for p in &parts {
                    self.moved
                        .extend(p.carried.iter().copied().filter(|o| !p.maybe.contains(o)));
                }
                let ty = self.scope.resolve_path(&s.path);
                self.combine(e, parts, Some(ty))
            }
            Expr::Tuple(t) => {
                let parts: Vec<Value> = t.elems.iter().map(|x| self.expr(x)).collect();
                let ty = Ty {
                    path: vec!["(tuple)".into()],
                    args: parts
                        .iter()
                        .map(|p| p.ty.clone().unwrap_or_else(crate::rust::types::unknown))
                        .collect(),
                };
                self.combine(e, parts, Some(ty))
            }
            Expr::Array(a) => {
                let parts: Vec<Value> = a.elems.iter().map(|x| self.expr(x)).collect();
                self.combine(e, parts, None)
            }
            Expr::Repeat(r) => {
                self.expr(&r.len);
                self.expr(&r.expr)
            }
            Expr::Block(b) => self.block(&b.block),
            Expr::Unsafe(u) => self.block(&u.block),
            Expr::Const(c) => self.block(&c.block),
            Expr::TryBlock(t) => self.block(&t.block),
            Expr::Async(a) => self.async_block(&a.block),
            Expr::Closure(c) => self.closure(e, c),
            Expr::If(i) => {
                self.env.push(HashMap::default());
                self.cond(&i.cond);
                let mark = self.held.mark();
                let before = self.ended_before_alternatives();
                let then = self.block(&i.then_branch);
                self.env.pop();
                self.held.next_alternative(mark);
                let ended = self.next_alternative_ends(
                    before.as_ref(),
                    (Default::default(), Default::default()),
                );
                let other = match &i.else_branch {
                    Some((_, els)) => self.expr(els),
                    None => Value::default(),
                };
                self.held.alternatives_end(mark);
                self.alternatives_end(before.is_some(), ended);
                self.combine(e, vec![then, other], None)
            }
            Expr::Let(l) => {
                // Outside an `if`/`while` condition (handled by `cond`): bind in the current scope.
                let v = self.expr(&l.expr);
                self.bind(&l.pat, &v);
                Value::default()
            }
            Expr::Match(m) => {
                let scrutinee = self.expr(&m.expr);
                let mut arms = Vec::new();
                let mark = self.held.mark();
                let before = self.ended_before_alternatives();
                let mut ended = (HashSet::default(), HashSet::default());
                for arm in &m.arms {
                    self.held.next_alternative(mark);
                    ended = self.next_alternative_ends(before.as_ref(), ended);
                    self.env.push(HashMap::default());
                    self.bind(&arm.pat, &scrutinee);
                    arms.push(self.expr(&arm.body));
                    self.env.pop();
                }
                self.held.alternatives_end(mark);
                self.alternatives_end(before.is_some(), ended);
                self.combine(e, arms, None)
            }
            Expr::Loop(l) => {
                self.breaks.push(Vec::new());
                self.block(&l.body);
                self.loop_value()
            }
            Expr::While(w) => {
                self.breaks.push(Vec::new());
                self.env.push(HashMap::default());
                self.cond(&w.cond);
                self.block(&w.body);
                self.env.pop();
                self.loop_value()
            }
            Expr::ForLoop(f) => {
                let iter = self.expr(&f.expr);
                self.breaks.push(Vec::new());
                self.env.push(HashMap::default());
                self.bind(&f.pat, &self.part(&iter, None));
                self.block(&f.body);
                self.env.pop();
                self.loop_value()
            }
            Expr::Break(b) => {
                if let Some(value) = &b.expr {
                    let v = self.expr(value);
                    if let Some(acc) = self.breaks.last_mut() {
                        union_into(acc, &v.carried);
                    }
                }
                Value::default()
            }
            Expr::Return(r) => {
                if let Some(value) = &r.expr {
                    let v = self.expr(value);
                    self.record_return(&v, Node::Expr(value));
                }
                Value::default()
            }
            Expr::Assign(a) => self.assign(e, a),
            Expr::Field(f) => self.field(e, f),
            Expr::Index(i) => {
                let base = self.expr(&i.expr);
                self.expr(&i.index);
                Value {
                    carried: base.carried,
                    ty: None,
                    site: Some(Node::Expr(e)),
                    maybe: base.maybe.clone(),
                    place: None,
                }
            }
            Expr::Binary(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
                Value::default()
            }
            Expr::Cast(c) => {
                self.expr(&c.expr);
                Value::default()
            }
            Expr::Range(r) => {
                if let Some(s) = &r.start {
                    self.expr(s);
                }
                if let Some(s) = &r.end {
                    self.expr(s);
                }
                Value::default()
            }
            _ => Value::default(),
        }
    }

    /// A name: a binding in scope, else a `static` or `const` of the project.
    fn path_expr(&mut self, e: &'t Expr, p: &'t syn::ExprPath) -> Value<'t> {
        if p.qself.is_none()
            && let Some(ident) = p.path.get_ident()
            && let Some(v) = self.lookup(&ident.to_string())
        {
            let mut v = v.clone();
            v.site = Some(Node::Expr(e));
            return v;
        }
        // A `static` or `const` of the project: typed, and never a handle obtained here.
        if p.qself.is_none() {
            let written: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let path = self.scope.absolute(&written);
            let ty = self.index.static_ty(&path).cloned();
            let place = ty
                .is_some()
                .then(|| Rc::new(PoolPath::root(PoolRoot::Global(path.join("::")))));
            return Value {
                place,
                ..Value::typed(ty)
            };
        }
        Value::default()
    }

    /// An `async` block: what it returns or ends with.
    fn async_block(&mut self, block: &'t syn::Block) -> Value<'t> {
        self.sinks.push(Sink::AsyncBlock(Returned::default()));
        self.held.task(true);
        let tail = self.block(block);
        self.held.task(false);
        let Some(Sink::AsyncBlock(returned)) = self.sinks.pop() else {
            return Value::default();
        };
        // What the block surely returns is surely its output; what it only maybe returns (a
        // value read through a handle) stays maybe.
        let (carried, maybe) = returned.with_tail(&tail);
        Value {
            place: None,
            carried,
            ty: tail.ty,
            site: tail.site,
            maybe,
        }
    }

    /// A closure: what calling it would give, as only maybe a handle (it may never be called);
    /// what its body only maybe gives is kept apart ([`BodyReader::called`]) for a runner that
    /// calls it.
    fn closure(&mut self, e: &'t Expr, c: &'t syn::ExprClosure) -> Value<'t> {
        self.sinks.push(Sink::Closure(Returned::default()));
        self.env.push(HashMap::default());
        // `CURRENT.with(|cell| ..)` on a static: the closure's parameters are the static.
        let outer = std::mem::take(&mut self.closure_params_outlive);
        let mut added = Vec::new();
        for input in &c.inputs {
            self.bind(input, &Value::default());
            if outer {
                for name in pat_names(input) {
                    if self.params.insert(name.clone()) {
                        added.push(name);
                    }
                }
            }
        }
        self.held.task(true);
        let tail = self.expr(&c.body);
        self.held.task(false);
        for name in added {
            self.params.remove(&name);
        }
        self.env.pop();
        let Some(Sink::Closure(returned)) = self.sinks.pop() else {
            return Value::default();
        };
        let (returned, inner_maybe) = returned.with_tail(&tail);
        self.closure_maybe
            .insert(std::ptr::from_ref(e) as usize, inner_maybe);
        // What calling it would give: only maybe a handle until a runner that calls it
        // (`spawn_blocking`) says so, and never a store.
        Value {
            place: None,
            site: (!returned.is_empty()).then_some(Node::Expr(e)),
            maybe: returned.clone(),
            carried: returned,
            ty: None,
        }
    }

    /// What calling the closure `e` gives: what it returns, only maybe where its body only maybe
    /// returns it (a row read through a statement of the transaction, not the transaction).
    fn called(&self, e: &'t Expr, mut value: Value<'t>) -> Value<'t> {
        value.maybe = self
            .closure_maybe
            .get(&(std::ptr::from_ref(e) as usize))
            .cloned()
            .unwrap_or_default();
        value
    }

    /// `x = v` adds what `v` carries to the binding; `place = v` into anything else is a store.
    fn assign(&mut self, e: &'t Expr, a: &'t syn::ExprAssign) -> Value<'t> {
        let v = self.expr(&a.right);
        if let Expr::Path(p) = &*a.left
            && let Some(ident) = p.path.get_ident()
        {
            let name = ident.to_string();
            if let Some(slot) = self.env.iter_mut().rev().find_map(|s| s.get_mut(&name)) {
                for &o in &v.maybe {
                    if !slot.carried.contains(&o) {
                        slot.maybe.push(o);
                    }
                }
                union_into(&mut slot.carried, &v.carried);
                if slot.ty.is_none() {
                    slot.ty = v.ty;
                }
                if v.site.is_some() {
                    slot.site = v.site;
                }
            }
        } else {
            self.expr(&a.left);
            self.store_into(&a.left, e, &v);
        }
        Value::default()
    }

    /// `base.field`: what the base carries, typed as the field is declared.
    fn field(&mut self, e: &'t Expr, f: &'t syn::ExprField) -> Value<'t> {
        let base = self.expr(&f.base);
        let ty = match (&f.member, &base.ty) {
            (syn::Member::Named(name), Some(t)) => self.index.field(t, &name.to_string()),
            (syn::Member::Unnamed(i), Some(t)) => {
                let t = self.index.expand(t);
                if t.path == ["(tuple)"] {
                    t.args.get(i.index as usize).cloned()
                } else {
                    self.index.field(&t, &i.index.to_string())
                }
            }
            _ => None,
        };
        Value {
            carried: base.carried,
            ty,
            site: Some(Node::Expr(e)),
            maybe: base.maybe.clone(),
            place: match &f.member {
                syn::Member::Named(name) => base
                    .place
                    .as_ref()
                    .and_then(|p| p.field(&name.to_string()))
                    .map(Rc::new),
                syn::Member::Unnamed(_) => None,
            },
        }
    }

    /// `if`/`while` conditions, with `let` chains binding into the current scope.
    fn cond(&mut self, cond: &'t Expr) {
        match cond {
            Expr::Let(l) => {
                let v = self.expr(&l.expr);
                self.bind(&l.pat, &v);
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.cond(&b.left);
                self.cond(&b.right);
            }
            other => {
                self.expr(other);
            }
        }
    }

    fn loop_value(&mut self) -> Value<'t> {
        let carried = self.breaks.pop().unwrap_or_default();
        Value {
            carried,
            ty: None,
            site: None,
            maybe: Vec::new(),
            place: None,
        }
    }

    /// A value that passes through `e` unchanged (`?`, `.await`, `.unwrap()`).
    fn wrap(&self, e: &'t Expr, v: Value<'t>, ty: Option<Option<Ty>>) -> Value<'t> {
        Value {
            site: if v.carries() {
                Some(Node::Expr(e))
            } else {
                None
            },
            ty: ty.unwrap_or(v.ty),
            carried: v.carried,
            maybe: v.maybe,
            place: v.place,
        }
    }

    /// A value built from parts (a struct literal, a tuple, the arms of a `match`).
    fn combine(&self, e: &'t Expr, parts: Vec<Value<'t>>, ty: Option<Ty>) -> Value<'t> {
        let carrying: Vec<&Value> = parts.iter().filter(|p| p.carries()).collect();
        let site = match carrying.as_slice() {
            [one] => one.site.or(Some(Node::Expr(e))),
            [] => None,
            _ => Some(Node::Expr(e)),
        };
        let mut carried = Vec::new();
        for p in &carrying {
            union_into(&mut carried, &p.carried);
        }
        let ty = ty.or_else(|| {
            let mut tys = parts.iter().filter_map(|p| p.ty.clone());
            tys.next()
        });
        // Maybe only if no part carries it surely.
        let mut maybe = Vec::new();
        for p in &carrying {
            for &o in &p.maybe {
                if !maybe.contains(&o) && carrying.iter().all(|q| !q.surely(o)) {
                    maybe.push(o);
                }
            }
        }
        Value {
            place: None,
            carried,
            ty,
            site,
            maybe,
        }
    }

    fn method_call(&mut self, e: &'t Expr, mc: &'t syn::ExprMethodCall) -> Value<'t> {
        let recv = self.expr(&mc.receiver);
        let name = mc.method.to_string();
        // A client's call of the slow-call catalog (SDB009): `client.get(url).send().await`.
        if let Some(ty) = &recv.ty
            && let Some(step) = catalog::slow_method(&self.index.receiver(ty).path, &name)
        {
            for a in &mc.args {
                self.expr(a);
            }
            let api = format!("{}::{name}", self.index.receiver(ty).path.join("::"));
            return self.slow_step(e, step, api);
        }
        // Closures passed to mapping methods receive what the receiver carries.
        if callee::maps_into_closure(&name)
            && recv.carries()
            && let Some(Expr::Closure(c)) = mc.args.first()
        {
            self.env.push(HashMap::default());
            let inner_ty = recv.ty.as_ref().and_then(|t| self.index.unwrap_ty(t));
            let param = Value {
                ty: inner_ty,
                ..recv.clone()
            };
            if let Some(p) = c.inputs.first() {
                self.bind(p, &param);
            }
            self.sinks.push(Sink::Closure(Returned::default()));
            let body = self.expr(&c.body);
            let returned = match self.sinks.pop() {
                Some(Sink::Closure(returned)) => returned,
                _ => Returned::default(),
            };
            self.env.pop();
            let (carried, maybe) = returned.with_tail(&body);
            return Value {
                place: None,
                site: body.site.map(|_| Node::Expr(e)),
                carried,
                maybe,
                ty: body.ty,
            };
        }
        let (callee, effects) = self
            .index
            .method_callee(recv.ty.as_ref(), &name, self.pools);
        if let Callee::RunsOnConnection(param) = &callee
            && let Some(Expr::Closure(c)) = mc.args.first()
        {
            return self.run_on_connection(e, c, param.clone());
        }
        let on_outer = target_root(&mc.receiver).is_some_and(|(root, _)| self.outlives(&root));
        let mark = self.held.mark();
        let runs_transaction = self.closure_transaction(e, mc, &recv);
        let args: Vec<Value<'t>> = mc
            .args
            .iter()
            .map(|a| {
                self.closure_params_outlive = on_outer && matches!(a, Expr::Closure(_));
                let v = self.expr(a);
                self.closure_params_outlive = false;
                v
            })
            .collect();
        if runs_transaction {
            self.held.end_since(mark);
        }
        self.moved_by_value(mc.args.iter().zip(&args));
        if effects.finishes {
            self.finished.extend(recv.carried.iter().copied());
        }
        if effects.stores {
            // Only what is given by value is kept: `model.insert(&txn)` lends the transaction.
            for (arg, val) in mc.args.iter().zip(&args) {
                if !matches!(arg, Expr::Reference(_)) {
                    self.store_into(&mc.receiver, e, val);
                }
            }
        }
        if let Some((how, typed)) = effects.leaks {
            self.leak(e, how, &recv, typed);
        }
        self.pool_statement(e, mc, &recv, &args);
        // `session.start_transaction()`: the session now holds a transaction.
        if let Some(library) = effects.begins_on_receiver
            && let Expr::Path(p) = &*mc.receiver
            && let Some(var) = p.path.get_ident()
        {
            let o = self.origin(OriginKind::Acquire(HandleKind::Transaction), Node::Expr(e));
            self.transactions.push((o, library));
            let name = var.to_string();
            if let Some(slot) = self.env.iter_mut().rev().find_map(|s| s.get_mut(&name)) {
                union_into(&mut slot.carried, &[o]);
            }
        }
        match callee {
            Callee::ConfiguredPool => {
                let o = self.origin(OriginKind::Acquire(HandleKind::Connection), Node::Expr(e));
                if let Some(pool) = recv.place.clone() {
                    let (finished, moved) = (&self.finished, &self.moved);
                    self.held.acquired(
                        o,
                        HandleKind::Connection,
                        false,
                        pool,
                        Node::Expr(e),
                        &|o| finished.contains(&o) || moved.contains(&o),
                    );
                }
                Value {
                    carried: vec![o],
                    ty: None,
                    site: Some(Node::Expr(e)),
                    maybe: Vec::new(),
                    place: None,
                }
            }
            Callee::Catalog(produced) => {
                // `conn.transaction(|c| ..)` (diesel, sea-orm): the library runs the closure
                // inside the transaction and finishes it; only the closure's result comes out.
                let closure_scoped = mc.args.iter().any(|a| matches!(a, Expr::Closure(_)));
                let v = self.produce(e, produced, closure_scoped);
                self.took(e, mc, &recv, &v, produced);
                v
            }
            Callee::Project(fns, ret) => {
                let slots = std::iter::once(&recv).chain(&args).enumerate();
                self.project_call(e, &fns, slots, self.origins.len());
                // A project method on a value holding a transaction (a unit of work's
                // `complete(self)`) takes it on; on a value read through one, it does not.
                self.moved.extend(
                    recv.carried
                        .iter()
                        .copied()
                        .filter(|o| !recv.maybe.contains(o)),
                );
                let mut given = by_value(mc.args.iter(), &args);
                given.push(&recv);
                self.call_result(e, fns, ret, &given)
            }
            Callee::Typed(ty) => Value::typed(Some(ty)),
            Callee::Data => Value::default(),
            Callee::Guard(inner) => Value {
                ty: Some(inner),
                ..recv
            },
            Callee::Receiver(ty) => self.wrap(e, recv, Some(ty)),
            Callee::Wraps(_)
            | Callee::FutureOutput
            | Callee::RunsClosure
            | Callee::RunsOnConnection(_)
            | Callee::Unknown { .. } => {
                let given = given_output(mc.args.iter().zip(&args));
                let v = self.unknown_method(e, mc, recv);
                self.or_given_output(e, v, given)
            }
        }
    }

    /// What was finished or moved before a conditional, when the function holds something from a
    /// pool: each alternative is read from there, so a commit in one branch does not end the
    /// transaction in another (`if done { tx.commit() } else { pool.execute(..) }`).
    fn ended_before_alternatives(&self) -> Option<(HashSet<usize>, HashSet<usize>)> {
        self.held
            .holds_any()
            .then(|| (self.finished.clone(), self.moved.clone()))
    }

    /// Another alternative starts: what the previous one finished or moved joins `ended`, and
    /// the sets go back to what they were before the conditional.
    fn next_alternative_ends(
        &mut self,
        before: Option<&(HashSet<usize>, HashSet<usize>)>,
        mut ended: (HashSet<usize>, HashSet<usize>),
    ) -> (HashSet<usize>, HashSet<usize>) {
        if let Some((finished, moved)) = before {
            ended
                .0
                .extend(std::mem::replace(&mut self.finished, finished.clone()));
            ended
                .1
                .extend(std::mem::replace(&mut self.moved, moved.clone()));
        }
        ended
    }

    /// After the conditional: what any alternative finished or moved is (the summary's rules
    /// read the union, as before alternatives were told apart).
    fn alternatives_end(&mut self, restored: bool, ended: (HashSet<usize>, HashSet<usize>)) {
        if restored {
            self.finished.extend(ended.0);
            self.moved.extend(ended.1);
        }
    }

    /// A handle `v` a catalog call produced on `recv`: taken from `recv`'s pool when `recv` is a
    /// pool this function names (a connection or transaction: a session is no checkout), or a
    /// transaction begun on a connection taken from one.
    fn took(
        &mut self,
        e: &'t Expr,
        mc: &'t syn::ExprMethodCall,
        recv: &Value<'t>,
        v: &Value<'t>,
        produced: CatalogType,
    ) {
        if produced.role() == Role::Builder && self.held.holds_any() && recv.carries() {
            self.builders
                .insert(std::ptr::from_ref(e) as usize, recv.carried.clone());
            return;
        }
        let (Role::Handle(kind), [o]) = (produced.role(), v.carried.as_slice()) else {
            return;
        };
        if !matches!(kind, HandleKind::Connection | HandleKind::Transaction) {
            return;
        }
        let on_pool = recv
            .ty
            .as_ref()
            .and_then(|t| self.index.catalog(t))
            .is_some_and(|ct| ct.role() == Role::Pool);
        let from_pool = recv.place.clone().filter(|_| on_pool);
        match from_pool {
            Some(pool) => {
                let (finished, moved) = (&self.finished, &self.moved);
                self.held.acquired(
                    *o,
                    kind,
                    kind == HandleKind::Transaction,
                    pool,
                    Node::Expr(e),
                    &|o| finished.contains(&o) || moved.contains(&o),
                );
            }
            None if kind == HandleKind::Transaction => {
                // `conn.build_transaction().start()`: begun on what the builder was made on.
                let built = self
                    .builders
                    .get(&(std::ptr::from_ref(&*mc.receiver) as usize))
                    .cloned();
                let on = built.as_deref().unwrap_or(&recv.carried);
                self.held.begun_on(*o, on, Node::Expr(e));
            }
            // A connection from a pool the function does not name (`state.pool().get()`): a
            // database scope for SDB009 all the same.
            None if on_pool => {
                self.held
                    .scoped(*o, kind, false, Vec::new(), None, Node::Expr(e));
            }
            None => {}
        }
    }

    /// `db.transaction(|txn| ..)`: the closure runs inside a transaction the call begins on the
    /// receiver's pool (a pool this function names, or a connection it took from one), open while
    /// the closure (and the async block it returns) runs. Whether it does.
    fn closure_transaction(
        &mut self,
        e: &'t Expr,
        mc: &'t syn::ExprMethodCall,
        recv: &Value<'t>,
    ) -> bool {
        if !mc.args.iter().any(|a| matches!(a, Expr::Closure(_))) {
            return false;
        }
        let Some(ct) = recv.ty.as_ref().and_then(|t| self.index.catalog(t)) else {
            return false;
        };
        if !catalog::closure_transaction(ct.family.library, ct.entry.name, &mc.method.to_string()) {
            return false;
        }
        let mark = self.held.mark();
        let o = self.origin(OriginKind::Acquire(HandleKind::Transaction), Node::Expr(e));
        match recv.place.clone().filter(|_| ct.role() == Role::Pool) {
            Some(pool) => {
                let (finished, moved) = (&self.finished, &self.moved);
                self.held.acquired(
                    o,
                    HandleKind::Transaction,
                    true,
                    pool,
                    Node::Expr(e),
                    &|o| finished.contains(&o) || moved.contains(&o),
                );
            }
            None => self.held.begun_on(o, &recv.carried, Node::Expr(e)),
        }
        self.held.span_tasks_since(mark);
        true
    }

    /// `recv.name(args)` when it runs a statement on a pool: called on a pool this function names
    /// (`pool.execute(q)`), given one as its executor (`query.fetch_one(&pool)`), or run on a
    /// connection this function took from one.
    fn pool_statement(
        &mut self,
        e: &'t Expr,
        mc: &'t syn::ExprMethodCall,
        recv: &Value<'t>,
        args: &[Value<'t>],
    ) {
        let name = &*mc.method.to_string();
        let pool_of = |v: &Value<'t>| {
            let place = v.place.clone()?;
            let ct = self.index.catalog(v.ty.as_ref()?)?;
            (ct.role() == Role::Pool).then_some((place, ct.family.library))
        };
        let on_pool = pool_of(recv)
            .filter(|(_, library)| catalog::pool_statement(library, name, false))
            .map(|(p, _)| (p, Node::Expr(e)));
        // Given the pool: the argument is where the statement leaves the transaction.
        let given = || {
            mc.args.iter().zip(args).find_map(|(arg, a)| {
                pool_of(a)
                    .filter(|(_, library)| catalog::pool_statement(library, name, true))
                    .map(|(p, _)| (p, Node::Expr(arg)))
            })
        };
        let (finished, moved) = (&self.finished, &self.moved);
        let done = |o: usize| finished.contains(&o) || moved.contains(&o);
        if let Some((pool, node)) = on_pool.or_else(given) {
            self.held.statement(pool, node, &done);
        } else if self.held.holds_any()
            && (catalog::READ_METHODS.contains(&name)
                || catalog::POOL_STATEMENTS
                    .iter()
                    .any(|p| p.given_pool.contains(&name)))
        {
            let carried: Vec<usize> = std::iter::once(recv)
                .chain(args)
                .flat_map(|v| v.carried.iter().copied())
                .collect();
            self.held.statement_on(&carried, Node::Expr(e), &done);
        }
    }

    /// A call of the project's functions `fns`, given these values by parameter position: the
    /// pools among them, for what the callees do to them.
    fn project_call<'v>(
        &mut self,
        e: &'t Expr,
        fns: &[FnKey],
        slots: impl Iterator<Item = (usize, &'v Value<'t>)>,
        result: usize,
    ) where
        't: 'v,
    {
        let args: Vec<(Slot, PoolPath)> = slots
            .filter_map(|(i, v)| Some((Slot::Position(i), (**v.place.as_ref()?).clone())))
            .collect();
        let (finished, moved) = (&self.finished, &self.moved);
        let done = |o| finished.contains(&o) || moved.contains(&o);
        self.held
            .call(fns, args, Node::Expr(e), Some(result), false, &done);
        // It may wait on a slow call (SDB009).
        self.held.waited_call(fns, Node::Expr(e), &done);
    }

    /// What an unknown callee gives when nothing else is known of it: what the async block or
    /// closure it was given by value gives, only maybe (a task-local's `scope(v, async { .. })`
    /// runs the block and gives its output); kept only where the declared type surely holds it.
    fn or_given_output(&self, e: &'t Expr, v: Value<'t>, given: Vec<usize>) -> Value<'t> {
        if v.carries() || given.is_empty() {
            return v;
        }
        Value {
            place: None,
            site: Some(Node::Expr(e)),
            maybe: given.clone(),
            carried: given,
            ty: None,
        }
    }

    /// `conn.interact(|c| ..)`: the closure runs on a borrow of the pooled connection (typed as
    /// `param` when the catalog knows it, carrying nothing of the pooled object, which the
    /// `'static` closure cannot hold); the call gives what the closure returns.
    fn run_on_connection(
        &mut self,
        e: &'t Expr,
        c: &'t syn::ExprClosure,
        param: Option<Ty>,
    ) -> Value<'t> {
        self.env.push(HashMap::default());
        for (i, input) in c.inputs.iter().enumerate() {
            let ty = if i == 0 { param.clone() } else { None };
            self.bind(input, &Value::typed(ty));
        }
        self.sinks.push(Sink::Closure(Returned::default()));
        let tail = self.expr(&c.body);
        let Some(Sink::Closure(returned)) = self.sinks.pop() else {
            self.env.pop();
            return Value::default();
        };
        self.env.pop();
        let (returned, maybe) = returned.with_tail(&tail);
        Value {
            place: None,
            site: (!returned.is_empty()).then_some(Node::Expr(e)),
            carried: returned,
            ty: None,
            maybe,
        }
    }

    /// A method nothing is known of.
    fn unknown_method(
        &mut self,
        e: &'t Expr,
        mc: &'t syn::ExprMethodCall,
        recv: Value<'t>,
    ) -> Value<'t> {
        // Nothing is known of the receiver: maybe an acquisition, if the return type says so; never
        // a call on `self`, which is the item's own type.
        let on_self = matches!(&*mc.receiver, Expr::Path(p) if p.path.is_ident("self"));
        if !self.carries_known(&recv)
            && !on_self
            && recv.ty.as_ref().is_none_or(|t| self.unknown_type(t))
        {
            return self.tentative(&mc.method, Node::Expr(e));
        }
        // A method the checker does not know, on a value that carries a handle (an error-context
        // extension, a project's own `map_res`): its result may still carry it. Where the item
        // does not show how the method takes its receiver, it may consume it (sea-orm's
        // `run(self, ..)`).
        if recv.carries() {
            let known = recv
                .ty
                .as_ref()
                .is_some_and(|t| self.index.catalog(t).is_some());
            if self.scope.item_only && !known {
                self.moved.extend(
                    recv.carried
                        .iter()
                        .copied()
                        .filter(|o| !recv.maybe.contains(o)),
                );
            }
            return Value {
                carried: recv.carried.clone(),
                ty: None,
                site: Some(Node::Expr(e)),
                maybe: recv.carried,
                place: None,
            };
        }
        Value::default()
    }

    /// Arguments passed by value move what they carry; `&x` and `&mut *x` lend it.
    fn moved_by_value<'b>(&mut self, args: impl Iterator<Item = (&'b Expr, &'b Value<'t>)>)
    where
        't: 'b,
    {
        for (arg, val) in args {
            match arg {
                // mongodb commits through `&mut ClientSession`: lending the session lends the
                // duty to finish its transaction.
                Expr::Reference(r) if r.mutability.is_some() => {
                    for &o in &val.carried {
                        if self.transactions.iter().any(|(t, library)| {
                            *t == o && catalog::FINISHES_THROUGH_BORROW.contains(library)
                        }) {
                            self.moved.insert(o);
                        }
                    }
                }
                Expr::Reference(_) => {}
                // What a value only maybe carries (a statement read through a transaction) is
                // not handed on by passing the value: `drop(stmt)` leaves the transaction here.
                _ => self.moved.extend(
                    val.carried
                        .iter()
                        .copied()
                        .filter(|o| !val.maybe.contains(o)),
                ),
            }
        }
    }

    /// `v` put into `target` (an assignment's left side, or a collection method's receiver): a
    /// store when the target outlives the function, else the local now holds `v`.
    fn store_into(&mut self, target: &'t Expr, at: &'t Expr, v: &Value<'t>) {
        if !v.carries() || request_scoped(target) {
            return;
        }
        // Not surely a handle: never a store, but it may be handed on.
        self.moved.extend(v.maybe.iter().copied());
        let v = &v.only_sure();
        if !v.carries() {
            return;
        }
        let Some((root, text)) = target_root(target) else {
            return;
        };
        if self.outlives(&root) {
            self.moved.extend(v.carried.iter().copied());
            self.stores.push((Node::Expr(at), text, v.carried.clone()));
        } else if let Some(slot) = self.env.iter_mut().rev().find_map(|s| s.get_mut(&root)) {
            union_into(&mut slot.carried, &v.carried);
        }
    }

    /// Whether a variable names something that outlives this call: `self`, a parameter, or a
    /// static (the project's, or a `SCREAMING_CASE` one a macro such as `thread_local!` made).
    fn outlives(&self, root: &str) -> bool {
        if self.params.contains(root) {
            return true;
        }
        if self.lookup(root).is_some() {
            return false;
        }
        self.index
            .static_ty(&self.scope.absolute(&[root.to_string()]))
            .is_some()
            || (root.chars().any(char::is_uppercase) && !root.chars().any(char::is_lowercase))
    }

    fn leak(&mut self, e: &'t Expr, how: String, v: &Value<'t>, typed_handle: bool) {
        self.moved.extend(v.carried.iter().copied());
        let sure = v.only_sure();
        if sure.carries() || typed_handle {
            self.leaks
                .push((Node::Expr(e), how, sure.carried, typed_handle));
        }
    }

    /// Whether `ty` is a catalog handle (seen through references and smart pointers).
    fn is_handle_type(&self, ty: &Ty) -> bool {
        self.index
            .catalog(ty)
            .is_some_and(|ct| matches!(ct.role(), Role::Handle(_)))
            || ty.args.iter().any(|a| self.is_handle_type(a))
    }

    /// Whether `v` carries an origin that is more than a guess: a call on a value that is only
    /// maybe a handle (`self.admin.lock().await.begin()`) may still be an acquisition.
    fn carries_known(&self, v: &Value<'t>) -> bool {
        v.carried
            .iter()
            .any(|&o| matches!(self.origins[o].0, Provenance::Known(_)))
    }

    /// A type neither the catalog nor the checked code declares.
    fn unknown_type(&self, ty: &Ty) -> bool {
        self.index.catalog(ty).is_none() && !self.index.is_local_struct(&self.index.receiver(ty))
    }

    fn call(&mut self, e: &'t Expr, c: &'t syn::ExprCall) -> Value<'t> {
        // `tokio::spawn(audit(pool))`: the future runs later, as its own task; what it does to a
        // pool is not done while this function holds anything.
        let spawns = matches!(&*c.func, Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| catalog::SPAWNS.contains(&&*s.ident.to_string())));
        if spawns {
            self.held.task(true);
        }
        let args: Vec<Value> = c.args.iter().map(|a| self.expr(a)).collect();
        if spawns {
            self.held.task(false);
        }
        self.moved_by_value(c.args.iter().zip(&args));
        let Expr::Path(func) = &*c.func else {
            self.expr(&c.func);
            return Value::default();
        };
        if func.qself.is_some() {
            return Value::default();
        }
        // A local closure or function pointer called by name: not tracked.
        if let Some(local) = func.path.get_ident()
            && self.lookup(&local.to_string()).is_some()
        {
            return Value::default();
        }
        let written: Vec<String> = func
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if let Some(step) = catalog::slow_function(&self.scope.absolute(&written)) {
            let api = self.scope.absolute(&written).join("::");
            return self.slow_step(e, step, api);
        }
        let (callee, effects) = self.index.path_callee(self.scope, &func.path);
        if let Some((how, typed)) = effects.leaks
            && let Some(first) = args.first()
        {
            let typed = typed || first.ty.as_ref().is_some_and(|t| self.is_handle_type(t));
            self.leak(e, how, first, typed);
        }
        match callee {
            Callee::Wraps(ty) => self.combine(e, args, ty),
            // Blocking runners call the closure they are given and give what it returns.
            Callee::RunsClosure if matches!(c.args.iter().last(), Some(Expr::Closure(_))) => {
                let value = args.into_iter().last().unwrap_or_default();
                let value = match c.args.iter().last() {
                    Some(closure) => self.called(closure, value),
                    None => value,
                };
                self.wrap(e, value, None)
            }
            // Future wrappers: the value is the wrapped future's output.
            Callee::FutureOutput => {
                let last = args.into_iter().last().unwrap_or_default();
                self.wrap(e, last, None)
            }
            Callee::Catalog(produced) => {
                let closure_scoped = c.args.iter().any(|a| matches!(a, Expr::Closure(_)));
                self.produce(e, produced, closure_scoped)
            }
            Callee::Typed(ty) => Value::typed(Some(ty)),
            Callee::Project(fns, ret) => {
                self.project_call(e, &fns, args.iter().enumerate(), self.origins.len());
                let given = by_value(c.args.iter(), &args);
                self.call_result(e, fns, ret, &given)
            }
            // A function nothing is known about (not `std`'s, which moves values around).
            Callee::Unknown { std: true } | Callee::Data => Value::default(),
            Callee::RunsClosure
            | Callee::RunsOnConnection(_)
            | Callee::Unknown { std: false }
            | Callee::ConfiguredPool
            | Callee::Guard(_)
            | Callee::Receiver(_) => {
                let given = given_output(c.args.iter().zip(&args));
                let v = match func.path.segments.last() {
                    Some(last) => self.tentative(&last.ident, Node::Expr(e)),
                    None => Value::default(),
                };
                self.or_given_output(e, v, given)
            }
        }
    }

    /// A call of the slow-call catalog: a wait (recorded, SDB009), or a client or request
    /// builder whose calls may wait.
    fn slow_step(&mut self, e: &'t Expr, step: catalog::SlowStep, api: String) -> Value<'t> {
        match step {
            catalog::SlowStep::Waits => {
                let (finished, moved) = (&self.finished, &self.moved);
                self.held.slow(api, Node::Expr(e), &|o| {
                    finished.contains(&o) || moved.contains(&o)
                });
                Value::default()
            }
            catalog::SlowStep::Makes(ty) => Value::typed(Some(Ty::named(
                ty.split("::").map(str::to_string).collect(),
            ))),
        }
    }

    /// The value of a catalog call that produces `produced`: a new handle when it is one (and no
    /// closure scopes it), else a typed value.
    fn produce(&mut self, e: &'t Expr, produced: CatalogType, closure_scoped: bool) -> Value<'t> {
        if closure_scoped {
            return Value::default();
        }
        let ty = Some(Ty::of_catalog(&produced));
        match produced.role() {
            Role::Handle(kind) => {
                let o = self.origin(OriginKind::Acquire(kind), Node::Expr(e));
                if kind == HandleKind::Transaction {
                    self.transactions.push((o, produced.family.library));
                }
                Value {
                    carried: vec![o],
                    ty,
                    site: Some(Node::Expr(e)),
                    maybe: Vec::new(),
                    place: None,
                }
            }
            _ => Value::typed(ty),
        }
    }

    /// The value of a call into the project: a handle if one of the callees lets one escape,
    /// which only the linking step knows.
    ///
    /// `given` is what the call was given by value (arguments not behind `&`, and a receiver): the
    /// result maybe carries it too, as a constructor's does (`fn from_conn(conn: C) -> Self`).
    fn call_result(
        &mut self,
        e: &'t Expr,
        callees: Vec<FnKey>,
        ret: Option<Ty>,
        given: &[&Value<'t>],
    ) -> Value<'t> {
        let o = self.origin(OriginKind::Call(callees), Node::Expr(e));
        // Declared to return a transaction (`-> Result<DatabaseTransaction, E>`): this function's
        // to finish, as if it had begun it, once the link confirms the callee lets one escape.
        if let Some(library) = ret
            .as_ref()
            .and_then(|t| transaction_library_in(self.index, t, 0))
        {
            self.transactions.push((o, library));
        }
        let mut carried = vec![o];
        let mut maybe = Vec::new();
        for v in given {
            for &g in &v.carried {
                if !carried.contains(&g) {
                    carried.push(g);
                    maybe.push(g);
                }
            }
        }
        Value {
            place: None,
            carried,
            ty: ret,
            site: Some(Node::Expr(e)),
            maybe,
        }
    }
}

/// What the async blocks and closures among `args` give.
fn given_output<'a, 't: 'a>(args: impl Iterator<Item = (&'a Expr, &'a Value<'t>)>) -> Vec<usize> {
    let mut out = Vec::new();
    for (arg, val) in args {
        if matches!(arg, Expr::Async(_) | Expr::Closure(_)) {
            union_into(&mut out, &val.carried);
        }
    }
    out
}

/// The values of the arguments passed by value (not behind `&`).
fn by_value<'a, 'v, 't>(
    args: impl Iterator<Item = &'a Expr>,
    vals: &'v [Value<'t>],
) -> Vec<&'v Value<'t>> {
    args.zip(vals)
        .filter(|(a, _)| !matches!(a, Expr::Reference(_)))
        .map(|(_, v)| v)
        .collect()
}

/// Parameter `index` of the function, named `name`, as a pool path.
fn param_place(index: usize, name: &str) -> Rc<PoolPath> {
    Rc::new(PoolPath::root(PoolRoot::Param {
        index,
        name: name.to_string(),
    }))
}

/// Whether any path in `ty` ends in one of `names`.
fn mentions(ty: &Ty, names: &[String]) -> bool {
    names.iter().any(|n| n == ty.last()) || ty.args.iter().any(|a| mentions(a, names))
}
