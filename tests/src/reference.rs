//! An independent model of GetMetricStatistics, written from the CloudWatch documentation
//! rather than from the engine: what the tests sent goes in as [`Observation`]s, the datapoints
//! the server must answer come out as [`Expected`]s.
//!
//! Rules modelled: timestamps stored at 1-second precision (rounded down); StartTime inclusive,
//! EndTime exclusive; buckets start at StartTime rounded down to the minute (to the period for
//! periods under a minute) and step by Period; one datapoint per unit per non-empty bucket;
//! samples are a multiset; `Values` with `Counts` (default 1; a zero count contributes
//! nothing); statistic sets add their four fields. Only data under 15 days old is modelled.
//! Callers keep samples out of `[rounded start, StartTime)`, whose treatment is not pinned down.

use std::collections::BTreeMap;

use stratus_proto::v1 as pb;

use crate::requests::ts_ms;

/// The value part of one observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ObsValue {
    /// `weight` samples of `value` (a single value has weight 1).
    Raw {
        /// The value.
        value: f64,
        /// How many times it was observed.
        weight: f64,
    },
    /// A pre-aggregated statistic set.
    Set {
        /// SampleCount.
        count: f64,
        /// Sum.
        sum: f64,
        /// Minimum.
        min: f64,
        /// Maximum.
        max: f64,
    },
}

/// Something the test sent for one metric: a time, a unit (AWS name; `"None"` for none) and a
/// value.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Epoch milliseconds as sent (sub-second part allowed).
    pub t_ms: i64,
    /// AWS unit name.
    pub unit: String,
    /// The value.
    pub value: ObsValue,
}

fn unit_name(unit: &str) -> String {
    if unit.is_empty() { "None".to_owned() } else { unit.to_owned() }
}

/// The observations of one datum or bulk entry, as the test understands what it sent.
pub fn observations_of(datum: Option<&pb::MetricDatum>, batch: Option<&pb::SeriesBatch>) -> Vec<Observation> {
    let mut out = Vec::new();
    if let Some(d) = datum {
        let t_ms = ts_ms(d.timestamp.as_ref().expect("tests always send a timestamp"));
        let unit = unit_name(&d.unit);
        if let Some(v) = d.value {
            out.push(Observation { t_ms, unit: unit.clone(), value: ObsValue::Raw { value: v, weight: 1.0 } });
        }
        if let Some(s) = &d.statistic_values {
            out.push(Observation {
                t_ms,
                unit: unit.clone(),
                value: ObsValue::Set { count: s.sample_count, sum: s.sum, min: s.minimum, max: s.maximum },
            });
        }
        for (i, v) in d.values.iter().enumerate() {
            let weight = d.counts.get(i).copied().unwrap_or(1.0);
            out.push(Observation { t_ms, unit: unit.clone(), value: ObsValue::Raw { value: *v, weight } });
        }
    }
    if let Some(b) = batch {
        let unit = unit_name(&b.unit);
        for (t, v) in b.timestamps_ms.iter().zip(&b.values) {
            out.push(Observation { t_ms: *t, unit: unit.clone(), value: ObsValue::Raw { value: *v, weight: 1.0 } });
        }
    }
    out
}

/// One datapoint the server must return (all five statistics; [`assert_datapoints`] checks
/// only those requested).
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Bucket start, epoch ms.
    pub timestamp_ms: i64,
    /// AWS unit name.
    pub unit: String,
    /// SampleCount.
    pub sample_count: f64,
    /// Sum.
    pub sum: f64,
    /// Minimum.
    pub minimum: f64,
    /// Maximum.
    pub maximum: f64,
}

impl Expected {
    /// Sum / SampleCount.
    pub fn average(&self) -> f64 {
        self.sum / self.sample_count
    }
}

