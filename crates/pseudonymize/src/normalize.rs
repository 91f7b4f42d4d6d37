//! Canonical forms of identifier fields, made before hashing.
//!
//! A keyed hash is all or nothing: ヤマダ　タロウ and ﾔﾏﾀﾞﾀﾛｳ hash to unrelated digests. Facility
//! systems write one person's identifiers in many ways (full- and half-width characters, a
//! space or none between family and given name, no small kana, ー for a long vowel, variant
//! kanji, zero-padded numbers, era or Gregorian dates), so every field is brought to one form
//! first. Each rule removes a variation seen in practice; rules that fold kana also fold some
//! distinct names together, which birth date and sex, hashed alongside, keep from merging
//! distinct persons in all but rare cases.
//!
//! Every function is idempotent (normalizing a normalized value changes nothing), so callers
//! may pass raw or already normalized values to the hashing functions. The rules are part of
//! the digest definition: changing one changes digests, and needs a new context-string version.

use chrono::NaiveDate;
use renkei_formats::era::{self, EraError};
use unicode_normalization::UnicodeNormalization;

/// Characters typed for a hyphen or a long-vowel mark, as they are after NFKC (which turns
/// full-width － into ASCII `-` and half-width ｰ into ー): hyphen-minus, hyphen ‐, en dash –,
/// em dash —, horizontal bar ― (what Shift_JIS 0x815C decodes to), minus sign − and the
/// katakana long-vowel mark ー.
const DASHES: [char; 7] = ['-', '\u{2010}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}', 'ー'];

/// 中黒, written between family and given name or between the parts of a foreign name. Its
/// half-width form ･ becomes this under NFKC.
const NAKAGURO: char = '・';

/// Why a birth date or sex code could not be read. Messages never repeat the input, because
/// the input is personal data and these messages end up in logs; the caller knows the record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("birth date has {length} characters; expected 7 (era GYYMMDD) or 8 (Gregorian YYYYMMDD)")]
    BirthDateLength { length: usize },
    #[error("birth date in {form} form: {reason}")]
    BirthDate { form: &'static str, reason: &'static str },
    #[error("sex code is neither 1 (male) nor 2 (female)")]
    Sex,
}

/// The katakana name as one string of large katakana without spaces, 中黒 or long vowels.
///
/// Steps, in order (each later step relies on the earlier ones):
/// 1. Stand-alone voiced sound marks ゛゜ become combining marks, and NFKC turns half-width
///    kana into full-width and composes a kana with its (half-width or combining) mark:
///    ﾀﾞ → ダ. NFKC would otherwise turn a stand-alone ゛ into a space and a mark that
///    composes with nothing.
/// 2. Hiragana becomes katakana: some systems store the reading in hiragana.
/// 3. Whitespace (ASCII, full-width) and 中黒 are removed: systems differ in whether and how
///    they separate family and given name.
/// 4. Small kana become large (キョウコ → キヨウコ), because old receipt computers could not
///    store small kana and wrote the large form.
/// 5. Long vowels are folded: every dash or ー is removed, and so is a vowel kana that merely
///    lengthens the previous mora (ウ after an o- or u-row kana, オ after an o-row kana, イ
///    after an e-row kana), because clerks write ユウコ as ユーコ. ユウコ, ユーコ, ﾕｳｺ and
///    ゆうこ all become ユコ; オオノ and オーノ become オノ.
///
/// Step 5 runs on the joined name, because a name stored without a space gives no way to tell
/// where the family name ends. Steps 4 and 5 merge some distinct names: 大野 オオノ and 小野
/// オノ both become オノ, 佐藤 サトウ and 里 サト both サト, and the given name ウメ after a
/// family name ending in an o-row kana loses its ウ. That is the price of linking the same
/// person across spellings; a false merge of two persons also needs the same birth date and
/// the same sex, which two people with one folded name share with a chance of roughly one in
/// 70,000 (about 36,500 birth dates in a century, two sexes).
///
/// Not folded: ヂ/ジ, ヅ/ズ, ヲ/オ, ヰ/イ, ヱ/エ, and a long イ or ア written out (イイダ
/// stays, while イーダ becomes イダ).
pub fn kana_name(s: &str) -> String {
    let composed: String = s.chars().map(combining_sound_mark).nfkc().collect();
    let large_katakana = composed
        .chars()
        .map(hiragana_to_katakana)
        .filter(|&c| !c.is_whitespace() && c != NAKAGURO)
        .map(renkei_formats::kana::large_kana);
    fold_long_vowels(large_katakana)
}

/// ゛ and ゜ standing alone (U+309B, U+309C) as their combining forms (U+3099, U+309A), so that
/// NFKC composes them with the kana before them.
fn combining_sound_mark(c: char) -> char {
    match c {
        '\u{309B}' => '\u{3099}',
        '\u{309C}' => '\u{309A}',
        other => other,
    }
}

