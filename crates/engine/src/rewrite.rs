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

use crate::contributions;
use crate::contributions::contributions_udaf;
use crate::control::{AggregateRule, AtomCheck, ColumnRule, ControlNode, ControlSpec, Difference, Grouping};
use crate::key_copies::without_key_copies;
use crate::key_number::key_number;
use crate::refuse;
use crate::span::{self, holds};
use crate::value_errors::without_value_errors;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, DFSchemaRef, Result, ScalarValue, TableReference};
use datafusion::config::ConfigOptions;
use datafusion::functions::core::expr_fn::{coalesce, get_field};
use datafusion::logical_expr::ExprSchemable;
use datafusion::logical_expr::expr::{AggregateFunction, Alias};
use datafusion::logical_expr::{
    Aggregate, BinaryExpr, Case, Distinct, Expr, Filter, GroupingSet, Join, JoinType, LogicalPlan, LogicalPlanBuilder,
    Operator, Projection, Sort, SubqueryAlias, Union, cast, lit,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::optimizer::analyzer::type_coercion::{TypeCoercion, TypeCoercionRewriter};
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
        let (input, spec) = rewriter.checked(plan, &self.policy)?;
        let input = without_key_copies(input)?;
        // Every expression the rewrite adds is coerced where it is made (see `coerced`); the
        // plan must need nothing more from DataFusion's type coercion, which ran before this
        // rule. Checked in debug builds (every test) by running it again over the whole plan.
        // A UNION's schema is coerced from its branches', which the hidden columns changed:
        // such plans get the whole pass.
        let mut has_union = false;
        input.apply_with_subqueries(|p| {
            has_union |= matches!(p, LogicalPlan::Union(_));
            Ok(TreeNodeRecursion::Continue)
        })?;
        let input = if has_union {
            TypeCoercion::new().analyze(input, config)?
        } else {
            input
        };
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

/// A base column of a warehouse table.
struct Base {
    table: String,
    column: String,
    class: ColumnClass,
}

/// A plan with its hidden columns appended after its `visible` ones.
struct Carried {
    plan: LogicalPlan,
    visible: usize,
    /// Per visible column: the base columns its value derives from.
    origins: Vec<BTreeSet<usize>>,
    /// Per visible column: the person lineage it is a bare copy of.
    pid_of: Vec<Option<usize>>,
    /// Person lineages carried as hidden columns.
    persons: Vec<usize>,
    /// Unit lineages carried as hidden columns: (lineage, base column).
    units: Vec<(usize, usize)>,
    /// A person lineage no two rows share a (non-NULL) value of: rows of per-person derived
    /// tables, joined one-to-one on the person key. Its persons are then counted by counting
    /// rows, with no set of distinct values per cell.
    one_row_per_person: Option<usize>,
}

fn person_column(lineage: usize) -> String {
    format!("{HIDDEN_PREFIX}p{lineage}")
}

fn unit_column(lineage: usize) -> String {
    format!("{HIDDEN_PREFIX}u{lineage}")
}

/// Whether a column is a hidden copy of a person or unit key ([`person_column`],
/// [`unit_column`]).
pub(crate) fn is_key_copy(name: &str) -> bool {
    name.strip_prefix(HIDDEN_PREFIX)
        .is_some_and(|rest| rest.starts_with('p') || rest.starts_with('u'))
}

fn hidden_col(name: &str) -> Expr {
    Expr::Column(Column::from_name(name))
}

impl Carried {
    fn hidden_names(&self) -> Vec<String> {
        let p = self.persons.iter().map(|l| person_column(*l));
        p.chain(self.units.iter().map(|(l, _)| unit_column(*l))).collect()
    }

    fn hidden_exprs(&self) -> Vec<Expr> {
        self.hidden_names().iter().map(|n| hidden_col(n)).collect()
    }

    /// Index among the visible columns of a column reference.
    fn visible_index(&self, c: &Column) -> Result<usize> {
        let i = self.plan.schema().index_of_column(c)?;
        if i >= self.visible {
            return Err(refuse(format!("column {} is reserved", c.name)));
        }
        Ok(i)
    }

    fn expr_origins(&self, e: &Expr) -> Result<BTreeSet<usize>> {
        let mut out = BTreeSet::new();
        for c in e.column_refs() {
            out.extend(self.origins[self.visible_index(c)?].iter().copied());
        }
        Ok(out)
    }

    /// The person lineage of a bare column (possibly aliased or cast-free).
    fn bare_pid(&self, e: &Expr) -> Option<usize> {
        match e {
            Expr::Column(c) => self.visible_index(c).ok().and_then(|i| self.pid_of[i]),
            Expr::Alias(Alias { expr, .. }) => self.bare_pid(expr),
            _ => None,
        }
    }
}

struct Rewriter<'a> {
    classes: &'a Classes,
    bases: Vec<Base>,
    /// Union–find parent per person lineage (classes of provably equal persons).
    lineages: Vec<usize>,
    /// Unit base columns the query groups, filters or joins by.
    referenced_units: BTreeSet<usize>,
    /// Outer person-key columns an EXISTS subquery being checked may be correlated on, and
    /// the subquery's person lineages its `person key = outer person key` conjuncts so far
    /// make equal to them.
    outer_persons: Vec<Column>,
    outer_equalities: Vec<usize>,
    /// A mark in the origins of values computed below the final aggregate in a way that
    /// weighs rows apart ([`weighs_rows_apart`]): a SUM of one would carry a small group's
    /// weight inside a big cell where no condition is left to count its persons.
    weighed: Option<usize>,
}

/// Aggregate functions allowed in the final aggregate: their values are sums over many
/// persons. Order statistics and collectors (MIN, MAX, MEDIAN, FIRST_VALUE, ARRAY_AGG,
/// STRING_AGG …) output one person's value and are refused there.
/// Spread statistics (STDDEV, VAR) are not sums: with the mean and the count a variance
/// gives the sum of squares back, a polynomial of the value.
const RELEASABLE_AGGREGATES: &[&str] = &["count", "sum", "avg", "mean"];

/// Aggregate functions allowed inside per-person derived tables.
const PER_PERSON_AGGREGATES: &[&str] = &[
    "count", "sum", "avg", "mean", "min", "max", "bool_and", "bool_or", "stddev", "var",
];

