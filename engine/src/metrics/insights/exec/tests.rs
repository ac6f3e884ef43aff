//! Executor tests over an in-memory source. Every expected value is worked out by hand in the
//! comments from the raw samples below, never taken from the executor's output.

use std::cell::RefCell;

use hashbrown::HashMap;

use super::super::super::frame::{Grid, PeriodAgg, TimeSeries};
use super::super::super::model::{Dimension, MetricKey};
use super::super::{
    InsightsError, InsightsMessage, InsightsResult, InsightsSource, MAX_METRICS, execute, execute_with_messages, parse,
};
use super::{Budget, execute_with};

/// Raw samples per metric; aggregates are computed from them per call.
#[derive(Default)]
struct Fake {
    data: HashMap<MetricKey, Vec<(i64, f64)>>,
    /// `metrics()` ignores namespace and name (the executor must filter anyway).
    sloppy: bool,
    fail: bool,
    /// `aggregates()` drops its last row.
    short: bool,
    /// (number of keys, grid) of each `aggregates` call.
    calls: RefCell<Vec<(usize, Grid)>>,
}

impl Fake {
    fn add(&mut self, ns: &str, name: &str, dims: &[(&str, &str)], samples: &[(i64, f64)]) {
        let dims = dims.iter().map(|(n, v)| Dimension::new(*n, *v)).collect();
        self.data.insert(MetricKey::new(ns, name, dims), samples.to_vec());
    }

    fn keys_fetched(&self) -> usize {
        self.calls.borrow().iter().map(|c| c.0).sum()
    }
}

impl InsightsSource for Fake {
    fn metrics(&self, namespace: &str, metric_name: &str) -> Vec<MetricKey> {
        self.data
            .keys()
            .filter(|k| self.sloppy || (k.namespace == namespace && k.metric_name == metric_name))
            .cloned()
            .collect()
    }

    fn aggregates(&self, keys: &[MetricKey], grid: Grid) -> Result<Vec<Vec<PeriodAgg>>, crate::error::Error> {
        self.calls.borrow_mut().push((keys.len(), grid));
        if self.fail {
            return Err(crate::error::Error::Closed);
        }
        let mut out = Vec::new();
        for key in keys {
            let mut row = vec![PeriodAgg::default(); grid.len()];
            for &(t, v) in &self.data[key] {
                if t >= grid.start_ms && t < grid.end_ms {
                    let k = ((t - grid.start_ms) / grid.period_ms()) as usize;
                    row[k].merge(&PeriodAgg { count: 1.0, sum: v, min: v, max: v });
                }
            }
            out.push(row);
        }
        if self.short {
            out.pop();
        }
        Ok(out)
    }
}

/// Three one-minute buckets starting at 0: timestamps 0, 60 000, 120 000.
const GRID: Grid = Grid { start_ms: 0, end_ms: 180_000, period_s: 60 };
const B0: i64 = 0;
const B1: i64 = 60_000;
const B2: i64 = 120_000;

/// Namespace `App`, metric `Latency`:
///
/// | metric | dimensions              | bucket 0 | bucket 1 | bucket 2 |
/// |--------|-------------------------|----------|----------|----------|
/// | A      | az=a, host=h1           | 1, 3     | 5        |          |
/// | B      | az=a, host=h2           | 10       |          | 2, 4     |
/// | C      | az=b, host=h3           |          | 7, 9     | 6        |
/// | D      | az=b                    | 20       |          |          |
/// | E      | (none)                  | 100      |          |          |
/// | F      | az=a, extra=x, host=h1  |          |          | 8        |
/// | H      | host=h0                 | (only outside the window: t = -1 000 and 180 000)  |
///
/// Decoys: `App`/`Other` {host=h1} = 1000 and `Else`/`Latency` {host=h1} = 5000 at bucket 0.
fn app() -> Fake {
    let mut f = Fake::default();
    f.add("App", "Latency", &[("host", "h1"), ("az", "a")], &[(B0, 1.0), (B0 + 5_000, 3.0), (B1 + 59_999, 5.0)]);
    f.add("App", "Latency", &[("host", "h2"), ("az", "a")], &[(B0, 10.0), (B2, 2.0), (B2 + 1, 4.0)]);
    f.add("App", "Latency", &[("host", "h3"), ("az", "b")], &[(B1, 7.0), (B1, 9.0), (B2 + 30_000, 6.0)]);
    f.add("App", "Latency", &[("az", "b")], &[(B0 + 1, 20.0)]);
    f.add("App", "Latency", &[], &[(B0, 100.0)]);
    f.add("App", "Latency", &[("host", "h1"), ("az", "a"), ("extra", "x")], &[(B2, 8.0)]);
    f.add("App", "Latency", &[("host", "h0")], &[(-1_000, 50.0), (180_000, 60.0)]);
    f.add("App", "Other", &[("host", "h1")], &[(B0, 1000.0)]);
    f.add("Else", "Latency", &[("host", "h1")], &[(B0, 5000.0)]);
    f
}

