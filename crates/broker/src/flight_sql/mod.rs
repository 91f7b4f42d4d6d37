//! Flight SQL: ministry analysts query from the tools they already use (ADBC drivers, the
//! Flight SQL JDBC driver, pyarrow) on the broker's own port, and every statement still goes
//! through the checked engine: the endpoint builds the checked session, not the client.
//!
//! - Identity is the broker's: the bearer token of every call (and mutual TLS where the
//!   server is configured for it). Analysts get checked outputs directly; stewards too, on
//!   the projects they are a member of; researchers are sent to the request workflow.
//! - A call works under one project, named in the `x-renkei-project` header (optional when
//!   the caller is a member of exactly one): its approval period and its granted datasets
//!   decide what runs and which tables exist, in queries and in the catalog listings alike.
//! - A statement runs at `GetFlightInfo`, so a refusal reaches the client at `execute`; the
//!   checked result waits, for its caller only and for [`RESULT_TTL`], until `DoGet` takes it.
//!   Hidden cells are nulls; the disclosure report (JSON) is the schema metadata
//!   [`REPORT_METADATA_KEY`] of both the FlightInfo schema and the streamed one.
//! - Prepared statements are stateless: the handle holds the SQL and the bound parameter row
//!   (Arrow IPC), sealed by the server, so a server restart loses none ([`prepared`]).
//!   Parameters are `$1`, `$2`, …
//! - Nothing a caller sends is decoded before the caller is authenticated: the gate in front
//!   of the service (`gate.rs`) answers a call without a valid token from its headers,
//!   and handles and parameters are opened only inside [`Broker::call`].
//! - Every call lands in the audit chain: successes here, failures through [`Broker::call`].

use crate::auth::{Caller, Role};
use crate::error::BrokerError;
use crate::pseudonyms::ProjectPseudonyms;
use crate::store::{self, Project};
use crate::{Broker, ipc};
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult,
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetSqlInfo, CommandGetTables, CommandPreparedStatementQuery,
    CommandStatementQuery, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo, SqlSupportedTransaction,
    TicketStatementQuery,
};
use arrow_flight::{Action, FlightDescriptor, FlightEndpoint, FlightInfo, Ticket};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use futures::{TryStreamExt, stream};
use prepared::{HandleSeal, Statement};
use prost::Message;
use results::{WaitingResult, WaitingResults};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Instant;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

mod bind;
mod prepared;
mod results;

pub use results::RESULT_TTL;

/// The header that names the project of a call.
pub const PROJECT_HEADER: &str = "x-renkei-project";
/// The schema metadata key of a result's disclosure report (JSON).
pub const REPORT_METADATA_KEY: &str = "renkei.disclosure_report";
/// The catalog and schema every table is listed under (DataFusion's defaults, where the
/// engine registers them).
const CATALOG: &str = "datafusion";
const DB_SCHEMA: &str = "public";

/// Who gets checked outputs directly. Not stewards: one who may not approve a request (their
/// own) could otherwise run its SQL here and read its output without a second person; what a
/// review needs, the review gives (`steward review`, the console).
const DIRECT_ROLES: &[Role] = &[Role::Analyst];

static SQL_INFO: LazyLock<Result<SqlInfoData, FlightError>> = LazyLock::new(|| {
    let mut b = SqlInfoDataBuilder::new();
    b.append(SqlInfo::FlightSqlServerName, "Renkei");
    b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    b.append(SqlInfo::FlightSqlServerArrowVersion, "1.3");
    b.append(SqlInfo::FlightSqlServerReadOnly, true);
    b.append(SqlInfo::FlightSqlServerSql, true);
    b.append(SqlInfo::FlightSqlServerSubstrait, false);
    b.append(
        SqlInfo::FlightSqlServerTransaction,
        SqlSupportedTransaction::None as i32,
    );
    b.build()
});

pub struct FlightSqlApi {
    broker: Arc<Broker>,
    waiting: WaitingResults,
    handles: HandleSeal,
}

