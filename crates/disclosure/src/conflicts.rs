//! Which earlier cells a cell hidden by the ledger's check ([`crate::history_conflicts`])
//! conflicts with: for the steward who reviews it, never for the reader of the output (the
//! researcher or analyst sees the rule `history` and nothing more).
//!
//! Run only when the check hid something. Per hidden cell, in this order:
//!
//! 1. **Pairs.** The cells of history whose set holds its set or is held by it, with 1 to
//!    `min_persons − 1` persons between them (for a total's pieces also those whose
//!    contributions differ for 1 to `min_persons − 1` persons, [`crate::totals_apart_by_few`]);
//!    if none, the cells of the same output (not hidden) that are so. All of them, oldest
//!    first, at most [`LISTED_CELLS`].
//! 2. **Span.** The exact check, run again for this cell alone: with the atoms and small
//!    groups of the whole check, the cells of history's exact window and the new cells kept
//!    before it (in the check's order) published, is it still hidden? Only the cells linked
//!    to it through shared persons (in the window and the kept new cells, directly or through
//!    one another) can take part; where there are more than [`EXPLAINED_CANDIDATES`] of
//!    them, no search is made. Otherwise they are dropped one at a time (the output's own
//!    cells first, then history's oldest first), each for good if the cell stays hidden
//!    without it. What is left is *a* set with which the check hides the cell, found
//!    greedily: often the smallest, not always, and not the only one.
//! 3. **Else** (too many cells linked, the search's budget spent, or no set found): the
//!    cells of history's window that share persons with it, newest first, at most
//!    [`LISTED_CELLS`] — where to look, not a proof.

use crate::ledger::{PersonSet, atoms_of, exact_window, nested_apart_by_few, totals_apart_by_few};
use crate::secondary::{CellStatus, SecondaryError, secondary_suppression, small_group_primaries};

/// At most this many cells are named as a pair's or a fallback's partners.
pub const LISTED_CELLS: usize = 8;

/// The span search runs only where at most this many cells are linked to the hidden one.
pub const EXPLAINED_CANDIDATES: usize = 64;

/// At most this many runs of the exact check per output, over all its hidden cells: the
/// cells still unexplained then get the fallback.
pub const SPAN_RUNS: usize = 1_024;

/// How the cells a hidden cell conflicts with were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictFound {
    /// Each of them with the cell alone differs by 1 to `min_persons − 1` persons.
    Pair,
    /// Together (history's cells with the output's cells listed) they make the exact check
    /// hide the cell; found greedily, see the module's comment.
    Span,
    /// No set was found within the bound: the cells of history that share persons with it.
    SharingPersons,
}

impl ConflictFound {
    pub fn name(self) -> &'static str {
        match self {
            ConflictFound::Pair => "pair",
            ConflictFound::Span => "span",
            ConflictFound::SharingPersons => "sharing_persons",
        }
    }
}

/// The cells one hidden cell conflicts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The hidden cell: an index into the new cells.
    pub cell: usize,
    /// Cells of history: indices into the history given, oldest first.
    pub history: Vec<usize>,
    /// Other cells of the same output: indices into the new cells.
    pub new: Vec<usize>,
    pub found: ConflictFound,
}

/// For each of the `hidden` new cells (indices into `new`, hidden by the ledger's check with
/// the same `history`, `priority` and `min_persons`), the cells it conflicts with (see the
/// module's comment for how, and how far, they are searched). `totals[i]`: whether new cell
/// i is a total's pieces. Nothing hidden, nothing computed.
pub fn explain_history_conflicts(
    history: &[&PersonSet],
    new: &[&PersonSet],
    totals: &[bool],
    hidden: &[usize],
    priority: &[f64],
    min_persons: u64,
) -> Vec<Conflict> {
    if hidden.is_empty() {
        return Vec::new();
    }
    let mut is_hidden = vec![false; new.len()];
    for i in hidden {
        is_hidden[*i] = true;
    }
    let apart = |i: usize, other: &PersonSet| {
        nested_apart_by_few(new[i], other, min_persons)
            || (totals.get(i).copied().unwrap_or(false) && totals_apart_by_few(new[i], other, min_persons))
    };
    let mut span: Option<Span> = None;
    let mut runs = SPAN_RUNS;
    let mut out = Vec::new();
    for &i in hidden {
        let history_pairs: Vec<usize> = (0..history.len())
            .filter(|h| apart(i, history[*h]))
            .take(LISTED_CELLS)
            .collect();
        let new_pairs: Vec<usize> = if history_pairs.is_empty() {
            (0..new.len())
                .filter(|k| *k != i && !is_hidden[*k] && apart(i, new[*k]))
                .take(LISTED_CELLS)
                .collect()
        } else {
            Vec::new()
        };
        if !history_pairs.is_empty() || !new_pairs.is_empty() {
            out.push(Conflict {
                cell: i,
                history: history_pairs,
                new: new_pairs,
                found: ConflictFound::Pair,
            });
            continue;
        }
        let span = span.get_or_insert_with(|| Span::new(history, new, min_persons));
        let conflict = span
            .explain(i, &is_hidden, priority, &mut runs)
            .unwrap_or_else(|| span.sharing_persons(i));
        out.push(conflict);
    }
    out
}

