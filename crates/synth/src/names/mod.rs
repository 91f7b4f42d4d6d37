//! Japanese person names and the ways facility systems misspell them.
//!
//! Claims databases hold the same person under several spellings: a registry clerk picks
//! 渡邊 instead of 渡辺, an old receipt computer stores キヨウコ because it has no small kana,
//! another writes half-width ﾔﾏﾀﾞ or ユーコ with a long-vowel mark. Linking by a hash of
//! (name, birth date, sex) breaks on exactly these differences, so the generator reproduces
//! them. Every string here is encodable in Shift_JIS (JIS X 0208), because the native files
//! are written in it: 凜 rather than 凛, and no 髙, 﨑 or 𠮷.
//!
//! This module is the table of names; `spelling` renders them as facilities write them.

mod spelling;

pub use spelling::*;

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
mod tests;
