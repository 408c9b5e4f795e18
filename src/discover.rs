//! Finding the files to check.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// A path that could not be read while looking for files.
#[derive(Debug)]
pub struct DiscoveryError {
    pub path: PathBuf,
    pub message: String,
}

/// Directories that only hold code built for tests.
const TEST_DIRS: &[&str] = &["tests", "test", "benches", "examples"];

/// Directories of installed or generated code, never the project's own.
const VENDORED_DIRS: &[&str] = &[
    "target",
    "__pycache__",
    "node_modules",
    "site-packages",
    "venv",
];

/// Files to check under `roots`, in a stable order: each root in the order given, directories
/// walked in file-name order. A file is listed once even when reached twice.
pub fn discover(roots: &[PathBuf], include_tests: bool) -> (Vec<PathBuf>, Vec<DiscoveryError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |path: PathBuf, files: &mut Vec<PathBuf>| {
        let key = path.canonicalize().unwrap_or_else(|_| path.clone());
        if seen.insert(key) {
            files.push(path);
        }
    };
    for root in roots {
        let meta = match std::fs::metadata(root) {
            Ok(meta) => meta,
            Err(e) => {
                errors.push(DiscoveryError {
                    path: root.clone(),
                    message: io_message(&e),
                });
                continue;
            }
        };
        if !meta.is_dir() {
            // Named explicitly: always checked, whatever its name.
            add(root.clone(), &mut files);
            continue;
        }
        let walker = WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !skip_dir(e, include_tests));
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_file()
                        && is_source(entry.path())
                        && (include_tests || !is_test_file(entry.path()))
                    {
                        add(entry.into_path(), &mut files);
                    }
                }
                Err(e) => errors.push(DiscoveryError {
                    path: e.path().map_or_else(|| root.clone(), Path::to_path_buf),
                    message: e.io_error().map_or_else(|| e.to_string(), io_message),
                }),
            }
        }
    }
    (files, errors)
}

fn skip_dir(entry: &walkdir::DirEntry, include_tests: bool) -> bool {
    if !entry.file_type().is_dir() {
        return false;
    }
    let name = entry.file_name().to_string_lossy();
    name.starts_with('.')
        || VENDORED_DIRS.contains(&name.as_ref())
        || (!include_tests && TEST_DIRS.contains(&name.as_ref()))
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
