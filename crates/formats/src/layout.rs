//! The shape shared by every record layout, a writer that can only produce lines of the
//! right shape, and a splitter that checks the shape on the way back in.

use std::fmt::{self, Write as _};

/// One field of a record, in specification order.
#[derive(Debug)]
pub struct FieldDef {
    /// Our identifier for the field (also its constant's name).
    pub key: &'static str,
    /// The field's name in the public specification.
    pub name_ja: &'static str,
    /// What we put in it; empty for fields we leave empty.
    pub rule: &'static str,
}

/// A record type: a fixed list of fields joined by one separator, without quoting.
#[derive(Debug)]
pub struct Layout {
    /// Short identifier used in docs and errors, e.g. `UKE RE`.
    pub name: &'static str,
    /// Title in the specification.
    pub title_ja: &'static str,
    /// Which field tells the record type, and the value it holds for this layout.
    pub tag: Option<(usize, &'static str)>,
    pub separator: char,
    pub fields: &'static [FieldDef],
}

impl Layout {
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// Starts a line at the end of `out`. Fields must then be put in ascending order;
    /// skipped fields are written empty and the tag field is filled in automatically.
    pub fn line<'a>(&'static self, out: &'a mut String) -> Line<'a> {
        let start = out.len();
        Line {
            out,
            layout: self,
            next: 0,
            start,
        }
    }

    /// Splits one line (without its line terminator) into fields, checking the count.
    pub fn split<'a>(&'static self, line: &'a str) -> Result<Record<'a>, ParseError> {
        let values: Vec<&'a str> = line.split(self.separator).collect();
        if values.len() != self.fields.len() {
            return Err(ParseError::FieldCount {
                layout: self.name,
                expected: self.fields.len(),
                found: values.len(),
            });
        }
        if let Some((index, tag)) = self.tag
            && values[index] != tag
        {
            return Err(ParseError::WrongTag {
                layout: self.name,
                found: values[index].to_string(),
            });
        }
        Ok(Record { layout: self, values })
    }

    /// The index of the field whose key is `key`.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }
}

/// A line being written. Dropping it without [`Line::end`] leaves a partial line, so the
/// writer always ends lines explicitly.
#[must_use = "a line must be ended with `end`"]
pub struct Line<'a> {
    out: &'a mut String,
    layout: &'static Layout,
    next: usize,
    /// Where this line starts in `out`.
    start: usize,
}

impl Line<'_> {
    fn fill_to(&mut self, index: usize) {
        while self.next < index {
            if self.next > 0 {
                self.out.push(self.layout.separator);
            }
            if let Some((tag_index, tag)) = self.layout.tag
                && tag_index == self.next
            {
                self.out.push_str(tag);
            }
            self.next += 1;
        }
    }

    /// Writes `value` into field `index`.
    ///
    /// # Panics
    /// If fields are put out of order or past the layout's end: those are bugs in the
    /// writer, never a property of input data.
    pub fn put(mut self, index: usize, value: impl fmt::Display) -> Self {
        assert!(
            index >= self.next && index < self.layout.fields.len(),
            "{}: field {index} put out of order",
            self.layout.name
        );
        self.fill_to(index);
        if index > 0 {
            self.out.push(self.layout.separator);
        }
        let start = self.out.len();
        write!(self.out, "{value}").expect("writing to a String cannot fail");
        debug_assert!(
            !self.out[start..].contains(self.layout.separator),
            "{}: value of field {index} contains the separator",
            self.layout.name
        );
        self.next = index + 1;
        self
    }

    /// Writes the remaining (empty) fields and the CRLF terminator.
    pub fn end(mut self) {
        self.fill_to(self.layout.fields.len());
        self.out.push_str("\r\n");
    }

    /// Like [`Line::end`] but with the last field cut off, so the line has one field
    /// too few: used only to make defective input on purpose.
    pub fn end_short(mut self) {
        self.fill_to(self.layout.fields.len());
        let cut = self.out[self.start..]
            .rfind(self.layout.separator)
            .map_or(self.out.len(), |i| self.start + i);
        self.out.truncate(cut);
        self.out.push_str("\r\n");
    }
}

