//! One person's life over the period: who they are, how their identifiers change, and
//! every contact with the health and care systems. Drawn from the person's own random
//! stream, so a life never depends on other persons.

use crate::catalog::{self, ACUTE, ADMISSIONS, CHRONIC, age_group, dx};
use crate::config::Config;
use crate::geography::{InsurerKind, PrefectureWorld};
use crate::names::{FAMILY_NAMES, given_names};
use crate::reference::reference;
use crate::rng::{Purpose, Stream, mix};
use chrono::{Datelike, Duration, NaiveDate};
use renkei_formats::era::YearMonth;

/// Who pays: an insurer, or public assistance (生活保護) alone.
#[derive(Clone, Debug)]
pub enum Payer {
    Insurer { kind: InsurerKind, number: String },
    Welfare,
}

/// The insurance a person holds from a month on.
#[derive(Clone, Debug)]
pub struct Coverage {
    pub from: YearMonth,
    pub payer: Payer,
    /// 被保険者証の記号 and 番号, canonical (digits, no padding).
    pub symbol: String,
    pub number: String,
    /// 個人単位被保険者番号の枝番.
    pub branch: String,
    pub dependent: bool,
}

/// The family name a person uses from a date on (a marriage changes it).
#[derive(Clone, Copy, Debug)]
pub struct NamePeriod {
    pub from: NaiveDate,
    pub family: usize,
    /// Index into the family name's variants + 1, or 0 for the common form: the form in
    /// the person's own registry (戸籍).
    pub registered_form: usize,
}

/// Where the person lives from a month on, with the LTC insured number given there.
#[derive(Clone, Debug)]
pub struct Residence {
    pub from: YearMonth,
    pub municipality: usize,
    pub ltc_number: String,
    pub postcode: String,
}

/// One billed item. Points are per time; `days` lists (day of month, times) and its
/// times add up to `times`.
#[derive(Clone, Debug)]
pub enum ItemCode {
    Procedure(&'static catalog::Procedure),
    Drug(&'static catalog::Drug),
}

#[derive(Clone, Debug)]
pub struct Item {
    pub code: ItemCode,
    pub amount: f64,
    pub points: u32,
    pub times: u32,
    pub days: Vec<(u32, u32)>,
}

impl Item {
    pub fn procedure(key: &str, days: &[u32]) -> Item {
        let p = catalog::procedure(key);
        Item {
            code: ItemCode::Procedure(p),
            amount: 0.0,
            points: p.points,
            times: days.len() as u32,
            days: days.iter().map(|d| (*d, 1)).collect(),
        }
    }

    /// A prescription of `days_supplied` days handed out on `day`.
    pub fn drug(key: &str, day: u32, times: u32) -> Item {
        let d = catalog::drug(key);
        Item {
            code: ItemCode::Drug(d),
            amount: d.daily_amount,
            points: catalog::drug_points(d.price_yen, d.daily_amount),
            times,
            days: vec![(day, times)],
        }
    }

    pub fn care_class(&self) -> &'static str {
        match self.code {
            ItemCode::Procedure(p) => p.care_class,
            ItemCode::Drug(d) => d.care_class,
        }
    }

    pub fn total_points(&self) -> u64 {
        u64::from(self.points) * u64::from(self.times)
    }
}

/// A diagnosis on a claim.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub dx: usize,
    pub start: NaiveDate,
    pub main: bool,
}

/// One outpatient claim: one person, one facility, one month.
#[derive(Clone, Debug)]
pub struct OutpatientClaim {
    pub month: YearMonth,
    pub facility: usize,
    pub diagnoses: Vec<Diagnosis>,
    pub items: Vec<Item>,
    pub visit_days: Vec<u32>,
    /// 公費: (法別番号 payer number, recipient number).
    pub public_payer: Option<(String, String)>,
    pub dialysis: bool,
}

#[derive(Clone, Debug)]
pub struct Stay {
    pub facility: usize,
    pub cause: usize,
    pub admitted: NaiveDate,
    pub discharged: NaiveDate,
    pub died: bool,
    pub emergency: bool,
    pub surgery: Option<&'static str>,
    pub injection: Option<&'static str>,
    /// A very costly drug given once (CAR-T): the dominant contributor to sums.
    pub costly_drug: Option<&'static str>,
    pub comorbidities: Vec<usize>,
    pub height_cm: u32,
    pub weight_kg: u32,
    pub adl_admission: [u8; 10],
    pub adl_discharge: [u8; 10],
}

