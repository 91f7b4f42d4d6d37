//! The warehouse as ingest and the engine see it: definitions, files written through
//! `TableWriter`, and what a Parquet reader finds in them.

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringArray, UInt8Array, UInt16Array,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::metadata::{KeyValue, PageIndexPolicy, ParquetMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::properties::WriterProperties;
use renkei_warehouse::{
    CLASS_METADATA_KEY, COLUMN_CLASSES_METADATA_KEY, ColumnClass, ColumnType, TABLE_METADATA_KEY, TABLES, TableDef,
    TableWriter, WarehouseError, read_column_classes, table,
};
use std::fs::File;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `rows` rows for `table`, starting at row number `first` so that consecutive batches
/// differ; nullable columns are null on every third row.
fn sample_batch(table: &TableDef, first: usize, rows: usize) -> RecordBatch {
    let numbers = first..first + rows;
    let columns: Vec<ArrayRef> = table
        .columns
        .iter()
        .map(|column| {
            let present = |i: usize| !column.nullable || !i.is_multiple_of(3);
            let array: ArrayRef = match column.data_type {
                ColumnType::Utf8 => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then(|| format!("{}-{}", column.name, i % 7)))
                        .collect::<StringArray>(),
                ),
                ColumnType::Int64 => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then_some(i as i64 * 13))
                        .collect::<Int64Array>(),
                ),
                ColumnType::Int32 => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then_some(i as i32 % 31))
                        .collect::<Int32Array>(),
                ),
                ColumnType::UInt8 => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then_some(1 + (i % 2) as u8))
                        .collect::<UInt8Array>(),
                ),
                ColumnType::UInt16 => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then_some((i % 100) as u16))
                        .collect::<UInt16Array>(),
                ),
                ColumnType::Float64 => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then_some(i as f64 * 0.25))
                        .collect::<Float64Array>(),
                ),
                ColumnType::Boolean => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then_some(i % 2 == 0))
                        .collect::<BooleanArray>(),
                ),
                ColumnType::Date32 => Arc::new(
                    numbers
                        .clone()
                        .map(|i| present(i).then_some(19_000 + i as i32))
                        .collect::<Date32Array>(),
                ),
            };
            array
        })
        .collect();
    RecordBatch::try_new(table.schema(), columns).expect("sample columns follow the table's types")
}

fn part_files(directory: &Path) -> Vec<PathBuf> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(directory)
        .expect("table folder exists")
        .map(|entry| entry.expect("readable entry").path())
        .collect();
    parts.sort();
    parts
}

/// The file's metadata (with page indexes) and all its rows in one batch.
fn read_part(path: &Path) -> (Arc<ParquetMetaData>, RecordBatch) {
    let file = File::open(path).expect("part exists");
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).expect("a Parquet file");
    let metadata = builder.metadata().clone();
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("every batch decodes");
    (
        metadata,
        concat_batches(&schema, &batches).expect("batches share the file's schema"),
    )
}

fn assert_same_rows(written: &RecordBatch, read: &RecordBatch) {
    assert_eq!(written.num_rows(), read.num_rows());
    assert_eq!(written.num_columns(), read.num_columns());
    for (position, field) in written.schema().fields().iter().enumerate() {
        assert_eq!(
            written.column(position).as_ref(),
            read.column(position).as_ref(),
            "column {}",
            field.name()
        );
    }
}

fn assert_schema_is_the_tables(table: &TableDef, schema: &Schema) {
    assert_eq!(schema.fields().len(), table.columns.len(), "{}", table.name);
    for (field, column) in schema.fields().iter().zip(table.columns) {
        assert_eq!(field.name(), column.name);
        assert_eq!(
            field.data_type(),
            &column.data_type.arrow_type(),
            "{}.{}",
            table.name,
            column.name
        );
        assert_eq!(field.is_nullable(), column.nullable, "{}.{}", table.name, column.name);
        assert_eq!(
            field.metadata().get(CLASS_METADATA_KEY).map(String::as_str),
            Some(column.class.as_str())
        );
    }
    assert_eq!(
        schema.metadata().get(TABLE_METADATA_KEY).map(String::as_str),
        Some(table.name)
    );
}

