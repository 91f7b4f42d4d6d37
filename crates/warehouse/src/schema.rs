//! The vocabulary of the warehouse: column classes, column types, and the definitions of
//! columns and tables from which Arrow schemas, Parquet files and `docs/warehouse.md` are
//! all derived.

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Field metadata key holding a column's class (`ColumnClass::as_str`).
pub const CLASS_METADATA_KEY: &str = "renkei.class";
/// Schema and Parquet key-value metadata key holding the table name.
pub const TABLE_METADATA_KEY: &str = "renkei.table";
/// Schema and Parquet key-value metadata key holding a JSON object column → class.
pub const COLUMN_CLASSES_METADATA_KEY: &str = "renkei.column_classes";
/// Folder of the warehouse under which steward-only tables live, apart from the analysis
/// tables so that registering "every folder of the warehouse" cannot pick them up.
pub const LINKAGE_DIR: &str = "_linkage";

/// What a column is to disclosure control. The engine decides from the class alone what
/// it must count behind every output cell, so every column has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnClass {
    /// The pseudonymous `person_id`: what disclosure control counts.
    PersonKey,
    /// `claim_id` / `case_id`: pseudonymous record identifiers, never an output dimension.
    RecordKey,
    /// Facility / LTC provider / municipality (insurer) codes: units counted for the
    /// "≥ 3 facilities/providers/municipalities" rule.
    UnitKey,
    /// An attribute of a row's unit (the prefecture of its facility): selecting by it selects
    /// by the unit, so the units of its table are counted as for the unit key itself.
    UnitAttribute,
    /// Sex, birth year-month, age, prefecture, dates of events.
    QuasiIdentifier,
    /// Points, units, quantities: sums subject to dominance and p% rules.
    SensitiveMeasure,
    /// Plain coded attributes (diagnosis, procedure, drug codes, settings, outcomes).
    Attribute,
}

impl ColumnClass {
    /// Every class, in the order the documentation lists them.
    pub const ALL: [ColumnClass; 7] = [
        ColumnClass::PersonKey,
        ColumnClass::RecordKey,
        ColumnClass::UnitKey,
        ColumnClass::UnitAttribute,
        ColumnClass::QuasiIdentifier,
        ColumnClass::SensitiveMeasure,
        ColumnClass::Attribute,
    ];

    /// The snake_case name stored in metadata; equal to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnClass::PersonKey => "person_key",
            ColumnClass::RecordKey => "record_key",
            ColumnClass::UnitKey => "unit_key",
            ColumnClass::UnitAttribute => "unit_attribute",
            ColumnClass::QuasiIdentifier => "quasi_identifier",
            ColumnClass::SensitiveMeasure => "sensitive_measure",
            ColumnClass::Attribute => "attribute",
        }
    }

    /// What the class means for a query, as `docs/warehouse.md` explains it.
    pub fn disclosure_rule(self) -> &'static str {
        // Thresholds live in the disclosure policy; this text says only what is counted.
        match self {
            ColumnClass::PersonKey => {
                "The pseudonymous person. Disclosure control counts the distinct `person_id` values behind every \
                 output cell against the policy's minimum; never output itself."
            }
            ColumnClass::RecordKey => {
                "Pseudonymous identifier of one claim or case, or a hashed source identifier. Joins the rows of one \
                 record; never an output dimension, never counted as persons."
            }
            ColumnClass::UnitKey => {
                "Code of a facility, LTC provider or municipality (insurer). The distinct units behind every cell \
                 are counted for the rule of at least 3 facilities, providers or municipalities."
            }
            ColumnClass::UnitAttribute => {
                "An attribute of the row's facility (its prefecture), a quasi-identifier of the facility: a cell \
                 grouped or filtered by it counts the distinct facilities (the table's unit keys) behind it, as \
                 one selected by the unit key does, since few facilities may share the value."
            }
            ColumnClass::QuasiIdentifier => {
                "Sex, birth year-month, age, prefecture, event dates: harmless alone, identifying in combination. \
                 Outputs coarsen them (age bands, months, prefectures) before cells are counted."
            }
            ColumnClass::SensitiveMeasure => {
                "Points, units, quantities. A sum of them is released only if it passes the policy's dominance and \
                 p% rules."
            }
            ColumnClass::Attribute => {
                "Plain coded attribute (diagnosis, procedure, drug, service codes, settings, outcomes): a dimension \
                 subject to the person and unit counts above."
            }
        }
    }
}

/// Arrow type of a column; only the types the warehouse uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Utf8,
    Int64,
    Int32,
    UInt8,
    UInt16,
    Float64,
    Boolean,
    /// Days since 1970-01-01.
    Date32,
}

impl ColumnType {
    pub fn arrow_type(self) -> DataType {
        match self {
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Int32 => DataType::Int32,
            ColumnType::UInt8 => DataType::UInt8,
            ColumnType::UInt16 => DataType::UInt16,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Date32 => DataType::Date32,
        }
    }

    /// The Arrow name of the type, as the documentation shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Utf8 => "Utf8",
            ColumnType::Int64 => "Int64",
            ColumnType::Int32 => "Int32",
            ColumnType::UInt8 => "UInt8",
            ColumnType::UInt16 => "UInt16",
            ColumnType::Float64 => "Float64",
            ColumnType::Boolean => "Boolean",
            ColumnType::Date32 => "Date32",
        }
    }
}

