//! q1–q4 of `spec/benchmarks.md`: for each query (and, on Stratus, each form of asking it),
//! 2 warm-ups then 20 measured runs, each on a seeded host/window
//! ([`Workload::query_windows`]); the median client round trip is reported, one JSON line per
//! query and form. Every answer is checked against the generator ([`Truth`]).
//!
//! | query | Stratus (gRPC) | VictoriaMetrics (`/api/v1/query_range`, step = period) |
//! |---|---|---|
//! | q1 | `GetMetricStatistics` Maximum, period 60 | `max_over_time(…[1m])` |
//! | q2 | `GetMetricData`, 10 `MetricStat` (Maximum, 3600) | `max_over_time({__name__=~"cpu_usage_.*",…}[1h])` |
//! | q3 | Insights `SELECT AVG(usage_user) FROM ns`, or `AVG(SEARCH(…, 'Average', 3600))` | `avg(avg_over_time(…[1h]))` |
//! | q4 | Insights `… GROUP BY hostname`, or `SEARCH(…, 'Average', 3600)` | `avg by (hostname) (avg_over_time(…[1h]))` |
//!
//! AWS caps a Metrics Insights query and a SEARCH at 500 series. Above 500 hosts the per-host
//! forms are split by the `team` tag (4 values, ~¼ of the hosts each): q4 `search` sends one
//! request with one SEARCH per team; q4 `insights` sends one request per team (Insights is
//! allowed once per request) concurrently on the one HTTP/2 connection, and the round trip is
//! until the last answer; q3 `search` averages the per-team SEARCHes: `AVG([t0, t1, …])`.
//!
//! Checking: Stratus buckets are `[t, t+period)` from the window start (minute-aligned), with
//! the bucket start as timestamp; VictoriaMetrics evaluates at `t` over `(t-period, t]`, at the
//! ends of the same buckets. Maxima from Stratus must be bit-exact (it claims losslessness);
//! everything else within 1e-9 relative (averages depend on summation order; VictoriaMetrics
//! keeps ~12 significant digits).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use stratus_bench::{FIELDS, Host, QueryKind, QueryWindow, TAG_KEYS, Workload};
use stratus_proto::v1::{Dimension, Metric, MetricDataQuery, MetricDataResult, MetricStat};

use crate::ingest::{Latency, round3};
use crate::stratus::StratusConn;
use crate::vm::VmConn;
use crate::{QueryArgs, Target};

/// Most series one Metrics Insights query or one SEARCH returns (AWS's limit, Stratus' too).
pub(crate) const MAX_SERIES: usize = 500;

/// One answered series: `key` is the field (q1, q2), the hostname (q4) or `""` (q3).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Series {
    pub(crate) key: String,
    /// VictoriaMetrics labels (empty for Stratus).
    pub(crate) labels: BTreeMap<String, String>,
    /// (timestamp ms, value), in time order.
    pub(crate) points: Vec<(i64, f64)>,
}

/// How Stratus is asked q3 / q4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Form {
    /// Metrics Insights `SELECT AVG(usage_user) FROM ns [GROUP BY hostname]`.
    Insights,
    /// `SEARCH('{ns,dims…} MetricName="usage_user"', 'Average', 3600)` (`AVG(…)` of it for q3).
    Search,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Insights => "insights",
            Form::Search => "search",
        }
    }
}

