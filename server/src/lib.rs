//! The Stratus server: gRPC and HTTP front ends over the synchronous [`stratus_engine::Engine`],
//! and the client subcommands of the `stratus` binary.
//!
//! Tests and embedders call [`run`] (binds the configured addresses) or [`run_with_listeners`]
//! (takes already-bound listeners, e.g. on port 0) with their own shutdown future; the binary
//! (`src/main.rs`) only parses arguments, sets up tracing and calls one of them.
//!
//! # Layout
//!
//! - `config`: [`ServerConfig`], the `serve` flags ([`ServeArgs`]) and their layering: TOML file
//!   < `STRATUS_*` environment variables < flags; invalid values are rejected with
//!   [`ConfigError`] before anything starts.
//! - `serve`: [`run`] / [`run_with_listeners`]: opens the engine, serves gRPC (metrics service,
//!   health, reflection) and HTTP, prints the `stratus listening ...` line, and shuts down in
//!   order (stop intake, drain in-flight requests, close the engine).
//! - `grpc`: the `stratus.v1.MetricsService` implementation: tenant from metadata, engine calls
//!   on the blocking pool, durable acknowledgement by awaiting the commit ticket.
//! - `convert`: proto ⇄ engine types; rejects only what the engine types cannot represent
//!   (unknown units and statistics, bad storage resolution, datum forms). Semantic validation
//!   lives in the engine, shared with the future AWS HTTP face.
//! - `status`: the one mapping from [`stratus_engine::Error`] to gRPC status codes.
//! - `http`: the axum router: `/healthz` and `/metrics` (Prometheus text).
//! - `telemetry`: the server's own counters, rendered for `/metrics`.
//! - `service`: the operations both faces call, and the one middleware every call passes.
//! - `aws`: the AWS wire face (routing, SigV4, the three protocols' codecs, AWS errors); its
//!   HTTP handler is not mounted yet (issue 5 in progress).
//! - [`cli`]: the command line: `stratus serve` and the client verbs (`put-metric-data`,
//!   `get-metric-statistics`, `get-metric-data`, `list-metrics`, `flush`).

mod aws;
mod config;
mod convert;
mod grpc;
mod http;
mod memory;
mod serve;
mod service;
mod status;
mod telemetry;

pub mod cli;

pub use config::{
    ConfigError, DEFAULT_ACCOUNT, DEFAULT_DATA_DIR, DEFAULT_GRPC_ADDR, DEFAULT_HTTP_ADDR, DEFAULT_REGION, ServeArgs,
    ServerConfig,
};
pub use serve::{run, run_with_listeners, shutdown_signal};