impl FlightSqlApi {
    pub(crate) fn new(broker: Arc<Broker>) -> FlightSqlApi {
        let handles = HandleSeal::new(&broker.pseudonym_secret);
        FlightSqlApi {
            waiting: WaitingResults::new(broker.config.limits.flight_results_per_user),
            broker,
            handles,
        }
    }

    /// Keeps a result for its `DoGet`; returns its handle.
    fn keep(&self, result: WaitingResult) -> Result<String, BrokerError> {
        let mut bits = [0u8; 16];
        getrandom::fill(&mut bits).map_err(|e| BrokerError::Io(format!("the system random source failed: {e}")))?;
        let handle = hex::encode(bits);
        self.waiting.keep(handle.clone(), result)?;
        Ok(handle)
    }

    /// Runs a statement through the checked engine under the call's project and keeps the
    /// result for `DoGet`; `statement` is read only once the caller is authenticated.
    async fn run_statement(
        &self,
        metadata: &MetadataMap,
        statement: impl FnOnce() -> Result<Statement, BrokerError>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.broker
            .call(metadata, "flight_query", None, |caller| async move {
                let project = self.broker.direct_query_project(&caller, metadata).await?;
                let Statement { sql, parameters } = statement()?;
                crate::logs::statement("flight_query", &sql);
                // Checked against the project's ledger and written to it before it can leave.
                let _ledger = self.broker.ledger_locks.lock(&project.id).await;
                let output = match self.broker.run_checked(&project, &sql, parameters).await {
                    Ok(output) => output,
                    Err(e) => {
                        // The request workflow audits a verdict with its request; here the
                        // refusal is the call's own outcome (any other failure is recorded
                        // by `call`).
                        if e.already_audited() {
                            self.broker
                                .record_failure(Some(&caller), "flight_query", None, &e)
                                .await;
                        }
                        return Err(e);
                    }
                };
                let batches =
                    ProjectPseudonyms::new(&self.broker.pseudonym_secret, &project.id).rekey(&output.batches)?;
                let schema = Arc::new(Schema::new_with_metadata(
                    output.schema.fields().clone(),
                    HashMap::from([(REPORT_METADATA_KEY.to_string(), output.report.to_json())]),
                ));
                let batches = batches
                    .into_iter()
                    .map(|b| b.with_schema(Arc::clone(&schema)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| BrokerError::Arrow("attaching the disclosure report to the output failed"))?;
                // A result that could not wait for its DoGet does not reach the ledger.
                self.waiting.admit(results::bytes_of(&batches))?;
                let result_hash = blake3::hash(&ipc::encode(&schema, &batches)?).to_hex().to_string();
                let (project_id, released) = (project.id.clone(), output.released);
                let flight_output = format!("flight:{result_hash}");
                self.broker
                    .db(move |store| store.append_to_ledger(&project_id, &flight_output, &released))
                    .await?;
                self.broker
                    .record_read(&caller, "flight_query", None, Some(result_hash.clone()))
                    .await?;
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                let handle = self.keep(WaitingResult {
                    user: caller.user.clone(),
                    created: Instant::now(),
                    schema: Arc::clone(&schema),
                    batches,
                    result_hash,
                })?;
                let ticket = Ticket::new(
                    TicketStatementQuery {
                        statement_handle: handle.into_bytes().into(),
                    }
                    .as_any()
                    .encode_to_vec(),
                );
                Ok(Response::new(
                    FlightInfo::new()
                        .try_with_schema(&schema)
                        .map_err(|_| BrokerError::Arrow("encoding the output schema failed"))?
                        .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
                        .with_total_records(i64::try_from(rows).unwrap_or(i64::MAX))
                        .with_ordered(true),
                ))
            })
            .await
    }

    /// Authenticates a catalog call under the call's project, answers it with `answer` and
    /// audits it.
    async fn catalog_call<T>(
        &self,
        metadata: &MetadataMap,
        action: &str,
        answer: impl FnOnce(&Project) -> Result<T, BrokerError>,
    ) -> Result<T, Status> {
        self.broker
            .call(metadata, action, None, |caller| async move {
                let project = self.broker.direct_query_project(&caller, metadata).await?;
                let answer = answer(&project)?;
                self.broker.record_read(&caller, action, None, None).await?;
                Ok(answer)
            })
            .await
    }
}

type DoGetStream = <FlightSqlApi as FlightService>::DoGetStream;

/// Batches as a `DoGet` stream; the schema (with its metadata) goes first, even without rows.
fn batch_stream(schema: SchemaRef, batches: Vec<Result<RecordBatch, FlightError>>) -> DoGetStream {
    Box::pin(
        FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(stream::iter(batches))
            .map_err(Status::from),
    )
}

/// A FlightInfo whose one endpoint's ticket is the command itself (the catalog calls).
fn command_info<M: ProstMessageExt>(
    command: &M,
    schema: &Schema,
    descriptor: FlightDescriptor,
) -> Result<Response<FlightInfo>, Status> {
    let ticket = Ticket::new(command.as_any().encode_to_vec());
    Ok(Response::new(
        FlightInfo::new()
            .try_with_schema(schema)
            .map_err(|_| Status::internal("encoding the listing's schema failed"))?
            .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
            .with_descriptor(descriptor),
    ))
}

fn sql_info() -> Result<&'static SqlInfoData, Status> {
    SQL_INFO
        .as_ref()
        .map_err(|_| Status::internal("the server's SQL information could not be built"))
}

