use super::*;

fn datum(f: impl FnOnce(&mut pb::MetricDatum)) -> pb::MetricDatum {
    let mut d = pb::MetricDatum { metric_name: "Latency".into(), value: Some(1.0), ..Default::default() };
    f(&mut d);
    d
}

fn put(data: Vec<pb::MetricDatum>) -> pb::PutMetricDataRequest {
    pb::PutMetricDataRequest { namespace: "App".into(), metric_data: data, series: vec![] }
}

/// The AWS code and message of a conversion error.
fn rejection<T: std::fmt::Debug>(r: Result<T, Error>) -> (InvalidCode, String) {
    match r {
        Err(Error::InvalidArgument { code, message }) => (code, message),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn converts_all_three_datum_forms() {
    let req = put(vec![
        datum(|d| {
            d.dimensions = vec![pb::Dimension { name: "b".into(), value: "2".into() }];
            d.unit = "Bytes/Second".into();
            d.storage_resolution = 1;
            d.timestamp = Some(Timestamp { seconds: 1_700_000_000, nanos: 123_456_789 });
        }),
        datum(|d| {
            d.value = None;
            d.values = vec![1.0, 2.0];
            d.counts = vec![3.0, 4.0];
        }),
        datum(|d| {
            d.value = None;
            d.statistic_values = Some(pb::StatisticSet { sample_count: 2.0, sum: 3.0, minimum: 1.0, maximum: 2.0 });
            d.storage_resolution = 60;
        }),
    ]);
    let out = put_metric_data(req).unwrap();
    assert_eq!(out.namespace, "App");
    let [a, b, c] = &out.metric_data[..] else { panic!("three datums") };
    assert_eq!(a.value, DatumValue::Single(1.0));
    assert_eq!(a.unit, Unit::BytesPerSecond);
    assert_eq!(a.resolution, Resolution::High);
    assert_eq!(a.timestamp_ms, Some(1_700_000_000_123));
    assert_eq!(a.dimensions, vec![Dimension::new("b", "2")]);
    assert_eq!(b.value, DatumValue::Values { values: vec![1.0, 2.0], counts: vec![3.0, 4.0] });
    assert_eq!(b.unit, Unit::None);
    assert_eq!(b.resolution, Resolution::Standard);
    assert_eq!(b.timestamp_ms, None);
    assert_eq!(
        c.value,
        DatumValue::StatisticSet(StatisticSet { sample_count: 2.0, sum: 3.0, minimum: 1.0, maximum: 2.0 })
    );
}

#[test]
fn semantic_checks_are_left_to_the_engine() {
    // NaN, an empty name, a missing namespace: representable, so passed through.
    let mut req = put(vec![datum(|d| {
        d.value = Some(f64::NAN);
        d.metric_name = String::new();
    })]);
    req.namespace = String::new();
    let out = put_metric_data(req).unwrap();
    assert!(matches!(out.metric_data[0].value, DatumValue::Single(v) if v.is_nan()));
    // Values/Counts of different lengths are the engine's to reject (it owns the AWS rule).
    let out = put_metric_data(put(vec![datum(|d| {
        d.value = None;
        d.values = vec![1.0, 2.0];
        d.counts = vec![1.0];
    })]))
    .unwrap();
    assert_eq!(out.metric_data.len(), 1);
}

#[test]
fn bad_datums_map_to_aws_codes_and_field_paths() {
    use InvalidCode::*;
    let stats = Some(pb::StatisticSet { sample_count: 1.0, sum: 1.0, minimum: 1.0, maximum: 1.0 });
    let cases: Vec<(pb::MetricDatum, InvalidCode, &str)> = vec![
        (
            datum(|d| d.unit = "Furlongs".into()),
            InvalidParameterValue,
            "The value Furlongs for parameter MetricData.member.2.Unit is invalid.",
        ),
        (
            datum(|d| d.unit = "bytes".into()),
            InvalidParameterValue,
            "The value bytes for parameter MetricData.member.2.Unit is invalid.",
        ),
        (
            datum(|d| d.storage_resolution = 5),
            InvalidParameterValue,
            "The value 5 for parameter MetricData.member.2.StorageResolution is invalid.",
        ),
        (
            datum(|d| d.storage_resolution = -1),
            InvalidParameterValue,
            "The value -1 for parameter MetricData.member.2.StorageResolution is invalid.",
        ),
        (
            datum(|d| d.values = vec![1.0]),
            InvalidParameterCombination,
            "The parameters MetricData.member.2.Value and MetricData.member.2.Values are mutually exclusive and you have specified both.",
        ),
        (
            datum(|d| d.statistic_values = stats),
            InvalidParameterCombination,
            "The parameters MetricData.member.2.Value and MetricData.member.2.StatisticValues are mutually exclusive and you have specified both.",
        ),
        (
            datum(|d| {
                d.value = None;
                d.statistic_values = stats;
                d.values = vec![1.0];
            }),
            InvalidParameterCombination,
            "The parameters MetricData.member.2.StatisticValues and MetricData.member.2.Values are mutually exclusive and you have specified both.",
        ),
        (
            datum(|d| d.counts = vec![1.0]),
            InvalidParameterCombination,
            "The parameters MetricData.member.2.Value and MetricData.member.2.Counts are mutually exclusive and you have specified both.",
        ),
        (
            datum(|d| {
                d.value = None;
                d.counts = vec![1.0];
            }),
            InvalidParameterValue,
            "The parameters MetricData.member.2.Values and MetricData.member.2.Counts must be of the same size.",
        ),
        (datum(|d| d.value = None), MissingParameter, "The parameter MetricData.member.2.Value is required."),
        (
            datum(|d| d.timestamp = Some(Timestamp { seconds: 1, nanos: -1 })),
            InvalidParameterValue,
            "The value (seconds=1, nanos=-1) for parameter MetricData.member.2.Timestamp is invalid.",
        ),
        (
            datum(|d| d.timestamp = Some(Timestamp { seconds: i64::MAX, nanos: 0 })),
            InvalidParameterValue,
            "The value (seconds=9223372036854775807, nanos=0) for parameter MetricData.member.2.Timestamp is invalid.",
        ),
    ];
    for (bad, code, message) in cases {
        // The bad datum is the second, so the 1-based index is visible.
        let got = rejection(put_metric_data(put(vec![datum(|_| {}), bad])));
        assert_eq!(got, (code, message.to_owned()));
    }
}

#[test]
fn more_than_1000_datums_is_rejected() {
    let ok = put((0..1000).map(|_| datum(|_| {})).collect());
    assert_eq!(put_metric_data(ok).unwrap().metric_data.len(), 1000);
    let too_many = put((0..1001).map(|_| datum(|_| {})).collect());
    assert_eq!(
        rejection(put_metric_data(too_many)),
        (
            InvalidCode::InvalidParameterValue,
            "The collection MetricData must not have a size greater than 1000.".to_owned()
        )
    );
}

#[test]
fn bulk_series_convert_and_name_series_members() {
    let entry = |f: &dyn Fn(&mut pb::SeriesBatch)| {
        let mut s = pb::SeriesBatch {
            metric_name: "cpu".into(),
            dimensions: vec![pb::Dimension { name: "host".into(), value: "h1".into() }],
            unit: "Percent".into(),
            storage_resolution: 1,
            timestamps_ms: vec![1, 2, 3],
            values: vec![0.5, 0.6, 0.7],
        };
        f(&mut s);
        s
    };
    // Bulk entries are not counted against the 1,000-datum limit.
    let req = pb::PutMetricDataRequest {
        namespace: "App".into(),
        metric_data: (0..1000).map(|_| datum(|_| {})).collect(),
        series: vec![entry(&|_| {}), entry(&|s| s.timestamps_ms = (0..5000).collect())],
    };
    let err = rejection(put_metric_data(req));
    assert_eq!(
        err,
        (
            InvalidCode::InvalidParameterValue,
            "The parameters Series.member.2.TimestampsMs and Series.member.2.Values must be of the same size."
                .to_owned()
        )
    );

    let req = pb::PutMetricDataRequest { namespace: "App".into(), metric_data: vec![], series: vec![entry(&|_| {})] };
    let out = put_metric_data(req).unwrap();
    let s = &out.series[0];
    assert_eq!((s.unit, s.resolution), (Unit::Percent, Resolution::High));
    assert_eq!((s.timestamps_ms.as_slice(), s.values.as_slice()), (&[1, 2, 3][..], &[0.5, 0.6, 0.7][..]));

    for (f, message) in [
        (
            &(|s: &mut pb::SeriesBatch| s.unit = "Parsecs".into()) as &dyn Fn(&mut pb::SeriesBatch),
            "The value Parsecs for parameter Series.member.1.Unit is invalid.",
        ),
        (
            &|s: &mut pb::SeriesBatch| s.storage_resolution = 10,
            "The value 10 for parameter Series.member.1.StorageResolution is invalid.",
        ),
    ] {
        let req = pb::PutMetricDataRequest { namespace: "App".into(), metric_data: vec![], series: vec![entry(f)] };
        assert_eq!(rejection(put_metric_data(req)), (InvalidCode::InvalidParameterValue, message.to_owned()));
    }
}

fn stats_request() -> pb::GetMetricStatisticsRequest {
    pb::GetMetricStatisticsRequest {
        namespace: "App".into(),
        metric_name: "Latency".into(),
        dimensions: vec![
            pb::Dimension { name: "z".into(), value: "1".into() },
            pb::Dimension { name: "a".into(), value: "2".into() },
        ],
        start_time: Some(Timestamp { seconds: 1_700_000_000, nanos: 0 }),
        end_time: Some(Timestamp { seconds: 1_700_003_600, nanos: 500_000_000 }),
        period: 60,
        statistics: vec!["Average".into(), "SampleCount".into()],
        extended_statistics: vec![],
        unit: String::new(),
    }
}

#[test]
fn statistics_query_converts() {
    let q = statistics_query(stats_request()).unwrap();
    assert_eq!(q.key, MetricKey::new("App", "Latency", vec![Dimension::new("a", "2"), Dimension::new("z", "1")]));
    assert_eq!((q.start_ms, q.end_ms, q.period_s), (1_700_000_000_000, 1_700_003_600_500, 60));
    assert_eq!(q.statistics, vec![Statistic::Average, Statistic::SampleCount]);
    assert_eq!(q.unit, None);
    let q = statistics_query(pb::GetMetricStatisticsRequest { unit: "Count".into(), ..stats_request() }).unwrap();
    assert_eq!(q.unit, Some(Unit::Count));
}

#[test]
fn bad_statistics_queries_map_to_aws_codes() {
    use InvalidCode::*;
    let cases: Vec<(pb::GetMetricStatisticsRequest, InvalidCode, &str)> = vec![
        (
            pb::GetMetricStatisticsRequest { start_time: None, ..stats_request() },
            MissingParameter,
            "The parameter StartTime is required.",
        ),
        (
            pb::GetMetricStatisticsRequest { end_time: None, ..stats_request() },
            MissingParameter,
            "The parameter EndTime is required.",
        ),
        (
            pb::GetMetricStatisticsRequest { statistics: vec!["Average".into(), "p99".into()], ..stats_request() },
            InvalidParameterValue,
            "The value p99 for parameter Statistics.member.2 is invalid.",
        ),
        (
            pb::GetMetricStatisticsRequest { statistics: vec!["average".into()], ..stats_request() },
            InvalidParameterValue,
            "The value average for parameter Statistics.member.1 is invalid.",
        ),
        (
            pb::GetMetricStatisticsRequest { unit: "Lightyears".into(), ..stats_request() },
            InvalidParameterValue,
            "The value Lightyears for parameter Unit is invalid.",
        ),
        (
            pb::GetMetricStatisticsRequest {
                end_time: Some(Timestamp { seconds: 0, nanos: 1_000_000_000 }),
                ..stats_request()
            },
            InvalidParameterValue,
            "The value (seconds=0, nanos=1000000000) for parameter EndTime is invalid.",
        ),
    ];
    for (req, code, message) in cases {
        assert_eq!(rejection(statistics_query(req)), (code, message.to_owned()));
    }
}

#[test]
fn list_metrics_query_converts() {
    let q = list_metrics_query(pb::ListMetricsRequest::default()).unwrap();
    assert_eq!(q, ListMetricsQuery::default());
    let q = list_metrics_query(pb::ListMetricsRequest {
        namespace: "App".into(),
        metric_name: "Latency".into(),
        dimensions: vec![
            pb::DimensionFilter { name: "host".into(), value: None },
            pb::DimensionFilter { name: "az".into(), value: Some("a".into()) },
        ],
        next_token: "tok".into(),
        recently_active: "PT3H".into(),
    })
    .unwrap();
    assert_eq!(q.namespace.as_deref(), Some("App"));
    assert_eq!(q.metric_name.as_deref(), Some("Latency"));
    assert_eq!(
        q.dimensions,
        vec![
            DimensionFilter { name: "host".into(), value: None },
            DimensionFilter { name: "az".into(), value: Some("a".into()) }
        ]
    );
    assert!(q.recently_active);
    assert_eq!(q.next_token.as_deref(), Some("tok"));

    let err =
        rejection(list_metrics_query(pb::ListMetricsRequest { recently_active: "PT1H".into(), ..Default::default() }));
    assert_eq!(
        err,
        (InvalidCode::InvalidParameterValue, "The value PT1H for parameter RecentlyActive is invalid.".to_owned())
    );
}

#[test]
fn timestamps_round_trip_through_epoch_ms() {
    for ms in [0, 1, 999, 1000, 1_700_000_000_123, -1, -999, -1000, -1001] {
        let t = ms_to_timestamp(ms);
        assert!((0..1_000_000_000).contains(&t.nanos), "{ms}: {t:?}");
        assert_eq!(timestamp_to_ms(&t), Some(ms));
    }
    // Sub-millisecond precision is truncated.
    assert_eq!(timestamp_to_ms(&Timestamp { seconds: 2, nanos: 1_999_999 }), Some(2001));
    assert_eq!(timestamp_to_ms(&Timestamp { seconds: i64::MIN, nanos: 0 }), None);
}

#[test]
fn responses_convert() {
    let r = statistics_response(StatisticsResult {
        label: "Latency".into(),
        datapoints: vec![stratus_engine::Datapoint {
            timestamp_ms: 1_700_000_040_000,
            unit: Unit::Milliseconds,
            sample_count: Some(2.0),
            average: Some(1.5),
            sum: None,
            minimum: None,
            maximum: Some(2.0),
            extended_statistics: vec![("p99".into(), 2.0)],
        }],
    });
    assert_eq!(r.label, "Latency");
    let d = &r.datapoints[0];
    assert_eq!(d.timestamp, Some(Timestamp { seconds: 1_700_000_040, nanos: 0 }));
    assert_eq!((d.sample_count, d.average, d.sum, d.minimum, d.maximum), (Some(2.0), Some(1.5), None, None, Some(2.0)));
    assert_eq!(d.unit, "Milliseconds");

    let page = list_metrics_response(ListMetricsPage {
        metrics: vec![MetricKey::new("App", "Latency", vec![Dimension::new("host", "h1")])],
        next_token: None,
    });
    assert_eq!(page.next_token, "");
    assert_eq!(page.metrics[0].dimensions, vec![pb::Dimension { name: "host".into(), value: "h1".into() }]);
}

#[test]
fn more_than_1_mb_of_metric_data_is_rejected() {
    // 1,000 datums of ~1.1 KB each: within the count limit, over the size limit.
    let big = |n: usize| {
        put((0..n)
            .map(|_| datum(|d| d.dimensions = vec![pb::Dimension { name: "d".into(), value: "v".repeat(1024) }]))
            .collect())
    };
    let (code, message) = rejection(put_metric_data(big(1000)));
    assert_eq!(code, InvalidCode::InvalidParameterValue);
    assert!(
        message.starts_with("The request size of ")
            && message.ends_with(" exceeds the limit of 1048576 bytes for MetricData."),
        "{message}"
    );
    assert_eq!(put_metric_data(big(900)).unwrap().metric_data.len(), 900);
    // Bulk series do not count toward it.
    let mut req = put(vec![]);
    req.series = vec![pb::SeriesBatch {
        metric_name: "m".into(),
        timestamps_ms: vec![0; 200_000],
        values: vec![0.0; 200_000],
        ..Default::default()
    }];
    assert_eq!(put_metric_data(req).unwrap().series.len(), 1);
}

// --- GetMetricData ---------------------------------------------------------------------------

fn gmd_request(queries: Vec<pb::MetricDataQuery>) -> pb::GetMetricDataRequest {
    pb::GetMetricDataRequest {
        metric_data_queries: queries,
        start_time: Some(Timestamp { seconds: 1_700_000_000, nanos: 0 }),
        end_time: Some(Timestamp { seconds: 1_700_003_600, nanos: 0 }),
        ..Default::default()
    }
}

fn stat_query(id: &str) -> pb::MetricDataQuery {
    pb::MetricDataQuery {
        id: id.into(),
        metric_stat: Some(pb::MetricStat {
            metric: Some(pb::Metric {
                namespace: "App".into(),
                metric_name: "Latency".into(),
                dimensions: vec![pb::Dimension { name: "host".into(), value: "a".into() }],
            }),
            period: 60,
            stat: "p90".into(),
            unit: "Milliseconds".into(),
        }),
        ..Default::default()
    }
}

fn expr_query(id: &str, expression: &str) -> pb::MetricDataQuery {
    pb::MetricDataQuery { id: id.into(), expression: expression.into(), ..Default::default() }
}

#[test]
fn get_metric_data_request_converts() {
    use stratus_engine::{QueryKind, ScanBy};

    let mut e1 = expr_query("e1", "m1 * 2");
    e1.label = "doubled".into();
    e1.return_data = Some(false);
    e1.period = 300;
    let out = get_metric_data_request(gmd_request(vec![stat_query("m1"), e1])).unwrap();
    assert_eq!((out.start_ms, out.end_ms), (1_700_000_000_000, 1_700_003_600_000));
    assert_eq!((out.next_token, out.scan_by, out.max_datapoints), (None, ScanBy::TimestampDescending, None));
    let [m1, e1] = &out.queries[..] else { panic!("two queries") };
    // ReturnData defaults to true; Period and Label 0/empty mean "not given".
    assert_eq!((m1.id.as_str(), m1.return_data, m1.period_s, m1.label.as_deref()), ("m1", true, None, None));
    assert_eq!(
        m1.kind,
        QueryKind::MetricStat {
            metric: MetricKey::new("App", "Latency", vec![Dimension::new("host", "a")]),
            period_s: 60,
            stat: "p90".into(),
            unit: Some(Unit::Milliseconds),
        }
    );
    assert_eq!((e1.return_data, e1.period_s, e1.label.as_deref()), (false, Some(300), Some("doubled")));
    assert_eq!(e1.kind, QueryKind::Expression("m1 * 2".into()));

    for (scan_by, want) in [
        ("", ScanBy::TimestampDescending),
        ("TimestampDescending", ScanBy::TimestampDescending),
        ("TimestampAscending", ScanBy::TimestampAscending),
    ] {
        let mut req = gmd_request(vec![stat_query("m1")]);
        req.scan_by = scan_by.into();
        req.max_datapoints = 10;
        req.next_token = "v1.0".into();
        let out = get_metric_data_request(req).unwrap();
        assert_eq!(out.scan_by, want, "{scan_by:?}");
        assert_eq!((out.max_datapoints, out.next_token.as_deref()), (Some(10), Some("v1.0")));
    }
}

#[test]
fn bad_get_metric_data_requests_map_to_aws_codes() {
    let ipc = InvalidCode::InvalidParameterCombination;
    let iv = InvalidCode::InvalidParameterValue;
    let mp = InvalidCode::MissingParameter;
    let mut both = stat_query("m1");
    both.expression = "m1 * 2".into();
    let neither = pb::MetricDataQuery { id: "x".into(), ..Default::default() };
    let mut no_metric = stat_query("m1");
    no_metric.metric_stat.as_mut().unwrap().metric = None;
    let mut bad_unit = stat_query("m1");
    bad_unit.metric_stat.as_mut().unwrap().unit = "Furlongs".into();
    let with = |q: pb::MetricDataQuery| gmd_request(vec![expr_query("e1", "SEARCH('x', 'Sum', 60)"), q]);
    let mut no_start = gmd_request(vec![stat_query("m1")]);
    no_start.start_time = None;
    let mut no_end = gmd_request(vec![stat_query("m1")]);
    no_end.end_time = None;
    let mut bad_scan = gmd_request(vec![stat_query("m1")]);
    bad_scan.scan_by = "Sideways".into();
    let mut negative_max = gmd_request(vec![stat_query("m1")]);
    negative_max.max_datapoints = -1;

    let cases = [
        (
            with(both),
            ipc,
            "The parameters MetricDataQueries.member.2.MetricStat and MetricDataQueries.member.2.Expression are \
             mutually exclusive and you have specified both.",
        ),
        (
            with(neither),
            mp,
            "The parameter MetricDataQueries.member.2.MetricStat or MetricDataQueries.member.2.Expression is \
             required.",
        ),
        (with(no_metric), mp, "The parameter MetricDataQueries.member.2.MetricStat.Metric is required."),
        (with(bad_unit), iv, "The value Furlongs for parameter MetricDataQueries.member.2.MetricStat.Unit is invalid."),
        (no_start, mp, "The parameter StartTime is required."),
        (no_end, mp, "The parameter EndTime is required."),
        (bad_scan, iv, "The value Sideways for parameter ScanBy is invalid."),
        (negative_max, iv, "The value -1 for parameter MaxDatapoints is invalid."),
    ];
    for (req, code, message) in cases {
        assert_eq!(rejection(get_metric_data_request(req)), (code, message.to_owned()));
    }
}

#[test]
fn get_metric_data_response_converts() {
    use stratus_engine::{GetMetricDataResult, Message, MetricDataResult, StatusCode};

    let message = |c: &str, v: &str| Message { code: c.into(), value: v.into() };
    let out = get_metric_data_response(GetMetricDataResult {
        results: vec![MetricDataResult {
            id: "m1".into(),
            label: "Latency".into(),
            timestamps: vec![1_700_000_060_000, 1_700_000_000_000],
            values: vec![2.0, 1.0],
            status_code: StatusCode::PartialData,
            messages: vec![message("MultipleUnits", "Multiple units returned: '[Count, None]'")],
        }],
        next_token: Some("v1.2".into()),
        messages: vec![message("Info", "x")],
    });
    let [r] = &out.metric_data_results[..] else { panic!("one result") };
    assert_eq!((r.id.as_str(), r.label.as_str(), r.status_code.as_str()), ("m1", "Latency", "PartialData"));
    assert_eq!(
        r.timestamps,
        vec![Timestamp { seconds: 1_700_000_060, nanos: 0 }, Timestamp { seconds: 1_700_000_000, nanos: 0 }]
    );
    assert_eq!(r.values, vec![2.0, 1.0]);
    assert_eq!(
        r.messages,
        vec![pb::MessageData {
            code: "MultipleUnits".into(),
            value: "Multiple units returned: '[Count, None]'".into()
        }]
    );
    assert_eq!(out.next_token, "v1.2");
    assert_eq!(out.messages, vec![pb::MessageData { code: "Info".into(), value: "x".into() }]);

    let empty = get_metric_data_response(GetMetricDataResult::default());
    assert!(empty.metric_data_results.is_empty() && empty.next_token.is_empty());
}
