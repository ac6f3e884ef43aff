//! Turns generator [`Batch`]es into ready-to-send request bodies: Stratus `PutMetricData`
//! (bulk `SeriesBatch` form or CloudWatch-shaped `MetricDatum`s) and VictoriaMetrics JSON lines.
//! Bodies are encoded ahead of sending (on the producer thread) so the send loop only moves bytes.

use std::fmt::Write as _;

use prost::Message as _;
use stratus_bench::{Batch, FIELDS, Host};
use stratus_proto::v1::{Dimension, MetricDatum, PutMetricDataRequest, SeriesBatch};
use tonic::codegen::Bytes;

/// CloudWatch's limit on datums per PutMetricData request.
pub(crate) const MAX_DATUMS_PER_REQUEST: usize = 1_000;
/// Unit sent with every sample.
pub(crate) const UNIT: &str = "Percent";
/// High resolution, so Stratus keeps every raw sample like the peers do.
pub(crate) const STORAGE_RESOLUTION: i32 = 1;

/// One request body and the samples it carries.
#[derive(Clone, Debug)]
pub(crate) struct Payload {
    pub(crate) body: Bytes,
    pub(crate) samples: u64,
}

/// How the Stratus request carries samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Form {
    /// One `SeriesBatch` per (host, field): identity once, parallel timestamp/value arrays.
    Bulk,
    /// One CloudWatch `MetricDatum` per sample, full identity each, ≤ 1,000 per request.
    Datums,
}

impl Form {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Form::Bulk => "bulk",
            Form::Datums => "datums",
        }
    }
}

/// Encoders for one workload, with per-host identities precomputed.
#[derive(Debug)]
pub(crate) struct Encoder {
    namespace: String,
    dimensions: Vec<Vec<Dimension>>,
    /// Per host: `"hostname":"host_0",...` (the JSON label pairs after `__name__`).
    vm_labels: Vec<String>,
}

impl Encoder {
    pub(crate) fn new(namespace: &str, hosts: &[Host]) -> Self {
        let dimensions = hosts
            .iter()
            .map(|h| h.dimensions().map(|(n, v)| Dimension { name: n.to_owned(), value: v.to_owned() }).collect())
            .collect();
        let vm_labels = hosts
            .iter()
            .map(|h| {
                let mut s = String::new();
                for (n, v) in h.dimensions() {
                    let _ = write!(s, ",{}:{}", json_string(n), json_string(v));
                }
                s
            })
            .collect();
        Encoder { namespace: namespace.to_owned(), dimensions, vm_labels }
    }

    /// The Stratus request(s) for one batch.
    pub(crate) fn stratus(&self, batch: &Batch, form: Form) -> Vec<Payload> {
        match form {
            Form::Bulk => vec![self.stratus_bulk(batch)],
            Form::Datums => self.stratus_datums(batch),
        }
    }

    fn stratus_bulk(&self, batch: &Batch) -> Payload {
        let series = batch
            .series
            .iter()
            .map(|s| SeriesBatch {
                metric_name: s.field_name().to_owned(),
                dimensions: self.dimensions[s.host].clone(),
                unit: UNIT.to_owned(),
                storage_resolution: STORAGE_RESOLUTION,
                timestamps_ms: (0..s.values.len()).map(|i| batch.timestamp_ms(i)).collect(),
                values: s.values.clone(),
            })
            .collect();
        let req = PutMetricDataRequest { namespace: self.namespace.clone(), metric_data: Vec::new(), series };
        Payload { body: Bytes::from(req.encode_to_vec()), samples: batch.samples() }
    }

    fn stratus_datums(&self, batch: &Batch) -> Vec<Payload> {
        let datums = batch.series.iter().flat_map(|s| {
            s.values.iter().enumerate().map(move |(i, v)| MetricDatum {
                metric_name: s.field_name().to_owned(),
                dimensions: self.dimensions[s.host].clone(),
                timestamp: Some(timestamp(batch.timestamp_ms(i))),
                value: Some(*v),
                statistic_values: None,
                values: Vec::new(),
                counts: Vec::new(),
                unit: UNIT.to_owned(),
                storage_resolution: STORAGE_RESOLUTION,
            })
        });
        let mut out = Vec::new();
        let mut chunk = Vec::with_capacity(MAX_DATUMS_PER_REQUEST);
        let mut flush = |chunk: &mut Vec<MetricDatum>| {
            let samples = chunk.len() as u64;
            let req = PutMetricDataRequest {
                namespace: self.namespace.clone(),
                metric_data: std::mem::take(chunk),
                series: Vec::new(),
            };
            out.push(Payload { body: Bytes::from(req.encode_to_vec()), samples });
        };
        for d in datums {
            chunk.push(d);
            if chunk.len() == MAX_DATUMS_PER_REQUEST {
                flush(&mut chunk);
            }
        }
        if !chunk.is_empty() {
            flush(&mut chunk);
        }
        out
    }

