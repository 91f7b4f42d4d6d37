//! The checked engine on the sample warehouse (`sample-data/` ingested once, under a fixed
//! key, into a temporary directory): adversarial queries, the golden files of `queries/`,
//! and a property test against unprotected DataFusion. One test binary, so DataFusion is
//! linked once.

mod adversarial;
mod golden;
mod property;

use renkei_disclosure::Policy;
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository root.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The sample warehouse, ingested on first use.
fn warehouse() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = renkei_pseudonymize::Key::from_bytes([7; 32]);
        let options = renkei_ingest::Options {
            input: repository().join("sample-data"),
            out: dir.path().join("warehouse"),
            progress: false,
        };
        renkei_ingest::ingest(&key, &options).expect("sample data ingests");
        dir
    });
    static WAREHOUSE: OnceLock<PathBuf> = OnceLock::new();
    WAREHOUSE.get_or_init(|| dir.path().join("warehouse"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn run_with(sql: &str, policy: Policy) -> Result<CheckedOutput, EngineError> {
    let engine = Engine::open(warehouse(), policy, EngineOptions::default()).expect("warehouse opens");
    runtime().block_on(engine.query(sql))
}

fn run(sql: &str) -> Result<CheckedOutput, EngineError> {
    run_with(sql, Policy::default())
}

/// The reason a query is refused; panics when it is not.
fn refused(sql: &str) -> String {
    match run(sql) {
        Err(EngineError::Refused(reason)) => reason,
        Err(e) => panic!("{sql}: expected a refusal, got {e}"),
        Ok(_) => panic!("{sql}: expected a refusal, got output"),
    }
}
