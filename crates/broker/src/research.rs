//! ResearchService: submit, look at and fetch requests of one's own projects.

use crate::auth::{Caller, Role};
use crate::error::BrokerError;
use crate::store::{self, NewRequest, Page, RequestFilter, State};
use crate::{Broker, ipc, listing, pb, request_id, to_wire};
use pb::fetch_result_response::Part;
use pb::submit_request_request::Query;
use std::pin::Pin;
use std::sync::Arc;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// Who may use this service: the members of a project, researchers or stewards.
const MEMBER_ROLES: &[Role] = &[Role::Researcher, Role::Steward];

pub struct ResearchApi(pub Arc<Broker>);

impl Broker {
    /// The SQL of a study query of the server's `queries/` folder.
    fn named_query(&self, name: &str) -> Result<String, BrokerError> {
        let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            return Err(BrokerError::InvalidArgument(
                "a named query is a file name of queries/ without `.sql`: letters, digits, `_`, `-`".into(),
            ));
        }
        let path = self.config.queries.join(format!("{name}.sql"));
        std::fs::read_to_string(&path).map_err(|_| BrokerError::NotFound(format!("named query {name}")))
    }

    async fn submit(self: &Arc<Self>, caller: Caller, r: pb::SubmitRequestRequest) -> Result<pb::Request, BrokerError> {
        caller.require(MEMBER_ROLES)?;
        let (user, project_id) = (caller.user.clone(), r.project_id.clone());
        let project = self
            .db(move |store| {
                if !store.is_member(&user, &project_id)? {
                    return Err(BrokerError::PermissionDenied(format!(
                        "{user} is not a member of project {project_id}"
                    )));
                }
                store.project(&project_id)
            })
            .await?;
        project.check_approved_on(store::today())?;
        if r.title.trim().is_empty() || r.purpose.trim().is_empty() {
            return Err(BrokerError::InvalidArgument(
                "a request needs a title and a purpose".into(),
            ));
        }
        let sql = match &r.query {
            Some(Query::Sql(sql)) if !sql.trim().is_empty() => sql.clone(),
            Some(Query::NamedQuery(name)) => self.named_query(name)?,
            _ => {
                return Err(BrokerError::InvalidArgument(
                    "a request needs SQL or a named query".into(),
                ));
            }
        };
        crate::logs::statement("submit", &sql);
        let id = {
            let (caller, project_id, sql) = (caller.clone(), project.id.clone(), sql.clone());
            self.db(move |store| {
                let new = NewRequest {
                    project_id: &project_id,
                    title: &r.title,
                    purpose: &r.purpose,
                    sql: &sql,
                };
                store.submit(&caller, &new)
            })
            .await?
        };
        // Checked at once, within the call; until the verdict is stored the request is
        // `submitted` (and a restarted server checks it).
        self.check(caller, id, project, sql).await?;
        Ok(to_wire(self.db(move |store| store.request(id)).await?))
    }

    async fn get(&self, caller: Caller, id: i64) -> Result<pb::Request, BrokerError> {
        caller.require(MEMBER_ROLES)?;
        self.db(move |store| {
            let r = store.visible_request(&caller, id)?;
            store.record_read(&caller, "get_request", Some(id), None)?;
            Ok(to_wire(r))
        })
        .await
    }

    async fn list(&self, caller: Caller, project: String, page: Page) -> Result<pb::ListRequestsResponse, BrokerError> {
        caller.require(MEMBER_ROLES)?;
        self.db(move |store| {
            let filter = RequestFilter::MemberOf {
                user: &caller.user,
                project: (!project.is_empty()).then_some(&project),
            };
            let listed = store.requests(&filter, page)?;
            store.record_read(&caller, "list_requests", None, None)?;
            Ok(listing(listed))
        })
        .await
    }

    async fn fetch(&self, caller: Caller, id: i64) -> Result<Vec<pb::FetchResultResponse>, BrokerError> {
        caller.require(MEMBER_ROLES)?;
        let (output, release) = {
            let caller = caller.clone();
            self.db(move |store| {
                let r = store.visible_request(&caller, id)?;
                if r.state != State::Released {
                    return Err(BrokerError::FailedPrecondition(format!(
                        "request {id} is {}; only a released result can be fetched",
                        r.state.as_str()
                    )));
                }
                Ok((store.output(id)?, store.release_of(id)?))
            })
            .await?
        };
        // What leaves is what was released: the stored bytes and report against the hashes
        // the audit trail (keyed) holds for the release, not the hash beside them in the
        // table. A release from before reports were named names none.
        let released_hash = release.result_hash.unwrap_or_default();
        let report_named = release
            .target
            .as_ref()
            .is_none_or(|t| *t == store::report_target(&output.report_json));
        if store::output_hash(&output.arrow) != released_hash || !report_named {
            return Err(BrokerError::FailedPrecondition(format!(
                "request {id}: the stored output is not the one released; nothing is sent"
            )));
        }
        let pieces = ipc::pieces(&output.arrow)?;
        self.record_read(&caller, "fetch_result", Some(id), Some(released_hash))
            .await?;
        let header = Part::Header(pb::FetchResultHeader {
            arrow_schema: pieces.schema,
            report_json: output.report_json,
        });
        Ok(std::iter::once(header)
            .chain(pieces.batches.into_iter().map(Part::ArrowBatch))
            .map(|part| pb::FetchResultResponse { part: Some(part) })
            .collect())
    }
}

type FetchStream = Pin<Box<dyn Stream<Item = Result<pb::FetchResultResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::research_service_server::ResearchService for ResearchApi {
    async fn submit_request(&self, r: Request<pb::SubmitRequestRequest>) -> Result<Response<pb::Request>, Status> {
        let (metadata, _, message) = r.into_parts();
        self.0
            .call(&metadata, "submit", None, |caller| self.0.submit(caller, message))
            .await
            .map(Response::new)
    }

    async fn get_request(&self, r: Request<pb::GetRequestRequest>) -> Result<Response<pb::Request>, Status> {
        let id = request_id(r.get_ref().id)?;
        self.0
            .call(r.metadata(), "get_request", Some(id), |caller| self.0.get(caller, id))
            .await
            .map(Response::new)
    }

    async fn list_requests(
        &self,
        r: Request<pb::ListRequestsRequest>,
    ) -> Result<Response<pb::ListRequestsResponse>, Status> {
        let (project, page) = (
            r.get_ref().project_id.clone(),
            Page::new(r.get_ref().page_size, r.get_ref().after_id),
        );
        self.0
            .call(r.metadata(), "list_requests", None, |caller| {
                self.0.list(caller, project, page)
            })
            .await
            .map(Response::new)
    }

    type FetchResultStream = FetchStream;

    async fn fetch_result(&self, r: Request<pb::FetchResultRequest>) -> Result<Response<FetchStream>, Status> {
        let id = request_id(r.get_ref().id)?;
        let messages = self
            .0
            .call(r.metadata(), "fetch_result", Some(id), |caller| {
                self.0.fetch(caller, id)
            })
            .await?;
        let stream: FetchStream = Box::pin(tokio_stream::iter(messages.into_iter().map(Ok)));
        Ok(Response::new(stream))
    }
}
