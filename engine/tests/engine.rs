//! The embedding API end to end: all datum forms, units, out-of-order and duplicate samples,
//! through head, seal, compaction and reopen, with answers computed independently here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stratus_engine::{
    DatumValue, Dimension, DimensionFilter, Engine, EngineConfig, Error, InvalidCode, ListMetricsQuery, ManualClock,
    MetricDatum, MetricKey, PutMetricData, RealFs, Resolution, SeriesBatch, Statistic, StatisticSet, StatisticsQuery,
    Tenant, Unit,
};

const NOW: i64 = 1_900_000_020_000 - 1_900_000_020_000 % 3_600_000; // hour-aligned

fn open(dir: &Path, clock: &Arc<ManualClock>) -> Engine {
    let cfg = EngineConfig { maintenance_interval: Duration::from_secs(3600), ..EngineConfig::default() };
    Engine::open_with(Arc::new(RealFs), clock.clone(), dir, cfg).unwrap()
}

fn key() -> MetricKey {
    MetricKey::new("App/Web", "Latency", vec![Dimension::new("host", "a"), Dimension::new("az", "1")])
}

fn datum(t: i64, value: DatumValue, unit: Unit) -> MetricDatum {
    MetricDatum {
        metric_name: "Latency".into(),
        // Reversed order on purpose: identity is order-insensitive.
        dimensions: vec![Dimension::new("az", "1"), Dimension::new("host", "a")],
        timestamp_ms: Some(t),
        value,
        unit,
        resolution: Resolution::High,
    }
}

fn stats(engine: &Engine, start: i64, end: i64, period: i64, unit: Option<Unit>) -> Vec<stratus_engine::Datapoint> {
    engine
        .get_metric_statistics(
            &Tenant::default(),
            &StatisticsQuery {
                key: key(),
                start_ms: start,
                end_ms: end,
                period_s: period,
                statistics: Statistic::ALL.to_vec(),
                extended_statistics: Vec::new(),
                unit,
            },
        )
        .unwrap()
        .datapoints
}

/// Reference aggregation over (t, value, weight) triples, written independently of the engine.
fn expect(obs: &[(i64, f64, f64)], start: i64, period_ms: i64) -> Vec<(i64, f64, f64, f64, f64)> {
    let mut buckets: std::collections::BTreeMap<i64, Vec<(f64, f64)>> = Default::default();
    for &(t, v, w) in obs {
        buckets.entry(start + (t - start) / period_ms * period_ms).or_default().push((v, w));
    }
    buckets
        .into_iter()
        .map(|(t, vs)| {
            let n: f64 = vs.iter().map(|x| x.1).sum();
            let s: f64 = vs.iter().map(|x| x.0 * x.1).sum();
            let mn = vs.iter().map(|x| x.0).fold(f64::INFINITY, f64::min);
            let mx = vs.iter().map(|x| x.0).fold(f64::NEG_INFINITY, f64::max);
            (t, n, s, mn, mx)
        })
        .collect()
}

fn check(engine: &Engine, obs: &[(i64, f64, f64)], what: &str) {
    let start = NOW - 3_600_000;
    let got = stats(engine, start, NOW, 60, Some(Unit::Milliseconds));
    let want = expect(obs, start, 60_000);
    assert_eq!(got.len(), want.len(), "{what}: datapoint count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.timestamp_ms, w.0, "{what}");
        assert_eq!(g.sample_count, Some(w.1), "{what} at {}", w.0);
        assert!((g.sum.unwrap() - w.2).abs() < 1e-9, "{what} sum at {}", w.0);
        assert!((g.average.unwrap() - w.2 / w.1).abs() < 1e-9, "{what} avg");
        assert_eq!(g.minimum, Some(w.3), "{what}");
        assert_eq!(g.maximum, Some(w.4), "{what}");
    }
}

