//! End-to-end tests of the runner against an in-process fake Stratus gRPC service (which throttles
//! some requests) and a fake VictoriaMetrics import endpoint.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use stratus_bench::{Shape, Workload};
use stratus_proto::v1::metrics_service_server::{MetricsService, MetricsServiceServer};
use stratus_proto::v1::{
    Datapoint, FlushRequest, FlushResponse, GetMetricDataRequest, GetMetricDataResponse, GetMetricStatisticsRequest,
    GetMetricStatisticsResponse, ListMetricsRequest, ListMetricsResponse, MetricDataResult, PutMetricDataRequest,
    PutMetricDataResponse,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

use super::*;

const END: i64 = 1_700_000_000_000;

#[derive(Debug, Default)]
struct Fake {
    calls: AtomicU64,
    /// (metric, host, timestamp) -> value, of everything accepted.
    stored: Mutex<HashMap<(String, String, i64), f64>>,
    max_datums: AtomicU64,
    /// hostname -> team, from the ingested dimensions.
    teams: Mutex<std::collections::BTreeMap<String, String>>,
    /// Answer every GetMetricData value one ulp high.
    corrupt: std::sync::atomic::AtomicBool,
}

/// The quoted text after `prefix` up to `end`.
fn between<'a>(s: &'a str, prefix: &str, end: char) -> Option<&'a str> {
    let rest = &s[s.find(prefix)? + prefix.len()..];
    Some(&rest[..rest.find(end)?])
}