#[derive(Debug, Serialize)]
struct QuerySummary {
    query: &'static str,
    form: &'static str,
    target: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    median_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p90_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_ms: Option<f64>,
    runs: usize,
    warmups: usize,
    /// Requests per run (more than one only for split Insights queries).
    requests: usize,
    mean_series: f64,
    mean_points: f64,
    verified: bool,
    /// Distinct server `Messages`, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

enum Conn {
    Stratus(StratusConn),
    Vm(VmConn),
}

pub(crate) async fn run(a: QueryArgs) -> Result<()> {
    let workload = a.workload.workload(a.shape);
    if a.runs == 0 {
        bail!("need at least one run");
    }
    let target = a.workload.target;
    let endpoint = &a.workload.endpoint;
    let mut conn = match target {
        Target::Stratus => Conn::Stratus(StratusConn::connect(endpoint).await?),
        Target::Vm => Conn::Vm(VmConn::new(endpoint)?),
    };
    let mut truth = Truth::new(&workload);
    let mut failed = Vec::new();
    for &q in &a.queries {
        let forms: Vec<Option<Form>> = match (target, q) {
            (Target::Stratus, QueryKind::Q3 | QueryKind::Q4) => a.forms.iter().copied().map(Some).collect(),
            _ => vec![None],
        };
        for form in forms {
            let summary = run_one(&a, &workload, &mut conn, &mut truth, q, form).await;
            if let Some(e) = &summary.error {
                failed.push(format!("{} {}: {e}", q.name(), summary.form));
            }
            println!("{}", serde_json::to_string(&summary)?);
        }
    }
    if !failed.is_empty() {
        bail!("{} query form(s) failed:\n  {}", failed.len(), failed.join("\n  "));
    }
    Ok(())
}

async fn run_one(
    a: &QueryArgs,
    workload: &Workload,
    conn: &mut Conn,
    truth: &mut Truth<'_>,
    q: QueryKind,
    form: Option<Form>,
) -> QuerySummary {
    let target = a.workload.target;
    let form_name = match (target, q, form) {
        (_, _, Some(f)) => f.name(),
        (Target::Stratus, QueryKind::Q1, None) => "GetMetricStatistics",
        (Target::Stratus, _, None) => "MetricStat",
        (Target::Vm, _, _) => "MetricsQL",
    };
    let mut summary = QuerySummary {
        query: q.name(),
        form: form_name,
        target: target.name(),
        median_ms: None,
        p90_ms: None,
        min_ms: None,
        max_ms: None,
        runs: a.runs,
        warmups: a.warmups,
        requests: 1,
        mean_series: 0.0,
        mean_points: 0.0,
        verified: !a.no_verify,
        messages: Vec::new(),
        error: None,
    };
    let windows = workload.query_windows(q, a.query_seed, a.warmups + a.runs);
    if windows.is_empty() {
        summary.error = Some(format!("{q} needs at least one host and {} h of data", q.window_ms() / 3_600_000));
        return summary;
    }
    let plan = match (&*conn, form) {
        (Conn::Stratus(_), _) => match StratusPlan::new(q, form, &a.workload.namespace, workload) {
            Ok(p) => Some(p),
            Err(e) => {
                summary.error = Some(format!("{e:#}"));
                return summary;
            }
        },
        (Conn::Vm(_), _) => None,
    };
    if let Some(p) = &plan {
        summary.requests = p.requests_per_run();
    }
    let mut times = Vec::with_capacity(a.runs);
    let (mut series, mut points) = (0usize, 0usize);
    for (i, w) in windows.iter().enumerate() {
        let host = q.per_host().then(|| workload.host(w.host));
        let t0 = Instant::now();
        let answer = match (&mut *conn, &plan) {
            (Conn::Stratus(c), Some(p)) => p.run(c, host.as_ref(), w).await,
            (Conn::Vm(c), _) => c.query(q, host.as_ref(), w).await.map(|s| (s, Vec::new())),
            (Conn::Stratus(_), None) => unreachable!("a Stratus plan is built above"),
        };
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let where_ = match &host {
            Some(h) => format!("{} over [{}, {})", h.hostname(), w.start_ms, w.end_ms),
            None => format!("[{}, {})", w.start_ms, w.end_ms),
        };
        let (answer, messages) = match answer {
            Ok(x) => x,
            Err(e) => {
                summary.error = Some(format!("{where_}: {e:#}"));
                return summary;
            }
        };
        for m in messages {
            if !summary.messages.contains(&m) && summary.messages.len() < 10 {
                summary.messages.push(m);
            }
        }
        if !a.no_verify {
            let expected = truth.expected(q, w, target);
            if let Err(e) = check(&expected, &answer, q, target) {
                summary.error = Some(format!("wrong answer for {where_}: {e}"));
                return summary;
            }
        }
        if i >= a.warmups {
            times.push(ms);
            series += answer.len();
            points += answer.iter().map(|s| s.points.len()).sum::<usize>();
        }
    }
    times.sort_by(f64::total_cmp);
    let lat = Latency::of(times.clone());
    summary.median_ms = Some(round3(median(&times)));
    summary.p90_ms = Some(lat.p90);
    summary.min_ms = Some(round3(times[0]));
    summary.max_ms = Some(lat.max);
    summary.mean_series = series as f64 / a.runs as f64;
    summary.mean_points = points as f64 / a.runs as f64;
    summary
}

/// Median of sorted values (mean of the middle two for an even count).
fn median(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 }
}

