//! The allowlist's rules on text: literal texts, and the functions that may not make text
//! longer than they are given.

use super::literal_value;
use crate::refuse;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Expr;

/// A literal text (NULL as the empty text); none for anything else.
pub(super) fn text(e: &Expr) -> Option<String> {
    match literal_value(e) {
        Some(ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v)) => {
            Some(v.clone().unwrap_or_default())
        }
        Some(v) if v.is_null() => Some(String::new()),
        _ => None,
    }
}

/// Refuses a text function that could make its output longer than its input. Text that
/// grows with every call nests into text that grows past any memory pool, and then the query
/// fails (or the process is killed) exactly when a row reaches the call: `replace(x, '-',
/// '---')` nested 20 times inside `CASE WHEN age = 98 AND … THEN … END` made 3.5 GB of one
/// month, and an execution error only if that person existed (a red-team pass). So `replace`
/// takes literals for the text to find and its replacement, the replacement no longer than
/// that text in bytes and in characters, and `regexp_replace` only deletes (its replacement
/// is the empty text: any other can be put at every character, or copy the match with `$0`).
/// The rest of the list grows text by a bounded factor or not at all, and what can grow is
/// counted in [`crate::query_size::MAX_CONCATENATED`]: joining (`concat`, `||`) and case
/// mappings (`upper('ß')` is `SS`); `translate` maps a character to at most one, so its
/// characters never grow, and no bytes grow but by the four of a character.
pub(super) fn no_text_growth(name: &str, args: &[Expr]) -> Result<()> {
    let no_longer = |to: &str, from: &str| to.len() <= from.len() && to.chars().count() <= from.chars().count();
    match (name, args) {
        ("replace", [_, from, to]) => match (text(from), text(to)) {
            (Some(from), Some(to)) if no_longer(&to, &from) => Ok(()),
            _ => Err(refuse(
                "replace must find a literal text and put a literal no longer than it in its place: a longer \
                 replacement grows the text at every call, and nested it grows past any memory, failing on the \
                 rows that reach it"
                    .into(),
            )),
        },
        ("regexp_replace", [_, _, replacement, ..]) if text(replacement).is_none_or(|r| !r.is_empty()) => Err(refuse(
            "regexp_replace may only delete what it matches (a replacement of ''): a replacement can be put \
                 at every character or copy the match, growing the text at every call, and nested past any \
                 memory, failing on the rows that reach it; use replace to put a shorter literal in place of one"
                .into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::check;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::common::DFSchema;
    use datafusion::logical_expr::{Expr, lit};

    /// No text function makes text longer than it is given (but those counted in
    /// `query_size.rs`): nested, `replace(x, '-', '---')` made 3.5 GB of one value.
    #[test]
    fn text_functions_grow_no_text() {
        use datafusion::functions::expr_fn::{regexp_replace, replace};
        use datafusion::logical_expr::col;
        let schema = DFSchema::try_from(Schema::new(vec![Field::new("s", DataType::Utf8, true)])).expect("schema");
        let s = || col("s");
        let accepted = |e: Expr| check(&e, &schema).is_ok();
        assert!(accepted(replace(s(), lit("-"), lit(""))));
        assert!(accepted(replace(s(), lit("--"), lit("/"))));
        assert!(accepted(replace(s(), lit("ー"), lit("-"))));
        assert!(!accepted(replace(s(), lit("-"), lit("---"))), "longer");
        assert!(
            !accepted(replace(s(), lit("𝒜"), lit("aaaa"))),
            "as many bytes, more characters"
        );
        assert!(!accepted(replace(s(), lit(""), lit("x"))), "at every character");
        assert!(!accepted(replace(s(), lit("-"), s())), "a replacement from data");
        assert!(accepted(regexp_replace(s(), lit("[0-9]"), lit(""), Some(lit("g")))));
        assert!(!accepted(regexp_replace(s(), lit("x*"), lit("y"), Some(lit("g")))));
        assert!(!accepted(regexp_replace(s(), lit("(.*)"), lit("$1$1"), None)));
    }
}
