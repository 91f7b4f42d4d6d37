//! `renkei_contributions(person, value)`: the aggregate that gives the dominance rules what
//! they judge. Per cell it sums each person's values (a person's contribution to the cell is
//! everything they put into it, across all their rows), and outputs the summary
//! `renkei_disclosure::dominance_from_top` needs: the sum of the contributions' absolute
//! values, the two largest of them, and how many persons contributed.
//!
//! It is an aggregate function rather than a second plan branch joined back to the cells,
//! so it rides on the user's own aggregation: the same input rows, the same FILTER, the
//! same GROUP BY or grouping sets, one pass over the data.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, ListArray, StringArray, StructArray, UInt64Array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type};
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
                Field::new_list_field(DataType::Utf8, true),
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

/// One cell's running sum per person.
#[derive(Debug, Default)]
struct PerPerson {
    sums: HashMap<String, f64>,
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
                *self.sums.entry(persons.value(i).to_string()).or_insert(0.0) += values.value(i);
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
            return Err(DataFusionError::Internal("renkei_contributions: bad state".into()));
        };
        let (persons, sums): (&ListArray, &ListArray) = (persons.as_list(), sums.as_list());
        for row in 0..persons.len() {
            if persons.is_valid(row) && sums.is_valid(row) {
                self.add(&persons.value(row), &sums.value(row))?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let persons: StringArray = self.sums.keys().map(Some).collect();
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
        size_of_val(self) + self.sums.capacity() * (size_of::<String>() + size_of::<f64>() + 40)
    }
}
