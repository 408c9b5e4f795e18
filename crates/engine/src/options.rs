//! What a run is given (its options) and what it refuses: a source that does not parse, or that
//! nests deeper than the parsers may recurse. A leaf, for both frontends and both drivers.

use crate::location::LineCol;

/// What a run checks.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Also check functions that only build for tests (`#[cfg(test)]`, `#[test]`).
    pub include_tests: bool,
    /// The project's own handle types, by name (`#[scoped_db(handles(..))]`).
    pub handles: Vec<String>,
    /// The project's own pools: a type name and the methods that hand out a handle.
    pub pools: Vec<(String, Vec<String>)>,
    /// Functions that hand handles out on purpose (`Type::method` or `name`), as
    /// `#[scoped_db::provider]` marks them.
    pub providers: Vec<String>,
    /// The crates of the run that the source's crate depends on, by the names its code uses.
    pub crates: std::sync::Arc<CrateNames>,
}

/// What one crate calls the crates of the run it depends on: the name its code writes (`db`, for
/// `db = { package = "app-db", path = "../db" }`, or the library's own name) and that crate's root
/// as [`crate::crate_root`] names it from the run's paths (`crates/db`). Read from the manifests by
/// the driver; the engine reads no file. Without it, a path into another crate is not followed.
pub type CrateNames = std::collections::BTreeMap<String, String>;

/// Why a source could not be checked: it does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceError {
    pub message: String,
    pub position: Option<LineCol>,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "{} at line {} column {}", self.message, p.line, p.column),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for SourceError {}

/// Delimiter nesting deeper than this is refused before parsing: syn's parser recurses once per
/// level, and a stack overflow would end the whole run. Real code stays far below it.
pub const MAX_NESTING: usize = 1000;

/// The stack a thread that parses and walks sources needs for [`MAX_NESTING`] levels (the
/// engine's own keeper threads have it; a driver gives its thread pool the same).
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// An upper bound of the nesting depth of `src`: its opening delimiters and, for Python, its
/// deepest indentation (each level of which is at least one leading whitespace character).
pub(crate) fn depth_bound(src: &str) -> usize {
    let openers = src
        .bytes()
        .filter(|b| matches!(b, b'(' | b'[' | b'{'))
        .count();
    let indent = src
        .lines()
        .map(|l| l.len() - l.trim_start().len())
        .max()
        .unwrap_or(0);
    openers + indent
}