// ------------------------------------------------------------------------------------ Stratus

/// What Stratus is sent for one query and form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StratusPlan {
    /// q1: GetMetricStatistics.
    Q1 { namespace: String },
    /// q2: one GetMetricData of 10 MetricStat queries, built per host.
    Q2 { namespace: String },
    /// q3/q4: fixed GetMetricData requests (several only for split Insights), sent concurrently.
    Fixed { q: QueryKind, requests: Vec<Vec<MetricDataQuery>> },
}

impl StratusPlan {
    pub(crate) fn new(q: QueryKind, form: Option<Form>, namespace: &str, workload: &Workload) -> Result<Self> {
        let namespace = namespace.to_owned();
        let form = form.unwrap_or(Form::Insights);
        let teams = if workload.host_count() > MAX_SERIES { Some(team_split(workload)?) } else { None };
        let requests = match (q, form, teams) {
            (QueryKind::Q1, ..) => return Ok(StratusPlan::Q1 { namespace }),
            (QueryKind::Q2, ..) => return Ok(StratusPlan::Q2 { namespace }),
            (QueryKind::Q3, Form::Insights, _) => vec![vec![expression("q3", insights(&namespace, None, false), true)]],
            (QueryKind::Q3, Form::Search, None) => {
                vec![vec![expression("q3", format!("AVG({})", search(&namespace, None)), true)]]
            }
            (QueryKind::Q3, Form::Search, Some(teams)) => {
                let mut qs: Vec<MetricDataQuery> = teams
                    .iter()
                    .enumerate()
                    .map(|(i, t)| expression(&format!("t{i}"), search(&namespace, Some(t)), false))
                    .collect();
                let ids: Vec<String> = (0..teams.len()).map(|i| format!("t{i}")).collect();
                qs.push(expression("q3", format!("AVG([{}])", ids.join(", ")), true));
                vec![qs]
            }
            (QueryKind::Q4, Form::Insights, None) => {
                vec![vec![expression("q4", insights(&namespace, None, true), true)]]
            }
            (QueryKind::Q4, Form::Insights, Some(teams)) => {
                teams.iter().map(|t| vec![expression("q4", insights(&namespace, Some(t), true), true)]).collect()
            }
            (QueryKind::Q4, Form::Search, None) => vec![vec![expression("q4", search(&namespace, None), true)]],
            (QueryKind::Q4, Form::Search, Some(teams)) => vec![
                teams
                    .iter()
                    .enumerate()
                    .map(|(i, t)| expression(&format!("t{i}"), search(&namespace, Some(t)), true))
                    .collect(),
            ],
        };
        Ok(StratusPlan::Fixed { q, requests })
    }

    fn requests_per_run(&self) -> usize {
        match self {
            StratusPlan::Fixed { requests, .. } => requests.len(),
            _ => 1,
        }
    }

