//! Simulated power loss while raw blocks are rolled up: after recovery every sample is counted
//! exactly once — in the raw blocks if the rollup was not published, in the rollup if it was —
//! never twice and never lost.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::durable::{CrashMode, FaultKind};
use stratus_engine::{
    DatumValue, Engine, EngineConfig, ManualClock, MetricKey, Resolution, SimFs, Statistic, StatisticsQuery, Tenant,
    Unit,
};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_900_000_800_000; // hour-aligned

fn open(fs: &Arc<SimFs>, clock: &Arc<ManualClock>) -> Engine {
    let cfg = EngineConfig { maintenance_interval: Duration::from_secs(3600), ..EngineConfig::default() };
    Engine::open_with(fs.clone(), clock.clone(), Path::new("/data"), cfg).expect("recovery")
}

/// Two sealed raw blocks of 60 samples each (values 1..=120 at 10-s steps over 20 minutes).
fn load(engine: &Engine) {
    let key = MetricKey::new("R", "m", vec![]);
    for half in 0..2 {
        let mut app = engine.appender(&Tenant::default());
        for i in 0..60 {
            let n = half * 60 + i;
            app.append(&key, Unit::Count, Resolution::High, T0 + n * 10_000, &DatumValue::Single((n + 1) as f64))
                .expect("append");
        }
        app.commit().expect("commit").wait().expect("durable");
        engine.flush(false).expect("seal");
    }
}

/// (SampleCount, Sum) over the 20 minutes, at a 300-s period (served by raw or rollup).
fn totals(engine: &Engine) -> (f64, f64) {
    let q = StatisticsQuery {
        key: MetricKey::new("R", "m", vec![]),
        start_ms: T0,
        end_ms: T0 + 20 * 60_000,
        period_s: 300,
        statistics: vec![Statistic::SampleCount, Statistic::Sum],
        extended_statistics: vec![],
        unit: None,
    };
    let r = engine.get_metric_statistics(&Tenant::default(), &q).expect("query");
    r.datapoints.iter().fold((0.0, 0.0), |(n, s), d| (n + d.sample_count.unwrap(), s + d.sum.unwrap()))
}

#[test]
fn crash_during_rollup_neither_loses_nor_doubles() {
    // 120 samples, sum 1 + … + 120 = 7260.
    const WANT: (f64, f64) = (120.0, 7260.0);
    let clock = Arc::new(ManualClock::new(T0 + DAY));
    // Reference run: how many file-system operations the rollup takes.
    let fs = SimFs::new();
    let engine = open(&fs, &clock);
    load(&engine);
    clock.set(T0 + 16 * DAY);
    let before = fs.op_count();
    engine.flush(true).expect("roll up");
    let ops = fs.op_count() - before;
    assert_eq!(totals(&engine), WANT);
    drop(engine);
    assert!(ops > 3, "the rollup performs file-system operations ({ops})");

    for k in 1..=ops {
        for (m, mode) in [CrashMode::DropUnsynced, CrashMode::KeepRandomPrefix { seed: k }, CrashMode::KeepAll]
            .into_iter()
            .enumerate()
        {
            clock.set(T0 + DAY);
            let fs = SimFs::new();
            let engine = open(&fs, &clock);
            load(&engine);
            clock.set(T0 + 16 * DAY);
            fs.fail_after(k, FaultKind::Io);
            let _ = engine.flush(true);
            drop(engine);
            fs.crash(mode);
            fs.clear_faults();
            let engine = open(&fs, &clock);
            assert_eq!(totals(&engine), WANT, "crash at op {k}/{ops}, mode {m}");
            // Finishing the rollup afterwards keeps the totals.
            engine.flush(true).expect("roll up after recovery");
            assert_eq!(totals(&engine), WANT, "after finishing, crash at op {k}/{ops}, mode {m}");
        }
    }
}
