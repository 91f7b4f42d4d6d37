//! The broker's limits under load, against a running server (issue 29.1 and 29.5): idle and
//! half-sent connections are closed and connections are capped per port; queries beyond
//! `--max-queries` wait for a place; a query beyond the shared memory pool fails with
//! UNAVAILABLE and the next one runs. Short timeouts and small limits keep each test to a few
//! seconds.

use super::broker::{Client, Server, World, world_on};
use arrow_flight::FlightDescriptor;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt};
use prost::Message;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;

/// The server's open file descriptors (Linux).
fn open_files(server: &Server) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", server.child.id()))
        .expect("the server's descriptors can be listed")
        .count()
}

/// Waits until the server closes `stream` (end of stream or a reset), at most `limit`;
/// whether it did.
async fn closed_by_server(mut stream: TcpStream, limit: Duration) -> bool {
    let mut byte = [0u8; 1024];
    let until = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut byte)).await {
            // A server's bytes (an HTTP/2 SETTINGS frame, a 408) before it closes.
            Ok(Ok(n)) if n > 0 => continue,
            Ok(_) => return true,
            Err(_) => return false,
        }
    }
}

/// A Flight SQL statement under `project`.
fn statement(analyst: &Client, project: &str, sql: &str) -> tonic::Request<FlightDescriptor> {
    let command = CommandStatementQuery {
        query: sql.into(),
        transaction_id: None,
    };
    let mut r = analyst.req(FlightDescriptor::new_cmd(command.as_any().encode_to_vec()));
    r.metadata_mut()
        .insert("x-renkei-project", project.parse().expect("ascii"));
    r
}

pub(crate) async fn flight_query(analyst: &Client, project: &str, sql: &str) -> Result<(), tonic::Status> {
    FlightServiceClient::new(analyst.channel.clone())
        .get_flight_info(statement(analyst, project, sql))
        .await
        .map(|_| ())
}

pub(crate) const CHEAP: &str = "SELECT count(*) AS claims FROM ndb_claims";

async fn world_with(args: &[&str]) -> World {
    world_on(Server::start_with("http", args)).await
}

#[tokio::test]
async fn idle_and_half_sent_connections_are_closed_and_each_port_is_capped() {
    const CAP: usize = 12;
    const IDLE: usize = 30;
    let w = world_with(&[
        "--http",
        "127.0.0.1:0",
        "--max-connections",
        &CAP.to_string(),
        "--header-timeout",
        "0.5",
    ])
    .await;
    let grpc = w.server.addr.trim_start_matches("http://").to_string();
    let console = w.server.console.clone().expect("a console");
    let console = console.trim_start_matches("http://").to_string();
    let before = open_files(&w.server);

    // Thirty connections that send nothing: the server accepts what the cap leaves free (the
    // world's six clients hold six places) and the others wait in the kernel's backlog.
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(
            TcpStream::connect(&grpc)
                .await
                .expect("the kernel completes the connect"),
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let held = open_files(&w.server).saturating_sub(before);
    assert!(
        held <= CAP,
        "{held} more open files with {IDLE} idle connections: the cap of {CAP} is not held"
    );
    // The world's clients, connected before, still answer at once.
    let started = Instant::now();
    flight_query(&w.ito, "p-ndb", CHEAP)
        .await
        .expect("an authenticated client keeps its connection and is answered");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A new client waits behind the idle connections for a place, and gets one once the
    // server has closed them (at 0.5 s each, five rounds of six).
    let started = Instant::now();
    let late = async {
        let late = w.server.connect(&w.ito.token).await;
        flight_query(&late, "p-ndb", CHEAP).await
    };
    tokio::time::timeout(Duration::from_secs(15), late)
        .await
        .expect("the late client gets a place once the idle connections are closed")
        .expect("the late client is answered");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400),
        "a client beyond the cap waits for a place (it was answered after {waited:?})"
    );
    for (n, stream) in idle.into_iter().enumerate() {
        assert!(
            closed_by_server(stream, Duration::from_secs(10)).await,
            "idle connection {n} was closed by the server"
        );
    }

    // Half an HTTP/2 preface, and on the console half a request's headers, or nothing.
    let mut half_preface = TcpStream::connect(&grpc).await.expect("connects");
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.expect("writes");
    let mut half_headers = TcpStream::connect(&console).await.expect("connects");
    half_headers
        .write_all(b"GET /signin HTTP/1.1\r\nHost: renkei\r\n")
        .await
        .expect("writes");
    let console_idle = TcpStream::connect(&console).await.expect("connects");
    for (what, stream) in [
        ("half a preface", half_preface),
        ("half a request's headers", half_headers),
        ("nothing, on the console", console_idle),
    ] {
        assert!(
            closed_by_server(stream, Duration::from_secs(5)).await,
            "a connection that sent {what} was closed"
        );
    }
    // The console still serves a whole request.
    let mut page = TcpStream::connect(&console).await.expect("connects");
    page.write_all(b"GET /signin HTTP/1.1\r\nHost: renkei\r\nConnection: close\r\n\r\n")
        .await
        .expect("writes");
    let mut answer = Vec::new();
    page.read_to_end(&mut answer).await.expect("reads the page");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..40.min(answer.len())])
    );
    flight_query(&w.ito, "p-ndb", CHEAP).await.expect("still serves");
}

/// A self-join of 26,511 procedure rows on person_id (one many-to-many join, what the
/// engine's fan-out bound allows: 551,027 rows) aggregated over a CUBE of six keys, 64
/// grouping sets: ~2.6 s on the test profile.
pub(crate) const SLOW: &str = "SELECT count(*) AS n FROM ndb_procedures a \
                    JOIN ndb_procedures b ON a.person_id = b.person_id \
                    GROUP BY CUBE (a.points > 100, b.points > 100, a.points > 200, b.points > 200, \
                    a.points > 300, b.points > 300)";

#[tokio::test]
async fn a_query_beyond_the_limit_waits_for_a_place_and_then_runs() {
    let w = world_with(&["--max-queries", "1"]).await;
    // Each under its own project: a project's Flight SQL statements wait for each other
    // anyway (its ledger lock).
    let slow = {
        let ito = w.server.connect(&w.ito.token).await;
        tokio::spawn(async move {
            flight_query(&ito, "p-all", SLOW).await.expect("the slow query runs");
            Instant::now()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = Instant::now();
    flight_query(&w.ito, "p-ndb", CHEAP)
        .await
        .expect("the query beyond the limit waits, then runs");
    let cheap_done = Instant::now();
    let slow_done = slow.await.expect("the slow query's task");
    assert!(
        cheap_done >= slow_done,
        "with one place, the cheap query sent {:?} after the slow one finished {:?} before it",
        Duration::from_millis(500),
        slow_done.saturating_duration_since(cheap_done)
    );
    assert!(cheap_done - sent >= Duration::from_millis(300), "it waited");
}

#[tokio::test]
async fn a_query_beyond_the_shared_memory_pool_fails_unavailable_and_the_next_runs() {
    // On the sample, dementia_by_care_level needs more than 8 MiB; a count needs little.
    let mut w = world_with(&["--memory-mib", "4"]).await;
    let sql = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries/dementia_by_care_level.sql"),
    )
    .expect("the study query");
    let status = flight_query(&w.ito, "p-all", &sql).await.expect_err("over the pool");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("4 MiB"), "{}", status.message());
    flight_query(&w.ito, "p-all", CHEAP).await.expect("the next query runs");
    assert!(w.server.child.try_wait().expect("polls").is_none(), "the server runs");
    let verify = w.server.audit_verify();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}
