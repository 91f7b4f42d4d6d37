//! End-to-end: the real `renkei` binary, run as a user runs it. One test binary: the
//! pipeline commands (synth, ingest, query, demo) and the broker over real gRPC and Flight SQL.

mod audit;
mod authority;
mod broker;
mod chaos;
#[cfg(feature = "distributed")]
mod cluster;
mod console;
mod crash;
mod files;
mod first_hour;
mod flight_sql;
mod hostile;
mod ledger;
mod limits;
mod load;
mod operations;
mod pipeline;
mod python_client;
mod readme_walkthroughs;
mod stewards;
mod tls;

use std::process::{Command, Output};

/// Runs `renkei` with `args` to completion.
fn renkei(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(args)
        .output()
        .expect("renkei runs")
}
