//! The span check across the kinds of a row's cells: counts of rows and counts of persons
//! side by side.
//!
//! Each person adds a number to each cell (their rows in a count of rows, 0 or 1 to a count
//! of persons): their **profile**, a vector over the row's cells. A combination `Σ λᵢ·cellᵢ`
//! is `Σ_persons λ·profile`, so it is about exactly the persons whose profile is not
//! orthogonal to λ. Three cells, each pair far apart, can still isolate a few:
//! `count(*) − count(*) FILTER (WHERE age < 90) − count(DISTINCT person) FILTER (WHERE age >= 90)`
//! is the extra certifications of the 5 persons aged 90+ with two (profiles `(r, r, 0)` and
//! `(r, 0, 1)`; λ = (1, −1, −1) is zero on all but `(2, 0, 1)`).
//!
//! Persons with the same profile form a group; the released cells are safe when no λ leaves
//! a non-zero on groups of 1 to min_persons − 1 persons in all. The groups λ is zero on span
//! a subspace, so the question is: is there a hyperplane of the span of all profiles whose
//! complement holds few persons? Every such hyperplane contains the span `B` of the large
//! groups (min_persons or more persons); modulo `B`, only the small groups' residuals are
//! left, and a hyperplane with the fewest persons outside is spanned by residuals (one
//! spanned by fewer could take in one more residual). So:
//! - no residual, or residuals of one dimension holding min_persons or more persons: safe;
//! - residuals holding fewer than min_persons persons in all: not safe;
//! - otherwise the sets of residuals of fewer than min_persons persons whose removal lowers
//!   the rank are searched for (a hyperplane's complement), branching on the light members of
//!   a basis, up to [`SEARCHED_SETS`] sets; beyond that the answer is "not safe", so the
//!   caller hides a cell (fail closed). Enumerating the hyperplanes themselves, as this did
//!   first, grows as the number of residuals to the power of the rank.
//!
//! Arithmetic is exact (checked `i128`, fraction-free elimination of `secondary.rs`); an
//! overflow counts as "not safe".

use crate::secondary::{Basis, Combination, Overflow};
use std::collections::BTreeMap;

/// Persons who add the same numbers to a row's cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// What each of them adds to each cell of the row, by cell.
    pub counts: Vec<i64>,
    /// How many persons have it.
    pub persons: u64,
}

/// The cells of a row to hide, besides those not `released`, so that no combination of the
/// released ones is about 1 to `min_persons − 1` persons. Cells go least wanted first
/// (`priority`, ties by index); a cell whose hiding alone makes the rest safe is preferred.
pub fn profile_cells_to_hide(
    profiles: &[Profile],
    released: &[bool],
    priority: &[f64],
    min_persons: u64,
) -> Vec<usize> {
    let shown: Vec<usize> = (0..released.len()).filter(|i| released[*i]).collect();
    let mut hidden = hide_until_safe(
        shown,
        |_| true,
        |cell| priority[cell],
        usize::MAX,
        |shown| isolates_few(profiles, shown, min_persons),
    );
    hidden.sort_unstable();
    hidden
}

/// Hides cells of `shown` that `may_hide` allows, one at a time, until `isolates` says the rest
/// are safe: least wanted first (`priority`, ties by index), preferring among the first
/// `tried` of them a cell whose hiding alone makes the rest safe. The cells hidden, in order.
pub(crate) fn hide_until_safe(
    mut shown: Vec<usize>,
    may_hide: impl Fn(usize) -> bool,
    priority: impl Fn(usize) -> f64,
    tried: usize,
    isolates: impl Fn(&[usize]) -> bool,
) -> Vec<usize> {
    let mut hidden = Vec::new();
    while isolates(&shown) {
        let mut order: Vec<usize> = shown.iter().copied().filter(|c| may_hide(*c)).collect();
        if order.is_empty() {
            break;
        }
        order.sort_by(|a, b| priority(*a).total_cmp(&priority(*b)).then(a.cmp(b)));
        let without = |cell: usize| shown.iter().copied().filter(|c| *c != cell).collect::<Vec<_>>();
        let pick = order
            .iter()
            .take(tried)
            .copied()
            .find(|cell| !isolates(&without(*cell)))
            .unwrap_or(order[0]);
        shown = without(pick);
        hidden.push(pick);
    }
    hidden
}

/// Whether some combination of the cells `shown` is about 1 to `min_persons − 1` persons.
pub fn isolates_few(profiles: &[Profile], shown: &[usize], min_persons: u64) -> bool {
    check(profiles, shown, min_persons).unwrap_or(true)
}

