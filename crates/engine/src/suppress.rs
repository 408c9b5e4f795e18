//! Comment suppressions: `// scoped-db: allow(rule, ...) reason` in Rust, `# scoped-db: allow(..)`
//! in Python, for users who do not depend on the attribute crate.
//!
//! The one place scoped-db reads source text rather than the syntax tree: syntax trees drop
//! comments. A suppression on the line of a finding, or on the line before it, silences that
//! finding; one in the comment and attribute block right above a function silences the function.
//!
//! In Python, flake8's and ruff's `# noqa` works too, on its own line only: `# noqa: SDB001`
//! (codes or names, comma- or space-separated, beside other tools' codes, which scoped-db leaves
//! alone) silences those rules there, a bare `# noqa` every finding there.

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
    /// How it was written, which says where it reaches.
    pub kind: Kind,
}

/// How a suppression is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `scoped-db: allow(..)`: its line, the next, or the function it is above.
    Allow,
    /// `# noqa: ..` with scoped-db's codes: its line.
    Noqa,
    /// A bare `# noqa`: every finding on its line. It may be there for another tool, so it is
    /// never reported as unused.
    NoqaAll,
}

impl Suppression {
    /// Whether `--report-unused-suppressions` reports it when it silenced nothing.
    pub fn reported_when_unused(&self) -> bool {
        self.kind != Kind::NoqaAll
    }
}

/// The suppression comments of a source.
pub fn parse(src: &str, python: bool) -> Vec<Suppression> {
    let opener = if python { "#" } else { "//" };
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let Some(at) = line.find(opener) else {
            continue;
        };
        if python && let Some(noqa) = noqa(line, i + 1) {
            out.push(noqa);
        }
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
            kind: Kind::Allow,
        });
    }
    out
}

/// The `# noqa` of a Python line (number `line`), if it has one that concerns scoped-db: a bare
/// one, or one that names a scoped-db rule or an `SDB` code that is none. Codes are read as flake8
/// and ruff read them: after `noqa:`, separated by commas or blanks, up to the first word that is
/// no code (an explanation).
fn noqa(text: &str, line: usize) -> Option<Suppression> {
    let (at, rest) = text.match_indices('#').find_map(|(at, _)| {
        let after = text[at + 1..].trim_start();
        let word = after.get(..4)?;
        let next = after[4..].chars().next();
        (word.eq_ignore_ascii_case("noqa") && next.is_none_or(|c| !c.is_alphanumeric() && c != '_'))
            .then(|| (at, &after[4..]))
    })?;
    let codes = rest.trim_start().strip_prefix(':').unwrap_or("");
    let mut rules = Vec::new();
    let mut unknown = Vec::new();
    let mut any = false;
    for token in codes.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        let is_code = token
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && token.chars().any(|c| c.is_ascii_digit())
            && token.chars().all(|c| c.is_ascii_alphanumeric());
        match Rule::from_name(token) {
            Some(rule) if rules.contains(&rule) => {}
            Some(rule) => rules.push(rule),
            None if is_code
                && token
                    .get(..3)
                    .is_some_and(|p| p.eq_ignore_ascii_case("SDB")) =>
            {
                unknown.push(token.to_string());
            }
            // Another tool's code.
            None if is_code => {}
            // The explanation after the codes.
            None => break,
        }
        any = true;
    }
    let kind = if !any {
        Kind::NoqaAll
    } else if rules.is_empty() && unknown.is_empty() {
        // Only other tools' codes.
        return None;
    } else {
        Kind::Noqa
    };
    let at_line = |column: usize| crate::location::LineCol { line, column };
    Some(Suppression {
        location: Location {
            start: at_line(text[..at].chars().count() + 1),
            end: at_line(text.chars().count() + 1),
        },
        rules,
        unknown,
        reason: String::new(),
        kind,
    })
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
        let at = s.location.start.line;
        match s.kind {
            Kind::Allow => {
                s.rules.contains(&finding.rule)
                    && (at == line || at + 1 == line || in_preamble(&lines, at, function_line))
            }
            Kind::Noqa => s.rules.contains(&finding.rule) && at == line,
            Kind::NoqaAll => at == line,
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
    fn noqa_names_scoped_dbs_rules_beside_other_tools_codes_on_its_line() {
        let src = "x = 1  # noqa: E501, SDB001 escaped-handle\n\
            y = 2  # NOQA:SDB002 SDB999 because reasons\n\
            z = 3  # noqa\n\
            w = 4  # noqa: E501,F401\n\
            v = 5  # type: ignore  # noqa: stored-handle\n\
            u = 6  # noqanot\n";
        let found = parse(src, true);
        let shown: Vec<(usize, Kind, Vec<Rule>, Vec<String>)> = found
            .iter()
            .map(|s| {
                (
                    s.location.start.line,
                    s.kind,
                    s.rules.clone(),
                    s.unknown.clone(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (1, Kind::Noqa, vec![Rule::EscapedHandle], vec![]),
                (
                    2,
                    Kind::Noqa,
                    vec![Rule::StoredHandle],
                    vec!["SDB999".to_string()]
                ),
                (3, Kind::NoqaAll, vec![], vec![]),
                (5, Kind::Noqa, vec![Rule::StoredHandle], vec![]),
            ]
        );
        assert_eq!(found[0].location.start.column, 8);
        assert!(!found[2].reported_when_unused() && found[0].reported_when_unused());
        // Rust has no `# noqa`.
        assert!(parse("let x = 1; // noqa: SDB001\n", false).is_empty());
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
