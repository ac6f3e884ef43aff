//! End to end through the real `stratus` binary (acceptance item 2 of issue 2).
//!
//! `ingest_query_flush_restart` pushes a seeded random workload over gRPC — all three datum
//! forms, the bulk `series` form, out-of-order and duplicate timestamps, several units, a second
//! tenant, high-resolution data — and checks every GetMetricStatistics answer against the
//! reference model in `stratus_tests` (computed from what the test sent, not from the server),
//! plus ListMetrics filters. It repeats the checks after Flush (seal), Flush (compact), a clean
//! restart, more ingest, and a restart with data only in the WAL. The seed is printed; replay
//! with `STRATUS_E2E_SEED=<seed>`.
//!
//! `bad_input` (invalid requests), `health` (HTTP face and gRPC health), `misc` (receive-time
//! timestamps, ListMetrics pages) and `get_metric_data` (MetricStat, math, SEARCH, Metrics
//! Insights, paging, errors, the client verb) live in the sibling modules.

#[path = "metrics_e2e/bad_input.rs"]
mod bad_input;
#[path = "metrics_e2e/get_metric_data.rs"]
mod get_metric_data;
#[path = "metrics_e2e/health.rs"]
mod health;
#[path = "metrics_e2e/misc.rs"]
mod misc;

use std::collections::{BTreeMap, BTreeSet};

use stratus_tests::{
    ALL_STATISTICS, Client, DEFAULT_ACCOUNT, DEFAULT_REGION, Expected, Observation, ServerProcess, SplitMix64,
    assert_datapoints, dims, floor_minute, now_ms, observations_of, pb, put, reference_statistics, seed_from_env,
    series, single, stat_set, stats_query, values, with_tenant,
};

const NS: &str = "E2E";
const OTHER_ACCOUNT: &str = "210987654321";
const OTHER_REGION: &str = "eu-west-1";
const MINUTE: i64 = 60_000;
const UNITS: [&str; 3] = ["Milliseconds", "Count", ""];

/// Who a request is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tenant {
    /// No metadata: the server's default tenant.
    Default,
    /// `x-stratus-account` / `x-stratus-region` of another tenant.
    Other,
}

impl Tenant {
    fn request<T>(self, message: T) -> tonic::Request<T> {
        match self {
            Tenant::Default => tonic::Request::new(message),
            Tenant::Other => with_tenant(message, OTHER_ACCOUNT, OTHER_REGION),
        }
    }
}

/// A metric's identity as the test names it: tenant, metric name, dimensions sorted by name.
type MetricId = (Tenant, String, Vec<(String, String)>);

fn metric_id(tenant: Tenant, name: &str, dimensions: &[pb::Dimension]) -> MetricId {
    let mut d: Vec<(String, String)> = dimensions.iter().map(|d| (d.name.clone(), d.value.clone())).collect();
    d.sort();
    (tenant, name.to_owned(), d)
}

fn proto_dims(id: &MetricId) -> Vec<pb::Dimension> {
    id.2.iter().map(|(n, v)| pb::Dimension { name: n.clone(), value: v.clone() }).collect()
}

/// Everything sent and acknowledged, per metric: the reference's input.
#[derive(Debug, Default)]
struct Model {
    sent: BTreeMap<MetricId, Vec<Observation>>,
}

/// One item of a request: a datum or a bulk entry, for one tenant.
#[derive(Debug, Clone)]
enum Item {
    Datum(Tenant, pb::MetricDatum),
    Series(Tenant, pb::SeriesBatch),
}

impl Item {
    fn tenant(&self) -> Tenant {
        match self {
            Item::Datum(t, _) | Item::Series(t, _) => *t,
        }
    }

    /// Samples the server stores for it (Values with a positive count each count once).
    fn samples(&self) -> u64 {
        match self {
            Item::Datum(_, d) if !d.values.is_empty() => {
                d.values.iter().enumerate().filter(|(i, _)| d.counts.get(*i).is_none_or(|c| *c > 0.0)).count() as u64
            }
            Item::Datum(..) => 1,
            Item::Series(_, s) => s.values.len() as u64,
        }
    }
}

impl Model {
    fn record(&mut self, item: &Item) {
        let (id, obs) = match item {
            Item::Datum(t, d) => (metric_id(*t, &d.metric_name, &d.dimensions), observations_of(Some(d), None)),
            Item::Series(t, s) => (metric_id(*t, &s.metric_name, &s.dimensions), observations_of(None, Some(s))),
        };
        self.sent.entry(id).or_default().extend(obs);
    }
}

