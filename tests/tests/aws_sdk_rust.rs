//! aws-sdk-rust's CloudWatch client (which speaks Smithy rpcv2Cbor) against the real `stratus`
//! binary, unmodified: metrics in, statistics and metric lists out, dashboards, alarms, AWS error
//! codes (the SDK dispatches on `x-amzn-query-error`), and a wrong secret refused.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::operation::set_alarm_state::SetAlarmStateError;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, HistoryItemType, Metric, MetricDataQuery, MetricDatum, MetricStat,
    StandardUnit, StateValue, Statistic, StatisticSet, Tag,
};
use stratus_tests::ServerProcess;

const KEY: &str = "AKIDRUSTSDKTEST";
const SECRET: &str = "rustSdkTestSecret";
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

async fn client(addr: std::net::SocketAddr, region: &str, secret: &str) -> Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(aws_credential_types::Credentials::new(KEY, secret, None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .load()
        .await;
    Client::new(&conf)
}

async fn bounded<F: std::future::IntoFuture>(f: F) -> F::Output {
    tokio::time::timeout(CALL_TIMEOUT, f.into_future()).await.expect("SDK call answered in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_rust_cloudwatch_works_unmodified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let credential = format!("{KEY}:{SECRET}");
    let mut server = ServerProcess::start(dir.path(), &["--credentials", &credential]).await;
    let addr = server.http_addr();
    let cw = client(addr, "us-east-1", SECRET).await;

    let now_s = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let minute = now_s - now_s % 60;
    let ts = DateTime::from_secs(minute);
    let host = Dimension::builder().name("Host").value("web-1").build();
    bounded(
        cw.put_metric_data()
            .namespace("RustSdk")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("Latency")
                    .dimensions(host.clone())
                    .timestamp(ts)
                    .values(2.0)
                    .values(4.0)
                    .counts(1.0)
                    .counts(3.0)
                    .unit(StandardUnit::Milliseconds)
                    .build(),
            )
            .metric_data(
                MetricDatum::builder()
                    .metric_name("Latency")
                    .dimensions(host.clone())
                    .timestamp(ts)
                    .statistic_values(
                        StatisticSet::builder().sample_count(2.0).sum(10.0).minimum(1.0).maximum(9.0).build(),
                    )
                    .unit(StandardUnit::Milliseconds)
                    .build(),
            )
            .send(),
    )
    .await
    .expect("PutMetricData");

    let stats = bounded(
        cw.get_metric_statistics()
            .namespace("RustSdk")
            .metric_name("Latency")
            .dimensions(host.clone())
            .start_time(DateTime::from_secs(minute - 600))
            .end_time(DateTime::from_secs(minute + 300))
            .period(60)
            .statistics(Statistic::SampleCount)
            .statistics(Statistic::Sum)
            .statistics(Statistic::Minimum)
            .statistics(Statistic::Maximum)
            .send(),
    )
    .await
    .expect("GetMetricStatistics");
    let points = stats.datapoints();
    assert_eq!(points.len(), 1, "{stats:?}");
    let p = &points[0];
    assert_eq!((p.sample_count(), p.sum(), p.minimum(), p.maximum()), (Some(6.0), Some(24.0), Some(1.0), Some(9.0)));
    assert_eq!(p.timestamp().map(|t| t.secs()), Some(minute), "timestamps as CBOR tag 1 round trip");
    assert_eq!(p.unit(), Some(&StandardUnit::Milliseconds));

    let metric = Metric::builder().namespace("RustSdk").metric_name("Latency").dimensions(host.clone()).build();
    let data = bounded(
        cw.get_metric_data()
            .start_time(DateTime::from_secs(minute - 600))
            .end_time(DateTime::from_secs(minute + 300))
            .metric_data_queries(
                MetricDataQuery::builder()
                    .id("m")
                    .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Maximum").build())
                    .build(),
            )
            .send(),
    )
    .await
    .expect("GetMetricData");
    let r = &data.metric_data_results()[0];
    assert_eq!((r.id(), r.values()), (Some("m"), &[9.0][..]), "{data:?}");
    assert_eq!(r.timestamps().iter().map(|t| t.secs()).collect::<Vec<_>>(), [minute]);

    let listed = bounded(cw.list_metrics().namespace("RustSdk").send()).await.expect("ListMetrics");
    let names: Vec<_> = listed.metrics().iter().filter_map(|m| m.metric_name()).collect();
    assert_eq!(names, ["Latency"]);

    // Errors reach the SDK with AWS's codes (dispatched on x-amzn-query-error).
    let err = bounded(
        cw.put_metric_data()
            .namespace("RustSdk")
            .metric_data(MetricDatum::builder().metric_name("X").value(1.0).values(2.0).build())
            .send(),
    )
    .await
    .expect_err("Value and Values together");
    assert_eq!(err.code(), Some("InvalidParameterCombination"), "{err:?}");

    // Dashboards.
    let body = r#"{"widgets":[]}"#;
    bounded(cw.put_dashboard().dashboard_name("rust").dashboard_body(body).send()).await.expect("PutDashboard");
    let d = bounded(cw.get_dashboard().dashboard_name("rust").send()).await.expect("GetDashboard");
    assert_eq!(d.dashboard_body(), Some(body));
    let missing = bounded(cw.get_dashboard().dashboard_name("nope").send()).await.expect_err("missing dashboard");
    assert_eq!(missing.code(), Some("ResourceNotFound"), "{missing:?}");
    let entries = bounded(cw.list_dashboards().send()).await.expect("ListDashboards");
    let names: Vec<_> = entries.dashboard_entries().iter().filter_map(|e| e.dashboard_name()).collect();
    assert_eq!(names, ["rust"]);
    let arn = d.dashboard_arn().expect("dashboard ARN").to_string();
    bounded(cw.tag_resource().resource_arn(&arn).tags(Tag::builder().key("team").value("core").build()).send())
        .await
        .expect("TagResource");
    let tags = bounded(cw.list_tags_for_resource().resource_arn(&arn).send()).await.expect("ListTagsForResource");
    assert_eq!(tags.tags().iter().map(|t| (t.key(), t.value())).collect::<Vec<_>>(), [(Some("team"), Some("core"))]);
    bounded(cw.untag_resource().resource_arn(&arn).tag_keys("team").send()).await.expect("UntagResource");
    let tags = bounded(cw.list_tags_for_resource().resource_arn(&arn).send()).await.expect("ListTagsForResource");
    assert!(tags.tags().is_empty());
    bounded(cw.delete_dashboards().dashboard_names("rust").send()).await.expect("DeleteDashboards");
    let gone = bounded(cw.get_dashboard().dashboard_name("rust").send()).await.expect_err("deleted dashboard");
    assert_eq!(gone.code(), Some("ResourceNotFound"), "{gone:?}");

    // Another region sees nothing; a wrong secret is refused.
    let west = client(addr, "us-west-2", SECRET).await;
    let listed = bounded(west.list_metrics().send()).await.expect("ListMetrics in another region");
    assert!(listed.metrics().is_empty());
    let wrong = client(addr, "us-east-1", "not-the-secret").await;
    let refused = bounded(wrong.list_metrics().send()).await.expect_err("wrong secret");
    assert_eq!(refused.code(), Some("SignatureDoesNotMatch"), "{refused:?}");

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_rust_cloudwatch_alarms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let credential = format!("{KEY}:{SECRET}");
    let mut server = ServerProcess::start(dir.path(), &["--credentials", &credential]).await;
    let cw = client(server.http_addr(), "us-east-1", SECRET).await;

    // The alarm watches a metric without data and treats missing data as `ignore`, so the
    // server's own evaluations (every minute) keep the state this test sets.
    let host = Dimension::builder().name("Host").value("rust-1").build();
    bounded(
        cw.put_metric_alarm()
            .alarm_name("rust-cpu")
            .alarm_description("CPU")
            .namespace("RustQuiet")
            .metric_name("CPU")
            .dimensions(host.clone())
            .statistic(Statistic::Maximum)
            .period(60)
            .unit(StandardUnit::Percent)
            .evaluation_periods(2)
            .threshold(90.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .treat_missing_data("ignore")
            .alarm_actions("arn:aws:sns:us-east-1:123456789012:page")
            .send(),
    )
    .await
    .expect("PutMetricAlarm");
    let d = bounded(cw.describe_alarms().alarm_names("rust-cpu").send()).await.expect("DescribeAlarms");
    let [a] = d.metric_alarms() else { panic!("one metric alarm: {d:?}") };
    assert_eq!(a.alarm_arn(), Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:rust-cpu"));
    assert_eq!(a.state_value(), Some(&StateValue::InsufficientData));
    assert_eq!(
        (a.statistic(), a.period(), a.unit()),
        (Some(&Statistic::Maximum), Some(60), Some(&StandardUnit::Percent))
    );
    assert_eq!((a.evaluation_periods(), a.threshold()), (Some(2), Some(90.0)));
    assert_eq!(a.comparison_operator(), Some(&ComparisonOperator::GreaterThanOrEqualToThreshold));
    assert_eq!(a.dimensions(), std::slice::from_ref(&host));
    assert_eq!(a.alarm_actions(), ["arn:aws:sns:us-east-1:123456789012:page"]);
    assert_eq!(a.actions_enabled(), Some(true));
    let created = a.alarm_configuration_updated_timestamp().expect("configuration timestamp").secs();
    let now_s = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now_s - created).abs() < 300, "timestamps as CBOR tag 1: {created} vs {now_s}");

    bounded(
        cw.set_alarm_state()
            .alarm_name("rust-cpu")
            .state_value(StateValue::Alarm)
            .state_reason("from the Rust SDK")
            .state_reason_data(r#"{"by":"aws_sdk_rust"}"#)
            .send(),
    )
    .await
    .expect("SetAlarmState");
    let d = bounded(cw.describe_alarms().state_value(StateValue::Alarm).send()).await.expect("DescribeAlarms");
    let [a] = d.metric_alarms() else { panic!("one alarm in ALARM: {d:?}") };
    assert_eq!((a.alarm_name(), a.state_reason()), (Some("rust-cpu"), Some("from the Rust SDK")));
    assert_eq!(a.state_reason_data(), Some(r#"{"by":"aws_sdk_rust"}"#));

    let h = bounded(cw.describe_alarm_history().alarm_name("rust-cpu").send()).await.expect("DescribeAlarmHistory");
    let kinds: Vec<_> = h.alarm_history_items().iter().filter_map(|i| i.history_item_type().cloned()).collect();
    assert_eq!(kinds, [HistoryItemType::StateUpdate, HistoryItemType::ConfigurationUpdate], "{h:?}");
    let first = &h.alarm_history_items()[0];
    assert_eq!(first.alarm_type(), Some(&AlarmType::MetricAlarm));
    assert_eq!(first.history_summary(), Some("Alarm updated from INSUFFICIENT_DATA to ALARM"));
    assert!(first.history_data().is_some_and(|d| d.contains(r#""stateValue":"ALARM""#)), "{first:?}");
    assert!(first.timestamp().is_some());

    bounded(cw.put_composite_alarm().alarm_name("rust-any").alarm_rule("ALARM(rust-cpu) OR FALSE").send())
        .await
        .expect("PutCompositeAlarm");
    let d = bounded(cw.describe_alarms().alarm_types(AlarmType::CompositeAlarm).send()).await.expect("DescribeAlarms");
    let [c] = d.composite_alarms() else { panic!("one composite alarm: {d:?}") };
    assert_eq!((c.alarm_name(), c.alarm_rule()), (Some("rust-any"), Some("ALARM(rust-cpu) OR FALSE")));
    assert_eq!(c.state_value(), Some(&StateValue::Alarm), "a composite follows its child");
    assert!(d.metric_alarms().is_empty(), "AlarmTypes CompositeAlarm only");
    let parents =
        bounded(cw.describe_alarms().parents_of_alarm_name("rust-cpu").send()).await.expect("ParentsOfAlarmName");
    let names: Vec<_> = parents.composite_alarms().iter().map(|c| (c.alarm_name(), c.alarm_rule())).collect();
    assert_eq!(names, [(Some("rust-any"), None)], "parents are reduced to name and ARN");

    // Errors arrive typed.
    let missing = bounded(cw.set_alarm_state().alarm_name("nope").state_value(StateValue::Ok).state_reason("x").send())
        .await
        .expect_err("SetAlarmState on a missing alarm");
    assert!(matches!(missing.as_service_error(), Some(SetAlarmStateError::ResourceNotFound(_))), "{missing:?}");
    let not_json = bounded(
        cw.set_alarm_state()
            .alarm_name("rust-cpu")
            .state_value(StateValue::Ok)
            .state_reason("x")
            .state_reason_data("{")
            .send(),
    )
    .await
    .expect_err("StateReasonData not JSON");
    assert!(matches!(not_json.as_service_error(), Some(SetAlarmStateError::InvalidFormatFault(_))), "{not_json:?}");
    let bad_rule =
        bounded(cw.put_composite_alarm().alarm_name("bad").alarm_rule("ALARM(").send()).await.expect_err("bad rule");
    assert_eq!(bad_rule.code(), Some("ValidationError"), "{bad_rule:?}");

    bounded(cw.delete_alarms().alarm_names("rust-any").alarm_names("rust-cpu").send()).await.expect("DeleteAlarms");
    let d =
        bounded(cw.describe_alarms().alarm_types(AlarmType::MetricAlarm).alarm_types(AlarmType::CompositeAlarm).send())
            .await
            .expect("DescribeAlarms");
    assert!(d.metric_alarms().is_empty() && d.composite_alarms().is_empty(), "{d:?}");

    server.stop().await;
}
