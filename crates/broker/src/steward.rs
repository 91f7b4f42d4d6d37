//! StewardService: review checked outputs, approve or reject, and release after a re-run
//! under the current policy.

use crate::auth::{Caller, Role};
use crate::error::BrokerError;
use crate::store::{self, Decision, Page, RequestFilter, Step, StoredOutput};
use crate::{Broker, listing, pb, request_id, to_wire};
use renkei_engine::{EngineError, ReleasedCell};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct StewardApi(pub Arc<Broker>);

impl Broker {
    async fn pending(&self, caller: Caller, page: Page) -> Result<pb::ListRequestsResponse, BrokerError> {
        caller.require(&[Role::Steward])?;
        self.db(move |store| {
            let listed = store.requests(&RequestFilter::pending(&caller.user, None, None), page)?;
            store.record_read(&caller, "list_pending", None, None)?;
            Ok(listing(listed))
        })
        .await
    }

    async fn review(&self, caller: Caller, id: i64) -> Result<pb::Review, BrokerError> {
        let (request, output) = self
            .db(move |store| {
                let request = store.assigned_request(&caller, id)?;
                let output = store.output(id)?;
                store.record_read(&caller, "get_review", Some(id), None)?;
                Ok((request, output))
            })
            .await?;
        Ok(pb::Review {
            request: Some(to_wire(request)),
            output_hash: store::output_hash(&output.arrow),
            checked_table: output.table,
            checked_arrow: output.arrow,
            report_json: output.report_json,
            history_conflicts: output.history_conflicts.iter().map(|c| c.to_wire()).collect(),
        })
    }

    /// Approves or rejects, as one transaction of the store.
    pub(crate) async fn decide(&self, caller: Caller, id: i64, decision: Decided) -> Result<pb::Request, BrokerError> {
        caller.require(&[Role::Steward])?;
        let decided = self
            .db(move |store| store.decide(&caller, id, &decision.as_decision()))
            .await?;
        Ok(to_wire(decided))
    }

    /// Re-runs the query under the current policy and the project's current grants, within
    /// its approval period. What leaves is that run's output, and only if it shows the same
    /// cells as the output the reviewer approved; otherwise the request goes back to review.
    pub(crate) async fn release(&self, caller: Caller, id: i64) -> Result<pb::Request, BrokerError> {
        let (current, project, approved) = {
            let caller = caller.clone();
            self.db(move |store| {
                let current = store.assigned_request(&caller, id)?;
                // Before the (costly) re-run; `decide` checks again inside its transaction.
                Step::Release.allowed(&current, &caller)?;
                let project = store.project(&current.project_id)?;
                let approved = store.output(id)?;
                Ok((current, project, approved))
            })
            .await?
        };
        project.check_approved_on(store::today())?;
        // Checked against the ledger as it stands now, and written to it as it leaves.
        let _ledger = self.ledger_locks.lock(&project.id).await;
        match self.checked_output(&project, &current.sql).await {
            Ok((output, released)) if same_cells(&output, &approved) => {
                self.decide(caller, id, Decided::Release(output, released)).await
            }
            Ok((output, _)) => {
                self.decide(caller, id, Decided::ReviewAgain(output)).await?;
                Err(BrokerError::FailedPrecondition(format!(
                    "request {id}: under the current policy the output differs from the approved one; \
                     it is back in review"
                )))
            }
            // Only disclosure control's verdict refuses an approved request.
            Err(e @ BrokerError::Query(EngineError::Refused(_))) => {
                let reason = e.to_string();
                self.decide(caller, id, Decided::RefuseAtRelease { reason }).await?;
                Err(e)
            }
            // A re-run stopped at the query timeout is no verdict either.
            Err(BrokerError::DeadlineExceeded(why)) => Err(BrokerError::DeadlineExceeded(format!(
                "request {id} stays approved: {why}; try again"
            ))),
            // Anything else (the warehouse being republished, out of memory, a query that no
            // longer plans on a half-published warehouse) leaves it approved, to be released
            // again: the failed call is in the audit trail with outcome `unavailable`.
            Err(e) => Err(BrokerError::Unavailable(format!(
                "request {id} stays approved: the release could not run now ({}); try again",
                e.outcome()
            ))),
        }
    }
}

/// A steward's step as [`Broker::decide`] takes it: owned, to be taken to the store's
/// thread (see `Broker::db`).
pub(crate) enum Decided {
    Approve { seen: String },
    Reject { reason: String },
    Release(StoredOutput, Vec<ReleasedCell>),
    RefuseAtRelease { reason: String },
    ReviewAgain(StoredOutput),
}

impl Decided {
    fn as_decision(&self) -> Decision<'_> {
        match self {
            Decided::Approve { seen } => Decision::Approve { seen },
            Decided::Reject { reason } => Decision::Reject { reason },
            Decided::Release(output, released) => Decision::Release(output, released),
            Decided::RefuseAtRelease { reason } => Decision::RefuseAtRelease { reason },
            Decided::ReviewAgain(output) => Decision::ReviewAgain(output),
        }
    }
}

/// Whether two checked outputs show the same rows, whatever their order (a query without
/// ORDER BY may return its groups in another order on a re-run).
fn same_cells(a: &StoredOutput, b: &StoredOutput) -> bool {
    let rows = |o: &StoredOutput| {
        let mut lines: Vec<String> = o.table.lines().map(str::to_string).collect();
        lines.sort_unstable();
        lines
    };
    rows(a) == rows(b)
}

#[tonic::async_trait]
impl pb::steward_service_server::StewardService for StewardApi {
    async fn list_pending(
        &self,
        r: Request<pb::ListPendingRequest>,
    ) -> Result<Response<pb::ListRequestsResponse>, Status> {
        let page = Page::new(r.get_ref().page_size, r.get_ref().after_id);
        self.0
            .call(r.metadata(), "list_pending", None, |caller| {
                self.0.pending(caller, page)
            })
            .await
            .map(Response::new)
    }

    async fn get_review(&self, r: Request<pb::GetReviewRequest>) -> Result<Response<pb::Review>, Status> {
        let id = request_id(r.get_ref().id)?;
        self.0
            .call(r.metadata(), "get_review", Some(id), |caller| self.0.review(caller, id))
            .await
            .map(Response::new)
    }

    async fn approve(&self, r: Request<pb::ApproveRequest>) -> Result<Response<pb::Request>, Status> {
        let id = request_id(r.get_ref().id)?;
        let seen = r.get_ref().output_hash.trim().to_string();
        self.0
            .call(r.metadata(), "approve", Some(id), |caller| async move {
                if seen.is_empty() {
                    return Err(BrokerError::InvalidArgument(
                        "an approval names the output it approves: its output_hash, as the review gave it".into(),
                    ));
                }
                self.0.decide(caller, id, Decided::Approve { seen }).await
            })
            .await
            .map(Response::new)
    }

    async fn reject(&self, r: Request<pb::RejectRequest>) -> Result<Response<pb::Request>, Status> {
        let id = request_id(r.get_ref().id)?;
        let reason = r.get_ref().reason.trim().to_string();
        self.0
            .call(r.metadata(), "reject", Some(id), |caller| async move {
                if reason.is_empty() {
                    return Err(BrokerError::InvalidArgument("a rejection needs a reason".into()));
                }
                self.0.decide(caller, id, Decided::Reject { reason }).await
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
