//! How deeply a query may nest. DataFusion clones, compares and drops its expression trees
//! by recursion (derived `Clone`, `PartialEq`, `Drop`), so an expression nested deep enough
//! overflows the thread's stack, and a stack overflow aborts the whole process: `… WHERE
//! c = 'x' OR c = 'x' OR …` with 10,000 ORs did so in `renkei query` (8 MiB main thread,
//! debug build, in `Expr::clone` while planning: 36,000 frames, ~0.8 KiB per OR), and a
//! quarter of that would have stopped the broker, on its 2 MiB workers, for every user.
//!
//! So before anything is parsed into a tree, the SQL's tokens are counted (the tokenizer is
//! a loop, not a recursion). An expression nests at most one level per operator or opening
//! parenthesis, so counting those bounds the depth whatever the precedence; the bound
//! over-counts flat lists (a CASE of many `WHEN c = …` branches), which is the price of
//! deciding before the tree exists. Plans nest the same way, one level per SELECT (a CTE, a
//! subquery, a branch of UNION), per JOIN and per table after a comma in FROM: a chain of
//! 1,500 CTEs or of 2,500 UNION ALL branches overflowed the broker's 8 MiB stack (a red-team
//! pass), and those are counted apart, against a far lower bound. The decision reads the SQL
//! only, never the data.

use crate::EngineError;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// Most operators and opening parentheses in one query. At ~0.8 KiB of stack per level
/// (measured above) the deepest accepted query needs ~1.6 MiB in a debug build; the broker
/// and the CLI run queries on threads of [`QUERY_STACK_BYTES`].
pub const MAX_NESTING_TOKENS: usize = 2_000;
/// Most SELECTs, JOINs, set operations and tables after a comma in FROM in one query: 1,200
/// chained CTEs still planned on 8 MiB, so this is a fifth of what broke.
pub const MAX_PLAN_NESTING: usize = 256;
/// Most pieces of text joined in one query (arguments of `concat` / `concat_ws`, two per
/// `||`, three per `upper` / `lower`). Each joining multiplies a string's length, and a query
/// can join what an earlier CTE joined: `concat(s, s, …)` of 500 arguments over three CTEs
/// made strings of 250 MB a row and took the broker past 6 GB, outside the memory pool (a
/// red-team pass). A case mapping can triple a text's characters (`upper('ΐ')` is three, and
/// `translate` can make each of them a `ΐ` again), so it counts as a join of three. With 16
/// pieces in all, a string grows at most ~300 times (3^4 · 4). The other text functions
/// cannot make text longer than they are given (`allowlist.rs`).
pub const MAX_CONCATENATED: usize = 16;
/// Most tokens in one query (a list of 50,000 codes fits).
pub const MAX_TOKENS: usize = 200_000;
/// The stack of every thread that plans queries (the CLI's and the broker's runtimes): four
/// times what the deepest accepted query needs.
pub const QUERY_STACK_BYTES: usize = 8 * 1024 * 1024;

/// Refuses a query that nests or runs longer than the engine can plan safely.
pub fn check(sql: &str) -> Result<(), EngineError> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .map_err(|e| EngineError::Invalid(format!("SQL error: {e}")))?;
    if tokens.len() > MAX_TOKENS {
        return Err(EngineError::Invalid(format!(
            "the query has {} tokens; at most {MAX_TOKENS} are accepted",
            tokens.len()
        )));
    }
    let plans = plan_nesting(&tokens);
    if plans > MAX_PLAN_NESTING {
        return Err(EngineError::Invalid(format!(
            "the query has {plans} SELECTs, JOINs, set operations and tables listed in FROM; at \
             most {MAX_PLAN_NESTING} are accepted"
        )));
    }
    let joined = concatenated(&tokens);
    if joined > MAX_CONCATENATED {
        return Err(EngineError::Invalid(format!(
            "the query joins {joined} pieces of text (concat arguments, two per ||, three per upper or \
             lower); at most {MAX_CONCATENATED} are accepted"
        )));
    }
    let patterns = patterns(&tokens);
    if patterns > crate::pattern_cost::MAX_PATTERNS {
        return Err(EngineError::Invalid(format!(
            "the query matches {patterns} regular expressions (regexp_ functions, ~ operators, SIMILAR TO); at \
             most {} are accepted",
            crate::pattern_cost::MAX_PATTERNS
        )));
    }
    let nesting = tokens.iter().filter(|t| nests(t)).count();
    if nesting > MAX_NESTING_TOKENS {
        return Err(EngineError::Invalid(format!(
            "the query has {nesting} operators and opening parentheses; at most \
             {MAX_NESTING_TOKENS} are accepted (a longer chain of AND / OR nests deeper than \
             the engine plans safely: list values with IN (…) instead)"
        )));
    }
    Ok(())
}

