//! The query engine: a DataFusion session over a Renkei warehouse in which disclosure
//! control is part of planning, so no caller can run a query unchecked.
//!
//! - Every analysis table is registered from its Parquet files; the column classes come from
//!   the files' own metadata (`renkei.column_classes`), and a table without them is refused.
//! - The session appends [`rewrite::DisclosureControlRule`] to DataFusion's analyzer rules
//!   (keeping DataFusion's own), and plans through [`control::CheckedQueryPlanner`], which
//!   executes only plans rooted at the control node: the final check on the optimized plan.
//! - Execution errors are reported by kind only: their messages can quote data values.
//! - With [`EngineOptions::cluster`], the plan below the control node runs on a cluster
//!   (`renkei-cluster`); the rewrite, the refusals and the control node stay here.

mod allowlist;
mod apply;
mod atoms;
mod contributions;
pub mod control;
pub mod error;
pub mod fan_out;
mod grouping;
mod history;
mod key_copies;
mod key_number;
mod linear;
mod pattern_cost;
pub mod query_size;
mod render;
pub mod rewrite;
mod span;
mod state_lists;
mod value_errors;

pub use error::{EngineError, Refusal};
pub use history::{HistoryConflict, ReleasedCell};
pub use render::DisplayCell;
pub use renkei_disclosure::ConflictFound;
pub use renkei_disclosure::PersonSet;

use crate::control::{CheckedQueryPlanner, ControlExec, ControlNode, ONLY_CHECKED};
use crate::rewrite::{Classes, DisclosureControlRule};
use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::common::alias::AliasGenerator;
use datafusion::config::ConfigOptions;
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, MemoryPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder};
use datafusion::logical_expr::execution_props::ExecutionProps;
use datafusion::logical_expr::{AggregateUDF, LogicalPlan, ScalarUDF};
use datafusion::optimizer::OptimizerConfig;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use renkei_disclosure::{Policy, Report};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A refusal as a DataFusion error, recognised again at the engine boundary.
pub(crate) fn refuse(reason: String) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::External(Box::new(Refusal(reason)))
}

/// How the engine runs.
#[derive(Clone, Debug, Default)]
pub struct EngineOptions {
    /// Memory the engine may use for query state; beyond it operators spill to disk.
    pub memory_limit: Option<usize>,
    /// A pool shared with other engines (the broker's, for all its running queries): used
    /// instead of a pool of `memory_limit` of this engine's own.
    pub memory_pool: Option<Arc<dyn MemoryPool>>,
    /// Where spill files go (the OS temp directory if none).
    pub spill_dir: Option<PathBuf>,
    pub target_partitions: Option<usize>,
    /// The tables a session may see (a project's granted datasets); all when None. A table
    /// outside it is not registered: for the query it does not exist.
    pub tables: Option<std::collections::BTreeSet<String>>,
    /// Plans the checked query's input (the rewritten plan below the control node) for a
    /// cluster; the control node itself always runs in this process. None: all runs here.
    pub cluster: Option<Arc<dyn QueryPlanner + Send + Sync>>,
}

/// The functions the rewrite puts into plans, beyond DataFusion's own: every node that
/// decodes or runs part of a checked plan (a cluster's scheduler and executors) must know
/// them by name.
pub fn plan_functions() -> (Vec<Arc<ScalarUDF>>, Vec<Arc<AggregateUDF>>) {
    (
        vec![key_number::key_number_udf()],
        [
            contributions::contributions_udaf(),
            contributions::pieces_udaf(contributions::PieceKind::Rows),
            contributions::pieces_udaf(contributions::PieceKind::Measure),
        ]
        .into_iter()
        .chain(atoms::Atoms::ALL.into_iter().map(atoms::atoms_udaf))
        .chain([atoms::atom_contributions_udaf()])
        .collect(),
    )
}

/// The checked result of one query.
#[derive(Debug)]
pub struct CheckedOutput {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub report: Report,
    /// Its released counts of persons with their persons: for a ledger on the secure side,
    /// never for a client.
    pub released: Vec<ReleasedCell>,
    /// For each cell hidden with the rule `history`, the cells of the history given (by index)
    /// and of this output it conflicts with: for a steward, never for the output's reader
    /// (the report names the rule only).
    pub history_conflicts: Vec<HistoryConflict>,
}

