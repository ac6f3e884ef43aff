//! The `stratus` command line: `serve` and the client verbs, which mirror the AWS CLI's
//! `aws cloudwatch ...` (same verb and flag names) but talk gRPC to a Stratus server.
//!
//! ```text
//! stratus serve [--data-dir DIR] [--grpc-addr ADDR] [--http-addr ADDR] [--config FILE] ...
//! stratus put-metric-data --namespace NS --metric-name M [--dimensions a=b,c=d ...]
//!         (--value V | --values V... [--counts C...] | --statistic-values SampleCount=..,Sum=..,Minimum=..,Maximum=..)
//!         [--unit U] [--timestamp T] [--storage-resolution 1|60]
//! stratus get-metric-statistics --namespace NS --metric-name M [--dimensions ...]
//!         [--start-time T] [--end-time T] [--period S] [--statistics S...] [--unit U]
//! stratus get-metric-data (--metric-data-queries JSON|file://PATH | --expression EXPR [--period S] [--id ID] [--label L])
//!         [--start-time T] [--end-time T] [--scan-by TimestampDescending|TimestampAscending]
//!         [--max-datapoints N] [--next-token T] [--no-paginate]
//! stratus list-metrics [--namespace NS] [--metric-name M] [--dimensions Name=x[,Value=y] ...]
//! stratus flush [--compact]
//! ```
//!
//! Every client verb takes `--endpoint` (default `http://127.0.0.1:50051`, env
//! `STRATUS_ENDPOINT`), `--output table|json`, `--account`/`--region` (sent as the
//! `x-stratus-account`/`x-stratus-region` metadata) and `--timeout`. Times are RFC 3339, epoch
//! seconds, `now`, or relative (`-1h`). A server error is printed the way the AWS CLI prints
//! it — `An error occurred (InvalidParameterValue) when calling the PutMetricData operation:
//! ...` — and exits with 254; a connection failure exits with 255, bad usage with 2.

mod output;
mod parse;

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use stratus_proto::v1 as pb;
use stratus_proto::v1::metrics_service_client::MetricsServiceClient;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::config::ServeArgs;
use crate::grpc::{ACCOUNT_HEADER, REGION_HEADER};
use parse::{DimensionArg, FilterArg, QueriesArg};

/// `stratus`: a self-hosted CloudWatch.
#[derive(Debug, Parser)]
#[command(name = "stratus", version, about = "Stratus: a self-hosted CloudWatch (server and client)")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `serve` or a client verb.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: gRPC (metrics, health, reflection) and HTTP (/healthz, /metrics).
    Serve(ServeArgs),
    /// A client verb.
    #[command(flatten)]
    Client(ClientCommand),
}

/// The client verbs.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Publish one datum (like `aws cloudwatch put-metric-data`).
    PutMetricData(PutMetricDataArgs),
    /// Statistics of one metric in periods (like `aws cloudwatch get-metric-statistics`).
    GetMetricStatistics(GetMetricStatisticsArgs),
    /// List metrics, following pages (like `aws cloudwatch list-metrics`).
    ListMetrics(ListMetricsArgs),
    /// MetricStat, metric math, SEARCH and Metrics Insights queries, following pages (like
    /// `aws cloudwatch get-metric-data`).
    GetMetricData(GetMetricDataArgs),
    /// Admin: seal the in-memory head into a block and optionally compact.
    Flush(FlushArgs),
}

