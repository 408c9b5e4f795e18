//! Adopting the checker on an existing codebase: `--write-baseline FILE` records the current
//! findings, `--baseline FILE` reports only those not recorded. A finding is recognised by its
//! [`fingerprint::Key`] (rule, file, function, the reported expression), never by its line, so
//! lines added above it or edits elsewhere in the file do not bring it back. Paths are stored
//! relative to the baseline's own directory, so the baseline works from any working directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fingerprint::{self, Key};
use crate::report::Outcome;

#[derive(Serialize, Deserialize)]
struct File {
    /// The format's version; a newer one is refused, not misread.
    version: u32,
    findings: Vec<Key>,
}

const VERSION: u32 = 1;

/// The keys of the outcome's findings, with paths relative to `baseline`'s directory.
fn keys(outcome: &Outcome, baseline: &Path) -> Vec<Key> {
    let base = directory(baseline);
    fingerprint::keys(outcome)
        .into_iter()
        .map(|mut key| {
            key.path = relative(Path::new(&key.path), base.as_deref());
            key
        })
        .collect()
}

fn directory(file: &Path) -> Option<PathBuf> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    dir.canonicalize().ok()
}

/// `path` relative to `base`, with `/` separators; as given when it is not below it.
fn relative(path: &Path, base: Option<&Path>) -> String {
    let absolute = path
        .canonicalize()
        .ok()
        .or_else(|| std::env::current_dir().ok().map(|cwd| cwd.join(path)));
    let shown = match (absolute, base) {
        (Some(abs), Some(base)) => abs.strip_prefix(base).map(Path::to_path_buf).unwrap_or(abs),
        _ => path.to_path_buf(),
    };
    shown.to_string_lossy().replace('\\', "/")
}

/// Writes the outcome's findings as a baseline.
pub fn write(outcome: &Outcome, path: &Path) -> Result<(), String> {
    let file = File {
        version: VERSION,
        findings: keys(outcome, path),
    };
    let mut text = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
    text.push(b'\n');
    crate::output::write_atomically(path, &text, outcome)
        .map_err(|e| format!("cannot write the baseline: {e}"))
}

/// Reads a baseline.
pub fn read(path: &Path) -> Result<Vec<Key>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the baseline {}: {}",
            path.display(),
            crate::discover::io_message(&e)
        )
    })?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a scoped-db baseline ({e}); write one with --write-baseline",
            path.display()
        )
    })?;
    if file.version != VERSION {
        return Err(format!(
            "the baseline {} has version {}; this scoped-db reads version {VERSION}",
            path.display(),
            file.version
        ));
    }
    Ok(file.findings)
}

/// Drops the findings the baseline holds: each baseline entry matches one finding at most.
pub fn filter(outcome: &mut Outcome, known: &[Key], path: &Path) {
    let mut left: HashMap<&Key, usize> = HashMap::new();
    for key in known {
        *left.entry(key).or_default() += 1;
    }
    let keys = keys(outcome, path);
    let findings = std::mem::take(&mut outcome.findings);
    let fails = std::mem::take(&mut outcome.fails);
    for ((finding, fails), key) in findings.into_iter().zip(fails).zip(&keys) {
        match left.get_mut(key) {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                outcome.findings.push(finding);
                outcome.fails.push(fails);
            }
        }
    }
}
