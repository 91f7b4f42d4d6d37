//! Secondary suppression by Gaussian elimination: the GaussSuppression idea of Statistics
//! Norway (Langsrud 2024, R package SSBtools), done in exact integer arithmetic.
//!
//! Every output cell is a sum of inner (finest-level) cells, so it is a 0/1 vector over the
//! inner cells: a column of the model matrix. Publishing a set of cells reveals exactly the
//! linear combinations of inner cells in the span of their vectors; a hidden (primary) cell can
//! be recomputed from the published ones exactly when its vector lies in that span.
//!
//! Candidates are taken in the order we most want to publish them (highest priority first).
//! The published cells are kept as an echelon basis `B` (each vector with its own pivot inner
//! index, and zero at the pivots of the vectors before it), and every primary cell `p` as its
//! residual `r_p`: `p` with every pivot of `B` eliminated. `p` is in `span(B)` exactly when
//! `r_p` is zero. A candidate `c` is reduced the same way to `r_c`:
//!
//! * `r_c = 0`: `c` is already computable from the published cells, so publishing it reveals
//!   nothing new; it is published.
//! * otherwise publishing `c` makes the span `span(B) + r_c`. A residual `r_p` (zero at every
//!   pivot of `B`) lies in that span only as a multiple of `r_c`: in any combination
//!   `Σ aᵢ bᵢ + λ r_c` equal to `r_p`, the oldest `bᵢ` with `aᵢ ≠ 0` would leave a non-zero at
//!   its pivot, where `r_p`, `r_c` and every later basis vector are zero. So `c` discloses a
//!   primary exactly when some `r_p` is parallel to `r_c`; then `c` is hidden (secondary
//!   suppression), else it is published, `r_c` joins `B` and the residuals are updated.
//!
//! Vectors are kept primitive (coefficients with no common factor, the first positive), so
//! "parallel" is plain equality, and all arithmetic is checked `i128` on integers: no rounding
//! can make a dependence look like an independence. Should a coefficient ever overflow, the
//! candidate being considered is hidden: hiding a cell never makes a primary computable, so
//! the answer stays safe and only possibly hides more than needed.
//!
//! This protects against exact recomputation through linear relations. It does not bound how
//! closely a hidden value can be narrowed down (e.g. from counts being non-negative), nor
//! protect a sum of several primary cells: those are the usual limits of GaussSuppression.

use std::collections::BTreeSet;

/// Role of each published-candidate cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellStatus {
    /// May be published, unless hidden to protect others.
    Candidate,
    /// Hidden by a primary rule: must not be exactly recomputable from published cells.
    Primary,
    /// Not published, but needs no protection (e.g. filtered out by the user's HAVING).
    Unpublished,
    /// Published already (an earlier output's cell): in the span whatever it discloses, never
    /// hidden, taken before every candidate.
    Released,
}

/// Inputs [`secondary_suppression`] cannot work with.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum SecondaryError {
    #[error("{cells} cells, but {statuses} statuses and {priorities} priorities")]
    LengthMismatch {
        cells: usize,
        statuses: usize,
        priorities: usize,
    },
    #[error("cell {cell} adds up inner cell {inner}, but there are {inner_count} inner cells")]
    InnerOutOfRange {
        cell: usize,
        inner: u32,
        inner_count: usize,
    },
    #[error("cell {cell} lists its inner cells out of order or more than once")]
    InnerNotSorted { cell: usize },
    #[error("cell {cell} has a priority that is not a number")]
    PriorityNotANumber { cell: usize },
    /// The cells published already overflowed the exact arithmetic: none can be hidden, so
    /// the caller must hide every candidate.
    #[error("the released cells' relations overflowed the exact arithmetic")]
    ReleasedOverflow,
}

/// `cells[j]`: the sorted, deduplicated indices of the inner (finest-level) cells that output
/// cell j adds up (its column of the 0/1 model matrix). Inner indices run 0..inner_count.
/// `priority[j]`: higher means "keep this cell published if you can" (callers pass e.g. the
/// cell's count).
///
/// Returns the indices of Candidate cells that must additionally be hidden (sorted), chosen so
/// that, with them hidden, no Primary cell's vector lies in the linear span (over the
/// rationals) of the published cells' vectors — i.e. no Primary cell can be solved exactly
/// from the published cells through any linear relation. Candidates are decided in descending
/// priority, ties by ascending index, so the result is deterministic.
///
/// A Primary cell that adds up no inner cell is the empty sum: its value is known from the
/// table's structure alone, contains no person, and no pattern of hidden cells could hide it,
/// so it asks for no protection. Unpublished cells neither reveal anything nor are returned.
pub fn secondary_suppression(
    inner_count: usize,
    cells: &[Vec<u32>],
    status: &[CellStatus],
    priority: &[f64],
) -> Result<Vec<usize>, SecondaryError> {
    secondary_suppression_with_empty_cells(inner_count, inner_count, cells, status, priority)
}

