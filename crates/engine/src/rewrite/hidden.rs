//! The hidden aggregates the rewrite adds to the final aggregation: counts of persons and
//! units among the rows that feed a cell, and contributions summaries.

use super::HIDDEN_PREFIX;
use super::carried::{Carried, hidden_col, person_column, unit_column};
use super::terms::without_widening_cast;
use crate::contributions::{PieceKind, contributions_udaf, pieces_udaf};
use crate::key_number::key_number;
use crate::refuse;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TransformedResult, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::ExprSchemable;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{AggregateUDF, Expr, cast, lit, when};
use datafusion::optimizer::analyzer::type_coercion::TypeCoercionRewriter;
use std::collections::HashMap;

/// The hidden aggregates added to the final aggregation, each computed once however many
/// cells need it (two aggregates over the same rows share their person count).
#[derive(Default)]
pub(super) struct HiddenAggregates {
    pub(super) exprs: Vec<Expr>,
    /// Hidden columns projected from the aggregation's output instead of computed again.
    pub(super) projected: Vec<(String, Projected)>,
    pub(super) names: HashMap<Expr, String>,
}

/// Where a projected hidden column comes from.
#[derive(PartialEq)]
pub(super) enum Projected {
    /// The query's own aggregate (by index), which computes the same value.
    Aggregate(usize),
    /// The contributor count of a hidden `renkei_contributions` summary.
    Contributors(String),
}

impl HiddenAggregates {
    /// Records that the query's aggregate `aggregate` computes `e`: asking for `e` gives a
    /// copy of it instead of a second aggregate.
    pub(super) fn reuse(&mut self, e: Expr, aggregate: usize) {
        self.project(e, Projected::Aggregate(aggregate));
    }

    /// Records that the contributions summary `summary` counts, among its fields, the
    /// persons `e` counts.
    pub(super) fn contributors(&mut self, e: Expr, summary: &str) {
        self.project(e, Projected::Contributors(summary.to_string()));
    }

    pub(super) fn project(&mut self, e: Expr, from: Projected) {
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

    /// The hidden counts of the units the unit rule needs (`units_needed`, of `c`'s units)
    /// among the rows `rows` keeps, one per unit lineage.
    pub(super) fn units_where(&mut self, c: &Carried, units_needed: &[usize], rows: Option<Expr>) -> Vec<String> {
        unit_keys(c, units_needed)
            .into_iter()
            .map(|key| self.add(distinct_keys_where(key, rows.clone())))
            .collect()
    }

    /// The hidden column name of `e`, added when new.
    pub(super) fn add(&mut self, e: Expr) -> String {
        if let Some(name) = self.names.get(&e) {
            return name.clone();
        }
        let name = format!("{HIDDEN_PREFIX}h{}", self.exprs.len());
        self.exprs.push(e.clone().alias(&name));
        self.names.insert(e, name.clone());
        name
    }
}

/// The persons of the aggregated rows: one class of equal person lineages.
pub(super) struct Persons {
    pub(super) members: Vec<usize>,
    /// A row's person: the first of the members that is not NULL. A member that is never
    /// NULL (the preserved side of an outer join, either side of an inner one) is that person
    /// on every row, and alone: the others' columns are then not kept through the joins only
    /// to be passed over by a COALESCE.
    pub(super) person: Expr,
    /// No two rows share a person: persons are counted by counting rows.
    pub(super) one_row: bool,
}

impl Persons {
    pub(super) fn new(members: Vec<usize>, c: &Carried) -> Self {
        let schema = c.plan.schema();
        let people: Vec<Expr> = members.iter().map(|l| hidden_col(&person_column(*l))).collect();
        let never_null = people
            .iter()
            .find(|p| p.nullable(schema).is_ok_and(|nullable| !nullable));
        let person = match (never_null, people.as_slice()) {
            (Some(one), _) | (None, [one]) => one.clone(),
            (None, _) => coalesce(people),
        };
        let one_row = c.one_row_per_person.is_some_and(|l| members.contains(&l));
        Persons {
            members,
            person,
            one_row,
        }
    }

    /// The numbers of the persons among the rows `filter` keeps, as a list.
    pub(super) fn set(&self, filter: Option<Expr>) -> Expr {
        let with_person = self.person.clone().is_not_null();
        let filter = filter.map_or(with_person.clone(), |f| f.and(with_person));
        Expr::AggregateFunction(AggregateFunction::new_udf(
            datafusion::functions_aggregate::array_agg::array_agg_udaf(),
            vec![key_number(self.person.clone())],
            true,
            Some(Box::new(filter)),
            vec![],
            None,
        ))
    }

