//! The checked engine on the sample warehouse (`sample-data/` ingested once, under a fixed
//! key, into a temporary directory): adversarial queries, the golden files of `queries/`,
//! and a property test against unprotected DataFusion. One test binary, so DataFusion is
//! linked once.

mod adversarial;
mod empty_groups;
mod fan_out;
mod golden;
mod grammar;
mod grammar_findings;
mod hidden_bytes;
mod ledger;
mod property;
mod property_grammar;
mod signed_combinations;
mod span;
mod support;

use renkei_disclosure::Policy;
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use support::{refused, repository, run, runtime, warehouse};

fn run_with(sql: &str, policy: Policy) -> Result<CheckedOutput, EngineError> {
    let engine = Engine::open(warehouse(), policy, EngineOptions::default()).expect("warehouse opens");
    runtime().block_on(engine.query(sql))
}

/// Every query plans in the engine's one shared state; `now()` must still be the time of
/// the query, not of the engine's opening.
#[test]
fn now_is_the_time_of_each_query() {
    let engine = Engine::open(warehouse(), Policy::default(), EngineOptions::default()).expect("warehouse opens");
    let sql = "SELECT CAST(now() AS VARCHAR) AS asked_at, count(*) AS certifications \
               FROM kaigo_certifications GROUP BY 1";
    let asked_at = |out: CheckedOutput| support::strings(&out.batches)[0][0].clone();
    let first = asked_at(runtime().block_on(engine.query(sql)).expect("runs"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = asked_at(runtime().block_on(engine.query(sql)).expect("runs"));
    assert_ne!(first, second, "now() was the same for two queries");
}

/// A count beside a mean of a measure whose sum the rules watch: the hidden counts of the
/// rows where two of their terms differ were asked once per pair order (`a != b`, `b != a`),
/// the optimizer merged them, and planning failed on two columns of one name.
#[test]
fn a_count_beside_a_mean_plans() {
    for sql in [
        "SELECT count(*) AS claims, avg(total_points) AS mean FROM ndb_claims",
        "SELECT avg(points) AS mean, avg(times) AS times, sum(points) AS points FROM ndb_drugs",
    ] {
        let out = run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert!(out.report.hidden.is_empty(), "{sql}: {:?}", out.report.hidden);
    }
}

/// The rewrite's hidden copy of a key (`person_id AS __renkei_p1`) stays in the plan only
/// where the query drops the key itself: a second column of the same values would be
/// carried through every repartition and join.
#[test]
fn a_key_the_query_keeps_is_not_copied() {
    let engine = Engine::open(warehouse(), Policy::default(), EngineOptions::default()).expect("warehouse opens");
    let plan = |sql: &str| {
        runtime()
            .block_on(engine.checked_plan(sql, Vec::new()))
            .expect("plans")
            .display_indent()
            .to_string()
    };
    let sql = std::fs::read_to_string(repository().join("queries/dpc_points_by_diagnosis.sql")).expect("reads");
    let kept = plan(&sql);
    assert!(!kept.contains("__renkei_p"), "{kept}");
    // The derived table drops person_id: its persons travel in the copy.
    let dropped =
        plan("SELECT sex, count(*) AS claims FROM (SELECT sex FROM ndb_claims WHERE age >= 65) t GROUP BY sex");
    assert!(dropped.contains("AS __renkei_p"), "{dropped}");
}

/// A column alias that a spreadsheet would run as a formula is written to CSV with a
/// leading `'` (a value would be too: `neutralized` in render.rs); counts stay numbers.
#[test]
fn csv_never_carries_a_formula() {
    let sql = "SELECT sex AS \"=HYPERLINK(\"\"http://x\"\")\", count(DISTINCT person_id) AS \"@persons\" \
               FROM ndb_claims GROUP BY sex ORDER BY 1";
    let csv = run(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .to_csv()
        .expect("renders");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("\"'=HYPERLINK(\"\"http://x\"\")\",'@persons"),
        "{csv}"
    );
    assert!(
        lines.all(|l| l.split(',').nth(1).is_some_and(|n| n.parse::<u64>().is_ok())),
        "{csv}"
    );
}
