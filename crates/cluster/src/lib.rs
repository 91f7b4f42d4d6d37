//! Checked queries on a DataFusion Ballista cluster, for data one machine cannot hold.
//!
//! The cluster never decides what is safe. A query is planned, rewritten by disclosure
//! control and refused (or not) in the Renkei process exactly as on one machine
//! ([`renkei_engine::Engine`]); only then does [`ClusterPlanner`] send the plan *below* the
//! control node to the scheduler: a plain DataFusion plan whose every output row carries
//! the hidden counts of the persons and units behind it. The aggregate rows come back, and
//! the control node (primary and secondary suppression, dominance, rounding, the report)
//! runs on them here. So the scheduler and executors see warehouse rows and the unchecked
//! aggregate (which is why their ports are as sensitive as the warehouse itself, see
//! `docs/scale-out.md`), but nothing they do can release a cell the checks would hide.
//!
//! The scheduler and executors run from Renkei's own binary (`renkei cluster scheduler |
//! executor`) so that the functions the rewrite puts into plans
//! ([`renkei_engine::plan_functions`]) are known by name on every node. Given the cluster's
//! CA and a certificate each, nodes and the Renkei processes that query them speak only
//! mutual TLS to each other ([`tls`]).

use arrow_flight::flight_service_server::FlightServiceServer;
use async_trait::async_trait;
use ballista_core::config::{BallistaConfig, TaskSchedulingPolicy};
use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::BallistaLogicalExtensionCodec;
use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
use ballista_executor::flight_service::BallistaFlightService;
use datafusion::catalog::Session;
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod job;
pub mod local;
pub mod tls;

pub use tls::{ClusterTls, ClusterTlsFiles};

/// What can go wrong starting or reaching a cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cluster address {0:?}: expected df://HOST:PORT")]
    Address(String),
    #[error("{role}: {message}")]
    Node { role: &'static str, message: String },
    #[error("local cluster: {0}")]
    Local(String),
    #[error("cluster TLS: {0}")]
    Tls(String),
}

/// The default scheduler port, as Ballista's own.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Plans the checked query's input (the plan below the control node) for the cluster:
/// one [`DistributedQueryExec`] that submits it to the scheduler and streams back the
/// aggregate rows with their hidden counts.
#[derive(Debug)]
pub struct ClusterPlanner {
    /// The scheduler's `host:port`.
    scheduler: String,
    config: BallistaConfig,
    deadline: Duration,
    tls: Option<ClusterTls>,
}

/// How long a query may run on the cluster before it fails. A job Ballista can neither
/// finish nor fail (seen when an executor dies holding a stage's output) would otherwise
/// wait for ever; a study query that needs longer should be split.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30 * 60);

impl ClusterPlanner {
    /// A planner for the scheduler at `df://HOST:PORT` (the port defaults to 50050).
    pub fn new(address: &str) -> Result<ClusterPlanner, ClusterError> {
        Ok(ClusterPlanner {
            scheduler: scheduler_authority(address)?,
            config: BallistaConfig::default(),
            deadline: DEFAULT_DEADLINE,
            tls: None,
        })
    }

    /// The same planner, reaching a cluster that speaks mutual TLS with `tls`.
    pub fn with_tls(self, tls: ClusterTls) -> ClusterPlanner {
        ClusterPlanner { tls: Some(tls), ..self }
    }

    /// The same planner, failing queries the cluster has not finished after `deadline`.
    pub fn with_deadline(self, deadline: Duration) -> ClusterPlanner {
        ClusterPlanner { deadline, ..self }
    }
}

/// `df://HOST:PORT` as the scheduler's `HOST:PORT`.
fn scheduler_authority(address: &str) -> Result<String, ClusterError> {
    let bad = || ClusterError::Address(address.to_string());
    let url = url::Url::parse(address).map_err(|_| bad())?;
    if url.scheme() != "df" || !url.path().trim_matches('/').is_empty() {
        return Err(bad());
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    let port = url.port().unwrap_or(DEFAULT_SCHEDULER_PORT);
    Ok(format!("{host}:{port}"))
}

#[async_trait]
impl QueryPlanner for ClusterPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let scheduler = format!("{scheme}://{}", self.scheduler);
        let job = Arc::new(DistributedQueryExec::<LogicalPlanNode>::with_extension(
            scheduler.clone(),
            self.config.clone(),
            logical_plan.clone(),
            Arc::new(BallistaLogicalExtensionCodec::default()),
            session.session_id().to_string(),
        ));
        Ok(Arc::new(job::ClusterJobExec::new(
            job,
            scheduler,
            self.deadline,
            self.tls.clone(),
        )))
    }
}

