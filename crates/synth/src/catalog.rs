//! What people are treated for and what they are billed: conditions with their age
//! profiles, and the procedure, drug and long-term-care service masters.
//!
//! Codes have the real structure (7-digit 傷病名コード, 9-digit レセプト電算 codes starting
//! with 1 for procedures and 6 for drugs, 2+4-digit 介護 service codes) but are synthetic;
//! points, prices and units are realistic magnitudes. `masters/*.csv` lists every code.

use crate::reference::reference;
use std::sync::OnceLock;

/// Upper bounds (exclusive) of the age groups used by every age profile below:
/// 0–14, 15–39, 40–49, 50–59, 60–69, 70–74, 75–79, 80–84, 85+.
pub const AGE_GROUP_UPPER: [u32; 8] = [15, 40, 50, 60, 70, 75, 80, 85];

pub fn age_group(age: u32) -> usize {
    AGE_GROUP_UPPER
        .iter()
        .position(|u| age < *u)
        .unwrap_or(AGE_GROUP_UPPER.len())
}

/// A long-lasting condition treated in monthly outpatient visits.
pub struct Chronic {
    pub key: &'static str,
    pub name_ja: &'static str,
    pub icd10: &'static str,
    /// Patients under treatment nationally (thousands): the 患者調査 figure where the
    /// reference has one, else a documented plausible figure.
    pub patients_thousands: f64,
    /// Relative prevalence by age group; scaled so the national total matches.
    pub shape: [f64; 9],
    /// Prevalence in women relative to men.
    pub female_ratio: f64,
    pub drug: Option<&'static str>,
    /// Treated at a hospital's outpatient department rather than a clinic.
    pub hospital_care: bool,
}

#[allow(clippy::too_many_arguments)]
const fn chronic(
    key: &'static str,
    name_ja: &'static str,
    icd10: &'static str,
    patients_thousands: f64,
    shape: [f64; 9],
    female_ratio: f64,
    drug: Option<&'static str>,
    hospital_care: bool,
) -> Chronic {
    Chronic {
        key,
        name_ja,
        icd10,
        patients_thousands,
        shape,
        female_ratio,
        drug,
        hospital_care,
    }
}

