//! Issue 27's property test: random queries from the grammar (`grammar.rs`) on the sample
//! warehouse, under several policies. For every accepted query, plain DataFusion over the same
//! Parquet recomputes every person's contribution to each aggregate of each group, and the
//! test checks every released cell against the rules and the whole output against linear
//! combinations:
//!
//! 1. every released value cell, and every released row's group, rests on at least
//!    `min_persons` persons; a zero (or a NULL of no rows) only where the policy shows zeros and
//!    the group holds `min_persons`;
//! 2. released values equal plain DataFusion's, rounded where the policy rounds;
//! 3. a released SUM or AVG of sensitive measures passes `renkei_disclosure::dominance` on the
//!    persons' contributions;
//! 4. no linear combination of the released cells isolates 1 to `min_persons − 1` persons.
//!
//! The model of 4: every released cell is a vector over persons, a person's entry being what
//! they add to it: their rows for `count(*)` and `count(column)`, 1 for a distinct count of
//! persons, their records for a distinct count of records, their sum of the value (before any
//! literal divisor) for a SUM. A mean releases its count of rows and its sum (two vectors), a
//! ratio of two aggregates both of them, a difference the difference of the two vectors. HAVING
//! and the group's existence add no vector. Persons with the same entries in every released
//! cell of the whole output (all rows and columns) form an atom, and atoms whose entries are
//! proportional a ray: every combination is zero on a ray's persons or non-zero on all of them.
//! The test asserts that no ray of 1 to `min_persons − 1` persons lies in the span of the
//! released cells (exactly, over a prime field) and, as the stronger check, searches for a
//! combination that is zero on every other person but non-zero on a few spread over several
//! small rays (a sum of small atoms), exhaustively where the combinations that vanish on all
//! large rays form a space of dimension ≤ 2 (or 3 over few rays). Rounded outputs are not
//! exact sums; they are checked like the others (a stricter test than the policy needs).
//!
//! Every message names the query's policy and number: `RENKEI_ONLY=<number>` replays that query
//! alone, `RENKEI_DUMP=1` prints the rays of a combination that isolates few persons, and
//! `grammar_findings::replay_one_query` runs any SQL checked and plain.

use crate::grammar::{self, Derived, Kind, Query};
use crate::property::Random;
use crate::span;
use crate::support::{plain, strings};
use crate::{runtime, warehouse};
use renkei_disclosure::{Policy, dominance};
use renkei_engine::{Engine, EngineError, EngineOptions};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

const QUERIES: usize = 400;

/// Where check 4 is asserted. The engine protects linear combinations inside a row for cells
/// of one kind (rows, persons, records, one value) and across the rows of a ROLLUP / CUBE /
/// GROUPING SETS table by secondary suppression of single cells; the test found combinations
/// outside that which isolate few persons (FINDINGS.md). Until they are closed, those are
/// counted and printed, and the test fails only on:
/// - a combination of the cells of one row, all of one kind (always asserted);
/// - FINDINGS.md 1 and 2, across rows (persons in several groups; sums of hidden cells of a
///   ROLLUP), when this is set;
const STRICT_ACROSS_ROWS: bool = false;
/// - FINDINGS.md 3, inside a row, across cells of different kinds (a sum beside a count, rows
///   beside persons or records), when this is set: set since counts of rows, of persons and
///   of records are checked across kinds and totals in a row must be written alike (none of
///   the 400 queries isolates few persons so; SUMs of a measure beside counts are still not
///   in that check, docs/disclosure.md).
const STRICT_ACROSS_KINDS: bool = true;

/// One person's contributions in one group: per aggregate `[v, n, z]` (see
/// `Aggregate::contributions`).
type Contributions = Vec<[i128; 3]>;

/// Persons of each group (full key tuple, "NULL" for keys a grouping level leaves out).
type Truth = BTreeMap<Vec<String>, BTreeMap<String, Contributions>>;

pub fn policies() -> Vec<(&'static str, Policy)> {
    let base = Policy::default();
    vec![
        ("default", base.clone()),
        (
            "rounding 5",
            Policy {
                rounding_base: Some(5),
                ..base.clone()
            },
        ),
        (
            "no zero cells",
            Policy {
                show_zero_cells: false,
                ..base.clone()
            },
        ),
        (
            "strict dominance",
            Policy {
                dominance_k_percent: 50.0,
                p_percent: 30.0,
                ..base.clone()
            },
        ),
        (
            "5 persons, hidden rows shown",
            Policy {
                min_persons: 5,
                show_hidden_rows: true,
                ..base
            },
        ),
    ]
}

