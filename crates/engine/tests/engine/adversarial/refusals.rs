//! Constructs outside the grammar, refused naming the construct: keys used as values,
//! row-level output, order statistics, subqueries nobody counts, writes, tables outside the
//! grant.

use super::{assert_refused, released, rows_withheld};
use crate::run;
use renkei_disclosure::Policy;
use renkei_engine::{Engine, EngineError, EngineOptions};

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

/// A user-built total by UNION is not checked for its relations, so it is refused.
#[test]
fn union_totals_are_refused() {
    assert_refused(
        "SELECT sex, count(*) FROM dpc_cases GROUP BY sex UNION ALL SELECT 0, count(*) FROM dpc_cases",
        "UNION",
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
