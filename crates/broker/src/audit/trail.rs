//! The audit trail as the broker writes it: the chain's key, read from its own file, and
//! the heads file, to which every committed entry's number and hash are appended.
//!
//! The heads file is what shows a cut-off tail: entries deleted from the end of the table
//! leave a valid shorter chain, but not the heads written after them. An operator who makes
//! it append-only (`chattr +a`), or ships its lines elsewhere, takes the rewrite of the
//! newest entries away from whoever can write the data directory. One line per entry,
//! about 80 bytes.

use super::{Entry, Event, GENESIS, entry_from_row, parse_hash, verify};
use crate::error::BrokerError;
use crate::key_file;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The audit key's file under the data directory, unless `--audit-key` names another.
pub const KEY_FILE: &str = "audit.key";

/// The heads file under the data directory.
pub const HEADS_FILE: &str = "audit.heads";

/// The chain's key and where its heads go.
pub struct Trail {
    key: [u8; 32],
    heads: PathBuf,
}

/// A written entry's number and hash (hex), for the heads file once it is committed.
#[must_use = "a committed entry's head goes to the heads file (Trail::anchor)"]
pub struct Head {
    seq: i64,
    hash: String,
}

impl Trail {
    /// The trail of the state database `conn`, keyed by the key in `key_path`.
    ///
    /// Without a key file, a new key is made, but only for a trail that has never been
    /// keyed (no heads file): one that is empty, or written before chains were keyed, whose
    /// plain chain must then verify and is re-chained under the new key in one transaction,
    /// with an entry that records the plain head it had. A trail is re-keyed only under a key
    /// made by this same open: with a key file there, a newest entry that does not verify
    /// under it stops the start, heads file or not (a red-team pass re-chained an edited
    /// trail plainly, deleted the heads file, and a broker that re-keyed whenever the heads
    /// file was missing blessed it under the operator's own key). A keyed trail whose key is
    /// missing does not open either.
    pub fn open(conn: &mut Connection, key_path: &Path, heads: PathBuf) -> Result<Trail, BrokerError> {
        let (key, made_now) = match key_file::load(key_path)? {
            Some(key) => (key, false),
            None if heads.exists() => {
                return Err(BrokerError::FailedPrecondition(format!(
                    "the audit trail is keyed (its heads file {} exists) but its key {} is missing; \
                     give the key's file with --audit-key",
                    heads.display(),
                    key_path.display()
                )));
            }
            None => (key_file::create(key_path)?, true),
        };
        let trail = Trail { key, heads };
        match trail.newest_verifies(conn)? {
            None | Some(true) => {}
            // A trail from before keys (or one whose keying stopped half-way): every entry
            // is still plain; nothing keyed was ever anchored.
            Some(false) if made_now => trail.key_plain_chain(conn)?,
            Some(false) => {
                return Err(BrokerError::FailedPrecondition(format!(
                    "the newest audit entry does not verify under the key {}: another key, or an edited \
                     trail; `renkei audit verify` names the first broken entry",
                    key_path.display()
                )));
            }
        }
        Ok(trail)
    }

    /// The newest entry's number and hash (hex), if it verifies under the key; None without
    /// entries.
    pub fn head(&self, conn: &Connection) -> Result<Option<(i64, String)>, BrokerError> {
        match self.newest_verifies(conn)? {
            None => Ok(None),
            Some(false) => Err(BrokerError::FailedPrecondition(
                "the newest audit entry does not verify under the key: an edited trail; `renkei audit \
                 verify` names the first broken entry"
                    .into(),
            )),
            Some(true) => Ok(conn
                .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?),
        }
    }

    /// Whether the newest entry's hash is its keyed hash over the entry before; None
    /// without entries.
    fn newest_verifies(&self, conn: &Connection) -> Result<Option<bool>, BrokerError> {
        let mut statement = conn.prepare(&format!(
            "SELECT {}, hash FROM audit ORDER BY seq DESC LIMIT 2",
            super::ENTRY_COLUMNS
        ))?;
        let newest: Vec<(Entry, String)> = statement
            .query_map([], |r| Ok((entry_from_row(r)?, r.get(9)?)))?
            .collect::<Result<_, _>>()?;
        let Some((entry, stored)) = newest.first() else {
            return Ok(None);
        };
        let previous = match newest.get(1) {
            Some((_, hash)) => parse_hash(hash).unwrap_or_default(),
            None => GENESIS,
        };
        Ok(Some(
            parse_hash(stored) == Some(entry.chained_hash(&previous, Some(&self.key))),
        ))
    }

