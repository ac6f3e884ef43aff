//! GetMetricData over a fake source: validation, units, ordering, paging, expressions.

use hashbrown::HashMap;

use crate::error::{Error, InvalidCode, Result};
use crate::metrics::frame::PeriodAgg;
use crate::metrics::model::{Dimension, MetricKey, Unit};
use crate::metrics::query::{Buckets, Plan};
use crate::metrics::record::SampleBuf;
use crate::metrics::series::SampleClass;

use super::*;

const T0: i64 = 1_900_000_000_000 - 1_900_000_000_000 % 3_600_000;

/// Metrics with raw samples per unit: key → unit → (t, v).
#[derive(Default)]
struct Fake {
    data: HashMap<MetricKey, Vec<(Unit, i64, f64)>>,
}

impl Fake {
    fn add(&mut self, key: &MetricKey, unit: Unit, t: i64, v: f64) {
        self.data.entry(key.clone()).or_default().push((unit, t, v));
    }
}

impl MetricSource for Fake {
    fn now_ms(&self) -> i64 {
        T0
    }

    fn buckets(
        &self,
        key: &MetricKey,
        plan: Plan,
        unit: Option<Unit>,
        keep_values: bool,
    ) -> Result<Vec<(Unit, Buckets)>> {
        let mut by_unit: Vec<(Unit, Buckets)> = Vec::new();
        let mut rows = self.data.get(key).cloned().unwrap_or_default();
        rows.sort_by_key(|r| r.0);
        for (u, t, v) in rows {
            if unit.is_some_and(|w| w != u) {
                continue;
            }
            if by_unit.last().is_none_or(|(lu, _)| *lu != u) {
                by_unit.push((u, Buckets::new(plan, keep_values)));
            }
            let mut buf = SampleBuf::default();
            buf.push_raw(t, v, 1.0);
            by_unit.last_mut().expect("pushed").1.add(SampleClass::Raw, &buf);
        }
        Ok(by_unit)
    }

    fn metrics(
        &self,
        namespace: Option<&str>,
        filter: &mut dyn FnMut(&MetricKey) -> bool,
        limit: usize,
    ) -> Vec<MetricKey> {
        let mut keys: Vec<MetricKey> =
            self.data.keys().filter(|k| namespace.is_none_or(|n| k.namespace == n)).cloned().collect();
        keys.sort();
        keys.into_iter().filter(|k| filter(k)).take(limit).collect()
    }
}

fn key(host: &str) -> MetricKey {
    MetricKey::new("App", "cpu", vec![Dimension::new("host", host)])
}

fn stat(id: &str, host: &str, stat: &str) -> MetricDataQuery {
    MetricDataQuery {
        id: id.into(),
        label: None,
        return_data: true,
        period_s: None,
        kind: QueryKind::MetricStat { metric: key(host), period_s: 60, stat: stat.into(), unit: None },
    }
}

fn expr(id: &str, e: &str) -> MetricDataQuery {
    MetricDataQuery {
        id: id.into(),
        label: None,
        return_data: true,
        period_s: Some(60),
        kind: QueryKind::Expression(e.into()),
    }
}

fn request(queries: Vec<MetricDataQuery>) -> GetMetricData {
    GetMetricData {
        queries,
        start_ms: T0 - 600_000,
        end_ms: T0,
        next_token: None,
        scan_by: ScanBy::TimestampAscending,
        max_datapoints: None,
    }
}

/// host a: minute k (0..10) holds value k at +0 s and k+1 at +30 s → Maximum k+1, Sum 2k+1.
/// host b: minute k holds 10·k.
fn fake() -> Fake {
    let mut f = Fake::default();
    for k in 0..10 {
        let t = T0 - 600_000 + k * 60_000;
        f.add(&key("a"), Unit::Percent, t, k as f64);
        f.add(&key("a"), Unit::Percent, t + 30_000, (k + 1) as f64);
        f.add(&key("b"), Unit::Percent, t, (10 * k) as f64);
    }
    f
}

