//! A client in another language talks to the broker from the .proto files alone:
//! `python/broker_client.py` generates its stubs with grpcio-tools at run time, then
//! submits, approves, releases and fetches with grpcio and pyarrow. Its CSV must hold the
//! same cells as the `renkei request fetch` CSV of the same request.

use super::broker::world;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, PoisonError};

/// Pinned so that a new release upstream cannot change what this test means. Wheels exist
/// for CPython 3.11 on Linux x86_64 and aarch64; protobuf is the runtime of the generated stubs.
const PACKAGES: &[&str] = &[
    "grpcio==1.85.1",
    "grpcio-tools==1.85.1",
    "protobuf==7.36.2",
    "pyarrow==26.0.1",
];

pub(crate) fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[track_caller]
pub(crate) fn succeeded(what: &str, o: &Output) {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

pub(crate) fn run(what: &str, command: &mut Command) -> Output {
    let o = command
        .output()
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    succeeded(what, &o);
    o
}

const IMPORTS: &str = "import grpc, grpc_tools, pyarrow";

/// The python of venv `name`, with the pinned `packages`. Made once under Cargo's target
/// tmpdir and reused while its marker file names the same pins and `imports` runs (an
/// interrupted install leaves no marker, a changed pin a different one: either is redone).
/// Tests sharing a venv run on parallel threads of this one binary, and two `venv --clear`
/// in one folder break each other's pip: one lock makes the second wait and reuse the first's.
pub(crate) fn python_venv(name: &str, packages: &[&str], imports: &str) -> PathBuf {
    static MAKING_A_VENV: Mutex<()> = Mutex::new(());
    // A test that panicked while holding it left no marker, so the next simply redoes the venv.
    let _making = MAKING_A_VENV.lock().unwrap_or_else(PoisonError::into_inner);
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = venv.join("bin").join("python");
    let marker = venv.join("renkei-pins.txt");
    let pins = packages.join("\n");
    let check = || Command::new(&python).args(["-c", imports]).output();
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == pins) && check().is_ok_and(|o| o.status.success()) {
        return python;
    }
    run(
        "python3 -m venv",
        Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv),
    );
    // Wheels only: building grpcio from source would take an hour, better to fail at once.
    run(
        "pip install",
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--only-binary=:all:",
            ])
            .args(packages),
    );
    run(imports, Command::new(&python).args(["-c", imports]));
    std::fs::write(&marker, pins).expect("writes the venv marker");
    python
}

/// CSV text as rows of cells. Enough for this result: no cell holds a comma, a quote or a
/// line break (asserted), so a cell is its text between commas, without surrounding quotes.
fn cells(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|line| {
            line.split(',')
                .map(|cell| {
                    let cell = cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')).unwrap_or(cell);
                    assert!(!cell.contains('"'), "a quote inside a cell: {line}");
                    cell.to_string()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_python_client_from_the_proto_files_alone_submits_approves_and_fetches() {
    let python = python_venv("python-grpc-venv", PACKAGES, IMPORTS);
    let w = world().await;
    let stubs = tempfile::tempdir().expect("temp dir");
    let script = repository().join("tests/end_to_end/python/broker_client.py");
    let addr = w.server.addr.strip_prefix("http://").expect("an http:// address");
    let o = run(
        "broker_client.py",
        Command::new(&python)
            .arg(&script)
            .args(["--addr", addr])
            .arg("--proto-dir")
            .arg(repository().join("proto"))
            .arg("--stubs-dir")
            .arg(stubs.path())
            .args(["--researcher-token", &w.sato.token])
            .args(["--steward-token", &w.kato.token])
            .args(["--project", "p-all"])
            .args(["--named-query", "ltc_users_by_care_level_and_sex"]),
    );
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON object on stdout ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    });
    assert_eq!(out["state"], "REQUEST_STATE_RELEASED", "{out}");
    assert_eq!(out["columns"], serde_json::json!(["care_level", "sex", "persons"]));
    let rows = out["rows"].as_u64().expect("rows");
    assert!(rows > 0, "{out}");
    assert_eq!(out["report_has_policy"], true, "{out}");
    let id = out["request_id"].as_u64().expect("request_id");

    // The same request fetched by the Rust client.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("result.csv");
    let fetched = w.server.cli(
        &w.sato.token,
        &[
            "request",
            "fetch",
            &id.to_string(),
            "--out",
            file.to_str().expect("utf-8"),
        ],
    );
    succeeded("renkei request fetch", &fetched);
    let rust_csv = std::fs::read_to_string(&file).expect("the CSV is written");
    let python_csv = out["csv"].as_str().expect("csv");
    // The formatting differences: pyarrow quotes the header and every string cell
    // (care_level is a string column), arrow-rs only where needed; pyarrow writes a hidden
    // (null) cell as an empty field, renkei as `*` (its empty field is a NULL key, a total).
    // `cells` drops the quotes; with renkei's `*` read as empty, the cells must be equal.
    let python_cells = cells(python_csv);
    let rust_cells: Vec<Vec<String>> = cells(&rust_csv)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| if c == "*" { String::new() } else { c })
                .collect()
        })
        .collect();
    assert_eq!(python_cells, rust_cells, "Python:\n{python_csv}\nRust:\n{rust_csv}");
    assert_eq!(python_cells.len() as u64, rows + 1, "a header and the rows");
}
