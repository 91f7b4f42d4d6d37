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

/// How a pattern is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// A regular expression (`regexp_…`, `~`).
    Regex,
    /// SIMILAR TO: a regular expression whose `%` and `_` are `.*` and `.`.
    SimilarTo,
    /// LIKE: `%` and `_` are its only wildcards (Arrow matches a LIKE with wildcards inside
    /// the text by a regular expression; 600 `_` in one matched a 16 KB text in 6.8 s against
    /// 0.04 s without it, a red-team pass).
    Like,
}

/// The regular expression a LIKE pattern matches as (`\` escapes the next character).
fn like_as_regex(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '\\' => out.push_str(&regex::escape(&chars.next().map(String::from).unwrap_or_default())),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

/// Refuses a pattern whose compiled program, case-sensitive or not, passes
/// [`MAX_PATTERN_PROGRAM`].
pub fn bounded(pattern: &str, syntax: Syntax) -> Result<()> {
    let pattern = match syntax {
        Syntax::Regex => pattern.to_string(),
        Syntax::SimilarTo => pattern.replace('%', ".*").replace('_', "."),
        Syntax::Like => like_as_regex(pattern),
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
            assert!(bounded(costly, Syntax::Regex).is_err(), "{costly}");
        }
        for kept in [
            r"^I2[0-5]",
            r"^(S72|S32)",
            r"[A-Z][0-9]{2}\.[0-9]",
            r"[A-Za-z0-9_]+",
            r".*",
        ] {
            assert!(bounded(kept, Syntax::Regex).is_ok(), "{kept}");
        }
        assert!(bounded("F0[0-3]%", Syntax::SimilarTo).is_ok());
        // LIKE: the study queries' prefixes and a literal parenthesis are kept; 600 `_` are not.
        for kept in ["S72%", "%(1)%", "I2_._", "100\\%"] {
            assert!(bounded(kept, Syntax::Like).is_ok(), "{kept}");
        }
        assert!(bounded(&format!("%{}x%", "_".repeat(600)), Syntax::Like).is_err());
    }
}
