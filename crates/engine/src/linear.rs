//! The grammar of what SUM and AVG may add up: a linear form of columns with literal
//! coefficients and no constant term (`points * times` is not one; `points * 10` is), or
//! weights alone (`1`, a condition cast to a number, a CASE of literals), which make the
//! SUM a count.
//!
//! Why: every rule on a total judges the persons who add to it and what each adds. A product
//! of two columns is a polynomial, which can be made to vanish everywhere but at one value
//! (a CASE in disguise whose condition nobody counts); a constant added to a measure
//! (`sum(points + 1000000)`) flattens each person's share so the dominance rules see equal
//! contributors, and `sum(points + c) - c * count(*)` then gives the dominated total back.
//! Conditions inside the value (CASE, LEAST, GREATEST, ABS) keep the meaning the rewrite
//! gives them: the persons on each side are counted.

use crate::allowlist::{is_literal, literal_value};
use crate::refuse;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{Alias, Cast, TryCast};
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, Operator, lit};

/// What an aggregate's argument adds per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// The same for every row it is in, whatever its columns hold: a literal, or a
    /// condition cast to a number.
    Weight,
    /// A linear form of columns without a constant term.
    Linear,
}

/// Functions that keep a value linear on each side of a threshold the rewrite counts.
const PIECEWISE_LINEAR: &[&str] = &["least", "greatest", "abs", "coalesce", "nullif"];

/// The largest factor a column may be multiplied by in a summed value: an integer product
/// past 2^63 wraps around, and a wrapped value is no longer linear (`avg(age *
/// 94116375560044609)` against `sum(age)` counted the cases aged 98 by their wraps).
const MAX_COEFFICIENT: f64 = 1_000_000.0;

/// Refuses an argument of `aggregate` (SUM or AVG) outside the grammar above, naming why.
pub fn check_summed(aggregate: &str, arg: &Expr, schema: &DFSchema) -> Result<()> {
    let refused = |why: String| {
        refuse(format!(
            "{aggregate} of {why} is refused: {aggregate} takes a column, or a sum of columns times literals \
             of at most a million, with no constant added (conditions go in FILTER, WHERE or CASE WHEN)",
        ))
    };
    form(arg, schema).map_err(refused)?;
    if scale(arg) > MAX_COEFFICIENT {
        return Err(refused("a column times more than a million".into()));
    }
    Ok(())
}

/// The largest factor any column is multiplied by in `e` (a column alone: 1).
fn scale(e: &Expr) -> f64 {
    let factor = |l: &Expr| {
        literal_value(l)
            .and_then(|v| v.cast_to(&DataType::Float64).ok())
            .and_then(|v| match v {
                ScalarValue::Float64(Some(f)) => Some(f.abs()),
                _ => None,
            })
            .unwrap_or(f64::INFINITY)
    };
    match e {
        Expr::Column(_) => 1.0,
        Expr::Alias(Alias { expr, .. }) | Expr::Negative(expr) => scale(expr),
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => scale(expr),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::Multiply if is_literal(right) => scale(left) * factor(right),
            Operator::Multiply if is_literal(left) => factor(left) * scale(right),
            Operator::Divide if is_literal(right) => scale(left) / factor(right),
            _ => scale(left).max(scale(right)),
        },
        Expr::Case(c) => c
            .when_then_expr
            .iter()
            .map(|(_, then)| scale(then))
            .chain(c.else_expr.as_deref().map(scale))
            .fold(0.0, f64::max),
        Expr::ScalarFunction(f) => f.args.iter().map(scale).fold(0.0, f64::max),
        _ => 0.0,
    }
}

/// Whether a SUM of `arg` counts rows: it adds one or zero per row (`1`, a condition cast to a
/// number, a CASE of ones and zeros), and is a count.
pub fn counts_rows(arg: &Expr, schema: &DFSchema) -> bool {
    if is_boolean(arg, schema) {
        return true;
    }
    match arg {
        Expr::Literal(v, _) => {
            v.is_null()
                || matches!(v.cast_to(&DataType::Float64), Ok(ScalarValue::Float64(Some(f))) if f == 0.0 || f == 1.0)
        }
        Expr::Alias(Alias { expr, .. }) => counts_rows(expr, schema),
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => counts_rows(expr, schema),
        Expr::Case(c) => {
            c.when_then_expr.iter().all(|(_, then)| counts_rows(then, schema))
                && c.else_expr.as_deref().is_none_or(|e| counts_rows(e, schema))
        }
        _ => false,
    }
}

