//! The span check inside one row: the cells of one kind (COUNTs and SUMs of one value over
//! different FILTERs, or distinct counts of one class's persons) are sums over **atoms**, the
//! rows or persons that feed exactly the same cells (`atoms.rs` counts the persons of each).
//! An atom's total is determined by the released cells exactly when its unit vector lies in
//! the span of their 0/1 vectors: `all − women − men under 98` gives "men 98 or older", though
//! every pair of the three differs by many persons. Such an atom of 1 to min_persons − 1
//! persons is a primary cell the released ones must not determine, which is the problem
//! secondary suppression (`renkei_disclosure::secondary_suppression`) solves exactly.
//!
//! Here: the hidden aggregates the rewrite adds for it ([`atom_aggregates`]), and the check
//! the control node runs per row ([`cells_to_hide`]).

use crate::atoms::{Atoms, MAX_CELLS, atoms_udaf};
use crate::key_number::key_number;
use crate::refuse;
use datafusion::common::Result;
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{AggregateUDF, Expr, lit, when};
use renkei_disclosure::{CellStatus, Profile, parts_inside_and_outside, secondary_suppression, small_group_primaries};
use std::sync::Arc;

/// `true` on the rows `feeds` keeps (all when `None`), `false` where it is false or NULL.
pub fn holds(feeds: &Option<Expr>) -> Expr {
    feeds
        .as_ref()
        .map_or(lit(true), |f| coalesce(vec![f.clone(), lit(false)]))
}

/// What a cell counts or adds up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Rows (COUNT, SUM).
    Rows,
    /// Distinct persons of one class.
    Persons,
    /// Distinct records of one key: no atoms of their own (three of one key are refused),
    /// but beside a count of persons or rows, the persons whose records add a different
    /// number to each are counted ([`repeat_aggregates`]).
    Records,
}

/// What one aggregate of the final aggregation adds up, for grouping cells by kind.
#[derive(Clone, PartialEq)]
pub struct Cell {
    pub kind: Kind,
    /// What each row adds (`1` for COUNT, the argument for SUM); the record key for
    /// records; none for persons.
    pub value: Option<Expr>,
    /// The person expression (a class's person, as its number) the atoms are counted on.
    pub person: Expr,
    /// The rows that feed it (`None`: all).
    pub feeds: Option<Expr>,
}

impl Cell {
    /// The aggregate its atoms are counted by, where it has them.
    fn atoms(&self) -> Option<Atoms> {
        match self.kind {
            Kind::Rows => Some(Atoms::Rows),
            Kind::Persons => Some(Atoms::Persons),
            Kind::Records => None,
        }
    }
}

/// The atoms of one kind's cells in a row, for the span check.
pub struct KindAtoms {
    /// The hidden aggregate that counts the persons of each atom.
    pub aggregate: Expr,
    /// The aggregates it covers: bit i of a signature is `members[i]`.
    pub members: Vec<usize>,
    /// What each row adds (`Kind::Rows`), for the rules on an atom's total.
    pub value: Option<Expr>,
    /// A row's signature, and the rows that feed any of the cells: for other aggregates over
    /// the same atoms (their units, their contributions).
    pub signature: Expr,
    pub filter: Option<Expr>,
}

impl KindAtoms {
    /// `udaf` over the same atoms, its first argument `key` (a unit's number, a person's).
    pub fn sibling(&self, udaf: Arc<AggregateUDF>, key: Expr, more: Vec<Expr>) -> Expr {
        Expr::AggregateFunction(AggregateFunction::new_udf(
            udaf,
            [key, self.signature.clone()].into_iter().chain(more).collect(),
            false,
            self.filter.clone().map(Box::new),
            vec![],
            None,
        ))
    }
}

/// For every kind with three or more cells (two are judged by the pairwise rule, which also
/// hides differences that are not determined), its atoms. `cells`: the aggregates' cells,
/// each with its aggregate's index. More than [`MAX_CELLS`] cells of one kind in one row are
/// refused.
pub fn atom_aggregates(cells: &[(usize, Cell)]) -> Result<Vec<KindAtoms>> {
    let mut kinds: Vec<(&Cell, Atoms, Vec<&Cell>, Vec<usize>)> = Vec::new();
    for (j, cell) in cells {
        let Some(atoms) = cell.atoms() else { continue };
        let same = |k: &Cell| k.kind == cell.kind && k.value == cell.value && k.person == cell.person;
        match kinds.iter_mut().find(|(k, ..)| same(k)) {
            Some((.., of_kind, members)) => {
                of_kind.push(cell);
                members.push(*j);
            }
            None => kinds.push((cell, atoms, vec![cell], vec![*j])),
        }
    }
    let mut out = Vec::new();
    for (kind, atoms, of_kind, members) in kinds.into_iter().filter(|(.., m)| m.len() >= 3) {
        if members.len() > MAX_CELLS {
            return Err(refuse(format!(
                "more than {MAX_CELLS} counts or sums of one value in one row are refused: their differences \
                 cannot be checked"
            )));
        }
        let (signature, filter) = signature_of(&of_kind)?;
        let aggregate = atoms_over(atoms, &kind.person, &signature, &filter);
        out.push(KindAtoms {
            aggregate,
            members,
            value: (kind.kind == Kind::Rows).then(|| kind.value.clone()).flatten(),
            signature,
            filter,
        });
    }
    Ok(out)
}

