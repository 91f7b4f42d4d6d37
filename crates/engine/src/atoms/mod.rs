//! `renkei_row_atoms(person, signature)` and `renkei_person_atoms(person, signature)`: the
//! persons behind each **atom** of a row's cells of one kind, for the span check
//! (`apply.rs`, `renkei_disclosure::secondary_suppression`).
//!
//! The cells of one kind in one row (COUNTs, or SUMs of one value, over different FILTERs;
//! or distinct counts of one person) are sums over atoms: the rows (or persons) that feed
//! exactly the same cells. A row's `signature` has bit i set when it feeds cell i. Released
//! values determine an atom's total exactly when its unit vector lies in the span of the
//! released cells' vectors (`all − women − men under 98` is the atom "men 98 or older"); the
//! control node then hides cells until no atom of 1 to min_persons − 1 persons is determined.
//!
//! Per cell this outputs, for every signature present, how many persons are behind it, as
//! a list `[signature, persons, signature, persons, …]`:
//! - `renkei_row_atoms`: an atom is the rows of one signature; its persons are the distinct
//!   persons among them (one person's rows can lie in several atoms);
//! - `renkei_person_atoms`: for distinct counts of persons, an atom is the persons whose rows
//!   together feed the same cells: a person's signature is the OR of their rows'.
//!
//! Like `renkei_contributions`, it rides on the user's own aggregation: one pass.

mod dominance;

pub use dominance::atom_contributions_udaf;

use crate::state_lists::{for_each_state_row, kept, rows_as_states};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, ListBuilder, UInt64Array, UInt64Builder};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, LazyLock};

/// Most cells of one kind in one row the span check takes: signatures are 64-bit, and the
/// elimination over 0/1 vectors stays small.
pub const MAX_CELLS: usize = 24;

/// What an atom is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Atoms {
    /// The rows of one signature (COUNT, SUM).
    Rows,
    /// The persons of one signature, OR-ed over their rows (COUNT DISTINCT person).
    Persons,
    /// For a row count (bit 1 of a row's signature) beside a person count (bit 0): the
    /// persons who add a different number to each, the only ones their difference is about
    /// (`count(*) - count(DISTINCT person)` is the extra rows of persons with several). Its
    /// output is `[persons]`.
    Repeats,
    /// The same for a distinct count of records (bit 1) beside a person count (bit 0):
    /// `count(DISTINCT case_id) - count(DISTINCT person_id)` is the extra records of persons
    /// with several. Bits 2 and above of a signature with bit 1 are the record's number
    /// (its low two bits cleared). Its output is `[persons]`.
    RepeatedRecords,
    /// For a row count beside a distinct count of records: per record (the first argument;
    /// a row without one stands for itself under its person's number), its rows in the row
    /// count against its 1 or 0 in the record count. The persons of the records where they
    /// differ are those `count(*) - count(DISTINCT claim_id)` is about (over a join that
    /// repeats a man's claims, his). A signature is the person's number with its low three
    /// bits for the flags: bit 0, the record is in the record count; bits 1–2, its rows in
    /// the row count (at most 2). Its output is `[persons]`.
    RepeatedRows,
    /// Across kinds (`renkei_profile_atoms`): per person, how many of their rows feed each
    /// cell (bit i of a row's signature: it feeds cell i), the person's **profile**; an atom
    /// is the persons of one profile. Its output is `[persons, length, count₀, …, persons,
    /// …]`, a profile's counts up to its last non-zero. The control node turns the counts
    /// of cells that count persons into 0 or 1 (`renkei_disclosure::profile_cells_to_hide`).
    Profiles,
}

impl Atoms {
    /// Every kind: a cluster's nodes must know each aggregate by name.
    pub const ALL: [Atoms; 6] = [
        Atoms::Rows,
        Atoms::Persons,
        Atoms::Repeats,
        Atoms::RepeatedRecords,
        Atoms::RepeatedRows,
        Atoms::Profiles,
    ];
}

