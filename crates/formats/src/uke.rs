//! NDB medical claim files in the レセプト電算処理 layout (記録条件仕様 医科用): one text
//! line per record, comma-separated, CRLF, Shift_JIS, no quoting. A file holds one
//! facility's claims for one billing month: IR, then per claim RE HO [KO] [SN] SY… SI/IY/CO…,
//! then the GO trailer.

use crate::layout::{Layout, ParseError, record_layout};

record_layout! {
    /// 医療機関情報レコード: the file header.
    ir, name: "UKE IR", title: "医療機関情報レコード", tag: Some((0, "IR")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`IR`";
        PAYER => "審査支払機関", "`1` 社会保険診療報酬支払基金 for employees' insurers, `2` 国保連合会 for 国保 and 後期高齢者医療";
        PREFECTURE => "都道府県", "facility's prefecture code, 2 digits";
        SCORE_TABLE => "点数表", "`1` 医科";
        FACILITY_CODE => "医療機関コード", "7 digits: 郡市区番号 2 + 施設番号 4 + check digit (modulus 10, weights 2-1)";
        RESERVED_1 => "予備", "";
        FACILITY_NAME => "医療機関名称", "full-width name";
        BILLING_MONTH => "請求年月", "`GYYMM`, the month after the service month";
        MULTI_VOLUME => "マルチボリューム識別情報", "`00` (single volume)";
        PHONE => "電話番号", "synthetic, `0X-XXXX-XXXX`";
    ]
}

record_layout! {
    /// レセプト共通レコード: one claim's header.
    re, name: "UKE RE", title: "レセプト共通レコード", tag: Some((0, "RE")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`RE`";
        RECEIPT_NO => "レセプト番号", "1, 2, 3… in file order";
        RECEIPT_KIND => "レセプト種別", "4 digits: `1` 医科, insurance (`1` 医保, `2` 公費単独, `3` 後期高齢者), number of payers, patient class × inpatient/outpatient (別表 レセプト種別コード)";
        SERVICE_MONTH => "診療年月", "`GYYMM`";
        NAME => "氏名", "kanji name, or kana (full- or half-width) where the facility registered kana only; space between family and given name varies by facility";
        SEX => "男女区分", "`1` male, `2` female";
        BIRTH_DATE => "生年月日", "`GYYMMDD`";
        BENEFIT_RATIO => "給付割合", "empty";
        ADMISSION_DATE => "入院年月日", "`GYYMMDD` for inpatient claims, else empty";
        WARD => "病棟区分", "empty";
        COPAY_CLASS => "一部負担金・食事療養費・生活療養費標準負担額区分", "empty";
        SPECIAL_NOTES => "レセプト特記事項", "`02` (長) for dialysis patients under 特定疾病療養, else empty";
        BEDS => "病床数", "hospital beds for inpatient claims, else empty";
        KARTE_NO => "カルテ番号等", "the facility's patient number (also the DPC データ識別番号 at DPC hospitals)";
        DISCOUNT_UNIT_PRICE => "割引点数単価", "empty";
        RESERVED_1 => "予備", "";
        RESERVED_2 => "予備", "";
        RESERVED_3 => "予備", "";
        SEARCH_NO => "検索番号", "empty";
        SPEC_VERSION => "記録条件仕様年月情報", "empty";
        CLAIM_INFO => "請求情報", "empty";
        DEPT1_NAME => "診療科1 診療科名", "empty";
        DEPT1_BODY_PART => "診療科1 人体の部位等", "";
        DEPT1_SEX => "診療科1 性別等", "";
        DEPT1_TREATMENT => "診療科1 医学的処置", "";
        DEPT1_DISEASE => "診療科1 特定疾病", "";
        DEPT2_NAME => "診療科2 診療科名", "";
        DEPT2_BODY_PART => "診療科2 人体の部位等", "";
        DEPT2_SEX => "診療科2 性別等", "";
        DEPT2_TREATMENT => "診療科2 医学的処置", "";
        DEPT2_DISEASE => "診療科2 特定疾病", "";
        DEPT3_NAME => "診療科3 診療科名", "";
        DEPT3_BODY_PART => "診療科3 人体の部位等", "";
        DEPT3_SEX => "診療科3 性別等", "";
        DEPT3_TREATMENT => "診療科3 医学的処置", "";
        DEPT3_DISEASE => "診療科3 特定疾病", "";
        KANA_NAME => "カタカナ（氏名）", "katakana name (full- or half-width, spacing varies), empty at some facilities";
        PATIENT_STATE => "患者の状態", "empty";
    ]
}

