//! The VictoriaMetrics target: JSON-lines `/api/v1/import`, q1 as `/api/v1/query_range`, and
//! `force_flush` + `force_merge` until one part per partition remains.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use stratus_bench::{Host, QueryWindow, Workload};

use crate::http::{HttpConn, Response, encode_component};

/// Outcome of one import request.
#[derive(Debug)]
pub(crate) enum ImportError {
    /// 429 / 503: back off and retry.
    Throttled(String),
    /// Anything else.
    Failed(String),
}

/// One keep-alive HTTP connection to VictoriaMetrics.
#[derive(Debug)]
pub(crate) struct VmConn {
    http: HttpConn,
}

impl VmConn {
    pub(crate) fn new(endpoint: &str) -> Result<Self> {
        Ok(VmConn { http: HttpConn::new(endpoint)? })
    }

    /// Posts one JSON-lines body; VictoriaMetrics answers 204 once the rows are buffered.
    pub(crate) async fn import(&mut self, body: &[u8]) -> Result<(), ImportError> {
        let r = self
            .http
            .post("/api/v1/import", "application/json", body)
            .await
            .map_err(|e| ImportError::Failed(format!("{e:#}")))?;
        match r.status {
            s if (200..300).contains(&s) => Ok(()),
            429 | 503 => Err(ImportError::Throttled(format!("HTTP {}: {}", r.status, r.text()))),
            _ => Err(ImportError::Failed(format!("HTTP {}: {}", r.status, r.text()))),
        }
    }

    /// q1 in MetricsQL: `max_over_time(cpu_usage_user{hostname="host_X"}[1m])`, step 60, over
    /// the window. VictoriaMetrics evaluates at `t` over `(t-1m, t]`, so the evaluation points are
    /// the ends of the window's minute buckets: 60 points, as GetMetricStatistics returns 60
    /// buckets `[t, t+1m)`. Returns the points as (evaluation time ms, value).
    pub(crate) async fn q1(&mut self, host: &Host, w: &QueryWindow) -> Result<Vec<(i64, f64)>> {
        let query =
            format!("max_over_time({}{{hostname=\"{}\"}}[1m])", crate::encode::vm_metric_name(0), host.hostname());
        let path = format!(
            "/api/v1/query_range?query={}&start={}&end={}&step=60&nocache=1",
            encode_component(&query),
            (w.start_ms + 60_000) / 1000,
            w.end_ms / 1000,
        );
        let r = self.http.get(&path).await?;
        let v = json_ok(&r, "query_range")?;
        let result = v["data"]["result"].as_array().context("query_range: no data.result")?;
        let mut points = Vec::new();
        for series in result {
            for p in series["values"].as_array().context("query_range: no values")? {
                let t = p[0].as_f64().context("query_range: bad timestamp")?;
                let v: f64 = p[1].as_str().and_then(|v| v.parse().ok()).context("query_range: bad value")?;
                points.push(((t * 1000.0).round() as i64, v));
            }
        }
        Ok(points)
    }

    /// `force_flush`, then `force_merge` repeated until every storage partition of the span has
    /// one part and no merge runs (or `timeout` passes).
    pub(crate) async fn flush(&mut self, workload: &Workload, timeout: Duration) -> Result<serde_json::Value> {
        let started = Instant::now();
        ok(&self.http.get("/internal/force_flush").await?, "force_flush")?;
        let partitions = month_partitions(workload.start_ms(), workload.end_ms());
        let mut merges = 0;
        let mut parts;
        loop {
            ok(&self.http.get("/internal/force_merge").await?, "force_merge")?;
            merges += 1;
            // force_merge runs in the background: wait until merges stop.
            let mut idle = 0;
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let m = self.metrics().await?;
                parts = m.parts;
                idle = if m.active_merges == 0 { idle + 1 } else { 0 };
                if idle >= 3 || started.elapsed() > timeout {
                    break;
                }
            }
            if parts <= partitions || started.elapsed() > timeout || merges >= 20 {
                break;
            }
        }
        Ok(serde_json::json!({
            "target": "vm",
            "storage_parts": parts,
            "partitions": partitions,
            "merge_requests": merges,
            "merged": parts <= partitions,
            "flush_s": started.elapsed().as_secs_f64(),
        }))
    }

    async fn metrics(&mut self) -> Result<VmMetrics> {
        let r = self.http.get("/metrics").await?;
        ok(&r, "/metrics")?;
        Ok(parse_metrics(&r.text()))
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct VmMetrics {
    /// Storage (data) parts, small + big.
    parts: u64,
    /// Storage merges in progress.
    active_merges: u64,
}

fn parse_metrics(text: &str) -> VmMetrics {
    let mut m = VmMetrics::default();
    for line in text.lines() {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let storage = name.contains("type=\"storage/");
        if name.starts_with("vm_parts{") && storage {
            m.parts += value as u64;
        } else if name.starts_with("vm_active_merges{") && storage {
            m.active_merges += value as u64;
        }
    }
    m
}

/// Distinct UTC months `[start, end)` touches: VictoriaMetrics partitions by month.
fn month_partitions(start_ms: i64, end_ms: i64) -> u64 {
    let mut months = BTreeSet::new();
    let mut t = start_ms;
    while t < end_ms {
        months.insert(month_of(t));
        t += 3_600_000;
    }
    months.insert(month_of(end_ms - 1));
    months.len() as u64
}

/// (year, month) of a UTC instant (civil-from-days, Howard Hinnant's algorithm).
fn month_of(ms: i64) -> (i64, u32) {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

fn ok(r: &Response, what: &str) -> Result<()> {
    if !r.is_success() {
        bail!("{what}: HTTP {}: {}", r.status, r.text());
    }
    Ok(())
}

fn json_ok(r: &Response, what: &str) -> Result<serde_json::Value> {
    ok(r, what)?;
    let v: serde_json::Value = serde_json::from_slice(&r.body).with_context(|| format!("{what}: bad JSON"))?;
    if v["status"] != "success" {
        bail!("{what}: {}", r.text());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts_and_merges() {
        let text = "vm_parts{type=\"storage/small\"} 3\nvm_parts{type=\"storage/big\"} 1\n\
                    vm_parts{type=\"indexdb\"} 7\nvm_active_merges{type=\"storage/small\"} 1\n\
                    vm_active_merges{type=\"indexdb\"} 4\nvm_rows 5\n";
        assert_eq!(parse_metrics(text), VmMetrics { parts: 4, active_merges: 1 });
    }

    #[test]
    fn months() {
        assert_eq!(month_of(0), (1970, 1));
        assert_eq!(month_of(1_700_000_000_000), (2023, 11)); // 2023-11-14
        assert_eq!(month_of(951_782_400_000), (2000, 2)); // 2000-02-29
        let dec31 = 1_704_067_200_000 - 3_600_000; // 2023-12-31T23:00Z
        assert_eq!(month_partitions(dec31 - 86_400_000, dec31), 1);
        assert_eq!(month_partitions(dec31, dec31 + 7_200_000), 2);
    }
}
