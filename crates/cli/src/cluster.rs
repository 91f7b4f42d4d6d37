//! `renkei cluster scheduler | executor` and the `--cluster df://HOST:PORT` option of
//! `renkei query` and `renkei serve`: checked queries on a DataFusion Ballista cluster
//! (feature `distributed`; see docs/scale-out.md). The nodes run from this binary so that
//! the functions checked plans call are registered on each.

use anyhow::Result;
use datafusion::execution::context::QueryPlanner;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a process's checked plans run: here, or on a Ballista cluster.
#[derive(clap::Args)]
// Without `distributed` only --cluster is read (to refuse it); the TLS files are not.
#[cfg_attr(not(feature = "distributed"), allow(dead_code))]
pub struct ClusterArgs {
    /// Run the checked plan on the Ballista cluster whose scheduler is at df://HOST:PORT
    /// (feature `distributed`). Checks and suppression still run in this process; the
    /// warehouse path must be the same on every executor.
    #[arg(long)]
    cluster: Option<String>,
    /// For a cluster whose nodes speak mutual TLS (`renkei cluster … --tls-ca`): its CA
    /// certificate (PEM). Every connection to the cluster is then TLS with this process's
    /// certificate (--cluster-cert, --cluster-key, signed by the same CA).
    #[arg(long, requires_all = ["cluster", "cluster_cert", "cluster_key"])]
    cluster_ca: Option<PathBuf>,
    /// This process's certificate (PEM) for --cluster-ca.
    #[arg(long, requires = "cluster_ca")]
    cluster_cert: Option<PathBuf>,
    /// The private key (PEM) of --cluster-cert.
    #[arg(long, requires = "cluster_ca")]
    cluster_key: Option<PathBuf>,
}

#[cfg(feature = "distributed")]
pub fn run(command: renkei_cluster::NodeCommand) -> Result<()> {
    let runtime = crate::runtime()?;
    match &command {
        renkei_cluster::NodeCommand::Scheduler { bind, tls } => {
            println!("scheduler on {bind}{}", over_tls(tls))
        }
        renkei_cluster::NodeCommand::Executor {
            bind, scheduler, tls, ..
        } => {
            println!("executor on {bind}, scheduler {scheduler}{}", over_tls(tls))
        }
    }
    runtime.block_on(command.run())?;
    Ok(())
}

#[cfg(feature = "distributed")]
fn over_tls(tls: &renkei_cluster::ClusterTlsFiles) -> &'static str {
    if tls.tls_ca.is_some() { ", mutual TLS" } else { "" }
}

/// The planner that sends checked plans to the cluster `args` name, if they name one.
pub fn planner(args: &ClusterArgs) -> Result<Option<Arc<dyn QueryPlanner + Send + Sync>>> {
    let Some(address) = args.cluster.as_deref() else {
        return Ok(None);
    };
    #[cfg(feature = "distributed")]
    {
        let planner = renkei_cluster::ClusterPlanner::new(address)?;
        let files = renkei_cluster::ClusterTlsFiles {
            tls_ca: args.cluster_ca.clone(),
            tls_cert: args.cluster_cert.clone(),
            tls_key: args.cluster_key.clone(),
        };
        let planner = match files.load()? {
            Some(tls) => planner.with_tls(tls),
            None => planner,
        };
        Ok(Some(Arc::new(planner)))
    }
    #[cfg(not(feature = "distributed"))]
    {
        anyhow::bail!("--cluster {address}: this renkei was built without the `distributed` feature")
    }
}
