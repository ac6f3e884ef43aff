//! Evaluation: values, operators and `IF`; the function library is in `functions`.
//!
//! Operators (CloudWatch User Guide, "Metric math syntax and functions"):
//! - Arithmetic `+ - * / ^` between two series runs over the union of their timestamps with a
//!   missing value taken as 0 ("Missing values in a time series are treated as 0"); a point
//!   whose result is not finite (divide by zero, `LOG` of 0, overflow) is dropped ("If the value
//!   of a data point causes a function to attempt to divide by zero, the data point is
//!   dropped").
//! - Series with scalar: applied to each point. Array with series or scalar: applied to each
//!   series of the array (labels kept). Array with array: rejected (AWS lists no such form).
//! - Comparisons and `AND`/`OR` give 0/1; between two series a missing side is 0.
//! - A scalar that has no value (the `AVG` of an empty series) is NaN; any point it touches is
//!   dropped.

use crate::metrics::frame::TimeSeries;

use super::ast::{BinOp, Expr, ExprKind, UnaryOp};
use super::lexer::unescape;
use super::{MathContext, MathError, functions};

/// What an expression evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// One number (`S` in the AWS docs); NaN = no value.
    Scalar(f64),
    /// One time series (`TS`).
    Series(TimeSeries),
    /// An array of time series (`TS[]`).
    Array(Vec<TimeSeries>),
}

/// Evaluates a parsed expression against the request's other results.
pub(crate) fn evaluate(expr: &Expr, ctx: &dyn MathContext) -> Result<Value, MathError> {
    Eval { ctx }.eval(expr)
}

/// Evaluator state.
pub(crate) struct Eval<'a> {
    pub(crate) ctx: &'a dyn MathContext,
}

/// Turns the value of query `id` into its result series: a series is labelled with the query's
/// `Label`, or its `Id` when it has none; the series of an array keep their own labels, prefixed
/// with the query's `Label` and a space when one is set (the console's "Expression-Label
/// Metric-Label" legend, assumed for the API). A scalar is an error.
pub(crate) fn finalize(value: Value, id: &str, label: Option<&str>) -> Result<Vec<TimeSeries>, MathError> {
    let label = label.filter(|l| !l.is_empty());
    match value {
        Value::Scalar(_) => Err(MathError::ScalarResult),
        Value::Series(mut s) => {
            s.label = label.unwrap_or(id).to_owned();
            Ok(vec![s])
        }
        Value::Array(mut items) => {
            if let Some(l) = label {
                for s in &mut items {
                    s.label = if s.label.is_empty() { l.to_owned() } else { format!("{l} {}", s.label) };
                }
            }
            Ok(items)
        }
    }
}

impl Eval<'_> {
    /// The 1-based column of `e` in errors. The tree does not keep the text, so this is the
    /// byte offset + 1: the character column for ASCII expressions (all real ones).
    pub(crate) fn column(&self, e: &Expr) -> usize {
        e.span.start + 1
    }

    pub(crate) fn type_error(&self, at: &Expr, message: impl Into<String>) -> MathError {
        MathError::Type { column: self.column(at), message: message.into() }
    }

    pub(crate) fn eval(&self, e: &Expr) -> Result<Value, MathError> {
        match &e.kind {
            ExprKind::Number(n) => Ok(Value::Scalar(*n)),
            ExprKind::Id(id) => {
                self.ctx.lookup(id).ok_or_else(|| MathError::UnknownId { column: self.column(e), id: id.clone() })
            }
            ExprKind::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match self.eval(item)? {
                        Value::Series(s) => out.push(s),
                        Value::Array(a) => out.extend(a),
                        Value::Scalar(_) => {
                            return Err(self.type_error(item, "An array can only hold time series, not a scalar"));
                        }
                    }
                }
                Ok(Value::Array(out))
            }
            ExprKind::Unary(UnaryOp::Neg, x) => Ok(map_value(self.eval(x)?, |v| Some(-v))),
            ExprKind::Binary(op, l, r) => {
                let (lv, rv) = (self.eval(l)?, self.eval(r)?);
                binary(*op, lv, rv).ok_or_else(|| {
                    self.type_error(e, format!("The operator {} cannot combine two arrays of time series", op.symbol()))
                })
            }
            ExprKind::Call(func, args) => functions::call(self, e, *func, args),
            ExprKind::Search { query, args } => {
                let stat = match &args[1].kind {
                    ExprKind::Str { raw, .. } => unescape(raw),
                    _ => return Err(self.type_error(&args[1], "SEARCH expects a statistic in quotes")),
                };
                let period = match args.get(2).map(|a| &a.kind) {
                    Some(ExprKind::Number(n)) => *n as i64,
                    _ => self.ctx.grid().period_s,
                };
                Ok(Value::Array(self.ctx.search(query, &stat, period)?))
            }
            ExprKind::Str { .. } | ExprKind::Keyword(_) => {
                Err(self.type_error(e, "A string or keyword is not a value here"))
            }
        }
    }
}

