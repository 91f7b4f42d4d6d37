//! The relations between the rows of a ROLLUP / CUBE / GROUPING SETS table: each row is the
//! sum of the finest-level rows that agree with it on the keys it keeps. Secondary
//! suppression solves them; a distinct count whose totals are not those sums (persons in two
//! groups at once) has other relations, which its totals would reveal.

use crate::control::Grouping;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use renkei_disclosure::{CellStatus, secondary_suppression};

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
    keys: Vec<Vec<String>>,
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
        let options = FormatOptions::default().with_null("\u{0}NULL");
        let mut keys: Vec<Vec<String>> = vec![Vec::with_capacity(n); rows];
        for name in &g.keys {
            let a = column(name)?;
            let f = ArrayFormatter::try_new(a.as_ref(), &options)?;
            for (r, k) in keys.iter_mut().enumerate() {
                k.push(f.value(r).to_string());
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
        })
    }

    /// The rows that add up others (totals and subtotals).
    pub fn totals(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.cells.len()).filter(|r| !self.inner.contains(r))
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

    /// Rows to hide so that no primary-suppressed row can be solved from the published ones.
    pub fn secondary_rows(&self, primary: &[bool], published: &[bool], persons: &[Vec<i64>]) -> Result<Vec<usize>> {
        let rows = self.cells.len();
        let status: Vec<CellStatus> = (0..rows)
            .map(|r| {
                if primary[r] {
                    CellStatus::Primary
                } else if !published[r] {
                    CellStatus::Unpublished
                } else {
                    CellStatus::Candidate
                }
            })
            .collect();
        let priority: Vec<f64> = (0..rows)
            .map(|r| persons.iter().map(|p| p[r]).min().unwrap_or(0) as f64)
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
        let hidden = secondary_suppression(
            self.inner.len(),
            &permuted(&self.cells, &canonical),
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
