//! Alarm configurations, states, history items and action requests as JSON — the journal's
//! records (`docs/format/alarms.md`) and the documents CloudWatch itself writes as JSON
//! (`HistoryData`, the notification `Message`). Member names are CloudWatch's, in camelCase as
//! its history documents spell them.

use serde_json::{Map, Value, json};

use super::model::{
    ActionRequest, AlarmState, AlarmStatus, AlarmType, CompositeAlarmInput, EvaluationWindow, HistoryItem,
    HistoryItemType, MetricAlarmInput,
};
use crate::metrics::gmd::{MetricDataQuery, QueryKind};
use crate::metrics::model::{Dimension, MetricKey, Tenant, Unit};

/// A record that does not have the shape the format says.
pub(crate) type Malformed = String;
type R<T> = std::result::Result<T, Malformed>;

fn s(v: &Value, k: &str) -> R<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("member {k} missing or not a string"))
}
fn os(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}
fn oi(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}
fn i(v: &Value, k: &str) -> R<i64> {
    oi(v, k).ok_or_else(|| format!("member {k} missing or not an integer"))
}
fn of(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}
fn ob(v: &Value, k: &str) -> Option<bool> {
    v.get(k).and_then(Value::as_bool)
}
fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Inserts `k: v` when `v` is present.
fn put<T: Into<Value>>(m: &mut Map<String, Value>, k: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(k.into(), v.into());
    }
}

fn dims_json(d: &[Dimension]) -> Value {
    Value::Array(d.iter().map(|d| json!({"name": d.name, "value": d.value})).collect())
}

fn dims_of(v: &Value, k: &str) -> R<Vec<Dimension>> {
    let Some(a) = v.get(k).and_then(Value::as_array) else { return Ok(Vec::new()) };
    a.iter().map(|d| Ok(Dimension { name: s(d, "name")?, value: s(d, "value")? })).collect()
}

fn unit_of(v: &Value, k: &str) -> R<Option<Unit>> {
    os(v, k).map(|u| u.parse::<Unit>().map_err(|e| e.to_string())).transpose()
}

fn query_json(q: &MetricDataQuery) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), q.id.clone().into());
    put(&mut m, "label", q.label.clone());
    m.insert("returnData".into(), q.return_data.into());
    put(&mut m, "period", q.period_s);
    match &q.kind {
        QueryKind::MetricStat { metric, period_s, stat, unit } => {
            m.insert(
                "metricStat".into(),
                json!({
                    "metric": {"namespace": metric.namespace, "metricName": metric.metric_name,
                               "dimensions": dims_json(&metric.dimensions)},
                    "period": period_s,
                    "stat": stat,
                    "unit": unit.map(|u| u.as_str()),
                }),
            );
        }
        QueryKind::Expression(e) => {
            m.insert("expression".into(), e.clone().into());
        }
    }
    Value::Object(m)
}

fn query_of(v: &Value) -> R<MetricDataQuery> {
    let kind = if let Some(ms) = v.get("metricStat") {
        let metric = ms.get("metric").ok_or("metricStat.metric missing")?;
        QueryKind::MetricStat {
            metric: MetricKey::new(s(metric, "namespace")?, s(metric, "metricName")?, dims_of(metric, "dimensions")?),
            period_s: i(ms, "period")?,
            stat: s(ms, "stat")?,
            unit: unit_of(ms, "unit")?,
        }
    } else {
        QueryKind::Expression(s(v, "expression")?)
    };
    Ok(MetricDataQuery {
        id: s(v, "id")?,
        label: os(v, "label"),
        return_data: ob(v, "returnData").unwrap_or(true),
        period_s: oi(v, "period"),
        kind,
    })
}

/// A metric alarm's configuration (tags excluded).
pub(crate) fn metric_input_json(a: &MetricAlarmInput) -> Value {
    let mut m = Map::new();
    m.insert("alarmName".into(), a.name.clone().into());
    put(&mut m, "alarmDescription", a.description.clone());
    put(&mut m, "actionsEnabled", a.actions_enabled);
    m.insert("okActions".into(), a.ok_actions.clone().into());
    m.insert("alarmActions".into(), a.alarm_actions.clone().into());
    m.insert("insufficientDataActions".into(), a.insufficient_data_actions.clone().into());
    put(&mut m, "metricName", a.metric_name.clone());
    put(&mut m, "namespace", a.namespace.clone());
    m.insert("dimensions".into(), dims_json(&a.dimensions));
    put(&mut m, "statistic", a.statistic.clone());
    put(&mut m, "extendedStatistic", a.extended_statistic.clone());
    put(&mut m, "period", a.period);
    put(&mut m, "unit", a.unit.map(|u| u.as_str()));
    put(&mut m, "evaluationPeriods", a.evaluation_periods);
    put(&mut m, "datapointsToAlarm", a.datapoints_to_alarm);
    put(&mut m, "threshold", a.threshold.map(super::evaluate::json_number));
    put(&mut m, "thresholdMetricId", a.threshold_metric_id.clone());
    put(&mut m, "comparisonOperator", a.comparison_operator.clone());
    put(&mut m, "treatMissingData", a.treat_missing_data.clone());
    put(&mut m, "evaluateLowSampleCountPercentile", a.evaluate_low_sample_count_percentile.clone());
    if !a.metrics.is_empty() {
        m.insert("metrics".into(), Value::Array(a.metrics.iter().map(query_json).collect()));
    }
    match &a.evaluation_window {
        None => {}
        Some(EvaluationWindow::Sliding) => {
            m.insert("evaluationWindow".into(), json!({"slidingWindow": {}}));
        }
        Some(EvaluationWindow::WallClock { timezone }) => {
            let mut w = Map::new();
            put(&mut w, "timezone", timezone.clone());
            m.insert("evaluationWindow".into(), json!({"wallClockWindow": w}));
        }
    }
    Value::Object(m)
}

