//! The rule registry: one table from code to rule. Codes are stable forever.

pub mod bypassed_transaction;
pub mod code;
pub mod escaped_handle;
pub mod escaped_with_target;
pub mod held_across_io;
mod held_pool;
pub mod leaked_handle;
pub mod nested_acquire;
pub mod shared_across_tasks;
pub mod stored_handle;
pub mod unfinished_transaction;

pub use code::{Rule, RuleInfo, Severity};

/// Every rule's findings for one summary.
pub(crate) fn check<S: Clone>(
    summary: &crate::summary::FnSummary<S>,
    facts: &crate::propagate::Facts,
) -> Vec<crate::finding::Finding<S>> {
    let mut out = escaped_handle::check(summary, facts);
    out.extend(stored_handle::check(summary, facts));
    out.extend(leaked_handle::check(summary, facts));
    out.extend(unfinished_transaction::check(summary, facts));
    out.extend(escaped_with_target::check(summary, facts));
    out.extend(bypassed_transaction::check(summary, facts));
    out.extend(nested_acquire::check(summary, facts));
    out.extend(shared_across_tasks::check(summary, facts));
    out.extend(held_across_io::check(summary, facts));
    out
}

/// A finding of `info`'s rule in `summary`'s function, at its default severity.
pub(crate) fn finding<S: Clone>(
    summary: &crate::summary::FnSummary<S>,
    info: &RuleInfo,
    message: String,
    primary: crate::finding::Label<S>,
    related: Vec<crate::finding::Label<S>>,
    help: &str,
) -> crate::finding::Finding<S> {
    crate::finding::Finding {
        rule: info.rule,
        severity: info.default_severity,
        function: summary.function.clone(),
        function_span: summary.name_span.clone(),
        message,
        primary,
        related,
        help: help.to_string(),
    }
}

/// The registry.
pub static RULES: &[&RuleInfo] = &[
    &escaped_handle::INFO,
    &stored_handle::INFO,
    &leaked_handle::INFO,
    &unfinished_transaction::INFO,
    &escaped_with_target::INFO,
    &bypassed_transaction::INFO,
    &nested_acquire::INFO,
    &shared_across_tasks::INFO,
    &held_across_io::INFO,
];

impl Rule {
    pub fn info(self) -> &'static RuleInfo {
        RULES
            .iter()
            .find(|r| r.rule == self)
            .expect("every rule is registered")
    }

    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Finds a rule by code (`SDB001`), kebab-case name (`escaped-handle`) or snake_case name.
    pub fn from_name(name: &str) -> Option<Rule> {
        let kebab = name.replace('_', "-");
        RULES
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(name) || r.name == kebab)
            .map(|r| r.rule)
    }
}

/// The findings of one rule on one source, for the rule files' own tests.
#[cfg(test)]
pub(crate) fn reported(path: &str, src: &str, code: &str) -> Vec<crate::Finding<crate::Location>> {
    let report = crate::check_sources(&[(path, src)], &crate::Options::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .findings
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| f.rule.code() == code)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_found_by_code_kebab_and_snake_names() {
        for info in RULES {
            assert_eq!(Rule::from_name(info.code), Some(info.rule));
            assert_eq!(Rule::from_name(info.name), Some(info.rule));
            assert_eq!(
                Rule::from_name(&info.name.replace('-', "_")),
                Some(info.rule)
            );
        }
        assert_eq!(Rule::from_name("no-such-rule"), None);
    }

    /// The code blocks of a section of a rule's docs: its language and text.
    fn blocks<'d>(docs: &'d str, after: &str, until: &str) -> Vec<(&'d str, &'d str)> {
        let start = docs.find(after).expect("the section is there");
        let end = docs[start..].find(until).map_or(docs.len(), |e| start + e);
        docs[start..end]
            .split("```")
            .skip(1)
            .step_by(2)
            .filter_map(|b| b.split_once('\n'))
            .collect()
    }

    /// The examples of the pool rules are what they say: the example is reported, what to use
    /// instead is not.
    #[test]
    fn the_pool_rules_report_their_example_and_not_its_fix() {
        for info in [
            &bypassed_transaction::INFO,
            &nested_acquire::INFO,
            &shared_across_tasks::INFO,
            &held_across_io::INFO,
        ] {
            for (section, until, fires) in [
                ("## Example", "Use instead:", true),
                ("Use instead:", "## Library notes", false),
            ] {
                let examples = blocks(info.docs, section, until);
                assert!(!examples.is_empty(), "{} {section}", info.code);
                for (lang, code) in examples {
                    if lang == "python" && cfg!(not(feature = "python")) {
                        continue;
                    }
                    let path = if lang == "python" {
                        "app/x.py"
                    } else {
                        "src/x.rs"
                    };
                    let found = reported(path, code, info.code);
                    assert_eq!(!found.is_empty(), fires, "{} {section}:\n{code}", info.code);
                }
            }
        }
    }

    #[test]
    fn every_rule_has_every_docs_section() {
        for info in RULES {
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "Use instead:",
                "## Library notes",
            ] {
                assert!(
                    info.docs.contains(section),
                    "{} lacks `{section}`",
                    info.code
                );
            }
            assert!(info.code.starts_with("SDB") && info.code.len() == 6);
        }
    }
}
