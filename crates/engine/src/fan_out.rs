//! How many times over a query can multiply one person's rows, decided from the SQL alone.
//!
//! Every warehouse table holds several rows per person (claims, diagnoses, stays, items …),
//! and a join on the person key pairs each of a person's rows in one table with each of
//! theirs in the other: a chain of k such joins makes r^(k+1) rows of a person with r rows.
//! A condition in the first join's ON selecting one target row left the join empty, and the
//! query answered at once, when no one met it, and made r^9 rows when one person did: 0.05 s
//! against 4.6 s with eight joins, against over 10 minutes with nine, and past the broker's
//! 15-minute limit, a refusal answering a yes/no question about one person, with twelve (a
//! red-team pass). So the rows a query pairs are counted here, on the plan, before it runs:
//!
//! - a scan of a warehouse table is one *factor* (several rows per person);
//! - a VALUES list of more than one row is one factor too (it repeats every row it is joined
//!   to), unless it is joined on a column whose literals are all different;
//! - a derived table grouped by the person key alone has one row per person: no factor;
//!   grouped by the person key and more (a person's months, cases), it has no more rows per
//!   person than what it groups, so it keeps that count, and one row per value of its keys;
//! - a join adds its two sides' factors, unless it sets equal all the columns of a key of one
//!   side (a per-person table's person key, a per-case table's person and case, a lookup
//!   list's code whose literals all differ): then each row meets at most one row of that
//!   side, and the join has the larger side's factors. A table's record keys (`claim_id`,
//!   `case_id`) are not keys here: nothing in the warehouse makes them unique, and several
//!   rows of one claim (its diagnoses, its drugs) share one;
//! - a semi-join (`IN (subquery)`, `EXISTS`) keeps its outer rows, but may compare each with
//!   each of the subquery's rows of the same person: its factors and the outer rows' count
//!   together.
//!
//! A relation may pair at most [`MAX_FACTORS`] factors (one many-to-many join, such as a
//! self-join of stays to find readmissions), and a semi-join may compare at most
//! [`MAX_SEMI_JOIN_FACTORS`]; beyond, the query is refused, naming the tables. The bound is
//! of the exponent, not of the time: what remains is that a query's time still grows with the
//! rows of the persons its conditions select, as the square of one person's rows at most
//! (docs/disclosure.md, "Running time").

use crate::allowlist::literal_value;
use crate::refuse;
use crate::rewrite::Classes;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{Cast, TryCast};
use datafusion::logical_expr::{
    Aggregate, BinaryExpr, Distinct, Expr, ExprSchemable, Join, JoinType, LogicalPlan, Operator, Subquery, Values,
};
use renkei_warehouse::ColumnClass;
use std::collections::{BTreeSet, HashSet};

/// Most tables of several rows per person (and VALUES lists) whose rows one row may pair.
pub const MAX_FACTORS: usize = 2;
/// Most such tables a semi-join may compare, its outer rows' and its subquery's together.
pub const MAX_SEMI_JOIN_FACTORS: usize = 3;

/// What the check knows of a relation.
#[derive(Debug, Clone)]
struct Shape {
    /// The tables of several rows per person (or VALUES lists) whose rows each row pairs,
    /// named as the query names them.
    factors: Vec<String>,
    /// Per output column: a bare person key.
    person: Vec<bool>,
    /// Sets of output columns no two rows agree on (where none is NULL): a join setting
    /// all of one set equal to the other side meets at most one row here. The empty set
    /// means at most one row.
    unique: Vec<Key>,
}

type Key = BTreeSet<usize>;

impl Shape {
    fn columns(factors: Vec<String>, width: usize) -> Self {
        Shape {
            factors,
            person: vec![false; width],
            unique: vec![],
        }
    }

    /// Whether the columns `set` hold one of the keys.
    fn keyed_by(&self, set: &Key) -> bool {
        self.unique.iter().any(|k| k.is_subset(set))
    }
}

/// Refuses a plan that pairs more rows of one person than [`MAX_FACTORS`] tables hold, or
/// whose semi-joins compare more than [`MAX_SEMI_JOIN_FACTORS`].
pub fn check(plan: &LogicalPlan, classes: &Classes) -> Result<()> {
    shape(plan, classes).map(|_| ())
}

