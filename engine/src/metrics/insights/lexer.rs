//! Query text → tokens. Keywords are not told apart from names here (the parser does that,
//! case-insensitively); quoting and escapes are resolved here.
//!
//! - Bare words: `[A-Za-z_][A-Za-z0-9_]*` (AWS: names with "characters other than letters,
//!   numbers, and underscore must be surrounded by double quote marks").
//! - `"…"`: a quoted name; `'…'`: a label value. Inside either, `\"`, `\'` and `\\` escape
//!   (AWS: "escape each quotation mark with a backslash"); any other backslash is an error.
//! - Numbers: `[0-9]+`; a digit run running into letters is a bare name that must be quoted.
//! - Symbols: `( ) , . = !=`.

use super::{InsightsError, SyntaxError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    /// A bare word: a keyword or an unquoted name.
    Word(&'a str),
    /// A double-quoted name, unescaped (never empty).
    Quoted(String),
    /// A single-quoted string, unescaped.
    Str(String),
    /// A run of ASCII digits.
    Number(&'a str),
    LParen,
    RParen,
    Comma,
    Dot,
    Eq,
    Ne,
    Eof,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub(super) tok: Tok<'a>,
    /// Byte span in the query text.
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub(super) fn lex(src: &str) -> Result<Vec<Token<'_>>, InsightsError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii() && c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                i = word_end(bytes, i);
                Tok::Word(&src[start..i])
            }
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if i < bytes.len() && is_word_byte(bytes[i]) {
                    let end = word_end(bytes, i);
                    return Err(InsightsError::syntax(src, start, SyntaxError::DigitName(src[start..end].to_owned())));
                }
                Tok::Number(&src[start..i])
            }
            b'"' | b'\'' => {
                let (text, end) = quoted(src, start)?;
                i = end;
                if c == b'\'' {
                    Tok::Str(text)
                } else if text.is_empty() {
                    return Err(InsightsError::syntax(src, start, SyntaxError::EmptyName));
                } else {
                    Tok::Quoted(text)
                }
            }
            b'(' | b')' | b',' | b'.' | b'=' => {
                i += 1;
                match c {
                    b'(' => Tok::LParen,
                    b')' => Tok::RParen,
                    b',' => Tok::Comma,
                    b'.' => Tok::Dot,
                    _ => Tok::Eq,
                }
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Ne
            }
            _ => {
                // Non-ASCII whitespace is still whitespace; anything else starts no token.
                let ch = src[i..].chars().next().unwrap_or('\u{FFFD}');
                if ch.is_whitespace() {
                    i += ch.len_utf8();
                    continue;
                }
                return Err(InsightsError::syntax(src, start, SyntaxError::UnexpectedChar(ch)));
            }
        };
        out.push(Token { tok, start, end: i });
    }
    out.push(Token { tok: Tok::Eof, start: src.len(), end: src.len() });
    Ok(out)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_word_byte(bytes[i]) {
        i += 1;
    }
    i
}

/// The unescaped text of the quoted token opening at `start`, and the byte after its closing
/// quote.
fn quoted(src: &str, start: usize) -> Result<(String, usize), InsightsError> {
    let quote = src.as_bytes()[start];
    let what = if quote == b'\'' { "string" } else { "quoted name" };
    let mut text = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((k, ch)) = chars.next() {
        let at = start + 1 + k;
        match ch {
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\'' | '\\'))) => text.push(e),
                Some((_, e)) => return Err(InsightsError::syntax(src, at, SyntaxError::InvalidEscape(e))),
                None => break,
            },
            c if c as u32 == u32::from(quote) => return Ok((text, at + 1)),
            c => text.push(c),
        }
    }
    Err(InsightsError::syntax(src, start, SyntaxError::Unterminated { what }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok<'_>> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_and_spans() {
        let t = lex(r#"SELECT "a\"b" != 'it\'s' 12"#).unwrap();
        let got: Vec<_> = t.iter().map(|t| (t.tok.clone(), t.start, t.end)).collect();
        assert_eq!(
            got,
            vec![
                (Tok::Word("SELECT"), 0, 6),
                (Tok::Quoted("a\"b".into()), 7, 13),
                (Tok::Ne, 14, 16),
                (Tok::Str("it's".into()), 17, 24),
                (Tok::Number("12"), 25, 27),
                (Tok::Eof, 27, 27),
            ]
        );
    }

    #[test]
    fn symbols_and_unicode() {
        assert_eq!(
            toks("( ) , . =\u{00A0}'ü'"),
            vec![Tok::LParen, Tok::RParen, Tok::Comma, Tok::Dot, Tok::Eq, Tok::Str("ü".into()), Tok::Eof]
        );
        assert_eq!(toks("a.b"), vec![Tok::Word("a"), Tok::Dot, Tok::Word("b"), Tok::Eof]);
        assert_eq!(toks("''"), vec![Tok::Str(String::new()), Tok::Eof]);
    }

    #[test]
    fn errors_carry_positions() {
        let err = |s: &str| match lex(s) {
            Err(InsightsError::Syntax { pos, kind }) => (pos.offset, kind),
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(err("a ! b"), (2, SyntaxError::UnexpectedChar('!')));
        assert_eq!(err("a < b"), (2, SyntaxError::UnexpectedChar('<')));
        assert_eq!(err("x 'abc"), (2, SyntaxError::Unterminated { what: "string" }));
        assert_eq!(err("\"ab\\"), (0, SyntaxError::Unterminated { what: "quoted name" }));
        assert_eq!(err("'a\\nb'"), (2, SyntaxError::InvalidEscape('n')));
        assert_eq!(err("\"\""), (0, SyntaxError::EmptyName));
        assert_eq!(err("SUM(4XXError)"), (4, SyntaxError::DigitName("4XXError".into())));
        assert_eq!(err("é"), (0, SyntaxError::UnexpectedChar('é')));
    }
}
