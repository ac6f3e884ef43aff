//! The AWS face: one HTTP endpoint that speaks CloudWatch's three wire protocols (rpcv2Cbor,
//! awsJson1_0, awsQuery) to stock AWS SDKs, boto3 and the AWS CLI (`aws-semantics.md` §1). Built
//! as a table of services × protocols (`routing`), so CloudWatch Logs and CloudTrail join as rows.
//! Pieces: `routing` (which service, protocol and operation), `body` (bounded gzip inflation),
//! `error` (AWS errors in each protocol's shape).
// The HTTP handler that ties these together lands with the operations; until then only the
// tests use them.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod body;
pub(crate) mod cloudwatch;
pub(crate) mod error;
pub(crate) mod routing;
pub(crate) mod timestamp;
