//! The one mapping from engine errors to gRPC statuses.
//!
//! | engine error | gRPC code | message |
//! |---|---|---|
//! | `InvalidArgument { code, message }` | `INVALID_ARGUMENT` | `"{code}: {message}"`, e.g. `InvalidParameterValue: The value NaN for parameter MetricData.member.1.Value is invalid.` |
//! | `Throttled(why)` | `RESOURCE_EXHAUSTED` | `"Throttling: {why}"` |
//! | `NotFound { message }` | `NOT_FOUND` | `"ResourceNotFound: {message}"` |
//! | `InvalidDashboardBody(problems)` | `INVALID_ARGUMENT` | `"InvalidParameterInput: …"`, every problem with its data path |
//! | `Closed`, `Wal(Closed)` | `UNAVAILABLE` | `"ServiceUnavailable: the server is shutting down"` |
//! | `Wal(Full)` (the engine normally reports `Throttled`) | `RESOURCE_EXHAUSTED` | `"Throttling: ..."` |
//! | `Corruption`, `Io`, `Wal(Failed)`, `Wal(Io)`, … | `INTERNAL` | `"InternalFailure: {error}"`, logged at error level |
//!
//! The AWS error code always leads the message, followed by `": "`, so clients (and the
//! `stratus` CLI) can split it off. A failed blocking task (an engine panic) is also `INTERNAL`.
//! Used by `grpc`; the AWS HTTP face will map the same `Error` to HTTP statuses here too.

use stratus_engine::{Error, WalError};
use tonic::Status;

use crate::service::ServiceError;

/// The gRPC status for an engine error.
pub(crate) fn from_engine(err: &Error) -> Status {
    match err {
        Error::InvalidArgument { code, message } => Status::invalid_argument(format!("{code}: {message}")),
        Error::Throttled(why) => Status::resource_exhausted(format!("Throttling: {why}")),
        Error::NotFound { message, .. } => Status::not_found(format!("ResourceNotFound: {message}")),
        Error::InvalidDashboardBody(problems) => Status::invalid_argument(format!(
            "InvalidParameterInput: The field DashboardBody is invalid: {}",
            problems
                .iter()
                .map(|p| if p.data_path.is_empty() {
                    p.message.clone()
                } else {
                    format!("{}: {}", p.data_path, p.message)
                })
                .collect::<Vec<_>>()
                .join("; ")
        )),
        Error::Closed | Error::Wal(WalError::Closed) => {
            Status::unavailable("ServiceUnavailable: the server is shutting down")
        }
        Error::Wal(WalError::Full) => Status::resource_exhausted("Throttling: the write-ahead log queue is full"),
        Error::Corruption { .. } | Error::Io { .. } | Error::Wal(_) => {
            tracing::error!(error = %err, "request failed inside the engine");
            Status::internal(format!("InternalFailure: {err}"))
        }
    }
}

/// The gRPC status for a failed service call.
pub(crate) fn from_service(err: &ServiceError) -> Status {
    match err {
        ServiceError::Engine(e) => from_engine(e),
        // A blocking engine task that did not return (it panicked or was cancelled at shutdown).
        ServiceError::TaskFailed(why) => {
            Status::internal(format!("InternalFailure: the request's engine task failed ({why})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use stratus_engine::InvalidCode;
    use tonic::Code;

    use super::*;

    #[test]
    fn maps_every_variant() {
        let s = from_engine(&Error::InvalidArgument {
            code: InvalidCode::InvalidParameterValue,
            message: "The value NaN for parameter MetricData.member.1.Value is invalid.".into(),
        });
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(
            s.message(),
            "InvalidParameterValue: The value NaN for parameter MetricData.member.1.Value is invalid."
        );

        let s = from_engine(&Error::InvalidArgument { code: InvalidCode::MissingParameter, message: "m".into() });
        assert_eq!((s.code(), s.message()), (Code::InvalidArgument, "MissingParameter: m"));

        let s = from_engine(&Error::Throttled("WAL queue full"));
        assert_eq!((s.code(), s.message()), (Code::ResourceExhausted, "Throttling: WAL queue full"));

        assert_eq!(from_engine(&Error::Closed).code(), Code::Unavailable);
        assert_eq!(from_engine(&Error::Wal(WalError::Closed)).code(), Code::Unavailable);
        let s = from_engine(&Error::Wal(WalError::Full));
        assert_eq!(s.code(), Code::ResourceExhausted);
        assert!(s.message().starts_with("Throttling: "));
        let failed =
            WalError::Failed { op: "fsync", path: "/d/wal/1".into(), source: Arc::new(std::io::Error::other("EIO")) };
        let s = from_engine(&Error::Wal(failed));
        assert_eq!(s.code(), Code::Internal);
        assert!(s.message().starts_with("InternalFailure: "), "{}", s.message());

        let io = Error::Io { path: "/d/wal/1".into(), source: Arc::new(std::io::Error::other("disk on fire")) };
        let s = from_engine(&io);
        assert_eq!(s.code(), Code::Internal);
        assert!(
            s.message().starts_with("InternalFailure: ") && s.message().contains("disk on fire"),
            "{}",
            s.message()
        );

        let c = Error::Corruption { file: "/d/b".into(), offset: 7, detail: "bad crc".into() };
        assert_eq!(from_engine(&c).code(), Code::Internal);
    }
}
