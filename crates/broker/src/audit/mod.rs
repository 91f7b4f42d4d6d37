//! The audit trail: one row per call, each holding BLAKE3(previous entry's hash ‖ the
//! canonical encoding of this entry), so that editing or deleting a row breaks the chain
//! from that row on. It lives in the state database and is appended in the same
//! transaction as the state change it records.
//!
//! A chain alone cannot show that its newest entries were cut off (what is left is a valid
//! shorter chain), so the newest entry's number and hash are also kept in `audit_head`,
//! written in the same transaction, and `verify` reports the head hash so that it can be
//! noted outside the database (the only defence against someone who rewrites both).

use crate::error::BrokerError;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// The hash before the first entry.
const GENESIS: [u8; 32] = [0; 32];

/// What one call did: who, in which role, what, to which request, with what outcome, and
/// the hash of any result it let out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub user: String,
    pub role: String,
    pub action: String,
    pub request_id: Option<i64>,
    pub outcome: String,
    pub result_hash: Option<String>,
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
    /// Length-prefixed fields in a fixed order: no two different entries encode alike.
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
        out
    }

    fn chained_hash(&self, previous: &[u8; 32]) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
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
    hash TEXT NOT NULL
);
-- A request's trail, shown to the steward who reviews it.
CREATE INDEX IF NOT EXISTS audit_by_request ON audit (request_id, seq);
CREATE TABLE IF NOT EXISTS audit_head (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
)";

/// Appends `event` at `time` inside `tx`; returns its sequence number.
pub(crate) fn append(tx: &Transaction, time: &str, event: &Event) -> Result<i64, BrokerError> {
    let last: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (seq, previous) = match last {
        Some((seq, hash)) => {
            let previous = parse_hash(&hash)
                .ok_or_else(|| BrokerError::FailedPrecondition(format!("audit entry {seq} has a malformed hash")))?;
            (seq + 1, previous)
        }
        None => (1, GENESIS),
    };
    let entry = Entry {
        seq,
        time: time.to_string(),
        event: event.clone(),
    };
    let hash = hex::encode(entry.chained_hash(&previous));
    tx.execute(
        "INSERT INTO audit (seq, time, user, role, action, request_id, outcome, result_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            seq,
            time,
            event.user,
            event.role,
            event.action,
            event.request_id,
            event.outcome,
            event.result_hash,
            hash
        ],
    )?;
    tx.execute(
        "INSERT INTO audit_head (only_row, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (only_row) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![seq, hash],
    )?;
    Ok(seq)
}

fn parse_hash(hex_text: &str) -> Option<[u8; 32]> {
    hex::decode(hex_text).ok()?.try_into().ok()
}

/// An entry from the columns `seq, time, user, role, action, request_id, outcome, result_hash`.
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
        },
    })
}

/// Every entry about one request, oldest first.
pub fn entries_of_request(conn: &Connection, request_id: i64) -> Result<Vec<Entry>, BrokerError> {
    let mut statement = conn.prepare(
        "SELECT seq, time, user, role, action, request_id, outcome, result_hash FROM audit
         WHERE request_id = ?1 ORDER BY seq",
    )?;
    let entries = statement
        .query_map(params![request_id], entry_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(entries)
}

/// The outcome of walking the chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every entry's hash matches its contents and its predecessor, and the newest is the
    /// recorded head; `head` is its hash (hex), worth noting outside the database.
    Intact { entries: i64, head: String },
    /// The first entry that does not: edited, or missing (deleted), or out of place.
    Broken { seq: i64, reason: &'static str },
}

/// Walks the chain from the first entry. Deleting the newest entries cannot be seen from
/// the chain alone (it is still a valid, shorter chain).
pub fn verify(conn: &Connection) -> Result<Verification, BrokerError> {
    let mut statement = conn.prepare(
        "SELECT seq, time, user, role, action, request_id, outcome, result_hash, hash FROM audit ORDER BY seq",
    )?;
    let mut rows = statement.query([])?;
    let mut previous = GENESIS;
    let mut expected_seq = 1;
    while let Some(row) = rows.next()? {
        let entry = entry_from_row(row)?;
        let stored: String = row.get(8)?;
        if entry.seq != expected_seq {
            return Ok(Verification::Broken {
                seq: expected_seq,
                reason: "missing (deleted) or renumbered",
            });
        }
        let hash = entry.chained_hash(&previous);
        if parse_hash(&stored) != Some(hash) {
            return Ok(Verification::Broken {
                seq: entry.seq,
                reason: "its hash does not match its contents and the entry before it",
            });
        }
        previous = hash;
        expected_seq += 1;
    }
    let entries = expected_seq - 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Connection {
        let mut conn = Connection::open_in_memory().expect("in-memory SQLite");
        conn.execute_batch(SCHEMA).expect("schema");
        for i in 0..n {
            let tx = conn.transaction().expect("transaction");
            let event = Event {
                user: "sato".into(),
                role: "researcher".into(),
                action: "submit".into(),
                request_id: Some(i),
                outcome: "ok".into(),
                result_hash: None,
            };
            append(&tx, "2026-01-01T00:00:00Z", &event).expect("append");
            tx.commit().expect("commit");
        }
        conn
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert!(matches!(
            verify(&chain(5)).expect("walk"),
            Verification::Intact { entries: 5, .. }
        ));
    }

    #[test]
    fn deleting_the_newest_entries_is_named() {
        let conn = chain(5);
        conn.execute("DELETE FROM audit WHERE seq >= 4", []).expect("delete");
        assert!(matches!(
            verify(&conn).expect("walk"),
            Verification::Broken { seq: 4, .. }
        ));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let conn = chain(5);
        conn.execute("UPDATE audit SET outcome = 'denied' WHERE seq = 3", [])
            .expect("edit");
        assert!(matches!(
            verify(&conn).expect("walk"),
            Verification::Broken { seq: 3, .. }
        ));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let conn = chain(5);
        conn.execute("DELETE FROM audit WHERE seq = 2", []).expect("delete");
        assert!(matches!(
            verify(&conn).expect("walk"),
            Verification::Broken { seq: 2, .. }
        ));
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_next_entry() {
        let conn = chain(5);
        let tampered = Entry {
            seq: 2,
            time: "2026-01-01T00:00:00Z".into(),
            event: Event {
                user: "someone".into(),
                role: "researcher".into(),
                action: "submit".into(),
                request_id: Some(1),
                outcome: "ok".into(),
                result_hash: None,
            },
        };
        // The attacker recomputes entry 2's own hash but cannot fix entry 3's.
        let first: String = conn
            .query_row("SELECT hash FROM audit WHERE seq = 1", [], |r| r.get(0))
            .expect("entry 1");
        let hash = hex::encode(tampered.chained_hash(&parse_hash(&first).expect("hex")));
        conn.execute(
            "UPDATE audit SET user = 'someone', hash = ?1 WHERE seq = 2",
            params![hash],
        )
        .expect("edit");
        assert!(matches!(
            verify(&conn).expect("walk"),
            Verification::Broken { seq: 3, .. }
        ));
    }
}
