//! Proto ⇄ engine conversion at the gRPC edge; the only module that sees both type families.
//!
//! Requests are converted by value (strings move, nothing is copied twice). This module rejects
//! only what the engine types cannot represent: an unknown unit or statistic name, a storage
//! resolution other than 0/1/60, a datum with zero or several value forms, a missing or
//! unrepresentable timestamp, a bulk entry whose arrays differ in length, and more than 1,000
//! `MetricData` entries or 1 MB of them (AWS's payload limit is a property of the wire, so
//! each face checks its own). Everything semantic (NaN, names, lengths, dimension count, the
//! timestamp window, period and statistics rules) is checked by the engine, the one service
//! layer shared with the AWS HTTP face. Field paths use AWS's 1-based `MetricData.member.N.X`
//! wording; bulk entries are `Series.member.N.X`. GetMetricData lives in `convert/gmd.rs`
//! (`MetricDataQueries.member.N.X` paths).
//!
//! Called by `grpc` only.

use prost_types::Timestamp;
use stratus_engine::{
    DatumValue, Dimension, DimensionFilter, Error, FlushReport, InvalidCode, ListMetricsPage, ListMetricsQuery,
    MetricDatum, MetricKey, PutMetricData, Resolution, SeriesBatch, Statistic, StatisticSet, StatisticsQuery,
    StatisticsResult, Unit,
};
use stratus_proto::v1 as pb;

mod gmd;

pub(crate) use gmd::{get_metric_data_request, get_metric_data_response};

/// CloudWatch's limit on `MetricData` entries per request.
pub(crate) const MAX_METRIC_DATA: usize = 1000;
/// CloudWatch's limit on a PutMetricData payload (1 MB), applied to the encoded `MetricData`
/// entries. Bulk `series` are bounded only by the gRPC message size limit.
pub(crate) const MAX_METRIC_DATA_BYTES: usize = 1 << 20;

fn invalid(code: InvalidCode, message: String) -> Error {
    Error::InvalidArgument { code, message }
}

fn invalid_value(value: impl std::fmt::Display, field: &str) -> Error {
    invalid(InvalidCode::InvalidParameterValue, format!("The value {value} for parameter {field} is invalid."))
}

fn missing(field: &str) -> Error {
    invalid(InvalidCode::MissingParameter, format!("The parameter {field} is required."))
}

fn exclusive(a: &str, b: &str) -> Error {
    invalid(
        InvalidCode::InvalidParameterCombination,
        format!("The parameters {a} and {b} are mutually exclusive and you have specified both."),
    )
}

fn same_size(a: &str, b: &str) -> Error {
    invalid(InvalidCode::InvalidParameterValue, format!("The parameters {a} and {b} must be of the same size."))
}

// --- requests --------------------------------------------------------------------------------

/// A `PutMetricData` request in engine terms.
pub(crate) fn put_metric_data(req: pb::PutMetricDataRequest) -> Result<PutMetricData, Error> {
    if req.metric_data.len() > MAX_METRIC_DATA {
        return Err(invalid(
            InvalidCode::InvalidParameterValue,
            format!("The collection MetricData must not have a size greater than {MAX_METRIC_DATA}."),
        ));
    }
    let bytes = metric_data_bytes(&req.metric_data);
    if bytes > MAX_METRIC_DATA_BYTES {
        return Err(invalid(
            InvalidCode::InvalidParameterValue,
            format!(
                "The request size of {bytes} bytes exceeds the limit of {MAX_METRIC_DATA_BYTES} bytes for MetricData."
            ),
        ));
    }
    let metric_data =
        req.metric_data.into_iter().enumerate().map(|(i, d)| metric_datum(i + 1, d)).collect::<Result<Vec<_>, _>>()?;
    let series =
        req.series.into_iter().enumerate().map(|(i, s)| series_batch(i + 1, s)).collect::<Result<Vec<_>, _>>()?;
    Ok(PutMetricData { namespace: req.namespace, metric_data, series })
}

/// The encoded size of the `metric_data` field (entries with their tags and lengths).
fn metric_data_bytes(data: &[pb::MetricDatum]) -> usize {
    data.iter()
        .map(|d| {
            let len = prost::Message::encoded_len(d);
            1 + prost::encoding::encoded_len_varint(len as u64) + len
        })
        .sum()
}

