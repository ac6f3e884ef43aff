//! The alarm shapes: JSON, CBOR and awsQuery inputs into the engine's model, outputs with the
//! model's member names in each protocol, reduced DescribeAlarms records, alarm ARNs.

use stratus_engine::{AlarmState, AlarmStatus, Tenant};

use super::*;
use crate::aws::cloudwatch::{Resource, resource_of_arn};
use crate::aws::query::{self, CLOUDWATCH_VERSION};

fn form<T: serde::de::DeserializeOwned>(action: &str, rest: &str) -> T {
    let body = format!("Action={action}&Version={CLOUDWATCH_VERSION}&{rest}");
    query::from_form::<T>(body.as_bytes(), CLOUDWATCH_VERSION).expect("form decodes").1
}

const PUT_JSON: &str = r#"{
    "AlarmName": "cpu-high", "AlarmDescription": "CPU", "ActionsEnabled": false,
    "OKActions": ["arn:aws:sns:us-east-1:123456789012:ok"],
    "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:page"],
    "MetricName": "CPU", "Namespace": "App", "Statistic": "Average",
    "Dimensions": [{"Name": "Host", "Value": "a"}], "Period": 60, "Unit": "Percent",
    "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 80.5,
    "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "breaching",
    "Tags": [{"Key": "team", "Value": "core"}]
}"#;

const PUT_FORM: &str = "AlarmName=cpu-high&AlarmDescription=CPU&ActionsEnabled=false\
    &OKActions.member.1=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aok\
    &AlarmActions.member.1=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Apage\
    &MetricName=CPU&Namespace=App&Statistic=Average\
    &Dimensions.member.1.Name=Host&Dimensions.member.1.Value=a&Period=60&Unit=Percent\
    &EvaluationPeriods=3&DatapointsToAlarm=2&Threshold=80.5\
    &ComparisonOperator=GreaterThanThreshold&TreatMissingData=breaching\
    &Tags.member.1.Key=team&Tags.member.1.Value=core";

#[test]
fn put_metric_alarm_becomes_the_engine_input_from_json_and_query_alike() {
    let json: PutMetricAlarmInput = serde_json::from_str(PUT_JSON).unwrap();
    let input = json.into_engine().unwrap();
    assert_eq!(input.name, "cpu-high");
    assert_eq!(input.description.as_deref(), Some("CPU"));
    assert_eq!(input.actions_enabled, Some(false));
    assert_eq!(input.ok_actions, ["arn:aws:sns:us-east-1:123456789012:ok"]);
    assert_eq!(input.alarm_actions, ["arn:aws:sns:us-east-1:123456789012:page"]);
    assert!(input.insufficient_data_actions.is_empty());
    assert_eq!(input.dimensions, vec![stratus_engine::Dimension::new("Host", "a")]);
    assert_eq!(input.unit, Some(stratus_engine::Unit::Percent));
    assert_eq!((input.period, input.evaluation_periods, input.datapoints_to_alarm), (Some(60), Some(3), Some(2)));
    assert_eq!(input.threshold, Some(80.5));
    assert_eq!(input.treat_missing_data.as_deref(), Some("breaching"));
    assert_eq!(input.tags, [("team".to_string(), "core".to_string())]);
    assert!(input.metrics.is_empty() && input.evaluation_window.is_none());

    let q: PutMetricAlarmInput = form("PutMetricAlarm", PUT_FORM);
    assert_eq!(q.into_engine().unwrap(), input);
    let cbor_bytes = {
        let value: ciborium::Value = serde_json::from_str(PUT_JSON).unwrap();
        let mut out = Vec::new();
        ciborium::ser::into_writer(&value, &mut out).unwrap();
        out
    };
    let cbor: PutMetricAlarmInput = ciborium::de::from_reader(cbor_bytes.as_slice()).unwrap();
    assert_eq!(cbor.into_engine().unwrap(), input);
}

