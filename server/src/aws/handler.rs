//! The AWS HTTP endpoint: every request that is not `/healthz` or `/metrics` on the HTTP
//! listener. In order: read the body (capped), route it (`routing`), authenticate it with SigV4
//! over the bytes as received (`sigv4`; the credential scope gives the region, the access key
//! the account), undo `Content-Encoding` under the operation's limit (`body`), decode the
//! operation's input in the protocol spoken, run the operation through the service layer's
//! middleware (`service::Service::call`, the same operations the gRPC face calls), and encode
//! the output — or the error — in that protocol, with `x-amzn-RequestId` on every answer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use stratus_engine::Tenant;

use super::alarms;
use super::body::{self, BodyError};
use super::cloudwatch::{self as cw, Empty};
use super::error::AwsError;
use super::query::{self, Fault};
use super::routing::{self, Protocol, Route, RouteError, ServiceSpec};
use super::sigv4::{self, CredentialStore, RequestParts};
use super::timestamp::Timestamp;
use crate::service::{CallContext, CallOutcome, Face, Service, new_request_id};
use crate::telemetry::Rpc;

/// Largest body read from the wire (a gzip body is inflated under the operation's own limit).
const RAW_BODY_LIMIT: usize = 2 << 20;
/// Largest body after `Content-Encoding` is undone: CloudWatch's 1 MB for PutMetricData, and the
/// same for every other operation (dashboards are at most 1 MiB of JSON plus the envelope).
const BODY_LIMIT: usize = 1_000_000;
const DASHBOARD_BODY_LIMIT: usize = 2 << 20;

/// How callers are authenticated.
#[derive(Debug)]
pub(crate) enum Auth {
    /// SigV4 against configured credentials (the default); `max_skew` `None` turns the clock
    /// check off.
    SigV4 { credentials: CredentialStore, max_skew: Option<Duration> },
    /// No authentication (`--insecure-no-auth`): every caller is `account`; the region comes from
    /// the request's credential scope when it has one, else `region`.
    Insecure { account: String, region: String },
}

/// The endpoint's state.
#[derive(Debug)]
pub(crate) struct AwsApi {
    pub(crate) service: Service,
    pub(crate) auth: Auth,
}

/// The operations CloudWatch serves here.
const CLOUDWATCH_OPERATIONS: &[(&str, Rpc)] = &[
    ("PutMetricData", Rpc::PutMetricData),
    ("GetMetricStatistics", Rpc::GetMetricStatistics),
    ("ListMetrics", Rpc::ListMetrics),
    ("GetMetricData", Rpc::GetMetricData),
    ("PutDashboard", Rpc::PutDashboard),
    ("GetDashboard", Rpc::GetDashboard),
    ("ListDashboards", Rpc::ListDashboards),
    ("DeleteDashboards", Rpc::DeleteDashboards),
    ("TagResource", Rpc::TagResource),
    ("UntagResource", Rpc::UntagResource),
    ("ListTagsForResource", Rpc::ListTagsForResource),
    ("PutMetricAlarm", Rpc::PutMetricAlarm),
    ("PutCompositeAlarm", Rpc::PutCompositeAlarm),
    ("DescribeAlarms", Rpc::DescribeAlarms),
    ("DescribeAlarmsForMetric", Rpc::DescribeAlarmsForMetric),
    ("DescribeAlarmHistory", Rpc::DescribeAlarmHistory),
    ("DeleteAlarms", Rpc::DeleteAlarms),
    ("SetAlarmState", Rpc::SetAlarmState),
    ("EnableAlarmActions", Rpc::EnableAlarmActions),
    ("DisableAlarmActions", Rpc::DisableAlarmActions),
];

fn operation(service: &ServiceSpec, op: &str) -> Option<Rpc> {
    (service.name == routing::CLOUDWATCH.name)
        .then(|| CLOUDWATCH_OPERATIONS.iter().find(|(name, _)| *name == op).map(|(_, rpc)| *rpc))
        .flatten()
}

