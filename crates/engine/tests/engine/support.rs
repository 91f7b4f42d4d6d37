//! What the engine's tests share: the sample warehouse, the runtime, and running a query
//! with the default policy through the test binary's own `run_with`. `renkei-cluster`'s
//! tests include this file and the adversarial and golden tests with their own `run_with`,
//! which runs each query on clusters as well.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use renkei_disclosure::Policy;
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository root.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The sample warehouse, ingested on first use.
pub fn warehouse() -> &'static Path {
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

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub fn run(sql: &str) -> Result<CheckedOutput, EngineError> {
    crate::run_with(sql, Policy::default())
}

/// The reason a query is refused; panics when it is not.
pub fn refused(sql: &str) -> String {
    match run(sql) {
        Err(EngineError::Refused(reason)) => reason,
        Err(e) => panic!("{sql}: expected a refusal, got {e}"),
        Ok(_) => panic!("{sql}: expected a refusal, got output"),
    }
}

/// The tables the engine serves (the analysis tables, each a folder of the warehouse), read
/// once: every plain query registers them.
fn analysis_tables() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let engine = Engine::open(warehouse(), Policy::default(), EngineOptions::default()).expect("opens");
        engine.tables().into_iter().map(|(name, _)| name).collect()
    })
}

/// Unprotected DataFusion over the warehouse tables.
pub fn plain(sql: &str) -> Vec<RecordBatch> {
    runtime().block_on(async {
        let ctx = SessionContext::new();
        for name in analysis_tables() {
            let dir = warehouse().join(name);
            ctx.register_parquet(
                name.as_str(),
                dir.to_string_lossy().as_ref(),
                ParquetReadOptions::default(),
            )
            .await
            .expect("table registers");
        }
        ctx.sql(sql)
            .await
            .expect("plain plan")
            .collect()
            .await
            .expect("plain run")
    })
}

/// Rows as display strings (NULL as "NULL").
pub fn strings(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for b in batches {
        let f: Vec<_> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formats"))
            .collect();
        for r in 0..b.num_rows() {
            out.push(f.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    out
}
