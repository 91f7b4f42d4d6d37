//! Output files written whole or not at all: into a temporary file beside the destination,
//! synced, then renamed over it. A fetch or query that fails part way (the disk full, the
//! process killed) leaves the destination as it was, never a truncated result a reader
//! could take for the whole one.

use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

fn temp_beside(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy();
    Ok(path.with_file_name(format!(".{name}.{}.partial", std::process::id())))
}

/// Writes `path` through `write`, which is given the temporary file.
pub fn write_with(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let temp = temp_beside(path)?;
    let result = File::create_new(&temp)
        .with_context(|| format!("creating {}", temp.display()))
        .and_then(|mut file| {
            write(&mut file)?;
            file.sync_all().with_context(|| format!("writing {}", temp.display()))
        })
        .and_then(|()| std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display())));
    if result.is_err() {
        // What was written of it is no output; the error says what failed.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes `bytes` to `path`.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |file| {
        std::io::Write::write_all(file, bytes).with_context(|| format!("writing {}", path.display()))
    })
}
