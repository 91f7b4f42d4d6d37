//! Table schemas and column classes of the Parquet warehouse, read by ingest and engine
//! alike.
//!
//! Every table, column, type and column class is defined once, in [`TABLES`]. Ingest
//! writes the warehouse through [`TableWriter`], which stores the classes in every Parquet
//! file; the engine reads them back ([`read_column_classes`], or the schema metadata) to
//! enforce disclosure control; `docs/warehouse.md` is generated from the same definitions
//! ([`warehouse_document`]).

mod error;
mod markdown;
pub mod published;
mod schema;
mod tables;
mod writer;

pub use error::WarehouseError;
pub use markdown::warehouse_document;
pub use schema::{
    CLASS_METADATA_KEY, COLUMN_CLASSES_METADATA_KEY, ColumnClass, ColumnDef, ColumnType, LINKAGE_DIR,
    TABLE_METADATA_KEY, TableDef,
};
pub use tables::{TABLES, table};
pub use writer::{DEFAULT_ROWS_PER_FILE, MAX_ROW_GROUP_ROWS, TableWriter, read_column_classes};