/// Whether every row adds the same number to a SUM of `arg`, or nothing (zero or NULL): a
/// weight alone (`2`, `CASE WHEN … THEN 5 ELSE 0 END`, a condition cast to a number). Such
/// a SUM is that number times a count of rows.
pub fn adds_one_weight(arg: &Expr, schema: &DFSchema) -> bool {
    let mut weights = Vec::new();
    weights_of(arg, schema, &mut weights) && weights.windows(2).all(|w| w[0] == w[1])
}

/// The non-zero numbers `arg` takes, where it is made of literals under CASE, casts and
/// conditions; false where it is anything else.
fn weights_of(arg: &Expr, schema: &DFSchema, out: &mut Vec<f64>) -> bool {
    if is_boolean(arg, schema) {
        out.push(1.0);
        return true;
    }
    match arg {
        Expr::Literal(v, _) if v.is_null() => true,
        Expr::Literal(v, _) => match v.cast_to(&DataType::Float64) {
            Ok(ScalarValue::Float64(Some(f))) => {
                if f != 0.0 {
                    out.push(f);
                }
                true
            }
            _ => false,
        },
        Expr::Alias(Alias { expr, .. }) => weights_of(expr, schema, out),
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => weights_of(expr, schema, out),
        Expr::Case(c) => {
            c.when_then_expr.iter().all(|(_, then)| weights_of(then, schema, out))
                && c.else_expr.as_deref().is_none_or(|e| weights_of(e, schema, out))
        }
        _ => false,
    }
}

/// The one value a CASE adds where it adds anything: every branch that is not zero or NULL
/// is that same expression (`CASE WHEN c THEN points ELSE 0 END`, `CASE WHEN c THEN points
/// ELSE points END`). `None` for anything else.
pub fn one_value_of_a_case(e: &Expr) -> Option<&Expr> {
    let Expr::Case(c) = e else { return None };
    let nothing = |b: &Expr| {
        literal_value(b).is_some_and(|v| {
            v.is_null() || matches!(v.cast_to(&DataType::Float64), Ok(ScalarValue::Float64(Some(f))) if f == 0.0)
        })
    };
    let mut value: Option<&Expr> = None;
    for branch in c
        .when_then_expr
        .iter()
        .map(|(_, t)| t.as_ref())
        .chain(c.else_expr.as_deref())
    {
        let branch = one_value_of_a_case(branch).unwrap_or(branch);
        if nothing(branch) {
            continue;
        }
        match value {
            Some(v) if v != branch => return None,
            _ => value = Some(branch),
        }
    }
    value
}

/// The columns whose values a summed expression adds, not those it only tests (a CASE's
/// conditions): `points` in `CASE WHEN age > 90 THEN points ELSE 0 END`, none in `abs(1)`.
pub fn added_columns(e: &Expr) -> std::collections::BTreeSet<String> {
    added_column_refs(e).into_iter().map(Column::flat_name).collect()
}

/// The columns [`added_columns`] names, as references.
pub fn added_column_refs(e: &Expr) -> Vec<&Column> {
    let mut out = Vec::new();
    add_columns(e, &mut out);
    out
}

fn add_columns<'a>(e: &'a Expr, out: &mut Vec<&'a Column>) {
    match e {
        Expr::Column(c) => out.push(c),
        Expr::Alias(Alias { expr, .. }) | Expr::Negative(expr) => add_columns(expr, out),
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => add_columns(expr, out),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if op.is_numerical_operators() => {
            add_columns(left, out);
            add_columns(right, out);
        }
        Expr::Case(c) => {
            for branch in c
                .when_then_expr
                .iter()
                .map(|(_, t)| t.as_ref())
                .chain(c.else_expr.as_deref())
            {
                add_columns(branch, out);
            }
        }
        Expr::ScalarFunction(f) => f.args.iter().for_each(|a| add_columns(a, out)),
        // Conditions, literals: nothing added.
        _ => {}
    }
}

