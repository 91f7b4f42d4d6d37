//! `renkei_contributions(person, value)`: the aggregate that gives the dominance rules what
//! they judge. The person comes as its `renkei_key_number`, the number every count of
//! persons uses, so a row's key is decoded once for all of them. Per cell it sums each
//! person's values (a person's contribution to the cell is everything they put into it,
//! across all their rows), and outputs the summary
//! `renkei_disclosure::dominance_from_top` needs: the sum of the contributions' absolute
//! values, the two largest of them, and how many persons contributed.
//!
//! Its twin `renkei_contribution_pieces(person, value)` sums the same way and outputs, per
//! cell, one *piece* per person with a non-zero contribution: a number made of the person
//! and their contribution (see [`piece`]). A total that leaves is kept in the release ledger
//! as its set of pieces, so that two totals of the same measure that differ only by the
//! contributions of a few persons differ by a few pieces, a small group like any other.
//!
//! It is an aggregate function rather than a second plan branch joined back to the cells,
//! so it rides on the user's own aggregation: the same input rows, the same FILTER, the
//! same GROUP BY or grouping sets, one pass over the data.

use crate::state_lists::{for_each_state_row, kept, rows_as_states};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Float64Builder, ListBuilder, StructArray, UInt64Array,
    UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, UInt64Type};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

/// Field names of the struct the aggregate returns.
pub const TOTAL_ABS: &str = "total_abs";
pub const LARGEST: &str = "largest";
pub const SECOND: &str = "second";
pub const CONTRIBUTORS: &str = "contributors";

/// The aggregate, shared by every plan that uses it.
pub fn contributions_udaf() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(Contributions::new(Output::Summary))));
    Arc::clone(&UDAF)
}

/// Its twins that output each cell's pieces: of a count of rows, or of a total of a measure.
pub fn pieces_udaf(kind: PieceKind) -> Arc<AggregateUDF> {
    static ROWS: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(Contributions::new(Output::Pieces(PieceKind::Rows)))));
    static MEASURE: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
        Arc::new(AggregateUDF::from(Contributions::new(Output::Pieces(
            PieceKind::Measure,
        ))))
    });
    match kind {
        PieceKind::Rows => Arc::clone(&ROWS),
        PieceKind::Measure => Arc::clone(&MEASURE),
    }
}

/// What a cell's per-person sums become.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
enum Output {
    /// What the dominance rules judge.
    #[default]
    Summary,
    /// The cell's pieces, for the ledger.
    Pieces(PieceKind),
}

/// What a total's pieces add up: a person's rows, or a measure. A person with as many claims
/// as years of age has the same contribution to both (a one-year-old with one claim), and
/// pieces that met across the two made the count and the age total of one output share a
/// small group of pieces that is no group of persons: `avg(age)` beside `count(*)` by sex was
/// hidden whole. Totals of measures are one kind whatever their measure, so that a total
/// written another way (`sum(CASE WHEN age < 99 THEN points ELSE 0 END)` after
/// `sum(points)`) still meets the pieces it shares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PieceKind {
    #[default]
    Rows,
    Measure,
}

/// A person's contribution to a total as one number: the person's high 32 bits, then 32 bits
/// of BLAKE3 over the person's number and the contribution rounded to 12 significant digits
/// (a sum of floats may end differently when its rows arrive in another order; a total of
/// integers is exact). Pieces of one person stay recognisable by their high bits. Stable
/// across processes and runs: the ledger compares pieces of outputs released months apart.
pub fn piece(person: u64, contribution: f64, kind: PieceKind) -> u64 {
    // An integer of at most 12 digits is its own rounding: no text on the common path (one
    // piece per person per cell).
    let rounded = if contribution.fract() == 0.0 && contribution.abs() < 1e12 {
        contribution
    } else {
        format!("{contribution:.11e}").parse().unwrap_or(contribution)
    };
    // Pieces of rows hash as they always did, so a ledger's earlier counts still meet them.
    let mut bytes = [0u8; 17];
    bytes[..8].copy_from_slice(&person.to_le_bytes());
    bytes[8..16].copy_from_slice(&rounded.to_bits().to_le_bytes());
    let length = match kind {
        PieceKind::Rows => 16,
        PieceKind::Measure => {
            bytes[16] = b'm';
            17
        }
    };
    let digest = blake3::hash(&bytes[..length]);
    let low = u32::from_le_bytes(digest.as_bytes()[..4].try_into().unwrap_or_default());
    (person & 0xFFFF_FFFF_0000_0000) | u64::from(low)
}

