//! Reading a rewritten result's hidden columns (counts, units, contributions, atoms as
//! lists) and writing a value column anew with its hidden cells cleared.

use crate::contributions::{CONTRIBUTORS, LARGEST, SECOND, TOTAL_ABS};
use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, RecordBatch, new_null_array};
use datafusion::arrow::compute::{cast, concat, take};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType, Float64Type, Int64Type, UInt64Type};
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use renkei_disclosure::{DominanceRule, Policy, dominance_from_top};

/// `a` with the cells `hide` marks NULL **and nothing beneath them**. `nullif` only clears
/// validity bits and leaves each hidden value in the buffer, which Arrow IPC (Flight SQL, a
/// stored and released output) sends as it is: a red-team client read every `*` back from
/// the bytes, a dominated total of 603,056 points among them. Taking from `a` followed by
/// one null builds new buffers in which a hidden cell holds the null's zeros.
pub(super) fn without_hidden_values(a: &ArrayRef, hide: &[bool]) -> Result<ArrayRef> {
    let null = new_null_array(a.data_type(), 1);
    let with_null = concat(&[a.as_ref(), null.as_ref()])?;
    let at_null = a.len() as u32;
    let indices = UInt32Array::from_iter_values((0..a.len()).map(|r| if hide[r] { at_null } else { r as u32 }));
    Ok(take(&with_null, &indices, None)?)
}

pub(super) fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("disclosure control: {what}"))
}

pub(super) fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    let i = batch
        .schema()
        .index_of(name)
        .map_err(|_| internal("a hidden column is missing"))?;
    Ok(batch.column(i))
}

/// A hidden count column as i64 values (NULL counts as zero persons).
pub(super) fn counts(batch: &RecordBatch, name: &str) -> Result<Vec<i64>> {
    counts_of(column(batch, name)?)
}

/// A count column as i64 values (NULL as zero).
pub(super) fn counts_of(a: &ArrayRef) -> Result<Vec<i64>> {
    let a = cast(a, &DataType::Int64)?;
    let a = a.as_primitive::<Int64Type>();
    Ok((0..a.len())
        .map(|i| if a.is_null(i) { 0 } else { a.value(i) })
        .collect())
}

pub(super) fn units_behind(batch: &RecordBatch, units: &[String]) -> Result<Vec<i64>> {
    let mut out = vec![i64::MAX; batch.num_rows()];
    for u in units {
        for (o, v) in out.iter_mut().zip(counts(batch, u)?) {
            *o = (*o).min(v);
        }
    }
    Ok(out)
}

/// Per row, the dominance rule a `renkei_contributions` summary column breaks, if any.
pub(super) fn dominance_verdicts(
    batch: &RecordBatch,
    name: &str,
    policy: &Policy,
) -> Result<Vec<Option<DominanceRule>>> {
    let summary = column(batch, name)?
        .as_struct_opt()
        .ok_or_else(|| internal("a contributions summary is not a struct"))?;
    let field = |n: &str| -> Result<ArrayRef> {
        let a = summary
            .column_by_name(n)
            .ok_or_else(|| internal("a contributions field is missing"))?;
        Ok(cast(a, &DataType::Float64)?)
    };
    let (total, largest, second, contributors) =
        (field(TOTAL_ABS)?, field(LARGEST)?, field(SECOND)?, field(CONTRIBUTORS)?);
    let values = |a: &ArrayRef, r: usize| a.as_primitive::<Float64Type>().value(r);
    Ok((0..batch.num_rows())
        .map(|r| {
            // No summary (no contributing rows) is a cell with nothing in it to dominate.
            if summary.is_null(r) || total.is_null(r) {
                return None;
            }
            dominance_from_top(
                values(&total, r),
                values(&largest, r),
                values(&second, r),
                values(&contributors, r) as u64,
                policy,
            )
        })
        .collect())
}

/// The signatures of the atoms of row `r` that `check`'s rules on totals would hide as cells:
/// dominated, or (where the unit rule applies) of fewer than `min_entities` units; and the
/// pairs of a dominated atom and another whose sum its largest contributors still dominate.
/// A sum's two largest contributions are at least those of the dominated atom, its total at
/// most the two totals: all points minus those below prefecture 18 and above 19, with a
/// fourth cell, gave prefectures 18 and 19 together, 94 % one man's, while 19 alone was not
/// dominated (a red-team pass).
pub(super) fn flagged_atoms(
    batch: &RecordBatch,
    check: &crate::control::AtomCheck,
    r: usize,
    entity_rule: bool,
    policy: &Policy,
) -> Result<(Vec<u64>, Vec<[u64; 2]>)> {
    let mut flagged = Vec::new();
    let mut pairs = Vec::new();
    if let Some(name) = &check.dominance {
        let summaries = list_at::<Float64Type>(lists(batch, name)?, r)?;
        let atoms: Vec<&[f64]> = summaries.chunks_exact(5).collect();
        for a in &atoms {
            if dominance_from_top(a[2], a[3], a[4], a[1] as u64, policy).is_none() {
                continue;
            }
            flagged.push(a[0] as u64);
            for b in atoms.iter().filter(|b| b[0] != a[0]) {
                if dominance_from_top(a[2] + b[2], a[3], a[4], (a[1] + b[1]) as u64, policy).is_some() {
                    pairs.push([a[0] as u64, b[0] as u64]);
                }
            }
        }
    }
    if entity_rule {
        for name in &check.units {
            for a in list_at::<UInt64Type>(lists(batch, name)?, r)?.chunks_exact(2) {
                if a[1] < policy.min_entities {
                    flagged.push(a[0]);
                }
            }
        }
    }
    Ok((flagged, pairs))
}

/// The hidden list column `name`, found once for all its rows.
pub(super) fn lists<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ListArray> {
    column(batch, name)?
        .as_list_opt::<i32>()
        .ok_or_else(|| internal("a hidden list column is not a list"))
}

/// Row `r` of a hidden list column, its numbers of type `T` (none where NULL).
pub(super) fn list_at<T: ArrowPrimitiveType>(lists: &ListArray, r: usize) -> Result<Vec<T::Native>> {
    if lists.is_null(r) {
        return Ok(Vec::new());
    }
    let values = lists.value(r);
    Ok(values
        .as_primitive_opt::<T>()
        .ok_or_else(|| internal("a hidden list holds other numbers"))?
        .values()
        .to_vec())
}

/// Which cells of a value column are zero (NULL is not zero; nor is any value of a type
/// that is not a number). Cast once for the whole column, not once per cell.
pub(super) fn zeros(a: &ArrayRef) -> Vec<bool> {
    match cast(a, &DataType::Float64) {
        Ok(f) => f.as_primitive::<Float64Type>().iter().map(|v| v == Some(0.0)).collect(),
        Err(_) => vec![false; a.len()],
    }
}
