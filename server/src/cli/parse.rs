//! Value parsers for the client flags: dimensions in the AWS CLI's shorthand, statistic sets,
//! times (RFC 3339, epoch seconds, `now`, relative `-1h`), and GetMetricData queries as the AWS
//! CLI's JSON. Pure functions (bar reading a `file://` argument), used by clap.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use stratus_proto::v1 as pb;

/// The dimensions of one `--dimensions` argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DimensionArg(pub(super) Vec<pb::Dimension>);

impl std::str::FromStr for DimensionArg {
    type Err = String;

    /// `Name=a,Value=b` (one dimension, AWS CLI shorthand) or `a=b,c=d` (several).
    fn from_str(s: &str) -> Result<Self, String> {
        let pairs = pairs(s)?;
        if let [(k1, Some(v1)), (k2, Some(v2))] = pairs.as_slice() {
            match (k1.as_str(), k2.as_str()) {
                ("Name", "Value") => return Ok(DimensionArg(vec![dimension(v1, v2)])),
                ("Value", "Name") => return Ok(DimensionArg(vec![dimension(v2, v1)])),
                _ => {}
            }
        }
        pairs
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => Ok(dimension(&k, &v)),
                None => Err(format!("{k:?}: expected NAME=VALUE (or Name=NAME,Value=VALUE)")),
            })
            .collect::<Result<_, _>>()
            .map(DimensionArg)
    }
}

fn dimension(name: &str, value: &str) -> pb::Dimension {
    pb::Dimension { name: name.to_owned(), value: value.to_owned() }
}

/// The filters of one `list-metrics --dimensions` argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FilterArg(pub(super) Vec<pb::DimensionFilter>);

impl std::str::FromStr for FilterArg {
    type Err = String;

    /// `Name=x` or `Name=x,Value=y` (one filter, AWS CLI shorthand), or `x=y,z` (several; a
    /// bare name matches any value).
    fn from_str(s: &str) -> Result<Self, String> {
        let pairs = pairs(s)?;
        let filter = |name: &str, value: Option<String>| pb::DimensionFilter { name: name.to_owned(), value };
        match pairs.as_slice() {
            [(k, Some(name))] if k == "Name" => return Ok(FilterArg(vec![filter(name, None)])),
            [(k1, Some(name)), (k2, value)] if k1 == "Name" && k2 == "Value" => {
                return Ok(FilterArg(vec![filter(name, value.clone())]));
            }
            [(k1, value), (k2, Some(name))] if k1 == "Value" && k2 == "Name" => {
                return Ok(FilterArg(vec![filter(name, value.clone())]));
            }
            _ => {}
        }
        Ok(FilterArg(pairs.into_iter().map(|(k, v)| filter(&k, v)).collect()))
    }
}

/// Comma-separated `key[=value]` parts; empty keys are errors.
fn pairs(s: &str) -> Result<Vec<(String, Option<String>)>, String> {
    s.split(',')
        .map(|part| {
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (k, Some(v.to_owned())),
                None => (part, None),
            };
            if k.is_empty() {
                return Err(format!("{s:?}: empty name in {part:?}"));
            }
            Ok((k.to_owned(), v))
        })
        .collect()
}

/// `SampleCount=N,Sum=S,Minimum=A,Maximum=B` (all four, any order).
pub(super) fn statistic_values(s: &str) -> Result<pb::StatisticSet, String> {
    let mut fields = [None; 4];
    const NAMES: [&str; 4] = ["SampleCount", "Sum", "Minimum", "Maximum"];
    for (k, v) in pairs(s)? {
        let i = NAMES
            .iter()
            .position(|n| *n == k)
            .ok_or_else(|| format!("unknown field {k:?} (expected {})", NAMES.join(", ")))?;
        let v = v.ok_or_else(|| format!("{k}: missing value"))?;
        let v: f64 = v.parse().map_err(|_| format!("{k}: {v:?} is not a number"))?;
        fields[i] = Some(v);
    }
    let get = |i: usize| fields[i].ok_or_else(|| format!("missing {}", NAMES[i]));
    Ok(pb::StatisticSet { sample_count: get(0)?, sum: get(1)?, minimum: get(2)?, maximum: get(3)? })
}

/// The queries of one `--metric-data-queries` argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QueriesArg(pub(super) Vec<pb::MetricDataQuery>);

/// `--metric-data-queries`: the AWS CLI's JSON list, inline or as `file://PATH`.
pub(super) fn metric_data_queries(s: &str) -> Result<QueriesArg, String> {
    let text = match s.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
        None => s.to_owned(),
    };
    metric_data_queries_json(&text).map(QueriesArg)
}

