//! `renkei_person_number(person)`: a pseudonymous person key (32 hex characters) as a
//! 64-bit number, so that counting the distinct persons behind each cell runs on
//! DataFusion's grouped distinct count for integers (one hash set of (cell, number) for all
//! cells) instead of its per-cell fallback for text, which the disclosure counts made the
//! dominant cost of a checked query.
//!
//! Why 64 bits are safe: the keys are keyed BLAKE3 output, so their first 64 bits are
//! uniform; two persons sharing them (about 3·10⁻⁸ for a million persons in one cell) merge
//! into one, so a count can only come out *lower* than the truth, never higher. A lower count
//! hides more, never less: the checks stay fail-closed. A value that is not a key (none
//! should reach here) is hashed to a number the same way.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use std::sync::{Arc, LazyLock};

/// The function, shared by every plan that uses it.
pub fn person_number_udf() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| Arc::new(ScalarUDF::from(PersonNumber::new())));
    Arc::clone(&UDF)
}

/// `renkei_person_number(person)` as an expression.
pub fn person_number(person: Expr) -> Expr {
    person_number_udf().call(vec![person])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct PersonNumber {
    signature: Signature,
}

impl PersonNumber {
    fn new() -> Self {
        let text = [DataType::Utf8View, DataType::Utf8, DataType::LargeUtf8];
        Self {
            signature: Signature::one_of(
                text.into_iter().map(|t| TypeSignature::Exact(vec![t])).collect(),
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for PersonNumber {
    fn name(&self) -> &str {
        "renkei_person_number"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [person] = args.args.as_slice() else {
            return exec_err!("renkei_person_number takes one argument");
        };
        let rows = args.number_rows;
        let array = person.to_array(rows)?;
        let numbers: UInt64Array = match array.data_type() {
            DataType::Utf8View => array.as_string_view().iter().map(|v| v.map(number_of)).collect(),
            DataType::Utf8 => array.as_string::<i32>().iter().map(|v| v.map(number_of)).collect(),
            DataType::LargeUtf8 => array.as_string::<i64>().iter().map(|v| v.map(number_of)).collect(),
            other => return exec_err!("renkei_person_number of {other}"),
        };
        let out: ArrayRef = Arc::new(numbers);
        debug_assert_eq!(out.len(), rows);
        Ok(ColumnarValue::Array(out))
    }
}

/// A person key as the 128-bit number its 32 hex digits spell; any other text as the first
/// 128 bits of its BLAKE3 digest. One mapping for every count and sum of persons.
pub(crate) fn key_number(key: &str) -> u128 {
    match u128::from_str_radix(key, 16) {
        Ok(n) if key.len() == 32 => n,
        _ => {
            let mut first = [0u8; 16];
            first.copy_from_slice(&blake3::hash(key.as_bytes()).as_bytes()[..16]);
            u128::from_be_bytes(first) | 1 << 127
        }
    }
}

/// The first 64 bits of [`key_number`].
fn number_of(key: &str) -> u64 {
    (key_number(key) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::number_of;

    #[test]
    fn a_key_gives_its_first_64_bits_and_other_text_a_hash() {
        assert_eq!(number_of("0123456789abcdef0123456789abcdef"), 0x0123_4567_89ab_cdef);
        assert_ne!(number_of("not a key"), number_of("not a kez"));
        assert_eq!(number_of("not a key"), number_of("not a key"));
    }
}
