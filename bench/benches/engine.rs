//! Engine benches: head append across threads (bulk form, fsync'd group commit), a
//! GetMetricStatistics over a day of 10-second data, from the head and from a block, and the
//! q1–q4 query shapes of `docs/benchmarks.md` in-engine over block-resident TSBS data
//! (100 hosts × 10 fields × 24 h of 10-second random walks, `tsbs` shape).
//!
//! Run: `cargo bench -p stratus-bench --bench engine -- --quick`

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stratus_bench::{FIELDS, Shape, TAG_KEYS, Workload};
use stratus_engine::{
    Dimension, Durability, Engine, EngineConfig, GetMetricData, MetricDataQuery, MetricKey, PutMetricData, QueryKind,
    Resolution, ScanBy, SeriesBatch, Statistic, StatisticsQuery, Tenant, Unit,
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

/// The TSBS data in one engine, compacted into blocks: 100 hosts × 10 fields × 24 h.
fn tsbs_engine(dir: &std::path::Path) -> (Engine, Workload) {
    let cfg = EngineConfig { durability: Durability::None, raw_retention: None, ..EngineConfig::default() };
    let engine = Engine::open(dir, cfg).expect("open");
    let w = Workload::new(TSBS_HOSTS, 24, Shape::Tsbs, 1, now_ms() - 60_000);
    let timestamps: Vec<i64> = (0..w.points_per_series()).map(|i| w.timestamp_ms(i)).collect();
    for h in w.hosts() {
        let dimensions: Vec<Dimension> = h.dimensions().map(|(k, v)| Dimension::new(k, v)).collect();
        let series = (0..FIELDS.len())
            .map(|f| SeriesBatch {
                metric_name: FIELDS[f].into(),
                dimensions: dimensions.clone(),
                unit: Unit::Percent,
                resolution: Resolution::High,
                timestamps_ms: timestamps.clone(),
                values: w.series_values(h.index, f),
            })
            .collect();
        let req = PutMetricData { namespace: "Benchmark/CPU".into(), metric_data: vec![], series };
        engine.put_metric_data(&Tenant::default(), &req).expect("put").ticket.wait().expect("durable");
    }
    engine.flush(true).expect("flush");
    (engine, w)
}

fn expression(id: &str, e: String) -> MetricDataQuery {
    MetricDataQuery {
        id: id.into(),
        label: None,
        return_data: true,
        period_s: Some(3600),
        kind: QueryKind::Expression(e),
    }
}

fn search_expression() -> String {
    let mut keys = TAG_KEYS.to_vec();
    keys.sort_unstable();
    format!("SEARCH('{{Benchmark/CPU,{}}} MetricName=\"{}\"', 'Average', 3600)", keys.join(","), FIELDS[0])
}

/// q1–q4 as loadgen asks them, on windows starting on a whole minute that is not an hour.
fn query_tsbs(c: &mut Criterion) {
    let dir = bench_dir();
    let (engine, w) = tsbs_engine(dir.path());
    let tenant = Tenant::default();
    let host = w.host(42);
    let key = |field: &str| {
        MetricKey::new("Benchmark/CPU", field, host.dimensions().map(|(k, v)| Dimension::new(k, v)).collect())
    };
    // 3 h 17 min into the day: inside the span, not hour-aligned.
    let start = (w.start_ms() + 3 * 3_600_000 + 17 * 60_000) / 60_000 * 60_000;
    let gmd = |queries: Vec<MetricDataQuery>, hours: i64| GetMetricData {
        queries,
        start_ms: start,
        end_ms: start + hours * 3_600_000,
        next_token: None,
        scan_by: ScanBy::TimestampAscending,
        max_datapoints: None,
    };
    let q1 = StatisticsQuery {
        key: key(FIELDS[0]),
        start_ms: start,
        end_ms: start + 3_600_000,
        period_s: 60,
        statistics: vec![Statistic::Maximum],
        extended_statistics: Vec::new(),
        unit: None,
    };
    let q2 = gmd(
        (0..FIELDS.len())
            .map(|f| MetricDataQuery {
                id: format!("m{f}"),
                label: None,
                return_data: true,
                period_s: None,
                kind: QueryKind::MetricStat {
                    metric: key(FIELDS[f]),
                    period_s: 3600,
                    stat: "Maximum".into(),
                    unit: None,
                },
            })
            .collect(),
        8,
    );
    let insights = format!("SELECT AVG({}) FROM \"Benchmark/CPU\"", FIELDS[0]);
    let q3_insights = gmd(vec![expression("q3", insights.clone())], 12);
    let q3_search = gmd(vec![expression("q3", format!("AVG({})", search_expression()))], 12);
    let q4_insights = gmd(vec![expression("q4", format!("{insights} GROUP BY hostname"))], 12);
    let q4_search = gmd(vec![expression("q4", search_expression())], 12);

    let mut g = c.benchmark_group("query_tsbs");
    g.throughput(Throughput::Elements(360));
    g.bench_function("q1", |b| b.iter(|| engine.get_metric_statistics(&tenant, &q1).expect("q1")));
    g.throughput(Throughput::Elements(10 * 8 * 360));
    g.bench_function("q2", |b| b.iter(|| engine.get_metric_data(&tenant, &q2).expect("q2")));
    g.throughput(Throughput::Elements(TSBS_HOSTS as u64 * 12 * 360));
    for (name, req) in [
        ("q3_insights", &q3_insights),
        ("q3_search", &q3_search),
        ("q4_insights", &q4_insights),
        ("q4_search", &q4_search),
    ] {
        let r = engine.get_metric_data(&tenant, req).expect(name);
        assert!(r.results.iter().all(|s| s.values.len() == 12), "{name}: 12 hourly points per series");
        g.bench_function(name, |b| b.iter(|| engine.get_metric_data(&tenant, req).expect("query")));
    }
    g.finish();
    engine.close().expect("close");
}

criterion_group!(benches, head_append, query_day, query_tsbs);
criterion_main!(benches);
