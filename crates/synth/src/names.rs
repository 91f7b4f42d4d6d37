//! Japanese person names and the ways facility systems misspell them.
//!
//! Claims databases hold the same person under several spellings: a registry clerk picks
//! 渡邊 instead of 渡辺, an old receipt computer stores キヨウコ because it has no small kana,
//! another writes half-width ﾔﾏﾀﾞ or ユーコ with a long-vowel mark. Linking by a hash of
//! (name, birth date, sex) breaks on exactly these differences, so the generator reproduces
//! them. Every string here is encodable in Shift_JIS (JIS X 0208), because the native files
//! are written in it: 凜 rather than 凛, and no 髙, 﨑 or 𠮷.

/// A family name, with the variant kanji that registries mix up for it.
pub struct FamilyName {
    pub kanji: &'static str,
    /// Full-width katakana reading.
    pub kana: &'static str,
    /// Traditional or variant spellings of the same name (渡辺 → 渡邊, 渡邉); a person
    /// registered under one is often billed under another.
    pub kanji_variants: &'static [&'static str],
}

/// A given name; for some older women the registered name itself is katakana (キヨ).
pub struct GivenName {
    pub kanji: &'static str,
    /// Full-width katakana reading.
    pub kana: &'static str,
}

const fn family(kanji: &'static str, kana: &'static str) -> FamilyName {
    FamilyName {
        kanji,
        kana,
        kanji_variants: &[],
    }
}

const fn family_v(kanji: &'static str, kana: &'static str, kanji_variants: &'static [&'static str]) -> FamilyName {
    FamilyName {
        kanji,
        kana,
        kanji_variants,
    }
}

const fn given(kanji: &'static str, kana: &'static str) -> GivenName {
    GivenName { kanji, kana }
}

