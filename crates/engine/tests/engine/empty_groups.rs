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
    alike_as(conditions, query, |out| out);
}

/// The same rows with the same cells hidden: the labels (the first `labels` columns) and
/// which values are shown, not the values, which move with the persons the condition moves
/// from one group to another.
fn alike_in_pattern(labels: usize, conditions: Vec<(String, i64)>, query: impl Fn(&str) -> String) {
    alike_as(conditions, query, |(table, report)| {
        // The header and its rule stay as they are.
        let pattern = table
            .lines()
            .enumerate()
            .map(|(i, line)| {
                if i < 2 {
                    return line.to_string();
                }
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let values = cells[labels.min(cells.len())..]
                    .iter()
                    .map(|v| if *v == "*" { "*" } else { "v" });
                cells[..labels.min(cells.len())]
                    .iter()
                    .copied()
                    .chain(values)
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect::<Vec<_>>()
            .join("\n");
        (pattern, report)
    });
}

fn alike_as(
    conditions: Vec<(String, i64)>,
    query: impl Fn(&str) -> String,
    compared: impl Fn((String, String)) -> (String, String),
) {
    let outputs: Vec<(String, i64, (String, String))> = conditions
        .into_iter()
        .map(|(condition, persons)| {
            let sql = query(&condition);
            let out = compared(seen(&sql));
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
    alike_for(the_oldest_men_or_nobody(), |condition| {
        format!(
            "SELECT total_points % 70 AS a, 70 + total_points % 70 AS b, 140 + total_points % 70 AS d, \
             CASE WHEN {condition} THEN 'x' ELSE 'rest' END AS g, count(*) AS n FROM ndb_claims \
             GROUP BY ROLLUP (total_points % 70, 70 + total_points % 70, 140 + total_points % 70, \
             CASE WHEN {condition} THEN 'x' ELSE 'rest' END)"
        )
    });
}

/// The man aged 99 or over with claims (1 to 9 persons) and nobody, as conditions on men.
fn the_oldest_men_or_nobody() -> Vec<(String, i64)> {
    let oldest = "sex = 1 AND age >= 99";
    let persons: i64 = strings(&plain(&format!(
        "SELECT count(DISTINCT person_id) FROM ndb_claims WHERE {oldest}"
    )))[0][0]
        .parse()
        .expect("a count");
    assert!((1..10).contains(&persons), "{persons}");
    vec![("sex = 1 AND age > 200".to_string(), 0), (oldest.to_string(), persons)]
}

/// Where the small group's label is shown in another row (the women aged 95+ are 'x' too), a
/// distinct count's totals, hidden as no sums of their rows, were protected as sums: solved
/// with the empty (men, 'x') taken for a known zero, they hid two cells, and beside a small
/// (men, 'x') one (red team R9-1). Each form below told the two apart on main.
#[test]
fn a_distinct_count_across_a_label_shown_elsewhere_hides_the_same_cells_for_an_empty_group_and_a_small_one() {
    let label =
        |condition: &str| format!("CASE WHEN (sex = 2 AND age >= 95) OR ({condition}) THEN 'x' ELSE 'rest' END");
    let forms: [fn(&str) -> String; 4] = [
        |c| format!("CUBE (sex, {c})"),
        |c| format!("ROLLUP (sex, {c})"),
        |c| format!("ROLLUP ({c}, sex)"),
        |c| format!("GROUPING SETS ((sex, {c}), (sex))"),
    ];
    for form in forms {
        for measures in [
            "count(DISTINCT person_id) AS p",
            "count(DISTINCT person_id) AS p, count(*) AS n",
        ] {
            alike_in_pattern(2, the_oldest_men_or_nobody(), |condition| {
                let c = label(condition);
                format!("SELECT sex, {c} AS c, {measures} FROM ndb_claims GROUP BY {}", form(&c))
            });
        }
    }
}

/// Whether a distinct count's totals add up is decided from the plan, not from the data: a
/// label a person's claims can fall on both sides of ('x' by one claim of the man aged 99+,
/// 'rest' by his others) made the totals of persons no sums exactly when someone met the
/// condition, and hiding them or not told whether anyone did.
#[test]
fn whether_a_distinct_counts_totals_are_sums_does_not_depend_on_the_data() {
    // The oldest men's claims above the least of their points: the men with two claims of
    // different points are on both sides.
    let oldest = "sex = 1 AND age >= 99";
    let least = &strings(&plain(&format!(
        "SELECT min(total_points) FROM ndb_claims WHERE {oldest}"
    )))[0][0];
    let condition = format!("{oldest} AND total_points > {least}");
    let counts = strings(&plain(&format!(
        "SELECT count(DISTINCT person_id), count(DISTINCT CASE WHEN NOT ({condition}) THEN person_id END) \
         FROM ndb_claims WHERE person_id IN (SELECT person_id FROM ndb_claims WHERE {condition})"
    )));
    let persons: i64 = counts[0][0].parse().expect("a count");
    let on_both_sides: i64 = counts[0][1].parse().expect("a count");
    assert!(
        (1..10).contains(&persons) && on_both_sides > 0,
        "{persons} persons, {on_both_sides} on both sides"
    );
    let conditions = vec![("sex = 1 AND age > 200".to_string(), 0), (condition, persons)];
    alike_in_pattern(1, conditions, |condition| {
        let c = format!("CASE WHEN {condition} THEN 'x' ELSE 'rest' END");
        format!("SELECT {c} AS c, count(DISTINCT person_id) AS p FROM ndb_claims GROUP BY ROLLUP ({c})")
    });
}

/// A withheld finest row enters secondary suppression as an empty combination does: in a
/// three-key CUBE whose 'x' holds the women aged 95+ too, the small (men, 'x') rows as
/// primary atoms needed one cell fewer hidden than the same combinations empty, and the
/// women's (2, outpatient, rest), far from them, was shown exactly when some man met the
/// condition (red team R10-3, 12 conditions of 12, one yes/no per query).
#[test]
fn a_three_key_cube_hides_the_same_cells_for_an_empty_group_and_a_small_one() {
    for measure in ["count(*) AS n", "count(DISTINCT claim_id) AS claims"] {
        alike_in_pattern(3, the_oldest_men_or_nobody(), |condition| {
            let c = format!("CASE WHEN (sex = 2 AND age >= 95) OR ({condition}) THEN 'x' ELSE 'rest' END");
            format!("SELECT sex, setting, {c} AS c, {measure} FROM ndb_claims GROUP BY CUBE (sex, setting, {c})")
        });
    }
}
