use clap::CommandFactory as _;

use super::*;

fn parse(argv: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("stratus").chain(argv.iter().copied()))
}

#[test]
fn the_command_line_is_well_formed() {
    Cli::command().debug_assert();
}

#[test]
fn put_metric_data_flags() {
    let cli = parse(&[
        "put-metric-data",
        "--namespace",
        "App",
        "--metric-name",
        "Latency",
        "--dimensions",
        "Name=host,Value=h1",
        "az=a,rack=r",
        "--value",
        "-1.5",
        "--unit",
        "Milliseconds",
        "--timestamp",
        "1795348800",
        "--endpoint",
        "127.0.0.1:1",
        "--output",
        "json",
    ])
    .unwrap();
    let Command::Client(ClientCommand::PutMetricData(args)) = cli.command else { panic!("wrong command") };
    assert_eq!(args.value, Some(-1.5));
    assert_eq!(args.dimensions.iter().map(|d| d.0.len()).sum::<usize>(), 3);
    assert_eq!(args.timestamp, Some(1_795_348_800_000));
    assert_eq!(args.opts.output, Output::Json);
    assert_eq!(args.opts.endpoint, "127.0.0.1:1");

    let cli = parse(&[
        "put-metric-data",
        "--namespace",
        "App",
        "--metric-name",
        "M",
        "--values",
        "1",
        "-2",
        "3",
        "--counts",
        "1",
        "2",
        "3",
    ])
    .unwrap();
    let Command::Client(ClientCommand::PutMetricData(args)) = cli.command else { panic!("wrong command") };
    assert_eq!(args.values, vec![1.0, -2.0, 3.0]);
    assert_eq!(args.counts, vec![1.0, 2.0, 3.0]);
    assert_eq!(args.opts.output, Output::Table);
}

#[test]
fn put_metric_data_needs_exactly_one_value_form() {
    let base = ["put-metric-data", "--namespace", "App", "--metric-name", "M"];
    let with = |extra: &[&str]| parse(&[&base[..], extra].concat());
    assert!(with(&[]).is_err());
    assert!(with(&["--value", "1", "--values", "1"]).is_err());
    assert!(with(&["--value", "1", "--counts", "1"]).is_err());
    assert!(with(&["--statistic-values", "SampleCount=1,Sum=1,Minimum=1,Maximum=1"]).is_ok());
    assert!(with(&["--statistic-values", "SampleCount=1"]).is_err());
}

#[test]
fn get_metric_statistics_defaults() {
    let cli =
        parse(&["get-metric-statistics", "--namespace", "App", "--metric-name", "M", "--start-time", "-2h"]).unwrap();
    let Command::Client(ClientCommand::GetMetricStatistics(args)) = cli.command else { panic!("wrong command") };
    assert_eq!(args.period, 60);
    // No statistics named: the request asks for all five (filled in when sending).
    assert!(args.statistics.is_empty() && args.extended_statistics.is_empty());
    let span = args.end_time - args.start_time;
    assert!((7_199_000..=7_201_000).contains(&span), "{span}");
}

#[test]
fn serve_is_a_subcommand() {
    assert!(matches!(parse(&["serve", "--grpc-addr", "127.0.0.1:0"]).unwrap().command, Command::Serve(_)));
    assert!(parse(&["serve", "--grpc-addr", "nope"]).is_err());
}

#[test]
fn server_errors_print_like_the_aws_cli() {
    let err = CliError::Service {
        operation: "PutMetricData",
        status: tonic::Status::invalid_argument(
            "InvalidParameterValue: The value NaN for parameter MetricData.member.1.Value is invalid.",
        ),
    };
    assert_eq!(
        err.to_string(),
        "An error occurred (InvalidParameterValue) when calling the PutMetricData operation: \
         The value NaN for parameter MetricData.member.1.Value is invalid."
    );
    let err =
        CliError::Service { operation: "Flush", status: tonic::Status::unavailable("transport: connection reset") };
    assert_eq!(
        err.to_string(),
        "An error occurred (Unavailable) when calling the Flush operation: transport: connection reset"
    );
    assert_eq!(err.exit_code(), ExitCode::from(254));
}

fn get_metric_data_args(argv: &[&str]) -> Result<GetMetricDataArgs, clap::Error> {
    let cli = parse(&[&["get-metric-data"][..], argv].concat())?;
    let Command::Client(ClientCommand::GetMetricData(args)) = cli.command else { panic!("wrong command") };
    Ok(args)
}

const QUERIES_JSON: &str = r#"[
  {"Id": "m1",
   "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency",
                             "Dimensions": [{"Name": "host", "Value": "a"}]},
                  "Period": 60, "Stat": "Average", "Unit": "Percent"},
   "Label": "cpu a", "ReturnData": false},
  {"Id": "e1", "Expression": "m1*2", "Period": 60}
]"#;

