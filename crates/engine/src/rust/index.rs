//! Reading items: the walk over modules, impls and traits that both passes share, and the project
//! index the first pass builds (struct fields, type aliases, function signatures) so the second
//! pass can type a receiver defined in another file.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use syn::visit::Visit;
use syn::{Attribute, ImplItem, Item, TraitItem};

use crate::ids::{FnKey, Provider};
use crate::rust::attrs::Inherited;
use crate::rust::catalog::{self, CatalogType};
use crate::rust::std_model;
use crate::rust::types::{Imports, ModuleItems, NameScope, Path, Ty, TypeParam};

/// A function-like item, with everything needed to read its signature and body.
pub(crate) struct FnItem<'a> {
    pub key: FnKey,
    pub qual_name: String,
    pub scope: NameScope,
    pub sig: &'a syn::Signature,
    pub body: Option<&'a syn::Block>,
    /// What the enclosing items and the function's own attributes say: test-only code, allowed
    /// rules, declared handle types.
    pub context: Inherited,
    pub provider: Option<Provider>,
    /// For a method of a trait impl: the trait's path, so calls through the trait reach it.
    pub implements: Option<Vec<String>>,
}

/// What the walk finds. Paths are absolute ([`NameScope::absolute`]).
pub(crate) enum Decl<'a> {
    Fn(Box<FnItem<'a>>),
    /// A struct or enum (an enum's fields are its variants' fields, `Variant::0`).
    Struct {
        path: Vec<String>,
        params: Vec<TypeParam>,
        fields: Vec<(String, Ty)>,
    },
    Trait {
        path: Vec<String>,
    },
    Alias {
        path: Vec<String>,
        params: Vec<TypeParam>,
        ty: Ty,
    },
    Static {
        path: Vec<String>,
        ty: Ty,
    },
    /// A module in a file of its own that only builds for tests (`#[cfg(test)] mod support;`).
    TestModule {
        path: Vec<String>,
    },
    /// `impl Deref for Owner { type Target = Ty; }`: method calls on `Owner` reach `Ty`'s.
    Deref {
        owner: Vec<String>,
        target: Ty,
    },
    /// A module's `use` items and globs, made absolute, for names resolved through them.
    Imports {
        module: Path,
        imports: Imports,
    },
}

/// Walks `items` (a file, an inline module, or the items inside a function body) in `parent`,
/// the scope of the module they are declared in.
pub(crate) fn walk<'a>(
    items: &[&'a Item],
    parent: &NameScope,
    context: &Inherited,
    prefix: Option<&str>,
    out: &mut dyn FnMut(Decl<'a>),
) {
    let mut scope = parent.clone();
    // A function body sees the items of the module around it, and its own.
    let in_body = scope.module.last().is_some_and(|m| m.ends_with("()"));
    let mut declares = if in_body {
        scope.module_items().clone()
    } else {
        ModuleItems::default()
    };
    for item in items {
        match item {
            Item::Use(u) => scope.add_use(u),
            Item::ExternCrate(e) => scope.add_extern_crate(e),
            Item::Mod(m) => {
                declares.children.insert(m.ident.to_string());
            }
            Item::Struct(i) => {
                declares.declared.insert(i.ident.to_string());
            }
            Item::Enum(i) => {
                declares.declared.insert(i.ident.to_string());
            }
            Item::Type(i) => {
                declares.declared.insert(i.ident.to_string());
            }
            Item::Trait(i) => {
                declares.declared.insert(i.ident.to_string());
            }
            _ => {}
        }
    }
    scope.set_module_items(declares);
    let here = |name: &dyn std::fmt::Display| {
        let mut path = vec![scope.krate.clone()];
        path.extend(scope.module.iter().cloned());
        path.push(name.to_string());
        path
    };
    let imports = scope.imports();
    if !imports.uses.is_empty() || !imports.globs.is_empty() {
        let mut module = vec![scope.krate.clone()];
        module.extend(scope.module.iter().cloned());
        out(Decl::Imports { module, imports });
    }
    for item in items {
        let ctx = context.with(&scope, item_attrs(item));
        match item {
            Item::Fn(f) => {
                let mut module = vec![scope.krate.clone()];
                module.extend(scope.module.iter().cloned());
                let key = FnKey {
                    module,
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
                    out,
                );
            }
            Item::Impl(imp) => walk_impl(imp, &scope, &ctx, prefix, out),
            Item::Trait(t) => walk_trait(t, &scope, here(&t.ident), &ctx, prefix, out),
            Item::Mod(m) => {
                if let Some((_, content)) = &m.content {
                    let inner = scope.inner_module(&m.ident.to_string());
                    let items: Vec<&Item> = content.iter().collect();
                    walk(&items, &inner, &ctx, prefix, out);
                } else if ctx.test_only {
                    // `#[cfg(test)] mod test_support;`: that file only builds for tests.
                    out(Decl::TestModule {
                        path: here(&m.ident),
                    });
                }
            }
            Item::Struct(s) => {
                let (inner, params) = scope.with_type_params(&s.generics);
                let fields = s
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let name = f.ident.as_ref().map_or(i.to_string(), |id| id.to_string());
                        (name, inner.resolve_type(&f.ty))
                    })
                    .collect();
                out(Decl::Struct {
                    path: here(&s.ident),
                    params,
                    fields,
                });
            }
            Item::Enum(en) => {
                let (inner, params) = scope.with_type_params(&en.generics);
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
                    .map(|(name, f)| (name, inner.resolve_type(&f.ty)))
                    .collect();
                out(Decl::Struct {
                    path: here(&en.ident),
                    params,
                    fields,
                });
            }
            Item::Static(st) => out(Decl::Static {
                path: here(&st.ident),
                ty: scope.resolve_type(&st.ty),
            }),
            Item::Const(c) => out(Decl::Static {
                path: here(&c.ident),
                ty: scope.resolve_type(&c.ty),
            }),
            Item::Type(t) => {
                let (inner, params) = scope.with_type_params(&t.generics);
                out(Decl::Alias {
                    path: here(&t.ident),
                    params,
                    ty: inner.resolve_type(&t.ty),
                });
            }
            _ => {}
        }
    }
}

