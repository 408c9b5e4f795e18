//! Every fixture under `fixtures/` declares its truth in `// expect:` lines; this runs the engine over
//! each and compares.
//!
//! - `// expect: SDB001 Type::method`: one finding of that rule in that function (repeat the line for
//!   several findings in one function); `// expect: none`: nothing in this file.
//! - `// expect(include-tests): ...`: the same, for a run with `--include-tests`.
//!
//! A top-level `fixtures/*.rs` file is a run on its own; a directory that holds `.rs` files is one
//! run over all of them (cross-file propagation), and a directory without is searched further.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::units;
use scoped_db_engine::check_run;

type Expected = BTreeMap<(String, String), usize>;

/// `(expect, expect(include-tests))` of one file, or an error when it declares nothing.
fn expectations(path: &Path, text: &str) -> (Expected, Option<Expected>) {
    let mut default = Expected::new();
    let mut with_tests: Option<Expected> = None;
    let mut declared = false;
    for line in text.lines() {
        let line = line.trim();
        // `// expect:` in Rust, `# expect:` in Python.
        let line = line
            .strip_prefix("//")
            .or_else(|| line.strip_prefix('#'))
            .map_or(line, str::trim_start);
        let (target, rest) = if let Some(rest) = line.strip_prefix("expect(include-tests):") {
            (with_tests.get_or_insert_with(Expected::new), rest)
        } else if let Some(rest) = line.strip_prefix("expect:") {
            declared = true;
            (&mut default, rest)
        } else {
            continue;
        };
        let rest = rest.trim();
        if rest == "none" {
            continue;
        }
        let (code, function) = rest
            .split_once(' ')
            .unwrap_or_else(|| panic!("{}: bad expect line `{line}`", path.display()));
        *target
            .entry((code.to_string(), function.trim().to_string()))
            .or_default() += 1;
    }
    assert!(
        declared,
        "{}: a fixture declares its truth in `// expect:` (`# expect:`) lines",
        path.display()
    );
    (default, with_tests)
}

#[test]
fn every_fixture_matches_its_header() {
    let units = units();
    assert!(units.len() >= 10, "fixtures were found: {units:?}");
    let mut failures = Vec::new();
    for unit in &units {
        let texts = common::read(unit);
        for include_tests in [false, true] {
            let options = common::file_options(unit, &common::options_for(unit, include_tests));
            let report = check_run(&common::sources(&texts, &options));
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            for (i, (path, text)) in texts.iter().enumerate() {
                let (default, with_tests) = expectations(Path::new(path), text);
                let expected = match (include_tests, with_tests) {
                    (false, _) => default,
                    (true, Some(w)) => w,
                    (true, None) => continue,
                };
                let mut actual = Expected::new();
                for (file, f) in &report.findings {
                    if *file == i {
                        *actual
                            .entry((f.rule.code().to_string(), f.function.clone()))
                            .or_default() += 1;
                    }
                }
                if actual != expected {
                    let detail: Vec<String> = report
                        .findings
                        .iter()
                        .filter(|(file, _)| *file == i)
                        .map(|(_, f)| {
                            format!(
                                "  {}:{}:{} {} {}: {}",
                                path,
                                f.primary.span.start.line,
                                f.primary.span.start.column,
                                f.rule.code(),
                                f.function,
                                f.message
                            )
                        })
                        .collect();
                    failures.push(format!(
                        "{path} (include_tests: {include_tests})\n expected {expected:?}\n actual   {actual:?}\n{}",
                        detail.join("\n")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn every_rule_has_a_fixture_that_fires() {
    let mut expected_codes = std::collections::BTreeSet::new();
    for unit in units() {
        for (path, text) in common::read(&unit) {
            let (default, with_tests) = expectations(Path::new(&path), &text);
            for (code, _) in default
                .keys()
                .chain(with_tests.iter().flat_map(|w| w.keys()))
            {
                expected_codes.insert(code.clone());
            }
        }
    }
    for info in scoped_db_engine::rules::RULES {
        assert!(
            expected_codes.contains(info.code),
            "{} has no fixture that expects it",
            info.code
        );
    }
}
