//! PutMetricAlarm's settings, validated as CloudWatch validates them (`aws-semantics.md` §3.1):
//! the evaluation settings (EvaluationPeriods, DatapointsToAlarm, Period and their product,
//! ComparisonOperator with Threshold or ThresholdMetricId, TreatMissingData,
//! EvaluateLowSampleCountPercentile), the choice of exactly one source (a single metric with
//! exactly one of Statistic / ExtendedStatistic, or `Metrics[]` with exactly one ReturnData),
//! names, descriptions and action lists. Every error names the field.

use super::eval::{Comparison, EvalSettings, TreatMissingData};
use crate::error::{Error, InvalidCode, Result};

/// Longest alarm name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Most actions per state.
pub const MAX_ACTIONS: usize = 5;
/// Most queries in `Metrics[]`.
pub const MAX_METRICS: usize = 20;

/// The raw settings of a PutMetricAlarm request that decide how it evaluates, as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmSettingsInput {
    /// `AlarmName`.
    pub name: Option<String>,
    /// `AlarmDescription`.
    pub description: Option<String>,
    /// `MetricName` + `Namespace` given (the single-metric source).
    pub has_metric: bool,
    /// `Statistic`.
    pub statistic: Option<String>,
    /// `ExtendedStatistic`.
    pub extended_statistic: Option<String>,
    /// `Period` (seconds) of the single-metric source.
    pub period: Option<i64>,
    /// The `Metrics[]` queries: (id, return_data, period of its MetricStat if any).
    pub metrics: Vec<(String, Option<bool>, Option<i64>)>,
    /// `EvaluationPeriods`.
    pub evaluation_periods: Option<i64>,
    /// `DatapointsToAlarm`.
    pub datapoints_to_alarm: Option<i64>,
    /// `Threshold`.
    pub threshold: Option<f64>,
    /// `ThresholdMetricId`.
    pub threshold_metric_id: Option<String>,
    /// `ComparisonOperator`.
    pub comparison_operator: Option<String>,
    /// `TreatMissingData`.
    pub treat_missing_data: Option<String>,
    /// `EvaluateLowSampleCountPercentile`.
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// `OKActions`, `AlarmActions`, `InsufficientDataActions`.
    pub actions: [Vec<String>; 3],
}

/// The validated evaluation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSettings {
    /// The alarm's name.
    pub name: String,
    /// Evaluation settings for [`super::eval::decide`].
    pub eval: EvalSettings,
    /// The period of the evaluated series, in seconds.
    pub period_s: i64,
    /// `Threshold` (static operators) — `None` for anomaly-band alarms.
    pub threshold: Option<f64>,
    /// `ThresholdMetricId` (anomaly-band alarms).
    pub threshold_metric_id: Option<String>,
    /// `EvaluateLowSampleCountPercentile` is `ignore`.
    pub ignore_low_sample_count: bool,
}

fn invalid(message: String) -> Error {
    Error::invalid(InvalidCode::InvalidParameterValue, message)
}

fn combination(message: String) -> Error {
    Error::invalid(InvalidCode::InvalidParameterCombination, message)
}

fn missing(field: &str) -> Error {
    Error::invalid(InvalidCode::MissingParameter, format!("The parameter {field} is required."))
}

/// Whether `p` is a period an alarm may use: 10, 20, 30 or a positive multiple of 60 seconds.
pub fn valid_alarm_period(p: i64) -> bool {
    matches!(p, 10 | 20 | 30) || (p > 0 && p % 60 == 0)
}

/// Checks what every alarm kind shares: the name (1–255 characters, no control characters),
/// the description (≤ 1024 characters) and the action lists (OK, ALARM, INSUFFICIENT_DATA; ≤ 5
/// each).
pub fn validate_common(name: &str, description: Option<&str>, actions: [&Vec<String>; 3]) -> Result<()> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(|c| c.is_ascii_control()) {
        return Err(invalid(format!(
            "The value for parameter AlarmName is invalid: it must have 1 to {MAX_NAME_CHARS} characters and no control characters."
        )));
    }
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
        return Err(invalid(format!("AlarmDescription must have at most {MAX_DESCRIPTION_CHARS} characters.")));
    }
    for (field, list) in ["OKActions", "AlarmActions", "InsufficientDataActions"].iter().zip(actions) {
        if list.len() > MAX_ACTIONS {
            return Err(invalid(format!("The collection {field} must not have more than {MAX_ACTIONS} members.")));
        }
    }
    Ok(())
}

