//! Timestamps of the AWS protocols: epoch seconds (awsJson number, rpcv2Cbor tag 1 over a
//! number; fractional, millisecond precision).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant as epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timestamp(pub(crate) f64);

impl Timestamp {
    /// As a protobuf timestamp (milliseconds kept).
    pub(crate) fn to_pb(self) -> prost_types::Timestamp {
        let ms = (self.0 * 1000.0).round() as i64;
        prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
    }

    /// From a protobuf timestamp.
    pub(crate) fn from_pb(t: &prost_types::Timestamp) -> Timestamp {
        Timestamp(t.seconds as f64 + f64::from(t.nanos) / 1e9)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::deserialize(d).map(Timestamp)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}