#[test]
fn metric_math_alarms_reuse_the_get_metric_data_conversion() {
    let json: PutMetricAlarmInput = serde_json::from_str(
        r#"{"AlarmName": "ratio", "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
            "Metrics": [
              {"Id": "e", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors",
                 "Dimensions": [{"Name": "Host", "Value": "a"}]}, "Period": 60, "Stat": "Sum", "Unit": "Count"},
               "ReturnData": false},
              {"Id": "r", "Expression": "e * 2", "Label": "twice", "Period": 60}
            ]}"#,
    )
    .unwrap();
    let input = json.into_engine().unwrap();
    let [e, r] = input.metrics.as_slice() else { panic!("two queries: {:?}", input.metrics) };
    assert!(!e.return_data, "ReturnData false kept");
    assert!(r.return_data, "ReturnData defaults to true");
    assert_eq!((r.label.as_deref(), r.period_s), (Some("twice"), Some(60)));
    assert_eq!(r.kind, stratus_engine::QueryKind::Expression("e * 2".into()));
    let stratus_engine::QueryKind::MetricStat { metric, period_s, stat, unit } = &e.kind else {
        panic!("MetricStat: {e:?}")
    };
    assert_eq!((metric.namespace.as_str(), metric.metric_name.as_str()), ("App", "Errors"));
    assert_eq!((*period_s, stat.as_str(), *unit), (60, "Sum", Some(stratus_engine::Unit::Count)));

    // The same over awsQuery.
    let q: PutMetricAlarmInput = form(
        "PutMetricAlarm",
        "AlarmName=ratio&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold\
         &Metrics.member.1.Id=e&Metrics.member.1.ReturnData=false\
         &Metrics.member.1.MetricStat.Metric.Namespace=App&Metrics.member.1.MetricStat.Metric.MetricName=Errors\
         &Metrics.member.1.MetricStat.Metric.Dimensions.member.1.Name=Host\
         &Metrics.member.1.MetricStat.Metric.Dimensions.member.1.Value=a\
         &Metrics.member.1.MetricStat.Period=60&Metrics.member.1.MetricStat.Stat=Sum\
         &Metrics.member.1.MetricStat.Unit=Count\
         &Metrics.member.2.Id=r&Metrics.member.2.Expression=e+*+2&Metrics.member.2.Label=twice\
         &Metrics.member.2.Period=60",
    );
    assert_eq!(q.into_engine().unwrap(), input);
}

fn put_error(json: &str) -> AwsError {
    serde_json::from_str::<PutMetricAlarmInput>(json).unwrap().into_engine().unwrap_err()
}

