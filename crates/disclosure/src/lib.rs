//! Disclosure-control rules without I/O: the policy (read from TOML), primary rules for
//! magnitudes (dominance), secondary suppression, rounding and the disclosure report.
//! `docs/disclosure.md` describes the rules and the report.

mod conflicts;
mod dominance;
mod ledger;
mod policy;
mod profiles;
mod report;
mod rounding;
mod secondary;

pub use conflicts::{
    Conflict, ConflictFound, EXPLAINED_CANDIDATES, LISTED_CELLS, SPAN_RUNS, explain_history_conflicts,
};
pub use dominance::{DominanceRule, dominance, dominance_from_top};
pub use ledger::{EXACT_HISTORY_CELLS, PersonSet, history_conflicts, totals_apart_by_few};
pub use policy::{Policy, PolicyError};
pub use profiles::{Profile, SEARCHED_SETS, isolates_few, profile_cells_to_hide};
pub use report::{CellRule, HiddenCell, Report, Status, Summary};
pub use rounding::round_count;
pub use secondary::{
    CellStatus, SecondaryError, parts_inside_and_outside, secondary_suppression,
    secondary_suppression_with_empty_cells, small_group_primaries,
};
