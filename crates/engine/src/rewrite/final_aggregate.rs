//! The final aggregation, rewritten: beside the user's aggregates, the hidden ones that count
//! the persons (and units) behind each cell, each person's contribution to a sensitive sum,
//! and the persons behind the differences and atoms of a row's cells (`row_checks.rs`); then
//! the output the control node judges.

use super::carried::{Carried, column_at, hidden_col};
use super::conditions::conditions_in;
use super::hidden::{HiddenAggregates, Persons, Projected, coerced, contributions_of, pieces_of};
use super::lineage::Rewriter;
use super::output::Keys;
use super::terms::{aggregate_function, contributes, counted_rows};
use super::top::{Dep, TopParts};
use super::{GROUPING_ID_COLUMN, HIDDEN_PREFIX};
use crate::contributions;
use crate::control::{AggregateRule, ControlSpec, Grouping, KeptSet};
use crate::refuse;
use datafusion::common::Result;
use datafusion::functions::core::expr_fn::{coalesce, get_field};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Aggregate, Expr, ExprSchemable, LogicalPlan, Projection, lit};
use renkei_disclosure::Policy;
use renkei_warehouse::ColumnClass;
use std::sync::Arc;

impl Rewriter<'_> {
    pub(super) fn final_aggregate(&mut self, a: Aggregate) -> Result<(LogicalPlan, TopParts)> {
        let Aggregate {
            input,
            group_expr,
            aggr_expr,
            ..
        } = a;
        let c = self.carry(Arc::unwrap_or_clone(input))?;
        if c.persons.is_empty() {
            return Err(refuse(
                "the aggregated rows carry no person key, so their persons cannot be counted".into(),
            ));
        }
        let (keys, units_needed) = self.check_output(&group_expr, &aggr_expr, &c)?;
        let persons = Persons::new(self.person_class(&c)?, &c);
        let mut hidden = HiddenAggregates::default();
        self.reuse_person_counts(&aggr_expr, &c, &persons, &mut hidden)?;
        let rules = self.aggregate_rules(&aggr_expr, &c, &persons, &units_needed, &mut hidden)?;
        let (differences, atoms) = self.row_checks(&aggr_expr, &c, &persons, &units_needed, &mut hidden)?;
        // The persons of each group, over all its rows: its size as a group, apart from
        // what any aggregate counts (usually the same count as one of them, added once).
        let group_persons = hidden.add(persons.count(None));
        let group_units = hidden.units_where(&c, &units_needed, None);
        let (plan, deps, grouping) = output_plan(c, group_expr, aggr_expr, &keys, hidden)?;
        let spec = ControlSpec {
            columns: vec![],
            aggregates: rules,
            having: None,
            having_aggregates: vec![],
            group_persons,
            group_units,
            atoms,
            grouping,
            entity_rule: !units_needed.is_empty(),
            differences,
            policy: Policy::default(),
        };
        Ok((plan, TopParts { spec, deps }))
    }

    /// The person lineages of the aggregated rows, which must be one class: equal persons,
    /// or NULL on an outer side. Rows of different persons joined on anything but the person
    /// key (a CROSS JOIN, a join on a condition) pair every person's rows with other persons'
    /// by value: a column counting one side then differs from one counting the other by the
    /// persons the condition leaves out, whoever they are (`count(DISTINCT t.person_id)` and
    /// `count(DISTINCT c.person_id)` over `c JOIN t ON NOT (c.age >= 98)`), and no cell's
    /// count sees it. Every row of a cell must be one person's.
    pub(super) fn person_class(&mut self, c: &Carried) -> Result<Vec<usize>> {
        let roots: Vec<usize> = c.persons.iter().map(|l| self.find(*l)).collect();
        if roots.iter().any(|r| *r != roots[0]) {
            return Err(refuse(
                "a join of rows of different persons is refused: join person tables on the person key \
                 (a.person_id = b.person_id), so that every row is one person's"
                    .into(),
            ));
        }
        Ok(c.persons.clone())
    }

    /// The query's own `count(DISTINCT person key)` is the persons count of its rows when
    /// that key is its class's person on every row: when the class has no other member, or
    /// when the key is never NULL (members are equal where not NULL, so the class's first
    /// non-NULL member is this key). It is then used as is rather than counted again.
    pub(super) fn reuse_person_counts(
        &mut self,
        aggr_expr: &[Expr],
        c: &Carried,
        persons: &Persons,
        hidden: &mut HiddenAggregates,
    ) -> Result<()> {
        for (j, e) in aggr_expr.iter().enumerate() {
            let f = aggregate_function(e)?;
            if let (true, true, [arg]) = (
                f.func.name().eq_ignore_ascii_case("count"),
                f.params.distinct,
                f.params.args.as_slice(),
            ) && c.bare_pid(arg).is_some_and(|l| persons.members.contains(&l))
                && (persons.members.len() == 1 || !arg.nullable(c.plan.schema())?)
            {
                let filter = f.params.filter.as_deref().cloned();
                // NULL persons are never counted, so "the key is not NULL" filters nothing.
                hidden.reuse(persons.count(contributes(f, c.plan.schema())), j);
                hidden.reuse(persons.count(filter), j);
            }
        }
        Ok(())
    }

    /// Per aggregate, the hidden counts its rules judge: its persons, its units, each
    /// person's contribution to a sensitive sum, and the persons on each side of a condition
    /// inside its value.
    pub(super) fn aggregate_rules(
        &mut self,
        aggr_expr: &[Expr],
        c: &Carried,
        persons: &Persons,
        units_needed: &[usize],
        hidden: &mut HiddenAggregates,
    ) -> Result<Vec<AggregateRule>> {
        let schema = c.plan.schema();
        let mut rules = Vec::new();
        for e in aggr_expr {
            let f = aggregate_function(e)?;
            let name = f.func.name().to_lowercase();
            let feeds = contributes(f, schema);
            let dominance = if self.measures_sensitive(f, c)? {
                let summary = hidden.add(contributions_of(f, persons, schema, feeds.clone())?);
                // Its contributors are the persons of its one class among the same rows.
                hidden.contributors(persons.count(feeds.clone()), &summary);
                Some(summary)
            } else {
                None
            };
            let units = hidden.units_where(c, units_needed, feeds.clone());
            // A condition inside the value (`sum(CASE WHEN age = 101 THEN 1000 ELSE 1 END)`)
            // weighs some rows apart: the persons on each side of it are counted, so a
            // value cannot carry a small group's total inside a big one.
            let mut parts = Vec::new();
            for condition in conditions_in(&f.params.args, schema)? {
                let holds = coalesce(vec![condition, lit(false)]);
                for rows in [holds.clone(), !holds] {
                    let filter = feeds.clone().map_or(rows.clone(), |f| f.and(rows));
                    parts.push(hidden.add(persons.count(Some(filter))));
                }
            }
            let counts_rows = matches!(f.params.args.as_slice(), [arg] if crate::linear::counts_rows(arg, schema));
            // A count of persons: COUNT(DISTINCT person), or, where each person has one row,
            // any total of rows (COUNT, a SUM that may add one value per row: `sum(1)`, a
            // per-person value that is always 1; a mean, which releases its count). Its
            // persons are the ledger's: those its rows feed (a mean counts its zeros too).
            let counts_persons = match (name.as_str(), f.params.distinct, f.params.args.as_slice()) {
                ("count", true, [arg]) => c.bare_pid(arg).is_some_and(|l| persons.members.contains(&l)),
                (_, false, _) => persons.one_row,
                _ => false,
            };
            // A distinct count adds up over a ROLLUP's groups where each key is on one row of
            // the input (one row per person, or a table's own rows by their row key): a key is
            // then in one group of each grouping set. Decided from the plan, not the data:
            // whether the totals added up told whether anyone was in two groups, and hiding
            // them or not told an empty group from a small one (red team R9-1).
            let keys_may_repeat = f.params.distinct
                && !(counts_persons && persons.one_row)
                && !matches!(f.params.args.as_slice(), [arg] if self.records_are_rows(c, arg)?);
            let kept = kept_sets(self, f, c, persons, counts_persons, feeds.clone(), hidden)?;
            rules.push(AggregateRule {
                persons: hidden.add(persons.count(feeds)),
                units,
                dominance,
                parts,
                is_count: name == "count" || (name == "sum" && counts_rows),
                is_sum: name == "sum",
                distinct: f.params.distinct,
                keys_may_repeat,
                is_mean: matches!(name.as_str(), "avg" | "mean"),
                kept,
            });
        }
        Ok(rules)
    }
}

