//! The engine's adversarial and golden tests again, with every query checked three ways: on
//! one machine, on a standalone cluster inside this process, and on a cluster of separate
//! processes (one scheduler and two executors, started by this test on loopback ports, all
//! connections mutual TLS).
//! The three must agree exactly: the same released cells, the same hidden cells and report,
//! the same refusals. The tests' own assertions then judge the multi-process result.
//!
//! One test binary, so DataFusion and Ballista are linked once; the node processes are this
//! binary started again (see `nodes.rs`).

#[path = "../../../engine/tests/engine/adversarial/mod.rs"]
mod adversarial;
#[path = "../../../../tests/end_to_end/authority.rs"]
mod authority;
#[path = "../../../engine/tests/engine/golden.rs"]
mod golden;
mod killed_executor;
mod nodes;
mod only_the_cluster_ca;
#[path = "../../../engine/tests/engine/support.rs"]
mod support;

use renkei_cluster::ClusterPlanner;
use renkei_disclosure::Policy;
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use std::sync::{Arc, OnceLock};
use support::{refused, repository, run, runtime, warehouse};

/// The two clusters every query runs on, started once, on a runtime that lives as long as
/// the test binary (the standalone cluster's tasks run on it).
struct Clusters {
    runtime: tokio::runtime::Runtime,
    standalone: String,
    processes: nodes::TlsCluster,
}

fn clusters() -> &'static Clusters {
    static CLUSTERS: OnceLock<Clusters> = OnceLock::new();
    CLUSTERS.get_or_init(|| {
        let runtime = runtime();
        let standalone = runtime
            .block_on(renkei_cluster::start_standalone(2))
            .expect("the standalone cluster starts");
        Clusters {
            runtime,
            standalone,
            processes: nodes::start(2),
        }
    })
}

/// A planner for the cluster at `address`.
fn on(address: &str) -> ClusterPlanner {
    ClusterPlanner::new(address).expect("a cluster address")
}

/// An engine over the sample warehouse whose checked plans run through `cluster` (on this
/// machine when None).
fn engine(policy: Policy, cluster: Option<ClusterPlanner>) -> Engine {
    let options = EngineOptions {
        cluster: cluster.map(|c| Arc::new(c) as Arc<dyn datafusion::execution::context::QueryPlanner + Send + Sync>),
        ..EngineOptions::default()
    };
    Engine::open(warehouse(), policy, options).expect("warehouse opens")
}

/// What a checked query shows and reports, or why it failed: what must not differ between
/// one machine and a cluster. (An execution failure is compared by being one: its kind can
/// differ, as a cluster reports a failed task as a failed job.)
fn shown(result: &Result<CheckedOutput, EngineError>) -> String {
    match result {
        Ok(out) => format!(
            "{}\n{}\n{}",
            out.schema,
            out.to_table().expect("the output renders"),
            out.report.to_json()
        ),
        Err(EngineError::Execution(kind)) => {
            // Shown with a failing test's output, so that a cluster's failure can be told
            // from a difference in results.
            eprintln!("execution failed: {kind}");
            "execution failed".to_string()
        }
        Err(e) => e.to_string(),
    }
}

fn run_with(sql: &str, policy: Policy) -> Result<CheckedOutput, EngineError> {
    let here = runtime().block_on(engine(policy.clone(), None).query(sql));
    let clusters = clusters();
    let standalone = clusters
        .runtime
        .block_on(engine(policy.clone(), Some(on(&clusters.standalone))).query(sql));
    let processes = clusters
        .runtime
        .block_on(engine(policy, Some(clusters.processes.planner())).query(sql));
    assert_eq!(
        shown(&standalone),
        shown(&here),
        "standalone cluster vs one machine: {sql}"
    );
    assert_eq!(
        shown(&processes),
        shown(&here),
        "cluster of processes vs one machine: {sql}"
    );
    processes
}
