//! The functions and operators a query may use: an **allowlist**. A function is callable
//! only when it is known to be total on every input once the arguments listed for it are
//! literals (`to_date` of a malformed text, `chr` of an invalid code point, `power`
//! overflowing and a regular expression built from data all fail, so theirs must be
//! literals); anything not listed is refused by name, so a function nobody reviewed cannot
//! become a yes/no question about the data. Patterns (`~`, LIKE) must be literals.
//!
//! Literals are not enough by themselves: a failing constant fails exactly when some row
//! reaches it (a CASE branch, the right side of an AND, which DataFusion skips for batches
//! that do not need it), so `CASE WHEN age >= 98 THEN to_date('x') END` would fail if and
//! only if someone is 98. So every constant expression is evaluated here, at planning, and
//! every call with literal arguments is tried on a typical value for its other arguments: a
//! failure refuses the query, whatever the data. Intervals added to dates are bounded, so no
//! date of the warehouse can overflow by them.

mod text;

use crate::refuse;
use crate::rewrite::is_comparison;
use datafusion::arrow::array::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::execution_props::ExecutionProps;
use datafusion::logical_expr::expr::{Cast, Like, ScalarFunction, TryCast};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, Operator, Volatility, lit};
use datafusion::physical_expr::create_physical_expr;
use std::sync::Arc;
use text::{no_text_growth, text};

/// The longest literal a query may hold.
const MAX_TEXT_LITERAL: usize = 1000;

/// Refuses `e` (one node of an expression; its children are checked on their own) when it
/// is outside the allowlist, or when it fails on a literal or typical input.
pub fn check(e: &Expr, schema: &DFSchema) -> Result<()> {
    // A long text literal, repeated into every row, can overflow a batch's string buffer, as
    // many rows reach it or few.
    if let Expr::Literal(v, _) = e
        && v.to_string().len() > MAX_TEXT_LITERAL
    {
        return Err(refuse(format!("literals of over {MAX_TEXT_LITERAL} bytes are refused")));
    }
    check_call(e, schema)?;
    check_operator(e, schema)?;
    if is_evaluable_constant(e) {
        evaluate(e).map_err(|_| {
            refuse(format!(
                "the constant {} fails; whether the query failed would tell whether a row reaches it",
                e.schema_name()
            ))
        })?;
    }
    Ok(())
}

/// Every argument position (no scalar function here takes more).
const ALL: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7];

/// The scalar functions a query may call, each with the argument positions that must be
/// literals. The list is of functions that cannot fail on any input once those are literal:
/// a function not on it is refused, naming it, whatever it does (an allowlist: a function
/// DataFusion adds, or one that fails on a value nobody thought of, is not callable until
/// it is shown total and listed). `abs` and integer division are made total below.
const FUNCTIONS: &[(&str, &[usize])] = &[
    // Nulls and choices.
    ("coalesce", &[]),
    ("nullif", &[]),
    ("nvl", &[]),
    ("ifnull", &[]),
    ("nvl2", &[]),
    ("greatest", &[]),
    ("least", &[]),
    // Numbers (on floats these give NaN or infinity, never an error; `sqrt` of a negative
    // number fails, and is not here).
    ("abs", &[]),
    ("ceil", &[]),
    ("floor", &[]),
    ("trunc", &[1]),
    ("round", &[1]),
    ("signum", &[]),
    ("cbrt", &[]),
    ("ln", &[]),
    ("log", &[]),
    ("log2", &[]),
    ("log10", &[]),
    ("exp", &[]),
    ("isnan", &[]),
    ("iszero", &[]),
    ("nanvl", &[]),
    // Integer powers overflow with an error: only of literals.
    ("power", ALL),
    ("pow", ALL),
    // Text.
    ("lower", &[]),
    ("upper", &[]),
    ("btrim", &[]),
    ("trim", &[]),
    ("ltrim", &[]),
    ("rtrim", &[]),
    ("length", &[]),
    ("char_length", &[]),
    ("character_length", &[]),
    ("octet_length", &[]),
    ("bit_length", &[]),
    ("concat", &[]),
    ("concat_ws", &[]),
    ("starts_with", &[]),
    ("ends_with", &[]),
    ("strpos", &[]),
    ("instr", &[]),
    ("reverse", &[]),
    // `replace` and `regexp_replace` may not lengthen text (`no_text_growth`).
    ("replace", &[]),
    ("translate", &[]),
    ("substr", &[1, 2]),
    ("substring", &[1, 2]),
    ("left", &[1]),
    ("right", &[1]),
    ("split_part", &[1, 2]),
    ("regexp_like", &[1, 2, 3]),
    ("regexp_match", &[1, 2, 3]),
    ("regexp_replace", &[1, 2, 3]),
    ("regexp_count", &[1, 2, 3]),
    ("regexp_instr", &[1, 2, 3, 4, 5]),
    // Dates and times: formats and parts are literals; parsing text only of literals.
    ("now", &[]),
    ("current_date", &[]),
    ("current_time", &[]),
    ("date_part", &[0]),
    ("datepart", &[0]),
    ("date_trunc", &[0]),
    ("datetrunc", &[0]),
    ("to_char", &[1]),
    ("date_format", &[1]),
    ("date_bin", ALL),
    ("to_date", ALL),
    ("to_timestamp", ALL),
    ("to_timestamp_seconds", ALL),
    ("to_timestamp_millis", ALL),
    ("to_timestamp_micros", ALL),
    ("to_timestamp_nanos", ALL),
    ("to_unixtime", ALL),
    ("make_date", ALL),
    ("chr", ALL),
];

