//! The name tables and their renderings: sizes, uniqueness, Shift_JIS, and each spelling habit.

use super::*;
use std::collections::HashSet;

/// Encodable by encoding_rs and, stricter, only into JIS X 0208 rows: encoding_rs
/// implements Windows-31J, which also accepts NEC and IBM extensions (①, 髙, 﨑) that
/// older facility systems cannot store.
fn encodes_in_shift_jis(s: &str) -> bool {
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(s);
    if had_errors {
        return false;
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            0x00..=0x7F | 0xA1..=0xDF => i += 1,
            0x81..=0x84 | 0x88..=0x9F | 0xE0..=0xEA => i += 2,
            _ => return false,
        }
    }
    true
}

#[test]
fn shift_jis_check_rejects_extensions() {
    for ok in ["凜", "渡邉", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロー"] {
        assert!(encodes_in_shift_jis(ok), "{ok}");
    }
    for bad in ["髙", "﨑", "𠮷", "①"] {
        assert!(!encodes_in_shift_jis(bad), "{bad}");
    }
}

#[test]
fn compound_given_names_are_many_distinct_and_encodable() {
    for sex in [1, 2] {
        let names = given_names(sex);
        assert!(names.len() > 300, "{}", names.len());
        let kanji: HashSet<&str> = names.iter().map(|g| g.kanji).collect();
        assert_eq!(kanji.len(), names.len(), "a given name listed twice");
        for g in names {
            assert!(
                encodes_in_shift_jis(g.kanji) && encodes_in_shift_jis(g.kana),
                "{}",
                g.kanji
            );
            assert!(
                g.kana.chars().all(|c| ('ァ'..='ヺ').contains(&c) || c == 'ー'),
                "{}",
                g.kana
            );
        }
    }
}

fn every_name_string() -> Vec<&'static str> {
    let mut all = Vec::new();
    for f in FAMILY_NAMES {
        all.push(f.kanji);
        all.push(f.kana);
        all.extend_from_slice(f.kanji_variants);
    }
    for g in MALE_GIVEN.iter().chain(FEMALE_GIVEN) {
        all.push(g.kanji);
        all.push(g.kana);
    }
    all
}

#[test]
fn table_sizes() {
    assert!((110..=140).contains(&FAMILY_NAMES.len()), "{}", FAMILY_NAMES.len());
    assert!((35..=50).contains(&MALE_GIVEN.len()), "{}", MALE_GIVEN.len());
    assert!((35..=50).contains(&FEMALE_GIVEN.len()), "{}", FEMALE_GIVEN.len());
}

#[test]
fn every_name_encodes_in_shift_jis() {
    let bad: Vec<&str> = every_name_string()
        .into_iter()
        .filter(|s| s.is_empty() || !encodes_in_shift_jis(s))
        .collect();
    assert!(bad.is_empty(), "not encodable in Shift_JIS: {bad:?}");
}

#[test]
fn every_rendering_encodes_in_shift_jis() {
    let samples = [
        (&FAMILY_NAMES[0], &MALE_GIVEN[0]),
        (&FAMILY_NAMES[5], &FEMALE_GIVEN[15]),
        (&FAMILY_NAMES[18], &MALE_GIVEN[31]),
    ];
    for (f, g) in samples {
        for style in KanaStyle::ALL {
            let s = render_kana(f.kana, g.kana, style);
            assert!(encodes_in_shift_jis(&s), "{style:?}: {s}");
        }
        for spaced in [false, true] {
            let s = render_kanji(f.kanji, g.kanji, spaced);
            assert!(encodes_in_shift_jis(&s), "{s}");
            for v in f.kanji_variants {
                let s = render_kanji(v, g.kanji, spaced);
                assert!(encodes_in_shift_jis(&s), "{s}");
            }
        }
    }
    // Every name in every style, which also exercises every conversion on real input.
    for f in FAMILY_NAMES {
        for g in MALE_GIVEN.iter().chain(FEMALE_GIVEN) {
            for style in KanaStyle::ALL {
                let s = render_kana(f.kana, g.kana, style);
                assert!(encodes_in_shift_jis(&s), "{style:?}: {s}");
            }
        }
    }
}

#[test]
fn kana_fields_are_full_width_katakana() {
    let kana = FAMILY_NAMES
        .iter()
        .map(|f| f.kana)
        .chain(MALE_GIVEN.iter().chain(FEMALE_GIVEN).map(|g| g.kana));
    for k in kana {
        assert!(!k.is_empty());
        assert!(
            k.chars().all(|c| matches!(c, 'ァ'..='ヺ' | 'ー')),
            "not full-width katakana: {k}"
        );
    }
}

#[test]
fn small_kana_names_exist() {
    let has_small = |k: &str| k.chars().any(|c| enlarge_small_kana(&c.to_string()) != c.to_string());
    assert!(MALE_GIVEN.iter().filter(|g| has_small(g.kana)).count() >= 4);
    assert!(FEMALE_GIVEN.iter().filter(|g| has_small(g.kana)).count() >= 4);
    assert!(FAMILY_NAMES.iter().any(|f| has_small(f.kana)));
}

#[test]
fn no_duplicate_or_ambiguous_family_names() {
    let mut primaries = HashSet::new();
    for f in FAMILY_NAMES {
        assert!(primaries.insert(f.kanji), "listed twice: {}", f.kanji);
    }
    let mut variants = HashSet::new();
    for f in FAMILY_NAMES {
        for v in f.kanji_variants {
            assert_ne!(*v, f.kanji);
            assert!(
                !primaries.contains(v),
                "{v} is both a name and a variant of {}",
                f.kanji
            );
            assert!(variants.insert(*v), "variant listed twice: {v}");
        }
    }
}

