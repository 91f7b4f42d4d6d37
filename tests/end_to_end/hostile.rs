//! Hostile clients against a running broker: nothing a caller sends is decoded before the
//! caller is known, and nothing one sends stops the server for everyone else (each test
//! checks the process still runs and still answers).
//!
//! The bomb is an Arrow IPC stream whose one buffer is LZ4-compressed and claims an
//! uncompressed length of 2^50 bytes: a reader that decompresses it asks for a petabyte and
//! the process aborts (before the fix, one unauthenticated `GetFlightInfo` did exactly that).

use super::broker::{Client, Server, world};
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::{CommandPreparedStatementQuery, ProstMessageExt};
use arrow_flight::{FlightData, FlightDescriptor};
use datafusion::arrow::array::Int64Array;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::ipc::CompressionType;
use datafusion::arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use datafusion::arrow::record_batch::RecordBatch;
use futures::StreamExt;
use prost::Message;
use std::sync::Arc;
use tonic::Code;
use tonic::transport::Channel;

/// Rows of the bomb's one column: its uncompressed length, 8 × 1,237 = 9,896 bytes, is the
/// little-endian prefix the bomb rewrites (a value no other field of the stream holds).
const ROWS: usize = 1_237;
const CLAIMED_BYTES: i64 = 1 << 50;

/// The prepared-statement handle as the server lays it out (SQL, then the bound parameters
/// as Arrow IPC): what a client that read the protocol would forge.
#[derive(Clone, PartialEq, prost::Message)]
struct ForgedHandle {
    #[prost(string, tag = "1")]
    sql: String,
    #[prost(bytes = "vec", optional, tag = "2")]
    parameters: Option<Vec<u8>>,
}

fn bomb_batch() -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("p", DataType::Int64, false)]));
    let values = Int64Array::from(vec![0x0102_0304_0506_0708_i64; ROWS]);
    RecordBatch::try_new(schema, vec![Arc::new(values)]).expect("a batch")
}

fn lz4() -> IpcWriteOptions {
    IpcWriteOptions::default()
        .try_with_compression(Some(CompressionType::LZ4_FRAME))
        .expect("LZ4 is built in")
}

/// Rewrites the one compressed buffer's uncompressed-length prefix in `bytes` to 2^50.
fn arm(bytes: &mut [u8]) {
    let prefix = i64::try_from(ROWS * 8).expect("small").to_le_bytes();
    let at: Vec<usize> = bytes
        .windows(8)
        .enumerate()
        .filter(|(_, w)| *w == prefix)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "the length prefix is found exactly once");
    bytes[at[0]..at[0] + 8].copy_from_slice(&CLAIMED_BYTES.to_le_bytes());
}

/// An IPC stream that claims 2^50 bytes once decompressed.
fn ipc_bomb() -> Vec<u8> {
    let batch = bomb_batch();
    let mut w = StreamWriter::try_new_with_options(Vec::new(), &batch.schema(), lz4()).expect("writer");
    w.write(&batch).expect("write");
    let mut bytes = w.into_inner().expect("stream");
    arm(&mut bytes);
    bytes
}

fn prepared_statement_descriptor(handle: Vec<u8>) -> FlightDescriptor {
    let command = CommandPreparedStatementQuery {
        prepared_statement_handle: handle.into(),
    };
    FlightDescriptor::new_cmd(command.as_any().encode_to_vec())
}

fn forged_descriptor() -> FlightDescriptor {
    prepared_statement_descriptor(
        ForgedHandle {
            sql: "SELECT count(*) FROM kaigo_claims WHERE $1 > 0".into(),
            parameters: Some(ipc_bomb()),
        }
        .encode_to_vec(),
    )
}

fn flight(channel: &Channel) -> FlightServiceClient<Channel> {
    FlightServiceClient::new(channel.clone())
}

/// A caller's request under project p-all.
fn with_project<T>(client: &Client, message: T) -> tonic::Request<T> {
    let mut r = client.req(message);
    r.metadata_mut()
        .insert("x-renkei-project", "p-all".parse().expect("ascii"));
    r
}

/// The server process is still running and still answers an authenticated call.
async fn still_serves(server: &mut Server, analyst: &Client) {
    assert!(
        server.child.try_wait().expect("the process can be polled").is_none(),
        "the broker process is still running"
    );
    let info = flight(&analyst.channel)
        .get_flight_info(statement(analyst, "SELECT count(*) AS claims FROM kaigo_claims".into()))
        .await;
    assert!(info.is_ok(), "an analyst's ordinary query still runs: {info:?}");
}

