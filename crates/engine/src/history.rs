//! The persons behind each released count of persons, for the release ledger, and the check
//! of a new output against the ledger's history (`renkei_disclosure::history_conflicts`):
//! both run in the control node, where the rules run, so that a cell the history hides is a
//! primary cell like any other and secondary suppression protects it.
//!
//! The sets are the persons' 64-bit key numbers (`key_number.rs`): a pseudonym's number, so
//! they never leave the secure side. [`ReleasedCell`] prints their sizes only.

use crate::control::{ColumnRule, ControlSpec};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::UInt64Type;
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use renkei_disclosure::{CellRule, PersonSet, history_conflicts};

/// One released count of persons with its persons: what a ledger keeps of an output.
pub struct ReleasedCell {
    /// Its row in the released output (0-based) and its column's name.
    pub row: usize,
    pub column: String,
    pub persons: PersonSet,
}

impl std::fmt::Debug for ReleasedCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ReleasedCell({}, {}: {} persons)",
            self.row,
            self.column,
            self.persons.len()
        )
    }
}

/// Per row and column of the checked result, the persons behind a bare count of persons
/// (`None` elsewhere, and where the engine keeps no sets).
pub fn person_sets(batch: &RecordBatch, spec: &ControlSpec) -> Result<Vec<Vec<Option<PersonSet>>>> {
    let rows = batch.num_rows();
    let mut sets: Vec<Vec<Option<PersonSet>>> = vec![vec![None; spec.columns.len()]; rows];
    for (c, col) in spec.columns.iter().enumerate() {
        let ColumnRule::Value { aggregates, bare: true } = col else {
            continue;
        };
        let [j] = aggregates.as_slice() else { continue };
        let Some(name) = &spec.aggregates[*j].person_set else {
            continue;
        };
        let index = batch
            .schema()
            .index_of(name)
            .map_err(|_| DataFusionError::Internal("disclosure control: a person set column is missing".into()))?;
        let lists = batch
            .column(index)
            .as_list_opt::<i32>()
            .ok_or_else(|| DataFusionError::Internal("disclosure control: a person set is not a list".into()))?;
        for (r, row) in sets.iter_mut().enumerate() {
            let persons = if lists.is_null(r) {
                Vec::new()
            } else {
                let values = lists.value(r);
                let numbers = values.as_primitive_opt::<UInt64Type>().ok_or_else(|| {
                    DataFusionError::Internal("disclosure control: person numbers are not numbers".into())
                })?;
                numbers.iter().flatten().collect()
            };
            row[c] = Some(PersonSet::new(persons));
        }
    }
    Ok(sets)
}

/// Marks `History` on the released cells (of `published` rows, not hidden yet) whose release
/// would, with `history`, determine the count of 1 to `min_persons − 1` persons; returns the
/// rows where it did.
pub fn hide_by_history(
    sets: &[Vec<Option<PersonSet>>],
    rule: &mut [Vec<Option<CellRule>>],
    published: &[bool],
    history: &[PersonSet],
    min_persons: u64,
) -> Result<Vec<bool>> {
    let mut rows = vec![false; rule.len()];
    let candidates: Vec<(usize, usize)> = sets
        .iter()
        .enumerate()
        .flat_map(|(r, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, s)| s.as_ref().is_some_and(|s| !s.is_empty()))
                .map(move |(c, _)| (r, c))
        })
        .filter(|(r, c)| published[*r] && rule[*r][*c].is_none())
        .collect();
    // With no history too: the output's own counts of persons across its rows (a person in
    // two groups) are combined the same way, so that an output asked twice is shown the same
    // both times.
    if candidates.is_empty() {
        return Ok(rows);
    }
    let new: Vec<&PersonSet> = candidates.iter().filter_map(|(r, c)| sets[*r][*c].as_ref()).collect();
    let priority: Vec<f64> = new.iter().map(|s| s.len() as f64).collect();
    let history: Vec<&PersonSet> = history.iter().collect();
    let hidden = history_conflicts(&history, &new, &priority, min_persons)
        .map_err(|_| DataFusionError::Internal("disclosure control: the history check failed".into()))?;
    for i in hidden {
        let (r, c) = candidates[i];
        rule[r][c] = Some(CellRule::History);
        rows[r] = true;
    }
    Ok(rows)
}

/// The released cells' person sets, in output rows: `released_rows[k]` is the checked
/// result's row shown as output row k, `rule` the final verdict of each cell.
pub fn released(
    sets: Vec<Vec<Option<PersonSet>>>,
    rule: &[Vec<Option<CellRule>>],
    released_rows: &[usize],
    columns: &[String],
) -> Vec<ReleasedCell> {
    let mut sets = sets;
    let mut out = Vec::new();
    for (row, &r) in released_rows.iter().enumerate() {
        for (c, set) in sets[r].iter_mut().enumerate() {
            if rule[r][c].is_none()
                && let Some(persons) = set.take().filter(|s| !s.is_empty())
            {
                out.push(ReleasedCell {
                    row,
                    column: columns[c].clone(),
                    persons,
                });
            }
        }
    }
    out
}