    /// The VictoriaMetrics `/api/v1/import` body for one batch: JSON lines, one series per line,
    /// metric `cpu_<field>`, labels = the 10 host tags.
    pub(crate) fn vm_json_lines(&self, batch: &Batch) -> Payload {
        let mut s = String::with_capacity(batch.samples() as usize * 24 + batch.series.len() * 300);
        for chunk in &batch.series {
            let _ = write!(
                s,
                "{{\"metric\":{{\"__name__\":\"cpu_{}\"{}}},\"values\":[",
                chunk.field_name(),
                self.vm_labels[chunk.host]
            );
            for (i, v) in chunk.values.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                // Rust's shortest round-trip formatting, never exponent notation: valid JSON.
                let _ = write!(s, "{v}");
            }
            s.push_str("],\"timestamps\":[");
            for i in 0..chunk.values.len() {
                if i > 0 {
                    s.push(',');
                }
                let _ = write!(s, "{}", batch.timestamp_ms(i));
            }
            s.push_str("]}\n");
        }
        Payload { body: Bytes::from(s.into_bytes()), samples: batch.samples() }
    }
}

/// VictoriaMetrics' metric name for a field.
pub(crate) fn vm_metric_name(field: usize) -> String {
    format!("cpu_{}", FIELDS[field])
}

pub(crate) fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_bench::{Shape, Workload};

    fn first_batch(shape: Shape) -> (Workload, Batch) {
        let w = Workload::new(12, 1, shape, 1, 1_700_000_000_000);
        let batch = w.phases().next().unwrap().batches.remove(0);
        (w, batch)
    }

    #[test]
    fn bulk_carries_identity_once_per_series() {
        let (w, batch) = first_batch(Shape::Round2);
        let enc = Encoder::new("Benchmark/CPU", &w.hosts());
        let p = enc.stratus(&batch, Form::Bulk);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].samples, 18_000);
        let req = PutMetricDataRequest::decode(p[0].body.clone()).unwrap();
        assert_eq!(req.namespace, "Benchmark/CPU");
        assert_eq!(req.series.len(), 100);
        let s = &req.series[13];
        assert_eq!(s.metric_name, "usage_nice");
        assert_eq!(s.dimensions.len(), 10);
        assert_eq!(s.dimensions[0].value, "host_1");
        assert_eq!(s.storage_resolution, 1);
        assert_eq!(s.timestamps_ms.len(), 180);
        assert_eq!(s.timestamps_ms[1] - s.timestamps_ms[0], 10_000);
        assert_eq!(s.values, batch.series[13].values);
    }

    #[test]
    fn datums_respect_the_request_limit() {
        let (w, batch) = first_batch(Shape::Tsbs);
        let enc = Encoder::new("Benchmark/CPU", &w.hosts());
        let p = enc.stratus(&batch, Form::Datums);
        assert_eq!(p.len(), 18);
        assert_eq!(p.iter().map(|p| p.samples).sum::<u64>(), 18_000);
        let req = PutMetricDataRequest::decode(p[1].body.clone()).unwrap();
        assert_eq!(req.metric_data.len(), 1_000);
        assert!(p.iter().all(|p| p.body.len() < 1_000_000), "CloudWatch's 1 MB limit");
        let d = &req.metric_data[0]; // sample 1000: series 5 (host 0, usage_irq), point 100
        assert_eq!(d.metric_name, "usage_irq");
        assert_eq!(d.value, Some(batch.series[5].values[100]));
        assert_eq!(d.timestamp, Some(timestamp(batch.timestamp_ms(100))));
        assert_eq!(d.dimensions.len(), 10);
        assert_eq!(d.storage_resolution, 1);
    }

    #[test]
    fn vm_lines_are_json_with_the_same_data() {
        let (w, batch) = first_batch(Shape::Float);
        let enc = Encoder::new("Benchmark/CPU", &w.hosts());
        let p = enc.vm_json_lines(&batch);
        assert_eq!(p.samples, 18_000);
        let text = std::str::from_utf8(&p.body).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 100);
        let v: serde_json::Value = serde_json::from_str(lines[11]).unwrap();
        assert_eq!(v["metric"]["__name__"], vm_metric_name(1));
        assert_eq!(v["metric"]["hostname"], "host_1");
        assert_eq!(v["metric"].as_object().unwrap().len(), 11);
        let values: Vec<f64> = v["values"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert_eq!(values, batch.series[11].values, "float values round-trip exactly");
        assert_eq!(v["timestamps"][0], batch.start_ms);
    }
}
