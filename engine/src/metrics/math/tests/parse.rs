//! Parser: accepted forms (checked through the fully parenthesised printer, which makes
//! precedence visible), rejected forms with their error column, references, and properties.

use proptest::prelude::*;

use crate::metrics::math::ast::{BinOp, Expr, ExprKind, Func, Keyword, UnaryOp};
use crate::metrics::math::lexer::Span;
use crate::metrics::math::{MathError, parse, references};

#[test]
fn accepts_and_prints_with_precedence() {
    let table = [
        ("m1", "m1"),
        ("(m1)", "m1"),
        ("m1 + m2 * 3", "(m1 + (m2 * 3))"),
        ("(m1 + m2) * 3", "((m1 + m2) * 3)"),
        ("a - b - c", "((a - b) - c)"),
        ("a / b * c", "((a / b) * c)"),
        // Unary minus binds looser than ^ and tighter than * /.
        ("-2 ^ 2", "(-(2 ^ 2))"),
        ("2 ^ -1", "(2 ^ (-1))"),
        ("-a * b", "((-a) * b)"),
        ("--a", "(-(-a))"),
        // ^ is right-associative.
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("a + b < c * d", "((a + b) < (c * d))"),
        ("a == b != c", "((a == b) != c)"),
        ("a <= b", "(a <= b)"),
        ("a >= b", "(a >= b)"),
        ("m1 > 15 AND m2 > 15", "((m1 > 15) AND (m2 > 15))"),
        ("a OR b AND c", "(a OR (b AND c))"),
        ("a || b && c", "(a OR (b AND c))"),
        ("(a OR b) AND c", "((a OR b) AND c)"),
        ("m1-MIN(m1)", "(m1 - MIN(m1))"),
        ("SUM([m1, m2])", "SUM([m1, m2])"),
        ("SUM(100/[m1, m2])", "SUM((100 / [m1, m2]))"),
        ("SUM(-[m1, m2])", "SUM((-[m1, m2]))"),
        ("FILL(m1, REPEAT)", "FILL(m1, REPEAT)"),
        ("FILL(METRICS(), LINEAR)", "FILL(METRICS(), LINEAR)"),
        ("FILL(m1, MIN(m1))", "FILL(m1, MIN(m1))"),
        ("SORT(METRICS(), AVG, DESC, 10)", "SORT(METRICS(), AVG, DESC, 10)"),
        ("SORT(METRICS(), MAX, ASC)", "SORT(METRICS(), MAX, ASC)"),
        ("SLICE(SORT(METRICS(), SUM, DESC), 0, 10)", "SLICE(SORT(METRICS(), SUM, DESC), 0, 10)"),
        ("METRICS('errors')", "METRICS('errors')"),
        ("SUM(METRICS(\"errors\"))", "SUM(METRICS(\"errors\"))"),
        ("IF(DAY(m1)<6,m1)", "IF((DAY(m1) < 6), m1)"),
        (
            "IF((DAY(m1)<6 AND (HOUR(m1)>=9 AND HOUR(m1)<17)),m1)",
            "IF(((DAY(m1) < 6) AND ((HOUR(m1) >= 9) AND (HOUR(m1) < 17))), m1)",
        ),
        ("TIME_SERIES(5*AVG(m1))", "TIME_SERIES((5 * AVG(m1)))"),
        (".5 + 1e3 + 2.5E-4", "((0.5 + 1000) + 0.00025)"),
        ("5. * 1E+2", "(5 * 100)"),
        ("  m1\n\t+\r\n m2  ", "(m1 + m2)"),
        ("m1_Err2 * x9", "(m1_Err2 * x9)"),
        (
            "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 300)",
            "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 300)",
        ),
        ("SEARCH(' Errors ', 'p99')", "SEARCH(' Errors ', 'p99')"),
        (
            "SUM(SEARCH('{AWS/Lambda, FunctionName} MetricName=\"Errors\"', 'Sum', 300))",
            "SUM(SEARCH('{AWS/Lambda, FunctionName} MetricName=\"Errors\"', 'Sum', 300))",
        ),
        ("METRICS('it\\'s')", "METRICS('it\\'s')"),
    ];
    for (src, printed) in table {
        let e = parse(src).unwrap_or_else(|err| panic!("{src:?} was rejected: {err}"));
        assert_eq!(e.to_string(), printed, "{src:?}");
    }
}

