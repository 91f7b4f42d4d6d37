//! Japanese era (元号) dates as the claim files write them: `GYYMMDD` for a day and
//! `GYYMM` for a month, where G is 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// An era, numbered as the 記録条件仕様 numbers them (別表 元号コード).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Era {
    Meiji = 1,
    Taisho = 2,
    Showa = 3,
    Heisei = 4,
    Reiwa = 5,
}

impl Era {
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// First day of the era. 明治 is taken from the adoption of the Gregorian calendar's
    /// year 1868 because no living person's birth date precedes it.
    pub fn first_day(self) -> NaiveDate {
        let (y, m, d) = match self {
            Era::Meiji => (1868, 1, 1),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        };
        NaiveDate::from_ymd_opt(y, m, d).expect("era start dates are valid")
    }

    pub fn code(self) -> u32 {
        self as u32
    }

    pub fn from_code(code: u32) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.code() == code)
    }

    /// The era in force on `date`, or `None` before 明治.
    pub fn of(date: NaiveDate) -> Option<Era> {
        Era::ALL.into_iter().rev().find(|e| date >= e.first_day())
    }

    fn next(self) -> Option<Era> {
        Era::from_code(self.code() + 1)
    }
}

/// Why an era-coded value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EraError {
    #[error("expected {expected} digits, found {found:?}")]
    Shape { expected: usize, found: String },
    #[error("unknown era code {0}")]
    UnknownEra(u32),
    #[error("no such calendar date: {0:?}")]
    NoSuchDate(String),
    #[error("{0:?} lies outside its era")]
    OutsideEra(String),
}

fn digits(s: &str, expected: usize) -> Result<Vec<u32>, EraError> {
    if s.len() != expected || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EraError::Shape {
            expected,
            found: s.to_string(),
        });
    }
    Ok(s.bytes().map(|b| u32::from(b - b'0')).collect())
}

/// Formats a day as `GYYMMDD`.
///
/// # Panics
/// Panics for dates before 明治, which no record of a living person carries.
pub fn format_date(date: NaiveDate) -> String {
    let era = Era::of(date).expect("dates before 明治 are never written");
    let year = date.year() - era.first_day().year() + 1;
    format!("{}{:02}{:02}{:02}", era.code(), year, date.month(), date.day())
}

/// Formats a calendar month as `GYYMM`, using the era in force on the month's first day
/// (so 2019-05 is 令和元年5月 and 2019-04 is 平成31年4月).
pub fn format_month(year: i32, month: u32) -> String {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    let d = format_date(first);
    d[..5].to_string()
}

/// Reads `GYYMMDD`, rejecting impossible dates and dates outside the named era.
pub fn parse_date(s: &str) -> Result<NaiveDate, EraError> {
    let d = digits(s, 7)?;
    let era = Era::from_code(d[0]).ok_or(EraError::UnknownEra(d[0]))?;
    let year_in_era = (d[1] * 10 + d[2]) as i32;
    let year = era.first_day().year() + year_in_era - 1;
    let date = NaiveDate::from_ymd_opt(year, d[3] * 10 + d[4], d[5] * 10 + d[6])
        .filter(|_| year_in_era >= 1)
        .ok_or_else(|| EraError::NoSuchDate(s.to_string()))?;
    let before_next = era.next().is_none_or(|n| date < n.first_day());
    if date < era.first_day() || !before_next {
        return Err(EraError::OutsideEra(s.to_string()));
    }
    Ok(date)
}

/// Reads `GYYMM` into (year, month), checking that the month overlaps the era.
pub fn parse_month(s: &str) -> Result<(i32, u32), EraError> {
    let d = digits(s, 5)?;
    let era = Era::from_code(d[0]).ok_or(EraError::UnknownEra(d[0]))?;
    let year_in_era = (d[1] * 10 + d[2]) as i32;
    let year = era.first_day().year() + year_in_era - 1;
    let month = d[3] * 10 + d[4];
    let first = NaiveDate::from_ymd_opt(year, month, 1)
        .filter(|_| year_in_era >= 1)
        .ok_or_else(|| EraError::NoSuchDate(s.to_string()))?;
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| EraError::NoSuchDate(s.to_string()))?;
    let starts_in_time = last >= era.first_day();
    let ends_in_time = era.next().is_none_or(|n| first < n.first_day());
    if !starts_in_time || !ends_in_time {
        return Err(EraError::OutsideEra(s.to_string()));
    }
    Ok((year, month))
}

/// A `YYYYMMDD` Gregorian date, as DPC and 介護 certification files write them.
pub fn format_ymd(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

pub fn parse_ymd(s: &str) -> Result<NaiveDate, EraError> {
    let d = digits(s, 8)?;
    let year = (d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]) as i32;
    NaiveDate::from_ymd_opt(year, d[4] * 10 + d[5], d[6] * 10 + d[7]).ok_or_else(|| EraError::NoSuchDate(s.to_string()))
}