#[tonic::async_trait]
impl MetricsService for Fake {
    async fn put_metric_data(
        &self,
        req: Request<PutMetricDataRequest>,
    ) -> Result<Response<PutMetricDataResponse>, Status> {
        // Throttle every third call: loadgen must retry it.
        if self.calls.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
            return Err(Status::resource_exhausted("Throttling: queues full"));
        }
        let req = req.into_inner();
        if req.namespace != "Benchmark/CPU" {
            return Err(Status::invalid_argument("MissingParameter: namespace"));
        }
        self.max_datums.fetch_max(req.metric_data.len() as u64, Ordering::Relaxed);
        let mut stored = self.stored.lock().unwrap();
        let mut n = 0;
        for s in &req.series {
            assert_eq!(s.storage_resolution, 1);
            let team = s.dimensions.iter().find(|d| d.name == "team").unwrap().value.clone();
            self.teams.lock().unwrap().insert(s.dimensions[0].value.clone(), team);
            for (t, v) in s.timestamps_ms.iter().zip(&s.values) {
                stored.insert((s.metric_name.clone(), s.dimensions[0].value.clone(), *t), *v);
                n += 1;
            }
        }
        for d in &req.metric_data {
            let ts = d.timestamp.unwrap();
            let t = ts.seconds * 1000 + i64::from(ts.nanos / 1_000_000);
            stored.insert((d.metric_name.clone(), d.dimensions[0].value.clone(), t), d.value.unwrap());
            n += 1;
        }
        Ok(Response::new(PutMetricDataResponse { samples_accepted: n }))
    }

    async fn get_metric_statistics(
        &self,
        req: Request<GetMetricStatisticsRequest>,
    ) -> Result<Response<GetMetricStatisticsResponse>, Status> {
        let req = req.into_inner();
        assert_eq!(req.statistics, ["Maximum"]);
        assert_eq!(req.period, 60);
        assert_eq!(req.dimensions.len(), 10);
        let span = req.end_time.unwrap().seconds - req.start_time.unwrap().seconds;
        let start = req.start_time.unwrap().seconds;
        let datapoints = (0..span / 60)
            .map(|i| Datapoint {
                timestamp: Some(prost_types::Timestamp { seconds: start + i * 60, nanos: 0 }),
                maximum: Some(1.0),
                ..Datapoint::default()
            })
            .collect();
        Ok(Response::new(GetMetricStatisticsResponse { label: req.metric_name, datapoints }))
    }

    /// A tiny GetMetricData: Maximum MetricStats; Insights `AVG` with an optional `team`
    /// filter and `GROUP BY hostname`; `[AVG(]SEARCH(… [team="T"]…, 'Average', 3600)[)]`; and
    /// `AVG([ids])`. Hourly buckets from the start, newest first, straight from what was put.
    async fn get_metric_data(
        &self,
        req: Request<GetMetricDataRequest>,
    ) -> Result<Response<GetMetricDataResponse>, Status> {
        let req = req.into_inner();
        let start = req.start_time.unwrap().seconds * 1000;
        let buckets = (req.end_time.unwrap().seconds * 1000 - start) / 3_600_000;
        let stored = self.stored.lock().unwrap();
        let teams = self.teams.lock().unwrap();
        let corrupt = self.corrupt.load(Ordering::Relaxed);
        // (sum, count, max) of one series in bucket k.
        let agg = |metric: &str, host: &str, k: i64| {
            let t0 = start + k * 3_600_000;
            let v: Vec<f64> = (0..360)
                .filter_map(|i| stored.get(&(metric.to_owned(), host.to_owned(), t0 + i * 10_000)).copied())
                .collect();
            (v.iter().sum::<f64>(), v.len(), v.iter().copied().fold(f64::MIN, f64::max))
        };
        let hosts_of = |team: Option<&str>| -> Vec<String> {
            teams.iter().filter(|(_, t)| team.is_none_or(|x| x == t.as_str())).map(|(h, _)| h.clone()).collect()
        };
        let mean_of = |series: &[Vec<f64>]| -> Vec<f64> {
            (0..buckets as usize).map(|k| series.iter().map(|s| s[k]).sum::<f64>() / series.len() as f64).collect()
        };
        let mut ids: HashMap<String, Vec<(String, Vec<f64>)>> = HashMap::new();
        let mut results = Vec::new();
        for q in &req.metric_data_queries {
            let e = q.expression.as_str();
            let out: Vec<(String, Vec<f64>)> = if let Some(ms) = &q.metric_stat {
                assert_eq!((ms.stat.as_str(), ms.period), ("Maximum", 3600));
                let m = ms.metric.as_ref().unwrap();
                let host = &m.dimensions.iter().find(|d| d.name == "hostname").unwrap().value;
                vec![(q.label.clone(), (0..buckets).map(|k| agg(&m.metric_name, host, k).2).collect())]
            } else if e.starts_with("SELECT AVG(usage_user)") {
                let hosts = hosts_of(between(e, "team = '", '\''));
                if e.ends_with("GROUP BY hostname") {
                    hosts
                        .iter()
                        .map(|h| {
                            (
                                h.clone(),
                                (0..buckets)
                                    .map(|k| {
                                        let (s, n, _) = agg("usage_user", h, k);
                                        s / n as f64
                                    })
                                    .collect(),
                            )
                        })
                        .collect()
                } else {
                    let avg = (0..buckets).map(|k| {
                        let (s, n) =
                            hosts.iter().map(|h| agg("usage_user", h, k)).fold((0.0, 0), |a, x| (a.0 + x.0, a.1 + x.1));
                        s / n as f64
                    });
                    vec![(String::new(), avg.collect())]
                }
            } else if e.contains("SEARCH(") {
                let per_host: Vec<(String, Vec<f64>)> = hosts_of(between(e, "team=\"", '"'))
                    .iter()
                    .map(|h| {
                        (
                            format!("x86 {h} SF"),
                            (0..buckets)
                                .map(|k| {
                                    let (s, n, _) = agg("usage_user", h, k);
                                    s / n as f64
                                })
                                .collect(),
                        )
                    })
                    .collect();
                if e.starts_with("AVG(") {
                    let v: Vec<Vec<f64>> = per_host.into_iter().map(|x| x.1).collect();
                    vec![(String::new(), mean_of(&v))]
                } else {
                    per_host
                }
            } else if let Some(list) = between(e, "AVG([", ']') {
                let v: Vec<Vec<f64>> = list.split(", ").flat_map(|id| ids[id].iter().map(|x| x.1.clone())).collect();
                vec![(String::new(), mean_of(&v))]
            } else {
                return Err(Status::invalid_argument(format!("the fake does not know {e:?}")));
            };
            if q.return_data == Some(false) {
                ids.insert(q.id.clone(), out);
                continue;
            }
            for (label, values) in out {
                let values: Vec<f64> =
                    values.iter().map(|v| if corrupt { f64::from_bits(v.to_bits() + 1) } else { *v }).collect();
                results.push(MetricDataResult {
                    id: q.id.clone(),
                    label,
                    timestamps: (0..buckets)
                        .rev()
                        .map(|k| prost_types::Timestamp { seconds: (start + k * 3_600_000) / 1000, nanos: 0 })
                        .collect(),
                    values: values.into_iter().rev().collect(),
                    status_code: "Complete".to_owned(),
                    messages: vec![],
                });
            }
        }
        Ok(Response::new(GetMetricDataResponse { metric_data_results: results, ..GetMetricDataResponse::default() }))
    }

    async fn list_metrics(&self, _: Request<ListMetricsRequest>) -> Result<Response<ListMetricsResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn flush(&self, req: Request<FlushRequest>) -> Result<Response<FlushResponse>, Status> {
        assert!(req.into_inner().compact);
        let n = self.stored.lock().unwrap().len() as u64;
        Ok(Response::new(FlushResponse { samples_sealed: n, blocks: 1, block_bytes: n, samples_on_disk: n }))
    }
}

async fn start_fake() -> (String, std::sync::Arc<Fake>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = std::sync::Arc::new(Fake::default());
    let svc = MetricsServiceServer::from_arc(fake.clone());
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(svc)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .unwrap();
    });
    (format!("http://{addr}"), fake)
}