/// Each rejected expression, the 1-based column the error must point at, and a fragment of
/// the message.
#[test]
fn rejects_with_position() {
    let table: &[(&str, usize, &str)] = &[
        ("", 1, "Empty expression"),
        ("   ", 4, "Empty expression"),
        ("m1 +", 5, "end of the expression"),
        ("m1 + * m2", 6, "Unexpected '*', expected an expression"),
        ("(m1 + m2", 9, "expected ')'"),
        ("m1 + m2)", 8, "Unmatched ')'"),
        ("m1 m2", 4, "Unexpected 'm2', expected an operator"),
        ("m1 = m2", 4, "'=='"),
        ("m1 ! m2", 4, "Unexpected character '!'"),
        ("m1 & m2", 4, "Unexpected character '&'"),
        ("m1 # 2", 4, "Unexpected character '#'"),
        ("Avg(m1)", 1, "Invalid name 'Avg'"),
        ("_x", 1, "Unexpected character '_'"),
        ("ABS", 4, "expected '(' after ABS"),
        ("ABS(m1,)", 8, "Unexpected ')', expected an expression"),
        ("MAX(m1", 7, "expected ',' or ')'"),
        ("METRICS(", 9, "end of the expression"),
        ("[ ]", 3, "Empty array"),
        ("[m1, m2", 8, "expected ',' or ']'"),
        ("SORT(METRICS(), AVERAGE, ASC)", 17, "Unknown keyword 'AVERAGE'"),
        ("SORT(METRICS(), ASC, AVG)", 17, "SORT expects AVG, MIN, MAX or SUM"),
        ("SORT(METRICS(), AVG, m1)", 22, "SORT expects ASC or DESC"),
        ("FILL(m1, ASC)", 10, "Unexpected keyword ASC"),
        ("FILL(m1, 'x')", 10, "Unexpected string"),
        ("m1 + REPEAT", 6, "Unexpected keyword REPEAT"),
        ("m1 + 'x'", 6, "Unexpected string"),
        ("METRICS(m1)", 9, "METRICS expects a string"),
        ("SEARCH(m1, 'Average')", 8, "SEARCH expects a search expression"),
        ("SEARCH('x', Average)", 13, "Invalid name 'Average'"),
        ("SEARCH('x', AVERAGE)", 13, "Unknown keyword 'AVERAGE'"),
        ("SEARCH('x', m1)", 13, "SEARCH expects a statistic"),
        ("SEARCH('x', 'Average', 0)", 24, "period in whole seconds"),
        ("SEARCH('x', 'Average', 1.5)", 24, "period in whole seconds"),
        ("1.2.3", 1, "Malformed number"),
        ("2m1", 1, "Malformed number"),
        ("1e", 1, "Malformed number"),
        ("1e999", 1, "out of range"),
        ("'abc", 1, "Unterminated string"),
        ("m1 + \"abc", 6, "Unterminated string"),
        // Columns count characters, not bytes: 'é' is two bytes.
        ("METRICS('é') + +", 16, "Unexpected '+'"),
    ];
    for &(src, column, fragment) in table {
        let err = parse(src).err().unwrap_or_else(|| panic!("{src:?} was accepted"));
        let text = err.to_string();
        assert!(text.contains(fragment), "{src:?}: {text:?} lacks {fragment:?}");
        assert_eq!(err.column(), Some(column), "{src:?}: {text}");
    }
}

#[test]
fn rejects_functions_and_arity() {
    match parse("m1 + FOO(m1)") {
        Err(MathError::UnknownFunction { column: 6, name }) => assert_eq!(name, "FOO"),
        other => panic!("{other:?}"),
    }
    match parse("ANOMALY_DETECTION_BAND(m1, 2)") {
        Err(MathError::Unsupported { column: 1, name: "ANOMALY_DETECTION_BAND" }) => {}
        other => panic!("{other:?}"),
    }
    let arity = [
        ("ABS(m1, m2)", "ABS", 2),
        ("ABS()", "ABS", 0),
        ("SORT(m1, AVG)", "SORT", 2),
        ("IF(m1)", "IF", 1),
        ("FILL(m1)", "FILL", 1),
        ("SLICE(METRICS(), 1, 2, 3)", "SLICE", 4),
        ("METRICS('a', 'b')", "METRICS", 2),
        ("SEARCH('x')", "SEARCH", 1),
    ];
    for (src, func, n) in arity {
        match parse(src) {
            Err(MathError::Arity { column: 1, name, got, .. }) => assert_eq!((name, got), (func, n), "{src}"),
            other => panic!("{src}: {other:?}"),
        }
    }
}