/// A linear form of columns up to a constant factor: its columns (in the order of their
/// names) with their coefficients divided by the first's, as one expression, so that SUMs of
/// proportional values (`sum(x)`, `sum(2 * x)`, `sum(x + x)`) are known as sums of one value:
/// `sum(x) - sum(2 * x) FILTER (…) / 2` is the rows the FILTER leaves out. `None` for
/// anything but columns, widening casts, `+`, `-`, and `*` or `/` by a literal.
pub fn up_to_a_factor(e: &Expr, schema: &DFSchema) -> Option<Expr> {
    let mut terms: std::collections::BTreeMap<String, (Expr, f64)> = std::collections::BTreeMap::new();
    add_terms(e, 1.0, schema, &mut terms)?;
    terms.retain(|_, (_, c)| *c != 0.0);
    let first = terms.values().next()?.1;
    terms
        .into_values()
        .map(|(column, c)| {
            let c = c / first;
            if c == 1.0 { column } else { column * lit(c) }
        })
        .reduce(|a, b| a + b)
}

/// The columns of a linear form with a coefficient other than zero (in the order of their
/// names); `None` as for [`up_to_a_factor`].
pub fn columns_of(e: &Expr, schema: &DFSchema) -> Option<Vec<Expr>> {
    let mut terms: std::collections::BTreeMap<String, (Expr, f64)> = std::collections::BTreeMap::new();
    add_terms(e, 1.0, schema, &mut terms)?;
    Some(
        terms
            .into_values()
            .filter(|(_, c)| *c != 0.0)
            .map(|(column, _)| column)
            .collect(),
    )
}