#[test]
fn get_metric_data_queries_from_aws_cli_json() {
    let queries = parse::metric_data_queries_json(QUERIES_JSON).unwrap();
    assert_eq!(
        queries,
        vec![
            pb::MetricDataQuery {
                id: "m1".into(),
                metric_stat: Some(pb::MetricStat {
                    metric: Some(pb::Metric {
                        namespace: "App".into(),
                        metric_name: "Latency".into(),
                        dimensions: vec![pb::Dimension { name: "host".into(), value: "a".into() }],
                    }),
                    period: 60,
                    stat: "Average".into(),
                    unit: "Percent".into(),
                }),
                expression: String::new(),
                label: "cpu a".into(),
                return_data: Some(false),
                period: 0,
            },
            pb::MetricDataQuery {
                id: "e1".into(),
                metric_stat: None,
                expression: "m1*2".into(),
                label: String::new(),
                return_data: None,
                period: 60,
            },
        ]
    );
    // Dimensions, Unit, Label, ReturnData and Period are optional.
    let q = parse::metric_data_queries_json(
        r#"[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"N","MetricName":"M"},"Period":300,"Stat":"p99"}}]"#,
    )
    .unwrap();
    let ms = q[0].metric_stat.as_ref().unwrap();
    assert_eq!((ms.metric.as_ref().unwrap().dimensions.len(), ms.unit.as_str(), q[0].return_data), (0, "", None));
}

