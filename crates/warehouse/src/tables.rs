//! Every warehouse table, its columns in storage order, their types and classes. Ingest
//! writes exactly these; the engine reads the classes to enforce disclosure control.

use crate::schema::ColumnClass::{
    Attribute, PersonKey, QuasiIdentifier, RecordKey, SensitiveMeasure, UnitAttribute, UnitKey,
};
use crate::schema::ColumnType::{Boolean, Date32, Float64, Int32, Int64, UInt8, UInt16, Utf8};
use crate::schema::{ColumnClass, ColumnDef, ColumnType, TableDef};

const fn column(name: &'static str, data_type: ColumnType, class: ColumnClass, description: &'static str) -> ColumnDef {
    ColumnDef {
        name,
        data_type,
        nullable: false,
        class,
        description,
    }
}

const fn nullable(
    name: &'static str,
    data_type: ColumnType,
    class: ColumnClass,
    description: &'static str,
) -> ColumnDef {
    ColumnDef {
        name,
        data_type,
        nullable: true,
        class,
        description,
    }
}

// Columns shared by several tables are defined once so that their type, class and meaning
// cannot drift between tables (a join or a person count across tables relies on it).

const PERSON_ID: ColumnDef = column(
    "person_id",
    Utf8,
    PersonKey,
    "Pseudonymous person, 32 hex characters: the result of linking the hashed identifiers of NDB, 介護DB \
     and DPC records. The same person has the same `person_id` in every table.",
);
const CLAIM_ID: ColumnDef = column(
    "claim_id",
    Utf8,
    RecordKey,
    "Pseudonymous identifier of one claim (hex keyed hash); joins the rows of one claim across the tables \
     of its database.",
);
const CLAIM_MONTH: ColumnDef = column(
    "claim_month",
    Utf8,
    QuasiIdentifier,
    "Month of care (診療年月), `YYYY-MM`.",
);
const SEX: ColumnDef = column(
    "sex",
    UInt8,
    QuasiIdentifier,
    "`1` male, `2` female, as coded in the source.",
);
const BIRTH_YM: ColumnDef = column(
    "birth_ym",
    Utf8,
    QuasiIdentifier,
    "Birth year-month, `YYYY-MM`: the birth date coarsened at ingest; the day is not stored.",
);
const AGE: ColumnDef = column(
    "age",
    UInt16,
    QuasiIdentifier,
    "Age in completed years on the event the row records (month of care or service, certification, \
     admission), computed at ingest from the full birth date before it is discarded.",
);
const INSURER_MUNICIPALITY: ColumnDef = column(
    "insurer_municipality",
    Utf8,
    UnitKey,
    "LTC insurer: the municipality's 6-digit code (介護保険者番号), a public code of a unit, not of a person.",
);
const CASE_ID: ColumnDef = column(
    "case_id",
    Utf8,
    RecordKey,
    "Pseudonymous identifier of one DPC case (hex keyed hash); joins `dpc_items` to `dpc_cases`.",
);
const POINTS_PER_TIME: ColumnDef = column("points", Int64, SensitiveMeasure, "Points per time (点数).");
const TIMES: ColumnDef = column(
    "times",
    Int32,
    SensitiveMeasure,
    "Times in the month (回数); the line's points are points × times.",
);

/// 要介護状態区分コード, as a literal so that `concat!` can place it in descriptions.
macro_rules! care_level_codes {
    () => {
        "`12` 要支援1, `13` 要支援2, `21`–`25` 要介護1–5"
    };
}