/// Adds `factor` times the linear form `e` to `terms` (by column name); `None` when `e` is
/// not one.
fn add_terms(
    e: &Expr,
    factor: f64,
    schema: &DFSchema,
    terms: &mut std::collections::BTreeMap<String, (Expr, f64)>,
) -> Option<()> {
    let number = |l: &Expr| match literal_value(l)?.cast_to(&DataType::Float64).ok()? {
        ScalarValue::Float64(Some(f)) if f.is_finite() => Some(f),
        _ => None,
    };
    match e {
        Expr::Column(c) => {
            terms.entry(c.flat_name()).or_insert_with(|| (e.clone(), 0.0)).1 += factor;
            Some(())
        }
        Expr::Alias(Alias { expr, .. }) => add_terms(expr, factor, schema, terms),
        Expr::Negative(expr) => add_terms(expr, -factor, schema, terms),
        Expr::Cast(Cast { expr, field }) | Expr::TryCast(TryCast { expr, field }) => {
            widens(&expr.get_type(schema).ok()?, field.data_type()).then_some(())?;
            add_terms(expr, factor, schema, terms)
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::Plus => {
                add_terms(left, factor, schema, terms)?;
                add_terms(right, factor, schema, terms)
            }
            Operator::Minus => {
                add_terms(left, factor, schema, terms)?;
                add_terms(right, -factor, schema, terms)
            }
            Operator::Multiply if is_literal(right) => add_terms(left, factor * number(right)?, schema, terms),
            Operator::Multiply if is_literal(left) => add_terms(right, factor * number(left)?, schema, terms),
            Operator::Divide if is_literal(right) => {
                let d = number(right)?;
                (d != 0.0).then_some(())?;
                add_terms(left, factor / d, schema, terms)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether every value of `from` is a value of `to`, zero and NULL to zero and NULL.
pub fn widens(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    match to {
        Float64 => from.is_numeric(),
        Int64 => matches!(from, Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32),
        UInt64 => matches!(from, UInt8 | UInt16 | UInt32),
        _ => false,
    }
}

fn is_boolean(e: &Expr, schema: &DFSchema) -> bool {
    e.get_type(schema).is_ok_and(|t| t == DataType::Boolean)
}

fn form(e: &Expr, schema: &DFSchema) -> std::result::Result<Form, String> {
    if is_boolean(e, schema) {
        return Ok(Form::Weight);
    }
    match e {
        Expr::Literal(..) => Ok(Form::Weight),
        Expr::Column(_) => Ok(Form::Linear),
        Expr::Alias(Alias { expr, .. }) | Expr::Negative(expr) => form(expr, schema),
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => form(expr, schema),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (l, r) = (form(left, schema)?, form(right, schema)?);
            match op {
                Operator::Plus | Operator::Minus => {
                    if l == r {
                        Ok(l)
                    } else {
                        Err("a value plus a constant".into())
                    }
                }
                Operator::Multiply => match (l, r) {
                    (Form::Weight, Form::Weight) => Ok(Form::Weight),
                    (Form::Linear, Form::Weight) if is_literal(right) => Ok(Form::Linear),
                    (Form::Weight, Form::Linear) if is_literal(left) => Ok(Form::Linear),
                    (Form::Linear, Form::Linear) => Err("a product of two columns".into()),
                    _ => Err("a value times a condition".into()),
                },
                Operator::Divide if is_literal(right) => Ok(l),
                op => Err(format!("a value with the operator {op}")),
            }
        }
        Expr::Case(c) => {
            let mut out = Form::Weight;
            let branches = c.when_then_expr.iter().map(|(_, then)| then.as_ref());
            for branch in branches.chain(c.else_expr.as_deref()) {
                if form(branch, schema)? == Form::Linear {
                    out = Form::Linear;
                }
            }
            // `CASE x WHEN v THEN …`: its operand is compared, as a condition.
            Ok(out)
        }
        Expr::ScalarFunction(f) if PIECEWISE_LINEAR.contains(&f.func.name().to_ascii_lowercase().as_str()) => {
            let mut out = Form::Weight;
            for a in &f.args {
                if form(a, schema)? == Form::Linear {
                    out = Form::Linear;
                }
            }
            Ok(out)
        }
        Expr::ScalarFunction(f) => Err(format!("the function {}", f.func.name())),
        other => Err(format!("the expression {}", other.schema_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::functions::math::expr_fn::{abs, floor};
    use datafusion::logical_expr::{col, lit, when};

    fn schema() -> DFSchema {
        let s = Schema::new(vec![
            Field::new("points", DataType::Int64, false),
            Field::new("times", DataType::Int64, false),
            Field::new("age", DataType::Int64, false),
        ]);
        DFSchema::try_from(s).expect("schema")
    }

    fn accepted(e: Expr) -> bool {
        check_summed("SUM", &e, &schema()).is_ok()
    }

    #[test]
    fn linear_forms_and_weights_sum() {
        assert!(accepted(col("points")));
        assert!(accepted(col("points") * lit(10)));
        assert!(accepted(col("points") - col("times") * lit(2)));
        assert!(accepted(lit(1)));
        assert!(counts_rows(&lit(1), &schema()));
        assert!(counts_rows(
            &when(col("age").gt_eq(lit(65)), lit(1)).otherwise(lit(0)).expect("case"),
            &schema()
        ));
        assert!(!counts_rows(
            &when(col("age").gt_eq(lit(65)), lit(7)).end().expect("case"),
            &schema()
        ));
        assert!(!counts_rows(&col("age"), &schema()));
        assert!(accepted(
            when(col("age").gt_eq(lit(65)), lit(1)).otherwise(lit(0)).expect("case")
        ));
        assert!(accepted(
            when(col("age").gt_eq(lit(65)), col("points")).end().expect("case")
        ));
        assert!(accepted(abs(col("points"))));
    }

    #[test]
    fn products_constants_and_other_functions_do_not() {
        assert!(!accepted(col("points") * col("times")));
        assert!(!accepted(col("age") * col("age") * lit(3)));
        assert!(!accepted(col("points") + lit(1_000_000)));
        assert!(!accepted(
            when(col("age").gt_eq(lit(65)), col("points") + lit(5))
                .end()
                .expect("case")
        ));
        assert!(!accepted(
            col("age")
                .gt_eq(lit(65))
                .cast_to(&DataType::Int64, &schema())
                .expect("cast")
                * col("points")
        ));
        assert!(!accepted(floor(col("points"))));
        assert!(!accepted(col("age") * lit(94_116_375_560_044_609i64)));
        assert!(!accepted((col("age") * lit(1000)) * lit(1000) * lit(10)));
        assert!(accepted(col("points") * lit(1000) / lit(10)));
    }
}
