//! Evaluator: operators and every function on small series whose expected values are worked
//! out by hand. Series are written as bucket lists (`-` in the comments = no point), bucket k at
//! k·60 s, as in the AWS User Guide's tables.

use proptest::prelude::*;

use super::{Fake, P, points, ts};
use crate::metrics::frame::{Grid, TimeSeries};
use crate::metrics::math::{MathError, Value, evaluate, finalize, parse};
use crate::metrics::model::{Dimension, MetricKey};

const N: Option<f64> = None;

fn eval(ctx: &Fake, src: &str) -> Result<Value, MathError> {
    evaluate(&parse(src).unwrap_or_else(|e| panic!("{src}: {e}")), ctx)
}

/// Evaluates to a single series and returns its points on a grid of `n` buckets.
fn series(ctx: &Fake, src: &str, n: usize) -> Vec<Option<f64>> {
    match eval(ctx, src) {
        Ok(Value::Series(s)) => points(&s, n),
        other => panic!("{src}: expected a series, got {other:?}"),
    }
}

fn array(ctx: &Fake, src: &str) -> Vec<TimeSeries> {
    match eval(ctx, src) {
        Ok(Value::Array(a)) => a,
        other => panic!("{src}: expected an array, got {other:?}"),
    }
}

fn scalar(ctx: &Fake, src: &str) -> f64 {
    match eval(ctx, src) {
        Ok(Value::Scalar(x)) => x,
        other => panic!("{src}: expected a scalar, got {other:?}"),
    }
}

fn close(got: &[Option<f64>], want: &[Option<f64>]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| match (g, w) {
            (Some(g), Some(w)) => (g - w).abs() <= 1e-9 * w.abs().max(1.0),
            (None, None) => true,
            _ => false,
        })
}

fn check(ctx: &Fake, src: &str, n: usize, want: &[Option<f64>]) {
    let got = series(ctx, src, n);
    assert!(close(&got, want), "{src}: got {got:?}, want {want:?}");
}

/// The User Guide's comparison example: metric1 = [30, 20, 0, 0], metric2 = [20, -, 20, -].
#[test]
fn comparisons_and_logic_follow_the_user_guide() {
    let ctx = Fake::new(4)
        .metric("metric1", &[Some(30.0), Some(20.0), Some(0.0), Some(0.0)])
        .metric("metric2", &[Some(20.0), N, Some(20.0), N]);
    // Missing metric2 points count as 0: 20 < 0 and 0 < 0 are false.
    check(&ctx, "metric1 < metric2", 4, &[Some(0.0), Some(0.0), Some(1.0), Some(0.0)]);
    check(&ctx, "metric1 >= 30", 4, &[Some(1.0), Some(0.0), Some(0.0), Some(0.0)]);
    // metric2 > 15 = [1, -, 1, -]; AND with [1, 1, 0, 0], missing as 0 → [1, 0, 0, 0].
    check(&ctx, "metric1 > 15 AND metric2 > 15", 4, &[Some(1.0), Some(0.0), Some(0.0), Some(0.0)]);
    check(&ctx, "metric1 > 15 && metric2 > 15", 4, &[Some(1.0), Some(0.0), Some(0.0), Some(0.0)]);
    // [1,1,0,0] OR [1,-,1,-] → [1, 1, 1, 0].
    check(&ctx, "metric1 > 15 OR metric2 > 15", 4, &[Some(1.0), Some(1.0), Some(1.0), Some(0.0)]);
    check(&ctx, "metric1 == 0", 4, &[Some(0.0), Some(0.0), Some(1.0), Some(1.0)]);
    check(&ctx, "metric1 != metric2", 4, &[Some(1.0), Some(1.0), Some(1.0), Some(0.0)]);
    check(&ctx, "metric1 <= 20", 4, &[Some(0.0), Some(1.0), Some(1.0), Some(1.0)]);
    check(&ctx, "metric1 > metric2", 4, &[Some(1.0), Some(1.0), Some(0.0), Some(0.0)]);
    // Scalars compare to scalars.
    assert_eq!(scalar(&ctx, "3 < 4"), 1.0);
    assert_eq!(scalar(&ctx, "3 == 4 OR 0"), 0.0);
    assert_eq!(scalar(&ctx, "2 AND 5"), 1.0);
}

