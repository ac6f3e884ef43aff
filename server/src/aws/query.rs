//! The awsQuery protocol codec (CloudWatch's legacy wire protocol).
//!
//! The request and response shapes are the serde structs shared with the JSON and CBOR
//! protocols (PascalCase member names). This module lets the same structs travel over Query:
//!
//! * [`parse_request`] splits an `application/x-www-form-urlencoded` body (or a GET query
//!   string) into pairs, takes out `Action` and `Version`, and folds the remaining keys into a
//!   tree of [`Params`]; [`QueryRequest::deserialize`] runs any `Deserialize` type over it.
//! * [`response_xml`] renders a `Serialize` output as the `<{Op}Response>` document, and
//!   [`error_xml`] renders `<ErrorResponse>`.
//!
//! # Request mapping (form → serde)
//!
//! * Keys split on `.`; every segment must be non-empty (`A..B`, `A.`, `.A` are
//!   `MalformedQueryString`). Values are percent-decoded UTF-8 strings (`+` is a space).
//! * Structure member: `A.B=v`. Structures read with `deserialize_struct`/`deserialize_map`
//!   see their child segments as keys; a struct given as `A=` (empty value, no children) is an
//!   empty structure.
//! * List: `Name.member.N` with `N` a decimal index ≥ 1 without leading zeros; items are taken
//!   in ascending `N`, gaps allowed. The flattened form `Name.N` (no `member`) is accepted too;
//!   a list that has both `member` and numeric children is ambiguous and rejected. `Name=`
//!   (empty value, no children) is the empty list.
//! * Map: `Name.entry.N.key` / `Name.entry.N.value`, entries in ascending `N`; an entry without
//!   `key` or `value` is an error; `Name=` is the empty map.
//! * Scalars parse the leaf string: integers in decimal; doubles in decimal or exponent form,
//!   plus `NaN`, `Infinity`, `-Infinity` (Rust's float parser, so also `inf`/`nan` in any
//!   case); booleans exactly `true` / `false`; strings as they are; enums by variant name.
//!   `deserialize_any` on a leaf gives a string (on an inner node, a map).
//! * Options are `Some` when the key is present (even with an empty value); absent members
//!   are `None` through serde's usual missing-field handling.
//! * Timestamps: [`super::timestamp::Timestamp`] deserializes through `deserialize_any`, which
//!   hands it the leaf string; it accepts ISO 8601 ([`super::timestamp::parse_iso8601`]).
//! * Unknown keys are **ignored**, as AWS does (derived structs skip unknown fields unless
//!   they say `deny_unknown_fields`). A repeated key is `MalformedQueryString`.
//! * Errors name the parameter in AWS form (`MetricData.member.1.Value`):
//!   unparsable values are `InvalidParameterValue`, missing required members
//!   `MissingParameter`, malformed keys `MalformedQueryString`.
//! * Shapes read from Query must not use `#[serde(flatten)]` or untagged enums: serde buffers
//!   them through `deserialize_any`, which yields strings, so numbers would not parse.
//! * `Action` missing or empty is `MissingAction`; `Version` missing is `MissingParameter`,
//!   different from the expected one `NoSuchVersion` (our choice of code).
//!
//! # Response mapping (serde → XML)
//!
//! * `<{Op}Response xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">`, then
//!   `<{Op}Result>…</{Op}Result>` when the operation has an output, then
//!   `<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>`.
//! * Structure members become elements in declaration order; `None` (and fields skipped with
//!   `skip_serializing_if`) are omitted; lists are `<Name><member>…</member></Name>`; maps
//!   `<Name><entry><key>…</key><value>…</value></entry></Name>`; unit enum variants print their
//!   (renamed) name; newtypes are transparent except [`TIMESTAMP_NEWTYPE`], printed as
//!   `2016-10-03T23:00:00.000Z`; byte strings are base64.
//! * Numbers: integers in decimal; floats in Rust's shortest round-trip form (`1.0`, `0.1`,
//!   `1e-7`, `1e16`), non-finite as `NaN`, `Infinity`, `-Infinity`; booleans `true`/`false`.
//! * Text is escaped (`&amp; &lt; &gt; &quot; &apos;`, and `\r` as `&#xD;` so it survives
//!   line-end normalisation). Characters XML 1.0 cannot carry at all (C0 controls other than
//!   tab, LF and CR, and U+FFFE/U+FFFF) are replaced by U+FFFD: no character reference can
//!   represent them in XML 1.0, and the document must stay well-formed.
//! * Empty elements are written as a start and end tag (`<Metrics></Metrics>`).
//!
//! [`TIMESTAMP_NEWTYPE`]: super::timestamp::TIMESTAMP_NEWTYPE

