//! `--format short`: one line per finding, `path:line:column: CODE message`, the form editors'
//! quickfix lists and `grep` read. Errors and the summary go to standard error.

use std::io::{self, Write};

use super::{Emitter, UNUSED_SUPPRESSION, unused_message, visible};
use crate::report::Outcome;

pub struct Short;

impl Emitter for Short {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
        for (file, f) in &outcome.findings {
            let start = f.primary.span.start;
            writeln!(
                out,
                "{}:{}:{}: {} {}",
                visible(&outcome.files[*file].path),
                start.line,
                start.column,
                f.rule.code(),
                visible(&f.message),
            )?;
        }
        for (file, s) in outcome.unused_suppressions.iter().flatten() {
            let start = s.location.start;
            writeln!(
                out,
                "{}:{}:{}: {UNUSED_SUPPRESSION} {}",
                visible(&outcome.files[*file].path),
                start.line,
                start.column,
                unused_message(s),
            )?;
        }
        super::notes(err, outcome)
    }
}
