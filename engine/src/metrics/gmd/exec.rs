//! Executing a GetMetricData request: MetricStat queries first, then expressions in
//! dependency order, then ordering and paging of the results.

use hashbrown::HashMap;

use crate::error::{Error, InvalidCode, Result};
use crate::metrics::extended::ExtendedStatistic;
use crate::metrics::frame::{Grid, TimeSeries};
use crate::metrics::insights::{self, InsightsSource};
use crate::metrics::math::{self, MathContext, MathError, SearchQuery, Value};
use crate::metrics::model::{MetricKey, Statistic, StatisticsQuery, Unit};
use crate::metrics::query::{self, Buckets, Plan};

use super::page::paginate;
use super::{
    GetMetricData, GetMetricDataResult, MAX_DATAPOINTS, Message, MetricDataResult, QueryKind, ScanBy, StatusCode,
    validate_request,
};

/// Most metrics a SEARCH or Metrics Insights query scans.
pub(crate) const MAX_SCANNED_METRICS: usize = 10_000;
/// Most series a SEARCH returns.
pub(crate) const MAX_SEARCH_SERIES: usize = 500;

/// What execution needs from storage, for one tenant.
pub(crate) trait MetricSource: Sync {
    fn now_ms(&self) -> i64;
    /// Per-unit buckets of one metric (exact dimension set), in unit order.
    fn buckets(
        &self,
        key: &MetricKey,
        plan: Plan,
        unit: Option<Unit>,
        keep_values: bool,
    ) -> Result<Vec<(Unit, Buckets)>>;
    /// Metrics (of any age still queryable) in `namespace` (or all) passing `filter`, in key
    /// order, at most `limit`.
    fn metrics(
        &self,
        namespace: Option<&str>,
        filter: &mut dyn FnMut(&MetricKey) -> bool,
        limit: usize,
    ) -> Vec<MetricKey>;
}

/// A statistic as a MetricStat names it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StatSpec {
    Basic(Statistic),
    Extended(ExtendedStatistic),
}

impl StatSpec {
    pub(crate) fn parse(s: &str) -> std::result::Result<StatSpec, String> {
        if let Ok(b) = s.parse::<Statistic>() {
            return Ok(StatSpec::Basic(b));
        }
        ExtendedStatistic::parse(s).map(StatSpec::Extended)
    }

    fn needs_values(&self) -> bool {
        matches!(self, StatSpec::Extended(_))
    }

    /// The statistic of bucket `k`, if defined.
    fn value(&self, b: &Buckets, k: usize) -> Option<f64> {
        let a = b.aggs()[k];
        if a.is_empty() {
            return None;
        }
        match self {
            StatSpec::Basic(s) => Some(a.statistic(*s)),
            StatSpec::Extended(e) => b.extended(e, k),
        }
    }
}

/// The grid a query at `period_s` uses for the request's window (StartTime rounded by age).
fn plan_for(req: &GetMetricData, period_s: i64, now_ms: i64) -> Result<Plan> {
    let probe = StatisticsQuery {
        key: MetricKey::new("", "", Vec::new()),
        start_ms: req.start_ms,
        end_ms: req.end_ms,
        period_s,
        statistics: Vec::new(),
        extended_statistics: Vec::new(),
        unit: None,
    };
    query::plan_unlimited(&probe, now_ms)
}

fn grid_of(p: Plan) -> Grid {
    Grid { start_ms: p.start, end_ms: p.end, period_s: p.period / 1000 }
}

