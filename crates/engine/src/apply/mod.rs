//! Applies the policy to a whole rewritten result: primary suppression from the hidden
//! counts, withholding of rows a HAVING would otherwise reveal, secondary suppression over
//! the relations of ROLLUP / CUBE / GROUPING SETS rows, rounding; then drops the hidden
//! columns. No value of the result reaches an error message.

mod columns;

use crate::control::{ColumnRule, ControlSpec};
use crate::grouping::Relations;
use crate::history::{HistoryConflict, ReleasedCell};
use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch, take_record_batch};
use datafusion::arrow::datatypes::{DataType, Int64Type, SchemaRef, UInt64Type};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::Result;
use renkei_disclosure::{CellRule, DominanceRule, HiddenCell, PersonSet, Report, Status, Summary, round_count};
use std::sync::Arc;

use columns::{
    column, counts, counts_of, dominance_verdicts, flagged_atoms, internal, list_at, lists, units_behind,
    without_hidden_values, zeros,
};
/// Checks `batches` (the rewritten result) against `spec`, and against the person sets of a
/// ledger's `history` (its counts against each other when that is empty), and returns the
/// releasable batch in `out_schema`, its report, its released counts of persons with their
/// persons, and for each cell hidden by the ledger's check the earlier cells it conflicts
/// with (steward-side, not in the report). `query_hash` and `command` are left for the caller.
pub fn apply_disclosure_control(
    batches: &[RecordBatch],
    spec: &ControlSpec,
    out_schema: &SchemaRef,
    ordered: bool,
    history: &[PersonSet],
) -> Result<(RecordBatch, Report, Vec<ReleasedCell>, Vec<HistoryConflict>)> {
    let Some(first) = batches.first() else {
        return Ok((
            RecordBatch::new_empty(Arc::clone(out_schema)),
            report(spec, Summary::default(), vec![]),
            Vec::new(),
            Vec::new(),
        ));
    };
    let batch = concat_batches(&first.schema(), batches)?;
    let rows = batch.num_rows();
    let policy = &spec.policy;

    // Persons and units behind each aggregate, per row, and the dominance verdicts.
    let mut persons = Vec::new();
    let mut units = Vec::new();
    let mut dominated = Vec::new();
    let mut small_part = Vec::new();
    for a in &spec.aggregates {
        let mut small = vec![false; rows];
        for part in &a.parts {
            for (s, n) in small.iter_mut().zip(counts(&batch, part)?) {
                *s |= n > 0 && n < policy.min_persons as i64;
            }
        }
        small_part.push(small);
        persons.push(counts(&batch, &a.persons)?);
        units.push(units_behind(&batch, &a.units)?);
        dominated.push(match &a.dominance {
            Some(name) => dominance_verdicts(&batch, name, policy)?,
            None => vec![None; rows],
        });
    }

    // Which value cells are zero, for the zero-cell rule and for the secondary rule, which
    // leaves zeros shown. Only a bare aggregate's zero is a zero: a value computed from
    // aggregates (`count(*) - 3`, `(sum(x) / 1024) % 2`) is judged on the aggregates it is
    // computed from, as if computed after their suppression, so a test of a hidden value
    // cannot come out as a visible 0.
    let zero_cells: Vec<Vec<bool>> = spec
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| match col {
            ColumnRule::Value { bare: true, .. } => zeros(batch.column(c)),
            ColumnRule::Value { bare: false, .. } | ColumnRule::Label => vec![false; rows],
        })
        .collect();
    // A group of fewer than min_persons persons is a small group whatever its aggregates
    // say: its zeros are hidden as its counts are, and its labels alone would name it.
    let small_group: Vec<bool> = counts(&batch, &spec.group_persons)?
        .into_iter()
        .map(|p| p < policy.min_persons as i64)
        .collect();

    // Primary suppression, cell by cell.
    let mut rule: Vec<Vec<Option<CellRule>>> = vec![vec![None; spec.columns.len()]; rows];
    for (c, col) in spec.columns.iter().enumerate() {
        let ColumnRule::Value { aggregates, .. } = col else {
            continue;
        };
        for (r, cells) in rule.iter_mut().enumerate() {
            let p = aggregates.iter().map(|j| persons[*j][r]).min().unwrap_or(0);
            let u = aggregates.iter().map(|j| units[*j][r]).min().unwrap_or(i64::MAX);
            let dominance = aggregates.iter().find_map(|j| dominated[*j][r]);
            let mixes_small_part = aggregates.iter().any(|j| small_part[*j][r]);
            let zero = zero_cells[c][r];
            cells[c] = if small_group[r] {
                Some(CellRule::MinPersons)
            } else if zero && policy.show_zero_cells {
                None
            } else if p < policy.min_persons as i64 {
                // A zero count or sum has no persons behind it: where zeros are hidden, it is
                // reported as any small cell, or the report would tell the hidden value is 0.
                Some(CellRule::MinPersons)
            } else if zero {
                Some(CellRule::ZeroCell)
            } else if spec.entity_rule && u < policy.min_entities as i64 {
                Some(CellRule::MinEntities)
            } else if mixes_small_part {
                Some(CellRule::Difference)
            } else {
                dominance.map(|d| match d {
                    DominanceRule::NK => CellRule::Dominance,
                    DominanceRule::PPercent => CellRule::PPercent,
                })
            };
        }
    }
    // The aggregates a HAVING tests are judged as cells (a zero as any value: the test
    // `count(*) FILTER (WHERE age >= 99) > 0` must not tell 0 from 1 to 9). A row where one
    // of them would be hidden is withheld, whatever the HAVING says.
    let mut having_hidden = small_group.clone();
    for j in &spec.having_aggregates {
        for (r, h) in having_hidden.iter_mut().enumerate() {
            *h |= persons[*j][r] < policy.min_persons as i64
                || (spec.entity_rule && units[*j][r] < policy.min_entities as i64)
                || small_part[*j][r]
                || dominated[*j][r].is_some();
        }
    }
    // Differencing inside a row: two released cells whose difference is about a few persons.
    for d in &spec.differences {
        let between = counts(&batch, &d.persons)?;
        // Where zeros are hidden, a difference of no one is a zero the reader computes. A
        // difference of totals is judged as a cell too: by its units, and by what each person
        // puts into it.
        let dominated = match &d.dominance {
            Some(name) => dominance_verdicts(&batch, name, policy)?,
            None => vec![None; rows],
        };
        let units_between = units_behind(&batch, &d.units)?;
        let small: Vec<bool> = (0..rows)
            .map(|r| {
                let n = between[r];
                ((n > 0 || !policy.show_zero_cells) && n < policy.min_persons as i64)
                    || (n > 0 && dominated[r].is_some())
                    || (n > 0 && spec.entity_rule && units_between[r] < policy.min_entities as i64)
            })
            .collect();
        let tested = |j: usize| spec.having_aggregates.contains(&j);
        if tested(d.first) || tested(d.second) {
            for (h, s) in having_hidden.iter_mut().zip(&small) {
                *h |= *s;
            }
        }
        let second = spec
            .columns
            .iter()
            .position(|c| matches!(c, ColumnRule::Value { aggregates, .. } if aggregates.contains(&d.second)));
        let first = spec
            .columns
            .iter()
            .position(|c| matches!(c, ColumnRule::Value { aggregates, .. } if aggregates.contains(&d.first)));
        let (Some(first), Some(second)) = (first, second) else {
            continue;
        };
        for (r, cells) in rule.iter_mut().enumerate() {
            if small[r] && cells[first].is_none() && cells[second].is_none() {
                cells[second] = Some(CellRule::Difference);
            }
        }
    }
    // The span check: no combination of a row's released cells of one kind determines an
    // atom of a few persons (`span.rs`). A cell it hides hides its row, below.
    let shown_in: Vec<Vec<usize>> = (0..spec.aggregates.len())
        .map(|j| {
            (0..spec.columns.len())
                .filter(
                    |c| matches!(&spec.columns[*c], ColumnRule::Value { aggregates, .. } if aggregates.contains(&j)),
                )
                .collect()
        })
        .collect();
    for check in &spec.atoms {
        let atom_lists = lists(&batch, &check.column)?;
        for r in 0..rows {
            let atoms = list_at::<UInt64Type>(atom_lists, r)?;
            if atoms.is_empty() {
                continue;
            }
            let released: Vec<bool> = check
                .aggregates
                .iter()
                .map(|j| {
                    shown_in[*j].iter().any(|c| rule[r][*c].is_none())
                        || (spec.having_aggregates.contains(j) && !having_hidden[r])
                })
                .collect();
            let priority: Vec<f64> = check.aggregates.iter().map(|j| persons[*j][r] as f64).collect();
            let hide = match check.across_kinds {
                Some(counts_persons) => crate::span::profile_cells_to_hide(
                    &atoms,
                    counts_persons,
                    &released,
                    &priority,
                    policy.min_persons,
                )?,
                None => crate::span::cells_to_hide(
                    &atoms,
                    &flagged_atoms(&batch, check, r, spec.entity_rule, policy)?,
                    &released,
                    &priority,
                    policy.min_persons,
                )?,
            };
            for i in hide {
                let j = check.aggregates[i];
                for &c in &shown_in[j] {
                    rule[r][c].get_or_insert(CellRule::Difference);
                }
                if spec.having_aggregates.contains(&j) {
                    having_hidden[r] = true;
                }
            }
        }
    }
    // Across the rows of ROLLUP / CUBE / GROUPING SETS: a distinct count whose totals are not
    // the sums of their rows counts persons in two groups at once, and its totals would give
    // them (or those in one group alone) away. Its totals are hidden.
    // Whether they do is decided from the plan (`keys_may_repeat`); the sums are tested as
    // well, so that a plan wrongly taken for one row per key fails closed.
    let relations = spec.grouping.as_ref().map(|g| Relations::of(&batch, g)).transpose()?;
    // The cells so hidden are not sums of other cells: no relation among the rows computes
    // them, so they need no protection through those relations. Protected as sums, they
    // were solved with an empty group taken for a known zero but not with a small group,
    // and which cells protected them told the two apart (red team R9-1).
    let mut not_sums = vec![vec![false; spec.columns.len()]; rows];
    if let Some(relations) = &relations {
        for (c, col) in spec.columns.iter().enumerate() {
            let ColumnRule::Value { aggregates, bare } = col else {
                continue;
            };
            if !aggregates.iter().any(|j| spec.aggregates[*j].distinct) {
                continue;
            }
            // A value computed from a distinct count has no sums to test: its totals go.
            let may_repeat = aggregates.iter().any(|j| spec.aggregates[*j].keys_may_repeat);
            if !bare || may_repeat || !relations.additive(&counts_of(batch.column(c))?) {
                for r in relations.totals() {
                    if rule[r][c].is_none() {
                        rule[r][c] = Some(CellRule::Difference);
                        not_sums[r][c] = true;
                    }
                }
            }
        }
    }
    let primary_row: Vec<bool> = rule.iter().map(|cells| cells.iter().any(Option::is_some)).collect();
    // The rows the relations among rows must protect.
    let primary_sum: Vec<bool> = (0..rows)
        .map(|r| (0..spec.columns.len()).any(|c| rule[r][c].is_some() && !not_sums[r][c]))
        .collect();

    // HAVING: rows it rejects are not published; rows it keeps that hold a hidden cell are
    // withheld whole, or their presence would tell the hidden value passes the HAVING. A
    // withheld row is not counted anywhere: with `HAVING count(*) = 3`, the count of rows
    // withheld would be the count of groups of exactly 3.
    let mut published = vec![true; rows];
    // The rows whose verdict the output tells (shown, or absent by the HAVING alone).
    let mut judged = vec![false; rows];
    if let Some(name) = &spec.having {
        let verdict = column(&batch, name)?
            .as_boolean_opt()
            .ok_or_else(|| internal("HAVING is not boolean"))?;
        for r in 0..rows {
            let keep = verdict.is_valid(r) && verdict.value(r);
            if !keep || primary_row[r] || having_hidden[r] {
                published[r] = false;
            }
            judged[r] = !(primary_row[r] || having_hidden[r]);
        }
    }

    // A labelled row whose every value is hidden by a primary rule would still tell, by its
    // labels, that such a small group exists: withheld unless the policy shows such rows.
    let has_labels = spec.columns.iter().any(|c| matches!(c, ColumnRule::Label));
    let value_columns: Vec<usize> = (0..spec.columns.len())
        .filter(|c| matches!(spec.columns[*c], ColumnRule::Value { .. }))
        .collect();
    // A row of labels alone (no value column) is a cell too: its group's persons decide, and
    // its units where the unit rule applies.
    let few_units: Vec<bool> = units_behind(&batch, &spec.group_units)?
        .into_iter()
        .map(|u| spec.entity_rule && u < policy.min_entities as i64)
        .collect();
    if has_labels && !policy.show_hidden_rows {
        for r in 0..rows {
            let all_hidden = value_columns
                .iter()
                .all(|c| rule[r][*c].is_some_and(|x| x != CellRule::ZeroCell));
            if published[r] && (small_group[r] || few_units[r] || (!value_columns.is_empty() && all_hidden)) {
                published[r] = false;
            }
        }
    }

    // The value columns of one row can be linearly related in ways the plan does not show
    // (n = f + m with f and m as conditional counts): a row with a primary-hidden cell is
    // hidden whole, so no released cell of it can give the hidden one back. Zeros stay, but
    // not beside a count of 1 to min_persons − 1 persons: its `*` tells that group is not
    // empty (zeros are shown), and a zero beside it that none of them has what the zero
    // counts ("men aged 95+: *, of them alive: 0" was the one such man's death).
    let few_in_row: Vec<bool> = (0..rows)
        .map(|r| {
            spec.columns.iter().enumerate().any(|(c, col)| match col {
                ColumnRule::Value { aggregates, .. } if rule[r][c] == Some(CellRule::MinPersons) => {
                    let p = aggregates.iter().map(|j| persons[*j][r]).min().unwrap_or(0);
                    (1..policy.min_persons as i64).contains(&p)
                }
                _ => false,
            })
        })
        .collect();
    for c in &value_columns {
        for r in (0..rows).filter(|r| primary_row[*r]) {
            if rule[r][*c].is_none() && (!zero_cells[*c][r] || few_in_row[r]) {
                rule[r][*c] = Some(CellRule::Secondary);
            }
        }
    }

    // Secondary suppression over the grouping-set relations: rows are hidden whole, so the
    // relations among rows, the same in every column, are solved once.
    if let Some(relations) = &relations {
        // A row hidden whole for a total that is no sum shows no value to protect others with.
        let shown: Vec<bool> = (0..rows)
            .map(|r| published[r] && (primary_sum[r] || !primary_row[r]))
            .collect();
        let hide = relations.secondary_rows(&primary_sum, &published, &shown, &persons, !policy.show_zero_cells)?;
        for r in hide {
            // As a primary-hidden row, a row hidden to protect one would tell, by passing the
            // HAVING, something of its hidden values (`HAVING count(*) = 16` on a subtotal).
            // Withheld, it is as unknown as hidden, so the protection computed holds.
            if spec.having.is_some() {
                published[r] = false;
            }
            for c in &value_columns {
                if rule[r][*c].is_none() {
                    rule[r][*c] = Some(CellRule::Secondary);
                }
            }
        }
    }

    // Across rows and outputs: the counts of persons this output would release, with each
    // other and with those the project released before (`history.rs`). A count it hides
    // hides its row, and the rows that protect that row in a ROLLUP, as a primary cell's
    // would.
    let mut sets = crate::history::person_sets(&batch, spec)?;
    sets.set_judged(judged);
    let (by_history, conflicts) =
        crate::history::hide_by_history(&mut sets, &mut rule, &published, history, policy.min_persons)?;
    // The rows the ledger hides join the primary ones; rows hidden already protect nothing.
    let hide_rows = match &relations {
        Some(relations) if by_history.contains(&true) => {
            let primary: Vec<bool> = (0..rows).map(|r| by_history[r] || primary_sum[r]).collect();
            let shown: Vec<bool> = (0..rows)
                .map(|r| published[r] && value_columns.iter().all(|c| rule[r][*c].is_none()))
                .collect();
            relations.secondary_rows(&primary, &published, &shown, &persons, !policy.show_zero_cells)?
        }
        _ => Vec::new(),
    };
    for r in (0..rows).filter(|r| by_history[*r]).chain(hide_rows) {
        if spec.having.is_some() {
            published[r] = false;
        }
        for c in &value_columns {
            if rule[r][*c].is_none() {
                rule[r][*c] = Some(CellRule::Secondary);
            }
        }
    }
    // The output columns: labels as they are, values with hidden cells NULL (and counts
    // rounded when the policy says so).
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (c, col) in spec.columns.iter().enumerate() {
        let mut a = Arc::clone(batch.column(c));
        if let ColumnRule::Value { aggregates, bare } = col {
            a = without_hidden_values(&a, &(0..rows).map(|r| rule[r][c].is_some()).collect::<Vec<_>>())?;
            let is_count = *bare && aggregates.len() == 1 && spec.aggregates[aggregates[0]].is_count;
            if let (Some(base), true) = (policy.rounding_base, is_count) {
                let v = cast(&a, &DataType::Int64)?;
                let v = v.as_primitive::<Int64Type>();
                let rounded: Int64Array = v
                    .iter()
                    .map(|x| x.map(|x| round_count(x as f64, base) as i64))
                    .collect();
                a = cast(&(Arc::new(rounded) as ArrayRef), a.data_type())?;
            }
        }
        // The output's own type where the plan's differs (string views leave as strings).
        let out_type = out_schema.field(c).data_type();
        if a.data_type() != out_type {
            a = cast(&a, out_type)?;
        }
        columns.push(a);
    }
    let checked = RecordBatch::try_new(Arc::clone(out_schema), columns)?;
    let keep = BooleanArray::from(published.clone());
    let checked = filter_record_batch(&checked, &keep)?;
    let shown: Vec<usize> = (0..rows).filter(|r| published[*r]).collect();
    let (checked, shown) = if ordered {
        (checked, shown)
    } else {
        let order = canonical_order(&checked)?;
        let shown = order.iter().map(|&r| shown[r as usize]).collect();
        (take_record_batch(&checked, &UInt32Array::from(order))?, shown)
    };
    let rules: Vec<&Vec<Option<CellRule>>> = shown.iter().map(|r| &rule[*r]).collect();

    // The report, in output row numbers.
    let mut hidden = Vec::new();
    let mut hidden_primary = 0;
    for (out_row, cells) in rules.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            if let Some(cell) = cell {
                if *cell != CellRule::Secondary {
                    hidden_primary += 1;
                }
                hidden.push(HiddenCell {
                    row: out_row,
                    column: out_schema.field(c).name().clone(),
                    rule: *cell,
                });
            }
        }
    }
    let value_columns: Vec<String> = spec
        .columns
        .iter()
        .zip(out_schema.fields())
        .filter(|(c, _)| matches!(c, ColumnRule::Value { .. }))
        .map(|(_, f)| f.name().clone())
        .collect();
    let summary = Summary {
        rows: checked.num_rows(),
        value_cells: checked.num_rows() * value_columns.len(),
        value_columns,
        hidden_primary,
        hidden_secondary: hidden.len() - hidden_primary,
        rounded_to: policy.rounding_base,
    };
    let names: Vec<String> = out_schema.fields().iter().map(|f| f.name().clone()).collect();
    let released = crate::history::released(sets, &rule, &shown, &names);
    let conflicts = crate::history::conflicts_in_output(conflicts, &shown, &names);
    Ok((checked, report(spec, summary, hidden), released, conflicts))
}

