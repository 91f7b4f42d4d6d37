//! Writing the warehouse aside and moving it into place.

use crate::error::{IngestError, Result, io};
use crate::parse::Quarantined;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn sibling(out: &Path, tag: &str) -> Result<PathBuf> {
    let name = out
        .file_name()
        .ok_or_else(|| IngestError::Input(format!("{} has no directory name", out.display())))?
        .to_string_lossy();
    Ok(out.with_file_name(format!(".{name}.{tag}-{}", std::process::id())))
}

/// A fresh staging directory beside `out`, after removing the staging directories of
/// earlier runs that died (they are never a warehouse).
pub fn staging_dir(out: &Path) -> Result<PathBuf> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for entry in fs::read_dir(parent).map_err(io(parent))? {
        let path = entry.map_err(io(parent))?.path();
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if file.starts_with(&format!(".{name}.staging-")) || file.starts_with(&format!(".{name}.previous-")) {
            fs::remove_dir_all(&path).map_err(io(&path))?;
        }
    }
    let staging = sibling(out, "staging")?;
    fs::create_dir_all(&staging).map_err(io(&staging))?;
    Ok(staging)
}

pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| IngestError::Input(e.to_string()))?;
    fs::write(path, text + "\n").map_err(io(path))
}

/// `_quarantine/<source>.jsonl`: one JSON object per quarantined record.
pub fn write_quarantine(staging: &Path, entries: &BTreeMap<&'static str, Vec<Quarantined>>) -> Result<()> {
    let dir = staging.join("_quarantine");
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    for source in crate::SOURCES {
        let mut text = String::new();
        for q in entries.get(source).map(Vec::as_slice).unwrap_or_default() {
            text.push_str(&serde_json::to_string(q).map_err(|e| IngestError::Input(e.to_string()))?);
            text.push('\n');
        }
        let path = dir.join(format!("{source}.jsonl"));
        fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(())
}

/// Replaces `out` with the complete `staging` directory: two renames, between which a
/// crash leaves no warehouse at `out` (and the previous one beside it), never a mix.
pub fn publish(staging: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        let previous = sibling(out, "previous")?;
        fs::rename(out, &previous).map_err(io(out))?;
        fs::rename(staging, out).map_err(io(out))?;
        fs::remove_dir_all(&previous).map_err(io(&previous))?;
    } else {
        fs::rename(staging, out).map_err(io(out))?;
    }
    Ok(())
}
