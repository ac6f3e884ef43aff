//! Errors of the AWS face, answered in the protocol the client spoke (`aws-semantics.md` §1.3–1.6):
//! awsJson `{"__type": …, "message": …}`, rpcv2Cbor the same as a CBOR map with
//! `smithy-protocol: rpc-v2-cbor`, both with `x-amzn-query-error: Code;Sender|Receiver` for
//! awsQuery-compatible services (botocore and aws-sdk-rust dispatch on that code), and awsQuery an
//! `<ErrorResponse>` document. Every response carries `x-amzn-RequestId`.

use http::StatusCode;
use stratus_engine::{Error, InvalidCode, WalError};

use super::body::BodyError;
use super::query::QueryError;
use super::routing::{Protocol, RouteError, ServiceSpec};
use super::sigv4::AuthError;
use crate::service::ServiceError;

/// One AWS error: its model shape, its awsQuery code, HTTP status and fault side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsError {
    /// Error shape name in the service model (`InvalidParameterValueException`).
    pub(crate) shape: &'static str,
    /// awsQuery error code (`InvalidParameterValue`), also the `x-amzn-query-error` code.
    pub(crate) code: &'static str,
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// `true` for client errors (`Sender`), `false` for server faults (`Receiver`).
    pub(crate) sender: bool,
    /// The message text.
    pub(crate) message: String,
    /// Member name of the message in the shape: `message` for most, `Message` for
    /// `InternalServiceFault` (CBOR clients deserialize by exact name).
    pub(crate) message_member: &'static str,
    /// `dashboardValidationMessages` of `DashboardInvalidInputError`: (DataPath, Message).
    pub(crate) validation: Vec<(String, String)>,
}

impl AwsError {
    /// An error of `shape` with query code `code`; `Sender` for 4xx statuses, `Receiver` otherwise.
    pub(crate) fn new(
        shape: &'static str,
        code: &'static str,
        status: StatusCode,
        message: impl Into<String>,
    ) -> AwsError {
        AwsError {
            shape,
            code,
            status,
            sender: status.is_client_error(),
            message: message.into(),
            message_member: "message",
            validation: Vec::new(),
        }
    }

    /// `InvalidParameterValue` (400).
    pub(crate) fn invalid_value(message: impl Into<String>) -> AwsError {
        AwsError::new("InvalidParameterValueException", "InvalidParameterValue", StatusCode::BAD_REQUEST, message)
    }

    /// `MissingParameter` (400).
    pub(crate) fn missing(message: impl Into<String>) -> AwsError {
        AwsError::new("MissingRequiredParameterException", "MissingParameter", StatusCode::BAD_REQUEST, message)
    }

    /// `InternalServiceError` (500), for anything the client cannot fix.
    pub(crate) fn internal(message: impl Into<String>) -> AwsError {
        AwsError {
            message_member: "Message",
            ..AwsError::new("InternalServiceFault", "InternalServiceError", StatusCode::INTERNAL_SERVER_ERROR, message)
        }
    }