#[test]
fn every_column_has_a_class_and_a_description() {
    assert!(!TABLES.is_empty());
    for table in TABLES {
        assert!(
            !table.description.trim().is_empty(),
            "{} has no description",
            table.name
        );
        assert!(!table.columns.is_empty(), "{} has no columns", table.name);
        for column in table.columns {
            assert!(
                !column.description.trim().is_empty(),
                "{}.{} has no description",
                table.name,
                column.name
            );
            assert!(ColumnClass::ALL.contains(&column.class));
        }
        assert_eq!(
            table.column_classes().len(),
            table.columns.len(),
            "{}: one class per column",
            table.name
        );
    }
}

#[test]
fn every_table_has_exactly_one_person_key_named_person_id() {
    for table in TABLES {
        let person_keys: Vec<&str> = table
            .columns
            .iter()
            .filter(|c| c.class == ColumnClass::PersonKey)
            .map(|c| c.name)
            .collect();
        assert_eq!(person_keys, ["person_id"], "{}", table.name);
        let person_id = table.column("person_id").expect("present");
        assert_eq!(
            (person_id.data_type, person_id.nullable),
            (ColumnType::Utf8, false),
            "{}",
            table.name
        );
    }
}

#[test]
fn no_column_is_named_for_a_direct_identifier() {
    // A tripwire, not a proof: the preamble of docs/warehouse.md states the rule.
    let forbidden = [
        "name",
        "kana",
        "insured",
        "insurer_no",
        "card",
        "branch",
        "birth_date",
        "postcode",
        "karte",
    ];
    for table in TABLES {
        for column in table.columns {
            for word in forbidden {
                assert!(
                    !column.name.contains(word),
                    "{}.{} looks like a direct identifier",
                    table.name,
                    column.name
                );
            }
        }
    }
}

#[test]
fn tables_are_found_by_name() {
    let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "ndb_claims",
            "ndb_diagnoses",
            "ndb_procedures",
            "ndb_drugs",
            "kaigo_certifications",
            "kaigo_claims",
            "dpc_cases",
            "dpc_items",
            "person_links",
            "record_origins"
        ]
    );
    let claims = table("ndb_claims").expect("defined");
    assert_eq!(
        claims.column("facility_id").map(|c| c.class),
        Some(ColumnClass::UnitKey)
    );
    assert_eq!(
        claims.column("total_points").map(|c| c.class),
        Some(ColumnClass::SensitiveMeasure)
    );
    assert!(claims.column("patient_name").is_none());
    assert!(table("patients").is_none());
    assert!(table("person_links").is_some_and(|t| t.steward_only));
}

#[test]
fn every_table_round_trips_with_zstd_statistics_page_index_and_classes() {
    let root = tempfile::tempdir().expect("temporary folder");
    for table in TABLES {
        let batches = [sample_batch(table, 0, 30), sample_batch(table, 30, 20)];
        let mut writer = TableWriter::create(root.path(), table).expect("fresh table folder");
        for batch in &batches {
            writer.write(batch).expect("batch follows the table");
        }
        assert_eq!(writer.rows_written(), 50);
        assert_eq!(writer.finish().expect("closes"), 50);

        let directory = table.directory(root.path());
        let parts = part_files(&directory);
        assert_eq!(parts, [directory.join("part-00000.parquet")], "{}", table.name);
        let (metadata, read) = read_part(&parts[0]);
        let written = concat_batches(&table.schema(), &batches).expect("same schema");
        assert_same_rows(&written, &read);
        assert_schema_is_the_tables(table, read.schema_ref());

        let file_metadata = metadata.file_metadata();
        assert_eq!(file_metadata.created_by(), Some("renkei"));
        let key_values = file_metadata.key_value_metadata().expect("key-value metadata");
        let value_of = |key: &str| {
            key_values
                .iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| kv.value.clone())
        };
        assert_eq!(value_of(TABLE_METADATA_KEY).as_deref(), Some(table.name));
        assert!(value_of(COLUMN_CLASSES_METADATA_KEY).is_some());

        assert!(metadata.num_row_groups() > 0);
        for row_group in metadata.row_groups() {
            for (chunk, column) in row_group.columns().iter().zip(table.columns) {
                let at = format!("{}.{}", table.name, column.name);
                assert!(
                    matches!(chunk.compression(), Compression::ZSTD(_)),
                    "{at}: {:?}",
                    chunk.compression()
                );
                assert!(chunk.statistics().is_some(), "{at}: no statistics");
                if column.data_type == ColumnType::Utf8 {
                    assert!(chunk.dictionary_page_offset().is_some(), "{at}: no dictionary page");
                }
            }
        }
        let column_index = metadata.column_index().expect("column index written");
        let offset_index = metadata.offset_index().expect("offset index written");
        for (row_group, offsets) in column_index.iter().zip(offset_index) {
            assert_eq!(row_group.len(), table.columns.len());
            assert!(
                row_group
                    .iter()
                    .all(|index| !matches!(index, ColumnIndexMetaData::NONE)),
                "{}",
                table.name
            );
            assert!(
                offsets.iter().all(|pages| !pages.page_locations().is_empty()),
                "{}",
                table.name
            );
        }

        assert_eq!(
            read_column_classes(&parts[0]).expect("classes stored"),
            table.column_classes()
        );
    }
}

