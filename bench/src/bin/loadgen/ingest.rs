//! The ingest runner: a producer thread generates and encodes the schedule phase by phase (at
//! most two phases ahead); N streams, each with its own connection, pull the requests of the
//! current phase from a shared queue; a phase completes before the next starts. Throttled
//! requests are retried with exponential backoff; any other failure aborts the run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use stratus_bench::Workload;
use tokio::sync::mpsc;

use crate::Target;
use crate::encode::{Encoder, Form, Payload};
use crate::stratus::{StratusConn, is_throttled};
use crate::vm::{ImportError, VmConn};

/// Retries of one throttled request before it counts as an error.
const MAX_RETRIES: u32 = 200;
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct IngestConfig {
    pub(crate) target: Target,
    pub(crate) endpoint: String,
    pub(crate) namespace: String,
    pub(crate) streams: usize,
    pub(crate) form: Form,
    pub(crate) progress: bool,
    /// A request unanswered for this long fails the run.
    pub(crate) request_timeout: Duration,
}

/// The one-line JSON summary.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    pub(crate) samples_acked: u64,
    pub(crate) wall_s: f64,
    pub(crate) samples_per_s: f64,
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) retries: u64,
    pub(crate) latency_ms: Latency,
    pub(crate) target: &'static str,
    pub(crate) form: &'static str,
    pub(crate) shape: &'static str,
    pub(crate) hosts: usize,
    pub(crate) hours: f64,
    pub(crate) seed: u64,
    pub(crate) streams: usize,
    pub(crate) start_ms: i64,
    pub(crate) end_ms: i64,
    pub(crate) samples_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) client_cpu_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_error: Option<String>,
}

/// Latency percentiles, ms.
#[derive(Debug, Serialize, Default)]
pub(crate) struct Latency {
    pub(crate) p50: f64,
    pub(crate) p90: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Latency {
    pub(crate) fn of(mut ms: Vec<f64>) -> Self {
        if ms.is_empty() {
            return Latency::default();
        }
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
        Latency { p50: round3(at(0.50)), p90: round3(at(0.90)), p99: round3(at(0.99)), max: round3(at(1.0)) }
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Debug)]
enum Conn {
    Stratus(StratusConn),
    Vm(VmConn),
}

enum SendError {
    Throttled(String),
    Failed(String),
}

impl Conn {
    async fn send(&mut self, p: &Payload) -> Result<u64, SendError> {
        match self {
            Conn::Stratus(c) => c.put(p.body.clone()).await.map_err(|s| {
                let msg = format!("{:?}: {}", s.code(), s.message());
                if is_throttled(&s) { SendError::Throttled(msg) } else { SendError::Failed(msg) }
            }),
            Conn::Vm(c) => match c.import(&p.body).await {
                Ok(()) => Ok(p.samples),
                Err(ImportError::Throttled(m)) => Err(SendError::Throttled(m)),
                Err(ImportError::Failed(m)) => Err(SendError::Failed(m)),
            },
        }
    }
}

#[derive(Debug, Default)]
struct WorkerStats {
    latencies_ms: Vec<f64>,
    acked: u64,
    sent: u64,
    bytes: u64,
    requests: u64,
    retries: u64,
    errors: u64,
    first_error: Option<String>,
}

impl WorkerStats {
    fn merge(&mut self, o: WorkerStats) {
        self.latencies_ms.extend(o.latencies_ms);
        self.acked += o.acked;
        self.sent += o.sent;
        self.bytes += o.bytes;
        self.requests += o.requests;
        self.retries += o.retries;
        self.errors += o.errors;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
    }
}

#[derive(Debug)]
struct PhaseQueue {
    items: Vec<Payload>,
    next: AtomicUsize,
}

/// Runs the whole schedule. Returns the summary; `errors > 0` means the run was aborted.
pub(crate) async fn ingest(workload: Workload, cfg: IngestConfig) -> Result<Summary> {
    if cfg.streams == 0 {
        bail!("--streams must be at least 1");
    }
    let client_cpu_before = process_cpu_s();
    let (tx, mut rx) = mpsc::channel::<Vec<Payload>>(2);
    let producer = {
        let cfg = cfg.clone();
        std::thread::Builder::new().name("loadgen-producer".into()).spawn(move || {
            let enc = Encoder::new(&cfg.namespace, &workload.hosts());
            for phase in workload.phases() {
                let payloads: Vec<Payload> = phase
                    .batches
                    .iter()
                    .flat_map(|b| match cfg.target {
                        Target::Stratus => enc.stratus(b, cfg.form),
                        Target::Vm => vec![enc.vm_json_lines(b)],
                    })
                    .collect();
                if tx.blocking_send(payloads).is_err() {
                    return;
                }
            }
        })?
    };

    let mut conns = Vec::with_capacity(cfg.streams);
    for _ in 0..cfg.streams {
        conns.push(match cfg.target {
            Target::Stratus => Conn::Stratus(StratusConn::connect(&cfg.endpoint).await?),
            Target::Vm => Conn::Vm(VmConn::new(&cfg.endpoint)?),
        });
    }

    let bar = if cfg.progress {
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} samples ({per_sec}, eta {eta}) {msg}",
        )
        .expect("valid template")
        .progress_chars("=> ");
        ProgressBar::new(workload.total_samples()).with_style(style)
    } else {
        ProgressBar::hidden()
    };

    let abort = Arc::new(AtomicBool::new(false));
    let mut total = WorkerStats::default();
    let mut started: Option<Instant> = None;
    while let Some(items) = rx.recv().await {
        started.get_or_insert_with(Instant::now);
        let queue = Arc::new(PhaseQueue { items, next: AtomicUsize::new(0) });
        let handles: Vec<_> = conns
            .drain(..)
            .map(|conn| tokio::spawn(worker(conn, queue.clone(), abort.clone(), bar.clone(), cfg.request_timeout)))
            .collect();
        for h in handles {
            let (conn, stats) = h.await?;
            conns.push(conn);
            total.merge(stats);
        }
        if abort.load(Ordering::Relaxed) {
            break;
        }
    }
    let wall_s = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    drop(rx);
    bar.finish_and_clear();
    let _ = producer.join();

    Ok(Summary {
        samples_acked: total.acked,
        wall_s: round3(wall_s),
        samples_per_s: if wall_s > 0.0 { (total.acked as f64 / wall_s).round() } else { 0.0 },
        requests: total.requests,
        errors: total.errors,
        retries: total.retries,
        latency_ms: Latency::of(total.latencies_ms),
        target: cfg.target.name(),
        form: if cfg.target == Target::Vm { "json-lines" } else { cfg.form.name() },
        shape: workload.shape().name(),
        hosts: workload.host_count(),
        hours: workload.points_per_series() as f64 / stratus_bench::POINTS_PER_HOUR as f64,
        seed: workload.seed(),
        streams: cfg.streams,
        start_ms: workload.start_ms(),
        end_ms: workload.end_ms(),
        samples_sent: total.sent,
        bytes_sent: total.bytes,
        client_cpu_s: round3(process_cpu_s() - client_cpu_before),
        first_error: total.first_error,
    })
}

