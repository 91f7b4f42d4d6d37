//! The control node: the root of every checked plan. Logically it has the schema of the
//! user's query; physically it gathers the whole rewritten result (cells plus their hidden
//! person and unit counts), applies suppression (`apply.rs`), drops the hidden columns and
//! leaves the disclosure report in its [`ControlSlot`].

use crate::apply::apply_disclosure_control;
use crate::history::{HistoryConflict, ReleasedCell};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{DFSchemaRef, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, UserDefinedLogicalNode, UserDefinedLogicalNodeCore};
use datafusion::physical_expr::{Distribution, EquivalenceProperties, LexOrdering, OrderingRequirements, Partitioning};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties, collect,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use renkei_disclosure::{PersonSet, Policy, Report};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

/// How the control node treats one visible output column.
#[derive(Clone, Debug)]
pub enum ColumnRule {
    /// Made of group keys only: shown as is.
    Label,
    /// Made of the final aggregate's values `aggregates` (indices into
    /// [`ControlSpec::aggregates`]); `bare` when it is one of them unchanged.
    Value { aggregates: Vec<usize>, bare: bool },
}

/// The hidden counts behind one aggregate of the final aggregation.
#[derive(Clone, Debug)]
pub struct AggregateRule {
    /// The hidden count of the persons among the rows that feed it.
    pub persons: String,
    /// Hidden distinct-unit count columns; a cell's units are the smallest of them.
    pub units: Vec<String>,
    /// For a SUM or AVG of a sensitive measure: the hidden `renkei_contributions` summary
    /// the dominance rules judge.
    pub dominance: Option<String>,
    /// Hidden person counts on each side of each condition inside the value: each must be
    /// zero or at least the policy's minimum.
    pub parts: Vec<String>,
    /// A COUNT, or a SUM of weights alone (`sum(1)`): rounded when the policy rounds counts.
    pub is_count: bool,
    /// A SUM (of a count's ones and zeros, or of a value).
    pub is_sum: bool,
    /// A COUNT(DISTINCT key): not additive over groups a key can be in twice.
    pub distinct: bool,
    /// A COUNT(DISTINCT key) whose key the plan does not prove to be on one row of the
    /// aggregate's input: its totals over groups are not sums of their groups.
    pub keys_may_repeat: bool,
    /// An AVG, whose total over it gives its exact count back.
    pub is_mean: bool,
    /// When the engine keeps person sets, for the release ledger: the hidden lists of what it
    /// releases (none, one, or a mean's two: its count and its sum).
    pub kept: Vec<KeptSet>,
}

/// One hidden list the ledger keeps of an aggregate: the persons' numbers of a count of
/// persons, or the pieces (`contributions::piece`) of a total. Both are sets the ledger's
/// span check combines: a total's pieces differ between two totals exactly where persons'
/// contributions differ.
#[derive(Clone, Debug)]
pub struct KeptSet {
    /// The hidden column.
    pub column: String,
    /// Whether it holds a total's pieces rather than a count's persons.
    pub pieces: bool,
}

/// The hidden columns that place each row in a ROLLUP / CUBE / GROUPING SETS table.
#[derive(Clone, Debug)]
pub struct Grouping {
    /// The grouping id: bit i (from the most significant of `keys.len()`) is set when key i
    /// is aggregated away in the row.
    pub id: String,
    /// The raw group keys, one hidden column each.
    pub keys: Vec<String>,
}