mod de;
mod xml;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

// The router (not yet written) is the user of these re-exports.
#[cfg_attr(not(test), allow(unused_imports))]
pub(crate) use xml::{XmlError, error_xml, response_xml};

/// CloudWatch's `Version=` value and XML namespace.
pub(crate) const CLOUDWATCH_VERSION: &str = "2010-08-01";
pub(crate) const CLOUDWATCH_XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// Which side an error is blamed on (`<Type>` in the error XML, the suffix of
/// `x-amzn-query-error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Sender,
    Receiver,
}

impl Fault {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        }
    }
}

/// What went wrong while decoding a Query request; each maps to one AWS query error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryErrorKind {
    /// A key that cannot be folded (empty segment, bad list index, ambiguous list form,
    /// repeated key), or a body that is not UTF-8 form data.
    MalformedQueryString,
    /// No `Action` parameter.
    MissingAction,
    /// A required parameter (or `Version`) is absent.
    MissingParameter,
    /// `Version` is not the one this service speaks.
    NoSuchVersion,
    /// A value does not parse as its member's type.
    InvalidParameterValue,
}

/// A request-decoding error: an AWS query error code, always `Sender`, HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError {
    kind: QueryErrorKind,
    message: String,
}

impl QueryError {
    pub(crate) fn new(kind: QueryErrorKind, message: impl Into<String>) -> Self {
        QueryError { kind, message: message.into() }
    }

    pub(crate) fn kind(&self) -> QueryErrorKind {
        self.kind
    }

    /// The AWS query error code (`<Code>`, first half of `x-amzn-query-error`).
    pub(crate) fn code(&self) -> &'static str {
        match self.kind {
            QueryErrorKind::MalformedQueryString => "MalformedQueryString",
            QueryErrorKind::MissingAction => "MissingAction",
            QueryErrorKind::MissingParameter => "MissingParameter",
            QueryErrorKind::NoSuchVersion => "NoSuchVersion",
            QueryErrorKind::InvalidParameterValue => "InvalidParameterValue",
        }
    }

    pub(crate) fn fault(&self) -> Fault {
        Fault::Sender
    }

    pub(crate) fn http_status(&self) -> u16 {
        400
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The `<ErrorResponse>` document for this error.
    pub(crate) fn to_error_xml(&self, request_id: &str) -> String {
        error_xml(self.fault(), self.code(), &self.message, request_id)
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message)
    }
}

impl std::error::Error for QueryError {}

/// One node of the folded parameter tree: the value given for exactly this key (if any) and
/// the children keyed by the next segment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Params {
    value: Option<String>,
    children: BTreeMap<String, Params>,
}

impl Params {
    /// Folds `(key, value)` pairs. `Action`/`Version` are not special here.
    pub(crate) fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, QueryError> {
        let mut root = Params::default();
        for (key, value) in pairs {
            root.insert(key.as_ref(), value.into())?;
        }
        Ok(root)
    }

    fn insert(&mut self, key: &str, value: String) -> Result<(), QueryError> {
        let mut node = self;
        for segment in key.split('.') {
            if segment.is_empty() {
                return Err(QueryError::new(
                    QueryErrorKind::MalformedQueryString,
                    format!("Malformed parameter name '{}': empty name segment.", truncate(key)),
                ));
            }
            node = node.children.entry(segment.to_owned()).or_default();
        }
        if node.value.is_some() {
            return Err(QueryError::new(
                QueryErrorKind::MalformedQueryString,
                format!("Parameter {} is given more than once.", truncate(key)),
            ));
        }
        node.value = Some(value);
        Ok(())
    }

