//! The disclosure policy: the thresholds every released cell is held to, read from TOML.

use serde::{Deserialize, Serialize};

/// The rules a result is checked against. `Policy::default()` is the NDB / 介護DB rule set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Names this rule set in reports, e.g. "ndb-kaigo-2024".
    pub version: String,
    /// Minimum distinct persons behind any released cell (default 10).
    pub min_persons: u64,
    /// Minimum distinct facilities / providers / municipalities behind a cell, where the query
    /// groups or filters by such an attribute (default 3).
    pub min_entities: u64,
    /// Dominance (n, k): a magnitude cell is hidden when its n largest contributors make more
    /// than k % of it (defaults n = 2, k = 90.0).
    pub dominance_n: usize,
    pub dominance_k_percent: f64,
    /// p % rule: hidden when the cell total minus the two largest contributions is less than
    /// p % of the largest (default 10.0).
    pub p_percent: f64,
    /// Round released counts to this base (None, or Some(5), Some(10) etc.; default None).
    /// TOML has no null, so "no rounding" is written by leaving the key out.
    pub rounding_base: Option<u64>,
    /// Whether cells whose value is zero may be shown (default true) — when false they are
    /// hidden like small cells.
    pub show_zero_cells: bool,
    /// Whether a row whose every value cell is hidden by a primary rule is still shown, with
    /// its labels (default false): its labels alone would tell that a group of fewer than
    /// `min_persons` persons with those attributes exists, so by default the row is withheld.
    pub show_hidden_rows: bool,
}

impl Default for Policy {
    /// The NDB guideline (no cell from fewer than 10 patients, zeros may be shown, facility
    /// counts under 3 hidden), the 介護DB guideline (10 care recipients, 3 providers or
    /// municipalities) and the dominance rules safe-output peers use (ACRO: n = 2, k = 90 %,
    /// p = 10 %). No rounding: neither guideline asks for it.
    fn default() -> Policy {
        Policy {
            version: "ndb-kaigo-2024".to_string(),
            min_persons: 10,
            min_entities: 3,
            dominance_n: 2,
            dominance_k_percent: 90.0,
            p_percent: 10.0,
            rounding_base: None,
            show_zero_cells: true,
            show_hidden_rows: false,
        }
    }
}

/// Why a policy text was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not TOML, an unknown key, or a value of the wrong type.
    #[error("policy TOML does not parse: {0}")]
    Syntax(#[from] toml::de::Error),
    /// A field has a value the rules cannot work with.
    #[error("policy field `{field}` = {value} is not allowed: {rule}")]
    Invalid {
        field: &'static str,
        /// The offending value as written back from the parsed policy.
        value: String,
        rule: &'static str,
    },
}

impl Policy {
    /// Parses and validates a policy; keys left out take their default.
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy as TOML that [`Policy::from_toml_str`] reads back to an equal policy.
    pub fn to_toml_string(&self) -> String {
        // A flat struct of strings, integers, floats and booleans always has a TOML form.
        toml::to_string(self).expect("a flat Policy always serializes to TOML")
    }

