//! Reading items: the walk over modules, impls and traits that both passes share, and the project
//! index the first pass builds (struct fields, type aliases, function signatures) so the second
//! pass can type a receiver defined in another file.

use std::collections::HashMap;

use syn::visit::Visit;
use syn::{Attribute, ImplItem, Item, TraitItem};

use crate::attrs::Inherited;
use crate::catalog::{self, CatalogType};
use crate::types::{Scope, Ty};

/// A function's identity across the run. Free functions are told apart by module; methods by the
/// name of the type (or trait) they are defined on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnKey {
    pub module: Vec<String>,
    pub owner: Option<String>,
    pub name: String,
}

/// Why a function hands handles out by design, so it is not reported and its callers get a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Marked `#[scoped_db::provider]`.
    Attribute,
    /// A method of an impl on a catalog type (a pool library's own `Pool::begin`).
    CatalogType,
    /// A method of a connection-manager or request-extractor trait impl.
    ProviderTrait,
    /// Named in the configuration's `providers`.
    Configured,
}

/// A function-like item, with everything needed to read its signature and body.
pub(crate) struct FnItem<'a> {
    pub key: FnKey,
    pub qual_name: String,
    pub scope: Scope,
    pub sig: &'a syn::Signature,
    pub body: Option<&'a syn::Block>,
    /// What the enclosing items and the function's own attributes say: test-only code, allowed
    /// rules, declared handle types.
    pub context: Inherited,
    pub provider: Option<Provider>,
    /// For a method of a trait impl: the trait's name, so calls through the trait reach it.
    pub implements: Option<String>,
}

/// What the walk finds.
pub(crate) enum Decl<'a> {
    Fn(Box<FnItem<'a>>),
    Struct {
        name: String,
        fields: Vec<(String, Ty)>,
    },
    Alias {
        name: String,
        params: Vec<String>,
        ty: Ty,
    },
    Static {
        name: String,
        ty: Ty,
    },
    /// `impl Deref for Owner { type Target = Ty; }`: method calls on `Owner` reach `Ty`'s.
    Deref {
        owner: String,
        target: Ty,
    },
}

