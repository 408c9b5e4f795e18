//! The modules of each crate import each other without cycles, except a module with its own
//! children (`rules` and `rules/escaped_handle`): a lower layer never reaches back up. The graph is
//! read from the syntax of each file under the crate's `src/` (paths that start at `crate`,
//! `super`, `self` or a child module, in `use` items and anywhere else), leaving out
//! `#[cfg(test)]` code. The crate root counts as a module like any other: a facade that the
//! modules below it import from is a cycle too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use syn::visit::Visit;

type Module = Vec<String>;

/// Every module of `src/`, with the file that holds it.
fn modules(src: &Path) -> BTreeMap<Module, std::path::PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Module = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("lib" | "mod")) {
                module.pop();
            }
            out.insert(module, path);
        }
    }
    out
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// The paths a file writes that start at `crate`, `super` or `self`, as segment lists.
#[derive(Default)]
struct Paths(Vec<Vec<String>>);

impl Paths {
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.push_with(prefix, n.ident.to_string()),
            syn::UseTree::Rename(r) => self.push_with(prefix, r.ident.to_string()),
            syn::UseTree::Glob(_) => self.0.push(prefix.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(prefix, t)),
        }
    }

    fn push_with(&mut self, prefix: &[String], last: String) {
        let mut path = prefix.to_vec();
        if last != "self" {
            path.push(last);
        }
        self.0.push(path);
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Macro(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    /// `pub(crate)` and `pub(super)` say who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.0
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }
}

/// The module a path from `from` names: the longest known module it starts with, or none for a
/// path that leaves the crate.
fn target(
    from: &Module,
    path: &[String],
    known: &BTreeMap<Module, std::path::PathBuf>,
) -> Option<Module> {
    let first = path.first()?;
    let (mut base, mut rest): (Module, &[String]) = match first.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (from.clone(), &path[1..]),
        "super" => (from[..from.len().saturating_sub(1)].to_vec(), &path[1..]),
        // A child module named from its parent (`pipeline::check` in lib.rs).
        _ if known.contains_key(&[from.as_slice(), std::slice::from_ref(first)].concat()) => {
            (from.clone(), path)
        }
        _ => return None,
    };
    // `super::super::...`
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    let mut found = base.clone();
    for segment in rest {
        base.push(segment.clone());
        if known.contains_key(&base) {
            found = base.clone();
        } else {
            break;
        }
    }
    Some(found)
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        graph: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let known = modules(src);
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, file) in &known {
        let text = std::fs::read_to_string(file).unwrap();
        let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut paths = Paths::default();
        paths.visit_file(&syntax);
        let edges = graph.entry(module.clone()).or_default();
        for path in &paths.0 {
            if let Some(to) = target(module, path, &known)
                && to != *module
            {
                edges.insert(to);
            }
        }
    }
    graph
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "lib".to_string()
    } else {
        module.join("/")
    }
}

/// The import cycles of the crate whose sources are under `src`, one text per cycle.
fn wrong_cycles(src: &Path) -> Vec<String> {
    let graph = graph(src);
    assert!(
        !graph.is_empty(),
        "no modules found under {}",
        src.display()
    );
    cycles(&graph)
        .into_iter()
        // A module and its own children may refer to each other (a registry and its entries).
        .filter(|component| {
            !component
                .iter()
                .any(|parent| !parent.is_empty() && component.iter().all(|m| m.starts_with(parent)))
        })
        .map(|component| {
            // Each module's imports inside the cycle, to show which to cut.
            component
                .iter()
                .map(|m| {
                    let inside: Vec<String> = graph[m]
                        .iter()
                        .filter(|t| component.contains(t))
                        .map(name)
                        .collect();
                    format!("  {} -> {}", name(m), inside.join(", "))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

#[test]
fn modules_import_each_other_without_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for krate in ["src", "crates/engine/src", "crates/macros/src"] {
        let wrong = wrong_cycles(&root.join(krate));
        assert!(
            wrong.is_empty(),
            "import cycles in {krate}:\n{}",
            wrong.join("\n\n")
        );
    }
}

#[test]
fn a_cycle_is_found_and_a_module_with_its_children_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "mod a; mod b; mod c; mod d; mod rules;\npub use a::A;\n",
    );
    write("a.rs", "use crate::b::B;\npub struct A;\n");
    write("b.rs", "pub struct B(crate::c::C);\n");
    write(
        "c.rs",
        "pub struct C;\nfn f() { super::a::A; }\n#[cfg(test)]\nmod tests { use crate::d::D; }\n",
    );
    write(
        "d.rs",
        "pub struct D;\npub(crate) fn g() { let _ = crate::d::D; }\n",
    );
    write(
        "rules/mod.rs",
        "pub mod one;\npub struct Rule;\nfn all() { one::check(); }\n",
    );
    write("rules/one.rs", "pub fn check() { let _ = super::Rule; }\n");
    write("e.rs", "pub struct E;\n");
    let wrong = wrong_cycles(dir.path());
    // a -> b -> c -> a is one; `rules` and its child, the test-only import and `pub(crate)` are not.
    assert_eq!(wrong, ["  a -> b\n  b -> c\n  c -> a"]);
}
