//! `--format gitlab`: a GitLab Code Quality report, the JSON array GitLab reads from a job's
//! `artifacts:reports:codequality` to show findings in merge requests. GitLab reads a subset of
//! the Code Climate issue (codeclimate/platform, `spec/analyzers/SPEC.md`, "Issues"):
//! `description`, `check_name`, `fingerprint`, `severity` and `location.path` with
//! `location.lines.begin`; `type` and `categories`, which that spec requires, are written too.
//! The fingerprint is the baseline's (rule, file, function, expression, occurrence; never a line),
//! so a finding keeps it when lines move. Errors and the summary go to standard error.

use std::io::{self, Write};

use scoped_db_engine::Severity;
use serde::Serialize;

use super::{Emitter, UNUSED_SUPPRESSION, notes, unused_message};
use crate::fingerprint::{self, Key};
use crate::report::Outcome;

pub struct Gitlab;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: &'a str,
    categories: [&'static str; 1],
    fingerprint: String,
    severity: &'static str,
    location: Place<'a>,
}

#[derive(Serialize)]
struct Place<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

impl Emitter for Gitlab {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        let keys = fingerprint::keys(outcome);
        let mut issues: Vec<Issue<'_>> = outcome
            .findings
            .iter()
            .zip(&keys)
            .map(|((file, f), key)| Issue {
                kind: "issue",
                description: format!("{}: {}", f.rule.code(), f.message),
                check_name: f.rule.code(),
                categories: ["Bug Risk"],
                fingerprint: key.hash(),
                // Code Climate's scale: an error stops a merge as a major issue would.
                severity: match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Place {
                    path: &outcome.files[*file].path,
                    lines: Lines {
                        begin: f.primary.span.start.line,
                    },
                },
            })
            .collect();
        // Unused suppressions, when asked for, count as findings: keyed by what they name and how
        // many such comments come before them in the file.
        let mut seen: std::collections::HashMap<(usize, String), usize> = Default::default();
        for (file, s) in outcome.unused_suppressions.iter().flatten() {
            let names = super::suppressed_names(s).join(",");
            let occurrence = seen.entry((*file, names.clone())).or_default();
            let key = Key {
                rule: UNUSED_SUPPRESSION.to_string(),
                path: outcome.files[*file].path.clone(),
                function: String::new(),
                expression: names,
                occurrence: *occurrence,
            };
            *occurrence += 1;
            issues.push(Issue {
                kind: "issue",
                description: unused_message(s),
                check_name: UNUSED_SUPPRESSION,
                categories: ["Clarity"],
                fingerprint: key.hash(),
                severity: "minor",
                location: Place {
                    path: &outcome.files[*file].path,
                    lines: Lines {
                        begin: s.location.start.line,
                    },
                },
            });
        }
        serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::from)?;
        writeln!(out)?;
        notes(err, outcome)
    }
}
