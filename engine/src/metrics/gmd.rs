//! GetMetricData: the request and result model, validation, and execution over a
//! [`MetricSource`] — MetricStat queries, metric math, SEARCH and Metrics Insights — with
//! CloudWatch's paging (`MaxDatapoints`, `NextToken`), ordering (`ScanBy`), unit handling
//! (one unit per result, `MultipleUnits` message) and status codes.
//!
//! The store implements [`MetricSource`]; everything here is pure and tested with fakes.

mod exec;
mod page;
#[cfg(test)]
mod tests;

pub(crate) use exec::{MetricSource, execute};

use crate::error::{Error, InvalidCode, Result};

use super::model::{MetricKey, Unit};
use super::validate;

/// Most queries per request.
pub(crate) const MAX_QUERIES: usize = 500;
/// Default and largest `MaxDatapoints`.
pub(crate) const MAX_DATAPOINTS: u64 = 100_800;
/// Longest expression.
pub(crate) const MAX_EXPRESSION_LEN: usize = 2048;

/// What a query computes.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryKind {
    /// One metric at one statistic and period.
    MetricStat {
        /// The metric (exact dimension set).
        metric: MetricKey,
        /// Period, seconds.
        period_s: i64,
        /// Statistic: a basic one (`Average`, …) or an extended one (`p99`, `TM(10%:90%)`, …).
        stat: String,
        /// Only data of this unit.
        unit: Option<Unit>,
    },
    /// Metric math, a SEARCH, or a Metrics Insights query (`SELECT …`).
    Expression(String),
}

/// One entry of `MetricDataQueries`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDataQuery {
    /// Unique within the request, `^[a-z][a-zA-Z0-9_]*$`.
    pub id: String,
    /// Label for the result; default derived from the metric or expression.
    pub label: Option<String>,
    /// Whether the result is returned (default true).
    pub return_data: bool,
    /// Period for expressions (MetricStat carries its own).
    pub period_s: Option<i64>,
    /// MetricStat or Expression.
    pub kind: QueryKind,
}

/// `ScanBy`: order of timestamps in each result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScanBy {
    /// Newest first (the default).
    #[default]
    TimestampDescending,
    /// Oldest first.
    TimestampAscending,
}

/// A GetMetricData request.
#[derive(Debug, Clone, PartialEq)]
pub struct GetMetricData {
    /// 1–500 queries.
    pub queries: Vec<MetricDataQuery>,
    /// Inclusive start, epoch ms.
    pub start_ms: i64,
    /// Exclusive end, epoch ms.
    pub end_ms: i64,
    /// Paging token from a previous page.
    pub next_token: Option<String>,
    /// Timestamp order.
    pub scan_by: ScanBy,
    /// Most datapoints in this page (default and maximum 100,800).
    pub max_datapoints: Option<u64>,
}

/// `StatusCode` of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    /// Everything was returned.
    Complete,
    /// More datapoints follow on the next page.
    PartialData,
    /// The query failed.
    InternalError,
}

impl StatusCode {
    /// As AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Complete => "Complete",
            StatusCode::PartialData => "PartialData",
            StatusCode::InternalError => "InternalError",
        }
    }
}

/// A `MessageData` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Code, e.g. `MultipleUnits`.
    pub code: String,
    /// Text.
    pub value: String,
}

/// One `MetricDataResult`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDataResult {
    /// The query's Id (several results share it when a query returns an array).
    pub id: String,
    /// Label.
    pub label: String,
    /// Epoch ms, in `ScanBy` order, parallel to `values`.
    pub timestamps: Vec<i64>,
    /// Values.
    pub values: Vec<f64>,
    /// Status.
    pub status_code: StatusCode,
    /// Per-result messages.
    pub messages: Vec<Message>,
}

/// A GetMetricData answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GetMetricDataResult {
    /// Results of the queries with `ReturnData`, in request order.
    pub results: Vec<MetricDataResult>,
    /// Token for the next page.
    pub next_token: Option<String>,
    /// Request-wide messages.
    pub messages: Vec<Message>,
}

