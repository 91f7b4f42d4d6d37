//! A request's check by disclosure control: run on a task of its own with a time limit, so
//! that no request is lost or stuck, and run again at start for requests a crash left
//! unchecked.

use crate::Broker;
use crate::audit::{self, Event};
use crate::auth::Caller;
use crate::error::BrokerError;
use crate::store::{CheckOutcome, Project, RequestFilter, RequestRecord, State};
use std::sync::Arc;

/// The audit action of a request's check run again when the server starts.
const RECHECK_AT_START: &str = "recheck_at_start";

impl Broker {
    /// Checks a submitted request and stores the verdict; a refusal is returned as the
    /// error (after it is stored). The check runs on a task of its own: a caller who goes
    /// away (cancels, or its deadline passes) does not stop it, so the request does not stay
    /// `submitted` until the next start. A check that runs longer than the query timeout
    /// (`Limits::query_timeout`) is stopped and the request refused.
    pub(crate) async fn check(
        self: &Arc<Self>,
        caller: Caller,
        id: i64,
        project: Project,
        sql: String,
    ) -> Result<(), BrokerError> {
        let broker = Arc::clone(self);
        let worker = tokio::spawn(async move {
            let (outcome, failure) = match broker.checked_output(&project, &sql).await {
                Ok((output, _)) => (CheckOutcome::Checked(output), None),
                Err(e) => (CheckOutcome::Refused(e.to_string()), Some(e)),
            };
            broker
                .db(move |store| store.finish_check(&caller, id, &outcome))
                .await?;
            failure.map_or(Ok(()), Err)
        });
        // A panic in the check leaves the request submitted, for the check at next start.
        worker
            .await
            .map_err(|_| BrokerError::Io(format!("the check of request {id} stopped")))?
    }

    /// Every request still `submitted` (the server stopped between accepting it and storing
    /// its verdict), taken before the server answers anyone: what is submitted later is
    /// checked by its own call.
    pub(crate) async fn unchecked_requests(&self) -> Result<Vec<RequestRecord>, BrokerError> {
        self.db(|store| {
            store.all_requests(&RequestFilter::InStates {
                states: &[State::Submitted],
                project: None,
                submitted_before: None,
                assigned_to: None,
            })
        })
        .await
    }

    /// Checks `unchecked` in the background, on behalf of each requester. Each such check is
    /// first written to the audit trail (`recheck_at_start`); a request still submitted with
    /// that entry made the server stop during its own check at the last start as well, and
    /// is refused without running again, so no request can keep the server from starting.
    pub(crate) async fn check_at_start(self: Arc<Self>, unchecked: Vec<RequestRecord>) {
        for r in unchecked {
            if let Err(e) = self.check_again(&r).await {
                crate::logs::check_at_start_failed(r.id, &e);
            }
        }
    }

    async fn check_again(self: &Arc<Self>, r: &RequestRecord) -> Result<(), BrokerError> {
        let (requester, project_id, id) = (r.requester.clone(), r.project_id.clone(), r.id);
        // One step on the store: who, what, whether it was tried, and the entry that says it
        // is tried now (or its refusal).
        let started = self
            .db(move |store| {
                let (caller, project) = (store.caller(&requester)?, store.project(&project_id)?);
                let tried = audit::entries_of_request(store.connection(), id)?
                    .iter()
                    .any(|e| e.event.action == RECHECK_AT_START);
                if tried {
                    let outcome = CheckOutcome::Refused(
                        "the check of this request stopped the server twice; it is not run again".into(),
                    );
                    store.finish_check(&caller, id, &outcome)?;
                    return Ok(None);
                }
                store.record(&Event {
                    user: caller.user.clone(),
                    role: caller.role.as_str().to_string(),
                    action: RECHECK_AT_START.to_string(),
                    request_id: Some(id),
                    outcome: "started".to_string(),
                    ..Event::default()
                })?;
                Ok(Some((caller, project)))
            })
            .await?;
        let Some((caller, project)) = started else {
            return Ok(());
        };
        match self.check(caller, r.id, project, r.sql.clone()).await {
            Ok(()) | Err(BrokerError::Query(_) | BrokerError::DeadlineExceeded(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
