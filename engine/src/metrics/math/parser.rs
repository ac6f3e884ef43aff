//! A Pratt parser for metric math, with the per-function argument rules checked at parse time
//! so that errors point at the offending argument.
//!
//! Precedence, loosest first (AWS documents the operators but not their precedence; this is
//! the conventional order, see the design note):
//!
//! | level | operators                 | associativity |
//! |-------|---------------------------|---------------|
//! | 1     | `OR`, `\|\|`              | left          |
//! | 2     | `AND`, `&&`               | left          |
//! | 3     | `== != < <= > >=`         | left          |
//! | 4     | `+ -`                     | left          |
//! | 5     | `* /`                     | left          |
//! | 6     | unary `-`                 | prefix        |
//! | 7     | `^`                       | right         |
//!
//! so `-2 ^ 2` is `-(2 ^ 2)` and `2 ^ -1` is `2 ^ (-1)`.

use super::ast::{BinOp, Expr, ExprKind, Func, Keyword, UNSUPPORTED_FUNCTIONS, UnaryOp};
use super::lexer::{Span, Tok, Token, lex};
use super::{MAX_DEPTH, MAX_EXPRESSION_CHARS, MathError, column_of, search};

/// Parses one expression (the `Expression` of a MetricDataQuery).
pub(crate) fn parse(src: &str) -> Result<Expr, MathError> {
    let chars = src.chars().count();
    if chars > MAX_EXPRESSION_CHARS {
        return Err(MathError::TooLong { chars });
    }
    let toks = lex(src)?;
    let mut p = Parser { src, toks, pos: 0, depth: 0 };
    if p.peek() == &Tok::Eof {
        return Err(p.error_here("Empty expression, expected an expression"));
    }
    let e = p.expr(0)?;
    match p.peek() {
        Tok::Eof => {}
        Tok::RParen | Tok::RBracket => return Err(p.error_here(&format!("Unmatched {}", p.peek().describe()))),
        other => {
            let msg = format!("Unexpected {}, expected an operator or the end of the expression", other.describe());
            return Err(p.error_here(&msg));
        }
    }
    check_placement(src, &e, Slot::Value)?;
    Ok(e)
}

