//! Flight SQL from an analyst's tool: the ADBC Flight SQL driver and pyarrow, installed from
//! PyPI into a venv, against the real server (`python/flight_sql_client.py`). Every study
//! query gives exactly the CLI's checked result; a prepared statement with a parameter
//! works; the catalog lists only the project's tables; what must be refused is refused; a
//! researcher is sent to the request workflow; every call is in the audit chain.

use super::broker::{warehouse, world};
use super::python_client::{python_venv, repository, run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pinned so that a new release upstream cannot change what this test means. The driver's
/// wheel carries its Go library: nothing is built here.
const PACKAGES: &[&str] = &[
    "adbc-driver-manager==1.13.0",
    "adbc-driver-flightsql==1.13.0",
    "pyarrow==26.0.1",
];
const IMPORTS: &str = "import adbc_driver_flightsql.dbapi, pyarrow.parquet";

pub(crate) fn python() -> PathBuf {
    python_venv("python-adbc-venv", PACKAGES, IMPORTS)
}

pub(crate) fn script() -> PathBuf {
    repository().join("tests/end_to_end/python/flight_sql_client.py")
}

/// The server's address as an ADBC URI.
pub(crate) fn uri(addr: &str) -> String {
    format!("grpc://{}", addr.strip_prefix("http://").expect("an http:// address"))
}

/// `renkei query` on every study query in the order of their names, each against the ones
/// before it in one ledger, as the Flight SQL project checks them: the checked Parquet output
/// and report per query. (Without the ledger the CLI shows cells the project's history hides:
/// `polypharmacy_by_care_level`'s group totals, after `ltc_users_by_care_level_and_sex`, differ
/// from the service users at care levels 21 and 22 by two persons.)
fn cli_outputs(dir: &Path) -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repository().join("queries"))
        .expect("queries/")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    let ledger = dir.join("ledger");
    let mut names = Vec::new();
    for path in paths {
        let name = path.file_stem().expect("a name").to_string_lossy().to_string();
        let out = dir.join(format!("{name}.parquet"));
        let report = dir.join(format!("{name}.report.json"));
        run(
            "renkei query",
            Command::new(env!("CARGO_BIN_EXE_renkei"))
                .args(["query", "--warehouse"])
                .arg(warehouse())
                .arg("--file")
                .arg(&path)
                .args(["--format", "parquet", "--out"])
                .arg(&out)
                .arg("--report")
                .arg(&report)
                .arg("--ledger")
                .arg(&ledger),
        );
        names.push(name);
    }
    names
}

