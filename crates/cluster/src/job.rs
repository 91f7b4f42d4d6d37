//! The cluster's part of a query, as this process runs it: submitted with this process's
//! cluster credentials (when the cluster speaks mutual TLS), and all of the job's rows
//! within a deadline, or an error. (The control node above gathers every row before it
//! decides anything, so gathering them here first costs nothing.)

use crate::tls::ClusterTls;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
pub struct ClusterJobExec {
    /// Ballista's plan that submits the job and fetches its rows.
    input: Arc<dyn ExecutionPlan>,
    deadline: Duration,
    tls: Option<ClusterTls>,
}

impl ClusterJobExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, deadline: Duration, tls: Option<ClusterTls>) -> ClusterJobExec {
        ClusterJobExec { input, deadline, tls }
    }

    /// The context Ballista's plan runs in: the query's, with this process's credentials
    /// for the connections it makes (to the scheduler, and to executors for the rows).
    fn with_credentials(&self, context: Arc<TaskContext>) -> Arc<TaskContext> {
        let Some(tls) = &self.tls else {
            return context;
        };
        Arc::new(TaskContext::new(
            context.task_id(),
            context.session_id(),
            tls.client_session_config(context.session_config().clone()),
            context.scalar_functions().clone(),
            context.higher_order_functions().clone(),
            context.aggregate_functions().clone(),
            context.window_functions().clone(),
            context.runtime_env(),
        ))
    }
}

impl DisplayAs for ClusterJobExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let tls = if self.tls.is_some() { ", mutual TLS" } else { "" };
        write!(f, "ClusterJobExec: deadline {} s{tls}", self.deadline.as_secs())
    }
}

impl ExecutionPlan for ClusterJobExec {
    fn name(&self) -> &str {
        "ClusterJobExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(
            &Arc<dyn datafusion::physical_expr::PhysicalExpr>,
        ) -> Result<datafusion::common::tree_node::TreeNodeRecursion>,
    ) -> Result<datafusion::common::tree_node::TreeNodeRecursion> {
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, mut children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(ClusterJobExec::new(
            children.swap_remove(0),
            self.deadline,
            self.tls.clone(),
        )))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let rows = self.input.execute(partition, self.with_credentials(context))?;
        let schema = rows.schema();
        let deadline = self.deadline;
        let all = async move {
            match tokio::time::timeout(deadline, rows.try_collect::<Vec<_>>()).await {
                Ok(batches) => Ok(futures::stream::iter(batches?.into_iter().map(Ok))),
                // Dropping the stream abandons the job.
                Err(_) => Err(DataFusionError::Execution(format!(
                    "the cluster did not finish the query within {} s",
                    deadline.as_secs()
                ))),
            }
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::once(all).try_flatten().boxed(),
        )))
    }
}
