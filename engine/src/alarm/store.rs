//! The alarm store: every tenant's metric and composite alarms, their state, their history and
//! the outbox of actions to run, kept in memory and made durable through the [`Journal`]
//! before any change is applied, acknowledged or acted on.
//!
//! Every change goes through a [`Txn`]: it collects changed alarms, history items and actions
//! over a read view of the current state, then [`commit`] writes them to the journal (one
//! fsync) and only then applies them and hands the actions out. A state change therefore runs
//! its actions once: the change is durable before its actions leave, and a restart finds the
//! alarm already in its new state (no second transition) and re-sends only the actions never
//! reported complete.
//!
//! Evaluation ([`AlarmStore::run_due`]) snapshots the due metric alarms, runs their queries
//! without holding the lock (the API stays responsive), then applies the state changes whose
//! alarm is unchanged meanwhile, propagates them to composite alarms (stopping on a cycle in
//! the evaluation path) and to composites they suppress, and ends suppression periods.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::def::{self, AlarmSettingsInput};
use super::evaluate::{self, MetricDef, data_time};
use super::journal::Journal;
use super::model::*;
use super::records;
use super::rule::Rule;
use crate::durable::FileSystem;
use crate::error::{Error, InvalidCode, Result};
use crate::metrics::extended::ExtendedStatistic;
use crate::metrics::gmd::{GetMetricData, GetMetricDataResult, QueryKind};
use crate::metrics::model::{MetricKey, Tenant};
use crate::metrics::validate;

/// The query path alarms evaluate through (the engine's GetMetricData).
pub(crate) type Queries<'a> = dyn Fn(&Tenant, &GetMetricData) -> Result<GetMetricDataResult> + 'a;

/// Actions handed out and not yet taken by the deliverer; beyond it they wait in the outbox.
const ACTION_QUEUE: usize = 10_000;
/// History is kept this long (CloudWatch keeps two weeks).
const HISTORY_RETENTION_MS: i64 = 14 * 86_400_000;
/// At most this many history items are kept in all (the oldest go first).
const MAX_HISTORY: usize = 200_000;
/// Most tags on an alarm.
const MAX_TAGS: usize = 50;
/// `HistorySummary` limit.
const MAX_SUMMARY: usize = 255;
/// `HistoryData` limit.
const MAX_HISTORY_DATA: usize = 4095;
/// `StateReasonData` limit.
const MAX_REASON_DATA: usize = 4000;
/// Rewrite the journal once it is this big and four times what it held after the last rewrite.
const COMPACT_BYTES: u64 = 8 << 20;

/// The evaluation time an instant belongs to: the 10-second boundary at or before it.
pub(crate) fn tick_of(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(10_000)
}

type Key = (String, String, String); // account, region, name

fn key(tenant: &Tenant, name: &str) -> Key {
    (tenant.account.clone(), tenant.region.clone(), name.to_string())
}

fn tenant_of(k: &Key) -> Tenant {
    Tenant::new(k.0.clone(), k.1.clone())
}

#[derive(Debug)]
struct CompositeDef {
    input: CompositeAlarmInput,
    rule: Rule,
}

#[derive(Debug, Clone)]
enum Def {
    Metric(Arc<MetricDef>),
    Composite(Arc<CompositeDef>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Wait,
    Extension,
}

/// A composite alarm's action suppression: `pending` while the actions of its current state
/// have not run (they were suppressed), with the period running if any.
#[derive(Debug, Clone, Default, PartialEq)]
struct Suppression {
    pending: Option<AlarmState>, // the state left, while actions are pending
    timer: Option<(Timer, i64)>,
}

#[derive(Debug, Clone)]
struct Alarm {
    def: Def,
    actions_enabled: bool,
    config_updated_ms: i64,
    state: AlarmStatus,
    tags: BTreeMap<String, String>,
    suppression: Suppression,
    /// Bumped by every configuration change (in memory only): an evaluation result applies
    /// only to the configuration it was computed for.
    generation: u64,
}

impl Alarm {
    fn kind(&self) -> AlarmType {
        match self.def {
            Def::Metric(_) => AlarmType::MetricAlarm,
            Def::Composite(_) => AlarmType::CompositeAlarm,
        }
    }

    fn actions(&self, state: AlarmState) -> &[String] {
        let (ok, alarm, insufficient) = match &self.def {
            Def::Metric(d) => (&d.input.ok_actions, &d.input.alarm_actions, &d.input.insufficient_data_actions),
            Def::Composite(d) => (&d.input.ok_actions, &d.input.alarm_actions, &d.input.insufficient_data_actions),
        };
        match state {
            AlarmState::Ok => ok,
            AlarmState::Alarm => alarm,
            AlarmState::InsufficientData => insufficient,
        }
    }

    fn all_actions(&self) -> impl Iterator<Item = &String> {
        [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData].into_iter().flat_map(|s| self.actions(s))
    }

    fn config_json(&self) -> Value {
        match &self.def {
            Def::Metric(d) => records::metric_input_json(&d.input),
            Def::Composite(d) => records::composite_input_json(&d.input),
        }
    }

    fn record(&self, k: &Key) -> Value {
        json!({
            "op": "alarm", "account": k.0, "region": k.1, "name": k.2,
            "type": self.kind().as_str(),
            "config": self.config_json(),
            "actionsEnabled": self.actions_enabled,
            "configUpdatedMs": self.config_updated_ms,
            "state": records::status_json(&self.state),
            "tags": self.tags,
            "suppression": {
                "pendingFrom": self.suppression.pending.map(|s| s.as_str()),
                "timer": self.suppression.timer.map(|(t, until)| json!({
                    "kind": if t == Timer::Wait { "WaitPeriod" } else { "ExtensionPeriod" },
                    "untilMs": until,
                })),
            },
        })
    }
}

/// A change being prepared: a read view of the store plus what changes.
struct Txn {
    now: i64,
    changed: BTreeMap<Key, Option<Alarm>>,
    history: Vec<(Tenant, HistoryItem)>,
    actions: Vec<ActionRequest>,
    done: Vec<u64>,
    transitions: usize,
}

struct State {
    alarms: BTreeMap<Key, Alarm>,
    history: VecDeque<(u64, Tenant, HistoryItem)>,
    next_seq: u64,
    /// Queued actions not yet reported complete, and whether each was handed out.
    outbox: BTreeMap<u64, (ActionRequest, bool)>,
    next_action_id: u64,
    next_generation: u64,
    journal: Journal,
    journal_live: u64,
    last_tick: i64,
}

/// Every tenant's alarms (see the module docs).
pub(crate) struct AlarmStore {
    state: Mutex<State>,
    tx: Sender<ActionRequest>,
    rx: Receiver<ActionRequest>,
}

impl std::fmt::Debug for AlarmStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlarmStore").finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(InvalidCode::InvalidParameterValue, message)
}

fn validation(message: impl Into<String>) -> Error {
    Error::invalid(InvalidCode::ValidationError, message)
}

fn not_found(name: &str) -> Error {
    Error::NotFound { resource: "alarm", message: format!("Alarm {name} does not exist.") }
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { text.chars().take(max).collect() }
}

