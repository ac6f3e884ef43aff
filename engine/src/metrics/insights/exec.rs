//! Executing a parsed query over an [`InsightsSource`].
//!
//! Plan:
//! 1. **Select**: the source lists the metrics of `namespace`/`metric_name`; `SCHEMA` and
//!    `WHERE` filter them; past [`MAX_METRICS`] only the smallest keys are kept (AWS processes
//!    "the first 10,000 … it finds"; smallest makes "first" deterministic). Otherwise the
//!    source's order is kept (no O(n log n) key sort on the hot path): a source that lists in a
//!    stable order gets bit-identical floating-point sums from run to run.
//! 2. **Group**: metrics are ordered by their `GROUP BY` values (alphabetical, in the order the
//!    keys are written; a missing key is the null group `Other`), so each group is a contiguous
//!    run of keys and fetch batches are plain slices.
//! 3. **Fetch and merge**: per-bucket [`PeriodAgg`]s are fetched in batches of at most
//!    `Budget::fetch` aggregates per source call (the source parallelises within a call) and
//!    merged into one accumulator row per group. No sample is touched here.
//! 4. **Rank and cap**:
//!    - no `GROUP BY`: one series;
//!    - `GROUP BY` without `ORDER BY`: groups in alphabetical order, the first `LIMIT` (default
//!      500) that have data; groups are fetched in growing chunks and fetching stops once
//!      enough are found;
//!    - `ORDER BY FUNC()`: every group with data is ranked by `FUNC` over all its observations in
//!      the window (ties keep alphabetical order), and the first `LIMIT` kept. If holding every
//!      group's buckets would exceed `Budget::acc`, a first pass fetches one whole-window bucket
//!      per metric to rank, and a second fetches buckets only for the groups kept.

use std::ops::Range;

use super::super::frame::{Grid, PeriodAgg, TimeSeries};
use super::super::model::MetricKey;
use super::ast::{Function, InsightsQuery, OrderBy};
use super::{InsightsError, MAX_METRICS, MAX_SERIES, OTHER_GROUP};

/// What Metrics Insights reads: the metric index and per-period partial aggregates. The
/// storage layer implements it (snapshot, rollup tier choice, parallel decoding).
pub(crate) trait InsightsSource {
    /// Metrics of the caller in `namespace` named `metric_name` (all dimension sets).
    fn metrics(&self, namespace: &str, metric_name: &str) -> Vec<MetricKey>;

    /// Per-bucket partial aggregates of each metric over `grid`: one `Vec<PeriodAgg>` of
    /// `grid.len()` per key, in the order of `keys`; empty buckets have count 0. The
    /// implementation may parallelise across keys. It must answer exactly for any grid (the
    /// executor may ask for a one-bucket grid spanning the whole window).
    fn aggregates(&self, keys: &[MetricKey], grid: Grid) -> Result<Vec<Vec<PeriodAgg>>, crate::error::Error>;
}

/// A notice that goes with a (still successful) result, as GetMetricData's `Messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InsightsMessage {
    /// More than [`MAX_METRICS`] metrics matched; only the first (in key order) were processed.
    MaxMatchingResultsExceeded,
    /// Without `LIMIT`, more than [`MAX_SERIES`] groups had data; only 500 are returned.
    MaxQueryResultsExceeded,
}

impl InsightsMessage {
    /// The message `Code` (the codes AWS uses for these two limits).
    pub(crate) fn code(self) -> &'static str {
        match self {
            InsightsMessage::MaxMatchingResultsExceeded => "MaxMatchingResultsExceeded",
            InsightsMessage::MaxQueryResultsExceeded => "MaxQueryResultsExceeded",
        }
    }

    /// The message `Value` (Stratus' wording; AWS's exact text is not documented).
    pub(crate) fn value(self) -> &'static str {
        match self {
            InsightsMessage::MaxMatchingResultsExceeded => {
                "The query matched more than 10,000 metrics; only the first 10,000 were processed."
            }
            InsightsMessage::MaxQueryResultsExceeded => "Only the first 500 time series can be returned by a query.",
        }
    }
}

/// The series of a query (ascending bucket timestamps, empty buckets absent) and its notices.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct InsightsResult {
    /// Without `GROUP BY`: exactly one series, label `""` (GetMetricData supplies the query's
    /// label). With it: one per group, labelled by its values joined by a space.
    pub(crate) series: Vec<TimeSeries>,
    pub(crate) messages: Vec<InsightsMessage>,
}