/// Everything the control node needs to check one query's output.
#[derive(Clone, Debug)]
pub struct ControlSpec {
    pub columns: Vec<ColumnRule>,
    pub aggregates: Vec<AggregateRule>,
    /// A hidden boolean column with the HAVING verdict.
    pub having: Option<String>,
    /// The aggregates the HAVING tests (indices into [`ControlSpec::aggregates`]). HAVING is
    /// evaluated on released values only: a row where one of them would be hidden is
    /// withheld, whatever the verdict, so that a test of a hidden value tells nothing.
    pub having_aggregates: Vec<usize>,
    /// The hidden count of the persons of each row's group (all the rows it aggregates): a
    /// group of fewer than the policy's minimum is a small group, whose labels and cells are
    /// not released whatever its aggregates are (a zero included).
    pub group_persons: String,
    /// The units (facilities, providers, municipalities) of each group, over all its rows,
    /// where the unit rule applies: a row of labels alone names a group as surely as a count
    /// of it would (`SELECT facility_id … WHERE age >= 80 GROUP BY facility_id` listed each
    /// hospital with 10 or more such patients, red team R7-1).
    pub group_units: Vec<String>,
    pub grouping: Option<Grouping>,
    /// Whether the query groups or selects by a unit key, so the unit rule applies.
    pub entity_rule: bool,
    /// Pairs of aggregates over different rows, with the persons in between.
    pub differences: Vec<Difference>,
    /// Cells of one kind, three or more, with the persons of their atoms (`span.rs`).
    pub atoms: Vec<AtomCheck>,
    pub policy: Policy,
}

/// Two aggregates of the final aggregation and the hidden count of the persons whose rows
/// feed one and not the other: their difference is about those persons alone.
#[derive(Clone, Debug)]
pub struct Difference {
    pub first: usize,
    pub second: usize,
    pub persons: String,
    /// For two totals of one sensitive measure: the contributions summary of what each
    /// person puts into their difference, judged by the dominance rules as a cell would be.
    pub dominance: Option<String>,
    /// Where the unit rule applies: the distinct units among the rows between them.
    pub units: Vec<String>,
}

/// A hidden atoms aggregate (`atoms.rs`) and the aggregates whose cells it splits: bit i of
/// a signature is `aggregates[i]`.
#[derive(Clone, Debug)]
pub struct AtomCheck {
    pub column: String,
    pub aggregates: Vec<usize>,
    /// For a check across kinds (`Atoms::Profiles`), which cells count persons (bit i for
    /// `aggregates[i]`); none for cells of one kind.
    pub across_kinds: Option<u64>,
    /// For totals of one sensitive measure, each atom's contributions summary
    /// (`renkei_atom_contributions`): a dominated atom is a primary cell of the span check.
    pub dominance: Option<String>,
    /// Where the unit rule applies, each atom's distinct units per unit lineage (a
    /// `renkei_row_atoms` over the unit's number): an atom of too few units is a primary cell.
    pub units: Vec<String>,
}

/// Why a plan without a control node at its root is not run.
pub(crate) const ONLY_CHECKED: &str = "only checked queries are executed";

/// Where a control exec finds the person sets of a ledger's history to check against, and
/// leaves the disclosure report of the output it checked with its released person sets.
/// What a control exec leaves of the output it checked, besides the output.
#[derive(Debug)]
pub struct Checked {
    pub report: Report,
    /// The released counts' person sets (secure side).
    pub released: Vec<ReleasedCell>,
    /// The earlier cells each cell hidden by history conflicts with (steward side).
    pub conflicts: Vec<HistoryConflict>,
}

#[derive(Debug, Default)]
pub struct ControlSlot {
    /// None: an empty history, against which the output's own counts are still checked.
    history: Mutex<Option<Arc<Vec<PersonSet>>>>,
    checked: Mutex<Option<Checked>>,
}

impl ControlSlot {
    /// The history the output is to be checked against, before it runs.
    pub fn check_against(&self, history: Arc<Vec<PersonSet>>) {
        if let Ok(mut slot) = self.history.lock() {
            *slot = Some(history);
        }
    }

    /// The report, the released cells' person sets and the history conflicts, once the output
    /// is checked.
    pub fn take(&self) -> Option<Checked> {
        self.checked.lock().ok().and_then(|mut r| r.take())
    }

    fn history(&self) -> Option<Arc<Vec<PersonSet>>> {
        self.history.lock().ok().and_then(|h| h.clone())
    }

    fn put(&self, checked: Checked) {
        if let Ok(mut slot) = self.checked.lock() {
            *slot = Some(checked);
        }
    }
}

