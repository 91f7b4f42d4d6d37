//! DPC survey files: 様式1 in its long (縦持ち) form and EF (出来高実績) files. Tab-separated,
//! CRLF, Shift_JIS like the other sources. A case is keyed by 施設コード + データ識別番号 +
//! 入院年月日 + 退院年月日; dates are `YYYYMMDD`.

use crate::layout::record_layout;

record_layout! {
    /// 様式1 (long form): one line per item of one case.
    form1, name: "DPC 様式1", title: "様式1（縦持ち）", tag: None, separator: '\t',
    fields: [
        FACILITY_CODE => "施設コード", "9 digits: prefecture 2 + 7-digit 医療機関コード";
        DATA_ID => "データ識別番号", "10 digits: the hospital's patient number (= the UKE RE カルテ番号等)";
        DISCHARGE_DATE => "退院年月日", "`YYYYMMDD`";
        ADMISSION_DATE => "入院年月日", "`YYYYMMDD`";
        ADMISSION_SEQ => "回数管理番号", "`1`";
        ITEM_CODE => "項目コード", "`A000010` birth/sex/postcode, `A000020` admission, `A000030` discharge, `A001010` height/weight, `A006010` main diagnosis, `A006020` trigger, `A006030` most resources, `A006040` comorbidity, `A006050` complication, `A007010` surgery, `ADL0010`/`ADL0020` ADL at admission/discharge, `JCS0010` JCS at admission";
        VERSION => "バージョン", "`0`";
        SEQ => "連番", "1… within the item code";
        PAYLOAD1 => "ペイロード1", "A000010: birth date `YYYYMMDD`; A000020: route (`1` home, `4` other hospital); A000030: destination (`1` home, `4` other hospital, `5` facility, `9` died); A001010: height cm; A0060x0: ICD-10; A007010: K code; ADL: 10 scores 0–2 concatenated; JCS0010: JCS";
        PAYLOAD2 => "ペイロード2", "A000010: sex; A000020: `100` planned / `200` emergency; A000030: outcome (`1` cured, `2` improved, `3` eased, `4` unchanged, `6` died of the main disease, `7` died of another); A001010: weight kg; A0060x0: diagnosis name; A007010: surgery date";
        PAYLOAD3 => "ペイロード3", "A000010: 7-digit postcode; A000020: ambulance `0`/`1`; A000030: death within 24 h `0`/`1`";
        PAYLOAD4 => "ペイロード4", "";
        PAYLOAD5 => "ペイロード5", "";
        PAYLOAD6 => "ペイロード6", "";
        PAYLOAD7 => "ペイロード7", "";
        PAYLOAD8 => "ペイロード8", "";
        PAYLOAD9 => "ペイロード9", "";
    ]
}

record_layout! {
    /// EF: one billed item on one day of a case.
    ef, name: "DPC EF", title: "EFファイル（出来高実績）", tag: None, separator: '\t',
    fields: [
        FACILITY_CODE => "施設コード", "as 様式1";
        DATA_ID => "データ識別番号", "as 様式1";
        DISCHARGE_DATE => "退院年月日", "`YYYYMMDD`, `00000000` while the patient is still in hospital at month end";
        ADMISSION_DATE => "入院年月日", "`YYYYMMDD`";
        DATA_CATEGORY => "データ区分", "`21` oral drugs, `33` drips, `50` surgery, `60` tests, `70` imaging, `90` room charge";
        ORDER_NO => "順序番号", "1… per day and data category";
        DETAIL_NO => "行為明細番号", "`0` for the act, 1… for its items";
        HOSPITAL_MASTER_CODE => "病院点数マスタコード", "empty";
        RECEIPT_CODE => "レセプト電算コード", "9 digits: procedures (1…) or drugs (6…)";
        INTERPRETATION_NO => "解釈番号", "empty";
        ITEM_NAME => "診療明細名称", "the master's name";
        QUANTITY => "使用量", "decimal";
        BASE_UNIT => "基準単位", "empty";
        ITEM_POINTS => "明細点数・金額", "points of the item";
        YEN_POINT_CLASS => "円点区分", "`1` points";
        ACTUAL_POINTS => "出来高実績点数", "points × times";
        ACT_CLASS => "行為明細区分情報", "`000000000000`";
        ACT_POINTS => "行為点数", "points of the act";
        ACT_DRUG_FEE => "行為薬剤料", "`0`";
        ACT_MATERIAL_FEE => "行為材料料", "`0`";
        ACT_YEN_POINT_CLASS => "円点区分（行為）", "`1`";
        ACT_TIMES => "行為回数", "`1`";
        INSURER_NO => "保険者番号", "the patient's medical insurer number (as UKE HO)";
        RECEIPT_KIND => "レセプト種別コード", "as UKE RE";
        SERVICE_DATE => "実施年月日", "`YYYYMMDD`";
        RECEIPT_DEPT => "レセプト科区分", "empty";
        DEPARTMENT => "診療科区分", "`010` internal medicine, `130` orthopaedics…";
        DOCTOR_CODE => "医師コード", "empty";
        WARD_CODE => "病棟コード", "empty";
        WARD_CLASS => "病棟区分", "`0` general";
        IN_OUT => "入外区分", "`1` inpatient";
        FACILITY_TYPE => "施設タイプ", "`1` DPC hospital";
    ]
}
