//! Tests of metric math: parser tables and properties (`parse`), evaluator cases for every
//! function (`eval`), SEARCH grammar and matcher tables (`search`). Expected values are worked
//! out by hand in the tables or comments, never copied from the implementation's output.

mod eval;
mod parse;
mod search;

use std::cell::RefCell;
use std::collections::HashMap;

use crate::metrics::frame::{Grid, TimeSeries};
use crate::metrics::model::MetricKey;

use super::{MathContext, MathError, SearchQuery, Value, metrics_filter_matches};

/// Period of the test grid, ms.
const P: i64 = 60_000;

/// A series on the test grid: bucket `k` is at `k · 60 s`; `None` = no point.
fn ts(label: &str, points: &[Option<f64>]) -> TimeSeries {
    let mut s = TimeSeries { label: label.to_owned(), ..TimeSeries::default() };
    for (k, p) in points.iter().enumerate() {
        if let Some(v) = p {
            s.timestamps.push(k as i64 * P);
            s.values.push(*v);
        }
    }
    s
}

/// The points of `s` on a grid of `n` buckets (inverse of [`ts`]).
fn points(s: &TimeSeries, n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; n];
    for (&t, &v) in s.timestamps.iter().zip(&s.values) {
        assert_eq!(t % P, 0, "timestamp {t} is off the test grid");
        out[(t / P) as usize] = Some(v);
    }
    out
}

/// What a fake request holds: named results, MetricStat ids, a catalog for SEARCH.
struct Fake {
    grid: Grid,
    values: HashMap<String, Value>,
    /// MetricStat query ids in request order, with their periods.
    metric_ids: Vec<(String, i64)>,
    catalog: Vec<MetricKey>,
    /// (query matched keys, stat, period) of each SEARCH call.
    searches: RefCell<Vec<(Vec<MetricKey>, String, i64)>>,
}

impl Fake {
    fn new(buckets: i64) -> Fake {
        Fake {
            grid: Grid { start_ms: 0, end_ms: buckets * P, period_s: 60 },
            values: HashMap::new(),
            metric_ids: Vec::new(),
            catalog: Vec::new(),
            searches: RefCell::new(Vec::new()),
        }
    }

    /// Adds a MetricStat result labelled with its id.
    fn metric(mut self, id: &str, points: &[Option<f64>]) -> Fake {
        self.values.insert(id.to_owned(), Value::Series(ts(id, points)));
        self.metric_ids.push((id.to_owned(), 60));
        self
    }

    /// Adds an expression result.
    fn expr(mut self, id: &str, v: Value) -> Fake {
        self.values.insert(id.to_owned(), v);
        self
    }
}

impl MathContext for Fake {
    fn grid(&self) -> Grid {
        self.grid
    }

    fn lookup(&self, id: &str) -> Option<Value> {
        self.values.get(id).cloned()
    }

    fn metrics(&self, filter: Option<&str>) -> Vec<TimeSeries> {
        self.metric_ids
            .iter()
            .filter(|(id, _)| metrics_filter_matches(id, filter))
            .filter_map(|(id, _)| match self.values.get(id) {
                Some(Value::Series(s)) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    fn search(&self, q: &SearchQuery, stat: &str, period_s: i64) -> Result<Vec<TimeSeries>, MathError> {
        let hits: Vec<MetricKey> = self.catalog.iter().filter(|k| q.matches(k)).cloned().collect();
        self.searches.borrow_mut().push((hits.clone(), stat.to_owned(), period_s));
        // One point per hit at bucket 0, valued by its position, labelled by metric name.
        Ok(hits
            .iter()
            .enumerate()
            .map(|(i, k)| TimeSeries { label: k.metric_name.clone(), timestamps: vec![0], values: vec![i as f64] })
            .collect())
    }

    fn period_of(&self, id: &str) -> Option<i64> {
        self.metric_ids.iter().find(|(m, _)| m == id).map(|(_, p)| *p)
    }
}
