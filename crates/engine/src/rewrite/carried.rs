//! A plan being rewritten, with the hidden columns it carries after its visible ones: the
//! copies of its person keys (one lineage per scan) and unit keys, and what each visible
//! column derives from.

use super::HIDDEN_PREFIX;
use crate::refuse;
use datafusion::common::{Column, DFSchema, Result};
use datafusion::logical_expr::expr::Alias;
use datafusion::logical_expr::{Expr, LogicalPlan};
use renkei_warehouse::ColumnClass;
use std::collections::BTreeSet;

/// A base column of a warehouse table.
pub(super) struct Base {
    pub(super) table: String,
    pub(super) column: String,
    pub(super) class: ColumnClass,
}

/// A plan with its hidden columns appended after its `visible` ones.
pub(super) struct Carried {
    pub(super) plan: LogicalPlan,
    pub(super) visible: usize,
    /// Per visible column: the base columns its value derives from.
    pub(super) origins: Vec<BTreeSet<usize>>,
    /// Per visible column: the person lineage it is a bare copy of.
    pub(super) pid_of: Vec<Option<usize>>,
    /// Person lineages carried as hidden columns.
    pub(super) persons: Vec<usize>,
    /// Unit lineages carried as hidden columns: (lineage, base column).
    pub(super) units: Vec<(usize, usize)>,
    /// A person lineage no two rows share a (non-NULL) value of: rows of per-person derived
    /// tables, joined one-to-one on the person key. Its persons are then counted by counting
    /// rows, with no set of distinct values per cell.
    pub(super) one_row_per_person: Option<usize>,
}

pub(super) fn person_column(lineage: usize) -> String {
    format!("{HIDDEN_PREFIX}p{lineage}")
}

pub(super) fn unit_column(lineage: usize) -> String {
    format!("{HIDDEN_PREFIX}u{lineage}")
}

/// Whether a column is a hidden copy of a person or unit key ([`person_column`],
/// [`unit_column`]).
pub(crate) fn is_key_copy(name: &str) -> bool {
    name.strip_prefix(HIDDEN_PREFIX)
        .is_some_and(|rest| rest.starts_with('p') || rest.starts_with('u'))
}

pub(super) fn hidden_col(name: &str) -> Expr {
    Expr::Column(Column::from_name(name))
}

impl Carried {
    pub(super) fn hidden_names(&self) -> Vec<String> {
        let p = self.persons.iter().map(|l| person_column(*l));
        p.chain(self.units.iter().map(|(l, _)| unit_column(*l))).collect()
    }

    pub(super) fn hidden_exprs(&self) -> Vec<Expr> {
        self.hidden_names().iter().map(|n| hidden_col(n)).collect()
    }

    /// Index among the visible columns of a column reference.
    pub(super) fn visible_index(&self, c: &Column) -> Result<usize> {
        let i = self.plan.schema().index_of_column(c)?;
        if i >= self.visible {
            return Err(refuse(format!("column {} is reserved", c.name)));
        }
        Ok(i)
    }

    pub(super) fn expr_origins(&self, e: &Expr) -> Result<BTreeSet<usize>> {
        let mut out = BTreeSet::new();
        for c in e.column_refs() {
            out.extend(self.origins[self.visible_index(c)?].iter().copied());
        }
        Ok(out)
    }

    /// The person lineage of a bare column (possibly aliased or cast-free).
    pub(super) fn bare_pid(&self, e: &Expr) -> Option<usize> {
        match e {
            Expr::Column(c) => self.visible_index(c).ok().and_then(|i| self.pid_of[i]),
            Expr::Alias(Alias { expr, .. }) => self.bare_pid(expr),
            _ => None,
        }
    }
}

/// A reference to the `i`-th column of `schema`.
pub(super) fn column_at(schema: &DFSchema, i: usize) -> Expr {
    Expr::Column(Column::from(schema.qualified_field(i)))
}

/// Names of the hidden columns at the end of `plan`'s schema.
pub(super) fn hidden_tail(plan: &LogicalPlan, visible: usize) -> Vec<String> {
    plan.schema()
        .fields()
        .iter()
        .skip(visible)
        .map(|f| f.name().clone())
        .collect()
}
