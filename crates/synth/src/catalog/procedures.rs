//! The procedure master: レセプト電算 codes starting with 1, with their points.

/// A procedure master row.
#[derive(Debug)]
pub struct Procedure {
    pub code: &'static str,
    pub name_ja: &'static str,
    pub points: u32,
    /// 診療識別 (UKE) / データ区分 (EF).
    pub care_class: &'static str,
}

table! {
    PROCEDURES: [Procedure] by ProcedureId {
        FirstVisit => Procedure { code: "111000110", name_ja: "初診料", points: 291, care_class: "11" },
        Revisit => Procedure { code: "112007410", name_ja: "再診料", points: 75, care_class: "12" },
        HospitalRevisit => Procedure { code: "112008850", name_ja: "外来診療料", points: 76, care_class: "12" },
        OutpatientManagement => Procedure { code: "112011310", name_ja: "外来管理加算", points: 52, care_class: "12" },
        ChronicManagement => Procedure { code: "113001810", name_ja: "特定疾患療養管理料（診療所）", points: 225, care_class: "13" },
        Prescription => Procedure { code: "120002910", name_ja: "処方箋料（その他）", points: 68, care_class: "80" },
        Dispensing => Procedure { code: "120001210", name_ja: "調剤料（内服薬・浸煎薬・屯服薬）", points: 11, care_class: "80" },
        BloodCount => Procedure { code: "160008010", name_ja: "末梢血液一般検査", points: 21, care_class: "60" },
        Hba1c => Procedure { code: "160010010", name_ja: "ＨｂＡ１ｃ", points: 49, care_class: "60" },
        Biochemistry => Procedure { code: "160061810", name_ja: "生化学的検査（１）判断料", points: 144, care_class: "60" },
        ChestXray => Procedure { code: "170000410", name_ja: "単純撮影（胸部）", points: 210, care_class: "70" },
        Ct => Procedure { code: "170011810", name_ja: "ＣＴ撮影（６４列以上）", points: 1020, care_class: "70" },
        Mri => Procedure { code: "170020110", name_ja: "ＭＲＩ撮影（３テスラ以上）", points: 1620, care_class: "70" },
        Dialysis => Procedure { code: "140007310", name_ja: "人工腎臓（慢性維持透析）", points: 1924, care_class: "40" },
        OutpatientChemo => Procedure { code: "130012710", name_ja: "外来化学療法加算", points: 670, care_class: "33" },
        AcuteWard => Procedure { code: "190077410", name_ja: "急性期一般入院料１", points: 1650, care_class: "90" },
        RecoveryWard => Procedure { code: "190117710", name_ja: "地域包括ケア病棟入院料１", points: 2809, care_class: "90" },
        DpcPeriod1 => Procedure { code: "193000110", name_ja: "ＤＰＣ包括評価（入院期間Ⅰ）", points: 3050, care_class: "90" },
        DpcPeriod2 => Procedure { code: "193000210", name_ja: "ＤＰＣ包括評価（入院期間Ⅱ）", points: 2260, care_class: "90" },
        DpcPeriod3 => Procedure { code: "193000310", name_ja: "ＤＰＣ包括評価（入院期間Ⅲ）", points: 1920, care_class: "90" },
        Hemiarthroplasty => Procedure { code: "150055010", name_ja: "人工骨頭挿入術（股）", points: 19500, care_class: "50" },
        Pci => Procedure { code: "150263110", name_ja: "経皮的冠動脈ステント留置術", points: 24380, care_class: "50" },
        Gastrectomy => Procedure { code: "150178610", name_ja: "胃切除術（悪性腫瘍手術）", points: 55870, care_class: "50" },
        Colectomy => Procedure { code: "150183510", name_ja: "結腸切除術（全切除、亜全切除又は悪性腫瘍手術）", points: 39570, care_class: "50" },
        Lobectomy => Procedure { code: "150181710", name_ja: "肺悪性腫瘍手術（肺葉切除）", points: 72640, care_class: "50" },
        Mastectomy => Procedure { code: "150234810", name_ja: "乳腺悪性腫瘍手術", points: 22520, care_class: "50" },
        Prostatectomy => Procedure { code: "150286410", name_ja: "前立腺悪性腫瘍手術", points: 41080, care_class: "50" },
        TumourResection => Procedure { code: "150000010", name_ja: "悪性腫瘍切除術（その他）", points: 30000, care_class: "50" },
        Appendectomy => Procedure { code: "150182110", name_ja: "虫垂切除術", points: 6740, care_class: "50" },
        Cholecystectomy => Procedure { code: "150267510", name_ja: "腹腔鏡下胆嚢摘出術", points: 21500, care_class: "50" },
        Caesarean => Procedure { code: "150245710", name_ja: "帝王切開術（選択帝王切開）", points: 20140, care_class: "50" },
        CataractSurgery => Procedure { code: "150211510", name_ja: "水晶体再建術", points: 12100, care_class: "50" },
        MinorSurgery => Procedure { code: "150003010", name_ja: "創傷処理", points: 1400, care_class: "50" },
    }
}