/// The SELECTs, JOINs, UNION / INTERSECT / EXCEPT, and commas of a FROM list: each opens one
/// more level of the plan.
fn plan_nesting(tokens: &[Token]) -> usize {
    // Per parenthesis depth: whether a FROM list is open there.
    let mut in_from = vec![false];
    let mut count = 0;
    for token in tokens {
        match token {
            Token::LParen => in_from.push(false),
            Token::RParen if in_from.len() > 1 => {
                in_from.pop();
            }
            Token::Comma if in_from.last() == Some(&true) => count += 1,
            Token::Word(w) => {
                let (counts, opens) = match w.keyword {
                    Keyword::SELECT | Keyword::UNION | Keyword::INTERSECT | Keyword::EXCEPT => (true, Some(false)),
                    Keyword::JOIN => (true, None),
                    Keyword::FROM => (false, Some(true)),
                    Keyword::WHERE
                    | Keyword::GROUP
                    | Keyword::HAVING
                    | Keyword::ORDER
                    | Keyword::LIMIT
                    | Keyword::WINDOW
                    | Keyword::QUALIFY => (false, Some(false)),
                    _ => (false, None),
                };
                count += usize::from(counts);
                if let (Some(open), Some(here)) = (opens, in_from.last_mut()) {
                    *here = open;
                }
            }
            _ => {}
        }
    }
    count
}

