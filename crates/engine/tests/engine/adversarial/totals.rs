//! Totals of a measure: dominance, thresholds and weights inside a SUM, differences of
//! totals of different values.

use super::released;
use crate::{refused, run, run_with};
use renkei_disclosure::{CellRule, Policy};

/// Two totals of one row over the same rows but of different values difference into the
/// rows where the values differ: `sum(least(age, 98)) - sum(least(age, 97))` counts the cases
/// aged 98 or more, `sum(times) - count(*)` the extra times of lines done more than once. No
/// released row may give a count of 1 to 9 that way, in two columns or in one.
#[test]
fn totals_of_different_values_do_not_difference_into_a_small_group() {
    // The claims of the highest total: `least(total_points, top)` and `least(total_points,
    // top - 1)` differ by one point on each of them alone.
    let top = crate::support::strings(&crate::support::plain("SELECT max(total_points) FROM ndb_claims"));
    let top: u64 = top[0][0].parse().expect("points");
    let below = top - 1;
    let number = |v: &String| v.parse::<f64>().ok();
    let small = |d: f64| d.abs() >= 0.5 && d.abs() < 9.5;
    // Sums and means apart: four totals of two values of `total_points` in one row are refused
    // (`written_alike`), two are judged by the rows where they differ.
    let sums = run(&format!(
        "SELECT sex, sum(least(total_points, {top})) AS a, sum(least(total_points, {below})) AS b FROM ndb_claims GROUP BY sex"
    ))
    .expect("runs");
    for row in crate::support::strings(&sums.batches) {
        if let (Some(a), Some(b)) = (number(&row[1]), number(&row[2])) {
            assert!(!small(a - b), "sums: {row:?}");
        }
    }
    let means = run(&format!(
        "SELECT sex, avg(least(total_points, {top})) AS c, avg(least(total_points, {below})) AS d, count(*) AS n \
         FROM ndb_claims GROUP BY sex"
    ))
    .expect("runs");
    for row in crate::support::strings(&means.batches) {
        if let (Some(c), Some(d), Some(n)) = (number(&row[1]), number(&row[2]), number(&row[3])) {
            assert!(!small((c - d) * n), "means: {row:?}");
        }
    }
    let one_column = run(&format!(
        "SELECT sex, sum(least(total_points, {top})) - sum(least(total_points, {below})) AS a FROM ndb_claims GROUP BY sex"
    ))
    .expect("runs");
    for row in crate::support::strings(&one_column.batches) {
        assert!(!number(&row[1]).is_some_and(small), "{row:?}");
    }
    let truth = crate::support::strings(&crate::support::plain(&format!(
        "SELECT count(DISTINCT person_id) FROM ndb_claims WHERE total_points = {top} GROUP BY sex"
    )));
    assert!(
        truth
            .iter()
            .any(|r| r[0].parse::<u64>().is_ok_and(|p| (1..10).contains(&p))),
        "few have the highest total"
    );
}

/// A weight computed below the final aggregate leaves no condition there whose persons could
/// be counted: `sum(w)` over a CTE's `CASE WHEN age = 98 THEN 1000 ELSE 1 END AS w` read one
/// woman aged 98 as 1053 = 53 + 1000. Such sums are refused, whether the weight comes from a
/// CASE, a per-person FILTER, the branch of a UNION or a VALUES list; so are step functions
/// inside a sum, whose thresholds are not counted. Linear values computed below still sum.
#[test]
fn weights_computed_below_the_aggregate_are_refused() {
    let oldest = crate::support::strings(&crate::support::plain("SELECT max(age) FROM dpc_cases"));
    let oldest: u64 = oldest[0][0].parse().expect("an age");
    for sql in [
        format!(
            "WITH t AS (SELECT sex, CASE WHEN age = {oldest} THEN 1000 ELSE 1 END AS w FROM dpc_cases) \
             SELECT sex, sum(w) AS s FROM t GROUP BY sex"
        ),
        format!(
            "SELECT sex, avg(w) AS s FROM (SELECT sex, least(age, {oldest}) - least(age, {oldest} - 1) AS w \
             FROM dpc_cases) t GROUP BY sex"
        ),
        format!(
            "WITH p AS (SELECT person_id, max(sex) AS sex, count(*) FILTER (WHERE age >= {oldest}) AS n \
             FROM dpc_cases GROUP BY person_id) \
             SELECT sex, sum(n * 1000 + 1) AS s FROM p GROUP BY sex"
        ),
        format!(
            "SELECT sex, sum(w) AS s FROM (SELECT person_id, sex, 1 AS w FROM dpc_cases WHERE age < {oldest} \
             UNION ALL SELECT person_id, sex, 1000 AS w FROM dpc_cases WHERE age >= {oldest}) t GROUP BY sex"
        ),
        format!(
            "SELECT d.sex, sum(v.w) AS s FROM dpc_cases d JOIN (VALUES ({oldest}, 1000)) AS v(a, w) \
             ON d.age = v.a GROUP BY d.sex"
        ),
        format!("SELECT sex, sum(age / {oldest} + 1) AS s FROM dpc_cases GROUP BY sex"),
        format!("SELECT sex, sum(floor(age / {oldest}.0)) AS s FROM dpc_cases GROUP BY sex"),
        "SELECT sex, sum(age % 2) AS s FROM dpc_cases GROUP BY sex".to_string(),
        format!("SELECT sex, sum(least(age, {oldest}, 1000)) AS s FROM dpc_cases GROUP BY sex"),
    ] {
        let _ = refused(&sql);
    }
    // A factor does not hide a threshold: LEAST's is a condition whose sides are counted.
    let top = crate::support::strings(&crate::support::plain("SELECT max(total_points) FROM ndb_claims"));
    let top: u64 = top[0][0].parse().expect("points");
    let scaled = run(&format!(
        "SELECT sex, sum(least(total_points, {top})) AS a, sum(2 * least(total_points, {top} - 1)) AS b \
         FROM ndb_claims GROUP BY sex"
    ))
    .expect("runs");
    for row in crate::support::strings(&scaled.batches) {
        if let (Ok(a), Ok(b)) = (row[1].parse::<f64>(), row[2].parse::<f64>()) {
            let d = (a - b / 2.0).abs();
            assert!(!(0.5..9.5).contains(&d), "{row:?}");
        }
    }
    let linear = "WITH t AS (SELECT sex, total_points * 10 AS yen FROM ndb_claims) SELECT sex, sum(yen) AS yen FROM t GROUP BY sex";
    assert!(run(linear).is_ok(), "a linear value computed below sums");
}

