//! Errors that tell nothing: execution and planning errors carry no values, and an accepted
//! query cannot fail on a value.

use super::assert_refused;
use crate::{refused, run};
use renkei_engine::EngineError;

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