/// 要介護状態区分 as an index: 0 要支援1 … 6 要介護5.
pub type CareLevel = usize;

#[derive(Clone, Debug)]
pub struct Certification {
    pub applied: NaiveDate,
    pub decided: NaiveDate,
    /// `1` new, `2` renewal, `3` change of level.
    pub kind: u8,
    /// None: 非該当 (not certified).
    pub first: Option<CareLevel>,
    pub second: Option<CareLevel>,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub adl_grade: u8,
    pub dementia_grade: u8,
    pub minutes: u32,
}

/// LTC services used in one month from one provider.
#[derive(Clone, Debug)]
pub struct LtcClaim {
    pub month: YearMonth,
    pub provider: usize,
    pub service: usize,
    pub level: CareLevel,
    pub times: u32,
    pub cert_from: NaiveDate,
    pub cert_to: NaiveDate,
    pub ended_by_death: Option<NaiveDate>,
}

pub struct Person {
    pub index: u64,
    /// 1 male, 2 female.
    pub sex: u8,
    pub birth: NaiveDate,
    pub death: Option<NaiveDate>,
    pub given: usize,
    pub names: Vec<NamePeriod>,
    pub coverage: Vec<Coverage>,
    pub residences: Vec<Residence>,
    pub intractable: Option<(usize, String)>,
    pub welfare_recipient: Option<String>,
    pub chronic: Vec<(usize, NaiveDate)>,
    pub outpatient: Vec<OutpatientClaim>,
    pub stays: Vec<Stay>,
    pub certifications: Vec<Certification>,
    pub ltc: Vec<LtcClaim>,
}

/// Age in whole years on `date`.
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    let mut age = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

/// Yearly deaths per 1,000 by age group (人口動態統計, rounded; both sexes).
const MORTALITY_PER_1000: [f64; 9] = [0.2, 0.5, 1.5, 3.5, 8.0, 16.0, 28.0, 50.0, 130.0];
/// Chance of at least one one-off outpatient visit in a month, by age group.
const ACUTE_VISIT: [f64; 9] = [0.8, 0.33, 0.36, 0.4, 0.46, 0.5, 0.55, 0.55, 0.55];
/// Chance of a one-off visit to a second facility in a month with a first one.
const SECOND_ACUTE_VISIT: f64 = 0.45;
/// Share of persons on public assistance (生活保護), by age group.
const WELFARE: [f64; 9] = [0.012, 0.008, 0.012, 0.016, 0.022, 0.03, 0.03, 0.03, 0.03];
/// Share of persons who visit many clinics every month (重複受診): NDB's heaviest users.
const DOCTOR_SHOPPERS: f64 = 0.001;
/// Share of persons living in an LTC facility when certified at 要介護3–5.
const RESIDENTIAL_SHARE: f64 = 0.3;

fn sex_factor(sex: u8, female_ratio: f64) -> f64 {
    if female_ratio >= 100.0 {
        return if sex == 2 { 2.0 } else { 0.0 };
    }
    if female_ratio == 0.0 {
        return if sex == 1 { 2.0 } else { 0.0 };
    }
    if sex == 2 {
        2.0 * female_ratio / (1.0 + female_ratio)
    } else {
        2.0 / (1.0 + female_ratio)
    }
}

fn chronic_probability(c: &catalog::Chronic, age: u32, sex: u8) -> f64 {
    let scale = catalog::prevalence_scale(c.patients_thousands, &c.shape, c.female_ratio);
    let female = if sex == 2 { c.female_ratio } else { 1.0 };
    // `prevalence_scale` weights women by the ratio; persons are counted in thousands.
    let p = scale * c.shape[age_group(age)] * female;
    // Conditions of one sex only (breast, prostate cancer) never occur in the other.
    let impossible = (c.female_ratio >= 100.0 && sex == 1) || (c.female_ratio == 0.0 && sex == 2);
    if impossible { 0.0 } else { p.min(0.95) }
}

