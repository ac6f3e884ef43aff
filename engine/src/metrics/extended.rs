//! Extended statistics: the CloudWatch grammar (`p99`, `tm90`, `TM(10%:90%)`, `WM(…)`,
//! `TC(…)`, `TS(…)`, `IQM`, `PR(a:b)`; aws-semantics §2.5) and its evaluation, exactly on raw
//! values and approximately on a rollup's [`Sketch`].
//!
//! Callers: GetMetricStatistics (`ExtendedStatistics`), GetMetricData (`MetricStat.Stat`) and
//! alarms (`ExtendedStatistic`) parse with [`ExtendedStatistic::parse_for`]; the period
//! aggregation evaluates per period with [`ExtendedStatistic::evaluate_exact`] (raw data) or
//! [`ExtendedStatistic::evaluate_sketch`] (rollups), after turning statistic sets into values
//! with [`set_as_values`].
//!
//! # Semantics (sources and reasoning: `docs/design/2026-11-22-sketch.md`)
//!
//! Values are weighted (`Counts`); sort them ascending and give value `i` the rank interval
//! `(C(i−1), C(i)]`, where `C` is the cumulative weight and `W` the total.
//!
//! * `pN`: the first value whose cumulative weight reaches `N/100 · W` (`p0` = minimum,
//!   `p100` = maximum); "the maximum of the remaining N %".
//! * Percentage bounds `(a%:b%)` keep the rank window `[a/100 · W, b/100 · W]`; a value
//!   partly inside counts with the part of its weight inside. So `TC` is `(b − a)/100 · W`
//!   and may be fractional, as AWS documents ("an interpolated approximation").
//!   `TS` = Σ weight-inside × value, `TM` = `TS / TC`. `WM` replaces the weight below the
//!   window by the window's lowest value and the weight above it by its highest value.
//! * Absolute bounds `(a:b)` keep values in `(a, b]` (lower exclusive, upper inclusive, as
//!   AWS documents); `WM` clamps values `≤ a` to `a` and values `> b` to `b`.
//! * `tmN` = `TM(:N%)` (likewise `wm`, `tc`, `ts`); `IQM` = `TM(25%:75%)`;
//!   `PR(a:b)` = 100 × weight in `(a, b]` / `W` (absolute bounds only).
//! * No data → `None`. `TM` of an empty window → `None`; `TC`/`TS` → `0`.
//! * AWS: none of these statistics exist for a period holding a negative value →
//!   the evaluators return `None` when any value is below zero.

#[cfg(test)]
mod tests;

use std::fmt;

use crate::metrics::sketch::Sketch;

/// The bounds of `TM`, `WM`, `TC` and `TS`. At least one bound is present; when both are,
/// `lo < hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bounds {
    /// Percentages (each in `0..=100`) of the rank window; `tm99` is `Percent { None, 99 }`.
    Percent { lo: Option<f64>, hi: Option<f64> },
    /// Values: the statistic covers values in `(lo, hi]`.
    Absolute { lo: Option<f64>, hi: Option<f64> },
}

/// One parsed extended statistic. `Display` gives the canonical spelling, which parses back
/// to the same value; the spelling a client sent (`p99.0`, `TM(:99%)`) is not kept, so a
/// response that must echo it (GetMetricStatistics keys datapoints by the requested string)
/// keeps the request's string next to the parsed statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ExtendedStatistic {
    /// `pN`, `N` in `0..=100`.
    Percentile(f64),
    /// `tmN`, `TM(…)`.
    TrimmedMean(Bounds),
    /// `wmN`, `WM(…)`.
    WinsorizedMean(Bounds),
    /// `tcN`, `TC(…)`.
    TrimmedCount(Bounds),
    /// `tsN`, `TS(…)`.
    TrimmedSum(Bounds),
    /// `IQM`, the same as `TM(25%:75%)`.
    InterquartileMean,
    /// `PR(lo:hi)`: the percentage (0–100) of the weight with values in `(lo, hi]`.
    PercentileRank { lo: Option<f64>, hi: Option<f64> },
}

/// Most digits after the decimal point in a number of the grammar.
const MAX_DECIMALS: usize = 10;

type Trimmed = fn(Bounds) -> ExtendedStatistic;

/// The four trimmed families: lowercase single-number prefix, uppercase range prefix.
const TRIMMED: [(&str, &str, Trimmed); 4] = [
    ("tm", "TM(", ExtendedStatistic::TrimmedMean),
    ("wm", "WM(", ExtendedStatistic::WinsorizedMean),
    ("tc", "TC(", ExtendedStatistic::TrimmedCount),
    ("ts", "TS(", ExtendedStatistic::TrimmedSum),
];

