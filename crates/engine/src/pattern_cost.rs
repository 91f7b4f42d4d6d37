//! What a regular expression may cost. Matching time grows with the text and with the
//! compiled pattern, so one row can take far longer than the rest, and a query's time then
//! tells whether that row exists: ten patterns such as `\b[^0-9]{5001}\d` over a 16 KB text
//! that a CASE built for one person only took 2.2 s against 0.46 s without her (a red-team
//! pass; measured alone, 5 MB of compiled pattern matched a 16 KB text in 0.41 s). Text is
//! bounded already (literals of 1,000 bytes, 16 pieces joined: `query_size.rs`); here each
//! pattern's compiled program is bounded at [`MAX_PATTERN_PROGRAM`] bytes and a query holds
//! at most [`MAX_PATTERNS`] of them, so one row adds at most a few tens of milliseconds
//! (measured on this machine: ~1.5 ms per 16 KB text per 16 KiB of program).

use crate::refuse;
use datafusion::common::Result;

/// The largest compiled program of one pattern (the regex crate's `size_limit`). Unicode
/// `\w+` needs ~50 KB and is refused (`[A-Za-z0-9_]+` needs under 1 KB); the ICD-10 and
/// drug-code patterns of the studies need under 1 KB.
pub const MAX_PATTERN_PROGRAM: usize = 16 * 1024;

/// Most regular expressions in one query (`regexp_*` calls, `~` operators, SIMILAR TO).
pub const MAX_PATTERNS: usize = 16;

/// Refuses a pattern whose compiled program, case-sensitive or not, passes
/// [`MAX_PATTERN_PROGRAM`]. `similar`: a SIMILAR TO pattern, whose `%` and `_` are `.*` and
/// `.` in a regular expression.
pub fn bounded(pattern: &str, similar: bool) -> Result<()> {
    let pattern = if similar {
        pattern.replace('%', ".*").replace('_', ".")
    } else {
        pattern.to_string()
    };
    let fits = |case_insensitive: bool| {
        regex::RegexBuilder::new(&pattern)
            .case_insensitive(case_insensitive)
            .size_limit(MAX_PATTERN_PROGRAM)
            .build()
            .is_ok()
    };
    if fits(false) && fits(true) {
        return Ok(());
    }
    Err(refuse(format!(
        "a pattern that compiles to over {} KiB is refused: matching it takes long enough on a long text that \
         the query's time would tell whether such a row exists (use ASCII classes such as [A-Za-z0-9_] \
         rather than \\w, and fewer repetitions)",
        MAX_PATTERN_PROGRAM / 1024
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costly_patterns_are_refused_and_the_studies_patterns_kept() {
        for costly in [r"\b[^0-9]{5001}\d", r"[^0-9]{100}", r"\w+", r"\w{50}"] {
            assert!(bounded(costly, false).is_err(), "{costly}");
        }
        for kept in [
            r"^I2[0-5]",
            r"^(S72|S32)",
            r"[A-Z][0-9]{2}\.[0-9]",
            r"[A-Za-z0-9_]+",
            r".*",
        ] {
            assert!(bounded(kept, false).is_ok(), "{kept}");
        }
        assert!(bounded("F0[0-3]%", true).is_ok());
    }
}