    /// Runs the query once; returns the series keyed as [`Series::key`] says, and the server's
    /// messages.
    async fn run(
        &self,
        c: &mut StratusConn,
        host: Option<&Host>,
        w: &QueryWindow,
    ) -> Result<(Vec<Series>, Vec<String>)> {
        match self {
            StratusPlan::Q1 { namespace } => {
                let host = host.context("q1 needs a host")?;
                let points = c.q1(namespace, host, w).await?;
                Ok((vec![Series { key: FIELDS[0].to_owned(), points, ..Series::default() }], Vec::new()))
            }
            StratusPlan::Q2 { namespace } => {
                let host = host.context("q2 needs a host")?;
                let (results, messages) = c.get_metric_data(q2_queries(namespace, host), w).await?;
                let series = results
                    .into_iter()
                    .map(|r| {
                        let field: usize =
                            r.id.strip_prefix('m')
                                .and_then(|i| i.parse().ok())
                                .filter(|&i| i < FIELDS.len())
                                .with_context(|| format!("unexpected result id {:?}", r.id))?;
                        Ok(to_series(FIELDS[field].to_owned(), &r))
                    })
                    .collect::<Result<_>>()?;
                Ok((series, messages))
            }
            StratusPlan::Fixed { q, requests } => {
                let answers = if requests.len() == 1 {
                    vec![c.get_metric_data(requests[0].clone(), w).await?]
                } else {
                    let mut set = tokio::task::JoinSet::new();
                    for (i, r) in requests.iter().enumerate() {
                        let (c, r, w) = (c.clone(), r.clone(), *w);
                        set.spawn(async move { (i, c.get_metric_data(r, &w).await) });
                    }
                    let mut out = vec![None; requests.len()];
                    while let Some(done) = set.join_next().await {
                        let (i, r) = done.context("query task")?;
                        out[i] = Some(r?);
                    }
                    out.into_iter().map(|x| x.context("missing answer")).collect::<Result<_>>()?
                };
                let mut series = Vec::new();
                let mut messages = Vec::new();
                for (results, m) in answers {
                    messages.extend(m);
                    for r in results {
                        let key = match q {
                            QueryKind::Q4 => hostname_in_label(&r.label)
                                .with_context(|| {
                                    format!("result {:?} has no hostname in its label {:?}", r.id, r.label)
                                })?
                                .to_owned(),
                            _ => String::new(),
                        };
                        series.push(to_series(key, &r));
                    }
                }
                Ok((series, messages))
            }
        }
    }
}

/// The 10 dimensions of a host.
fn dimensions(host: &Host) -> Vec<Dimension> {
    host.dimensions().map(|(n, v)| Dimension { name: n.to_owned(), value: v.to_owned() }).collect()
}

/// q2: `m0`…`m9`, Maximum of each field of the host, period 3600.
pub(crate) fn q2_queries(namespace: &str, host: &Host) -> Vec<MetricDataQuery> {
    FIELDS
        .iter()
        .enumerate()
        .map(|(i, field)| MetricDataQuery {
            id: format!("m{i}"),
            metric_stat: Some(MetricStat {
                metric: Some(Metric {
                    namespace: namespace.to_owned(),
                    metric_name: (*field).to_owned(),
                    dimensions: dimensions(host),
                }),
                period: 3600,
                stat: "Maximum".to_owned(),
                unit: String::new(),
            }),
            expression: String::new(),
            label: (*field).to_owned(),
            return_data: None,
            period: 0,
        })
        .collect()
}

fn expression(id: &str, expression: String, return_data: bool) -> MetricDataQuery {
    MetricDataQuery {
        id: id.to_owned(),
        metric_stat: None,
        expression,
        label: String::new(),
        return_data: (!return_data).then_some(false),
        period: 3600,
    }
}