/// The functions of the list that take decimals without failing on any (the others fail on
/// some: `sqrt` and `ln` of a negative decimal).
const DECIMAL_ARGUMENTS: &[&str] = &[
    "coalesce", "nullif", "nvl", "ifnull", "nvl2", "greatest", "least", "abs", "ceil", "floor", "round", "trunc",
    "signum",
];

/// Refuses a call of a function not on the list, or with a non-literal where it needs one,
/// or whose literals fail on a typical value of its other arguments.
fn check_call(e: &Expr, schema: &DFSchema) -> Result<()> {
    let Expr::ScalarFunction(f) = e else {
        return Ok(());
    };
    let name = f.func.name().to_ascii_lowercase();
    let Some((_, literal)) = FUNCTIONS.iter().find(|(n, _)| *n == name) else {
        return Err(refuse(format!(
            "the function {name} is not one the checks know to be total on every value, and is refused"
        )));
    };
    // On floats `sqrt(-1)` is NaN; on a decimal it is an error, for the negative values only.
    if !DECIMAL_ARGUMENTS.contains(&name.as_str()) && f.args.iter().any(|a| is_decimal(a, schema)) {
        return Err(refuse(format!(
            "{name} of a decimal is refused: it fails on some decimal values (cast to DOUBLE first)"
        )));
    }
    no_text_growth(&name, &f.args)?;
    if name.starts_with("regexp_")
        && let Some(pattern) = f.args.get(1).and_then(text)
    {
        crate::pattern_cost::bounded(&pattern, crate::pattern_cost::Syntax::Regex)?;
    }
    if f.args
        .iter()
        .enumerate()
        .all(|(i, a)| !literal.contains(&i) || is_literal(a))
    {
        if literal.is_empty() || f.args.iter().all(is_literal) {
            return Ok(());
        }
        let args = f
            .args
            .iter()
            .map(|a| typical_for(a, schema))
            .collect::<Result<Vec<_>>>()?;
        let probe = Expr::ScalarFunction(ScalarFunction::new_udf(Arc::clone(&f.func), args));
        return evaluate(&probe).map_err(|_| {
            refuse(format!(
                "{name} fails with the literals given, so whether the query failed would tell whether a row \
                 reaches it"
            ))
        });
    }
    // In words, not positions: a refusal names no number the query did not write.
    let which = match literal.first() {
        Some(0) if literal.len() == 1 => "its first argument",
        Some(0) => "its arguments",
        _ => "its arguments after the first",
    };
    Err(refuse(format!(
        "{name} fails on some values, so whether the query fails would tell whether they occur; \
         {which} must be literals"
    )))
}

/// A literal, possibly cast or bound as a parameter: the same for every row.
pub(crate) fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Literal(..) | Expr::Placeholder(_) => true,
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => is_literal(expr),
        Expr::Alias(a) => is_literal(&a.expr),
        _ => false,
    }
}

/// Operators whose right side is a pattern: a pattern built from data can fail to compile
/// (`~ CASE WHEN age = 99 THEN '(' ELSE 'x' END`), so it must be a literal.
fn pattern_operator(op: Operator) -> bool {
    matches!(
        op,
        Operator::RegexMatch
            | Operator::RegexIMatch
            | Operator::RegexNotMatch
            | Operator::RegexNotIMatch
            | Operator::LikeMatch
            | Operator::ILikeMatch
            | Operator::NotLikeMatch
            | Operator::NotILikeMatch
    )
}

