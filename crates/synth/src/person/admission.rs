//! Hospital stays: admissions by cause, readmissions, the stays that end in death, and
//! what a stay leaves behind (a chronic condition, an application for care).

use super::life::Simulation;
use super::record::Stay;
use crate::catalog::{self, Cause, DrugId, Surgery, age_group, dx};
use chrono::{Duration, NaiveDate};
use renkei_formats::era::YearMonth;

impl Simulation<'_> {
    fn choose_hospital(&mut self, dpc_share: f64) -> usize {
        if self.rng.chance(dpc_share) {
            *self.rng.pick(&self.world.dpc_hospitals)
        } else {
            *self.rng.pick(&self.world.hospitals)
        }
    }

    fn admit(&mut self, cause: Cause, admitted: NaiveDate, death: Option<NaiveDate>, forced_death: bool) {
        let c = cause.row();
        let mut days = self.rng.skewed(c.stay_days.0, c.stay_days.1).round().max(1.0) as i64;
        // A few stroke patients stay for half a year or more (療養): the costly tail.
        if cause == Cause::Stroke && self.rng.chance(0.03) {
            days = 180 + self.rng.below(180) as i64;
        }
        let mut discharged = admitted + Duration::days(days);
        let mut died = false;
        if let Some(d) = death
            && (forced_death || d <= discharged)
            && d >= admitted
        {
            discharged = d;
            died = true;
        }
        let facility = self.choose_hospital(0.75);
        let surgery = c.surgery.map(|s| match s {
            Surgery::Procedure(p) => p,
            Surgery::ForCancerSite => {
                let site = self
                    .p
                    .chronic
                    .iter()
                    .filter_map(|(d, _)| dx::chronic_of(*d))
                    .find(|id| id.row().icd10.starts_with('C'));
                catalog::cancer_surgery_for(site)
            }
        });
        let costly_drug = (cause == Cause::Chemotherapy && self.rng.chance(0.01)).then_some(DrugId::CarT);
        let comorbidities: Vec<usize> = self.p.chronic.iter().map(|(d, _)| *d).take(3).collect();
        let frail = self.age_at(admitted) >= 80;
        let mut adl_admission = [2u8; 10];
        for x in adl_admission.iter_mut() {
            *x = if frail {
                self.rng.between(0, 2) as u8
            } else {
                2 - self.rng.between(0, 1) as u8 * u8::from(self.rng.chance(0.2))
            };
        }
        let mut adl_discharge = adl_admission;
        for x in adl_discharge.iter_mut() {
            if *x < 2 && self.rng.chance(0.4) {
                *x += 1;
            }
        }
        let stay = Stay {
            facility,
            cause,
            admitted,
            discharged,
            died,
            emergency: !matches!(
                cause,
                Cause::Cataract | Cause::Caesarean | Cause::CancerSurgery | Cause::Chemotherapy
            ),
            surgery,
            injection: c.injection,
            costly_drug,
            comorbidities,
            height_cm: if self.p.sex == 1 {
                150 + self.rng.between(0, 35)
            } else {
                140 + self.rng.between(0, 30)
            },
            weight_kg: 40 + self.rng.between(0, 45),
            adl_admission,
            adl_discharge,
        };
        self.in_hospital_until = Some(discharged);
        if !died {
            if let Some(l) = c.leaves {
                self.add_chronic(l, discharged);
            }
            if self.rng.chance(c.readmission) {
                self.pending_admission = Some((cause, discharged + Duration::days(7 + self.rng.below(54) as i64)));
            }
            let age = self.age_at(discharged);
            let certified = self
                .p
                .certifications
                .last()
                .is_some_and(|c| c.second.is_some() && c.valid_to >= discharged);
            if age >= 65 && self.rng.chance(c.care_trigger) {
                let kind = if certified { 3 } else { 1 };
                self.pending_application = Some((discharged + Duration::days(self.rng.below(30) as i64), kind));
            }
        }
        self.p.stays.push(stay);
    }

    pub(super) fn admissions_in(&mut self, month: YearMonth, death: Option<NaiveDate>) {
        let first = month.first_day();
        let last = month.last_day();
        if let Some((cause, date)) = self.pending_admission
            && date <= last
        {
            self.pending_admission = None;
            if self.in_hospital_until.is_none_or(|u| u < date) && death.is_none_or(|d| d > date) {
                self.admit(cause, date.max(first), death, false);
            }
        }
        let age = self.age_at(first);
        let g = age_group(age);
        for cause in Cause::ALL {
            let c = cause.row();
            let rate = c.per_1000[g] / 1000.0 / 12.0 * catalog::sex_factor(self.p.sex, c.female_ratio);
            if rate > 0.0 && self.rng.chance(rate) {
                let date = first + Duration::days(self.rng.below(u64::from(month.days())) as i64);
                if self.in_hospital_until.is_none_or(|u| u < date) && death.is_none_or(|d| d > date) {
                    self.admit(*cause, date, death, false);
                }
            }
        }
        // About two in three deaths happen in hospital, at the end of a stay.
        if let Some(d) = death
            && self.in_hospital_until.is_none_or(|u| u < d)
            && self.rng.chance(0.65)
        {
            let cause = *self.rng.pick(&[
                Cause::Pneumonia,
                Cause::HeartFailure,
                Cause::Chemotherapy,
                Cause::OtherInternal,
            ]);
            let admitted = (d - Duration::days(self.rng.skewed(12.0, 2.0) as i64)).max(self.cfg.from.first_day());
            if self.in_hospital_until.is_none_or(|u| u < admitted) {
                self.admit(cause, admitted, Some(d), true);
            }
        }
        // Heavy users' rare conditions bring an admission now and then.
        if self.p.intractable.is_some() && self.rng.chance(0.2 / 12.0) {
            let date = first + Duration::days(self.rng.below(u64::from(month.days())) as i64);
            if self.in_hospital_until.is_none_or(|u| u < date) && death.is_none_or(|d| d > date) {
                self.admit(Cause::OtherInternal, date, death, false);
            }
        }
    }
}
