//! A hidden cell is NULL with nothing beneath it: Arrow IPC (Flight SQL, a stored and
//! released output) sends a column's value buffer whole, valid or not, so a value left under
//! a cleared validity bit leaves the broker (a red-team client read every `*` back from the
//! bytes, dominated totals among them).

use crate::{run, run_with};
use datafusion::arrow::array::Array;
use renkei_disclosure::Policy;
use renkei_engine::CheckedOutput;

/// Hidden (NULL) cells of fixed-width columns whose bytes in the value buffer are not zero;
/// and how many hidden cells were looked at.
fn values_beneath_nulls(out: &CheckedOutput) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut looked = 0;
    for batch in &out.batches {
        for (c, column) in batch.columns().iter().enumerate() {
            let data = column.to_data();
            let Some(width) = data.data_type().primitive_width() else {
                continue;
            };
            let bytes = data.buffers()[0].as_slice();
            for r in (0..column.len()).filter(|r| column.is_null(*r)) {
                looked += 1;
                let at = (data.offset() + r) * width;
                if bytes[at..at + width].iter().any(|b| *b != 0) {
                    found.push(format!("row {r}, column {}", batch.schema().field(c).name()));
                }
            }
        }
    }
    (found, looked)
}

const SMALL_AND_DOMINATED: &str = "SELECT sex, facility_prefecture, count(*) AS claims, \
     count(*) FILTER (WHERE age >= 90) AS oldest, sum(total_points) AS points, avg(total_points) AS mean \
     FROM ndb_claims GROUP BY sex, facility_prefecture";

#[test]
fn a_hidden_cell_has_no_value_beneath_it() {
    let out = run(SMALL_AND_DOMINATED).expect("runs");
    let (found, looked) = values_beneath_nulls(&out);
    assert!(looked >= 20, "the query should hide cells: {looked} hidden");
    assert!(found.is_empty(), "values beneath hidden cells: {found:?}");
}

#[test]
fn a_hidden_rounded_count_has_no_value_beneath_it() {
    let policy = Policy {
        rounding_base: Some(5),
        ..Policy::default()
    };
    let sql = "SELECT sex, facility_prefecture, count(*) AS claims, count(*) FILTER (WHERE age >= 90) AS oldest \
               FROM ndb_claims GROUP BY sex, facility_prefecture";
    let out = run_with(sql, policy).expect("runs");
    let (found, looked) = values_beneath_nulls(&out);
    assert!(looked >= 20, "the query should hide cells: {looked} hidden");
    assert!(found.is_empty(), "values beneath hidden cells: {found:?}");
}
