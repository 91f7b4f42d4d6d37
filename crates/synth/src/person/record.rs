//! What a simulated life leaves behind: the person, their identifiers over time, and
//! their claims, stays and certifications, which the writers render as native files.

use crate::catalog::{self, Cause, DrugId, LtcServiceId, ProcedureId};
use crate::geography::InsurerKind;
use chrono::{Datelike, NaiveDate};
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
    pub fn procedure(id: ProcedureId, days: &[u32]) -> Item {
        let p = id.row();
        Item {
            code: ItemCode::Procedure(p),
            amount: 0.0,
            points: p.points,
            times: days.len() as u32,
            days: days.iter().map(|d| (*d, 1)).collect(),
        }
    }

    /// A prescription of `days_supplied` days handed out on `day`.
    pub fn drug(id: DrugId, day: u32, times: u32) -> Item {
        let d = id.row();
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
    pub cause: Cause,
    pub admitted: NaiveDate,
    pub discharged: NaiveDate,
    pub died: bool,
    pub emergency: bool,
    pub surgery: Option<ProcedureId>,
    pub injection: Option<DrugId>,
    /// A very costly drug given once (CAR-T): the dominant contributor to sums.
    pub costly_drug: Option<DrugId>,
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
    pub service: LtcServiceId,
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
