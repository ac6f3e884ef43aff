//! CloudWatch search expressions — the first argument of `SEARCH(...)` — and a pure matcher
//! over metric identities. Sources: the CloudWatch User Guide, "CloudWatch search expression
//! syntax" and "CloudWatch search expression examples"; the rules and their gaps are listed in
//! `docs/design/2026-11-22-metric-math.md`.
//!
//! ```text
//! query   := schema? ','? terms?            (at least one of the two)
//! schema  := '{' name (',' name)* '}'       first name = namespace, the rest = dimension names
//! terms   := and ('OR' and)*
//! and     := unary ('AND'? unary)*          juxtaposition is AND
//! unary   := 'NOT' unary | '(' terms ')' | term
//! term    := word | "exact" | property '=' (word | "exact")
//! ```
//!
//! - A **schema** `{Namespace, Dim1, Dim2}` keeps only metrics in exactly that namespace whose
//!   dimension names are exactly `{Dim1, Dim2}` (`{AWS/EC2}` = metrics with no dimensions).
//! - A **partial** term (a bare word) is tokenised like names are (see [`tokens`]) and matches
//!   a name when its tokens appear consecutively among the name's tokens: a term piece that is
//!   one token matches case-insensitively, a piece that splits into several (camel case,
//!   digits: `CustomCount`, `Count1`) must match with its case. The whole name with delimiters
//!   removed, lowercased, is one more token (`project2trial333`).
//! - An **exact** term (double quotes) equals the whole name, case-sensitively; `\"`, `\\`,
//!   `\(`, `\)` are escapes.
//! - Without a property a term may match the namespace, the metric name, a dimension name or a
//!   dimension value; `MetricName=`, `Namespace=` and `DimName=` restrict it to that property
//!   (for `DimName=`, the value of that dimension).
//! - `AND`, `OR`, `NOT` are case-sensitive; `NOT` binds tightest, then `AND`, then `OR`.

use crate::metrics::model::MetricKey;

use super::{MAX_DEPTH, MAX_SEARCH_CHARS};

/// A parsed search expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchQuery {
    /// `{Namespace, DimensionName, …}`, if given.
    pub(crate) schema: Option<Schema>,
    /// The search terms, if any.
    pub(crate) term: Option<Term>,
}

/// A metric schema: an exact namespace and an exact set of dimension names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schema {
    pub(crate) namespace: String,
    /// Sorted, without duplicates.
    pub(crate) dimensions: Vec<String>,
}

/// A boolean combination of property matches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Term {
    And(Vec<Term>),
    Or(Vec<Term>),
    Not(Box<Term>),
    Match(Prop, Pattern),
}

/// Which part of a metric's identity a term is matched against.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prop {
    /// Namespace, metric name, any dimension name or any dimension value.
    Any,
    MetricName,
    Namespace,
    /// The value of the dimension with this name.
    Dimension(String),
    /// `:aws.AccountId` (cross-account observability): only `LOCAL` matches, since Stratus
    /// has no linked accounts.
    AccountId,
}

/// A term's text and how it matches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pattern {
    /// The whole string, case-sensitively.
    Exact(String),
    /// Token match (see the module doc).
    Partial(Partial),
}

/// A partial-match term, tokenised once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Partial {
    /// The term as written.
    pub(crate) text: String,
    /// Its tokens in order, each with whether it must match case-sensitively.
    tokens: Vec<(String, bool)>,
    /// Its alphanumeric characters, lowercased (compared with a name's whole-name token).
    flat: String,
}

impl Partial {
    pub(crate) fn new(text: &str) -> Partial {
        let mut toks = Vec::new();
        for piece in text.split(|c: char| !c.is_alphanumeric()).filter(|p| !p.is_empty()) {
            let pt = tokens(piece);
            let case_sensitive = pt.len() > 1;
            toks.extend(pt.into_iter().map(|t| (t.to_owned(), case_sensitive)));
        }
        Partial { text: text.to_owned(), tokens: toks, flat: flat_lower(text) }
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        if self.tokens.is_empty() {
            return false;
        }
        if self.flat == flat_lower(name) {
            return true;
        }
        let nt = tokens(name);
        nt.windows(self.tokens.len())
            .any(|w| w.iter().zip(&self.tokens).all(|(n, (t, cs))| if *cs { n == t } else { eq_ignore_case(n, t) }))
    }
}