record_layout! {
    /// 保険者レコード: the medical insurer and the insured card.
    ho, name: "UKE HO", title: "保険者レコード", tag: Some((0, "HO")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`HO`";
        INSURER_NO => "保険者番号", "6 digits (国保: prefecture 2 + 3 + check) or 8 digits (法別番号 2 + prefecture 2 + 3 + check digit, modulus 10 weights 2-1)";
        CARD_SYMBOL => "被保険者証（手帳）等の記号", "card symbol as the facility typed it: digits, sometimes full-width, sometimes with kanji";
        CARD_NUMBER => "被保険者証（手帳）等の番号", "card number, with or without leading zeros, sometimes full-width";
        DAYS => "診療実日数", "days with care this month";
        TOTAL_POINTS => "合計点数", "sum of the claim's SI and IY points × times";
        RESERVED_1 => "予備", "";
        MEAL_TIMES => "食事療養・生活療養 回数", "3 per inpatient day";
        MEAL_AMOUNT => "食事療養・生活療養 合計金額", "yen, 460 per meal";
        OCCUPATIONAL => "職務上の事由", "empty";
        CERTIFICATE_NO => "証明書番号", "empty";
        COPAY_AMOUNT => "負担金額 医療保険", "empty";
        REDUCTION_CLASS => "負担金額 減免区分", "empty";
        REDUCTION_RATE => "負担金額 減額割合", "empty";
        REDUCTION_AMOUNT => "負担金額 減額金額", "empty";
    ]
}

record_layout! {
    /// 公費レコード: a public-expense payer (生活保護, 難病, 更生医療…).
    ko, name: "UKE KO", title: "公費レコード", tag: Some((0, "KO")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`KO`";
        PAYER_NO => "公費負担者番号", "8 digits: 法別番号 2 + prefecture 2 + 3 + check digit";
        RECIPIENT_NO => "公費受給者番号", "7 digits: 6 + check digit";
        OPTIONAL_BENEFIT => "任意給付区分", "empty";
        DAYS => "診療実日数", "as HO";
        TOTAL_POINTS => "合計点数", "as HO";
        COPAY_AMOUNT => "負担金額 公費", "empty";
        OUTPATIENT_COPAY => "公費給付対象外来一部負担金", "empty";
        INPATIENT_COPAY => "公費給付対象入院一部負担金", "empty";
        RESERVED_1 => "予備", "";
        MEAL_TIMES => "食事療養・生活療養 回数", "as HO";
        MEAL_AMOUNT => "食事療養・生活療養 合計金額", "as HO";
    ]
}

record_layout! {
    /// 資格確認レコード: since the individual insured number (個人単位被保険者番号) was
    /// introduced, this record carries the 2-digit branch number.
    sn, name: "UKE SN", title: "資格確認レコード", tag: Some((0, "SN")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`SN`";
        PAYER_KIND => "負担者種別", "`1` medical insurance";
        CONFIRMATION => "確認区分", "`01` online qualification check";
        INSURER_NO => "保険者番号等（資格確認）", "as HO";
        CARD_SYMBOL => "被保険者証等の記号（資格確認）", "as returned by the qualification service (canonical digits)";
        CARD_NUMBER => "被保険者証等の番号（資格確認）", "as returned by the qualification service (canonical digits)";
        BRANCH_NO => "枝番", "2 digits: `00` the insured person, `01`… dependants";
        RECIPIENT_NO => "受給者番号", "empty";
        RESERVED_1 => "予備", "";
    ]
}

record_layout! {
    /// 傷病名レコード: one diagnosis.
    sy, name: "UKE SY", title: "傷病名レコード", tag: Some((0, "SY")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`SY`";
        DISEASE_CODE => "傷病名コード", "7 digits from the disease master (`masters/diseases.csv`); `0000999` = uncoded, name in 傷病名称";
        START_DATE => "診療開始日", "`GYYMMDD`";
        OUTCOME => "転帰区分", "`1` continuing, `2` cured, `3` died, `4` stopped";
        MODIFIERS => "修飾語コード", "up to 20 4-digit codes concatenated; empty";
        DISEASE_NAME => "傷病名称", "only for uncoded diagnoses";
        MAIN => "主傷病", "`01` for the main diagnosis, else empty";
        COMMENT => "補足コメント", "empty";
    ]
}

