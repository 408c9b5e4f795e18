//! Writing a report or a baseline to a file: to a temporary file next to it, then renamed over it,
//! so a reader never sees half a report; never over a file the run checked.

use std::io::{self, Write};
use std::path::Path;

use crate::report::Outcome;

/// Writes `bytes` to `path` atomically; refuses a path that is one of the checked files.
pub fn write_atomically(path: &Path, bytes: &[u8], outcome: &Outcome) -> io::Result<()> {
    if let Ok(target) = path.canonicalize()
        && outcome
            .files
            .iter()
            .any(|f| Path::new(&f.path).canonicalize().is_ok_and(|p| p == target))
    {
        return Err(io::Error::other(format!(
            "{} is one of the checked files; the report is never written over a source",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)
        .map_err(|e| io::Error::new(e.error.kind(), format!("{}: {}", path.display(), e.error)))?;
    Ok(())
}