    /// The AWS error for an engine error (the same mapping the gRPC face uses, in AWS's terms).
    pub(crate) fn from_engine(err: &Error) -> AwsError {
        match err {
            Error::InvalidArgument { code, message } => match code {
                InvalidCode::InvalidParameterValue => AwsError::invalid_value(message.clone()),
                InvalidCode::MissingParameter => AwsError::missing(message.clone()),
                InvalidCode::InvalidParameterCombination => AwsError::new(
                    "InvalidParameterCombinationException",
                    "InvalidParameterCombination",
                    StatusCode::BAD_REQUEST,
                    message.clone(),
                ),
                InvalidCode::InvalidNextToken => {
                    AwsError::new("InvalidNextToken", "InvalidNextToken", StatusCode::BAD_REQUEST, message.clone())
                }
                InvalidCode::ValidationError => {
                    AwsError::new("ValidationException", "ValidationError", StatusCode::BAD_REQUEST, message.clone())
                }
                InvalidCode::InvalidFormat => {
                    AwsError::new("InvalidFormatFault", "InvalidFormat", StatusCode::BAD_REQUEST, message.clone())
                }
            },
            Error::NotFound { resource: "dashboard", message } => {
                AwsError::new("DashboardNotFoundError", "ResourceNotFound", StatusCode::NOT_FOUND, message.clone())
            }
            Error::NotFound { message, .. } => {
                AwsError::new("ResourceNotFound", "ResourceNotFound", StatusCode::NOT_FOUND, message.clone())
            }
            Error::InvalidDashboardBody(problems) => AwsError {
                validation: problems.iter().map(|p| (p.data_path.clone(), p.message.clone())).collect(),
                ..AwsError::new(
                    "DashboardInvalidInputError",
                    "InvalidParameterInput",
                    StatusCode::BAD_REQUEST,
                    "The field DashboardBody is invalid; see dashboardValidationMessages.",
                )
            },
            Error::Throttled(why) => AwsError::new(
                "ThrottlingException",
                "Throttling",
                StatusCode::BAD_REQUEST,
                format!("Rate exceeded: {why}"),
            ),
            Error::Wal(WalError::Full) => AwsError::new(
                "ThrottlingException",
                "Throttling",
                StatusCode::BAD_REQUEST,
                "Rate exceeded: the write-ahead log queue is full",
            ),
            Error::Closed | Error::Wal(WalError::Closed) => AwsError {
                sender: false,
                ..AwsError::new(
                    "ServiceUnavailableException",
                    "ServiceUnavailable",
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The server is shutting down.",
                )
            },
            Error::Corruption { .. } | Error::Io { .. } | Error::Wal(_) => {
                tracing::error!(error = %err, "AWS request failed inside the engine");
                AwsError::internal("The server encountered an internal error.")
            }
        }
    }

    /// The AWS error for a failed service call.
    pub(crate) fn from_service(err: &ServiceError) -> AwsError {
        match err {
            ServiceError::Engine(e) => AwsError::from_engine(e),
            ServiceError::TaskFailed(_) => AwsError::internal("The server encountered an internal error."),
        }
    }

    /// The AWS error for a refused signature.
    pub(crate) fn from_auth(err: &AuthError) -> AwsError {
        AwsError::new(err.json_type(), err.query_code(), err.status(), err.message())
    }

    /// The AWS error for an awsQuery request that does not decode.
    pub(crate) fn from_query(err: &QueryError) -> AwsError {
        let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        AwsError::new(err.code(), err.code(), status, err.message())
    }

    /// A request body that does not decode as the operation's input (awsJson, rpcv2Cbor).
    pub(crate) fn serialization(message: String) -> AwsError {
        AwsError::new("SerializationException", "SerializationException", StatusCode::BAD_REQUEST, message)
    }

    /// The AWS error for a request that could not be routed.
    pub(crate) fn from_route(err: &RouteError) -> AwsError {
        match err {
            RouteError::UnknownOperation { protocol: Protocol::AwsQuery, operation, .. } => AwsError::new(
                "InvalidAction",
                "InvalidAction",
                StatusCode::BAD_REQUEST,
                format!("The action {operation} is not valid for this web service."),
            ),
            RouteError::UnknownOperation { operation, .. } => AwsError::new(
                "UnknownOperationException",
                "UnknownOperationException",
                StatusCode::BAD_REQUEST,
                format!("The operation {operation} is not supported by this endpoint."),
            ),
            RouteError::Malformed { message, .. } => {
                AwsError::new("MalformedQueryString", "MalformedQueryString", StatusCode::BAD_REQUEST, message.clone())
            }
            RouteError::NoService => AwsError::new(
                "UnknownOperationException",
                "UnknownOperationException",
                StatusCode::BAD_REQUEST,
                "The request names no service this endpoint serves (no rpc-v2-cbor path, X-Amz-Target or Action).",
            ),
        }
    }

    /// The AWS error for a refused body.
    pub(crate) fn from_body(err: &BodyError) -> AwsError {
        match err {
            BodyError::TooLarge { .. } => AwsError::new(
                "RequestEntityTooLarge",
                "RequestEntityTooLarge",
                StatusCode::PAYLOAD_TOO_LARGE,
                err.to_string(),
            ),
            BodyError::UnsupportedEncoding(_) | BodyError::BadGzip(_) => AwsError::new(
                "InvalidParameterValueException",
                "InvalidParameterValue",
                StatusCode::BAD_REQUEST,
                err.to_string(),
            ),
        }
    }