/// Series of one metric at one statistic: picks one unit when several have data.
fn metric_series(
    src: &dyn MetricSource,
    key: &MetricKey,
    plan: Plan,
    stat: &StatSpec,
    unit: Option<Unit>,
    label: String,
) -> Result<(TimeSeries, Vec<Message>)> {
    let by_unit = src.buckets(key, plan, unit, stat.needs_values())?;
    let with_data: Vec<&(Unit, Buckets)> =
        by_unit.iter().filter(|(_, b)| b.aggs().iter().any(|a| !a.is_empty())).collect();
    let mut messages = Vec::new();
    let chosen = if with_data.len() > 1 {
        let mut names: Vec<&str> = with_data.iter().map(|(u, _)| u.as_str()).collect();
        names.sort_unstable();
        messages.push(Message {
            code: "MultipleUnits".into(),
            value: format!("Multiple units returned: '[{}]'", names.join(", ")),
        });
        with_data.iter().min_by_key(|(u, _)| u.as_str()).copied()
    } else {
        with_data.first().copied()
    };
    let mut ts = TimeSeries { label, ..TimeSeries::default() };
    if let Some((_, b)) = chosen {
        for k in 0..b.aggs().len() {
            if let Some(v) = stat.value(b, k) {
                ts.timestamps.push(plan.start + k as i64 * plan.period);
                ts.values.push(v);
            }
        }
    }
    Ok((ts, messages))
}

/// One query's outcome.
#[derive(Debug, Clone)]
struct Computed {
    value: Value,
    messages: Vec<Message>,
}

struct Ctx<'a> {
    src: &'a dyn MetricSource,
    req: &'a GetMetricData,
    grid: Grid,
    done: &'a HashMap<String, Computed>,
    metric_stat_ids: &'a [String],
    now_ms: i64,
}

impl MathContext for Ctx<'_> {
    fn grid(&self) -> Grid {
        self.grid
    }

    fn lookup(&self, id: &str) -> Option<Value> {
        self.done.get(id).map(|c| c.value.clone())
    }

    fn metrics(&self, filter: Option<&str>) -> Vec<TimeSeries> {
        let mut out = Vec::new();
        for id in self.metric_stat_ids {
            if filter.is_some_and(|f| !id.contains(f)) {
                continue;
            }
            if let Some(Computed { value: Value::Series(s), .. }) = self.done.get(id) {
                out.push(s.clone());
            }
        }
        out
    }

    fn search(&self, q: &SearchQuery, stat: &str, period_s: i64) -> std::result::Result<Vec<TimeSeries>, MathError> {
        let spec = StatSpec::parse(stat)
            .map_err(|m| MathError::Search { column: 1, message: format!("invalid statistic {stat:?}: {m}") })?;
        let plan = plan_for(self.req, period_s, self.now_ms).map_err(|e| MathError::Engine(Box::new(e)))?;
        let mut keys = Vec::new();
        let namespaces = q.namespaces();
        let mut filter = |m: &MetricKey| q.matches(m);
        match namespaces {
            Some(list) => {
                for ns in list {
                    keys.extend(self.src.metrics(Some(&ns), &mut filter, MAX_SCANNED_METRICS));
                }
            }
            None => keys = self.src.metrics(None, &mut filter, MAX_SCANNED_METRICS),
        }
        keys.truncate(MAX_SEARCH_SERIES);
        let series = parallel_map(&keys, |key| {
            metric_series(self.src, key, plan, &spec, None, search_label(key)).map(|(s, _)| s)
        })
        .map_err(|e| MathError::Engine(Box::new(e)))?;
        Ok(series.into_iter().filter(|s| !s.timestamps.is_empty()).collect())
    }

    fn period_of(&self, id: &str) -> Option<i64> {
        self.req.queries.iter().find(|q| q.id == id).and_then(|q| match &q.kind {
            QueryKind::MetricStat { period_s, .. } => Some(*period_s),
            QueryKind::Expression(_) => None,
        })
    }
}