/// A line split into its fields.
#[derive(Debug)]
pub struct Record<'a> {
    pub layout: &'static Layout,
    values: Vec<&'a str>,
}

impl<'a> Record<'a> {
    pub fn get(&self, index: usize) -> &'a str {
        self.values[index]
    }

    /// The field's value, or an error naming the field when it is empty.
    pub fn required(&self, index: usize) -> Result<&'a str, ParseError> {
        let v = self.values[index];
        if v.is_empty() {
            return Err(ParseError::Missing {
                layout: self.layout.name,
                field: self.layout.fields[index].name_ja,
            });
        }
        Ok(v)
    }

    pub fn values(&self) -> &[&'a str] {
        &self.values
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{layout}: expected {expected} fields, found {found}")]
    FieldCount {
        layout: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("{layout}: record type field holds {found:?}")]
    WrongTag { layout: &'static str, found: String },
    #[error("unknown record type {0:?}")]
    UnknownRecordType(String),
    #[error("{layout}: required field {field} is empty")]
    Missing { layout: &'static str, field: &'static str },
}

/// Declares a record layout: a module holding one `usize` constant per field (its index)
/// and the static [`Layout`].
macro_rules! record_layout {
    (
        $(#[$doc:meta])*
        $module:ident, name: $name:expr, title: $title:expr, tag: $tag:expr, separator: $sep:expr,
        fields: [ $( $key:ident => $ja:expr, $rule:expr; )* ]
    ) => {
        $(#[$doc])*
        pub mod $module {
            #[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]
            #[repr(usize)]
            enum Index { $($key),* }
            $( pub const $key: usize = Index::$key as usize; )*
            pub static LAYOUT: $crate::layout::Layout = $crate::layout::Layout {
                name: $name,
                title_ja: $title,
                tag: $tag,
                separator: $sep,
                fields: &[ $( $crate::layout::FieldDef { key: stringify!($key), name_ja: $ja, rule: $rule } ),* ],
            };
        }
    };
}
pub(crate) use record_layout;

#[cfg(test)]
mod tests {
    record_layout! {
        demo, name: "DEMO", title: "試験", tag: Some((0, "XX")), separator: ',',
        fields: [
            TAG => "種別", "XX";
            A => "甲", "";
            B => "乙", "";
            C => "丙", "";
        ]
    }

    #[test]
    fn writer_fills_skipped_fields_and_the_tag() {
        let mut s = String::new();
        demo::LAYOUT.line(&mut s).put(demo::B, 7).end();
        assert_eq!(s, "XX,,7,\r\n");
        assert_eq!(demo::LAYOUT.tag, Some((demo::TAG, "XX")));
        let r = demo::LAYOUT.split(s.trim_end()).unwrap();
        assert_eq!(r.get(demo::B), "7");
        assert!(r.required(demo::A).is_err());
    }

    #[test]
    fn splitter_rejects_wrong_field_counts_and_tags() {
        assert!(matches!(
            demo::LAYOUT.split("XX,1,2"),
            Err(super::ParseError::FieldCount {
                expected: 4,
                found: 3,
                ..
            })
        ));
        assert!(matches!(
            demo::LAYOUT.split("YY,1,2,3"),
            Err(super::ParseError::WrongTag { .. })
        ));
    }

    #[test]
    fn a_short_line_has_one_field_too_few_even_when_the_last_is_filled() {
        let mut s = String::from("earlier line\r\n");
        demo::LAYOUT.line(&mut s).put(demo::C, 9).end_short();
        assert_eq!(s, "earlier line\r\nXX,,\r\n");
    }

    #[test]
    #[should_panic(expected = "out of order")]
    fn writer_refuses_out_of_order_fields() {
        let mut s = String::new();
        demo::LAYOUT.line(&mut s).put(demo::C, 1).put(demo::A, 2).end();
    }
}
