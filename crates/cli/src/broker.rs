//! The broker's commands: `renkei serve`, `renkei admin …`, `renkei request …`,
//! `renkei steward …` (gRPC clients of a running broker) and `renkei audit verify`.

use crate::query::{Refused, load_policy, write_parquet};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use datafusion::arrow::ipc::reader::StreamReader;
use renkei_broker::audit::Verification;
use renkei_proto::v1 as pb;
use std::path::{Path, PathBuf};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// Where the broker's state is: its directory and its audit trail's key.
#[derive(Args)]
pub struct StateArgs {
    /// Directory of the broker's state (broker.sqlite and the audit trail's heads file),
    /// created if needed.
    #[arg(long)]
    data: PathBuf,
    /// The audit trail's key (32 bytes; made on first use if absent) [default: <data>/audit.key].
    /// Kept outside --data, whoever can write the database cannot read it to rewrite the trail.
    #[arg(long, env = "RENKEI_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
}

impl StateArgs {
    fn audit_key(&self) -> PathBuf {
        self.audit_key
            .clone()
            .unwrap_or_else(|| self.data.join(renkei_broker::audit::KEY_FILE))
    }
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    state: StateArgs,
    /// The warehouse written by `renkei ingest`.
    #[arg(long)]
    warehouse: PathBuf,
    /// Address to listen on; port 0 picks a free port (printed as `listening on ADDR`).
    #[arg(long, default_value = "127.0.0.1:50051")]
    listen: String,
    /// The study queries a request may name.
    #[arg(long, default_value = "queries")]
    queries: PathBuf,
    /// A policy TOML (see docs/disclosure.md); the NDB / 介護DB rules if absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Memory (MiB) of query state all running queries share (one pool); beyond it operators
    /// spill to disk, and a query whose state cannot spill fails with UNAVAILABLE
    /// [default: half the machine's memory, or of the cgroup's limit where lower].
    #[arg(long)]
    memory_mib: Option<usize>,
    /// Queries (request checks, releases, Flight SQL statements) running at once; others
    /// wait for a place [default: one per core].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_queries: Option<u32>,
    /// Seconds one query (a request's check, a release's re-run, a Flight SQL statement) may
    /// run once it has its place; then it is stopped with DEADLINE_EXCEEDED (a check: the
    /// request is refused; a release: the request stays approved).
    #[arg(long, default_value_t = renkei_broker::limits::DEFAULT_QUERY_TIMEOUT.as_secs_f64(),
          value_parser = positive_number)]
    query_timeout: f64,
    /// Connections open at once on each port (gRPC, console); beyond it new ones wait.
    #[arg(long, default_value_t = renkei_broker::limits::DEFAULT_MAX_CONNECTIONS as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a connection has to finish its TLS handshake and send its HTTP/2 preface
    /// (gRPC) or a request's headers (console, where it is also the idle time allowed between
    /// requests) before it is closed.
    #[arg(long, default_value_t = renkei_broker::limits::DEFAULT_HEADER_TIMEOUT.as_secs_f64(),
          value_parser = positive_number)]
    header_timeout: f64,
    /// MiB of checked Flight SQL results one user may have waiting for their DoGet; a new
    /// one evicts that user's oldest, and a larger one is refused.
    #[arg(long, default_value_t = (renkei_broker::limits::DEFAULT_FLIGHT_RESULTS_PER_USER / (1024 * 1024)) as f64,
          value_parser = positive_number)]
    flight_results_mib: f64,
    /// Where queries spill (the OS temp directory if absent).
    #[arg(long)]
    spill_dir: Option<PathBuf>,
    /// The server's certificate chain (PEM): serve TLS. Without it the server speaks plain
    /// HTTP/2, which is for loopback only.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A CA certificate (PEM): require mutual TLS, every client presenting a certificate it
    /// signed (the bearer token is still required).
    #[arg(long, requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// What the broker logs to standard error: `off`, `error`, `warn`, `info` (the start, one
    /// line per call with its method, outcome class and duration, refusals and failures by
    /// class: never a value, a user, a token or SQL) or `debug` (adds each statement's SQL and
    /// each failure's message, which can quote the SQL's literals: a steward's explicit choice).
    /// Only the broker's own events: the libraries under it log nothing.
    #[arg(long, env = "RENKEI_LOG", default_value = "info", value_parser = log_level)]
    log: tracing_subscriber::filter::LevelFilter,
    /// Also log the audit trail's head (newest entry's number and hash, checked under the key)
    /// every SECONDS, at `info`, for anchoring outside the machine (off if absent).
    #[arg(long, value_parser = positive_number)]
    audit_head_every: Option<f64>,
    /// Also serve the steward review console (HTML) on this address, e.g. 127.0.0.1:8080
    /// (port 0 picks a free port, printed as `console on URL`). With --tls-cert it speaks
    /// HTTPS with the same certificate and client CA.
    #[arg(long)]
    http: Option<String>,
    /// Request and Flight SQL queries run on the cluster given here (if any); checks and
    /// suppression stay in the broker.
    #[command(flatten)]
    cluster: crate::cluster::ClusterArgs,
}

