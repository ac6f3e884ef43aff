//! Alarm evaluation throughput: 10,000 metric alarms on 1,000 metrics, evaluated once per
//! (manual-clock) minute through the engine's public query path, as the scheduler does. The
//! figure of merit is alarms evaluated per second on one core; the bar is 10,000 alarms
//! per minute per core (≈ 167 per second), so one evaluation round must take well under 60 s.
//!
//! `cargo bench -p stratus-bench --bench alarms` (pin to one core with `taskset -c 0` to measure
//! per core; evaluation runs on the calling thread).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stratus_engine::{
    DatumValue, Dimension, Engine, EngineConfig, ManualClock, MetricAlarmInput, MetricKey, Resolution, Tenant, Unit,
};

const METRICS: usize = 1_000;
const ALARMS_PER_METRIC: usize = 10;
/// A whole minute.
const T0: i64 = 1_900_000_020_000;

fn setup() -> (tempfile::TempDir, Arc<ManualClock>, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let cfg = EngineConfig { shards: 1, alarm_scheduler: false, ..EngineConfig::default() };
    let engine = Engine::open_with_clock(dir.path(), cfg, clock.clone()).unwrap();
    let tenant = Tenant::default();
    let key =
        |m: usize| MetricKey::new("Bench", "CPU", vec![Dimension { name: "Host".into(), value: format!("h{m}") }]);
    // Seventy minutes of data (ten before the start, an hour after), six samples a minute.
    let mut app = engine.appender(&tenant);
    for m in 0..METRICS {
        for s in 0..420 {
            let t = T0 - 600_000 + s * 10_000;
            let v = ((m * 7 + s as usize * 13) % 100) as f64;
            app.append(&key(m), Unit::Percent, Resolution::Standard, t, &DatumValue::Single(v)).unwrap();
        }
    }
    app.commit().unwrap().wait().unwrap();
    for m in 0..METRICS {
        for a in 0..ALARMS_PER_METRIC {
            let n = 1 + (a % 5) as i64;
            let input = MetricAlarmInput {
                name: format!("alarm-{m}-{a}"),
                metric_name: Some("CPU".into()),
                namespace: Some("Bench".into()),
                dimensions: vec![Dimension { name: "Host".into(), value: format!("h{m}") }],
                statistic: (a % 3 != 2).then(|| if a % 2 == 0 { "Average" } else { "Maximum" }.to_string()),
                extended_statistic: (a % 3 == 2).then(|| "p90".to_string()),
                period: Some(60),
                evaluation_periods: Some(n),
                datapoints_to_alarm: Some(1 + (a as i64 % n)),
                threshold: Some((a * 10) as f64),
                comparison_operator: Some("GreaterThanThreshold".into()),
                treat_missing_data: Some(["missing", "ignore", "breaching", "notBreaching"][a % 4].into()),
                ..Default::default()
            };
            engine.put_metric_alarm(&tenant, &input).unwrap();
        }
    }
    (dir, clock, engine)
}

fn bench_alarms(c: &mut Criterion) {
    let (_dir, clock, engine) = setup();
    let mut g = c.benchmark_group("alarms");
    // Each iteration is the next minute; the data covers the first hour.
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements((METRICS * ALARMS_PER_METRIC) as u64));
    g.bench_function("evaluate_10k_alarms_one_minute", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                clock.advance(60_000);
                let start = Instant::now();
                let report = engine.run_alarm_evaluations().unwrap();
                spent += start.elapsed();
                assert_eq!(report.evaluated, METRICS * ALARMS_PER_METRIC);
            }
            spent
        })
    });
    g.finish();
}

criterion_group!(benches, bench_alarms);
criterion_main!(benches);