#[test]
fn arithmetic_treats_missing_as_zero_and_drops_division_by_zero() {
    // a = [1, -, 3], b = [10, 20, -]
    let ctx = Fake::new(3).metric("a", &[Some(1.0), N, Some(3.0)]).metric("b", &[Some(10.0), Some(20.0), N]);
    check(&ctx, "a + b", 3, &[Some(11.0), Some(20.0), Some(3.0)]);
    check(&ctx, "a - b", 3, &[Some(-9.0), Some(-20.0), Some(3.0)]);
    check(&ctx, "a * b", 3, &[Some(10.0), Some(0.0), Some(0.0)]);
    // 1/10; 0/20 = 0; 3/0 dropped.
    check(&ctx, "a / b", 3, &[Some(0.1), Some(0.0), N]);
    // 10/1; 20/0 dropped; 0/3 = 0.
    check(&ctx, "b / a", 3, &[Some(10.0), N, Some(0.0)]);
    check(&ctx, "a ^ 2", 3, &[Some(1.0), N, Some(9.0)]);
    check(&ctx, "2 ^ a", 3, &[Some(2.0), N, Some(8.0)]);
    check(&ctx, "-a", 3, &[Some(-1.0), N, Some(-3.0)]);
    check(&ctx, "5 * a - 1", 3, &[Some(4.0), N, Some(14.0)]);
    check(&ctx, "a / 0", 3, &[N, N, N]);
    // (a - 1) = [0, -, 2]; 6 / that = [drop, -, 3].
    check(&ctx, "6 / (a - 1)", 3, &[N, N, Some(3.0)]);
    // 0 ^ -1 = ∞ is dropped; (-8) ^ 0.5 = NaN is dropped.
    check(&ctx, "(a - 1) ^ -1", 3, &[N, N, Some(0.5)]);
    check(&ctx, "(a - 9) ^ 0.5", 3, &[N, N, N]);
    assert_eq!(scalar(&ctx, "2 + 3 * 4"), 14.0);
    assert_eq!(scalar(&ctx, "-2 ^ 2"), -4.0);
    assert_eq!(scalar(&ctx, "2 ^ 3 ^ 2"), 512.0);
    assert!(scalar(&ctx, "1 / 0").is_nan());
}

#[test]
fn arrays_combine_with_series_and_scalars_elementwise() {
    let ctx = Fake::new(2).metric("a", &[Some(2.0), N]).metric("b", &[Some(4.0), Some(8.0)]);
    let got = array(&ctx, "[a, b] * 10");
    assert_eq!(
        got.iter().map(|s| points(s, 2)).collect::<Vec<_>>(),
        [vec![Some(20.0), N], vec![Some(40.0), Some(80.0)]]
    );
    assert_eq!(got[0].label, "a");
    assert_eq!(got[1].label, "b");
    // 100 / [a, b] = [[50, -], [25, 12.5]]; SUM per timestamp = [75, 12.5].
    check(&ctx, "SUM(100 / [a, b])", 2, &[Some(75.0), Some(12.5)]);
    // [a, b] / b = [[0.5, 0/8 = 0], [1, 1]].
    let got = array(&ctx, "[a, b] / b");
    assert_eq!(
        got.iter().map(|s| points(s, 2)).collect::<Vec<_>>(),
        [vec![Some(0.5), Some(0.0)], vec![Some(1.0), Some(1.0)]]
    );
    // -[a, b] and nested arrays flatten.
    assert_eq!(array(&ctx, "-[a, b]")[1].values, [-4.0, -8.0]);
    assert_eq!(array(&ctx, "[[a], METRICS(), b]").len(), 4);
    // Array with array is not defined.
    let err = eval(&ctx, "[a, b] + [a, b]").unwrap_err();
    assert!(matches!(err, MathError::Type { column: 1, .. }), "{err}");
    assert!(err.to_string().contains("cannot combine two arrays"));
    // An array holds series only.
    assert!(matches!(eval(&ctx, "[a, 5]"), Err(MathError::Type { column: 5, .. })));
}

