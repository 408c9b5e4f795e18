//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. Every rule is in
//! `tool.driver.rules`; a result carries its rule's id and index, the finding's region (columns
//! count Unicode code points, as the run's `columnKind` says), where the handle came from as
//! related locations, its function as a logical location, and a fingerprint that survives lines
//! moving. Files that could not be checked are tool execution notifications.

use std::collections::BTreeMap;
use std::io::{self, Write};

use scoped_db_engine::rules::RULES;
use scoped_db_engine::{Location, Severity};
use serde_sarif::sarif;

use super::Emitter;
use crate::fingerprint;
use crate::report::{Outcome, uri};

pub struct Sarif;

/// Where the rules are documented: the README's section for each.
const HOME: &str = env!("CARGO_PKG_REPOSITORY");

/// The key under `partialFingerprints`; the version changes only if the fingerprint's recipe does.
const FINGERPRINT: &str = "scopedDbFinding/v1";

impl Emitter for Sarif {
    fn emit(&self, out: &mut dyn Write, _err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        let log = log(outcome);
        serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
        writeln!(out)
    }
}

fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
    }
}

fn log(outcome: &Outcome) -> sarif::Sarif {
    let rules: Vec<sarif::ReportingDescriptor> = RULES
        .iter()
        .map(|info| {
            let anchor = format!("{HOME}#{}-{}", info.code.to_lowercase(), info.name);
            sarif::ReportingDescriptor::builder()
                .id(info.code)
                .name(info.name)
                .short_description(plain(info.summary))
                .full_description(plain(&first_paragraph(info.docs)))
                .help(
                    sarif::MultiformatMessageString::builder()
                        .text(info.docs)
                        .markdown(info.docs)
                        .build(),
                )
                .help_uri(anchor)
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::json!(match info.default_severity {
                            Severity::Error => "error",
                            Severity::Warning => "warning",
                        }))
                        .build(),
                )
                .build()
        })
        .collect();
    let keys = fingerprint::keys(outcome);
    let results: Vec<sarif::Result> = outcome
        .findings
        .iter()
        .zip(&keys)
        .map(|((file, f), key)| {
            let path = &outcome.files[*file].path;
            let rule_index = RULES.iter().position(|r| r.rule == f.rule).unwrap_or(0);
            let related: Vec<sarif::Location> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    sarif::Location::builder()
                        .id(i as i64)
                        .physical_location(physical(path, Some(r.span)))
                        .message(text(&r.message))
                        .build()
                })
                .collect();
            let location = sarif::Location::builder()
                .physical_location(physical(path, Some(f.primary.span)))
                .logical_locations(vec![
                    sarif::LogicalLocation::builder()
                        .fully_qualified_name(f.function.as_str())
                        .kind("function")
                        .build(),
                ])
                .build();
            sarif::Result::builder()
                .rule_id(f.rule.code())
                .rule_index(rule_index as i64)
                .level(level(f.severity))
                .message(text(&format!("{}: {}", f.message, f.help)))
                .locations(vec![location])
                .related_locations(related)
                .partial_fingerprints(BTreeMap::from([(FINGERPRINT.to_string(), key.hash())]))
                .build()
        })
        .collect();
    let notifications: Vec<sarif::Notification> = outcome
        .errors
        .iter()
        .map(|e| {
            let region = e.position.map(|p| Location { start: p, end: p });
            sarif::Notification::builder()
                .level(serde_json::json!("error"))
                .message(text(&e.detail))
                .locations(vec![
                    sarif::Location::builder()
                        .physical_location(physical(&e.path, region))
                        .build(),
                ])
                .build()
        })
        .collect();
    let notifications: Vec<sarif::Notification> = notifications
        .into_iter()
        .chain(outcome.skipped.iter().map(|s| {
            sarif::Notification::builder()
                .level(serde_json::json!("warning"))
                .message(text(&format!("skipped: {}", s.reason)))
                .locations(vec![
                    sarif::Location::builder()
                        .physical_location(physical(&s.path, None))
                        .build(),
                ])
                .build()
        }))
        .collect();
    let invocation = sarif::Invocation::builder()
        .execution_successful(outcome.errors.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let driver = sarif::ToolComponent::builder()
        .name("scoped-db")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(HOME)
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .results(results)
        .build();
    sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn plain(s: &str) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder().text(s).build()
}

fn text(s: &str) -> sarif::Message {
    sarif::Message::builder().text(s).build()
}

/// A rule's "What it does" paragraph on one line, for `fullDescription`.
fn first_paragraph(docs: &str) -> String {
    docs.lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn physical(path: &str, span: Option<Location>) -> sarif::PhysicalLocation {
    let artifact = sarif::ArtifactLocation::builder().uri(uri(path)).build();
    match span {
        Some(span) => sarif::PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(
                sarif::Region::builder()
                    .start_line(span.start.line as i64)
                    .start_column(span.start.column as i64)
                    .end_line(span.end.line as i64)
                    .end_column(span.end.column as i64)
                    .build(),
            )
            .build(),
        None => sarif::PhysicalLocation::builder()
            .artifact_location(artifact)
            .build(),
    }
}
