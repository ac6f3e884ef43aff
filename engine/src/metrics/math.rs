//! CloudWatch metric math: the expression language of GetMetricData `Expression` queries,
//! including `SEARCH(...)`. Pure: no storage access — every input comes through
//! [`MathContext`], which the GetMetricData executor implements.
//!
//! # Layout
//!
//! | module      | owns                                                                        |
//! |-------------|-----------------------------------------------------------------------------|
//! | `lexer`     | expression text → tokens with byte spans                                    |
//! | `ast`       | [`Expr`], function and operator tables, `Display` (fully parenthesised)     |
//! | `parser`    | Pratt parser, argument checks per function, [`references`]                  |
//! | `eval`      | [`Value`], operators over scalars / series / arrays, `IF`, dispatch         |
//! | `functions` | the function library (aggregates, FILL, SORT, SLICE, date parts, …)         |
//! | `search`    | the SEARCH grammar, tokenisation of names and the [`SearchQuery`] matcher   |
//!
//! # Contract with the executor
//!
//! 1. [`parse`] each expression once (errors carry a 1-based column; format them with
//!    [`MathError::validation_message`]).
//! 2. Order queries by [`references`] (reject unknown ids and cycles); `METRICS()` depends on
//!    every MetricStat query, which have no dependencies of their own.
//! 3. [`evaluate`] with a context whose [`MathContext::grid`] is the expression's grid, then
//!    [`finalize`] into labelled result series (a scalar result is an error, as on AWS).
//!
//! The semantics and their sources are in `docs/design/2026-11-22-metric-math.md`.

mod ast;
mod eval;
mod functions;
mod lexer;
mod parser;
mod search;
#[cfg(test)]
mod tests;

// Items the GetMetricData executor wires up; until it does, some are unused outside tests.
#[allow(unused_imports)]
pub(crate) use ast::{BinOp, Expr, ExprKind, Func, Keyword, UnaryOp};
#[allow(unused_imports)]
pub(crate) use eval::{Value, evaluate, finalize};
#[allow(unused_imports)]
pub(crate) use parser::{parse, references};
#[allow(unused_imports)]
pub(crate) use search::{Pattern, Prop, Schema, SearchQuery, Term};

use super::frame::{Grid, TimeSeries};

/// Longest expression AWS accepts (`MetricDataQuery.Expression`, 1–2048 characters).
pub(crate) const MAX_EXPRESSION_CHARS: usize = 2048;
/// Longest search expression (the first argument of `SEARCH`).
pub(crate) const MAX_SEARCH_CHARS: usize = 1024;
/// Deepest nesting of parentheses, brackets, calls and unary minus; bounds recursion.
pub(crate) const MAX_DEPTH: usize = 100;

/// What an expression can see of the request it belongs to. Implemented by the GetMetricData
/// executor; tests use a fake.
pub(crate) trait MathContext {
    /// The grid of the expression being evaluated (its own `Period`, or the request default).
    /// FILL, TIME_SERIES and the date functions produce one point per bucket of this grid.
    fn grid(&self) -> Grid;

    /// The already evaluated result of query `id` (MetricStat or expression), or `None` if the
    /// request has no such query.
    fn lookup(&self, id: &str) -> Option<Value>;

    /// `METRICS()` / `METRICS(filter)`: the results of the request's MetricStat queries (not
    /// expressions), in request order, keeping only those whose `Id` contains `filter`
    /// (case-sensitive substring, see [`metrics_filter_matches`]). Labels are the queries'
    /// labels.
    fn metrics(&self, filter: Option<&str>) -> Vec<TimeSeries>;

    /// `SEARCH(...)`: every metric of the tenant that `q` [`SearchQuery::matches`], read with
    /// `stat` (a basic or extended statistic, not yet validated) at `period_s`, one series per
    /// metric, labelled by the executor.
    fn search(&self, q: &SearchQuery, stat: &str, period_s: i64) -> Result<Vec<TimeSeries>, MathError>;

    /// The period of MetricStat query `id`, for `PERIOD(id)`; `None` when `id` is not a
    /// MetricStat query (AWS: "Valid input is metrics, not the results of other expressions").
    /// The default treats every known id as a metric on this expression's grid.
    fn period_of(&self, id: &str) -> Option<i64> {
        self.lookup(id).map(|_| self.grid().period_s)
    }
}

