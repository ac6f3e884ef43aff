//! Bytes per sample on disk after a full flush + compaction, engine only (no server, no
//! network): ingests the TSBS cpu-only set (default 100 hosts × 24 h) for each value shape,
//! flushes with compaction, prints block bytes ÷ samples and checks a few series read back.
//!
//! Run: `cargo run --release -p stratus-bench --example block_bytes [-- HOSTS HOURS [SHAPES]]`

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use stratus_bench::{FIELDS, Shape, Workload};
use stratus_engine::{
    Dimension, Durability, Engine, EngineConfig, MetricKey, PutMetricData, Resolution, SeriesBatch, Statistic,
    StatisticsQuery, Tenant, Unit,
};

const NAMESPACE: &str = "Benchmark/CPU";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hosts: usize = args.first().map_or(100, |s| s.parse().expect("hosts"));
    let hours: u32 = args.get(1).map_or(24, |s| s.parse().expect("hours"));
    let shapes: Vec<Shape> = match args.get(2) {
        Some(s) => s.split(',').map(|x| x.parse().expect("shape")).collect(),
        None => Shape::ALL.to_vec(),
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as i64;
    for shape in shapes {
        let w = Workload::new(hosts, hours, shape, 1, now);
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = EngineConfig {
            durability: Durability::Interval(Duration::from_secs(1)),
            raw_retention: None,
            maintenance_interval: Duration::from_secs(3600),
            ..EngineConfig::default()
        };
        let engine = Engine::open(dir.path(), cfg).expect("open");
        let host_dims: Vec<Vec<Dimension>> =
            w.hosts().iter().map(|h| h.dimensions().map(|(n, v)| Dimension::new(n, v)).collect()).collect();
        for phase in w.phases() {
            for batch in &phase.batches {
                let series = batch
                    .series
                    .iter()
                    .map(|s| SeriesBatch {
                        metric_name: s.field_name().to_owned(),
                        dimensions: host_dims[s.host].clone(),
                        unit: Unit::Percent,
                        resolution: Resolution::High,
                        timestamps_ms: (0..s.values.len()).map(|i| batch.timestamp_ms(i)).collect(),
                        values: s.values.clone(),
                    })
                    .collect();
                let req = PutMetricData { namespace: NAMESPACE.into(), metric_data: vec![], series };
                engine.put_metric_data(&Tenant::default(), &req).expect("put").ticket.wait().expect("durable");
            }
        }
        let report = engine.flush(true).expect("flush");
        assert_eq!(report.samples_on_disk, w.total_samples());
        // Read back a few series: the maximum of every hour must be the generator's, bit for bit.
        for (host, field) in [(0, 0), (hosts / 2, 3), (hosts - 1, FIELDS.len() - 1)] {
            let values = w.series_values(host, field);
            let q = StatisticsQuery {
                key: MetricKey::new(NAMESPACE, FIELDS[field], host_dims[host].clone()),
                start_ms: w.start_ms() - w.start_ms().rem_euclid(3_600_000),
                end_ms: w.end_ms() + 3_600_000,
                period_s: 3600,
                statistics: vec![Statistic::Maximum, Statistic::SampleCount],
                extended_statistics: vec![],
                unit: None,
            };
            let r = engine.get_metric_statistics(&Tenant::default(), &q).expect("query");
            let mut seen = 0.0;
            for d in &r.datapoints {
                let idx = w.point_range(d.timestamp_ms, d.timestamp_ms + 3_600_000);
                let max = values[idx.clone()].iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert_eq!(d.maximum.expect("max").to_bits(), max.to_bits(), "host {host} field {field}");
                seen += d.sample_count.expect("count");
            }
            assert_eq!(seen as usize, values.len());
        }
        let index_bytes = index_bytes(&dir.path().join("blocks"));
        let n = report.samples_on_disk as f64;
        println!(
            "{:<7} samples {:>10}  blocks {}  block bytes {:>11}  bytes/sample {:.4}  (index {:.4}, rest {:.4})",
            shape.name(),
            report.samples_on_disk,
            report.blocks,
            report.block_bytes,
            report.block_bytes as f64 / n,
            index_bytes as f64 / n,
            (report.block_bytes - index_bytes) as f64 / n,
        );
        engine.close().expect("close");
    }
    // Peak resident set of this process (generator included; one shape per run to compare).
    if let Some(hwm) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
    {
        println!("{hwm}");
    }
}

/// Sum of the index sections of the block files in `dir` (footer: u64 index offset, u64 index
/// length; docs/format/block.md).
fn index_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).expect("blocks dir") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "blk") {
            let bytes = std::fs::read(&p).expect("read block");
            let f = &bytes[bytes.len() - 32..];
            total += u64::from_le_bytes(f[8..16].try_into().expect("8 bytes"));
        }
    }
    total
}
