//! Retention tiers end to end with a controlled clock: raw data past raw retention is rolled
//! up into 5-minute buckets, then into 1-hour buckets, then deleted; each stage answers with
//! exact SampleCount/Sum/Minimum/Maximum and percentiles within the sketch's 1 % bound, and
//! the files of the previous stage are gone from disk.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::{
    DatumValue, Engine, EngineConfig, ManualClock, MetricKey, RealFs, Resolution, Statistic, StatisticsQuery, Tenant,
    Unit,
};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_900_000_800_000; // hour-aligned
const SAMPLES: i64 = 720; // 2 hours of 10-second data

fn value(i: i64) -> f64 {
    // Positive, varied, with repeats: 1 + (i·37 mod 200) / 4.
    1.0 + ((i * 37) % 200) as f64 / 4.0
}

fn open(dir: &Path, clock: &Arc<ManualClock>) -> Engine {
    let cfg = EngineConfig { maintenance_interval: Duration::from_secs(3600), ..EngineConfig::default() };
    Engine::open_with(Arc::new(RealFs), clock.clone(), dir, cfg).expect("open")
}

/// Exact statistics of the samples in [from, to): (count, sum, min, max, sorted values).
fn exact(from: i64, to: i64) -> (f64, f64, f64, f64, Vec<f64>) {
    let mut vs: Vec<f64> = (0..SAMPLES).filter(|i| (from..to).contains(&(T0 + i * 10_000))).map(value).collect();
    vs.sort_by(f64::total_cmp);
    let sum = vs.iter().sum();
    (vs.len() as f64, sum, vs[0], vs[vs.len() - 1], vs)
}

/// Nearest rank: the smallest value whose cumulative count reaches q·n.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank - 1]
}

fn query(engine: &Engine, period_s: i64) -> Vec<stratus_engine::Datapoint> {
    let q = StatisticsQuery {
        key: MetricKey::new("Tiered", "latency", vec![]),
        start_ms: T0,
        end_ms: T0 + SAMPLES * 10_000,
        period_s,
        statistics: vec![],
        extended_statistics: vec!["p50".into(), "p90".into(), "p99".into()],
        unit: None,
    };
    let ext = engine.get_metric_statistics(&Tenant::default(), &q).expect("percentiles");
    let q = StatisticsQuery { statistics: Statistic::ALL.to_vec(), extended_statistics: vec![], ..q };
    let mut basic = engine.get_metric_statistics(&Tenant::default(), &q).expect("statistics").datapoints;
    for (d, e) in basic.iter_mut().zip(ext.datapoints) {
        assert_eq!(d.timestamp_ms, e.timestamp_ms);
        d.extended_statistics = e.extended_statistics;
    }
    basic
}

fn check(engine: &Engine, period_s: i64, stage: &str) {
    let got = query(engine, period_s);
    let buckets = SAMPLES * 10_000 / (period_s * 1000);
    assert_eq!(got.len() as i64, buckets, "{stage}: one datapoint per {period_s} s bucket");
    for d in got {
        let (n, sum, min, max, sorted) = exact(d.timestamp_ms, d.timestamp_ms + period_s * 1000);
        assert_eq!(d.sample_count, Some(n), "{stage}");
        assert!((d.sum.unwrap() - sum).abs() < 1e-6 * sum, "{stage}: sum");
        assert_eq!((d.minimum, d.maximum), (Some(min), Some(max)), "{stage}");
        for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            let want = percentile(&sorted, q);
            let v = d.extended_statistics.iter().find(|(n, _)| n == name).map(|(_, v)| *v).expect(name);
            assert!((v - want).abs() <= 0.01 * want + 1e-9, "{stage}: {name} = {v}, exact {want}");
        }
    }
}

fn block_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("blocks"))
        .expect("blocks dir")
        .filter(|e| e.as_ref().expect("entry").path().extension().is_some_and(|x| x == "blk"))
        .count()
}

#[test]
fn raw_then_five_minute_then_hour_then_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(T0 + SAMPLES * 10_000));
    let engine = open(dir.path(), &clock);
    let key = MetricKey::new("Tiered", "latency", vec![]);
    let mut app = engine.appender(&Tenant::default());
    for i in 0..SAMPLES {
        app.append(&key, Unit::Milliseconds, Resolution::High, T0 + i * 10_000, &DatumValue::Single(value(i)))
            .expect("append");
    }
    app.commit().expect("commit").wait().expect("durable");
    engine.flush(true).expect("seal");
    assert_eq!(block_files(dir.path()), 1);
    // Raw: exact (the bound holds trivially), any period.
    check(&engine, 60, "raw");

    // 16 days later the raw block is past raw retention: rolled up into 5-minute buckets.
    clock.set(T0 + 16 * DAY);
    engine.flush(true).expect("roll up");
    assert_eq!(block_files(dir.path()), 1, "the raw block was replaced by its rollup");
    check(&engine, 300, "5-minute tier");
    check(&engine, 3600, "5-minute tier, 1-hour period");
    // Periods finer than the tier return nothing for data this old (AWS: not an error).
    assert!(query(&engine, 60).is_empty());
    engine.close().expect("close");
    drop(engine);
    let engine = open(dir.path(), &clock);
    check(&engine, 300, "5-minute tier after reopen");

    // 64 days later: the 5-minute rollup is rolled into 1-hour buckets.
    clock.set(T0 + 64 * DAY);
    engine.flush(true).expect("roll up");
    assert_eq!(block_files(dir.path()), 1);
    check(&engine, 3600, "1-hour tier");
    assert!(query(&engine, 300).is_empty(), "5-minute periods on 64-day-old data return nothing");

    // 456 days later the 1-hour rollup is past its retention: deleted from disk.
    clock.set(T0 + 456 * DAY);
    engine.flush(true).expect("expire");
    assert_eq!(block_files(dir.path()), 0, "expired data is gone from disk");
    assert!(query(&engine, 3600).is_empty());
}
