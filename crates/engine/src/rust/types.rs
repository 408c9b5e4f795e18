//! Types as the analysis sees them: paths made canonical through the `use` items in scope.

use rustc_hash::FxHashMap as HashMap;

use syn::{GenericArgument, PathArguments, ReturnType, Type, TypeParamBound};

/// A type, reduced to what matters here: its canonical path and its type arguments.
/// References, lifetimes and parentheses are dropped; `impl Trait`/`dyn Trait` become the trait.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ty {
    pub path: Vec<String>,
    pub args: Vec<Ty>,
}

impl Ty {
    pub fn named(path: Vec<String>) -> Ty {
        Ty {
            path,
            args: Vec::new(),
        }
    }

    /// A catalog type as a type: `sqlx::Transaction`.
    pub fn of_catalog(t: &crate::rust::catalog::CatalogType) -> Ty {
        Ty::named(vec![
            t.family.crates[0].to_string(),
            t.entry.name.to_string(),
        ])
    }

    pub fn last(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or("")
    }

    /// A generic type parameter of the item being read (`T` in `struct Repo<T>`), by name, until
    /// an argument or a default is substituted for it.
    pub fn param(name: &str) -> Ty {
        Ty::named(vec![PARAM.into(), name.into()])
    }

    /// The parameter's name, when this is a type parameter.
    pub fn param_name(&self) -> Option<&str> {
        match self.path.as_slice() {
            [head, name] if head == PARAM => Some(name),
            _ => None,
        }
    }

    /// Whether the path can only name something defined in the checked code (or the prelude):
    /// a path made absolute in its crate (see [`NameScope::absolute`]), a bare name, or a type
    /// parameter.
    pub fn is_local(&self) -> bool {
        self.path.len() <= 1 || is_crate_root(&self.path[0]) || self.param_name().is_some()
    }

    /// The first type argument: `T` in `Result<T, E>`, `Option<T>`, `Arc<T>`.
    pub fn first_arg(&self) -> Option<&Ty> {
        self.args.first()
    }
}

/// A path as segments.
pub type Path = Vec<String>;

/// The first segment of a type parameter's path ([`Ty::param`]): no path can start with it.
const PARAM: &str = "(param)";

/// A generic type parameter of a struct, enum or alias: what stands for it when a use of the type
/// gives no argument (its default, else its first trait bound).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeParam {
    pub name: String,
    pub default: Option<Ty>,
    pub bound: Option<Ty>,
}

impl TypeParam {
    /// What a use of the type that gives no argument for it means.
    pub fn fallback(&self) -> Option<&Ty> {
        self.default.as_ref().or(self.bound.as_ref())
    }
}

/// A module's `use` items (name to absolute path) and glob imports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imports {
    pub uses: HashMap<String, Path>,
    pub globs: Vec<Path>,
}

/// What a module declares, for reading paths written in it.
#[derive(Clone, Debug, Default)]
pub struct ModuleItems {
    /// Modules declared in it (`mod db;`): a path starting with one is relative.
    pub children: rustc_hash::FxHashSet<String>,
    /// Types declared in it: in the macro door, they shadow the library names a bare name is
    /// otherwise taken to be.
    pub declared: rustc_hash::FxHashSet<String>,
}

/// The first segment of a path made absolute in the crate rooted at `root` (the directory that
/// holds its `src/`): two crates of one run never share a path.
pub fn crate_root_segment(root: &str) -> String {
    format!("crate:{root}")
}

/// Whether a path segment is a crate root made by [`crate_root_segment`].
pub fn is_crate_root(segment: &str) -> bool {
    segment.starts_with("crate:")
}

