//! One metric alarm evaluated at one evaluation time: the evaluation range cut into sliding
//! Period buckets that end at that time, fetched through the public GetMetricData path (the
//! alarm's metric at its statistic — plus its SampleCount, for `evaluatedDatapoints` and
//! low-sample percentiles — or the alarm's `Metrics[]`), turned into slots for
//! [`super::eval::decide`], and, on a change of state, the reason and `StateReasonData`.

use serde_json::{Value, json};

use super::def::AlarmSettings;
use super::eval::{self, AlarmState, Bound, Comparison, Evaluated, Slot, TreatMissingData};
use super::model::MetricAlarmInput;
use super::reason;
use crate::error::Result;
use crate::metrics::extended::ExtendedStatistic;
use crate::metrics::gmd::{GetMetricData, GetMetricDataResult, MetricDataQuery, QueryKind, ScanBy};
use crate::metrics::model::{MetricKey, Tenant};

/// What an alarm is evaluated on, prepared once at PutMetricAlarm.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricDef {
    /// The configuration as put (tags removed).
    pub(crate) input: MetricAlarmInput,
    /// The validated evaluation settings.
    pub(crate) settings: AlarmSettings,
    /// Fewest samples per bucket for a percentile to count (EvaluateLowSampleCountPercentile =
    /// ignore): 10/(1−p) for p ≥ 0.5, 10/p below.
    pub(crate) min_samples: Option<f64>,
    /// `WallClockWindow`: the time zone's offset from UTC in ms (buckets align to its clock).
    pub(crate) wall_clock_offset_ms: Option<i64>,
}

/// The UTC offset, in ms, of a `WallClockWindow` time zone: `UTC` (or absent), or a fixed
/// offset `±HH:MM` / `UTC±HH:MM` / `UTC±H`, a multiple of 5 minutes within ±14 h.
pub(crate) fn timezone_offset_ms(tz: Option<&str>) -> std::result::Result<i64, String> {
    let Some(tz) = tz else { return Ok(0) };
    let bad = || {
        format!(
            "The value {tz} for parameter EvaluationWindow.WallClockWindow.Timezone is invalid: Stratus accepts UTC and fixed offsets such as +05:30 or UTC-08:00 (a multiple of 5 minutes)."
        )
    };
    let rest = tz.strip_prefix("UTC").unwrap_or(tz);
    if rest.is_empty() {
        return Ok(0);
    }
    let (sign, digits) = match rest.as_bytes().first() {
        Some(b'+') => (1, &rest[1..]),
        Some(b'-') => (-1, &rest[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None => (digits, "0"),
    };
    let ok = |d: &str| !d.is_empty() && d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit());
    if !ok(h) || !ok(m) {
        return Err(bad());
    }
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 14 || m >= 60 || m % 5 != 0 || h * 60 + m > 14 * 60 {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m) * 60_000)
}

/// The queries of one evaluation, and the ids whose results are the value, the sample count
/// and the threshold band.
pub(crate) struct Plan {
    pub(crate) queries: Vec<MetricDataQuery>,
    value_id: String,
    count_id: Option<String>,
    band_id: Option<String>,
}

const VALUE_ID: &str = "stratus_value";
const COUNT_ID: &str = "stratus_count";

impl MetricDef {
    /// Builds the definition from a validated input.
    pub(crate) fn new(input: MetricAlarmInput, settings: AlarmSettings) -> MetricDef {
        let min_samples = if settings.ignore_low_sample_count {
            input.extended_statistic.as_deref().and_then(|s| match ExtendedStatistic::parse(s) {
                Ok(ExtendedStatistic::Percentile(p)) => {
                    let p = p / 100.0;
                    Some(if p >= 0.5 { 10.0 / (1.0 - p).max(f64::MIN_POSITIVE) } else { 10.0 / p.max(1e-9) })
                }
                _ => None,
            })
        } else {
            None
        };
        let wall_clock_offset_ms = match &input.evaluation_window {
            Some(super::model::EvaluationWindow::WallClock { timezone }) => {
                Some(timezone_offset_ms(timezone.as_deref()).unwrap_or(0))
            }
            _ => None,
        };
        MetricDef { input, settings, min_samples, wall_clock_offset_ms }
    }

    /// The single metric's key, for single-metric alarms.
    pub(crate) fn metric_key(&self) -> Option<MetricKey> {
        match (&self.input.namespace, &self.input.metric_name) {
            (Some(ns), Some(name)) => Some(MetricKey::new(ns.clone(), name.clone(), self.input.dimensions.clone())),
            _ => None,
        }
    }