#[test]
fn steward_only_tables_are_written_apart_from_analysis_tables() {
    let root = tempfile::tempdir().expect("temporary folder");
    let links = table("person_links").expect("defined");
    let mut writer = TableWriter::create(root.path(), links).expect("fresh table folder");
    writer
        .write(&sample_batch(links, 0, 5))
        .expect("batch follows the table");
    writer.finish().expect("closes");
    assert!(root.path().join("_linkage/person_links/part-00000.parquet").is_file());
    assert!(!root.path().join("person_links").exists());
}

#[test]
fn a_batch_that_does_not_follow_the_table_is_rejected() {
    let root = tempfile::tempdir().expect("temporary folder");
    let procedures = table("ndb_procedures").expect("defined");
    let mut writer = TableWriter::create(root.path(), procedures).expect("fresh table folder");

    let drugs = table("ndb_drugs").expect("defined");
    let error = writer
        .write(&sample_batch(drugs, 0, 4))
        .expect_err("a drugs batch is not a procedures batch");
    let WarehouseError::SchemaMismatch { table, reason } = &error else {
        panic!("expected a schema mismatch, got {error}");
    };
    assert_eq!(table, "ndb_procedures");
    assert!(
        reason.contains("column 4 is `drug_code`, expected `procedure_code`"),
        "{reason}"
    );
    assert!(error.to_string().contains("ndb_procedures"), "{error}");

    // Same names, one type off: points as Int32.
    let good = sample_batch(procedures, 0, 4);
    let mut fields: Vec<Field> = good.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[4] = Field::new("points", DataType::Int32, false);
    let mut columns = good.columns().to_vec();
    columns[4] = Arc::new(Int32Array::from(vec![1, 2, 3, 4]));
    let retyped = RecordBatch::try_new(Arc::new(Schema::new(fields.clone())), columns).expect("consistent batch");
    assert!(matches!(
        writer.write(&retyped),
        Err(WarehouseError::SchemaMismatch { .. })
    ));

    // Same names and types, nullability off.
    fields[4] = Field::new("points", DataType::Int64, true);
    let nullable = RecordBatch::try_new(Arc::new(Schema::new(fields)), good.columns().to_vec()).expect("consistent");
    let error = writer
        .write(&nullable)
        .expect_err("nullable points are not the table's");
    assert!(
        error
            .to_string()
            .contains("`points` is nullable, expected not nullable"),
        "{error}"
    );

    assert_eq!(writer.rows_written(), 0);
    writer.write(&good).expect("a matching batch is still accepted");
    assert_eq!(writer.finish().expect("closes"), 4);
}

#[test]
fn a_table_without_rows_still_has_one_readable_part() {
    let root = tempfile::tempdir().expect("temporary folder");
    let cases = table("dpc_cases").expect("defined");
    let mut writer = TableWriter::create(root.path(), cases).expect("fresh table folder");
    writer
        .write(&sample_batch(cases, 0, 0))
        .expect("an empty batch is a batch");
    assert_eq!(writer.finish().expect("closes"), 0);

    let parts = part_files(&cases.directory(root.path()));
    assert_eq!(parts.len(), 1);
    let (metadata, read) = read_part(&parts[0]);
    assert_eq!(read.num_rows(), 0);
    assert_eq!(metadata.file_metadata().num_rows(), 0);
    assert_schema_is_the_tables(cases, read.schema_ref());
    assert_eq!(
        read_column_classes(&parts[0]).expect("classes stored"),
        cases.column_classes()
    );
}