/// The datapoints GetMetricStatistics must return for `obs` (all of one metric), sorted by
/// (timestamp, unit). `unit` empty means all units.
pub fn reference_statistics(
    obs: &[Observation],
    start_ms: i64,
    end_ms: i64,
    period_s: i64,
    unit: &str,
) -> Vec<Expected> {
    let period = period_s * 1000;
    let round = if period < 60_000 { period } else { 60_000 };
    let origin = start_ms.div_euclid(round) * round;
    let mut buckets: BTreeMap<(i64, String), Expected> = BTreeMap::new();
    for o in obs {
        if !unit.is_empty() && o.unit != unit {
            continue;
        }
        let t = o.t_ms.div_euclid(1000) * 1000;
        if t < start_ms || t >= end_ms {
            continue;
        }
        let bucket = origin + (t - origin).div_euclid(period) * period;
        let (count, sum, min, max) = match o.value {
            ObsValue::Raw { weight, .. } if weight <= 0.0 => continue,
            ObsValue::Raw { value, weight } => (weight, value * weight, value, value),
            ObsValue::Set { count, sum, min, max } => (count, sum, min, max),
        };
        let e = buckets.entry((bucket, o.unit.clone())).or_insert_with(|| Expected {
            timestamp_ms: bucket,
            unit: o.unit.clone(),
            sample_count: 0.0,
            sum: 0.0,
            minimum: f64::INFINITY,
            maximum: f64::NEG_INFINITY,
        });
        e.sample_count += count;
        e.sum += sum;
        e.minimum = e.minimum.min(min);
        e.maximum = e.maximum.max(max);
    }
    buckets.into_values().collect()
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Asserts that `actual` (a GetMetricStatistics response) matches `expected`: the same
/// (timestamp, unit) datapoints, exactly the `statistics` requested present, values equal up to
/// floating-point summation order, and timestamps in ascending order. `what` names the check in
/// the panic message.
pub fn assert_datapoints(what: &str, actual: &[pb::Datapoint], expected: &[Expected], statistics: &[&str]) {
    let times: Vec<i64> = actual.iter().map(|d| d.timestamp.as_ref().map_or(i64::MIN, ts_ms)).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{what}: datapoints not in ascending time order: {times:?}");

    let mut got: Vec<(i64, &str, &pb::Datapoint)> =
        actual.iter().zip(&times).map(|(d, t)| (*t, d.unit.as_str(), d)).collect();
    got.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let got_keys: Vec<(i64, &str)> = got.iter().map(|(t, u, _)| (*t, *u)).collect();
    let want_keys: Vec<(i64, &str)> = expected.iter().map(|e| (e.timestamp_ms, e.unit.as_str())).collect();
    assert_eq!(
        got_keys, want_keys,
        "{what}: datapoint (timestamp, unit) keys differ\n actual: {actual:#?}\n expected: {expected:#?}"
    );
    for ((_, _, d), e) in got.iter().zip(expected) {
        let fields: [(&str, Option<f64>, f64); 5] = [
            ("SampleCount", d.sample_count, e.sample_count),
            ("Average", d.average, e.average()),
            ("Sum", d.sum, e.sum),
            ("Minimum", d.minimum, e.minimum),
            ("Maximum", d.maximum, e.maximum),
        ];
        for (name, got, want) in fields {
            if statistics.contains(&name) {
                let got = got.unwrap_or_else(|| panic!("{what}: {name} missing in {d:?}"));
                assert!(
                    close(got, want),
                    "{what}: {name} at {} {}: got {got}, expected {want}\n{d:?}",
                    e.timestamp_ms,
                    e.unit
                );
            } else {
                assert!(got.is_none(), "{what}: {name} not requested but present in {d:?}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(t_ms: i64, unit: &str, value: f64, weight: f64) -> Observation {
        Observation { t_ms, unit: unit.into(), value: ObsValue::Raw { value, weight } }
    }

    #[test]
    fn buckets_units_and_bounds() {
        let obs = vec![
            raw(60_000, "Count", 1.0, 1.0),
            raw(60_000, "Count", 1.0, 1.0), // duplicate: counts twice
            raw(119_999, "Count", 4.0, 2.0),
            raw(119_999, "None", 9.0, 1.0),
            raw(180_000, "Count", 100.0, 1.0), // at EndTime: excluded
            raw(59_999, "Count", 100.0, 1.0),  // before StartTime: excluded
            Observation {
                t_ms: 120_500,
                unit: "Count".into(),
                value: ObsValue::Set { count: 3.0, sum: 30.0, min: 5.0, max: 15.0 },
            },
        ];
        let e = reference_statistics(&obs, 60_000, 180_000, 60, "");
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].timestamp_ms, e[0].unit.as_str(), e[0].sample_count, e[0].sum), (60_000, "Count", 4.0, 10.0));
        assert_eq!((e[0].minimum, e[0].maximum), (1.0, 4.0));
        assert_eq!((e[1].unit.as_str(), e[1].sample_count), ("None", 1.0));
        assert_eq!((e[2].timestamp_ms, e[2].sample_count, e[2].maximum), (120_000, 3.0, 15.0));
        // Unaligned start: buckets from the minute below it.
        let e = reference_statistics(&obs, 90_000, 180_000, 60, "Count");
        assert_eq!(e.iter().map(|e| e.timestamp_ms).collect::<Vec<_>>(), vec![60_000, 120_000]);
        assert_eq!(e[0].sample_count, 2.0);
    }
}