fn summary_fields() -> Fields {
    Fields::from(vec![
        Field::new(TOTAL_ABS, DataType::Float64, false),
        Field::new(LARGEST, DataType::Float64, false),
        Field::new(SECOND, DataType::Float64, false),
        Field::new(CONTRIBUTORS, DataType::UInt64, false),
    ])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Contributions {
    signature: Signature,
    output: Output,
}

impl Contributions {
    fn new(output: Output) -> Self {
        // (person number, value as Float64): the rewrite makes both.
        Self {
            signature: Signature::exact(vec![DataType::UInt64, DataType::Float64], Volatility::Immutable),
            output,
        }
    }
}

impl AggregateUDFImpl for Contributions {
    fn name(&self) -> &str {
        match self.output {
            Output::Summary => "renkei_contributions",
            Output::Pieces(PieceKind::Rows) => "renkei_contribution_pieces",
            Output::Pieces(PieceKind::Measure) => "renkei_measure_pieces",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.output {
            Output::Summary => DataType::Struct(summary_fields()),
            Output::Pieces(_) => DataType::new_list(DataType::UInt64, true),
        })
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PerPerson {
            output: self.output,
            ..Default::default()
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PerCell {
            output: self.output,
            ..Default::default()
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new_list(
                format_state_name(args.name, "persons"),
                Field::new_list_field(DataType::UInt64, true),
                true,
            )),
            Arc::new(Field::new_list(
                format_state_name(args.name, "sums"),
                Field::new_list_field(DataType::Float64, true),
                true,
            )),
        ])
    }
}

fn bad_state() -> DataFusionError {
    DataFusionError::Internal("renkei_contributions: bad state".into())
}

/// One cell's running sum per person, by person number. Two persons sharing a number (see
/// `key_number.rs`) would count as one whose contribution is both of theirs: a larger
/// largest contribution, fewer contributors — more hidden, never less. Hashed with foldhash,
/// not the standard library's SipHash: one lookup per input row makes the hash a visible
/// part of a checked query's time, and the map is seeded per process all the same.
#[derive(Debug, Default)]
struct PerPerson {
    sums: HashMap<u64, f64, foldhash::fast::RandomState>,
    /// What it outputs as an accumulator of its own (in a [`PerCell`], the PerCell's).
    output: Output,
}

impl PerPerson {
    fn add(&mut self, person: u64, value: f64) {
        *self.sums.entry(person).or_insert(0.0) += value;
    }

    /// Adds one state row: person numbers and their sums.
    fn merge(&mut self, persons: &ArrayRef, sums: &ArrayRef) -> Result<()> {
        let keys = persons.as_primitive_opt::<UInt64Type>().ok_or_else(bad_state)?.values();
        let values = sums.as_primitive_opt::<Float64Type>().ok_or_else(bad_state)?;
        if keys.len() != values.len() {
            return Err(bad_state());
        }
        if self.sums.is_empty() {
            // Most cells' first state row is most of their persons: one allocation, no rehash.
            self.sums.reserve(values.len());
        }
        for (&key, v) in keys.iter().zip(values.values()) {
            self.add(key, *v);
        }
        Ok(())
    }

    /// The person numbers and their sums, in one order.
    fn state_values(&self) -> (UInt64Array, Float64Array) {
        let persons = UInt64Array::from_iter_values(self.sums.keys().copied());
        let sums: Float64Array = self.sums.values().copied().map(Some).collect();
        (persons, sums)
    }

    /// Total |contribution|, the two largest, and the number of contributors.
    fn summary(&self) -> (f64, f64, f64, u64) {
        let mut magnitudes: Vec<f64> = self.sums.values().map(|v| v.abs()).collect();
        magnitudes.sort_by(|a, b| b.total_cmp(a));
        // Summed largest first, so the total does not depend on hash-map order.
        let total: f64 = magnitudes.iter().sum();
        let largest = magnitudes.first().copied().unwrap_or(0.0);
        let second = magnitudes.get(1).copied().unwrap_or(0.0);
        (total, largest, second, magnitudes.len() as u64)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.sums.capacity() * (size_of::<u64>() + size_of::<f64>() + 1)
    }

