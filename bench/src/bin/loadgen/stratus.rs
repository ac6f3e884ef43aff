//! The Stratus target: pre-encoded `PutMetricData` over a pass-through gRPC codec, q1 as
//! `GetMetricStatistics`, and the admin `Flush` rpc.

use std::time::Instant;

use anyhow::{Context, Result};
use prost::Message as _;
use stratus_bench::{FIELDS, Host, QueryWindow};
use stratus_proto::v1::metrics_service_client::MetricsServiceClient;
use stratus_proto::v1::{
    Dimension, FlushRequest, GetMetricDataRequest, GetMetricStatisticsRequest, MetricDataQuery, MetricDataResult,
    PutMetricDataResponse,
};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::Bytes;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::encode::timestamp;

const PUT_PATH: &str = "/stratus.v1.MetricsService/PutMetricData";

/// One gRPC connection (HTTP/2) to Stratus.
#[derive(Debug, Clone)]
pub(crate) struct StratusConn {
    grpc: tonic::client::Grpc<Channel>,
    channel: Channel,
}

/// Whether a failed call may be retried (the server throttled it).
pub(crate) fn is_throttled(status: &Status) -> bool {
    status.code() == Code::ResourceExhausted
}

impl StratusConn {
    /// Opens a dedicated connection (each stream gets its own).
    pub(crate) async fn connect(endpoint: &str) -> Result<Self> {
        let channel = Endpoint::from_shared(endpoint.to_owned())
            .with_context(|| format!("bad endpoint {endpoint:?}"))?
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("connecting to {endpoint}"))?;
        Ok(StratusConn { grpc: tonic::client::Grpc::new(channel.clone()), channel })
    }

    /// Sends one pre-encoded `PutMetricDataRequest`; returns `samples_accepted`.
    pub(crate) async fn put(&mut self, body: Bytes) -> Result<u64, Status> {
        self.grpc.ready().await.map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
        let resp: tonic::Response<PutMetricDataResponse> =
            self.grpc.unary(tonic::Request::new(body), PathAndQuery::from_static(PUT_PATH), RawCodec).await?;
        Ok(resp.into_inner().samples_accepted)
    }

    fn client(&self) -> MetricsServiceClient<Channel> {
        MetricsServiceClient::new(self.channel.clone())
    }

    /// q1: Maximum of usage_user for one host over the window, period 60. Returns the
    /// datapoints as (bucket start ms, Maximum).
    pub(crate) async fn q1(&mut self, namespace: &str, host: &Host, w: &QueryWindow) -> Result<Vec<(i64, f64)>> {
        let req = GetMetricStatisticsRequest {
            namespace: namespace.to_owned(),
            metric_name: FIELDS[0].to_owned(),
            dimensions: host.dimensions().map(|(n, v)| Dimension { name: n.to_owned(), value: v.to_owned() }).collect(),
            start_time: Some(timestamp(w.start_ms)),
            end_time: Some(timestamp(w.end_ms)),
            period: stratus_bench::Q1_PERIOD_S,
            statistics: vec!["Maximum".to_owned()],
            extended_statistics: vec![],
            unit: String::new(),
        };
        let resp = self.client().get_metric_statistics(req).await.context("GetMetricStatistics")?;
        resp.into_inner()
            .datapoints
            .iter()
            .map(|d| {
                let ts = d.timestamp.context("datapoint without timestamp")?;
                let max = d.maximum.context("datapoint without Maximum")?;
                Ok((ts.seconds * 1000 + i64::from(ts.nanos) / 1_000_000, max))
            })
            .collect()
    }

    /// One `GetMetricData` over the window (default `ScanBy`, default `MaxDatapoints`), following
    /// `NextToken` until the answer is complete; pages of one result are concatenated. Also
    /// returns every `Messages` entry (request-wide and per result) as `Code: Value`.
    pub(crate) async fn get_metric_data(
        &self,
        queries: Vec<MetricDataQuery>,
        w: &QueryWindow,
    ) -> Result<(Vec<MetricDataResult>, Vec<String>)> {
        let mut client = self.client();
        let mut results: Vec<MetricDataResult> = Vec::new();
        let mut messages = Vec::new();
        let mut next_token = String::new();
        loop {
            let req = GetMetricDataRequest {
                metric_data_queries: queries.clone(),
                start_time: Some(timestamp(w.start_ms)),
                end_time: Some(timestamp(w.end_ms)),
                next_token: std::mem::take(&mut next_token),
                scan_by: String::new(),
                max_datapoints: 0,
            };
            let resp = client.get_metric_data(req).await.context("GetMetricData")?.into_inner();
            messages.extend(resp.messages.iter().map(|m| format!("{}: {}", m.code, m.value)));
            for r in resp.metric_data_results {
                messages.extend(r.messages.iter().map(|m| format!("{} ({}): {}: {}", r.id, r.label, m.code, m.value)));
                match results.iter_mut().find(|x| x.id == r.id && x.label == r.label) {
                    Some(x) => {
                        x.timestamps.extend(r.timestamps);
                        x.values.extend(r.values);
                        x.status_code = r.status_code;
                    }
                    None => results.push(r),
                }
            }
            if resp.next_token.is_empty() {
                break;
            }
            next_token = resp.next_token;
        }
        Ok((results, messages))
    }

    /// Seals the head (and compacts if asked); returns the server's figures as JSON.
    pub(crate) async fn flush(&mut self, compact: bool) -> Result<serde_json::Value> {
        let started = Instant::now();
        let r = self.client().flush(FlushRequest { compact }).await.context("Flush")?.into_inner();
        Ok(serde_json::json!({
            "target": "stratus",
            "compact": compact,
            "samples_sealed": r.samples_sealed,
            "blocks": r.blocks,
            "block_bytes": r.block_bytes,
            "samples_on_disk": r.samples_on_disk,
            "flush_s": started.elapsed().as_secs_f64(),
        }))
    }
}

/// Sends pre-encoded protobuf bytes as the request; decodes the response with prost.
#[derive(Debug, Clone, Copy)]
struct RawCodec;

#[derive(Debug)]
struct RawEncoder;

#[derive(Debug)]
struct ResponseDecoder;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = PutMetricDataResponse;
    type Encoder = RawEncoder;
    type Decoder = ResponseDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> ResponseDecoder {
        ResponseDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.reserve(item.len());
        prost::bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl Decoder for ResponseDecoder {
    type Item = PutMetricDataResponse;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<PutMetricDataResponse>, Status> {
        PutMetricDataResponse::decode(src).map(Some).map_err(|e| Status::internal(format!("bad response: {e}")))
    }
}
