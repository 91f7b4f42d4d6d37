//! The broker's state in one SQLite file, `<data>/broker.sqlite` (WAL mode). Every state
//! change and the audit entry that records it are written in one transaction: either both
//! are there after a crash or neither is.

use crate::audit::{self, Event};
use crate::auth::{Caller, Role};
use crate::datasets::Dataset;
use crate::error::BrokerError;
use chrono::NaiveDate;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior, params};
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
    result_hash TEXT                 -- BLAKE3 of the released Arrow IPC bytes
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

/// Where a request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Submitted,
    Checked,
    Refused,
    Approved,
    Rejected,
    Released,
}

impl State {
    const ALL: [State; 6] = [
        State::Submitted,
        State::Checked,
        State::Refused,
        State::Approved,
        State::Rejected,
        State::Released,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Checked => "checked",
            State::Refused => "refused",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Released => "released",
        }
    }

    fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A research project as the admin approved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub title: String,
    pub purpose: String,
    pub datasets: Vec<Dataset>,
    pub approval_start: NaiveDate,
    pub approval_end: NaiveDate,
}

impl Project {
    /// FailedPrecondition outside the approval period: no query runs, and nothing is
    /// released, for a project whose approval has not begun or has ended.
    pub fn check_approved_on(&self, day: NaiveDate) -> Result<(), BrokerError> {
        if day < self.approval_start || day > self.approval_end {
            return Err(BrokerError::FailedPrecondition(format!(
                "project {} is approved from {} to {}; today is {day}",
                self.id, self.approval_start, self.approval_end
            )));
        }
        Ok(())
    }
}

/// One request, without its output.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    pub id: i64,
    pub project_id: String,
    pub requester: String,
    pub title: String,
    pub purpose: String,
    pub sql: String,
    pub state: State,
    pub submitted_at: String,
    pub refusal: Option<String>,
    pub reviewer: Option<String>,
    pub rejection_reason: Option<String>,
    pub releaser: Option<String>,
    pub result_hash: Option<String>,
}

/// A checked output as stored.
#[derive(Clone, Debug)]
pub struct StoredOutput {
    /// Arrow IPC stream; hidden cells are null.
    pub arrow: Vec<u8>,
    /// Aligned text table; hidden cells `*`.
    pub table: String,
    pub report_json: String,
}

/// A signed-in steward console browser, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSession {
    /// BLAKE3 (hex) of the secret in the browser's cookie.
    pub hash: String,
    /// BLAKE3 (hex) of the bearer token the steward signed in with.
    pub token_hash: String,
    /// The form token; not a secret from the browser, only from other sites.
    pub csrf: String,
    pub expires_at: i64,
}

/// What a new request holds.
pub struct NewRequest<'a> {
    pub project_id: &'a str,
    pub title: &'a str,
    pub purpose: &'a str,
    pub sql: &'a str,
}

/// What disclosure control said at submission.
pub enum CheckOutcome {
    Checked(StoredOutput),
    Refused(String),
}

/// A steward's step on a request.
pub enum Decision<'a> {
    Approve,
    Reject {
        reason: &'a str,
    },
    /// The re-run at release passed; this is what leaves, and its counts' persons go to the
    /// project's ledger.
    Release(&'a StoredOutput, &'a [renkei_engine::ReleasedCell]),
    /// The re-check at release refused; nothing leaves.
    RefuseAtRelease {
        reason: &'a str,
    },
    /// The re-run at release gave other cells than the approved output (the policy changed):
    /// nothing leaves; the request is checked again with this output, for a new review.
    ReviewAgain(&'a StoredOutput),
}

/// The kinds of steward step, each with the states it starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Approve,
    Reject,
    Release,
}