/// The validated evaluation settings of a metric alarm input.
fn metric_def(input: &MetricAlarmInput) -> Result<MetricDef> {
    let mut settings = def::validate(&AlarmSettingsInput {
        name: Some(input.name.clone()),
        description: input.description.clone(),
        has_metric: input.metric_name.is_some() || input.namespace.is_some(),
        statistic: input.statistic.clone(),
        extended_statistic: input.extended_statistic.clone(),
        period: input.period,
        metrics: input
            .metrics
            .iter()
            .map(|q| {
                let period = match &q.kind {
                    QueryKind::MetricStat { period_s, .. } => Some(*period_s),
                    QueryKind::Expression(_) => q.period_s,
                };
                (q.id.clone(), Some(q.return_data), period)
            })
            .collect(),
        evaluation_periods: input.evaluation_periods,
        datapoints_to_alarm: input.datapoints_to_alarm,
        threshold: input.threshold,
        threshold_metric_id: input.threshold_metric_id.clone(),
        comparison_operator: input.comparison_operator.clone(),
        treat_missing_data: input.treat_missing_data.clone(),
        evaluate_low_sample_count_percentile: input.evaluate_low_sample_count_percentile.clone(),
        actions: [input.ok_actions.clone(), input.alarm_actions.clone(), input.insufficient_data_actions.clone()],
    })?;
    if input.metrics.is_empty() {
        let (Some(ns), Some(name)) = (&input.namespace, &input.metric_name) else {
            return Err(Error::invalid(
                InvalidCode::MissingParameter,
                "The parameters MetricName and Namespace are both required for a single-metric alarm.",
            ));
        };
        validate::namespace_for_read("Namespace", ns)?;
        validate::identity("", name, &input.dimensions)?;
        if let Some(stat) = &input.statistic
            && !["SampleCount", "Average", "Sum", "Minimum", "Maximum"].contains(&stat.as_str())
        {
            return Err(invalid(format!(
                "The value {stat} for parameter Statistic is invalid: use SampleCount, Average, Sum, Minimum or Maximum."
            )));
        }
        if let Some(ext) = &input.extended_statistic {
            ExtendedStatistic::parse(ext).map_err(invalid)?;
        }
        // Metrics in AWS/DynamoDB always treat missing data as `ignore` (CloudWatch's rule).
        if ns == "AWS/DynamoDB" {
            settings.eval.treat_missing = super::eval::TreatMissingData::Ignore;
        }
    } else if input.unit.is_some() || !input.dimensions.is_empty() {
        return Err(Error::invalid(
            InvalidCode::InvalidParameterCombination,
            "Dimensions and Unit belong to a single-metric alarm; with Metrics they go in each MetricStat.",
        ));
    }
    if let Some(super::model::EvaluationWindow::WallClock { timezone }) = &input.evaluation_window {
        evaluate::timezone_offset_ms(timezone.as_deref()).map_err(invalid)?;
    }
    if let Some(id) = &settings.threshold_metric_id
        && !input.metrics.iter().any(|q| &q.id == id)
    {
        return Err(invalid(format!(
            "The value {id} for parameter ThresholdMetricId is invalid: no query in Metrics has that Id."
        )));
    }
    Ok(MetricDef::new(input.clone(), settings))
}

fn composite_def(input: &CompositeAlarmInput) -> Result<CompositeDef> {
    def::validate_common(
        &input.name,
        input.description.as_deref(),
        [&input.ok_actions, &input.alarm_actions, &input.insufficient_data_actions],
    )?;
    let rule = Rule::parse(&input.alarm_rule)
        .map_err(|e| validation(format!("Error in AlarmRule [{} at char {}]", e.message, e.position)))?;
    match (&input.actions_suppressor, input.actions_suppressor_wait_period, input.actions_suppressor_extension_period) {
        (None, None, None) => {}
        (Some(_), Some(w), Some(e)) if w >= 0 && e >= 0 => {}
        (Some(_), Some(_), Some(_)) => {
            return Err(invalid(
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod must not be negative.",
            ));
        }
        (Some(_), _, _) => {
            return Err(Error::invalid(
                InvalidCode::MissingParameter,
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required when ActionsSuppressor is set.",
            ));
        }
        (None, _, _) => {
            return Err(Error::invalid(
                InvalidCode::InvalidParameterCombination,
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod require ActionsSuppressor.",
            ));
        }
    }
    Ok(CompositeDef { input: input.clone(), rule })
}

/// The alarm name a rule reference or suppressor (a name or an ARN) means in `tenant`; `None`
/// for an ARN of another account or region.
fn referenced_name<'a>(tenant: &Tenant, r: &'a str) -> Option<&'a str> {
    match r.strip_prefix("arn:aws:cloudwatch:") {
        None => Some(r),
        Some(rest) => {
            let mut parts = rest.splitn(4, ':');
            let (region, account, kind, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            (region == tenant.region && account == tenant.account && kind == "alarm").then_some(name)
        }
    }
}

/// The engine's `HistoryData` for a configuration change.
fn config_history(kind: &str, member: &str, config: Value, original: Option<Value>) -> String {
    let mut data = json!({"version": "1.0", "type": kind, member: config});
    if let Some(o) = original {
        data["originalAlarm"] = o;
    }
    let text = data.to_string();
    if text.chars().count() <= MAX_HISTORY_DATA { text } else { json!({"version": "1.0", "type": kind}).to_string() }
}

impl State {
    fn get<'a>(&'a self, tx: &'a Txn, k: &Key) -> Option<&'a Alarm> {
        match tx.changed.get(k) {
            Some(a) => a.as_ref(),
            None => self.alarms.get(k),
        }
    }

    /// The names of `tenant`'s alarms in the merged view, by name.
    fn names(&self, tx: &Txn, tenant: &Tenant) -> Vec<String> {
        let lo = (tenant.account.clone(), tenant.region.clone(), String::new());
        let mut names: BTreeSet<String> = self
            .alarms
            .range(lo.clone()..)
            .take_while(|(k, _)| k.0 == tenant.account && k.1 == tenant.region)
            .map(|(k, _)| k.2.clone())
            .collect();
        for (k, a) in tx.changed.range(lo..).take_while(|(k, _)| k.0 == tenant.account && k.1 == tenant.region) {
            if a.is_some() {
                names.insert(k.2.clone());
            } else {
                names.remove(&k.2);
            }
        }
        names.into_iter().collect()
    }

    fn state_in(&self, tx: &Txn, tenant: &Tenant, reference: &str) -> Option<AlarmState> {
        let name = referenced_name(tenant, reference)?;
        self.get(tx, &key(tenant, name)).map(|a| a.state.value)
    }