/// Walks `items` (a file, an inline module, or the items inside a function body).
pub(crate) fn walk<'a>(
    items: &[&'a Item],
    module: &[String],
    parent: &Scope,
    context: &Inherited,
    prefix: Option<&str>,
    out: &mut dyn FnMut(Decl<'a>),
) {
    let mut scope = parent.clone();
    for item in items {
        match item {
            Item::Use(u) => scope.add_use(u),
            Item::ExternCrate(e) => scope.add_extern_crate(e),
            _ => {}
        }
    }
    for item in items {
        let ctx = context.with(&scope, item_attrs(item));
        match item {
            Item::Fn(f) => {
                let key = FnKey {
                    module: module.to_vec(),
                    owner: None,
                    name: f.sig.ident.to_string(),
                };
                let mut fn_scope = scope.clone();
                fn_scope.add_generics(&f.sig.generics);
                emit_fn(
                    key,
                    prefix,
                    fn_scope,
                    &f.attrs,
                    &f.sig,
                    Some(&f.block),
                    &ctx,
                    None,
                    None,
                    module,
                    out,
                );
            }
            Item::Impl(imp) => {
                let mut impl_scope = scope.clone();
                impl_scope.add_generics(&imp.generics);
                let self_ty = impl_scope.resolve_type(&imp.self_ty);
                impl_scope.self_ty = Some(self_ty.clone());
                let owner = self_ty.last().to_string();
                let trait_name = imp
                    .trait_
                    .as_ref()
                    .and_then(|(path, _)| path.segments.last())
                    .map(|s| s.ident.to_string());
                let provider = if self_ty
                    .path
                    .first()
                    .is_some_and(|root| catalog::lookup(root, self_ty.last()).is_some())
                {
                    Some(Provider::CatalogType)
                } else if imp
                    .trait_
                    .as_ref()
                    .is_some_and(|(path, _)| is_provider_trait(&impl_scope, path))
                {
                    Some(Provider::ProviderTrait)
                } else {
                    None
                };
                if trait_name.as_deref() == Some("Deref") {
                    for impl_item in &imp.items {
                        if let ImplItem::Type(t) = impl_item
                            && t.ident == "Target"
                        {
                            out(Decl::Deref {
                                owner: owner.clone(),
                                target: impl_scope.resolve_type(&t.ty),
                            });
                        }
                    }
                }
                for impl_item in &imp.items {
                    if let ImplItem::Fn(m) = impl_item {
                        let method = MethodItem {
                            attrs: &m.attrs,
                            sig: &m.sig,
                            body: Some(&m.block),
                        };
                        let owner = Owner {
                            name: &owner,
                            scope: &impl_scope,
                            context: &ctx,
                            provider,
                            implements: trait_name.as_deref(),
                        };
                        emit_method(&owner, method, prefix, module, out);
                    }
                }
            }
            Item::Trait(t) => {
                let mut trait_scope = scope.clone();
                trait_scope.add_generics(&t.generics);
                let owner = t.ident.to_string();
                trait_scope.self_ty = Some(Ty::named(vec![owner.clone()]));
                for trait_item in &t.items {
                    if let TraitItem::Fn(m) = trait_item {
                        let method = MethodItem {
                            attrs: &m.attrs,
                            sig: &m.sig,
                            body: m.default.as_ref(),
                        };
                        let owner = Owner {
                            name: &owner,
                            scope: &trait_scope,
                            context: &ctx,
                            provider: None,
                            implements: None,
                        };
                        emit_method(&owner, method, prefix, module, out);
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, content)) = &m.content {
                    let mut inner = module.to_vec();
                    inner.push(m.ident.to_string());
                    let items: Vec<&Item> = content.iter().collect();
                    walk(&items, &inner, &scope, &ctx, prefix, out);
                }
            }
            Item::Struct(s) => {
                let fields = s
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let name = f.ident.as_ref().map_or(i.to_string(), |id| id.to_string());
                        (name, scope.resolve_type(&f.ty))
                    })
                    .collect();
                out(Decl::Struct {
                    name: s.ident.to_string(),
                    fields,
                });
            }
            Item::Enum(en) => {
                // For the wrapper check, an enum holds what any of its variants holds.
                let fields = en
                    .variants
                    .iter()
                    .flat_map(|v| {
                        v.fields.iter().enumerate().map(move |(i, f)| {
                            let name = f.ident.as_ref().map_or_else(
                                || format!("{}::{i}", v.ident),
                                |id| format!("{}::{id}", v.ident),
                            );
                            (name, f)
                        })
                    })
                    .map(|(name, f)| (name, scope.resolve_type(&f.ty)))
                    .collect();
                out(Decl::Struct {
                    name: en.ident.to_string(),
                    fields,
                });
            }
            Item::Static(st) => out(Decl::Static {
                name: st.ident.to_string(),
                ty: scope.resolve_type(&st.ty),
            }),
            Item::Const(c) => out(Decl::Static {
                name: c.ident.to_string(),
                ty: scope.resolve_type(&c.ty),
            }),
            Item::Type(t) => {
                let mut alias_scope = scope.clone();
                alias_scope.add_generics(&t.generics);
                out(Decl::Alias {
                    name: t.ident.to_string(),
                    params: t
                        .generics
                        .type_params()
                        .map(|p| p.ident.to_string())
                        .collect(),
                    ty: alias_scope.resolve_type(&t.ty),
                });
            }
            _ => {}
        }
    }
}

/// The impl or trait a method is read in.
struct Owner<'s> {
    name: &'s str,
    scope: &'s Scope,
    context: &'s Inherited,
    provider: Option<Provider>,
    implements: Option<&'s str>,
}

/// A method's parts, from an impl or a trait.
struct MethodItem<'a> {
    attrs: &'a [Attribute],
    sig: &'a syn::Signature,
    body: Option<&'a syn::Block>,
}

