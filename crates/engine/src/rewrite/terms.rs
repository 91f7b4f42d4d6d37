//! An aggregate as a sum over its rows: which rows feed it and what each adds.

use crate::refuse;
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::ExprSchemable;
use datafusion::logical_expr::expr::{AggregateFunction, Alias};
use datafusion::logical_expr::{Expr, lit};

pub(super) fn aggregate_function(e: &Expr) -> Result<&AggregateFunction> {
    match e {
        Expr::AggregateFunction(f) => Ok(f),
        Expr::Alias(Alias { expr, .. }) => aggregate_function(expr),
        _ => Err(refuse(format!("{} is not an aggregate", e.schema_name()))),
    }
}

/// An aggregate as a sum over its rows, for the differences between the aggregates of a row.
pub(super) struct Term {
    /// The rows it adds up ([`contributes`]).
    pub(super) feeds: Option<Expr>,
    /// What each row adds: 1 for a count of rows, the argument for SUM; none for DISTINCT
    /// aggregates, whose rows do not each add their value.
    pub(super) value: Option<Expr>,
}

impl Term {
    /// The totals an aggregate releases. A SUM of one weight (`sum(CASE WHEN … THEN 1 ELSE 0
    /// END)`, `sum(2)`) is a count of the rows it weighs. A mean releases its count and its
    /// sum: a mean of integers is a fraction whose denominator is its count of rows
    /// (65.9009900990099 is 6656 / 101), so `avg(age)` beside `count(DISTINCT person_id)`
    /// tells the extra rows of the few with several.
    pub(super) fn terms_of(f: &AggregateFunction, schema: &DFSchema) -> Vec<Term> {
        let name = f.func.name().to_lowercase();
        let feeds = contributes(f, schema);
        let value = match (name.as_str(), f.params.distinct, f.params.args.as_slice()) {
            (_, true, _) => None,
            ("count", false, _) => Some(lit(1i64)),
            ("sum" | "avg" | "mean", false, [arg]) if crate::linear::adds_one_weight(arg, schema) => Some(lit(1i64)),
            ("sum" | "avg" | "mean", false, [arg]) => {
                // `CASE WHEN c THEN points ELSE 0 END` adds points where it adds anything, as
                // `sum(points) FILTER (WHERE c)` does: one value, so the two are one kind.
                let arg = crate::linear::one_value_of_a_case(arg).unwrap_or(arg);
                Some(crate::linear::up_to_a_factor(arg, schema).unwrap_or_else(|| without_widening_cast(arg, schema)))
            }
            _ => None,
        };
        let mut terms = vec![Term { feeds, value }];
        if matches!(name.as_str(), "avg" | "mean") {
            let count = Term {
                feeds: counted_rows(f, schema),
                value: Some(lit(1i64)),
            };
            if count.feeds != terms[0].feeds || count.value != terms[0].value {
                terms.push(count);
            }
        }
        terms
    }
}

/// The rows that feed an aggregate's value: those its FILTER keeps where its argument is not
/// NULL, and, beyond COUNT, not zero (a zero adds nothing, so its person is not behind the value).
/// An argument that cannot be NULL gets no NULL test: a `FILTER (WHERE true)` still costs a
/// filter pass per batch.
pub(super) fn contributes(f: &AggregateFunction, schema: &DFSchema) -> Option<Expr> {
    feeding_rows(f, schema, f.func.name().eq_ignore_ascii_case("count"))
}

/// The rows a mean divides by: those its FILTER keeps where its argument is not NULL, zeros
/// included.
pub(super) fn counted_rows(f: &AggregateFunction, schema: &DFSchema) -> Option<Expr> {
    feeding_rows(f, schema, true)
}

/// The rows its FILTER keeps where its argument is not NULL, and, unless `zeros_feed`, not zero.
pub(super) fn feeding_rows(f: &AggregateFunction, schema: &DFSchema, zeros_feed: bool) -> Option<Expr> {
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
pub(super) fn without_widening_cast(e: &Expr, schema: &DFSchema) -> Expr {
    let (inner, to) = match e {
        Expr::Cast(c) => (&c.expr, c.field.data_type()),
        Expr::TryCast(c) => (&c.expr, c.field.data_type()),
        _ => return e.clone(),
    };
    match inner.get_type(schema) {
        Ok(from) if crate::linear::widens(&from, to) => without_widening_cast(inner, schema),
        _ => e.clone(),
    }
}
