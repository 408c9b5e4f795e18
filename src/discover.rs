//! Finding the files to check: directories are walked with walkdir, and ignore files are matched
//! with ripgrep's gitignore matcher (`ignore::gitignore`), so the run sees the tree the way git
//! does: `.gitignore` and `.ignore` in every directory (the deeper one wins, `.ignore` over
//! `.gitignore`), and for a git repository those of the directories above the walked one up to its
//! root, `.git/info/exclude` and the global excludes file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

/// A path that could not be read while looking for files.
#[derive(Debug)]
pub struct DiscoveryError {
    pub path: PathBuf,
    pub message: String,
}

/// How directories are walked.
pub struct Walk<'a> {
    pub include_tests: bool,
    /// Honour `.gitignore`, `.ignore` and git's exclude files (off with `--no-ignore`).
    pub respect_ignore: bool,
    pub follow_links: bool,
    /// Whether a path the walk reaches is excluded by the configuration or `--exclude`; an
    /// excluded directory is not entered.
    pub excluded: &'a dyn Fn(&Path) -> bool,
    /// Apply `excluded` to the paths named as roots too, and to the directories above them
    /// (`--force-exclude`: pre-commit names every staged file, excluded or not).
    pub force_exclude: bool,
}

/// Directories that only hold code built for tests.
const TEST_DIRS: &[&str] = &["tests", "test", "benches", "examples"];

/// Files to check under `roots`, in a stable order: each root in the order given, directories
/// walked in file-name order. A file is listed once even when reached twice. A file named as a
/// root is always listed, whatever ignores or excludes it, unless `force_exclude` says excludes
/// apply to it too.
pub fn discover(roots: &[PathBuf], walk: &Walk<'_>) -> (Vec<PathBuf>, Vec<DiscoveryError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    // Without links followed, one walk reaches a file once; a file is looked up by its real path
    // only when it could be reached twice.
    let twice = roots.len() > 1 || walk.follow_links;
    let mut add = |path: PathBuf, files: &mut Vec<PathBuf>| {
        if !twice || seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())) {
            files.push(path);
        }
    };
    for root in roots {
        if walk.force_exclude
            && root
                .ancestors()
                .filter(|a| !a.as_os_str().is_empty() && a.parent().is_some())
                .any(|a| (walk.excluded)(a))
        {
            continue;
        }
        let meta = match std::fs::metadata(root) {
            Ok(meta) => meta,
            Err(e) => {
                let message = match std::fs::symlink_metadata(root) {
                    Ok(link)
                        if link.file_type().is_symlink()
                            && e.kind() == std::io::ErrorKind::NotFound =>
                    {
                        "is a symbolic link to nothing (dangling)".to_string()
                    }
                    _ => io_message(&e),
                };
                errors.push(DiscoveryError {
                    path: root.clone(),
                    message,
                });
                continue;
            }
        };
        if !meta.is_dir() {
            // Named explicitly: always checked, whatever its name.
            add(root.clone(), &mut files);
            continue;
        }
        let mut ignores = walk
            .respect_ignore
            .then(|| root.canonicalize().ok().map(|abs| Ignores::new(&abs)))
            .flatten();
        let walker = WalkDir::new(root)
            .follow_links(walk.follow_links)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                let is_dir = e.file_type().is_dir();
                if is_dir && skip_dir(e, walk.include_tests) {
                    return false;
                }
                if (walk.excluded)(e.path()) {
                    return false;
                }
                let relative = e.path().strip_prefix(root).unwrap_or(e.path());
                !ignores
                    .as_mut()
                    .is_some_and(|ignores| ignores.ignored(relative, is_dir))
            });
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_file()
                        && is_source(entry.path())
                        && (walk.include_tests || !is_test_file(entry.path()))
                    {
                        add(entry.into_path(), &mut files);
                    }
                }
                Err(e) => errors.push(DiscoveryError {
                    path: e.path().map_or_else(|| root.clone(), Path::to_path_buf),
                    message: if e.loop_ancestor().is_some() {
                        "symbolic link loop: it points back to a directory above it".into()
                    } else {
                        e.io_error().map_or_else(|| e.to_string(), io_message)
                    },
                }),
            }
        }
    }
    (files, errors)
}

/// The ignore files that apply under one walked directory.
struct Ignores {
    /// The walked directory, absolute.
    root: PathBuf,
    /// The directories above the root whose ignore files apply too (up to the repository's root),
    /// nearest first.
    above: Vec<PathBuf>,
    /// `.git/info/exclude` and the global excludes file, when the root is in a repository.
    repository: Vec<Gitignore>,
    /// Each directory's `.ignore` and `.gitignore`, read once.
    by_dir: HashMap<PathBuf, [Option<Gitignore>; 2]>,
}

impl Ignores {
    fn new(root: &Path) -> Ignores {
        let repo = root.ancestors().find(|d| d.join(".git").exists());
        let mut above = Vec::new();
        let mut repository = Vec::new();
        if let Some(repo) = repo {
            above = root
                .ancestors()
                .skip(1)
                .take_while(|d| d.starts_with(repo))
                .map(Path::to_path_buf)
                .collect();
            if let Some(exclude) = matcher(repo, &repo.join(".git/info/exclude")) {
                repository.push(exclude);
            }
            let (global, _) = Gitignore::global();
            if !global.is_empty() {
                repository.push(global);
            }
        }
        Ignores {
            root: root.to_path_buf(),
            above,
            repository,
            by_dir: HashMap::new(),
        }
    }

    /// Whether `relative` (below the root) is ignored: the nearest ignore file with a verdict on
    /// it decides, as git's precedence has it.
    fn ignored(&mut self, relative: &Path, is_dir: bool) -> bool {
        let path = self.root.join(relative);
        let dirs: Vec<PathBuf> = path
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(&self.root))
            .map(Path::to_path_buf)
            .chain(self.above.iter().cloned())
            .collect();
        for dir in dirs {
            let matchers = self.by_dir.entry(dir.clone()).or_insert_with(|| {
                [
                    matcher(&dir, &dir.join(".ignore")),
                    matcher(&dir, &dir.join(".gitignore")),
                ]
            });
            for m in matchers.iter().flatten() {
                match m.matched(&path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        self.repository
            .iter()
            .any(|m| m.matched(&path, is_dir).is_ignore())
    }
}

/// The matcher of one ignore file, if it exists and says anything. Lines that are not valid
/// patterns are skipped, as git skips them.
fn matcher(dir: &Path, file: &Path) -> Option<Gitignore> {
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    let _ = builder.add(file);
    builder.build().ok().filter(|m| !m.is_empty())
}

fn skip_dir(entry: &walkdir::DirEntry, include_tests: bool) -> bool {
    let name = entry.file_name().to_string_lossy();
    name.starts_with('.') || (!include_tests && TEST_DIRS.contains(&name.as_ref()))
}

fn is_source(path: &Path) -> bool {
    scoped_db_engine::is_source_path(&path.to_string_lossy())
}

/// pytest's test modules: `test_*.py`, `*_test.py`, `conftest.py`.
fn is_test_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".py")
        && (name.starts_with("test_") || name.ends_with("_test.py") || name == "conftest.py")
}

/// An I/O error as a short lowercase message.
pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let mut s = e.to_string();
            if let Some(i) = s.find(" (os error") {
                s.truncate(i);
            }
            s.to_lowercase()
        }
    }
}
