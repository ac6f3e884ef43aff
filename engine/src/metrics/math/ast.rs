//! The parsed form of an expression, the function and keyword tables, and a `Display` that
//! prints an expression back as fully parenthesised text that parses to the same tree.

use std::fmt;

use super::lexer::Span;
use super::search::SearchQuery;

/// A node with the byte span of the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    /// A non-negative literal (`-` is [`UnaryOp::Neg`]).
    Number(f64),
    /// A string literal; only valid as an argument of `METRICS` and `SEARCH`. `raw` is the text
    /// between the quotes, escapes untouched.
    Str {
        raw: String,
        quote: char,
    },
    /// A query id.
    Id(String),
    /// A bare keyword argument (`REPEAT`, `AVG`, `DESC`, …); only where a function takes one.
    Keyword(Keyword),
    /// `[a, b, …]`: an array of time series (nested arrays are flattened).
    Array(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A function call other than SEARCH.
    Call(Func, Vec<Expr>),
    /// `SEARCH('query', 'Stat'[, period])`: the query parsed once, at parse time. `args` are the
    /// literal arguments as written (for printing).
    Search {
        query: Box<SearchQuery>,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
        }
    }
}

/// Keywords that appear as bare arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// FILL: repeat the last value.
    Repeat,
    /// FILL: interpolate linearly.
    Linear,
    /// SORT by average.
    Avg,
    /// SORT by minimum.
    Min,
    /// SORT by maximum.
    Max,
    /// SORT by sum.
    Sum,
    /// SORT ascending.
    Asc,
    /// SORT descending.
    Desc,
}

