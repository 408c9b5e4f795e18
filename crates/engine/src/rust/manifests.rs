//! The crates of a run, read from their manifests: which package each Rust source belongs to, and
//! what that package's code calls the other packages of the run it depends on.
//!
//! Only what a manifest states is used, never resolved or fetched (`cargo metadata` would run the
//! project's tooling and reach the network): the package name and `[lib] name`, `[dependencies]`
//! (also per `[target.'cfg(..)']`) with `path`, `package = ".."` renames and `workspace = true`
//! inherited from the workspace root's `[workspace.dependencies]`, and `[dev-dependencies]` for
//! tests, benches, examples and build scripts. A dependency links two crates only through a path
//! that leads to a package whose sources are in the run, so two workspaces in one run that both
//! have a crate named `db` never mix, and a registry dependency keeps resolving through the
//! catalog as before.
//!
//! The engine reads no file: the driver hands in how to read one.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::frontend::crate_root;
use crate::options::CrateNames;

/// A manifest that could not be used: the run goes on without the crate names it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestProblem {
    pub path: PathBuf,
    pub reason: String,
}

/// Reads one file for [`crate_names`]; `NotFound` means there is no manifest there.
pub type ReadFile<'a> = dyn FnMut(&Path) -> std::io::Result<String> + 'a;

/// What each source's crate calls the crates of the run it depends on, in the order of
/// `sources` (the path on disk and the path as the run writes it), and the manifests that could
/// not be used. Manifests are read with `read`, from the directories above each Rust source.
pub fn crate_names(
    sources: &[(&Path, &str)],
    read: &mut ReadFile<'_>,
) -> (Vec<Arc<CrateNames>>, Vec<ManifestProblem>) {
    let mut manifests = Manifests {
        read,
        by_dir: HashMap::new(),
        problems: Vec::new(),
    };
    let files: Vec<Option<(PathBuf, PathBuf)>> = sources
        .iter()
        .map(|(path, written)| {
            if !written.ends_with(".rs") {
                return None;
            }
            let file = absolute(path)?;
            let package = manifests.package_of(&file)?;
            Some((file, package))
        })
        .collect();
    // The root each package's library sources are named by in the run.
    let mut lib_roots: HashMap<PathBuf, String> = HashMap::new();
    for (found, (_, written)) in files.iter().zip(sources) {
        if let Some((file, package)) = found
            && file.starts_with(package.join("src"))
        {
            lib_roots
                .entry(package.clone())
                .or_insert_with(|| crate_root(written));
        }
    }
    let empty = Arc::new(CrateNames::new());
    let mut by_role: HashMap<(PathBuf, bool), Arc<CrateNames>> = HashMap::new();
    let names = files
        .iter()
        .map(|found| {
            let Some((file, package)) = found else {
                return empty.clone();
            };
            // Tests, benches, examples and build scripts also see the dev-dependencies.
            let test_side = !file.starts_with(package.join("src"));
            by_role
                .entry((package.clone(), test_side))
                .or_insert_with(|| Arc::new(manifests.names(package, test_side, &lib_roots)))
                .clone()
        })
        .collect();
    (names, manifests.problems)
}

/// One dependency as a manifest writes it.
#[derive(Debug, Clone, Default)]
struct Dependency {
    /// The key: what the code calls it when the entry renames a package.
    key: String,
    package: Option<String>,
    path: Option<String>,
    workspace: bool,
}

#[derive(Debug, Clone, Default)]
struct Manifest {
    /// `[package] name`, when the manifest is a package's.
    package: Option<String>,
    /// `[lib] name`.
    lib: Option<String>,
    dependencies: Vec<Dependency>,
    dev_dependencies: Vec<Dependency>,
    /// `[workspace.dependencies]`, when the manifest is a workspace root's.
    workspace: Option<Vec<Dependency>>,
}

impl Manifest {
    /// The name a package's library is written with in code.
    fn lib_name(&self) -> Option<String> {
        self.lib
            .clone()
            .or_else(|| self.package.clone())
            .map(|n| n.replace('-', "_"))
    }
}

/// The manifests read so far, by directory (`None`: none there, or not usable).
struct Manifests<'r, 'a> {
    read: &'r mut ReadFile<'a>,
    by_dir: HashMap<PathBuf, Option<Manifest>>,
    problems: Vec<ManifestProblem>,
}

impl Manifests<'_, '_> {
    fn at(&mut self, dir: &Path) -> Option<&Manifest> {
        if !self.by_dir.contains_key(dir) {
            let read = self.read(&dir.join("Cargo.toml"));
            self.by_dir.insert(dir.to_path_buf(), read);
        }
        self.by_dir.get(dir).and_then(Option::as_ref)
    }

