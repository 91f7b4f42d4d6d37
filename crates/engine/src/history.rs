//! The persons behind each released count of persons (and the pieces of each released
//! total, which are sets the same way), for the release ledger, and the check
//! of a new output against the ledger's history (`renkei_disclosure::history_conflicts`):
//! both run in the control node, where the rules run, so that a cell the history hides is a
//! primary cell like any other and secondary suppression protects it.
//!
//! The sets are the persons' 64-bit key numbers (`key_number.rs`): a pseudonym's number, so
//! they never leave the secure side. [`ReleasedCell`] prints their sizes only.

use crate::contributions::{PieceKind, piece};
use crate::control::{ColumnRule, ControlSpec, KeptSet};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::UInt64Type;
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use renkei_disclosure::{
    CellRule, Conflict, ConflictFound, LISTED_CELLS, PersonSet, explain_history_conflicts, history_conflicts,
    totals_apart_by_few,
};

/// One released count of persons with its persons: what a ledger keeps of an output.
pub struct ReleasedCell {
    /// Its row in the released output (0-based) and its column's name. An aggregate a HAVING
    /// tested is in column `HAVING <k>` (its k-th such aggregate, from 1); where the HAVING
    /// dropped its row, the row is numbered after the output's rows (its verdict, the row's
    /// absence, was released all the same).
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

/// Which earlier cells a cell hidden with the rule `history` conflicts with: for the steward
/// who reviews the output, never for its reader (it is not in the [`renkei_disclosure::Report`],
/// which goes to researchers and analysts). How they are found, and how far the search goes:
/// [`renkei_disclosure::explain_history_conflicts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryConflict {
    /// The hidden cell: its row in the output (0-based, as the report numbers rows) and its
    /// column.
    pub row: usize,
    pub column: String,
    /// Cells of the history the output was checked against: indices into it (oldest first).
    pub with: Vec<usize>,
    /// Cells of this same output it combines with (row, column), where their row is shown.
    pub with_output: Vec<(usize, String)>,
    pub found: ConflictFound,
}

/// A [`HistoryConflict`] in the checked result's rows and columns, before rows are filtered
/// and ordered for output.
pub struct CheckedConflict {
    pub row: usize,
    pub column: usize,
    pub with: Vec<usize>,
    pub with_output: Vec<(usize, usize)>,
    pub found: ConflictFound,
}

/// The persons behind the counts of persons of a checked result (and the pieces of its
/// totals), and where they show.
pub struct PersonSets {
    /// `(column, set)`: the value columns made of an aggregate the ledger keeps, bare or
    /// computed (`count(DISTINCT person_id) + 0` and a ratio give the count back as well),
    /// with each set the aggregate has (a mean has two).
    shown: Vec<(usize, usize)>,
    /// Per row, per set: its persons, or its pieces.
    rows: Vec<Vec<Option<PersonSet>>>,
    /// Per set: whether it is a total's pieces.
    pieces: Vec<bool>,
    /// The sets of aggregates a HAVING tests that no column shows. Each query's verdict is a
    /// yes/no about them: 22 HAVINGs bisected the women's points, 22 more those without the
    /// woman aged 98, and the two gave her 28,942 points (red team R7-2).
    tested: Vec<usize>,
    /// Per row, whether its HAVING verdict is released (the row shown or absent by it, not
    /// withheld for a hidden cell or by the history).
    judged: Vec<bool>,
}

