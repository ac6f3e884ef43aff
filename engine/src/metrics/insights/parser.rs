//! Recursive-descent parser for the Metrics Insights grammar:
//!
//! ```text
//! query    := SELECT func '(' name ')' FROM source
//!             [WHERE or] [GROUP BY key {',' key}] [ORDER BY func '(' ')' [ASC | DESC]]
//!             [LIMIT number]
//! source   := SCHEMA '(' name {',' key} ')' | name
//! or       := and {OR and}
//! and      := atom {AND atom}
//! atom     := '(' or ')' | key ('=' | '!=') (string | number)
//! key      := name {'.' part}          -- AWS.AccountId, tag.env
//! func     := AVG | COUNT | MAX | MIN | SUM
//! ```
//!
//! Keywords are case-insensitive, names case-sensitive. A keyword of this grammar used as a
//! bare name is an error that says to double-quote it. Every error names its position and what
//! would have fitted there.

use super::ast::{Comparison, Filter, FromClause, Function, InsightsQuery, OrderBy, is_keyword};
use super::lexer::{Tok, Token, lex};
use super::{InsightsError, MAX_QUERY_CHARS, MAX_SERIES, SyntaxError};

/// Deepest nesting of parentheses in `WHERE`.
pub(crate) const MAX_DEPTH: u32 = 32;

const FUNCTIONS: &str = "one of AVG, COUNT, MAX, MIN, SUM";

/// Parses a Metrics Insights query.
pub(crate) fn parse(q: &str) -> Result<InsightsQuery, InsightsError> {
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(InsightsError::TooLong { chars });
    }
    let toks = lex(q)?;
    Parser { src: q, toks, i: 0, depth: 0 }.query()
}

