//! CloudWatch's alarm shapes (serde, member names as the CloudWatch model spells them) for
//! PutMetricAlarm, PutCompositeAlarm, DescribeAlarms, DescribeAlarmsForMetric,
//! DescribeAlarmHistory, DeleteAlarms, SetAlarmState and Enable/DisableAlarmActions, and their
//! translation to and from the engine's alarm model (`stratus_engine::MetricAlarmInput`, …),
//! which the service layer takes as it is.
//!
//! The face checks only what the wire shape says: required members (`MissingParameter`),
//! member types (the decoders), units (the engine's `Unit` parsing, `InvalidParameterValue`),
//! and `Metrics[]` through the same conversion GetMetricData uses. Everything else — names,
//! periods, operators, rules, state values, JSON documents — is the engine's to validate, once
//! for both faces. Members this server does not implement (`WarmUpConfiguration`,
//! `EvaluationCriteria`, `EvaluationInterval`, `ActionConfiguration`) are refused rather than
//! dropped.
//!
//! With `ChildrenOfAlarmName` / `ParentsOfAlarmName`, DescribeAlarms answers reduced records
//! (children: name, ARN, state value, state-updated time; parents: name, ARN) as AWS does; the
//! engine returns full records and [`describe_alarms_output`] cuts them down.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use stratus_engine as engine;
use stratus_proto::v1 as pb;

use super::cloudwatch::{Dimension, Double, Metric, MetricDataQuery, Tag, required};
use super::error::AwsError;
use super::timestamp::Timestamp;

// --- inputs ----------------------------------------------------------------------------------

/// `EvaluationWindow` (a union: exactly one of its members).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EvaluationWindowInput {
    pub(crate) sliding_window: Option<IgnoredAny>,
    pub(crate) wall_clock_window: Option<WallClockWindow>,
}

/// `WallClockWindow`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WallClockWindow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timezone: Option<String>,
}

/// `SlidingWindow` (no members).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct SlidingWindow {}

/// `EvaluationWindow` in an output: exactly one member.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EvaluationWindowOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sliding_window: Option<SlidingWindow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) wall_clock_window: Option<WallClockWindow>,
}

/// `PutMetricAlarmInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutMetricAlarmInput {
    pub(crate) alarm_name: Option<String>,
    pub(crate) alarm_description: Option<String>,
    pub(crate) actions_enabled: Option<bool>,
    #[serde(rename = "OKActions", default)]
    pub(crate) ok_actions: Vec<String>,
    #[serde(default)]
    pub(crate) alarm_actions: Vec<String>,
    #[serde(default)]
    pub(crate) insufficient_data_actions: Vec<String>,
    pub(crate) metric_name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) statistic: Option<String>,
    pub(crate) extended_statistic: Option<String>,
    #[serde(default)]
    pub(crate) dimensions: Vec<Dimension>,
    pub(crate) period: Option<i64>,
    pub(crate) unit: Option<String>,
    pub(crate) evaluation_periods: Option<i64>,
    pub(crate) datapoints_to_alarm: Option<i64>,
    pub(crate) threshold: Option<Double>,
    pub(crate) comparison_operator: Option<String>,
    pub(crate) treat_missing_data: Option<String>,
    pub(crate) evaluate_low_sample_count_percentile: Option<String>,
    #[serde(default)]
    pub(crate) metrics: Vec<MetricDataQuery>,
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
    pub(crate) threshold_metric_id: Option<String>,
    pub(crate) evaluation_window: Option<EvaluationWindowInput>,
    /// Not served: refused when present.
    pub(crate) warm_up_configuration: Option<IgnoredAny>,
    /// Not served (PromQL alarms): refused when present.
    pub(crate) evaluation_criteria: Option<IgnoredAny>,
    /// Not served (PromQL alarms): refused when present.
    pub(crate) evaluation_interval: Option<IgnoredAny>,
    /// Not served: refused when present.
    pub(crate) action_configuration: Option<IgnoredAny>,
}

