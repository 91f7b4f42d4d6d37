//! The broker: approved researchers submit requests under a project, data stewards review,
//! approve and release checked outputs. The rules live here, on the server: who may see
//! which request, which tables a project's query can see, who may approve what, what can
//! be fetched. State and the hash-chained audit trail are in one SQLite file.
//!
//! Each gRPC call goes through [`Broker::call`]: authenticate the bearer token, run the
//! handler, and record a failed call in the audit trail (successful ones are recorded by
//! the handler, state changes in the same transaction as the change).

mod admin;
pub mod audit;
pub mod auth;
mod check;
pub mod conflicts;
mod console;
mod data_dir;
mod datasets;
pub mod error;
pub mod flight_sql;
mod gate;
mod ipc;
mod key_file;
mod ledger;
pub mod limits;
mod listener;
mod logs;
mod pseudonyms;
mod research;
mod steward;
pub mod store;
mod tls;

pub use datasets::Dataset;
pub use error::BrokerError;
pub use limits::Limits;
pub use tls::Tls;

use crate::audit::Event;
use crate::auth::Caller;
use crate::pseudonyms::ProjectPseudonyms;
use crate::store::{Project, RequestRecord, Store, StoredOutput};
use datafusion::common::ScalarValue;
use datafusion::execution::memory_pool::FairSpillPool;
use futures::StreamExt;
use renkei_disclosure::Policy;
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use renkei_proto::v1 as pb;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tonic::metadata::MetadataMap;

/// What `renkei serve` is given.
pub struct Config {
    /// Holds `broker.sqlite` and the audit trail's heads file.
    pub data: PathBuf,
    /// The audit trail's key (see [`audit`]); best kept outside `data`, where whoever can
    /// write the database cannot read it.
    pub audit_key: PathBuf,
    pub warehouse: PathBuf,
    /// The study queries a request may name (`<name>.sql`).
    pub queries: PathBuf,
    /// The disclosure policy in force: at check and again at release.
    pub policy: Policy,
    /// Spill directory and cluster of each request's query (its tables are the project's
    /// grant, whatever this says; its memory pool is the broker's, of `limits`).
    pub engine: EngineOptions,
    /// TLS for every connection; without it the server speaks plain HTTP/2 (loopback only).
    pub tls: Option<Tls>,
    /// Connections, queries and memory at once.
    pub limits: Limits,
    /// Log the audit trail's head this often (`renkei serve --audit-head-every`), if given.
    pub audit_head_every: Option<std::time::Duration>,
}

/// The state every service shares.
struct Broker {
    /// Reached only through [`Broker::db`].
    store: Arc<Mutex<Store>>,
    /// Held per project from reading its ledger to writing what its output released.
    ledger_locks: ledger::ProjectLocks,
    config: Config,
    /// Derives each project's output pseudonyms (see [`pseudonyms`]).
    pseudonym_secret: [u8; 32],
    /// Places of the queries running at once (`limits.max_queries`).
    query_slots: limits::QuerySlots,
}

/// A broker whose every input was checked and opened (warehouse, study queries folder, data
/// directory and state database, TLS files), not yet listening: `renkei serve` prepares one
/// before it binds its ports and says `listening on`, so that a mistake in any of them is
/// told before anyone is told to connect.
pub struct Prepared {
    config: Config,
    store: Store,
    pseudonym_secret: [u8; 32],
}

/// Checks and opens what `config` names; see [`Prepared`].
pub fn prepare(config: Config) -> Result<Prepared, BrokerError> {
    // A request naming a study query would find none, long after the start.
    if !config.queries.is_dir() {
        return Err(BrokerError::NoQueries(config.queries.clone()));
    }
    if let Some(tls) = &config.tls {
        tls.check()?;
    }
    // Fail at start, not at the first request, on a warehouse the engine cannot open.
    Engine::open(&config.warehouse, config.policy.clone(), EngineOptions::default())?;
    // Before anything is opened or made there: refused if others could read it.
    data_dir::check(&config.data, &config.audit_key)?;
    let store = Store::open(&config.data, &config.audit_key)?;
    let pseudonym_secret = pseudonyms::load_or_create_secret(&config.data)?;
    Ok(Prepared {
        config,
        store,
        pseudonym_secret,
    })
}

