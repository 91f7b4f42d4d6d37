//! Requests: submitted, checked, reviewed, released; listed by membership or by state.

use super::{Store, begin, commit, event, now};
use crate::auth::Caller;
use crate::error::BrokerError;
use rusqlite::{OptionalExtension, Row, params};

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
    /// For the steward: the earlier cells each cell hidden with the rule `history` conflicts
    /// with. Not part of what is released (nor of its hashes).
    pub history_conflicts: Vec<crate::conflicts::Conflict>,
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

/// The hash by which an output is named in the audit trail and in an approval: BLAKE3 of
/// its Arrow IPC bytes, hex.
pub fn output_hash(arrow: &[u8]) -> String {
    blake3::hash(arrow).to_hex().to_string()
}

/// How a release's audit entry names the report released with the output: its BLAKE3, so
/// that a report edited in the database (a rule or a minimum changed) is not sent either.
pub fn report_target(report_json: &str) -> String {
    format!("report:{}", blake3::hash(report_json.as_bytes()).to_hex())
}

/// A steward's step on a request.
pub enum Decision<'a> {
    /// Names the output the steward reviewed (its [`output_hash`]): if the output changed
    /// since (a re-check at release sent it back to review), the approval is refused.
    Approve {
        seen: &'a str,
    },
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
            Decision::Approve { .. } => Step::Approve,
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
        /// Only the projects this steward is assigned to, if given.
        assigned_to: Option<&'a str>,
    },
}

