//! Derived tables: per-person aggregates (grouped by a person key).

use super::carried::{Carried, column_at, person_column};
use super::conditions::weighs_rows_apart;
use super::lineage::{PER_PERSON_AGGREGATES, Rewriter};
use super::predicates::check_no_subqueries;
use super::terms::aggregate_function;
use crate::refuse;
use datafusion::common::Result;
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, Projection};
use renkei_warehouse::ColumnClass;
use std::collections::BTreeSet;
use std::sync::Arc;

impl Rewriter<'_> {
    /// An aggregate inside the query: a per-person derived table.
    pub(super) fn per_person_aggregate(&mut self, a: Aggregate) -> Result<Carried> {
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
            // A facility in a per-person aggregate selects by it as a WHERE would: persons
            // grouped by their `count(*) FILTER (WHERE facility_id = …)` gave that hospital's
            // 171 patients and 484 claims (red team R7-4), and so did `count(CASE WHEN
            // facility_id = … THEN 1 END)` and `count(*) - count(NULLIF(facility_id, …))` (R8-4).
            // Its units end here, so the final aggregate refuses it.
            for arg in &f.params.args {
                check_no_subqueries(arg, "an aggregate")?;
                self.key_operands(arg, &c)?;
                self.note_units(&c.expr_origins(arg)?);
            }
            if let Some(filter) = &f.params.filter {
                check_no_subqueries(filter, "an aggregate FILTER")?;
                self.key_operands(filter, &c)?;
                self.note_units(&c.expr_origins(filter)?);
            }
        }
        for e in &a.group_expr {
            self.key_operands(e, &c)?;
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
                } else if f.params.distinct {
                    // The distinct values of an attribute a person has are an attribute of the
                    // person, not a measure: `count(DISTINCT setting)` is 2 for those with
                    // both, and its SUM beside the persons' count gave one man born 2010-19
                    // with both (red team R16-2). Keys counted distinct stay counts.
                    o.extend(from.into_iter().filter(|b| {
                        !matches!(
                            self.class(*b),
                            ColumnClass::PersonKey | ColumnClass::RecordKey | ColumnClass::UnitKey
                        )
                    }));
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
            // Grouped by the person key alone: one row per person. Not where the SQL planner
            // grouped by the columns DataFusion's functional dependencies say the key
            // determines (`GROUP BY f.person_id` over a per-person f): those are wrong over a
            // join (a table of persons and months regrouped by person, month and count was
            // taken for one row per person, and its rows beside its persons gave one man's
            // months, red team R10-1).
            one_row_per_person: (a.group_expr.len() == 1).then_some(lineage),
        })
    }
}
