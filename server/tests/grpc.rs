//! The server in-process: `run_with_listeners` on 127.0.0.1:0 with its own shutdown, driven
//! through the generated gRPC client, the health and reflection services, and raw HTTP.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost_types::Timestamp;
use stratus_engine::EngineConfig;
use stratus_proto::v1 as pb;
use stratus_proto::v1::metrics_service_client::MetricsServiceClient;
use stratus_server::{ServerConfig, run_with_listeners};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::{Code, Request};

/// Upper bound on any single wait in these tests.
const WAIT: Duration = Duration::from_secs(30);

struct TestServer {
    grpc: SocketAddr,
    http: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    async fn start(dir: &Path) -> TestServer {
        let grpc_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc = grpc_listener.local_addr().unwrap();
        let http = http_listener.local_addr().unwrap();
        let config = ServerConfig {
            data_dir: dir.to_path_buf(),
            engine: EngineConfig { shards: 2, ..EngineConfig::default() },
            ..ServerConfig::default()
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run_with_listeners(config, grpc_listener, http_listener, async move {
            let _ = stopped.await;
        }));
        TestServer { grpc, http, stop: Some(stop), task }
    }

    async fn client(&self) -> MetricsServiceClient<Channel> {
        let channel = tokio::time::timeout(WAIT, async {
            loop {
                // Connecting succeeds at once (the listener is bound); wait until the engine is
                // open and the service answers.
                if let Ok(channel) = Channel::from_shared(format!("http://{}", self.grpc)).unwrap().connect().await {
                    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
                    let req = tonic_health::pb::HealthCheckRequest { service: "stratus.v1.MetricsService".into() };
                    if health.check(req).await.is_ok() {
                        return channel;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("server did not become ready");
        MetricsServiceClient::new(channel)
    }

    /// Ordered shutdown; returns what `run` returned.
    async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(WAIT, self.task).await.expect("shutdown timed out").expect("server task panicked")
    }
}

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

fn ts(ms: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds: ms.div_euclid(1000), nanos: i32::try_from(ms.rem_euclid(1000)).unwrap() * 1_000_000 })
}

fn dim(name: &str, value: &str) -> pb::Dimension {
    pb::Dimension { name: name.into(), value: value.into() }
}

fn datum(at_ms: i64, f: impl FnOnce(&mut pb::MetricDatum)) -> pb::MetricDatum {
    let mut d = pb::MetricDatum {
        metric_name: "Latency".into(),
        dimensions: vec![dim("host", "h1"), dim("az", "a")],
        timestamp: ts(at_ms),
        ..Default::default()
    };
    f(&mut d);
    d
}

/// The start of a minute half an hour ago: inside the accepted timestamp window.
fn base_ms() -> i64 {
    (now_ms() - 30 * 60_000).div_euclid(60_000) * 60_000
}

/// Writes all three datum forms plus a bulk entry (out of order, with a duplicate) into two
/// one-minute buckets starting at `base`.
async fn put_fixture(client: &mut MetricsServiceClient<Channel>, base: i64) {
    let req = pb::PutMetricDataRequest {
        namespace: "Test/App".into(),
        metric_data: vec![
            datum(base + 10_000, |d| d.value = Some(1.0)),
            datum(base + 5_000, |d| d.value = Some(3.0)), // out of order
            datum(base + 5_000, |d| d.value = Some(3.0)), // duplicate: counts twice
            datum(base + 20_000, |d| {
                // dimensions in another order: same metric
                d.dimensions.reverse();
                d.values = vec![2.0, 4.0];
                d.counts = vec![1.0, 3.0];
            }),
            datum(base + 70_000, |d| {
                d.statistic_values =
                    Some(pb::StatisticSet { sample_count: 5.0, sum: 50.0, minimum: 5.0, maximum: 15.0 });
            }),
        ],
        series: vec![pb::SeriesBatch {
            metric_name: "Latency".into(),
            dimensions: vec![dim("az", "a"), dim("host", "h1")],
            unit: String::new(),
            storage_resolution: 60,
            timestamps_ms: vec![base + 90_000, base + 80_000],
            values: vec![9.0, 7.0],
        }],
    };
    let resp = client.put_metric_data(req).await.expect("put").into_inner();
    assert!(resp.samples_accepted >= 8, "{resp:?}");
}

fn stats_request(base: i64) -> pb::GetMetricStatisticsRequest {
    pb::GetMetricStatisticsRequest {
        namespace: "Test/App".into(),
        metric_name: "Latency".into(),
        dimensions: vec![dim("host", "h1"), dim("az", "a")],
        start_time: ts(base),
        end_time: ts(base + 120_000),
        period: 60,
        statistics: ["SampleCount", "Average", "Sum", "Minimum", "Maximum"].map(String::from).to_vec(),
        extended_statistics: vec![],
        unit: String::new(),
    }
}

/// The fixture's statistics, computed by hand: bucket 0 holds 1, 3, 3 and {2×1, 4×3}; bucket 1
/// holds the set {n=5, sum=50, 5..15} and 7, 9.
fn assert_fixture_stats(resp: &pb::GetMetricStatisticsResponse, base: i64) {
    assert_eq!(resp.label, "Latency");
    let got: Vec<_> = resp
        .datapoints
        .iter()
        .map(|d| (d.timestamp, d.sample_count, d.sum, d.minimum, d.maximum, d.unit.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (ts(base), Some(7.0), Some(21.0), Some(1.0), Some(4.0), "None"),
            (ts(base + 60_000), Some(7.0), Some(66.0), Some(5.0), Some(15.0), "None"),
        ]
    );
    assert_eq!(resp.datapoints[0].average, Some(3.0));
    assert!((resp.datapoints[1].average.unwrap() - 66.0 / 7.0).abs() < 1e-12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_query_list_flush_restart() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_ms();

    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    put_fixture(&mut client, base).await;
    let resp = client.get_metric_statistics(stats_request(base)).await.unwrap().into_inner();
    assert_fixture_stats(&resp, base);

    // A subset of the dimensions is another metric: nothing.
    let mut subset = stats_request(base);
    subset.dimensions.pop();
    assert!(client.get_metric_statistics(subset).await.unwrap().into_inner().datapoints.is_empty());

    let list = client
        .list_metrics(pb::ListMetricsRequest { namespace: "Test/App".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.metrics.len(), 1, "{list:?}");
    assert_eq!(list.metrics[0].metric_name, "Latency");
    assert_eq!(list.next_token, "");

    // Another tenant sees nothing of the default tenant's data.
    let mut req = Request::new(pb::ListMetricsRequest::default());
    req.metadata_mut().insert("x-stratus-account", "999999999999".parse().unwrap());
    assert!(client.list_metrics(req).await.unwrap().into_inner().metrics.is_empty());

    // Sealed into blocks: same answers.
    let flushed = client.flush(pb::FlushRequest { compact: true }).await.unwrap().into_inner();
    assert!(flushed.samples_on_disk > 0, "{flushed:?}");
    let resp = client.get_metric_statistics(stats_request(base)).await.unwrap().into_inner();
    assert_fixture_stats(&resp, base);

    // More data in the head, then an ordered shutdown and a restart: everything is back.
    let req = pb::PutMetricDataRequest {
        namespace: "Test/App".into(),
        metric_data: vec![datum(base + 30_000, |d| d.value = Some(2.0))],
        series: vec![],
    };
    client.put_metric_data(req).await.unwrap();
    drop(client);
    server.stop().await.expect("clean shutdown");

    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let resp = client.get_metric_statistics(stats_request(base)).await.unwrap().into_inner();
    let first = &resp.datapoints[0];
    assert_eq!((first.sample_count, first.sum), (Some(8.0), Some(23.0)), "{resp:?}");
    assert_eq!(resp.datapoints[1].sample_count, Some(7.0));
    drop(client);
    server.stop().await.expect("clean shutdown");
}

fn get_metric_data_request(base: i64, queries: Vec<pb::MetricDataQuery>) -> pb::GetMetricDataRequest {
    pb::GetMetricDataRequest {
        metric_data_queries: queries,
        start_time: ts(base),
        end_time: ts(base + 120_000),
        scan_by: "TimestampAscending".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_metric_data_through_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_ms();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    put_fixture(&mut client, base).await;

    let sum = pb::MetricDataQuery {
        id: "m1".into(),
        metric_stat: Some(pb::MetricStat {
            metric: Some(pb::Metric {
                namespace: "Test/App".into(),
                metric_name: "Latency".into(),
                dimensions: vec![dim("az", "a"), dim("host", "h1")],
            }),
            period: 60,
            stat: "Sum".into(),
            unit: String::new(),
        }),
        return_data: Some(false),
        ..Default::default()
    };
    let twice = pb::MetricDataQuery { id: "e1".into(), expression: "m1 * 2".into(), ..Default::default() };
    let resp = client.get_metric_data(get_metric_data_request(base, vec![sum.clone(), twice.clone()])).await.unwrap();
    let resp = resp.into_inner();
    // The fixture's sums (see `assert_fixture_stats`): 21 and 66, doubled.
    let [r] = &resp.metric_data_results[..] else { panic!("one result: {resp:?}") };
    assert_eq!((r.id.as_str(), r.status_code.as_str()), ("e1", "Complete"));
    assert_eq!(r.timestamps, vec![ts(base).unwrap(), ts(base + 60_000).unwrap()]);
    assert_eq!(r.values, vec![42.0, 132.0]);
    assert!(resp.next_token.is_empty() && resp.messages.is_empty(), "{resp:?}");

    // Another tenant has no such metric: an empty, complete result.
    let mut req = Request::new(get_metric_data_request(base, vec![pb::MetricDataQuery { return_data: None, ..sum }]));
    req.metadata_mut().insert("x-stratus-account", "999999999999".parse().unwrap());
    let resp = client.get_metric_data(req).await.unwrap().into_inner();
    let [r] = &resp.metric_data_results[..] else { panic!("one result: {resp:?}") };
    assert!(r.timestamps.is_empty() && r.values.is_empty() && r.status_code == "Complete", "{resp:?}");

    let bad = pb::MetricDataQuery { id: "E1".into(), ..twice };
    let status = rejected(client.get_metric_data(get_metric_data_request(base, vec![bad])).await);
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("InvalidParameterValue: "), "{status:?}");
    assert!(status.message().contains("MetricDataQueries.member.1.Id"), "{status:?}");

    let metrics = http_get(server.http, "/metrics").await;
    for line in [
        "stratus_requests_total{rpc=\"GetMetricData\",code=\"OK\"} 2",
        "stratus_requests_total{rpc=\"GetMetricData\",code=\"INVALID_ARGUMENT\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} missing in {metrics}");
    }
    drop(client);
    server.stop().await.unwrap();
}

/// The status of a call that must fail.
fn rejected<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> tonic::Status {
    r.expect_err("request should be rejected")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_with_aws_codes_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let put = |data: Vec<pb::MetricDatum>| pb::PutMetricDataRequest {
        namespace: "Test/Bad".into(),
        metric_data: data,
        series: vec![],
    };
    let good = datum(now, |d| d.value = Some(1.0));

    let cases: Vec<(pb::PutMetricDataRequest, &str)> = vec![
        (
            put(vec![good.clone(), datum(now, |d| d.value = Some(f64::NAN))]),
            "InvalidParameterValue: The value NaN for parameter MetricData.member.2.Value is invalid.",
        ),
        (
            put(vec![datum(now, |d| {
                d.value = Some(1.0);
                d.values = vec![1.0];
            })]),
            "InvalidParameterCombination: The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.",
        ),
        (
            put(vec![datum(now, |d| {
                d.value = Some(1.0);
                d.unit = "Furlongs".into();
            })]),
            "InvalidParameterValue: The value Furlongs for parameter MetricData.member.1.Unit is invalid.",
        ),
        (
            put(vec![datum(now, |d| {
                d.value = Some(1.0);
                d.storage_resolution = 10;
            })]),
            "InvalidParameterValue: The value 10 for parameter MetricData.member.1.StorageResolution is invalid.",
        ),
        (put(vec![datum(now, |_| {})]), "MissingParameter: The parameter MetricData.member.1.Value is required."),
        (
            put(vec![good.clone(); 1001]),
            "InvalidParameterValue: The collection MetricData must not have a size greater than 1000.",
        ),
    ];
    for (req, message) in cases {
        let status = rejected(client.put_metric_data(req).await);
        assert_eq!((status.code(), status.message()), (Code::InvalidArgument, message));
    }

    // Rules the engine owns come back the same way.
    for (req, prefix) in [
        (pb::PutMetricDataRequest { namespace: String::new(), ..put(vec![good.clone()]) }, "MissingParameter: "),
        (
            pb::PutMetricDataRequest { namespace: "AWS/EC2".into(), ..put(vec![good.clone()]) },
            "InvalidParameterValue: ",
        ),
        (put(vec![datum(now - 15 * 24 * 3_600_000, |d| d.value = Some(1.0))]), "InvalidParameterValue: "),
        (put(vec![]), "MissingParameter: "),
    ] {
        let status = rejected(client.put_metric_data(req).await);
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(prefix), "{status:?}");
    }

    let mut q = stats_request(now);
    q.statistics = vec!["Average".into(), "p99.9".into()];
    let status = rejected(client.get_metric_statistics(q).await);
    assert_eq!(
        status.message(),
        "InvalidParameterValue: The value p99.9 for parameter Statistics.member.2 is invalid."
    );
    let mut q = stats_request(now);
    q.start_time = None;
    let status = rejected(client.get_metric_statistics(q).await);
    assert_eq!(status.message(), "MissingParameter: The parameter StartTime is required.");
    let mut q = stats_request(now);
    q.end_time = q.start_time;
    let status = rejected(client.get_metric_statistics(q).await);
    assert!(status.message().starts_with("InvalidParameterValue: "), "{status:?}");
    let mut q = stats_request(now);
    q.period = 7;
    assert_eq!(rejected(client.get_metric_statistics(q).await).code(), Code::InvalidArgument);

    let status = rejected(
        client.list_metrics(pb::ListMetricsRequest { recently_active: "PT1H".into(), ..Default::default() }).await,
    );
    assert_eq!(status.message(), "InvalidParameterValue: The value PT1H for parameter RecentlyActive is invalid.");

    // Nothing of any rejected request was stored (the first case had a valid datum).
    let list = client
        .list_metrics(pb::ListMetricsRequest { namespace: "Test/Bad".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(list.metrics.is_empty(), "{list:?}");

    // Still serving.
    client.put_metric_data(put(vec![good])).await.unwrap();
    let metrics = http_get(server.http, "/metrics").await;
    assert!(
        metrics.contains("stratus_requests_total{rpc=\"PutMetricData\",code=\"INVALID_ARGUMENT\"} 10"),
        "{metrics}"
    );
    assert!(metrics.contains("stratus_requests_total{rpc=\"PutMetricData\",code=\"OK\"} 1"), "{metrics}");
    drop(client);
    server.stop().await.unwrap();
}

/// A plain HTTP/1.1 GET; returns status line, headers and body.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    tokio::time::timeout(WAIT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        out
    })
    .await
    .expect("HTTP request timed out")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reflection_and_http_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let client = server.client().await;

    let channel = Channel::from_shared(format!("http://{}", server.grpc)).unwrap().connect().await.unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    for service in ["", "stratus.v1.MetricsService"] {
        let resp =
            health.check(tonic_health::pb::HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
        assert_eq!(resp.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    }

    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    let first = tokio::time::timeout(WAIT, responses.message()).await.unwrap().unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = first.message_response else { panic!("{first:?}") };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"stratus.v1.MetricsService"), "{names:?}");

    let healthz = http_get(server.http, "/healthz").await;
    assert!(healthz.starts_with("HTTP/1.1 200"), "{healthz}");
    assert!(healthz.ends_with("ok"), "{healthz}");
    let metrics = http_get(server.http, "/metrics").await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(metrics.contains("text/plain; version=0.0.4"), "{metrics}");
    for name in ["# TYPE stratus_requests_total counter", "stratus_series ", "stratus_wal_syncs_total "] {
        assert!(metrics.contains(name), "{name} missing in {metrics}");
    }
    // Every other request goes to the AWS endpoint, which answers one naming no service with
    // AWS's error shape.
    let missing = http_get(server.http, "/nope").await;
    assert!(missing.starts_with("HTTP/1.1 400"), "{missing}");
    assert!(missing.contains("x-amzn-query-error: UnknownOperationException;Sender"), "{missing}");

    drop(client);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_that_cannot_be_created_fails_start() {
    let file = tempfile::NamedTempFile::new().unwrap();
    // A path below a regular file cannot be a directory.
    let server = TestServer::start(&file.path().join("data")).await;
    let result = tokio::time::timeout(WAIT, server.task).await.expect("start did not fail in time").unwrap();
    let err = result.expect_err("start should fail");
    assert!(format!("{err:#}").contains("data directory"), "{err:#}");
}
