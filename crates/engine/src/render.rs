//! Renderings of a checked output, shared by every door (CLI, broker, golden files):
//! hidden cells are drawn from the disclosure report, never from the values.

use crate::{CheckedOutput, EngineError};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::ArrowWriter;
use renkei_disclosure::CellRule;
use std::collections::HashMap;
use std::sync::Arc;

/// A hidden cell in the text renderings (table and CSV).
const HIDDEN: &str = "*";

impl CheckedOutput {
    /// An aligned text table; hidden cells show as `*`.
    pub fn to_table(&self) -> Result<String, EngineError> {
        render(self, " | ", HIDDEN, true)
    }

    /// CSV with a header row; hidden cells are `*`, as in the table: an empty field is a NULL
    /// key, such as the total rows of a ROLLUP or CUBE, and a hidden cell written empty looked
    /// the same. (Which cells are hidden, and why, is the report's to say: a text value can be
    /// `*` too.) A text that a spreadsheet would run as a formula (it starts with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return, and is not a number) is written with a leading
    /// `'`: an analyst's column alias or a data value opened in a spreadsheet is shown, never
    /// evaluated.
    pub fn to_csv(&self) -> Result<String, EngineError> {
        render(self, ",", HIDDEN, false)
    }
}

/// One cell of a checked output as a reader sees it: its text, or the rule that hid it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisplayCell {
    Shown(String),
    Hidden(CellRule),
}

impl CheckedOutput {
    /// The cells row by row; a hidden cell carries the rule that hid it (the first one the
    /// report names), never its value.
    pub fn display_rows(&self) -> Result<Vec<Vec<DisplayCell>>, EngineError> {
        // A display failure could quote a value it could not format: only its kind leaves.
        cells(self).map_err(|_| EngineError::Execution("formatting the output"))
    }

    /// The output as one Parquet file (hidden cells are null in the batches).
    pub fn to_parquet(&self) -> Result<Vec<u8>, EngineError> {
        let failed = |_| EngineError::Execution("writing the output as Parquet");
        let mut w = ArrowWriter::try_new(Vec::new(), Arc::clone(&self.schema), None).map_err(failed)?;
        for b in &self.batches {
            w.write(b).map_err(failed)?;
        }
        w.into_inner().map_err(failed)
    }
}

fn cells(output: &CheckedOutput) -> Result<Vec<Vec<DisplayCell>>, ArrowError> {
    let mut hidden_cells: HashMap<(usize, &str), CellRule> = HashMap::new();
    for h in &output.report.hidden {
        hidden_cells.entry((h.row, h.column.as_str())).or_insert(h.rule);
    }
    let options = FormatOptions::default();
    let mut rows = Vec::new();
    let mut row = 0;
    for b in &output.batches {
        let formatters = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for r in 0..b.num_rows() {
            let mut line = Vec::new();
            for (c, f) in formatters.iter().enumerate() {
                let name = output.schema.field(c).name().as_str();
                line.push(match hidden_cells.get(&(row, name)) {
                    Some(rule) => DisplayCell::Hidden(*rule),
                    None => DisplayCell::Shown(f.value(r).to_string()),
                });
            }
            rows.push(line);
            row += 1;
        }
    }
    Ok(rows)
}

/// `text`, with a leading `'` if a spreadsheet would take it for a formula (OWASP's CSV
/// injection rule); numbers, negative ones included, stay as they are.
fn neutralized(text: &str) -> std::borrow::Cow<'_, str> {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err();
    if formula {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn render(output: &CheckedOutput, sep: &str, hidden: &str, align: bool) -> Result<String, EngineError> {
    let header: Vec<String> = output.schema.fields().iter().map(|f| f.name().clone()).collect();
    let body: Vec<Vec<String>> = output
        .display_rows()?
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|cell| match cell {
                    DisplayCell::Shown(text) => text,
                    DisplayCell::Hidden(_) => hidden.to_string(),
                })
                .collect()
        })
        .collect();
    let quote = |s: &str| {
        let s = neutralized(s);
        // `;` and tab too: a spreadsheet set to either as its separator would split there
        // and could meet a formula after it (`x;=1+1`).
        if s.contains([',', '"', '\n', '\r', ';', '\t']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.into_owned()
        }
    };
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            std::iter::once(&header[c])
                .chain(body.iter().map(|r| &r[c]))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if align {
                    format!("{s:<w$}", w = widths[c])
                } else {
                    quote(s)
                }
            })
            .collect();
        format!("{}\n", parts.join(sep).trim_end())
    };
    let mut text = line(&header);
    if align {
        text.push_str(&line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>()));
    }
    for r in &body {
        text.push_str(&line(r));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::neutralized;

    #[test]
    fn formulas_are_quoted_and_numbers_are_not() {
        for formula in ["=1+1", "+A1", "-1+2", "@SUM(A1)", "\tx", "\rx", "-"] {
            assert_eq!(neutralized(formula), format!("'{formula}"));
        }
        for kept in ["-5", "+3.5", "-1e3", "要介護1", "a=b", ""] {
            assert_eq!(neutralized(kept), kept);
        }
    }
}
