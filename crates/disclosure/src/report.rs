//! The disclosure report: what was hidden, by which rule, under which policy — as Renkei JSON,
//! and as an ACRO `results.json` so that SACRO / ACRO-style output checkers can load it.

use crate::policy::Policy;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// Why one released cell is hidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellRule {
    /// Fewer distinct persons than `min_persons`.
    MinPersons,
    /// Fewer distinct facilities / providers / municipalities than `min_entities`.
    MinEntities,
    /// The (n, k) dominance rule.
    Dominance,
    /// The p % rule.
    PPercent,
    /// A zero that `min_persons` or more persons make, under a policy with
    /// `show_zero_cells = false` (a zero with fewer is `MinPersons`, as any small cell).
    ZeroCell,
    /// Hidden so that no primary-hidden cell can be recomputed from the published ones.
    Secondary,
    /// Its difference with another cell of its row (the same count with and without a
    /// condition), or a part of it weighed apart by a condition inside it, is about fewer
    /// than `min_persons` persons.
    Difference,
    /// With cells the project released before (its ledger), it would determine the count
    /// of fewer than `min_persons` persons: hidden whatever its value, and again when asked
    /// again.
    History,
}

impl CellRule {
    /// The rule's name in the report JSON (`min_persons`, …).
    pub fn name(self) -> &'static str {
        match self {
            CellRule::MinPersons => "min_persons",
            CellRule::MinEntities => "min_entities",
            CellRule::Dominance => "dominance",
            CellRule::PPercent => "p_percent",
            CellRule::ZeroCell => "zero_cell",
            CellRule::Secondary => "secondary",
            CellRule::Difference => "difference",
            CellRule::History => "history",
        }
    }

    /// The name ACRO gives the check (its `sdc` keys and `outcome` labels); the rules ACRO does
    /// not have get names in the same style.
    fn acro_name(self) -> &'static str {
        match self {
            CellRule::MinPersons => "threshold",
            CellRule::MinEntities => "entity-threshold",
            CellRule::Dominance => "nk-rule",
            CellRule::PPercent => "p-ratio",
            CellRule::ZeroCell => "zero",
            CellRule::Secondary => "secondary",
            CellRule::Difference => "difference",
            CellRule::History => "history",
        }
    }
}

/// One hidden cell: its row in the released result (0-based) and its column's name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HiddenCell {
    pub row: usize,
    pub column: String,
    pub rule: CellRule,
}

/// Counts over the released result.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Rows released.
    pub rows: usize,
    /// Value (aggregate) cells in the released rows, hidden or not.
    pub value_cells: usize,
    /// The columns that hold values, in output order; the other columns label the rows
    /// (group keys). Reports written before this field read as none.
    #[serde(default)]
    pub value_columns: Vec<String>,
    pub hidden_primary: usize,
    pub hidden_secondary: usize,
    /// The base released counts were rounded to, if any.
    pub rounded_to: Option<u64>,
}

/// The outcome of checking one query's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Released with nothing hidden.
    Pass,
    /// Released with some cells hidden: a steward should look. Rows withheld whole leave no
    /// trace here (nor anywhere): how many there are would count groups under the thresholds,
    /// and a HAVING could then read a hidden value from it. Written `cells_hidden`; reports
    /// written before said `review`, which a released result's report still said, read as the
    /// request's state (still under review), and are read as this.
    #[serde(alias = "review")]
    CellsHidden,
    /// Nothing released.
    Refused,
}

impl Status {
    /// The status as the report's JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::CellsHidden => "cells_hidden",
            Status::Refused => "refused",
        }
    }
}

/// The disclosure report of one query.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Pass (nothing hidden), CellsHidden (some cells hidden), Refused.
    pub status: Status,
    /// The whole policy, including its version.
    pub policy: Policy,
    /// Supplied by the caller (BLAKE3 hex of the SQL text).
    pub query_hash: String,
    /// The SQL text (the query itself is not data).
    pub command: String,
    pub summary: Summary,
    pub hidden: Vec<HiddenCell>,
    /// The reason, when refused.
    pub refusal: Option<String>,
    /// E.g. "secondary suppression hid 3 cells beyond the primary ones".
    pub notes: Vec<String>,
}

