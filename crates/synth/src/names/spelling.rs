//! The ways facility systems write a name: full or half width, with or without a space,
//! without small kana, or with long-vowel marks.

/// How a facility's system wrote the katakana name.
///
/// Each style is a real-world habit: the same person appears as ヤマダ　タロウ in one
/// hospital, ﾔﾏﾀﾞﾀﾛｳ in another and ヤマダ　タロー in a third.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KanaStyle {
    /// "ヤマダ　タロウ": full-width with an ideographic space (U+3000); the reference form.
    FullWidthSpaced,
    /// "ヤマダタロウ": systems with a single name field and no separator.
    FullWidthJoined,
    /// "ﾔﾏﾀﾞ ﾀﾛｳ": single-byte terminals; dakuten and handakuten become separate marks.
    HalfWidthSpaced,
    /// "ﾔﾏﾀﾞﾀﾛｳ": single-byte terminals with a single name field.
    HalfWidthJoined,
    /// "キヨウコ" for キョウコ: old receipt computers could not store small kana.
    LargeSmallKana,
    /// "ユーコ" for ユウコ: clerks who type the name as pronounced, lengthening with ー.
    LongVowelMark,
}

impl KanaStyle {
    /// Every style, for sampling and for exhaustive tests.
    pub const ALL: [KanaStyle; 6] = [
        KanaStyle::FullWidthSpaced,
        KanaStyle::FullWidthJoined,
        KanaStyle::HalfWidthSpaced,
        KanaStyle::HalfWidthJoined,
        KanaStyle::LargeSmallKana,
        KanaStyle::LongVowelMark,
    ];
}

/// Renders a katakana full name in the given style, as one facility's system would store it.
pub fn render_kana(family_kana: &str, given_kana: &str, style: KanaStyle) -> String {
    const FULL_WIDTH_SPACE: char = '\u{3000}';
    match style {
        KanaStyle::FullWidthSpaced => format!("{family_kana}{FULL_WIDTH_SPACE}{given_kana}"),
        KanaStyle::FullWidthJoined => format!("{family_kana}{given_kana}"),
        KanaStyle::HalfWidthSpaced => format!(
            "{} {}",
            to_half_width_katakana(family_kana),
            to_half_width_katakana(given_kana)
        ),
        KanaStyle::HalfWidthJoined => format!(
            "{}{}",
            to_half_width_katakana(family_kana),
            to_half_width_katakana(given_kana)
        ),
        KanaStyle::LargeSmallKana => format!(
            "{}{FULL_WIDTH_SPACE}{}",
            enlarge_small_kana(family_kana),
            enlarge_small_kana(given_kana)
        ),
        // Family and given names are marked separately: a vowel starting the given name
        // never lengthens the last mora of the family name.
        KanaStyle::LongVowelMark => format!(
            "{}{FULL_WIDTH_SPACE}{}",
            mark_long_vowels(family_kana),
            mark_long_vowels(given_kana)
        ),
    }
}

/// Half-width forms of U+30A1 (ァ) ..= U+30FA (ヺ), in code point order. Half-width
/// katakana has no voiced letters, so those take a separate ﾞ or ﾟ; it has no ヮヵヶヰヱ
/// either, so those take the nearest large form.
#[rustfmt::skip]
const HALF_WIDTH_KATAKANA: [&str; 90] = [
    "ｧ", "ｱ", "ｨ", "ｲ", "ｩ", "ｳ", "ｪ", "ｴ", "ｫ", "ｵ", // ァアィイゥウェエォオ
    "ｶ", "ｶﾞ", "ｷ", "ｷﾞ", "ｸ", "ｸﾞ", "ｹ", "ｹﾞ", "ｺ", "ｺﾞ", // カガキギクグケゲコゴ
    "ｻ", "ｻﾞ", "ｼ", "ｼﾞ", "ｽ", "ｽﾞ", "ｾ", "ｾﾞ", "ｿ", "ｿﾞ", // サザシジスズセゼソゾ
    "ﾀ", "ﾀﾞ", "ﾁ", "ﾁﾞ", "ｯ", "ﾂ", "ﾂﾞ", "ﾃ", "ﾃﾞ", "ﾄ", "ﾄﾞ", // タダチヂッツヅテデトド
    "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", // ナニヌネノ
    "ﾊ", "ﾊﾞ", "ﾊﾟ", "ﾋ", "ﾋﾞ", "ﾋﾟ", "ﾌ", "ﾌﾞ", "ﾌﾟ", // ハバパヒビピフブプ
    "ﾍ", "ﾍﾞ", "ﾍﾟ", "ﾎ", "ﾎﾞ", "ﾎﾟ", // ヘベペホボポ
    "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", // マミムメモ
    "ｬ", "ﾔ", "ｭ", "ﾕ", "ｮ", "ﾖ", // ャヤュユョヨ
    "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", // ラリルレロ
    "ﾜ", "ﾜ", "ｲ", "ｴ", "ｦ", "ﾝ", "ｳﾞ", "ｶ", "ｹ", "ﾜﾞ", "ｲﾞ", "ｴﾞ", "ｦﾞ", // ヮワヰヱヲンヴヵヶヷヸヹヺ
];

