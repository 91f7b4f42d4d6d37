//! The rewriter's state: the base columns met so far and their classes, and the classes of
//! provably equal person lineages (a union–find), with the questions asked of them.

use super::Classes;
use super::carried::{Base, Carried};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator};
use renkei_warehouse::ColumnClass;
use std::collections::BTreeSet;

pub(super) struct Rewriter<'a> {
    pub(super) classes: &'a Classes,
    pub(super) bases: Vec<Base>,
    /// Union–find parent per person lineage (classes of provably equal persons).
    pub(super) lineages: Vec<usize>,
    /// Unit base columns the query groups, filters or joins by.
    pub(super) referenced_units: BTreeSet<usize>,
    /// Outer person-key columns an EXISTS subquery being checked may be correlated on, and
    /// the subquery's person lineages its `person key = outer person key` conjuncts so far
    /// make equal to them.
    pub(super) outer_persons: Vec<Column>,
    pub(super) outer_equalities: Vec<usize>,
    /// The outer person and record keys an EXISTS subquery being checked can see, with
    /// their kind ([`key_kind`](Rewriter::key_kind)): inside the subquery they are keys too.
    pub(super) outer_keys: Vec<(Column, u8)>,
    /// A mark in the origins of values computed below the final aggregate in a way that
    /// weighs rows apart ([`weighs_rows_apart`](super::conditions::weighs_rows_apart)): a SUM of one would carry a small group's
    /// weight inside a big cell where no condition is left to count its persons.
    pub(super) weighed: Option<usize>,
}

/// Aggregate functions allowed in the final aggregate: their values are sums over many
/// persons. Order statistics and collectors (MIN, MAX, MEDIAN, FIRST_VALUE, ARRAY_AGG,
/// STRING_AGG …) output one person's value and are refused there.
/// Spread statistics (STDDEV, VAR) are not sums: with the mean and the count a variance
/// gives the sum of squares back, a polynomial of the value.
pub(super) const RELEASABLE_AGGREGATES: &[&str] = &["count", "sum", "avg", "mean"];

/// Aggregate functions allowed inside per-person derived tables.
pub(super) const PER_PERSON_AGGREGATES: &[&str] = &[
    "count", "sum", "avg", "mean", "min", "max", "bool_and", "bool_or", "stddev", "var",
];