impl Rewriter<'_> {
    fn class(&self, base: usize) -> ColumnClass {
        self.bases[base].class
    }

    fn has_class(&self, origins: &BTreeSet<usize>, class: ColumnClass) -> bool {
        origins.iter().any(|b| self.class(*b) == class)
    }

    fn find(&mut self, mut l: usize) -> usize {
        while self.lineages[l] != l {
            l = self.lineages[l];
        }
        l
    }

    fn merge(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.lineages[ra.max(rb)] = ra.min(rb);
        }
    }

    fn new_lineage(&mut self) -> usize {
        self.lineages.push(self.lineages.len());
        self.lineages.len() - 1
    }

    /// A new base column: one per column of each scan, so that two scans of one table (a
    /// self-join) keep their columns apart — grouping by one side's facility makes that
    /// side's facilities count, not the other's.
    fn base(&mut self, table: &str, column: &str, class: ColumnClass) -> usize {
        self.bases.push(Base {
            table: table.to_string(),
            column: column.to_string(),
            class,
        });
        self.bases.len() - 1
    }

    /// The mark of values that weigh rows apart (created once; not a column of any table).
    fn weighed_mark(&mut self) -> usize {
        match self.weighed {
            Some(mark) => mark,
            None => {
                let mark = self.base("", "a value computed with a condition", ColumnClass::Attribute);
                self.weighed = Some(mark);
                mark
            }
        }
    }

    /// Rewrites the whole query: the final aggregate and what follows it, wrapped for the
    /// control node.
    fn checked(&mut self, plan: LogicalPlan, policy: &Policy) -> Result<(LogicalPlan, ControlSpec)> {
        let (plan, mut parts) = self.top(plan)?;
        // A HAVING is evaluated on the exact values: where counts are released rounded,
        // `HAVING count(*) = 17` would tell the exact count that shows as 15.
        if parts.spec.having.is_some() && policy.rounding_base.is_some() {
            return Err(refuse(
                "HAVING is refused under a policy that rounds counts: it would test the exact values \
                 rounding hides (select groups by their keys in WHERE)"
                    .into(),
            ));
        }
        if policy.rounding_base.is_some() {
            rounding_releases_no_exact_count(&parts)?;
        }
        parts.spec.columns = parts
            .deps
            .iter()
            .map(|d| match d {
                Dep::Key => ColumnRule::Label,
                Dep::Value { aggregates, bare } => ColumnRule::Value {
                    aggregates: aggregates.clone(),
                    bare: *bare,
                },
            })
            .collect();
        parts.spec.policy = policy.clone();
        Ok((plan, parts.spec))
    }

    /// The plan above the final aggregate: projections and ORDER BY.
    fn top(&mut self, plan: LogicalPlan) -> Result<(LogicalPlan, TopParts)> {
        match plan {
            LogicalPlan::Projection(p) => {
                let (input, parts) = self.top(Arc::unwrap_or_clone(p.input))?;
                let deps = p
                    .expr
                    .iter()
                    .map(|e| {
                        check_projection_expr(e)?;
                        dep_of(e, input.schema(), &parts.deps)
                    })
                    .collect::<Result<Vec<_>>>()?;
                let mut exprs = p.expr.clone();
                exprs.extend(hidden_tail(&input, parts.deps.len()).iter().map(|n| hidden_col(n)));
                let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?);
                Ok((plan, TopParts { deps, ..parts }))
            }
            LogicalPlan::Sort(s) => {
                if s.fetch.is_some() {
                    return Err(refuse("LIMIT/OFFSET can single out rows".into()));
                }
                let (input, parts) = self.top(Arc::unwrap_or_clone(s.input))?;
                // Rows in the order of their values would place each hidden value between
                // its released neighbours.
                for sort in &s.expr {
                    if let Dep::Value { .. } = dep_of(&sort.expr, input.schema(), &parts.deps)? {
                        return Err(refuse(
                            "ORDER BY an aggregate value would place hidden cells between released ones: order by the group keys"
                                .into(),
                        ));
                    }
                }
                Ok((
                    LogicalPlan::Sort(Sort {
                        expr: s.expr,
                        input: Arc::new(input),
                        fetch: None,
                    }),
                    parts,
                ))
            }
            LogicalPlan::Filter(f) => {
                let (input, mut parts) = self.top(Arc::unwrap_or_clone(f.input))?;
                if parts.spec.having.is_some() {
                    return Err(refuse("more than one HAVING filter".into()));
                }
                check_no_subqueries(&f.predicate, "HAVING")?;
                // The verdict travels as a hidden column: rows it drops are withheld by the
                // control node, so a HAVING cannot reveal a small cell by its presence.
                let mut exprs: Vec<Expr> = input.schema().columns().into_iter().map(Expr::Column).collect();
                exprs.push(f.predicate.clone().alias(HAVING_COLUMN));
                let input_schema = &Arc::clone(input.schema());
                let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?);
                parts.spec.having = Some(HAVING_COLUMN.to_string());
                if let Dep::Value { aggregates, .. } = dep_of(&f.predicate, input_schema, &parts.deps)? {
                    parts.spec.having_aggregates = aggregates;
                }
                Ok((plan, parts))
            }
            LogicalPlan::Aggregate(a) => self.final_aggregate(a),
            LogicalPlan::Union(_) => Err(refuse(
                "UNION of outputs is not supported: use GROUPING SETS, ROLLUP or CUBE for totals, \
                 so that secondary suppression sees their relations"
                    .into(),
            )),
            LogicalPlan::Window(_) => Err(refuse("window functions are refused".into())),
            LogicalPlan::Limit(_) => Err(refuse("LIMIT/OFFSET can single out rows".into())),
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => Err(refuse("EXPLAIN is refused".into())),
            LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => Err(refuse(
                "the query reads no warehouse table; there is nothing to check".into(),
            )),
            other if is_non_query(&other) => Err(refuse("only queries are allowed".into())),
            _ => Err(refuse(
                "row-level output is refused: the query must end in an aggregation (GROUP BY or an aggregate function)"
                    .into(),
            )),
        }
    }

    fn final_aggregate(&mut self, a: Aggregate) -> Result<(LogicalPlan, TopParts)> {
        let c = self.carry(Arc::unwrap_or_clone(a.input))?;
        if c.persons.is_empty() {
            return Err(refuse(
                "the aggregated rows carry no person key, so their persons cannot be counted".into(),
            ));
        }
        // Group keys: never a person or record key, and unit keys make the unit rule apply.
        let grouping_sets = matches!(a.group_expr.as_slice(), [Expr::GroupingSet(_)]);
        let keys: Vec<Expr> = match a.group_expr.as_slice() {
            [Expr::GroupingSet(gs)] => gs.distinct_expr().into_iter().cloned().collect(),
            exprs => exprs.to_vec(),
        };
        if let [Expr::GroupingSet(GroupingSet::GroupingSets(sets))] = a.group_expr.as_slice()
            && !sets.iter().any(|s| s.len() == keys.len())
        {
            return Err(refuse(
                "GROUPING SETS without the full grouping are not supported: add the set of all keys".into(),
            ));
        }
        for k in &keys {
            check_no_subqueries(k, "GROUP BY")?;
            let o = c.expr_origins(k)?;
            if self.identifying(&o) {
                return Err(refuse(format!(
                    "grouping by a person or record key ({}) would output one row per person",
                    k.schema_name()
                )));
            }
            self.note_units(&o);
        }
        // Aggregates: only those whose value is about many persons.
        for e in &a.aggr_expr {
            let f = aggregate_function(e)?;
            let name = f.func.name().to_lowercase();
            if !RELEASABLE_AGGREGATES.contains(&name.as_str()) {
                return Err(refuse(format!(
                    "{} outputs single values, not totals, and is refused in the output",
                    name.to_uppercase()
                )));
            }
            // COUNT(DISTINCT …) counts persons, records or units; of any other value it
            // counts the values the group holds (`count(DISTINCT age / 99)` tells whether
            // anyone is 99 or older), which no person count bounds.
            if name == "count" && f.params.distinct {
                for arg in &f.params.args {
                    let keyed = matches!(arg.clone().unalias_nested().data, Expr::Column(_))
                        && c.expr_origins(arg)?.iter().all(|b| {
                            matches!(
                                self.class(*b),
                                ColumnClass::PersonKey | ColumnClass::RecordKey | ColumnClass::UnitKey
                            )
                        });
                    if !keyed {
                        return Err(refuse(format!(
                            "COUNT(DISTINCT {}) is refused: COUNT(DISTINCT …) takes a person, record or unit key \
                             (the distinct values of anything else tell which values occur)",
                            arg.schema_name()
                        )));
                    }
                }
            }
            for arg in &f.params.args {
                check_no_subqueries(arg, "an aggregate")?;
                let o = c.expr_origins(arg)?;
                if self.identifying(&o) && name != "count" {
                    return Err(refuse(format!(
                        "{} of a person or record key is refused",
                        name.to_uppercase()
                    )));
                }
                // A facility inside a value selects rows as a FILTER on it would
                // (`count(CASE WHEN facility_id = … THEN 1 END)`): the unit rule applies,
                // over the rows the value takes.
                self.note_units(&o);
                // A condition on one that weighs rows apart instead (`sum(CASE WHEN
                // facility_id = … THEN 1000 ELSE 1 END)`) would carry one facility's count
                // inside the cell's, where the facilities behind each part are not counted.
                for condition in conditions_in(std::slice::from_ref(arg), c.plan.schema())? {
                    if self.has_class(&c.expr_origins(&condition)?, ColumnClass::UnitKey) {
                        return Err(refuse(format!(
                            "a condition on a facility, provider or municipality inside {} is refused: \
                             select by it in a FILTER, WHERE or GROUP BY, where the unit rule applies",
                            name.to_uppercase()
                        )));
                    }
                }
                // A value weighed below this aggregate (a CASE in a CTE, a FILTER in a
                // per-person subquery, a UNION branch) has no condition left here whose
                // sides could be counted.
                if name != "count" && self.weighed.is_some_and(|m| o.contains(&m)) {
                    return Err(refuse(format!(
                        "{} of a value computed with a condition, a filtered aggregate, a VALUES list or a UNION \
                         below it is refused: the persons on each side cannot be counted there; write the \
                         condition inside {}",
                        name.to_uppercase(),
                        name.to_uppercase()
                    )));
                }
                if name != "count"
                    && let Some(step) = step_function(arg, c.plan.schema())
                {
                    return Err(refuse(format!(
                        "{step} inside {} weighs rows apart at thresholds whose persons are not counted: apply it \
                         to the result, or write the threshold as CASE WHEN",
                        name.to_uppercase()
                    )));
                }
                if matches!(name.as_str(), "sum" | "avg" | "mean") {
                    crate::linear::check_summed(&name.to_uppercase(), arg, c.plan.schema())?;
                }
                // A sum of points or units is released only after the dominance rules have
                // seen each person's contribution to it: SUM and AVG get that check.
                if name != "count" && self.has_class(&o, ColumnClass::SensitiveMeasure) && f.params.distinct {
                    return Err(refuse(format!(
                        "{}(DISTINCT …) of a sensitive measure is refused: its persons' contributions are not defined",
                        name.to_uppercase()
                    )));
                }
            }
            if let Some(filter) = &f.params.filter {
                check_no_subqueries(filter, "an aggregate FILTER")?;
                let o = c.expr_origins(filter)?;
                self.note_units(&o);
            }
        }
        let units_needed: Vec<usize> = self.referenced_units.iter().copied().collect();
        for u in &units_needed {
            if !c.units.iter().any(|(_, b)| b == u) {
                let b = &self.bases[*u];
                return Err(refuse(format!(
                    "the query selects by {}.{} inside a per-person subquery; the facilities behind each cell \
                     cannot be counted there — select by it in the outer query",
                    b.table, b.column
                )));
            }
        }
        // Person lineages, grouped by class: within a class the persons are equal (or NULL on
        // an outer side), so the class counts as its largest member. There must be one class
        // (below); the rules downstream still take the smallest over classes.
        let mut classes: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for l in &c.persons {
            let root = self.find(*l);
            classes.entry(root).or_default().push(*l);
        }
        // Rows of different persons joined on anything but the person key (a CROSS JOIN, a
        // join on a condition) pair every person's rows with other persons' by value: a
        // column counting one side then differs from one counting the other by the persons the
        // condition leaves out, whoever they are (`count(DISTINCT t.person_id)` and
        // `count(DISTINCT c.person_id)` over `c JOIN t ON NOT (c.age >= 98)`), and no cell's
        // count sees it. Every row of a cell must be one person's.
        if classes.len() > 1 {
            return Err(refuse(
                "a join of rows of different persons is refused: join person tables on the person key \
                 (a.person_id = b.person_id), so that every row is one person's"
                    .into(),
            ));
        }
        let mut hidden = HiddenAggregates::default();
        let one_row_per_person = c.one_row_per_person;
        // The persons of a class among the rows `filter` keeps.
        let rows = Arc::clone(c.plan.schema());
        let count_persons = |members: &[usize], filter: Option<Expr>| {
            let person = class_person(members, &rows);
            if one_row_per_person.is_some_and(|l| members.contains(&l)) {
                rows_where(person, filter)
            } else {
                distinct_keys_where(person, filter)
            }
        };
        // The query's own `count(DISTINCT person key)` is the persons count of its rows when
        // that key is its class's person on every row: when the class has no other member, or
        // when the key is never NULL (members are equal where not NULL, so the class's first
        // non-NULL member is this key). It is then used as is rather than counted again.
        for (j, e) in a.aggr_expr.iter().enumerate() {
            let f = aggregate_function(e)?;
            if let (true, true, [arg]) = (
                f.func.name().eq_ignore_ascii_case("count"),
                f.params.distinct,
                f.params.args.as_slice(),
            ) && let Some(l) = c.bare_pid(arg)
                && let Some(members) = classes.get(&self.find(l))
                && (members.len() == 1 || !arg.nullable(c.plan.schema())?)
            {
                let filter = f.params.filter.as_deref().cloned();
                // NULL persons are never counted, so "the key is not NULL" filters nothing.
                hidden.reuse(count_persons(members, contributes(f, c.plan.schema())), j);
                hidden.reuse(count_persons(members, filter), j);
            }
        }
        let mut rules = Vec::new();
        for e in &a.aggr_expr {
            let f = aggregate_function(e)?;
            let name = f.func.name().to_lowercase();
            let feeds = contributes(f, c.plan.schema());
            let dominance = if self.measures_sensitive(f, &c)? {
                let summary = hidden.add(contributions_of(f, &classes, c.plan.schema(), feeds.clone())?);
                // Its contributors are the persons of its one class among the same rows.
                if let Some(members) = classes.values().next() {
                    hidden.contributors(count_persons(members, feeds.clone()), &summary);
                }
                Some(summary)
            } else {
                None
            };
            // Within a class the persons are equal, or NULL on an outer join's missing side:
            // the first non-NULL of them is the row's person.
            let persons = classes
                .values()
                .map(|members| vec![hidden.add(count_persons(members, feeds.clone()))])
                .collect();
            let mut units = Vec::new();
            for (l, b) in &c.units {
                if units_needed.contains(b) {
                    units.push(hidden.add(distinct_keys_where(hidden_col(&unit_column(*l)), feeds.clone())));
                }
            }
            // A condition inside the value (`sum(CASE WHEN age = 101 THEN 1000 ELSE 1 END)`)
            // weighs some rows apart: the persons on each side of it are counted, so a
            // value cannot carry a small group's total inside a big one.
            let mut parts = Vec::new();
            let first_class = classes.values().next();
            for condition in conditions_in(&f.params.args, c.plan.schema())? {
                let Some(members) = first_class else { break };
                let holds = coalesce(vec![condition, lit(false)]);
                for rows in [holds.clone(), !holds] {
                    let filter = feeds.clone().map_or(rows.clone(), |f| f.and(rows));
                    parts.push(hidden.add(count_persons(members, Some(filter))));
                }
            }
            let counts_rows =
                matches!(f.params.args.as_slice(), [arg] if crate::linear::counts_rows(arg, c.plan.schema()));
            rules.push(AggregateRule {
                persons,
                units,
                dominance,
                parts,
                is_count: name == "count" || (name == "sum" && counts_rows),
                is_sum: name == "sum",
                distinct: f.params.distinct,
                is_mean: matches!(name.as_str(), "avg" | "mean"),
            });
        }
        // Two aggregates of one row over different rows (count(*) and count(*) FILTER (WHERE
        // age < 100)) give away, by their difference, the rows of one and not the other; over
        // the same rows with different values (sum(least(age, 98)) and sum(least(age, 97)),
        // sum(times) and count(*)), the rows where the values differ. The persons there are
        // counted too.
        let mut differences = Vec::new();
        let mut atoms = Vec::new();
        if let Some(members) = classes.values().next() {
            let schema = c.plan.schema();
            let mut terms: Vec<(usize, Term)> = Vec::new();
            for (j, e) in a.aggr_expr.iter().enumerate() {
                terms.push((j, Term::of(aggregate_function(e)?, schema)));
            }
            // A mean beside a SUM of its value over its rows: their ratio is the count of its
            // rows (`sum(n) / avg(n)`), a count like any other.
            for j in 0..a.aggr_expr.len() {
                let f = aggregate_function(&a.aggr_expr[j])?;
                let mean = &terms[j].1;
                let beside_its_sum = terms.iter().any(|(k, t)| {
                    t.total
                        && t.value.is_some()
                        && t.value == mean.value
                        && t.feeds == mean.feeds
                        && aggregate_function(&a.aggr_expr[*k]).is_ok_and(|g| g.func.name() == "sum")
                });
                if !mean.total && mean.value.is_some() && beside_its_sum {
                    terms.push((
                        j,
                        Term {
                            total: true,
                            feeds: counted_rows(f, schema),
                            value: Some(lit(1i64)),
                        },
                    ));
                }
            }
            // Two aggregates of one row over different rows (count(*) and count(*) FILTER
            // (WHERE age < 100)) give away, by their difference, the rows of one and not the
            // other; over the same rows with different values (sum(least(age, 98)) and
            // sum(least(age, 97)), sum(times) and count(*)), the rows where the values differ.
            // The persons there are counted too.
            for (x, (first, t)) in terms.iter().enumerate() {
                for (second, u) in terms[x + 1..].iter().filter(|(k, _)| k != first).map(|(k, u)| (*k, u)) {
                    // Only totals (COUNT, SUM) difference into a group's total over other rows;
                    // a mean does not.
                    let rows_differ =
                        (t.total && u.total && t.feeds != u.feeds).then(|| holds(&t.feeds).not_eq(holds(&u.feeds)));
                    // Means of different values over the same rows do: times their count.
                    let values_differ = match (&t.value, &u.value) {
                        (Some(v), Some(w)) if v != w => Some(holds(&t.feeds).and(holds(&u.feeds)).and(
                            Expr::BinaryExpr(BinaryExpr::new(
                                Box::new(v.clone()),
                                Operator::IsDistinctFrom,
                                Box::new(w.clone()),
                            )),
                        )),
                        _ => None,
                    };
                    let differ = match (rows_differ, values_differ) {
                        (None, None) => continue,
                        (Some(d), None) | (None, Some(d)) => d,
                        (Some(d), Some(e)) => d.or(e),
                    };
                    let persons = hidden.add(count_persons(members, Some(differ)));
                    differences.push(Difference {
                        first: *first,
                        second,
                        persons,
                    });
                }
            }
            // The span check (`span.rs`): three or more cells of one kind in the row get the
            // persons behind each atom of their rows, so that no combination of them isolates
            // a few persons.
            let person = key_number(class_person(members, schema));
            // Where each person has one row, a count of persons is a count of rows: one kind,
            // so that `count(*) - persons with … - count(*) FILTER …` is one span.
            let rows_are_persons = one_row_per_person.is_some_and(|l| members.contains(&l));
            let mut cells: Vec<(usize, span::Cell)> = Vec::new();
            let mut records: Vec<Expr> = Vec::new();
            for (j, term) in &terms {
                let f = aggregate_function(&a.aggr_expr[*j])?;
                let distinct_of = match (
                    f.func.name().eq_ignore_ascii_case("count"),
                    f.params.distinct,
                    f.params.args.as_slice(),
                ) {
                    (true, true, [arg]) => Some(arg),
                    _ => None,
                };
                let counts_persons =
                    distinct_of.is_some_and(|arg| c.bare_pid(arg).is_some_and(|l| members.contains(&l)));
                let record = match distinct_of {
                    Some(arg) if self.has_class(&c.expr_origins(arg)?, ColumnClass::RecordKey) => {
                        Some(arg.clone().unalias_nested().data)
                    }
                    _ => None,
                };
                let (kind, value) = match (term.total, &term.value, record) {
                    (true, Some(_), _) => (span::Kind::Rows, term.value.clone()),
                    _ if counts_persons && rows_are_persons => (span::Kind::Rows, Some(lit(1i64))),
                    _ if counts_persons => (span::Kind::Persons, None),
                    (_, _, Some(record)) => {
                        records.push(record.clone());
                        (span::Kind::Records, Some(record))
                    }
                    _ => continue,
                };
                cells.push((
                    *j,
                    span::Cell {
                        kind,
                        value,
                        person: person.clone(),
                        feeds: term.feeds.clone(),
                    },
                ));
            }
            // Distinct counts of records have no atoms of their own: three of one key would
            // difference into a few persons' records unchecked.
            if records.iter().any(|r| records.iter().filter(|x| *x == r).count() > 2) {
                return Err(refuse(
                    "more than two COUNT(DISTINCT …) of one record key in one row are refused: their \
                     differences are not checked"
                        .into(),
                ));
            }
            for (e, aggregates) in span::atom_aggregates(&cells)? {
                atoms.push(AtomCheck {
                    column: hidden.add(e),
                    aggregates,
                });
            }
            // Rows where each person has one need none: their rows are their persons, and
            // each record has at most one row.
            if !rows_are_persons {
                for (e, first, second) in span::repeat_aggregates(&cells)? {
                    differences.push(Difference {
                        first,
                        second,
                        persons: hidden.add(e),
                    });
                }
            }
        }
        // The persons of each group, over all its rows: its size as a group, apart from
        // what any aggregate counts (usually the same count as one of them, added once).
        let group_persons = classes
            .values()
            .map(|members| vec![hidden.add(count_persons(members, None))])
            .collect();
        let mut aggr = a.aggr_expr.clone();
        for e in hidden.exprs {
            aggr.push(coerced(e, c.plan.schema())?);
        }
        let agg = LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(c.plan), a.group_expr.clone(), aggr)?);
        // Output as DataFusion's own aggregate would give it (keys, then the user's
        // aggregates), then hidden: the raw keys and grouping id (for secondary suppression)
        // and the counts.
        let schema = Arc::clone(agg.schema());
        let col_at = |i: usize| column_at(&schema, i);
        let first_aggr = keys.len() + usize::from(grouping_sets);
        let mut exprs: Vec<Expr> = (0..keys.len()).map(col_at).collect();
        exprs.extend((first_aggr..first_aggr + a.aggr_expr.len()).map(col_at));
        let mut deps = vec![Dep::Key; keys.len()];
        deps.extend((0..a.aggr_expr.len()).map(|j| Dep::Value {
            aggregates: vec![j],
            bare: true,
        }));
        let grouping = if grouping_sets {
            let names: Vec<String> = (0..keys.len()).map(|i| format!("{HIDDEN_PREFIX}k{i}")).collect();
            exprs.extend(names.iter().enumerate().map(|(i, n)| col_at(i).alias(n)));
            exprs.push(col_at(keys.len()).alias(GROUPING_ID_COLUMN));
            Some(Grouping {
                id: GROUPING_ID_COLUMN.to_string(),
                keys: names,
            })
        } else {
            None
        };
        exprs.extend((first_aggr + a.aggr_expr.len()..schema.fields().len()).map(col_at));
        exprs.extend(hidden.projected.iter().map(|(name, from)| match from {
            Projected::Aggregate(j) => col_at(first_aggr + j).alias(name),
            Projected::Contributors(summary) => get_field(hidden_col(summary), contributions::CONTRIBUTORS).alias(name),
        }));
        let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(agg))?);
        let spec = ControlSpec {
            columns: vec![],
            aggregates: rules,
            having: None,
            having_aggregates: vec![],
            group_persons,
            atoms,
            grouping,
            entity_rule: !units_needed.is_empty(),
            differences,
            policy: Policy::default(),
        };
        Ok((plan, TopParts { spec, deps }))
    }

    /// Whether a (SUM or AVG) aggregate adds up a sensitive measure, so dominance applies.
    fn measures_sensitive(&self, f: &AggregateFunction, c: &Carried) -> Result<bool> {
        if f.func.name().eq_ignore_ascii_case("count") {
            return Ok(false);
        }
        for arg in &f.params.args {
            if self.has_class(&c.expr_origins(arg)?, ColumnClass::SensitiveMeasure) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn identifying(&self, origins: &BTreeSet<usize>) -> bool {
        self.has_class(origins, ColumnClass::PersonKey) || self.has_class(origins, ColumnClass::RecordKey)
    }

    fn note_units(&mut self, origins: &BTreeSet<usize>) {
        for b in origins {
            if self.class(*b) == ColumnClass::UnitKey {
                self.referenced_units.insert(*b);
            }
        }
    }

    /// Checks a predicate (WHERE, JOIN ON) and learns from it: which units are selected by,
    /// and which person keys are declared equal.
    fn predicate(&mut self, pred: &Expr, c: &Carried) -> Result<()> {
        let o = c.expr_origins(pred)?;
        self.note_units(&o);
        for conjunct in split_conjunction(pred) {
            if let Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) = conjunct
                && let (Some(l), Some(r)) = (c.bare_pid(left), c.bare_pid(right))
            {
                self.merge(l, r);
                continue;
            }
            if let Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) = conjunct
                && let Some(inner) = match (c.bare_pid(left), c.bare_pid(right)) {
                    (Some(l), _) if self.is_outer_person(right) => Some(l),
                    (_, Some(r)) if self.is_outer_person(left) => Some(r),
                    _ => None,
                }
            {
                self.outer_equalities.push(inner);
                continue;
            }
            self.key_use(conjunct, c)?;
        }
        Ok(())
    }

    fn is_outer_person(&self, e: &Expr) -> bool {
        matches!(e, Expr::OuterReferenceColumn(_, col) if self.outer_persons.contains(col))
    }

    /// A person or record key may appear in a predicate only bare, equal to another key of
    /// its kind, or tested against a subquery's person keys: never against a value.
    fn key_use(&mut self, e: &Expr, c: &Carried) -> Result<()> {
        let mut outcome = Ok(());
        e.apply(|node| {
            match node {
                Expr::ScalarSubquery(_) => {
                    outcome = Err(refuse(
                        "scalar subqueries are refused: their value is not counted".into(),
                    ));
                    return Ok(TreeNodeRecursion::Stop);
                }
                Expr::SetComparison(_) => {
                    outcome = Err(refuse("ANY/ALL subqueries are refused".into()));
                    return Ok(TreeNodeRecursion::Stop);
                }
                Expr::InSubquery(s) => {
                    outcome = self.in_subquery(&s.expr, &s.subquery.subquery, c);
                    return Ok(if outcome.is_err() {
                        TreeNodeRecursion::Stop
                    } else {
                        TreeNodeRecursion::Jump
                    });
                }
                Expr::Exists(x) => {
                    outcome = self.exists(&x.subquery, c);
                    return Ok(if outcome.is_err() {
                        TreeNodeRecursion::Stop
                    } else {
                        TreeNodeRecursion::Jump
                    });
                }
                _ => {}
            }
            if let Expr::BinaryExpr(BinaryExpr { left, op, right }) = node
                && is_comparison(*op)
            {
                for (side, other) in [(left, right), (right, left)] {
                    let so = c.expr_origins(side).unwrap_or_default();
                    let oo = c.expr_origins(other).unwrap_or_default();
                    let (side_key, other_key) = (self.identifying(&so), self.identifying(&oo));
                    if side_key && !other_key {
                        outcome = Err(refuse(
                            "comparing a person or record key with a value singles out persons".into(),
                        ));
                        return Ok(TreeNodeRecursion::Stop);
                    }
                }
            }
            if let Expr::OuterReferenceColumn(_, col) = node
                && self.outer_persons.contains(col)
            {
                outcome = Err(refuse(
                    "inside EXISTS the outer person key may only be equal to the subquery's person key".into(),
                ));
                return Ok(TreeNodeRecursion::Stop);
            }
            if let Expr::InList(l) = node {
                let o = c.expr_origins(&l.expr).unwrap_or_default();
                if self.identifying(&o) {
                    outcome = Err(refuse(
                        "a person or record key in an IN list singles out persons".into(),
                    ));
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
            if let Expr::Like(l) = node {
                let o = c.expr_origins(&l.expr).unwrap_or_default();
                if self.identifying(&o) {
                    outcome = Err(refuse(
                        "matching a person or record key against a pattern is refused".into(),
                    ));
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        outcome
    }

    /// `person_key IN (SELECT person_key …)`: a set of persons, each counted where used.
    fn in_subquery(&mut self, tested: &Expr, sub: &LogicalPlan, c: &Carried) -> Result<()> {
        let sub = self.carry(sub.clone())?;
        let returned = sub.pid_of.first().copied().flatten();
        let (Some(_), Some(returned)) = (c.bare_pid(tested), returned) else {
            return Err(refuse(
                "IN (subquery) is allowed only as person key IN (a subquery returning person keys)".into(),
            ));
        };
        self.only_the_person(&sub, returned, "IN")
    }

    /// `EXISTS (…)` must be correlated on the person key: otherwise its one bit of answer
    /// is about persons nobody counts.
    /// The subquery must hold `its person key = the outer person key`, so that its answer
    /// is about the outer row's own person; comparing the two keys any other way (`<>`)
    /// would ask about other persons, and is refused.
    fn exists(&mut self, sub: &datafusion::logical_expr::Subquery, c: &Carried) -> Result<()> {
        let outer: Vec<Column> = sub
            .outer_ref_columns
            .iter()
            .filter_map(|e| match e {
                Expr::OuterReferenceColumn(_, col)
                    if c.visible_index(col)
                        .is_ok_and(|i| self.has_class(&c.origins[i], ColumnClass::PersonKey)) =>
                {
                    Some(col.clone())
                }
                _ => None,
            })
            .collect();
        let saved = (
            std::mem::replace(&mut self.outer_persons, outer),
            std::mem::take(&mut self.outer_equalities),
        );
        let carried = self.carry(Arc::unwrap_or_clone(Arc::clone(&sub.subquery)));
        let correlated = std::mem::take(&mut self.outer_equalities);
        (self.outer_persons, self.outer_equalities) = saved;
        let carried = carried?;
        let Some(first) = correlated.first() else {
            return Err(refuse(
                "EXISTS must be correlated by equality on the person key (sub.person_id = outer.person_id)".into(),
            ));
        };
        self.only_the_person(&carried, *first, "EXISTS")
    }

    /// A semi-join's subquery answers about one person, the outer row's: every person whose
    /// rows it reads must be that person. Rows of other persons joined in (a CROSS JOIN, a
    /// join on anything but the person key) would make the answer about them, whom no cell
    /// counts: whether anyone is 105 would decide whether every row passes.
    fn only_the_person(&mut self, sub: &Carried, person: usize, construct: &str) -> Result<()> {
        let class = self.find(person);
        for l in &sub.persons {
            if self.find(*l) != class {
                return Err(refuse(format!(
                    "{construct} (subquery) may read only the rows of the person it tests: join the subquery's \
                     tables on the person key"
                )));
            }
        }
        Ok(())
    }

    /// Rewrites a row-level plan to carry its hidden columns.
    fn carry(&mut self, plan: LogicalPlan) -> Result<Carried> {
        match plan {
            LogicalPlan::TableScan(scan) => self.scan(scan),
            LogicalPlan::Projection(p) => {
                let c = self.carry(Arc::unwrap_or_clone(p.input))?;
                let mut origins = Vec::new();
                let mut pid_of = Vec::new();
                for e in &p.expr {
                    check_projection_expr(e)?;
                    let mut o = c.expr_origins(e)?;
                    if weighs_rows_apart(e, c.plan.schema()) {
                        o.insert(self.weighed_mark());
                    }
                    origins.push(o);
                    pid_of.push(c.bare_pid(e));
                }
                let visible = p.expr.len();
                let mut exprs = p.expr.clone();
                exprs.extend(c.hidden_exprs());
                let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(c.plan))?);
                Ok(Carried {
                    plan,
                    visible,
                    origins,
                    pid_of,
                    persons: c.persons,
                    units: c.units,
                    one_row_per_person: c.one_row_per_person,
                })
            }
            LogicalPlan::Filter(f) => {
                let c = self.carry(Arc::unwrap_or_clone(f.input))?;
                self.predicate(&f.predicate, &c)?;
                let plan = LogicalPlan::Filter(Filter::try_new(f.predicate, Arc::new(c.plan))?);
                Ok(Carried { plan, ..c })
            }
            LogicalPlan::Sort(s) => {
                if s.fetch.is_some() {
                    return Err(refuse("LIMIT/OFFSET can single out rows".into()));
                }
                let c = self.carry(Arc::unwrap_or_clone(s.input))?;
                let plan = LogicalPlan::Sort(Sort {
                    expr: s.expr,
                    input: Arc::new(c.plan),
                    fetch: None,
                });
                Ok(Carried { plan, ..c })
            }
            LogicalPlan::SubqueryAlias(a) => {
                let c = self.carry(Arc::unwrap_or_clone(a.input))?;
                let plan = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(c.plan), a.alias)?);
                Ok(Carried { plan, ..c })
            }
            LogicalPlan::Join(j) => self.join(j),
            LogicalPlan::Aggregate(a) => self.per_person_aggregate(a),
            LogicalPlan::Distinct(Distinct::All(input)) => {
                // SELECT DISTINCT … = GROUP BY every column.
                let group: Vec<Expr> = input.schema().columns().into_iter().map(Expr::Column).collect();
                let a = Aggregate::try_new(input, group, vec![])?;
                self.per_person_aggregate(a)
            }
            LogicalPlan::Union(u) => self.union(u),
            LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => {
                let visible = plan.schema().fields().len();
                // A VALUES list joined to rows is a lookup table of weights, as a CASE is.
                let mark = self.weighed_mark();
                Ok(Carried {
                    plan,
                    visible,
                    origins: vec![BTreeSet::from([mark]); visible],
                    pid_of: vec![None; visible],
                    persons: vec![],
                    units: vec![],
                    one_row_per_person: None,
                })
            }
            LogicalPlan::Limit(_) => Err(refuse("LIMIT/OFFSET can single out rows".into())),
            LogicalPlan::Window(_) => Err(refuse("window functions are refused".into())),
            LogicalPlan::Distinct(Distinct::On(_)) => Err(refuse("DISTINCT ON is refused".into())),
            LogicalPlan::RecursiveQuery(_) => Err(refuse("recursive queries are refused".into())),
            LogicalPlan::Unnest(_) => Err(refuse("UNNEST is refused".into())),
            other => Err(refuse(format!("{} is refused", other.display()))),
        }
    }

    fn scan(&mut self, scan: datafusion::logical_expr::TableScan) -> Result<Carried> {
        if scan.fetch.is_some() {
            return Err(refuse("LIMIT/OFFSET can single out rows".into()));
        }
        let table = scan.table_name.table().to_string();
        let Some(classes) = self.classes.0.get(&table).cloned() else {
            return Err(refuse(format!("table {table} is not a warehouse table")));
        };
        let full = LogicalPlanBuilder::scan(scan.table_name.clone(), Arc::clone(&scan.source), None)?.build()?;
        let qualifier: TableReference = scan.table_name.clone();
        let mut exprs = Vec::new();
        let mut origins = Vec::new();
        let mut pid_of = Vec::new();
        let mut persons = Vec::new();
        let mut units = Vec::new();
        let mut hidden = Vec::new();
        let bases: BTreeMap<&String, usize> = classes
            .iter()
            .map(|(column, class)| (column, self.base(&table, column, *class)))
            .collect();
        // An attribute of the unit (a facility's prefecture) derives from the unit: a cell
        // selected by it is selected by the units of the table, which are counted.
        let table_units: BTreeSet<usize> = classes
            .iter()
            .filter(|(_, class)| **class == ColumnClass::UnitKey)
            .map(|(column, _)| bases[column])
            .collect();
        for field in scan.projected_schema.fields() {
            let Some(base) = bases.get(field.name()).copied() else {
                return Err(refuse(format!(
                    "column {table}.{} has no disclosure class",
                    field.name()
                )));
            };
            exprs.push(Expr::Column(Column::new(Some(qualifier.clone()), field.name())));
            let mut from = BTreeSet::from([base]);
            if self.class(base) == ColumnClass::UnitAttribute {
                from.extend(&table_units);
            }
            origins.push(from);
            pid_of.push(None);
        }
        for (column, class) in &classes {
            let source = Expr::Column(Column::new(Some(qualifier.clone()), column));
            match class {
                ColumnClass::PersonKey => {
                    let l = self.new_lineage();
                    persons.push(l);
                    hidden.push(source.alias(person_column(l)));
                    if let Some(i) = scan.projected_schema.fields().iter().position(|f| f.name() == column) {
                        pid_of[i] = Some(l);
                    }
                }
                ColumnClass::UnitKey => {
                    let l = self.new_lineage();
                    units.push((l, bases[column]));
                    hidden.push(source.alias(unit_column(l)));
                }
                _ => {}
            }
        }
        let visible = exprs.len();
        exprs.extend(hidden);
        let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(full))?);
        Ok(Carried {
            plan,
            visible,
            origins,
            pid_of,
            persons,
            units,
            one_row_per_person: None,
        })
    }

    fn join(&mut self, j: Join) -> Result<Carried> {
        let l = self.carry(Arc::unwrap_or_clone(j.left))?;
        let r = self.carry(Arc::unwrap_or_clone(j.right))?;
        // ON pairs and the residual filter are predicates over both sides.
        let both = Carried {
            plan: LogicalPlanBuilder::from(l.plan.clone())
                .cross_join(r.plan.clone())?
                .build()?,
            visible: l.visible + r.visible,
            origins: l.origins.iter().chain(&r.origins).cloned().collect(),
            pid_of: l.pid_of.iter().chain(&r.pid_of).copied().collect(),
            persons: vec![],
            units: vec![],
            one_row_per_person: None,
        };
        // The cross join's schema puts the left's hidden columns between the sides: index
        // visible columns by name instead.
        let both = reindexed(both, &l, &r)?;
        for (le, re) in &j.on {
            let eq = le.clone().eq(re.clone());
            self.predicate(&eq, &both)?;
        }
        if let Some(f) = &j.filter {
            self.predicate(f, &both)?;
        }
        let one_row_per_person = one_to_one(j.join_type, &j.on, j.filter.as_ref(), &both, &l, &r);
        let (keeps_left, keeps_right) = kept_sides(j.join_type);
        let joined = LogicalPlan::Join(Join::try_new(
            Arc::new(l.plan.clone()),
            Arc::new(r.plan.clone()),
            j.on.clone(),
            j.filter.clone(),
            j.join_type,
            j.join_constraint,
            j.null_equality,
            j.null_aware,
        )?);
        // Reorder: visible columns of the kept sides (and a mark column), then hidden ones.
        let schema = Arc::clone(joined.schema());
        let col_at = |i: usize| column_at(&schema, i);
        let left_width = l.plan.schema().fields().len();
        let mut exprs = Vec::new();
        let (mut origins, mut pid_of, mut persons, mut units) = (vec![], vec![], vec![], vec![]);
        let mut hidden = Vec::new();
        let mut offset = 0;
        if keeps_left {
            exprs.extend((0..l.visible).map(col_at));
            origins.extend(l.origins.iter().cloned());
            pid_of.extend(l.pid_of.iter().copied());
            hidden.extend((l.visible..left_width).map(col_at));
            persons.extend(l.persons.iter().copied());
            units.extend(l.units.iter().copied());
            offset = left_width;
        }
        if keeps_right {
            let right_width = r.plan.schema().fields().len();
            exprs.extend((offset..offset + r.visible).map(col_at));
            origins.extend(r.origins.iter().cloned());
            pid_of.extend(r.pid_of.iter().copied());
            hidden.extend((offset + r.visible..offset + right_width).map(col_at));
            persons.extend(r.persons.iter().copied());
            units.extend(r.units.iter().copied());
            offset += right_width;
        }
        // A mark join's extra boolean column.
        for i in offset..schema.fields().len() {
            exprs.push(col_at(i));
            origins.push(BTreeSet::new());
            pid_of.push(None);
        }
        let visible = exprs.len();
        exprs.extend(hidden);
        let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(joined))?);
        Ok(Carried {
            plan,
            visible,
            origins,
            pid_of,
            persons,
            units,
            one_row_per_person,
        })
    }

    /// An aggregate inside the query: a per-person derived table.
    fn per_person_aggregate(&mut self, a: Aggregate) -> Result<Carried> {
        let c = self.carry(Arc::unwrap_or_clone(a.input))?;
        if a.group_expr.iter().any(|e| matches!(e, Expr::GroupingSet(_))) {
            return Err(refuse("grouping sets are allowed only in the final aggregation".into()));
        }
        let Some((key_at, lineage)) = a
            .group_expr
            .iter()
            .enumerate()
            .find_map(|(i, e)| c.bare_pid(e).map(|l| (i, l)))
        else {
            return Err(refuse(
                "an aggregation inside the query must group by the person key (one row per person), \
                 or the persons behind its rows cannot be counted"
                    .into(),
            ));
        };
        let class = self.find(lineage);
        for l in c.persons.clone() {
            if self.find(l) != class {
                return Err(refuse(
                    "an aggregation inside the query mixes rows of persons not joined on the person key".into(),
                ));
            }
        }
        for e in &a.aggr_expr {
            let f = aggregate_function(e)?;
            let name = f.func.name().to_lowercase();
            if !PER_PERSON_AGGREGATES.contains(&name.as_str()) {
                return Err(refuse(format!("{} is refused", name.to_uppercase())));
            }
            for arg in &f.params.args {
                check_no_subqueries(arg, "an aggregate")?;
            }
        }
        let mut origins = Vec::new();
        let mut pid_of = Vec::new();
        for (i, e) in a.group_expr.iter().enumerate() {
            origins.push(c.expr_origins(e)?);
            pid_of.push((i == key_at).then_some(lineage));
        }
        for e in &a.aggr_expr {
            let f = aggregate_function(e)?;
            let counts = f.func.name().eq_ignore_ascii_case("count");
            let mut o = BTreeSet::new();
            let mut weighed = f.params.filter.is_some();
            for arg in &f.params.args {
                let from = c.expr_origins(arg)?;
                weighed |= weighs_rows_apart(arg, c.plan.schema()) || self.weighed.is_some_and(|m| from.contains(&m));
                if !counts {
                    o.extend(from);
                }
            }
            // A per-person value over some of the person's rows (a FILTER, a condition) is
            // weighed by that selection as a CASE would weigh the rows.
            if weighed {
                o.insert(self.weighed_mark());
            }
            origins.push(o);
            pid_of.push(None);
        }
        // The lineage's hidden column equals the grouped key on every row (a bare copy of
        // it), so the key itself carries the lineage up: grouping by the hidden copy as well
        // would hash every person key twice. Unit lineages end here.
        let agg = LogicalPlan::Aggregate(Aggregate::try_new(
            Arc::new(c.plan),
            a.group_expr.clone(),
            a.aggr_expr.clone(),
        )?);
        let schema = Arc::clone(agg.schema());
        let col_at = |i: usize| column_at(&schema, i);
        let mut exprs: Vec<Expr> = (0..schema.fields().len()).map(col_at).collect();
        let visible = exprs.len();
        exprs.push(col_at(key_at).alias(person_column(lineage)));
        let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(agg))?);
        Ok(Carried {
            plan,
            visible,
            origins,
            pid_of,
            persons: vec![lineage],
            units: vec![],
            // Grouped by the person key alone: one row per person.
            one_row_per_person: (a.group_expr.len() == 1).then_some(lineage),
        })
    }

    /// UNION (ALL) of row sets: each branch must carry one class of persons, passed on
    /// under a new lineage shared by all branches.
    fn union(&mut self, u: Union) -> Result<Carried> {
        let lineage = self.new_lineage();
        let mut branches = Vec::new();
        let mut origins: Vec<BTreeSet<usize>> = Vec::new();
        let mut pid_of: Vec<Option<usize>> = Vec::new();
        for input in u.inputs {
            let c = self.carry(Arc::unwrap_or_clone(input))?;
            let Some(first) = c.persons.first().copied() else {
                return Err(refuse("every branch of a UNION must read person-keyed rows".into()));
            };
            let class = self.find(first);
            if c.persons.iter().any(|l| self.find(*l) != class) {
                return Err(refuse(
                    "a UNION branch mixes persons not joined on the person key".into(),
                ));
            }
            let schema = Arc::clone(c.plan.schema());
            let mut exprs: Vec<Expr> = (0..c.visible).map(|i| column_at(&schema, i)).collect();
            exprs.push(hidden_col(&person_column(first)).alias(person_column(lineage)));
            if origins.is_empty() {
                origins = c.origins.clone();
                pid_of = c.pid_of.iter().map(|p| p.map(|_| lineage)).collect();
            } else {
                for (i, o) in c.origins.iter().enumerate() {
                    if let Some(slot) = origins.get_mut(i) {
                        slot.extend(o.iter().copied());
                    }
                    if c.pid_of.get(i).copied().flatten().is_none()
                        && let Some(p) = pid_of.get_mut(i)
                    {
                        *p = None;
                    }
                }
            }
            branches.push(Arc::new(LogicalPlan::Projection(Projection::try_new(
                exprs,
                Arc::new(c.plan),
            )?)));
        }
        for l in 0..self.lineages.len() {
            if pid_of.contains(&Some(l)) {
                self.merge(l, lineage);
            }
        }
        // A value that comes from several branches is weighed by its branch (`1` in one,
        // `1000` in another that selects a few persons), which no condition shows.
        let mark = self.weighed_mark();
        for o in &mut origins {
            o.insert(mark);
        }
        let plan = LogicalPlan::Union(Union::try_new(branches)?);
        let visible = origins.len();
        Ok(Carried {
            plan,
            visible,
            origins,
            pid_of,
            persons: vec![lineage],
            units: vec![],
            one_row_per_person: None,
        })
    }
}

