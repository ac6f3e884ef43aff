//! The one timestamp type shared by the JSON, CBOR and Query shapes.
//!
//! [`Timestamp`] holds **epoch seconds as an `f64`**, the unit all three CloudWatch wire
//! protocols use (JSON numbers, CBOR tag 1 over an int or float, and Query ISO 8601 strings
//! which we convert). AWS timestamps have millisecond precision; an `f64` holds every
//! millisecond instant of the next few hundred thousand years exactly enough to round back to
//! the same millisecond ([`Timestamp::to_millis`] rounds).
//!
//! How it crosses each protocol:
//!
//! | protocol | serialize | deserialize |
//! |---|---|---|
//! | JSON (human readable) | newtype struct [`TIMESTAMP_NEWTYPE`] over the `f64`; `serde_json` treats newtypes transparently, so a plain number | a number (int or float), or a string: ISO 8601 or a decimal number |
//! | Query XML (human readable) | the same newtype; the XML serializer recognises the name and prints `2016-10-03T23:00:00.000Z` | the leaf string (`deserialize_any` gives a string): ISO 8601, or a decimal number |
//! | CBOR (`!is_human_readable()`) | tag 1 over an integer when the value is whole seconds, else over an `f64` | tag 1 (or no tag) over an integer or float |

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The newtype-struct name under which [`Timestamp`] serializes in human-readable formats.
/// Serializers that care (the Query XML one) match on it; all others see through it.
pub(crate) const TIMESTAMP_NEWTYPE: &str = "$stratus::Timestamp";

/// CBOR tag for epoch-based date/time (RFC 8949 §3.4.2).
const CBOR_EPOCH_TAG: u64 = 1;

/// An instant as epoch seconds (fractional part = sub-second, millisecond precision on the wire).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub(crate) struct Timestamp(pub f64);

impl Timestamp {
    /// From epoch milliseconds.
    pub(crate) fn from_millis(ms: i64) -> Self {
        Timestamp(ms as f64 / 1000.0)
    }

    /// Epoch milliseconds, rounded to the nearest millisecond; `None` if not finite or out of
    /// the `i64` range.
    pub(crate) fn to_millis(self) -> Option<i64> {
        let ms = (self.0 * 1000.0).round();
        // i64::MAX as f64 rounds up to 2^63, which is out of range; keep the bound strict.
        (-9.2e18..=9.2e18).contains(&ms).then_some(ms as i64)
    }