/// Where the broker is and who is calling.
#[derive(Args)]
pub struct ClientArgs {
    /// The broker's address, e.g. http://127.0.0.1:50051.
    #[arg(long, env = "RENKEI_ADDR", default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// A file holding the caller's bearer token (owner-only, e.g. made with `(umask 077;
    /// renkei admin token-issue … > FILE)`): better than --token, which every user of the
    /// machine can read in the process list.
    #[arg(long, env = "RENKEI_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// The caller's bearer token; prefer --token-file or the environment.
    #[arg(long, env = "RENKEI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// For an https:// address: the CA certificate (PEM) that signed the server's.
    #[arg(long, env = "RENKEI_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// For a server that requires mutual TLS: this client's certificate (PEM)…
    #[arg(long, env = "RENKEI_CLIENT_CERT", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// …and its private key (PEM).
    #[arg(long, env = "RENKEI_CLIENT_KEY", requires = "client_cert")]
    client_key: Option<PathBuf>,
}

fn read_pem(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// On an empty data directory: the first admin user and its token (printed once).
    Bootstrap {
        #[command(flatten)]
        state: StateArgs,
        #[arg(long, default_value = "admin")]
        user: String,
        #[arg(long, default_value_t = 30)]
        valid_days: i64,
    },
    /// A new project with its approved purpose, granted datasets and approval period.
    ProjectCreate {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        id: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        purpose: String,
        /// Comma-separated: NDB, KAIGO, DPC.
        #[arg(long, value_delimiter = ',', required = true)]
        datasets: Vec<String>,
        /// First day of the approval period, YYYY-MM-DD.
        #[arg(long)]
        start: String,
        /// Last day of the approval period, YYYY-MM-DD.
        #[arg(long)]
        end: String,
    },
    /// A new user with a role and project memberships.
    UserCreate {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        id: String,
        /// researcher, steward, admin or analyst (Flight SQL, checked outputs directly).
        #[arg(long)]
        role: String,
        /// A project the user is a member of (repeatable).
        #[arg(long = "project")]
        projects: Vec<String>,
    },
    /// Assigns a steward to review a project's requests (a steward sees the requests of
    /// assigned projects only).
    StewardAssign {
        #[command(flatten)]
        client: ClientArgs,
        /// The steward's user id.
        #[arg(long)]
        user: String,
        #[arg(long)]
        project: String,
    },
    /// A new token for a user, printed once on standard output.
    TokenIssue {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 30 * 24 * 3600)]
        valid_seconds: u64,
    },
    /// Revokes a token by its id (from token-issue).
    TokenRevoke {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        token_id: u64,
    },
}