/// The person lineage a join's output has one row per person of, if any: a semi or anti
/// join keeps some of its kept side's rows; an inner or left join of two one-row-per-person
/// sides whose condition equates their person keys (an ON pair, or a conjunct of the ON
/// filter, where the SQL planner leaves it) matches each left row with at most one right row.
fn one_to_one(
    join_type: JoinType,
    on: &[(Expr, Expr)],
    filter: Option<&Expr>,
    both: &Carried,
    l: &Carried,
    r: &Carried,
) -> Option<usize> {
    match join_type {
        JoinType::LeftSemi | JoinType::LeftAnti => l.one_row_per_person,
        JoinType::RightSemi | JoinType::RightAnti => r.one_row_per_person,
        JoinType::Inner | JoinType::Left => {
            let (left, right) = (l.one_row_per_person?, r.one_row_per_person?);
            let pairs = on.iter().map(|(a, b)| (a, b));
            let equalities = filter.into_iter().flat_map(split_conjunction).filter_map(|c| match c {
                Expr::BinaryExpr(BinaryExpr {
                    left: a,
                    op: Operator::Eq,
                    right: b,
                }) => Some((a.as_ref(), b.as_ref())),
                _ => None,
            });
            let keys = |a: &Expr, b: &Expr| (both.bare_pid(a), both.bare_pid(b));
            pairs
                .chain(equalities)
                .any(|(a, b)| [keys(a, b), keys(b, a)].contains(&(Some(left), Some(right))))
                .then_some(left)
        }
        _ => None,
    }
}