fn metric_datum(n: usize, d: pb::MetricDatum) -> Result<MetricDatum, Error> {
    let field = |name: &str| format!("MetricData.member.{n}.{name}");
    let unit = unit(&d.unit, || field("Unit"))?;
    let resolution = resolution(d.storage_resolution, || field("StorageResolution"))?;
    let timestamp_ms = d.timestamp.map(|t| timestamp_ms(&t, || field("Timestamp"))).transpose()?;

    // Exactly one of the three value forms; `Counts` only with `Values`.
    let forms = [
        ("Value", d.value.is_some()),
        ("StatisticValues", d.statistic_values.is_some()),
        ("Values", !d.values.is_empty()),
    ];
    let mut present = forms.iter().filter(|(_, p)| *p).map(|(name, _)| *name);
    let first = present.next();
    if let (Some(a), Some(b)) = (first, present.next()) {
        return Err(exclusive(&field(a), &field(b)));
    }
    if !d.counts.is_empty() && d.values.is_empty() {
        return Err(match first {
            Some(form) => exclusive(&field(form), &field("Counts")),
            None => same_size(&field("Values"), &field("Counts")),
        });
    }
    let value = match (d.value, d.statistic_values) {
        (Some(v), _) => DatumValue::Single(v),
        (None, Some(s)) => DatumValue::StatisticSet(StatisticSet {
            sample_count: s.sample_count,
            sum: s.sum,
            minimum: s.minimum,
            maximum: s.maximum,
        }),
        (None, None) if !d.values.is_empty() => DatumValue::Values { values: d.values, counts: d.counts },
        (None, None) => return Err(missing(&field("Value"))),
    };
    Ok(MetricDatum {
        metric_name: d.metric_name,
        dimensions: dimensions(d.dimensions),
        timestamp_ms,
        value,
        unit,
        resolution,
    })
}

fn series_batch(n: usize, s: pb::SeriesBatch) -> Result<SeriesBatch, Error> {
    let field = |name: &str| format!("Series.member.{n}.{name}");
    let unit = unit(&s.unit, || field("Unit"))?;
    let resolution = resolution(s.storage_resolution, || field("StorageResolution"))?;
    if s.timestamps_ms.len() != s.values.len() {
        return Err(same_size(&field("TimestampsMs"), &field("Values")));
    }
    Ok(SeriesBatch {
        metric_name: s.metric_name,
        dimensions: dimensions(s.dimensions),
        unit,
        resolution,
        timestamps_ms: s.timestamps_ms,
        values: s.values,
    })
}

