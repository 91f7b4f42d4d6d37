//! The plan below the final aggregate, node by node: scans add the hidden key copies,
//! projections, filters, sorts and aliases pass them on.

use super::carried::{Carried, person_column, unit_column};
use super::conditions::weighs_rows_apart;
use super::lineage::Rewriter;
use super::predicates::check_projection_expr;
use crate::refuse;
use datafusion::common::{Column, Result, TableReference};
use datafusion::logical_expr::{
    Aggregate, Distinct, Expr, Filter, LogicalPlan, LogicalPlanBuilder, Projection, Sort, SubqueryAlias,
};
use renkei_warehouse::ColumnClass;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

impl Rewriter<'_> {
    /// Rewrites a row-level plan to carry its hidden columns.
    pub(super) fn carry(&mut self, plan: LogicalPlan) -> Result<Carried> {
        match plan {
            LogicalPlan::TableScan(scan) => self.scan(scan),
            LogicalPlan::Projection(p) => {
                let c = self.carry(Arc::unwrap_or_clone(p.input))?;
                let mut origins = Vec::new();
                let mut pid_of = Vec::new();
                for e in &p.expr {
                    check_projection_expr(e)?;
                    self.key_operands(e, &c)?;
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
            // Not in the query language: branches can put one person's rows under two labels
            // ("all" and "all but one man aged 95+"), and the difference of two plain groups
            // is then that man (a red-team pass read a death and one person's points so).
            LogicalPlan::Union(_) => Err(refuse(
                "UNION inside a query is not supported: two branches can hold the same persons under \
                 different labels, whose difference is a few of them; use FILTER (WHERE …) or CASE \
                 over one table, or GROUPING SETS for totals"
                    .into(),
            )),
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

    pub(super) fn scan(&mut self, scan: datafusion::logical_expr::TableScan) -> Result<Carried> {
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
}
