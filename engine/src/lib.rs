//! Stratus engine: a durable, sharded, Gorilla-compressed store for CloudWatch-style metrics,
//! embeddable as a synchronous library (no async runtime, no network I/O).
//!
//! # Layout
//!
//! | module     | owns                                                                         |
//! |------------|------------------------------------------------------------------------------|
//! | `durable`  | bytes to disk: file-system trait (real and simulated-crash), mmap, WAL, clock |
//! | `codec`    | pure compression: bit writer/reader, Gorilla timestamps and values, chunks    |
//! | `metrics`  | the TSDB: model, validation, head, blocks, compaction, queries                 |
//! | `engine`   | [`Engine`]: open/recover, background maintenance, close                        |
//!
//! Start at [`Engine`]: `Engine::open(dir, config)`, [`Engine::appender`] / [`Engine::put_metric_data`],
//! [`Engine::querier`], [`Engine::close`]. Formats are documented in the repository's
//! `docs/format/`, the data path in `ARCHITECTURE.md`.

pub mod alarm;
pub mod codec;
pub mod durable;
mod engine;
mod error;
mod metrics;
mod splitmix;

pub use alarm::model::{
    ActionOutcome, ActionRequest, AlarmHistory, AlarmState, AlarmStatus, AlarmType, CompositeAlarm,
    CompositeAlarmInput, DescribeAlarmHistory, DescribeAlarms, DescribeAlarmsForMetric, DescribeAlarmsResult,
    EvaluationReport, EvaluationWindow, HistoryItem, HistoryItemType, MetricAlarm, MetricAlarmInput, alarm_arn,
};
pub use durable::{Clock, CommitTicket, Durability, FileSystem, ManualClock, RealFs, SimFs, SystemClock, WalError};
pub use engine::{Appender, Engine, EngineConfig, PutReceipt, Querier};
pub use error::{Error, InvalidCode, Result};
pub use metrics::dashboard::{Dashboard, DashboardEntry, DashboardValidationMessage};
pub use metrics::gmd::{
    GetMetricData, GetMetricDataResult, Message, MetricDataQuery, MetricDataResult, QueryKind, ScanBy, StatusCode,
};
pub use metrics::model::{
    Datapoint, DatumValue, Dimension, DimensionFilter, ListMetricsPage, ListMetricsQuery, MetricDatum, MetricKey,
    PutMetricData, Resolution, SeriesBatch, Statistic, StatisticSet, StatisticsQuery, StatisticsResult, Tenant, Unit,
    UnknownUnit,
};
pub use metrics::store::{EngineStats, FlushReport};
pub use metrics::validate;
