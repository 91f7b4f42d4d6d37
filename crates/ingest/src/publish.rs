//! Writing the warehouse aside and moving it into place.
//!
//! A warehouse is written into a staging directory beside `out`, synced (every file and
//! directory), renamed to a generation of its own (`.out.gen-<n>`, see
//! [`renkei_warehouse::published`]), and published by renaming a symbolic link to it over
//! `out`. A rename is atomic, so at every instant `out` names one whole warehouse, the old
//! or the new; two renames of directories (the old way: `out` aside, staging to `out`) left
//! a window with no warehouse at `out`, and the next run deleted the one beside it.

use crate::error::{IngestError, Result, io};
use crate::parse::Quarantined;
use renkei_warehouse::published::{generation_prefix, generations, parent_of};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn name_of(out: &Path) -> Result<String> {
    Ok(out
        .file_name()
        .ok_or_else(|| IngestError::Input(format!("{} has no directory name", out.display())))?
        .to_string_lossy()
        .into_owned())
}

fn sibling(out: &Path, tag: &str) -> Result<PathBuf> {
    Ok(out.with_file_name(format!(".{}.{tag}-{}", name_of(out)?, std::process::id())))
}

fn generation(out: &Path, number: u64) -> Result<PathBuf> {
    let prefix =
        generation_prefix(out).ok_or_else(|| IngestError::Input(format!("{} has no directory name", out.display())))?;
    Ok(out.with_file_name(format!("{prefix}{number}")))
}

/// Makes what was renamed, created or removed in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Makes every file and directory under `dir` durable, before it takes a generation's name:
/// a crash after the rename must not find the name over files the disk never got.
fn sync_tree(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        if entry.file_type().map_err(io(&path))?.is_dir() {
            sync_tree(&path)?;
        } else {
            fs::File::open(&path).and_then(|f| f.sync_all()).map_err(io(&path))?;
        }
    }
    sync_dir(dir)
}

/// `out` as a link to `target` (a name beside it), replacing whatever link is there in one
/// rename: made under a temporary name first.
fn link(out: &Path, target: &Path) -> Result<()> {
    let temp = sibling(out, "link")?;
    match fs::remove_file(&temp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&temp)(e)),
        _ => {}
    }
    // Relative, so that the folder holding `out` and its generations can be moved whole.
    let relative = target.file_name().map(Path::new).unwrap_or(target);
    #[cfg(unix)]
    std::os::unix::fs::symlink(relative, &temp).map_err(io(&temp))?;
    #[cfg(windows)]
    std::os::windows::fs::symlink_dir(relative, &temp).map_err(io(&temp))?;
    fs::rename(&temp, out).map_err(io(out))
}

/// What is at `out` now.
enum Current {
    Nothing,
    /// A link, with the generation it points to if it is one of ours.
    Link(Option<PathBuf>),
    /// A warehouse made as a plain directory (by a version before generations, or by hand).
    Directory,
}

fn current(out: &Path) -> Result<Current> {
    let meta = match fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Current::Nothing),
        Err(e) => return Err(io(out)(e)),
    };
    if meta.file_type().is_symlink() {
        let target = fs::read_link(out).map_err(io(out))?;
        let ours = generations(out)?
            .into_iter()
            .map(|(_, dir)| dir)
            .find(|dir| dir.file_name() == target.file_name() && target.components().count() == 1);
        Ok(Current::Link(ours))
    } else if meta.is_dir() {
        Ok(Current::Directory)
    } else {
        Err(IngestError::Input(format!(
            "{} is a file, not a warehouse; give --out a directory",
            out.display()
        )))
    }
}

/// Finishes what a publish that stopped part way left: with no warehouse at `out` (a crash
/// after a plain-directory warehouse was moved aside, or one of the old two renames), the
/// newest whole warehouse beside it is linked there again. Whatever else a stopped run left
/// (staging directories, temporary links) is never a warehouse and is removed.
fn recover(out: &Path) -> Result<()> {
    let name = name_of(out)?;
    let parent = parent_of(out);
    let mut newest = generations(out)?.pop();
    for entry in fs::read_dir(parent).map_err(io(parent))? {
        let path = entry.map_err(io(parent))?.path();
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if file.starts_with(&format!(".{name}.staging-")) {
            fs::remove_dir_all(&path).map_err(io(&path))?;
        } else if file.starts_with(&format!(".{name}.link-")) {
            fs::remove_file(&path).map_err(io(&path))?;
        } else if file.starts_with(&format!(".{name}.previous-")) {
            // The old way's first rename: the only whole warehouse if `out` is missing.
            if out.exists() || newest.is_some() {
                fs::remove_dir_all(&path).map_err(io(&path))?;
            } else {
                let kept = generation(out, 1)?;
                fs::rename(&path, &kept).map_err(io(&path))?;
                newest = Some((1, kept));
            }
        }
    }
    if !out.exists()
        && let Some((_, dir)) = newest
    {
        link(out, &dir)?;
    }
    sync_dir(parent)
}

