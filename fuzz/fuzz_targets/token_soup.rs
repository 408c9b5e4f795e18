//! Structured input: sequences of tokens taken from the fixtures (so most inputs get past the
//! lexer and the prefilter, and reach the walker and the cross-file step), as Rust and as Python.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const RUST: &[&str] = &[
    include_str!("../../fixtures/seed/before/database.rs"),
    include_str!("../../fixtures/sqlx_axum.rs"),
    include_str!("../../fixtures/flow_shapes.rs"),
    include_str!("../../fixtures/stored_handles.rs"),
    include_str!("../../fixtures/leaked_handles.rs"),
    include_str!("../../fixtures/unfinished_transactions.rs"),
    include_str!("../../fixtures/lookalikes.rs"),
];

const PYTHON: &[&str] = &[
    include_str!("../../fixtures/python/seed/before/chatter/utils/database.py"),
    include_str!("../../fixtures/python/sqlalchemy_sync.py"),
    include_str!("../../fixtures/python/asyncpg_psycopg.py"),
    include_str!("../../fixtures/python/unresolved_managers.py"),
];

/// The fixtures' words and punctuation, and the line breaks and indents Python needs.
fn vocabulary(texts: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = vec!["\n".into(), "    ".into(), "\n    ".into(), "\n        ".into()];
    for text in texts {
        let mut word = String::new();
        for c in text.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                words.push(c.to_string());
            }
        }
    }
    words.sort();
    words.dedup();
    words
}

#[derive(Arbitrary, Debug)]
struct Soup {
    python: bool,
    tokens: Vec<u16>,
}

fuzz_target!(|soup: Soup| {
    static RUST_WORDS: OnceLock<Vec<String>> = OnceLock::new();
    static PYTHON_WORDS: OnceLock<Vec<String>> = OnceLock::new();
    let words = if soup.python {
        PYTHON_WORDS.get_or_init(|| vocabulary(PYTHON))
    } else {
        RUST_WORDS.get_or_init(|| vocabulary(RUST))
    };
    let mut text = String::new();
    for t in &soup.tokens {
        text.push_str(&words[usize::from(*t) % words.len()]);
        text.push(' ');
    }
    let path = if soup.python { "app/db.py" } else { "src/lib.rs" };
    common::check(path, &text);
});
