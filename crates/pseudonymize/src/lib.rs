//! Normalization of identifiers and keyed BLAKE3 hashing under a steward-held key; key files.
//!
//! Each `id*` function normalizes its raw fields (see [`normalize`]), then hashes them under
//! the sub-key of its purpose, which the caller passes in: `id1` takes
//! `key.subkey(Purpose::Id1)`, and so on. Dates are hashed as ISO `YYYY-MM-DD` and sex as
//! "1" or "2" (the decimal digits of the `sex` argument, which callers take from
//! [`normalize::sex`]), so the era and Gregorian writings of one birth date give one digest.
//! `docs/pseudonymization.md` has the full definition and test vectors.

mod key;
pub mod normalize;

pub use key::{Digest, Key, KeyError, Purpose, SubKey};

use chrono::NaiveDate;

/// ID1-like digest under the [`Purpose::Id1`] sub-key: insurer number, card symbol, card
/// number, birth date and sex. Changes when the person changes insurer.
pub fn id1(k: &SubKey, insurer: &str, symbol: &str, number: &str, birth: NaiveDate, sex: u8) -> Digest {
    k.hash(&[
        &normalize::insurer_number(insurer),
        &normalize::insured_symbol(symbol),
        &normalize::insured_number(number),
        &iso_date(birth),
        &sex.to_string(),
    ])
}

/// ID2-like digest under the [`Purpose::Id2`] sub-key: kana name, birth date and sex.
/// Survives a change of insurer, not a change of name.
pub fn id2(k: &SubKey, kana_name: &str, birth: NaiveDate, sex: u8) -> Digest {
    k.hash(&[&normalize::kana_name(kana_name), &iso_date(birth), &sex.to_string()])
}

/// Digest of the 個人単位被保険者番号 under the [`Purpose::LinkId`] sub-key: insurer number, card
/// symbol, card number and 2-digit branch number, which together name one person rather than
/// one household's card.
pub fn link_id(k: &SubKey, insurer: &str, symbol: &str, number: &str, branch: &str) -> Digest {
    k.hash(&[
        &normalize::insurer_number(insurer),
        &normalize::insured_symbol(symbol),
        &normalize::insured_number(number),
        &normalize::branch_number(branch),
    ])
}

/// 介護 digest under the [`Purpose::LtcId`] sub-key: the insuring municipality's insurer
/// number, the 介護 insured number (unique only within that municipality), birth date and sex.
pub fn ltc_id(k: &SubKey, insurer_municipality: &str, ltc_insured_number: &str, birth: NaiveDate, sex: u8) -> Digest {
    k.hash(&[
        &normalize::insurer_number(insurer_municipality),
        &normalize::insured_number(ltc_insured_number),
        &iso_date(birth),
        &sex.to_string(),
    ])
}

/// `YYYY-MM-DD` (NaiveDate's Display, which writes the digits directly; a `format("%Y-%m-%d")`
/// parsed its pattern again for every identifier hashed).
fn iso_date(date: NaiveDate) -> String {
    date.to_string()
}