impl CallOutcome for AwsError {
    fn code(&self) -> tonic::Code {
        match self.status.as_u16() {
            _ if self.code == "Throttling" => tonic::Code::ResourceExhausted,
            403 => tonic::Code::Unauthenticated,
            404 => tonic::Code::NotFound,
            400..=499 => tonic::Code::InvalidArgument,
            503 => tonic::Code::Unavailable,
            _ => tonic::Code::Internal,
        }
    }
    fn overloaded() -> Self {
        AwsError::from_engine(&stratus_engine::Error::Throttled("more than 256 requests in flight; retry later"))
    }
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::RpcV2Cbor => "rpcv2Cbor",
        Protocol::AwsJson => "awsJson",
        Protocol::AwsQuery => "awsQuery",
    }
}

/// The axum handler.
pub(crate) async fn handle(State(api): State<Arc<AwsApi>>, request: axum::extract::Request) -> Response {
    let request_id = new_request_id();
    let (parts, body) = request.into_parts();
    let raw = match axum::body::to_bytes(body, RAW_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            let e = AwsError::from_body(&BodyError::TooLarge { limit: RAW_BODY_LIMIT });
            return render_error(&routing::CLOUDWATCH, Protocol::AwsJson, &e, &request_id);
        }
    };
    let form = parts.uri.query().map(str::as_bytes);
    let route =
        match routing::route(&parts.method, parts.uri.path(), parts.uri.query(), &parts.headers, Some(&raw), |s, op| {
            operation(s, op).is_some()
        }) {
            Ok(r) => r,
            Err(e) => {
                let (service, protocol) = match &e {
                    RouteError::UnknownOperation { service, protocol, .. } => (*service, *protocol),
                    RouteError::Malformed { service, protocol, .. } => {
                        (service.unwrap_or(&routing::CLOUDWATCH), *protocol)
                    }
                    RouteError::NoService => (&routing::CLOUDWATCH, Protocol::AwsJson),
                };
                return render_error(service, protocol, &AwsError::from_route(&e), &request_id);
            }
        };
    let fail = |e: &AwsError| render_error(route.service, route.protocol, e, &request_id);

    let (tenant, caller) = match authenticate(&api.auth, &parts, &raw, route.service) {
        Ok(who) => who,
        Err(e) => return fail(&e),
    };
    let encoding = parts.headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok());
    let limit = if route.operation == "PutDashboard" { DASHBOARD_BODY_LIMIT } else { BODY_LIMIT };
    let body = match body::decode(&raw, encoding, limit) {
        Ok(b) => b,
        Err(e) => return fail(&AwsError::from_body(&e)),
    };
    // awsQuery GETs carry their parameters in the URL.
    let input_bytes: &[u8] = if route.protocol == Protocol::AwsQuery && parts.method == http::Method::GET {
        form.unwrap_or_default()
    } else {
        &body
    };
    let Some(rpc) = operation(route.service, &route.operation) else {
        return fail(&AwsError::internal("routed to an operation that is not served"));
    };
    let parameters = match route.protocol {
        _ if !crate::service::api_events_enabled() => String::new(),
        Protocol::RpcV2Cbor => ciborium::de::from_reader::<ciborium::Value, _>(input_bytes)
            .map(|v| crate::service::render_parameters(&v))
            .unwrap_or_else(|_| format!("<{} bytes of CBOR>", input_bytes.len())),
        Protocol::AwsJson | Protocol::AwsQuery => {
            let head = &input_bytes[..input_bytes.len().min(crate::service::MAX_PARAMETERS + 4)];
            String::from_utf8_lossy(head).into_owned()
        }
    };
    let ctx = CallContext::new(Face::Aws(protocol_name(route.protocol)), rpc, tenant.clone(), caller, parameters);
    let svc = api.service.clone();
    let result = api.service.call(&ctx, dispatch(&svc, &route, tenant, input_bytes)).await;
    match result {
        Ok(reply) => reply.render(&route, &ctx.request_id),
        Err(e) => render_error(route.service, route.protocol, &e, &ctx.request_id),
    }
}

