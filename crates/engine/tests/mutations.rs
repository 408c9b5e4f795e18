//! Property: whatever is done to a fixture's tokens (deleted, duplicated, swapped), the engine
//! returns, and never with an internal error: broken code is a parse error or is checked.

mod common;

use proptest::prelude::*;
use scoped_db_engine::{Options, Source, check_run_with};

/// A fixture cut into pieces: runs of identifier characters, runs of whitespace, and single
/// other characters, so that joining them gives the text back.
fn pieces(text: &str) -> Vec<String> {
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut out: Vec<String> = Vec::new();
    let mut last = None;
    for c in text.chars() {
        let k = class(c);
        match out.last_mut() {
            Some(piece) if last == Some(k) && k != 2 => piece.push(c),
            _ => out.push(c.to_string()),
        }
        last = Some(k);
    }
    out
}

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
    ]
}

fn apply(mut tokens: Vec<String>, edits: &[Edit]) -> String {
    for e in edits {
        if tokens.is_empty() {
            break;
        }
        let n = tokens.len();
        match *e {
            Edit::Delete(i) => {
                tokens.remove(i % n);
            }
            Edit::Duplicate(i) => {
                let t = tokens[i % n].clone();
                tokens.insert(i % n, t);
            }
            Edit::Swap(a, b) => tokens.swap(a % n, b % n),
        }
    }
    tokens.concat()
}

fn corpus() -> Vec<(String, String)> {
    common::units()
        .into_iter()
        .flatten()
        .map(|p| {
            let name = p
                .strip_prefix(common::fixtures_dir())
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_crash_the_engine(
        which in any::<usize>(),
        edits in proptest::collection::vec(edit(), 1..12),
    ) {
        let corpus = corpus();
        let (path, text) = &corpus[which % corpus.len()];
        let mutated = apply(pieces(text), &edits);
        prop_assert_eq!(pieces(text).concat(), text.clone());
        let options = Options::default();
        // With the original next to it, so the cross-file step links the mutant to real code.
        let original = format!("original/{path}");
        let sources = [
            Source { path, text: &mutated, options: &options },
            Source { path: &original, text, options: &options },
        ];
        for prefilter in [false, true] {
            let report = check_run_with(&sources, prefilter);
            for (_, e) in &report.errors {
                prop_assert!(!e.message.starts_with("internal error"), "{}: {}", path, e.message);
            }
        }
    }
}