    /// Re-chains a plain chain under the key, if it verifies, and records that it did.
    fn key_plain_chain(&self, conn: &mut Connection) -> Result<(), BrokerError> {
        let plain_head = match verify::walk(conn, None, None)? {
            verify::Verification::Intact { head, .. } => head,
            verify::Verification::Broken { seq, reason } => {
                return Err(BrokerError::FailedPrecondition(format!(
                    "audit entry {seq} is broken ({reason}); a broken trail is not keyed"
                )));
            }
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let entries: Vec<Entry> = {
            let mut statement = tx.prepare(&format!("SELECT {} FROM audit ORDER BY seq", super::ENTRY_COLUMNS))?;
            statement.query_map([], entry_from_row)?.collect::<Result<_, _>>()?
        };
        let mut previous = GENESIS;
        for entry in &entries {
            previous = entry.chained_hash(&previous, Some(&self.key));
            tx.execute(
                "UPDATE audit SET hash = ?2 WHERE seq = ?1",
                params![entry.seq, hex::encode(previous)],
            )?;
        }
        let event = Event {
            user: "broker".into(),
            role: "system".into(),
            action: "key_audit_trail".into(),
            outcome: "ok".into(),
            target: Some(format!("entries 1 to {} (plain head {plain_head})", entries.len())),
            ..Event::default()
        };
        let head = self.append(&tx, &crate::store::now().1, &event)?;
        tx.commit()?;
        self.anchor(&head)
    }

    /// Appends `event` at `time` inside `tx`; its head goes to [`Trail::anchor`] once `tx`
    /// is committed.
    pub fn append(&self, tx: &Transaction, time: &str, event: &Event) -> Result<Head, BrokerError> {
        let last: Option<(i64, String)> = tx
            .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (seq, previous) = match last {
            Some((seq, hash)) => {
                let previous = parse_hash(&hash).ok_or_else(|| {
                    BrokerError::FailedPrecondition(format!("audit entry {seq} has a malformed hash"))
                })?;
                (seq + 1, previous)
            }
            None => (1, GENESIS),
        };
        let entry = Entry {
            seq,
            time: time.to_string(),
            event: event.clone(),
        };
        let hash = hex::encode(entry.chained_hash(&previous, Some(&self.key)));
        tx.execute(
            "INSERT INTO audit (seq, time, user, role, action, request_id, outcome, result_hash, target, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                seq,
                time,
                event.user,
                event.role,
                event.action,
                event.request_id,
                event.outcome,
                event.result_hash,
                event.target,
                hash
            ],
        )?;
        tx.execute(
            "INSERT INTO audit_head (only_row, seq, hash) VALUES (1, ?1, ?2)
             ON CONFLICT (only_row) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            params![seq, hash],
        )?;
        Ok(Head { seq, hash })
    }

    /// Appends a committed entry's head to the heads file. Called after the commit: a head
    /// in the file is always in the database (a crash in between loses a line, which the
    /// next line covers, never the other way round).
    pub fn anchor(&self, head: &Head) -> Result<(), BrokerError> {
        let io = |e: std::io::Error| BrokerError::Io(format!("appending to {}: {e}", self.heads.display()));
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.heads).map_err(io)?;
        // One write of one whole line: appends from two processes never interleave.
        file.write_all(format!("{} {}\n", head.seq, head.hash).as_bytes())
            .map_err(io)
    }

    /// The trail's entry for the release of `request_id` (its result hash, and the hash of
    /// the report released with it as its target), read only if it verifies under the key:
    /// a released output edited in the database, with its stored hash and the entry's plain
    /// fields edited to match, does not pass for released.
    pub fn release_of(&self, conn: &Connection, request_id: i64) -> Result<Event, BrokerError> {
        let found: Option<(Entry, String, Option<String>)> = conn
            .query_row(
                &format!(
                    "SELECT {}, a.hash, (SELECT p.hash FROM audit p WHERE p.seq = a.seq - 1) FROM audit a
                     WHERE request_id = ?1 AND action = 'release' AND outcome = 'ok' ORDER BY seq DESC LIMIT 1",
                    super::ENTRY_COLUMNS
                ),
                params![request_id],
                |r| Ok((entry_from_row(r)?, r.get(9)?, r.get(10)?)),
            )
            .optional()?;
        let tampered = || {
            BrokerError::FailedPrecondition(format!(
                "the audit trail does not hold a verifiable release of request {request_id}; nothing is sent"
            ))
        };
        let (entry, stored, previous) = found.ok_or_else(tampered)?;
        let previous = match previous {
            Some(hash) => parse_hash(&hash).ok_or_else(tampered)?,
            None if entry.seq == 1 => GENESIS,
            None => return Err(tampered()),
        };
        if parse_hash(&stored) != Some(entry.chained_hash(&previous, Some(&self.key))) {
            return Err(tampered());
        }
        if entry.event.result_hash.is_none() {
            return Err(tampered());
        }
        Ok(entry.event)
    }
}