/// The aggregate for `kind`, shared by every plan that uses it.
pub fn atoms_udaf(kind: Atoms) -> Arc<AggregateUDF> {
    static ROWS: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(AtomsUdaf::new(Atoms::Rows))));
    static PERSONS: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(AtomsUdaf::new(Atoms::Persons))));
    static REPEATS: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(AtomsUdaf::new(Atoms::Repeats))));
    static REPEATED_RECORDS: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(AtomsUdaf::new(Atoms::RepeatedRecords))));
    static REPEATED_ROWS: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(AtomsUdaf::new(Atoms::RepeatedRows))));
    static PROFILES: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(AtomsUdaf::new(Atoms::Profiles))));
    Arc::clone(match kind {
        Atoms::Rows => &ROWS,
        Atoms::Persons => &PERSONS,
        Atoms::Repeats => &REPEATS,
        Atoms::RepeatedRecords => &REPEATED_RECORDS,
        Atoms::RepeatedRows => &REPEATED_ROWS,
        Atoms::Profiles => &PROFILES,
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct AtomsUdaf {
    kind: Atoms,
    signature: Signature,
}

impl AtomsUdaf {
    fn new(kind: Atoms) -> Self {
        // (person number, signature): the rewrite makes both.
        Self {
            kind,
            signature: Signature::exact(vec![DataType::UInt64, DataType::UInt64], Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for AtomsUdaf {
    fn name(&self) -> &str {
        match self.kind {
            Atoms::Rows => "renkei_row_atoms",
            Atoms::Persons => "renkei_person_atoms",
            Atoms::Repeats => "renkei_repeated_persons",
            Atoms::RepeatedRecords => "renkei_repeated_records",
            Atoms::RepeatedRows => "renkei_repeated_rows",
            Atoms::Profiles => "renkei_profile_atoms",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Atoms::Repeats | Atoms::RepeatedRecords | Atoms::RepeatedRows => DataType::UInt64,
            _ => DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, true))),
        })
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Cell::new(self.kind)))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Cells {
            kind: self.kind,
            cells: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str| {
            Arc::new(Field::new_list(
                format_state_name(args.name, name),
                Field::new_list_field(DataType::UInt64, true),
                true,
            ))
        };
        Ok(vec![list("persons"), list("signatures")])
    }
}

fn bad_state() -> DataFusionError {
    DataFusionError::Internal("renkei atoms: bad state".into())
}

type Fast = foldhash::fast::RandomState;

/// One cell's (person, signature) pairs: distinct pairs for rows, one OR-ed signature per
/// person for persons.
#[derive(Debug)]
enum Cell {
    Rows(HashSet<(u64, u64), Fast>),
    Persons(HashMap<u64, u64, Fast>),
    /// Per person: bit 0, a row in the person count; above it, the rows in the row count
    /// (at most 2: one is equal to the person's 1, two or more differ).
    Repeats(HashMap<u64, u64, Fast>),
    RepeatedRecords(HashMap<u64, Records, Fast>),
    /// Per record: its person's number and flags, as [`Atoms::RepeatedRows`] says.
    RepeatedRows(HashMap<u64, u64, Fast>),
    /// Per person: their rows in each cell, by bit; `widest`, the longest list (for `size`,
    /// which must not walk every person on every batch).
    Profiles {
        map: HashMap<u64, Vec<u32>, Fast>,
        widest: usize,
    },
}

/// [`Atoms::RepeatedRows`]: a record's flags merged with another row's.
fn merge_record_rows(seen: u64, signature: u64) -> u64 {
    let rows = (((seen >> 1) & 3) + ((signature >> 1) & 3)).min(2);
    (seen & !7) | ((seen | signature) & 1) | (rows << 1)
}

/// [`Atoms::RepeatedRows`]: whether a record adds a different number to the two counts.
fn record_rows_differ(flags: u64) -> bool {
    (flags >> 1) & 3 != flags & 1
}

/// One person's part in a record count beside a person count.
#[derive(Debug, Default, Clone, Copy)]
struct Records {
    /// A row of theirs feeds the person count.
    in_persons: bool,
    /// Their first two distinct records in the record count (more add nothing: two already
    /// differ from the person's one).
    records: [Option<u64>; 2],
}

impl Records {
    const PERSON: u64 = 1;
    const RECORD: u64 = 2;

    fn add(&mut self, signature: u64) {
        self.in_persons |= signature & Self::PERSON != 0;
        if signature & Self::RECORD == 0 {
            return;
        }
        let record = signature & !3;
        match self.records {
            [None, _] => self.records[0] = Some(record),
            [Some(first), None] if first != record => self.records[1] = Some(record),
            _ => {}
        }
    }

    /// The signatures that rebuild it through [`Records::add`]: the partial state.
    fn signatures(&self) -> impl Iterator<Item = u64> + '_ {
        let person = if self.in_persons { Self::PERSON } else { 0 };
        let records = self.records.iter().flatten().map(move |r| r | Self::RECORD | person);
        let alone = self.records[0].is_none().then_some(person);
        records.chain(alone)
    }

    /// Whether they add a different number to the two counts.
    fn differs(&self) -> bool {
        self.records.iter().flatten().count() != usize::from(self.in_persons)
    }
}

impl Cell {
    fn new(kind: Atoms) -> Self {
        match kind {
            Atoms::Rows => Cell::Rows(HashSet::default()),
            Atoms::Persons => Cell::Persons(HashMap::default()),
            Atoms::Repeats => Cell::Repeats(HashMap::default()),
            Atoms::RepeatedRecords => Cell::RepeatedRecords(HashMap::default()),
            Atoms::RepeatedRows => Cell::RepeatedRows(HashMap::default()),
            Atoms::Profiles => Cell::Profiles {
                map: HashMap::default(),
                widest: 0,
            },
        }
    }

