//! The disclosure-control analyzer rule: checks a query's logical plan against the rules of
//! `renkei-disclosure`, and rewrites it so that every output row carries, in hidden columns,
//! the number of distinct persons (and facilities / providers / municipalities) behind each
//! of its cells. The rewritten plan is wrapped in a [`ControlNode`], whose execution applies
//! suppression and drops the hidden columns; no result leaves the engine any other way.
//!
//! How contributors are followed through a plan ("lineage"):
//! - every scan of a person-keyed table adds a hidden copy of its `person_id`
//!   (`__renkei_p<N>`, one *person lineage* per scan) and of its unit-key columns
//!   (`__renkei_u<N>`); projections, filters, joins, sorts and aliases pass them on;
//! - an equi-join or equality filter between two bare person keys makes their lineages one
//!   class (the same person, or NULL on the outer side of an outer join);
//! - an aggregate inside the query (a per-person derived table) must group by a bare person
//!   key, and every person lineage beneath it must be of that key's class; it passes on that
//!   lineage alone;
//! - the final aggregate gets, per output aggregate and lineage, `count(DISTINCT hidden)`
//!   filtered to the rows that actually feed that aggregate (non-NULL, and non-zero for
//!   sums): a `sum(CASE …)` over a few persons is counted as those few;
//! - finally, where the query keeps a key itself, its copy is dropped and the key is counted
//!   instead ([`crate::key_copies`]): a copy is carried only where the query dropped its key.
//!
//! Whatever this cannot follow it refuses, naming the construct.
//!
//! The files, in the order a query meets them: `top` (above the final aggregate), `output`
//! (what it may output), `final_aggregate` (its hidden counts), `row_checks` (between a row's
//! cells); below it `plan`, `joins`, `derived`, `predicates`, carrying `carried` and learning
//! `lineage`; `terms`, `conditions` and `hidden` are the expressions they share.

mod carried;
mod conditions;
mod derived;
mod final_aggregate;
mod hidden;
mod joins;
mod lineage;
mod output;
mod plan;
mod predicates;
mod row_checks;
mod terms;
mod top;

pub(crate) use carried::is_key_copy;
pub(crate) use hidden::coerced;
pub(crate) use joins::kept_sides;
pub(crate) use predicates::is_comparison;

use crate::control::ControlNode;
use crate::key_copies::without_key_copies;
use crate::refuse;
use crate::value_errors::without_value_errors;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DFSchema, Result};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::AnalyzerRule;
use datafusion::optimizer::analyzer::type_coercion::TypeCoercion;
use lineage::Rewriter;
use renkei_disclosure::Policy;
use renkei_warehouse::ColumnClass;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Prefix of every column the rewrite adds; user queries may not use it.
pub const HIDDEN_PREFIX: &str = "__renkei_";

/// The hidden boolean that carries a HAVING clause's verdict to the control node.
pub const HAVING_COLUMN: &str = "__renkei_having";

/// The hidden grouping-set id of each output row (ROLLUP, CUBE, GROUPING SETS).
pub const GROUPING_ID_COLUMN: &str = "__renkei_grouping_id";

/// Column classes of the registered tables: table → column → class.
#[derive(Debug, Default, Clone)]
pub struct Classes(pub HashMap<String, BTreeMap<String, ColumnClass>>);

/// The analyzer rule every Renkei session appends to DataFusion's own.
#[derive(Debug)]
pub struct DisclosureControlRule {
    pub classes: Arc<Classes>,
    pub policy: Arc<Policy>,
}

impl AnalyzerRule for DisclosureControlRule {
    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        if let LogicalPlan::Extension(e) = &plan
            && e.node.as_any().is::<ControlNode>()
        {
            return Ok(plan);
        }
        reject_hidden_names(&plan)?;
        let plan = without_value_errors(plan)?;
        let mut rewriter = Rewriter {
            classes: &self.classes,
            bases: Vec::new(),
            lineages: Vec::new(),
            referenced_units: BTreeSet::new(),
            outer_persons: Vec::new(),
            outer_equalities: Vec::new(),
            outer_keys: Vec::new(),
            weighed: None,
        };
        // The user's schema, with every column nullable: any value cell may be hidden. Text
        // leaves as plain strings: tables are read as string views, which many clients (a
        // CSV writer, older Arrow libraries) do not take.
        let fields = plan
            .schema()
            .iter()
            .map(|(q, f)| {
                let f = f.as_ref().clone().with_nullable(true);
                let f = match f.data_type() {
                    DataType::Utf8View => f.with_data_type(DataType::Utf8),
                    _ => f,
                };
                (q.cloned(), Arc::new(f))
            })
            .collect();
        let schema = Arc::new(DFSchema::new_with_metadata(fields, plan.schema().metadata().clone())?);
        // How many times over the query multiplies one person's rows is judged on the plan
        // as written, once the rewrite has found nothing else to refuse.
        let written = plan.clone();
        let (input, spec) = rewriter.checked(plan, &self.policy)?;
        crate::fan_out::check(&written, &self.classes)?;
        let input = without_key_copies(input)?;
        // Every expression the rewrite adds is coerced where it is made (see `coerced`); the
        // plan must need nothing more from DataFusion's type coercion, which ran before this
        // rule. Checked in debug builds (every test) by running it again over the whole plan.
        if cfg!(debug_assertions) {
            let again = TypeCoercion::new().analyze(input.clone(), config)?;
            assert!(
                again == input,
                "the rewrite left an expression uncoerced:\n{}",
                again.display_indent()
            );
        }
        Ok(ControlNode::new(schema, spec).over(input))
    }

    fn name(&self) -> &str {
        "renkei_disclosure_control"
    }
}

/// User queries may not name a column or alias like the hidden ones.
fn reject_hidden_names(plan: &LogicalPlan) -> Result<()> {
    let mut found = false;
    plan.apply_with_subqueries(|p| {
        found |= p.schema().fields().iter().any(|f| f.name().starts_with(HIDDEN_PREFIX));
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    })?;
    if found {
        return Err(refuse(format!("names starting with {HIDDEN_PREFIX} are reserved")));
    }
    Ok(())
}
