//! The partial state shared by the engine's per-person aggregates (`renkei_contributions`,
//! the atoms): per cell, two lists of one length, the person numbers and a value for each.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, ListArray, ListBuilder, PrimitiveArray, PrimitiveBuilder, UInt64Array,
    UInt64Builder,
};
use datafusion::arrow::datatypes::ArrowPrimitiveType;
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use std::sync::Arc;

/// Calls `merge(row, persons, values)` for every state row that has both lists.
pub fn for_each_state_row(
    states: &[ArrayRef],
    mut merge: impl FnMut(usize, &ArrayRef, &ArrayRef) -> Result<()>,
) -> Result<()> {
    let [persons, values] = states else {
        return Err(DataFusionError::Internal(
            "a per-person aggregate's state is not two lists".into(),
        ));
    };
    let (persons, values): (&ListArray, &ListArray) = (persons.as_list(), values.as_list());
    for row in 0..persons.len() {
        if persons.is_valid(row) && values.is_valid(row) {
            merge(row, &persons.value(row), &values.value(row))?;
        }
    }
    Ok(())
}

/// Whether row `i` passes the aggregate's FILTER.
pub fn kept(filter: Option<&BooleanArray>, i: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(i) && f.value(i))
}

/// Each input row as a state row of its own (`convert_to_state`, when partial aggregation is
/// skipped): its person and its value where the FILTER keeps it and `feeds(i)`, else none.
pub fn rows_as_states<V: ArrowPrimitiveType>(
    persons: &UInt64Array,
    values: &PrimitiveArray<V>,
    filter: Option<&BooleanArray>,
    feeds: impl Fn(usize) -> bool,
) -> Vec<ArrayRef> {
    let mut keys = ListBuilder::new(UInt64Builder::new());
    let mut kept_values = ListBuilder::new(PrimitiveBuilder::<V>::new());
    for i in 0..persons.len() {
        if kept(filter, i) && feeds(i) {
            keys.values().append_value(persons.value(i));
            kept_values.values().append_value(values.value(i));
        }
        keys.append(true);
        kept_values.append(true);
    }
    vec![Arc::new(keys.finish()), Arc::new(kept_values.finish())]
}
