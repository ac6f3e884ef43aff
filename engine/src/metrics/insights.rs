//! CloudWatch Metrics Insights: the SQL dialect of GetMetricData
//! (`SELECT FUNC(metric) FROM namespace | SCHEMA(...) [WHERE …] [GROUP BY …] [ORDER BY FUNC() …]
//! [LIMIT n]`), parsed into an AST and executed over per-period partial aggregates.
//!
//! # Layout
//!
//! | module   | owns                                                                          |
//! |----------|-------------------------------------------------------------------------------|
//! | `lexer`  | text → tokens with byte spans; quoting and escape rules                        |
//! | `ast`    | [`InsightsQuery`] and its canonical text form (`Display`, re-parses to itself)  |
//! | `parser` | recursive descent with positioned "expected …, found …" errors                  |
//! | `exec`   | [`InsightsSource`] (the storage side) and [`execute`]: filter, group, rank, cap |
//!
//! # Invariants
//!
//! - Parsing is pure and total: any string yields a query or an [`InsightsError`], never a panic
//!   (property-tested), in time linear in the query (≤ [`MAX_QUERY_CHARS`] characters).
//! - Execution never touches samples: it merges the [`PeriodAgg`](super::frame::PeriodAgg)s the
//!   source hands back, so its work is O(metrics × buckets), and it bounds its own memory by
//!   fetching in batches (see `exec`).
//!
//! Semantics, with the AWS documentation they come from, are in
//! `docs/design/2026-11-22-metrics-insights.md`.
//!
//! Callers: GetMetricData's expression path (`metrics::gmd`), with a storage-backed
//! [`InsightsSource`].

mod ast;
mod exec;
mod lexer;
mod parser;

use std::fmt;

pub(crate) use ast::InsightsQuery;
#[cfg(test)]
pub(crate) use ast::{Comparison, Filter, FromClause, Function, OrderBy};
#[cfg(test)]
pub(crate) use exec::{InsightsMessage, InsightsResult, execute};
pub(crate) use exec::{InsightsSource, execute_with_messages};
pub(crate) use parser::parse;

/// Longest query text accepted: a GetMetricData `Expression` is 1–2048 characters.
pub(crate) const MAX_QUERY_CHARS: usize = 2048;
/// Most series one query returns, and the largest `LIMIT` (AWS: "no more than 500 time series").
pub(crate) const MAX_SERIES: usize = 500;
/// Most metrics one query processes; AWS processes "the first 10,000 of these metrics that it
/// finds" and says so in a message.
pub(crate) const MAX_METRICS: usize = 10_000;
/// Label of a group whose metrics lack a `GROUP BY` key (AWS: "a null group named `Other`").
pub(crate) const OTHER_GROUP: &str = "Other";

/// Where in the query text an error is: byte offset, and 1-based line and column (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) offset: usize,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

impl Pos {
    /// The position of byte `offset` in `src` (clamped to the text, snapped to a char boundary).
    pub(crate) fn at(src: &str, offset: usize) -> Pos {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &src[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        Pos { offset, line: saturate(line), column: saturate(column) }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What is wrong at a [`Pos`] of the query text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SyntaxError {
    /// The token found does not fit the grammar here.
    Expected {
        /// What would have fitted, e.g. `"one of AVG, COUNT, MAX, MIN, SUM"`.
        expected: &'static str,
        /// What was there, e.g. `"'GROUPS'"` or `"end of query"`.
        found: String,
    },
    /// A character that starts no token.
    UnexpectedChar(char),
    /// A quoted name or string with no closing quote (position: the opening quote).
    Unterminated {
        /// `"string"` or `"quoted name"`.
        what: &'static str,
    },
    /// A backslash escape other than `\"`, `\'` and `\\`.
    InvalidEscape(char),
    /// A bare name starting with a digit (e.g. `4XXError`); it must be double-quoted.
    DigitName(String),
    /// `""`: names are never empty.
    EmptyName,
    /// `LIMIT` outside 1..=500.
    LimitOutOfRange(String),
    /// Parentheses in `WHERE` nested deeper than the parser allows.
    TooDeep,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxError::Expected { expected, found } => write!(f, "expected {expected}, found {found}"),
            SyntaxError::UnexpectedChar(c) => write!(f, "unexpected character {c:?}"),
            SyntaxError::Unterminated { what } => write!(f, "unterminated {what}"),
            SyntaxError::InvalidEscape(c) => {
                write!(f, "invalid escape \\{c} (only \\\", \\' and \\\\ are escapes)")
            }
            SyntaxError::DigitName(w) => {
                write!(f, "{w} starts with a digit; enclose it in double quotes to use it as a name")
            }
            SyntaxError::EmptyName => f.write_str("empty name \"\""),
            SyntaxError::LimitOutOfRange(n) => write!(f, "LIMIT must be between 1 and {MAX_SERIES}, found {n}"),
            SyntaxError::TooDeep => write!(f, "parentheses nested deeper than {} levels", parser::MAX_DEPTH),
        }
    }
}

/// Everything parsing or executing a Metrics Insights query can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum InsightsError {
    /// The query text is longer than [`MAX_QUERY_CHARS`].
    #[error("the query is {chars} characters long; the maximum is {MAX_QUERY_CHARS}")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The query text does not parse.
    #[error("syntax error at line {}, column {}: {kind}", pos.line, pos.column)]
    Syntax {
        /// Where.
        pos: Pos,
        /// What.
        kind: SyntaxError,
    },
    /// The grid has a period that is not positive (a caller bug; GetMetricData validates it).
    #[error("period must be positive, got {period_s} s")]
    InvalidPeriod {
        /// The period given.
        period_s: i64,
    },
    /// The data source returned the wrong number of rows or buckets (a bug in the source).
    #[error("data source returned {got} aggregates where {expected} were expected")]
    SourceShape {
        /// Keys × buckets asked for.
        expected: usize,
        /// Aggregates returned.
        got: usize,
    },
    /// The data source failed.
    #[error("reading metric data: {0}")]
    Source(#[source] crate::error::Error),
}

impl InsightsError {
    pub(crate) fn syntax(src: &str, offset: usize, kind: SyntaxError) -> InsightsError {
        InsightsError::Syntax { pos: Pos::at(src, offset), kind }
    }
}