/// A warehouse opened for checked queries.
pub struct Engine {
    policy: Arc<Policy>,
    options: EngineOptions,
    /// The one state every query plans and runs in (planning takes it by reference), so
    /// that DataFusion's functions are set up once, not per query. It holds the granted tables,
    /// made once (a table keeps the statistics it gathered from its files for the next
    /// query; the warehouse is read-only once published), and one runtime: one memory pool,
    /// one spill directory, and DataFusion's caches of Parquet footers and file listings,
    /// which a fresh runtime per query would read again from disk each time.
    state: SessionState,
    /// The granted tables, as registered in `state`.
    providers: Vec<(String, Arc<dyn TableProvider>)>,
}

impl Engine {
    /// Opens the warehouse at `warehouse`: every analysis table and its column classes.
    pub fn open(warehouse: &Path, policy: Policy, options: EngineOptions) -> Result<Engine, EngineError> {
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(pool) = &options.memory_pool {
            runtime = runtime.with_memory_pool(Arc::clone(pool));
        } else if let Some(limit) = options.memory_limit {
            // Fair, not greedy: a greedy pool lets the operators that can spill (aggregates,
            // sorts) take the whole limit first, and a hash join's build side, which cannot
            // spill, then fails the query. The fair pool serves the unspillable first and
            // splits the rest among the spillable ones.
            runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
        }
        if let Some(dir) = &options.spill_dir {
            runtime = runtime.with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Directories(vec![dir.clone()])),
            );
        }
        let runtime = runtime.build_arc().map_err(EngineError::from_planning)?;
        // The generation the path names now (see `renkei_warehouse::published`): this engine
        // reads it to the end even if the next warehouse is published meanwhile, never half
        // of one and half of the other.
        let named = warehouse;
        let warehouse =
            &renkei_warehouse::published::resolve(warehouse).map_err(|e| EngineError::Warehouse(e.to_string()))?;
        if !warehouse.is_dir() {
            return Err(EngineError::Warehouse(format!(
                "no warehouse here: {} does not exist (make one with `renkei ingest` or `renkei demo`)",
                named.display()
            )));
        }
        let mut classes = Classes::default();
        let mut providers: Vec<(String, Arc<dyn TableProvider>)> = Vec::new();
        let granted = |name: &str| options.tables.as_ref().is_none_or(|t| t.contains(name));
        for table in renkei_warehouse::TABLES
            .iter()
            .filter(|t| !t.steward_only && granted(t.name))
        {
            let dir = table.directory(warehouse);
            if !dir.is_dir() {
                // A folder, but not one `renkei ingest` wrote.
                return Err(EngineError::Warehouse(format!(
                    "no warehouse here: {} has no {} table (make one with `renkei ingest` or `renkei demo`)",
                    named.display(),
                    table.name
                )));
            }
            let first = first_part(&dir)?;
            let stored = renkei_warehouse::read_column_classes(&first)
                .map_err(|e| EngineError::Warehouse(format!("{}: {e}", table.name)))?;
            for c in table.columns {
                if !stored.contains_key(c.name) {
                    return Err(EngineError::Warehouse(format!(
                        "{}: column {} has no class in its metadata",
                        table.name, c.name
                    )));
                }
            }
            classes.0.insert(table.name.to_string(), stored);
            let url = ListingTableUrl::parse(dir.to_string_lossy()).map_err(EngineError::from_planning)?;
            let listing = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
            let config = ListingTableConfig::new(url)
                .with_listing_options(listing)
                .with_schema(session_schema(table));
            // With the runtime's statistics cache, as `SessionContext::register_parquet` sets
            // it: without one, a table converts every file's footer statistics again in each
            // query's planning.
            let provider = ListingTable::try_new(config)
                .map_err(EngineError::from_planning)?
                .with_cache(runtime.cache_manager.get_file_statistic_cache());
            providers.push((table.name.to_string(), Arc::new(provider)));
        }
        let mut config = SessionConfig::new();
        if let Some(n) = options.target_partitions {
            config = config.with_target_partitions(n);
        }
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_query_planner(Arc::new(CheckedQueryPlanner {
                cluster: options.cluster.clone(),
            }))
            .build();
        let policy = Arc::new(policy);
        // Without common subexpression elimination: the checks' hidden aggregates repeat
        // their conditions in forms that become alike only once simplified (a FILTER's
        // `age > 50` and a weight's `CASE WHEN age > 50 THEN 1 ELSE 0 END != 0`), and the
        // rule's second pass then named two columns `__common_expr_10`: a query of the
        // grammar failed to plan (3 of the property test's 400). Measured on a 48,168-person
        // warehouse, the six study queries take the same time with it or without (0.03 to
        // 0.14 s each, both ways, within the runs' spread).
        let rules = state
            .optimizers()
            .iter()
            .filter(|r| r.name() != "common_sub_expression_eliminate")
            .cloned()
            .collect();
        let state = SessionStateBuilder::new_from_existing(state)
            .with_optimizer_rules(rules)
            .with_analyzer_rule(Arc::new(DisclosureControlRule {
                classes: Arc::new(classes),
                policy: Arc::clone(&policy),
            }))
            .build();
        let ctx = SessionContext::new_with_state(state);
        for (name, provider) in &providers {
            ctx.register_table(name.as_str(), Arc::clone(provider))
                .map_err(EngineError::from_planning)?;
        }
        Ok(Engine {
            policy,
            options,
            state: ctx.state(),
            providers,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The tables this engine's queries see (the grant), with their Arrow schemas.
    pub fn tables(&self) -> Vec<(String, SchemaRef)> {
        self.providers
            .iter()
            .map(|(name, p)| (name.clone(), p.schema()))
            .collect()
    }

    /// Runs one SQL query through disclosure control.
    pub async fn query(&self, sql: &str) -> Result<CheckedOutput, EngineError> {
        self.query_with_params(sql, Vec::new()).await
    }

    /// Runs one SQL query with values for its placeholders (`$1`, `$2`, …) through disclosure
    /// control. The values replace the placeholders before the checks run, so the checks
    /// see them as literals: a person key bound to `$1` is refused as one written inline.
    pub async fn query_with_params(&self, sql: &str, params: Vec<ScalarValue>) -> Result<CheckedOutput, EngineError> {
        self.query_with_history(sql, params, None).await
    }

    /// Runs one SQL query as [`Engine::query_with_params`], checked also against the person
    /// sets a project released before (`history`, oldest first): a count that would, with
    /// them, give the count of fewer than `min_persons` persons is hidden (rule `history`).
    /// Without a history the output's own counts are checked the same way against each
    /// other, on every door: two rows of one output whose persons nest (a self-join labels
    /// everyone's pairs of months "same", and the pairs of all but the men aged 95+ "later")
    /// differ by a few persons as two outputs can.
    pub async fn query_with_history(
        &self,
        sql: &str,
        params: Vec<ScalarValue>,
        history: Option<Arc<Vec<PersonSet>>>,
    ) -> Result<CheckedOutput, EngineError> {
        let command = with_parameters(sql, &params);
        let plan = self.checked_plan(sql, params).await?;
        let schema = Arc::new(plan.schema().as_arrow().clone());
        // Straight to the checked query planner: `SessionState::create_physical_plan` would
        // analyze and optimize the just optimized plan a second time, a cost of every query.
        let physical = self
            .state
            .query_planner()
            .create_physical_plan(&plan, &self.state)
            .await
            .map_err(EngineError::from_planning)?;
        // The checked planner roots every plan it makes at a control exec; its report is
        // this query's.
        let control = physical
            .downcast_ref::<ControlExec>()
            .ok_or_else(|| EngineError::Refused(ONLY_CHECKED.into()))?;
        let slot = control.slot();
        slot.check_against(history.unwrap_or_default());
        let batches = datafusion::physical_plan::collect(physical, self.state.task_ctx())
            .await
            .map_err(|e| match (EngineError::from_execution(e), &self.options.cluster) {
                // A cluster reports every failure as a failed job, in text that may quote a
                // value: say where it failed, keep nothing of the text.
                (EngineError::Execution(_), Some(_)) => {
                    EngineError::Execution("on the cluster: a task failed or a node could not be reached")
                }
                (other, _) => other,
            })?;
        let control::Checked {
            mut report,
            released,
            conflicts: history_conflicts,
        } = slot
            .take()
            .ok_or_else(|| EngineError::Refused("the query produced no disclosure report".into()))?;
        report.query_hash = blake3::hash(command.as_bytes()).to_hex().to_string();
        report.command = command;
        Ok(CheckedOutput {
            schema,
            batches,
            report,
            released,
            history_conflicts,
        })
    }

    /// The plan that runs for `sql`: parsed, its parameters bound, checked to be a query,
    /// rewritten by disclosure control (an analyzer rule) and optimized. Its root is the
    /// control node; what the query is refused for is refused here.
    pub async fn checked_plan(&self, sql: &str, params: Vec<ScalarValue>) -> Result<LogicalPlan, EngineError> {
        query_size::check(sql)?;
        // Planned on the engine's one state, not a per-query copy of it (which is how a
        // `SessionContext` plans, at the cost of copying every function map per query).
        let plan = self.state.create_logical_plan(sql).await.map_err(|e| {
            let tables: Vec<String> = self.providers.iter().map(|(name, _)| name.clone()).collect();
            EngineError::from_planning_for(e, &tables)
        })?;
        // Only queries: no DDL (CREATE, COPY TO files), DML or SET statements. Checked on
        // the plan before anything runs: DataFusion executes DDL when it plans it.
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)
            .map_err(|_| {
                EngineError::Refused(
                    "only queries are allowed: no CREATE, COPY, INSERT, SET or other statements".into(),
                )
            })?;
        let plan = if params.is_empty() {
            plan
        } else {
            plan.with_param_values(params).map_err(EngineError::from_planning)?
        };
        let analyzed = self
            .state
            .analyzer()
            .execute_and_check(plan, self.state.config_options(), |_, _| {})
            .map_err(EngineError::from_planning)?;
        let (control, input) = ControlNode::split(analyzed).ok_or_else(|| EngineError::Refused(ONLY_CHECKED.into()))?;
        let input = self
            .state
            .optimizer()
            .optimize(input, &QueryOptimizerConfig::new(&self.state), |_, _| {})
            .map_err(EngineError::from_planning)?;
        Ok(control.over(input))
    }
}