/// The time layout of the test: standard data in `[s, e)`, high-resolution data in
/// `[h, h + 20 min)`, all well inside the accepted window and under 3 hours old.
#[derive(Debug, Clone, Copy)]
struct Window {
    s: i64,
    e: i64,
    h: i64,
}

impl Window {
    fn new() -> Self {
        let base = floor_minute(now_ms());
        Window { s: base - 50 * MINUTE, e: base - 38 * MINUTE, h: base - 30 * MINUTE }
    }
}

/// A multiple of 0.25 in [-100, 100]: sums of these are exact in f64.
fn quarter(rng: &mut SplitMix64) -> f64 {
    rng.range(-400, 400) as f64 / 4.0
}

fn maybe_reversed(rng: &mut SplitMix64, d: &[pb::Dimension]) -> Vec<pb::Dimension> {
    let mut d = d.to_vec();
    if rng.chance(0.5) {
        d.reverse();
    }
    d
}

/// One random datum (any of the three forms) for `name`/`dims` at `t_ms`.
fn random_datum(rng: &mut SplitMix64, name: &str, d: &[pb::Dimension], t_ms: i64, units: &[&str]) -> pb::MetricDatum {
    let unit = *rng.pick(units);
    let d = maybe_reversed(rng, d);
    let mut datum = match rng.below(3) {
        0 => single(name, &d, t_ms, quarter(rng), unit),
        1 => {
            let n = rng.range(1, 5) as usize;
            let vals: Vec<f64> = (0..n).map(|_| quarter(rng)).collect();
            let counts: Vec<f64> =
                if rng.chance(0.3) { Vec::new() } else { (0..n).map(|_| *rng.pick(&[1.0, 2.0, 3.0, 0.5])).collect() };
            values(name, &d, t_ms, &vals, &counts, unit)
        }
        _ => {
            let count = rng.range(1, 10) as f64;
            let min = quarter(rng);
            let (max, sum) = if count == 1.0 { (min, min) } else { (min + 10.0, min * count + 10.0) };
            stat_set(name, &d, t_ms, [count, sum, min, max], unit)
        }
    };
    datum.storage_resolution = *rng.pick(&[0, 60]);
    datum
}

/// A seeded workload: items for every metric of the test, in shuffled (out-of-order) order,
/// with exact duplicates. `round` varies the values between rounds.
fn workload(rng: &mut SplitMix64, w: Window, round: u32) -> Vec<Item> {
    let host_a = dims(&[("Host", "a"), ("AZ", "x")]);
    let host_b = dims(&[("Host", "b"), ("AZ", "x")]);
    let errors = dims(&[("Host", "a")]);
    let bulk = dims(&[("Host", "a"), ("Stream", "s1")]);
    let high = dims(&[("Res", "high")]);
    let span = w.e - w.s;
    let mut items = Vec::new();
    let t = |rng: &mut SplitMix64| w.s + rng.range(0, span - 1);

    for _ in 0..150 {
        let at = t(rng);
        items.push(Item::Datum(Tenant::Default, random_datum(rng, "Latency", &host_a, at, &UNITS)));
    }
    if round == 0 {
        // The window's edges: StartTime inclusive, EndTime exclusive, 1-second storage.
        for at in [w.s - 1000, w.s, w.e - 1, w.e] {
            items.push(Item::Datum(Tenant::Default, single("Latency", &host_a, at, 7.25, "Count")));
        }
    }
    for _ in 0..60 {
        let at = t(rng);
        items.push(Item::Datum(Tenant::Default, random_datum(rng, "Latency", &host_b, at, &["Milliseconds"])));
    }
    for _ in 0..40 {
        let at = t(rng);
        items.push(Item::Datum(Tenant::Default, random_datum(rng, "Errors", &errors, at, &["Count"])));
    }
    for _ in 0..30 {
        let at = t(rng);
        items.push(Item::Datum(Tenant::Default, random_datum(rng, "NoDims", &[], at, &["", "Percent"])));
    }
    // Bulk entries: unsorted timestamps with repeats, into a datum metric and a bulk-only one.
    for (name, d, unit, n) in [("Latency", &host_a, "Milliseconds", 40), ("Bulk", &bulk, "Count", 80)] {
        for _ in 0..3 {
            let mut ts: Vec<i64> = (0..n).map(|_| t(rng)).collect();
            for i in 0..n / 8 {
                ts[i * 8] = ts[i * 8 + 1];
            }
            let vals = (0..n).map(|_| quarter(rng)).collect();
            items.push(Item::Series(Tenant::Default, series(name, d, unit, *rng.pick(&[0, 60]), ts, vals)));
        }
    }
    // High resolution, for periods under a minute.
    let mut ts: Vec<i64> = (0..300).map(|_| w.h + rng.range(0, 20 * MINUTE - 1)).collect();
    ts[1] = ts[0];
    let vals = (0..300).map(|_| quarter(rng)).collect();
    items.push(Item::Series(Tenant::Default, series("HighRes", &high, "Seconds", 1, ts, vals)));
    for _ in 0..60 {
        let at = w.h + rng.range(0, 20 * MINUTE - 1);
        let mut datum = random_datum(rng, "HighRes", &high, at, &["Seconds"]);
        datum.storage_resolution = 1;
        items.push(Item::Datum(Tenant::Default, datum));
    }
    // Another tenant: the same identity as Latency/host_a with other values, and its own metric.
    for _ in 0..50 {
        let at = t(rng);
        let mut datum = random_datum(rng, "Latency", &host_a, at, &UNITS);
        if let Some(v) = datum.value.as_mut() {
            *v += 1000.0;
        }
        items.push(Item::Datum(Tenant::Other, datum));
    }
    for _ in 0..10 {
        let at = t(rng);
        items.push(Item::Datum(Tenant::Other, random_datum(rng, "OnlyOther", &dims(&[("Host", "z")]), at, &["Count"])));
    }

    // Exact duplicates (the same sample sent twice counts twice), then arrival order shuffled.
    let n = items.len();
    for _ in 0..n / 8 {
        let i = rng.below(n as u64) as usize;
        items.push(items[i].clone());
    }
    rng.shuffle(&mut items);
    items
}