#[test]
fn all_forms_survive_seal_compaction_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = open(dir.path(), &clock);
    let tenant = Tenant::default();
    let mut obs: Vec<(i64, f64, f64)> = Vec::new();
    fn put_into(obs: &mut Vec<(i64, f64, f64)>, engine: &Engine, data: Vec<MetricDatum>, add: Vec<(i64, f64, f64)>) {
        let r = engine
            .put_metric_data(
                &Tenant::default(),
                &PutMetricData { namespace: "App/Web".into(), metric_data: data, series: vec![] },
            )
            .unwrap();
        r.ticket.wait().unwrap();
        obs.extend(add);
    }
    let _ = &tenant;
    // Out of order and duplicate timestamps, sub-second precision (stored at 1 s).
    let base = NOW - 1_800_000;
    let mut data = Vec::new();
    let mut add = Vec::new();
    for i in (0..500).rev() {
        let t = base + (i % 250) * 7_000 + 123;
        let v = (i as f64 * 1.37).sin() * 100.0;
        data.push(datum(t, DatumValue::Single(v), Unit::Milliseconds));
        add.push((t - 123, v, 1.0));
    }
    for chunk in data.chunks(400) {
        put_into(&mut obs, &engine, chunk.to_vec(), Vec::new());
    }
    obs.extend(add);
    put_into(
        &mut obs,
        &engine,
        vec![datum(
            base + 61_000,
            DatumValue::Values { values: vec![1.0, 2.0, 50.0], counts: vec![3.0, 1.0, 2.0] },
            Unit::Milliseconds,
        )],
        vec![(base + 61_000, 1.0, 3.0), (base + 61_000, 2.0, 1.0), (base + 61_000, 50.0, 2.0)],
    );
    put_into(
        &mut obs,
        &engine,
        vec![datum(base + 122_000, DatumValue::Values { values: vec![7.0, 8.0], counts: vec![] }, Unit::Milliseconds)],
        vec![(base + 122_000, 7.0, 1.0), (base + 122_000, 8.0, 1.0)],
    );
    // A statistic set: equivalent to observations whose count/sum/min/max these are.
    put_into(
        &mut obs,
        &engine,
        vec![datum(
            base + 200_000,
            DatumValue::StatisticSet(StatisticSet { sample_count: 4.0, sum: 40.0, minimum: -5.0, maximum: 25.0 }),
            Unit::Milliseconds,
        )],
        vec![(base + 200_000, -5.0, 1.0), (base + 200_000, 25.0, 1.0), (base + 200_000, 10.0, 2.0)],
    );
    // Another unit never mixes in.
    put_into(&mut obs, &engine, vec![datum(base, DatumValue::Single(1e6), Unit::Count)], vec![]);
    check(&engine, &obs, "head");

    // Both units without a Unit filter: one datapoint per unit per period.
    let all = stats(&engine, base, base + 60_000, 60, None);
    let units: Vec<Unit> = all.iter().map(|d| d.unit).collect();
    assert_eq!(
        units,
        vec![Unit::Milliseconds, Unit::Count]
            .into_iter()
            .filter(|u| all.iter().any(|d| d.unit == *u))
            .collect::<Vec<_>>()
    );
    assert!(all.iter().any(|d| d.unit == Unit::Count && d.maximum == Some(1e6)));

    let r = engine.flush(false).unwrap();
    assert!(r.samples_sealed > 500);
    check(&engine, &obs, "one block");
    // More data after the seal, then a second block and a compaction.
    let late = datum(base + 5_000, DatumValue::Single(-1.0), Unit::Milliseconds);
    put_into(&mut obs, &engine, vec![late], vec![(base + 5_000, -1.0, 1.0)]);
    check(&engine, &obs, "block + head");
    engine.flush(true).unwrap();
    assert_eq!(engine.stats().blocks, 1);
    check(&engine, &obs, "compacted");
    put_into(
        &mut obs,
        &engine,
        vec![datum(base + 9_000, DatumValue::Single(3.0), Unit::Milliseconds)],
        vec![(base + 9_000, 3.0, 1.0)],
    );
    engine.close().unwrap();
    drop(engine);

    let engine = open(dir.path(), &clock);
    check(&engine, &obs, "reopened (block + WAL replay)");
    engine.close().unwrap();
}

#[test]
fn bulk_series_and_list_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = open(dir.path(), &clock);
    let tenant = Tenant::default();
    let mut series = Vec::new();
    for h in 0..7 {
        series.push(SeriesBatch {
            metric_name: "cpu".into(),
            dimensions: vec![Dimension::new("host", format!("h{h}")), Dimension::new("dc", "x")],
            unit: Unit::Percent,
            resolution: Resolution::High,
            timestamps_ms: (0..30).map(|i| NOW - 600_000 + i * 10_000).collect(),
            values: (0..30).map(f64::from).collect(),
        });
    }
    let req = PutMetricData { namespace: "Bench".into(), metric_data: vec![], series };
    let r = engine.put_metric_data(&tenant, &req).unwrap();
    assert_eq!(r.samples, 210);
    r.ticket.wait().unwrap();

    let list = |q: ListMetricsQuery| engine.list_metrics(&tenant, &q).unwrap();
    let all = list(ListMetricsQuery { namespace: Some("Bench".into()), ..Default::default() });
    assert_eq!(all.metrics.len(), 7);
    assert!(all.next_token.is_none());
    let one = list(ListMetricsQuery {
        dimensions: vec![DimensionFilter { name: "host".into(), value: Some("h3".into()) }],
        ..Default::default()
    });
    assert_eq!(one.metrics.len(), 1);
    let by_name = list(ListMetricsQuery {
        dimensions: vec![DimensionFilter { name: "dc".into(), value: None }],
        metric_name: Some("cpu".into()),
        recently_active: true,
        ..Default::default()
    });
    assert_eq!(by_name.metrics.len(), 7);
    assert!(list(ListMetricsQuery { namespace: Some("Other".into()), ..Default::default() }).metrics.is_empty());
    // Another tenant sees nothing.
    let other = Tenant::new("111111111111", "eu-west-1");
    assert!(engine.list_metrics(&other, &ListMetricsQuery::default()).unwrap().metrics.is_empty());
    let bad = engine.list_metrics(&tenant, &ListMetricsQuery { next_token: Some("zz".into()), ..Default::default() });
    assert!(matches!(bad, Err(Error::InvalidArgument { code: InvalidCode::InvalidParameterValue, .. })));
    engine.close().unwrap();
}