/// `[{"Id": "m1", "MetricStat": {"Metric": {"Namespace": .., "MetricName": .., "Dimensions":
/// [{"Name": .., "Value": ..}]}, "Period": 60, "Stat": "Average", "Unit": ..}, "Label": ..,
/// "ReturnData": true}, {"Id": "e1", "Expression": "m1 * 2", "Period": 60}]`: member names as
/// AWS spells them; unknown members are errors (a typo must not silently drop a setting).
/// Only the JSON's shape is checked here; the server validates the values.
pub(super) fn metric_data_queries_json(text: &str) -> Result<Vec<pb::MetricDataQuery>, String> {
    let queries: Vec<JsonQuery> =
        serde_json::from_str(text).map_err(|e| format!("invalid MetricDataQueries JSON: {e}"))?;
    Ok(queries.into_iter().map(JsonQuery::into_proto).collect())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct JsonQuery {
    id: String,
    metric_stat: Option<JsonMetricStat>,
    expression: Option<String>,
    label: Option<String>,
    return_data: Option<bool>,
    period: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct JsonMetricStat {
    metric: JsonMetric,
    period: i32,
    stat: String,
    unit: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct JsonMetric {
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    metric_name: String,
    #[serde(default)]
    dimensions: Vec<JsonDimension>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct JsonDimension {
    name: String,
    value: String,
}

impl JsonQuery {
    fn into_proto(self) -> pb::MetricDataQuery {
        pb::MetricDataQuery {
            id: self.id,
            metric_stat: self.metric_stat.map(|ms| pb::MetricStat {
                metric: Some(pb::Metric {
                    namespace: ms.metric.namespace,
                    metric_name: ms.metric.metric_name,
                    dimensions: ms.metric.dimensions.into_iter().map(|d| dimension(&d.name, &d.value)).collect(),
                }),
                period: ms.period,
                stat: ms.stat,
                unit: ms.unit.unwrap_or_default(),
            }),
            expression: self.expression.unwrap_or_default(),
            label: self.label.unwrap_or_default(),
            return_data: self.return_data,
            period: self.period.unwrap_or(0),
        }
    }
}

/// A time flag, in epoch milliseconds.
pub(super) fn time(s: &str) -> Result<i64, String> {
    time_at(s, Utc::now())
}

/// `now`; `-DURATION` before `now` (e.g. `-1h`, `-90s`); epoch seconds (`1700000000`,
/// `1700000000.5`); RFC 3339 (`2026-11-22T10:00:00Z`); or a UTC date-time without offset
/// (`2026-11-22T10:00:00`, `2026-11-22`).
pub(super) fn time_at(s: &str, now: DateTime<Utc>) -> Result<i64, String> {
    let s = s.trim();
    let now_ms = now.timestamp_millis();
    if s == "now" {
        return Ok(now_ms);
    }
    if let Some(rel) = s.strip_prefix('-')
        && rel.starts_with(|c: char| c.is_ascii_digit())
        && rel.contains(|c: char| c.is_ascii_alphabetic())
    {
        let d = humantime::parse_duration(rel).map_err(|e| format!("{s:?}: {e}"))?;
        let ms = i64::try_from(d.as_millis()).map_err(|_| format!("{s:?} is too far back"))?;
        return now_ms.checked_sub(ms).ok_or_else(|| format!("{s:?} is too far back"));
    }
    if let Ok(secs) = s.parse::<f64>() {
        let ms = (secs * 1000.0).floor();
        if !ms.is_finite() || ms.abs() > 1e15 {
            return Err(format!("{s:?} is out of range"));
        }
        return Ok(ms as i64);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default());
    }
    Err(format!("{s:?} is not a time (expected RFC 3339, epoch seconds, now, or -DURATION like -1h)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(n: &str, v: &str) -> pb::Dimension {
        pb::Dimension { name: n.into(), value: v.into() }
    }

    #[test]
    fn dimensions_in_both_shorthands() {
        assert_eq!("Name=host,Value=h1".parse::<DimensionArg>().unwrap().0, vec![dim("host", "h1")]);
        assert_eq!("Value=h1,Name=host".parse::<DimensionArg>().unwrap().0, vec![dim("host", "h1")]);
        assert_eq!("host=h1,az=a=b".parse::<DimensionArg>().unwrap().0, vec![dim("host", "h1"), dim("az", "a=b")]);
        assert_eq!("Name=x".parse::<DimensionArg>().unwrap().0, vec![dim("Name", "x")]);
        assert!("host".parse::<DimensionArg>().is_err());
        assert!("=x".parse::<DimensionArg>().is_err());
    }

    #[test]
    fn filters_in_both_shorthands() {
        let f = |n: &str, v: Option<&str>| pb::DimensionFilter { name: n.into(), value: v.map(Into::into) };
        assert_eq!("Name=host".parse::<FilterArg>().unwrap().0, vec![f("host", None)]);
        assert_eq!("Name=host,Value=h1".parse::<FilterArg>().unwrap().0, vec![f("host", Some("h1"))]);
        assert_eq!("host=h1,az".parse::<FilterArg>().unwrap().0, vec![f("host", Some("h1")), f("az", None)]);
    }

    #[test]
    fn statistic_sets() {
        let s = statistic_values("Sum=10,SampleCount=4,Minimum=1,Maximum=4").unwrap();
        assert_eq!((s.sample_count, s.sum, s.minimum, s.maximum), (4.0, 10.0, 1.0, 4.0));
        assert!(statistic_values("Sum=10,SampleCount=4,Minimum=1").unwrap_err().contains("Maximum"));
        assert!(statistic_values("Sum=x,SampleCount=4,Minimum=1,Maximum=1").is_err());
        assert!(statistic_values("Avg=1").is_err());
    }

    #[test]
    fn times() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |s| time_at(s, now);
        let noon = 1_795_348_800_000;
        assert_eq!(at("now"), Ok(noon));
        assert_eq!(at("-1h"), Ok(noon - 3_600_000));
        assert_eq!(at("-90s"), Ok(noon - 90_000));
        assert_eq!(at("1795348800"), Ok(noon));
        assert_eq!(at("1795348800.5"), Ok(noon + 500));
        assert_eq!(at("2026-11-22T12:00:00Z"), Ok(noon));
        assert_eq!(at("2026-11-22T13:00:00+01:00"), Ok(noon));
        assert_eq!(at("2026-11-22T12:00:00"), Ok(noon));
        assert_eq!(at("2026-11-22"), Ok(noon - 12 * 3_600_000));
        assert!(at("yesterday").is_err());
        assert!(at("-1x").is_err());
        assert!(at("").is_err());
    }
}
