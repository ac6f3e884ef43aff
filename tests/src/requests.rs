//! Builders for the proto messages the tests send, and time helpers. Times are epoch
//! milliseconds (`i64`) everywhere in the tests; [`ts`] / [`ts_ms`] convert at the edge.

use prost_types::Timestamp;
use stratus_proto::v1 as pb;

/// The server's default tenant account (callers without `x-stratus-account`).
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The server's default tenant region (callers without `x-stratus-region`).
pub const DEFAULT_REGION: &str = "us-east-1";

/// The five statistics, as AWS names them.
pub const ALL_STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

/// Wall-clock now, epoch milliseconds.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    i64::try_from(d.as_millis()).expect("now fits i64")
}

/// `t_ms` rounded down to the minute.
pub fn floor_minute(t_ms: i64) -> i64 {
    t_ms.div_euclid(60_000) * 60_000
}

/// The protobuf timestamp of epoch milliseconds.
pub fn ts(ms: i64) -> Timestamp {
    Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

/// Epoch milliseconds of a protobuf timestamp.
pub fn ts_ms(t: &Timestamp) -> i64 {
    t.seconds * 1000 + i64::from(t.nanos) / 1_000_000
}

/// Dimensions from `(name, value)` pairs, in the given order.
pub fn dims(pairs: &[(&str, &str)]) -> Vec<pb::Dimension> {
    pairs.iter().map(|(n, v)| pb::Dimension { name: (*n).to_owned(), value: (*v).to_owned() }).collect()
}

fn datum(name: &str, dimensions: &[pb::Dimension], t_ms: i64, unit: &str) -> pb::MetricDatum {
    pb::MetricDatum {
        metric_name: name.to_owned(),
        dimensions: dimensions.to_vec(),
        timestamp: Some(ts(t_ms)),
        unit: unit.to_owned(),
        ..Default::default()
    }
}

/// A single-value datum.
pub fn single(name: &str, dimensions: &[pb::Dimension], t_ms: i64, value: f64, unit: &str) -> pb::MetricDatum {
    pb::MetricDatum { value: Some(value), ..datum(name, dimensions, t_ms, unit) }
}

/// A `Values` (+ `Counts`, empty = 1 each) datum.
pub fn values(
    name: &str,
    dimensions: &[pb::Dimension],
    t_ms: i64,
    vals: &[f64],
    counts: &[f64],
    unit: &str,
) -> pb::MetricDatum {
    pb::MetricDatum { values: vals.to_vec(), counts: counts.to_vec(), ..datum(name, dimensions, t_ms, unit) }
}

/// A `StatisticValues` datum.
pub fn stat_set(
    name: &str,
    dimensions: &[pb::Dimension],
    t_ms: i64,
    [sample_count, sum, minimum, maximum]: [f64; 4],
    unit: &str,
) -> pb::MetricDatum {
    pb::MetricDatum {
        statistic_values: Some(pb::StatisticSet { sample_count, sum, minimum, maximum }),
        ..datum(name, dimensions, t_ms, unit)
    }
}

/// A bulk entry: one series, parallel timestamps (ms) and values.
pub fn series(
    name: &str,
    dimensions: &[pb::Dimension],
    unit: &str,
    storage_resolution: i32,
    timestamps_ms: Vec<i64>,
    vals: Vec<f64>,
) -> pb::SeriesBatch {
    pb::SeriesBatch {
        metric_name: name.to_owned(),
        dimensions: dimensions.to_vec(),
        unit: unit.to_owned(),
        storage_resolution,
        timestamps_ms,
        values: vals,
    }
}

/// A PutMetricData request.
pub fn put(
    namespace: &str,
    metric_data: Vec<pb::MetricDatum>,
    series: Vec<pb::SeriesBatch>,
) -> pb::PutMetricDataRequest {
    pb::PutMetricDataRequest { namespace: namespace.to_owned(), metric_data, series }
}

/// A GetMetricStatistics request; `unit` empty means all units.
#[allow(clippy::too_many_arguments)]
pub fn stats_query(
    namespace: &str,
    name: &str,
    dimensions: &[pb::Dimension],
    start_ms: i64,
    end_ms: i64,
    period_s: i32,
    statistics: &[&str],
    unit: &str,
) -> pb::GetMetricStatisticsRequest {
    pb::GetMetricStatisticsRequest {
        namespace: namespace.to_owned(),
        metric_name: name.to_owned(),
        dimensions: dimensions.to_vec(),
        start_time: Some(ts(start_ms)),
        end_time: Some(ts(end_ms)),
        period: period_s,
        statistics: statistics.iter().map(|s| (*s).to_owned()).collect(),
        extended_statistics: vec![],
        unit: unit.to_owned(),
    }
}

/// A request carrying the tenant metadata (`x-stratus-account`, `x-stratus-region`).
pub fn with_tenant<T>(message: T, account: &str, region: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let md = request.metadata_mut();
    md.insert("x-stratus-account", account.parse().expect("ASCII account"));
    md.insert("x-stratus-region", region.parse().expect("ASCII region"));
    request
}