/// What the release ledger keeps of an aggregate: the persons of a count of persons; the
/// pieces (each person's contribution) of a total — a SUM, a COUNT of rows where a person may
/// have several, a count of distinct records (one per row where a record has one row: a join
/// that repeats a record counts it again, and its pieces then differ from the table's own,
/// which checks less) — and of a mean, whose count is kept too (with its sum or its count
/// released elsewhere, it gives the other). A total of several measures is a total of each as
/// well: with a tiny coefficient on the others (`sum(points + age / 1000000.0)`), it is the
/// total of the first once rounded.
fn kept_sets(
    rewriter: &Rewriter<'_>,
    f: &AggregateFunction,
    c: &Carried,
    persons: &Persons,
    counts_persons: bool,
    feeds: Option<Expr>,
    hidden: &mut HiddenAggregates,
) -> Result<Vec<KeptSet>> {
    let schema = c.plan.schema();
    let name = f.func.name().to_lowercase();
    let is_mean = matches!(name.as_str(), "avg" | "mean");
    if counts_persons {
        // A mean counts its zeros too.
        let counted = if is_mean { counted_rows(f, schema) } else { feeds };
        let column = hidden.add(persons.set(counted));
        return Ok(vec![KeptSet { column, pieces: false }]);
    }
    let distinct_of = |class: ColumnClass| -> Result<bool> {
        Ok(match (name.as_str(), f.params.distinct, f.params.args.as_slice()) {
            ("count", true, [arg]) => rewriter.has_class(&c.expr_origins(arg)?, class),
            _ => false,
        })
    };
    // A distinct count of facilities, providers or municipalities is kept as the persons
    // whose rows feed it: "facilities by prefecture" and the same without one woman's rows
    // differed in prefecture 35 by the one facility only she used (4, then 3), and the two
    // outputs' persons differ by her.
    if distinct_of(ColumnClass::UnitKey)? {
        let column = hidden.add(persons.set(feeds));
        return Ok(vec![KeptSet { column, pieces: false }]);
    }
    let counts_records = distinct_of(ColumnClass::RecordKey)?;
    if !(name == "sum" || is_mean || (name == "count" && !f.params.distinct) || counts_records) {
        return Ok(Vec::new());
    }
    let mut pieces = |f: &AggregateFunction, rows: Option<Expr>, counts_rows: bool| -> Result<KeptSet> {
        let column = hidden.add(pieces_of(f, persons, schema, rows, counts_rows)?);
        Ok(KeptSet { column, pieces: true })
    };
    let mut kept = vec![pieces(f, feeds.clone(), name == "count")?];
    let columns = match f.params.args.as_slice() {
        [arg] if name != "count" => crate::linear::columns_of(arg, schema).unwrap_or_default(),
        _ => Vec::new(),
    };
    if columns.len() > 1 {
        for column in columns {
            let mut one = f.clone();
            one.params.args = vec![column];
            kept.push(pieces(&one, feeds.clone(), false)?);
        }
    }
    // A mean's count counts its zeros too: with the rows a total's pieces are taken over
    // (those that add something), `avg(age)` beside `avg(points)` kept a count without the
    // five babies' claims, a few persons apart from the other mean's count, and both means
    // were hidden.
    if is_mean {
        kept.push(pieces(f, counted_rows(f, schema), true)?);
    }
    Ok(kept)
}