#[derive(Subcommand)]
pub enum RequestCommand {
    /// Submits a request; it is checked at once. A refused query exits 2 with `refused: …`.
    Submit {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        project: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        purpose: String,
        #[arg(long, conflicts_with = "named_query", required_unless_present = "named_query")]
        sql: Option<String>,
        /// A study query of the server's queries/ folder, without `.sql`.
        #[arg(long)]
        named_query: Option<String>,
    },
    /// The requests of your projects.
    List {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        project: Option<String>,
    },
    /// One request.
    Status {
        #[command(flatten)]
        client: ClientArgs,
        id: u64,
    },
    /// Writes a released result to FILE.parquet or FILE.csv (hidden cells null / empty).
    Fetch {
        #[command(flatten)]
        client: ClientArgs,
        id: u64,
        #[arg(long)]
        out: PathBuf,
        /// Also write the disclosure report (JSON) here.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum StewardCommand {
    /// Requests waiting for review (checked) or release (approved).
    Pending {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// A request's query, requester, checked output and disclosure report.
    Review {
        #[command(flatten)]
        client: ClientArgs,
        id: u64,
    },
    /// Approves the checked output `steward review` showed, named by its hash.
    Approve {
        #[command(flatten)]
        client: ClientArgs,
        id: u64,
        /// The output hash `steward review` printed: if the output changed since (a re-check
        /// sent it back to review), the approval is refused.
        #[arg(long)]
        output_hash: String,
    },
    Reject {
        #[command(flatten)]
        client: ClientArgs,
        id: u64,
        #[arg(long)]
        reason: String,
    },
    /// Re-runs and re-checks the query under the current policy and releases that output.
    Release {
        #[command(flatten)]
        client: ClientArgs,
        id: u64,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walks the audit hash chain; exits 1 naming the first broken entry.
    Verify {
        #[command(flatten)]
        state: StateArgs,
    },
}

pub fn serve(a: ServeArgs) -> Result<()> {
    let config = renkei_broker::Config {
        audit_key: a.state.audit_key(),
        data: a.state.data,
        warehouse: a.warehouse,
        queries: a.queries,
        policy: load_policy(a.policy.as_deref())?,
        engine: renkei_engine::EngineOptions {
            spill_dir: a.spill_dir,
            cluster: crate::cluster::planner(&a.cluster)?,
            ..Default::default()
        },
        tls: match (&a.tls_cert, &a.tls_key) {
            (Some(cert), Some(key)) => Some(renkei_broker::Tls {
                cert_pem: read_pem(cert)?,
                key_pem: read_pem(key)?,
                client_ca_pem: a.client_ca.as_deref().map(read_pem).transpose()?,
            }),
            _ => None,
        },
        limits: renkei_broker::Limits {
            max_connections: a.max_connections as usize,
            header_timeout: std::time::Duration::from_secs_f64(a.header_timeout),
            max_queries: a
                .max_queries
                .map_or_else(renkei_broker::limits::default_max_queries, |n| n as usize),
            query_timeout: std::time::Duration::from_secs_f64(a.query_timeout),
            query_memory: a
                .memory_mib
                .map_or_else(renkei_broker::limits::default_query_memory, |m| {
                    m.saturating_mul(1024 * 1024)
                }),
            // Fractions of a MiB for tests that fill the cap with small results.
            flight_results_per_user: (a.flight_results_mib * 1024.0 * 1024.0) as usize,
        },
        audit_head_every: a.audit_head_every.map(std::time::Duration::from_secs_f64),
    };
    crate::logs::init(a.log)?;
    crate::runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        // Tests listen on port 0 and read the real address from this line.
        println!("listening on {}", listener.local_addr()?);
        let console = match &a.http {
            Some(addr) => {
                let console = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening on {addr} (--http)"))?;
                let scheme = if config.tls.is_some() { "https" } else { "http" };
                println!("console on {scheme}://{}", console.local_addr()?);
                Some(console)
            }
            None => None,
        };
        renkei_broker::serve(config, listener, console).await?;
        Ok(())
    })
}

/// A positive, finite number (seconds or MiB), fractions allowed.
/// A log level of `--log`: off, error, warn, info or debug (trace is debug's: the broker
/// logs nothing at trace).
fn log_level(text: &str) -> Result<tracing_subscriber::filter::LevelFilter, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "off" => Ok(tracing_subscriber::filter::LevelFilter::OFF),
        "error" => Ok(tracing_subscriber::filter::LevelFilter::ERROR),
        "warn" => Ok(tracing_subscriber::filter::LevelFilter::WARN),
        "info" => Ok(tracing_subscriber::filter::LevelFilter::INFO),
        "debug" => Ok(tracing_subscriber::filter::LevelFilter::DEBUG),
        _ => Err(format!("{text:?} is not a log level (off, error, warn, info, debug)")),
    }
}

