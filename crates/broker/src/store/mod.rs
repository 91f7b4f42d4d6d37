//! The broker's state in one SQLite file, `<data>/broker.sqlite` (WAL mode). Every state
//! change and the audit entry that records it are written in one transaction: either both
//! are there after a crash or neither is.

mod access;
mod console;
mod migrate;
mod people;
mod requests;

pub use console::ConsoleSession;
pub use people::Project;
pub use requests::{
    CheckOutcome, Decision, NewRequest, Page, RequestFilter, RequestRecord, State, Step, StoredOutput, output_hash,
    report_target,
};

use crate::audit::{self, Event, Trail};
use crate::auth::Caller;
use crate::error::BrokerError;
use chrono::NaiveDate;
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};
use std::path::Path;

/// The file under the data directory.
pub const DATABASE_FILE: &str = "broker.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    purpose TEXT NOT NULL,
    datasets TEXT NOT NULL,          -- comma-separated: NDB,KAIGO,DPC
    approval_start TEXT NOT NULL,    -- YYYY-MM-DD, inclusive
    approval_end TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('researcher', 'steward', 'admin', 'analyst'))
);
CREATE TABLE IF NOT EXISTS memberships (
    user_id TEXT NOT NULL REFERENCES users(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    PRIMARY KEY (user_id, project_id)
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    hash TEXT NOT NULL UNIQUE,       -- BLAKE3 of the token; the token itself is never stored
    expires_at INTEGER NOT NULL,     -- unix seconds
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    requester TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    purpose TEXT NOT NULL,
    sql TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    refusal TEXT,
    output_arrow BLOB,               -- the checked (after release: the released) output, Arrow IPC
    output_table TEXT,
    report_json TEXT,
    reviewer TEXT,
    rejection_reason TEXT,
    releaser TEXT,
    result_hash TEXT,                -- BLAKE3 of the released Arrow IPC bytes
    history_conflicts TEXT           -- for the steward: the earlier cells each `history` cell
                                     -- conflicts with (JSON, conflicts.rs); NULL where none
);
-- Stewards' duties: a steward lists, reviews, decides on and releases the requests of the
-- projects assigned here, and no others (a membership is for submitting, not for reviewing).
CREATE TABLE IF NOT EXISTS assignments (
    user_id TEXT NOT NULL REFERENCES users(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    PRIMARY KEY (user_id, project_id)
);
-- Signed-in steward console browsers. The cookie holds the session secret; only its BLAKE3 is
-- kept, with the hash of the token the steward signed in with, so that revoking or expiring
-- that token ends the session too.
CREATE TABLE IF NOT EXISTS console_sessions (
    hash TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    csrf TEXT NOT NULL,              -- the form token every state-changing POST must carry
    expires_at INTEGER NOT NULL      -- unix seconds
);
";

/// The current time: unix seconds and RFC 3339 UTC.
pub fn now() -> (i64, String) {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    let text = chrono::DateTime::from_timestamp(secs, since_epoch.subsec_nanos())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    (secs, text)
}

/// Today's date (UTC), for approval periods.
pub fn today() -> NaiveDate {
    let (secs, _) = now();
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

pub struct Store {
    conn: Connection,
    trail: Trail,
}

pub(super) fn event(caller: &Caller, action: &str, request_id: Option<i64>, outcome: &str) -> Event {
    Event {
        user: caller.user.clone(),
        role: caller.role.as_str().to_string(),
        action: action.to_string(),
        request_id,
        outcome: outcome.to_string(),
        ..Event::default()
    }
}

/// The audit entry of a successful call that changed nothing.
pub(crate) fn read_event(caller: &Caller, action: &str, request_id: Option<i64>, result_hash: Option<String>) -> Event {
    Event {
        result_hash,
        ..event(caller, action, request_id, "ok")
    }
}

/// A write transaction: taken at once, so that two writers wait instead of failing half-way.
pub(super) fn begin(conn: &mut Connection) -> Result<Transaction<'_>, BrokerError> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// Commits the changes `tx` holds with the audit entry `event` that records them, then
/// appends the entry's head to the heads file.
pub(super) fn commit(trail: &Trail, tx: Transaction, event: &Event) -> Result<(), BrokerError> {
    let head = trail.append(&tx, &now().1, event)?;
    tx.commit()?;
    trail.anchor(&head)
}

/// A uniqueness violation as AlreadyExists, anything else as it is.
pub(super) fn unique(what: String) -> impl FnOnce(rusqlite::Error) -> BrokerError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => BrokerError::AlreadyExists(what),
        _ => BrokerError::Database(e),
    }
}

impl Store {
    /// Opens (creating if needed) the state database under `data`, its audit trail keyed
    /// by the key in `audit_key` (see [`Trail::open`]).
    pub fn open(data: &Path, audit_key: &Path) -> Result<Store, BrokerError> {
        crate::data_dir::create(data)?;
        crate::data_dir::create_private_file(&data.join(DATABASE_FILE))?;
        let mut conn = Connection::open(data.join(DATABASE_FILE))?;
        // WAL: readers do not block the writer; FULL: a committed transaction survives a
        // power cut, not only a process crash.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrate::allow_analysts(&conn)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let stewards_unassigned = migrate::before_assignments(&conn)?;
        conn.execute_batch(SCHEMA)?;
        if stewards_unassigned {
            migrate::assign_stewards_everywhere(&conn)?;
        }
        conn.execute_batch(audit::SCHEMA)?;
        migrate::add_audit_targets(&conn)?;
        migrate::add_history_conflicts(&conn)?;
        conn.execute_batch(crate::ledger::SCHEMA)?;
        let trail = Trail::open(&mut conn, audit_key, data.join(audit::HEADS_FILE))?;
        Ok(Store { conn, trail })
    }

    /// The connection, for reading the audit trail.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Writes the counts an output released, with their persons, to its project's ledger.
    pub fn append_to_ledger(
        &mut self,
        project: &str,
        output: &str,
        released: &[renkei_engine::ReleasedCell],
    ) -> Result<(), BrokerError> {
        let tx = begin(&mut self.conn)?;
        crate::ledger::append(&tx, project, output, released)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a call that changed nothing (a read, or a denied call) in its own transaction.
    pub fn record(&mut self, event: &Event) -> Result<(), BrokerError> {
        let tx = begin(&mut self.conn)?;
        commit(&self.trail, tx, event)
    }

    /// The audit trail's newest entry's number and hash, checked under the key (see
    /// [`Trail::head`]).
    pub fn audit_head(&self) -> Result<Option<(i64, String)>, BrokerError> {
        self.trail.head(&self.conn)
    }

    /// Request `id`'s release as the audit trail holds it (see [`Trail::release_of`]).
    pub fn release_of(&self, id: i64) -> Result<Event, BrokerError> {
        self.trail.release_of(&self.conn, id)
    }
}
