//! Adversarial queries: each tries to learn something about fewer than 10 persons, and must
//! be refused or find its cell hidden. The sample warehouse has 2,000 persons, so small
//! groups are easy to aim at.

use crate::{refused, run, run_with};
use renkei_disclosure::{CellRule, Policy};
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};

/// Every released value cell, as text, with its column name.
fn released(out: &CheckedOutput) -> Vec<(String, String)> {
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
fn optimized_plan(engine: &Engine, sql: &str) -> String {
    crate::runtime()
        .block_on(engine.checked_plan(sql, Vec::new()))
        .expect("plans")
        .display_indent()
        .to_string()
}

fn rows(out: &CheckedOutput) -> usize {
    out.batches.iter().map(|b| b.num_rows()).sum()
}

/// The rows `out` leaves out of what unprotected DataFusion returns for `sql`. Nothing in the
/// output says how many: the tests count them from the outside.
fn rows_withheld(sql: &str, out: &CheckedOutput) -> usize {
    let all: usize = crate::support::plain(sql).iter().map(|b| b.num_rows()).sum();
    all - rows(out)
}

fn assert_refused(sql: &str, names: &str) {
    let reason = refused(sql);
    assert!(reason.contains(names), "{sql}: refused for another reason: {reason}");
}

#[test]
fn select_star_is_refused() {
    assert_refused("SELECT * FROM ndb_claims", "row-level");
}

#[test]
fn row_level_projection_with_distinct_is_refused() {
    // DISTINCT over non-person columns is still one row per combination, uncounted.
    assert_refused("SELECT DISTINCT sex, age FROM kaigo_certifications", "row-level");
}

#[test]
fn grouping_by_the_person_key_is_refused() {
    assert_refused(
        "SELECT person_id, count(*) FROM ndb_claims GROUP BY person_id",
        "person",
    );
    assert_refused("SELECT count(*) FROM ndb_claims GROUP BY claim_id", "record key");
    // Hiding the key in an expression does not help.
    assert_refused(
        "SELECT substr(person_id, 1, 8) AS p, count(*) FROM ndb_claims GROUP BY substr(person_id, 1, 8)",
        "person",
    );
}

#[test]
fn person_key_literals_are_refused() {
    assert_refused("SELECT count(*) FROM ndb_claims WHERE person_id = 'x'", "person");
    assert_refused(
        "SELECT count(*) FROM ndb_claims WHERE person_id IN ('x', 'y')",
        "IN list",
    );
    assert_refused("SELECT count(*) FROM ndb_claims WHERE person_id LIKE 'ab%'", "pattern");
    assert_refused("SELECT count(*) FROM ndb_claims WHERE person_id > 'f'", "person");
    assert_refused(
        "SELECT count(*) FROM ndb_claims WHERE substr(person_id, 1, 1) = 'a'",
        "person",
    );
}

/// A key may be equal to a key of its kind, tested IS NULL or IN a subquery, and counted;
/// wherever else it appears (a FILTER, a CASE in an aggregate or in a CTE, a HAVING's
/// aggregate, a per-person table) it is refused, as in WHERE.
#[test]
fn person_and_record_keys_are_used_only_as_keys() {
    for sql in [
        "SELECT count(*) FILTER (WHERE person_id < '5') AS n FROM dpc_cases",
        "SELECT count(CASE WHEN person_id < '5' THEN 1 END) AS n FROM dpc_cases",
        "SELECT sex, count(*) AS n FROM dpc_cases GROUP BY sex HAVING count(*) FILTER (WHERE person_id < '5') > 0",
        "WITH t AS (SELECT age, CASE WHEN person_id < '5' THEN 1 END AS b FROM dpc_cases) \
         SELECT count(b) AS n FROM t",
        "WITH t AS (SELECT person_id, max(CASE WHEN case_id LIKE 'a%' THEN 1 END) AS b FROM dpc_cases \
         GROUP BY person_id) SELECT count(b) AS n FROM t",
        "SELECT count(*) AS n FROM dpc_cases WHERE person_id < greatest(person_id, '5')",
        "SELECT count(*) AS n FROM dpc_cases WHERE person_id = case_id",
        "SELECT count(*) AS n FROM dpc_cases a JOIN dpc_cases b ON a.person_id = b.person_id AND a.case_id < b.case_id",
        "SELECT count(*) FILTER (WHERE length(claim_id) > 3) AS n FROM ndb_claims",
    ] {
        assert_refused(sql, "person or record key");
    }
    for sql in [
        "SELECT count(*) AS n FROM dpc_cases WHERE person_id IS NOT NULL",
        "SELECT count(*) AS n FROM dpc_cases a JOIN dpc_cases b ON a.person_id = b.person_id AND a.case_id <> b.case_id",
        "SELECT count(DISTINCT case_id) FILTER (WHERE age > 50) AS n FROM dpc_cases",
    ] {
        run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[test]
fn order_statistics_of_quasi_identifiers_are_refused() {
    assert_refused("SELECT max(age) FROM ndb_claims", "MAX");
    assert_refused("SELECT sex, min(age) FROM dpc_cases GROUP BY sex", "MIN");
    assert_refused("SELECT min(birth_ym) FROM kaigo_certifications", "MIN");
    assert_refused("SELECT array_agg(age) FROM ndb_claims", "ARRAY_AGG");
    assert_refused(
        "SELECT string_agg(care_level, ',') FROM kaigo_certifications",
        "STRING_AGG",
    );
    assert_refused("SELECT median(age) FROM ndb_claims", "MEDIAN");
    assert_refused("SELECT first_value(age) FROM ndb_claims", "FIRST_VALUE");
}

#[test]
fn limit_and_window_functions_are_refused() {
    assert_refused("SELECT sex, count(*) FROM ndb_claims GROUP BY sex LIMIT 1", "LIMIT");
    assert_refused("SELECT sex, count(*) OVER () FROM ndb_claims", "window");
    assert_refused(
        "SELECT sex, count(*) AS n, rank() OVER (ORDER BY count(*)) FROM ndb_claims GROUP BY sex",
        "window",
    );
}

#[test]
fn explain_is_refused() {
    assert_refused("EXPLAIN SELECT count(*) FROM ndb_claims", "EXPLAIN");
    assert_refused(
        "EXPLAIN ANALYZE SELECT age, count(*) FROM ndb_claims GROUP BY age",
        "EXPLAIN",
    );
}

#[test]
fn uncounted_subqueries_are_refused() {
    assert_refused(
        "SELECT (SELECT count(*) FROM dpc_cases) AS n, count(*) FROM ndb_claims",
        "subquer",
    );
    assert_refused(
        "SELECT count(*) FROM ndb_claims WHERE EXISTS (SELECT 1 FROM dpc_cases WHERE age > 100)",
        "EXISTS",
    );
    // A subquery that selects one person by an extreme value.
    assert_refused(
        "SELECT count(*) FROM ndb_claims WHERE person_id = (SELECT max(person_id) FROM dpc_cases)",
        "person",
    );
    assert_refused(
        "SELECT count(*) FROM (SELECT sex, count(*) c FROM ndb_claims GROUP BY sex) t",
        "person key",
    );
}

#[test]
fn reserved_names_are_refused() {
    assert_refused("SELECT count(*) AS __renkei_p0 FROM ndb_claims", "reserved");
}

/// Values bound to placeholders are checked as the literals they replace.
#[test]
fn bound_parameters_are_checked_like_literals() {
    let engine = Engine::open(crate::warehouse(), Policy::default(), EngineOptions::default()).expect("opens");
    let rt = crate::runtime();
    let person = rt
        .block_on(engine.query_with_params(
            "SELECT count(*) AS n FROM ndb_claims WHERE person_id = $1",
            vec![datafusion::common::ScalarValue::from(
                "0123456789abcdef0123456789abcdef",
            )],
        ))
        .expect_err("a person key bound to a parameter");
    assert!(matches!(person, EngineError::Refused(_)), "{person}");
    let out = rt
        .block_on(engine.query_with_params(
            "SELECT sex, count(DISTINCT person_id) AS persons FROM ndb_claims WHERE age >= $1 GROUP BY sex",
            vec![datafusion::common::ScalarValue::Int64(Some(100))],
        ))
        .expect("runs");
    let literal_sql = "SELECT sex, count(DISTINCT person_id) AS persons FROM ndb_claims WHERE age >= 100 GROUP BY sex";
    let literal = run(literal_sql).expect("runs");
    assert!(
        rows_withheld(literal_sql, &out) > 0,
        "centenarians are few: {}",
        out.report.to_json()
    );
    assert_eq!(
        format!("{:?}", out.report.summary),
        format!("{:?}", literal.report.summary)
    );
    assert_eq!(
        format!("{:?}", out.report.hidden),
        format!("{:?}", literal.report.hidden)
    );
    assert_eq!(released(&out), released(&literal));
    assert!(
        out.report.command.ends_with("-- parameters: $1 = 100"),
        "{}",
        out.report.command
    );
}

#[test]
fn statements_that_write_or_configure_are_refused() {
    for sql in [
        "CREATE TABLE t AS SELECT * FROM ndb_claims",
        "COPY (SELECT * FROM ndb_claims) TO '/tmp/renkei-leak.csv'",
        "SET datafusion.execution.batch_size = 1",
        "INSERT INTO ndb_claims SELECT * FROM ndb_claims",
        "DESCRIBE ndb_claims",
        "CREATE EXTERNAL TABLE leak STORED AS CSV LOCATION '/tmp/renkei-leak.csv'",
        "CREATE VIEW v AS SELECT person_id FROM ndb_claims",
    ] {
        assert!(
            matches!(run(sql), Err(EngineError::Refused(_))),
            "{sql} was not refused"
        );
    }
    assert!(!std::path::Path::new("/tmp/renkei-leak.csv").exists());
}

/// The persons behind a cell, not its rows, decide: a group of few persons with many
/// claims is hidden.
#[test]
fn heavy_users_do_not_make_a_small_cell_big() {
    let shown = Policy {
        show_hidden_rows: true,
        ..Policy::default()
    };
    let out = run_with("SELECT age, count(*) AS claims FROM ndb_claims GROUP BY age", shown).expect("runs");
    let hidden: Vec<_> = out
        .report
        .hidden
        .iter()
        .filter(|h| h.rule == CellRule::MinPersons)
        .collect();
    assert!(!hidden.is_empty(), "some ages have fewer than 10 persons in the sample");
    // The oldest ages have fewer than 10 persons but, with monthly claims, more than 10 rows:
    // a row-counting checker would release them. Here their rows are withheld.
    let sql = "SELECT age, count(*) AS claims FROM ndb_claims WHERE age >= 95 GROUP BY age";
    let out = run(sql).expect("runs");
    assert!(
        released(&out)
            .iter()
            .filter(|(h, _)| h == "claims")
            .all(|(_, v)| v == "*")
    );
    assert!(rows_withheld(sql, &out) > 0);
}

/// Persons are counted by counting rows only where each person has one row (per-person
/// tables joined one-to-one on the person key). A per-person table joined to row-level
/// claims, or a per-person table joined to one of months, have several rows per person:
/// their cells still hide when they hold fewer than 10 persons.
#[test]
fn rows_are_counted_as_persons_only_where_each_person_has_one() {
    for sql in [
        "WITH p AS (SELECT person_id, max(age) AS age FROM ndb_claims GROUP BY person_id) \
         SELECT p.age, count(*) AS claims FROM p JOIN ndb_claims c ON c.person_id = p.person_id \
         WHERE p.age >= 95 GROUP BY p.age",
        "WITH p AS (SELECT person_id, max(age) AS age FROM ndb_claims GROUP BY person_id) \
         SELECT c.age, count(*) AS claims FROM ndb_claims c LEFT JOIN p ON c.person_id = p.person_id \
         WHERE c.age >= 95 GROUP BY c.age",
        "WITH p AS (SELECT person_id, max(age) AS age FROM ndb_claims GROUP BY person_id), \
              m AS (SELECT person_id, claim_month, max(age) AS age FROM ndb_claims GROUP BY person_id, claim_month) \
         SELECT m.age, count(*) AS months FROM p JOIN m ON m.person_id = p.person_id \
         WHERE m.age >= 95 GROUP BY m.age",
    ] {
        let out = run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let values: Vec<_> = released(&out).into_iter().filter(|(h, _)| h != "age").collect();
        assert!(values.iter().all(|(_, v)| v == "*"), "{sql}: {values:?}");
        assert!(rows_withheld(sql, &out) > 0, "{sql}");
    }
}

/// A conditional count over few persons inside a big cell is counted as those few, and the
/// rest of its row goes with it: with a third column (claims below 100) the hidden one would
/// be all_claims minus it.
#[test]
fn conditional_aggregates_count_their_own_persons() {
    let out = run(
        "SELECT sex, count(*) AS all_claims, sum(CASE WHEN age >= 100 THEN 1 ELSE 0 END) AS centenarian_claims \
         FROM ndb_claims GROUP BY sex",
    )
    .expect("runs");
    let small: Vec<_> = out
        .report
        .hidden
        .iter()
        .filter(|h| h.rule == CellRule::MinPersons)
        .collect();
    assert!(small.iter().all(|h| h.column == "centenarian_claims"), "{small:?}");
    assert!(!small.is_empty(), "centenarian counts are small");
    assert_eq!(out.report.summary.hidden_secondary, small.len());
    let out = run(
        "SELECT sex, count(*) FILTER (WHERE age >= 100) AS c, count(*) FILTER (WHERE age < 100) AS d, \
         count(*) AS n FROM ndb_claims GROUP BY sex",
    )
    .expect("runs");
    let cells = released(&out);
    for row in cells.chunks(4) {
        let hidden = row.iter().filter(|(_, v)| v == "*").count();
        assert!(
            hidden == 0 || hidden == 3,
            "a row is hidden whole or not at all: {row:?}"
        );
    }
    assert!(cells.iter().any(|(_, v)| v == "*"));
}

/// A filter that narrows the rows to a few persons leaves a small cell, hidden.
#[test]
fn narrow_filters_leave_hidden_cells() {
    let out = run("SELECT count(*) AS n FROM dpc_cases WHERE age = 101 AND sex = 2").expect("runs");
    assert!(
        released(&out).iter().all(|(_, v)| v == "*" || v == "0"),
        "{:?}",
        released(&out)
    );
}

/// A hidden cell of a ROLLUP table cannot be recomputed from its total: a second cell of
/// the same relation is hidden too.
#[test]
fn rollup_totals_do_not_reveal_hidden_cells() {
    let sql =
        "SELECT facility_prefecture, sex, count(*) AS n FROM ndb_claims GROUP BY ROLLUP(facility_prefecture, sex)";
    let out = run(sql).expect("runs");
    assert!(out.report.summary.hidden_primary + rows_withheld(sql, &out) > 0);
    assert!(out.report.summary.hidden_secondary > 0);
}

/// A user-built total by UNION is not checked for its relations, so it is refused.
#[test]
fn union_totals_are_refused() {
    assert_refused(
        "SELECT sex, count(*) FROM dpc_cases GROUP BY sex UNION ALL SELECT 0, count(*) FROM dpc_cases",
        "UNION",
    );
}

/// HAVING cannot tell a hidden value by letting its row through.
#[test]
fn having_does_not_reveal_small_cells() {
    let out = run("SELECT age, count(*) AS n FROM ndb_claims GROUP BY age HAVING count(*) < 3").expect("runs");
    assert_eq!(rows(&out), 0);
    // A HAVING on the persons: rows kept with a hidden cell are withheld whole.
    let out = run(
        "SELECT age, count(DISTINCT person_id) AS persons FROM dpc_cases GROUP BY age \
         HAVING count(DISTINCT person_id) BETWEEN 1 AND 4",
    )
    .expect("runs");
    assert_eq!(rows(&out), 0, "every row kept holds a small, hidden cell");
}

/// A HAVING that keeps a row only when its hidden count is exactly k: swept over k, every
/// output (table, report, status) is the same, so no k tells the count. Withheld rows are
/// not counted anywhere; a count of them would be the number of groups of exactly k.
#[test]
fn having_sweeps_read_nothing_of_a_small_count() {
    let query =
        |k: i64| format!("SELECT sex, count(*) AS n FROM dpc_cases WHERE age >= 90 GROUP BY sex HAVING count(*) = {k}");
    let small = crate::support::strings(&crate::support::plain(
        "SELECT count(*) FROM dpc_cases WHERE age >= 90 GROUP BY sex HAVING count(*) < 10",
    ));
    assert!(
        !small.is_empty(),
        "the sample has a sex with fewer than 10 DPC cases aged 90+"
    );
    let seen = |k: i64| {
        let out = run(&query(k)).expect("runs");
        let mut report = out.report.clone();
        report.command.clear();
        report.query_hash.clear();
        (released(&out), report.to_json())
    };
    let first = seen(1);
    for k in 2..10 {
        assert_eq!(
            seen(k),
            first,
            "HAVING count(*) = {k} tells something HAVING count(*) = 1 does not"
        );
    }
}

/// Where counts are released rounded, a HAVING would test the exact count behind each
/// rounded one (`HAVING count(*) = 17` keeps a row shown as 15): refused.
#[test]
fn having_cannot_see_behind_rounding() {
    let rounded = Policy {
        rounding_base: Some(5),
        ..Policy::default()
    };
    let sql = "SELECT sex, count(*) AS n FROM ndb_claims GROUP BY sex";
    assert!(run_with(sql, rounded.clone()).is_ok());
    match run_with(&format!("{sql} HAVING count(*) = 17"), rounded) {
        Err(EngineError::Refused(reason)) => assert!(reason.contains("HAVING"), "{reason}"),
        other => panic!("a HAVING under rounding: {:?}", other.map(|o| o.report.to_json())),
    }
}

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

/// A subtotal hidden to protect a small cell would, by passing a HAVING, tell that its hidden
/// value does (`HAVING count(DISTINCT person_id) = 16`): under a HAVING no released row holds
/// a hidden cell.
#[test]
fn having_withholds_rows_hidden_to_protect_others() {
    // One row per person (a person's certifications span care levels, and the distinct counts
    // of a ROLLUP over them would not add up: their totals are hidden, see the attack catalogue).
    let rollup = "WITH p AS (SELECT person_id, max(care_level) AS care_level, max(sex) AS sex \
                  FROM kaigo_certifications GROUP BY person_id) \
                  SELECT care_level, sex, count(DISTINCT person_id) AS n FROM p GROUP BY ROLLUP(care_level, sex)";
    let out = run(rollup).expect("runs");
    assert!(out.report.summary.hidden_secondary > 0, "{}", out.report.to_json());
    let out = run(&format!("{rollup} HAVING count(DISTINCT person_id) > 0")).expect("runs");
    assert!(out.report.hidden.is_empty(), "{}", out.report.to_json());
    assert!(rows(&out) > 0);
}

/// Without ORDER BY the rows come in one canonical order; it must not be the order of the
/// values before they were hidden, or each hidden count would sit between its released
/// neighbours. Hidden cells sort as NULL: first, then by the labels.
#[test]
fn row_order_does_not_rank_hidden_values() {
    let out = run(
        "WITH p AS (SELECT person_id, max(care_level) AS care_level, max(sex) AS sex \
         FROM kaigo_certifications GROUP BY person_id) \
         SELECT count(DISTINCT person_id) AS n, care_level, sex FROM p GROUP BY ROLLUP(care_level, sex)",
    )
    .expect("runs");
    assert!(out.report.summary.hidden_secondary > 1, "{}", out.report.to_json());
    let shown: Vec<(Option<i64>, Option<String>, Option<String>)> = crate::support::strings(&out.batches)
        .into_iter()
        .map(|row| {
            let text = |v: &String| (v != "NULL").then(|| v.clone());
            (row[0].parse().ok(), text(&row[1]), text(&row[2]))
        })
        .collect();
    let mut sorted = shown.clone();
    sorted.sort();
    assert_eq!(shown, sorted);
}

/// Where the policy hides zeros, a hidden zero and a hidden 1 to 9 look the same, in the
/// table and in the report: a report naming the zero rule would give the value back.
#[test]
fn hidden_zeros_look_like_any_small_cell() {
    let oldest = crate::support::strings(&crate::support::plain(
        "SELECT max(age), count(DISTINCT person_id) FROM dpc_cases WHERE age = (SELECT max(age) FROM dpc_cases)",
    ));
    let (oldest, persons) = (&oldest[0][0], &oldest[0][1]);
    assert!(
        persons.parse::<u64>().is_ok_and(|n| n < 10),
        "few are the oldest: {persons}"
    );
    let policy = Policy {
        show_zero_cells: false,
        ..Policy::default()
    };
    let seen = |sql: String| {
        let out = run_with(&sql, policy.clone()).expect("runs");
        let mut report = out.report.clone();
        report.command.clear();
        report.query_hash.clear();
        (released(&out), report.to_json())
    };
    let cases = |condition: &str| {
        seen(format!(
            "SELECT count(*) AS cases, count(DISTINCT person_id) AS persons FROM dpc_cases WHERE {condition}"
        ))
    };
    let nobody = cases(&format!("age > {oldest}"));
    let few = cases(&format!("age = {oldest}"));
    assert_eq!(nobody, few);
}

/// Two overlapping cells whose difference is one small group: each is big, the difference
/// is not published as its own cell, and the rule of counting persons per cell holds.
#[test]
fn differencing_between_queries_is_bounded_by_cell_persons() {
    let all = run("SELECT count(DISTINCT person_id) AS n FROM dpc_cases").expect("runs");
    let most = run("SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age < 95").expect("runs");
    // Both are released; their difference (the persons aged 95+) is the well-known limit of
    // per-output checks, which the broker's review addresses. The engine's part: neither
    // query can be narrowed to the small group itself.
    assert_eq!(all.report.hidden.len() + most.report.hidden.len(), 0);
    let small = run("SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 95").expect("runs");
    assert_eq!(released(&small), vec![("n".to_string(), "*".to_string())]);
}

/// Linking databases does not lose the persons: a cell of a join is counted by persons.
#[test]
fn cells_of_linked_databases_are_counted_by_persons() {
    let out = run("SELECT k.care_level, count(*) AS claims FROM kaigo_certifications k \
         JOIN dpc_cases d ON d.person_id = k.person_id WHERE d.age >= 98 GROUP BY k.care_level")
    .expect("runs");
    assert!(
        released(&out)
            .iter()
            .filter(|(h, _)| h == "claims")
            .all(|(_, v)| v == "*")
    );
}

/// Rows of two unrelated persons joined (a CROSS JOIN, a join on a value) are refused: a
/// count of one side against a count of the other differs by whom the join leaves out (see
/// the attack catalogue's `join_on_a_condition_*`). Joined on the person key, they run.
#[test]
fn joins_of_different_persons_are_refused() {
    assert_refused(
        "SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases WHERE age >= 95) a CROSS JOIN ndb_claims",
        "join of rows of different persons",
    );
    assert_refused(
        "SELECT count(*) AS n FROM dpc_cases a JOIN ndb_claims c ON a.sex = c.sex",
        "join of rows of different persons",
    );
    assert!(run("SELECT count(*) AS n FROM dpc_cases a JOIN ndb_claims c ON a.person_id = c.person_id").is_ok());
}

/// Facility-level cells need 3 facilities behind them: one facility per row is below the
/// unit rule, whatever its persons, and every such row is withheld.
#[test]
fn facility_cells_need_three_facilities() {
    let sql = "SELECT facility_id, count(DISTINCT person_id) AS persons FROM ndb_claims GROUP BY facility_id";
    let out = run(sql).expect("runs");
    assert_eq!(rows(&out), 0);
    let shown = Policy {
        show_hidden_rows: true,
        ..Policy::default()
    };
    let out = run_with(sql, shown).expect("runs");
    assert!(out.report.hidden.iter().any(|h| h.rule == CellRule::MinEntities));
    assert!(
        released(&out)
            .iter()
            .filter(|(h, _)| h == "persons")
            .all(|(_, v)| v == "*")
    );
}

/// A facility's prefecture is an attribute of the facility: where two hospitals make a
/// prefecture's inpatient claims, a cell by that prefecture is theirs, and needs three.
#[test]
fn cells_by_a_facility_attribute_need_three_facilities() {
    let by_prefecture = |values: &str| {
        format!(
            "SELECT facility_prefecture, {values} FROM ndb_claims WHERE setting = 'inpatient' \
             GROUP BY facility_prefecture"
        )
    };
    let truth = crate::support::strings(&crate::support::plain(&by_prefecture(
        "count(DISTINCT person_id), count(DISTINCT facility_id)",
    )));
    let few_facilities: Vec<&String> = truth
        .iter()
        .filter(|row| row[1].parse::<u64>().is_ok_and(|p| p >= 10) && row[2].parse::<u64>().is_ok_and(|f| f < 3))
        .map(|row| &row[0])
        .collect();
    assert!(
        !few_facilities.is_empty(),
        "the sample has a prefecture of 10+ inpatients in 1 or 2 hospitals"
    );
    let out = run(&by_prefecture("count(DISTINCT person_id) AS persons")).expect("runs");
    let shown = crate::support::strings(&out.batches);
    for prefecture in few_facilities {
        assert!(
            !shown.iter().any(|row| &row[0] == prefecture && row[1] != "NULL"),
            "prefecture {prefecture}: {shown:?}"
        );
    }
}

/// A total beside the same without one facility is that facility's total: the difference of
/// two cells is judged by the unit rule as a cell would be. The facility with most patients is
/// left out (it is never a small group of persons), and a prefecture of many facilities left
/// out the same way is released.
#[test]
fn a_total_beside_the_same_without_one_facility_is_hidden() {
    let biggest = crate::support::strings(&crate::support::plain(
        "SELECT facility_id, count(DISTINCT person_id) AS n FROM ndb_claims GROUP BY facility_id ORDER BY n DESC LIMIT 1",
    ));
    let without = |condition: &str| {
        format!(
            "SELECT count(*) AS claims, sum(total_points) AS points, \
                    count(*) FILTER (WHERE {condition}) AS claims_without, \
                    sum(total_points) FILTER (WHERE {condition}) AS points_without FROM ndb_claims"
        )
    };
    let sql = without(&format!("facility_id <> '{}'", biggest[0][0]));
    let out = run(&sql).expect("runs");
    assert!(
        released(&out).iter().all(|(_, v)| v == "*"),
        "{sql}: {:?}",
        released(&out)
    );
    let prefectures = crate::support::strings(&crate::support::plain(
        "SELECT facility_prefecture FROM ndb_claims GROUP BY facility_prefecture \
         HAVING count(DISTINCT facility_id) >= 3 AND count(DISTINCT person_id) >= 10 ORDER BY 1 LIMIT 1",
    ));
    let sql = without(&format!("facility_prefecture <> '{}'", prefectures[0][0]));
    let out = run(&sql).expect("runs");
    assert!(
        released(&out).iter().all(|(_, v)| v != "*"),
        "{sql}: {:?}",
        released(&out)
    );
}

/// Facilities are counted per scan of a table. Persons picked by their stays at a few
/// facilities (in a subquery) make a cell about those facilities, however many facilities
/// the outer rows spread over: refused, not checked on the outer rows' facilities. And a
/// self-join grouped by one side's facility counts that side's facilities, not the other's.
#[test]
fn facilities_are_counted_on_the_scan_that_selects_by_them() {
    let e = run(
        "SELECT substr(c.facility_id, 1, 2) AS prefecture, count(*) AS stays FROM dpc_cases c \
         WHERE c.person_id IN (SELECT person_id FROM dpc_cases WHERE facility_id LIKE '13%') GROUP BY 1",
    )
    .expect_err("selects by a subquery's facility");
    assert!(e.to_string().contains("inside a per-person subquery"), "{e}");

    let engine = Engine::open(crate::warehouse(), Policy::default(), EngineOptions::default()).expect("opens");
    let plan = optimized_plan(
        &engine,
        "SELECT substr(i.facility_id, 1, 2) AS prefecture, count(*) AS stays FROM dpc_cases i \
         LEFT JOIN dpc_cases r ON r.person_id = i.person_id AND r.admission_date > i.discharge_date \
         GROUP BY 1",
    );
    // The facilities counted are those of `i`, the side the cells are grouped by.
    let unit_counts: Vec<&str> = plan.matches("facility_id)) AS __renkei_h").collect();
    assert_eq!(unit_counts, ["facility_id)) AS __renkei_h"], "{plan}");
    assert!(
        plan.contains("count(DISTINCT renkei_key_number(i.facility_id)) AS __renkei_h"),
        "{plan}"
    );
}

/// A facility named inside an aggregate's value selects rows as a FILTER would: gating rows by
/// it makes the unit rule apply (one facility: hidden), and weighing rows apart by it
/// (one facility's count carried inside the cell's) is refused.
#[test]
fn a_facility_inside_a_value_is_a_selection_by_it() {
    // The facility with the most persons: its cells pass the persons rule, not the unit rule.
    let facility = crate::support::strings(&crate::support::plain(
        "SELECT facility_id FROM ndb_claims GROUP BY facility_id ORDER BY count(DISTINCT person_id) DESC LIMIT 1",
    ))[0][0]
        .clone();
    let gated = format!(
        "SELECT sex, count(CASE WHEN facility_id = '{facility}' THEN 1 END) AS claims_there \
         FROM ndb_claims GROUP BY sex"
    );
    let shown = Policy {
        show_hidden_rows: true,
        ..Policy::default()
    };
    let out = run_with(&gated, shown).expect("runs");
    assert!(
        released(&out)
            .iter()
            .filter(|(h, _)| h == "claims_there")
            .all(|(_, v)| v == "*"),
        "{:?}",
        released(&out)
    );
    assert!(out.report.hidden.iter().any(|h| h.rule == CellRule::MinEntities));
    let weighed = format!(
        "SELECT sex, sum(CASE WHEN facility_id = '{facility}' THEN 1000 ELSE 1 END) AS weighed \
         FROM ndb_claims GROUP BY sex"
    );
    let e = run(&weighed).expect_err("weighs by a facility");
    assert!(e.to_string().contains("condition on a facility"), "{e}");
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

#[test]
fn spread_statistics_of_sensitive_measures_are_refused() {
    assert_refused(
        "SELECT sex, stddev(total_points) FROM ndb_claims GROUP BY sex",
        "STDDEV",
    );
    assert_refused(
        "SELECT sex, sum(DISTINCT total_points) FROM ndb_claims GROUP BY sex",
        "DISTINCT",
    );
}

/// Execution errors quote no data value.
#[test]
fn execution_errors_carry_no_values() {
    // A failed CAST gives NULL (see the next test); `to_date` of a malformed text still fails.
    let e = run("SELECT to_date(claim_month || 'x') AS m, count(*) FROM ndb_claims GROUP BY 1").expect_err("fails");
    let text = e.to_string();
    assert!(
        !text.contains("x'") && !text.chars().any(|c| c.is_ascii_digit()),
        "{text}"
    );
    // Refused now (to_date of data can fail on a value); either way no value is quoted.
    assert!(
        matches!(e, EngineError::Execution(_) | EngineError::Refused(_)),
        "{e:?}"
    );
}

/// Planning errors name the query's own words, never a warehouse value.
#[test]
fn planning_errors_quote_only_the_query() {
    let e = run("SELECT no_such_column, count(*) FROM ndb_claims GROUP BY 1").expect_err("fails");
    assert!(matches!(e, EngineError::Invalid(_)), "{e:?}");
    assert!(e.to_string().contains("no_such_column"));
}

/// Sorting by a value would rank each hidden cell between its released neighbours.
#[test]
fn ordering_by_values_is_refused() {
    assert_refused(
        "SELECT age, count(*) AS n FROM ndb_claims GROUP BY age ORDER BY n",
        "ORDER BY",
    );
    assert_refused(
        "SELECT age, count(*) FROM ndb_claims GROUP BY age ORDER BY count(*) DESC",
        "ORDER BY",
    );
    assert!(run("SELECT age, count(*) AS n FROM ndb_claims GROUP BY age ORDER BY age").is_ok());
}

/// A row whose every value is hidden is withheld: its labels alone would tell that a small
/// group with those attributes exists.
#[test]
fn labels_of_small_groups_are_withheld() {
    let sql =
        "SELECT birth_ym, sex, count(*) AS n FROM kaigo_certifications GROUP BY birth_ym, sex ORDER BY birth_ym, sex";
    let out = run(sql).expect("runs");
    assert!(rows_withheld(sql, &out) > 0);
    assert!(out.report.hidden.is_empty(), "every shown row has its value released");
    let shown = run_with(
        sql,
        Policy {
            show_hidden_rows: true,
            ..Policy::default()
        },
    )
    .expect("runs");
    assert_eq!(rows(&shown), rows(&out) + rows_withheld(sql, &out));
}

/// Two released counts of one row whose difference is a small group: the count with a
/// condition and without it. The second is hidden, and its row with it.
#[test]
fn differences_between_cells_of_a_row_are_counted() {
    let out = run(
        "SELECT sex, count(*) AS claims, count(*) FILTER (WHERE age < 95) AS claims_below_95 \
         FROM ndb_claims GROUP BY sex ORDER BY sex",
    )
    .expect("runs");
    assert!(
        out.report.hidden.iter().any(|h| h.rule == CellRule::Difference),
        "{:?}",
        out.report.hidden
    );
    let cells = released(&out);
    for row in cells.chunks(3) {
        assert_eq!(row[1].1 == "*", row[2].1 == "*", "a row is hidden whole: {row:?}");
    }
    // A difference of many persons is no secret.
    let out = run(
        "SELECT sex, count(*) AS claims, count(*) FILTER (WHERE age < 65) AS claims_below_65 \
         FROM ndb_claims GROUP BY sex",
    )
    .expect("runs");
    assert!(out.report.hidden.is_empty(), "{:?}", out.report.hidden);
}

/// A session limited to some tables (a project's grant) does not know the others.
#[test]
fn tables_outside_the_grant_do_not_exist() {
    let options = renkei_engine::EngineOptions {
        tables: Some(["kaigo_certifications".to_string()].into()),
        ..Default::default()
    };
    let engine = renkei_engine::Engine::open(crate::warehouse(), Policy::default(), options).expect("opens");
    let rt = crate::runtime();
    assert!(
        rt.block_on(engine.query("SELECT sex, count(*) AS n FROM kaigo_certifications GROUP BY sex"))
            .is_ok()
    );
    let e = rt
        .block_on(engine.query("SELECT sex, count(*) AS n FROM ndb_claims GROUP BY sex"))
        .expect_err("not granted");
    assert!(
        matches!(e, EngineError::Invalid(_)) && e.to_string().contains("ndb_claims"),
        "{e}"
    );
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

#[test]
fn a_failing_expression_does_not_tell_whether_a_value_occurs() {
    // `1 / (age - v)` would fail exactly when someone is aged v: an oracle for one person's
    // existence. Divisions, modulos and casts are total, so every v answers alike.
    for v in (60..=110).step_by(5) {
        for sql in [
            format!("SELECT sex, count(*) AS n FROM kaigo_certifications WHERE 1 / (age - {v}) > -1000 GROUP BY sex"),
            format!("SELECT sex, count(*) AS n FROM kaigo_certifications WHERE age % (age - {v}) >= 0 GROUP BY sex"),
            format!(
                "SELECT sex, count(*) AS n FROM kaigo_certifications \
                 WHERE CAST(CASE WHEN age = {v} THEN 'x' ELSE '1' END AS INT) = 1 GROUP BY sex"
            ),
        ] {
            if let Err(e) = run(&sql) {
                panic!("{sql}: {e}");
            }
        }
        // A division by a value inside a sum bends at it: refused, for every v alike.
        let sql = format!("SELECT sex, sum(100.0 / (age - {v})) AS s FROM kaigo_certifications GROUP BY sex");
        assert!(refused(&sql).contains("division"), "{sql}");
    }
}

#[test]
fn functions_that_fail_on_a_value_need_literal_arguments() {
    for (sql, names) in [
        (
            "SELECT sex, count(*) AS n FROM kaigo_certifications WHERE to_date(CASE WHEN age = 101 THEN 'x' ELSE '2020-01-01' END) IS NOT NULL GROUP BY sex",
            "to_date",
        ),
        (
            "SELECT sex, count(*) AS n FROM kaigo_certifications WHERE power(2, age) > 0 GROUP BY sex",
            "power",
        ),
        (
            "SELECT sex, count(*) AS n FROM kaigo_certifications WHERE substr(CAST(sex AS VARCHAR), 1, age - 101) = '' GROUP BY sex",
            "substr",
        ),
        (
            "SELECT sex, count(*) AS n FROM kaigo_certifications WHERE chr(age * 100000) = 'x' GROUP BY sex",
            "chr",
        ),
    ] {
        assert_refused(sql, names);
    }
    // With literal arguments where it matters, they run: whether they fail does not depend on
    // the data.
    run("SELECT substr(CAST(sex AS VARCHAR), 1, 1) AS s, count(*) AS n FROM kaigo_certifications GROUP BY 1")
        .expect("a literal substring runs");
}

/// The query's own `count(DISTINCT person_id)` stands in for the engine's persons count
/// (see `rewrite/final_aggregate.rs`): a filtered one over a few persons is still a small cell, and a
/// count of persons next to it cannot give the few away by difference.
#[test]
fn the_querys_own_person_counts_still_hide_small_cells() {
    let out = run("SELECT sex, count(DISTINCT person_id) AS persons, \
         count(DISTINCT person_id) FILTER (WHERE age >= 100) AS centenarians \
         FROM ndb_claims GROUP BY sex ORDER BY sex")
    .expect("runs");
    let cells = released(&out);
    assert!(cells.iter().any(|(c, v)| c == "centenarians" && v == "*"), "{cells:?}");
    for row in cells.chunks(3) {
        assert_eq!(row[1].1 == "*", row[2].1 == "*", "a row is hidden whole: {row:?}");
    }
}

/// What the checks add to a plan: no count where the query counts its persons itself (only
/// the list of them, for the checks across rows and outputs), no distinct count over rows of
/// one person each, and no second persons count beside a dominance summary (the summary
/// counts its contributors).
#[test]
fn checks_reuse_what_the_query_computes() {
    let engine = Engine::open(crate::warehouse(), Policy::default(), EngineOptions::default()).expect("opens");
    let plan = |sql: &str| optimized_plan(&engine, sql);
    let counted = plan("SELECT sex, count(DISTINCT person_id) AS persons FROM kaigo_claims GROUP BY sex");
    assert!(!counted.contains("count(DISTINCT renkei_key_number"), "{counted}");
    let per_person = plan(
        "WITH p AS (SELECT person_id, max(sex) AS sex FROM kaigo_claims GROUP BY person_id), \
              d AS (SELECT person_id, count(*) AS claims FROM ndb_claims GROUP BY person_id) \
         SELECT p.sex, count(*) AS persons, count(d.claims) AS with_claims \
         FROM p LEFT JOIN d ON d.person_id = p.person_id GROUP BY p.sex",
    );
    assert!(!per_person.contains("count(DISTINCT renkei_key_number"), "{per_person}");
    let summed =
        plan("SELECT data_category, sum(points) AS total, avg(points) AS mean FROM dpc_items GROUP BY data_category");
    assert_eq!(summed.matches("renkei_contributions(").count(), 1, "{summed}");
    // The sum's persons are the summary's contributors, not a distinct count of the same
    // rows beside it. (Under common subexpression elimination the key numbers were a
    // `__common_expr`, and a test for the text `count(DISTINCT renkei_key_number` passed
    // whatever the plan held.)
    assert!(summed.contains("Utf8(\"contributors\")"), "{summed}");
    assert!(
        !summed.contains(
            "count(DISTINCT renkei_key_number(dpc_items.person_id)) FILTER (WHERE dpc_items.points != Int64(0))"
        ),
        "{summed}"
    );
}
