//! The metric math function library (CloudWatch User Guide, "Functions supported for metric
//! math"). Each function's rule is in its doc comment; the design note lists the sources and
//! the choices made where AWS is silent.

use std::collections::BTreeMap;

use crate::metrics::frame::TimeSeries;

use super::MathError;
use super::ast::{Expr, ExprKind, Func, Keyword};
use super::eval::{Eval, Value, if_, map_value};
use super::lexer::unescape;

/// Calls `func` (arity and keyword placement were checked by the parser).
pub(crate) fn call(ev: &Eval<'_>, call: &Expr, func: Func, args: &[Expr]) -> Result<Value, MathError> {
    let name = func.name();
    match func {
        Func::Abs => pointwise(ev, &args[0], f64::abs),
        Func::Ceil => pointwise(ev, &args[0], f64::ceil),
        Func::Floor => pointwise(ev, &args[0], f64::floor),
        Func::Log => pointwise(ev, &args[0], f64::ln),
        Func::Log10 => pointwise(ev, &args[0], f64::log10),
        Func::Avg => aggregate(ev, &args[0], Agg::Avg, name),
        Func::Min => aggregate(ev, &args[0], Agg::Min, name),
        Func::Max => aggregate(ev, &args[0], Agg::Max, name),
        Func::Sum => aggregate(ev, &args[0], Agg::Sum, name),
        Func::Stddev => aggregate(ev, &args[0], Agg::Stddev, name),
        Func::DatapointCount => aggregate(ev, &args[0], Agg::Count, name),
        Func::Diff => per_series(ev, &args[0], name, |s| consecutive(s, |_, v0, _, v1| v1 - v0)),
        Func::DiffTime => per_series(ev, &args[0], name, |s| consecutive(s, |t0, _, t1, _| secs(t1 - t0))),
        Func::Rate => per_series(ev, &args[0], name, |s| consecutive(s, |t0, v0, t1, v1| (v1 - v0) / secs(t1 - t0))),
        Func::RunningSum => per_series(ev, &args[0], name, running_sum),
        Func::Minute => date_part(ev, &args[0], name, |c| c.minute),
        Func::Hour => date_part(ev, &args[0], name, |c| c.hour),
        Func::Day => date_part(ev, &args[0], name, |c| c.weekday),
        Func::Date => date_part(ev, &args[0], name, |c| c.day),
        Func::Month => date_part(ev, &args[0], name, |c| c.month),
        Func::Year => date_part(ev, &args[0], name, |c| c.year),
        Func::Epoch => date_part(ev, &args[0], name, |c| c.epoch_s),
        Func::Fill => fill(ev, args),
        Func::First | Func::Last => {
            let items = array_arg(ev, &args[0], name)?;
            let pick = if func == Func::First { items.into_iter().next() } else { items.into_iter().next_back() };
            Ok(Value::Series(pick.unwrap_or_default()))
        }
        Func::If => if_(ev, call, args),
        Func::MetricCount => Ok(Value::Scalar(array_arg(ev, &args[0], name)?.len() as f64)),
        Func::Metrics => {
            let filter = match args.first().map(|a| &a.kind) {
                Some(ExprKind::Str { raw, .. }) => Some(unescape(raw)),
                _ => None,
            };
            Ok(Value::Array(ev.ctx.metrics(filter.as_deref())))
        }
        Func::Period => period(ev, &args[0]),
        Func::RemoveEmpty => {
            let items = array_arg(ev, &args[0], name)?;
            Ok(Value::Array(items.into_iter().filter(|s| !s.values.is_empty()).collect()))
        }
        Func::Slice => slice(ev, args),
        Func::Sort => sort(ev, args),
        Func::TimeSeries => {
            let x = scalar_arg(ev, &args[0], name)?;
            Ok(Value::Series(on_grid(ev, String::new(), |_| Some(x))))
        }
        Func::Search => Err(ev.type_error(call, "SEARCH must be called with literal arguments")),
    }
}

fn expects(ev: &Eval<'_>, e: &Expr, name: &str, what: &str) -> MathError {
    ev.type_error(e, format!("{name} expects {what}"))
}

