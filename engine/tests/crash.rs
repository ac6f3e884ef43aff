//! Simulated power loss at chosen points of a workload that appends, seals and compacts:
//! after recovery every acknowledged sample is present exactly once, and nothing that was
//! never written (or written once) appears twice.
//!
//! The workload writes sample `i` at its own second `BASE + i s` with value `i`, so a
//! per-second query tells exactly which samples exist and how many times.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::durable::{CrashMode, FaultKind};
use stratus_engine::{
    Durability, Engine, EngineConfig, ManualClock, MetricKey, PutMetricData, Resolution, SeriesBatch, SimFs, Statistic,
    StatisticsQuery, Tenant, Unit,
};

const NOW: i64 = 1_900_000_000_000 - 1_900_000_000_000 % 3_600_000;
const BASE: i64 = NOW - 1_800_000;
const SAMPLES: i64 = 1200;
const PER_COMMIT: i64 = 40;

fn config() -> EngineConfig {
    EngineConfig {
        shards: 2,
        durability: Durability::Sync,
        wal_segment_bytes: 4096,
        maintenance_interval: Duration::from_secs(3600),
        ..EngineConfig::default()
    }
}

fn request(from: i64, to: i64) -> PutMetricData {
    PutMetricData {
        namespace: "Crash".into(),
        metric_data: vec![],
        series: vec![SeriesBatch {
            metric_name: "seq".into(),
            dimensions: vec![],
            unit: Unit::Count,
            resolution: Resolution::High,
            timestamps_ms: (from..to).map(|i| BASE + i * 1000).collect(),
            values: (from..to).map(|i| i as f64).collect(),
        }],
    }
}

/// Runs the workload until the first failure; returns the ids of acknowledged samples.
fn workload(engine: &Engine) -> Vec<i64> {
    let tenant = Tenant::default();
    let mut acked = Vec::new();
    let mut i = 0;
    while i < SAMPLES {
        let to = i + PER_COMMIT;
        let ok = match engine.put_metric_data(&tenant, &request(i, to)) {
            Ok(r) => r.ticket.wait().is_ok(),
            Err(_) => false,
        };
        if !ok {
            return acked;
        }
        acked.extend(i..to);
        i = to;
        let commit_no = i / PER_COMMIT;
        if commit_no % 7 == 0 && engine.flush(commit_no % 21 == 0).is_err() {
            return acked;
        }
    }
    acked
}

/// Count of samples per id, read back per second.
fn counts(engine: &Engine) -> Vec<(i64, f64, f64)> {
    let q = StatisticsQuery {
        key: MetricKey::new("Crash", "seq", vec![]),
        start_ms: BASE,
        end_ms: BASE + SAMPLES * 1000,
        period_s: 1,
        statistics: vec![Statistic::SampleCount, Statistic::Sum],
        extended_statistics: vec![],
        unit: None,
    };
    engine
        .get_metric_statistics(&Tenant::default(), &q)
        .unwrap()
        .datapoints
        .iter()
        .map(|d| ((d.timestamp_ms - BASE) / 1000, d.sample_count.unwrap(), d.sum.unwrap()))
        .collect()
}

fn verify(engine: &Engine, acked: &[i64], ctx: &str) {
    let got = counts(engine);
    for &(id, n, sum) in &got {
        assert_eq!(n, 1.0, "{ctx}: sample {id} present {n} times");
        assert_eq!(sum, id as f64, "{ctx}: sample {id} has a foreign value");
    }
    let present: std::collections::HashSet<i64> = got.iter().map(|g| g.0).collect();
    for id in acked {
        assert!(present.contains(id), "{ctx}: acknowledged sample {id} lost");
    }
}

fn open(fs: &Arc<SimFs>, clock: &Arc<ManualClock>) -> Engine {
    Engine::open_with(fs.clone(), clock.clone(), Path::new("/data"), config()).expect("recovery")
}

#[test]
fn crash_at_every_stage_loses_no_acknowledged_sample() {
    let clock = Arc::new(ManualClock::new(NOW));
    // Reference run to learn how many file-system operations the workload performs.
    let fs = SimFs::new();
    let engine = open(&fs, &clock);
    let all = workload(&engine);
    assert_eq!(all.len() as i64, SAMPLES);
    verify(&engine, &all, "no crash");
    let total_ops = fs.op_count();
    drop(engine);

    let points: Vec<u64> = (1..total_ops).step_by((total_ops as usize / 90).max(1)).collect();
    for (n, &k) in points.iter().enumerate() {
        for (mode_no, kind) in [FaultKind::Io, FaultKind::SyncOnly, FaultKind::NoSpace].into_iter().enumerate() {
            let fs = SimFs::new();
            let engine = open(&fs, &clock);
            let before = fs.op_count();
            fs.fail_after(k.saturating_sub(before).max(1), kind);
            let acked = workload(&engine);
            drop(engine);
            let mode = match (n + mode_no) % 3 {
                0 => CrashMode::DropUnsynced,
                1 => CrashMode::KeepRandomPrefix { seed: k * 31 + mode_no as u64 },
                _ => CrashMode::KeepAll,
            };
            fs.crash(mode);
            fs.clear_faults();
            let ctx = format!("crash point {k}/{total_ops}, fault {kind:?}, {mode:?}");
            let engine = open(&fs, &clock);
            verify(&engine, &acked, &ctx);
            // The recovered engine keeps working and a second recovery agrees.
            engine.flush(true).unwrap();
            verify(&engine, &acked, &ctx);
            drop(engine);
            fs.crash(CrashMode::DropUnsynced);
            let engine = open(&fs, &clock);
            verify(&engine, &acked, &format!("{ctx}, second recovery"));
        }
    }
}
