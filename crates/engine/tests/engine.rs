//! The checked engine on the sample warehouse (`sample-data/` ingested under a fixed key):
//! queries that try to learn about fewer than 10 persons are refused or their cells hidden.

use renkei_disclosure::{CellRule, Policy};
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use std::path::Path;
use std::sync::OnceLock;

fn warehouse() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = renkei_pseudonymize::Key::from_bytes([7; 32]);
        let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data");
        let options = renkei_ingest::Options {
            input,
            out: dir.path().join("warehouse"),
            progress: false,
        };
        renkei_ingest::ingest(&key, &options).expect("sample data ingests");
        dir
    })
    .path()
}

fn run(sql: &str) -> Result<CheckedOutput, EngineError> {
    let engine = Engine::open(&warehouse().join("warehouse"), Policy::default(), EngineOptions::default())
        .expect("warehouse opens");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(engine.query(sql))
}

fn refused(sql: &str) -> String {
    match run(sql) {
        Err(EngineError::Refused(reason)) => reason,
        Err(e) => panic!("{sql}: expected a refusal, got {e}"),
        Ok(_) => panic!("{sql}: expected a refusal, got output"),
    }
}

#[test]
fn row_level_and_person_level_queries_are_refused() {
    for (sql, names) in [
        ("SELECT * FROM ndb_claims", "row-level"),
        ("SELECT person_id, count(*) FROM ndb_claims GROUP BY person_id", "person"),
        ("SELECT count(*) FROM ndb_claims WHERE person_id = 'x'", "person"),
        ("SELECT count(*) FROM ndb_claims WHERE person_id IN ('x', 'y')", "IN list"),
        ("SELECT count(*) FROM ndb_claims WHERE person_id LIKE 'ab%'", "pattern"),
        ("SELECT max(age) FROM ndb_claims", "MAX"),
        ("SELECT min(birth_ym) FROM kaigo_certifications", "MIN"),
        ("SELECT array_agg(age) FROM ndb_claims", "ARRAY_AGG"),
        ("SELECT sex, count(*) FROM ndb_claims GROUP BY sex LIMIT 1", "LIMIT"),
        ("SELECT sex, count(*) OVER () FROM ndb_claims", "window"),
        ("EXPLAIN SELECT count(*) FROM ndb_claims", "EXPLAIN"),
        ("SELECT (SELECT count(*) FROM dpc_cases) AS n, count(*) FROM ndb_claims", "subquer"),
        ("SELECT count(*) FROM ndb_claims WHERE EXISTS (SELECT 1 FROM dpc_cases WHERE age > 100)", "EXISTS"),
        ("SELECT count(*) AS __renkei_p0 FROM ndb_claims", "reserved"),
        ("SELECT count(*) FROM (SELECT sex, count(*) c FROM ndb_claims GROUP BY sex) t", "person key"),
    ] {
        let reason = refused(sql);
        assert!(reason.contains(names), "{sql}: {reason}");
    }
}

#[test]
fn statements_that_write_or_configure_are_refused() {
    for sql in [
        "CREATE TABLE t AS SELECT * FROM ndb_claims",
        "COPY (SELECT * FROM ndb_claims) TO '/tmp/leak.csv'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        assert!(run(sql).is_err(), "{sql} ran");
    }
}

/// The persons behind a cell, not its rows, decide: a group of few persons with many
/// claims is hidden, and so is a conditional count over few persons inside a big cell.
#[test]
fn small_cells_are_hidden_by_persons_not_rows() {
    let out = run("SELECT age, count(*) AS claims FROM ndb_claims GROUP BY age").expect("runs");
    let hidden: Vec<_> = out.report.hidden.iter().filter(|h| h.rule == CellRule::MinPersons).collect();
    assert!(!hidden.is_empty(), "some ages have fewer than 10 persons in the sample");
    let out = run("SELECT sex, count(*) AS all_claims, sum(CASE WHEN age >= 100 THEN 1 ELSE 0 END) AS centenarian_claims \
         FROM ndb_claims GROUP BY sex")
    .expect("runs");
    assert!(
        out.report.hidden.iter().all(|h| h.column == "centenarian_claims"),
        "{:?}",
        out.report.hidden
    );
    assert_eq!(out.report.hidden.len(), 2, "both sexes' centenarian counts are small");
}

/// A hidden cell of a ROLLUP table cannot be recomputed from its total: a second cell of
/// the same relation is hidden too.
#[test]
fn rollup_totals_do_not_reveal_hidden_cells() {
    let out = run("SELECT facility_prefecture, sex, count(*) AS n FROM ndb_claims \
         GROUP BY ROLLUP(facility_prefecture, sex)")
    .expect("runs");
    assert!(out.report.summary.hidden_primary > 0);
    assert!(out.report.summary.hidden_secondary > 0);
}

/// HAVING cannot tell a hidden value by letting its row through.
#[test]
fn having_does_not_reveal_small_cells() {
    let out = run("SELECT age, count(*) AS n FROM ndb_claims GROUP BY age HAVING count(*) < 3").expect("runs");
    assert_eq!(out.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
}

/// Execution errors quote no data value.
#[test]
fn execution_errors_carry_no_values() {
    let e = run("SELECT CAST(claim_month || 'x' AS INT) AS m, count(*) FROM ndb_claims GROUP BY 1").expect_err("fails");
    let text = e.to_string();
    assert!(!text.contains("x'") && !text.chars().any(|c| c.is_ascii_digit()), "{text}");
}

/// Sums of points stay unreleased until the dominance rule is computed in the engine.
#[test]
fn sums_of_sensitive_measures_are_refused_until_dominance_is_checked() {
    assert!(refused("SELECT sex, sum(total_points) FROM ndb_claims GROUP BY sex").contains("dominance"));
}
