//! What a run reports: the files it knows, its findings and the files it could not check. Data
//! only, so the emitters, the baseline, the fingerprints and the output file read it without
//! importing the run that makes it (`run.rs`), and the language server names files the way SARIF
//! does.

use std::sync::Arc;

use scoped_db_engine::suppress::Suppression;
use scoped_db_engine::{Finding, LineCol, Location};

/// A file the run knows about.
pub struct SourceFile {
    /// As given on the command line joined with the path below it.
    pub path: String,
    /// The text, for the files whose findings or errors are rendered (read again at the end of the
    /// run: a run holds summaries, never every file's text).
    pub text: Option<Arc<str>>,
}

/// A file that could not be checked.
pub struct FileError {
    pub path: String,
    /// What went wrong, with the position when there is one (`expected `;` at line 3 column 9`).
    pub message: String,
    /// The same without the position, for output that shows the position another way.
    pub detail: String,
    /// Where in the file, for a parse error.
    pub position: Option<LineCol>,
    /// Index into [`Outcome::files`], when the file was read.
    pub file: Option<usize>,
}

/// Everything a run produced, for the emitters.
pub struct Outcome {
    pub files: Vec<SourceFile>,
    pub findings: Vec<(usize, Finding<Location>)>,
    pub errors: Vec<FileError>,
    pub files_checked: usize,
    /// Suppression comments that silenced nothing, when asked for.
    pub unused_suppressions: Option<Vec<(usize, Suppression)>>,
    /// For each finding, whether it reaches the failing severity of its file's configuration.
    pub fails: Vec<bool>,
    /// Files not checked on purpose (over `--max-file-size`), with why.
    pub skipped: Vec<Skipped>,
}

/// A file left out on purpose.
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// A path as a URI reference: relative paths stay relative (to the directory the run started in,
/// the repository root in CI), with `/` separators and every byte outside the unreserved set and
/// `/` percent-encoded; an absolute path becomes a `file://` URI.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("src/db.rs"), "src/db.rs");
        assert_eq!(uri("./src/db.rs"), "src/db.rs");
        assert_eq!(uri("my dir/a#b%.rs"), "my%20dir/a%23b%25.rs");
        assert_eq!(uri("/abs/ü.py"), "file:///abs/%C3%BC.py");
        assert_eq!(uri("src\\win.rs"), "src/win.rs");
    }
}
