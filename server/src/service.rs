//! The service layer both faces call: the gRPC face (`grpc.rs`) and the AWS face (`aws/`) turn
//! their requests into the protobuf messages of `stratus.v1` (which mirror CloudWatch's shapes
//! member for member), and every operation runs here, once: `convert` validates and builds the
//! engine request, the engine call runs on tokio's blocking pool (it may block on disk), and the
//! response message is built. Faces only translate wire formats and map [`ServiceError`] to
//! their error shapes.
//!
//! Every call passes through [`Service::call`], the one middleware: it bounds requests in flight
//! (beyond [`MAX_IN_FLIGHT`] a call is refused at once with `Throttling`, so overload never turns
//! into unbounded memory), counts the outcome in `telemetry`, and emits one structured `api`
//! event with the call's context — request id, face, operation, caller, tenant, outcome — the
//! seam where the audit trail attaches.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use stratus_engine::{
    AlarmHistory, CompositeAlarmInput, Dashboard, DashboardEntry, DescribeAlarmHistory, DescribeAlarms,
    DescribeAlarmsForMetric, DescribeAlarmsResult, Engine, Error, MetricAlarm, MetricAlarmInput, Tenant,
};
use stratus_proto::v1 as pb;

use crate::convert;
use crate::telemetry::{Registry, Rpc};

/// Requests handled at once, across connections and faces.
pub(crate) const MAX_IN_FLIGHT: usize = 256;

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum ServiceError {
    /// The engine (or validation, which speaks the engine's error) refused or failed.
    Engine(Error),
    /// The engine task did not return (it panicked, or the runtime is shutting down).
    TaskFailed(String),
}

impl From<Error> for ServiceError {
    fn from(e: Error) -> Self {
        ServiceError::Engine(e)
    }
}

/// Which face a call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    /// `stratus.v1` over gRPC.
    Grpc,
    /// The AWS HTTP endpoint, with the protocol (`awsJson`, `rpcv2Cbor`, `awsQuery`).
    Aws(&'static str),
}

/// What the middleware needs of a face's error: the gRPC-style code it is counted under, and
/// the error to answer when too many calls are in flight.
pub(crate) trait CallOutcome {
    /// The code the call is counted under in `telemetry`.
    fn code(&self) -> tonic::Code;
    /// The refusal for a call over [`MAX_IN_FLIGHT`].
    fn overloaded() -> Self;
}

impl CallOutcome for ServiceError {
    fn code(&self) -> tonic::Code {
        crate::status::from_service(self).code()
    }
    fn overloaded() -> Self {
        ServiceError::Engine(Error::Throttled("more than 256 requests in flight; retry later"))
    }
}

/// What the middleware knows of a call.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    /// Request id returned to the client (`x-amzn-RequestId` on the AWS face).
    pub(crate) request_id: String,
    /// The face and protocol.
    pub(crate) face: Face,
    /// The operation.
    pub(crate) operation: Rpc,
    /// The caller's access key id, when the call was authenticated.
    pub(crate) caller: Option<String>,
    /// The tenant the call acts on.
    pub(crate) tenant: Tenant,
    /// The request's parameters, rendered for the call event (at most [`MAX_PARAMETERS`] bytes).
    pub(crate) parameters: String,
}

/// Longest rendering of a call's parameters kept in its event.
pub(crate) const MAX_PARAMETERS: usize = 2048;

/// Whether call events are recorded (the `stratus::api` target at debug level); faces render
/// parameters only then, so an ingest request is never formatted for nothing.
pub(crate) fn api_events_enabled() -> bool {
    tracing::enabled!(target: "stratus::api", tracing::Level::DEBUG)
}

/// `value`'s `Debug` rendering, stopping after [`MAX_PARAMETERS`] bytes (a large request is never
/// formatted in full).
pub(crate) fn render_parameters(value: &dyn std::fmt::Debug) -> String {
    struct Bounded(String);
    impl std::fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.push_str(s);
            if self.0.len() > MAX_PARAMETERS { Err(std::fmt::Error) } else { Ok(()) }
        }
    }
    let mut out = Bounded(String::new());
    let _ = std::fmt::write(&mut out, format_args!("{value:?}"));
    truncate_parameters(out.0)
}

/// `text` cut to at most [`MAX_PARAMETERS`] bytes on a character boundary, marked when cut.
pub(crate) fn truncate_parameters(mut text: String) -> String {
    if text.len() > MAX_PARAMETERS {
        let mut end = MAX_PARAMETERS;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

impl CallContext {
    /// A context with a fresh request id.
    pub(crate) fn new(
        face: Face,
        operation: Rpc,
        tenant: Tenant,
        caller: Option<String>,
        parameters: String,
    ) -> CallContext {
        CallContext {
            request_id: new_request_id(),
            face,
            operation,
            caller,
            tenant,
            parameters: truncate_parameters(parameters),
        }
    }
}

/// A request id: 128 random-looking bits as a UUID-shaped string (what AWS SDKs expect to see),
/// from the process's hasher seed and a counter — unique per process, no extra dependency.
pub(crate) fn new_request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let state = std::collections::hash_map::RandomState::new();
    let mut a = state.build_hasher();
    a.write_u64(n);
    let mut b = state.build_hasher();
    b.write_u64(!n);
    let (x, y) = (a.finish(), b.finish());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0x0fff,
        (y >> 48) & 0x3fff | 0x8000,
        y & 0xffff_ffff_ffff
    )
}