/// Whether a join's output has its left side's columns, and its right side's.
pub(crate) fn kept_sides(join_type: JoinType) -> (bool, bool) {
    let left = !matches!(
        join_type,
        JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark
    );
    let right = !matches!(join_type, JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark);
    (left, right)
}

/// The visible-column view of a cross join of `l` and `r`, for checking join predicates.
fn reindexed(both: Carried, l: &Carried, r: &Carried) -> Result<Carried> {
    let schema = Arc::clone(both.plan.schema());
    let left_width = l.plan.schema().fields().len();
    let exprs = (0..l.visible)
        .chain(left_width..left_width + r.visible)
        .map(|i| column_at(&schema, i))
        .collect();
    let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(both.plan))?);
    Ok(Carried { plan, ..both })
}

/// A reference to the `i`-th column of `schema`.
fn column_at(schema: &DFSchema, i: usize) -> Expr {
    Expr::Column(Column::from(schema.qualified_field(i)))
}

/// Names of the hidden columns at the end of `plan`'s schema.
fn hidden_tail(plan: &LogicalPlan, visible: usize) -> Vec<String> {
    plan.schema()
        .fields()
        .iter()
        .skip(visible)
        .map(|f| f.name().clone())
        .collect()
}

/// What a visible column above the final aggregate is: a label (made of group keys) or a
/// value made of the user's aggregates.
#[derive(Clone, Debug)]
enum Dep {
    Key,
    Value { aggregates: Vec<usize>, bare: bool },
}