/// Who is calling: the tenant (account, region) and the access key.
fn authenticate(
    auth: &Auth,
    parts: &http::request::Parts,
    raw: &[u8],
    service: &ServiceSpec,
) -> Result<(Tenant, Option<String>), AwsError> {
    match auth {
        Auth::SigV4 { credentials, max_skew } => {
            // HTTP/2 clients send `:authority`, not `host`; the signature covers it as `host`.
            // The headers are copied only in that case.
            let mut with_host: Option<HeaderMap> = None;
            if !parts.headers.contains_key(header::HOST)
                && let Some(authority) = parts.uri.authority()
                && let Ok(v) = HeaderValue::from_str(authority.as_str())
            {
                let mut h = parts.headers.clone();
                h.insert(header::HOST, v);
                with_host = Some(h);
            }
            let request = RequestParts {
                method: &parts.method,
                path: parts.uri.path(),
                query: parts.uri.query().unwrap_or(""),
                headers: with_host.as_ref().unwrap_or(&parts.headers),
                body: raw,
            };
            let who = sigv4::verify(&request, credentials, SystemTime::now(), *max_skew)
                .map_err(|e| AwsError::from_auth(&e))?;
            if who.service != service.signing_name {
                return Err(AwsError::new(
                    "InvalidSignatureException",
                    "SignatureDoesNotMatch",
                    StatusCode::FORBIDDEN,
                    format!("Credential should be scoped to correct service: '{}'.", service.signing_name),
                ));
            }
            Ok((Tenant { account: who.account_id, region: who.region }, Some(who.access_key_id)))
        }
        Auth::Insecure { account, region } => {
            let scoped = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|a| a.split("Credential=").nth(1))
                .and_then(|c| c.split('/').nth(2))
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            Ok((Tenant { account: account.clone(), region: scoped.unwrap_or_else(|| region.clone()) }, None))
        }
    }
}

/// An operation's output, ready to encode in any protocol.
enum Reply {
    Empty,
    Statistics(cw::GetMetricStatisticsOutput),
    Metrics(cw::ListMetricsOutput),
    Data(cw::GetMetricDataOutput),
    PutDashboard(cw::PutDashboardOutput),
    Dashboard(cw::GetDashboardOutput),
    Dashboards(cw::ListDashboardsOutput),
    Tags(cw::ListTagsForResourceOutput),
    Alarms(alarms::DescribeAlarmsOutput),
    AlarmsForMetric(alarms::DescribeAlarmsForMetricOutput),
    AlarmHistory(alarms::DescribeAlarmHistoryOutput),
}

impl Reply {
    fn render(&self, route: &Route, request_id: &str) -> Response {
        match self {
            // PutMetricData, DeleteDashboards, the tag writes and the alarm writes have no
            // output members.
            Reply::Empty => encode(route, &Empty {}, true, request_id),
            Reply::Statistics(o) => encode(route, o, false, request_id),
            Reply::Metrics(o) => encode(route, o, false, request_id),
            Reply::Data(o) => encode(route, o, false, request_id),
            Reply::PutDashboard(o) => encode(route, o, false, request_id),
            Reply::Dashboard(o) => encode(route, o, false, request_id),
            Reply::Dashboards(o) => encode(route, o, false, request_id),
            Reply::Tags(o) => encode(route, o, false, request_id),
            Reply::Alarms(o) => encode(route, o, false, request_id),
            Reply::AlarmsForMetric(o) => encode(route, o, false, request_id),
            Reply::AlarmHistory(o) => encode(route, o, false, request_id),
        }
    }
}

/// Decodes the input shape in the route's protocol.
fn decode<T: DeserializeOwned>(route: &Route, bytes: &[u8]) -> Result<T, AwsError> {
    let bad = AwsError::serialization;
    match route.protocol {
        Protocol::AwsJson => {
            let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
            serde_json::from_slice(bytes).map_err(|e| bad(format!("The request body is not a valid input: {e}")))
        }
        Protocol::RpcV2Cbor => {
            let value: ciborium::Value = if bytes.is_empty() {
                ciborium::Value::Map(Vec::new())
            } else {
                ciborium::de::from_reader(bytes).map_err(|e| bad(format!("The request body is not valid CBOR: {e}")))?
            };
            value.deserialized().map_err(|e| bad(format!("The request body is not a valid input: {e}")))
        }
        Protocol::AwsQuery => {
            let version = route.service.query.map_or("", |(v, _)| v);
            query::from_form::<T>(bytes, version).map(|(_, input)| input).map_err(|e| AwsError::from_query(&e))
        }
    }
}

