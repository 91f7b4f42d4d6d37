//! Long-lasting conditions treated in monthly outpatient visits, and how common each is
//! by age and sex.

use super::drugs::DrugId;
use super::groups::age_group;
use crate::reference::reference;

/// Patients under treatment nationally.
pub enum Patients {
    /// The 患者調査 2020 figure of the reference's `conditions.csv` row with this ICD-10
    /// range, read from there so that the figure has one home.
    Surveyed(&'static str),
    /// Thousands: a documented plausible figure where the survey has none (its row is
    /// blank, or counts a wider group of conditions).
    Plausible(f64),
}

/// A long-lasting condition treated in monthly outpatient visits.
pub struct Chronic {
    pub name_ja: &'static str,
    pub icd10: &'static str,
    pub patients: Patients,
    /// Relative prevalence by age group; scaled so the national total matches.
    pub shape: [f64; 9],
    /// Prevalence in women relative to men.
    pub female_ratio: f64,
    pub drug: Option<DrugId>,
    /// Treated at a hospital's outpatient department rather than a clinic.
    pub hospital_care: bool,
}

table! {
    CHRONIC: [Chronic] by ChronicId {
        Hypertension => Chronic {
            name_ja: "本態性高血圧症",
            icd10: "I10",
            patients: Patients::Surveyed("I10-I15"),
            shape: [0.0, 1.0, 10.0, 27.0, 50.0, 66.0, 80.0, 88.0, 90.0],
            female_ratio: 1.0,
            drug: Some(DrugId::Amlodipine),
            hospital_care: false,
        },
        Diabetes => Chronic {
            name_ja: "２型糖尿病",
            icd10: "E11.9",
            patients: Patients::Surveyed("E10-E14"),
            shape: [0.0, 1.0, 8.0, 18.0, 30.0, 38.0, 40.0, 38.0, 30.0],
            female_ratio: 0.6,
            drug: Some(DrugId::Metformin),
            hospital_care: false,
        },
        Dyslipidemia => Chronic {
            name_ja: "脂質異常症",
            icd10: "E78.5",
            patients: Patients::Surveyed("E78"),
            shape: [0.0, 1.0, 10.0, 25.0, 40.0, 45.0, 40.0, 30.0, 20.0],
            female_ratio: 1.6,
            drug: Some(DrugId::Rosuvastatin),
            hospital_care: false,
        },
        IschemicHeart => Chronic {
            name_ja: "陳旧性心筋梗塞",
            icd10: "I25.2",
            patients: Patients::Plausible(1300.0),
            shape: [0.0, 0.1, 2.0, 6.0, 14.0, 22.0, 28.0, 32.0, 32.0],
            female_ratio: 0.5,
            drug: Some(DrugId::Aspirin),
            hospital_care: false,
        },
        AtrialFibrillation => Chronic {
            name_ja: "心房細動",
            icd10: "I48.9",
            patients: Patients::Plausible(900.0),
            shape: [0.0, 0.1, 1.0, 3.0, 9.0, 16.0, 22.0, 26.0, 28.0],
            female_ratio: 0.6,
            drug: Some(DrugId::Apixaban),
            hospital_care: false,
        },
        HeartFailure => Chronic {
            name_ja: "慢性心不全",
            icd10: "I50.0",
            patients: Patients::Plausible(850.0),
            shape: [0.0, 0.05, 0.5, 1.5, 5.0, 10.0, 16.0, 24.0, 34.0],
            female_ratio: 1.0,
            drug: Some(DrugId::Furosemide),
            hospital_care: true,
        },
        Cerebrovascular => Chronic {
            name_ja: "脳梗塞後遺症",
            icd10: "I69.3",
            patients: Patients::Surveyed("I60-I69"),
            shape: [0.0, 0.2, 2.0, 6.0, 15.0, 30.0, 45.0, 60.0, 70.0],
            female_ratio: 0.9,
            drug: Some(DrugId::Aspirin),
            hospital_care: false,
        },
        Alzheimer => Chronic {
            name_ja: "アルツハイマー型認知症",
            icd10: "G30.9",
            patients: Patients::Surveyed("G30"),
            shape: [0.0, 0.0, 0.0, 0.1, 1.0, 4.0, 12.0, 30.0, 60.0],
            female_ratio: 2.0,
            drug: Some(DrugId::Donepezil),
            hospital_care: false,
        },
        VascularDementia => Chronic {
            name_ja: "血管性認知症",
            icd10: "F01.9",
            patients: Patients::Plausible(300.0),
            shape: [0.0, 0.0, 0.0, 0.2, 1.5, 4.0, 10.0, 20.0, 35.0],
            female_ratio: 0.9,
            drug: Some(DrugId::Donepezil),
            hospital_care: false,
        },
        GastricCancer => Chronic {
            name_ja: "胃癌",
            icd10: "C16.9",
            patients: Patients::Plausible(420.0),
            shape: [0.0, 0.2, 2.0, 6.0, 18.0, 30.0, 38.0, 40.0, 36.0],
            female_ratio: 0.5,
            drug: None,
            hospital_care: true,
        },
        ColonCancer => Chronic {
            name_ja: "結腸癌",
            icd10: "C18.9",
            patients: Patients::Plausible(520.0),
            shape: [0.0, 0.2, 2.0, 6.0, 18.0, 30.0, 38.0, 40.0, 36.0],
            female_ratio: 0.8,
            drug: None,
            hospital_care: true,
        },
        LungCancer => Chronic {
            name_ja: "肺癌",
            icd10: "C34.9",
            patients: Patients::Plausible(330.0),
            shape: [0.0, 0.1, 1.0, 4.0, 15.0, 28.0, 36.0, 36.0, 28.0],
            female_ratio: 0.5,
            drug: None,
            hospital_care: true,
        },
        BreastCancer => Chronic {
            name_ja: "乳癌",
            icd10: "C50.9",
            patients: Patients::Plausible(560.0),
            shape: [0.0, 1.0, 12.0, 20.0, 22.0, 20.0, 16.0, 12.0, 8.0],
            female_ratio: 100.0,
            drug: None,
            hospital_care: true,
        },
        ProstateCancer => Chronic {
            name_ja: "前立腺癌",
            icd10: "C61",
            patients: Patients::Plausible(440.0),
            shape: [0.0, 0.0, 0.2, 3.0, 16.0, 32.0, 44.0, 48.0, 44.0],
            female_ratio: 0.0,
            drug: None,
            hospital_care: true,
        },
        OtherCancer => Chronic {
            name_ja: "悪性腫瘍",
            icd10: "C80.9",
            patients: Patients::Plausible(1386.0),
            shape: [0.3, 1.0, 4.0, 9.0, 20.0, 30.0, 36.0, 38.0, 34.0],
            female_ratio: 0.9,
            drug: None,
            hospital_care: true,
        },
        Ckd => Chronic {
            name_ja: "慢性腎臓病",
            icd10: "N18.9",
            patients: Patients::Plausible(450.0),
            shape: [0.0, 0.3, 2.0, 5.0, 12.0, 20.0, 26.0, 30.0, 30.0],
            female_ratio: 0.7,
            drug: None,
            hospital_care: false,
        },
        Osteoporosis => Chronic {
            name_ja: "骨粗鬆症",
            icd10: "M81.0",
            patients: Patients::Plausible(1000.0),
            shape: [0.0, 0.0, 0.1, 1.0, 8.0, 20.0, 30.0, 35.0, 35.0],
            female_ratio: 8.0,
            drug: Some(DrugId::Alendronate),
            hospital_care: false,
        },
        Copd => Chronic {
            name_ja: "慢性閉塞性肺疾患",
            icd10: "J44.9",
            patients: Patients::Plausible(220.0),
            shape: [0.0, 0.0, 0.2, 1.0, 4.0, 8.0, 10.0, 11.0, 10.0],
            female_ratio: 0.3,
            drug: Some(DrugId::Tiotropium),
            hospital_care: false,
        },
        Asthma => Chronic {
            name_ja: "気管支喘息",
            icd10: "J45.9",
            patients: Patients::Plausible(1100.0),
            shape: [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
            female_ratio: 1.2,
            drug: Some(DrugId::InhaledSteroid),
            hospital_care: false,
        },
        Depression => Chronic {
            name_ja: "うつ病",
            icd10: "F32.9",
            patients: Patients::Plausible(1720.0),
            shape: [0.2, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0],
            female_ratio: 1.5,
            drug: Some(DrugId::Escitalopram),
            hospital_care: false,
        },
        Gerd => Chronic {
            name_ja: "逆流性食道炎",
            icd10: "K21.0",
            patients: Patients::Plausible(800.0),
            shape: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 5.0],
            female_ratio: 1.0,
            drug: Some(DrugId::Lansoprazole),
            hospital_care: false,
        },
    }
}

/// Dialysis patients are few (about 350,000) and very costly: the heavy users of NDB.
pub static DIALYSIS_CONDITION: Chronic = Chronic {
    name_ja: "慢性腎不全（透析）",
    icd10: "N18.5",
    patients: Patients::Plausible(347.0),
    shape: [0.0, 0.5, 3.0, 8.0, 15.0, 20.0, 20.0, 15.0, 8.0],
    female_ratio: 0.5,
    drug: None,
    hospital_care: true,
};

impl Chronic {
    /// Patients under treatment nationally, in thousands.
    pub fn patients_thousands(&self) -> f64 {
        match self.patients {
            Patients::Surveyed(range) => reference()
                .patients_thousands(range)
                .expect("the reference has every surveyed range (tested)"),
            Patients::Plausible(thousands) => thousands,
        }
    }
}

/// Chance that a person of `age` and `sex` is treated for `c`.
pub fn chronic_probability(c: &Chronic, age: u32, sex: u8) -> f64 {
    let scale = prevalence_scale(c.patients_thousands(), &c.shape, c.female_ratio);
    let female = if sex == 2 { c.female_ratio } else { 1.0 };
    // `prevalence_scale` weights women by the ratio; persons are counted in thousands.
    let p = scale * c.shape[age_group(age)] * female;
    // Conditions of one sex only (breast, prostate cancer) never occur in the other.
    let impossible = (c.female_ratio >= 100.0 && sex == 1) || (c.female_ratio == 0.0 && sex == 2);
    if impossible { 0.0 } else { p.min(0.95) }
}

/// Prevalence multiplier turning a relative `shape` into a probability per person, so
/// that the national number of patients equals `patients_thousands` for Japan's pyramid.
fn prevalence_scale(patients_thousands: f64, shape: &[f64; 9], female_ratio: f64) -> f64 {
    let r = reference();
    let mut weighted = 0.0;
    for band in &r.age_bands {
        let g = age_group(band.lower + 2);
        weighted += shape[g] * (band.male_thousands + band.female_thousands * female_ratio);
    }
    if weighted == 0.0 {
        0.0
    } else {
        patients_thousands / weighted
    }
}
