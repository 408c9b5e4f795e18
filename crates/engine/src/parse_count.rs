//! Test-only: how many times each path was parsed, so a test can prove that a run parses a file
//! once. Outside `cfg(test)` recording compiles to nothing.

#[cfg(test)]
static PARSES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Counts one parse of `path`.
#[cfg_attr(not(test), inline(always))]
pub(crate) fn record(path: &str) {
    #[cfg(test)]
    PARSES
        .lock()
        .expect("no test panics while holding the lock")
        .push(path.to_string());
    let _ = path;
}

/// How many times `path` was parsed in this test binary: tests use paths of their own, so they
/// never count each other's parses.
#[cfg(test)]
pub(crate) fn parses(path: &str) -> usize {
    PARSES
        .lock()
        .expect("no test panics while holding the lock")
        .iter()
        .filter(|p| *p == path)
        .count()
}