/// Draws a fresh, canonical insured card (記号, 番号) for an insurer kind.
fn new_card(rng: &mut Stream, kind: InsurerKind) -> (String, String) {
    match kind {
        InsurerKind::Kokuho | InsurerKind::Koki => (String::new(), format!("{}", 10_000_000 + rng.below(89_999_999))),
        InsurerKind::Kyokai => (
            format!("{}", 1_000_000 + rng.below(8_999_999)),
            format!("{}", 1 + rng.below(9_999)),
        ),
        InsurerKind::Kumiai | InsurerKind::Kyosai => (
            format!("{}", 100 + rng.below(899)),
            format!("{}", 1 + rng.below(99_999)),
        ),
    }
}

fn draw_insurer(rng: &mut Stream, world: &PrefectureWorld, age: u32, municipality: usize) -> (InsurerKind, String) {
    if age >= 75 {
        return (InsurerKind::Koki, world.koki.clone());
    }
    let weights: [f64; 4] = if age >= 60 {
        [0.62, 0.2, 0.12, 0.06]
    } else {
        [0.22, 0.4, 0.29, 0.09]
    };
    match rng.weighted(&weights) {
        0 => (InsurerKind::Kokuho, world.kokuho_insurer(municipality)),
        1 => (InsurerKind::Kyokai, world.kyokai.clone()),
        2 => (InsurerKind::Kumiai, rng.pick(&world.kumiai).clone()),
        _ => (InsurerKind::Kyosai, rng.pick(&world.kyosai).clone()),
    }
}

fn coverage(rng: &mut Stream, from: YearMonth, kind: InsurerKind, number: String, dependent: bool) -> Coverage {
    let (symbol, card) = new_card(rng, kind);
    let branch = if dependent {
        format!("{:02}", 1 + rng.below(3))
    } else {
        "00".to_string()
    };
    Coverage {
        from,
        payer: Payer::Insurer { kind, number },
        symbol,
        number: card,
        branch,
        dependent,
    }
}

fn ltc_number(rng: &mut Stream) -> String {
    format!("{:010}", 1_000_000 + rng.below(8_999_999_999))
}

fn postcode(rng: &mut Stream, world: &PrefectureWorld, municipality: usize) -> String {
    format!(
        "{}{:02}",
        world.municipalities[municipality].postcode_prefix,
        rng.below(100)
    )
}

fn pick_municipality(rng: &mut Stream, world: &PrefectureWorld) -> usize {
    let weights: Vec<f64> = world.municipalities.iter().map(|m| m.weight).collect();
    rng.weighted(&weights)
}

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

/// The life simulation. `cfg.from ..= cfg.to` is the period written out.
pub fn simulate(cfg: &Config, world: &PrefectureWorld, index: u64) -> Person {
    Simulation::new(cfg, world, index).run()
}

struct Simulation<'a> {
    cfg: &'a Config,
    world: &'a PrefectureWorld,
    rng: Stream,
    p: Person,
    area: usize,
    home_clinic: usize,
    /// (cause, admission date) scheduled by an earlier stay.
    pending_admission: Option<(usize, NaiveDate)>,
    in_hospital_until: Option<NaiveDate>,
    doctor_shopper: bool,
    on_dialysis: bool,
    on_costly_outpatient_drug: bool,
    residential: Option<usize>,
    /// Care-need application due (date, kind).
    pending_application: Option<(NaiveDate, u8)>,
    seen_facilities: Vec<usize>,
}

impl<'a> Simulation<'a> {
    fn new(cfg: &'a Config, world: &'a PrefectureWorld, index: u64) -> Simulation<'a> {
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
        // Common names are commoner: weight family names by 1/(rank+8).
        let family_weights: Vec<f64> = (0..FAMILY_NAMES.len()).map(|i| 1.0 / (i as f64 + 8.0)).collect();
        let family = rng.weighted(&family_weights);
        let variants = FAMILY_NAMES[family].kanji_variants.len();
        let registered_form = if variants > 0 && rng.chance(0.3) {
            1 + rng.below(variants as u64) as usize
        } else {
            0
        };

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
        for (i, c) in CHRONIC.iter().enumerate() {
            if rng.chance(chronic_probability(c, age_now, sex)) {
                chronic.push((dx::chronic(i), start - Duration::days(30 + rng.below(3000) as i64)));
            }
        }
        let on_dialysis = rng.chance(chronic_probability(&catalog::DIALYSIS_CONDITION, age_now, sex));
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

    fn has_chronic(&self, key: &str) -> bool {
        dx::chronic_by_key(key).is_some_and(|i| self.p.chronic.iter().any(|(d, _)| *d == i))
    }

