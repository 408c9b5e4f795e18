//! The one settling step between the engine's findings and what a user sees, shared by `check`
//! and the language server: a finding takes the severity its file's configuration gives its rule
//! (or is dropped when the rule is off there), and a suppression comment over it silences it.

use scoped_db_engine::suppress::{self, Suppression};
use scoped_db_engine::{Finding, Location, Severity};

use crate::config::Settings;

/// What a finding becomes in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Its rule is off in the file's configuration.
    Off,
    /// The suppression comment at this index of the file's list silences it.
    Suppressed(usize),
    /// Reported, with this severity.
    Kept(Severity),
}

/// Settles `finding` under `settings`, with the file's `suppressions` (from [`suppress::parse`]
/// over `text`, when the text could be read).
pub(crate) fn settle(
    finding: &Finding<Location>,
    settings: &Settings,
    comments: Option<(&[Suppression], &str)>,
) -> Settled {
    let Some(severity) = settings.severity(finding.rule) else {
        return Settled::Off;
    };
    if let Some((suppressions, text)) = comments
        && let Some(i) = suppress::silencing(finding, suppressions, text)
    {
        return Settled::Suppressed(i);
    }
    Settled::Kept(severity)
}