/// The pieces of text a query joins: each `concat` / `concat_ws` call's arguments (its
/// commas at its own depth, plus one), two per `||`, three per `upper` / `lower` call.
fn concatenated(tokens: &[Token]) -> usize {
    let meaningful: Vec<&Token> = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    let mut count = 0;
    for (i, token) in meaningful.iter().enumerate() {
        match token {
            Token::StringConcat => count += 2,
            Token::Word(w)
                if (w.value.eq_ignore_ascii_case("upper") || w.value.eq_ignore_ascii_case("lower"))
                    && matches!(meaningful.get(i + 1), Some(Token::LParen)) =>
            {
                count += 3;
            }
            Token::Word(w)
                if (w.value.eq_ignore_ascii_case("concat") || w.value.eq_ignore_ascii_case("concat_ws"))
                    && matches!(meaningful.get(i + 1), Some(Token::LParen)) =>
            {
                let mut depth = 0usize;
                count += 1;
                for t in &meaningful[i + 1..] {
                    match t {
                        Token::LParen => depth += 1,
                        Token::RParen => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Token::Comma if depth == 1 => count += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    count
}

/// The regular expressions a query matches: `regexp_…` calls, `~` operators, SIMILAR TO.
fn patterns(tokens: &[Token]) -> usize {
    tokens
        .iter()
        .filter(|t| match t {
            Token::Word(w) => {
                w.keyword == Keyword::SIMILAR || w.value.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("regexp_"))
            }
            Token::Tilde | Token::TildeAsterisk | Token::ExclamationMarkTilde | Token::ExclamationMarkTildeAsterisk => {
                true
            }
            _ => false,
        })
        .count()
}

/// A token that can open one more level of an expression tree.
fn nests(token: &Token) -> bool {
    match token {
        Token::Word(w) => matches!(
            w.keyword,
            Keyword::AND
                | Keyword::OR
                | Keyword::NOT
                | Keyword::XOR
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::SIMILAR
                | Keyword::IS
                | Keyword::IN
                | Keyword::BETWEEN
                | Keyword::CASE
                | Keyword::WHEN
                | Keyword::COLLATE
                | Keyword::AT
        ),
        Token::Whitespace(_)
        | Token::Comma
        | Token::Period
        | Token::SemiColon
        | Token::RParen
        | Token::RBracket
        | Token::RBrace
        | Token::Number(..)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::NationalStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::Placeholder(_)
        | Token::EOF => false,
        // Every operator, every opening parenthesis or bracket, and whatever else the
        // tokenizer knows: counting too much refuses earlier, never later.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ors(n: usize) -> String {
        format!("SELECT count(*) FROM t WHERE c = 'x'{}", " OR c = 'x'".repeat(n))
    }

    #[test]
    fn more_than_sixteen_patterns_are_refused() {
        let with = |n: usize| {
            let each = vec!["regexp_like(s, 'a')"; n / 2].join(" OR ");
            format!(
                "SELECT count(*) FROM t WHERE {each} OR {}",
                vec!["s ~ 'b'"; n - n / 2].join(" OR ")
            )
        };
        assert!(check(&with(16)).is_ok());
        assert!(
            check(&with(17))
                .expect_err("17")
                .to_string()
                .contains("17 regular expressions")
        );
    }

    #[test]
    fn a_long_chain_of_or_is_refused_before_it_is_parsed() {
        // n ORs, n + 1 equalities, and `count(*)`'s parenthesis and star.
        assert!(check(&ors(998)).is_ok());
        let e = check(&ors(999)).expect_err("2,001");
        assert!(e.to_string().contains("2001 operators and opening parentheses"), "{e}");
    }

    #[test]
    fn chains_of_ctes_unions_joins_and_from_lists_are_refused() {
        let ctes: Vec<String> = (1..300)
            .map(|i| format!("c{i} AS (SELECT x FROM c{})", i - 1))
            .collect();
        let chain = format!("WITH c0 AS (SELECT 1 AS x), {} SELECT x FROM c299", ctes.join(", "));
        assert!(
            check(&chain)
                .expect_err("300 SELECTs")
                .to_string()
                .contains("at most 256")
        );
        let unions = vec!["SELECT 1"; 300].join(" UNION ALL ");
        assert!(check(&unions).is_err());
        let tables: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
        assert!(check(&format!("SELECT 1 FROM {}", tables.join(", "))).is_err());
        let joins = format!("SELECT 1 FROM t0{}", " JOIN t USING (person_id)".repeat(300));
        assert!(check(&joins).is_err());
        // The study queries' shapes are far below.
        let short = format!(
            "WITH c0 AS (SELECT 1 AS x), {} SELECT x FROM c99",
            ctes[..99].join(", ")
        );
        assert!(check(&short).is_ok());
    }

    #[test]
    fn text_joined_many_times_is_refused() {
        let args = vec!["s"; 17].join(", ");
        assert!(check(&format!("SELECT concat({args}) FROM t")).is_err());
        assert!(check("SELECT a || b || c || d || e || f || g || h || i || j FROM t").is_err());
        assert!(check("SELECT concat(prefecture, '-', sex) AS label, count(*) FROM t GROUP BY 1").is_ok());
        let nested = "WITH a AS (SELECT concat(s, s, s, s, s, s) AS s FROM t), \
                      b AS (SELECT concat(s, s, s, s, s, s) AS s FROM a), \
                      c AS (SELECT concat(s, s, s, s, s, s) AS s FROM b) SELECT count(*) FROM c";
        assert!(check(nested).is_err(), "6 × 6 × 6 pieces");
        // A case mapping can triple a text (`upper('ΐ')`), and `translate` can turn what it
        // expanded into the character that expands again: each counts as three pieces.
        assert!(check("SELECT count(*) FROM t WHERE lower(s) = 'x' AND upper(c) = 'Y'").is_ok());
        let round = "translate(upper(s), 'Ι\u{308}\u{301}', 'ΐΐΐ')";
        let mut tripled = String::from("s");
        for _ in 0..6 {
            tripled = round.replace("upper(s)", &format!("upper({tripled})"));
        }
        assert!(check(&format!("SELECT count(*) FROM t WHERE length({tripled}) > 0")).is_err());
    }

    #[test]
    fn parentheses_and_arithmetic_count_but_lists_of_values_do_not() {
        let nested = format!("SELECT {}1{} FROM t", "(".repeat(2_001), ")".repeat(2_001));
        assert!(check(&nested).is_err());
        let sum = format!("SELECT 1{} FROM t", " + 1".repeat(2_001));
        assert!(check(&sum).is_err());
        let codes: Vec<String> = (0..20_000).map(|i| format!("'C{i}'")).collect();
        // Commas of a select list or an IN list are no plan's levels.
        let columns: Vec<String> = (0..1_000).map(|i| format!("c{i}")).collect();
        assert!(check(&format!("SELECT {} FROM t", columns.join(", "))).is_ok());
        let list = format!("SELECT count(*) FROM t WHERE code IN ({})", codes.join(", "));
        assert!(check(&list).is_ok(), "a long IN list is flat");
    }
}