/// Serves the research, steward, admin, Flight SQL and health services on `listener`, and
/// the steward console on `console` if given, until the process ends. Every transaction is
/// committed before its call answers, so ending the process at any moment loses no
/// answered call.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    console: Option<tokio::net::TcpListener>,
) -> Result<(), BrokerError> {
    prepare(config)?.serve(listener, console).await
}

impl Prepared {
    /// As [`serve`], with the inputs already checked.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        console: Option<tokio::net::TcpListener>,
    ) -> Result<(), BrokerError> {
        let Prepared {
            mut config,
            store,
            pseudonym_secret,
        } = self;
        logs::started(
            &config,
            listener.local_addr().ok(),
            console.as_ref().and_then(|c| c.local_addr().ok()),
        );
        let tls = config.tls.take();
        let tls_of_console = tls.clone();
        // One pool for all running queries (a 6-way self-join on person_id of one query took the
        // broker past 6 GB when each query had its own pool, or none). Fair, as a query's own:
        // see `Engine::open`.
        config.engine.memory_pool = Some(Arc::new(FairSpillPool::new(config.limits.query_memory)));
        let grpc_connections = listener::accept(
            listener,
            &config.limits,
            tls.as_ref().map(|t| t.acceptor(tls::ALPN_H2)).transpose()?,
            listener::HTTP2_PREFACE_BYTES,
        );
        serve_prepared(
            config,
            store,
            pseudonym_secret,
            grpc_connections,
            console,
            tls_of_console,
        )
        .await
    }
}

