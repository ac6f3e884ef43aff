//! Files written by earlier format versions stay readable. `fixtures/block-v1/` holds a block
//! written by format v1 (sealed from a real server on 2026-11-22); the expected statistics are
//! those of the data it was made from, computed by hand:
//!
//! - Fixture/Latency {host=a}, Milliseconds:
//!   00:00 → 1.5 and 2.5 (n 2, sum 4, min 1.5, max 2.5);
//!   00:01 → Values 10×3, 20×1 and the set {4, 40, 5, 15} (n 8, sum 90, min 5, max 20).
//! - Fixture/Errors {}, Count: 00:00:10 → 7.
//!
//! `fixtures/block-v2/` holds two blocks written by format v2 (by `generate_v2_fixture` below,
//! on 2026-11-22, before format v3): a 5-minute rollup block (tier 300, with sketch blobs) of
//! data at T0, and a sealed head (level 0) of data at T1 = T0 + 16 days:
//!
//! - Fixture2/Latency {az=x, host=a}, Milliseconds, at T0: 00:00:00 → 1.5, 00:00:10 → 2.5,
//!   00:00:20 → Values 10×3, 20×1; 00:05:00 → 7.25. 5-minute buckets: 00:00 (n 6, sum 54,
//!   min 1.5, max 20), 00:05 (n 1, sum 7.25, min 7.25, max 7.25).
//! - Fixture2/Sets {}, Count, at T0 + 60 s: the set {4, 40, 5, 15}.
//! - Fixture2/Latency again at T1 − 10 min: 3.0, then 4.0 ten seconds later (n 2, sum 7, min 3,
//!   max 4 in that minute).
//! - Fixture2/Errors {}, Count, at T1 − 9 min: 9.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::{
    DatumValue, Dimension, Engine, EngineConfig, ManualClock, MetricKey, RealFs, Resolution, Statistic, StatisticSet,
    StatisticsQuery, Tenant, Unit,
};

const T0: i64 = 1_795_305_600_000; // 2026-11-22T00:00:00Z
const DAY: i64 = 86_400_000;
const T1: i64 = T0 + 16 * DAY;

fn open(dir: &Path) -> Engine {
    let cfg = EngineConfig {
        maintenance_interval: Duration::from_secs(3600),
        raw_retention: None,
        ..EngineConfig::default()
    };
    Engine::open_with(Arc::new(RealFs), Arc::new(ManualClock::new(T0 + 3_600_000)), dir, cfg).expect("open")
}

fn stats(engine: &Engine, key: MetricKey) -> Vec<(i64, f64, f64, f64, f64)> {
    stats_at(engine, key, T0, T0 + 120_000, 60)
}

/// Per period from `start`: (offset from `start`, count, sum, min, max).
fn stats_at(engine: &Engine, key: MetricKey, start: i64, end: i64, period_s: i64) -> Vec<(i64, f64, f64, f64, f64)> {
    let q = StatisticsQuery {
        key,
        start_ms: start,
        end_ms: end,
        period_s,
        statistics: Statistic::ALL.to_vec(),
        extended_statistics: vec![],
        unit: None,
    };
    engine
        .get_metric_statistics(&Tenant::default(), &q)
        .expect("query")
        .datapoints
        .iter()
        .map(|d| {
            (d.timestamp_ms - start, d.sample_count.unwrap(), d.sum.unwrap(), d.minimum.unwrap(), d.maximum.unwrap())
        })
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

fn copy_fixtures(name: &str, data_dir: &Path) {
    let blocks = data_dir.join("blocks");
    std::fs::create_dir_all(&blocks).expect("mkdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    for e in std::fs::read_dir(&fixtures).expect("fixtures") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, blocks.join(p.file_name().expect("name"))).expect("copy");
    }
}

fn v2_latency() -> MetricKey {
    MetricKey::new("Fixture2", "Latency", vec![Dimension::new("host", "a"), Dimension::new("az", "x")])
}

fn check_v2(engine: &Engine) {
    let old = |key| stats_at(engine, key, T0, T0 + 600_000, 300);
    let new = |key| stats_at(engine, key, T1 - 600_000, T1, 60);
    assert_eq!(old(v2_latency()), vec![(0, 6.0, 54.0, 1.5, 20.0), (300_000, 1.0, 7.25, 7.25, 7.25)]);
    assert_eq!(old(MetricKey::new("Fixture2", "Sets", vec![])), vec![(0, 4.0, 40.0, 5.0, 15.0)]);
    assert_eq!(new(v2_latency()), vec![(0, 2.0, 7.0, 3.0, 4.0)]);
    assert_eq!(new(MetricKey::new("Fixture2", "Errors", vec![])), vec![(60_000, 1.0, 9.0, 9.0, 9.0)]);
}

fn open_at(dir: &Path, now: i64) -> Engine {
    let cfg = EngineConfig { maintenance_interval: Duration::from_secs(3600), ..EngineConfig::default() };
    Engine::open_with(Arc::new(RealFs), Arc::new(ManualClock::new(now)), dir, cfg).expect("open")
}

#[test]
fn v2_blocks_stay_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fixtures("block-v2", dir.path());
    let engine = open_at(dir.path(), T1 + 3_600_000);
    assert_eq!(engine.stats().blocks, 2);
    check_v2(&engine);
    // Compaction rewrites the sealed head in the current format; answers do not change.
    engine.flush(true).expect("flush");
    check_v2(&engine);
    engine.close().expect("close");
    drop(engine);
    let engine = open_at(dir.path(), T1 + 3_600_000);
    check_v2(&engine);
}

