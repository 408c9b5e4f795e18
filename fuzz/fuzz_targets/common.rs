//! What every target asserts: the engine returns, and what it returns is not an internal error
//! (the engine catches its own panics per file and reports them; here they are crashes).

use scoped_db_engine::{Options, Source, check_run_with};

/// Checks `text` as the file `path`, with and without the prefilter.
pub fn check(path: &str, text: &str) {
    let options = Options::default();
    // Two files: the same text under two names, so the cross-file step links real edges.
    let other = path.replacen('.', "_copy.", 1);
    let sources = [
        Source { path, text, options: &options },
        Source { path: &other, text, options: &options },
    ];
    for prefilter in [false, true] {
        let report = check_run_with(&sources, prefilter);
        for (_, e) in &report.errors {
            assert!(!e.message.starts_with("internal error"), "{}", e.message);
        }
    }
}