/// A member this server does not implement, refused rather than silently dropped.
fn unsupported(member: &str) -> AwsError {
    AwsError::invalid_value(format!("{member} is not supported by this endpoint."))
}

/// An AWS unit name through the engine's parser; unknown names are `InvalidParameterValue`.
fn unit(s: &str, field: &str) -> Result<engine::Unit, AwsError> {
    s.parse().map_err(|_| AwsError::invalid_value(format!("The value {s} for parameter {field} is invalid.")))
}

fn dimensions(d: Vec<Dimension>) -> Vec<engine::Dimension> {
    d.into_iter().map(|d| engine::Dimension { name: d.name, value: d.value }).collect()
}

fn tags(t: Vec<Tag>) -> Vec<(String, String)> {
    t.into_iter().map(|t| (t.key, t.value)).collect()
}

/// A request timestamp as epoch milliseconds.
fn millis(t: Timestamp, field: &str) -> Result<i64, AwsError> {
    t.to_millis().ok_or_else(|| AwsError::invalid_value(format!("The value for parameter {field} is invalid.")))
}

/// One `Metrics` entry in engine terms: the GetMetricData conversion to the service message,
/// then what the engine's query type needs (one of MetricStat and Expression, a known unit).
/// `ReturnData` defaults to true. The second step is the one `convert::gmd` takes for
/// GetMetricData (private there, and its messages name `MetricDataQueries`); once it takes the
/// field prefix and is `pub(crate)`, this should call it.
fn alarm_query(n: usize, q: MetricDataQuery) -> Result<engine::MetricDataQuery, AwsError> {
    let p = format!("Metrics.member.{n}");
    let q = q.into_pb(&p)?;
    let kind = match (q.metric_stat, q.expression.is_empty()) {
        (Some(_), false) => {
            return Err(AwsError::from_engine(&engine::Error::InvalidArgument {
                code: engine::InvalidCode::InvalidParameterCombination,
                message: format!(
                    "The parameters {p}.MetricStat and {p}.Expression are mutually exclusive and you have specified both."
                ),
            }));
        }
        (None, true) => {
            return Err(AwsError::missing(format!("The parameter {p}.MetricStat or {p}.Expression is required.")));
        }
        (None, false) => engine::QueryKind::Expression(q.expression),
        (Some(ms), true) => {
            let m = ms.metric.unwrap_or_default();
            let unit = if ms.unit.is_empty() { None } else { Some(unit(&ms.unit, &format!("{p}.MetricStat.Unit"))?) };
            engine::QueryKind::MetricStat {
                metric: engine::MetricKey::new(
                    m.namespace,
                    m.metric_name,
                    m.dimensions.into_iter().map(|d: pb::Dimension| engine::Dimension::new(d.name, d.value)).collect(),
                ),
                period_s: i64::from(ms.period),
                stat: ms.stat,
                unit,
            }
        }
    };
    Ok(engine::MetricDataQuery {
        id: q.id,
        label: (!q.label.is_empty()).then_some(q.label),
        return_data: q.return_data.unwrap_or(true),
        period_s: (q.period != 0).then_some(i64::from(q.period)),
        kind,
    })
}