/// The spec being built, and the dependency of each visible column.
struct TopParts {
    spec: ControlSpec,
    deps: Vec<Dep>,
}

fn dep_of(e: &Expr, input: &DFSchemaRef, deps: &[Dep]) -> Result<Dep> {
    let mut used = Vec::new();
    let mut bare = false;
    for c in e.column_refs() {
        if let Some(Dep::Value { aggregates, bare: b }) = deps.get(input.index_of_column(c)?) {
            used.extend(aggregates.iter().copied());
            // Aliases nest (`count(*) AS n` can arrive as an alias of an alias): a column
            // under any number of them is bare, and a COUNT of it is rounded as one.
            bare = *b && matches!(e.clone().unalias_nested().data, Expr::Column(_));
        }
    }
    used.sort_unstable();
    used.dedup();
    Ok(if used.is_empty() {
        Dep::Key
    } else {
        Dep::Value { aggregates: used, bare }
    })
}

/// Under a policy that rounds counts, every count leaves rounded, and nothing else may carry
/// one exactly. A policy that rounds counts releases counts only:
/// - a value computed from a count (`count(*) + 0`) is refused;
/// - a SUM of ones and zeros (`sum(1)`, `sum(CASE WHEN … THEN 1 ELSE 0 END)`) is a count,
///   rounded as one; any other SUM or AVG is refused, since a total of a value fixed in its
///   group gives the count back (`sum(sex)` over the men is their count, `sum(7)` rounded to
///   5 pins it down, `sum(x) / avg(x)` is it).
fn rounding_releases_no_exact_count(parts: &TopParts) -> Result<()> {
    if parts
        .spec
        .aggregates
        .iter()
        .any(|r| r.is_mean || (r.is_sum && !r.is_count))
    {
        return Err(refuse(
            "under a policy that rounds counts only counts are released: SUM and AVG are refused (a total \
             of a value fixed in its group gives the exact count back); SUM of ones and zeros is a count"
                .into(),
        ));
    }
    for dep in &parts.deps {
        if let Dep::Value {
            aggregates,
            bare: false,
        } = dep
            && aggregates.iter().any(|j| parts.spec.aggregates[*j].is_count)
        {
            return Err(refuse(
                "arithmetic on a COUNT is refused under a policy that rounds counts: its result would carry \
                 the exact count (release the COUNT itself, which is rounded)"
                    .into(),
            ));
        }
    }
    Ok(())
}

