//! The drug master: レセプト電算 codes starting with 6, with their 薬価 and daily amounts,
//! and the rule that turns a price into points.

/// A drug master row. Prices are 薬価 in yen per unit.
#[derive(Debug)]
pub struct Drug {
    pub code: &'static str,
    pub name_ja: &'static str,
    pub price_yen: f64,
    /// Units per day (or per administration for injections).
    pub daily_amount: f64,
    /// `21` oral, `23` topical, `33` injection.
    pub care_class: &'static str,
}

table! {
    DRUGS: [Drug] by DrugId {
        Amlodipine => Drug { code: "621735001", name_ja: "アムロジピン錠５ｍｇ", price_yen: 10.1, daily_amount: 1.0, care_class: "21" },
        Metformin => Drug { code: "621923401", name_ja: "メトホルミン塩酸塩錠２５０ｍｇ", price_yen: 10.1, daily_amount: 3.0, care_class: "21" },
        Rosuvastatin => Drug { code: "622104101", name_ja: "ロスバスタチン錠２．５ｍｇ", price_yen: 15.4, daily_amount: 1.0, care_class: "21" },
        Aspirin => Drug { code: "620008301", name_ja: "アスピリン腸溶錠１００ｍｇ", price_yen: 5.7, daily_amount: 1.0, care_class: "21" },
        Apixaban => Drug { code: "622223001", name_ja: "アピキサバン錠５ｍｇ", price_yen: 129.4, daily_amount: 2.0, care_class: "21" },
        Furosemide => Drug { code: "620001501", name_ja: "フロセミド錠２０ｍｇ", price_yen: 9.8, daily_amount: 1.0, care_class: "21" },
        Donepezil => Drug { code: "622015701", name_ja: "ドネペジル塩酸塩錠５ｍｇ", price_yen: 38.3, daily_amount: 1.0, care_class: "21" },
        Alendronate => Drug { code: "621655201", name_ja: "アレンドロン酸錠３５ｍｇ", price_yen: 120.1, daily_amount: 0.143, care_class: "21" },
        Tiotropium => Drug { code: "620009401", name_ja: "チオトロピウム吸入用カプセル", price_yen: 143.7, daily_amount: 1.0, care_class: "23" },
        InhaledSteroid => Drug { code: "622249301", name_ja: "ブデソニド吸入剤", price_yen: 88.0, daily_amount: 1.0, care_class: "23" },
        Escitalopram => Drug { code: "622108601", name_ja: "エスシタロプラム錠１０ｍｇ", price_yen: 110.2, daily_amount: 1.0, care_class: "21" },
        Lansoprazole => Drug { code: "620003101", name_ja: "ランソプラゾールＯＤ錠１５ｍｇ", price_yen: 24.2, daily_amount: 1.0, care_class: "21" },
        Acetaminophen => Drug { code: "620002201", name_ja: "アセトアミノフェン錠２００ｍｇ", price_yen: 5.9, daily_amount: 3.0, care_class: "21" },
        Lactobacillus => Drug { code: "620004901", name_ja: "ビフィズス菌製剤錠", price_yen: 5.9, daily_amount: 3.0, care_class: "21" },
        Carbocisteine => Drug { code: "620005301", name_ja: "カルボシステイン錠５００ｍｇ", price_yen: 6.3, daily_amount: 3.0, care_class: "21" },
        Oseltamivir => Drug { code: "620006401", name_ja: "オセルタミビルカプセル７５ｍｇ", price_yen: 205.8, daily_amount: 2.0, care_class: "21" },
        Loxoprofen => Drug { code: "620007701", name_ja: "ロキソプロフェンナトリウム錠６０ｍｇ", price_yen: 9.8, daily_amount: 3.0, care_class: "21" },
        SteroidOintment => Drug { code: "620008901", name_ja: "ベタメタゾン吉草酸エステル軟膏０．１２％", price_yen: 16.6, daily_amount: 1.0, care_class: "23" },
        EyeDrops => Drug { code: "620009901", name_ja: "オロパタジン点眼液０．１％", price_yen: 58.6, daily_amount: 1.0, care_class: "23" },
        Levofloxacin => Drug { code: "620010101", name_ja: "レボフロキサシン錠５００ｍｇ", price_yen: 104.1, daily_amount: 1.0, care_class: "21" },
        LoxoprofenTape => Drug { code: "620011201", name_ja: "ロキソプロフェンナトリウムテープ１００ｍｇ", price_yen: 16.5, daily_amount: 1.0, care_class: "23" },
        Zolpidem => Drug { code: "620012301", name_ja: "ゾルピデム酒石酸塩錠５ｍｇ", price_yen: 11.3, daily_amount: 1.0, care_class: "21" },
        MagnesiumOxide => Drug { code: "620013401", name_ja: "酸化マグネシウム錠３３０ｍｇ", price_yen: 5.7, daily_amount: 3.0, care_class: "21" },
        Celecoxib => Drug { code: "620014501", name_ja: "セレコキシブ錠１００ｍｇ", price_yen: 24.1, daily_amount: 2.0, care_class: "21" },
        Ceftriaxone => Drug { code: "640406001", name_ja: "セフトリアキソンナトリウム静注用１ｇ", price_yen: 342.0, daily_amount: 2.0, care_class: "33" },
        Cefazolin => Drug { code: "640407101", name_ja: "セファゾリンナトリウム注射用１ｇ", price_yen: 229.0, daily_amount: 2.0, care_class: "33" },
        Edaravone => Drug { code: "640408201", name_ja: "エダラボン点滴静注３０ｍｇ", price_yen: 1420.0, daily_amount: 2.0, care_class: "33" },
        FurosemideInjection => Drug { code: "640409301", name_ja: "フロセミド注２０ｍｇ", price_yen: 62.0, daily_amount: 2.0, care_class: "33" },
        Heparin => Drug { code: "640410401", name_ja: "ヘパリンナトリウム注５千単位", price_yen: 183.0, daily_amount: 2.0, care_class: "33" },
        Saline => Drug { code: "640411501", name_ja: "生理食塩液５００ｍＬ", price_yen: 193.0, daily_amount: 2.0, care_class: "33" },
        ChemoRegimen => Drug { code: "640412601", name_ja: "オキサリプラチン点滴静注液１００ｍｇ", price_yen: 29580.0, daily_amount: 1.0, care_class: "33" },
        Nivolumab => Drug { code: "640413701", name_ja: "ニボルマブ点滴静注１００ｍｇ", price_yen: 131811.0, daily_amount: 2.4, care_class: "33" },
        CarT => Drug { code: "640414801", name_ja: "チサゲンレクルユーセル", price_yen: 32647761.0, daily_amount: 1.0, care_class: "33" },
    }
}

/// Drug points per administration: 薬価 × amount in tens of yen, 15 yen or less counting
/// as 1 point and the rest rounded with 五捨五超入 (0.5 rounds down).
pub fn drug_points(price_yen: f64, amount: f64) -> u32 {
    let yen = price_yen * amount;
    if yen <= 15.0 {
        return 1;
    }
    let tens = yen / 10.0;
    let whole = tens.floor();
    (if tens - whole > 0.5 { whole + 1.0 } else { whole }) as u32
}
