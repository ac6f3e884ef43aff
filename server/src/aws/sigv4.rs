//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`) verification, and the matching signer.
//!
//! [`verify`] authenticates one request given its method, raw path, raw query string, headers,
//! body bytes *as received* (a gzip body is verified compressed, before inflating: clients sign
//! what they send) and the current time. It is framework-neutral: the HTTP layer passes
//! [`RequestParts`] and turns an [`AuthError`] into a response with [`AuthError::status`],
//! [`AuthError::json_type`] (awsJson / rpcv2Cbor `__type`) or [`AuthError::query_code`] (awsQuery
//! `Code`) and [`AuthError::message`]. The caller must make sure a `host` header is present (for
//! HTTP/2, copy the `:authority` into it): `host` is always signed.
//!
//! # What is checked, in order
//!
//! 1. Mechanism: an `Authorization` header, or presigned query parameters (`X-Amz-Algorithm`
//!    present). Neither → [`AuthError::MissingAuthenticationToken`]; both →
//!    [`AuthError::IncompleteSignature`].
//! 2. Shape ([`AuthError::IncompleteSignature`] on any failure): algorithm `AWS4-HMAC-SHA256`;
//!    `Credential`, `SignedHeaders`, `Signature` all present; credential of exactly five
//!    `/`-separated parts ending in `aws4_request` with non-empty region and service; request time
//!    from `X-Amz-Date` (header auth: else `Date`, RFC 1123 or ISO 8601 basic) parseable;
//!    `host` among the signed headers; presigned `X-Amz-Expires` an integer in 1..=604800.
//! 3. The credential scope date equals the date part of the request time, else
//!    [`AuthError::InvalidSignature`].
//! 4. No `X-Amz-Security-Token` (header or query parameter): Stratus issues no temporary
//!    credentials, so a session token can never be valid → [`AuthError::SecurityTokenNotSupported`].
//! 5. The access key id is in the [`CredentialStore`], else [`AuthError::UnknownAccessKey`].
//! 6. Time: with `max_skew` set, a request time more than `max_skew` in the past →
//!    [`AuthError::SignatureExpired`] (header auth only; presigned URLs use their expiry instead)
//!    and more than `max_skew` in the future → [`AuthError::SignatureNotYetCurrent`] (both forms).
//!    A presigned URL past `X-Amz-Date + X-Amz-Expires` is always refused
//!    ([`AuthError::PresignedUrlExpired`]), skew check on or off.
//! 7. Payload hash: the `x-amz-content-sha256` header if present, else hex SHA-256 of the body.
//!    A hex value must match the body ([`AuthError::InvalidSignature`] otherwise);
//!    `UNSIGNED-PAYLOAD` is accepted only when that header is itself signed; any other value
//!    (e.g. the streaming chunked forms) → [`AuthError::IncompleteSignature`].
//! 8. Canonical request, string to sign, signing key and signature as in the AWS documentation
//!    (see [`canonical_request`]); the client's hex signature is compared in constant time
//!    (`subtle`). Mismatch → [`AuthError::SignatureMismatch`].
//!
//! Canonicalization follows the non-S3 rules, which is what CloudWatch, Logs and CloudTrail use:
//! the raw (already percent-encoded) path is normalized (empty and `.` segments dropped, `..`
//! pops; this is what botocore does) and encoded *again*, `/` kept; query pairs are
//! percent-decoded, re-encoded with only `A-Za-z0-9-_.~` left bare (`%XX` upper case) and sorted
//! by key then value; signed header values are trimmed, inner runs of blanks collapsed to one
//! space, repeated headers joined with `,`.
//!
//! # Error mapping
//!
//! | variant | `__type` (JSON/CBOR) | Query `Code` | HTTP |
//! |---|---|---|---|
//! | `MissingAuthenticationToken` | `MissingAuthenticationTokenException` | `MissingAuthenticationToken` | 403 |
//! | `IncompleteSignature` | `IncompleteSignatureException` | `IncompleteSignature` | 400 |
//! | `UnknownAccessKey`, `SecurityTokenNotSupported` | `UnrecognizedClientException` | `InvalidClientTokenId` | 403 |
//! | `SignatureMismatch`, `InvalidSignature`, `SignatureExpired`, `SignatureNotYetCurrent`, `PresignedUrlExpired` | `InvalidSignatureException` | `SignatureDoesNotMatch` | 403 |
//!
//! Statuses follow the AWS "common errors" table (IncompleteSignature 400, MissingAuthenticationToken,
//! InvalidClientTokenId and SignatureDoesNotMatch 403), which agrees with the spec's "Query
//! answers 403 ... MissingAuthenticationToken" (aws-semantics.md §1.8 item 7).

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::http::{HeaderMap, Method, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[cfg(test)]
mod tests;

/// The only algorithm supported.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The `x-amz-content-sha256` value of a client that chose not to sign its body.
pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Longest presigned URL lifetime AWS allows (seven days), in seconds.
pub(crate) const MAX_PRESIGNED_EXPIRES: u64 = 604_800;
const TERMINATOR: &str = "aws4_request";
const CONTENT_SHA256: &str = "x-amz-content-sha256";

/// Characters left bare by SigV4 URI encoding: RFC 3986 unreserved.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// The same for paths, where `/` is kept.
const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Headers botocore never signs (aws-semantics.md §1.8 item 6); [`sign`] skips them too.
const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "expect",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "baggage",
    "traceparent",
    "tracestate",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
];

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
                                  Check your AWS Secret Access Key and signing method. Consult the service \
                                  documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// One long-term access key and the account it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) account_id: String,
}

