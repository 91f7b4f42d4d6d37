//! Who is behind a console request: the session cookie, the stored session it names, the
//! bearer token that session was opened with, and the form token (CSRF) of a POST.
//!
//! The cookie holds a 256-bit secret; the store keeps only its BLAKE3. Each request
//! re-authenticates the token the session was opened with, so revoking or expiring the
//! token ends every console session opened with it.

use super::forms::{cookie, same_token};
use crate::Broker;
use crate::auth::{self, Caller, Role};
use crate::error::BrokerError;
use crate::store::{self, ConsoleSession, Store};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;

/// The cookie of a signed-in browser.
pub const SESSION_COOKIE: &str = "renkei_session";
/// The cookie that pairs the sign-in form with the browser that loaded it (a site cannot
/// sign a steward's browser in to a session of its choosing).
pub const SIGN_IN_COOKIE: &str = "renkei_sign_in";
/// A working day; the token's own expiry applies too.
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// A `Set-Cookie` value: never readable by scripts, never sent by another site's page, and
/// over TLS never sent in clear.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> (axum::http::HeaderName, String) {
    let secure = if secure { "; Secure" } else { "" };
    (
        SET_COOKIE,
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"),
    )
}

/// A signed-in steward and their session.
pub struct Steward {
    pub caller: Caller,
    pub session: ConsoleSession,
}

/// What stands between a request and a steward.
pub enum Gate {
    /// No session (or an ended one): sign in first.
    SignIn,
    /// A session, but the call is not allowed (wrong role, bad form token).
    Denied(Option<Caller>, BrokerError),
}

impl Broker {
    /// The steward behind the request's session cookie.
    pub(crate) async fn console_steward(&self, headers: &HeaderMap) -> Result<Steward, Gate> {
        let secret = cookie(headers, SESSION_COOKIE).ok_or(Gate::SignIn)?;
        let hash = auth::token_hash(secret);
        self.db(move |store| {
            let session = match store.console_session(&hash) {
                Ok(Some(session)) => session,
                Ok(None) => return Ok(Err(Gate::SignIn)),
                Err(e) => return Ok(Err(Gate::Denied(None, e))),
            };
            let Ok(caller) = store.authenticate(&session.token_hash) else {
                return Ok(Err(Gate::SignIn));
            };
            Ok(match caller.require(&[Role::Steward]) {
                Ok(()) => Ok(Steward { caller, session }),
                Err(e) => Err(Gate::Denied(Some(caller), e)),
            })
        })
        .await
        .unwrap_or_else(|e| Err(Gate::Denied(None, e)))
    }

    /// As [`Broker::console_steward`], for a state change: the form must carry the session's
    /// form token.
    pub(crate) async fn console_steward_posting(&self, headers: &HeaderMap, csrf: &str) -> Result<Steward, Gate> {
        let steward = self.console_steward(headers).await?;
        if csrf.is_empty() || !same_token(csrf, &steward.session.csrf) {
            return Err(Gate::Denied(
                Some(steward.caller),
                BrokerError::PermissionDenied("the form does not carry this session's form token".into()),
            ));
        }
        Ok(steward)
    }

    /// Opens a console session for the holder of `token`, who must be a steward. Returns
    /// the cookie secret (given to the browser once) and the stored session.
    /// The session whose secret is `replaced`, if any, ends in the same transaction.
    pub(crate) async fn open_console_session(
        &self,
        token: &str,
        replaced: Option<&str>,
    ) -> Result<(String, ConsoleSession), (Option<Caller>, BrokerError)> {
        let token_hash = auth::token_hash(token.trim());
        let replaced = replaced.map(auth::token_hash);
        self.db(move |store| {
            let caller = match store.authenticate(&token_hash) {
                Ok(caller) => caller,
                Err(e) => return Ok(Err((None, e))),
            };
            Ok(open_session(store, &caller, token_hash, replaced.as_deref()).map_err(|e| (Some(caller), e)))
        })
        .await
        .unwrap_or_else(|e| Err((None, e)))
    }
}

/// A new session of `caller`, who must be a steward, signed in with the token `token_hash`.
fn open_session(
    store: &mut Store,
    caller: &Caller,
    token_hash: String,
    replaced: Option<&str>,
) -> Result<(String, ConsoleSession), BrokerError> {
    caller.require(&[Role::Steward])?;
    let secret = auth::new_token()?;
    let csrf = auth::new_token()?;
    let session = ConsoleSession {
        hash: secret.hash,
        token_hash,
        csrf: csrf.secret,
        expires_at: store::now().0.saturating_add(SESSION_SECONDS),
    };
    store.open_console_session(caller, &session, replaced)?;
    Ok((secret.secret, session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_and_strict_and_secure_over_tls() {
        let (_, plain) = set_cookie(SESSION_COOKIE, "v", "/", 60, false);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict") && !plain.contains("Secure"));
        let (_, tls) = set_cookie(SESSION_COOKIE, "v", "/", 60, true);
        assert!(tls.ends_with("; Secure"));
    }
}
