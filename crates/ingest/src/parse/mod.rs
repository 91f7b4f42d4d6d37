//! Parsers of the native files: each turns one decoded file into record units (a claim,
//! a certification, a DPC case, an EF item) or quarantine entries, and rejects a file
//! as a whole when it cannot be trusted (encoding, truncation, trailer).
//!
//! Raw identifiers live only in these in-memory records; nothing here writes them, and
//! no error message repeats a field's value.

pub mod dpc;
pub mod kaigo;
pub mod uke;

use crate::masters::Masters;
use chrono::NaiveDate;
use renkei_formats::era;
use renkei_formats::layout::{Layout, ParseError, Record};
use renkei_formats::sjis;

/// Why a record went to quarantine: where, which field, and a reason that never quotes
/// the field's value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Quarantined {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub reason: String,
}

/// Why a whole file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub file: String,
    pub reason: String,
}

/// Decodes a whole file, rejecting what is not a complete Shift_JIS file.
pub fn decode(rel: &str, bytes: &[u8]) -> Result<String, Rejected> {
    let reject = |reason: String| Rejected {
        file: rel.to_string(),
        reason,
    };
    if bytes.is_empty() {
        return Err(reject("empty file".into()));
    }
    if !bytes.ends_with(b"\r\n") {
        return Err(reject("truncated file: the last line does not end with CRLF".into()));
    }
    sjis::decode(bytes).map_err(|e| reject(format!("not Shift_JIS: {e}")))
}

pub fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.split_terminator("\r\n")
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
}

/// Field-level reading with quarantine-ready errors.
pub struct Fields<'a> {
    pub rec: Record<'a>,
    pub line: u64,
}

/// A field problem: the field's specification name and a reason without its value.
pub type FieldError = (String, String);

/// A layout error as a quarantine reason: shapes and counts, never a field's value.
pub fn describe(e: &ParseError) -> String {
    match e {
        ParseError::FieldCount {
            layout,
            expected,
            found,
        } => format!("{layout}: expected {expected} fields, found {found}"),
        ParseError::WrongTag { layout, .. } => format!("{layout}: wrong record type"),
        ParseError::UnknownRecordType(_) => "unknown record type".to_string(),
        ParseError::Missing { layout, field } => format!("{layout}: required field {field} is empty"),
    }
}

pub fn split<'a>(layout: &'static Layout, line: &'a str, n: u64) -> Result<Fields<'a>, FieldError> {
    layout
        .split(line)
        .map(|rec| Fields { rec, line: n })
        .map_err(|e| ("(record)".to_string(), describe(&e)))
}

impl<'a> Fields<'a> {
    fn name(&self, i: usize) -> String {
        self.rec.layout.fields[i].name_ja.to_string()
    }

    pub fn text(&self, i: usize) -> &'a str {
        self.rec.get(i)
    }

    pub fn required(&self, i: usize) -> Result<&'a str, FieldError> {
        let v = self.rec.get(i);
        if v.is_empty() {
            Err((self.name(i), "required field is empty".into()))
        } else {
            Ok(v)
        }
    }

    pub fn era_date(&self, i: usize) -> Result<NaiveDate, FieldError> {
        era::parse_date(self.required(i)?).map_err(|_| (self.name(i), "not a valid era date (GYYMMDD)".into()))
    }

    pub fn optional_era_date(&self, i: usize) -> Result<Option<NaiveDate>, FieldError> {
        if self.rec.get(i).is_empty() {
            Ok(None)
        } else {
            self.era_date(i).map(Some)
        }
    }

    pub fn ymd(&self, i: usize) -> Result<NaiveDate, FieldError> {
        era::parse_ymd(self.required(i)?).map_err(|_| (self.name(i), "not a valid date (YYYYMMDD)".into()))
    }

    pub fn optional_ymd(&self, i: usize) -> Result<Option<NaiveDate>, FieldError> {
        if self.rec.get(i).is_empty() {
            Ok(None)
        } else {
            self.ymd(i).map(Some)
        }
    }

    pub fn int(&self, i: usize) -> Result<i64, FieldError> {
        self.required(i)?
            .parse()
            .map_err(|_| (self.name(i), "not an integer".into()))
    }

    pub fn optional_int(&self, i: usize) -> Result<i64, FieldError> {
        if self.rec.get(i).is_empty() { Ok(0) } else { self.int(i) }
    }

    pub fn number(&self, i: usize) -> Result<f64, FieldError> {
        self.required(i)?
            .parse()
            .map_err(|_| (self.name(i), "not a number".into()))
    }

    pub fn sex(&self, i: usize) -> Result<u8, FieldError> {
        match self.required(i)? {
            "1" => Ok(1),
            "2" => Ok(2),
            _ => Err((self.name(i), "sex code is neither 1 nor 2".into())),
        }
    }

    /// A code that must be in a master.
    pub fn code_in(&self, i: usize, known: impl Fn(&str) -> bool, what: &str) -> Result<&'a str, FieldError> {
        let v = self.required(i)?;
        if known(v) {
            Ok(v)
        } else {
            Err((self.name(i), format!("unknown {what} code")))
        }
    }
}

/// Reads a file whose every line is one unit (certifications, EF items): each line is
/// either emitted or quarantined. Returns the units read.
pub fn read_line_units<T>(
    rel: &str,
    text: &str,
    read_one: impl Fn(u64, &str) -> Result<T, FieldError>,
    emit: &mut dyn FnMut(T),
    quarantine: &mut dyn FnMut(Quarantined),
) -> u64 {
    let mut read = 0;
    for (n, line) in lines(text) {
        read += 1;
        match read_one(n, line) {
            Ok(unit) => emit(unit),
            Err((field, reason)) => quarantine(Quarantined {
                file: rel.to_string(),
                line: n,
                field,
                reason,
            }),
        }
    }
    read
}

/// Everything a parser needs besides the file itself.
pub struct Context<'a> {
    pub masters: &'a Masters,
}
