//! Who a person is on the first day of the period: age and sex, name, home, insurance,
//! and the conditions they are already treated for.

use super::identity::{coverage, draw_insurer, family_name, ltc_number, pick_municipality, postcode, with_check};
use super::life::Simulation;
use super::record::{Coverage, NamePeriod, Payer, Person, Residence, age_on};
use crate::catalog::{self, CHRONIC, ChronicId, age_group, dx};
use crate::config::Config;
use crate::geography::PrefectureWorld;
use crate::names::given_names;
use crate::reference::reference;
use crate::rng::{Purpose, Stream};
use chrono::Duration;

/// Share of persons on public assistance (生活保護), by age group.
const WELFARE: [f64; 9] = [0.012, 0.008, 0.012, 0.016, 0.022, 0.03, 0.03, 0.03, 0.03];
/// Share of persons who visit many clinics every month (重複受診): NDB's heaviest users.
const DOCTOR_SHOPPERS: f64 = 0.001;

impl<'a> Simulation<'a> {
    pub(super) fn new(cfg: &'a Config, world: &'a PrefectureWorld, index: u64) -> Simulation<'a> {
        let mut rng = Stream::new(cfg.seed, Purpose::Person, index, 0);
        let r = reference();
        let start = cfg.from.first_day();

        let band_weights: Vec<f64> = r
            .age_bands
            .iter()
            .flat_map(|b| [b.male_thousands, b.female_thousands])
            .collect();
        let pick = rng.weighted(&band_weights);
        let band = &r.age_bands[pick / 2];
        let sex = if pick.is_multiple_of(2) { 1 } else { 2 };
        let age = band.lower + rng.between(0, 4);
        let birth = start - Duration::days(i64::from(age) * 365 + i64::from(age / 4) + rng.below(365) as i64);

        let given = rng.below(given_names(sex).len() as u64) as usize;
        let (family, registered_form) = family_name(&mut rng);

        let municipality = pick_municipality(&mut rng, world);
        let residence = Residence {
            from: cfg.from,
            municipality,
            ltc_number: ltc_number(&mut rng),
            postcode: postcode(&mut rng, world, municipality),
        };
        let area = world.municipalities[municipality].area;
        let near = world.clinics_near(area);
        let home_clinic = *rng.pick(&near);

        let age_now = age_on(birth, start);
        let welfare = rng.chance(WELFARE[age_group(age_now)]);
        let cov = if welfare {
            Coverage {
                from: cfg.from,
                payer: Payer::Welfare,
                symbol: String::new(),
                number: String::new(),
                branch: String::new(),
                dependent: false,
            }
        } else {
            let (kind, number) = draw_insurer(&mut rng, world, age_now, municipality);
            let dependent = age_now < 20 || (sex == 2 && (20..75).contains(&age_now) && rng.chance(0.3));
            coverage(&mut rng, cfg.from, kind, number, dependent)
        };
        let welfare_recipient = welfare.then(|| with_check(format!("{:06}", rng.below(1_000_000))));

        let mut chronic = Vec::new();
        for id in ChronicId::ALL {
            if rng.chance(catalog::chronic_probability(id.row(), age_now, sex)) {
                chronic.push((dx::chronic(*id), start - Duration::days(30 + rng.below(3000) as i64)));
            }
        }
        let on_dialysis = rng.chance(catalog::chronic_probability(&catalog::DIALYSIS_CONDITION, age_now, sex));
        if on_dialysis {
            chronic.push((dx::dialysis(), start - Duration::days(30 + rng.below(3000) as i64)));
        }
        let mut intractable = None;
        for rare in catalog::rare_conditions() {
            // Patients per person: thousands / 124,000 thousand.
            if rng.chance(rare.patients_thousands / 124_000.0) {
                chronic.push((
                    dx::rare(rare.index),
                    start - Duration::days(30 + rng.below(3000) as i64),
                ));
                intractable = Some((rare.index, with_check(format!("{:06}", rng.below(1_000_000)))));
                break;
            }
        }
        let has_cancer = chronic
            .iter()
            .any(|(d, _)| CHRONIC.get(*d).is_some_and(|c| c.icd10.starts_with('C')));
        let doctor_shopper = rng.chance(DOCTOR_SHOPPERS);
        let on_costly_outpatient_drug = has_cancer && rng.chance(0.1);

        Simulation {
            cfg,
            world,
            rng,
            p: Person {
                index,
                sex,
                birth,
                death: None,
                given,
                names: vec![NamePeriod {
                    from: birth,
                    family,
                    registered_form,
                }],
                coverage: vec![cov],
                residences: vec![residence],
                intractable,
                welfare_recipient,
                chronic,
                outpatient: Vec::new(),
                stays: Vec::new(),
                certifications: Vec::new(),
                ltc: Vec::new(),
            },
            area,
            home_clinic,
            pending_admission: None,
            in_hospital_until: None,
            doctor_shopper,
            on_dialysis,
            on_costly_outpatient_drug,
            residential: None,
            pending_application: None,
            seen_facilities: Vec::new(),
        }
    }
}