fn aggregate_function(e: &Expr) -> Result<&AggregateFunction> {
    match e {
        Expr::AggregateFunction(f) => Ok(f),
        Expr::Alias(Alias { expr, .. }) => aggregate_function(expr),
        _ => Err(refuse(format!("{} is not an aggregate", e.schema_name()))),
    }
}

/// An aggregate as a sum over its rows, for the differences between the aggregates of a row.
struct Term {
    /// COUNT or SUM: a total, which differences with another over other rows.
    total: bool,
    /// The rows it adds up ([`contributes`]).
    feeds: Option<Expr>,
    /// What each row adds: 1 for COUNT, the argument for SUM and AVG; none for DISTINCT
    /// aggregates, whose rows do not each add their value.
    value: Option<Expr>,
}

impl Term {
    fn of(f: &AggregateFunction, schema: &DFSchema) -> Term {
        let name = f.func.name().to_lowercase();
        let value = match (name.as_str(), f.params.distinct, f.params.args.as_slice()) {
            (_, true, _) => None,
            ("count", false, _) => Some(lit(1i64)),
            ("sum" | "avg" | "mean", false, [arg]) => Some(without_widening_cast(arg, schema)),
            _ => None,
        };
        Term {
            total: matches!(name.as_str(), "count" | "sum"),
            feeds: contributes(f, schema),
            value,
        }
    }
}