impl PutMetricAlarmInput {
    /// The engine's input.
    pub(crate) fn into_engine(self) -> Result<engine::MetricAlarmInput, AwsError> {
        for (present, member) in [
            (self.warm_up_configuration.is_some(), "WarmUpConfiguration"),
            (self.evaluation_criteria.is_some(), "EvaluationCriteria"),
            (self.evaluation_interval.is_some(), "EvaluationInterval"),
            (self.action_configuration.is_some(), "ActionConfiguration"),
        ] {
            if present {
                return Err(unsupported(member));
            }
        }
        // `SlidingWindow` (or an empty `EvaluationWindow`, which is all awsQuery can send for
        // it) is the default; `WallClockWindow` aligns buckets to the clock (the engine checks
        // the time zone).
        let evaluation_window = match self.evaluation_window {
            None => None,
            Some(EvaluationWindowInput { sliding_window: Some(_), wall_clock_window: Some(_) }) => {
                return Err(AwsError::from_engine(&engine::Error::InvalidArgument {
                    code: engine::InvalidCode::InvalidParameterCombination,
                    message: "EvaluationWindow takes exactly one of SlidingWindow and WallClockWindow.".into(),
                }));
            }
            Some(EvaluationWindowInput { wall_clock_window: Some(w), .. }) => {
                Some(engine::EvaluationWindow::WallClock { timezone: w.timezone })
            }
            Some(_) => Some(engine::EvaluationWindow::Sliding),
        };
        Ok(engine::MetricAlarmInput {
            name: required(self.alarm_name, "AlarmName")?,
            description: self.alarm_description,
            actions_enabled: self.actions_enabled,
            ok_actions: self.ok_actions,
            alarm_actions: self.alarm_actions,
            insufficient_data_actions: self.insufficient_data_actions,
            metric_name: self.metric_name,
            namespace: self.namespace,
            dimensions: dimensions(self.dimensions),
            statistic: self.statistic,
            extended_statistic: self.extended_statistic,
            period: self.period,
            unit: self.unit.map(|u| unit(&u, "Unit")).transpose()?,
            evaluation_periods: self.evaluation_periods,
            datapoints_to_alarm: self.datapoints_to_alarm,
            threshold: self.threshold.map(|t| t.0),
            threshold_metric_id: self.threshold_metric_id,
            comparison_operator: self.comparison_operator,
            treat_missing_data: self.treat_missing_data,
            evaluate_low_sample_count_percentile: self.evaluate_low_sample_count_percentile,
            metrics: self
                .metrics
                .into_iter()
                .enumerate()
                .map(|(i, q)| alarm_query(i + 1, q))
                .collect::<Result<Vec<_>, _>>()?,
            evaluation_window,
            tags: tags(self.tags),
        })
    }
}

/// `PutCompositeAlarmInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutCompositeAlarmInput {
    pub(crate) actions_enabled: Option<bool>,
    #[serde(default)]
    pub(crate) alarm_actions: Vec<String>,
    pub(crate) alarm_description: Option<String>,
    pub(crate) alarm_name: Option<String>,
    pub(crate) alarm_rule: Option<String>,
    #[serde(default)]
    pub(crate) insufficient_data_actions: Vec<String>,
    #[serde(rename = "OKActions", default)]
    pub(crate) ok_actions: Vec<String>,
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
    pub(crate) actions_suppressor: Option<String>,
    pub(crate) actions_suppressor_wait_period: Option<i64>,
    pub(crate) actions_suppressor_extension_period: Option<i64>,
    /// Not served: refused when present.
    pub(crate) action_configuration: Option<IgnoredAny>,
}

impl PutCompositeAlarmInput {
    /// The engine's input.
    pub(crate) fn into_engine(self) -> Result<engine::CompositeAlarmInput, AwsError> {
        if self.action_configuration.is_some() {
            return Err(unsupported("ActionConfiguration"));
        }
        Ok(engine::CompositeAlarmInput {
            name: required(self.alarm_name, "AlarmName")?,
            description: self.alarm_description,
            actions_enabled: self.actions_enabled,
            ok_actions: self.ok_actions,
            alarm_actions: self.alarm_actions,
            insufficient_data_actions: self.insufficient_data_actions,
            alarm_rule: required(self.alarm_rule, "AlarmRule")?,
            actions_suppressor: self.actions_suppressor,
            actions_suppressor_wait_period: self.actions_suppressor_wait_period,
            actions_suppressor_extension_period: self.actions_suppressor_extension_period,
            tags: tags(self.tags),
        })
    }
}

