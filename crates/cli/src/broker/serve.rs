//! `renkei serve`: the broker's options and its start.

use super::{StateArgs, read_pem};
use crate::query::load_policy;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

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
    /// The folder of study queries a request may name (`NAME.sql`) [default: the queries/
    /// folder of the repository the binary was built in, if it is there].
    #[arg(long)]
    queries: Option<PathBuf>,
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
    #[arg(long, env = "RENKEI_LOG", hide_env_values = true, default_value = "info", value_parser = log_level)]
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

pub fn serve(a: ServeArgs) -> Result<()> {
    let config = renkei_broker::Config {
        audit_key: a.state.audit_key(),
        data: a.state.data,
        warehouse: a.warehouse,
        queries: crate::queries_folder(a.queries)?,
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
        // Every input is checked before a port is bound and `listening on` printed: whoever
        // waits for that line (a script, a test, a person) may connect at once.
        let prepared = renkei_broker::prepare(config)?;
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        let console = match &a.http {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening on {addr} (--http)"))?,
            ),
            None => None,
        };
        // Tests listen on port 0 and read the real address from this line.
        println!("listening on {}", listener.local_addr()?);
        if let Some(console) = &console {
            let scheme = if a.tls_cert.is_some() { "https" } else { "http" };
            println!("console on {scheme}://{}", console.local_addr()?);
        }
        prepared.serve(listener, console).await?;
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
