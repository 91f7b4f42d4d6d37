//! Facilities, providers and municipalities: the unit rule wherever a query selects by one.

use super::{optimized_plan, released, rows};
use crate::{run, run_with};
use renkei_disclosure::{CellRule, Policy};
use renkei_engine::{Engine, EngineOptions};

/// Facility-level cells need 3 facilities behind them: one facility per row is below the
/// unit rule, whatever its persons, and every such row is withheld.
#[test]
fn facility_cells_need_three_facilities() {
    let sql = "SELECT facility_id, count(DISTINCT person_id) AS persons FROM ndb_claims GROUP BY facility_id";
    let out = run(sql).expect("runs");
    assert_eq!(rows(&out), 0);
    let shown = Policy {
        show_hidden_rows: true,
        ..Policy::default()
    };
    let out = run_with(sql, shown).expect("runs");
    assert!(out.report.hidden.iter().any(|h| h.rule == CellRule::MinEntities));
    assert!(
        released(&out)
            .iter()
            .filter(|(h, _)| h == "persons")
            .all(|(_, v)| v == "*")
    );
}

/// A facility's prefecture is an attribute of the facility: where two hospitals make a
/// prefecture's inpatient claims, a cell by that prefecture is theirs, and needs three.
#[test]
fn cells_by_a_facility_attribute_need_three_facilities() {
    let by_prefecture = |values: &str| {
        format!(
            "SELECT facility_prefecture, {values} FROM ndb_claims WHERE setting = 'inpatient' \
             GROUP BY facility_prefecture"
        )
    };
    let truth = crate::support::strings(&crate::support::plain(&by_prefecture(
        "count(DISTINCT person_id), count(DISTINCT facility_id)",
    )));
    let few_facilities: Vec<&String> = truth
        .iter()
        .filter(|row| row[1].parse::<u64>().is_ok_and(|p| p >= 10) && row[2].parse::<u64>().is_ok_and(|f| f < 3))
        .map(|row| &row[0])
        .collect();
    assert!(
        !few_facilities.is_empty(),
        "the sample has a prefecture of 10+ inpatients in 1 or 2 hospitals"
    );
    let out = run(&by_prefecture("count(DISTINCT person_id) AS persons")).expect("runs");
    let shown = crate::support::strings(&out.batches);
    for prefecture in few_facilities {
        assert!(
            !shown.iter().any(|row| &row[0] == prefecture && row[1] != "NULL"),
            "prefecture {prefecture}: {shown:?}"
        );
    }
}

/// A total beside the same without one facility is that facility's total: the difference of
/// two cells is judged by the unit rule as a cell would be. The facility with most patients is
/// left out (it is never a small group of persons), and a prefecture of many facilities left
/// out the same way is released.
#[test]
fn a_total_beside_the_same_without_one_facility_is_hidden() {
    let biggest = crate::support::strings(&crate::support::plain(
        "SELECT facility_id, count(DISTINCT person_id) AS n FROM ndb_claims GROUP BY facility_id ORDER BY n DESC LIMIT 1",
    ));
    let without = |condition: &str| {
        format!(
            "SELECT count(*) AS claims, sum(total_points) AS points, \
                    count(*) FILTER (WHERE {condition}) AS claims_without, \
                    sum(total_points) FILTER (WHERE {condition}) AS points_without FROM ndb_claims"
        )
    };
    let sql = without(&format!("facility_id <> '{}'", biggest[0][0]));
    let out = run(&sql).expect("runs");
    assert!(
        released(&out).iter().all(|(_, v)| v == "*"),
        "{sql}: {:?}",
        released(&out)
    );
    let prefectures = crate::support::strings(&crate::support::plain(
        "SELECT facility_prefecture FROM ndb_claims GROUP BY facility_prefecture \
         HAVING count(DISTINCT facility_id) >= 3 AND count(DISTINCT person_id) >= 10 ORDER BY 1 LIMIT 1",
    ));
    let sql = without(&format!("facility_prefecture <> '{}'", prefectures[0][0]));
    let out = run(&sql).expect("runs");
    assert!(
        released(&out).iter().all(|(_, v)| v != "*"),
        "{sql}: {:?}",
        released(&out)
    );
}

/// Facilities are counted per scan of a table. Persons picked by their stays at a few
/// facilities (in a subquery) make a cell about those facilities, however many facilities
/// the outer rows spread over: refused, not checked on the outer rows' facilities. And a
/// self-join grouped by one side's facility counts that side's facilities, not the other's.
#[test]
fn facilities_are_counted_on_the_scan_that_selects_by_them() {
    let e = run(
        "SELECT substr(c.facility_id, 1, 2) AS prefecture, count(*) AS stays FROM dpc_cases c \
         WHERE c.person_id IN (SELECT person_id FROM dpc_cases WHERE facility_id LIKE '13%') GROUP BY 1",
    )
    .expect_err("selects by a subquery's facility");
    assert!(e.to_string().contains("inside a per-person subquery"), "{e}");

    let engine = Engine::open(crate::warehouse(), Policy::default(), EngineOptions::default()).expect("opens");
    let plan = optimized_plan(
        &engine,
        "SELECT substr(i.facility_id, 1, 2) AS prefecture, count(*) AS stays FROM dpc_cases i \
         LEFT JOIN dpc_cases r ON r.person_id = i.person_id AND r.admission_date > i.discharge_date \
         GROUP BY 1",
    );
    // The facilities counted are those of `i`, the side the cells are grouped by.
    let unit_counts: Vec<&str> = plan.matches("facility_id)) AS __renkei_h").collect();
    assert_eq!(unit_counts, ["facility_id)) AS __renkei_h"], "{plan}");
    assert!(
        plan.contains("count(DISTINCT renkei_key_number(i.facility_id)) AS __renkei_h"),
        "{plan}"
    );
}

/// A facility named inside an aggregate's value selects rows as a FILTER would: gating rows by
/// it makes the unit rule apply (one facility: hidden), and weighing rows apart by it
/// (one facility's count carried inside the cell's) is refused.
#[test]
fn a_facility_inside_a_value_is_a_selection_by_it() {
    // The facility with the most persons: its cells pass the persons rule, not the unit rule.
    let facility = crate::support::strings(&crate::support::plain(
        "SELECT facility_id FROM ndb_claims GROUP BY facility_id ORDER BY count(DISTINCT person_id) DESC LIMIT 1",
    ))[0][0]
        .clone();
    let gated = format!(
        "SELECT sex, count(CASE WHEN facility_id = '{facility}' THEN 1 END) AS claims_there \
         FROM ndb_claims GROUP BY sex"
    );
    let shown = Policy {
        show_hidden_rows: true,
        ..Policy::default()
    };
    let out = run_with(&gated, shown).expect("runs");
    assert!(
        released(&out)
            .iter()
            .filter(|(h, _)| h == "claims_there")
            .all(|(_, v)| v == "*"),
        "{:?}",
        released(&out)
    );
    assert!(out.report.hidden.iter().any(|h| h.rule == CellRule::MinEntities));
    let weighed = format!(
        "SELECT sex, sum(CASE WHEN facility_id = '{facility}' THEN 1000 ELSE 1 END) AS weighed \
         FROM ndb_claims GROUP BY sex"
    );
    let e = run(&weighed).expect_err("weighs by a facility");
    assert!(e.to_string().contains("condition on a facility"), "{e}");
}