#[test]
fn list_metrics_pages_of_500() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = open(dir.path(), &clock);
    let tenant = Tenant::default();
    let data: Vec<MetricDatum> = (0..1000)
        .map(|i| MetricDatum {
            metric_name: format!("m{i:04}"),
            dimensions: vec![],
            timestamp_ms: Some(NOW),
            value: DatumValue::Single(1.0),
            unit: Unit::None,
            resolution: Resolution::Standard,
        })
        .collect();
    let mut req = PutMetricData { namespace: "N".into(), metric_data: data, series: vec![] };
    engine.put_metric_data(&tenant, &req).unwrap().ticket.wait().unwrap();
    req.metric_data.truncate(200);
    for d in &mut req.metric_data {
        d.metric_name.push('x');
    }
    engine.put_metric_data(&tenant, &req).unwrap().ticket.wait().unwrap();
    let mut seen = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let page = engine.list_metrics(&tenant, &ListMetricsQuery { next_token: token, ..Default::default() }).unwrap();
        assert!(page.metrics.len() <= 500);
        seen.extend(page.metrics);
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 1200);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "stable, duplicate-free order");
}

#[test]
fn rejected_requests_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = open(dir.path(), &clock);
    let tenant = Tenant::default();
    let good = datum(NOW - 60_000, DatumValue::Single(1.0), Unit::Milliseconds);
    let cases: Vec<(MetricDatum, InvalidCode, &str)> = vec![
        (
            datum(NOW - 60_000, DatumValue::Single(f64::NAN), Unit::Milliseconds),
            InvalidCode::InvalidParameterValue,
            "MetricData.member.2.Value",
        ),
        (
            datum(NOW - 15 * 86_400_000, DatumValue::Single(1.0), Unit::Milliseconds),
            InvalidCode::InvalidParameterValue,
            "MetricData.member.2.Timestamp",
        ),
        (
            datum(NOW + 3 * 3_600_000, DatumValue::Single(1.0), Unit::Milliseconds),
            InvalidCode::InvalidParameterValue,
            "MetricData.member.2.Timestamp",
        ),
        (
            datum(NOW, DatumValue::Values { values: vec![1.0], counts: vec![1.0, 2.0] }, Unit::None),
            InvalidCode::InvalidParameterValue,
            "MetricData.member.2.Counts",
        ),
        (
            MetricDatum { metric_name: String::new(), ..good.clone() },
            InvalidCode::MissingParameter,
            "MetricData.member.2.MetricName",
        ),
    ];
    for (bad, code, field) in cases {
        let req = PutMetricData { namespace: "App/Web".into(), metric_data: vec![good.clone(), bad], series: vec![] };
        match engine.put_metric_data(&tenant, &req) {
            Err(Error::InvalidArgument { code: c, message }) => {
                assert_eq!(c, code, "{message}");
                assert!(message.contains(field), "{message} should name {field}");
            }
            other => panic!("expected rejection, got {other:?}"),
        }
    }
    let aws = PutMetricData { namespace: "AWS/EC2".into(), metric_data: vec![good], series: vec![] };
    assert!(engine.put_metric_data(&tenant, &aws).is_err());
    assert!(stats(&engine, NOW - 3_600_000, NOW, 60, None).is_empty(), "nothing of a rejected request is stored");
    assert_eq!(engine.stats().samples_appended, 0);
}

