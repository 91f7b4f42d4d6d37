//! The checks between the cells of one row: two aggregates over different rows (or of
//! different values) are judged by the persons between them; three or more of one kind by
//! the span check over their atoms (`span.rs`); counts of one person's rows in different
//! units (rows, records, persons) by the persons who add a different number to each.

use super::carried::Carried;
use super::hidden::{HiddenAggregates, Persons, contributions_of_value, unit_keys};
use super::lineage::Rewriter;
use super::terms::{Term, aggregate_function, without_widening_cast};
use crate::atoms::{Atoms, atom_contributions_udaf, atoms_udaf};
use crate::control::{AtomCheck, Difference};
use crate::key_number::key_number;
use crate::refuse;
use crate::span::{self, holds};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::cast;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, lit, when};
use renkei_warehouse::ColumnClass;

impl Rewriter<'_> {
    /// The hidden counts of the persons behind each difference and atom of a row's cells.
    pub(super) fn row_checks(
        &mut self,
        aggr_expr: &[Expr],
        c: &Carried,
        persons: &Persons,
        units_needed: &[usize],
        hidden: &mut HiddenAggregates,
    ) -> Result<(Vec<Difference>, Vec<AtomCheck>)> {
        let mut differences = Vec::new();
        let mut atoms = Vec::new();
        let schema = c.plan.schema();
        let mut terms: Vec<(usize, Term)> = Vec::new();
        for (j, e) in aggr_expr.iter().enumerate() {
            terms.extend(
                Term::terms_of(aggregate_function(e)?, schema)
                    .into_iter()
                    .map(|t| (j, t)),
            );
        }
        // Two aggregates of one row over different rows (count(*) and count(*) FILTER
        // (WHERE age < 100)) give away, by their difference, the rows of one and not the
        // other; over the same rows with different values (sum(least(age, 98)) and
        // sum(least(age, 97)), sum(times) and count(*)), the rows where the values differ.
        // The persons there are counted too.
        // (A mean's own sum and count are two such totals: `avg(n)` of per-person counts is
        // their sum over their persons.)
        for (x, (first, t)) in terms.iter().enumerate() {
            for (second, u) in terms[x + 1..].iter().map(|(k, u)| (*k, u)) {
                // Written one way whichever comes first, so that two pairs of the same rows
                // ask for one hidden count: `a != b` and `b != a` are two expressions that
                // the optimizer merges into one, and then gave two output columns one name
                // ("duplicate field __common_expr_6": count(*) beside avg(total_points)).
                let (t, u) = if format!("{:?}", (&t.feeds, &t.value)) <= format!("{:?}", (&u.feeds, &u.value)) {
                    (t, u)
                } else {
                    (u, t)
                };
                let rows_differ = (t.feeds != u.feeds).then(|| holds(&t.feeds).not_eq(holds(&u.feeds)));
                let values_differ = match (&t.value, &u.value) {
                    (Some(v), Some(w)) if v != w => Some(holds(&t.feeds).and(holds(&u.feeds)).and(Expr::BinaryExpr(
                        BinaryExpr::new(Box::new(v.clone()), Operator::IsDistinctFrom, Box::new(w.clone())),
                    ))),
                    _ => None,
                };
                // Two values of one measure are judged on each difference alone: the rows one
                // term has and the other not may be a few even where the values differ on
                // every row both have (`sum(points)` beside `sum(points + age / 1000000.0)
                // FILTER (WHERE age < 99)` differ in value on every row, yet by 41,790 points
                // of three persons once rounded: counted as one "rows or values differ",
                // everyone, the three went through; a red-team pass). Values of measures
                // apart (`avg(age)` beside `sum(points)`) tell nothing by their rows alone.
                let one_measure = match (&t.value, &u.value) {
                    (Some(v), Some(w)) => !v.column_refs().is_disjoint(&w.column_refs()),
                    _ => false,
                };
                let differs = match (rows_differ, values_differ) {
                    (Some(d), Some(e)) if !one_measure => vec![d.or(e)],
                    (d, e) => [d, e].into_iter().flatten().collect(),
                };
                // Their difference is a cell the reader computes: the dominance rules judge what
                // each person puts into it (`sum(points)` beside the same without prefecture
                // 18 was prefecture 18's total, 12 persons but 97 % one man's, hidden when
                // asked alone), and the unit rule its units (the same without one facility
                // was that facility's claims and points).
                let sensitive = one_measure && self.measures_sensitive(aggregate_function(&aggr_expr[*first])?, c)?;
                for differ in differs {
                    let dominance = match (&t.value, &u.value) {
                        (Some(v), Some(w)) if sensitive => {
                            let part = |feeds: &Option<Expr>, value: &Expr| {
                                when(holds(feeds), value.clone()).otherwise(lit(0))
                            };
                            let each = part(&t.feeds, v)? - part(&u.feeds, w)?;
                            Some(hidden.add(contributions_of_value(each, persons, schema, Some(differ.clone()))?))
                        }
                        _ => None,
                    };
                    let units = hidden.units_where(c, units_needed, Some(differ.clone()));
                    let persons = hidden.add(persons.count(Some(differ)));
                    differences.push(Difference {
                        first: *first,
                        second,
                        persons,
                        dominance,
                        units,
                    });
                }
            }
        }
        // The span check (`span.rs`): three or more cells of one kind in the row get the
        // persons behind each atom of their rows, so that no combination of them isolates
        // a few persons.
        let person = key_number(persons.person.clone());
        // Where each person has one row, a count of persons is a count of rows: one kind,
        // so that `count(*) - persons with … - count(*) FILTER …` is one span.
        let rows_are_persons = persons.one_row;
        let mut cells: Vec<(usize, span::Cell)> = Vec::new();
        let mut records: Vec<Expr> = Vec::new();
        // Whether every distinct count of records here counts rows (see `profile_aggregate`).
        let mut records_are_rows = true;
        for (j, term) in &terms {
            let f = aggregate_function(&aggr_expr[*j])?;
            let distinct_of = match (
                f.func.name().eq_ignore_ascii_case("count"),
                f.params.distinct,
                f.params.args.as_slice(),
            ) {
                (true, true, [arg]) => Some(arg),
                _ => None,
            };
            let counts_persons =
                distinct_of.is_some_and(|arg| c.bare_pid(arg).is_some_and(|l| persons.members.contains(&l)));
            let record = match distinct_of {
                Some(arg) if self.has_class(&c.expr_origins(arg)?, ColumnClass::RecordKey) => {
                    Some(arg.clone().unalias_nested().data)
                }
                _ => None,
            };
            let (kind, value) = match (&term.value, record) {
                (Some(_), _) => (span::Kind::Rows, term.value.clone()),
                _ if counts_persons && rows_are_persons => (span::Kind::Rows, Some(lit(1i64))),
                _ if counts_persons => (span::Kind::Persons, None),
                (_, Some(record)) => {
                    records_are_rows &= self.records_are_rows(c, &record)?;
                    records.push(record.clone());
                    (span::Kind::Records, Some(record))
                }
                _ => continue,
            };
            cells.push((
                *j,
                span::Cell {
                    kind,
                    value,
                    person: person.clone(),
                    feeds: term.feeds.clone(),
                },
            ));
        }
        written_alike(&cells)?;
        // Distinct counts of records have no atoms of their own: three of one key would
        // difference into a few persons' records unchecked.
        if records.iter().any(|r| records.iter().filter(|x| *x == r).count() > 2) {
            return Err(refuse(
                "more than two COUNT(DISTINCT …) of one record key in one row are refused: their \
                 differences are not checked"
                    .into(),
            ));
        }
        for k in span::atom_aggregates(&cells)? {
            // An atom the released cells determine is a cell the reader computes: the rules
            // on a total's persons apply to it (`sum(points)` minus the same below and above
            // prefecture 18 was that prefecture's total, 97 % one man's; the same by facility
            // was one hospital's claims, red team N4).
            let first = aggregate_function(&aggr_expr[k.members[0]])?;
            let dominance = match &k.value {
                Some(value) if !matches!(value, Expr::Literal(..)) && self.measures_sensitive(first, c)? => {
                    Some(hidden.add(k.sibling(
                        atom_contributions_udaf(),
                        person.clone(),
                        vec![cast(without_widening_cast(value, schema), DataType::Float64)],
                    )))
                }
                _ => None,
            };
            let units = unit_keys(c, units_needed)
                .into_iter()
                .map(|key| hidden.add(k.sibling(atoms_udaf(Atoms::Rows), key_number(key), vec![])))
                .collect();
            atoms.push(AtomCheck {
                column: hidden.add(k.aggregate),
                aggregates: k.members,
                across_kinds: None,
                dominance,
                units,
            });
        }
        if let Some((e, aggregates, counts_persons)) = span::profile_aggregate(&cells, records_are_rows)? {
            atoms.push(AtomCheck {
                column: hidden.add(e),
                aggregates,
                across_kinds: Some(counts_persons),
                dominance: None,
                units: Vec::new(),
            });
        }
        // Rows where each person has one need none: their rows are their persons, and
        // each record has at most one row.
        if !rows_are_persons {
            for (e, first, second) in span::repeat_aggregates(&cells)? {
                differences.push(Difference {
                    first,
                    second,
                    persons: hidden.add(e),
                    dominance: None,
                    units: Vec::new(),
                });
            }
        }
        Ok((differences, atoms))
    }
}