fn invalid(message: String) -> Error {
    Error::invalid(InvalidCode::InvalidParameterValue, message)
}

/// Validates the request's shape (expressions are parsed at execution and reported there).
pub(crate) fn validate_request(req: &GetMetricData) -> Result<()> {
    if req.queries.is_empty() {
        return Err(Error::invalid(InvalidCode::MissingParameter, "The parameter MetricDataQueries is required."));
    }
    if req.queries.len() > MAX_QUERIES {
        return Err(invalid(format!(
            "The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )));
    }
    if req.start_ms >= req.end_ms {
        return Err(invalid("The parameter StartTime must be less than the parameter EndTime.".into()));
    }
    if let Some(m) = req.max_datapoints
        && (m == 0 || m > MAX_DATAPOINTS)
    {
        return Err(invalid(format!("The value {m} for parameter MaxDatapoints is invalid.")));
    }
    let mut insights = 0;
    for (i, q) in req.queries.iter().enumerate() {
        let p = format!("MetricDataQueries.member.{}", i + 1);
        if !id_is_valid(&q.id) {
            return Err(invalid(format!(
                "The value {} for parameter {p}.Id is invalid. It must start with a lowercase letter and contain only letters, numbers and underscores.",
                q.id
            )));
        }
        if req.queries[..i].iter().any(|o| o.id == q.id) {
            return Err(invalid(format!("The value {} for parameter {p}.Id is not unique.", q.id)));
        }
        if let Some(period) = q.period_s
            && !validate::period_is_valid(period)
        {
            return Err(invalid(format!("The value {period} for parameter {p}.Period is invalid.")));
        }
        match &q.kind {
            QueryKind::MetricStat { metric, period_s, stat, .. } => {
                validate::namespace_for_read(&format!("{p}.MetricStat.Metric.Namespace"), &metric.namespace)?;
                if !validate::identity_ok(&metric.metric_name, &metric.dimensions) {
                    validate::identity(&format!("{p}.MetricStat.Metric."), &metric.metric_name, &metric.dimensions)?;
                }
                if !validate::period_is_valid(*period_s) {
                    return Err(invalid(format!(
                        "The value {period_s} for parameter {p}.MetricStat.Period is invalid."
                    )));
                }
                if stat.is_empty() {
                    return Err(Error::invalid(
                        InvalidCode::MissingParameter,
                        format!("The parameter {p}.MetricStat.Stat is required."),
                    ));
                }
            }
            QueryKind::Expression(e) => {
                if e.trim().is_empty() {
                    return Err(Error::invalid(
                        InvalidCode::MissingParameter,
                        format!("The parameter {p}.Expression is required."),
                    ));
                }
                if e.chars().count() > MAX_EXPRESSION_LEN {
                    return Err(invalid(format!(
                        "The parameter {p}.Expression must be shorter than {} characters.",
                        MAX_EXPRESSION_LEN + 1
                    )));
                }
                if is_insights(e) {
                    insights += 1;
                    if q.period_s.is_none() {
                        return Err(Error::invalid(
                            InvalidCode::MissingParameter,
                            format!("The parameter {p}.Period is required for a Metrics Insights query."),
                        ));
                    }
                }
            }
        }
    }
    if insights > 1 {
        return Err(invalid("Only one Metrics Insights query is allowed per request.".into()));
    }
    if !req.queries.iter().any(|q| q.return_data) {
        return Err(invalid("At least one MetricDataQueries entry must have ReturnData set to true.".into()));
    }
    Ok(())
}

/// `^[a-z][a-zA-Z0-9_]*$`, at most 255 characters.
pub(crate) fn id_is_valid(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z')) && id.len() <= 255 && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether an expression is a Metrics Insights query rather than metric math.
pub(crate) fn is_insights(expr: &str) -> bool {
    expr.trim_start().get(..6).is_some_and(|s| s.eq_ignore_ascii_case("SELECT"))
}
