//! AWS wire protocols for the CloudWatch-compatible HTTP face. `query` is the awsQuery codec
//! (form-encoded requests decoded with serde into the shared request shapes, XML responses and
//! errors rendered from the shared output shapes); `timestamp` is the [`timestamp::Timestamp`]
//! type those shapes use, which serializes as epoch seconds in JSON, CBOR tag 1 in CBOR and
//! ISO 8601 in Query XML. Routing, authentication and the operations themselves live elsewhere.

pub(crate) mod query;
pub(crate) mod timestamp;
