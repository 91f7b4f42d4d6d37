//! The relations between the rows of a ROLLUP / CUBE / GROUPING SETS table: each row is the
//! sum of the finest-level rows that agree with it on the keys it keeps. Secondary
//! suppression solves them; a distinct count whose totals are not those sums (persons in two
//! groups at once) has other relations, which its totals would reveal.
//!
//! Where zeros are hidden, the combinations of labels the table has no row for are **empty
//! cells** of those relations (`empty_cells`): an empty group must look like a small one, whose
//! row is withheld (see `secondary_suppression_with_empty_cells`).

use crate::control::Grouping;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use renkei_disclosure::{CellStatus, secondary_suppression_with_empty_cells};
use std::collections::{HashMap, HashSet};

/// The most work enumerating the empty cells: label combinations (the product of each key's
/// shown labels, plus one for labels not shown) times grouping sets. Beyond it every total is
/// hidden: with no total shown, no empty cell is in a published relation.
const MAX_LABEL_WORK: usize = 2_000_000;

fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("disclosure control: {what}"))
}

/// The rows of a grouping-sets result as sums of its finest-level rows.
pub struct Relations {
    /// The finest-level rows (every key kept).
    inner: Vec<usize>,
    /// Per row, the positions in `inner` of the rows it adds up.
    cells: Vec<Vec<u32>>,
    /// Per row, its grouping id and raw keys: the canonical order of equal priorities.
    ids: Vec<u64>,
    /// NULL is None: `chr(0) || 'NULL'` formatted like the marker a NULL once was, and a
    /// label the SQL made so took the NULL row's place (red team R8-6).
    keys: Vec<Vec<Option<String>>>,
    /// The keys a row keeps (not aggregated), as a bit per key, the first key highest.
    set_mask: u64,
}