/// Memory bounds, in [`PeriodAgg`]s (32 bytes each).
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    /// Most aggregates one source call returns (32 MiB by default).
    pub(super) fetch: usize,
    /// Most accumulator buckets held for groups that may not be returned (128 MiB).
    pub(super) acc: usize,
}

const DEFAULT_BUDGET: Budget = Budget { fetch: 1 << 20, acc: 1 << 22 };

/// Runs `q` over `src` on `grid`: the series only (tests; GetMetricData uses
/// [`execute_with_messages`], whose notices belong in the result's `Messages`).
#[cfg(test)]
pub(crate) fn execute(
    q: &InsightsQuery,
    src: &dyn InsightsSource,
    grid: Grid,
) -> Result<Vec<TimeSeries>, InsightsError> {
    execute_with_messages(q, src, grid).map(|r| r.series)
}

/// Runs `q` over `src` on `grid`: the series and the notices that go with them.
pub(crate) fn execute_with_messages(
    q: &InsightsQuery,
    src: &dyn InsightsSource,
    grid: Grid,
) -> Result<InsightsResult, InsightsError> {
    execute_with(q, src, grid, DEFAULT_BUDGET)
}

pub(super) fn execute_with(
    q: &InsightsQuery,
    src: &dyn InsightsSource,
    grid: Grid,
    budget: Budget,
) -> Result<InsightsResult, InsightsError> {
    if grid.period_s <= 0 {
        return Err(InsightsError::InvalidPeriod { period_s: grid.period_s });
    }
    let mut messages = Vec::new();
    let mut keys = src.metrics(&q.from.namespace, &q.metric_name);
    keys.retain(|k| selects(q, k));
    if keys.len() > MAX_METRICS {
        keys.select_nth_unstable(MAX_METRICS);
        keys.truncate(MAX_METRICS);
        messages.push(InsightsMessage::MaxMatchingResultsExceeded);
    }
    let (keys, groups) = group(keys, &q.group_by);
    if grid.len() == 0 {
        // An empty window: no data, so no groups; the ungrouped query still has its series.
        let series = if q.group_by.is_empty() { vec![TimeSeries::default()] } else { Vec::new() };
        return Ok(InsightsResult { series, messages });
    }
    let run = Run { q, src, grid, budget, keys: &keys, buckets: grid.len() };

    let (series, exceeded) = if q.group_by.is_empty() {
        let mut acc = vec![vec![PeriodAgg::default(); run.buckets]];
        run.accumulate(grid, &[(0, 0..keys.len())], &mut acc)?;
        (vec![to_series(String::new(), &acc[0], grid, q.function)], false)
    } else if let Some(order) = q.order_by {
        run.ranked(&groups, order)?
    } else {
        run.streamed(&groups)?
    };
    if exceeded {
        messages.push(InsightsMessage::MaxQueryResultsExceeded);
    }
    Ok(InsightsResult { series, messages })
}

/// Whether `k` passes `FROM` (namespace, metric name, exact `SCHEMA`) and `WHERE`.
fn selects(q: &InsightsQuery, k: &MetricKey) -> bool {
    k.namespace == q.from.namespace
        && k.metric_name == q.metric_name
        && q.from
            .schema
            .as_ref()
            // Schema keys are deduplicated and dimension names unique, so equal counts plus
            // every key present is set equality.
            .is_none_or(|s| k.dimensions.len() == s.len() && s.iter().all(|n| dim(k, n).is_some()))
        && q.filter.as_ref().is_none_or(|f| f.matches(&|name| dim(k, name)))
}

fn dim<'k>(k: &'k MetricKey, name: &str) -> Option<&'k str> {
    k.dimensions.iter().find(|d| d.name == name).map(|d| d.value.as_str())
}

/// Metrics sharing one tuple of `GROUP BY` values: `keys[range]` after [`group`].
#[derive(Debug)]
struct Group {
    /// One per `GROUP BY` key; `None` = the metric lacks it (the `Other` group).
    values: Vec<Option<String>>,
    range: Range<usize>,
}

impl Group {
    fn label(&self) -> String {
        let parts: Vec<&str> = self.values.iter().map(|v| v.as_deref().unwrap_or(OTHER_GROUP)).collect();
        parts.join(" ")
    }
}