/// The operators of the grammar: comparisons and patterns, arithmetic, logic, text
/// concatenation; others (bitwise, JSON, array) are refused.
fn known_operator(op: Operator) -> bool {
    use Operator::*;
    is_comparison(op) || matches!(op, Plus | Minus | Multiply | Divide | Modulo | And | Or | StringConcat)
}

/// Refuses expressions outside the grammar that are not function calls: unknown operators,
/// patterns taken from data or failing on a typical text, unbounded intervals.
fn check_operator(e: &Expr, schema: &DFSchema) -> Result<()> {
    let bad_pattern = |what: &str| {
        refuse(format!(
            "the pattern of {what} must be a literal that compiles: a pattern that fails would fail on some rows only"
        ))
    };
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            if !known_operator(*op) {
                return Err(refuse(format!("the operator {op} is refused")));
            }
            if pattern_operator(*op) {
                let probe = Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(typical_for(left, schema)?),
                    *op,
                    right.clone(),
                ));
                if !is_literal(right) || evaluate(&probe).is_err() {
                    return Err(bad_pattern(&op.to_string()));
                }
                let syntax = match op {
                    Operator::LikeMatch | Operator::ILikeMatch | Operator::NotLikeMatch | Operator::NotILikeMatch => {
                        crate::pattern_cost::Syntax::Like
                    }
                    _ => crate::pattern_cost::Syntax::Regex,
                };
                if let Some(pattern) = text(right) {
                    crate::pattern_cost::bounded(&pattern, syntax)?;
                }
            }
            if matches!(op, Operator::Plus | Operator::Minus) {
                bounded_interval(left, right, schema)?;
                bounded_interval(right, left, schema)?;
            }
            if matches!(op, Operator::Divide | Operator::Modulo) && is_zero(right) {
                return Err(refuse("a division by the literal zero is refused".into()));
            }
            // Decimal arithmetic fails past its precision where integers wrap and floats go
            // to infinity: whether it failed would depend on the values. Decimals here have at
            // most 20 digits and scale 0 (casts to others are refused below), as DataFusion
            // makes when it mixes UInt64 with Int64: their sums, differences and quotients
            // fit, a product may not.
            if *op == Operator::Multiply && (is_decimal(left, schema) || is_decimal(right, schema)) {
                return Err(refuse(
                    "a product of decimals is refused: it fails past the precision on some values only \
                     (cast to DOUBLE or BIGINT first)"
                        .into(),
                ));
            }
        }
        // Dates come from the warehouse's date columns and from literals, all within 1900 to
        // 2100, which is what the bound on intervals and the trial of `to_char` on a typical
        // date rely on. A cast makes a date from a number or a text: `CAST(age * 20000000 AS
        // INT)` as a date is 5 million years ahead, and adding a year to it, or formatting it,
        // failed only on the rows a CASE sent there (a red-team pass read one claim's setting
        // and prefecture so).
        Expr::Cast(Cast { expr, field }) | Expr::TryCast(TryCast { expr, field })
            if matches!(
                field.data_type(),
                DataType::Date32
                    | DataType::Date64
                    | DataType::Timestamp(..)
                    | DataType::Time32(_)
                    | DataType::Time64(_)
            ) && !is_literal(expr)
                && !expr.get_type(schema).is_ok_and(|t| {
                    matches!(
                        t,
                        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) | DataType::Null
                    )
                }) =>
        {
            return Err(refuse(
                "a cast to a date or time of anything but a date or a literal is refused: a date made from a \
                 number or a text can lie anywhere in millions of years, where date arithmetic and formatting \
                 fail on some values only"
                    .into(),
            ));
        }
        // Decimals of more than 20 digits, or with a scale, could overflow a quotient's
        // scaling on large values only.
        Expr::Cast(Cast { field, .. }) | Expr::TryCast(TryCast { field, .. })
            if matches!(
                field.data_type(),
                DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s)
                    if *s != 0 || *p > 20
            ) || matches!(field.data_type(), DataType::Decimal256(..)) =>
        {
            return Err(refuse(
                "a cast to a DECIMAL of over 20 digits or with a scale is refused: decimal arithmetic fails past \
                 its precision on some values only (cast to DOUBLE)"
                    .into(),
            ));
        }
        Expr::Like(l) | Expr::SimilarTo(l) => {
            let probe = Expr::Like(Like {
                expr: Box::new(typical_for(&l.expr, schema)?),
                ..l.clone()
            });
            let probe = match e {
                Expr::SimilarTo(_) => match probe {
                    Expr::Like(l) => Expr::SimilarTo(l),
                    other => other,
                },
                _ => probe,
            };
            if !is_literal(&l.pattern) || evaluate(&probe).is_err() {
                return Err(bad_pattern("LIKE or SIMILAR TO"));
            }
            if let Some(pattern) = text(&l.pattern) {
                let syntax = match e {
                    Expr::SimilarTo(_) => crate::pattern_cost::Syntax::SimilarTo,
                    _ => crate::pattern_cost::Syntax::Like,
                };
                crate::pattern_cost::bounded(&pattern, syntax)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn decimal_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..)
    )
}