/// The names a module can see: its `use` items (and those of the modules around it), globs, and
/// the generic parameters of the item being read.
#[derive(Clone, Debug, Default)]
pub struct NameScope {
    /// The crate root segment ([`crate_root_segment`]) and the module path below it: where
    /// `crate::`, `self::` and `super::` lead and where a bare name is declared.
    pub krate: String,
    pub module: Vec<String>,
    /// What the module itself declares, shared by every scope read in it.
    items: std::sync::Arc<ModuleItems>,
    uses: HashMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// The enclosing module's `use` items and globs, which `use super::*` brings in.
    parent: Option<std::sync::Arc<Imports>>,
    /// Generic parameters mapped to the first bound that means something (`A: sqlx::Acquire`).
    generics: HashMap<String, Ty>,
    /// The type `Self` stands for.
    pub self_ty: Option<Ty>,
    /// Reading one item on its own (the macro door): the `use` items are out of sight, so a bare
    /// name that only one library's catalog has (`PgPool`, `PoolConnection`) is taken to be it.
    pub item_only: bool,
    /// The crates of the run this crate depends on, by the names its code uses, with their root
    /// segments ([`crate_root_segment`]).
    crates: std::sync::Arc<HashMap<String, String>>,
}

impl NameScope {
    /// The scope of a file's top-level items.
    pub fn file(krate: String, module: Vec<String>) -> NameScope {
        NameScope {
            krate,
            module,
            ..NameScope::default()
        }
    }

    /// The scope of a file's top-level items in a crate that depends on other crates of the run:
    /// `crates` maps the names its code uses to those crates' roots.
    pub fn file_in(
        krate: String,
        module: Vec<String>,
        crates: &crate::options::CrateNames,
    ) -> NameScope {
        NameScope {
            crates: std::sync::Arc::new(
                crates
                    .iter()
                    .map(|(name, root)| (name.clone(), crate_root_segment(root)))
                    .collect(),
            ),
            ..NameScope::file(krate, module)
        }
    }

    /// The scope for reading one item on its own.
    pub fn item_only() -> NameScope {
        NameScope {
            krate: crate_root_segment(""),
            item_only: true,
            ..NameScope::default()
        }
    }

    /// The scope of an inline module declared here: the same crate, none of this module's `use`s.
    pub fn inner_module(&self, name: &str) -> NameScope {
        let mut module = self.module.clone();
        module.push(name.to_string());
        NameScope {
            krate: self.krate.clone(),
            module,
            item_only: self.item_only,
            crates: self.crates.clone(),
            parent: Some(std::sync::Arc::new(Imports {
                uses: self
                    .uses
                    .iter()
                    .map(|(n, t)| (n.clone(), self.absolute_target(t)))
                    .collect(),
                globs: self.globs.clone(),
            })),
            ..NameScope::default()
        }
    }

    /// The scope of a function body: items declared in it live in a module of their own, named
    /// after the function (`open()`), which sees everything the function sees.
    pub fn body_of(&self, function: &str) -> NameScope {
        let mut scope = self.clone();
        scope.module.push(format!("{function}()"));
        scope
    }

    /// What the module declares so far.
    pub fn module_items(&self) -> &ModuleItems {
        &self.items
    }

    /// Records what the module declares (its child modules and types).
    pub fn set_module_items(&mut self, items: ModuleItems) {
        self.items = std::sync::Arc::new(items);
    }

    /// The `use` items and globs of this scope, made absolute, for the index's name resolution.
    pub fn imports(&self) -> Imports {
        Imports {
            uses: self
                .uses
                .iter()
                .map(|(name, target)| (name.clone(), self.absolute_target(target)))
                .collect(),
            globs: self.globs.iter().map(|g| self.absolute_target(g)).collect(),
        }
    }

