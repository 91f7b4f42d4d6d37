//! A `DoPut` of bound parameters as the broker reads it (`crates/broker/src/flight_sql/bind.rs`),
//! without arrow-flight: its crate builds tonic with the transport (hyper, h2, axum), which
//! the sanitizer build does not need. [`bind`] does with each message what arrow-flight
//! 59.3's `FlightRecordBatchStream` does (`decode.rs`, `extract_message`: the same arrow-ipc
//! calls, in the same order, with the same refusals), between the broker's own
//! `prepared::screen` before and `prepared::one_row` after.
//!
//! The broker takes a panic of arrow's decoding for a refusal (`bind.rs`: arrow-ipc 59.3
//! panics on malformed headers), and so does [`bind`]: [`decoding_panics_are_refusals`] lets
//! libFuzzer see every other panic as before, but not one inside arrow's decoding.
//!
//! The fuzz input is a sequence of messages, each a little-endian u32 length and that many
//! bytes of IPC header, then the same for its body; a length that runs past the end ends
//! the sequence (the rest is ignored).

use crate::prepared::{self, MAX_PARAMETER_BYTES, Refused};
use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::{RecordBatchDecoder, read_dictionary};
use arrow::ipc::{MessageHeader, convert, root_as_message};
use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Once};

thread_local! {
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once, a panic hook that passes a panic to libFuzzer's (which aborts) unless it
/// happens while arrow decodes a message in [`bind`]. Call it from the target: libFuzzer's
/// hook is set before the first input.
pub fn decoding_panics_are_refusals() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !DECODING.get() {
                fuzzer(info);
            }
        }));
    });
}

/// Arrow's decoding of one message, a panic of it a refusal as in the broker.
fn arrow<T>(step: impl FnOnce() -> Result<T, Failed>) -> Result<T, Failed> {
    DECODING.set(true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(step));
    DECODING.set(false);
    outcome.unwrap_or_else(|_| Err(decoding("the parameters are not a valid Arrow stream (arrow panicked)")))
}

/// One `FlightData` of a `DoPut`: its IPC header and its body (no app metadata).
pub struct Message<'a> {
    pub header: &'a [u8],
    pub body: &'a [u8],
}

fn take<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    let (part, rest) = rest.split_at_checked(len)?;
    *bytes = rest;
    Some(part)
}

/// The messages framed in `bytes` (module docs).
pub fn messages(mut bytes: &[u8]) -> Vec<Message<'_>> {
    let mut out = Vec::new();
    while let Some(header) = take(&mut bytes) {
        let Some(body) = take(&mut bytes) else { break };
        out.push(Message { header, body });
    }
    out
}

/// The inverse of [`messages`], for the seeds.
pub fn frame(messages: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (header, body) in messages {
        for part in [header, body] {
            let len = u32::try_from(part.len()).expect("a seed message under 4 GiB");
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// Why a bind failed: refused by the broker's screen before decoding, or after.
#[derive(Debug)]
pub enum Failed {
    Screened(Refused),
    /// What arrow-flight or `one_row` said (the broker maps it to one InvalidArgument).
    Decoding(String),
}

fn decoding(why: impl std::fmt::Display) -> Failed {
    Failed::Decoding(why.to_string())
}

/// The IPC stream a handle would keep for these messages, or why the broker refuses them.
pub fn bind(messages: &[Message<'_>]) -> Result<Vec<u8>, Failed> {
    let mut budget = MAX_PARAMETER_BYTES;
    let mut schema: Option<SchemaRef> = None;
    let mut dictionaries = HashMap::new();
    let mut rows = Vec::new();
    for m in messages {
        prepared::screen(m.header, m.body.len(), m.header.len() + m.body.len(), &mut budget)
            .map_err(Failed::Screened)?;
        arrow(|| {
            let message = root_as_message(m.header).map_err(decoding)?;
            match message.header_type() {
                MessageHeader::NONE => {}
                MessageHeader::Schema => {
                    if schema.is_some() {
                        return Err(decoding(
                            "Unexpectedly saw multiple Schema messages in FlightData stream",
                        ));
                    }
                    schema = Some(Arc::new(
                        convert::try_schema_from_flatbuffer_bytes(m.header).map_err(decoding)?,
                    ));
                    dictionaries = HashMap::new();
                }
                MessageHeader::DictionaryBatch => {
                    let schema = schema
                        .as_ref()
                        .ok_or_else(|| decoding("Received DictionaryBatch prior to Schema"))?;
                    let batch = message
                        .header_as_dictionary_batch()
                        .ok_or_else(|| decoding("Could not get dictionary batch from DictionaryBatch message"))?;
                    read_dictionary(
                        &Buffer::from(m.body),
                        batch,
                        schema,
                        &mut dictionaries,
                        &message.version(),
                    )
                    .map_err(decoding)?;
                }
                MessageHeader::RecordBatch => {
                    let schema = schema
                        .as_ref()
                        .ok_or_else(|| decoding("Received RecordBatch prior to Schema"))?;
                    let batch = message
                        .header_as_record_batch()
                        .ok_or_else(|| decoding("Unable to convert flight data header to a record batch"))?;
                    let body = Buffer::from(m.body);
                    let version = message.version();
                    let decoded =
                        RecordBatchDecoder::try_new(&body, batch, Arc::clone(schema), &dictionaries, &version)
                            .and_then(RecordBatchDecoder::read_record_batch)
                            .map_err(decoding)?;
                    rows.push(decoded);
                }
                other => return Err(decoding(format!("Unexpected message: {other:?}"))),
            }
            Ok(())
        })?;
    }
    prepared::one_row(&rows).map_err(|e| decoding(format!("{e:?}")))
}