    /// The persons among the rows `filter` keeps (all when `None`).
    pub(super) fn count(&self, filter: Option<Expr>) -> Expr {
        if self.one_row {
            rows_where(self.person.clone(), filter)
        } else {
            distinct_keys_where(self.person.clone(), filter)
        }
    }
}

/// Per-person contributions to a SUM or AVG of a sensitive measure, for the dominance rules.
/// The contributor is the row's person.
pub(super) fn contributions_of(
    f: &AggregateFunction,
    persons: &Persons,
    schema: &DFSchema,
    feeds: Option<Expr>,
) -> Result<Expr> {
    per_person(contributions_udaf(), f, persons, schema, feeds, false)
}

/// Per-person contributions of `value` (one number per row) among the rows `feeds` keeps,
/// for the dominance rules on what is not an aggregate of the query: the difference of two
/// of its totals.
pub(super) fn contributions_of_value(
    value: Expr,
    persons: &Persons,
    schema: &DFSchema,
    feeds: Option<Expr>,
) -> Result<Expr> {
    Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
        contributions_udaf(),
        vec![
            key_number(persons.person.clone()),
            cast(without_widening_cast(&value, schema), DataType::Float64),
        ],
        false,
        feeds.map(Box::new),
        vec![],
        None,
    )))
}

/// The pieces of a total (see `contributions.rs`) among the rows `feeds` keeps, for the
/// release ledger: each row adds its value to its person's contribution, or 1 where
/// `counts_rows` (a COUNT). A value is taken up to a literal factor (`2 * points` as
/// `points`), so that `sum(2 * points)` and `sum(points)` have the same pieces: one is the
/// other times two, and their difference is as telling as if they were alike. A total of a
/// weight (`sum(1)`, a CASE of ones and zeros) has the pieces of a count of rows, any other
/// those of a measure ([`PieceKind`]).
pub(super) fn pieces_of(
    f: &AggregateFunction,
    persons: &Persons,
    schema: &DFSchema,
    feeds: Option<Expr>,
    counts_rows: bool,
) -> Result<Expr> {
    let mut f = f.clone();
    if let [arg] = f.params.args.as_mut_slice()
        && let Some(normal) = crate::linear::up_to_a_factor(arg, schema)
    {
        *arg = normal;
    }
    let weighs_rows = match f.params.args.as_slice() {
        [arg] => crate::linear::adds_one_weight(arg, schema),
        _ => false,
    };
    let kind = if counts_rows || weighs_rows {
        PieceKind::Rows
    } else {
        PieceKind::Measure
    };
    per_person(pieces_udaf(kind), &f, persons, schema, feeds, counts_rows)
}

fn per_person(
    udaf: std::sync::Arc<AggregateUDF>,
    f: &AggregateFunction,
    persons: &Persons,
    schema: &DFSchema,
    feeds: Option<Expr>,
    counts_rows: bool,
) -> Result<Expr> {
    let [arg] = f.params.args.as_slice() else {
        return Err(refuse(format!("{} takes one argument", f.func.name().to_uppercase())));
    };
    // One per row, and where the argument cannot be NULL, written as such: two counts of
    // rows over columns that are never NULL are one aggregate, which the optimizer would
    // otherwise find alike only after simplifying, and merge under two names.
    let value = if counts_rows && !arg.nullable(schema).unwrap_or(true) {
        lit(1.0)
    } else if counts_rows {
        when(arg.clone().is_not_null(), lit(1.0)).end()?
    } else {
        cast(without_widening_cast(arg, schema), DataType::Float64)
    };
    Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
        udaf,
        vec![key_number(persons.person.clone()), value],
        false,
        feeds.map(Box::new),
        vec![],
        None,
    )))
}

/// The distinct persons (or units) among the rows `filter` keeps, counted on their keys'
/// numbers (see [`key_number`] for why).
/// The unit keys the unit rule needs (`units_needed`, of `c`'s units), one per unit lineage.
pub(super) fn unit_keys(c: &Carried, units_needed: &[usize]) -> Vec<Expr> {
    c.units
        .iter()
        .filter(|(_, b)| units_needed.contains(b))
        .map(|(l, _)| hidden_col(&unit_column(*l)))
        .collect()
}

fn distinct_keys_where(key: Expr, filter: Option<Expr>) -> Expr {
    count_where(key_number(key), filter, true)
}

/// The persons among the rows `filter` keeps where no two rows share a person: their rows
/// with a person.
pub(super) fn rows_where(person: Expr, filter: Option<Expr>) -> Expr {
    count_where(person, filter, false)
}

pub(super) fn count_where(value: Expr, filter: Option<Expr>, distinct: bool) -> Expr {
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