/// Validates the settings, returning what evaluation needs.
pub fn validate(input: &AlarmSettingsInput) -> Result<AlarmSettings> {
    let name = input.name.clone().ok_or_else(|| missing("AlarmName"))?;
    validate_common(&name, input.description.as_deref(), [&input.actions[0], &input.actions[1], &input.actions[2]])?;

    // Exactly one source.
    let period_s = match (input.has_metric, input.metrics.is_empty()) {
        (true, false) => {
            return Err(combination(
                "The parameters MetricName/Namespace and Metrics are mutually exclusive and you have specified both."
                    .into(),
            ));
        }
        (false, true) => return Err(missing("MetricName, Namespace or Metrics")),
        (true, true) => {
            match (&input.statistic, &input.extended_statistic) {
                (Some(_), Some(_)) => {
                    return Err(combination(
                        "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both."
                            .into(),
                    ));
                }
                (None, None) => return Err(missing("Statistic or ExtendedStatistic")),
                _ => {}
            }
            input.period.ok_or_else(|| missing("Period"))?
        }
        (false, false) => {
            if input.statistic.is_some() || input.extended_statistic.is_some() || input.period.is_some() {
                return Err(combination(
                    "Statistic, ExtendedStatistic and Period belong to a single-metric alarm; with Metrics they go in each MetricStat."
                        .into(),
                ));
            }
            if input.metrics.len() > MAX_METRICS {
                return Err(invalid(format!("The collection Metrics must not have more than {MAX_METRICS} members.")));
            }
            // ReturnData defaults to true for each query; exactly one may return.
            let returning = input.metrics.iter().filter(|(_, r, _)| r.unwrap_or(true)).count();
            if returning != 1 {
                return Err(invalid(format!(
                    "Exactly one element of the Metrics list must return data (ReturnData true); {returning} do."
                )));
            }
            let periods: Vec<i64> = input.metrics.iter().filter_map(|(_, _, p)| *p).collect();
            let first = *periods.first().ok_or_else(|| missing("Metrics.member.N.MetricStat.Period"))?;
            if periods.iter().any(|p| *p != first) {
                return Err(invalid("All metrics of an alarm must have the same Period.".into()));
            }
            first
        }
    };
    if !valid_alarm_period(period_s) {
        return Err(invalid(format!(
            "The parameter Period must be 10, 20, 30 or a multiple of 60 seconds; {period_s} is not."
        )));
    }

    let n = input.evaluation_periods.ok_or_else(|| missing("EvaluationPeriods"))?;
    if n < 1 {
        return Err(invalid(format!(
            "The value {n} for parameter EvaluationPeriods is invalid: it must be at least 1."
        )));
    }
    let m = input.datapoints_to_alarm.unwrap_or(n);
    if !(1..=n).contains(&m) {
        return Err(invalid(format!(
            "The value {m} for parameter DatapointsToAlarm is invalid: it must be between 1 and EvaluationPeriods ({n})."
        )));
    }
    let span = period_s.saturating_mul(n);
    let limit = if period_s < 3600 { 86_400 } else { 604_800 };
    if span > limit {
        return Err(invalid(format!(
            "The product of Period ({period_s}) and EvaluationPeriods ({n}) must not exceed {limit} seconds."
        )));
    }

    let op = input.comparison_operator.as_deref().ok_or_else(|| missing("ComparisonOperator"))?;
    let comparison = match op {
        "GreaterThanOrEqualToThreshold" => Comparison::GreaterThanOrEqualToThreshold,
        "GreaterThanThreshold" => Comparison::GreaterThanThreshold,
        "LessThanThreshold" => Comparison::LessThanThreshold,
        "LessThanOrEqualToThreshold" => Comparison::LessThanOrEqualToThreshold,
        "LessThanLowerOrGreaterThanUpperThreshold" => Comparison::LessThanLowerOrGreaterThanUpperThreshold,
        "LessThanLowerThreshold" => Comparison::LessThanLowerThreshold,
        "GreaterThanUpperThreshold" => Comparison::GreaterThanUpperThreshold,
        other => {
            return Err(invalid(format!("The value {other} for parameter ComparisonOperator is invalid.")));
        }
    };
    let band = matches!(
        comparison,
        Comparison::LessThanLowerOrGreaterThanUpperThreshold
            | Comparison::LessThanLowerThreshold
            | Comparison::GreaterThanUpperThreshold
    );
    match (band, input.threshold, &input.threshold_metric_id) {
        (false, None, _) => return Err(missing("Threshold")),
        (false, Some(_), Some(_)) => {
            return Err(combination("ThresholdMetricId is only for anomaly-detection comparison operators.".into()));
        }
        (true, _, None) => return Err(missing("ThresholdMetricId")),
        (true, Some(_), Some(_)) => {
            return Err(combination(
                "The parameters Threshold and ThresholdMetricId are mutually exclusive and you have specified both."
                    .into(),
            ));
        }
        (false, Some(t), None) if !t.is_finite() => {
            return Err(invalid(format!("The value {t} for parameter Threshold is invalid.")));
        }
        _ => {}
    }
    if let Some(id) = &input.threshold_metric_id
        && !input.metrics.iter().any(|(qid, _, _)| qid == id)
    {
        return Err(invalid(format!("ThresholdMetricId {id} does not name a query of Metrics.")));
    }

    let treat_missing = match input.treat_missing_data.as_deref() {
        None | Some("missing") => TreatMissingData::Missing,
        Some("ignore") => TreatMissingData::Ignore,
        Some("breaching") => TreatMissingData::Breaching,
        Some("notBreaching") => TreatMissingData::NotBreaching,
        Some(other) => {
            return Err(invalid(format!(
                "The value {other} for parameter TreatMissingData is invalid: use breaching, notBreaching, ignore or missing."
            )));
        }
    };
    let ignore_low_sample_count = match input.evaluate_low_sample_count_percentile.as_deref() {
        None | Some("") | Some("evaluate") => false,
        Some("ignore") => true,
        Some(other) => {
            return Err(invalid(format!(
                "The value {other} for parameter EvaluateLowSampleCountPercentile is invalid: use evaluate or ignore."
            )));
        }
    };
    if input.evaluate_low_sample_count_percentile.as_deref().is_some_and(|v| !v.is_empty())
        && !input.extended_statistic.as_deref().is_some_and(|s| s.starts_with('p'))
    {
        return Err(combination("EvaluateLowSampleCountPercentile applies only to percentile alarms.".into()));
    }

    Ok(AlarmSettings {
        name,
        eval: EvalSettings {
            evaluation_periods: n as usize,
            datapoints_to_alarm: m as usize,
            treat_missing,
            comparison,
        },
        period_s,
        threshold: input.threshold,
        threshold_metric_id: input.threshold_metric_id.clone(),
        ignore_low_sample_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> AlarmSettingsInput {
        AlarmSettingsInput {
            name: Some("cpu-high".into()),
            has_metric: true,
            statistic: Some("Average".into()),
            period: Some(60),
            evaluation_periods: Some(3),
            threshold: Some(80.0),
            comparison_operator: Some("GreaterThanThreshold".into()),
            ..AlarmSettingsInput::default()
        }
    }

    fn code(input: &AlarmSettingsInput) -> (InvalidCode, String) {
        match validate(input) {
            Err(Error::InvalidArgument { code, message }) => (code, message),
            other => panic!("{input:?}: {other:?}"),
        }
    }

    #[test]
    fn a_plain_alarm_gets_defaults() {
        let s = validate(&base()).unwrap();
        assert_eq!((s.eval.evaluation_periods, s.eval.datapoints_to_alarm), (3, 3));
        assert_eq!(s.eval.treat_missing, TreatMissingData::Missing);
        assert_eq!((s.period_s, s.threshold), (60, Some(80.0)));
    }

    #[test]
    fn periods_and_their_product() {
        for p in [10, 20, 30, 60, 300, 3600] {
            assert!(validate(&AlarmSettingsInput { period: Some(p), ..base() }).is_ok(), "{p}");
        }
        for p in [0, 1, 5, 15, 45, 90, -60] {
            assert_eq!(
                code(&AlarmSettingsInput { period: Some(p), ..base() }).0,
                InvalidCode::InvalidParameterValue,
                "{p}"
            );
        }
        // One day when Period < 1 h, seven days otherwise.
        assert!(validate(&AlarmSettingsInput { period: Some(60), evaluation_periods: Some(1440), ..base() }).is_ok());
        assert!(validate(&AlarmSettingsInput { period: Some(60), evaluation_periods: Some(1441), ..base() }).is_err());
        assert!(validate(&AlarmSettingsInput { period: Some(3600), evaluation_periods: Some(168), ..base() }).is_ok());
        assert!(validate(&AlarmSettingsInput { period: Some(3600), evaluation_periods: Some(169), ..base() }).is_err());
        assert!(validate(&AlarmSettingsInput { datapoints_to_alarm: Some(4), ..base() }).is_err());
        assert!(validate(&AlarmSettingsInput { datapoints_to_alarm: Some(0), ..base() }).is_err());
        assert!(validate(&AlarmSettingsInput { evaluation_periods: Some(0), ..base() }).is_err());
        assert_eq!(code(&AlarmSettingsInput { evaluation_periods: None, ..base() }).0, InvalidCode::MissingParameter);
    }

    #[test]
    fn exactly_one_source() {
        let both_stats = AlarmSettingsInput { extended_statistic: Some("p99".into()), ..base() };
        assert_eq!(code(&both_stats).0, InvalidCode::InvalidParameterCombination);
        let no_stat = AlarmSettingsInput { statistic: None, ..base() };
        assert_eq!(code(&no_stat).0, InvalidCode::MissingParameter);
        let metrics = vec![("m".to_string(), Some(false), Some(60)), ("e".to_string(), None, None)];
        let both = AlarmSettingsInput { metrics: metrics.clone(), ..base() };
        assert_eq!(code(&both).0, InvalidCode::InvalidParameterCombination);
        let math =
            AlarmSettingsInput { has_metric: false, statistic: None, period: None, metrics: metrics.clone(), ..base() };
        assert_eq!(validate(&math).unwrap().period_s, 60);
        let two_returning = AlarmSettingsInput {
            metrics: vec![("m".to_string(), None, Some(60)), ("e".to_string(), None, None)],
            ..math.clone()
        };
        assert!(code(&two_returning).1.contains("Exactly one"), "ReturnData defaults to true");
        let mixed_periods = AlarmSettingsInput {
            metrics: vec![
                ("a".into(), Some(false), Some(60)),
                ("b".into(), Some(false), Some(300)),
                ("e".into(), None, None),
            ],
            ..math.clone()
        };
        assert!(validate(&mixed_periods).is_err());
        let none = AlarmSettingsInput { has_metric: false, ..base() };
        assert_eq!(code(&none).0, InvalidCode::MissingParameter);
    }

    #[test]
    fn operators_thresholds_and_bands() {
        assert!(code(&AlarmSettingsInput { comparison_operator: Some("Above".into()), ..base() }).1.contains("Above"));
        assert_eq!(code(&AlarmSettingsInput { threshold: None, ..base() }).0, InvalidCode::MissingParameter);
        assert!(validate(&AlarmSettingsInput { threshold: Some(f64::NAN), ..base() }).is_err());
        let band = AlarmSettingsInput {
            has_metric: false,
            statistic: None,
            period: None,
            threshold: None,
            threshold_metric_id: Some("ad".into()),
            comparison_operator: Some("LessThanLowerOrGreaterThanUpperThreshold".into()),
            metrics: vec![("m".into(), None, Some(300)), ("ad".into(), Some(false), None)],
            ..base()
        };
        let s = validate(&band).unwrap();
        assert_eq!((s.eval.comparison, s.threshold), (Comparison::LessThanLowerOrGreaterThanUpperThreshold, None));
        assert!(validate(&AlarmSettingsInput { threshold: Some(1.0), ..band.clone() }).is_err());
        assert!(validate(&AlarmSettingsInput { threshold_metric_id: None, ..band.clone() }).is_err());
        assert!(validate(&AlarmSettingsInput { threshold_metric_id: Some("zz".into()), ..band }).is_err());
    }

    #[test]
    fn names_settings_and_actions() {
        assert!(validate(&AlarmSettingsInput { name: Some(String::new()), ..base() }).is_err());
        assert!(validate(&AlarmSettingsInput { name: Some("a\u{7}b".into()), ..base() }).is_err());
        assert!(validate(&AlarmSettingsInput { name: Some("é".repeat(255)), ..base() }).is_ok());
        assert!(validate(&AlarmSettingsInput { name: Some("é".repeat(256)), ..base() }).is_err());
        assert!(validate(&AlarmSettingsInput { description: Some("d".repeat(1025)), ..base() }).is_err());
        for (v, t) in [
            ("ignore", TreatMissingData::Ignore),
            ("breaching", TreatMissingData::Breaching),
            ("notBreaching", TreatMissingData::NotBreaching),
        ] {
            let s = validate(&AlarmSettingsInput { treat_missing_data: Some(v.into()), ..base() }).unwrap();
            assert_eq!(s.eval.treat_missing, t);
        }
        assert!(validate(&AlarmSettingsInput { treat_missing_data: Some("Missing".into()), ..base() }).is_err());
        let pct = AlarmSettingsInput {
            statistic: None,
            extended_statistic: Some("p99".into()),
            evaluate_low_sample_count_percentile: Some("ignore".into()),
            ..base()
        };
        assert!(validate(&pct).unwrap().ignore_low_sample_count);
        let not_pct = AlarmSettingsInput { evaluate_low_sample_count_percentile: Some("ignore".into()), ..base() };
        assert_eq!(code(&not_pct).0, InvalidCode::InvalidParameterCombination);
        let six =
            AlarmSettingsInput { actions: [vec![], vec!["arn:aws:sns:us-east-1:1:t".into(); 6], vec![]], ..base() };
        assert!(code(&six).1.contains("AlarmActions"));
    }
}