fn emit_method<'a>(
    owner: &Owner<'_>,
    m: MethodItem<'a>,
    prefix: Option<&str>,
    module: &[String],
    out: &mut dyn FnMut(Decl<'a>),
) {
    let key = FnKey {
        module: Vec::new(),
        owner: Some(owner.name.to_string()),
        name: m.sig.ident.to_string(),
    };
    let mut scope = owner.scope.clone();
    scope.add_generics(&m.sig.generics);
    emit_fn(
        key,
        prefix,
        scope,
        m.attrs,
        m.sig,
        m.body,
        owner.context,
        owner.provider,
        owner.implements.map(str::to_string),
        module,
        out,
    );
}

#[allow(clippy::too_many_arguments)]
fn emit_fn<'a>(
    key: FnKey,
    prefix: Option<&str>,
    mut scope: Scope,
    attrs: &[Attribute],
    sig: &'a syn::Signature,
    body: Option<&'a syn::Block>,
    context: &Inherited,
    provider: Option<Provider>,
    implements: Option<String>,
    module: &[String],
    out: &mut dyn FnMut(Decl<'a>),
) {
    let short = match &key.owner {
        Some(owner) => format!("{owner}::{}", key.name),
        None => key.name.clone(),
    };
    let qual_name = match prefix {
        Some(p) => format!("{p}::{}", key.name),
        None => short,
    };
    let mut context = context.with(&scope, attrs);
    context.test_only |= is_test_fn(attrs);
    let provider = provider.or_else(|| {
        context
            .is_provider(&scope, attrs)
            .then_some(Provider::Attribute)
    });
    // Items inside the body: their `use`s count for the body; their functions are walked too.
    let nested = body.map(items_in_block).unwrap_or_default();
    for item in &nested {
        if let Item::Use(u) = item {
            scope.add_use(u);
        }
    }
    out(Decl::Fn(Box::new(FnItem {
        key,
        qual_name: qual_name.clone(),
        scope: scope.clone(),
        sig,
        body,
        context: context.clone(),
        provider,
        implements,
    })));
    if !nested.is_empty() {
        walk(&nested, module, &scope, &context, Some(&qual_name), out);
    }
}

/// The items declared inside a block, not looking into those items themselves.
fn items_in_block(block: &syn::Block) -> Vec<&Item> {
    struct Collect<'a>(Vec<&'a Item>);
    impl<'a> Visit<'a> for Collect<'a> {
        fn visit_item(&mut self, item: &'a Item) {
            self.0.push(item);
        }
    }
    let mut c = Collect(Vec::new());
    c.visit_block(block);
    c.0
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Fn(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Const(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `#[cfg(test)]`, `#[cfg(all(test, ...))]` or `#[cfg(any(test, ...))]`.
pub(crate) fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta_requires_test(&meta))
    })
}

fn meta_requires_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        // `any(test, feature = "test-utils")`: helpers built for tests, even when a feature also
        // builds them.
        syn::Meta::List(l) if l.path.is_ident("all") || l.path.is_ident("any") => l
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|items| items.iter().any(meta_requires_test)),
        _ => false,
    }
}

/// `#[test]`, `#[tokio::test]`, `#[sqlx::test]`, `#[rstest]`, benchmarks.
fn is_test_fn(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| matches!(s.ident.to_string().as_str(), "test" | "rstest" | "bench"))
    })
}

fn is_provider_trait(scope: &Scope, path: &syn::Path) -> bool {
    let ty = scope.resolve_path(path);
    let name = ty.last();
    catalog::PROVIDER_TRAITS.contains(&name)
        || (catalog::PROVIDER_TRAITS_QUALIFIED.contains(&name)
            && ty
                .path
                .first()
                .is_some_and(|r| catalog::is_catalog_crate(r)))
}

/// A function's signature as the index keeps it.
#[derive(Clone, Debug)]
pub struct FnDecl {
    pub key: FnKey,
    pub ret: Option<Ty>,
}

