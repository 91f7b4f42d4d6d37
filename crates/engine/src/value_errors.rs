//! No error that depends on the data. A query that fails only when some row holds some value
//! answers a yes/no question about rows no disclosure check has seen: `1 / (age - 106)` fails
//! if and only if someone is 106, and with enough conditions that someone is one person. So
//! before the plan is checked, the expressions that can fail on a value are made total:
//!
//! - every CAST becomes TRY_CAST: a value that does not convert is NULL;
//! - every division and modulo by zero gives NULL (the divisor is wrapped in `nullif(d, 0)`),
//!   and an integer one by -1 is negation or zero (the smallest integer over -1 overflows);
//! - `abs` of an integer is a CASE (`abs` of the smallest integer overflows).
//!
//! Casts that cannot fail (to text, widening numbers) and divisions by a literal are left as
//! they are. Inside GROUPING SETS / ROLLUP / CUBE an expression cannot be rewritten without
//! renaming the output column, so a cast or division that would need it is refused there.
//!
//! Which functions and operators a query may use at all is `allowlist.rs`. Error messages
//! never carry a value (see `error.rs`).

use crate::allowlist;
use crate::refuse;
use crate::rewrite::coerced;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, DFSchemaRef, Result, ScalarValue};
use datafusion::functions::core::expr_fn::nullif;
use datafusion::logical_expr::expr::{Cast, TryCast};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, lit, when};
use std::sync::Arc;

/// `plan` (and its subqueries) with every value-dependent failure turned into NULL.
pub fn without_value_errors(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        let schema = expression_schema(&node);
        if let LogicalPlan::Aggregate(a) = &node {
            for e in a.group_expr.iter().filter(|e| matches!(e, Expr::GroupingSet(_))) {
                if e.clone().transform_up(|e| total(e, &schema))?.transformed {
                    return Err(refuse(
                        "a CAST or a division inside GROUPING SETS, ROLLUP or CUBE: compute it in a subquery first"
                            .into(),
                    ));
                }
            }
        }
        // Parents refer to an expression by its name: the rewritten one keeps it.
        let names = NamePreserver::new(&node);
        node.map_expressions(|e| {
            let name = names.save(&e);
            Ok(e.transform_up(|e| total(e, &schema))?.update_data(|e| name.restore(e)))
        })
    })
    .map(|t| t.data)
}

/// The columns a node's expressions read: its one input's, else its own (a join's output
/// holds both sides; a leaf reads its own columns; a union has no expressions).
fn expression_schema(node: &LogicalPlan) -> DFSchemaRef {
    match node.inputs().as_slice() {
        [input] => Arc::clone(input.schema()),
        _ => Arc::clone(node.schema()),
    }
}

/// Casts that succeed for every value: to text, to the same type, and integer or float
/// widening.
fn cast_cannot_fail(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    from == to
        || matches!(to, Utf8 | LargeUtf8 | Utf8View)
        || matches!(
            (from, to),
            (Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32 | Int64, Int64)
                | (Int8 | Int16 | UInt8 | UInt16 | Int32, Int32)
                | (
                    Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float32 | Float64,
                    Float64
                )
        )
}

/// Whether a literal is the number -1.
fn is_minus_one(e: &Expr) -> bool {
    match e {
        Expr::Literal(v, _) => v
            .cast_to(&DataType::Int64)
            .is_ok_and(|v| v == ScalarValue::Int64(Some(-1))),
        _ => false,
    }
}

fn total(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    allowlist::check(&e, schema)?;
    match e {
        Expr::Cast(Cast { expr, field }) => {
            let safe = matches!(*expr, Expr::Literal(..))
                || expr
                    .get_type(schema)
                    .is_ok_and(|from| cast_cannot_fail(&from, field.data_type()));
            Ok(if safe {
                Transformed::no(Expr::Cast(Cast { expr, field }))
            } else {
                Transformed::yes(Expr::TryCast(TryCast::new_from_field(expr, field)))
            })
        }
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: op @ (Operator::Divide | Operator::Modulo),
            right,
        }) => {
            let literal = matches!(*right, Expr::Literal(..));
            let signed = left.get_type(schema).ok().filter(DataType::is_signed_integer);
            let minus_one = signed.is_some() && (!literal || is_minus_one(&right));
            if literal && !minus_one {
                return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr::new(left, op, right))));
            }
            // The smallest integer divided by -1 overflows, with an error: x / -1 is x * -1
            // (which wraps, as DataFusion's integer arithmetic does; a negation of a literal
            // does not), and x % -1 is 0.
            let at_minus_one = match (op, &signed) {
                (Operator::Divide, _) => (*left).clone() * lit(-1i64),
                (_, Some(t)) => lit(ScalarValue::new_zero(t)?),
                (_, None) => lit(0i64),
            };
            if literal {
                return Ok(Transformed::yes(coerced(at_minus_one, schema)?));
            }
            // A divisor whose type is not known here (an outer reference of a correlated
            // subquery) is left as it is; its zero is typed like it so no cast is needed.
            let zero = right.get_type(schema).ok().and_then(|t| ScalarValue::new_zero(&t).ok());
            let divisor = match zero {
                Some(zero) => Box::new(coerced(nullif((*right).clone(), lit(zero)), schema)?),
                None => right.clone(),
            };
            let quotient = Expr::BinaryExpr(BinaryExpr::new(left, op, divisor));
            if !minus_one {
                return Ok(Transformed::yes(quotient));
            }
            let e = when((*right).eq(lit(-1i64)), at_minus_one).otherwise(quotient)?;
            Ok(Transformed::yes(coerced(e, schema)?))
        }
        // `abs` of the smallest integer overflows, with an error: the same as a CASE, whose
        // product by -1 wraps instead.
        Expr::ScalarFunction(f)
            if f.func.name().eq_ignore_ascii_case("abs")
                && f.args.len() == 1
                && f.args[0].get_type(schema).is_ok_and(|t| t.is_signed_integer()) =>
        {
            let x = f.args[0].clone();
            let e = when(x.clone().lt(lit(0i64)), x.clone() * lit(-1i64)).otherwise(x)?;
            Ok(Transformed::yes(coerced(e, schema)?))
        }
        other => Ok(Transformed::no(other)),
    }
}
