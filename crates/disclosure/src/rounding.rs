//! Rounding of released counts to a base (OpenSAFELY rounds to 5; 介護DB open data considered 10).

/// 2^63, below which a whole f64 converts to i64 exactly.
const TWO_TO_THE_63: f64 = 9_223_372_036_854_775_808.0;

/// `value` rounded half up to the nearest multiple of `base`: with base 5, 12 → 10, 12.5 → 15,
/// 13 → 15, −2.5 → 0. Base 0 has no multiples to round to and leaves the value as it is (a
/// validated [`Policy`](crate::Policy) never has it); NaN and infinities are returned as they are.
pub fn round_count(value: f64, base: u64) -> f64 {
    if base == 0 || !value.is_finite() {
        return value;
    }
    // Whole numbers (counts) are rounded in integers, where halves are exact; i128 leaves
    // room for 2·value + base.
    if value.fract() == 0.0 && value.abs() < TWO_TO_THE_63 {
        let (value, base) = (value as i128, i128::from(base));
        return ((2 * value + base).div_euclid(2 * base) * base) as f64;
    }
    (value / base as f64 + 0.5).floor() * base as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_up_to_the_base() {
        let cases = [
            (0.0, 5, 0.0),
            (2.0, 5, 0.0),
            (2.5, 5, 5.0),
            (3.0, 5, 5.0),
            (12.0, 5, 10.0),
            (12.5, 5, 15.0),
            (13.0, 5, 15.0),
            (15.0, 5, 15.0),
            (24.0, 10, 20.0),
            (25.0, 10, 30.0),
            (-2.5, 5, 0.0),
            (-3.0, 5, -5.0),
            (7.0, 3, 6.0),
            (1_000_000_007.0, 10, 1_000_000_010.0),
        ];
        for (value, base, rounded) in cases {
            assert_eq!(round_count(value, base), rounded, "{value} to base {base}");
        }
    }

    #[test]
    fn odd_bases_round_whole_numbers_exactly() {
        for value in 0..200 {
            let rounded = round_count(f64::from(value), 7) as i64;
            assert_eq!(rounded % 7, 0);
            assert!((rounded - i64::from(value)).abs() <= 3, "{value} → {rounded}");
        }
    }

    #[test]
    fn degenerate_inputs_pass_through() {
        assert_eq!(round_count(13.0, 0), 13.0);
        assert!(round_count(f64::NAN, 5).is_nan());
        assert_eq!(round_count(f64::INFINITY, 5), f64::INFINITY);
    }
}