    /// The `x-amzn-query-error` value.
    pub(crate) fn query_error_header(&self) -> String {
        format!("{};{}", self.code, if self.sender { "Sender" } else { "Receiver" })
    }

    /// `__type` for awsJson / rpcv2Cbor: the absolute shape id for awsJson1_0 and rpcv2Cbor,
    /// the bare name for awsJson1_1 (`aws-semantics.md` §1.3).
    pub(crate) fn type_name(&self, service: &ServiceSpec, protocol: Protocol) -> String {
        let bare = protocol == Protocol::AwsJson && service.json_content_type.ends_with("1.1");
        if bare { self.shape.to_string() } else { format!("{}#{}", service.shape_namespace, self.shape) }
    }

    /// The JSON body (awsJson).
    pub(crate) fn json_body(&self, service: &ServiceSpec) -> Vec<u8> {
        let mut m = serde_json::Map::new();
        m.insert("__type".into(), self.type_name(service, Protocol::AwsJson).into());
        m.insert(self.message_member.into(), self.message.clone().into());
        if !self.validation.is_empty() {
            let list: Vec<serde_json::Value> = self
                .validation
                .iter()
                .map(|(path, msg)| serde_json::json!({ "DataPath": path, "Message": msg }))
                .collect();
            m.insert("dashboardValidationMessages".into(), list.into());
        }
        serde_json::to_vec(&m).unwrap_or_default()
    }