/// An `impl` block's methods (and a `Deref` impl's target), for [`walk`].
fn walk_impl<'a>(
    imp: &'a syn::ItemImpl,
    scope: &NameScope,
    ctx: &Inherited,
    prefix: Option<&str>,
    out: &mut dyn FnMut(Decl<'a>),
) {
    let mut impl_scope = scope.clone();
    impl_scope.add_generics(&imp.generics);
    let self_ty = impl_scope.resolve_type(&imp.self_ty);
    impl_scope.self_ty = Some(self_ty.clone());
    let trait_path = imp
        .trait_
        .as_ref()
        .map(|(path, _)| impl_scope.resolve_path(path).path);
    let trait_name = trait_path.as_ref().and_then(|p| p.last()).cloned();
    // An impl on a library's type is the library's own code (it hands its handles out by
    // design) when it is inherent or implements a trait from outside the run: the orphan rule
    // puts every other impl in the project (`impl MyExt for sea_orm::DatabaseConnection`).
    let project_trait = trait_path
        .as_ref()
        .and_then(|p| p.first())
        .is_some_and(|root| crate::rust::types::is_crate_root(root));
    let provider = if !project_trait
        && self_ty
            .path
            .first()
            .is_some_and(|_| catalog::lookup_path(&self_ty.path).is_some())
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
                    owner: self_ty.path.clone(),
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
                path: &self_ty.path,
                scope: &impl_scope,
                context: ctx,
                provider,
                implements: trait_path.as_deref(),
            };
            emit_method(&owner, method, prefix, out);
        }
    }
}

/// A trait's declaration and its methods with a default body, for [`walk`].
fn walk_trait<'a>(
    t: &'a syn::ItemTrait,
    scope: &NameScope,
    path: Vec<String>,
    ctx: &Inherited,
    prefix: Option<&str>,
    out: &mut dyn FnMut(Decl<'a>),
) {
    let mut trait_scope = scope.clone();
    trait_scope.add_generics(&t.generics);
    out(Decl::Trait { path: path.clone() });
    trait_scope.self_ty = Some(Ty::named(path.clone()));
    for trait_item in &t.items {
        if let TraitItem::Fn(m) = trait_item {
            let method = MethodItem {
                attrs: &m.attrs,
                sig: &m.sig,
                body: m.default.as_ref(),
            };
            let owner = Owner {
                path: &path,
                scope: &trait_scope,
                context: ctx,
                provider: None,
                implements: None,
            };
            emit_method(&owner, method, prefix, out);
        }
    }
}

/// The impl or trait a method is read in.
struct Owner<'s> {
    /// The absolute path of the type (or trait) the methods are defined on.
    path: &'s [String],
    scope: &'s NameScope,
    context: &'s Inherited,
    provider: Option<Provider>,
    implements: Option<&'s [String]>,
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
    out: &mut dyn FnMut(Decl<'a>),
) {
    let (name, module) = owner
        .path
        .split_last()
        .map_or((String::new(), Vec::new()), |(n, m)| {
            (n.clone(), m.to_vec())
        });
    let key = FnKey {
        module,
        owner: Some(name),
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
        owner.implements.map(<[String]>::to_vec),
        out,
    );
}

#[allow(clippy::too_many_arguments)]
fn emit_fn<'a>(
    key: FnKey,
    prefix: Option<&str>,
    scope: NameScope,
    attrs: &[Attribute],
    sig: &'a syn::Signature,
    body: Option<&'a syn::Block>,
    context: &Inherited,
    provider: Option<Provider>,
    implements: Option<Vec<String>>,
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
    // Items inside the body: their `use`s count for the body; their functions are walked too, in
    // a module of the body's own, which names can climb out of.
    let mut scope = scope.body_of(&qual_name);
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
        walk(&nested, &scope, &context, Some(&qual_name), out);
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

/// `#[test]`, `#[tokio::test]`, `#[sqlx::test]`, `#[rstest]`, benchmarks.
fn is_test_fn(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| matches!(s.ident.to_string().as_str(), "test" | "rstest" | "bench"))
    })
}

fn is_provider_trait(scope: &NameScope, path: &syn::Path) -> bool {
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
#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    pub key: FnKey,
    pub ret: Option<Ty>,
}

/// A struct or enum as one file declares it: its path, type parameters and fields.
type StructDecl = (Path, Vec<TypeParam>, Vec<(String, Ty)>);

