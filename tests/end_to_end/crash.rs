//! The broker's state across restarts: SIGKILL during a burst of submissions and steward
//! steps loses no accepted request, duplicates none, half-releases none, and the audit chain
//! still verifies; a release under a stricter policy than the approved output's sends the
//! request back to review.

use super::broker::{Client, World, named, spawn_server_over, warehouse, world};
use renkei_proto::v1 as pb;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Replaces the world's server process by a new one on the same data directory (and so a
/// new port), started with `serve_args`; returns the old callers reconnected.
pub(crate) async fn restart(w: &mut World, serve_args: &[&str]) -> (Client, Client) {
    restart_over(w, warehouse(), serve_args).await
}

/// As [`restart`], serving `warehouse`.
async fn restart_over(w: &mut World, warehouse: &std::path::Path, serve_args: &[&str]) -> (Client, Client) {
    let (child, addr, _) = spawn_server_over(warehouse, &w.server.data, serve_args);
    let _ = w.server.child.kill();
    let _ = w.server.child.wait();
    w.server.child = child;
    w.server.addr = format!("http://{addr}");
    let sato = w.server.connect(&w.sato.token).await;
    let kato = w.server.connect(&w.kato.token).await;
    (sato, kato)
}

/// The project's requests once none is still submitted: the server answers at once after
/// a restart and checks what a crash left unchecked in the background.
/// What kills and restarts must leave of the requests `listed`: every acknowledged submission
/// stored exactly once, at most `in_flight` more (those a kill cut off after they were stored),
/// none left submitted, and no approval or release lost.
pub(crate) fn nothing_lost_or_stuck(
    listed: &[pb::Request],
    submitted: &BTreeSet<u64>,
    in_flight: usize,
    approved: &BTreeSet<u64>,
    released: &BTreeSet<u64>,
) {
    let ids: Vec<u64> = listed.iter().map(|r| r.id).collect();
    let distinct: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "no request is stored twice");
    let lost: Vec<&u64> = submitted.difference(&distinct).collect();
    assert!(lost.is_empty(), "acknowledged submissions lost: {lost:?}");
    assert!(
        ids.len() <= submitted.len() + in_flight,
        "{} stored, {} acknowledged",
        ids.len(),
        submitted.len()
    );
    for r in listed {
        let state = r.state();
        assert!(
            matches!(
                state,
                pb::RequestState::Checked
                    | pb::RequestState::Approved
                    | pb::RequestState::Released
                    | pb::RequestState::Rejected
                    | pb::RequestState::Refused
            ),
            "request {} is {state:?}",
            r.id
        );
        if approved.contains(&r.id) {
            assert!(
                matches!(state, pb::RequestState::Approved | pb::RequestState::Released),
                "approval of {} lost: {state:?}",
                r.id
            );
        }
        if released.contains(&r.id) {
            assert_eq!(state, pb::RequestState::Released, "release of {} lost", r.id);
        }
    }
}

