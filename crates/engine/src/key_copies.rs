//! Removes the rewrite's hidden copies of key columns where the copied column is itself in
//! the plan. The rewrite (see [`crate::rewrite`]) gives every scan a hidden copy of its
//! person key and unit keys (`person_id AS __renkei_p1`) and passes the copies up through
//! every node, so that it can follow them without knowing which columns the user's query
//! keeps. Where the query keeps the key too, the copy is a second column holding the same
//! values: measured on `dpc_points_by_diagnosis`, it costs ~8 ms of ~200 ms, since every
//! repartition and hash join copies it row by row. This pass refers to the key itself
//! wherever it is still in a node's output, so a copy stays only where the query dropped its
//! key.
//!
//! Output names never change: a node that must see a copy under its name (a UNION's
//! branches, an aggregate grouping by it, the plan's root) gets it back from a projection.

use crate::rewrite::{is_key_copy, kept_sides};
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{Column, DFSchema, DFSchemaRef, Result};
use datafusion::logical_expr::{Aggregate, Expr, Filter, Join, LogicalPlan, Projection, Sort, SortExpr, SubqueryAlias};
use std::collections::HashMap;
use std::sync::Arc;

/// Copies removed below a node: hidden name → the column of the node's output with the same
/// values.
type Copies = HashMap<String, Column>;

/// `plan` with the hidden key copies it does not need removed; same output schema.
pub(crate) fn without_key_copies(plan: LogicalPlan) -> Result<LogicalPlan> {
    let schema = Arc::clone(plan.schema());
    let (plan, copies) = dropped(plan)?;
    let plan = restored(plan, &schema, &copies)?;
    debug_assert!(same_fields(plan.schema(), &schema));
    Ok(plan)
}

/// `plan` with copies removed, and where the removed copies' values now are.
fn dropped(plan: LogicalPlan) -> Result<(LogicalPlan, Copies)> {
    match plan {
        LogicalPlan::Projection(p) => projection(p),
        LogicalPlan::Filter(f) => {
            let (input, copies) = dropped(Arc::unwrap_or_clone(f.input))?;
            let predicate = substituted(f.predicate, &copies)?;
            Ok((
                LogicalPlan::Filter(Filter::try_new(predicate, Arc::new(input))?),
                copies,
            ))
        }
        LogicalPlan::Sort(s) => {
            let (input, copies) = dropped(Arc::unwrap_or_clone(s.input))?;
            let expr = s
                .expr
                .into_iter()
                .map(|e| {
                    Ok(SortExpr {
                        expr: substituted(e.expr, &copies)?,
                        ..e
                    })
                })
                .collect::<Result<_>>()?;
            let sort = Sort {
                expr,
                input: Arc::new(input),
                fetch: s.fetch,
            };
            Ok((LogicalPlan::Sort(sort), copies))
        }
        LogicalPlan::SubqueryAlias(a) => {
            let (input, copies) = dropped(Arc::unwrap_or_clone(a.input))?;
            let copies = copies
                .into_iter()
                .map(|(name, c)| (name, Column::new(Some(a.alias.clone()), c.name)))
                .collect();
            let plan = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(input), a.alias)?);
            Ok((plan, copies))
        }
        LogicalPlan::Join(j) => {
            let (left, mut copies) = dropped(Arc::unwrap_or_clone(j.left))?;
            let (right, right_copies) = dropped(Arc::unwrap_or_clone(j.right))?;
            let (keeps_left, keeps_right) = kept_sides(j.join_type);
            let both: Copies = copies.clone().into_iter().chain(right_copies.clone()).collect();
            let on =
                j.on.into_iter()
                    .map(|(l, r)| Ok((substituted(l, &both)?, substituted(r, &both)?)))
                    .collect::<Result<_>>()?;
            let filter = j.filter.map(|f| substituted(f, &both)).transpose()?;
            let joined = Join::try_new(
                Arc::new(left),
                Arc::new(right),
                on,
                filter,
                j.join_type,
                j.join_constraint,
                j.null_equality,
                j.null_aware,
            )?;
            if !keeps_left {
                copies.clear();
            }
            if keeps_right {
                copies.extend(right_copies);
            }
            Ok((LogicalPlan::Join(joined), copies))
        }
        LogicalPlan::Aggregate(a) => {
            let schema = Arc::clone(a.input.schema());
            let (input, copies) = dropped(Arc::unwrap_or_clone(a.input))?;
            if a.group_expr.iter().any(|e| refers_to(e, &copies)) {
                let input = restored(input, &schema, &copies)?;
                let plan = Aggregate::try_new(Arc::new(input), a.group_expr, a.aggr_expr)?;
                return Ok((LogicalPlan::Aggregate(plan), Copies::new()));
            }
            // The hidden aggregates are aliased, so substituting inside them keeps their
            // names; any other is given back its name.
            let aggr_expr = a
                .aggr_expr
                .into_iter()
                .map(|e| {
                    let name = e.schema_name().to_string();
                    let e = substituted(e, &copies)?;
                    Ok(if e.schema_name().to_string() == name {
                        e
                    } else {
                        e.alias(name)
                    })
                })
                .collect::<Result<_>>()?;
            let plan = Aggregate::try_new(Arc::new(input), a.group_expr, aggr_expr)?;
            Ok((LogicalPlan::Aggregate(plan), Copies::new()))
        }
        // Any other node (UNION, scans, VALUES) sees its inputs as they were.
        other => {
            let plan = other
                .map_children(|child| {
                    let schema = Arc::clone(child.schema());
                    let (child, copies) = dropped(child)?;
                    Ok(Transformed::yes(restored(child, &schema, &copies)?))
                })?
                .data
                .recompute_schema()?;
            Ok((plan, Copies::new()))
        }
    }
}