    fn stat(&self) -> Option<&str> {
        self.input.statistic.as_deref().or(self.input.extended_statistic.as_deref())
    }

    /// The GetMetricData queries one evaluation runs.
    pub(crate) fn plan(&self) -> Plan {
        let period_s = self.settings.period_s;
        match (self.metric_key(), self.stat()) {
            (Some(metric), Some(stat)) => {
                let q = |id: &str, stat: &str| MetricDataQuery {
                    id: id.into(),
                    label: None,
                    return_data: true,
                    period_s: None,
                    kind: QueryKind::MetricStat {
                        metric: metric.clone(),
                        period_s,
                        stat: stat.into(),
                        unit: self.input.unit,
                    },
                };
                Plan {
                    queries: vec![q(VALUE_ID, stat), q(COUNT_ID, "SampleCount")],
                    value_id: VALUE_ID.into(),
                    count_id: Some(COUNT_ID.into()),
                    band_id: None,
                }
            }
            _ => {
                let band_id = self.settings.threshold_metric_id.clone();
                let mut queries = self.input.metrics.clone();
                for q in &mut queries {
                    if band_id.as_deref() == Some(q.id.as_str()) {
                        q.return_data = true;
                    }
                }
                let value_id = self
                    .input
                    .metrics
                    .iter()
                    .find(|q| q.return_data && band_id.as_deref() != Some(q.id.as_str()))
                    .map(|q| q.id.clone())
                    .unwrap_or_default();
                Plan { queries, value_id, count_id: None, band_id }
            }
        }
    }
}

/// The bucket grid of an evaluation at `tick_ms`: `(start_ms, end_ms, buckets)`. Buckets slide:
/// they end at the evaluation time (for 10/20/30-second periods, at the last multiple of the
/// period). With a wall-clock window (`Some(offset)`) they end at the last clock boundary of the
/// period in that time zone (a 1-hour period at the hour, a 1-day period at local midnight).
pub(crate) fn grid(
    tick_ms: i64,
    period_s: i64,
    evaluation_periods: usize,
    wall_clock_offset_ms: Option<i64>,
) -> (i64, i64, usize) {
    let p = period_s * 1000;
    let end = match wall_clock_offset_ms {
        Some(offset) => {
            let local = tick_ms + offset;
            local - local.rem_euclid(p) - offset
        }
        None if period_s < 60 => tick_ms - tick_ms.rem_euclid(p),
        None => tick_ms,
    };
    let range = eval::evaluation_range(evaluation_periods);
    (end - range as i64 * p, end, range)
}

/// The request of an evaluation.
pub(crate) fn request(plan: &Plan, start_ms: i64, end_ms: i64) -> GetMetricData {
    GetMetricData {
        queries: plan.queries.clone(),
        start_ms,
        end_ms,
        next_token: None,
        scan_by: ScanBy::TimestampAscending,
        max_datapoints: None,
    }
}

/// A state change an evaluation decided.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) state: AlarmState,
    pub(crate) reason: String,
    pub(crate) reason_data: String,
}

/// `2026-11-22T07:41:00.000+0000`, the timestamp form of `StateReasonData`.
pub(crate) fn data_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())
        .unwrap_or_default()
}

fn values_by_bucket(result: &GetMetricDataResult, id: &str, start: i64, p: i64, n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; n];
    for r in result.results.iter().filter(|r| r.id == id) {
        for (t, v) in r.timestamps.iter().zip(&r.values) {
            let off = t - start;
            if off >= 0 && off % p == 0 && ((off / p) as usize) < n {
                out[(off / p) as usize] = Some(*v);
            }
        }
    }
    out
}

fn bands_by_bucket(result: &GetMetricDataResult, id: &str, start: i64, p: i64, n: usize) -> Vec<Option<(f64, f64)>> {
    let mut out: Vec<Option<(f64, f64)>> = vec![None; n];
    for r in result.results.iter().filter(|r| r.id == id) {
        for (t, v) in r.timestamps.iter().zip(&r.values) {
            let off = t - start;
            if off >= 0 && off % p == 0 && ((off / p) as usize) < n {
                let slot = &mut out[(off / p) as usize];
                *slot = Some(match *slot {
                    None => (*v, *v),
                    Some((lo, hi)) => (lo.min(*v), hi.max(*v)),
                });
            }
        }
    }
    out
}