/// A row's signature over `cells` (bit i when it feeds cell i), and the rows that feed any
/// of them (`None`: all).
fn signature_of(cells: &[&Cell]) -> Result<(Expr, Option<Expr>)> {
    let mut signature: Option<Expr> = None;
    for (bit, cell) in cells.iter().enumerate() {
        let term = when(holds(&cell.feeds), lit(1u64 << bit)).otherwise(lit(0u64))?;
        signature = Some(match signature {
            Some(s) => s + term,
            None => term,
        });
    }
    let feeds: Option<Vec<Expr>> = cells.iter().map(|c| c.feeds.clone()).collect();
    let filter = feeds.and_then(|f| f.into_iter().reduce(Expr::or));
    Ok((signature.unwrap_or_else(|| lit(0u64)), filter))
}

/// The atoms aggregate `kind` over `person` and `signature`, on the rows `filter` keeps.
fn atoms_over(kind: Atoms, person: &Expr, signature: &Expr, filter: &Option<Expr>) -> Expr {
    Expr::AggregateFunction(AggregateFunction::new_udf(
        atoms_udaf(kind),
        vec![person.clone(), signature.clone()],
        false,
        filter.clone().map(Box::new),
        vec![],
        None,
    ))
}

/// Across kinds: where a row counts one class's persons beside counts of their rows, three
/// or more cells in all, the hidden aggregate of the persons' profiles (`Atoms::Profiles`)
/// over those cells, the aggregates it covers, and which of them count persons (bit i for
/// the i-th). `count(*) − count(*) FILTER (WHERE age < 90) − count(DISTINCT person_id)
/// FILTER (WHERE age >= 90)` was the extra certifications of 5 persons, every pair of the
/// three far apart and each kind's span too small to see it. Distinct counts of records are
/// in it as counts of their rows, which they are only where each record is one row
/// (`records_are_rows`: a table's row key, that table alone); otherwise such a row is refused.
/// Totals of other values are not in it (docs/disclosure.md says so).
pub fn profile_aggregate(cells: &[(usize, Cell)], records_are_rows: bool) -> Result<Option<(Expr, Vec<usize>, u64)>> {
    let counts = |c: &Cell| match c.kind {
        Kind::Rows => matches!(c.value, Some(Expr::Literal(..))),
        Kind::Persons | Kind::Records => true,
    };
    let mut persons: Vec<&Expr> = Vec::new();
    for (_, cell) in cells.iter().filter(|(_, c)| c.kind == Kind::Persons) {
        if !persons.contains(&&cell.person) {
            persons.push(&cell.person);
        }
    }
    // One class of persons per row in practice; the first with a mix is checked, and a second
    // is refused rather than left unchecked.
    let mut found = None;
    for person in persons {
        let of_person: Vec<&(usize, Cell)> = cells.iter().filter(|(_, c)| &c.person == person && counts(c)).collect();
        if of_person.len() < 3 || !of_person.iter().any(|(_, c)| c.kind != Kind::Persons) {
            continue;
        }
        if !records_are_rows && of_person.iter().any(|(_, c)| c.kind == Kind::Records) {
            // A claim of two diagnosis rows counts once but has two rows: as rows, 235 claims −
            // 209 persons − 20 claims looked like a combination of 19 persons; it was 6 claims
            // of 5 (red team R7-5).
            return Err(refuse(
                "a distinct count of records beside counts of persons or of rows is checked only \
                 where each record is one row (claim_id of ndb_claims, case_id of dpc_cases, that \
                 table alone): count rows or persons instead"
                    .into(),
            ));
        }
        if found.is_some() || of_person.len() > MAX_CELLS {
            return Err(refuse(format!(
                "more than {MAX_CELLS} counts of rows and of persons in one row, or such counts of two \
                 classes of persons, are refused: their differences cannot be checked"
            )));
        }
        let counts_persons = of_person
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| c.kind == Kind::Persons)
            .fold(0u64, |m, (bit, _)| m | 1 << bit);
        let cells: Vec<&Cell> = of_person.iter().map(|(_, c)| c).collect();
        let (signature, filter) = signature_of(&cells)?;
        let aggregate = atoms_over(Atoms::Profiles, person, &signature, &filter);
        found = Some((aggregate, of_person.iter().map(|(j, _)| *j).collect(), counts_persons));
    }
    Ok(found)
}