#[derive(Debug, Clone)]
pub struct ControlNode {
    input: LogicalPlan,
    schema: DFSchemaRef,
    pub spec: Arc<ControlSpec>,
    /// The spec's debug form, which is all that identifies it (it holds floating-point
    /// policy values, so it has no `Eq` or `Hash` of its own). Made once: the optimizer
    /// hashes the whole plan after every pass.
    spec_form: Arc<str>,
}

impl ControlNode {
    /// A control node that checks to the user's `schema` by `spec`; [`ControlNode::over`]
    /// puts it over its input.
    pub fn new(schema: DFSchemaRef, spec: ControlSpec) -> ControlNode {
        ControlNode {
            input: LogicalPlan::default(),
            schema,
            spec_form: format!("{spec:?}").into(),
            spec: Arc::new(spec),
        }
    }

    /// The control node over `input`, as a plan.
    pub fn over(mut self, input: LogicalPlan) -> LogicalPlan {
        self.input = input;
        LogicalPlan::Extension(Extension { node: Arc::new(self) })
    }

    /// A checked plan taken apart: its control node (inputless) and the plan under it, each
    /// owned alone. DataFusion's optimizer and analyzer rewrite a plan in place where they
    /// own its nodes alone, but an extension node's input they copy first, which leaves
    /// every node below shared, and so copied again, whole, by every rule: the input is
    /// rewritten apart and put back with [`ControlNode::over`].
    pub fn split(plan: LogicalPlan) -> Option<(ControlNode, LogicalPlan)> {
        let LogicalPlan::Extension(Extension { node }) = plan else {
            return None;
        };
        let mut control = node.as_any().downcast_ref::<ControlNode>()?.clone();
        // Dropped before the input is taken, so that the input's nodes are owned once.
        drop(node);
        let input = std::mem::take(&mut control.input);
        Some((control, input))
    }
}

impl PartialEq for ControlNode {
    fn eq(&self, other: &Self) -> bool {
        self.input == other.input && self.schema == other.schema && self.spec_form == other.spec_form
    }
}

impl Eq for ControlNode {}

impl Hash for ControlNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.input.hash(state);
        self.schema.hash(state);
        self.spec_form.hash(state);
    }
}

impl PartialOrd for ControlNode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.input.partial_cmp(&other.input)
    }
}

impl UserDefinedLogicalNodeCore for ControlNode {
    fn name(&self) -> &str {
        "DisclosureControl"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "DisclosureControl: policy={}", self.spec.policy.version)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let input = inputs.swap_remove(0);
        Ok(ControlNode {
            input,
            schema: Arc::clone(&self.schema),
            spec: Arc::clone(&self.spec),
            spec_form: Arc::clone(&self.spec_form),
        })
    }
}

/// Physical form of [`ControlNode`]: one output partition, emitted once all input is in
/// (suppression needs the whole table).
#[derive(Debug)]
pub struct ControlExec {
    input: Arc<dyn ExecutionPlan>,
    spec: Arc<ControlSpec>,
    schema: SchemaRef,
    slot: Arc<ControlSlot>,
    properties: Arc<PlanProperties>,
    /// The user's ORDER BY, as the input delivers it: required of the input so that the
    /// physical optimizer keeps it.
    ordering: Option<LexOrdering>,
    /// Whether the input arrives in an order the query asked for; if not, the rows are put
    /// in one canonical order (see `apply.rs`).
    ordered: bool,
}

impl ControlExec {
    /// Where this exec takes its history from and leaves its report when it has run.
    pub fn slot(&self) -> Arc<ControlSlot> {
        Arc::clone(&self.slot)
    }

    fn new(
        input: Arc<dyn ExecutionPlan>,
        spec: Arc<ControlSpec>,
        schema: SchemaRef,
        slot: Arc<ControlSlot>,
        ordered: bool,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        let ordering = input.output_ordering().cloned();
        ControlExec {
            input,
            spec,
            schema,
            slot,
            properties,
            ordering,
            ordered,
        }
    }
}

impl DisplayAs for ControlExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "DisclosureControlExec: policy={}", self.spec.policy.version)
    }
}