async fn serve_prepared(
    config: Config,
    store: Store,
    pseudonym_secret: [u8; 32],
    grpc_connections: tokio::sync::mpsc::Receiver<listener::Connection>,
    console: Option<tokio::net::TcpListener>,
    tls_of_console: Option<Tls>,
) -> Result<(), BrokerError> {
    let broker = Arc::new(Broker {
        store: Arc::new(Mutex::new(store)),
        ledger_locks: ledger::ProjectLocks::default(),
        query_slots: limits::QuerySlots::new(&config.limits),
        config,
        pseudonym_secret,
    });
    // Requests accepted just before a crash may still wait for their check: taken now,
    // checked in the background while the server already answers.
    let unchecked = broker.unchecked_requests().await?;
    tokio::spawn(Arc::clone(&broker).check_at_start(unchecked));
    if let Some(every) = broker.config.audit_head_every {
        tokio::spawn(logs::audit_heads(Arc::clone(&broker), every));
    }
    let gate = gate::Gate::new(Arc::clone(&broker));
    let research = pb::research_service_server::ResearchServiceServer::new(research::ResearchApi(Arc::clone(&broker)))
        .max_decoding_message_size(MAX_MESSAGE_BYTES);
    let steward = pb::steward_service_server::StewardServiceServer::new(steward::StewardApi(Arc::clone(&broker)))
        .max_decoding_message_size(MAX_MESSAGE_BYTES);
    let flight = arrow_flight::flight_service_server::FlightServiceServer::new(flight_sql::FlightSqlApi::new(
        Arc::clone(&broker),
    ))
    .max_decoding_message_size(MAX_MESSAGE_BYTES);
    let console = console.map(|listener| {
        let broker = Arc::clone(&broker);
        async move { console::serve(broker, tls_of_console.as_ref(), listener).await }
    });
    let admin = pb::admin_service_server::AdminServiceServer::new(admin::AdminApi(broker))
        .max_decoding_message_size(MAX_MESSAGE_BYTES);
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<pb::research_service_server::ResearchServiceServer<research::ResearchApi>>()
        .await;
    health
        .set_serving::<pb::steward_service_server::StewardServiceServer<steward::StewardApi>>()
        .await;
    health
        .set_serving::<pb::admin_service_server::AdminServiceServer<admin::AdminApi>>()
        .await;
    health
        .set_serving::<arrow_flight::flight_service_server::FlightServiceServer<flight_sql::FlightSqlApi>>()
        .await;
    // Streams per connection bounded: 100,000 health `Watch` streams held open on a few
    // connections took the server past 6 GB without a token (a red-team pass). Dead peers
    // are found by keepalive pings and dropped. Connections are accepted, capped, and
    // (with TLS) handshaken by `listener`.
    let mut server = tonic::transport::Server::builder()
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .http2_keepalive_interval(Some(std::time::Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(std::time::Duration::from_secs(10)));
    let grpc = async {
        server
            .add_service(health_service)
            .add_service(gate.guard(research))
            .add_service(gate.guard(steward))
            .add_service(gate.guard(admin))
            .add_service(gate.guard(flight))
            .serve_with_incoming(
                tokio_stream::wrappers::ReceiverStream::new(grpc_connections).map(Ok::<_, std::io::Error>),
            )
            .await
            .map_err(|e| BrokerError::Io(format!("serving gRPC: {e}")))
    };
    match console {
        // Either ending is the server failing: neither returns while it serves.
        Some(console) => tokio::try_join!(grpc, console).map(|_| ()),
        None => grpc.await,
    }
}

/// Most concurrent calls on one connection (HTTP/2 streams); a client that wants more opens
/// more connections.
const MAX_STREAMS_PER_CONNECTION: u32 = 128;

/// Most bytes of one message a client sends (tonic's default, 4 MiB, made explicit and
/// lowered): a query's SQL, a project, a prepared statement's handle or a piece of its bound
/// parameters is far smaller.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

impl Broker {
    /// The caller a call's bearer token names.
    async fn authenticate(&self, metadata: &MetadataMap) -> Result<Caller, BrokerError> {
        let hash = auth::token_hash(auth::bearer(metadata)?);
        self.db(move |store| store.authenticate(&hash)).await
    }

    /// The one way to the state database. SQLite blocks its thread (a synced commit takes
    /// milliseconds; a write lock held elsewhere, e.g. by a backup or an `sqlite3` shell, is
    /// waited for up to the busy timeout, 10 s), so `work` runs on tokio's blocking pool and
    /// never on an async worker, where it stalled every task of that worker: other calls,
    /// health checks and the running queries' DataFusion tasks. `work` holds the store alone
    /// from start to end, so its transactions stay whole, and it runs to its end even if the
    /// call that asked for it goes away. A panic in another `work` cannot leave a
    /// transaction open (SQLite rolls an unfinished one back), so a poisoned lock is safe.
    async fn db<T, F>(&self, work: F) -> Result<T, BrokerError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, BrokerError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || work(&mut store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())))
            .await
            .map_err(|_| BrokerError::Io("a step on the state database stopped".into()))?
    }

    /// Authenticates the call, runs `handler`, and records a failure in the audit trail.
    async fn call<T, F, Fut>(
        &self,
        metadata: &MetadataMap,
        action: &str,
        request_id: Option<i64>,
        handler: F,
    ) -> Result<T, tonic::Status>
    where
        F: FnOnce(Caller) -> Fut,
        Fut: Future<Output = Result<T, BrokerError>>,
    {
        let timer = logs::Timer::start();
        let (caller, result) = match self.authenticate(metadata).await {
            Ok(caller) => (Some(caller.clone()), handler(caller).await),
            Err(e) => (None, Err(e)),
        };
        logs::call(action, request_id, &result, timer.took());
        if let Err(e) = &result
            && !e.already_audited()
        {
            self.record_failure(caller.as_ref(), action, request_id, e).await;
        }
        result.map_err(tonic::Status::from)
    }

    /// Records a failed call in the audit trail. The call fails anyway, so a failure to
    /// record it is only reported.
    async fn record_failure(&self, caller: Option<&Caller>, action: &str, request_id: Option<i64>, e: &BrokerError) {
        let event = Event {
            user: caller.map_or_else(|| "(unauthenticated)".into(), |c| c.user.clone()),
            role: caller.map_or("none", |c| c.role.as_str()).to_string(),
            action: action.to_string(),
            request_id,
            outcome: e.outcome().to_string(),
            ..Event::default()
        };
        if let Err(audit_error) = self.db(move |store| store.record(&event)).await {
            logs::unaudited(action, &audit_error);
        }
    }

    /// Records a successful call that changed nothing.
    async fn record_read(
        &self,
        caller: &Caller,
        action: &str,
        request_id: Option<i64>,
        result_hash: Option<String>,
    ) -> Result<(), BrokerError> {
        let event = store::read_event(caller, action, request_id, result_hash);
        self.db(move |store| store.record(&event)).await
    }

    /// The checked engine as a project sees it: only the tables of its granted datasets.
    fn project_engine(&self, project: &Project) -> Result<Engine, EngineError> {
        let tables = project
            .datasets
            .iter()
            .flat_map(|d| d.tables())
            .map(|t| t.to_string())
            .collect();
        // Every count of persons comes with its persons, for the project's ledger.
        let options = EngineOptions {
            tables: Some(tables),
            ..self.config.engine.clone()
        };
        Engine::open(&self.config.warehouse, self.config.policy.clone(), options)
    }

    /// Runs `sql` (with values for its placeholders) through disclosure control, seeing only
    /// the tables of the project's granted datasets, and checked against every count the
    /// project released before (its ledger). The caller holds the project's ledger lock if
    /// what this releases is to be written to the ledger.
    async fn run_checked(
        &self,
        project: &Project,
        sql: &str,
        parameters: Vec<ScalarValue>,
    ) -> Result<CheckedOutput, BrokerError> {
        Ok(self.run_checked_named(project, sql, parameters).await?.0)
    }

    /// [`Broker::run_checked`], with the identity of each cell of the history it was checked
    /// against (`cells[i]` for the engine's history index i), to name its conflicts.
    async fn run_checked_named(
        &self,
        project: &Project,
        sql: &str,
        parameters: Vec<ScalarValue>,
    ) -> Result<(CheckedOutput, Vec<ledger::LedgerCell>), BrokerError> {
        let project_id = project.id.clone();
        let ledger::History { sets, cells } = self
            .db(move |store| ledger::history(store.connection(), &project_id))
            .await?;
        let _slot = self.query_slots.take().await?;
        // Timed from its place, not from its call: a query that waited for others is not cut
        // short for it (the caller's own deadline bounds the wait). Stopping it drops its
        // streams, which ends DataFusion's tasks and frees its memory.
        let limit = self.config.limits.query_timeout;
        let engine = self.project_engine(project)?;
        let run = engine.query_with_history(sql, parameters, Some(Arc::new(sets)));
        let output = tokio::time::timeout(limit, run)
            .await
            .map_err(|_| {
                BrokerError::DeadlineExceeded(format!(
                    "the query ran longer than the broker's limit of {} s (renkei serve --query-timeout) \
                     and was stopped; narrow it",
                    limit.as_secs_f64()
                ))
            })?
            .map_err(|e| self.resources_error(e))?;
        Ok((output, cells))
    }

    /// A query that ran out of the shared memory pool is no verdict on the query: it may run
    /// when fewer share the pool, so it is `Unavailable`.
    fn resources_error(&self, e: EngineError) -> BrokerError {
        if e.out_of_resources() {
            BrokerError::Unavailable(format!(
                "the query needs more memory than the {} MiB all running queries share leave it \
                 now (or more spill disk than there is); try again later, or narrow the query",
                self.config.limits.query_memory / (1024 * 1024)
            ))
        } else {
            BrokerError::Query(e)
        }
    }

    /// The project's query run through disclosure control, in the form the store keeps:
    /// any key-shaped value re-keyed for the project, then encoded and rendered, with the
    /// earlier cells its `history` cells conflict with (for the steward).
    /// With it, the persons behind its released counts, for the ledger at release.
    async fn checked_output(
        &self,
        project: &Project,
        sql: &str,
    ) -> Result<(StoredOutput, Vec<renkei_engine::ReleasedCell>), BrokerError> {
        let (mut output, history) = self.run_checked_named(project, sql, Vec::new()).await?;
        output.batches = ProjectPseudonyms::new(&self.pseudonym_secret, &project.id).rekey(&output.batches)?;
        let stored = StoredOutput {
            arrow: ipc::encode(&output.schema, &output.batches)?,
            table: output
                .to_table()
                .map_err(|_| BrokerError::Arrow("rendering the output as a table failed"))?,
            report_json: output.report.to_json(),
            history_conflicts: conflicts::named(&output.history_conflicts, &history),
        };
        Ok((stored, output.released))
    }
}