#[test]
fn wire_level_problems_are_refused_with_aws_codes() {
    let e = put_error(r#"{"MetricName": "m"}"#);
    assert_eq!((e.code, e.message.as_str()), ("MissingParameter", "The parameter AlarmName is required."));
    let e = put_error(r#"{"AlarmName": "a", "Unit": "Furlongs"}"#);
    assert_eq!(
        (e.code, e.message.as_str()),
        ("InvalidParameterValue", "The value Furlongs for parameter Unit is invalid.")
    );
    let e = put_error(
        r#"{"AlarmName": "a", "Metrics": [{"Id": "m", "Expression": "1",
        "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "B"}, "Period": 60, "Stat": "Sum"}}]}"#,
    );
    assert_eq!(e.code, "InvalidParameterCombination");
    assert!(e.message.contains("Metrics.member.1.MetricStat and Metrics.member.1.Expression"), "{}", e.message);
    let e = put_error(r#"{"AlarmName": "a", "Metrics": [{"Id": "m"}, {"Label": "x", "Expression": "1"}]}"#);
    assert_eq!(
        (e.code, e.message.as_str()),
        ("MissingParameter", "The parameter Metrics.member.1.MetricStat or Metrics.member.1.Expression is required.")
    );
    let e = put_error(r#"{"AlarmName": "a", "Metrics": [{"Expression": "1"}]}"#);
    assert_eq!((e.code, e.message.as_str()), ("MissingParameter", "The parameter Metrics.member.1.Id is required."));
    let e = put_error(
        r#"{"AlarmName": "a", "Metrics": [{"Id": "m", "MetricStat": {"Metric":
        {"Namespace": "A", "MetricName": "B"}, "Period": 60, "Stat": "Sum", "Unit": "Parsecs"}}]}"#,
    );
    assert_eq!(
        (e.code, e.message.as_str()),
        ("InvalidParameterValue", "The value Parsecs for parameter Metrics.member.1.MetricStat.Unit is invalid.")
    );
    for member in ["WarmUpConfiguration", "EvaluationCriteria", "ActionConfiguration"] {
        let e = put_error(&format!(r#"{{"AlarmName": "a", "{member}": {{}}}}"#));
        assert_eq!(e.code, "InvalidParameterValue", "{member}");
        assert!(e.message.starts_with(member), "{}", e.message);
    }
    let e = put_error(r#"{"AlarmName": "a", "EvaluationInterval": 60}"#);
    assert_eq!(e.code, "InvalidParameterValue");
    let wall: PutMetricAlarmInput =
        serde_json::from_str(r#"{"AlarmName": "a", "EvaluationWindow": {"WallClockWindow": {"Timezone": "+05:30"}}}"#)
            .unwrap();
    assert_eq!(
        wall.into_engine().unwrap().evaluation_window,
        Some(stratus_engine::EvaluationWindow::WallClock { timezone: Some("+05:30".into()) })
    );
    let e = put_error(r#"{"AlarmName": "a", "EvaluationWindow": {"WallClockWindow": {}, "SlidingWindow": {}}}"#);
    assert_eq!(e.code, "InvalidParameterCombination");
    let sliding: PutMetricAlarmInput =
        serde_json::from_str(r#"{"AlarmName": "a", "EvaluationWindow": {"SlidingWindow": {}}}"#).unwrap();
    assert_eq!(sliding.into_engine().unwrap().evaluation_window, Some(stratus_engine::EvaluationWindow::Sliding));
}

#[test]
fn composite_and_small_inputs() {
    let c: PutCompositeAlarmInput = serde_json::from_str(
        r#"{"AlarmName": "both", "AlarmRule": "ALARM(cpu-high) AND NOT OK(\"disk\")", "OKActions": ["arn:x"],
            "ActionsSuppressor": "maint", "ActionsSuppressorWaitPeriod": 60, "ActionsSuppressorExtensionPeriod": 120,
            "Tags": [{"Key": "k", "Value": "v"}]}"#,
    )
    .unwrap();
    let c = c.into_engine().unwrap();
    assert_eq!(c.alarm_rule, "ALARM(cpu-high) AND NOT OK(\"disk\")");
    assert_eq!((c.ok_actions.as_slice(), c.actions_suppressor.as_deref()), (&["arn:x".to_string()][..], Some("maint")));
    assert_eq!((c.actions_suppressor_wait_period, c.actions_suppressor_extension_period), (Some(60), Some(120)));
    let no_rule: PutCompositeAlarmInput = serde_json::from_str(r#"{"AlarmName": "x"}"#).unwrap();
    assert_eq!(no_rule.into_engine().unwrap_err().message, "The parameter AlarmRule is required.");
    let q: PutCompositeAlarmInput = form("PutCompositeAlarm", "AlarmName=both&AlarmRule=ALARM%28a%29+OR+TRUE");
    assert_eq!(q.into_engine().unwrap().alarm_rule, "ALARM(a) OR TRUE");

    let d: DescribeAlarmsInput = form(
        "DescribeAlarms",
        "AlarmNames.member.1=a&AlarmNames.member.2=b&AlarmTypes.member.1=CompositeAlarm&StateValue=ALARM\
         &ActionPrefix=arn%3Aaws%3Asns&MaxRecords=10&NextToken=t",
    );
    let (q, records) = d.into_engine();
    assert_eq!(records, Records::Full);
    assert_eq!(
        q,
        stratus_engine::DescribeAlarms {
            names: vec!["a".into(), "b".into()],
            alarm_types: vec!["CompositeAlarm".into()],
            state_value: Some("ALARM".into()),
            action_prefix: Some("arn:aws:sns".into()),
            max_records: Some(10),
            next_token: Some("t".into()),
            ..Default::default()
        }
    );
    let children: DescribeAlarmsInput = serde_json::from_str(r#"{"ChildrenOfAlarmName": "both"}"#).unwrap();
    let (q, records) = children.into_engine();
    assert_eq!((q.children_of.as_deref(), records), (Some("both"), Records::Children));
    let parents: DescribeAlarmsInput = serde_json::from_str(r#"{"ParentsOfAlarmName": "cpu"}"#).unwrap();
    assert_eq!(parents.into_engine().1, Records::Parents);

    let m: DescribeAlarmsForMetricInput =
        form("DescribeAlarmsForMetric", "MetricName=CPU&Namespace=App&Period=60&Unit=Count%2FSecond");
    let m = m.into_engine().unwrap();
    assert_eq!((m.period, m.unit), (Some(60), Some(stratus_engine::Unit::CountPerSecond)));
    let no_ns: DescribeAlarmsForMetricInput = serde_json::from_str(r#"{"MetricName": "CPU"}"#).unwrap();
    assert_eq!(no_ns.into_engine().unwrap_err().code, "MissingParameter");

    let h: DescribeAlarmHistoryInput = form(
        "DescribeAlarmHistory",
        "AlarmName=a&HistoryItemType=StateUpdate&StartDate=2026-11-22T08%3A00%3A00Z&EndDate=2026-11-22T09%3A00%3A00.500Z\
         &MaxRecords=5&ScanBy=TimestampAscending",
    );
    let (h, contributor) = h.into_engine().unwrap();
    assert!(!contributor);
    assert_eq!((h.start_ms, h.end_ms), (Some(1_795_334_400_000), Some(1_795_338_000_500)));
    assert_eq!(
        (h.history_item_type.as_deref(), h.scan_by.as_deref()),
        (Some("StateUpdate"), Some("TimestampAscending"))
    );
    let by_contributor: DescribeAlarmHistoryInput = serde_json::from_str(r#"{"AlarmContributorId": "abc"}"#).unwrap();
    assert!(by_contributor.into_engine().unwrap().1);

    let s: SetAlarmStateInput = form("SetAlarmState", "AlarmName=a&StateValue=ALARM&StateReason=testing");
    assert_eq!(s.into_parts().unwrap(), ("a".into(), "ALARM".into(), "testing".into(), None));
    let no_reason: SetAlarmStateInput = serde_json::from_str(r#"{"AlarmName": "a", "StateValue": "OK"}"#).unwrap();
    assert_eq!(no_reason.into_parts().unwrap_err().message, "The parameter StateReason is required.");

    let names: AlarmNamesInput = form("DeleteAlarms", "AlarmNames.member.1=a&AlarmNames.member.2=b");
    assert_eq!(names.names().unwrap(), ["a", "b"]);
    let none: AlarmNamesInput = serde_json::from_str("{}").unwrap();
    assert_eq!(none.names().unwrap_err().code, "MissingParameter");
}

fn status(value: AlarmState) -> AlarmStatus {
    AlarmStatus {
        value,
        reason: "Threshold Crossed".into(),
        reason_data: Some(r#"{"version":"1.0"}"#.into()),
        updated_ms: 1_700_000_060_000,
        transitioned_ms: 1_700_000_060_000,
    }
}

fn metric_alarm() -> stratus_engine::MetricAlarm {
    let config: PutMetricAlarmInput = serde_json::from_str(PUT_JSON).unwrap();
    let mut config = config.into_engine().unwrap();
    config.tags.clear();
    stratus_engine::MetricAlarm {
        arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high".into(),
        config,
        actions_enabled: false,
        config_updated_ms: 1_700_000_000_000,
        state: status(AlarmState::Alarm),
    }
}

fn composite_alarm() -> stratus_engine::CompositeAlarm {
    stratus_engine::CompositeAlarm {
        arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:both".into(),
        config: stratus_engine::CompositeAlarmInput {
            name: "both".into(),
            alarm_rule: "ALARM(cpu-high)".into(),
            actions_suppressor: Some("maint".into()),
            actions_suppressor_wait_period: Some(60),
            actions_suppressor_extension_period: Some(120),
            ..Default::default()
        },
        actions_enabled: true,
        config_updated_ms: 1_700_000_000_000,
        state: status(AlarmState::Ok),
        actions_suppressed_by: Some("WaitPeriod".into()),
        actions_suppressed_reason: Some("Alarm is in WaitPeriod".into()),
    }
}

fn result() -> stratus_engine::DescribeAlarmsResult {
    stratus_engine::DescribeAlarmsResult {
        metric_alarms: vec![metric_alarm()],
        composite_alarms: vec![composite_alarm()],
        next_token: Some("next".into()),
    }
}

#[test]
fn describe_alarms_json_uses_the_model_member_names() {
    let out = serde_json::to_value(describe_alarms_output(result(), Records::Full)).unwrap();
    let m = &out["MetricAlarms"][0];
    for (member, want) in [
        ("AlarmName", serde_json::json!("cpu-high")),
        ("AlarmArn", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high".into()),
        ("AlarmDescription", "CPU".into()),
        ("AlarmConfigurationUpdatedTimestamp", 1_700_000_000.0.into()),
        ("ActionsEnabled", false.into()),
        ("OKActions", serde_json::json!(["arn:aws:sns:us-east-1:123456789012:ok"])),
        ("AlarmActions", serde_json::json!(["arn:aws:sns:us-east-1:123456789012:page"])),
        ("InsufficientDataActions", serde_json::json!([])),
        ("StateValue", "ALARM".into()),
        ("StateReason", "Threshold Crossed".into()),
        ("StateReasonData", r#"{"version":"1.0"}"#.into()),
        ("StateUpdatedTimestamp", 1_700_000_060.0.into()),
        ("StateTransitionedTimestamp", 1_700_000_060.0.into()),
        ("MetricName", "CPU".into()),
        ("Namespace", "App".into()),
        ("Statistic", "Average".into()),
        ("Dimensions", serde_json::json!([{"Name": "Host", "Value": "a"}])),
        ("Period", 60.into()),
        ("Unit", "Percent".into()),
        ("EvaluationPeriods", 3.into()),
        ("DatapointsToAlarm", 2.into()),
        ("Threshold", 80.5.into()),
        ("ComparisonOperator", "GreaterThanThreshold".into()),
        ("TreatMissingData", "breaching".into()),
    ] {
        assert_eq!(m[member], want, "{member} in {m}");
    }
    for absent in ["ExtendedStatistic", "Metrics", "ThresholdMetricId", "EvaluateLowSampleCountPercentile"] {
        assert!(m.get(absent).is_none(), "{absent} omitted when unset: {m}");
    }
    let c = &out["CompositeAlarms"][0];
    assert_eq!(c["AlarmRule"], "ALARM(cpu-high)");
    assert_eq!(c["StateValue"], "OK");
    assert_eq!(c["ActionsSuppressor"], "maint");
    assert_eq!(
        (c["ActionsSuppressorWaitPeriod"].as_i64(), c["ActionsSuppressorExtensionPeriod"].as_i64()),
        (Some(60), Some(120))
    );
    assert_eq!(
        (c["ActionsSuppressedBy"].as_str(), c["ActionsSuppressedReason"].as_str()),
        (Some("WaitPeriod"), Some("Alarm is in WaitPeriod"))
    );
    assert_eq!(c["OKActions"], serde_json::json!([]));
    assert_eq!(out["NextToken"], "next");
}

#[test]
fn children_and_parents_get_reduced_records() {
    let children = serde_json::to_value(describe_alarms_output(result(), Records::Children)).unwrap();
    let m = children["MetricAlarms"][0].as_object().unwrap();
    let mut keys: Vec<_> = m.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["AlarmArn", "AlarmName", "StateUpdatedTimestamp", "StateValue"]);
    assert_eq!((m["StateValue"].as_str(), m["StateUpdatedTimestamp"].as_f64()), (Some("ALARM"), Some(1_700_000_060.0)));
    let parents = serde_json::to_value(describe_alarms_output(result(), Records::Parents)).unwrap();
    let c = parents["CompositeAlarms"][0].as_object().unwrap();
    let mut keys: Vec<_> = c.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["AlarmArn", "AlarmName"]);
}

#[test]
fn describe_alarms_xml_wraps_lists_in_members_with_iso_timestamps() {
    let out = describe_alarms_output(result(), Records::Full);
    let xml = query::response_xml("DescribeAlarms", &out, "req-1").unwrap();
    assert!(xml.contains("<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><DescribeAlarmsResult><CompositeAlarms><member><ActionsEnabled>true</ActionsEnabled><AlarmActions></AlarmActions><AlarmArn>arn:aws:cloudwatch:us-east-1:123456789012:alarm:both</AlarmArn>"), "{xml}");
    assert!(xml.contains("<MetricAlarms><member><AlarmName>cpu-high</AlarmName>"), "{xml}");
    assert!(xml.contains("<OKActions><member>arn:aws:sns:us-east-1:123456789012:ok</member></OKActions>"), "{xml}");
    assert!(
        xml.contains(
            "<AlarmConfigurationUpdatedTimestamp>2023-11-14T22:13:20.000Z</AlarmConfigurationUpdatedTimestamp>"
        ),
        "{xml}"
    );
    assert!(xml.contains("<StateReasonData>{&quot;version&quot;:&quot;1.0&quot;}</StateReasonData>"), "{xml}");
    assert!(xml.contains("<Dimensions><member><Name>Host</Name><Value>a</Value></member></Dimensions><Period>60</Period><Unit>Percent</Unit>"), "{xml}");
    assert!(xml.contains("<Threshold>80.5</Threshold>"), "{xml}");
    assert!(xml.ends_with("</MetricAlarms><NextToken>next</NextToken></DescribeAlarmsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DescribeAlarmsResponse>"), "{xml}");
}

#[test]
fn metric_math_alarms_describe_their_metrics() {
    let mut a = metric_alarm();
    let math: PutMetricAlarmInput = serde_json::from_str(
        r#"{"AlarmName": "m", "ThresholdMetricId": "e", "Metrics": [{"Id": "e", "MetricStat": {"Metric":
            {"Namespace": "App", "MetricName": "Errors"}, "Period": 60, "Stat": "p99", "Unit": "Count"}}]}"#,
    )
    .unwrap();
    a.config = math.into_engine().unwrap();
    let out = serde_json::to_value(DescribeAlarmsForMetricOutput::from(vec![a])).unwrap();
    let m = &out["MetricAlarms"][0];
    assert_eq!(
        m["Metrics"],
        serde_json::json!([{"Id": "e", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors",
            "Dimensions": []}, "Period": 60, "Stat": "p99", "Unit": "Count"}, "ReturnData": true}])
    );
    assert_eq!(m["ThresholdMetricId"], "e");
}

#[test]
fn history_items_in_json_cbor_and_xml() {
    let h = stratus_engine::AlarmHistory {
        items: vec![stratus_engine::HistoryItem {
            alarm_name: "cpu-high".into(),
            alarm_type: stratus_engine::AlarmType::MetricAlarm,
            timestamp_ms: 1_700_000_060_500,
            item_type: stratus_engine::HistoryItemType::StateUpdate,
            summary: "Alarm updated from INSUFFICIENT_DATA to ALARM".into(),
            data: r#"{"version":"1.0"}"#.into(),
        }],
        next_token: None,
    };
    let out = DescribeAlarmHistoryOutput::from(h);
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        serde_json::json!({"AlarmHistoryItems": [{"AlarmName": "cpu-high", "AlarmType": "MetricAlarm",
            "Timestamp": 1_700_000_060.5, "HistoryItemType": "StateUpdate",
            "HistorySummary": "Alarm updated from INSUFFICIENT_DATA to ALARM", "HistoryData": "{\"version\":\"1.0\"}"}]})
    );
    let mut cbor = Vec::new();
    ciborium::ser::into_writer(&out, &mut cbor).unwrap();
    let value: ciborium::Value = ciborium::de::from_reader(cbor.as_slice()).unwrap();
    let item = &value.as_map().unwrap()[0].1.as_array().unwrap()[0];
    let ts = item.as_map().unwrap().iter().find(|(k, _)| k.as_text() == Some("Timestamp")).unwrap();
    assert_eq!(ts.1, ciborium::Value::Tag(1, Box::new(ciborium::Value::Float(1_700_000_060.5))), "CBOR tag 1");
    let xml = query::response_xml("DescribeAlarmHistory", &out, "r").unwrap();
    assert!(
        xml.contains("<DescribeAlarmHistoryResult><AlarmHistoryItems><member><AlarmName>cpu-high</AlarmName><AlarmType>MetricAlarm</AlarmType><Timestamp>2023-11-14T22:14:20.500Z</Timestamp><HistoryItemType>StateUpdate</HistoryItemType>"),
        "{xml}"
    );
}

#[test]
fn tag_operations_take_dashboard_and_alarm_arns() {
    let t = Tenant::new("123456789012", "us-east-1");
    assert_eq!(
        resource_of_arn("arn:aws:cloudwatch::123456789012:dashboard/ops", &t).unwrap(),
        Resource::Dashboard("ops".into())
    );
    assert_eq!(
        resource_of_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu:high", &t).unwrap(),
        Resource::Alarm("cpu:high".into()),
        "alarm names may hold colons"
    );
    for elsewhere in
        ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu", "arn:aws:cloudwatch:us-east-1:999999999999:alarm:cpu"]
    {
        let e = resource_of_arn(elsewhere, &t).unwrap_err();
        assert_eq!((e.code, e.status.as_u16()), ("ResourceNotFoundException", 404), "{elsewhere}");
    }
    for bad in
        ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:", "arn:aws:sns:us-east-1:123456789012:alarm:x", "alarm:x"]
    {
        assert_eq!(resource_of_arn(bad, &t).unwrap_err().code, "InvalidParameterValue", "{bad}");
    }
}
