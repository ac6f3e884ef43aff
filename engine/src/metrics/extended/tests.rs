use super::*;
use proptest::prelude::*;

use ExtendedStatistic as E;

fn pct(lo: Option<f64>, hi: Option<f64>) -> Bounds {
    Bounds::Percent { lo, hi }
}

fn abs(lo: Option<f64>, hi: Option<f64>) -> Bounds {
    Bounds::Absolute { lo, hi }
}

fn p(s: &str) -> ExtendedStatistic {
    ExtendedStatistic::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn parser_accepts() {
    let table: &[(&str, ExtendedStatistic, &str)] = &[
        ("p99", E::Percentile(99.0), "p99"),
        ("p0", E::Percentile(0.0), "p0"),
        ("p0.0", E::Percentile(0.0), "p0"),
        ("p100", E::Percentile(100.0), "p100"),
        ("p100.0000000000", E::Percentile(100.0), "p100"),
        ("p99.9", E::Percentile(99.9), "p99.9"),
        ("p99.9999999999", E::Percentile(99.9999999999), "p99.9999999999"),
        ("p050", E::Percentile(50.0), "p50"),
        ("tm99", E::TrimmedMean(pct(None, Some(99.0))), "tm99"),
        ("tm0", E::TrimmedMean(pct(None, Some(0.0))), "tm0"),
        ("tm99.5", E::TrimmedMean(pct(None, Some(99.5))), "tm99.5"),
        ("wm98", E::WinsorizedMean(pct(None, Some(98.0))), "wm98"),
        ("tc90", E::TrimmedCount(pct(None, Some(90.0))), "tc90"),
        ("ts90", E::TrimmedSum(pct(None, Some(90.0))), "ts90"),
        ("TM(10%:90%)", E::TrimmedMean(pct(Some(10.0), Some(90.0))), "TM(10%:90%)"),
        ("TM(2%:98%)", E::TrimmedMean(pct(Some(2.0), Some(98.0))), "TM(2%:98%)"),
        ("TM(:95%)", E::TrimmedMean(pct(None, Some(95.0))), "tm95"),
        ("TM(10%:)", E::TrimmedMean(pct(Some(10.0), None)), "TM(10%:)"),
        ("TM(0%:100%)", E::TrimmedMean(pct(Some(0.0), Some(100.0))), "TM(0%:100%)"),
        ("TM(150:1000)", E::TrimmedMean(abs(Some(150.0), Some(1000.0))), "TM(150:1000)"),
        ("TM(-5:5)", E::TrimmedMean(abs(Some(-5.0), Some(5.0))), "TM(-5:5)"),
        ("TC(:0.5)", E::TrimmedCount(abs(None, Some(0.5))), "TC(:0.5)"),
        ("TC(0.005:0.030)", E::TrimmedCount(abs(Some(0.005), Some(0.03))), "TC(0.005:0.03)"),
        ("TC(80:500)", E::TrimmedCount(abs(Some(80.0), Some(500.0))), "TC(80:500)"),
        ("TS(80%:)", E::TrimmedSum(pct(Some(80.0), None)), "TS(80%:)"),
        ("WM(10%:90%)", E::WinsorizedMean(pct(Some(10.0), Some(90.0))), "WM(10%:90%)"),
        ("WM(5:)", E::WinsorizedMean(abs(Some(5.0), None)), "WM(5:)"),
        ("IQM", E::InterquartileMean, "IQM"),
        ("PR(:300)", E::PercentileRank { lo: None, hi: Some(300.0) }, "PR(:300)"),
        ("PR(100:2000)", E::PercentileRank { lo: Some(100.0), hi: Some(2000.0) }, "PR(100:2000)"),
        ("PR(10:)", E::PercentileRank { lo: Some(10.0), hi: None }, "PR(10:)"),
        ("PR(1000000:)", E::PercentileRank { lo: Some(1e6), hi: None }, "PR(1000000:)"),
    ];
    for (input, want, canonical) in table {
        let got = p(input);
        assert_eq!(&got, want, "{input}");
        assert_eq!(got.to_string(), *canonical, "{input}");
        assert_eq!(p(canonical), got, "{canonical}");
    }
}

#[test]
fn parser_rejects() {
    for input in [
        "",
        "p",
        "P99",
        "p101",
        "p100.0000000001",
        "p99.12345678901", // 11 decimals
        "p-1",
        "p+1",
        "p 99",
        " p99",
        "p99 ",
        "p99.",
        "p.5",
        "p1e2",
        "pNaN",
        "pinf",
        "p99%",
        "tm",
        "tm101",
        "tm-1",
        "tm99%",
        "TM99",
        "Tm99",
        "tm(10%:90%)",
        "tm(:99%)",
        "TM(10%:90%",
        "TM10%:90%)",
        "TM(:)",
        "TM()",
        "TM(10%)",
        "TM(90%:10%)",
        "TM(50%:50%)",
        "TM(1000:150)",
        "TM(10%:500)",
        "TM(10:90%)",
        "TM(101%:)",
        "TM(-1%:)",
        "TM(1:2:3)",
        "TM( 1:2)",
        "TM(1e3:)",
        "TM(1.:2)",
        "TM(0.12345678901:1)",
        "tm(10:20)",
        "WM()",
        "TC(%:)",
        "TS(:%)",
        "PR(10%:90%)",
        "PR(:90%)",
        "PR(:)",
        "PR(5:1)",
        "pr(1:2)",
        "PR",
        "PR10:20",
        "iqm",
        "IQM()",
        "Average",
        "p99,p50",
    ] {
        assert!(ExtendedStatistic::parse(input).is_err(), "accepted {input:?}");
    }
}

#[test]
fn error_message_names_the_parameter() {
    assert_eq!(
        ExtendedStatistic::parse("tm101").unwrap_err(),
        "The value tm101 for parameter ExtendedStatistic is not supported."
    );
    assert_eq!(
        ExtendedStatistic::parse_for("p101", "ExtendedStatistics").unwrap_err(),
        "The value p101 for parameter ExtendedStatistics is not supported."
    );
}

fn ones(values: &[f64]) -> Vec<(f64, f64)> {
    values.iter().map(|&v| (v, 1.0)).collect()
}

fn eval(stat: &str, data: &[(f64, f64)]) -> Option<f64> {
    p(stat).evaluate_exact(&mut data.to_vec())
}

fn assert_close(stat: &str, got: Option<f64>, want: Option<f64>) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{stat}: {g} vs {w}"),
        _ => assert_eq!(got, want, "{stat}"),
    }
}