impl Credentials {
    pub(crate) fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        account_id: impl Into<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            account_id: account_id.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Known access keys, looked up by access key id.
#[derive(Debug, Clone, Default)]
pub(crate) struct CredentialStore {
    by_key: HashMap<String, Credentials>,
}

impl CredentialStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the key; returns the one it replaced.
    pub(crate) fn insert(&mut self, credentials: Credentials) -> Option<Credentials> {
        self.by_key.insert(credentials.access_key_id.clone(), credentials)
    }

    pub(crate) fn get(&self, access_key_id: &str) -> Option<&Credentials> {
        self.by_key.get(access_key_id)
    }

    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

impl FromIterator<Credentials> for CredentialStore {
    fn from_iter<I: IntoIterator<Item = Credentials>>(iter: I) -> Self {
        let mut store = Self::new();
        for credentials in iter {
            store.insert(credentials);
        }
        store
    }
}

/// The parts of an HTTP request that SigV4 covers, as received.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestParts<'a> {
    pub(crate) method: &'a Method,
    /// The path as on the wire (still percent-encoded), e.g. `/` or
    /// `/service/GraniteServiceVersion20100801/operation/PutMetricData`.
    pub(crate) path: &'a str,
    /// The raw query string without the `?` (empty if none).
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    /// The body exactly as received (still compressed if `Content-Encoding: gzip`).
    pub(crate) body: &'a [u8],
}

/// Who signed a request that verified, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authenticated {
    pub(crate) access_key_id: String,
    pub(crate) account_id: String,
    /// Region from the credential scope (custom endpoints carry none in the URL).
    pub(crate) region: String,
    /// Signing name from the credential scope: `monitoring`, `logs`, `cloudtrail`, ...
    pub(crate) service: String,
    /// The client's `SignedHeaders`, in its order.
    pub(crate) signed_headers: Vec<String>,
    /// Whether the request was authenticated by presigned query parameters.
    pub(crate) presigned: bool,
}

/// Why a request was refused. See the module documentation for the wire mapping.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    /// Neither an `Authorization` header nor presigned query parameters.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// Authentication present but malformed or incomplete; the message says what is wrong.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The access key id is not in the store.
    #[error("{}", INVALID_TOKEN)]
    UnknownAccessKey,
    /// An `X-Amz-Security-Token` was sent; Stratus issues no temporary credentials.
    #[error("{}", INVALID_TOKEN)]
    SecurityTokenNotSupported,
    /// The signature does not match.
    #[error("{}", SIGNATURE_MISMATCH)]
    SignatureMismatch,
    /// Scope date or body hash inconsistent with the signed request.
    #[error("{0}")]
    InvalidSignature(String),
    /// Request time further in the past than the allowed skew.
    #[error("{0}")]
    SignatureExpired(String),
    /// Request time further in the future than the allowed skew.
    #[error("{0}")]
    SignatureNotYetCurrent(String),
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    #[error("{0}")]
    PresignedUrlExpired(String),
}

