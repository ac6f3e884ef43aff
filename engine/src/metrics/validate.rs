//! Validation of requests against CloudWatch's documented rules, with AWS's error codes and
//! wording. Both API faces (gRPC and the AWS wire protocols) call these through the engine, so
//! the rules live in exactly one place. Field paths use the `MetricData.member.N` form AWS uses
//! in every protocol (1-based).

use crate::error::{Error, InvalidCode, Result};

use super::extended::ExtendedStatistic;

use super::model::{
    DatumValue, Dimension, ListMetricsQuery, MetricDatum, PutMetricData, Statistic, StatisticsQuery, Tenant,
};

/// Most datums per PutMetricData request.
pub const MAX_DATUMS: usize = 1000;
/// Most dimensions per metric.
pub const MAX_DIMENSIONS: usize = 30;
/// Most distinct values in one `Values` array.
pub const MAX_VALUES: usize = 150;
/// Most extended statistics per GetMetricStatistics request.
pub const MAX_EXTENDED_STATISTICS: usize = 10;
/// Most datapoints GetMetricStatistics returns.
pub const MAX_DATAPOINTS: i64 = 1440;
/// How far back a timestamp may be: two weeks.
pub const MAX_PAST_MS: i64 = 14 * 24 * 3600 * 1000;
/// How far ahead a timestamp may be: two hours.
pub const MAX_FUTURE_MS: i64 = 2 * 3600 * 1000;
/// Values must lie in [-2^360, 2^360].
const VALUE_LIMIT: f64 = 2.348_542_582_773_833_2e108;

fn invalid(message: String) -> Error {
    Error::invalid(InvalidCode::InvalidParameterValue, message)
}

fn missing(field: &str) -> Error {
    Error::invalid(InvalidCode::MissingParameter, format!("The parameter {field} is required."))
}

fn combination(message: String) -> Error {
    Error::invalid(InvalidCode::InvalidParameterCombination, message)
}

/// Checks a name of 1..=max characters.
fn check_name(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(missing(field));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(invalid(format!("The parameter {field} must be shorter than {} characters.", max + 1)));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(invalid(format!("The parameter {field} contains control characters.")));
    }
    Ok(())
}

/// A tenant: account and region of 1–64 printable characters each.
pub fn tenant(t: &Tenant) -> Result<()> {
    for (field, v) in [("AccountId", &t.account), ("Region", &t.region)] {
        if v.is_empty() {
            return Err(missing(field));
        }
        if v.chars().count() > 64 || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid(format!("The value {v:?} for parameter {field} is invalid.")));
        }
    }
    Ok(())
}

/// Namespace: 1–255 characters, not starting with `:`, containing a non-space, not `AWS/`.
pub fn namespace(ns: &str) -> Result<()> {
    check_name("Namespace", ns, 255)?;
    if ns.starts_with(':') || ns.trim().is_empty() {
        return Err(invalid(format!("The value {ns} for parameter Namespace is invalid.")));
    }
    if ns.starts_with("AWS/") {
        return Err(invalid(format!(
            "The value {ns} for parameter Namespace is invalid. Namespaces starting with AWS/ are reserved for use by Amazon Web Services."
        )));
    }
    Ok(())
}

/// A namespace named by a read (any namespace, `AWS/` ones included, may be read).
pub fn namespace_for_read(field: &str, ns: &str) -> Result<()> {
    check_name(field, ns, 255)
}

/// Metric name and dimensions (names unique, ≤ 30).
pub fn identity(prefix: &str, metric_name: &str, dimensions: &[Dimension]) -> Result<()> {
    // The happy path allocates nothing: field names are built only to describe a failure.
    if identity_ok(metric_name, dimensions) {
        return Ok(());
    }
    check_name(&format!("{prefix}MetricName"), metric_name, 255)?;
    if dimensions.len() > MAX_DIMENSIONS {
        return Err(invalid(format!(
            "The collection {prefix}Dimensions must not have a size greater than {MAX_DIMENSIONS}."
        )));
    }
    for (i, d) in dimensions.iter().enumerate() {
        let p = format!("{prefix}Dimensions.member.{}", i + 1);
        check_name(&format!("{p}.Name"), &d.name, 255)?;
        check_name(&format!("{p}.Value"), &d.value, 1024)?;
        if dimensions[..i].iter().any(|o| o.name == d.name) {
            return Err(invalid(format!(
                "The parameter {prefix}Dimensions contains the dimension name {} more than once.",
                d.name
            )));
        }
    }
    Ok(())
}

