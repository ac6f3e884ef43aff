//! Tests of the SigV4 verifier and signer: canonicalization pieces, the eight boto3 captures in
//! `server/tests/fixtures/sigv4.json` (accepted as sent, refused once any signed byte changes),
//! the signer against the verifier, presigned URLs, clock skew and the error mapping.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use proptest::prelude::*;
use serde_json::Value;

use super::*;

const VECTORS: &str = include_str!("../../../tests/fixtures/sigv4.json");
const SKEW: Option<Duration> = Some(Duration::from_secs(15 * 60));

/// One captured request, with `host` added from the URL as the HTTP server would see it.
#[derive(Debug, Clone)]
struct Vector {
    name: String,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    secret: String,
    /// The request's X-Amz-Date as a clock reading.
    time: SystemTime,
}

impl Vector {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn store(&self) -> CredentialStore {
        [Credentials::new("FOOBARKEY", self.secret.clone(), "123456789012")].into_iter().collect()
    }

    fn verify(&self) -> Result<Authenticated, AuthError> {
        verify(&self.parts(), &self.store(), self.time, SKEW)
    }

    /// Lower-case names from the Authorization header's SignedHeaders.
    fn signed_headers(&self) -> Vec<String> {
        let auth = self.headers["authorization"].to_str().unwrap();
        let list = auth.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
        list.split(';').map(str::to_owned).collect()
    }
}

fn vectors() -> Vec<Vector> {
    let all: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    all.iter()
        .map(|v| {
            let url = v["url"].as_str().unwrap().strip_prefix("http://").unwrap();
            let (authority, rest) = url.split_at(url.find('/').unwrap());
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            let mut headers = HeaderMap::new();
            headers.insert("host", HeaderValue::from_str(authority).unwrap());
            for (name, value) in v["headers"].as_object().unwrap() {
                headers.append(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
                );
            }
            let amz_date = headers["x-amz-date"].to_str().unwrap();
            let time = UNIX_EPOCH + Duration::from_secs(parse_basic(amz_date).unwrap() as u64);
            Vector {
                name: v["name"].as_str().unwrap().to_owned(),
                method: Method::from_bytes(v["method"].as_str().unwrap().as_bytes()).unwrap(),
                path: path.to_owned(),
                query: query.to_owned(),
                headers,
                body: hex::decode(v["body_hex"].as_str().unwrap()).unwrap(),
                secret: v["secret"].as_str().unwrap().to_owned(),
                time,
            }
        })
        .collect()
}

fn at(basic: &str) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(parse_basic(basic).unwrap() as u64)
}

// ---------------------------------------------------------------------------------------------
// Canonicalization pieces

#[test]
fn uri_encoding_leaves_only_unreserved_bare() {
    assert_eq!(uri_encode(b"AZaz09-_.~", false), "AZaz09-_.~");
    assert_eq!(uri_encode(b"a b/c+d=e&f*%", false), "a%20b%2Fc%2Bd%3De%26f%2A%25");
    assert_eq!(uri_encode(b"a b/c", true), "a%20b/c");
    assert_eq!(uri_encode("é".as_bytes(), false), "%C3%A9");
}

#[test]
fn canonical_uri_double_encodes_and_normalizes() {
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/"), "/");
    assert_eq!(
        canonical_uri("/service/GraniteServiceVersion20100801/operation/ListMetrics"),
        "/service/GraniteServiceVersion20100801/operation/ListMetrics"
    );
    // Already encoded on the wire: encoded again for non-S3 services.
    assert_eq!(canonical_uri("/a%20b/c%2Fd"), "/a%2520b/c%252Fd");
    assert_eq!(canonical_uri("/a b"), "/a%20b");
    assert_eq!(canonical_uri("/a//b/./c/../d/"), "/a/b/d/");
    assert_eq!(canonical_uri("/.."), "/");
    assert_eq!(canonical_uri("/a/.."), "/");
}

#[test]
fn canonical_query_sorts_and_reencodes() {
    let q = |raw: &str| canonical_query(parse_query(raw).iter());
    assert_eq!(q(""), "");
    assert_eq!(q("b=2&a=1"), "a=1&b=2");
    // Same key: sorted by value; key without '=' gets an empty value; empty pieces dropped.
    assert_eq!(q("k=b&k=a&flag&&"), "flag=&k=a&k=b");
    // Decoded then encoded the SigV4 way (upper-case hex, unreserved bare).
    assert_eq!(q("x=%7e%2a&y=a%2fb&z=a b"), "x=~%2A&y=a%2Fb&z=a%20b");
    assert_eq!(q("p=a+b"), "p=a%2Bb");
    // Sorting is on the encoded form: '%' (0x25) sorts before letters.
    assert_eq!(q("b=1&%41=2&_=3"), "A=2&_=3&b=1");
}