/// Sends `items` in requests of random size (mixing datums and bulk entries of one tenant),
/// asserting each is acknowledged with the right sample count, and records them in `model`.
async fn ingest(client: &mut Client, rng: &mut SplitMix64, model: &mut Model, items: Vec<Item>) {
    let mut pending: BTreeMap<Tenant, Vec<Item>> = BTreeMap::new();
    for item in items {
        pending.entry(item.tenant()).or_default().push(item);
    }
    for (tenant, items) in pending {
        let mut rest = items.as_slice();
        while !rest.is_empty() {
            let take = (rng.range(1, 60) as usize).min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            rest = tail;
            let mut metric_data = Vec::new();
            let mut bulk = Vec::new();
            for item in chunk {
                match item {
                    Item::Datum(_, d) => metric_data.push(d.clone()),
                    Item::Series(_, s) => bulk.push(s.clone()),
                }
            }
            let expected: u64 = chunk.iter().map(Item::samples).sum();
            let response = client
                .put_metric_data(tenant.request(put(NS, metric_data, bulk)))
                .await
                .unwrap_or_else(|s| panic!("PutMetricData rejected: {s:?}"))
                .into_inner();
            assert_eq!(response.samples_accepted, expected, "samples_accepted");
            for item in chunk {
                model.record(item);
            }
        }
    }
}

/// One GetMetricStatistics call and the answer the reference expects.
#[derive(Debug)]
struct Check {
    what: String,
    request: tonic::Request<pb::GetMetricStatisticsRequest>,
    statistics: Vec<&'static str>,
    expected: Vec<Expected>,
}

