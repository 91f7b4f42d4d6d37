//! Record layouts of the native files Renkei reads: NDB claim files in the
//! レセプト電算処理 (UKE) layout, 介護DB claims and care-need certifications, and DPC
//! 様式1 / EF files.
//!
//! Each record type is defined exactly once (field order, the specification's Japanese
//! field name, and our value rule). The synthetic-data writer and the ingest parsers both
//! use these definitions, and `docs/formats.md` is generated from them, so the three can
//! never disagree.

pub mod check_digit;
pub mod dpc;
pub mod era;
pub mod kaigo;
pub mod kana;
pub mod layout;
pub mod markdown;
pub mod sjis;
pub mod tree;
pub mod uke;

pub use layout::{FieldDef, Layout, Line, ParseError, Record};