fn is_decimal(e: &Expr, schema: &DFSchema) -> bool {
    e.get_type(schema).is_ok_and(|t| decimal_type(&t))
}

/// Most years an interval added to a date may span: warehouse dates lie within 1900–2100, so
/// any result stays far inside every date type's range, and no row can overflow.
const MAX_INTERVAL_YEARS: i64 = 200;

/// An interval added to or taken from `other` must be a literal of at most
/// [`MAX_INTERVAL_YEARS`], and `other` a date: a timestamp in nanoseconds ends in 2262.
fn bounded_interval(interval: &Expr, other: &Expr, schema: &DFSchema) -> Result<()> {
    if !interval
        .get_type(schema)
        .is_ok_and(|t| matches!(t, DataType::Interval(_)))
    {
        return Ok(());
    }
    let days = match literal_value(interval) {
        Some(ScalarValue::IntervalYearMonth(Some(m))) => Some(i64::from(*m) * 31),
        Some(ScalarValue::IntervalDayTime(Some(v))) => Some(i64::from(v.days) + i64::from(v.milliseconds) / 86_400_000),
        Some(ScalarValue::IntervalMonthDayNano(Some(v))) => Some(
            i64::from(v.months)
                .saturating_mul(31)
                .saturating_add(i64::from(v.days))
                .saturating_add(v.nanoseconds / 86_400_000_000_000),
        ),
        _ => None,
    };
    let on_a_date = other
        .get_type(schema)
        .is_ok_and(|t| matches!(t, DataType::Date32 | DataType::Date64));
    match days {
        Some(d) if d.unsigned_abs() <= (MAX_INTERVAL_YEARS * 366) as u64 && on_a_date => Ok(()),
        _ => Err(refuse(format!(
            "an interval is allowed only as a literal of at most {MAX_INTERVAL_YEARS} years added to or taken \
             from a date: beyond, some dates would overflow and others not"
        ))),
    }
}

/// The value of a literal, under any casts.
pub(crate) fn literal_value(e: &Expr) -> Option<&ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v),
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => literal_value(expr),
        Expr::Alias(a) => literal_value(&a.expr),
        _ => None,
    }
}

fn is_zero(e: &Expr) -> bool {
    literal_value(e).is_some_and(|v| v.cast_to(&DataType::Float64).ok() == Some(ScalarValue::Float64(Some(0.0))))
}

