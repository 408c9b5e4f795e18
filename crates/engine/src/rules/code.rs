//! What names a rule and how much its findings matter: the leaf every layer that carries a
//! finding imports (summaries, findings, attributes, suppressions), apart from the registry and
//! the rules themselves (`rules/mod.rs`), which import those layers.

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule scoped-db reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    EscapedHandle,
    StoredHandle,
    LeakedHandle,
    UnfinishedTransaction,
    EscapedWithTarget,
    BypassedTransaction,
    NestedAcquire,
    SharedAcrossTasks,
    HeldAcrossIo,
}

/// What the registry knows of a rule.
#[derive(Debug)]
pub struct RuleInfo {
    pub rule: Rule,
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
    /// Markdown in ruff's template: What it does / Why is this bad? / Example / Use instead.
    pub docs: &'static str,
}
