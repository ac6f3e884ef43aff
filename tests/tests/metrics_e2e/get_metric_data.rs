//! GetMetricData against the real binary: MetricStat (Average, Maximum, SampleCount, p90), both
//! `ScanBy` orders, metric math, SEARCH, Metrics Insights, paging, the `MultipleUnits` message,
//! validation errors, and the `stratus get-metric-data` client verb.
//!
//! The data: metric `cpu` (unit Percent) for hosts a, b, c over 30 whole minutes, 8–12 samples
//! per host and minute at known second offsets, values multiples of 0.25 offset by 100 per host
//! (so host c always has the largest values and sums are exact). A decoy `cpu{host=a, az=x}`
//! with one huge value tells exact-schema SEARCH and `SCHEMA(...)` apart from a bare `FROM`.
//! Every expected value is computed here from what the test sent; percentiles by nearest rank
//! (the smallest value whose cumulative count reaches 90 % of n).

use std::collections::BTreeMap;
use std::time::Duration;

use stratus_tests::{
    Client, ServerProcess, SplitMix64, dims, floor_minute, now_ms, pb, put, single, stratus_bin, ts, ts_ms,
};
use tonic::Code;

const NS: &str = "GmdE2E";
const MINUTE: i64 = 60_000;
const MINUTES: i64 = 30;
const HOSTS: [&str; 3] = ["a", "b", "c"];
/// The decoy's minute (index into the window) and value.
const DECOY_MINUTE: i64 = 3;
const DECOY_VALUE: f64 = 9999.0;

/// A time series as the test expects it: (bucket start ms, value), ascending.
type Series = Vec<(i64, f64)>;

/// What the test sent.
#[derive(Debug)]
struct Data {
    /// Window `[start, end)`, whole minutes, 30 of them.
    start: i64,
    end: i64,
    /// `cpu{host}` samples per (host index, minute start).
    cpu: BTreeMap<(usize, i64), Vec<f64>>,
}

impl Data {
    /// Per-minute statistic of one host's `cpu`.
    fn per_minute(&self, host: usize, f: impl Fn(&[f64]) -> f64) -> Series {
        self.cpu.iter().filter(|((h, _), _)| *h == host).map(|((_, t), v)| (*t, f(v))).collect()
    }
}

fn average(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn maximum(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Nearest-rank percentile: the smallest value whose cumulative count reaches `pct` % of n.
fn nearest_rank(v: &[f64], pct: usize) -> f64 {
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (pct * sorted.len()).div_ceil(100); // 1-based, integer arithmetic
    sorted[rank.max(1) - 1]
}

/// Pointwise combination of two series with the same timestamps.
fn zip_with(a: &Series, b: &Series, f: impl Fn(f64, f64) -> f64) -> Series {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|((ta, va), (tb, vb))| {
            assert_eq!(ta, tb);
            (*ta, f(*va, *vb))
        })
        .collect()
}

/// Starts a server and sends the data set.
async fn setup() -> (tempfile::TempDir, ServerProcess, Data) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServerProcess::start(&tmp.path().join("data"), &[]).await;
    let mut client = server.client();
    let end = floor_minute(now_ms()) - 10 * MINUTE;
    let start = end - MINUTES * MINUTE;
    let mut rng = SplitMix64::new(0x6d64_5f65_3265);
    let mut data = Data { start, end, cpu: BTreeMap::new() };
    for (h, host) in HOSTS.iter().enumerate() {
        let d = dims(&[("host", host)]);
        let mut datums = Vec::new();
        for k in 0..MINUTES {
            let minute = start + k * MINUTE;
            let n = 8 + (k + h as i64) % 5;
            let values: Vec<f64> = (0..n).map(|_| h as f64 * 100.0 + rng.range(0, 399) as f64 / 4.0).collect();
            for (j, v) in values.iter().enumerate() {
                datums.push(single("cpu", &d, minute + j as i64 * 5_000, *v, "Percent"));
            }
            data.cpu.insert((h, minute), values);
        }
        rng.shuffle(&mut datums);
        client.put_metric_data(put(NS, datums, vec![])).await.expect("PutMetricData cpu");
    }
    let decoy = single(
        "cpu",
        &dims(&[("host", "a"), ("az", "x")]),
        start + DECOY_MINUTE * MINUTE + 30_000,
        DECOY_VALUE,
        "Percent",
    );
    // `mixed{host=a}`: Count (value 1) in minutes 0..10, Seconds (value 2) in minutes 5..15.
    let mut mixed = vec![decoy];
    let md = dims(&[("host", "a")]);
    for k in 0..10 {
        mixed.push(single("mixed", &md, start + k * MINUTE + 1_000, 1.0, "Count"));
        mixed.push(single("mixed", &md, start + (k + 5) * MINUTE + 2_000, 2.0, "Seconds"));
    }
    client.put_metric_data(put(NS, mixed, vec![])).await.expect("PutMetricData decoy and mixed");
    (tmp, server, data)
}