/// Data set A: 1, 2, …, 10, each once (shuffled). W = 10; value v has rank interval (v−1, v].
#[test]
fn one_to_ten() {
    let a = ones(&[7.0, 3.0, 10.0, 1.0, 5.0, 9.0, 2.0, 8.0, 4.0, 6.0]);
    let table: &[(&str, Option<f64>)] = &[
        ("p0", Some(1.0)),
        ("p10", Some(1.0)),    // target 1 → C(1) = 1 ≥ 1
        ("p10.5", Some(2.0)),  // target 1.05
        ("p50", Some(5.0)),    // target 5
        ("p90", Some(9.0)),    // target 9
        ("p95", Some(10.0)),   // target 9.5
        ("p99.9", Some(10.0)), // target 9.99
        ("p100", Some(10.0)),
        ("tm90", Some(5.0)), // window [0, 9]: 1..9 → 45 / 9
        ("tc90", Some(9.0)),
        ("ts90", Some(45.0)),
        ("TM(10%:90%)", Some(5.5)), // window [1, 9]: 2..9 → 44 / 8
        ("TC(10%:90%)", Some(8.0)),
        ("TS(10%:90%)", Some(44.0)),
        // window [2.5, 7.5]: half of 3, 4..7, half of 8 → (1.5 + 22 + 4) / 5
        ("IQM", Some(5.5)),
        ("TM(25%:75%)", Some(5.5)),
        ("TS(80%:)", Some(19.0)), // window [8, 10]: 9 + 10
        // wm90: 1..9 kept (45), the weight above rank 9 (value 10) becomes 9 → 54 / 10
        ("wm90", Some(5.4)),
        // WM(10%:90%): value 1 → 2 (window's lowest), value 10 → 9: (2 + 44 + 9) / 10
        ("WM(10%:90%)", Some(5.5)),
        ("TM(3:7)", Some(5.5)), // (3, 7]: 4, 5, 6, 7 → 22 / 4
        ("TC(3:7)", Some(4.0)),
        ("TS(3:7)", Some(22.0)),
        ("TC(:0.5)", Some(0.0)),
        ("TS(:0.5)", Some(0.0)),
        ("TM(:0.5)", None),
        // WM(3:7): 1, 2, 3 → 3 (9); 4..7 (22); 8, 9, 10 → 7 (21) → 52 / 10
        ("WM(3:7)", Some(5.2)),
        ("WM(:5)", Some(4.0)), // 1..5 (15) + 5 × 5 (25) → 40 / 10
        ("PR(:3)", Some(30.0)),
        ("PR(3:7)", Some(40.0)),
        ("PR(7:)", Some(30.0)),
        ("PR(10:)", Some(0.0)),
        ("PR(:10)", Some(100.0)),
        ("PR(0.5:1)", Some(10.0)),
        ("tm0", None),
        ("tc0", Some(0.0)),
        ("ts0", Some(0.0)),
        ("tm100", Some(5.5)),
        ("TM(90%:)", Some(10.0)),
    ];
    for &(stat, want) in table {
        assert_close(stat, eval(stat, &a), want);
    }
}