/// Writes `tests/fixtures/block-v2/` with the current writer. Run once, by hand, while the
/// writer wrote v2: `cargo test -p stratus-engine --test format_compat -- --ignored`
/// (`STRATUS_FIXTURE_OUT=DIR` to write elsewhere).
#[test]
#[ignore = "regenerates a committed fixture"]
fn generate_v2_fixture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(T0 + 3_600_000));
    let cfg = EngineConfig { maintenance_interval: Duration::from_secs(3600), ..EngineConfig::default() };
    let engine = Engine::open_with(Arc::new(RealFs), clock.clone(), dir.path(), cfg).expect("open");
    let tenant = Tenant::default();
    let put = |key: &MetricKey, unit: Unit, t: i64, v: DatumValue| {
        let mut app = engine.appender(&tenant);
        app.append(key, unit, Resolution::High, t, &v).expect("append");
        app.commit().expect("commit").wait().expect("durable");
    };
    let ms = Unit::Milliseconds;
    put(&v2_latency(), ms, T0, DatumValue::Single(1.5));
    put(&v2_latency(), ms, T0 + 10_000, DatumValue::Single(2.5));
    put(&v2_latency(), ms, T0 + 20_000, DatumValue::Values { values: vec![10.0, 20.0], counts: vec![3.0, 1.0] });
    put(&v2_latency(), ms, T0 + 300_000, DatumValue::Single(7.25));
    let set = StatisticSet { sample_count: 4.0, sum: 40.0, minimum: 5.0, maximum: 15.0 };
    put(&MetricKey::new("Fixture2", "Sets", vec![]), Unit::Count, T0 + 60_000, DatumValue::StatisticSet(set));
    engine.flush(true).expect("seal");
    // 16 days on, the raw block is past raw retention: rolled up into a 5-minute block.
    clock.set(T1);
    engine.flush(true).expect("roll up");
    put(&v2_latency(), ms, T1 - 600_000, DatumValue::Single(3.0));
    put(&v2_latency(), ms, T1 - 590_000, DatumValue::Single(4.0));
    put(&MetricKey::new("Fixture2", "Errors", vec![]), Unit::Count, T1 - 540_000, DatumValue::Single(9.0));
    engine.flush(false).expect("seal");
    engine.close().expect("close");
    let out = std::env::var_os("STRATUS_FIXTURE_OUT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/block-v2"),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut n = 0;
    for e in std::fs::read_dir(dir.path().join("blocks")).expect("blocks") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "blk") {
            std::fs::copy(&p, out.join(p.file_name().expect("name"))).expect("copy");
            n += 1;
        }
    }
    assert_eq!(n, 2, "a rollup block and a sealed head");
}
