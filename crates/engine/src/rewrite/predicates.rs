//! Conditions (WHERE, JOIN ON) and semi-joins (IN, EXISTS): which units they select by,
//! which person keys they make equal, and that keys are compared with keys only.

use super::carried::Carried;
use super::lineage::Rewriter;
use crate::refuse;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator};
use renkei_warehouse::ColumnClass;
use std::sync::Arc;

impl Rewriter<'_> {
    /// Checks a predicate (WHERE, JOIN ON) and learns from it: which units are selected by,
    /// and which person keys are declared equal.
    pub(super) fn predicate(&mut self, pred: &Expr, c: &Carried) -> Result<()> {
        let o = c.expr_origins(pred)?;
        self.note_units(&o);
        for conjunct in split_conjunction(pred) {
            if let Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) = conjunct
                && let (Some(l), Some(r)) = (c.bare_pid(left), c.bare_pid(right))
            {
                self.merge(l, r);
                continue;
            }
            if let Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) = conjunct
                && let Some(inner) = match (c.bare_pid(left), c.bare_pid(right)) {
                    (Some(l), _) if self.is_outer_person(right) => Some(l),
                    (_, Some(r)) if self.is_outer_person(left) => Some(r),
                    _ => None,
                }
            {
                self.outer_equalities.push(inner);
                continue;
            }
            self.key_use(conjunct, c)?;
        }
        Ok(())
    }

    pub(super) fn is_outer_person(&self, e: &Expr) -> bool {
        matches!(e, Expr::OuterReferenceColumn(_, col) if self.outer_persons.contains(col))
    }

    /// A person or record key may appear in a predicate only bare, equal to another key of
    /// its kind, or tested against a subquery's person keys: never against a value.
    pub(super) fn key_use(&mut self, e: &Expr, c: &Carried) -> Result<()> {
        let mut outcome = Ok(());
        e.apply(|node| {
            match node {
                Expr::ScalarSubquery(_) => {
                    outcome = Err(refuse(
                        "scalar subqueries are refused: their value is not counted".into(),
                    ));
                    return Ok(TreeNodeRecursion::Stop);
                }
                Expr::SetComparison(_) => {
                    outcome = Err(refuse("ANY/ALL subqueries are refused".into()));
                    return Ok(TreeNodeRecursion::Stop);
                }
                Expr::InSubquery(s) => {
                    outcome = self.in_subquery(&s.expr, &s.subquery.subquery, c);
                    return Ok(if outcome.is_err() {
                        TreeNodeRecursion::Stop
                    } else {
                        TreeNodeRecursion::Jump
                    });
                }
                Expr::Exists(x) => {
                    outcome = self.exists(&x.subquery, c);
                    return Ok(if outcome.is_err() {
                        TreeNodeRecursion::Stop
                    } else {
                        TreeNodeRecursion::Jump
                    });
                }
                _ => {}
            }
            if let Expr::BinaryExpr(BinaryExpr { left, op, right }) = node
                && is_comparison(*op)
            {
                for (side, other) in [(left, right), (right, left)] {
                    let so = c.expr_origins(side).unwrap_or_default();
                    let oo = c.expr_origins(other).unwrap_or_default();
                    let (side_key, other_key) = (self.identifying(&so), self.identifying(&oo));
                    if side_key && !other_key {
                        outcome = Err(refuse(
                            "comparing a person or record key with a value singles out persons".into(),
                        ));
                        return Ok(TreeNodeRecursion::Stop);
                    }
                }
            }
            if let Expr::OuterReferenceColumn(_, col) = node
                && self.outer_persons.contains(col)
            {
                outcome = Err(refuse(
                    "inside EXISTS the outer person key may only be equal to the subquery's person key".into(),
                ));
                return Ok(TreeNodeRecursion::Stop);
            }
            if let Expr::InList(l) = node {
                let o = c.expr_origins(&l.expr).unwrap_or_default();
                if self.identifying(&o) {
                    outcome = Err(refuse(
                        "a person or record key in an IN list singles out persons".into(),
                    ));
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
            if let Expr::Like(l) = node {
                let o = c.expr_origins(&l.expr).unwrap_or_default();
                if self.identifying(&o) {
                    outcome = Err(refuse(
                        "matching a person or record key against a pattern is refused".into(),
                    ));
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        outcome
    }

    /// `person_key IN (SELECT person_key …)`: a set of persons, each counted where used.
    pub(super) fn in_subquery(&mut self, tested: &Expr, sub: &LogicalPlan, c: &Carried) -> Result<()> {
        let sub = self.carry(sub.clone())?;
        let returned = sub.pid_of.first().copied().flatten();
        let (Some(_), Some(returned)) = (c.bare_pid(tested), returned) else {
            return Err(refuse(
                "IN (subquery) is allowed only as person key IN (a subquery returning person keys)".into(),
            ));
        };
        self.only_the_person(&sub, returned, "IN")
    }

    /// `EXISTS (…)` must be correlated on the person key: otherwise its one bit of answer
    /// is about persons nobody counts.
    /// The subquery must hold `its person key = the outer person key`, so that its answer
    /// is about the outer row's own person; comparing the two keys any other way (`<>`)
    /// would ask about other persons, and is refused.
    pub(super) fn exists(&mut self, sub: &datafusion::logical_expr::Subquery, c: &Carried) -> Result<()> {
        let outer: Vec<Column> = sub
            .outer_ref_columns
            .iter()
            .filter_map(|e| match e {
                Expr::OuterReferenceColumn(_, col)
                    if c.visible_index(col)
                        .is_ok_and(|i| self.has_class(&c.origins[i], ColumnClass::PersonKey)) =>
                {
                    Some(col.clone())
                }
                _ => None,
            })
            .collect();
        let saved = (
            std::mem::replace(&mut self.outer_persons, outer),
            std::mem::take(&mut self.outer_equalities),
        );
        let carried = self.carry(Arc::unwrap_or_clone(Arc::clone(&sub.subquery)));
        let correlated = std::mem::take(&mut self.outer_equalities);
        (self.outer_persons, self.outer_equalities) = saved;
        let carried = carried?;
        let Some(first) = correlated.first() else {
            return Err(refuse(
                "EXISTS must be correlated by equality on the person key (sub.person_id = outer.person_id)".into(),
            ));
        };
        self.only_the_person(&carried, *first, "EXISTS")
    }

    /// A semi-join's subquery answers about one person, the outer row's: every person whose
    /// rows it reads must be that person. Rows of other persons joined in (a CROSS JOIN, a
    /// join on anything but the person key) would make the answer about them, whom no cell
    /// counts: whether anyone is 105 would decide whether every row passes.
    pub(super) fn only_the_person(&mut self, sub: &Carried, person: usize, construct: &str) -> Result<()> {
        let class = self.find(person);
        for l in &sub.persons {
            if self.find(*l) != class {
                return Err(refuse(format!(
                    "{construct} (subquery) may read only the rows of the person it tests: join the subquery's \
                     tables on the person key"
                )));
            }
        }
        Ok(())
    }
}

pub(super) fn split_conjunction(e: &Expr) -> Vec<&Expr> {
    datafusion::logical_expr::utils::split_conjunction(e)
}

pub(super) fn check_no_subqueries(e: &Expr, place: &str) -> Result<()> {
    let mut found = false;
    e.apply(|n| {
        found |= matches!(
            n,
            Expr::ScalarSubquery(_) | Expr::InSubquery(_) | Expr::Exists(_) | Expr::SetComparison(_)
        );
        Ok(TreeNodeRecursion::Continue)
    })?;
    if found {
        return Err(refuse(format!("subqueries in {place} are refused")));
    }
    Ok(())
}

pub(crate) fn is_comparison(op: Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        Eq | NotEq
            | Lt
            | LtEq
            | Gt
            | GtEq
            | IsDistinctFrom
            | IsNotDistinctFrom
            | RegexMatch
            | RegexIMatch
            | RegexNotMatch
            | RegexNotIMatch
            | LikeMatch
            | ILikeMatch
            | NotLikeMatch
            | NotILikeMatch
    )
}

/// Expressions in a projection may not hide subqueries or window functions.
pub(super) fn check_projection_expr(e: &Expr) -> Result<()> {
    check_no_subqueries(e, "SELECT")?;
    let mut window = false;
    e.apply(|n| {
        window |= matches!(n, Expr::WindowFunction(_));
        Ok(TreeNodeRecursion::Continue)
    })?;
    if window {
        return Err(refuse("window functions are refused".into()));
    }
    Ok(())
}