impl Rewriter<'_> {
    pub(super) fn class(&self, base: usize) -> ColumnClass {
        self.bases[base].class
    }

    pub(super) fn has_class(&self, origins: &BTreeSet<usize>, class: ColumnClass) -> bool {
        origins.iter().any(|b| self.class(*b) == class)
    }

    /// Whether a distinct count of `arg` in `c` is a count of its rows: `arg` is a bare copy
    /// of its table's row key (`TableDef::row_key`), that table is the one scan of `c`
    /// outside derived aggregates, and each join there meets an aggregate on all its group
    /// keys (one row per key: `dpc_points_by_diagnosis` joins each stay to its case's points),
    /// so no join repeats a record.
    pub(super) fn records_are_rows(&self, c: &Carried, arg: &Expr) -> Result<bool> {
        let origins = c.expr_origins(arg)?;
        let [base] = origins.iter().map(|b| &self.bases[*b]).collect::<Vec<_>>()[..] else {
            return Ok(false);
        };
        let is_row_key = renkei_warehouse::TABLES
            .iter()
            .any(|t| t.name == base.table && t.row_key == Some(base.column.as_str()));
        let bare = matches!(arg.clone().unalias_nested().data, Expr::Column(_));
        // The one scan must be of the row key's own table: `ndb_diagnoses` joined to claims
        // grouped by claim was one scan too, of diagnoses (red team R8-1).
        Ok(is_row_key && bare && scans_repeating_no_row(&c.plan).is_some_and(|t| t == [base.table.as_str()]))
    }

    pub(super) fn find(&mut self, mut l: usize) -> usize {
        while self.lineages[l] != l {
            l = self.lineages[l];
        }
        l
    }

    pub(super) fn merge(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.lineages[ra.max(rb)] = ra.min(rb);
        }
    }

    pub(super) fn new_lineage(&mut self) -> usize {
        self.lineages.push(self.lineages.len());
        self.lineages.len() - 1
    }

    /// A new base column: one per column of each scan, so that two scans of one table (a
    /// self-join) keep their columns apart — grouping by one side's facility makes that
    /// side's facilities count, not the other's.
    pub(super) fn base(&mut self, table: &str, column: &str, class: ColumnClass) -> usize {
        self.bases.push(Base {
            table: table.to_string(),
            column: column.to_string(),
            class,
        });
        self.bases.len() - 1
    }

    /// The mark of values that weigh rows apart (created once; not a column of any table).
    pub(super) fn weighed_mark(&mut self) -> usize {
        match self.weighed {
            Some(mark) => mark,
            None => {
                let mark = self.base("", "a value computed with a condition", ColumnClass::Attribute);
                self.weighed = Some(mark);
                mark
            }
        }
    }

    /// Whether a (SUM or AVG) aggregate adds up a sensitive measure, so dominance applies.
    pub(super) fn measures_sensitive(&self, f: &AggregateFunction, c: &Carried) -> Result<bool> {
        if f.func.name().eq_ignore_ascii_case("count") {
            return Ok(false);
        }
        for arg in &f.params.args {
            if self.has_class(&c.expr_origins(arg)?, ColumnClass::SensitiveMeasure) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(super) fn identifying(&self, origins: &BTreeSet<usize>) -> bool {
        self.has_class(origins, ColumnClass::PersonKey) || self.has_class(origins, ColumnClass::RecordKey)
    }

    /// Which keys a value derives from: 1 for person keys, 2 for record keys, both or none.
    pub(super) fn key_kind(&self, origins: &BTreeSet<usize>) -> u8 {
        u8::from(self.has_class(origins, ColumnClass::PersonKey))
            | (u8::from(self.has_class(origins, ColumnClass::RecordKey)) << 1)
    }

    pub(super) fn note_units(&mut self, origins: &BTreeSet<usize>) {
        for b in origins {
            if self.class(*b) == ColumnClass::UnitKey {
                self.referenced_units.insert(*b);
            }
        }
    }
}

/// The tables scanned in `plan` outside derived aggregates, or None where a join may repeat
/// rows (one side is not an aggregate met on all its group keys) or a subquery reads more.
fn scans_repeating_no_row(plan: &LogicalPlan) -> Option<Vec<&str>> {
    match plan {
        LogicalPlan::TableScan(scan) => Some(vec![scan.table_name.table()]),
        LogicalPlan::Aggregate(_) | LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => Some(Vec::new()),
        LogicalPlan::Join(join) => {
            // The equalities of a column of one side with a column of the other, from ON keys
            // and from the join's filter: `c.claim_month = c.claim_month` is no key of the
            // other side (red team R8-2).
            let mut pairs: Vec<(&Expr, &Expr)> = join.on.iter().map(|(l, r)| (l, r)).collect();
            for conjunct in join.filter.iter().flat_map(split_conjunction) {
                if let Expr::BinaryExpr(BinaryExpr {
                    left,
                    op: Operator::Eq,
                    right,
                }) = conjunct
                    && let (Expr::Column(a), Expr::Column(b)) = (&**left, &**right)
                {
                    let (l, r) = (join.left.schema(), join.right.schema());
                    if l.has_column(a) && r.has_column(b) && !l.has_column(b) && !r.has_column(a) {
                        pairs.push((left, right));
                    } else if r.has_column(a) && l.has_column(b) && !l.has_column(a) && !r.has_column(b) {
                        pairs.push((right, left));
                    }
                }
            }
            let left_keys: Vec<&Expr> = pairs.iter().map(|(l, _)| *l).collect();
            let right_keys: Vec<&Expr> = pairs.iter().map(|(_, r)| *r).collect();
            if !(unique_on(&join.right, &right_keys) || unique_on(&join.left, &left_keys)) {
                return None;
            }
            let mut scans = scans_repeating_no_row(&join.left)?;
            scans.extend(scans_repeating_no_row(&join.right)?);
            Some(scans)
        }
        LogicalPlan::Filter(_) | LogicalPlan::Projection(_) | LogicalPlan::SubqueryAlias(_) | LogicalPlan::Sort(_) => {
            let mut subquery = false;
            plan.apply_expressions(|e| {
                subquery |= e.exists(|e| {
                    Ok(matches!(
                        e,
                        Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
                    ))
                })?;
                Ok(TreeNodeRecursion::Continue)
            })
            .ok()?;
            if subquery {
                return None;
            }
            let mut scans = Vec::new();
            for input in plan.inputs() {
                scans.extend(scans_repeating_no_row(input)?);
            }
            Some(scans)
        }
        _ => None,
    }
}

/// Whether `plan` has one row per value of `keys` (bare columns of it; other keys are left
/// out, which asks more): an aggregate, under aliases, filters, sorts and projections that
/// pass each key on as a bare copy of a column below, whose every group key is among them.
/// Keys are followed by their place in each schema, not their name: two group keys named
/// `claim_month` (one a lookup's code renamed) were both taken for the one a join equated,
/// and the join repeated every claim per code (red team R10-2).
fn unique_on(plan: &LogicalPlan, keys: &[&Expr]) -> bool {
    let places = keys
        .iter()
        .filter_map(|e| match e {
            Expr::Column(c) => plan.schema().index_of_column(c).ok(),
            _ => None,
        })
        .collect();
    unique_at(plan, places)
}

/// [`unique_on`] with the keys as places in `plan`'s schema.
fn unique_at(plan: &LogicalPlan, places: BTreeSet<usize>) -> bool {
    match plan {
        LogicalPlan::SubqueryAlias(a) => unique_at(&a.input, places),
        LogicalPlan::Filter(f) => unique_at(&f.input, places),
        LogicalPlan::Sort(s) => unique_at(&s.input, places),
        LogicalPlan::Projection(p) => {
            let below = places
                .iter()
                .filter_map(|i| match p.expr.get(*i).map(|e| e.clone().unalias_nested().data) {
                    Some(Expr::Column(c)) => p.input.schema().index_of_column(&c).ok(),
                    _ => None,
                })
                .collect();
            unique_at(&p.input, below)
        }
        LogicalPlan::Aggregate(a) => {
            // Group keys come first in an aggregate's schema (grouping sets add more).
            !a.group_expr.is_empty()
                && !a.group_expr.iter().any(|g| matches!(g, Expr::GroupingSet(_)))
                && (0..a.group_expr.len()).all(|g| places.contains(&g))
        }
        _ => false,
    }
}
