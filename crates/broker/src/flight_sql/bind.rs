//! The one parameter row a client binds to a prepared statement (`DoPut`): each message is
//! screened ([`prepared::screen`]) before arrow-flight decodes it, and a panic of the
//! decoding is a refusal. arrow-ipc 59.3 panics on malformed headers instead of failing: a
//! schema field of type NONE (`unimplemented!`), a union's bad type ids, a decimal's
//! precision over 255, some twenty `panic!`s and `unwrap()`s in `convert.rs` alone (found by
//! fuzz target `flight_sql`); the panic ended the call unaudited.

use super::prepared::{self, MAX_PARAMETER_BYTES};
use crate::error::BrokerError;
use arrow_flight::FlightData;
use arrow_flight::error::FlightError;
use futures::{FutureExt, Stream, StreamExt};
use std::panic::AssertUnwindSafe;

const MALFORMED: &str = "the parameters are not a valid Arrow stream";

/// The one parameter row a client binds (`DoPut`), as an IPC stream to keep in a handle.
pub async fn bound_row(
    messages: impl Stream<Item = Result<FlightData, FlightError>> + Send + 'static,
) -> Result<Vec<u8>, BrokerError> {
    let mut budget = MAX_PARAMETER_BYTES;
    let screened = messages.map(move |m| {
        m.and_then(|m| {
            let size = m.data_header.len() + m.data_body.len() + m.app_metadata.len();
            prepared::screen(&m.data_header, m.data_body.len(), size, &mut budget)
                .map_err(|refused| FlightError::ProtocolError(refused.to_string()))?;
            Ok(m)
        })
    });
    let mut batches = arrow_flight::decode::FlightRecordBatchStream::new_from_flight_data(screened);
    let mut rows = Vec::new();
    let malformed = || BrokerError::InvalidArgument(MALFORMED.into());
    // The decoder's state is lost with the panic, and so is the call: nothing is read after.
    while let Some(batch) = AssertUnwindSafe(batches.next())
        .catch_unwind()
        .await
        .map_err(|_| malformed())?
    {
        rows.push(batch.map_err(|e| {
            BrokerError::InvalidArgument(match e {
                FlightError::ProtocolError(why) => format!("the parameters are refused: {why}"),
                _ => MALFORMED.into(),
            })
        })?);
    }
    prepared::one_row(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `flight_sql` fuzz input's messages as `FlightData` (u32 LE length and header, the
    /// same for the body; fuzz/src/flight.rs).
    fn flight_data(mut bytes: &[u8]) -> Vec<Result<FlightData, FlightError>> {
        let mut take = || {
            let (len, rest) = bytes.split_first_chunk::<4>()?;
            let (part, rest) = rest.split_at_checked(u32::from_le_bytes(*len) as usize)?;
            bytes = rest;
            Some(part.to_vec())
        };
        std::iter::from_fn(|| {
            let (header, body) = (take()?, take()?);
            Some(Ok(FlightData::new().with_data_header(header).with_data_body(body)))
        })
        .collect()
    }

    #[test]
    fn a_schema_arrow_cannot_convert_is_refused_not_a_panic() {
        let input = include_bytes!("../../../../fuzz/seeds/flight_sql/crash_schema_type_none");
        let messages = futures::stream::iter(flight_data(input));
        let refused = futures::executor::block_on(bound_row(messages)).expect_err("refused");
        assert!(refused.to_string().contains("not a valid Arrow stream"), "{refused}");
    }
}