/// `DescribeAlarmsInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmsInput {
    #[serde(default)]
    pub(crate) alarm_names: Vec<String>,
    pub(crate) alarm_name_prefix: Option<String>,
    #[serde(default)]
    pub(crate) alarm_types: Vec<String>,
    pub(crate) children_of_alarm_name: Option<String>,
    pub(crate) parents_of_alarm_name: Option<String>,
    pub(crate) state_value: Option<String>,
    pub(crate) action_prefix: Option<String>,
    pub(crate) max_records: Option<i64>,
    pub(crate) next_token: Option<String>,
}

/// Which records DescribeAlarms answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Records {
    /// Every member.
    Full,
    /// `ChildrenOfAlarmName`: name, ARN, state value, state-updated time.
    Children,
    /// `ParentsOfAlarmName`: name, ARN.
    Parents,
}

impl DescribeAlarmsInput {
    /// The engine's query and the records to answer.
    pub(crate) fn into_engine(self) -> (engine::DescribeAlarms, Records) {
        let records = match (&self.children_of_alarm_name, &self.parents_of_alarm_name) {
            (Some(_), _) => Records::Children,
            (None, Some(_)) => Records::Parents,
            (None, None) => Records::Full,
        };
        let q = engine::DescribeAlarms {
            names: self.alarm_names,
            name_prefix: self.alarm_name_prefix,
            alarm_types: self.alarm_types,
            state_value: self.state_value,
            action_prefix: self.action_prefix,
            children_of: self.children_of_alarm_name,
            parents_of: self.parents_of_alarm_name,
            max_records: self.max_records,
            next_token: self.next_token,
        };
        (q, records)
    }
}

/// `DescribeAlarmsForMetricInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmsForMetricInput {
    pub(crate) metric_name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) statistic: Option<String>,
    pub(crate) extended_statistic: Option<String>,
    #[serde(default)]
    pub(crate) dimensions: Vec<Dimension>,
    pub(crate) period: Option<i64>,
    pub(crate) unit: Option<String>,
}

impl DescribeAlarmsForMetricInput {
    /// The engine's query.
    pub(crate) fn into_engine(self) -> Result<engine::DescribeAlarmsForMetric, AwsError> {
        Ok(engine::DescribeAlarmsForMetric {
            metric_name: required(self.metric_name, "MetricName")?,
            namespace: required(self.namespace, "Namespace")?,
            dimensions: dimensions(self.dimensions),
            statistic: self.statistic,
            extended_statistic: self.extended_statistic,
            period: self.period,
            unit: self.unit.map(|u| unit(&u, "Unit")).transpose()?,
        })
    }
}

/// `DescribeAlarmHistoryInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmHistoryInput {
    pub(crate) alarm_name: Option<String>,
    /// Contributors belong to multi-series (Metrics Insights) alarms, which this server does not
    /// have: a history filtered to one has no items.
    pub(crate) alarm_contributor_id: Option<String>,
    #[serde(default)]
    pub(crate) alarm_types: Vec<String>,
    pub(crate) history_item_type: Option<String>,
    pub(crate) start_date: Option<Timestamp>,
    pub(crate) end_date: Option<Timestamp>,
    pub(crate) max_records: Option<i64>,
    pub(crate) next_token: Option<String>,
    pub(crate) scan_by: Option<String>,
}

impl DescribeAlarmHistoryInput {
    /// The engine's query; `true` when the answer is empty whatever the engine holds (a
    /// contributor filter).
    pub(crate) fn into_engine(self) -> Result<(engine::DescribeAlarmHistory, bool), AwsError> {
        let q = engine::DescribeAlarmHistory {
            alarm_name: self.alarm_name,
            alarm_types: self.alarm_types,
            history_item_type: self.history_item_type,
            start_ms: self.start_date.map(|t| millis(t, "StartDate")).transpose()?,
            end_ms: self.end_date.map(|t| millis(t, "EndDate")).transpose()?,
            max_records: self.max_records,
            scan_by: self.scan_by,
            next_token: self.next_token,
        };
        Ok((q, self.alarm_contributor_id.is_some()))
    }
}