/// `SELECT AVG(usage_user) FROM "ns" [WHERE team = 'T'] [GROUP BY hostname]`.
pub(crate) fn insights(namespace: &str, team: Option<&str>, group: bool) -> String {
    let mut s = format!("SELECT AVG({}) FROM \"{namespace}\"", FIELDS[0]);
    if let Some(t) = team {
        s.push_str(&format!(" WHERE team = '{t}'"));
    }
    if group {
        s.push_str(" GROUP BY hostname");
    }
    s
}

/// `SEARCH('{ns,<the 10 tag keys, sorted>} MetricName="usage_user" [team="T"]', 'Average', 3600)`.
pub(crate) fn search(namespace: &str, team: Option<&str>) -> String {
    let mut keys = TAG_KEYS.to_vec();
    keys.sort_unstable();
    let team = team.map(|t| format!(" team=\"{t}\"")).unwrap_or_default();
    format!("SEARCH('{{{namespace},{}}} MetricName=\"{}\"{team}', 'Average', 3600)", keys.join(","), FIELDS[0])
}

/// The teams of the workload's hosts, sorted, when each has at most [`MAX_SERIES`] hosts.
fn team_split(workload: &Workload) -> Result<Vec<String>> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for h in workload.hosts() {
        *count.entry(h.tags[6].clone()).or_default() += 1;
    }
    if let Some((t, n)) = count.iter().find(|(_, n)| **n > MAX_SERIES) {
        bail!("team {t} has {n} hosts, more than one query can return ({MAX_SERIES})");
    }
    Ok(count.into_keys().collect())
}

