//! The release ledger's check: a new output's cells judged together with every cell the
//! project released before, as sets of persons.
//!
//! Each output checked alone can still be subtracted from another: "persons certified" and
//! "persons certified aged under 99" both hold thousands, and their difference is the few
//! aged 99 or older. With the persons behind every released count kept (the ledger), the
//! check is exact: the cells of history and the new output are sums over **atoms** (the
//! persons with the same membership across all those cells); a new cell may be released only
//! if, with it, no atom of 1 to `min_persons − 1` persons lies in the span of the released
//! cells. That is secondary suppression with the history's cells published already
//! ([`CellStatus::Released`]), the atoms as inner cells and the small atoms as primaries.
//!
//! Two more limits of the atoms: the span check protects each atom of 1 to `min_persons − 1`
//! persons, not a sum of several (two persons in two atoms of one each), so every new cell is
//! also checked pairwise against every cell of history and every new cell kept before it: where
//! one set holds the other, the rest must be empty or of at least `min_persons` persons. And it is bounded: the
//! exact check takes the last [`EXACT_HISTORY_CELLS`] cells of history *connected* to the new
//! cells (sharing a person with them, or with a cell that does, and so on), so a combination of
//! three or more reaching further back is caught only where a pair is. Cells that share no one
//! with the new cells, however linked, cannot combine with them into a small group (every
//! combination that isolates persons of a new cell lies in its connected part), so they do not
//! take places in the window: 3,300 totals released in a few seconds, whose pieces share no
//! element with any count of persons, pushed the counts a three-output difference needed out of
//! a window of the last 2,000 cells (a red-team pass).

use crate::secondary::{CellStatus, SecondaryError, secondary_suppression, small_group_primaries};
use std::collections::HashMap;

/// How many of the latest cells of history the exact check takes.
pub const EXACT_HISTORY_CELLS: usize = 2_000;

/// The persons behind one count: their numbers, sorted and distinct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonSet(Vec<u64>);

impl PersonSet {
    pub fn new(mut persons: Vec<u64>) -> PersonSet {
        persons.sort_unstable();
        persons.dedup();
        PersonSet(persons)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn persons(&self) -> &[u64] {
        &self.0
    }

    /// As the ledger stores it: 8 bytes per person, little-endian, in order.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|p| p.to_le_bytes()).collect()
    }

    /// From [`PersonSet::to_bytes`]; `None` when the bytes are not such a set.
    pub fn from_bytes(bytes: &[u8]) -> Option<PersonSet> {
        if !bytes.len().is_multiple_of(8) {
            return None;
        }
        let persons: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
            .collect();
        persons.windows(2).all(|w| w[0] < w[1]).then_some(PersonSet(persons))
    }