/// An array argument; a single series counts as an array of one.
fn array_arg(ev: &Eval<'_>, e: &Expr, name: &str) -> Result<Vec<TimeSeries>, MathError> {
    match ev.eval(e)? {
        Value::Array(a) => Ok(a),
        Value::Series(s) => Ok(vec![s]),
        Value::Scalar(_) => Err(expects(ev, e, name, "an array of time series")),
    }
}

fn scalar_arg(ev: &Eval<'_>, e: &Expr, name: &str) -> Result<f64, MathError> {
    match ev.eval(e)? {
        Value::Scalar(x) => Ok(x),
        _ => Err(expects(ev, e, name, "a scalar")),
    }
}

/// ABS, CEIL, FLOOR, LOG, LOG10: each point (or a scalar); non-finite results are dropped.
fn pointwise(ev: &Eval<'_>, e: &Expr, f: fn(f64) -> f64) -> Result<Value, MathError> {
    Ok(map_value(ev.eval(e)?, |v| Some(f(v))))
}

/// A transform of each series of a TS or TS[] argument.
fn per_series(ev: &Eval<'_>, e: &Expr, name: &str, f: impl Fn(&TimeSeries) -> TimeSeries) -> Result<Value, MathError> {
    match ev.eval(e)? {
        Value::Series(s) => Ok(Value::Series(f(&s))),
        Value::Array(a) => Ok(Value::Array(a.iter().map(f).collect())),
        Value::Scalar(_) => Err(expects(ev, e, name, "a time series or an array of time series")),
    }
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// DIFF, DIFF_TIME, RATE: one point per point that has a predecessor (the previous point that
/// has a value), at the later timestamp; `f(t0, v0, t1, v1)`.
fn consecutive(s: &TimeSeries, f: impl Fn(i64, f64, i64, f64) -> f64) -> TimeSeries {
    let mut out = TimeSeries { label: s.label.clone(), ..TimeSeries::default() };
    for k in 1..s.timestamps.len() {
        let r = f(s.timestamps[k - 1], s.values[k - 1], s.timestamps[k], s.values[k]);
        if r.is_finite() {
            out.timestamps.push(s.timestamps[k]);
            out.values.push(r);
        }
    }
    out
}

/// RUNNING_SUM: the sum of all points up to and including each point.
fn running_sum(s: &TimeSeries) -> TimeSeries {
    let mut acc = 0.0;
    let values = s.values.iter().map(|v| {
        acc += v;
        acc
    });
    TimeSeries { label: s.label.clone(), timestamps: s.timestamps.clone(), values: values.collect() }
}

#[derive(Clone, Copy, PartialEq)]
enum Agg {
    Avg,
    Min,
    Max,
    Sum,
    Stddev,
    Count,
}

/// One statistic of a set of values. No values: SUM and DATAPOINT_COUNT are 0, the others
/// have no value (NaN). STDDEV is the sample standard deviation (n − 1), 0 for one value.
fn stat(agg: Agg, vs: &[f64]) -> f64 {
    let n = vs.len() as f64;
    match agg {
        Agg::Count => n,
        Agg::Sum => vs.iter().sum(),
        _ if vs.is_empty() => f64::NAN,
        Agg::Avg => vs.iter().sum::<f64>() / n,
        Agg::Min => vs.iter().copied().fold(f64::INFINITY, f64::min),
        Agg::Max => vs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Agg::Stddev if vs.len() == 1 => 0.0,
        Agg::Stddev => {
            let mean = vs.iter().sum::<f64>() / n;
            (vs.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
        }
    }
}

/// AVG, MIN, MAX, SUM, STDDEV, DATAPOINT_COUNT: of one series, a scalar over its points; of an
/// array, a series with one point per timestamp where any series has one, over the values
/// present there — except AVG, which divides by the number of series ("Missing values are
/// treated as 0").
fn aggregate(ev: &Eval<'_>, e: &Expr, agg: Agg, name: &str) -> Result<Value, MathError> {
    let items = match ev.eval(e)? {
        Value::Series(s) => return Ok(Value::Scalar(stat(agg, &s.values))),
        Value::Array(a) => a,
        Value::Scalar(_) => return Err(expects(ev, e, name, "a time series or an array of time series")),
    };
    let mut at: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for s in &items {
        for (&t, &v) in s.timestamps.iter().zip(&s.values) {
            at.entry(t).or_default().push(v);
        }
    }
    let mut out = TimeSeries::default();
    for (t, vs) in at {
        let r = if agg == Agg::Avg { vs.iter().sum::<f64>() / items.len() as f64 } else { stat(agg, &vs) };
        if r.is_finite() {
            out.timestamps.push(t);
            out.values.push(r);
        }
    }
    Ok(Value::Series(out))
}

/// A series with one point per bucket of the expression's grid.
fn on_grid(ev: &Eval<'_>, label: String, f: impl Fn(i64) -> Option<f64>) -> TimeSeries {
    let grid = ev.ctx.grid();
    let mut out = TimeSeries { label, ..TimeSeries::default() };
    for k in 0..grid.len() {
        let t = grid.time(k);
        if let Some(v) = f(t).filter(|v| v.is_finite()) {
            out.timestamps.push(t);
            out.values.push(v);
        }
    }
    out
}

/// The UTC calendar fields of a timestamp.
pub(crate) struct Civil {
    pub(crate) year: f64,
    pub(crate) month: f64,
    /// Day of the month, 1–31.
    pub(crate) day: f64,
    /// ISO day of the week: 1 = Monday … 7 = Sunday.
    pub(crate) weekday: f64,
    pub(crate) hour: f64,
    pub(crate) minute: f64,
    pub(crate) epoch_s: f64,
}

/// Calendar fields of epoch milliseconds `t` (proleptic Gregorian, H. Hinnant's
/// `civil_from_days`).
pub(crate) fn civil(t: i64) -> Civil {
    let secs = t.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year: year as f64,
        month: month as f64,
        day: day as f64,
        // 1970-01-01 was a Thursday (ISO 4).
        weekday: ((days + 3).rem_euclid(7) + 1) as f64,
        hour: (sod / 3600) as f64,
        minute: (sod % 3600 / 60) as f64,
        epoch_s: secs as f64,
    }
}

/// MINUTE, HOUR, DAY, DATE, MONTH, YEAR, EPOCH: "a new non-sparse time series where each value
/// is based on its timestamp", one point per bucket of the grid; the argument contributes only
/// its label (an array gives one series per element).
fn date_part(ev: &Eval<'_>, e: &Expr, name: &str, part: fn(&Civil) -> f64) -> Result<Value, MathError> {
    let make = |label: &str| on_grid(ev, label.to_owned(), |t| Some(part(&civil(t))));
    match ev.eval(e)? {
        Value::Series(s) => Ok(Value::Series(make(&s.label))),
        Value::Array(a) => Ok(Value::Array(a.iter().map(|s| make(&s.label)).collect())),
        Value::Scalar(_) => Err(expects(ev, e, name, "a time series")),
    }
}

enum Filler {
    Value(f64),
    Series(TimeSeries),
    Repeat,
    Linear,
}

/// FILL(TS | TS[], S | TS | REPEAT | LINEAR): every bucket of the grid without a point gets one:
/// the scalar; the filler series' point at that time (if it has one); the latest earlier point
/// (REPEAT; none before the first point); or the linear interpolation between the points on
/// either side (LINEAR; none before the first or after the last point). Points are kept.
fn fill(ev: &Eval<'_>, args: &[Expr]) -> Result<Value, MathError> {
    let filler = match &args[1].kind {
        ExprKind::Keyword(Keyword::Repeat) => Filler::Repeat,
        ExprKind::Keyword(Keyword::Linear) => Filler::Linear,
        _ => match ev.eval(&args[1])? {
            Value::Scalar(x) => Filler::Value(x),
            Value::Series(s) => Filler::Series(s),
            Value::Array(mut a) if a.len() == 1 => Filler::Series(a.remove(0)),
            Value::Array(_) => return Err(expects(ev, &args[1], "FILL", "a scalar, a time series, REPEAT or LINEAR")),
        },
    };
    per_series(ev, &args[0], "FILL", |s| fill_series(ev, s, &filler))
}

fn fill_series(ev: &Eval<'_>, s: &TimeSeries, filler: &Filler) -> TimeSeries {
    let value_at = |t: i64| -> Option<f64> {
        let k = s.timestamps.partition_point(|&x| x < t);
        if s.timestamps.get(k) == Some(&t) {
            return Some(s.values[k]);
        }
        match filler {
            Filler::Value(x) => Some(*x),
            Filler::Series(f) => f.timestamps.binary_search(&t).ok().map(|j| f.values[j]),
            Filler::Repeat => k.checked_sub(1).map(|p| s.values[p]),
            Filler::Linear => {
                let p = k.checked_sub(1)?;
                let (t0, v0) = (s.timestamps[p], s.values[p]);
                let (t1, v1) = (*s.timestamps.get(k)?, s.values[k]);
                Some(v0 + (v1 - v0) * (t - t0) as f64 / (t1 - t0) as f64)
            }
        }
    };
    let filled = on_grid(ev, s.label.clone(), value_at);
    // Keep points of `s` that lie off the grid (a series from a query with another period).
    let mut out = super::eval::zip_union(&filled, s, |a, b| a.or(b));
    out.label = s.label.clone();
    out
}

/// PERIOD(id): the period of a MetricStat query, in seconds.
fn period(ev: &Eval<'_>, e: &Expr) -> Result<Value, MathError> {
    let ExprKind::Id(id) = &e.kind else {
        return Err(expects(ev, e, "PERIOD", "the Id of a metric"));
    };
    match ev.ctx.period_of(id) {
        Some(p) => Ok(Value::Scalar(p as f64)),
        None if ev.ctx.lookup(id).is_some() => Err(expects(ev, e, "PERIOD", "a metric, not an expression")),
        None => Err(MathError::UnknownId { column: ev.column(e), id: id.clone() }),
    }
}

/// An index argument of SLICE or SORT: truncated toward zero, at least 0.
fn index_arg(ev: &Eval<'_>, e: &Expr, name: &str) -> Result<usize, MathError> {
    let x = scalar_arg(ev, e, name)?;
    if x.is_nan() {
        return Err(expects(ev, e, name, "a number"));
    }
    Ok(x.max(0.0).min(usize::MAX as f64) as usize)
}

/// SLICE(TS[], start[, end]): series `start` (inclusive, 0-based) to `end` (exclusive, default
/// the end); indexes past the end are clamped.
fn slice(ev: &Eval<'_>, args: &[Expr]) -> Result<Value, MathError> {
    let items = array_arg(ev, &args[0], "SLICE")?;
    let start = index_arg(ev, &args[1], "SLICE")?.min(items.len());
    let end = match args.get(2) {
        Some(e) => index_arg(ev, e, "SLICE")?.min(items.len()),
        None => items.len(),
    };
    Ok(Value::Array(if start < end { items[start..end].to_vec() } else { Vec::new() }))
}

/// SORT(TS[], AVG|MIN|MAX|SUM, ASC|DESC[, limit]): ordered by the statistic of each series'
/// points (ties keep their order; series without points last), at most `limit` of them.
/// Labels are kept.
fn sort(ev: &Eval<'_>, args: &[Expr]) -> Result<Value, MathError> {
    let items = array_arg(ev, &args[0], "SORT")?;
    let agg = match args[1].kind {
        ExprKind::Keyword(Keyword::Min) => Agg::Min,
        ExprKind::Keyword(Keyword::Max) => Agg::Max,
        ExprKind::Keyword(Keyword::Sum) => Agg::Sum,
        _ => Agg::Avg,
    };
    let desc = matches!(args[2].kind, ExprKind::Keyword(Keyword::Desc));
    let limit = args.get(3).map(|e| index_arg(ev, e, "SORT")).transpose()?;
    let mut keyed: Vec<(Option<f64>, TimeSeries)> =
        items.into_iter().map(|s| ((!s.values.is_empty()).then(|| stat(agg, &s.values)), s)).collect();
    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(x), Some(y)) => {
            let o = x.total_cmp(y);
            if desc { o.reverse() } else { o }
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut sorted: Vec<TimeSeries> = keyed.into_iter().map(|(_, s)| s).collect();
    if let Some(n) = limit {
        sorted.truncate(n);
    }
    Ok(Value::Array(sorted))
}
