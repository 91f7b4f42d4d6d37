//! Operating the broker (issue 29.5 and 29.11): a state database step that waits does not
//! stall the server.

use super::broker::{Launch, Server, world_on};
use std::time::Duration;
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