/// The declarations of one file, taken by the first pass.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RustDecls {
    structs: Vec<StructDecl>,
    traits: Vec<Path>,
    aliases: Vec<(Vec<String>, Vec<TypeParam>, Ty)>,
    statics: Vec<(Vec<String>, Ty)>,
    derefs: Vec<(Vec<String>, Ty)>,
    imports: Vec<(Vec<String>, Imports)>,
    /// Modules declared in files of their own that only build for tests.
    test_modules: Vec<Path>,
    fns: Vec<FnDecl>,
    /// The trait implemented by the function of the same position in `fns`, if any.
    implements: Vec<Option<Vec<String>>>,
}

impl RustDecls {
    /// What the file declares under each name (the last segment of each path; functions under
    /// their name and their owner's), each declaration written out, to compare two versions.
    pub(crate) fn by_name(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        let mut add = |name: Option<&String>, decl: String| {
            if let Some(name) = name {
                out.entry(name.clone()).or_default().push(decl);
            }
        };
        for d in &self.structs {
            add(d.0.last(), format!("{d:?}"));
        }
        for d in &self.traits {
            add(d.last(), format!("{d:?}"));
        }
        for d in &self.aliases {
            add(d.0.last(), format!("{d:?}"));
        }
        for d in &self.statics {
            add(d.0.last(), format!("{d:?}"));
        }
        for d in &self.test_modules {
            add(d.last(), format!("test module {d:?}"));
        }
        // A `use` item: a re-export changes what the name means through this module.
        for (module, imports) in &self.imports {
            for (name, target) in &imports.uses {
                add(Some(name), format!("use {module:?} {target:?}"));
            }
        }
        for (f, implements) in self.fns.iter().zip(&self.implements) {
            let decl = format!("{f:?} {implements:?}");
            add(Some(&f.key.name), decl.clone());
            add(f.key.owner.as_ref(), decl);
        }
        out
    }

    /// The glob imports of the file, written out: what a change of cannot be tied to names.
    pub(crate) fn globs(&self) -> Vec<String> {
        self.imports
            .iter()
            .map(|(m, i)| format!("{m:?} {:?}", i.globs))
            .collect()
    }

    pub(crate) fn collect(items: &[&Item], scope: &NameScope) -> RustDecls {
        let mut decls = RustDecls::default();
        walk(
            items,
            scope,
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
                Decl::Struct {
                    path,
                    params,
                    fields,
                } => decls.structs.push((path, params, fields)),
                Decl::Trait { path } => decls.traits.push(path),
                Decl::Alias { path, params, ty } => decls.aliases.push((path, params, ty)),
                Decl::Static { path, ty } => decls.statics.push((path, ty)),
                Decl::TestModule { path } => decls.test_modules.push(path),
                Decl::Deref { owner, target } => decls.derefs.push((owner, target)),
                Decl::Imports { module, imports } => decls.imports.push((module, imports)),
            },
        );
        decls
    }
}

/// What the whole run declares: the first pass's result, read by the second.
///
/// This is the one place where a name becomes a definition. Every key is an absolute path, the
/// crate's root first ([`NameScope::absolute`]); a path that names nothing declared here resolves
/// through its module's `use` items and globs, and out of function bodies, or not at all. Nothing
/// is ever looked up by its last segment alone.
#[derive(Clone, Debug, Default)]
pub struct Index {
    structs: HashMap<Vec<String>, HashMap<String, Ty>>,
    /// The type parameters of the generic structs and enums.
    struct_params: HashMap<Vec<String>, Vec<TypeParam>>,
    traits: HashSet<Vec<String>>,
    /// The traits the run itself declares (`traits` also holds those it only implements).
    declared_traits: HashSet<Vec<String>>,
    aliases: HashMap<Vec<String>, (Vec<TypeParam>, Ty)>,
    statics: HashMap<Vec<String>, Ty>,
    /// Modules in files of their own that only build for tests.
    test_modules: HashSet<Vec<String>>,
    /// The last segments of the aliases' paths.
    alias_names: HashSet<String>,
    derefs: HashMap<Vec<String>, Ty>,
    imports: HashMap<Vec<String>, Imports>,
    /// Free functions by path.
    free: HashMap<Vec<String>, Vec<FnDecl>>,
    /// Methods and associated functions by the path of their type (or trait), then name. A trait
    /// impl's methods are also under the trait, for calls through `dyn Trait` or `T: Trait`.
    methods: HashMap<Vec<String>, HashMap<String, Vec<FnDecl>>>,
    /// Answers of [`Index::resolve`], which glob-heavy crates (`web-sys`: a `pub use
    /// features::*` over 1,500 modules that each `use super::*`) would otherwise recompute.
    memo: Memo<(Kind, Path), Option<Path>>,
    /// Answers of [`Index::holds`] for a declared struct's fields, by `(unknown, path)`: a struct
    /// is walked once per run, not once per type that reaches it (struct graphs are DAGs with
    /// many paths to a node).
    holds_memo: Memo<(bool, Path), bool>,
    /// `(crate root, name)` for every name the run declares.
    names: HashSet<(String, String)>,
    /// `(crate root, name)` for every name a `use` item of the run brings in.
    imported: HashSet<(String, String)>,
}