#[tonic::async_trait]
impl FlightSqlService for FlightSqlApi {
    type FlightService = FlightSqlApi;

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let statement = || {
            Ok(Statement {
                sql: query.query,
                parameters: Vec::new(),
            })
        };
        self.run_statement(request.metadata(), statement).await
    }

    async fn get_flight_info_prepared_statement(
        &self,
        command: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let handle = &command.prepared_statement_handle;
        self.run_statement(request.metadata(), || self.handles.open(handle))
            .await
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let result = self
            .broker
            .call(request.metadata(), "flight_fetch", None, |caller| async move {
                let result = self.waiting.take(&caller, &ticket.statement_handle)?;
                self.broker
                    .record_read(&caller, "flight_fetch", None, Some(result.result_hash.clone()))
                    .await?;
                Ok(result)
            })
            .await?;
        let batches = result.batches.into_iter().map(Ok).collect();
        Ok(Response::new(batch_stream(result.schema, batches)))
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let metadata = request.metadata();
        self.broker
            .call(metadata, "flight_prepare", None, |caller| async move {
                self.broker.direct_query_project(&caller, metadata).await?;
                self.broker.record_read(&caller, "flight_prepare", None, None).await?;
                Ok(ActionCreatePreparedStatementResult {
                    prepared_statement_handle: self.handles.seal(query.query, None).into(),
                    // Unknown until it runs: the checks decide which cells and columns exist.
                    dataset_schema: Default::default(),
                    parameter_schema: Default::default(),
                })
            })
            .await
    }

    async fn do_put_prepared_statement_query(
        &self,
        command: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let (metadata, _, data) = request.into_parts();
        let metadata = &metadata;
        self.broker
            .call(metadata, "flight_bind", None, |caller| async move {
                self.broker.direct_query_project(&caller, metadata).await?;
                let sql = self.handles.sql_of(&command.prepared_statement_handle)?;
                let row = bind::bound_row(data.map_err(FlightError::from)).await?;
                self.broker.record_read(&caller, "flight_bind", None, None).await?;
                Ok(DoPutPreparedStatementResult {
                    prepared_statement_handle: Some(self.handles.seal(sql, Some(row)).into()),
                })
            })
            .await
    }

    async fn do_action_close_prepared_statement(
        &self,
        _query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        // Handles are stateless: nothing to free, but the call is audited like any other.
        self.broker
            .call(request.metadata(), "flight_close", None, |caller| async move {
                self.broker.record_read(&caller, "flight_close", None, None).await
            })
            .await
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (metadata, _, descriptor) = request.into_parts();
        self.catalog_call(&metadata, "flight_catalogs", |_| Ok(())).await?;
        command_info(&query, &query.into_builder().schema(), descriptor)
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.catalog_call(request.metadata(), "flight_catalogs", |_| Ok(()))
            .await?;
        let mut builder = query.into_builder();
        builder.append(CATALOG);
        Ok(Response::new(batch_stream(builder.schema(), vec![builder.build()])))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (metadata, _, descriptor) = request.into_parts();
        self.catalog_call(&metadata, "flight_schemas", |_| Ok(())).await?;
        command_info(&query, &query.clone().into_builder().schema(), descriptor)
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.catalog_call(request.metadata(), "flight_schemas", |_| Ok(()))
            .await?;
        let mut builder = query.into_builder();
        builder.append(CATALOG, DB_SCHEMA);
        Ok(Response::new(batch_stream(builder.schema(), vec![builder.build()])))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (metadata, _, descriptor) = request.into_parts();
        self.catalog_call(&metadata, "flight_tables", |_| Ok(())).await?;
        command_info(&query, &query.clone().into_builder().schema(), descriptor)
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        // Only the project's granted tables: the others do not exist for its queries either.
        let tables = self
            .catalog_call(request.metadata(), "flight_tables", |project| {
                Ok(self.broker.project_engine(project)?.tables())
            })
            .await?;
        let mut builder = query.into_builder();
        for (name, schema) in &tables {
            builder
                .append(CATALOG, DB_SCHEMA, name, "TABLE", schema)
                .map_err(Status::from)?;
        }
        Ok(Response::new(batch_stream(builder.schema(), vec![builder.build()])))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (metadata, _, descriptor) = request.into_parts();
        self.catalog_call(&metadata, "flight_sql_info", |_| Ok(())).await?;
        let schema = query.clone().into_builder(sql_info()?).schema();
        command_info(&query, &schema, descriptor)
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.catalog_call(request.metadata(), "flight_sql_info", |_| Ok(()))
            .await?;
        let builder = query.into_builder(sql_info()?);
        Ok(Response::new(batch_stream(builder.schema(), vec![builder.build()])))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

impl Broker {
    /// The project a Flight SQL call works under, for a caller who may get checked outputs
    /// directly: a member of it, within its approval period.
    async fn direct_query_project(&self, caller: &Caller, metadata: &MetadataMap) -> Result<Project, BrokerError> {
        if caller.role == Role::Researcher {
            return Err(BrokerError::PermissionDenied(
                "researchers get outputs through the request workflow: submit the query with \
                 `renkei request submit` (ResearchService.SubmitRequest), and a data steward reviews \
                 and releases it"
                    .into(),
            ));
        }
        if caller.role == Role::Steward {
            return Err(BrokerError::PermissionDenied(
                "stewards get no direct outputs: they see a request's checked output in its review \
                 (`renkei steward review`, the console), never a query of their own"
                    .into(),
            ));
        }
        caller.require(DIRECT_ROLES)?;
        let named = metadata
            .get(PROJECT_HEADER)
            .map(|v| v.to_str().map(str::to_string))
            .transpose()
            .map_err(|_| BrokerError::InvalidArgument(format!("the {PROJECT_HEADER} header is not text")))?;
        let user = caller.user.clone();
        let project = self
            .db(move |store| {
                let id = match named {
                    Some(id) => id,
                    None => match store.projects_of(&user)?.as_slice() {
                        [only] => only.clone(),
                        _ => {
                            return Err(BrokerError::InvalidArgument(format!(
                                "name the project in the {PROJECT_HEADER} header (ADBC: the database option \
                                 adbc.flight.sql.rpc.call_header.{PROJECT_HEADER})"
                            )));
                        }
                    },
                };
                if !store.is_member(&user, &id)? {
                    return Err(BrokerError::PermissionDenied(format!(
                        "{user} is not a member of project {id}"
                    )));
                }
                store.project(&id)
            })
            .await?;
        project.check_approved_on(store::today())?;
        Ok(project)
    }
}