/// The `host_N` word of a result label (Insights: the group value; SEARCH: the dimension
/// values joined by spaces).
pub(crate) fn hostname_in_label(label: &str) -> Option<&str> {
    label
        .split(' ')
        .find(|w| w.strip_prefix("host_").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

fn to_series(key: String, r: &MetricDataResult) -> Series {
    let mut points: Vec<(i64, f64)> = r
        .timestamps
        .iter()
        .zip(&r.values)
        .map(|(t, v)| (t.seconds * 1000 + i64::from(t.nanos) / 1_000_000, *v))
        .collect();
    points.sort_by_key(|p| p.0);
    Series { key, points, ..Series::default() }
}

// ------------------------------------------------------------------------------------ checking

/// The generator's answers; series values are generated once and kept.
pub(crate) struct Truth<'a> {
    workload: &'a Workload,
    values: HashMap<(usize, usize), Vec<f64>>,
}

impl<'a> Truth<'a> {
    pub(crate) fn new(workload: &'a Workload) -> Self {
        Truth { workload, values: HashMap::new() }
    }

    fn values(&mut self, host: usize, field: usize) -> &[f64] {
        let w = self.workload;
        self.values.entry((host, field)).or_insert_with(|| w.series_values(host, field))
    }

    /// The expected answer of `q` over `w` as `target` buckets it, keyed as [`Series::key`].
    pub(crate) fn expected(&mut self, q: QueryKind, w: &QueryWindow, target: Target) -> Vec<Series> {
        let period = q.period_ms();
        // (timestamp, [lo, hi)) of each bucket.
        let buckets: Vec<(i64, i64, i64)> = (0..q.buckets() as i64)
            .map(|k| {
                let lo = w.start_ms + k * period;
                match target {
                    Target::Stratus => (lo, lo, lo + period),
                    Target::Vm => (lo + period, lo + 1, lo + period + 1),
                }
            })
            .collect();
        let workload = self.workload;
        let max_of = |truth: &mut Self, host: usize, field: usize, key: String| {
            let values = truth.values(host, field);
            let points = buckets
                .iter()
                .filter_map(|&(t, lo, hi)| {
                    values[workload.point_range(lo, hi)].iter().copied().reduce(f64::max).map(|m| (t, m))
                })
                .collect();
            Series { key, points, ..Series::default() }
        };
        let sums = |values: &[f64]| -> Vec<(f64, usize)> {
            buckets
                .iter()
                .map(|&(_, lo, hi)| {
                    let r = workload.point_range(lo, hi);
                    (values[r.clone()].iter().sum(), r.len())
                })
                .collect()
        };
        let avg_series = |key: String, sums: &[(f64, usize)]| Series {
            key,
            points: buckets.iter().zip(sums).filter(|(_, s)| s.1 > 0).map(|(b, s)| (b.0, s.0 / s.1 as f64)).collect(),
            ..Series::default()
        };
        match q {
            QueryKind::Q1 => vec![max_of(self, w.host, 0, FIELDS[0].to_owned())],
            QueryKind::Q2 => (0..FIELDS.len()).map(|f| max_of(self, w.host, f, FIELDS[f].to_owned())).collect(),
            QueryKind::Q3 => {
                let mut total = vec![(0.0, 0usize); buckets.len()];
                for h in 0..workload.host_count() {
                    for (t, s) in total.iter_mut().zip(sums(self.values(h, 0))) {
                        t.0 += s.0;
                        t.1 += s.1;
                    }
                }
                vec![avg_series(String::new(), &total)]
            }
            QueryKind::Q4 => (0..workload.host_count())
                .map(|h| avg_series(format!("host_{h}"), &sums(self.values(h, 0))))
                .filter(|s| !s.points.is_empty())
                .collect(),
        }
    }
}

/// Compares an answer with the expected series (any order of series): the same keys, and per
/// key the same timestamps and values — maxima from Stratus bit for bit, the rest within 1e-9
/// relative. The error names the first difference and counts the others.
pub(crate) fn check(expected: &[Series], got: &[Series], q: QueryKind, target: Target) -> Result<(), String> {
    let exact = target == Target::Stratus && matches!(q, QueryKind::Q1 | QueryKind::Q2);
    let mut by_key: BTreeMap<&str, &Series> = BTreeMap::new();
    for s in got {
        if by_key.insert(&s.key, s).is_some() {
            return Err(format!("series {:?} returned twice", s.key));
        }
    }
    let missing: Vec<&str> = expected.iter().map(|s| s.key.as_str()).filter(|k| !by_key.contains_key(k)).collect();
    let extra: Vec<&str> = by_key.keys().copied().filter(|k| !expected.iter().any(|e| e.key == *k)).collect();
    if !missing.is_empty() || !extra.is_empty() {
        let show = |v: &[&str]| {
            let mut s = v.iter().take(5).map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ");
            if v.len() > 5 {
                s.push_str(&format!(", … ({} in all)", v.len()));
            }
            s
        };
        return Err(format!(
            "{} series, expected {}; missing: [{}]; unexpected: [{}]",
            got.len(),
            expected.len(),
            show(&missing),
            show(&extra)
        ));
    }
    let mut first = None;
    let mut wrong = 0usize;
    for e in expected {
        let g = by_key[e.key.as_str()];
        if g.points.len() != e.points.len() {
            wrong += 1;
            first.get_or_insert_with(|| {
                format!(
                    "series {:?}: {} points at {:?}, expected {} at {:?}",
                    e.key,
                    g.points.len(),
                    g.points.iter().map(|p| p.0).collect::<Vec<_>>(),
                    e.points.len(),
                    e.points.iter().map(|p| p.0).collect::<Vec<_>>()
                )
            });
            continue;
        }
        for (&(gt, gv), &(et, ev)) in g.points.iter().zip(&e.points) {
            let ok = gt == et
                && if exact { gv.to_bits() == ev.to_bits() } else { (gv - ev).abs() <= 1e-9 * ev.abs().max(1.0) };
            if !ok {
                wrong += 1;
                first.get_or_insert_with(|| format!("series {:?}: got ({gt}, {gv:?}), expected ({et}, {ev:?})", e.key));
            }
        }
    }
    match first {
        None => Ok(()),
        Some(f) if wrong > 1 => Err(format!("{f} (and {} more wrong point(s) or series)", wrong - 1)),
        Some(f) => Err(f),
    }
}

#[cfg(test)]
mod tests;