/// Orders `keys` by group (alphabetically by values; stable, so each group keeps the order the
/// keys came in) and cuts them into groups.
fn group(keys: Vec<MetricKey>, by: &[String]) -> (Vec<MetricKey>, Vec<Group>) {
    let n = keys.len();
    if by.is_empty() {
        return (keys, vec![Group { values: Vec::new(), range: 0..n }]);
    }
    let w = by.len();
    let mut perm: Vec<usize> = (0..n).collect();
    let mut groups = Vec::new();
    {
        let flat: Vec<Option<&str>> = keys.iter().flat_map(|k| by.iter().map(move |b| dim(k, b))).collect();
        let row = |i: usize| &flat[i * w..(i + 1) * w];
        perm.sort_by(|&a, &b| cmp_rows(row(a), row(b)));
        let mut start = 0;
        for pos in 1..=n {
            if pos == n || row(perm[pos]) != row(perm[start]) {
                let values = row(perm[start]).iter().map(|v| v.map(str::to_owned)).collect();
                groups.push(Group { values, range: start..pos });
                start = pos;
            }
        }
    }
    let mut rank = vec![0; n];
    for (pos, &i) in perm.iter().enumerate() {
        rank[i] = pos;
    }
    let mut tagged: Vec<(usize, MetricKey)> = rank.into_iter().zip(keys).collect();
    tagged.sort_unstable_by_key(|t| t.0);
    (tagged.into_iter().map(|t| t.1).collect(), groups)
}

/// Alphabetical by displayed value (`Other` for a missing key), the null group after a real
/// value spelled `Other`.
fn cmp_rows(a: &[Option<&str>], b: &[Option<&str>]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.unwrap_or(OTHER_GROUP).cmp(y.unwrap_or(OTHER_GROUP)).then(x.is_none().cmp(&y.is_none())))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

fn apply(f: Function, a: &PeriodAgg) -> f64 {
    match f {
        Function::Avg => a.sum / a.count,
        Function::Count => a.count,
        Function::Max => a.max,
        Function::Min => a.min,
        Function::Sum => a.sum,
    }
}

fn window(acc: &[PeriodAgg]) -> PeriodAgg {
    acc.iter().fold(PeriodAgg::default(), |mut w, a| {
        w.merge(a);
        w
    })
}

fn to_series(label: String, acc: &[PeriodAgg], grid: Grid, f: Function) -> TimeSeries {
    let mut s = TimeSeries { label, ..TimeSeries::default() };
    for (k, a) in acc.iter().enumerate().filter(|(_, a)| !a.is_empty()) {
        s.timestamps.push(grid.time(k));
        s.values.push(apply(f, a));
    }
    s
}

/// One execution's context.
struct Run<'r> {
    q: &'r InsightsQuery,
    src: &'r dyn InsightsSource,
    grid: Grid,
    budget: Budget,
    keys: &'r [MetricKey],
    buckets: usize,
}