/// A page of requests as the wire's listing: `next_after_id` is the last id shown when more
/// follow, else 0.
fn listing((requests, more): (Vec<RequestRecord>, bool)) -> pb::ListRequestsResponse {
    let next_after_id = if more {
        requests.last().map_or(0, |r| r.id.unsigned_abs())
    } else {
        0
    };
    pb::ListRequestsResponse {
        requests: requests.into_iter().map(to_wire).collect(),
        next_after_id,
    }
}

/// A request id of the wire as the store's.
fn request_id(id: u64) -> Result<i64, BrokerError> {
    i64::try_from(id).map_err(|_| BrokerError::NotFound(format!("request {id}")))
}

/// A stored request as the wire message.
fn to_wire(r: RequestRecord) -> pb::Request {
    let state = match r.state {
        store::State::Submitted => pb::RequestState::Submitted,
        store::State::Checked => pb::RequestState::Checked,
        store::State::Refused => pb::RequestState::Refused,
        store::State::Approved => pb::RequestState::Approved,
        store::State::Rejected => pb::RequestState::Rejected,
        store::State::Released => pb::RequestState::Released,
    };
    pb::Request {
        id: r.id.unsigned_abs(),
        project_id: r.project_id,
        requester: r.requester,
        title: r.title,
        purpose: r.purpose,
        sql: r.sql,
        state: state.into(),
        refusal: r.refusal.unwrap_or_default(),
        reviewer: r.reviewer.unwrap_or_default(),
        rejection_reason: r.rejection_reason.unwrap_or_default(),
        releaser: r.releaser.unwrap_or_default(),
        submitted_at: r.submitted_at,
        result_hash: r.result_hash.unwrap_or_default(),
    }
}

