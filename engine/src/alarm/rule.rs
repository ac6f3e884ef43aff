//! Composite-alarm rules (`AlarmRule`, `aws-semantics.md` §3.6): a parser that reports where a
//! rule is wrong, the rule's references (for existence checks and cycle detection), and its
//! evaluation against the children's states.
//!
//! ```text
//! rule := or
//! or   := and ( "OR" and )*
//! and  := not ( "AND" not )*
//! not  := "NOT" not | atom
//! atom := "(" rule ")" | "TRUE" | "FALSE" | ("ALARM" | "OK" | "INSUFFICIENT_DATA") "(" ref ")"
//! ref  := an alarm name or ARN, bare (up to the closing parenthesis, trimmed) or in double
//!         quotes (`\"` and `\\` escape inside)
//! ```
//!
//! Keywords are upper case, as AWS writes them. Limits: 1–10,240 characters, at most 100
//! referenced alarms and 500 elements (alarm references, TRUE/FALSE, and each parenthesis of a
//! group).

use super::eval::AlarmState;

/// Longest rule, in characters.
pub const MAX_RULE_CHARS: usize = 10_240;
/// Most alarm references in one rule.
pub const MAX_REFERENCES: usize = 100;
/// Most elements (references, TRUE/FALSE, parentheses) in one rule.
pub const MAX_ELEMENTS: usize = 500;

/// A parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `TRUE` / `FALSE`.
    Const(bool),
    /// `ALARM(x)`, `OK(x)`, `INSUFFICIENT_DATA(x)`: x (a name or an ARN) is in that state.
    State(AlarmState, String),
    /// `NOT r`.
    Not(Box<Rule>),
    /// `a AND b AND …`.
    And(Vec<Rule>),
    /// `a OR b OR …`.
    Or(Vec<Rule>),
}

/// Why a rule does not parse: what is wrong and where (a 0-based character offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Character offset in the rule.
    pub position: usize,
    /// What was expected or found.
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)
    }
}

impl Rule {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() || chars.len() > MAX_RULE_CHARS {
            return Err(RuleError {
                position: 0,
                message: format!("AlarmRule must have 1 to {MAX_RULE_CHARS} characters, not {}", chars.len()),
            });
        }
        let mut p = Parser { chars, pos: 0, elements: 0, references: 0 };
        let rule = p.or()?;
        p.skip_space();
        if p.pos < p.chars.len() {
            return Err(p.error(format!("unexpected {:?}", p.rest_word())));
        }
        Ok(rule)
    }

    /// Every alarm name or ARN the rule references, in order of appearance (repeats kept).
    pub fn references(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Rule::Const(_) => {}
            Rule::State(_, r) => out.push(r),
            Rule::Not(r) => r.collect(out),
            Rule::And(rs) | Rule::Or(rs) => rs.iter().for_each(|r| r.collect(out)),
        }
    }

    /// The rule's truth, given each reference's state (`None`: unknown, which makes every state
    /// function false).
    pub fn eval(&self, state_of: &dyn Fn(&str) -> Option<AlarmState>) -> bool {
        match self {
            Rule::Const(b) => *b,
            Rule::State(s, r) => state_of(r) == Some(*s),
            Rule::Not(r) => !r.eval(state_of),
            Rule::And(rs) => rs.iter().all(|r| r.eval(state_of)),
            Rule::Or(rs) => rs.iter().any(|r| r.eval(state_of)),
        }
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    elements: usize,
    references: usize,
}

impl Parser {
    fn error(&self, message: String) -> RuleError {
        RuleError { position: self.pos, message }
    }

    fn skip_space(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn rest_word(&self) -> String {
        self.chars[self.pos..].iter().take_while(|c| !c.is_whitespace()).take(20).collect()
    }

    /// Whether the keyword `kw` is next (followed by a non-identifier character); consumes it.
    fn keyword(&mut self, kw: &str) -> bool {
        self.skip_space();
        let end = self.pos + kw.chars().count();
        if end > self.chars.len() || !self.chars[self.pos..end].iter().copied().eq(kw.chars()) {
            return false;
        }
        if self.chars.get(end).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            return false;
        }
        self.pos = end;
        true
    }