/// Reads the hidden person lists of `batch` (none where the engine keeps no sets).
pub fn person_sets(batch: &RecordBatch, spec: &ControlSpec) -> Result<PersonSets> {
    let internal = |what: &str| DataFusionError::Internal(format!("disclosure control: {what}"));
    // Every kept set, numbered, with its aggregate.
    let sets: Vec<(usize, &KeptSet)> = spec
        .aggregates
        .iter()
        .enumerate()
        .flat_map(|(j, a)| a.kept.iter().map(move |k| (j, k)))
        .collect();
    let mut rows: Vec<Vec<Option<PersonSet>>> = vec![vec![None; sets.len()]; batch.num_rows()];
    for (s, (_, kept)) in sets.iter().enumerate() {
        let index = batch
            .schema()
            .index_of(&kept.column)
            .map_err(|_| internal("a person set column is missing"))?;
        let lists = batch
            .column(index)
            .as_list_opt::<i32>()
            .ok_or_else(|| internal("a person set is not a list"))?;
        for (r, row) in rows.iter_mut().enumerate() {
            let persons = if lists.is_null(r) {
                Vec::new()
            } else {
                let values = lists.value(r);
                let numbers = values
                    .as_primitive_opt::<UInt64Type>()
                    .ok_or_else(|| internal("person numbers are not numbers"))?;
                numbers.iter().flatten().collect()
            };
            row[s] = Some(PersonSet::new(persons));
        }
    }
    let mut shown = Vec::new();
    for (c, col) in spec.columns.iter().enumerate() {
        if let ColumnRule::Value { aggregates, .. } = col {
            for (s, (j, _)) in sets.iter().enumerate() {
                if aggregates.contains(j) {
                    shown.push((c, s));
                }
            }
        }
    }
    let pieces = sets.iter().map(|(_, k)| k.pieces).collect();
    let tested = (0..sets.len())
        .filter(|s| spec.having_aggregates.contains(&sets[*s].0) && !shown.iter().any(|(_, t)| t == s))
        .collect();
    let judged = vec![false; batch.num_rows()];
    Ok(PersonSets {
        shown,
        rows,
        pieces,
        tested,
        judged,
    })
}

impl PersonSets {
    /// The rows whose HAVING verdict the output tells: the sets a HAVING tests there are
    /// checked against the history and kept as released cells.
    pub fn set_judged(&mut self, judged: Vec<bool>) {
        self.judged = judged;
    }

    /// The kept sets of `published` rows that a column not hidden yet shows, and those a
    /// HAVING tests in judged rows (no column): `(row, column, set)`.
    fn candidates(&self, rule: &[Vec<Option<CellRule>>], published: &[bool]) -> Vec<(usize, Option<usize>, usize)> {
        let mut out = Vec::new();
        for (r, row) in self.rows.iter().enumerate() {
            let has = |j: usize| row[j].as_ref().is_some_and(|s| !s.is_empty());
            if published[r] {
                for &(c, j) in &self.shown {
                    if rule[r][c].is_none() && has(j) {
                        out.push((r, Some(c), j));
                    }
                }
            }
            if self.judged[r] {
                out.extend(self.tested.iter().filter(|j| has(**j)).map(|j| (r, None, *j)));
            }
        }
        out
    }
}