/// Data set B: 1, …, 15. tm90's window is [0, 13.5]: 1..13 whole, half of 14.
#[test]
fn fractional_trimmed_count() {
    let b: Vec<_> = ones(&(1..=15).map(f64::from).collect::<Vec<_>>());
    assert_close("tc90", eval("tc90", &b), Some(13.5));
    assert_close("ts90", eval("ts90", &b), Some(91.0 + 7.0));
    assert_close("tm90", eval("tm90", &b), Some(98.0 / 13.5));
    // p90: target 13.5 → 14.
    assert_close("p90", eval("p90", &b), Some(14.0));
    // wm90: 98 kept + 1.5 of weight at the window's top value 14 → (98 + 21) / 15
    assert_close("wm90", eval("wm90", &b), Some(119.0 / 15.0));
}

/// Data set C: 10 ×3, 20 ×1, 30 ×6 (weights as PutMetricData Counts). W = 10;
/// rank intervals: 10 → (0, 3], 20 → (3, 4], 30 → (4, 10].
#[test]
fn weighted_values() {
    let c = [(30.0, 6.0), (10.0, 3.0), (20.0, 1.0)];
    let table: &[(&str, Option<f64>)] = &[
        ("p30", Some(10.0)),
        ("p31", Some(20.0)),
        ("p40", Some(20.0)),
        ("p41", Some(30.0)),
        ("p50", Some(30.0)),
        ("tm50", Some(16.0)),        // [0, 5]: 3×10 + 1×20 + 1×30 = 80 → / 5
        ("TM(20%:80%)", Some(25.0)), // [2, 8]: 1×10 + 1×20 + 4×30 = 150 → / 6
        ("TC(20%:80%)", Some(6.0)),
        // lowest window value 10, highest 30: (150 + 2×10 + 2×30) / 10
        ("WM(20%:80%)", Some(23.0)),
        ("PR(10:20)", Some(10.0)),
        ("PR(:10)", Some(30.0)),
        ("TC(10:30)", Some(7.0)),
        ("TS(10:30)", Some(200.0)),
    ];
    for &(stat, want) in table {
        assert_close(stat, eval(stat, &c), want);
    }
    // IQM: window [2.5, 7.5]: 10 for (2.5, 3] → 0.5 × 10 = 5; 20 for (3, 4] → 20;
    // 30 for (4, 7.5] → 3.5 × 30 = 105; total 130 over 5 → 26.
    assert_close("IQM", eval("IQM", &c), Some(26.0));
}

#[test]
fn negative_values_disable_every_statistic() {
    let d = ones(&[1.0, -1.0, 5.0]);
    for stat in ["p50", "p0", "tm90", "WM(10%:90%)", "TC(0:10)", "TS(:5)", "IQM", "PR(:3)"] {
        assert_eq!(eval(stat, &d), None, "{stat}");
    }
    let mut sketch = Sketch::new();
    for &(v, w) in &d {
        sketch.add(v, w);
    }
    assert_eq!(p("p50").evaluate_sketch(&sketch), None);
    // Zero is not negative.
    let z = ones(&[0.0, 0.0, 1.0]);
    assert_eq!(eval("p50", &z), Some(0.0)); // target 1.5 → second 0
    assert_eq!(eval("PR(:0)", &z), Some(200.0 / 3.0));
}

