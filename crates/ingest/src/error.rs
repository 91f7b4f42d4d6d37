use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Key(#[from] renkei_pseudonymize::KeyError),
    #[error("{0}")]
    Warehouse(#[from] renkei_warehouse::WarehouseError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("{0}")]
    Input(String),
}

pub type Result<T> = std::result::Result<T, IngestError>;

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> IngestError {
    let path = path.into();
    move |source| IngestError::Io { path, source }
}