/// Options every client verb takes.
#[derive(Debug, Clone, clap::Args)]
struct ClientOptions {
    /// gRPC endpoint of the server (`http://HOST:PORT`; the scheme may be omitted).
    #[arg(long, env = "STRATUS_ENDPOINT", default_value = "http://127.0.0.1:50051")]
    endpoint: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Account to act as (default: the server's default tenant).
    #[arg(long)]
    account: Option<String>,
    /// Region to act in (default: the server's default tenant).
    #[arg(long)]
    region: Option<String>,
    /// Give up on a request after this long (e.g. 30s, 5m).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// Human-readable tables.
    Table,
    /// JSON shaped like the AWS CLI's output.
    Json,
}

/// `put-metric-data` flags.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("datum").required(true).multiple(false)))]
pub struct PutMetricDataArgs {
    #[command(flatten)]
    opts: ClientOptions,
    /// Namespace of the metric.
    #[arg(long)]
    namespace: String,
    /// Name of the metric.
    #[arg(long)]
    metric_name: String,
    /// Dimensions: `Name=a,Value=b` per argument, or `a=b,c=d`.
    #[arg(long, num_args = 1.., value_name = "DIMS")]
    dimensions: Vec<DimensionArg>,
    /// A single value.
    #[arg(long, allow_negative_numbers = true, group = "datum")]
    value: Option<f64>,
    /// Many values observed at one timestamp.
    #[arg(long, num_args = 1.., allow_negative_numbers = true, group = "datum")]
    values: Vec<f64>,
    /// How many times each of `--values` was observed (default 1 each).
    #[arg(long, num_args = 1.., requires = "values", conflicts_with_all = ["value", "statistic_values"])]
    counts: Vec<f64>,
    /// A statistic set: `SampleCount=N,Sum=S,Minimum=A,Maximum=B`.
    #[arg(long, value_parser = parse::statistic_values, group = "datum")]
    statistic_values: Option<pb::StatisticSet>,
    /// Unit, as AWS spells it (`Count`, `Bytes/Second`, ...).
    #[arg(long)]
    unit: Option<String>,
    /// When observed (RFC 3339, epoch seconds, `now`, `-5m`); default: when the server receives it.
    #[arg(long, allow_hyphen_values = true, value_parser = parse::time)]
    timestamp: Option<i64>,
    /// 1 (high resolution) or 60 (standard).
    #[arg(long)]
    storage_resolution: Option<i32>,
}

/// `get-metric-statistics` flags.
#[derive(Debug, clap::Args)]
pub struct GetMetricStatisticsArgs {
    #[command(flatten)]
    opts: ClientOptions,
    /// Namespace of the metric.
    #[arg(long)]
    namespace: String,
    /// Name of the metric.
    #[arg(long)]
    metric_name: String,
    /// The metric's exact dimension set: `Name=a,Value=b` per argument, or `a=b,c=d`.
    #[arg(long, num_args = 1.., value_name = "DIMS")]
    dimensions: Vec<DimensionArg>,
    /// Inclusive start (RFC 3339, epoch seconds, `now`, `-1h`).
    #[arg(long, allow_hyphen_values = true, value_parser = parse::time, default_value = "-1h")]
    start_time: i64,
    /// Exclusive end (RFC 3339, epoch seconds, `now`, `-5m`).
    #[arg(long, allow_hyphen_values = true, value_parser = parse::time, default_value = "now")]
    end_time: i64,
    /// Period in seconds: 1, 5, 10, 20, 30 or a multiple of 60.
    #[arg(long, default_value_t = 60, allow_negative_numbers = true)]
    period: i32,
    /// Statistics: SampleCount, Average, Sum, Minimum, Maximum (default: all five, unless
    /// extended statistics are asked for).
    #[arg(long, num_args = 1..)]
    statistics: Vec<String>,
    /// Extended statistics: p99, p99.9, tm90, TM(10%:90%), IQM, PR(:100), ...
    #[arg(long, num_args = 1..)]
    extended_statistics: Vec<String>,
    /// Only datapoints of this unit.
    #[arg(long)]
    unit: Option<String>,
}

/// `list-metrics` flags.
#[derive(Debug, clap::Args)]
pub struct ListMetricsArgs {
    #[command(flatten)]
    opts: ClientOptions,
    /// Only this namespace.
    #[arg(long)]
    namespace: Option<String>,
    /// Only this metric name.
    #[arg(long)]
    metric_name: Option<String>,
    /// Dimension filters: `Name=x[,Value=y]` per argument, or `x=y,z`.
    #[arg(long, num_args = 1.., value_name = "FILTERS")]
    dimensions: Vec<FilterArg>,
    /// `PT3H`: only metrics with data in the last three hours.
    #[arg(long)]
    recently_active: Option<String>,
    /// Start from this page token.
    #[arg(long)]
    next_token: Option<String>,
    /// Fetch one page only (and print its NextToken).
    #[arg(long)]
    no_paginate: bool,
}

/// `get-metric-data` flags.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("queries").required(true).multiple(false)))]
pub struct GetMetricDataArgs {
    #[command(flatten)]
    opts: ClientOptions,
    /// Queries as the AWS CLI's JSON list (`[{"Id": "m1", "MetricStat": {...}}, {"Id": "e1",
    /// "Expression": "m1 * 2"}]`), inline or `file://PATH`.
    #[arg(long, group = "queries", value_parser = parse::metric_data_queries, value_name = "JSON")]
    metric_data_queries: Option<QueriesArg>,
    /// A single expression query instead: `SEARCH(...)`, a Metrics Insights `SELECT ...`, or
    /// metric math over a SEARCH.
    #[arg(long, group = "queries", value_name = "EXPR")]
    expression: Option<String>,
    /// Period of `--expression`, seconds (required for a Metrics Insights query).
    #[arg(long, conflicts_with = "metric_data_queries", allow_negative_numbers = true)]
    period: Option<i32>,
    // (`conflicts_with`, not `requires = "expression"`: clap waives a requirement when an arg
    // conflicting with it, here the other member of the `queries` group, is present.)
    /// Id of `--expression`.
    #[arg(long, conflicts_with = "metric_data_queries", default_value = "q1")]
    id: String,
    /// Label of `--expression`.
    #[arg(long, conflicts_with = "metric_data_queries")]
    label: Option<String>,
    /// Inclusive start (RFC 3339, epoch seconds, `now`, `-1h`).
    #[arg(long, allow_hyphen_values = true, value_parser = parse::time, default_value = "-1h")]
    start_time: i64,
    /// Exclusive end (RFC 3339, epoch seconds, `now`, `-5m`).
    #[arg(long, allow_hyphen_values = true, value_parser = parse::time, default_value = "now")]
    end_time: i64,
    /// Timestamp order within each result (default: newest first).
    #[arg(long, value_parser = ["TimestampDescending", "TimestampAscending"])]
    scan_by: Option<String>,
    /// Most datapoints per page (default and maximum 100,800).
    #[arg(long, allow_negative_numbers = true)]
    max_datapoints: Option<i32>,
    /// Start from this page token.
    #[arg(long)]
    next_token: Option<String>,
    /// Fetch one page only (and print its NextToken).
    #[arg(long)]
    no_paginate: bool,
}

/// `flush` flags.
#[derive(Debug, clap::Args)]
pub struct FlushArgs {
    #[command(flatten)]
    opts: ClientOptions,
    /// Also merge blocks.
    #[arg(long)]
    compact: bool,
}

/// Upper bound on pages `list-metrics` and `get-metric-data` follow.
const MAX_PAGES: usize = 100_000;

/// Runs a client verb; prints the result to stdout or the error to stderr.
pub async fn run(command: ClientCommand) -> ExitCode {
    let result = match command {
        ClientCommand::PutMetricData(args) => put_metric_data(args).await,
        ClientCommand::GetMetricStatistics(args) => get_metric_statistics(args).await,
        ClientCommand::ListMetrics(args) => list_metrics(args).await,
        ClientCommand::GetMetricData(args) => get_metric_data(args).await,
        ClientCommand::Flush(args) => flush(args).await,
    };
    match result {
        Ok(text) => {
            output::emit(&text);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{err}");
            err.exit_code()
        }
    }
}

/// Why a client verb failed.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("Could not connect to the endpoint URL: \"{endpoint}\": {source}")]
    Connect {
        endpoint: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("An error occurred ({}) when calling the {operation} operation: {}", aws_error(.status).0, aws_error(.status).1)]
    Service { operation: &'static str, status: tonic::Status },
}

impl CliError {
    fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Service { .. } => ExitCode::from(254),
            CliError::Connect { .. } => ExitCode::from(255),
        }
    }
}