/// For every two cells of the same persons that count them in different units (a count of
/// rows, of records, of persons), the hidden aggregate that counts the persons who add a
/// different number to each, with the two aggregates: their difference is about those persons
/// alone, and the pairwise rule hides it when they are 1 to min_persons − 1.
/// `count(*) - count(DISTINCT person)` over a LEFT JOIN that repeats one man's rows was his
/// number of claims (`renkei_repeated_persons`); `count(DISTINCT case_id) - count(DISTINCT
/// person_id)` is the extra stays of the few with several (`renkei_repeated_records`);
/// `count(*) - count(DISTINCT claim_id)` over that join, his claims again
/// (`renkei_repeated_rows`).
pub fn repeat_aggregates(cells: &[(usize, Cell)]) -> Result<Vec<(Expr, usize, usize)>> {
    let mut out = Vec::new();
    for (i, many) in cells {
        for (j, fewer) in cells {
            if many.person != fewer.person || i == j {
                continue;
            }
            let (udaf, key, signature) = match (many.kind, fewer.kind, &many.value) {
                // Any total counts rows where its value is the same on all of them (`sum(sex)`
                // of the men, a per-person aggregate that is always 1): judged as a count.
                (Kind::Rows, Kind::Persons, _) => (
                    Atoms::Repeats,
                    many.person.clone(),
                    flag(&fewer.feeds, 1)? + flag(&many.feeds, 2)?,
                ),
                (Kind::Records, Kind::Persons, Some(record)) => (
                    Atoms::RepeatedRecords,
                    many.person.clone(),
                    // The record's number, its low two bits for the flags.
                    flag(&fewer.feeds, 1)?
                        + when(
                            holds(&many.feeds).and(record.clone().is_not_null()),
                            key_number(record.clone()) / lit(4u64) * lit(4u64) + lit(2u64),
                        )
                        .otherwise(lit(0u64))?,
                ),
                (Kind::Rows, Kind::Records, _) => {
                    let Some(record) = &fewer.value else { continue };
                    (
                        Atoms::RepeatedRows,
                        // A row without a record stands for itself under its person.
                        coalesce(vec![key_number(record.clone()), many.person.clone()]),
                        // The person's number, its low three bits for the flags.
                        many.person.clone() / lit(8u64) * lit(8u64)
                            + when(holds(&fewer.feeds).and(record.clone().is_not_null()), lit(1u64))
                                .otherwise(lit(0u64))?
                            + flag(&many.feeds, 2)?,
                    )
                }
                _ => continue,
            };
            let filter = match (&many.feeds, &fewer.feeds) {
                (Some(a), Some(b)) => Some(a.clone().or(b.clone())),
                _ => None,
            };
            let aggregate = Expr::AggregateFunction(AggregateFunction::new_udf(
                atoms_udaf(udaf),
                vec![key, signature],
                false,
                filter.map(Box::new),
                vec![],
                None,
            ));
            out.push((aggregate, *i, *j));
        }
    }
    Ok(out)
}

/// `bit` on the rows `feeds` keeps, else 0.
fn flag(feeds: &Option<Expr>, bit: u64) -> Result<Expr> {
    when(holds(feeds), lit(bit)).otherwise(lit(0u64))
}

/// The cells of one check to hide in one row, by position in its aggregates, so that no
/// atom of 1 to `min_persons - 1` persons, nor any atom of `flagged` signatures (dominated,
/// or of too few units), is determined by the cells left released.
/// `atoms`: the aggregate's `[signature, persons, …]`; `released[i]`: whether cell i is
/// released (a hidden cell determines nothing); `priority[i]`: how much cell i is wanted.
pub fn cells_to_hide(
    atoms: &[u64],
    (flagged, flagged_pairs): &(Vec<u64>, Vec<[u64; 2]>),
    released: &[bool],
    priority: &[f64],
    min_persons: u64,
) -> Result<Vec<usize>> {
    let atoms: Vec<(u64, u64)> = atoms.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let mut cells: Vec<Vec<u32>> = (0..released.len())
        .map(|i| {
            (0..atoms.len() as u32)
                .filter(|k| atoms[*k as usize].0 & (1 << i) != 0)
                .collect()
        })
        .collect();
    let persons: Vec<u64> = atoms.iter().map(|(_, n)| *n).collect();
    let mut primaries = small_group_primaries(&persons, &cells, min_persons);
    // A flagged atom is a primary cell; so are, per cell, the flagged atoms inside it and
    // those outside it, summed: a fourth cell determined two facilities' claims (or two
    // dominated prefectures' points) together while neither alone (a red-team pass). Hiding
    // a sum of flagged atoms that would pass the rules only hides more.
    let flagged: Vec<u32> = (0..atoms.len() as u32)
        .filter(|k| flagged.contains(&atoms[*k as usize].0))
        .collect();
    let mut protect = |part: Vec<u32>| {
        if !part.is_empty() && !primaries.contains(&part) {
            primaries.push(part);
        }
    };
    for k in &flagged {
        protect(vec![*k]);
    }
    let at = |signature: u64| atoms.iter().position(|(s, _)| *s == signature).map(|k| k as u32);
    for [a, b] in flagged_pairs {
        if let (Some(a), Some(b)) = (at(*a), at(*b)) {
            protect(vec![a.min(b), a.max(b)]);
        }
    }
    for part in parts_inside_and_outside(&cells, &flagged) {
        protect(part);
    }
    if primaries.is_empty() {
        return Ok(Vec::new());
    }
    let mut status: Vec<CellStatus> = released
        .iter()
        .map(|r| {
            if *r {
                CellStatus::Candidate
            } else {
                CellStatus::Unpublished
            }
        })
        .collect();
    let mut priority = priority.to_vec();
    for primary in primaries {
        cells.push(primary);
        status.push(CellStatus::Primary);
        priority.push(0.0);
    }
    secondary_suppression(atoms.len(), &cells, &status, &priority)
        .map_err(|_| datafusion::error::DataFusionError::Internal("disclosure control: the span check failed".into()))
}