impl Step {
    fn action(self) -> &'static str {
        match self {
            Step::Approve => "approve",
            Step::Reject => "reject",
            Step::Release => "release",
        }
    }

    /// The states the request may be in for this step.
    fn from(self) -> &'static [State] {
        match self {
            Step::Approve => &[State::Checked],
            Step::Reject => &[State::Checked, State::Approved],
            Step::Release => &[State::Approved],
        }
    }

    /// Whether `caller` may take this step on `current`: never on their own request, and only
    /// from the states the step starts from.
    pub fn allowed(self, current: &RequestRecord, caller: &Caller) -> Result<(), BrokerError> {
        let id = current.id;
        if current.requester == caller.user {
            return Err(BrokerError::PermissionDenied(format!(
                "{} submitted request {id} and cannot {} it",
                caller.user,
                self.action()
            )));
        }
        if !self.from().contains(&current.state) {
            let allowed: Vec<&str> = self.from().iter().map(|s| s.as_str()).collect();
            return Err(BrokerError::FailedPrecondition(format!(
                "request {id} is {}; to {} it, it must be {}",
                current.state.as_str(),
                self.action(),
                allowed.join(" or ")
            )));
        }
        Ok(())
    }
}

impl Decision<'_> {
    fn step(&self) -> Step {
        match self {
            Decision::Approve => Step::Approve,
            Decision::Reject { .. } => Step::Reject,
            Decision::Release(..) | Decision::RefuseAtRelease { .. } | Decision::ReviewAgain(_) => Step::Release,
        }
    }
}

/// One page of a listing: requests with an id above `after_id`, at most `size` of them.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub after_id: i64,
    pub size: u32,
}

impl Page {
    /// Without a size, this many; never more than MAX, so an answer stays far below
    /// gRPC's default 4 MiB message limit.
    pub const DEFAULT: u32 = 100;
    pub const MAX: u32 = 1000;

    pub fn new(size: u32, after_id: u64) -> Page {
        let size = if size == 0 { Page::DEFAULT } else { size.min(Page::MAX) };
        Page {
            after_id: i64::try_from(after_id).unwrap_or(i64::MAX),
            size,
        }
    }
}

/// Which requests to list.
pub enum RequestFilter<'a> {
    /// The requests of the projects `user` is a member of (of `project` only, if given).
    MemberOf { user: &'a str, project: Option<&'a str> },
    /// Requests in any of these states (of `project` only, and submitted before a time, if
    /// given: RFC 3339 UTC, as `submitted_at` is written, so text order is time order).
    InStates {
        states: &'a [State],
        project: Option<&'a str>,
        submitted_before: Option<&'a str>,
    },
}

impl<'a> RequestFilter<'a> {
    /// What waits for a steward: CHECKED (to review) and APPROVED (to release).
    pub fn pending(project: Option<&'a str>, submitted_before: Option<&'a str>) -> RequestFilter<'a> {
        RequestFilter::InStates {
            states: &[State::Checked, State::Approved],
            project,
            submitted_before,
        }
    }
}

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
}

const REQUEST_COLUMNS: &str = "id, project_id, requester, title, purpose, sql, state, submitted_at, refusal, \
                               reviewer, rejection_reason, releaser, result_hash";

fn request_from_row(row: &Row) -> rusqlite::Result<RequestRecord> {
    let state: String = row.get(6)?;
    Ok(RequestRecord {
        id: row.get(0)?,
        project_id: row.get(1)?,
        requester: row.get(2)?,
        title: row.get(3)?,
        purpose: row.get(4)?,
        sql: row.get(5)?,
        // The CHECK-free column is written only by this module, from State::as_str.
        state: State::parse(&state).ok_or_else(|| rusqlite::Error::InvalidColumnName(format!("state {state}")))?,
        submitted_at: row.get(7)?,
        refusal: row.get(8)?,
        reviewer: row.get(9)?,
        rejection_reason: row.get(10)?,
        releaser: row.get(11)?,
        result_hash: row.get(12)?,
    })
}

