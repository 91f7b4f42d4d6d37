//! Golden files: every study query in `queries/` runs on the sample warehouse, and its
//! checked output and disclosure report must equal `queries/<name>.result`. After a
//! deliberate change, regenerate them with `RENKEI_BLESS=1 cargo test -p renkei-engine golden`
//! and review the diff like code.

use crate::{repository, run};

/// What a `.result` file holds for one query: the table as released, then the report.
fn golden_text(sql: &str) -> String {
    match run(sql) {
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

#[test]
fn study_queries_match_their_golden_files() {
    let dir = repository().join("queries");
    let mut queries: Vec<_> = std::fs::read_dir(&dir)
        .expect("queries/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    queries.sort();
    assert!(queries.len() >= 6, "queries/ holds {} study queries", queries.len());
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
