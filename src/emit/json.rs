//! `--format json`: one document, as CONTRACT.md specifies.

use std::io::{self, Write};

use serde::Serialize;

use super::Emitter;
use crate::report::Outcome;

pub struct Json {
    /// With `--statistics`: the findings counted per rule in the summary.
    pub statistics: bool,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    /// An addition to the contract: files left out on purpose (over `--max-file-size`).
    skipped: Vec<JsonSkipped<'a>>,
    /// An addition to the contract, with `--report-unused-suppressions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    unused_suppressions: Option<Vec<JsonUnused<'a>>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct JsonUnused<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    rules: Vec<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    severity: &'static str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    function: &'a str,
    message: &'a str,
    related: Vec<Related<'a>>,
    /// An addition to the contract: how to fix it.
    help: &'a str,
}

#[derive(Serialize)]
struct Related<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    path: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Summary<'a> {
    files_checked: usize,
    findings: usize,
    errors: usize,
    /// An addition to the contract, with `--statistics`: by rule, most found first.
    #[serde(skip_serializing_if = "Option::is_none")]
    statistics: Option<Vec<JsonCount<'a>>>,
}

#[derive(Serialize)]
struct JsonCount<'a> {
    rule: &'a str,
    name: &'a str,
    count: usize,
}

impl Emitter for Json {
    fn emit(&self, out: &mut dyn Write, _err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        let findings = outcome
            .findings
            .iter()
            .map(|(file, f)| {
                let path = outcome.files[*file].path.as_str();
                let span = f.primary.span;
                JsonFinding {
                    rule: f.rule.code(),
                    name: f.rule.name(),
                    severity: f.severity.as_str(),
                    path,
                    line: span.start.line,
                    column: span.start.column,
                    end_line: span.end.line,
                    end_column: span.end.column,
                    function: &f.function,
                    message: &f.message,
                    related: f
                        .related
                        .iter()
                        .map(|r| Related {
                            path,
                            line: r.span.start.line,
                            column: r.span.start.column,
                            message: &r.message,
                        })
                        .collect(),
                    help: &f.help,
                }
            })
            .collect();
        let errors = outcome
            .errors
            .iter()
            .map(|e| JsonError {
                path: &e.path,
                message: &e.message,
            })
            .collect();
        let unused_suppressions = outcome.unused_suppressions.as_ref().map(|list| {
            list.iter()
                .map(|(file, s)| JsonUnused {
                    path: &outcome.files[*file].path,
                    line: s.location.start.line,
                    column: s.location.start.column,
                    rules: s
                        .rules
                        .iter()
                        .map(|r| r.code().to_string())
                        .chain(s.unknown.iter().cloned())
                        .collect(),
                })
                .collect()
        });
        let doc = Document {
            version: 1,
            findings,
            errors,
            skipped: outcome
                .skipped
                .iter()
                .map(|s| JsonSkipped {
                    path: &s.path,
                    reason: &s.reason,
                })
                .collect(),
            unused_suppressions,
            summary: Summary {
                files_checked: outcome.files_checked,
                findings: outcome.findings.len(),
                errors: outcome.errors.len(),
                statistics: self.statistics.then(|| {
                    super::statistics::counts(outcome)
                        .into_iter()
                        .map(|(rule, count)| JsonCount {
                            rule: rule.code(),
                            name: rule.name(),
                            count,
                        })
                        .collect()
                }),
            },
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
        writeln!(out)
    }
}