record_layout! {
    /// 診療行為レコード: one procedure line.
    si, name: "UKE SI", title: "診療行為レコード", tag: Some((0, "SI")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`SI`";
        CARE_CLASS => "診療識別", "2 digits (`11` 初診, `12` 再診, `13` 医学管理, `40` 処置, `50` 手術, `60` 検査, `70` 画像, `80` その他, `90` 入院料, `97` 食事)";
        BURDEN_CLASS => "負担区分", "`1` insurance; `5` 公費 only";
        PROCEDURE_CODE => "診療行為コード", "9 digits starting with 1, from `masters/procedures.csv`";
        QUANTITY => "数量データ", "empty";
        POINTS => "点数", "points per time";
        TIMES => "回数", "times this month";
        COMMENT1_CODE => "コメントコード1", "";
        COMMENT1_TEXT => "文字データ1", "";
        COMMENT2_CODE => "コメントコード2", "";
        COMMENT2_TEXT => "文字データ2", "";
        COMMENT3_CODE => "コメントコード3", "";
        COMMENT3_TEXT => "文字データ3", "";
            DAY_1 => "算定日情報 1日", "times on day 1 of the month; the days sum to 回数";
            DAY_2 => "算定日情報 2日", "times on day 2 of the month; the days sum to 回数";
            DAY_3 => "算定日情報 3日", "times on day 3 of the month; the days sum to 回数";
            DAY_4 => "算定日情報 4日", "times on day 4 of the month; the days sum to 回数";
            DAY_5 => "算定日情報 5日", "times on day 5 of the month; the days sum to 回数";
            DAY_6 => "算定日情報 6日", "times on day 6 of the month; the days sum to 回数";
            DAY_7 => "算定日情報 7日", "times on day 7 of the month; the days sum to 回数";
            DAY_8 => "算定日情報 8日", "times on day 8 of the month; the days sum to 回数";
            DAY_9 => "算定日情報 9日", "times on day 9 of the month; the days sum to 回数";
            DAY_10 => "算定日情報 10日", "times on day 10 of the month; the days sum to 回数";
            DAY_11 => "算定日情報 11日", "times on day 11 of the month; the days sum to 回数";
            DAY_12 => "算定日情報 12日", "times on day 12 of the month; the days sum to 回数";
            DAY_13 => "算定日情報 13日", "times on day 13 of the month; the days sum to 回数";
            DAY_14 => "算定日情報 14日", "times on day 14 of the month; the days sum to 回数";
            DAY_15 => "算定日情報 15日", "times on day 15 of the month; the days sum to 回数";
            DAY_16 => "算定日情報 16日", "times on day 16 of the month; the days sum to 回数";
            DAY_17 => "算定日情報 17日", "times on day 17 of the month; the days sum to 回数";
            DAY_18 => "算定日情報 18日", "times on day 18 of the month; the days sum to 回数";
            DAY_19 => "算定日情報 19日", "times on day 19 of the month; the days sum to 回数";
            DAY_20 => "算定日情報 20日", "times on day 20 of the month; the days sum to 回数";
            DAY_21 => "算定日情報 21日", "times on day 21 of the month; the days sum to 回数";
            DAY_22 => "算定日情報 22日", "times on day 22 of the month; the days sum to 回数";
            DAY_23 => "算定日情報 23日", "times on day 23 of the month; the days sum to 回数";
            DAY_24 => "算定日情報 24日", "times on day 24 of the month; the days sum to 回数";
            DAY_25 => "算定日情報 25日", "times on day 25 of the month; the days sum to 回数";
            DAY_26 => "算定日情報 26日", "times on day 26 of the month; the days sum to 回数";
            DAY_27 => "算定日情報 27日", "times on day 27 of the month; the days sum to 回数";
            DAY_28 => "算定日情報 28日", "times on day 28 of the month; the days sum to 回数";
            DAY_29 => "算定日情報 29日", "times on day 29 of the month; the days sum to 回数";
            DAY_30 => "算定日情報 30日", "times on day 30 of the month; the days sum to 回数";
            DAY_31 => "算定日情報 31日", "times on day 31 of the month; the days sum to 回数";
    ]
}