async fn worker(
    mut conn: Conn,
    queue: Arc<PhaseQueue>,
    abort: Arc<AtomicBool>,
    bar: ProgressBar,
    timeout: Duration,
) -> (Conn, WorkerStats) {
    let mut stats = WorkerStats::default();
    while !abort.load(Ordering::Relaxed) {
        let i = queue.next.fetch_add(1, Ordering::Relaxed);
        let Some(p) = queue.items.get(i) else { break };
        let t0 = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        let mut retries = 0;
        stats.requests += 1;
        stats.sent += p.samples;
        stats.bytes += p.body.len() as u64;
        loop {
            let outcome = match tokio::time::timeout(timeout, conn.send(p)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(SendError::Failed(format!("no answer within {timeout:?}"))),
            };
            match outcome {
                Ok(acked) => {
                    stats.latencies_ms.push(t0.elapsed().as_secs_f64() * 1e3);
                    stats.acked += acked;
                    bar.inc(p.samples);
                    break;
                }
                Err(SendError::Throttled(_)) if retries < MAX_RETRIES => {
                    retries += 1;
                    stats.retries += 1;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(SendError::Throttled(msg) | SendError::Failed(msg)) => {
                    stats.errors += 1;
                    stats.first_error.get_or_insert(msg);
                    abort.store(true, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
    (conn, stats)
}

/// CPU seconds (user + system) this process used so far, from `/proc/self/stat` (USER_HZ = 100
/// on Linux); 0 where unavailable.
fn process_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let l = Latency::of((1..=100).map(f64::from).collect());
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50.0, 90.0, 99.0, 100.0));
        let l = Latency::of(vec![3.0]);
        assert_eq!((l.p50, l.max), (3.0, 3.0));
    }

    #[test]
    fn reads_own_cpu() {
        assert!(process_cpu_s() >= 0.0);
    }
}
