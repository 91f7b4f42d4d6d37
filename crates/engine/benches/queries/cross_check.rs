//! Results compared across engines: Renkei's released cells against plain DataFusion's
//! values, and plain DataFusion against DuckDB (the two unchecked engines must agree).

use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// Compares Renkei's checked output (run with every row shown, hidden cells as nulls) with
/// plain DataFusion's, row by row (both are ordered by the study queries' ORDER BY): every
/// cell Renkei shows must be plain DataFusion's value. Returns (cells shown, cells hidden).
pub fn cross_check(name: &str, checked: &[RecordBatch], plain: &[RecordBatch]) -> Result<(usize, usize), String> {
    let (Some(c), Some(p)) = (checked.first(), plain.first()) else {
        return Ok((0, 0));
    };
    let c = concat_batches(&c.schema(), checked).map_err(|e| e.to_string())?;
    let p = concat_batches(&p.schema(), plain).map_err(|e| e.to_string())?;
    if (c.num_rows(), c.num_columns()) != (p.num_rows(), p.num_columns()) {
        return Err(format!(
            "{name}: Renkei has {}×{} cells, plain DataFusion {}×{}",
            c.num_rows(),
            c.num_columns(),
            p.num_rows(),
            p.num_columns()
        ));
    }
    let options = FormatOptions::default().with_null("NULL");
    let (mut shown, mut hidden) = (0, 0);
    for (j, (cc, pc)) in c.columns().iter().zip(p.columns()).enumerate() {
        let (cf, pf) = (
            ArrayFormatter::try_new(cc, &options).map_err(|e| e.to_string())?,
            ArrayFormatter::try_new(pc, &options).map_err(|e| e.to_string())?,
        );
        for i in 0..c.num_rows() {
            if cc.is_null(i) && !pc.is_null(i) {
                hidden += 1;
                continue;
            }
            let (a, b) = (cf.value(i).to_string(), pf.value(i).to_string());
            if a != b && !same_float(&a, &b) {
                return Err(format!(
                    "{name}: row {i}, column {}: Renkei released {a}, plain DataFusion has {b}",
                    c.schema().field(j).name()
                ));
            }
            shown += 1;
        }
    }
    Ok((shown, hidden))
}

/// Two renderings of one floating-point value: partial sums merge in the order the
/// partitions deliver them, so the last bits of a mean may differ between two runs of one
/// engine.
fn same_float(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// Compares two unchecked engines' results as multisets of rows (their ORDER BY leaves ties
/// in any order): the same rows, cell for cell, means within 1e-9. Column types may differ
/// (DuckDB writes a count as BIGINT, a sum of integers as a 128-bit decimal): cells are
/// compared as their text. Returns the number of cells compared.
pub fn same_rows(name: &str, what: &str, a: &[RecordBatch], b: &[RecordBatch]) -> Result<usize, String> {
    let (rows_a, rows_b) = (rows(a)?, rows(b)?);
    if rows_a.len() != rows_b.len() {
        return Err(format!(
            "{name}: plain DataFusion has {} rows, {what} {}",
            rows_a.len(),
            rows_b.len()
        ));
    }
    let mut cells = 0;
    for (i, (ra, rb)) in rows_a.iter().zip(&rows_b).enumerate() {
        if ra.len() != rb.len() {
            return Err(format!(
                "{name}: plain DataFusion has {} columns, {what} {}",
                ra.len(),
                rb.len()
            ));
        }
        for (x, y) in ra.iter().zip(rb) {
            if x != y && !same_float(x, y) {
                return Err(format!(
                    "{name}: sorted row {i}: plain DataFusion has {ra:?}, {what} has {rb:?}"
                ));
            }
            cells += 1;
        }
    }
    Ok(cells)
}

/// Every row as its cells' text (NULL for null), sorted.
fn rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for b in batches {
        let formatters = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c, &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        for i in 0..b.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(i).to_string()).collect());
        }
    }
    rows.sort();
    Ok(rows)
}
