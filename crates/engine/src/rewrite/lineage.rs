//! The rewriter's state: the base columns met so far and their classes, and the classes of
//! provably equal person lineages (a union–find), with the questions asked of them.

use super::Classes;
use super::carried::{Base, Carried};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::expr::AggregateFunction;
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