fn run(src: &Fake, text: &str) -> InsightsResult {
    let q = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    execute_with_messages(&q, src, GRID).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn ts(label: &str, points: &[(i64, f64)]) -> TimeSeries {
    TimeSeries {
        label: label.into(),
        timestamps: points.iter().map(|p| p.0).collect(),
        values: points.iter().map(|p| p.1).collect(),
    }
}

/// Asserts the series (and no messages) of each query.
fn check(src: &Fake, cases: &[(&str, Vec<TimeSeries>)]) {
    for (text, want) in cases {
        let got = run(src, text);
        assert_eq!(&got.series, want, "{text}");
        assert!(got.messages.is_empty(), "{text}: {:?}", got.messages);
    }
}

#[test]
fn every_function_over_all_dimension_sets() {
    // FROM App (no SCHEMA) takes A–F and H (H has nothing in the window).
    // bucket 0: A 1,3  B 10  D 20  E 100 → count 5, sum 134, min 1, max 100, avg 26.8
    // bucket 1: A 5  C 7,9            → count 3, sum 21,  min 5, max 9,   avg 7
    // bucket 2: B 2,4  C 6  F 8       → count 4, sum 20,  min 2, max 8,   avg 5
    let src = app();
    check(
        &src,
        &[
            ("SELECT SUM(Latency) FROM App", vec![ts("", &[(B0, 134.0), (B1, 21.0), (B2, 20.0)])]),
            ("SELECT COUNT(Latency) FROM App", vec![ts("", &[(B0, 5.0), (B1, 3.0), (B2, 4.0)])]),
            ("SELECT MIN(Latency) FROM App", vec![ts("", &[(B0, 1.0), (B1, 5.0), (B2, 2.0)])]),
            ("SELECT MAX(Latency) FROM App", vec![ts("", &[(B0, 100.0), (B1, 9.0), (B2, 8.0)])]),
            // AVG is sum/count of all observations, not the mean of per-metric means
            // (which would be (2 + 10 + 20 + 100)/4 = 33 in bucket 0).
            ("SELECT avg(Latency) FROM App", vec![ts("", &[(B0, 26.8), (B1, 7.0), (B2, 5.0)])]),
        ],
    );
}

#[test]
fn schema_is_an_exact_dimension_set() {
    let src = app();
    check(
        &src,
        &[
            // no dimensions: E only
            ("SELECT SUM(Latency) FROM SCHEMA(App)", vec![ts("", &[(B0, 100.0)])]),
            // exactly {az, host}: A, B, C (not F, which also has `extra`; not D)
            // b0: 1,3,10 → 14/3; b1: 5,7,9 → 7; b2: 2,4,6 → 4
            ("SELECT AVG(Latency) FROM SCHEMA(App, host, az)", vec![ts("", &[(B0, 14.0 / 3.0), (B1, 7.0), (B2, 4.0)])]),
            (
                "SELECT AVG(Latency) FROM SCHEMA(App, az, host, az)",
                vec![ts("", &[(B0, 14.0 / 3.0), (B1, 7.0), (B2, 4.0)])],
            ),
            // exactly {az}: D
            ("SELECT MAX(Latency) FROM SCHEMA(App, az)", vec![ts("", &[(B0, 20.0)])]),
            // exactly {host}: H, whose samples are all outside the window → empty series
            ("SELECT MAX(Latency) FROM SCHEMA(App, host)", vec![ts("", &[])]),
            // no metric has exactly {az, host, zone}
            ("SELECT MAX(Latency) FROM SCHEMA(App, az, host, zone)", vec![ts("", &[])]),
        ],
    );
}

#[test]
fn where_operators() {
    let src = app();
    check(
        &src,
        &[
            // host = 'h1': A, F → b0 1+3, b1 5, b2 8
            ("SELECT SUM(Latency) FROM App WHERE host = 'h1'", vec![ts("", &[(B0, 4.0), (B1, 5.0), (B2, 8.0)])]),
            // host != 'h1': B, C, H; D and E have no host and never match (SQL NULL rule)
            // b0 10, b1 7+9, b2 2+4+6
            ("SELECT SUM(Latency) FROM App WHERE host != 'h1'", vec![ts("", &[(B0, 10.0), (B1, 16.0), (B2, 12.0)])]),
            // az = 'b' OR host = 'h1': C, D, A, F → counts b0 A2+D1, b1 A1+C2, b2 C1+F1
            (
                "SELECT COUNT(Latency) FROM App WHERE az = 'b' OR host = 'h1'",
                vec![ts("", &[(B0, 3.0), (B1, 3.0), (B2, 2.0)])],
            ),
            // az = 'a' AND host != 'h2': A, F → max b0 3, b1 5, b2 8
            (
                "SELECT MAX(Latency) FROM App WHERE az = 'a' AND host != 'h2'",
                vec![ts("", &[(B0, 3.0), (B1, 5.0), (B2, 8.0)])],
            ),
            // (h1 or h3) and az b: C → min b1 7, b2 6
            (
                "SELECT MIN(Latency) FROM App WHERE (host = 'h1' OR host = 'h3') AND az = 'b'",
                vec![ts("", &[(B1, 7.0), (B2, 6.0)])],
            ),
            // AND binds tighter: (h1 AND a) OR b = A, F, C, D → b0 4+20, b1 5+16, b2 8+6
            (
                "SELECT SUM(Latency) FROM App WHERE host = 'h1' AND az = 'a' OR az = 'b'",
                vec![ts("", &[(B0, 24.0), (B1, 21.0), (B2, 14.0)])],
            ),
            // h1 AND (a OR b) = A, F → as host = 'h1'
            (
                "SELECT SUM(Latency) FROM App WHERE host = 'h1' AND (az = 'a' OR az = 'b')",
                vec![ts("", &[(B0, 4.0), (B1, 5.0), (B2, 8.0)])],
            ),
            // values are case-sensitive; no match → one empty series
            ("SELECT SUM(Latency) FROM App WHERE host = 'H1'", vec![ts("", &[])]),
            // SCHEMA and WHERE together: {az, host} and az = 'a' → A, B → sum b0 14, b1 5, b2 6
            (
                "SELECT SUM(Latency) FROM SCHEMA(App, az, host) WHERE az = 'a'",
                vec![ts("", &[(B0, 14.0), (B1, 5.0), (B2, 6.0)])],
            ),
        ],
    );
}

#[test]
fn group_by_one_key_with_missing_keys_in_other() {
    // host: Other = D, E; h0 = H (no data in window → no series); h1 = A, F; h2 = B; h3 = C.
    // Order is alphabetical by byte: "Other" < "h1" < "h2" < "h3".
    let src = app();
    check(
        &src,
        &[(
            "SELECT SUM(Latency) FROM App GROUP BY host",
            vec![
                ts("Other", &[(B0, 120.0)]),
                ts("h1", &[(B0, 4.0), (B1, 5.0), (B2, 8.0)]),
                ts("h2", &[(B0, 10.0), (B2, 6.0)]),
                ts("h3", &[(B1, 16.0), (B2, 6.0)]),
            ],
        )],
    );
}

#[test]
fn group_by_two_keys() {
    // (az, host): E (Other, Other); A, F (a, h1); B (a, h2); D (b, Other); C (b, h3)
    // AVG: E 100 | A,F: b0 (1+3)/2, b1 5, b2 8 | B: b0 10, b2 (2+4)/2 | D: b0 20 | C: b1 8, b2 6
    let src = app();
    check(
        &src,
        &[(
            "SELECT AVG(Latency) FROM App GROUP BY az, host",
            vec![
                ts("Other Other", &[(B0, 100.0)]),
                ts("a h1", &[(B0, 2.0), (B1, 5.0), (B2, 8.0)]),
                ts("a h2", &[(B0, 10.0), (B2, 3.0)]),
                ts("b Other", &[(B0, 20.0)]),
                ts("b h3", &[(B1, 8.0), (B2, 6.0)]),
            ],
        )],
    );
}

#[test]
fn the_null_group_is_not_the_value_other() {
    let mut src = Fake::default();
    src.add("N", "m", &[("host", "Other")], &[(B0, 1.0)]);
    src.add("N", "m", &[], &[(B0, 2.0)]);
    src.add("N", "m", &[("host", "Othes")], &[(B0, 3.0)]);
    // real "Other", then the null group, then "Othes"
    check(
        &src,
        &[(
            "SELECT SUM(m) FROM N GROUP BY host",
            vec![ts("Other", &[(B0, 1.0)]), ts("Other", &[(B0, 2.0)]), ts("Othes", &[(B0, 3.0)])],
        )],
    );
}

#[test]
fn order_by_ranks_groups_over_the_whole_window() {
    // All observations of each host group over the window:
    //   Other: 20, 100       → count 2, sum 120, min 20, max 100, avg 60
    //   h1:    1, 3, 5, 8    → count 4, sum 17,  min 1,  max 8,   avg 4.25
    //   h2:    10, 2, 4      → count 3, sum 16,  min 2,  max 10,  avg 5.33
    //   h3:    7, 9, 6       → count 3, sum 22,  min 6,  max 9,   avg 7.33
    // The SELECT function (SUM per bucket) does not change the ranking: ORDER BY MAX() ranks by
    // the largest observation (h2: 10 > h3: 9), not by the largest SUM datapoint (h3: 16).
    let other = ts("Other", &[(B0, 120.0)]);
    let h1 = ts("h1", &[(B0, 4.0), (B1, 5.0), (B2, 8.0)]);
    let h2 = ts("h2", &[(B0, 10.0), (B2, 6.0)]);
    let h3 = ts("h3", &[(B1, 16.0), (B2, 6.0)]);
    let base = "SELECT SUM(Latency) FROM App GROUP BY host ORDER BY";
    let cases: Vec<(String, Vec<TimeSeries>)> = vec![
        (format!("{base} SUM() DESC"), vec![other.clone(), h3.clone(), h1.clone(), h2.clone()]),
        (format!("{base} SUM() ASC LIMIT 2"), vec![h2.clone(), h1.clone()]),
        (format!("{base} MAX() DESC"), vec![other.clone(), h2.clone(), h3.clone(), h1.clone()]),
        (format!("{base} MIN()"), vec![h1.clone(), h2.clone(), h3.clone(), other.clone()]),
        // ties (h2, h3: count 3) keep alphabetical order in both directions
        (format!("{base} COUNT() DESC"), vec![h1.clone(), h2.clone(), h3.clone(), other.clone()]),
        (format!("{base} COUNT() ASC"), vec![other.clone(), h2.clone(), h3.clone(), h1.clone()]),
        (format!("{base} AVG() DESC LIMIT 1"), vec![other.clone()]),
        (format!("{base} AVG() LIMIT 3"), vec![h1.clone(), h2.clone(), h3.clone()]),
    ];
    let src = app();
    let cases: Vec<(&str, Vec<TimeSeries>)> = cases.iter().map(|(q, s)| (q.as_str(), s.clone())).collect();
    check(&src, &cases);
    // every plan gives the same answers: tiny budgets force batching and the two-pass ranking
    for (text, want) in &cases {
        let q = parse(text).unwrap();
        let got = execute_with(&q, &src, GRID, Budget { fetch: 1, acc: 2 }).unwrap();
        assert_eq!(&got.series, want, "{text} (two-pass)");
    }
}

#[test]
fn limit_without_order_by_takes_the_first_groups_with_data() {
    // Alphabetical: Other, h0 (no data, skipped), h1, h2, h3
    let src = app();
    check(
        &src,
        &[(
            "SELECT SUM(Latency) FROM App GROUP BY host LIMIT 2",
            vec![ts("Other", &[(B0, 120.0)]), ts("h1", &[(B0, 4.0), (B1, 5.0), (B2, 8.0)])],
        )],
    );
    // the same with one group per fetch
    let q = parse("SELECT SUM(Latency) FROM App GROUP BY host LIMIT 2").unwrap();
    let got = execute_with(&q, &src, GRID, Budget { fetch: 1, acc: 1 }).unwrap();
    assert_eq!(got.series.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), ["Other", "h1"]);
}

