//! The audit trail: one row per call, each holding a keyed BLAKE3 of (the previous entry's
//! hash ‖ the canonical encoding of this entry), so that editing or deleting a row breaks
//! the chain from that row on. It lives in the state database and is appended in the same
//! transaction as the state change it records.
//!
//! The key lives in a file of its own (`--audit-key`), never in the database: whoever can
//! write the database but not read the key cannot recompute the chain after an edit, as
//! they could when it was plain BLAKE3. A keyed chain still cannot show that its newest
//! entries were cut off (what is left is a valid shorter chain), so after every commit the
//! newest entry's number and hash are appended to a heads file (see [`trail`]); `verify`
//! checks every head it lists and reports the newest, worth noting outside the machine.

#[cfg(test)]
mod tests;
mod trail;
mod verify;

pub use trail::{HEADS_FILE, KEY_FILE, Trail};
pub use verify::{Verification, verify};

use crate::error::BrokerError;
use rusqlite::{Connection, params};

/// The hash before the first entry.
const GENESIS: [u8; 32] = [0; 32];

/// What one call did: who, in which role, what, to which request or other target, with
/// what outcome, and the hash of any result it let out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub user: String,
    pub role: String,
    pub action: String,
    pub request_id: Option<i64>,
    pub outcome: String,
    pub result_hash: Option<String>,
    /// What an action other than on a request changed (`user:sato role:steward`,
    /// `token:3 of user:sato`, `project:p1`), or the hash of what a request step acted on
    /// (`sql:<BLAKE3>` at submission, `output:<BLAKE3>` at check and approval).
    pub target: Option<String>,
}

impl Event {
    /// The event with its target.
    pub fn on(self, target: String) -> Event {
        Event {
            target: Some(target),
            ..self
        }
    }
}

/// A stored entry: its place in the chain and when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    /// RFC 3339 UTC.
    pub time: String,
    pub event: Event,
}

impl Entry {
    /// Length-prefixed fields in a fixed order: no two different entries encode alike. The
    /// target comes last and only when there is one, so an entry written before targets
    /// existed encodes as it did then.
    fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.seq.to_le_bytes());
        let e = &self.event;
        for text in [&self.time, &e.user, &e.role, &e.action, &e.outcome] {
            put_text(&mut out, text);
        }
        match e.request_id {
            Some(id) => {
                out.push(1);
                out.extend_from_slice(&id.to_le_bytes());
            }
            None => out.push(0),
        }
        match &e.result_hash {
            Some(h) => {
                out.push(1);
                put_text(&mut out, h);
            }
            None => out.push(0),
        }
        if let Some(target) = &e.target {
            out.push(1);
            put_text(&mut out, target);
        }
        out
    }

    /// The entry's hash under `key`; without one, plain BLAKE3, as chains were written
    /// before they were keyed (read only to key such a chain, see [`Trail::open`]).
    fn chained_hash(&self, previous: &[u8; 32], key: Option<&[u8; 32]>) -> [u8; 32] {
        let mut h = key.map_or_else(blake3::Hasher::new, blake3::Hasher::new_keyed);
        h.update(previous);
        h.update(&self.canonical());
        *h.finalize().as_bytes()
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

pub(crate) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    request_id INTEGER,
    outcome TEXT NOT NULL,
    result_hash TEXT,
    hash TEXT NOT NULL,
    target TEXT
);
-- A request's trail, shown to the steward who reviews it.
CREATE INDEX IF NOT EXISTS audit_by_request ON audit (request_id, seq);
CREATE TABLE IF NOT EXISTS audit_head (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
)";

/// The columns [`entry_from_row`] reads, in its order.
const ENTRY_COLUMNS: &str = "seq, time, user, role, action, request_id, outcome, result_hash, target";

fn parse_hash(hex_text: &str) -> Option<[u8; 32]> {
    hex::decode(hex_text).ok()?.try_into().ok()
}

/// An entry from the columns [`ENTRY_COLUMNS`].
fn entry_from_row(row: &rusqlite::Row) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: row.get(0)?,
        time: row.get(1)?,
        event: Event {
            user: row.get(2)?,
            role: row.get(3)?,
            action: row.get(4)?,
            request_id: row.get(5)?,
            outcome: row.get(6)?,
            result_hash: row.get(7)?,
            target: row.get(8)?,
        },
    })
}

/// Every entry about one request, oldest first.
pub fn entries_of_request(conn: &Connection, request_id: i64) -> Result<Vec<Entry>, BrokerError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit WHERE request_id = ?1 ORDER BY seq"
    ))?;
    let entries = statement
        .query_map(params![request_id], entry_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(entries)
}
