//! What `renkei synth` is asked to make.

use renkei_formats::era::YearMonth;
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// Yearly rates of the identifier changes that break naive linkage.
#[derive(Clone, Debug)]
pub struct Churn {
    /// Job changes (a new insurer and card) per person-year, ages 20–64.
    pub insurer_change_per_year: f64,
    /// Marriages with a change of family name per woman-year, ages 24–38.
    pub marriage_per_year: f64,
    /// Moves to another municipality (new 国保 insurer and LTC number) per person-year.
    pub move_per_year: f64,
    /// Chance that a facility writes a person's family name in another kanji form
    /// (渡邊 for 渡辺, or back).
    pub kanji_variant: f64,
    /// Share of claims without the 個人単位被保険者番号 branch (no SN record).
    pub branch_missing: f64,
}

impl Default for Churn {
    fn default() -> Self {
        Churn {
            insurer_change_per_year: 0.05,
            marriage_per_year: 0.05,
            move_per_year: 0.02,
            kanji_variant: 0.3,
            branch_missing: 0.05,
        }
    }
}

/// Japan's prefectures by JIS code, 北海道 (1) to 沖縄 (47).
pub const ALL_PREFECTURES: RangeInclusive<u32> = 1..=47;

#[derive(Clone, Debug)]
pub struct Config {
    pub persons: u64,
    pub seed: u64,
    /// First and last service month written.
    pub from: YearMonth,
    pub to: YearMonth,
    /// Chance that a record (or a file) is made defective on purpose; 0 for clean data.
    pub defect_rate: f64,
    pub churn: Churn,
    pub out: PathBuf,
    /// Worker threads (prefectures are generated in parallel).
    pub threads: usize,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
    /// The prefectures (JIS codes) whose persons are written; the others are skipped but
    /// still counted in `persons`, so that a run over codes a–b writes exactly the files a
    /// whole-country run writes for them. Lets a population too large for one disk be made
    /// (and ingested) a group of prefectures at a time: no person leaves their prefecture.
    pub prefectures: RangeInclusive<u32>,
}

impl Config {
    pub fn new(persons: u64, seed: u64, out: PathBuf) -> Config {
        Config {
            persons,
            seed,
            from: YearMonth { year: 2022, month: 4 },
            to: YearMonth { year: 2024, month: 3 },
            defect_rate: 0.001,
            churn: Churn::default(),
            out,
            threads: 2,
            progress: false,
            prefectures: ALL_PREFECTURES,
        }
    }

    /// Months in the period.
    pub fn months(&self) -> u32 {
        (self.from.months_until(self.to) + 1).max(0) as u32
    }
}