    fn notification(&self, tx: &Txn, k: &Key, a: &Alarm, old: AlarmState) -> (String, String) {
        let tenant = tenant_of(k);
        let arn = alarm_arn(&tenant, &k.2);
        let mut m = json!({
            "AlarmName": k.2,
            "AlarmDescription": match &a.def {
                Def::Metric(d) => d.input.description.clone(),
                Def::Composite(d) => d.input.description.clone(),
            },
            "AWSAccountId": k.0,
            "AlarmConfigurationUpdatedTimestamp": data_time(a.config_updated_ms),
            "NewStateValue": a.state.value.as_str(),
            "NewStateReason": a.state.reason,
            "StateChangeTime": data_time(a.state.transitioned_ms),
            "Region": k.1,
            "AlarmArn": arn,
            "OldStateValue": old.as_str(),
            "OKActions": a.actions(AlarmState::Ok),
            "AlarmActions": a.actions(AlarmState::Alarm),
            "InsufficientDataActions": a.actions(AlarmState::InsufficientData),
        });
        match &a.def {
            Def::Metric(d) => {
                let i = &d.input;
                let mut t = json!({
                    "Period": d.settings.period_s,
                    "EvaluationPeriods": d.settings.eval.evaluation_periods,
                    "DatapointsToAlarm": d.settings.eval.datapoints_to_alarm,
                    "ComparisonOperator": i.comparison_operator,
                    "Threshold": i.threshold.map(evaluate::json_number),
                    "TreatMissingData": i.treat_missing_data.clone().unwrap_or_default(),
                    "EvaluateLowSampleCountPercentile": i.evaluate_low_sample_count_percentile.clone().unwrap_or_default(),
                });
                if i.metrics.is_empty() {
                    t["MetricName"] = json!(i.metric_name);
                    t["Namespace"] = json!(i.namespace);
                    t["StatisticType"] = json!(if i.statistic.is_some() { "Statistic" } else { "ExtendedStatistic" });
                    t["Statistic"] =
                        json!(i.statistic.as_deref().map(str::to_uppercase).or(i.extended_statistic.clone()));
                    t["Unit"] = json!(i.unit.map(|u| u.as_str()));
                    t["Dimensions"] =
                        Value::Array(i.dimensions.iter().map(|d| json!({"value": d.value, "name": d.name})).collect());
                } else {
                    let full = records::metric_input_json(i);
                    t["Metrics"] = full["metrics"].clone();
                    t["ThresholdMetricId"] = json!(i.threshold_metric_id);
                }
                m["Trigger"] = t;
            }
            Def::Composite(d) => {
                m["AlarmRule"] = json!(d.input.alarm_rule);
                let children: Vec<Value> = d
                    .rule
                    .references()
                    .into_iter()
                    .filter_map(|r| {
                        let name = referenced_name(&tenant, r)?;
                        let c = self.get(tx, &key(&tenant, name))?;
                        Some(json!({"Arn": alarm_arn(&tenant, name),
                            "State": {"Value": c.state.value.as_str(), "Timestamp": data_time(c.state.updated_ms)}}))
                    })
                    .collect();
                m["TriggeringChildren"] = Value::Array(children);
            }
        }
        let subject = cut(&format!("{}: \"{}\" in {}", a.state.value.as_str(), k.2, k.1), 100);
        (subject, m.to_string())
    }

    /// Queues the actions of `a`'s current state (when enabled).
    fn queue_actions(&self, tx: &mut Txn, k: &Key, a: &Alarm, old: AlarmState) {
        if !a.actions_enabled || a.actions(a.state.value).is_empty() {
            return;
        }
        let (subject, message) = self.notification(tx, k, a, old);
        let tenant = tenant_of(k);
        for arn in a.actions(a.state.value) {
            tx.actions.push(ActionRequest {
                id: 0, // assigned at commit
                tenant: tenant.clone(),
                alarm_name: k.2.clone(),
                alarm_arn: alarm_arn(&tenant, &k.2),
                action_arn: arn.clone(),
                old_state: old,
                new_state: a.state.value,
                state_change_ms: a.state.transitioned_ms,
                subject: subject.clone(),
                message: message.clone(),
            });
        }
    }

    /// Moves alarm `k` to `new` with a reason, recording history and running (or, for a
    /// suppressed composite, holding) its actions.
    fn transition(&self, tx: &mut Txn, k: &Key, new: AlarmState, reason: String, reason_data: Option<String>) {
        let Some(mut a) = self.get(tx, k).cloned() else { return };
        let old = a.state.clone();
        let now = tx.now;
        a.state = AlarmStatus {
            value: new,
            reason: cut(&reason, super::reason::MAX_REASON_CHARS),
            reason_data,
            updated_ms: now,
            transitioned_ms: now,
        };
        let state_json = |s: &AlarmStatus, with_data: bool| {
            let mut o = json!({"stateValue": s.value.as_str(), "stateReason": s.reason});
            if with_data && let Some(d) = s.reason_data.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok()) {
                o["stateReasonData"] = d;
            }
            o
        };
        let mut data =
            json!({"version": "1.0", "oldState": state_json(&old, true), "newState": state_json(&a.state, true)})
                .to_string();
        if data.chars().count() > MAX_HISTORY_DATA {
            data =
                json!({"version": "1.0", "oldState": state_json(&old, false), "newState": state_json(&a.state, false)})
                    .to_string();
        }
        tx.history.push((
            tenant_of(k),
            HistoryItem {
                alarm_name: k.2.clone(),
                alarm_type: a.kind(),
                timestamp_ms: now,
                item_type: HistoryItemType::StateUpdate,
                summary: cut(&format!("Alarm updated from {} to {}", old.value.as_str(), new.as_str()), MAX_SUMMARY),
                data,
            },
        ));
        tx.transitions += 1;
        match &a.def {
            Def::Metric(_) => self.queue_actions(tx, k, &a, old.value),
            Def::Composite(d) => {
                a.suppression = Suppression::default();
                let tenant = tenant_of(k);
                match &d.input.actions_suppressor {
                    None => self.queue_actions(tx, k, &a, old.value),
                    Some(s) => {
                        a.suppression.pending = Some(old.value);
                        if self.state_in(tx, &tenant, s) == Some(AlarmState::Alarm) {
                            // Suppressed while the suppressor is in ALARM.
                        } else if new == AlarmState::Alarm && d.input.actions_suppressor_wait_period.unwrap_or(0) > 0 {
                            let wait = d.input.actions_suppressor_wait_period.unwrap_or(0);
                            a.suppression.timer = Some((Timer::Wait, now + wait * 1000));
                        } else {
                            a.suppression.pending = None;
                            self.queue_actions(tx, k, &a, old.value);
                        }
                    }
                }
            }
        }
        tx.changed.insert(k.clone(), Some(a));
    }

    /// Composite alarms of `tenant` (merged view).
    fn composites(&self, tx: &Txn, tenant: &Tenant) -> Vec<(Key, Arc<CompositeDef>)> {
        self.names(tx, tenant)
            .into_iter()
            .filter_map(|n| {
                let k = key(tenant, &n);
                match &self.get(tx, &k)?.def {
                    Def::Composite(d) => Some((k, Arc::clone(d))),
                    Def::Metric(_) => None,
                }
            })
            .collect()
    }

    /// Evaluates composite `k`'s rule: the state and reason it should have now.
    fn composite_outcome(
        &self,
        tx: &Txn,
        k: &Key,
        d: &CompositeDef,
        trigger: Option<&str>,
    ) -> (AlarmState, String, String) {
        let tenant = tenant_of(k);
        let truth = d.rule.eval(&|r| self.state_in(tx, &tenant, r));
        let state = if truth { AlarmState::Alarm } else { AlarmState::Ok };
        let mut triggering = Vec::new();
        collect_true_atoms(&d.rule, &mut |s, r| {
            if self.state_in(tx, &tenant, r) == Some(s)
                && let Some(name) = referenced_name(&tenant, r)
                && let Some(c) = self.get(tx, &key(&tenant, name))
            {
                triggering.push(json!({"arn": alarm_arn(&tenant, name),
                    "state": {"value": s.as_str(), "timestamp": data_time(c.state.transitioned_ms)}}));
            }
        });
        triggering.dedup();
        let when = chrono::DateTime::from_timestamp_millis(tx.now)
            .map(|t| t.format("%A %d %B, %Y %H:%M:%S UTC").to_string())
            .unwrap_or_default();
        let reason = match trigger.and_then(|t| self.get(tx, &key(&tenant, t)).map(|c| (t, c.state.value))) {
            Some((t, s)) => format!("{} transitioned to {} at {when}", alarm_arn(&tenant, t), s.as_str()),
            None => format!("The alarm rule evaluated to {} at {when}", if truth { "TRUE" } else { "FALSE" }),
        };
        let data = json!({"triggeringAlarms": triggering}).to_string();
        (state, reason, cut(&data, MAX_REASON_DATA))
    }

    /// Re-evaluates the composites that reference the alarms in `changed` (and, transitively,
    /// those that reference composites that change), and applies suppressor changes. A
    /// composite met again on its own evaluation path is a cycle: evaluation stops there.
    fn propagate(&self, tx: &mut Txn, tenant: &Tenant, changed: Vec<(String, AlarmState)>) {
        let composites = self.composites(tx, tenant);
        if composites.is_empty() {
            return;
        }
        let mut queue: Vec<(String, AlarmState, Vec<String>)> =
            changed.into_iter().map(|(n, old)| (n, old, Vec::new())).collect();
        let mut steps = 0usize;
        while let Some((child, old, path)) = queue.pop() {
            steps += 1;
            if steps > 100_000 {
                tracing::error!(alarm = %child, "composite alarm propagation stopped after 100,000 steps");
                break;
            }
            let Some(child_state) = self.get(tx, &key(tenant, &child)).map(|a| a.state.value) else { continue };
            for (k, d) in &composites {
                // Suppression: the suppressor entered or left ALARM.
                if d.input.actions_suppressor.as_deref().and_then(|s| referenced_name(tenant, s))
                    == Some(child.as_str())
                    && let Some(mut a) = self.get(tx, k).cloned()
                {
                    if child_state == AlarmState::Alarm {
                        a.suppression.timer = None;
                    } else if old == AlarmState::Alarm && a.suppression.pending.is_some() {
                        let ext = d.input.actions_suppressor_extension_period.unwrap_or(0);
                        a.suppression.timer = Some((Timer::Extension, tx.now + ext * 1000));
                    }
                    tx.changed.insert(k.clone(), Some(a));
                }
                if !d.rule.references().iter().any(|r| referenced_name(tenant, r) == Some(child.as_str())) {
                    continue;
                }
                if path.contains(&k.2) || k.2 == child {
                    tracing::warn!(alarm = %k.2, "cycle in the composite alarm evaluation path; evaluation stops here");
                    continue;
                }
                let Some(current) = self.get(tx, k).map(|a| a.state.value) else { continue };
                let (state, reason, data) = self.composite_outcome(tx, k, d, Some(&child));
                if state != current {
                    self.transition(tx, k, state, reason, Some(data));
                    let mut p = path.clone();
                    p.push(child.clone());
                    queue.push((k.2.clone(), current, p));
                }
            }
        }
    }
}

