//! Comment suppressions: `// scoped-db: allow(rule, ...) reason` in Rust, `# scoped-db: allow(..)`
//! in Python, for users who do not depend on the attribute crate.
//!
//! The one place scoped-db reads source text rather than the syntax tree: syntax trees drop
//! comments. A suppression on the line of a finding, or on the line before it, silences that
//! finding; one in the comment and attribute block right above a function silences the function.

use crate::finding::Finding;
use crate::location::Location;
use crate::rules::code::Rule;

const MARKER: &str = "scoped-db:";

/// One suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// Where the comment starts.
    pub location: Location,
    /// The rules it names that exist.
    pub rules: Vec<Rule>,
    /// Names that are no rule: they silence nothing.
    pub unknown: Vec<String>,
    /// The text after `allow(..)`.
    pub reason: String,
}

/// The suppression comments of a source.
pub fn parse(src: &str, python: bool) -> Vec<Suppression> {
    let opener = if python { "#" } else { "//" };
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let Some(at) = line.find(opener) else {
            continue;
        };
        let comment = line[at + opener.len()..]
            .trim_start_matches('/')
            .trim_start();
        let Some(rest) = comment.strip_prefix(MARKER) else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("allow(") else {
            continue;
        };
        let Some(close) = rest.find(')') else {
            continue;
        };
        let mut rules = Vec::new();
        let mut unknown = Vec::new();
        for name in rest[..close]
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match Rule::from_name(name) {
                Some(rule) => rules.push(rule),
                None => unknown.push(name.to_string()),
            }
        }
        let column = line[..at].chars().count() + 1;
        let start = crate::location::LineCol {
            line: i + 1,
            column,
        };
        out.push(Suppression {
            location: Location {
                start,
                end: crate::location::LineCol {
                    line: i + 1,
                    column: line.chars().count() + 1,
                },
            },
            rules,
            unknown,
            reason: rest[close + 1..].trim().to_string(),
        });
    }
    out
}

/// Which suppression, if any, silences `finding` in `src`.
pub fn silencing(
    finding: &Finding<Location>,
    suppressions: &[Suppression],
    src: &str,
) -> Option<usize> {
    let line = finding.primary.span.start.line;
    let function_line = finding.function_span.start.line;
    let lines: Vec<&str> = src.lines().collect();
    suppressions.iter().position(|s| {
        s.rules.contains(&finding.rule) && {
            let at = s.location.start.line;
            at == line || at + 1 == line || in_preamble(&lines, at, function_line)
        }
    })
}

/// Whether line `at` is in the block of comments, attributes and decorators right above the line
/// `def_line` that declares a function (1-based lines; a blank line or code ends the block).
fn in_preamble(lines: &[&str], at: usize, def_line: usize) -> bool {
    if at >= def_line || at == 0 {
        return false;
    }
    (at + 1..def_line).all(|l| {
        let text = lines.get(l - 1).map_or("", |t| t.trim());
        !text.is_empty() && !text.ends_with(';') && !text.ends_with('}') && !text.ends_with('{')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_name_rules_by_code_and_name_with_a_reason() {
        let src = "fn f() {}\n    // scoped-db: allow(SDB001, stored-handle, nope) legacy API\n# scoped-db: allow(escaped_handle)\n";
        let rust = parse(src, false);
        assert_eq!(rust.len(), 1);
        assert_eq!(rust[0].rules, [Rule::EscapedHandle, Rule::StoredHandle]);
        assert_eq!(rust[0].unknown, ["nope"]);
        assert_eq!(rust[0].reason, "legacy API");
        assert_eq!(
            rust[0].location.start,
            crate::location::LineCol { line: 2, column: 5 }
        );
        let python = parse(src, true);
        assert_eq!(python.len(), 1);
        assert_eq!(python[0].rules, [Rule::EscapedHandle]);
    }

    #[test]
    fn the_preamble_is_the_unbroken_block_above_a_function() {
        let lines = [
            "let x = 1;",
            "// scoped-db: allow(SDB001)",
            "/// Docs.",
            "#[tracing::instrument]",
            "async fn f() {",
        ];
        assert!(in_preamble(&lines, 2, 5));
        let code_between = ["// scoped-db: allow(SDB001)", "let x = 1;", "fn f() {"];
        assert!(!in_preamble(&code_between, 1, 3));
        let blank_between = ["// scoped-db: allow(SDB001)", "", "fn f() {"];
        assert!(!in_preamble(&blank_between, 1, 3));
        assert!(
            !in_preamble(&lines, 5, 5),
            "a comment below the declaration is not above it"
        );
    }
}