/// The order of the released rows by all their columns, as released: hidden cells NULL (first).
/// Without ORDER BY the rows arrive in whatever order the partitions finish, which differs
/// between runs and between one machine and a cluster; in one canonical order, the same query
/// shows the same table, and its report names the same rows, every time. Only what is released
/// decides it: rows sorted by a value before it is hidden would place each hidden value
/// between its released neighbours.
fn canonical_order(batch: &RecordBatch) -> Result<Vec<u32>> {
    let fields = batch
        .schema()
        .fields()
        .iter()
        .map(|f| SortField::new(f.data_type().clone()))
        .collect();
    let rows = RowConverter::new(fields)?.convert_columns(batch.columns())?;
    let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
    order.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
    Ok(order)
}

fn report(spec: &ControlSpec, summary: Summary, hidden: Vec<HiddenCell>) -> Report {
    let mut notes = Vec::new();
    if summary.hidden_secondary > 0 {
        notes.push(format!(
            "secondary suppression hid {} cells beyond the primary ones",
            summary.hidden_secondary
        ));
    }
    let status = if hidden.is_empty() {
        Status::Pass
    } else {
        Status::CellsHidden
    };
    Report {
        status,
        policy: spec.policy.clone(),
        query_hash: String::new(),
        command: String::new(),
        summary,
        hidden,
        refusal: None,
        notes,
    }
}
