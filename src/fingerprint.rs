//! What identifies a finding across commits: its rule, its file, its function and the reported
//! expression with whitespace removed, plus how many identical ones come before it in the file.
//! Never a line number, so lines added above a finding, or edits elsewhere in the file, keep it
//! the same. SARIF's `partialFingerprints` and the baseline both use it.

use scoped_db_engine::{Finding, LineIndex, Location};

use crate::report::Outcome;

/// A finding's identity, as stable text.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Key {
    pub rule: String,
    pub path: String,
    pub function: String,
    /// The reported expression, whitespace removed (`pool.begin().await?`).
    pub expression: String,
    /// Zero for the first finding with the same other fields in this file, one for the next...
    pub occurrence: usize,
}

impl Key {
    /// A short hash of the key for SARIF (FNV-1a, 64 bits, as hex): the same key always gives the
    /// same text, on every machine and version.
    pub fn hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [
            &self.rule,
            &self.path,
            &self.function,
            &self.expression,
            &self.occurrence.to_string(),
        ] {
            for b in part.bytes().chain([0]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    }
}

/// The key of every finding of the outcome, in its order.
pub fn keys(outcome: &Outcome) -> Vec<Key> {
    let mut seen: std::collections::HashMap<(String, String, String, String), usize> =
        std::collections::HashMap::new();
    outcome
        .findings
        .iter()
        .map(|(file, finding)| {
            let file = &outcome.files[*file];
            let expression = file
                .text
                .as_deref()
                .map(|text| expression(text, finding))
                .unwrap_or_default();
            let base = (
                finding.rule.code().to_string(),
                file.path.replace('\\', "/"),
                finding.function.clone(),
                expression,
            );
            let count = seen.entry(base.clone()).or_default();
            let occurrence = *count;
            *count += 1;
            Key {
                rule: base.0,
                path: base.1,
                function: base.2,
                expression: base.3,
                occurrence,
            }
        })
        .collect()
}

/// The text of the finding's primary span without whitespace.
fn expression(text: &str, finding: &Finding<Location>) -> String {
    let range = LineIndex::new(text).range(text, finding.primary.span);
    text.get(range)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(expression: &str, occurrence: usize) -> Key {
        Key {
            rule: "SDB001".into(),
            path: "src/db.rs".into(),
            function: "open".into(),
            expression: expression.into(),
            occurrence,
        }
    }

    #[test]
    fn the_hash_depends_on_every_field_and_nothing_else() {
        assert_eq!(key("tx", 0).hash(), key("tx", 0).hash());
        assert_ne!(key("tx", 0).hash(), key("tx", 1).hash());
        assert_ne!(key("tx", 0).hash(), key("conn", 0).hash());
        // Fields are separated: moving a character from one to the next changes the hash.
        let mut a = key("tx", 0);
        a.function = "opent".into();
        a.expression = "x".into();
        assert_ne!(a.hash(), key("tx", 0).hash());
        assert_eq!(key("tx", 0).hash().len(), 16);
    }
}
