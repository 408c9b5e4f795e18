//! Types as the analysis sees them: paths made canonical through the `use` items in scope.

use std::collections::HashMap;

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

    pub fn last(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or("")
    }

    /// Whether the path can only name something defined in the checked code (or the prelude):
    /// `Foo`, `crate::db::Foo`, `self::Foo`, `super::Foo`.
    pub fn is_local(&self) -> bool {
        self.path.len() <= 1 || matches!(self.path[0].as_str(), "crate" | "self" | "super")
    }

    /// The first type argument: `T` in `Result<T, E>`, `Option<T>`, `Arc<T>`.
    pub fn first_arg(&self) -> Option<&Ty> {
        self.args.first()
    }
}

/// The names a module can see: its `use` items (and those of the modules around it), globs, and
/// the generic parameters of the item being read.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    uses: HashMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// Generic parameters mapped to the first bound that means something (`A: sqlx::Acquire`).
    generics: HashMap<String, Ty>,
    /// The type `Self` stands for.
    pub self_ty: Option<Ty>,
    /// Reading one item on its own (the macro door): the `use` items are out of sight, so a bare
    /// name that only one library's catalog has (`PgPool`, `PoolConnection`) is taken to be it.
    pub item_only: bool,
}

impl Scope {
    /// The scope for reading one item on its own.
    pub fn item_only() -> Scope {
        Scope {
            item_only: true,
            ..Scope::default()
        }
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
            syn::UseTree::Glob(_) => self.globs.push(prefix.clone()),
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

    /// Adds the generic parameters of an item, each bound to its first trait bound.
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
            && let Some(ct) = crate::catalog::unique_by_name(first)
        {
            return vec![ct.family.crates[0].to_string(), first.clone()];
        }
        if segments.len() == 1 {
            // A bare name from a glob of a catalog crate: `use sqlx::postgres::*;` then `PgPool`.
            for glob in &self.globs {
                if let Some(root) = glob.first()
                    && crate::catalog::lookup(root, first).is_some()
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
                if let GenericArgument::Type(t) = arg {
                    args.push(self.resolve_type(t));
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
            self.canonical(&segments)
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

    fn scope(src: &str) -> Scope {
        let file: syn::File = syn::parse_str(src).unwrap();
        let mut scope = Scope::default();
        for item in &file.items {
            if let syn::Item::Use(u) = item {
                scope.add_use(u);
            }
        }
        scope
    }

    fn resolve(scope: &Scope, ty: &str) -> Ty {
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
        assert_eq!(resolve(&s, "Config").path, ["Config"]);
        let r = resolve(&s, "Result<sqlx::Transaction<'static, Postgres>, Error>");
        assert_eq!(r.path, ["Result"]);
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
