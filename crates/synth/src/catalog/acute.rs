//! Diagnoses of one-off outpatient visits, weighted by age group and sex.

use super::drugs::DrugId;

/// A diagnosis of a one-off outpatient visit, with its relative weight by age group.
pub struct Acute {
    pub name_ja: &'static str,
    pub icd10: &'static str,
    pub weight: [f64; 9],
    pub female_ratio: f64,
    pub drug: DrugId,
    /// Only in the winter months (December–March).
    pub winter: bool,
}

pub static ACUTE: &[Acute] = &[
    Acute {
        name_ja: "急性上気道炎",
        icd10: "J06.9",
        weight: [10.0, 4.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        female_ratio: 1.0,
        drug: DrugId::Acetaminophen,
        winter: false,
    },
    Acute {
        name_ja: "感染性胃腸炎",
        icd10: "A09.0",
        weight: [5.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        female_ratio: 1.0,
        drug: DrugId::Lactobacillus,
        winter: false,
    },
    Acute {
        name_ja: "急性気管支炎",
        icd10: "J20.9",
        weight: [4.0, 1.5, 1.5, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0],
        female_ratio: 1.0,
        drug: DrugId::Carbocisteine,
        winter: false,
    },
    Acute {
        name_ja: "インフルエンザ",
        icd10: "J11.1",
        weight: [8.0, 4.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        female_ratio: 1.0,
        drug: DrugId::Oseltamivir,
        winter: true,
    },
    Acute {
        name_ja: "腰痛症",
        icd10: "M54.5",
        weight: [0.1, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0],
        female_ratio: 1.0,
        drug: DrugId::Loxoprofen,
        winter: false,
    },
    Acute {
        name_ja: "湿疹",
        icd10: "L30.9",
        weight: [4.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
        female_ratio: 1.2,
        drug: DrugId::SteroidOintment,
        winter: false,
    },
    Acute {
        name_ja: "アレルギー性結膜炎",
        icd10: "H10.1",
        weight: [3.0, 2.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        female_ratio: 1.3,
        drug: DrugId::EyeDrops,
        winter: false,
    },
    Acute {
        name_ja: "急性膀胱炎",
        icd10: "N30.0",
        weight: [0.2, 1.0, 1.0, 1.0, 1.0, 1.2, 1.5, 1.5, 1.5],
        female_ratio: 6.0,
        drug: DrugId::Levofloxacin,
        winter: false,
    },
    Acute {
        name_ja: "足関節捻挫",
        icd10: "S93.4",
        weight: [1.5, 1.5, 0.8, 0.6, 0.5, 0.4, 0.4, 0.4, 0.3],
        female_ratio: 1.0,
        drug: DrugId::LoxoprofenTape,
        winter: false,
    },
    Acute {
        name_ja: "不眠症",
        icd10: "G47.0",
        weight: [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 4.0],
        female_ratio: 1.4,
        drug: DrugId::Zolpidem,
        winter: false,
    },
    Acute {
        name_ja: "便秘症",
        icd10: "K59.0",
        weight: [1.0, 0.5, 0.5, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0],
        female_ratio: 1.6,
        drug: DrugId::MagnesiumOxide,
        winter: false,
    },
    Acute {
        name_ja: "変形性膝関節症",
        icd10: "M17.9",
        weight: [0.0, 0.1, 0.5, 1.5, 3.0, 4.5, 5.0, 5.0, 4.5],
        female_ratio: 2.0,
        drug: DrugId::Celecoxib,
        winter: false,
    },
    Acute {
        name_ja: "ＣＯＶＩＤ－１９",
        icd10: "U07.1",
        weight: [3.0, 3.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
        female_ratio: 1.0,
        drug: DrugId::Acetaminophen,
        winter: false,
    },
];