/// Marks `History` on the released cells (of `published` rows, not hidden yet) whose release
/// would, with `history`, determine the count of 1 to `min_persons − 1` persons; returns the
/// rows where it did, and for each cell it marked the cells it conflicts with (searched only
/// when some cell is marked).
pub fn hide_by_history(
    sets: &mut PersonSets,
    rule: &mut [Vec<Option<CellRule>>],
    published: &[bool],
    history: &[PersonSet],
    min_persons: u64,
) -> Result<(Vec<bool>, Vec<CheckedConflict>)> {
    let mut rows = vec![false; rule.len()];
    let mut candidates = sets.candidates(rule, published);
    // The check takes the largest first and breaks ties by position: ordered by their sets,
    // not by the rows' order, which the aggregation leaves to arrival. In that order, equal
    // sizes were taken one way or the other from run to run, and two runs hid different
    // cells, together releasing all three a run protected (red team R11-1).
    candidates.sort_by(|a, b| {
        let set = |(r, _, j): &(usize, Option<usize>, usize)| sets.rows[*r][*j].as_ref().map(PersonSet::persons);
        let (x, y) = (set(a), set(b));
        y.map_or(0, <[u64]>::len)
            .cmp(&x.map_or(0, <[u64]>::len))
            .then_with(|| x.cmp(&y))
            .then(a.1.cmp(&b.1))
    });
    // With no history too: the output's own counts of persons across its rows (a person in
    // two groups) are combined the same way, so that an output asked twice is shown the same
    // both times.
    // Under a minimum of one person no group is small and nothing is hidden: the pairs are
    // not compared at all (90,469 cells took 117 s comparing pairs that could not conflict).
    if candidates.is_empty() || min_persons <= 1 {
        return Ok((rows, Vec::new()));
    }
    let new: Vec<&PersonSet> = candidates
        .iter()
        .filter_map(|(r, _, j)| sets.rows[*r][*j].as_ref())
        .collect();
    let priority: Vec<f64> = new.iter().map(|s| s.len() as f64).collect();
    let history: Vec<&PersonSet> = history.iter().collect();
    let hidden = history_conflicts(&history, &new, &priority, min_persons)
        .map_err(|_| DataFusionError::Internal("disclosure control: the history check failed".into()))?;
    let mut hide = vec![false; candidates.len()];
    for i in hidden {
        hide[i] = true;
    }
    // A total whose persons are those of another but whose contributions differ for a few
    // (a window moved by a day over persons with claims on both sides) differs by pieces that
    // are no one atom: compared pair by pair with all history and the totals kept before it.
    // A count of persons and a count of rows differ by the rows of those with more than one
    // (29 persons aged 80+ with stays, then 30 stays: one person's second stay, red team
    // R7-3): compared the same way, the count of persons as the count of one row each.
    let mut as_rows_pairs: Vec<(usize, Vec<usize>, Vec<usize>)> = Vec::new();
    let (history_as_rows, new_as_rows) = (OneRowEach::of(&history), OneRowEach::of(&new));
    for i in 0..candidates.len() {
        let (_, _, j) = candidates[i];
        if hide[i] {
            continue;
        }
        let kept_before: Vec<usize> = (0..i).filter(|k| !hide[*k]).collect();
        if sets.pieces[j]
            && history
                .iter()
                .copied()
                .chain(kept_before.iter().map(|k| new[*k]))
                .any(|h| totals_apart_by_few(new[i], h, min_persons))
        {
            hide[i] = true;
            continue;
        }
        // The count of persons as rows, or the other set so, where their sizes are close
        // enough to be a few persons apart: a set of the other kind meets no piece, so the
        // persons apart are then all of both, at least those of the cell shown.
        let apart = |others: &OneRowEach, k: usize| {
            let other = others.sets[k];
            new[i].len().abs_diff(other.len()) < min_persons as usize
                && if sets.pieces[j] {
                    totals_apart_by_few(new[i], others.get(k), min_persons)
                } else {
                    totals_apart_by_few(new_as_rows.get(i), other, min_persons)
                }
        };
        let with: Vec<usize> = (0..history.len()).filter(|h| apart(&history_as_rows, *h)).collect();
        let with_output: Vec<usize> = kept_before.into_iter().filter(|k| apart(&new_as_rows, *k)).collect();
        if !with.is_empty() || !with_output.is_empty() {
            hide[i] = true;
            as_rows_pairs.push((i, with, with_output));
        }
    }
    for (i, &(r, c, _)) in candidates.iter().enumerate() {
        if hide[i] {
            match c {
                Some(c) => rule[r][c] = Some(CellRule::History),
                // A verdict that would tell too much: the row is withheld, as unknown as one
                // the HAVING dropped, and its verdict is not released.
                None => sets.judged[r] = false,
            }
            rows[r] = true;
        }
    }
    let hidden: Vec<usize> = (0..candidates.len()).filter(|i| hide[*i]).collect();
    let totals: Vec<bool> = candidates.iter().map(|(_, _, j)| sets.pieces[*j]).collect();
    let mut conflicts = explain_history_conflicts(&history, &new, &totals, &hidden, &priority, min_persons);
    // Those compared as rows: the pairs found, which the sets' own comparison cannot see.
    for (cell, with, new) in as_rows_pairs {
        conflicts.retain(|c| c.cell != cell);
        conflicts.push(Conflict {
            cell,
            history: with.into_iter().take(LISTED_CELLS).collect(),
            new: new.into_iter().take(LISTED_CELLS).collect(),
            found: ConflictFound::Pair,
        });
    }
    let conflicts = conflicts
        .into_iter()
        .filter_map(|conflict| {
            let (row, column, _) = candidates[conflict.cell];
            Some(CheckedConflict {
                row,
                column: column?,
                with: conflict.history,
                with_output: conflict
                    .new
                    .iter()
                    .filter_map(|k| Some((candidates[*k].0, candidates[*k].1?)))
                    .collect(),
                found: conflict.found,
            })
        })
        .collect();
    Ok((rows, conflicts))
}

