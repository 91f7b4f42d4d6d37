use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    /// Assembling a batch for a table failed (for callers building batches against
    /// `TableDef::schema` with `?`).
    #[error("cannot assemble a record batch: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("batch does not match table {table}: {reason}")]
    SchemaMismatch { table: String, reason: String },
    #[error("{path}: no renkei.column_classes in the Parquet key-value metadata; not a warehouse file")]
    MissingMetadata { path: PathBuf },
    #[error("{path}: renkei.column_classes is not a JSON object of column classes: {source}")]
    InvalidMetadata { path: PathBuf, source: serde_json::Error },
}

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> WarehouseError {
    let path = path.into();
    move |source| WarehouseError::Io { path, source }
}

pub(crate) fn parquet(path: impl Into<PathBuf>) -> impl FnOnce(parquet::errors::ParquetError) -> WarehouseError {
    let path = path.into();
    move |source| WarehouseError::Parquet { path, source }
}
