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
