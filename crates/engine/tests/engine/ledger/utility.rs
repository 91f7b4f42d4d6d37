//! What the ledger costs ordinary work: the study queries one after another, and fifty
//! ordinary queries of one project whose margins overlap as an analyst's do.

use super::{Project, rules, truth};
use crate::span::rank;
use renkei_disclosure::CellRule;

/// The study queries one after another, each against the ones before: what history costs
/// ordinary work. One combination is about two persons and is hidden: the persons certified
/// at care 1-2 (41) less the service users whose highest level was 21 (21) and 22 (20) is 0,
/// the one certified at care 1-2 who used level 23 less the one certified at care 3-5 whose
/// highest was 22 (red team R15-1's signed difference, met by ordinary queries). Its cells
/// and their margins are hidden in `polypharmacy_by_care_level`; nothing else is lost.
#[test]
fn study_queries_in_sequence_lose_only_a_difference_of_two_persons_to_history() {
    let latest = "WITH latest AS (SELECT person_id, max(certified_on) AS l FROM kaigo_certifications GROUP BY person_id), \
                  cc AS (SELECT c.person_id, max(c.care_level) AS level FROM kaigo_certifications c \
                  JOIN latest ON c.person_id = latest.person_id AND c.certified_on = latest.l GROUP BY c.person_id), \
                  u AS (SELECT person_id, max(care_level) AS highest FROM kaigo_claims GROUP BY person_id) ";
    let certified_elsewhere = truth(&format!(
        "{latest}SELECT count(*) FROM cc JOIN u ON cc.person_id = u.person_id \
         WHERE (cc.level IN ('21', '22')) <> (u.highest IN ('21', '22'))"
    ));
    assert_eq!(certified_elsewhere, 2, "the two persons the three cells differ by");
    let mut project = Project::new();
    let mut lost = Vec::new();
    for name in [
        "ltc_users_by_care_level_and_sex",
        "dementia_by_care_level",
        "polypharmacy_by_care_level",
        "outpatient_before_first_certification",
        "dpc_points_by_diagnosis",
        "hip_fracture_readmission_30d",
    ] {
        let sql =
            std::fs::read_to_string(crate::support::repository().join(format!("queries/{name}.sql"))).expect("reads");
        let out = project.ask(&sql);
        let by_history: Vec<_> = rules(&out)
            .into_iter()
            .filter(|(_, _, r)| *r == CellRule::History)
            .map(|(row, column, _)| (name, row, column))
            .collect();
        lost.extend(by_history);
    }
    assert!(!project.released.is_empty());
    // The three care-level groups' totals (rows 2, 5, 8), certified and with drugs.
    let polypharmacy = |row: usize, column: &str| ("polypharmacy_by_care_level", row, column.to_string());
    let expected: Vec<_> = [2, 5, 8]
        .into_iter()
        .flat_map(|row| {
            [
                polypharmacy(row, "persons_certified"),
                polypharmacy(row, "persons_with_drugs"),
            ]
        })
        .collect();
    assert_eq!(lost, expected);
}

/// Fifty ordinary queries of one project: counts of persons by sex, by age band, by both,
/// over each table with a person's sex and age, under a few common filters. Their margins
/// overlap, as an analyst's do. Returns every count released, as 0/1 vectors over the atoms
/// of them all, and each atom's persons.
fn fifty_ordinary_queries() -> (Vec<Vec<u64>>, Vec<usize>) {
    let tables = ["dpc_cases", "kaigo_certifications", "kaigo_claims", "ndb_claims"];
    let band = "CASE WHEN age < 65 THEN '<65' WHEN age < 75 THEN '65-74' WHEN age < 85 THEN '75-84' ELSE '85+' END";
    let groupings = ["sex".to_string(), band.to_string(), format!("sex, {band}")];
    let filters = ["true", "sex = 2", "age >= 65", "age >= 75", "sex = 1"];
    let mut queries = Vec::new();
    for table in tables {
        for grouping in &groupings {
            for filter in filters {
                queries.push(format!(
                    "SELECT {grouping}, count(DISTINCT person_id) AS persons FROM {table} WHERE {filter} GROUP BY {grouping}"
                ));
            }
        }
    }
    queries.truncate(50);
    let mut project = Project::new();
    let mut lost = 0;
    for sql in &queries {
        lost += rules(&project.ask(sql))
            .iter()
            .filter(|(_, _, r)| *r == CellRule::History)
            .count();
    }
    eprintln!(
        "{} queries: {} counts released, {lost} hidden by history",
        queries.len(),
        project.released.len()
    );
    let mut membership: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    for (c, set) in project.released.iter().enumerate() {
        for p in set.persons() {
            membership.entry(*p).or_default().push(c);
        }
    }
    let mut atoms: std::collections::HashMap<Vec<usize>, usize> = std::collections::HashMap::new();
    for signature in membership.into_values() {
        *atoms.entry(signature).or_default() += 1;
    }
    let atoms: Vec<(Vec<usize>, usize)> = atoms.into_iter().collect();
    let cells = (0..project.released.len())
        .map(|c| atoms.iter().map(|(sig, _)| u64::from(sig.contains(&c))).collect())
        .collect();
    (cells, atoms.into_iter().map(|(_, n)| n).collect())
}

/// Whether the sum of `group`'s atoms lies in the span of `cells` (over a prime field: exact
/// for these 0/1 vectors but for a chance of about 10⁻¹⁷), checked apart from the engine's own
/// elimination.
fn in_span(cells: &[Vec<u64>], atoms: usize, group: &[usize]) -> bool {
    let mut with = cells.to_vec();
    with.push((0..atoms).map(|a| u64::from(group.contains(&a))).collect());
    rank(with) == rank(cells.to_vec())
}

/// No atom of 1 to 9 persons lies in the span of everything the fifty queries released;
/// without the history check this fails (an atom of 3 persons).
#[test]
fn fifty_ordinary_queries_release_no_small_atom_in_their_span() {
    let (cells, persons) = fifty_ordinary_queries();
    for k in (0..persons.len()).filter(|k| (1..10).contains(&persons[*k])) {
        assert!(
            !in_span(&cells, persons.len(), &[k]),
            "an atom of {} persons is in the span of the released counts",
            persons[k]
        );
    }
}

/// Nor a sum of two or three atoms that holds fewer than ten. Open: the ledger protects the
/// sums of small atoms inside and outside each count, and this sequence reaches one it does
/// not (groups of 2 and of 6 persons among them).
#[test]
#[ignore = "issue 28: a sum of small atoms split across counts is GaussSuppression's limit, not closed yet"]
fn fifty_ordinary_queries_release_no_small_group_of_atoms_in_their_span() {
    let (cells, persons) = fifty_ordinary_queries();
    let small: Vec<usize> = (0..persons.len()).filter(|k| (1..10).contains(&persons[*k])).collect();
    for (i, a) in small.iter().enumerate() {
        for (j, b) in small.iter().enumerate().skip(i + 1) {
            let mut groups = vec![vec![*a, *b]];
            groups.extend(small.iter().skip(j + 1).map(|c| vec![*a, *b, *c]));
            for group in groups {
                let n: usize = group.iter().map(|k| persons[*k]).sum();
                assert!(
                    n >= 10 || !in_span(&cells, persons.len(), &group),
                    "a group of {n} persons is in the span of the released counts"
                );
            }
        }
    }
}