/// The exact check's cells, atoms and small groups, made once per output.
struct Span {
    /// The window's cells: indices into history. Cell c of the check is `window[c]` for
    /// c below `window.len()`, new cell `c − window.len()` after.
    window: Vec<usize>,
    inner: Vec<Vec<u32>>,
    atom_count: usize,
    primaries: Vec<Vec<u32>>,
    /// Per atom, the cells of the check that hold it.
    cells_of: Vec<Vec<u32>>,
}

impl Span {
    fn new(history: &[&PersonSet], new: &[&PersonSet], min_persons: u64) -> Span {
        let window = exact_window(history, new);
        let cells: Vec<&PersonSet> = window.iter().map(|c| history[*c]).chain(new.iter().copied()).collect();
        let (persons, inner) = atoms_of(&cells);
        let primaries = small_group_primaries(&persons, &inner, min_persons);
        let mut cells_of = vec![Vec::new(); persons.len()];
        for (c, atoms) in inner.iter().enumerate() {
            for a in atoms {
                cells_of[*a as usize].push(c as u32);
            }
        }
        Span {
            window,
            inner,
            atom_count: persons.len(),
            primaries,
            cells_of,
        }
    }

    /// The greedy search of the module's comment for new cell `i`; None where it is not
    /// made (too many cells linked, no runs left) or finds nothing.
    fn explain(&self, i: usize, is_hidden: &[bool], priority: &[f64], runs: &mut usize) -> Option<Conflict> {
        let w = self.window.len();
        let me = w + i;
        // The new cells published before it in the check: kept, and wanted more.
        let before = |k: usize| priority[k].total_cmp(&priority[i]).then(i.cmp(&k)).is_gt();
        let allowed = |c: usize| c < w || (c != me && !is_hidden[c - w] && before(c - w));
        // The cells linked to it through shared atoms, directly or through one another.
        let mut linked = vec![false; self.inner.len()];
        let mut reached = vec![false; self.atom_count];
        let mut atoms: Vec<u32> = self.inner[me].clone();
        let mut candidates = Vec::new();
        while let Some(a) = atoms.pop() {
            if std::mem::replace(&mut reached[a as usize], true) {
                continue;
            }
            for &c in &self.cells_of[a as usize] {
                let c = c as usize;
                if !linked[c] && allowed(c) {
                    linked[c] = true;
                    candidates.push(c);
                    if candidates.len() > EXPLAINED_CANDIDATES {
                        return None;
                    }
                    atoms.extend(self.inner[c].iter().filter(|a| !reached[**a as usize]));
                }
            }
        }
        // Only a small group wholly among these atoms can be given away by these cells (a
        // residual outside them is never eliminated).
        let primaries: Vec<&Vec<u32>> = self
            .primaries
            .iter()
            .filter(|p| p.iter().all(|a| reached[*a as usize]))
            .collect();
        if primaries.is_empty() {
            return None;
        }
        let mut hides = |published: &[usize]| -> Option<bool> {
            *runs = runs.checked_sub(1)?;
            Some(self.hides(me, published, &primaries))
        };
        if !hides(&candidates)? {
            return None;
        }
        // The output's own cells first, then history's oldest first.
        let mut order = candidates.clone();
        order.sort_by_key(|c| (*c < w, *c));
        let mut kept = candidates;
        for c in order {
            let without: Vec<usize> = kept.iter().copied().filter(|k| *k != c).collect();
            if hides(&without)? {
                kept = without;
            }
        }
        let mut history: Vec<usize> = kept.iter().filter(|c| **c < w).map(|c| self.window[*c]).collect();
        let mut new: Vec<usize> = kept.iter().filter(|c| **c >= w).map(|c| c - w).collect();
        history.sort_unstable();
        new.sort_unstable();
        Some(Conflict {
            cell: i,
            history,
            new,
            found: ConflictFound::Span,
        })
    }

