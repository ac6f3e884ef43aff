//! Which service, protocol and operation an HTTP request is for: one table of services × protocols
//! and the order of `aws-semantics.md` §1.2 (Smithy rpcv2Cbor path, then `X-Amz-Target`, then an
//! awsQuery `Action`, then the SigV4 signing name). CloudWatch Logs and CloudTrail join the table
//! with their own issues; nothing here is CloudWatch-specific except the table's first row.

use http::{HeaderMap, Method};

/// A wire protocol of the AWS face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Smithy RPC v2 CBOR (`POST /service/{svc}/operation/{op}`, `smithy-protocol: rpc-v2-cbor`).
    RpcV2Cbor,
    /// awsJson1_0 / awsJson1_1 (`X-Amz-Target: {prefix}.{op}`); the version is the service's.
    AwsJson,
    /// awsQuery (form-encoded `Action=…&Version=…`, XML responses).
    AwsQuery,
}

/// One service of the AWS face and how it is spoken to.
#[derive(Debug)]
pub(crate) struct ServiceSpec {
    /// Short name for logs and the audit trail.
    pub(crate) name: &'static str,
    /// SigV4 signing name (the credential scope's service).
    pub(crate) signing_name: &'static str,
    /// awsJson `X-Amz-Target` prefix, also the Smithy service name in rpcv2Cbor paths.
    pub(crate) target_prefix: &'static str,
    /// Absolute Smithy shape-id namespace of the service's error shapes (`…#Shape`).
    pub(crate) shape_namespace: &'static str,
    /// `Content-Type` of its awsJson requests and responses (`1.0` or `1.1`).
    pub(crate) json_content_type: &'static str,
    /// awsQuery `Version=` value and XML namespace, when the service speaks awsQuery.
    pub(crate) query: Option<(&'static str, &'static str)>,
    /// Whether the service is `awsQueryCompatible` (errors carry `x-amzn-query-error`).
    pub(crate) query_compatible: bool,
    /// Whether it speaks rpcv2Cbor.
    pub(crate) cbor: bool,
}

/// CloudWatch (`monitoring`).
pub(crate) const CLOUDWATCH: ServiceSpec = ServiceSpec {
    name: "cloudwatch",
    signing_name: "monitoring",
    target_prefix: "GraniteServiceVersion20100801",
    shape_namespace: "com.amazonaws.cloudwatch",
    json_content_type: "application/x-amz-json-1.0",
    query: Some(("2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/")),
    query_compatible: true,
    cbor: true,
};

/// Every service the endpoint serves.
pub(crate) const SERVICES: &[&ServiceSpec] = &[&CLOUDWATCH];

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// The service (a row of [`SERVICES`]).
    pub(crate) service: &'static ServiceSpec,
    /// The protocol the client spoke (and is answered in).
    pub(crate) protocol: Protocol,
    /// The operation name as the model spells it (`PutMetricData`).
    pub(crate) operation: String,
}

impl PartialEq for ServiceSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for ServiceSpec {}