/// The query ids an expression reads, each once, in order of first appearance. The executor
/// orders queries by these (and detects cycles); `METRICS()` additionally depends on every
/// MetricStat query.
pub(crate) fn references(expr: &Expr) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Id(id) => {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
            ExprKind::Array(items) | ExprKind::Call(_, items) => items.iter().for_each(|x| walk(x, out)),
            ExprKind::Unary(_, x) => walk(x, out),
            ExprKind::Binary(_, l, r) => {
                walk(l, out);
                walk(r, out);
            }
            ExprKind::Number(_) | ExprKind::Str { .. } | ExprKind::Keyword(_) | ExprKind::Search { .. } => {}
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// Binding power of an infix operator: (left, right). Right > left makes it left-associative.
fn infix(tok: &Tok) -> Option<(BinOp, u8, u8)> {
    let (op, l, r) = match tok {
        Tok::Or => (BinOp::Or, 1, 2),
        Tok::And => (BinOp::And, 3, 4),
        Tok::EqEq => (BinOp::Eq, 5, 6),
        Tok::NotEq => (BinOp::Ne, 5, 6),
        Tok::Lt => (BinOp::Lt, 5, 6),
        Tok::Le => (BinOp::Le, 5, 6),
        Tok::Gt => (BinOp::Gt, 5, 6),
        Tok::Ge => (BinOp::Ge, 5, 6),
        Tok::Plus => (BinOp::Add, 7, 8),
        Tok::Minus => (BinOp::Sub, 7, 8),
        Tok::Star => (BinOp::Mul, 9, 10),
        Tok::Slash => (BinOp::Div, 9, 10),
        Tok::Caret => (BinOp::Pow, 13, 12),
        _ => return None,
    };
    Some((op, l, r))
}

/// Binding power of the operand of unary minus: above `* /`, below `^`.
const PREFIX_BP: u8 = 11;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos].span
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn error_at(&self, span: Span, message: &str) -> MathError {
        MathError::Syntax { column: column_of(self.src, span.start), message: message.to_owned() }
    }

    fn error_here(&self, message: &str) -> MathError {
        self.error_at(self.span(), message)
    }

    fn expected(&self, what: &str) -> MathError {
        self.error_here(&format!("Unexpected {}, expected {what}", self.peek().describe()))
    }

    fn enter(&mut self) -> Result<(), MathError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(&format!("The expression is nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }

    fn expr(&mut self, min_bp: u8) -> Result<Expr, MathError> {
        let mut lhs = self.prefix()?;
        while let Some((op, l_bp, r_bp)) = infix(self.peek()) {
            if l_bp < min_bp {
                break;
            }
            self.bump();
            self.enter()?;
            let rhs = self.expr(r_bp)?;
            self.depth -= 1;
            let span = lhs.span.to(rhs.span);
            lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span };
        }
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<Expr, MathError> {
        let t = self.bump();
        let kind = match t.tok {
            Tok::Num(n) => ExprKind::Number(n),
            Tok::Str { raw, quote } => ExprKind::Str { raw, quote },
            Tok::Id(id) => ExprKind::Id(id),
            Tok::Minus => {
                self.enter()?;
                let e = self.expr(PREFIX_BP)?;
                self.depth -= 1;
                let span = t.span.to(e.span);
                return Ok(Expr { kind: ExprKind::Unary(UnaryOp::Neg, Box::new(e)), span });
            }
            Tok::LParen => {
                self.enter()?;
                let mut e = self.expr(0)?;
                self.depth -= 1;
                if self.peek() != &Tok::RParen {
                    return Err(self.expected("')'"));
                }
                let close = self.bump();
                e.span = t.span.to(close.span);
                return Ok(e);
            }
            Tok::LBracket => {
                self.enter()?;
                let (items, close) = self.list(Tok::RBracket, "']'")?;
                self.depth -= 1;
                if items.is_empty() {
                    return Err(self.error_at(close, "Empty array, expected at least one time series"));
                }
                return Ok(Expr { kind: ExprKind::Array(items), span: t.span.to(close) });
            }
            Tok::Word(w) => return self.word(w, t.span),
            Tok::Eof => return Err(self.error_at(t.span, "Unexpected end of the expression, expected an expression")),
            other => {
                let msg = format!("Unexpected {}, expected an expression", other.describe());
                return Err(self.error_at(t.span, &msg));
            }
        };
        Ok(Expr { kind, span: t.span })
    }

    /// Comma-separated expressions up to `close`; returns them and the closing token's span.
    fn list(&mut self, close: Tok, close_text: &str) -> Result<(Vec<Expr>, Span), MathError> {
        let mut items = Vec::new();
        if self.peek() == &close {
            return Ok((items, self.bump().span));
        }
        loop {
            items.push(self.expr(0)?);
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                t if *t == close => return Ok((items, self.bump().span)),
                _ => return Err(self.expected(&format!("',' or {close_text}"))),
            }
        }
    }

    /// An UPPERCASE word: a call if `(` follows, else a keyword argument.
    fn word(&mut self, w: String, span: Span) -> Result<Expr, MathError> {
        let column = column_of(self.src, span.start);
        if self.peek() != &Tok::LParen {
            return match Keyword::from_name(&w) {
                Some(k) => Ok(Expr { kind: ExprKind::Keyword(k), span }),
                None if Func::from_name(&w).is_some() => Err(self.expected(&format!("'(' after {w}"))),
                None => Err(self.error_at(span, &format!("Unknown keyword '{w}'"))),
            };
        }
        let func = match Func::from_name(&w) {
            Some(f) => f,
            None => {
                return Err(match UNSUPPORTED_FUNCTIONS.iter().find(|u| **u == w) {
                    Some(name) => MathError::Unsupported { column, name },
                    None => MathError::UnknownFunction { column, name: w },
                });
            }
        };
        self.bump();
        self.enter()?;
        let (args, close) = self.list(Tok::RParen, "')'")?;
        self.depth -= 1;
        let span = span.to(close);
        let (min, max, expected) = func.arity();
        if args.len() < min || args.len() > max {
            return Err(MathError::Arity { column, name: func.name(), expected, got: args.len() });
        }
        if func == Func::Search {
            return self.search(args, span);
        }
        Ok(Expr { kind: ExprKind::Call(func, args), span })
    }

    /// `SEARCH('query', 'Stat'[, period])`: literal arguments only; the query is parsed now.
    fn search(&self, args: Vec<Expr>, span: Span) -> Result<Expr, MathError> {
        let err = |e: &Expr, message: &str| self.error_at(e.span, message);
        let ExprKind::Str { raw, .. } = &args[0].kind else {
            return Err(err(&args[0], "SEARCH expects a search expression in quotes as its first argument"));
        };
        let query = search::parse(raw).map_err(|e| MathError::Search {
            // +1: the opening quote.
            column: column_of(self.src, args[0].span.start) + 1 + e.offset,
            message: e.message,
        })?;
        if !matches!(args[1].kind, ExprKind::Str { .. }) {
            return Err(err(&args[1], "SEARCH expects a statistic in quotes as its second argument"));
        }
        if let Some(p) = args.get(2) {
            match p.kind {
                ExprKind::Number(n) if n >= 1.0 && n.fract() == 0.0 && n <= i64::MAX as f64 => {}
                _ => return Err(err(p, "SEARCH expects a period in whole seconds as its third argument")),
            }
        }
        Ok(Expr { kind: ExprKind::Search { query: Box::new(query), args }, span })
    }
}

