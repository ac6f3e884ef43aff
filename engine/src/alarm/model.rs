//! The alarm API's model: what PutMetricAlarm / PutCompositeAlarm send, what Describe* return,
//! history items, and the action requests the engine hands to whoever delivers them. Fields are
//! CloudWatch's members, kept as sent (optional members stay optional so Describe* echoes them
//! exactly); enum-like strings (`StateValue`, `AlarmTypes`, `HistoryItemType`, `ScanBy`) are
//! validated by the engine, once, for both faces.

use crate::metrics::gmd::MetricDataQuery;
use crate::metrics::model::{Dimension, Tenant, Unit};

pub use super::eval::AlarmState;

/// `AlarmType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlarmType {
    /// `MetricAlarm`.
    MetricAlarm,
    /// `CompositeAlarm`.
    CompositeAlarm,
}

impl AlarmType {
    /// As AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmType::MetricAlarm => "MetricAlarm",
            AlarmType::CompositeAlarm => "CompositeAlarm",
        }
    }
}

/// `HistoryItemType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryItemType {
    /// `ConfigurationUpdate`: created, updated, deleted, actions enabled or disabled.
    ConfigurationUpdate,
    /// `StateUpdate`: a state change.
    StateUpdate,
    /// `Action`: an action ran (or failed).
    Action,
}

impl HistoryItemType {
    /// As AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryItemType::ConfigurationUpdate => "ConfigurationUpdate",
            HistoryItemType::StateUpdate => "StateUpdate",
            HistoryItemType::Action => "Action",
        }
    }
}

/// `EvaluationWindow`: how the evaluation range is cut into Period buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvaluationWindow {
    /// `SlidingWindow` (the default): buckets end at the evaluation time.
    Sliding,
    /// `WallClockWindow`: buckets align to clock boundaries of the period in `timezone`
    /// (`UTC` when absent; fixed offsets such as `+05:30` or `UTC-08:00`, multiples of 5 minutes).
    WallClock {
        /// `Timezone`.
        timezone: Option<String>,
    },
}

/// PutMetricAlarm, as sent. An update replaces the whole configuration (omitted optional
/// members revert to their defaults) and keeps the state; `tags` apply only at creation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricAlarmInput {
    /// `AlarmName` (1–255 characters, no control characters).
    pub name: String,
    /// `AlarmDescription` (≤ 1024 characters).
    pub description: Option<String>,
    /// `ActionsEnabled` (default true).
    pub actions_enabled: Option<bool>,
    /// `OKActions` (≤ 5).
    pub ok_actions: Vec<String>,
    /// `AlarmActions` (≤ 5).
    pub alarm_actions: Vec<String>,
    /// `InsufficientDataActions` (≤ 5).
    pub insufficient_data_actions: Vec<String>,
    /// `MetricName` (single-metric alarms).
    pub metric_name: Option<String>,
    /// `Namespace` (single-metric alarms).
    pub namespace: Option<String>,
    /// `Dimensions` (single-metric alarms; all must match).
    pub dimensions: Vec<Dimension>,
    /// `Statistic`: `SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum`.
    pub statistic: Option<String>,
    /// `ExtendedStatistic`: `p99`, `TM(10%:90%)`, …
    pub extended_statistic: Option<String>,
    /// `Period`, seconds (single-metric alarms).
    pub period: Option<i64>,
    /// `Unit` (single-metric alarms): only data of this unit.
    pub unit: Option<Unit>,
    /// `EvaluationPeriods` (N).
    pub evaluation_periods: Option<i64>,
    /// `DatapointsToAlarm` (M, default N).
    pub datapoints_to_alarm: Option<i64>,
    /// `Threshold` (static operators).
    pub threshold: Option<f64>,
    /// `ThresholdMetricId` (anomaly-band operators).
    pub threshold_metric_id: Option<String>,
    /// `ComparisonOperator`.
    pub comparison_operator: Option<String>,
    /// `TreatMissingData`: `missing` (default), `ignore`, `breaching`, `notBreaching`.
    pub treat_missing_data: Option<String>,
    /// `EvaluateLowSampleCountPercentile`: `evaluate` or `ignore` (percentile alarms only).
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// `Metrics` (metric-math alarms): exactly one query with `return_data`.
    pub metrics: Vec<MetricDataQuery>,
    /// `EvaluationWindow` (default sliding).
    pub evaluation_window: Option<EvaluationWindow>,
    /// `Tags` (creation only).
    pub tags: Vec<(String, String)>,
}

