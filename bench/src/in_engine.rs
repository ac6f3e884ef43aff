//! The q1–q4 workload in-engine (no server, no network), shared by the criterion bench
//! (`benches/engine.rs`) and the callgrind driver (`examples/query_profile.rs`): loading the TSBS
//! data into an [`Engine`], and the queries exactly as loadgen asks them, on windows that start
//! on a whole minute 3 h 17 min into the day (inside the span, not hour-aligned).

use stratus_engine::{
    Dimension, Engine, GetMetricData, MetricDataQuery, MetricKey, PutMetricData, QueryKind, Resolution, ScanBy,
    SeriesBatch, Statistic, StatisticsQuery, Tenant, Unit,
};

use crate::{FIELDS, TAG_KEYS, Workload};

/// The host whose 10 fields q1 and q2 read.
pub const Q2_HOST: usize = 42;

/// One of q1–q4 in engine terms.
#[derive(Debug)]
pub enum Query {
    /// GetMetricStatistics (q1).
    Stats(StatisticsQuery),
    /// GetMetricData (q2–q4).
    Data(GetMetricData),
}

impl Query {
    /// Runs the query; returns the number of points answered.
    pub fn run(&self, engine: &Engine) -> usize {
        let tenant = Tenant::default();
        match self {
            Query::Stats(q) => engine.get_metric_statistics(&tenant, q).expect("query").datapoints.len(),
            Query::Data(q) => {
                engine.get_metric_data(&tenant, q).expect("query").results.iter().map(|r| r.values.len()).sum()
            }
        }
    }
}

/// Writes host `h`'s first `fields_of(h)` fields of `w` (every sample) and flushes with a full
/// compaction, so queries read blocks.
pub fn load(engine: &Engine, w: &Workload, fields_of: impl Fn(usize) -> usize) {
    let timestamps: Vec<i64> = (0..w.points_per_series()).map(|i| w.timestamp_ms(i)).collect();
    for h in 0..w.host_count() {
        let dimensions = host_dimensions(w, h);
        let series = (0..fields_of(h).min(FIELDS.len()))
            .map(|f| SeriesBatch {
                metric_name: FIELDS[f].into(),
                dimensions: dimensions.clone(),
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
}

fn host_dimensions(w: &Workload, h: usize) -> Vec<Dimension> {
    w.host(h).dimensions().map(|(k, v)| Dimension::new(k, v)).collect()
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

/// q1, q2, q3 (Insights and SEARCH) and q4 (Insights and SEARCH), by name.
pub fn queries(w: &Workload) -> Vec<(&'static str, Query)> {
    let start = (w.start_ms() + 3 * 3_600_000 + 17 * 60_000) / 60_000 * 60_000;
    let key = |f: &str| MetricKey::new("Benchmark/CPU", f, host_dimensions(w, Q2_HOST));
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
    let q1 = Query::Stats(StatisticsQuery {
        key: key(FIELDS[0]),
        start_ms: start,
        end_ms: start + 3_600_000,
        period_s: 60,
        statistics: vec![Statistic::Maximum],
        extended_statistics: Vec::new(),
        unit: None,
    });
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
    vec![
        ("q1", q1),
        ("q2", q2),
        ("q3_insights", gmd(vec![expression("q3", insights.clone())], 12)),
        ("q3_search", gmd(vec![expression("q3", format!("AVG({search})"))], 12)),
        ("q4_insights", gmd(vec![expression("q4", format!("{insights} GROUP BY hostname"))], 12)),
        ("q4_search", gmd(vec![expression("q4", search)], 12)),
    ]
}
