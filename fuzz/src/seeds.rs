//! The seeds of the broker targets, written by this module's test rather than pasted:
//!
//!     cd fuzz && RENKEI_WRITE_SEEDS=1 cargo +nightly test --lib seeds
//!
//! writes `seeds/flight_sql/` (framed `DoPut` messages as an ADBC or pyarrow client sends
//! them, and sealed handles) and `seeds/console_forms/` (form bodies and queries as a
//! browser sends them). Without the variable the test checks that the committed seeds are
//! what it would write, and that each does what its name says in the broker's code.

use crate::flight;
use crate::prepared::HandleSeal;
use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, DictionaryArray, Int32Array, Int64Array, ListArray, StringArray,
    StructArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type};
use arrow::ipc::CompressionType;
use arrow::ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions};
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// The seal key of the `flight_sql` target (any fixed key: the broker derives its own).
pub const KEY: [u8; 32] = [7; 32];

/// The SQL of the seeds' handles.
pub const SQL: &str = "SELECT care_level, count(*) FROM kaigo_claims WHERE service_month = $1 GROUP BY 1";

/// A batch's messages as arrow-flight's encoder sends them: schema, dictionaries, batch.
fn messages(batch: &RecordBatch, options: &IpcWriteOptions) -> Vec<(Vec<u8>, Vec<u8>)> {
    let generator = IpcDataGenerator::default();
    let mut tracker = DictionaryTracker::new(false);
    let schema = generator.schema_to_bytes_with_dictionary_tracker(batch.schema_ref(), &mut tracker, options);
    let (dictionaries, batch) = generator
        .encode(batch, &mut tracker, options, &mut IpcWriteContext::default())
        .expect("a seed batch encodes");
    std::iter::once(schema)
        .chain(dictionaries)
        .chain(std::iter::once(batch))
        .map(|e| (e.ipc_message, e.arrow_data))
        .collect()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).expect("a seed batch")
}

/// The parameter rows of the seeds, by name.
fn rows() -> Vec<(&'static str, RecordBatch)> {
    let scalars = batch(vec![
        ("p1", Arc::new(Int64Array::from(vec![202604])) as ArrayRef),
        ("p2", Arc::new(StringArray::from(vec!["要介護3"]))),
        ("p3", Arc::new(Date32Array::from(vec![20_575]))),
    ]);
    let two_rows = batch(vec![("p1", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef)]);
    let dictionary: DictionaryArray<Int32Type> = vec!["13101"].into_iter().collect();
    let dictionary = batch(vec![("p1", Arc::new(dictionary) as ArrayRef)]);
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None, Some(3)])]);
    let decimal = Decimal128Array::from(vec![12_345])
        .with_precision_and_scale(10, 2)
        .expect("decimal");
    let stamp = TimestampMillisecondArray::from(vec![1_796_000_000_000]).with_timezone("Asia/Tokyo");
    let record = StructArray::from(vec![
        (
            Arc::new(Field::new("code", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![Some("A01")])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("n", DataType::Int32, true)),
            Arc::new(Int32Array::from(vec![None])) as ArrayRef,
        ),
    ]);
    let nested = batch(vec![
        ("p1", Arc::new(list) as ArrayRef),
        ("p2", Arc::new(decimal)),
        ("p3", Arc::new(stamp)),
        ("p4", Arc::new(record)),
    ]);
    vec![
        ("scalars", scalars),
        ("two_rows", two_rows),
        ("dictionary", dictionary),
        ("nested", nested),
    ]
}

