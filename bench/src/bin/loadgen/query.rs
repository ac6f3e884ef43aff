//! q1 (max of usage_user, one host, 1 h, 1-minute buckets): 2 warm-ups then 20 measured runs,
//! each on a seeded host/window; the median client round trip is reported. Every answer is
//! checked against the generator: Stratus must return exactly the maximum of each bucket
//! `[t, t+1m)` (it claims losslessness); VictoriaMetrics the maximum over `(t-1m, t]` within
//! 1e-9 relative (it keeps ~12 significant digits).

use std::time::Instant;

use anyhow::{Result, bail};
use serde::Serialize;
use stratus_bench::{QueryWindow, Workload};

use crate::ingest::{Latency, round3};
use crate::{QueryArgs, Target, stratus, vm};

#[derive(Debug, Serialize)]
struct QuerySummary {
    query: &'static str,
    target: &'static str,
    median_ms: f64,
    p90_ms: f64,
    min_ms: f64,
    max_ms: f64,
    runs: usize,
    warmups: usize,
    mean_points: f64,
    verified: bool,
}

pub(crate) async fn run(a: QueryArgs) -> Result<()> {
    let workload = a.workload.workload(a.shape);
    let windows = workload.q1_windows(a.query_seed, a.warmups + a.runs);
    if windows.is_empty() || a.runs == 0 {
        bail!("q1 needs at least one host, one hour of data and one run");
    }
    let target = a.workload.target;
    let endpoint = &a.workload.endpoint;
    let mut stratus_conn = None;
    let mut vm_conn = None;
    match target {
        Target::Stratus => stratus_conn = Some(stratus::StratusConn::connect(endpoint).await?),
        Target::Vm => vm_conn = Some(vm::VmConn::new(endpoint)?),
    }
    let mut times = Vec::with_capacity(a.runs);
    let mut points = 0usize;
    for (i, w) in windows.iter().enumerate() {
        let host = workload.host(w.host);
        let t0 = Instant::now();
        let answer = match (&mut stratus_conn, &mut vm_conn) {
            (Some(c), _) => c.q1(&a.workload.namespace, &host, w).await?,
            (_, Some(c)) => c.q1(&host, w).await?,
            _ => unreachable!("one connection is set"),
        };
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        if answer.is_empty() {
            bail!(
                "q1 returned no datapoints for {} over [{}, {}): was the data ingested with the same \
                 --hosts/--hours/--seed/--end-ms?",
                host.hostname(),
                w.start_ms,
                w.end_ms
            );
        }
        if !a.no_verify {
            let values = workload.series_values(w.host, 0);
            if let Err(e) = check_q1(&workload, &values, w, &answer, target) {
                bail!("q1 answer for {} over [{}, {}) is wrong: {e}", host.hostname(), w.start_ms, w.end_ms);
            }
        }
        if i >= a.warmups {
            times.push(ms);
            points += answer.len();
        }
    }
    times.sort_by(f64::total_cmp);
    let lat = Latency::of(times.clone());
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2.0 };
    let summary = QuerySummary {
        query: "q1",
        target: target.name(),
        median_ms: round3(median),
        p90_ms: lat.p90,
        min_ms: round3(times[0]),
        max_ms: lat.max,
        runs: a.runs,
        warmups: a.warmups,
        mean_points: points as f64 / a.runs as f64,
        verified: !a.no_verify,
    };
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Checks one q1 answer (`(t_ms, max)` points) against the series' generated values.
fn check_q1(
    workload: &Workload,
    values: &[f64],
    w: &QueryWindow,
    answer: &[(i64, f64)],
    target: Target,
) -> Result<(), String> {
    const BUCKET: i64 = 60_000;
    let buckets = ((w.end_ms - w.start_ms) / BUCKET) as usize;
    if answer.len() != buckets {
        return Err(format!("{} points, expected {buckets}", answer.len()));
    }
    for (k, &(t, got)) in answer.iter().enumerate() {
        // Stratus: bucket [t, t+1m) starting at the window start. VM: (t-1m, t] ending at the
        // ends of those buckets.
        let (expected_t, lo, hi) = match target {
            Target::Stratus => {
                let t0 = w.start_ms + k as i64 * BUCKET;
                (t0, t0, t0 + BUCKET)
            }
            Target::Vm => {
                let t1 = w.start_ms + (k as i64 + 1) * BUCKET;
                (t1, t1 - BUCKET + 1, t1 + 1)
            }
        };
        if t != expected_t {
            return Err(format!("point {k} at {t}, expected {expected_t}"));
        }
        let expected = values
            .iter()
            .enumerate()
            .filter(|(i, _)| (lo..hi).contains(&workload.timestamp_ms(*i)))
            .map(|(_, v)| *v)
            .reduce(f64::max)
            .ok_or_else(|| format!("no generated sample in bucket {t}"))?;
        let ok = match target {
            Target::Stratus => got.to_bits() == expected.to_bits(),
            Target::Vm => (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        };
        if !ok {
            return Err(format!("bucket {t}: maximum {got:?}, generator says {expected:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_bench::Shape;

    #[test]
    fn checks_buckets_against_the_generator() {
        let w = Workload::new(2, 2, Shape::Float, 5, 1_700_000_000_000);
        let win = w.q1_windows(1, 1)[0];
        let values = w.series_values(win.host, 0);
        let max_in = |lo: i64, hi: i64| {
            (0..values.len())
                .filter(|i| (lo..hi).contains(&w.timestamp_ms(*i)))
                .map(|i| values[i])
                .fold(f64::MIN, f64::max)
        };
        let stratus: Vec<(i64, f64)> = (0..60)
            .map(|k| {
                let t = win.start_ms + k * 60_000;
                (t, max_in(t, t + 60_000))
            })
            .collect();
        assert_eq!(check_q1(&w, &values, &win, &stratus, Target::Stratus), Ok(()));
        let vm: Vec<(i64, f64)> = (1..=60)
            .map(|k| {
                let t = win.start_ms + k * 60_000;
                (t, max_in(t - 59_999, t + 1) * (1.0 + 1e-13))
            })
            .collect();
        assert_eq!(check_q1(&w, &values, &win, &vm, Target::Vm), Ok(()));
        // Off by one ulp is wrong for Stratus; a missing bucket is wrong for both.
        let mut bad = stratus.clone();
        bad[7].1 = f64::from_bits(bad[7].1.to_bits() + 1);
        assert!(check_q1(&w, &values, &win, &bad, Target::Stratus).is_err());
        assert!(check_q1(&w, &values, &win, &stratus[1..], Target::Stratus).is_err());
        assert!(check_q1(&w, &values, &win, &vm, Target::Stratus).is_err());
    }
}