/// One column of a warehouse table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: &'static str,
    pub data_type: ColumnType,
    pub nullable: bool,
    pub class: ColumnClass,
    pub description: &'static str,
}

impl ColumnDef {
    /// The Arrow field, carrying the class as field metadata.
    pub fn field(&self) -> Field {
        Field::new(self.name, self.data_type.arrow_type(), self.nullable).with_metadata(HashMap::from([(
            CLASS_METADATA_KEY.to_string(),
            self.class.as_str().to_string(),
        )]))
    }
}

/// One warehouse table: its columns in storage order.
#[derive(Debug, PartialEq, Eq)]
pub struct TableDef {
    pub name: &'static str,
    pub description: &'static str,
    pub columns: &'static [ColumnDef],
    /// Only the data steward reads it: stored under [`LINKAGE_DIR`], never registered for
    /// analysts.
    pub steward_only: bool,
    /// The record key of which each row has its own value (a claim's one row, a stay's), if
    /// any: a distinct count of it is a count of rows. Other tables hold several rows per
    /// record (a claim's diagnoses, a claim's service types).
    pub row_key: Option<&'static str>,
}

impl TableDef {
    /// The Arrow schema: each field carries `renkei.class`; the schema carries
    /// `renkei.table` and `renkei.column_classes`.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self.columns.iter().map(ColumnDef::field).collect();
        let metadata = HashMap::from([
            (TABLE_METADATA_KEY.to_string(), self.name.to_string()),
            (COLUMN_CLASSES_METADATA_KEY.to_string(), self.column_classes_json()),
        ]);
        Arc::new(Schema::new_with_metadata(fields, metadata))
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Column name → class, the form `read_column_classes` returns.
    pub fn column_classes(&self) -> BTreeMap<String, ColumnClass> {
        self.columns.iter().map(|c| (c.name.to_string(), c.class)).collect()
    }

    /// The folder holding this table's part files in the warehouse at `root`.
    pub fn directory(&self, root: &Path) -> PathBuf {
        if self.steward_only {
            root.join(LINKAGE_DIR).join(self.name)
        } else {
            root.join(self.name)
        }
    }

    /// The JSON object column → class stored in the metadata.
    pub(crate) fn column_classes_json(&self) -> String {
        // Sorted by column name whether or not serde_json preserves insertion order, so that
        // the stored text does not depend on which features other crates enable.
        let sorted: BTreeMap<&str, &str> = self.columns.iter().map(|c| (c.name, c.class.as_str())).collect();
        let object: serde_json::Map<String, serde_json::Value> = sorted
            .into_iter()
            .map(|(column, class)| (column.to_string(), class.into()))
            .collect();
        serde_json::Value::Object(object).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_are_the_serde_names() {
        for class in ColumnClass::ALL {
            let json = serde_json::to_string(&class).expect("a unit variant serializes");
            assert_eq!(json, format!("\"{}\"", class.as_str()));
            let back: ColumnClass = serde_json::from_str(&json).expect("its own name deserializes");
            assert_eq!(back, class);
        }
    }

    #[test]
    fn type_names_are_the_arrow_names() {
        for ty in [
            ColumnType::Utf8,
            ColumnType::Int64,
            ColumnType::Int32,
            ColumnType::UInt8,
            ColumnType::UInt16,
            ColumnType::Float64,
            ColumnType::Boolean,
            ColumnType::Date32,
        ] {
            assert_eq!(ty.arrow_type().to_string(), ty.as_str());
        }
    }

    #[test]
    fn schema_carries_classes_on_fields_and_as_json() {
        static COLUMNS: [ColumnDef; 2] = [
            ColumnDef {
                name: "person_id",
                data_type: ColumnType::Utf8,
                nullable: false,
                class: ColumnClass::PersonKey,
                description: "who",
            },
            ColumnDef {
                name: "points",
                data_type: ColumnType::Int64,
                nullable: true,
                class: ColumnClass::SensitiveMeasure,
                description: "how much",
            },
        ];
        let table = TableDef {
            name: "t",
            description: "test",
            columns: &COLUMNS,
            steward_only: false,
            row_key: None,
        };
        let schema = table.schema();
        assert_eq!(schema.metadata()[TABLE_METADATA_KEY], "t");
        assert_eq!(
            schema.metadata()[COLUMN_CLASSES_METADATA_KEY],
            r#"{"person_id":"person_key","points":"sensitive_measure"}"#
        );
        let points = schema.field_with_name("points").expect("declared above");
        assert_eq!(points.data_type(), &DataType::Int64);
        assert!(points.is_nullable());
        assert_eq!(points.metadata()[CLASS_METADATA_KEY], "sensitive_measure");
        assert_eq!(table.directory(Path::new("/w")), Path::new("/w/t"));
        let steward = TableDef {
            steward_only: true,
            row_key: None,
            ..table
        };
        assert_eq!(steward.directory(Path::new("/w")), Path::new("/w/_linkage/t"));
    }
}