fn collect_true_atoms(rule: &Rule, f: &mut dyn FnMut(AlarmState, &str)) {
    match rule {
        Rule::Const(_) => {}
        Rule::State(s, r) => f(*s, r),
        Rule::Not(r) => collect_true_atoms(r, f),
        Rule::And(rs) | Rule::Or(rs) => rs.iter().for_each(|r| collect_true_atoms(r, f)),
    }
}

impl Txn {
    fn new(now: i64) -> Txn {
        Txn {
            now,
            changed: BTreeMap::new(),
            history: Vec::new(),
            actions: Vec::new(),
            done: Vec::new(),
            transitions: 0,
        }
    }
}

impl AlarmStore {
    /// Opens the store in `dir`, replaying its journal.
    pub(crate) fn open(fs: Arc<dyn FileSystem>, dir: &Path, now_ms: i64) -> Result<AlarmStore> {
        let (journal, recs) = Journal::open(fs, dir)?;
        let path = dir.join("journal");
        let bad = |m: String| Error::corruption(&path, 0, format!("alarm journal: {m}"));
        let mut st = State {
            alarms: BTreeMap::new(),
            history: VecDeque::new(),
            next_seq: 0,
            outbox: BTreeMap::new(),
            next_action_id: 0,
            next_generation: 0,
            journal_live: journal.len(),
            journal,
            last_tick: i64::MIN,
        };
        for r in &recs {
            match r.get("op").and_then(Value::as_str) {
                Some("alarm") => {
                    let k: Key = (
                        r["account"].as_str().unwrap_or_default().into(),
                        r["region"].as_str().unwrap_or_default().into(),
                        r["name"].as_str().unwrap_or_default().into(),
                    );
                    let def = match r["type"].as_str() {
                        Some("MetricAlarm") => {
                            let input = records::metric_input_of(&r["config"]).map_err(bad)?;
                            Def::Metric(Arc::new(metric_def(&input).map_err(|e| bad(e.to_string()))?))
                        }
                        Some("CompositeAlarm") => {
                            let input = records::composite_input_of(&r["config"]).map_err(bad)?;
                            Def::Composite(Arc::new(composite_def(&input).map_err(|e| bad(e.to_string()))?))
                        }
                        other => return Err(bad(format!("unknown alarm type {other:?}"))),
                    };
                    let sup = &r["suppression"];
                    let timer = sup.get("timer").filter(|t| !t.is_null()).map(|t| {
                        let kind = if t["kind"] == "WaitPeriod" { Timer::Wait } else { Timer::Extension };
                        (kind, t["untilMs"].as_i64().unwrap_or(0))
                    });
                    st.next_generation += 1;
                    let alarm = Alarm {
                        def,
                        actions_enabled: r["actionsEnabled"].as_bool().unwrap_or(true),
                        config_updated_ms: r["configUpdatedMs"].as_i64().unwrap_or(0),
                        state: records::status_of(&r["state"]).map_err(bad)?,
                        tags: r["tags"]
                            .as_object()
                            .map(|o| {
                                o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().into())).collect()
                            })
                            .unwrap_or_default(),
                        suppression: Suppression {
                            pending: sup.get("pendingFrom").and_then(Value::as_str).and_then(records::state_of),
                            timer,
                        },
                        generation: st.next_generation,
                    };
                    st.alarms.insert(k, alarm);
                }
                Some("delete") => {
                    let k: Key = (
                        r["account"].as_str().unwrap_or_default().into(),
                        r["region"].as_str().unwrap_or_default().into(),
                        r["name"].as_str().unwrap_or_default().into(),
                    );
                    st.alarms.remove(&k);
                }
                Some("history") => {
                    let (seq, tenant, item) = records::history_of(r).map_err(bad)?;
                    st.next_seq = st.next_seq.max(seq);
                    st.history.push_back((seq, tenant, item));
                }
                Some("action") => {
                    let a = records::action_of(r).map_err(bad)?;
                    st.next_action_id = st.next_action_id.max(a.id);
                    st.outbox.insert(a.id, (a, false));
                }
                Some("done") => {
                    let id = r["id"].as_u64().unwrap_or(0);
                    st.next_action_id = st.next_action_id.max(id);
                    st.outbox.remove(&id);
                }
                Some("meta") => {
                    st.next_seq = st.next_seq.max(r["nextSeq"].as_u64().unwrap_or(0));
                    st.next_action_id = st.next_action_id.max(r["nextActionId"].as_u64().unwrap_or(0));
                }
                other => return Err(bad(format!("unknown record {other:?}"))),
            }
        }
        trim_history(&mut st, now_ms);
        let (tx, rx) = crossbeam_channel::bounded(ACTION_QUEUE);
        let store = AlarmStore { state: Mutex::new(st), tx, rx };
        {
            let mut st = store.state.lock();
            if !st.alarms.is_empty() || !st.outbox.is_empty() {
                tracing::info!(alarms = st.alarms.len(), pending_actions = st.outbox.len(), "alarms recovered");
            }
            store.send_pending(&mut st);
        }
        Ok(store)
    }

    /// Writes `tx`, applies it and hands out its actions.
    fn commit(&self, st: &mut State, mut tx: Txn) -> Result<usize> {
        let mut recs = Vec::new();
        for (k, a) in &tx.changed {
            recs.push(match a {
                Some(a) => a.record(k),
                None => json!({"op": "delete", "account": k.0, "region": k.1, "name": k.2}),
            });
        }
        let mut seq = st.next_seq;
        let history: Vec<(u64, Tenant, HistoryItem)> = tx
            .history
            .drain(..)
            .map(|(t, h)| {
                seq += 1;
                (seq, t, h)
            })
            .collect();
        for (s, t, h) in &history {
            recs.push(records::history_json(*s, t, h));
        }
        let mut next_id = st.next_action_id;
        for a in &mut tx.actions {
            next_id += 1;
            a.id = next_id;
            recs.push(records::action_json(a));
        }
        for id in &tx.done {
            recs.push(json!({"op": "done", "id": id}));
        }
        st.journal.append(&recs)?;

        st.next_seq = seq;
        st.next_action_id = next_id;
        for (k, a) in tx.changed {
            match a {
                Some(mut a) => {
                    if let Some(old) = st.alarms.get(&k)
                        && a.generation == 0
                    {
                        a.generation = old.generation;
                    }
                    st.alarms.insert(k, a);
                }
                None => {
                    st.alarms.remove(&k);
                }
            }
        }
        st.history.extend(history);
        for a in tx.actions {
            st.outbox.insert(a.id, (a, false));
        }
        for id in &tx.done {
            st.outbox.remove(id);
        }
        self.send_pending(st);
        trim_history(st, tx.now);
        if st.journal.len() > COMPACT_BYTES && st.journal.len() > 4 * st.journal_live {
            self.rewrite(st)?;
        }
        Ok(tx.transitions)
    }

    /// Hands out queued actions not yet handed out, as far as the queue has room.
    fn send_pending(&self, st: &mut State) {
        for (a, sent) in st.outbox.values_mut().filter(|(_, sent)| !*sent) {
            match self.tx.try_send(a.clone()) {
                Ok(()) => *sent = true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => break,
            }
        }
    }

    /// Rewrites the journal with only what is live.
    fn rewrite(&self, st: &mut State) -> Result<()> {
        let mut recs = vec![json!({"op": "meta", "nextSeq": st.next_seq, "nextActionId": st.next_action_id})];
        recs.extend(st.alarms.iter().map(|(k, a)| a.record(k)));
        recs.extend(st.history.iter().map(|(s, t, h)| records::history_json(*s, t, h)));
        recs.extend(st.outbox.values().map(|(a, _)| records::action_json(a)));
        st.journal.rewrite(&recs)?;
        st.journal_live = st.journal.len();
        Ok(())
    }

    fn next_generation(st: &mut State) -> u64 {
        st.next_generation += 1;
        st.next_generation
    }

    /// PutMetricAlarm.
    pub(crate) fn put_metric_alarm(
        &self,
        tenant: &Tenant,
        input: &MetricAlarmInput,
        q: &Queries<'_>,
        now: i64,
    ) -> Result<()> {
        let def = metric_def(input)?;
        if input.tags.len() > MAX_TAGS {
            return Err(invalid(format!("The collection Tags must not have more than {MAX_TAGS} members.")));
        }
        // Metrics[] are checked the way GetMetricData checks them (syntax, ids, functions),
        // by running them once over an empty window; errors name the alarm's member.
        let plan = def.plan();
        let probe_end = tick_of(now);
        if !input.metrics.is_empty() {
            let req = evaluate::request(&plan, probe_end - def.settings.period_s * 1000, probe_end);
            if let Err(e) = q(tenant, &req) {
                return Err(match e {
                    Error::InvalidArgument { code, message } => {
                        Error::invalid(code, message.replace("MetricDataQueries", "Metrics"))
                    }
                    other => other,
                });
            }
        }
        self.put(tenant, &input.name, Def::Metric(Arc::new(def)), &input.tags, now)
    }

    /// PutCompositeAlarm.
    pub(crate) fn put_composite_alarm(&self, tenant: &Tenant, input: &CompositeAlarmInput, now: i64) -> Result<()> {
        let def = composite_def(input)?;
        if input.tags.len() > MAX_TAGS {
            return Err(invalid(format!("The collection Tags must not have more than {MAX_TAGS} members.")));
        }
        {
            let st = self.state.lock();
            let tx = Txn::new(0);
            let missing: Vec<&str> = def
                .rule
                .references()
                .into_iter()
                .filter(|r| st.state_in(&tx, tenant, r).is_none() && referenced_name(tenant, r) != Some(&input.name))
                .collect();
            if !missing.is_empty() {
                return Err(validation(format!(
                    "Could not save the composite alarm as alarms [{}] in the alarm rule do not exist",
                    missing.join(", ")
                )));
            }
            if let Some(s) = &input.actions_suppressor
                && st.state_in(&tx, tenant, s).is_none()
            {
                return Err(validation(format!(
                    "Could not save the composite alarm as the actions suppressor alarm [{s}] does not exist"
                )));
            }
        }
        self.put(tenant, &input.name, Def::Composite(Arc::new(def)), &input.tags, now)
    }

    fn put(&self, tenant: &Tenant, name: &str, def: Def, tags: &[(String, String)], now: i64) -> Result<()> {
        let mut st = self.state.lock();
        let mut tx = Txn::new(now);
        let k = key(tenant, name);
        let generation = Self::next_generation(&mut st);
        let previous = st.alarms.get(&k).cloned();
        let actions_enabled = match &def {
            Def::Metric(d) => d.input.actions_enabled.unwrap_or(true),
            Def::Composite(d) => d.input.actions_enabled.unwrap_or(true),
        };
        if let Some(prev) = &previous
            && prev.kind() != kind_of(&def)
        {
            return Err(validation(format!(
                "The alarm {name} already exists as a {}; delete it before putting a {} of that name.",
                prev.kind().as_str(),
                kind_of(&def).as_str()
            )));
        }
        let alarm = match &previous {
            Some(prev) => Alarm {
                def,
                actions_enabled,
                config_updated_ms: now,
                state: prev.state.clone(),
                tags: prev.tags.clone(),
                // Replacing the suppressor discards running periods.
                suppression: Suppression::default(),
                generation,
            },
            None => Alarm {
                def,
                actions_enabled,
                config_updated_ms: now,
                state: AlarmStatus {
                    value: AlarmState::InsufficientData,
                    reason: "Unchecked: Initial alarm creation".into(),
                    reason_data: None,
                    updated_ms: now,
                    transitioned_ms: now,
                },
                tags: tags.iter().cloned().collect(),
                suppression: Suppression::default(),
                generation,
            },
        };
        let (verb, data) = match &previous {
            Some(prev) => {
                ("updated", config_history("Update", "updatedAlarm", alarm.config_json(), Some(prev.config_json())))
            }
            None => ("created", config_history("Create", "createdAlarm", alarm.config_json(), None)),
        };
        tx.history.push((
            tenant.clone(),
            HistoryItem {
                alarm_name: name.into(),
                alarm_type: alarm.kind(),
                timestamp_ms: now,
                item_type: HistoryItemType::ConfigurationUpdate,
                summary: cut(&format!("Alarm \"{name}\" {verb}"), MAX_SUMMARY),
                data,
            },
        ));
        let composite = match &alarm.def {
            Def::Composite(d) => Some(Arc::clone(d)),
            Def::Metric(_) => None,
        };
        tx.changed.insert(k.clone(), Some(alarm));
        // A composite is evaluated at once; afterwards only child changes move it.
        if let Some(d) = composite {
            let current = st.get(&tx, &k).map(|a| a.state.value).unwrap_or(AlarmState::InsufficientData);
            let (state, reason, data) = st.composite_outcome(&tx, &k, &d, None);
            if state != current {
                st.transition(&mut tx, &k, state, reason, Some(data));
                st.propagate(&mut tx, tenant, vec![(name.to_string(), current)]);
            }
        }
        self.commit(&mut st, tx).map(|_| ())
    }
}

