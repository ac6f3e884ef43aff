//! SigV4 at the real binary's AWS endpoint, with requests signed by an independent signer (the
//! `aws-sigv4` crate the AWS SDKs use): the same request is accepted when signed correctly and
//! refused when signed with a wrong secret, with a date 20 minutes old (the limit is 15), or not
//! at all — each with the error code AWS answers.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use stratus_tests::{HttpResponse, ServerProcess, http_post};

const KEY: &str = "AKIDAUTHTEST";
const SECRET: &str = "authTestSecret";
const BODY: &[u8] = br#"{"Namespace":"Auth"}"#;

/// Headers of a ListMetrics request to `addr`, signed with `secret` at `time` (none if `None`).
fn signed_headers(addr: std::net::SocketAddr, secret: Option<&str>, time: SystemTime) -> Vec<(String, String)> {
    let mut headers = vec![
        ("host".to_string(), addr.to_string()),
        ("content-type".to_string(), "application/x-amz-json-1.0".to_string()),
        ("x-amz-target".to_string(), "GraniteServiceVersion20100801.ListMetrics".to_string()),
    ];
    let Some(secret) = secret else { return headers };
    let identity: Identity = Credentials::new(KEY, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("monitoring")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let url = format!("http://{addr}/");
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(BODY),
    )
    .expect("signable request");
    let (instructions, _) = sign(signable, &params).expect("signing").into_parts();
    let (added, _) = instructions.into_parts();
    for h in added {
        headers.push((h.name().to_string(), h.value().to_string()));
    }
    headers
}

async fn list_metrics(addr: std::net::SocketAddr, headers: &[(String, String)]) -> HttpResponse {
    // `host` goes on the request line's Host header, which http_post writes itself.
    let h: Vec<(&str, &str)> =
        headers.iter().filter(|(k, _)| k != "host").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    http_post(addr, "/", &h, BODY).await.expect("HTTP answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_correctly_signed_fresh_requests_are_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let credential = format!("{KEY}:{SECRET}");
    let mut server = ServerProcess::start(dir.path(), &["--credentials", &credential]).await;
    let addr = server.http_addr();
    let now = SystemTime::now();

    let ok = list_metrics(addr, &signed_headers(addr, Some(SECRET), now)).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert!(ok.body.contains("\"Metrics\":[]"), "{ok:?}");

    let wrong = list_metrics(addr, &signed_headers(addr, Some("not-the-secret"), now)).await;
    assert_eq!(
        (wrong.status, wrong.header("x-amzn-query-error")),
        (403, Some("SignatureDoesNotMatch;Sender")),
        "{wrong:?}"
    );

    let stale = list_metrics(addr, &signed_headers(addr, Some(SECRET), now - Duration::from_secs(20 * 60))).await;
    assert_eq!(stale.status, 403, "{stale:?}");
    assert!(stale.body.contains("Signature expired"), "{stale:?}");

    let unsigned = list_metrics(addr, &signed_headers(addr, None, now)).await;
    assert_eq!(unsigned.status, 403, "{unsigned:?}");
    assert_eq!(unsigned.header("x-amzn-query-error"), Some("MissingAuthenticationToken;Sender"), "{unsigned:?}");

    let mut unknown_key = signed_headers(addr, Some(SECRET), now);
    for (k, v) in &mut unknown_key {
        if k == "authorization" {
            *v = v.replace(KEY, "AKIDNOBODY");
        }
    }
    let r = list_metrics(addr, &unknown_key).await;
    assert_eq!(r.header("x-amzn-query-error"), Some("InvalidClientTokenId;Sender"), "{r:?}");

    server.stop().await;
}
