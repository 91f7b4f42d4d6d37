//! The steward console's request parsing on bytes a browser controls: the bytes as each POST
//! form and as the pending list's query, decoded as axum's `Form` and `Query` decode them
//! (serde_urlencoded through serde_path_to_error) into the broker's own types
//! (`crates/broker/src/console/forms.rs`); as `Cookie` header lines; as an export's name. No
//! panic; besides: what a browser encodes for a field arrives unchanged, tokens compare
//! equal exactly when they are, the age filter is that many days before now and refused only
//! beyond chrono's dates, and a cookie found is one whole `name=value` pair of the header.
#![no_main]

use chrono::{DateTime, TimeDelta, Utc};
use http::HeaderMap;
use http::header::{COOKIE, HeaderValue};
use libfuzzer_sys::fuzz_target;
use renkei_fuzz::forms::{ApproveForm, CsrfForm, Export, PendingQuery, RejectForm, SignInForm, cookie, same_token};
use serde::de::DeserializeOwned;

/// 2026-12-01T00:00:00Z, the `now` of the age filter.
const NOW: i64 = 1_796_083_200;
/// Fewer days than from year 0 to 2026.
const DAYS_SINCE_YEAR_0: u32 = 2026 * 365;
/// About 262,000 years back from 2026 chrono has no date; well before that it has all.
const DAYS_CHRONO_HAS: u32 = 90_000_000;

fn form<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let fields = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(fields).ok()
}

/// A form as a browser sends `pairs` (application/x-www-form-urlencoded), decoded again.
fn resent<T: DeserializeOwned>(pairs: &[(&str, &str)]) -> T {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    form(body.as_bytes()).unwrap_or_else(|| panic!("the browser's encoding of {pairs:?} is refused"))
}

fuzz_target!(|bytes: &[u8]| {
    if let Some(f) = form::<SignInForm>(bytes) {
        assert_eq!(same_token(&f.token, &f.csrf), f.token == f.csrf);
        let again: SignInForm = resent(&[("token", &f.token), ("csrf", &f.csrf)]);
        assert!(again.token == f.token && again.csrf == f.csrf);
    }
    if let Some(f) = form::<CsrfForm>(bytes) {
        assert_eq!(resent::<CsrfForm>(&[("csrf", &f.csrf)]).csrf, f.csrf);
    }
    if let Some(f) = form::<ApproveForm>(bytes) {
        let again: ApproveForm = resent(&[("output", &f.output), ("csrf", &f.csrf)]);
        assert!(again.output == f.output && again.csrf == f.csrf);
    }
    if let Some(f) = form::<RejectForm>(bytes) {
        let again: RejectForm = resent(&[("reason", &f.reason), ("csrf", &f.csrf)]);
        assert!(again.reason == f.reason && again.csrf == f.csrf);
    }
    if let Some(q) = form::<PendingQuery>(bytes) {
        if let Some(p) = q.project() {
            assert!(!p.is_empty() && p == p.trim(), "project filter {p:?}");
        }
        let now = DateTime::<Utc>::from_timestamp(NOW, 0).expect("a time");
        match (q.older_than_days, q.before(now)) {
            (None, Ok(None)) => {}
            // Before year 0 chrono writes a sign ("-2034-…"), no RFC 3339 but still before every
            // time the store has as text ('-' < '0'): the list is rightly empty.
            (Some(days), Ok(Some(before))) if before.starts_with('-') => {
                assert!(days > DAYS_SINCE_YEAR_0, "{days} days ago written as {before}");
            }
            (Some(days), Ok(Some(before))) => {
                let before = DateTime::parse_from_rfc3339(&before).expect("written as RFC 3339");
                assert_eq!(now - before.with_timezone(&Utc), TimeDelta::days(i64::from(days)));
            }
            (Some(days), Err(_)) => assert!(days > DAYS_CHRONO_HAS, "{days} days refused"),
            (days, before) => panic!("{days:?} days gave {before:?}"),
        }
    }

    let mut headers = HeaderMap::new();
    for line in bytes.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    for name in ["renkei_session", "renkei_sign_in"] {
        if let Some(value) = cookie(&headers, name) {
            let pair = format!("{name}={value}");
            let sent = headers.get_all(COOKIE).iter().filter_map(|h| h.to_str().ok());
            assert!(
                sent.flat_map(|h| h.split(';')).any(|p| p.trim() == pair),
                "{name} = {value:?} is no pair of the header"
            );
        }
    }

    if let Ok(name) = std::str::from_utf8(bytes) {
        let known = ["output.csv", "output.parquet", "report.json", "acro.json"].contains(&name);
        assert_eq!(Export::parse(name).is_some(), known, "export {name:?}");
    }
});