#[test]
fn the_executor_filters_what_a_sloppy_source_lists() {
    let mut src = app();
    src.sloppy = true;
    // the decoys (App/Other 1000, Else/Latency 5000) stay out
    check(&src, &[("SELECT MAX(Latency) FROM App", vec![ts("", &[(B0, 100.0), (B1, 9.0), (B2, 8.0)])])]);
}

/// Namespace `Big`, metric `m`: `n` metrics `id=00000…`, metric i has one sample, value i, in
/// bucket 0.
fn big(n: usize) -> Fake {
    let mut f = Fake::default();
    for i in 0..n {
        f.add("Big", "m", &[("id", &format!("{i:05}"))], &[(B0, i as f64)]);
    }
    f
}

#[test]
fn caps_metrics_and_series_with_messages() {
    let src = big(MAX_METRICS + 5);

    // The first 10,000 keys in key order are ids 00000–09999: sum 0+…+9999 = 49 995 000.
    let r = run(&src, "SELECT SUM(m) FROM Big");
    assert_eq!(r.series, vec![ts("", &[(B0, 49_995_000.0)])]);
    assert_eq!(r.messages, vec![InsightsMessage::MaxMatchingResultsExceeded]);

    // One group per id; without ORDER BY the first 500 alphabetically: 00000–00499.
    let r = run(&src, "SELECT SUM(m) FROM Big GROUP BY id");
    assert_eq!(r.series.len(), 500);
    assert_eq!(r.series[0], ts("00000", &[(B0, 0.0)]));
    assert_eq!(r.series[499], ts("00499", &[(B0, 499.0)]));
    assert_eq!(r.messages, vec![InsightsMessage::MaxMatchingResultsExceeded, InsightsMessage::MaxQueryResultsExceeded]);

    // Top 500 by SUM among the 10,000 processed: 09999 down to 09500 (10000–10004 never seen).
    let q = parse("SELECT SUM(m) FROM Big GROUP BY id ORDER BY SUM() DESC").unwrap();
    for budget in [super::DEFAULT_BUDGET, Budget { fetch: 7, acc: 50 }] {
        let r = execute_with(&q, &src, GRID, budget).unwrap();
        assert_eq!(r.series.len(), 500);
        assert_eq!(r.series[0], ts("09999", &[(B0, 9999.0)]));
        assert_eq!(r.series[499], ts("09500", &[(B0, 9500.0)]));
        assert_eq!(
            r.messages,
            vec![InsightsMessage::MaxMatchingResultsExceeded, InsightsMessage::MaxQueryResultsExceeded]
        );
    }

    // An explicit LIMIT is what the caller asked for: no series message.
    let r = run(&src, "SELECT SUM(m) FROM Big GROUP BY id ORDER BY SUM() DESC LIMIT 500");
    assert_eq!(r.series.len(), 500);
    assert_eq!(r.messages, vec![InsightsMessage::MaxMatchingResultsExceeded]);
    assert_eq!(InsightsMessage::MaxQueryResultsExceeded.code(), "MaxQueryResultsExceeded");
    assert_eq!(InsightsMessage::MaxMatchingResultsExceeded.code(), "MaxMatchingResultsExceeded");
    assert!(InsightsMessage::MaxMatchingResultsExceeded.value().contains("10,000"));
}

