//! The VictoriaMetrics target: JSON-lines `/api/v1/import`, q1–q4 as `/api/v1/query_range`, and
//! `force_flush` + `force_merge` until one part per partition remains.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use stratus_bench::{FIELDS, Host, QueryKind, QueryWindow, Workload};

use crate::http::{HttpConn, Response, encode_component};
use crate::query::Series;

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

    /// Query `q` (see [`vm_query`]) over the window, one `query_range` request with step = the
    /// query's period; each series is keyed as [`VmConn::series_key`] says.
    pub(crate) async fn query(&mut self, q: QueryKind, host: Option<&Host>, w: &QueryWindow) -> Result<Vec<Series>> {
        let mut series = self.query_range(&vm_query(q, host), w, q.period_ms()).await?;
        for s in &mut series {
            s.key = series_key(q, &s.labels);
        }
        Ok(series)
    }

    /// `/api/v1/query_range` evaluated at the ends of the window's `step_ms` buckets (`start` =
    /// window start + step, `end` = window end), uncached.
    async fn query_range(&mut self, query: &str, w: &QueryWindow, step_ms: i64) -> Result<Vec<Series>> {
        let path = format!(
            "/api/v1/query_range?query={}&start={}&end={}&step={}&nocache=1",
            encode_component(query),
            (w.start_ms + step_ms) / 1000,
            w.end_ms / 1000,
            step_ms / 1000,
        );
        let r = self.http.get(&path).await?;
        let v = json_ok(&r, "query_range")?;
        let result = v["data"]["result"].as_array().context("query_range: no data.result")?;
        let mut out = Vec::with_capacity(result.len());
        for series in result {
            let mut points = Vec::new();
            for p in series["values"].as_array().context("query_range: no values")? {
                let t = p[0].as_f64().context("query_range: bad timestamp")?;
                let v: f64 = p[1].as_str().and_then(|v| v.parse().ok()).context("query_range: bad value")?;
                points.push(((t * 1000.0).round() as i64, v));
            }
            let labels = series["metric"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
                .unwrap_or_default();
            out.push(Series { key: String::new(), labels, points });
        }
        Ok(out)
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

/// The MetricsQL form of each query (`host` for q1 and q2), evaluated at the ends of the
/// window's buckets (VictoriaMetrics' rollup at `t` covers `(t-period, t]`), so that it returns
/// as many points as Stratus returns buckets `[t, t+period)`:
/// - q1 `max_over_time(cpu_usage_user{hostname="host_X"}[1m])`;
/// - q2 `max_over_time({__name__=~"cpu_usage_.*",hostname="host_X"}[1h]) keep_metric_names`
///   (one request, one series per field);
/// - q3 `avg(avg_over_time(cpu_usage_user[1h]))`: the mean of per-host means, which is the mean
///   of all samples because every host has the same number of samples per bucket;
/// - q4 `avg by (hostname) (avg_over_time(cpu_usage_user[1h]))`.
pub(crate) fn vm_query(q: QueryKind, host: Option<&Host>) -> String {
    let hostname = host.map_or("", Host::hostname);
    let user = crate::encode::vm_metric_name(0);
    match q {
        QueryKind::Q1 => format!("max_over_time({user}{{hostname=\"{hostname}\"}}[1m])"),
        QueryKind::Q2 => {
            format!("max_over_time({{__name__=~\"cpu_usage_.*\",hostname=\"{hostname}\"}}[1h]) keep_metric_names")
        }
        QueryKind::Q3 => format!("avg(avg_over_time({user}[1h]))"),
        QueryKind::Q4 => format!("avg by (hostname) (avg_over_time({user}[1h]))"),
    }
}

/// The key [`crate::query`] matches a series by: the field for q1/q2 (`__name__` without
/// `cpu_`), the hostname for q4, `""` for q3.
fn series_key(q: QueryKind, labels: &std::collections::BTreeMap<String, String>) -> String {
    match q {
        QueryKind::Q1 => FIELDS[0].to_owned(),
        QueryKind::Q2 => {
            labels.get("__name__").map(|n| n.strip_prefix("cpu_").unwrap_or(n).to_owned()).unwrap_or_default()
        }
        QueryKind::Q3 => String::new(),
        QueryKind::Q4 => labels.get("hostname").cloned().unwrap_or_default(),
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
