//! Property tests against plain DataFusion on the same Parquet files, with no checks: for
//! random GROUP BY queries (grouping columns, filters, joins between databases, ROLLUP),
//! no cell Renkei releases has fewer persons behind it than the policy's minimum, and no
//! hidden cell of a ROLLUP table can be solved exactly from the released ones. Dominance
//! verdicts are compared with per-person contributions computed the plain way.

use crate::support::{plain, strings};
use crate::{runtime, warehouse};
use renkei_disclosure::{Policy, dominance};
use renkei_engine::{CheckedOutput, Engine, EngineOptions};
use std::collections::{BTreeMap, HashSet};

/// Checked rows: (keys, value or None when hidden).
fn checked_rows(out: &CheckedOutput, keys: usize) -> Vec<(Vec<String>, Option<String>)> {
    let hidden: HashSet<usize> = out.report.hidden.iter().map(|h| h.row).collect();
    strings(&out.batches)
        .into_iter()
        .enumerate()
        .map(|(r, row)| {
            let value = (!hidden.contains(&r)).then(|| row[keys].clone());
            (row[..keys].to_vec(), value)
        })
        .collect()
}

/// A small deterministic generator (xorshift), so failures replay.
pub struct Random(pub u64);

impl Random {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    fn subset<'a>(&mut self, from: &[&'a str], max: usize) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        for _ in 0..1 + self.below(max) {
            let c = self.pick(from);
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

/// A FROM clause with its person column and the grouping expressions and filters it offers.
struct Source {
    from: &'static str,
    person: &'static str,
    keys: &'static [&'static str],
    filters: &'static [&'static str],
}

const SOURCES: &[Source] = &[
    Source {
        from: "ndb_claims c",
        person: "c.person_id",
        keys: &[
            "c.sex",
            "c.facility_prefecture",
            "c.setting",
            "c.insurer_kind",
            "c.age / 10",
            "c.claim_month",
        ],
        filters: &[
            "c.age >= 90",
            "c.sex = 2",
            "c.setting = 'inpatient'",
            "c.total_points > 5000",
            "TRUE",
        ],
    },
    Source {
        from: "kaigo_certifications k",
        person: "k.person_id",
        keys: &[
            "k.care_level",
            "k.sex",
            "k.dementia_grade",
            "k.age / 5",
            "k.application_kind",
        ],
        filters: &["k.age >= 95", "k.dementia_grade = '8'", "k.care_level = '25'", "TRUE"],
    },
    Source {
        from: "dpc_cases d JOIN kaigo_certifications k ON k.person_id = d.person_id",
        person: "d.person_id",
        keys: &[
            "d.sex",
            "substr(d.main_icd10, 1, 1)",
            "d.discharge_outcome",
            "k.care_level",
            "d.age / 10",
        ],
        filters: &[
            "d.age >= 85",
            "k.care_level >= '23'",
            "d.discharge_outcome = '6'",
            "TRUE",
        ],
    },
    Source {
        from: "ndb_claims c JOIN ndb_diagnoses g ON g.claim_id = c.claim_id AND g.person_id = c.person_id",
        person: "c.person_id",
        keys: &["c.sex", "substr(g.icd10, 1, 1)", "g.outcome", "c.age / 20", "c.setting"],
        filters: &["g.is_main", "c.age < 20", "g.outcome = '3'", "TRUE"],
    },
    Source {
        from: "kaigo_claims s JOIN ndb_claims c ON c.person_id = s.person_id AND c.claim_month = s.service_month",
        person: "s.person_id",
        keys: &["s.service_type", "s.care_level", "c.setting", "s.sex"],
        filters: &["s.age >= 90", "c.setting = 'inpatient'", "TRUE"],
    },
];

/// Indicator vectors of ROLLUP cells over their finest-level cells.
fn relations(keys: &[Vec<String>]) -> (Vec<usize>, Vec<Vec<f64>>) {
    let finest: Vec<usize> = (0..keys.len())
        .filter(|r| keys[*r].iter().all(|k| k != "NULL"))
        .collect();
    let vectors = keys
        .iter()
        .map(|k| {
            finest
                .iter()
                .map(|f| {
                    let inside = k.iter().zip(&keys[*f]).all(|(a, b)| a == "NULL" || a == b);
                    if inside { 1.0 } else { 0.0 }
                })
                .collect()
        })
        .collect();
    (finest, vectors)
}

/// Rank of a set of vectors, by Gaussian elimination (0/1 entries: tolerances are safe).
fn rank(vectors: &[Vec<f64>]) -> usize {
    let mut m: Vec<Vec<f64>> = vectors.to_vec();
    let cols = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..cols {
        let Some(p) = (r..m.len()).find(|i| m[*i][c].abs() > 1e-9) else {
            continue;
        };
        m.swap(r, p);
        let pivot = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r && row[c].abs() > 1e-9 {
                let f = row[c] / pivot[c];
                for (x, p) in row.iter_mut().zip(&pivot).skip(c) {
                    *x -= f * p;
                }
            }
        }
        r += 1;
    }
    r
}

