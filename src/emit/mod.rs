//! Output formats, behind one trait so a new format touches nothing else.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod sarif;
pub mod short;
pub mod statistics;

use std::io::{self, Write};

use crate::report::Outcome;

/// Renders a run. Findings go to `out`; human-oriented notes (errors, the summary line) may go to
/// `err`.
pub trait Emitter {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()>;
}

/// The closing line every format but JSON and SARIF writes to standard error.
pub fn summary(outcome: &Outcome) -> String {
    let files_with_findings = {
        let mut files: Vec<usize> = outcome.findings.iter().map(|(f, _)| *f).collect();
        files.dedup();
        files.len()
    };
    let mut summary = if outcome.findings.is_empty() {
        format!(
            "scoped-db: no findings; {} checked",
            plural(outcome.files_checked, "file")
        )
    } else {
        format!(
            "scoped-db: {} in {}; {} checked",
            plural(outcome.findings.len(), "finding"),
            plural(files_with_findings, "file"),
            plural(outcome.files_checked, "file"),
        )
    };
    if !outcome.errors.is_empty() {
        summary.push_str(&format!(
            "; {} could not be checked",
            plural(outcome.errors.len(), "file")
        ));
    }
    if !outcome.skipped.is_empty() {
        summary.push_str(&format!(
            "; {} skipped (over --max-file-size)",
            plural(outcome.skipped.len(), "file")
        ));
    }
    summary
}

/// What the line-oriented formats write to standard error after the findings: each file that
/// could not be checked (`path:line:column: error: ..`), each file skipped, and the summary.
pub fn notes(err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    for e in &outcome.errors {
        match e.position {
            Some(at) => writeln!(
                err,
                "{}:{}:{}: error: {}",
                visible(&e.path),
                at.line,
                at.column,
                visible(&e.detail)
            )?,
            None => writeln!(err, "{}: error: {}", visible(&e.path), visible(&e.message))?,
        }
    }
    for skipped in &outcome.skipped {
        writeln!(err, "{}", skipped_line(skipped))?;
    }
    writeln!(err, "{}", summary(outcome))
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Text for a terminal or a log: control characters (an escape sequence in a file name, a newline
/// in a message) are shown as `\u{1b}` instead of acting on whoever reads the output.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The line-oriented note for a skipped file, for standard error.
pub fn skipped_line(s: &crate::report::Skipped) -> String {
    format!("{}: skipped: {}", visible(&s.path), visible(&s.reason))
}

/// The name of the unused-suppression pseudo-rule in line-oriented formats.
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";

/// What a suppression comment names: its rules' codes, then the names that are no rule.
pub fn suppressed_names(s: &scoped_db_engine::suppress::Suppression) -> Vec<String> {
    s.rules
        .iter()
        .map(|r| r.code().to_string())
        .chain(s.unknown.iter().cloned())
        .collect()
}

/// What an unused suppression comment says, for line-oriented formats.
pub fn unused_message(s: &scoped_db_engine::suppress::Suppression) -> String {
    format!(
        "suppression of {} silences nothing",
        suppressed_names(s).join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(visible("src/db.rs"), "src/db.rs");
        assert_eq!(visible("evil\u{1b}[31m.rs"), "evil\\u{1b}[31m.rs");
        assert_eq!(visible("a\nb\tc"), "a\\u{a}b\\u{9}c");
    }
}
