//! Chaos (issue 29's acceptance): a burst of submissions, steward steps and Flight SQL
//! queries while the broker is killed with SIGKILL and restarted, and while the warehouse it
//! serves is republished (`renkei_ingest` publishing over the path the broker was started
//! with). Afterwards no request is lost (every acknowledged submission is stored), none is
//! duplicated (each id once, no more stored than acknowledged plus one in flight per client
//! and kill), none is stuck (none stays `submitted`; an acknowledged approval or release
//! holds), no call failed while the server was alive, and `renkei audit verify` passes.
//!
//! Two forms:
//! - `three_kills_and_a_republish_lose_nothing` (in the default suite, ~20 s): three rounds,
//!   each killed once a few submissions and a Flight SQL query were answered; the
//!   warehouse is republished during the second.
//! - `many_kills_and_republishes_lose_nothing` (`#[ignore]`; run it with
//!   `cargo test --workspace --all-features --test end_to_end -- --ignored chaos::`): twelve
//!   rounds of longer bursts, republished in three of them.

use super::broker::{Client, Server, World, named, spawn_server_over, world_on};
use super::crash::{all_checked, nothing_lost_or_stuck};
use arrow_flight::FlightDescriptor;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt};
use prost::Message;
use renkei_proto::v1 as pb;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Clients of one burst: how many submit at once.
const SUBMITTERS: usize = 3;

/// What the server acknowledged, over every round, and what went wrong while it was alive.
#[derive(Default)]
struct Seen {
    submitted: Mutex<BTreeSet<u64>>,
    approved: Mutex<BTreeSet<u64>>,
    released: Mutex<BTreeSet<u64>>,
    /// Flight SQL queries answered in full, this round.
    queries: AtomicUsize,
    /// Set just before the server is killed: an error after it is the kill's.
    killing: AtomicBool,
    /// Calls that failed while the server was alive, with their status.
    unexpected: Mutex<Vec<String>>,
}

impl Seen {
    /// Whether the calling task goes on after `status`: not once the server is being
    /// killed; an error before that is recorded as unexpected (and the task goes on).
    fn failed(&self, what: &str, status: &tonic::Status) -> bool {
        if self.killing.load(Ordering::SeqCst) {
            return false;
        }
        let mut unexpected = self.unexpected.lock().expect("lock");
        unexpected.push(format!("{what}: {status:?}"));
        // A server that fails every call must not spin the task forever.
        unexpected.len() < 20
    }

    fn count(set: &Mutex<BTreeSet<u64>>) -> usize {
        set.lock().expect("lock").len()
    }
}

/// The sample ingested (under the key every broker test uses) and published at `out`.
fn publish_sample(out: &Path) {
    let options = renkei_ingest::Options {
        input: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data"),
        out: out.to_path_buf(),
        progress: false,
    };
    renkei_ingest::ingest(&renkei_pseudonymize::Key::from_bytes([7; 32]), &options).expect("sample data ingests");
}

/// A Flight SQL query under p-all, read to its last batch.
async fn flight_query(analyst: &Client) -> Result<(), tonic::Status> {
    let command = CommandStatementQuery {
        query: "SELECT sex, count(DISTINCT person_id) AS persons FROM kaigo_claims GROUP BY sex".into(),
        transaction_id: None,
    };
    fn with_project<T>(mut r: tonic::Request<T>) -> tonic::Request<T> {
        r.metadata_mut()
            .insert("x-renkei-project", "p-all".parse().expect("ascii"));
        r
    }
    let mut flight = FlightServiceClient::new(analyst.channel.clone());
    let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
    let info = flight
        .get_flight_info(with_project(analyst.req(descriptor)))
        .await?
        .into_inner();
    for endpoint in info.endpoint {
        let ticket = endpoint
            .ticket
            .ok_or_else(|| tonic::Status::internal("an endpoint without a ticket"))?;
        let mut stream = flight.do_get(with_project(analyst.req(ticket))).await?.into_inner();
        while stream.message().await?.is_some() {}
    }
    Ok(())
}

