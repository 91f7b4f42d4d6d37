//! Long-term-care services (介護 service codes) with their units by care level, and the
//! monthly limit on home services.

/// A long-term-care service item.
pub struct LtcService {
    /// サービス種類コード.
    pub kind: &'static str,
    /// サービス項目コード.
    pub item: &'static str,
    pub name_ja: &'static str,
    /// Units per time by care level (要支援1, 要支援2, 要介護1…5).
    pub units: [u32; 7],
    /// True for services billed per day of residence (施設).
    pub residential: bool,
    /// Persons served per provider of the service (order of magnitude, 介護サービス施設・
    /// 事業所調査): how many providers each prefecture gets.
    pub persons_per_provider: f64,
}

table! {
    LTC_SERVICES: [LtcService] by LtcServiceId {
        HomeHelp => LtcService {
            kind: "11",
            item: "1121",
            name_ja: "身体介護２",
            units: [0, 0, 387, 387, 387, 387, 387],
            residential: false,
            persons_per_provider: 3_000.0,
        },
        HomeNursing => LtcService {
            kind: "13",
            item: "1311",
            name_ja: "訪問看護Ⅰ２",
            units: [0, 0, 471, 471, 471, 471, 471],
            residential: false,
            persons_per_provider: 8_000.0,
        },
        DayCare => LtcService {
            kind: "15",
            item: "1511",
            name_ja: "通所介護（通常規模型）",
            units: [0, 0, 655, 773, 896, 1018, 1142],
            residential: false,
            persons_per_provider: 2_500.0,
        },
        Equipment => LtcService {
            kind: "17",
            item: "1001",
            name_ja: "福祉用具貸与",
            units: [0, 0, 350, 450, 700, 900, 1100],
            residential: false,
            persons_per_provider: 6_000.0,
        },
        ShortStay => LtcService {
            kind: "21",
            item: "2111",
            name_ja: "短期入所生活介護",
            units: [0, 0, 645, 715, 787, 856, 926],
            residential: false,
            persons_per_provider: 8_000.0,
        },
        CareManagement => LtcService {
            kind: "43",
            item: "4001",
            name_ja: "居宅介護支援Ⅰ",
            units: [0, 0, 1076, 1076, 1398, 1398, 1398],
            residential: false,
            persons_per_provider: 2_500.0,
        },
        PreventionSupport => LtcService {
            kind: "46",
            item: "4611",
            name_ja: "介護予防支援",
            units: [438, 438, 0, 0, 0, 0, 0],
            residential: false,
            persons_per_provider: 8_000.0,
        },
        PreventionDayRehab => LtcService {
            kind: "66",
            item: "6611",
            name_ja: "介護予防通所リハビリテーション",
            units: [2053, 3999, 0, 0, 0, 0, 0],
            residential: false,
            persons_per_provider: 8_000.0,
        },
        PreventionEquipment => LtcService {
            kind: "67",
            item: "6701",
            name_ja: "介護予防福祉用具貸与",
            units: [150, 250, 0, 0, 0, 0, 0],
            residential: false,
            persons_per_provider: 8_000.0,
        },
        NursingHome => LtcService {
            kind: "51",
            item: "5111",
            name_ja: "介護福祉施設サービス",
            units: [0, 0, 573, 641, 712, 780, 847],
            residential: true,
            persons_per_provider: 15_000.0,
        },
        HealthFacility => LtcService {
            kind: "52",
            item: "5211",
            name_ja: "介護保健施設サービス",
            units: [0, 0, 717, 763, 828, 883, 932],
            residential: true,
            persons_per_provider: 30_000.0,
        },
    }
}

/// 区分支給限度基準額 (units per month) by care level, for home services.
pub const MONTHLY_LIMIT_UNITS: [u32; 7] = [5032, 10531, 16765, 19705, 27048, 30938, 36217];