    fn add(&mut self, person: u64, signature: u64) {
        match self {
            Cell::Rows(pairs) => {
                pairs.insert((person, signature));
            }
            Cell::Persons(map) => *map.entry(person).or_insert(0) |= signature,
            Cell::Repeats(map) => {
                let seen = map.entry(person).or_insert(0);
                let rows = ((*seen >> 1) + (signature >> 1)).min(2);
                *seen = ((*seen | signature) & 1) | (rows << 1);
            }
            Cell::RepeatedRecords(map) => map.entry(person).or_default().add(signature),
            Cell::RepeatedRows(map) => {
                map.entry(person)
                    .and_modify(|seen| *seen = merge_record_rows(*seen, signature))
                    .or_insert(signature);
            }
            Cell::Profiles { map, widest } => {
                let counts = map.entry(person).or_default();
                let bits = (u64::BITS - signature.leading_zeros()) as usize;
                if counts.len() < bits {
                    counts.resize(bits, 0);
                    *widest = (*widest).max(bits);
                }
                for (bit, count) in counts.iter_mut().enumerate() {
                    *count += ((signature >> bit) & 1) as u32;
                }
            }
        }
    }

    fn pairs(&self) -> Vec<(u64, u64)> {
        match self {
            Cell::Rows(pairs) => pairs.iter().copied().collect(),
            Cell::Persons(map) | Cell::Repeats(map) | Cell::RepeatedRows(map) => {
                map.iter().map(|(p, s)| (*p, *s)).collect()
            }
            Cell::RepeatedRecords(map) => map.iter().flat_map(|(p, r)| r.signatures().map(|s| (*p, s))).collect(),
            // The rows that rebuild a profile through `add`: at each level l, one row feeding
            // the cells with l or more.
            Cell::Profiles { map, .. } => map
                .iter()
                .flat_map(|(p, counts)| {
                    let deepest = counts.iter().copied().max().unwrap_or(0);
                    (1..=deepest).map(move |level| {
                        let signature = counts
                            .iter()
                            .enumerate()
                            .filter(|(_, c)| **c >= level)
                            .fold(0u64, |s, (bit, _)| s | 1 << bit);
                        (*p, signature)
                    })
                })
                .collect(),
        }
    }

    fn merge(&mut self, persons: &ArrayRef, signatures: &ArrayRef) -> Result<()> {
        let persons = persons.as_primitive_opt::<UInt64Type>().ok_or_else(bad_state)?.values();
        let signatures = signatures
            .as_primitive_opt::<UInt64Type>()
            .ok_or_else(bad_state)?
            .values();
        if persons.len() != signatures.len() {
            return Err(bad_state());
        }
        for (p, s) in persons.iter().zip(signatures.iter()) {
            self.add(*p, *s);
        }
        Ok(())
    }

    /// `[signature, persons, …]` in signature order; for repeats, `[persons]`.
    fn atoms(&self) -> Vec<u64> {
        match self {
            Cell::Repeats(map) => return vec![map.values().filter(|s| *s >> 1 != *s & 1).count() as u64],
            Cell::RepeatedRecords(map) => return vec![map.values().filter(|r| r.differs()).count() as u64],
            Cell::RepeatedRows(map) => {
                let persons: HashSet<u64, Fast> = map
                    .values()
                    .filter(|s| record_rows_differ(**s))
                    .map(|s| s & !7)
                    .collect();
                return vec![persons.len() as u64];
            }
            Cell::Profiles { map, .. } => {
                let mut atoms: BTreeMap<&[u32], u64> = BTreeMap::new();
                for counts in map.values() {
                    let end = counts.iter().rposition(|c| *c != 0).map_or(0, |last| last + 1);
                    *atoms.entry(&counts[..end]).or_insert(0) += 1;
                }
                return atoms
                    .into_iter()
                    .flat_map(|(counts, persons)| {
                        [persons, counts.len() as u64]
                            .into_iter()
                            .chain(counts.iter().map(|c| u64::from(*c)))
                    })
                    .collect();
            }
            Cell::Rows(_) | Cell::Persons(_) => {}
        }
        let mut persons: BTreeMap<u64, u64> = BTreeMap::new();
        for (_, s) in self.pairs() {
            *persons.entry(s).or_insert(0) += 1;
        }
        persons.into_iter().flat_map(|(s, n)| [s, n]).collect()
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + match self {
                Cell::Rows(pairs) => pairs.capacity() * (2 * size_of::<u64>() + 1),
                Cell::Persons(map) | Cell::Repeats(map) | Cell::RepeatedRows(map) => {
                    map.capacity() * (2 * size_of::<u64>() + 1)
                }
                Cell::RepeatedRecords(map) => map.capacity() * (size_of::<u64>() + size_of::<Records>() + 1),
                Cell::Profiles { map, widest } => {
                    map.capacity() * (size_of::<u64>() + size_of::<Vec<u32>>() + 1 + widest * size_of::<u32>())
                }
            }
    }
}