/// The User Guide's IF tables: metric1 = [1, 1, 0, 0, -], metric2 = [30, -, 0, 0, 30],
/// metric3 = [0, 0, 20, -, 20].
#[test]
fn if_follows_the_user_guide_tables() {
    let ctx = Fake::new(5)
        .metric("metric1", &[Some(1.0), Some(1.0), Some(0.0), Some(0.0), N])
        .metric("metric2", &[Some(30.0), N, Some(0.0), Some(0.0), Some(30.0)])
        .metric("metric3", &[Some(0.0), Some(0.0), Some(20.0), N, Some(20.0)]);
    check(&ctx, "IF(metric1, metric2, metric3)", 5, &[Some(30.0), Some(0.0), Some(20.0), N, N]);
    check(&ctx, "IF(metric1, 5, metric3)", 5, &[Some(5.0), Some(5.0), Some(20.0), N, N]);
    check(&ctx, "IF(metric1, metric2, 5)", 5, &[Some(30.0), Some(0.0), Some(5.0), Some(5.0), N]);
    // No false branch: false points are dropped.
    check(&ctx, "IF(metric1, metric2)", 5, &[Some(30.0), Some(0.0), N, N, N]);
    // Condition from a comparison: metric2 < 10 = [0, -, 1, 1, 0].
    check(&ctx, "IF(metric2 < 10, 1, 0)", 5, &[Some(0.0), N, Some(1.0), Some(1.0), Some(0.0)]);
    check(&ctx, "IF(metric2 < 10, metric2)", 5, &[N, N, Some(0.0), Some(0.0), N]);
    // Negative conditions are true.
    check(&ctx, "IF(metric1 - 2, 7)", 5, &[Some(7.0), Some(7.0), Some(7.0), Some(7.0), N]);
    // Scalar condition picks a whole branch; no false branch gives an empty series.
    check(&ctx, "IF(1, metric2, metric3)", 5, &[Some(30.0), N, Some(0.0), Some(0.0), Some(30.0)]);
    check(&ctx, "IF(0, metric2, metric3)", 5, &[Some(0.0), Some(0.0), Some(20.0), N, Some(20.0)]);
    check(&ctx, "IF(0, metric2)", 5, &[N, N, N, N, N]);
    check(&ctx, "IF(AVG(metric1) > 0.4, metric2)", 5, &[Some(30.0), N, Some(0.0), Some(0.0), Some(30.0)]);
    // Arrays of more than one series are not accepted.
    assert!(matches!(eval(&ctx, "IF(METRICS(), 1)"), Err(MathError::Type { column: 4, .. })));
    // A one-element array is its series.
    check(&ctx, "IF([metric1], 2)", 5, &[Some(2.0), Some(2.0), N, N, N]);
}

#[test]
fn pointwise_functions() {
    let ctx = Fake::new(4)
        .metric("a", &[Some(-1.5), N, Some(2.1), Some(-0.0)])
        .metric("b", &[Some(1.0), Some(std::f64::consts::E), Some(0.0), Some(-1.0)])
        .metric("c", &[Some(100.0), Some(0.001), N, Some(1.0)]);
    check(&ctx, "ABS(a)", 4, &[Some(1.5), N, Some(2.1), Some(0.0)]);
    check(&ctx, "CEIL(a)", 4, &[Some(-1.0), N, Some(3.0), Some(0.0)]);
    check(&ctx, "FLOOR(a)", 4, &[Some(-2.0), N, Some(2.0), Some(0.0)]);
    // ln 1 = 0, ln e = 1, ln 0 = -∞ and ln -1 = NaN are dropped.
    check(&ctx, "LOG(b)", 4, &[Some(0.0), Some(1.0), N, N]);
    check(&ctx, "LOG10(c)", 4, &[Some(2.0), Some(-3.0), N, Some(0.0)]);
    // On arrays, each series; on scalars, the scalar.
    let got = array(&ctx, "ABS([a, -c])");
    assert_eq!(points(&got[1], 4), [Some(100.0), Some(0.001), N, Some(1.0)]);
    assert_eq!(scalar(&ctx, "ABS(-3) + FLOOR(2.7) + CEIL(2.2)"), 3.0 + 2.0 + 3.0);
}

