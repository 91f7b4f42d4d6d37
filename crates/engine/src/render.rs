//! Text renderings of a checked output, shared by every door (CLI, broker, golden files):
//! hidden cells are drawn from the disclosure report, never from the values.

use crate::{CheckedOutput, EngineError};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use std::collections::HashSet;

impl CheckedOutput {
    /// An aligned text table; hidden cells show as `*`.
    pub fn to_table(&self) -> Result<String, EngineError> {
        render(self, " | ", "*", true)
    }

    /// CSV with a header row; hidden cells are empty.
    pub fn to_csv(&self) -> Result<String, EngineError> {
        render(self, ",", "", false)
    }
}

/// Cells as display strings, row by row, with hidden cells replaced by `hidden`.
fn cells(output: &CheckedOutput, hidden: &str) -> Result<Vec<Vec<String>>, ArrowError> {
    let hidden_cells: HashSet<(usize, &str)> = output
        .report
        .hidden
        .iter()
        .map(|h| (h.row, h.column.as_str()))
        .collect();
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
                line.push(if hidden_cells.contains(&(row, name)) {
                    hidden.to_string()
                } else {
                    f.value(r).to_string()
                });
            }
            rows.push(line);
            row += 1;
        }
    }
    Ok(rows)
}

fn render(output: &CheckedOutput, sep: &str, hidden: &str, align: bool) -> Result<String, EngineError> {
    let header: Vec<String> = output.schema.fields().iter().map(|f| f.name().clone()).collect();
    // A display failure could quote a value it could not format: only its kind leaves.
    let body = cells(output, hidden).map_err(|_| EngineError::Execution("formatting the output"))?;
    let quote = |s: &str| {
        if !align && (s.contains(',') || s.contains('"') || s.contains('\n')) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
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