/// A calendar month, the unit of billing and of 介護 service provision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        (1..=12).contains(&month).then_some(YearMonth { year, month })
    }

    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid month")
    }

    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    pub fn next(self) -> YearMonth {
        self.plus(1)
    }

    pub fn plus(self, months: i32) -> YearMonth {
        let index = self.year * 12 + self.month as i32 - 1 + months;
        YearMonth {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// Months from `self` to `later` (0 when equal).
    pub fn months_until(self, later: YearMonth) -> i32 {
        (later.year * 12 + later.month as i32) - (self.year * 12 + self.month as i32)
    }

    /// `GYYMM`.
    pub fn era(self) -> String {
        format_month(self.year, self.month)
    }

    /// `YYYYMM`.
    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }

    /// Reads `YYYY-MM`, the form the command line takes.
    pub fn parse_dashed(s: &str) -> Option<YearMonth> {
        let (y, m) = s.split_once('-')?;
        // Four digits: every month of such a year has a first and a last day.
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        YearMonth::new(y.parse().ok()?, m.parse().ok()?)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn era_boundaries_follow_the_imperial_calendar() {
        assert_eq!(format_date(ymd(1989, 1, 7)), "3640107");
        assert_eq!(format_date(ymd(1989, 1, 8)), "4010108");
        assert_eq!(format_date(ymd(2019, 4, 30)), "4310430");
        assert_eq!(format_date(ymd(2019, 5, 1)), "5010501");
        assert_eq!(format_date(ymd(1926, 12, 24)), "2151224");
        assert_eq!(format_date(ymd(1926, 12, 25)), "3011225");
        assert_eq!(format_date(ymd(1912, 7, 29)), "1450729");
        assert_eq!(format_month(2019, 5), "50105");
        assert_eq!(format_month(2019, 4), "43104");
        assert_eq!(format_month(2024, 3), "50603");
    }

    #[test]
    fn every_day_from_1900_to_2030_round_trips() {
        let mut d = ymd(1900, 1, 1);
        while d < ymd(2030, 1, 1) {
            assert_eq!(parse_date(&format_date(d)), Ok(d));
            d = d.succ_opt().unwrap();
        }
    }

    #[test]
    fn impossible_and_out_of_era_dates_are_rejected() {
        assert!(matches!(parse_date("4310230"), Err(EraError::NoSuchDate(_))));
        assert!(matches!(parse_date("5000101"), Err(EraError::NoSuchDate(_))));
        assert!(matches!(parse_date("4310501"), Err(EraError::OutsideEra(_))));
        assert!(matches!(parse_date("5010430"), Err(EraError::OutsideEra(_))));
        assert!(matches!(parse_date("6010101"), Err(EraError::UnknownEra(6))));
        assert!(matches!(parse_date("401010"), Err(EraError::Shape { .. })));
        assert!(matches!(parse_date("40101O1"), Err(EraError::Shape { .. })));
        assert!(matches!(parse_month("43105"), Err(EraError::OutsideEra(_))));
        assert_eq!(parse_month("43104"), Ok((2019, 4)));
        assert_eq!(parse_month("50105"), Ok((2019, 5)));
    }

    #[test]
    fn year_month_arithmetic() {
        let m = YearMonth::new(2022, 4).unwrap();
        assert_eq!(m.plus(9), YearMonth::new(2023, 1).unwrap());
        assert_eq!(m.plus(-4), YearMonth::new(2021, 12).unwrap());
        assert_eq!(m.months_until(YearMonth::new(2024, 3).unwrap()), 23);
        assert_eq!(YearMonth::new(2024, 2).unwrap().days(), 29);
        assert_eq!(YearMonth::parse_dashed("2024-03"), YearMonth::new(2024, 3));
        assert_eq!(YearMonth::parse_dashed("2024-13"), None);
    }

    /// Found by fuzzing (fuzz target `era`): `--from 9400994-4` was accepted, and the first
    /// day of a year beyond chrono's range panicked ("valid month").
    #[test]
    fn a_dashed_month_has_a_four_digit_year() {
        assert_eq!(YearMonth::parse_dashed("9400994-4"), None);
        assert_eq!(YearMonth::parse_dashed("+2024-03"), None);
        assert_eq!(YearMonth::parse_dashed("-001-03"), None);
        assert_eq!(YearMonth::parse_dashed("0999-03"), YearMonth::new(999, 3));
        let last = YearMonth::parse_dashed("9999-12").expect("a four-digit year");
        assert_eq!(last.last_day(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap());
    }
}