/// Common family names, roughly in order of frequency, so that sampling with a decaying
/// weight over the index gives a realistic mix of very common and rarer names.
pub static FAMILY_NAMES: &[FamilyName] = &[
    family("佐藤", "サトウ"),
    family("鈴木", "スズキ"),
    family("高橋", "タカハシ"),
    family("田中", "タナカ"),
    family("伊藤", "イトウ"),
    family_v("渡辺", "ワタナベ", &["渡邊", "渡邉"]),
    family("山本", "ヤマモト"),
    family("中村", "ナカムラ"),
    family("小林", "コバヤシ"),
    family("加藤", "カトウ"),
    family("吉田", "ヨシダ"),
    family("山田", "ヤマダ"),
    family("佐々木", "ササキ"),
    family("山口", "ヤマグチ"),
    family("松本", "マツモト"),
    family("井上", "イノウエ"),
    family("木村", "キムラ"),
    family("林", "ハヤシ"),
    family_v("斎藤", "サイトウ", &["齋藤", "斉藤", "齊藤"]),
    family("清水", "シミズ"),
    family_v("山崎", "ヤマザキ", &["山嵜"]),
    family("森", "モリ"),
    family("池田", "イケダ"),
    family("橋本", "ハシモト"),
    family("阿部", "アベ"),
    family("石川", "イシカワ"),
    family("山下", "ヤマシタ"),
    family_v("中島", "ナカジマ", &["中嶋"]),
    family("石井", "イシイ"),
    family("小川", "オガワ"),
    family("前田", "マエダ"),
    family("岡田", "オカダ"),
    family("長谷川", "ハセガワ"),
    family("藤田", "フジタ"),
    family("後藤", "ゴトウ"),
    family("近藤", "コンドウ"),
    family("村上", "ムラカミ"),
    family("遠藤", "エンドウ"),
    family("青木", "アオキ"),
    family("坂本", "サカモト"),
    family("福田", "フクダ"),
    family("太田", "オオタ"),
    family("西村", "ニシムラ"),
    family("藤井", "フジイ"),
    family("金子", "カネコ"),
    family("岡本", "オカモト"),
    family("藤原", "フジワラ"),
    family("中野", "ナカノ"),
    family("三浦", "ミウラ"),
    family("原田", "ハラダ"),
    family("中川", "ナカガワ"),
    family("松田", "マツダ"),
    family("竹内", "タケウチ"),
    family("小野", "オノ"),
    family("田村", "タムラ"),
    family("中山", "ナカヤマ"),
    family("和田", "ワダ"),
    family("石田", "イシダ"),
    family("森田", "モリタ"),
    family("上田", "ウエダ"),
    family("原", "ハラ"),
    family("内田", "ウチダ"),
    family("柴田", "シバタ"),
    family("酒井", "サカイ"),
    family_v("宮崎", "ミヤザキ", &["宮嵜"]),
    family("横山", "ヨコヤマ"),
    family("高木", "タカギ"),
    family("安藤", "アンドウ"),
    family("宮本", "ミヤモト"),
    family("大野", "オオノ"),
    family_v("小島", "コジマ", &["小嶋"]),
    family("谷口", "タニグチ"),
    family("今井", "イマイ"),
    family("工藤", "クドウ"),
    family("高田", "タカダ"),
    family("増田", "マスダ"),
    family("丸山", "マルヤマ"),
    family("杉山", "スギヤマ"),
    family("村田", "ムラタ"),
    family("大塚", "オオツカ"),
    family("新井", "アライ"),
    family("小山", "コヤマ"),
    family("平野", "ヒラノ"),
    family("藤本", "フジモト"),
    family("河野", "コウノ"),
    family("上野", "ウエノ"),
    family("野口", "ノグチ"),
    family("武田", "タケダ"),
    family("松井", "マツイ"),
    family("千葉", "チバ"),
    family("岩崎", "イワサキ"),
    family("菅原", "スガワラ"),
    family("木下", "キノシタ"),
    family("久保", "クボ"),
    family("佐野", "サノ"),
    family("野村", "ノムラ"),
    family("松尾", "マツオ"),
    family("市川", "イチカワ"),
    family("菊地", "キクチ"),
    family("杉本", "スギモト"),
    family("古川", "フルカワ"),
    family("大西", "オオニシ"),
    family_v("島田", "シマダ", &["嶋田"]),
    family("水野", "ミズノ"),
    family_v("桜井", "サクライ", &["櫻井"]),
    family("高野", "タカノ"),
    family("渡部", "ワタナベ"),
    family("吉川", "ヨシカワ"),
    family("山内", "ヤマウチ"),
    family("西田", "ニシダ"),
    family("飯田", "イイダ"),
    family("菊池", "キクチ"),
    family("西川", "ニシカワ"),
    family("小松", "コマツ"),
    family("北村", "キタムラ"),
    family("安田", "ヤスダ"),
    family("五十嵐", "イガラシ"),
    family("川口", "カワグチ"),
    family("平田", "ヒラタ"),
    family_v("関", "セキ", &["關"]),
    family("中田", "ナカタ"),
    family("久保田", "クボタ"),
    family("服部", "ハットリ"),
    family("土屋", "ツチヤ"),
    family_v("沢田", "サワダ", &["澤田"]),
    family_v("広瀬", "ヒロセ", &["廣瀬"]),
    family_v("浜田", "ハマダ", &["濱田"]),
    family_v("田辺", "タナベ", &["田邊", "田邉"]),
    family_v("富田", "トミタ", &["冨田"]),
    family_v("小沢", "オザワ", &["小澤"]),
    family("庄司", "ショウジ"),
];