/// Every seed file: (target, name, bytes).
pub fn all() -> Vec<(&'static str, String, Vec<u8>)> {
    let plain = IpcWriteOptions::default();
    let lz4 = IpcWriteOptions::default()
        .try_with_compression(Some(CompressionType::LZ4_FRAME))
        .expect("lz4 is built (datafusion-common's arrow-ipc features)");
    let seal = HandleSeal::new(&KEY);
    let mut out = Vec::new();
    for (name, row) in rows() {
        out.push((
            "flight_sql",
            format!("bind_{name}"),
            flight::frame(&messages(&row, &plain)),
        ));
    }
    let (_, scalars) = &rows()[0];
    out.push(("flight_sql", "bind_lz4".into(), flight::frame(&messages(scalars, &lz4))));
    let stream = crate::ipc::encode(scalars.schema_ref(), std::slice::from_ref(scalars)).expect("a stream");
    out.push(("flight_sql", "handle_unbound".into(), seal.seal(SQL.into(), None)));
    out.push(("flight_sql", "handle_bound".into(), seal.seal(SQL.into(), Some(stream))));
    let forms: [(&str, &str); 8] = [
        (
            "sign_in",
            "token=rk_3f9a0c7e5b1d4a2f8e6c0b9d7a5f3e1c&csrf=4b8e2d6f0a1c3e5b7d9f1a3c5e7b9d0f",
        ),
        ("csrf", "csrf=4b8e2d6f0a1c3e5b7d9f1a3c5e7b9d0f"),
        (
            "approve",
            "csrf=4b8e2d6f0a1c3e5b7d9f1a3c5e7b9d0f&output=9c1e5f3a7b2d4e6f8a0c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f",
        ),
        (
            "reject",
            "csrf=4b8e2d6f&reason=%E5%B0%8F%E3%81%95%E3%81%84%E3%82%BB%E3%83%AB+%28n%3D3%29+-+cells+too+small",
        ),
        ("pending", "project=kaigo-2026.q1&older_than_days=14&after=120"),
        ("pending_blank", "project=++&older_than_days=&after="),
        // Found by the target: a year before 0 is written with a sign (docs/fuzzing.md).
        ("pending_before_year_0", "older_than_days=1482626"),
        (
            "cookies",
            "renkei_session=5f1c9e3a7b; renkei_sign_in=0d2b4f6a\nother=1; renkei_session_x=2",
        ),
    ];
    for (name, text) in forms {
        out.push(("console_forms", name.into(), text.as_bytes().to_vec()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flight::Failed;
    use crate::prepared::Refused;
    use std::path::PathBuf;

    fn path(target: &str, name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("seeds")
            .join(target)
            .join(name)
    }

    #[test]
    fn seeds_are_written_by_this_module() {
        let write = std::env::var_os("RENKEI_WRITE_SEEDS").is_some();
        for (target, name, bytes) in all() {
            let file = path(target, &name);
            if write {
                std::fs::create_dir_all(file.parent().expect("a directory")).expect("mkdir");
                std::fs::write(&file, &bytes).expect("write a seed");
            }
            let committed = std::fs::read(&file).unwrap_or_default();
            assert!(
                committed == bytes,
                "{} differs; RENKEI_WRITE_SEEDS=1 rewrites it",
                file.display()
            );
        }
    }

    #[test]
    fn seeds_do_what_their_names_say() {
        let seal = HandleSeal::new(&KEY);
        for (target, name, bytes) in all() {
            if target != "flight_sql" {
                continue;
            }
            let bound = flight::bind(&flight::messages(&bytes));
            match name.as_str() {
                "bind_scalars" | "bind_dictionary" | "bind_nested" => {
                    let stream = bound.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                    let handle = seal.seal(SQL.into(), Some(stream));
                    let statement = seal.open(&handle).unwrap_or_else(|e| panic!("{name}: {e:?}"));
                    assert!(!statement.parameters.is_empty(), "{name}");
                }
                "bind_two_rows" => assert!(matches!(bound, Err(Failed::Decoding(_))), "{name}"),
                "bind_lz4" => assert!(matches!(bound, Err(Failed::Screened(Refused::Compressed))), "{name}"),
                "handle_unbound" => assert!(seal.open(&bytes).expect("opens").parameters.is_empty()),
                "handle_bound" => assert_eq!(seal.open(&bytes).expect("opens").parameters.len(), 3),
                other => panic!("seed {other} has no expectation"),
            }
        }
    }
}