/// The rows that feed an aggregate's value: those its FILTER keeps where its argument is not
/// NULL, and, beyond COUNT, not zero (a zero adds nothing, so its person is not behind the value).
/// An argument that cannot be NULL gets no NULL test: a `FILTER (WHERE true)` still costs a
/// filter pass per batch.
fn contributes(f: &AggregateFunction, schema: &DFSchema) -> Option<Expr> {
    feeding_rows(f, schema, f.func.name().eq_ignore_ascii_case("count"))
}

/// The rows a mean divides by: those its FILTER keeps where its argument is not NULL, zeros
/// included.
fn counted_rows(f: &AggregateFunction, schema: &DFSchema) -> Option<Expr> {
    feeding_rows(f, schema, true)
}

/// The rows its FILTER keeps where its argument is not NULL, and, unless `zeros_feed`, not zero.
fn feeding_rows(f: &AggregateFunction, schema: &DFSchema, zeros_feed: bool) -> Option<Expr> {
    let mut conds: Vec<Expr> = Vec::new();
    if let Some(filter) = &f.params.filter {
        conds.push((**filter).clone());
    }
    for arg in &f.params.args {
        if matches!(arg, Expr::Literal(..)) {
            continue;
        }
        let arg = &without_widening_cast(arg, schema);
        if arg.nullable(schema).unwrap_or(true) {
            conds.push(arg.clone().is_not_null());
        }
        // A zero adds nothing to a sum, and a mean times its (released) count is a sum.
        if !zeros_feed {
            conds.push(arg.clone().not_eq(lit(0)));
        }
    }
    conds.into_iter().reduce(Expr::and)
}

/// A number without the widening casts type coercion puts around an aggregate's argument
/// (to Float64 for AVG, to Int64 for SUM of a narrower integer): a number is NULL or zero
/// exactly when its widened value is, so SUM(x) and AVG(x) share one persons count and one
/// contributions summary, and are known as aggregates of one value.
fn without_widening_cast(e: &Expr, schema: &DFSchema) -> Expr {
    let (inner, to) = match e {
        Expr::Cast(c) => (&c.expr, c.field.data_type()),
        Expr::TryCast(c) => (&c.expr, c.field.data_type()),
        _ => return e.clone(),
    };
    match inner.get_type(schema) {
        Ok(from) if widens(&from, to) => without_widening_cast(inner, schema),
        _ => e.clone(),
    }
}

/// Whether every value of `from` is a value of `to`, zero and NULL to zero and NULL.
fn widens(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    match to {
        Float64 => from.is_numeric(),
        Int64 => matches!(from, Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32),
        UInt64 => matches!(from, UInt8 | UInt16 | UInt32),
        _ => false,
    }
}

/// The hidden aggregates added to the final aggregation, each computed once however many
/// cells need it (two aggregates over the same rows share their person count).
#[derive(Default)]
struct HiddenAggregates {
    exprs: Vec<Expr>,
    /// Hidden columns projected from the aggregation's output instead of computed again.
    projected: Vec<(String, Projected)>,
    names: HashMap<Expr, String>,
}

/// Where a projected hidden column comes from.
#[derive(PartialEq)]
enum Projected {
    /// The query's own aggregate (by index), which computes the same value.
    Aggregate(usize),
    /// The contributor count of a hidden `renkei_contributions` summary.
    Contributors(String),
}

impl HiddenAggregates {
    /// Records that the query's aggregate `aggregate` computes `e`: asking for `e` gives a
    /// copy of it instead of a second aggregate.
    fn reuse(&mut self, e: Expr, aggregate: usize) {
        self.project(e, Projected::Aggregate(aggregate));
    }

    /// Records that the contributions summary `summary` counts, among its fields, the
    /// persons `e` counts.
    fn contributors(&mut self, e: Expr, summary: &str) {
        self.project(e, Projected::Contributors(summary.to_string()));
    }

    fn project(&mut self, e: Expr, from: Projected) {
        if self.names.contains_key(&e) {
            return;
        }
        let name = match self.projected.iter().find(|(_, f)| *f == from) {
            Some((name, _)) => name.clone(),
            None => {
                let name = format!("{HIDDEN_PREFIX}r{}", self.projected.len());
                self.projected.push((name.clone(), from));
                name
            }
        };
        self.names.insert(e, name);
    }

    /// The hidden column name of `e`, added when new.
    fn add(&mut self, e: Expr) -> String {
        if let Some(name) = self.names.get(&e) {
            return name.clone();
        }
        let name = format!("{HIDDEN_PREFIX}h{}", self.exprs.len());
        self.exprs.push(e.clone().alias(&name));
        self.names.insert(e, name.clone());
        name
    }
}

/// Most conditions an aggregate's value may hold; each costs two distinct counts.
const MAX_CONDITIONS: usize = 8;