#[test]
fn fetches_stay_bounded() {
    let src = big(2000);
    // Streaming: two groups wanted, two fetched.
    run(&src, "SELECT SUM(m) FROM Big GROUP BY id LIMIT 2");
    assert_eq!(src.keys_fetched(), 2);
    src.calls.borrow_mut().clear();

    // q4-like: every key in one call, each exactly once.
    let r = run(&src, "SELECT SUM(m) FROM Big GROUP BY id ORDER BY MAX() DESC LIMIT 3");
    assert_eq!(r.series.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), ["01999", "01998", "01997"]);
    assert_eq!(*src.calls.borrow(), vec![(2000, GRID)]);
    src.calls.borrow_mut().clear();

    // Two-pass under a small budget: every key once on a one-bucket grid, then the 3 kept.
    let q = parse("SELECT SUM(m) FROM Big GROUP BY id ORDER BY MAX() DESC LIMIT 3").unwrap();
    let r2 = execute_with(&q, &src, GRID, Budget { fetch: 1 << 20, acc: 100 }).unwrap();
    assert_eq!(r2, r);
    let whole = Grid { period_s: 180, ..GRID };
    assert_eq!(*src.calls.borrow(), vec![(2000, whole), (3, GRID)]);
    src.calls.borrow_mut().clear();

    // Batching: at most `fetch` aggregates per call (3 buckets → 10 keys per call for 32).
    let q = parse("SELECT COUNT(m) FROM Big").unwrap();
    let r = execute_with(&q, &src, GRID, Budget { fetch: 32, acc: 1 << 20 }).unwrap();
    assert_eq!(r.series, vec![ts("", &[(B0, 2000.0)])]);
    assert_eq!(src.calls.borrow().len(), 200);
    assert!(src.calls.borrow().iter().all(|c| c.0 == 10));
}