#[test]
fn no_data_and_unusable_pairs() {
    for stat in ["p50", "tm90", "tc90", "ts90", "wm90", "IQM", "PR(:1)", "TC(1:2)"] {
        assert_eq!(eval(stat, &[]), None, "{stat}");
        assert_eq!(p(stat).evaluate_sketch(&Sketch::new()), None, "{stat}");
        // Zero or invalid weights and non-finite values are ignored.
        let junk = [(5.0, 0.0), (f64::NAN, 1.0), (7.0, -1.0), (f64::INFINITY, 1.0), (3.0, f64::NAN)];
        assert_eq!(eval(stat, &junk), None, "{stat}");
    }
    let mixed = [(5.0, 0.0), (2.0, 1.0), (-4.0, 0.0)];
    assert_eq!(eval("p50", &mixed), Some(2.0));
}

#[test]
fn statistic_sets() {
    assert_eq!(set_as_values(1.0, 5.0, 5.0, 5.0), Some(vec![(5.0, 1.0)]));
    assert_eq!(set_as_values(3.0, 15.0, 5.0, 5.0), Some(vec![(5.0, 3.0)]));
    assert_eq!(set_as_values(3.0, 0.1 + 0.1 + 0.1, 0.1, 0.1), Some(vec![(0.1, 3.0)]));
    assert_eq!(set_as_values(2.5, 0.0, 0.0, 0.0), Some(vec![(0.0, 2.5)]));
    assert_eq!(set_as_values(3.0, 16.0, 5.0, 5.0), None);
    assert_eq!(set_as_values(2.0, 10.0, 4.0, 6.0), None);
    assert_eq!(set_as_values(1.0, 5.0, 4.0, 6.0), None);
    assert_eq!(set_as_values(0.0, 0.0, 0.0, 0.0), None);
    assert_eq!(set_as_values(1.0, f64::NAN, 1.0, 1.0), None);
}

#[test]
fn low_sample_count() {
    // p99: fewer than 10 / 0.01 = 1000 points is "low"; p10: fewer than 10 / 0.1 = 100.
    assert!(p("p99").is_low_sample_count(999.0));
    assert!(!p("p99").is_low_sample_count(1000.0));
    assert!(p("p50").is_low_sample_count(19.0));
    assert!(!p("p50").is_low_sample_count(20.0));
    assert!(p("p10").is_low_sample_count(99.0));
    assert!(!p("p10").is_low_sample_count(100.0));
    assert!(!p("p100").is_low_sample_count(1.0));
    assert!(!p("p0").is_low_sample_count(1.0));
    assert!(!p("tm99").is_low_sample_count(1.0));
    assert!(p("p99").is_percentile() && !p("IQM").is_percentile());
}

/// A second, deliberately different implementation for unit weights: expand every weighted
/// value into copies, then use index arithmetic on the sorted copies `x[0..n]` (copy `i`
/// owns ranks `(i, i + 1]`).
mod naive {
    pub(super) fn expand(data: &[(f64, u32)]) -> Vec<f64> {
        let mut x: Vec<f64> = data.iter().flat_map(|&(v, w)| std::iter::repeat_n(v, w as usize)).collect();
        x.sort_by(f64::total_cmp);
        x
    }

    pub(super) fn percentile(x: &[f64], pct: f64) -> f64 {
        let t = pct * x.len() as f64 / 100.0;
        x[((t.ceil() as usize).max(1) - 1).min(x.len() - 1)]
    }

    /// Weight of copy `i` inside ranks `[a, b]`.
    fn part(i: usize, a: f64, b: f64) -> f64 {
        let (lo, hi) = (i as f64, i as f64 + 1.0);
        if hi <= a || lo >= b { 0.0 } else { hi.min(b) - lo.max(a) }
    }

