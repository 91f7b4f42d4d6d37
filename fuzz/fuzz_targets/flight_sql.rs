//! The broker's Flight SQL prepared statements on bytes a client controls (a panic of
//! arrow's decoding is a refusal, as in the broker: `renkei_fuzz::flight`): the bytes as a
//! statement handle (`GetFlightInfo`, `DoPut`), and as the messages of a `DoPut` binding
//! parameters, whose row then goes where the broker puts it: into a sealed handle, opened
//! again at the next `GetFlightInfo`. No panic and no allocation beyond libFuzzer's limit;
//! besides: a handle opens only with the SQL it was sealed with, no compressed message is
//! ever decoded, an accepted bind is at most 64 KiB of one row, and the handle the broker
//! gives out for it opens, with one parameter per column.
#![no_main]

use arrow::ipc::root_as_message;
use libfuzzer_sys::fuzz_target;
use renkei_fuzz::flight;
use renkei_fuzz::prepared::{HandleSeal, MAX_PARAMETER_BYTES};
use renkei_fuzz::seeds::{KEY, SQL};

/// Whether an IPC header claims a compressed body (read independently of `screen`).
fn compressed(header: &[u8]) -> bool {
    let Ok(m) = root_as_message(header) else { return false };
    m.header_as_record_batch().and_then(|b| b.compression()).is_some()
        || m.header_as_dictionary_batch()
            .and_then(|d| d.data())
            .and_then(|b| b.compression())
            .is_some()
}

fuzz_target!(|bytes: &[u8]| {
    flight::decoding_panics_are_refusals();
    let seal = HandleSeal::new(&KEY);
    match (seal.sql_of(bytes), seal.open(bytes)) {
        (Ok(sql), Ok(statement)) => assert_eq!(sql, statement.sql, "two SQLs in one handle"),
        (Err(e), Ok(_)) => panic!("a handle opens whose SQL is refused: {e:?}"),
        _ => {}
    }

    let messages = flight::messages(bytes);
    let Ok(stream) = flight::bind(&messages) else { return };
    assert!(
        !messages.iter().any(|m| compressed(m.header)),
        "a compressed message was decoded"
    );
    let size: usize = messages.iter().map(|m| m.header.len() + m.body.len()).sum();
    assert!(size <= MAX_PARAMETER_BYTES, "{size} bytes of parameters accepted");
    let (schema, batches) = renkei_fuzz::ipc::decode(&stream).expect("the broker reads the row it wrote");
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1, "not one row");
    let handle = seal.seal(SQL.into(), Some(stream));
    match seal.open(&handle) {
        Ok(statement) => {
            assert_eq!(statement.sql, SQL);
            assert_eq!(
                statement.parameters.len(),
                schema.fields().len(),
                "a parameter per column"
            );
        }
        // A type DataFusion has no scalar of is refused when the statement runs; nothing else.
        Err(e) => assert!(format!("{e:?}").contains("type is not supported"), "{e:?}"),
    }
});