/// AWS labels SEARCH results by their dimension values (the metric name when there are none).
fn search_label(key: &MetricKey) -> String {
    if key.dimensions.is_empty() {
        key.metric_name.clone()
    } else {
        key.dimensions.iter().map(|d| d.value.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// Runs `f` over `items` on the engine's query pool, keeping order; small inputs run inline.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Result<R> + Sync) -> Result<Vec<R>> {
    use rayon::prelude::*;
    if items.len() < 4 {
        return items.iter().map(&f).collect();
    }
    items.par_iter().map(&f).collect()
}

struct InsightsAdapter<'a> {
    src: &'a dyn MetricSource,
}

impl InsightsSource for InsightsAdapter<'_> {
    fn metrics(&self, namespace: &str, metric_name: &str) -> Vec<MetricKey> {
        // No cap here: the executor applies the 10,000-metric cap after SCHEMA and WHERE, and
        // reports it.
        self.src.metrics(Some(namespace), &mut |m| m.metric_name == metric_name, usize::MAX)
    }

    fn aggregates(&self, keys: &[MetricKey], grid: Grid) -> Result<Vec<Vec<crate::metrics::frame::PeriodAgg>>> {
        let plan = Plan { start: grid.start_ms, end: grid.end_ms, period: grid.period_ms(), buckets: grid.len() };
        parallel_map(keys, |key| {
            let by_unit = self.src.buckets(key, plan, None, false)?;
            let mut aggs = vec![crate::metrics::frame::PeriodAgg::default(); plan.buckets];
            for (_, b) in &by_unit {
                for (a, x) in aggs.iter_mut().zip(b.aggs()) {
                    a.merge(x);
                }
            }
            Ok(aggs)
        })
    }
}

fn expression_error(id: &str, detail: impl std::fmt::Display) -> Error {
    Error::invalid(InvalidCode::InvalidParameterValue, format!("Error in expression {id}: {detail}"))
}

/// A math failure: storage errors pass through, everything else is the caller's expression.
fn math_error(id: &str, e: MathError) -> Error {
    match e {
        MathError::Engine(inner) => *inner,
        other => Error::invalid(InvalidCode::InvalidParameterValue, other.validation_message(id)),
    }
}