    /// A `use` target or a written path made absolute: `crate::`, `self::`, `super::` and child
    /// modules lead into this crate; any other first segment is another crate.
    fn absolute_target(&self, path: &[String]) -> Vec<String> {
        let Some(first) = path.first() else {
            return Vec::new();
        };
        let here = || {
            let mut out = vec![self.krate.clone()];
            out.extend(self.module.iter().filter(|m| !m.ends_with("()")).cloned());
            out
        };
        match first.as_str() {
            "crate" => {
                let mut out = vec![self.krate.clone()];
                out.extend(path[1..].iter().cloned());
                out
            }
            "self" => {
                let mut out = here();
                out.extend(path[1..].iter().cloned());
                out
            }
            "super" => {
                let mut out = here();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    if out.len() > 1 {
                        out.pop();
                    }
                    rest = &rest[1..];
                }
                out.extend(rest.iter().cloned());
                out
            }
            _ if is_crate_root(first) => path.to_vec(),
            // Another crate of the run, by the name this crate gives it.
            _ if let Some(root) = self.crates.get(first.as_str()) => {
                let mut out = vec![root.clone()];
                out.extend(path[1..].iter().cloned());
                out
            }
            // A child module, or a type of this module (`DbPool::Pool`, `Store::open`): crate
            // names are snake_case, types CamelCase.
            _ if self.items.children.contains(first) || first.starts_with(char::is_uppercase) => {
                let mut out = here();
                out.extend(path.iter().cloned());
                out
            }
            _ => path.to_vec(),
        }
    }

    /// The absolute path a written path names: through `use` items, `crate`/`self`/`super`, and
    /// child modules; a bare name nothing imports is taken to be declared in this module (the
    /// index climbs out of function bodies and follows globs when it is not). Other crates' paths
    /// are left as they are.
    pub fn absolute(&self, segments: &[String]) -> Vec<String> {
        let canonical = self.canonical(segments);
        if canonical.len() == 1 && canonical == segments {
            let mut out = vec![self.krate.clone()];
            out.extend(self.module.iter().cloned());
            out.push(canonical[0].clone());
            return out;
        }
        if canonical.len() == 1 {
            return canonical;
        }
        self.absolute_target(&canonical)
    }

    /// Adds the names a `use` item brings in.
    pub fn add_use(&mut self, item: &syn::ItemUse) {
        let mut prefix = Vec::new();
        self.add_use_tree(&mut prefix, &item.tree);
    }

    fn add_use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.add_use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last() {
                        self.uses.insert(last.clone(), prefix.clone());
                    }
                } else {
                    let mut full = prefix.clone();
                    full.push(name.clone());
                    self.uses.insert(name, full);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                let name = r.ident.to_string();
                if name != "self" {
                    full.push(name);
                }
                if r.rename != "_" {
                    self.uses.insert(r.rename.to_string(), full);
                }
            }
            syn::UseTree::Glob(_) => {
                // `use super::*`: the parent's own imports come along.
                if prefix.len() == 1
                    && prefix[0] == "super"
                    && let Some(parent) = self.parent.clone()
                {
                    for (name, target) in &parent.uses {
                        self.uses
                            .entry(name.clone())
                            .or_insert_with(|| target.clone());
                    }
                    self.globs.extend(parent.globs.iter().cloned());
                }
                self.globs.push(prefix.clone());
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.add_use_tree(prefix, tree);
                }
            }
        }
    }

    /// Records `extern crate foo as bar;`.
    pub fn add_extern_crate(&mut self, item: &syn::ItemExternCrate) {
        if let Some((_, rename)) = &item.rename {
            self.uses
                .insert(rename.to_string(), vec![item.ident.to_string()]);
        }
    }

    /// Adds the generic parameters of an item, each bound to its first trait bound; one with no
    /// bound is a type parameter ([`Ty::param`]).
    pub fn add_generics(&mut self, generics: &syn::Generics) {
        for param in generics.type_params() {
            if let Some(bound) = first_trait_bound(param.bounds.iter()) {
                let ty = self.resolve_path(&bound.path);
                self.generics.insert(param.ident.to_string(), ty);
            }
        }
        if let Some(where_clause) = &generics.where_clause {
            for predicate in &where_clause.predicates {
                if let syn::WherePredicate::Type(p) = predicate
                    && let Type::Path(tp) = &p.bounded_ty
                    && tp.qself.is_none()
                    && let Some(ident) = tp.path.get_ident()
                    && let Some(bound) = first_trait_bound(p.bounds.iter())
                {
                    let ty = self.resolve_path(&bound.path);
                    self.generics.entry(ident.to_string()).or_insert(ty);
                }
            }
        }
        for param in generics.type_params() {
            let name = param.ident.to_string();
            self.generics
                .entry(name.clone())
                .or_insert_with(|| Ty::param(&name));
        }
    }

    /// The type parameters of a struct, enum or alias, each with its default and first bound, and
    /// the scope its body is read in, where each stands for itself ([`Ty::param`]) so that a use of
    /// the type can substitute its arguments.
    pub fn with_type_params(&self, generics: &syn::Generics) -> (NameScope, Vec<TypeParam>) {
        let mut bounds = self.clone();
        bounds.add_generics(generics);
        let params: Vec<TypeParam> = generics
            .type_params()
            .map(|p| TypeParam {
                name: p.ident.to_string(),
                default: p.default.as_ref().map(|d| bounds.resolve_type(&d.1)),
                bound: first_trait_bound(p.bounds.iter()).map(|b| bounds.resolve_path(&b.path)),
            })
            .collect();
        let mut inner = self.clone();
        for p in &params {
            inner.generics.insert(p.name.clone(), Ty::param(&p.name));
        }
        (inner, params)
    }

    /// The canonical path for a path as written.
    pub fn canonical(&self, segments: &[String]) -> Vec<String> {
        let Some(first) = segments.first() else {
            return Vec::new();
        };
        if let Some(target) = self.uses.get(first) {
            let mut out = target.clone();
            out.extend(segments[1..].iter().cloned());
            return out;
        }
        if segments.len() == 1
            && self.item_only
            && !self.items.declared.contains(first)
            && let Some(ct) = crate::rust::catalog::unique_by_name(first)
        {
            return vec![ct.family.crates[0].to_string(), first.clone()];
        }
        if segments.len() == 1 {
            // A bare name from a glob of a catalog crate: `use sqlx::postgres::*;` then `PgPool`.
            for glob in &self.globs {
                if let Some(root) = glob.first()
                    && crate::rust::catalog::lookup(root, first).is_some()
                {
                    let mut out = glob.clone();
                    out.push(first.clone());
                    return out;
                }
            }
        }
        segments.to_vec()
    }

    /// Resolves a path (type or expression position) to a type.
    pub fn resolve_path(&self, path: &syn::Path) -> Ty {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() == 1 {
            if segments[0] == "Self"
                && let Some(self_ty) = &self.self_ty
            {
                return self_ty.clone();
            }
            if let Some(bound) = self.generics.get(&segments[0]) {
                return bound.clone();
            }
        }
        let mut args = Vec::new();
        if let Some(last) = path.segments.last()
            && let PathArguments::AngleBracketed(a) = &last.arguments
        {
            for arg in &a.args {
                match arg {
                    GenericArgument::Type(t) => args.push(self.resolve_type(t)),
                    // `Future<Output = T>`, `Iterator<Item = T>`: what the value yields.
                    GenericArgument::AssocType(t) => args.push(self.resolve_type(&t.ty)),
                    _ => {}
                }
            }
        }
        // `Self::Assoc` and `Self::method` keep `Self` resolved.
        let path = if segments.first().is_some_and(|s| s == "Self") && segments.len() > 1 {
            match &self.self_ty {
                Some(self_ty) => {
                    let mut p = self_ty.path.clone();
                    p.extend(segments[1..].iter().cloned());
                    p
                }
                None => segments,
            }
        } else {
            self.absolute(&segments)
        };
        Ty { path, args }
    }

    /// Resolves a syntax type.
    pub fn resolve_type(&self, ty: &Type) -> Ty {
        match ty {
            Type::Path(p) if p.qself.is_none() => self.resolve_path(&p.path),
            Type::Reference(r) => self.resolve_type(&r.elem),
            Type::Paren(p) => self.resolve_type(&p.elem),
            Type::Group(g) => self.resolve_type(&g.elem),
            Type::Ptr(p) => self.resolve_type(&p.elem),
            Type::ImplTrait(t) => match first_trait_bound(t.bounds.iter()) {
                Some(bound) => self.resolve_path(&bound.path),
                None => unknown(),
            },
            Type::TraitObject(t) => match first_trait_bound(t.bounds.iter()) {
                Some(bound) => self.resolve_path(&bound.path),
                None => unknown(),
            },
            Type::Tuple(t) => Ty {
                path: vec!["(tuple)".into()],
                args: t.elems.iter().map(|e| self.resolve_type(e)).collect(),
            },
            Type::Slice(s) => Ty {
                path: vec!["[slice]".into()],
                args: vec![self.resolve_type(&s.elem)],
            },
            Type::Array(a) => Ty {
                path: vec!["[slice]".into()],
                args: vec![self.resolve_type(&a.elem)],
            },
            _ => unknown(),
        }
    }

    /// Resolves a function's return type; `None` for `()`.
    pub fn resolve_return(&self, output: &ReturnType) -> Option<Ty> {
        match output {
            ReturnType::Default => None,
            ReturnType::Type(_, t) => Some(self.resolve_type(t)),
        }
    }
}