/// What counts as declared when a path is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// A struct, enum, trait or alias.
    TypeDecl,
    /// A struct or enum.
    Struct,
    /// A struct, enum or trait, or a type with `impl` blocks: where methods are.
    Owner,
    Alias,
    Free,
    Static,
    /// Nothing of the run: another crate's item a `use` re-exports (`PgPool` from `use
    /// crate::prelude::*` where the prelude has `pub use sqlx::PgPool`).
    Reexport,
}

/// A cache of answers, shared by the threads that read the index; a clone starts empty.
struct Memo<K, V>(std::sync::RwLock<HashMap<K, V>>);

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo(std::sync::RwLock::new(HashMap::default()))
    }
}

impl<K: Eq + std::hash::Hash, V: Clone> Memo<K, V> {
    fn get(&self, key: &K) -> Option<V> {
        self.0.read().ok()?.get(key).cloned()
    }

    fn insert(&self, key: K, value: V) {
        if let Ok(mut memo) = self.0.write() {
            memo.insert(key, value);
        }
    }
}

impl<K, V> Clone for Memo<K, V> {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl<K, V> std::fmt::Debug for Memo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
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
    std_model::COLLECTIONS
        .iter()
        .find_map(|(names, element, methods)| {
            if names.contains(&recv.last()) && methods.contains(&method) {
                recv.args.get(*element).cloned()
            } else {
                None
            }
        })
}

/// How deep name resolution follows `use` items, globs and function bodies.
const MAX_RESOLVE: usize = 8;

impl Index {
    /// Merges the declarations of every file of the run.
    pub fn new(files: impl IntoIterator<Item = RustDecls>) -> Index {
        let mut index = Index::default();
        let mut fns = Vec::new();
        for file in files {
            for (path, params, fields) in file.structs {
                if !params.is_empty() {
                    index.struct_params.entry(path.clone()).or_insert(params);
                }
                let entry = index.structs.entry(path).or_default();
                for (field, ty) in fields {
                    entry.entry(field).or_insert(ty);
                }
            }
            index.declared_traits.extend(file.traits.iter().cloned());
            index.traits.extend(file.traits);
            for (path, params, ty) in file.aliases {
                if let Some(name) = path.last() {
                    index.alias_names.insert(name.clone());
                }
                index.aliases.entry(path).or_insert((params, ty));
            }
            for (path, ty) in file.statics {
                index.statics.entry(path).or_insert(ty);
            }
            index.test_modules.extend(file.test_modules);
            for (owner, target) in file.derefs {
                index.derefs.entry(owner).or_insert(target);
            }
            for (module, imports) in file.imports {
                let entry = index.imports.entry(module).or_default();
                for (name, target) in imports.uses {
                    entry.uses.entry(name).or_insert(target);
                }
                entry.globs.extend(imports.globs);
            }
            fns.extend(file.fns.into_iter().zip(file.implements));
        }
        // Every name each crate declares: a path whose last name its crate never declares names
        // nothing there, whatever its globs (most misses: `Option`, `JsValue`).
        let mut names: HashSet<(String, String)> = HashSet::default();
        let mut name_of = |path: &[String]| {
            if let (Some(first), Some(last)) = (path.first(), path.last()) {
                names.insert((first.clone(), last.clone()));
            }
        };
        index.structs.keys().for_each(|p| name_of(p));
        index.traits.iter().for_each(|p| name_of(p));
        index.aliases.keys().for_each(|p| name_of(p));
        index.statics.keys().for_each(|p| name_of(p));
        index.imported = index
            .imports
            .iter()
            .flat_map(|(module, imports)| {
                let krate = module.first().cloned().unwrap_or_default();
                imports.uses.keys().map(move |n| (krate.clone(), n.clone()))
            })
            .collect();
        for (decl, implements) in &fns {
            let mut path = decl.key.module.clone();
            path.push(
                decl.key
                    .owner
                    .clone()
                    .unwrap_or_else(|| decl.key.name.clone()),
            );
            name_of(&path);
            if let Some(t) = implements {
                name_of(t);
            }
        }
        index.names = names;
        index.share_names_through_globs();
        // Methods go under their type as the run declares it (an `impl Store` whose `Store` came
        // in through a `use` is the declared `Store`'s).
        for (decl, implements) in fns {
            let Some(owner) = &decl.key.owner else {
                let mut path = decl.key.module.clone();
                path.push(decl.key.name.clone());
                index.free.entry(path).or_default().push(decl);
                continue;
            };
            let mut ty = decl.key.module.clone();
            ty.push(owner.clone());
            let ty = index.resolve_type_path(&ty).unwrap_or(ty);
            if let Some(t) = implements {
                let t = index.resolve_type_path(&t).unwrap_or(t);
                // Implemented, so a trait, wherever it is declared: `T::f(..)` through it never
                // links to one implementation.
                index.traits.insert(t.clone());
                index
                    .methods
                    .entry(t)
                    .or_default()
                    .entry(decl.key.name.clone())
                    .or_default()
                    .push(decl.clone());
            }
            index
                .methods
                .entry(ty)
                .or_default()
                .entry(decl.key.name.clone())
                .or_default()
                .push(decl);
        }
        for decls in index.free.values_mut() {
            decls.sort_by(|a, b| a.key.cmp(&b.key));
        }
        for by_name in index.methods.values_mut() {
            for decls in by_name.values_mut() {
                decls.sort_by(|a, b| a.key.cmp(&b.key));
                decls.dedup_by(|a, b| a.key == b.key);
            }
        }
        // Answers given while the index was still being built may have changed.
        index.memo = Memo::default();
        index.holds_memo = Memo::default();
        index
    }