/// Converts full-width katakana (and ー, the full-width space and Japanese punctuation) to
/// half-width, as single-byte terminals stored names; other characters are unchanged.
pub fn to_half_width_katakana(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'ァ'..='ヺ' => {
                let index = c as usize - 'ァ' as usize;
                match HALF_WIDTH_KATAKANA.get(index) {
                    Some(half) => out.push_str(half),
                    None => out.push(c),
                }
            }
            _ => out.push(match c {
                '\u{3000}' => ' ',
                'ー' => 'ｰ',
                '・' => '･',
                '「' => '｢',
                '」' => '｣',
                '、' => '､',
                '。' => '｡',
                '゛' => 'ﾞ',
                '゜' => 'ﾟ',
                other => other,
            }),
        }
    }
    out
}

/// Replaces small kana by their large forms (キョウコ → キヨウコ), because old receipt
/// computers could not store small kana. Half-width small kana are enlarged too.
pub fn enlarge_small_kana(s: &str) -> String {
    s.chars().map(renkei_formats::kana::large_kana).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Vowel {
    A,
    I,
    U,
    E,
    O,
}

/// The vowel a full-width katakana ends its mora with. For ショ it is the small ョ that
/// decides, so callers look at the character just before the candidate long vowel. ッ, ン,
/// ー and ヶ (read ka, ga or ko) have none.
fn vowel_of(c: char) -> Option<Vowel> {
    Some(match c {
        'ア' | 'ァ' | 'カ' | 'ガ' | 'サ' | 'ザ' | 'タ' | 'ダ' | 'ナ' | 'ハ' | 'バ' | 'パ' | 'マ' | 'ヤ' | 'ャ'
        | 'ラ' | 'ワ' | 'ヮ' | 'ヵ' | 'ヷ' => Vowel::A,
        'イ' | 'ィ' | 'キ' | 'ギ' | 'シ' | 'ジ' | 'チ' | 'ヂ' | 'ニ' | 'ヒ' | 'ビ' | 'ピ' | 'ミ' | 'リ' | 'ヰ'
        | 'ヸ' => Vowel::I,
        'ウ' | 'ゥ' | 'ク' | 'グ' | 'ス' | 'ズ' | 'ツ' | 'ヅ' | 'ヌ' | 'フ' | 'ブ' | 'プ' | 'ム' | 'ユ' | 'ュ'
        | 'ル' | 'ヴ' => Vowel::U,
        'エ' | 'ェ' | 'ケ' | 'ゲ' | 'セ' | 'ゼ' | 'テ' | 'デ' | 'ネ' | 'ヘ' | 'ベ' | 'ペ' | 'メ' | 'レ' | 'ヱ'
        | 'ヹ' => Vowel::E,
        'オ' | 'ォ' | 'コ' | 'ゴ' | 'ソ' | 'ゾ' | 'ト' | 'ド' | 'ノ' | 'ホ' | 'ボ' | 'ポ' | 'モ' | 'ヨ' | 'ョ'
        | 'ロ' | 'ヲ' | 'ヺ' => Vowel::O,
        _ => return None,
    })
}

/// Replaces vowels that lengthen the previous mora by ー (ユウコ → ユーコ, オオノ → オーノ,
/// ケイコ → ケーコ), because some clerks type names as they are pronounced: ウ after an o- or
/// u-row kana, オ after an o-row kana and イ after an e-row kana. A mark itself lengthens
/// nothing further, so オオオ becomes オーオ.
pub fn mark_long_vowels(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous: Option<Vowel> = None;
    for c in s.chars() {
        let lengthens = matches!(
            (previous, c),
            (Some(Vowel::O | Vowel::U), 'ウ') | (Some(Vowel::O), 'オ') | (Some(Vowel::E), 'イ')
        );
        if lengthens {
            out.push('ー');
            previous = None;
        } else {
            out.push(c);
            previous = vowel_of(c);
        }
    }
    out
}

/// A kanji full name: family + (full-width space U+3000 if spaced) + given, the two ways
/// facility systems store the kanji name field.
pub fn render_kanji(family_kanji: &str, given_kanji: &str, spaced: bool) -> String {
    if spaced {
        format!("{family_kanji}\u{3000}{given_kanji}")
    } else {
        format!("{family_kanji}{given_kanji}")
    }
}
