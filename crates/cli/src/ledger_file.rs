//! `renkei query --ledger FILE`: an analyst's own release ledger on the CLI. The file holds
//! the persons behind every count of persons the earlier queries released (the engine's
//! numbers of their pseudonyms, never the pseudonyms): per cell, its number of persons as 8
//! bytes little-endian, then each person's number the same way. Each query is checked
//! against it and adds what it released; the file is replaced whole (a temp file renamed), so
//! a stopped query leaves the ledger as it was.

use anyhow::{Context, Result, bail};
use renkei_engine::PersonSet;
use std::path::Path;

/// The sets in `path`, oldest first; none when the file does not exist yet.
pub fn read(path: &Path) -> Result<Vec<PersonSet>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading the ledger {}", path.display())),
    };
    let mut sets = Vec::new();
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        let Some((count, tail)) = rest.split_first_chunk::<8>() else {
            bail!("the ledger {} is not a ledger: it ends inside a cell", path.display());
        };
        let len = usize::try_from(u64::from_le_bytes(*count))
            .ok()
            .and_then(|n| n.checked_mul(8))
            .filter(|n| *n <= tail.len());
        let Some(len) = len else {
            bail!(
                "the ledger {} is not a ledger: a cell runs past its end",
                path.display()
            );
        };
        let (persons, tail) = tail.split_at(len);
        let Some(set) = PersonSet::from_bytes(persons) else {
            bail!(
                "the ledger {} is not a ledger: a cell's persons are out of order",
                path.display()
            );
        };
        sets.push(set);
        rest = tail;
    }
    Ok(sets)
}

/// Writes `sets` to `path` through a temp file in its folder, renamed over it.
pub fn write(path: &Path, sets: &[PersonSet]) -> Result<()> {
    let mut bytes = Vec::new();
    for set in sets {
        bytes.extend_from_slice(&(set.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&set.to_bytes());
    }
    let temp = path.with_extension("writing");
    std::fs::write(&temp, &bytes).with_context(|| format!("writing the ledger {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("replacing the ledger {}", path.display()))
}
