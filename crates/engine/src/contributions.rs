//! `renkei_contributions(person, value)`: the aggregate that gives the dominance rules what
//! they judge. Per cell it sums each person's values (a person's contribution to the cell is
//! everything they put into it, across all their rows), and outputs the summary
//! `renkei_disclosure::dominance_from_top` needs: the sum of the contributions' absolute
//! values, the two largest of them, and how many persons contributed.
//!
//! It is an aggregate function rather than a second plan branch joined back to the cells,
//! so it rides on the user's own aggregation: the same input rows, the same FILTER, the
//! same GROUP BY or grouping sets, one pass over the data.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray, StructArray, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, UInt64Type};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

/// Field names of the struct the aggregate returns.
pub const TOTAL_ABS: &str = "total_abs";
pub const LARGEST: &str = "largest";
pub const SECOND: &str = "second";
pub const CONTRIBUTORS: &str = "contributors";

/// The aggregate, shared by every plan that uses it.
pub fn contributions_udaf() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| Arc::new(AggregateUDF::from(Contributions::new())));
    Arc::clone(&UDAF)
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
}

impl Contributions {
    fn new() -> Self {
        // (person key as text, value as Float64): the rewrite casts both.
        Self {
            signature: Signature::exact(vec![DataType::Utf8, DataType::Float64], Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Contributions {
    fn name(&self) -> &str {
        "renkei_contributions"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(summary_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<PerPerson>::default())
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

/// One cell's running sum per person. Person keys are 32 hex digits: kept as the 128-bit
/// numbers they spell (a third of the memory of the text, and hashed faster); anything else
/// is kept as its BLAKE3 digest's first 128 bits.
#[derive(Debug, Default)]
struct PerPerson {
    sums: HashMap<u128, f64>,
}

fn person_number(key: &str) -> u128 {
    match u128::from_str_radix(key, 16) {
        Ok(n) if key.len() == 32 => n,
        _ => {
            let mut first = [0u8; 16];
            first.copy_from_slice(&blake3::hash(key.as_bytes()).as_bytes()[..16]);
            u128::from_be_bytes(first) | 1 << 127
        }
    }
}

impl PerPerson {
    fn add(&mut self, persons: &ArrayRef, values: &ArrayRef) -> Result<()> {
        let persons = cast(persons, &DataType::Utf8)?;
        let persons = persons.as_string::<i32>();
        let values = values
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| DataFusionError::Internal("renkei_contributions: values are not Float64".into()))?;
        for i in 0..persons.len() {
            // A row without a person or a value contributes nothing.
            if persons.is_valid(i) && values.is_valid(i) {
                *self.sums.entry(person_number(persons.value(i))).or_insert(0.0) += values.value(i);
            }
        }
        Ok(())
    }
}

impl Accumulator for PerPerson {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values {
            [persons, values] => self.add(persons, values),
            _ => Err(DataFusionError::Internal(
                "renkei_contributions takes two arguments".into(),
            )),
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [persons, sums] = states else {
            return Err(bad_state());
        };
        let (persons, sums): (&ListArray, &ListArray) = (persons.as_list(), sums.as_list());
        for row in 0..persons.len() {
            if !(persons.is_valid(row) && sums.is_valid(row)) {
                continue;
            }
            let (keys, values) = (persons.value(row), sums.value(row));
            let keys = keys.as_primitive_opt::<UInt64Type>().ok_or_else(bad_state)?.values();
            let values = values.as_primitive_opt::<Float64Type>().ok_or_else(bad_state)?;
            if keys.len() != 2 * values.len() {
                return Err(bad_state());
            }
            for (halves, v) in keys.chunks_exact(2).zip(values.values()) {
                let key = (u128::from(halves[0]) << 64) | u128::from(halves[1]);
                *self.sums.entry(key).or_insert(0.0) += v;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        // The 128-bit person numbers travel between partitions as two u64 halves each.
        let persons = UInt64Array::from_iter_values(self.sums.keys().flat_map(|k| [(k >> 64) as u64, *k as u64]));
        let sums: Float64Array = self.sums.values().copied().map(Some).collect();
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
        let mut magnitudes: Vec<f64> = self.sums.values().map(|v| v.abs()).collect();
        magnitudes.sort_by(|a, b| b.total_cmp(a));
        // Summed largest first, so the total does not depend on hash-map order.
        let total: f64 = magnitudes.iter().sum();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(vec![total])),
            Arc::new(Float64Array::from(vec![magnitudes.first().copied().unwrap_or(0.0)])),
            Arc::new(Float64Array::from(vec![magnitudes.get(1).copied().unwrap_or(0.0)])),
            Arc::new(UInt64Array::from(vec![magnitudes.len() as u64])),
        ];
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(
            summary_fields(),
            columns,
            None,
        )?)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.sums.capacity() * (size_of::<u128>() + size_of::<f64>() + 8)
    }
}
