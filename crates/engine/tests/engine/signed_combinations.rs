//! Signed combinations of counts of persons: `(B1 ∪ B2 ∪ A) − (B1 ∪ C) − B2` is `|A| − |C|`,
//! about two small groups though each pair of cells is far apart and neither group alone is
//! in the span (red team R15-1). In one output and across a project's outputs a cell is
//! hidden, the same cells whether A holds a few persons or none.

use super::ledger::{Project, truth};
use super::support::strings;
use renkei_engine::CheckedOutput;

const B1: &str = "substr(birth_ym, 1, 4) BETWEEN '1940' AND '1944' AND sex = 2";
const B2: &str = "substr(birth_ym, 1, 4) BETWEEN '1945' AND '1949' AND sex = 2";
/// One woman.
const C: &str = "sex = 2 AND substr(birth_ym, 1, 4) = '1923'";
/// Men born 1940-49, beside the women: a large group of its own.
const D: &str = "sex = 1 AND substr(birth_ym, 1, 4) BETWEEN '1940' AND '1949'";
/// Two men with an inpatient claim; none born 1929 has one.
const SMALL_A: &str = "sex = 1 AND substr(birth_ym, 1, 4) <= '1930' AND setting = 'inpatient'";
const EMPTY_A: &str = "sex = 1 AND substr(birth_ym, 1, 4) = '1929' AND setting = 'inpatient'";

fn persons(condition: &str) -> i64 {
    truth(&format!(
        "SELECT count(DISTINCT person_id) FROM ndb_claims WHERE {condition}"
    ))
}

/// The hidden cells of an output, by row and column.
fn hidden(out: &CheckedOutput) -> Vec<(usize, String)> {
    out.report.hidden.iter().map(|h| (h.row, h.column.clone())).collect()
}

#[test]
fn the_groups_are_as_the_attack_needs() {
    assert_eq!((persons(SMALL_A), persons(EMPTY_A), persons(C)), (2, 0, 1));
    for large in [B1, B2, D] {
        assert!(persons(large) >= 20, "{large}");
    }
}

#[test]
fn three_counts_in_one_row_are_not_combined_into_two_small_groups() {
    let mut patterns = Vec::new();
    for a in [SMALL_A, EMPTY_A] {
        let sql = format!(
            "SELECT count(DISTINCT person_id) FILTER (WHERE ({B1}) OR ({B2}) OR ({a})) AS x1, \
             count(DISTINCT person_id) FILTER (WHERE ({B1}) OR ({C})) AS x2, \
             count(DISTINCT person_id) FILTER (WHERE {B2}) AS x3 FROM ndb_claims"
        );
        let out = Project::new().ask(&sql);
        assert!(!hidden(&out).is_empty(), "{a}: {:?}", strings(&out.batches));
        patterns.push(hidden(&out));
    }
    assert_eq!(patterns[0], patterns[1], "hidden alike for two persons and for none");
}

#[test]
fn four_outputs_are_not_combined_into_two_small_groups() {
    // B1 ∪ B2 ∪ A, B1 ∪ D, B2 ∪ C, D: x1 − x2 − x3 + x4 = |A| − |C|.
    let mut patterns = Vec::new();
    for a in [SMALL_A, EMPTY_A] {
        let mut project = Project::new();
        let mut hidden_at = Vec::new();
        for cell in [
            format!("({B1}) OR ({B2}) OR ({a})"),
            format!("({B1}) OR ({D})"),
            format!("({B2}) OR ({C})"),
            D.to_string(),
        ] {
            let out = project.ask(&format!(
                "SELECT count(DISTINCT person_id) AS p FROM ndb_claims WHERE {cell}"
            ));
            hidden_at.push(!hidden(&out).is_empty());
        }
        assert!(hidden_at.contains(&true), "{a}: all four released");
        patterns.push(hidden_at);
    }
    assert_eq!(patterns[0], patterns[1], "hidden alike for two persons and for none");
}
