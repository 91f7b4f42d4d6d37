//! Operating the broker (issue 29.5 and 29.11): a state database step that waits does not
//! stall the server; a query beyond `--query-timeout` is stopped with DEADLINE_EXCEEDED, and
//! a release so stopped leaves its request approved.

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
    let db = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    let outcome: String = db
        .query_row(
            "SELECT outcome FROM audit WHERE action = 'release' AND request_id = ?1 ORDER BY seq DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .expect("the stopped release is in the audit trail");
    assert_eq!(outcome, "deadline_exceeded");

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
