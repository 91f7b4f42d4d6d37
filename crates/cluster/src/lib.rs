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
//! ([`renkei_engine::plan_functions`]) are known by name on every node.

use async_trait::async_trait;
use ballista_core::config::BallistaConfig;
use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::BallistaLogicalExtensionCodec;
use datafusion::catalog::Session;
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::LogicalPlanNode;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod deadline;
pub mod local;

/// What can go wrong starting or reaching a cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cluster address {0:?}: expected df://HOST:PORT")]
    Address(String),
    #[error("{role}: {message}")]
    Node { role: &'static str, message: String },
    #[error("local cluster: {0}")]
    Local(String),
}

/// The default scheduler port, as Ballista's own.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Plans the checked query's input (the plan below the control node) for the cluster:
/// one [`DistributedQueryExec`] that submits it to the scheduler and streams back the
/// aggregate rows with their hidden counts.
#[derive(Debug)]
pub struct ClusterPlanner {
    scheduler_url: String,
    config: BallistaConfig,
    deadline: Duration,
}

/// How long a query may run on the cluster before it fails. A job Ballista can neither
/// finish nor fail (seen when an executor dies holding a stage's output) would otherwise
/// wait for ever; a study query that needs longer should be split.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30 * 60);

impl ClusterPlanner {
    /// A planner for the scheduler at `df://HOST:PORT` (the port defaults to 50050).
    pub fn new(address: &str) -> Result<ClusterPlanner, ClusterError> {
        Ok(ClusterPlanner {
            scheduler_url: scheduler_url(address)?,
            config: BallistaConfig::default(),
            deadline: DEFAULT_DEADLINE,
        })
    }

    /// The same planner, failing queries the cluster has not finished after `deadline`.
    pub fn with_deadline(self, deadline: Duration) -> ClusterPlanner {
        ClusterPlanner { deadline, ..self }
    }
}

/// `df://HOST:PORT` as the scheduler's gRPC URL.
fn scheduler_url(address: &str) -> Result<String, ClusterError> {
    let bad = || ClusterError::Address(address.to_string());
    let url = url::Url::parse(address).map_err(|_| bad())?;
    if url.scheme() != "df" || !url.path().trim_matches('/').is_empty() {
        return Err(bad());
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    let port = url.port().unwrap_or(DEFAULT_SCHEDULER_PORT);
    Ok(format!("http://{host}:{port}"))
}

#[async_trait]
impl QueryPlanner for ClusterPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        let job = Arc::new(DistributedQueryExec::<LogicalPlanNode>::with_extension(
            self.scheduler_url.clone(),
            self.config.clone(),
            logical_plan.clone(),
            Arc::new(BallistaLogicalExtensionCodec::default()),
            session.session_id().to_string(),
        ));
        Ok(Arc::new(deadline::DeadlineExec::new(job, self.deadline)))
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

async fn run_scheduler(bind: SocketAddr) -> Result<(), ClusterError> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let node = node_error("scheduler");
    let config = SchedulerConfig {
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
    ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(node)
}

/// One node of a cluster: the arguments of `renkei cluster scheduler | executor`, defined
/// once here for the CLI and for the local clusters of tests and benchmarks.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum NodeCommand {
    /// Run a scheduler. Bind it to loopback or a private address: whoever reaches its port
    /// can run any plan over the warehouse, unchecked.
    Scheduler {
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: SocketAddr,
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
            NodeCommand::Scheduler { bind } => run_scheduler(bind).await,
            NodeCommand::Executor {
                scheduler,
                bind,
                grpc_port,
                work_dir,
                vcores,
            } => run_executor(scheduler, bind, grpc_port, work_dir, vcores).await,
        }
    }
}

async fn run_executor(
    scheduler: SocketAddr,
    bind: SocketAddr,
    grpc_port: u16,
    work_dir: PathBuf,
    vcores: usize,
) -> Result<(), ClusterError> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
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
    use super::scheduler_url;

    #[test]
    fn cluster_addresses_are_df_urls() {
        assert_eq!(scheduler_url("df://10.0.0.5:7000").unwrap(), "http://10.0.0.5:7000");
        assert_eq!(scheduler_url("df://127.0.0.1").unwrap(), "http://127.0.0.1:50050");
        for bad in ["127.0.0.1:50050", "http://127.0.0.1:50050", "df://", "df://h:1/x"] {
            assert!(scheduler_url(bad).is_err(), "{bad}");
        }
    }
}
