//! The invariant behind every finding: adding unrelated code to a run never adds nor removes one.
//!
//! Every fixture run (a file, or a directory that is one project) is checked on its own, then all
//! of them are checked in one run, as a monorepo or a vendored tree would be, each file with its
//! own project's configuration. Per file, the findings must be the same.

mod common;

use std::collections::BTreeMap;

use scoped_db_engine::{Source, check_run};

/// `(path, rule, function, line, column)` per finding.
type Found = BTreeMap<String, Vec<(String, String, usize, usize)>>;

fn found(sources: &[Source<'_>]) -> Found {
    let report = check_run(sources);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut out = Found::new();
    for (i, f) in report.findings {
        out.entry(sources[i].path.to_string()).or_default().push((
            f.rule.code().to_string(),
            f.function,
            f.primary.span.start.line,
            f.primary.span.start.column,
        ));
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

#[test]
fn all_fixtures_in_one_run_find_what_each_finds_alone() {
    let (texts, options) = common::runs();
    let mut alone = Found::new();
    let mut all = Vec::new();
    for (unit, options) in texts.iter().zip(&options) {
        let sources = common::sources(unit, options);
        alone.extend(found(&sources));
        all.extend(sources);
    }
    let together = found(&all);
    let mut differences = Vec::new();
    for path in alone.keys().chain(together.keys()) {
        let a = alone.get(path).cloned().unwrap_or_default();
        let t = together.get(path).cloned().unwrap_or_default();
        if a != t {
            differences.push(format!("{path}\n  alone    {a:?}\n  together {t:?}"));
        }
    }
    differences.dedup();
    assert!(
        differences.is_empty(),
        "findings that depend on unrelated code in the run:\n{}",
        differences.join("\n")
    );
    assert!(!alone.is_empty(), "the fixtures produce findings");
}
