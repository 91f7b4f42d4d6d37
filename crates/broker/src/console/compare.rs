//! What changed between a request's output and an output the project already released.
//!
//! Per-output checks cannot see differencing between outputs: two released counts whose
//! difference is a group of 1–9 persons (the known limit of output checking, see
//! docs/disclosure.md). The steward is the check for it, so the console lines the two
//! outputs up and points at every count that differs by fewer than `min_persons`.

use datafusion::arrow::datatypes::{DataType, Field};
use renkei_engine::{CheckedOutput, DisplayCell, EngineError};
use std::collections::{HashMap, HashSet};

/// Two outputs side by side.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// SQL lines of this request that the earlier one does not have, and the reverse.
    pub sql_added: Vec<String>,
    pub sql_removed: Vec<String>,
    pub columns_added: Vec<String>,
    pub columns_removed: Vec<String>,
    /// Rows of this output whose labels the earlier one also has.
    pub rows_in_both: usize,
    /// Counts shown in both whose difference is 1 to `min_persons - 1`.
    pub close_counts: Vec<CloseCount>,
}

/// A count this output shows next to a count the earlier one showed for the same labels.
#[derive(Debug, PartialEq, Eq)]
pub struct CloseCount {
    /// The row's labels, `column = value` joined by commas.
    pub labels: String,
    pub column: String,
    pub this: i128,
    pub earlier: i128,
}

/// Compares `this` with `earlier`: rows with the same labels, and in them the integer values
/// (counts) both show.
pub fn compare(
    this_sql: &str,
    this: &CheckedOutput,
    earlier_sql: &str,
    earlier: &CheckedOutput,
    min_persons: u64,
) -> Result<Comparison, EngineError> {
    let names = |o: &CheckedOutput| -> Vec<String> { o.schema.fields().iter().map(|f| f.name().clone()).collect() };
    let (these, those) = (names(this), names(earlier));
    let lines = |sql: &str| -> Vec<String> {
        sql.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    };
    let (this_lines, earlier_lines) = (lines(this_sql), lines(earlier_sql));
    // Looked up in sets: two requests of 100,000 lines each took 85 s by list (a red-team
    // pass), holding a worker of the server the whole time.
    let only_in = |a: &[String], b: &[String]| -> Vec<String> {
        let b: HashSet<&String> = b.iter().collect();
        a.iter().filter(|l| !b.contains(l)).cloned().collect()
    };
    let mut comparison = Comparison {
        sql_added: only_in(&this_lines, &earlier_lines),
        sql_removed: only_in(&earlier_lines, &this_lines),
        columns_added: only_in(&these, &those),
        columns_removed: only_in(&those, &these),
        ..Comparison::default()
    };
    // Values are what each report names as such; the other columns both outputs have label
    // the rows (group keys). Reports from before `value_columns` fall back to text labels.
    let is_value = |o: &CheckedOutput, name: &str| o.report.summary.value_columns.iter().any(|v| v == name);
    let known = !this.report.summary.value_columns.is_empty() && !earlier.report.summary.value_columns.is_empty();
    let shared: Vec<&Field> = this
        .schema
        .fields()
        .iter()
        .map(AsRef::as_ref)
        .filter(|f| earlier.schema.field_with_name(f.name()).is_ok())
        .collect();
    let labels: Vec<String> = shared
        .iter()
        .filter(|f| match known {
            true => !is_value(this, f.name()) && !is_value(earlier, f.name()),
            false => matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
        })
        .map(|f| f.name().clone())
        .collect();
    let counts: Vec<String> = shared
        .iter()
        .filter(|f| f.data_type().is_integer() && !labels.contains(f.name()))
        .map(|f| f.name().clone())
        .collect();
    let earlier_rows = keyed_rows(earlier, &labels)?;
    for (key, row) in keyed_rows(this, &labels)? {
        let Some(before) = earlier_rows.get(&key) else {
            continue;
        };
        comparison.rows_in_both += 1;
        for column in &counts {
            let (Some(now), Some(then)) = (count(&row, column), count(before, column)) else {
                continue;
            };
            let gap = (now - then).unsigned_abs();
            if gap > 0 && gap < u128::from(min_persons) {
                comparison.close_counts.push(CloseCount {
                    labels: key.clone(),
                    column: column.clone(),
                    this: now,
                    earlier: then,
                });
            }
        }
    }
    Ok(comparison)
}

type Row = HashMap<String, DisplayCell>;