/// [`isolates_few`] for cells that count persons once each: cell `c` is the sum of its atoms
/// `cells[c]` (groups of `persons[a]` persons with one membership), so each atom's profile is
/// 1 on the cells that hold it. Signed combinations of whole cells can isolate a few where no
/// atom alone is in their span: `(B1 ∪ B2 ∪ A) − (B1 ∪ C) − B2` is `|A| − |C|`, two groups
/// of 2 and 1 persons (red team R15-1).
pub fn sums_of_atoms_isolate_few(persons: &[u64], cells: &[Vec<u32>], shown: &[usize], min_persons: u64) -> bool {
    let mut profiles: Vec<Vec<(u32, i128)>> = vec![Vec::new(); persons.len()];
    for (k, cell) in shown.iter().enumerate() {
        for atom in &cells[*cell] {
            profiles[*atom as usize].push((k as u32, 1));
        }
    }
    let mut groups: BTreeMap<Vec<(u32, i128)>, u64> = BTreeMap::new();
    for (entries, n) in profiles.into_iter().zip(persons) {
        if !entries.is_empty() {
            *groups.entry(entries).or_insert(0) += n;
        }
    }
    // Beyond the search's bounds the answer is "no" (fail open, as before this check; the
    // atom and pairwise checks still run): a month-by-prefecture ROLLUP of 282 cells ran for
    // 17 minutes on the 2,000-person sample and more when it searched on (red team R16-4).
    check_groups(&groups, shown.len(), min_persons, MAX_SIGNED_RESIDUALS).map_or(true, |found| found.unwrap_or(false))
}

/// Most residuals [`sums_of_atoms_isolate_few`] searches among: the attacks found so far need
/// a handful, ordinary outputs of a few dozen cells a few dozen.
pub const MAX_SIGNED_RESIDUALS: usize = 48;

fn check(profiles: &[Profile], shown: &[usize], min_persons: u64) -> Result<bool, Overflow> {
    // The profiles over the shown cells, persons with equal ones together.
    let mut groups: BTreeMap<Vec<(u32, i128)>, u64> = BTreeMap::new();
    for p in profiles {
        let entries: Vec<(u32, i128)> = shown
            .iter()
            .enumerate()
            .filter_map(|(k, cell)| {
                let c = p.counts.get(*cell).copied().unwrap_or(0);
                (c != 0).then_some((k as u32, i128::from(c)))
            })
            .collect();
        if !entries.is_empty() {
            *groups.entry(entries).or_insert(0) += p.persons;
        }
    }
    Ok(check_groups(&groups, shown.len(), min_persons, usize::MAX)?.unwrap_or(true))
}

/// Whether some combination of `dimension` cells is about 1 to `min_persons − 1` persons,
/// given the groups of persons by what they add to each cell (sparse, by cell); `None` where
/// more than `max_residuals` residuals or [`SEARCHED_SETS`] sets would have to be searched.
fn check_groups(
    groups: &BTreeMap<Vec<(u32, i128)>, u64>,
    dimension: usize,
    min_persons: u64,
    max_residuals: usize,
) -> Result<Option<bool>, Overflow> {
    let mut large = Basis::new(dimension);
    for (entries, _) in groups.iter().filter(|(_, n)| **n >= min_persons) {
        insert(&mut large, Combination(entries.clone()))?;
    }
    // The small groups modulo the large ones' span, parallel residuals together.
    let mut residuals: BTreeMap<Vec<(u32, i128)>, u64> = BTreeMap::new();
    for (entries, n) in groups.iter().filter(|(_, n)| **n < min_persons) {
        let mut residual = large.reduce(Combination(entries.clone()))?;
        residual.make_primitive()?;
        if residual.pivot().is_some() {
            *residuals.entry(residual.0).or_insert(0) += n;
        }
    }
    let outside_all: u64 = residuals.values().sum();
    if outside_all == 0 {
        return Ok(Some(false));
    }
    if outside_all < min_persons {
        return Ok(Some(true));
    }
    if residuals.len() > max_residuals {
        return Ok(None);
    }
    let directions: Vec<(Combination, u64)> = residuals.into_iter().map(|(e, n)| (Combination(e), n)).collect();
    let rank = basis_avoiding(&directions, &[], dimension)?.len();
    // One dimension: the only hyperplane is the large groups' span, with every small group
    // outside it.
    if rank == 1 {
        return Ok(Some(false));
    }
    let mut search = Search {
        directions: &directions,
        dimension,
        rank,
        visited: std::collections::HashSet::new(),
    };
    search.drops_rank(&mut Vec::new(), min_persons.saturating_sub(1))
}

/// The search for residuals of at most `budget` persons in all whose removal lowers the rank
/// (the complement of a hyperplane spanned by residuals; a cocircuit).
struct Search<'a> {
    directions: &'a [(Combination, u64)],
    dimension: usize,
    rank: usize,
    visited: std::collections::HashSet<Vec<usize>>,
}

