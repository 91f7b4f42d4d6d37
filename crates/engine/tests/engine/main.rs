//! The checked engine on the sample warehouse (`sample-data/` ingested once, under a fixed
//! key, into a temporary directory): adversarial queries, the golden files of `queries/`,
//! and a property test against unprotected DataFusion. One test binary, so DataFusion is
//! linked once.

mod adversarial;
mod golden;
mod property;
mod support;

use renkei_disclosure::Policy;
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use support::{refused, repository, run, runtime, warehouse};

fn run_with(sql: &str, policy: Policy) -> Result<CheckedOutput, EngineError> {
    let engine = Engine::open(warehouse(), policy, EngineOptions::default()).expect("warehouse opens");
    runtime().block_on(engine.query(sql))
}
