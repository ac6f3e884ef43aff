//! Expression text → tokens. Each token keeps its byte span so errors can point at it.
//!
//! - Numbers: `12`, `0.5`, `.5`, `1e3`, `2.5E-4` (always non-negative; `-` is an operator).
//! - Ids: `^[a-z][a-zA-Z0-9_]*$` (query ids).
//! - Words: `^[A-Z][A-Z0-9_]*$` — function names, keywords (`REPEAT`, `ASC`, …) and the
//!   logical operators `AND` / `OR`. A capitalised word with lowercase letters (`Avg`) is
//!   neither an id nor a function and is rejected here.
//! - Strings: `'…'` or `"…"`; a backslash keeps the next character from ending the string.
//!   The raw text is kept (SEARCH has its own escapes); see [`unescape`].
//! - Operators `+ - * / ^ == != < <= > >= && ||`, and `( ) [ ] ,`.

use super::{MathError, column_of};

/// A byte range of the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    pub(crate) fn to(self, other: Span) -> Span {
        Span { start: self.start, end: other.end }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    /// Raw contents between the quotes, and the quote character.
    Str {
        raw: String,
        quote: char,
    },
    Id(String),
    Word(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number {n}"),
            Tok::Str { .. } => "a string".to_owned(),
            Tok::Id(id) => format!("'{id}'"),
            Tok::Word(w) => format!("'{w}'"),
            Tok::Eof => "end of the expression".to_owned(),
            other => format!("'{}'", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Caret => "^",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::And => "AND",
            Tok::Or => "OR",
            _ => "?",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
}

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, MathError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, message: String| MathError::Syntax { column: column_of(src, at), message };
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let two = |second: u8| bytes.get(i + 1) == Some(&second);
        let (tok, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b',' => (Tok::Comma, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'^' => (Tok::Caret, 1),
            b'=' if two(b'=') => (Tok::EqEq, 2),
            b'=' => return Err(err(i, "Unexpected '=', expected '==' for equality".to_owned())),
            b'!' if two(b'=') => (Tok::NotEq, 2),
            b'<' if two(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'&' if two(b'&') => (Tok::And, 2),
            b'|' if two(b'|') => (Tok::Or, 2),
            b'\'' | b'"' => {
                let (raw, len) = string(src, i).ok_or_else(|| err(i, "Unterminated string literal".to_owned()))?;
                (Tok::Str { raw, quote: char::from(c) }, len)
            }
            b'0'..=b'9' | b'.' => {
                let len = number_len(bytes, i).ok_or_else(|| err(i, "Malformed number".to_owned()))?;
                let text = &src[i..i + len];
                let n: f64 = text.parse().map_err(|_| err(i, format!("Malformed number '{text}'")))?;
                if !n.is_finite() {
                    return Err(err(i, format!("The number '{text}' is out of range")));
                }
                (Tok::Num(n), len)
            }
            b'a'..=b'z' => {
                let len = word_len(bytes, i);
                (Tok::Id(src[i..i + len].to_owned()), len)
            }
            b'A'..=b'Z' => {
                let len = word_len(bytes, i);
                let w = &src[i..i + len];
                if w.bytes().any(|b| b.is_ascii_lowercase()) {
                    return Err(err(
                        i,
                        format!(
                            "Invalid name '{w}': Ids must start with a lowercase letter and function names must be uppercase"
                        ),
                    ));
                }
                let tok = match w {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    _ => Tok::Word(w.to_owned()),
                };
                (tok, len)
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(i, format!("Unexpected character '{ch}'")));
            }
        };
        i += len;
        out.push(Token { tok, span: Span { start, end: i } });
    }
    out.push(Token { tok: Tok::Eof, span: Span { start: bytes.len(), end: bytes.len() } });
    Ok(out)
}

fn word_len(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count()
}

/// Length of the number starting at `start`, or `None` if it is malformed (no digits, a
/// dangling exponent, or letters glued to it as in `2m1`).
fn number_len(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = start;
    let int = digits(i);
    i += int;
    let mut frac = 0;
    if bytes.get(i) == Some(&b'.') {
        frac = digits(i + 1);
        i += 1 + frac;
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp = digits(j);
        if exp == 0 {
            return None;
        }
        i = j + exp;
    }
    match bytes.get(i) {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.' => None,
        _ => Some(i - start),
    }
}

/// The raw contents and total length of the string literal opening at byte `start`.
fn string(src: &str, start: usize) -> Option<(String, usize)> {
    let quote = src.as_bytes()[start];
    let mut escaped = false;
    for (k, b) in src.as_bytes()[start + 1..].iter().enumerate() {
        if escaped {
            escaped = false;
        } else if *b == b'\\' {
            escaped = true;
        } else if *b == quote {
            let end = start + 1 + k;
            return Some((src[start + 1..end].to_owned(), end + 1 - start));
        }
    }
    None
}

/// A string literal's value: each `\x` becomes `x`. (SEARCH parses the raw text instead.)
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}