#[test]
fn a_new_part_starts_every_rows_per_file_rows() {
    let root = tempfile::tempdir().expect("temporary folder");
    let items = table("dpc_items").expect("defined");
    let three = NonZeroU64::new(3).expect("not zero");
    let mut writer = TableWriter::create_with_rows_per_file(root.path(), items, three).expect("fresh table folder");
    let batches = [
        sample_batch(items, 0, 2),
        sample_batch(items, 2, 2),
        sample_batch(items, 4, 3),
    ];
    for batch in &batches {
        writer.write(batch).expect("batch follows the table");
    }
    assert_eq!(writer.finish().expect("closes"), 7);

    let parts = part_files(&items.directory(root.path()));
    let names: Vec<_> = parts
        .iter()
        .filter_map(|p| p.file_name())
        .filter_map(|n| n.to_str())
        .collect();
    assert_eq!(
        names,
        ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    );
    let read: Vec<RecordBatch> = parts.iter().map(|p| read_part(p).1).collect();
    assert_eq!(read.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), [3, 3, 1]);
    let schema = read[0].schema();
    assert_same_rows(
        &concat_batches(&items.schema(), &batches).expect("same schema"),
        &concat_batches(&schema, &read).expect("same schema"),
    );
    for part in &parts {
        assert_eq!(
            read_column_classes(part).expect("classes stored"),
            items.column_classes()
        );
    }
}

#[test]
fn a_full_last_part_is_not_followed_by_an_empty_one() {
    let root = tempfile::tempdir().expect("temporary folder");
    let drugs = table("ndb_drugs").expect("defined");
    let three = NonZeroU64::new(3).expect("not zero");
    let mut writer = TableWriter::create_with_rows_per_file(root.path(), drugs, three).expect("fresh table folder");
    writer
        .write(&sample_batch(drugs, 0, 6))
        .expect("batch follows the table");
    assert_eq!(writer.finish().expect("closes"), 6);
    assert_eq!(part_files(&drugs.directory(root.path())).len(), 2);
}

#[test]
fn a_table_folder_with_files_is_refused() {
    let root = tempfile::tempdir().expect("temporary folder");
    let claims = table("kaigo_claims").expect("defined");
    let directory = claims.directory(root.path());
    std::fs::create_dir_all(&directory).expect("created");
    std::fs::write(directory.join("part-00003.parquet"), b"left from an earlier run").expect("written");
    let Err(WarehouseError::Io { path, source }) = TableWriter::create(root.path(), claims) else {
        panic!("a stale part must not join the table");
    };
    assert_eq!(path, directory);
    assert_eq!(source.kind(), std::io::ErrorKind::AlreadyExists);
}

#[test]
fn column_classes_are_read_only_from_warehouse_files() {
    let root = tempfile::tempdir().expect("temporary folder");
    let plain = |name: &str, key_values: Option<Vec<KeyValue>>| {
        let path = root.path().join(name);
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let properties = WriterProperties::builder().set_key_value_metadata(key_values).build();
        let mut writer = ArrowWriter::try_new(File::create(&path).expect("created"), schema.clone(), Some(properties))
            .expect("writer");
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))]).expect("batch");
        writer.write(&batch).expect("written");
        writer.close().expect("closed");
        path
    };

    let foreign = plain("foreign.parquet", None);
    assert!(matches!(read_column_classes(&foreign), Err(WarehouseError::MissingMetadata { path }) if path == foreign));

    let garbled = plain(
        "garbled.parquet",
        Some(vec![KeyValue::new(
            COLUMN_CLASSES_METADATA_KEY.to_string(),
            r#"{"x":"secret"}"#.to_string(),
        )]),
    );
    assert!(matches!(
        read_column_classes(&garbled),
        Err(WarehouseError::InvalidMetadata { .. })
    ));

    let not_parquet = root.path().join("notes.txt");
    std::fs::write(&not_parquet, b"not a Parquet file").expect("written");
    assert!(matches!(
        read_column_classes(&not_parquet),
        Err(WarehouseError::Parquet { .. })
    ));

    let missing = root.path().join("absent.parquet");
    assert!(matches!(read_column_classes(&missing), Err(WarehouseError::Io { .. })));
}
