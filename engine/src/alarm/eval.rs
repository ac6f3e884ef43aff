//! The metric-alarm decision: a pure function of the alarm's evaluation settings, the
//! datapoints of its evaluation range and its current state (`aws-semantics.md` §3.2).
//!
//! The range holds one slot per Period bucket, oldest first, newest last; a slot is `None` when
//! the bucket had no data. With N = EvaluationPeriods and M = DatapointsToAlarm:
//!
//! 1. Every slot missing: `missing` → INSUFFICIENT_DATA, `ignore` → keep the state,
//!    `breaching` → ALARM, `notBreaching` → OK.
//! 2. No slot missing: the N newest buckets are evaluated.
//! 3. Some missing but at least N real datapoints: the N newest *real* datapoints are evaluated
//!    (reaching back); TreatMissingData is not consulted.
//! 4. Fewer than N real datapoints: all of them are evaluated, and `breaching` / `notBreaching`
//!    fill the rest up to N (`missing` and `ignore` fill nothing).
//! 5. ALARM when at least M evaluated points breach, else OK — except the premature-alarm
//!    case of step 4: every real datapoint breaches, the oldest of them lies within the newest
//!    N slots and is at least M periods old (counting its own). Then `missing` and `breaching`
//!    go to ALARM, `ignore` keeps the state, and `notBreaching` fills as usual.
//!
//! The AWS guide's prose about step 5 is inconsistent; its two reference tables (N = 3, range
//! 5, 3-of-3 and 2-of-3, all four TreatMissingData settings) are the ground truth and are the
//! table tests below, verbatim. `naive` in the tests is a second, deliberately direct
//! implementation the property test compares against.

/// An alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmState {
    /// `OK`.
    Ok,
    /// `ALARM`.
    Alarm,
    /// `INSUFFICIENT_DATA`.
    InsufficientData,
}

impl AlarmState {
    /// The state as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// `TreatMissingData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TreatMissingData {
    /// `missing` (the default).
    #[default]
    Missing,
    /// `ignore`: keep the current state when nothing can be decided.
    Ignore,
    /// `breaching`: a missing datapoint counts as breaching.
    Breaching,
    /// `notBreaching`: a missing datapoint counts as within the threshold.
    NotBreaching,
}

/// `ComparisonOperator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `GreaterThanOrEqualToThreshold`.
    GreaterThanOrEqualToThreshold,
    /// `GreaterThanThreshold`.
    GreaterThanThreshold,
    /// `LessThanThreshold`.
    LessThanThreshold,
    /// `LessThanOrEqualToThreshold`.
    LessThanOrEqualToThreshold,
    /// `LessThanLowerOrGreaterThanUpperThreshold` (anomaly band).
    LessThanLowerOrGreaterThanUpperThreshold,
    /// `LessThanLowerThreshold` (anomaly band).
    LessThanLowerThreshold,
    /// `GreaterThanUpperThreshold` (anomaly band).
    GreaterThanUpperThreshold,
}

/// What a datapoint is compared with: a static threshold, or an anomaly band's bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// `Threshold`.
    Threshold(f64),
    /// The band `[lower, upper]` at this datapoint (`ThresholdMetricId`).
    Band { lower: f64, upper: f64 },
}

impl Comparison {
    /// Whether `value` breaches against `bound`. A comparison that needs a band given a static
    /// threshold (or the reverse) uses the threshold as both bounds.
    pub fn breaches(self, value: f64, bound: Bound) -> bool {
        let (lower, upper) = match bound {
            Bound::Threshold(t) => (t, t),
            Bound::Band { lower, upper } => (lower, upper),
        };
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= upper,
            Comparison::GreaterThanThreshold => value > upper,
            Comparison::LessThanThreshold => value < lower,
            Comparison::LessThanOrEqualToThreshold => value <= lower,
            Comparison::LessThanLowerOrGreaterThanUpperThreshold => value < lower || value > upper,
            Comparison::LessThanLowerThreshold => value < lower,
            Comparison::GreaterThanUpperThreshold => value > upper,
        }
    }
}

