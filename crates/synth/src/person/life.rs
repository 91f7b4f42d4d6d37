//! The state a life carries from month to month, and the questions every life event
//! asks of it.

use super::record::{Coverage, Person, age_on};
use crate::catalog::{Cause, ChronicId, LtcServiceId, dx};
use crate::config::Config;
use crate::geography::PrefectureWorld;
use crate::rng::Stream;
use chrono::{Duration, NaiveDate};
use renkei_formats::era::YearMonth;

/// One life being simulated: the person so far, and what the coming months depend on.
pub(super) struct Simulation<'a> {
    pub(super) cfg: &'a Config,
    pub(super) world: &'a PrefectureWorld,
    pub(super) rng: Stream,
    pub(super) p: Person,
    pub(super) area: usize,
    pub(super) home_clinic: usize,
    /// (cause, admission date) scheduled by an earlier stay.
    pub(super) pending_admission: Option<(Cause, NaiveDate)>,
    pub(super) in_hospital_until: Option<NaiveDate>,
    pub(super) doctor_shopper: bool,
    pub(super) on_dialysis: bool,
    pub(super) on_costly_outpatient_drug: bool,
    pub(super) residential: Option<LtcServiceId>,
    /// Care-need application due (date, kind).
    pub(super) pending_application: Option<(NaiveDate, u8)>,
    pub(super) seen_facilities: Vec<usize>,
}

impl Simulation<'_> {
    pub(super) fn has_chronic(&self, id: ChronicId) -> bool {
        self.p.chronic.iter().any(|(d, _)| *d == dx::chronic(id))
    }

    pub(super) fn add_chronic(&mut self, id: ChronicId, on: NaiveDate) {
        if !self.has_chronic(id) {
            self.p.chronic.push((dx::chronic(id), on));
        }
    }

    pub(super) fn age_at(&self, date: NaiveDate) -> u32 {
        age_on(self.p.birth, date)
    }

    pub(super) fn current_coverage(&self) -> &Coverage {
        self.p.coverage.last().expect("a person always has coverage")
    }

    /// Days of the month the person is at home (not in hospital, alive).
    pub(super) fn days_at_home(&self, month: YearMonth, death: Option<NaiveDate>) -> Vec<u32> {
        (1..=month.days())
            .filter(|d| {
                let date = month.first_day() + Duration::days(i64::from(*d) - 1);
                death.is_none_or(|x| date < x)
                    && !self.p.stays.iter().any(|s| s.admitted <= date && date <= s.discharged)
            })
            .collect()
    }
}
