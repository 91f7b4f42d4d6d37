//! How each facility, LTC insurer or hospital writes a person's identifiers. Every
//! system has its own habits (kana width, spacing, padding of card numbers, kanji forms),
//! fixed per (system, person) so the same facility writes the same person the same way
//! month after month, as real systems do.

use crate::config::Config;
use crate::names::{FAMILY_NAMES, KanaStyle, given_names, render_kana, render_kanji};
use crate::person::{Coverage, NamePeriod, Person};
use crate::rng::mix;
use chrono::NaiveDate;

/// The name fields as one system writes them.
pub struct WrittenName {
    /// Kanji name (RE 氏名 / 介護 氏名); some systems store kana there.
    pub name: String,
    /// Katakana name.
    pub kana: String,
}

fn name_period(person: &Person, on: NaiveDate) -> &NamePeriod {
    person
        .names
        .iter()
        .rev()
        .find(|n| n.from <= on)
        .unwrap_or(&person.names[0])
}

/// The person's name as `system` writes it on `on`.
pub fn written_name(cfg: &Config, person: &Person, system: u64, on: NaiveDate) -> WrittenName {
    let period = name_period(person, on);
    let family = &FAMILY_NAMES[period.family];
    let given = &given_names(person.sex)[person.given];
    let habits = mix(cfg.seed, system, 0);
    let per_person = mix(cfg.seed, system, person.index);

    let registered = match period.registered_form {
        0 => family.kanji,
        v => family.kanji_variants[v - 1],
    };
    // A system may write another form of the family name than the registry's.
    let deviates = (per_person % 10_000) as f64 / 10_000.0 < cfg.churn.kanji_variant;
    let family_kanji = if deviates && !family.kanji_variants.is_empty() {
        if period.registered_form == 0 {
            family.kanji_variants[(per_person >> 20) as usize % family.kanji_variants.len()]
        } else {
            family.kanji
        }
    } else {
        registered
    };
    let style = KanaStyle::ALL[match habits % 100 {
        0..40 => 0,
        40..55 => 1,
        55..80 => 2,
        80..90 => 3,
        90..95 => 4,
        _ => 5,
    }];
    let kana = render_kana(family.kana, given.kana, style);
    // One system in ten stores only kana, even in the kanji name field.
    let name = if (habits >> 8).is_multiple_of(10) {
        kana.clone()
    } else {
        render_kanji(family_kanji, given.kanji, !(habits >> 16).is_multiple_of(3))
    };
    WrittenName { name, kana }
}

const FULL_WIDTH_DIGITS: [char; 10] = ['０', '１', '２', '３', '４', '５', '６', '７', '８', '９'];

/// Card symbol and number as `system` typed them from the card: some pad the number
/// with zeros to 8 digits, a few type full-width digits.
pub fn written_card(cfg: &Config, cov: &Coverage, system: u64) -> (String, String) {
    let habits = mix(cfg.seed, system, 1);
    let mut number = cov.number.clone();
    if habits % 10 < 3 && number.len() < 8 {
        number = format!("{number:0>8}");
    }
    let full_width = (habits >> 8).is_multiple_of(20);
    let widen = |s: &str| -> String {
        if full_width {
            s.chars()
                .map(|c| c.to_digit(10).map_or(c, |d| FULL_WIDTH_DIGITS[d as usize]))
                .collect()
        } else {
            s.to_string()
        }
    };
    (widen(&cov.symbol), widen(&number))
}

/// A facility's patient number for a person: stable, 8 digits, unique enough.
pub fn karte_number(cfg: &Config, person: &Person, facility_code: u64) -> String {
    format!(
        "{:010}",
        mix(cfg.seed ^ 0x006b_6172_7465, facility_code, person.index) % 10_000_000_000
    )
}
