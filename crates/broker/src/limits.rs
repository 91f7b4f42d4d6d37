//! The broker's limits under load (`renkei serve --max-connections`, `--header-timeout`,
//! `--max-queries`, `--query-timeout`, `--memory-mib`, `--flight-results-mib`;
//! docs/broker.md, Resources): connections per port (see `listener.rs`), queries running at
//! once and how long each may run, the memory all running queries share, and the Flight SQL
//! results waiting for their `DoGet`.

use crate::error::BrokerError;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How much the broker takes on at once.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections open at once on each port (gRPC, console); beyond it new ones wait.
    pub max_connections: usize,
    /// A connection that has not finished its TLS handshake and sent its HTTP/2 preface
    /// (gRPC), or a request's headers (console, where it is also the idle time allowed
    /// between two requests), within this is closed.
    pub header_timeout: Duration,
    /// Queries (request checks, releases, Flight SQL statements) running at once; the others
    /// wait for a place, in order.
    pub max_queries: usize,
    /// How long one query (a request's check, a release's re-run, a Flight SQL statement)
    /// may run once it has its place; then it is stopped with DEADLINE_EXCEEDED.
    pub query_timeout: Duration,
    /// Bytes of query state (hash tables, sorts, aggregates: what DataFusion accounts) all
    /// running queries share, in one pool; beyond it operators spill to disk, and a query whose
    /// state cannot spill fails with UNAVAILABLE.
    pub query_memory: usize,
    /// Bytes of checked Flight SQL results one user may have waiting for their `DoGet`; a
    /// new one evicts that user's oldest.
    pub flight_results_per_user: usize,
}

/// Default connections per port: a researcher's client or an analyst's tool holds one
/// (HTTP/2 carries every call on it), a browser a few. Two ports at 512 stay far below the
/// usual 20,000 to 1,048,576 file descriptors of a service.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default header timeout: a client on a slow link finishes a TLS handshake and its first
/// bytes in well under a second.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default query timeout: the study queries check in under 2 s on the 1M-person warehouse
/// (docs/benchmarks.md); a query still running after 15 minutes is one no review would want.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Default waiting Flight SQL results of one user: 256 MiB (the largest result the e2e load
/// test makes, 91,757 rows, is 5.5 MB).
pub const DEFAULT_FLIGHT_RESULTS_PER_USER: usize = 256 * MIB;

const MIB: usize = 1024 * 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_queries: default_max_queries(),
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            query_memory: default_query_memory(),
            flight_results_per_user: DEFAULT_FLIGHT_RESULTS_PER_USER,
        }
    }
}

/// One query per core: DataFusion already runs each query on every core (one partition per
/// core), so more at once only share the same cores and add up their memory.
pub fn default_max_queries() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Half the memory the process may use: the machine's (`MemTotal`), or the cgroup's limit
/// where it is lower (a container). The other half is for what the pool does not account
/// (the persons kept for the ledger, results waiting, SQLite, the code). 4 GiB where neither
/// can be read (not Linux).
pub fn default_query_memory() -> usize {
    let machine = machine_memory().unwrap_or(8 * 1024 * MIB);
    machine / 2
}

fn machine_memory() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: usize = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let total = kib.saturating_mul(1024);
    // cgroup v2: "max" or a number of bytes.
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok());
    Some(cgroup.map_or(total, |limit| limit.min(total)))
}

/// The places of running queries.
pub(crate) struct QuerySlots(Semaphore);

impl QuerySlots {
    pub(crate) fn new(limits: &Limits) -> QuerySlots {
        QuerySlots(Semaphore::new(limits.max_queries.max(1)))
    }

    /// A place for one query, waited for in order (tokio's semaphore is fair); held until
    /// dropped.
    pub(crate) async fn take(&self) -> Result<SemaphorePermit<'_>, BrokerError> {
        self.0
            .acquire()
            .await
            .map_err(|_| BrokerError::Unavailable("the broker is stopping".into()))
    }
}