/// The outermost boolean expressions inside aggregate arguments (CASE conditions,
/// comparisons cast to numbers), each once.
fn conditions_in(args: &[Expr], schema: &DFSchema) -> Result<Vec<Expr>> {
    let mut out: Vec<Expr> = Vec::new();
    for arg in args {
        // `CASE WHEN c THEN x END` (or ELSE 0) only gates rows: the rows it drops feed
        // nothing, and the feeding rows are counted already. Its THEN branch may still weigh.
        let arg = match arg {
            Expr::Case(Case {
                expr: None,
                when_then_expr,
                else_expr,
            }) if when_then_expr.len() == 1 && else_expr.as_deref().is_none_or(is_null_or_zero) => {
                when_then_expr[0].1.as_ref()
            }
            other => other,
        };
        arg.apply(|n| {
            if !matches!(n, Expr::Literal(..)) && n.get_type(schema).is_ok_and(|t| t == DataType::Boolean) {
                if !out.contains(n) {
                    out.push(n.clone());
                }
                return Ok(TreeNodeRecursion::Jump);
            }
            if let Some(threshold) = threshold_of(n)
                && !out.contains(&threshold)
            {
                out.push(threshold);
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
    }
    if out.len() > MAX_CONDITIONS {
        return Err(refuse(format!(
            "an aggregate holds more than {MAX_CONDITIONS} conditions; split it into several columns or a FILTER"
        )));
    }
    Ok(out)
}

/// Whether a value is other than linear in its columns: a condition (a boolean, a CASE), a
/// function, a division or a modulo. A sum of a linear value is a combination of its columns'
/// sums; any other can weigh a few rows apart from the rest (`CASE WHEN age = 98 THEN 1000
/// ELSE 1 END`, `least(age, 98)`, `age / 98`).
fn weighs_rows_apart(e: &Expr, schema: &DFSchema) -> bool {
    let mut found = false;
    let _ = e.apply(|n| {
        found = match n {
            Expr::Column(_) | Expr::Literal(..) | Expr::Alias(_) | Expr::Negative(_) => false,
            Expr::Cast(_) | Expr::TryCast(_) => n.get_type(schema).is_ok_and(|t| t == DataType::Boolean),
            Expr::BinaryExpr(BinaryExpr { op, .. }) => {
                !matches!(op, Operator::Plus | Operator::Minus | Operator::Multiply) || bend(n, schema).is_some()
            }
            _ => true,
        };
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    found
}

/// The arithmetic that steps or bends: a modulo, a division of integers (`age / 98` steps at
/// every multiple of 98) or by a value. `x / 10.0` is linear.
fn bend(n: &Expr, schema: &DFSchema) -> Option<&'static str> {
    match n {
        Expr::BinaryExpr(BinaryExpr {
            op: Operator::Divide,
            right,
            ..
        }) if !matches!(**right, Expr::Literal(..)) || !n.get_type(schema).is_ok_and(|t| !t.is_integer()) => {
            Some("a division by a value or of integers")
        }
        Expr::BinaryExpr(BinaryExpr {
            op: Operator::Modulo, ..
        }) => Some("a modulo"),
        _ => None,
    }
}

/// The first part of a SUM's or AVG's value that weighs rows apart by thresholds whose
/// persons are not counted: not a condition (counted), nor a function of one threshold
/// ([`threshold_of`]).
fn step_function(e: &Expr, schema: &DFSchema) -> Option<String> {
    let mut found = None;
    let _ = e.apply(|n| {
        if !matches!(n, Expr::Literal(..)) && n.get_type(schema).is_ok_and(|t| t == DataType::Boolean) {
            return Ok(TreeNodeRecursion::Jump);
        }
        found = match n {
            Expr::ScalarFunction(f) if threshold_of(n).is_none() => Some(f.name().to_uppercase()),
            _ => bend(n, schema).map(String::from),
        };
        Ok(if found.is_some() {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    found
}

/// The one threshold of a function that turns there, as a condition whose persons on each
/// side are counted ([`conditions_in`]): `least(a, b)` and `greatest(a, b)` turn at `a < b`,
/// `abs(x)` at `x < 0`.
fn threshold_of(n: &Expr) -> Option<Expr> {
    let Expr::ScalarFunction(f) = n else { return None };
    match (f.name().to_lowercase().as_str(), f.args.as_slice()) {
        ("least" | "greatest", [a, b]) => Some(a.clone().lt(b.clone())),
        ("abs", [x]) => Some(x.clone().lt(lit(0))),
        _ => None,
    }
}

fn is_null_or_zero(e: &Expr) -> bool {
    match e {
        Expr::Literal(v, _) => v.is_null() || ScalarValue::new_zero(&v.data_type()).is_ok_and(|z| &z == v),
        Expr::Cast(c) => is_null_or_zero(&c.expr),
        Expr::TryCast(c) => is_null_or_zero(&c.expr),
        _ => false,
    }
}

/// The person of a row in a class of equal lineages: the first of them that is not NULL. A
/// member that is never NULL (the preserved side of an outer join, either side of an inner
/// one) is that person on every row, and alone: the others' columns are then not kept
/// through the joins only to be passed over by a COALESCE.
fn class_person(members: &[usize], schema: &DFSchema) -> Expr {
    let people: Vec<Expr> = members.iter().map(|l| hidden_col(&person_column(*l))).collect();
    let never_null = people
        .iter()
        .find(|p| p.nullable(schema).is_ok_and(|nullable| !nullable));
    match (never_null, people.as_slice()) {
        (Some(one), _) | (None, [one]) => one.clone(),
        (None, _) => coalesce(people),
    }
}

/// Per-person contributions to a SUM or AVG of a sensitive measure, for the dominance rules.
/// The contributor is the person of the rows' one class of lineages (the first non-NULL of
/// its members); rows of unrelated persons cannot be attributed to one, and are refused.
fn contributions_of(
    f: &AggregateFunction,
    classes: &BTreeMap<usize, Vec<usize>>,
    schema: &DFSchema,
    feeds: Option<Expr>,
) -> Result<Expr> {
    let classes: Vec<&Vec<usize>> = classes.values().collect();
    let ([members], [arg]) = (classes.as_slice(), f.params.args.as_slice()) else {
        return Err(refuse(
            "a sum of a sensitive measure over rows of persons not joined on the person key cannot be checked for dominance"
                .into(),
        ));
    };
    Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
        contributions_udaf(),
        vec![
            key_number(class_person(members, schema)),
            cast(without_widening_cast(arg, schema), DataType::Float64),
        ],
        false,
        feeds.map(Box::new),
        vec![],
        None,
    )))
}

/// The distinct persons (or units) among the rows `filter` keeps, counted on their keys'
/// numbers (see [`key_number`] for why).
fn distinct_keys_where(key: Expr, filter: Option<Expr>) -> Expr {
    count_where(key_number(key), filter, true)
}

/// The persons among the rows `filter` keeps where no two rows share a person: their rows
/// with a person.
fn rows_where(person: Expr, filter: Option<Expr>) -> Expr {
    count_where(person, filter, false)
}

fn count_where(value: Expr, filter: Option<Expr>, distinct: bool) -> Expr {
    Expr::AggregateFunction(AggregateFunction::new_udf(
        datafusion::functions_aggregate::count::count_udaf(),
        vec![value],
        distinct,
        filter.map(Box::new),
        vec![],
        None,
    ))
}

/// `e` as DataFusion's type coercion would leave it over `schema`: the analyzer coerced the
/// user's expressions before this rule ran, and coercing only the expressions the rewrite
/// adds (filters, COALESCE, comparisons with literals) is a fraction of running TypeCoercion
/// again over the whole rewritten plan, a measured share of every query's planning.
pub(crate) fn coerced(e: Expr, schema: &DFSchema) -> Result<Expr> {
    e.rewrite(&mut TypeCoercionRewriter::new(schema)).data()
}

fn split_conjunction(e: &Expr) -> Vec<&Expr> {
    datafusion::logical_expr::utils::split_conjunction(e)
}

/// Expressions in a projection may not hide subqueries or window functions.
fn check_projection_expr(e: &Expr) -> Result<()> {
    check_no_subqueries(e, "SELECT")?;
    let mut window = false;
    e.apply(|n| {
        window |= matches!(n, Expr::WindowFunction(_));
        Ok(TreeNodeRecursion::Continue)
    })?;
    if window {
        return Err(refuse("window functions are refused".into()));
    }
    Ok(())
}

fn check_no_subqueries(e: &Expr, place: &str) -> Result<()> {
    let mut found = false;
    e.apply(|n| {
        found |= matches!(
            n,
            Expr::ScalarSubquery(_) | Expr::InSubquery(_) | Expr::Exists(_) | Expr::SetComparison(_)
        );
        Ok(TreeNodeRecursion::Continue)
    })?;
    if found {
        return Err(refuse(format!("subqueries in {place} are refused")));
    }
    Ok(())
}

pub(crate) fn is_comparison(op: Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        Eq | NotEq
            | Lt
            | LtEq
            | Gt
            | GtEq
            | IsDistinctFrom
            | IsNotDistinctFrom
            | RegexMatch
            | RegexIMatch
            | RegexNotMatch
            | RegexNotIMatch
            | LikeMatch
            | ILikeMatch
            | NotLikeMatch
            | NotILikeMatch
    )
}

fn is_non_query(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Statement(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::DescribeTable(_)
            | LogicalPlan::Extension(_)
    )
}
