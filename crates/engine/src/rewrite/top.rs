//! The plan above the final aggregate (projections, ORDER BY, HAVING) and what each of its
//! columns is made of; the policy's limits on what a rounding policy releases.

use super::HAVING_COLUMN;
use super::carried::{hidden_col, hidden_tail};
use super::lineage::Rewriter;
use super::predicates::{check_no_subqueries, check_projection_expr};
use crate::control::ColumnRule;
use crate::control::ControlSpec;
use crate::refuse;
use datafusion::common::{DFSchemaRef, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, Projection, Sort};
use renkei_disclosure::Policy;
use std::sync::Arc;

impl Rewriter<'_> {
    /// Rewrites the whole query: the final aggregate and what follows it, wrapped for the
    /// control node.
    pub(super) fn checked(&mut self, plan: LogicalPlan, policy: &Policy) -> Result<(LogicalPlan, ControlSpec)> {
        let (plan, mut parts) = self.top(plan)?;
        // A HAVING is evaluated on the exact values: where counts are released rounded,
        // `HAVING count(*) = 17` would tell the exact count that shows as 15.
        if parts.spec.having.is_some() && policy.rounding_base.is_some() {
            return Err(refuse(
                "HAVING is refused under a policy that rounds counts: it would test the exact values \
                 rounding hides (select groups by their keys in WHERE)"
                    .into(),
            ));
        }
        if policy.rounding_base.is_some() {
            rounding_releases_no_exact_count(&parts)?;
        }
        parts.spec.columns = parts
            .deps
            .iter()
            .map(|d| match d {
                Dep::Key => ColumnRule::Label,
                Dep::Value { aggregates, bare } => ColumnRule::Value {
                    aggregates: aggregates.clone(),
                    bare: *bare,
                },
            })
            .collect();
        parts.spec.policy = policy.clone();
        Ok((plan, parts.spec))
    }

    /// The plan above the final aggregate: projections and ORDER BY.
    pub(super) fn top(&mut self, plan: LogicalPlan) -> Result<(LogicalPlan, TopParts)> {
        match plan {
            LogicalPlan::Projection(p) => {
                let (input, parts) = self.top(Arc::unwrap_or_clone(p.input))?;
                let deps = p
                    .expr
                    .iter()
                    .map(|e| {
                        check_projection_expr(e)?;
                        dep_of(e, input.schema(), &parts.deps)
                    })
                    .collect::<Result<Vec<_>>>()?;
                let mut exprs = p.expr.clone();
                exprs.extend(hidden_tail(&input, parts.deps.len()).iter().map(|n| hidden_col(n)));
                let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?);
                Ok((plan, TopParts { deps, ..parts }))
            }
            LogicalPlan::Sort(s) => {
                if s.fetch.is_some() {
                    return Err(refuse("LIMIT/OFFSET can single out rows".into()));
                }
                let (input, parts) = self.top(Arc::unwrap_or_clone(s.input))?;
                // Rows in the order of their values would place each hidden value between
                // its released neighbours.
                for sort in &s.expr {
                    if let Dep::Value { .. } = dep_of(&sort.expr, input.schema(), &parts.deps)? {
                        return Err(refuse(
                            "ORDER BY an aggregate value would place hidden cells between released ones: order by the group keys"
                                .into(),
                        ));
                    }
                }
                Ok((
                    LogicalPlan::Sort(Sort {
                        expr: s.expr,
                        input: Arc::new(input),
                        fetch: None,
                    }),
                    parts,
                ))
            }
            LogicalPlan::Filter(f) => {
                let (input, mut parts) = self.top(Arc::unwrap_or_clone(f.input))?;
                if parts.spec.having.is_some() {
                    return Err(refuse("more than one HAVING filter".into()));
                }
                check_no_subqueries(&f.predicate, "HAVING")?;
                // The verdict travels as a hidden column: rows it drops are withheld by the
                // control node, so a HAVING cannot reveal a small cell by its presence.
                let mut exprs: Vec<Expr> = input.schema().columns().into_iter().map(Expr::Column).collect();
                exprs.push(f.predicate.clone().alias(HAVING_COLUMN));
                let input_schema = &Arc::clone(input.schema());
                let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?);
                parts.spec.having = Some(HAVING_COLUMN.to_string());
                if let Dep::Value { aggregates, .. } = dep_of(&f.predicate, input_schema, &parts.deps)? {
                    parts.spec.having_aggregates = aggregates;
                }
                Ok((plan, parts))
            }
            LogicalPlan::Aggregate(a) => self.final_aggregate(a),
            LogicalPlan::Union(_) => Err(refuse(
                "UNION of outputs is not supported: use GROUPING SETS, ROLLUP or CUBE for totals, \
                 so that secondary suppression sees their relations"
                    .into(),
            )),
            LogicalPlan::Window(_) => Err(refuse("window functions are refused".into())),
            LogicalPlan::Limit(_) => Err(refuse("LIMIT/OFFSET can single out rows".into())),
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => Err(refuse("EXPLAIN is refused".into())),
            LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => Err(refuse(
                "the query reads no warehouse table; there is nothing to check".into(),
            )),
            other if is_non_query(&other) => Err(refuse("only queries are allowed".into())),
            _ => Err(refuse(
                "row-level output is refused: the query must end in an aggregation (GROUP BY or an aggregate function)"
                    .into(),
            )),
        }
    }
}