impl Run<'_> {
    fn limit(&self) -> usize {
        self.q.limit.unwrap_or(MAX_SERIES)
    }

    /// `ORDER BY`: rank every group with data by `order.function` over the window.
    fn ranked(&self, groups: &[Group], order: OrderBy) -> Result<(Vec<TimeSeries>, bool), InsightsError> {
        let limit = self.limit();
        let all: Vec<(usize, Range<usize>)> = groups.iter().enumerate().map(|(i, g)| (i, g.range.clone())).collect();
        let single_pass = groups.len() <= limit || groups.len().saturating_mul(self.buckets) <= self.budget.acc;
        let (totals, accs) = if single_pass {
            let mut accs = vec![vec![PeriodAgg::default(); self.buckets]; groups.len()];
            self.accumulate(self.grid, &all, &mut accs)?;
            (accs.iter().map(|a| window(a)).collect::<Vec<_>>(), Some(accs))
        } else {
            // One bucket spanning exactly the grid's buckets (same start, same end).
            let whole = Grid { period_s: self.grid.period_s.saturating_mul(self.buckets as i64), ..self.grid };
            let mut totals = vec![vec![PeriodAgg::default(); 1]; groups.len()];
            self.accumulate(whole, &all, &mut totals)?;
            (totals.into_iter().map(|t| t[0]).collect(), None)
        };

        let mut ranked: Vec<usize> = (0..groups.len()).filter(|&i| !totals[i].is_empty()).collect();
        let value = |i: usize| apply(order.function, &totals[i]);
        // Stable: ties keep the alphabetical order of `groups`.
        ranked.sort_by(|&a, &b| {
            let o = value(a).total_cmp(&value(b));
            if order.descending { o.reverse() } else { o }
        });
        let exceeded = self.q.limit.is_none() && ranked.len() > limit;
        ranked.truncate(limit);

        let accs = match accs {
            Some(accs) => accs,
            None => {
                // Second pass: buckets for the kept groups only, fetched in key order.
                let mut segs: Vec<(usize, Range<usize>)> =
                    ranked.iter().map(|&i| (i, groups[i].range.clone())).collect();
                segs.sort_unstable_by_key(|s| s.1.start);
                let mut accs = vec![Vec::new(); groups.len()];
                for &i in &ranked {
                    accs[i] = vec![PeriodAgg::default(); self.buckets];
                }
                self.accumulate(self.grid, &segs, &mut accs)?;
                accs
            }
        };
        let series =
            ranked.iter().map(|&i| to_series(groups[i].label(), &accs[i], self.grid, self.q.function)).collect();
        Ok((series, exceeded))
    }

    /// No `ORDER BY`: the first `LIMIT` groups with data, in alphabetical order. Chunks start
    /// at the number still needed and double, so few groups are fetched beyond those returned.
    fn streamed(&self, groups: &[Group]) -> Result<(Vec<TimeSeries>, bool), InsightsError> {
        let limit = self.limit();
        let max_chunk = (self.budget.acc / self.buckets.max(1)).max(1);
        let mut out = Vec::new();
        let mut next = 0;
        let mut chunk = limit;
        while next < groups.len() && out.len() < limit {
            let end = groups.len().min(next + chunk.min(max_chunk));
            let segs: Vec<(usize, Range<usize>)> = (next..end).map(|i| (i - next, groups[i].range.clone())).collect();
            let mut accs = vec![vec![PeriodAgg::default(); self.buckets]; end - next];
            self.accumulate(self.grid, &segs, &mut accs)?;
            for (g, acc) in groups[next..end].iter().zip(&accs) {
                if out.len() < limit && acc.iter().any(|a| !a.is_empty()) {
                    out.push(to_series(g.label(), acc, self.grid, self.q.function));
                }
            }
            next = end;
            chunk = chunk.saturating_mul(2);
        }
        // Groups left unfetched may all be empty; reporting the cap then is the cheap side of
        // the trade (checking would fetch them).
        let exceeded = self.q.limit.is_none() && out.len() == limit && next < groups.len();
        Ok((out, exceeded))
    }

    /// Merges the aggregates of `keys[range]` on `grid` into `accs[slot]` for each
    /// `(slot, range)` of `segs` (ranges ascending, disjoint; rows of `grid.len()`).
    fn accumulate(
        &self,
        grid: Grid,
        segs: &[(usize, Range<usize>)],
        accs: &mut [Vec<PeriodAgg>],
    ) -> Result<(), InsightsError> {
        let per_call = (self.budget.fetch / grid.len().max(1)).max(1);
        let mut batch: Vec<(usize, Range<usize>)> = Vec::new();
        let mut batch_len = 0;
        for (slot, range) in segs {
            let mut r = range.clone();
            while !r.is_empty() {
                let take = (per_call - batch_len).min(r.len());
                batch.push((*slot, r.start..r.start + take));
                batch_len += take;
                r.start += take;
                if batch_len == per_call {
                    self.fetch(grid, &batch, accs)?;
                    batch.clear();
                    batch_len = 0;
                }
            }
        }
        if batch_len > 0 {
            self.fetch(grid, &batch, accs)?;
        }
        Ok(())
    }

    /// One source call for `batch`; a slice of `keys` when the ranges touch, a copy otherwise.
    fn fetch(
        &self,
        grid: Grid,
        batch: &[(usize, Range<usize>)],
        accs: &mut [Vec<PeriodAgg>],
    ) -> Result<(), InsightsError> {
        let contiguous = batch.windows(2).all(|w| w[0].1.end == w[1].1.start);
        let gathered: Vec<MetricKey>;
        let keys: &[MetricKey] = match (batch.first(), batch.last()) {
            (Some(first), Some(last)) if contiguous => &self.keys[first.1.start..last.1.end],
            _ => {
                gathered = batch.iter().flat_map(|(_, r)| self.keys[r.clone()].iter().cloned()).collect();
                &gathered
            }
        };
        let rows = self.src.aggregates(keys, grid).map_err(InsightsError::Source)?;
        let buckets = grid.len();
        if rows.len() != keys.len() || rows.iter().any(|r| r.len() != buckets) {
            let got = rows.iter().map(Vec::len).sum();
            return Err(InsightsError::SourceShape { expected: keys.len() * buckets, got });
        }
        let mut rows = rows.iter();
        for (slot, r) in batch {
            let acc = &mut accs[*slot];
            for row in rows.by_ref().take(r.len()) {
                for (a, p) in acc.iter_mut().zip(row) {
                    a.merge(p);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
