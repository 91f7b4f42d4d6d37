//! Table schemas and column classes of the Parquet warehouse, read by ingest and engine alike.