    pub(super) fn window(x: &[f64], a_pct: f64, b_pct: f64) -> (f64, f64) {
        let n = x.len() as f64;
        let (a, b) = (a_pct * n / 100.0, b_pct * n / 100.0);
        let count = (0..x.len()).map(|i| part(i, a, b)).sum();
        let sum = (0..x.len()).map(|i| part(i, a, b) * x[i]).sum();
        (count, sum)
    }

    pub(super) fn winsorized(x: &[f64], a_pct: f64, b_pct: f64) -> f64 {
        let n = x.len() as f64;
        let (a, b) = (a_pct * n / 100.0, b_pct * n / 100.0);
        let lower = x[(a.floor() as usize).min(x.len() - 1)];
        let upper = percentile(x, b_pct);
        let (_, inside) = window(x, a_pct, b_pct);
        (inside + a * lower + (n - b) * upper) / n
    }

    pub(super) fn absolute(x: &[f64], lo: f64, hi: f64) -> (f64, f64, f64) {
        let inside: Vec<f64> = x.iter().copied().filter(|&v| v > lo && v <= hi).collect();
        let clamped: f64 = x.iter().map(|&v| v.max(lo).min(hi)).sum();
        (inside.len() as f64, inside.iter().sum(), clamped / x.len() as f64)
    }
}

fn data() -> impl Strategy<Value = Vec<(f64, u32)>> {
    prop::collection::vec(((0u32..1000).prop_map(|v| f64::from(v) / 4.0), 1u32..5), 1..60)
}

fn percentage() -> impl Strategy<Value = f64> {
    prop_oneof![(0u32..=100).prop_map(f64::from), (0u32..=10_000).prop_map(|v| f64::from(v) / 100.0)]
}