/// The evaluation settings of a metric alarm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalSettings {
    /// N = `EvaluationPeriods` (≥ 1).
    pub evaluation_periods: usize,
    /// M = `DatapointsToAlarm` (1 ≤ M ≤ N).
    pub datapoints_to_alarm: usize,
    /// `TreatMissingData`.
    pub treat_missing: TreatMissingData,
    /// `ComparisonOperator`.
    pub comparison: Comparison,
}

/// The number of Period buckets an alarm with N evaluation periods looks at. AWS does not
/// publish the formula; its examples use 5 for N = 3, which `N + max(⌊N/3⌋, 2)` gives.
pub fn evaluation_range(evaluation_periods: usize) -> usize {
    evaluation_periods + (evaluation_periods / 3).max(2)
}

/// One slot of the evaluation range: the datapoint's value and what it is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// The statistic over the bucket.
    pub value: f64,
    /// Its threshold or band.
    pub bound: Bound,
}

/// How one evaluated point was counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evaluated {
    /// A real datapoint at this index of the range.
    Real { index: usize, breaching: bool },
    /// A missing datapoint filled by `breaching` / `notBreaching`.
    Filled { breaching: bool },
}

/// What the evaluation decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The state the alarm should be in (its current state when the rules say keep it).
    pub state: AlarmState,
    /// Whether the rules said to keep the current state (`ignore`).
    pub kept: bool,
    /// The points evaluated, oldest first (empty when every slot was missing).
    pub evaluated: Vec<Evaluated>,
    /// How many of them breach.
    pub breaching: usize,
    /// Whether the premature-alarm rule decided.
    pub premature: bool,
}