/// Evaluates `def` at `tick_ms` from `current`; `Ok(None)` when the state does not change.
pub(crate) fn evaluate(
    def: &MetricDef,
    tenant: &Tenant,
    tick_ms: i64,
    current: AlarmState,
    queries: &dyn Fn(&Tenant, &GetMetricData) -> Result<GetMetricDataResult>,
) -> Result<Option<Outcome>> {
    let s = &def.settings;
    let period_s = s.period_s;
    let p = period_s * 1000;
    let (start, end, range) = grid(tick_ms, period_s, s.eval.evaluation_periods, def.wall_clock_offset_ms);
    let plan = def.plan();
    let result = queries(tenant, &request(&plan, start, end))?;
    let values = values_by_bucket(&result, &plan.value_id, start, p, range);
    let counts = plan.count_id.as_deref().map(|id| values_by_bucket(&result, id, start, p, range));
    let bands = plan.band_id.as_deref().map(|id| bands_by_bucket(&result, id, start, p, range));
    let slots: Vec<Option<Slot>> = (0..range)
        .map(|i| {
            let value = values[i]?;
            let bound = match (&bands, s.threshold) {
                (Some(b), _) => {
                    let (lower, upper) = b[i]?;
                    Bound::Band { lower, upper }
                }
                (None, Some(t)) => Bound::Threshold(t),
                (None, None) => return None,
            };
            Some(Slot { value, bound })
        })
        .collect();
    let decision = eval::decide(&s.eval, &slots, current);
    if decision.kept || decision.state == current {
        return Ok(None);
    }
    // EvaluateLowSampleCountPercentile = ignore: a bucket with too few samples leaves the state.
    if let (Some(min), Some(counts)) = (def.min_samples, &counts) {
        let low = decision.evaluated.iter().any(|e| match e {
            Evaluated::Real { index, .. } => counts[*index].is_some_and(|c| c < min),
            Evaluated::Filled { .. } => false,
        });
        if low {
            return Ok(None);
        }
    }

    let threshold = s.threshold.unwrap_or(f64::NAN);
    let real: Vec<(usize, f64)> = decision
        .evaluated
        .iter()
        .filter_map(|e| match e {
            Evaluated::Real { index, .. } => slots[*index].map(|sl| (*index, sl.value)),
            Evaluated::Filled { .. } => None,
        })
        .collect();
    let reason = if real.is_empty() {
        match s.eval.treat_missing {
            TreatMissingData::Breaching => reason::all_missing(range, "Breaching"),
            TreatMissingData::NotBreaching => reason::all_missing(range, "NonBreaching"),
            TreatMissingData::Missing | TreatMissingData::Ignore => {
                let n = s.eval.evaluation_periods;
                format!("Insufficient Data: {n} {} unknown.", if n == 1 { "datapoint was" } else { "datapoints were" })
            }
        }
    } else {
        let points: Vec<(i64, f64)> = real.iter().map(|(i, v)| (start + *i as i64 * p, *v)).collect();
        reason::threshold_crossed(
            s.eval.comparison,
            threshold,
            &points,
            decision.breaching,
            s.eval.datapoints_to_alarm,
            s.eval.evaluation_periods,
            current,
            decision.state,
        )
    };

    // StateReasonData: the newest N buckets (real ones with their value, missing ones with
    // only a timestamp), newest first.
    let newest = range.saturating_sub(s.eval.evaluation_periods);
    let mut evaluated_points = Vec::new();
    let mut indices: Vec<usize> = real.iter().map(|(i, _)| *i).collect();
    indices.extend((newest..range).filter(|i| slots[*i].is_none()));
    indices.sort_unstable_by(|a, b| b.cmp(a));
    indices.dedup();
    for i in indices {
        let ts = data_time(start + i as i64 * p);
        match slots[i] {
            Some(sl) => {
                let mut o = json!({"timestamp": ts, "value": sl.value});
                if let Some(c) = counts.as_ref().and_then(|c| c[i]) {
                    o["sampleCount"] = json!(c);
                }
                evaluated_points.push(o);
            }
            None => evaluated_points.push(json!({"timestamp": ts})),
        }
    }
    let mut data = json!({
        "version": "1.0",
        "queryDate": data_time(tick_ms),
        "startDate": data_time(start),
        "period": period_s,
        "recentDatapoints": real.iter().map(|(_, v)| json_number(*v)).collect::<Vec<_>>(),
        "evaluatedDatapoints": evaluated_points,
    });
    if let Some(stat) = def.stat() {
        data["statistic"] = json!(stat);
    }
    if let Some(u) = def.input.unit {
        data["unit"] = json!(u.as_str());
    }
    if s.threshold.is_some() {
        data["threshold"] = json_number(threshold);
    }
    if matches!(
        s.eval.comparison,
        Comparison::LessThanLowerOrGreaterThanUpperThreshold
            | Comparison::LessThanLowerThreshold
            | Comparison::GreaterThanUpperThreshold
    ) && let Some(b) = &bands
    {
        let recent: Vec<Value> = real
            .iter()
            .filter_map(|(i, _)| b[*i].map(|(lo, hi)| json!({"lower": json_number(lo), "upper": json_number(hi)})))
            .collect();
        data["recentLowerThresholds"] = json!(recent.iter().map(|r| r["lower"].clone()).collect::<Vec<_>>());
        data["recentUpperThresholds"] = json!(recent.iter().map(|r| r["upper"].clone()).collect::<Vec<_>>());
    }
    Ok(Some(Outcome { state: decision.state, reason, reason_data: data.to_string() }))
}