fn shape(plan: &LogicalPlan, classes: &Classes) -> Result<Shape> {
    // The rows a subquery of this node's expressions is compared with: its input's.
    let mut outer = None;
    let s = match plan {
        LogicalPlan::TableScan(scan) => {
            let table = scan.table_name.table();
            let columns = classes.0.get(table);
            let person = scan
                .projected_schema
                .fields()
                .iter()
                .map(|f| columns.and_then(|c| c.get(f.name())) == Some(&ColumnClass::PersonKey))
                .collect::<Vec<_>>();
            Shape {
                factors: vec![table.to_string()],
                person,
                unique: vec![],
            }
        }
        LogicalPlan::SubqueryAlias(a) => {
            let mut s = shape(&a.input, classes)?;
            // A table named by its alias: `ndb_claims t1`.
            if let LogicalPlan::TableScan(scan) = a.input.as_ref() {
                s.factors = vec![format!("{} {}", scan.table_name.table(), a.alias.table())];
            }
            s
        }
        LogicalPlan::Projection(p) => {
            let input = shape(&p.input, classes)?;
            let from = |e: &Expr| bare_column(e).and_then(|c| p.input.schema().maybe_index_of_column(c));
            let at: Vec<Option<usize>> = p.expr.iter().map(from).collect();
            outer = Some(input.factors.clone());
            // A key survives when each of its columns is passed on bare.
            let unique = input
                .unique
                .iter()
                .filter_map(|k| {
                    k.iter()
                        .map(|i| at.iter().position(|a| *a == Some(*i)))
                        .collect::<Option<Key>>()
                })
                .collect();
            Shape {
                person: at.iter().map(|i| i.is_some_and(|i| input.person[i])).collect(),
                unique,
                factors: input.factors,
            }
        }
        LogicalPlan::Filter(f) => shape(&f.input, classes)?,
        LogicalPlan::Sort(s) => shape(&s.input, classes)?,
        LogicalPlan::Limit(l) => shape(&l.input, classes)?,
        LogicalPlan::Subquery(s) => shape(&s.subquery, classes)?,
        LogicalPlan::Join(j) => join(j, classes)?,
        LogicalPlan::Aggregate(a) => {
            let input = shape(&a.input, classes)?;
            outer = Some(input.factors.clone());
            aggregate(a, input)
        }
        LogicalPlan::Distinct(Distinct::All(input)) => {
            let s = shape(input, classes)?;
            let all = (0..s.person.len()).collect();
            // SELECT DISTINCT person_id: one row per person.
            let factors = if s.person == [true] { vec![] } else { s.factors };
            Shape {
                factors,
                person: s.person,
                unique: vec![all],
            }
        }
        LogicalPlan::Values(v) => values(v),
        LogicalPlan::EmptyRelation(e) => Shape {
            unique: vec![Key::new()],
            ..Shape::columns(vec![], e.schema.fields().len())
        },
        // Anything else (refused by the rewrite, or keeping its input's rows): the most
        // factors of its inputs, nothing known of its columns.
        other => {
            let mut factors = Vec::new();
            for input in other.inputs() {
                let s = shape(input, classes)?;
                if s.factors.len() > factors.len() {
                    factors = s.factors;
                }
            }
            Shape::columns(factors, other.schema().fields().len())
        }
    };
    // Filters, sorts and joins have their input's (or their pairs') rows.
    let outer = outer.unwrap_or_else(|| s.factors.clone());
    semi_joins(plan, &outer, classes)?;
    Ok(s)
}