fn positive_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("{text:?} is not a positive number")),
    }
}

pub fn audit(command: AuditCommand) -> Result<()> {
    let AuditCommand::Verify { state } = command;
    match renkei_broker::verify_audit(&state.data, &state.audit_key())? {
        Verification::Intact { entries, head } => {
            println!("audit trail intact: {entries} entries; head {head}");
            Ok(())
        }
        Verification::Broken { seq, reason } => bail!("audit entry {seq} is broken: {reason}"),
    }
}

/// A connected client that sends the caller's token with every call.
struct Client {
    channel: Channel,
    token: MetadataValue<Ascii>,
}

impl Client {
    async fn connect(args: &ClientArgs) -> Result<Client> {
        let mut endpoint =
            Channel::from_shared(args.addr.clone()).with_context(|| format!("{} is not an address", args.addr))?;
        if args.addr.starts_with("https://") {
            let mut tls = ClientTlsConfig::new();
            if let Some(ca) = &args.ca_cert {
                tls = tls.ca_certificate(Certificate::from_pem(read_pem(ca)?));
            }
            if let (Some(cert), Some(key)) = (&args.client_cert, &args.client_key) {
                tls = tls.identity(Identity::from_pem(read_pem(cert)?, read_pem(key)?));
            }
            endpoint = endpoint.tls_config(tls).context("the TLS settings are not usable")?;
        } else if args.ca_cert.is_some() || args.client_cert.is_some() {
            bail!(
                "--ca-cert and --client-cert are for an https:// address, not {}",
                args.addr
            );
        }
        let channel = endpoint
            .connect()
            .await
            .with_context(|| format!("connecting to {}", args.addr))?;
        let token = match (&args.token_file, &args.token) {
            (Some(file), None) => crate::token_file::read(file)?,
            (None, Some(token)) => token.clone(),
            (Some(_), Some(_)) => bail!(
                "both a token file (--token-file, RENKEI_TOKEN_FILE) and a token (--token, RENKEI_TOKEN) are given; give one"
            ),
            (None, None) => bail!("no token: give --token-file FILE (or RENKEI_TOKEN_FILE), or set RENKEI_TOKEN"),
        };
        let token = format!("Bearer {token}")
            .parse()
            .context("the token is not printable ASCII")?;
        Ok(Client { channel, token })
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        r.metadata_mut().insert("authorization", self.token.clone());
        r
    }

    fn research(&self) -> pb::research_service_client::ResearchServiceClient<Channel> {
        pb::research_service_client::ResearchServiceClient::new(self.channel.clone())
    }

    /// A review carries its whole checked output (see `MAX_REVIEW_BYTES`).
    fn steward(&self) -> pb::steward_service_client::StewardServiceClient<Channel> {
        pb::steward_service_client::StewardServiceClient::new(self.channel.clone())
            .max_decoding_message_size(renkei_proto::MAX_REVIEW_BYTES)
    }

    fn admin(&self) -> pb::admin_service_client::AdminServiceClient<Channel> {
        pb::admin_service_client::AdminServiceClient::new(self.channel.clone())
    }
}

/// A refusal as the `Refused` error (exit status 2), anything else with its gRPC code.
fn status_error(status: tonic::Status) -> anyhow::Error {
    match status.message().strip_prefix("refused: ") {
        Some(reason) if status.code() == tonic::Code::FailedPrecondition => Refused(reason.to_string()).into(),
        _ => anyhow::anyhow!("{:?}: {}", status.code(), status.message()),
    }
}