fn truth(q: &Query) -> Truth {
    let mut truth = Truth::new();
    let n = q.aggregates.len();
    for level in q.levels() {
        for row in strings(&plain(&q.contributions_sql(&level))) {
            let mut key = vec!["NULL".to_string(); q.keys.len()];
            for (j, i) in level.iter().enumerate() {
                key[*i] = row[j].clone();
            }
            let person = row[level.len()].clone();
            let values = (0..n)
                .map(|a| {
                    let at = |k: usize| row[level.len() + 1 + 3 * a + k].parse::<i128>().unwrap_or(0);
                    [at(0), at(1), at(2)]
                })
                .collect();
            truth.entry(key).or_default().insert(person, values);
        }
    }
    truth
}

/// One aggregate over one group, recomputed.
struct Cell {
    value: Option<f64>,
    behind: usize,
    contributions: Vec<f64>,
}

fn cell(q: &Query, a: usize, persons: &BTreeMap<String, Contributions>) -> Cell {
    let kind = &q.aggregates[a].kind;
    let (mut v, mut n, mut behind, mut contributions) = (0i128, 0i128, 0, Vec::new());
    for c in persons.values() {
        let [pv, pn, pz] = c[a];
        v += pv;
        n += pn;
        let feeds = match kind {
            Kind::Sum(_) => pz > 0,
            Kind::Mean(_) => pn > 0,
            _ => pv > 0,
        };
        behind += usize::from(feeds);
        if pn > 0 {
            contributions.push(pv as f64);
        }
    }
    let value = match kind {
        Kind::Sum(l) => (n > 0).then(|| v as f64 / l.divisor as f64),
        Kind::Mean(l) => (n > 0).then(|| v as f64 / l.divisor as f64 / n as f64),
        _ => Some(v as f64),
    };
    Cell {
        value,
        behind,
        contributions,
    }
}

/// The rules for a released bare aggregate (or one a released derived column uses).
fn judge(q: &Query, a: usize, c: &Cell, group: usize, policy: &Policy) -> Result<(), String> {
    let min = policy.min_persons as usize;
    match c.value {
        None | Some(0.0) => {
            if !policy.show_zero_cells || group < min {
                return Err(format!("a zero or NULL released (group of {group} persons)"));
            }
        }
        Some(_) if c.behind < min => return Err(format!("released from {} persons", c.behind)),
        Some(_) => {}
    }
    if let Kind::Sum(l) | Kind::Mean(l) = &q.aggregates[a].kind
        && l.dominance
        && c.value.is_some()
        && let Some(rule) = dominance(&c.contributions, policy)
    {
        return Err(format!(
            "released though dominated ({rule:?}): {:?}",
            top(&c.contributions)
        ));
    }
    Ok(())
}

fn top(c: &[f64]) -> Vec<f64> {
    let mut c = c.to_vec();
    c.sort_by(|a, b| b.abs().total_cmp(&a.abs()));
    c.truncate(5);
    c
}

fn rounded(v: f64, base: Option<u64>) -> f64 {
    match base {
        Some(b) => ((v as i128 * 2 + b as i128) / (2 * b as i128) * b as i128) as f64,
        None => v,
    }
}

fn same(released: &str, expected: Option<f64>) -> bool {
    match (released, expected) {
        ("NULL", None) => true,
        (s, Some(e)) => s.parse::<f64>().is_ok_and(|r| (r - e).abs() <= 1e-6 * e.abs().max(1.0)),
        _ => false,
    }
}

/// A released linear cell: its label and every person's entry.
struct Vector {
    row: usize,
    /// `Aggregate::kind_name`, or "mixed" for a difference of two kinds.
    kind: String,
    label: String,
    entries: Vec<(String, i128)>,
}

fn entries(persons: &BTreeMap<String, Contributions>, f: impl Fn(&Contributions) -> i128) -> Vec<(String, i128)> {
    persons
        .iter()
        .map(|(p, c)| (p.clone(), f(c)))
        .filter(|(_, v)| *v != 0)
        .collect()
}

#[derive(Default)]
struct Tally {
    accepted: usize,
    /// Reason → (queries, the first of them).
    refused: BTreeMap<String, (usize, String)>,
    cells: usize,
    hidden: usize,
    rays: usize,
    small_rays: usize,
    undecided: usize,
    small_sums: Vec<String>,
    leaks: Vec<String>,
    /// Outputs with a combination isolating a few: across rows whose groups share persons
    /// (FINDINGS.md 1), across rows otherwise (2), inside a row across kinds (3).
    spanning: Vec<String>,
    across_rows: Vec<String>,
    across_kinds: Vec<String>,
}

