//! Every invalid request of issue 2's "Bad input" list is answered with INVALID_ARGUMENT whose
//! message is `"<AWS code>: <text naming the field>"`, and nothing of it is stored: each bad
//! PutMetricData also carries a valid datum of metric `Poison`, which must never appear.

use stratus_tests::{
    ALL_STATISTICS, Client, ServerProcess, dims, floor_minute, now_ms, pb, put, series, single, stat_set, stats_query,
    values,
};
use tonic::Code;

const NS: &str = "Bad";
const DAY: i64 = 24 * 3600 * 1000;

/// What a rejection must look like: the AWS code, and text the message must contain (a field
/// name), or the exact message where AWS's wording is recorded.
#[derive(Debug)]
enum Want {
    Contains(&'static str, String),
    Exactly(String),
}

fn contains(code: &'static str, field: impl Into<String>) -> Want {
    Want::Contains(code, field.into())
}

fn assert_rejected(what: &str, result: Result<tonic::Status, String>, want: &Want) {
    let status = result.unwrap_or_else(|ok| panic!("{what}: accepted ({ok}), expected {want:?}"));
    assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
    let msg = status.message();
    match want {
        Want::Contains(code, field) => {
            assert!(msg.starts_with(&format!("{code}: ")), "{what}: message {msg:?} does not start with {code}");
            assert!(msg.contains(field.as_str()), "{what}: message {msg:?} does not name {field}");
        }
        Want::Exactly(text) => assert_eq!(msg, text, "{what}"),
    }
}

async fn put_err(client: &mut Client, req: pb::PutMetricDataRequest) -> Result<tonic::Status, String> {
    match client.put_metric_data(req).await {
        Ok(r) => Err(format!("{:?}", r.into_inner())),
        Err(s) => Ok(s),
    }
}

async fn query_err(client: &mut Client, req: pb::GetMetricStatisticsRequest) -> Result<tonic::Status, String> {
    match client.get_metric_statistics(req).await {
        Ok(r) => Err(format!("{} datapoints", r.into_inner().datapoints.len())),
        Err(s) => Ok(s),
    }
}

/// The invalid PutMetricData requests: (name, request, expected rejection). Datum 1 of each is
/// a valid `Poison` datum at `t`; the fault is in datum 2 or the request itself.
fn bad_puts(t: i64, now: i64) -> Vec<(&'static str, pb::PutMetricDataRequest, Want)> {
    let poison = || single("Poison", &[], t, 1.0, "Count");
    let with = |d: pb::MetricDatum| put(NS, vec![poison(), d], vec![]);
    let good = |name: &str| single(name, &dims(&[("K", "v")]), t, 2.0, "Count");
    let ok_series = || series("PoisonBulk", &[], "Count", 0, vec![t, t], vec![1.0, 2.0]);
    let thirty_one: Vec<pb::Dimension> =
        (0..31).map(|i| pb::Dimension { name: format!("d{i}"), value: "v".into() }).collect();
    let iv = "InvalidParameterValue";
    let mp = "MissingParameter";
    let ipc = "InvalidParameterCombination";
    let mut cases = vec![
        ("missing namespace", put("", vec![poison()], vec![]), contains(mp, "Namespace")),
        ("namespace AWS/", put("AWS/EC2", vec![poison()], vec![]), contains(iv, "Namespace")),
        ("namespace of 256 characters", put(&"n".repeat(256), vec![poison()], vec![]), contains(iv, "Namespace")),
        ("namespace of spaces", put("   ", vec![poison()], vec![]), contains(iv, "Namespace")),
        (
            "NaN value",
            with(single("V", &[], t, f64::NAN, "Count")),
            Want::Exactly(format!("{iv}: The value NaN for parameter MetricData.member.2.Value is invalid.")),
        ),
        ("+Inf value", with(single("V", &[], t, f64::INFINITY, "")), contains(iv, "MetricData.member.2.Value")),
        ("-Inf value", with(single("V", &[], t, f64::NEG_INFINITY, "")), contains(iv, "MetricData.member.2.Value")),
        (
            "-Inf inside Values",
            with(values("V", &[], t, &[1.0, f64::NEG_INFINITY], &[], "")),
            contains(iv, "MetricData.member.2.Values.member.2"),
        ),
        (
            "NaN in a statistic set",
            with(stat_set("V", &[], t, [2.0, f64::NAN, 1.0, 2.0], "")),
            contains(iv, "MetricData.member.2.StatisticValues.Sum"),
        ),
        (
            "Inf in a bulk entry",
            put(NS, vec![poison()], vec![series("V", &[], "", 0, vec![t, t], vec![1.0, f64::INFINITY])]),
            contains(iv, "Series.member.1.Values.member.2"),
        ),
        ("31 dimensions", with(single("V", &thirty_one, t, 1.0, "")), contains(iv, "MetricData.member.2.Dimensions")),
        ("empty metric name", with(single("", &[], t, 1.0, "")), contains(mp, "MetricData.member.2.MetricName")),
        (
            "metric name of 256 characters",
            with(single(&"m".repeat(256), &[], t, 1.0, "")),
            contains(iv, "MetricData.member.2.MetricName"),
        ),
        (
            "empty dimension name",
            with(single("V", &dims(&[("", "v")]), t, 1.0, "")),
            contains(mp, "MetricData.member.2.Dimensions.member.1.Name"),
        ),
        (
            "empty dimension value",
            with(single("V", &dims(&[("a", "")]), t, 1.0, "")),
            contains(mp, "MetricData.member.2.Dimensions.member.1.Value"),
        ),
        (
            "dimension value of 1025 characters",
            with(single("V", &dims(&[("a", &"v".repeat(1025))]), t, 1.0, "")),
            contains(iv, "MetricData.member.2.Dimensions.member.1.Value"),
        ),
        (
            "duplicate dimension name",
            with(single("V", &dims(&[("a", "1"), ("a", "2")]), t, 1.0, "")),
            contains(iv, "MetricData.member.2.Dimensions"),
        ),
        (
            "timestamp 15 days ago",
            with(single("V", &[], now - 15 * DAY, 1.0, "")),
            contains(iv, "MetricData.member.2.Timestamp"),
        ),
        (
            "timestamp 3 hours ahead",
            with(single("V", &[], now + 3 * 3600 * 1000, 1.0, "")),
            contains(iv, "MetricData.member.2.Timestamp"),
        ),
        (
            "bulk timestamp 15 days ago",
            put(NS, vec![poison()], vec![series("V", &[], "", 0, vec![t, now - 15 * DAY], vec![1.0, 2.0])]),
            contains(iv, "Series.member.1.TimestampsMs.member.2"),
        ),
        (
            "Values/Counts length mismatch",
            with(values("V", &[], t, &[1.0, 2.0], &[1.0], "")),
            Want::Exactly(format!(
                "{iv}: The parameters MetricData.member.2.Values and MetricData.member.2.Counts must be of the same size."
            )),
        ),
        (
            "bulk arrays of different lengths",
            put(NS, vec![poison()], vec![series("V", &[], "", 0, vec![t, t], vec![1.0])]),
            contains(iv, "Series.member.1.TimestampsMs"),
        ),
        (
            "Value and Values",
            with(pb::MetricDatum { values: vec![2.0], ..single("V", &[], t, 1.0, "") }),
            contains(ipc, "MetricData.member.2.Value"),
        ),
        (
            "Value and StatisticValues",
            with(pb::MetricDatum { value: Some(1.0), ..stat_set("V", &[], t, [1.0, 1.0, 1.0, 1.0], "") }),
            contains(ipc, "MetricData.member.2.StatisticValues"),
        ),
        (
            "no value at all",
            with(pb::MetricDatum { value: None, ..single("V", &[], t, 1.0, "") }),
            contains(mp, "MetricData.member.2"),
        ),
        (
            "minimum above maximum",
            with(stat_set("V", &[], t, [2.0, 5.0, 3.0, 2.0], "")),
            contains(iv, "MetricData.member.2.StatisticValues.Minimum"),
        ),
        ("unknown unit", with(single("V", &[], t, 1.0, "Parsecs")), contains(iv, "MetricData.member.2.Unit")),
        (
            "storage resolution 30",
            with(pb::MetricDatum { storage_resolution: 30, ..single("V", &[], t, 1.0, "") }),
            contains(iv, "MetricData.member.2.StorageResolution"),
        ),
        ("no data at all", put(NS, vec![], vec![]), contains(mp, "MetricData")),
        (
            "1,001 datums",
            put(NS, std::iter::once(poison()).chain((0..1000).map(|_| good("Many"))).collect(), vec![ok_series()]),
            contains(iv, "MetricData"),
        ),
    ];
    // Over 1 MB of MetricData with every datum valid on its own (30 dimensions of 1,024 bytes).
    let wide: Vec<pb::Dimension> =
        (0..30).map(|i| pb::Dimension { name: format!("d{i}"), value: "w".repeat(1024) }).collect();
    let big: Vec<pb::MetricDatum> =
        std::iter::once(poison()).chain((0..40).map(|i| single("Wide", &wide, t + i, 1.0, ""))).collect();
    cases.push(("over 1 MB of MetricData", put(NS, big, vec![ok_series()]), contains(iv, "MetricData")));
    cases
}

/// The invalid GetMetricStatistics requests.
fn bad_queries(t: i64) -> Vec<(&'static str, pb::GetMetricStatisticsRequest, Want)> {
    let (s, e) = (t - 600_000, t + 600_000);
    let q = |period: i32, stats: &[&str]| stats_query(NS, "Good", &[], s, e, period, stats, "");
    let iv = "InvalidParameterValue";
    let thirty_one: Vec<pb::Dimension> =
        (0..31).map(|i| pb::Dimension { name: format!("d{i}"), value: "v".into() }).collect();
    vec![
        ("unknown statistic", q(60, &["Sum", "Median"]), contains(iv, "Statistics.member.2")),
        ("no statistics", q(60, &[]), contains("InvalidParameterCombination", "Statistics")),
        ("period 45", q(45, &["Sum"]), contains(iv, "Period")),
        ("period 90", q(90, &["Sum"]), contains(iv, "Period")),
        ("period 0", q(0, &["Sum"]), contains("MissingParameter", "Period")),
        (
            "StartTime equal to EndTime",
            stats_query(NS, "Good", &[], s, s, 60, &["Sum"], ""),
            Want::Exactly(format!("{iv}: The parameter StartTime must be less than the parameter EndTime.")),
        ),
        ("StartTime after EndTime", stats_query(NS, "Good", &[], e, s, 60, &["Sum"], ""), contains(iv, "StartTime")),
        (
            "1,441 datapoints",
            stats_query(NS, "Good", &[], floor_minute(s), floor_minute(s) + 1441 * 60_000, 60, &["Sum"], ""),
            Want::Exactly(
                "InvalidParameterCombination: You have requested up to 1441 datapoints, which exceeds the limit of 1440. \
                 You may reduce the datapoints requested by increasing Period, or decreasing the time range."
                    .into(),
            ),
        ),
        ("missing namespace", stats_query("", "Good", &[], s, e, 60, &["Sum"], ""), contains("MissingParameter", "Namespace")),
        ("missing metric name", stats_query(NS, "", &[], s, e, 60, &["Sum"], ""), contains("MissingParameter", "MetricName")),
        ("missing StartTime", pb::GetMetricStatisticsRequest { start_time: None, ..q(60, &["Sum"]) }, contains("MissingParameter", "StartTime")),
        ("31 dimensions", stats_query(NS, "Good", &thirty_one, s, e, 60, &["Sum"], ""), contains(iv, "Dimensions")),
        ("unknown unit", stats_query(NS, "Good", &[], s, e, 60, &["Sum"], "Parsecs"), contains(iv, "Unit")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_are_rejected_and_store_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::start(&tmp.path().join("data"), &[]).await;
    let mut client = server.client();
    let now = now_ms();
    let t = floor_minute(now) - 10 * 60_000 + 30_000;

    // The one good datum.
    client.put_metric_data(put(NS, vec![single("Good", &[], t, 5.0, "Count")], vec![])).await.expect("good put");

    for (what, req, want) in bad_puts(t, now) {
        assert_rejected(&format!("PutMetricData with {what}"), put_err(&mut client, req).await, &want);
    }
    for (what, req, want) in bad_queries(t) {
        assert_rejected(&format!("GetMetricStatistics with {what}"), query_err(&mut client, req).await, &want);
    }
    for (what, req, field) in [
        (
            "RecentlyActive PT1H",
            pb::ListMetricsRequest { recently_active: "PT1H".into(), ..Default::default() },
            "RecentlyActive",
        ),
        (
            "11 dimension filters",
            pb::ListMetricsRequest {
                dimensions: (0..11).map(|i| pb::DimensionFilter { name: format!("d{i}"), value: None }).collect(),
                ..Default::default()
            },
            "Dimensions",
        ),
    ] {
        let result = match client.list_metrics(req).await {
            Ok(r) => Err(format!("{:?}", r.into_inner())),
            Err(s) => Ok(s),
        };
        assert_rejected(&format!("ListMetrics with {what}"), result, &contains("InvalidParameterValue", field));
    }

    // Nothing of the rejected requests is stored: only `Good` exists, with its one sample.
    let check = async |client: &mut Client, phase: &str| {
        let listed = client.list_metrics(pb::ListMetricsRequest::default()).await.expect("ListMetrics").into_inner();
        let names: Vec<(String, String)> =
            listed.metrics.iter().map(|m| (m.namespace.clone(), m.metric_name.clone())).collect();
        assert_eq!(names, vec![(NS.to_owned(), "Good".to_owned())], "{phase}: metrics after rejected requests");
        for name in ["Poison", "PoisonBulk", "Many", "Wide", "V"] {
            let q = stats_query(NS, name, &[], t - 3_600_000, t + 3_600_000, 60, &ALL_STATISTICS, "");
            let r = client.get_metric_statistics(q).await.expect("query").into_inner();
            assert!(r.datapoints.is_empty(), "{phase}: {name} has datapoints: {:?}", r.datapoints);
        }
        let q = stats_query(NS, "Good", &[], t - 3_600_000, t + 3_600_000, 60, &["SampleCount", "Sum"], "");
        let r = client.get_metric_statistics(q).await.expect("query").into_inner();
        assert_eq!(r.datapoints.len(), 1, "{phase}: {:?}", r.datapoints);
        assert_eq!((r.datapoints[0].sample_count, r.datapoints[0].sum), (Some(1.0), Some(5.0)), "{phase}");
    };
    check(&mut client, "before restart").await;
    server.stop().await;
    server.restart().await;
    let mut client = server.client();
    check(&mut client, "after restart").await;
    server.stop().await;
}
