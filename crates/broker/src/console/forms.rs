//! What the console reads from a request's bytes: the POST forms (axum decodes them with
//! serde_urlencoded into these types), the pending list's query, the cookies and the name
//! of an export.
//!
//! This file names only serde, http, chrono and blake3: `fuzz/` compiles it as it is
//! (docs/fuzzing.md), without axum, hyper and the rest of the broker.

use crate::error::BrokerError;
use http::HeaderMap;
use http::header::COOKIE;
use serde::Deserialize;

/// The sign-in form: the bearer token, and the form token its page was loaded with.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub csrf: String,
}

/// A POST that only changes state: sign out, release.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The review page's approval names the output it showed (see `Decision::Approve`).
#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub output: String,
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
}

/// The pending list's filter and page (`GET /requests?…`).
#[derive(Deserialize)]
pub struct PendingQuery {
    pub project: Option<String>,
    pub older_than_days: Option<u32>,
    pub after: Option<u64>,
}

impl PendingQuery {
    /// The project filter, trimmed; none when blank. The caller checks it is an id.
    pub fn project(&self) -> Option<&str> {
        self.project.as_deref().map(str::trim).filter(|p| !p.is_empty())
    }

    /// The latest submission time shown, `older_than_days` before `now`, written as the
    /// store writes times (they compare as text).
    pub fn before(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Option<String>, BrokerError> {
        let Some(days) = self.older_than_days else {
            return Ok(None);
        };
        let before = chrono::TimeDelta::try_days(i64::from(days))
            .and_then(|age| now.checked_sub_signed(age))
            .ok_or_else(|| BrokerError::InvalidArgument(format!("{days} days ago is before any date")))?;
        Ok(Some(before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
    }
}

/// The downloads of a review page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Csv,
    Parquet,
    ReportJson,
    AcroJson,
}

impl Export {
    pub fn parse(name: &str) -> Option<Export> {
        match name {
            "output.csv" => Some(Export::Csv),
            "output.parquet" => Some(Export::Parquet),
            "report.json" => Some(Export::ReportJson),
            "acro.json" => Some(Export::AcroJson),
            _ => None,
        }
    }

    pub fn action(self) -> &'static str {
        match self {
            Export::Csv => "console_export_csv",
            Export::Parquet => "console_export_parquet",
            Export::ReportJson => "console_export_report",
            Export::AcroJson => "console_export_acro",
        }
    }
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    // blake3::Hash compares in constant time.
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_exports_exist() {
        for name in ["output.csv", "output.parquet", "report.json", "acro.json"] {
            assert!(Export::parse(name).is_some(), "{name}");
        }
        assert!(Export::parse("../broker.sqlite").is_none());
        assert!(Export::parse("audit").is_none());
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "other=1; renkei_session_x=2; renkei_session=abc"
                .parse()
                .expect("ascii"),
        );
        assert_eq!(cookie(&headers, "renkei_session"), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }

    #[test]
    fn an_age_filter_is_days_before_now_or_refused() {
        let now = chrono::DateTime::from_timestamp(1_796_000_000, 0).expect("a time");
        let q = |days| PendingQuery {
            project: Some("  ".into()),
            older_than_days: Some(days),
            after: None,
        };
        assert_eq!(q(1).project(), None, "a blank project is no filter");
        assert_eq!(
            q(1).before(now).expect("a day").as_deref(),
            Some("2026-11-29T00:53:20.000Z")
        );
        assert!(q(u32::MAX).before(now).is_err(), "before any date chrono has");
    }
}