/// What an argument position accepts beyond ordinary values.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Value,
    /// FILL's second argument: a value, `REPEAT` or `LINEAR`.
    FillMode,
    /// SORT's second argument.
    SortBy,
    /// SORT's third argument.
    SortOrder,
    /// METRICS' filter.
    Filter,
}

/// Rejects keywords and strings outside the argument positions that take them.
fn check_placement(src: &str, e: &Expr, slot: Slot) -> Result<(), MathError> {
    let err = |message: String| Err(MathError::Syntax { column: column_of(src, e.span.start), message });
    match (&e.kind, slot) {
        (ExprKind::Keyword(Keyword::Repeat | Keyword::Linear), Slot::FillMode)
        | (ExprKind::Keyword(Keyword::Avg | Keyword::Min | Keyword::Max | Keyword::Sum), Slot::SortBy)
        | (ExprKind::Keyword(Keyword::Asc | Keyword::Desc), Slot::SortOrder)
        | (ExprKind::Str { .. }, Slot::Filter) => Ok(()),
        (_, Slot::SortBy) => err("SORT expects AVG, MIN, MAX or SUM as its second argument".to_owned()),
        (_, Slot::SortOrder) => err("SORT expects ASC or DESC as its third argument".to_owned()),
        (_, Slot::Filter) => err("METRICS expects a string in quotes".to_owned()),
        (ExprKind::Keyword(k), _) => err(format!("Unexpected keyword {}, expected an expression", k.name())),
        (ExprKind::Str { .. }, _) => err("Unexpected string, expected an expression".to_owned()),
        (ExprKind::Number(_) | ExprKind::Id(_) | ExprKind::Search { .. }, _) => Ok(()),
        (ExprKind::Array(items), _) => items.iter().try_for_each(|x| check_placement(src, x, Slot::Value)),
        (ExprKind::Unary(_, x), _) => check_placement(src, x, Slot::Value),
        (ExprKind::Binary(_, l, r), _) => {
            check_placement(src, l, Slot::Value)?;
            check_placement(src, r, Slot::Value)
        }
        (ExprKind::Call(func, args), _) => args.iter().enumerate().try_for_each(|(i, a)| {
            let slot = match (func, i) {
                (Func::Fill, 1) => Slot::FillMode,
                (Func::Sort, 1) => Slot::SortBy,
                (Func::Sort, 2) => Slot::SortOrder,
                (Func::Metrics, 0) => Slot::Filter,
                _ => Slot::Value,
            };
            check_placement(src, a, slot)
        }),
    }
}
