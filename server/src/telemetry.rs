//! The server's own metrics: request counters per rpc and gRPC code, request latency sums, and
//! the engine's stats, rendered in the Prometheus text exposition format (version 0.0.4).
//!
//! A small fixed registry of atomics (relaxed: counters, no ordering with other memory) instead
//! of a metrics crate: the label sets are closed (5 rpcs × 17 gRPC codes). Written by `grpc`,
//! read by `http`'s `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use stratus_engine::EngineStats;
use tonic::Code;

/// The rpcs of `stratus.v1.MetricsService`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rpc {
    PutMetricData = 0,
    GetMetricStatistics = 1,
    ListMetrics = 2,
    Flush = 3,
    GetMetricData = 4,
    PutDashboard = 5,
    GetDashboard = 6,
    ListDashboards = 7,
    DeleteDashboards = 8,
    TagResource = 9,
    UntagResource = 10,
    ListTagsForResource = 11,
    PutMetricAlarm = 12,
    PutCompositeAlarm = 13,
    DescribeAlarms = 14,
    DescribeAlarmsForMetric = 15,
    DescribeAlarmHistory = 16,
    DeleteAlarms = 17,
    SetAlarmState = 18,
    EnableAlarmActions = 19,
    DisableAlarmActions = 20,
}

impl Rpc {
    const ALL: [Rpc; 21] = [
        Rpc::PutMetricData,
        Rpc::GetMetricStatistics,
        Rpc::ListMetrics,
        Rpc::GetMetricData,
        Rpc::Flush,
        Rpc::PutDashboard,
        Rpc::GetDashboard,
        Rpc::ListDashboards,
        Rpc::DeleteDashboards,
        Rpc::TagResource,
        Rpc::UntagResource,
        Rpc::ListTagsForResource,
        Rpc::PutMetricAlarm,
        Rpc::PutCompositeAlarm,
        Rpc::DescribeAlarms,
        Rpc::DescribeAlarmsForMetric,
        Rpc::DescribeAlarmHistory,
        Rpc::DeleteAlarms,
        Rpc::SetAlarmState,
        Rpc::EnableAlarmActions,
        Rpc::DisableAlarmActions,
    ];
    /// Number of rpcs: the first dimension of the counter arrays.
    const COUNT: usize = Rpc::ALL.len();

    fn name(self) -> &'static str {
        match self {
            Rpc::PutMetricData => "PutMetricData",
            Rpc::GetMetricStatistics => "GetMetricStatistics",
            Rpc::ListMetrics => "ListMetrics",
            Rpc::GetMetricData => "GetMetricData",
            Rpc::Flush => "Flush",
            Rpc::PutDashboard => "PutDashboard",
            Rpc::GetDashboard => "GetDashboard",
            Rpc::ListDashboards => "ListDashboards",
            Rpc::DeleteDashboards => "DeleteDashboards",
            Rpc::TagResource => "TagResource",
            Rpc::UntagResource => "UntagResource",
            Rpc::ListTagsForResource => "ListTagsForResource",
            Rpc::PutMetricAlarm => "PutMetricAlarm",
            Rpc::PutCompositeAlarm => "PutCompositeAlarm",
            Rpc::DescribeAlarms => "DescribeAlarms",
            Rpc::DescribeAlarmsForMetric => "DescribeAlarmsForMetric",
            Rpc::DescribeAlarmHistory => "DescribeAlarmHistory",
            Rpc::DeleteAlarms => "DeleteAlarms",
            Rpc::SetAlarmState => "SetAlarmState",
            Rpc::EnableAlarmActions => "EnableAlarmActions",
            Rpc::DisableAlarmActions => "DisableAlarmActions",
        }
    }
}

/// gRPC codes by number, as the canonical upper-case names used for the `code` label.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The counters. Shared as `Arc<Registry>` by the gRPC service and the HTTP handler.
#[derive(Debug)]
pub(crate) struct Registry {
    started: Instant,
    /// `[rpc][code]` request counts.
    requests: [[AtomicU64; 17]; Rpc::COUNT],
    /// `[rpc]` total handling time in microseconds.
    request_micros: [AtomicU64; Rpc::COUNT],
    /// Samples acknowledged to PutMetricData callers.
    samples_accepted: AtomicU64,
}

impl Registry {
    pub(crate) fn new() -> Self {
        Registry {
            started: Instant::now(),
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            request_micros: std::array::from_fn(|_| AtomicU64::new(0)),
            samples_accepted: AtomicU64::new(0),
        }
    }

