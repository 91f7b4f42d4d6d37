//! Conditions inside aggregate values (CASE, comparisons cast to numbers, functions that
//! turn at a threshold), whose persons on each side are counted, and the values refused for
//! weighing rows apart where none can be counted.

use crate::refuse;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::ExprSchemable;
use datafusion::logical_expr::{BinaryExpr, Case, Expr, Operator, lit};

/// Most conditions an aggregate's value may hold; each costs two distinct counts.
pub(super) const MAX_CONDITIONS: usize = 8;

/// The outermost boolean expressions inside aggregate arguments (CASE conditions,
/// comparisons cast to numbers), each once.
pub(super) fn conditions_in(args: &[Expr], schema: &DFSchema) -> Result<Vec<Expr>> {
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
pub(super) fn weighs_rows_apart(e: &Expr, schema: &DFSchema) -> bool {
    let mut found = false;
    let _ = e.apply(|n| {
        found = match n {
            Expr::Column(_) | Expr::Literal(..) | Expr::Alias(_) | Expr::Negative(_) => false,
            Expr::Cast(_) | Expr::TryCast(_) => n.get_type(schema).is_ok_and(|t| t == DataType::Boolean),
            // A constant added to a value (`count(DISTINCT setting) * 101 - 100` per person)
            // flattens what each row adds as `sum(points + c)` does: summed above, 1 for most
            // and 102 for a few gave the few by cell with nothing hidden (red team R16-5).
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                !matches!(op, Operator::Plus | Operator::Minus | Operator::Multiply)
                    || bend(n, schema).is_some()
                    || (matches!(op, Operator::Plus | Operator::Minus)
                        && (matches!(left.as_ref(), Expr::Literal(..)) || matches!(right.as_ref(), Expr::Literal(..))))
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
pub(super) fn bend(n: &Expr, schema: &DFSchema) -> Option<&'static str> {
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
pub(super) fn step_function(e: &Expr, schema: &DFSchema) -> Option<String> {
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
pub(super) fn threshold_of(n: &Expr) -> Option<Expr> {
    let Expr::ScalarFunction(f) = n else { return None };
    match (f.name().to_lowercase().as_str(), f.args.as_slice()) {
        ("least" | "greatest", [a, b]) => Some(a.clone().lt(b.clone())),
        ("abs", [x]) => Some(x.clone().lt(lit(0))),
        _ => None,
    }
}

pub(super) fn is_null_or_zero(e: &Expr) -> bool {
    match e {
        Expr::Literal(v, _) => v.is_null() || ScalarValue::new_zero(&v.data_type()).is_ok_and(|z| &z == v),
        Expr::Cast(c) => is_null_or_zero(&c.expr),
        Expr::TryCast(c) => is_null_or_zero(&c.expr),
        _ => false,
    }
}
