//! Ingest: Renkei's native files → pseudonymized, linked Parquet warehouse, beside DuckDB's
//! plain conversion of the same files to Parquet (`bench/duckdb_ingest.py`: no hashing, no
//! validation, no linkage), each once per input in a fresh process, one after the other.
//!
//! DuckDB cannot read Shift_JIS or files that mix record layouts, so the script first makes a
//! UTF-8 copy with one file per record type (untimed, kept under the bench's target folder and
//! reused); the table says how long that took when it had to be made.

use super::{memory, mib};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folders of a synth output that ingest reads (`truth/` is the generator's answer key).
const SOURCES: [&str; 4] = ["ndb", "kaigo", "dpc", "masters"];

/// Ingests `input` into a new warehouse at `out`, under the bench's fixed key.
pub fn renkei_ingest(input: &Path, out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let options = renkei_ingest::Options {
        input: input.to_path_buf(),
        out: out.to_path_buf(),
        progress: false,
    };
    renkei_ingest::ingest(&renkei_pseudonymize::Key::from_bytes([7; 32]), &options)?;
    Ok(())
}

/// What DuckDB's conversion of one input cost.
struct DuckDbIngest {
    seconds: f64,
    peak_rss_kib: u64,
    parquet_bytes: u64,
    rows: u64,
    /// Seconds the untimed UTF-8 copy took, when this run had to make it.
    prepare_s: Option<f64>,
}

/// One run of `bench/duckdb_ingest.py`: with `runs` 0 it only makes the UTF-8 copy.
fn duckdb_script(
    python: &OsStr,
    root: &Path,
    input: &Path,
    prepared: &Path,
    out: &Path,
    runs: usize,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let output = Command::new(python)
        .arg(root.join("bench/duckdb_ingest.py"))
        .arg("--native")
        .arg(input)
        .arg("--prepared")
        .arg(prepared)
        .arg("--out")
        .arg(out)
        .arg("--runs")
        .arg(runs.to_string())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "bench/duckdb_ingest.py failed on {}: {}",
            input.display(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// DuckDB's conversion of `input`: the UTF-8 copy made (or reused) in one process, the timed
/// conversion in a second, so that its peak memory is the conversion's alone.
fn duckdb_ingest(
    python: &OsStr,
    root: &Path,
    input: &Path,
    out: &Path,
) -> Result<DuckDbIngest, Box<dyn std::error::Error>> {
    // One copy per input folder, named after its absolute path.
    let name: String = std::fs::canonicalize(input)?
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let prepared = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("duckdb-ingest")
        .join(name);
    let prepare_s = duckdb_script(python, root, input, &prepared, out, 0)?["prepare_s"].as_f64();
    let v = duckdb_script(python, root, input, &prepared, out, 1)?;
    Ok(DuckDbIngest {
        seconds: v["median_s"].as_f64().ok_or("no median_s")?,
        peak_rss_kib: v["peak_rss_kib"].as_u64().ok_or("no peak_rss_kib")?,
        parquet_bytes: v["parquet_bytes"].as_u64().ok_or("no parquet_bytes")?,
        rows: v["rows"].as_u64().ok_or("no rows")?,
        prepare_s,
    })
}

/// Prints the ingest table for each native input (smallest first, as given).
pub fn table(root: &Path, inputs: &[PathBuf], duckdb_python: Option<&OsStr>) -> Result<(), Box<dyn std::error::Error>> {
    println!("\ningest: native files → Parquet, one cold run each, in a fresh process\n");
    let duckdb_header = match duckdb_python {
        Some(_) => " DuckDB plain conversion (s) | DuckDB peak RSS (MiB) | DuckDB Parquet (MiB) | Renkei / DuckDB |",
        None => "",
    };
    println!(
        "| persons | native input (MiB) | Renkei ingest (s) | Renkei peak RSS (MiB) | Renkei Parquet (MiB) |{duckdb_header}"
    );
    println!(
        "|---:|---:|---:|---:|---:|{}",
        if duckdb_python.is_some() {
            "---:|---:|---:|---:|"
        } else {
            ""
        }
    );
    let mut notes = Vec::new();
    for input in inputs {
        let input_bytes: u64 = SOURCES.iter().map(|s| memory::tree_bytes(&input.join(s))).sum();
        let scratch = tempfile::tempdir()?;
        let warehouse = scratch.path().join("warehouse");
        let renkei = memory::measure_ingest(input, &warehouse)?;
        let persons = super::scaling::persons(&warehouse)?;
        let renkei_bytes = memory::tree_bytes(&warehouse);
        // The warehouse is not needed again; free the disk before DuckDB writes its copy
        // (the generation the published link names, then the link).
        std::fs::remove_dir_all(renkei_warehouse::published::resolve(&warehouse)?)?;
        std::fs::remove_file(&warehouse)?;
        let duckdb_columns = match duckdb_python {
            Some(python) => {
                let d = duckdb_ingest(python, root, input, &scratch.path().join("duckdb"))?;
                if let Some(p) = d.prepare_s {
                    notes.push(format!(
                        "DuckDB's untimed UTF-8 copy of the {persons}-person input took {p:.1} s"
                    ));
                }
                notes.push(format!("DuckDB wrote {} rows for {persons} persons", d.rows));
                format!(
                    " {:.1} | {:.0} | {:.0} | {:.2}× |",
                    d.seconds,
                    d.peak_rss_kib as f64 / 1024.0,
                    mib(d.parquet_bytes),
                    renkei.seconds / d.seconds
                )
            }
            None => String::new(),
        };
        println!(
            "| {persons} | {:.0} | {:.1} | {:.0} | {:.0} |{duckdb_columns}",
            mib(input_bytes),
            renkei.seconds,
            renkei.peak_rss_kib as f64 / 1024.0,
            mib(renkei_bytes),
        );
    }
    for note in notes {
        println!("\n{note}");
    }
    Ok(())
}
