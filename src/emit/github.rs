//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations on
//! the pull request. Data is escaped as the runner expects (`%`, CR, LF), property values also
//! escape `:` and `,`.

use std::io::{self, Write};

use scoped_db_engine::Severity;

use super::{Emitter, UNUSED_SUPPRESSION, summary, unused_message};
use crate::report::Outcome;

pub struct Github;

impl Emitter for Github {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        for (file, f) in &outcome.findings {
            let span = f.primary.span;
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                property(&outcome.files[*file].path),
                span.start.line,
                span.start.column,
                span.end.line,
                span.end.column,
                property(&format!("{} {}", f.rule.code(), f.rule.name())),
                data(&format!("{} ({})", f.message, f.help)),
            )?;
        }
        for (file, s) in outcome.unused_suppressions.iter().flatten() {
            let start = s.location.start;
            writeln!(
                out,
                "::warning file={},line={},col={},title={UNUSED_SUPPRESSION}::{}",
                property(&outcome.files[*file].path),
                start.line,
                start.column,
                data(&unused_message(s)),
            )?;
        }
        for e in &outcome.errors {
            let at = e
                .position
                .map(|p| format!(",line={},col={}", p.line, p.column))
                .unwrap_or_default();
            writeln!(
                out,
                "::error file={}{at},title=scoped-db could not check this file::{}",
                property(&e.path),
                data(&e.detail),
            )?;
        }
        for skipped in &outcome.skipped {
            writeln!(
                out,
                "::warning file={},title=scoped-db skipped this file::{}",
                property(&skipped.path),
                data(&skipped.reason),
            )?;
        }
        writeln!(err, "{}", super::visible(&summary(outcome)))
    }
}

/// A command's message: `%`, CR and LF escaped; other control characters (an escape sequence in
/// a file name) shown as `\u{1b}`, never sent to the log.
pub fn data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => out.push_str(&super::visible(c.encode_utf8(&mut [0; 4]))),
            c => out.push(c),
        }
    }
    out
}

/// A command's property value: as data, and `:` and `,` too.
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The round trip through GitHub's unescaping is tested end to end in tests/ci.rs.
    #[test]
    fn data_and_properties_escape_what_github_reads_as_syntax() {
        assert_eq!(data("100% sure\r\nline two"), "100%25 sure%0D%0Aline two");
        assert_eq!(data("a:b,c"), "a:b,c");
        assert_eq!(property("src/my dir/a,b:c.rs"), "src/my dir/a%2Cb%3Ac.rs");
        assert_eq!(property("new\nline%"), "new%0Aline%25");
        assert_eq!(data("evil\u{1b}[31m"), "evil\\u{1b}[31m");
    }
}