/// The declarations of one file, taken by the first pass.
#[derive(Clone, Debug, Default)]
pub struct FileDecls {
    structs: Vec<(String, Vec<(String, Ty)>)>,
    aliases: Vec<(String, Vec<String>, Ty)>,
    statics: Vec<(String, Ty)>,
    derefs: Vec<(String, Ty)>,
    fns: Vec<FnDecl>,
    /// `(trait, method)` pairs implemented by the function of the same position in `fns`.
    implements: Vec<Option<String>>,
    /// A Python module's declarations.
    #[cfg(feature = "python")]
    python: Option<crate::python::PyDecls>,
}

impl FileDecls {
    #[cfg(feature = "python")]
    pub(crate) fn python(decls: crate::python::PyDecls) -> FileDecls {
        FileDecls {
            python: Some(decls),
            ..FileDecls::default()
        }
    }

    pub(crate) fn collect(items: &[&Item], module: &[String], item_only: bool) -> FileDecls {
        let mut decls = FileDecls::default();
        let scope = if item_only {
            Scope::item_only()
        } else {
            Scope::default()
        };
        walk(
            items,
            module,
            &scope,
            &Inherited::default(),
            None,
            &mut |d| match d {
                Decl::Fn(f) => {
                    decls.implements.push(f.implements.clone());
                    decls.fns.push(FnDecl {
                        ret: f.scope.resolve_return(&f.sig.output),
                        key: f.key,
                    });
                }
                Decl::Struct { name, fields } => decls.structs.push((name, fields)),
                Decl::Alias { name, params, ty } => decls.aliases.push((name, params, ty)),
                Decl::Static { name, ty } => decls.statics.push((name, ty)),
                Decl::Deref { owner, target } => decls.derefs.push((owner, target)),
            },
        );
        decls
    }
}

/// What the whole run declares: the first pass's result, read by the second.
#[derive(Clone, Debug, Default)]
pub struct Index {
    structs: HashMap<String, HashMap<String, Ty>>,
    aliases: HashMap<String, (Vec<String>, Ty)>,
    statics: HashMap<String, Ty>,
    derefs: HashMap<String, Ty>,
    fns: HashMap<(Option<String>, String), Vec<FnDecl>>,
    #[cfg(feature = "python")]
    python: crate::python::PyIndex,
}

/// What a method call resolves to.
pub(crate) enum Method {
    Catalog(CatalogType),
    Project(Vec<FnKey>, Option<Ty>),
    /// A standard accessor with a known result (`map.get(k)`: an `Option` of the value).
    Typed(Ty),
}

/// The element type `recv.method()` gives an `Option` of, for a standard collection.
fn collection_element(recv: &Ty, method: &str) -> Option<Ty> {
    catalog::COLLECTIONS
        .iter()
        .find_map(|(names, element, methods)| {
            if names.contains(&recv.last()) && methods.contains(&method) {
                recv.args.get(*element).cloned()
            } else {
                None
            }
        })
}

impl Index {
    /// Merges the declarations of every file of the run.
    pub fn new(files: impl IntoIterator<Item = FileDecls>) -> Index {
        let mut index = Index::default();
        #[cfg(feature = "python")]
        let mut python = Vec::new();
        for file in files {
            #[cfg(feature = "python")]
            let mut file = file;
            #[cfg(feature = "python")]
            if let Some(py) = file.python.take() {
                python.push(py);
                continue;
            }
            for (name, fields) in file.structs {
                let entry = index.structs.entry(name).or_default();
                for (field, ty) in fields {
                    entry.entry(field).or_insert(ty);
                }
            }
            for (name, params, ty) in file.aliases {
                index.aliases.entry(name).or_insert((params, ty));
            }
            for (name, ty) in file.statics {
                index.statics.entry(name).or_insert(ty);
            }
            for (owner, target) in file.derefs {
                index.derefs.entry(owner).or_insert(target);
            }
            for (decl, implements) in file.fns.into_iter().zip(file.implements) {
                // A call through the trait (`repo: Arc<dyn Repo>`, `R: Repo`) may reach this impl.
                if let Some(t) = implements {
                    let slot = (Some(t), decl.key.name.clone());
                    index.fns.entry(slot).or_default().push(decl.clone());
                }
                let slot = (decl.key.owner.clone(), decl.key.name.clone());
                index.fns.entry(slot).or_default().push(decl);
            }
        }
        for decls in index.fns.values_mut() {
            decls.sort_by(|a, b| a.key.cmp(&b.key));
        }
        #[cfg(feature = "python")]
        {
            index.python = crate::python::PyIndex::new(python);
        }
        index
    }

