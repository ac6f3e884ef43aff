//! CloudWatch's input and output shapes (serde, member names as the model spells them) for the
//! metric operations, and their translation to and from the `stratus.v1` messages the service
//! layer takes: the AWS face adds no validation of its own except what the protobuf messages
//! cannot express (a member that is absent rather than zero).
//!
//! Doubles go through [`Double`]: awsJson sends non-finite values as the strings `"NaN"`,
//! `"Infinity"`, `"-Infinity"` (so the service can answer AWS's "The value NaN for parameter …
//! is invalid." instead of a parse error), CBOR as native floats.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use stratus_proto::v1 as pb;

use super::error::AwsError;
use super::timestamp::Timestamp;

/// A double as AWS protocols carry it: a number, or one of `NaN`, `Infinity`, `-Infinity`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Double(pub(crate) f64);

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Double;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, \"NaN\", \"Infinity\" or \"-Infinity\"")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Double, E> {
                Ok(Double(v))
            }
            fn visit_f32<E>(self, v: f32) -> Result<Double, E> {
                Ok(Double(f64::from(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Double, E> {
                match v {
                    "NaN" => Ok(Double(f64::NAN)),
                    "Infinity" => Ok(Double(f64::INFINITY)),
                    "-Infinity" => Ok(Double(f64::NEG_INFINITY)),
                    // awsQuery leaves are strings: decimal numbers parse here too.
                    other => other
                        .trim()
                        .parse::<f64>()
                        .map(Double)
                        .map_err(|_| E::custom(format!("invalid double {other:?}"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Double {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.0.is_finite(), s.is_human_readable()) {
            (false, true) if self.0.is_nan() => s.serialize_str("NaN"),
            (false, true) if self.0 > 0.0 => s.serialize_str("Infinity"),
            (false, true) => s.serialize_str("-Infinity"),
            _ => s.serialize_f64(self.0),
        }
    }
}

/// A request timestamp as the service layer's message (millisecond precision).
fn ts_pb(t: Timestamp, field: &str) -> Result<prost_types::Timestamp, AwsError> {
    let ms =
        t.to_millis().ok_or_else(|| AwsError::invalid_value(format!("The value for parameter {field} is invalid.")))?;
    Ok(prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 })
}

/// A response timestamp from the service layer's message.
fn ts_from_pb(t: &prost_types::Timestamp) -> Timestamp {
    Timestamp::from_millis(t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos) / 1_000_000))
}

/// `Dimension`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Dimension {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// `DimensionFilter` (ListMetrics).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DimensionFilter {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) value: Option<String>,
}

/// `StatisticSet`: every member is required by the model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StatisticSet {
    pub(crate) sample_count: Option<Double>,
    pub(crate) sum: Option<Double>,
    pub(crate) minimum: Option<Double>,
    pub(crate) maximum: Option<Double>,
}

/// `MetricDatum`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricDatum {
    pub(crate) metric_name: Option<String>,
    #[serde(default)]
    pub(crate) dimensions: Vec<Dimension>,
    pub(crate) timestamp: Option<Timestamp>,
    pub(crate) value: Option<Double>,
    pub(crate) statistic_values: Option<StatisticSet>,
    #[serde(default)]
    pub(crate) values: Vec<Double>,
    #[serde(default)]
    pub(crate) counts: Vec<Double>,
    pub(crate) unit: Option<String>,
    pub(crate) storage_resolution: Option<i32>,
}

/// `PutMetricDataInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutMetricDataInput {
    pub(crate) namespace: Option<String>,
    #[serde(default)]
    pub(crate) metric_data: Vec<MetricDatum>,
    /// Entity-associated data: not supported; refused rather than dropped.
    #[serde(default)]
    pub(crate) entity_metric_data: Vec<serde::de::IgnoredAny>,
}

