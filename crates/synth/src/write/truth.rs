//! Ground truth, for tests and measurement only: who each person really is, every raw
//! identifier each source wrote for them, which records are theirs, and which records
//! were spoilt on purpose. Ingest must never read `truth/`.

use crate::error::{Result, SynthError, io};
use arrow::array::{ArrayRef, Date32Builder, RecordBatch, StringBuilder, UInt8Builder, UInt64Builder};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;

pub struct PersonRow {
    pub person: u64,
    pub sex: u8,
    pub birth_date: NaiveDate,
    pub death_date: Option<NaiveDate>,
    pub prefecture: String,
    pub municipality: String,
    pub family_name: String,
    pub given_name: String,
    pub kana_name: String,
    /// Certified for long-term care on the period's first day.
    pub certified_at_start: bool,
}

/// Rows gathered for one chunk of persons.
#[derive(Default)]
pub struct TruthRows {
    pub persons: Vec<PersonRow>,
    /// (person, source, field, value as written).
    pub identifiers: BTreeSet<(u64, &'static str, &'static str, String)>,
    /// (source, file, line, kind, person).
    pub records: Vec<(&'static str, String, u64, &'static str, u64)>,
    /// (source, file, line — 0 for the whole file —, kind).
    pub defects: Vec<(&'static str, String, u64, &'static str)>,
}

impl TruthRows {
    pub fn identifier(&mut self, person: u64, source: &'static str, field: &'static str, value: &str) {
        if !value.is_empty() {
            self.identifiers.insert((person, source, field, value.to_string()));
        }
    }
}

fn string_col<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
    let mut b = StringBuilder::new();
    values.for_each(|v| b.append_value(v));
    Arc::new(b.finish())
}

fn u64_col(values: impl Iterator<Item = u64>) -> ArrayRef {
    let mut b = UInt64Builder::new();
    values.for_each(|v| b.append_value(v));
    Arc::new(b.finish())
}

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

struct Table {
    writer: ArrowWriter<File>,
    schema: Arc<Schema>,
    path: std::path::PathBuf,
}

/// One Parquet file per table for one prefecture: `truth/<table>/part-<pref>.parquet`.
pub struct TruthWriter {
    persons: Table,
    identifiers: Table,
    records: Table,
    defects: Table,
}

fn schema(fields: Vec<Field>) -> Arc<Schema> {
    Arc::new(Schema::new(fields))
}

fn open(root: &Path, table: &str, part: &str, schema: Arc<Schema>) -> Result<Table> {
    let dir = root.join("truth").join(table);
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let path = dir.join(format!("part-{part}.parquet"));
    let file = File::create(&path).map_err(io(&path))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by("renkei synth".to_string())
        .build();
    let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|source| SynthError::Parquet {
        path: path.clone(),
        source,
    })?;
    Ok(Table { writer, schema, path })
}

impl Table {
    fn write(&mut self, columns: Vec<ArrayRef>) -> Result<()> {
        if columns.first().is_some_and(|c| c.is_empty()) {
            return Ok(());
        }
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| SynthError::Parquet {
            path: self.path.clone(),
            source: e.into(),
        })?;
        self.writer.write(&batch).map_err(|source| SynthError::Parquet {
            path: self.path.clone(),
            source,
        })
    }

    fn close(self) -> Result<()> {
        let path = self.path;
        self.writer
            .close()
            .map(|_| ())
            .map_err(|source| SynthError::Parquet { path, source })
    }
}

impl TruthWriter {
    pub fn create(root: &Path, part: &str) -> Result<TruthWriter> {
        let s = |n: &str| Field::new(n, DataType::Utf8, false);
        let u = |n: &str| Field::new(n, DataType::UInt64, false);
        Ok(TruthWriter {
            persons: open(
                root,
                "persons",
                part,
                schema(vec![
                    u("person"),
                    Field::new("sex", DataType::UInt8, false),
                    Field::new("birth_date", DataType::Date32, false),
                    Field::new("death_date", DataType::Date32, true),
                    s("prefecture"),
                    s("municipality"),
                    s("family_name"),
                    s("given_name"),
                    s("kana_name"),
                    Field::new("certified_at_start", DataType::Boolean, false),
                ]),
            )?,
            identifiers: open(
                root,
                "identifiers",
                part,
                schema(vec![u("person"), s("source"), s("field"), s("value")]),
            )?,
            records: open(
                root,
                "records",
                part,
                schema(vec![s("source"), s("file"), u("line"), s("kind"), u("person")]),
            )?,
            defects: open(
                root,
                "defects",
                part,
                schema(vec![s("source"), s("file"), u("line"), s("kind")]),
            )?,
        })
    }

    pub fn write(&mut self, rows: &TruthRows) -> Result<()> {
        let p = &rows.persons;
        let mut sex = UInt8Builder::new();
        let mut birth = Date32Builder::new();
        let mut death = Date32Builder::new();
        let mut certified = arrow::array::BooleanBuilder::new();
        for r in p {
            sex.append_value(r.sex);
            birth.append_value(days(r.birth_date));
            death.append_option(r.death_date.map(days));
            certified.append_value(r.certified_at_start);
        }
        self.persons.write(vec![
            u64_col(p.iter().map(|r| r.person)),
            Arc::new(sex.finish()),
            Arc::new(birth.finish()),
            Arc::new(death.finish()),
            string_col(p.iter().map(|r| r.prefecture.as_str())),
            string_col(p.iter().map(|r| r.municipality.as_str())),
            string_col(p.iter().map(|r| r.family_name.as_str())),
            string_col(p.iter().map(|r| r.given_name.as_str())),
            string_col(p.iter().map(|r| r.kana_name.as_str())),
            Arc::new(certified.finish()),
        ])?;
        let ids = &rows.identifiers;
        self.identifiers.write(vec![
            u64_col(ids.iter().map(|r| r.0)),
            string_col(ids.iter().map(|r| r.1)),
            string_col(ids.iter().map(|r| r.2)),
            string_col(ids.iter().map(|r| r.3.as_str())),
        ])?;
        let rec = &rows.records;
        self.records.write(vec![
            string_col(rec.iter().map(|r| r.0)),
            string_col(rec.iter().map(|r| r.1.as_str())),
            u64_col(rec.iter().map(|r| r.2)),
            string_col(rec.iter().map(|r| r.3)),
            u64_col(rec.iter().map(|r| r.4)),
        ])?;
        self.write_defects(&rows.defects)
    }

    pub fn write_defects(&mut self, d: &[(&'static str, String, u64, &'static str)]) -> Result<()> {
        self.defects.write(vec![
            string_col(d.iter().map(|r| r.0)),
            string_col(d.iter().map(|r| r.1.as_str())),
            u64_col(d.iter().map(|r| r.2)),
            string_col(d.iter().map(|r| r.3)),
        ])
    }

    pub fn close(self) -> Result<()> {
        self.persons.close()?;
        self.identifiers.close()?;
        self.records.close()?;
        self.defects.close()
    }
}