// --- requests --------------------------------------------------------------------------------

fn stat_query(id: &str, metric: &str, host: &str, stat: &str) -> pb::MetricDataQuery {
    pb::MetricDataQuery {
        id: id.to_owned(),
        metric_stat: Some(pb::MetricStat {
            metric: Some(pb::Metric {
                namespace: NS.to_owned(),
                metric_name: metric.to_owned(),
                dimensions: dims(&[("host", host)]),
            }),
            period: 60,
            stat: stat.to_owned(),
            unit: String::new(),
        }),
        ..Default::default()
    }
}

fn hidden(mut q: pb::MetricDataQuery) -> pb::MetricDataQuery {
    q.return_data = Some(false);
    q
}

fn expr_query(id: &str, expression: &str, period: i32) -> pb::MetricDataQuery {
    pb::MetricDataQuery { id: id.to_owned(), expression: expression.to_owned(), period, ..Default::default() }
}

fn request(data: &Data, queries: Vec<pb::MetricDataQuery>) -> pb::GetMetricDataRequest {
    pb::GetMetricDataRequest {
        metric_data_queries: queries,
        start_time: Some(ts(data.start)),
        end_time: Some(ts(data.end)),
        ..Default::default()
    }
}

fn ascending(mut req: pb::GetMetricDataRequest) -> pb::GetMetricDataRequest {
    req.scan_by = "TimestampAscending".into();
    req
}

async fn get(client: &mut Client, what: &str, req: pb::GetMetricDataRequest) -> pb::GetMetricDataResponse {
    let r = client.get_metric_data(req).await.unwrap_or_else(|s| panic!("{what}: {s:?}")).into_inner();
    assert!(r.next_token.is_empty(), "{what}: unexpected NextToken {:?}", r.next_token);
    for res in &r.metric_data_results {
        assert_eq!(res.status_code, "Complete", "{what}: {}", res.id);
    }
    r
}

// --- comparisons -----------------------------------------------------------------------------

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// `result` holds exactly `expected`, in ascending or descending time order.
fn assert_series(what: &str, result: &pb::MetricDataResult, expected: &Series, ascending: bool) {
    let mut want = expected.clone();
    if !ascending {
        want.reverse();
    }
    let got: Series = result.timestamps.iter().map(ts_ms).zip(result.values.iter().copied()).collect();
    assert_eq!(result.timestamps.len(), result.values.len(), "{what}: timestamps and values differ in length");
    let same = got.len() == want.len() && got.iter().zip(&want).all(|((tg, vg), (tw, vw))| tg == tw && close(*vg, *vw));
    assert!(same, "{what} ({} / {:?}):\n got  {got:?}\n want {want:?}", result.id, result.label);
}

/// The one result with `id`.
fn by_id<'a>(r: &'a pb::GetMetricDataResponse, id: &str) -> &'a pb::MetricDataResult {
    let found: Vec<_> = r.metric_data_results.iter().filter(|x| x.id == id).collect();
    assert_eq!(found.len(), 1, "results with id {id}: {r:?}");
    found[0]
}

/// The host a SEARCH or GROUP BY result is about: its label is the host's dimension value,
/// possibly after other words.
fn host_of(label: &str) -> usize {
    let last = label.rsplit(' ').next().unwrap_or(label);
    HOSTS.iter().position(|h| *h == last).unwrap_or_else(|| panic!("label {label:?} names no host"))
}

// --- the checks ------------------------------------------------------------------------------

