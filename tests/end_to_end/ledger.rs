//! The release ledger through the broker's doors: outputs that each pass alone, whose
//! difference is a few persons. Each attack first works on the CLI, which keeps no ledger
//! (`renkei query`: one output at a time), then is blocked through Flight SQL and through
//! the request workflow, where every output is checked against what its project released.

use super::broker::{sql, warehouse, world};
use super::flight_sql::{json_of, python, script, uri};
use super::python_client::run;
use std::process::Command;

const ALL: &str = "SELECT count(DISTINCT person_id) AS persons FROM dpc_cases";
const TRACKER: &str = "SELECT count(DISTINCT person_id) AS persons FROM dpc_cases WHERE NOT (sex = 2 AND age >= 98)";
const WOMEN: &str = "SELECT count(DISTINCT person_id) AS persons FROM dpc_cases WHERE sex = 2";
const YOUNGER_MEN: &str = "SELECT count(DISTINCT person_id) AS persons FROM dpc_cases WHERE sex = 1 AND age < 95";
const MEN_95: &str = "SELECT count(DISTINCT person_id) AS persons FROM dpc_cases WHERE sex = 1 AND age >= 95";
/// Totals of claim points, with and without the oldest claimants (several claims each).
const POINTS: &str = "SELECT sum(total_points) AS points FROM ndb_claims";
const POINTS_UNDER_99: &str = "SELECT sum(total_points) AS points FROM ndb_claims WHERE age < 99";
const PERSONS_99: &str = "SELECT count(DISTINCT person_id) AS persons FROM ndb_claims WHERE age >= 99";

/// The one count `sql` gives on the CLI, or None where it is hidden.
fn on_the_cli(sql: &str) -> Option<i64> {
    let out = run(
        "renkei query",
        Command::new(env!("CARGO_BIN_EXE_renkei"))
            .args(["query", "--warehouse"])
            .arg(warehouse())
            .args(["--format", "csv", "--sql", sql]),
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines().nth(1).and_then(|v| v.trim().parse().ok())
}

#[test]
fn without_a_ledger_the_pairs_give_a_few_persons_away() {
    let (all, tracker) = (on_the_cli(ALL).expect("shown"), on_the_cli(TRACKER).expect("shown"));
    assert!((1..10).contains(&(all - tracker)), "{all} − {tracker}");
    let (women, younger_men) = (
        on_the_cli(WOMEN).expect("shown"),
        on_the_cli(YOUNGER_MEN).expect("shown"),
    );
    assert!(
        (1..10).contains(&(all - women - younger_men)),
        "{all} − {women} − {younger_men}"
    );
    // The group they give away is too small to be shown itself.
    assert_eq!(on_the_cli(MEN_95), None);
    // Totals too: the difference is the points of a group too small to be counted.
    let (points, younger) = (
        on_the_cli(POINTS).expect("shown"),
        on_the_cli(POINTS_UNDER_99).expect("shown"),
    );
    assert!(points > younger, "{points} − {younger}");
    assert_eq!(on_the_cli(PERSONS_99), None);
}

#[test]
fn the_cli_checks_against_a_ledger_file_when_given_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = dir.path().join("analyst.ledger");
    let ask = |sql: &str| {
        let out = run(
            "renkei query --ledger",
            Command::new(env!("CARGO_BIN_EXE_renkei"))
                .args(["query", "--warehouse"])
                .arg(warehouse())
                .arg("--ledger")
                .arg(&ledger)
                .args(["--format", "csv", "--sql", sql]),
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .map(|v| v.trim().to_string())
    };
    assert!(ask(ALL).is_some_and(|v| !v.is_empty()));
    let written = std::fs::read(&ledger).expect("the ledger is written");
    assert!(!written.is_empty());
    assert_eq!(ask(TRACKER).as_deref(), Some("*"), "hidden by history");
    assert_eq!(
        std::fs::read(&ledger).expect("reads"),
        written,
        "a hidden cell adds nothing"
    );
    // Not a ledger: refused with the file named, nothing run.
    std::fs::write(&ledger, b"not a ledger").expect("writes");
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["query", "--warehouse"])
        .arg(warehouse())
        .arg("--ledger")
        .arg(&ledger)
        .args(["--sql", ALL])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("analyst.ledger"));
}