/// `DeleteAlarmsInput`, `EnableAlarmActionsInput`, `DisableAlarmActionsInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AlarmNamesInput {
    pub(crate) alarm_names: Option<Vec<String>>,
}

impl AlarmNamesInput {
    /// The names (the member is required; an empty list is a request about no alarm).
    pub(crate) fn names(self) -> Result<Vec<String>, AwsError> {
        self.alarm_names.ok_or_else(|| AwsError::missing("The parameter AlarmNames is required."))
    }
}

/// `SetAlarmStateInput`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SetAlarmStateInput {
    pub(crate) alarm_name: Option<String>,
    pub(crate) state_value: Option<String>,
    pub(crate) state_reason: Option<String>,
    pub(crate) state_reason_data: Option<String>,
}

/// SetAlarmState's members, checked present: name, state value, reason, reason data.
pub(crate) type SetAlarmState = (String, String, String, Option<String>);

impl SetAlarmStateInput {
    /// The members the service call takes.
    pub(crate) fn into_parts(self) -> Result<SetAlarmState, AwsError> {
        Ok((
            required(self.alarm_name, "AlarmName")?,
            required(self.state_value, "StateValue")?,
            required(self.state_reason, "StateReason")?,
            self.state_reason_data,
        ))
    }
}

// --- outputs ---------------------------------------------------------------------------------

/// `MetricStat` as an output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricStatOutput {
    pub(crate) metric: Metric,
    pub(crate) period: i64,
    pub(crate) stat: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<String>,
}

/// `MetricDataQuery` as an output (a metric-math alarm's `Metrics`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricDataQueryOutput {
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metric_stat: Option<MetricStatOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) label: Option<String>,
    pub(crate) return_data: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) period: Option<i64>,
}

impl From<engine::MetricDataQuery> for MetricDataQueryOutput {
    fn from(q: engine::MetricDataQuery) -> Self {
        let (metric_stat, expression) = match q.kind {
            engine::QueryKind::MetricStat { metric, period_s, stat, unit } => (
                Some(MetricStatOutput {
                    metric: Metric {
                        namespace: metric.namespace,
                        metric_name: metric.metric_name,
                        dimensions: metric
                            .dimensions
                            .into_iter()
                            .map(|d| Dimension { name: d.name, value: d.value })
                            .collect(),
                    },
                    period: period_s,
                    stat,
                    unit: unit.map(|u| u.as_str().to_string()),
                }),
                None,
            ),
            engine::QueryKind::Expression(e) => (None, Some(e)),
        };
        MetricDataQueryOutput {
            id: q.id,
            metric_stat,
            expression,
            label: q.label,
            return_data: q.return_data,
            period: q.period_s,
        }
    }
}

/// `MetricAlarm`. Every member is optional because the reduced records of
/// `ChildrenOfAlarmName` / `ParentsOfAlarmName` carry only a few; full records fill them all
/// (the lists always, the rest when set). Members in the model's order (awsQuery XML).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricAlarmOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_configuration_updated_timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions_enabled: Option<bool>,
    #[serde(rename = "OKActions", skip_serializing_if = "Option::is_none")]
    pub(crate) ok_actions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_actions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) insufficient_data_actions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_value: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_reason_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_updated_timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metric_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) statistic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) extended_statistic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dimensions: Option<Vec<Dimension>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evaluation_periods: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) datapoints_to_alarm: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) threshold: Option<Double>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) comparison_operator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) treat_missing_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evaluate_low_sample_count_percentile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metrics: Option<Vec<MetricDataQueryOutput>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) threshold_metric_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_transitioned_timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evaluation_window: Option<EvaluationWindowOutput>,
}

