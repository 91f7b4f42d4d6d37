//! Long-term care: the certification a person holds at the start, renewals, new
//! applications and changes of level, and the services used each month.

use super::life::Simulation;
use super::record::{CareLevel, Certification, LtcClaim};
use crate::catalog::{self, ChronicId, LtcServiceId};
use crate::reference::reference;
use crate::rng::{Stream, mix};
use chrono::{Duration, NaiveDate};
use renkei_formats::era::YearMonth;

/// Share of persons living in an LTC facility when certified at 要介護3–5.
const RESIDENTIAL_SHARE: f64 = 0.3;

fn care_level_weights(dementia: bool, stroke: bool) -> [f64; 7] {
    let mut w = reference().care_levels;
    for (i, x) in w.iter_mut().enumerate() {
        if dementia {
            *x *= 1.3f64.powi(i as i32);
        }
        if stroke {
            *x *= 1.2f64.powi(i as i32);
        }
    }
    w
}

impl Simulation<'_> {
    fn sample_certification(&mut self, applied: NaiveDate, kind: u8, previous: Option<CareLevel>) -> Certification {
        let dementia = self.has_chronic(ChronicId::Alzheimer) || self.has_chronic(ChronicId::VascularDementia);
        let stroke = self.has_chronic(ChronicId::Cerebrovascular);
        let second = match previous {
            Some(l) => {
                let x = self.rng.unit();
                Some(if kind == 3 || x < 0.25 {
                    (l + 1).min(6)
                } else if x < 0.33 {
                    l.saturating_sub(1)
                } else {
                    l
                })
            }
            None if self.rng.chance(0.05) => None,
            None => Some(self.rng.weighted(&care_level_weights(dementia, stroke))),
        };
        let first = second.map(|l| {
            if self.rng.chance(0.15) {
                if self.rng.chance(0.7) {
                    l.saturating_sub(1)
                } else {
                    (l + 1).min(6)
                }
            } else {
                l
            }
        });
        let decided = applied + Duration::days(25 + self.rng.below(16) as i64);
        let months = match kind {
            2 => *self.rng.pick(&[12, 12, 24, 36]),
            _ => 6,
        };
        let valid_from = applied;
        let valid_to = YearMonth::of(valid_from).plus(months).last_day();
        let level = first.unwrap_or(0);
        let dementia_grade = if dementia {
            3 + self.rng.below(6) as u8
        } else {
            1 + self.rng.below(3) as u8
        };
        let adl_grade = (2 + level as u8 + self.rng.below(2) as u8).min(9);
        let minutes = [28, 40, 40, 60, 80, 100, 120][level] + self.rng.below(10) as u32;
        Certification {
            applied,
            decided,
            kind,
            first,
            second,
            valid_from,
            valid_to,
            adl_grade,
            dementia_grade,
            minutes,
        }
    }

    pub(super) fn initial_certification(&mut self) {
        let start = self.cfg.from.first_day();
        let age = self.age_at(start);
        let r = reference();
        let dementia = self.has_chronic(ChronicId::Alzheimer) || self.has_chronic(ChronicId::VascularDementia);
        let stroke = self.has_chronic(ChronicId::Cerebrovascular);
        let base = if age >= 65 {
            r.certified_share(age)
        } else if age >= 40 && stroke {
            0.05
        } else {
            0.0
        };
        if base == 0.0 {
            return;
        }
        // Dementia, stroke sequelae and osteoporosis (fractures) raise the chance; divide
        // by the band's mean multiplier so the overall share stays the reference share.
        let multiplier = |d: bool, s: bool, o: bool| {
            1.0 + 1.5 * f64::from(u8::from(d)) + 0.8 * f64::from(u8::from(s)) + 0.5 * f64::from(u8::from(o))
        };
        let prevalence = |id: ChronicId| catalog::chronic_probability(id.row(), age, self.p.sex);
        let mean = 1.0
            + 1.5 * (prevalence(ChronicId::Alzheimer) + prevalence(ChronicId::VascularDementia))
            + 0.8 * prevalence(ChronicId::Cerebrovascular)
            + 0.5 * prevalence(ChronicId::Osteoporosis);
        let p = (base * multiplier(dementia, stroke, self.has_chronic(ChronicId::Osteoporosis)) / mean).min(0.97);
        if !self.rng.chance(p) {
            return;
        }
        // The current certification was decided up to a year before the period.
        let months_ago = 1 + self.rng.below(11) as i32;
        let applied = self.cfg.from.plus(-months_ago).first_day() + Duration::days(self.rng.below(28) as i64);
        let mut cert = self.sample_certification(applied, 2, None);
        if cert.second.is_none() {
            cert.second = Some(0);
            cert.first = Some(0);
        }
        cert.valid_to = YearMonth::of(applied)
            .plus(11 + self.rng.below(12) as i32)
            .last_day()
            .max(start);
        let level = cert.second.unwrap_or(0);
        if level >= 4 && self.rng.chance(RESIDENTIAL_SHARE * 1.5) {
            self.residential = Some(care_home(&mut self.rng));
        }
        self.p.certifications.push(cert);
    }

    pub(super) fn care_in(&mut self, month: YearMonth, death: Option<NaiveDate>) {
        let first = month.first_day();
        let last = month.last_day();
        let age = self.age_at(first);
        let current = self.p.certifications.iter().rev().find(|c| c.second.is_some()).cloned();

        // Renewal a month before expiry; new applications from events or baseline onset.
        if let Some(c) = &current
            && c.valid_to >= first
            && c.valid_to <= last + Duration::days(31)
            && self.pending_application.is_none()
        {
            self.pending_application = Some((c.valid_to - Duration::days(30), 2));
        }
        if current.is_none() && age >= 65 && self.pending_application.is_none() {
            let yearly = reference().certified_share(age) * 0.2;
            if self.rng.chance(yearly / 12.0) {
                self.pending_application = Some((first + Duration::days(self.rng.below(28) as i64), 1));
            }
        }
        if let Some((applied, kind)) = self.pending_application
            && applied <= last
            && death.is_none_or(|d| d > applied)
        {
            self.pending_application = None;
            let previous = current.as_ref().and_then(|c| c.second);
            let mut cert = self.sample_certification(applied, kind, previous.filter(|_| kind != 1));
            if kind == 2 {
                if let Some(c) = &current {
                    cert.valid_from = c.valid_to + Duration::days(1);
                    let months = cert_months(&cert);
                    cert.valid_to = YearMonth::of(cert.valid_from).plus(months - 1).last_day();
                }
            } else if kind == 3
                && let Some(c) = &current
            {
                cert.valid_to = c.valid_to.max(YearMonth::of(applied).plus(6).last_day());
            }
            if cert.second.is_some_and(|l| l >= 4) && self.residential.is_none() && self.rng.chance(RESIDENTIAL_SHARE) {
                self.residential = Some(care_home(&mut self.rng));
            }
            self.p.certifications.push(cert);
        }

        // Services used this month under the certification in force on its first day
        // (or from the day a new one starts).
        let Some(cert) = self
            .p
            .certifications
            .iter()
            .rev()
            .find(|c| c.second.is_some() && c.valid_from <= last && c.valid_to >= first)
            .cloned()
        else {
            return;
        };
        let Some(level) = cert.second else { return };
        let home_days = self.days_at_home(month, death).len() as u32;
        if home_days == 0 {
            return;
        }
        let mut uses: Vec<(LtcServiceId, u32)> = Vec::new();
        if let Some(service) = self.residential.filter(|_| level >= 2) {
            uses.push((service, home_days));
        } else if level < 2 {
            if self.rng.chance(0.6) {
                uses.push((LtcServiceId::PreventionSupport, 1));
                let kind = if self.rng.chance(0.6) {
                    LtcServiceId::PreventionDayRehab
                } else {
                    LtcServiceId::PreventionEquipment
                };
                uses.push((kind, 1));
            }
        } else if self.rng.chance(0.85) {
            uses.push((LtcServiceId::CareManagement, 1));
            let limit = catalog::MONTHLY_LIMIT_UNITS[level];
            let mut used = 0u32;
            // (service, chance of using it, times a month)
            for (service, chance, lo, hi) in [
                (LtcServiceId::DayCare, 0.7, 4u32, 12u32),
                (LtcServiceId::HomeHelp, 0.4, 4, 20),
                (LtcServiceId::Equipment, 0.5, 1, 1),
                (LtcServiceId::HomeNursing, 0.15, 4, 8),
                (LtcServiceId::ShortStay, 0.1, 3, 7),
            ] {
                if self.rng.chance(chance) {
                    let per = service.row().units[level];
                    let wanted = self.rng.between(lo, hi).min(home_days);
                    let times = wanted.min((limit.saturating_sub(used)) / per.max(1));
                    if times > 0 {
                        used += per * times;
                        uses.push((service, times));
                    }
                }
            }
        }
        for (service, times) in uses {
            let providers = &self.world.providers_by_service[service as usize];
            let provider = providers[(mix(self.p.index, service as u64, 0) % providers.len() as u64) as usize];
            self.p.ltc.push(LtcClaim {
                month,
                provider,
                service,
                level,
                times,
                cert_from: cert.valid_from,
                cert_to: cert.valid_to,
                ended_by_death: death,
            });
        }
    }
}

fn cert_months(c: &Certification) -> i32 {
    (YearMonth::of(c.valid_from).months_until(YearMonth::of(c.valid_to)) + 1).max(12)
}

/// The care home of a person who moves into one: a 特養 more often than a 老健.
fn care_home(rng: &mut Stream) -> LtcServiceId {
    if rng.chance(0.7) {
        LtcServiceId::NursingHome
    } else {
        LtcServiceId::HealthFacility
    }
}