pub(crate) async fn all_checked(sato: &Client) -> Vec<pb::Request> {
    for _ in 0..600 {
        let listed = sato.list_all("p-all").await.expect("lists after the restart");
        if listed.iter().all(|r| r.state() != pb::RequestState::Submitted) {
            return listed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("requests left submitted by the crash are still unchecked after 60 s");
}

fn audit_verifies(w: &World) {
    let o = w.server.audit_verify();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_a_burst_loses_and_duplicates_nothing() {
    let mut w = world().await;
    // What the server answered OK: (request id, the step that was acknowledged).
    let submitted: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    let approved: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    let released: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let client = w.server.connect(&w.sato.token).await;
        let submitted = Arc::clone(&submitted);
        tasks.push(tokio::spawn(async move {
            // Until the server dies: the first failed call ends the loop.
            while let Ok(r) = client.submit("p-all", named("ltc_users_by_care_level_and_sex")).await {
                submitted.lock().expect("lock").insert(r.id);
            }
        }));
    }
    {
        let steward = w.server.connect(&w.kato.token).await;
        let (approved, released) = (Arc::clone(&approved), Arc::clone(&released));
        tasks.push(tokio::spawn(async move {
            loop {
                let Ok(pending) = steward
                    .steward()
                    .list_pending(steward.req(pb::ListPendingRequest::default()))
                    .await
                else {
                    return;
                };
                for r in pending.into_inner().requests {
                    let step = match r.state() {
                        pb::RequestState::Checked => steward.approve(r.id).await.map(|_| &approved),
                        pb::RequestState::Approved => steward.release(r.id).await.map(|_| &released),
                        _ => continue,
                    };
                    match step {
                        Ok(acknowledged) => {
                            acknowledged.lock().expect("lock").insert(r.id);
                        }
                        Err(s)
                            if matches!(
                                s.code(),
                                tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled
                            ) =>
                        {
                            return;
                        }
                        Err(s) => panic!("a steward step failed before the crash: {s:?}"),
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    // Kill once the burst is under way (some releases done), mid-flight.
    for _ in 0..600 {
        if released.lock().expect("lock").len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    w.server.child.kill().expect("SIGKILL");
    w.server.child.wait().expect("reaped");
    for t in tasks {
        t.await.expect("client task");
    }
    let (submitted, approved, released) = (
        submitted.lock().expect("lock").clone(),
        approved.lock().expect("lock").clone(),
        released.lock().expect("lock").clone(),
    );
    assert!(
        submitted.len() >= 3 && released.len() >= 3,
        "the burst ran before the kill"
    );

    // The narrowest window, made certain: a submission stored but not yet checked when the
    // process died (the row `submit` commits before the query runs).
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    conn.execute(
        "INSERT INTO requests (project_id, requester, title, purpose, sql, state, submitted_at)
         VALUES ('p-all', 'sato', 'cut short', 'crash window', 'SELECT sex, count(*) AS n FROM kaigo_claims GROUP BY sex',
                 'submitted', '2026-01-01T00:00:00Z')",
        [],
    )
    .expect("a request left submitted");
    let unchecked = u64::try_from(conn.last_insert_rowid()).expect("positive id");
    drop(conn);

    // Restarted with a memory cap for each request's query (it spills beyond it).
    let (sato, kato) = restart(&mut w, &["--memory-mib", "256"]).await;
    let listed = all_checked(&sato).await;
    assert_eq!(
        sato.get(unchecked).await.expect("status").state(),
        pb::RequestState::Checked,
        "the restarted server checked the request the crash left submitted"
    );
    // At most one submission per client was in flight when the server died, plus the one
    // inserted above.
    nothing_lost_or_stuck(&listed, &submitted, 4 + 1, &approved, &released);
    for r in &listed {
        if r.state() == pb::RequestState::Released {
            // Never half-released: a released request has its hash and its whole result.
            assert_eq!(r.result_hash.len(), 64);
            assert!(sato.fetch(r.id).await.is_ok(), "released {} fetches", r.id);
        } else {
            assert!(r.result_hash.is_empty());
        }
    }
    // Work goes on after the restart.
    let id = sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("a submission after the restart")
        .id;
    kato.approve(id).await.expect("approved after the restart");
    audit_verifies(&w);
}

#[tokio::test]
async fn a_release_under_a_stricter_policy_sends_the_request_back_to_review() {
    let mut w = world().await;
    let id = w
        .sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("accepted")
        .id;
    w.kato.approve(id).await.expect("approved");

    // The policy tightens between approval and release.
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("strict.toml");
    std::fs::write(&policy, "min_persons = 1000000\n").expect("writes the policy");
    let (sato, kato) = restart(&mut w, &["--policy", policy.to_str().expect("utf-8")]).await;
    let status = kato
        .release(id)
        .await
        .expect_err("the approved output is not what would leave now");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("back in review"), "{}", status.message());
    let r = sato.get(id).await.expect("status");
    assert_eq!(r.state(), pb::RequestState::Checked);
    assert!(r.reviewer.is_empty(), "the earlier approval no longer counts");
    let status = sato.fetch(id).await.expect_err("nothing left");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let review = kato
        .steward()
        .get_review(kato.req(pb::GetReviewRequest { id }))
        .await
        .expect("the new output is there to review")
        .into_inner();
    assert!(
        review.report_json.contains("1000000"),
        "the review shows the policy now in force"
    );
    audit_verifies(&w);
}

/// A release that cannot run now (here the warehouse is gone, as between the two renames of
/// a republish) leaves the request approved, with the failure in the audit trail, and a
/// later release of it works; only disclosure control's verdict refuses an approved request.
#[tokio::test]
async fn a_release_that_cannot_run_now_leaves_the_request_approved() {
    let mut w = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let published = dir.path().join("warehouse");
    std::os::unix::fs::symlink(warehouse(), &published).expect("links the warehouse");
    let (sato, kato) = restart_over(&mut w, &published, &[]).await;
    let id = sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("accepted")
        .id;
    kato.approve(id).await.expect("approved");

    std::fs::remove_file(&published).expect("the warehouse goes away");
    let status = kato.release(id).await.expect_err("no warehouse to run on");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{}", status.message());
    assert_eq!(sato.get(id).await.expect("status").state(), pb::RequestState::Approved);
    assert_eq!(w.server.last_release_outcome(id), "unavailable");

    std::os::unix::fs::symlink(warehouse(), &published).expect("the warehouse is back");
    kato.release(id).await.expect("released once the warehouse is back");
    assert_eq!(sato.get(id).await.expect("status").state(), pb::RequestState::Released);
    assert!(sato.fetch(id).await.is_ok(), "the release fetches");
    audit_verifies(&w);
}

/// A caller who goes away before the verdict (the call dropped once the request is stored,
/// which resets its HTTP/2 stream, and the server drops the call's handler) does not leave
/// the request `submitted` until the next start: its check runs on to the end on a task of
/// its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_whose_caller_went_away_is_still_checked() {
    let w = world().await;
    let caller = w.server.connect(&w.sato.token).await;
    // A query whose check takes long enough to be seen submitted (~1 s on the sample).
    let sql = "SELECT claim_month, facility_id, sex, age, setting, insurer_kind, count(*) AS claims \
               FROM ndb_claims GROUP BY claim_month, facility_id, sex, age, setting, insurer_kind";
    let call = tokio::spawn(async move {
        let query = pb::submit_request_request::Query::Sql(sql.into());
        caller
            .submit_titled("p-all", "in a hurry", "descriptive statistics", query)
            .await
    });
    let mut seen_submitted = false;
    for _ in 0..500 {
        let listed = w.sato.list_all("p-all").await.expect("lists");
        if let Some(r) = listed.iter().find(|r| r.title == "in a hurry") {
            seen_submitted = r.state() == pb::RequestState::Submitted;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    call.abort();
    assert!(
        seen_submitted,
        "the check ended before the call could be dropped: nothing was tested"
    );
    let listed = all_checked(&w.sato).await;
    let r = listed
        .iter()
        .find(|r| r.title == "in a hurry")
        .expect("the request was stored");
    assert_ne!(r.state(), pb::RequestState::Submitted, "{r:?}");
}
