//! One person's life over the period: who they are, how their identifiers change, and
//! every contact with the health and care systems. Drawn from the person's own random
//! stream, so a life never depends on other persons.
//!
//! Each life event has its module. A month runs identity changes, death, admissions,
//! outpatient visits and care in that order (`run`): they draw from the one stream, so
//! the order is part of the output.

mod admission;
mod care;
mod identity;
mod life;
mod outpatient;
mod record;
mod start;

pub use record::*;

use crate::catalog::age_group;
use crate::config::Config;
use crate::geography::PrefectureWorld;
use chrono::{Duration, NaiveDate};
use life::Simulation;
use renkei_formats::era::YearMonth;

/// Yearly deaths per 1,000 by age group (人口動態統計, rounded; both sexes).
const MORTALITY_PER_1000: [f64; 9] = [0.2, 0.5, 1.5, 3.5, 8.0, 16.0, 28.0, 50.0, 130.0];

/// The life simulation. `cfg.from ..= cfg.to` is the period written out.
pub fn simulate(cfg: &Config, world: &PrefectureWorld, index: u64) -> Person {
    Simulation::new(cfg, world, index).run()
}

impl Simulation<'_> {
    fn run(mut self) -> Person {
        self.initial_certification();
        let mut month = self.cfg.from;
        while month <= self.cfg.to {
            self.identity_events(month);
            let death = self.death_in(month);
            self.admissions_in(month, death);
            self.outpatient_in(month, death);
            self.care_in(month, death);
            if death.is_some() {
                self.p.death = death;
                break;
            }
            month = month.next();
        }
        self.p
    }

    fn death_in(&mut self, month: YearMonth) -> Option<NaiveDate> {
        let age = self.age_at(month.first_day());
        let factor = if self.p.sex == 1 { 1.25 } else { 0.8 };
        let dialysis = if self.on_dialysis { 4.0 } else { 1.0 };
        let q = MORTALITY_PER_1000[age_group(age)] / 1000.0 / 12.0 * factor * dialysis;
        if !self.rng.chance(q) {
            return None;
        }
        Some(month.first_day() + Duration::days(self.rng.below(u64::from(month.days())) as i64))
    }
}