    /// ISO 8601 / RFC 3339 in UTC with exactly three fractional digits, as AWS Query prints
    /// it: `2016-10-03T23:00:00.000Z`. `None` outside chrono's range (about ±262,000 years).
    pub(crate) fn to_iso8601(self) -> Option<String> {
        let dt = chrono::DateTime::from_timestamp_millis(self.to_millis()?)?;
        Some(dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
    }
}

/// Parses an ISO 8601 timestamp as AWS Query clients send it, to epoch seconds.
///
/// Accepted: RFC 3339 (`2016-10-03T23:00:00Z`, `2016-10-03T23:00:00.123Z`,
/// `2016-10-03T23:00:00+00:00`, `…-07:30`; chrono also takes a lowercase `t`/`z` or a space
/// for the `T`), and the same without a zone designator (`2016-10-03T23:00:00[.fff]`), which
/// is read as UTC. Anything else is `None`.
pub(crate) fn parse_iso8601(s: &str) -> Option<f64> {
    let s = s.trim();
    let (secs, nanos) = if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        (dt.timestamp(), dt.timestamp_subsec_nanos())
    } else {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        let utc = naive.and_utc();
        (utc.timestamp(), utc.timestamp_subsec_nanos())
    };
    Some(secs as f64 + f64::from(nanos) / 1e9)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_newtype_struct(TIMESTAMP_NEWTYPE, &self.0)
        } else {
            // CBOR: tag 1 over the smallest exact form (an integer for whole seconds).
            let secs = self.0;
            if secs.fract() == 0.0 && secs.abs() < 9_007_199_254_740_992.0 {
                ciborium::tag::Required::<i64, CBOR_EPOCH_TAG>(secs as i64).serialize(serializer)
            } else {
                ciborium::tag::Required::<f64, CBOR_EPOCH_TAG>(secs).serialize(serializer)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(TimestampVisitor)
        } else {
            // ciborium: `Captured` reads an optional tag and the item under it.
            let ciborium::tag::Captured(tag, EpochNumber(secs)) = Deserialize::deserialize(deserializer)?;
            match tag {
                None | Some(CBOR_EPOCH_TAG) => Ok(Timestamp(secs)),
                Some(other) => {
                    Err(de::Error::custom(format_args!("expected a timestamp (CBOR tag 1), found tag {other}")))
                }
            }
        }
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp (epoch seconds or ISO 8601)")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
        Ok(Timestamp(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(Timestamp(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        Ok(Timestamp(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        if let Some(secs) = parse_iso8601(v) {
            return Ok(Timestamp(secs));
        }
        match v.trim().parse::<f64>() {
            Ok(secs) if secs.is_finite() => Ok(Timestamp(secs)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

/// An int or float (the item under CBOR tag 1).
struct EpochNumber(f64);

impl<'de> Deserialize<'de> for EpochNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EpochNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("epoch seconds as an integer or float")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EpochNumber, E> {
                Ok(EpochNumber(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EpochNumber, E> {
                Ok(EpochNumber(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EpochNumber, E> {
                Ok(EpochNumber(v as f64))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Shape {
        timestamp: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_time: Option<Timestamp>,
    }

    fn cbor(v: &impl Serialize) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(v, &mut out).unwrap();
        out
    }

    #[test]
    fn iso8601_parsing() {
        assert_eq!(parse_iso8601("2016-10-03T23:00:00Z"), Some(1_475_535_600.0));
        assert_eq!(parse_iso8601("2016-10-03T23:00:00.250Z"), Some(1_475_535_600.25));
        assert_eq!(parse_iso8601("2016-10-03T23:00:00+00:00"), Some(1_475_535_600.0));
        assert_eq!(parse_iso8601("2016-10-04T01:00:00+02:00"), Some(1_475_535_600.0));
        assert_eq!(parse_iso8601("2016-10-03T23:00:00"), Some(1_475_535_600.0));
        assert_eq!(parse_iso8601("2016-10-03T23:00:00.5"), Some(1_475_535_600.5));
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_iso8601("2016-13-03T23:00:00Z"), None);
        assert_eq!(parse_iso8601("yesterday"), None);
        assert_eq!(parse_iso8601(""), None);
    }

    #[test]
    fn iso8601_printing_has_milliseconds() {
        assert_eq!(Timestamp(1_475_535_600.0).to_iso8601().unwrap(), "2016-10-03T23:00:00.000Z");
        assert_eq!(Timestamp(1_475_535_600.25).to_iso8601().unwrap(), "2016-10-03T23:00:00.250Z");
        // Sub-millisecond parts round to the nearest millisecond.
        assert_eq!(Timestamp(1_475_535_600.000_6).to_iso8601().unwrap(), "2016-10-03T23:00:00.001Z");
        assert_eq!(Timestamp(-0.5).to_iso8601().unwrap(), "1969-12-31T23:59:59.500Z");
        assert_eq!(Timestamp(f64::NAN).to_iso8601(), None);
        assert_eq!(Timestamp::from_millis(1_475_535_600_123).to_millis(), Some(1_475_535_600_123));
    }

    #[test]
    fn json_is_epoch_seconds() {
        let s = Shape { timestamp: Timestamp(1_700_000_000.5), end_time: None };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"Timestamp":1700000000.5}"#);
        assert_eq!(serde_json::from_str::<Shape>(&json).unwrap(), s);
        let int: Shape = serde_json::from_str(r#"{"Timestamp":1700000000,"EndTime":1700000060}"#).unwrap();
        assert_eq!(int, Shape { timestamp: Timestamp(1_700_000_000.0), end_time: Some(Timestamp(1_700_000_060.0)) });
        let iso: Shape = serde_json::from_str(r#"{"Timestamp":"2016-10-03T23:00:00Z"}"#).unwrap();
        assert_eq!(iso.timestamp, Timestamp(1_475_535_600.0));
        assert!(serde_json::from_str::<Shape>(r#"{"Timestamp":"soon"}"#).is_err());
        assert!(serde_json::from_str::<Shape>(r#"{"Timestamp":true}"#).is_err());
    }

    #[test]
    fn cbor_uses_tag_1() {
        // {"Timestamp": 1(1700000000)} — whole seconds go out as an integer under tag 1.
        let bytes = cbor(&Shape { timestamp: Timestamp(1_700_000_000.0), end_time: None });
        let value: ciborium::Value = ciborium::from_reader(bytes.as_slice()).unwrap();
        let expected = ciborium::Value::Map(vec![(
            ciborium::Value::Text("Timestamp".into()),
            ciborium::Value::Tag(1, Box::new(ciborium::Value::Integer(1_700_000_000.into()))),
        )]);
        assert_eq!(value, expected);
        // Fractional seconds go out as a float under tag 1 and round-trip.
        let s = Shape { timestamp: Timestamp(1_700_000_000.25), end_time: Some(Timestamp(1.5)) };
        let bytes = cbor(&s);
        let value: ciborium::Value = ciborium::from_reader(bytes.as_slice()).unwrap();
        let ts = &value.as_map().unwrap()[0].1;
        assert!(matches!(ts, ciborium::Value::Tag(1, inner) if inner.as_float() == Some(1_700_000_000.25)));
        assert_eq!(ciborium::from_reader::<Shape, _>(bytes.as_slice()).unwrap(), s);
    }

    #[test]
    fn cbor_accepts_what_sdks_send() {
        use ciborium::Value;
        let decode = |ts: Value| {
            let map = Value::Map(vec![(Value::Text("Timestamp".into()), ts)]);
            ciborium::from_reader::<Shape, _>(cbor(&map).as_slice()).map(|s| s.timestamp)
        };
        // aws-sdk-rust: tag 1 over a float.
        assert_eq!(decode(Value::Tag(1, Box::new(Value::Float(1_700_000_000.0)))).unwrap(), Timestamp(1.7e9));
        // Tag 1 over an integer, and an untagged number, are accepted too.
        assert_eq!(decode(Value::Tag(1, Box::new(Value::Integer(1_700_000_000.into())))).unwrap(), Timestamp(1.7e9));
        assert_eq!(decode(Value::Float(12.5)).unwrap(), Timestamp(12.5));
        // Another tag is refused.
        assert!(decode(Value::Tag(0, Box::new(Value::Float(1.0)))).is_err());
        assert!(decode(Value::Text("2016-10-03T23:00:00Z".into())).is_err());
    }
}
