//! The finding type every door renders: rule, message, the smallest offending span, related spans
//! and a help line. Generic over the span so the macro keeps compiler spans and the command line
//! keeps line/column locations.

use crate::rules::code::{Rule, Severity};

/// A span with what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label<S> {
    pub span: S,
    pub message: String,
}

/// One problem found in one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding<S> {
    pub rule: Rule,
    pub severity: Severity,
    /// `Type::method` or `name`; nested functions join with `::`.
    pub function: String,
    /// The function's name where it is declared.
    pub function_span: S,
    /// What was found: lowercase, no trailing period.
    pub message: String,
    /// The offending expression.
    pub primary: Label<S>,
    /// Where the handle came from or passed through.
    pub related: Vec<Label<S>>,
    /// How to fix it.
    pub help: String,
}

impl<S> Finding<S> {
    /// The same finding with its spans mapped.
    pub fn map_spans<T>(self, mut f: impl FnMut(S) -> T) -> Finding<T> {
        Finding {
            rule: self.rule,
            severity: self.severity,
            function: self.function,
            function_span: f(self.function_span),
            message: self.message,
            primary: Label {
                span: f(self.primary.span),
                message: self.primary.message,
            },
            related: self
                .related
                .into_iter()
                .map(|l| Label {
                    span: f(l.span),
                    message: l.message,
                })
                .collect(),
            help: self.help,
        }
    }
}