/// The inverse of [`metric_input_json`].
pub(crate) fn metric_input_of(v: &Value) -> R<MetricAlarmInput> {
    Ok(MetricAlarmInput {
        name: s(v, "alarmName")?,
        description: os(v, "alarmDescription"),
        actions_enabled: ob(v, "actionsEnabled"),
        ok_actions: strings(v, "okActions"),
        alarm_actions: strings(v, "alarmActions"),
        insufficient_data_actions: strings(v, "insufficientDataActions"),
        metric_name: os(v, "metricName"),
        namespace: os(v, "namespace"),
        dimensions: dims_of(v, "dimensions")?,
        statistic: os(v, "statistic"),
        extended_statistic: os(v, "extendedStatistic"),
        period: oi(v, "period"),
        unit: unit_of(v, "unit")?,
        evaluation_periods: oi(v, "evaluationPeriods"),
        datapoints_to_alarm: oi(v, "datapointsToAlarm"),
        threshold: of(v, "threshold"),
        threshold_metric_id: os(v, "thresholdMetricId"),
        comparison_operator: os(v, "comparisonOperator"),
        treat_missing_data: os(v, "treatMissingData"),
        evaluate_low_sample_count_percentile: os(v, "evaluateLowSampleCountPercentile"),
        metrics: match v.get("metrics").and_then(Value::as_array) {
            Some(a) => a.iter().map(query_of).collect::<R<Vec<_>>>()?,
            None => Vec::new(),
        },
        evaluation_window: v.get("evaluationWindow").map(|w| match w.get("wallClockWindow") {
            Some(c) => EvaluationWindow::WallClock { timezone: os(c, "timezone") },
            None => EvaluationWindow::Sliding,
        }),
        tags: Vec::new(),
    })
}

/// A composite alarm's configuration (tags excluded).
pub(crate) fn composite_input_json(a: &CompositeAlarmInput) -> Value {
    let mut m = Map::new();
    m.insert("alarmName".into(), a.name.clone().into());
    put(&mut m, "alarmDescription", a.description.clone());
    put(&mut m, "actionsEnabled", a.actions_enabled);
    m.insert("okActions".into(), a.ok_actions.clone().into());
    m.insert("alarmActions".into(), a.alarm_actions.clone().into());
    m.insert("insufficientDataActions".into(), a.insufficient_data_actions.clone().into());
    m.insert("alarmRule".into(), a.alarm_rule.clone().into());
    put(&mut m, "actionsSuppressor", a.actions_suppressor.clone());
    put(&mut m, "actionsSuppressorWaitPeriod", a.actions_suppressor_wait_period);
    put(&mut m, "actionsSuppressorExtensionPeriod", a.actions_suppressor_extension_period);
    Value::Object(m)
}

/// The inverse of [`composite_input_json`].
pub(crate) fn composite_input_of(v: &Value) -> R<CompositeAlarmInput> {
    Ok(CompositeAlarmInput {
        name: s(v, "alarmName")?,
        description: os(v, "alarmDescription"),
        actions_enabled: ob(v, "actionsEnabled"),
        ok_actions: strings(v, "okActions"),
        alarm_actions: strings(v, "alarmActions"),
        insufficient_data_actions: strings(v, "insufficientDataActions"),
        alarm_rule: s(v, "alarmRule")?,
        actions_suppressor: os(v, "actionsSuppressor"),
        actions_suppressor_wait_period: oi(v, "actionsSuppressorWaitPeriod"),
        actions_suppressor_extension_period: oi(v, "actionsSuppressorExtensionPeriod"),
        tags: Vec::new(),
    })
}

/// A state value from its AWS spelling.
pub(crate) fn state_of(s: &str) -> Option<AlarmState> {
    match s {
        "OK" => Some(AlarmState::Ok),
        "ALARM" => Some(AlarmState::Alarm),
        "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
        _ => None,
    }
}

/// An alarm's status.
pub(crate) fn status_json(st: &AlarmStatus) -> Value {
    json!({
        "value": st.value.as_str(),
        "reason": st.reason,
        "reasonData": st.reason_data,
        "updatedMs": st.updated_ms,
        "transitionedMs": st.transitioned_ms,
    })
}