impl PutMetricDataInput {
    /// The service-layer request; members the protobuf message cannot mark absent are checked here.
    pub(crate) fn into_pb(self) -> Result<pb::PutMetricDataRequest, AwsError> {
        if !self.entity_metric_data.is_empty() {
            return Err(AwsError::invalid_value(
                "EntityMetricData is not supported by this endpoint; send MetricData.",
            ));
        }
        let namespace = self.namespace.ok_or_else(|| AwsError::missing("The parameter Namespace is required."))?;
        let mut metric_data = Vec::with_capacity(self.metric_data.len());
        for (i, d) in self.metric_data.into_iter().enumerate() {
            let n = i + 1;
            let metric_name = d.metric_name.ok_or_else(|| {
                AwsError::missing(format!("The parameter MetricData.member.{n}.MetricName is required."))
            })?;
            let statistic_values = match d.statistic_values {
                None => None,
                Some(s) => {
                    let req = |v: Option<Double>, m: &str| {
                        v.map(|d| d.0).ok_or_else(|| {
                            AwsError::missing(format!(
                                "The parameter MetricData.member.{n}.StatisticValues.{m} is required."
                            ))
                        })
                    };
                    Some(pb::StatisticSet {
                        sample_count: req(s.sample_count, "SampleCount")?,
                        sum: req(s.sum, "Sum")?,
                        minimum: req(s.minimum, "Minimum")?,
                        maximum: req(s.maximum, "Maximum")?,
                    })
                }
            };
            metric_data.push(pb::MetricDatum {
                metric_name,
                dimensions: d.dimensions.into_iter().map(|d| pb::Dimension { name: d.name, value: d.value }).collect(),
                timestamp: d.timestamp.map(|t| ts_pb(t, &format!("MetricData.member.{n}.Timestamp"))).transpose()?,
                value: d.value.map(|v| v.0),
                statistic_values,
                values: d.values.into_iter().map(|v| v.0).collect(),
                counts: d.counts.into_iter().map(|v| v.0).collect(),
                unit: d.unit.unwrap_or_default(),
                storage_resolution: d.storage_resolution.unwrap_or(0),
            });
        }
        Ok(pb::PutMetricDataRequest { namespace, metric_data, series: Vec::new() })
    }
}

/// `GetMetricStatisticsInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetMetricStatisticsInput {
    pub(crate) namespace: Option<String>,
    pub(crate) metric_name: Option<String>,
    #[serde(default)]
    pub(crate) dimensions: Vec<Dimension>,
    pub(crate) start_time: Option<Timestamp>,
    pub(crate) end_time: Option<Timestamp>,
    pub(crate) period: Option<i32>,
    #[serde(default)]
    pub(crate) statistics: Vec<String>,
    #[serde(default)]
    pub(crate) extended_statistics: Vec<String>,
    pub(crate) unit: Option<String>,
}

impl GetMetricStatisticsInput {
    pub(crate) fn into_pb(self) -> Result<pb::GetMetricStatisticsRequest, AwsError> {
        let start = self.start_time.ok_or_else(|| AwsError::missing("The parameter StartTime is required."))?;
        let end = self.end_time.ok_or_else(|| AwsError::missing("The parameter EndTime is required."))?;
        let period = self.period.ok_or_else(|| AwsError::missing("The parameter Period is required."))?;
        Ok(pb::GetMetricStatisticsRequest {
            namespace: required(self.namespace, "Namespace")?,
            metric_name: required(self.metric_name, "MetricName")?,
            dimensions: self.dimensions.into_iter().map(|d| pb::Dimension { name: d.name, value: d.value }).collect(),
            start_time: Some(ts_pb(start, "StartTime")?),
            end_time: Some(ts_pb(end, "EndTime")?),
            period,
            statistics: self.statistics,
            unit: self.unit.unwrap_or_default(),
            extended_statistics: self.extended_statistics,
        })
    }
}

/// `Datapoint`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Datapoint {
    pub(crate) timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sample_count: Option<Double>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) average: Option<Double>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sum: Option<Double>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) minimum: Option<Double>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) maximum: Option<Double>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<String>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) extended_statistics: std::collections::BTreeMap<String, Double>,
}

/// `GetMetricStatisticsOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetMetricStatisticsOutput {
    pub(crate) label: String,
    pub(crate) datapoints: Vec<Datapoint>,
}

