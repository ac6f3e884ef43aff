//! CloudWatch alarms (issue 6, in progress). So far: `eval`, the metric-alarm decision as a pure
//! function of the evaluation settings, the datapoints of the evaluation range and the current
//! state, with AWS's reference tables as its tests; `rule`, the composite-alarm rule parser and
//! evaluator; `def`, PutMetricAlarm's evaluation settings validated as CloudWatch does;
//! `reason`, state reasons in AWS's text. Definitions, state, history, the scheduler and actions arrive next (see
//! `docs/design/2026-11-22-alarms.md`).

pub mod def;
pub mod eval;
mod evaluate;
mod journal;
pub mod model;
pub mod reason;
mod records;
pub mod rule;
pub(crate) mod store;