#[test]
fn no_duplicate_given_names() {
    for list in [MALE_GIVEN, FEMALE_GIVEN] {
        let mut seen = HashSet::new();
        for g in list {
            assert!(seen.insert(g.kanji), "listed twice: {}", g.kanji);
        }
    }
}

#[test]
fn render_kana_styles() {
    let expected = [
        (KanaStyle::FullWidthSpaced, "ヤマダ　タロウ"),
        (KanaStyle::FullWidthJoined, "ヤマダタロウ"),
        (KanaStyle::HalfWidthSpaced, "ﾔﾏﾀﾞ ﾀﾛｳ"),
        (KanaStyle::HalfWidthJoined, "ﾔﾏﾀﾞﾀﾛｳ"),
        (KanaStyle::LargeSmallKana, "ヤマダ　タロウ"),
        (KanaStyle::LongVowelMark, "ヤマダ　タロー"),
    ];
    assert_eq!(expected.map(|(s, _)| s), KanaStyle::ALL);
    for (style, want) in expected {
        assert_eq!(render_kana("ヤマダ", "タロウ", style), want, "{style:?}");
    }
    assert_eq!(
        render_kana("サイトウ", "キョウコ", KanaStyle::LargeSmallKana),
        "サイトウ　キヨウコ"
    );
    assert_eq!(
        render_kana("サイトウ", "キョウコ", KanaStyle::LongVowelMark),
        "サイトー　キョーコ"
    );
    assert_eq!(
        render_kana("ハットリ", "ジュンコ", KanaStyle::HalfWidthJoined),
        "ﾊｯﾄﾘｼﾞｭﾝｺ"
    );
    // A vowel starting the given name does not lengthen the family name.
    assert_eq!(render_kana("サトウ", "ウメ", KanaStyle::LongVowelMark), "サトー　ウメ");
    assert_eq!(
        render_kana("カトウ", "イサム", KanaStyle::LongVowelMark),
        "カトー　イサム"
    );
}

#[test]
fn render_kanji_spacing() {
    assert_eq!(render_kanji("山田", "太郎", true), "山田　太郎");
    assert_eq!(render_kanji("山田", "太郎", false), "山田太郎");
}

#[test]
fn half_width_conversion() {
    assert_eq!(to_half_width_katakana("ガッコウ パン ヴ"), "ｶﾞｯｺｳ ﾊﾟﾝ ｳﾞ");
    assert_eq!(to_half_width_katakana("ヤマダ　タロー"), "ﾔﾏﾀﾞ ﾀﾛｰ");
    assert_eq!(
        to_half_width_katakana("アイウエオカキクケコサシスセソタチツテトナニヌネノ"),
        "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉ"
    );
    assert_eq!(
        to_half_width_katakana("ハヒフヘホマミムメモヤユヨラリルレロワヲン"),
        "ﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ"
    );
    assert_eq!(
        to_half_width_katakana("ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ"),
        "ｶﾞｷﾞｸﾞｹﾞｺﾞｻﾞｼﾞｽﾞｾﾞｿﾞﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟｳﾞ"
    );
    assert_eq!(to_half_width_katakana("ァィゥェォャュョッ"), "ｧｨｩｪｫｬｭｮｯ");
    assert_eq!(to_half_width_katakana("ヮヵヶヰヱ"), "ﾜｶｹｲｴ");
    // Non-katakana passes through.
    assert_eq!(to_half_width_katakana("山田 A1ｱ"), "山田 A1ｱ");
}

#[test]
fn half_width_table_covers_every_katakana() {
    for c in 'ァ'..='ヺ' {
        let half = to_half_width_katakana(&c.to_string());
        assert!(
            half.chars().all(|h| ('\u{FF65}'..='\u{FF9F}').contains(&h)),
            "{c} → {half}"
        );
        assert!(encodes_in_shift_jis(&half), "{c} → {half}");
    }
}

#[test]
fn small_kana_enlargement() {
    assert_eq!(enlarge_small_kana("キョウコ"), "キヨウコ");
    assert_eq!(enlarge_small_kana("ハットリ"), "ハツトリ");
    assert_eq!(enlarge_small_kana("ァィゥェォッャュョヮ"), "アイウエオツヤユヨワ");
    assert_eq!(enlarge_small_kana("ｷｮｳｺ"), "ｷﾖｳｺ");
    assert_eq!(enlarge_small_kana("ヤマダ"), "ヤマダ");
}

#[test]
fn long_vowel_marks() {
    assert_eq!(mark_long_vowels("ユウコ"), "ユーコ");
    assert_eq!(mark_long_vowels("オオノ"), "オーノ");
    assert_eq!(mark_long_vowels("ショウタ"), "ショータ");
    assert_eq!(mark_long_vowels("ケイコ"), "ケーコ");
    assert_eq!(mark_long_vowels("サトウ"), "サトー");
    assert_eq!(mark_long_vowels("キョウヘイ"), "キョーヘー");
    assert_eq!(mark_long_vowels("オオオ"), "オーオ");
    // Not lengthening: イ after a- or i-rows, オ after u, ウ after a, across ン and ッ.
    assert_eq!(mark_long_vowels("サイトウ"), "サイトー");
    assert_eq!(mark_long_vowels("マツオ"), "マツオ");
    assert_eq!(mark_long_vowels("イイダ"), "イイダ");
    assert_eq!(mark_long_vowels("アウ"), "アウ");
    assert_eq!(mark_long_vowels("ケンイチ"), "ケンイチ");
    assert_eq!(mark_long_vowels("タロー"), "タロー");
}