fn invalid(r: Result<GetMetricDataResult>) -> String {
    match r {
        Err(Error::InvalidArgument { message, .. }) => message,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn metric_stat_ascending_and_descending() {
    let f = fake();
    let r = execute(&f, &request(vec![stat("m1", "a", "Maximum")])).unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.results[0].label, "cpu");
    assert_eq!(r.results[0].values, (1..=10).map(f64::from).collect::<Vec<_>>());
    assert_eq!(r.results[0].timestamps[0], T0 - 600_000);
    assert_eq!(r.results[0].status_code, StatusCode::Complete);
    let mut req = request(vec![stat("m1", "a", "Sum")]);
    req.scan_by = ScanBy::TimestampDescending;
    let r = execute(&f, &req).unwrap();
    // Newest first: minute 9 has 9 + 10 = 19.
    assert_eq!(r.results[0].values[0], 19.0);
    assert!(r.results[0].timestamps.windows(2).all(|w| w[0] > w[1]));
}

#[test]
fn math_over_two_metrics_and_return_data() {
    let f = fake();
    let mut m1 = stat("m1", "a", "Maximum");
    m1.return_data = false;
    let mut m2 = stat("m2", "b", "Maximum");
    m2.return_data = false;
    let mut e = expr("e1", "m2 - m1 * 2");
    e.label = Some("diff".into());
    let r = execute(&f, &request(vec![m1, m2, e])).unwrap();
    assert_eq!(r.results.len(), 1, "only ReturnData results");
    assert_eq!(r.results[0].id, "e1");
    assert_eq!(r.results[0].label, "diff");
    // minute k: 10k − 2(k+1) = 8k − 2.
    assert_eq!(r.results[0].values, (0..10).map(|k| f64::from(8 * k - 2)).collect::<Vec<_>>());
}

#[test]
fn search_and_insights_return_one_result_per_series() {
    let f = fake();
    let r = execute(&f, &request(vec![expr("s", "SEARCH('{App,host} MetricName=\"cpu\"', 'Maximum', 60)")])).unwrap();
    let labels: Vec<&str> = r.results.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(labels, ["a", "b"]);
    assert!(r.results.iter().all(|x| x.id == "s"));
    // AVG of Maximum per minute across hosts: ((k+1) + 10k) / 2.
    let r = execute(&f, &request(vec![expr("q", "AVG(SEARCH('{App,host} cpu', 'Maximum', 60))")])).unwrap();
    assert_eq!(r.results[0].values[3], (4.0 + 30.0) / 2.0);
    // Insights AVG merges observations: minute k has k, k+1 and 10k → (12k + 1) / 3.
    let r = execute(&f, &request(vec![expr("i", "SELECT AVG(cpu) FROM App")])).unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.results[0].label, "i");
    assert_eq!(r.results[0].values[2], 25.0 / 3.0);
    let r =
        execute(&f, &request(vec![expr("g", "SELECT MAX(cpu) FROM App GROUP BY host ORDER BY MAX() DESC LIMIT 1")]))
            .unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.results[0].label, "b");
}

#[test]
fn paging_respects_max_datapoints_and_resumes() {
    let f = fake();
    let mut req = request(vec![stat("m1", "a", "Maximum"), stat("m2", "b", "Maximum")]);
    req.max_datapoints = Some(7);
    let mut seen: Vec<(String, f64)> = Vec::new();
    for page in 0..10 {
        let r = execute(&f, &req).unwrap();
        let n: usize = r.results.iter().map(|x| x.values.len()).sum();
        assert!(n <= 7, "page {page} has {n}");
        for x in &r.results {
            seen.extend(x.values.iter().map(|v| (x.id.clone(), *v)));
        }
        match r.next_token {
            Some(t) => {
                assert!(r.results.iter().any(|x| x.status_code == StatusCode::PartialData));
                req.next_token = Some(t);
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 20, "every datapoint exactly once across pages");
    req.next_token = Some("v1.zz".into());
    assert!(matches!(execute(&f, &req), Err(Error::InvalidArgument { code: InvalidCode::InvalidNextToken, .. })));
}

#[test]
fn multiple_units_pick_one_and_say_so() {
    let mut f = fake();
    f.add(&key("a"), Unit::Count, T0 - 600_000, 1000.0);
    let r = execute(&f, &request(vec![stat("m1", "a", "Maximum")])).unwrap();
    // Count sorts before Percent: Count's single datapoint is returned.
    assert_eq!(r.results[0].values, vec![1000.0]);
    assert_eq!(r.results[0].messages[0].code, "MultipleUnits");
    assert_eq!(r.results[0].messages[0].value, "Multiple units returned: '[Count, Percent]'");
}

#[test]
fn validation_errors_name_the_query() {
    let f = fake();
    assert!(invalid(execute(&f, &request(vec![stat("M1", "a", "Sum")]))).contains("Id"));
    assert!(invalid(execute(&f, &request(vec![stat("m1", "a", "Sum"), stat("m1", "b", "Sum")]))).contains("unique"));
    assert!(invalid(execute(&f, &request(vec![stat("m1", "a", "Median")]))).contains("Stat"));
    assert!(invalid(execute(&f, &request(vec![expr("e1", "m9 + 1")]))).contains("e1"));
    assert!(invalid(execute(&f, &request(vec![expr("e1", "e2"), expr("e2", "e1")]))).contains("e1"));
    assert!(invalid(execute(&f, &request(vec![expr("e1", "1 +")]))).contains("e1"));
    assert!(invalid(execute(&f, &request(vec![expr("e1", "2 + 3")]))).contains("scalar"));
    let mut none = request(vec![stat("m1", "a", "Sum")]);
    none.queries[0].return_data = false;
    assert!(invalid(execute(&f, &none)).contains("ReturnData"));
    let two = request(vec![expr("a", "SELECT AVG(cpu) FROM App"), expr("b", "SELECT MAX(cpu) FROM App")]);
    assert!(invalid(execute(&f, &two)).contains("Metrics Insights"));
    let _ = PeriodAgg::default();
}