impl From<engine::MetricAlarm> for MetricAlarmOutput {
    fn from(a: engine::MetricAlarm) -> Self {
        let c = a.config;
        MetricAlarmOutput {
            alarm_name: Some(c.name),
            alarm_arn: Some(a.arn),
            alarm_description: c.description,
            alarm_configuration_updated_timestamp: Some(Timestamp::from_millis(a.config_updated_ms)),
            actions_enabled: Some(a.actions_enabled),
            ok_actions: Some(c.ok_actions),
            alarm_actions: Some(c.alarm_actions),
            insufficient_data_actions: Some(c.insufficient_data_actions),
            state_value: Some(a.state.value.as_str()),
            state_reason: Some(a.state.reason),
            state_reason_data: a.state.reason_data,
            state_updated_timestamp: Some(Timestamp::from_millis(a.state.updated_ms)),
            metric_name: c.metric_name,
            namespace: c.namespace,
            statistic: c.statistic,
            extended_statistic: c.extended_statistic,
            dimensions: Some(c.dimensions.into_iter().map(|d| Dimension { name: d.name, value: d.value }).collect()),
            period: c.period,
            unit: c.unit.map(engine::Unit::as_str),
            evaluation_periods: c.evaluation_periods,
            datapoints_to_alarm: c.datapoints_to_alarm,
            threshold: c.threshold.map(Double),
            comparison_operator: c.comparison_operator,
            treat_missing_data: c.treat_missing_data,
            evaluate_low_sample_count_percentile: c.evaluate_low_sample_count_percentile,
            metrics: (!c.metrics.is_empty()).then(|| c.metrics.into_iter().map(Into::into).collect()),
            threshold_metric_id: c.threshold_metric_id,
            state_transitioned_timestamp: Some(Timestamp::from_millis(a.state.transitioned_ms)),
            evaluation_window: c.evaluation_window.map(|w| match w {
                engine::EvaluationWindow::Sliding => {
                    EvaluationWindowOutput { sliding_window: Some(SlidingWindow {}), wall_clock_window: None }
                }
                engine::EvaluationWindow::WallClock { timezone } => EvaluationWindowOutput {
                    sliding_window: None,
                    wall_clock_window: Some(WallClockWindow { timezone }),
                },
            }),
        }
    }
}

/// `CompositeAlarm`; optional members as for [`MetricAlarmOutput`]. Members in the model's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CompositeAlarmOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_actions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_configuration_updated_timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) insufficient_data_actions: Option<Vec<String>>,
    #[serde(rename = "OKActions", skip_serializing_if = "Option::is_none")]
    pub(crate) ok_actions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_reason_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_updated_timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_value: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_transitioned_timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions_suppressed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions_suppressed_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions_suppressor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions_suppressor_wait_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions_suppressor_extension_period: Option<i64>,
}

impl From<engine::CompositeAlarm> for CompositeAlarmOutput {
    fn from(a: engine::CompositeAlarm) -> Self {
        let c = a.config;
        CompositeAlarmOutput {
            actions_enabled: Some(a.actions_enabled),
            alarm_actions: Some(c.alarm_actions),
            alarm_arn: Some(a.arn),
            alarm_configuration_updated_timestamp: Some(Timestamp::from_millis(a.config_updated_ms)),
            alarm_description: c.description,
            alarm_name: Some(c.name),
            alarm_rule: Some(c.alarm_rule),
            insufficient_data_actions: Some(c.insufficient_data_actions),
            ok_actions: Some(c.ok_actions),
            state_reason: Some(a.state.reason),
            state_reason_data: a.state.reason_data,
            state_updated_timestamp: Some(Timestamp::from_millis(a.state.updated_ms)),
            state_value: Some(a.state.value.as_str()),
            state_transitioned_timestamp: Some(Timestamp::from_millis(a.state.transitioned_ms)),
            actions_suppressed_by: a.actions_suppressed_by,
            actions_suppressed_reason: a.actions_suppressed_reason,
            actions_suppressor: c.actions_suppressor,
            actions_suppressor_wait_period: c.actions_suppressor_wait_period,
            actions_suppressor_extension_period: c.actions_suppressor_extension_period,
        }
    }
}