/// Applies `f` to every point (or the scalar); `None` or a non-finite result drops the point
/// (a scalar becomes NaN, "no value"). Labels are kept.
pub(crate) fn map_value(v: Value, f: impl Fn(f64) -> Option<f64> + Copy) -> Value {
    match v {
        Value::Scalar(x) => Value::Scalar(f(x).filter(|r| r.is_finite()).unwrap_or(f64::NAN)),
        Value::Series(s) => Value::Series(map_series(&s, f)),
        Value::Array(a) => Value::Array(a.iter().map(|s| map_series(s, f)).collect()),
    }
}

/// Applies `f` to every point of `s`, dropping points where it gives `None` or a non-finite
/// number.
pub(crate) fn map_series(s: &TimeSeries, f: impl Fn(f64) -> Option<f64>) -> TimeSeries {
    let mut out = TimeSeries { label: s.label.clone(), ..TimeSeries::default() };
    for (&t, &v) in s.timestamps.iter().zip(&s.values) {
        if let Some(r) = f(v).filter(|r| r.is_finite()) {
            out.timestamps.push(t);
            out.values.push(r);
        }
    }
    out
}

/// Combines two series over the union of their timestamps; `f` sees `None` for a missing side.
/// The label is the left one's, or the right one's if the left has none.
pub(crate) fn zip_union(
    a: &TimeSeries,
    b: &TimeSeries,
    f: impl Fn(Option<f64>, Option<f64>) -> Option<f64>,
) -> TimeSeries {
    let label = if a.label.is_empty() { b.label.clone() } else { a.label.clone() };
    let mut out = TimeSeries { label, ..TimeSeries::default() };
    let (mut i, mut j) = (0, 0);
    while i < a.timestamps.len() || j < b.timestamps.len() {
        let ta = a.timestamps.get(i).copied();
        let tb = b.timestamps.get(j).copied();
        let (t, x, y) = match (ta, tb) {
            (Some(p), Some(q)) if p == q => {
                i += 1;
                j += 1;
                (p, Some(a.values[i - 1]), Some(b.values[j - 1]))
            }
            (Some(p), Some(q)) if p < q => {
                i += 1;
                (p, Some(a.values[i - 1]), None)
            }
            (Some(p), None) => {
                i += 1;
                (p, Some(a.values[i - 1]), None)
            }
            (_, Some(q)) => {
                j += 1;
                (q, None, Some(b.values[j - 1]))
            }
            (None, None) => break,
        };
        if let Some(r) = f(x, y).filter(|r| r.is_finite()) {
            out.timestamps.push(t);
            out.values.push(r);
        }
    }
    out
}

/// One operator on two numbers; `None` = no value (dropped point).
pub(crate) fn apply(op: BinOp, a: f64, b: f64) -> Option<f64> {
    if a.is_nan() || b.is_nan() {
        return None;
    }
    let bool01 = |c: bool| Some(if c { 1.0 } else { 0.0 });
    let r = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div if b == 0.0 => return None,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
        BinOp::Eq => return bool01(a == b),
        BinOp::Ne => return bool01(a != b),
        BinOp::Lt => return bool01(a < b),
        BinOp::Le => return bool01(a <= b),
        BinOp::Gt => return bool01(a > b),
        BinOp::Ge => return bool01(a >= b),
        BinOp::And => return bool01(a != 0.0 && b != 0.0),
        BinOp::Or => return bool01(a != 0.0 || b != 0.0),
    };
    r.is_finite().then_some(r)
}

