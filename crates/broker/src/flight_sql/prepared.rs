//! Prepared statements without server state, and what a client may send for them.
//!
//! The handle holds the SQL and the bound parameter row, so a restart loses none; it is
//! sealed with a key derived from the broker's secret, so a handle this server did not make
//! is refused before any of it is decoded. The bound parameters arrive as Arrow IPC from
//! the client (`DoPut`, read in `bind.rs`): every message is read from its header first, and
//! a compressed body (whose claimed length a decompressor would allocate: 2^50 bytes aborted
//! the process) or more than [`MAX_PARAMETER_BYTES`] is refused before Arrow decodes it.
//!
//! Everything here works on bytes and names only arrow, DataFusion's common types, prost and
//! blake3, never tonic or arrow-flight: `fuzz/` compiles this file as it is
//! (docs/fuzzing.md), and those two with the sanitizer would build hyper, h2 and axum too.

use crate::error::BrokerError;
use crate::ipc;
use arrow::ipc::{MessageHeader, root_as_message};
use arrow::record_batch::RecordBatch;
use datafusion_common::ScalarValue;
use prost::Message;

/// Most bytes of one bound parameter row (headers and bodies of its IPC messages); one row
/// of codes, dates and numbers takes a few hundred.
pub const MAX_PARAMETER_BYTES: usize = 64 * 1024;
/// Most bytes of a handle: its SQL, its parameters and its seal.
pub const MAX_HANDLE_BYTES: usize = 1024 * 1024;

const SEAL_CONTEXT: &str = "renkei 2026-12 flight sql prepared statement handle seal";

/// A prepared statement's handle: everything needed to run it, so the server keeps nothing.
#[derive(Clone, PartialEq, prost::Message)]
struct PreparedHandle {
    #[prost(string, tag = "1")]
    sql: String,
    /// The bound parameter row as an Arrow IPC stream, written by this server.
    #[prost(bytes = "vec", optional, tag = "2")]
    parameters: Option<Vec<u8>>,
    /// Keyed BLAKE3 of the SQL and the parameters under [`HandleSeal`]'s key.
    #[prost(bytes = "vec", tag = "3")]
    seal: Vec<u8>,
}

/// A statement ready to run: its SQL and the values of `$1`, `$2`, …
pub struct Statement {
    pub sql: String,
    pub parameters: Vec<ScalarValue>,
}

/// Seals the handles this server gives out and opens only those.
pub struct HandleSeal {
    key: [u8; 32],
}

impl HandleSeal {
    pub fn new(broker_secret: &[u8; 32]) -> HandleSeal {
        HandleSeal {
            key: blake3::derive_key(SEAL_CONTEXT, broker_secret),
        }
    }

    fn tag(&self, sql: &str, parameters: Option<&[u8]>) -> blake3::Hash {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        // Lengths first, so that no two (sql, parameters) pairs hash the same bytes.
        h.update(&(sql.len() as u64).to_le_bytes());
        h.update(sql.as_bytes());
        match parameters {
            Some(p) => h.update(&[1]).update(&(p.len() as u64).to_le_bytes()).update(p),
            None => h.update(&[0]),
        };
        h.finalize()
    }

    /// A sealed handle for `sql` with `parameters` (an IPC stream this server wrote).
    pub fn seal(&self, sql: String, parameters: Option<Vec<u8>>) -> Vec<u8> {
        let seal = self.tag(&sql, parameters.as_deref()).as_bytes().to_vec();
        PreparedHandle { sql, parameters, seal }.encode_to_vec()
    }

    /// The SQL and parameters of a handle this server sealed; anything else is refused
    /// without decoding its parameters.
    fn open_parts(&self, bytes: &[u8]) -> Result<(String, Option<Vec<u8>>), BrokerError> {
        let foreign = || BrokerError::InvalidArgument("not a prepared statement handle of this server".into());
        if bytes.len() > MAX_HANDLE_BYTES {
            return Err(foreign());
        }
        let handle = PreparedHandle::decode(bytes).map_err(|_| foreign())?;
        let seal = blake3::Hash::from_slice(&handle.seal).map_err(|_| foreign())?;
        // blake3::Hash compares in constant time: a client cannot learn the seal byte by byte.
        if seal != self.tag(&handle.sql, handle.parameters.as_deref()) {
            return Err(foreign());
        }
        Ok((handle.sql, handle.parameters))
    }

    /// The SQL of a sealed handle, for binding new parameters to it.
    pub fn sql_of(&self, bytes: &[u8]) -> Result<String, BrokerError> {
        self.open_parts(bytes).map(|(sql, _)| sql)
    }

    /// The statement of a sealed handle, with its bound parameters decoded.
    pub fn open(&self, bytes: &[u8]) -> Result<Statement, BrokerError> {
        let (sql, parameters) = self.open_parts(bytes)?;
        let parameters = match parameters {
            Some(stream) => parameter_values(&stream)?,
            None => Vec::new(),
        };
        Ok(Statement { sql, parameters })
    }
}

