//! StewardService: review checked outputs, approve or reject, and release after a re-run
//! under the current policy.

use crate::auth::{Caller, Role};
use crate::error::BrokerError;
use crate::store::{Decision, RequestFilter, State, Step};
use crate::{Broker, pb, request_id, stored, to_wire};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct StewardApi(pub Arc<Broker>);

impl Broker {
    fn pending(&self, caller: Caller) -> Result<pb::ListRequestsResponse, BrokerError> {
        caller.require(&[Role::Steward])?;
        let requests = self
            .store()
            .requests(&RequestFilter::InStates(&[State::Checked, State::Approved]))?;
        self.record_read(&caller, "list_pending", None, None)?;
        Ok(pb::ListRequestsResponse {
            requests: requests.into_iter().map(to_wire).collect(),
        })
    }

    fn review(&self, caller: Caller, id: i64) -> Result<pb::Review, BrokerError> {
        caller.require(&[Role::Steward])?;
        let (request, output) = {
            let store = self.store();
            (store.request(id)?, store.output(id)?)
        };
        self.record_read(&caller, "get_review", Some(id), None)?;
        Ok(pb::Review {
            request: Some(to_wire(request)),
            checked_table: output.table,
            checked_arrow: output.arrow,
            report_json: output.report_json,
        })
    }

    fn decide(&self, caller: Caller, id: i64, decision: &Decision) -> Result<pb::Request, BrokerError> {
        caller.require(&[Role::Steward])?;
        Ok(to_wire(self.store().decide(&caller, id, decision)?))
    }

    /// Re-runs the query under the current policy and the project's current grants; what
    /// leaves is that run's output.
    async fn release(&self, caller: Caller, id: i64) -> Result<pb::Request, BrokerError> {
        caller.require(&[Role::Steward])?;
        let (current, project) = {
            let store = self.store();
            let current = store.request(id)?;
            // Before the (costly) re-run; `decide` checks again inside its transaction.
            Step::Release.allowed(&current, &caller)?;
            let project = store.project(&current.project_id)?;
            (current, project)
        };
        let rerun = match self.run_checked(&project, &current.sql).await {
            Ok(output) => stored(&output),
            Err(e) => Err(BrokerError::Query(e)),
        };
        match rerun {
            Ok(output) => self.decide(caller, id, &Decision::Release(&output)),
            Err(e) => {
                let reason = e.to_string();
                self.store()
                    .decide(&caller, id, &Decision::RefuseAtRelease { reason: &reason })?;
                Err(e)
            }
        }
    }
}

#[tonic::async_trait]
impl pb::steward_service_server::StewardService for StewardApi {
    async fn list_pending(
        &self,
        r: Request<pb::ListPendingRequest>,
    ) -> Result<Response<pb::ListRequestsResponse>, Status> {
        self.0
            .call(r.metadata(), "list_pending", None, |caller| async move {
                self.0.pending(caller)
            })
            .await
            .map(Response::new)
    }

    async fn get_review(&self, r: Request<pb::GetReviewRequest>) -> Result<Response<pb::Review>, Status> {
        let id = request_id(r.get_ref().id)?;
        self.0
            .call(r.metadata(), "get_review", Some(id), |caller| async move {
                self.0.review(caller, id)
            })
            .await
            .map(Response::new)
    }

    async fn approve(&self, r: Request<pb::ApproveRequest>) -> Result<Response<pb::Request>, Status> {
        let id = request_id(r.get_ref().id)?;
        self.0
            .call(r.metadata(), "approve", Some(id), |caller| async move {
                self.0.decide(caller, id, &Decision::Approve)
            })
            .await
            .map(Response::new)
    }

    async fn reject(&self, r: Request<pb::RejectRequest>) -> Result<Response<pb::Request>, Status> {
        let id = request_id(r.get_ref().id)?;
        let reason = r.get_ref().reason.trim();
        self.0
            .call(r.metadata(), "reject", Some(id), |caller| async move {
                if reason.is_empty() {
                    return Err(BrokerError::InvalidArgument("a rejection needs a reason".into()));
                }
                self.0.decide(caller, id, &Decision::Reject { reason })
            })
            .await
            .map(Response::new)
    }

    async fn release(&self, r: Request<pb::ReleaseRequest>) -> Result<Response<pb::Request>, Status> {
        let id = request_id(r.get_ref().id)?;
        self.0
            .call(r.metadata(), "release", Some(id), |caller| self.0.release(caller, id))
            .await
            .map(Response::new)
    }
}
