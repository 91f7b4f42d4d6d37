//! What the parser targets check beyond "no panic": every quarantine entry names the file, a
//! line of it and a field, and neither a quarantine reason nor a file rejection repeats a
//! value from the input (`crates/ingest/src/parse/mod.rs` promises both).
//!
//! "Repeats a value" must be decided soundly, without false alarms. Reasons are made of
//! string literals and layout names from the parser and layout sources, decimal numbers
//! (counts, line numbers, byte offsets) and `{:?}` escapes (ASCII). So:
//! 1. every character of a reason must occur in those sources or be an ASCII character:
//!    any other character can only have come from the input;
//! 2. no input field of four or more characters without digits and whitespace may occur in
//!    a reason unless it also occurs in those sources. Reasons join literals, layout names and
//!    numbers with spaces; the only joins without a space (`UKE IR:` → `IR:`) are 3 characters.
//!    Fields made only of digits would be confused with counts, so they are not checked.

// The parsers are renkei-ingest's own source files, compiled here without the rest of that
// crate: the crate also writes the warehouse, and Arrow, Parquet (with zstd), BLAKE3 and
// rayon built with the sanitizer took 17 CPU-minutes, the parsers and their two modules
// seconds. If the parsers ever use another module of renkei-ingest, this fails to build.
#[path = "../../crates/ingest/src/parse/mod.rs"]
pub mod parse;

#[path = "../../crates/ingest/src/masters.rs"]
pub mod masters;

// What a Flight SQL client and a console browser send, decoded by renkei-broker's own
// source files, compiled here without the rest of that crate (DataFusion's engine, tonic,
// axum). They name only arrow, datafusion-common, prost, blake3, http, serde and chrono; if
// they ever use another module of renkei-broker, this fails to build.
#[path = "../../crates/broker/src/flight_sql/prepared.rs"]
pub mod prepared;

#[path = "../../crates/broker/src/ipc.rs"]
pub mod ipc;

#[path = "../../crates/broker/src/console/forms.rs"]
pub mod forms;

pub mod flight;
pub mod seeds;

/// What `masters.rs` needs of renkei-ingest's `error` module, and the files above of
/// renkei-broker's.
mod error {
    #[derive(Debug)]
    pub enum IngestError {
        Io {
            #[allow(dead_code, reason = "read through Debug")]
            path: std::path::PathBuf,
            #[allow(dead_code, reason = "read through Debug")]
            source: std::io::Error,
        },
    }
    pub type Result<T> = std::result::Result<T, IngestError>;

    #[derive(Debug)]
    pub enum BrokerError {
        InvalidArgument(#[allow(dead_code, reason = "read through Debug")] String),
        Arrow(#[allow(dead_code, reason = "read through Debug")] &'static str),
    }
}

use masters::Masters;
use parse::{Quarantined, Rejected};
use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

/// The sources every reason, field name and layout name comes from.
pub const VOCABULARY: &[&str] = &[
    include_str!("../../crates/ingest/src/parse/mod.rs"),
    include_str!("../../crates/ingest/src/parse/uke.rs"),
    include_str!("../../crates/ingest/src/parse/kaigo.rs"),
    include_str!("../../crates/ingest/src/parse/dpc.rs"),
    include_str!("../../crates/formats/src/layout.rs"),
    include_str!("../../crates/formats/src/uke.rs"),
    include_str!("../../crates/formats/src/kaigo.rs"),
    include_str!("../../crates/formats/src/dpc.rs"),
    include_str!("../../crates/formats/src/sjis.rs"),
    include_str!("../../crates/formats/src/era.rs"),
];

static ALPHABET: LazyLock<HashSet<char>> = LazyLock::new(|| VOCABULARY.iter().flat_map(|s| s.chars()).collect());

/// The code masters of the sample data, so that valid codes get past the master checks.
pub static MASTERS: LazyLock<Masters> = LazyLock::new(|| {
    Masters::read(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-data")))
        .expect("sample-data/masters is readable")
});

fn in_vocabulary(s: &str) -> bool {
    VOCABULARY.iter().any(|v| v.contains(s))
}

/// The input's fields (both separators; the parsers split by one or the other).
fn fields(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\r', '\n', ',', '\t'])
}

/// Panics when `message` repeats something of `text` (see the module docs).
pub fn assert_no_input_in(message: &str, text: Option<&str>) {
    if let Some(c) = message.chars().find(|c| !c.is_ascii() && !ALPHABET.contains(c)) {
        panic!("message {message:?} holds {c:?}, which only the input can have put there");
    }
    let Some(text) = text else { return };
    for f in fields(text) {
        let checkable = f.chars().count() >= 4 && !f.chars().any(|c| c.is_ascii_digit() || c.is_whitespace());
        if checkable && message.contains(f) && !in_vocabulary(f) {
            panic!("message {message:?} repeats the input field {f:?}");
        }
    }
}

/// Checks a quarantine entry of file `rel` whose decoded text is `text`.
pub fn check_quarantined(rel: &str, text: &str, q: &Quarantined) {
    assert_eq!(q.file, rel, "quarantine entry names another file");
    let lines = text.split_terminator("\r\n").count() as u64;
    assert!(
        (1..=lines).contains(&q.line),
        "quarantine line {} outside 1..={lines}",
        q.line
    );
    assert!(
        !q.field.is_empty() && in_vocabulary(&q.field),
        "quarantine field {:?} is not a field name",
        q.field
    );
    assert!(!q.reason.is_empty(), "quarantine entry without a reason");
    assert_no_input_in(&q.field, Some(text));
    assert_no_input_in(&q.reason, Some(text));
}

/// Checks a file rejection; `text` is the decoded file when it decoded.
pub fn check_rejected(rel: &str, text: Option<&str>, r: &Rejected) {
    assert_eq!(r.file, rel, "rejection names another file");
    assert!(!r.reason.is_empty(), "rejection without a reason");
    assert_no_input_in(&r.reason, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sound_on_real_reasons_and_catches_echoes() {
        let text = "IR,2,01\r\nRE,龘龘,zqxj\r\n";
        assert_no_input_in("UKE RE: expected 38 fields, found 3", Some(text));
        assert_no_input_in("UKE RE: required field 生年月日 is empty", Some(text));
        assert!(std::panic::catch_unwind(|| assert_no_input_in("holds \"龘龘\"", None)).is_err());
        assert!(std::panic::catch_unwind(|| assert_no_input_in("holds \"zqxj\"", Some(text))).is_err());
    }
}