/// Sums of points are checked by dominance: a cell where one person makes most of the
/// points is hidden even with many persons behind it.
#[test]
fn dominated_sums_are_hidden() {
    let strict = Policy {
        dominance_k_percent: 1.0,
        show_hidden_rows: true,
        ..Policy::default()
    };
    let out = run_with(
        "SELECT sex, sum(total_points) AS points FROM ndb_claims GROUP BY sex",
        strict,
    )
    .expect("runs");
    assert!(
        out.report.hidden.iter().all(|h| h.rule == CellRule::Dominance),
        "{:?}",
        out.report.hidden
    );
    assert_eq!(
        out.report.hidden.len(),
        2,
        "two persons make more than 1 % of the points of either sex"
    );
    let out = run("SELECT sex, sum(total_points) AS points, avg(total_points) AS mean FROM ndb_claims GROUP BY sex")
        .expect("runs");
    assert!(out.report.hidden.is_empty(), "{:?}", out.report.hidden);
}

/// A cell of 10 or more persons where one person's points dwarf the rest is hidden by
/// dominance; the mean of the same cell too.
#[test]
fn one_big_contributor_dominates_a_cell() {
    let out = run(
        "SELECT d.sex, count(DISTINCT d.person_id) AS persons, sum(i.points) AS points, avg(i.points) AS mean \
         FROM dpc_cases d JOIN dpc_items i ON i.case_id = d.case_id AND i.person_id = d.person_id \
         WHERE i.data_category = '50' OR (i.data_category = '60' AND d.age BETWEEN 70 AND 72) \
         GROUP BY d.sex",
    )
    .expect("runs");
    // Dominance is about the points: it hides no count of persons. (A count may be hidden
    // as a difference: `points / mean` counts the rows, a few more than the persons.)
    for h in &out.report.hidden {
        assert!(
            h.column != "persons" || !matches!(h.rule, CellRule::Dominance | CellRule::PPercent),
            "{h:?}"
        );
    }
}

/// A value that weighs a small group apart inside a big cell (a tracker) is hidden: the
/// persons on each side of a condition inside an aggregate are counted.
#[test]
fn conditions_inside_a_value_cannot_weigh_a_small_group_apart() {
    for sql in [
        "SELECT sex, sum(CASE WHEN age >= 95 THEN 100000 ELSE 1 END) AS weighted FROM ndb_claims GROUP BY sex",
        "SELECT sex, sum(1 + 100000 * CAST(age >= 95 AS INT)) AS weighted FROM ndb_claims GROUP BY sex",
        "SELECT sex, avg(CASE WHEN age >= 95 THEN 1000.0 ELSE 0.5 END) AS weighted FROM ndb_claims GROUP BY sex",
    ] {
        let shown = Policy {
            show_hidden_rows: true,
            ..Policy::default()
        };
        let out = run_with(sql, shown).expect("runs");
        // Men of 95 and over are fewer than 10 in the sample; women are more.
        let cells = released(&out);
        assert!(
            cells.contains(&("weighted".to_string(), "*".to_string())),
            "{sql}: {cells:?}"
        );
        assert!(
            out.report.hidden.iter().all(|h| h.rule == CellRule::Difference),
            "{sql}"
        );
    }
    // An indicator over a big group is an ordinary count.
    let out = run("SELECT sex, sum(CASE WHEN age >= 65 THEN 1 ELSE 0 END) AS older FROM ndb_claims GROUP BY sex")
        .expect("runs");
    assert!(out.report.hidden.is_empty(), "{:?}", out.report.hidden);
}