pub static CHRONIC: &[Chronic] = &[
    chronic(
        "hypertension",
        "本態性高血圧症",
        "I10",
        15112.0,
        [0.0, 1.0, 10.0, 27.0, 50.0, 66.0, 80.0, 88.0, 90.0],
        1.0,
        Some("amlodipine"),
        false,
    ),
    chronic(
        "diabetes",
        "２型糖尿病",
        "E11.9",
        5791.0,
        [0.0, 1.0, 8.0, 18.0, 30.0, 38.0, 40.0, 38.0, 30.0],
        0.6,
        Some("metformin"),
        false,
    ),
    chronic(
        "dyslipidemia",
        "脂質異常症",
        "E78.5",
        4010.0,
        [0.0, 1.0, 10.0, 25.0, 40.0, 45.0, 40.0, 30.0, 20.0],
        1.6,
        Some("rosuvastatin"),
        false,
    ),
    chronic(
        "ischemic_heart",
        "陳旧性心筋梗塞",
        "I25.2",
        1300.0,
        [0.0, 0.1, 2.0, 6.0, 14.0, 22.0, 28.0, 32.0, 32.0],
        0.5,
        Some("aspirin"),
        false,
    ),
    chronic(
        "atrial_fibrillation",
        "心房細動",
        "I48.9",
        900.0,
        [0.0, 0.1, 1.0, 3.0, 9.0, 16.0, 22.0, 26.0, 28.0],
        0.6,
        Some("apixaban"),
        false,
    ),
    chronic(
        "heart_failure",
        "慢性心不全",
        "I50.0",
        850.0,
        [0.0, 0.05, 0.5, 1.5, 5.0, 10.0, 16.0, 24.0, 34.0],
        1.0,
        Some("furosemide"),
        true,
    ),
    chronic(
        "cerebrovascular",
        "脳梗塞後遺症",
        "I69.3",
        1742.0,
        [0.0, 0.2, 2.0, 6.0, 15.0, 30.0, 45.0, 60.0, 70.0],
        0.9,
        Some("aspirin"),
        false,
    ),
    chronic(
        "alzheimer",
        "アルツハイマー型認知症",
        "G30.9",
        794.0,
        [0.0, 0.0, 0.0, 0.1, 1.0, 4.0, 12.0, 30.0, 60.0],
        2.0,
        Some("donepezil"),
        false,
    ),
    chronic(
        "vascular_dementia",
        "血管性認知症",
        "F01.9",
        300.0,
        [0.0, 0.0, 0.0, 0.2, 1.5, 4.0, 10.0, 20.0, 35.0],
        0.9,
        Some("donepezil"),
        false,
    ),
    chronic(
        "gastric_cancer",
        "胃癌",
        "C16.9",
        420.0,
        [0.0, 0.2, 2.0, 6.0, 18.0, 30.0, 38.0, 40.0, 36.0],
        0.5,
        None,
        true,
    ),
    chronic(
        "colon_cancer",
        "結腸癌",
        "C18.9",
        520.0,
        [0.0, 0.2, 2.0, 6.0, 18.0, 30.0, 38.0, 40.0, 36.0],
        0.8,
        None,
        true,
    ),
    chronic(
        "lung_cancer",
        "肺癌",
        "C34.9",
        330.0,
        [0.0, 0.1, 1.0, 4.0, 15.0, 28.0, 36.0, 36.0, 28.0],
        0.5,
        None,
        true,
    ),
    chronic(
        "breast_cancer",
        "乳癌",
        "C50.9",
        560.0,
        [0.0, 1.0, 12.0, 20.0, 22.0, 20.0, 16.0, 12.0, 8.0],
        100.0,
        None,
        true,
    ),
    chronic(
        "prostate_cancer",
        "前立腺癌",
        "C61",
        440.0,
        [0.0, 0.0, 0.2, 3.0, 16.0, 32.0, 44.0, 48.0, 44.0],
        0.0,
        None,
        true,
    ),
    chronic(
        "other_cancer",
        "悪性腫瘍",
        "C80.9",
        1386.0,
        [0.3, 1.0, 4.0, 9.0, 20.0, 30.0, 36.0, 38.0, 34.0],
        0.9,
        None,
        true,
    ),
    chronic(
        "ckd",
        "慢性腎臓病",
        "N18.9",
        450.0,
        [0.0, 0.3, 2.0, 5.0, 12.0, 20.0, 26.0, 30.0, 30.0],
        0.7,
        None,
        false,
    ),
    chronic(
        "osteoporosis",
        "骨粗鬆症",
        "M81.0",
        1000.0,
        [0.0, 0.0, 0.1, 1.0, 8.0, 20.0, 30.0, 35.0, 35.0],
        8.0,
        Some("alendronate"),
        false,
    ),
    chronic(
        "copd",
        "慢性閉塞性肺疾患",
        "J44.9",
        220.0,
        [0.0, 0.0, 0.2, 1.0, 4.0, 8.0, 10.0, 11.0, 10.0],
        0.3,
        Some("tiotropium"),
        false,
    ),
    chronic(
        "asthma",
        "気管支喘息",
        "J45.9",
        1100.0,
        [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        1.2,
        Some("inhaled_steroid"),
        false,
    ),
    chronic(
        "depression",
        "うつ病",
        "F32.9",
        1720.0,
        [0.2, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        1.5,
        Some("escitalopram"),
        false,
    ),
    chronic(
        "gerd",
        "逆流性食道炎",
        "K21.0",
        800.0,
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 5.0],
        1.0,
        Some("lansoprazole"),
        false,
    ),
];

/// Key of the chronic condition whose patients are on maintenance dialysis.
pub const DIALYSIS: &str = "dialysis";
/// Dialysis patients are few (about 350,000) and very costly: the heavy users of NDB.
pub static DIALYSIS_CONDITION: Chronic = chronic(
    DIALYSIS,
    "慢性腎不全（透析）",
    "N18.5",
    347.0,
    [0.0, 0.5, 3.0, 8.0, 15.0, 20.0, 20.0, 15.0, 8.0],
    0.5,
    None,
    true,
);

/// A diagnosis of a one-off outpatient visit, with its relative weight by age group.
pub struct Acute {
    pub key: &'static str,
    pub name_ja: &'static str,
    pub icd10: &'static str,
    pub weight: [f64; 9],
    pub female_ratio: f64,
    pub drug: &'static str,
    /// Only in the winter months (December–March).
    pub winter: bool,
}

const fn acute(
    key: &'static str,
    name_ja: &'static str,
    icd10: &'static str,
    weight: [f64; 9],
    female_ratio: f64,
    drug: &'static str,
    winter: bool,
) -> Acute {
    Acute {
        key,
        name_ja,
        icd10,
        weight,
        female_ratio,
        drug,
        winter,
    }
}

pub static ACUTE: &[Acute] = &[
    acute(
        "uri",
        "急性上気道炎",
        "J06.9",
        [10.0, 4.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        1.0,
        "acetaminophen",
        false,
    ),
    acute(
        "gastroenteritis",
        "感染性胃腸炎",
        "A09.0",
        [5.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        1.0,
        "lactobacillus",
        false,
    ),
    acute(
        "bronchitis",
        "急性気管支炎",
        "J20.9",
        [4.0, 1.5, 1.5, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0],
        1.0,
        "carbocisteine",
        false,
    ),
    acute(
        "influenza",
        "インフルエンザ",
        "J11.1",
        [8.0, 4.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        1.0,
        "oseltamivir",
        true,
    ),
    acute(
        "lumbago",
        "腰痛症",
        "M54.5",
        [0.1, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0],
        1.0,
        "loxoprofen",
        false,
    ),
    acute(
        "dermatitis",
        "湿疹",
        "L30.9",
        [4.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
        1.2,
        "steroid_ointment",
        false,
    ),
    acute(
        "conjunctivitis",
        "アレルギー性結膜炎",
        "H10.1",
        [3.0, 2.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        1.3,
        "eye_drops",
        false,
    ),
    acute(
        "cystitis",
        "急性膀胱炎",
        "N30.0",
        [0.2, 1.0, 1.0, 1.0, 1.0, 1.2, 1.5, 1.5, 1.5],
        6.0,
        "levofloxacin",
        false,
    ),
    acute(
        "sprain",
        "足関節捻挫",
        "S93.4",
        [1.5, 1.5, 0.8, 0.6, 0.5, 0.4, 0.4, 0.4, 0.3],
        1.0,
        "loxoprofen_tape",
        false,
    ),
    acute(
        "insomnia",
        "不眠症",
        "G47.0",
        [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 4.0],
        1.4,
        "zolpidem",
        false,
    ),
    acute(
        "constipation",
        "便秘症",
        "K59.0",
        [1.0, 0.5, 0.5, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0],
        1.6,
        "magnesium_oxide",
        false,
    ),
    acute(
        "knee_oa",
        "変形性膝関節症",
        "M17.9",
        [0.0, 0.1, 0.5, 1.5, 3.0, 4.5, 5.0, 5.0, 4.5],
        2.0,
        "celecoxib",
        false,
    ),
    acute(
        "covid19",
        "ＣＯＶＩＤ－１９",
        "U07.1",
        [3.0, 3.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
        1.0,
        "acetaminophen",
        false,
    ),
];

/// A reason for admission, with its yearly incidence per 1,000 persons by age group.
pub struct AdmissionCause {
    pub key: &'static str,
    pub name_ja: &'static str,
    pub icd10: &'static str,
    pub per_1000: [f64; 9],
    pub female_ratio: f64,
    /// Median length of stay (days) and its spread factor.
    pub stay_days: (f64, f64),
    pub surgery: Option<&'static str>,
    /// Daily injection during the stay.
    pub injection: Option<&'static str>,
    /// Chronic condition the admission leaves behind.
    pub leaves: Option<&'static str>,
    /// Chance that a person 65+ applies for care certification after discharge.
    pub care_trigger: f64,
    /// Chance of a readmission for the same cause within two months.
    pub readmission: f64,
}

#[allow(clippy::too_many_arguments)]
const fn cause(
    key: &'static str,
    name_ja: &'static str,
    icd10: &'static str,
    per_1000: [f64; 9],
    female_ratio: f64,
    stay_days: (f64, f64),
    surgery: Option<&'static str>,
    injection: Option<&'static str>,
    leaves: Option<&'static str>,
    care_trigger: f64,
    readmission: f64,
) -> AdmissionCause {
    AdmissionCause {
        key,
        name_ja,
        icd10,
        per_1000,
        female_ratio,
        stay_days,
        surgery,
        injection,
        leaves,
        care_trigger,
        readmission,
    }
}

pub static ADMISSIONS: &[AdmissionCause] = &[
    cause(
        "stroke",
        "脳梗塞",
        "I63.9",
        [0.0, 0.05, 0.4, 1.2, 3.0, 5.0, 8.0, 12.0, 15.0],
        0.8,
        (28.0, 2.2),
        None,
        Some("edaravone"),
        Some("cerebrovascular"),
        0.5,
        0.05,
    ),
    cause(
        "hip_fracture",
        "大腿骨頸部骨折",
        "S72.0",
        [0.0, 0.0, 0.05, 0.2, 1.0, 2.5, 5.0, 10.0, 20.0],
        3.0,
        (32.0, 1.6),
        Some("hemiarthroplasty"),
        Some("cefazolin"),
        Some("osteoporosis"),
        0.55,
        0.03,
    ),
    cause(
        "pneumonia",
        "肺炎",
        "J18.9",
        [3.0, 0.3, 0.5, 1.0, 3.0, 6.0, 11.0, 20.0, 35.0],
        0.8,
        (14.0, 1.6),
        None,
        Some("ceftriaxone"),
        None,
        0.2,
        0.12,
    ),
    cause(
        "heart_failure",
        "うっ血性心不全",
        "I50.0",
        [0.0, 0.02, 0.2, 0.6, 2.0, 4.0, 7.0, 12.0, 20.0],
        1.0,
        (17.0, 1.6),
        None,
        Some("furosemide_injection"),
        Some("heart_failure"),
        0.2,
        0.2,
    ),
    cause(
        "ami",
        "急性心筋梗塞",
        "I21.9",
        [0.0, 0.05, 0.5, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0],
        0.4,
        (12.0, 1.5),
        Some("pci"),
        Some("heparin"),
        Some("ischemic_heart"),
        0.05,
        0.05,
    ),
    cause(
        "cancer_surgery",
        "悪性腫瘍",
        "C80.9",
        [0.05, 0.4, 2.0, 4.5, 9.0, 13.0, 14.0, 13.0, 8.0],
        0.8,
        (12.0, 1.5),
        Some("cancer_surgery"),
        Some("cefazolin"),
        Some("other_cancer"),
        0.05,
        0.1,
    ),
    cause(
        "chemotherapy",
        "悪性腫瘍（化学療法）",
        "C80.9",
        [0.05, 0.4, 2.5, 5.0, 10.0, 13.0, 12.0, 9.0, 4.0],
        0.9,
        (5.0, 1.4),
        None,
        Some("chemo_regimen"),
        Some("other_cancer"),
        0.0,
        0.6,
    ),
    cause(
        "appendicitis",
        "急性虫垂炎",
        "K35.8",
        [1.2, 1.2, 0.8, 0.6, 0.5, 0.4, 0.4, 0.4, 0.4],
        1.0,
        (6.0, 1.4),
        Some("appendectomy"),
        Some("cefazolin"),
        None,
        0.0,
        0.01,
    ),
    cause(
        "gallstone",
        "胆石症",
        "K80.2",
        [0.0, 0.4, 1.2, 1.8, 2.2, 2.6, 3.0, 3.0, 3.0],
        1.1,
        (7.0, 1.4),
        Some("cholecystectomy"),
        Some("cefazolin"),
        None,
        0.0,
        0.02,
    ),
    cause(
        "caesarean",
        "帝王切開",
        "O82.0",
        [0.0, 8.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        1000.0,
        (8.0, 1.2),
        Some("caesarean"),
        Some("cefazolin"),
        None,
        0.0,
        0.0,
    ),
    cause(
        "cataract",
        "老人性白内障",
        "H25.9",
        [0.0, 0.0, 0.2, 1.5, 8.0, 14.0, 16.0, 14.0, 7.0],
        1.3,
        (3.0, 1.2),
        Some("cataract_surgery"),
        None,
        None,
        0.0,
        0.3,
    ),
    cause(
        "dehydration",
        "脱水症",
        "E86",
        [1.5, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 8.0, 14.0],
        1.2,
        (10.0, 1.6),
        None,
        Some("saline"),
        None,
        0.1,
        0.08,
    ),
    cause(
        "uti",
        "尿路感染症",
        "N39.0",
        [0.5, 0.2, 0.3, 0.4, 1.0, 2.0, 4.0, 7.0, 13.0],
        1.5,
        (12.0, 1.5),
        None,
        Some("ceftriaxone"),
        None,
        0.15,
        0.1,
    ),
    cause(
        "gi_bleeding",
        "胃潰瘍",
        "K25.0",
        [0.0, 0.3, 0.8, 1.2, 1.8, 2.4, 3.0, 3.5, 4.0],
        0.6,
        (10.0, 1.5),
        None,
        Some("saline"),
        None,
        0.05,
        0.05,
    ),
    cause(
        "other_internal",
        "その他の内科的疾患",
        "R50.9",
        [22.0, 14.0, 22.0, 29.0, 50.0, 72.0, 94.0, 115.0, 144.0],
        1.0,
        (11.0, 1.8),
        None,
        Some("saline"),
        None,
        0.1,
        0.08,
    ),
    cause(
        "other_surgical",
        "その他の外科的疾患",
        "T14.9",
        [4.0, 8.0, 12.0, 16.0, 20.0, 24.0, 24.0, 24.0, 20.0],
        1.0,
        (9.0, 1.7),
        Some("minor_surgery"),
        Some("cefazolin"),
        None,
        0.05,
        0.03,
    ),
];

/// A procedure master row.
#[derive(Debug)]
pub struct Procedure {
    pub key: &'static str,
    pub code: &'static str,
    pub name_ja: &'static str,
    pub points: u32,
    /// 診療識別 (UKE) / データ区分 (EF).
    pub care_class: &'static str,
}

const fn proc_row(
    key: &'static str,
    code: &'static str,
    name_ja: &'static str,
    points: u32,
    care_class: &'static str,
) -> Procedure {
    Procedure {
        key,
        code,
        name_ja,
        points,
        care_class,
    }
}

pub static PROCEDURES: &[Procedure] = &[
    proc_row("first_visit", "111000110", "初診料", 291, "11"),
    proc_row("revisit", "112007410", "再診料", 75, "12"),
    proc_row("hospital_revisit", "112008850", "外来診療料", 76, "12"),
    proc_row("outpatient_management", "112011310", "外来管理加算", 52, "12"),
    proc_row(
        "chronic_management",
        "113001810",
        "特定疾患療養管理料（診療所）",
        225,
        "13",
    ),
    proc_row("prescription", "120002910", "処方箋料（その他）", 68, "80"),
    proc_row("dispensing", "120001210", "調剤料（内服薬・浸煎薬・屯服薬）", 11, "80"),
    proc_row("blood_count", "160008010", "末梢血液一般検査", 21, "60"),
    proc_row("hba1c", "160010010", "ＨｂＡ１ｃ", 49, "60"),
    proc_row("biochemistry", "160061810", "生化学的検査（１）判断料", 144, "60"),
    proc_row("chest_xray", "170000410", "単純撮影（胸部）", 210, "70"),
    proc_row("ct", "170011810", "ＣＴ撮影（６４列以上）", 1020, "70"),
    proc_row("mri", "170020110", "ＭＲＩ撮影（３テスラ以上）", 1620, "70"),
    proc_row("dialysis", "140007310", "人工腎臓（慢性維持透析）", 1924, "40"),
    proc_row("outpatient_chemo", "130012710", "外来化学療法加算", 670, "33"),
    proc_row("acute_ward", "190077410", "急性期一般入院料１", 1650, "90"),
    proc_row("recovery_ward", "190117710", "地域包括ケア病棟入院料１", 2809, "90"),
    proc_row("dpc_period_1", "193000110", "ＤＰＣ包括評価（入院期間Ⅰ）", 3050, "90"),
    proc_row("dpc_period_2", "193000210", "ＤＰＣ包括評価（入院期間Ⅱ）", 2260, "90"),
    proc_row("dpc_period_3", "193000310", "ＤＰＣ包括評価（入院期間Ⅲ）", 1920, "90"),
    proc_row("hemiarthroplasty", "150055010", "人工骨頭挿入術（股）", 19500, "50"),
    proc_row("pci", "150263110", "経皮的冠動脈ステント留置術", 24380, "50"),
    proc_row("gastrectomy", "150178610", "胃切除術（悪性腫瘍手術）", 55870, "50"),
    proc_row(
        "colectomy",
        "150183510",
        "結腸切除術（全切除、亜全切除又は悪性腫瘍手術）",
        39570,
        "50",
    ),
    proc_row("lobectomy", "150181710", "肺悪性腫瘍手術（肺葉切除）", 72640, "50"),
    proc_row("mastectomy", "150234810", "乳腺悪性腫瘍手術", 22520, "50"),
    proc_row("prostatectomy", "150286410", "前立腺悪性腫瘍手術", 41080, "50"),
    proc_row("tumour_resection", "150000010", "悪性腫瘍切除術（その他）", 30000, "50"),
    proc_row("appendectomy", "150182110", "虫垂切除術", 6740, "50"),
    proc_row("cholecystectomy", "150267510", "腹腔鏡下胆嚢摘出術", 21500, "50"),
    proc_row("caesarean", "150245710", "帝王切開術（選択帝王切開）", 20140, "50"),
    proc_row("cataract_surgery", "150211510", "水晶体再建術", 12100, "50"),
    proc_row("minor_surgery", "150003010", "創傷処理", 1400, "50"),
];

/// A drug master row. Prices are 薬価 in yen per unit.
#[derive(Debug)]
pub struct Drug {
    pub key: &'static str,
    pub code: &'static str,
    pub name_ja: &'static str,
    pub price_yen: f64,
    /// Units per day (or per administration for injections).
    pub daily_amount: f64,
    /// `21` oral, `23` topical, `33` injection.
    pub care_class: &'static str,
}

const fn drug_row(
    key: &'static str,
    code: &'static str,
    name_ja: &'static str,
    price_yen: f64,
    daily_amount: f64,
    care_class: &'static str,
) -> Drug {
    Drug {
        key,
        code,
        name_ja,
        price_yen,
        daily_amount,
        care_class,
    }
}

pub static DRUGS: &[Drug] = &[
    drug_row("amlodipine", "621735001", "アムロジピン錠５ｍｇ", 10.1, 1.0, "21"),
    drug_row(
        "metformin",
        "621923401",
        "メトホルミン塩酸塩錠２５０ｍｇ",
        10.1,
        3.0,
        "21",
    ),
    drug_row(
        "rosuvastatin",
        "622104101",
        "ロスバスタチン錠２．５ｍｇ",
        15.4,
        1.0,
        "21",
    ),
    drug_row("aspirin", "620008301", "アスピリン腸溶錠１００ｍｇ", 5.7, 1.0, "21"),
    drug_row("apixaban", "622223001", "アピキサバン錠５ｍｇ", 129.4, 2.0, "21"),
    drug_row("furosemide", "620001501", "フロセミド錠２０ｍｇ", 9.8, 1.0, "21"),
    drug_row("donepezil", "622015701", "ドネペジル塩酸塩錠５ｍｇ", 38.3, 1.0, "21"),
    drug_row(
        "alendronate",
        "621655201",
        "アレンドロン酸錠３５ｍｇ",
        120.1,
        0.143,
        "21",
    ),
    drug_row(
        "tiotropium",
        "620009401",
        "チオトロピウム吸入用カプセル",
        143.7,
        1.0,
        "23",
    ),
    drug_row("inhaled_steroid", "622249301", "ブデソニド吸入剤", 88.0, 1.0, "23"),
    drug_row(
        "escitalopram",
        "622108601",
        "エスシタロプラム錠１０ｍｇ",
        110.2,
        1.0,
        "21",
    ),
    drug_row(
        "lansoprazole",
        "620003101",
        "ランソプラゾールＯＤ錠１５ｍｇ",
        24.2,
        1.0,
        "21",
    ),
    drug_row(
        "acetaminophen",
        "620002201",
        "アセトアミノフェン錠２００ｍｇ",
        5.9,
        3.0,
        "21",
    ),
    drug_row("lactobacillus", "620004901", "ビフィズス菌製剤錠", 5.9, 3.0, "21"),
    drug_row(
        "carbocisteine",
        "620005301",
        "カルボシステイン錠５００ｍｇ",
        6.3,
        3.0,
        "21",
    ),
    drug_row(
        "oseltamivir",
        "620006401",
        "オセルタミビルカプセル７５ｍｇ",
        205.8,
        2.0,
        "21",
    ),
    drug_row(
        "loxoprofen",
        "620007701",
        "ロキソプロフェンナトリウム錠６０ｍｇ",
        9.8,
        3.0,
        "21",
    ),
    drug_row(
        "steroid_ointment",
        "620008901",
        "ベタメタゾン吉草酸エステル軟膏０．１２％",
        16.6,
        1.0,
        "23",
    ),
    drug_row("eye_drops", "620009901", "オロパタジン点眼液０．１％", 58.6, 1.0, "23"),
    drug_row(
        "levofloxacin",
        "620010101",
        "レボフロキサシン錠５００ｍｇ",
        104.1,
        1.0,
        "21",
    ),
    drug_row(
        "loxoprofen_tape",
        "620011201",
        "ロキソプロフェンナトリウムテープ１００ｍｇ",
        16.5,
        1.0,
        "23",
    ),
    drug_row("zolpidem", "620012301", "ゾルピデム酒石酸塩錠５ｍｇ", 11.3, 1.0, "21"),
    drug_row(
        "magnesium_oxide",
        "620013401",
        "酸化マグネシウム錠３３０ｍｇ",
        5.7,
        3.0,
        "21",
    ),
    drug_row("celecoxib", "620014501", "セレコキシブ錠１００ｍｇ", 24.1, 2.0, "21"),
    drug_row(
        "ceftriaxone",
        "640406001",
        "セフトリアキソンナトリウム静注用１ｇ",
        342.0,
        2.0,
        "33",
    ),
    drug_row(
        "cefazolin",
        "640407101",
        "セファゾリンナトリウム注射用１ｇ",
        229.0,
        2.0,
        "33",
    ),
    drug_row(
        "edaravone",
        "640408201",
        "エダラボン点滴静注３０ｍｇ",
        1420.0,
        2.0,
        "33",
    ),
    drug_row(
        "furosemide_injection",
        "640409301",
        "フロセミド注２０ｍｇ",
        62.0,
        2.0,
        "33",
    ),
    drug_row("heparin", "640410401", "ヘパリンナトリウム注５千単位", 183.0, 2.0, "33"),
    drug_row("saline", "640411501", "生理食塩液５００ｍＬ", 193.0, 2.0, "33"),
    drug_row(
        "chemo_regimen",
        "640412601",
        "オキサリプラチン点滴静注液１００ｍｇ",
        29580.0,
        1.0,
        "33",
    ),
    drug_row(
        "nivolumab",
        "640413701",
        "ニボルマブ点滴静注１００ｍｇ",
        131811.0,
        2.4,
        "33",
    ),
    drug_row("car_t", "640414801", "チサゲンレクルユーセル", 32647761.0, 1.0, "33"),
];

/// Surgeries for `cancer_surgery` admissions by the cancer's site.
pub fn cancer_surgery_for(site: &str) -> &'static str {
    match site {
        "gastric_cancer" => "gastrectomy",
        "colon_cancer" => "colectomy",
        "lung_cancer" => "lobectomy",
        "breast_cancer" => "mastectomy",
        "prostate_cancer" => "prostatectomy",
        _ => "tumour_resection",
    }
}

/// A long-term-care service item.
pub struct LtcService {
    pub key: &'static str,
    /// サービス種類コード.
    pub kind: &'static str,
    /// サービス項目コード.
    pub item: &'static str,
    pub name_ja: &'static str,
    /// Units per time by care level (要支援1, 要支援2, 要介護1…5).
    pub units: [u32; 7],
    /// True for services billed per day of residence (施設).
    pub residential: bool,
}

const fn ltc(
    key: &'static str,
    kind: &'static str,
    item: &'static str,
    name_ja: &'static str,
    units: [u32; 7],
    residential: bool,
) -> LtcService {
    LtcService {
        key,
        kind,
        item,
        name_ja,
        units,
        residential,
    }
}

pub static LTC_SERVICES: &[LtcService] = &[
    ltc(
        "home_help",
        "11",
        "1121",
        "身体介護２",
        [0, 0, 387, 387, 387, 387, 387],
        false,
    ),
    ltc(
        "home_nursing",
        "13",
        "1311",
        "訪問看護Ⅰ２",
        [0, 0, 471, 471, 471, 471, 471],
        false,
    ),
    ltc(
        "day_care",
        "15",
        "1511",
        "通所介護（通常規模型）",
        [0, 0, 655, 773, 896, 1018, 1142],
        false,
    ),
    ltc(
        "equipment",
        "17",
        "1001",
        "福祉用具貸与",
        [0, 0, 350, 450, 700, 900, 1100],
        false,
    ),
    ltc(
        "short_stay",
        "21",
        "2111",
        "短期入所生活介護",
        [0, 0, 645, 715, 787, 856, 926],
        false,
    ),
    ltc(
        "care_management",
        "43",
        "4001",
        "居宅介護支援Ⅰ",
        [0, 0, 1076, 1076, 1398, 1398, 1398],
        false,
    ),
    ltc(
        "prevention_support",
        "46",
        "4611",
        "介護予防支援",
        [438, 438, 0, 0, 0, 0, 0],
        false,
    ),
    ltc(
        "prevention_day_rehab",
        "66",
        "6611",
        "介護予防通所リハビリテーション",
        [2053, 3999, 0, 0, 0, 0, 0],
        false,
    ),
    ltc(
        "prevention_equipment",
        "67",
        "6701",
        "介護予防福祉用具貸与",
        [150, 250, 0, 0, 0, 0, 0],
        false,
    ),
    ltc(
        "nursing_home",
        "51",
        "5111",
        "介護福祉施設サービス",
        [0, 0, 573, 641, 712, 780, 847],
        true,
    ),
    ltc(
        "health_facility",
        "52",
        "5211",
        "介護保健施設サービス",
        [0, 0, 717, 763, 828, 883, 932],
        true,
    ),
];

/// 区分支給限度基準額 (units per month) by care level, for home services.
pub const MONTHLY_LIMIT_UNITS: [u32; 7] = [5032, 10531, 16765, 19705, 27048, 30938, 36217];

pub fn procedure(key: &str) -> &'static Procedure {
    PROCEDURES
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no procedure {key}"))
}

pub fn drug(key: &str) -> &'static Drug {
    DRUGS
        .iter()
        .find(|d| d.key == key)
        .unwrap_or_else(|| panic!("no drug {key}"))
}

pub fn ltc_service(key: &str) -> &'static LtcService {
    LTC_SERVICES
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no LTC service {key}"))
}

/// Drug points per administration: 薬価 × amount in tens of yen, 15 yen or less counting
/// as 1 point and the rest rounded with 五捨五超入 (0.5 rounds down).
pub fn drug_points(price_yen: f64, amount: f64) -> u32 {
    let yen = price_yen * amount;
    if yen <= 15.0 {
        return 1;
    }
    let tens = yen / 10.0;
    let whole = tens.floor();
    (if tens - whole > 0.5 { whole + 1.0 } else { whole }) as u32
}

/// A rare condition of the long tail, seen in a handful of persons per million.
pub struct Rare {
    pub index: usize,
    pub name_ja: String,
    pub icd10: String,
    pub patients_thousands: f64,
}

/// Number of rare conditions in the long tail.
pub const RARE_COUNT: usize = 150;

/// The long tail: ICD-10 codes spread over the chapters where rare diseases live, with
/// national patient counts from 0.3 to 30 thousand (指定難病 sizes).
pub fn rare_conditions() -> &'static [Rare] {
    static RARE: OnceLock<Vec<Rare>> = OnceLock::new();
    RARE.get_or_init(|| {
        const CHAPTERS: [(char, u32, u32); 6] = [
            ('D', 55, 89),
            ('E', 70, 88),
            ('G', 10, 71),
            ('M', 30, 35),
            ('Q', 0, 99),
            ('K', 50, 51),
        ];
        (0..RARE_COUNT)
            .map(|i| {
                let (letter, lo, hi) = CHAPTERS[i % CHAPTERS.len()];
                let number = lo + (i as u32 * 7) % (hi - lo + 1);
                let decimal = (i / CHAPTERS.len()) % 10;
                // Geometric spread of sizes: 30k for the commonest, down to ~0.3k.
                let patients_thousands = 30.0 / (1.0 + i as f64 * 0.66);
                Rare {
                    index: i,
                    name_ja: format!("指定難病（第{}類）", i + 1),
                    icd10: format!("{letter}{number:02}.{decimal}"),
                    patients_thousands,
                }
            })
            .collect()
    })
}

/// Prevalence multiplier turning a relative `shape` into a probability per person, so
/// that the national number of patients equals `patients_thousands` for Japan's pyramid.
pub fn prevalence_scale(patients_thousands: f64, shape: &[f64; 9], female_ratio: f64) -> f64 {
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

/// How much likelier `sex` is than the average person, for a condition with
/// `female_ratio` (100 or more: women only; 0: men only).
pub fn sex_factor(sex: u8, female_ratio: f64) -> f64 {
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

/// Chance that a person of `age` and `sex` is treated for `c`.
pub fn chronic_probability(c: &Chronic, age: u32, sex: u8) -> f64 {
    let scale = prevalence_scale(c.patients_thousands, &c.shape, c.female_ratio);
    let female = if sex == 2 { c.female_ratio } else { 1.0 };
    // `prevalence_scale` weights women by the ratio; persons are counted in thousands.
    let p = scale * c.shape[age_group(age)] * female;
    // Conditions of one sex only (breast, prostate cancer) never occur in the other.
    let impossible = (c.female_ratio >= 100.0 && sex == 1) || (c.female_ratio == 0.0 && sex == 2);
    if impossible { 0.0 } else { p.min(0.95) }
}

/// A 7-digit 傷病名コード for the n-th diagnosis of the master (synthetic, 88xxxxx).
pub fn disease_code(n: usize) -> String {
    format!("{}", 8_800_001 + n as u32 * 13)
}

/// Every diagnosis the generator writes, in master order: chronic, dialysis, acute,
/// admission causes, rare. The 傷病名コード is the position in this list.
pub struct Diagnosis {
    pub code: String,
    pub name_ja: String,
    pub icd10: String,
}

pub fn diagnoses() -> &'static [Diagnosis] {
    static ALL: OnceLock<Vec<Diagnosis>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut rows: Vec<(String, String)> = Vec::new();
        rows.extend(CHRONIC.iter().map(|c| (c.name_ja.to_string(), c.icd10.to_string())));
        rows.push((
            DIALYSIS_CONDITION.name_ja.to_string(),
            DIALYSIS_CONDITION.icd10.to_string(),
        ));
        rows.extend(ACUTE.iter().map(|a| (a.name_ja.to_string(), a.icd10.to_string())));
        rows.extend(ADMISSIONS.iter().map(|a| (a.name_ja.to_string(), a.icd10.to_string())));
        rows.extend(rare_conditions().iter().map(|r| (r.name_ja.clone(), r.icd10.clone())));
        rows.into_iter()
            .enumerate()
            .map(|(i, (name_ja, icd10))| Diagnosis {
                code: disease_code(i),
                name_ja,
                icd10,
            })
            .collect()
    })
}

/// Positions of each kind of diagnosis in [`diagnoses`].
pub mod dx {
    use super::*;
    pub fn chronic(i: usize) -> usize {
        i
    }
    pub fn dialysis() -> usize {
        CHRONIC.len()
    }
    pub fn acute(i: usize) -> usize {
        CHRONIC.len() + 1 + i
    }
    pub fn admission(i: usize) -> usize {
        CHRONIC.len() + 1 + ACUTE.len() + i
    }
    pub fn rare(i: usize) -> usize {
        CHRONIC.len() + 1 + ACUTE.len() + ADMISSIONS.len() + i
    }
    pub fn chronic_by_key(key: &str) -> Option<usize> {
        CHRONIC.iter().position(|c| c.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_real_shape_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in PROCEDURES {
            assert!(p.code.len() == 9 && p.code.starts_with('1'), "{}", p.code);
            assert!(seen.insert(p.code));
        }
        for d in DRUGS {
            assert!(d.code.len() == 9 && d.code.starts_with('6'), "{}", d.code);
            assert!(seen.insert(d.code));
        }
        for d in diagnoses() {
            assert_eq!(d.code.len(), 7);
            assert!(seen.insert(d.code.as_str()));
        }
    }

    #[test]
    fn every_referenced_key_exists() {
        for c in CHRONIC {
            if let Some(d) = c.drug {
                drug(d);
            }
        }
        for a in ACUTE {
            drug(a.drug);
        }
        for a in ADMISSIONS {
            if let Some(s) = a.surgery.filter(|s| *s != "cancer_surgery") {
                procedure(s);
            }
            if let Some(i) = a.injection {
                drug(i);
            }
            if let Some(l) = a.leaves {
                assert!(dx::chronic_by_key(l).is_some(), "{l}");
            }
        }
    }

    #[test]
    fn drug_points_follow_the_rounding_rule() {
        assert_eq!(drug_points(5.7, 1.0), 1);
        assert_eq!(drug_points(10.1, 3.0), 3);
        assert_eq!(drug_points(15.0, 1.0), 1);
        assert_eq!(drug_points(25.0, 1.0), 2);
        assert_eq!(drug_points(26.0, 1.0), 3);
    }
}