/// A double as JSON (NaN and infinities, which JSON cannot hold, as null).
pub(crate) fn json_number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::def::{AlarmSettingsInput, validate};
    use crate::metrics::gmd::{MetricDataResult, StatusCode};

    const T0: i64 = 1_795_324_200_000; // 2026-11-22T05:10:00Z, a whole minute

    fn def(n: i64, m: i64, period: i64, tmd: &str) -> MetricDef {
        let input = MetricAlarmInput {
            name: "cpu".into(),
            metric_name: Some("CPU".into()),
            namespace: Some("App".into()),
            statistic: Some("Average".into()),
            period: Some(period),
            evaluation_periods: Some(n),
            datapoints_to_alarm: Some(m),
            threshold: Some(80.0),
            comparison_operator: Some("GreaterThanThreshold".into()),
            treat_missing_data: Some(tmd.into()),
            ..Default::default()
        };
        let settings = validate(&AlarmSettingsInput {
            name: Some(input.name.clone()),
            has_metric: true,
            statistic: input.statistic.clone(),
            period: input.period,
            evaluation_periods: input.evaluation_periods,
            datapoints_to_alarm: input.datapoints_to_alarm,
            threshold: input.threshold,
            comparison_operator: input.comparison_operator.clone(),
            treat_missing_data: input.treat_missing_data.clone(),
            ..Default::default()
        })
        .unwrap();
        MetricDef::new(input, settings)
    }

    /// A fake query path answering from (bucket start → value) points, checking the request.
    fn answer(points: Vec<(i64, f64)>) -> impl Fn(&Tenant, &GetMetricData) -> Result<GetMetricDataResult> {
        move |_, req| {
            let inside: Vec<(i64, f64)> =
                points.iter().copied().filter(|(t, _)| *t >= req.start_ms && *t < req.end_ms).collect();
            let result = |id: &str, f: &dyn Fn(f64) -> f64| MetricDataResult {
                id: id.into(),
                label: id.into(),
                timestamps: inside.iter().map(|p| p.0).collect(),
                values: inside.iter().map(|p| f(p.1)).collect(),
                status_code: StatusCode::Complete,
                messages: vec![],
            };
            Ok(GetMetricDataResult {
                results: vec![result(VALUE_ID, &|v| v), result(COUNT_ID, &|_| 3.0)],
                ..Default::default()
            })
        }
    }

    #[test]
    fn buckets_slide_with_the_evaluation_minute() {
        // Period 5 min, N 1: at 05:10 the bucket is 05:05–05:10, a minute later 05:06–05:11.
        let (start, end, range) = grid(T0, 300, 1, None);
        assert_eq!((end, range), (T0, 3));
        assert_eq!(start + 2 * 300_000, T0 - 300_000);
        let (start2, end2, _) = grid(T0 + 60_000, 300, 1, None);
        assert_eq!((start2 - start, end2 - end), (60_000, 60_000));
        // 10/20/30-second periods end at the last multiple of the period.
        assert_eq!(grid(T0 + 10_000, 30, 3, None).1, T0);
        assert_eq!(grid(T0 + 20_000, 20, 3, None).1, T0 + 20_000);
    }

    #[test]
    fn wall_clock_windows_align_to_the_time_zone_clock() {
        // 05:10 UTC: a 1-hour wall-clock bucket ends at 05:00 UTC, at 04:30 UTC in +05:30
        // (10:00 local), and a day ends at local midnight.
        let hour = 3_600_000;
        assert_eq!(grid(T0, 3600, 1, Some(0)).1, T0 - 10 * 60_000);
        let ist = timezone_offset_ms(Some("+05:30")).unwrap();
        assert_eq!(ist, 330 * 60_000);
        assert_eq!(grid(T0, 3600, 1, Some(ist)).1, T0 - 40 * 60_000);
        let pacific = timezone_offset_ms(Some("UTC-08:00")).unwrap();
        let (_, end, _) = grid(T0, 86_400, 1, Some(pacific));
        assert_eq!((end + pacific).rem_euclid(24 * hour), 0, "local midnight");
        assert!(end <= T0 && T0 - end < 24 * hour);
        for bad in ["America/New_York", "+5:31", "+15:00", "UTC+", "+05:30:00"] {
            assert!(timezone_offset_ms(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(timezone_offset_ms(Some("UTC")).unwrap(), 0);
        assert_eq!(timezone_offset_ms(Some("UTC-3")).unwrap(), -3 * hour);
    }

    #[test]
    fn a_breach_in_the_newest_bucket_alarms_with_aws_reason_and_data() {
        let d = def(1, 1, 60, "missing");
        let q = answer(vec![(T0 - 60_000, 95.5)]);
        let out = evaluate(&d, &Tenant::default(), T0, AlarmState::InsufficientData, &q).unwrap().unwrap();
        assert_eq!(out.state, AlarmState::Alarm);
        assert_eq!(
            out.reason,
            "Threshold Crossed: 1 datapoint [95.5 (22/11/26 05:09:00)] was greater than the threshold (80.0)."
        );
        let data: Value = serde_json::from_str(&out.reason_data).unwrap();
        assert_eq!(data["version"], "1.0");
        assert_eq!(data["statistic"], "Average");
        assert_eq!(data["period"], 60);
        assert_eq!(data["threshold"], 80.0);
        assert_eq!(data["recentDatapoints"], json!([95.5]));
        assert_eq!(data["queryDate"], "2026-11-22T05:10:00.000+0000");
        assert_eq!(
            data["evaluatedDatapoints"],
            json!([{"timestamp": "2026-11-22T05:09:00.000+0000", "sampleCount": 3.0, "value": 95.5}])
        );
        // Evaluated again on the same data in the same state: no change.
        assert_eq!(evaluate(&d, &Tenant::default(), T0, AlarmState::Alarm, &q).unwrap(), None);
    }

    #[test]
    fn a_metric_without_data_is_insufficient_with_missing_and_ok_with_not_breaching() {
        let q = answer(vec![]);
        let d = def(3, 3, 60, "missing");
        // Created INSUFFICIENT_DATA: nothing changes.
        assert_eq!(evaluate(&d, &Tenant::default(), T0, AlarmState::InsufficientData, &q).unwrap(), None);
        let out = evaluate(&d, &Tenant::default(), T0, AlarmState::Ok, &q).unwrap().unwrap();
        assert_eq!(out.state, AlarmState::InsufficientData);
        assert_eq!(out.reason, "Insufficient Data: 3 datapoints were unknown.");
        let d = def(3, 3, 60, "notBreaching");
        let out = evaluate(&d, &Tenant::default(), T0, AlarmState::InsufficientData, &q).unwrap().unwrap();
        assert_eq!(out.state, AlarmState::Ok);
        assert!(out.reason.contains("treated as [NonBreaching]"), "{}", out.reason);
    }

    #[test]
    fn reach_back_uses_the_newest_real_datapoints_of_the_range() {
        // 2 of 3, range 5: `0 - X - X` alarms (the reference table), and the reason lists the
        // evaluated points newest first.
        let d = def(3, 2, 60, "missing");
        let b = |i: i64| T0 - (5 - i) * 60_000; // bucket i of the range
        let q = answer(vec![(b(0), 10.0), (b(2), 90.0), (b(4), 91.0)]);
        let out = evaluate(&d, &Tenant::default(), T0, AlarmState::Ok, &q).unwrap().unwrap();
        assert_eq!(out.state, AlarmState::Alarm);
        assert!(out.reason.starts_with("Threshold Crossed: 2 out of the last 3 datapoints [91.0 (22/11/26 05:09:00), 90.0 (22/11/26 05:07:00), 10.0 (22/11/26 05:05:00)]"), "{}", out.reason);
    }
}