impl Report {
    /// The report as pretty-printed JSON (the shape is in docs/disclosure.md).
    pub fn to_json(&self) -> String {
        // Every map key is a string and serde_json writes non-finite floats as null, so
        // serialization cannot fail.
        serde_json::to_string_pretty(self).expect("a Report always serializes to JSON")
    }

    /// A report written by [`Report::to_json`] (the broker keeps reports as that text).
    pub fn from_json(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// ACRO-style view, shaped like the `results.json` ACRO 0.4 writes with one table output:
    /// `{"version", "results": {"output_0": {"uid", "status", "type": "table", "properties",
    /// "files": [{"name", "sdc"}], "outcome", "command", "summary", "timestamp", "comments",
    /// "exception"}}}`. `status` is "pass", "review" or "fail" (refused). `outcome` maps each
    /// column, then each row index as a string, to "ok" or the names of the rules that hid the
    /// cell, each followed by "; " (ACRO's "threshold", "nk-rule", "p-ratio", and
    /// "entity-threshold", "zero", "secondary" for the rules ACRO lacks).
    ///
    /// `columns`: the result's columns in order, each given an outcome; a column that holds a
    /// hidden cell but is not listed is added after them. The file entry names
    /// `output_0_0.csv`, where ACRO would have written the table: whoever writes this JSON
    /// next to a released table should write the table under that name. The report has no
    /// clock: `timestamp` is what the caller gives (ACRO writes when the output was made; empty
    /// when unknown); `comments` carries the report's notes.
    pub fn to_acro_json(&self, columns: &[String], timestamp: &str) -> String {
        let results = AcroResults {
            version: concat!("renkei-disclosure ", env!("CARGO_PKG_VERSION")),
            results: AcroOutputs {
                output_0: self.acro_output(columns, timestamp),
            },
        };
        serde_json::to_string_pretty(&results).expect("the ACRO view always serializes to JSON")
    }

    fn acro_output<'a>(&'a self, columns: &'a [String], timestamp: &'a str) -> AcroOutput<'a> {
        let status = match self.status {
            Status::Pass => "pass",
            // ACRO's word for an output a checker should look at.
            Status::CellsHidden => "review",
            Status::Refused => "fail",
        };
        let rows = self
            .hidden
            .iter()
            .map(|cell| cell.row + 1)
            .fold(self.summary.rows, usize::max);
        let mut outcome_columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let mut labels = vec![vec![String::new(); rows]; outcome_columns.len()];
        let mut counts = PerRule::<usize>::default();
        let mut positions = PerRule::<Vec<[usize; 2]>>::default();
        for cell in &self.hidden {
            let column = match outcome_columns.iter().position(|c| *c == cell.column) {
                Some(at) => at,
                None => {
                    outcome_columns.push(&cell.column);
                    labels.push(vec![String::new(); rows]);
                    outcome_columns.len() - 1
                }
            };
            labels[column][cell.row] += &format!("{}; ", cell.rule.acro_name());
            *counts.get_mut(cell.rule) += 1;
            positions.get_mut(cell.rule).push([cell.row, column]);
        }
        let outcome = if self.status == Status::Refused {
            Outcome(Vec::new())
        } else {
            Outcome(outcome_columns.into_iter().zip(labels).collect())
        };
        let summary = match (&self.status, &self.refusal) {
            (Status::Refused, reason) => format!("fail; refused: {}", reason.as_deref().unwrap_or("no reason given")),
            _ => {
                let mut summary = String::new();
                for rule in ACRO_ORDER {
                    let count = *counts.get(rule);
                    if count > 0 {
                        summary += &format!("{}: {count} cells suppressed; ", rule.acro_name());
                    }
                }
                if summary.is_empty() {
                    status.to_string()
                } else {
                    format!("{status}; {summary}")
                }
            }
        };
        AcroOutput {
            uid: "output_0",
            status,
            output_type: "table",
            properties: AcroProperties {
                method: "sql",
                mitigation: "suppress",
                round_base: self.summary.rounded_to,
                policy: &self.policy.version,
                query_hash: &self.query_hash,
            },
            files: vec![AcroFile {
                name: "output_0_0.csv",
                sdc: Sdc {
                    summary: SdcSummary {
                        suppressed: true,
                        counts,
                    },
                    cells: positions,
                },
            }],
            outcome,
            command: &self.command,
            summary,
            timestamp,
            comments: &self.notes,
            exception: "",
        }
    }
}