struct Parser<'a> {
    src: &'a str,
    /// Ends with `Tok::Eof`; `i` never moves past it.
    toks: Vec<Token<'a>>,
    i: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    fn query(mut self) -> Result<InsightsQuery, InsightsError> {
        self.expect_kw("SELECT")?;
        let function = self.function()?;
        self.expect(&Tok::LParen, "'('")?;
        let metric_name = self.name("a metric name")?;
        self.expect(&Tok::RParen, "')'")?;
        self.expect_kw("FROM")?;
        let from = self.source()?;
        let mut tail = "WHERE, GROUP BY, ORDER BY, LIMIT or end of query";

        let filter = if self.eat_kw("WHERE") {
            tail = "AND, OR, GROUP BY, ORDER BY, LIMIT or end of query";
            Some(self.or()?)
        } else {
            None
        };

        let mut group_by = Vec::new();
        if self.eat_kw("GROUP") {
            self.expect_kw("BY")?;
            group_by.push(self.key("a label key")?);
            while self.eat(&Tok::Comma) {
                group_by.push(self.key("a label key")?);
            }
            tail = "',', ORDER BY, LIMIT or end of query";
        }

        let order_by = if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            let function = self.function()?;
            self.expect(&Tok::LParen, "'('")?;
            self.expect(&Tok::RParen, "')' (ORDER BY functions take no argument)")?;
            let (descending, rest) = if self.eat_kw("DESC") {
                (true, "LIMIT or end of query")
            } else if self.eat_kw("ASC") {
                (false, "LIMIT or end of query")
            } else {
                (false, "ASC, DESC, LIMIT or end of query")
            };
            tail = rest;
            Some(OrderBy { function, descending })
        } else {
            None
        };

        let limit = if self.eat_kw("LIMIT") {
            tail = "end of query";
            Some(self.limit()?)
        } else {
            None
        };

        if self.peek() != &Tok::Eof {
            return Err(self.expected(tail));
        }
        Ok(InsightsQuery { function, metric_name, from, filter, group_by, order_by, limit })
    }

    fn source(&mut self) -> Result<FromClause, InsightsError> {
        let schema_call = self.at_kw("SCHEMA") && self.toks.get(self.i + 1).is_some_and(|t| t.tok == Tok::LParen);
        if !schema_call {
            let namespace = self.name("a namespace or SCHEMA(…)")?;
            return Ok(FromClause { namespace, schema: None });
        }
        self.i += 2;
        let namespace = self.name("a namespace")?;
        let mut keys = Vec::new();
        while self.eat(&Tok::Comma) {
            keys.push(self.key("a label key")?);
        }
        self.expect(&Tok::RParen, "',' or ')'")?;
        keys.sort_unstable();
        keys.dedup();
        Ok(FromClause { namespace, schema: Some(keys) })
    }

    fn or(&mut self) -> Result<Filter, InsightsError> {
        let mut parts = vec![self.and()?];
        while self.eat_kw("OR") {
            parts.push(self.and()?);
        }
        Ok(Filter::or(parts))
    }

    fn and(&mut self) -> Result<Filter, InsightsError> {
        let mut parts = vec![self.atom()?];
        while self.eat_kw("AND") {
            parts.push(self.atom()?);
        }
        Ok(Filter::and(parts))
    }

    fn atom(&mut self) -> Result<Filter, InsightsError> {
        if self.peek() == &Tok::LParen {
            if self.depth >= MAX_DEPTH {
                return Err(InsightsError::syntax(self.src, self.toks[self.i].start, SyntaxError::TooDeep));
            }
            self.i += 1;
            self.depth += 1;
            let inner = self.or()?;
            self.depth -= 1;
            self.expect(&Tok::RParen, "AND, OR or ')'")?;
            return Ok(inner);
        }
        let key = self.key("a label key or '('")?;
        let op = match self.peek() {
            Tok::Eq => Comparison::Eq,
            Tok::Ne => Comparison::Ne,
            _ => return Err(self.expected("= or !=")),
        };
        self.i += 1;
        let value = match &self.peek() {
            Tok::Str(s) => s.clone(),
            Tok::Number(n) => (*n).to_owned(),
            _ => return Err(self.expected("a label value in single quotes")),
        };
        self.i += 1;
        Ok(Filter::Compare { key, op, value })
    }

    fn limit(&mut self) -> Result<usize, InsightsError> {
        let Tok::Number(n) = *self.peek() else {
            return Err(self.expected("a number"));
        };
        let start = self.toks[self.i].start;
        match n.parse::<usize>() {
            Ok(v) if (1..=MAX_SERIES).contains(&v) => {
                self.i += 1;
                Ok(v)
            }
            _ => Err(InsightsError::syntax(self.src, start, SyntaxError::LimitOutOfRange(n.to_owned()))),
        }
    }

    fn function(&mut self) -> Result<Function, InsightsError> {
        match self.peek() {
            Tok::Word(w) => match Function::from_word(w) {
                Some(f) => {
                    self.i += 1;
                    Ok(f)
                }
                None => Err(self.expected(FUNCTIONS)),
            },
            _ => Err(self.expected(FUNCTIONS)),
        }
    }

    /// A bare (non-keyword) or double-quoted name.
    fn name(&mut self, what: &'static str) -> Result<String, InsightsError> {
        let s = match self.peek() {
            Tok::Word(w) if !is_keyword(w) => (*w).to_owned(),
            Tok::Quoted(s) => s.clone(),
            _ => return Err(self.expected(what)),
        };
        self.i += 1;
        Ok(s)
    }

    /// A label key: a name, optionally dotted (`AWS.AccountId`, `tag.env`). Parts after a dot
    /// may be any word, keywords included.
    fn key(&mut self, what: &'static str) -> Result<String, InsightsError> {
        let mut key = self.name(what)?;
        while self.eat(&Tok::Dot) {
            key.push('.');
            match self.peek() {
                Tok::Word(w) => key.push_str(w),
                Tok::Quoted(s) => key.push_str(s),
                _ => return Err(self.expected("a name after '.'")),
            }
            self.i += 1;
        }
        Ok(key)
    }

    fn peek(&self) -> &Tok<'a> {
        &self.toks[self.i].tok
    }

    fn at_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let at = self.at_kw(kw);
        if at {
            self.i += 1;
        }
        at
    }

    fn expect_kw(&mut self, kw: &'static str) -> Result<(), InsightsError> {
        if self.eat_kw(kw) { Ok(()) } else { Err(self.expected(kw)) }
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        let at = self.peek() == tok;
        if at {
            self.i += 1;
        }
        at
    }

    fn expect(&mut self, tok: &Tok<'_>, what: &'static str) -> Result<(), InsightsError> {
        if self.eat(tok) { Ok(()) } else { Err(self.expected(what)) }
    }

    /// "expected `what`, found <the current token>".
    fn expected(&self, what: &'static str) -> InsightsError {
        let t = &self.toks[self.i];
        let found = match &t.tok {
            Tok::Eof => "end of query".to_owned(),
            Tok::Word(w) if is_keyword(w) => {
                format!("keyword `{w}` (enclose a name that is a keyword in double quotes)")
            }
            _ => {
                let text = &self.src[t.start..t.end];
                match text.char_indices().nth(40) {
                    Some((cut, _)) => format!("`{}…`", &text[..cut]),
                    None => format!("`{text}`"),
                }
            }
        };
        InsightsError::syntax(self.src, t.start, SyntaxError::Expected { expected: what, found })
    }
}

#[cfg(test)]
mod tests;