/// A projection: refers to removed copies by their columns, and removes its own copies of
/// columns it also projects.
fn projection(p: Projection) -> Result<(LogicalPlan, Copies)> {
    let (input, below) = dropped(Arc::unwrap_or_clone(p.input))?;
    let exprs = p
        .expr
        .into_iter()
        .map(|e| substituted(e, &below))
        .collect::<Result<Vec<_>>>()?;
    let input_schema = Arc::clone(input.schema());
    // The input column a projected expression is, bare or renamed.
    let bare = |e: &Expr| match e.clone().unalias() {
        Expr::Column(c) => input_schema.index_of_column(&c).ok(),
        _ => None,
    };
    let names: Vec<(Option<_>, String)> = p.schema.iter().map(|(q, f)| (q.cloned(), f.name().clone())).collect();
    let mut kept = Vec::new();
    // Per removed copy: the index in `kept` of the expression it copies.
    let mut removed: Vec<(String, usize)> = Vec::new();
    for (i, e) in exprs.iter().enumerate() {
        let name = &names[i].1;
        if is_key_copy(name)
            && let Some(source) = bare(e)
            && let Some(j) = exprs
                .iter()
                .enumerate()
                .position(|(j, other)| j != i && !is_key_copy(&names[j].1) && bare(other) == Some(source))
        {
            removed.push((name.clone(), j));
            continue;
        }
        kept.push(i);
    }
    let new_exprs: Vec<Expr> = kept
        .iter()
        .map(|&i| {
            let (qualifier, name) = &names[i];
            let e = exprs[i].clone();
            if e.qualified_name() == (qualifier.clone(), name.clone()) {
                e
            } else {
                e.unalias().alias_qualified(qualifier.clone(), name)
            }
        })
        .collect();
    let plan = LogicalPlan::Projection(Projection::try_new(new_exprs, Arc::new(input))?);
    let schema = plan.schema();
    let copies = removed
        .into_iter()
        .map(|(name, j)| {
            let at = kept.iter().position(|&k| k == j).expect("a copied column is kept");
            (name, Column::from(schema.qualified_field(at)))
        })
        .collect();
    Ok((plan, copies))
}

/// `e` with references to removed copies replaced by the columns they copied.
fn substituted(e: Expr, copies: &Copies) -> Result<Expr> {
    if copies.is_empty() {
        return Ok(e);
    }
    e.transform_up(|e| match &e {
        Expr::Column(c) if copies.contains_key(&c.name) => Ok(Transformed::yes(Expr::Column(copies[&c.name].clone()))),
        _ => Ok(Transformed::no(e)),
    })
    .data()
}

fn refers_to(e: &Expr, copies: &Copies) -> bool {
    e.column_refs().iter().any(|c| copies.contains_key(&c.name))
}

/// `plan` with its removed copies put back under their names, so that its output is
/// `schema` again.
fn restored(plan: LogicalPlan, schema: &DFSchemaRef, copies: &Copies) -> Result<LogicalPlan> {
    if copies.is_empty() {
        return Ok(plan);
    }
    let exprs = schema
        .iter()
        .map(|(q, f)| match copies.get(f.name()) {
            Some(c) => Expr::Column(c.clone()).alias_qualified(q.cloned(), f.name()),
            None => Expr::Column(Column::new(q.cloned(), f.name())),
        })
        .collect();
    let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(plan))?);
    debug_assert!(same_fields(plan.schema(), schema));
    Ok(plan)
}

fn same_fields(a: &DFSchema, b: &DFSchema) -> bool {
    a.iter().eq(b.iter())
}