    #[cfg(feature = "python")]
    pub(crate) fn python(&self) -> &crate::python::PyIndex {
        &self.python
    }

    /// Expands project type aliases (`type Tx<'a> = sqlx::Transaction<'a, Postgres>`).
    pub fn expand(&self, ty: &Ty) -> Ty {
        let mut ty = ty.clone();
        for _ in 0..8 {
            if !ty.is_local() || self.structs.contains_key(ty.last()) {
                break;
            }
            let Some((params, target)) = self.aliases.get(ty.last()) else {
                break;
            };
            let subst: HashMap<&str, &Ty> = params
                .iter()
                .map(String::as_str)
                .zip(ty.args.iter())
                .collect();
            ty = substitute(target, &subst);
        }
        ty
    }

    /// Strips references to wrappers that method calls see through (`Arc<T>`, `State<T>`).
    pub fn receiver(&self, ty: &Ty) -> Ty {
        let mut ty = self.expand(ty);
        for _ in 0..8 {
            if self.catalog_exact(&ty).is_some() || self.structs.contains_key(ty.last()) {
                break;
            }
            match ty.first_arg() {
                Some(inner) if catalog::DEREF_WRAPPERS.contains(&ty.last()) => {
                    ty = self.expand(inner);
                }
                _ => break,
            }
        }
        ty
    }

    fn catalog_exact(&self, ty: &Ty) -> Option<CatalogType> {
        if ty.path.len() < 2 {
            return None;
        }
        catalog::lookup(&ty.path[0], ty.last())
    }

    /// The catalog type `ty` is, seen through aliases and smart pointers.
    pub fn catalog(&self, ty: &Ty) -> Option<CatalogType> {
        self.catalog_exact(&self.receiver(ty))
    }

    /// The declared type of `ty.field`.
    pub fn field(&self, ty: &Ty, field: &str) -> Option<Ty> {
        let ty = self.receiver(ty);
        if !ty.is_local() {
            return None;
        }
        self.structs.get(ty.last())?.get(field).cloned()
    }

    /// What `recv.method(..)` calls, given the receiver's type; through the project's `Deref`
    /// impls (`struct Db(PgPool)` with `Target = PgPool`) when the type has no such method.
    pub(crate) fn method(&self, recv: &Ty, method: &str) -> Option<Method> {
        let mut recv = self.receiver(recv);
        for _ in 0..4 {
            if let Some(ct) = self.catalog_exact(&recv)
                && let Some(produced) = ct.method(method)
            {
                return Some(Method::Catalog(produced));
            }
            let slot = (Some(recv.last().to_string()), method.to_string());
            if let Some(decls) = self.fns.get(&slot) {
                let ret = decls.iter().find_map(|d| d.ret.clone());
                return Some(Method::Project(
                    decls.iter().map(|d| d.key.clone()).collect(),
                    ret,
                ));
            }
            if let Some(element) = collection_element(&recv, method) {
                return Some(Method::Typed(Ty {
                    path: vec!["Option".into()],
                    args: vec![element],
                }));
            }
            match self.derefs.get(recv.last()) {
                Some(target) if recv.is_local() => recv = self.receiver(target),
                _ => return None,
            }
        }
        None
    }

