//! 介護DB files: long-term-care claims (介護給付費明細書, after the 介護給付費請求書等の
//! 記録条件仕様) and care-need certifications (要介護認定). Shift_JIS CSV, CRLF, no quoting.
//!
//! A claims file holds one prefecture's claims for one service month, as the prefecture's
//! 国保連合会 forwards them: per claim a basic record (`01`), one detail record (`02`) per
//! service item, and one totals record (`10`) per service type.

use crate::layout::{Layout, ParseError, record_layout};

record_layout! {
    /// 基本情報レコード: one claim (one person, one provider, one month).
    basic, name: "介護 01", title: "基本情報レコード", tag: Some((1, "01")), separator: ',',
    fields: [
        EXCHANGE_ID => "交換情報識別番号", "`7131` 居宅サービス, `7171` 施設サービス";
        RECORD_TYPE => "レコード種別", "`01`";
        SERVICE_MONTH => "サービス提供年月", "`YYYYMM`";
        PROVIDER_NO => "事業所番号", "10 digits: prefecture 2 + `7` + 6 + check digit (modulus 10, weights 2-1)";
        INSURER_NO => "保険者番号", "the municipality's 6-digit code (全国地方公共団体コード with check digit)";
        INSURED_NO => "被保険者番号", "10 digits given by the municipality; a move gives a new one";
        PUBLIC_PAYER_NO => "公費1 負担者番号", "empty";
        PUBLIC_RECIPIENT_NO => "公費1 受給者番号", "empty";
        KANA_NAME => "被保険者氏名（カナ）", "katakana, full- or half-width";
        NAME => "被保険者氏名", "kanji";
        BIRTH_DATE => "生年月日", "`GYYMMDD`";
        SEX => "性別コード", "`1` male, `2` female";
        CARE_LEVEL => "要介護状態区分コード", "`12` 要支援1, `13` 要支援2, `21`–`25` 要介護1–5";
        CERT_FROM => "認定有効期間 開始年月日", "`YYYYMMDD`";
        CERT_TO => "認定有効期間 終了年月日", "`YYYYMMDD`";
        PLAN_CLASS => "居宅サービス計画作成区分コード", "`1` by a care manager, empty for facility care";
        PLAN_PROVIDER_NO => "事業所番号（居宅介護支援事業者）", "empty";
        START_DATE => "開始年月日", "empty";
        END_DATE => "中止年月日", "`YYYYMMDD` when the person died this month";
        END_REASON => "中止理由", "`3` death, else empty";
        BENEFIT_RATE => "保険給付率", "`90` (`80`, `70` for higher incomes)";
        TOTAL_UNITS => "保険 サービス単位数合計", "sum of the detail records' サービス単位数";
        CLAIM_AMOUNT => "保険請求額", "yen: floor(units × unit price × benefit rate)";
        USER_AMOUNT => "利用者負担額", "yen: the rest";
    ]
}

record_layout! {
    /// 明細情報レコード: one service item.
    detail, name: "介護 02", title: "明細情報レコード", tag: Some((1, "02")), separator: ',',
    fields: [
        EXCHANGE_ID => "交換情報識別番号", "as the basic record";
        RECORD_TYPE => "レコード種別", "`02`";
        SERVICE_MONTH => "サービス提供年月", "as the basic record";
        PROVIDER_NO => "事業所番号", "as the basic record";
        INSURER_NO => "保険者番号", "as the basic record";
        INSURED_NO => "被保険者番号", "as the basic record";
        SERVICE_TYPE => "サービス種類コード", "2 digits, `masters/ltc_services.csv`";
        SERVICE_ITEM => "サービス項目コード", "4 digits, `masters/ltc_services.csv`";
        UNITS => "単位数", "units per time";
        TIMES => "日数・回数", "days or times this month";
        PUBLIC_TIMES => "公費1対象日数・回数", "empty";
        SERVICE_UNITS => "サービス単位数", "units × times";
        PUBLIC_UNITS => "公費1対象サービス単位数", "empty";
        NOTE => "摘要", "empty";
    ]
}

