//! What disclosure control costs: every study query in `queries/`, run by the checked
//! engine and by plain DataFusion (the same SQL, the same Parquet files, no checks), side by
//! side in one run. Prints a table; timings are not asserted (timings are not tests), but
//! the results are: every cell Renkei releases must equal what plain DataFusion computes for
//! the same row, or the run fails.
//!
//!     RENKEI_BENCH_WAREHOUSE=/path/to/warehouse cargo bench -p renkei-engine --bench queries
//!
//! Without `RENKEI_BENCH_WAREHOUSE` it ingests `sample-data/` into a temporary directory,
//! which only shows the harness works; the claim (checks cost at most 10 %) is about a
//! 1,000,000-person warehouse (`renkei synth --persons 1000000`, then `renkei ingest`).
//! `cargo test` runs it that way too (`test = true` in Cargo.toml), as a smoke test of a few
//! seconds, so that the benchmark cannot rot.
//!
//! With `RENKEI_BENCH_DUCKDB_PYTHON` (a Python with the `duckdb` package; `bench/run` sets it
//! up) DuckDB runs the same queries on the same Parquet files through `bench/duckdb_queries.py`
//! and the table gets two more columns.

use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use renkei_disclosure::Policy;
use renkei_engine::{Engine, EngineOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 3;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Compares Renkei's checked output (run with every row shown, hidden cells as nulls) with
/// plain DataFusion's, row by row (both are ordered by the study queries' ORDER BY): every
/// cell Renkei shows must be plain DataFusion's value. Returns (cells shown, cells hidden).
fn cross_check(name: &str, checked: &[RecordBatch], plain: &[RecordBatch]) -> Result<(usize, usize), String> {
    let (Some(c), Some(p)) = (checked.first(), plain.first()) else {
        return Ok((0, 0));
    };
    let c = concat_batches(&c.schema(), checked).map_err(|e| e.to_string())?;
    let p = concat_batches(&p.schema(), plain).map_err(|e| e.to_string())?;
    if (c.num_rows(), c.num_columns()) != (p.num_rows(), p.num_columns()) {
        return Err(format!(
            "{name}: Renkei has {}×{} cells, plain DataFusion {}×{}",
            c.num_rows(),
            c.num_columns(),
            p.num_rows(),
            p.num_columns()
        ));
    }
    let options = FormatOptions::default().with_null("NULL");
    let (mut shown, mut hidden) = (0, 0);
    for (j, (cc, pc)) in c.columns().iter().zip(p.columns()).enumerate() {
        let (cf, pf) = (
            ArrayFormatter::try_new(cc, &options).map_err(|e| e.to_string())?,
            ArrayFormatter::try_new(pc, &options).map_err(|e| e.to_string())?,
        );
        for i in 0..c.num_rows() {
            if cc.is_null(i) && !pc.is_null(i) {
                hidden += 1;
                continue;
            }
            let (a, b) = (cf.value(i).to_string(), pf.value(i).to_string());
            if a != b && !same_float(&a, &b) {
                return Err(format!(
                    "{name}: row {i}, column {}: Renkei released {a}, plain DataFusion has {b}",
                    c.schema().field(j).name()
                ));
            }
            shown += 1;
        }
    }
    Ok((shown, hidden))
}

/// Two renderings of one floating-point value: partial sums merge in the order the
/// partitions deliver them, so the last bits of a mean may differ between two runs of one
/// engine.
fn same_float(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// Plain DataFusion over the warehouse tables, with the engine's partitioning.
async fn plain_session(warehouse: &Path, partitions: usize) -> datafusion::error::Result<SessionContext> {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    for t in renkei_warehouse::TABLES.iter().filter(|t| !t.steward_only) {
        let dir = t.directory(warehouse);
        ctx.register_parquet(t.name, dir.to_string_lossy().as_ref(), ParquetReadOptions::default())
            .await?;
    }
    Ok(ctx)
}

/// DuckDB's median seconds per query name (`None` where DuckDB rejected the query), from one
/// run of `bench/duckdb_queries.py`. It runs all queries at once, before Renkei's, so DuckDB's
/// Python start-up and view creation are paid once and the engines never run concurrently.
fn duckdb_medians(
    python: &std::ffi::OsStr,
    root: &Path,
    warehouse: &Path,
) -> Result<HashMap<String, Option<f64>>, Box<dyn std::error::Error>> {
    let output = Command::new(python)
        .arg(root.join("bench/duckdb_queries.py"))
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--queries")
        .arg(root.join("queries"))
        .arg("--runs")
        .arg(RUNS.to_string())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "bench/duckdb_queries.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let mut medians = HashMap::new();
    for line in String::from_utf8(output.stdout)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let name = v["query"].as_str().unwrap_or_default().to_string();
        if let Some(error) = v["error"].as_str() {
            // Shown here rather than in the table, which keeps one line per query.
            println!("DuckDB cannot run {name}: {error}");
        }
        medians.insert(name, v["median_s"].as_f64());
    }
    Ok(medians)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let _sample;
    let warehouse: PathBuf = match std::env::var_os("RENKEI_BENCH_WAREHOUSE") {
        Some(w) => PathBuf::from(w),
        None => {
            let dir = tempfile::tempdir()?;
            let options = renkei_ingest::Options {
                input: root.join("sample-data"),
                out: dir.path().join("warehouse"),
                progress: false,
            };
            renkei_ingest::ingest(&renkei_pseudonymize::Key::from_bytes([7; 32]), &options)?;
            let w = dir.path().join("warehouse");
            _sample = dir;
            w
        }
    };
    let partitions = std::thread::available_parallelism().map_or(2, |n| n.get());
    let options = EngineOptions {
        target_partitions: Some(partitions),
        ..EngineOptions::default()
    };
    let engine = Engine::open(&warehouse, Policy::default(), options.clone())?;
    // For the cross-check: the same checks, with rows whose cells are all hidden kept (as
    // nulls) so that the rows line up with plain DataFusion's.
    let every_row = Policy {
        show_hidden_rows: true,
        ..Policy::default()
    };
    let aligned = Engine::open(&warehouse, every_row, options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let plain = runtime.block_on(plain_session(&warehouse, partitions))?;

    let mut queries: Vec<PathBuf> = std::fs::read_dir(root.join("queries"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    queries.sort();
    println!("warehouse: {}", warehouse.display());
    println!("median of {RUNS} runs, after one warm-up run each; {partitions} partitions\n");
    let duckdb = match std::env::var_os("RENKEI_BENCH_DUCKDB_PYTHON") {
        Some(python) => Some(duckdb_medians(&python, &root, &warehouse)?),
        None => None,
    };
    if duckdb.is_some() {
        println!("\n| query | plain DataFusion (s) | Renkei checked (s) | overhead | DuckDB (s) | Renkei / DuckDB |");
        println!("|---|---:|---:|---:|---:|---:|");
    } else {
        println!("| query | plain DataFusion (s) | Renkei checked (s) | overhead |");
        println!("|---|---:|---:|---:|");
    }
    let mut cells = (0, 0);
    for query in &queries {
        let sql = std::fs::read_to_string(query)?;
        let name = query
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut checked = Vec::new();
        let mut unchecked = Vec::new();
        let mut plain_result = Vec::new();
        for run in 0..=RUNS {
            // Alternate which goes first, so neither always gets the warmer page cache.
            for first in [run % 2 == 0, run % 2 != 0] {
                let start = Instant::now();
                if first {
                    runtime.block_on(engine.query(&sql))?;
                    if run > 0 {
                        checked.push(start.elapsed());
                    }
                } else {
                    plain_result = runtime.block_on(async { plain.sql(&sql).await?.collect().await })?;
                    if run > 0 {
                        unchecked.push(start.elapsed());
                    }
                }
            }
        }
        let (c, u) = (median(checked), median(unchecked));
        let released = runtime.block_on(aligned.query(&sql))?;
        let (shown, hidden) = cross_check(&name, &released.batches, &plain_result)?;
        cells = (cells.0 + shown, cells.1 + hidden);
        let duckdb_columns = match duckdb.as_ref().map(|d| d.get(&name).copied().flatten()) {
            None => String::new(),
            Some(Some(d)) => format!(" {d:.3} | {:.2}× |", c.as_secs_f64() / d),
            Some(None) => " — | — |".to_string(),
        };
        println!(
            "| {name} | {:.3} | {:.3} | {:+.1} % |{duckdb_columns}",
            u.as_secs_f64(),
            c.as_secs_f64(),
            (c.as_secs_f64() / u.as_secs_f64() - 1.0) * 100.0
        );
    }
    println!(
        "\ncross-check: all {} cells Renkei released equal plain DataFusion's; {} cells hidden",
        cells.0, cells.1
    );
    Ok(())
}
