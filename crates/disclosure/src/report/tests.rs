//! Tests of the report's JSON and its ACRO view, kept beside report.rs (together they passed 600
//! lines).

use super::*;
use serde_json::{Value, json};

fn hidden(row: usize, column: &str, rule: CellRule) -> HiddenCell {
    HiddenCell {
        row,
        column: column.to_string(),
        rule,
    }
}

fn reviewed() -> Report {
    Report {
        status: Status::CellsHidden,
        policy: Policy {
            rounding_base: Some(5),
            ..Policy::default()
        },
        query_hash: "ab12".into(),
        command: "SELECT prefecture, sex, count(*) AS n FROM persons GROUP BY ROLLUP (prefecture, sex)".into(),
        summary: Summary {
            rows: 3,
            value_cells: 6,
            value_columns: vec!["n".into(), "cost".into()],
            hidden_primary: 2,
            hidden_secondary: 1,
            rounded_to: Some(5),
        },
        hidden: vec![
            hidden(0, "n", CellRule::MinPersons),
            hidden(0, "cost", CellRule::Dominance),
            hidden(2, "n", CellRule::Secondary),
        ],
        refusal: None,
        notes: vec!["secondary suppression hid 1 cells beyond the primary ones".into()],
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn report_json_has_the_documented_shape() {
    let report = parse(&reviewed().to_json());
    assert_eq!(report["status"], "cells_hidden");
    assert_eq!(report["policy"]["version"], "ndb-kaigo-2024");
    assert_eq!(report["policy"]["rounding_base"], 5);
    assert_eq!(report["summary"]["hidden_secondary"], 1);
    assert_eq!(
        report["hidden"][1],
        json!({"row": 0, "column": "cost", "rule": "dominance"})
    );
    assert_eq!(report["refusal"], Value::Null);
    let keys: Vec<&str> = report.as_object().expect("object").keys().map(String::as_str).collect();
    let mut expected = [
        "status",
        "policy",
        "query_hash",
        "command",
        "summary",
        "hidden",
        "refusal",
        "notes",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);

    // No rounding is an explicit null in JSON (TOML, which has no null, leaves the key out).
    let unrounded = parse(
        &Report {
            policy: Policy::default(),
            ..reviewed()
        }
        .to_json(),
    );
    assert_eq!(unrounded["policy"].get("rounding_base"), Some(&Value::Null));
}

/// A released result's report said `"status": "review"`, read as the request still under
/// review; it says what the check found. The broker keeps reports as text, so those
/// written before still read.
#[test]
fn the_status_says_what_was_hidden_and_earlier_reports_still_read() {
    let text = reviewed().to_json();
    assert!(text.contains("\"status\": \"cells_hidden\""), "{text}");
    assert_eq!(parse(&text)["status"], Status::CellsHidden.name());
    let earlier = text.replace("\"cells_hidden\"", "\"review\"");
    let read = Report::from_json(&earlier).expect("an earlier report reads");
    assert_eq!(read.status, Status::CellsHidden);
    for status in [Status::Pass, Status::CellsHidden, Status::Refused] {
        assert_eq!(
            serde_json::to_value(status).expect("serializes"),
            Value::from(status.name())
        );
    }
}

const ALL_RULES: [CellRule; 7] = [
    CellRule::MinPersons,
    CellRule::MinEntities,
    CellRule::Dominance,
    CellRule::PPercent,
    CellRule::ZeroCell,
    CellRule::Secondary,
    CellRule::Difference,
];

#[test]
fn rules_are_snake_case() {
    let names: Vec<Value> = ALL_RULES[..6]
        .iter()
        .map(|rule| serde_json::to_value(rule).expect("serializes"))
        .collect();
    assert_eq!(
        names,
        [
            "min_persons",
            "min_entities",
            "dominance",
            "p_percent",
            "zero_cell",
            "secondary"
        ]
        .map(Value::from)
    );
}

#[test]
fn rule_names_are_the_names_in_the_json() {
    for rule in ALL_RULES {
        assert_eq!(
            serde_json::to_value(rule).expect("serializes"),
            Value::from(rule.name())
        );
    }
}

#[test]
fn acro_view_marks_each_cell() {
    let columns: Vec<String> = ["prefecture", "sex", "n"].map(String::from).to_vec();
    let text = reviewed().to_acro_json(&columns, "");
    let acro = parse(&text);
    let output = &acro["results"]["output_0"];
    assert_eq!(output["status"], "review");
    assert_eq!(output["type"], "table");
    assert_eq!(output["properties"]["round_base"], 5);
    assert_eq!(
        output["outcome"]["n"],
        json!({"0": "threshold; ", "1": "ok", "2": "secondary; "})
    );
    assert_eq!(output["outcome"]["prefecture"]["0"], "ok");
    // "cost" was not listed, yet holds a hidden cell: it is added after the listed columns.
    assert_eq!(output["outcome"]["cost"]["0"], "nk-rule; ");
    assert!(text.find("\"prefecture\"") < text.find("\"n\"") && text.find("\"n\"") < text.find("\"cost\""));
    assert_eq!(
        output["summary"],
        "review; threshold: 1 cells suppressed; nk-rule: 1 cells suppressed; secondary: 1 cells suppressed; "
    );
    let sdc = &output["files"][0]["sdc"];
    assert_eq!(sdc["summary"]["threshold"], 1);
    assert_eq!(sdc["summary"]["p-ratio"], 0);
    assert_eq!(sdc["cells"]["secondary"], json!([[2, 2]]));
    assert_eq!(sdc["cells"]["nk-rule"], json!([[0, 3]]));
    assert_eq!(
        output["comments"][0],
        "secondary suppression hid 1 cells beyond the primary ones"
    );
}

#[test]
fn a_report_reads_back_from_its_json() {
    let report = reviewed();
    let back = Report::from_json(&report.to_json()).expect("its own JSON reads back");
    assert_eq!(back.to_json(), report.to_json());
    // The broker keeps reports written when the summary still counted withheld rows.
    let mut stored = parse(&report.to_json());
    stored["summary"]["rows_withheld"] = json!(3);
    let stored = Report::from_json(&stored.to_string()).expect("a stored report reads");
    assert_eq!(stored.to_json(), report.to_json());
    assert!(
        Report::from_json("{\"status\": \"pass\"}").is_err(),
        "a partial report is not a report"
    );
}

#[test]
fn acro_view_counts_difference_cells_and_carries_the_timestamp() {
    let mut report = reviewed();
    report.hidden.push(HiddenCell {
        row: 1,
        column: "n".into(),
        rule: CellRule::Difference,
    });
    let columns = ["prefecture", "sex", "n"].map(String::from).to_vec();
    let output = parse(&report.to_acro_json(&columns, "2026-11-27T10:00:00.000Z"))["results"]["output_0"].clone();
    assert_eq!(output["timestamp"], "2026-11-27T10:00:00.000Z");
    assert_eq!(output["outcome"]["n"]["1"], "difference; ");
    assert_eq!(output["files"][0]["sdc"]["summary"]["difference"], 1);
    let summary = output["summary"].as_str().expect("a summary");
    assert!(summary.contains("difference: 1 cells suppressed"), "{summary}");
}

#[test]
fn acro_view_of_pass_and_refusal() {
    let pass = Report {
        status: Status::Pass,
        hidden: Vec::new(),
        summary: Summary {
            rows: 2,
            value_cells: 2,
            ..Summary::default()
        },
        ..reviewed()
    };
    let output = parse(&pass.to_acro_json(&["n".to_string()], ""))["results"]["output_0"].clone();
    assert_eq!(
        (output["status"].clone(), output["summary"].clone()),
        (json!("pass"), json!("pass"))
    );
    assert_eq!(output["outcome"], json!({"n": {"0": "ok", "1": "ok"}}));

    let refused = Report {
        status: Status::Refused,
        refusal: Some("row-level output".into()),
        hidden: Vec::new(),
        summary: Summary::default(),
        ..reviewed()
    };
    let output = parse(&refused.to_acro_json(&["n".to_string()], ""))["results"]["output_0"].clone();
    assert_eq!(output["status"], "fail");
    assert_eq!(output["summary"], "fail; refused: row-level output");
    assert_eq!(output["outcome"], json!({}));
}