fn value(field: &str, v: f64) -> Result<()> {
    if !v.is_finite() || v.abs() > VALUE_LIMIT {
        return Err(invalid(format!("The value {} for parameter {field} is invalid.", fmt_value(v))));
    }
    Ok(())
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        v.to_string()
    }
}

/// A timestamp inside the accepted window around `now_ms`.
pub fn timestamp(field: &str, t_ms: i64, now_ms: i64) -> Result<()> {
    if t_ms < now_ms.saturating_sub(MAX_PAST_MS) {
        return Err(invalid(format!("The parameter {field} must specify a time no more than two weeks in the past.")));
    }
    if t_ms > now_ms.saturating_add(MAX_FUTURE_MS) {
        return Err(invalid(format!(
            "The parameter {field} must specify a time no more than two hours in the future."
        )));
    }
    Ok(())
}

/// One datum's value form.
pub fn datum_value(prefix: &str, v: &DatumValue) -> Result<()> {
    match v {
        DatumValue::Single(x) => value(&format!("{prefix}Value"), *x),
        DatumValue::Values { values, counts } => {
            if values.is_empty() {
                return Err(missing(&format!("{prefix}Values")));
            }
            if values.len() > MAX_VALUES {
                return Err(invalid(format!(
                    "The collection {prefix}Values must not have a size greater than {MAX_VALUES}."
                )));
            }
            if !counts.is_empty() && counts.len() != values.len() {
                return Err(invalid(format!(
                    "The parameters {prefix}Values and {prefix}Counts must be of the same size."
                )));
            }
            for (i, x) in values.iter().enumerate() {
                value(&format!("{prefix}Values.member.{}", i + 1), *x)?;
            }
            for (i, c) in counts.iter().enumerate() {
                let f = format!("{prefix}Counts.member.{}", i + 1);
                value(&f, *c)?;
                if *c < 0.0 {
                    return Err(invalid(format!("The value {c} for parameter {f} is invalid.")));
                }
            }
            Ok(())
        }
        DatumValue::StatisticSet(s) => {
            let p = format!("{prefix}StatisticValues.");
            value(&format!("{p}SampleCount"), s.sample_count)?;
            value(&format!("{p}Sum"), s.sum)?;
            value(&format!("{p}Minimum"), s.minimum)?;
            value(&format!("{p}Maximum"), s.maximum)?;
            if s.sample_count <= 0.0 {
                return Err(invalid(format!(
                    "The value {} for parameter {p}SampleCount is invalid. It must be greater than 0.",
                    s.sample_count
                )));
            }
            if s.minimum > s.maximum {
                return Err(invalid(format!("The parameter {p}Minimum must not be greater than {p}Maximum.")));
            }
            Ok(())
        }
    }
}

/// A whole PutMetricData request. `now_ms` fixes the accepted timestamp window.
pub fn put_metric_data(req: &PutMetricData, now_ms: i64) -> Result<()> {
    namespace(&req.namespace)?;
    if req.metric_data.is_empty() && req.series.is_empty() {
        return Err(missing("MetricData"));
    }
    if req.metric_data.len() > MAX_DATUMS {
        return Err(invalid(format!("The collection MetricData must not have a size greater than {MAX_DATUMS}.")));
    }
    // Each item is checked by a fast predicate first; only an item that fails it is checked
    // again by the descriptive path, which builds the field names for the error message. The
    // happy path allocates nothing.
    for (i, d) in req.metric_data.iter().enumerate() {
        if !datum_ok(d, now_ms) {
            datum(&format!("MetricData.member.{}.", i + 1), d, now_ms)?;
        }
    }
    for (i, s) in req.series.iter().enumerate() {
        let ok = identity_ok(&s.metric_name, &s.dimensions)
            && s.timestamps_ms.len() == s.values.len()
            && s.values.iter().all(|&v| value_ok(v))
            && s.timestamps_ms.iter().all(|&t| timestamp_ok(t, now_ms));
        if ok {
            continue;
        }
        let p = format!("Series.member.{}.", i + 1);
        identity(&p, &s.metric_name, &s.dimensions)?;
        if s.timestamps_ms.len() != s.values.len() {
            return Err(invalid(format!("The parameters {p}TimestampsMs and {p}Values must be of the same size.")));
        }
        for (j, (&t, &v)) in s.timestamps_ms.iter().zip(&s.values).enumerate() {
            value(&format!("{p}Values.member.{}", j + 1), v)?;
            timestamp(&format!("{p}TimestampsMs.member.{}", j + 1), t, now_ms)?;
        }
    }
    Ok(())
}