    /// The value given for this exact key.
    pub(crate) fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// The child for the next key segment.
    pub(crate) fn get(&self, segment: &str) -> Option<&Params> {
        self.children.get(segment)
    }

    fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
}

/// A decoded Query request: the operation name and its folded parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryRequest {
    pub(crate) action: String,
    pub(crate) version: String,
    pub(crate) params: Params,
}

impl QueryRequest {
    /// Deserializes the parameters (everything but `Action` and `Version`) into `T`.
    pub(crate) fn deserialize<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T, QueryError> {
        de::from_params(&self.params)
    }
}

/// Parses a form body or query string and checks `Action` and `Version`.
///
/// `version` is the API version the service speaks ([`CLOUDWATCH_VERSION`]). Errors:
/// `MissingAction` (absent or empty `Action`), `MissingParameter` (no `Version`),
/// `NoSuchVersion` (another version), `MalformedQueryString` (non-UTF-8 after
/// percent-decoding, a malformed or repeated key).
pub(crate) fn parse_request(form: &[u8], version: &str) -> Result<QueryRequest, QueryError> {
    let mut action = None;
    let mut given_version = None;
    let mut rest = Vec::new();
    for (key, value) in form_urlencoded::parse(form) {
        // form_urlencoded replaces invalid UTF-8 with U+FFFD; refuse instead of guessing.
        if (key.contains('\u{FFFD}') || value.contains('\u{FFFD}')) && !decoded_bytes_are_valid(form) {
            return Err(QueryError::new(
                QueryErrorKind::MalformedQueryString,
                "The request contains a parameter that is not valid UTF-8.",
            ));
        }
        match &*key {
            "Action" => set_once(&mut action, "Action", value.into_owned())?,
            "Version" => set_once(&mut given_version, "Version", value.into_owned())?,
            _ => rest.push((key, value.into_owned())),
        }
    }
    let action = match action {
        Some(a) if !a.is_empty() => a,
        _ => return Err(QueryError::new(QueryErrorKind::MissingAction, "Missing Action")),
    };
    let given_version = given_version.ok_or_else(|| {
        QueryError::new(QueryErrorKind::MissingParameter, "The request must contain the parameter Version.")
    })?;
    if given_version != version {
        return Err(QueryError::new(
            QueryErrorKind::NoSuchVersion,
            format!("The requested version ({}) of service is not supported; use {version}.", truncate(&given_version)),
        ));
    }
    let params = Params::from_pairs(rest)?;
    Ok(QueryRequest { action, version: given_version, params })
}

/// Parses and checks the request, then deserializes its parameters: `(Action, input)`.
pub(crate) fn from_form<T: serde::de::DeserializeOwned>(form: &[u8], version: &str) -> Result<(String, T), QueryError> {
    let request = parse_request(form, version)?;
    let input = request.deserialize()?;
    Ok((request.action, input))
}

fn set_once(slot: &mut Option<String>, name: &str, value: String) -> Result<(), QueryError> {
    if slot.replace(value).is_some() {
        return Err(QueryError::new(
            QueryErrorKind::MalformedQueryString,
            format!("Parameter {name} is given more than once."),
        ));
    }
    Ok(())
}

/// Whether every percent-decoded key and value of `form` is valid UTF-8 (a literal U+FFFD
/// sent by the client is fine; one produced by lossy decoding is not).
fn decoded_bytes_are_valid(form: &[u8]) -> bool {
    form.split(|&b| b == b'&').all(|pair| {
        pair.split(|&b| b == b'=').all(|part| {
            let plus_free: Vec<u8> = part.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
            let bytes: Vec<u8> = percent_decode(&plus_free);
            std::str::from_utf8(&bytes).is_ok()
        })
    })
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && i + 2 < input.len()
            && let (Some(h), Some(l)) = (hex(input[i + 1]), hex(input[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// Shortens user-supplied text quoted in error messages.
pub(crate) fn truncate(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 256;
    if s.chars().count() <= MAX {
        std::borrow::Cow::Borrowed(s)
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        std::borrow::Cow::Owned(t)
    }
}