/// The default policy with rows whose every value is hidden shown, so that the relations
/// the tests recompute see every cell, and an engine under it.
fn showing_hidden_rows() -> (Policy, Engine) {
    let policy = Policy {
        show_hidden_rows: true,
        ..Policy::default()
    };
    let engine = Engine::open(warehouse(), policy.clone(), EngineOptions::default()).expect("opens");
    (policy, engine)
}

/// `k0 AS …, k1 AS …` for the SELECT list of group keys.
fn selected(keys: &[&str]) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, k)| format!("{k} AS k{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn released_cells_have_enough_persons_and_hidden_ones_stay_unsolvable() {
    let (policy, engine) = showing_hidden_rows();
    let rt = runtime();
    let mut random = Random(0x5eed_2026);
    let (mut released, mut hidden, mut rollups) = (0, 0, 0);
    for _ in 0..40 {
        let s = &SOURCES[random.below(SOURCES.len())];
        let keys = random.subset(s.keys, 3);
        let filter = random.pick(s.filters);
        let rollup = random.below(3) == 0;
        let group = if rollup {
            format!("ROLLUP({})", keys.join(", "))
        } else {
            keys.join(", ")
        };
        let select = selected(&keys);
        let order = (0..keys.len()).map(|i| format!("k{i}")).collect::<Vec<_>>().join(", ");
        let checked_sql = format!(
            "SELECT {select}, count(*) AS n FROM {} WHERE {filter} GROUP BY {group} ORDER BY {order}",
            s.from
        );
        let truth_sql = format!(
            "SELECT {select}, count(DISTINCT {}) AS persons FROM {} WHERE {filter} GROUP BY {group}",
            s.person, s.from
        );
        let out = rt
            .block_on(engine.query(&checked_sql))
            .unwrap_or_else(|e| panic!("{checked_sql}: {e}"));
        let truth: BTreeMap<Vec<String>, i64> = strings(&plain(&truth_sql))
            .into_iter()
            .map(|row| {
                let persons = row[keys.len()].parse().expect("a count");
                (row[..keys.len()].to_vec(), persons)
            })
            .collect();
        let rows = checked_rows(&out, keys.len());
        for (k, value) in &rows {
            let persons = truth.get(k).copied().unwrap_or(0);
            match value {
                Some(v) => {
                    released += 1;
                    assert!(
                        persons >= policy.min_persons as i64 || v == "0",
                        "{checked_sql}: cell {k:?} released with {persons} persons"
                    );
                }
                None => hidden += 1,
            }
        }
        if rollup {
            rollups += 1;
            let keys_of: Vec<Vec<String>> = rows.iter().map(|(k, _)| k.clone()).collect();
            let (_, vectors) = relations(&keys_of);
            let published: Vec<Vec<f64>> = rows
                .iter()
                .zip(&vectors)
                .filter(|((_, v), _)| v.is_some())
                .map(|(_, vec)| vec.clone())
                .collect();
            let base = rank(&published);
            for ((k, v), vec) in rows.iter().zip(&vectors) {
                if v.is_none() {
                    let mut with = published.clone();
                    with.push(vec.clone());
                    assert!(
                        rank(&with) > base,
                        "{checked_sql}: hidden cell {k:?} is solvable from released ones"
                    );
                }
            }
        }
    }
    assert!(
        released > 100 && hidden > 20 && rollups > 5,
        "{released} released, {hidden} hidden, {rollups} rollups"
    );
}

/// The engine's dominance verdicts equal those of `renkei_disclosure::dominance` on every
/// person's contribution computed without the engine.
#[test]
fn dominance_verdicts_follow_per_person_contributions() {
    let policy = Policy {
        dominance_k_percent: 50.0,
        p_percent: 30.0,
        show_hidden_rows: true,
        ..Policy::default()
    };
    let engine = Engine::open(warehouse(), policy.clone(), EngineOptions::default()).expect("opens");
    let from = "FROM dpc_cases d JOIN dpc_items i ON i.case_id = d.case_id AND i.person_id = d.person_id \
                WHERE i.data_category IN ('50', '60')";
    let key = "substr(d.main_icd10, 1, 3)";
    let out = runtime()
        .block_on(engine.query(&format!(
            "SELECT {key} AS k, sum(i.points) AS points {from} GROUP BY {key} ORDER BY k"
        )))
        .expect("runs");
    let mut contributions: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for row in strings(&plain(&format!(
        "SELECT {key} AS k, d.person_id, sum(i.points) AS s {from} GROUP BY {key}, d.person_id"
    ))) {
        contributions
            .entry(row[0].clone())
            .or_default()
            .push(row[2].parse().expect("a sum"));
    }
    let mut dominated = 0;
    for (k, value) in checked_rows(&out, 1) {
        let c = &contributions[&k[0]];
        let expected_hidden = (c.len() as u64) < policy.min_persons || dominance(c, &policy).is_some();
        dominated += usize::from(c.len() as u64 >= policy.min_persons && dominance(c, &policy).is_some());
        assert_eq!(value.is_none(), expected_hidden, "cell {k:?} with contributions {c:?}");
    }
    assert!(
        dominated > 0,
        "the policy is strict enough that some big cells are dominated"
    );
}

