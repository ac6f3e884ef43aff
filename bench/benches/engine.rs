//! Engine benches: head append across threads (bulk form, fsync'd group commit) and a
//! GetMetricStatistics over a day of 10-second data, from the head and from a block.
//!
//! Run: `cargo bench -p stratus-bench --bench engine -- --quick`

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stratus_engine::{
    Dimension, Durability, Engine, EngineConfig, MetricKey, PutMetricData, Resolution, SeriesBatch, Statistic,
    StatisticsQuery, Tenant, Unit,
};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as i64
}

fn bench_dir() -> tempfile::TempDir {
    match std::env::var_os("STRATUS_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d).expect("bench dir"),
        None => tempfile::tempdir().expect("temp dir"),
    }
}

/// One request in the loadgen's shape: 10 series × 180 points of 10-second data.
fn request(host: usize, round: i64, end: i64) -> PutMetricData {
    let series = (0..10)
        .map(|f| SeriesBatch {
            metric_name: format!("usage_{f}"),
            dimensions: vec![Dimension::new("hostname", format!("host_{host}")), Dimension::new("region", "eu")],
            unit: Unit::Percent,
            resolution: Resolution::High,
            timestamps_ms: (0..180).map(|i| end - 3_600_000 + ((round * 180 + i) % 360) * 10_000).collect(),
            values: (0..180).map(|i| ((i * 7 + f as i64) % 100) as f64).collect(),
        })
        .collect();
    PutMetricData { namespace: "Bench".into(), metric_data: vec![], series }
}

fn head_append(c: &mut Criterion) {
    let mut g = c.benchmark_group("head_append");
    g.measurement_time(Duration::from_secs(5));
    for threads in [1usize, 2, 4] {
        let dir = bench_dir();
        let cfg = EngineConfig {
            durability: Durability::Sync,
            head_max_samples: 50_000_000,
            max_pending_samples: 200_000_000,
            ..EngineConfig::default()
        };
        let engine = Arc::new(Engine::open(dir.path(), cfg).expect("open"));
        let end = now_ms();
        let per_iter = (threads * 1800) as u64;
        g.throughput(Throughput::Elements(per_iter));
        let mut round = 0i64;
        g.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, &threads| {
            b.iter(|| {
                round += 1;
                std::thread::scope(|s| {
                    for t in 0..threads {
                        let engine = engine.clone();
                        s.spawn(move || {
                            let r = engine.put_metric_data(&Tenant::default(), &request(t, round, end)).expect("put");
                            r.ticket.wait().expect("durable");
                        });
                    }
                });
                if engine.stats().head_samples > 40_000_000 {
                    engine.flush(false).expect("flush");
                }
            })
        });
        engine.close().expect("close");
    }
    g.finish();
}

fn query_day(c: &mut Criterion) {
    let dir = bench_dir();
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("open");
    let end = now_ms() / 60_000 * 60_000;
    let start = end - 86_400_000;
    let key = MetricKey::new("Bench", "cpu", vec![Dimension::new("host", "a")]);
    let batch = SeriesBatch {
        metric_name: "cpu".into(),
        dimensions: key.dimensions.clone(),
        unit: Unit::Percent,
        resolution: Resolution::High,
        timestamps_ms: (0..8640).map(|i| start + i * 10_000).collect(),
        values: (0..8640).map(|i| ((i * 37) % 1000) as f64 / 10.0).collect(),
    };
    let req = PutMetricData { namespace: "Bench".into(), metric_data: vec![], series: vec![batch] };
    engine.put_metric_data(&Tenant::default(), &req).expect("put").ticket.wait().expect("durable");
    let q = StatisticsQuery {
        key,
        start_ms: start,
        end_ms: end,
        period_s: 60,
        statistics: Statistic::ALL.to_vec(),
        extended_statistics: Vec::new(),
        unit: None,
    };
    let mut g = c.benchmark_group("get_metric_statistics_day");
    g.throughput(Throughput::Elements(8640));
    g.bench_function("head", |b| b.iter(|| engine.get_metric_statistics(&Tenant::default(), &q).expect("query")));
    engine.flush(true).expect("flush");
    g.bench_function("block", |b| b.iter(|| engine.get_metric_statistics(&Tenant::default(), &q).expect("query")));
    g.finish();
    engine.close().expect("close");
}

criterion_group!(benches, head_append, query_day);
criterion_main!(benches);