impl Search<'_> {
    /// Whether some set of residuals holding `removed` and others of at most `budget` persons
    /// more lowers the rank. Any such set meets every basis of the rest, so it is enough to
    /// branch on the members of one basis light enough: the one taken heaviest first has the
    /// fewest (a greedy basis holds as many as any of the residuals heavier than the budget).
    /// Each set is tried once; past [`SEARCHED_SETS`] the answer is `None` (not known).
    fn drops_rank(&mut self, removed: &mut Vec<usize>, budget: u64) -> Result<Option<bool>, Overflow> {
        let mut key = removed.clone();
        key.sort_unstable();
        if !self.visited.insert(key) {
            return Ok(Some(false));
        }
        if self.visited.len() > SEARCHED_SETS {
            return Ok(None);
        }
        let basis = basis_avoiding(self.directions, removed, self.dimension)?;
        if basis.len() < self.rank {
            return Ok(Some(true));
        }
        for i in basis {
            let persons = self.directions[i].1;
            if persons <= budget {
                removed.push(i);
                let found = self.drops_rank(removed, budget - persons)?;
                removed.pop();
                if found != Some(false) {
                    return Ok(found);
                }
            }
        }
        Ok(Some(false))
    }
}

/// Most sets of residuals the search tries per check; beyond them the answer is not known
/// (in a row: "not safe"; across rows and outputs: see [`sums_of_atoms_isolate_few`]). Each
/// set costs a basis of all residuals, so this bounds a check's time.
pub const SEARCHED_SETS: usize = 2_000;

/// A basis of the residuals but `removed`, taken heaviest first (ties by position): their
/// indices.
fn basis_avoiding(
    directions: &[(Combination, u64)],
    removed: &[usize],
    dimension: usize,
) -> Result<Vec<usize>, Overflow> {
    let mut order: Vec<usize> = (0..directions.len()).filter(|i| !removed.contains(i)).collect();
    order.sort_by(|a, b| directions[*b].1.cmp(&directions[*a].1).then(a.cmp(b)));
    let mut basis = Basis::new(dimension);
    let mut taken = Vec::new();
    for i in order {
        if insert(&mut basis, directions[i].0.clone())? {
            taken.push(i);
        }
    }
    Ok(taken)
}

/// Adds `vector` to `basis` unless it lies in its span; whether it was added.
fn insert(basis: &mut Basis, vector: Combination) -> Result<bool, Overflow> {
    let residual = basis.reduce(vector)?;
    match residual.pivot() {
        Some(pivot) => {
            basis.push(pivot, residual);
            Ok(true)
        }
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(counts: &[i64], persons: u64) -> Profile {
        Profile {
            counts: counts.to_vec(),
            persons,
        }
    }

    /// certifications, those under 90, persons 90+: 107 persons under 90 with one, 16 aged
    /// 90+ with one, 5 aged 90+ with two.
    fn certifications() -> Vec<Profile> {
        vec![
            profile(&[1, 1, 0], 107),
            profile(&[1, 0, 1], 16),
            profile(&[2, 0, 1], 5),
        ]
    }

    #[test]
    fn rows_beside_persons_that_leave_a_few_are_found() {
        assert!(isolates_few(&certifications(), &[0, 1, 2], 10));
        let hidden = profile_cells_to_hide(&certifications(), &[true; 3], &[133.0, 107.0, 21.0], 10);
        assert_eq!(hidden.len(), 1, "{hidden:?}");
        // Any two of the three are safe.
        for pair in [[0, 1], [0, 2], [1, 2]] {
            assert!(!isolates_few(&certifications(), &pair, 10), "{pair:?}");
        }
    }

    #[test]
    fn many_small_groups_spread_over_one_dimension_are_safe() {
        // One count of rows over 15 persons with 1 to 15 rows each: every group is one person,
        // but the only combination is the count itself.
        let profiles: Vec<Profile> = (1..=15).map(|r| profile(&[r], 1)).collect();
        assert!(!isolates_few(&profiles, &[0], 10));
    }

    #[test]
    fn small_groups_that_large_ones_span_are_safe() {
        // Rows and persons of one group: 50 with one row, 40 with two, one with 57.
        let profiles = vec![
            profile(&[1, 1, 1], 50),
            profile(&[2, 1, 1], 40),
            profile(&[57, 1, 1], 1),
        ];
        assert!(!isolates_few(&profiles, &[0, 1, 2], 10));
    }

    #[test]
    fn a_hyperplane_through_small_groups_is_found() {
        // Two dimensions beyond the large group, three small directions of 6, 3 and 4 persons:
        // the plane through the first leaves 7 outside.
        let profiles = vec![
            profile(&[1, 0, 0], 100),
            profile(&[0, 1, 0], 6),
            profile(&[0, 0, 1], 3),
            profile(&[0, 1, 1], 4),
        ];
        assert!(isolates_few(&profiles, &[0, 1, 2], 10));
        let spread = vec![
            profile(&[1, 0, 0], 100),
            profile(&[0, 1, 0], 12),
            profile(&[0, 0, 1], 12),
            profile(&[0, 1, 1], 12),
        ];
        assert!(!isolates_few(&spread, &[0, 1, 2], 10));
    }
}
