//! Check digits of the code systems the claim files carry.

/// Modulus 10, weights 2-1 from the right, products summed digit by digit: the rule of
/// 保険者番号 (insurer numbers) and of the 7-digit 医療機関コード (facility codes).
pub fn modulus10_w21(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let p = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Modulus 11, weights 6-5-4-3-2 over the 5-digit 全国地方公共団体コード body; the check
/// digit is the ones digit of 11 minus the remainder.
pub fn modulus11_municipality(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    ((11 - sum % 11) % 10) as u8
}

/// `body` followed by its modulus-10 (2-1) check digit.
pub fn with_modulus10_w21(body: &str) -> String {
    format!("{body}{}", modulus10_w21(body))
}

/// True when `code` is all digits and its last digit is the modulus-10 (2-1) check digit
/// of the rest.
pub fn is_valid_modulus10_w21(code: &str) -> bool {
    code.len() >= 2
        && code.bytes().all(|b| b.is_ascii_digit())
        && modulus10_w21(&code[..code.len() - 1]) == code.as_bytes()[code.len() - 1] - b'0'
}

pub fn is_valid_municipality_code(code: &str) -> bool {
    code.len() == 6
        && code.bytes().all(|b| b.is_ascii_digit())
        && modulus11_municipality(&code[..5]) == code.as_bytes()[5] - b'0'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insurer_numbers_of_public_record() {
        // 協会けんぽ 東京支部 and 北海道支部 publish these insurer numbers.
        assert!(is_valid_modulus10_w21("01130012"));
        assert!(is_valid_modulus10_w21("01010016"));
        assert!(!is_valid_modulus10_w21("01130013"));
    }

    #[test]
    fn municipality_codes_of_public_record() {
        // 札幌市 011002, 千代田区 131016, 那覇市 472018.
        assert!(is_valid_municipality_code("011002"));
        assert!(is_valid_municipality_code("131016"));
        assert!(is_valid_municipality_code("472018"));
        assert!(!is_valid_municipality_code("131017"));
    }
}