/// A binary operator on two values; `None` when both are arrays.
pub(crate) fn binary(op: BinOp, l: Value, r: Value) -> Option<Value> {
    Some(match (l, r) {
        (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(apply(op, a, b).unwrap_or(f64::NAN)),
        (Value::Series(s), Value::Scalar(b)) => Value::Series(map_series(&s, |a| apply(op, a, b))),
        (Value::Scalar(a), Value::Series(s)) => Value::Series(map_series(&s, |b| apply(op, a, b))),
        (Value::Series(x), Value::Series(y)) => {
            Value::Series(zip_union(&x, &y, |a, b| apply(op, a.unwrap_or(0.0), b.unwrap_or(0.0))))
        }
        (Value::Array(_), Value::Array(_)) => return None,
        (Value::Array(xs), r) => {
            Value::Array(xs.into_iter().map(|x| series_of(binary(op, Value::Series(x), r.clone()))).collect())
        }
        (l, Value::Array(ys)) => {
            Value::Array(ys.into_iter().map(|y| series_of(binary(op, l.clone(), Value::Series(y)))).collect())
        }
    })
}

/// The series a series-with-(scalar|series) operation produced.
fn series_of(v: Option<Value>) -> TimeSeries {
    match v {
        Some(Value::Series(s)) => s,
        _ => TimeSeries::default(),
    }
}

/// `IF(cond, a[, b])` (User Guide, "Using IF expressions"):
/// - scalar condition: `a` if it is non-zero, else `b`, else an empty series;
/// - series condition, per point of the condition (timestamps where it has no point are
///   dropped): true → `a` (a scalar, or the series' point, 0 if it has none); false → `b` (a
///   scalar, or the series' point, dropped if it has none), dropped without `b`.
pub(crate) fn if_(ev: &Eval<'_>, call: &Expr, args: &[Expr]) -> Result<Value, MathError> {
    let cond = ev.eval(&args[0])?;
    let a = ev.eval(&args[1])?;
    let b = args.get(2).map(|x| ev.eval(x)).transpose()?;
    for (v, e) in [(Some(&cond), &args[0]), (Some(&a), &args[1]), (b.as_ref(), args.get(2).unwrap_or(call))] {
        if let Some(Value::Array(items)) = v
            && items.len() != 1
        {
            return Err(ev.type_error(e, "IF does not take an array of time series"));
        }
    }
    let one = |v: Value| match v {
        Value::Array(mut items) => Value::Series(items.remove(0)),
        other => other,
    };
    let (cond, a, b) = (one(cond), one(a), b.map(one));
    let cond = match cond {
        Value::Scalar(c) => {
            return Ok(if c != 0.0 && !c.is_nan() { a } else { b.unwrap_or(Value::Series(TimeSeries::default())) });
        }
        Value::Series(s) => s,
        Value::Array(_) => return Err(ev.type_error(&args[0], "IF does not take an array of time series")),
    };
    let label = match (&a, &b) {
        (Value::Series(s), _) if !s.label.is_empty() => s.label.clone(),
        (_, Some(Value::Series(s))) if !s.label.is_empty() => s.label.clone(),
        _ => cond.label.clone(),
    };
    let at = |v: &Value, t: i64| -> Option<f64> {
        match v {
            Value::Scalar(x) => Some(*x),
            Value::Series(s) => s.timestamps.binary_search(&t).ok().map(|k| s.values[k]),
            Value::Array(_) => None,
        }
    };
    let mut out = TimeSeries { label, ..TimeSeries::default() };
    for (&t, &c) in cond.timestamps.iter().zip(&cond.values) {
        let v = if c != 0.0 { Some(at(&a, t).unwrap_or(0.0)) } else { b.as_ref().and_then(|b| at(b, t)) };
        if let Some(v) = v.filter(|v| v.is_finite()) {
            out.timestamps.push(t);
            out.values.push(v);
        }
    }
    Ok(Value::Series(out))
}