/// The order rules are listed in ACRO summaries: ACRO's own first, as ACRO lists them.
const ACRO_ORDER: [CellRule; 7] = [
    CellRule::MinPersons,
    CellRule::PPercent,
    CellRule::Dominance,
    CellRule::MinEntities,
    CellRule::ZeroCell,
    CellRule::Secondary,
    CellRule::Difference,
];

#[derive(Serialize)]
struct AcroResults<'a> {
    version: &'static str,
    results: AcroOutputs<'a>,
}

#[derive(Serialize)]
struct AcroOutputs<'a> {
    output_0: AcroOutput<'a>,
}

#[derive(Serialize)]
struct AcroOutput<'a> {
    uid: &'static str,
    status: &'static str,
    #[serde(rename = "type")]
    output_type: &'static str,
    properties: AcroProperties<'a>,
    files: Vec<AcroFile>,
    outcome: Outcome<'a>,
    command: &'a str,
    summary: String,
    timestamp: &'a str,
    comments: &'a [String],
    exception: &'static str,
}

#[derive(Serialize)]
struct AcroProperties<'a> {
    method: &'static str,
    mitigation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    round_base: Option<u64>,
    policy: &'a str,
    query_hash: &'a str,
}

#[derive(Serialize)]
struct AcroFile {
    name: &'static str,
    sdc: Sdc,
}

#[derive(Serialize)]
struct Sdc {
    summary: SdcSummary,
    cells: PerRule<Vec<[usize; 2]>>,
}

#[derive(Serialize)]
struct SdcSummary {
    /// ACRO's flag for "suppression was applied"; Renkei always suppresses.
    suppressed: bool,
    #[serde(flatten)]
    counts: PerRule<usize>,
}

/// One value per rule, under ACRO-style keys (the same names as [`CellRule::acro_name`]).
#[derive(Default, Serialize)]
struct PerRule<T> {
    threshold: T,
    #[serde(rename = "p-ratio")]
    p_ratio: T,
    #[serde(rename = "nk-rule")]
    nk_rule: T,
    #[serde(rename = "entity-threshold")]
    entity_threshold: T,
    zero: T,
    secondary: T,
    difference: T,
    history: T,
}

impl<T> PerRule<T> {
    fn get(&self, rule: CellRule) -> &T {
        match rule {
            CellRule::MinPersons => &self.threshold,
            CellRule::PPercent => &self.p_ratio,
            CellRule::Dominance => &self.nk_rule,
            CellRule::MinEntities => &self.entity_threshold,
            CellRule::ZeroCell => &self.zero,
            CellRule::Secondary => &self.secondary,
            CellRule::Difference => &self.difference,
            CellRule::History => &self.history,
        }
    }

    fn get_mut(&mut self, rule: CellRule) -> &mut T {
        match rule {
            CellRule::MinPersons => &mut self.threshold,
            CellRule::PPercent => &mut self.p_ratio,
            CellRule::Dominance => &mut self.nk_rule,
            CellRule::MinEntities => &mut self.entity_threshold,
            CellRule::ZeroCell => &mut self.zero,
            CellRule::Secondary => &mut self.secondary,
            CellRule::Difference => &mut self.difference,
            CellRule::History => &mut self.history,
        }
    }
}

/// Column → row index (as a string, like pandas' `to_json`) → "ok" or rule labels, in the
/// result's column and row order rather than sorted.
struct Outcome<'a>(Vec<(&'a str, Vec<String>)>);

impl Serialize for Outcome<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut columns = serializer.serialize_map(Some(self.0.len()))?;
        for (column, labels) in &self.0 {
            columns.serialize_entry(column, &RowLabels(labels))?;
        }
        columns.end()
    }
}

struct RowLabels<'a>(&'a [String]);

impl Serialize for RowLabels<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut rows = serializer.serialize_map(Some(self.0.len()))?;
        for (row, label) in self.0.iter().enumerate() {
            rows.serialize_entry(&row.to_string(), if label.is_empty() { "ok" } else { label })?;
        }
        rows.end()
    }
}

#[cfg(test)]
mod tests;
