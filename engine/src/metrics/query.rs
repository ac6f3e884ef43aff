//! GetMetricStatistics semantics as pure functions: period and StartTime rules by data age,
//! the datapoint limit, and aggregation of samples into periods per unit.
//!
//! Reading (which chunks to decode) is the store's job; this module never touches storage.

use crate::error::{Error, InvalidCode, Result};

use super::extended::{self, ExtendedStatistic};
use super::frame::PeriodAgg;
use super::model::{Datapoint, Statistic, StatisticsQuery, Unit};
use super::record::SampleBuf;
use super::series::SampleClass;
use super::sketch::Sketch;
use super::validate::MAX_DATAPOINTS;

const MINUTE: i64 = 60_000;
/// Most buckets one query's grid may have.
pub(crate) const MAX_GRID_BUCKETS: i64 = 200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Where the buckets of a query lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Start of the first bucket (StartTime rounded by data age), epoch ms.
    pub(crate) start: i64,
    /// Exclusive end, epoch ms.
    pub(crate) end: i64,
    /// Bucket width, ms.
    pub(crate) period: i64,
    /// Number of buckets; 0 when the period is too fine for data this old (AWS then returns
    /// no datapoints rather than an error).
    pub(crate) buckets: usize,
}

/// Plans a (validated) query at time `now_ms`.
///
/// - StartTime rounding: data under 15 days old rounds down to the minute (to the period's own
///   boundary for 1/5/10/20/30-second periods), 15–63 days to 5 minutes, older to the hour.
/// - Periods finer than the data's age allows (under 60 s for data older than 3 hours, not a
///   multiple of 300 s after 15 days, of 3600 s after 63 days) return no datapoints.
/// - More than 1,440 datapoints is an `InvalidParameterCombination` error.
pub(crate) fn plan(q: &StatisticsQuery, now_ms: i64) -> Result<Plan> {
    plan_with_limit(q, now_ms, Some(MAX_DATAPOINTS))
}

/// [`plan`] without the 1,440-datapoint limit (GetMetricData caps datapoints per page instead).
pub(crate) fn plan_unlimited(q: &StatisticsQuery, now_ms: i64) -> Result<Plan> {
    plan_with_limit(q, now_ms, None)
}

fn plan_with_limit(q: &StatisticsQuery, now_ms: i64, limit: Option<i64>) -> Result<Plan> {
    let period = q.period_s.saturating_mul(1000);
    // i128: a client may send any two timestamps; the span must not overflow.
    let span = |from: i64| (i128::from(q.end_ms) - i128::from(from) + i128::from(period) - 1) / i128::from(period);
    let requested = span(q.start_ms);
    if limit.is_some_and(|l| requested > i128::from(l)) {
        return Err(Error::invalid(
            InvalidCode::InvalidParameterCombination,
            format!(
                "You have requested up to {requested} datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
            ),
        ));
    }
    let age = now_ms.saturating_sub(q.start_ms);
    let (round, allowed) = if age > 63 * DAY {
        (HOUR, period % HOUR == 0)
    } else if age > 15 * DAY {
        (5 * MINUTE, period % (5 * MINUTE) == 0)
    } else if period < MINUTE {
        (period, age <= 3 * HOUR)
    } else {
        (MINUTE, true)
    };
    let start = q.start_ms.checked_sub(q.start_ms.rem_euclid(round)).unwrap_or(q.start_ms);
    let buckets = if allowed { span(start) } else { 0 };
    // GetMetricData has no 1,440 limit but still computes every bucket of the window before
    // paging; bound the work a single query can ask for.
    if buckets > i128::from(MAX_GRID_BUCKETS) {
        return Err(Error::invalid(
            InvalidCode::InvalidParameterCombination,
            format!(
                "You have requested up to {buckets} datapoints for one query, which exceeds the limit of {MAX_GRID_BUCKETS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
            ),
        ));
    }
    let buckets = buckets as usize;
    Ok(Plan { start, end: q.end_ms, period, buckets })
}

