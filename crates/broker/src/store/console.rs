//! Signed-in steward console browsers.

use super::{Store, begin, commit, event, now};
use crate::auth::Caller;
use crate::error::BrokerError;
use rusqlite::{OptionalExtension, params};

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

impl Store {
    /// Signs a steward's browser in: keeps the session's hash, the hash of the token it was
    /// opened with and its form token, and records the sign-in. The session whose hash is
    /// `replaced` (the browser's previous one) ends.
    pub fn open_console_session(
        &mut self,
        caller: &Caller,
        session: &ConsoleSession,
        replaced: Option<&str>,
    ) -> Result<(), BrokerError> {
        let tx = begin(&mut self.conn)?;
        // Sessions past their time are of no use to anyone; they go as new ones come.
        tx.execute(
            "DELETE FROM console_sessions WHERE expires_at <= ?1 OR hash = ?2",
            params![now().0, replaced],
        )?;
        tx.execute(
            "INSERT INTO console_sessions (hash, token_hash, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![session.hash, session.token_hash, session.csrf, session.expires_at],
        )?;
        commit(&self.trail, tx, &event(caller, "console_sign_in", None, "ok"))?;
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
        let tx = begin(&mut self.conn)?;
        tx.execute("DELETE FROM console_sessions WHERE hash = ?1", params![hash])?;
        commit(&self.trail, tx, &event(caller, "console_sign_out", None, "ok"))
    }
}
