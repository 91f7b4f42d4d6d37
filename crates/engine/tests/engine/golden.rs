//! Golden files: every study query in `queries/` runs on the sample warehouse, and its
//! checked output and disclosure report must equal `queries/<name>.result`. After a
//! deliberate change, regenerate them with `RENKEI_BLESS=1 cargo test -p renkei-engine golden`
//! and review the diff like code.

use crate::support::{plain, strings};
use crate::{repository, run, runtime, warehouse};
use renkei_disclosure::Policy;
use renkei_engine::{Engine, EngineOptions};

/// What a `.result` file holds for one query: the table as released, then the report.
fn golden_text(sql: &str) -> String {
    golden_text_under(sql, Policy::default())
}

/// [`golden_text`] under `policy`.
fn golden_text_under(sql: &str, policy: Policy) -> String {
    match crate::run_with(sql, policy) {
        Ok(out) => {
            let mut report: serde_json::Value =
                serde_json::from_str(&out.report.to_json()).expect("the report is JSON");
            // The command is the file above; its hash changes with every comment edit.
            if let Some(map) = report.as_object_mut() {
                map.remove("command");
                map.remove("query_hash");
            }
            format!(
                "-- output\n{}\n-- report\n{}\n",
                out.to_table().expect("the output renders"),
                serde_json::to_string_pretty(&report).expect("the report serializes")
            )
        }
        Err(e) => format!("-- error\n{e}\n"),
    }
}

/// The study queries, in name order.
fn study_queries() -> Vec<std::path::PathBuf> {
    let dir = repository().join("queries");
    let mut queries: Vec<_> = std::fs::read_dir(&dir)
        .expect("queries/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    queries.sort();
    assert!(queries.len() >= 6, "queries/ holds {} study queries", queries.len());
    queries
}

/// With a memory limit (the `--memory-mib` of `renkei query` and `renkei serve`), the study
/// queries finish with the same output and report as without. On the sample, 8 MiB is too
/// little for `dementia_by_care_level`, 16 MiB enough; that a capped pool makes the 1M-person
/// warehouse spill rather than fail is shown by the bench's memory table (docs/benchmarks.md).
#[test]
fn study_queries_finish_the_same_in_a_small_memory_pool() {
    let spill = tempfile::tempdir().expect("temp dir");
    let options = EngineOptions {
        memory_limit: Some(SMALL_POOL),
        spill_dir: Some(spill.path().to_path_buf()),
        ..EngineOptions::default()
    };
    let small = Engine::open(warehouse(), Policy::default(), options).expect("warehouse opens");
    for query in study_queries() {
        let sql = std::fs::read_to_string(&query).expect("query reads");
        let capped = runtime()
            .block_on(small.query(&sql))
            .unwrap_or_else(|e| panic!("{} in a {SMALL_POOL}-byte pool: {e}", query.display()));
        let free = run(&sql).expect("the query runs");
        assert_eq!(
            (capped.to_table().expect("renders"), capped.report.to_json()),
            (free.to_table().expect("renders"), free.report.to_json()),
            "{}",
            query.display()
        );
    }
}

/// Small, though not so small that a study query fails on the sample: 16 MiB was enough for
/// each until every count kept its persons' list (every door checks an output's counts against
/// each other), after which `dpc_points_by_diagnosis` failed once in 16 MiB in the cluster
/// suite, run beside other tests.
const SMALL_POOL: usize = 24 * 1024 * 1024;

#[test]
fn study_queries_match_their_golden_files() {
    let queries = study_queries();
    let bless = std::env::var_os("RENKEI_BLESS").is_some();
    let mut mismatched = Vec::new();
    for query in &queries {
        let sql = std::fs::read_to_string(query).expect("query reads");
        let actual = golden_text(&sql);
        assert!(!actual.starts_with("-- error"), "{}: {actual}", query.display());
        let golden = query.with_extension("result");
        if bless {
            std::fs::write(&golden, &actual).expect("golden file writes");
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            mismatched.push(format!("{}:\n{actual}", golden.display()));
        }
    }
    assert!(
        mismatched.is_empty(),
        "golden files differ (RENKEI_BLESS=1 regenerates them):\n{}",
        mismatched.join("\n")
    );
}

/// The attack catalogue: `crates/engine/tests/attacks/*.sql`, each an attempt to learn about a
/// few persons in one query, with its checked output, report or refusal in a `.result` file
/// beside it (`RENKEI_BLESS=1` regenerates them; review the diff like code). A header line
/// `-- small: <SQL>` gives, computed on the warehouse with plain DataFusion, the size of the
/// group the attack is after: it must be 1 to 9 persons, or the case attacks nothing. Lines
/// `-- policy: <TOML>` set the policy it runs under.
#[test]
fn attacks_match_their_golden_files() {
    let dir = repository().join("crates/engine/tests/attacks");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("the attack catalogue exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "{} attack cases", cases.len());
    let bless = std::env::var_os("RENKEI_BLESS").is_some();
    let mut mismatched = Vec::new();
    for case in &cases {
        let sql = std::fs::read_to_string(case).expect("case reads");
        let header = |tag: &str| -> Vec<String> {
            sql.lines()
                .filter_map(|l| l.strip_prefix(tag).map(|x| x.trim().to_string()))
                .collect()
        };
        for small in header("-- small:") {
            let n: i64 = strings(&plain(&small))[0][0].parse().expect("a count");
            assert!(
                (1..=9).contains(&n),
                "{}: the group attacked holds {n} persons, not 1 to 9",
                case.display()
            );
        }
        let policy = Policy::from_toml_str(&header("-- policy:").join("\n")).expect("the case's policy");
        let actual = golden_text_under(&sql, policy);
        let golden = case.with_extension("result");
        if bless {
            std::fs::write(&golden, &actual).expect("golden file writes");
            continue;
        }
        if std::fs::read_to_string(&golden).unwrap_or_default() != actual {
            mismatched.push(format!("{}:\n{actual}", golden.display()));
        }
    }
    assert!(
        mismatched.is_empty(),
        "attack results differ (RENKEI_BLESS=1 regenerates them):\n{}",
        mismatched.join("\n")
    );
}