/// Buckets of one unit: mergeable aggregates and, when asked for, the observations themselves
/// (percentiles and the other extended statistics need them).
#[derive(Debug, Clone)]
pub(crate) struct Buckets {
    plan: Plan,
    aggs: Vec<PeriodAgg>,
    /// Per bucket: raw `(value, weight)` observations, when kept.
    values: Option<Vec<Vec<(f64, f64)>>>,
    /// Per bucket: statistic sets `(count, sum, min, max)` seen, when values are kept.
    sets: Option<Vec<Vec<[f64; 4]>>>,
    /// Per bucket, when values are kept: the merged distribution of rollup contributions
    /// (outer `None`: no rollup data in the bucket; inner `None`: a rollup bucket had no
    /// distribution, so extended statistics are undefined).
    rollups: Option<Vec<Option<Option<Sketch>>>>,
}

impl Buckets {
    pub(crate) fn new(plan: Plan, keep_values: bool) -> Self {
        Buckets {
            plan,
            aggs: vec![PeriodAgg::default(); plan.buckets],
            values: keep_values.then(|| vec![Vec::new(); plan.buckets]),
            sets: keep_values.then(|| vec![Vec::new(); plan.buckets]),
            rollups: keep_values.then(|| vec![None; plan.buckets]),
        }
    }

    pub(crate) fn aggs(&self) -> &[PeriodAgg] {
        &self.aggs
    }

    /// Raw observations of bucket `k` (empty unless values are kept).
    pub(crate) fn values(&self, k: usize) -> &[(f64, f64)] {
        self.values.as_ref().map_or(&[], |v| &v[k])
    }

    /// Statistic sets of bucket `k` (empty unless values are kept).
    pub(crate) fn sets(&self, k: usize) -> &[[f64; 4]] {
        self.sets.as_ref().map_or(&[], |v| &v[k])
    }

    /// The bucket of time `t`, if inside the plan.
    fn slot(&self, t: i64) -> Option<usize> {
        let Plan { start, end, period, buckets } = self.plan;
        if t < start || t >= end {
            return None;
        }
        // t ≥ start, so the true difference fits a u64 even when the i64 one would not.
        let k = (t.wrapping_sub(start) as u64 / period as u64) as usize;
        (k < buckets).then_some(k)
    }

    /// Folds samples (any order) of one class in; samples outside the plan are ignored.
    /// Chunks are time-sorted, so the current bucket's bounds are kept and the bucket index is
    /// recomputed (a division) only when a sample leaves them.
    pub(crate) fn add(&mut self, class: SampleClass, buf: &SampleBuf) {
        let (mut k, mut lo, mut hi) = (0usize, i64::MAX, i64::MIN);
        for (i, &t) in buf.ts.iter().enumerate() {
            if t < lo || t >= hi {
                let Some(slot) = self.slot(t) else { continue };
                k = slot;
                lo = self.plan.start.saturating_add((k as i64).saturating_mul(self.plan.period));
                hi = lo.saturating_add(self.plan.period).min(self.plan.end);
            }
            let a = &mut self.aggs[k];
            match class {
                SampleClass::Raw => {
                    let (v, w) = (buf.cols[0][i], buf.cols[1][i]);
                    if w > 0.0 {
                        a.count += w;
                        a.sum += v * w;
                        a.min = a.min.min(v);
                        a.max = a.max.max(v);
                        if let Some(values) = &mut self.values {
                            values[k].push((v, w));
                        }
                    }
                }
                SampleClass::Set => {
                    let set = [buf.cols[0][i], buf.cols[1][i], buf.cols[2][i], buf.cols[3][i]];
                    a.count += set[0];
                    a.sum += set[1];
                    a.min = a.min.min(set[2]);
                    a.max = a.max.max(set[3]);
                    if let Some(sets) = &mut self.sets {
                        sets[k].push(set);
                    }
                }
            }
        }
    }