    /// Whether the check hides cell `me` with the cells `published` released before it.
    fn hides(&self, me: usize, published: &[usize], primaries: &[&Vec<u32>]) -> bool {
        let mut cells: Vec<Vec<u32>> = published.iter().map(|c| self.inner[*c].clone()).collect();
        let mut status = vec![CellStatus::Released; cells.len()];
        cells.push(self.inner[me].clone());
        status.push(CellStatus::Candidate);
        let candidate = cells.len() - 1;
        cells.extend(primaries.iter().map(|p| (*p).clone()));
        status.resize(cells.len(), CellStatus::Primary);
        let weights = vec![0.0; cells.len()];
        match secondary_suppression(self.atom_count, &cells, &status, &weights) {
            Ok(hidden) => hidden.contains(&candidate),
            // The check hides every new cell then.
            Err(SecondaryError::ReleasedOverflow) => true,
            Err(_) => false,
        }
    }

    /// The fallback: history's cells in the window sharing persons with new cell `i`.
    fn sharing_persons(&self, i: usize) -> Conflict {
        let w = self.window.len();
        let mut sharing = vec![false; w];
        for a in &self.inner[w + i] {
            for c in &self.cells_of[*a as usize] {
                if (*c as usize) < w {
                    sharing[*c as usize] = true;
                }
            }
        }
        let mut history: Vec<usize> = (0..w)
            .rev()
            .filter(|c| sharing[*c])
            .take(LISTED_CELLS)
            .map(|c| self.window[c])
            .collect();
        history.sort_unstable();
        Conflict {
            cell: i,
            history,
            new: Vec::new(),
            found: ConflictFound::SharingPersons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history_conflicts;

    fn set(range: std::ops::Range<u64>) -> PersonSet {
        PersonSet::new(range.collect())
    }

    fn explain(history: &[&PersonSet], new: &[&PersonSet]) -> Vec<Conflict> {
        let priority: Vec<f64> = new.iter().map(|s| s.len() as f64).collect();
        let hidden = history_conflicts(history, new, &priority, 10).expect("checks");
        explain_history_conflicts(history, new, &vec![false; new.len()], &hidden, &priority, 10)
    }

    #[test]
    fn a_tracker_names_the_count_it_is_nested_in() {
        // Released: an unrelated count, then all 500. Now: all but one, and others.
        let (other, all) = (set(2_000..2_100), set(0..500));
        let (all_but_one, others) = (set(0..499), set(500..900));
        let conflicts = explain(&[&other, &all], &[&all_but_one, &others]);
        assert_eq!(
            conflicts,
            vec![Conflict {
                cell: 0,
                history: vec![1],
                new: vec![],
                found: ConflictFound::Pair
            }]
        );
        // Two rows of one output: the smaller, hidden, names the larger.
        let conflicts = explain(&[], &[&all, &all_but_one]);
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert_eq!((conflicts[0].cell, &conflicts[0].new), (1, &vec![0]));
        assert_eq!(conflicts[0].found, ConflictFound::Pair);
        // Nothing hidden, nothing explained.
        assert!(explain(&[&other], &[&all]).is_empty());
    }

    #[test]
    fn three_outputs_name_both_earlier_ones() {
        // all, women, then men under 99: all − women − men<99 is the one man aged 99. The
        // unrelated counts before, between and after share no one with them.
        let (all, women, young_men) = (set(0..1_000), set(0..500), set(500..999));
        let unrelated: Vec<PersonSet> = (0..5u64).map(|i| set(5_000 + 100 * i..5_050 + 100 * i)).collect();
        // Men aged 90+ (40) share persons with the men under 99 but take no part.
        let old_men = set(960..1_000);
        let history = [&unrelated[0], &all, &unrelated[1], &old_men, &women, &unrelated[2]];
        let conflicts = explain(&history, &[&young_men]);
        assert_eq!(
            conflicts,
            vec![Conflict {
                cell: 0,
                history: vec![1, 4],
                new: vec![],
                found: ConflictFound::Span
            }]
        );
    }

    #[test]
    fn beyond_the_bound_the_cells_sharing_persons_are_listed() {
        // More linked cells than the search takes: men under 99 overlaps each of a hundred
        // counts of ten men; all and women make it hidden.
        let (all, women, young_men) = (set(0..1_000), set(0..500), set(500..999));
        let tens: Vec<PersonSet> = (0..100u64).map(|i| set(500 + 4 * i..510 + 4 * i)).collect();
        let mut history: Vec<&PersonSet> = vec![&all, &women];
        history.extend(tens.iter());
        let priority = [499.0];
        let hidden = history_conflicts(&history, &[&young_men], &priority, 10).expect("checks");
        assert_eq!(hidden, vec![0]);
        let conflicts = explain_history_conflicts(&history, &[&young_men], &[false], &hidden, &priority, 10);
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].found, ConflictFound::SharingPersons);
        assert_eq!(conflicts[0].history.len(), LISTED_CELLS);
        // The newest sharing persons with it.
        assert_eq!(conflicts[0].history.last(), Some(&(history.len() - 1)));
    }
}