impl From<pb::GetMetricStatisticsResponse> for GetMetricStatisticsOutput {
    fn from(r: pb::GetMetricStatisticsResponse) -> Self {
        GetMetricStatisticsOutput {
            label: r.label,
            datapoints: r
                .datapoints
                .into_iter()
                .map(|p| Datapoint {
                    timestamp: p.timestamp.as_ref().map(ts_from_pb),
                    sample_count: p.sample_count.map(Double),
                    average: p.average.map(Double),
                    sum: p.sum.map(Double),
                    minimum: p.minimum.map(Double),
                    maximum: p.maximum.map(Double),
                    unit: (!p.unit.is_empty()).then_some(p.unit),
                    extended_statistics: p.extended_statistics.into_iter().map(|(k, v)| (k, Double(v))).collect(),
                })
                .collect(),
        }
    }
}

/// `ListMetricsInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListMetricsInput {
    pub(crate) namespace: Option<String>,
    pub(crate) metric_name: Option<String>,
    #[serde(default)]
    pub(crate) dimensions: Vec<DimensionFilter>,
    pub(crate) next_token: Option<String>,
    pub(crate) recently_active: Option<String>,
}

impl From<ListMetricsInput> for pb::ListMetricsRequest {
    fn from(i: ListMetricsInput) -> Self {
        pb::ListMetricsRequest {
            namespace: i.namespace.unwrap_or_default(),
            metric_name: i.metric_name.unwrap_or_default(),
            dimensions: i
                .dimensions
                .into_iter()
                .map(|d| pb::DimensionFilter { name: d.name, value: d.value })
                .collect(),
            next_token: i.next_token.unwrap_or_default(),
            recently_active: i.recently_active.unwrap_or_default(),
        }
    }
}

/// `Metric`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Metric {
    pub(crate) namespace: String,
    pub(crate) metric_name: String,
    pub(crate) dimensions: Vec<Dimension>,
}

/// `ListMetricsOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListMetricsOutput {
    pub(crate) metrics: Vec<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

impl From<pb::ListMetricsResponse> for ListMetricsOutput {
    fn from(r: pb::ListMetricsResponse) -> Self {
        ListMetricsOutput {
            metrics: r
                .metrics
                .into_iter()
                .map(|m| Metric {
                    namespace: m.namespace,
                    metric_name: m.metric_name,
                    dimensions: m.dimensions.into_iter().map(|d| Dimension { name: d.name, value: d.value }).collect(),
                })
                .collect(),
            next_token: (!r.next_token.is_empty()).then_some(r.next_token),
        }
    }
}

/// `Metric` as an input (inside `MetricStat`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricInput {
    pub(crate) namespace: Option<String>,
    pub(crate) metric_name: Option<String>,
    #[serde(default)]
    pub(crate) dimensions: Vec<Dimension>,
}

/// `MetricStat`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricStat {
    pub(crate) metric: Option<MetricInput>,
    pub(crate) period: Option<i32>,
    pub(crate) stat: Option<String>,
    pub(crate) unit: Option<String>,
}

/// `MetricDataQuery`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricDataQuery {
    pub(crate) id: Option<String>,
    pub(crate) metric_stat: Option<MetricStat>,
    pub(crate) expression: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) return_data: Option<bool>,
    pub(crate) period: Option<i32>,
    pub(crate) account_id: Option<String>,
}

impl MetricDataQuery {
    /// The service-layer message for the query at `prefix` (`MetricDataQueries.member.1`,
    /// `Metrics.member.1`), which error messages name.
    pub(crate) fn into_pb(self, prefix: &str) -> Result<pb::MetricDataQuery, AwsError> {
        let field = |m: &str| format!("{prefix}.{m}");
        if self.account_id.is_some() {
            return Err(AwsError::invalid_value(format!(
                "{} is not supported: cross-account queries need a monitoring account.",
                field("AccountId")
            )));
        }
        let id = required(self.id, &field("Id"))?;
        let metric_stat = match self.metric_stat {
            None => None,
            Some(ms) => {
                let metric = ms.metric.ok_or_else(|| {
                    AwsError::missing(format!("The parameter {} is required.", field("MetricStat.Metric")))
                })?;
                Some(pb::MetricStat {
                    metric: Some(pb::Metric {
                        namespace: required(metric.namespace, &field("MetricStat.Metric.Namespace"))?,
                        metric_name: required(metric.metric_name, &field("MetricStat.Metric.MetricName"))?,
                        dimensions: metric
                            .dimensions
                            .into_iter()
                            .map(|d| pb::Dimension { name: d.name, value: d.value })
                            .collect(),
                    }),
                    period: ms.period.ok_or_else(|| {
                        AwsError::missing(format!("The parameter {} is required.", field("MetricStat.Period")))
                    })?,
                    stat: required(ms.stat, &field("MetricStat.Stat"))?,
                    unit: ms.unit.unwrap_or_default(),
                })
            }
        };
        Ok(pb::MetricDataQuery {
            id,
            metric_stat,
            expression: self.expression.unwrap_or_default(),
            label: self.label.unwrap_or_default(),
            return_data: self.return_data,
            period: self.period.unwrap_or(0),
        })
    }
}

