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
use crate::refuse;
use datafusion::common::Result;
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Expr, lit, when};
use renkei_disclosure::{CellStatus, secondary_suppression};

/// `true` on the rows `feeds` keeps (all when `None`), `false` where it is false or NULL.
pub fn holds(feeds: &Option<Expr>) -> Expr {
    feeds
        .as_ref()
        .map_or(lit(true), |f| coalesce(vec![f.clone(), lit(false)]))
}

/// What one aggregate of the final aggregation adds up, for grouping cells by kind.
#[derive(Clone, PartialEq)]
pub struct Cell {
    pub atoms: Atoms,
    /// What each row adds (`1` for COUNT, the argument for SUM); none for persons.
    pub value: Option<Expr>,
    /// The person expression (a class's person, as its number) the atoms are counted on.
    pub person: Expr,
    /// The rows that feed it (`None`: all).
    pub feeds: Option<Expr>,
}

/// For every kind with three or more cells (two are judged by the pairwise rule, which also
/// hides differences that are not determined), the hidden aggregate that counts the persons
/// of each atom, with the aggregates it covers. More than [`MAX_CELLS`] cells of one kind in
/// one row are refused.
pub fn atom_aggregates(cells: &[Option<Cell>]) -> Result<Vec<(Expr, Vec<usize>)>> {
    let mut kinds: Vec<(&Cell, Vec<usize>)> = Vec::new();
    for (j, cell) in cells.iter().enumerate() {
        let Some(cell) = cell else { continue };
        let same = |k: &Cell| k.atoms == cell.atoms && k.value == cell.value && k.person == cell.person;
        match kinds.iter_mut().find(|(k, _)| same(k)) {
            Some((_, members)) => members.push(j),
            None => kinds.push((cell, vec![j])),
        }
    }
    let mut out = Vec::new();
    for (kind, members) in kinds.into_iter().filter(|(_, m)| m.len() >= 3) {
        if members.len() > MAX_CELLS {
            return Err(refuse(format!(
                "more than {MAX_CELLS} counts or sums of one value in one row are refused: their differences \
                 cannot be checked"
            )));
        }
        let mut signature: Option<Expr> = None;
        for (bit, j) in members.iter().enumerate() {
            let term = when(
                holds(&cells[*j].as_ref().and_then(|c| c.feeds.clone())),
                lit(1u64 << bit),
            )
            .otherwise(lit(0u64))?;
            signature = Some(match signature {
                Some(s) => s + term,
                None => term,
            });
        }
        let feeds: Option<Vec<Expr>> = members
            .iter()
            .map(|j| cells[*j].as_ref().and_then(|c| c.feeds.clone()))
            .collect();
        let filter = feeds.and_then(|f| f.into_iter().reduce(Expr::or));
        let aggregate = Expr::AggregateFunction(AggregateFunction::new_udf(
            atoms_udaf(kind.atoms),
            vec![kind.person.clone(), signature.unwrap_or_else(|| lit(0u64))],
            false,
            filter.map(Box::new),
            vec![],
            None,
        ));
        out.push((aggregate, members));
    }
    Ok(out)
}

/// For every COUNT of rows beside a distinct count of the same persons, the hidden aggregate
/// that counts the persons who add a different number to each (`renkei_repeated_persons`),
/// with the two aggregates: their difference is about those persons alone, and the pairwise
/// rule hides it when they are 1 to min_persons − 1 (`count(*) - count(DISTINCT person)`
/// over a LEFT JOIN that repeats one man's rows was his number of claims).
pub fn repeat_aggregates(cells: &[Option<Cell>]) -> Result<Vec<(Expr, usize, usize)>> {
    let mut out = Vec::new();
    for (i, rows) in cells.iter().enumerate() {
        let Some(rows) = rows
            .as_ref()
            .filter(|c| c.atoms == Atoms::Rows && c.value == Some(lit(1i64)))
        else {
            continue;
        };
        for (j, persons) in cells.iter().enumerate() {
            let Some(persons) = persons
                .as_ref()
                .filter(|c| c.atoms == Atoms::Persons && c.person == rows.person)
            else {
                continue;
            };
            let signature = when(holds(&persons.feeds), lit(1u64)).otherwise(lit(0u64))?
                + when(holds(&rows.feeds), lit(2u64)).otherwise(lit(0u64))?;
            let filter = match (&rows.feeds, &persons.feeds) {
                (Some(a), Some(b)) => Some(a.clone().or(b.clone())),
                _ => None,
            };
            let aggregate = Expr::AggregateFunction(AggregateFunction::new_udf(
                atoms_udaf(Atoms::Repeats),
                vec![rows.person.clone(), signature],
                false,
                filter.map(Box::new),
                vec![],
                None,
            ));
            out.push((aggregate, i, j));
        }
    }
    Ok(out)
}

/// The cells of one check to hide in one row, by position in its aggregates, so that no
/// atom of 1 to `min_persons - 1` persons is determined by the cells left released.
/// `atoms`: the aggregate's `[signature, persons, …]`; `released[i]`: whether cell i is
/// released (a hidden cell determines nothing); `priority[i]`: how much cell i is wanted.
pub fn cells_to_hide(atoms: &[u64], released: &[bool], priority: &[f64], min_persons: u64) -> Result<Vec<usize>> {
    let atoms: Vec<(u64, u64)> = atoms.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let small: Vec<usize> = (0..atoms.len())
        .filter(|k| (1..min_persons).contains(&atoms[*k].1))
        .collect();
    if small.is_empty() {
        return Ok(Vec::new());
    }
    let mut cells: Vec<Vec<u32>> = (0..released.len())
        .map(|i| {
            (0..atoms.len() as u32)
                .filter(|k| atoms[*k as usize].0 & (1 << i) != 0)
                .collect()
        })
        .collect();
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
    for k in small {
        cells.push(vec![k as u32]);
        status.push(CellStatus::Primary);
        priority.push(0.0);
    }
    secondary_suppression(atoms.len(), &cells, &status, &priority)
        .map_err(|_| datafusion::error::DataFusionError::Internal("disclosure control: the span check failed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// all, women, men under 98: atoms women (0b011: in all and women), men under 98 (0b101),
    /// men 98+ (0b001, one person).
    const THREE_COLUMNS: &[u64] = &[0b001, 1, 0b011, 500, 0b101, 480];

    #[test]
    fn a_small_atom_in_the_span_hides_a_cell() {
        let hidden = cells_to_hide(THREE_COLUMNS, &[true, true, true], &[981.0, 500.0, 480.0], 10).expect("checks");
        assert_eq!(hidden, vec![2], "the least wanted cell goes");
        // With one of them hidden already, the other two determine nothing small.
        let hidden = cells_to_hide(THREE_COLUMNS, &[true, true, false], &[981.0, 500.0, 480.0], 10).expect("checks");
        assert!(hidden.is_empty());
    }

    #[test]
    fn atoms_of_ten_or_none_need_nothing() {
        let big = &[0b001, 10, 0b011, 500, 0b101, 480];
        assert!(
            cells_to_hide(big, &[true; 3], &[1.0; 3], 10)
                .expect("checks")
                .is_empty()
        );
        // Three nested cells: all, 65+, 85+ — every atom large.
        let nested = &[0b001, 300, 0b011, 200, 0b111, 50];
        assert!(
            cells_to_hide(nested, &[true; 3], &[1.0; 3], 10)
                .expect("checks")
                .is_empty()
        );
    }
}