    /// A glob into another crate of the run (`use db::prelude::*;`) brings in what that crate
    /// declares and re-exports: its names count as the globbing crate's too, transitively.
    fn share_names_through_globs(&mut self) {
        let edges: Vec<(String, String)> = self
            .imports
            .iter()
            .flat_map(|(module, imports)| {
                let from = module.first().cloned().unwrap_or_default();
                imports
                    .globs
                    .iter()
                    .filter_map(|g| g.first())
                    .filter(|to| crate::rust::types::is_crate_root(to) && **to != from)
                    .map(|to| (from.clone(), to.clone()))
                    .collect::<Vec<_>>()
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if edges.is_empty() {
            return;
        }
        for _ in 0..edges.len() {
            let mut grew = false;
            for (from, to) in &edges {
                for set in [&mut self.names, &mut self.imported] {
                    let theirs: Vec<String> = set
                        .iter()
                        .filter(|(root, _)| root == to)
                        .map(|(_, name)| name.clone())
                        .collect();
                    for name in theirs {
                        grew |= set.insert((from.clone(), name));
                    }
                }
            }
            if !grew {
                break;
            }
        }
    }

    /// The declared path an absolute path names, given what counts as declared: the path itself,
    /// else through its module's `use` items, its globs (when exactly one answers), or out of a
    /// function body into the module around it.
    fn resolve(&self, path: &[String], kind: Kind) -> Option<Vec<String>> {
        if self.declared(kind, path) {
            return Some(path.to_vec());
        }
        if path.len() < 2 || !crate::rust::types::is_crate_root(&path[0]) {
            return None;
        }
        // Only a name the run declares, or one a `use` item brings in (`pub use crate::open_tx as
        // begin_request`), can resolve.
        let name = (path[0].clone(), path[path.len() - 1].clone());
        let known =
            self.imported.contains(&name) || (kind != Kind::Reexport && self.names.contains(&name));
        if !known {
            return None;
        }
        let key = (kind, path.to_vec());
        if let Some(found) = self.memo.get(&key) {
            return found;
        }
        let declared = |p: &[String]| self.declared(kind, p);
        let external = kind == Kind::Reexport;
        let found = self.resolve_depth(path, &declared, external, 0, &mut HashSet::default());
        self.memo.insert(key, found.clone());
        found
    }

    fn declared(&self, kind: Kind, p: &[String]) -> bool {
        match kind {
            Kind::TypeDecl => {
                self.structs.contains_key(p)
                    || self.traits.contains(p)
                    || self.aliases.contains_key(p)
            }
            Kind::Struct => self.structs.contains_key(p),
            Kind::Owner => {
                self.structs.contains_key(p)
                    || self.traits.contains(p)
                    || self.methods.contains_key(p)
            }
            Kind::Alias => self.aliases.contains_key(p),
            Kind::Free => self.free.contains_key(p),
            Kind::Static => self.statics.contains_key(p),
            Kind::Reexport => false,
        }
    }

    /// `external`: a `use` of another crate's item is the answer. `seen`: the paths already
    /// tried, so glob cycles (`use super::*` under a `pub use child::*`) cost each path once.
    fn resolve_depth(
        &self,
        path: &[String],
        declared: &dyn Fn(&[String]) -> bool,
        external: bool,
        depth: usize,
        seen: &mut HashSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if declared(path) {
            return Some(path.to_vec());
        }
        if depth > MAX_RESOLVE
            || path.len() < 2
            || !crate::rust::types::is_crate_root(&path[0])
            || !seen.insert(path.to_vec())
        {
            return None;
        }
        let (name, module) = path.split_last()?;
        let join = |prefix: &[String]| {
            let mut p = prefix.to_vec();
            p.push(name.clone());
            p
        };
        if module.last().is_some_and(|m| m.ends_with("()")) {
            let up = join(&module[..module.len() - 1]);
            return self.resolve_depth(&up, declared, external, depth + 1, seen);
        }
        let imports = self.imports.get(module)?;
        if let Some(target) = imports.uses.get(name)
            && target.as_slice() != path
        {
            if external
                && !target
                    .first()
                    .is_some_and(|t| crate::rust::types::is_crate_root(t))
            {
                return Some(target.clone());
            }
            return self.resolve_depth(target, declared, external, depth + 1, seen);
        }
        let mut found: Vec<Vec<String>> = Vec::new();
        for g in &imports.globs {
            if g.as_slice() == module {
                continue;
            }
            if let Some(p) = self.resolve_depth(&join(g), declared, external, depth + 1, seen)
                && !found.contains(&p)
            {
                found.push(p);
            }
        }
        // Two globs that both answer: not guessed at.
        (found.len() == 1).then(|| found.remove(0))
    }

    /// The declared struct, enum, trait or alias a type path names.
    fn resolve_type_path(&self, path: &[String]) -> Option<Vec<String>> {
        self.resolve(path, Kind::TypeDecl)
    }

    /// The declared struct or enum `ty` names.
    fn struct_path(&self, ty: &Ty) -> Option<Vec<String>> {
        if !ty.is_local() {
            return None;
        }
        self.resolve(&ty.path, Kind::Struct)
    }

    /// The declared struct, enum or trait `ty` names, or a type the run has `impl` blocks for:
    /// where its methods are.
    fn owner_path(&self, ty: &Ty) -> Option<Vec<String>> {
        if !ty.is_local() {
            return None;
        }
        self.resolve(&ty.path, Kind::Owner)
    }

    /// Expands project type aliases (`type Tx<'a> = sqlx::Transaction<'a, Postgres>`), and
    /// follows `use` items that re-export another crate's type.
    pub fn expand(&self, ty: &Ty) -> Ty {
        let mut ty = ty.clone();
        for _ in 0..8 {
            if !ty.is_local() {
                break;
            }
            // An alias with impl blocks of its own (`impl Leases for DbPool`) still names its
            // target: those impls are the target's.
            let alias = self.resolve(&ty.path, Kind::Alias);
            if alias.is_none() && self.owner_path(&ty).is_some() {
                break;
            }
            let Some(path) = alias else {
                if let Some(external) = self.resolve(&ty.path, Kind::Reexport) {
                    ty.path = external;
                    continue;
                }
                break;
            };
            let (params, target) = &self.aliases[&path];
            ty = substitute(target, &arguments(params, &ty.args));
        }
        ty
    }

    /// Whether the run declares a type alias of this name (its last segment), for a cheap test
    /// before a type is resolved.
    pub(crate) fn is_alias_name(&self, name: &str) -> bool {
        self.alias_names.contains(name)
    }

    /// Whether the module at `path` (crate root segment and module names), or one it is in, is
    /// declared `#[cfg(test)] mod name;`: its file only builds for tests.
    pub(crate) fn is_test_module(&self, path: &[String]) -> bool {
        !self.test_modules.is_empty()
            && (2..=path.len()).any(|n| self.test_modules.contains(&path[..n]))
    }

    /// Strips references to wrappers that method calls see through (`Arc<T>`, `State<T>`).
    pub fn receiver(&self, ty: &Ty) -> Ty {
        let mut ty = self.expand(ty);
        for _ in 0..8 {
            if self.catalog_exact(&ty).is_some() || self.owner_path(&ty).is_some() {
                break;
            }
            match ty.first_arg() {
                Some(inner) if std_model::DEREF_WRAPPERS.contains(&ty.last()) => {
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
        catalog::lookup_path(&ty.path)
    }

    /// The catalog type `ty` is, seen through aliases and smart pointers.
    pub fn catalog(&self, ty: &Ty) -> Option<CatalogType> {
        self.catalog_exact(&self.receiver(ty))
    }

    /// The declared type of `ty.field`, with the type's arguments (or its parameters' defaults)
    /// substituted: `conn: C` in `PgRepository<C = Transaction<..>>` is the transaction.
    pub fn field(&self, ty: &Ty, field: &str) -> Option<Ty> {
        let ty = self.receiver(ty);
        let path = self.struct_path(&ty)?;
        let declared = self.structs.get(&path)?.get(field)?;
        Some(match self.struct_params.get(&path) {
            Some(params) => substitute(declared, &arguments(params, &ty.args)),
            None => declared.clone(),
        })
    }

    /// What `recv.method(..)` calls, given the receiver's type: the method of that very type (or
    /// of the trait a `dyn Trait`/`T: Trait` receiver names); through the project's `Deref` impls
    /// (`struct Db(PgPool)` with `Target = PgPool`) when the type has no such method. A receiver
    /// whose type is unknown resolves to nothing, whatever the method's name.
    pub(crate) fn method(&self, recv: &Ty, method: &str) -> Option<Method> {
        let written = recv;
        let mut recv = self.receiver(recv);
        for round in 0..4 {
            if let Some(ct) = self.catalog_exact(&recv)
                && let Some(produced) = ct.method(method)
            {
                return Some(Method::Catalog(produced));
            }
            // A trait implemented on a project alias of another type (`impl Leases for DbPool`
            // where `type DbPool = PgPool`): after the type's own methods, as Rust picks them.
            if round == 0
                && self.resolve(&written.path, Kind::Alias).is_some()
                && let Some(decls) = self
                    .owner_path(written)
                    .and_then(|o| self.methods.get(&o))
                    .and_then(|by_name| by_name.get(method))
            {
                return Some(project(decls));
            }
            let owner = self.owner_path(&recv);
            if let Some(decls) = owner
                .as_ref()
                .and_then(|o| self.methods.get(o))
                .and_then(|by_name| by_name.get(method))
            {
                return Some(project(decls));
            }
            if let Some(element) = collection_element(&recv, method) {
                return Some(Method::Typed(Ty {
                    path: vec!["Option".into()],
                    args: vec![element],
                }));
            }
            match owner.and_then(|o| self.derefs.get(&o)) {
                Some(target) => recv = self.receiver(target),
                None => return None,
            }
        }
        None
    }

    /// Resolves a call of a free function written as `path` (made absolute by the caller's
    /// scope): through `use` items and globs, never to another function of the same name.
    pub(crate) fn free_fn(&self, path: &[String]) -> Vec<&FnDecl> {
        self.resolve(path, Kind::Free)
            .and_then(|p| self.free.get(&p))
            .map(|decls| decls.iter().collect())
            .unwrap_or_default()
    }

    /// `Type::name(..)` where `owner` is a struct or enum of the run. A trait's path
    /// (`From::from(x)`, `Default::default()`, `T::from(x)`) resolves to nothing: the
    /// implementing type is chosen by inference the checker cannot see.
    pub(crate) fn assoc_fn(&self, owner: &Ty, name: &str) -> Option<Method> {
        let path = self.owner_path(owner)?;
        if self.traits.contains(&path) {
            return None;
        }
        self.methods.get(&path)?.get(name).map(|d| project(d))
    }

    /// The declared type of a `static` or `const` of the project, by its absolute path.
    pub fn static_ty(&self, path: &[String]) -> Option<&Ty> {
        let path = self.resolve(path, Kind::Static)?;
        self.statics.get(&path)
    }

    /// Whether a value of type `ty` may hold a handle: a catalog handle, a project struct with a
    /// field that may (a wrapper), a container of one, or a type nothing is known about (a generic
    /// parameter). Primitives, strings, pools and other libraries' types may not.
    pub fn may_hold_handle(&self, ty: &Ty) -> bool {
        self.holds(ty, true, &mut Vec::new(), &mut false)
    }

    /// Whether a value of type `ty` surely holds a handle: a catalog handle, or a project struct
    /// with a field that surely does, or a container of one. Unlike [`Index::may_hold_handle`], a
    /// type nothing is known about (declared outside the run, a generic parameter) does not.
    pub fn surely_holds_handle(&self, ty: &Ty) -> bool {
        self.holds(ty, false, &mut Vec::new(), &mut false)
    }

    /// The walk behind both: `unknown` is the answer for a type nothing is known about. `seen`
    /// holds the structs being walked; `cut` is set when an answer was cut short by one of them
    /// (a recursive struct) or by the depth bound, so it depends on where the walk started and is
    /// not remembered. An answer of `true` never depends on that: a field that holds a handle
    /// holds one wherever the walk came from.
    fn holds(&self, ty: &Ty, unknown: bool, seen: &mut Vec<Path>, cut: &mut bool) -> bool {
        if seen.len() > 16 {
            *cut = true;
            return unknown;
        }
        let ty = self.expand(ty);
        if let Some(ct) = self.catalog_exact(&ty) {
            return matches!(ct.role(), catalog::Role::Handle(_));
        }
        // A type parameter nothing was substituted for.
        if ty.param_name().is_some() {
            return unknown;
        }
        let name = ty.last();
        if ty.is_local() {
            if let Some(path) = self.struct_path(&ty) {
                // A generic struct holds what its fields hold with its arguments (or its
                // parameters' defaults) in place of its parameters.
                if let Some(params) = self.struct_params.get(&path) {
                    if seen.contains(&path) {
                        *cut = true;
                        return false;
                    }
                    let subst = arguments(params, &ty.args);
                    seen.push(path.clone());
                    let holds = self.structs[&path]
                        .values()
                        .any(|f| self.holds(&substitute(f, &subst), unknown, seen, cut));
                    seen.pop();
                    return holds;
                }
                return self.struct_holds(path, unknown, seen, cut)
                    || ty.args.iter().any(|a| self.holds(a, unknown, seen, cut));
            }
            if std_model::DATA_TYPES.contains(&name) {
                return false;
            }
            if !std_model::STD_CONTAINERS.contains(&name) && ty.args.is_empty() {
                // A name the checked code does not declare: a generic parameter, a type from a glob
                // import, or (in the macro door) anything outside the item.
                return unknown;
            }
        }
        if name == "Result" && ty.args.len() == 2 {
            // The error side is never the handle.
            return self.holds(&ty.args[0], unknown, seen, cut);
        }
        ty.args.iter().any(|a| self.holds(a, unknown, seen, cut))
    }

    /// Whether a field of the declared struct at `path` holds a handle, for [`Index::holds`].
    fn struct_holds(
        &self,
        path: Path,
        unknown: bool,
        seen: &mut Vec<Path>,
        cut: &mut bool,
    ) -> bool {
        if seen.contains(&path) {
            *cut = true;
            return false;
        }
        let key = (unknown, path);
        if let Some(known) = self.holds_memo.get(&key) {
            return known;
        }
        let fields = &self.structs[&key.1];
        let mut cut_here = false;
        seen.push(key.1.clone());
        let holds = fields
            .values()
            .any(|f| self.holds(f, unknown, seen, &mut cut_here));
        seen.pop();
        if holds || !cut_here {
            self.holds_memo.insert(key, holds);
        }
        *cut |= cut_here && !holds;
        holds
    }

    /// The names the prefilter looks for once these declarations are known: types that hold a
    /// catalog type (directly or through other such types), aliases of them, traits and types
    /// whose methods return one, and free functions that return one.
    pub(crate) fn db_names(&self) -> Vec<String> {
        let mut db: HashSet<Path> = HashSet::default();
        loop {
            let before = db.len();
            for (path, fields) in &self.structs {
                if !db.contains(path) && fields.values().any(|t| self.mentions_db(t, &db, 0)) {
                    db.insert(path.clone());
                }
            }
            for (path, (_, target)) in &self.aliases {
                if !db.contains(path) && self.mentions_db(target, &db, 0) {
                    db.insert(path.clone());
                }
            }
            for (owner, by_name) in &self.methods {
                // Only the run's own types and traits: `impl Deref for DbConn` makes `DbConn`
                // one, never `Deref`.
                let own = self.structs.contains_key(owner) || self.declared_traits.contains(owner);
                if own
                    && !db.contains(owner)
                    && by_name
                        .values()
                        .flatten()
                        .filter_map(|d| d.ret.as_ref())
                        .any(|r| self.mentions_db(r, &db, 0))
                {
                    db.insert(owner.clone());
                }
            }
            if db.len() == before {
                break;
            }
        }
        let mut names: Vec<String> = db.iter().filter_map(|p| p.last().cloned()).collect();
        // Catalog types a module re-exports to the modules that glob-import it (`use
        // crate::prelude::*` where the prelude has `pub use sqlx::PgPool`): named bare there.
        let glob_targets: HashSet<&Path> = self.imports.values().flat_map(|i| &i.globs).collect();
        for (module, imports) in &self.imports {
            if glob_targets.contains(module) {
                names.extend(
                    imports
                        .uses
                        .iter()
                        .filter(|(_, t)| catalog::lookup_path(t).is_some())
                        .map(|(name, _)| name.clone()),
                );
            }
        }
        for (path, decls) in &self.free {
            if decls
                .iter()
                .filter_map(|d| d.ret.as_ref())
                .any(|r| self.mentions_db(r, &db, 0))
                && let Some(name) = path.last()
            {
                names.push(name.clone());
            }
        }
        names
    }

    /// Whether a type is, holds or wraps a catalog type or one of `db`.
    fn mentions_db(&self, ty: &Ty, db: &HashSet<Path>, depth: usize) -> bool {
        if depth > 8 {
            return false;
        }
        let ty = self.expand(ty);
        self.catalog_exact(&ty).is_some()
            || self
                .resolve(&ty.path, Kind::Owner)
                .is_some_and(|p| db.contains(&p))
            || ty.args.iter().any(|a| self.mentions_db(a, db, depth + 1))
    }

    /// Whether `ty` is a struct or enum defined in the checked code.
    pub fn is_local_struct(&self, ty: &Ty) -> bool {
        self.struct_path(ty).is_some()
    }
}

fn project(decls: &[FnDecl]) -> Method {
    let ret = decls.iter().find_map(|d| d.ret.clone());
    Method::Project(decls.iter().map(|d| d.key.clone()).collect(), ret)
}

/// What each type parameter stands for in a use of the type: the argument given, else the
/// parameter's default or bound; a parameter with none of those stays itself.
fn arguments<'t>(params: &'t [TypeParam], args: &'t [Ty]) -> HashMap<&'t str, &'t Ty> {
    params
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((p.name.as_str(), args.get(i).or(p.fallback())?)))
        .collect()
}

/// `ty` with its type parameters replaced.
fn substitute(ty: &Ty, subst: &HashMap<&str, &Ty>) -> Ty {
    if let Some(name) = ty.param_name()
        && let Some(replacement) = subst.get(name)
    {
        return (*replacement).clone();
    }
    Ty {
        path: ty.path.clone(),
        args: ty.args.iter().map(|a| substitute(a, subst)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::{FileDecls, index_source};
    use crate::options::Options;

    fn index(src: &str) -> Index {
        match index_source("src/lib.rs", src, &Options::default()) {
            Ok(FileDecls::Rust(decls)) => Index::new([decls]),
            other => panic!("not Rust declarations: {other:?}"),
        }
    }

    fn struct_ty(index: &Index, name: &str) -> Ty {
        let path = index
            .structs
            .keys()
            .find(|p| p.last().is_some_and(|l| l == name));
        Ty::named(path.unwrap_or_else(|| panic!("no struct {name}")).clone())
    }

    /// A walk cut short by a recursive struct is not remembered: asking for the struct that closes
    /// the cycle first must not make the other one's answer `false` for the rest of the run.
    #[test]
    fn recursive_structs_hold_a_handle_whichever_is_asked_first() {
        let src = "
            struct Outer { inner: Inner }
            struct Inner { back: Option<Box<Outer>>, tx: sqlx::Transaction<'static, sqlx::Postgres> }
            struct Lone { next: Option<Box<Lone>>, name: String }
        ";
        for first in ["Outer", "Inner"] {
            let index = index(src);
            let other = if first == "Outer" { "Inner" } else { "Outer" };
            for name in [first, other] {
                let ty = struct_ty(&index, name);
                assert!(index.surely_holds_handle(&ty), "{name} after {first}");
                assert!(index.may_hold_handle(&ty), "{name} after {first}");
            }
            // Asked twice: the remembered answer is the walked one.
            let lone = struct_ty(&index, "Lone");
            for _ in 0..2 {
                assert!(!index.surely_holds_handle(&lone));
                assert!(!index.may_hold_handle(&lone));
            }
        }
    }
}
