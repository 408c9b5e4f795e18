//! Output formats, behind one trait so a new format touches nothing else.

pub mod human;
pub mod json;

use std::io::{self, Write};

use crate::run::Outcome;

/// Renders a run. Findings go to `out`; human-oriented notes (errors, the summary line) may go to
/// `err`.
pub trait Emitter {
    fn emit(&self, out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()>;
}