impl Pattern {
    pub(crate) fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Exact(e) => e == s,
            Pattern::Partial(p) => p.matches(s),
        }
    }

    fn text(&self) -> &str {
        match self {
            Pattern::Exact(e) => e,
            Pattern::Partial(p) => &p.text,
        }
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

fn flat_lower(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Class {
    Upper,
    Lower,
    Digit,
    Other,
}

fn class(c: char) -> Class {
    if c.is_ascii_uppercase() {
        Class::Upper
    } else if c.is_ascii_digit() {
        Class::Digit
    } else if c.is_alphanumeric() {
        Class::Lower
    } else {
        Class::Other
    }
}

/// The tokens CloudWatch generates from a name, case preserved: non-alphanumeric characters
/// delimit; a new token starts at a capital after a lowercase letter or digit, at the last
/// capital of a run of capitals followed by a lowercase letter (`SDBFailure` → `SDB`,
/// `Failure`), at the first digit of a run of digits, and at a letter after a digit.
/// (The whole-name token is handled separately by [`Partial::matches`].)
pub(crate) fn tokens(s: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        let cl = class(c);
        if cl == Class::Other {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            continue;
        }
        let boundary = match start {
            None => true,
            Some(_) => {
                let prev = class(chars[k - 1].1);
                let next = chars.get(k + 1).map(|&(_, n)| class(n));
                match cl {
                    Class::Digit => prev != Class::Digit,
                    Class::Upper => {
                        prev == Class::Lower
                            || prev == Class::Digit
                            || (prev == Class::Upper && next == Some(Class::Lower))
                    }
                    _ => prev == Class::Digit,
                }
            }
        };
        if boundary {
            if let Some(st) = start {
                out.push(&s[st..i]);
            }
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

impl Schema {
    pub(crate) fn matches(&self, m: &MetricKey) -> bool {
        // MetricKey dimensions are sorted by name, as are ours.
        m.namespace == self.namespace
            && m.dimensions.len() == self.dimensions.len()
            && m.dimensions.iter().zip(&self.dimensions).all(|(d, n)| d.name == *n)
    }
}

impl Term {
    pub(crate) fn matches(&self, m: &MetricKey) -> bool {
        match self {
            Term::And(ts) => ts.iter().all(|t| t.matches(m)),
            Term::Or(ts) => ts.iter().any(|t| t.matches(m)),
            Term::Not(t) => !t.matches(m),
            Term::Match(prop, pat) => match prop {
                Prop::Any => {
                    pat.matches(&m.namespace)
                        || pat.matches(&m.metric_name)
                        || m.dimensions.iter().any(|d| pat.matches(&d.name) || pat.matches(&d.value))
                }
                Prop::MetricName => pat.matches(&m.metric_name),
                Prop::Namespace => pat.matches(&m.namespace),
                Prop::Dimension(name) => m.dimensions.iter().any(|d| d.name == *name && pat.matches(&d.value)),
                Prop::AccountId => pat.text() == "LOCAL",
            },
        }
    }

    /// Namespaces every match must lie in, if the term pins them (`Namespace="X"` in every
    /// branch).
    fn namespaces(&self) -> Option<Vec<String>> {
        match self {
            Term::Match(Prop::Namespace, Pattern::Exact(ns)) => Some(vec![ns.clone()]),
            Term::And(ts) => ts.iter().find_map(Term::namespaces),
            Term::Or(ts) => {
                let mut all = Vec::new();
                for t in ts {
                    all.extend(t.namespaces()?);
                }
                all.sort();
                all.dedup();
                Some(all)
            }
            _ => None,
        }
    }
}

impl SearchQuery {
    /// Whether metric `m` is part of this search's result.
    pub(crate) fn matches(&self, m: &MetricKey) -> bool {
        self.schema.as_ref().is_none_or(|s| s.matches(m)) && self.term.as_ref().is_none_or(|t| t.matches(m))
    }

    /// The namespaces outside which nothing can match, to narrow the scan; `None` = any.
    #[allow(dead_code)] // used by the executor's SEARCH scan
    pub(crate) fn namespaces(&self) -> Option<Vec<String>> {
        match &self.schema {
            Some(s) => Some(vec![s.namespace.clone()]),
            None => self.term.as_ref().and_then(Term::namespaces),
        }
    }
}

/// A search-expression syntax error: 0-based character offset in the search text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Parses the text of a search expression (the contents of SEARCH's first argument).
pub(crate) fn parse(text: &str) -> Result<SearchQuery, SearchError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_SEARCH_CHARS {
        return Err(SearchError {
            offset: MAX_SEARCH_CHARS,
            message: format!("The search expression is longer than {MAX_SEARCH_CHARS} characters"),
        });
    }
    let mut p = Parser { chars, pos: 0 };
    p.skip_ws();
    let schema = if p.peek() == Some('{') { Some(p.schema()?) } else { None };
    p.skip_ws();
    let toks = p.lex_terms()?;
    let mut tp = TermParser { toks, pos: 0, depth: 0 };
    let term = if tp.peek().tok == STok::End { None } else { Some(tp.or()?) };
    let rest = tp.peek();
    if rest.tok != STok::End {
        return Err(SearchError { offset: rest.at, message: format!("Unexpected {}", rest.tok.describe()) });
    }
    if schema.is_none() && term.is_none() {
        return Err(SearchError {
            offset: 0,
            message: "A search expression needs a metric schema, a search term, or both".to_owned(),
        });
    }
    Ok(SearchQuery { schema, term })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum STok {
    LParen,
    RParen,
    Eq,
    And,
    Or,
    Not,
    Quoted(String),
    Word(String),
    End,
}

impl STok {
    fn describe(&self) -> String {
        match self {
            STok::LParen => "'('".to_owned(),
            STok::RParen => "')'".to_owned(),
            STok::Eq => "'='".to_owned(),
            STok::And => "AND".to_owned(),
            STok::Or => "OR".to_owned(),
            STok::Not => "NOT".to_owned(),
            STok::Quoted(s) => format!("\"{s}\""),
            STok::Word(w) => format!("'{w}'"),
            STok::End => "end of the search expression".to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
struct Lexed {
    tok: STok,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn err(&self, at: usize, message: &str) -> SearchError {
        SearchError { offset: at, message: message.to_owned() }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// `{Namespace, Dim, …}` followed by an optional comma.
    fn schema(&mut self) -> Result<Schema, SearchError> {
        let open = self.pos;
        self.pos += 1;
        let mut names = Vec::new();
        loop {
            self.skip_ws();
            let at = self.pos;
            let name = match self.peek() {
                Some('"') => self.quoted()?,
                _ => {
                    let start = self.pos;
                    while self.peek().is_some_and(|c| c != ',' && c != '}') {
                        self.pos += 1;
                    }
                    self.chars[start..self.pos].iter().collect::<String>().trim().to_owned()
                }
            };
            if name.is_empty() {
                return Err(self.err(at, "Expected a namespace or dimension name in the metric schema"));
            }
            names.push(name);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.err(open, "Unterminated metric schema, expected '}'")),
                Some(c) => return Err(self.err(self.pos, &format!("Unexpected '{c}' in the metric schema"))),
            }
        }
        self.skip_ws();
        if self.peek() == Some(',') {
            self.pos += 1;
        }
        let namespace = names.remove(0);
        names.sort();
        names.dedup();
        Ok(Schema { namespace, dimensions: names })
    }

    /// A quoted string at the cursor (`"…"` or `'…'`), with backslash escapes resolved.
    fn quoted(&mut self) -> Result<String, SearchError> {
        let open = self.pos;
        let quote = self.chars[open];
        self.pos += 1;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\\' => match self.peek() {
                    Some(n) => {
                        out.push(n);
                        self.pos += 1;
                    }
                    None => break,
                },
                c if c == quote => return Ok(out),
                c => out.push(c),
            }
        }
        Err(self.err(open, "Unterminated quoted term"))
    }

    fn lex_terms(&mut self) -> Result<Vec<Lexed>, SearchError> {
        let mut out = Vec::new();
        loop {
            while self.peek().is_some_and(|c| c.is_whitespace() || c == ',') {
                self.pos += 1;
            }
            let at = self.pos;
            let tok = match self.peek() {
                None => {
                    out.push(Lexed { tok: STok::End, at });
                    return Ok(out);
                }
                Some('(') => {
                    self.pos += 1;
                    STok::LParen
                }
                Some(')') => {
                    self.pos += 1;
                    STok::RParen
                }
                Some('=') => {
                    self.pos += 1;
                    STok::Eq
                }
                Some('"' | '\'') => STok::Quoted(self.quoted()?),
                Some('{' | '}') => return Err(self.err(at, "The metric schema must come first")),
                Some(_) => {
                    while self.peek().is_some_and(|c| !(c.is_whitespace() || "()\"'=,{}".contains(c))) {
                        self.pos += 1;
                    }
                    let w: String = self.chars[at..self.pos].iter().collect();
                    match w.as_str() {
                        "AND" => STok::And,
                        "OR" => STok::Or,
                        "NOT" => STok::Not,
                        _ => STok::Word(w),
                    }
                }
            };
            out.push(Lexed { tok, at });
        }
    }
}

struct TermParser {
    toks: Vec<Lexed>,
    pos: usize,
    depth: usize,
}

impl TermParser {
    fn peek(&self) -> &Lexed {
        &self.toks[self.pos]
    }

    fn bump(&mut self) -> Lexed {
        let t = self.toks[self.pos].clone();
        if t.tok != STok::End {
            self.pos += 1;
        }
        t
    }

    fn err(&self, message: &str) -> SearchError {
        let t = self.peek();
        SearchError { offset: t.at, message: format!("Unexpected {}, expected {message}", t.tok.describe()) }
    }

    fn or(&mut self) -> Result<Term, SearchError> {
        let mut items = vec![self.and()?];
        while self.peek().tok == STok::Or {
            self.bump();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Term::Or(items) })
    }

    fn and(&mut self) -> Result<Term, SearchError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek().tok {
                STok::And => {
                    self.bump();
                    items.push(self.unary()?);
                }
                STok::Not | STok::LParen | STok::Quoted(_) | STok::Word(_) => items.push(self.unary()?),
                _ => break,
            }
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Term::And(items) })
    }

    fn unary(&mut self) -> Result<Term, SearchError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SearchError {
                offset: self.peek().at,
                message: "The search expression is nested too deeply".into(),
            });
        }
        let t = match self.peek().tok.clone() {
            STok::Not => {
                self.bump();
                Term::Not(Box::new(self.unary()?))
            }
            STok::LParen => {
                self.bump();
                let inner = self.or()?;
                if self.peek().tok != STok::RParen {
                    return Err(self.err("')'"));
                }
                self.bump();
                inner
            }
            STok::Quoted(s) => {
                self.bump();
                self.term(Pattern::Exact(s.clone()), s)?
            }
            STok::Word(w) => {
                self.bump();
                self.term(Pattern::Partial(Partial::new(&w)), w)?
            }
            _ => return Err(self.err("a search term")),
        };
        self.depth -= 1;
        Ok(t)
    }

    /// After a word or quoted string (`first`, whose text is `name`): a designator
    /// `name = value`, or the term itself.
    fn term(&mut self, first: Pattern, name: String) -> Result<Term, SearchError> {
        if self.peek().tok != STok::Eq {
            return Ok(Term::Match(Prop::Any, first));
        }
        self.bump();
        let value = match self.peek().tok.clone() {
            STok::Quoted(s) => Pattern::Exact(s),
            STok::Word(w) => Pattern::Partial(Partial::new(&w)),
            _ => return Err(self.err("a value after '='")),
        };
        self.bump();
        let prop = match name.as_str() {
            "MetricName" => Prop::MetricName,
            "Namespace" => Prop::Namespace,
            ":aws.AccountId" => Prop::AccountId,
            _ => Prop::Dimension(name),
        };
        Ok(Term::Match(prop, value))
    }
}
