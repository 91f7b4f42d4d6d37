//! The broker's one error type, mapped once to a gRPC status. Messages name ids, states and
//! rules, never a data value.

use renkei_engine::EngineError;
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// No valid bearer token: missing, unknown, expired or revoked.
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Also what a researcher gets for another project's request: existence is not told.
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The call does not fit the current state (e.g. fetching an unreleased result).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The engine's verdict on a request's query: refused, invalid or failed. It is always
    /// recorded in the audit trail together with the request's new state.
    #[error("{0}")]
    Query(#[from] EngineError),
    #[error("state database: {0}")]
    Database(#[from] rusqlite::Error),
    /// Encoding or decoding a checked output as Arrow IPC; only the step is named.
    #[error("{0}")]
    Arrow(&'static str),
    #[error("{0}")]
    Io(String),
    /// The step could not run now (the warehouse being republished, out of memory, the
    /// database busy) and changed nothing: the same call may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// A query ran longer than the broker's limit (`--query-timeout`) and was stopped; like
    /// `Unavailable`, it changed nothing and is no verdict on the query.
    #[error("{0}")]
    DeadlineExceeded(String),
}

impl BrokerError {
    /// The outcome written to the audit trail for a call that failed with this error.
    pub fn outcome(&self) -> &'static str {
        match self {
            BrokerError::Unauthenticated(_) => "unauthenticated",
            BrokerError::PermissionDenied(_) => "permission_denied",
            BrokerError::NotFound(_) => "not_found",
            BrokerError::AlreadyExists(_) => "already_exists",
            BrokerError::InvalidArgument(_) => "invalid_argument",
            BrokerError::FailedPrecondition(_) => "failed_precondition",
            BrokerError::Query(EngineError::Refused(_)) => "refused",
            BrokerError::Query(EngineError::Invalid(_)) => "invalid_query",
            BrokerError::Query(_) => "query_failed",
            BrokerError::Database(_) | BrokerError::Arrow(_) | BrokerError::Io(_) => "internal_error",
            BrokerError::Unavailable(_) => "unavailable",
            BrokerError::DeadlineExceeded(_) => "deadline_exceeded",
        }
    }

    /// True when the audit entry of the state change that produced this error already
    /// tells it (a query's verdict), so the failed call is not recorded twice.
    pub fn already_audited(&self) -> bool {
        matches!(self, BrokerError::Query(_))
    }
}

impl From<BrokerError> for Status {
    fn from(e: BrokerError) -> Status {
        let code = match &e {
            BrokerError::Unauthenticated(_) => Code::Unauthenticated,
            BrokerError::PermissionDenied(_) => Code::PermissionDenied,
            BrokerError::NotFound(_) => Code::NotFound,
            BrokerError::AlreadyExists(_) => Code::AlreadyExists,
            BrokerError::InvalidArgument(_) | BrokerError::Query(EngineError::Invalid(_)) => Code::InvalidArgument,
            BrokerError::FailedPrecondition(_) | BrokerError::Query(EngineError::Refused(_)) => {
                Code::FailedPrecondition
            }
            BrokerError::Query(_) | BrokerError::Database(_) | BrokerError::Arrow(_) | BrokerError::Io(_) => {
                Code::Internal
            }
            BrokerError::Unavailable(_) => Code::Unavailable,
            BrokerError::DeadlineExceeded(_) => Code::DeadlineExceeded,
        };
        Status::new(code, e.to_string())
    }
}