#[test]
fn overload_is_throttling_not_memory_growth() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let cfg = EngineConfig {
        head_max_samples: 100,
        max_pending_samples: 100,
        maintenance_interval: Duration::from_secs(3600),
        ..EngineConfig::default()
    };
    let engine = Engine::open_with(Arc::new(RealFs), clock.clone(), dir.path(), cfg).unwrap();
    let tenant = Tenant::default();
    let batch = |n: i64| PutMetricData {
        namespace: "N".into(),
        metric_data: vec![],
        series: vec![SeriesBatch {
            metric_name: "m".into(),
            dimensions: vec![],
            unit: Unit::None,
            resolution: Resolution::High,
            timestamps_ms: (0..n).map(|i| NOW - i * 1000).collect(),
            values: vec![1.0; n as usize],
        }],
    };
    engine.put_metric_data(&tenant, &batch(80)).unwrap().ticket.wait().unwrap();
    assert!(matches!(engine.put_metric_data(&tenant, &batch(30)), Err(Error::Throttled(_))));
    engine.flush(false).unwrap();
    engine.put_metric_data(&tenant, &batch(30)).unwrap().ticket.wait().unwrap();
}

/// A full-precision value for (stream, sample), deterministic and spread over all mantissa bits.
fn noisy(stream: u64, j: u64) -> f64 {
    let mut x = stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ j.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64 * 1000.0 - 200.0
}

#[test]
fn compaction_of_megabytes_reads_back_bit_exact() {
    // Two blocks of a few MiB each (full-precision floats): large enough that compaction
    // releases consumed input pages several times while it merges them.
    const STREAMS: u64 = 200;
    const SAMPLES: u64 = 4000;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = open(dir.path(), &clock);
    let t = |j: u64| NOW - 6 * 3_600_000 + j as i64 * 5_000;
    let metric = |s: u64| MetricKey::new("Big", "m", vec![Dimension::new("host", format!("h{s}"))]);
    for half in [0..SAMPLES / 2, SAMPLES / 2..SAMPLES] {
        let series = (0..STREAMS)
            .map(|s| SeriesBatch {
                metric_name: "m".into(),
                dimensions: metric(s).dimensions,
                unit: Unit::None,
                resolution: Resolution::High,
                timestamps_ms: half.clone().map(t).collect(),
                values: half.clone().map(|j| noisy(s, j)).collect(),
            })
            .collect();
        let req = PutMetricData { namespace: "Big".into(), metric_data: vec![], series };
        engine.put_metric_data(&Tenant::default(), &req).unwrap().ticket.wait().unwrap();
        engine.flush(false).unwrap();
    }
    assert_eq!(engine.stats().blocks, 2);
    let before = engine.flush(true).unwrap();
    assert_eq!((before.blocks, before.samples_on_disk), (1, STREAMS * SAMPLES));
    assert!(before.block_bytes > 4 << 20, "{before:?}");
    for s in 0..STREAMS {
        let q = StatisticsQuery {
            key: metric(s),
            start_ms: t(0),
            end_ms: t(SAMPLES),
            period_s: 60,
            statistics: vec![Statistic::SampleCount, Statistic::Minimum, Statistic::Maximum],
            extended_statistics: Vec::new(),
            unit: None,
        };
        let got = engine.get_metric_statistics(&Tenant::default(), &q).unwrap().datapoints;
        let mut want: std::collections::BTreeMap<i64, (f64, f64, f64)> = Default::default();
        for j in 0..SAMPLES {
            let v = noisy(s, j);
            let b = want.entry(t(j) - (t(j) - t(0)).rem_euclid(60_000)).or_insert((0.0, f64::MAX, f64::MIN));
            *b = (b.0 + 1.0, b.1.min(v), b.2.max(v));
        }
        let got: Vec<_> = got
            .iter()
            .map(|d| (d.timestamp_ms, (d.sample_count.unwrap(), d.minimum.unwrap(), d.maximum.unwrap())))
            .collect();
        let want: Vec<_> = want.into_iter().collect();
        assert_eq!(got.len(), want.len(), "stream {s}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.0);
            assert_eq!(
                (g.1.0, g.1.1.to_bits(), g.1.2.to_bits()),
                (w.1.0, w.1.1.to_bits(), w.1.2.to_bits()),
                "stream {s}"
            );
        }
    }
}

#[test]
fn a_locked_data_directory_is_refused_until_closed() {
    let dir = tempfile::tempdir().unwrap();
    let first = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let err = Engine::open(dir.path(), EngineConfig::default()).expect_err("second open of a locked directory");
    assert!(err.to_string().contains("in use by another process"), "{err}");
    first.close().unwrap();
    drop(first);
    let again = Engine::open(dir.path(), EngineConfig::default()).expect("reopen after close");
    again.close().unwrap();
}
