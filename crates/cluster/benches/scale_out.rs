//! Scale-out: the heaviest study query checked on one machine and on a cluster of one
//! scheduler and two executors (separate processes on this machine, one task slot each),
//! on each warehouse of `RENKEI_BENCH_SCALES` (colon-separated), with the growth per 10×
//! persons. `bench/scale-out` generates the warehouses and runs it; docs/scale-out.md reads
//! the table.
//!
//! The node processes are this bench binary started again with `node` and `renkei cluster`'s
//! arguments, running the same [`NodeCommand::run`] as `renkei cluster`. The same cluster is
//! started twice: in plain text, and with mutual TLS between all its parties (certificates
//! of a CA made for the run), to show what the encryption costs.

#[path = "../../../tests/end_to_end/authority.rs"]
mod authority;

use authority::Authority;
use renkei_cluster::local::LocalCluster;
use renkei_cluster::{ClusterPlanner, ClusterTls, ClusterTlsFiles, NodeCommand};
use renkei_disclosure::Policy;
use renkei_engine::{Engine, EngineOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Timed runs per cell (after one untimed warm-up); the median is shown.
const RUNS: usize = 3;
const QUERY: &str = "polypharmacy_by_care_level";

fn main() -> BenchResult<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("node") {
        return run_node(&args[1..]);
    }
    let Some(scales) = std::env::var_os("RENKEI_BENCH_SCALES") else {
        println!("scale_out: set RENKEI_BENCH_SCALES to warehouse directories (bench/scale-out does)");
        return Ok(());
    };
    let mut warehouses: Vec<(u64, PathBuf)> = std::env::split_paths(&scales)
        .map(|w| Ok((persons(&w)?, w)))
        .collect::<BenchResult<_>>()?;
    warehouses.sort();
    let sql =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../queries/{QUERY}.sql")))?;
    let work = tempfile::tempdir()?;
    let plain = LocalCluster::start(node, &work.path().join("plain"), 2, &Default::default())?;
    let (tls_files, client) = credentials(work.path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!(
        "\nscale-out: {QUERY}, checked, seconds (median of {RUNS}); cluster = 1 scheduler + 2 executors × 1 task slot, on this machine\n"
    );
    println!("| persons | one machine | cluster | cluster / one machine | cluster, mutual TLS |");
    println!("|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    for (persons, warehouse) in &warehouses {
        let on = |planner: ClusterPlanner| {
            let planner: Arc<dyn datafusion::execution::context::QueryPlanner + Send + Sync> = Arc::new(planner);
            let options = EngineOptions {
                cluster: Some(planner),
                ..EngineOptions::default()
            };
            Engine::open(warehouse, Policy::default(), options)
        };
        let single = Engine::open(warehouse, Policy::default(), EngineOptions::default())?;
        let (one, one_out) = median_time(&runtime, &single, &sql)?;
        let mut on_clusters = Vec::new();
        for tls in [false, true] {
            // The TLS cluster lives only while it is measured: its idle executors poll the
            // scheduler (pull scheduling) and would take CPU from the other columns' runs.
            let (planner, _tls_cluster) = if tls {
                let cluster = LocalCluster::start(node, &work.path().join("tls"), 2, &tls_files)?;
                (
                    ClusterPlanner::new(&cluster.address)?.with_tls(client.clone()),
                    Some(cluster),
                )
            } else {
                (ClusterPlanner::new(&plain.address)?, None)
            };
            let (seconds, out) = median_time(&runtime, &on(planner)?, &sql)?;
            if out != one_out {
                return Err(
                    format!("{persons} persons: the cluster's checked output differs from one machine's").into(),
                );
            }
            on_clusters.push(seconds);
        }
        let (many, many_tls) = (on_clusters[0], on_clusters[1]);
        println!(
            "| {persons} | {one:.3} | {many:.3} | {:.2}× | {many_tls:.3} |",
            many / one
        );
        rows.push((*persons, one, many));
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last())
        && last.0 > first.0
    {
        let decades = (last.0 as f64 / first.0 as f64).log10();
        let growth = |small: f64, large: f64| (large / small).powf(1.0 / decades);
        println!(
            "\ngrowth per 10× persons ({} → {}): one machine {:.1}×, cluster {:.1}×",
            first.0,
            last.0,
            growth(first.1, last.1),
            growth(first.2, last.2)
        );
    }
    Ok(())
}

/// The median seconds of [`RUNS`] checked runs of `sql`, and what the last one showed.
fn median_time(runtime: &tokio::runtime::Runtime, engine: &Engine, sql: &str) -> BenchResult<(f64, String)> {
    runtime.block_on(engine.query(sql))?;
    let mut times = Vec::new();
    let mut shown = String::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = runtime.block_on(engine.query(sql))?;
        times.push(start.elapsed().as_secs_f64());
        shown = out.to_table()?;
    }
    times.sort_by(f64::total_cmp);
    Ok((times[RUNS / 2], shown))
}

/// Certificates for a cluster on 127.0.0.1 under `dir`: the nodes' files, and a client's
/// credentials.
fn credentials(dir: &Path) -> BenchResult<(ClusterTlsFiles, ClusterTls)> {
    let authority = Authority::new("Renkei bench cluster CA");
    let ca = authority.write(&dir.join("ca.pem"));
    let (cert, key) = authority.issue(dir, "node", &["127.0.0.1"]);
    let (client_cert, client_key) = authority.issue(dir, "client", &["bench.renkei.test"]);
    let client = ClusterTls::from_pem(
        &std::fs::read(&ca)?,
        &std::fs::read(client_cert)?,
        &std::fs::read(client_key)?,
    );
    let files = ClusterTlsFiles {
        tls_ca: Some(ca),
        tls_cert: Some(cert),
        tls_key: Some(key),
    };
    Ok((files, client))
}

/// The persons a warehouse holds, from its manifest.
fn persons(warehouse: &Path) -> BenchResult<u64> {
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(warehouse.join("_manifest.json"))?)?;
    manifest["persons"]
        .as_u64()
        .ok_or_else(|| format!("{}: no persons in the manifest", warehouse.display()).into())
}

/// A node of the bench's cluster: `node` and `renkei cluster`'s arguments.
fn run_node(args: &[String]) -> BenchResult<()> {
    let node = NodeCommand::parse(args)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(node.run())?;
    Ok(())
}

/// This bench binary as one node.
fn node(args: &[String]) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap_or_else(|_| "scale_out".into()));
    command.arg("node").args(args);
    command
}