pub(crate) fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON object on stdout ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test]
async fn an_analyst_queries_through_flight_sql_and_gets_the_checked_results() {
    let python = python();
    let w = world().await;
    let expected = tempfile::tempdir().expect("temp dir");
    let names = cli_outputs(expected.path());
    assert!(names.len() >= 6, "{names:?}");
    let uri = uri(&w.server.addr);

    let analyst = json_of(&run(
        "flight_sql_client.py analyst",
        Command::new(&python)
            .arg(script())
            .args(["analyst", "--uri", &uri, "--token", &w.ito.token, "--project", "p-all"])
            .arg("--queries")
            .arg(repository().join("queries"))
            .arg("--expected")
            .arg(expected.path()),
    ));
    let results = analyst["queries"].as_object().expect("queries");
    assert_eq!(results.keys().cloned().collect::<Vec<_>>(), names);
    // Each result is checked against the ones before it in the project's ledger, as the CLI's
    // were in its own: each equals the CLI's.
    for (name, r) in results {
        assert_eq!(
            r["equal"], true,
            "{name}: the Flight SQL result differs from the CLI's: {r}"
        );
        assert_eq!(r["report_summary_equal"], true, "{name}: {r}");
    }
    // On the 2,000-person sample every group of hip_fracture_readmission_30d holds fewer than
    // 10 persons, so its rows are withheld (its golden file shows none); the other five
    // queries release rows, which the comparison above then compares cell by cell.
    let with_rows: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r["rows"].as_u64() > Some(0))
        .map(|(n, _)| n)
        .collect();
    assert!(
        with_rows.len() + 1 >= names.len(),
        "{with_rows:?} of {names:?} release rows"
    );
    assert!(
        results.values().any(|r| r["null_cells"].as_u64() > Some(0)),
        "some study query hides cells on the sample data, as nulls: {results:?}"
    );
    assert!(analyst["prepared"]["rows"].as_u64() > Some(0), "{analyst}");
    assert!(
        analyst["prepared"]["command"]
            .as_str()
            .is_some_and(|c| c.ends_with("-- parameters: $1 = 65")),
        "{analyst}"
    );
    let granted: Vec<&str> = analyst["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert_eq!(
        granted,
        [
            "dpc_cases",
            "dpc_items",
            "kaigo_certifications",
            "kaigo_claims",
            "ndb_claims",
            "ndb_diagnoses",
            "ndb_drugs",
            "ndb_procedures"
        ],
        "the analysis tables of p-all's grant, no steward-only table"
    );
    assert!(
        analyst["kaigo_claims_columns"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c == "person_id")),
        "{analyst}"
    );
    for (what, error) in analyst["refused"].as_object().expect("refused") {
        let error = error.as_str().unwrap_or_else(|| panic!("{what} ran"));
        assert!(error.contains("refused:"), "{what}: {error}");
    }
    assert!(!Path::new("/tmp/renkei-flight-leak.csv").exists());

    // The error of one query over 介護DB, as `token` under `project`.
    let error_of_one_query = |token: &str, project: &str| {
        let out = json_of(&run(
            "flight_sql_client.py one-query",
            Command::new(&python).arg(script()).args([
                "one-query",
                "--uri",
                &uri,
                "--token",
                token,
                "--project",
                project,
            ]),
        ));
        out["error"].as_str().map(str::to_string).expect("the query fails")
    };
    // Under a project granted NDB only, the other databases' tables do not exist.
    let error = error_of_one_query(&w.ito.token, "p-ndb");
    assert!(error.contains("kaigo_claims"), "{error}");

    // A researcher is sent to the request workflow.
    let error = error_of_one_query(&w.sato.token, "p-all");
    assert!(
        error.contains("PermissionDenied") || error.contains("permission denied"),
        "{error}"
    );
    assert!(error.contains("request workflow"), "{error}");

    // Every call is in the audit chain, which verifies.
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    let mut actions = conn
        .prepare("SELECT action, outcome, count(*) FROM audit WHERE action LIKE 'flight_%' GROUP BY action, outcome")
        .expect("prepares");
    let counts: BTreeMap<(String, String), i64> = actions
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads");
    let count = |action: &str, outcome: &str| counts.get(&(action.into(), outcome.into())).copied().unwrap_or(0);
    assert!(count("flight_query", "ok") > names.len() as i64, "{counts:?}");
    assert!(count("flight_fetch", "ok") > names.len() as i64, "{counts:?}");
    assert!(count("flight_query", "refused") >= 4, "{counts:?}");
    assert!(count("flight_prepare", "permission_denied") >= 1, "{counts:?}");
    assert!(count("flight_tables", "ok") >= 1, "{counts:?}");
    let hashes: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'flight_query' AND outcome = 'ok' AND result_hash IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("counts");
    assert_eq!(hashes, count("flight_query", "ok"), "every result's hash is kept");
    let o = w.server.audit_verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Load: 20 ADBC connections run the study queries in turn for `RENKEI_LOAD_SECONDS`
/// (default 60), with no error; prints queries/s and throughput next to `renkei query` on
/// the same queries.
#[tokio::test]
async fn twenty_adbc_clients_query_for_a_minute_without_errors() {
    let python = python();
    let w = world().await;
    let seconds: f64 = std::env::var("RENKEI_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60.0);
    let load = json_of(&run(
        "flight_sql_client.py load",
        Command::new(&python)
            .arg(script())
            .args([
                "load",
                "--uri",
                &uri(&w.server.addr),
                "--token",
                &w.ito.token,
                "--project",
                "p-all",
            ])
            .args(["--clients", "20", "--seconds", &seconds.to_string()])
            .arg("--queries")
            .arg(repository().join("queries")),
    ));
    assert_eq!(load["errors"], 0, "{load}");
    assert!(load["queries"].as_u64() > Some(0), "{load}");

    // The same queries through the CLI, one process after another, for comparison.
    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    let names = cli_outputs(dir.path());
    let cli_seconds = started.elapsed().as_secs_f64();
    println!(
        "Flight SQL, 20 ADBC clients, {:.0} s: {} queries, {:.1} queries/s, {:.0} result bytes/s (Arrow), 0 errors; \
         renkei query, one process per query: {} queries in {:.1} s, {:.1} queries/s",
        load["seconds"].as_f64().unwrap_or_default(),
        load["queries"],
        load["queries_per_second"].as_f64().unwrap_or_default(),
        load["bytes_per_second"].as_f64().unwrap_or_default(),
        names.len(),
        cli_seconds,
        names.len() as f64 / cli_seconds
    );
}
