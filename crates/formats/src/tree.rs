//! The files of a native-data directory, listed the same way by every reader.

use std::path::{Path, PathBuf};

/// Every file under `root/sub`, sorted by its path relative to `root` (with `/`
/// separators), so that readers visit files, and report them, in one stable order.
/// A missing `root/sub` has no files.
pub fn files_under(root: &Path, sub: &str) -> Result<Vec<(String, PathBuf)>, (PathBuf, std::io::Error)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(sub)];
    while let Some(dir) = stack.pop() {
        if !dir.exists() {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| (dir.clone(), e))?;
        for entry in entries {
            let path = entry.map_err(|e| (dir.clone(), e))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, path));
            }
        }
    }
    out.sort();
    Ok(out)
}
