//! Checked outputs as Arrow IPC: one stream for storage, and the same stream cut into its
//! schema message and one piece per record batch for `FetchResult`.

use crate::error::BrokerError;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;

/// Rows per streamed piece, so that a large result never meets gRPC's message size limit.
const ROWS_PER_PIECE: usize = 16_384;

/// The schema message, then one piece of IPC messages per (at most ROWS_PER_PIECE-row)
/// batch; concatenated they form an Arrow IPC stream (without its end marker, which a
/// stream reader does not need).
pub struct Pieces {
    pub schema: Vec<u8>,
    pub batches: Vec<Vec<u8>>,
}

fn writer_error(_: arrow::error::ArrowError) -> BrokerError {
    BrokerError::Arrow("encoding the output as Arrow IPC failed")
}

/// The whole output as one Arrow IPC stream.
pub fn encode(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, BrokerError> {
    let mut w = StreamWriter::try_new(Vec::new(), schema).map_err(writer_error)?;
    for b in batches {
        w.write(b).map_err(writer_error)?;
    }
    w.into_inner().map_err(writer_error)
}

/// The schema and batches of a stream written by [`encode`].
pub fn decode(stream: &[u8]) -> Result<(SchemaRef, Vec<RecordBatch>), BrokerError> {
    let fail = |_| BrokerError::Arrow("decoding a stored output failed");
    let reader = StreamReader::try_new(stream, None).map_err(fail)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(fail)?;
    Ok((schema, batches))
}

/// A stored stream cut into the pieces `FetchResult` sends.
pub fn pieces(stream: &[u8]) -> Result<Pieces, BrokerError> {
    let (schema, batches) = decode(stream)?;
    let mut w = StreamWriter::try_new(Vec::new(), &schema).map_err(writer_error)?;
    let mut cuts = vec![w.get_ref().len()];
    for b in &batches {
        let mut offset = 0;
        while offset < b.num_rows() {
            let len = ROWS_PER_PIECE.min(b.num_rows() - offset);
            w.write(&b.slice(offset, len)).map_err(writer_error)?;
            cuts.push(w.get_ref().len());
            offset += len;
        }
    }
    let bytes = w.get_ref();
    Ok(Pieces {
        schema: bytes[..cuts[0]].to_vec(),
        batches: cuts.windows(2).map(|c| bytes[c[0]..c[1]].to_vec()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn pieces_concatenate_to_the_stream_they_came_from() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("care_level", DataType::Utf8, true),
            Field::new("persons", DataType::Int64, true),
        ]));
        let rows = ROWS_PER_PIECE + 5;
        let levels: Vec<Option<String>> = (0..rows).map(|i| Some(format!("level {}", i % 7))).collect();
        let persons: Vec<Option<i64>> = (0..rows).map(|i| (i % 3 != 0).then_some(i as i64)).collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(StringArray::from(levels)), Arc::new(Int64Array::from(persons))],
        )
        .expect("batch");
        let stream = encode(&schema, std::slice::from_ref(&batch)).expect("encode");
        let p = pieces(&stream).expect("pieces");
        assert_eq!(p.batches.len(), 2, "a batch over the piece size is cut in two");
        let joined: Vec<u8> = p.schema.iter().chain(p.batches.iter().flatten()).copied().collect();
        let (schema_back, batches) = decode(&joined).expect("the pieces form a stream");
        assert_eq!(schema_back, schema);
        let back = arrow::compute::concat_batches(&schema, &batches).expect("concat");
        assert_eq!(back, batch);
    }
}
