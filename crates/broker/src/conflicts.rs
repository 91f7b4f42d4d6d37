//! What a steward sees of a cell hidden by the release ledger: the earlier cells it conflicts
//! with, named by the output they left in (`request:<id>`, `flight:<result hash>`), their row
//! and column. Stored with the request's output (column `history_conflicts`, JSON), returned by
//! the steward's `GetReview` and shown on the console's review page; never in the report, and
//! never to a researcher or analyst, who see the rule `history` alone.

use crate::error::BrokerError;
use crate::ledger::LedgerCell;
use crate::pb;
use renkei_engine::HistoryConflict;
use serde::{Deserialize, Serialize};

/// One hidden cell and the cells it conflicts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The hidden cell's row (from 0, as the report numbers rows) and column.
    pub row: u64,
    pub column: String,
    pub with: Vec<CellRef>,
    /// `pair`, `span` or `sharing_persons` ([`renkei_engine::ConflictFound`]).
    pub found: String,
}

/// A cell an output released: `output` is `request:<id>` or `flight:<result hash>`, empty for
/// a cell of the same output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellRef {
    pub output: String,
    pub row: u64,
    pub column: String,
}

/// The engine's conflicts (indices into the history checked against) named by the ledger's
/// cells, `history[i]` being the cell of set i.
pub fn named(conflicts: &[HistoryConflict], history: &[LedgerCell]) -> Vec<Conflict> {
    conflicts
        .iter()
        .map(|c| Conflict {
            row: c.row as u64,
            column: c.column.clone(),
            with: c
                .with
                .iter()
                .filter_map(|i| history.get(*i))
                .map(|cell| CellRef {
                    output: cell.output.clone(),
                    row: cell.row,
                    column: cell.column.clone(),
                })
                .chain(c.with_output.iter().map(|(row, column)| CellRef {
                    output: String::new(),
                    row: *row as u64,
                    column: column.clone(),
                }))
                .collect(),
            found: c.found.name().to_string(),
        })
        .collect()
}

/// As stored: JSON, none as NULL.
pub fn to_json(conflicts: &[Conflict]) -> Option<String> {
    (!conflicts.is_empty()).then(|| serde_json::to_string(conflicts).unwrap_or_else(|_| "[]".into()))
}

pub fn from_json(stored: Option<&str>) -> Result<Vec<Conflict>, BrokerError> {
    stored.map_or(Ok(Vec::new()), |json| {
        serde_json::from_str(json).map_err(|_| BrokerError::Io("a stored history conflict is not readable".into()))
    })
}

/// An output as a steward reads it.
fn output_name(output: &str) -> String {
    if output.is_empty() {
        "this output's".to_string()
    } else if let Some(id) = output.strip_prefix("request:") {
        format!("request {id}")
    } else if let Some(hash) = output.strip_prefix("flight:") {
        format!("the Flight SQL result {}", &hash[..hash.len().min(12)])
    } else {
        output.to_string()
    }
}

impl CellRef {
    /// The released request this cell left in, if it left in one.
    pub fn request(&self) -> Option<i64> {
        self.output.strip_prefix("request:")?.parse().ok()
    }

    /// `row 0, column persons`: where in its output.
    pub fn place(&self) -> String {
        format!("row {}, column {}", self.row, self.column)
    }

    /// `request 12 row 0, column persons`.
    pub fn text(&self) -> String {
        format!("{} {}", output_name(&self.output), self.place())
    }
}

impl Conflict {
    /// How the cells were found, in words.
    pub fn how(&self) -> &'static str {
        match self.found.as_str() {
            "pair" => "each differs from it by a few persons",
            "span" => "together they give a small group away with it",
            _ => "no set was searched for within the bound: the earlier cells sharing persons with it",
        }
    }

    /// In words: `row 0, column persons conflicts with request 12 row 0, column persons (…)`.
    pub fn text(&self) -> String {
        let with: Vec<String> = self.with.iter().map(CellRef::text).collect();
        let with = if with.is_empty() {
            "no cell it could name".to_string()
        } else {
            with.join("; ")
        };
        format!(
            "row {}, column {} conflicts with {with} ({})",
            self.row,
            self.column,
            self.how()
        )
    }

    pub fn to_wire(&self) -> pb::HistoryConflict {
        pb::HistoryConflict {
            row: self.row,
            column: self.column.clone(),
            with: self
                .with
                .iter()
                .map(|c| pb::ConflictingCell {
                    output: c.output.clone(),
                    row: c.row,
                    column: c.column.clone(),
                })
                .collect(),
            found: self.found.clone(),
            text: self.text(),
        }
    }
}