fn kind_of(def: &Def) -> AlarmType {
    match def {
        Def::Metric(_) => AlarmType::MetricAlarm,
        Def::Composite(_) => AlarmType::CompositeAlarm,
    }
}

fn trim_history(st: &mut State, now: i64) {
    let horizon = now.saturating_sub(HISTORY_RETENTION_MS);
    while st.history.front().is_some_and(|(_, _, h)| h.timestamp_ms < horizon) || st.history.len() > MAX_HISTORY {
        st.history.pop_front();
    }
}

/// `MaxRecords` within 1–100 (default `default`).
fn max_records(v: Option<i64>, default: usize) -> Result<usize> {
    match v {
        None => Ok(default),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) => {
            Err(invalid(format!("The value {n} for parameter MaxRecords is invalid: it must be between 1 and 100.")))
        }
    }
}

fn bad_token() -> Error {
    Error::invalid(InvalidCode::InvalidNextToken, "The NextToken is invalid.")
}

fn alarm_types(types: &[String]) -> Result<BTreeSet<AlarmType>> {
    if types.is_empty() {
        return Ok([AlarmType::MetricAlarm].into());
    }
    let mut out = BTreeSet::new();
    for t in types {
        match records::alarm_type_of(t) {
            Some(kind) => {
                out.insert(kind);
            }
            // A valid type Stratus has no alarms of (Logs alarms are not served): matches nothing.
            None if t == "LogAlarm" => {}
            None => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{t}' at 'alarmTypes' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, LogAlarm, MetricAlarm]"
                )));
            }
        }
    }
    Ok(out)
}