impl Relations {
    pub fn of(batch: &RecordBatch, g: &Grouping) -> Result<Relations> {
        let rows = batch.num_rows();
        let n = g.keys.len();
        let column = |name: &str| {
            batch
                .schema()
                .index_of(name)
                .map(|i| batch.column(i).clone())
                .map_err(|_| internal("a hidden column is missing"))
        };
        let ids = cast(&column(&g.id)?, &DataType::UInt64)?;
        let ids: Vec<u64> = ids.as_primitive::<UInt64Type>().values().to_vec();
        let set_mask: u64 = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        let options = FormatOptions::default();
        let mut keys: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(n); rows];
        for name in &g.keys {
            let a = column(name)?;
            let f = ArrayFormatter::try_new(a.as_ref(), &options)?;
            for (r, k) in keys.iter_mut().enumerate() {
                k.push((!a.is_null(r)).then(|| f.value(r).to_string()));
            }
        }
        let aggregated = |r: usize, k: usize| ids[r] & set_mask & (1u64 << (n - 1 - k)) != 0;
        let inner: Vec<usize> = (0..rows).filter(|r| ids[*r] & set_mask == 0).collect();
        let cells = (0..rows)
            .map(|r| {
                inner
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| (0..n).all(|k| aggregated(r, k) || keys[**i][k] == keys[r][k]))
                    .map(|(i, _)| i as u32)
                    .collect()
            })
            .collect();
        Ok(Relations {
            inner,
            cells,
            ids,
            keys,
            set_mask,
        })
    }

    /// How many keys row `r` adds up (0 for a finest row).
    fn level(&self, r: usize) -> u32 {
        (self.ids[r] & self.set_mask).count_ones()
    }

    /// The empty cells: every combination of labels (each key's labels in the shown finest
    /// rows, and one more for labels no shown row has) that no finest row has, merged where
    /// they lie in the same shown totals (no relation can tell them apart), as the totals each
    /// lies in. Only what the output shows counts: a withheld row's labels are as unknown to
    /// the reader as an empty group's, so a small group adds neither labels nor totals, and
    /// the work (combinations × grouping sets, at most [`MAX_LABEL_WORK`]) does not depend on
    /// it. None beyond that bound: one small group's label pushed a ROLLUP past a bound on
    /// labels alone, which then hid every total (red team R8-3), and six keys took 16 s (R8-5).
    fn empty_cells(&self, shown: &[bool]) -> Option<Vec<Vec<usize>>> {
        let n = self.keys.first().map_or(0, Vec::len);
        // Each key's labels, numbered; `other` (the count) stands for labels no row shows.
        let mut numbers: Vec<HashMap<Option<&str>, usize>> = vec![HashMap::new(); n];
        for &i in self.inner.iter().filter(|i| shown[**i]) {
            for (k, label) in self.keys[i].iter().enumerate() {
                let next = numbers[k].len();
                numbers[k].entry(label.as_deref()).or_insert(next);
            }
        }
        let numbered = |r: usize| -> Vec<usize> {
            (0..n)
                .map(|k| {
                    numbers[k]
                        .get(&self.keys[r][k].as_deref())
                        .copied()
                        .unwrap_or(usize::MAX)
                })
                .collect()
        };
        // The shown finest rows: a withheld one is an empty cell too (see `secondary_rows`).
        let finest: HashSet<Vec<usize>> = self.inner.iter().filter(|i| shown[**i]).map(|&i| numbered(i)).collect();
        // Each shown total by the keys it keeps and its labels there.
        let kept = |r: usize, k: usize| self.ids[r] & self.set_mask & (1u64 << (n - 1 - k)) == 0;
        let mut totals: HashMap<(u64, Vec<usize>), usize> = HashMap::new();
        let mut sets: Vec<u64> = Vec::new();
        for r in self.totals().filter(|r| shown[*r]) {
            let set = self.ids[r] & self.set_mask;
            if !sets.contains(&set) {
                sets.push(set);
            }
            let numbers = numbered(r);
            let labels = (0..n).filter(|k| kept(r, *k)).map(|k| numbers[k]).collect();
            totals.insert((set, labels), r);
        }
        let radix: Vec<usize> = numbers.iter().map(|m| m.len() + 1).collect();
        let combinations = radix
            .iter()
            .try_fold(1usize, |p, r| p.checked_mul(*r))
            .filter(|p| p.saturating_mul(sets.len().max(1)) <= MAX_LABEL_WORK)?;
        let mut merged: HashSet<Vec<usize>> = HashSet::new();
        let mut empty: Vec<Vec<usize>> = Vec::new();
        let mut labels = vec![0usize; n];
        for _ in 0..combinations {
            let as_key: Vec<usize> = labels
                .iter()
                .zip(&radix)
                .map(|(l, r)| if *l == r - 1 { usize::MAX } else { *l })
                .collect();
            if !finest.contains(&as_key) {
                let mut within: Vec<usize> = sets
                    .iter()
                    .filter_map(|set| {
                        let projected = (0..n)
                            .filter(|k| set & (1u64 << (n - 1 - k)) == 0)
                            .map(|k| as_key[k])
                            .collect();
                        totals.get(&(*set, projected)).copied()
                    })
                    .collect();
                within.sort_unstable();
                if !within.is_empty() && merged.insert(within.clone()) {
                    empty.push(within);
                }
            }
            // The next combination, the last key fastest.
            for k in (0..n).rev() {
                labels[k] += 1;
                if labels[k] < radix[k] {
                    break;
                }
                labels[k] = 0;
            }
        }
        Some(empty)
    }

    /// The rows that add up others (totals and subtotals).
    pub fn totals(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.cells.len()).filter(|r| self.level(*r) > 0)
    }

    /// Whether every total of `values` (a count per row) is the sum of its finest rows. A
    /// distinct count is not where a person is in two groups: A + B − total is then the
    /// persons in both, and total − B those in A alone, whom no cell counts.
    pub fn additive(&self, values: &[i64]) -> bool {
        self.totals().all(|r| {
            let sum: i64 = self.cells[r].iter().map(|i| values[self.inner[*i as usize]]).sum();
            sum == values[r]
        })
    }

    /// Rows to hide so that no primary-suppressed row can be solved from the rows whose
    /// values are `shown` (rows that show none need no protection of their own and protect
    /// none). With `empty_cells` (zeros are hidden), combinations of the labels of the
    /// `published` rows (shown with their values or not) that have no row are empty cells
    /// that no shown relation may single out.
    pub fn secondary_rows(
        &self,
        primary: &[bool],
        published: &[bool],
        shown: &[bool],
        persons: &[Vec<i64>],
        empty_cells: bool,
    ) -> Result<Vec<usize>> {
        let rows = self.cells.len();
        // Only rows the output shows carry labels the reader sees.
        let empty = if empty_cells {
            self.empty_cells(published)
        } else {
            Some(Vec::new())
        };
        let Some(empty) = empty else {
            // Too many combinations to enumerate: no total is shown.
            return Ok(self.totals().filter(|r| shown[*r] && !primary[*r]).collect());
        };
        // Where zeros are hidden, a withheld finest row is to the reader what an empty
        // combination is, labels and all: it enters as one (its combination is an empty cell,
        // its own atom is left out), so that the protection computed is the same whether it
        // holds 1 to `min_persons − 1` persons or none. As a primary atom beside empty ones it
        // needed one cell fewer hidden, which told the two apart (red team R10-3: the women's
        // cell of a three-key CUBE was shown exactly when some man met a condition). An empty
        // cell is protected alone and taken as known beside the others: never less than a
        // primary atom is.
        let withheld_atom: Vec<bool> = self.inner.iter().map(|&i| empty_cells && !published[i]).collect();
        let mut cells: Vec<Vec<u32>> = self
            .cells
            .iter()
            .map(|c| c.iter().copied().filter(|i| !withheld_atom[*i as usize]).collect())
            .collect();
        for (e, within) in empty.iter().enumerate() {
            for &r in within {
                cells[r].push((self.inner.len() + e) as u32);
            }
        }
        let status: Vec<CellStatus> = (0..rows)
            .map(|r| {
                if primary[r] {
                    CellStatus::Primary
                } else if !shown[r] {
                    CellStatus::Unpublished
                } else {
                    CellStatus::Candidate
                }
            })
            .collect();
        // Totals before the rows they add up, then by persons. By persons alone, a total and
        // the one row beside an empty group tie, and the tie went to the row, while beside a
        // small group the total holds more and was kept: which one was hidden told the two
        // apart.
        let priority: Vec<f64> = (0..rows)
            .map(|r| {
                let persons = persons.iter().map(|p| p[r]).min().unwrap_or(0) as f64;
                f64::from(self.level(r)) * 2f64.powi(44) + persons
            })
            .collect();
        // Equal priorities are decided by position. Present the rows ordered by their labels,
        // so that the position is the label's, not the row's place in the output (which an
        // ORDER BY with ties leaves to arrival): the same table hides the same cells every time.
        let mut canonical: Vec<usize> = (0..rows).collect();
        canonical.sort_by(|&a, &b| {
            self.ids[a]
                .cmp(&self.ids[b])
                .then_with(|| self.keys[a].cmp(&self.keys[b]))
        });
        let hidden = secondary_suppression_with_empty_cells(
            self.inner.len() + empty.len(),
            self.inner.len(),
            &permuted(&cells, &canonical),
            &permuted(&status, &canonical),
            &permuted(&priority, &canonical),
        )
        .map_err(|_| internal("secondary suppression failed"))?;
        let mut hidden: Vec<usize> = hidden.into_iter().map(|i| canonical[i]).collect();
        hidden.sort_unstable();
        Ok(hidden)
    }
}

/// `v` in the order `order` gives (a permutation of its indices).
fn permuted<T: Clone>(v: &[T], order: &[usize]) -> Vec<T> {
    order.iter().map(|&i| v[i].clone()).collect()
}