#[tokio::test]
async fn flight_sql_hides_what_earlier_results_would_give_away() {
    let python = python();
    let w = world().await;
    let uri = uri(&w.server.addr);
    let mut command = Command::new(&python);
    command
        .arg(script())
        .args(["sequence", "--uri", &uri, "--token", &w.ito.token, "--project", "p-all"]);
    for q in [ALL, TRACKER, ALL, WOMEN, YOUNGER_MEN, POINTS, POINTS_UNDER_99] {
        command.args(["--sql", q]);
    }
    let out = json_of(&run("flight_sql_client.py sequence", &mut command));
    let results = out["results"].as_array().expect("results");
    let shown = |i: usize| results[i]["rows"][0][0].as_str().map(str::to_string);
    let rules = |i: usize| -> Vec<String> {
        results[i]["hidden"]
            .as_array()
            .expect("hidden")
            .iter()
            .map(|h| h["rule"].as_str().expect("a rule").to_string())
            .collect()
    };
    assert!(shown(0).is_some(), "{out}");
    // The tracker: hidden by history, whatever its value.
    assert_eq!((shown(1), rules(1)), (None, vec!["history".to_string()]), "{out}");
    // The first, asked again, adds nothing: shown.
    assert_eq!(shown(2), shown(0));
    // Three outputs: all − women − younger men is the man aged 95+.
    assert!(shown(3).is_some(), "{out}");
    assert_eq!((shown(4), rules(4)), (None, vec!["history".to_string()]), "{out}");
    // A total without the oldest claimants: their points, though no count was released.
    assert!(shown(5).is_some(), "{out}");
    assert_eq!((shown(6), rules(6)), (None, vec!["history".to_string()]), "{out}");
    // The ledger holds what left, and not the hidden cells.
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    let cells: i64 = conn
        .query_row(
            "SELECT count(*) FROM ledger_cells WHERE project_id = 'p-all'",
            [],
            |r| r.get(0),
        )
        .expect("counts");
    assert_eq!(cells, 3, "all persons, the women and all points: each cell once");
}

#[tokio::test]
async fn a_request_is_checked_against_the_releases_before_it() {
    let w = world().await;
    let first = w.sato.submit("p-all", sql(ALL)).await.expect("submits");
    let second = w.sato.submit("p-all", sql(TRACKER)).await.expect("submits");
    let seen = w.tanaka.output_hash(second.id).await.expect("reviews");
    for id in [first.id, second.id] {
        w.tanaka.approve(id).await.expect("approves");
    }
    // Both passed alone. The first leaves; the second, re-checked at release against the
    // ledger as it stands then, now differs from what was approved: back to review.
    w.tanaka.release(first.id).await.expect("releases");
    let refused = w.tanaka.release(second.id).await.expect_err("not released");
    assert!(refused.message().contains("back in review"), "{refused:?}");
    // An approval of the output seen before is not an approval of the one now in review.
    let stale = w.tanaka.approve_seen(second.id, &seen).await.expect_err("refused");
    assert_eq!(stale.code(), tonic::Code::FailedPrecondition, "{stale:?}");
    assert_ne!(w.tanaka.output_hash(second.id).await.expect("reviews"), seen);
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    assert_eq!(stored_rules(&conn, second.id), ["history"]);
    // Submitted now, the same query is checked against the release at once.
    let third = w.sato.submit("p-all", sql(TRACKER)).await.expect("submits");
    assert_eq!(stored_rules(&conn, third.id), ["history"]);
}

/// The rules of the hidden cells in request `id`'s stored report.
fn stored_rules(conn: &rusqlite::Connection, id: u64) -> Vec<String> {
    let report: String = conn
        .query_row("SELECT report_json FROM requests WHERE id = ?1", [id as i64], |r| {
            r.get(0)
        })
        .expect("reads");
    let report: serde_json::Value = serde_json::from_str(&report).expect("a report");
    report["hidden"]
        .as_array()
        .expect("hidden")
        .iter()
        .map(|h| h["rule"].as_str().expect("a rule").to_string())
        .collect()
}
