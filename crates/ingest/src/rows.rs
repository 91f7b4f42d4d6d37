//! Row buffers for warehouse tables: values appended in column order, flushed to the
//! table's writer as Arrow record batches.

use crate::error::Result;
use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    UInt8Builder, UInt16Builder,
};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use renkei_warehouse::{ColumnType, TableDef, TableWriter};
use std::path::Path;

/// Rows per record batch handed to the Parquet writer.
const BATCH_ROWS: usize = 65_536;

pub enum Value<'a> {
    Str(&'a str),
    I64(i64),
    I32(i32),
    U8(u8),
    U16(u16),
    F64(f64),
    Bool(bool),
    Date(NaiveDate),
    Null,
}

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn builder(t: ColumnType) -> Box<dyn ArrayBuilder> {
    match t {
        ColumnType::Utf8 => Box::new(StringBuilder::new()),
        ColumnType::Int64 => Box::new(Int64Builder::new()),
        ColumnType::Int32 => Box::new(Int32Builder::new()),
        ColumnType::UInt8 => Box::new(UInt8Builder::new()),
        ColumnType::UInt16 => Box::new(UInt16Builder::new()),
        ColumnType::Float64 => Box::new(Float64Builder::new()),
        ColumnType::Boolean => Box::new(BooleanBuilder::new()),
        ColumnType::Date32 => Box::new(Date32Builder::new()),
    }
}

fn wrong(t: ColumnType) -> ! {
    panic!("value does not fit a {t:?} column")
}

/// Appends `v` to a builder of the column's type.
///
/// # Panics
/// When the value's type is not the column's: a bug in ingest's row code, caught by the
/// first test that writes the table.
fn append(b: &mut dyn ArrayBuilder, t: ColumnType, v: &Value) {
    let any = b.as_any_mut();
    macro_rules! put {
        ($builder:ty, $value:expr) => {{
            let b = any.downcast_mut::<$builder>().expect("builder matches its column type");
            match v {
                Value::Null => b.append_null(),
                _ => b.append_value($value),
            }
        }};
    }
    match t {
        ColumnType::Utf8 => put!(StringBuilder, if let Value::Str(s) = v { *s } else { wrong(t) }),
        ColumnType::Int64 => put!(Int64Builder, if let Value::I64(x) = v { *x } else { wrong(t) }),
        ColumnType::Int32 => put!(Int32Builder, if let Value::I32(x) = v { *x } else { wrong(t) }),
        ColumnType::UInt8 => put!(UInt8Builder, if let Value::U8(x) = v { *x } else { wrong(t) }),
        ColumnType::UInt16 => put!(UInt16Builder, if let Value::U16(x) = v { *x } else { wrong(t) }),
        ColumnType::Float64 => put!(Float64Builder, if let Value::F64(x) = v { *x } else { wrong(t) }),
        ColumnType::Boolean => put!(BooleanBuilder, if let Value::Bool(x) = v { *x } else { wrong(t) }),
        ColumnType::Date32 => put!(Date32Builder, if let Value::Date(d) = v { days(*d) } else { wrong(t) }),
    }
}

pub struct TableRows {
    table: &'static TableDef,
    builders: Vec<Box<dyn ArrayBuilder>>,
    rows: usize,
    writer: TableWriter,
}

impl TableRows {
    pub fn create(root: &Path, table: &'static TableDef) -> Result<TableRows> {
        Ok(TableRows {
            table,
            builders: table.columns.iter().map(|c| builder(c.data_type)).collect(),
            rows: 0,
            writer: TableWriter::create(root, table)?,
        })
    }

    pub fn push(&mut self, values: &[Value]) -> Result<()> {
        assert_eq!(
            values.len(),
            self.builders.len(),
            "{}: row of the wrong width",
            self.table.name
        );
        for ((b, c), v) in self.builders.iter_mut().zip(self.table.columns).zip(values) {
            append(b.as_mut(), c.data_type, v);
        }
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        let batch = RecordBatch::try_new(self.table.schema(), columns)?;
        self.writer.write(&batch)?;
        self.rows = 0;
        Ok(())
    }

    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        Ok(self.writer.finish()?)
    }
}
