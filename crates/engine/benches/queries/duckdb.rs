//! DuckDB beside Renkei: `bench/duckdb_queries.py` (run by the Python that `bench/run` sets
//! up in `RENKEI_BENCH_DUCKDB_PYTHON`) runs the same SQL files on the same Parquet files.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What DuckDB did with one query: its median seconds (none where it rejected the query),
/// and its result where it ran it.
pub struct DuckDbQuery {
    pub median_s: Option<f64>,
    pub result: Option<PathBuf>,
}

/// The JSON lines of one run of `bench/duckdb_queries.py` over the study queries, `runs`
/// times each after a warm-up, with one more option (`--results DIR` or `--only NAME`).
fn lines(
    python: &OsStr,
    root: &Path,
    warehouse: &Path,
    runs: usize,
    option: [&OsStr; 2],
) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let output = Command::new(python)
        .arg(root.join("bench/duckdb_queries.py"))
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--queries")
        .arg(root.join("queries"))
        .arg("--runs")
        .arg(runs.to_string())
        .args(option)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "bench/duckdb_queries.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    String::from_utf8(output.stdout)?
        .lines()
        .map(|l| serde_json::from_str(l).map_err(Into::into))
        .collect()
}

/// Every study query, `runs` times each after a warm-up, all in one DuckDB process before
/// Renkei's runs (so Python's start-up and the views are paid once and the engines never run
/// at the same time); each result is written as Parquet under `results` for the cross-check.
pub fn run_queries(
    python: &OsStr,
    root: &Path,
    warehouse: &Path,
    runs: usize,
    results: &Path,
) -> Result<HashMap<String, DuckDbQuery>, Box<dyn std::error::Error>> {
    let mut out = HashMap::new();
    for v in lines(
        python,
        root,
        warehouse,
        runs,
        ["--results".as_ref(), results.as_os_str()],
    )? {
        let name = v["query"].as_str().unwrap_or_default().to_string();
        if let Some(error) = v["error"].as_str() {
            // Shown here rather than in the table, which keeps one line per query.
            println!("DuckDB cannot run {name}: {error}");
        }
        let result = v["result"].as_str().map(PathBuf::from);
        out.insert(
            name,
            DuckDbQuery {
                median_s: v["median_s"].as_f64(),
                result,
            },
        );
    }
    Ok(out)
}

/// A result DuckDB wrote.
pub fn read_result(path: &Path) -> Result<Vec<RecordBatch>, Box<dyn std::error::Error>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path)?)?.build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// One query alone in a fresh DuckDB process, once: (seconds, the process's peak RSS in KiB,
/// Python's own included).
pub fn peak_memory(
    python: &OsStr,
    root: &Path,
    warehouse: &Path,
    query: &str,
) -> Result<(f64, u64), Box<dyn std::error::Error>> {
    let v = lines(python, root, warehouse, 0, ["--only".as_ref(), query.as_ref()])?
        .into_iter()
        .next()
        .ok_or("bench/duckdb_queries.py printed nothing")?;
    let seconds = v["first_s"].as_f64().ok_or("no first_s")?;
    let rss = v["peak_rss_kib"].as_u64().ok_or("no peak_rss_kib")?;
    Ok((seconds, rss))
}