fn state_name(r: &pb::Request) -> &'static str {
    match r.state() {
        pb::RequestState::Unspecified => "unspecified",
        pb::RequestState::Submitted => "submitted",
        pb::RequestState::Checked => "checked",
        pb::RequestState::Refused => "refused",
        pb::RequestState::Approved => "approved",
        pb::RequestState::Rejected => "rejected",
        pb::RequestState::Released => "released",
    }
}

/// Asks for page after page (`fetch_page(after_id)`) and prints each, until the last.
async fn print_every_page<F, Fut>(mut fetch_page: F) -> Result<()>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<tonic::Response<pb::ListRequestsResponse>, tonic::Status>>,
{
    let mut after_id = 0;
    loop {
        let page = fetch_page(after_id).await.map_err(status_error)?.into_inner();
        print_list(&page.requests);
        if page.next_after_id == 0 {
            return Ok(());
        }
        after_id = page.next_after_id;
    }
}

/// One line per request: id, state, project, requester, title.
fn print_list(requests: &[pb::Request]) {
    for r in requests {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            r.id,
            state_name(r),
            r.project_id,
            r.requester,
            printable(&r.title).replace(['\n', '\t'], " ")
        );
    }
}

/// `text` safe to print to a steward's terminal: control characters (escape sequences could
/// rewrite or hide what is shown), bidirectional marks and overrides (which reorder it),
/// zero-width characters and Unicode line separators appear as `\u{…}`; line breaks and
/// tabs stay.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{061c}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn print_request(r: &pb::Request) {
    println!("request {} ({})", r.id, state_name(r));
    let fields = [
        ("project", &r.project_id),
        ("requester", &r.requester),
        ("title", &r.title),
        ("purpose", &r.purpose),
        ("submitted", &r.submitted_at),
        ("refusal", &r.refusal),
        ("reviewer", &r.reviewer),
        ("rejection reason", &r.rejection_reason),
        ("released by", &r.releaser),
        ("result hash", &r.result_hash),
    ];
    for (name, value) in fields {
        // One line each: a line break in a title or purpose could forge a line of its own.
        if !value.is_empty() {
            println!("{name}: {}", printable(value).replace(['\n', '\t'], " "));
        }
    }
    println!("sql:\n{}", printable(&r.sql));
}