#[test]
fn aggregates_of_one_series_are_scalars() {
    // s = [2, 4, -, 4, 5]: four points summing to 15.
    let ctx = Fake::new(5).metric("s", &[Some(2.0), Some(4.0), N, Some(4.0), Some(5.0)]).metric("e", &[N; 5]);
    assert_eq!(scalar(&ctx, "SUM(s)"), 15.0);
    assert_eq!(scalar(&ctx, "AVG(s)"), 3.75);
    assert_eq!(scalar(&ctx, "MIN(s)"), 2.0);
    assert_eq!(scalar(&ctx, "MAX(s)"), 5.0);
    assert_eq!(scalar(&ctx, "DATAPOINT_COUNT(s)"), 4.0);
    // Sample standard deviation: deviations from 3.75 are -1.75, .25, .25, 1.25; squares sum
    // to 3.0625 + .0625 + .0625 + 1.5625 = 4.75; / (4 - 1), square root.
    assert!((scalar(&ctx, "STDDEV(s)") - (4.75f64 / 3.0).sqrt()).abs() < 1e-12);
    // Used inside series arithmetic: s - AVG(s) = [-1.75, .25, -, .25, 1.25].
    check(&ctx, "s - AVG(s)", 5, &[Some(-1.75), Some(0.25), N, Some(0.25), Some(1.25)]);
    check(&ctx, "SUM(s) / DATAPOINT_COUNT(s) + s * 0", 5, &[Some(3.75), Some(3.75), N, Some(3.75), Some(3.75)]);
    // An empty series: SUM and DATAPOINT_COUNT are 0, the rest have no value, and any point
    // they touch is dropped.
    assert_eq!(scalar(&ctx, "SUM(e)"), 0.0);
    assert_eq!(scalar(&ctx, "DATAPOINT_COUNT(e)"), 0.0);
    for f in ["AVG", "MIN", "MAX", "STDDEV"] {
        assert!(scalar(&ctx, &format!("{f}(e)")).is_nan(), "{f}");
        check(&ctx, &format!("s - {f}(e)"), 5, &[N; 5]);
    }
    // One point: STDDEV 0.
    let one = Fake::new(1).metric("o", &[Some(7.0)]);
    assert_eq!(scalar(&one, "STDDEV(o)"), 0.0);
    assert!(matches!(eval(&ctx, "AVG(5)"), Err(MathError::Type { column: 5, .. })));
}

#[test]
fn aggregates_of_arrays_are_series_per_timestamp() {
    // a = [1, -, 3, -], b = [3, 5, -, -], c = [-, -, -, -]
    let ctx = Fake::new(4)
        .metric("a", &[Some(1.0), N, Some(3.0), N])
        .metric("b", &[Some(3.0), Some(5.0), N, N])
        .metric("c", &[N; 4]);
    check(&ctx, "SUM([a, b, c])", 4, &[Some(4.0), Some(5.0), Some(3.0), N]);
    // AVG treats missing values as 0: divides by the 3 series.
    check(&ctx, "AVG([a, b, c])", 4, &[Some(4.0 / 3.0), Some(5.0 / 3.0), Some(1.0), N]);
    check(&ctx, "AVG(METRICS())", 4, &[Some(4.0 / 3.0), Some(5.0 / 3.0), Some(1.0), N]);
    check(&ctx, "MIN([a, b, c])", 4, &[Some(1.0), Some(5.0), Some(3.0), N]);
    check(&ctx, "MAX([a, b, c])", 4, &[Some(3.0), Some(5.0), Some(3.0), N]);
    check(&ctx, "DATAPOINT_COUNT([a, b, c])", 4, &[Some(2.0), Some(1.0), Some(1.0), N]);
    // t0: 1 and 3, mean 2, squares 1 + 1 = 2, / (2 - 1), √2; t1, t2: one value → 0.
    check(&ctx, "STDDEV([a, b, c])", 4, &[Some(2f64.sqrt()), Some(0.0), Some(0.0), N]);
    check(&ctx, "SUM(REMOVE_EMPTY([c]))", 4, &[N; 4]);
    // SUM(METRICS())/SUM(a) is series / scalar: [4, 5, 3] / 4.
    check(&ctx, "SUM(METRICS()) / SUM(a)", 4, &[Some(1.0), Some(1.25), Some(0.75), N]);
}

