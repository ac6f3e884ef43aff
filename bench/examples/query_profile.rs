//! Runs the q1–q4 query shapes of `docs/benchmarks.md` in-engine, for instruction counts
//! under callgrind (stable on a shared machine, unlike wall time):
//!
//! ```text
//! cargo build --release -p stratus-bench --example query_profile
//! valgrind --tool=callgrind --toggle-collect='*run_queries*' \
//!     target/release/examples/query_profile q3_insights 20
//! ```
//!
//! Data: 100 hosts' `usage_user` and one host's 10 fields, 24 h of 10-second `tsbs` random
//! walks, compacted into blocks (q1–q4 read nothing else). Windows start on a whole minute
//! that is not an hour, as loadgen's do.

use std::time::{SystemTime, UNIX_EPOCH};

use stratus_bench::in_engine::{self, Q2_HOST, Query};
use stratus_bench::{FIELDS, Shape, Workload};
use stratus_engine::{Durability, Engine, EngineConfig};

const HOSTS: usize = 100;

#[inline(never)]
fn run_queries(engine: &Engine, q: &Query, iterations: usize) -> usize {
    (0..iterations).map(|_| q.run(engine)).sum()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "q3_insights".into());
    let iterations: usize = args.next().map_or(10, |s| s.parse().expect("iterations"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = EngineConfig { durability: Durability::None, raw_retention: None, ..EngineConfig::default() };
    let engine = Engine::open(dir.path(), cfg).expect("open");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as i64;
    let w = Workload::new(HOSTS, 24, Shape::Tsbs, 1, now - 60_000);
    in_engine::load(&engine, &w, |h| if h == Q2_HOST { FIELDS.len() } else { 1 });
    let Some((_, q)) = in_engine::queries(&w).into_iter().find(|(n, _)| *n == name) else {
        panic!("unknown query {name}: q1, q2, q3_insights, q3_search, q4_insights, q4_search")
    };
    let points = run_queries(&engine, &q, iterations);
    println!("{name}: {iterations} iterations, {points} points");
    engine.close().expect("close");
}