impl ExtendedStatistic {
    /// Parses `s`, reporting a failure the way PutMetricAlarm does for `ExtendedStatistic`.
    pub(crate) fn parse(s: &str) -> Result<ExtendedStatistic, String> {
        ExtendedStatistic::parse_for(s, "ExtendedStatistic")
    }

    /// Parses `s`; the error is AWS's wording naming `parameter`
    /// (`ExtendedStatistic`, `ExtendedStatistics`, `Stat`):
    /// "The value `s` for parameter `parameter` is not supported."
    pub(crate) fn parse_for(s: &str, parameter: &str) -> Result<ExtendedStatistic, String> {
        parse(s).ok_or_else(|| format!("The value {s} for parameter {parameter} is not supported."))
    }

    /// Whether this is a plain percentile (`pN`).
    #[cfg_attr(not(test), allow(dead_code))] // for alarms' EvaluateLowSampleCountPercentile (issue 6)
    pub(crate) fn is_percentile(&self) -> bool {
        matches!(self, ExtendedStatistic::Percentile(_))
    }

    /// `EvaluateLowSampleCountPercentile`: whether `sample_count` data points are too few for a
    /// statistically significant percentile. AWS: fewer than `10 / (1 − p)` points for
    /// `0.5 ≤ p < 1`, fewer than `10 / p` for `0 < p < 0.5`. Other statistics, `p0` and `p100`
    /// are never "low".
    #[cfg_attr(not(test), allow(dead_code))] // for alarms' EvaluateLowSampleCountPercentile (issue 6)
    pub(crate) fn is_low_sample_count(&self, sample_count: f64) -> bool {
        match *self {
            ExtendedStatistic::Percentile(pct) => {
                let p = pct / 100.0;
                if p > 0.0 && p < 0.5 {
                    sample_count < 10.0 / p
                } else if (0.5..1.0).contains(&p) {
                    sample_count < 10.0 / (1.0 - p)
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    /// The statistic over raw `(value, weight)` pairs (any order; sorted in place). Pairs with
    /// a non-finite value or a weight that is not finite and positive are ignored. `None` when
    /// nothing remains, when the statistic is undefined (a trimmed mean of an empty window),
    /// or when a value is negative (AWS computes none of these statistics then).
    pub(crate) fn evaluate_exact(&self, values: &mut [(f64, f64)]) -> Option<f64> {
        let usable = |&(v, w): &(f64, f64)| v.is_finite() && w.is_finite() && w > 0.0;
        values.sort_unstable_by(|a, b| usable(b).cmp(&usable(a)).then(a.0.total_cmp(&b.0)));
        let n = values.iter().take_while(|p| usable(p)).count();
        let data = &values[..n];
        if data.first()?.0 < 0.0 {
            return None;
        }
        self.evaluate_sorted(data)
    }

    /// The statistic over a rollup's sketch, computed like [`Self::evaluate_exact`] over the
    /// bucket representatives. Percentiles, and trimmed/winsorized means, sums and counts with
    /// percentage bounds, are within the sketch's relative accuracy of the exact value (the
    /// rank windows are exact; each value moves by at most α). With absolute bounds, values
    /// within α of a bound may be counted on the wrong side of it. `None` as for exact data.
    pub(crate) fn evaluate_sketch(&self, sketch: &Sketch) -> Option<f64> {
        if sketch.has_negative() {
            return None;
        }
        let buckets: Vec<(f64, f64)> = sketch.buckets().collect();
        self.evaluate_sorted(&buckets)
    }

    /// `data`: ascending values, finite positive weights, none negative.
    fn evaluate_sorted(&self, data: &[(f64, f64)]) -> Option<f64> {
        let total: f64 = data.iter().map(|p| p.1).sum();
        if data.is_empty() || !total.is_finite() {
            return None;
        }
        match *self {
            ExtendedStatistic::Percentile(pct) => Some(at_rank(data, pct * total / 100.0)),
            ExtendedStatistic::TrimmedMean(b) => {
                let (count, sum) = window(data, total, b);
                (count > 0.0).then(|| sum / count)
            }
            ExtendedStatistic::TrimmedCount(b) => Some(window(data, total, b).0),
            ExtendedStatistic::TrimmedSum(b) => Some(window(data, total, b).1),
            ExtendedStatistic::WinsorizedMean(b) => Some(winsorized(data, total, b)),
            ExtendedStatistic::InterquartileMean => {
                let iqm = Bounds::Percent { lo: Some(25.0), hi: Some(75.0) };
                ExtendedStatistic::TrimmedMean(iqm).evaluate_sorted(data)
            }
            ExtendedStatistic::PercentileRank { lo, hi } => {
                let inside: f64 = data.iter().filter(|p| in_range(p.0, lo, hi)).map(|p| p.1).sum();
                Some(100.0 * inside / total)
            }
        }
    }
}

/// The first value whose cumulative weight reaches `target` (the last one if rounding leaves
/// it unreached).
fn at_rank(data: &[(f64, f64)], target: f64) -> f64 {
    let mut cumulative = 0.0;
    for &(v, w) in data {
        cumulative += w;
        if cumulative >= target {
            return v;
        }
    }
    data[data.len() - 1].0
}

fn in_range(v: f64, lo: Option<f64>, hi: Option<f64>) -> bool {
    lo.is_none_or(|lo| v > lo) && hi.is_none_or(|hi| v <= hi)
}

/// The rank window of percentage bounds: `[lo/100 · W, hi/100 · W]`.
fn rank_window(total: f64, lo: Option<f64>, hi: Option<f64>) -> (f64, f64) {
    // `pct * total / 100` keeps whole ranks exact for whole percentages and weights.
    let lo = lo.map_or(0.0, |p| p * total / 100.0);
    let hi = hi.map_or(total, |p| p * total / 100.0);
    (lo, hi)
}

/// `(count, sum)` of the weight inside the bounds (`TC`, `TS`).
fn window(data: &[(f64, f64)], total: f64, bounds: Bounds) -> (f64, f64) {
    let (mut count, mut sum) = (0.0, 0.0);
    match bounds {
        Bounds::Percent { lo, hi } => {
            let (from, to) = rank_window(total, lo, hi);
            let mut before = 0.0;
            for &(v, w) in data {
                let after = before + w;
                let inside = (after.min(to) - before.max(from)).max(0.0);
                count += inside;
                sum += inside * v;
                before = after;
            }
        }
        Bounds::Absolute { lo, hi } => {
            for &(v, w) in data.iter().filter(|p| in_range(p.0, lo, hi)) {
                count += w;
                sum += w * v;
            }
        }
    }
    (count, sum)
}

/// `WM`: the mean after clamping the values outside the bounds to the bounds' edge values.
fn winsorized(data: &[(f64, f64)], total: f64, bounds: Bounds) -> f64 {
    match bounds {
        Bounds::Percent { lo, hi } => {
            let (from, to) = rank_window(total, lo, hi);
            let (_, inside) = window(data, total, bounds);
            // The window's lowest value: the first whose rank interval reaches above `from`.
            let mut cumulative = 0.0;
            let mut lower = data[data.len() - 1].0;
            for &(v, w) in data {
                cumulative += w;
                if cumulative > from {
                    lower = v;
                    break;
                }
            }
            let upper = at_rank(data, to);
            (inside + from * lower + (total - to) * upper) / total
        }
        Bounds::Absolute { lo, hi } => {
            let clamp = |v: f64| match (lo, hi) {
                (Some(lo), _) if v <= lo => lo,
                (_, Some(hi)) if v > hi => hi,
                _ => v,
            };
            data.iter().map(|&(v, w)| w * clamp(v)).sum::<f64>() / total
        }
    }
}

/// The distribution a statistic set stands for, when AWS computes percentiles (and the other
/// extended statistics) from it: `Minimum = Maximum` and `Sum = Minimum × SampleCount`
/// (which covers "`SampleCount` = 1 with `Minimum = Maximum = Sum`"); the product is compared
/// with a relative tolerance of 1e-9 since clients compute it in floating point. Then the
/// set is `SampleCount` copies of `Minimum`. Otherwise `None`: a period containing such a set
/// has no extended statistics. (The API reference words the rule more loosely; the user
/// guide's stricter wording is the one followed here, see the design doc.)
pub(crate) fn set_as_values(count: f64, sum: f64, min: f64, max: f64) -> Option<Vec<(f64, f64)>> {
    let finite = count.is_finite() && sum.is_finite() && min.is_finite() && max.is_finite();
    if !finite || count <= 0.0 || min != max {
        return None;
    }
    let expected = min * count;
    let tolerance = 1e-9 * expected.abs().max(sum.abs());
    ((sum - expected).abs() <= tolerance).then(|| vec![(min, count)])
}

/// The grammar; `None` for anything AWS would not accept (see the design doc for the rules).
fn parse(s: &str) -> Option<ExtendedStatistic> {
    if s == "IQM" {
        return Some(ExtendedStatistic::InterquartileMean);
    }
    if let Some(inner) = s.strip_prefix("PR(").and_then(|r| r.strip_suffix(')')) {
        return match parse_bounds(inner)? {
            Bounds::Absolute { lo, hi } => Some(ExtendedStatistic::PercentileRank { lo, hi }),
            Bounds::Percent { .. } => None,
        };
    }
    for (short, long, make) in TRIMMED {
        if let Some(rest) = s.strip_prefix(short) {
            let hi = Some(percent(rest)?);
            return Some(make(Bounds::Percent { lo: None, hi }));
        }
        if let Some(inner) = s.strip_prefix(long).and_then(|r| r.strip_suffix(')')) {
            return parse_bounds(inner).map(make);
        }
    }
    let rest = s.strip_prefix('p')?;
    percent(rest).map(ExtendedStatistic::Percentile)
}

/// `lo:hi`, each side empty, `N%` or a value; both sides of one kind; not both empty.
fn parse_bounds(inner: &str) -> Option<Bounds> {
    let (lo, hi) = inner.split_once(':')?;
    // `Some(None)` is an empty side, `Some(Some((n, is_percent)))` a number.
    let side = |t: &str| -> Option<Option<(f64, bool)>> {
        if t.is_empty() {
            Some(None)
        } else if let Some(n) = t.strip_suffix('%') {
            Some(Some((percent(n)?, true)))
        } else {
            Some(Some((decimal(t, true)?, false)))
        }
    };
    let (lo, hi) = (side(lo)?, side(hi)?);
    let is_percent = match (lo, hi) {
        (None, None) => return None,
        (Some((_, a)), Some((_, b))) if a != b => return None,
        (Some((_, p)), _) | (_, Some((_, p))) => p,
    };
    let (lo, hi) = (lo.map(|x| x.0), hi.map(|x| x.0));
    if let (Some(lo), Some(hi)) = (lo, hi)
        && lo >= hi
    {
        return None;
    }
    Some(if is_percent { Bounds::Percent { lo, hi } } else { Bounds::Absolute { lo, hi } })
}

/// A percentage: a [`decimal`] without sign in `0..=100`.
fn percent(s: &str) -> Option<f64> {
    decimal(s, false).filter(|v| (0.0..=100.0).contains(v))
}

/// `[-]digits[.digits]`, at most [`MAX_DECIMALS`] digits after the point, finite.
fn decimal(s: &str, signed: bool) -> Option<f64> {
    let unsigned = if signed { s.strip_prefix('-').unwrap_or(s) } else { s };
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f) || f.len() > MAX_DECIMALS) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Writes an optional bound (nothing when absent) with an optional `%`.
fn write_bound(f: &mut fmt::Formatter<'_>, bound: Option<f64>, unit: &str) -> fmt::Result {
    match bound {
        Some(v) => write!(f, "{v}{unit}"),
        None => Ok(()),
    }
}

fn write_trimmed(f: &mut fmt::Formatter<'_>, short: &str, long: &str, b: Bounds) -> fmt::Result {
    match b {
        Bounds::Percent { lo: None, hi: Some(hi) } => write!(f, "{short}{hi}"),
        Bounds::Percent { lo, hi } | Bounds::Absolute { lo, hi } => {
            let unit = if matches!(b, Bounds::Percent { .. }) { "%" } else { "" };
            f.write_str(long)?;
            write_bound(f, lo, unit)?;
            f.write_str(":")?;
            write_bound(f, hi, unit)?;
            f.write_str(")")
        }
    }
}

impl fmt::Display for ExtendedStatistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExtendedStatistic::Percentile(p) => write!(f, "p{p}"),
            ExtendedStatistic::TrimmedMean(b) => write_trimmed(f, "tm", "TM(", b),
            ExtendedStatistic::WinsorizedMean(b) => write_trimmed(f, "wm", "WM(", b),
            ExtendedStatistic::TrimmedCount(b) => write_trimmed(f, "tc", "TC(", b),
            ExtendedStatistic::TrimmedSum(b) => write_trimmed(f, "ts", "TS(", b),
            ExtendedStatistic::InterquartileMean => f.write_str("IQM"),
            ExtendedStatistic::PercentileRank { lo, hi } => {
                f.write_str("PR(")?;
                write_bound(f, lo, "")?;
                f.write_str(":")?;
                write_bound(f, hi, "")?;
                f.write_str(")")
            }
        }
    }
}
