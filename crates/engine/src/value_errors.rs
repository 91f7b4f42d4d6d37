//! No error that depends on the data. A query that fails only when some row holds some value
//! answers a yes/no question about rows no disclosure check has seen: `1 / (age - 106)` fails
//! if and only if someone is 106, and with enough conditions that someone is one person. So
//! before the plan is checked, the expressions that can fail on a value are made total:
//!
//! - every CAST becomes TRY_CAST: a value that does not convert is NULL;
//! - every division and modulo by zero gives NULL (the divisor is wrapped in `nullif(d, 0)`).
//!
//! Casts that cannot fail (to text, widening numbers) and divisions by a literal are left as
//! they are. Inside GROUPING SETS / ROLLUP / CUBE an expression cannot be rewritten without
//! renaming the output column, so a cast or division that would need it is refused there.
//!
//! Scalar functions that reject some inputs (`to_date` of a malformed text, `chr` of an
//! invalid code point, `power(2, x)` overflowing, a regular expression built from data) are
//! refused unless the arguments that can make them fail are literals: such a query fails or
//! not whatever the data hold. The list is of the functions this engine enables that are
//! known to fail on a value; their messages never carry one (see `error.rs`).

use crate::refuse;
use crate::rewrite::coerced;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, DFSchemaRef, Result, ScalarValue};
use datafusion::functions::core::expr_fn::nullif;
use datafusion::logical_expr::expr::{Cast, TryCast};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, lit};
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

/// The functions that can fail on a value, and from which argument on theirs must be
/// literals (0: all of them; 1: all but the data they work on).
const FALLIBLE_FUNCTIONS: &[(&str, usize)] = &[
    ("to_date", 0),
    ("to_timestamp", 0),
    ("to_timestamp_seconds", 0),
    ("to_timestamp_millis", 0),
    ("to_timestamp_micros", 0),
    ("to_timestamp_nanos", 0),
    ("to_unixtime", 0),
    ("to_local_time", 0),
    ("make_date", 0),
    ("arrow_cast", 0),
    ("chr", 0),
    ("factorial", 0),
    ("gcd", 0),
    ("lcm", 0),
    ("power", 1),
    ("pow", 1),
    ("substr", 1),
    ("substring", 1),
    ("repeat", 1),
    ("lpad", 1),
    ("rpad", 1),
    ("split_part", 1),
    ("to_char", 1),
    ("date_format", 1),
    ("date_bin", 0),
    ("regexp_like", 1),
    ("regexp_match", 1),
    ("regexp_replace", 1),
    ("regexp_count", 1),
    ("regexp_instr", 1),
];

/// Refuses a call of a fallible function whose failing arguments are not literals.
fn check_fallible_call(e: &Expr) -> Result<()> {
    let Expr::ScalarFunction(f) = e else {
        return Ok(());
    };
    let name = f.func.name().to_ascii_lowercase();
    let Some((_, from)) = FALLIBLE_FUNCTIONS.iter().find(|(n, _)| *n == name) else {
        return Ok(());
    };
    if f.args.iter().skip(*from).all(|a| matches!(a, Expr::Literal(..))) {
        return Ok(());
    }
    let which = if *from == 0 {
        "its arguments"
    } else {
        "its arguments after the first"
    };
    Err(refuse(format!(
        "{name} fails on some values, so whether the query fails would tell whether they occur; \
         {which} must be literals"
    )))
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

fn total(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    check_fallible_call(&e)?;
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
        }) if !matches!(*right, Expr::Literal(..)) => {
            // A divisor whose type is not known here (an outer reference of a correlated
            // subquery) is left as it is; its zero is typed like it so no cast is needed.
            let zero = right.get_type(schema).ok().and_then(|t| ScalarValue::new_zero(&t).ok());
            let right = match zero {
                Some(zero) => Box::new(coerced(nullif(*right, lit(zero)), schema)?),
                None => right,
            };
            Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(left, op, right))))
        }
        other => Ok(Transformed::no(other)),
    }
}
