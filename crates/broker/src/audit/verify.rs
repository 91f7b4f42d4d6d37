//! Walking the chain: every entry against its predecessor under the key, and every head the
//! heads file lists against the entry it names.

use super::{Entry, GENESIS, entry_from_row, parse_hash};
use crate::error::BrokerError;
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;

/// The outcome of walking the chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every entry's hash matches its contents and its predecessor under the key, the newest
    /// is the recorded head and every listed head is in the chain; `head` is its hash (hex),
    /// worth noting outside the machine.
    Intact { entries: i64, head: String },
    /// The first entry that does not: edited, or missing (deleted), or out of place.
    Broken { seq: i64, reason: &'static str },
}

/// Walks the chain under `key` and checks it against the heads file `heads`.
pub fn verify(conn: &Connection, key: &[u8; 32], heads: &Path) -> Result<Verification, BrokerError> {
    let listed = match read_heads(heads)? {
        Ok(listed) => listed,
        Err(broken) => return Ok(broken),
    };
    let walked = walk(conn, Some(key), listed.as_ref())?;
    match (&walked, listed) {
        (Verification::Intact { entries, .. }, listed)
            if *entries > 0 && listed.as_ref().is_none_or(|h| h.is_empty()) =>
        {
            Ok(Verification::Broken {
                seq: *entries,
                reason: "the heads file is missing or empty, so entries cut off the end cannot be ruled out",
            })
        }
        _ => Ok(walked),
    }
}

/// The heads a heads file lists: entry number → hash.
type Heads = BTreeMap<i64, [u8; 32]>;

/// The heads file's lines, `<seq> <hash>`, by seq; None if there is no file yet; a malformed
/// line as the verification's outcome.
fn read_heads(path: &Path) -> Result<Result<Option<Heads>, Verification>, BrokerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(None)),
        Err(e) => return Err(BrokerError::Io(format!("reading {}: {e}", path.display()))),
    };
    let mut heads = BTreeMap::new();
    for line in text.lines() {
        let parsed = line
            .split_once(' ')
            .and_then(|(seq, hash)| Some((seq.parse::<i64>().ok()?, parse_hash(hash)?)));
        let Some((seq, hash)) = parsed else {
            return Ok(Err(Verification::Broken {
                seq: heads.keys().next_back().map_or(0, |s| s + 1),
                reason: "the heads file has a malformed line after this entry's head",
            }));
        };
        heads.insert(seq, hash);
    }
    Ok(Ok(Some(heads)))
}

/// Walks the chain from the first entry, under `key` (plain BLAKE3 without one), checking
/// `heads` on the way.
pub(super) fn walk(
    conn: &Connection,
    key: Option<&[u8; 32]>,
    heads: Option<&Heads>,
) -> Result<Verification, BrokerError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {}, hash FROM audit ORDER BY seq",
        super::ENTRY_COLUMNS
    ))?;
    let mut rows = statement.query([])?;
    let mut previous = GENESIS;
    let mut expected_seq = 1;
    while let Some(row) = rows.next()? {
        let entry: Entry = entry_from_row(row)?;
        let stored: String = row.get(9)?;
        if entry.seq != expected_seq {
            return Ok(Verification::Broken {
                seq: expected_seq,
                reason: "missing (deleted) or renumbered",
            });
        }
        let hash = entry.chained_hash(&previous, key);
        if parse_hash(&stored) != Some(hash) {
            return Ok(Verification::Broken {
                seq: entry.seq,
                reason: "its hash does not match its contents and the entry before it",
            });
        }
        if heads
            .and_then(|h| h.get(&entry.seq))
            .is_some_and(|listed| *listed != hash)
        {
            return Ok(Verification::Broken {
                seq: entry.seq,
                reason: "the heads file lists another hash for it (rewritten from here on)",
            });
        }
        previous = hash;
        expected_seq += 1;
    }
    let entries = expected_seq - 1;
    if let Some((&newest_listed, _)) = heads.and_then(|h| h.iter().next_back())
        && newest_listed > entries
    {
        return Ok(Verification::Broken {
            seq: entries + 1,
            reason: "missing (deleted): the heads file lists a newer entry",
        });
    }
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE only_row = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let recorded = head.as_ref().map_or(0, |(seq, _)| *seq);
    if recorded > entries {
        return Ok(Verification::Broken {
            seq: entries + 1,
            reason: "missing (deleted): the head records a newer entry",
        });
    }
    let head_hash = head.map(|(_, hash)| hash).unwrap_or_default();
    if recorded < entries || (entries > 0 && parse_hash(&head_hash) != Some(previous)) {
        return Ok(Verification::Broken {
            seq: entries,
            reason: "it is not the head the audit trail recorded",
        });
    }
    Ok(Verification::Intact {
        entries,
        head: head_hash,
    })
}