impl AuthError {
    /// The `__type` of an awsJson / rpcv2Cbor error response.
    pub(crate) fn json_type(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature(_) => "IncompleteSignatureException",
            Self::UnknownAccessKey | Self::SecurityTokenNotSupported => "UnrecognizedClientException",
            Self::SignatureMismatch
            | Self::InvalidSignature(_)
            | Self::SignatureExpired(_)
            | Self::SignatureNotYetCurrent(_)
            | Self::PresignedUrlExpired(_) => "InvalidSignatureException",
        }
    }

    /// The `<Code>` of an awsQuery error response.
    pub(crate) fn query_code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::UnknownAccessKey | Self::SecurityTokenNotSupported => "InvalidClientTokenId",
            Self::SignatureMismatch
            | Self::InvalidSignature(_)
            | Self::SignatureExpired(_)
            | Self::SignatureNotYetCurrent(_)
            | Self::PresignedUrlExpired(_) => "SignatureDoesNotMatch",
        }
    }

    /// HTTP status: 400 for a malformed signature, 403 for everything else (AWS common errors).
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::IncompleteSignature(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::FORBIDDEN,
        }
    }

    /// The human-readable message, as AWS words it where known.
    pub(crate) fn message(&self) -> String {
        self.to_string()
    }
}

fn incomplete(message: impl Into<String>) -> AuthError {
    AuthError::IncompleteSignature(message.into())
}

/// The `<date>/<region>/<service>/aws4_request` scope and the key id it was issued under.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Credential {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
}

impl Credential {
    fn parse(value: &str) -> Result<Self, AuthError> {
        let parts: Vec<&str> = value.split('/').collect();
        let [key, date, region, service, terminator] = parts[..] else {
            return Err(incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
                 got '{value}'"
            )));
        };
        if key.is_empty() {
            return Err(incomplete(format!("Credential has an empty access key id: '{value}'")));
        }
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(incomplete(format!("Credential should be scoped to a valid date (yyyymmdd), not '{date}'.")));
        }
        if region.is_empty() {
            return Err(incomplete("Credential should be scoped to a valid region, not ''."));
        }
        if service.is_empty() {
            return Err(incomplete("Credential should be scoped to a valid service, not ''."));
        }
        if terminator != TERMINATOR {
            return Err(incomplete(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
            )));
        }
        Ok(Self {
            access_key_id: key.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        })
    }

    fn scope(&self) -> String {
        format!("{}/{}/{}/{TERMINATOR}", self.date, self.region, self.service)
    }
}

/// Everything taken from the `Authorization` header or the presigned parameters.
#[derive(Debug)]
struct AuthParams {
    credential: Credential,
    signed_headers: String,
    signature: String,
    /// Request time, formatted `yyyymmddTHHMMSSZ` (what goes into the string to sign).
    amz_date: String,
    /// Request time, seconds since the Unix epoch.
    time: i64,
    /// `X-Amz-Expires`, presigned only.
    expires: Option<u64>,
    security_token: bool,
}