fn config(target: Target, endpoint: &str, form: Form) -> IngestConfig {
    IngestConfig {
        target,
        endpoint: endpoint.to_owned(),
        namespace: "Benchmark/CPU".to_owned(),
        streams: 3,
        form,
        progress: false,
        request_timeout: std::time::Duration::from_secs(60),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingests_every_sample_retrying_throttled_requests() {
    let (endpoint, fake) = start_fake().await;
    let w = Workload::new(15, 1, Shape::Round2, 3, END);
    let s = ingest::ingest(w, config(Target::Stratus, &endpoint, Form::Bulk)).await.unwrap();
    assert_eq!(s.samples_acked, w.total_samples());
    assert_eq!(s.errors, 0);
    assert_eq!(s.requests, 2 * 2); // 2 phases × 2 batches (10 + 5 hosts)
    assert!(s.retries >= 1, "every third call was throttled");
    assert!(s.latency_ms.max >= s.latency_ms.p50);
    let stored = fake.stored.lock().unwrap();
    assert_eq!(stored.len() as u64, w.total_samples());
    // Spot-check a value against the generator.
    let phase = w.phases().next().unwrap();
    let chunk = &phase.batches[1].series[7];
    let key = (chunk.field_name().to_owned(), format!("host_{}", chunk.host), phase.batches[1].start_ms + 30_000);
    assert_eq!(stored[&key], chunk.values[3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datums_form_splits_at_1000() {
    let (endpoint, fake) = start_fake().await;
    let w = Workload::new(10, 1, Shape::Tsbs, 3, END);
    let s = ingest::ingest(w, config(Target::Stratus, &endpoint, Form::Datums)).await.unwrap();
    assert_eq!(s.samples_acked, w.total_samples());
    assert_eq!(s.requests, 36);
    assert_eq!(fake.max_datums.load(Ordering::Relaxed), 1000);
    assert_eq!(fake.stored.lock().unwrap().len() as u64, w.total_samples());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_on_a_rejected_request() {
    let (endpoint, _) = start_fake().await;
    let w = Workload::new(10, 1, Shape::Tsbs, 3, END);
    let mut cfg = config(Target::Stratus, &endpoint, Form::Bulk);
    cfg.namespace = "Other".to_owned();
    let s = ingest::ingest(w, cfg).await.unwrap();
    assert!(s.errors >= 1);
    assert!(s.first_error.unwrap().contains("MissingParameter"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q1_and_flush_against_stratus() {
    let (endpoint, _) = start_fake().await;
    let w = Workload::new(10, 2, Shape::Tsbs, 3, END);
    let mut c = stratus::StratusConn::connect(&endpoint).await.unwrap();
    for win in w.q1_windows(1, 3) {
        assert_eq!(c.q1("Benchmark/CPU", &w.host(win.host), &win).await.unwrap().len(), 60);
    }
    let v = c.flush(true).await.unwrap();
    assert_eq!(v["blocks"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vm_import_posts_json_lines() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let lines = std::sync::Arc::new(AtomicU64::new(0));
    let counter = lines.clone();
    tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut r = BufReader::new(sock);
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap() == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.strip_prefix("Content-Length: ") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    r.read_exact(&mut body).await.unwrap();
                    counter.fetch_add(body.iter().filter(|b| **b == b'\n').count() as u64, Ordering::Relaxed);
                    r.get_mut().write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.unwrap();
                }
            });
        }
    });
    let w = Workload::new(20, 1, Shape::Float, 3, END);
    let s = ingest::ingest(w, config(Target::Vm, &format!("http://{addr}"), Form::Bulk)).await.unwrap();
    assert_eq!(s.samples_acked, w.total_samples());
    assert_eq!(s.requests, 4);
    assert_eq!(lines.load(Ordering::Relaxed), 2 * 200); // one line per series per phase
}

fn query_args(endpoint: &str, w: &Workload, queries: &[QueryKind]) -> QueryArgs {
    QueryArgs {
        workload: WorkloadArgs {
            target: Target::Stratus,
            endpoint: endpoint.to_owned(),
            hosts: w.host_count(),
            hours: (w.points_per_series() / 360) as u32,
            seed: w.seed(),
            end_ms: Some(w.end_ms()),
            namespace: "Benchmark/CPU".to_owned(),
        },
        runs: 3,
        warmups: 1,
        query_seed: 42,
        shape: w.shape(),
        no_verify: false,
        queries: queries.to_vec(),
        forms: vec![query::Form::Insights, query::Form::Search],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q2_to_q4_against_a_fake_stratus_verify_and_catch_wrong_answers() {
    let (endpoint, fake) = start_fake().await;
    let w = Workload::new(12, 13, Shape::Round2, 4, END);
    let s = ingest::ingest(w, config(Target::Stratus, &endpoint, Form::Bulk)).await.unwrap();
    assert_eq!(s.samples_acked, w.total_samples());
    let qs = [QueryKind::Q2, QueryKind::Q3, QueryKind::Q4];
    query::run(query_args(&endpoint, &w, &qs)).await.unwrap();
    fake.corrupt.store(true, Ordering::Relaxed);
    let err = query::run(query_args(&endpoint, &w, &[QueryKind::Q2])).await.unwrap_err().to_string();
    assert!(err.contains("q2 MetricStat: wrong answer for host_"), "{err}");
    // Averages tolerate an ulp.
    query::run(query_args(&endpoint, &w, &[QueryKind::Q3, QueryKind::Q4])).await.unwrap();
}