/// Runs the routed operation.
async fn dispatch(svc: &Service, route: &Route, tenant: Tenant, bytes: &[u8]) -> Result<Reply, AwsError> {
    let from = |e: crate::service::ServiceError| AwsError::from_service(&e);
    match route.operation.as_str() {
        "PutMetricData" => {
            let req = decode::<cw::PutMetricDataInput>(route, bytes)?.into_pb()?;
            svc.put_metric_data(tenant, req).await.map_err(from)?;
            Ok(Reply::Empty)
        }
        "GetMetricStatistics" => {
            let req = decode::<cw::GetMetricStatisticsInput>(route, bytes)?.into_pb()?;
            Ok(Reply::Statistics(svc.get_metric_statistics(tenant, req).await.map_err(from)?.into()))
        }
        "ListMetrics" => {
            let req = decode::<cw::ListMetricsInput>(route, bytes)?.into();
            Ok(Reply::Metrics(svc.list_metrics(tenant, req).await.map_err(from)?.into()))
        }
        "GetMetricData" => {
            let req = decode::<cw::GetMetricDataInput>(route, bytes)?.into_pb()?;
            Ok(Reply::Data(svc.get_metric_data(tenant, req).await.map_err(from)?.into()))
        }
        "PutDashboard" => {
            let input = decode::<cw::PutDashboardInput>(route, bytes)?;
            let name = cw::required(input.dashboard_name, "DashboardName")?;
            let body = cw::required(input.dashboard_body, "DashboardBody")?;
            svc.put_dashboard(tenant, name, body).await.map_err(from)?;
            Ok(Reply::PutDashboard(cw::PutDashboardOutput { dashboard_validation_messages: Vec::new() }))
        }
        "GetDashboard" => {
            let name = cw::required(decode::<cw::GetDashboardInput>(route, bytes)?.dashboard_name, "DashboardName")?;
            let account = tenant.account.clone();
            let d = svc.get_dashboard(tenant, name).await.map_err(from)?;
            Ok(Reply::Dashboard(cw::GetDashboardOutput {
                dashboard_arn: cw::dashboard_arn(&account, &d.name),
                dashboard_body: d.body,
                dashboard_name: d.name,
            }))
        }
        "ListDashboards" => {
            let input = decode::<cw::ListDashboardsInput>(route, bytes)?;
            if input.next_token.as_deref().is_some_and(|t| !t.is_empty()) {
                // Every dashboard is listed in one page, so no token is ever issued.
                return Err(AwsError::from_engine(&stratus_engine::Error::InvalidArgument {
                    code: stratus_engine::InvalidCode::InvalidNextToken,
                    message: "The specified NextToken is invalid.".into(),
                }));
            }
            let account = tenant.account.clone();
            let entries =
                svc.list_dashboards(tenant, input.dashboard_name_prefix.unwrap_or_default()).await.map_err(from)?;
            Ok(Reply::Dashboards(cw::ListDashboardsOutput {
                dashboard_entries: entries
                    .into_iter()
                    .map(|e| cw::DashboardEntry {
                        dashboard_arn: cw::dashboard_arn(&account, &e.name),
                        dashboard_name: e.name,
                        last_modified: Timestamp::from_millis(e.last_modified_ms),
                        size: e.size,
                    })
                    .collect(),
                next_token: None,
            }))
        }
        "DeleteDashboards" => {
            let names = decode::<cw::DeleteDashboardsInput>(route, bytes)?.dashboard_names;
            if names.is_empty() {
                return Err(AwsError::missing("The parameter DashboardNames is required."));
            }
            svc.delete_dashboards(tenant, names).await.map_err(from)?;
            Ok(Reply::Empty)
        }
        "TagResource" | "UntagResource" | "ListTagsForResource" => tags(svc, route, tenant, bytes).await,
        "PutMetricAlarm" => {
            let input = decode::<alarms::PutMetricAlarmInput>(route, bytes)?.into_engine()?;
            svc.put_metric_alarm(tenant, input).await.map_err(from)?;
            Ok(Reply::Empty)
        }
        "PutCompositeAlarm" => {
            let input = decode::<alarms::PutCompositeAlarmInput>(route, bytes)?.into_engine()?;
            svc.put_composite_alarm(tenant, input).await.map_err(from)?;
            Ok(Reply::Empty)
        }
        "DescribeAlarms" => {
            let (q, records) = decode::<alarms::DescribeAlarmsInput>(route, bytes)?.into_engine();
            let r = svc.describe_alarms(tenant, q).await.map_err(from)?;
            Ok(Reply::Alarms(alarms::describe_alarms_output(r, records)))
        }
        "DescribeAlarmsForMetric" => {
            let q = decode::<alarms::DescribeAlarmsForMetricInput>(route, bytes)?.into_engine()?;
            Ok(Reply::AlarmsForMetric(svc.describe_alarms_for_metric(tenant, q).await.map_err(from)?.into()))
        }
        "DescribeAlarmHistory" => {
            let (q, contributor) = decode::<alarms::DescribeAlarmHistoryInput>(route, bytes)?.into_engine()?;
            // The query is still run, so its members are validated as without the filter.
            let mut history = svc.describe_alarm_history(tenant, q).await.map_err(from)?;
            if contributor {
                history = stratus_engine::AlarmHistory::default();
            }
            Ok(Reply::AlarmHistory(history.into()))
        }
        "DeleteAlarms" => {
            let names = decode::<alarms::AlarmNamesInput>(route, bytes)?.names()?;
            svc.delete_alarms(tenant, names).await.map_err(from)?;
            Ok(Reply::Empty)
        }
        "SetAlarmState" => {
            let (name, value, reason, data) = decode::<alarms::SetAlarmStateInput>(route, bytes)?.into_parts()?;
            svc.set_alarm_state(tenant, name, value, reason, data).await.map_err(from)?;
            Ok(Reply::Empty)
        }
        "EnableAlarmActions" | "DisableAlarmActions" => {
            let names = decode::<alarms::AlarmNamesInput>(route, bytes)?.names()?;
            let enabled = route.operation == "EnableAlarmActions";
            svc.set_alarm_actions_enabled(tenant, names, enabled).await.map_err(from)?;
            Ok(Reply::Empty)
        }
        other => Err(AwsError::internal(format!("operation {other} is routed but not dispatched"))),
    }
}

