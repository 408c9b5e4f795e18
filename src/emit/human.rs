//! Human output: miette's graphical reports with the source line, a label on the escaping
//! expression and one on where the handle came from.

use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    Severity as MietteSeverity,
};
use scoped_db_engine::{Finding, LineIndex, Location, Severity};

use std::sync::Arc;

use super::{Emitter, visible};
use crate::report::Outcome;

pub struct Human {
    pub color: bool,
}

impl Human {
    fn handler(&self) -> GraphicalReportHandler {
        let theme = if self.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_links(false)
    }

    fn render(&self, diagnostic: MietteDiagnostic, path: &str, text: Option<&Arc<str>>) -> String {
        let report = match text {
            Some(text) => miette::Report::new(diagnostic).with_source_code(
                NamedSource::new(visible(path), text.clone()).with_language("Rust"),
            ),
            None => miette::Report::new(diagnostic),
        };
        let mut out = String::new();
        // Rendering into a String cannot fail but for a formatting bug; fall back to plain text.
        if self
            .handler()
            .render_report(&mut out, report.as_ref())
            .is_err()
        {
            out = format!("{report}\n");
        }
        out
    }
}

/// A source as the terminal is shown it: control characters (an escape sequence, a lone carriage
/// return, a NUL) replaced by their `\u{..}` form, with a map from offsets in the file to offsets
/// in the shown text for the labels.
struct Shown {
    text: Arc<str>,
    /// Offset in the file of each replaced character, and the bytes added up to and including it.
    added: Vec<(usize, usize)>,
}

impl Shown {
    fn new(text: &Arc<str>) -> Shown {
        let bytes = text.as_bytes();
        let replaced = |(i, c): &(usize, char)| {
            c.is_control()
                && *c != '\n'
                && *c != '\t'
                && !(*c == '\r' && bytes.get(i + 1) == Some(&b'\n'))
        };
        if !text.char_indices().any(|ic| replaced(&ic)) {
            return Shown {
                text: text.clone(),
                added: Vec::new(),
            };
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut added = Vec::new();
        let mut total = 0;
        for (i, c) in text.char_indices() {
            if replaced(&(i, c)) {
                let shown = super::visible(c.encode_utf8(&mut [0; 4])).into_owned();
                total += shown.len() - c.len_utf8();
                added.push((i, total));
                out.push_str(&shown);
            } else {
                out.push(c);
            }
        }
        Shown {
            text: Arc::from(out),
            added,
        }
    }

    /// Where a file offset is in the shown text.
    fn map(&self, offset: usize) -> usize {
        let before = self.added.partition_point(|(at, _)| *at < offset);
        offset + before.checked_sub(1).map_or(0, |i| self.added[i].1)
    }
}

fn finding_diagnostic(f: &Finding<Location>, text: Option<(&str, &Shown)>) -> MietteDiagnostic {
    let mut d = MietteDiagnostic::new(visible(&f.message).into_owned())
        .with_code(format!("{}({})", f.rule.code(), f.rule.name()))
        .with_severity(match f.severity {
            Severity::Error => MietteSeverity::Error,
            Severity::Warning => MietteSeverity::Warning,
        })
        .with_help(f.help.clone());
    if let Some((text, shown)) = text {
        let lines = LineIndex::new(text);
        let span = |loc: Location| {
            let r = lines.range(text, loc);
            miette::SourceSpan::from(shown.map(r.start)..shown.map(r.end))
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(visible(&f.primary.message).into_owned()),
            span(f.primary.span),
        )];
        labels.extend(f.related.iter().map(|r| {
            LabeledSpan::new_with_span(Some(visible(&r.message).into_owned()), span(r.span))
        }));
        d = d.with_labels(labels);
    }
    d
}

impl Emitter for Human {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        let shown: Vec<Option<Shown>> = outcome
            .files
            .iter()
            .map(|f| f.text.as_ref().map(Shown::new))
            .collect();
        let source_of = |i: usize| outcome.files[i].text.as_deref().zip(shown[i].as_ref());
        for (file, f) in &outcome.findings {
            let source = &outcome.files[*file];
            let d = finding_diagnostic(f, source_of(*file));
            let text = shown[*file].as_ref().map(|s| &s.text);
            out.write_all(self.render(d, &source.path, text).as_bytes())?;
            writeln!(out)?;
        }
        for e in &outcome.errors {
            let source = e.file.and_then(source_of);
            let said = if source.is_some() && e.position.is_some() {
                &e.detail
            } else {
                &e.message
            };
            let mut d = MietteDiagnostic::new(format!(
                "cannot check {}: {}",
                visible(&e.path),
                visible(said)
            ))
            .with_code("scoped-db(error)");
            // A file that is there but cannot be checked may be one that is not meant to be.
            if std::path::Path::new(&e.path).is_file() {
                d = d.with_help(format!(
                    "if this file is not meant to be checked (a template, a test input), skip it: \
                     `extend-exclude = [\"{0}\"]` in scoped-db.toml, or `--exclude '{0}'`",
                    visible(&e.path)
                ));
            }
            if let (Some((text, shown)), Some(pos)) = (source, e.position) {
                let at = shown.map(LineIndex::new(text).offset(text, pos));
                d = d.with_label(LabeledSpan::new_primary_with_span(
                    Some("here".into()),
                    miette::SourceSpan::from(at..at),
                ));
            }
            let text = source.map(|(_, shown)| &shown.text);
            err.write_all(self.render(d, &e.path, text).as_bytes())?;
            writeln!(err)?;
        }
        for (file, s) in outcome.unused_suppressions.iter().flatten() {
            let source = &outcome.files[*file];
            let mut d = MietteDiagnostic::new(super::unused_message(s))
                .with_code("scoped-db(unused-suppression)")
                .with_severity(MietteSeverity::Warning)
                .with_help("remove the comment, or fix the rule name");
            if let Some((text, shown)) = source_of(*file) {
                let r = LineIndex::new(text).range(text, s.location);
                d = d.with_label(LabeledSpan::new_primary_with_span(
                    Some("this comment".into()),
                    miette::SourceSpan::from(shown.map(r.start)..shown.map(r.end)),
                ));
            }
            let text = shown[*file].as_ref().map(|s| &s.text);
            out.write_all(self.render(d, &source.path, text).as_bytes())?;
            writeln!(out)?;
        }
        for skipped in &outcome.skipped {
            writeln!(err, "warning: {}", super::skipped_line(skipped))?;
        }
        writeln!(err, "{}", super::summary(outcome))
    }
}
