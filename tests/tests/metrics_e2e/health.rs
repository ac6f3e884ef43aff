//! The HTTP face (`/healthz`, `/metrics`) and the gRPC health service of the real binary.

use stratus_tests::{ServerProcess, http_get, now_ms, put, single, values};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The value of the sample line `name` (exact series text, labels included) in Prometheus text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_self_metrics() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::start(&tmp.path().join("data"), &[]).await;
    let http = server.http_addr();

    let r = http_get(http, "/healthz").await.expect("GET /healthz");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body.trim(), "ok");

    let mut health = HealthClient::new(server.channel());
    for service in ["", "stratus.v1.MetricsService"] {
        let status = health
            .check(HealthCheckRequest { service: service.to_owned() })
            .await
            .unwrap_or_else(|s| panic!("grpc.health.v1 Check({service:?}): {s:?}"))
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "health of {service:?}");
    }

    // One accepted request (3 samples) and one rejected one show up in the self-metrics.
    let mut client = server.client();
    let t = now_ms() - 60_000;
    let d = values("Requests", &[], t, &[1.0, 2.0, 3.0], &[], "Count");
    client.put_metric_data(put("Health", vec![d], vec![])).await.expect("PutMetricData");
    let bad = single("Requests", &[], t, f64::NAN, "Count");
    let err = client.put_metric_data(put("Health", vec![bad], vec![])).await.expect_err("NaN accepted");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);

    let r = http_get(http, "/metrics").await.expect("GET /metrics");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/plain")), "{:?}", r.headers);
    let stratus_lines = r.body.lines().filter(|l| l.starts_with("stratus_")).count();
    assert!(stratus_lines >= 5, "few stratus_ lines in /metrics:\n{}", r.body);
    for line in r.body.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap_or_default();
        assert!(value.parse::<f64>().is_ok(), "not a Prometheus sample line: {line:?}");
    }
    assert_eq!(sample(&r.body, "stratus_samples_accepted_total"), Some(3.0), "{}", r.body);
    assert_eq!(sample(&r.body, r#"stratus_requests_total{rpc="PutMetricData",code="OK"}"#), Some(1.0), "{}", r.body);
    assert_eq!(
        sample(&r.body, r#"stratus_requests_total{rpc="PutMetricData",code="INVALID_ARGUMENT"}"#),
        Some(1.0),
        "{}",
        r.body
    );

    // Other paths belong to the AWS endpoint: a request naming no service is AWS's 400.
    let r = http_get(http, "/no-such-page").await.expect("GET /no-such-page");
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.contains("UnknownOperationException"), "{r:?}");

    server.stop().await;
}
