//! Where the warehouse published at a path is. `renkei ingest --out W` writes each warehouse
//! into a directory of its own beside `W`, a generation `.W.gen-<n>`, and makes `W` a
//! symbolic link to it; a new one replaces the link in one rename. So `W` always names one
//! whole warehouse, and a reader that resolves it once ([`resolve`]) reads that generation
//! to the end, even while the next one is published: the generation before the newest is
//! kept until the publish after.

use crate::error::{WarehouseError, io};
use std::path::{Path, PathBuf};

/// `.W.gen-`: the prefix of `W`'s generations.
pub fn generation_prefix(out: &Path) -> Option<String> {
    Some(format!(".{}.gen-", out.file_name()?.to_string_lossy()))
}

/// The directory `out` is in (`.` for a bare name).
pub fn parent_of(out: &Path) -> &Path {
    out.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The generations beside `out`, oldest first, with their numbers. Each is a whole
/// warehouse: a directory takes a generation's name only once everything in it is written
/// and synced.
pub fn generations(out: &Path) -> Result<Vec<(u64, PathBuf)>, WarehouseError> {
    let Some(prefix) = generation_prefix(out) else {
        return Ok(Vec::new());
    };
    let parent = parent_of(out);
    let entries = match std::fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(parent)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(parent))?;
        let name = entry.file_name();
        let number = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix.as_str()))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(number) = number {
            found.push((number, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// The directory the warehouse published at `out` is in now, to read from: where the link
/// points (symbolic links resolved), or, if `out` is missing because a publish stopped in
/// its one window without a link (moving a warehouse made before generations aside), the
/// newest generation. With neither, `out` itself, for the caller's own error.
pub fn resolve(out: &Path) -> Result<PathBuf, WarehouseError> {
    match std::fs::canonicalize(out) {
        Ok(dir) => Ok(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(generations(out)?
            .pop()
            .map_or_else(|| out.to_path_buf(), |(_, dir)| dir)),
        Err(e) => Err(io(out)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_follows_the_link_or_falls_back_to_the_newest_generation() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("wh");
        assert_eq!(resolve(&out).expect("resolves"), out, "nothing published");
        for n in [2, 10, 9] {
            std::fs::create_dir(dir.path().join(format!(".wh.gen-{n}"))).expect("made");
        }
        std::fs::create_dir(dir.path().join(".wh.gen-x")).expect("made");
        let numbers: Vec<u64> = generations(&out).expect("listed").iter().map(|g| g.0).collect();
        assert_eq!(numbers, [2, 9, 10]);
        assert!(resolve(&out).expect("resolves").ends_with(".wh.gen-10"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(".wh.gen-2", &out).expect("linked");
            assert!(resolve(&out).expect("resolves").ends_with(".wh.gen-2"));
        }
    }
}