/// Hiragana ぁ..ゖ to katakana ァ..ヶ: the two blocks are in the same order, 0x60 apart.
fn hiragana_to_katakana(c: char) -> char {
    match c {
        'ぁ'..='ゖ' => char::from_u32(u32::from(c) + 0x60).unwrap_or(c),
        other => other,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Vowel {
    A,
    I,
    U,
    E,
    O,
}

/// The vowel a large katakana ends its mora with; ン and characters other than kana have none.
fn vowel_of(c: char) -> Option<Vowel> {
    Some(match c {
        'ア' | 'カ' | 'ガ' | 'サ' | 'ザ' | 'タ' | 'ダ' | 'ナ' | 'ハ' | 'バ' | 'パ' | 'マ' | 'ヤ' | 'ラ' | 'ワ'
        | 'ヷ' => Vowel::A,
        'イ' | 'キ' | 'ギ' | 'シ' | 'ジ' | 'チ' | 'ヂ' | 'ニ' | 'ヒ' | 'ビ' | 'ピ' | 'ミ' | 'リ' | 'ヰ' | 'ヸ' => {
            Vowel::I
        }
        'ウ' | 'ク' | 'グ' | 'ス' | 'ズ' | 'ツ' | 'ヅ' | 'ヌ' | 'フ' | 'ブ' | 'プ' | 'ム' | 'ユ' | 'ル' | 'ヴ' => {
            Vowel::U
        }
        'エ' | 'ケ' | 'ゲ' | 'セ' | 'ゼ' | 'テ' | 'デ' | 'ネ' | 'ヘ' | 'ベ' | 'ペ' | 'メ' | 'レ' | 'ヱ' | 'ヹ' => {
            Vowel::E
        }
        'オ' | 'コ' | 'ゴ' | 'ソ' | 'ゾ' | 'ト' | 'ド' | 'ノ' | 'ホ' | 'ボ' | 'ポ' | 'モ' | 'ヨ' | 'ロ' | 'ヲ'
        | 'ヺ' => Vowel::O,
        _ => return None,
    })
}

/// Whether `c` only lengthens a mora ending in `previous`, as ー would.
fn lengthens(previous: Option<Vowel>, c: char) -> bool {
    matches!(
        (previous, c),
        (Some(Vowel::O | Vowel::U), 'ウ') | (Some(Vowel::O), 'オ') | (Some(Vowel::E), 'イ')
    )
}

/// Removes dashes and lengthening vowels. A removed character leaves the previous mora as it
/// was, so a run (オオオ, オーオ, オーー) folds to one mora and the result is a fixed point:
/// no kept kana lengthens the kana kept before it.
fn fold_long_vowels(katakana: impl Iterator<Item = char>) -> String {
    let mut folded = String::new();
    let mut previous: Option<Vowel> = None;
    for c in katakana {
        if DASHES.contains(&c) || lengthens(previous, c) {
            continue;
        }
        previous = vowel_of(c);
        folded.push(c);
    }
    folded
}

/// Registry variant kanji and the common form they fold to. Family registers and facility
/// systems write the same name with traditional or variant characters (渡邊, 渡邉 for 渡辺;
/// 髙橋 for 高橋), and a clerk picks whichever the input method offers first. 斉 is strictly a
/// different character from 斎, but サイトウ is registered as 斎藤, 齋藤, 齊藤 and 斉藤 alike.
/// 﨑 (U+FA11) needs the table although it sits in the compatibility block: it is one of the
/// twelve unified ideographs there, which NFKC leaves alone.
const KANJI_VARIANTS: [(char, char); 16] = [
    ('邊', '辺'),
    ('邉', '辺'),
    ('齋', '斎'),
    ('齊', '斎'),
    ('斉', '斎'),
    ('澤', '沢'),
    ('嶋', '島'),
    ('櫻', '桜'),
    ('廣', '広'),
    ('濱', '浜'),
    ('關', '関'),
    ('嵜', '崎'),
    ('﨑', '崎'),
    ('髙', '高'),
    ('冨', '富'),
    ('邨', '村'),
];

/// The kanji name without spaces and with variant kanji in their common form.
///
/// NFKC first (full-width Latin and digits, compatibility ideographs such as 神 U+FA19 → 神);
/// then whitespace is removed, as in [`kana_name`]; then ideographic variation selectors
/// (U+FE00..FE0F, U+E0100..E01EF) are removed, because registry systems attach them to
/// choose a glyph (葛󠄀 / 葛) without changing the character; then the table of variant kanji
/// (`KANJI_VARIANTS` in this module, also listed in docs/pseudonymization.md) is applied.
pub fn kanji_name(s: &str) -> String {
    s.nfkc()
        .filter(|&c| !c.is_whitespace() && !is_variation_selector(c))
        .map(|c| {
            KANJI_VARIANTS
                .iter()
                .find(|&&(variant, _)| variant == c)
                .map_or(c, |&(_, common)| common)
        })
        .collect()
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// NFKC (full-width digits → ASCII), then whitespace and dashes removed: card symbols and
/// numbers are printed and typed with both as separators.
fn without_separators(s: &str) -> String {
    s.nfkc()
        .filter(|&c| !c.is_whitespace() && !DASHES.contains(&c))
        .collect()
}

/// The insured person's card number (被保険者証番号) without separators or leading zeros.
///
/// Systems store the number zero-padded to the field width or not at all, so "00000674",
/// "674" and "６７４" are one number. A number of zeros only becomes "0"; an empty field stays
/// empty so that the caller can tell a missing number from the number zero.
pub fn insured_number(s: &str) -> String {
    let number = without_separators(s);
    let unpadded = number.trim_start_matches('0');
    if unpadded.is_empty() && !number.is_empty() {
        "0".to_string()
    } else {
        unpadded.to_string()
    }
}

/// The card symbol (被保険者証記号) without separators. Leading zeros are kept, because a
/// symbol is a code, not a number ("0012" and "12" are different symbols), and kanji are
/// kept because many symbols contain them (愛知12).
pub fn insured_symbol(s: &str) -> String {
    without_separators(s)
}

/// The insurer number (保険者番号): NFKC and trimmed. 国保 insurer numbers have 6 digits and
/// others 8, and fixed-width files pad the short ones with spaces.
pub fn insurer_number(s: &str) -> String {
    s.nfkc().collect::<String>().trim().to_string()
}

/// The 2-digit branch number (枝番) of the 個人単位被保険者番号, as printed on the card: "1",
/// "01" and "０１" all become "01". An empty field stays empty, as in [`insured_number`].
pub fn branch_number(s: &str) -> String {
    let number = insured_number(s);
    if number.is_empty() {
        number
    } else {
        format!("{number:0>2}")
    }
}

/// A birth date written in era form `GYYMMDD` (claims: 1 明治 … 5 令和) or Gregorian form
/// `YYYYMMDD` (DPC, 介護 certifications); after NFKC and trimming, the length says which.
/// Hashes use the ISO form of the result, so both writings of one date hash alike.
pub fn birth_date(s: &str) -> Result<NaiveDate, NormalizeError> {
    let text: String = s.nfkc().collect();
    let text = text.trim();
    let (form, parsed) = match text.chars().count() {
        7 => ("era GYYMMDD", era::parse_date(text)),
        8 => ("Gregorian YYYYMMDD", era::parse_ymd(text)),
        length => return Err(NormalizeError::BirthDateLength { length }),
    };
    parsed.map_err(|error| NormalizeError::BirthDate {
        form,
        // The era error's own message quotes the input; only its kind is kept.
        reason: match error {
            EraError::Shape { .. } => "a character is not a digit",
            EraError::UnknownEra(_) => "unknown era code (1 明治 to 5 令和)",
            EraError::NoSuchDate(_) => "no such calendar date",
            EraError::OutsideEra(_) => "the date lies outside the named era",
        },
    })
}

/// The sex code of the claim files: "1" male, "2" female (full-width accepted).
pub fn sex(s: &str) -> Result<u8, NormalizeError> {
    match s.nfkc().collect::<String>().trim() {
        "1" => Ok(1),
        "2" => Ok(2),
        _ => Err(NormalizeError::Sex),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_equal(forms: &[&str], normalize: fn(&str) -> String, expected: &str) {
        for form in forms {
            assert_eq!(normalize(form), expected, "{form:?}");
        }
    }

    #[test]
    fn kana_width_spaces_and_script_are_folded() {
        all_equal(
            &[
                "ﾔﾏﾀﾞ ﾀﾛｳ",
                "ヤマダ　タロウ",
                "やまだたろう",
                "ヤマダ・タロウ",
                "ﾔﾏﾀﾞ･ﾀﾛｳ",
                "ヤマダ タロー",
            ],
            kana_name,
            "ヤマダタロ",
        );
    }

    #[test]
    fn kana_sound_marks_compose_in_every_writing() {
        all_equal(
            &["ﾊﾟﾊﾞ", "パバ", "ハ゜ハ゛", "ハ\u{309A}ハ\u{3099}", "ぱば"],
            kana_name,
            "パバ",
        );
    }

    #[test]
    fn small_kana_become_large() {
        all_equal(&["キヨウコ", "キョウコ", "ｷｮｳｺ", "きょうこ"], kana_name, "キヨコ");
        assert_eq!(kana_name("ハットリ"), "ハツトリ");
        assert_eq!(kana_name("ヶヵヮ"), "ケカワ");
    }

    #[test]
    fn long_vowels_fold_by_row() {
        all_equal(
            &["ユウコ", "ユーコ", "ﾕｳｺ", "ゆうこ", "ﾕｰｺ", "ユ-コ"],
            kana_name,
            "ユコ",
        );
        all_equal(&["オオノ", "オーノ", "オノ"], kana_name, "オノ");
        all_equal(&["ケイコ", "ケーコ"], kana_name, "ケコ");
        all_equal(&["オオオ", "オーオ", "オーー"], kana_name, "オ");
        // ア after an a-row kana and イ after an i-row kana are separate morae here.
        assert_eq!(kana_name("イイダ"), "イイダ");
        assert_eq!(kana_name("サアヤ"), "サアヤ");
        // ウ after an a-, i- or e-row kana is its own mora.
        assert_eq!(kana_name("カウ"), "カウ");
    }

    #[test]
    fn kana_name_is_idempotent() {
        for name in [
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            "セイイチ",
            "オオオウ",
            "キョウコ",
            "サトウ　ウメ",
            "ジョン・スミス",
        ] {
            let once = kana_name(name);
            assert_eq!(kana_name(&once), once, "{name:?}");
        }
    }

    #[test]
    fn kanji_variants_fold_to_the_common_form() {
        all_equal(
            &["渡邊 花子", "渡辺花子", "渡邉　花子", "渡邉\u{E0100}花子"],
            kanji_name,
            "渡辺花子",
        );
        all_equal(&["齋藤", "齊藤", "斉藤", "斎藤"], kanji_name, "斎藤");
        all_equal(&["髙橋", "高橋"], kanji_name, "高橋");
        all_equal(&["山﨑", "山嵜", "山崎"], kanji_name, "山崎");
        assert_eq!(kanji_name("澤嶋櫻廣濱關冨邨"), "沢島桜広浜関富村");
        assert_eq!(kanji_name("\u{FA19}田"), "神田");
    }

    #[test]
    fn insured_numbers_lose_padding_and_separators() {
        all_equal(
            &["00000674", "674", "６７４", " 0-674 ", "０００ー６７４"],
            insured_number,
            "674",
        );
        all_equal(&["0000", "0", "０"], insured_number, "0");
        assert_eq!(insured_number(""), "");
        assert_eq!(insured_number("1020"), "1020");
    }

    #[test]
    fn insured_symbols_keep_leading_zeros_and_kanji() {
        assert_eq!(insured_symbol("００１２－３４"), "001234");
        assert_eq!(insured_symbol("愛知 12"), "愛知12");
        assert_ne!(insured_symbol("0012"), insured_symbol("12"));
    }

    #[test]
    fn insurer_numbers_are_trimmed_only() {
        assert_eq!(insurer_number("  138016"), "138016");
        assert_eq!(insurer_number("０６１３９９９９"), "06139999");
    }

    #[test]
    fn branch_numbers_have_two_digits() {
        all_equal(&["1", "01", "０１", " 01 "], branch_number, "01");
        assert_eq!(branch_number("12"), "12");
        assert_eq!(branch_number(""), "");
    }

    #[test]
    fn era_and_gregorian_birth_dates_agree() {
        let expected = NaiveDate::from_ymd_opt(1971, 6, 29);
        assert_eq!(birth_date("3460629").ok(), expected);
        assert_eq!(birth_date("19710629").ok(), expected);
        assert_eq!(birth_date("３４６０６２９").ok(), expected);
        // 令和元年 = 2019, starting 1 May.
        assert_eq!(birth_date("5010501").ok(), NaiveDate::from_ymd_opt(2019, 5, 1));
    }

    #[test]
    fn bad_birth_dates_are_rejected_without_echoing_them() {
        assert_eq!(birth_date("197106"), Err(NormalizeError::BirthDateLength { length: 6 }));
        for bad in ["19710230", "9460629", "3640629", "1971O629"] {
            let error = birth_date(bad).expect_err(bad);
            assert!(!error.to_string().contains(bad), "{error}");
        }
        // 平成 began on 8 January 1989: 7 January of 平成元年 does not exist.
        assert!(birth_date("4010107").is_err());
    }

    #[test]
    fn sex_codes() {
        assert_eq!(sex("1"), Ok(1));
        assert_eq!(sex("２"), Ok(2));
        for bad in ["0", "3", "9", "M", ""] {
            assert_eq!(sex(bad), Err(NormalizeError::Sex));
        }
    }
}
