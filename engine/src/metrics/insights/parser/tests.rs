//! Parser tables (accepted queries with their ASTs, rejected ones with position and reason) and
//! property tests (never panics; canonical text round-trips).

use proptest::prelude::*;

use super::super::{
    Comparison, Filter, FromClause, Function, InsightsError, InsightsQuery, MAX_QUERY_CHARS, OrderBy, SyntaxError,
    parse,
};

fn q(function: Function, metric: &str, namespace: &str) -> InsightsQuery {
    InsightsQuery {
        function,
        metric_name: metric.into(),
        from: FromClause { namespace: namespace.into(), schema: None },
        filter: None,
        group_by: Vec::new(),
        order_by: None,
        limit: None,
    }
}

fn eq(key: &str, value: &str) -> Filter {
    Filter::Compare { key: key.into(), op: Comparison::Eq, value: value.into() }
}

fn ne(key: &str, value: &str) -> Filter {
    Filter::Compare { key: key.into(), op: Comparison::Ne, value: value.into() }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn accepts() {
    let cases: Vec<(&str, InsightsQuery)> = vec![
        // benchmarks.md q3 and q4
        (r#"SELECT AVG(usage_user) FROM "Benchmark/CPU""#, q(Function::Avg, "usage_user", "Benchmark/CPU")),
        (
            r#"SELECT AVG(usage_user) FROM "Benchmark/CPU" GROUP BY hostname"#,
            InsightsQuery { group_by: strings(&["hostname"]), ..q(Function::Avg, "usage_user", "Benchmark/CPU") },
        ),
        // keywords in any case; names keep theirs
        ("select count(Errors) from MyApp", q(Function::Count, "Errors", "MyApp")),
        ("SeLeCt MaX(x) FrOm ns", q(Function::Max, "x", "ns")),
        ("SELECT MIN(_a1) FROM _ns", q(Function::Min, "_a1", "_ns")),
        // quoted names: specials, keywords, escapes, digits first
        (r#"SELECT SUM("PutRecords.Bytes") FROM "AWS/Kinesis""#, q(Function::Sum, "PutRecords.Bytes", "AWS/Kinesis")),
        (r#"SELECT AVG("LIMIT") FROM "from""#, q(Function::Avg, "LIMIT", "from")),
        (r#"SELECT AVG("Bytes\"Input\"") FROM n"#, q(Function::Avg, "Bytes\"Input\"", "n")),
        (r#"SELECT SUM("4XXError") FROM "AWS/ApiGateway""#, q(Function::Sum, "4XXError", "AWS/ApiGateway")),
        // SCHEMA: namespace only; keys deduplicated and sorted; bare namespace
        (
            r#"SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")"#,
            InsightsQuery {
                from: FromClause { namespace: "AWS/EC2".into(), schema: Some(vec![]) },
                ..q(Function::Avg, "CPUUtilization", "")
            },
        ),
        (
            "SELECT SUM(RequestCount) FROM SCHEMA(MyNs, LoadBalancer, AvailabilityZone, LoadBalancer)",
            InsightsQuery {
                from: FromClause {
                    namespace: "MyNs".into(),
                    schema: Some(strings(&["AvailabilityZone", "LoadBalancer"])),
                },
                ..q(Function::Sum, "RequestCount", "")
            },
        ),
        // WHERE: =, !=, AND, OR with AND binding tighter, parentheses, numbers, dotted keys
        (
            "SELECT AVG(m) FROM ns WHERE a = 'x' AND b != 'y'",
            InsightsQuery {
                filter: Some(Filter::And(vec![eq("a", "x"), ne("b", "y")])),
                ..q(Function::Avg, "m", "ns")
            },
        ),
        (
            "SELECT AVG(m) FROM ns WHERE a = 'x' OR b = 'y' AND c = 'z'",
            InsightsQuery {
                filter: Some(Filter::Or(vec![eq("a", "x"), Filter::And(vec![eq("b", "y"), eq("c", "z")])])),
                ..q(Function::Avg, "m", "ns")
            },
        ),
        (
            "SELECT AVG(m) FROM ns WHERE (a = 'x' OR b = 'y') AND ((c = 'z'))",
            InsightsQuery {
                filter: Some(Filter::And(vec![Filter::Or(vec![eq("a", "x"), eq("b", "y")]), eq("c", "z")])),
                ..q(Function::Avg, "m", "ns")
            },
        ),
        (
            "SELECT AVG(m) FROM ns WHERE a = 'x' AND (b = 'y' AND c = 'z')",
            InsightsQuery {
                filter: Some(Filter::And(vec![eq("a", "x"), eq("b", "y"), eq("c", "z")])),
                ..q(Function::Avg, "m", "ns")
            },
        ),
        (
            "SELECT AVG(m) FROM ns WHERE AWS.AccountId=444455556666 AND tag.env='prod' AND \"k k\" = 'it\\'s'",
            InsightsQuery {
                filter: Some(Filter::And(vec![
                    eq("AWS.AccountId", "444455556666"),
                    eq("tag.env", "prod"),
                    eq("k k", "it's"),
                ])),
                ..q(Function::Avg, "m", "ns")
            },
        ),
        // the full shape, multi-line
        (
            "SELECT SUM(RequestCount)\n  FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer, AvailabilityZone)\n  \
             WHERE LoadBalancer = 'app/load-balancer-1'\n  GROUP BY AvailabilityZone, LoadBalancer\n  \
             ORDER BY MAX() DESC\n  LIMIT 5",
            InsightsQuery {
                function: Function::Sum,
                metric_name: "RequestCount".into(),
                from: FromClause {
                    namespace: "AWS/ApplicationELB".into(),
                    schema: Some(strings(&["AvailabilityZone", "LoadBalancer"])),
                },
                filter: Some(eq("LoadBalancer", "app/load-balancer-1")),
                group_by: strings(&["AvailabilityZone", "LoadBalancer"]),
                order_by: Some(OrderBy { function: Function::Max, descending: true }),
                limit: Some(5),
            },
        ),
        (
            "SELECT MAX(c) FROM n ORDER BY sum() asc LIMIT 500",
            InsightsQuery {
                order_by: Some(OrderBy { function: Function::Sum, descending: false }),
                limit: Some(500),
                ..q(Function::Max, "c", "n")
            },
        ),
        (
            "SELECT MAX(c) FROM n ORDER BY COUNT()",
            InsightsQuery {
                order_by: Some(OrderBy { function: Function::Count, descending: false }),
                ..q(Function::Max, "c", "n")
            },
        ),
        ("SELECT MAX(c) FROM n LIMIT 1", InsightsQuery { limit: Some(1), ..q(Function::Max, "c", "n") }),
    ];
    for (text, want) in cases {
        match parse(text) {
            Ok(got) => assert_eq!(got, want, "{text}"),
            Err(e) => panic!("{text}: {e}"),
        }
    }
}

/// (query, line, column, what the message must contain)
#[test]
fn rejects_with_position() {
    let cases: &[(&str, u32, u32, &str)] = &[
        ("", 1, 1, "expected SELECT, found end of query"),
        ("SELEC AVG(m) FROM n", 1, 1, "expected SELECT, found `SELEC`"),
        ("SELECT AVERAGE(m) FROM n", 1, 8, "expected one of AVG, COUNT, MAX, MIN, SUM, found `AVERAGE`"),
        ("SELECT AVG m FROM n", 1, 12, "expected '('"),
        ("SELECT AVG() FROM n", 1, 12, "expected a metric name, found `)`"),
        ("SELECT AVG(*) FROM n", 1, 12, "unexpected character '*'"),
        ("SELECT AVG(a, b) FROM n", 1, 13, "expected ')', found `,`"),
        ("SELECT AVG(m) n", 1, 15, "expected FROM"),
        ("SELECT AVG(m) FROM", 1, 19, "expected a namespace or SCHEMA(…), found end of query"),
        ("SELECT AVG(m) FROM AWS/EC2", 1, 23, "unexpected character '/'"),
        ("SELECT AVG(m) FROM WHERE a = 'b'", 1, 20, "found keyword `WHERE` (enclose a name that is a keyword"),
        ("SELECT AVG(Count) FROM n", 1, 12, "found keyword `Count`"),
        ("SELECT AVG(m) FROM SCHEMA", 1, 20, "found keyword `SCHEMA`"),
        ("SELECT AVG(m) FROM SCHEMA()", 1, 27, "expected a namespace, found `)`"),
        ("SELECT AVG(m) FROM SCHEMA(n, a", 1, 31, "expected ',' or ')', found end of query"),
        ("SELECT AVG(m) FROM SCHEMA(n,)", 1, 29, "expected a label key"),
        ("SELECT AVG(m) FROM n WHERE", 1, 27, "expected a label key or '(', found end of query"),
        ("SELECT AVG(m) FROM n WHERE a", 1, 29, "expected = or !=, found end of query"),
        ("SELECT AVG(m) FROM n WHERE a LIKE 'x%'", 1, 30, "expected = or !=, found `LIKE`"),
        ("SELECT AVG(m) FROM n WHERE a <> 'x'", 1, 30, "unexpected character '<'"),
        ("SELECT AVG(m) FROM n WHERE a = x", 1, 32, "expected a label value in single quotes, found `x`"),
        ("SELECT AVG(m) FROM n WHERE a = \"x\"", 1, 32, "expected a label value in single quotes"),
        ("SELECT AVG(m) FROM n WHERE a = 'x' b = 'y'", 1, 36, "expected AND, OR, GROUP BY, ORDER BY, LIMIT or end"),
        ("SELECT AVG(m) FROM n WHERE (a = 'x'", 1, 36, "expected AND, OR or ')', found end of query"),
        ("SELECT AVG(m) FROM n WHERE a = 'x' AND", 1, 39, "expected a label key or '('"),
        ("SELECT AVG(m) FROM n WHERE a. = 'x'", 1, 31, "expected a name after '.'"),
        ("SELECT AVG(m) FROM n WHERE a = 'x", 1, 32, "unterminated string"),
        ("SELECT AVG(m) FROM n WHERE a = 'x\\y'", 1, 34, "invalid escape \\y"),
        ("SELECT AVG(m) FROM n GROUP hostname", 1, 28, "expected BY, found `hostname`"),
        ("SELECT AVG(m) FROM n GROUP BY", 1, 30, "expected a label key, found end of query"),
        ("SELECT AVG(m) FROM n GROUP BY a,", 1, 33, "expected a label key"),
        ("SELECT AVG(m) FROM n GROUP BY a b", 1, 33, "expected ',', ORDER BY, LIMIT or end of query, found `b`"),
        ("SELECT AVG(m) FROM n ORDER BY MAX", 1, 34, "expected '('"),
        ("SELECT AVG(m) FROM n ORDER BY MAX(m)", 1, 35, "expected ')' (ORDER BY functions take no argument)"),
        ("SELECT AVG(m) FROM n ORDER BY TOP() DESC", 1, 31, "expected one of AVG, COUNT, MAX, MIN, SUM"),
        ("SELECT AVG(m) FROM n ORDER BY MAX() DOWN", 1, 37, "expected ASC, DESC, LIMIT or end of query"),
        ("SELECT AVG(m) FROM n ORDER BY MAX() DESC 5", 1, 42, "expected LIMIT or end of query, found `5`"),
        ("SELECT AVG(m) FROM n LIMIT", 1, 27, "expected a number, found end of query"),
        ("SELECT AVG(m) FROM n LIMIT 0", 1, 28, "LIMIT must be between 1 and 500, found 0"),
        ("SELECT AVG(m) FROM n LIMIT 501", 1, 28, "LIMIT must be between 1 and 500, found 501"),
        ("SELECT AVG(m) FROM n LIMIT 99999999999999999999999", 1, 28, "LIMIT must be between 1 and 500"),
        ("SELECT AVG(m) FROM n LIMIT 10 LIMIT 5", 1, 31, "expected end of query, found keyword `LIMIT`"),
        ("SELECT AVG(m) FROM n LIMIT 10;", 1, 30, "unexpected character ';'"),
        ("SELECT AVG(m) FROM n GROUP BY a WHERE b = 'c'", 1, 33, "expected ',', ORDER BY, LIMIT"),
        ("SELECT SUM(4XXError) FROM n", 1, 12, "4XXError starts with a digit"),
        ("SELECT SUM(\"\") FROM n", 1, 12, "empty name"),
        ("SELECT AVG(m)\nFROM n\n  WHERE a == 'b'", 3, 12, "expected a label value in single quotes, found `=`"),
        ("SELECT AVG(m)\r\nFROM ünï", 2, 6, "unexpected character 'ü'"),
    ];
    for &(text, line, column, msg) in cases {
        match parse(text) {
            Err(e @ InsightsError::Syntax { pos, .. }) => {
                let shown = e.to_string();
                assert_eq!((pos.line, pos.column), (line, column), "{text}: {shown}");
                assert!(shown.contains(msg), "{text}: {shown:?} lacks {msg:?}");
            }
            other => panic!("{text}: expected a syntax error, got {other:?}"),
        }
    }
}

#[test]
fn limits_query_length_and_nesting() {
    let pad = " ".repeat(MAX_QUERY_CHARS - "SELECT AVG(m) FROM n".len());
    assert!(parse(&format!("SELECT AVG(m) FROM n{pad}")).is_ok());
    assert!(matches!(
        parse(&format!("SELECT AVG(m) FROM n{pad} ")),
        Err(InsightsError::TooLong { chars }) if chars == MAX_QUERY_CHARS + 1
    ));
    // characters, not bytes: 2048 two-byte characters in a string are fine
    let value = "é".repeat(MAX_QUERY_CHARS - "SELECT AVG(m) FROM n WHERE a = ''".len());
    assert!(parse(&format!("SELECT AVG(m) FROM n WHERE a = '{value}'")).is_ok());

    let nested = |d: usize| format!("SELECT AVG(m) FROM n WHERE {}a = 'b'{}", "(".repeat(d), ")".repeat(d));
    assert!(parse(&nested(32)).is_ok());
    match parse(&nested(33)) {
        Err(InsightsError::Syntax { pos, kind: SyntaxError::TooDeep }) => assert_eq!(pos.column, 28 + 32),
        other => panic!("{other:?}"),
    }
    // the deepest text that fits the length limit stops at the depth limit, not the stack
    let deep = format!("SELECT AVG(m) FROM n WHERE {}", "(".repeat(MAX_QUERY_CHARS - 27));
    assert!(matches!(parse(&deep), Err(InsightsError::Syntax { kind: SyntaxError::TooDeep, .. })));
}

#[test]
fn display_is_canonical() {
    let text = "select sum(\"a b\") from schema(\"AWS/X\", b, a) where x = 'it''s' or (y != '\\\\' and z = '1') \
                group by \"select\", w order by avg() limit 3";
    // `'it''s'` is two strings in a row: not SQL's doubled-quote escape
    assert!(parse(text).is_err());
    let text = text.replace("'it''s'", "'it\\'s'");
    let parsed = parse(&text).unwrap();
    assert_eq!(
        parsed.to_string(),
        "SELECT SUM(\"a b\") FROM SCHEMA(\"AWS/X\", a, b) WHERE x = 'it\\'s' OR (y != '\\\\' AND z = '1') \
         GROUP BY \"select\", w ORDER BY AVG() ASC LIMIT 3"
    );
    assert_eq!(parse(&parsed.to_string()).unwrap(), parsed);
}

// ---- property tests ----

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z_][A-Za-z0-9_]{0,8}",
        "[ -~]{1,10}", // any printable ASCII, quotes included
        "\\PC{1,6}",   // any Unicode
        Just("SELECT".to_owned()),
        Just("limit".to_owned()),
        Just("AWS.AccountId".to_owned()),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = (name(), any::<bool>(), "\\PC{0,6}").prop_map(|(key, e, value)| Filter::Compare {
        key,
        op: if e { Comparison::Eq } else { Comparison::Ne },
        value,
    });
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
        ]
    })
}

/// The form the parser produces: nested same-kind groups flattened.
fn normalize(f: Filter) -> Filter {
    match f {
        Filter::And(v) => Filter::and(v.into_iter().map(normalize).collect()),
        Filter::Or(v) => Filter::or(v.into_iter().map(normalize).collect()),
        leaf => leaf,
    }
}

fn function() -> impl Strategy<Value = Function> {
    prop::sample::select(Function::ALL.to_vec())
}

fn query() -> impl Strategy<Value = InsightsQuery> {
    (
        function(),
        name(),
        name(),
        prop::option::of(prop::collection::vec(name(), 0..3)),
        prop::option::of(filter()),
        prop::collection::vec(name(), 0..3),
        prop::option::of((function(), any::<bool>())),
        prop::option::of(1usize..=500),
    )
        .prop_map(|(function, metric_name, namespace, schema, filter, group_by, order, limit)| InsightsQuery {
            function,
            metric_name,
            from: FromClause {
                namespace,
                schema: schema.map(|mut s| {
                    s.sort_unstable();
                    s.dedup();
                    s
                }),
            },
            filter: filter.map(normalize),
            group_by,
            order_by: order.map(|(function, descending)| OrderBy { function, descending }),
            limit,
        })
}

/// Fragments that reach deep parser states when glued together at random.
const FRAGMENTS: &[&str] = &[
    "SELECT", "select", "AVG", "SUM", "COUNT", "(", ")", "m", "\"a/b\"", "FROM", "SCHEMA", ",", "WHERE", "a", "=",
    "!=", "'v'", "AND", "OR", "GROUP", "BY", "ORDER", "MAX()", "ASC", "DESC", "LIMIT", "10", "0", ".", "'", "\"", "\\",
    "é", "\n", "!", "x.y",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_text(s in "\\PC*") {
        let _ = parse(&s);
    }

    #[test]
    fn never_panics_on_token_soup(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40)) {
        let text = parts.join(" ");
        if let Err(InsightsError::Syntax { pos, .. }) = parse(&text) {
            prop_assert!(pos.offset <= text.len());
        }
    }

    #[test]
    fn canonical_text_round_trips(q in query()) {
        let text = q.to_string();
        prop_assume!(text.chars().count() <= MAX_QUERY_CHARS);
        match parse(&text) {
            Ok(back) => prop_assert_eq!(back, q),
            Err(e) => prop_assert!(false, "{} does not parse: {}", text, e),
        }
    }
}
