//! Stewards' duties: a steward works only on the projects an admin assigned them, gets no
//! direct outputs through Flight SQL, and an approval names the output it approves.

use super::broker::{denied, named, sql, world};
use arrow_flight::FlightDescriptor;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt};
use prost::Message;
use renkei_proto::v1 as pb;
use tonic::Code;

#[tokio::test]
async fn a_steward_works_only_on_the_projects_assigned_to_them() {
    let w = world().await;
    // tanaka reviews p-all only; suzuki's request is under p-ndb.
    let id = w
        .suzuki
        .submit(
            "p-ndb",
            sql("SELECT sex, count(DISTINCT person_id) AS persons FROM ndb_claims GROUP BY sex"),
        )
        .await
        .expect("accepted")
        .id;
    let pending = w
        .tanaka
        .steward()
        .list_pending(w.tanaka.req(pb::ListPendingRequest::default()))
        .await
        .expect("lists")
        .into_inner();
    assert!(pending.requests.iter().all(|r| r.project_id == "p-all"), "{pending:?}");
    assert!(pending.requests.iter().all(|r| r.id != id));
    let hash = w.kato.output_hash(id).await.expect("kato is assigned to p-ndb");
    // To a steward not assigned, the request does not exist, whatever the call.
    denied(w.tanaka.output_hash(id).await, Code::NotFound);
    denied(w.tanaka.approve_seen(id, &hash).await, Code::NotFound);
    denied(w.tanaka.reject(id, "not mine").await, Code::NotFound);
    assert_eq!(w.suzuki.get(id).await.expect("gets").state(), pb::RequestState::Checked);
    w.kato.approve_seen(id, &hash).await.expect("kato approves");
    denied(w.tanaka.release(id).await, Code::NotFound);

    // Assigned by an admin (and only by an admin, and only a steward), tanaka may.
    let assign = |user: &str| pb::AssignStewardRequest {
        user_id: user.into(),
        project_id: "p-ndb".into(),
    };
    denied(
        w.kato.admin().assign_steward(w.kato.req(assign("tanaka"))).await,
        Code::PermissionDenied,
    );
    denied(
        w.admin.admin().assign_steward(w.admin.req(assign("sato"))).await,
        Code::InvalidArgument,
    );
    w.admin
        .admin()
        .assign_steward(w.admin.req(assign("tanaka")))
        .await
        .expect("the admin assigns tanaka");
    let released = w.tanaka.release(id).await.expect("tanaka releases");
    assert_eq!(released.state(), pb::RequestState::Released);

    // The assignment is in the audit trail, naming whom and what.
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    let target: String = conn
        .query_row(
            "SELECT target FROM audit WHERE action = 'assign_steward' AND outcome = 'ok' ORDER BY seq DESC",
            [],
            |r| r.get(0),
        )
        .expect("recorded");
    assert_eq!(target, "user:tanaka project:p-ndb");
}

/// Before, a steward who could not approve their own request ran its SQL over Flight SQL
/// and read the checked output there, without a second person.
#[tokio::test]
async fn a_steward_gets_no_direct_output_through_flight_sql() {
    let w = world().await;
    let command = CommandStatementQuery {
        query: "SELECT sex, count(DISTINCT person_id) AS persons FROM kaigo_claims GROUP BY sex".into(),
        transaction_id: None,
    };
    let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
    let mut request = w.tanaka.req(descriptor.clone());
    request
        .metadata_mut()
        .insert("x-renkei-project", "p-all".parse().expect("ascii"));
    let status = FlightServiceClient::new(w.tanaka.channel.clone())
        .get_flight_info(request)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(
        status.message().contains("stewards get no direct outputs"),
        "{status:?}"
    );
    // The analyst's same call runs.
    let mut request = w.ito.req(descriptor);
    request
        .metadata_mut()
        .insert("x-renkei-project", "p-all".parse().expect("ascii"));
    FlightServiceClient::new(w.ito.channel.clone())
        .get_flight_info(request)
        .await
        .expect("an analyst gets the checked output");
}

/// The approval names what was seen (ledger.rs has an output changed by a re-check at
/// release, whose earlier approval is then refused).
#[tokio::test]
async fn an_approval_names_the_output_it_approves() {
    let w = world().await;
    let id = w
        .sato
        .submit("p-all", named("ltc_users_by_care_level_and_sex"))
        .await
        .expect("accepted")
        .id;
    let seen = w.kato.output_hash(id).await.expect("reviews");
    denied(w.kato.approve_seen(id, "").await, Code::InvalidArgument);
    denied(w.kato.approve_seen(id, &"0".repeat(64)).await, Code::FailedPrecondition);
    assert_eq!(w.sato.get(id).await.expect("gets").state(), pb::RequestState::Checked);
    w.kato
        .approve_seen(id, &seen)
        .await
        .expect("the output shown is approved");
    let conn = rusqlite::Connection::open(w.server.data.join("broker.sqlite")).expect("opens");
    let approved_hash: String = conn
        .query_row(
            "SELECT target FROM audit WHERE action = 'approve' AND outcome = 'ok' AND request_id = ?1",
            [id as i64],
            |r| r.get(0),
        )
        .expect("the approval is recorded");
    assert_eq!(approved_hash, format!("output:{seen}"));
}
