//! Per-project pseudonyms. The engine refuses any output column that carries a person key,
//! so under every policy there should be none; but if a value shaped like the warehouse's
//! pseudonymous keys (32 lowercase hex characters) ever reaches an output, it leaves
//! re-keyed under a key of its own project, so that two projects' outputs cannot be joined
//! on it, nor joined back to the warehouse.
//!
//! The project key is derived (BLAKE3 `derive_key`) from a 256-bit broker secret kept in
//! `<data>/pseudonym.key`, created on first start and never sent anywhere.

use crate::error::BrokerError;
use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use std::path::Path;
use std::sync::Arc;

/// The secret's file under the data directory.
pub const SECRET_FILE: &str = "pseudonym.key";

const CONTEXT: &str = "renkei broker 2026 per-project output pseudonym";

/// Length of a warehouse key: 128 bits in hex.
const KEY_HEX_LEN: usize = 32;

/// The broker secret of `data`, created if absent.
pub fn load_or_create_secret(data: &Path) -> Result<[u8; 32], BrokerError> {
    crate::key_file::load_or_create(&data.join(SECRET_FILE))
}

/// The re-keying of one project's outputs.
pub struct ProjectPseudonyms {
    key: [u8; 32],
}

impl ProjectPseudonyms {
    pub fn new(secret: &[u8; 32], project: &str) -> ProjectPseudonyms {
        // The secret has a fixed length, so secret ‖ project id is unambiguous.
        let material: Vec<u8> = secret.iter().copied().chain(project.bytes()).collect();
        ProjectPseudonyms {
            key: blake3::derive_key(CONTEXT, &material),
        }
    }

    /// `batches` with every key-shaped text value re-keyed; everything else as it was.
    pub fn rekey(&self, batches: &[RecordBatch]) -> Result<Vec<RecordBatch>, BrokerError> {
        batches
            .iter()
            .map(|batch| {
                let columns = batch
                    .columns()
                    .iter()
                    .map(|c| self.rekey_column(c))
                    .collect::<Result<Vec<_>, _>>()?;
                RecordBatch::try_new(batch.schema(), columns)
                    .map_err(|_| BrokerError::Arrow("re-keying an output batch failed"))
            })
            .collect()
    }

    fn rekey_column(&self, column: &ArrayRef) -> Result<ArrayRef, BrokerError> {
        let text_type = matches!(
            column.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        );
        if !text_type {
            return Ok(Arc::clone(column));
        }
        let fail = |_| BrokerError::Arrow("re-keying an output column failed");
        let utf8 = cast(column, &DataType::Utf8).map_err(fail)?;
        let Some(values) = utf8.as_any().downcast_ref::<StringArray>() else {
            return Err(BrokerError::Arrow("re-keying an output column failed"));
        };
        if !values.iter().flatten().any(is_key_shaped) {
            return Ok(Arc::clone(column));
        }
        let rekeyed: StringArray = values
            .iter()
            .map(|v| {
                v.map(|v| {
                    if is_key_shaped(v) {
                        self.pseudonym(v)
                    } else {
                        v.to_string()
                    }
                })
            })
            .collect();
        cast(&rekeyed, column.data_type()).map_err(fail)
    }

    fn pseudonym(&self, key: &str) -> String {
        let digest = blake3::keyed_hash(&self.key, key.as_bytes());
        hex::encode(&digest.as_bytes()[..KEY_HEX_LEN / 2])
    }
}

fn is_key_shaped(v: &str) -> bool {
    v.len() == KEY_HEX_LEN && v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{Field, Schema};

    fn output(values: Vec<Option<&str>>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("label", DataType::Utf8View, true),
            Field::new("persons", DataType::Int64, true),
        ]));
        let n = values.len() as i64;
        let labels = cast(&StringArray::from(values), &DataType::Utf8View).expect("view");
        RecordBatch::try_new(schema, vec![labels, Arc::new(Int64Array::from_iter_values(0..n))]).expect("batch")
    }

    fn labels(batch: &RecordBatch) -> Vec<Option<String>> {
        let utf8 = cast(batch.column(0), &DataType::Utf8).expect("utf8");
        let values = utf8.as_any().downcast_ref::<StringArray>().expect("strings");
        values.iter().map(|v| v.map(String::from)).collect()
    }

    #[test]
    fn key_shaped_values_differ_between_projects_and_other_values_stay() {
        let key = "0123456789abcdef0123456789abcdef";
        let batch = output(vec![Some(key), Some("要介護1"), None, Some(key)]);
        let secret = [9; 32];
        let a = ProjectPseudonyms::new(&secret, "p-a")
            .rekey(std::slice::from_ref(&batch))
            .expect("a");
        let b = ProjectPseudonyms::new(&secret, "p-b")
            .rekey(std::slice::from_ref(&batch))
            .expect("b");
        let (la, lb) = (labels(&a[0]), labels(&b[0]));
        assert_eq!(a[0].schema(), batch.schema(), "types are kept");
        assert_ne!(la[0].as_deref(), Some(key), "the warehouse key does not leave");
        assert_ne!(la[0], lb[0], "two projects cannot join on it");
        assert_eq!(la[0], la[3], "within a project the same key maps to the same pseudonym");
        assert_eq!(la[1].as_deref(), Some("要介護1"));
        assert_eq!(la[2], None);
        assert_eq!(a[0].column(1), batch.column(1));
    }
}
