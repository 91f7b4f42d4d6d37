//! `renkei_atom_contributions(person, signature, value)`: for the span check of a row's
//! totals of one sensitive measure, what the dominance rules judge about each **atom** (the
//! rows of one signature, as `renkei_row_atoms` forms them). An atom the released totals
//! determine is a cell the reader computes: `sum(points) − sum(points) FILTER (WHERE
//! prefecture < '18') − sum(points) FILTER (WHERE prefecture > '18')` was prefecture 18's
//! 603,056 points, 12 persons but 97 % one man's, with nothing hidden (red team N4). The
//! control node makes a dominated atom a primary cell of the span check, as it does a small one.
//!
//! Per cell it sums each person's values per signature and outputs, per signature present,
//! `[signature, contributors, total of absolute contributions, largest, second]` as numbers
//! (a signature has at most 24 bits, exact in a float).

use crate::state_lists::kept;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Float64Builder, ListArray, ListBuilder, UInt64Array,
    UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

/// The aggregate, shared by every plan that uses it.
pub fn atom_contributions_udaf() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| Arc::new(AggregateUDF::from(AtomContributions::new())));
    Arc::clone(&UDAF)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct AtomContributions {
    signature: Signature,
}

impl AtomContributions {
    fn new() -> Self {
        // (person number, signature, value as Float64): the rewrite makes all three.
        Self {
            signature: Signature::exact(
                vec![DataType::UInt64, DataType::UInt64, DataType::Float64],
                Volatility::Immutable,
            ),
        }
    }
}

impl AggregateUDFImpl for AtomContributions {
    fn name(&self) -> &str {
        "renkei_atom_contributions"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::new_list(DataType::Float64, true))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Cell::default()))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Cells::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, t: DataType| {
            Arc::new(Field::new_list(
                format_state_name(args.name, name),
                Field::new_list_field(t, true),
                true,
            ))
        };
        Ok(vec![
            list("persons", DataType::UInt64),
            list("signatures", DataType::UInt64),
            list("sums", DataType::Float64),
        ])
    }
}

fn bad(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("renkei_atom_contributions: {what}"))
}

type Fast = foldhash::fast::RandomState;

/// One cell's sums per (signature, person).
#[derive(Debug, Default)]
struct Cell(HashMap<(u64, u64), f64, Fast>);

impl Cell {
    fn add(&mut self, person: u64, signature: u64, value: f64) {
        *self.0.entry((signature, person)).or_insert(0.0) += value;
    }

    /// `[signature, contributors, total_abs, largest, second, …]` in signature order.
    fn summary(&self) -> Vec<f64> {
        let mut atoms: BTreeMap<u64, [f64; 4]> = BTreeMap::new();
        for ((signature, _), sum) in &self.0 {
            let a = sum.abs();
            let [n, total, largest, second] = atoms.entry(*signature).or_insert([0.0; 4]);
            if a == 0.0 {
                continue;
            }
            *n += 1.0;
            *total += a;
            if a > *largest {
                (*largest, *second) = (a, *largest);
            } else if a > *second {
                *second = a;
            }
        }
        atoms
            .into_iter()
            .flat_map(|(s, [n, total, largest, second])| [s as f64, n, total, largest, second])
            .collect()
    }

    fn merge(&mut self, persons: &ArrayRef, signatures: &ArrayRef, sums: &ArrayRef) -> Result<()> {
        let (p, s, v) = (numbers(persons)?, numbers(signatures)?, floats(sums)?);
        if p.len() != s.len() || p.len() != v.len() {
            return Err(bad("state lists of different lengths"));
        }
        for i in 0..p.len() {
            self.add(p.value(i), s.value(i), v.value(i));
        }
        Ok(())
    }

    fn append_state(&self, lists: &mut StateLists) {
        for ((signature, person), sum) in &self.0 {
            lists.0.values().append_value(*person);
            lists.1.values().append_value(*signature);
            lists.2.values().append_value(*sum);
        }
        lists.0.append(true);
        lists.1.append(true);
        lists.2.append(true);
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.0.capacity() * (2 * size_of::<u64>() + size_of::<f64>() + 1)
    }
}

type StateLists = (
    ListBuilder<UInt64Builder>,
    ListBuilder<UInt64Builder>,
    ListBuilder<Float64Builder>,
);

fn new_state_lists() -> StateLists {
    (
        ListBuilder::new(UInt64Builder::new()),
        ListBuilder::new(UInt64Builder::new()),
        ListBuilder::new(Float64Builder::new()),
    )
}

fn finish(mut lists: StateLists) -> Vec<ArrayRef> {
    vec![
        Arc::new(lists.0.finish()),
        Arc::new(lists.1.finish()),
        Arc::new(lists.2.finish()),
    ]
}

fn numbers(a: &ArrayRef) -> Result<&UInt64Array> {
    a.as_primitive_opt::<UInt64Type>().ok_or_else(|| bad("not numbers"))
}

