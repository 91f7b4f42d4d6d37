//! Shift_JIS, the encoding of every UKE and 介護 file.
//!
//! `encoding_rs`'s Shift_JIS is the WHATWG one (Windows-31J); we refuse to write any
//! character outside it rather than let it become a numeric character reference.

use encoding_rs::SHIFT_JIS;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SjisError {
    #[error("character {0:?} has no Shift_JIS encoding")]
    Unmappable(char),
    #[error("invalid Shift_JIS byte sequence at byte {offset}")]
    Invalid { offset: usize },
}

pub fn encode(text: &str) -> Result<Vec<u8>, SjisError> {
    let (bytes, _, had_errors) = SHIFT_JIS.encode(text);
    if had_errors {
        let bad = text
            .chars()
            .find(|c| SHIFT_JIS.encode(c.encode_utf8(&mut [0; 4])).2)
            .unwrap_or('\u{fffd}');
        return Err(SjisError::Unmappable(bad));
    }
    Ok(bytes.into_owned())
}

pub fn decode(bytes: &[u8]) -> Result<String, SjisError> {
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3 + 16);
    let mut out = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(bad, _) => Err(SjisError::Invalid {
            offset: read.saturating_sub(bad as usize),
        }),
        encoding_rs::DecoderResult::OutputFull => {
            unreachable!("decode_to_string reserves the capacity it needs")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_kanji_and_half_width_kana() {
        let s = "渡邊 花子,ﾜﾀﾅﾍﾞ ﾊﾅｺ,ワタナベ　ハナコ,１２３";
        assert_eq!(decode(&encode(s).unwrap()).unwrap(), s);
    }

    #[test]
    fn refuses_what_shift_jis_cannot_hold() {
        assert_eq!(encode("𠮷田"), Err(SjisError::Unmappable('𠮷')));
        assert!(matches!(decode(&[0x82, 0xa0, 0x82]), Err(SjisError::Invalid { .. })));
    }
}
