//! AdminService: projects, users, tokens.

use crate::auth::{self, Caller, Role};
use crate::datasets::Dataset;
use crate::error::BrokerError;
use crate::store::{self, Project};
use crate::{Broker, check_id, pb};
use chrono::NaiveDate;
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct AdminApi(pub Arc<Broker>);

fn date(field: &str, text: &str) -> Result<NaiveDate, BrokerError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| BrokerError::InvalidArgument(format!("{field} must be a date YYYY-MM-DD")))
}

fn dataset(wire: i32) -> Result<Dataset, BrokerError> {
    match pb::Dataset::try_from(wire) {
        Ok(pb::Dataset::Ndb) => Ok(Dataset::Ndb),
        Ok(pb::Dataset::Kaigo) => Ok(Dataset::Kaigo),
        Ok(pb::Dataset::Dpc) => Ok(Dataset::Dpc),
        _ => Err(BrokerError::InvalidArgument(format!(
            "{wire} is not a dataset (NDB, KAIGO or DPC)"
        ))),
    }
}

fn dataset_to_wire(d: Dataset) -> pb::Dataset {
    match d {
        Dataset::Ndb => pb::Dataset::Ndb,
        Dataset::Kaigo => pb::Dataset::Kaigo,
        Dataset::Dpc => pb::Dataset::Dpc,
    }
}

fn role(wire: i32) -> Result<Role, BrokerError> {
    match pb::Role::try_from(wire) {
        Ok(pb::Role::Researcher) => Ok(Role::Researcher),
        Ok(pb::Role::Steward) => Ok(Role::Steward),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Analyst) => Ok(Role::Analyst),
        _ => Err(BrokerError::InvalidArgument(format!(
            "{wire} is not a role (researcher, steward, admin or analyst)"
        ))),
    }
}

impl Broker {
    async fn create_project(&self, caller: Caller, wire: Option<pb::Project>) -> Result<pb::Project, BrokerError> {
        caller.require(&[Role::Admin])?;
        let wire = wire.ok_or_else(|| BrokerError::InvalidArgument("no project given".into()))?;
        check_id("project", &wire.id)?;
        if wire.title.trim().is_empty() || wire.approved_purpose.trim().is_empty() {
            return Err(BrokerError::InvalidArgument(
                "a project needs a title and an approved purpose".into(),
            ));
        }
        let mut datasets = wire
            .datasets
            .iter()
            .map(|&d| dataset(d))
            .collect::<Result<Vec<_>, _>>()?;
        datasets.sort();
        datasets.dedup();
        if datasets.is_empty() {
            return Err(BrokerError::InvalidArgument(
                "a project needs at least one dataset".into(),
            ));
        }
        let project = Project {
            approval_start: date("approval_start", &wire.approval_start)?,
            approval_end: date("approval_end", &wire.approval_end)?,
            id: wire.id,
            title: wire.title,
            purpose: wire.approved_purpose,
            datasets,
        };
        if project.approval_end < project.approval_start {
            return Err(BrokerError::InvalidArgument(
                "the approval period ends before it starts".into(),
            ));
        }
        let project = self
            .db(move |store| store.create_project(&caller, &project).map(|()| project))
            .await?;
        Ok(pb::Project {
            datasets: project.datasets.iter().map(|&d| dataset_to_wire(d).into()).collect(),
            approval_start: project.approval_start.to_string(),
            approval_end: project.approval_end.to_string(),
            id: project.id,
            title: project.title,
            approved_purpose: project.purpose,
        })
    }

    async fn create_user(&self, caller: Caller, wire: Option<pb::User>) -> Result<pb::User, BrokerError> {
        caller.require(&[Role::Admin])?;
        let wire = wire.ok_or_else(|| BrokerError::InvalidArgument("no user given".into()))?;
        check_id("user", &wire.id)?;
        let role = role(wire.role)?;
        self.db(move |store| {
            store.create_user(&caller, &wire.id, role, &wire.project_ids)?;
            Ok(wire)
        })
        .await
    }

    async fn issue_token(
        &self,
        caller: Caller,
        r: pb::IssueTokenRequest,
    ) -> Result<pb::IssueTokenResponse, BrokerError> {
        caller.require(&[Role::Admin])?;
        let valid = i64::try_from(r.valid_seconds)
            .ok()
            .filter(|&s| s >= 1)
            .ok_or_else(|| BrokerError::InvalidArgument("valid_seconds must be at least 1".into()))?;
        let token = auth::new_token()?;
        let expires_at = store::now().0.saturating_add(valid);
        let hash = token.hash.clone();
        let token_id = self
            .db(move |store| store.issue_token(&caller, &r.user_id, &hash, expires_at))
            .await?;
        Ok(pb::IssueTokenResponse {
            token_id: token_id.unsigned_abs(),
            token: token.secret,
            expires_at,
        })
    }

    async fn assign_steward(
        &self,
        caller: Caller,
        r: pb::AssignStewardRequest,
    ) -> Result<pb::AssignStewardResponse, BrokerError> {
        caller.require(&[Role::Admin])?;
        self.db(move |store| store.assign(&caller, &r.user_id, &r.project_id))
            .await?;
        Ok(pb::AssignStewardResponse {})
    }

    async fn revoke_token(&self, caller: Caller, token_id: u64) -> Result<pb::RevokeTokenResponse, BrokerError> {
        caller.require(&[Role::Admin])?;
        let id = i64::try_from(token_id).map_err(|_| BrokerError::NotFound(format!("token {token_id}")))?;
        self.db(move |store| store.revoke_token(&caller, id)).await?;
        Ok(pb::RevokeTokenResponse {})
    }
}

#[tonic::async_trait]
impl pb::admin_service_server::AdminService for AdminApi {
    async fn create_project(&self, r: Request<pb::CreateProjectRequest>) -> Result<Response<pb::Project>, Status> {
        let (metadata, _, message) = r.into_parts();
        self.0
            .call(&metadata, "create_project", None, |caller| {
                self.0.create_project(caller, message.project)
            })
            .await
            .map(Response::new)
    }

    async fn create_user(&self, r: Request<pb::CreateUserRequest>) -> Result<Response<pb::User>, Status> {
        let (metadata, _, message) = r.into_parts();
        self.0
            .call(&metadata, "create_user", None, |caller| {
                self.0.create_user(caller, message.user)
            })
            .await
            .map(Response::new)
    }

    async fn issue_token(&self, r: Request<pb::IssueTokenRequest>) -> Result<Response<pb::IssueTokenResponse>, Status> {
        let (metadata, _, message) = r.into_parts();
        self.0
            .call(&metadata, "issue_token", None, |caller| {
                self.0.issue_token(caller, message)
            })
            .await
            .map(Response::new)
    }

    async fn revoke_token(
        &self,
        r: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let token_id = r.get_ref().token_id;
        self.0
            .call(r.metadata(), "revoke_token", None, |caller| {
                self.0.revoke_token(caller, token_id)
            })
            .await
            .map(Response::new)
    }

    async fn assign_steward(
        &self,
        r: Request<pb::AssignStewardRequest>,
    ) -> Result<Response<pb::AssignStewardResponse>, Status> {
        let (metadata, _, message) = r.into_parts();
        self.0
            .call(&metadata, "assign_steward", None, |caller| {
                self.0.assign_steward(caller, message)
            })
            .await
            .map(Response::new)
    }
}