    /// Checks the values the rules need to be meaningful; [`Policy::from_toml_str`] calls it,
    /// and callers that build a policy in code should too.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let invalid = |field, value: String, rule| Err(PolicyError::Invalid { field, value, rule });
        if self.version.trim().is_empty() {
            return invalid("version", format!("{:?}", self.version), "must name the rule set");
        }
        if self.min_persons < 1 {
            return invalid("min_persons", self.min_persons.to_string(), "must be at least 1");
        }
        if self.min_entities < 1 {
            return invalid("min_entities", self.min_entities.to_string(), "must be at least 1");
        }
        if self.dominance_n < 1 {
            return invalid("dominance_n", self.dominance_n.to_string(), "must be at least 1");
        }
        // Written as negated ranges so that NaN, which compares false, is refused too.
        if !(self.dominance_k_percent > 0.0 && self.dominance_k_percent <= 100.0) {
            return invalid(
                "dominance_k_percent",
                self.dominance_k_percent.to_string(),
                "must be more than 0 and at most 100",
            );
        }
        if !(self.p_percent >= 0.0 && self.p_percent <= 100.0) {
            return invalid("p_percent", self.p_percent.to_string(), "must be from 0 to 100");
        }
        if let Some(base) = self.rounding_base
            && base < 2
        {
            return invalid(
                "rounding_base",
                base.to_string(),
                "must be at least 2 (leave the key out for no rounding)",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_field(text: &str) -> &'static str {
        match Policy::from_toml_str(text) {
            Err(PolicyError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn empty_text_is_the_default_policy() {
        assert_eq!(
            Policy::from_toml_str("").expect("empty policy parses"),
            Policy::default()
        );
    }

    #[test]
    fn default_is_the_ministry_rules() {
        let policy = Policy::default();
        assert_eq!(policy.version, "ndb-kaigo-2024");
        assert_eq!((policy.min_persons, policy.min_entities), (10, 3));
        assert_eq!(
            (policy.dominance_n, policy.dominance_k_percent, policy.p_percent),
            (2, 90.0, 10.0)
        );
        assert_eq!(policy.rounding_base, None);
        assert!(policy.show_zero_cells);
    }

    #[test]
    fn round_trips_through_toml() {
        let policies = [
            Policy::default(),
            Policy {
                version: "opensafely-like \"quoted\"".into(),
                min_persons: 8,
                min_entities: 5,
                dominance_n: 3,
                dominance_k_percent: 85.5,
                p_percent: 0.0,
                rounding_base: Some(5),
                show_zero_cells: false,
                show_hidden_rows: true,
            },
        ];
        for policy in policies {
            let text = policy.to_toml_string();
            assert_eq!(
                Policy::from_toml_str(&text).expect("written policy parses"),
                policy,
                "{text}"
            );
        }
    }

    #[test]
    fn keys_left_out_keep_their_default_and_integers_read_as_percentages() {
        let policy = Policy::from_toml_str("rounding_base = 10\ndominance_k_percent = 80\n").expect("parses");
        assert_eq!(policy.rounding_base, Some(10));
        assert_eq!(policy.dominance_k_percent, 80.0);
        assert_eq!(policy.min_persons, 10);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_syntax_errors() {
        for text in [
            "min_person = 10",
            "min_persons = -1",
            "min_persons = \"ten\"",
            "rounding_base = [",
        ] {
            assert!(
                matches!(Policy::from_toml_str(text), Err(PolicyError::Syntax(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases = [
            ("version = \" \"", "version"),
            ("min_persons = 0", "min_persons"),
            ("min_entities = 0", "min_entities"),
            ("dominance_n = 0", "dominance_n"),
            ("dominance_k_percent = 0.0", "dominance_k_percent"),
            ("dominance_k_percent = 100.5", "dominance_k_percent"),
            ("dominance_k_percent = nan", "dominance_k_percent"),
            ("p_percent = -1.0", "p_percent"),
            ("p_percent = 101.0", "p_percent"),
            ("p_percent = inf", "p_percent"),
            ("rounding_base = 0", "rounding_base"),
            ("rounding_base = 1", "rounding_base"),
        ];
        for (text, field) in cases {
            assert_eq!(rejected_field(text), field, "{text}");
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        let text = "min_persons = 1\nmin_entities = 1\ndominance_n = 1\ndominance_k_percent = 100.0\np_percent = 0.0\nrounding_base = 2";
        assert!(Policy::from_toml_str(text).is_ok());
        let text = "p_percent = 100.0\ndominance_k_percent = 0.001";
        assert!(Policy::from_toml_str(text).is_ok());
    }

    #[test]
    fn errors_say_the_field_and_the_rule() {
        let message = Policy::from_toml_str("min_persons = 0")
            .expect_err("refused")
            .to_string();
        assert!(
            message.contains("min_persons") && message.contains("at least 1"),
            "{message}"
        );
    }

    /// The example in docs/disclosure.md is the default policy, so the documentation cannot
    /// drift from the code.
    #[test]
    fn documented_example_is_the_default() {
        let doc = include_str!("../../../docs/disclosure.md");
        let (_, after_fence) = doc
            .split_once("```toml\n")
            .expect("docs/disclosure.md has a ```toml block");
        let (block, _) = after_fence.split_once("```").expect("the ```toml block is closed");
        assert_eq!(
            Policy::from_toml_str(block).expect("documented policy parses"),
            Policy::default()
        );
        assert_eq!(
            doc.matches("```toml").count(),
            1,
            "one policy example, so the test checks the only one"
        );
    }
}
