//! `loadgen`: drives the TSBS cpu-only workload (`stratus_bench`) into Stratus over gRPC, or
//! into VictoriaMetrics over its JSON-lines import, and measures it from the client side.
//!
//! ```text
//! loadgen [--target stratus|vm] --endpoint URL --hosts 100 --hours 24 --shape tsbs --seed 1 \
//!         --streams 4 --form bulk|datums [--end-ms MS] [--namespace Benchmark/CPU] [--no-progress]
//! loadgen query [--target stratus|vm] --endpoint URL --hosts 100 --hours 24 --seed 1 --end-ms MS \
//!         [--queries q1,q2,q3,q4] [--forms insights,search] [--shape tsbs]
//! loadgen flush [--target stratus|vm] --endpoint URL [--hours 24 --end-ms MS]
//! ```
//! Each prints one line of JSON on stdout (`query`: one per query and form); failures exit
//! nonzero with a message on stderr.
//!
//! Layout: `encode` builds request bodies, `ingest` runs the phased schedule over N streams,
//! `stratus` and `vm` are the two targets, `http` a minimal HTTP/1.1 client for the latter.

mod encode;
mod http;
mod ingest;
mod query;
mod stratus;
mod vm;

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use stratus_bench::{QueryKind, Shape, Workload};

use crate::encode::Form;
use crate::ingest::IngestConfig;

/// TSBS cpu-only load generator for Stratus and VictoriaMetrics.
#[derive(Debug, Parser)]
#[command(name = "loadgen", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    ingest: IngestArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ingest the workload (the default when no subcommand is given).
    Ingest(IngestArgs),
    /// Run q1–q4 of spec/benchmarks.md on seeded hosts/windows, check every answer against the
    /// generator and print the median client round trip (one JSON line per query and form).
    Query(QueryArgs),
    /// Make the target write everything to disk: Stratus `Flush` (seal + compact); VictoriaMetrics
    /// `force_flush` then `force_merge` until one part per partition.
    Flush(FlushArgs),
}

/// Which database to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// Stratus over gRPC.
    Stratus,
    /// VictoriaMetrics over HTTP.
    Vm,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Stratus => "stratus",
            Target::Vm => "vm",
        }
    }
}

#[derive(Debug, Args)]
struct WorkloadArgs {
    /// Target database.
    #[arg(long, value_enum, default_value = "stratus")]
    target: Target,
    /// Stratus gRPC endpoint or VictoriaMetrics HTTP endpoint.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    endpoint: String,
    /// Number of hosts (10 series each).
    #[arg(long, default_value_t = 100)]
    hosts: usize,
    /// Hours of data (360 points per series per hour).
    #[arg(long, default_value_t = 24)]
    hours: u32,
    /// Seed of the data (values and host tags).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// End of the span in ms since the epoch (rounded down to 10 s); default: now. Pass the same
    /// value to `ingest`, `query` and `flush` of one run.
    #[arg(long)]
    end_ms: Option<i64>,
    /// CloudWatch namespace (Stratus target).
    #[arg(long, default_value = "Benchmark/CPU")]
    namespace: String,
}

impl WorkloadArgs {
    fn workload(&self, shape: Shape) -> Workload {
        let end_ms = self.end_ms.unwrap_or_else(now_ms);
        Workload::new(self.hosts, self.hours, shape, self.seed, end_ms)
    }
}

#[derive(Debug, Args)]
struct IngestArgs {
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Value shape: tsbs (integers), round2 (2 decimals) or float.
    #[arg(long, default_value = "tsbs")]
    shape: Shape,
    /// Concurrent streams, each on its own connection.
    #[arg(long, default_value_t = 4)]
    streams: usize,
    /// Stratus request form: bulk SeriesBatch or CloudWatch-shaped datums.
    #[arg(long, value_enum, default_value = "bulk")]
    form: Form,
    /// Hide the progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Fail the run when a request is not answered within this many seconds.
    #[arg(long, default_value_t = 300)]
    request_timeout_s: u64,
}

#[derive(Debug, Args)]
struct QueryArgs {
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Measured runs.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Unmeasured warm-up runs before them.
    #[arg(long, default_value_t = 2)]
    warmups: usize,
    /// Seed of the host/window draws.
    #[arg(long, default_value_t = 42)]
    query_seed: u64,
    /// Value shape the data was ingested with (for checking the answers).
    #[arg(long, default_value = "tsbs")]
    shape: Shape,
    /// Do not check the answers against the generator.
    #[arg(long)]
    no_verify: bool,
    /// Queries to run, in this order.
    #[arg(long, value_delimiter = ',', default_value = "q1,q2,q3,q4")]
    queries: Vec<QueryKind>,
    /// Stratus: how to ask q3 and q4 (Metrics Insights and/or SEARCH); each is reported.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "insights,search")]
    forms: Vec<query::Form>,
}

#[derive(Debug, Args)]
struct FlushArgs {
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Stratus: seal only, do not compact.
    #[arg(long)]
    no_compact: bool,
    /// VictoriaMetrics: give up waiting for merges after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout_s: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => run_ingest(cli.ingest).await,
            Some(Command::Ingest(a)) => run_ingest(a).await,
            Some(Command::Query(a)) => query::run(a).await,
            Some(Command::Flush(a)) => run_flush(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_ingest(a: IngestArgs) -> Result<()> {
    let workload = a.workload.workload(a.shape);
    let cfg = IngestConfig {
        target: a.workload.target,
        endpoint: a.workload.endpoint.clone(),
        namespace: a.workload.namespace.clone(),
        streams: a.streams,
        form: a.form,
        progress: !a.no_progress,
        request_timeout: Duration::from_secs(a.request_timeout_s),
    };
    let summary = ingest::ingest(workload, cfg).await?;
    println!("{}", serde_json::to_string(&summary)?);
    if summary.errors > 0 {
        bail!(
            "ingest aborted after {} failed request(s): {}",
            summary.errors,
            summary.first_error.as_deref().unwrap_or("unknown error")
        );
    }
    if summary.samples_acked != workload.total_samples() {
        bail!("server acknowledged {} samples, {} were sent", summary.samples_acked, workload.total_samples());
    }
    Ok(())
}

async fn run_flush(a: FlushArgs) -> Result<()> {
    let v = match a.workload.target {
        Target::Stratus => {
            let mut c = stratus::StratusConn::connect(&a.workload.endpoint).await?;
            c.flush(!a.no_compact).await?
        }
        Target::Vm => {
            let workload = a.workload.workload(Shape::Tsbs);
            let mut c = vm::VmConn::new(&a.workload.endpoint)?;
            c.flush(&workload, Duration::from_secs(a.timeout_s)).await.context("VictoriaMetrics flush")?
        }
    };
    println!("{v}");
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests;