/// [`secondary_suppression`] for a table whose inner cells from `empty_from` on are **empty
/// cells**: combinations of labels the table has no row for (nobody is in them), which a
/// reader may know to be possible labels. Their value, zero, is taken as known to the reader,
/// and no published combination may consist of empty cells alone.
///
/// Why: where zeros are hidden, an empty group and a group of 1 to 9 persons must look alike.
/// In `GROUP BY ROLLUP (CASE WHEN <one person's condition> THEN 'x' ELSE 'rest' END)` the
/// row 'x' is withheld when small and missing when empty; without empty cells the first case
/// hid 'rest' (the total minus 'rest' is 'x') and the second hid nothing, one yes/no per
/// query. With 'x' an empty cell when missing, the total minus 'rest' is a combination of
/// empty cells alone, so 'rest' is hidden either way; and a small 'x' beside an empty cell of
/// the same totals is solved as if that cell were known, as a reader who knows the labels
/// would solve it.
pub fn secondary_suppression_with_empty_cells(
    inner_count: usize,
    empty_from: usize,
    cells: &[Vec<u32>],
    status: &[CellStatus],
    priority: &[f64],
) -> Result<Vec<usize>, SecondaryError> {
    validate(inner_count, cells, status, priority)?;

    let mut published = Published::new(inner_count, empty_from);
    let mut primaries: Vec<Combination> = cells
        .iter()
        .zip(status)
        .filter(|(_, status)| **status == CellStatus::Primary)
        .map(|(inner, _)| published.seen_part(inner))
        .filter(|seen| !seen.is_empty())
        .map(Combination::of_cell)
        .collect();
    let mut candidates: Vec<usize> = (0..cells.len())
        .filter(|&j| status[j] == CellStatus::Candidate)
        .collect();
    candidates.sort_by(|&a, &b| priority[b].total_cmp(&priority[a]).then(a.cmp(&b)));

    for (inner, _) in cells.iter().zip(status).filter(|(_, s)| **s == CellStatus::Released) {
        if !published.publish(&mut primaries, inner, Publish::Always) {
            return Err(SecondaryError::ReleasedOverflow);
        }
    }
    let mut hidden = Vec::new();
    for cell in candidates {
        if !published.publish(&mut primaries, &cells[cell], Publish::IfSafe) {
            hidden.push(cell);
        }
    }
    hidden.sort_unstable();
    Ok(hidden)
}

/// The primary cells that protect the small groups among the inner cells of a span check:
/// every inner cell of 1 to `min_persons − 1` persons (`persons[i]`), and, per output cell
/// (`cells`, sorted inner indices as for [`secondary_suppression`]), its small inner cells
/// inside it and those outside it, summed, where that sum holds fewer than `min_persons`. The
/// span of single small cells does not see a sum: men + women − "all but the man aged 95 and
/// the woman aged 98" is the two of them, each a group of one.
pub fn small_group_primaries(persons: &[u64], cells: &[Vec<u32>], min_persons: u64) -> Vec<Vec<u32>> {
    let small = |n: u64| (1..min_persons).contains(&n);
    let small_cells: Vec<u32> = (0..persons.len() as u32)
        .filter(|i| small(persons[*i as usize]))
        .collect();
    let mut primaries: Vec<Vec<u32>> = small_cells.iter().map(|i| vec![*i]).collect();
    primaries.extend(
        parts_inside_and_outside(cells, &small_cells)
            .filter(|part| small(part.iter().map(|i| persons[*i as usize]).sum())),
    );
    primaries
}

/// Per output cell (`cells`, sorted inner indices), the `marked` inner cells inside it and
/// those outside it, each where there are two or more: sums a cell can determine while it
/// determines none of them alone.
pub fn parts_inside_and_outside<'a>(cells: &'a [Vec<u32>], marked: &'a [u32]) -> impl Iterator<Item = Vec<u32>> + 'a {
    cells.iter().flat_map(move |cell| {
        [true, false].into_iter().filter_map(move |inside| {
            let part: Vec<u32> = marked
                .iter()
                .copied()
                .filter(|i| cell.binary_search(i).is_ok() == inside)
                .collect();
            (part.len() > 1).then_some(part)
        })
    })
}