/// Decides the alarm's state from its evaluation range (`range[0]` oldest, `None` = missing).
pub fn decide(settings: &EvalSettings, range: &[Option<Slot>], current: AlarmState) -> Decision {
    let n = settings.evaluation_periods.max(1);
    let m = settings.datapoints_to_alarm.clamp(1, n);
    let treat = settings.treat_missing;
    let keep = |premature: bool, evaluated: Vec<Evaluated>, breaching: usize| Decision {
        state: current,
        kept: true,
        evaluated,
        breaching,
        premature,
    };
    let breaches = |s: &Slot| settings.comparison.breaches(s.value, s.bound);

    let reals: Vec<(usize, bool)> =
        range.iter().enumerate().filter_map(|(i, s)| s.map(|s| (i, breaches(&s)))).collect();
    if reals.is_empty() {
        let state = match treat {
            TreatMissingData::Missing => AlarmState::InsufficientData,
            TreatMissingData::Ignore => return keep(false, Vec::new(), 0),
            TreatMissingData::Breaching => AlarmState::Alarm,
            TreatMissingData::NotBreaching => AlarmState::Ok,
        };
        return Decision { state, kept: false, evaluated: Vec::new(), breaching: 0, premature: false };
    }

    let any_missing = reals.len() < range.len();
    let mut evaluated: Vec<Evaluated> = if !any_missing {
        // Step 2: the N newest buckets (all real).
        reals[reals.len().saturating_sub(n)..]
            .iter()
            .map(|&(index, breaching)| Evaluated::Real { index, breaching })
            .collect()
    } else if reals.len() >= n {
        // Step 3: the N newest real datapoints.
        reals[reals.len() - n..].iter().map(|&(index, breaching)| Evaluated::Real { index, breaching }).collect()
    } else {
        // Step 4: every real datapoint, then the premature rule, then the fill.
        let all: Vec<Evaluated> =
            reals.iter().map(|&(index, breaching)| Evaluated::Real { index, breaching }).collect();
        let oldest = reals[0].0;
        let premature = reals.iter().all(|&(_, b)| b) && oldest + n >= range.len() && range.len() - oldest >= m;
        if premature {
            let count = all.len();
            match treat {
                TreatMissingData::Missing | TreatMissingData::Breaching => {
                    return Decision {
                        state: AlarmState::Alarm,
                        kept: false,
                        evaluated: all,
                        breaching: count,
                        premature,
                    };
                }
                TreatMissingData::Ignore => return keep(true, all, count),
                TreatMissingData::NotBreaching => {}
            }
        }
        all
    };
    let fill = match treat {
        TreatMissingData::Breaching => Some(true),
        TreatMissingData::NotBreaching => Some(false),
        TreatMissingData::Missing | TreatMissingData::Ignore => None,
    };
    if let Some(breaching) = fill {
        while evaluated.len() < n {
            evaluated.push(Evaluated::Filled { breaching });
        }
    }
    let breaching = evaluated
        .iter()
        .filter(|e| matches!(e, Evaluated::Real { breaching: true, .. } | Evaluated::Filled { breaching: true }))
        .count();
    let state = if breaching >= m { AlarmState::Alarm } else { AlarmState::Ok };
    Decision { state, kept: false, evaluated, breaching, premature: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: f64 = 10.0;

    /// `"0 - X - X"` (oldest first): `0` within the threshold, `X` breaching, `-` missing.
    fn range(pattern: &str) -> Vec<Option<Slot>> {
        pattern
            .split_whitespace()
            .map(|c| match c {
                "0" => Some(Slot { value: 5.0, bound: Bound::Threshold(T) }),
                "X" => Some(Slot { value: 15.0, bound: Bound::Threshold(T) }),
                "-" => None,
                other => panic!("bad pattern token {other}"),
            })
            .collect()
    }

    fn settings(m: usize, treat: TreatMissingData) -> EvalSettings {
        EvalSettings {
            evaluation_periods: 3,
            datapoints_to_alarm: m,
            treat_missing: treat,
            comparison: Comparison::GreaterThanThreshold,
        }
    }

    /// Expected outcome: a state, or `None` for "keep the current state".
    type Row = (&'static str, [Option<AlarmState>; 4]);

    const OK: Option<AlarmState> = Some(AlarmState::Ok);
    const ALARM: Option<AlarmState> = Some(AlarmState::Alarm);
    const INSUFFICIENT: Option<AlarmState> = Some(AlarmState::InsufficientData);
    const KEEP: Option<AlarmState> = None;
    const SETTINGS: [TreatMissingData; 4] = [
        TreatMissingData::Missing,
        TreatMissingData::Ignore,
        TreatMissingData::Breaching,
        TreatMissingData::NotBreaching,
    ];

    /// The AWS guide's tables (N = 3, range 5), columns missing / ignore / breaching / notBreaching.
    const THREE_OF_THREE: [Row; 5] = [
        ("0 - X - X", [OK, OK, OK, OK]),
        ("0 - - - -", [OK, OK, OK, OK]),
        ("- - - - -", [INSUFFICIENT, KEEP, ALARM, OK]),
        ("0 X X - X", [ALARM, ALARM, ALARM, ALARM]),
        ("- - X - -", [ALARM, KEEP, ALARM, OK]),
    ];
    const TWO_OF_THREE: [Row; 5] = [
        ("0 - X - X", [ALARM, ALARM, ALARM, ALARM]),
        ("0 0 X 0 X", [ALARM, ALARM, ALARM, ALARM]),
        ("0 - X - -", [OK, OK, ALARM, OK]),
        ("- - - - 0", [OK, OK, ALARM, OK]),
        ("- - - X -", [ALARM, KEEP, ALARM, OK]),
    ];

    fn check_table(m: usize, rows: &[Row]) {
        for (pattern, expected) in rows {
            for (treat, want) in SETTINGS.iter().zip(expected) {
                // Keep must be visible whatever the current state is.
                for current in [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData] {
                    let d = decide(&settings(m, *treat), &range(pattern), current);
                    let want_state = want.unwrap_or(current);
                    assert_eq!(d.state, want_state, "{m}-of-3 {pattern:?} {treat:?} from {current:?}: {d:?}");
                    assert_eq!(d.kept, want.is_none(), "{m}-of-3 {pattern:?} {treat:?}: {d:?}");
                }
            }
        }
    }

    #[test]
    fn aws_table_three_of_three() {
        check_table(3, &THREE_OF_THREE);
    }

    #[test]
    fn aws_table_two_of_three() {
        check_table(2, &TWO_OF_THREE);
    }

    #[test]
    fn a_breach_too_recent_does_not_alarm_yet() {
        for pattern in ["- - - - X", "- - - X -"] {
            let d = decide(&settings(3, TreatMissingData::Missing), &range(pattern), AlarmState::Ok);
            assert_eq!(d.state, AlarmState::Ok, "{pattern}: {d:?}");
        }
    }

    #[test]
    fn evaluation_range_matches_the_documented_example() {
        assert_eq!(evaluation_range(3), 5);
        assert_eq!(evaluation_range(1), 3);
        assert_eq!(evaluation_range(9), 12);
    }

    #[test]
    fn every_operator_and_the_band() {
        use Comparison::*;
        let t = Bound::Threshold(10.0);
        assert!(GreaterThanOrEqualToThreshold.breaches(10.0, t) && !GreaterThanThreshold.breaches(10.0, t));
        assert!(LessThanOrEqualToThreshold.breaches(10.0, t) && !LessThanThreshold.breaches(10.0, t));
        let band = Bound::Band { lower: 5.0, upper: 15.0 };
        assert!(LessThanLowerOrGreaterThanUpperThreshold.breaches(4.0, band));
        assert!(LessThanLowerOrGreaterThanUpperThreshold.breaches(16.0, band));
        assert!(!LessThanLowerOrGreaterThanUpperThreshold.breaches(10.0, band));
        assert!(LessThanLowerThreshold.breaches(4.0, band) && !LessThanLowerThreshold.breaches(16.0, band));
        assert!(GreaterThanUpperThreshold.breaches(16.0, band) && !GreaterThanUpperThreshold.breaches(4.0, band));
        assert!(!GreaterThanThreshold.breaches(f64::NAN, t), "NaN never breaches");
    }

    /// A second, deliberately direct reading of the rules, written from the module doc without
    /// sharing code with `decide`: used only to cross-check it.
    fn naive(n: usize, m: usize, treat: TreatMissingData, slots: &[Option<bool>], current: AlarmState) -> AlarmState {
        let r = slots.len();
        let real: Vec<(usize, bool)> = (0..r).filter_map(|i| slots[i].map(|b| (i, b))).collect();
        if real.is_empty() {
            return match treat {
                TreatMissingData::Missing => AlarmState::InsufficientData,
                TreatMissingData::Ignore => current,
                TreatMissingData::Breaching => AlarmState::Alarm,
                TreatMissingData::NotBreaching => AlarmState::Ok,
            };
        }
        let mut points: Vec<bool> = Vec::new();
        if real.len() == r || real.len() >= n {
            for &(_, b) in real.iter().rev().take(n) {
                points.push(b);
            }
        } else {
            for &(_, b) in &real {
                points.push(b);
            }
            let oldest = real[0].0;
            let all_breach = real.iter().all(|p| p.1);
            let in_last_n = oldest >= r - n;
            let age = r - oldest;
            if all_breach && in_last_n && age >= m {
                match treat {
                    TreatMissingData::Missing | TreatMissingData::Breaching => return AlarmState::Alarm,
                    TreatMissingData::Ignore => return current,
                    TreatMissingData::NotBreaching => {}
                }
            }
            let fill = match treat {
                TreatMissingData::Breaching => Some(true),
                TreatMissingData::NotBreaching => Some(false),
                _ => None,
            };
            if let Some(f) = fill {
                while points.len() < n {
                    points.push(f);
                }
            }
        }
        if points.iter().filter(|b| **b).count() >= m { AlarmState::Alarm } else { AlarmState::Ok }
    }

    proptest::proptest! {
        #[test]
        fn decide_agrees_with_the_naive_reading(
            n in 1usize..8,
            m_seed in 0usize..8,
            treat_i in 0usize..4,
            current_i in 0usize..3,
            cells in proptest::collection::vec(0u8..3, 12),
        ) {
            let m = 1 + m_seed % n;
            let r = evaluation_range(n);
            let slots: Vec<Option<bool>> = cells[..r.min(cells.len())]
                .iter()
                .map(|c| match c { 0 => None, 1 => Some(false), _ => Some(true) })
                .collect();
            let current = [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData][current_i];
            let treat = SETTINGS[treat_i];
            let range: Vec<Option<Slot>> = slots
                .iter()
                .map(|s| s.map(|b| Slot { value: if b { 15.0 } else { 5.0 }, bound: Bound::Threshold(T) }))
                .collect();
            let s = EvalSettings { evaluation_periods: n, datapoints_to_alarm: m, treat_missing: treat, comparison: Comparison::GreaterThanThreshold };
            let d = decide(&s, &range, current);
            proptest::prop_assert_eq!(d.state, naive(n, m, treat, &slots, current));
        }
    }
}
