//! The parsed form of a Metrics Insights query, and its canonical text.
//!
//! `Display` writes a query that [`parse`](super::parse) reads back to an equal value: names are
//! bare when they may be, double-quoted (with `\"`/`\\` escapes) otherwise.

use std::fmt;

/// An aggregate function: the `SELECT` function applied per time bucket, or the `ORDER BY`
/// function applied to each group over the whole time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Function {
    Avg,
    Count,
    Max,
    Min,
    Sum,
}

impl Function {
    pub(crate) const ALL: [Function; 5] = [Function::Avg, Function::Count, Function::Max, Function::Min, Function::Sum];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Function::Avg => "AVG",
            Function::Count => "COUNT",
            Function::Max => "MAX",
            Function::Min => "MIN",
            Function::Sum => "SUM",
        }
    }

    /// The function named `word`, case-insensitively.
    pub(crate) fn from_word(word: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(word))
    }
}

/// `=` or `!=` between a label key and a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Comparison {
    Eq,
    Ne,
}

/// A `WHERE` expression. The parser keeps it normalised: `And`/`Or` hold at least two operands
/// and never an operand of their own kind (`a AND (b AND c)` is `And[a, b, c]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Filter {
    Compare { key: String, op: Comparison, value: String },
    And(Vec<Filter>),
    Or(Vec<Filter>),
}

impl Filter {
    /// The conjunction of `parts`, flattened (one part is returned as itself).
    pub(crate) fn and(parts: Vec<Filter>) -> Filter {
        Filter::join(parts, true)
    }

    /// The disjunction of `parts`, flattened (one part is returned as itself).
    pub(crate) fn or(parts: Vec<Filter>) -> Filter {
        Filter::join(parts, false)
    }

    fn join(parts: Vec<Filter>, and: bool) -> Filter {
        let mut flat = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                Filter::And(inner) if and => flat.extend(inner),
                Filter::Or(inner) if !and => flat.extend(inner),
                p => flat.push(p),
            }
        }
        if flat.len() == 1
            && let Some(only) = flat.pop()
        {
            return only;
        }
        if and { Filter::And(flat) } else { Filter::Or(flat) }
    }

    /// Whether a metric with these dimensions (name, value) passes. A comparison on a label the
    /// metric does not have is false for both `=` and `!=` (SQL's NULL rule).
    pub(crate) fn matches<'k>(&self, label: &impl Fn(&str) -> Option<&'k str>) -> bool {
        match self {
            Filter::Compare { key, op, value } => match label(key) {
                None => false,
                Some(v) => (v == value) == (*op == Comparison::Eq),
            },
            Filter::And(parts) => parts.iter().all(|p| p.matches(label)),
            Filter::Or(parts) => parts.iter().any(|p| p.matches(label)),
        }
    }
}

/// `FROM namespace` or `FROM SCHEMA(namespace, key…)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FromClause {
    pub(crate) namespace: String,
    /// `Some(keys)` for `SCHEMA`: only metrics whose dimension names are exactly this set
    /// (sorted, deduplicated; empty = metrics with no dimensions). `None`: any dimensions.
    pub(crate) schema: Option<Vec<String>>,
}

/// `ORDER BY FUNC() [ASC | DESC]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct OrderBy {
    pub(crate) function: Function,
    pub(crate) descending: bool,
}

/// A parsed Metrics Insights query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct InsightsQuery {
    pub(crate) function: Function,
    pub(crate) metric_name: String,
    pub(crate) from: FromClause,
    pub(crate) filter: Option<Filter>,
    /// Label keys, in the order written (labels and the default order follow it).
    pub(crate) group_by: Vec<String>,
    pub(crate) order_by: Option<OrderBy>,
    /// `LIMIT n`, 1..=500.
    pub(crate) limit: Option<usize>,
}

/// Words of the grammar; as bare names they would be ambiguous, so they must be quoted.
/// (AWS's full reserved list has ~900 SQL words, but its own examples use some of them bare —
/// `WHERE Type = 'API'` — so only the words this grammar gives meaning to are enforced.)
pub(crate) const KEYWORDS: [&str; 17] = [
    "AND", "ASC", "AVG", "BY", "COUNT", "DESC", "FROM", "GROUP", "LIMIT", "MAX", "MIN", "OR", "ORDER", "SCHEMA",
    "SELECT", "SUM", "WHERE",
];

pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Writes a name bare if the lexer would read it back as that one word, quoted otherwise.
struct Name<'a>(&'a str);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let bare = s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !is_keyword(s);
        if bare { f.write_str(s) } else { quote(f, s, '"') }
    }
}

fn quote(f: &mut fmt::Formatter<'_>, s: &str, q: char) -> fmt::Result {
    use fmt::Write;
    f.write_char(q)?;
    for c in s.chars() {
        if c == q || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char(q)
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { key, op, value } => {
                let op = if *op == Comparison::Eq { "=" } else { "!=" };
                write!(f, "{} {op} ", Name(key))?;
                quote(f, value, '\'')
            }
            Filter::And(parts) | Filter::Or(parts) => {
                let and = matches!(self, Filter::And(_));
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if and { " AND " } else { " OR " })?;
                    }
                    // AND binds tighter than OR: only an OR inside an AND needs parentheses,
                    // but parenthesise every nested group so the text shows the tree.
                    if matches!(p, Filter::Compare { .. }) { write!(f, "{p}")? } else { write!(f, "({p})")? }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for InsightsQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SELECT {}({}) FROM ", self.function.as_str(), Name(&self.metric_name))?;
        match &self.from.schema {
            None => write!(f, "{}", Name(&self.from.namespace))?,
            Some(keys) => {
                write!(f, "SCHEMA({}", Name(&self.from.namespace))?;
                for k in keys {
                    write!(f, ", {}", Name(k))?;
                }
                f.write_str(")")?;
            }
        }
        if let Some(filter) = &self.filter {
            write!(f, " WHERE {filter}")?;
        }
        for (i, k) in self.group_by.iter().enumerate() {
            f.write_str(if i == 0 { " GROUP BY " } else { ", " })?;
            write!(f, "{}", Name(k))?;
        }
        if let Some(o) = self.order_by {
            write!(f, " ORDER BY {}() {}", o.function.as_str(), if o.descending { "DESC" } else { "ASC" })?;
        }
        if let Some(n) = self.limit {
            write!(f, " LIMIT {n}")?;
        }
        Ok(())
    }
}