pub fn admin(command: AdminCommand) -> Result<()> {
    crate::runtime()?.block_on(async {
        match command {
            AdminCommand::Bootstrap {
                state,
                user,
                valid_days,
            } => {
                let seconds = valid_days.saturating_mul(24 * 3600);
                let token = renkei_broker::bootstrap(&state.data, &state.audit_key(), &user, seconds)?;
                eprintln!("created admin user {user}; its token (shown once) follows");
                println!("{}", token.secret);
            }
            AdminCommand::ProjectCreate {
                client,
                id,
                title,
                purpose,
                datasets,
                start,
                end,
            } => {
                let client = Client::connect(&client).await?;
                let datasets = datasets
                    .iter()
                    .map(|d| {
                        pb::Dataset::from_str_name(&format!("DATASET_{}", d.trim().to_ascii_uppercase()))
                            .map(i32::from)
                            .with_context(|| format!("{d} is not a dataset (NDB, KAIGO or DPC)"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let project = pb::Project {
                    id: id.clone(),
                    title,
                    approved_purpose: purpose,
                    datasets,
                    approval_start: start,
                    approval_end: end,
                };
                client
                    .admin()
                    .create_project(client.request(pb::CreateProjectRequest { project: Some(project) }))
                    .await
                    .map_err(status_error)?;
                eprintln!("created project {id}");
            }
            AdminCommand::UserCreate {
                client,
                id,
                role,
                projects,
            } => {
                let client = Client::connect(&client).await?;
                let role = pb::Role::from_str_name(&format!("ROLE_{}", role.to_ascii_uppercase()))
                    .with_context(|| format!("{role} is not a role (researcher, steward, admin or analyst)"))?;
                let user = pb::User {
                    id: id.clone(),
                    role: role.into(),
                    project_ids: projects,
                };
                client
                    .admin()
                    .create_user(client.request(pb::CreateUserRequest { user: Some(user) }))
                    .await
                    .map_err(status_error)?;
                eprintln!("created user {id}");
            }
            AdminCommand::TokenIssue {
                client,
                user,
                valid_seconds,
            } => {
                let client = Client::connect(&client).await?;
                let issued = client
                    .admin()
                    .issue_token(client.request(pb::IssueTokenRequest {
                        user_id: user.clone(),
                        valid_seconds,
                    }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                eprintln!(
                    "token {} for {user}, expires at unix time {}; the token (shown once) follows",
                    issued.token_id, issued.expires_at
                );
                println!("{}", issued.token);
            }
            AdminCommand::StewardAssign { client, user, project } => {
                let client = Client::connect(&client).await?;
                client
                    .admin()
                    .assign_steward(client.request(pb::AssignStewardRequest {
                        user_id: user.clone(),
                        project_id: project.clone(),
                    }))
                    .await
                    .map_err(status_error)?;
                eprintln!("{user} reviews the requests of project {project}");
            }
            AdminCommand::TokenRevoke { client, token_id } => {
                let client = Client::connect(&client).await?;
                client
                    .admin()
                    .revoke_token(client.request(pb::RevokeTokenRequest { token_id }))
                    .await
                    .map_err(status_error)?;
                eprintln!("revoked token {token_id}");
            }
        }
        Ok(())
    })
}

pub fn request(command: RequestCommand) -> Result<()> {
    crate::runtime()?.block_on(async {
        match command {
            RequestCommand::Submit {
                client,
                project,
                title,
                purpose,
                sql,
                named_query,
            } => {
                let client = Client::connect(&client).await?;
                let query = match (sql, named_query) {
                    (Some(sql), _) => pb::submit_request_request::Query::Sql(sql),
                    (None, Some(name)) => pb::submit_request_request::Query::NamedQuery(name),
                    (None, None) => bail!("give --sql or --named-query"),
                };
                let r = client
                    .research()
                    .submit_request(client.request(pb::SubmitRequestRequest {
                        project_id: project,
                        title,
                        purpose,
                        query: Some(query),
                    }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                // The id alone on stdout, for scripts; the state on stderr.
                println!("{}", r.id);
                eprintln!("request {} is {}", r.id, state_name(&r));
            }
            RequestCommand::List { client, project } => {
                let client = Client::connect(&client).await?;
                let project_id = project.unwrap_or_default();
                print_every_page(|after_id| {
                    let message = pb::ListRequestsRequest {
                        project_id: project_id.clone(),
                        after_id,
                        ..Default::default()
                    };
                    let mut research = client.research();
                    let request = client.request(message);
                    async move { research.list_requests(request).await }
                })
                .await?;
            }
            RequestCommand::Status { client, id } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .research()
                    .get_request(client.request(pb::GetRequestRequest { id }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                print_request(&r);
            }
            RequestCommand::Fetch {
                client,
                id,
                out,
                report,
            } => {
                let client = Client::connect(&client).await?;
                fetch(&client, id, &out, report.as_deref()).await?;
            }
        }
        Ok(())
    })
}

/// Streams a released result and writes it as Parquet or CSV, chosen by `out`'s extension.
async fn fetch(client: &Client, id: u64, out: &Path, report: Option<&Path>) -> Result<()> {
    let csv = match out.extension().and_then(|e| e.to_str()) {
        Some("csv") => true,
        Some("parquet") => false,
        _ => bail!("--out must end in .parquet or .csv"),
    };
    let mut stream = client
        .research()
        .fetch_result(client.request(pb::FetchResultRequest { id }))
        .await
        .map_err(status_error)?
        .into_inner();
    let mut ipc_stream = Vec::new();
    let mut report_json = None;
    while let Some(message) = stream.message().await.map_err(status_error)? {
        match message.part {
            Some(pb::fetch_result_response::Part::Header(h)) => {
                ipc_stream.extend_from_slice(&h.arrow_schema);
                report_json = Some(h.report_json);
            }
            Some(pb::fetch_result_response::Part::ArrowBatch(bytes)) => ipc_stream.extend_from_slice(&bytes),
            None => bail!("the broker sent an empty message"),
        }
    }
    let report_json = report_json.context("the broker sent no header")?;
    let reader = StreamReader::try_new(ipc_stream.as_slice(), None).context("reading the result's Arrow IPC")?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .context("reading the result's Arrow IPC")?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if csv {
        // The engine's CSV, as every other door writes it (formulas neutralized).
        let output = renkei_engine::CheckedOutput {
            schema,
            batches,
            report: renkei_disclosure::Report::from_json(&report_json)
                .context("reading the result's disclosure report")?,
            released: Vec::new(),
            history_conflicts: Vec::new(),
        };
        crate::out_file::write(out, output.to_csv()?.as_bytes())?;
    } else {
        write_parquet(&schema, &batches, out)?;
    }
    if let Some(path) = report {
        crate::out_file::write(path, report_json.as_bytes())?;
    }
    eprintln!("wrote {rows} rows of request {id} to {}", out.display());
    Ok(())
}

pub fn steward(command: StewardCommand) -> Result<()> {
    crate::runtime()?.block_on(async {
        match command {
            StewardCommand::Pending { client } => {
                let client = Client::connect(&client).await?;
                print_every_page(|after_id| {
                    let mut steward = client.steward();
                    let request = client.request(pb::ListPendingRequest {
                        after_id,
                        ..Default::default()
                    });
                    async move { steward.list_pending(request).await }
                })
                .await?;
            }
            StewardCommand::Review { client, id } => {
                let client = Client::connect(&client).await?;
                let review = client
                    .steward()
                    .get_review(client.request(pb::GetReviewRequest { id }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                if let Some(r) = &review.request {
                    print_request(r);
                }
                println!(
                    "\nchecked output (hidden cells *):\n{}",
                    printable(&review.checked_table)
                );
                println!("disclosure report:\n{}", review.report_json);
                if !review.history_conflicts.is_empty() {
                    println!("hidden by the release ledger (steward only):");
                    for c in &review.history_conflicts {
                        println!("  {}", c.text);
                    }
                }
                println!(
                    "output hash: {} (to approve this output: renkei steward approve {id} --output-hash {})",
                    review.output_hash, review.output_hash
                );
            }
            StewardCommand::Approve {
                client,
                id,
                output_hash,
            } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .steward()
                    .approve(client.request(pb::ApproveRequest { id, output_hash }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                eprintln!("request {} is {}", r.id, state_name(&r));
            }
            StewardCommand::Reject { client, id, reason } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .steward()
                    .reject(client.request(pb::RejectRequest { id, reason }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                eprintln!("request {} is {}", r.id, state_name(&r));
            }
            StewardCommand::Release { client, id } => {
                let client = Client::connect(&client).await?;
                let r = client
                    .steward()
                    .release(client.request(pb::ReleaseRequest { id }))
                    .await
                    .map_err(status_error)?
                    .into_inner();
                eprintln!("request {} is {} (result {})", r.id, state_name(&r), r.result_hash);
            }
        }
        Ok(())
    })
}

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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn what_a_requester_wrote_cannot_drive_the_stewards_terminal() {
        assert_eq!(printable("SELECT 1\n\tFROM t"), "SELECT 1\n\tFROM t");
        assert_eq!(printable("a\u{1b}[2Kb"), "a\\u{1b}[2Kb");
        assert_eq!(printable("x\u{202e}y\ry"), "x\\u{202e}y\\u{d}y");
        assert_eq!(printable("a\u{200f}b\u{2028}"), "a\\u{200f}b\\u{2028}");
    }
}