    /// The pieces of the persons who put something into the cell.
    fn pieces(&self, kind: PieceKind) -> impl Iterator<Item = u64> + '_ {
        self.sums
            .iter()
            .filter(|(_, v)| **v != 0.0)
            .map(move |(p, v)| piece(*p, *v, kind))
    }
}

/// What `cells` output, in the aggregate's return type.
fn outputs<'a>(output: Output, cells: impl Iterator<Item = &'a PerPerson>) -> Result<ArrayRef> {
    match output {
        Output::Summary => summaries(cells),
        Output::Pieces(kind) => {
            let mut lists = ListBuilder::new(UInt64Builder::new());
            for cell in cells {
                lists.values().extend(cell.pieces(kind).map(Some));
                lists.append(true);
            }
            Ok(Arc::new(lists.finish()))
        }
    }
}

/// The arguments of an update: person numbers, and values as Float64.
fn arguments(values: &[ArrayRef]) -> Result<(&UInt64Array, &Float64Array)> {
    let [persons, values] = values else {
        return Err(DataFusionError::Internal(
            "renkei_contributions takes two arguments".into(),
        ));
    };
    let persons = persons
        .as_primitive_opt::<UInt64Type>()
        .ok_or_else(|| DataFusionError::Internal("renkei_contributions: persons are not numbers".into()))?;
    let values = values
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| DataFusionError::Internal("renkei_contributions: values are not Float64".into()))?;
    Ok((persons, values))
}

/// The summaries of `cells` as the struct array the aggregate returns.
fn summaries<'a>(cells: impl Iterator<Item = &'a PerPerson>) -> Result<ArrayRef> {
    let (mut total, mut largest, mut second, mut contributors) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for cell in cells {
        let (t, l, s, n) = cell.summary();
        total.push(t);
        largest.push(l);
        second.push(s);
        contributors.push(n);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(total)),
        Arc::new(Float64Array::from(largest)),
        Arc::new(Float64Array::from(second)),
        Arc::new(UInt64Array::from(contributors)),
    ];
    Ok(Arc::new(StructArray::try_new(summary_fields(), columns, None)?))
}