/// The session every cluster node plans and runs in: Ballista's own, plus the functions
/// checked plans call. No disclosure rule here: the plans arrive rewritten and checked.
pub fn node_session_state(config: SessionConfig) -> datafusion::common::Result<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(config)?;
    let (scalars, aggregates) = renkei_engine::plan_functions();
    for udf in scalars {
        state.register_udf(udf)?;
    }
    for udaf in aggregates {
        state.register_udaf(udaf)?;
    }
    Ok(state)
}

/// How often executors report to the scheduler, and after how long without a report the
/// scheduler takes one for lost and runs its tasks elsewhere. Ballista's defaults (60 s,
/// 180 s) would leave a query waiting three minutes on a dead executor.
const HEARTBEAT_SECONDS: u64 = 5;
const EXECUTOR_TIMEOUT_SECONDS: u64 = 20;

async fn run_scheduler(bind: SocketAddr, tls: Option<ClusterTls>) -> Result<(), ClusterError> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let node = node_error("scheduler");
    let mut config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: bind.ip().to_string(),
        override_session_builder: Some(Arc::new(node_session_state)),
        executor_timeout_seconds: EXECUTOR_TIMEOUT_SECONDS,
        expire_dead_executor_interval_seconds: HEARTBEAT_SECONDS,
        no_executors_grace_period_seconds: EXECUTOR_TIMEOUT_SECONDS,
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(&node)?;
    let Some(tls) = tls else {
        return ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
            .await
            .map_err(node);
    };
    // Ballista serves the scheduler in plain text; this serves its gRPC service (the only one
    // executors and clients use — not the REST API, metrics or Flight proxy) over mutual TLS.
    config.scheduling_policy = TaskSchedulingPolicy::PullStaged;
    config.use_tls = true;
    config.override_create_grpc_client_endpoint = Some(tls.endpoint_override());
    config.validate().map_err(&node)?;
    let (max_encoding, max_decoding) = (
        config.grpc_server_max_encoding_message_size as usize,
        config.grpc_server_max_decoding_message_size as usize,
    );
    let scheduler = ballista_scheduler::scheduler_process::create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(
        cluster,
        Arc::new(config),
    )
    .await
    .map_err(&node)?;
    tonic::transport::Server::builder()
        .tls_config(tls.server_config())
        .map_err(node_error("scheduler"))?
        .add_service(
            SchedulerGrpcServer::new(scheduler)
                .max_encoding_message_size(max_encoding)
                .max_decoding_message_size(max_decoding),
        )
        .serve(bind)
        .await
        .map_err(node_error("scheduler"))
}

/// One node of a cluster: the arguments of `renkei cluster scheduler | executor`, defined
/// once here for the CLI and for the local clusters of tests and benchmarks.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum NodeCommand {
    /// Run a scheduler. Bind it to loopback or a private address: whoever reaches its port
    /// can run any plan over the warehouse, unchecked.
    Scheduler {
        /// The address the scheduler listens on.
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: SocketAddr,
        #[command(flatten)]
        tls: ClusterTlsFiles,
    },
    /// Run an executor that takes tasks from the scheduler. It reads the warehouse at the
    /// path queries name, so every executor must see the warehouse at the same path.
    Executor {
        /// The scheduler's address.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: SocketAddr,
        /// Where this executor serves its shuffle files (Arrow Flight); other executors and
        /// the querying process fetch from this address, and the scheduler reaches it here.
        #[arg(long, default_value = "127.0.0.1:50051")]
        bind: SocketAddr,
        /// The port of its gRPC service (tasks pushed by the scheduler), on the same host.
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Where it keeps shuffle files: intermediate results, as sensitive as the warehouse.
        #[arg(long)]
        work_dir: PathBuf,
        /// Tasks at once (0: one per core).
        #[arg(long, default_value_t = 0)]
        vcores: usize,
        #[command(flatten)]
        tls: ClusterTlsFiles,
    },
}

impl NodeCommand {
    /// `args` as `renkei cluster` would read them (`scheduler --bind …`, `executor …`).
    pub fn parse(args: &[String]) -> Result<NodeCommand, ClusterError> {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Node {
            #[command(subcommand)]
            command: NodeCommand,
        }
        Node::try_parse_from(std::iter::once("node").chain(args.iter().map(String::as_str)))
            .map(|n| n.command)
            .map_err(|e| ClusterError::Node {
                role: "node",
                message: e.to_string(),
            })
    }

    /// Runs the node until the process ends.
    pub async fn run(self) -> Result<(), ClusterError> {
        match self {
            NodeCommand::Scheduler { bind, tls } => run_scheduler(bind, tls.load()?).await,
            NodeCommand::Executor {
                scheduler,
                bind,
                grpc_port,
                work_dir,
                vcores,
                tls,
            } => {
                let node = ExecutorNode {
                    scheduler,
                    bind,
                    grpc_port,
                    work_dir,
                    vcores,
                };
                run_executor(node, tls.load()?).await
            }
        }
    }
}

