//! One engine, two doors: every fixture through the macro's entry point (`check_item`, which sees
//! one item) and through the command line's (`check_sources`, which sees the whole run).
//!
//! - A whole file handed to the macro as one inline `mod` must get exactly what the command line
//!   reports for that file, when the file is a run on its own: nothing it needs is out of sight.
//! - Each top-level item on its own may differ, and the snapshot lists every difference with its
//!   reason, so a change in either door shows up in review.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use scoped_db_engine::{Location, Options, check_item, check_run};

type Found = BTreeMap<(String, usize), usize>;

/// Both doors get what the run's configuration declares; the macro checks whatever it marks,
/// test code included.
fn options(unit: &[std::path::PathBuf]) -> Options {
    common::options_for(unit, true)
}

fn macro_findings(item: &syn::Item, options: &Options) -> Found {
    let mut found = Found::new();
    for f in check_item(item, options) {
        let line = Location::of(f.primary.span).start.line;
        *found.entry((f.function, line)).or_default() += 1;
    }
    found
}

fn item_lines(item: &syn::Item) -> (usize, usize) {
    let loc = Location::of(scoped_db_engine::SpanRange::of(item));
    (loc.start.line, loc.end.line)
}

fn checked_item(item: &syn::Item) -> Option<&'static str> {
    match item {
        syn::Item::Fn(_) => Some("fn"),
        syn::Item::Impl(_) => Some("impl"),
        syn::Item::Mod(m) if m.content.is_some() => Some("mod"),
        _ => None,
    }
}

fn diff(a: &Found, b: &Found) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (key, n) in a {
        for _ in *b.get(key).unwrap_or(&0)..*n {
            out.push(key.clone());
        }
    }
    out
}

#[test]
fn the_macro_and_the_command_line_agree() {
    let mut report = String::new();
    let mut whole_file_disagreements = Vec::new();
    for unit in common::units() {
        let texts = common::read(&unit);
        let options = options(&unit);
        let file_options = common::file_options(&unit, &options);
        let cli = check_run(&common::sources(&texts, &file_options));
        for (i, (path, text)) in texts.iter().enumerate() {
            // The attribute is a Rust door, for the project's own code: a catalog library's own
            // source (vendored) is never marked, and the command line leaves it alone.
            let library = scoped_db_engine::catalog::is_catalog_crate(
                &scoped_db_engine::crate_name(&scoped_db_engine::crate_root(path)),
            );
            if !path.ends_with(".rs") || library {
                continue;
            }
            let mut cli_found = Found::new();
            for (file, f) in &cli.findings {
                if *file == i {
                    *cli_found
                        .entry((f.function.clone(), f.primary.span.start.line))
                        .or_default() += 1;
                }
            }
            let file = syn::parse_file(text).unwrap();

            // The whole file as one marked module.
            let items = &file.items;
            let whole: syn::Item = syn::parse_quote!(mod whole_file { #(#items)* });
            let whole_found = macro_findings(&whole, &options);
            if unit.len() == 1 && whole_found != cli_found {
                whole_file_disagreements.push(format!(
                    "{path}\n  macro: {whole_found:?}\n  cli:   {cli_found:?}"
                ));
            }
            for (function, line) in diff(&cli_found, &whole_found) {
                writeln!(
                    report,
                    "{path}:{line} {function}: only the command line reports it; the handle comes from another file of the run"
                )
                .unwrap();
            }

            // Each item on its own.
            for item in &file.items {
                let Some(kind) = checked_item(item) else {
                    continue;
                };
                let (first, last) = item_lines(item);
                let in_item: Found = cli_found
                    .iter()
                    .filter(|((_, line), _)| (first..=last).contains(line))
                    .map(|(k, n)| (k.clone(), *n))
                    .collect();
                let alone = macro_findings(item, &options);
                for (function, line) in diff(&in_item, &alone) {
                    let why = if whole_found.contains_key(&(function.clone(), line)) {
                        "needs what the rest of the file declares (field types, `use` items, aliases, other functions)"
                    } else {
                        "needs another file of the run"
                    };
                    writeln!(report, "{path}:{line} {function} ({kind} alone): only the command line reports it; {why}").unwrap();
                }
                for (function, line) in diff(&alone, &in_item) {
                    writeln!(report, "{path}:{line} {function} ({kind} alone): only the macro reports it; without the file's declarations it reads the return type and the call's shape").unwrap();
                }
            }
        }
    }
    assert!(
        whole_file_disagreements.is_empty(),
        "a whole file through the macro must get what the command line gets:\n{}",
        whole_file_disagreements.join("\n")
    );
    insta::assert_snapshot!(report);
}