fn state_value(v: &str, field: &str) -> Result<AlarmState> {
    records::state_of(v).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
        ))
    })
}

impl AlarmStore {
    fn metric_view(k: &Key, a: &Alarm, d: &MetricDef) -> MetricAlarm {
        MetricAlarm {
            arn: alarm_arn(&tenant_of(k), &k.2),
            config: d.input.clone(),
            actions_enabled: a.actions_enabled,
            config_updated_ms: a.config_updated_ms,
            state: a.state.clone(),
        }
    }

    fn composite_view(st: &State, k: &Key, a: &Alarm, d: &CompositeDef) -> CompositeAlarm {
        let tenant = tenant_of(k);
        let (by, reason) = match (a.suppression.pending, a.suppression.timer) {
            (None, _) => (None, None),
            (Some(_), timer) => {
                let sup = d.input.actions_suppressor.clone().unwrap_or_default();
                if st.state_in(&Txn::new(0), &tenant, &sup) == Some(AlarmState::Alarm) {
                    (
                        Some("Alarm"),
                        Some(format!("Actions are suppressed because the suppressor alarm {sup} is in ALARM.")),
                    )
                } else {
                    match timer {
                        Some((Timer::Wait, until)) => (
                            Some("WaitPeriod"),
                            Some(format!(
                                "Actions are suppressed until {} (WaitPeriod): the suppressor alarm {sup} may go to ALARM.",
                                data_time(until)
                            )),
                        ),
                        Some((Timer::Extension, until)) => (
                            Some("ExtensionPeriod"),
                            Some(format!(
                                "Actions are suppressed until {} (ExtensionPeriod): the suppressor alarm {sup} left ALARM.",
                                data_time(until)
                            )),
                        ),
                        None => (None, None),
                    }
                }
            }
        };
        CompositeAlarm {
            arn: alarm_arn(&tenant, &k.2),
            config: d.input.clone(),
            actions_enabled: a.actions_enabled,
            config_updated_ms: a.config_updated_ms,
            state: a.state.clone(),
            actions_suppressed_by: by.map(str::to_string),
            actions_suppressed_reason: reason,
        }
    }

    /// DescribeAlarms.
    pub(crate) fn describe(&self, tenant: &Tenant, q: &DescribeAlarms) -> Result<DescribeAlarmsResult> {
        let max = max_records(q.max_records, 50)?;
        if q.names.len() > 100 {
            return Err(invalid("The collection AlarmNames must not have more than 100 members."));
        }
        if !q.names.is_empty() && q.name_prefix.is_some() {
            return Err(Error::invalid(
                InvalidCode::InvalidParameterCombination,
                "AlarmNames and AlarmNamePrefix are mutually exclusive.",
            ));
        }
        let family = q.children_of.is_some() || q.parents_of.is_some();
        if family
            && (!q.names.is_empty()
                || q.name_prefix.is_some()
                || !q.alarm_types.is_empty()
                || q.state_value.is_some()
                || q.action_prefix.is_some()
                || (q.children_of.is_some() && q.parents_of.is_some()))
        {
            return Err(Error::invalid(
                InvalidCode::InvalidParameterCombination,
                "ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with each other or with any other filter except MaxRecords and NextToken.",
            ));
        }
        let types = if family {
            [AlarmType::MetricAlarm, AlarmType::CompositeAlarm].into()
        } else {
            alarm_types(&q.alarm_types)?
        };
        let state = q.state_value.as_deref().map(|v| state_value(v, "stateValue")).transpose()?;
        let after = match &q.next_token {
            None => None,
            Some(t) => Some(decode_token(t).ok_or_else(bad_token)?),
        };
        let st = self.state.lock();
        let tx = Txn::new(0);
        let family_names: Option<BTreeSet<String>> = if let Some(parent) = &q.children_of {
            match st.get(&tx, &key(tenant, parent)).map(|a| &a.def) {
                Some(Def::Composite(d)) => Some(
                    d.rule
                        .references()
                        .into_iter()
                        .filter_map(|r| referenced_name(tenant, r))
                        .map(str::to_string)
                        .collect(),
                ),
                _ => Some(BTreeSet::new()),
            }
        } else {
            q.parents_of.as_ref().map(|child| {
                st.composites(&tx, tenant)
                    .into_iter()
                    .filter(|(_, d)| {
                        d.rule.references().iter().any(|r| referenced_name(tenant, r) == Some(child.as_str()))
                    })
                    .map(|(k, _)| k.2)
                    .collect()
            })
        };
        let lo = (tenant.account.clone(), tenant.region.clone(), after.clone().unwrap_or_default());
        let mut out = DescribeAlarmsResult::default();
        let mut count = 0;
        for (k, a) in st.alarms.range(lo..).take_while(|(k, _)| k.0 == tenant.account && k.1 == tenant.region) {
            if after.as_ref().is_some_and(|n| &k.2 <= n) {
                continue;
            }
            let name = &k.2;
            let keep = types.contains(&a.kind())
                && family_names.as_ref().is_none_or(|f| f.contains(name))
                && (q.names.is_empty() || q.names.contains(name))
                && q.name_prefix.as_deref().is_none_or(|p| name.starts_with(p))
                && state.is_none_or(|s| a.state.value == s)
                && q.action_prefix.as_deref().is_none_or(|p| a.all_actions().any(|x| x.starts_with(p)));
            if !keep {
                continue;
            }
            if count == max {
                out.next_token = Some(encode_token(
                    out.metric_alarms
                        .iter()
                        .map(|m| &m.config.name)
                        .chain(out.composite_alarms.iter().map(|c| &c.config.name))
                        .max()
                        .map(String::as_str)
                        .unwrap_or_default(),
                ));
                break;
            }
            count += 1;
            match &a.def {
                Def::Metric(d) => out.metric_alarms.push(Self::metric_view(k, a, d)),
                Def::Composite(d) => out.composite_alarms.push(Self::composite_view(&st, k, a, d)),
            }
        }
        Ok(out)
    }

