//! Projects, users, their memberships and tokens.

use super::{Store, begin, commit, event, now, unique};
use crate::auth::{Caller, Role};
use crate::datasets::Dataset;
use crate::error::BrokerError;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

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

/// Whether steward `user` is assigned to `project`, read in `conn` (or a transaction of it).
pub(super) fn is_assigned(conn: &rusqlite::Connection, user: &str, project: &str) -> Result<bool, BrokerError> {
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM assignments WHERE user_id = ?1 AND project_id = ?2",
            params![user, project],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// NotFound unless project `id` exists.
fn require_project(tx: &rusqlite::Transaction, id: &str) -> Result<(), BrokerError> {
    let exists: Option<i64> = tx
        .query_row("SELECT 1 FROM projects WHERE id = ?1", params![id], |r| r.get(0))
        .optional()?;
    exists
        .map(|_| ())
        .ok_or_else(|| BrokerError::NotFound(format!("project {id}")))
}

impl Store {
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
        let tx = begin(&mut self.conn)?;
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
        let target = format!("user:{admin} role:admin token:{token_id}");
        commit(&self.trail, tx, &event(&caller, "bootstrap", None, "ok").on(target))?;
        Ok(token_id)
    }

    pub fn create_project(&mut self, caller: &Caller, p: &Project) -> Result<(), BrokerError> {
        let tx = begin(&mut self.conn)?;
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
        let target = format!(
            "project:{} datasets:{} approved:{}..{}",
            p.id,
            datasets.join(","),
            p.approval_start,
            p.approval_end
        );
        commit(&self.trail, tx, &event(caller, "create_project", None, "ok").on(target))
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
        let tx = begin(&mut self.conn)?;
        tx.execute(
            "INSERT INTO users (id, role) VALUES (?1, ?2)",
            params![user, role.as_str()],
        )
        .map_err(unique(format!("user {user}")))?;
        for project in projects {
            require_project(&tx, project)?;
            tx.execute(
                "INSERT OR IGNORE INTO memberships (user_id, project_id) VALUES (?1, ?2)",
                params![user, project],
            )?;
        }
        let target = format!("user:{user} role:{} projects:{}", role.as_str(), projects.join(","));
        commit(&self.trail, tx, &event(caller, "create_user", None, "ok").on(target))
    }

    pub fn issue_token(
        &mut self,
        caller: &Caller,
        user: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<i64, BrokerError> {
        let tx = begin(&mut self.conn)?;
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
        let target = format!("token:{token_id} user:{user} expires:{expires_at}");
        commit(&self.trail, tx, &event(caller, "issue_token", None, "ok").on(target))?;
        Ok(token_id)
    }

    pub fn revoke_token(&mut self, caller: &Caller, token_id: i64) -> Result<(), BrokerError> {
        let tx = begin(&mut self.conn)?;
        let changed = tx.execute("UPDATE tokens SET revoked = 1 WHERE id = ?1", params![token_id])?;
        if changed == 0 {
            return Err(BrokerError::NotFound(format!("token {token_id}")));
        }
        commit(
            &self.trail,
            tx,
            &event(caller, "revoke_token", None, "ok").on(format!("token:{token_id}")),
        )
    }

    /// Assigns steward `user` to review the requests of `project`.
    pub fn assign(&mut self, caller: &Caller, user: &str, project: &str) -> Result<(), BrokerError> {
        let tx = begin(&mut self.conn)?;
        let role: Option<String> = tx
            .query_row("SELECT role FROM users WHERE id = ?1", params![user], |r| r.get(0))
            .optional()?;
        match role.as_deref() {
            None => return Err(BrokerError::NotFound(format!("user {user}"))),
            Some(role) if role != Role::Steward.as_str() => {
                return Err(BrokerError::InvalidArgument(format!(
                    "{user} is a {role}; only stewards are assigned projects to review"
                )));
            }
            Some(_) => {}
        }
        require_project(&tx, project)?;
        tx.execute(
            "INSERT OR IGNORE INTO assignments (user_id, project_id) VALUES (?1, ?2)",
            params![user, project],
        )?;
        let target = format!("user:{user} project:{project}");
        commit(&self.trail, tx, &event(caller, "assign_steward", None, "ok").on(target))
    }

    /// Whether steward `user` is assigned to `project`.
    pub fn is_assigned(&self, user: &str, project: &str) -> Result<bool, BrokerError> {
        is_assigned(&self.conn, user, project)
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
}