    /// Counts one finished request.
    pub(crate) fn record(&self, rpc: Rpc, code: Code, elapsed: Duration) {
        let code = usize::try_from(code as i32).ok().filter(|c| *c < CODE_NAMES.len()).unwrap_or(2);
        self.requests[rpc as usize][code].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.request_micros[rpc as usize].fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts samples acknowledged durably.
    pub(crate) fn samples_accepted(&self, n: u64) {
        self.samples_accepted.fetch_add(n, Ordering::Relaxed);
    }

    /// Requests of `rpc` answered with `code` so far.
    #[cfg(test)]
    pub(crate) fn requests(&self, rpc: Rpc, code: Code) -> u64 {
        self.requests[rpc as usize][code as usize].load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of the server and engine metrics.
    pub(crate) fn render(&self, engine: &EngineStats) -> String {
        let mut out = String::with_capacity(4096);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let one = |v: u64| [(String::new(), v as f64)];

        let mut requests = Vec::new();
        let mut seconds = Vec::new();
        for rpc in Rpc::ALL {
            for (code, name) in CODE_NAMES.iter().enumerate() {
                let n = self.requests[rpc as usize][code].load(Ordering::Relaxed);
                // OK is always shown so dashboards have a series before the first error.
                if n > 0 || code == 0 {
                    requests.push((format!("{{rpc=\"{}\",code=\"{name}\"}}", rpc.name()), n as f64));
                }
            }
            let micros = self.request_micros[rpc as usize].load(Ordering::Relaxed);
            seconds.push((format!("{{rpc=\"{}\"}}", rpc.name()), micros as f64 / 1e6));
        }
        metric("stratus_requests_total", "counter", "gRPC requests handled, by rpc and status code.", &requests);
        metric(
            "stratus_request_duration_seconds_total",
            "counter",
            "Total time spent handling gRPC requests, by rpc.",
            &seconds,
        );
        metric(
            "stratus_samples_accepted_total",
            "counter",
            "Samples acknowledged to PutMetricData callers.",
            &one(self.samples_accepted.load(Ordering::Relaxed)),
        );
        metric(
            "stratus_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
            &[(String::new(), self.started.elapsed().as_secs_f64())],
        );
        metric("stratus_series", "gauge", "Series known to the engine.", &one(engine.series));
        metric(
            "stratus_head_samples",
            "gauge",
            "Samples in the in-memory head, not yet sealed.",
            &one(engine.head_samples),
        );
        metric("stratus_blocks", "gauge", "Immutable blocks on disk.", &one(engine.blocks));
        metric("stratus_block_bytes", "gauge", "Bytes of immutable blocks on disk.", &one(engine.block_bytes));
        metric(
            "stratus_samples_appended_total",
            "counter",
            "Samples appended to the engine since it opened.",
            &one(engine.samples_appended),
        );
        metric("stratus_block_samples", "gauge", "Samples in immutable blocks on disk.", &one(engine.block_samples));
        metric(
            "stratus_commits_total",
            "counter",
            "Write commits accepted since the engine opened.",
            &one(engine.commits),
        );
        metric(
            "stratus_throttled_total",
            "counter",
            "Writes refused for overload since the engine opened.",
            &one(engine.throttled),
        );
        metric(
            "stratus_seals_total",
            "counter",
            "Heads sealed into blocks since the engine opened.",
            &one(engine.seals),
        );
        metric(
            "stratus_compactions_total",
            "counter",
            "Compactions since the engine opened.",
            &one(engine.compactions),
        );
        metric("stratus_wal_syncs_total", "counter", "WAL fsyncs since the engine opened.", &one(engine.wal_syncs));
        metric(
            "stratus_wal_bytes_total",
            "counter",
            "Bytes written to the WAL since the engine opened.",
            &one(engine.wal_bytes),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let r = Registry::new();
        r.record(Rpc::PutMetricData, Code::Ok, Duration::from_millis(2));
        r.record(Rpc::PutMetricData, Code::InvalidArgument, Duration::from_millis(1));
        r.record(Rpc::PutMetricData, Code::InvalidArgument, Duration::from_millis(1));
        r.samples_accepted(7);
        let stats = EngineStats {
            series: 3,
            head_samples: 4,
            blocks: 1,
            block_bytes: 100,
            samples_appended: 7,
            wal_syncs: 2,
            wal_bytes: 99,
            compactions: 5,
            ..EngineStats::default()
        };
        let text = r.render(&stats);
        for line in [
            "# TYPE stratus_requests_total counter",
            "stratus_requests_total{rpc=\"PutMetricData\",code=\"OK\"} 1",
            "stratus_requests_total{rpc=\"PutMetricData\",code=\"INVALID_ARGUMENT\"} 2",
            "stratus_requests_total{rpc=\"Flush\",code=\"OK\"} 0",
            "stratus_requests_total{rpc=\"GetMetricData\",code=\"OK\"} 0",
            "stratus_request_duration_seconds_total{rpc=\"PutMetricData\"} 0.004",
            "stratus_samples_accepted_total 7",
            "stratus_series 3",
            "stratus_wal_bytes_total 99",
            "stratus_compactions_total 5",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("RESOURCE_EXHAUSTED"));
        assert_eq!(r.requests(Rpc::PutMetricData, Code::InvalidArgument), 2);
    }
}