    /// DescribeAlarmsForMetric: single-metric alarms on exactly this metric, and metric-math
    /// alarms with a MetricStat on it.
    pub(crate) fn describe_for_metric(&self, tenant: &Tenant, q: &DescribeAlarmsForMetric) -> Result<Vec<MetricAlarm>> {
        validate::namespace_for_read("Namespace", &q.namespace)?;
        validate::identity("", &q.metric_name, &q.dimensions)?;
        let wanted = MetricKey::new(q.namespace.clone(), q.metric_name.clone(), q.dimensions.clone());
        let st = self.state.lock();
        let mut out = Vec::new();
        for (k, a) in st.alarms.iter().filter(|(k, _)| k.0 == tenant.account && k.1 == tenant.region) {
            let Def::Metric(d) = &a.def else { continue };
            let i = &d.input;
            let direct = d.metric_key().as_ref() == Some(&wanted)
                && q.statistic.as_ref().is_none_or(|s| i.statistic.as_ref() == Some(s))
                && q.extended_statistic.as_ref().is_none_or(|s| i.extended_statistic.as_ref() == Some(s))
                && q.period.is_none_or(|p| i.period == Some(p))
                && q.unit.is_none_or(|u| i.unit == Some(u));
            let in_math = i.metrics.iter().any(|m| match &m.kind {
                QueryKind::MetricStat { metric, period_s, stat, unit } => {
                    metric == &wanted
                        && q.period.is_none_or(|p| *period_s == p)
                        && q.statistic.as_ref().or(q.extended_statistic.as_ref()).is_none_or(|s| s == stat)
                        && q.unit.is_none_or(|u| *unit == Some(u))
                }
                QueryKind::Expression(_) => false,
            });
            if direct || in_math {
                out.push(Self::metric_view(k, a, d));
            }
        }
        Ok(out)
    }

