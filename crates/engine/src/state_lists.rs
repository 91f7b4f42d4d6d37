//! The partial state shared by the engine's per-person aggregates (`renkei_contributions`,
//! the atoms): per cell, two lists of one length, the person numbers and a value for each.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::common::Result;
use datafusion::error::DataFusionError;

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