fn validate(
    inner_count: usize,
    cells: &[Vec<u32>],
    status: &[CellStatus],
    priority: &[f64],
) -> Result<(), SecondaryError> {
    if status.len() != cells.len() || priority.len() != cells.len() {
        return Err(SecondaryError::LengthMismatch {
            cells: cells.len(),
            statuses: status.len(),
            priorities: priority.len(),
        });
    }
    for (cell, inner) in cells.iter().enumerate() {
        if let Some(&out_of_range) = inner.iter().find(|&&i| i as usize >= inner_count) {
            return Err(SecondaryError::InnerOutOfRange {
                cell,
                inner: out_of_range,
                inner_count,
            });
        }
        if inner.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(SecondaryError::InnerNotSorted { cell });
        }
    }
    if let Some(cell) = priority.iter().position(|p| p.is_nan()) {
        return Err(SecondaryError::PriorityNotANumber { cell });
    }
    Ok(())
}

/// Whether [`publish`] may refuse a cell.
#[derive(Clone, Copy, PartialEq)]
enum Publish {
    /// Unless that would make a primary computable.
    IfSafe,
    /// Whatever it makes computable (a cell published before).
    Always,
}

/// The published cells, as the reader sees them (`seen`: empty cells known to be zero, so
/// dropped) and, where the table has empty cells, whole (`whole`), to tell when a cell would
/// add a combination of empty cells alone.
struct Published {
    empty_from: usize,
    seen: Basis,
    whole: Option<Basis>,
}

impl Published {
    fn new(inner_count: usize, empty_from: usize) -> Published {
        Published {
            empty_from,
            seen: Basis::new(inner_count),
            whole: (empty_from < inner_count).then(|| Basis::new(inner_count)),
        }
    }

    /// The inner cells of `cell` (sorted) that are not empty.
    fn seen_part<'a>(&self, cell: &'a [u32]) -> &'a [u32] {
        &cell[..cell.partition_point(|&i| (i as usize) < self.empty_from)]
    }

    /// Publishes `cell` (under `when`), updating the primaries' residuals; returns whether it
    /// was published (false also when arithmetic overflowed).
    fn publish(&mut self, primaries: &mut [Combination], cell: &[u32], when: Publish) -> bool {
        let whole = match &self.whole {
            Some(basis) => match basis.reduce(Combination::of_cell(cell)) {
                Ok(residual) => residual.pivot().map(|pivot| (pivot, residual)),
                Err(Overflow) => return false,
            },
            None => None,
        };
        let Ok(residual) = self.seen.reduce(Combination::of_cell(self.seen_part(cell))) else {
            return false;
        };
        let Some(pivot) = residual.pivot() else {
            // What the reader sees of it is computable already; anything new it adds is a
            // combination of empty cells alone (an empty group told from a small one).
            if whole.is_some() && when == Publish::IfSafe {
                return false;
            }
            self.push_whole(whole);
            return true;
        };
        if when == Publish::IfSafe && primaries.contains(&residual) {
            return false;
        }
        // Work out every residual update before changing any, so that an overflow part-way
        // leaves the state as it was and the cell can simply be hidden.
        let mut updates = Vec::new();
        for (index, primary) in primaries.iter().enumerate() {
            if primary.coefficient(pivot) != 0 {
                match primary.eliminate(&residual, pivot) {
                    Ok(updated) => updates.push((index, updated)),
                    Err(Overflow) => return false,
                }
            }
        }
        for (index, updated) in updates {
            primaries[index] = updated;
        }
        self.seen.push(pivot, residual);
        self.push_whole(whole);
        true
    }

    fn push_whole(&mut self, residual: Option<(u32, Combination)>) {
        if let (Some(basis), Some((pivot, residual))) = (&mut self.whole, residual) {
            basis.push(pivot, residual);
        }
    }
}

/// An `i128` operation overflowed.
#[derive(Debug)]
pub(crate) struct Overflow;

/// An integer combination of inner cells: (inner index, coefficient) sorted by index, with no
/// zero coefficients. Kept primitive — coefficients without a common factor, the first one
/// positive — so that two combinations are parallel exactly when they are equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Combination(pub(crate) Vec<(u32, i128)>);

impl Combination {
    /// The 0/1 vector of an output cell (already primitive).
    fn of_cell(inner: &[u32]) -> Combination {
        Combination(inner.iter().map(|&i| (i, 1)).collect())
    }

    fn coefficient(&self, index: u32) -> i128 {
        match self.0.binary_search_by_key(&index, |&(i, _)| i) {
            Ok(at) => self.0[at].1,
            Err(_) => 0,
        }
    }

