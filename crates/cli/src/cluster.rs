//! `renkei cluster scheduler | executor` and the `--cluster df://HOST:PORT` option of
//! `renkei query` and `renkei serve`: checked queries on a DataFusion Ballista cluster
//! (feature `distributed`; see docs/scale-out.md). The nodes run from this binary so that
//! the functions checked plans call are registered on each.

use anyhow::Result;
use datafusion::execution::context::QueryPlanner;
use std::sync::Arc;

#[cfg(feature = "distributed")]
pub fn run(command: renkei_cluster::NodeCommand) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match &command {
        renkei_cluster::NodeCommand::Scheduler { bind } => println!("scheduler on {bind}"),
        renkei_cluster::NodeCommand::Executor { bind, scheduler, .. } => {
            println!("executor on {bind}, scheduler {scheduler}")
        }
    }
    runtime.block_on(command.run())?;
    Ok(())
}

/// The planner that sends checked plans to the cluster at `address`, if one is given.
pub fn planner(address: Option<&str>) -> Result<Option<Arc<dyn QueryPlanner + Send + Sync>>> {
    let Some(address) = address else {
        return Ok(None);
    };
    #[cfg(feature = "distributed")]
    {
        Ok(Some(Arc::new(renkei_cluster::ClusterPlanner::new(address)?)))
    }
    #[cfg(not(feature = "distributed"))]
    {
        anyhow::bail!("--cluster {address}: this renkei was built without the `distributed` feature")
    }
}
