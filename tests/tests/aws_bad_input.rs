//! Bad input to the AWS endpoint of the real binary: malformed JSON, CBOR and form bodies,
//! unknown operations, oversize bodies and a gzip bomb — each answered with the AWS error a
//! client expects, in the protocol it spoke, while the server keeps serving. The server runs
//! with `--insecure-no-auth` so the bodies themselves are what is judged (authentication is
//! covered by the client tests).

use std::io::Write as _;

use stratus_tests::{HttpResponse, ServerProcess, http_get, http_post};

const JSON: &str = "application/x-amz-json-1.0";

fn json_headers(op: &str) -> Vec<(&'static str, String)> {
    vec![("X-Amz-Target", format!("GraniteServiceVersion20100801.{op}")), ("Content-Type", JSON.to_string())]
}

async fn post(addr: std::net::SocketAddr, path: &str, headers: &[(&str, String)], body: &[u8]) -> HttpResponse {
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    http_post(addr, path, &h, body).await.expect("HTTP answer")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_unknown_and_oversize_requests_get_aws_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = ServerProcess::start(dir.path(), &["--insecure-no-auth"]).await;
    let addr = server.http_addr();

    // awsJson: malformed JSON, a wrong member type, an unknown operation.
    let r = post(addr, "/", &json_headers("ListMetrics"), b"{\"Namespace\": ").await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.contains("SerializationException"), "{r:?}");
    let r = post(addr, "/", &json_headers("PutMetricData"), br#"{"Namespace": 5}"#).await;
    assert_eq!(r.status, 400, "{r:?}");
    let r = post(addr, "/", &json_headers("StealMetrics"), b"{}").await;
    assert_eq!((r.status, r.header("x-amzn-query-error")), (400, Some("UnknownOperationException;Sender")), "{r:?}");
    let r = post(
        addr,
        "/",
        &json_headers("PutMetricData"),
        br#"{"Namespace":"A","MetricData":[{"MetricName":"m","Value":"NaN"}]}"#,
    )
    .await;
    assert_eq!(r.header("x-amzn-query-error"), Some("InvalidParameterValue;Sender"), "{r:?}");
    assert!(r.body.contains("The value NaN for parameter MetricData.member.1.Value is invalid."), "{r:?}");

    // rpcv2Cbor: garbage CBOR is refused in CBOR, with the protocol header echoed.
    let cbor_path = "/service/GraniteServiceVersion20100801/operation/ListMetrics";
    let cbor = vec![("smithy-protocol", "rpc-v2-cbor".to_string()), ("Content-Type", "application/cbor".to_string())];
    let r = post(addr, cbor_path, &cbor, &[0xff, 0x00, 0x13]).await;
    assert_eq!((r.status, r.header("smithy-protocol")), (400, Some("rpc-v2-cbor")), "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/cbor"), "{r:?}");
    let mut with_target = cbor.clone();
    with_target.push(("X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics".to_string()));
    let r = post(addr, cbor_path, &with_target, &[0xa0]).await;
    assert_eq!(r.status, 400, "rpc-v2-cbor with X-Amz-Target is malformed: {r:?}");

    // awsQuery: a parameter given twice, an unknown action, a bad value — XML errors.
    let form = vec![("Content-Type", "application/x-www-form-urlencoded; charset=utf-8".to_string())];
    let r = post(addr, "/", &form, b"Action=ListMetrics&Version=2010-08-01&Namespace=a&Namespace=b").await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.contains("<ErrorResponse") && r.body.contains("<Code>MalformedQueryString</Code>"), "{r:?}");
    let r = post(addr, "/", &form, b"Action=StealMetrics&Version=2010-08-01").await;
    assert!(r.body.contains("<Code>InvalidAction</Code>"), "{r:?}");
    let r = post(
        addr,
        "/",
        &form,
        b"Action=PutMetricData&Version=2010-08-01&Namespace=A&MetricData.member.1.MetricName=m&MetricData.member.1.Value=abc",
    )
    .await;
    assert!(r.body.contains("MetricData.member.1.Value"), "the error names the parameter: {r:?}");

    // Oversize: a 1.5 MB body, and a gzip bomb (64 MiB of zeros in ~64 KiB) refused without
    // inflating it.
    let big = format!(r#"{{"Namespace":"{}"}}"#, "x".repeat(1_500_000));
    let r = post(addr, "/", &json_headers("PutMetricData"), big.as_bytes()).await;
    assert_eq!((r.status, r.header("x-amzn-query-error")), (413, Some("RequestEntityTooLarge;Sender")), "{r:?}");
    let bomb = gzip(&vec![b' '; 64 << 20]);
    let mut gz = json_headers("PutMetricData");
    gz.push(("Content-Encoding", "gzip".to_string()));
    let r = post(addr, "/", &gz, &bomb).await;
    assert_eq!(r.status, 413, "{r:?}");

    // Still serving: health, and a correct (gzip-compressed) request.
    let h = http_get(addr, "/healthz").await.expect("healthz");
    assert_eq!(h.status, 200);
    let ok = gzip(br#"{"Namespace":"A","MetricData":[{"MetricName":"m","Value":1.5}]}"#);
    let r = post(addr, "/", &gz, &ok).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = post(addr, "/", &json_headers("ListMetrics"), b"").await;
    assert!(r.status == 200 && r.body.contains("\"MetricName\":\"m\""), "{r:?}");

    server.stop().await;
}