    /// Where this combination would be pivoted when it joins the basis; None when it is zero.
    pub(crate) fn pivot(&self) -> Option<u32> {
        self.0.first().map(|&(i, _)| i)
    }

    /// `self` with the coefficient at `index` cancelled by a multiple of `other` (whose
    /// coefficient there is non-zero), fraction-free: `(a·self − b·other) / g` made primitive,
    /// where `a`, `b` are the two coefficients at `index` and `g` their common factor.
    pub(crate) fn eliminate(&self, other: &Combination, index: u32) -> Result<Combination, Overflow> {
        let b = self.coefficient(index);
        let a = other.coefficient(index);
        let common = i128::try_from(gcd(a.unsigned_abs(), b.unsigned_abs())).map_err(|_| Overflow)?;
        let (a, b) = (a / common, b / common);
        let scaled = |c: i128, by: i128| c.checked_mul(by).ok_or(Overflow);
        let mut merged = Vec::with_capacity(self.0.len() + other.0.len());
        let (mut left, mut right) = (self.0.iter().peekable(), other.0.iter().peekable());
        loop {
            let (index, value) = match (left.peek(), right.peek()) {
                (Some(&&(i, x)), Some(&&(j, y))) if i == j => {
                    left.next();
                    right.next();
                    (i, scaled(x, a)?.checked_sub(scaled(y, b)?).ok_or(Overflow)?)
                }
                (Some(&&(i, x)), Some(&&(j, _))) if i < j => {
                    left.next();
                    (i, scaled(x, a)?)
                }
                (Some(&&(i, x)), None) => {
                    left.next();
                    (i, scaled(x, a)?)
                }
                (_, Some(&&(j, y))) => {
                    right.next();
                    (j, scaled(y, b)?.checked_neg().ok_or(Overflow)?)
                }
                (None, None) => break,
            };
            if value != 0 {
                merged.push((index, value));
            }
        }
        let mut combination = Combination(merged);
        combination.make_primitive()?;
        Ok(combination)
    }