/// Two percentages `a < b`.
fn percent_window() -> impl Strategy<Value = (f64, f64)> {
    (percentage(), percentage()).prop_map(|(a, b)| match a.partial_cmp(&b) {
        Some(std::cmp::Ordering::Less) => (a, b),
        Some(std::cmp::Ordering::Greater) => (b, a),
        _ if a < 100.0 => (a, 100.0),
        _ => (0.0, 100.0),
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn weighted(d: &[(f64, u32)]) -> Vec<(f64, f64)> {
    d.iter().map(|&(v, w)| (v, f64::from(w))).collect()
}

fn number() -> impl Strategy<Value = f64> + Clone {
    (0u64..10_000_000, 0u32..=6, any::<bool>())
        .prop_map(|(n, d, neg)| (if neg { -1.0 } else { 1.0 }) * n as f64 / 10f64.powi(d as i32))
}

fn percent_number() -> impl Strategy<Value = f64> + Clone {
    (0u64..=100_000_000, 0u32..=6).prop_map(|(n, d)| (n as f64 / 10f64.powi(d as i32)).min(100.0))
}

fn opt_pair(s: impl Strategy<Value = f64> + Clone) -> impl Strategy<Value = (Option<f64>, Option<f64>)> + Clone {
    (prop::option::of(s.clone()), prop::option::of(s)).prop_filter_map("valid bounds", |(a, b)| match (a, b) {
        (None, None) => None,
        (Some(a), Some(b)) if a == b => None,
        (Some(a), Some(b)) => Some((Some(a.min(b)), Some(a.max(b)))),
        other => Some(other),
    })
}

fn statistic() -> impl Strategy<Value = ExtendedStatistic> {
    let bounds = prop_oneof![
        opt_pair(percent_number()).prop_map(|(lo, hi)| Bounds::Percent { lo, hi }),
        opt_pair(number()).prop_map(|(lo, hi)| Bounds::Absolute { lo, hi }),
    ];
    prop_oneof![
        percent_number().prop_map(E::Percentile),
        bounds.clone().prop_map(E::TrimmedMean),
        bounds.clone().prop_map(E::WinsorizedMean),
        bounds.clone().prop_map(E::TrimmedCount),
        bounds.prop_map(E::TrimmedSum),
        Just(E::InterquartileMean),
        opt_pair(number()).prop_map(|(lo, hi)| E::PercentileRank { lo, hi }),
    ]
}

proptest! {
    #[test]
    fn display_parses_back(stat in statistic()) {
        let shown = stat.to_string();
        prop_assert_eq!(ExtendedStatistic::parse(&shown), Ok(stat), "{}", shown);
    }

    #[test]
    fn parse_never_panics(s in "[pPtTmMwWcCsSiIqQrR()%:.0-9-]{0,16}") {
        if let Ok(stat) = ExtendedStatistic::parse(&s) {
            prop_assert_eq!(ExtendedStatistic::parse(&stat.to_string()), Ok(stat));
        }
    }

    #[test]
    fn exact_percentiles_match_naive(d in data(), pct in percentage()) {
        let x = naive::expand(&d);
        let got = E::Percentile(pct).evaluate_exact(&mut weighted(&d)).unwrap();
        prop_assert_eq!(got, naive::percentile(&x, pct));
    }

    #[test]
    fn exact_percent_windows_match_naive(d in data(), (a, b) in percent_window()) {
        let x = naive::expand(&d);
        let bounds = pct(Some(a), Some(b));
        let (count, sum) = naive::window(&x, a, b);
        let tc = E::TrimmedCount(bounds).evaluate_exact(&mut weighted(&d)).unwrap();
        let ts = E::TrimmedSum(bounds).evaluate_exact(&mut weighted(&d)).unwrap();
        prop_assert!(close(tc, count), "TC {} vs {}", tc, count);
        prop_assert!(close(ts, sum), "TS {} vs {}", ts, sum);
        let tm = E::TrimmedMean(bounds).evaluate_exact(&mut weighted(&d));
        if count > 1e-9 {
            prop_assert!(close(tm.unwrap(), sum / count));
        }
        let wm = E::WinsorizedMean(bounds).evaluate_exact(&mut weighted(&d)).unwrap();
        let want = naive::winsorized(&x, a, b);
        prop_assert!(close(wm, want), "WM {} vs {}", wm, want);
    }

    #[test]
    fn exact_absolute_bounds_match_naive(d in data(), a in 0u32..300, len in 1u32..300) {
        let b = a + len;
        let (lo, hi) = (f64::from(a), f64::from(b));
        let x = naive::expand(&d);
        let (count, sum, wm) = naive::absolute(&x, lo, hi);
        let bounds = abs(Some(lo), Some(hi));
        prop_assert_eq!(E::TrimmedCount(bounds).evaluate_exact(&mut weighted(&d)), Some(count));
        prop_assert!(close(E::TrimmedSum(bounds).evaluate_exact(&mut weighted(&d)).unwrap(), sum));
        prop_assert!(close(E::WinsorizedMean(bounds).evaluate_exact(&mut weighted(&d)).unwrap(), wm));
        let pr = E::PercentileRank { lo: Some(lo), hi: Some(hi) }.evaluate_exact(&mut weighted(&d));
        prop_assert!(close(pr.unwrap(), 100.0 * count / x.len() as f64));
    }

    #[test]
    fn sketch_within_alpha_of_exact(d in data(), (a, b) in percent_window()) {
        let mut sketch = Sketch::new();
        for &(v, w) in &d {
            sketch.add(v, f64::from(w));
        }
        let alpha = sketch.relative_accuracy() * (1.0 + 1e-9);
        let bounds = pct(Some(a), Some(b));
        for stat in [
            E::Percentile(a),
            E::Percentile(b),
            E::TrimmedMean(bounds),
            E::TrimmedSum(bounds),
            E::WinsorizedMean(bounds),
            E::InterquartileMean,
            E::TrimmedMean(pct(None, Some(b))),
        ] {
            let exact = stat.evaluate_exact(&mut weighted(&d));
            let approx = stat.evaluate_sketch(&sketch);
            match (exact, approx) {
                (Some(e), Some(s)) => prop_assert!(
                    (s - e).abs() <= alpha * e.abs() + 1e-9 * e.abs().max(1.0),
                    "{}: sketch {} exact {}", stat, s, e
                ),
                (e, s) => prop_assert!(e.is_none() && s.is_none(), "{}: {:?} vs {:?}", stat, s, e),
            }
        }
        // Trimmed counts with percentage bounds are exact up to rounding.
        let tc_e = E::TrimmedCount(bounds).evaluate_exact(&mut weighted(&d)).unwrap();
        let tc_s = E::TrimmedCount(bounds).evaluate_sketch(&sketch).unwrap();
        prop_assert!(close(tc_e, tc_s));
    }
}