pub static TABLES: &[TableDef] = &[
    TableDef {
        name: "ndb_claims",
        description: "NDB medical claims (医科レセプト): one row per claim, from its RE and HO records.",
        columns: &[
            CLAIM_ID,
            PERSON_ID,
            column(
                "facility_id",
                Utf8,
                UnitKey,
                "Medical institution code, 10 digits: prefecture 2 + score table 1 + 医療機関コード 7.",
            ),
            column(
                "facility_prefecture",
                Utf8,
                UnitAttribute,
                "Prefecture code of the facility, `01`–`47`.",
            ),
            CLAIM_MONTH,
            column(
                "setting",
                Utf8,
                Attribute,
                "`inpatient` or `outpatient` (入院 / 入院外).",
            ),
            SEX,
            BIRTH_YM,
            AGE,
            column(
                "total_points",
                Int64,
                SensitiveMeasure,
                "Points claimed (合計点数; 1 point = 10 yen).",
            ),
            column(
                "insurer_kind",
                Utf8,
                Attribute,
                "Kind of insurer: `kokuho` 国保, `kyokai` 協会けんぽ, `kumiai` 健保組合, `kyosai` 共済, \
                 `koki` 後期高齢者医療, `public_only` 公費単独. The insurer number itself is not stored.",
            ),
            nullable(
                "admission_date",
                Date32,
                QuasiIdentifier,
                "Admission date (入院年月日) of an inpatient claim; null for outpatient claims.",
            ),
        ],
        steward_only: false,
        row_key: Some("claim_id"),
    },
    TableDef {
        name: "ndb_diagnoses",
        description: "Diagnoses on NDB claims: one row per SY record.",
        columns: &[
            CLAIM_ID,
            PERSON_ID,
            CLAIM_MONTH,
            column(
                "disease_code",
                Utf8,
                Attribute,
                "傷病名コード, 7 digits; `0000999` for an uncoded diagnosis, whose free-text name is not stored.",
            ),
            nullable(
                "icd10",
                Utf8,
                Attribute,
                "ICD-10 code mapped from `disease_code` through the disease master; null when uncoded or unmapped.",
            ),
            column("is_main", Boolean, Attribute, "Main diagnosis of the claim (主傷病)."),
            nullable(
                "start_date",
                Date32,
                QuasiIdentifier,
                "Start of care for this diagnosis (診療開始日); null when not recorded.",
            ),
            column(
                "outcome",
                Utf8,
                Attribute,
                "転帰区分: `1` continuing, `2` cured, `3` died, `4` stopped.",
            ),
        ],
        steward_only: false,
        row_key: None,
    },
    TableDef {
        name: "ndb_procedures",
        description: "Procedures on NDB claims: one row per SI record.",
        columns: &[
            CLAIM_ID,
            PERSON_ID,
            CLAIM_MONTH,
            column("procedure_code", Utf8, Attribute, "診療行為コード, 9 digits."),
            POINTS_PER_TIME,
            TIMES,
        ],
        steward_only: false,
        row_key: None,
    },
    TableDef {
        name: "ndb_drugs",
        description: "Drugs on NDB claims: one row per IY record.",
        columns: &[
            CLAIM_ID,
            PERSON_ID,
            CLAIM_MONTH,
            column("drug_code", Utf8, Attribute, "医薬品コード, 9 digits."),
            column(
                "quantity",
                Float64,
                SensitiveMeasure,
                "Amount per time (使用量), in the drug's unit.",
            ),
            POINTS_PER_TIME,
            TIMES,
        ],
        steward_only: false,
        row_key: None,
    },
    TableDef {
        name: "kaigo_certifications",
        description: "介護DB care-need certifications (要介護認定): one row per certification decision.",
        columns: &[
            PERSON_ID,
            INSURER_MUNICIPALITY,
            column(
                "certified_on",
                Date32,
                QuasiIdentifier,
                "Date of the decision (認定年月日).",
            ),
            column(
                "care_level",
                Utf8,
                Attribute,
                concat!("Certified care level (二次判定結果): ", care_level_codes!(), "."),
            ),
            nullable(
                "valid_from",
                Date32,
                QuasiIdentifier,
                "First day of the certification's validity (認定有効期間 開始年月日); null when not recorded.",
            ),
            nullable(
                "valid_to",
                Date32,
                QuasiIdentifier,
                "Last day of the certification's validity (認定有効期間 終了年月日); null when not recorded.",
            ),
            column(
                "dementia_grade",
                Utf8,
                Attribute,
                "認知症高齢者の日常生活自立度: `1` 自立, `2` I, `3` IIa, `4` IIb, `5` IIIa, `6` IIIb, `7` IV, `8` M.",
            ),
            SEX,
            BIRTH_YM,
            AGE,
            column(
                "application_kind",
                Utf8,
                Attribute,
                "申請区分: `1` new, `2` renewal, `3` change of level.",
            ),
            column(
                "first_judgement",
                Utf8,
                Attribute,
                "Care level of the computer judgement (一次判定結果), coded as `care_level`.",
            ),
        ],
        steward_only: false,
        row_key: None,
    },
    TableDef {
        name: "kaigo_claims",
        description: "介護DB long-term-care claims: one row per claim (person, provider, service month) and \
                      service type, from the claim's 集計情報レコード.",
        columns: &[
            CLAIM_ID,
            PERSON_ID,
            INSURER_MUNICIPALITY,
            column(
                "provider_id",
                Utf8,
                UnitKey,
                "LTC provider number (事業所番号), 10 digits.",
            ),
            column(
                "service_month",
                Utf8,
                QuasiIdentifier,
                "Month of service (サービス提供年月), `YYYY-MM`.",
            ),
            column("service_type", Utf8, Attribute, "サービス種類コード, 2 digits."),
            column(
                "units",
                Int64,
                SensitiveMeasure,
                "Units of this service type in the month (給付単位数; 1 unit = 10–11.40 yen by area grade).",
            ),
            SEX,
            AGE,
            column(
                "care_level",
                Utf8,
                Attribute,
                concat!(
                    "Care level in the service month (要介護状態区分コード): ",
                    care_level_codes!(),
                    "."
                ),
            ),
        ],
        steward_only: false,
        row_key: None,
    },
    TableDef {
        name: "dpc_cases",
        description: "DPC acute inpatient cases (様式1): one row per stay from admission to discharge at one DPC \
                      hospital.",
        columns: &[
            CASE_ID,
            PERSON_ID,
            column(
                "facility_id",
                Utf8,
                UnitKey,
                "DPC facility code, 9 digits: prefecture 2 + 医療機関コード 7 (an NDB `facility_id` without its \
                 score-table digit).",
            ),
            column(
                "admission_date",
                Date32,
                QuasiIdentifier,
                "Admission date (入院年月日).",
            ),
            column(
                "discharge_date",
                Date32,
                QuasiIdentifier,
                "Discharge date (退院年月日).",
            ),
            column(
                "main_icd10",
                Utf8,
                Attribute,
                "ICD-10 code of the main diagnosis (主傷病名).",
            ),
            column(
                "admission_icd10",
                Utf8,
                Attribute,
                "ICD-10 code of the diagnosis that triggered the admission (入院の契機となった傷病名).",
            ),
            column(
                "discharge_outcome",
                Utf8,
                Attribute,
                "退院時転帰: `1` cured, `2` improved, `3` eased, `4` unchanged, `6` died of the main disease, `7` died \
                 of another.",
            ),
            SEX,
            AGE,
        ],
        steward_only: false,
        row_key: Some("case_id"),
    },
    TableDef {
        name: "dpc_items",
        description: "DPC itemised billing (EF files): one row per billed item on one day of a case.",
        columns: &[
            CASE_ID,
            PERSON_ID,
            column("service_date", Date32, QuasiIdentifier, "Date of service (実施年月日)."),
            column(
                "data_category",
                Utf8,
                Attribute,
                "データ区分, 2 digits: `21` oral drugs, `33` drips, `50` surgery, `60` tests, `70` imaging, `90` room \
                 charge, ….",
            ),
            column(
                "receipt_code",
                Utf8,
                Attribute,
                "レセプト電算コード, 9 digits: procedures (1…) or drugs (6…).",
            ),
            column("quantity", Float64, SensitiveMeasure, "Amount used (使用量)."),
            column(
                "points",
                Int64,
                SensitiveMeasure,
                "Points of the item (出来高実績点数).",
            ),
        ],
        steward_only: false,
        row_key: None,
    },
    TableDef {
        name: "person_links",
        description: "Steward only: every hashed source identifier and the person it was linked to, for auditing \
                      and re-running linkage. Never registered for analysts.",
        columns: &[
            PERSON_ID,
            column(
                "source",
                Utf8,
                Attribute,
                "Database the identifier came from: `ndb`, `kaigo` or `dpc`.",
            ),
            column(
                "id_kind",
                Utf8,
                Attribute,
                "Identifier hashed: `id1` (insurer number, card symbol and number, birth date, sex), `id2` (name, \
                 birth date, sex), `link` (individual insured number with branch, as ID5), `ltc` (LTC insurer, insured \
                 number, birth date, sex), `dpc_local` (DPC facility code and データ識別番号), `record` (one record's \
                 file and line: the anchor of a record without a patient or LTC number, or whose number belongs to \
                 another person).",
            ),
            column(
                "id_hash",
                Utf8,
                RecordKey,
                "Keyed hash of the normalized identifier under the steward's sub-key for `id_kind`, 64 hex \
                 characters.",
            ),
        ],
        steward_only: true,
        row_key: None,
    },
    TableDef {
        name: "record_origins",
        description: "Steward only: where each linked record came from (file and line of its first record) and its \
                      naive ID1-only and ID2-only keys, to measure linkage against ground truth and to trace a \
                      warehouse row back to its source. Never registered for analysts.",
        columns: &[
            column(
                "source",
                Utf8,
                Attribute,
                "Database the record came from: `ndb`, `kaigo` or `dpc`.",
            ),
            column(
                "file",
                Utf8,
                Attribute,
                "Input file, relative to the ingest input directory.",
            ),
            column(
                "line",
                Int64,
                Attribute,
                "Line of the record's first line in that file (1-based).",
            ),
            PERSON_ID,
            nullable(
                "id1",
                Utf8,
                RecordKey,
                "The record's ID1-like hash (64 hex), when it has an insurer card; null otherwise.",
            ),
            nullable(
                "id2",
                Utf8,
                RecordKey,
                "The record's ID2-like hash (64 hex), when it has a kana name; null otherwise.",
            ),
        ],
        steward_only: true,
        row_key: None,
    },
];

