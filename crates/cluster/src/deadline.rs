//! A deadline on the cluster's part of a query: all of the job's rows within the time, or
//! an error. (The control node above gathers every row before it decides anything, so
//! gathering them here first costs nothing.)

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
pub struct DeadlineExec {
    input: Arc<dyn ExecutionPlan>,
    deadline: Duration,
}

impl DeadlineExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, deadline: Duration) -> DeadlineExec {
        DeadlineExec { input, deadline }
    }
}

impl DisplayAs for DeadlineExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "DeadlineExec: {} s", self.deadline.as_secs())
    }
}

impl ExecutionPlan for DeadlineExec {
    fn name(&self) -> &str {
        "DeadlineExec"
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
        Ok(Arc::new(DeadlineExec::new(children.swap_remove(0), self.deadline)))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let rows = self.input.execute(partition, context)?;
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
