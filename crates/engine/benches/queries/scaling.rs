//! Scaling: every study query on warehouses of growing size, and how the time grows per 10×
//! persons (t_large / t_small raised to 1 / log10(persons_large / persons_small)): 10× means
//! linear, less means better than linear.

use super::Engines;
use std::path::{Path, PathBuf};

/// The persons a warehouse holds, from its manifest.
pub fn persons(warehouse: &Path) -> Result<u64, Box<dyn std::error::Error>> {
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(warehouse.join("_manifest.json"))?)?;
    manifest["persons"]
        .as_u64()
        .ok_or_else(|| format!("{}: no persons in the manifest", warehouse.display()).into())
}

pub fn table(
    runtime: &tokio::runtime::Runtime,
    queries: &[PathBuf],
    warehouses: &[PathBuf],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut scales = Vec::new();
    for w in warehouses {
        scales.push((persons(w)?, Engines::open(w, runtime)?));
    }
    scales.sort_by_key(|(persons, _)| *persons);
    let (Some((smallest, _)), Some((largest, _))) = (scales.first(), scales.last()) else {
        return Ok(());
    };
    let decades = (*largest as f64 / *smallest as f64).log10();
    println!(
        "\nscaling: Renkei checked (plain DataFusion) seconds, median of {} to {} runs, per warehouse\n",
        super::RUNS,
        super::MAX_RUNS
    );
    let header: Vec<String> = scales.iter().map(|(p, _)| format!("{p} persons")).collect();
    println!(
        "| query | {} | growth per 10× persons, checked (plain) |",
        header.join(" | ")
    );
    println!("|---|{}---:|", "---:|".repeat(scales.len()));
    for query in queries {
        let sql = std::fs::read_to_string(query)?;
        let name = query
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut cells = Vec::new();
        let mut times = Vec::new();
        for (_, engines) in &scales {
            let t = engines.time(runtime, &sql)?;
            cells.push(format!("{:.3} ({:.3})", t.checked.as_secs_f64(), t.plain.as_secs_f64()));
            times.push((t.checked.as_secs_f64(), t.plain.as_secs_f64()));
        }
        // One scale (the smoke run) has no growth to show.
        let growth = |small: f64, large: f64| match decades > 0.0 {
            true => format!("{:.1}×", (large / small).powf(1.0 / decades)),
            false => "—".to_string(),
        };
        let (first, last) = (times[0], times[times.len() - 1]);
        println!(
            "| {name} | {} | {} ({}) |",
            cells.join(" | "),
            growth(first.0, last.0),
            growth(first.1, last.1)
        );
    }
    Ok(())
}
