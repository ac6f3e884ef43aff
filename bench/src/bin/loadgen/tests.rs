//! End-to-end tests of the runner against an in-process fake Stratus gRPC service (which throttles
//! some requests) and a fake VictoriaMetrics import endpoint.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use stratus_bench::{Shape, Workload};
use stratus_proto::v1::metrics_service_server::{MetricsService, MetricsServiceServer};
use stratus_proto::v1::{
    Datapoint, FlushRequest, FlushResponse, GetMetricStatisticsRequest, GetMetricStatisticsResponse,
    ListMetricsRequest, ListMetricsResponse, PutMetricDataRequest, PutMetricDataResponse,
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