    /// DescribeAlarmHistory.
    pub(crate) fn history(&self, tenant: &Tenant, q: &DescribeAlarmHistory) -> Result<AlarmHistory> {
        let max = max_records(q.max_records, 100)?;
        let types = alarm_types(&q.alarm_types)?;
        let item_type = match q.history_item_type.as_deref() {
            None => None,
            Some(t) => Some(records::item_type_of(t).ok_or_else(|| {
                validation(format!(
                    "1 validation error detected: Value '{t}' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action]"
                ))
            })?),
        };
        let ascending = match q.scan_by.as_deref() {
            None | Some("TimestampDescending") => false,
            Some("TimestampAscending") => true,
            Some(other) => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{other}' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]"
                )));
            }
        };
        let after: Option<u64> = match &q.next_token {
            None => None,
            Some(t) => Some(decode_token(t).and_then(|s| s.parse().ok()).ok_or_else(bad_token)?),
        };
        let st = self.state.lock();
        let matches = |(seq, t, h): &&(u64, Tenant, HistoryItem)| {
            t == tenant
                && after.is_none_or(|a| if ascending { *seq > a } else { *seq < a })
                && q.alarm_name.as_ref().is_none_or(|n| &h.alarm_name == n)
                && types.contains(&h.alarm_type)
                && item_type.is_none_or(|it| h.item_type == it)
                && q.start_ms.is_none_or(|s| h.timestamp_ms >= s)
                && q.end_ms.is_none_or(|e| h.timestamp_ms <= e)
        };
        let mut page: Vec<&(u64, Tenant, HistoryItem)> = if ascending {
            st.history.iter().filter(matches).take(max + 1).collect()
        } else {
            st.history.iter().rev().filter(matches).take(max + 1).collect()
        };
        let next_token = if page.len() > max {
            page.truncate(max);
            page.last().map(|(seq, _, _)| encode_token(&seq.to_string()))
        } else {
            None
        };
        Ok(AlarmHistory { items: page.into_iter().map(|(_, _, h)| h.clone()).collect(), next_token })
    }

    /// DeleteAlarms.
    pub(crate) fn delete(&self, tenant: &Tenant, names: &[String], now: i64) -> Result<()> {
        if names.len() > 100 {
            return Err(invalid("The collection AlarmNames must not have more than 100 members."));
        }
        let mut st = self.state.lock();
        let mut tx = Txn::new(now);
        let deleting: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        for (k, d) in st.composites(&tx, tenant) {
            if deleting.contains(k.2.as_str()) {
                continue;
            }
            for r in d.rule.references() {
                if let Some(n) = referenced_name(tenant, r)
                    && deleting.contains(n)
                    && matches!(st.get(&tx, &key(tenant, n)).map(|a| &a.def), Some(Def::Composite(_)))
                {
                    return Err(validation(format!(
                        "The composite alarm {n} cannot be deleted: the composite alarm {} references it in its rule.",
                        k.2
                    )));
                }
            }
        }
        for name in names {
            let k = key(tenant, name);
            let Some(a) = st.get(&tx, &k).cloned() else { continue };
            tx.history.push((
                tenant.clone(),
                HistoryItem {
                    alarm_name: name.clone(),
                    alarm_type: a.kind(),
                    timestamp_ms: now,
                    item_type: HistoryItemType::ConfigurationUpdate,
                    summary: cut(&format!("Alarm \"{name}\" deleted"), MAX_SUMMARY),
                    data: config_history("Delete", "deletedAlarm", a.config_json(), None),
                },
            ));
            tx.changed.insert(k, None);
        }
        self.commit(&mut st, tx).map(|_| ())
    }

    /// SetAlarmState.
    pub(crate) fn set_state(
        &self,
        tenant: &Tenant,
        name: &str,
        value: &str,
        reason: &str,
        reason_data: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let value = state_value(value, "stateValue")?;
        if reason.chars().count() > super::reason::MAX_REASON_CHARS {
            return Err(validation(format!(
                "1 validation error detected: Value at 'stateReason' failed to satisfy constraint: Member must have length less than or equal to {}",
                super::reason::MAX_REASON_CHARS
            )));
        }
        if let Some(d) = reason_data {
            if d.chars().count() > MAX_REASON_DATA {
                return Err(validation(format!(
                    "1 validation error detected: Value at 'stateReasonData' failed to satisfy constraint: Member must have length less than or equal to {MAX_REASON_DATA}"
                )));
            }
            serde_json::from_str::<Value>(d).map_err(|e| {
                Error::invalid(InvalidCode::InvalidFormat, format!("StateReasonData is not valid JSON: {e}"))
            })?;
        }
        let mut st = self.state.lock();
        let mut tx = Txn::new(now);
        let k = key(tenant, name);
        let current = st.get(&tx, &k).map(|a| a.state.value).ok_or_else(|| not_found(name))?;
        if current == value {
            return Ok(());
        }
        st.transition(&mut tx, &k, value, reason.to_string(), reason_data.map(str::to_string));
        st.propagate(&mut tx, tenant, vec![(name.to_string(), current)]);
        self.commit(&mut st, tx).map(|_| ())
    }

    /// EnableAlarmActions / DisableAlarmActions (unknown names are skipped).
    pub(crate) fn set_actions_enabled(&self, tenant: &Tenant, names: &[String], on: bool, now: i64) -> Result<()> {
        if names.len() > 100 {
            return Err(invalid("The collection AlarmNames must not have more than 100 members."));
        }
        let mut st = self.state.lock();
        let mut tx = Txn::new(now);
        for name in names {
            let k = key(tenant, name);
            if let Some(a) = st.get(&tx, &k)
                && a.actions_enabled != on
            {
                let mut a = a.clone();
                a.actions_enabled = on;
                tx.changed.insert(k, Some(a));
            }
        }
        self.commit(&mut st, tx).map(|_| ())
    }

    /// TagResource on an alarm.
    pub(crate) fn tag(&self, tenant: &Tenant, name: &str, tags: &[(String, String)], now: i64) -> Result<()> {
        let mut st = self.state.lock();
        let mut tx = Txn::new(now);
        let k = key(tenant, name);
        let mut a = st.get(&tx, &k).cloned().ok_or_else(|| not_found(name))?;
        for (tk, tv) in tags {
            if tk.is_empty() || tk.chars().count() > 128 || tv.chars().count() > 256 {
                return Err(invalid(format!(
                    "The tag {tk:?} is invalid: keys have 1 to 128 characters, values at most 256."
                )));
            }
            a.tags.insert(tk.clone(), tv.clone());
        }
        if a.tags.len() > MAX_TAGS {
            return Err(Error::invalid(
                InvalidCode::InvalidParameterValue,
                format!("An alarm can have at most {MAX_TAGS} tags."),
            ));
        }
        tx.changed.insert(k, Some(a));
        self.commit(&mut st, tx).map(|_| ())
    }

    /// UntagResource on an alarm.
    pub(crate) fn untag(&self, tenant: &Tenant, name: &str, keys: &[String], now: i64) -> Result<()> {
        let mut st = self.state.lock();
        let mut tx = Txn::new(now);
        let k = key(tenant, name);
        let mut a = st.get(&tx, &k).cloned().ok_or_else(|| not_found(name))?;
        for tk in keys {
            a.tags.remove(tk);
        }
        tx.changed.insert(k, Some(a));
        self.commit(&mut st, tx).map(|_| ())
    }

    /// ListTagsForResource on an alarm.
    pub(crate) fn tags(&self, tenant: &Tenant, name: &str) -> Result<Vec<(String, String)>> {
        let st = self.state.lock();
        let a = st.alarms.get(&key(tenant, name)).ok_or_else(|| not_found(name))?;
        Ok(a.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// Evaluates what is due at `now`'s evaluation time (once per time; see
    /// [`crate::Engine::run_alarm_evaluations`]).
    pub(crate) fn run_due(&self, now: i64, q: &Queries<'_>) -> Result<EvaluationReport> {
        let tick = tick_of(now);
        let mut report = EvaluationReport { tick_ms: tick, ..Default::default() };
        let due: Vec<(Key, Arc<MetricDef>, u64, AlarmState)> = {
            let mut st = self.state.lock();
            if tick <= st.last_tick {
                return Ok(report);
            }
            st.last_tick = tick;
            self.send_pending(&mut st);
            st.alarms
                .iter()
                .filter_map(|(k, a)| match &a.def {
                    Def::Metric(d) if d.settings.period_s < 60 || tick % 60_000 == 0 => {
                        Some((k.clone(), Arc::clone(d), a.generation, a.state.value))
                    }
                    _ => None,
                })
                .collect()
        };
        // The queries run without the lock.
        let mut outcomes = Vec::new();
        for (k, d, generation, current) in due {
            report.evaluated += 1;
            match evaluate::evaluate(&d, &tenant_of(&k), tick, current, q) {
                Ok(Some(o)) => outcomes.push((k, generation, current, o)),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(alarm = %k.2, account = %k.0, region = %k.1, error = %e, "alarm evaluation failed")
                }
            }
        }
        let mut st = self.state.lock();
        let mut tx = Txn::new(now);
        let mut changed: BTreeMap<Tenant, Vec<(String, AlarmState)>> = BTreeMap::new();
        for (k, generation, current, o) in outcomes {
            // Applied only if the alarm was neither reconfigured nor set meanwhile.
            if st.get(&tx, &k).is_some_and(|a| a.generation == generation && a.state.value == current) {
                st.transition(&mut tx, &k, o.state, o.reason, Some(o.reason_data));
                changed.entry(tenant_of(&k)).or_default().push((k.2.clone(), current));
            }
        }
        for (tenant, names) in changed {
            st.propagate(&mut tx, &tenant, names);
        }
        // Suppression periods that ran out: the actions of the current state run now, unless the
        // suppressor is in ALARM.
        let expired: Vec<Key> = st
            .alarms
            .iter()
            .filter(|(k, _)| !tx.changed.contains_key(*k))
            .filter(|(_, a)| a.suppression.timer.is_some_and(|(_, until)| until <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in expired {
            let Some(mut a) = st.get(&tx, &k).cloned() else { continue };
            a.suppression.timer = None;
            if let (Some(from), Def::Composite(d)) = (a.suppression.pending, &a.def) {
                let sup = d.input.actions_suppressor.clone().unwrap_or_default();
                if st.state_in(&tx, &tenant_of(&k), &sup) != Some(AlarmState::Alarm) {
                    a.suppression.pending = None;
                    st.queue_actions(&mut tx, &k, &a, from);
                }
            }
            report.suppressions_ended += 1;
            tx.changed.insert(k, Some(a));
        }
        report.transitions = self.commit(&mut st, tx)?;
        Ok(report)
    }

    /// The queue of actions to deliver.
    pub(crate) fn action_receiver(&self) -> Receiver<ActionRequest> {
        self.rx.clone()
    }

    /// Records how action `id` went.
    pub(crate) fn complete_action(&self, id: u64, outcome: ActionOutcome, now: i64) -> Result<()> {
        let mut st = self.state.lock();
        let Some((a, _)) = st.outbox.get(&id).cloned() else { return Ok(()) };
        let mut tx = Txn::new(now);
        let kind = st.alarms.get(&key(&a.tenant, &a.alarm_name)).map_or(AlarmType::MetricAlarm, Alarm::kind);
        let (text, state, error) = match &outcome {
            ActionOutcome::Succeeded(t) => (t.clone(), "Succeeded", None),
            ActionOutcome::Failed(t) => (t.clone(), "Failed", Some(t.clone())),
        };
        let mut data = json!({
            "actionState": state,
            "stateUpdateTimestamp": a.state_change_ms,
            "notificationResource": a.action_arn,
            "publishedMessage": a.message,
        });
        if let Some(e) = error {
            data["error"] = json!(e);
        }
        let mut data = data.to_string();
        if data.chars().count() > MAX_HISTORY_DATA {
            data = json!({"actionState": state, "stateUpdateTimestamp": a.state_change_ms,
                "notificationResource": a.action_arn})
            .to_string();
        }
        tx.history.push((
            a.tenant.clone(),
            HistoryItem {
                alarm_name: a.alarm_name.clone(),
                alarm_type: kind,
                timestamp_ms: now,
                item_type: HistoryItemType::Action,
                summary: cut(&text, MAX_SUMMARY),
                data,
            },
        ));
        tx.done.push(id);
        self.commit(&mut st, tx).map(|_| ())
    }
}

/// Paging tokens: the position, hex-encoded (opaque to clients, checked when decoded).
fn encode_token(position: &str) -> String {
    position.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<String> {
    if token.is_empty() || !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..token.len()).step_by(2).map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}