impl MetricAlarmOutput {
    /// The reduced record of a child (`Records::Children`: name, ARN, state value and its
    /// time) or a parent (`Records::Parents`: name and ARN); `Records::Full` keeps every member.
    fn reduced(self, records: Records) -> Self {
        let child = records == Records::Children;
        match records {
            Records::Full => self,
            Records::Children | Records::Parents => MetricAlarmOutput {
                alarm_name: self.alarm_name,
                alarm_arn: self.alarm_arn,
                state_value: self.state_value.filter(|_| child),
                state_updated_timestamp: self.state_updated_timestamp.filter(|_| child),
                ..MetricAlarmOutput::default()
            },
        }
    }
}

impl CompositeAlarmOutput {
    /// As [`MetricAlarmOutput::reduced`].
    fn reduced(self, records: Records) -> Self {
        let child = records == Records::Children;
        match records {
            Records::Full => self,
            Records::Children | Records::Parents => CompositeAlarmOutput {
                alarm_name: self.alarm_name,
                alarm_arn: self.alarm_arn,
                state_value: self.state_value.filter(|_| child),
                state_updated_timestamp: self.state_updated_timestamp.filter(|_| child),
                ..CompositeAlarmOutput::default()
            },
        }
    }
}

/// `DescribeAlarmsOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmsOutput {
    pub(crate) composite_alarms: Vec<CompositeAlarmOutput>,
    pub(crate) metric_alarms: Vec<MetricAlarmOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// DescribeAlarms' answer from the engine's, reduced for `ChildrenOfAlarmName` /
/// `ParentsOfAlarmName`.
pub(crate) fn describe_alarms_output(r: engine::DescribeAlarmsResult, records: Records) -> DescribeAlarmsOutput {
    DescribeAlarmsOutput {
        composite_alarms: r
            .composite_alarms
            .into_iter()
            .map(|a| CompositeAlarmOutput::from(a).reduced(records))
            .collect(),
        metric_alarms: r.metric_alarms.into_iter().map(|a| MetricAlarmOutput::from(a).reduced(records)).collect(),
        next_token: r.next_token,
    }
}

/// `DescribeAlarmsForMetricOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmsForMetricOutput {
    pub(crate) metric_alarms: Vec<MetricAlarmOutput>,
}

impl From<Vec<engine::MetricAlarm>> for DescribeAlarmsForMetricOutput {
    fn from(alarms: Vec<engine::MetricAlarm>) -> Self {
        DescribeAlarmsForMetricOutput { metric_alarms: alarms.into_iter().map(Into::into).collect() }
    }
}

/// `AlarmHistoryItem`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AlarmHistoryItem {
    pub(crate) alarm_name: String,
    pub(crate) alarm_type: &'static str,
    pub(crate) timestamp: Timestamp,
    pub(crate) history_item_type: &'static str,
    pub(crate) history_summary: String,
    pub(crate) history_data: String,
}

/// `DescribeAlarmHistoryOutput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmHistoryOutput {
    pub(crate) alarm_history_items: Vec<AlarmHistoryItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

impl From<engine::AlarmHistory> for DescribeAlarmHistoryOutput {
    fn from(h: engine::AlarmHistory) -> Self {
        DescribeAlarmHistoryOutput {
            alarm_history_items: h
                .items
                .into_iter()
                .map(|i| AlarmHistoryItem {
                    alarm_name: i.alarm_name,
                    alarm_type: i.alarm_type.as_str(),
                    timestamp: Timestamp::from_millis(i.timestamp_ms),
                    history_item_type: i.item_type.as_str(),
                    history_summary: i.summary,
                    history_data: i.data,
                })
                .collect(),
            next_token: h.next_token,
        }
    }
}

#[cfg(test)]
mod tests;