/// Verifies the SigV4 signature of a request; see the module documentation for the order of checks.
///
/// `max_skew`: `None` disables the clock check (for clients with frozen clocks); the server
/// defaults to 15 minutes.
pub(crate) fn verify(
    request: &RequestParts<'_>,
    store: &CredentialStore,
    now: SystemTime,
    max_skew: Option<Duration>,
) -> Result<Authenticated, AuthError> {
    let query = parse_query(request.query);
    let presigned = query.iter().any(|(k, _)| k == b"X-Amz-Algorithm");
    let mut authorization = request.headers.get_all(::http::header::AUTHORIZATION).iter();
    let params = match (authorization.next(), presigned) {
        (None, false) => return Err(AuthError::MissingAuthenticationToken),
        (Some(_), true) => {
            return Err(incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the \
                 Authorization header should be specified",
            ));
        }
        (Some(value), false) => {
            if authorization.next().is_some() {
                return Err(incomplete("Only one Authorization header is allowed"));
            }
            let value = value.to_str().map_err(|_| incomplete("Authorization header is not visible ASCII"))?;
            parse_authorization(value, request.headers)?
        }
        (None, true) => parse_presigned(&query, request.headers)?,
    };
    let signed: Vec<&str> = params.signed_headers.split(';').collect();
    if signed.iter().any(|h| h.is_empty()) {
        return Err(incomplete(format!("SignedHeaders has an empty header name: '{}'", params.signed_headers)));
    }
    if !signed.iter().any(|h| h.eq_ignore_ascii_case("host")) {
        return Err(incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."));
    }
    if params.credential.date != params.amz_date[..8] {
        return Err(AuthError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '{}' != '{}', from '{}'.",
            params.credential.date,
            &params.amz_date[..8],
            params.amz_date
        )));
    }
    if params.security_token {
        return Err(AuthError::SecurityTokenNotSupported);
    }
    let credentials = store.get(&params.credential.access_key_id).ok_or(AuthError::UnknownAccessKey)?;
    check_time(&params, unix_seconds(now), max_skew)?;
    let payload_hash = payload_hash(request.headers, request.body, &signed)?;

    let canonical_query = canonical_query(query.iter().filter(|(k, _)| !(presigned && k == b"X-Amz-Signature")));
    let canonical = canonical_request(
        request.method,
        request.path,
        &canonical_query,
        request.headers,
        &params.signed_headers,
        &payload_hash,
    );
    let expected = signature(&credentials.secret_access_key, &params.credential, &params.amz_date, &canonical);
    if !bool::from(expected.as_bytes().ct_eq(params.signature.as_bytes())) {
        return Err(AuthError::SignatureMismatch);
    }
    Ok(Authenticated {
        access_key_id: credentials.access_key_id.clone(),
        account_id: credentials.account_id.clone(),
        region: params.credential.region,
        service: params.credential.service,
        signed_headers: signed.into_iter().map(str::to_owned).collect(),
        presigned,
    })
}

/// Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
fn parse_authorization(value: &str, headers: &HeaderMap) -> Result<AuthParams, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} is supported). Authorization={value}"
        )));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for item in rest.split(',') {
        let Some((key, val)) = item.trim().split_once('=') else { continue };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        slot.get_or_insert(val.trim());
    }
    let date = match header_str(headers, "x-amz-date")? {
        Some(date) => Some(date),
        None => header_str(headers, "date")?,
    };
    let mut missing = String::new();
    for (present, what) in [
        (credential.is_some(), "Authorization header requires 'Credential' parameter. "),
        (signature.is_some(), "Authorization header requires 'Signature' parameter. "),
        (signed_headers.is_some(), "Authorization header requires 'SignedHeaders' parameter. "),
        (date.is_some(), "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "),
    ] {
        if !present {
            missing.push_str(what);
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
        (credential, signed_headers, signature, date)
    else {
        return Err(incomplete(format!("{missing}Authorization={value}")));
    };
    let time = parse_basic(date)
        .or_else(|| parse_http_date(date))
        .ok_or_else(|| incomplete(format!("Date must be in ISO-8601 'basic format'. Got '{date}'.")))?;
    Ok(AuthParams {
        credential: Credential::parse(credential)?,
        signed_headers: signed_headers.to_owned(),
        signature: signature.to_owned(),
        amz_date: format_basic(time),
        time,
        expires: None,
        security_token: headers.contains_key("x-amz-security-token"),
    })
}

/// Reads the `X-Amz-*` presigned query parameters.
fn parse_presigned(query: &[(Vec<u8>, Vec<u8>)], headers: &HeaderMap) -> Result<AuthParams, AuthError> {
    let param = |name: &str| -> Result<Option<&str>, AuthError> {
        match query.iter().find(|(k, _)| k == name.as_bytes()) {
            None => Ok(None),
            Some((_, v)) => {
                std::str::from_utf8(v).map(Some).map_err(|_| incomplete(format!("{name} is not valid UTF-8")))
            }
        }
    };
    let algorithm = param("X-Amz-Algorithm")?.unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(incomplete(format!("X-Amz-Algorithm only supports \"{ALGORITHM}\", not '{algorithm}'")));
    }
    let mut missing = String::new();
    let mut get = |name: &str| -> Result<&str, AuthError> {
        let value = param(name)?;
        if value.is_none() {
            missing.push_str(&format!("AWS query-string parameters must include '{name}'. "));
        }
        Ok(value.unwrap_or_default())
    };
    let credential = get("X-Amz-Credential")?;
    let date = get("X-Amz-Date")?;
    let expires = get("X-Amz-Expires")?;
    let signed_headers = get("X-Amz-SignedHeaders")?;
    let signature = get("X-Amz-Signature")?;
    if !missing.is_empty() {
        return Err(incomplete(format!("{}Re-examine the query-string parameters.", missing)));
    }
    let time = parse_basic(date)
        .ok_or_else(|| incomplete(format!("X-Amz-Date must be in ISO-8601 'basic format'. Got '{date}'.")))?;
    let expires = expires.parse::<u64>().ok().filter(|e| (1..=MAX_PRESIGNED_EXPIRES).contains(e)).ok_or_else(|| {
        incomplete(format!(
            "X-Amz-Expires must be a whole number of seconds from 1 to {MAX_PRESIGNED_EXPIRES}, not '{expires}'"
        ))
    })?;
    Ok(AuthParams {
        credential: Credential::parse(credential)?,
        signed_headers: signed_headers.to_owned(),
        signature: signature.to_owned(),
        amz_date: format_basic(time),
        time,
        expires: Some(expires),
        security_token: param("X-Amz-Security-Token")?.is_some() || headers.contains_key("x-amz-security-token"),
    })
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, AuthError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.trim())).map_err(|_| incomplete(format!("{name} header is not ASCII"))),
    }
}

