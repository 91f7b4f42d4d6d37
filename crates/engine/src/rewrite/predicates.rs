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

    /// Subqueries in a predicate are semi-joins on the person key, whose subqueries are
    /// checked here; a person or record key appears only as [`Self::key_operands`] allows.
    pub(super) fn key_use(&mut self, e: &Expr, c: &Carried) -> Result<()> {
        self.key_operands(e, c)?;
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
            if let Expr::OuterReferenceColumn(_, col) = node
                && self.outer_persons.contains(col)
            {
                outcome = Err(refuse(
                    "inside EXISTS the outer person key may only be equal to the subquery's person key".into(),
                ));
                return Ok(TreeNodeRecursion::Stop);
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        outcome
    }

    /// Refuses every use of a person or record key inside `e` but these: the key itself (a
    /// column passed on, grouped by in a per-person table, counted), `=` / `<>` / IS [NOT]
    /// DISTINCT FROM another key of its kind (`a.person_id = b.person_id`), IS [NOT] NULL,
    /// and `person key IN (subquery)` (checked by [`Self::in_subquery`]). A key is a
    /// pseudonym with no meaning, so any other use only reads it: `count(*) FILTER (WHERE
    /// age = 98 AND person_id < '5')` showed 0 or a hidden count, and some 128 such queries
    /// bisected one person's key; `person_id < greatest(person_id, '5')` compared it with a
    /// value through another copy of itself; `substr`, CASE, LIKE, casts likewise. Called on
    /// every condition, projection, aggregate argument and FILTER, and on the group keys of
    /// per-person tables; unit keys (facility codes) are not keys here.
    pub(super) fn key_operands(&self, e: &Expr, c: &Carried) -> Result<()> {
        let mut outcome = Ok(());
        e.apply(|node| {
            // A subquery's tested key is checked with it; its plan is carried apart.
            if matches!(
                node,
                Expr::InSubquery(_) | Expr::Exists(_) | Expr::ScalarSubquery(_) | Expr::SetComparison(_)
            ) {
                return Ok(TreeNodeRecursion::Jump);
            }
            let mut kinds = Vec::new();
            node.apply_children(|child| {
                kinds.push((self.key_of(child, c), child));
                Ok(TreeNodeRecursion::Continue)
            })?;
            let Some((_, key)) = kinds.iter().find(|(k, _)| *k != 0) else {
                return Ok(TreeNodeRecursion::Continue);
            };
            let construct = match node {
                Expr::Alias(_) | Expr::IsNull(_) | Expr::IsNotNull(_) => return Ok(TreeNodeRecursion::Continue),
                Expr::BinaryExpr(BinaryExpr { op, .. }) if is_equality(*op) => match kinds.as_slice() {
                    [(l, _), (r, _)] if l == r && matches!(l, 1 | 2) => return Ok(TreeNodeRecursion::Continue),
                    [(l, _), (r, _)] if *l != 0 && *r != 0 => format!("{op} between keys of different kinds"),
                    _ => format!("{op} with a value"),
                },
                Expr::BinaryExpr(BinaryExpr { op, .. }) if is_comparison(*op) => format!("the comparison {op}"),
                Expr::BinaryExpr(BinaryExpr { op, .. }) => format!("the operator {op}"),
                Expr::ScalarFunction(f) => format!("the function {}", f.name()),
                Expr::Like(_) | Expr::SimilarTo(_) => "matching against a pattern".into(),
                Expr::InList(_) => "an IN list".into(),
                Expr::Between(_) => "BETWEEN".into(),
                Expr::Case(_) => "CASE".into(),
                Expr::Cast(_) | Expr::TryCast(_) => "a cast".into(),
                other => other.variant_name().to_string(),
            };
            outcome = Err(refuse(format!(
                "{construct} on a person or record key ({}) is refused: a key is a pseudonym, which a query may \
                 only set equal to another key of its kind, test IS NULL or IN a subquery of person keys, and \
                 count; compared with a value it is read back by bisection",
                key.schema_name()
            )));
            Ok(TreeNodeRecursion::Stop)
        })?;
        outcome
    }

    /// Of a bare column (or an outer reference inside EXISTS): which keys it holds
    /// ([`key_kind`](Rewriter::key_kind)); 0 for anything else.
    fn key_of(&self, e: &Expr, c: &Carried) -> u8 {
        match e {
            Expr::Alias(a) => self.key_of(&a.expr, c),
            Expr::Column(col) => c.visible_index(col).map_or(0, |i| self.key_kind(&c.origins[i])),
            Expr::OuterReferenceColumn(_, col) => self
                .outer_keys
                .iter()
                .find(|(k, _)| k == col)
                .map_or(0, |(_, kind)| *kind),
            _ => 0,
        }
    }

    /// `person_key IN (SELECT person_key …)`: a set of persons, each counted where used.
    pub(super) fn in_subquery(&mut self, tested: &Expr, sub: &LogicalPlan, c: &Carried) -> Result<()> {
        // A NULL among the keys makes `x NOT IN (…)` unknown for every row, so one row of
        // the subquery would empty the whole output: a LEFT JOIN inside it made the NULL
        // appear only when the one woman aged 98 had diagnosis I25, and the count was shown
        // (101) or hidden accordingly (a red-team pass read her diagnoses so). Keys from the
        // outer side of an outer join are refused; EXISTS has no such third value.
        if sub.schema().fields().first().is_none_or(|f| f.is_nullable()) {
            return Err(refuse(
                "IN (subquery) over a person key that may be NULL (from the outer side of an outer join) is \
                 refused: one NULL makes NOT IN unknown for every row; select the key from a table or an \
                 inner join, or use EXISTS"
                    .into(),
            ));
        }
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
        // Every outer key the subquery sees, of this level and those around it.
        let mut keys = self.outer_keys.clone();
        for e in &sub.outer_ref_columns {
            if let Expr::OuterReferenceColumn(_, col) = e
                && let Ok(i) = c.visible_index(col)
                && self.key_kind(&c.origins[i]) != 0
            {
                keys.push((col.clone(), self.key_kind(&c.origins[i])));
            }
        }
        let saved = (
            std::mem::replace(&mut self.outer_persons, outer),
            std::mem::take(&mut self.outer_equalities),
            std::mem::replace(&mut self.outer_keys, keys),
        );
        let carried = self.carry(Arc::unwrap_or_clone(Arc::clone(&sub.subquery)));
        let correlated = std::mem::take(&mut self.outer_equalities);
        (self.outer_persons, self.outer_equalities, self.outer_keys) = saved;
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

/// The comparisons two keys of one kind may be joined by: they tell only whether the two
/// are the same record or person.
fn is_equality(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq | Operator::NotEq | Operator::IsDistinctFrom | Operator::IsNotDistinctFrom
    )
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