    fn element(&mut self) -> Result<(), RuleError> {
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(self.error(format!("AlarmRule has more than {MAX_ELEMENTS} elements")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Rule, RuleError> {
        let mut parts = vec![self.and()?];
        while self.keyword("OR") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap_or(Rule::Const(false)) } else { Rule::Or(parts) })
    }

    fn and(&mut self) -> Result<Rule, RuleError> {
        let mut parts = vec![self.not()?];
        while self.keyword("AND") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap_or(Rule::Const(false)) } else { Rule::And(parts) })
    }

    fn not(&mut self) -> Result<Rule, RuleError> {
        if self.keyword("NOT") {
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Rule, RuleError> {
        self.skip_space();
        if self.pos >= self.chars.len() {
            return Err(self.error(
                "expected ALARM(…), OK(…), INSUFFICIENT_DATA(…), TRUE, FALSE, NOT or ( but the rule ends".into(),
            ));
        }
        if self.chars[self.pos] == '(' {
            self.element()?;
            self.pos += 1;
            let inner = self.or()?;
            self.skip_space();
            if self.chars.get(self.pos) != Some(&')') {
                return Err(self.error("expected ) to close the parenthesis".into()));
            }
            self.element()?;
            self.pos += 1;
            return Ok(inner);
        }
        for (kw, value) in [("TRUE", true), ("FALSE", false)] {
            if self.keyword(kw) {
                self.element()?;
                return Ok(Rule::Const(value));
            }
        }
        for (kw, state) in
            [("ALARM", AlarmState::Alarm), ("OK", AlarmState::Ok), ("INSUFFICIENT_DATA", AlarmState::InsufficientData)]
        {
            if self.keyword(kw) {
                self.element()?;
                self.skip_space();
                if self.chars.get(self.pos) != Some(&'(') {
                    return Err(self.error(format!("expected ( after {kw}")));
                }
                self.pos += 1;
                let reference = self.reference()?;
                self.references += 1;
                if self.references > MAX_REFERENCES {
                    return Err(self.error(format!("AlarmRule references more than {MAX_REFERENCES} alarms")));
                }
                return Ok(Rule::State(state, reference));
            }
        }
        Err(self.error(format!(
            "expected ALARM(…), OK(…), INSUFFICIENT_DATA(…), TRUE, FALSE, NOT or ( but found {:?}",
            self.rest_word()
        )))
    }

    /// A reference after `(`, through the closing `)`.
    fn reference(&mut self) -> Result<String, RuleError> {
        self.skip_space();
        let start = self.pos;
        let name = if self.chars.get(self.pos) == Some(&'"') {
            self.pos += 1;
            let mut s = String::new();
            loop {
                match self.chars.get(self.pos) {
                    None => {
                        return Err(RuleError { position: start, message: "unterminated quoted alarm name".into() });
                    }
                    Some('"') => {
                        self.pos += 1;
                        break;
                    }
                    Some('\\') if matches!(self.chars.get(self.pos + 1), Some('"' | '\\')) => {
                        s.push(self.chars[self.pos + 1]);
                        self.pos += 2;
                    }
                    Some(c) => {
                        s.push(*c);
                        self.pos += 1;
                    }
                }
            }
            self.skip_space();
            s
        } else {
            let mut s = String::new();
            while let Some(&c) = self.chars.get(self.pos) {
                if c == ')' || c == '(' {
                    break;
                }
                s.push(c);
                self.pos += 1;
            }
            s.trim().to_string()
        };
        if self.chars.get(self.pos) != Some(&')') {
            return Err(self.error("expected ) after the alarm name".into()));
        }
        self.pos += 1;
        if name.is_empty() {
            return Err(RuleError { position: start, message: "empty alarm name".into() });
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(name: &str) -> Option<AlarmState> {
        match name {
            "cpu" => Some(AlarmState::Alarm),
            "disk" => Some(AlarmState::Ok),
            "new one" => Some(AlarmState::InsufficientData),
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:mem" => Some(AlarmState::Alarm),
            _ => None,
        }
    }

    fn truth(rule: &str) -> bool {
        Rule::parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}")).eval(&state)
    }

    #[test]
    fn the_grammar_and_its_precedence() {
        assert!(truth("ALARM(cpu)"));
        assert!(truth(r#"ALARM("cpu") AND OK(disk)"#));
        assert!(!truth("ALARM(cpu) AND NOT OK(disk)"));
        assert!(truth("INSUFFICIENT_DATA(\"new one\")"));
        assert!(truth("INSUFFICIENT_DATA( new one )"), "bare names are trimmed");
        assert!(truth("ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:mem)"));
        assert!(truth("TRUE") && !truth("FALSE") && truth("NOT FALSE") && truth("NOT NOT TRUE"));
        // AND binds tighter than OR.
        assert!(truth("TRUE OR FALSE AND FALSE"));
        assert!(!truth("(TRUE OR FALSE) AND FALSE"));
        // Unknown alarms are in no state.
        assert!(!truth("ALARM(nope)") && !truth("OK(nope)") && truth("NOT ALARM(nope)"));
        assert_eq!(
            Rule::parse("ALARM(cpu) OR (OK(disk) AND ALARM(cpu))").unwrap().references(),
            ["cpu", "disk", "cpu"]
        );
        assert_eq!(Rule::parse(r#"ALARM("a \"quoted\" \\ name")"#).unwrap().references(), [r#"a "quoted" \ name"#]);
    }

    #[test]
    fn errors_say_where() {
        let err = |rule: &str| Rule::parse(rule).unwrap_err();
        assert_eq!(err("ALARM(cpu) AND").position, 14);
        assert_eq!(err("ALARM(cpu) XOR OK(disk)").position, 11);
        assert_eq!(err("ALARM cpu").position, 6);
        assert_eq!(err("(ALARM(cpu)").position, 11);
        assert_eq!(err("ALARM()").position, 6);
        assert_eq!(err(r#"ALARM("cpu)"#).position, 6);
        assert_eq!(err("alarm(cpu)").position, 0, "keywords are upper case");
        assert_eq!(err("TRUEX").position, 0);
        assert!(err("").message.contains("1 to 10240"));
        assert!(Rule::parse(&"TRUE OR ".repeat(2000)).is_err(), "too long");
        let many = (0..101).map(|i| format!("ALARM(a{i})")).collect::<Vec<_>>().join(" OR ");
        assert!(err(&many).message.contains("more than 100"));
        let deep = format!("{}TRUE{}", "(".repeat(300), ")".repeat(300));
        assert!(err(&deep).message.contains("more than 500 elements"));
    }
}