/// The tag operations, on dashboards and alarms.
async fn tags(svc: &Service, route: &Route, tenant: Tenant, bytes: &[u8]) -> Result<Reply, AwsError> {
    use cw::Resource;
    let resource =
        |arn: Option<String>, tenant: &Tenant| cw::resource_of_arn(&cw::required(arn, "ResourceARN")?, tenant);
    // A missing resource is ResourceNotFoundException here (not DashboardNotFoundError or
    // ResourceNotFound, as the resources' own operations answer).
    let not_found = |r: &Resource| {
        let (kind, name) = match r {
            Resource::Dashboard(n) => ("dashboard", n.clone()),
            Resource::Alarm(n) => ("alarm", n.clone()),
        };
        move |e: crate::service::ServiceError| match e {
            crate::service::ServiceError::Engine(stratus_engine::Error::NotFound { .. }) => {
                cw::resource_not_found(kind, &name)
            }
            other => AwsError::from_service(&other),
        }
    };
    match route.operation.as_str() {
        "TagResource" => {
            let input = decode::<cw::TagResourceInput>(route, bytes)?;
            let r = resource(input.resource_arn, &tenant)?;
            let tags = input.tags.into_iter().map(|t| (t.key, t.value)).collect();
            let nf = not_found(&r);
            match r {
                Resource::Dashboard(name) => svc.tag_dashboard(tenant, name, tags).await.map_err(nf)?,
                Resource::Alarm(name) => svc.tag_alarm(tenant, name, tags).await.map_err(nf)?,
            }
            Ok(Reply::Empty)
        }
        "UntagResource" => {
            let input = decode::<cw::UntagResourceInput>(route, bytes)?;
            let r = resource(input.resource_arn, &tenant)?;
            let nf = not_found(&r);
            match r {
                Resource::Dashboard(name) => svc.untag_dashboard(tenant, name, input.tag_keys).await.map_err(nf)?,
                Resource::Alarm(name) => svc.untag_alarm(tenant, name, input.tag_keys).await.map_err(nf)?,
            }
            Ok(Reply::Empty)
        }
        _ => {
            let input = decode::<cw::ListTagsForResourceInput>(route, bytes)?;
            let r = resource(input.resource_arn, &tenant)?;
            let nf = not_found(&r);
            let tags = match r {
                Resource::Dashboard(name) => {
                    svc.get_dashboard(tenant, name).await.map_err(nf)?.tags.into_iter().collect()
                }
                Resource::Alarm(name) => svc.alarm_tags(tenant, name).await.map_err(nf)?,
            };
            let tags = tags.into_iter().map(|(key, value)| cw::Tag { key, value }).collect();
            Ok(Reply::Tags(cw::ListTagsForResourceOutput { tags }))
        }
    }
}

