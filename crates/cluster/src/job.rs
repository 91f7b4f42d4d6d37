//! The cluster's part of a query, as this process runs it: submitted with this process's
//! cluster credentials (when the cluster speaks mutual TLS), and all of the job's rows
//! within a deadline, or an error. (The control node above gathers every row before it
//! decides anything, so gathering them here first costs nothing.) Once it has the rows it
//! has the executors delete the job's shuffle files.

use crate::tls::ClusterTls;
use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::extension::SessionConfigExt;
use ballista_core::serde::protobuf::CleanJobDataParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::utils::{GrpcClientConfig, create_grpc_client_endpoint};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::LogicalPlanNode;
use futures::{StreamExt, TryStreamExt};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How long the rows wait for the request to delete their job's files.
const DELETE_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct ClusterJobExec {
    /// Ballista's plan that submits the job and fetches its rows.
    input: Arc<dyn ExecutionPlan>,
    /// The scheduler's URL (`http://` or `https://`), to have the job's files deleted.
    scheduler: String,
    deadline: Duration,
    tls: Option<ClusterTls>,
}

impl ClusterJobExec {
    pub fn new(
        input: Arc<dyn ExecutionPlan>,
        scheduler: String,
        deadline: Duration,
        tls: Option<ClusterTls>,
    ) -> ClusterJobExec {
        ClusterJobExec {
            input,
            scheduler,
            deadline,
            tls,
        }
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
            self.scheduler.clone(),
            self.deadline,
            self.tls.clone(),
        )))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let context = self.with_credentials(context);
        let rows = self.input.execute(partition, Arc::clone(&context))?;
        let schema = rows.schema();
        let deadline = self.deadline;
        let input = Arc::clone(&self.input);
        let scheduler = self.scheduler.clone();
        let all = async move {
            match tokio::time::timeout(deadline, rows.try_collect::<Vec<_>>()).await {
                Ok(batches) => {
                    let batches = batches?;
                    // Awaited, so that a process that exits with the rows (`renkei query`)
                    // has asked first; bounded, so that a scheduler gone quiet after the
                    // job cannot hold the rows back.
                    let asked = delete_job_files(&input, &scheduler, context.session_config());
                    let _ = tokio::time::timeout(DELETE_WAIT, asked).await;
                    Ok(futures::stream::iter(batches.into_iter().map(Ok)))
                }
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

/// Asks the scheduler to have every executor delete the shuffle files of the job `job` ran,
/// now that its rows are here. Ballista deletes a finished job's intermediate files at once
/// only when its planner knows which stages feed which; its adaptive planner (the default)
/// does not, so they stayed for its five-minute delay: files as sensitive as the warehouse,
/// and at 5,000,000 persons ~6 GB a query, which filled the disk of a cluster running one
/// query after another. (A failed job's files Ballista deletes itself.) Best effort: what
/// this cannot delete, that delay still does.
async fn delete_job_files(job: &Arc<dyn ExecutionPlan>, scheduler: &str, config: &SessionConfig) {
    let Some(job_id) = job
        .downcast_ref::<DistributedQueryExec<LogicalPlanNode>>()
        .and_then(DistributedQueryExec::job_id)
    else {
        return;
    };
    let Ok(mut endpoint) = create_grpc_client_endpoint(
        scheduler.to_string(),
        Some(&GrpcClientConfig::from(&config.ballista_config())),
    ) else {
        return;
    };
    if let Some(credentials) = config.ballista_override_create_grpc_client_endpoint() {
        match credentials.configure_endpoint(endpoint) {
            Ok(e) => endpoint = e,
            Err(_) => return,
        }
    }
    if let Ok(channel) = endpoint.connect().await {
        let _ = SchedulerGrpcClient::new(channel)
            .clean_job_data(CleanJobDataParams {
                job_id: job_id.to_string(),
                // None named: all of the job's files.
                remove_stage_ids: Vec::new(),
            })
            .await;
    }
}
