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

    pub(crate) fn merge(&mut self, o: &PeriodAgg) {
        self.count += o.count;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}