/// The final aggregation with its hidden aggregates, and its output as DataFusion's own
/// aggregate would give it (keys, then the user's aggregates), then hidden: the raw keys and
/// grouping id (for secondary suppression) and the counts.
pub(super) fn output_plan(
    c: Carried,
    group_expr: Vec<Expr>,
    aggr_expr: Vec<Expr>,
    keys: &Keys,
    hidden: HiddenAggregates,
) -> Result<(LogicalPlan, Vec<Dep>, Option<Grouping>)> {
    let visible = aggr_expr.len();
    let mut aggr = aggr_expr;
    for e in hidden.exprs {
        aggr.push(coerced(e, c.plan.schema())?);
    }
    let agg = LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(c.plan), group_expr, aggr)?);
    let schema = Arc::clone(agg.schema());
    let col_at = |i: usize| column_at(&schema, i);
    let n_keys = keys.exprs.len();
    let first_aggr = n_keys + usize::from(keys.grouping_sets);
    let mut exprs: Vec<Expr> = (0..n_keys).map(col_at).collect();
    exprs.extend((first_aggr..first_aggr + visible).map(col_at));
    let mut deps = vec![Dep::Key; n_keys];
    deps.extend((0..visible).map(|j| Dep::Value {
        aggregates: vec![j],
        bare: true,
    }));
    let grouping = if keys.grouping_sets {
        let names: Vec<String> = (0..n_keys).map(|i| format!("{HIDDEN_PREFIX}k{i}")).collect();
        exprs.extend(names.iter().enumerate().map(|(i, n)| col_at(i).alias(n)));
        exprs.push(col_at(n_keys).alias(GROUPING_ID_COLUMN));
        Some(Grouping {
            id: GROUPING_ID_COLUMN.to_string(),
            keys: names,
        })
    } else {
        None
    };
    exprs.extend((first_aggr + visible..schema.fields().len()).map(col_at));
    exprs.extend(hidden.projected.iter().map(|(name, from)| match from {
        Projected::Aggregate(j) => col_at(first_aggr + j).alias(name),
        Projected::Contributors(summary) => get_field(hidden_col(summary), contributions::CONTRIBUTORS).alias(name),
    }));
    let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(agg))?);
    Ok((plan, deps, grouping))
}