fn name_ok(v: &str, max: usize) -> bool {
    !v.is_empty() && (v.len() <= max || v.chars().count() <= max) && !v.chars().any(char::is_control)
}

pub(crate) fn identity_ok(metric_name: &str, dims: &[Dimension]) -> bool {
    name_ok(metric_name, 255)
        && dims.len() <= MAX_DIMENSIONS
        && dims.iter().enumerate().all(|(i, d)| {
            name_ok(&d.name, 255) && name_ok(&d.value, 1024) && !dims[..i].iter().any(|o| o.name == d.name)
        })
}

fn value_ok(v: f64) -> bool {
    v.is_finite() && v.abs() <= VALUE_LIMIT
}

fn timestamp_ok(t: i64, now_ms: i64) -> bool {
    t >= now_ms.saturating_sub(MAX_PAST_MS) && t <= now_ms.saturating_add(MAX_FUTURE_MS)
}

fn datum_ok(d: &MetricDatum, now_ms: i64) -> bool {
    let value = match &d.value {
        DatumValue::Single(v) => value_ok(*v),
        DatumValue::Values { values, counts } => {
            !values.is_empty()
                && values.len() <= MAX_VALUES
                && (counts.is_empty() || counts.len() == values.len())
                && values.iter().all(|&v| value_ok(v))
                && counts.iter().all(|&c| value_ok(c) && c >= 0.0)
        }
        DatumValue::StatisticSet(s) => {
            [s.sample_count, s.sum, s.minimum, s.maximum].iter().all(|&v| value_ok(v))
                && s.sample_count > 0.0
                && s.minimum <= s.maximum
        }
    };
    value && identity_ok(&d.metric_name, &d.dimensions) && d.timestamp_ms.is_none_or(|t| timestamp_ok(t, now_ms))
}

fn datum(prefix: &str, d: &MetricDatum, now_ms: i64) -> Result<()> {
    identity(prefix, &d.metric_name, &d.dimensions)?;
    datum_value(prefix, &d.value)?;
    if let Some(t) = d.timestamp_ms {
        timestamp(&format!("{prefix}Timestamp"), t, now_ms)?;
    }
    Ok(())
}

/// Whether `period` (seconds) is one CloudWatch accepts: 1, 5, 10, 20, 30 or a multiple of 60.
pub fn period_is_valid(period: i64) -> bool {
    matches!(period, 1 | 5 | 10 | 20 | 30) || (period >= 60 && period % 60 == 0)
}

/// A GetMetricStatistics request (the 1,440-datapoint limit is checked by the query, which
/// knows the rounded start). Returns the parsed extended statistics with their names.
pub(crate) fn statistics_query(q: &StatisticsQuery) -> Result<Vec<(String, ExtendedStatistic)>> {
    // Reads may name any namespace, `AWS/` ones included; only writes are restricted.
    check_name("Namespace", &q.key.namespace, 255)?;
    identity("", &q.key.metric_name, &q.key.dimensions)?;
    if q.period_s <= 0 {
        return Err(missing("Period"));
    }
    if !period_is_valid(q.period_s) {
        return Err(invalid(format!(
            "The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60; {} is not valid.",
            q.period_s
        )));
    }
    if q.start_ms >= q.end_ms {
        return Err(invalid("The parameter StartTime must be less than the parameter EndTime.".into()));
    }
    if q.statistics.is_empty() == q.extended_statistics.is_empty() {
        return Err(combination("Must specify either Statistics or ExtendedStatistics".into()));
    }
    if q.statistics.len() > Statistic::ALL.len() {
        return Err(invalid("The collection Statistics must not have a size greater than 5.".into()));
    }
    for (i, s) in q.statistics.iter().enumerate() {
        if q.statistics[..i].contains(s) {
            return Err(invalid(format!("The parameter Statistics.member.{} repeats the statistic {s}.", i + 1)));
        }
    }
    if q.extended_statistics.len() > MAX_EXTENDED_STATISTICS {
        return Err(invalid(format!(
            "The collection ExtendedStatistics must not have a size greater than {MAX_EXTENDED_STATISTICS}."
        )));
    }
    q.extended_statistics
        .iter()
        .enumerate()
        .map(|(i, s)| {
            ExtendedStatistic::parse_for(s, &format!("ExtendedStatistics.member.{}", i + 1))
                .map(|e| (s.clone(), e))
                .map_err(invalid)
        })
        .collect()
}

