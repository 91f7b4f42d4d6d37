//! Peak memory: one query alone in a fresh process per engine (the bench binary runs itself
//! with `RENKEI_BENCH_CHILD` set), its peak resident set read from `/proc/self/status`
//! (VmHWM) at the end. The capped run gives Renkei's memory pool a limit well below the data
//! and a spill directory, whose size a watcher samples while the query runs.

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
}

impl Role {
    fn to_env(self) -> String {
        match self {
            Role::Renkei => "renkei".into(),
            Role::Plain => "plain".into(),
            Role::Capped(mib) => format!("capped:{mib}"),
        }
    }

    pub fn from_env(text: &str) -> Option<Role> {
        match text {
            "renkei" => Some(Role::Renkei),
            "plain" => Some(Role::Plain),
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
    let output = Command::new(std::env::current_exe()?)
        .env("RENKEI_BENCH_CHILD", role.to_env())
        .env("RENKEI_BENCH_WAREHOUSE", warehouse)
        .env("RENKEI_BENCH_QUERY", query)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "the {role:?} run of {} failed: {}",
            query.display(),
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

/// The child's side: run the query once and print what it cost as one JSON line.
pub fn child(role: Role) -> Result<(), Box<dyn std::error::Error>> {
    let warehouse = PathBuf::from(std::env::var_os("RENKEI_BENCH_WAREHOUSE").ok_or("no warehouse")?);
    let sql = std::fs::read_to_string(std::env::var_os("RENKEI_BENCH_QUERY").ok_or("no query")?)?;
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
            let engine = Engine::open(&warehouse, Policy::default(), options)?;
            runtime.block_on(engine.query(&sql))?;
        }
        Role::Plain => {
            let ctx = runtime.block_on(super::plain_session(&warehouse, partitions))?;
            runtime.block_on(async { ctx.sql(&sql).await?.collect().await })?;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let spilled_bytes = watcher.stop();
    let line = serde_json::json!({
        "seconds": seconds,
        "peak_rss_kib": peak_rss_kib()?,
        "spilled_bytes": spilled_bytes,
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