/// A join: both sides' factors, or the larger side's where one side meets each row at most
/// once.
fn join(j: &Join, classes: &Classes) -> Result<Shape> {
    let (l, r) = (shape(&j.left, classes)?, shape(&j.right, classes)?);
    let (ls, rs) = (j.left.schema(), j.right.schema());
    // Pairs of (left column, right column) the join sets equal: its ON keys, and equalities
    // of its filter, where the SQL planner may leave them.
    let mut pairs: Vec<(usize, usize)> =
        j.on.iter()
            .filter_map(|(a, b)| Some((index(a, ls)?, index(b, rs)?)))
            .collect();
    if let Some(filter) = &j.filter {
        for c in datafusion::logical_expr::utils::split_conjunction(filter) {
            if let Expr::BinaryExpr(BinaryExpr {
                left: a,
                op: Operator::Eq,
                right: b,
            }) = c
            {
                match (index(a, ls), index(b, rs), index(b, ls), index(a, rs)) {
                    (Some(x), Some(y), _, _) | (_, _, Some(x), Some(y)) => pairs.push((x, y)),
                    _ => {}
                }
            }
        }
    }
    // Each left row meets at most one right row, or the other way round.
    let right_to_one = r.keyed_by(&pairs.iter().map(|(_, y)| *y).collect());
    let left_to_one = l.keyed_by(&pairs.iter().map(|(x, _)| *x).collect());
    let larger = |l: &Shape, r: &Shape| {
        if l.factors.len() >= r.factors.len() {
            l.factors.clone()
        } else {
            r.factors.clone()
        }
    };
    let paired = if right_to_one || left_to_one {
        larger(&l, &r)
    } else {
        l.factors.iter().chain(&r.factors).cloned().collect()
    };

    let s = match j.join_type {
        JoinType::LeftSemi | JoinType::LeftAnti | JoinType::RightSemi | JoinType::RightAnti => {
            semi_join(&paired, "a semi-join", &l.factors, &r.factors)?;
            if matches!(j.join_type, JoinType::LeftSemi | JoinType::LeftAnti) {
                l
            } else {
                r
            }
        }
        JoinType::LeftMark | JoinType::RightMark => {
            semi_join(&paired, "a semi-join", &l.factors, &r.factors)?;
            let mut s = if j.join_type == JoinType::LeftMark { l } else { r };
            s.person.push(false);
            s
        }
        _ => {
            if paired.len() > MAX_FACTORS {
                return Err(too_many(&paired));
            }
            // A side's keys stay keys where each of its rows meets at most one of the other's.
            let width = l.person.len();
            let mut unique = Vec::new();
            if right_to_one {
                unique.extend(l.unique.iter().cloned());
            }
            if left_to_one {
                unique.extend(r.unique.iter().map(|k| k.iter().map(|i| i + width).collect()));
            }
            Shape {
                factors: paired,
                person: l.person.into_iter().chain(r.person).collect(),
                unique,
            }
        }
    };
    Ok(s)
}

/// An aggregate inside the query: grouped by the person key alone, one row per person;
/// otherwise no more rows per person than it groups, and one row per value of its group
/// keys.
fn aggregate(a: &Aggregate, input: Shape) -> Shape {
    let width = a.schema.fields().len();
    if a.group_expr.iter().any(|e| matches!(e, Expr::GroupingSet(_))) {
        return Shape::columns(input.factors, width);
    }
    let person: Vec<bool> = a
        .group_expr
        .iter()
        .map(|e| {
            bare_column(e)
                .and_then(|c| a.input.schema().maybe_index_of_column(c))
                .is_some_and(|i| input.person[i])
        })
        .chain(std::iter::repeat(false))
        .take(width)
        .collect();
    let alone = a.group_expr.len() == 1;
    let factors = if alone && person[0] { vec![] } else { input.factors };
    Shape {
        factors,
        person,
        unique: vec![(0..a.group_expr.len()).collect()],
    }
}

/// A VALUES list: a factor if it has several rows; unique on each column whose literals all
/// differ.
fn values(v: &Values) -> Shape {
    let width = v.schema.fields().len();
    let factors = if v.values.len() > 1 {
        vec![format!("a VALUES list of {} rows", v.values.len())]
    } else {
        vec![]
    };
    let distinct = |i: usize| {
        let t = v.schema.field(i).data_type();
        let mut seen = HashSet::new();
        v.values.iter().all(|row| {
            row.get(i)
                .and_then(literal_value)
                .and_then(|x| x.cast_to(t).ok())
                .is_some_and(|x: ScalarValue| !x.is_null() && seen.insert(x))
        })
    };
    let unique = if v.values.len() <= 1 {
        vec![Key::new()]
    } else {
        (0..width).filter(|i| distinct(*i)).map(|i| Key::from([i])).collect()
    };
    Shape {
        factors,
        person: vec![false; width],
        unique,
    }
}