/// Checks one accepted query's output; returns its released vectors, and whether some person
/// is in several groups of the finest level (rows that share persons other than as a ROLLUP
/// total shares them with its rows).
fn check(
    q: &Query,
    sql: &str,
    out: &renkei_engine::CheckedOutput,
    policy: &Policy,
    tally: &mut Tally,
) -> (Vec<Vector>, bool) {
    let truth = truth(q);
    let mut seen = HashSet::new();
    let spanning = truth
        .iter()
        .filter(|(k, _)| k.iter().all(|k| k != "NULL"))
        .flat_map(|(_, persons)| persons.keys())
        .any(|p| !seen.insert(p));
    let empty = BTreeMap::new();
    let min = policy.min_persons as usize;
    let columns = q.value_columns();
    let hidden: HashSet<(usize, String)> = out.report.hidden.iter().map(|h| (h.row, h.column.clone())).collect();
    tally.hidden += hidden.len();
    let mut vectors = Vec::new();
    for (r, row) in strings(&out.batches).into_iter().enumerate() {
        let key = row[..q.keys.len()].to_vec();
        let persons = truth.get(&key).unwrap_or(&empty);
        let group = persons.len();
        let labelled = key.iter().any(|k| k != "NULL");
        let released: Vec<usize> = (0..columns.len())
            .filter(|c| !hidden.contains(&(r, columns[*c].clone())))
            .collect();
        let at = |what: &str| format!("{sql}\n  row {r} {key:?}: {what}");
        if !released.is_empty() || (labelled && !policy.show_hidden_rows) {
            assert!(
                group >= min,
                "{}",
                at(&format!("released for a group of {group} persons"))
            );
        }
        if let Some((a, n)) = q.having {
            let v = cell(q, a, persons).value.unwrap_or(0.0);
            assert!(
                v > n as f64,
                "{}",
                at(&format!("released though HAVING > {n} is false ({v})"))
            );
        }
        for c in released {
            tally.cells += 1;
            let name = &columns[c];
            let text = &row[q.keys.len() + c];
            let label = format!("row {r} {key:?} {name}");
            let one = |a: usize| {
                let x = cell(q, a, persons);
                if let Err(e) = judge(q, a, &x, group, policy) {
                    panic!("{}", at(&format!("{name} (aggregate {a}) = {text}: {e}")));
                }
                x
            };
            let vector = |a: usize, what: &str| Vector {
                row: r,
                kind: q.aggregates[a].kind_name(),
                label: format!("{label} {what}"),
                entries: entries(persons, |c| c[a][0]),
            };
            if let Some(a) = name.strip_prefix('a').map(|i| i.parse::<usize>().expect("index")) {
                let x = one(a);
                let expected = if q.aggregates[a].is_count() {
                    x.value.map(|v| rounded(v, policy.rounding_base))
                } else {
                    x.value
                };
                assert!(
                    same(text, expected),
                    "{}",
                    at(&format!("{name} = {text}, plain DataFusion {expected:?}"))
                );
                match &q.aggregates[a].kind {
                    Kind::Mean(_) => {
                        vectors.push(vector(a, "(sum)"));
                        vectors.push(Vector {
                            row: r,
                            kind: "rows".into(),
                            label: format!("{label} (rows)"),
                            entries: entries(persons, |c| c[a][1]),
                        });
                    }
                    _ => vectors.push(vector(a, "")),
                }
            } else {
                let j: usize = name[1..].parse().expect("index");
                let (x, y, expected) = match q.derived[j] {
                    Derived::Difference(x, y) => {
                        let e = one(x).value.zip(one(y).value).map(|(a, b)| a - b);
                        (x, y, e)
                    }
                    Derived::Ratio(x, y) => {
                        let e = one(x)
                            .value
                            .zip(one(y).value)
                            .and_then(|(a, b)| (b != 0.0).then(|| a / b));
                        (x, y, e)
                    }
                };
                assert!(
                    same(text, expected),
                    "{}",
                    at(&format!("{name} = {text}, plain DataFusion {expected:?}"))
                );
                match q.derived[j] {
                    Derived::Difference(..) => vectors.push(Vector {
                        row: r,
                        kind: if q.aggregates[x].kind_name() == q.aggregates[y].kind_name() {
                            q.aggregates[x].kind_name()
                        } else {
                            "mixed".into()
                        },
                        label: label.clone(),
                        entries: entries(persons, |c| c[x][0] - c[y][0]),
                    }),
                    Derived::Ratio(..) => {
                        vectors.push(vector(x, "(numerator)"));
                        vectors.push(vector(y, "(denominator)"));
                    }
                }
            }
        }
    }
    (vectors, spanning)
}