/// Rows by their labels; a row whose labels are hidden, or repeat, is left out (it cannot
/// be lined up).
fn keyed_rows(output: &CheckedOutput, labels: &[String]) -> Result<HashMap<String, Row>, EngineError> {
    let names: Vec<String> = output.schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut rows: HashMap<String, Row> = HashMap::new();
    let mut repeated = Vec::new();
    for cells in output.display_rows()? {
        let row: Row = names.iter().cloned().zip(cells).collect();
        let key: Option<Vec<String>> = labels
            .iter()
            .map(|l| match row.get(l) {
                Some(DisplayCell::Shown(text)) => Some(format!("{l} = {text}")),
                _ => None,
            })
            .collect();
        let Some(key) = key else { continue };
        let key = key.join(", ");
        if rows.insert(key.clone(), row).is_some() {
            repeated.push(key);
        }
    }
    for key in repeated {
        rows.remove(&key);
    }
    Ok(rows)
}

fn count(row: &Row, column: &str) -> Option<i128> {
    match row.get(column) {
        Some(DisplayCell::Shown(text)) => text.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::Schema;
    use renkei_disclosure::{CellRule, HiddenCell, Policy, Report, Status, Summary};
    use std::sync::Arc;

    fn output(rows: &[(&str, i64)], hidden: &[usize]) -> CheckedOutput {
        let schema = Arc::new(Schema::new(vec![
            Field::new("prefecture", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]));
        let labels: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0)));
        let counts: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1)));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![labels, counts]).expect("a batch");
        CheckedOutput {
            schema,
            batches: vec![batch],
            report: Report {
                status: Status::CellsHidden,
                policy: Policy::default(),
                query_hash: String::new(),
                command: String::new(),
                summary: Summary {
                    value_columns: vec!["n".into()],
                    ..Summary::default()
                },
                hidden: hidden
                    .iter()
                    .map(|&row| HiddenCell {
                        row,
                        column: "n".into(),
                        rule: CellRule::MinPersons,
                    })
                    .collect(),
                refusal: None,
                notes: Vec::new(),
            },
            released: Vec::new(),
            history_conflicts: Vec::new(),
        }
    }

    #[test]
    fn counts_that_differ_by_a_small_group_are_pointed_out() {
        let earlier = output(&[("Tokyo", 120), ("Osaka", 80), ("Kyoto", 40)], &[]);
        let this = output(&[("Tokyo", 117), ("Osaka", 60), ("Kyoto", 40), ("Nara", 12)], &[]);
        let c = compare(
            "SELECT 1\nWHERE age >= 65",
            &this,
            "SELECT 1\nWHERE age >= 66",
            &earlier,
            10,
        )
        .expect("compares");
        assert_eq!(c.rows_in_both, 3);
        assert_eq!(
            c.close_counts,
            vec![CloseCount {
                labels: "prefecture = Tokyo".into(),
                column: "n".into(),
                this: 117,
                earlier: 120,
            }],
            "a difference of 3 persons is a small group; 20 and 0 are not"
        );
        assert_eq!(
            (c.sql_added, c.sql_removed),
            (vec!["WHERE age >= 65".to_string()], vec!["WHERE age >= 66".to_string()])
        );
    }

    #[test]
    fn integer_group_keys_label_rows_when_the_reports_name_the_values() {
        // care_level is an integer group key: only the report tells it from a count.
        let with_int_labels = |rows: &[(i64, i64)]| {
            let schema = Arc::new(Schema::new(vec![
                Field::new("care_level", DataType::Int64, true),
                Field::new("n", DataType::Int64, true),
            ]));
            let levels: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0)));
            let counts: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1)));
            let mut o = output(&[], &[]);
            o.batches = vec![RecordBatch::try_new(Arc::clone(&schema), vec![levels, counts]).expect("a batch")];
            o.schema = schema;
            o
        };
        let earlier = with_int_labels(&[(21, 40), (22, 13)]);
        let this = with_int_labels(&[(21, 44), (22, 30)]);
        let c = compare("q", &this, "q", &earlier, 10).expect("compares");
        assert_eq!(c.rows_in_both, 2);
        assert_eq!(c.close_counts.len(), 1);
        assert_eq!(c.close_counts[0].labels, "care_level = 21");
    }

    #[test]
    fn hidden_cells_are_not_compared() {
        let earlier = output(&[("Tokyo", 120)], &[]);
        let this = output(&[("Tokyo", 117)], &[0]);
        let c = compare("q", &this, "q", &earlier, 10).expect("compares");
        assert!(c.close_counts.is_empty());
        assert_eq!(c.rows_in_both, 1);
    }
}