fn event(caller: &Caller, action: &str, request_id: Option<i64>, outcome: &str) -> Event {
    Event {
        user: caller.user.clone(),
        role: caller.role.as_str().to_string(),
        action: action.to_string(),
        request_id,
        outcome: outcome.to_string(),
        result_hash: None,
    }
}

/// A uniqueness violation as AlreadyExists, anything else as it is.
fn unique(what: String) -> impl FnOnce(rusqlite::Error) -> BrokerError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => BrokerError::AlreadyExists(what),
        _ => BrokerError::Database(e),
    }
}

/// A state database made before the analyst role has a `users` table whose CHECK does not
/// allow it. SQLite cannot change a CHECK in place: the table is rebuilt in one transaction
/// (with foreign keys off, as SQLite documents, so the tables that refer to it keep their rows).
fn allow_analysts(conn: &Connection) -> Result<(), BrokerError> {
    let users: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if users.is_none_or(|sql| sql.contains("'analyst'")) {
        return Ok(());
    }
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE users_with_analysts (
             id TEXT PRIMARY KEY,
             role TEXT NOT NULL CHECK (role IN ('researcher', 'steward', 'admin', 'analyst'))
         );
         INSERT INTO users_with_analysts (id, role) SELECT id, role FROM users;
         DROP TABLE users;
         ALTER TABLE users_with_analysts RENAME TO users;
         COMMIT;",
    )?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the state database under `data`.
    pub fn open(data: &Path) -> Result<Store, BrokerError> {
        std::fs::create_dir_all(data).map_err(|e| BrokerError::Io(format!("creating {}: {e}", data.display())))?;
        let conn = Connection::open(data.join(DATABASE_FILE))?;
        // WAL: readers do not block the writer; FULL: a committed transaction survives a
        // power cut, not only a process crash.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        allow_analysts(&conn)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(audit::SCHEMA)?;
        conn.execute_batch(crate::ledger::SCHEMA)?;
        Ok(Store { conn })
    }

    /// The connection, for reading the audit trail.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn begin(&mut self) -> Result<Transaction<'_>, BrokerError> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Writes the counts an output released, with their persons, to its project's ledger.
    pub fn append_to_ledger(
        &mut self,
        project: &str,
        output: &str,
        released: &[renkei_engine::ReleasedCell],
    ) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        crate::ledger::append(&tx, project, output, released)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a call that changed nothing (a read, or a denied call) in its own transaction.
    pub fn record(&mut self, event: &Event) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        audit::append(&tx, &now().1, event)?;
        tx.commit()?;
        Ok(())
    }

    /// The user behind a token hash, if the token is known, unexpired and not revoked.
    pub fn authenticate(&self, token_hash: &str) -> Result<Caller, BrokerError> {
        let found: Option<(String, String, i64, bool)> = self
            .conn
            .query_row(
                "SELECT u.id, u.role, t.expires_at, t.revoked FROM tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.hash = ?1",
                params![token_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (user, role, expires_at, revoked) = found.ok_or(BrokerError::Unauthenticated("unknown token"))?;
        if revoked {
            return Err(BrokerError::Unauthenticated("token revoked"));
        }
        if now().0 >= expires_at {
            return Err(BrokerError::Unauthenticated("token expired"));
        }
        let role = Role::parse(&role).ok_or(BrokerError::Unauthenticated("the token's user has no valid role"))?;
        Ok(Caller { user, role })
    }

    /// Signs a steward's browser in: keeps the session's hash, the hash of the token it was
    /// opened with and its form token, and records the sign-in. The session whose hash is
    /// `replaced` (the browser's previous one) ends.
    pub fn open_console_session(
        &mut self,
        caller: &Caller,
        session: &ConsoleSession,
        replaced: Option<&str>,
    ) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        // Sessions past their time are of no use to anyone; they go as new ones come.
        tx.execute(
            "DELETE FROM console_sessions WHERE expires_at <= ?1 OR hash = ?2",
            params![now().0, replaced],
        )?;
        tx.execute(
            "INSERT INTO console_sessions (hash, token_hash, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![session.hash, session.token_hash, session.csrf, session.expires_at],
        )?;
        audit::append(&tx, &now().1, &event(caller, "console_sign_in", None, "ok"))?;
        tx.commit()?;
        Ok(())
    }

    /// The unexpired console session whose secret hashes to `hash`.
    pub fn console_session(&self, hash: &str) -> Result<Option<ConsoleSession>, BrokerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT hash, token_hash, csrf, expires_at FROM console_sessions WHERE hash = ?1 AND expires_at > ?2",
                params![hash, now().0],
                |r| {
                    Ok(ConsoleSession {
                        hash: r.get(0)?,
                        token_hash: r.get(1)?,
                        csrf: r.get(2)?,
                        expires_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Signs a browser out: its session is gone, whatever its cookie still says.
    pub fn close_console_session(&mut self, caller: &Caller, hash: &str) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        tx.execute("DELETE FROM console_sessions WHERE hash = ?1", params![hash])?;
        audit::append(&tx, &now().1, &event(caller, "console_sign_out", None, "ok"))?;
        tx.commit()?;
        Ok(())
    }

    /// A user as the caller of work the broker does on their behalf.
    pub fn caller(&self, user: &str) -> Result<Caller, BrokerError> {
        let role: String = self
            .conn
            .query_row("SELECT role FROM users WHERE id = ?1", params![user], |r| r.get(0))
            .optional()?
            .ok_or_else(|| BrokerError::NotFound(format!("user {user}")))?;
        let role = Role::parse(&role)
            .ok_or_else(|| BrokerError::FailedPrecondition(format!("user {user} has no valid role")))?;
        Ok(Caller {
            user: user.to_string(),
            role,
        })
    }

    /// On a database without users: the first admin and a token for it.
    pub fn bootstrap(&mut self, admin: &str, token_hash: &str, expires_at: i64) -> Result<i64, BrokerError> {
        let tx = self.begin()?;
        let users: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        if users > 0 {
            return Err(BrokerError::FailedPrecondition(
                "the data directory already has users; bootstrap is only for an empty one".into(),
            ));
        }
        tx.execute("INSERT INTO users (id, role) VALUES (?1, 'admin')", params![admin])?;
        tx.execute(
            "INSERT INTO tokens (user_id, hash, expires_at) VALUES (?1, ?2, ?3)",
            params![admin, token_hash, expires_at],
        )?;
        let token_id = tx.last_insert_rowid();
        let caller = Caller {
            user: admin.to_string(),
            role: Role::Admin,
        };
        audit::append(&tx, &now().1, &event(&caller, "bootstrap", None, "ok"))?;
        tx.commit()?;
        Ok(token_id)
    }

    pub fn create_project(&mut self, caller: &Caller, p: &Project) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        let datasets: Vec<&str> = p.datasets.iter().map(|d| d.as_str()).collect();
        tx.execute(
            "INSERT INTO projects (id, title, purpose, datasets, approval_start, approval_end)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                p.id,
                p.title,
                p.purpose,
                datasets.join(","),
                p.approval_start.to_string(),
                p.approval_end.to_string()
            ],
        )
        .map_err(unique(format!("project {}", p.id)))?;
        audit::append(&tx, &now().1, &event(caller, "create_project", None, "ok"))?;
        tx.commit()?;
        Ok(())
    }

    pub fn project(&self, id: &str) -> Result<Project, BrokerError> {
        let row: Option<(String, String, String, String, String, String)> = self
            .conn
            .query_row(
                "SELECT id, title, purpose, datasets, approval_start, approval_end FROM projects WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        let (id, title, purpose, datasets, start, end) =
            row.ok_or_else(|| BrokerError::NotFound(format!("project {id}")))?;
        let corrupt = |what: &str| BrokerError::FailedPrecondition(format!("project {id}: stored {what} is malformed"));
        Ok(Project {
            datasets: datasets
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| Dataset::parse(s).ok_or_else(|| corrupt("dataset")))
                .collect::<Result<_, _>>()?,
            approval_start: start.parse().map_err(|_| corrupt("approval start"))?,
            approval_end: end.parse().map_err(|_| corrupt("approval end"))?,
            id,
            title,
            purpose,
        })
    }

    pub fn create_user(
        &mut self,
        caller: &Caller,
        user: &str,
        role: Role,
        projects: &[String],
    ) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        tx.execute(
            "INSERT INTO users (id, role) VALUES (?1, ?2)",
            params![user, role.as_str()],
        )
        .map_err(unique(format!("user {user}")))?;
        for project in projects {
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM projects WHERE id = ?1", params![project], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(BrokerError::NotFound(format!("project {project}")));
            }
            tx.execute(
                "INSERT OR IGNORE INTO memberships (user_id, project_id) VALUES (?1, ?2)",
                params![user, project],
            )?;
        }
        audit::append(&tx, &now().1, &event(caller, "create_user", None, "ok"))?;
        tx.commit()?;
        Ok(())
    }

    pub fn issue_token(
        &mut self,
        caller: &Caller,
        user: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<i64, BrokerError> {
        let tx = self.begin()?;
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM users WHERE id = ?1", params![user], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Err(BrokerError::NotFound(format!("user {user}")));
        }
        tx.execute(
            "INSERT INTO tokens (user_id, hash, expires_at) VALUES (?1, ?2, ?3)",
            params![user, token_hash, expires_at],
        )?;
        let token_id = tx.last_insert_rowid();
        audit::append(&tx, &now().1, &event(caller, "issue_token", None, "ok"))?;
        tx.commit()?;
        Ok(token_id)
    }

    pub fn revoke_token(&mut self, caller: &Caller, token_id: i64) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        let changed = tx.execute("UPDATE tokens SET revoked = 1 WHERE id = ?1", params![token_id])?;
        if changed == 0 {
            return Err(BrokerError::NotFound(format!("token {token_id}")));
        }
        audit::append(&tx, &now().1, &event(caller, "revoke_token", None, "ok"))?;
        tx.commit()?;
        Ok(())
    }

    /// The ids of the projects `user` is a member of.
    pub fn projects_of(&self, user: &str) -> Result<Vec<String>, BrokerError> {
        let mut statement = self
            .conn
            .prepare("SELECT project_id FROM memberships WHERE user_id = ?1 ORDER BY project_id")?;
        let ids = statement
            .query_map(params![user], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    pub fn is_member(&self, user: &str, project: &str) -> Result<bool, BrokerError> {
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM memberships WHERE user_id = ?1 AND project_id = ?2",
                params![user, project],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Records a new request, state submitted; returns its id.
    pub fn submit(&mut self, caller: &Caller, new: &NewRequest) -> Result<i64, BrokerError> {
        let tx = self.begin()?;
        tx.execute(
            "INSERT INTO requests (project_id, requester, title, purpose, sql, state, submitted_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                new.project_id,
                caller.user,
                new.title,
                new.purpose,
                new.sql,
                State::Submitted.as_str(),
                now().1
            ],
        )?;
        let id = tx.last_insert_rowid();
        audit::append(&tx, &now().1, &event(caller, "submit", Some(id), "ok"))?;
        tx.commit()?;
        Ok(id)
    }

    /// Stores disclosure control's verdict on a submitted request.
    pub fn finish_check(&mut self, caller: &Caller, id: i64, outcome: &CheckOutcome) -> Result<(), BrokerError> {
        let tx = self.begin()?;
        let (changed, verdict) = match outcome {
            CheckOutcome::Checked(o) => (
                tx.execute(
                    "UPDATE requests SET state = ?2, output_arrow = ?3, output_table = ?4, report_json = ?5
                     WHERE id = ?1 AND state = ?6",
                    params![
                        id,
                        State::Checked.as_str(),
                        o.arrow,
                        o.table,
                        o.report_json,
                        State::Submitted.as_str()
                    ],
                )?,
                State::Checked,
            ),
            CheckOutcome::Refused(reason) => (
                tx.execute(
                    "UPDATE requests SET state = ?2, refusal = ?3 WHERE id = ?1 AND state = ?4",
                    params![id, State::Refused.as_str(), reason, State::Submitted.as_str()],
                )?,
                State::Refused,
            ),
        };
        if changed == 0 {
            return Err(BrokerError::FailedPrecondition(format!(
                "request {id} is no longer submitted"
            )));
        }
        audit::append(&tx, &now().1, &event(caller, "check", Some(id), verdict.as_str()))?;
        tx.commit()?;
        Ok(())
    }

    pub fn request(&self, id: i64) -> Result<RequestRecord, BrokerError> {
        self.conn
            .query_row(
                &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"),
                params![id],
                request_from_row,
            )
            .optional()?
            .ok_or_else(|| BrokerError::NotFound(format!("request {id}")))
    }

    /// The stored (checked, or after release the released) output of a request.
    pub fn output(&self, id: i64) -> Result<StoredOutput, BrokerError> {
        // A row without an output (submitted, refused) reads as None.
        let stored: Option<Option<StoredOutput>> = self
            .conn
            .query_row(
                "SELECT output_arrow, output_table, report_json FROM requests WHERE id = ?1",
                params![id],
                |r| {
                    let arrow: Option<Vec<u8>> = r.get(0)?;
                    let table: Option<String> = r.get(1)?;
                    let report_json: Option<String> = r.get(2)?;
                    Ok(arrow
                        .zip(table)
                        .zip(report_json)
                        .map(|((arrow, table), report_json)| StoredOutput {
                            arrow,
                            table,
                            report_json,
                        }))
                },
            )
            .optional()?;
        stored
            .ok_or_else(|| BrokerError::NotFound(format!("request {id}")))?
            .ok_or_else(|| BrokerError::FailedPrecondition(format!("request {id} has no checked output")))
    }

    /// One page of the requests matching `filter`, oldest first, and whether more follow.
    pub fn requests(&self, filter: &RequestFilter, page: Page) -> Result<(Vec<RequestRecord>, bool), BrokerError> {
        // One more than the page, to tell whether another page follows.
        let limit = i64::from(page.size) + 1;
        let mut out = Vec::new();
        match filter {
            RequestFilter::MemberOf { user, project } => {
                let mut statement = self.conn.prepare(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM requests
                     WHERE project_id IN (SELECT project_id FROM memberships WHERE user_id = ?1)
                       AND (?2 IS NULL OR project_id = ?2) AND id > ?3
                     ORDER BY id LIMIT ?4"
                ))?;
                for r in statement.query_map(params![user, project, page.after_id, limit], request_from_row)? {
                    out.push(r?);
                }
            }
            RequestFilter::InStates {
                states,
                project,
                submitted_before,
            } => {
                // The states are this module's own names, never caller text.
                let names: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
                let mut statement = self.conn.prepare(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM requests WHERE state IN ({})
                       AND (?1 IS NULL OR project_id = ?1) AND (?2 IS NULL OR submitted_at < ?2)
                       AND id > ?3 ORDER BY id LIMIT ?4",
                    names.join(", ")
                ))?;
                let bound = params![project, submitted_before, page.after_id, limit];
                for r in statement.query_map(bound, request_from_row)? {
                    out.push(r?);
                }
            }
        }
        let more = out.len() > page.size as usize;
        out.truncate(page.size as usize);
        Ok((out, more))
    }

    /// A steward's step: checked in the same transaction as it is written, so two stewards
    /// racing on one request cannot both succeed.
    pub fn decide(&mut self, caller: &Caller, id: i64, decision: &Decision) -> Result<RequestRecord, BrokerError> {
        let tx = self.begin()?;
        let current = tx
            .query_row(
                &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"),
                params![id],
                request_from_row,
            )
            .optional()?
            .ok_or_else(|| BrokerError::NotFound(format!("request {id}")))?;
        decision.step().allowed(&current, caller)?;
        let mut entry = event(caller, decision.step().action(), Some(id), "ok");
        match decision {
            Decision::Approve => {
                tx.execute(
                    "UPDATE requests SET state = ?2, reviewer = ?3 WHERE id = ?1",
                    params![id, State::Approved.as_str(), caller.user],
                )?;
            }
            Decision::Reject { reason } => {
                tx.execute(
                    "UPDATE requests SET state = ?2, reviewer = ?3, rejection_reason = ?4 WHERE id = ?1",
                    params![id, State::Rejected.as_str(), caller.user, reason],
                )?;
            }
            Decision::Release(output, released) => {
                crate::ledger::append(&tx, &current.project_id, &format!("request:{id}"), released)?;
                let hash = blake3::hash(&output.arrow).to_hex().to_string();
                tx.execute(
                    "UPDATE requests SET state = ?2, releaser = ?3, output_arrow = ?4, output_table = ?5,
                     report_json = ?6, result_hash = ?7 WHERE id = ?1",
                    params![
                        id,
                        State::Released.as_str(),
                        caller.user,
                        output.arrow,
                        output.table,
                        output.report_json,
                        hash
                    ],
                )?;
                entry.result_hash = Some(hash);
            }
            Decision::ReviewAgain(output) => {
                tx.execute(
                    "UPDATE requests SET state = ?2, reviewer = NULL, output_arrow = ?3, output_table = ?4,
                     report_json = ?5 WHERE id = ?1",
                    params![
                        id,
                        State::Checked.as_str(),
                        output.arrow,
                        output.table,
                        output.report_json
                    ],
                )?;
                entry.outcome = "changed_at_release".to_string();
            }
            Decision::RefuseAtRelease { reason } => {
                tx.execute(
                    "UPDATE requests SET state = ?2, refusal = ?3 WHERE id = ?1",
                    params![id, State::Refused.as_str(), reason],
                )?;
                entry.outcome = State::Refused.as_str().to_string();
            }
        }
        audit::append(&tx, &now().1, &entry)?;
        let updated = tx.query_row(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"),
            params![id],
            request_from_row,
        )?;
        tx.commit()?;
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A data directory from before the analyst role opens, keeps its users, memberships and
    /// tokens, and takes analysts.
    #[test]
    fn a_database_from_before_analysts_takes_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let old = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
            old.execute_batch(&SCHEMA.replace(", 'analyst'", ""))
                .expect("the old schema");
            old.execute_batch(
                "INSERT INTO projects VALUES ('p', 't', 'p', 'NDB', '2000-01-01', '2999-12-31');
                 INSERT INTO users VALUES ('sato', 'researcher');
                 INSERT INTO memberships VALUES ('sato', 'p');
                 INSERT INTO tokens (user_id, hash, expires_at) VALUES ('sato', 'h', 1);",
            )
            .expect("old rows");
            assert!(old.execute("INSERT INTO users VALUES ('ito', 'analyst')", []).is_err());
        }
        let mut store = Store::open(dir.path()).expect("opens");
        let admin = Caller {
            user: "root".into(),
            role: Role::Admin,
        };
        store
            .create_user(&admin, "ito", Role::Analyst, &["p".to_string()])
            .expect("an analyst");
        assert_eq!(store.caller("ito").expect("ito").role, Role::Analyst);
        assert!(store.is_member("sato", "p").expect("reads"));
        let tokens: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM tokens WHERE user_id = 'sato'", [], |r| r.get(0))
            .expect("counts");
        assert_eq!(tokens, 1);
        let violations: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
            .expect("checks");
        assert_eq!(violations, 0);
    }
}