impl<'a> RequestFilter<'a> {
    /// What waits for `steward`: CHECKED (to review) and APPROVED (to release), in the
    /// projects assigned to them.
    pub fn pending(steward: &'a str, project: Option<&'a str>, submitted_before: Option<&'a str>) -> RequestFilter<'a> {
        RequestFilter::InStates {
            states: &[State::Checked, State::Approved],
            project,
            submitted_before,
            assigned_to: Some(steward),
        }
    }
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

impl Store {
    /// Records a new request, state submitted; returns its id.
    pub fn submit(&mut self, caller: &Caller, new: &NewRequest) -> Result<i64, BrokerError> {
        let tx = begin(&mut self.conn)?;
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
        let target = format!("sql:{}", blake3::hash(new.sql.as_bytes()).to_hex());
        commit(&self.trail, tx, &event(caller, "submit", Some(id), "ok").on(target))?;
        Ok(id)
    }

    /// Stores disclosure control's verdict on a submitted request.
    pub fn finish_check(&mut self, caller: &Caller, id: i64, outcome: &CheckOutcome) -> Result<(), BrokerError> {
        let tx = begin(&mut self.conn)?;
        let mut entry = event(caller, "check", Some(id), "");
        if let CheckOutcome::Checked(o) = outcome {
            entry.target = Some(format!("output:{}", output_hash(&o.arrow)));
        }
        let (changed, verdict) = match outcome {
            CheckOutcome::Checked(o) => (
                tx.execute(
                    "UPDATE requests SET state = ?2, output_arrow = ?3, output_table = ?4, report_json = ?5,
                     history_conflicts = ?7 WHERE id = ?1 AND state = ?6",
                    params![
                        id,
                        State::Checked.as_str(),
                        o.arrow,
                        o.table,
                        o.report_json,
                        State::Submitted.as_str(),
                        crate::conflicts::to_json(&o.history_conflicts)
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
        entry.outcome = verdict.as_str().to_string();
        commit(&self.trail, tx, &entry)?;
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
        type Stored = (Vec<u8>, String, String, Option<String>);
        let stored: Option<Option<Stored>> = self
            .conn
            .query_row(
                "SELECT output_arrow, output_table, report_json, history_conflicts FROM requests WHERE id = ?1",
                params![id],
                |r| {
                    let arrow: Option<Vec<u8>> = r.get(0)?;
                    let table: Option<String> = r.get(1)?;
                    let report_json: Option<String> = r.get(2)?;
                    let conflicts: Option<String> = r.get(3)?;
                    Ok(arrow
                        .zip(table)
                        .zip(report_json)
                        .map(|((arrow, table), report_json)| (arrow, table, report_json, conflicts)))
                },
            )
            .optional()?;
        let (arrow, table, report_json, conflicts) = stored
            .ok_or_else(|| BrokerError::NotFound(format!("request {id}")))?
            .ok_or_else(|| BrokerError::FailedPrecondition(format!("request {id} has no checked output")))?;
        Ok(StoredOutput {
            arrow,
            table,
            report_json,
            history_conflicts: crate::conflicts::from_json(conflicts.as_deref())?,
        })
    }

    /// Every request matching `filter`, oldest first, read page by page.
    pub fn all_requests(&self, filter: &RequestFilter) -> Result<Vec<RequestRecord>, BrokerError> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let (page, more) = self.requests(filter, Page::new(Page::MAX, after))?;
            after = page.last().map_or(0, |r| r.id.unsigned_abs());
            all.extend(page);
            if !more {
                return Ok(all);
            }
        }
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
                assigned_to,
            } => {
                // The states are this module's own names, never caller text.
                let names: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
                let mut statement = self.conn.prepare(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM requests WHERE state IN ({})
                       AND (?1 IS NULL OR project_id = ?1) AND (?2 IS NULL OR submitted_at < ?2)
                       AND (?5 IS NULL OR project_id IN (SELECT project_id FROM assignments WHERE user_id = ?5))
                       AND id > ?3 ORDER BY id LIMIT ?4",
                    names.join(", ")
                ))?;
                let bound = params![project, submitted_before, page.after_id, limit, assigned_to];
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
        let tx = begin(&mut self.conn)?;
        let current = tx
            .query_row(
                &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"),
                params![id],
                request_from_row,
            )
            .optional()?
            .ok_or_else(|| BrokerError::NotFound(format!("request {id}")))?;
        if !super::people::is_assigned(&tx, &caller.user, &current.project_id)? {
            return Err(BrokerError::NotFound(format!("request {id}")));
        }
        decision.step().allowed(&current, caller)?;
        let mut entry = event(caller, decision.step().action(), Some(id), "ok");
        match decision {
            Decision::Approve { seen } => {
                let under_review: Option<Vec<u8>> =
                    tx.query_row("SELECT output_arrow FROM requests WHERE id = ?1", params![id], |r| {
                        r.get(0)
                    })?;
                if under_review.map(|arrow| output_hash(&arrow)).as_deref() != Some(*seen) {
                    return Err(BrokerError::FailedPrecondition(format!(
                        "request {id}: the output under review is not the one this approval names \
                         (it changed since, or another was seen); review it again"
                    )));
                }
                entry.target = Some(format!("output:{seen}"));
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
                let hash = output_hash(&output.arrow);
                tx.execute(
                    "UPDATE requests SET state = ?2, releaser = ?3, output_arrow = ?4, output_table = ?5,
                     report_json = ?6, result_hash = ?7, history_conflicts = ?8 WHERE id = ?1",
                    params![
                        id,
                        State::Released.as_str(),
                        caller.user,
                        output.arrow,
                        output.table,
                        output.report_json,
                        hash,
                        crate::conflicts::to_json(&output.history_conflicts)
                    ],
                )?;
                entry.result_hash = Some(hash);
                entry.target = Some(report_target(&output.report_json));
            }
            Decision::ReviewAgain(output) => {
                tx.execute(
                    "UPDATE requests SET state = ?2, reviewer = NULL, output_arrow = ?3, output_table = ?4,
                     report_json = ?5, history_conflicts = ?6 WHERE id = ?1",
                    params![
                        id,
                        State::Checked.as_str(),
                        output.arrow,
                        output.table,
                        output.report_json,
                        crate::conflicts::to_json(&output.history_conflicts)
                    ],
                )?;
                entry.outcome = "changed_at_release".to_string();
                entry.target = Some(format!("output:{}", output_hash(&output.arrow)));
            }
            Decision::RefuseAtRelease { reason } => {
                tx.execute(
                    "UPDATE requests SET state = ?2, refusal = ?3 WHERE id = ?1",
                    params![id, State::Refused.as_str(), reason],
                )?;
                entry.outcome = State::Refused.as_str().to_string();
            }
        }
        let updated = tx.query_row(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"),
            params![id],
            request_from_row,
        )?;
        commit(&self.trail, tx, &entry)?;
        Ok(updated)
    }
}