impl Accumulator for PerPerson {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (persons, values) = arguments(values)?;
        for i in 0..persons.len() {
            // A row without a person or a value contributes nothing.
            if persons.is_valid(i) && values.is_valid(i) {
                self.add(persons.value(i), values.value(i));
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for_each_state_row(states, |_, persons, sums| self.merge(persons, sums))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (persons, sums) = self.state_values();
        Ok(vec![
            SingleRowListArrayBuilder::new(Arc::new(persons))
                .with_nullable(true)
                .build_list_scalar(),
            SingleRowListArrayBuilder::new(Arc::new(sums))
                .with_nullable(true)
                .build_list_scalar(),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        ScalarValue::try_from_array(&outputs(self.output, std::iter::once(&*self))?, 0)
    }

    fn size(&self) -> usize {
        PerPerson::size(self)
    }
}

/// Every cell's [`PerPerson`] in one accumulator: DataFusion hands it whole batches with each
/// row's cell, instead of slicing batches per cell for one accumulator each (which made the
/// dominance sums the slowest part of a checked query with many cells).
#[derive(Debug, Default)]
struct PerCell {
    cells: Vec<PerPerson>,
    output: Output,
}

impl GroupsAccumulator for PerCell {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.cells.resize_with(total_num_groups, PerPerson::default);
        let (persons, values) = arguments(values)?;
        for (i, &cell) in group_indices.iter().enumerate() {
            if kept(opt_filter, i) && persons.is_valid(i) && values.is_valid(i) {
                self.cells[cell].add(persons.value(i), values.value(i));
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.cells.resize_with(total_num_groups, PerPerson::default);
        for_each_state_row(values, |row, persons, sums| {
            self.cells[group_indices[row]].merge(persons, sums)
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        outputs(self.output, emit_to.take_needed(&mut self.cells).iter())
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let mut persons = ListBuilder::new(UInt64Builder::new());
        let mut sums = ListBuilder::new(Float64Builder::new());
        for cell in emit_to.take_needed(&mut self.cells) {
            let (p, v) = cell.state_values();
            persons.values().append_slice(p.values());
            persons.append(true);
            sums.values().append_slice(v.values());
            sums.append(true);
        }
        Ok(vec![Arc::new(persons.finish()), Arc::new(sums.finish())])
    }

    /// Each input row as a state row of its own: one person and its value (none when the
    /// row is filtered out or has no person or value).
    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let (persons, values) = arguments(values)?;
        Ok(rows_as_states(persons, values, opt_filter, |i| {
            persons.is_valid(i) && values.is_valid(i)
        }))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.cells.iter().map(PerPerson::size).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary_rows(array: &ArrayRef) -> Vec<(f64, f64, f64, u64)> {
        let s = array.as_struct();
        let f = |i: usize| s.column(i).as_primitive::<Float64Type>().clone();
        let (total, largest, second) = (f(0), f(1), f(2));
        let n = s.column(3).as_primitive::<UInt64Type>();
        (0..s.len())
            .map(|r| (total.value(r), largest.value(r), second.value(r), n.value(r)))
            .collect()
    }

    /// Rows of two cells: cell 0 has person a twice (3 + 4) and b once (-2); cell 1 has b
    /// (5); one row is filtered out and one has no value.
    fn input() -> (Vec<ArrayRef>, Vec<usize>, BooleanArray) {
        let (a, b) = (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        let persons: ArrayRef = Arc::new(UInt64Array::from(vec![a, b, a, b, a, b]));
        let values: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(3.0),
            Some(-2.0),
            Some(4.0),
            Some(5.0),
            Some(100.0),
            None,
        ]));
        let filter = BooleanArray::from(vec![true, true, true, true, false, true]);
        (vec![persons, values], vec![0, 0, 0, 1, 1, 1], filter)
    }

    #[test]
    fn a_piece_keeps_its_person_and_ignores_the_order_of_a_float_sum() {
        let person = 0x0123_4567_89ab_cdef;
        assert_eq!(
            piece(person, 0.1 + 0.2, PieceKind::Rows),
            piece(person, 0.3, PieceKind::Rows)
        );
        assert_ne!(
            piece(person, 300.0, PieceKind::Rows),
            piece(person, 301.0, PieceKind::Rows)
        );
        assert_ne!(
            piece(person, 300.0, PieceKind::Rows),
            piece(person + (1 << 32), 300.0, PieceKind::Rows)
        );
        assert_eq!(piece(person, 300.0, PieceKind::Measure) >> 32, person >> 32);
        assert_ne!(
            piece(person, 3.0, PieceKind::Rows),
            piece(person, 3.0, PieceKind::Measure)
        );
    }

    #[test]
    fn pieces_are_one_per_person_with_a_contribution() {
        let (values, groups, filter) = input();
        let mut cells = PerCell {
            output: Output::Pieces(PieceKind::Rows),
            ..Default::default()
        };
        cells.update_batch(&values, &groups, Some(&filter), 2).expect("update");
        let lists = cells.evaluate(EmitTo::All).expect("evaluate");
        let lists = lists.as_list::<i32>();
        let mut first: Vec<u64> = lists.value(0).as_primitive::<UInt64Type>().values().to_vec();
        first.sort_unstable();
        let (a, b) = (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        let mut expected = vec![piece(a, 7.0, PieceKind::Rows), piece(b, -2.0, PieceKind::Rows)];
        expected.sort_unstable();
        assert_eq!(first, expected);
        assert_eq!(lists.value(1).len(), 1);
    }

    #[test]
    fn cells_sum_per_person_directly_and_through_converted_state() {
        let (values, groups, filter) = input();
        let mut direct = PerCell::default();
        direct.update_batch(&values, &groups, Some(&filter), 2).expect("update");
        let expected = vec![(9.0, 7.0, 2.0, 2), (5.0, 5.0, 0.0, 1)];
        assert_eq!(summary_rows(&direct.evaluate(EmitTo::All).expect("evaluate")), expected);

        // Skipping partial aggregation: each row becomes a state row, merged by the final step.
        let mut merged = PerCell::default();
        let state = merged.convert_to_state(&values, Some(&filter)).expect("state");
        merged.merge_batch(&state, &groups, 2).expect("merge");
        assert_eq!(summary_rows(&merged.evaluate(EmitTo::All).expect("evaluate")), expected);

        // And a partial state, emitted and merged, gives the same.
        let mut partial = PerCell::default();
        partial
            .update_batch(&values, &groups, Some(&filter), 2)
            .expect("update");
        let state = partial.state(EmitTo::All).expect("state");
        let mut last = PerCell::default();
        last.merge_batch(&state, &[0, 1], 2).expect("merge");
        assert_eq!(summary_rows(&last.evaluate(EmitTo::All).expect("evaluate")), expected);
    }
}