/// A type nothing is known about.
pub fn unknown() -> Ty {
    Ty::named(vec!["?".into()])
}

fn first_trait_bound<'a>(
    mut bounds: impl Iterator<Item = &'a TypeParamBound>,
) -> Option<&'a syn::TraitBound> {
    bounds.find_map(|b| match b {
        TypeParamBound::Trait(t) => Some(t),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(src: &str) -> NameScope {
        let file: syn::File = syn::parse_str(src).unwrap();
        let mut scope = NameScope::file(crate_root_segment("app"), vec!["db".into()]);
        for item in &file.items {
            if let syn::Item::Use(u) = item {
                scope.add_use(u);
            }
        }
        scope
    }

    fn resolve(scope: &NameScope, ty: &str) -> Ty {
        scope.resolve_type(&syn::parse_str(ty).unwrap())
    }

    #[test]
    fn use_items_make_paths_canonical() {
        let s = scope(
            "use sqlx::{PgPool, postgres::{self, PgConnection as Conn}}; use bb8 as pool; use deadpool_postgres::*;",
        );
        assert_eq!(resolve(&s, "PgPool").path, ["sqlx", "PgPool"]);
        assert_eq!(
            resolve(&s, "&mut Conn").path,
            ["sqlx", "postgres", "PgConnection"]
        );
        assert_eq!(
            resolve(&s, "postgres::PgPool").path,
            ["sqlx", "postgres", "PgPool"]
        );
        assert_eq!(resolve(&s, "pool::Pool<M>").path, ["bb8", "Pool"]);
        assert_eq!(resolve(&s, "Client").path, ["deadpool_postgres", "Client"]);
        // A glob only answers for names the catalog knows.
        // Anything else is declared in this module, or reached through the index's resolution.
        assert_eq!(resolve(&s, "Config").path, ["crate:app", "db", "Config"]);
        assert_eq!(resolve(&s, "crate::x::Y").path, ["crate:app", "x", "Y"]);
        assert_eq!(resolve(&s, "super::Y").path, ["crate:app", "Y"]);
        assert_eq!(resolve(&s, "self::Y").path, ["crate:app", "db", "Y"]);
        let r = resolve(&s, "Result<sqlx::Transaction<'static, Postgres>, Error>");
        assert_eq!(r.path, ["crate:app", "db", "Result"]);
        assert_eq!(r.args[0].path, ["sqlx", "Transaction"]);
    }

    #[test]
    fn generics_resolve_to_their_bound() {
        let mut s = scope("use sqlx::Acquire;");
        let f: syn::ItemFn =
            syn::parse_str("fn f<'c, A>(a: A) where A: Acquire<'c, Database = Postgres> {}")
                .unwrap();
        s.add_generics(&f.sig.generics);
        assert_eq!(resolve(&s, "A").path, ["sqlx", "Acquire"]);
        assert_eq!(resolve(&s, "impl Acquire<'c>").path, ["sqlx", "Acquire"]);
    }
}