/// `GetMetricDataInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetMetricDataInput {
    #[serde(default)]
    pub(crate) metric_data_queries: Vec<MetricDataQuery>,
    pub(crate) start_time: Option<Timestamp>,
    pub(crate) end_time: Option<Timestamp>,
    pub(crate) next_token: Option<String>,
    pub(crate) scan_by: Option<String>,
    pub(crate) max_datapoints: Option<i32>,
}

impl GetMetricDataInput {
    pub(crate) fn into_pb(self) -> Result<pb::GetMetricDataRequest, AwsError> {
        let start = self.start_time.ok_or_else(|| AwsError::missing("The parameter StartTime is required."))?;
        let end = self.end_time.ok_or_else(|| AwsError::missing("The parameter EndTime is required."))?;
        if self.metric_data_queries.is_empty() {
            return Err(AwsError::missing("The parameter MetricDataQueries is required."));
        }
        let queries = self
            .metric_data_queries
            .into_iter()
            .enumerate()
            .map(|(i, q)| q.into_pb(&format!("MetricDataQueries.member.{}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(pb::GetMetricDataRequest {
            metric_data_queries: queries,
            start_time: Some(ts_pb(start, "StartTime")?),
            end_time: Some(ts_pb(end, "EndTime")?),
            next_token: self.next_token.unwrap_or_default(),
            scan_by: self.scan_by.unwrap_or_default(),
            max_datapoints: self.max_datapoints.unwrap_or(0),
        })
    }
}

/// `MessageData`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MessageData {
    pub(crate) code: String,
    pub(crate) value: String,
}

/// `MetricDataResult`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricDataResult {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) timestamps: Vec<Timestamp>,
    pub(crate) values: Vec<Double>,
    pub(crate) status_code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) messages: Vec<MessageData>,
}

/// `GetMetricDataOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetMetricDataOutput {
    pub(crate) metric_data_results: Vec<MetricDataResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
    pub(crate) messages: Vec<MessageData>,
}

impl From<pb::GetMetricDataResponse> for GetMetricDataOutput {
    fn from(r: pb::GetMetricDataResponse) -> Self {
        let messages =
            |m: Vec<pb::MessageData>| m.into_iter().map(|m| MessageData { code: m.code, value: m.value }).collect();
        GetMetricDataOutput {
            metric_data_results: r
                .metric_data_results
                .into_iter()
                .map(|x| MetricDataResult {
                    id: x.id,
                    label: x.label,
                    timestamps: x.timestamps.iter().map(ts_from_pb).collect(),
                    values: x.values.into_iter().map(Double).collect(),
                    status_code: x.status_code,
                    messages: messages(x.messages),
                })
                .collect(),
            next_token: (!r.next_token.is_empty()).then_some(r.next_token),
            messages: messages(r.messages),
        }
    }
}

/// `PutDashboardInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutDashboardInput {
    pub(crate) dashboard_name: Option<String>,
    pub(crate) dashboard_body: Option<String>,
}

/// `DashboardValidationMessage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DashboardValidationMessage {
    pub(crate) data_path: String,
    pub(crate) message: String,
}

/// `PutDashboardOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutDashboardOutput {
    pub(crate) dashboard_validation_messages: Vec<DashboardValidationMessage>,
}

/// `GetDashboardInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetDashboardInput {
    pub(crate) dashboard_name: Option<String>,
}

/// `GetDashboardOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetDashboardOutput {
    pub(crate) dashboard_arn: String,
    pub(crate) dashboard_body: String,
    pub(crate) dashboard_name: String,
}

/// `ListDashboardsInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListDashboardsInput {
    pub(crate) dashboard_name_prefix: Option<String>,
    pub(crate) next_token: Option<String>,
}

