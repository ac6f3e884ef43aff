//! Codec tests with CloudWatch-shaped request and response structs.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::xml::{escape_into, format_f64};
use super::*;
use crate::aws::timestamp::Timestamp;

// ---- shapes, as the router will declare them (shared with JSON/CBOR) ----

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum StandardUnit {
    Seconds,
    Count,
    #[serde(rename = "Bytes/Second")]
    BytesPerSecond,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Dimension {
    name: String,
    value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StatisticSet {
    sample_count: f64,
    sum: f64,
    minimum: f64,
    maximum: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetricDatum {
    metric_name: String,
    dimensions: Option<Vec<Dimension>>,
    timestamp: Option<Timestamp>,
    value: Option<f64>,
    statistic_values: Option<StatisticSet>,
    values: Option<Vec<f64>>,
    counts: Option<Vec<f64>>,
    unit: Option<StandardUnit>,
    storage_resolution: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutMetricDataInput {
    namespace: String,
    metric_data: Vec<MetricDatum>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetMetricStatisticsInput {
    namespace: String,
    metric_name: String,
    dimensions: Option<Vec<Dimension>>,
    start_time: Timestamp,
    end_time: Timestamp,
    period: i32,
    statistics: Option<Vec<Statistic>>,
    extended_statistics: Option<Vec<String>>,
    unit: Option<StandardUnit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Metric {
    namespace: Option<String>,
    metric_name: Option<String>,
    dimensions: Option<Vec<Dimension>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListMetricsOutput {
    metrics: Option<Vec<Metric>>,
    next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Datapoint {
    timestamp: Option<Timestamp>,
    sample_count: Option<f64>,
    average: Option<f64>,
    sum: Option<f64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    unit: Option<StandardUnit>,
    extended_statistics: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetMetricStatisticsOutput {
    label: Option<String>,
    datapoints: Option<Vec<Datapoint>>,
}

// ---- helpers ----

const PREFIX: &str = "Action=PutMetricData&Version=2010-08-01&";

fn decode<T: serde::de::DeserializeOwned>(form: &str) -> Result<T, QueryError> {
    from_form::<T>(form.as_bytes(), CLOUDWATCH_VERSION).map(|(_, input)| input)
}

fn put(rest: &str) -> Result<PutMetricDataInput, QueryError> {
    decode(&format!("{PREFIX}{rest}"))
}

fn assert_err(result: Result<impl std::fmt::Debug, QueryError>, kind: QueryErrorKind, needle: &str) {
    let err = result.expect_err("expected an error");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.message().contains(needle), "message {:?} should contain {needle:?}", err.message());
}

fn datum(name: &str) -> MetricDatum {
    MetricDatum { metric_name: name.to_owned(), ..MetricDatum::default() }
}

fn body(xml: &str, op: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><{op}Response xmlns=\"{CLOUDWATCH_XMLNS}\">{xml}\
         <ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></{op}Response>"
    )
}

// ---- request decoding ----

#[test]
fn put_metric_data_full_shape() {
    let form = "Action=PutMetricData&Version=2010-08-01&Namespace=App%2FWeb\
        &MetricData.member.1.MetricName=Latency\
        &MetricData.member.1.Dimensions.member.1.Name=Host\
        &MetricData.member.1.Dimensions.member.1.Value=a+b\
        &MetricData.member.1.Dimensions.member.2.Name=Zone\
        &MetricData.member.1.Dimensions.member.2.Value=us%2D1\
        &MetricData.member.1.Timestamp=2016-10-03T23%3A00%3A00Z\
        &MetricData.member.1.Value=1.5\
        &MetricData.member.1.Unit=Seconds\
        &MetricData.member.1.StorageResolution=1\
        &MetricData.member.2.MetricName=Bytes\
        &MetricData.member.2.StatisticValues.SampleCount=3\
        &MetricData.member.2.StatisticValues.Sum=30\
        &MetricData.member.2.StatisticValues.Minimum=-1e3\
        &MetricData.member.2.StatisticValues.Maximum=2.5E1\
        &MetricData.member.2.Unit=Bytes%2FSecond\
        &MetricData.member.2.Timestamp=2016-10-03T23%3A00%3A00.125%2B00%3A00\
        &MetricData.member.3.MetricName=Dist\
        &MetricData.member.3.Values.member.1=1\
        &MetricData.member.3.Values.member.2=2.25\
        &MetricData.member.3.Counts.member.1=10\
        &MetricData.member.3.Counts.member.2=1";
    let (action, input) = from_form::<PutMetricDataInput>(form.as_bytes(), CLOUDWATCH_VERSION).unwrap();
    assert_eq!(action, "PutMetricData");
    let expected = PutMetricDataInput {
        namespace: "App/Web".into(),
        metric_data: vec![
            MetricDatum {
                dimensions: Some(vec![
                    Dimension { name: "Host".into(), value: "a b".into() },
                    Dimension { name: "Zone".into(), value: "us-1".into() },
                ]),
                timestamp: Some(Timestamp(1_475_535_600.0)),
                value: Some(1.5),
                unit: Some(StandardUnit::Seconds),
                storage_resolution: Some(1),
                ..datum("Latency")
            },
            MetricDatum {
                statistic_values: Some(StatisticSet { sample_count: 3.0, sum: 30.0, minimum: -1000.0, maximum: 25.0 }),
                unit: Some(StandardUnit::BytesPerSecond),
                timestamp: Some(Timestamp(1_475_535_600.125)),
                ..datum("Bytes")
            },
            MetricDatum { values: Some(vec![1.0, 2.25]), counts: Some(vec![10.0, 1.0]), ..datum("Dist") },
        ],
    };
    assert_eq!(input, expected);
}

#[test]
fn list_items_are_ordered_by_numeric_index_with_gaps() {
    // member.10 sorts after member.9 (not after member.1), gaps are fine, key order is irrelevant.
    let input = put("Namespace=N&MetricData.member.10.MetricName=ten&MetricData.member.2.MetricName=two\
         &MetricData.member.9.MetricName=nine")
    .unwrap();
    let names: Vec<_> = input.metric_data.iter().map(|d| d.metric_name.as_str()).collect();
    assert_eq!(names, ["two", "nine", "ten"]);
}

#[test]
fn flattened_list_form_is_accepted_but_not_mixed() {
    let input = put("Namespace=N&MetricData.1.MetricName=a&MetricData.2.MetricName=b").unwrap();
    assert_eq!(input.metric_data, vec![datum("a"), datum("b")]);
    assert_err(
        put("Namespace=N&MetricData.1.MetricName=a&MetricData.member.2.MetricName=b"),
        QueryErrorKind::MalformedQueryString,
        "MetricData",
    );
}

#[test]
fn empty_list_and_missing_optional_members() {
    let input = put("Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Dimensions=").unwrap();
    assert_eq!(input.metric_data, vec![MetricDatum { dimensions: Some(vec![]), ..datum("m") }]);
    let input = put("Namespace=N&MetricData=").unwrap();
    assert!(input.metric_data.is_empty());
    let input = put("Namespace=N&MetricData.member.1.MetricName=m").unwrap();
    assert_eq!(input.metric_data[0], datum("m"));
    // A non-empty value where a list belongs is an error naming the parameter.
    assert_err(put("Namespace=N&MetricData=x"), QueryErrorKind::InvalidParameterValue, "MetricData");
}

#[test]
fn unknown_parameters_are_ignored() {
    let input = put("Namespace=N&Foo=1&Bar.member.1=2&MetricData.member.1.MetricName=m&MetricData.member.1.Colour=red")
        .unwrap();
    assert_eq!(input.metric_data, vec![datum("m")]);
}

#[test]
fn get_metric_statistics_input() {
    let form = "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FEC2&MetricName=CPUUtilization\
        &Dimensions.member.1.Name=InstanceId&Dimensions.member.1.Value=i-1\
        &StartTime=2016-10-03T22%3A00%3A00Z&EndTime=2016-10-04T01%3A00%3A00%2B02%3A00&Period=60\
        &Statistics.member.1=Average&Statistics.member.2=Maximum\
        &ExtendedStatistics.member.1=p99&ExtendedStatistics.member.2=tm%2810%25%3A90%25%29";
    let (action, input) = from_form::<GetMetricStatisticsInput>(form.as_bytes(), CLOUDWATCH_VERSION).unwrap();
    assert_eq!(action, "GetMetricStatistics");
    assert_eq!(
        input,
        GetMetricStatisticsInput {
            namespace: "AWS/EC2".into(),
            metric_name: "CPUUtilization".into(),
            dimensions: Some(vec![Dimension { name: "InstanceId".into(), value: "i-1".into() }]),
            start_time: Timestamp(1_475_532_000.0),
            end_time: Timestamp(1_475_535_600.0),
            period: 60,
            statistics: Some(vec![Statistic::Average, Statistic::Maximum]),
            extended_statistics: Some(vec!["p99".into(), "tm(10%:90%)".into()]),
            unit: None,
        }
    );
}

#[test]
fn same_struct_decodes_from_json_and_query() {
    let json = r#"{"Namespace":"N","MetricData":[{"MetricName":"m","Timestamp":1475535600.5,
        "Values":[1.0,2.0],"Dimensions":[{"Name":"k","Value":"v"}]}]}"#;
    let from_json: PutMetricDataInput = serde_json::from_str(json).unwrap();
    let from_query =
        put("Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Timestamp=2016-10-03T23:00:00.500Z\
         &MetricData.member.1.Values.member.1=1&MetricData.member.1.Values.member.2=2\
         &MetricData.member.1.Dimensions.member.1.Name=k&MetricData.member.1.Dimensions.member.1.Value=v")
        .unwrap();
    assert_eq!(from_json, from_query);
}

#[test]
fn doubles_accept_nan_and_infinity() {
    let input = put("Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Values.member.1=NaN\
         &MetricData.member.1.Values.member.2=Infinity&MetricData.member.1.Values.member.3=-Infinity\
         &MetricData.member.1.Values.member.4=1e-7")
    .unwrap();
    let values = input.metric_data[0].values.as_ref().unwrap();
    assert!(values[0].is_nan());
    assert_eq!(values[1..], [f64::INFINITY, f64::NEG_INFINITY, 1e-7]);
}

#[test]
fn maps_decode_from_entries() {
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct WithMap {
        attributes: BTreeMap<String, f64>,
        other: Option<BTreeMap<String, String>>,
    }
    let ok: WithMap = decode(
        "Action=X&Version=2010-08-01&Attributes.entry.2.key=b&Attributes.entry.2.value=2\
         &Attributes.entry.1.key=a&Attributes.entry.1.value=1&Other=",
    )
    .unwrap();
    assert_eq!(ok.attributes, BTreeMap::from([("a".into(), 1.0), ("b".into(), 2.0)]));
    assert_eq!(ok.other, Some(BTreeMap::new()));
    assert_err(
        decode::<WithMap>("Action=X&Version=2010-08-01&Attributes.entry.1.key=a"),
        QueryErrorKind::MissingParameter,
        "Attributes.entry.1.value",
    );
    assert_err(
        decode::<WithMap>("Action=X&Version=2010-08-01&Attributes.entry.1.key=a&Attributes.entry.1.value=x"),
        QueryErrorKind::InvalidParameterValue,
        "Attributes.entry.1.value",
    );
}

#[test]
fn deserialize_any_gives_strings_and_maps() {
    let value: serde_json::Value = decode("Action=X&Version=2010-08-01&A=1&B.C=true&B.D=").unwrap();
    assert_eq!(value, serde_json::json!({"A": "1", "B": {"C": "true", "D": ""}}));
}

#[test]
fn booleans_are_true_or_false() {
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Flags {
        actions_enabled: bool,
    }
    assert!(decode::<Flags>("Action=X&Version=2010-08-01&ActionsEnabled=true").unwrap().actions_enabled);
    assert!(!decode::<Flags>("Action=X&Version=2010-08-01&ActionsEnabled=false").unwrap().actions_enabled);
    assert_err(
        decode::<Flags>("Action=X&Version=2010-08-01&ActionsEnabled=yes"),
        QueryErrorKind::InvalidParameterValue,
        "ActionsEnabled",
    );
}

#[test]
fn bad_values_name_the_parameter() {
    let base = "Namespace=N&MetricData.member.1.MetricName=m&";
    let cases = [
        ("MetricData.member.1.Value=abc", "MetricData.member.1.Value"),
        ("MetricData.member.1.Timestamp=yesterday", "MetricData.member.1.Timestamp"),
        ("MetricData.member.1.Unit=Parsecs", "MetricData.member.1.Unit"),
        ("MetricData.member.1.StorageResolution=1.5", "MetricData.member.1.StorageResolution"),
        ("MetricData.member.1.StorageResolution=99999999999", "MetricData.member.1.StorageResolution"),
        ("MetricData.member.1.Values.member.2=x&MetricData.member.1.Values.member.1=1", "Values.member.2"),
        ("MetricData.member.1.StatisticValues.Sum=s", "MetricData.member.1.StatisticValues.Sum"),
        ("MetricData.member.1.StatisticValues=x", "MetricData.member.1.StatisticValues"),
        ("MetricData.member.1.Value.Deep=1", "MetricData.member.1.Value"),
    ];
    for (extra, param) in cases {
        let err = put(&format!("{base}{extra}")).expect_err(extra);
        assert_eq!(err.kind(), QueryErrorKind::InvalidParameterValue, "{extra}: {err}");
        assert!(err.message().contains(param), "{extra}: {err}");
        assert_eq!(err.code(), "InvalidParameterValue");
        assert_eq!((err.fault(), err.http_status()), (Fault::Sender, 400));
    }
}

#[test]
fn missing_required_members_name_the_parameter() {
    assert_err(
        put("Namespace=N&MetricData.member.1.Value=1"),
        QueryErrorKind::MissingParameter,
        "MetricData.member.1.MetricName",
    );
    assert_err(put("MetricData.member.1.MetricName=m"), QueryErrorKind::MissingParameter, "parameter Namespace ");
    assert_err(
        put("Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.StatisticValues.Sum=1"),
        QueryErrorKind::MissingParameter,
        "MetricData.member.1.StatisticValues.SampleCount",
    );
    assert_eq!(put("MetricData=").unwrap_err().code(), "MissingParameter");
}

#[test]
fn malformed_keys() {
    let cases = [
        ("Namespace=N&MetricData..MetricName=m", "MetricData..MetricName"),
        ("Namespace=N&MetricData.member.1.MetricName.=m", "MetricName."),
        ("Namespace=N&.Namespace=m", ".Namespace"),
        ("Namespace=N&MetricData.member.0.MetricName=m", "MetricData.member.0"),
        ("Namespace=N&MetricData.member.01.MetricName=m", "MetricData.member.01"),
        ("Namespace=N&MetricData.member.x.MetricName=m", "MetricData.member.x"),
        ("Namespace=N&MetricData.member.99999999999.MetricName=m", "MetricData.member.99999999999"),
        ("Namespace=N&Namespace=M&MetricData=", "Namespace"),
    ];
    for (form, needle) in cases {
        assert_err(put(form), QueryErrorKind::MalformedQueryString, needle);
    }
    // Invalid UTF-8 after percent-decoding is refused, a literal U+FFFD is not.
    assert_err(put("Namespace=%FF&MetricData="), QueryErrorKind::MalformedQueryString, "UTF-8");
    assert_eq!(put("Namespace=%EF%BF%BD&MetricData=").unwrap().namespace, "\u{FFFD}");
}

#[test]
fn action_and_version() {
    let ok = parse_request(b"Version=2010-08-01&Action=ListMetrics&Namespace=N", CLOUDWATCH_VERSION).unwrap();
    assert_eq!((ok.action.as_str(), ok.version.as_str()), ("ListMetrics", "2010-08-01"));
    assert_eq!(ok.params.get("Namespace").and_then(Params::value), Some("N"));
    assert!(ok.params.get("Action").is_none() && ok.params.get("Version").is_none());
    // A GET query string is the same syntax.
    assert!(parse_request(b"Action=ListMetrics&Version=2010-08-01", CLOUDWATCH_VERSION).is_ok());

    let err = |form: &[u8]| parse_request(form, CLOUDWATCH_VERSION).unwrap_err();
    assert_eq!(err(b"Version=2010-08-01").code(), "MissingAction");
    assert_eq!(err(b"Action=&Version=2010-08-01").code(), "MissingAction");
    assert_eq!(err(b"").code(), "MissingAction");
    assert_eq!(err(b"Action=ListMetrics").code(), "MissingParameter");
    let wrong = err(b"Action=ListMetrics&Version=2014-03-28");
    assert_eq!(wrong.code(), "NoSuchVersion");
    assert!(wrong.message().contains("2014-03-28"));
    assert_eq!(err(b"Action=A&Action=B&Version=2010-08-01").code(), "MalformedQueryString");
    // The version is a parameter of the parser.
    assert!(parse_request(b"Action=CreateLogGroup&Version=2014-03-28", "2014-03-28").is_ok());
}

// ---- response encoding ----

#[test]
fn list_metrics_output_xml() {
    let output = ListMetricsOutput {
        metrics: Some(vec![
            Metric {
                namespace: Some("AWS/EC2".into()),
                metric_name: Some("CPU".into()),
                dimensions: Some(vec![Dimension { name: "InstanceId".into(), value: "i-1".into() }]),
            },
            Metric { namespace: Some("N".into()), metric_name: Some("M".into()), dimensions: Some(vec![]) },
        ]),
        next_token: Some("tok".into()),
    };
    let xml = response_xml("ListMetrics", &output, "rid-1").unwrap();
    let expected = body(
        "<ListMetricsResult><Metrics>\
         <member><Namespace>AWS/EC2</Namespace><MetricName>CPU</MetricName>\
         <Dimensions><member><Name>InstanceId</Name><Value>i-1</Value></member></Dimensions></member>\
         <member><Namespace>N</Namespace><MetricName>M</MetricName><Dimensions></Dimensions></member>\
         </Metrics><NextToken>tok</NextToken></ListMetricsResult>",
        "ListMetrics",
    );
    assert_eq!(xml, expected);

    // Absent options are omitted; an empty list is an empty element.
    let empty = ListMetricsOutput { metrics: Some(vec![]), next_token: None };
    assert_eq!(
        response_xml("ListMetrics", &empty, "rid-1").unwrap(),
        body("<ListMetricsResult><Metrics></Metrics></ListMetricsResult>", "ListMetrics")
    );
    let none = ListMetricsOutput { metrics: None, next_token: None };
    assert_eq!(
        response_xml("ListMetrics", &none, "rid-1").unwrap(),
        body("<ListMetricsResult></ListMetricsResult>", "ListMetrics")
    );
}

#[test]
fn get_metric_statistics_output_xml() {
    let output = GetMetricStatisticsOutput {
        label: Some("CPU".into()),
        datapoints: Some(vec![
            Datapoint {
                timestamp: Some(Timestamp(1_475_535_600.0)),
                sample_count: Some(3.0),
                average: Some(0.1),
                unit: Some(StandardUnit::Seconds),
                extended_statistics: Some(BTreeMap::from([("p50".into(), 2.5), ("p99".into(), 1e-7)])),
                ..Datapoint::default()
            },
            Datapoint {
                timestamp: Some(Timestamp(1_475_535_660.25)),
                maximum: Some(f64::NAN),
                minimum: Some(f64::NEG_INFINITY),
                sum: Some(f64::INFINITY),
                unit: Some(StandardUnit::BytesPerSecond),
                ..Datapoint::default()
            },
        ]),
    };
    let xml = response_xml("GetMetricStatistics", &output, "rid-1").unwrap();
    let expected = body(
        "<GetMetricStatisticsResult><Label>CPU</Label><Datapoints>\
         <member><Timestamp>2016-10-03T23:00:00.000Z</Timestamp><SampleCount>3.0</SampleCount>\
         <Average>0.1</Average><Unit>Seconds</Unit><ExtendedStatistics>\
         <entry><key>p50</key><value>2.5</value></entry><entry><key>p99</key><value>1e-7</value></entry>\
         </ExtendedStatistics></member>\
         <member><Timestamp>2016-10-03T23:01:00.250Z</Timestamp><Sum>Infinity</Sum><Minimum>-Infinity</Minimum>\
         <Maximum>NaN</Maximum><Unit>Bytes/Second</Unit></member>\
         </Datapoints></GetMetricStatisticsResult>",
        "GetMetricStatistics",
    );
    assert_eq!(xml, expected);
}

#[test]
fn operation_without_output() {
    assert_eq!(
        response_xml("PutMetricData", &(), "rid-1").unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><PutMetricDataResponse \
         xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><ResponseMetadata><RequestId>rid-1</RequestId>\
         </ResponseMetadata></PutMetricDataResponse>"
    );
    let err: XmlError = response_xml("Put<x>", &(), "r").unwrap_err();
    assert!(err.to_string().contains("Put<x>"), "{err}");
    assert!(response_xml("", &(), "r").is_err());
}

#[test]
fn error_response_xml() {
    let xml = error_xml(Fault::Sender, "InvalidParameterValue", "Value 'a<b' for parameter X is invalid.", "rid-2");
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse \
         xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><Error><Type>Sender</Type>\
         <Code>InvalidParameterValue</Code><Message>Value &apos;a&lt;b&apos; for parameter X is invalid.</Message>\
         </Error><RequestId>rid-2</RequestId></ErrorResponse>"
    );
    assert!(error_xml(Fault::Receiver, "InternalServiceError", "", "r").contains("<Type>Receiver</Type>"));
    let decode_error = put("Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value=x").unwrap_err();
    let xml = decode_error.to_error_xml("rid-3");
    assert!(
        xml.contains(
            "<Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>Value &apos;x&apos; for \
             parameter MetricData.member.1.Value is invalid: expected a double.</Message></Error>\
             <RequestId>rid-3</RequestId>"
        ),
        "{xml}"
    );
}

#[test]
fn strings_are_escaped() {
    let output = ListMetricsOutput { metrics: None, next_token: Some("<&>\"' ok".into()) };
    let xml = response_xml("ListMetrics", &output, "r<1>").unwrap();
    assert!(xml.contains("<NextToken>&lt;&amp;&gt;&quot;&apos; ok</NextToken>"), "{xml}");
    assert!(xml.contains("<RequestId>r&lt;1&gt;</RequestId>"), "{xml}");
}

#[test]
fn control_characters_never_make_invalid_xml() {
    let mut out = String::new();
    escape_into(&mut out, "a\u{0}b\u{1}c\u{8}d\u{B}e\u{C}f\u{1F}g\u{FFFE}h\u{FFFF}i\tj\nk\rl\u{7F}m\u{10FFFF}");
    assert_eq!(
        out,
        "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}g\u{FFFD}h\u{FFFD}i\tj\nk&#xD;l\u{7F}m\u{10FFFF}"
    );
}

fn is_xml10_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[test]
fn float_formatting() {
    assert_eq!(format_f64(1.0), "1.0");
    assert_eq!(format_f64(0.1), "0.1");
    assert_eq!(format_f64(-2.5), "-2.5");
    assert_eq!(format_f64(1e300), "1e300");
    assert_eq!(format_f64(f64::NAN), "NaN");
    assert_eq!(format_f64(f64::INFINITY), "Infinity");
    assert_eq!(format_f64(f64::NEG_INFINITY), "-Infinity");
    for v in [0.1 + 0.2, f64::MIN_POSITIVE, f64::MAX, -f64::EPSILON, 5e-324, 123_456_789.123_456_78] {
        assert_eq!(format_f64(v).parse::<f64>().unwrap(), v);
    }
}

#[test]
fn bytes_are_base64_and_timestamps_out_of_range_fail() {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Image<'a> {
        #[serde(with = "bytes")]
        metric_widget_image: &'a [u8],
    }
    mod bytes {
        pub(super) fn serialize<S: serde::Serializer>(v: &&[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }
    for (raw, b64) in [(&b""[..], ""), (b"f", "Zg=="), (b"fo", "Zm8="), (b"foo", "Zm9v"), (b"\xff\xfe\x00", "//4A")] {
        let xml = response_xml("GetMetricWidgetImage", &Image { metric_widget_image: raw }, "r").unwrap();
        assert!(xml.contains(&format!("<MetricWidgetImage>{b64}</MetricWidgetImage>")), "{xml}");
    }
    let bad = Datapoint { timestamp: Some(Timestamp(f64::NAN)), ..Datapoint::default() };
    assert!(response_xml("X", &bad, "r").is_err());
    let far = Datapoint { timestamp: Some(Timestamp(1e300)), ..Datapoint::default() };
    assert!(response_xml("X", &far, "r").is_err());
}

// ---- properties ----

proptest! {
    #[test]
    fn any_string_survives_form_encoding(ns in any::<String>(), name in any::<String>(), dim in "\\PC*") {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "PutMetricData")
            .append_pair("Version", "2010-08-01")
            .append_pair("MetricData.member.1.Dimensions.member.1.Value", &dim)
            .append_pair("MetricData.member.1.Dimensions.member.1.Name", &name)
            .append_pair("Namespace", &ns)
            .append_pair("MetricData.member.1.MetricName", &name)
            .finish();
        let input: PutMetricDataInput = decode(&form).unwrap();
        prop_assert_eq!(input.namespace, ns);
        prop_assert_eq!(&input.metric_data[0].metric_name, &name);
        prop_assert_eq!(
            input.metric_data[0].dimensions.clone().unwrap(),
            vec![Dimension { name: name.clone(), value: dim }]
        );
    }

    #[test]
    fn any_string_renders_as_valid_xml_text(s in any::<String>()) {
        let mut out = String::new();
        escape_into(&mut out, &s);
        prop_assert!(out.chars().all(is_xml10_char));
        prop_assert!(!out.contains('<') && !out.contains('>') && !out.contains('"') && !out.contains('\''));
        // Every '&' starts one of our references.
        for (i, _) in out.match_indices('&') {
            let rest = &out[i..];
            prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#xD;"].iter().any(|r| rest.starts_with(r)));
        }
    }

    #[test]
    fn doubles_survive_decode_and_encode(v in any::<f64>()) {
        let form = format!("{PREFIX}Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value={}",
            format_f64(v));
        let input = put(&form[PREFIX.len()..]).unwrap();
        let back = input.metric_data[0].value.unwrap();
        prop_assert!(back == v || (v.is_nan() && back.is_nan()));
    }
}