/// Counts of persons taken as the pieces of one row per person (`piece(person, 1, rows)`),
/// the pieces a count of rows over the same persons has where each has one row: the ledger
/// keeps no kind per set, so each count is compared with the other kind so taken. Each set is
/// converted once, when first asked (a BLAKE3 hash per person).
struct OneRowEach<'a> {
    sets: &'a [&'a PersonSet],
    made: Vec<std::cell::OnceCell<PersonSet>>,
}

impl<'a> OneRowEach<'a> {
    fn of(sets: &'a [&'a PersonSet]) -> Self {
        OneRowEach {
            sets,
            made: vec![std::cell::OnceCell::new(); sets.len()],
        }
    }

    fn get(&self, i: usize) -> &PersonSet {
        self.made[i].get_or_init(|| {
            PersonSet::new(
                self.sets[i]
                    .persons()
                    .iter()
                    .map(|p| piece(*p, 1.0, PieceKind::Rows))
                    .collect(),
            )
        })
    }
}

/// The conflicts in output rows: `shown[k]` is the checked result's row shown as output row
/// k. A hidden cell whose row is not shown has none; a cell it combines with whose row is not
/// shown is left out.
pub fn conflicts_in_output(
    conflicts: Vec<CheckedConflict>,
    shown: &[usize],
    columns: &[String],
) -> Vec<HistoryConflict> {
    let mut out_row = std::collections::HashMap::new();
    for (k, r) in shown.iter().enumerate() {
        out_row.insert(*r, k);
    }
    conflicts
        .into_iter()
        .filter_map(|c| {
            Some(HistoryConflict {
                row: *out_row.get(&c.row)?,
                column: columns[c.column].clone(),
                with: c.with,
                with_output: c
                    .with_output
                    .iter()
                    .filter_map(|(r, col)| Some((*out_row.get(r)?, columns[*col].clone())))
                    .collect(),
                found: c.found,
            })
        })
        .collect()
}

/// The released counts' person sets, in output rows: `released_rows[k]` is the checked
/// result's row shown as output row k, `rule` the final verdict of each cell. A count shown in
/// two columns is one cell. The sets a HAVING tested follow, in every judged row.
pub fn released(
    sets: PersonSets,
    rule: &[Vec<Option<CellRule>>],
    released_rows: &[usize],
    columns: &[String],
) -> Vec<ReleasedCell> {
    let PersonSets {
        shown,
        mut rows,
        tested,
        judged,
        ..
    } = sets;
    let mut out = Vec::new();
    for (row, &r) in released_rows.iter().enumerate() {
        for &(c, j) in &shown {
            if rule[r][c].is_none()
                && let Some(persons) = rows[r][j].take().filter(|s| !s.is_empty())
            {
                out.push(ReleasedCell {
                    row,
                    column: columns[c].clone(),
                    persons,
                });
            }
        }
    }
    let out_row: std::collections::HashMap<usize, usize> =
        released_rows.iter().enumerate().map(|(k, r)| (*r, k)).collect();
    let mut dropped = released_rows.len();
    for r in (0..rows.len()).filter(|r| judged[*r]) {
        let row = out_row.get(&r).copied().unwrap_or_else(|| {
            dropped += 1;
            dropped - 1
        });
        for (k, &j) in tested.iter().enumerate() {
            if let Some(persons) = rows[r][j].take().filter(|s| !s.is_empty()) {
                out.push(ReleasedCell {
                    row,
                    column: format!("HAVING {}", k + 1),
                    persons,
                });
            }
        }
    }
    out
}
