//! SEARCH: tokenisation and matching tables taken from the User Guide's examples ("CloudWatch
//! search expression syntax" and "… examples"), grammar errors, and scan narrowing.

use proptest::prelude::*;

use crate::metrics::math::parse as parse_math;
use crate::metrics::math::search::{Partial, SearchQuery, parse, tokens};
use crate::metrics::math::{ExprKind, Pattern, Prop, Term};
use crate::metrics::model::{Dimension, MetricKey};

fn key(ns: &str, name: &str, dims: &[(&str, &str)]) -> MetricKey {
    MetricKey::new(ns, name, dims.iter().map(|(n, v)| Dimension::new(*n, *v)).collect())
}

#[test]
fn tokens_follow_the_user_guide() {
    // The guide lists the whole-name token too (customcount1, sdbfailure, project2trial333);
    // `tokens` returns the parts, the whole name is compared separately.
    let table: &[(&str, &[&str])] = &[
        ("CustomCount1", &["Custom", "Count", "1"]),
        ("SDBFailure", &["SDB", "Failure"]),
        ("Project2-trial333", &["Project", "2", "trial", "333"]),
        ("Network-Errors_2", &["Network", "Errors", "2"]),
        ("t2.micro", &["t", "2", "micro"]),
        ("i-0abc12", &["i", "0", "abc", "12"]),
        ("AWS/EC2", &["AWS", "EC", "2"]),
        ("CPUUtilization", &["CPU", "Utilization"]),
        ("--a--", &["a"]),
        ("", &[]),
        ("ÉtéCount", &["Été", "Count"]),
    ];
    for &(name, want) in table {
        assert_eq!(tokens(name), want, "{name}");
    }
}

#[test]
fn partial_matches_follow_the_user_guide() {
    let table: &[(&str, &str, bool)] = &[
        // Single tokens match case-insensitively.
        ("count", "CustomCount1", true),
        ("Count", "CustomCount1", true),
        ("COUNT", "CustomCount1", true),
        ("custom", "CustomCount1", true),
        ("1", "CustomCount1", true),
        // "couNT" splits into cou + NT, which are not tokens of the name.
        ("couNT", "CustomCount1", false),
        // Composite tokens must match with their case.
        ("CustomCount", "CustomCount1", true),
        ("Count1", "CustomCount1", true),
        ("customcount", "CustomCount1", false),
        ("count1", "CustomCount1", false),
        // The whole name without delimiters is a token of its own.
        ("customcount1", "CustomCount1", true),
        ("sdbfailure", "SDBFailure", true),
        ("sdb", "SDBFailure", true),
        ("failure", "SDBFailure", true),
        ("project2trial333", "Project2-trial333", true),
        ("project", "Project2-trial333", true),
        ("333", "Project2-trial333", true),
        ("trial3", "Project2-trial333", false),
        // Delimiters in the term: each piece is a token, consecutive in the name.
        ("network/errors", "Network-Errors-2", true),
        ("network+errors", "Network-Errors-2", true),
        ("network-errors", "NetworkErrors2", true),
        ("Network_Errors", "NetworkErrors2", true),
        ("errors/network", "Network-Errors-2", false),
        ("micro", "t2.micro", true),
        ("EC2", "AWS/EC2", true),
        ("ec2", "AWS/EC2", false),
        ("Errors", "ConnectionErrors", true),
        ("Error", "ConnectionErrors", false),
        ("-", "a-b", false),
    ];
    for &(term, name, want) in table {
        assert_eq!(Partial::new(term).matches(name), want, "{term} vs {name}");
    }
}

fn catalog() -> Vec<MetricKey> {
    vec![
        key("AWS/EC2", "CPUUtilization", &[("InstanceId", "i-1234567890123456")]), // 0
        key("AWS/EC2", "CPUUtilization", &[("InstanceId", "i-0000000000000000")]), // 1
        key("AWS/EC2", "CPUUtilization", &[("InstanceType", "t2.micro")]),         // 2
        key("AWS/EC2", "CPUUtilization", &[]),                                     // 3
        key("AWS/EC2", "NetworkPacketsIn", &[("InstanceId", "i-abc")]),            // 4
        key("AWS/Lambda", "Errors", &[("FunctionName", "ProjectA-fn")]),           // 5
        key("AWS/Lambda", "Invocations", &[("FunctionName", "ProjectA-fn")]),      // 6
        key("AWS/Lambda", "Invocations", &[("FunctionName", "other")]),            // 7
        key("MyApp", "ConnectionErrors", &[("Host", "h1")]),                       // 8
        key("MyNamespace", "CustomCount1", &[]),                                   // 9
        key("AWS/EBS", "VolumeReadOps", &[("VolumeId", "vol-1")]),                 // 10
        key("My Namespace", "Custom:Name[Special_Characters", &[("Dimension@Name", "x")]), // 11
        key("AWS/NetworkELB", "ConsumedLCUs", &[("LoadBalancer", "net/lb")]),      // 12
        key("AWS/NetworkELB", "NewFlowCount", &[("LoadBalancer", "net/lb")]),      // 13
        key("AWS/NetworkELB", "HealthyHostCount", &[("LoadBalancer", "net/lb")]),  // 14
        key("AWS/ECS", "CPUUtilization", &[("ClusterName", "c1")]),                // 15
        key("Ops", "Europe\\France Traffic(Network)", &[]),                        // 16
    ]
}

