//! Black-box test harness for the real `stratus` binary.
//!
//! The tests in `tests/tests/` never link the server: they spawn the `stratus` executable on
//! `127.0.0.1:0`, learn the bound ports from its one stdout line, and talk to it over gRPC and
//! raw HTTP/1.1 like any client would. This crate holds what they share.
//!
//! # Layout
//!
//! - `server`: [`ServerProcess`] — spawn, wait for the `stratus listening` line (bounded),
//!   connect a client, `kill -9`, SIGTERM, restart on the same data directory; stderr goes to a
//!   log file whose tail is printed when a test fails. [`stratus_bin`] finds the executable.
//! - `requests`: builders for the proto messages (datums in all three forms, bulk series,
//!   queries) and timestamp helpers.
//! - `reference`: an independent model of GetMetricStatistics — [`Observation`]s in,
//!   [`Expected`] datapoints out — and [`assert_datapoints`], which compares a response to it.
//! - `http`: [`http_get`] and [`http_post`], minimal HTTP/1.1 over a tokio `TcpStream`.
//! - `rng`: [`SplitMix64`], a seeded generator (no `rand` dependency).
//!
//! # Finding the binary
//!
//! `STRATUS_BIN` if set; otherwise `stratus` next to the test executable's `deps/` directory
//! (`target/<profile>/stratus`). `cargo test --workspace` builds it first (the server package has
//! an integration test, which makes cargo build its binary); with `cargo test -p stratus-tests`
//! run `cargo build -p stratus-server` before. Tests never invoke cargo.
//!
//! # Bounds
//!
//! Every wait is bounded: start-up by [`START_TIMEOUT`], each gRPC call by [`RPC_TIMEOUT`]
//! (set on the channel), process exit by [`EXIT_TIMEOUT`].

mod http;
mod reference;
mod requests;
mod rng;
mod server;

pub use http::{HttpResponse, http_get, http_post};
pub use reference::{Expected, ObsValue, Observation, assert_datapoints, observations_of, reference_statistics};
pub use requests::{
    ALL_STATISTICS, DEFAULT_ACCOUNT, DEFAULT_REGION, dims, floor_minute, now_ms, put, series, single, stat_set,
    stats_query, ts, ts_ms, values, with_tenant,
};
pub use rng::{SplitMix64, seed_from_env};
pub use server::{EXIT_TIMEOUT, RPC_TIMEOUT, START_TIMEOUT, ServerProcess, stratus_bin};

/// The generated gRPC types, re-exported so tests need not name `stratus_proto`.
pub use stratus_proto::v1 as pb;

/// The generated client type every test uses.
pub type Client = pb::metrics_service_client::MetricsServiceClient<tonic::transport::Channel>;