/// Why a request could not be routed. The caller answers in the protocol named here (the best
/// guess of what the client speaks) with the code AWS uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteError {
    /// A well-formed request for an operation the service does not have.
    UnknownOperation { service: &'static ServiceSpec, protocol: Protocol, operation: String },
    /// A request that does not follow its protocol (e.g. rpcv2Cbor with `X-Amz-Target`, a Query
    /// request without `Action`, a wrong `Version`).
    Malformed { service: Option<&'static ServiceSpec>, protocol: Protocol, message: String },
    /// Nothing identifies a service.
    NoService,
}

/// Routes a request: `query` is the URL query string, `form` the body of a form-encoded POST
/// (read only for awsQuery's `Action`/`Version`). `known_operation` says whether the service
/// has an operation of that name.
pub(crate) fn route(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    form: Option<&[u8]>,
    known_operation: impl Fn(&ServiceSpec, &str) -> bool,
) -> Result<Route, RouteError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let target = header("x-amz-target");

    // 1. Smithy RPC v2 CBOR: the last four path segments, with the protocol header.
    if header("smithy-protocol").is_some_and(|p| p.eq_ignore_ascii_case("rpc-v2-cbor")) {
        let segments: Vec<&str> = path.trim_end_matches('/').rsplit('/').take(4).collect();
        let (service, operation) = match segments.as_slice() {
            [op, "operation", svc, "service"] => (*svc, *op),
            _ => {
                return Err(RouteError::Malformed {
                    service: None,
                    protocol: Protocol::RpcV2Cbor,
                    message: format!(
                        "rpc-v2-cbor requests go to /service/{{service}}/operation/{{operation}}, not {path}"
                    ),
                });
            }
        };
        let spec = SERVICES.iter().copied().find(|s| {
            s.cbor
                && (service == s.target_prefix
                    || service.strip_prefix(s.shape_namespace).and_then(|r| r.strip_prefix('.'))
                        == Some(s.target_prefix))
        });
        let Some(spec) = spec else {
            return Err(RouteError::Malformed {
                service: None,
                protocol: Protocol::RpcV2Cbor,
                message: format!("unknown service {service}"),
            });
        };
        if target.is_some() || *method != Method::POST {
            return Err(RouteError::Malformed {
                service: Some(spec),
                protocol: Protocol::RpcV2Cbor,
                message: "rpc-v2-cbor requests are POSTs without X-Amz-Target".into(),
            });
        }
        return finish(spec, Protocol::RpcV2Cbor, operation, &known_operation);
    }

    // 2. awsJson: X-Amz-Target names the service and the operation.
    if let Some(target) = target {
        let found = SERVICES
            .iter()
            .copied()
            .find_map(|s| target.strip_prefix(s.target_prefix).and_then(|r| r.strip_prefix('.')).map(|op| (s, op)));
        let Some((spec, operation)) = found else {
            return Err(RouteError::NoService);
        };
        if *method != Method::POST {
            return Err(RouteError::Malformed {
                service: Some(spec),
                protocol: Protocol::AwsJson,
                message: "awsJson requests are POSTs".into(),
            });
        }
        return finish(spec, Protocol::AwsJson, operation, &known_operation);
    }

    // 3. awsQuery: form POST or GET with Action=.
    let is_form = header("content-type").is_some_and(|c| {
        c.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    let pairs: Option<Vec<(String, String)>> = match (method, is_form) {
        (&Method::POST, true) => Some(form_urlencoded::parse(form.unwrap_or_default()).into_owned().collect()),
        (&Method::GET, _) => query.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()),
        _ => None,
    };
    if let Some(pairs) = pairs {
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let (Some(action), version) = (get("Action"), get("Version")) else {
            return Err(RouteError::Malformed {
                service: None,
                protocol: Protocol::AwsQuery,
                message: "The request must contain the parameter Action.".into(),
            });
        };
        // Only services that speak awsQuery; the Version picks among them.
        let candidates: Vec<&'static ServiceSpec> = SERVICES.iter().copied().filter(|s| s.query.is_some()).collect();
        let spec = match version {
            Some(v) => candidates.iter().copied().find(|s| s.query.is_some_and(|(ver, _)| ver == v)),
            None => None,
        };
        let Some(spec) = spec else {
            return Err(RouteError::Malformed {
                service: candidates.first().copied(),
                protocol: Protocol::AwsQuery,
                message: match version {
                    None => "The request must contain the parameter Version.".into(),
                    Some(v) => format!("Version {v} is not supported by this endpoint."),
                },
            });
        };
        return finish(spec, Protocol::AwsQuery, action, &known_operation);
    }

    Err(RouteError::NoService)
}

fn finish(
    spec: &'static ServiceSpec,
    protocol: Protocol,
    operation: &str,
    known_operation: &impl Fn(&ServiceSpec, &str) -> bool,
) -> Result<Route, RouteError> {
    if operation.is_empty() || !known_operation(spec, operation) {
        return Err(RouteError::UnknownOperation { service: spec, protocol, operation: operation.to_string() });
    }
    Ok(Route { service: spec, protocol, operation: operation.to_string() })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn known(_: &ServiceSpec, op: &str) -> bool {
        matches!(op, "PutMetricData" | "ListMetrics")
    }

    #[test]
    fn cbor_by_path_and_header_with_prefix_and_shape_id() {
        let h = headers(&[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor")]);
        for path in [
            "/service/GraniteServiceVersion20100801/operation/PutMetricData",
            "/prefix/service/GraniteServiceVersion20100801/operation/PutMetricData",
            "/service/com.amazonaws.cloudwatch.GraniteServiceVersion20100801/operation/PutMetricData",
        ] {
            let r = route(&Method::POST, path, None, &h, None, known).unwrap();
            assert_eq!(
                (r.service.name, r.protocol, r.operation.as_str()),
                ("cloudwatch", Protocol::RpcV2Cbor, "PutMetricData"),
                "{path}"
            );
        }
    }

    #[test]
    fn cbor_with_target_header_is_malformed() {
        let h = headers(&[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("x-amz-target", "GraniteServiceVersion20100801.PutMetricData"),
        ]);
        let e = route(
            &Method::POST,
            "/service/GraniteServiceVersion20100801/operation/PutMetricData",
            None,
            &h,
            None,
            known,
        )
        .unwrap_err();
        assert!(matches!(e, RouteError::Malformed { protocol: Protocol::RpcV2Cbor, .. }), "{e:?}");
        let bad_path = route(
            &Method::POST,
            "/operation/PutMetricData",
            None,
            &headers(&[("smithy-protocol", "rpc-v2-cbor")]),
            None,
            known,
        );
        assert!(matches!(bad_path, Err(RouteError::Malformed { .. })));
    }

    #[test]
    fn json_by_target() {
        let h = headers(&[("x-amz-target", "GraniteServiceVersion20100801.ListMetrics")]);
        let r = route(&Method::POST, "/", None, &h, None, known).unwrap();
        assert_eq!((r.protocol, r.operation.as_str()), (Protocol::AwsJson, "ListMetrics"));
        let unknown = route(
            &Method::POST,
            "/",
            None,
            &headers(&[("x-amz-target", "GraniteServiceVersion20100801.Nope")]),
            None,
            known,
        );
        assert!(matches!(unknown, Err(RouteError::UnknownOperation { protocol: Protocol::AwsJson, .. })));
        let other = route(&Method::POST, "/", None, &headers(&[("x-amz-target", "Other_2020.Op")]), None, known);
        assert_eq!(other, Err(RouteError::NoService));
    }

    #[test]
    fn query_by_form_body_or_get() {
        let h = headers(&[("content-type", "application/x-www-form-urlencoded; charset=utf-8")]);
        let r = route(&Method::POST, "/", None, &h, Some(b"Action=ListMetrics&Version=2010-08-01"), known).unwrap();
        assert_eq!((r.protocol, r.operation.as_str()), (Protocol::AwsQuery, "ListMetrics"));
        let g =
            route(&Method::GET, "/", Some("Action=PutMetricData&Version=2010-08-01"), &HeaderMap::new(), None, known)
                .unwrap();
        assert_eq!(g.protocol, Protocol::AwsQuery);
        let no_version = route(&Method::POST, "/", None, &h, Some(b"Action=ListMetrics"), known);
        assert!(matches!(no_version, Err(RouteError::Malformed { protocol: Protocol::AwsQuery, .. })));
        let bad_version = route(&Method::POST, "/", None, &h, Some(b"Action=ListMetrics&Version=2099-01-01"), known);
        assert!(matches!(bad_version, Err(RouteError::Malformed { .. })));
        let no_action = route(&Method::POST, "/", None, &h, Some(b"Version=2010-08-01"), known);
        assert!(matches!(no_action, Err(RouteError::Malformed { .. })));
        let unknown = route(&Method::POST, "/", None, &h, Some(b"Action=Nope&Version=2010-08-01"), known);
        assert!(matches!(unknown, Err(RouteError::UnknownOperation { protocol: Protocol::AwsQuery, .. })));
    }

    #[test]
    fn the_cloudwatch_row_matches_the_model() {
        let s = &CLOUDWATCH;
        assert_eq!(
            (s.signing_name, s.target_prefix, s.json_content_type),
            ("monitoring", "GraniteServiceVersion20100801", "application/x-amz-json-1.0")
        );
        assert_eq!(s.query, Some(("2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/")));
        assert!(s.query_compatible && s.cbor);
        // Rows are distinct by name, signing name and target prefix.
        for (i, a) in SERVICES.iter().enumerate() {
            for b in &SERVICES[i + 1..] {
                assert!(a.name != b.name && a.signing_name != b.signing_name && a.target_prefix != b.target_prefix);
            }
        }
    }

    #[test]
    fn nothing_recognisable_is_no_service() {
        assert_eq!(route(&Method::POST, "/", None, &HeaderMap::new(), Some(b"{}"), known), Err(RouteError::NoService));
    }
}