/// PutCompositeAlarm, as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompositeAlarmInput {
    /// `AlarmName`.
    pub name: String,
    /// `AlarmDescription`.
    pub description: Option<String>,
    /// `ActionsEnabled` (default true).
    pub actions_enabled: Option<bool>,
    /// `OKActions` (≤ 5).
    pub ok_actions: Vec<String>,
    /// `AlarmActions` (≤ 5).
    pub alarm_actions: Vec<String>,
    /// `InsufficientDataActions` (≤ 5).
    pub insufficient_data_actions: Vec<String>,
    /// `AlarmRule` (1–10,240 characters; `rule` grammar).
    pub alarm_rule: String,
    /// `ActionsSuppressor`: an alarm name or ARN.
    pub actions_suppressor: Option<String>,
    /// `ActionsSuppressorWaitPeriod`, seconds.
    pub actions_suppressor_wait_period: Option<i64>,
    /// `ActionsSuppressorExtensionPeriod`, seconds.
    pub actions_suppressor_extension_period: Option<i64>,
    /// `Tags` (creation only).
    pub tags: Vec<(String, String)>,
}

/// An alarm's state as Describe* shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmStatus {
    /// `StateValue`.
    pub value: AlarmState,
    /// `StateReason` (≤ 1023 characters).
    pub reason: String,
    /// `StateReasonData` (a JSON document, ≤ 4000 characters).
    pub reason_data: Option<String>,
    /// `StateUpdatedTimestamp`, epoch ms.
    pub updated_ms: i64,
    /// `StateTransitionedTimestamp`, epoch ms.
    pub transitioned_ms: i64,
}

/// A metric alarm as Describe* shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricAlarm {
    /// `AlarmArn`: `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`.
    pub arn: String,
    /// The configuration as last put (`tags` is empty here; see [`crate::Engine::alarm_tags`]).
    pub config: MetricAlarmInput,
    /// `ActionsEnabled` as in effect (PutMetricAlarm, Enable/DisableAlarmActions).
    pub actions_enabled: bool,
    /// `AlarmConfigurationUpdatedTimestamp`, epoch ms.
    pub config_updated_ms: i64,
    /// The state.
    pub state: AlarmStatus,
}

/// A composite alarm as Describe* shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeAlarm {
    /// `AlarmArn`.
    pub arn: String,
    /// The configuration as last put (`tags` empty).
    pub config: CompositeAlarmInput,
    /// `ActionsEnabled` as in effect.
    pub actions_enabled: bool,
    /// `AlarmConfigurationUpdatedTimestamp`, epoch ms.
    pub config_updated_ms: i64,
    /// The state.
    pub state: AlarmStatus,
    /// `ActionsSuppressedBy`: `WaitPeriod`, `ExtensionPeriod` or `Alarm`, while suppressed.
    pub actions_suppressed_by: Option<String>,
    /// `ActionsSuppressedReason`.
    pub actions_suppressed_reason: Option<String>,
}

/// DescribeAlarms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DescribeAlarms {
    /// `AlarmNames` (≤ 100); excludes `name_prefix`.
    pub names: Vec<String>,
    /// `AlarmNamePrefix`.
    pub name_prefix: Option<String>,
    /// `AlarmTypes` (`MetricAlarm`, `CompositeAlarm`); empty means metric alarms only.
    pub alarm_types: Vec<String>,
    /// `StateValue`.
    pub state_value: Option<String>,
    /// `ActionPrefix`: alarms with an action starting with it.
    pub action_prefix: Option<String>,
    /// `ChildrenOfAlarmName`: the alarms a composite's rule references (no other filter).
    pub children_of: Option<String>,
    /// `ParentsOfAlarmName`: the composites whose rule references this alarm (no other filter).
    pub parents_of: Option<String>,
    /// `MaxRecords` (1–100, default 50).
    pub max_records: Option<i64>,
    /// `NextToken`.
    pub next_token: Option<String>,
}

/// DescribeAlarms' answer. With `children_of` / `parents_of`, AWS returns reduced records
/// (children: name, ARN, state value, state-updated time; parents: name, ARN); faces reduce.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DescribeAlarmsResult {
    /// `MetricAlarms`.
    pub metric_alarms: Vec<MetricAlarm>,
    /// `CompositeAlarms`.
    pub composite_alarms: Vec<CompositeAlarm>,
    /// `NextToken`.
    pub next_token: Option<String>,
}

