//! The diagnosis master: every condition of the catalogue in one numbered list, with the
//! long tail of rare conditions, and the position of each kind of diagnosis in it.

use super::acute::ACUTE;
use super::admissions::{ADMISSIONS, Cause};
use super::chronic::{CHRONIC, ChronicId, DIALYSIS_CONDITION};
use std::sync::OnceLock;

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
    use super::{ACUTE, ADMISSIONS, CHRONIC, Cause, ChronicId};

    pub fn chronic(id: ChronicId) -> usize {
        id as usize
    }
    pub fn dialysis() -> usize {
        CHRONIC.len()
    }
    pub fn acute(i: usize) -> usize {
        CHRONIC.len() + 1 + i
    }
    pub fn admission(cause: Cause) -> usize {
        CHRONIC.len() + 1 + ACUTE.len() + cause as usize
    }
    pub fn rare(i: usize) -> usize {
        CHRONIC.len() + 1 + ACUTE.len() + ADMISSIONS.len() + i
    }
    /// The chronic condition diagnosis `dx` is, if it is one.
    pub fn chronic_of(dx: usize) -> Option<ChronicId> {
        ChronicId::ALL.get(dx).copied()
    }
}
