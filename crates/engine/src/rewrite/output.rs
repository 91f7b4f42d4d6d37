//! What the final aggregation may output: group keys that are not identifying, and
//! aggregates of the grammar (COUNT, COUNT(DISTINCT key), SUM / AVG of a linear form), each
//! refused with the construct named otherwise.

use super::carried::Carried;
use super::conditions::{conditions_in, step_function};
use super::lineage::{RELEASABLE_AGGREGATES, Rewriter};
use super::predicates::check_no_subqueries;
use super::terms::aggregate_function;
use crate::refuse;
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, GroupingSet};
use renkei_warehouse::ColumnClass;

/// The group keys of a final aggregation, and whether they are grouping sets.
pub(super) struct Keys {
    pub(super) exprs: Vec<Expr>,
    pub(super) grouping_sets: bool,
}

impl Rewriter<'_> {
    /// Checks the final aggregation's keys and aggregates against the grammar, and returns
    /// its keys and the unit base columns the query selects by (the unit rule's).
    pub(super) fn check_output(
        &mut self,
        group_expr: &[Expr],
        aggr_expr: &[Expr],
        c: &Carried,
    ) -> Result<(Keys, Vec<usize>)> {
        // Group keys: never a person or record key, and unit keys make the unit rule apply.
        let grouping_sets = matches!(group_expr, [Expr::GroupingSet(_)]);
        let keys: Vec<Expr> = match group_expr {
            [Expr::GroupingSet(gs)] => gs.distinct_expr().into_iter().cloned().collect(),
            exprs => exprs.to_vec(),
        };
        if let [Expr::GroupingSet(GroupingSet::GroupingSets(sets))] = group_expr
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
        for e in aggr_expr {
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
                self.key_operands(arg, c)?;
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
                // per-person subquery, a VALUES list) has no condition left here whose
                // sides could be counted.
                if name != "count" && self.weighed.is_some_and(|m| o.contains(&m)) {
                    return Err(refuse(format!(
                        "{} of a value computed with a condition, a filtered aggregate or a VALUES list \
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
                    self.adds_measures_only(&name, arg, c)?;
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
                self.key_operands(filter, c)?;
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
        Ok((
            Keys {
                exprs: keys,
                grouping_sets,
            },
            units_needed,
        ))
    }
}

impl Rewriter<'_> {
    /// Refuses a SUM or AVG that adds a column other than a measure (points, units, times,
    /// quantities, or a count made per person below). An attribute's values name groups
    /// whose persons no rule counts: `sum(sex)` is the cell's persons plus its women, so
    /// beside `count(*)` it released a care level's 8 men (2,000-person sample); `sum(age)`
    /// over a band of two ages is a count of the older, and a code cast to a number the same.
    /// A weight alone (`CAST(is_main AS INT)`, a CASE of literals) is a count of the rows it
    /// selects, whose persons the rewrite counts.
    fn adds_measures_only(&self, name: &str, arg: &Expr, c: &Carried) -> Result<()> {
        if crate::linear::adds_one_weight(arg, c.plan.schema()) {
            return Ok(());
        }
        for column in crate::linear::added_column_refs(arg) {
            let origins = c.expr_origins(&Expr::Column(column.clone()))?;
            if let Some(b) = origins
                .iter()
                .find(|b| self.class(**b) != ColumnClass::SensitiveMeasure)
            {
                let base = &self.bases[*b];
                return Err(refuse(format!(
                    "{} of {}.{} is refused: SUM and AVG add measures (points, units, times, quantities, \
                     or counts made per person); the values of {} name groups of persons, counted with \
                     COUNT(*) FILTER (WHERE …) or GROUP BY",
                    name.to_uppercase(),
                    base.table,
                    base.column,
                    base.column
                )));
            }
        }
        Ok(())
    }
}