/// What a visible column above the final aggregate is: a label (made of group keys) or a
/// value made of the user's aggregates.
#[derive(Clone, Debug)]
pub(super) enum Dep {
    Key,
    Value { aggregates: Vec<usize>, bare: bool },
}

/// The spec being built, and the dependency of each visible column.
pub(super) struct TopParts {
    pub(super) spec: ControlSpec,
    pub(super) deps: Vec<Dep>,
}

pub(super) fn dep_of(e: &Expr, input: &DFSchemaRef, deps: &[Dep]) -> Result<Dep> {
    let mut used = Vec::new();
    let mut bare = false;
    for c in e.column_refs() {
        if let Some(Dep::Value { aggregates, bare: b }) = deps.get(input.index_of_column(c)?) {
            used.extend(aggregates.iter().copied());
            // Aliases nest (`count(*) AS n` can arrive as an alias of an alias): a column
            // under any number of them is bare, and a COUNT of it is rounded as one.
            bare = *b && matches!(e.clone().unalias_nested().data, Expr::Column(_));
        }
    }
    used.sort_unstable();
    used.dedup();
    Ok(if used.is_empty() {
        Dep::Key
    } else {
        Dep::Value { aggregates: used, bare }
    })
}

/// Under a policy that rounds counts, every count leaves rounded, and nothing else may carry
/// one exactly. A policy that rounds counts releases counts only:
/// - a value computed from a count (`count(*) + 0`) is refused;
/// - a SUM of ones and zeros (`sum(1)`, `sum(CASE WHEN … THEN 1 ELSE 0 END)`) is a count,
///   rounded as one; any other SUM or AVG is refused, since a total of a value fixed in its
///   group gives the count back (`sum(sex)` over the men is their count, `sum(7)` rounded to
///   5 pins it down, `sum(x) / avg(x)` is it).
pub(super) fn rounding_releases_no_exact_count(parts: &TopParts) -> Result<()> {
    if parts
        .spec
        .aggregates
        .iter()
        .any(|r| r.is_mean || (r.is_sum && !r.is_count))
    {
        return Err(refuse(
            "under a policy that rounds counts only counts are released: SUM and AVG are refused (a total \
             of a value fixed in its group gives the exact count back); SUM of ones and zeros is a count"
                .into(),
        ));
    }
    for dep in &parts.deps {
        if let Dep::Value {
            aggregates,
            bare: false,
        } = dep
            && aggregates.iter().any(|j| parts.spec.aggregates[*j].is_count)
        {
            return Err(refuse(
                "arithmetic on a COUNT is refused under a policy that rounds counts: its result would carry \
                 the exact count (release the COUNT itself, which is rounded)"
                    .into(),
            ));
        }
    }
    Ok(())
}

pub(super) fn is_non_query(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Statement(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::DescribeTable(_)
            | LogicalPlan::Extension(_)
    )
}
