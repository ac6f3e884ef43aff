//! The AWS wire face: what the HTTP endpoint needs to serve stock AWS SDKs, boto3 and the AWS CLI
//! (CloudWatch over awsJson1_0, awsQuery and rpcv2Cbor, CloudWatch Logs, CloudTrail). So far it
//! holds only [`sigv4`], the framework-neutral AWS Signature Version 4 verifier (and the matching
//! signer for tests and the CLI); the router that calls it is written separately.

// Nothing outside the tests calls the verifier until the AWS HTTP router lands.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod sigv4;