fn numbers(a: &ArrayRef) -> Result<&UInt64Array> {
    a.as_primitive_opt::<UInt64Type>()
        .ok_or_else(|| DataFusionError::Internal("renkei atoms: arguments are not numbers".into()))
}

fn arguments(values: &[ArrayRef]) -> Result<(&UInt64Array, &UInt64Array)> {
    let [persons, signatures] = values else {
        return Err(DataFusionError::Internal("renkei atoms take two arguments".into()));
    };
    Ok((numbers(persons)?, numbers(signatures)?))
}

/// The output of `cells`: their atoms as lists, or for repeats their counts.
fn output<'a>(kind: Atoms, cells: impl Iterator<Item = &'a Cell>) -> ArrayRef {
    if matches!(kind, Atoms::Repeats | Atoms::RepeatedRecords | Atoms::RepeatedRows) {
        return Arc::new(UInt64Array::from_iter_values(cells.map(|c| c.atoms()[0])));
    }
    let mut out = ListBuilder::new(UInt64Builder::new());
    for cell in cells {
        out.values().append_slice(&cell.atoms());
        out.append(true);
    }
    Arc::new(out.finish())
}

/// A row feeds the atoms when it has a person and feeds some cell (signature not 0).
fn feeds(persons: &UInt64Array, signatures: &UInt64Array, i: usize) -> bool {
    persons.is_valid(i) && signatures.is_valid(i) && signatures.value(i) != 0
}

impl Accumulator for Cell {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (persons, signatures) = arguments(values)?;
        for i in (0..persons.len()).filter(|i| feeds(persons, signatures, *i)) {
            self.add(persons.value(i), signatures.value(i));
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for_each_state_row(states, |_, persons, signatures| self.merge(persons, signatures))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (persons, signatures): (Vec<u64>, Vec<u64>) = self.pairs().into_iter().unzip();
        let list = |v: Vec<u64>| {
            SingleRowListArrayBuilder::new(Arc::new(UInt64Array::from(v)))
                .with_nullable(true)
                .build_list_scalar()
        };
        Ok(vec![list(persons), list(signatures)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let kind = match self {
            Cell::Rows(_) => Atoms::Rows,
            Cell::Persons(_) => Atoms::Persons,
            Cell::Repeats(_) => Atoms::Repeats,
            Cell::RepeatedRecords(_) => Atoms::RepeatedRecords,
            Cell::RepeatedRows(_) => Atoms::RepeatedRows,
            Cell::Profiles { .. } => Atoms::Profiles,
        };
        ScalarValue::try_from_array(&output(kind, std::iter::once(&*self)), 0)
    }

    fn size(&self) -> usize {
        Cell::size(self)
    }
}

/// Every cell's [`Cell`] in one accumulator, as `renkei_contributions` keeps them.
#[derive(Debug)]
struct Cells {
    kind: Atoms,
    cells: Vec<Cell>,
}

impl GroupsAccumulator for Cells {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let kind = self.kind;
        self.cells.resize_with(total_num_groups, || Cell::new(kind));
        let (persons, signatures) = arguments(values)?;
        for (i, &cell) in group_indices.iter().enumerate() {
            if kept(opt_filter, i) && feeds(persons, signatures, i) {
                self.cells[cell].add(persons.value(i), signatures.value(i));
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        let kind = self.kind;
        self.cells.resize_with(total_num_groups, || Cell::new(kind));
        for_each_state_row(values, |row, persons, signatures| {
            self.cells[group_indices[row]].merge(persons, signatures)
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(output(self.kind, emit_to.take_needed(&mut self.cells).iter()))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let mut persons = ListBuilder::new(UInt64Builder::new());
        let mut signatures = ListBuilder::new(UInt64Builder::new());
        for cell in emit_to.take_needed(&mut self.cells) {
            for (p, s) in cell.pairs() {
                persons.values().append_value(p);
                signatures.values().append_value(s);
            }
            persons.append(true);
            signatures.append(true);
        }
        Ok(vec![Arc::new(persons.finish()), Arc::new(signatures.finish())])
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let (p, s) = arguments(values)?;
        Ok(rows_as_states(p, s, opt_filter, |i| feeds(p, s, i)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.cells.iter().map(Cell::size).sum::<usize>()
    }
}

#[cfg(test)]
mod tests;