/// The operations, shared by both faces.
#[derive(Clone)]
pub(crate) struct Service {
    engine: Arc<Engine>,
    registry: Arc<Registry>,
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

impl Service {
    pub(crate) fn new(engine: Arc<Engine>, registry: Arc<Registry>) -> Service {
        Service { engine, registry, in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)) }
    }

    /// The middleware: runs `op` under the in-flight bound, counts and logs its outcome.
    pub(crate) async fn call<T, E: CallOutcome>(
        &self,
        ctx: &CallContext,
        op: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let start = Instant::now();
        let result = match self.in_flight.try_acquire() {
            Ok(_permit) => op.await,
            Err(_) => Err(E::overloaded()),
        };
        let code = match &result {
            Ok(_) => tonic::Code::Ok,
            Err(e) => e.code(),
        };
        self.registry.record(ctx.operation, code, start.elapsed());
        tracing::debug!(
            target: "stratus::api",
            request_id = %ctx.request_id,
            face = ?ctx.face,
            operation = ?ctx.operation,
            caller = ctx.caller.as_deref().unwrap_or("-"),
            account = %ctx.tenant.account,
            region = %ctx.tenant.region,
            parameters = %ctx.parameters,
            outcome = ?code,
            micros = start.elapsed().as_micros() as u64,
            "api call"
        );
        result
    }

    /// Runs `f` on the engine from the blocking pool.
    async fn blocking<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, Error> + Send + 'static,
    {
        let engine = Arc::clone(&self.engine);
        match tokio::task::spawn_blocking(move || f(&engine)).await {
            Ok(result) => result.map_err(ServiceError::Engine),
            Err(join) => {
                tracing::error!(error = %join, "engine task failed");
                Err(ServiceError::TaskFailed(join.to_string()))
            }
        }
    }

    /// PutMetricData: answers only after the commit ticket, i.e. once the write is as durable
    /// as the engine's durability policy promises.
    pub(crate) async fn put_metric_data(
        &self,
        tenant: Tenant,
        req: pb::PutMetricDataRequest,
    ) -> Result<pb::PutMetricDataResponse, ServiceError> {
        let req = convert::put_metric_data(req)?;
        let receipt = self.blocking(move |engine| engine.put_metric_data(&tenant, &req)).await?;
        receipt.ticket.await.map_err(|e| ServiceError::Engine(Error::from(e)))?;
        self.registry.samples_accepted(receipt.samples);
        Ok(pb::PutMetricDataResponse { samples_accepted: receipt.samples })
    }

    /// GetMetricStatistics.
    pub(crate) async fn get_metric_statistics(
        &self,
        tenant: Tenant,
        req: pb::GetMetricStatisticsRequest,
    ) -> Result<pb::GetMetricStatisticsResponse, ServiceError> {
        let query = convert::statistics_query(req)?;
        let result = self.blocking(move |engine| engine.get_metric_statistics(&tenant, &query)).await?;
        Ok(convert::statistics_response(result))
    }

    /// ListMetrics.
    pub(crate) async fn list_metrics(
        &self,
        tenant: Tenant,
        req: pb::ListMetricsRequest,
    ) -> Result<pb::ListMetricsResponse, ServiceError> {
        let query = convert::list_metrics_query(req)?;
        let page = self.blocking(move |engine| engine.list_metrics(&tenant, &query)).await?;
        Ok(convert::list_metrics_response(page))
    }

    /// GetMetricData.
    pub(crate) async fn get_metric_data(
        &self,
        tenant: Tenant,
        req: pb::GetMetricDataRequest,
    ) -> Result<pb::GetMetricDataResponse, ServiceError> {
        let query = convert::get_metric_data_request(req)?;
        let result = self.blocking(move |engine| engine.get_metric_data(&tenant, &query)).await?;
        Ok(convert::get_metric_data_response(result))
    }

    /// PutDashboard.
    pub(crate) async fn put_dashboard(&self, tenant: Tenant, name: String, body: String) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.put_dashboard(&tenant, &name, &body)).await
    }

    /// GetDashboard.
    pub(crate) async fn get_dashboard(&self, tenant: Tenant, name: String) -> Result<Dashboard, ServiceError> {
        self.blocking(move |engine| engine.get_dashboard(&tenant, &name)).await
    }

    /// ListDashboards.
    pub(crate) async fn list_dashboards(
        &self,
        tenant: Tenant,
        prefix: String,
    ) -> Result<Vec<DashboardEntry>, ServiceError> {
        self.blocking(move |engine| engine.list_dashboards(&tenant, &prefix)).await
    }

    /// DeleteDashboards.
    pub(crate) async fn delete_dashboards(&self, tenant: Tenant, names: Vec<String>) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.delete_dashboards(&tenant, &names)).await
    }

    /// TagResource on a dashboard.
    pub(crate) async fn tag_dashboard(
        &self,
        tenant: Tenant,
        name: String,
        tags: Vec<(String, String)>,
    ) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.tag_dashboard(&tenant, &name, &tags)).await
    }

    /// UntagResource on a dashboard.
    pub(crate) async fn untag_dashboard(
        &self,
        tenant: Tenant,
        name: String,
        keys: Vec<String>,
    ) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.untag_dashboard(&tenant, &name, &keys)).await
    }

    /// PutMetricAlarm.
    pub(crate) async fn put_metric_alarm(&self, tenant: Tenant, input: MetricAlarmInput) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.put_metric_alarm(&tenant, &input)).await
    }

    /// PutCompositeAlarm.
    pub(crate) async fn put_composite_alarm(
        &self,
        tenant: Tenant,
        input: CompositeAlarmInput,
    ) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.put_composite_alarm(&tenant, &input)).await
    }

    /// DescribeAlarms.
    pub(crate) async fn describe_alarms(
        &self,
        tenant: Tenant,
        q: DescribeAlarms,
    ) -> Result<DescribeAlarmsResult, ServiceError> {
        self.blocking(move |engine| engine.describe_alarms(&tenant, &q)).await
    }

    /// DescribeAlarmsForMetric.
    pub(crate) async fn describe_alarms_for_metric(
        &self,
        tenant: Tenant,
        q: DescribeAlarmsForMetric,
    ) -> Result<Vec<MetricAlarm>, ServiceError> {
        self.blocking(move |engine| engine.describe_alarms_for_metric(&tenant, &q)).await
    }

    /// DescribeAlarmHistory.
    pub(crate) async fn describe_alarm_history(
        &self,
        tenant: Tenant,
        q: DescribeAlarmHistory,
    ) -> Result<AlarmHistory, ServiceError> {
        self.blocking(move |engine| engine.describe_alarm_history(&tenant, &q)).await
    }

    /// DeleteAlarms.
    pub(crate) async fn delete_alarms(&self, tenant: Tenant, names: Vec<String>) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.delete_alarms(&tenant, &names)).await
    }

    /// SetAlarmState.
    pub(crate) async fn set_alarm_state(
        &self,
        tenant: Tenant,
        name: String,
        state_value: String,
        reason: String,
        reason_data: Option<String>,
    ) -> Result<(), ServiceError> {
        self.blocking(move |engine| {
            engine.set_alarm_state(&tenant, &name, &state_value, &reason, reason_data.as_deref())
        })
        .await
    }

    /// EnableAlarmActions (`enabled`) or DisableAlarmActions.
    pub(crate) async fn set_alarm_actions_enabled(
        &self,
        tenant: Tenant,
        names: Vec<String>,
        enabled: bool,
    ) -> Result<(), ServiceError> {
        self.blocking(move |engine| {
            if enabled {
                engine.enable_alarm_actions(&tenant, &names)
            } else {
                engine.disable_alarm_actions(&tenant, &names)
            }
        })
        .await
    }

    /// TagResource on an alarm.
    pub(crate) async fn tag_alarm(
        &self,
        tenant: Tenant,
        name: String,
        tags: Vec<(String, String)>,
    ) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.tag_alarm(&tenant, &name, &tags)).await
    }

    /// UntagResource on an alarm.
    pub(crate) async fn untag_alarm(
        &self,
        tenant: Tenant,
        name: String,
        keys: Vec<String>,
    ) -> Result<(), ServiceError> {
        self.blocking(move |engine| engine.untag_alarm(&tenant, &name, &keys)).await
    }

    /// ListTagsForResource on an alarm.
    pub(crate) async fn alarm_tags(&self, tenant: Tenant, name: String) -> Result<Vec<(String, String)>, ServiceError> {
        self.blocking(move |engine| engine.alarm_tags(&tenant, &name)).await
    }

    /// Flush (admin): seal the head, and with `compact` merge every block.
    pub(crate) async fn flush(&self, req: pb::FlushRequest) -> Result<pb::FlushResponse, ServiceError> {
        let compact = req.compact;
        let report = self.blocking(move |engine| engine.flush(compact)).await?;
        Ok(convert::flush_response(&report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_values_are_rendered_only_up_to_the_bound() {
        let big = vec![1.5f64; 1_000_000];
        let r = render_parameters(&big);
        assert!(r.len() <= MAX_PARAMETERS + 3 && r.starts_with("[1.5, 1.5"), "{}", r.len());
    }

    #[test]
    fn parameters_are_cut_on_a_character_boundary() {
        assert_eq!(truncate_parameters("short".into()), "short");
        let long = "é".repeat(MAX_PARAMETERS);
        let cut = truncate_parameters(long);
        assert!(cut.len() <= MAX_PARAMETERS + "…".len() && cut.ends_with('…'));
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let ids: Vec<String> = (0..1000).map(|_| new_request_id()).collect();
        for id in &ids {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()), "{id}");
            assert!(parts[2].starts_with('4'), "{id}");
        }
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