    pub(crate) fn make_primitive(&mut self) -> Result<(), Overflow> {
        let common = self.0.iter().fold(0u128, |g, &(_, c)| gcd(g, c.unsigned_abs()));
        if common == 0 {
            return Ok(());
        }
        let common = i128::try_from(common).map_err(|_| Overflow)?;
        let sign = if self.0[0].1 < 0 { -1 } else { 1 };
        let divisor = common.checked_mul(sign).ok_or(Overflow)?;
        if divisor != 1 {
            for (_, c) in &mut self.0 {
                *c /= divisor;
            }
        }
        Ok(())
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The published cells as an echelon basis: vector `r` has a non-zero at its pivot and zeros
/// at the pivots of vectors `0..r`.
pub(crate) struct Basis {
    vectors: Vec<(u32, Combination)>,
    /// For each inner index, the position in `vectors` of the vector pivoted there.
    pivot_rank: Vec<Option<usize>>,
}

impl Basis {
    pub(crate) fn new(inner_count: usize) -> Basis {
        Basis {
            vectors: Vec::new(),
            pivot_rank: vec![None; inner_count],
        }
    }

    fn rank_at(&self, index: u32) -> Option<usize> {
        self.pivot_rank[index as usize]
    }

    pub(crate) fn push(&mut self, pivot: u32, vector: Combination) {
        self.pivot_rank[pivot as usize] = Some(self.vectors.len());
        self.vectors.push((pivot, vector));
    }

    /// `vector` with every pivot eliminated. Pivots are eliminated oldest first: vector `r`
    /// is zero at the pivots before it, so eliminating with it can only bring in non-zeros at
    /// later pivots, which are still to come.
    pub(crate) fn reduce(&self, mut vector: Combination) -> Result<Combination, Overflow> {
        let mut pending: BTreeSet<usize> = vector.0.iter().filter_map(|&(i, _)| self.rank_at(i)).collect();
        while let Some(rank) = pending.pop_first() {
            let (pivot, basis_vector) = &self.vectors[rank];
            // An earlier elimination may already have cancelled this entry.
            if vector.coefficient(*pivot) == 0 {
                continue;
            }
            vector = vector.eliminate(basis_vector, *pivot)?;
            pending.extend(
                basis_vector
                    .0
                    .iter()
                    .filter_map(|&(i, _)| self.rank_at(i))
                    .filter(|&r| r > rank),
            );
        }
        Ok(vector)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn released_cells_count_against_the_candidates() {
        // Inner: 0 = men aged 99 (one person), 1 = everyone else. Released before: all (0, 1).
        // Now: everyone but the men aged 99 (1). Together they give inner 0.
        let cells = vec![vec![0, 1], vec![1], vec![0]];
        let status = [CellStatus::Released, CellStatus::Candidate, CellStatus::Primary];
        let hidden = secondary_suppression(2, &cells, &status, &[1.0, 1.0, 0.0]).expect("valid");
        assert_eq!(hidden, vec![1]);
        // The same cell as a candidate of its own output would be kept and the total hidden.
        let status = [CellStatus::Candidate, CellStatus::Candidate, CellStatus::Primary];
        let hidden = secondary_suppression(2, &cells, &status, &[1.0, 2.0, 0.0]).expect("valid");
        assert_eq!(hidden, vec![0]);
    }

    use super::*;

    #[test]
    fn an_empty_group_and_a_small_one_hide_the_same_cells() {
        use CellStatus::{Candidate, Primary};
        // GROUP BY ROLLUP (CASE WHEN c THEN 'x' ELSE 'rest' END), nobody with c: row 0 'rest'
        // (inner 0), row 1 the total (inner 0 and the empty cell 'x', inner 1).
        let cells = [vec![0], vec![0, 1]];
        let priority = [100.0, 1e12 + 100.0];
        let hidden = secondary_suppression_with_empty_cells(2, 1, &cells, &[Candidate, Candidate], &priority);
        assert_eq!(hidden.expect("valid"), vec![0]);
        // Without the empty cell nothing is hidden: the reader, knowing the labels, reads 0.
        let hidden = secondary_suppression(1, &[vec![0], vec![0]], &[Candidate, Candidate], &priority);
        assert_eq!(hidden.expect("valid"), Vec::<usize>::new());
        // Some with c: row 1 'x' (inner 1, withheld), row 2 the total, beside the empty cell of
        // labels no row has (inner 2), which a reader who knows there are none reads as 0.
        let cells = [vec![0], vec![1], vec![0, 1, 2]];
        let priority = [95.0, 5.0, 1e12 + 100.0];
        let hidden = secondary_suppression_with_empty_cells(3, 2, &cells, &[Candidate, Primary, Candidate], &priority);
        assert_eq!(hidden.expect("valid"), vec![0]);
    }

    fn combination(entries: &[(u32, i128)]) -> Combination {
        Combination(entries.to_vec())
    }

    #[test]
    fn elimination_is_fraction_free_and_primitive() {
        // (2, 0, 4) against (3, 5, 0) at index 0: 3·(2,0,4) − 2·(3,5,0) = (0, −10, 12) → (5, −6).
        let eliminated = combination(&[(0, 2), (2, 4)]).eliminate(&combination(&[(0, 3), (1, 5)]), 0);
        assert_eq!(eliminated.expect("small numbers").0, vec![(1, 5), (2, -6)]);
    }

    #[test]
    fn parallel_combinations_become_equal() {
        let mut negative = combination(&[(3, -4), (7, 6)]);
        negative.make_primitive().expect("small numbers");
        assert_eq!(negative, combination(&[(3, 2), (7, -3)]));
    }

    #[test]
    fn reduction_removes_every_pivot() {
        let mut basis = Basis::new(4);
        basis.push(0, combination(&[(0, 1), (1, 1), (2, 1)]));
        basis.push(1, combination(&[(1, 1), (3, -1)]));
        let reduced = basis.reduce(Combination::of_cell(&[0, 3])).expect("small numbers");
        // (1,0,0,1) − (1,1,1,0) = (0,−1,−1,1); + (0,1,0,−1) = (0,0,−1,0) → (0,0,1,0).
        assert_eq!(reduced, combination(&[(2, 1)]));
    }

    #[test]
    fn overflow_hides_the_candidate_and_changes_nothing() {
        let huge = i128::MAX / 2 + 2; // odd, so no common factor with 2 divides it away
        let mut published = Published::new(4, 4);
        published.seen.push(0, combination(&[(0, 1), (1, huge), (2, 1)]));
        published.seen.push(1, combination(&[(1, 2), (3, 1)]));
        let mut primaries = vec![combination(&[(2, 1), (3, 1)])];
        let before = primaries.clone();
        // e0 − v0 = −(0, huge, 1, 0); eliminating index 1 with v1 then needs 2·huge.
        assert!(published.seen.reduce(Combination::of_cell(&[0])).is_err());
        assert!(!published.publish(&mut primaries, &[0], Publish::IfSafe));
        assert_eq!((published.seen.vectors.len(), primaries), (2, before));
    }
}