#[test]
fn diff_diff_time_rate_running_sum() {
    // s = [5, -, 8, 4, 10]
    let ctx = Fake::new(5).metric("s", &[Some(5.0), N, Some(8.0), Some(4.0), Some(10.0)]);
    // Each point minus the previous point that exists: 8-5, 4-8, 10-4.
    check(&ctx, "DIFF(s)", 5, &[N, N, Some(3.0), Some(-4.0), Some(6.0)]);
    // Seconds since the previous point: 120, 60, 60.
    check(&ctx, "DIFF_TIME(s)", 5, &[N, N, Some(120.0), Some(60.0), Some(60.0)]);
    // Per second: 3/120, -4/60, 6/60.
    check(&ctx, "RATE(s)", 5, &[N, N, Some(0.025), Some(-4.0 / 60.0), Some(0.1)]);
    check(&ctx, "RUNNING_SUM(s)", 5, &[Some(5.0), N, Some(13.0), Some(17.0), Some(27.0)]);
    let got = array(&ctx, "RUNNING_SUM([s, s * 2])");
    assert_eq!(got[1].values, [10.0, 26.0, 34.0, 54.0]);
    assert!(matches!(eval(&ctx, "DIFF(3)"), Err(MathError::Type { .. })));
}

#[test]
fn fill_modes() {
    // s = [-, 2, -, -, 8], f = [1, 1, -, 1, 1], e = []
    let ctx = Fake::new(5)
        .metric("s", &[N, Some(2.0), N, N, Some(8.0)])
        .metric("f", &[Some(1.0), Some(1.0), N, Some(1.0), Some(1.0)])
        .metric("e", &[N; 5]);
    check(&ctx, "FILL(s, 0)", 5, &[Some(0.0), Some(2.0), Some(0.0), Some(0.0), Some(8.0)]);
    check(&ctx, "FILL(s, MIN(s))", 5, &[Some(2.0), Some(2.0), Some(2.0), Some(2.0), Some(8.0)]);
    // REPEAT: the latest earlier point; nothing before the first point.
    check(&ctx, "FILL(s, REPEAT)", 5, &[N, Some(2.0), Some(2.0), Some(2.0), Some(8.0)]);
    // LINEAR: 2 → 8 over three steps: 4, 6; nothing outside the first and last points.
    check(&ctx, "FILL(s, LINEAR)", 5, &[N, Some(2.0), Some(4.0), Some(6.0), Some(8.0)]);
    // A series filler gives its own point where it has one.
    check(&ctx, "FILL(s, f)", 5, &[Some(1.0), Some(2.0), N, Some(1.0), Some(8.0)]);
    check(&ctx, "FILL(e, 7)", 5, &[Some(7.0); 5]);
    check(&ctx, "FILL(e, REPEAT)", 5, &[N; 5]);
    let got = array(&ctx, "FILL([s, e], 3)");
    assert_eq!(points(&got[0], 5), [Some(3.0), Some(2.0), Some(3.0), Some(3.0), Some(8.0)]);
    assert_eq!(points(&got[1], 5), [Some(3.0); 5]);
    assert_eq!((got[0].label.as_str(), got[1].label.as_str()), ("s", "e"));
    let got = array(&ctx, "FILL(METRICS(), LINEAR)");
    assert_eq!(points(&got[0], 5), [N, Some(2.0), Some(4.0), Some(6.0), Some(8.0)]);
    // f gets 1 at bucket 2: halfway between 1 and 1.
    assert_eq!(points(&got[1], 5), [Some(1.0); 5]);
}

