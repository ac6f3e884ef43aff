//! The engine's error type: variants a caller acts on, sources kept.
//!
//! The server maps these to gRPC statuses and AWS error codes in one place; the engine itself
//! only says *what* went wrong. Validation errors carry the AWS error code because the engine is
//! the one service layer both API faces share, and CloudWatch's code is part of its contract.

use std::path::PathBuf;
use std::sync::Arc;

use crate::durable::WalError;

/// AWS error codes for rejected input, as CloudWatch names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvalidCode {
    /// `InvalidParameterValue`: a value out of range or malformed.
    InvalidParameterValue,
    /// `MissingParameter`: a required field is absent.
    MissingParameter,
    /// `InvalidParameterCombination`: fields that exclude each other, or limits on their product.
    InvalidParameterCombination,
    /// `InvalidNextToken`: a paging token the server did not issue.
    InvalidNextToken,
    /// `ValidationError`: a value outside an enumeration (e.g. SetAlarmState's `StateValue`).
    ValidationError,
    /// `InvalidFormat`: a document that does not parse (e.g. `StateReasonData` not JSON).
    InvalidFormat,
}

impl InvalidCode {
    /// The code exactly as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidCode::InvalidParameterValue => "InvalidParameterValue",
            InvalidCode::MissingParameter => "MissingParameter",
            InvalidCode::InvalidParameterCombination => "InvalidParameterCombination",
            InvalidCode::InvalidNextToken => "InvalidNextToken",
            InvalidCode::ValidationError => "ValidationError",
            InvalidCode::InvalidFormat => "InvalidFormat",
        }
    }
}

impl std::fmt::Display for InvalidCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the engine can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The request is invalid; nothing of it was applied. `message` names the field.
    #[error("{code}: {message}")]
    InvalidArgument {
        /// AWS error code.
        code: InvalidCode,
        /// Human-readable message naming the offending field, in AWS's wording.
        message: String,
    },
    /// The engine is overloaded (WAL queue full, head over its memory bound); retry later.
    #[error("Throttling: {0}")]
    Throttled(&'static str),
    /// On-disk data is damaged at a known place.
    #[error("corruption in {file} at offset {offset}: {detail}")]
    Corruption {
        /// File that holds the damage.
        file: PathBuf,
        /// Byte offset of the damaged record or chunk.
        offset: u64,
        /// What was wrong.
        detail: String,
    },
    /// An I/O operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// Path the operation was on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The write-ahead log failed or refused a write.
    #[error("wal: {0}")]
    Wal(#[from] WalError),
    /// The engine is closed (or closing) and takes no more requests.
    #[error("engine is closed")]
    Closed,
    /// A named resource (a dashboard) does not exist; `message` is AWS's text.
    #[error("ResourceNotFound: {message}")]
    NotFound {
        /// What kind of resource (`dashboard`), for the faces' error shapes.
        resource: &'static str,
        /// AWS's message.
        message: String,
    },
    /// A dashboard body was refused; each message names the offending member.
    #[error("InvalidParameterInput: the dashboard body is invalid ({} problem(s))", .0.len())]
    InvalidDashboardBody(Vec<crate::metrics::dashboard::DashboardValidationMessage>),
}

impl Error {
    pub(crate) fn invalid(code: InvalidCode, message: impl Into<String>) -> Self {
        Error::InvalidArgument { code, message: message.into() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source: Arc::new(source) }
    }

    pub(crate) fn corruption(file: impl Into<PathBuf>, offset: u64, detail: impl Into<String>) -> Self {
        Error::Corruption { file: file.into(), offset, detail: detail.into() }
    }
}

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;
