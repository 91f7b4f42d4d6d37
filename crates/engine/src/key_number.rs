//! `renkei_key_number(key)`: a pseudonymous person key (32 hex characters), or a unit's
//! public code (a facility's, provider's or municipality's: decimal digits), as a 64-bit
//! number, so that counting the distinct persons and units behind each cell runs on
//! DataFusion's grouped distinct count for integers (one hash set of (cell, number) for all
//! cells) instead of its per-cell fallback for text, which the disclosure counts made the
//! dominant cost of a checked query.
//!
//! Why 64 bits are safe: the person keys are keyed BLAKE3 output, so their first 64 bits are
//! uniform; two persons sharing them (about 3·10⁻⁸ for a million persons in one cell) merge
//! into one, so a count can only come out *lower* than the truth, never higher. A lower count
//! hides more, never less: the checks stay fail-closed. A unit's code of up to 18 digits
//! maps to a number of its own, no two codes to one. A value that is neither (none should
//! reach here) is hashed to a number, with the same fail-closed merging.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use std::sync::{Arc, LazyLock};

/// The function, shared by every plan that uses it.
pub fn key_number_udf() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| Arc::new(ScalarUDF::from(KeyNumber::new())));
    Arc::clone(&UDF)
}

/// `renkei_key_number(key)` as an expression.
pub fn key_number(key: Expr) -> Expr {
    key_number_udf().call(vec![key])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct KeyNumber {
    signature: Signature,
}

impl KeyNumber {
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

impl ScalarUDFImpl for KeyNumber {
    fn name(&self) -> &str {
        "renkei_key_number"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [key] = args.args.as_slice() else {
            return exec_err!("renkei_key_number takes one argument");
        };
        let rows = args.number_rows;
        let array = key.to_array(rows)?;
        let numbers = match array.data_type() {
            DataType::Utf8View => {
                let keys = array.as_string_view();
                numbers(&array, |i| keys.value(i))
            }
            DataType::Utf8 => {
                let keys = array.as_string::<i32>();
                numbers(&array, |i| keys.value(i))
            }
            DataType::LargeUtf8 => {
                let keys = array.as_string::<i64>();
                numbers(&array, |i| keys.value(i))
            }
            other => return exec_err!("renkei_key_number of {other}"),
        };
        let out: ArrayRef = Arc::new(numbers);
        debug_assert_eq!(out.len(), rows);
        Ok(ColumnarValue::Array(out))
    }
}

/// The numbers of a text array's keys, its nulls kept as they are (built from a plain vector
/// and the array's null buffer, not value by optional value, which sets validity bit by bit).
fn numbers<'a>(keys: &'a ArrayRef, key: impl Fn(usize) -> &'a str) -> UInt64Array {
    let nulls = keys.logical_nulls();
    let values: Vec<u64> = (0..keys.len())
        .map(|i| match &nulls {
            Some(n) if n.is_null(i) => 0,
            _ => number_of(key(i)),
        })
        .collect();
    UInt64Array::new(values.into(), nulls)
}

/// Each byte's value as a hex digit (either case); `INVALID` for any other byte.
const HEX_DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            d @ b'0'..=b'9' => d - b'0',
            d @ b'a'..=b'f' => d - b'a' + 10,
            d @ b'A'..=b'F' => d - b'A' + 10,
            _ => INVALID,
        };
        b += 1;
    }
    table
};
const INVALID: u8 = 0xF0;

/// A person key as the number its first 16 of 32 hex digits spell; a unit's code of 1 to 18
/// decimal digits as the number "1" followed by them spells (the leading 1 keeps codes that
/// differ only in leading zeros apart; below 2⁶¹); any other text as the first 64 bits of
/// its BLAKE3 digest, top bit set. A person's number may equal a unit's: they are never
/// counted in one set. Decoded through a table, without branches per digit, rather than with
/// `u64::from_str_radix`: it runs once per input row of every checked aggregation.
fn number_of(key: &str) -> u64 {
    let digits = key.as_bytes();
    if digits.len() == 32 {
        let (mut number, mut invalid) = (0u64, 0u8);
        for (i, &d) in digits.iter().enumerate() {
            let value = HEX_DIGITS[usize::from(d)];
            invalid |= value;
            if i < 16 {
                number = number << 4 | u64::from(value & 0x0F);
            }
        }
        if invalid & INVALID == 0 {
            return number;
        }
    }
    if (1..=18).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) {
        return digits.iter().fold(1, |number, d| number * 10 + u64::from(d - b'0'));
    }
    let mut first = [0u8; 8];
    first.copy_from_slice(&blake3::hash(digits).as_bytes()[..8]);
    u64::from_be_bytes(first) | 1 << 63
}

#[cfg(test)]
mod tests {
    use super::number_of;

    #[test]
    fn a_key_gives_its_first_64_bits_a_code_its_digits_and_other_text_a_hash() {
        assert_eq!(number_of("0123456789abcdef0123456789abcdef"), 0x0123_4567_89ab_cdef);
        assert_eq!(number_of("FEDCBA9876543210fedcba9876543210"), 0xfedc_ba98_7654_3210);
        // Not 32 hex digits: hashed, with the top bit set.
        for text in [
            "0123456789abcdef0123456789abcde",
            "+123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdeg",
        ] {
            assert_ne!(number_of(text) >> 63, 0, "{text}");
        }
        assert_ne!(number_of("not a key"), number_of("not a kez"));
        assert_eq!(number_of("not a key"), number_of("not a key"));
        // Units' codes: each its own number, leading zeros kept apart, below the hashed ones.
        assert_eq!(number_of("010100016"), 1_010_100_016);
        assert_eq!(number_of("10100016"), 110_100_016);
        assert_eq!(number_of("999999999999999999"), 1_999_999_999_999_999_999);
        assert_ne!(number_of("1234567890123456789") >> 63, 0, "19 digits are hashed");
        assert_ne!(number_of("") >> 63, 0, "empty text is hashed");
    }
}