/// AWS's `METRICS("filter")` rule: the query's `Id` contains the filter string.
#[allow(dead_code)] // called by the GetMetricData executor's `MathContext::metrics`
pub(crate) fn metrics_filter_matches(id: &str, filter: Option<&str>) -> bool {
    filter.is_none_or(|f| id.contains(f))
}

/// Why an expression was rejected. Every variant but [`MathError::Engine`] is the caller's
/// fault (AWS answers them with a validation error naming the query); positions are 1-based
/// character columns in the expression text.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum MathError {
    /// The text is not a well-formed expression.
    #[error("{message} at position {column}")]
    Syntax {
        /// 1-based character column of the offending token.
        column: usize,
        /// What was found and what was expected.
        message: String,
    },
    /// The expression is longer than [`MAX_EXPRESSION_CHARS`].
    #[error("The expression is {chars} characters long; the maximum is {MAX_EXPRESSION_CHARS}")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// An UPPERCASE name followed by `(` that is no metric math function.
    #[error("Unknown function {name} at position {column}")]
    UnknownFunction {
        /// 1-based column of the name.
        column: usize,
        /// The name as written.
        name: String,
    },
    /// An AWS function Stratus does not implement (e.g. `ANOMALY_DETECTION_BAND`).
    #[error("The function {name} is not supported at position {column}")]
    Unsupported {
        /// 1-based column of the name.
        column: usize,
        /// The function.
        name: &'static str,
    },
    /// A function called with the wrong number of arguments.
    #[error("{name} takes {expected} but was given {got} at position {column}")]
    Arity {
        /// 1-based column of the call.
        column: usize,
        /// The function.
        name: &'static str,
        /// e.g. "2 or 3 arguments".
        expected: &'static str,
        /// Number of arguments given.
        got: usize,
    },
    /// An operand or argument of the wrong kind, found while evaluating (e.g. `SORT(5, …)`,
    /// an array on both sides of `+`).
    #[error("{message} at position {column}")]
    Type {
        /// 1-based column of the operator or call.
        column: usize,
        /// What was wrong, naming the operator or function.
        message: String,
    },
    /// An id that names no query of the request.
    #[error("Unknown Id {id} at position {column}")]
    UnknownId {
        /// 1-based column of the id.
        column: usize,
        /// The id.
        id: String,
    },
    /// The expression evaluated to a single number (AWS: "The final result of any math
    /// expression must be a single time series or an array of time series").
    #[error("The final result of a math expression must be a time series or an array of time series, not a scalar")]
    ScalarResult,
    /// The first argument of `SEARCH` is not a valid search expression.
    #[error("Invalid search expression: {message} at position {column}")]
    Search {
        /// 1-based column within the whole math expression.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// The executor failed to run a SEARCH (storage error); not the caller's fault.
    #[allow(dead_code)] // constructed by the executor's `MathContext::search`
    #[error("search failed: {0}")]
    Engine(#[source] Box<crate::error::Error>),
}

impl MathError {
    /// The 1-based column the error points at, if it points anywhere.
    #[allow(dead_code)] // used by the executor's error mapping and by tests
    pub(crate) fn column(&self) -> Option<usize> {
        match self {
            MathError::Syntax { column, .. }
            | MathError::UnknownFunction { column, .. }
            | MathError::Unsupported { column, .. }
            | MathError::Arity { column, .. }
            | MathError::Type { column, .. }
            | MathError::UnknownId { column, .. }
            | MathError::Search { column, .. } => Some(*column),
            MathError::TooLong { .. } | MathError::ScalarResult | MathError::Engine(_) => None,
        }
    }

    /// The message of the validation error AWS would return for query `query_id`
    /// (wording not verified against AWS; see the design note).
    #[allow(dead_code)] // used by the executor's error mapping
    pub(crate) fn validation_message(&self, query_id: &str) -> String {
        format!("Error in expression {query_id}: {self}")
    }
}

/// 1-based character column of byte offset `byte` in `src`.
pub(crate) fn column_of(src: &str, byte: usize) -> usize {
    src.get(..byte).map_or(byte, |s| s.chars().count()) + 1
}