    /// The CBOR body (rpcv2Cbor): a map of text keys.
    pub(crate) fn cbor_body(&self, service: &ServiceSpec) -> Vec<u8> {
        use ciborium::Value;
        let text = |s: &str| Value::Text(s.to_string());
        let mut m = vec![
            (text("__type"), Value::Text(self.type_name(service, Protocol::RpcV2Cbor))),
            (text(self.message_member), Value::Text(self.message.clone())),
        ];
        if !self.validation.is_empty() {
            let list = self
                .validation
                .iter()
                .map(|(path, msg)| Value::Map(vec![(text("DataPath"), text(path)), (text("Message"), text(msg))]))
                .collect();
            m.push((text("dashboardValidationMessages"), Value::Array(list)));
        }
        let mut out = Vec::new();
        // Writing a CBOR value into a Vec cannot fail.
        let _ = ciborium::ser::into_writer(&Value::Map(m), &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::routing::CLOUDWATCH;
    use super::*;

    #[test]
    fn engine_errors_map_to_the_aws_table() {
        let e = AwsError::from_engine(&Error::InvalidArgument {
            code: InvalidCode::InvalidParameterCombination,
            message: "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.".into(),
        });
        assert_eq!(
            (e.shape, e.code, e.status.as_u16(), e.sender),
            ("InvalidParameterCombinationException", "InvalidParameterCombination", 400, true)
        );
        assert_eq!(e.query_error_header(), "InvalidParameterCombination;Sender");
        let m =
            AwsError::from_engine(&Error::InvalidArgument { code: InvalidCode::MissingParameter, message: "x".into() });
        assert_eq!((m.shape, m.code), ("MissingRequiredParameterException", "MissingParameter"));
        let t = AwsError::from_engine(&Error::Throttled("busy"));
        assert_eq!((t.code, t.status.as_u16()), ("Throttling", 400));
        let c = AwsError::from_engine(&Error::Closed);
        assert_eq!((c.code, c.status.as_u16(), c.sender), ("ServiceUnavailable", 503, false));
        let i = AwsError::internal("boom");
        assert_eq!(
            (i.code, i.status.as_u16(), i.sender, i.message_member),
            ("InternalServiceError", 500, false, "Message")
        );
        assert_eq!(i.query_error_header(), "InternalServiceError;Receiver");
    }

    #[test]
    fn alarm_errors_map_to_the_model_shapes() {
        let nf =
            AwsError::from_engine(&Error::NotFound { resource: "alarm", message: "Alarm x does not exist.".into() });
        assert_eq!((nf.shape, nf.code, nf.status.as_u16()), ("ResourceNotFound", "ResourceNotFound", 404));
        assert_eq!(nf.query_error_header(), "ResourceNotFound;Sender");
        let v =
            AwsError::from_engine(&Error::InvalidArgument { code: InvalidCode::ValidationError, message: "v".into() });
        assert_eq!((v.shape, v.code, v.status.as_u16()), ("ValidationException", "ValidationError", 400));
        let f =
            AwsError::from_engine(&Error::InvalidArgument { code: InvalidCode::InvalidFormat, message: "f".into() });
        assert_eq!((f.shape, f.code, f.status.as_u16()), ("InvalidFormatFault", "InvalidFormat", 400));
    }

    #[test]
    fn json_and_cbor_bodies() {
        let e = AwsError::invalid_value("The value NaN for parameter MetricData.member.1.Value is invalid.");
        let json: serde_json::Value = serde_json::from_slice(&e.json_body(&CLOUDWATCH)).unwrap();
        assert_eq!(json["__type"], "com.amazonaws.cloudwatch#InvalidParameterValueException");
        assert_eq!(json["message"], "The value NaN for parameter MetricData.member.1.Value is invalid.");
        let cbor: BTreeMap<String, String> = ciborium::de::from_reader(e.cbor_body(&CLOUDWATCH).as_slice()).unwrap();
        assert_eq!(cbor["__type"], "com.amazonaws.cloudwatch#InvalidParameterValueException");
        let internal: BTreeMap<String, String> =
            ciborium::de::from_reader(AwsError::internal("x").cbor_body(&CLOUDWATCH).as_slice()).unwrap();
        assert_eq!(internal.get("Message").map(String::as_str), Some("x"));
    }

    #[test]
    fn service_errors() {
        let t = AwsError::from_service(&ServiceError::TaskFailed("panicked".into()));
        assert_eq!((t.code, t.status.as_u16()), ("InternalServiceError", 500));
        let e = AwsError::from_service(&ServiceError::Engine(Error::Throttled("busy")));
        assert_eq!(e.code, "Throttling");
    }

    #[test]
    fn dashboard_errors_carry_their_validation_messages() {
        let nf = AwsError::from_engine(&Error::NotFound {
            resource: "dashboard",
            message: "Dashboard x does not exist".into(),
        });
        assert_eq!((nf.shape, nf.code, nf.status.as_u16()), ("DashboardNotFoundError", "ResourceNotFound", 404));
        let inv =
            AwsError::from_engine(&Error::InvalidDashboardBody(vec![stratus_engine::DashboardValidationMessage {
                data_path: "/widgets".into(),
                message: "Should be array".into(),
            }]));
        assert_eq!((inv.shape, inv.code), ("DashboardInvalidInputError", "InvalidParameterInput"));
        let json: serde_json::Value = serde_json::from_slice(&inv.json_body(&CLOUDWATCH)).unwrap();
        assert_eq!(json["dashboardValidationMessages"][0]["DataPath"], "/widgets");
        let cbor: ciborium::Value = ciborium::de::from_reader(inv.cbor_body(&CLOUDWATCH).as_slice()).unwrap();
        let has_list = cbor
            .as_map()
            .unwrap()
            .iter()
            .any(|(k, v)| k.as_text() == Some("dashboardValidationMessages") && v.is_array());
        assert!(has_list);
    }

    #[test]
    fn route_and_body_errors() {
        let q = AwsError::from_route(&RouteError::UnknownOperation {
            service: &CLOUDWATCH,
            protocol: Protocol::AwsQuery,
            operation: "Nope".into(),
        });
        assert_eq!(
            (q.code, q.message.as_str()),
            ("InvalidAction", "The action Nope is not valid for this web service.")
        );
        let b = AwsError::from_body(&BodyError::TooLarge { limit: 1_000_000 });
        assert_eq!((b.code, b.status.as_u16()), ("RequestEntityTooLarge", 413));
    }
}
