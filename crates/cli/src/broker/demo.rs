//! The broker part of `renkei demo`.

use super::research::fetch;
use super::{AuditCommand, Client, ClientArgs, StateArgs, audit, state_name, status_error};
use crate::query::load_policy;
use anyhow::{Context, Result};
use renkei_proto::v1 as pb;
use std::path::Path;

/// The broker part of `renkei demo`: a broker on a loopback port over `warehouse`, an admin,
/// a researcher and a steward, and one study query taken from submission through review and
/// release to the researcher's fetched CSV, then the audit chain verified. State goes to
/// `out/broker/` (made afresh), the released result to `out/released/`.
pub fn demo_request(warehouse: &Path, queries: &Path, out: &Path, named_query: &str) -> Result<()> {
    let data = out.join("broker");
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("clearing {}", data.display()))?;
    }
    let state = StateArgs {
        data: data.clone(),
        audit_key: None,
    };
    let admin_token = renkei_broker::bootstrap(&data, &state.audit_key(), "admin", 3600)?.secret;
    let config = renkei_broker::Config {
        audit_key: state.audit_key(),
        data,
        warehouse: warehouse.to_path_buf(),
        queries: queries.to_path_buf(),
        policy: load_policy(None)?,
        engine: renkei_engine::EngineOptions::default(),
        tls: None,
        limits: renkei_broker::Limits::default(),
        audit_head_every: None,
    };
    crate::runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(renkei_broker::serve(config, listener, None));
        println!("\n## A request through the broker ({addr})");
        let connect = |token: String| {
            let args = ClientArgs {
                addr: addr.clone(),
                token: Some(token),
                token_file: None,
                ca_cert: None,
                client_cert: None,
                client_key: None,
            };
            async move { Client::connect(&args).await }
        };
        let admin = connect(admin_token).await?;
        let project = pb::Project {
            id: "demo".into(),
            title: "Care needs after hospital stays".into(),
            approved_purpose: "descriptive statistics of care levels among linked persons".into(),
            datasets: [pb::Dataset::Ndb, pb::Dataset::Kaigo, pb::Dataset::Dpc]
                .into_iter()
                .map(i32::from)
                .collect(),
            // The sample data span 2022–2024; the demo project is approved throughout.
            approval_start: "2020-01-01".into(),
            approval_end: "2099-12-31".into(),
        };
        admin
            .admin()
            .create_project(admin.request(pb::CreateProjectRequest { project: Some(project) }))
            .await
            .map_err(status_error)?;
        let mut tokens = Vec::new();
        for (user, role) in [("researcher", pb::Role::Researcher), ("steward", pb::Role::Steward)] {
            let new_user = pb::User {
                id: user.into(),
                role: role.into(),
                project_ids: vec!["demo".into()],
            };
            admin
                .admin()
                .create_user(admin.request(pb::CreateUserRequest { user: Some(new_user) }))
                .await
                .map_err(status_error)?;
            let issued = admin
                .admin()
                .issue_token(admin.request(pb::IssueTokenRequest {
                    user_id: user.into(),
                    valid_seconds: 3600,
                }))
                .await
                .map_err(status_error)?;
            tokens.push(issued.into_inner().token);
        }
        admin
            .admin()
            .assign_steward(admin.request(pb::AssignStewardRequest {
                user_id: "steward".into(),
                project_id: "demo".into(),
            }))
            .await
            .map_err(status_error)?;
        let steward = connect(tokens.pop().context("a steward token")?).await?;
        let researcher = connect(tokens.pop().context("a researcher token")?).await?;
        let submitted = researcher
            .research()
            .submit_request(researcher.request(pb::SubmitRequestRequest {
                project_id: "demo".into(),
                title: format!("study query {named_query}"),
                purpose: "descriptive statistics".into(),
                query: Some(pb::submit_request_request::Query::NamedQuery(named_query.into())),
            }))
            .await
            .map_err(status_error)?
            .into_inner();
        let id = submitted.id;
        println!("researcher submitted request {id}: {}", state_name(&submitted));
        let review = steward
            .steward()
            .get_review(steward.request(pb::GetReviewRequest { id }))
            .await
            .map_err(status_error)?
            .into_inner();
        println!(
            "steward reviews the checked output (hidden cells *):\n{}",
            review.checked_table
        );
        steward
            .steward()
            .approve(steward.request(pb::ApproveRequest {
                id,
                output_hash: review.output_hash,
            }))
            .await
            .map_err(status_error)?;
        let released = steward
            .steward()
            .release(steward.request(pb::ReleaseRequest { id }))
            .await
            .map_err(status_error)?
            .into_inner();
        println!("steward approved and released it (result {})", released.result_hash);
        let released_dir = out.join("released");
        std::fs::create_dir_all(&released_dir)?;
        let csv = released_dir.join(format!("{named_query}.csv"));
        fetch(
            &researcher,
            id,
            &csv,
            Some(&released_dir.join(format!("{named_query}.report.json"))),
        )
        .await?;
        server.abort();
        Ok::<(), anyhow::Error>(())
    })?;
    audit(AuditCommand::Verify { state })
}