/// The subqueries of a node's expressions (IN, EXISTS): each is checked as a relation, and
/// as a semi-join with the node's rows.
fn semi_joins(plan: &LogicalPlan, outer: &[String], classes: &Classes) -> Result<()> {
    let mut subqueries: Vec<(&'static str, Subquery)> = Vec::new();
    plan.apply_expressions(|e| {
        e.apply(|n| {
            match n {
                Expr::InSubquery(i) => subqueries.push(("IN (subquery)", i.subquery.clone())),
                Expr::Exists(x) => subqueries.push(("EXISTS", x.subquery.clone())),
                Expr::ScalarSubquery(q) => subqueries.push(("a scalar subquery", q.clone())),
                _ => {}
            }
            Ok(TreeNodeRecursion::Continue)
        })
    })?;
    for (what, sub) in subqueries {
        let inner = shape(&sub.subquery, classes)?;
        let compared: Vec<String> = outer.iter().chain(&inner.factors).cloned().collect();
        semi_join(&compared, what, outer, &inner.factors)?;
    }
    Ok(())
}

/// Refuses a semi-join comparing more than [`MAX_SEMI_JOIN_FACTORS`] tables' rows.
fn semi_join(compared: &[String], what: &str, outer: &[String], inner: &[String]) -> Result<()> {
    if compared.len() <= MAX_SEMI_JOIN_FACTORS {
        return Ok(());
    }
    Err(refuse(format!(
        "{what} over the rows of {} ({}) is refused where the rows it tests pair {} ({}): it may compare each \
         of those rows with each of the same person's rows in the subquery, r^{} comparisons for a person with r \
         rows in each, so the running time would depend on the few persons the conditions select. At most \
         {MAX_SEMI_JOIN_FACTORS} tables of several rows per person are accepted across a semi-join and the rows \
         it tests; aggregate the subquery per person first (GROUP BY person_id)",
        count_tables(inner.len()),
        inner.join(", "),
        count_tables(outer.len()),
        outer.join(", "),
        compared.len(),
    )))
}

/// The refusal of a join pairing too many tables' rows.
fn too_many(paired: &[String]) -> datafusion::common::DataFusionError {
    refuse(format!(
        "joins pairing each row of a person with their rows in {} ({}) are refused: each join on the person \
         key multiplies a person's rows by their number of rows in the next table (r rows become r^{}), so the \
         running time would depend on the few persons the conditions select: at once when there is none, past \
         any time limit when one has many rows. At most {MAX_FACTORS} tables of several rows per person may be \
         joined (one many-to-many join, such as a self-join of stays); aggregate the others per person first (a \
         derived table grouped by person_id), or test them with EXISTS / IN",
        count_tables(paired.len()),
        paired.join(", "),
        paired.len(),
    ))
}

fn count_tables(n: usize) -> String {
    match n {
        1 => "one table".into(),
        n => format!("{n} tables"),
    }
}

/// The column an expression is, under aliases (not casts: a cast may map two values to one).
fn bare_column(e: &Expr) -> Option<&Column> {
    match e {
        Expr::Column(c) => Some(c),
        Expr::Alias(a) => bare_column(&a.expr),
        _ => None,
    }
}

/// The column of `schema` a join key is: bare, or under a cast that keeps different values
/// apart (text to text, integer to integer: type coercion puts these on a lookup list's
/// codes).
fn index(e: &Expr, schema: &DFSchema) -> Option<usize> {
    let e = match e {
        Expr::Cast(Cast { expr, field }) | Expr::TryCast(TryCast { expr, field }) => {
            let from = expr.get_type(schema).ok()?;
            let to = field.data_type();
            let text = |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
            if !(text(&from) && text(to) || from.is_integer() && to.is_integer()) {
                return None;
            }
            expr.as_ref()
        }
        e => e,
    };
    bare_column(e).and_then(|c| schema.maybe_index_of_column(c))
}
