//! Outpatient visits, claimed per facility and month: regular visits for chronic
//! conditions, dialysis, outpatient immunotherapy, one-off visits, and the fees they bill.

use super::identity::with_check;
use super::life::Simulation;
use super::record::{Diagnosis, Item, ItemCode, OutpatientClaim};
use crate::catalog::{self, ACUTE, CHRONIC, ChronicId, DrugId, ProcedureId, age_group, dx};
use chrono::{Duration, NaiveDate};
use renkei_formats::era::YearMonth;

/// Chance of at least one one-off outpatient visit in a month, by age group.
const ACUTE_VISIT: [f64; 9] = [0.8, 0.33, 0.36, 0.4, 0.46, 0.5, 0.55, 0.55, 0.55];
/// Chance of a one-off visit to a second facility in a month with a first one.
const SECOND_ACUTE_VISIT: f64 = 0.45;

impl Simulation<'_> {
    fn claim_for(claims: &mut Vec<OutpatientClaim>, month: YearMonth, facility: usize) -> &mut OutpatientClaim {
        if let Some(i) = claims.iter().position(|c| c.facility == facility) {
            return &mut claims[i];
        }
        claims.push(OutpatientClaim {
            month,
            facility,
            diagnoses: Vec::new(),
            items: Vec::new(),
            visit_days: Vec::new(),
            public_payer: None,
            dialysis: false,
        });
        claims.last_mut().expect("just pushed")
    }

    pub(super) fn outpatient_in(&mut self, month: YearMonth, death: Option<NaiveDate>) {
        let home_days = self.days_at_home(month, death);
        if home_days.is_empty() {
            return;
        }
        let mut claims: Vec<OutpatientClaim> = Vec::new();
        let age = self.age_at(month.first_day());
        let g = age_group(age);

        // Regular visits for chronic conditions: clinic conditions at the home clinic,
        // hospital conditions at a hospital's outpatient department.
        let chronic: Vec<(usize, NaiveDate)> = self.p.chronic.clone();
        for (d, onset) in &chronic {
            let (hospital_care, drug) = if *d == dx::dialysis() {
                continue;
            } else if let Some(c) = CHRONIC.get(*d) {
                (c.hospital_care, c.drug)
            } else {
                (true, None)
            };
            if !self.rng.chance(if hospital_care { 0.7 } else { 0.92 }) {
                continue;
            }
            let facility = if hospital_care {
                self.world.dpc_hospitals[(self.p.index as usize) % self.world.dpc_hospitals.len()]
            } else {
                self.home_clinic
            };
            let day = *self.rng.pick(&home_days);
            let claim = Self::claim_for(&mut claims, month, facility);
            claim.diagnoses.push(Diagnosis {
                dx: *d,
                start: *onset,
                main: claim.diagnoses.is_empty(),
            });
            if !claim.visit_days.contains(&day) {
                claim.visit_days.push(day);
            }
            if let Some(drug) = drug {
                claim.items.push(Item::drug(drug, day, 28));
            }
            if *d >= dx::rare(0)
                && let Some((_, recipient)) = &self.p.intractable
            {
                claim.public_payer = Some((self.world.intractable_payer.clone(), recipient.clone()));
            }
        }
        if self.on_costly_outpatient_drug {
            let hospital = self.world.dpc_hospitals[(self.p.index as usize) % self.world.dpc_hospitals.len()];
            let days: Vec<u32> = home_days.iter().copied().filter(|d| d % 14 == 1).collect();
            if !days.is_empty() {
                let claim = Self::claim_for(&mut claims, month, hospital);
                let mut item = Item::drug(DrugId::Nivolumab, days[0], days.len() as u32);
                item.days = days.iter().map(|d| (*d, 1)).collect();
                claim.items.push(item);
                claim.items.push(Item::procedure(ProcedureId::OutpatientChemo, &days));
                claim.visit_days.extend(days);
            }
        }
        if self.on_dialysis {
            let hospital = self.world.hospitals[(self.p.index as usize) % self.world.hospitals.len()];
            let days: Vec<u32> = home_days
                .iter()
                .copied()
                .filter(|d| d % 7 == 1 || d % 7 == 3 || d % 7 == 5)
                .collect();
            if !days.is_empty() {
                let claim = Self::claim_for(&mut claims, month, hospital);
                claim.dialysis = true;
                claim.diagnoses.push(Diagnosis {
                    dx: dx::dialysis(),
                    start: month.first_day(),
                    main: true,
                });
                claim.items.push(Item::procedure(ProcedureId::Dialysis, &days));
                claim.visit_days.extend(days);
                claim.public_payer = Some((
                    with_check(format!("15{:02}001", self.world.code)),
                    with_check(format!("{:06}", self.p.index % 1_000_000)),
                ));
            }
        }

        // One-off visits.
        let visits = if self.doctor_shopper {
            4 + self.rng.below(5) as usize
        } else if self.rng.chance(ACUTE_VISIT[g]) {
            1 + usize::from(self.rng.chance(SECOND_ACUTE_VISIT))
        } else {
            0
        };
        let winter = matches!(month.month, 12 | 1 | 2 | 3);
        for v in 0..visits {
            let weights: Vec<f64> = ACUTE
                .iter()
                .map(|a| {
                    if a.winter && !winter {
                        0.0
                    } else {
                        a.weight[g] * catalog::sex_factor(self.p.sex, a.female_ratio)
                    }
                })
                .collect();
            let a = self.rng.weighted(&weights);
            let near = if self.doctor_shopper {
                self.world.clinics.clone()
            } else {
                self.world.clinics_near(self.area)
            };
            let facility = if v == 0 && self.rng.chance(0.6) {
                self.home_clinic
            } else if self.rng.chance(0.1) {
                self.world.hospitals[self.rng.below(self.world.hospitals.len() as u64) as usize]
            } else {
                *self.rng.pick(&near)
            };
            let day = *self.rng.pick(&home_days);
            let start = month.first_day() + Duration::days(i64::from(day) - 1);
            let claim = Self::claim_for(&mut claims, month, facility);
            claim.diagnoses.push(Diagnosis {
                dx: dx::acute(a),
                start,
                main: claim.diagnoses.is_empty(),
            });
            if !claim.visit_days.contains(&day) {
                claim.visit_days.push(day);
            }
            claim.items.push(Item::drug(ACUTE[a].drug, day, 5));
        }

        // Visit fees, management fees and tests, now that each claim's visits are known.
        for claim in &mut claims {
            claim.visit_days.sort_unstable();
            claim.visit_days.dedup();
            let f = &self.world.facilities[claim.facility];
            let is_clinic = f.kind == crate::geography::FacilityKind::Clinic;
            let first_time = !self.seen_facilities.contains(&claim.facility);
            if first_time {
                self.seen_facilities.push(claim.facility);
            }
            let days = claim.visit_days.clone();
            let mut fees = Vec::new();
            let revisit = if is_clinic {
                ProcedureId::Revisit
            } else {
                ProcedureId::HospitalRevisit
            };
            if first_time {
                fees.push(Item::procedure(ProcedureId::FirstVisit, &days[..1]));
                if days.len() > 1 {
                    fees.push(Item::procedure(revisit, &days[1..]));
                }
            } else {
                fees.push(Item::procedure(revisit, &days));
            }
            if is_clinic && !first_time {
                fees.push(Item::procedure(ProcedureId::OutpatientManagement, &days));
            }
            let chronic_here = claim.diagnoses.iter().any(|d| d.dx < CHRONIC.len());
            if is_clinic && chronic_here && !first_time {
                fees.push(Item::procedure(ProcedureId::ChronicManagement, &days[..1]));
            }
            if chronic_here && self.rng.chance(0.3) {
                fees.push(Item::procedure(ProcedureId::BloodCount, &days[..1]));
                fees.push(Item::procedure(ProcedureId::Biochemistry, &days[..1]));
                if claim.diagnoses.iter().any(|d| d.dx == dx::chronic(ChronicId::Diabetes)) {
                    fees.push(Item::procedure(ProcedureId::Hba1c, &days[..1]));
                }
            }
            let prescribes = claim
                .items
                .iter()
                .any(|i| matches!(i.code, ItemCode::Drug(d) if d.care_class != "33"));
            if prescribes {
                if f.in_house_dispensing {
                    fees.push(Item::procedure(ProcedureId::Dispensing, &days[..1]));
                } else {
                    // Dispensed at a pharmacy: the drugs appear on the pharmacy's claim,
                    // which Renkei does not generate; this claim bills the prescription.
                    claim
                        .items
                        .retain(|i| matches!(i.code, ItemCode::Procedure(_)) || i.care_class() == "33");
                    fees.push(Item::procedure(ProcedureId::Prescription, &days[..1]));
                }
            }
            fees.append(&mut claim.items);
            claim.items = fees;
        }
        self.p.outpatient.append(&mut claims);
    }
}