/// Check 4 over `vectors` (the whole output, or one row); returns the rays isolated.
/// A person's entries across cells: (cell, value in the prime field).
type Pattern = Vec<(usize, u64)>;

fn no_small_combination(sql: &str, vectors: &[&Vector], policy: &Policy, tally: &mut Tally) -> Vec<String> {
    let mut leaks = Vec::new();
    // Atoms: persons with the same entries everywhere; rays: atoms up to a factor.
    let mut patterns: HashMap<&str, Vec<(usize, u64)>> = HashMap::new();
    for (c, v) in vectors.iter().enumerate() {
        for (p, x) in &v.entries {
            patterns.entry(p.as_str()).or_default().push((c, span::element(*x)));
        }
    }
    let mut rays: HashMap<Pattern, (u64, Pattern)> = HashMap::new();
    for pattern in patterns.into_values() {
        let scale = span::inverse(pattern[0].1);
        let ray = pattern.iter().map(|(c, x)| (*c, span::mul(*x, scale))).collect();
        rays.entry(ray).or_insert((0, pattern)).0 += 1;
    }
    let examples: HashMap<Pattern, Pattern> = rays.iter().map(|(k, (_, e))| (k.clone(), e.clone())).collect();
    let mut rays: Vec<(Vec<(usize, u64)>, u64)> = rays.into_iter().map(|(k, (w, _))| (k, w)).collect();
    rays.sort();
    tally.rays += rays.len();
    // Connected components of cells sharing a ray: a combination isolating few persons lies
    // within one.
    let mut parent: Vec<usize> = (0..vectors.len()).collect();
    fn root(parent: &mut [usize], mut c: usize) -> usize {
        while parent[c] != c {
            parent[c] = parent[parent[c]];
            c = parent[c];
        }
        c
    }
    for (ray, _) in &rays {
        let first = root(&mut parent, ray[0].0);
        for (c, _) in &ray[1..] {
            let other = root(&mut parent, *c);
            parent[other] = first;
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for c in 0..vectors.len() {
        let r = root(&mut parent, c);
        components.entry(r).or_default().push(c);
    }
    let min = policy.min_persons;
    for cells in components.values() {
        let members: Vec<usize> = (0..rays.len()).filter(|r| cells.contains(&rays[*r].0[0].0)).collect();
        let matrix: Vec<Vec<u64>> = cells
            .iter()
            .map(|c| {
                members
                    .iter()
                    .map(|r| rays[*r].0.iter().find(|(x, _)| x == c).map_or(0, |(_, v)| *v))
                    .collect()
            })
            .collect();
        let weights: Vec<u64> = members.iter().map(|r| rays[*r].1).collect();
        let found = span::isolation(&matrix, &weights, min);
        let describe = |r: usize| {
            let (ray, w) = &rays[members[r]];
            let cells: Vec<&str> = ray.iter().map(|(c, _)| vectors[*c].label.as_str()).collect();
            format!("{w} persons in {cells:?}")
        };
        if let Some(r) = found.small_rays.first() {
            if std::env::var_os("RENKEI_DUMP").is_some() {
                let signed = |v: u64| {
                    if v > span::P / 2 {
                        -((span::P - v) as i128)
                    } else {
                        v as i128
                    }
                };
                for (i, c) in cells.iter().enumerate() {
                    eprintln!("cell {i}: {}", vectors[*c].label);
                }
                for (k, w) in weights.iter().enumerate() {
                    let e: Vec<String> = examples[&rays[members[k]].0]
                        .iter()
                        .map(|(c, v)| format!("c{}:{}", cells.iter().position(|x| x == c).expect("in"), signed(*v)))
                        .collect();
                    eprintln!("ray {k} ({w} persons): {}", e.join(" "));
                }
                eprintln!("ray {r}: column {}", r);
            }
            leaks.push(format!(
                "{sql}\n  a combination of the released cells isolates a ray of {}",
                describe(*r)
            ));
        }
        tally.small_rays += weights.iter().filter(|w| (1..min).contains(*w)).count();
        tally.undecided += usize::from(!found.decided);
        if let Some((w, rs)) = found.small_support {
            let rays: Vec<String> = rs.iter().map(|r| describe(*r)).collect();
            tally.small_sums.push(format!("{sql}\n  {w} persons over {rays:?}"));
        }
    }
    leaks
}

#[test]
fn random_grammar_queries_release_only_what_the_rules_allow() {
    let started = std::time::Instant::now();
    let engines: Vec<(&str, Policy, Engine)> = policies()
        .into_iter()
        .map(|(name, p)| {
            let engine = Engine::open(warehouse(), p.clone(), EngineOptions::default()).expect("opens");
            (name, p, engine)
        })
        .collect();
    let rt = runtime();
    let mut random = Random(0x2_79a3_3a11);
    let mut tally = Tally::default();
    let only: Option<usize> = std::env::var("RENKEI_ONLY")
        .ok()
        .map(|v| v.parse().expect("a query number"));
    for number in 0..QUERIES {
        let (name, policy, engine) = &engines[random.below(engines.len())];
        let q = grammar::query(&mut random, policy.rounding_base.is_some());
        if only.is_some_and(|o| o != number) {
            continue;
        }
        let sql = q.sql();
        let out = match rt.block_on(engine.query(&sql)) {
            Ok(out) => out,
            Err(EngineError::Refused(reason)) => {
                let reason: String = reason.chars().take(70).collect();
                tally.refused.entry(reason).or_insert((0, sql.clone())).0 += 1;
                continue;
            }
            Err(e) => panic!("[{name}] {sql}: {e}"),
        };
        tally.accepted += 1;
        let sql = format!("[{name} #{number}] {sql}");
        let (vectors, spanning) = check(&q, &sql, &out, policy, &mut tally);
        // Within each row, as the engine's span check works.
        let rows: BTreeSet<usize> = vectors.iter().map(|v| v.row).collect();
        let mut in_a_row = false;
        for r in rows {
            let row: Vec<&Vector> = vectors.iter().filter(|v| v.row == r).collect();
            let one_kind = row.iter().all(|v| v.kind == row[0].kind && v.kind != "mixed");
            let mut scratch = Tally::default();
            let leaks = no_small_combination(&sql, &row, policy, &mut scratch);
            in_a_row |= !leaks.is_empty();
            if one_kind || STRICT_ACROSS_KINDS {
                tally
                    .leaks
                    .extend(leaks.into_iter().map(|l| format!("(within a row) {l}")));
            } else if let Some(l) = leaks.into_iter().next() {
                tally.across_kinds.push(l);
            }
        }
        // Across the whole output.
        let all: Vec<&Vector> = vectors.iter().collect();
        let leaks = no_small_combination(&sql, &all, policy, &mut tally);
        if STRICT_ACROSS_ROWS {
            tally.leaks.extend(leaks);
        } else if let Some(l) = leaks.into_iter().next().filter(|_| !in_a_row) {
            if spanning {
                tally.spanning.push(l)
            } else {
                tally.across_rows.push(l)
            }
        }
    }
    eprintln!(
        "{} of {QUERIES} queries accepted; {} cells released, {} hidden; {} rays, {} of them small; \
         {} components undecided for sums of small atoms; outputs isolating few persons: {} across \
         rows sharing persons (FINDINGS.md 1), {} across other rows (2), {} across kinds in a row \
         (3); {:.1} s\nrefused: {:#?}",
        tally.accepted,
        tally.cells,
        tally.hidden,
        tally.rays,
        tally.small_rays,
        tally.undecided,
        tally.spanning.len(),
        tally.across_rows.len(),
        tally.across_kinds.len(),
        started.elapsed().as_secs_f64(),
        tally.refused
    );
    // The stronger check is reported, not asserted: a sum of several small atoms is the
    // known limit of GaussSuppression (docs/disclosure.md), and rounded outputs are no exact sums.
    eprintln!(
        "{} components with a sum of small atoms in their span, e.g.:",
        tally.small_sums.len()
    );
    for s in tally.small_sums.iter().take(3) {
        eprintln!("  {s}");
    }
    for (what, list) in [
        ("1", &tally.spanning),
        ("2", &tally.across_rows),
        ("3", &tally.across_kinds),
    ] {
        if let Some(first) = list.first() {
            eprintln!("first of FINDINGS.md {what}: {first}");
        }
    }
    for s in &tally.leaks {
        eprintln!("LEAK: {s}");
    }
    assert!(
        tally.leaks.is_empty(),
        "{} outputs isolate a few persons",
        tally.leaks.len()
    );
    assert!(
        tally.accepted * 2 >= QUERIES,
        "only {} of {QUERIES} accepted",
        tally.accepted
    );
    assert!(tally.cells > 300 && tally.small_rays > 50, "too little checked");
}