#[test]
fn rejects_bad_search_expressions_at_their_column() {
    // The search text starts after the quote at column 8, so offset k is column 9 + k.
    match parse("SEARCH('{AWS/EC2', 'Average')") {
        Err(MathError::Search { column: 9, message }) => assert!(message.contains("Unterminated metric schema")),
        other => panic!("{other:?}"),
    }
    match parse("SEARCH('a OR', 'Average')") {
        Err(MathError::Search { column: 13, message }) => assert!(message.contains("expected a search term")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejects_overlong_and_deep_expressions() {
    let long = "m1+".repeat(700) + "m1";
    assert!(matches!(parse(&long), Err(MathError::TooLong { chars: 2102 })));
    let ok = "m1+".repeat(682) + "m1"; // 2,048 characters
    assert_eq!(ok.len(), 2048);
    assert!(parse(&ok).is_ok());
    let deep = "(".repeat(200) + "m1" + &")".repeat(200);
    assert!(parse(&deep).unwrap_err().to_string().contains("nested more than 100 levels"));
    let negs = "-".repeat(500) + "1";
    assert!(parse(&negs).is_err());
    let pow = "2^".repeat(300) + "2";
    assert!(parse(&pow).is_err());
}

#[test]
fn references_lists_ids_once_in_order() {
    let e = parse("m1 + m2 * m1 + SUM(METRICS()) + FILL(e1, m3) + SEARCH('m9', 'Sum')").unwrap();
    assert_eq!(references(&e), ["m1", "m2", "e1", "m3"]);
    assert!(references(&parse("TIME_SERIES(5)").unwrap()).is_empty());
}

#[test]
fn validation_message_names_the_query() {
    let err = parse("m1 +").unwrap_err();
    assert_eq!(
        err.validation_message("e1"),
        "Error in expression e1: Unexpected end of the expression, expected an expression at position 5"
    );
}

fn node(kind: ExprKind) -> Expr {
    Expr { kind, span: Span::default() }
}

pub(super) fn arb_expr() -> impl Strategy<Value = Expr> {
    let number = prop_oneof![
        (0u32..1000).prop_map(f64::from),
        (0.0f64..1e6),
        prop::num::f64::POSITIVE.prop_filter("finite", |x| x.is_finite()),
    ];
    let leaf = prop_oneof![
        number.prop_map(|n| node(ExprKind::Number(n))),
        "[a-z][a-zA-Z0-9_]{0,4}".prop_map(|id| node(ExprKind::Id(id))),
        // Ids the evaluator property test defines (m1, m2: series; arr: array; e1: scalar).
        prop::sample::select(vec!["m1", "m2", "arr", "e1"]).prop_map(|id| node(ExprKind::Id(id.to_owned()))),
        Just(node(ExprKind::Call(Func::Metrics, vec![]))),
        "[a-z0-9 ]{0,5}"
            .prop_map(|f| node(ExprKind::Call(Func::Metrics, vec![node(ExprKind::Str { raw: f, quote: '\'' })]))),
    ];
    let ops = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Pow,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::And,
        BinOp::Or,
    ];
    let one_arg = [Func::Abs, Func::Avg, Func::Diff, Func::Log10, Func::RunningSum, Func::TimeSeries, Func::Day];
    leaf.prop_recursive(5, 40, 4, move |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| node(ExprKind::Unary(UnaryOp::Neg, Box::new(e)))),
            (prop::sample::select(ops.to_vec()), inner.clone(), inner.clone())
                .prop_map(|(op, l, r)| node(ExprKind::Binary(op, Box::new(l), Box::new(r)))),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| node(ExprKind::Array(v))),
            (prop::sample::select(one_arg.to_vec()), inner.clone()).prop_map(|(f, e)| node(ExprKind::Call(f, vec![e]))),
            (inner.clone(), prop::sample::select(vec![Keyword::Repeat, Keyword::Linear]))
                .prop_map(|(e, k)| node(ExprKind::Call(Func::Fill, vec![e, node(ExprKind::Keyword(k))]))),
            (inner.clone(), inner.clone()).prop_map(|(e, f)| node(ExprKind::Call(Func::Fill, vec![e, f]))),
            (inner.clone(), prop::option::of(0u32..20)).prop_map(|(e, limit)| {
                let mut args = vec![e, node(ExprKind::Keyword(Keyword::Sum)), node(ExprKind::Keyword(Keyword::Desc))];
                args.extend(limit.map(|n| node(ExprKind::Number(f64::from(n)))));
                node(ExprKind::Call(Func::Sort, args))
            }),
            prop::collection::vec(inner, 2..4).prop_map(|v| node(ExprKind::Call(Func::If, v))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = parse(&s);
    }

    #[test]
    fn parse_never_panics_on_expression_like_text(
        s in "[a-zA-Z0-9_ ()\\[\\],+*/^<>=!&|'\".eE{}-]{0,80}"
    ) {
        if let Err(e) = parse(&s) {
            // Every error but length points inside the text (or just past its end).
            if let Some(c) = e.column() {
                prop_assert!(c >= 1 && c <= s.chars().count() + 1, "{s:?}: {e}");
            }
        }
    }

    #[test]
    fn print_parse_round_trip(e in arb_expr()) {
        let printed = e.to_string();
        prop_assume!(printed.chars().count() <= 2048);
        let back = parse(&printed).map_err(|err| TestCaseError::fail(format!("{printed:?}: {err}")))?;
        prop_assert!(back.same_tree(&e), "{printed:?} parsed to {back}");
        prop_assert_eq!(back.to_string(), printed);
    }
}