record_layout! {
    /// 医薬品レコード: one drug line.
    iy, name: "UKE IY", title: "医薬品レコード", tag: Some((0, "IY")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`IY`";
        CARE_CLASS => "診療識別", "`21` 内服, `23` 外用, `33` 注射";
        BURDEN_CLASS => "負担区分", "as SI";
        DRUG_CODE => "医薬品コード", "9 digits starting with 6, from `masters/drugs.csv`";
        AMOUNT => "使用量", "decimal, up to 5 integer and 5 fraction digits";
        POINTS => "点数", "points per time: price × amount / 10 yen, rounded (5捨5超入 approximated as round-half-up)";
        TIMES => "回数", "times (days of prescription)";
        COMMENT1_CODE => "コメントコード1", "";
        COMMENT1_TEXT => "文字データ1", "";
        COMMENT2_CODE => "コメントコード2", "";
        COMMENT2_TEXT => "文字データ2", "";
        COMMENT3_CODE => "コメントコード3", "";
        COMMENT3_TEXT => "文字データ3", "";
            DAY_1 => "算定日情報 1日", "times on day 1 of the month; the days sum to 回数";
            DAY_2 => "算定日情報 2日", "times on day 2 of the month; the days sum to 回数";
            DAY_3 => "算定日情報 3日", "times on day 3 of the month; the days sum to 回数";
            DAY_4 => "算定日情報 4日", "times on day 4 of the month; the days sum to 回数";
            DAY_5 => "算定日情報 5日", "times on day 5 of the month; the days sum to 回数";
            DAY_6 => "算定日情報 6日", "times on day 6 of the month; the days sum to 回数";
            DAY_7 => "算定日情報 7日", "times on day 7 of the month; the days sum to 回数";
            DAY_8 => "算定日情報 8日", "times on day 8 of the month; the days sum to 回数";
            DAY_9 => "算定日情報 9日", "times on day 9 of the month; the days sum to 回数";
            DAY_10 => "算定日情報 10日", "times on day 10 of the month; the days sum to 回数";
            DAY_11 => "算定日情報 11日", "times on day 11 of the month; the days sum to 回数";
            DAY_12 => "算定日情報 12日", "times on day 12 of the month; the days sum to 回数";
            DAY_13 => "算定日情報 13日", "times on day 13 of the month; the days sum to 回数";
            DAY_14 => "算定日情報 14日", "times on day 14 of the month; the days sum to 回数";
            DAY_15 => "算定日情報 15日", "times on day 15 of the month; the days sum to 回数";
            DAY_16 => "算定日情報 16日", "times on day 16 of the month; the days sum to 回数";
            DAY_17 => "算定日情報 17日", "times on day 17 of the month; the days sum to 回数";
            DAY_18 => "算定日情報 18日", "times on day 18 of the month; the days sum to 回数";
            DAY_19 => "算定日情報 19日", "times on day 19 of the month; the days sum to 回数";
            DAY_20 => "算定日情報 20日", "times on day 20 of the month; the days sum to 回数";
            DAY_21 => "算定日情報 21日", "times on day 21 of the month; the days sum to 回数";
            DAY_22 => "算定日情報 22日", "times on day 22 of the month; the days sum to 回数";
            DAY_23 => "算定日情報 23日", "times on day 23 of the month; the days sum to 回数";
            DAY_24 => "算定日情報 24日", "times on day 24 of the month; the days sum to 回数";
            DAY_25 => "算定日情報 25日", "times on day 25 of the month; the days sum to 回数";
            DAY_26 => "算定日情報 26日", "times on day 26 of the month; the days sum to 回数";
            DAY_27 => "算定日情報 27日", "times on day 27 of the month; the days sum to 回数";
            DAY_28 => "算定日情報 28日", "times on day 28 of the month; the days sum to 回数";
            DAY_29 => "算定日情報 29日", "times on day 29 of the month; the days sum to 回数";
            DAY_30 => "算定日情報 30日", "times on day 30 of the month; the days sum to 回数";
            DAY_31 => "算定日情報 31日", "times on day 31 of the month; the days sum to 回数";
    ]
}

record_layout! {
    /// コメントレコード.
    co, name: "UKE CO", title: "コメントレコード", tag: Some((0, "CO")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`CO`";
        CARE_CLASS => "診療識別", "as SI";
        BURDEN_CLASS => "負担区分", "as SI";
        COMMENT_CODE => "コメントコード", "9 digits starting with 8";
        TEXT => "文字データ", "free text (never a name)";
    ]
}

record_layout! {
    /// 診療報酬請求書レコード: the file trailer.
    go, name: "UKE GO", title: "診療報酬請求書レコード", tag: Some((0, "GO")), separator: ',',
    fields: [
        RECORD_TYPE => "レコード識別情報", "`GO`";
        TOTAL_CLAIMS => "総件数", "number of RE records in the file";
        TOTAL_POINTS => "総合計点数", "sum of the HO 合計点数 (KO for 公費単独 claims) in the file";
        MULTI_VOLUME => "マルチボリューム識別情報", "`99` (last volume)";
    ]
}

/// Every UKE layout, in the order a claim file uses them.
pub static LAYOUTS: [&Layout; 10] = [
    &ir::LAYOUT,
    &re::LAYOUT,
    &ho::LAYOUT,
    &ko::LAYOUT,
    &sn::LAYOUT,
    &sy::LAYOUT,
    &si::LAYOUT,
    &iy::LAYOUT,
    &co::LAYOUT,
    &go::LAYOUT,
];

/// The layout of a UKE line, chosen by its first field.
pub fn layout_of(line: &str) -> Result<&'static Layout, ParseError> {
    let tag = line.split(',').next().unwrap_or_default();
    LAYOUTS
        .iter()
        .copied()
        .find(|l| l.tag.is_some_and(|(_, t)| t == tag))
        .ok_or_else(|| ParseError::UnknownRecordType(tag.chars().take(8).collect()))
}