/// Executes a request against `src`.
pub(crate) fn execute(src: &dyn MetricSource, req: &GetMetricData) -> Result<GetMetricDataResult> {
    validate_request(req)?;
    let now = src.now_ms();
    let default_period = req
        .queries
        .iter()
        .find_map(|q| match &q.kind {
            QueryKind::MetricStat { period_s, .. } => Some(*period_s),
            QueryKind::Expression(_) => None,
        })
        .unwrap_or(60);

    // Parse every expression first: syntax errors fail the request, naming the query.
    enum Parsed {
        Stat(StatSpec),
        Math(math::Expr),
        Insights(insights::InsightsQuery),
    }
    let mut parsed = Vec::with_capacity(req.queries.len());
    for (i, q) in req.queries.iter().enumerate() {
        parsed.push(match &q.kind {
            QueryKind::MetricStat { stat, .. } => Parsed::Stat(StatSpec::parse(stat).map_err(|m| {
                Error::invalid(
                    InvalidCode::InvalidParameterValue,
                    format!(
                        "The value {stat} for parameter MetricDataQueries.member.{}.MetricStat.Stat is invalid. {m}",
                        i + 1
                    ),
                )
            })?),
            QueryKind::Expression(e) if super::is_insights(e) => {
                Parsed::Insights(insights::parse(e).map_err(|err| expression_error(&q.id, err))?)
            }
            QueryKind::Expression(e) => Parsed::Math(math::parse(e).map_err(|err| math_error(&q.id, err))?),
        });
    }

    // MetricStat queries (independent, in parallel), then expressions in dependency order.
    let metric_stat_ids: Vec<String> =
        req.queries.iter().filter(|q| matches!(q.kind, QueryKind::MetricStat { .. })).map(|q| q.id.clone()).collect();
    let mut done: HashMap<String, Computed> = HashMap::new();
    let stat_idx: Vec<usize> = (0..req.queries.len()).filter(|&i| matches!(parsed[i], Parsed::Stat(_))).collect();
    let stats = parallel_map(&stat_idx, |&i| {
        let q = &req.queries[i];
        let (QueryKind::MetricStat { metric, period_s, unit, .. }, Parsed::Stat(spec)) = (&q.kind, &parsed[i]) else {
            unreachable!("filtered to MetricStat queries above")
        };
        let mut key = metric.clone();
        key.normalize();
        let plan = plan_for(req, *period_s, now)?;
        let label = q.label.clone().unwrap_or_else(|| key.metric_name.clone());
        metric_series(src, &key, plan, spec, *unit, label)
    })?;
    for (&i, (series, messages)) in stat_idx.iter().zip(stats) {
        done.insert(req.queries[i].id.clone(), Computed { value: Value::Series(series), messages });
    }

    let mut pending: Vec<usize> = (0..req.queries.len()).filter(|i| !matches!(parsed[*i], Parsed::Stat(_))).collect();
    while !pending.is_empty() {
        let ready = pending.iter().position(|&i| match &parsed[i] {
            Parsed::Math(e) => math::references(e).iter().all(|r| done.contains_key(r.as_str())),
            _ => true,
        });
        let Some(pos) = ready else {
            let i = pending[0];
            let Parsed::Math(e) = &parsed[i] else { unreachable!("only math waits") };
            let missing: Vec<String> =
                math::references(e).into_iter().filter(|r| !done.contains_key(r.as_str())).collect();
            let unknown: Vec<&String> = missing.iter().filter(|r| !req.queries.iter().any(|q| q.id == **r)).collect();
            let detail = if unknown.is_empty() {
                format!("circular reference through {}", missing.join(", "))
            } else {
                format!("unknown metric id {}", unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            };
            return Err(expression_error(&req.queries[i].id, detail));
        };
        let i = pending.remove(pos);
        let q = &req.queries[i];
        let period = q.period_s.unwrap_or(default_period);
        let grid = grid_of(plan_for(req, period, now)?);
        let computed = match &parsed[i] {
            Parsed::Insights(iq) => {
                let r =
                    insights::execute_with_messages(iq, &InsightsAdapter { src }, grid).map_err(|err| match err {
                        insights::InsightsError::Source(e) => e,
                        other => expression_error(&q.id, other),
                    })?;
                let messages = r
                    .messages
                    .into_iter()
                    .map(|m| Message { code: m.code().into(), value: m.value().into() })
                    .collect();
                Computed { value: Value::Array(r.series), messages }
            }
            Parsed::Math(e) => {
                let ctx = Ctx { src, req, grid, done: &done, metric_stat_ids: &metric_stat_ids, now_ms: now };
                let v = math::evaluate(e, &ctx).map_err(|err| math_error(&q.id, err))?;
                if matches!(v, Value::Scalar(_)) {
                    return Err(math_error(&q.id, MathError::ScalarResult));
                }
                Computed { value: v, messages: Vec::new() }
            }
            Parsed::Stat(_) => unreachable!("MetricStat queries are done"),
        };
        done.insert(q.id.clone(), computed);
    }

    // Results of ReturnData queries in request order; arrays give one result per series.
    let mut results = Vec::new();
    for q in req.queries.iter().filter(|q| q.return_data) {
        let c = &done[q.id.as_str()];
        let series = match (&q.kind, &c.value) {
            // A MetricStat series is already labelled (its Label or the metric name).
            (QueryKind::MetricStat { .. }, Value::Series(s)) => vec![s.clone()],
            (_, v) => math::finalize(v.clone(), &q.id, q.label.as_deref()).map_err(|e| math_error(&q.id, e))?,
        };
        for s in series {
            let label = if s.label.is_empty() { q.label.clone().unwrap_or_else(|| q.id.clone()) } else { s.label };
            let (mut timestamps, mut values) = (s.timestamps, s.values);
            if req.scan_by == ScanBy::TimestampDescending {
                timestamps.reverse();
                values.reverse();
            }
            results.push(MetricDataResult {
                id: q.id.clone(),
                label,
                timestamps,
                values,
                status_code: StatusCode::Complete,
                messages: c.messages.clone(),
            });
        }
    }
    let max = req.max_datapoints.unwrap_or(MAX_DATAPOINTS);
    let next_token = paginate(&mut results, req.next_token.as_deref(), max)?;
    Ok(GetMetricDataResult { results, next_token, messages: Vec::new() })
}