    /// Resolves a call of a free function written as `path` (already canonical) from `module`.
    /// Precision first: a qualified path must match the defining module's tail; an unqualified name
    /// prefers the caller's module, then a unique definition.
    pub(crate) fn free_fn(&self, module: &[String], path: &[String]) -> Vec<&FnDecl> {
        let Some(name) = path.last() else {
            return Vec::new();
        };
        let Some(decls) = self.fns.get(&(None, name.clone())) else {
            return Vec::new();
        };
        let qualifier = &path[..path.len() - 1];
        if qualifier.is_empty() {
            let same: Vec<&FnDecl> = decls.iter().filter(|d| d.key.module == module).collect();
            if !same.is_empty() {
                return same;
            }
            return if decls.len() == 1 {
                decls.iter().collect()
            } else {
                Vec::new()
            };
        }
        let wanted: Vec<String> = match qualifier[0].as_str() {
            "self" => module
                .iter()
                .cloned()
                .chain(qualifier[1..].iter().cloned())
                .collect(),
            "super" => {
                let supers = qualifier.iter().take_while(|s| *s == "super").count();
                module[..module.len().saturating_sub(supers)]
                    .iter()
                    .cloned()
                    .chain(qualifier[supers..].iter().cloned())
                    .collect()
            }
            "crate" => qualifier[1..].to_vec(),
            _ => qualifier.to_vec(),
        };
        decls
            .iter()
            .filter(|d| {
                if qualifier[0] == "crate" || qualifier[0] == "self" || qualifier[0] == "super" {
                    d.key.module.ends_with(&wanted) || d.key.module == wanted
                } else {
                    !wanted.is_empty() && d.key.module.ends_with(&wanted)
                }
            })
            .collect()
    }

    /// Methods or associated functions named `name` on the local type `owner`.
    pub(crate) fn assoc_fn(&self, owner: &str, name: &str) -> Option<&[FnDecl]> {
        self.fns
            .get(&(Some(owner.to_string()), name.to_string()))
            .map(Vec::as_slice)
    }

    /// The declared type of a `static` or `const` of the project.
    pub fn static_ty(&self, name: &str) -> Option<&Ty> {
        self.statics.get(name)
    }

    /// Whether a value of type `ty` may hold a handle: a catalog handle, a project struct with a
    /// field that may (a wrapper), a container of one, or a type nothing is known about (a generic
    /// parameter). Primitives, strings, pools and other libraries' types may not.
    pub fn may_hold_handle(&self, ty: &Ty) -> bool {
        self.may_hold(ty, &mut Vec::new())
    }

    fn may_hold(&self, ty: &Ty, seen: &mut Vec<String>) -> bool {
        if seen.len() > 16 {
            return true;
        }
        let ty = self.expand(ty);
        if let Some(ct) = self.catalog_exact(&ty) {
            return matches!(ct.role(), catalog::Role::Handle(_));
        }
        let name = ty.last();
        if ty.is_local() {
            if let Some(fields) = self.structs.get(name) {
                if seen.iter().any(|s| s == name) {
                    return false;
                }
                seen.push(name.to_string());
                let holds = fields.values().any(|f| self.may_hold(f, seen))
                    || ty.args.iter().any(|a| self.may_hold(a, seen));
                seen.pop();
                return holds;
            }
            if catalog::DATA_TYPES.contains(&name) {
                return false;
            }
            if !catalog::STD_CONTAINERS.contains(&name) && ty.args.is_empty() {
                // A name the checked code does not declare: a generic parameter, a type from a glob
                // import, or (in the macro door) anything outside the item.
                return true;
            }
        }
        ty.args.iter().any(|a| self.may_hold(a, seen))
    }

    /// Whether `name` is a struct defined in the checked code.
    pub fn is_local_struct(&self, name: &str) -> bool {
        self.structs.contains_key(name)
    }
}

fn substitute(ty: &Ty, subst: &HashMap<&str, &Ty>) -> Ty {
    if ty.path.len() == 1
        && ty.args.is_empty()
        && let Some(replacement) = subst.get(ty.path[0].as_str())
    {
        return (*replacement).clone();
    }
    Ty {
        path: ty.path.clone(),
        args: ty.args.iter().map(|a| substitute(a, subst)).collect(),
    }
}