async fn check_metric_stat(client: &mut Client, data: &Data, phase: &str) {
    let mut avg_a = stat_query("avg_a", "cpu", "a", "Average");
    avg_a.label = "cpu of a".into();
    let queries = vec![
        avg_a,
        stat_query("max_b", "cpu", "b", "Maximum"),
        stat_query("p90_c", "cpu", "c", "p90"),
        stat_query("n_a", "cpu", "a", "SampleCount"),
    ];
    let expected = [
        data.per_minute(0, average),
        data.per_minute(1, maximum),
        data.per_minute(2, |v| nearest_rank(v, 90)),
        data.per_minute(0, |v| v.len() as f64),
    ];
    for asc in [false, true] {
        let what = format!("{phase}: MetricStat, ascending {asc}");
        let mut req = request(data, queries.clone());
        if asc {
            req = ascending(req);
        } else {
            // The default, then the same order named explicitly.
            req.scan_by = if phase.contains("flush") { "TimestampDescending".into() } else { String::new() };
        }
        let r = get(client, &what, req).await;
        let ids: Vec<&str> = r.metric_data_results.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["avg_a", "max_b", "p90_c", "n_a"], "{what}: results in request order");
        for (res, want) in r.metric_data_results.iter().zip(&expected) {
            assert_eq!(want.len() as i64, MINUTES);
            assert_series(&what, res, want, asc);
            assert!(res.messages.is_empty(), "{what}: {res:?}");
        }
        assert_eq!(r.metric_data_results[0].label, "cpu of a", "{what}: Label given");
        assert_eq!(r.metric_data_results[1].label, "cpu", "{what}: default label is the metric name");
    }
}

async fn check_math(client: &mut Client, data: &Data, phase: &str) {
    let what = format!("{phase}: metric math");
    let queries = vec![
        hidden(stat_query("m1", "cpu", "a", "Average")),
        hidden(stat_query("m2", "cpu", "b", "Average")),
        expr_query("sum", "m1 + m2", 0),
        expr_query("twice", "m1 * 2", 0),
        expr_query("mean", "AVG([m1, m2])", 0),
    ];
    let r = get(client, &what, ascending(request(data, queries))).await;
    let ids: Vec<&str> = r.metric_data_results.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["sum", "twice", "mean"], "{what}: ReturnData=false queries are not returned");
    let (a, b) = (data.per_minute(0, average), data.per_minute(1, average));
    assert_series(&what, by_id(&r, "sum"), &zip_with(&a, &b, |x, y| x + y), true);
    assert_series(&what, by_id(&r, "twice"), &a.iter().map(|(t, v)| (*t, v * 2.0)).collect(), true);
    assert_series(&what, by_id(&r, "mean"), &zip_with(&a, &b, |x, y| (x + y) / 2.0), true);
}

async fn check_search(client: &mut Client, data: &Data, phase: &str) {
    let what = format!("{phase}: SEARCH");
    let search = format!("SEARCH('{{{NS},host}} MetricName=\"cpu\"', 'Average', 60)");
    let r = get(client, &what, ascending(request(data, vec![expr_query("s", &search, 0)]))).await;
    // The exact schema {host} leaves out the decoy {host, az}.
    assert_eq!(r.metric_data_results.len(), 3, "{what}: one result per host: {r:?}");
    let mut seen = [false; 3];
    for res in &r.metric_data_results {
        assert_eq!(res.id, "s", "{what}");
        let h = host_of(&res.label);
        assert!(!std::mem::replace(&mut seen[h], true), "{what}: host {} twice", HOSTS[h]);
        assert_series(&format!("{what} host {}", HOSTS[h]), res, &data.per_minute(h, average), true);
    }
}

