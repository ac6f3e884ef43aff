//! Files written by earlier format versions stay readable. `fixtures/block-v1/` holds a block
//! written by format v1 (sealed from a real server on 2026-11-22); the expected statistics are
//! those of the data it was made from, computed by hand:
//!
//! - Fixture/Latency {host=a}, Milliseconds:
//!   00:00 → 1.5 and 2.5 (n 2, sum 4, min 1.5, max 2.5);
//!   00:01 → Values 10×3, 20×1 and the set {4, 40, 5, 15} (n 8, sum 90, min 5, max 20).
//! - Fixture/Errors {}, Count: 00:00:10 → 7.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::{
    Dimension, Engine, EngineConfig, ManualClock, MetricKey, RealFs, Statistic, StatisticsQuery, Tenant,
};

const T0: i64 = 1_795_305_600_000; // 2026-11-22T00:00:00Z

fn open(dir: &Path) -> Engine {
    let cfg = EngineConfig {
        maintenance_interval: Duration::from_secs(3600),
        raw_retention: None,
        ..EngineConfig::default()
    };
    Engine::open_with(Arc::new(RealFs), Arc::new(ManualClock::new(T0 + 3_600_000)), dir, cfg).expect("open")
}

fn stats(engine: &Engine, key: MetricKey) -> Vec<(i64, f64, f64, f64, f64)> {
    let q = StatisticsQuery {
        key,
        start_ms: T0,
        end_ms: T0 + 120_000,
        period_s: 60,
        statistics: Statistic::ALL.to_vec(),
        extended_statistics: vec![],
        unit: None,
    };
    engine
        .get_metric_statistics(&Tenant::default(), &q)
        .expect("query")
        .datapoints
        .iter()
        .map(|d| (d.timestamp_ms - T0, d.sample_count.unwrap(), d.sum.unwrap(), d.minimum.unwrap(), d.maximum.unwrap()))
        .collect()
}

#[test]
fn v1_blocks_stay_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocks = dir.path().join("blocks");
    std::fs::create_dir_all(&blocks).expect("mkdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/block-v1");
    for e in std::fs::read_dir(&fixtures).expect("fixtures") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, blocks.join(p.file_name().expect("name"))).expect("copy");
    }
    let engine = open(dir.path());
    let latency = MetricKey::new("Fixture", "Latency", vec![Dimension::new("host", "a")]);
    assert_eq!(stats(&engine, latency.clone()), vec![(0, 2.0, 4.0, 1.5, 2.5), (60_000, 8.0, 90.0, 5.0, 20.0)]);
    assert_eq!(stats(&engine, MetricKey::new("Fixture", "Errors", vec![])), vec![(0, 1.0, 7.0, 7.0, 7.0)]);
    // A second block, then compaction rewrites both in the current format; answers do not change.
    let mut app = engine.appender(&Tenant::default());
    let other = MetricKey::new("Fixture", "Other", vec![]);
    app.append(
        &other,
        stratus_engine::Unit::None,
        stratus_engine::Resolution::High,
        T0,
        &stratus_engine::DatumValue::Single(1.0),
    )
    .expect("append");
    app.commit().expect("commit").wait().expect("durable");
    engine.flush(true).expect("flush");
    assert_eq!(engine.stats().blocks, 1);
    assert_eq!(stats(&engine, latency), vec![(0, 2.0, 4.0, 1.5, 2.5), (60_000, 8.0, 90.0, 5.0, 20.0)]);
}