/// Male given names: older generations (茂, 清, 和夫), who dominate claims, and younger ones
/// (翔太, 蓮, 陽翔); several readings have small kana (ショウタ, リョウ) so that the
/// small-kana defect has something to act on.
pub static MALE_GIVEN: &[GivenName] = &[
    given("茂", "シゲル"),
    given("清", "キヨシ"),
    given("勇", "イサム"),
    given("和夫", "カズオ"),
    given("正", "タダシ"),
    given("実", "ミノル"),
    given("博", "ヒロシ"),
    given("進", "ススム"),
    given("修", "オサム"),
    given("勝", "マサル"),
    given("豊", "ユタカ"),
    given("功", "イサオ"),
    given("正雄", "マサオ"),
    given("幸雄", "ユキオ"),
    given("昭", "アキラ"),
    given("隆", "タカシ"),
    given("誠", "マコト"),
    given("武", "タケシ"),
    given("健一", "ケンイチ"),
    given("雄一", "ユウイチ"),
    given("純一", "ジュンイチ"),
    given("秀樹", "ヒデキ"),
    given("健二", "ケンジ"),
    given("哲也", "テツヤ"),
    given("直樹", "ナオキ"),
    given("大輔", "ダイスケ"),
    given("拓也", "タクヤ"),
    given("亮", "リョウ"),
    given("翔", "ショウ"),
    given("翔太", "ショウタ"),
    given("俊介", "シュンスケ"),
    given("恭平", "キョウヘイ"),
    given("龍之介", "リュウノスケ"),
    given("健太", "ケンタ"),
    given("大樹", "ダイキ"),
    given("優太", "ユウタ"),
    given("翼", "ツバサ"),
    given("蓮", "レン"),
    given("大翔", "ヒロト"),
    given("陽翔", "ハルト"),
    given("湊", "ミナト"),
    given("悠真", "ユウマ"),
    given("颯太", "ソウタ"),
    given("樹", "イツキ"),
    given("蒼", "アオイ"),
    given("陸", "リク"),
];

/// Female given names: older generations, some registered in katakana only (キヨ, ハル),
/// and younger ones (陽菜, 結衣, 凜); several readings have small kana (キョウコ, ジュンコ).
pub static FEMALE_GIVEN: &[GivenName] = &[
    given("キヨ", "キヨ"),
    given("ハル", "ハル"),
    given("トメ", "トメ"),
    given("千代", "チヨ"),
    given("幸子", "サチコ"),
    given("節子", "セツコ"),
    given("和子", "カズコ"),
    given("静子", "シズコ"),
    given("澄子", "スミコ"),
    given("芳子", "ヨシコ"),
    given("文子", "フミコ"),
    given("敏子", "トシコ"),
    given("美智子", "ミチコ"),
    given("恵子", "ケイコ"),
    given("洋子", "ヨウコ"),
    given("京子", "キョウコ"),
    given("順子", "ジュンコ"),
    given("良子", "リョウコ"),
    given("祥子", "ショウコ"),
    given("裕子", "ユウコ"),
    given("弘子", "ヒロコ"),
    given("典子", "ノリコ"),
    given("久美子", "クミコ"),
    given("由美子", "ユミコ"),
    given("直美", "ナオミ"),
    given("明美", "アケミ"),
    given("智子", "トモコ"),
    given("真由美", "マユミ"),
    given("千尋", "チヒロ"),
    given("恵美", "エミ"),
    given("愛", "アイ"),
    given("舞", "マイ"),
    given("彩", "アヤ"),
    given("美穂", "ミホ"),
    given("沙織", "サオリ"),
    given("美咲", "ミサキ"),
    given("陽菜", "ヒナ"),
    given("結衣", "ユイ"),
    given("葵", "アオイ"),
    given("凜", "リン"),
    given("結愛", "ユア"),
    given("芽依", "メイ"),
    given("莉子", "リコ"),
    given("紬", "ツムギ"),
    given("楓", "カエデ"),
    given("陽葵", "ヒマリ"),
];

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
    s.chars()
        .map(|c| match c {
            'ァ' => 'ア',
            'ィ' => 'イ',
            'ゥ' => 'ウ',
            'ェ' => 'エ',
            'ォ' => 'オ',
            'ッ' => 'ツ',
            'ャ' => 'ヤ',
            'ュ' => 'ユ',
            'ョ' => 'ヨ',
            'ヮ' => 'ワ',
            'ヵ' => 'カ',
            'ヶ' => 'ケ',
            'ｧ' => 'ｱ',
            'ｨ' => 'ｲ',
            'ｩ' => 'ｳ',
            'ｪ' => 'ｴ',
            'ｫ' => 'ｵ',
            'ｯ' => 'ﾂ',
            'ｬ' => 'ﾔ',
            'ｭ' => 'ﾕ',
            'ｮ' => 'ﾖ',
            other => other,
        })
        .collect()
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