    fn read(&mut self, path: &Path) -> Option<Manifest> {
        let text = match (self.read)(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.problem(path, format!("cannot be read: {e}"));
                return None;
            }
        };
        match parse(&text) {
            Ok(manifest) => Some(manifest),
            Err(reason) => {
                self.problem(path, reason);
                None
            }
        }
    }

    fn problem(&mut self, path: &Path, reason: String) {
        self.problems.push(ManifestProblem {
            path: path.to_path_buf(),
            reason,
        });
    }

    /// The directory of the package a source file belongs to: the nearest one above it whose
    /// manifest has a `[package]`.
    fn package_of(&mut self, file: &Path) -> Option<PathBuf> {
        let mut dir = file.parent();
        while let Some(d) = dir {
            if self.at(d).is_some_and(|m| m.package.is_some()) {
                return Some(d.to_path_buf());
            }
            dir = d.parent();
        }
        None
    }

    /// The workspace root above (or at) a package: the nearest manifest with a `[workspace]`.
    fn workspace_of(&mut self, package: &Path) -> Option<PathBuf> {
        let mut dir = Some(package);
        while let Some(d) = dir {
            if self.at(d).is_some_and(|m| m.workspace.is_some()) {
                return Some(d.to_path_buf());
            }
            dir = d.parent();
        }
        None
    }

    /// What a package's code (its library and binaries, or with `test_side` its tests, benches,
    /// examples and build script) calls the packages of the run it depends on.
    fn names(
        &mut self,
        package: &Path,
        test_side: bool,
        lib_roots: &HashMap<PathBuf, String>,
    ) -> CrateNames {
        let Some(manifest) = self.at(package).cloned() else {
            return CrateNames::new();
        };
        let mut names = CrateNames::new();
        // A binary, a test or an example names its own library by the library's name.
        if let (Some(name), Some(root)) = (manifest.lib_name(), lib_roots.get(package)) {
            names.insert(name, root.clone());
        }
        let mut deps = manifest.dependencies.clone();
        if test_side {
            deps.extend(manifest.dev_dependencies.iter().cloned());
        }
        for dep in deps {
            let Some((name, dir)) = self.target(package, &dep) else {
                continue;
            };
            if let Some(root) = lib_roots.get(&dir) {
                names.insert(name, root.clone());
            }
        }
        names
    }

    /// Where a dependency leads (the directory of a package) and the name the code uses for it;
    /// `None` for a registry or git dependency.
    fn target(&mut self, package: &Path, dep: &Dependency) -> Option<(String, PathBuf)> {
        let (base, path, renamed) = if dep.workspace {
            let root = self.workspace_of(package)?;
            let inherited = self
                .at(&root)?
                .workspace
                .as_ref()?
                .iter()
                .find(|d| d.key == dep.package.as_deref().unwrap_or(&dep.key))?
                .clone();
            let renamed = dep.package.is_some() || inherited.package.is_some();
            (root, inherited.path?, renamed)
        } else {
            (
                package.to_path_buf(),
                dep.path.clone()?,
                dep.package.is_some(),
            )
        };
        let dir = normalize(&base.join(path));
        let name = if renamed {
            dep.key.replace('-', "_")
        } else {
            self.at(&dir)?.lib_name()?
        };
        Some((name, dir))
    }
}

/// Reads the parts of a manifest that name crates. Only the TOML itself can be wrong: a key of
/// an unexpected shape is not a crate name and is left out.
fn parse(text: &str) -> Result<Manifest, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("not valid TOML (line {line}): {message}")
            }
            None => format!("not valid TOML: {message}"),
        }
    })?;
    let str_at = |t: &toml::Table, section: &str, key: &str| {
        t.get(section)
            .and_then(|s| s.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut manifest = Manifest {
        package: str_at(&table, "package", "name"),
        lib: str_at(&table, "lib", "name"),
        ..Manifest::default()
    };
    manifest.dependencies = dependencies(table.get("dependencies"));
    manifest.dev_dependencies = dependencies(table.get("dev-dependencies"));
    // `build-dependencies` are only the build script's: read with the dev side, which includes it.
    manifest
        .dev_dependencies
        .extend(dependencies(table.get("build-dependencies")));
    if let Some(targets) = table.get("target").and_then(|t| t.as_table()) {
        for target in targets.values() {
            manifest
                .dependencies
                .extend(dependencies(target.get("dependencies")));
            manifest
                .dev_dependencies
                .extend(dependencies(target.get("dev-dependencies")));
        }
    }
    if let Some(workspace) = table.get("workspace") {
        manifest.workspace = Some(dependencies(workspace.get("dependencies")));
    }
    Ok(manifest)
}

fn dependencies(section: Option<&toml::Value>) -> Vec<Dependency> {
    let Some(section) = section.and_then(|s| s.as_table()) else {
        return Vec::new();
    };
    section
        .iter()
        .filter_map(|(key, value)| {
            let entry = value.as_table()?;
            let text = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_string);
            Some(Dependency {
                key: key.clone(),
                package: text("package"),
                path: text("path"),
                workspace: entry
                    .get("workspace")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
            })
        })
        .collect()
}

/// A path made absolute without touching the file system beyond the working directory.
fn absolute(path: &Path) -> Option<PathBuf> {
    std::path::absolute(path).ok().map(|p| normalize(&p))
}

/// `..` and `.` taken out lexically: manifests name their dependencies by relative paths.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_and_inherited_dependencies_are_read() {
        let m = parse(
            "[package]\nname = \"app-api\"\n[lib]\nname = \"api\"\n\
             [dependencies]\ndb = { workspace = true, package = \"app-db\" }\nsqlx = \"0.8\"\n\
             [target.'cfg(unix)'.dependencies]\nunixy = { path = \"../unixy\" }\n\
             [dev-dependencies]\nfixtures = { path = \"../fixtures\" }\n",
        )
        .unwrap();
        assert_eq!(m.lib_name().as_deref(), Some("api"));
        let keys: Vec<&str> = m.dependencies.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["db", "unixy"]);
        assert!(m.dependencies[0].workspace);
        assert_eq!(m.dependencies[0].package.as_deref(), Some("app-db"));
        assert_eq!(m.dev_dependencies[0].path.as_deref(), Some("../fixtures"));
        assert!(m.workspace.is_none());
    }

    #[test]
    fn bad_toml_names_the_line() {
        let err = parse("[package]\nname = \"x\"\n[dependencies\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(
            normalize(Path::new("/w/crates/api/../db/./src")),
            Path::new("/w/crates/db/src")
        );
    }
}
