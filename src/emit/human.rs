//! Human output: miette's graphical reports with the source line, a label on the escaping
//! expression and one on where the handle came from.

use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    Severity as MietteSeverity,
};
use scoped_db_engine::{Finding, LineIndex, Location, Severity};

use super::Emitter;
use crate::run::Outcome;

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

    fn render(
        &self,
        diagnostic: MietteDiagnostic,
        path: &str,
        text: Option<&std::sync::Arc<str>>,
    ) -> String {
        let report = match text {
            Some(text) => miette::Report::new(diagnostic)
                .with_source_code(NamedSource::new(path, text.clone()).with_language("Rust")),
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

fn finding_diagnostic(f: &Finding<Location>, text: Option<&str>) -> MietteDiagnostic {
    let mut d = MietteDiagnostic::new(f.message.clone())
        .with_code(format!("{}({})", f.rule.code(), f.rule.name()))
        .with_severity(match f.severity {
            Severity::Error => MietteSeverity::Error,
            Severity::Warning => MietteSeverity::Warning,
        })
        .with_help(f.help.clone());
    if let Some(text) = text {
        let lines = LineIndex::new(text);
        let span = |loc: Location| {
            let r = lines.range(text, loc);
            miette::SourceSpan::from(r.start..r.end)
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(f.primary.message.clone()),
            span(f.primary.span),
        )];
        labels.extend(
            f.related
                .iter()
                .map(|r| LabeledSpan::new_with_span(Some(r.message.clone()), span(r.span))),
        );
        d = d.with_labels(labels);
    }
    d
}

impl Emitter for Human {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        for (file, f) in &outcome.findings {
            let source = &outcome.files[*file];
            let d = finding_diagnostic(f, source.text.as_deref());
            out.write_all(
                self.render(d, &source.path, source.text.as_ref())
                    .as_bytes(),
            )?;
            writeln!(out)?;
        }
        for e in &outcome.errors {
            let text = e.file.and_then(|i| outcome.files[i].text.as_ref());
            let shown = if text.is_some() && e.position.is_some() {
                &e.detail
            } else {
                &e.message
            };
            let mut d = MietteDiagnostic::new(format!("cannot check {}: {shown}", e.path))
                .with_code("scoped-db(error)");
            // A file that is there but cannot be checked may be one that is not meant to be.
            if std::path::Path::new(&e.path).is_file() {
                d = d.with_help(format!(
                    "if this file is not meant to be checked (a template, a test input), skip it: \
                     `extend-exclude = [\"{0}\"]` in scoped-db.toml, or `--exclude '{0}'`",
                    e.path
                ));
            }
            if let (Some(text), Some(pos)) = (text, e.position) {
                let at = LineIndex::new(text).offset(text, pos);
                d = d.with_label(LabeledSpan::new_primary_with_span(
                    Some("here".into()),
                    miette::SourceSpan::from(at..at),
                ));
            }
            err.write_all(self.render(d, &e.path, text).as_bytes())?;
            writeln!(err)?;
        }
        for (file, s) in outcome.unused_suppressions.iter().flatten() {
            let source = &outcome.files[*file];
            let mut d = MietteDiagnostic::new(super::unused_message(s))
                .with_code("scoped-db(unused-suppression)")
                .with_severity(MietteSeverity::Warning)
                .with_help("remove the comment, or fix the rule name");
            if let Some(text) = &source.text {
                let r = LineIndex::new(text).range(text, s.location);
                d = d.with_label(LabeledSpan::new_primary_with_span(
                    Some("this comment".into()),
                    miette::SourceSpan::from(r.start..r.end),
                ));
            }
            out.write_all(
                self.render(d, &source.path, source.text.as_ref())
                    .as_bytes(),
            )?;
            writeln!(out)?;
        }
        writeln!(err, "{}", super::summary(outcome))
    }
}