/// The optimizer's settings for one query: the engine's, with the query's own start time
/// (the value of `now()`) and alias numbering, which a `SessionContext` gets by copying
/// its whole state per query.
struct QueryOptimizerConfig<'a> {
    state: &'a SessionState,
    props: ExecutionProps,
}

impl<'a> QueryOptimizerConfig<'a> {
    fn new(state: &'a SessionState) -> Self {
        let mut props = ExecutionProps::new();
        props.mark_start_execution(Arc::clone(state.config_options()));
        QueryOptimizerConfig { state, props }
    }
}

impl OptimizerConfig for QueryOptimizerConfig<'_> {
    fn query_execution_start_time(&self) -> Option<DateTime<Utc>> {
        self.props.query_execution_start_time
    }

    fn alias_generator(&self) -> &Arc<AliasGenerator> {
        &self.props.alias_generator
    }

    fn options(&self) -> Arc<ConfigOptions> {
        Arc::clone(self.state.config_options())
    }

    fn function_registry(&self) -> Option<&dyn FunctionRegistry> {
        Some(self.state)
    }
}

/// A table's schema as queries see it. Without the schema metadata (the classes are read
/// from the files): DataFusion compares a join's merged metadata between plan levels, and
/// two tables' differ. Text as string views, as DataFusion reads Parquet by default: a
/// view points into the decoded page instead of copying every string into one buffer,
/// which on the warehouse's text columns (person keys, codes) is most of a scan's work.
fn session_schema(table: &renkei_warehouse::TableDef) -> SchemaRef {
    let fields: Vec<Field> = table
        .schema()
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// The query as the report names it: the SQL, and the values bound to its placeholders.
fn with_parameters(sql: &str, params: &[ScalarValue]) -> String {
    if params.is_empty() {
        return sql.to_string();
    }
    let values: Vec<String> = params
        .iter()
        .enumerate()
        .map(|(i, v)| format!("${} = {v}", i + 1))
        .collect();
    format!("{sql}\n-- parameters: {}", values.join(", "))
}

/// The first Parquet part of a table folder, whose metadata carries the column classes.
fn first_part(dir: &Path) -> Result<PathBuf, EngineError> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| EngineError::Warehouse(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    parts
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::Warehouse(format!("{}: no Parquet part", dir.display())))
}
