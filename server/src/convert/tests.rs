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