/// The table of that name, analysis or steward-only.
pub fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn table_and_column_names_are_unique_lowercase_identifiers() {
        let is_identifier = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let mut tables = BTreeSet::new();
        for t in TABLES {
            assert!(is_identifier(t.name), "{}", t.name);
            assert!(tables.insert(t.name), "table {} defined twice", t.name);
            let mut columns = BTreeSet::new();
            for c in t.columns {
                assert!(is_identifier(c.name), "{}.{}", t.name, c.name);
                assert!(columns.insert(c.name), "{}.{} defined twice", t.name, c.name);
            }
        }
    }

    #[test]
    fn a_column_name_has_the_same_type_and_class_in_every_table() {
        // Nullability may differ (an admission date is absent on an outpatient claim, never
        // on a DPC case), and so may meaning (facility_id has 10 digits in NDB, 9 in DPC).
        let mut seen: BTreeMap<&str, (&str, &ColumnDef)> = BTreeMap::new();
        for t in TABLES {
            for c in t.columns {
                if let Some((first, earlier)) = seen.get(c.name) {
                    assert_eq!(
                        (earlier.data_type, earlier.class),
                        (c.data_type, c.class),
                        "{} differs between {first} and {}",
                        c.name,
                        t.name
                    );
                } else {
                    seen.insert(c.name, (t.name, c));
                }
            }
        }
    }

    #[test]
    fn shared_columns_are_the_single_definitions() {
        for shared in [
            PERSON_ID,
            CLAIM_ID,
            CLAIM_MONTH,
            SEX,
            BIRTH_YM,
            AGE,
            INSURER_MUNICIPALITY,
            CASE_ID,
        ] {
            for t in TABLES {
                if let Some(c) = t.column(shared.name) {
                    assert_eq!(c, &shared, "{}.{}", t.name, shared.name);
                }
            }
        }
    }

    #[test]
    fn only_linkage_tables_are_steward_only() {
        let steward: Vec<&str> = TABLES.iter().filter(|t| t.steward_only).map(|t| t.name).collect();
        assert_eq!(steward, ["person_links", "record_origins"]);
    }
}