impl Keyword {
    pub(crate) const ALL: [Keyword; 8] = [
        Keyword::Repeat,
        Keyword::Linear,
        Keyword::Avg,
        Keyword::Min,
        Keyword::Max,
        Keyword::Sum,
        Keyword::Asc,
        Keyword::Desc,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Keyword::Repeat => "REPEAT",
            Keyword::Linear => "LINEAR",
            Keyword::Avg => "AVG",
            Keyword::Min => "MIN",
            Keyword::Max => "MAX",
            Keyword::Sum => "SUM",
            Keyword::Asc => "ASC",
            Keyword::Desc => "DESC",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The metric math functions Stratus evaluates. SEARCH is parsed into [`ExprKind::Search`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Abs,
    Avg,
    Ceil,
    DatapointCount,
    Date,
    Day,
    Diff,
    DiffTime,
    Epoch,
    Fill,
    First,
    Floor,
    Hour,
    If,
    Last,
    Log,
    Log10,
    Max,
    MetricCount,
    Metrics,
    Min,
    Minute,
    Month,
    Period,
    Rate,
    RemoveEmpty,
    RunningSum,
    Search,
    Slice,
    Sort,
    Stddev,
    Sum,
    TimeSeries,
    Year,
}

impl Func {
    pub(crate) const ALL: [Func; 34] = [
        Func::Abs,
        Func::Avg,
        Func::Ceil,
        Func::DatapointCount,
        Func::Date,
        Func::Day,
        Func::Diff,
        Func::DiffTime,
        Func::Epoch,
        Func::Fill,
        Func::First,
        Func::Floor,
        Func::Hour,
        Func::If,
        Func::Last,
        Func::Log,
        Func::Log10,
        Func::Max,
        Func::MetricCount,
        Func::Metrics,
        Func::Min,
        Func::Minute,
        Func::Month,
        Func::Period,
        Func::Rate,
        Func::RemoveEmpty,
        Func::RunningSum,
        Func::Search,
        Func::Slice,
        Func::Sort,
        Func::Stddev,
        Func::Sum,
        Func::TimeSeries,
        Func::Year,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Func::Abs => "ABS",
            Func::Avg => "AVG",
            Func::Ceil => "CEIL",
            Func::DatapointCount => "DATAPOINT_COUNT",
            Func::Date => "DATE",
            Func::Day => "DAY",
            Func::Diff => "DIFF",
            Func::DiffTime => "DIFF_TIME",
            Func::Epoch => "EPOCH",
            Func::Fill => "FILL",
            Func::First => "FIRST",
            Func::Floor => "FLOOR",
            Func::Hour => "HOUR",
            Func::If => "IF",
            Func::Last => "LAST",
            Func::Log => "LOG",
            Func::Log10 => "LOG10",
            Func::Max => "MAX",
            Func::MetricCount => "METRIC_COUNT",
            Func::Metrics => "METRICS",
            Func::Min => "MIN",
            Func::Minute => "MINUTE",
            Func::Month => "MONTH",
            Func::Period => "PERIOD",
            Func::Rate => "RATE",
            Func::RemoveEmpty => "REMOVE_EMPTY",
            Func::RunningSum => "RUNNING_SUM",
            Func::Search => "SEARCH",
            Func::Slice => "SLICE",
            Func::Sort => "SORT",
            Func::Stddev => "STDDEV",
            Func::Sum => "SUM",
            Func::TimeSeries => "TIME_SERIES",
            Func::Year => "YEAR",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Fewest and most arguments, and how the range reads in an error message.
    pub(crate) fn arity(self) -> (usize, usize, &'static str) {
        match self {
            Func::Metrics => (0, 1, "0 or 1 argument"),
            Func::Fill => (2, 2, "2 arguments"),
            Func::If => (2, 3, "2 or 3 arguments"),
            Func::Search => (2, 3, "2 or 3 arguments"),
            Func::Slice => (2, 3, "2 or 3 arguments"),
            Func::Sort => (3, 4, "3 or 4 arguments"),
            _ => (1, 1, "1 argument"),
        }
    }
}

/// Functions AWS documents that Stratus recognises but does not evaluate.
pub(crate) const UNSUPPORTED_FUNCTIONS: [&str; 5] =
    ["ANOMALY_DETECTION_BAND", "DB_PERF_INSIGHTS", "INSIGHT_RULE_METRIC", "LAMBDA", "SERVICE_QUOTA"];

/// Prints numbers so that they lex back to the same `f64` (Rust's shortest round-trip
/// formatting), with an exponent for very large or small magnitudes.
fn write_number(f: &mut fmt::Formatter<'_>, n: f64) -> fmt::Result {
    if n == 0.0 || (1e-5..1e16).contains(&n) { write!(f, "{n}") } else { write!(f, "{n:e}") }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write_number(f, *n),
            ExprKind::Str { raw, quote } => write!(f, "{quote}{raw}{quote}"),
            ExprKind::Id(id) => f.write_str(id),
            ExprKind::Keyword(k) => f.write_str(k.name()),
            ExprKind::Array(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            ExprKind::Unary(UnaryOp::Neg, e) => write!(f, "(-{e})"),
            ExprKind::Binary(op, l, r) => write!(f, "({l} {} {r})", op.symbol()),
            ExprKind::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                write_list(f, args)?;
                f.write_str(")")
            }
            ExprKind::Search { args, .. } => {
                f.write_str("SEARCH(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

impl Expr {
    /// Structural equality ignoring spans (what a print → parse round trip preserves).
    #[cfg(test)]
    pub(crate) fn same_tree(&self, other: &Expr) -> bool {
        let all = |a: &[Expr], b: &[Expr]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_tree(y));
        match (&self.kind, &other.kind) {
            (ExprKind::Array(a), ExprKind::Array(b)) => all(a, b),
            (ExprKind::Call(f, a), ExprKind::Call(g, b)) => f == g && all(a, b),
            (ExprKind::Unary(o, a), ExprKind::Unary(p, b)) => o == p && a.same_tree(b),
            (ExprKind::Binary(o, a, b), ExprKind::Binary(p, c, d)) => o == p && a.same_tree(c) && b.same_tree(d),
            (ExprKind::Search { query: q, args: a }, ExprKind::Search { query: r, args: b }) => q == r && all(a, b),
            (a, b) => a == b,
        }
    }
}