/// A ListMetrics request.
pub fn list_metrics(q: &ListMetricsQuery) -> Result<()> {
    if let Some(ns) = &q.namespace {
        check_name("Namespace", ns, 255)?;
    }
    if let Some(m) = &q.metric_name {
        check_name("MetricName", m, 255)?;
    }
    if q.dimensions.len() > 10 {
        return Err(invalid("The collection Dimensions must not have a size greater than 10.".into()));
    }
    for (i, d) in q.dimensions.iter().enumerate() {
        let p = format!("Dimensions.member.{}", i + 1);
        check_name(&format!("{p}.Name"), &d.name, 255)?;
        if let Some(v) = &d.value {
            check_name(&format!("{p}.Value"), v, 1024)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::model::{MetricKey, Resolution, StatisticSet, Unit};

    const NOW: i64 = 1_800_000_000_000;

    fn datum(v: DatumValue) -> PutMetricData {
        PutMetricData {
            namespace: "App".into(),
            metric_data: vec![MetricDatum {
                metric_name: "Latency".into(),
                dimensions: vec![],
                timestamp_ms: Some(NOW),
                value: v,
                unit: Unit::None,
                resolution: Resolution::Standard,
            }],
            series: vec![],
        }
    }

    fn err(r: Result<()>) -> (InvalidCode, String) {
        match r {
            Err(Error::InvalidArgument { code, message }) => (code, message),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn nan_is_rejected_with_aws_wording() {
        let (code, msg) = err(put_metric_data(&datum(DatumValue::Single(f64::NAN)), NOW));
        assert_eq!(code, InvalidCode::InvalidParameterValue);
        assert_eq!(msg, "The value NaN for parameter MetricData.member.1.Value is invalid.");
        let (_, msg) = err(put_metric_data(&datum(DatumValue::Single(f64::INFINITY)), NOW));
        assert!(msg.contains("Infinity"), "{msg}");
    }

    #[test]
    fn counts_must_match_values() {
        let (code, msg) =
            err(put_metric_data(&datum(DatumValue::Values { values: vec![1.0, 2.0], counts: vec![1.0] }), NOW));
        assert_eq!(code, InvalidCode::InvalidParameterValue);
        assert_eq!(
            msg,
            "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."
        );
    }

    #[test]
    fn tenant_rules() {
        assert!(tenant(&Tenant::default()).is_ok());
        assert!(tenant(&Tenant::new("", "us-east-1")).is_err());
        assert!(tenant(&Tenant::new("1", "x".repeat(65))).is_err());
        assert!(tenant(&Tenant::new("1 2", "r")).is_err());
    }

    #[test]
    fn namespace_rules() {
        assert!(namespace("AWS/EC2").is_err());
        assert!(namespace(":x").is_err());
        assert!(namespace("   ").is_err());
        assert_eq!(err(namespace("")).0, InvalidCode::MissingParameter);
        assert!(namespace(&"n".repeat(256)).is_err());
        assert!(namespace("My/App").is_ok());
    }

    #[test]
    fn dimensions_limits() {
        let dims: Vec<Dimension> = (0..31).map(|i| Dimension::new(format!("d{i}"), "v")).collect();
        assert!(identity("", "m", &dims).is_err());
        assert!(identity("", "m", &dims[..30]).is_ok());
        let dup = vec![Dimension::new("a", "1"), Dimension::new("a", "2")];
        assert!(identity("", "m", &dup).is_err());
        assert!(identity("", "m", &[Dimension::new("a", "")]).is_err());
    }

    #[test]
    fn timestamp_window() {
        assert!(timestamp("T", NOW - MAX_PAST_MS, NOW).is_ok());
        assert!(timestamp("T", NOW - MAX_PAST_MS - 1, NOW).is_err());
        assert!(timestamp("T", NOW + MAX_FUTURE_MS, NOW).is_ok());
        assert!(timestamp("T", NOW + MAX_FUTURE_MS + 1, NOW).is_err());
    }

    #[test]
    fn statistic_set_rules() {
        let s =
            |c, mi, ma| DatumValue::StatisticSet(StatisticSet { sample_count: c, sum: 1.0, minimum: mi, maximum: ma });
        assert!(put_metric_data(&datum(s(1.0, 1.0, 1.0)), NOW).is_ok());
        assert!(put_metric_data(&datum(s(0.0, 1.0, 1.0)), NOW).is_err());
        assert!(put_metric_data(&datum(s(2.0, 3.0, 1.0)), NOW).is_err());
    }

    #[test]
    fn too_many_datums() {
        let mut req = datum(DatumValue::Single(1.0));
        req.metric_data = vec![req.metric_data[0].clone(); 1001];
        assert!(put_metric_data(&req, NOW).is_err());
        req.metric_data.truncate(1000);
        assert!(put_metric_data(&req, NOW).is_ok());
    }

    proptest::proptest! {
        /// The allocation-free predicate and the descriptive path agree on every datum.
        #[test]
        fn fast_path_agrees_with_descriptive_path(
            name in "[a-z\\x00]{0,3}",
            dims in proptest::collection::vec(("[ab\\x01]{0,2}", "[xy]{0,2}"), 0..4),
            v in proptest::prelude::prop_oneof![proptest::prelude::Just(f64::NAN), -1e3f64..1e3, proptest::prelude::Just(f64::INFINITY)],
            n_values in 0usize..3,
            n_counts in 0usize..3,
            dt in -(MAX_PAST_MS + 10)..(MAX_FUTURE_MS + 10),
            form in 0u8..3,
        ) {
            let value = match form {
                0 => DatumValue::Single(v),
                1 => DatumValue::Values { values: vec![v; n_values], counts: vec![1.0; n_counts] },
                _ => DatumValue::StatisticSet(StatisticSet { sample_count: v, sum: v, minimum: v, maximum: v.abs() }),
            };
            let d = MetricDatum {
                metric_name: name,
                dimensions: dims.into_iter().map(|(n, v)| Dimension::new(n, v)).collect(),
                timestamp_ms: Some(NOW + dt),
                value,
                unit: Unit::None,
                resolution: Resolution::Standard,
            };
            proptest::prop_assert_eq!(datum_ok(&d, NOW), super::datum("P.", &d, NOW).is_ok());
        }
    }

    #[test]
    fn periods() {
        for p in [1, 5, 10, 20, 30, 60, 120, 3600] {
            assert!(period_is_valid(p), "{p}");
        }
        for p in [0, 2, 15, 45, 61, 90] {
            assert!(!period_is_valid(p), "{p}");
        }
    }

    #[test]
    fn statistics_query_rules() {
        let q = StatisticsQuery {
            key: MetricKey::new("App", "M", vec![]),
            start_ms: 0,
            end_ms: 60_000,
            period_s: 60,
            statistics: vec![Statistic::Sum],
            extended_statistics: Vec::new(),
            unit: None,
        };
        assert!(statistics_query(&q).is_ok());
        let mut aws = q.clone();
        aws.key.namespace = "AWS/EC2".into();
        assert!(statistics_query(&aws).is_ok(), "AWS/ namespaces are readable");
        let mut bad = q.clone();
        bad.end_ms = 0;
        assert_eq!(
            err(statistics_query(&bad).map(drop)).1,
            "The parameter StartTime must be less than the parameter EndTime."
        );
        let mut bad = q.clone();
        bad.statistics.clear();
        assert_eq!(err(statistics_query(&bad).map(drop)).0, InvalidCode::InvalidParameterCombination);
        let mut bad = q;
        bad.period_s = 45;
        assert!(statistics_query(&bad).is_err());
    }
}
