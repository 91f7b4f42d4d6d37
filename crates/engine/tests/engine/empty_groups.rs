//! Where the policy hides zeros, an empty group and a group of 1 to `min_persons − 1` persons
//! must give the same output: the same rows, the same hidden cells, the same report. A
//! ROLLUP or CUBE over a label the SQL makes (`CASE WHEN <condition> THEN 'x' ELSE 'rest'
//! END`) withholds the row 'x' when it is small and has no row 'x' when it is empty; which
//! other cells are hidden must not tell the two apart (red team N2: 'rest' was hidden beside
//! the total only when someone met the condition, one yes/no per query).

use crate::run_with;
use crate::support::{plain, strings};
use renkei_disclosure::Policy;

/// The output as text and its report without the query's own text and hash.
fn seen(sql: &str) -> (String, String) {
    let policy = Policy {
        show_zero_cells: false,
        ..Policy::default()
    };
    let out = run_with(sql, policy).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut report = out.report.clone();
    report.command.clear();
    report.query_hash.clear();
    (out.to_table().expect("renders"), report.to_json())
}

/// Conditions on `dpc_cases` met by nobody, by one person and by a few, computed on the
/// warehouse: the men from each of the three oldest ages present on.
fn conditions() -> Vec<(String, i64)> {
    let ages = strings(&plain(
        "SELECT age FROM dpc_cases WHERE sex = 1 GROUP BY age ORDER BY age DESC LIMIT 3",
    ));
    let oldest: i64 = ages[0][0].parse().expect("an age");
    let mut conditions = vec![(format!("sex = 1 AND age > {oldest}"), 0)];
    for age in &ages {
        let condition = format!("sex = 1 AND age >= {}", age[0]);
        let persons: i64 = strings(&plain(&format!(
            "SELECT count(DISTINCT person_id) FROM dpc_cases WHERE {condition}"
        )))[0][0]
            .parse()
            .expect("a count");
        conditions.push((condition, persons));
    }
    assert!(
        conditions.iter().all(|(_, n)| (0..10).contains(n)) && conditions.iter().any(|(_, n)| *n > 1),
        "the conditions meet nobody, one and a few: {conditions:?}"
    );
    conditions
}

fn alike_for_every_condition(query: impl Fn(&str) -> String) {
    alike_for(conditions(), query);
}

fn alike_for(conditions: Vec<(String, i64)>, query: impl Fn(&str) -> String) {
    let outputs: Vec<(String, i64, (String, String))> = conditions
        .into_iter()
        .map(|(condition, persons)| {
            let sql = query(&condition);
            let out = seen(&sql);
            (sql, persons, out)
        })
        .collect();
    let (first_sql, first_persons, first) = &outputs[0];
    for (sql, persons, out) in &outputs[1..] {
        assert_eq!(
            first, out,
            "{persons} persons gave another output than {first_persons}:\n{first_sql}\n{sql}"
        );
    }
}

#[test]
fn a_rollup_of_a_label_hides_the_same_cells_for_an_empty_group_and_a_small_one() {
    alike_for_every_condition(|condition| {
        format!(
            "SELECT CASE WHEN {condition} THEN 'x' ELSE 'rest' END AS g, count(*) AS stays \
             FROM dpc_cases GROUP BY ROLLUP (CASE WHEN {condition} THEN 'x' ELSE 'rest' END)"
        )
    });
}

#[test]
fn a_cube_of_a_label_and_a_key_hides_the_same_cells_for_an_empty_group_and_a_small_one() {
    alike_for_every_condition(|condition| {
        format!(
            "SELECT CASE WHEN {condition} THEN 'x' ELSE 'rest' END AS g, sex, count(*) AS stays \
             FROM dpc_cases GROUP BY CUBE (CASE WHEN {condition} THEN 'x' ELSE 'rest' END, sex)"
        )
    });
}

/// The price: where zeros are hidden, every total stands beside labels the table may not
/// show, so a total and all the rows it adds up are never all shown.
#[test]
fn a_rollup_never_shows_a_total_with_all_its_rows_where_zeros_are_hidden() {
    let (table, _) = seen("SELECT sex, count(*) AS stays FROM dpc_cases GROUP BY ROLLUP (sex)");
    assert!(table.contains('*'), "all shown:\n{table}");
}

/// A label the SQL makes to look like the NULL of the other branch must stay apart from it:
/// `chr(0) || 'NULL'` formatted like the NULL marker, and a small 'x' hid the total where an
/// empty one did not (red team R8-6).
#[test]
fn a_label_written_like_null_is_not_the_null_row() {
    alike_for_every_condition(|condition| {
        format!(
            "SELECT CASE WHEN {condition} THEN chr(0) || 'NULL' END AS g, count(*) AS stays \
             FROM dpc_cases GROUP BY ROLLUP (CASE WHEN {condition} THEN chr(0) || 'NULL' END)"
        )
    });
}

/// The bound on the work of finding empty cells counts shown labels only: the label of a small
/// group (one man aged 99+ with claims) pushed a ROLLUP of 71 × 71 × 71 labels past it, which
/// hid one more cell, and an empty group did not (red team R8-3).
#[test]
fn a_small_groups_label_does_not_cross_the_bound_on_labels() {
    let oldest = "sex = 1 AND age >= 99";
    let persons: i64 = strings(&plain(&format!(
        "SELECT count(DISTINCT person_id) FROM ndb_claims WHERE {oldest}"
    )))[0][0]
        .parse()
        .expect("a count");
    assert!((1..10).contains(&persons), "{persons}");
    let conditions = vec![("age > 200".to_string(), 0), (oldest.to_string(), persons)];
    alike_for(conditions, |condition| {
        format!(
            "SELECT total_points % 70 AS a, 70 + total_points % 70 AS b, 140 + total_points % 70 AS d, \
             CASE WHEN {condition} THEN 'x' ELSE 'rest' END AS g, count(*) AS n FROM ndb_claims \
             GROUP BY ROLLUP (total_points % 70, 70 + total_points % 70, 140 + total_points % 70, \
             CASE WHEN {condition} THEN 'x' ELSE 'rest' END)"
        )
    });
}