impl ExecutionPlan for ControlExec {
    fn name(&self) -> &str {
        "DisclosureControlExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        vec![Distribution::SinglePartition]
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        vec![self.ordering.clone().map(OrderingRequirements::from)]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
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
        Ok(Arc::new(ControlExec::new(
            children.swap_remove(0),
            Arc::clone(&self.spec),
            Arc::clone(&self.schema),
            Arc::clone(&self.slot),
            self.ordered,
        )))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(datafusion::error::DataFusionError::Internal(format!(
                "DisclosureControlExec has one partition, not {partition}"
            )));
        }
        let input = Arc::clone(&self.input);
        let spec = Arc::clone(&self.spec);
        let schema = Arc::clone(&self.schema);
        let slot = Arc::clone(&self.slot);
        let out_schema = Arc::clone(&schema);
        let ordered = self.ordered;
        let stream = futures::stream::once(async move {
            let batches = collect(input, context).await?;
            let history = slot.history();
            let (batch, report, released, conflicts) = apply_disclosure_control(
                &batches,
                &spec,
                &out_schema,
                ordered,
                history.as_ref().map_or(&[], |h| h.as_slice()),
            )?;
            slot.put(Checked {
                report,
                released,
                conflicts,
            });
            Ok(batch)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

/// Plans [`ControlNode`]s.
#[derive(Debug)]
struct ControlPlanner;

#[async_trait]
impl ExtensionPlanner for ControlPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn datafusion::catalog::Session,
        _planning_ctx: &datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(control) = node.as_any().downcast_ref::<ControlNode>() else {
            return Ok(None);
        };
        Ok(Some(control_exec(control, Arc::clone(&physical_inputs[0]))))
    }
}

/// The control node over its planned input, gathered into the one partition it checks.
fn control_exec(control: &ControlNode, mut input: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
    if input.output_partitioning().partition_count() != 1 {
        input = match input.output_ordering().cloned() {
            Some(ordering) => Arc::new(SortPreservingMergeExec::new(ordering, input)),
            None => Arc::new(CoalescePartitionsExec::new(input)),
        };
    }
    let schema = Arc::new(control.schema.as_arrow().clone());
    let ordered = sorts_its_output(&control.input);
    Arc::new(ControlExec::new(
        input,
        Arc::clone(&control.spec),
        schema,
        Arc::default(),
        ordered,
    ))
}

/// Whether `plan` delivers its rows in an order the query asked for: an ORDER BY at its top,
/// under projections and aliases. (Decided on the logical plan, because a plan run on a
/// cluster comes back without a declared ordering, though in order.)
fn sorts_its_output(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Sort(_) => true,
        LogicalPlan::Projection(p) => sorts_its_output(&p.input),
        LogicalPlan::SubqueryAlias(a) => sorts_its_output(&a.input),
        _ => false,
    }
}

/// The session's query planner: the final check on the optimized plan. Only a plan whose
/// root is a control node is ever executed.
#[derive(Debug)]
pub struct CheckedQueryPlanner {
    /// Plans the control node's input for a cluster. The input is a plain DataFusion plan
    /// whose every output row carries its hidden counts; the control node over it, which
    /// alone decides what is shown, is planned and run here, never on the cluster.
    pub cluster: Option<Arc<dyn QueryPlanner + Send + Sync>>,
}

#[async_trait]
impl QueryPlanner for CheckedQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn datafusion::catalog::Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let control = match logical_plan {
            LogicalPlan::Extension(e) => e.node.as_any().downcast_ref::<ControlNode>(),
            _ => None,
        };
        let Some(control) = control else {
            return Err(crate::refuse(match logical_plan {
                LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => "EXPLAIN is refused".to_string(),
                _ => ONLY_CHECKED.to_string(),
            }));
        };
        match &self.cluster {
            Some(cluster) => {
                let input = cluster.create_physical_plan(&control.input, session).await?;
                Ok(control_exec(control, input))
            }
            None => {
                DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(ControlPlanner)])
                    .create_physical_plan(logical_plan, session)
                    .await
            }
        }
    }
}