fn hits(q: &str) -> Vec<usize> {
    let query = parse(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
    catalog().iter().enumerate().filter(|(_, k)| query.matches(k)).map(|(i, _)| i).collect()
}

#[test]
fn queries_from_the_user_guide() {
    let table: &[(&str, &[usize])] = &[
        // The schema is an exact namespace and an exact set of dimension names.
        (r#" {AWS/EC2,InstanceId} MetricName="CPUUtilization" "#, &[0, 1]),
        (r#" {AWS/EC2,InstanceType} MetricName="CPUUtilization" "#, &[2]),
        (r#" {AWS/EC2} MetricName="CPUUtilization" "#, &[3]),
        (r#" {AWS/EC2, InstanceType} InstanceType=micro MetricName="CPUUtilization" "#, &[2]),
        (r#" {AWS/EC2,InstanceType} InstanceType="t2.micro" "#, &[2]),
        (r#" {AWS/EC2,InstanceType} InstanceType="micro" "#, &[]),
        (r#" MetricName="CPUUtilization" "#, &[0, 1, 2, 3, 15]),
        (r#" MetricName="CPUUtilization" AND ("AWS/ECS" OR "AWS/ES") "#, &[15]),
        (r#" {AWS/ECS, ClusterName}, MetricName="CPUUtilization" "#, &[15]),
        (r#" {AWS/EC2,InstanceId} MetricName="CPUUtilization" NOT i-1234567890123456 "#, &[1]),
        (" NOT Namespace=AWS ", &[8, 9, 11, 16]),
        (" (EC2 OR EBS) AND MetricName=ReadOps ", &[10]),
        (" (EC2 OR EBS) MetricName=ReadOps ", &[10]),
        (
            r#" {AWS/Lambda,FunctionName} MetricName="Errors" OR (MetricName="Invocations" AND (ProjectA OR ProjectB)) "#,
            &[5, 6],
        ),
        (" Errors ", &[5, 8]),
        (r#" "Errors" "#, &[5]),
        (r#" {MyNamespace}, "CustomCount1" "#, &[9]),
        (r#" {MyNamespace}, "customcount1" "#, &[]),
        (r#" {MyNamespace}, "Custom" "#, &[]),
        (r#" "CustomCount1" "#, &[9]),
        (r#" MetricName="CustomCount1" "#, &[9]),
        (r#" {AWS/NetworkELB, LoadBalancer} "ConsumedLCUs" OR flow "#, &[12, 13]),
        (r#" {"My Namespace", "Dimension@Name"}, "Custom:Name[Special_Characters" "#, &[11]),
        (r#" Namespace="AWS/EC2" MetricName="CPUUtilization" "#, &[0, 1, 2, 3]),
        // An exact term may match a dimension value too (AWS notes this for "AWS/EC2").
        (r#" "t2.micro" "#, &[2]),
        (" {AWS/EC2,InstanceId} network packets ", &[4]),
        (" {AWS/EC2,InstanceId} network AND packets ", &[4]),
        (" {AWS/EC2,InstanceId} NOT network NOT packets ", &[0, 1]),
        (" InstanceType=micro ", &[2]),
        (" {AWS/NetworkELB,LoadBalancer} ", &[12, 13, 14]),
        (r#" :aws.AccountId = 'LOCAL' MetricName="Errors" "#, &[5]),
        (r#" :aws.AccountId = "444455556666" "#, &[]),
        // Escapes in exact terms: \\ → \, \( → (, \) → ).
        (r#" "Europe\\France Traffic\(Network\)" "#, &[16]),
    ];
    for &(q, want) in table {
        assert_eq!(hits(q), want, "{q}");
    }
}

#[test]
fn parses_structure_and_precedence() {
    let q = parse("a OR b c AND NOT d").unwrap();
    let word = |w: &str| Term::Match(Prop::Any, Pattern::Partial(Partial::new(w)));
    // NOT binds tightest, then AND (explicit or implied), then OR.
    let want = Term::Or(vec![word("a"), Term::And(vec![word("b"), word("c"), Term::Not(Box::new(word("d")))])]);
    assert_eq!(q.term, Some(want));
    assert!(q.schema.is_none());
    let q = parse(r#"{ AWS/EC2 , InstanceType, InstanceId , InstanceType }"#).unwrap();
    let schema = q.schema.unwrap();
    assert_eq!(schema.namespace, "AWS/EC2");
    assert_eq!(schema.dimensions, ["InstanceId", "InstanceType"]);
    assert!(q.term.is_none());
    let q = parse(r#"FunctionName = "f1""#).unwrap();
    assert_eq!(q.term, Some(Term::Match(Prop::Dimension("FunctionName".into()), Pattern::Exact("f1".into()))));
}

#[test]
fn rejects_malformed_search_expressions() {
    // (text, 0-based offset, fragment)
    let table: &[(&str, usize, &str)] = &[
        ("", 0, "needs a metric schema, a search term, or both"),
        ("   ", 0, "needs a metric schema"),
        ("{AWS/EC2", 0, "Unterminated metric schema"),
        ("{}", 1, "Expected a namespace"),
        ("{AWS/EC2,,X}", 9, "Expected a namespace or dimension name"),
        ("{\"AWS/EC2} x", 1, "Unterminated quoted term"),
        ("a OR", 4, "expected a search term"),
        ("OR a", 0, "expected a search term"),
        ("a AND", 5, "expected a search term"),
        ("NOT", 3, "expected a search term"),
        ("(a", 2, "expected ')'"),
        ("a)", 1, "Unexpected ')'"),
        ("()", 1, "expected a search term"),
        ("MetricName=", 11, "expected a value after '='"),
        ("MetricName=(x)", 11, "expected a value after '='"),
        ("=x", 0, "expected a search term"),
        ("\"abc", 0, "Unterminated quoted term"),
        ("x {AWS/EC2}", 2, "The metric schema must come first"),
    ];
    for &(text, offset, fragment) in table {
        let err = parse(text).err().unwrap_or_else(|| panic!("{text:?} was accepted"));
        assert!(err.message.contains(fragment), "{text:?}: {:?} lacks {fragment:?}", err.message);
        assert_eq!(err.offset, offset, "{text:?}: {}", err.message);
    }
    let long = "a ".repeat(513);
    assert!(parse(&long).unwrap_err().message.contains("longer than 1024"));
    let deep = "(".repeat(150) + "a" + &")".repeat(150);
    assert!(parse(&deep).unwrap_err().message.contains("nested too deeply"));
}

#[test]
fn namespaces_narrow_the_scan_only_when_pinned() {
    let ns = |q: &str| parse(q).unwrap().namespaces();
    assert_eq!(ns("{AWS/EC2,InstanceId} x"), Some(vec!["AWS/EC2".to_owned()]));
    assert_eq!(ns(r#"Namespace="AWS/EC2" MetricName="CPUUtilization""#), Some(vec!["AWS/EC2".to_owned()]));
    assert_eq!(ns(r#"Namespace="B" OR Namespace="A" OR Namespace="B""#), Some(vec!["A".to_owned(), "B".to_owned()]));
    assert_eq!(ns(r#"Namespace="A" OR x"#), None);
    assert_eq!(ns("Namespace=AWS"), None); // partial: any namespace with the token
    assert_eq!(ns(r#"NOT Namespace="A""#), None);
    assert_eq!(ns("x"), None);
}

#[test]
fn math_parser_embeds_the_search_query() {
    let text = r#" {AWS/EC2,InstanceId} MetricName="CPUUtilization" "#;
    let e = parse_math(&format!("SEARCH('{text}', 'Average', 300)")).unwrap();
    let ExprKind::Search { query, .. } = e.kind else { panic!("{e}") };
    assert_eq!(*query, parse(text).unwrap());
}

proptest! {
    #[test]
    fn search_parse_and_match_never_panic(s in "[a-zA-Z0-9 {},=()\"'\\\\:./_-]{0,60}", name in "[a-zA-Z0-9/._-]{0,20}") {
        if let Ok(q) = parse(&s) {
            let q: SearchQuery = q;
            let _ = q.matches(&key(&name, &name, &[(&name, &name)]));
            let _ = q.namespaces();
        }
    }

    /// A term equal to a whole name always finds it, exact or partial.
    #[test]
    fn a_name_matches_itself(name in "[a-zA-Z][a-zA-Z0-9_-]{0,15}") {
        prop_assert!(Partial::new(&name).matches(&name));
        let exact = parse(&format!("\"{name}\"")).unwrap();
        prop_assert!(exact.matches(&key("Ns", &name, &[])));
    }
}