#[test]
fn benchmark_q3_q4_shapes() {
    // Benchmark/CPU usage_user for hosts i = 0..3 (dimensions hostname, region) over 12 hours
    // with 1-hour buckets; in hour h host i has two samples, 10i + h and 10i + h + 2, so its
    // hourly average is 10i + h + 1 and the all-host average is (0+10+20+30)/4 + h + 1 = h + 16.
    const HOUR: i64 = 3_600_000;
    let grid = Grid { start_ms: 0, end_ms: 12 * HOUR, period_s: 3600 };
    let mut src = Fake::default();
    for i in 0..4 {
        let mut samples = Vec::new();
        for h in 0..12 {
            let base = f64::from(10 * i + h);
            samples.push((i64::from(h) * HOUR + 10_000, base));
            samples.push((i64::from(h) * HOUR + 3_599_990, base + 2.0));
        }
        let host = format!("host_{i}");
        src.add("Benchmark/CPU", "usage_user", &[("hostname", &host), ("region", "eu-west-1")], &samples);
    }
    src.add("Benchmark/CPU", "usage_system", &[("hostname", "host_0"), ("region", "eu-west-1")], &[(0, 1e9)]);

    let hours = |f: &dyn Fn(i64) -> f64| (0..12).map(|h| (h * HOUR, f(h))).collect::<Vec<_>>();
    let q3 = parse(r#"SELECT AVG(usage_user) FROM "Benchmark/CPU""#).unwrap();
    let r = execute(&q3, &src, grid).unwrap();
    assert_eq!(r, vec![ts("", &hours(&|h| (h + 16) as f64))]);

    let q4 = parse(r#"SELECT AVG(usage_user) FROM "Benchmark/CPU" GROUP BY hostname"#).unwrap();
    let r = execute_with_messages(&q4, &src, grid).unwrap();
    let want: Vec<TimeSeries> =
        (0..4).map(|i| ts(&format!("host_{i}"), &hours(&|h| (10 * i + h + 1) as f64))).collect();
    assert_eq!(r.series, want);
    assert!(r.messages.is_empty());
    // one source call each for q3 and q4, four keys each
    assert_eq!(*src.calls.borrow(), vec![(4, grid), (4, grid)]);
}

#[test]
fn errors_and_empty_windows() {
    let q = parse("SELECT SUM(Latency) FROM App GROUP BY host").unwrap();
    let mut src = app();
    src.fail = true;
    assert!(matches!(execute(&q, &src, GRID), Err(InsightsError::Source(crate::error::Error::Closed))));

    let mut src = app();
    src.short = true;
    assert!(matches!(execute(&q, &src, GRID), Err(InsightsError::SourceShape { .. })));

    let src = app();
    let bad = Grid { period_s: 0, ..GRID };
    assert!(matches!(execute(&q, &src, bad), Err(InsightsError::InvalidPeriod { period_s: 0 })));

    // An empty window: no groups, and the ungrouped query's one empty series; nothing fetched.
    let empty = Grid { end_ms: 0, ..GRID };
    assert_eq!(execute_with_messages(&q, &src, empty).unwrap(), InsightsResult::default());
    let ungrouped = parse("SELECT SUM(Latency) FROM App").unwrap();
    assert_eq!(execute(&ungrouped, &src, empty).unwrap(), vec![ts("", &[])]);
    // no metric at all: same shapes
    let none = parse("SELECT SUM(Nope) FROM App GROUP BY host").unwrap();
    assert_eq!(execute_with_messages(&none, &src, GRID).unwrap(), InsightsResult::default());
    assert_eq!(src.keys_fetched(), 0);
}