/// Where an executor listens and works (`renkei cluster executor`'s arguments).
struct ExecutorNode {
    scheduler: SocketAddr,
    bind: SocketAddr,
    grpc_port: u16,
    work_dir: PathBuf,
    vcores: usize,
}

async fn run_executor(node: ExecutorNode, tls: Option<ClusterTls>) -> Result<(), ClusterError> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let ExecutorNode {
        scheduler,
        bind,
        grpc_port,
        work_dir,
        vcores,
    } = node;
    let registry = node_session_state(ballista_core::utils::default_config_producer())
        .map(|state| BallistaFunctionRegistry::from(&state))
        .map_err(node_error("executor"))?;
    std::fs::create_dir_all(&work_dir).map_err(node_error("executor"))?;
    let host = bind.ip().to_string();
    let mut config = ExecutorProcessConfig {
        bind_host: host.clone(),
        external_host: Some(host),
        port: bind.port(),
        grpc_port,
        scheduler_host: scheduler.ip().to_string(),
        scheduler_port: scheduler.port(),
        work_dir: Some(work_dir.to_string_lossy().into_owned()),
        override_function_registry: Some(Arc::new(registry)),
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        ..ExecutorProcessConfig::default()
    };
    if vcores > 0 {
        config.vcores = vcores;
    }
    if let Some(tls) = tls {
        // Pull: the executor serves no task service the scheduler would call (see `tls`).
        config.task_scheduling_policy = TaskSchedulingPolicy::PullStaged;
        // To the scheduler (registration, polls, heartbeats).
        config.override_create_grpc_client_endpoint = Some(tls.endpoint_override());
        // To other executors for shuffle partitions: tasks run under this config.
        let client = tls.clone();
        config.override_config_producer = Some(Arc::new(move || {
            client.client_session_config(ballista_core::utils::default_config_producer())
        }));
        // Its own Flight service (shuffle and result partitions), over mutual TLS.
        let (max_encoding, max_decoding) = (
            config.grpc_max_encoding_message_size as usize,
            config.grpc_max_decoding_message_size as usize,
        );
        config.override_arrow_flight_service = Some(Arc::new(move |work_dir, address, mut shutdown, server| {
            let server_tls = tls.server_config();
            tokio::spawn(async move {
                ballista_core::utils::create_grpc_server(&server)
                    .tls_config(server_tls)?
                    .add_service(
                        FlightServiceServer::new(BallistaFlightService::new(work_dir))
                            .max_encoding_message_size(max_encoding)
                            .max_decoding_message_size(max_decoding),
                    )
                    .serve_with_shutdown(address, shutdown.recv())
                    .await?;
                Ok(())
            })
        }));
    }
    start_executor_process(Arc::new(config))
        .await
        .map_err(node_error("executor"))
}

/// Maps a node's error, whatever its type, to [`ClusterError::Node`].
fn node_error<E: std::fmt::Display>(role: &'static str) -> impl Fn(E) -> ClusterError {
    move |e| ClusterError::Node {
        role,
        message: e.to_string(),
    }
}

/// Starts a scheduler and one executor inside this process (on loopback ports the system
/// picks), for tests and trying things out; they live as long as the Tokio runtime this is
/// called on. Returns the `df://` address to give [`ClusterPlanner::new`].
pub async fn start_standalone(vcores: usize) -> Result<String, ClusterError> {
    use ballista_core::serde::BallistaCodec;
    use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
    let address = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
        Arc::new(node_session_state),
        Arc::new(ballista_core::utils::default_config_producer),
        BallistaCodec::default(),
    )
    .await
    .map_err(node_error("scheduler"))?;
    let scheduler = SchedulerGrpcClient::connect(format!("http://localhost:{}", address.port()))
        .await
        .map_err(node_error("scheduler"))?;
    let state = node_session_state(ballista_core::utils::default_config_producer()).map_err(node_error("executor"))?;
    ballista_executor::new_standalone_executor_from_state(scheduler, vcores.max(1), &state)
        .await
        .map_err(node_error("executor"))?;
    Ok(format!("df://localhost:{}", address.port()))
}

#[cfg(test)]
mod tests {
    use super::scheduler_authority;

    #[test]
    fn cluster_addresses_are_df_urls() {
        assert_eq!(scheduler_authority("df://10.0.0.5:7000").unwrap(), "10.0.0.5:7000");
        assert_eq!(scheduler_authority("df://127.0.0.1").unwrap(), "127.0.0.1:50050");
        for bad in ["127.0.0.1:50050", "http://127.0.0.1:50050", "df://", "df://h:1/x"] {
            assert!(scheduler_authority(bad).is_err(), "{bad}");
        }
    }
}
