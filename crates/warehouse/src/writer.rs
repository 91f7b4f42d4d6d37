//! Writing a table as Parquet part files, and reading the column classes back from any of
//! them.

use crate::error::{WarehouseError, io, parquet};
use crate::schema::{COLUMN_CLASSES_METADATA_KEY, ColumnClass, TABLE_METADATA_KEY, TableDef};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{KeyValue, ParquetMetaDataReader};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

/// Rows per part file unless told otherwise: a few row groups per file, so that files stay
/// in the hundreds of megabytes and a scan can spread them over cores.
pub const DEFAULT_ROWS_PER_FILE: NonZeroU64 = NonZeroU64::new(4_000_000).expect("4 million is not zero");

/// Rows per row group: large enough for good compression and dictionary pages, small enough
/// that statistics still prune.
pub const MAX_ROW_GROUP_ROWS: usize = 1_048_576;

/// Writes one table as `part-00000.parquet`, `part-00001.parquet`… in the table's folder
/// (`TableDef::directory`), starting a new part every `rows_per_file` rows.
///
/// A writer dropped without `finish`, or after an error, leaves an unreadable last part:
/// write into a staging warehouse and move it into place only when every table finished.
pub struct TableWriter {
    table: &'static TableDef,
    schema: SchemaRef,
    properties: WriterProperties,
    directory: PathBuf,
    rows_per_file: u64,
    open_part: Option<OpenPart>,
    parts_started: usize,
    rows_written: u64,
}

struct OpenPart {
    path: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl OpenPart {
    fn close(self) -> Result<(), WarehouseError> {
        let file = self.writer.into_inner().map_err(parquet(&self.path))?;
        // Durable before the caller moves the warehouse into place.
        file.sync_all().map_err(io(&self.path))
    }
}

impl TableWriter {
    pub fn create(root: &Path, table: &'static TableDef) -> Result<TableWriter, WarehouseError> {
        Self::create_with_rows_per_file(root, table, DEFAULT_ROWS_PER_FILE)
    }

    /// Creates the table's folder, which must be absent or empty: a part left from an
    /// earlier run would silently join the table.
    pub fn create_with_rows_per_file(
        root: &Path,
        table: &'static TableDef,
        rows_per_file: NonZeroU64,
    ) -> Result<TableWriter, WarehouseError> {
        let directory = table.directory(root);
        fs::create_dir_all(&directory).map_err(io(&directory))?;
        if let Some(entry) = fs::read_dir(&directory).map_err(io(&directory))?.next() {
            entry.map_err(io(&directory))?;
            return Err(WarehouseError::Io {
                path: directory,
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the table folder is not empty; write into a fresh warehouse",
                ),
            });
        }
        Ok(TableWriter {
            table,
            schema: table.schema(),
            properties: writer_properties(table),
            directory,
            rows_per_file: rows_per_file.get(),
            open_part: None,
            parts_started: 0,
            rows_written: 0,
        })
    }

    /// Appends a batch whose columns match the table's names, types and nullability, in
    /// order. Field and schema metadata of the batch are ignored: the files carry the
    /// table's.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), WarehouseError> {
        check_schema(self.table, batch.schema_ref())?;
        let batch = RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec())?;
        let mut offset = 0;
        while offset < batch.num_rows() {
            let mut part = match self.open_part.take() {
                Some(part) => part,
                None => self.start_part()?,
            };
            let room = usize::try_from(self.rows_per_file - part.rows).unwrap_or(usize::MAX);
            let take = room.min(batch.num_rows() - offset);
            part.writer
                .write(&batch.slice(offset, take))
                .map_err(parquet(&part.path))?;
            part.rows += take as u64;
            self.rows_written += take as u64;
            offset += take;
            if part.rows == self.rows_per_file {
                part.close()?;
            } else {
                self.open_part = Some(part);
            }
        }
        Ok(())
    }

    pub fn rows_written(&self) -> u64 {
        self.rows_written
    }

    /// Closes the last part and returns the rows written. A table without rows still gets
    /// one empty part, so that it exists with its schema and classes.
    pub fn finish(mut self) -> Result<u64, WarehouseError> {
        let last = match self.open_part.take() {
            Some(part) => Some(part),
            None if self.parts_started == 0 => Some(self.start_part()?),
            None => None,
        };
        if let Some(part) = last {
            part.close()?;
        }
        Ok(self.rows_written)
    }

    fn start_part(&mut self) -> Result<OpenPart, WarehouseError> {
        let path = self.directory.join(format!("part-{:05}.parquet", self.parts_started));
        let file = File::create_new(&path).map_err(io(&path))?;
        let writer =
            ArrowWriter::try_new(file, self.schema.clone(), Some(self.properties.clone())).map_err(parquet(&path))?;
        self.parts_started += 1;
        Ok(OpenPart { path, writer, rows: 0 })
    }
}