/// The span check, recomputed without the engine: random queries with three or four
/// conditional counts of one row (random FILTERs and their negations, so that cells nest,
/// overlap and complement each other); for every row Renkei releases, the atoms (rows that
/// feed exactly the same cells) and their persons are computed the plain way, and no atom of
/// 1 to 9 persons may lie in the span of the row's released cells. Every released row's group
/// holds at least min_persons persons.
#[test]
fn released_rows_isolate_no_small_atom() {
    let (policy, engine) = showing_hidden_rows();
    let rt = runtime();
    let mut random = Random(0xa70_5eed);
    let (mut rows_released, mut small_atoms_seen) = (0, 0);
    for _ in 0..30 {
        let s = &SOURCES[random.below(SOURCES.len())];
        let keys = random.subset(s.keys, 2);
        let cells = 3 + random.below(2);
        let mut filters: Vec<String> = Vec::new();
        while filters.len() < cells {
            let f = random.pick(s.filters);
            let f = if random.below(2) == 0 {
                f.to_string()
            } else {
                format!("NOT ({f})")
            };
            if !filters.contains(&f) {
                filters.push(f);
            }
        }
        let select = selected(&keys);
        let group = keys.join(", ");
        let counts = filters
            .iter()
            .enumerate()
            .map(|(i, f)| format!("count(*) FILTER (WHERE {f}) AS c{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let checked_sql = format!("SELECT {select}, {counts} FROM {} GROUP BY {group}", s.from);
        let signature = filters
            .iter()
            .enumerate()
            .map(|(i, f)| format!("CASE WHEN {f} THEN {} ELSE 0 END", 1 << i))
            .collect::<Vec<_>>()
            .join(" + ");
        let atoms_sql = format!(
            "SELECT {select}, {signature} AS sig, count(DISTINCT {}) AS persons FROM {} GROUP BY {group}, sig",
            s.person, s.from
        );
        let groups_sql = format!(
            "SELECT {select}, count(DISTINCT {}) AS persons FROM {} GROUP BY {group}",
            s.person, s.from
        );
        let out = rt
            .block_on(engine.query(&checked_sql))
            .unwrap_or_else(|e| panic!("{checked_sql}: {e}"));
        let mut atoms: BTreeMap<Vec<String>, Vec<(u64, i64)>> = BTreeMap::new();
        for row in strings(&plain(&atoms_sql)) {
            let sig: u64 = row[keys.len()].parse().expect("a signature");
            let persons: i64 = row[keys.len() + 1].parse().expect("a count");
            if sig != 0 {
                atoms
                    .entry(row[..keys.len()].to_vec())
                    .or_default()
                    .push((sig, persons));
            }
        }
        let groups: BTreeMap<Vec<String>, i64> = strings(&plain(&groups_sql))
            .into_iter()
            .map(|row| (row[..keys.len()].to_vec(), row[keys.len()].parse().expect("a count")))
            .collect();
        let hidden: HashSet<(usize, String)> = out.report.hidden.iter().map(|h| (h.row, h.column.clone())).collect();
        for (r, row) in strings(&out.batches).into_iter().enumerate() {
            let k = row[..keys.len()].to_vec();
            let released: Vec<usize> = (0..cells).filter(|i| !hidden.contains(&(r, format!("c{i}")))).collect();
            if released.is_empty() {
                continue;
            }
            rows_released += 1;
            let group = groups.get(&k).copied().unwrap_or(0);
            assert!(
                group >= policy.min_persons as i64,
                "{checked_sql}: row {k:?} released for a group of {group} persons"
            );
            let row_atoms = atoms.get(&k).cloned().unwrap_or_default();
            let vectors: Vec<Vec<f64>> = released
                .iter()
                .map(|i| {
                    row_atoms
                        .iter()
                        .map(|(sig, _)| if sig & (1 << i) != 0 { 1.0 } else { 0.0 })
                        .collect()
                })
                .collect();
            let base = rank(&vectors);
            for (j, (sig, persons)) in row_atoms.iter().enumerate() {
                if *persons >= policy.min_persons as i64 {
                    continue;
                }
                small_atoms_seen += 1;
                let mut with = vectors.clone();
                with.push((0..row_atoms.len()).map(|x| if x == j { 1.0 } else { 0.0 }).collect());
                assert!(
                    rank(&with) > base,
                    "{checked_sql}: row {k:?} releases cells {released:?} that determine atom {sig:#b} of {persons} persons"
                );
            }
        }
    }
    assert!(
        rows_released > 20 && small_atoms_seen > 20,
        "{rows_released} rows released, {small_atoms_seen} small atoms seen"
    );
}