/// The inverse of [`status_json`].
pub(crate) fn status_of(v: &Value) -> R<AlarmStatus> {
    Ok(AlarmStatus {
        value: state_of(&s(v, "value")?).ok_or("unknown state value")?,
        reason: s(v, "reason")?,
        reason_data: os(v, "reasonData"),
        updated_ms: i(v, "updatedMs")?,
        transitioned_ms: i(v, "transitionedMs")?,
    })
}

/// An alarm type from its AWS spelling.
pub(crate) fn alarm_type_of(s: &str) -> Option<AlarmType> {
    match s {
        "MetricAlarm" => Some(AlarmType::MetricAlarm),
        "CompositeAlarm" => Some(AlarmType::CompositeAlarm),
        _ => None,
    }
}

/// A history item type from its AWS spelling.
pub(crate) fn item_type_of(s: &str) -> Option<HistoryItemType> {
    match s {
        "ConfigurationUpdate" => Some(HistoryItemType::ConfigurationUpdate),
        "StateUpdate" => Some(HistoryItemType::StateUpdate),
        "Action" => Some(HistoryItemType::Action),
        _ => None,
    }
}

/// A history record.
pub(crate) fn history_json(seq: u64, tenant: &Tenant, h: &HistoryItem) -> Value {
    json!({
        "op": "history", "seq": seq, "account": tenant.account, "region": tenant.region,
        "alarmName": h.alarm_name, "alarmType": h.alarm_type.as_str(), "timestampMs": h.timestamp_ms,
        "itemType": h.item_type.as_str(), "summary": h.summary, "data": h.data,
    })
}

/// The inverse of [`history_json`].
pub(crate) fn history_of(v: &Value) -> R<(u64, Tenant, HistoryItem)> {
    Ok((
        v.get("seq").and_then(Value::as_u64).ok_or("seq missing")?,
        Tenant::new(s(v, "account")?, s(v, "region")?),
        HistoryItem {
            alarm_name: s(v, "alarmName")?,
            alarm_type: alarm_type_of(&s(v, "alarmType")?).ok_or("unknown alarm type")?,
            timestamp_ms: i(v, "timestampMs")?,
            item_type: item_type_of(&s(v, "itemType")?).ok_or("unknown history item type")?,
            summary: s(v, "summary")?,
            data: s(v, "data")?,
        },
    ))
}

/// An action record (queued, not yet completed).
pub(crate) fn action_json(a: &ActionRequest) -> Value {
    json!({
        "op": "action", "id": a.id, "account": a.tenant.account, "region": a.tenant.region,
        "alarmName": a.alarm_name, "alarmArn": a.alarm_arn, "actionArn": a.action_arn,
        "oldState": a.old_state.as_str(), "newState": a.new_state.as_str(),
        "stateChangeMs": a.state_change_ms, "subject": a.subject, "message": a.message,
    })
}

/// The inverse of [`action_json`].
pub(crate) fn action_of(v: &Value) -> R<ActionRequest> {
    Ok(ActionRequest {
        id: v.get("id").and_then(Value::as_u64).ok_or("id missing")?,
        tenant: Tenant::new(s(v, "account")?, s(v, "region")?),
        alarm_name: s(v, "alarmName")?,
        alarm_arn: s(v, "alarmArn")?,
        action_arn: s(v, "actionArn")?,
        old_state: state_of(&s(v, "oldState")?).ok_or("unknown state")?,
        new_state: state_of(&s(v, "newState")?).ok_or("unknown state")?,
        state_change_ms: i(v, "stateChangeMs")?,
        subject: s(v, "subject")?,
        message: s(v, "message")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_round_trip() {
        let m = MetricAlarmInput {
            name: "a".into(),
            description: Some("d".into()),
            actions_enabled: Some(false),
            alarm_actions: vec!["arn:aws:sns:us-east-1:1:t".into()],
            metrics: vec![
                MetricDataQuery {
                    id: "m1".into(),
                    label: None,
                    return_data: false,
                    period_s: None,
                    kind: QueryKind::MetricStat {
                        metric: MetricKey::new("N", "M", vec![Dimension { name: "k".into(), value: "v".into() }]),
                        period_s: 60,
                        stat: "p99".into(),
                        unit: Some(Unit::Seconds),
                    },
                },
                MetricDataQuery {
                    id: "e1".into(),
                    label: Some("l".into()),
                    return_data: true,
                    period_s: Some(60),
                    kind: QueryKind::Expression("m1 * 2".into()),
                },
            ],
            evaluation_periods: Some(3),
            evaluation_window: Some(EvaluationWindow::WallClock { timezone: Some("+05:30".into()) }),
            threshold: Some(1.5),
            comparison_operator: Some("GreaterThanThreshold".into()),
            ..Default::default()
        };
        assert_eq!(metric_input_of(&metric_input_json(&m)).unwrap(), m);
        let c = CompositeAlarmInput {
            name: "c".into(),
            alarm_rule: "ALARM(a)".into(),
            actions_suppressor: Some("s".into()),
            actions_suppressor_wait_period: Some(60),
            actions_suppressor_extension_period: Some(120),
            ..Default::default()
        };
        assert_eq!(composite_input_of(&composite_input_json(&c)).unwrap(), c);
    }
}