#[test]
fn canonical_headers_trim_collapse_and_join() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.com:8080"));
    headers.insert("x-amz-foo", HeaderValue::from_static("  a   b \t c  "));
    headers.append("x-amz-multi", HeaderValue::from_static("one"));
    headers.append("x-amz-multi", HeaderValue::from_static(" two  three "));
    headers.insert("x-unsigned", HeaderValue::from_static("ignored"));
    let out = canonical_headers(&headers, "host;x-amz-foo;x-amz-multi;x-amz-missing");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "host:example.com:8080\nx-amz-foo:a b c\nx-amz-multi:one,two three\nx-amz-missing:\n"
    );
}

#[test]
fn canonical_request_layout() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("h"));
    headers.insert("x-amz-date", HeaderValue::from_static("20261122T000000Z"));
    let out = canonical_request(&Method::POST, "/", "a=1", &headers, "host;x-amz-date", "abc");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "POST\n/\na=1\nhost:h\nx-amz-date:20261122T000000Z\n\nhost;x-amz-date\nabc"
    );
}

/// The signing-key example of the AWS SigV4 documentation ("Examples of how to derive a signing
/// key": secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, 20120215, us-east-1, iam).
#[test]
fn signing_key_matches_the_aws_documentation_example() {
    let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
    assert_eq!(hex::encode(key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

#[test]
fn hmac_and_sha256_known_answers() {
    assert_eq!(hex_sha256(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // RFC 4231 test case 2.
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn dates_parse_and_format() {
    assert_eq!(parse_basic("19700101T000000Z"), Some(0));
    assert_eq!(parse_basic("20000229T235959Z"), Some(951_868_799));
    assert_eq!(format_basic(951_868_799), "20000229T235959Z");
    assert_eq!(parse_basic("20261122T004603Z").map(format_basic).as_deref(), Some("20261122T004603Z"));
    for bad in ["20230229T000000Z", "20261322T000000Z", "20261122T240000Z", "20261122 004603Z", "2026112T0046030Z", ""]
    {
        assert_eq!(parse_basic(bad), None, "{bad}");
    }
    assert_eq!(parse_http_date("Sun, 22 Nov 2026 00:46:03 GMT"), parse_basic("20261122T004603Z"));
    assert_eq!(parse_http_date("Sun, 22 Foo 2026 00:46:03 GMT"), None);
    assert_eq!(parse_http_date("Sun, 22 Nov 2026 00:46:03 UTC"), None);
    for unix in [0, 86_399, 1_700_000_000, 4_102_444_800, 253_402_300_799] {
        assert_eq!(parse_basic(&format_basic(unix)), Some(unix));
    }
}

#[test]
fn credential_scope_parsing() {
    let c = Credential::parse("AKID/20261122/eu-west-1/monitoring/aws4_request").unwrap();
    assert_eq!((c.access_key_id.as_str(), c.region.as_str(), c.service.as_str()), ("AKID", "eu-west-1", "monitoring"));
    assert_eq!(c.scope(), "20261122/eu-west-1/monitoring/aws4_request");
    for bad in [
        "AKID/20261122/eu-west-1/monitoring",
        "AKID/20261122/eu-west-1/monitoring/aws4_request/x",
        "AKID/20261122/eu-west-1/monitoring/aws5_request",
        "AKID/2026112/eu-west-1/monitoring/aws4_request",
        "AKID/20261122//monitoring/aws4_request",
        "AKID/20261122/eu-west-1//aws4_request",
        "/20261122/eu-west-1/monitoring/aws4_request",
    ] {
        assert!(matches!(Credential::parse(bad), Err(AuthError::IncompleteSignature(_))), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// The boto3 captures

#[test]
fn fixture_is_the_eight_boto3_captures() {
    let v = vectors();
    assert_eq!(v.len(), 8);
    assert!(v.iter().any(|v| v.path != "/"), "a CBOR vector with a /service/.../operation/... path");
    assert!(v.iter().any(|v| v.headers.contains_key("content-encoding")), "a gzip vector");
}

#[test]
fn every_vector_verifies_at_its_own_time() {
    for v in vectors() {
        let auth = v.verify().unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        let scope = v.headers["authorization"].to_str().unwrap().split('/').nth(2).unwrap().to_owned();
        assert_eq!(auth.region, scope, "{}", v.name);
        assert_eq!(auth.access_key_id, "FOOBARKEY");
        assert_eq!(auth.account_id, "123456789012");
        assert!(!auth.presigned);
        assert_eq!(auth.signed_headers, v.signed_headers(), "{}", v.name);
        let expected_service = match v.name.split('-').next().unwrap() {
            "cloudwatch" => "monitoring",
            other => other,
        };
        assert_eq!(auth.service, expected_service, "{}", v.name);
    }
}

#[test]
fn every_vector_verifies_with_skew_off_long_after() {
    for v in vectors() {
        let later = v.time + Duration::from_secs(365 * 86_400);
        verify(&v.parts(), &v.store(), later, None).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        assert!(matches!(verify(&v.parts(), &v.store(), later, SKEW), Err(AuthError::SignatureExpired(_))));
    }
}

#[test]
fn unsigned_headers_may_change() {
    for mut v in vectors() {
        v.headers.insert("user-agent", HeaderValue::from_static("something else"));
        v.headers.insert("amz-sdk-request", HeaderValue::from_static("attempt=2; max=3"));
        v.headers.insert("x-extra", HeaderValue::from_static("added by a proxy"));
        v.verify().unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
    }
}

#[test]
fn changing_any_signed_header_value_is_refused() {
    for v in vectors() {
        for name in v.signed_headers() {
            let mut t = v.clone();
            let old = t.headers[name.as_str()].to_str().unwrap().to_owned();
            t.headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&format!("{old}x")).unwrap(),
            );
            assert!(t.verify().is_err(), "{}: {name} changed but accepted", v.name);
            // Removing it is refused too.
            t.headers.remove(name.as_str());
            assert!(t.verify().is_err(), "{}: {name} removed but accepted", v.name);
        }
    }
}

#[test]
fn whitespace_only_changes_to_signed_values_are_canonical() {
    // Outer blanks and inner runs of blanks are not part of the signed value.
    for mut v in vectors() {
        let ct = v.headers["content-type"].to_str().unwrap().replace(' ', "   ");
        v.headers.insert("content-type", HeaderValue::from_str(&format!("  {ct} ")).unwrap());
        v.verify().unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
    }
}

#[test]
fn changing_the_body_path_query_or_method_is_refused() {
    for v in vectors() {
        let mut t = v.clone();
        t.body.push(b' ');
        assert_eq!(t.verify(), Err(AuthError::SignatureMismatch), "{}: body", v.name);

        let mut t = v.clone();
        t.body[0] ^= 1;
        assert_eq!(t.verify(), Err(AuthError::SignatureMismatch), "{}: body byte", v.name);

        let mut t = v.clone();
        t.path = if v.path == "/" {
            "/x".to_owned()
        } else {
            v.path.replace("ListMetrics", "GetMetricData").replace("PutMetricData", "ListMetrics")
        };
        assert_eq!(t.verify(), Err(AuthError::SignatureMismatch), "{}: path", v.name);

        let mut t = v.clone();
        t.query = "Action=DeleteAlarms".to_owned();
        assert_eq!(t.verify(), Err(AuthError::SignatureMismatch), "{}: query", v.name);

        let mut t = v.clone();
        t.method = Method::PUT;
        assert_eq!(t.verify(), Err(AuthError::SignatureMismatch), "{}: method", v.name);
    }
}

#[test]
fn wrong_secret_or_unknown_key_is_refused() {
    for v in vectors() {
        let wrong: CredentialStore = [Credentials::new("FOOBARKEY", "FOOBARSECRET2", "1")].into_iter().collect();
        assert_eq!(verify(&v.parts(), &wrong, v.time, SKEW), Err(AuthError::SignatureMismatch), "{}", v.name);
        let other: CredentialStore = [Credentials::new("OTHERKEY", v.secret.clone(), "1")].into_iter().collect();
        assert_eq!(verify(&v.parts(), &other, v.time, SKEW), Err(AuthError::UnknownAccessKey), "{}", v.name);
        assert_eq!(verify(&v.parts(), &CredentialStore::new(), v.time, SKEW), Err(AuthError::UnknownAccessKey));
    }
}

#[test]
fn tampered_authorization_parts_are_refused() {
    let v = &vectors()[0];
    let auth = v.headers["authorization"].to_str().unwrap().to_owned();
    let with = |new: String| {
        let mut t = v.clone();
        t.headers.insert("authorization", HeaderValue::from_str(&new).unwrap());
        t.verify()
    };
    // Another region, service or key id in the scope changes the signing key or lookup.
    assert_eq!(with(auth.replace("eu-west-1", "us-east-1")), Err(AuthError::SignatureMismatch));
    assert_eq!(with(auth.replace("/monitoring/", "/logs/")), Err(AuthError::SignatureMismatch));
    // Dropping a header from SignedHeaders changes the canonical request.
    assert_eq!(with(auth.replace(";x-amzn-query-mode", "")), Err(AuthError::SignatureMismatch));
    // One hex digit of the signature.
    let sig_at = auth.find("Signature=").unwrap() + "Signature=".len();
    let mut flipped = auth.clone().into_bytes();
    flipped[sig_at] = if flipped[sig_at] == b'0' { b'1' } else { b'0' };
    assert_eq!(with(String::from_utf8(flipped).unwrap()), Err(AuthError::SignatureMismatch));
    // Upper-case hex is not what AWS computes.
    let upper = format!("{}{}", &auth[..sig_at], auth[sig_at..].to_ascii_uppercase());
    assert_eq!(with(upper), Err(AuthError::SignatureMismatch));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any single changed byte of any signed header value makes verification fail.
    #[test]
    fn any_signed_header_byte_flip_is_refused(vector in 0usize..8, header in any::<prop::sample::Index>(),
                                              at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let mut v = vectors().swap_remove(vector);
        let names = v.signed_headers();
        let name = header.get(&names).clone();
        let mut bytes = v.headers[name.as_str()].as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        let value = HeaderValue::from_bytes(&bytes);
        prop_assume!(value.is_ok());
        v.headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.unwrap());
        prop_assert!(v.verify().is_err(), "{}: {name} byte {i} ^ {xor:#x} accepted", v.name);
    }

    /// Any single changed body byte makes verification fail.
    #[test]
    fn any_body_byte_flip_is_refused(vector in 0usize..8, at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let mut v = vectors().swap_remove(vector);
        let i = at.index(v.body.len());
        v.body[i] ^= xor;
        prop_assert_eq!(v.verify(), Err(AuthError::SignatureMismatch));
    }

    /// The signer and verifier agree on arbitrary paths, queries, header values and bodies, and
    /// the verifier refuses the request once the body changes.
    #[test]
    fn sign_then_verify_round_trips(path in "(/[a-zA-Z0-9%._~ -]{0,8}){0,4}", query in "([a-zA-Z0-9%+ =]{0,6}&?){0,4}",
                                    value in "[ -~]{0,20}", body in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
        headers.insert("x-amz-custom", HeaderValue::from_str(&value).unwrap());
        let params = test_params(at("20261122T120000Z"));
        let path = if path.is_empty() { "/".to_owned() } else { path };
        sign_in_place(&Method::POST, &path, &query, &mut headers, &body, &params);
        let store = test_store();
        let parts = RequestParts { method: &Method::POST, path: &path, query: &query, headers: &headers, body: &body };
        prop_assert!(verify(&parts, &store, params.time, SKEW).is_ok());
        let mut changed = body.clone();
        changed.push(0);
        let parts = RequestParts { body: &changed, ..parts };
        prop_assert_eq!(verify(&parts, &store, params.time, SKEW), Err(AuthError::SignatureMismatch));
    }
}

// ---------------------------------------------------------------------------------------------
// The signer against the real captures

/// Re-signing each capture's signed headers with its secret and time reproduces boto3's
/// Authorization header byte for byte, so the signer is not only consistent with the verifier.
#[test]
fn signer_reproduces_boto3_signatures() {
    for v in vectors() {
        let mut headers = HeaderMap::new();
        for name in v.signed_headers() {
            headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), v.headers[name.as_str()].clone());
        }
        let auth = v.headers["authorization"].to_str().unwrap();
        let scope: Vec<&str> =
            auth.split("Credential=").nth(1).unwrap().split(',').next().unwrap().split('/').collect();
        let params = SigningParams {
            access_key_id: "FOOBARKEY",
            secret_access_key: &v.secret,
            region: scope[2],
            service: scope[3],
            time: v.time,
        };
        let parts = RequestParts { headers: &headers, ..v.parts() };
        assert_eq!(sign(&parts, &params), auth, "{}", v.name);
    }
}

fn test_params(time: SystemTime) -> SigningParams<'static> {
    SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region: "us-east-1",
        service: "monitoring",
        time,
    }
}

fn test_store() -> CredentialStore {
    [Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "000000000000")].into_iter().collect()
}

fn signed_request(time: SystemTime, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:4566"));
    headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.0"));
    headers.insert("x-amz-target", HeaderValue::from_static("GraniteServiceVersion20100801.ListMetrics"));
    headers.insert("user-agent", HeaderValue::from_static("test"));
    sign_in_place(&Method::POST, "/", "", &mut headers, body, &test_params(time));
    headers
}

fn post<'a>(headers: &'a HeaderMap, body: &'a [u8]) -> RequestParts<'a> {
    RequestParts { method: &Method::POST, path: "/", query: "", headers, body }
}

#[test]
fn signer_signs_the_right_headers() {
    let headers = signed_request(at("20261122T000000Z"), b"{}");
    let auth = headers["authorization"].to_str().unwrap();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/monitoring/aws4_request, "));
    assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="), "{auth}");
    assert_eq!(headers["x-amz-date"], "20261122T000000Z");
    let got = verify(&post(&headers, b"{}"), &test_store(), at("20261122T000000Z"), SKEW).unwrap();
    assert_eq!(got.account_id, "000000000000");
    assert_eq!(got.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-target"]);
}

// ---------------------------------------------------------------------------------------------
// Clock skew

#[test]
fn skew_limits_and_aws_messages() {
    let headers = signed_request(at("20261122T000000Z"), b"{}");
    let check = |now: &str, skew| verify(&post(&headers, b"{}"), &test_store(), at(now), skew);
    // Exactly at the limit on both sides: accepted.
    assert!(check("20261122T001500Z", SKEW).is_ok());
    assert!(check("20261121T234500Z", SKEW).is_ok());
    let err = check("20261122T003000Z", SKEW).unwrap_err();
    assert_eq!(
        err.message(),
        "Signature expired: 20261122T000000Z is now earlier than 20261122T001500Z (20261122T003000Z - 15 min.)"
    );
    assert_eq!(
        (err.json_type(), err.query_code(), err.status()),
        ("InvalidSignatureException", "SignatureDoesNotMatch", StatusCode::FORBIDDEN)
    );
    let err = check("20261121T233000Z", SKEW).unwrap_err();
    assert_eq!(
        err,
        AuthError::SignatureNotYetCurrent(
            "Signature not yet current: 20261122T000000Z is still later than 20261121T234500Z (20261121T233000Z + 15 min.)"
                .to_owned()
        )
    );
    // Configurable, and off entirely.
    assert!(
        matches!(check("20261122T000501Z", Some(Duration::from_secs(300))), Err(AuthError::SignatureExpired(m)) if m.ends_with("- 5 min.)"))
    );
    assert!(
        matches!(check("20261122T000031Z", Some(Duration::from_secs(30))), Err(AuthError::SignatureExpired(m)) if m.ends_with("- 30 sec.)"))
    );
    assert!(check("20300101T000000Z", None).is_ok());
    assert!(check("20200101T000000Z", None).is_ok());
}

#[test]
fn date_header_is_accepted_instead_of_x_amz_date() {
    let v = &vectors()[0];
    // Re-sign with a Date header: the signed value is the RFC 1123 string, the string to sign
    // still carries the basic-format time.
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost"));
    headers.insert("date", HeaderValue::from_static("Sun, 22 Nov 2026 00:46:03 GMT"));
    let params = test_params(v.time);
    let auth = sign(&post(&headers, b""), &params);
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert!(verify(&post(&headers, b""), &test_store(), v.time, SKEW).is_ok());
    headers.insert("date", HeaderValue::from_static("Sun, 22 Nov 2026 00:46:04 GMT"));
    assert!(verify(&post(&headers, b""), &test_store(), v.time, SKEW).is_err());
}

// ---------------------------------------------------------------------------------------------
// Presigned URLs

fn presigned(time: SystemTime, query: &str, expires: u64) -> (HeaderMap, String) {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:4566"));
    let q = presign(&Method::GET, "/", query, &headers, b"", &test_params(time), Duration::from_secs(expires));
    (headers, q)
}

fn get<'a>(headers: &'a HeaderMap, query: &'a str) -> RequestParts<'a> {
    RequestParts { method: &Method::GET, path: "/", query, headers, body: b"" }
}

#[test]
fn presigned_round_trip_and_expiry() {
    let t0 = at("20261122T000000Z");
    let (headers, q) = presigned(t0, "Action=ListMetrics&Version=2010-08-01", 300);
    assert!(q.starts_with("Action=ListMetrics&Version=2010-08-01&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261122%2Fus-east-1%2Fmonitoring%2Faws4_request&"), "{q}");
    let got = verify(&get(&headers, &q), &test_store(), t0, SKEW).unwrap();
    assert!(got.presigned);
    assert_eq!(got.signed_headers, ["host"]);
    // Valid up to and including X-Amz-Date + X-Amz-Expires, whatever the skew setting.
    let end = t0 + Duration::from_secs(300);
    assert!(verify(&get(&headers, &q), &test_store(), end, SKEW).is_ok());
    for skew in [SKEW, None] {
        let err = verify(&get(&headers, &q), &test_store(), end + Duration::from_secs(1), skew).unwrap_err();
        assert!(matches!(err, AuthError::PresignedUrlExpired(_)), "{err:?}");
        assert_eq!(err.query_code(), "SignatureDoesNotMatch");
    }
    // A presigned URL from the future is refused only with the skew check on.
    let early = t0 - Duration::from_secs(3600);
    assert!(matches!(
        verify(&get(&headers, &q), &test_store(), early, SKEW),
        Err(AuthError::SignatureNotYetCurrent(_))
    ));
    assert!(verify(&get(&headers, &q), &test_store(), early, None).is_ok());
}

#[test]
fn presigned_query_is_signed() {
    let t0 = at("20261122T000000Z");
    let (headers, q) = presigned(t0, "Action=ListMetrics", 60);
    // Reordering parameters is fine (canonical order), changing or adding one is not.
    let mut pieces: Vec<&str> = q.split('&').collect();
    pieces.reverse();
    assert!(verify(&get(&headers, &pieces.join("&")), &test_store(), t0, SKEW).is_ok());
    for bad in [
        q.replace("Action=ListMetrics", "Action=DeleteAlarms"),
        format!("{q}&Extra=1"),
        q.replace("X-Amz-Expires=60", "X-Amz-Expires=600"),
    ] {
        assert_eq!(verify(&get(&headers, &bad), &test_store(), t0, SKEW), Err(AuthError::SignatureMismatch), "{bad}");
    }
    let mut other_host = headers.clone();
    other_host.insert("host", HeaderValue::from_static("evil:4566"));
    assert_eq!(verify(&get(&other_host, &q), &test_store(), t0, SKEW), Err(AuthError::SignatureMismatch));
}

#[test]
fn presigned_malformed_parameters() {
    let t0 = at("20261122T000000Z");
    let (headers, q) = presigned(t0, "", 60);
    let incomplete = |query: &str| {
        matches!(verify(&get(&headers, query), &test_store(), t0, SKEW), Err(AuthError::IncompleteSignature(_)))
    };
    assert!(incomplete(&q.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1")));
    assert!(incomplete(&q.replace("X-Amz-Expires=60", "X-Amz-Expires=604801")));
    assert!(incomplete(&q.replace("X-Amz-Expires=60", "X-Amz-Expires=0")));
    assert!(incomplete(&q.replace("X-Amz-Expires=60", "X-Amz-Expires=soon")));
    assert!(incomplete(&q.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date")));
    let without_sig = q.split('&').filter(|p| !p.starts_with("X-Amz-Signature=")).collect::<Vec<_>>().join("&");
    let err = verify(&get(&headers, &without_sig), &test_store(), t0, SKEW).unwrap_err();
    assert_eq!(
        err.message(),
        "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."
    );
    let token = format!("{q}&X-Amz-Security-Token=abc");
    assert_eq!(verify(&get(&headers, &token), &test_store(), t0, SKEW), Err(AuthError::SecurityTokenNotSupported));
    // Both mechanisms at once.
    let mut both = headers.clone();
    both.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=x"));
    assert!(
        matches!(verify(&get(&both, &q), &test_store(), t0, SKEW), Err(AuthError::IncompleteSignature(m)) if m.starts_with("Only one auth mechanism"))
    );
}

// ---------------------------------------------------------------------------------------------
// Header-auth failures and their mapping

#[test]
fn missing_authentication() {
    let headers = HeaderMap::new();
    let err = verify(&post(&headers, b""), &test_store(), SystemTime::now(), SKEW).unwrap_err();
    assert_eq!(err, AuthError::MissingAuthenticationToken);
    assert_eq!(err.message(), "Missing Authentication Token");
    assert_eq!(err.json_type(), "MissingAuthenticationTokenException");
    assert_eq!(err.query_code(), "MissingAuthenticationToken");
    assert_eq!(err.status(), StatusCode::FORBIDDEN);
}

#[test]
fn malformed_authorization_headers_are_incomplete() {
    let t0 = at("20261122T000000Z");
    let good = signed_request(t0, b"{}");
    let auth = good["authorization"].to_str().unwrap().to_owned();
    let with = |value: &str, drop_date: bool| {
        let mut h = good.clone();
        h.insert("authorization", HeaderValue::from_str(value).unwrap());
        if drop_date {
            h.remove("x-amz-date");
        }
        verify(&post(&h, b"{}"), &test_store(), t0, SKEW)
    };
    let err = with("Bearer abc", false).unwrap_err();
    assert_eq!(
        (err.json_type(), err.query_code(), err.status()),
        ("IncompleteSignatureException", "IncompleteSignature", StatusCode::BAD_REQUEST)
    );
    let err = with("AWS4-HMAC-SHA256 Foo=bar", true).unwrap_err();
    assert_eq!(
        err.message(),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. \
         Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either \
         a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Foo=bar"
    );
    let sig_start = auth.find(", Signature=").unwrap();
    assert!(
        matches!(with(&auth[..sig_start], false), Err(AuthError::IncompleteSignature(m)) if m.starts_with("Authorization header requires 'Signature' parameter. Authorization="))
    );
    assert!(
        matches!(with(&auth, true), Err(AuthError::IncompleteSignature(m)) if m.contains("'X-Amz-Date' or a 'Date'"))
    );
    assert!(
        matches!(with(&auth.replace("AKIDEXAMPLE/", "AKIDEXAMPLE/x/"), false), Err(AuthError::IncompleteSignature(m)) if m.starts_with("Credential must have exactly 5"))
    );
    assert!(matches!(
        with(&auth.replace("aws4_request", "aws4_reqest"), false),
        Err(AuthError::IncompleteSignature(_))
    ));
    assert!(
        matches!(with(&auth.replace("SignedHeaders=content-type;host;", "SignedHeaders=content-type;"), false), Err(AuthError::IncompleteSignature(m)) if m.contains("'Host'"))
    );
    assert!(matches!(
        with(&auth.replace("SignedHeaders=", "SignedHeaders=;"), false),
        Err(AuthError::IncompleteSignature(_))
    ));
    // Two Authorization headers.
    let mut two = good.clone();
    two.append("authorization", HeaderValue::from_str(&auth).unwrap());
    assert!(matches!(verify(&post(&two, b"{}"), &test_store(), t0, SKEW), Err(AuthError::IncompleteSignature(_))));
    // Unparseable X-Amz-Date.
    let mut bad_date = good.clone();
    bad_date.insert("x-amz-date", HeaderValue::from_static("2026-11-22T00:00:00Z"));
    assert!(
        matches!(verify(&post(&bad_date, b"{}"), &test_store(), t0, SKEW), Err(AuthError::IncompleteSignature(m)) if m.starts_with("Date must be in ISO-8601"))
    );
}

#[test]
fn scope_date_must_match_request_date() {
    let t0 = at("20261122T000000Z");
    let mut headers = signed_request(t0, b"{}");
    let auth = headers["authorization"].to_str().unwrap().replace("/20261122/", "/20261121/");
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    let err = verify(&post(&headers, b"{}"), &test_store(), t0, SKEW).unwrap_err();
    assert_eq!(
        err,
        AuthError::InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261121' != \
             '20261122', from '20261122T000000Z'."
                .to_owned()
        )
    );
    assert_eq!(err.status(), StatusCode::FORBIDDEN);
}

#[test]
fn security_token_is_refused_as_unrecognized_client() {
    let t0 = at("20261122T000000Z");
    let mut headers = signed_request(t0, b"{}");
    headers.insert("x-amz-security-token", HeaderValue::from_static("FwoGZXIvYXdzE..."));
    // Even re-signed with the token among the signed headers.
    sign_in_place(&Method::POST, "/", "", &mut headers, b"{}", &test_params(t0));
    assert!(headers["authorization"].to_str().unwrap().contains("x-amz-security-token"));
    let err = verify(&post(&headers, b"{}"), &test_store(), t0, SKEW).unwrap_err();
    assert_eq!(err, AuthError::SecurityTokenNotSupported);
    assert_eq!(err.message(), "The security token included in the request is invalid.");
    assert_eq!(
        (err.json_type(), err.query_code(), err.status()),
        ("UnrecognizedClientException", "InvalidClientTokenId", StatusCode::FORBIDDEN)
    );
}

#[test]
fn signature_mismatch_mapping_and_message() {
    let err = AuthError::SignatureMismatch;
    assert_eq!(
        err.message(),
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access \
         Key and signing method. Consult the service documentation for details."
    );
    assert_eq!(
        (err.json_type(), err.query_code(), err.status()),
        ("InvalidSignatureException", "SignatureDoesNotMatch", StatusCode::FORBIDDEN)
    );
    let err = AuthError::UnknownAccessKey;
    assert_eq!(
        (err.json_type(), err.query_code(), err.status()),
        ("UnrecognizedClientException", "InvalidClientTokenId", StatusCode::FORBIDDEN)
    );
    assert_eq!(err.message(), "The security token included in the request is invalid.");
}

// ---------------------------------------------------------------------------------------------
// x-amz-content-sha256

fn with_content_sha(value: &str, body: &[u8], signed: bool) -> (HeaderMap, SystemTime) {
    let t0 = at("20261122T000000Z");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost"));
    headers.insert(CONTENT_SHA256, HeaderValue::from_str(value).unwrap());
    sign_in_place(&Method::POST, "/", "", &mut headers, body, &test_params(t0));
    if !signed {
        let auth = headers["authorization"].to_str().unwrap().replace("host;x-amz-content-sha256;", "host;");
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    }
    (headers, t0)
}

#[test]
fn content_sha256_header_is_the_payload_hash() {
    let body = b"{\"a\":1}";
    let (headers, t0) = with_content_sha(&hex_sha256(body), body, true);
    assert!(verify(&post(&headers, body), &test_store(), t0, SKEW).is_ok());
    // Declared hash that does not match the body.
    let err = verify(&post(&headers, b"{\"a\":2}"), &test_store(), t0, SKEW).unwrap_err();
    assert!(matches!(err, AuthError::InvalidSignature(ref m) if m.contains("x-amz-content-sha256")), "{err:?}");

    // UNSIGNED-PAYLOAD: the client chose not to sign the body, so any body verifies...
    let (headers, t0) = with_content_sha(UNSIGNED_PAYLOAD, body, true);
    assert!(verify(&post(&headers, body), &test_store(), t0, SKEW).is_ok());
    assert!(verify(&post(&headers, b"other"), &test_store(), t0, SKEW).is_ok());
    // ...but only if the header itself is signed.
    let (headers, t0) = with_content_sha(UNSIGNED_PAYLOAD, body, false);
    assert!(matches!(verify(&post(&headers, body), &test_store(), t0, SKEW), Err(AuthError::IncompleteSignature(_))));
    // Adding UNSIGNED-PAYLOAD to a request signed over its body does not help an attacker.
    let mut headers = signed_request(t0, body);
    headers.insert(CONTENT_SHA256, HeaderValue::from_static(UNSIGNED_PAYLOAD));
    assert!(verify(&post(&headers, b"other"), &test_store(), t0, SKEW).is_err());
    // Streaming (chunked) signing is not supported.
    let (headers, t0) = with_content_sha("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", body, true);
    assert!(matches!(verify(&post(&headers, body), &test_store(), t0, SKEW), Err(AuthError::IncompleteSignature(_))));
}

#[test]
fn credentials_debug_redacts_the_secret() {
    let c = Credentials::new("AKID", "SECRET", "1");
    assert!(!format!("{c:?}").contains("SECRET"));
    assert!(!format!("{:?}", test_params(UNIX_EPOCH)).contains("wJalr"));
    let store = test_store();
    assert_eq!(store.len(), 1);
    assert!(!store.is_empty());
    assert!(!format!("{store:?}").contains("wJalr"));
}

#[test]
fn odd_signed_header_names_do_not_panic() {
    let t0 = at("20261122T000000Z");
    let good = signed_request(t0, b"{}");
    let auth = good["authorization"].to_str().unwrap().to_owned();
    for list in [
        "content-type;host;x y;x-amz-date",
        "content-type;host;X-Amz-Date;x-amz-target",
        "content-type;host;x:y(z);x-amz-date",
    ] {
        let mut h = good.clone();
        let value = auth.replace("content-type;host;x-amz-date;x-amz-target", list);
        h.insert("authorization", HeaderValue::from_bytes(value.as_bytes()).unwrap());
        assert_eq!(verify(&post(&h, b"{}"), &test_store(), t0, SKEW), Err(AuthError::SignatureMismatch), "{list}");
    }
}