/// The AWS error code and message of a status: the server puts `Code: message`; anything else
/// (e.g. a transport failure) is shown with the gRPC code.
fn aws_error(status: &tonic::Status) -> (String, String) {
    let message = status.message();
    if let Some((code, rest)) = message.split_once(": ")
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return (code.to_owned(), rest.to_owned());
    }
    (format!("{:?}", status.code()), message.to_owned())
}

async fn connect(opts: &ClientOptions) -> Result<MetricsServiceClient<Channel>, CliError> {
    let url = if opts.endpoint.contains("://") { opts.endpoint.clone() } else { format!("http://{}", opts.endpoint) };
    let endpoint = Endpoint::from_shared(url.clone())
        .map_err(|e| CliError::Usage(format!("invalid --endpoint {url:?}: {e}")))?
        .connect_timeout(Duration::from_secs(5).min(opts.timeout))
        .timeout(opts.timeout);
    let channel = endpoint.connect().await.map_err(|source| CliError::Connect { endpoint: url, source })?;
    Ok(MetricsServiceClient::new(channel).max_decoding_message_size(64 << 20))
}

/// A request carrying the tenant metadata, if given.
fn request<T>(opts: &ClientOptions, message: T) -> Result<Request<T>, CliError> {
    let mut request = Request::new(message);
    for (key, value) in [(ACCOUNT_HEADER, &opts.account), (REGION_HEADER, &opts.region)] {
        if let Some(value) = value {
            let value = MetadataValue::try_from(value.as_str())
                .map_err(|_| CliError::Usage(format!("{value:?} is not a valid {key} value")))?;
            request.metadata_mut().insert(key, value);
        }
    }
    Ok(request)
}

