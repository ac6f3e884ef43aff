//! Generated types of the Stratus gRPC API, package `stratus.v1`.
//!
//! The `.proto` sources live in `proto/stratus/v1/`; they are compiled at build time by
//! protox (no system `protoc`). Field names are CloudWatch's API members in snake_case.

/// `stratus.v1`: the metrics service and its messages.
pub mod v1 {
    #![allow(missing_docs, unreachable_pub, missing_debug_implementations)]
    tonic::include_proto!("stratus.v1");
}

/// Encoded `FileDescriptorSet` of every Stratus proto, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stratus_descriptor.bin"));