fn floats(a: &ArrayRef) -> Result<&Float64Array> {
    a.as_primitive_opt::<Float64Type>().ok_or_else(|| bad("not floats"))
}

fn arguments(values: &[ArrayRef]) -> Result<(&UInt64Array, &UInt64Array, &Float64Array)> {
    let [p, s, v] = values else {
        return Err(bad("takes three arguments"));
    };
    Ok((numbers(p)?, numbers(s)?, floats(v)?))
}

/// A row feeds an atom when it has a person, feeds some cell and has a value.
fn feeds(p: &UInt64Array, s: &UInt64Array, v: &Float64Array, i: usize) -> bool {
    p.is_valid(i) && s.is_valid(i) && s.value(i) != 0 && v.is_valid(i)
}

/// Calls `merge(row, persons, signatures, sums)` for every state row.
fn for_each_state_row(
    states: &[ArrayRef],
    mut merge: impl FnMut(usize, &ArrayRef, &ArrayRef, &ArrayRef) -> Result<()>,
) -> Result<()> {
    let [p, s, v] = states else {
        return Err(bad("a state is not three lists"));
    };
    let (p, s, v): (&ListArray, &ListArray, &ListArray) = (p.as_list(), s.as_list(), v.as_list());
    for row in 0..p.len() {
        if p.is_valid(row) && s.is_valid(row) && v.is_valid(row) {
            merge(row, &p.value(row), &s.value(row), &v.value(row))?;
        }
    }
    Ok(())
}

fn output<'a>(cells: impl Iterator<Item = &'a Cell>) -> ArrayRef {
    let mut out = ListBuilder::new(Float64Builder::new());
    for cell in cells {
        out.values().append_slice(&cell.summary());
        out.append(true);
    }
    Arc::new(out.finish())
}

impl Accumulator for Cell {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (p, s, v) = arguments(values)?;
        for i in (0..p.len()).filter(|i| feeds(p, s, v, *i)) {
            self.add(p.value(i), s.value(i), v.value(i));
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for_each_state_row(states, |_, p, s, v| self.merge(p, s, v))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut lists = new_state_lists();
        self.append_state(&mut lists);
        finish(lists)
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        ScalarValue::try_from_array(&output(std::iter::once(&*self)), 0)
    }

    fn size(&self) -> usize {
        Cell::size(self)
    }
}

#[derive(Debug, Default)]
struct Cells(Vec<Cell>);

impl GroupsAccumulator for Cells {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.0.resize_with(total_num_groups, Cell::default);
        let (p, s, v) = arguments(values)?;
        for (i, &cell) in group_indices.iter().enumerate() {
            if kept(opt_filter, i) && feeds(p, s, v, i) {
                self.0[cell].add(p.value(i), s.value(i), v.value(i));
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.0.resize_with(total_num_groups, Cell::default);
        for_each_state_row(values, |row, p, s, v| self.0[group_indices[row]].merge(p, s, v))
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(output(emit_to.take_needed(&mut self.0).iter()))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let mut lists = new_state_lists();
        for cell in emit_to.take_needed(&mut self.0) {
            cell.append_state(&mut lists);
        }
        Ok(finish(lists))
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let (p, s, v) = arguments(values)?;
        let mut lists = new_state_lists();
        for i in 0..p.len() {
            let mut cell = Cell::default();
            if kept(opt_filter, i) && feeds(p, s, v, i) {
                cell.add(p.value(i), s.value(i), v.value(i));
            }
            cell.append_state(&mut lists);
        }
        Ok(finish(lists))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.0.iter().map(Cell::size).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signature_gets_its_own_summary_through_partial_states() {
        // Person 1: 100 then 500 on signature 0b01; person 2: 50 on 0b01 and 7 on 0b11.
        let input = |p: Vec<u64>, s: Vec<u64>, v: Vec<f64>| -> Vec<ArrayRef> {
            vec![
                Arc::new(UInt64Array::from(p)),
                Arc::new(UInt64Array::from(s)),
                Arc::new(Float64Array::from(v)),
            ]
        };
        let mut first = Cells::default();
        first
            .update_batch(&input(vec![1, 2], vec![0b01, 0b11], vec![100.0, 7.0]), &[0, 0], None, 1)
            .expect("update");
        let mut second = Cells::default();
        second
            .update_batch(
                &input(vec![1, 2], vec![0b01, 0b01], vec![500.0, 50.0]),
                &[0, 0],
                None,
                1,
            )
            .expect("update");
        let mut last = Cells::default();
        for mut part in [first, second] {
            last.merge_batch(&part.state(EmitTo::All).expect("state"), &[0], 1)
                .expect("merge");
        }
        let out = last.evaluate(EmitTo::All).expect("evaluates");
        let out = out.as_list::<i32>().value(0);
        assert_eq!(
            out.as_primitive::<Float64Type>().values().to_vec(),
            vec![1.0, 2.0, 650.0, 600.0, 50.0, 3.0, 1.0, 7.0, 7.0, 0.0]
        );
    }
}