fn check_time(params: &AuthParams, now: i64, max_skew: Option<Duration>) -> Result<(), AuthError> {
    if let Some(expires) = params.expires {
        let end = params.time.saturating_add_unsigned(expires);
        if now > end {
            return Err(AuthError::PresignedUrlExpired(format!(
                "Request has expired: X-Amz-Date {} + X-Amz-Expires {expires} s = {} is earlier than {}.",
                params.amz_date,
                format_basic(end),
                format_basic(now)
            )));
        }
    }
    let Some(skew) = max_skew else { return Ok(()) };
    let secs = i64::try_from(skew.as_secs()).unwrap_or(i64::MAX);
    let span = if secs % 60 == 0 { format!("{} min.", secs / 60) } else { format!("{secs} sec.") };
    let earliest = now.saturating_sub(secs);
    if params.expires.is_none() && params.time < earliest {
        return Err(AuthError::SignatureExpired(format!(
            "Signature expired: {} is now earlier than {} ({} - {span})",
            params.amz_date,
            format_basic(earliest),
            format_basic(now)
        )));
    }
    let latest = now.saturating_add(secs);
    if params.time > latest {
        return Err(AuthError::SignatureNotYetCurrent(format!(
            "Signature not yet current: {} is still later than {} ({} + {span})",
            params.amz_date,
            format_basic(latest),
            format_basic(now)
        )));
    }
    Ok(())
}

/// The last line of the canonical request.
fn payload_hash(headers: &HeaderMap, body: &[u8], signed: &[&str]) -> Result<String, AuthError> {
    let Some(declared) = header_str(headers, CONTENT_SHA256)? else { return Ok(hex_sha256(body)) };
    if declared == UNSIGNED_PAYLOAD {
        if !signed.iter().any(|h| h.eq_ignore_ascii_case(CONTENT_SHA256)) {
            return Err(incomplete("x-amz-content-sha256: UNSIGNED-PAYLOAD must itself be a signed header"));
        }
    } else if declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit()) {
        if !declared.eq_ignore_ascii_case(&hex_sha256(body)) {
            return Err(AuthError::InvalidSignature(
                "The provided 'x-amz-content-sha256' header does not match what was computed.".to_owned(),
            ));
        }
    } else {
        return Err(incomplete(format!(
            "x-amz-content-sha256 must be {UNSIGNED_PAYLOAD} or the hex SHA-256 of the body, not '{declared}'"
        )));
    }
    Ok(declared.to_owned())
}

/// Splits a raw query string into percent-decoded `(key, value)` pairs, in order. Empty pieces
/// (`a=1&&b=2`, a trailing `&`) are skipped; a piece without `=` has an empty value. `+` is kept
/// as a literal `+` (SigV4 clients encode spaces as `%20`).
fn parse_query(query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decode_str(k).collect(), percent_decode_str(v).collect())
        })
        .collect()
}