/// `DashboardEntry`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DashboardEntry {
    pub(crate) dashboard_name: String,
    pub(crate) dashboard_arn: String,
    pub(crate) last_modified: Timestamp,
    pub(crate) size: u64,
}

/// `ListDashboardsOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListDashboardsOutput {
    pub(crate) dashboard_entries: Vec<DashboardEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// `DeleteDashboardsInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteDashboardsInput {
    #[serde(default)]
    pub(crate) dashboard_names: Vec<String>,
}

/// `Tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Tag {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// `TagResourceInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct TagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub(crate) resource_arn: Option<String>,
    #[serde(rename = "Tags", default)]
    pub(crate) tags: Vec<Tag>,
}

/// `UntagResourceInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct UntagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub(crate) resource_arn: Option<String>,
    #[serde(rename = "TagKeys", default)]
    pub(crate) tag_keys: Vec<String>,
}

/// `ListTagsForResourceInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct ListTagsForResourceInput {
    #[serde(rename = "ResourceARN")]
    pub(crate) resource_arn: Option<String>,
}

/// `ListTagsForResourceOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListTagsForResourceOutput {
    pub(crate) tags: Vec<Tag>,
}

/// A resource a tag operation's `ResourceARN` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resource {
    /// `arn:aws:cloudwatch:[region]:account:dashboard/name` (dashboards are per tenant here,
    /// but their ARN carries no region, as AWS's do not).
    Dashboard(String),
    /// `arn:aws:cloudwatch:region:account:alarm:name`.
    Alarm(String),
}

/// The resource `arn` names, if it is one of `tenant`'s: a dashboard or an alarm ARN of another
/// account (or an alarm ARN of another region) names nothing here, which is
/// `ResourceNotFoundException`; anything that is not a CloudWatch dashboard or alarm ARN is
/// `InvalidParameterValue`.
pub(crate) fn resource_of_arn(arn: &str, tenant: &stratus_engine::Tenant) -> Result<Resource, AwsError> {
    let invalid = || AwsError::invalid_value(format!("The value {arn} for parameter ResourceARN is invalid."));
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, _partition, service, region, owner, resource] = parts.as_slice() else { return Err(invalid()) };
    if *prefix != "arn" || *service != "cloudwatch" {
        return Err(invalid());
    }
    if let Some(name) = resource.strip_prefix("dashboard/") {
        if *owner != tenant.account {
            return Err(resource_not_found("dashboard", name));
        }
        return Ok(Resource::Dashboard(name.to_string()));
    }
    let Some(name) = resource.strip_prefix("alarm:").filter(|n| !n.is_empty()) else { return Err(invalid()) };
    if *owner != tenant.account || *region != tenant.region {
        return Err(resource_not_found("alarm", name));
    }
    Ok(Resource::Alarm(name.to_string()))
}

/// `ResourceNotFoundException` (TagResource and friends), with its `ResourceType`/`ResourceId`.
pub(crate) fn resource_not_found(kind: &str, id: &str) -> AwsError {
    let message = format!("The {kind} {id} does not exist.");
    AwsError {
        message_member: "Message",
        ..AwsError::new("ResourceNotFoundException", "ResourceNotFoundException", http::StatusCode::NOT_FOUND, message)
    }
}

/// An output with no members (`DeleteDashboardsOutput`, `PutMetricData`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Empty {}

/// A dashboard's ARN. CloudWatch dashboards' ARNs carry no region.
pub(crate) fn dashboard_arn(account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch::{account}:dashboard/{name}")
}