fn service(operation: &'static str) -> impl Fn(tonic::Status) -> CliError {
    move |status| CliError::Service { operation, status }
}

async fn put_metric_data(args: PutMetricDataArgs) -> Result<String, CliError> {
    let datum = pb::MetricDatum {
        metric_name: args.metric_name,
        dimensions: args.dimensions.into_iter().flat_map(|d| d.0).collect(),
        timestamp: args.timestamp.map(crate::convert::ms_to_timestamp),
        value: args.value,
        statistic_values: args.statistic_values,
        values: args.values,
        counts: args.counts,
        unit: args.unit.unwrap_or_default(),
        storage_resolution: args.storage_resolution.unwrap_or(0),
    };
    let message = pb::PutMetricDataRequest { namespace: args.namespace, metric_data: vec![datum], series: vec![] };
    let mut client = connect(&args.opts).await?;
    let response =
        client.put_metric_data(request(&args.opts, message)?).await.map_err(service("PutMetricData"))?.into_inner();
    Ok(output::put_metric_data(args.opts.output, &response))
}

async fn get_metric_statistics(args: GetMetricStatisticsArgs) -> Result<String, CliError> {
    let statistics = if args.statistics.is_empty() && args.extended_statistics.is_empty() {
        ["SampleCount", "Average", "Sum", "Minimum", "Maximum"].map(String::from).to_vec()
    } else {
        args.statistics.clone()
    };
    let asked: Vec<String> = statistics.iter().chain(&args.extended_statistics).cloned().collect();
    let message = pb::GetMetricStatisticsRequest {
        namespace: args.namespace,
        metric_name: args.metric_name,
        dimensions: args.dimensions.into_iter().flat_map(|d| d.0).collect(),
        start_time: Some(crate::convert::ms_to_timestamp(args.start_time)),
        end_time: Some(crate::convert::ms_to_timestamp(args.end_time)),
        period: args.period,
        statistics,
        extended_statistics: args.extended_statistics.clone(),
        unit: args.unit.unwrap_or_default(),
    };
    let mut client = connect(&args.opts).await?;
    let response = client
        .get_metric_statistics(request(&args.opts, message)?)
        .await
        .map_err(service("GetMetricStatistics"))?
        .into_inner();
    Ok(output::statistics(args.opts.output, &asked, &response))
}

async fn list_metrics(args: ListMetricsArgs) -> Result<String, CliError> {
    let mut client = connect(&args.opts).await?;
    let mut message = pb::ListMetricsRequest {
        namespace: args.namespace.unwrap_or_default(),
        metric_name: args.metric_name.unwrap_or_default(),
        dimensions: args.dimensions.into_iter().flat_map(|d| d.0).collect(),
        next_token: args.next_token.unwrap_or_default(),
        recently_active: args.recently_active.unwrap_or_default(),
    };
    let mut metrics = Vec::new();
    let mut next_token = String::new();
    for _ in 0..MAX_PAGES {
        let page = client
            .list_metrics(request(&args.opts, message.clone())?)
            .await
            .map_err(service("ListMetrics"))?
            .into_inner();
        metrics.extend(page.metrics);
        next_token = page.next_token;
        if args.no_paginate || next_token.is_empty() || next_token == message.next_token {
            break;
        }
        message.next_token.clone_from(&next_token);
    }
    let next_token = if args.no_paginate { next_token } else { String::new() };
    Ok(output::metrics(args.opts.output, &metrics, &next_token))
}