    /// `|self \ other|` and `|other \ self|`.
    pub(crate) fn differences(&self, other: &PersonSet) -> (usize, usize) {
        let (mut i, mut j, mut common) = (0, 0, 0);
        while i < self.0.len() && j < other.0.len() {
            match self.0[i].cmp(&other.0[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        (self.0.len() - common, other.0.len() - common)
    }
}

/// Whether two totals kept as pieces (one per person with a contribution, the person in the
/// high 32 bits: see the engine's `contributions::piece`) differ by the contributions of 1 to
/// `min_persons − 1` persons: the persons whose piece is in one and not the other, those who
/// joined or left and those whose contribution changed. Their difference is what those few
/// put in or took out, whatever the two cells' persons have in common. Persons are told
/// apart by their high 32 bits only, so two who share them count as one: more is hidden,
/// never less.
pub fn totals_apart_by_few(a: &PersonSet, b: &PersonSet, min_persons: u64) -> bool {
    let min = usize::try_from(min_persons).unwrap_or(usize::MAX);
    // Each person has one piece in a cell, so sizes this far apart differ by at least as
    // many persons: most pairs end here.
    if a.len().abs_diff(b.len()) >= min {
        return false;
    }
    let (x, y) = (a.persons(), b.persons());
    let (mut i, mut j) = (0, 0);
    // The merge meets the differing pieces in increasing order, so each person's pieces come
    // together: persons apart are counted without a list (a list per pair of equal sizes was
    // 43 % of a 90,000-cell output's 117 s check).
    let (mut apart, mut last) = (0usize, None);
    while i < x.len() || j < y.len() {
        let next = match (x.get(i), y.get(j)) {
            (Some(p), Some(q)) if p == q => {
                i += 1;
                j += 1;
                continue;
            }
            (Some(p), Some(q)) if p < q => {
                i += 1;
                *p
            }
            (Some(p), None) => {
                i += 1;
                *p
            }
            (_, Some(q)) => {
                j += 1;
                *q
            }
            (None, None) => break,
        };
        let person = next >> 32;
        if last != Some(person) {
            last = Some(person);
            apart += 1;
            if apart >= min {
                return false;
            }
        }
    }
    apart > 0
}

/// The new cells (by index into `new`) to hide so that, with them hidden and every cell of
/// `history` (oldest first; possibly none) released, no combination of released cells gives the count of 1
/// to `min_persons − 1` persons. `priority[i]`: how much new cell i is wanted (higher is kept
/// first). An overflow of the exact arithmetic hides every new cell. Which earlier cells each
/// hidden one conflicts with, for a steward: [`crate::explain_history_conflicts`], run apart so
/// that an output with nothing hidden pays nothing for it.
pub fn history_conflicts(
    history: &[&PersonSet],
    new: &[&PersonSet],
    priority: &[f64],
    min_persons: u64,
) -> Result<Vec<usize>, SecondaryError> {
    let connected: Vec<&PersonSet> = exact_window(history, new).into_iter().map(|c| history[c]).collect();
    let exact: &[&PersonSet] = &connected;
    // Pairwise, against all history and the new cells kept before (most wanted first): the
    // span check protects each small atom, not a sum of several (`all − all but the two aged
    // 95+` is two persons in two atoms of one each, split apart by a count by sex).
    let mut order: Vec<usize> = (0..new.len()).collect();
    order.sort_by(|a, b| priority[*b].total_cmp(&priority[*a]).then(a.cmp(b)));
    let mut hidden = vec![false; new.len()];
    let mut kept: Vec<&PersonSet> = Vec::new();
    for i in order {
        // Nested sets only: for two that overlap each way, their difference is
        // `|A \ B| − |B \ A|`, a count of no one group.
        let apart = |h: &&PersonSet| nested_apart_by_few(new[i], h, min_persons);
        if history.iter().any(apart) || kept.iter().any(apart) {
            hidden[i] = true;
        } else {
            kept.push(new[i]);
        }
    }

    // Atoms: the persons with one membership across the exact history and the new cells.
    let cells: Vec<&PersonSet> = exact.iter().chain(new).copied().collect();
    let (persons, mut inner) = atoms_of(&cells);
    // Small atoms, and the sums of them per cell of history or new (the count that splits a
    // group off may come first: "under 95", then men, then women).
    let primaries = small_group_primaries(&persons, &inner, min_persons);
    if primaries.is_empty() {
        return Ok(positions(&hidden));
    }
    let mut status: Vec<CellStatus> = vec![CellStatus::Released; exact.len()];
    status.extend(hidden.iter().map(|h| {
        if *h {
            CellStatus::Unpublished
        } else {
            CellStatus::Candidate
        }
    }));
    let mut weights: Vec<f64> = vec![0.0; exact.len()];
    weights.extend_from_slice(priority);
    status.extend(std::iter::repeat_n(CellStatus::Primary, primaries.len()));
    weights.extend(std::iter::repeat_n(0.0, primaries.len()));
    inner.extend(primaries);
    match secondary_suppression(persons.len(), &inner, &status, &weights) {
        Ok(more) => {
            for cell in more {
                hidden[cell - exact.len()] = true;
            }
        }
        Err(SecondaryError::ReleasedOverflow) => hidden.iter_mut().for_each(|h| *h = true),
        Err(e) => return Err(e),
    }
    let atoms_by_cell = &inner[..cells.len()];
    for cell in signed_combinations_to_hide(&persons, atoms_by_cell, exact.len(), &hidden, priority, min_persons) {
        hidden[cell] = true;
    }
    Ok(positions(&hidden))
}

/// The new cells to hide besides `hidden` so that no combination of the released cells with
/// any signs is about 1 to `min_persons − 1` persons; the atom check above protects each
/// small atom and each cell's sum of them, not a difference of two groups of a few each
/// (`(B1 ∪ B2 ∪ A) − (B1 ∪ C) − B2` gave `|A| − |C|` = 1 of 2 and 1 persons, red team R15-1).
/// `cells`: the atoms of the `before` cells of history, then of the new ones. Least wanted
/// first, one at a time (a cell whose hiding alone makes the rest safe preferred, among
/// [`TRIED_PER_HIDE`]); only new cells are hidden.
fn signed_combinations_to_hide(
    persons: &[u64],
    cells: &[Vec<u32>],
    before: usize,
    hidden: &[bool],
    priority: &[f64],
    min_persons: u64,
) -> Vec<usize> {
    let shown: Vec<usize> = (0..before)
        .chain((0..hidden.len()).filter(|i| !hidden[*i]).map(|i| before + i))
        .collect();
    crate::profiles::hide_until_safe(
        shown,
        |cell| cell >= before,
        |cell| priority[cell - before],
        TRIED_PER_HIDE,
        |shown| crate::profiles::sums_of_atoms_isolate_few(persons, cells, shown, min_persons),
    )
    .into_iter()
    .map(|cell| cell - before)
    .collect()
}

/// New cells tried one by one for the one whose hiding makes the rest safe, before the least
/// wanted is hidden: each try is a check of the whole span.
const TRIED_PER_HIDE: usize = 8;

/// Whether one of two sets holds the other and the rest is 1 to `min_persons − 1` persons.
pub(crate) fn nested_apart_by_few(a: &PersonSet, b: &PersonSet, min_persons: u64) -> bool {
    let small = |n: usize| (1..min_persons).contains(&(n as u64));
    // Nested sets differ by their difference in size: only sizes a few apart can be, and the
    // merge below is skipped for all others.
    if !small(a.len().abs_diff(b.len())) {
        return false;
    }
    let (x, y) = a.differences(b);
    (x == 0 && small(y)) || (y == 0 && small(x))
}

/// The cells of history the exact check takes (indices into `history`, oldest first): the
/// last [`EXACT_HISTORY_CELLS`] of those connected to the new cells.
pub(crate) fn exact_window(history: &[&PersonSet], new: &[&PersonSet]) -> Vec<usize> {
    let connected = connected_to(history, new);
    connected[connected.len().saturating_sub(EXACT_HISTORY_CELLS)..].to_vec()
}

/// The atoms of `cells` (the persons with one membership across them): each atom's persons,
/// and each cell's atoms, sorted.
pub(crate) fn atoms_of(cells: &[&PersonSet]) -> (Vec<u64>, Vec<Vec<u32>>) {
    let mut membership: HashMap<u64, Vec<u32>> = HashMap::new();
    for (c, set) in cells.iter().enumerate() {
        for p in set.persons() {
            membership.entry(*p).or_default().push(c as u32);
        }
    }
    let mut atoms: HashMap<Vec<u32>, (u32, usize)> = HashMap::new();
    for signature in membership.into_values() {
        let next = atoms.len() as u32;
        atoms.entry(signature).or_insert((next, 0)).1 += 1;
    }
    let mut inner: Vec<Vec<u32>> = vec![Vec::new(); cells.len()];
    let mut persons = vec![0u64; atoms.len()];
    for (signature, (atom, n)) in &atoms {
        for c in signature {
            inner[*c as usize].push(*atom);
        }
        persons[*atom as usize] = *n as u64;
    }
    for list in &mut inner {
        list.sort_unstable();
    }
    (persons, inner)
}

/// The cells of `history` (indices, oldest first) linked to the `new` cells through shared
/// persons, directly or through other cells of history.
fn connected_to(history: &[&PersonSet], new: &[&PersonSet]) -> Vec<usize> {
    let mut cells_of: HashMap<u64, Vec<usize>> = HashMap::new();
    for (c, set) in history.iter().enumerate() {
        for p in set.persons() {
            cells_of.entry(*p).or_default().push(c);
        }
    }
    let mut reached = vec![false; history.len()];
    let mut persons: Vec<u64> = new.iter().flat_map(|s| s.persons().iter().copied()).collect();
    while let Some(p) = persons.pop() {
        // Each person's cells are visited once: taken out of the index as they are reached.
        for c in cells_of.remove(&p).unwrap_or_default() {
            if !reached[c] {
                reached[c] = true;
                persons.extend(history[c].persons().iter().filter(|q| cells_of.contains_key(q)));
            }
        }
    }
    (0..history.len()).filter(|c| reached[*c]).collect()
}

fn positions(flags: &[bool]) -> Vec<usize> {
    (0..flags.len()).filter(|i| flags[*i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(range: std::ops::Range<u64>) -> PersonSet {
        PersonSet::new(range.collect())
    }

    #[test]
    fn totals_apart_by_few_counts_the_persons_whose_contribution_changed() {
        // Pieces of persons 1..=40: person p's piece is p << 32 | contribution.
        let cell = |changed: &[u64], gone: &[u64]| {
            PersonSet::new(
                (1..=40u64)
                    .filter(|p| !gone.contains(p))
                    .map(|p| p << 32 | if changed.contains(&p) { 2 } else { 1 })
                    .collect(),
            )
        };
        let base = cell(&[], &[]);
        assert!(!totals_apart_by_few(&base, &base, 10), "the same total");
        assert!(
            totals_apart_by_few(&base, &cell(&[3], &[]), 10),
            "one contribution changed"
        );
        assert!(
            totals_apart_by_few(&base, &cell(&[3], &[7]), 10),
            "one changed, one left"
        );
        let many: Vec<u64> = (1..=10).collect();
        assert!(!totals_apart_by_few(&base, &cell(&many, &[]), 10), "ten changed");
        assert!(!totals_apart_by_few(&base, &cell(&[], &many), 10), "ten left");
    }

    #[test]
    fn a_complement_of_an_earlier_count_is_hidden() {
        // Released before: persons 0..500. Now: 0..499 (all but one) and 500..900.
        let history = set(0..500);
        let all_but_one = set(0..499);
        let others = set(500..900);
        let hidden = history_conflicts(&[&history], &[&all_but_one, &others], &[499.0, 400.0], 10).expect("checks");
        assert_eq!(hidden, vec![0]);
        // Ten apart is no one's count.
        let all_but_ten = set(0..490);
        assert!(
            history_conflicts(&[&history], &[&all_but_ten], &[490.0], 10)
                .expect("checks")
                .is_empty()
        );
    }

    /// Red team R15-1: B1 = 0..20, B2 = 20..40, A (the few asked about) and C = {60}:
    /// `(B1 ∪ B2 ∪ A) − (B1 ∪ C) − B2` is `|A| − |C|`, each pair of cells far apart and no atom
    /// alone in their span. One cell is hidden whether A holds 2 persons, 1 or none (then the
    /// combination is C alone), in one output and across history alike.
    #[test]
    fn a_difference_of_two_small_groups_is_hidden_whatever_they_hold() {
        let b2 = set(20..40);
        let b1_and_c = PersonSet::new((0..20).chain([60]).collect());
        for a in [vec![50u64, 51], vec![50], vec![]] {
            let all = PersonSet::new((0..40).chain(a.iter().copied()).collect());
            let priority = [all.len() as f64, 21.0, 20.0];
            let hidden = history_conflicts(&[], &[&all, &b1_and_c, &b2], &priority, 10).expect("checks");
            assert_eq!(hidden.len(), 1, "A = {a:?}: {hidden:?}");
            let later = history_conflicts(&[&all, &b1_and_c], &[&b2], &[20.0], 10).expect("checks");
            assert_eq!(later, vec![0], "A = {a:?}, across outputs");
        }
        // With C ten persons, the combination is about ten or more: nothing hidden.
        let b1_and_ten = PersonSet::new((0..20).chain(60..70).collect());
        let all = PersonSet::new((0..40).chain([50, 51]).collect());
        let hidden = history_conflicts(&[], &[&all, &b1_and_ten, &b2], &[42.0, 30.0, 20.0], 10).expect("checks");
        assert!(hidden.is_empty(), "{hidden:?}");
    }

    #[test]
    fn two_small_atoms_apart_are_a_small_difference() {
        // By sex, and all; then all but one man and one woman: each of the two is an atom of
        // one, protected alone, but all − the last is the two of them.
        let (men, women, all) = (set(0..40), set(40..90), set(0..90));
        let last = PersonSet::new((1..40).chain(41..90).collect());
        let hidden = history_conflicts(&[&men, &women, &all], &[&last], &[88.0], 10).expect("checks");
        assert_eq!(hidden, vec![0]);
    }

    #[test]
    fn a_sum_of_small_atoms_no_single_count_holds() {
        // Men and women released; then all under 95: men + women − it is the one man and
        // four women aged 95+, two atoms of fewer than ten that no released set nests.
        let (men, women) = (set(0..40), set(40..90));
        let under_95 = PersonSet::new((1..40).chain(44..90).collect());
        let hidden = history_conflicts(&[&men, &women], &[&under_95], &[85.0], 10).expect("checks");
        assert_eq!(hidden, vec![0]);
        // In the other order: the count that splits them off first.
        let hidden = history_conflicts(&[&under_95, &men], &[&women], &[50.0], 10).expect("checks");
        assert_eq!(hidden, vec![0]);
        // The same three as one output's cells.
        let hidden = history_conflicts(&[], &[&men, &women, &under_95], &[40.0, 50.0, 85.0], 10).expect("checks");
        assert_eq!(hidden.len(), 1, "{hidden:?}");
    }

    #[test]
    fn three_outputs_combine() {
        // all, women, men under 99: each pair differs by hundreds, all − women − men<99 is
        // the one man aged 99.
        let all = set(0..1_000);
        let women = set(0..500);
        let young_men = set(500..999);
        let hidden = history_conflicts(&[&all, &women], &[&young_men], &[499.0], 10).expect("checks");
        assert_eq!(hidden, vec![0]);
    }

    #[test]
    fn beyond_the_exact_bound_pairs_are_checked() {
        let old = set(0..500);
        let filler: Vec<PersonSet> = (0..EXACT_HISTORY_CELLS as u64)
            .map(|i| set(10_000 + i..10_001 + i))
            .collect();
        let mut history: Vec<&PersonSet> = vec![&old];
        history.extend(filler.iter());
        let all_but_one = set(0..499);
        let hidden = history_conflicts(&history, &[&all_but_one], &[499.0], 10).expect("checks");
        assert_eq!(hidden, vec![0]);
    }

    #[test]
    fn cells_that_share_no_one_with_the_new_ones_take_no_place_in_the_exact_window() {
        // all, women, then more than the window of cells of other persons (totals' pieces),
        // then the men under 99: all − women − men<99 is the one man aged 99.
        let all = set(0..1_000);
        let women = set(0..500);
        let filler: Vec<PersonSet> = (0..EXACT_HISTORY_CELLS as u64 + 10)
            .map(|i| set(10_000 + 20 * i..10_020 + 20 * i))
            .collect();
        let mut history: Vec<&PersonSet> = vec![&all, &women];
        history.extend(filler.iter());
        let young_men = set(500..999);
        let hidden = history_conflicts(&history, &[&young_men], &[499.0], 10).expect("checks");
        assert_eq!(hidden, vec![0]);
        // Linked through a chain of cells, a cell is in the window however far back.
        let (a, b) = (set(0..600), set(590..2_000));
        assert_eq!(connected_to(&[&a, &filler[0], &b], &[&set(1_500..1_600)]), vec![0, 2]);
    }

    #[test]
    fn sets_round_trip_through_bytes() {
        let s = PersonSet::new(vec![9, 3, u64::MAX, 3]);
        assert_eq!(s.persons(), &[3, 9, u64::MAX]);
        assert_eq!(PersonSet::from_bytes(&s.to_bytes()), Some(s));
        assert_eq!(PersonSet::from_bytes(&[1, 2, 3]), None);
    }
}
