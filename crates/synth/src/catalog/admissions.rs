//! Reasons for admission: yearly incidence by age and sex, length of stay, what a stay
//! bills, and what it leaves behind.

use super::chronic::ChronicId;
use super::drugs::DrugId;
use super::procedures::ProcedureId;

/// The surgery of an admission.
#[derive(Clone, Copy)]
pub enum Surgery {
    Procedure(ProcedureId),
    /// The operation for the site of the person's cancer ([`cancer_surgery_for`]).
    ForCancerSite,
}

/// A reason for admission, with its yearly incidence per 1,000 persons by age group.
pub struct AdmissionCause {
    pub name_ja: &'static str,
    pub icd10: &'static str,
    pub per_1000: [f64; 9],
    pub female_ratio: f64,
    /// Median length of stay (days) and its spread factor.
    pub stay_days: (f64, f64),
    pub surgery: Option<Surgery>,
    /// Daily injection during the stay.
    pub injection: Option<DrugId>,
    /// Chronic condition the admission leaves behind.
    pub leaves: Option<ChronicId>,
    /// Chance that a person 65+ applies for care certification after discharge.
    pub care_trigger: f64,
    /// Chance of a readmission for the same cause within two months.
    pub readmission: f64,
}

table! {
    ADMISSIONS: [AdmissionCause] by Cause {
        Stroke => AdmissionCause {
            name_ja: "脳梗塞",
            icd10: "I63.9",
            per_1000: [0.0, 0.05, 0.4, 1.2, 3.0, 5.0, 8.0, 12.0, 15.0],
            female_ratio: 0.8,
            stay_days: (28.0, 2.2),
            surgery: None,
            injection: Some(DrugId::Edaravone),
            leaves: Some(ChronicId::Cerebrovascular),
            care_trigger: 0.5,
            readmission: 0.05,
        },
        HipFracture => AdmissionCause {
            name_ja: "大腿骨頸部骨折",
            icd10: "S72.0",
            per_1000: [0.0, 0.0, 0.05, 0.2, 1.0, 2.5, 5.0, 10.0, 20.0],
            female_ratio: 3.0,
            stay_days: (32.0, 1.6),
            surgery: Some(Surgery::Procedure(ProcedureId::Hemiarthroplasty)),
            injection: Some(DrugId::Cefazolin),
            leaves: Some(ChronicId::Osteoporosis),
            care_trigger: 0.55,
            readmission: 0.03,
        },
        Pneumonia => AdmissionCause {
            name_ja: "肺炎",
            icd10: "J18.9",
            per_1000: [3.0, 0.3, 0.5, 1.0, 3.0, 6.0, 11.0, 20.0, 35.0],
            female_ratio: 0.8,
            stay_days: (14.0, 1.6),
            surgery: None,
            injection: Some(DrugId::Ceftriaxone),
            leaves: None,
            care_trigger: 0.2,
            readmission: 0.12,
        },
        HeartFailure => AdmissionCause {
            name_ja: "うっ血性心不全",
            icd10: "I50.0",
            per_1000: [0.0, 0.02, 0.2, 0.6, 2.0, 4.0, 7.0, 12.0, 20.0],
            female_ratio: 1.0,
            stay_days: (17.0, 1.6),
            surgery: None,
            injection: Some(DrugId::FurosemideInjection),
            leaves: Some(ChronicId::HeartFailure),
            care_trigger: 0.2,
            readmission: 0.2,
        },
        Ami => AdmissionCause {
            name_ja: "急性心筋梗塞",
            icd10: "I21.9",
            per_1000: [0.0, 0.05, 0.5, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0],
            female_ratio: 0.4,
            stay_days: (12.0, 1.5),
            surgery: Some(Surgery::Procedure(ProcedureId::Pci)),
            injection: Some(DrugId::Heparin),
            leaves: Some(ChronicId::IschemicHeart),
            care_trigger: 0.05,
            readmission: 0.05,
        },
        CancerSurgery => AdmissionCause {
            name_ja: "悪性腫瘍",
            icd10: "C80.9",
            per_1000: [0.05, 0.4, 2.0, 4.5, 9.0, 13.0, 14.0, 13.0, 8.0],
            female_ratio: 0.8,
            stay_days: (12.0, 1.5),
            surgery: Some(Surgery::ForCancerSite),
            injection: Some(DrugId::Cefazolin),
            leaves: Some(ChronicId::OtherCancer),
            care_trigger: 0.05,
            readmission: 0.1,
        },
        Chemotherapy => AdmissionCause {
            name_ja: "悪性腫瘍（化学療法）",
            icd10: "C80.9",
            per_1000: [0.05, 0.4, 2.5, 5.0, 10.0, 13.0, 12.0, 9.0, 4.0],
            female_ratio: 0.9,
            stay_days: (5.0, 1.4),
            surgery: None,
            injection: Some(DrugId::ChemoRegimen),
            leaves: Some(ChronicId::OtherCancer),
            care_trigger: 0.0,
            readmission: 0.6,
        },
        Appendicitis => AdmissionCause {
            name_ja: "急性虫垂炎",
            icd10: "K35.8",
            per_1000: [1.2, 1.2, 0.8, 0.6, 0.5, 0.4, 0.4, 0.4, 0.4],
            female_ratio: 1.0,
            stay_days: (6.0, 1.4),
            surgery: Some(Surgery::Procedure(ProcedureId::Appendectomy)),
            injection: Some(DrugId::Cefazolin),
            leaves: None,
            care_trigger: 0.0,
            readmission: 0.01,
        },
        Gallstone => AdmissionCause {
            name_ja: "胆石症",
            icd10: "K80.2",
            per_1000: [0.0, 0.4, 1.2, 1.8, 2.2, 2.6, 3.0, 3.0, 3.0],
            female_ratio: 1.1,
            stay_days: (7.0, 1.4),
            surgery: Some(Surgery::Procedure(ProcedureId::Cholecystectomy)),
            injection: Some(DrugId::Cefazolin),
            leaves: None,
            care_trigger: 0.0,
            readmission: 0.02,
        },
        Caesarean => AdmissionCause {
            name_ja: "帝王切開",
            icd10: "O82.0",
            per_1000: [0.0, 8.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            female_ratio: 1000.0,
            stay_days: (8.0, 1.2),
            surgery: Some(Surgery::Procedure(ProcedureId::Caesarean)),
            injection: Some(DrugId::Cefazolin),
            leaves: None,
            care_trigger: 0.0,
            readmission: 0.0,
        },
        Cataract => AdmissionCause {
            name_ja: "老人性白内障",
            icd10: "H25.9",
            per_1000: [0.0, 0.0, 0.2, 1.5, 8.0, 14.0, 16.0, 14.0, 7.0],
            female_ratio: 1.3,
            stay_days: (3.0, 1.2),
            surgery: Some(Surgery::Procedure(ProcedureId::CataractSurgery)),
            injection: None,
            leaves: None,
            care_trigger: 0.0,
            readmission: 0.3,
        },
        Dehydration => AdmissionCause {
            name_ja: "脱水症",
            icd10: "E86",
            per_1000: [1.5, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 8.0, 14.0],
            female_ratio: 1.2,
            stay_days: (10.0, 1.6),
            surgery: None,
            injection: Some(DrugId::Saline),
            leaves: None,
            care_trigger: 0.1,
            readmission: 0.08,
        },
        Uti => AdmissionCause {
            name_ja: "尿路感染症",
            icd10: "N39.0",
            per_1000: [0.5, 0.2, 0.3, 0.4, 1.0, 2.0, 4.0, 7.0, 13.0],
            female_ratio: 1.5,
            stay_days: (12.0, 1.5),
            surgery: None,
            injection: Some(DrugId::Ceftriaxone),
            leaves: None,
            care_trigger: 0.15,
            readmission: 0.1,
        },
        GiBleeding => AdmissionCause {
            name_ja: "胃潰瘍",
            icd10: "K25.0",
            per_1000: [0.0, 0.3, 0.8, 1.2, 1.8, 2.4, 3.0, 3.5, 4.0],
            female_ratio: 0.6,
            stay_days: (10.0, 1.5),
            surgery: None,
            injection: Some(DrugId::Saline),
            leaves: None,
            care_trigger: 0.05,
            readmission: 0.05,
        },
        OtherInternal => AdmissionCause {
            name_ja: "その他の内科的疾患",
            icd10: "R50.9",
            per_1000: [22.0, 14.0, 22.0, 29.0, 50.0, 72.0, 94.0, 115.0, 144.0],
            female_ratio: 1.0,
            stay_days: (11.0, 1.8),
            surgery: None,
            injection: Some(DrugId::Saline),
            leaves: None,
            care_trigger: 0.1,
            readmission: 0.08,
        },
        OtherSurgical => AdmissionCause {
            name_ja: "その他の外科的疾患",
            icd10: "T14.9",
            per_1000: [4.0, 8.0, 12.0, 16.0, 20.0, 24.0, 24.0, 24.0, 20.0],
            female_ratio: 1.0,
            stay_days: (9.0, 1.7),
            surgery: Some(Surgery::Procedure(ProcedureId::MinorSurgery)),
            injection: Some(DrugId::Cefazolin),
            leaves: None,
            care_trigger: 0.05,
            readmission: 0.03,
        },
    }
}

/// Surgery for a cancer admission by the cancer's site (`None`: no site known).
pub fn cancer_surgery_for(site: Option<ChronicId>) -> ProcedureId {
    match site {
        Some(ChronicId::GastricCancer) => ProcedureId::Gastrectomy,
        Some(ChronicId::ColonCancer) => ProcedureId::Colectomy,
        Some(ChronicId::LungCancer) => ProcedureId::Lobectomy,
        Some(ChronicId::BreastCancer) => ProcedureId::Mastectomy,
        Some(ChronicId::ProstateCancer) => ProcedureId::Prostatectomy,
        _ => ProcedureId::TumourResection,
    }
}
