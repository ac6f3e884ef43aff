//! Period-aligned series: what GetMetricData queries, metric math, SEARCH and Metrics Insights
//! exchange. A [`Grid`] fixes the buckets; a [`TimeSeries`] holds the non-empty ones.

use super::model::Statistic;

/// The period grid of a query: buckets `[start + k·period, start + (k+1)·period)` before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    /// Start of the first bucket, epoch ms (already rounded by data age).
    pub(crate) start_ms: i64,
    /// Exclusive end, epoch ms.
    pub(crate) end_ms: i64,
    /// Bucket width, seconds.
    pub(crate) period_s: i64,
}

impl Grid {
    pub(crate) fn period_ms(&self) -> i64 {
        self.period_s * 1000
    }

    /// Number of buckets.
    pub(crate) fn len(&self) -> usize {
        if self.end_ms <= self.start_ms {
            return 0;
        }
        let span = i128::from(self.end_ms) - i128::from(self.start_ms);
        ((span + i128::from(self.period_ms()) - 1) / i128::from(self.period_ms())) as usize
    }

    /// Start of bucket `k`, epoch ms.
    pub(crate) fn time(&self, k: usize) -> i64 {
        self.start_ms + k as i64 * self.period_ms()
    }
}

/// One labelled series on a grid: ascending timestamps (bucket starts) with one value each;
/// buckets with no data are absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct TimeSeries {
    pub(crate) label: String,
    pub(crate) timestamps: Vec<i64>,
    pub(crate) values: Vec<f64>,
}

/// Partial aggregates of one bucket, mergeable across series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PeriodAgg {
    pub(crate) count: f64,
    pub(crate) sum: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Default for PeriodAgg {
    fn default() -> Self {
        PeriodAgg { count: 0.0, sum: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl PeriodAgg {
    pub(crate) fn is_empty(&self) -> bool {
        self.count <= 0.0
    }

    /// A basic statistic of this (non-empty) aggregate.
    pub(crate) fn statistic(&self, s: Statistic) -> f64 {
        match s {
            Statistic::SampleCount => self.count,
            Statistic::Sum => self.sum,
            Statistic::Average => self.sum / self.count,
            Statistic::Minimum => self.min,
            Statistic::Maximum => self.max,
        }
    }

    /// Folds in observations of weight 1, exactly as adding them one by one in order would
    /// (`count += 1`, `sum += v`, `min = min.min(v)`, `max = max.max(v)`), but with the minimum
    /// and maximum taken over four independent lanes so the loop vectorises.
    ///
    /// Why this is bit-exact: the sum keeps its sequential order; counts are integers (exact
    /// below 2^53); a minimum or maximum of non-NaN values is the same value whatever the order
    /// unless it is a zero (`0.0` and `-0.0` compare equal), and then, if a `-0.0` is involved,
    /// the run is redone in order.
    /// NaN observations are skipped by both forms (`v > m` and `f64::max` both ignore them).
    pub(crate) fn fold_unit(&mut self, vs: &[f64]) {
        let mut sum = self.sum;
        for &v in vs {
            sum += v;
        }
        self.sum = sum;
        self.count += vs.len() as f64;
        let (mut lo, mut hi) = ([f64::INFINITY; 4], [f64::NEG_INFINITY; 4]);
        let mut quads = vs.chunks_exact(4);
        for q in &mut quads {
            for l in 0..4 {
                lo[l] = if q[l] < lo[l] { q[l] } else { lo[l] };
                hi[l] = if q[l] > hi[l] { q[l] } else { hi[l] };
            }
        }
        let (mut min, mut max) = (self.min, self.max);
        for l in 0..4 {
            min = min.min(lo[l]);
            max = max.max(hi[l]);
        }
        for &v in quads.remainder() {
            min = min.min(v);
            max = max.max(v);
        }
        // A zero result can only differ from the in-order one in its sign, so only a run that
        // holds a `-0.0` (or folds onto one) is redone in order.
        let neg_zero = |v: f64| v.to_bits() == (-0.0f64).to_bits();
        if (min == 0.0 || max == 0.0)
            && (neg_zero(self.min) || neg_zero(self.max) || vs.iter().fold(false, |any, &v| any | neg_zero(v)))
        {
            (min, max) = (self.min, self.max);
            for &v in vs {
                min = min.min(v);
                max = max.max(v);
            }
        }
        self.min = min;
        self.max = max;
    }

    pub(crate) fn merge(&mut self, o: &PeriodAgg) {
        self.count += o.count;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}
