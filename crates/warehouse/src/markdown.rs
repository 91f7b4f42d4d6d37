//! `docs/warehouse.md`, generated from [`TABLES`] so that the document cannot drift from
//! the code. A test compares the committed file with this output.

use crate::schema::{COLUMN_CLASSES_METADATA_KEY, ColumnClass, LINKAGE_DIR, TABLE_METADATA_KEY, TableDef};
use crate::tables::TABLES;
use crate::writer::{DEFAULT_ROWS_PER_FILE, MAX_ROW_GROUP_ROWS};
use std::fmt::Write as _;

const TITLE: &str = "\
# Warehouse tables

This file is generated from `crates/warehouse` (`TABLES` in `src/tables.rs`); edit the
table definitions there, then regenerate
(`cargo run --bin renkei -- warehouse-doc > docs/warehouse.md`).
A test fails when the two differ.

The warehouse is the single source of truth for table names, column names, types and
column classes. Ingest writes exactly these tables; the engine reads the classes to
enforce disclosure control.

## What is never stored

No column holds a name (kanji or kana), a health insurer's number, an insured person's
card symbol, card number or individual insured number (枝番 included), an LTC insured
number, a facility-internal patient number (カルテ番号, DPC データ識別番号), a postcode,
free text (uncoded diagnosis names, comments) or a birth date to the day. These exist
only in memory during ingest, as inputs of keyed hashes and of `birth_ym` and `age`.
The only insurer code kept is the 介護 insurer, which is a municipality's public code
(a unit, not a person).

## Column classes

Every column has exactly one class. It is stored in each Arrow field's metadata
(`renkei.class`) and, for the whole table, as a JSON object column → class in the schema
metadata and in the Parquet key-value metadata of every part file
(`renkei.column_classes`, next to `renkei.table`).

| class | meaning for disclosure control |
|---|---|
";

fn render_conventions(out: &mut String) {
    let _ = write!(
        out,
        "
## Conventions

- Every table has exactly one `person_key` column, `person_id`: 32 hex characters, the
  same person in every table. `claim_id` and `case_id` are hex keyed hashes.
- Months are `Utf8` `YYYY-MM`; dates are `Date32` (days since 1970-01-01).
- `sex` is `1` male, `2` female; `age` is in completed years on the event the row
  records; `birth_ym` is the birth year-month.
- Columns shared by several tables (`claim_id`, `person_id`, `claim_month`, `sex`,
  `birth_ym`, `age`, `insurer_municipality`, `case_id`) have one definition, hence the
  same type, class and meaning everywhere. `facility_id` is a 10-digit medical
  institution code in NDB and a 9-digit DPC facility code in DPC.
- Codes are kept as the source files record them (see `docs/formats.md`) unless the
  column description gives other values.

## Files

A table is a folder of Parquet files: `<warehouse>/<table>/part-00000.parquet`,
`part-00001.parquet`…, a new part every {rows_per_file} rows. Steward-only tables live under
`<warehouse>/{LINKAGE_DIR}/<table>/` and are never registered for analysts. A table without
rows has one empty part, so that it exists with its schema. Parts are zstd-compressed, with
dictionary encoding, page-level statistics and page indexes, at most {row_group} rows
per row group, `created_by` `renkei`, and the key-value metadata `{TABLE_METADATA_KEY}` and
`{COLUMN_CLASSES_METADATA_KEY}`.

## Tables

",
        rows_per_file = DEFAULT_ROWS_PER_FILE,
        row_group = MAX_ROW_GROUP_ROWS,
    );
}

fn render_table(out: &mut String, table: &TableDef) {
    let _ = writeln!(out, "### `{}`\n", table.name);
    let _ = writeln!(out, "{}\n", table.description);
    if table.steward_only {
        let _ = writeln!(out, "Stored under `{LINKAGE_DIR}/{}/`.\n", table.name);
    }
    out.push_str("| column | type | nullable | class | description |\n|---|---|---|---|---|\n");
    for column in table.columns {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            column.name,
            column.data_type.as_str(),
            if column.nullable { "yes" } else { "no" },
            column.class.as_str(),
            column.description
        );
    }
    out.push('\n');
}

/// The whole of `docs/warehouse.md`.
pub fn warehouse_document() -> String {
    let mut out = String::from(TITLE);
    for class in ColumnClass::ALL {
        let _ = writeln!(out, "| `{}` | {} |", class.as_str(), class.disclosure_rule());
    }
    render_conventions(&mut out);
    for table in TABLES {
        render_table(&mut out, table);
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_warehouse_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/warehouse.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::warehouse_document(),
            "docs/warehouse.md is stale: run `cargo run --bin renkei -- warehouse-doc > docs/warehouse.md`"
        );
    }
}