/// The cells of a check across kinds to hide in one row (`renkei_disclosure::profile_cells_to_hide`).
/// `atoms`: the profiles aggregate's `[persons, length, count₀, …]`; `counts_persons`: bit i
/// when cell i counts persons, where a person adds 1 however many of their rows feed it.
pub fn profile_cells_to_hide(
    atoms: &[u64],
    counts_persons: u64,
    released: &[bool],
    priority: &[f64],
    min_persons: u64,
) -> Result<Vec<usize>> {
    let bad = || datafusion::error::DataFusionError::Internal("disclosure control: bad profiles".into());
    let mut profiles = Vec::new();
    let mut rest = atoms;
    while let [persons, length, tail @ ..] = rest {
        let length = usize::try_from(*length).map_err(|_| bad())?;
        let counts = tail.get(..length).ok_or_else(bad)?;
        let counts = counts
            .iter()
            .enumerate()
            .map(|(bit, c)| {
                let c = if counts_persons & (1 << bit) != 0 {
                    (*c).min(1)
                } else {
                    *c
                };
                i64::try_from(c).map_err(|_| bad())
            })
            .collect::<Result<Vec<i64>>>()?;
        profiles.push(Profile {
            counts,
            persons: *persons,
        });
        rest = &tail[length..];
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok(renkei_disclosure::profile_cells_to_hide(
        &profiles,
        released,
        priority,
        min_persons,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// all, women, men under 98: atoms women (0b011: in all and women), men under 98 (0b101),
    /// men 98+ (0b001, one person).
    const THREE_COLUMNS: &[u64] = &[0b001, 1, 0b011, 500, 0b101, 480];

    #[test]
    fn a_small_atom_in_the_span_hides_a_cell() {
        let hidden = cells_to_hide(
            THREE_COLUMNS,
            &Default::default(),
            &[true, true, true],
            &[981.0, 500.0, 480.0],
            10,
        )
        .expect("checks");
        assert_eq!(hidden, vec![2], "the least wanted cell goes");
        // With one of them hidden already, the other two determine nothing small.
        let hidden = cells_to_hide(
            THREE_COLUMNS,
            &Default::default(),
            &[true, true, false],
            &[981.0, 500.0, 480.0],
            10,
        )
        .expect("checks");
        assert!(hidden.is_empty());
    }

    #[test]
    fn a_sum_of_small_atoms_hides_a_cell() {
        // men, women, all but one man and one woman: atoms men in it (0b101, 39), the man
        // apart (0b001, 1), women in it (0b110, 49), the woman apart (0b010, 1).
        let atoms = &[0b001, 1, 0b010, 1, 0b101, 39, 0b110, 49];
        let hidden = cells_to_hide(atoms, &Default::default(), &[true; 3], &[40.0, 50.0, 88.0], 10).expect("checks");
        assert_eq!(hidden.len(), 1, "{hidden:?}");
    }

    #[test]
    fn atoms_of_ten_or_none_need_nothing() {
        let big = &[0b001, 10, 0b011, 500, 0b101, 480];
        assert!(
            cells_to_hide(big, &Default::default(), &[true; 3], &[1.0; 3], 10)
                .expect("checks")
                .is_empty()
        );
        // Three nested cells: all, 65+, 85+ — every atom large.
        let nested = &[0b001, 300, 0b011, 200, 0b111, 50];
        assert!(
            cells_to_hide(nested, &Default::default(), &[true; 3], &[1.0; 3], 10)
                .expect("checks")
                .is_empty()
        );
    }
}