/// Builds a check of metric `id` over `[start, end)` in periods of `period_s`.
fn check(
    model: &Model,
    id: &MetricId,
    (start, end): (i64, i64),
    period_s: i32,
    stats: &[&'static str],
    unit: &str,
) -> Check {
    let obs = model.sent.get(id).map_or(&[][..], Vec::as_slice);
    let expected = reference_statistics(obs, start, end, i64::from(period_s), unit);
    let what = format!("{id:?} [{start}, {end}) period {period_s} unit {unit:?} stats {stats:?}");
    let req = stats_query(NS, &id.1, &proto_dims(id), start, end, period_s, stats, unit);
    Check { what, request: id.0.request(req), statistics: stats.to_vec(), expected }
}

/// Every query the test asks, with the expected answers from the model.
fn checks(model: &Model, w: Window) -> Vec<Check> {
    let all = &ALL_STATISTICS;
    let mut out = Vec::new();
    for id in model.sent.keys() {
        if id.1 == "HighRes" {
            let from = w.h + MINUTE;
            for period in [1, 5, 10, 20, 30, 60] {
                out.push(check(model, id, (from, from + 20 * MINUTE), period, all, ""));
            }
            continue;
        }
        out.push(check(model, id, (w.s, w.e), 60, all, ""));
        out.push(check(model, id, (w.s - 43_000, w.e), 60, all, "")); // unaligned StartTime
        out.push(check(model, id, (w.s, w.e - 90_000), 60, all, "")); // unaligned EndTime
        out.push(check(model, id, (w.s, w.e), 300, &["Sum", "Maximum"], ""));
        out.push(check(model, id, (w.s - 60 * MINUTE, w.e + 60 * MINUTE), 3600, &["SampleCount", "Average"], ""));
    }
    let host_a = metric_id(Tenant::Default, "Latency", &dims(&[("Host", "a"), ("AZ", "x")]));
    out.push(check(model, &host_a, (w.s, w.e), 60, &["Minimum", "SampleCount"], "Count"));
    out.push(check(model, &host_a, (w.s, w.e), 60, all, "None"));
    out.push(check(model, &host_a, (w.s, w.e), 120, all, "Seconds")); // a unit never sent: empty

    // A subset of the dimensions is another metric: nothing.
    let subset = metric_id(Tenant::Default, "Latency", &dims(&[("Host", "a")]));
    let c = check(model, &subset, (w.s, w.e), 60, all, "");
    assert!(c.expected.is_empty());
    out.push(c);
    // The default tenant named explicitly sees what the metadata-less caller sees.
    let mut c = check(model, &host_a, (w.s, w.e), 60, all, "");
    let req = c.request.into_inner();
    c.request = with_tenant(req, DEFAULT_ACCOUNT, DEFAULT_REGION);
    c.what = format!("explicit default tenant: {}", c.what);
    out.push(c);
    // Dimension order does not matter in a query either.
    let mut c = check(model, &host_a, (w.s, w.e), 60, all, "");
    let mut req = c.request.into_inner();
    req.dimensions.reverse();
    c.request = tonic::Request::new(req);
    c.what = format!("dimensions reversed: {}", c.what);
    out.push(c);
    out
}

async fn run_checks(client: &mut Client, phase: &str, model: &Model, w: Window) {
    let checks = checks(model, w);
    let nonempty = checks.iter().filter(|c| !c.expected.is_empty()).count();
    assert!(nonempty >= 40, "the workload should make most checks non-empty ({nonempty})");
    for c in checks {
        let metric_name = c.request.get_ref().metric_name.clone();
        let response = client
            .get_metric_statistics(c.request)
            .await
            .unwrap_or_else(|s| panic!("{phase}: {}: {s:?}", c.what))
            .into_inner();
        assert_eq!(response.label, metric_name, "{phase}: label");
        assert_datapoints(&format!("{phase}: {}", c.what), &response.datapoints, &c.expected, &c.statistics);
    }
    let unknown = stats_query(NS, "NeverSent", &[], w.s, w.e, 60, &ALL_STATISTICS, "");
    let response = client.get_metric_statistics(unknown).await.expect("query an unknown metric").into_inner();
    assert!(response.datapoints.is_empty(), "{phase}: unknown metric has datapoints");
    assert_eq!(response.label, "NeverSent");
}

/// All pages of a ListMetrics, as (namespace, name, sorted dimensions).
async fn list_all(
    client: &mut Client,
    tenant: Tenant,
    mut req: pb::ListMetricsRequest,
) -> BTreeSet<(String, String, Vec<(String, String)>)> {
    let mut out = BTreeSet::new();
    for _page in 0..100 {
        let page = client.list_metrics(tenant.request(req.clone())).await.expect("ListMetrics").into_inner();
        for m in page.metrics {
            let (_, name, d) = metric_id(tenant, &m.metric_name, &m.dimensions);
            assert!(out.insert((m.namespace, name, d)), "a metric listed twice");
        }
        if page.next_token.is_empty() {
            return out;
        }
        req.next_token = page.next_token;
    }
    panic!("ListMetrics did not end within 100 pages");
}

fn filter(name: &str, value: Option<&str>) -> pb::DimensionFilter {
    pb::DimensionFilter { name: name.to_owned(), value: value.map(str::to_owned) }
}

/// Which of the test's metrics (name, sorted dimensions) a ListMetrics request must return.
type Keep = Box<dyn Fn(&str, &[(String, String)]) -> bool>;

async fn check_list_metrics(client: &mut Client, phase: &str, model: &Model) {
    let has = |d: &[(String, String)], n: &str, v: Option<&str>| {
        d.iter().any(|(dn, dv)| dn == n && v.is_none_or(|v| v == dv))
    };
    let cases: Vec<(Tenant, pb::ListMetricsRequest, Keep)> = vec![
        (Tenant::Default, pb::ListMetricsRequest { namespace: NS.into(), ..Default::default() }, Box::new(|_, _| true)),
        (Tenant::Default, pb::ListMetricsRequest::default(), Box::new(|_, _| true)),
        (
            Tenant::Default,
            pb::ListMetricsRequest { namespace: NS.into(), metric_name: "Latency".into(), ..Default::default() },
            Box::new(|n, _| n == "Latency"),
        ),
        (
            Tenant::Default,
            pb::ListMetricsRequest { dimensions: vec![filter("Host", Some("a"))], ..Default::default() },
            Box::new(move |_, d| has(d, "Host", Some("a"))),
        ),
        (
            Tenant::Default,
            pb::ListMetricsRequest { namespace: NS.into(), dimensions: vec![filter("AZ", None)], ..Default::default() },
            Box::new(move |_, d| has(d, "AZ", None)),
        ),
        (
            Tenant::Default,
            pb::ListMetricsRequest {
                namespace: NS.into(),
                dimensions: vec![filter("Host", Some("a")), filter("AZ", None)],
                ..Default::default()
            },
            Box::new(move |_, d| has(d, "Host", Some("a")) && has(d, "AZ", None)),
        ),
        (
            Tenant::Default,
            pb::ListMetricsRequest { namespace: "Elsewhere".into(), ..Default::default() },
            Box::new(|_, _| false),
        ),
        (Tenant::Other, pb::ListMetricsRequest { namespace: NS.into(), ..Default::default() }, Box::new(|_, _| true)),
        (
            Tenant::Other,
            pb::ListMetricsRequest { dimensions: vec![filter("Host", Some("z"))], ..Default::default() },
            Box::new(move |_, d| has(d, "Host", Some("z"))),
        ),
    ];
    for (tenant, req, keep) in cases {
        let what = format!("{phase}: ListMetrics as {tenant:?} {req:?}");
        let expected: BTreeSet<_> = model
            .sent
            .keys()
            .filter(|(t, n, d)| *t == tenant && keep(n, d))
            .map(|(_, n, d)| (NS.to_owned(), n.clone(), d.clone()))
            .collect();
        let got = list_all(client, tenant, req).await;
        assert_eq!(got, expected, "{what}");
    }
}

async fn flush(client: &mut Client, compact: bool) -> pb::FlushResponse {
    client.flush(pb::FlushRequest { compact }).await.expect("Flush").into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_query_flush_restart() {
    let seed = seed_from_env("STRATUS_E2E_SEED");
    println!("seed {seed} (replay with STRATUS_E2E_SEED={seed})");
    let mut rng = SplitMix64::new(seed);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::start(&tmp.path().join("data"), &[]).await;
    let mut client = server.client();
    let w = Window::new();
    let mut model = Model::default();

    let items = workload(&mut rng, w, 0);
    ingest(&mut client, &mut rng, &mut model, items).await;
    run_checks(&mut client, "after ingest", &model, w).await;
    check_list_metrics(&mut client, "after ingest", &model).await;

    let report = flush(&mut client, false).await;
    assert!(report.samples_sealed > 0 && report.blocks >= 1, "{report:?}");
    run_checks(&mut client, "after flush", &model, w).await;

    // More data into the same series, then compaction merges it with the sealed block.
    let items = workload(&mut rng, w, 1);
    ingest(&mut client, &mut rng, &mut model, items).await;
    run_checks(&mut client, "after second ingest", &model, w).await;
    let report = flush(&mut client, true).await;
    assert!(report.blocks >= 1 && report.samples_on_disk > 0, "{report:?}");
    run_checks(&mut client, "after compact", &model, w).await;

    server.stop().await;
    server.restart().await;
    let mut client = server.client();
    run_checks(&mut client, "after restart", &model, w).await;
    check_list_metrics(&mut client, "after restart", &model).await;

    // Data that exists only in the WAL at the next restart.
    let items = workload(&mut rng, w, 2);
    ingest(&mut client, &mut rng, &mut model, items).await;
    run_checks(&mut client, "after third ingest", &model, w).await;
    server.stop().await;
    server.restart().await;
    let mut client = server.client();
    run_checks(&mut client, "after WAL-only restart", &model, w).await;
    check_list_metrics(&mut client, "after WAL-only restart", &model).await;
    server.stop().await;
}