/// Ids chosen by an admin (projects, users): short, printable, no spaces.
fn check_id(kind: &str, id: &str) -> Result<(), BrokerError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(BrokerError::InvalidArgument(format!(
            "a {kind} id is 1 to 64 letters, digits, `-`, `_` or `.`"
        )))
    }
}

/// A first admin user `admin` on a data directory without users, and its token (returned
/// once: only its hash is stored).
pub fn bootstrap(
    data: &std::path::Path,
    audit_key: &std::path::Path,
    admin: &str,
    valid_seconds: i64,
) -> Result<auth::NewToken, BrokerError> {
    check_id("user", admin)?;
    let token = auth::new_token()?;
    let expires_at = store::now().0.saturating_add(valid_seconds);
    Store::open(data, audit_key)?.bootstrap(admin, &token.hash, expires_at)?;
    Ok(token)
}

/// `path` as an SQLite `file:` URI, every byte but unreserved ones and `/` percent-encoded.
fn url_of(path: &std::path::Path) -> Result<String, BrokerError> {
    let absolute = std::path::absolute(path).map_err(|e| BrokerError::Io(format!("{}: {e}", path.display())))?;
    let text = absolute
        .to_str()
        .ok_or_else(|| BrokerError::Io(format!("{} is not UTF-8", path.display())))?;
    let mut uri = String::from("file:");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(uri)
}

/// Walks the audit chain of the state database under `data` under the key in `audit_key`,
/// in one read-only transaction: it never writes the database it checks, nor makes a key.
pub fn verify_audit(data: &std::path::Path, audit_key: &std::path::Path) -> Result<audit::Verification, BrokerError> {
    let file = data.join(store::DATABASE_FILE);
    if !file.is_file() {
        return Err(BrokerError::NotFound(format!("state database {}", file.display())));
    }
    let key = key_file::load(audit_key)?
        .ok_or_else(|| BrokerError::NotFound(format!("audit key {}", audit_key.display())))?;
    // Without a write-ahead log beside it (no broker has it open; a copy kept as evidence),
    // the file is opened as immutable: SQLite then makes no `-shm` file, so a read-only
    // directory verifies too (a red-team pass got SQLITE_READONLY_DIRECTORY there).
    let mut wal = file.clone().into_os_string();
    wal.push("-wal");
    let mut conn = if std::path::Path::new(&wal).exists() {
        rusqlite::Connection::open_with_flags(&file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?
    } else {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let uri = url_of(&file)?;
        rusqlite::Connection::open_with_flags(format!("{uri}?immutable=1"), flags)?
    };
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
    audit::verify(&tx, &key, &data.join(audit::HEADS_FILE))
}