/// Starts the burst's clients on the server `w` points at now: submitters, one steward
/// approving and releasing what is pending, one analyst querying over Flight SQL. Each
/// stops at its first error once the server is being killed.
async fn burst(w: &World, seen: &Arc<Seen>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for _ in 0..SUBMITTERS {
        let client = w.server.connect(&w.sato.token).await;
        let seen = Arc::clone(seen);
        tasks.push(tokio::spawn(async move {
            loop {
                match client.submit("p-all", named("ltc_users_by_care_level_and_sex")).await {
                    Ok(r) => {
                        seen.submitted.lock().expect("lock").insert(r.id);
                    }
                    Err(s) if !seen.failed("submit", &s) => return,
                    Err(_) => {}
                }
            }
        }));
    }
    let steward = w.server.connect(&w.kato.token).await;
    let seen_by_steward = Arc::clone(seen);
    tasks.push(tokio::spawn(async move {
        let seen = seen_by_steward;
        loop {
            let pending = match steward
                .steward()
                .list_pending(steward.req(pb::ListPendingRequest::default()))
                .await
            {
                Ok(pending) => pending.into_inner().requests,
                Err(s) if !seen.failed("list_pending", &s) => return,
                Err(_) => continue,
            };
            for r in pending {
                let (step, acknowledged) = match r.state() {
                    pb::RequestState::Checked => (steward.approve(r.id).await, &seen.approved),
                    pb::RequestState::Approved => (steward.release(r.id).await, &seen.released),
                    _ => continue,
                };
                match step {
                    Ok(_) => {
                        acknowledged.lock().expect("lock").insert(r.id);
                    }
                    Err(s) if !seen.failed("steward step", &s) => return,
                    Err(_) => {}
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }));
    let analyst = w.server.connect(&w.ito.token).await;
    let seen = Arc::clone(seen);
    tasks.push(tokio::spawn(async move {
        loop {
            match flight_query(&analyst).await {
                Ok(()) => {
                    seen.queries.fetch_add(1, Ordering::SeqCst);
                }
                Err(s) if !seen.failed("flight sql", &s) => return,
                Err(_) => {}
            }
        }
    }));
    tasks
}

/// Waits until `done` holds (checked every 20 ms), for at most a minute.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..3000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not within a minute");
}

/// Starts a new server process on the same data directory and warehouse path (a new port),
/// and reconnects the world's callers to it.
async fn restart(w: &mut World, warehouse: &Path) {
    let (child, addr, _) = spawn_server_over(warehouse, &w.server.data, &[]);
    w.server.child = child;
    w.server.addr = format!("http://{addr}");
    for client in [&mut w.sato, &mut w.kato, &mut w.ito] {
        let token = client.token.clone();
        *client = w.server.connect(&token).await;
    }
}

/// `rounds` bursts, each ended by SIGKILL once `submits` more submissions were acknowledged
/// and a Flight SQL query answered; during the rounds in `republish_in`, the warehouse is
/// published again first (and the kill waits for it).
async fn chaos(rounds: usize, submits: usize, republish_in: &[usize]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let warehouse: PathBuf = dir.path().join("warehouse");
    publish_sample(&warehouse);
    let mut w = world_on(Server::start_over(&warehouse, "http", &[])).await;
    let seen = Arc::new(Seen::default());
    for round in 0..rounds {
        seen.killing.store(false, Ordering::SeqCst);
        seen.queries.store(0, Ordering::SeqCst);
        let tasks = burst(&w, &seen).await;
        if republish_in.contains(&round) {
            let before = renkei_warehouse::published::resolve(&warehouse).expect("resolves");
            let out = warehouse.clone();
            tokio::task::spawn_blocking(move || publish_sample(&out))
                .await
                .expect("the republish ran");
            let after = renkei_warehouse::published::resolve(&warehouse).expect("resolves");
            assert_ne!(before, after, "a new generation was published");
            // The kill waits for answers over the new one.
            seen.queries.store(0, Ordering::SeqCst);
        }
        let target = Seen::count(&seen.submitted) + submits;
        until("the burst ran", || {
            Seen::count(&seen.submitted) >= target && seen.queries.load(Ordering::SeqCst) >= 1
        })
        .await;
        seen.killing.store(true, Ordering::SeqCst);
        w.server.child.kill().expect("SIGKILL");
        w.server.child.wait().expect("reaped");
        for t in tasks {
            t.await.expect("a client task");
        }
        restart(&mut w, &warehouse).await;
    }

    let unexpected = seen.unexpected.lock().expect("lock").clone();
    assert!(
        unexpected.is_empty(),
        "calls failed while the server was alive: {unexpected:#?}"
    );
    let (submitted, approved, released) = (
        seen.submitted.lock().expect("lock").clone(),
        seen.approved.lock().expect("lock").clone(),
        seen.released.lock().expect("lock").clone(),
    );
    assert!(
        !released.is_empty(),
        "the stewards released something: the test exercised release"
    );
    let listed = all_checked(&w.sato).await;
    // At most one submission per submitter was in flight at each kill.
    nothing_lost_or_stuck(&listed, &submitted, rounds * SUBMITTERS, &approved, &released);
    let last = *released.iter().next_back().expect("one released");
    assert!(w.sato.fetch(last).await.is_ok(), "a release fetches after the kills");
    // Work goes on: a submission checks and a Flight SQL query answers.
    w.sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("a submission after the kills");
    flight_query(&w.ito).await.expect("a Flight SQL query after the kills");
    let o = w.server.audit_verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_kills_and_a_republish_lose_nothing() {
    chaos(3, 4, &[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "the long form, minutes: run with --ignored"]
async fn many_kills_and_republishes_lose_nothing() {
    chaos(12, 25, &[1, 5, 9]).await;
}
