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
//! and the table gets two more columns; DuckDB's results must equal plain DataFusion's.
//!
//! A second table gives the peak memory of the heaviest query (the slowest under plain
//! DataFusion) per engine, each alone in a fresh process, and a run of it by Renkei with its
//! memory pool capped well below the data (`RENKEI_BENCH_CAP_MIB`, else 1/16 of the tables'
//! Parquet bytes), spilling to disk.
//!
//! With `RENKEI_BENCH_SCALES` (warehouses of growing size, separated by `:`) a third table times
//! every query on each and gives how much the time grows per 10× persons.
//!
//! With `RENKEI_BENCH_NATIVE` (synth outputs, separated by `:`) a fourth table times Renkei's
//! ingest of each beside DuckDB's plain conversion of the same files to Parquet.

mod cross_check;
mod duckdb;
mod ingest;
mod memory;
mod scaling;

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use renkei_disclosure::Policy;
use renkei_engine::{Engine, EngineOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Timed runs per query (after one warm-up), at least. Seven, not three: on a shared 2-core
/// VM the median of three moved a query's overhead by ±10 points between identical runs.
const RUNS: usize = 7;

/// A short query runs more times, as many as fill this much time per engine (up to
/// [`MAX_RUNS`]): the VM's noise is milliseconds whatever the query, so on a 50 ms query the
/// median of seven still moved the overhead by ±15 points between identical runs.
const RUN_BUDGET: Duration = Duration::from_secs(2);
const MAX_RUNS: usize = 41;

/// Timed runs for a query whose warm-up took `warm_up`.
fn runs_for(warm_up: Duration) -> usize {
    let fitting = (RUN_BUDGET.as_secs_f64() / warm_up.as_secs_f64().max(1e-6)).ceil() as usize;
    fitting.clamp(RUNS, MAX_RUNS)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One partition per core, as the engine does by default.
fn partitions() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(role) = std::env::var("RENKEI_BENCH_CHILD")
        .ok()
        .as_deref()
        .and_then(memory::Role::from_env)
    {
        return memory::child(role);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sample = None;
    let warehouse: PathBuf = match std::env::var_os("RENKEI_BENCH_WAREHOUSE") {
        Some(w) => PathBuf::from(w),
        None => {
            let dir = tempfile::tempdir()?;
            let w = dir.path().join("warehouse");
            ingest::renkei_ingest(&root.join("sample-data"), &w)?;
            sample = Some(dir);
            w
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let engines = Engines::open(&warehouse, &runtime)?;
    let mut queries: Vec<PathBuf> = std::fs::read_dir(root.join("queries"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    queries.sort();
    println!("warehouse: {}", warehouse.display());
    println!(
        "median of {RUNS} to {MAX_RUNS} runs per engine (as many as fill {} s), after one warm-up run each; {} partitions\n",
        RUN_BUDGET.as_secs(),
        partitions()
    );
    let duckdb_python = std::env::var_os("RENKEI_BENCH_DUCKDB_PYTHON");
    let duckdb_results = tempfile::tempdir()?;
    let duckdb = match &duckdb_python {
        Some(python) => Some(duckdb::run_queries(
            python,
            &root,
            &warehouse,
            RUNS,
            duckdb_results.path(),
        )?),
        None => None,
    };
    if duckdb.is_some() {
        println!(
            "\n| query | runs | plain DataFusion (s) | Renkei checked (s) | overhead | DuckDB (s) | Renkei / DuckDB |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
    } else {
        println!("| query | runs | plain DataFusion (s) | Renkei checked (s) | overhead |");
        println!("|---|---:|---:|---:|---:|");
    }
    let mut cells = (0, 0);
    let mut duckdb_cells = 0;
    let mut heaviest: Option<(Duration, &PathBuf)> = None;
    for query in &queries {
        let sql = std::fs::read_to_string(query)?;
        let name = query
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let Timed {
            runs,
            checked: c,
            plain: u,
            plain_result,
        } = engines.time(&runtime, &sql)?;
        if heaviest.is_none_or(|(t, _)| u > t) {
            heaviest = Some((u, query));
        }
        let released = runtime.block_on(engines.aligned.query(&sql))?;
        let (shown, hidden) = cross_check::cross_check(&name, &released.batches, &plain_result)?;
        cells = (cells.0 + shown, cells.1 + hidden);
        let ran_in_duckdb = duckdb.as_ref().and_then(|d| d.get(&name));
        if let Some(path) = ran_in_duckdb.and_then(|q| q.result.as_ref()) {
            duckdb_cells += cross_check::same_rows(&name, "DuckDB", &plain_result, &duckdb::read_result(path)?)?;
        }
        let duckdb_columns = match (&duckdb, ran_in_duckdb.and_then(|q| q.median_s)) {
            (None, _) => String::new(),
            (Some(_), Some(d)) => format!(" {d:.3} | {:.2}× |", c.as_secs_f64() / d),
            (Some(_), None) => " — | — |".to_string(),
        };
        println!(
            "| {name} | {runs} | {:.3} | {:.3} | {:+.1} % |{duckdb_columns}",
            u.as_secs_f64(),
            c.as_secs_f64(),
            (c.as_secs_f64() / u.as_secs_f64() - 1.0) * 100.0
        );
    }
    println!(
        "\ncross-check: all {} cells Renkei released equal plain DataFusion's; {} cells hidden",
        cells.0, cells.1
    );
    if duckdb.is_some() {
        println!(
            "cross-check: DuckDB's results equal plain DataFusion's in all {duckdb_cells} cells of the queries it ran"
        );
    }
    if let Some((_, query)) = heaviest {
        memory_table(&root, &warehouse, query, duckdb_python.as_deref())?;
    }
    // The smoke run (no warehouse given) goes through the scaling table on its one warehouse.
    let warehouses: Vec<PathBuf> = match std::env::var_os("RENKEI_BENCH_SCALES") {
        Some(scales) => std::env::split_paths(&scales).collect(),
        None if sample.is_some() => vec![warehouse.clone()],
        None => Vec::new(),
    };
    if !warehouses.is_empty() {
        scaling::table(&runtime, &queries, &warehouses)?;
    }
    // Likewise the ingest table, on the sample's native files.
    let inputs: Vec<PathBuf> = match std::env::var_os("RENKEI_BENCH_NATIVE") {
        Some(inputs) => std::env::split_paths(&inputs).collect(),
        None if sample.is_some() => vec![root.join("sample-data")],
        None => Vec::new(),
    };
    if !inputs.is_empty() {
        ingest::table(&root, &inputs, duckdb_python.as_deref())?;
    }
    Ok(())
}

/// The engines a warehouse is timed with.
struct Engines {
    checked: Engine,
    /// For the cross-check: the same checks, with rows whose cells are all hidden kept (as
    /// nulls) so that the rows line up with plain DataFusion's.
    aligned: Engine,
    plain: SessionContext,
}

/// One query's medians, and plain DataFusion's last result.
struct Timed {
    /// Timed runs per engine.
    runs: usize,
    checked: Duration,
    plain: Duration,
    plain_result: Vec<datafusion::arrow::record_batch::RecordBatch>,
}

impl Engines {
    fn open(warehouse: &Path, runtime: &tokio::runtime::Runtime) -> Result<Engines, Box<dyn std::error::Error>> {
        let options = EngineOptions {
            target_partitions: Some(partitions()),
            ..EngineOptions::default()
        };
        let every_row = Policy {
            show_hidden_rows: true,
            ..Policy::default()
        };
        Ok(Engines {
            checked: Engine::open(warehouse, Policy::default(), options.clone())?,
            aligned: Engine::open(warehouse, every_row, options)?,
            plain: runtime.block_on(plain_session(warehouse, partitions()))?,
        })
    }

    /// Runs `sql` once to warm up and then [`runs_for`] times more, checked and plain in
    /// turn.
    fn time(&self, runtime: &tokio::runtime::Runtime, sql: &str) -> Result<Timed, Box<dyn std::error::Error>> {
        let mut plain_result = Vec::new();
        // One round: each engine once, (checked, plain) times.
        let mut round = |run: usize| -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
            let (mut checked, mut plain) = (Duration::ZERO, Duration::ZERO);
            // Alternate which goes first, so neither always gets the warmer page cache.
            for first in [run.is_multiple_of(2), !run.is_multiple_of(2)] {
                let start = Instant::now();
                if first {
                    runtime.block_on(self.checked.query(sql))?;
                    checked = start.elapsed();
                } else {
                    plain_result = runtime.block_on(async { self.plain.sql(sql).await?.collect().await })?;
                    plain = start.elapsed();
                }
            }
            Ok((checked, plain))
        };
        let (checked_warm_up, plain_warm_up) = round(0)?;
        let runs = runs_for(checked_warm_up.max(plain_warm_up));
        let (checked, unchecked): (Vec<Duration>, Vec<Duration>) =
            (1..=runs).map(&mut round).collect::<Result<_, _>>()?;
        Ok(Timed {
            runs,
            checked: median(checked),
            plain: median(unchecked),
            plain_result,
        })
    }
}

/// Peak memory of `query` per engine, and Renkei's run with a capped memory pool.
fn memory_table(
    root: &Path,
    warehouse: &Path,
    query: &Path,
    duckdb_python: Option<&std::ffi::OsStr>,
) -> Result<(), Box<dyn std::error::Error>> {
    let name = query
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let data: u64 = renkei_warehouse::TABLES
        .iter()
        .filter(|t| !t.steward_only)
        .map(|t| memory::tree_bytes(&t.directory(warehouse)))
        .sum();
    let cap = match std::env::var("RENKEI_BENCH_CAP_MIB") {
        Ok(text) => text.parse()?,
        Err(_) => ((data / 16) / (1024 * 1024)).max(16) as usize,
    };
    println!("\npeak memory of {name} (the slowest under plain DataFusion), each engine alone in a fresh process;");
    println!("the analysis tables hold {:.0} MiB of Parquet\n", mib(data));
    println!("| engine | one cold run (s) | peak RSS (MiB) | spilled (MiB, most at once) |");
    println!("|---|---:|---:|---:|");
    let rows = [
        ("Renkei checked", memory::Role::Renkei),
        ("plain DataFusion", memory::Role::Plain),
        ("Renkei checked, memory pool capped", memory::Role::Capped(cap)),
    ];
    for (label, role) in rows {
        let m = memory::measure(warehouse, query, role)?;
        let label = match role {
            memory::Role::Capped(mib) => format!("{label} at {mib} MiB"),
            _ => label.to_string(),
        };
        println!(
            "| {label} | {:.3} | {:.0} | {:.0} |",
            m.seconds,
            m.peak_rss_kib as f64 / 1024.0,
            mib(m.spilled_bytes)
        );
    }
    if let Some(python) = duckdb_python {
        let (seconds, rss) = duckdb::peak_memory(python, root, warehouse, &name)?;
        println!(
            "| DuckDB (its Python process) | {seconds:.3} | {:.0} | — |",
            rss as f64 / 1024.0
        );
    }
    Ok(())
}