/// DescribeAlarmsForMetric: metric alarms on exactly this metric; the optional members narrow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DescribeAlarmsForMetric {
    /// `MetricName` (required).
    pub metric_name: String,
    /// `Namespace` (required).
    pub namespace: String,
    /// `Dimensions` (the alarm's set must equal it).
    pub dimensions: Vec<Dimension>,
    /// `Statistic`.
    pub statistic: Option<String>,
    /// `ExtendedStatistic`.
    pub extended_statistic: Option<String>,
    /// `Period`.
    pub period: Option<i64>,
    /// `Unit`.
    pub unit: Option<Unit>,
}

/// DescribeAlarmHistory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DescribeAlarmHistory {
    /// `AlarmName`: one alarm's history (kept after the alarm is deleted).
    pub alarm_name: Option<String>,
    /// `AlarmTypes`; empty means metric alarms only.
    pub alarm_types: Vec<String>,
    /// `HistoryItemType`.
    pub history_item_type: Option<String>,
    /// `StartDate`, inclusive, epoch ms.
    pub start_ms: Option<i64>,
    /// `EndDate`, inclusive, epoch ms.
    pub end_ms: Option<i64>,
    /// `MaxRecords` (1–100, default 100).
    pub max_records: Option<i64>,
    /// `ScanBy`: `TimestampDescending` (default) or `TimestampAscending`.
    pub scan_by: Option<String>,
    /// `NextToken`.
    pub next_token: Option<String>,
}

/// One `AlarmHistoryItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    /// `AlarmName`.
    pub alarm_name: String,
    /// `AlarmType`.
    pub alarm_type: AlarmType,
    /// `Timestamp`, epoch ms.
    pub timestamp_ms: i64,
    /// `HistoryItemType`.
    pub item_type: HistoryItemType,
    /// `HistorySummary` (≤ 255 characters).
    pub summary: String,
    /// `HistoryData`: a JSON document (≤ 4095 characters).
    pub data: String,
}

/// DescribeAlarmHistory's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmHistory {
    /// `AlarmHistoryItems`, in `ScanBy` order.
    pub items: Vec<HistoryItem>,
    /// `NextToken`.
    pub next_token: Option<String>,
}

/// An action to run because an alarm changed state, handed out by
/// [`crate::Engine::alarm_actions`]. The engine records it durably before handing it out, and
/// hands it out again after a restart until [`crate::Engine::complete_action`] reports how it
/// went (at-least-once; `id` is stable, so a receiver can drop a repeat).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// Unique per data directory, never reused.
    pub id: u64,
    /// The alarm's tenant.
    pub tenant: Tenant,
    /// `AlarmName`.
    pub alarm_name: String,
    /// `AlarmArn`.
    pub alarm_arn: String,
    /// The action's ARN, e.g. `arn:aws:sns:us-east-1:123456789012:ops`.
    pub action_arn: String,
    /// The state left.
    pub old_state: AlarmState,
    /// The state entered.
    pub new_state: AlarmState,
    /// `StateChangeTime`, epoch ms.
    pub state_change_ms: i64,
    /// The SNS notification's `Subject`, e.g. `ALARM: "cpu-high" in us-east-1`.
    pub subject: String,
    /// The SNS notification's `Message`: the alarm notification JSON document
    /// (`AlarmName`, `NewStateValue`, `NewStateReason`, `Trigger`, …).
    pub message: String,
}

/// How an action went, reported back with [`crate::Engine::complete_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// It ran; the text says where to (recorded in the `Action` history item).
    Succeeded(String),
    /// It failed for good (after retries); the text says why.
    Failed(String),
}

/// What one scheduler run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EvaluationReport {
    /// The evaluation time (a multiple of 10 s), epoch ms.
    pub tick_ms: i64,
    /// Metric alarms evaluated.
    pub evaluated: usize,
    /// State changes (metric and composite).
    pub transitions: usize,
    /// Suppression periods that ended (composite alarms).
    pub suppressions_ended: usize,
}

/// The ARN of alarm `name` of `tenant`.
pub fn alarm_arn(tenant: &Tenant, name: &str) -> String {
    format!("arn:aws:cloudwatch:{}:{}:alarm:{}", tenant.region, tenant.account, name)
}
