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

use stratus_bench::{FIELDS, Shape, TAG_KEYS, Workload};
use stratus_engine::{
    Dimension, Durability, Engine, EngineConfig, GetMetricData, MetricDataQuery, MetricKey, PutMetricData, QueryKind,
    Resolution, ScanBy, SeriesBatch, Statistic, StatisticsQuery, Tenant, Unit,
};

const HOSTS: usize = 100;
const Q2_HOST: usize = 42;

enum Query {
    Stats(StatisticsQuery),
    Data(GetMetricData),
}

#[inline(never)]
fn run_queries(engine: &Engine, q: &Query, iterations: usize) -> usize {
    let tenant = Tenant::default();
    let mut points = 0;
    for _ in 0..iterations {
        points += match q {
            Query::Stats(q) => engine.get_metric_statistics(&tenant, q).expect("query").datapoints.len(),
            Query::Data(q) => {
                engine.get_metric_data(&tenant, q).expect("query").results.iter().map(|r| r.values.len()).sum()
            }
        };
    }
    points
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

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "q3_insights".into());
    let iterations: usize = args.next().map_or(10, |s| s.parse().expect("iterations"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = EngineConfig { durability: Durability::None, raw_retention: None, ..EngineConfig::default() };
    let engine = Engine::open(dir.path(), cfg).expect("open");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as i64;
    let w = Workload::new(HOSTS, 24, Shape::Tsbs, 1, now - 60_000);
    let timestamps: Vec<i64> = (0..w.points_per_series()).map(|i| w.timestamp_ms(i)).collect();
    let dims = |h: usize| -> Vec<Dimension> { w.host(h).dimensions().map(|(k, v)| Dimension::new(k, v)).collect() };
    for h in 0..HOSTS {
        let fields = if h == Q2_HOST { FIELDS.len() } else { 1 };
        let series = (0..fields)
            .map(|f| SeriesBatch {
                metric_name: FIELDS[f].into(),
                dimensions: dims(h),
                unit: Unit::Percent,
                resolution: Resolution::High,
                timestamps_ms: timestamps.clone(),
                values: w.series_values(h, f),
            })
            .collect();
        let req = PutMetricData { namespace: "Benchmark/CPU".into(), metric_data: vec![], series };
        engine.put_metric_data(&Tenant::default(), &req).expect("put").ticket.wait().expect("durable");
    }
    engine.flush(true).expect("flush");

    let start = (w.start_ms() + 3 * 3_600_000 + 17 * 60_000) / 60_000 * 60_000;
    let key = |f: &str| MetricKey::new("Benchmark/CPU", f, dims(Q2_HOST));
    let gmd = |queries: Vec<MetricDataQuery>, hours: i64| {
        Query::Data(GetMetricData {
            queries,
            start_ms: start,
            end_ms: start + hours * 3_600_000,
            next_token: None,
            scan_by: ScanBy::TimestampAscending,
            max_datapoints: None,
        })
    };
    let mut tags = TAG_KEYS.to_vec();
    tags.sort_unstable();
    let search =
        format!("SEARCH('{{Benchmark/CPU,{}}} MetricName=\"{}\"', 'Average', 3600)", tags.join(","), FIELDS[0]);
    let insights = format!("SELECT AVG({}) FROM \"Benchmark/CPU\"", FIELDS[0]);
    let q = match name.as_str() {
        "q1" => Query::Stats(StatisticsQuery {
            key: key(FIELDS[0]),
            start_ms: start,
            end_ms: start + 3_600_000,
            period_s: 60,
            statistics: vec![Statistic::Maximum],
            extended_statistics: Vec::new(),
            unit: None,
        }),
        "q2" => gmd(
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
        ),
        "q3_insights" => gmd(vec![expression("q3", insights)], 12),
        "q3_search" => gmd(vec![expression("q3", format!("AVG({search})"))], 12),
        "q4_insights" => gmd(vec![expression("q4", format!("{insights} GROUP BY hostname"))], 12),
        "q4_search" => gmd(vec![expression("q4", search)], 12),
        other => panic!("unknown query {other}: q1, q2, q3_insights, q3_search, q4_insights, q4_search"),
    };
    let points = run_queries(&engine, &q, iterations);
    println!("{name}: {iterations} iterations, {points} points");
    engine.close().expect("close");
}
