//! Adversarial queries: each tries to learn something about fewer than 10 persons, and must
//! be refused or find its cell hidden. The sample warehouse has 2,000 persons, so small
//! groups are easy to aim at.

mod counts;
mod errors;
mod refusals;
mod totals;
mod units;

use crate::refused;
use renkei_engine::{CheckedOutput, Engine};

/// Every released value cell, as text, with its column name.
pub(super) fn released(out: &CheckedOutput) -> Vec<(String, String)> {
    let table = out.to_table().expect("renders");
    let mut lines = table.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(" | ")
        .map(|s| s.trim().to_string())
        .collect();
    lines
        .skip(1)
        .flat_map(|l| {
            l.split(" | ")
                .map(|s| s.trim().to_string())
                .zip(header.clone())
                .map(|(v, h)| (h, v))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The checked, optimized logical plan of `sql`, as EXPLAIN would indent it.
pub(super) fn optimized_plan(engine: &Engine, sql: &str) -> String {
    crate::runtime()
        .block_on(engine.checked_plan(sql, Vec::new()))
        .expect("plans")
        .display_indent()
        .to_string()
}

pub(super) fn rows(out: &CheckedOutput) -> usize {
    out.batches.iter().map(|b| b.num_rows()).sum()
}

/// The rows `out` leaves out of what unprotected DataFusion returns for `sql`. Nothing in the
/// output says how many: the tests count them from the outside.
pub(super) fn rows_withheld(sql: &str, out: &CheckedOutput) -> usize {
    let all: usize = crate::support::plain(sql).iter().map(|b| b.num_rows()).sum();
    all - rows(out)
}

pub(super) fn assert_refused(sql: &str, names: &str) {
    let reason = refused(sql);
    assert!(reason.contains(names), "{sql}: refused for another reason: {reason}");
}