    /// Folds in raw samples of weight 1 (a one-column chunk): `ts[i]` with value `vs[i]`, any
    /// order; samples outside the plan are ignored. The same result, bit for bit, as [`add`]
    /// with weights of 1: each run of consecutive samples in one bucket is folded by
    /// [`PeriodAgg::fold_unit`], which keeps the sequential order of the sum.
    ///
    /// [`add`]: Buckets::add
    pub(crate) fn add_unit(&mut self, ts: &[i64], vs: &[f64]) {
        let n = ts.len().min(vs.len());
        let (ts, vs) = (&ts[..n], &vs[..n]);
        let Plan { start, end, period, .. } = self.plan;
        // Chunks are cut from sorted buffers (head and compaction both sort); checked, not
        // assumed, with a branch-free pass, so an unsorted chunk is still folded exactly.
        let sorted = ts.windows(2).fold(true, |ok, w| ok & (w[0] <= w[1]));
        if sorted {
            // Clip to the plan, then each bucket's run ends where its end time is reached.
            let mut i = ts.partition_point(|&t| t < start);
            let stop = ts.partition_point(|&t| t < end);
            while i < stop {
                let Some(k) = self.slot(ts[i]) else { break };
                let hi = start.saturating_add((k as i64 + 1).saturating_mul(period)).min(end);
                let j = i + ts[i..stop].partition_point(|&t| t < hi);
                let run = &vs[i..j];
                self.aggs[k].fold_unit(run);
                if let Some(values) = &mut self.values {
                    values[k].extend(run.iter().map(|&v| (v, 1.0)));
                }
                i = j;
            }
            return;
        }
        let mut i = 0;
        while i < n {
            let Some(k) = self.slot(ts[i]) else {
                i += 1;
                continue;
            };
            let lo = start.saturating_add((k as i64).saturating_mul(period));
            let hi = lo.saturating_add(period).min(end);
            // Time-sorted chunks: the run ends at the bucket's end (or the chunk's).
            let j = i + 1 + ts[i + 1..].iter().position(|&t| t < lo || t >= hi).unwrap_or(n - i - 1);
            let run = &vs[i..j];
            self.aggs[k].fold_unit(run);
            if let Some(values) = &mut self.values {
                values[k].extend(run.iter().map(|&v| (v, 1.0)));
            }
            i = j;
        }
    }

    /// Folds rollup samples in: per-bucket statistic sets stamped with their bucket start and,
    /// when values are kept, their distributions (`None` = no distribution).
    pub(crate) fn add_rollup(&mut self, buf: &SampleBuf, sketches: Option<&[Option<Sketch>]>) {
        for (i, &t) in buf.ts.iter().enumerate() {
            let Some(k) = self.slot(t) else { continue };
            self.aggs[k].merge(&PeriodAgg {
                count: buf.cols[0][i],
                sum: buf.cols[1][i],
                min: buf.cols[2][i],
                max: buf.cols[3][i],
            });
            if let (Some(rollups), Some(list)) = (&mut self.rollups, sketches) {
                let slot = rollups[k].get_or_insert_with(|| Some(Sketch::new()));
                match (slot, list.get(i).and_then(Option::as_ref)) {
                    (Some(mine), Some(other)) => mine.merge(other),
                    (slot, _) => *slot = None,
                }
            }
        }
    }

    /// An extended statistic of bucket `k`: exact over the raw observations plus the
    /// statistic sets that stand for a distribution; within the sketch's bound when rolled-up
    /// data contributes; undefined (`None`) when a set or rollup in the period has no
    /// distribution, or when the statistic is undefined for the data (e.g. negatives).
    pub(crate) fn extended(&self, e: &ExtendedStatistic, k: usize) -> Option<f64> {
        let mut values = self.values(k).to_vec();
        for s in self.sets(k) {
            values.extend(extended::set_as_values(s[0], s[1], s[2], s[3])?);
        }
        match self.rollups.as_ref().and_then(|r| r[k].as_ref()) {
            None => e.evaluate_exact(&mut values),
            Some(None) => None,
            Some(Some(sketch)) => {
                let mut merged = sketch.clone();
                for (v, w) in values {
                    merged.add(v, w);
                }
                e.evaluate_sketch(&merged)
            }
        }
    }