fn response(status: StatusCode, request_id: &str, content_type: Option<&'static str>, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(ct) = content_type {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    r
}

/// A successful answer in the route's protocol. `unit` marks an output without members (an
/// rpcv2Cbor answer then has no body).
fn encode<T: Serialize>(route: &Route, output: &T, unit: bool, request_id: &str) -> Response {
    match route.protocol {
        Protocol::AwsJson => match serde_json::to_vec(output) {
            Ok(body) => response(StatusCode::OK, request_id, Some(route.service.json_content_type), body),
            Err(e) => render_error(route.service, route.protocol, &AwsError::internal(e.to_string()), request_id),
        },
        Protocol::RpcV2Cbor => {
            let mut body = Vec::new();
            if !unit && let Err(e) = ciborium::ser::into_writer(output, &mut body) {
                return render_error(route.service, route.protocol, &AwsError::internal(e.to_string()), request_id);
            }
            let mut r = response(StatusCode::OK, request_id, (!unit).then_some("application/cbor"), body);
            r.headers_mut().insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
            r
        }
        Protocol::AwsQuery => match query::response_xml(&route.operation, output, request_id) {
            Ok(xml) => response(StatusCode::OK, request_id, Some("text/xml"), xml.into_bytes()),
            Err(e) => render_error(route.service, route.protocol, &AwsError::internal(e.to_string()), request_id),
        },
    }
}

/// An error in the protocol the client spoke.
fn render_error(service: &ServiceSpec, protocol: Protocol, e: &AwsError, request_id: &str) -> Response {
    let mut r = match protocol {
        Protocol::AwsJson => response(e.status, request_id, Some(service.json_content_type), e.json_body(service)),
        Protocol::RpcV2Cbor => {
            let mut r = response(e.status, request_id, Some("application/cbor"), e.cbor_body(service));
            r.headers_mut().insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
            r
        }
        Protocol::AwsQuery => {
            let fault = if e.sender { Fault::Sender } else { Fault::Receiver };
            let xml = query::error_xml(fault, e.code, &e.message, request_id);
            response(e.status, request_id, Some("text/xml"), xml.into_bytes())
        }
    };
    let h = r.headers_mut();
    if service.query_compatible
        && protocol != Protocol::AwsQuery
        && let Ok(v) = HeaderValue::from_str(&e.query_error_header())
    {
        h.insert("x-amzn-query-error", v);
    }
    if protocol != Protocol::AwsQuery
        && let Ok(v) = HeaderValue::from_str(e.shape)
    {
        h.insert("x-amzn-errortype", v);
    }
    r
}
