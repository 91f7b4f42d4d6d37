//! Joins: person lineages made one class by key equality, the hidden columns of both sides
//! carried, and whether the output still has one row per person.

use super::carried::{Carried, column_at};
use super::lineage::Rewriter;
use super::predicates::split_conjunction;
use datafusion::common::Result;
use datafusion::logical_expr::{
    BinaryExpr, Expr, Join, JoinType, LogicalPlan, LogicalPlanBuilder, Operator, Projection,
};
use std::collections::BTreeSet;
use std::sync::Arc;

impl Rewriter<'_> {
    pub(super) fn join(&mut self, j: Join) -> Result<Carried> {
        let l = self.carry(Arc::unwrap_or_clone(j.left))?;
        let r = self.carry(Arc::unwrap_or_clone(j.right))?;
        // ON pairs and the residual filter are predicates over both sides.
        let both = Carried {
            plan: LogicalPlanBuilder::from(l.plan.clone())
                .cross_join(r.plan.clone())?
                .build()?,
            visible: l.visible + r.visible,
            origins: l.origins.iter().chain(&r.origins).cloned().collect(),
            pid_of: l.pid_of.iter().chain(&r.pid_of).copied().collect(),
            persons: vec![],
            units: vec![],
            one_row_per_person: None,
        };
        // The cross join's schema puts the left's hidden columns between the sides: index
        // visible columns by name instead.
        let both = reindexed(both, &l, &r)?;
        for (le, re) in &j.on {
            let eq = le.clone().eq(re.clone());
            self.predicate(&eq, &both)?;
        }
        if let Some(f) = &j.filter {
            self.predicate(f, &both)?;
        }
        let one_row_per_person = one_to_one(j.join_type, &j.on, j.filter.as_ref(), &both, &l, &r);
        let (keeps_left, keeps_right) = kept_sides(j.join_type);
        let joined = LogicalPlan::Join(Join::try_new(
            Arc::new(l.plan.clone()),
            Arc::new(r.plan.clone()),
            j.on.clone(),
            j.filter.clone(),
            j.join_type,
            j.join_constraint,
            j.null_equality,
            j.null_aware,
        )?);
        // Reorder: visible columns of the kept sides (and a mark column), then hidden ones.
        let schema = Arc::clone(joined.schema());
        let col_at = |i: usize| column_at(&schema, i);
        let left_width = l.plan.schema().fields().len();
        let mut exprs = Vec::new();
        let (mut origins, mut pid_of, mut persons, mut units) = (vec![], vec![], vec![], vec![]);
        let mut hidden = Vec::new();
        let mut offset = 0;
        if keeps_left {
            exprs.extend((0..l.visible).map(col_at));
            origins.extend(l.origins.iter().cloned());
            pid_of.extend(l.pid_of.iter().copied());
            hidden.extend((l.visible..left_width).map(col_at));
            persons.extend(l.persons.iter().copied());
            units.extend(l.units.iter().copied());
            offset = left_width;
        }
        if keeps_right {
            let right_width = r.plan.schema().fields().len();
            exprs.extend((offset..offset + r.visible).map(col_at));
            origins.extend(r.origins.iter().cloned());
            pid_of.extend(r.pid_of.iter().copied());
            hidden.extend((offset + r.visible..offset + right_width).map(col_at));
            persons.extend(r.persons.iter().copied());
            units.extend(r.units.iter().copied());
            offset += right_width;
        }
        // A mark join's extra boolean column.
        for i in offset..schema.fields().len() {
            exprs.push(col_at(i));
            origins.push(BTreeSet::new());
            pid_of.push(None);
        }
        let visible = exprs.len();
        exprs.extend(hidden);
        let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(joined))?);
        Ok(Carried {
            plan,
            visible,
            origins,
            pid_of,
            persons,
            units,
            one_row_per_person,
        })
    }
}

/// The person lineage a join's output has one row per person of, if any: a semi or anti
/// join keeps some of its kept side's rows; an inner or left join of two one-row-per-person
/// sides whose condition equates their person keys (an ON pair, or a conjunct of the ON
/// filter, where the SQL planner leaves it) matches each left row with at most one right row.
pub(super) fn one_to_one(
    join_type: JoinType,
    on: &[(Expr, Expr)],
    filter: Option<&Expr>,
    both: &Carried,
    l: &Carried,
    r: &Carried,
) -> Option<usize> {
    match join_type {
        JoinType::LeftSemi | JoinType::LeftAnti => l.one_row_per_person,
        JoinType::RightSemi | JoinType::RightAnti => r.one_row_per_person,
        JoinType::Inner | JoinType::Left => {
            let (left, right) = (l.one_row_per_person?, r.one_row_per_person?);
            let pairs = on.iter().map(|(a, b)| (a, b));
            let equalities = filter.into_iter().flat_map(split_conjunction).filter_map(|c| match c {
                Expr::BinaryExpr(BinaryExpr {
                    left: a,
                    op: Operator::Eq,
                    right: b,
                }) => Some((a.as_ref(), b.as_ref())),
                _ => None,
            });
            let keys = |a: &Expr, b: &Expr| (both.bare_pid(a), both.bare_pid(b));
            pairs
                .chain(equalities)
                .any(|(a, b)| [keys(a, b), keys(b, a)].contains(&(Some(left), Some(right))))
                .then_some(left)
        }
        _ => None,
    }
}

/// Whether a join's output has its left side's columns, and its right side's.
pub(crate) fn kept_sides(join_type: JoinType) -> (bool, bool) {
    let left = !matches!(
        join_type,
        JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark
    );
    let right = !matches!(join_type, JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark);
    (left, right)
}

/// The visible-column view of a cross join of `l` and `r`, for checking join predicates.
pub(super) fn reindexed(both: Carried, l: &Carried, r: &Carried) -> Result<Carried> {
    let schema = Arc::clone(both.plan.schema());
    let left_width = l.plan.schema().fields().len();
    let exprs = (0..l.visible)
        .chain(left_width..left_width + r.visible)
        .map(|i| column_at(&schema, i))
        .collect();
    let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(both.plan))?);
    Ok(Carried { plan, ..both })
}