fn writer_properties(table: &TableDef) -> WriterProperties {
    // ArrowWriter stores the Arrow schema (with its metadata) as one encoded blob; the
    // classes are also written as plain key-value pairs so that any Parquet reader sees them.
    let key_values = vec![
        KeyValue::new(TABLE_METADATA_KEY.to_string(), table.name.to_string()),
        KeyValue::new(COLUMN_CLASSES_METADATA_KEY.to_string(), table.column_classes_json()),
    ];
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
        .set_dictionary_enabled(true)
        .set_key_value_metadata(Some(key_values))
        .set_created_by("renkei".to_string())
        .build()
}

/// Compares the batch's columns with the table's, position by position, and lists every
/// difference.
fn check_schema(table: &TableDef, actual: &Schema) -> Result<(), WarehouseError> {
    let nullability = |nullable: bool| if nullable { "nullable" } else { "not nullable" };
    let mut problems = Vec::new();
    for position in 0..table.columns.len().max(actual.fields().len()) {
        match (table.columns.get(position), actual.fields().get(position)) {
            (Some(expected), Some(field)) if expected.name != field.name() => problems.push(format!(
                "column {} is `{}`, expected `{}`",
                position + 1,
                field.name(),
                expected.name
            )),
            (Some(expected), Some(field)) => {
                let expected_type = expected.data_type.arrow_type();
                if field.data_type() != &expected_type {
                    problems.push(format!(
                        "`{}` is {}, expected {expected_type}",
                        expected.name,
                        field.data_type()
                    ));
                }
                if field.is_nullable() != expected.nullable {
                    problems.push(format!(
                        "`{}` is {}, expected {}",
                        expected.name,
                        nullability(field.is_nullable()),
                        nullability(expected.nullable)
                    ));
                }
            }
            (Some(expected), None) => problems.push(format!("column `{}` is missing", expected.name)),
            (None, Some(field)) => problems.push(format!("column `{}` is not in the table", field.name())),
            (None, None) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WarehouseError::SchemaMismatch {
            table: table.name.to_string(),
            reason: problems.join("; "),
        })
    }
}

/// The column classes stored in a warehouse Parquet file's key-value metadata.
pub fn read_column_classes(parquet_file: &Path) -> Result<BTreeMap<String, ColumnClass>, WarehouseError> {
    let file = File::open(parquet_file).map_err(io(parquet_file))?;
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(parquet(parquet_file))?;
    let json = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|pairs| pairs.iter().find(|pair| pair.key == COLUMN_CLASSES_METADATA_KEY))
        .and_then(|pair| pair.value.as_deref())
        .ok_or_else(|| WarehouseError::MissingMetadata {
            path: parquet_file.to_path_buf(),
        })?;
    serde_json::from_str(json).map_err(|source| WarehouseError::InvalidMetadata {
        path: parquet_file.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::table;
    use arrow::datatypes::{DataType, Field};
    use parquet::schema::types::ColumnPath;

    #[test]
    fn parts_are_zstd_with_page_statistics_dictionaries_and_bounded_row_groups() {
        let claims = table("ndb_claims").expect("defined");
        let properties = writer_properties(claims);
        let any_column = ColumnPath::from("person_id");
        assert!(matches!(properties.compression(&any_column), Compression::ZSTD(_)));
        assert_eq!(properties.statistics_enabled(&any_column), EnabledStatistics::Page);
        assert!(properties.dictionary_enabled(&any_column));
        assert_eq!(properties.max_row_group_row_count(), Some(MAX_ROW_GROUP_ROWS));
        assert_eq!(properties.created_by(), "renkei");
        let key_values = properties.key_value_metadata().expect("set");
        assert!(
            key_values
                .iter()
                .any(|kv| kv.key == TABLE_METADATA_KEY && kv.value.as_deref() == Some("ndb_claims"))
        );
        assert!(key_values.iter().any(|kv| kv.key == COLUMN_CLASSES_METADATA_KEY));
    }

    #[test]
    fn schema_check_names_every_difference() {
        let procedures = table("ndb_procedures").expect("defined");
        let mut fields: Vec<Field> = procedures
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_metadata(Default::default()))
            .collect();
        assert!(
            check_schema(procedures, &Schema::new(fields.clone())).is_ok(),
            "metadata is not compared"
        );

        fields[3] = Field::new("procedure", DataType::Utf8, false);
        fields[4] = Field::new("points", DataType::Int32, true);
        fields.pop();
        fields.push(Field::new("times", DataType::Int32, false));
        fields.push(Field::new("extra", DataType::Utf8, false));
        let Err(WarehouseError::SchemaMismatch { table, reason }) = check_schema(procedures, &Schema::new(fields))
        else {
            panic!("mismatch not detected");
        };
        assert_eq!(table, "ndb_procedures");
        assert_eq!(
            reason,
            "column 4 is `procedure`, expected `procedure_code`; `points` is Int32, expected Int64; \
             `points` is nullable, expected not nullable; column `extra` is not in the table"
        );
    }
}