/// A required string member, or AWS's MissingParameter error naming it.
pub(crate) fn required(v: Option<String>, name: &str) -> Result<String, AwsError> {
    v.ok_or_else(|| AwsError::missing(format!("The parameter {name} is required.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_accept_numbers_and_aws_strings_and_write_them_back() {
        let v: Vec<Double> = serde_json::from_str(r#"[1, 2.5, "NaN", "Infinity", "-Infinity", -0.0]"#).unwrap();
        assert_eq!(v[0].0, 1.0);
        assert_eq!(v[1].0, 2.5);
        assert!(v[2].0.is_nan());
        assert_eq!((v[3].0, v[4].0), (f64::INFINITY, f64::NEG_INFINITY));
        assert!(v[5].0 == 0.0 && v[5].0.is_sign_negative());
        let out =
            serde_json::to_string(&[Double(f64::NAN), Double(f64::INFINITY), Double(f64::NEG_INFINITY), Double(0.1)])
                .unwrap();
        assert_eq!(out, r#"["NaN","Infinity","-Infinity",0.1]"#);
        assert!(serde_json::from_str::<Double>(r#""abc""#).is_err());
    }

    #[test]
    fn put_metric_data_json_becomes_the_service_request() {
        let input: PutMetricDataInput = serde_json::from_str(
            r#"{"Namespace":"App","MetricData":[
                {"MetricName":"Latency","Dimensions":[{"Name":"Host","Value":"a"}],"Timestamp":1700000000.5,"Value":"NaN","Unit":"Milliseconds","StorageResolution":1},
                {"MetricName":"Size","StatisticValues":{"SampleCount":2,"Sum":3,"Minimum":1,"Maximum":2}},
                {"MetricName":"Dist","Values":[1,2],"Counts":[3,4]}]}"#,
        )
        .unwrap();
        let req = input.into_pb().unwrap();
        assert_eq!(req.namespace, "App");
        let d = &req.metric_data[0];
        assert_eq!((d.metric_name.as_str(), d.unit.as_str(), d.storage_resolution), ("Latency", "Milliseconds", 1));
        assert!(d.value.unwrap().is_nan());
        assert_eq!(d.dimensions, vec![pb::Dimension { name: "Host".into(), value: "a".into() }]);
        assert_eq!(d.timestamp.as_ref().map(|t| (t.seconds, t.nanos)), Some((1_700_000_000, 500_000_000)));
        assert_eq!(req.metric_data[1].statistic_values.as_ref().map(|s| s.sum), Some(3.0));
        assert_eq!(
            (req.metric_data[2].values.clone(), req.metric_data[2].counts.clone()),
            (vec![1.0, 2.0], vec![3.0, 4.0])
        );
    }

    #[test]
    fn absent_required_members_are_missing_parameter_errors() {
        let no_ns: PutMetricDataInput = serde_json::from_str(r#"{"MetricData":[]}"#).unwrap();
        assert_eq!(no_ns.into_pb().unwrap_err().code, "MissingParameter");
        let partial_set: PutMetricDataInput = serde_json::from_str(
            r#"{"Namespace":"A","MetricData":[{"MetricName":"m","StatisticValues":{"SampleCount":1,"Sum":1,"Minimum":1}}]}"#,
        )
        .unwrap();
        let e = partial_set.into_pb().unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("MissingParameter", "The parameter MetricData.member.1.StatisticValues.Maximum is required.")
        );
        let entity: PutMetricDataInput =
            serde_json::from_str(r#"{"Namespace":"A","EntityMetricData":[{"Entity":{}}]}"#).unwrap();
        assert_eq!(entity.into_pb().unwrap_err().code, "InvalidParameterValue");
        let gms: GetMetricStatisticsInput =
            serde_json::from_str(r#"{"Namespace":"A","MetricName":"m","StartTime":1,"EndTime":2}"#).unwrap();
        assert_eq!(gms.into_pb().unwrap_err().message, "The parameter Period is required.");
    }

    #[test]
    fn outputs_serialize_with_model_names_and_omit_absent_members() {
        let out = GetMetricStatisticsOutput::from(pb::GetMetricStatisticsResponse {
            label: "Latency".into(),
            datapoints: vec![pb::Datapoint {
                timestamp: Some(prost_types::Timestamp { seconds: 60, nanos: 0 }),
                sample_count: Some(2.0),
                maximum: Some(5.5),
                unit: "Seconds".into(),
                ..Default::default()
            }],
        });
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["Label"], "Latency");
        assert_eq!(json["Datapoints"][0]["Maximum"], 5.5);
        assert_eq!(json["Datapoints"][0]["Unit"], "Seconds");
        assert_eq!(json["Datapoints"][0]["Timestamp"], 60.0);
        assert!(json["Datapoints"][0].get("Average").is_none());
        let list = ListMetricsOutput::from(pb::ListMetricsResponse { metrics: vec![], next_token: String::new() });
        assert_eq!(serde_json::to_string(&list).unwrap(), r#"{"Metrics":[]}"#);
    }
}