/// Whether `e` reads no column and can be evaluated here: made of literals, operators and
/// scalar functions only (an aggregate's `count(1)` is not), and more than a literal.
fn is_evaluable_constant(e: &Expr) -> bool {
    // A cast literal is evaluated too: `CAST('x' AS INT)` fails.
    if matches!(e, Expr::Literal(..)) || e.is_volatile() {
        return false;
    }
    let mut constant = true;
    let _ = e.apply(|node| {
        // `now()` and the like (stable, not immutable) are the query's start time, which the
        // simplifier puts in; they cannot be evaluated alone and do not fail.
        constant &= matches!(
            node,
            Expr::Literal(..)
                | Expr::BinaryExpr(_)
                | Expr::Cast(_)
                | Expr::TryCast(_)
                | Expr::Case(_)
                | Expr::Not(_)
                | Expr::Negative(_)
                | Expr::IsNull(_)
                | Expr::IsNotNull(_)
                | Expr::Between(_)
                | Expr::InList(_)
                | Expr::Like(_)
                | Expr::SimilarTo(_)
                | Expr::Alias(_)
        ) || matches!(node, Expr::ScalarFunction(f) if f.func.signature().volatility == Volatility::Immutable);
        Ok(if constant {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    constant
}

/// Evaluates a column-free expression on one empty row.
fn evaluate(e: &Expr) -> Result<()> {
    let physical = create_physical_expr(
        e,
        &DFSchema::empty(),
        &ExecutionProps::new(),
        &PhysicalPlanningContext::default(),
    )?;
    let row = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    physical.evaluate(&row).map(|_| ())
}

/// `e` itself when it is a literal; else a typical value of its type: a text, a number, a
/// date of the warehouse's range.
fn typical_for(e: &Expr, schema: &DFSchema) -> Result<Expr> {
    if is_literal(e) {
        return Ok(e.clone());
    }
    let t = e.get_type(schema)?;
    let typical = match &t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ScalarValue::from("a").cast_to(&t)?,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => ScalarValue::from("2000-01-01").cast_to(&t)?,
        DataType::Boolean => ScalarValue::Boolean(Some(true)),
        t => ScalarValue::new_one(t).or_else(|_| ScalarValue::try_from(t))?,
    };
    Ok(lit(typical))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, FieldRef};
    use datafusion::logical_expr::ScalarUDF;
    use datafusion::logical_expr::type_coercion::functions::fields_with_udf;

    /// Values at the edges of each type a function may be given from data.
    fn edges() -> Vec<ScalarValue> {
        let mut v: Vec<ScalarValue> = [i64::MIN, -1, 0, 1, i64::MAX]
            .into_iter()
            .map(ScalarValue::from)
            .collect();
        v.extend(
            [f64::NEG_INFINITY, -1.0, -0.0, 0.0, 0.5, 1e308, f64::INFINITY, f64::NAN]
                .into_iter()
                .map(ScalarValue::from),
        );
        v.extend(["", "a", "日本語", "%", "\\"].into_iter().map(ScalarValue::from));
        v.extend([i32::MIN, -1, 0, 19_000, i32::MAX].map(|d| ScalarValue::Date32(Some(d))));
        v.push(ScalarValue::Null);
        v
    }

    /// Every function the list takes with any arguments is total: called with one or two
    /// values at the edges of every type it accepts, it returns, or is refused at planning
    /// (a wrong type), but never fails when evaluated. (`sqrt(-1)` failed, and is not listed.)
    #[test]
    fn functions_listed_without_literals_fail_on_no_value() {
        let udfs: Vec<Arc<ScalarUDF>> = datafusion::functions::all_default_functions();
        let (mut tried, mut failures) = (0, Vec::new());
        for (name, _) in FUNCTIONS.iter().filter(|(_, l)| l.is_empty()) {
            let Some(udf) = udfs
                .iter()
                .find(|u| u.name() == *name || u.aliases().iter().any(|a| a == name))
            else {
                continue;
            };
            // `now()` and the like are put in by the simplifier, not evaluated.
            if udf.signature().volatility != Volatility::Immutable {
                continue;
            }
            let values = edges();
            let mut calls: Vec<Vec<ScalarValue>> = values.iter().map(|a| vec![a.clone()]).collect();
            for a in &values {
                for b in &values {
                    calls.push(vec![a.clone(), b.clone()]);
                }
            }
            for args in calls {
                // Coerced as the planner would: a call its signature does not take is refused
                // at planning, whatever the data.
                let fields: Vec<FieldRef> = args
                    .iter()
                    .map(|a| Arc::new(Field::new("a", a.data_type(), true)))
                    .collect();
                let Ok(coerced) = fields_with_udf(&fields, udf.as_ref()) else {
                    continue;
                };
                let Ok(args) = args
                    .iter()
                    .zip(&coerced)
                    .map(|(a, f)| a.cast_to(f.data_type()))
                    .collect::<Result<Vec<_>>>()
                else {
                    continue;
                };
                // `abs` of an integer is a CASE by then (value_errors.rs).
                if *name == "abs" && args[0].data_type().is_signed_integer() {
                    continue;
                }
                let call = Expr::ScalarFunction(ScalarFunction::new_udf(
                    Arc::clone(udf),
                    args.iter().cloned().map(lit).collect(),
                ));
                // A call its signature does not take is refused at planning, whatever the data.
                let Ok(physical) = create_physical_expr(
                    &call,
                    &DFSchema::empty(),
                    &ExecutionProps::new(),
                    &PhysicalPlanningContext::default(),
                ) else {
                    continue;
                };
                let row = RecordBatch::try_new_with_options(
                    Arc::new(Schema::empty()),
                    vec![],
                    &RecordBatchOptions::new().with_row_count(Some(1)),
                )
                .expect("a row");
                tried += 1;
                if let Err(e) = physical.evaluate(&row) {
                    // COALESCE, NVL and the like are rewritten to CASE by the simplifier and
                    // never evaluated as calls.
                    if !e.to_string().contains("simplified") {
                        failures.push(format!("{name}({args:?}): {e}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(tried > 1000, "{tried} calls tried");
    }
}