/// Refuses three or more totals in one row of the same rows or measures (counts; or SUMs
/// and means adding columns in common) unless they add one value written alike: the span
/// check forms atoms of rows that add the same value to each cell, and a value written
/// another way (`sum(abs(1))` for `count(*)`, `sum(abs(points))` or `sum(points + age)` beside
/// `sum(points) FILTER …`) was a kind of its own, judged pairwise only. So `all − women −
/// men under 95` gave one man again, and `all − below 18 − above 18` prefecture 18's points,
/// with nothing hidden (a red-team pass).
fn written_alike(cells: &[(usize, span::Cell)]) -> Result<()> {
    let totals: Vec<(&Expr, std::collections::BTreeSet<String>)> = cells
        .iter()
        .filter(|(_, c)| c.kind == span::Kind::Rows)
        .filter_map(|(_, c)| c.value.as_ref())
        .map(|v| {
            let added = if matches!(v, Expr::Literal(..)) {
                Default::default()
            } else {
                crate::linear::added_columns(v)
            };
            (v, added)
        })
        .collect();
    // Groups of totals: counts (nothing added, or only literals) together; totals adding a
    // column in common together.
    let mut group: Vec<usize> = (0..totals.len()).collect();
    fn root(group: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while group[r] != r {
            r = group[r];
        }
        group[i] = r;
        r
    }
    for i in 0..totals.len() {
        for k in i + 1..totals.len() {
            let (a, b) = (&totals[i].1, &totals[k].1);
            let related = (a.is_empty() && b.is_empty()) || !a.is_disjoint(b);
            if related {
                let (ri, rk) = (root(&mut group, i), root(&mut group, k));
                group[rk] = ri;
            }
        }
    }
    for i in 0..totals.len() {
        let r = root(&mut group, i);
        let members: Vec<&Expr> = (0..totals.len())
            .filter(|k| root(&mut group, *k) == r)
            .map(|k| totals[k].0)
            .collect();
        if members.len() >= 3 && members.iter().any(|v| *v != members[0]) {
            return Err(refuse(
                "three or more totals of the same rows or measure in one row must add one value written alike \
                 (count(*) or sum(x), with the conditions in FILTER or CASE WHEN … THEN x ELSE 0 END): totals \
                 of values written otherwise cannot be checked against each other"
                    .into(),
            ));
        }
    }
    Ok(())
}
