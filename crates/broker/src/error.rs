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
    /// `serve`'s study queries folder is not there.
    #[error("the study queries folder {} is not a directory (give --queries DIR)", .0.display())]
    NoQueries(std::path::PathBuf),
    /// The TLS certificate, key or client CA `serve` was given cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// What kind of failure a [`BrokerError`] is: decided once, here; the audit trail's outcome,
/// the gRPC code, the console's HTTP status and the `renkei-outcome` metadata clients read
/// (instead of parsing a message) all derive from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Unauthenticated,
    PermissionDenied,
    NotFound,
    AlreadyExists,
    InvalidArgument,
    FailedPrecondition,
    /// Disclosure control refused the query.
    Refused,
    /// The query is not valid SQL or names what the caller may not use.
    InvalidQuery,
    /// The query could not run (not the caller's fault, not a verdict).
    QueryFailed,
    Internal,
    Unavailable,
    DeadlineExceeded,
}

/// The gRPC metadata key carrying [`ErrorKind::outcome`] on every failed call.
pub const OUTCOME_METADATA: &str = "renkei-outcome";

impl ErrorKind {
    const ALL: [ErrorKind; 12] = [
        ErrorKind::Unauthenticated,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::InvalidArgument,
        ErrorKind::FailedPrecondition,
        ErrorKind::Refused,
        ErrorKind::InvalidQuery,
        ErrorKind::QueryFailed,
        ErrorKind::Internal,
        ErrorKind::Unavailable,
        ErrorKind::DeadlineExceeded,
    ];

    /// The kind an [`ErrorKind::outcome`] names, as a client reads it from
    /// [`OUTCOME_METADATA`].
    pub fn from_outcome(outcome: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|k| k.outcome() == outcome)
    }

    /// The outcome written to the audit trail and sent as [`OUTCOME_METADATA`].
    pub fn outcome(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::FailedPrecondition => "failed_precondition",
            ErrorKind::Refused => "refused",
            ErrorKind::InvalidQuery => "invalid_query",
            ErrorKind::QueryFailed => "query_failed",
            ErrorKind::Internal => "internal_error",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::DeadlineExceeded => "deadline_exceeded",
        }
    }

    pub fn code(self) -> Code {
        match self {
            ErrorKind::Unauthenticated => Code::Unauthenticated,
            ErrorKind::PermissionDenied => Code::PermissionDenied,
            ErrorKind::NotFound => Code::NotFound,
            ErrorKind::AlreadyExists => Code::AlreadyExists,
            ErrorKind::InvalidArgument | ErrorKind::InvalidQuery => Code::InvalidArgument,
            ErrorKind::FailedPrecondition | ErrorKind::Refused => Code::FailedPrecondition,
            ErrorKind::QueryFailed | ErrorKind::Internal => Code::Internal,
            ErrorKind::Unavailable => Code::Unavailable,
            ErrorKind::DeadlineExceeded => Code::DeadlineExceeded,
        }
    }

    /// The steward console's HTTP status.
    pub fn http_status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            ErrorKind::Unauthenticated => S::UNAUTHORIZED,
            ErrorKind::PermissionDenied => S::FORBIDDEN,
            ErrorKind::NotFound => S::NOT_FOUND,
            ErrorKind::AlreadyExists | ErrorKind::FailedPrecondition | ErrorKind::Refused => S::CONFLICT,
            ErrorKind::InvalidArgument | ErrorKind::InvalidQuery => S::BAD_REQUEST,
            ErrorKind::QueryFailed | ErrorKind::Internal => S::INTERNAL_SERVER_ERROR,
            ErrorKind::Unavailable | ErrorKind::DeadlineExceeded => S::SERVICE_UNAVAILABLE,
        }
    }

    /// The broker's fault or its limits', not the caller's (logged as a warning).
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            ErrorKind::Internal | ErrorKind::QueryFailed | ErrorKind::Unavailable | ErrorKind::DeadlineExceeded
        )
    }
}

impl BrokerError {
    /// The one classification of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            BrokerError::Unauthenticated(_) => ErrorKind::Unauthenticated,
            BrokerError::PermissionDenied(_) => ErrorKind::PermissionDenied,
            BrokerError::NotFound(_) => ErrorKind::NotFound,
            BrokerError::AlreadyExists(_) => ErrorKind::AlreadyExists,
            BrokerError::InvalidArgument(_) => ErrorKind::InvalidArgument,
            BrokerError::FailedPrecondition(_) => ErrorKind::FailedPrecondition,
            BrokerError::Query(EngineError::Refused(_)) => ErrorKind::Refused,
            BrokerError::Query(EngineError::Invalid(_)) => ErrorKind::InvalidQuery,
            BrokerError::Query(_) => ErrorKind::QueryFailed,
            BrokerError::Database(_)
            | BrokerError::Arrow(_)
            | BrokerError::Io(_)
            | BrokerError::Tls(_)
            | BrokerError::NoQueries(_) => ErrorKind::Internal,
            BrokerError::Unavailable(_) => ErrorKind::Unavailable,
            BrokerError::DeadlineExceeded(_) => ErrorKind::DeadlineExceeded,
        }
    }

    /// The outcome written to the audit trail for a call that failed with this error.
    pub fn outcome(&self) -> &'static str {
        self.kind().outcome()
    }

    /// True when the audit entry of the state change that produced this error already
    /// tells it (a query's verdict), so the failed call is not recorded twice.
    pub fn already_audited(&self) -> bool {
        matches!(self, BrokerError::Query(_))
    }
}

impl From<BrokerError> for Status {
    fn from(e: BrokerError) -> Status {
        let kind = e.kind();
        let mut status = Status::new(kind.code(), e.to_string());
        status.metadata_mut().insert(
            OUTCOME_METADATA,
            tonic::metadata::MetadataValue::from_static(kind.outcome()),
        );
        status
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn every_outcome_reads_back_as_its_kind() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_outcome(kind.outcome()), Some(kind));
        }
        assert_eq!(ErrorKind::from_outcome("refused "), None);
    }
}
