//! Operators' logs, as `tracing` events (the `renkei` binary prints them: `renkei serve
//! --log LEVEL`, docs/broker.md "Operating: logs"): the start with the limits it holds, one
//! event per call with its method, request number, outcome class and duration, refusals and
//! failures by class, and the audit head on a schedule.
//!
//! At `info` and above an event carries no value a caller sent or was answered: no SQL, no
//! error message (an engine error can quote the SQL's literals), no user, no token, no path a
//! client chose. `debug` adds the statements' SQL and the failures' messages: the steward's
//! explicit choice, off by default.

use crate::Broker;
use crate::error::BrokerError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, error, info, warn};

/// The outcome classes that are the broker's fault or its limits', not the caller's.
fn is_fault(e: &BrokerError) -> bool {
    e.kind().is_fault()
}

fn millis(took: Duration) -> u64 {
    u64::try_from(took.as_millis()).unwrap_or(u64::MAX)
}

/// One gRPC or Flight SQL call (`method` is the audit action) that ran for `took`.
pub(crate) fn call<T>(method: &str, request: Option<i64>, result: &Result<T, BrokerError>, took: Duration) {
    let ms = millis(took);
    match result {
        Ok(_) => info!(method, request, ms, outcome = "ok", "call"),
        Err(e) => {
            let outcome = e.outcome();
            if is_fault(e) {
                warn!(method, request, ms, outcome, "call failed");
            } else {
                info!(method, request, ms, outcome, "call refused");
            }
            debug!(method, request, error = %e, "why the call failed");
        }
    }
}

/// A statement's SQL, at `debug` only.
pub(crate) fn statement(method: &str, sql: &str) {
    debug!(method, sql, "statement");
}

/// A call to `service` without a valid token, answered at the gate, logged as often as it is
/// audited; `unrecorded` went before it unlogged.
pub(crate) fn unauthenticated(service: &str, unrecorded: u64) {
    info!(
        method = "authenticate",
        service,
        unrecorded,
        outcome = "unauthenticated",
        "call refused"
    );
}

/// A failure the broker could not record in the audit trail.
pub(crate) fn unaudited(method: &str, e: &BrokerError) {
    error!(
        method,
        outcome = e.outcome(),
        "a failed call could not be recorded in the audit trail"
    );
    debug!(method, error = %e, "why the audit trail could not record it");
}

/// A request's check at start that did not end in a verdict.
pub(crate) fn check_at_start_failed(request: i64, e: &BrokerError) {
    warn!(request, outcome = e.outcome(), "the check at start failed");
    debug!(request, error = %e, "why the check at start failed");
}

/// A console request: its method, the route it matched (a fixed string, see [`route_of`]),
/// its HTTP status and duration.
pub(crate) fn console_call(method: &axum::http::Method, path: &str, status: u16, took: Duration) {
    use axum::http::Method;
    // A client may send any token as a method: only the known ones are named.
    let http_method = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        _ => "(other)",
    };
    let route = route_of(path);
    let ms = millis(took);
    if status >= 500 {
        warn!(http_method, route, status, ms, "console call failed");
    } else {
        info!(http_method, route, status, ms, "console call");
    }
}

/// The console route `path` falls under, as one of a fixed set of strings, so that nothing a
/// client typed (an export name, a query string) reaches a log.
fn route_of(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        [""] => "/",
        ["signin"] => "/signin",
        ["signout"] => "/signout",
        ["requests"] => "/requests",
        ["requests", _] => "/requests/{id}",
        ["requests", _, "approve"] => "/requests/{id}/approve",
        ["requests", _, "reject"] => "/requests/{id}/reject",
        ["requests", _, "release"] => "/requests/{id}/release",
        ["requests", _, "audit"] => "/requests/{id}/audit",
        ["requests", _, _] => "/requests/{id}/{export}",
        ["assets", "console.css"] => "/assets/console.css",
        _ => "(no route)",
    }
}

/// The start: where the broker listens and the limits it holds.
pub(crate) fn started(config: &crate::Config, grpc: Option<SocketAddr>, console: Option<SocketAddr>) {
    let limits = &config.limits;
    info!(
        grpc = ?grpc,
        console = ?console,
        tls = config.tls.is_some(),
        max_connections = limits.max_connections,
        max_queries = limits.max_queries,
        query_timeout_s = limits.query_timeout.as_secs_f64(),
        memory_mib = limits.query_memory / (1024 * 1024),
        audit_head_every_s = config.audit_head_every.map(|d| d.as_secs_f64()),
        "broker started"
    );
}

/// Times a call for [`call`].
pub(crate) struct Timer(Instant);

impl Timer {
    pub(crate) fn start() -> Timer {
        Timer(Instant::now())
    }

    pub(crate) fn took(&self) -> Duration {
        self.0.elapsed()
    }
}

/// Logs the audit trail's head (newest entry's number and hash) every `every`, for anchoring
/// outside the machine (`renkei serve --audit-head-every`): the newest entry is checked under
/// the key first, and one that does not verify is logged as an error instead.
pub(crate) async fn audit_heads(broker: Arc<Broker>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match broker.db(|store| store.audit_head()).await {
            Ok(Some((entry, hash))) => info!(entry, head = %hash, "audit head"),
            Ok(None) => info!(entry = 0, "audit head: the trail is empty"),
            Err(e) => {
                error!(
                    outcome = e.outcome(),
                    "audit head: the newest entry could not be read or does not verify"
                );
                debug!(error = %e, "why the audit head could not be read");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn console_routes_are_fixed_strings_whatever_the_client_sent() {
        assert_eq!(route_of("/requests/12/approve"), "/requests/{id}/approve");
        assert_eq!(route_of("/requests/12/'; DROP TABLE x"), "/requests/{id}/{export}");
        assert_eq!(route_of("/requests?project=secret"), "/requests");
        assert_eq!(route_of("/anything/else/sent"), "(no route)");
        assert_eq!(route_of("/"), "/");
    }
}