/// Canonical query string: each key and value URI-encoded, pairs sorted by key then value.
fn canonical_query<'q>(pairs: impl Iterator<Item = &'q (Vec<u8>, Vec<u8>)>) -> String {
    let mut encoded: Vec<(String, String)> = pairs.map(|(k, v)| (uri_encode(k, false), uri_encode(v, false))).collect();
    encoded.sort();
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// SigV4 URI encoding: everything but `A-Za-z0-9-_.~` (and `/` if `keep_slash`) as `%XX`.
fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    percent_encode(bytes, if keep_slash { UNRESERVED_AND_SLASH } else { UNRESERVED }).to_string()
}

/// Canonical URI of a non-S3 service: the wire path normalized, then encoded again (so `%2F` on
/// the wire becomes `%252F`), `/` kept.
fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut path = String::from("/");
    path.push_str(&segments.join("/"));
    if raw_path.ends_with('/') && !segments.is_empty() {
        path.push('/');
    }
    uri_encode(path.as_bytes(), true)
}

/// `name:value\n` for each signed header, in the client's order; values trimmed, inner blank runs
/// collapsed to one space, repeated headers joined with `,`. Header values may hold non-ASCII
/// bytes, so this works on bytes.
fn canonical_headers(headers: &HeaderMap, signed_headers: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for name in signed_headers.split(';') {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in headers.get_all(name.to_ascii_lowercase()).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let mut words = value.as_bytes().split(|b| *b == b' ' || *b == b'\t').filter(|w| !w.is_empty());
            if let Some(first) = words.next() {
                out.extend_from_slice(first);
                for word in words {
                    out.push(b' ');
                    out.extend_from_slice(word);
                }
            }
        }
        out.push(b'\n');
    }
    out
}

/// The canonical request (aws-semantics.md §1.8 step 3):
/// `METHOD \n URI \n QUERY \n HEADERS \n SIGNED_HEADERS \n PAYLOAD_HASH`, where HEADERS ends with
/// its own newline. `canonical_query` is already canonical (see [`canonical_query`]).
fn canonical_request(
    method: &Method,
    raw_path: &str,
    canonical_query: &str,
    headers: &HeaderMap,
    signed_headers: &str,
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [method.as_str(), "\n", &canonical_uri(raw_path), "\n", canonical_query, "\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(&canonical_headers(headers, signed_headers));
    for part in ["\n", signed_headers, "\n", payload_hash] {
        out.extend_from_slice(part.as_bytes());
    }
    out
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex_sha256(canonical_request))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// `kSigning` = HMAC chain over date, region, service and `aws4_request`, keyed by `AWS4` + secret.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// Lower-case hex signature of a canonical request.
fn signature(secret: &str, credential: &Credential, amz_date: &str, canonical_request: &[u8]) -> String {
    let key = signing_key(secret, &credential.date, &credential.region, &credential.service);
    let to_sign = string_to_sign(amz_date, &credential.scope(), canonical_request);
    hex::encode(hmac_sha256(&key, to_sign.as_bytes()))
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// What a client signs with.
#[derive(Clone, Copy)]
pub(crate) struct SigningParams<'a> {
    pub(crate) access_key_id: &'a str,
    pub(crate) secret_access_key: &'a str,
    pub(crate) region: &'a str,
    /// Signing name: `monitoring`, `logs`, `cloudtrail`.
    pub(crate) service: &'a str,
    pub(crate) time: SystemTime,
}

impl fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningParams")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("time", &self.time)
            .finish()
    }
}

impl SigningParams<'_> {
    /// The `X-Amz-Date` value for [`Self::time`].
    pub(crate) fn amz_date(&self) -> String {
        format_basic(unix_seconds(self.time))
    }

    fn credential(&self) -> Credential {
        Credential {
            access_key_id: self.access_key_id.to_owned(),
            date: self.amz_date()[..8].to_owned(),
            region: self.region.to_owned(),
            service: self.service.to_owned(),
        }
    }
}