/// A fresh staging directory beside `out`, after finishing or clearing what earlier runs
/// that died left there.
pub fn staging_dir(out: &Path) -> Result<PathBuf> {
    let parent = parent_of(out);
    fs::create_dir_all(parent).map_err(io(parent))?;
    recover(out)?;
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

/// Replaces the warehouse at `out` with the complete `staging` directory (see the module's
/// comment). The generation `out` named before stays, for readers that opened it just
/// before (the engine resolves `out` once per query); older ones are removed.
pub fn publish(staging: &Path, out: &Path) -> Result<()> {
    publish_with(staging, out, &mut || Ok(()))
}

/// [`publish`], calling `crash` between each two steps: a test makes it fail there, as if the
/// process died (nothing after it runs).
fn publish_with(staging: &Path, out: &Path, crash: &mut dyn FnMut() -> Result<()>) -> Result<()> {
    let parent = parent_of(out);
    sync_tree(staging)?;
    crash()?;
    let before = current(out)?;
    let next = generations(out)?.last().map_or(1, |(n, _)| n + 1);
    let published = generation(out, next + 1)?;
    fs::rename(staging, &published).map_err(io(staging))?;
    sync_dir(parent)?;
    crash()?;
    let previous = match before {
        Current::Link(ours) => ours,
        Current::Nothing => None,
        // The one window without a warehouse at `out`: after this rename, before the link.
        // A crash here leaves two whole generations, and both readers and the next publish
        // take the newest.
        Current::Directory => {
            let aside = generation(out, next)?;
            fs::rename(out, &aside).map_err(io(out))?;
            sync_dir(parent)?;
            crash()?;
            Some(aside)
        }
    };
    link(out, &published)?;
    sync_dir(parent)?;
    crash()?;
    for (_, dir) in generations(out)? {
        if dir != published && Some(&dir) != previous.as_ref() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
            crash()?;
        }
    }
    sync_dir(parent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_warehouse::published::resolve;

    /// Every file under `dir` with its bytes, by path relative to `dir`.
    fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let bytes = fs::read(&path).expect("reads");
                    files.insert(path.strip_prefix(dir).expect("inside").to_path_buf(), bytes);
                }
            }
        }
        files
    }

    /// A small stand-in for a warehouse, every file of it saying `which`.
    fn write_warehouse(dir: &Path, which: &str) {
        for file in [
            "_manifest.json",
            "ndb_claims/part-00000.parquet",
            "_quarantine/uke.jsonl",
        ] {
            let path = dir.join(file);
            fs::create_dir_all(path.parent().expect("in a folder")).expect("folder");
            fs::write(&path, format!("{which} {file}")).expect("writes");
        }
    }

    fn expected(which: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        let dir = tempfile::tempdir().expect("temp dir");
        write_warehouse(dir.path(), which);
        tree(dir.path())
    }

    /// Publishes a warehouse saying `which` at `out` as ingest does, the process "dying"
    /// (the publish returning at once, leaving everything as it is) at its `crash_at`-th
    /// step if it has one; returns whether it died.
    fn ingest_dying_at(out: &Path, which: &str, crash_at: Option<usize>) -> bool {
        let staging = staging_dir(out).expect("staging");
        write_warehouse(&staging, which);
        let mut step = 0;
        let mut died = false;
        let result = publish_with(&staging, out, &mut || {
            step += 1;
            if Some(step) == crash_at {
                died = true;
                return Err(IngestError::Input("killed".into()));
            }
            Ok(())
        });
        assert_eq!(result.is_err(), died, "{result:?}");
        died
    }

    /// A crash at every step of a publish, over a warehouse published by this code and over
    /// one made as a plain directory (by earlier versions): at each instant, the path
    /// resolves to one whole warehouse, the old or the new, and the next ingest publishes
    /// over it and leaves nothing else behind but the generation before.
    #[test]
    fn a_crash_at_any_step_of_a_publish_leaves_a_whole_warehouse() {
        for over_a_plain_directory in [false, true] {
            for crash_at in 1.. {
                let dir = tempfile::tempdir().expect("temp dir");
                let out = dir.path().join("wh");
                if over_a_plain_directory {
                    write_warehouse(&out, "old");
                } else {
                    ingest_dying_at(&out, "old", None);
                }
                if !ingest_dying_at(&out, "new", Some(crash_at)) {
                    break;
                }
                let seen = tree(&resolve(&out).expect("resolves"));
                assert!(
                    seen == expected("old") || seen == expected("new"),
                    "killed at step {crash_at} (plain directory first: {over_a_plain_directory}): {seen:?}"
                );
                ingest_dying_at(&out, "next", None);
                assert_eq!(tree(&out), expected("next"), "killed at step {crash_at}");
                let mut beside: Vec<String> = fs::read_dir(dir.path())
                    .expect("lists")
                    .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
                    .filter(|n| n != "wh")
                    .collect();
                beside.sort();
                assert!(
                    beside.len() <= 2 && beside.iter().all(|n| n.starts_with(".wh.gen-")),
                    "killed at step {crash_at}: {beside:?}"
                );
            }
        }
    }

    /// The old two renames stopped between them: no `out`, the warehouse moved aside. The
    /// next run puts it back instead of deleting it.
    #[test]
    fn a_warehouse_left_aside_by_the_old_publish_is_recovered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("wh");
        write_warehouse(&dir.path().join(".wh.previous-4242"), "old");
        write_warehouse(&dir.path().join(".wh.staging-4242"), "half");
        let staging = staging_dir(&out).expect("staging");
        assert_eq!(tree(&out), expected("old"), "linked back before anything else");
        fs::remove_dir_all(&staging).expect("removed");
        ingest_dying_at(&out, "new", None);
        assert_eq!(tree(&out), expected("new"));
    }
}
