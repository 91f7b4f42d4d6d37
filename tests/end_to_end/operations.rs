//! Operating the broker (issue 29.5, 29.6 and 29.11): a state database step that waits does
//! not stall the server; a query beyond `--query-timeout` is stopped with DEADLINE_EXCEEDED,
//! and a release so stopped leaves its request approved; the logs name calls and carry no
//! SQL, token or user at the default level; the audit head is logged on a schedule.

use super::broker::{Launch, Server, sql, world, world_on};
use super::crash::restart;
use super::limits::{CHEAP, SLOW, flight_query};
use renkei_proto::v1 as pb;
use std::time::Duration;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// A step on the state database that waits (here for a write lock another process holds, as
/// a backup or an `sqlite3` shell may) runs off the async workers: with a single worker, the
/// server still answers what needs no database while it waits, and the step ends after.
#[tokio::test]
async fn a_database_step_that_waits_does_not_stall_the_server() {
    let one_worker = Launch {
        env: &[("TOKIO_WORKER_THREADS", "1")],
        ..Launch::default()
    };
    let w = world_on(Server::start_launched(&[], &one_worker)).await;
    let db = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    db.busy_timeout(Duration::from_secs(5)).expect("sets the busy timeout");
    db.execute_batch("BEGIN IMMEDIATE").expect("takes the write lock");
    // A listing writes its audit entry: it waits for the lock (the server's busy timeout is
    // 10 s).
    let listing = {
        let sato = w.server.connect(&w.sato.token).await;
        tokio::spawn(async move { sato.list_all("p-all").await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut health = HealthClient::new(w.sato.channel.clone());
    let check = health.check(HealthCheckRequest { service: String::new() });
    let answer = tokio::time::timeout(Duration::from_secs(2), check).await;
    let still_waiting = !listing.is_finished();
    db.execute_batch("COMMIT").expect("lets the lock go");
    assert!(
        matches!(answer, Ok(Ok(_))),
        "the health check is answered while a database step waits: {answer:?}"
    );
    assert!(still_waiting, "the listing waited for the lock");
    let listed = listing
        .await
        .expect("the listing's task")
        .expect("listed once the lock is free");
    assert!(listed.is_empty(), "p-all has no requests yet");
}

/// A Flight SQL statement beyond `--query-timeout` is stopped with DEADLINE_EXCEEDED and the
/// next one runs; a release beyond it leaves the request approved with the failure audited
/// (only disclosure control's verdict refuses), and a check beyond it refuses the request.
#[tokio::test]
async fn a_query_beyond_the_query_timeout_is_deadline_exceeded_and_a_release_stays_approved() {
    let mut w = world().await;
    // Checked and approved under the default limit (15 minutes): the query takes ~2.6 s.
    let id = w.sato.submit("p-all", sql(SLOW)).await.expect("checked").id;
    w.kato.approve(id).await.expect("approved");

    let (sato, kato) = restart(&mut w, &["--query-timeout", "1"]).await;
    let ito = w.server.connect(&w.ito.token).await;
    let status = flight_query(&ito, "p-all", SLOW).await.expect_err("beyond the limit");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("--query-timeout"), "{}", status.message());
    flight_query(&ito, "p-ndb", CHEAP)
        .await
        .expect("the next statement runs");

    let status = kato.release(id).await.expect_err("the re-run is beyond the limit");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("stays approved"), "{}", status.message());
    assert_eq!(
        sato.get(id).await.expect("its state").state(),
        pb::RequestState::Approved
    );
    assert_eq!(w.server.last_release_outcome(id), "deadline_exceeded");

    let status = sato
        .submit("p-all", sql(SLOW))
        .await
        .expect_err("the check is beyond the limit");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    let requests = sato.list_all("p-all").await.expect("listed");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].state(), pb::RequestState::Refused);
    let verify = w.server.audit_verify();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}

/// The server's standard error so far.
fn logs_of(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).expect("the server's stderr")
}

/// At the default level the logs name each call's method and carry nothing a caller sent:
/// not the SQL (a distinctive literal in a statement that runs, in one that does not plan,
/// whose error quotes it, and in a request), no token, no user. At `--log debug` the SQL is
/// there: the steward's explicit choice.
#[tokio::test]
async fn the_logs_name_calls_and_carry_no_sql_token_or_user_at_the_default_level() {
    const LITERAL: &str = "zq7distinctliteral";
    let runs = format!("SELECT count(*) AS claims FROM ndb_claims WHERE '{LITERAL}' <> ''");
    let fails = format!("SELECT {LITERAL} FROM ndb_claims");
    let dir = tempfile::tempdir().expect("temp dir");
    let stderr = dir.path().join("info.log");
    let logged = Launch {
        stderr: Some(&stderr),
        ..Launch::default()
    };
    let w = world_on(Server::start_launched(&[], &logged)).await;
    flight_query(&w.ito, "p-ndb", &runs).await.expect("the statement runs");
    let status = flight_query(&w.ito, "p-ndb", &fails).await.expect_err("no such column");
    assert!(
        status.message().contains(LITERAL),
        "the caller is told: {}",
        status.message()
    );
    w.sato
        .submit("p-all", sql(&runs))
        .await
        .expect("the request is checked");
    let anonymous = Server::connect(&w.server, "not-a-token").await;
    assert!(anonymous.list_all("p-all").await.is_err());
    let logs = logs_of(&stderr);
    for expected in [
        "broker started",
        "method=\"flight_query\"",
        "method=\"submit\"",
        "outcome=\"invalid_query\"",
        "outcome=\"unauthenticated\"",
    ] {
        assert!(logs.contains(expected), "the logs carry {expected}: {logs}");
    }
    assert!(!logs.contains(LITERAL), "no SQL in the logs: {logs}");
    for token in [&w.server.admin_token, &w.sato.token, &w.ito.token] {
        assert!(!logs.contains(token.as_str()), "no token in the logs");
    }
    assert!(!logs.contains("sato"), "no user in the logs: {logs}");
    drop(w);

    let stderr = dir.path().join("debug.log");
    let debug = Launch {
        stderr: Some(&stderr),
        ..Launch::default()
    };
    let w = world_on(Server::start_launched(&["--log", "debug"], &debug)).await;
    flight_query(&w.ito, "p-ndb", &runs).await.expect("the statement runs");
    assert!(logs_of(&stderr).contains(LITERAL), "at debug, the SQL is logged");
}

/// `--audit-head-every` logs the audit trail's head on a schedule: the newest entry's number
/// and hash, as `renkei audit verify` finds them.
#[tokio::test]
async fn the_audit_head_is_logged_on_a_schedule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stderr = dir.path().join("stderr");
    let logged = Launch {
        stderr: Some(&stderr),
        ..Launch::default()
    };
    let w = world_on(Server::start_launched(&["--audit-head-every", "0.2"], &logged)).await;
    // No call from here on: the head stays, and is logged again.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let verify = w.server.audit_verify();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    let printed = String::from_utf8_lossy(&verify.stdout).to_string();
    // "audit trail intact: N entries; head H"
    let (entries, head) = printed
        .trim()
        .strip_prefix("audit trail intact: ")
        .and_then(|rest| rest.split_once(" entries; head "))
        .unwrap_or_else(|| panic!("verify's line: {printed}"));
    let logs = logs_of(&stderr);
    let line = format!("audit head entry={entries} head={head}");
    assert!(logs.contains(&line), "the logs carry `{line}`: {logs}");
    assert!(logs.matches("audit head entry=").count() >= 2, "on a schedule: {logs}");
}
