//! `renkei query`: one SQL query through the checked engine, written in the format asked.
//! Hidden cells are `*` in a table and in CSV, null in JSON and Parquet (the report says
//! which and why).

use anyhow::{Context, Result};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use renkei_disclosure::Policy;
use renkei_engine::{CheckedOutput, Engine, EngineError, EngineOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::outcome::Refused;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(clap::Args)]
pub struct QueryArgs {
    /// The warehouse written by `renkei ingest`.
    #[arg(long)]
    warehouse: PathBuf,
    /// The SQL text.
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    sql: Option<String>,
    /// A file holding the SQL (e.g. one of queries/).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The output's format: a table for people (hidden cells *), csv, json or parquet.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the output here instead of standard output (required for parquet).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the disclosure report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// A policy TOML (see docs/disclosure.md); the NDB / 介護DB rules if absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Memory limit in MiB; beyond it queries spill to disk.
    #[arg(long)]
    memory_mib: Option<usize>,
    /// Directory for spill files.
    #[arg(long)]
    spill_dir: Option<PathBuf>,
    /// A release ledger file (created if absent): the query is checked against the counts of
    /// persons the earlier queries with this file released, and adds its own. Off by default:
    /// without it each query is checked alone (docs/disclosure.md, "Across outputs").
    #[arg(long)]
    ledger: Option<PathBuf>,
    #[command(flatten)]
    cluster: crate::cluster::ClusterArgs,
}

pub fn run(a: QueryArgs) -> Result<()> {
    let sql = match (&a.sql, &a.file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
        (None, None) => anyhow::bail!("give --sql or --file"),
    };
    let policy = load_policy(a.policy.as_deref())?;
    let options = EngineOptions {
        memory_limit: a.memory_mib.map(|m| m * 1024 * 1024),
        memory_pool: None,
        spill_dir: a.spill_dir.clone(),
        target_partitions: None,
        tables: None,
        cluster: crate::cluster::planner(&a.cluster)?,
    };
    let engine = Engine::open(&a.warehouse, policy, options)?;
    let runtime = crate::runtime()?;
    let mut ledger = a.ledger.as_deref().map(crate::ledger_file::read).transpose()?;
    let history = ledger.clone().map(Arc::new);
    let output = match runtime.block_on(engine.query_with_history(&sql, Vec::new(), history)) {
        Ok(o) => o,
        Err(EngineError::Refused(reason)) => return Err(Refused(reason).into()),
        Err(e) => return Err(e.into()),
    };
    if let (Some(path), Some(sets)) = (&a.ledger, &mut ledger) {
        for cell in &output.released {
            if !sets.contains(&cell.persons) {
                sets.push(cell.persons.clone());
            }
        }
        crate::ledger_file::write(path, sets)?;
    }
    if let Some(path) = &a.report {
        crate::out_file::write(path, output.report.to_json().as_bytes())?;
    }
    write_output(&output, a.format, a.out.as_deref())?;
    eprintln!("{}", summary_line(&output));
    Ok(())
}

/// The policy TOML at `path`, or the NDB / 介護DB rules without one.
pub(crate) fn load_policy(path: Option<&Path>) -> Result<Policy> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Ok(Policy::from_toml_str(&text).with_context(|| format!("policy {}", p.display()))?)
        }
        None => Ok(Policy::default()),
    }
}

/// Runs every `.sql` of `dir` through the checked engine, printing each checked table and
/// writing each disclosure report to `reports/<name>.json`.
pub fn run_study_queries(warehouse: &Path, dir: &Path, reports: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect(),
        Err(_) => {
            println!(
                "\n(no study queries: {} is not a directory; pass --queries DIR)",
                dir.display()
            );
            return Ok(());
        }
    };
    files.sort();
    std::fs::create_dir_all(reports).with_context(|| format!("creating {}", reports.display()))?;
    let engine = Engine::open(warehouse, Policy::default(), EngineOptions::default())?;
    let runtime = crate::runtime()?;
    println!("\n## Study queries, checked (hidden cells are *)");
    // Value cells shown and in all, over the rows released: how much the data size lets out.
    let (mut shown, mut cells) = (0, 0);
    for file in &files {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let sql = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        println!("\n### {name}");
        match runtime.block_on(engine.query(&sql)) {
            Ok(output) => {
                print!("{}", output.to_table()?);
                println!("{}", summary_line(&output));
                let s = &output.report.summary;
                cells += s.value_cells;
                shown += s.value_cells.saturating_sub(s.hidden_primary + s.hidden_secondary);
                let path = reports.join(format!("{name}.json"));
                std::fs::write(&path, output.report.to_json())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Err(EngineError::Refused(reason)) => println!("refused: {reason}"),
            Err(e) => return Err(e).with_context(|| format!("query {}", file.display())),
        }
    }
    println!(
        "\nstudy queries: {shown} of {cells} value cells shown ({:.0} %) in the rows released",
        100.0 * shown as f64 / cells.max(1) as f64
    );
    Ok(())
}

fn summary_line(output: &CheckedOutput) -> String {
    let s = &output.report.summary;
    format!(
        "{} rows; {} cells hidden ({} primary, {} secondary); policy {}",
        s.rows,
        s.hidden_primary + s.hidden_secondary,
        s.hidden_primary,
        s.hidden_secondary,
        output.report.policy.version
    )
}

fn write_output(output: &CheckedOutput, format: Format, out: Option<&Path>) -> Result<()> {
    let bytes = match format {
        Format::Table => output.to_table()?.into_bytes(),
        Format::Csv => output.to_csv()?.into_bytes(),
        Format::Json => json(output)?.into_bytes(),
        Format::Parquet => {
            let path = out.context("--format parquet needs --out FILE")?;
            return write_parquet(&output.schema, &output.batches, path);
        }
    };
    match out {
        Some(path) => crate::out_file::write(path, &bytes)?,
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

/// Batches as one Parquet file (hidden cells are null in the batches).
pub(crate) fn write_parquet(schema: &SchemaRef, batches: &[RecordBatch], path: &Path) -> Result<()> {
    crate::out_file::write_with(path, |file| {
        let mut w = parquet::arrow::ArrowWriter::try_new(file, Arc::clone(schema), None)?;
        for b in batches {
            w.write(b)?;
        }
        w.close()?;
        Ok(())
    })
}

fn json(output: &CheckedOutput) -> Result<String> {
    let mut buf = Vec::new();
    {
        let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
        let batches: Vec<&RecordBatch> = output.batches.iter().collect();
        w.write_batches(&batches)?;
        w.finish()?;
    }
    let rows: serde_json::Value = if buf.is_empty() {
        serde_json::Value::Array(vec![])
    } else {
        serde_json::from_slice(&buf)?
    };
    // Hidden cells: explicit nulls (the JSON writer omits null fields).
    let mut rows = rows;
    if let serde_json::Value::Array(items) = &mut rows {
        for item in items.iter_mut() {
            if let serde_json::Value::Object(map) = item {
                for f in output.schema.fields() {
                    map.entry(f.name().clone()).or_insert(serde_json::Value::Null);
                }
            }
        }
    }
    let doc = serde_json::json!({
        "columns": output.schema.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>(),
        "rows": rows,
        "report": serde_json::from_str::<serde_json::Value>(&output.report.to_json())?,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}