    fn add_chronic(&mut self, key: &str, on: NaiveDate) {
        if let Some(i) = dx::chronic_by_key(key)
            && !self.p.chronic.iter().any(|(d, _)| *d == i)
        {
            self.p.chronic.push((i, on));
        }
    }

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

    fn age_at(&self, date: NaiveDate) -> u32 {
        age_on(self.p.birth, date)
    }

    fn current_coverage(&self) -> &Coverage {
        self.p.coverage.last().expect("a person always has coverage")
    }

    /// Insurer changes, marriages and moves take effect on the first day of `month`.
    fn identity_events(&mut self, month: YearMonth) {
        let day = month.first_day();
        let age = self.age_at(day);
        let churn = &self.cfg.churn;
        let municipality = self.p.residences.last().map_or(0, |r| r.municipality);
        let on_welfare = matches!(self.current_coverage().payer, Payer::Welfare);

        // Turning 75: everyone not on welfare moves to 後期高齢者医療.
        let was_75 = self.age_at(month.plus(-1).first_day()) >= 75;
        if age >= 75 && !was_75 && !on_welfare {
            let cov = coverage(&mut self.rng, month, InsurerKind::Koki, self.world.koki.clone(), false);
            self.p.coverage.push(cov);
        } else if (20..65).contains(&age) && !on_welfare && self.rng.chance(churn.insurer_change_per_year / 12.0) {
            let (kind, number) = draw_insurer(&mut self.rng, self.world, age, municipality);
            let cov = coverage(&mut self.rng, month, kind, number, false);
            self.p.coverage.push(cov);
        }

        if self.p.sex == 2
            && (24..=38).contains(&age)
            && self.p.names.len() == 1
            && self.rng.chance(churn.marriage_per_year / 12.0)
        {
            let weights: Vec<f64> = (0..FAMILY_NAMES.len()).map(|i| 1.0 / (i as f64 + 8.0)).collect();
            let family = self.rng.weighted(&weights);
            let variants = FAMILY_NAMES[family].kanji_variants.len();
            let registered_form = if variants > 0 && self.rng.chance(0.3) {
                1 + self.rng.below(variants as u64) as usize
            } else {
                0
            };
            let wedding = day + Duration::days(self.rng.below(28) as i64);
            self.p.names.push(NamePeriod {
                from: wedding,
                family,
                registered_form,
            });
            // Half of brides become dependants on the spouse's employee insurance.
            if !on_welfare && self.rng.chance(0.5) {
                let kind = if self.rng.chance(0.55) {
                    InsurerKind::Kyokai
                } else {
                    InsurerKind::Kumiai
                };
                let number = if kind == InsurerKind::Kyokai {
                    self.world.kyokai.clone()
                } else {
                    self.rng.pick(&self.world.kumiai).clone()
                };
                let cov = coverage(&mut self.rng, month.next(), kind, number, true);
                self.p.coverage.push(cov);
            }
        }

        if self.rng.chance(churn.move_per_year / 12.0) && self.world.municipalities.len() > 1 {
            let to = pick_municipality(&mut self.rng, self.world);
            if to != municipality {
                let residence = Residence {
                    from: month,
                    municipality: to,
                    ltc_number: ltc_number(&mut self.rng),
                    postcode: postcode(&mut self.rng, self.world, to),
                };
                self.p.residences.push(residence);
                if let Payer::Insurer {
                    kind: InsurerKind::Kokuho,
                    ..
                } = self.current_coverage().payer
                {
                    let cov = coverage(
                        &mut self.rng,
                        month,
                        InsurerKind::Kokuho,
                        self.world.kokuho_insurer(to),
                        false,
                    );
                    self.p.coverage.push(cov);
                }
            }
        }
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

    fn choose_hospital(&mut self, dpc_share: f64) -> usize {
        if self.rng.chance(dpc_share) {
            *self.rng.pick(&self.world.dpc_hospitals)
        } else {
            *self.rng.pick(&self.world.hospitals)
        }
    }

    fn admit(&mut self, cause: usize, admitted: NaiveDate, death: Option<NaiveDate>, forced_death: bool) {
        let c = &ADMISSIONS[cause];
        let mut days = self.rng.skewed(c.stay_days.0, c.stay_days.1).round().max(1.0) as i64;
        // A few stroke patients stay for half a year or more (療養): the costly tail.
        if c.key == "stroke" && self.rng.chance(0.03) {
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
        let surgery = c.surgery.map(|s| {
            if s == "cancer_surgery" {
                let site = self
                    .p
                    .chronic
                    .iter()
                    .filter_map(|(d, _)| CHRONIC.get(*d))
                    .find(|ch| ch.icd10.starts_with('C'))
                    .map_or("other_cancer", |ch| ch.key);
                catalog::cancer_surgery_for(site)
            } else {
                s
            }
        });
        let costly_drug = (c.key == "chemotherapy" && self.rng.chance(0.01)).then_some("car_t");
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
            emergency: !matches!(c.key, "cataract" | "caesarean" | "cancer_surgery" | "chemotherapy"),
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

    fn admissions_in(&mut self, month: YearMonth, death: Option<NaiveDate>) {
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
        for (i, c) in ADMISSIONS.iter().enumerate() {
            let rate = c.per_1000[g] / 1000.0 / 12.0 * sex_factor(self.p.sex, c.female_ratio);
            if rate > 0.0 && self.rng.chance(rate) {
                let date = first + Duration::days(self.rng.below(u64::from(month.days())) as i64);
                if self.in_hospital_until.is_none_or(|u| u < date) && death.is_none_or(|d| d > date) {
                    self.admit(i, date, death, false);
                }
            }
        }
        // About two in three deaths happen in hospital, at the end of a stay.
        if let Some(d) = death
            && self.in_hospital_until.is_none_or(|u| u < d)
            && self.rng.chance(0.65)
        {
            let cause = cause(
                self.rng
                    .pick::<&str>(&["pneumonia", "heart_failure", "chemotherapy", "other_internal"]),
            );
            let admitted = (d - Duration::days(self.rng.skewed(12.0, 2.0) as i64)).max(self.cfg.from.first_day());
            if self.in_hospital_until.is_none_or(|u| u < admitted) {
                self.admit(cause, admitted, Some(d), true);
            }
        }
        // Heavy users' rare conditions bring an admission now and then.
        if self.p.intractable.is_some() && self.rng.chance(0.2 / 12.0) {
            let date = first + Duration::days(self.rng.below(u64::from(month.days())) as i64);
            if self.in_hospital_until.is_none_or(|u| u < date) && death.is_none_or(|d| d > date) {
                self.admit(cause("other_internal"), date, death, false);
            }
        }
    }

    /// Days of the month the person is at home (not in hospital, alive).
    fn days_at_home(&self, month: YearMonth, death: Option<NaiveDate>) -> Vec<u32> {
        (1..=month.days())
            .filter(|d| {
                let date = month.first_day() + Duration::days(i64::from(*d) - 1);
                death.is_none_or(|x| date < x)
                    && !self.p.stays.iter().any(|s| s.admitted <= date && date <= s.discharged)
            })
            .collect()
    }

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

    fn outpatient_in(&mut self, month: YearMonth, death: Option<NaiveDate>) {
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
                let mut item = Item::drug("nivolumab", days[0], days.len() as u32);
                item.days = days.iter().map(|d| (*d, 1)).collect();
                claim.items.push(item);
                claim.items.push(Item::procedure("outpatient_chemo", &days));
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
                claim.items.push(Item::procedure("dialysis", &days));
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
                        a.weight[g] * sex_factor(self.p.sex, a.female_ratio)
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
            if first_time {
                fees.push(Item::procedure("first_visit", &days[..1]));
                if days.len() > 1 {
                    fees.push(Item::procedure(
                        if is_clinic { "revisit" } else { "hospital_revisit" },
                        &days[1..],
                    ));
                }
            } else {
                fees.push(Item::procedure(
                    if is_clinic { "revisit" } else { "hospital_revisit" },
                    &days,
                ));
            }
            if is_clinic && !first_time {
                fees.push(Item::procedure("outpatient_management", &days));
            }
            let chronic_here = claim.diagnoses.iter().any(|d| d.dx < CHRONIC.len());
            if is_clinic && chronic_here && !first_time {
                fees.push(Item::procedure("chronic_management", &days[..1]));
            }
            if chronic_here && self.rng.chance(0.3) {
                fees.push(Item::procedure("blood_count", &days[..1]));
                fees.push(Item::procedure("biochemistry", &days[..1]));
                if claim
                    .diagnoses
                    .iter()
                    .any(|d| CHRONIC.get(d.dx).is_some_and(|c| c.key == "diabetes"))
                {
                    fees.push(Item::procedure("hba1c", &days[..1]));
                }
            }
            let prescribes = claim
                .items
                .iter()
                .any(|i| matches!(i.code, ItemCode::Drug(d) if d.care_class != "33"));
            if prescribes {
                if f.in_house_dispensing {
                    fees.push(Item::procedure("dispensing", &days[..1]));
                } else {
                    // Dispensed at a pharmacy: the drugs appear on the pharmacy's claim,
                    // which Renkei does not generate; this claim bills the prescription.
                    claim
                        .items
                        .retain(|i| matches!(i.code, ItemCode::Procedure(_)) || i.care_class() == "33");
                    fees.push(Item::procedure("prescription", &days[..1]));
                }
            }
            fees.append(&mut claim.items);
            claim.items = fees;
        }
        self.p.outpatient.append(&mut claims);
    }

    fn sample_certification(&mut self, applied: NaiveDate, kind: u8, previous: Option<CareLevel>) -> Certification {
        let dementia = self.has_chronic("alzheimer") || self.has_chronic("vascular_dementia");
        let stroke = self.has_chronic("cerebrovascular");
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

    fn initial_certification(&mut self) {
        let start = self.cfg.from.first_day();
        let age = self.age_at(start);
        let r = reference();
        let dementia = self.has_chronic("alzheimer") || self.has_chronic("vascular_dementia");
        let stroke = self.has_chronic("cerebrovascular");
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
        let prevalence = |key: &str| {
            CHRONIC
                .iter()
                .find(|c| c.key == key)
                .map_or(0.0, |c| chronic_probability(c, age, self.p.sex))
        };
        let mean = 1.0
            + 1.5 * (prevalence("alzheimer") + prevalence("vascular_dementia"))
            + 0.8 * prevalence("cerebrovascular")
            + 0.5 * prevalence("osteoporosis");
        let p = (base * multiplier(dementia, stroke, self.has_chronic("osteoporosis")) / mean).min(0.97);
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
            self.residential = Some(service(if self.rng.chance(0.7) {
                "nursing_home"
            } else {
                "health_facility"
            }));
        }
        self.p.certifications.push(cert);
    }

    fn care_in(&mut self, month: YearMonth, death: Option<NaiveDate>) {
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
                self.residential = Some(service(if self.rng.chance(0.7) {
                    "nursing_home"
                } else {
                    "health_facility"
                }));
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
        let mut uses: Vec<(usize, u32)> = Vec::new();
        if let Some(service) = self.residential.filter(|_| level >= 2) {
            uses.push((service, home_days));
        } else if level < 2 {
            if self.rng.chance(0.6) {
                uses.push((service("prevention_support"), 1));
                let kind = if self.rng.chance(0.6) {
                    "prevention_day_rehab"
                } else {
                    "prevention_equipment"
                };
                uses.push((service(kind), 1));
            }
        } else if self.rng.chance(0.85) {
            uses.push((service("care_management"), 1));
            let limit = catalog::MONTHLY_LIMIT_UNITS[level];
            let mut used = 0u32;
            // (service, chance of using it, times a month)
            for (key, chance, lo, hi) in [
                ("day_care", 0.7, 4u32, 12u32),
                ("home_help", 0.4, 4, 20),
                ("equipment", 0.5, 1, 1),
                ("home_nursing", 0.15, 4, 8),
                ("short_stay", 0.1, 3, 7),
            ] {
                if self.rng.chance(chance) {
                    let service = service(key);
                    let per = catalog::LTC_SERVICES[service].units[level];
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
            let providers = &self.world.providers_by_service[service];
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

/// A number body followed by its modulus-10 check digit (公費 payer and recipient numbers).
fn with_check(body: String) -> String {
    renkei_formats::check_digit::with_modulus10_w21(&body)
}

/// Index of an LTC service in `catalog::LTC_SERVICES`.
fn service(key: &str) -> usize {
    catalog::LTC_SERVICES
        .iter()
        .position(|s| s.key == key)
        .unwrap_or_else(|| panic!("no LTC service {key}"))
}

/// Index of an admission cause in `catalog::ADMISSIONS`.
fn cause(key: &str) -> usize {
    ADMISSIONS
        .iter()
        .position(|c| c.key == key)
        .unwrap_or_else(|| panic!("no admission cause {key}"))
}
