//! Peak memory: one query (or one ingest) alone in a fresh process per engine (the bench binary
//! runs itself with `RENKEI_BENCH_CHILD` set), its peak resident set read from
//! `/proc/self/status` (VmHWM) at the end. The capped run gives Renkei's memory pool a limit
//! well below the data and a spill directory, whose size a watcher samples while the query runs.

use renkei_disclosure::Policy;
use renkei_engine::{Engine, EngineOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Which engine a child process runs.
#[derive(Clone, Copy, Debug)]
pub enum Role {
    Renkei,
    Plain,
    /// Renkei with its memory pool limited to this many MiB and a spill directory.
    Capped(usize),
    /// Renkei's ingest of the native files at `RENKEI_BENCH_INPUT` into a warehouse at
    /// `RENKEI_BENCH_OUT`, instead of a query.
    Ingest,
}

impl Role {
    fn to_env(self) -> String {
        match self {
            Role::Renkei => "renkei".into(),
            Role::Plain => "plain".into(),
            Role::Capped(mib) => format!("capped:{mib}"),
            Role::Ingest => "ingest".into(),
        }
    }

    pub fn from_env(text: &str) -> Option<Role> {
        match text {
            "renkei" => Some(Role::Renkei),
            "plain" => Some(Role::Plain),
            "ingest" => Some(Role::Ingest),
            _ => text.strip_prefix("capped:")?.parse().ok().map(Role::Capped),
        }
    }
}

/// What a child measured.
pub struct Measured {
    pub seconds: f64,
    pub peak_rss_kib: u64,
    /// The most bytes the spill directory held at once (capped run only).
    pub spilled_bytes: u64,
}

/// Runs `query` in a fresh process as `role`.
pub fn measure(warehouse: &Path, query: &Path, role: Role) -> Result<Measured, Box<dyn std::error::Error>> {
    run_child(
        role,
        &[("RENKEI_BENCH_WAREHOUSE", warehouse), ("RENKEI_BENCH_QUERY", query)],
    )
}

/// Ingests the native files at `input` into a new warehouse at `out` in a fresh process.
pub fn measure_ingest(input: &Path, out: &Path) -> Result<Measured, Box<dyn std::error::Error>> {
    run_child(
        Role::Ingest,
        &[("RENKEI_BENCH_INPUT", input), ("RENKEI_BENCH_OUT", out)],
    )
}

fn run_child(role: Role, paths: &[(&str, &Path)]) -> Result<Measured, Box<dyn std::error::Error>> {
    let output = Command::new(std::env::current_exe()?)
        .env("RENKEI_BENCH_CHILD", role.to_env())
        .envs(paths.iter().copied())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "the {role:?} run on {} failed: {}",
            paths[0].1.display(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let v: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    Ok(Measured {
        seconds: v["seconds"].as_f64().ok_or("no seconds")?,
        peak_rss_kib: v["peak_rss_kib"].as_u64().ok_or("no peak_rss_kib")?,
        spilled_bytes: v["spilled_bytes"].as_u64().ok_or("no spilled_bytes")?,
    })
}

/// The child's side: run the query (or the ingest) once and print what it cost as one JSON line.
pub fn child(role: Role) -> Result<(), Box<dyn std::error::Error>> {
    let path = |name: &str| std::env::var_os(name).map(PathBuf::from).ok_or(format!("no {name}"));
    let sql = match role {
        Role::Ingest => String::new(),
        _ => std::fs::read_to_string(path("RENKEI_BENCH_QUERY")?)?,
    };
    let partitions = super::partitions();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let spill = tempfile::tempdir()?;
    let mut options = EngineOptions {
        target_partitions: Some(partitions),
        ..EngineOptions::default()
    };
    if let Role::Capped(mib) = role {
        options.memory_limit = Some(mib * 1024 * 1024);
        options.spill_dir = Some(spill.path().to_path_buf());
    }
    let watcher = SpillWatcher::start(spill.path());
    let start = Instant::now();
    match role {
        Role::Renkei | Role::Capped(_) => {
            let engine = Engine::open(&path("RENKEI_BENCH_WAREHOUSE")?, Policy::default(), options)?;
            runtime.block_on(engine.query(&sql))?;
        }
        Role::Plain => {
            let ctx = runtime.block_on(super::plain_session(&path("RENKEI_BENCH_WAREHOUSE")?, partitions))?;
            runtime.block_on(async { ctx.sql(&sql).await?.collect().await })?;
        }
        Role::Ingest => super::ingest::renkei_ingest(&path("RENKEI_BENCH_INPUT")?, &path("RENKEI_BENCH_OUT")?)?,
    }
    let seconds = start.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "seconds": seconds,
        "peak_rss_kib": peak_rss_kib()?,
        "spilled_bytes": watcher.stop(),
    });
    println!("{line}");
    Ok(())
}

/// VmHWM: the process's peak resident set, in KiB.
fn peak_rss_kib() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(line.split_whitespace().nth(1).ok_or("VmHWM without a value")?.parse()?)
}

/// Samples the size of a directory tree every few milliseconds and keeps the largest.
struct SpillWatcher {
    running: Arc<AtomicBool>,
    largest: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl SpillWatcher {
    fn start(dir: &Path) -> SpillWatcher {
        let running = Arc::new(AtomicBool::new(true));
        let largest = Arc::new(AtomicU64::new(0));
        let (r, l, dir) = (Arc::clone(&running), Arc::clone(&largest), dir.to_path_buf());
        let thread = std::thread::spawn(move || {
            while r.load(Ordering::Relaxed) {
                l.fetch_max(tree_bytes(&dir), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        SpillWatcher {
            running,
            largest,
            thread,
        }
    }

    fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        let _ = self.thread.join();
        self.largest.load(Ordering::Relaxed)
    }
}

/// Bytes of the files under `dir` (files vanishing while it looks count as gone).
pub fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}