/// The `Authorization` header value for a request, signing every header present except the ones
/// botocore leaves unsigned (`user-agent`, `amz-sdk-*`, hop-by-hop, tracing) and `authorization`.
/// The headers must already hold `host` and an `x-amz-date` equal to [`SigningParams::amz_date`]
/// (see [`sign_in_place`]). The payload hash is the `x-amz-content-sha256` header if present, else
/// the body's.
pub(crate) fn sign(request: &RequestParts<'_>, params: &SigningParams<'_>) -> String {
    let mut names: Vec<&str> = request
        .headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| !UNSIGNED_HEADERS.contains(name) && !name.starts_with("proxy-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let signed_headers = names.join(";");
    let payload_hash = match request.headers.get(CONTENT_SHA256).and_then(|v| v.to_str().ok()) {
        Some(declared) => declared.trim().to_owned(),
        None => hex_sha256(request.body),
    };
    let query = parse_query(request.query);
    let canonical = canonical_request(
        request.method,
        request.path,
        &canonical_query(query.iter()),
        request.headers,
        &signed_headers,
        &payload_hash,
    );
    let credential = params.credential();
    let signature = signature(params.secret_access_key, &credential, &params.amz_date(), &canonical);
    format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_headers}, Signature={signature}",
        params.access_key_id,
        credential.scope()
    )
}

/// Sets `x-amz-date` and `authorization` on `headers` (which must hold `host`), like an SDK does.
pub(crate) fn sign_in_place(
    method: &Method,
    path: &str,
    query: &str,
    headers: &mut HeaderMap,
    body: &[u8],
    params: &SigningParams<'_>,
) {
    let date = ::http::HeaderValue::from_str(&params.amz_date()).expect("a basic-format date is a valid header value");
    headers.insert("x-amz-date", date);
    headers.remove(::http::header::AUTHORIZATION);
    let authorization = sign(&RequestParts { method, path, query, headers, body }, params);
    let authorization =
        ::http::HeaderValue::from_str(&authorization).expect("an Authorization value built from ASCII is valid");
    headers.insert(::http::header::AUTHORIZATION, authorization);
}

/// A presigned query string: `query` (may be empty) plus the `X-Amz-*` parameters, signing only
/// `host` (which `headers` must hold) and the body's SHA-256 (empty for a GET).
pub(crate) fn presign(
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    params: &SigningParams<'_>,
    expires: Duration,
) -> String {
    let credential = params.credential();
    let amz_date = params.amz_date();
    let mut out = String::from(query);
    for (key, value) in [
        ("X-Amz-Algorithm", ALGORITHM.to_owned()),
        ("X-Amz-Credential", format!("{}/{}", params.access_key_id, credential.scope())),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", expires.as_secs().to_string()),
        ("X-Amz-SignedHeaders", "host".to_owned()),
    ] {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&format!("{key}={}", uri_encode(value.as_bytes(), false)));
    }
    let pairs = parse_query(&out);
    let canonical = canonical_request(method, path, &canonical_query(pairs.iter()), headers, "host", &hex_sha256(body));
    let signature = signature(params.secret_access_key, &credential, &amz_date, &canonical);
    out.push_str(&format!("&X-Amz-Signature={signature}"));
    out
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (if month <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, month, day)
}

/// Seconds since the epoch for a valid date and time, `None` for e.g. 30 February or 24:00.
fn to_unix(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `yyyymmddTHHMMSSZ` (ISO 8601 basic, what `X-Amz-Date` holds).
fn parse_basic(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |range: std::ops::Range<usize>| digits(&s[range]);
    to_unix(n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?, n(13..15)?)
}

/// `Sun, 22 Nov 2026 00:46:03 GMT` (RFC 1123 / IMF-fixdate, what a `Date` header holds).
fn parse_http_date(s: &str) -> Option<i64> {
    let fields: Vec<&str> = s.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = fields[..] else { return None };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let hms: Vec<&str> = time.split(':').collect();
    let [h, m, sec] = hms[..] else { return None };
    if day.len() != 2 || year.len() != 4 || h.len() != 2 || m.len() != 2 || sec.len() != 2 {
        return None;
    }
    to_unix(digits(year)?, month, digits(day)?, digits(h)?, digits(m)?, digits(sec)?)
}

fn format_basic(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}