/// A `GetMetricStatistics` request in engine terms.
pub(crate) fn statistics_query(req: pb::GetMetricStatisticsRequest) -> Result<StatisticsQuery, Error> {
    let start = req.start_time.ok_or_else(|| missing("StartTime"))?;
    let end = req.end_time.ok_or_else(|| missing("EndTime"))?;
    let statistics = req
        .statistics
        .iter()
        .enumerate()
        .map(|(i, s)| s.parse::<Statistic>().map_err(|_| invalid_value(s, &format!("Statistics.member.{}", i + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    let unit = if req.unit.is_empty() { None } else { Some(unit(&req.unit, "Unit")?) };
    Ok(StatisticsQuery {
        key: MetricKey::new(req.namespace, req.metric_name, dimensions(req.dimensions)),
        start_ms: timestamp_ms(&start, "StartTime")?,
        end_ms: timestamp_ms(&end, "EndTime")?,
        period_s: i64::from(req.period),
        statistics,
        extended_statistics: req.extended_statistics,
        unit,
    })
}

/// A `ListMetrics` request in engine terms. Empty strings mean "not given".
pub(crate) fn list_metrics_query(req: pb::ListMetricsRequest) -> Result<ListMetricsQuery, Error> {
    let recently_active = match req.recently_active.as_str() {
        "" => false,
        "PT3H" => true,
        other => return Err(invalid_value(other, "RecentlyActive")),
    };
    Ok(ListMetricsQuery {
        namespace: non_empty(req.namespace),
        metric_name: non_empty(req.metric_name),
        dimensions: req.dimensions.into_iter().map(|f| DimensionFilter { name: f.name, value: f.value }).collect(),
        recently_active,
        next_token: non_empty(req.next_token),
    })
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn dimensions(dims: Vec<pb::Dimension>) -> Vec<Dimension> {
    dims.into_iter().map(|d| Dimension { name: d.name, value: d.value }).collect()
}

/// An AWS unit name; empty means `None`, as when the member is omitted.
fn unit(s: &str, field: impl AsField) -> Result<Unit, Error> {
    if s.is_empty() {
        return Ok(Unit::None);
    }
    s.parse().map_err(|_| invalid_value(s, &field.name()))
}

/// A field name for an error message, built only when an error is reported (the happy path of
/// a 1,000-datum request then formats nothing).
trait AsField {
    fn name(self) -> String;
}

impl AsField for &str {
    fn name(self) -> String {
        self.to_owned()
    }
}

impl<F: FnOnce() -> String> AsField for F {
    fn name(self) -> String {
        self()
    }
}

/// 1 = high resolution; 60 or 0 (unset) = standard.
fn resolution(seconds: i32, field: impl AsField) -> Result<Resolution, Error> {
    if seconds == 0 {
        return Ok(Resolution::Standard);
    }
    Resolution::from_seconds(i64::from(seconds)).ok_or_else(|| invalid_value(seconds, &field.name()))
}

/// Epoch milliseconds of a protobuf timestamp (sub-millisecond part truncated), or an error
/// naming `field` if it is not a valid timestamp or does not fit.
fn timestamp_ms(t: &Timestamp, field: impl AsField) -> Result<i64, Error> {
    timestamp_to_ms(t)
        .ok_or_else(|| invalid_value(format_args!("(seconds={}, nanos={})", t.seconds, t.nanos), &field.name()))
}

/// Epoch milliseconds of a protobuf timestamp, `None` if `nanos` is out of range or the result
/// overflows.
pub(crate) fn timestamp_to_ms(t: &Timestamp) -> Option<i64> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    t.seconds.checked_mul(1000)?.checked_add(i64::from(t.nanos / 1_000_000))
}

/// The protobuf timestamp of epoch milliseconds.
pub(crate) fn ms_to_timestamp(ms: i64) -> Timestamp {
    // rem_euclid(1000) is in 0..1000, so the nanos fit an i32.
    let millis = i32::try_from(ms.rem_euclid(1000)).unwrap_or(0);
    Timestamp { seconds: ms.div_euclid(1000), nanos: millis * 1_000_000 }
}

// --- responses -------------------------------------------------------------------------------

pub(crate) fn statistics_response(r: StatisticsResult) -> pb::GetMetricStatisticsResponse {
    pb::GetMetricStatisticsResponse {
        label: r.label,
        datapoints: r
            .datapoints
            .into_iter()
            .map(|d| pb::Datapoint {
                timestamp: Some(ms_to_timestamp(d.timestamp_ms)),
                sample_count: d.sample_count,
                average: d.average,
                sum: d.sum,
                minimum: d.minimum,
                maximum: d.maximum,
                unit: d.unit.as_str().to_owned(),
                extended_statistics: d.extended_statistics.into_iter().collect(),
            })
            .collect(),
    }
}

pub(crate) fn list_metrics_response(page: ListMetricsPage) -> pb::ListMetricsResponse {
    pb::ListMetricsResponse {
        metrics: page
            .metrics
            .into_iter()
            .map(|k| pb::Metric {
                namespace: k.namespace,
                metric_name: k.metric_name,
                dimensions: k.dimensions.into_iter().map(|d| pb::Dimension { name: d.name, value: d.value }).collect(),
            })
            .collect(),
        next_token: page.next_token.unwrap_or_default(),
    }
}

pub(crate) fn flush_response(r: &FlushReport) -> pb::FlushResponse {
    pb::FlushResponse {
        samples_sealed: r.samples_sealed,
        blocks: r.blocks,
        block_bytes: r.block_bytes,
        samples_on_disk: r.samples_on_disk,
    }
}

#[cfg(test)]
mod tests;