    /// Datapoints of non-empty buckets: the basic `stats` and the `extended` ones (by name).
    pub(crate) fn datapoints(
        &self,
        unit: Unit,
        stats: &[Statistic],
        extended: &[(String, ExtendedStatistic)],
        out: &mut Vec<Datapoint>,
    ) {
        for (i, a) in self.aggs.iter().enumerate() {
            if a.count <= 0.0 {
                continue;
            }
            let want = |s: Statistic| stats.contains(&s).then(|| a.statistic(s));
            out.push(Datapoint {
                // The bucket holds a sample, so its start lies in [start, end]: wrapping is exact.
                timestamp_ms: self.plan.start.wrapping_add((i as i64).wrapping_mul(self.plan.period)),
                unit,
                sample_count: want(Statistic::SampleCount),
                average: want(Statistic::Average),
                sum: want(Statistic::Sum),
                minimum: want(Statistic::Minimum),
                maximum: want(Statistic::Maximum),
                extended_statistics: extended
                    .iter()
                    .filter_map(|(name, e)| self.extended(e, i).map(|v| (name.clone(), v)))
                    .collect(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::model::MetricKey;

    const NOW: i64 = 1_800_000_000_000 - 1_800_000_000_000 % HOUR;

    fn q(start_ago: i64, len: i64, period_s: i64) -> StatisticsQuery {
        StatisticsQuery {
            key: MetricKey::new("N", "M", vec![]),
            start_ms: NOW - start_ago,
            end_ms: NOW - start_ago + len,
            period_s,
            statistics: vec![Statistic::Sum],
            extended_statistics: Vec::new(),
            unit: None,
        }
    }

    #[test]
    fn rounding_and_period_rules_by_age() {
        // (start ago, window, period) -> (start offset below requested start, buckets or 0)
        let rows: &[(i64, i64, i64, i64, usize)] = &[
            (HOUR - 17_500, HOUR, 60, 17_500, 61),
            (HOUR - 17_500, 10 * MINUTE, 10, 7_500, 61),
            (HOUR - 17_500, 10 * MINUTE, 1, 500, 601),
            (4 * HOUR, 10 * MINUTE, 10, 0, 0),
            (4 * HOUR, HOUR, 60, 0, 60),
            (20 * DAY - 90_000, DAY, 300, 90_000, 289),
            (20 * DAY, DAY, 60, 0, 0),
            (70 * DAY - 60_000, DAY, 3600, 60_000, 25),
            (70 * DAY, DAY, 300, 0, 0),
        ];
        for &(ago, len, period, below, buckets) in rows {
            let query = q(ago, len, period);
            let p = plan(&query, NOW).unwrap();
            assert_eq!(query.start_ms - p.start, below, "row {ago} {len} {period}");
            assert_eq!(p.buckets, buckets, "row {ago} {len} {period}");
        }
    }

    proptest::proptest! {
        #[test]
        fn plan_and_aggregation_never_panic(
            start in proptest::prelude::any::<i64>(),
            len in proptest::prelude::any::<i64>(),
            period_s in 1i64..i64::MAX,
            now in proptest::prelude::any::<i64>(),
            ts in proptest::collection::vec(proptest::prelude::any::<i64>(), 0..16),
        ) {
            let mut query = q(0, 60_000, 60);
            query.start_ms = start;
            query.end_ms = start.saturating_add(len.max(1));
            query.period_s = period_s;
            if let Ok(p) = plan(&query, now) {
                let mut b = Buckets::new(p, false);
                let mut buf = SampleBuf::default();
                for t in ts {
                    buf.push_raw(t, 1.0, 1.0);
                }
                buf.push_raw(p.start, 1.0, 1.0);
                b.add(SampleClass::Raw, &buf);
                let mut out = Vec::new();
                b.datapoints(Unit::None, &Statistic::ALL, &[], &mut out);
            }
        }
    }

    proptest::proptest! {
        /// The weight-1 fast path is bit-for-bit the general one, sorted or not, with signed
        /// zeros, values kept or not, samples outside the plan.
        #[test]
        fn add_unit_matches_add(
            samples in proptest::collection::vec(
                (-5i64..130, proptest::prop_oneof![
                    proptest::prelude::Just(0.0f64),
                    proptest::prelude::Just(-0.0f64),
                    -3.0f64..3.0,
                    proptest::prelude::Just(f64::NAN),
                ]),
                0..80,
            ),
            sorted in proptest::prelude::any::<bool>(),
            keep in proptest::prelude::any::<bool>(),
        ) {
            let mut samples = samples;
            if sorted {
                samples.sort_by_key(|s| s.0);
            }
            let p = Plan { start: 0, end: 100_000, period: 30_000, buckets: 4 };
            let (mut general, mut fast) = (Buckets::new(p, keep), Buckets::new(p, keep));
            let mut buf = SampleBuf::default();
            for &(t, v) in &samples {
                buf.push_raw(t * 1000, v, 1.0);
            }
            // Twice, so runs fold into non-empty aggregates too.
            for _ in 0..2 {
                general.add(SampleClass::Raw, &buf);
                fast.add_unit(&buf.ts, &buf.cols[0]);
            }
            for k in 0..4 {
                let (a, b) = (general.aggs()[k], fast.aggs()[k]);
                proptest::prop_assert_eq!(a.count.to_bits(), b.count.to_bits());
                proptest::prop_assert_eq!(a.sum.to_bits(), b.sum.to_bits());
                proptest::prop_assert_eq!(a.min.to_bits(), b.min.to_bits());
                proptest::prop_assert_eq!(a.max.to_bits(), b.max.to_bits());
                let bits = |b: &Buckets| b.values(k).iter().map(|(v, w)| (v.to_bits(), w.to_bits())).collect::<Vec<_>>();
                proptest::prop_assert_eq!(bits(&general), bits(&fast));
            }
        }
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let mut query = q(DAY, DAY, 60);
        query.start_ms = i64::MIN;
        query.end_ms = i64::MAX;
        assert!(plan(&query, NOW).is_err());
        query.period_s = i64::MAX;
        assert!(plan(&query, NOW).is_ok());
    }

    #[test]
    fn datapoint_limit_uses_aws_wording() {
        assert!(plan(&q(DAY, DAY, 60), NOW).is_ok());
        let err = plan(&q(DAY, DAY + 60_000, 60), NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            "InvalidParameterCombination: You have requested up to 1441 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        );
    }

    #[test]
    fn aggregation_of_all_forms() {
        let p = Plan { start: 0, end: 120_000, period: 60_000, buckets: 2 };
        let mut b = Buckets::new(p, false);
        let mut raw = SampleBuf::default();
        raw.push_raw(0, 1.0, 1.0);
        raw.push_raw(0, 1.0, 1.0); // same timestamp twice counts twice
        raw.push_raw(59_999, 4.0, 2.0);
        raw.push_raw(120_000, 100.0, 1.0); // end is exclusive
        b.add(SampleClass::Raw, &raw);
        let mut set = SampleBuf::default();
        set.push_set(60_000, 3.0, 30.0, 5.0, 15.0);
        b.add(SampleClass::Set, &set);
        let mut out = Vec::new();
        b.datapoints(Unit::Count, &Statistic::ALL, &[], &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].sample_count, Some(4.0));
        assert_eq!(out[0].sum, Some(10.0));
        assert_eq!(out[0].average, Some(2.5));
        assert_eq!(out[0].minimum, Some(1.0));
        assert_eq!(out[0].maximum, Some(4.0));
        assert_eq!((out[1].timestamp_ms, out[1].sample_count, out[1].maximum), (60_000, Some(3.0), Some(15.0)));
    }
}
