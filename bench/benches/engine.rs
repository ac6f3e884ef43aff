//! Engine benches: head append across threads (bulk form, fsync'd group commit), a
//! GetMetricStatistics over a day of 10-second data, from the head and from a block, and the
//! q1–q4 query shapes of `docs/benchmarks.md` in-engine over block-resident TSBS data
//! (100 hosts × 10 fields × 24 h of 10-second random walks, `tsbs` shape).
//!
//! Run: `cargo bench -p stratus-bench --bench engine -- --quick`

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stratus_bench::in_engine;
use stratus_bench::{FIELDS, Shape, Workload};
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

/// Hosts of the q1–q4 data set (the main set of `docs/benchmarks.md`).
const TSBS_HOSTS: usize = 100;

/// q1–q4 as loadgen asks them (`stratus_bench::in_engine`), over 100 hosts × 10 fields × 24 h
/// compacted into blocks.
fn query_tsbs(c: &mut Criterion) {
    let dir = bench_dir();
    let cfg = EngineConfig { durability: Durability::None, raw_retention: None, ..EngineConfig::default() };
    let engine = Engine::open(dir.path(), cfg).expect("open");
    let w = Workload::new(TSBS_HOSTS, 24, Shape::Tsbs, 1, now_ms() - 60_000);
    in_engine::load(&engine, &w, |_| FIELDS.len());
    let mut g = c.benchmark_group("query_tsbs");
    for (name, q) in in_engine::queries(&w) {
        let samples = match name {
            "q1" => 360,
            "q2" => 10 * 8 * 360,
            _ => {
                if let in_engine::Query::Data(req) = &q {
                    let r = engine.get_metric_data(&Tenant::default(), req).expect(name);
                    assert!(r.results.iter().all(|s| s.values.len() == 12), "{name}: 12 hourly points per series");
                }
                TSBS_HOSTS as u64 * 12 * 360
            }
        };
        g.throughput(Throughput::Elements(samples));
        g.bench_function(name, |b| b.iter(|| q.run(&engine)));
    }
    g.finish();
    engine.close().expect("close");
}

criterion_group!(benches, head_append, query_day, query_tsbs);
criterion_main!(benches);