#[tokio::test]
async fn an_unauthenticated_prepared_statement_carrying_a_compressed_bomb_is_refused_unread() {
    let mut w = world().await;
    let anonymous = tonic::Request::new(forged_descriptor());
    let status = flight(&w.ito.channel)
        .get_flight_info(anonymous)
        .await
        .expect_err("no token, no answer");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    still_serves(&mut w.server, &w.ito).await;

    // A caller with a token is not trusted with the decoder either: the handle is not one
    // this server made, so its parameters are never decoded.
    let status = flight(&w.ito.channel)
        .get_flight_info(with_project(&w.ito, forged_descriptor()))
        .await
        .expect_err("a forged handle is refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    still_serves(&mut w.server, &w.ito).await;
}

#[tokio::test]
async fn bound_parameters_sent_compressed_are_refused_before_they_are_decompressed() {
    let mut w = world().await;
    let batch = bomb_batch();
    let mut messages: Vec<FlightData> = arrow_flight::encode::FlightDataEncoderBuilder::new()
        .with_options(lz4())
        .with_flight_descriptor(Some(prepared_statement_descriptor(
            ForgedHandle {
                sql: "SELECT count(*) FROM kaigo_claims WHERE $1 > 0".into(),
                parameters: None,
            }
            .encode_to_vec(),
        )))
        .build(futures::stream::iter([Ok(batch)]))
        .map(|m| m.expect("encodes"))
        .collect()
        .await;
    let armed = messages.iter_mut().filter(|m| !m.data_body.is_empty()).count();
    assert_eq!(armed, 1, "one message carries the batch's body");
    for m in &mut messages {
        if !m.data_body.is_empty() {
            let mut body = m.data_body.to_vec();
            arm(&mut body);
            m.data_body = body.into();
        }
    }
    for token in [None, Some(&w.ito)] {
        let stream = futures::stream::iter(messages.clone());
        let request = match token {
            Some(analyst) => with_project(analyst, stream),
            None => tonic::Request::new(stream),
        };
        // The refusal may come as the call's status or as the first answer of its stream.
        let status = match flight(&w.ito.channel).do_put(request).await {
            Err(status) => status,
            Ok(answers) => answers
                .into_inner()
                .next()
                .await
                .expect("an answer")
                .expect_err("compressed parameters are refused"),
        };
        let expected = if token.is_some() {
            Code::InvalidArgument
        } else {
            Code::Unauthenticated
        };
        assert_eq!(status.code(), expected, "{status:?}");
        still_serves(&mut w.server, &w.ito).await;
    }
}

/// A Flight SQL statement under p-all.
fn statement(analyst: &Client, sql: String) -> tonic::Request<FlightDescriptor> {
    let command = arrow_flight::sql::CommandStatementQuery {
        query: sql,
        transaction_id: None,
    };
    with_project(analyst, FlightDescriptor::new_cmd(command.as_any().encode_to_vec()))
}

#[tokio::test]
async fn a_query_nested_deeper_than_the_engine_plans_safely_is_refused_and_the_deepest_accepted_runs() {
    let mut w = world().await;
    // n ORs, n + 1 equalities and count(*)'s parenthesis and star: 998 is the longest chain
    // under renkei_engine::query_size::MAX_NESTING_TOKENS. 10,000 overflowed the stack.
    let ors = |n: usize| {
        format!(
            "SELECT count(*) AS claims FROM kaigo_claims WHERE care_level = 'x'{}",
            " OR care_level = 'x'".repeat(n)
        )
    };
    for n in [999, 10_000] {
        let status = flight(&w.ito.channel)
            .get_flight_info(statement(&w.ito, ors(n)))
            .await
            .expect_err("too deep");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().contains("operators and opening parentheses"),
            "{status:?}"
        );
        still_serves(&mut w.server, &w.ito).await;
    }
    // Plans nest too: 1,500 chained CTEs and 2,500 UNION ALL branches overflowed the stack.
    let ctes: Vec<String> = (1..1_900)
        .map(|i| format!("c{i} AS (SELECT n FROM c{})", i - 1))
        .collect();
    let chain = format!(
        "WITH c0 AS (SELECT count(*) AS n FROM kaigo_claims), {} SELECT n FROM c1899",
        ctes.join(", ")
    );
    let unions = vec!["SELECT count(*) AS n FROM kaigo_claims"; 2_500].join(" UNION ALL ");
    for sql in [chain, unions] {
        let status = flight(&w.ito.channel)
            .get_flight_info(statement(&w.ito, sql))
            .await
            .expect_err("too deep");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains("SELECTs, JOINs"), "{status:?}");
        still_serves(&mut w.server, &w.ito).await;
    }
    let deepest = flight(&w.ito.channel)
        .get_flight_info(statement(&w.ito, ors(998)))
        .await;
    assert!(deepest.is_ok(), "the deepest accepted query runs: {deepest:?}");
    still_serves(&mut w.server, &w.ito).await;
}

#[tokio::test]
async fn a_flood_of_unauthenticated_calls_is_audited_at_a_bounded_rate() {
    let w = world().await;
    let started = std::time::Instant::now();
    let calls = 400;
    for _ in 0..calls {
        let anonymous = tonic::Request::new(FlightDescriptor::new_cmd(b"x".to_vec()));
        let status = flight(&w.ito.channel)
            .get_flight_info(anonymous)
            .await
            .expect_err("no token");
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let seconds = started.elapsed().as_secs() + 1;
    // One more after a second has passed carries the count of those not recorded.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let _ = flight(&w.ito.channel)
        .get_flight_info(tonic::Request::new(FlightDescriptor::new_cmd(b"x".to_vec())))
        .await;
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    let recorded: u64 = conn
        .query_row(
            "SELECT count(*) FROM audit WHERE action LIKE 'authenticate%'",
            [],
            |r| r.get(0),
        )
        .expect("counts");
    assert!(
        recorded <= 20 * (seconds + 1) + 1,
        "{recorded} entries for {calls} calls in {seconds} s"
    );
    if recorded < calls + 1 {
        let summary: String = conn
            .query_row(
                "SELECT action FROM audit WHERE action LIKE 'authenticate (and %' ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("the calls not recorded are counted");
        assert!(summary.contains("more unauthenticated calls"), "{summary}");
    }
    assert!(w.server.audit_verify().status.success());
}