#[test]
fn fill_keeps_points_off_the_grid() {
    let mut s = ts("s", &[Some(1.0)]);
    s.timestamps.push(P + 30_000); // between buckets 1 and 2
    s.values.push(5.0);
    let ctx = Fake::new(3).expr("s", Value::Series(s));
    match eval(&ctx, "FILL(s, 0)").unwrap() {
        Value::Series(out) => {
            assert_eq!(out.timestamps, [0, P, P + 30_000, 2 * P]);
            assert_eq!(out.values, [1.0, 0.0, 5.0, 0.0]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn first_last_slice_sort_remove_empty_metric_count() {
    // a = [1, -, 3] (sum 4, avg 2, min 1, max 3), b = [3, 5, -] (sum 8, avg 4, min 3, max 5),
    // c = [] (no statistic), d = [6, -, -] (sum 6, avg 6, min 6, max 6)
    let ctx = Fake::new(3)
        .metric("a", &[Some(1.0), N, Some(3.0)])
        .metric("b", &[Some(3.0), Some(5.0), N])
        .metric("c", &[N; 3])
        .metric("d", &[Some(6.0), N, N]);
    let labels = |src: &str| array(&ctx, src).into_iter().map(|s| s.label).collect::<Vec<_>>();
    check(&ctx, "FIRST(METRICS())", 3, &[Some(1.0), N, Some(3.0)]);
    check(&ctx, "LAST(METRICS())", 3, &[Some(6.0), N, N]);
    check(&ctx, "FIRST(REMOVE_EMPTY([c]))", 3, &[N; 3]);
    assert_eq!(labels("REMOVE_EMPTY(METRICS())"), ["a", "b", "d"]);
    assert_eq!(labels("SLICE(METRICS(), 1)"), ["b", "c", "d"]);
    assert_eq!(labels("SLICE(METRICS(), 0, 2)"), ["a", "b"]);
    assert_eq!(labels("SLICE(METRICS(), 2, 10)"), ["c", "d"]);
    assert_eq!(labels("SLICE(METRICS(), 1.9, 3.2)"), ["b", "c"]);
    assert!(labels("SLICE(METRICS(), 3, 1)").is_empty());
    assert!(labels("SLICE(METRICS(), 9)").is_empty());
    // SUM: a 4, b 8, d 6; c has no points and goes last either way.
    assert_eq!(labels("SORT(METRICS(), SUM, DESC)"), ["b", "d", "a", "c"]);
    assert_eq!(labels("SORT(METRICS(), SUM, ASC)"), ["a", "d", "b", "c"]);
    // AVG: a 2, b 4, d 6.
    assert_eq!(labels("SORT(METRICS(), AVG, DESC)"), ["d", "b", "a", "c"]);
    // MIN: a 1, b 3, d 6. MAX: a 3, b 5, d 6 — a tie-free check of each statistic.
    assert_eq!(labels("SORT([d, b, a], MIN, ASC)"), ["a", "b", "d"]);
    assert_eq!(labels("SORT([b, d, a], MAX, DESC)"), ["d", "b", "a"]);
    // Ties keep their order: a * 2 (label a) and b both sum to 8.
    assert_eq!(labels("SORT([b, a * 2], SUM, DESC)"), ["b", "a"]);
    assert_eq!(labels("SORT([a * 2, b], SUM, ASC)"), ["a", "b"]);
    assert_eq!(labels("SORT(METRICS(), SUM, DESC, 2)"), ["b", "d"]);
    assert!(labels("SORT(METRICS(), SUM, DESC, 0)").is_empty());
    assert_eq!(labels("SLICE(SORT(METRICS(), AVG, ASC), 1)"), ["b", "d", "c"]);
    check(&ctx, "FIRST(SORT(METRICS(), MAX, DESC))", 3, &[Some(6.0), N, N]);
    assert_eq!(scalar(&ctx, "METRIC_COUNT(METRICS())"), 4.0);
    // m / METRIC_COUNT: a / 4.
    check(&ctx, "a / METRIC_COUNT(METRICS())", 3, &[Some(0.25), N, Some(0.75)]);
    assert!(matches!(eval(&ctx, "SORT(5, SUM, ASC)"), Err(MathError::Type { column: 6, .. })));
    assert!(matches!(eval(&ctx, "SLICE(METRICS(), a)"), Err(MathError::Type { column: 18, .. })));
}

#[test]
fn metrics_filters_by_id_substring() {
    let ctx = Fake::new(1)
        .metric("errors4xx", &[Some(1.0)])
        .metric("errors5xx", &[Some(2.0)])
        .metric("requests", &[Some(10.0)])
        .expr("e1", Value::Series(ts("e1", &[Some(100.0)])));
    let ids = |src: &str| array(&ctx, src).into_iter().map(|s| s.label).collect::<Vec<_>>();
    // Expressions (e1) are not metrics.
    assert_eq!(ids("METRICS()"), ["errors4xx", "errors5xx", "requests"]);
    assert_eq!(ids("METRICS('errors')"), ["errors4xx", "errors5xx"]);
    assert_eq!(ids("METRICS(\"5xx\")"), ["errors5xx"]);
    assert_eq!(ids("[METRICS('4xx'), METRICS('5xx')]"), ["errors4xx", "errors5xx"]);
    assert!(ids("METRICS('Errors')").is_empty());
    // SUM(METRICS("errors")) / SUM(METRICS("requests")) * 100 = (1 + 2) / 10 * 100.
    check(&ctx, "SUM(METRICS('errors')) / SUM(METRICS('requests')) * 100", 1, &[Some(30.0)]);
}

#[test]
fn period_and_time_series() {
    let ctx = Fake::new(3).metric("m1", &[Some(120.0), N, Some(30.0)]).expr("e1", Value::Scalar(1.0));
    assert_eq!(scalar(&ctx, "PERIOD(m1)"), 60.0);
    check(&ctx, "m1 / PERIOD(m1)", 3, &[Some(2.0), N, Some(0.5)]);
    assert!(matches!(eval(&ctx, "PERIOD(e1)"), Err(MathError::Type { column: 8, .. })));
    assert!(matches!(eval(&ctx, "PERIOD(m1 * 2)"), Err(MathError::Type { column: 8, .. })));
    assert!(matches!(eval(&ctx, "PERIOD(zz)"), Err(MathError::UnknownId { column: 8, .. })));
    check(&ctx, "TIME_SERIES(5)", 3, &[Some(5.0); 3]);
    // MAX(m1) = 120.
    check(&ctx, "TIME_SERIES(MAX(m1))", 3, &[Some(120.0); 3]);
    check(&ctx, "TIME_SERIES(5 * AVG(m1))", 3, &[Some(375.0); 3]);
    check(&ctx, "TIME_SERIES(1 / 0)", 3, &[N; 3]);
    assert!(matches!(eval(&ctx, "TIME_SERIES(m1)"), Err(MathError::Type { column: 13, .. })));
}

#[test]
fn date_functions_use_utc_calendar_fields_of_each_bucket() {
    // 2024-02-29 is day 19782 since 1970-01-01 (54·365 + 13 leap days to 2024-01-01, then
    // 31 + 28), a Thursday; 23:58 is 86,280 s into the day: 1,709,164,800 + 86,280.
    let start_s = 1_709_251_080;
    let mut ctx = Fake::new(3).metric("m1", &[Some(1.0), N, N]);
    ctx.grid = Grid { start_ms: start_s * 1000, end_ms: (start_s + 180) * 1000, period_s: 60 };
    let at = |src: &str| match eval(&ctx, src).unwrap() {
        Value::Series(s) => {
            assert_eq!(s.timestamps, [start_s * 1000, (start_s + 60) * 1000, (start_s + 120) * 1000], "{src}");
            s.values
        }
        other => panic!("{src}: {other:?}"),
    };
    // Buckets: Thu 2024-02-29 23:58, 23:59, Fri 2024-03-01 00:00.
    assert_eq!(at("MINUTE(m1)"), [58.0, 59.0, 0.0]);
    assert_eq!(at("HOUR(m1)"), [23.0, 23.0, 0.0]);
    assert_eq!(at("DAY(m1)"), [4.0, 4.0, 5.0]);
    assert_eq!(at("DATE(m1)"), [29.0, 29.0, 1.0]);
    assert_eq!(at("MONTH(m1)"), [2.0, 2.0, 3.0]);
    assert_eq!(at("YEAR(m1)"), [2024.0; 3]);
    assert_eq!(at("EPOCH(m1)"), [1_709_251_080.0, 1_709_251_140.0, 1_709_251_200.0]);
    // "IF(DAY(m1)<6,m1)": weekdays only — m1's one point is on a Thursday.
    assert_eq!(at("IF(DAY(m1) < 6, 1)"), [1.0; 3]);
}

#[test]
fn civil_calendar_known_dates() {
    use crate::metrics::math::functions::civil;
    let day = 86_400_000;
    // (epoch ms, year, month, day, ISO weekday)
    let table = [
        (0, 1970.0, 1.0, 1.0, 4.0),                  // Thursday
        (-day, 1969.0, 12.0, 31.0, 3.0),             // Wednesday
        (10_957 * day, 2000.0, 1.0, 1.0, 6.0),       // 30·365 + 7 leap days; Saturday
        (11_016 * day, 2000.0, 2.0, 29.0, 2.0),      // + 31 + 28; Tuesday
        (11_017 * day, 2000.0, 3.0, 1.0, 3.0),       // Wednesday
        (19_723 * day - 1, 2023.0, 12.0, 31.0, 7.0), // last ms of a Sunday
    ];
    for (t, y, m, d, w) in table {
        let c = civil(t);
        assert_eq!((c.year, c.month, c.day, c.weekday), (y, m, d, w), "t = {t}");
    }
    let c = civil(19_723 * day - 1);
    assert_eq!((c.hour, c.minute, c.epoch_s), (23.0, 59.0, (19_723 * 86_400 - 1) as f64));
}

#[test]
fn search_passes_query_statistic_and_period() {
    let key = |ns: &str, name: &str, dims: &[(&str, &str)]| {
        MetricKey::new(ns, name, dims.iter().map(|(n, v)| Dimension::new(*n, *v)).collect())
    };
    let mut ctx = Fake::new(1);
    ctx.catalog = vec![
        key("AWS/Lambda", "Errors", &[("FunctionName", "f1")]),
        key("AWS/Lambda", "Errors", &[("FunctionName", "f2")]),
        key("AWS/Lambda", "Invocations", &[("FunctionName", "f1")]),
        key("AWS/Lambda", "Errors", &[]),
    ];
    let got = array(&ctx, "SEARCH('{AWS/Lambda, FunctionName} MetricName=\"Errors\"', 'Sum', 300)");
    assert_eq!(got.len(), 2);
    let (hits, stat, period) = ctx.searches.borrow()[0].clone();
    assert_eq!((hits, stat.as_str(), period), (ctx.catalog[..2].to_vec(), "Sum", 300));
    // Without a period, the expression's own; the fake values hits 0 and 1 at bucket 0.
    check(&ctx, "SUM(SEARCH('{AWS/Lambda,FunctionName} Errors', 'p99.5'))", 1, &[Some(1.0)]);
    assert_eq!(ctx.searches.borrow()[1].1, "p99.5");
    assert_eq!(ctx.searches.borrow()[1].2, 60);
}

#[test]
fn finalize_labels_and_rejects_scalars() {
    let s = ts("m1", &[Some(1.0)]);
    let one = |label| finalize(Value::Series(s.clone()), "e1", label).unwrap()[0].label.clone();
    assert_eq!(one(None), "e1");
    assert_eq!(one(Some("")), "e1");
    assert_eq!(one(Some("Error rate")), "Error rate");
    let arr = Value::Array(vec![ts("Errors", &[]), ts("", &[])]);
    let labels = |label| finalize(arr.clone(), "e1", label).unwrap().into_iter().map(|s| s.label).collect::<Vec<_>>();
    assert_eq!(labels(None), ["Errors", ""]);
    assert_eq!(labels(Some("Filled With 0:")), ["Filled With 0: Errors", "Filled With 0:"]);
    assert!(matches!(finalize(Value::Scalar(1.0), "e1", None), Err(MathError::ScalarResult)));
}

#[test]
fn unknown_ids_and_final_scalars_are_errors() {
    let ctx = Fake::new(1).metric("m1", &[Some(1.0)]);
    match eval(&ctx, "m1 + m2") {
        Err(MathError::UnknownId { column: 6, id }) => assert_eq!(id, "m2"),
        other => panic!("{other:?}"),
    }
    // "AVG of a single time series produces a scalar number, so it can't be the final result."
    let v = eval(&ctx, "AVG(m1)").unwrap();
    assert!(finalize(v, "e1", None).is_err());
    let v = eval(&ctx, "m1 - AVG(m1)").unwrap();
    assert_eq!(finalize(v, "e1", None).unwrap()[0].values, [0.0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Evaluation of any well-formed expression returns a value or an error, never panics,
    /// and every series it returns is sorted with finite values.
    #[test]
    fn evaluate_never_panics(e in super::parse::arb_expr()) {
        let ctx = Fake::new(4)
            .metric("m1", &[Some(1.0), None, Some(-2.0), Some(0.0)])
            .metric("m2", &[None, Some(3.5), Some(0.0), None])
            .expr("arr", Value::Array(vec![ts("x", &[Some(0.0), Some(1e300)]), ts("y", &[])]))
            .expr("e1", Value::Scalar(2.0));
        let check = |s: &TimeSeries| {
            s.timestamps.windows(2).all(|w| w[0] < w[1])
                && s.timestamps.len() == s.values.len()
                && s.values.iter().all(|v| v.is_finite())
        };
        match evaluate(&e, &ctx) {
            Ok(Value::Series(s)) => prop_assert!(check(&s), "{e}: {s:?}"),
            Ok(Value::Array(a)) => prop_assert!(a.iter().all(check), "{e}: {a:?}"),
            Ok(Value::Scalar(_)) | Err(_) => {}
        }
    }
}