async fn check_insights(client: &mut Client, data: &Data, phase: &str) {
    // Without SCHEMA every `cpu` in the namespace counts: group a also holds the decoy.
    let what = format!("{phase}: Metrics Insights GROUP BY host");
    let q = format!("SELECT MAX(cpu) FROM \"{NS}\" GROUP BY host");
    let r = get(client, &what, ascending(request(data, vec![expr_query("mi", &q, 60)]))).await;
    assert_eq!(r.metric_data_results.len(), 3, "{what}: {r:?}");
    let decoy_minute = data.start + DECOY_MINUTE * MINUTE;
    for res in &r.metric_data_results {
        assert_eq!(res.id, "mi", "{what}");
        let h = host_of(&res.label);
        let mut want = data.per_minute(h, maximum);
        if h == 0 {
            want.iter_mut().filter(|(t, _)| *t == decoy_minute).for_each(|(_, v)| *v = DECOY_VALUE);
        }
        assert_series(&format!("{what} group {}", HOSTS[h]), res, &want, true);
    }

    // ORDER BY the whole window's MAX, LIMIT 2: with the decoy a leads; SCHEMA drops it.
    for (from, order) in [(format!("\"{NS}\""), [0, 2]), (format!("SCHEMA(\"{NS}\", host)"), [2, 1])] {
        let what = format!("{phase}: Metrics Insights FROM {from} ORDER BY MAX() DESC LIMIT 2");
        let q = format!("SELECT MAX(cpu) FROM {from} GROUP BY host ORDER BY MAX() DESC LIMIT 2");
        let r = get(client, &what, ascending(request(data, vec![expr_query("top", &q, 60)]))).await;
        let hosts: Vec<usize> = r.metric_data_results.iter().map(|x| host_of(&x.label)).collect();
        assert_eq!(hosts, order, "{what}: {r:?}");
        let schema_result = &r.metric_data_results[0];
        if order[0] == 2 {
            assert_series(&what, schema_result, &data.per_minute(2, maximum), true);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_metric_data_statistics_math_search_insights() {
    let (_tmp, mut server, data) = setup().await;
    let mut client = server.client();
    for phase in ["in the head", "after flush"] {
        if phase == "after flush" {
            let report = client.flush(pb::FlushRequest { compact: false }).await.expect("Flush").into_inner();
            assert!(report.samples_sealed > 0, "{report:?}");
        }
        check_metric_stat(&mut client, &data, phase).await;
        check_math(&mut client, &data, phase).await;
        check_search(&mut client, &data, phase).await;
        check_insights(&mut client, &data, phase).await;
    }
    server.stop().await;
}

/// Pages of one request with `max` datapoints each: every datapoint exactly once, in order;
/// a result is `PartialData` exactly while some of it is still to come.
async fn check_paging(client: &mut Client, data: &Data, asc: bool, max: i32) {
    let what = format!("paging ascending {asc} max {max}");
    let queries = vec![stat_query("m1", "cpu", "a", "Average"), stat_query("m2", "cpu", "b", "Maximum")];
    let mut req = request(data, queries);
    if asc {
        req = ascending(req);
    }
    req.max_datapoints = max;
    let expected = [data.per_minute(0, average), data.per_minute(1, maximum)];
    let total: usize = expected.iter().map(Vec::len).sum();
    let mut merged = [pb::MetricDataResult::default(), pb::MetricDataResult::default()];
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= total + 1, "{what}: too many pages");
        let page = client.get_metric_data(req.clone()).await.unwrap_or_else(|s| panic!("{what}: {s:?}")).into_inner();
        assert_eq!(page.metric_data_results.len(), 2, "{what}: page {pages}: every page lists every result");
        let in_page: usize = page.metric_data_results.iter().map(|r| r.timestamps.len()).sum();
        assert!(in_page <= max as usize, "{what}: page {pages} has {in_page} datapoints");
        for (i, res) in page.metric_data_results.iter().enumerate() {
            assert_eq!(res.id, ["m1", "m2"][i], "{what}");
            merged[i].id.clone_from(&res.id);
            merged[i].timestamps.extend(res.timestamps.iter().cloned());
            merged[i].values.extend(&res.values);
            let remaining = expected[i].len() - merged[i].timestamps.len();
            let want = if remaining > 0 { "PartialData" } else { "Complete" };
            assert_eq!(res.status_code, want, "{what}: page {pages} result {} ({remaining} to come)", res.id);
        }
        if page.next_token.is_empty() {
            break;
        }
        assert!(page.metric_data_results.iter().any(|r| r.status_code == "PartialData"), "{what}: token but complete");
        req.next_token = page.next_token;
    }
    assert_eq!(pages, total.div_ceil(max as usize), "{what}: pages");
    for i in 0..2 {
        assert_series(&what, &merged[i], &expected[i], asc);
    }
}

async fn check_units(client: &mut Client, data: &Data) {
    let what = "MultipleUnits";
    let r = get(client, what, ascending(request(data, vec![stat_query("mx", "mixed", "a", "Sum")]))).await;
    let res = by_id(&r, "mx");
    let codes: Vec<&str> = res.messages.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes, ["MultipleUnits"], "{what}: {res:?}");
    // One unit's data is returned, not a mixture.
    let count: Series = (0..10).map(|k| (data.start + k * MINUTE, 1.0)).collect();
    let seconds: Series = (5..15).map(|k| (data.start + k * MINUTE, 2.0)).collect();
    let got: Series = res.timestamps.iter().map(ts_ms).zip(res.values.iter().copied()).collect();
    assert!(got == count || got == seconds, "{what}: a mixture of units: {got:?}");

    let mut q = stat_query("mx", "mixed", "a", "Sum");
    q.metric_stat.as_mut().expect("metric stat").unit = "Seconds".into();
    let r = get(client, "Unit=Seconds", ascending(request(data, vec![q]))).await;
    let res = by_id(&r, "mx");
    assert!(res.messages.is_empty(), "Unit=Seconds: {res:?}");
    assert_series("Unit=Seconds", res, &seconds, true);
}

