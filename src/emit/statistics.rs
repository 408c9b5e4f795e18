//! `--statistics` for people: the findings counted per rule, as ruff's `--statistics` shows them.

use std::io::{self, Write};

use scoped_db_engine::Rule;

use super::{Emitter, UNUSED_SUPPRESSION};
use crate::report::Outcome;

/// The counts, one rule per line, instead of the findings: the count, the code and the rule's
/// name, most found first (`3  SDB001  escaped-handle`).
pub struct Statistics;

/// The findings of a run counted per rule: most found first, then by code.
pub fn counts(outcome: &Outcome) -> Vec<(Rule, usize)> {
    let mut counts: Vec<(Rule, usize)> = Vec::new();
    for (_, f) in &outcome.findings {
        match counts.iter_mut().find(|(rule, _)| *rule == f.rule) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.rule, 1)),
        }
    }
    counts.sort_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.code().cmp(b.code())));
    counts
}

impl Emitter for Statistics {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        let counts = counts(outcome);
        let width = counts
            .iter()
            .map(|(_, n)| n.to_string().len())
            .max()
            .unwrap_or(1);
        let unused = outcome.unused_suppressions.iter().flatten().count();
        let width = width.max(unused.to_string().len());
        for (rule, n) in &counts {
            writeln!(out, "{n:>width$}  {}  {}", rule.code(), rule.name())?;
        }
        // With `--report-unused-suppressions`, those count as findings too.
        if unused > 0 {
            writeln!(out, "{unused:>width$}  {UNUSED_SUPPRESSION}")?;
        }
        super::notes(err, outcome)
    }
}
