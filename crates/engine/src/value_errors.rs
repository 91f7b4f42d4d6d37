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
//! Scalar functions and operators are an **allowlist** (`FUNCTIONS`, `known_operator`): a
//! function is callable only when it is known to be total on every input once the arguments
//! listed for it are literals (`to_date` of a malformed text, `chr` of an invalid code point,
//! `power` overflowing and a regular expression built from data all fail, so theirs must be
//! literals); anything not listed is refused by name, so a function nobody reviewed cannot
//! become a yes/no question. Patterns (`~`, LIKE) must be literals. Error messages never
//! carry a value (see `error.rs`).

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
    // Numbers (on floats these give NaN or infinity, never an error).
    ("abs", &[]),
    ("ceil", &[]),
    ("floor", &[]),
    ("trunc", &[1]),
    ("round", &[1]),
    ("signum", &[]),
    ("sqrt", &[]),
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
    ("replace", &[]),
    ("translate", &[]),
    ("substr", &[1, 2]),
    ("substring", &[1, 2]),
    ("left", &[1]),
    ("right", &[1]),
    ("lpad", &[1, 2]),
    ("rpad", &[1, 2]),
    ("repeat", &[1]),
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

/// Refuses a call of a function not on the list, or with a non-literal where it needs one.
fn check_call(e: &Expr) -> Result<()> {
    let Expr::ScalarFunction(f) = e else {
        return Ok(());
    };
    let name = f.func.name().to_ascii_lowercase();
    let Some((_, literal)) = FUNCTIONS.iter().find(|(n, _)| *n == name) else {
        return Err(refuse(format!(
            "the function {name} is not one the checks know to be total on every value, and is refused"
        )));
    };
    if f.args
        .iter()
        .enumerate()
        .all(|(i, a)| !literal.contains(&i) || is_literal(a))
    {
        return Ok(());
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

/// The operators of the grammar; others (bitwise, JSON, array) are refused.
fn known_operator(op: Operator) -> bool {
    use Operator::*;
    pattern_operator(op)
        || matches!(
            op,
            Eq | NotEq
                | Lt
                | LtEq
                | Gt
                | GtEq
                | Plus
                | Minus
                | Multiply
                | Divide
                | Modulo
                | And
                | Or
                | IsDistinctFrom
                | IsNotDistinctFrom
                | StringConcat
        )
}

/// Refuses expressions outside the grammar that are not function calls: unknown operators,
/// patterns taken from data.
fn check_operator(e: &Expr) -> Result<()> {
    let pattern_from_data = |p: &Expr| !is_literal(p);
    match e {
        Expr::BinaryExpr(BinaryExpr { op, right, .. }) => {
            if !known_operator(*op) {
                return Err(refuse(format!("the operator {op} is refused")));
            }
            if pattern_operator(*op) && pattern_from_data(right) {
                return Err(refuse(format!(
                    "the pattern of {op} must be a literal: a pattern from data can fail to compile on some values"
                )));
            }
        }
        Expr::Like(l) | Expr::SimilarTo(l) if pattern_from_data(&l.pattern) => {
            return Err(refuse(
                "the pattern of LIKE or SIMILAR TO must be a literal: a pattern from data can fail on some values"
                    .into(),
            ));
        }
        _ => {}
    }
    Ok(())
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
    check_call(&e)?;
    check_operator(&e)?;
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
