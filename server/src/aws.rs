//! The AWS face: one HTTP endpoint that speaks CloudWatch's three wire protocols (rpcv2Cbor,
//! awsJson1_0, awsQuery) to stock AWS SDKs, boto3 and the AWS CLI (`aws-semantics.md` §1). Built
//! as a table of services × protocols (`routing`), so CloudWatch Logs and CloudTrail join as rows.
//! Pieces: `routing` (which service, protocol and operation), `body` (bounded gzip inflation),
//! `error` (AWS errors in each protocol's shape), `query` (the awsQuery codec: form requests
//! decoded with serde into the shared shapes, XML responses and errors), `timestamp` (epoch
//! seconds in JSON, CBOR tag 1, ISO 8601 in Query XML), `cloudwatch` (CloudWatch's shapes and
//! their translation to the service layer's messages), `alarms` (the alarm operations' shapes and
//! their translation to the engine's alarm model), `sigv4` (Signature Version 4 verification,
//! and the matching signer for tests and the CLI).
// The HTTP handler that ties these together lands with SigV4; until then only the tests use them.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod alarms;
pub(crate) mod body;
pub(crate) mod cloudwatch;
pub(crate) mod error;
pub(crate) mod handler;
pub(crate) mod query;
pub(crate) mod routing;
pub(crate) mod sigv4;
pub(crate) mod timestamp;