/// The bound parameter row of a stream this server wrote, as values for `$1`, `$2`, …
fn parameter_values(stream: &[u8]) -> Result<Vec<ScalarValue>, BrokerError> {
    let (_, batches) = ipc::decode(stream)?;
    let Some(row) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(Vec::new());
    };
    row.columns()
        .iter()
        .map(|c| ScalarValue::try_from_array(c, 0))
        .collect::<Result<_, _>>()
        .map_err(|_| BrokerError::InvalidArgument("a parameter's type is not supported".into()))
}

/// Why a client message of bound parameters is refused before Arrow decodes it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the bound parameters exceed 64 KiB")]
    TooLarge,
    #[error("not an Arrow IPC message")]
    NotIpc,
    #[error("only a schema and record batches may be bound")]
    NotBindable,
    #[error("compressed Arrow IPC is not accepted; send the parameters uncompressed")]
    Compressed,
    #[error("a buffer lies outside the message body")]
    OutsideBody,
}

/// One client message of `size` bytes (header, body and metadata) whose IPC header is
/// `header` and whose body is `body_len` bytes, refused unless the header parses, its body
/// is uncompressed and every buffer it names lies inside the body; `budget` is what is left
/// of [`MAX_PARAMETER_BYTES`]. A message without a header passes (Arrow's decoder refuses it
/// as no message). arrow-ipc 59.3 panicked on a buffer at offset 2^60 of a 256-byte body
/// (found by fuzz target `flight_sql`): it slices the body before it checks.
pub fn screen(header: &[u8], body_len: usize, size: usize, budget: &mut usize) -> Result<(), Refused> {
    *budget = budget.checked_sub(size).ok_or(Refused::TooLarge)?;
    if header.is_empty() {
        return Ok(());
    }
    let header = root_as_message(header).map_err(|_| Refused::NotIpc)?;
    let batch = match header.header_type() {
        MessageHeader::RecordBatch => header.header_as_record_batch(),
        MessageHeader::DictionaryBatch => header.header_as_dictionary_batch().and_then(|d| d.data()),
        MessageHeader::Schema => None,
        _ => return Err(Refused::NotBindable),
    };
    let Some(batch) = batch else { return Ok(()) };
    if batch.compression().is_some() {
        return Err(Refused::Compressed);
    }
    let inside = |b: &arrow::ipc::Buffer| {
        let end = u64::try_from(b.offset())
            .ok()
            .zip(u64::try_from(b.length()).ok())
            .and_then(|(offset, length)| offset.checked_add(length));
        end.is_some_and(|end| end <= body_len as u64)
    };
    if batch.buffers().is_some_and(|buffers| !buffers.iter().all(inside)) {
        return Err(Refused::OutsideBody);
    }
    Ok(())
}

/// The decoded batches of a client's bound parameters as the IPC stream a handle keeps:
/// refused unless they hold exactly one row.
pub fn one_row(rows: &[RecordBatch]) -> Result<Vec<u8>, BrokerError> {
    if rows.iter().map(RecordBatch::num_rows).sum::<usize>() != 1 {
        return Err(BrokerError::InvalidArgument(
            "bind exactly one row of parameters".into(),
        ));
    }
    let schema = rows[0].schema();
    ipc::encode(&schema, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_opens_only_as_sealed_by_this_server() {
        let seal = HandleSeal::new(&[3; 32]);
        let handle = seal.seal("SELECT 1".into(), None);
        assert_eq!(seal.open(&handle).expect("opens").sql, "SELECT 1");
        let mut edited = PreparedHandle::decode(handle.as_slice()).expect("a handle");
        edited.sql = "SELECT 2".into();
        assert!(seal.open(&edited.encode_to_vec()).is_err(), "edited SQL");
        let other_server = HandleSeal::new(&[4; 32]);
        assert!(other_server.open(&handle).is_err(), "another broker's handle");
        assert!(seal.open(&vec![0; MAX_HANDLE_BYTES + 1]).is_err(), "too large");
    }

    /// The messages of a `flight_sql` fuzz input: u32 LE length and header, the same for
    /// the body (fuzz/src/flight.rs).
    fn framed(mut bytes: &[u8]) -> Vec<(&[u8], &[u8])> {
        let mut take = || {
            let (len, rest) = bytes.split_first_chunk::<4>()?;
            let (part, rest) = rest.split_at_checked(u32::from_le_bytes(*len) as usize)?;
            bytes = rest;
            Some(part)
        };
        std::iter::from_fn(|| Some((take()?, take()?))).collect()
    }

    #[test]
    fn a_buffer_outside_the_body_is_refused_before_arrow_slices_it() {
        let input = include_bytes!("../../../../fuzz/seeds/flight_sql/crash_buffer_outside_body");
        let messages = framed(input);
        assert_eq!(messages.len(), 2, "a schema and a record batch");
        let mut budget = MAX_PARAMETER_BYTES;
        let (schema, body) = messages[0];
        assert_eq!(
            screen(schema, body.len(), schema.len() + body.len(), &mut budget),
            Ok(())
        );
        let (batch, body) = messages[1];
        let refused = screen(batch, body.len(), batch.len() + body.len(), &mut budget);
        assert_eq!(refused, Err(Refused::OutsideBody));
    }
}
