//! Rendering a person's life into the native files.

pub mod dpc;
pub mod identity;
pub mod kaigo;
pub mod masters;
pub mod truth;
pub mod uke;

use crate::config::Config;
use crate::files::FileSet;
use crate::geography::PrefectureWorld;
use crate::rng::Stream;
use truth::TruthRows;

/// Everything a writer needs while rendering one person.
pub struct Sink<'a> {
    pub cfg: &'a Config,
    pub world: &'a PrefectureWorld,
    pub files: &'a mut FileSet,
    pub truth: &'a mut TruthRows,
    /// Decides record-level defects; separate from the person's own stream so that the
    /// population is the same whatever the defect rate.
    pub defects: Stream,
}

impl Sink<'_> {
    /// Whether to spoil the next record, and how (one of `kinds`).
    pub fn defect(&mut self, kinds: &[&'static str]) -> Option<&'static str> {
        if self.cfg.defect_rate > 0.0 && self.defects.chance(self.cfg.defect_rate) {
            Some(*self.defects.pick(kinds))
        } else {
            None
        }
    }
}