record_layout! {
    /// 集計情報レコード: totals per service type.
    totals, name: "介護 10", title: "集計情報レコード", tag: Some((1, "10")), separator: ',',
    fields: [
        EXCHANGE_ID => "交換情報識別番号", "as the basic record";
        RECORD_TYPE => "レコード種別", "`10`";
        SERVICE_MONTH => "サービス提供年月", "as the basic record";
        PROVIDER_NO => "事業所番号", "as the basic record";
        INSURER_NO => "保険者番号", "as the basic record";
        INSURED_NO => "被保険者番号", "as the basic record";
        SERVICE_TYPE => "サービス種類コード", "2 digits";
        SERVICE_DAYS => "サービス実日数", "days with this service";
        PLANNED_UNITS => "計画単位数", "equal to 給付単位数";
        LIMITED_UNITS => "限度額管理対象単位数", "units counted against the monthly limit";
        UNLIMITED_UNITS => "限度額管理対象外単位数", "`0`";
        BENEFIT_UNITS => "給付単位数", "units of this service type";
        UNIT_PRICE => "単位数単価", "yen per unit, `10.00`–`11.40` by area grade";
        CLAIM_AMOUNT => "保険請求額", "yen";
        USER_AMOUNT => "利用者負担額", "yen";
    ]
}

record_layout! {
    /// 要介護認定: one certification decision (one line per decision; one file per
    /// prefecture and decision month).
    certification, name: "介護 認定", title: "要介護認定情報", tag: None, separator: ',',
    fields: [
        INSURER_NO => "保険者番号", "as the claims";
        INSURED_NO => "被保険者番号", "as the claims";
        KANA_NAME => "被保険者氏名（カナ）", "katakana, full- or half-width";
        NAME => "被保険者氏名", "kanji";
        BIRTH_DATE => "生年月日", "`GYYMMDD`";
        SEX => "性別", "`1` male, `2` female";
        APPLIED_ON => "申請年月日", "`YYYYMMDD`";
        APPLICATION_KIND => "申請区分", "`1` new, `2` renewal, `3` change of level";
        FIRST_JUDGEMENT => "一次判定結果", "care level code (computer judgement)";
        SECOND_JUDGEMENT => "二次判定結果", "care level code (certification committee); equals the first in most cases";
        CERTIFIED_ON => "認定年月日", "`YYYYMMDD`";
        VALID_FROM => "認定有効期間 開始年月日", "`YYYYMMDD`, the application date";
        VALID_TO => "認定有効期間 終了年月日", "`YYYYMMDD`, end of month 6 (new) or 12–36 (renewal) months on";
        ADL_GRADE => "障害高齢者の日常生活自立度", "`1` 自立, `2` J1, `3` J2, `4` A1, `5` A2, `6` B1, `7` B2, `8` C1, `9` C2";
        DEMENTIA_GRADE => "認知症高齢者の日常生活自立度", "`1` 自立, `2` I, `3` IIa, `4` IIb, `5` IIIa, `6` IIIb, `7` IV, `8` M";
        CARE_MINUTES => "要介護認定等基準時間", "minutes per day, consistent with the first judgement";
    ]
}

pub static CLAIM_LAYOUTS: [&Layout; 3] = [&basic::LAYOUT, &detail::LAYOUT, &totals::LAYOUT];

/// The layout of a claims-file line, chosen by its レコード種別.
pub fn claim_layout_of(line: &str) -> Result<&'static Layout, ParseError> {
    let tag = line.split(',').nth(1).unwrap_or_default();
    CLAIM_LAYOUTS
        .iter()
        .copied()
        .find(|l| l.tag.is_some_and(|(_, t)| t == tag))
        .ok_or_else(|| ParseError::UnknownRecordType(tag.chars().take(8).collect()))
}

/// 要介護状態区分コード and the names the statistics use.
pub const CARE_LEVELS: [(&str, &str); 7] = [
    ("12", "要支援1"),
    ("13", "要支援2"),
    ("21", "要介護1"),
    ("22", "要介護2"),
    ("23", "要介護3"),
    ("24", "要介護4"),
    ("25", "要介護5"),
];