#[test]
fn get_metric_data_queries_json_errors_are_clear() {
    let err = |text: &str| parse::metric_data_queries_json(text).unwrap_err();
    // Unknown members are named, at every level.
    let e = err(r#"[{"Id":"e1","Expresion":"m1"}]"#);
    assert!(e.contains("unknown field `Expresion`") && e.contains("`Expression`"), "{e}");
    let e = err(
        r#"[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"N","MetricName":"M","Dims":[]},"Period":60,"Stat":"Sum"}}]"#,
    );
    assert!(e.contains("unknown field `Dims`"), "{e}");
    // camelCase (the SDK for JavaScript's spelling) is not the CLI's shape.
    assert!(err(r#"[{"id":"e1","expression":"m1"}]"#).contains("unknown field `id`"));
    assert!(err(r#"[{"Expression":"m1"}]"#).contains("missing field `Id`"));
    assert!(err(r#"[{"Id":"m1","MetricStat":{"Metric":{},"Stat":"Sum"}}]"#).contains("missing field `Period`"));
    assert!(err(r#"{"Id":"e1","Expression":"m1"}"#).contains("invalid type"));
    assert!(err("[").starts_with("invalid MetricDataQueries JSON: "));
    assert!(err(r#"[{"Id":"e1","ReturnData":"yes"}]"#).contains("invalid type"));
}

#[test]
fn get_metric_data_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queries.json");
    std::fs::write(&path, QUERIES_JSON).unwrap();
    let from_file = format!("file://{}", path.display());
    let args = get_metric_data_args(&[
        "--metric-data-queries",
        &from_file,
        "--start-time",
        "2026-11-22T10:00:00Z",
        "--end-time",
        "2026-11-22T12:00:00Z",
        "--scan-by",
        "TimestampAscending",
        "--max-datapoints",
        "100",
        "--next-token",
        "v1.0.0",
        "--no-paginate",
        "--output",
        "json",
    ])
    .unwrap();
    assert!(args.no_paginate);
    assert_eq!(args.opts.output, Output::Json);
    let req = args.into_request();
    assert_eq!(req.metric_data_queries, parse::metric_data_queries_json(QUERIES_JSON).unwrap());
    assert_eq!(req.start_time.unwrap().seconds, 1_795_341_600);
    assert_eq!(req.end_time.unwrap().seconds, 1_795_348_800);
    assert_eq!(
        (req.scan_by.as_str(), req.max_datapoints, req.next_token.as_str()),
        ("TimestampAscending", 100, "v1.0.0")
    );

    // The expression shortcut; times default to the last hour.
    let args = get_metric_data_args(&["--expression", "SELECT AVG(cpu) FROM \"App\"", "--period", "300"]).unwrap();
    assert!(!args.no_paginate);
    let span = args.end_time - args.start_time;
    assert!((3_599_000..=3_601_000).contains(&span), "{span}");
    let req = args.into_request();
    assert_eq!(
        req.metric_data_queries,
        vec![pb::MetricDataQuery {
            id: "q1".into(),
            expression: "SELECT AVG(cpu) FROM \"App\"".into(),
            period: 300,
            ..Default::default()
        }]
    );
    assert_eq!((req.scan_by.as_str(), req.max_datapoints, req.next_token.as_str()), ("", 0, ""));
    let req = get_metric_data_args(&["--expression", "m1", "--id", "e7", "--label", "L"]).unwrap().into_request();
    let q = &req.metric_data_queries[0];
    assert_eq!((q.id.as_str(), q.label.as_str(), q.period), ("e7", "L", 0));
}

#[test]
fn get_metric_data_flag_errors() {
    // Exactly one of the two query sources.
    assert!(get_metric_data_args(&[]).is_err());
    assert!(get_metric_data_args(&["--expression", "m1", "--metric-data-queries", "[]"]).is_err());
    // The shortcut's flags need the shortcut.
    assert!(get_metric_data_args(&["--metric-data-queries", "[]", "--period", "60"]).is_err());
    assert!(get_metric_data_args(&["--metric-data-queries", "[]", "--id", "x"]).is_err());
    assert!(get_metric_data_args(&["--expression", "m1", "--scan-by", "Sideways"]).is_err());
    assert!(get_metric_data_args(&["--expression", "m1", "--max-datapoints", "many"]).is_err());
    let e = get_metric_data_args(&["--metric-data-queries", r#"[{"Id":"e1","Bogus":1}]"#]).unwrap_err().to_string();
    assert!(e.contains("unknown field `Bogus`"), "{e}");
    let e = get_metric_data_args(&["--metric-data-queries", "file:///nonexistent/q.json"]).unwrap_err().to_string();
    assert!(e.contains("cannot read /nonexistent/q.json"), "{e}");
}

fn result(id: &str, label: &str, points: &[(i64, f64)], status: &str) -> pb::MetricDataResult {
    pb::MetricDataResult {
        id: id.into(),
        label: label.into(),
        timestamps: points.iter().map(|(t, _)| prost_types::Timestamp { seconds: *t, nanos: 0 }).collect(),
        values: points.iter().map(|(_, v)| *v).collect(),
        status_code: status.into(),
        messages: vec![],
    }
}

#[test]
fn pages_merge_by_id_label_and_order() {
    let units = pb::MessageData { code: "MultipleUnits".into(), value: "Multiple units returned: '[A, B]'".into() };
    let mut page1 = pb::GetMetricDataResponse {
        metric_data_results: vec![
            result("m1", "a", &[(300, 3.0), (240, 2.0)], "PartialData"),
            result("s", "host-a", &[], "PartialData"),
            result("s", "host-b", &[], "PartialData"),
            // Two results with one Id and Label (`[m1, m2]` over two metrics of one name).
            result("e", "x", &[(60, 1.0)], "PartialData"),
            result("e", "x", &[(60, 2.0)], "PartialData"),
        ],
        next_token: "t1".into(),
        messages: vec![units.clone()],
    };
    page1.metric_data_results[0].messages.push(units.clone());
    let mut page2 = pb::GetMetricDataResponse {
        metric_data_results: vec![
            result("m1", "a", &[(180, 1.0)], "Complete"),
            result("s", "host-a", &[(60, 5.0)], "Complete"),
            result("s", "host-b", &[(60, 6.0)], "Complete"),
            result("e", "x", &[(0, 10.0)], "Complete"),
            result("e", "x", &[(0, 20.0)], "Complete"),
        ],
        next_token: String::new(),
        messages: vec![units.clone()],
    };
    page2.metric_data_results[0].messages.push(units.clone());

    let mut all = pb::GetMetricDataResponse::default();
    merge_page(&mut all, page1);
    assert_eq!(all.next_token, "t1");
    merge_page(&mut all, page2);
    assert_eq!(
        all,
        pb::GetMetricDataResponse {
            metric_data_results: vec![
                pb::MetricDataResult {
                    messages: vec![units.clone()],
                    ..result("m1", "a", &[(300, 3.0), (240, 2.0), (180, 1.0)], "Complete")
                },
                result("s", "host-a", &[(60, 5.0)], "Complete"),
                result("s", "host-b", &[(60, 6.0)], "Complete"),
                result("e", "x", &[(60, 1.0), (0, 10.0)], "Complete"),
                result("e", "x", &[(60, 2.0), (0, 20.0)], "Complete"),
            ],
            next_token: String::new(),
            messages: vec![units],
        }
    );
}

#[test]
fn metric_data_as_json_like_the_aws_cli_and_as_table() {
    let mut r = pb::GetMetricDataResponse {
        metric_data_results: vec![result("m1", "cpu", &[(1_795_348_860, 2.5), (1_795_348_800, f64::NAN)], "Complete")],
        next_token: String::new(),
        messages: vec![],
    };
    r.metric_data_results[0].messages.push(pb::MessageData { code: "MultipleUnits".into(), value: "u".into() });
    let v: serde_json::Value = serde_json::from_str(&output::metric_data(Output::Json, &r)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"MetricDataResults": [{
            "Id": "m1", "Label": "cpu",
            "Timestamps": ["2026-11-22T12:01:00Z", "2026-11-22T12:00:00Z"],
            "Values": [2.5, null],
            "StatusCode": "Complete",
            "Messages": [{"Code": "MultipleUnits", "Value": "u"}],
        }], "Messages": []})
    );
    r.next_token = "v1.1".into();
    let v: serde_json::Value = serde_json::from_str(&output::metric_data(Output::Json, &r)).unwrap();
    assert_eq!(v["NextToken"], "v1.1");

    let text = output::metric_data(Output::Table, &r);
    assert!(text.starts_with("cpu (m1) Complete\n  MultipleUnits: u\n"), "{text}");
    for needle in ["Timestamp", "Value", "2026-11-22T12:01:00Z", "2.5", "NaN", "NextToken: v1.1"] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}