impl GetMetricDataArgs {
    /// The first page's request.
    fn into_request(self) -> pb::GetMetricDataRequest {
        let queries = match (self.metric_data_queries, self.expression) {
            (Some(QueriesArg(queries)), _) => queries,
            (None, expression) => vec![pb::MetricDataQuery {
                id: self.id,
                metric_stat: None,
                expression: expression.unwrap_or_default(),
                label: self.label.unwrap_or_default(),
                return_data: None,
                period: self.period.unwrap_or(0),
            }],
        };
        pb::GetMetricDataRequest {
            metric_data_queries: queries,
            start_time: Some(crate::convert::ms_to_timestamp(self.start_time)),
            end_time: Some(crate::convert::ms_to_timestamp(self.end_time)),
            next_token: self.next_token.unwrap_or_default(),
            scan_by: self.scan_by.unwrap_or_default(),
            max_datapoints: self.max_datapoints.unwrap_or(0),
        }
    }
}

async fn get_metric_data(args: GetMetricDataArgs) -> Result<String, CliError> {
    let (opts, no_paginate) = (args.opts.clone(), args.no_paginate);
    let mut message = args.into_request();
    let mut client = connect(&opts).await?;
    let mut all = pb::GetMetricDataResponse::default();
    for _ in 0..MAX_PAGES {
        let page = client
            .get_metric_data(request(&opts, message.clone())?)
            .await
            .map_err(service("GetMetricData"))?
            .into_inner();
        merge_page(&mut all, page);
        if no_paginate || all.next_token.is_empty() || all.next_token == message.next_token {
            break;
        }
        message.next_token.clone_from(&all.next_token);
    }
    if !no_paginate {
        all.next_token.clear();
    }
    Ok(output::metric_data(opts.output, &all))
}

/// Adds one GetMetricData page to `acc`. Results are matched by Id and Label and, among
/// results sharing both (an array expression such as `[m1, m2]` over two metrics of one name),
/// by their order within the page: every page lists the same results in the same order. A
/// matched result gets the page's datapoints appended and takes the page's status (so it ends
/// `Complete`); others are appended. Repeated messages are dropped; the next token is the page's.
fn merge_page(acc: &mut pb::GetMetricDataResponse, page: pb::GetMetricDataResponse) {
    type Key = (String, String, usize);
    fn keys<'a>(results: impl Iterator<Item = &'a pb::MetricDataResult>) -> Vec<Key> {
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        results
            .map(|r| {
                let n = seen.entry((&r.id, &r.label)).or_default();
                *n += 1;
                (r.id.clone(), r.label.clone(), *n)
            })
            .collect()
    }
    let mut index: HashMap<Key, usize> =
        keys(acc.metric_data_results.iter()).into_iter().enumerate().map(|(i, k)| (k, i)).collect();
    let page_keys = keys(page.metric_data_results.iter());
    for (key, r) in page_keys.into_iter().zip(page.metric_data_results) {
        match index.get(&key) {
            Some(&i) => {
                let a = &mut acc.metric_data_results[i];
                a.timestamps.extend(r.timestamps);
                a.values.extend(r.values);
                a.status_code = r.status_code;
                for m in r.messages {
                    if !a.messages.contains(&m) {
                        a.messages.push(m);
                    }
                }
            }
            None => {
                index.insert(key, acc.metric_data_results.len());
                acc.metric_data_results.push(r);
            }
        }
    }
    for m in page.messages {
        if !acc.messages.contains(&m) {
            acc.messages.push(m);
        }
    }
    acc.next_token = page.next_token;
}

async fn flush(args: FlushArgs) -> Result<String, CliError> {
    let mut client = connect(&args.opts).await?;
    let response = client
        .flush(request(&args.opts, pb::FlushRequest { compact: args.compact })?)
        .await
        .map_err(service("Flush"))?
        .into_inner();
    Ok(output::flush(args.opts.output, &response))
}

#[cfg(test)]
mod tests;