/// First and second characters of compounded given names, with their readings. Japanese
/// given names are far more varied than surnames; the short lists above alone would make
/// thousands of namesakes born on the same day in a population of millions, which real
/// data does not have and which would overstate name-based false links.
const MALE_FIRST: [(&str, &str); 20] = [
    ("健", "ケン"),
    ("翔", "ショウ"),
    ("大", "ダイ"),
    ("悠", "ユウ"),
    ("拓", "タク"),
    ("浩", "コウ"),
    ("直", "ナオ"),
    ("和", "カズ"),
    ("信", "ノブ"),
    ("正", "マサ"),
    ("秀", "ヒデ"),
    ("博", "ヒロ"),
    ("隆", "タカ"),
    ("俊", "シュン"),
    ("康", "ヤス"),
    ("英", "エイ"),
    ("達", "タツ"),
    ("昌", "ショウ"),
    ("勇", "ユウ"),
    ("誠", "セイ"),
];
const MALE_SECOND: [(&str, &str); 15] = [
    ("太", "タ"),
    ("一", "イチ"),
    ("介", "スケ"),
    ("也", "ヤ"),
    ("斗", "ト"),
    ("人", "ト"),
    ("樹", "キ"),
    ("郎", "ロウ"),
    ("司", "ジ"),
    ("平", "ヘイ"),
    ("輔", "スケ"),
    ("彦", "ヒコ"),
    ("志", "シ"),
    ("治", "ジ"),
    ("夫", "オ"),
];
const FEMALE_FIRST: [(&str, &str); 20] = [
    ("美", "ミ"),
    ("由", "ユ"),
    ("真", "マ"),
    ("千", "チ"),
    ("智", "トモ"),
    ("優", "ユウ"),
    ("愛", "アイ"),
    ("明", "アキ"),
    ("佳", "カ"),
    ("奈", "ナ"),
    ("沙", "サ"),
    ("早", "サ"),
    ("理", "リ"),
    ("香", "カ"),
    ("結", "ユイ"),
    ("彩", "アヤ"),
    ("春", "ハル"),
    ("久", "ク"),
    ("喜", "キ"),
    ("友", "トモ"),
];
const FEMALE_SECOND: [(&str, &str); 15] = [
    ("子", "コ"),
    ("美", "ミ"),
    ("香", "カ"),
    ("恵", "エ"),
    ("奈", "ナ"),
    ("代", "ヨ"),
    ("江", "エ"),
    ("穂", "ホ"),
    ("菜", "ナ"),
    ("花", "カ"),
    ("乃", "ノ"),
    ("里", "リ"),
    ("紀", "キ"),
    ("絵", "エ"),
    ("希", "キ"),
];

/// Every given name for a sex (1 male, 2 female): the listed names followed by the
/// compounds of the tables above. Built once; the strings live for the whole run.
pub fn given_names(sex: u8) -> &'static [GivenName] {
    static MALE: std::sync::OnceLock<Vec<GivenName>> = std::sync::OnceLock::new();
    static FEMALE: std::sync::OnceLock<Vec<GivenName>> = std::sync::OnceLock::new();
    let (cell, listed, first, second) = if sex == 1 {
        (&MALE, MALE_GIVEN, &MALE_FIRST, &MALE_SECOND)
    } else {
        (&FEMALE, FEMALE_GIVEN, &FEMALE_FIRST, &FEMALE_SECOND)
    };
    cell.get_or_init(|| {
        let mut all: Vec<GivenName> = listed
            .iter()
            .map(|g| GivenName {
                kanji: g.kanji,
                kana: g.kana,
            })
            .collect();
        for (k1, r1) in first {
            for (k2, r2) in second {
                let kanji: &'static str = format!("{k1}{k2}").leak();
                if !all.iter().any(|g| g.kanji == kanji) {
                    all.push(GivenName {
                        kanji,
                        kana: format!("{r1}{r2}").leak(),
                    });
                }
            }
        }
        all
    })
}

#[cfg(test)]
mod tests {
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
}