async fn check_errors(client: &mut Client, data: &Data) {
    let avg = |id: &str| stat_query(id, "cpu", "a", "Average");
    let iv = "InvalidParameterValue";
    let mut both = avg("m1");
    both.expression = "m1 * 2".into();
    let mut reversed = request(data, vec![avg("m1")]);
    std::mem::swap(&mut reversed.start_time, &mut reversed.end_time);
    let mut bad_token = request(data, vec![avg("m1")]);
    bad_token.next_token = "not-a-token".into();
    let mut too_many = request(data, vec![avg("m1")]);
    too_many.max_datapoints = 100_801;
    let cases: Vec<(&str, pb::GetMetricDataRequest, &str, &str)> = vec![
        ("Id with a capital", request(data, vec![avg("M1")]), iv, "MetricDataQueries.member.1.Id"),
        ("Id starting with a digit", request(data, vec![avg("1m")]), iv, "MetricDataQueries.member.1.Id"),
        ("duplicate Id", request(data, vec![avg("m1"), avg("m1")]), iv, "MetricDataQueries.member.2.Id"),
        ("bad expression", request(data, vec![hidden(avg("m1")), expr_query("e1", "m1 +", 0)]), iv, "e1"),
        ("unknown function", request(data, vec![hidden(avg("m1")), expr_query("e1", "NOPE(m1)", 0)]), iv, "e1"),
        ("unknown reference", request(data, vec![avg("m1"), expr_query("e1", "m9 * 2", 0)]), iv, "e1"),
        ("unknown statistic", request(data, vec![stat_query("m1", "cpu", "a", "Avg")]), iv, "MetricStat.Stat"),
        ("bad percentile", request(data, vec![stat_query("m1", "cpu", "a", "p101")]), iv, "MetricStat.Stat"),
        (
            "MetricStat and Expression",
            request(data, vec![both]),
            "InvalidParameterCombination",
            "MetricDataQueries.member.1.Expression",
        ),
        (
            "neither MetricStat nor Expression",
            request(data, vec![pb::MetricDataQuery { id: "x".into(), ..Default::default() }]),
            "MissingParameter",
            "MetricDataQueries.member.1.MetricStat",
        ),
        (
            "Insights without Period",
            request(data, vec![expr_query("q", &format!("SELECT AVG(cpu) FROM \"{NS}\""), 0)]),
            "MissingParameter",
            "Period",
        ),
        ("no query returns data", request(data, vec![hidden(avg("m1"))]), iv, "ReturnData"),
        ("no queries", request(data, vec![]), "MissingParameter", "MetricDataQueries"),
        ("StartTime after EndTime", reversed, iv, "StartTime"),
        ("MaxDatapoints over the limit", too_many, iv, "MaxDatapoints"),
        ("foreign NextToken", bad_token, "InvalidNextToken", "NextToken"),
    ];
    for (what, req, code, names) in cases {
        let status = match client.get_metric_data(req).await {
            Ok(r) => panic!("{what}: accepted: {:?}", r.into_inner()),
            Err(s) => s,
        };
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        let msg = status.message();
        assert!(msg.starts_with(&format!("{code}: ")), "{what}: {msg:?} does not start with {code}");
        assert!(msg.contains(names), "{what}: {msg:?} does not name {names}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_metric_data_paging_units_and_errors() {
    let (_tmp, mut server, data) = setup().await;
    let mut client = server.client();
    for (asc, max) in [(true, 7), (false, 25), (true, 30), (false, 1000)] {
        check_paging(&mut client, &data, asc, max).await;
    }
    check_units(&mut client, &data).await;
    check_errors(&mut client, &data).await;
    server.stop().await;
}

// --- the client verb -------------------------------------------------------------------------

/// RFC 3339 (UTC, whole seconds) of epoch milliseconds, as the CLI prints timestamps.
fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Runs `stratus ARGS --endpoint <server>` (bounded); returns (exit code, stdout, stderr).
async fn stratus(server: &ServerProcess, args: &[&str]) -> (Option<i32>, String, String) {
    let endpoint = format!("http://{}", server.grpc_addr());
    let child = tokio::process::Command::new(stratus_bin())
        .args(args)
        .args(["--endpoint", &endpoint, "--timeout", "30s"])
        .env_remove("STRATUS_ENDPOINT")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("stratus get-metric-data did not finish in 60 s")
        .expect("run stratus");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_metric_data_cli() {
    assert_eq!(rfc3339(1_795_348_800_000), "2026-11-22T12:00:00Z");
    assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
    let (_tmp, mut server, data) = setup().await;
    let search = format!("SEARCH('{{{NS},host}} MetricName=\"cpu\"', 'Maximum', 60)");
    let (start, end) = ((data.start / 1000).to_string(), (data.end / 1000).to_string());
    let base = ["get-metric-data", "--expression", &search, "--start-time", &start, "--end-time", &end];

    // Pages of 10 datapoints, followed and merged: the same as one page.
    for extra in
        [&["--output", "json"][..], &["--output", "json", "--max-datapoints", "10", "--scan-by", "TimestampAscending"]]
    {
        let (code, stdout, stderr) = stratus(&server, &[&base[..], extra].concat()).await;
        assert_eq!(code, Some(0), "{extra:?}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        let asc = extra.contains(&"TimestampAscending");
        let results = v["MetricDataResults"].as_array().unwrap_or_else(|| panic!("{v}"));
        assert_eq!(results.len(), 3, "{v}");
        assert_eq!(v["Messages"], serde_json::json!([]), "{v}");
        assert!(v.get("NextToken").is_none(), "{v}");
        let mut seen = [false; 3];
        for r in results {
            assert_eq!((r["Id"].as_str(), r["StatusCode"].as_str()), (Some("q1"), Some("Complete")), "{r}");
            assert_eq!(r["Messages"], serde_json::json!([]), "{r}");
            let h = host_of(r["Label"].as_str().unwrap_or_default());
            seen[h] = true;
            let mut want = data.per_minute(h, maximum);
            if !asc {
                want.reverse();
            }
            let times: Vec<String> = want.iter().map(|(t, _)| rfc3339(*t)).collect();
            let values: Vec<f64> = want.iter().map(|(_, v)| *v).collect();
            assert_eq!(r["Timestamps"], serde_json::json!(times), "{extra:?} host {}", HOSTS[h]);
            assert_eq!(r["Values"], serde_json::json!(values), "{extra:?} host {}", HOSTS[h]);
        }
        assert_eq!(seen, [true; 3]);
    }

    // One page only: PartialData and the token to continue with.
    let (code, stdout, stderr) =
        stratus(&server, &[&base[..], &["--output", "json", "--max-datapoints", "10", "--no-paginate"]].concat()).await;
    assert_eq!(code, Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert!(v["NextToken"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
    let n: usize = v["MetricDataResults"]
        .as_array()
        .map_or(0, |a| a.iter().map(|r| r["Values"].as_array().map_or(0, Vec::len)).sum());
    assert_eq!(n, 10, "{v}");

    // The table, and an error the way the AWS CLI prints it.
    let (code, stdout, stderr) = stratus(&server, &base).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("Timestamp") && stdout.contains("Complete"), "{stdout}");
    let (code, _, stderr) = stratus(&server, &["get-metric-data", "--expression", "m1 +"]).await;
    assert_eq!(code, Some(254), "{stderr}");
    assert!(
        stderr.starts_with("An error occurred (InvalidParameterValue) when calling the GetMetricData operation: "),
        "{stderr}"
    );
    server.stop().await;
}
