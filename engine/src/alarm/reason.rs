//! State reasons of metric alarms in AWS's text (`aws-semantics.md` §3.2, "Reasons"):
//!
//! - `Threshold Crossed: 1 datapoint [21.5 (22/11/26 05:10:00)] was greater than the threshold (21.0).`
//! - `Threshold Crossed: 2 out of the last 3 datapoints [84.0 (…), 80.5 (…)] were greater than or
//!   equal to the threshold (80.0) (minimum 2 datapoints for OK -> ALARM transition).`
//! - `Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were
//!   treated as [Breaching].`
//!
//! Datapoints are listed newest first with their bucket's start in UTC as `dd/MM/yy HH:mm:ss`;
//! values print as AWS's Java doubles do for ordinary magnitudes (`80.0`, `21.5`). Reasons are
//! cut to 1,023 characters, AWS's limit for `StateReason`. The OK-direction wording (`was not
//! greater than`) and the anomaly-band phrases are ours: no recorded AWS example covers them.

use super::eval::{AlarmState, Comparison};

/// Longest `StateReason`, in characters.
pub const MAX_REASON_CHARS: usize = 1023;

/// The words for an operator in a reason (`was greater than …`).
fn words(c: Comparison) -> &'static str {
    match c {
        Comparison::GreaterThanOrEqualToThreshold => "greater than or equal to",
        Comparison::GreaterThanThreshold => "greater than",
        Comparison::LessThanThreshold => "less than",
        Comparison::LessThanOrEqualToThreshold => "less than or equal to",
        Comparison::LessThanLowerOrGreaterThanUpperThreshold => "outside the band",
        Comparison::LessThanLowerThreshold => "less than the lower bound of",
        Comparison::GreaterThanUpperThreshold => "greater than the upper bound of",
    }
}

/// `dd/MM/yy HH:mm:ss` (UTC) of an epoch-millisecond instant (empty outside chrono's range).
pub fn reason_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%d/%m/%y %H:%M:%S").to_string()).unwrap_or_default()
}

/// A double as the reason prints it.
fn number(v: f64) -> String {
    format!("{v:?}")
}

/// The reason for a decision made on real datapoints. `points` are the evaluated real
/// datapoints as (bucket start ms, value), in any order; `breaching` how many of the evaluated
/// points breach; `m`/`n` the alarm's DatapointsToAlarm / EvaluationPeriods; `from`/`to` the
/// transition (for the M-of-N suffix).
#[allow(clippy::too_many_arguments)]
pub fn threshold_crossed(
    comparison: Comparison,
    threshold: f64,
    points: &[(i64, f64)],
    breaching: usize,
    m: usize,
    n: usize,
    from: AlarmState,
    to: AlarmState,
) -> String {
    let mut newest_first = points.to_vec();
    newest_first.sort_by_key(|p| std::cmp::Reverse(p.0));
    let list = newest_first
        .iter()
        .map(|(t, v)| format!("{} ({})", number(*v), reason_time(*t)))
        .collect::<Vec<_>>()
        .join(", ");
    let not = if to == AlarmState::Alarm { "" } else { "not " };
    let text = if n == 1 && newest_first.len() == 1 {
        format!(
            "Threshold Crossed: 1 datapoint [{list}] was {not}{} the threshold ({}).",
            words(comparison),
            number(threshold)
        )
    } else {
        let shown = if to == AlarmState::Alarm { breaching } else { newest_first.len() };
        let noun = if shown == 1 { "datapoint" } else { "datapoints" };
        let verb = if shown == 1 { "was" } else { "were" };
        format!(
            "Threshold Crossed: {shown} out of the last {} {noun} [{list}] {verb} {not}{} the threshold ({}) (minimum {m} {} for {} -> {} transition).",
            newest_first.len().max(n),
            words(comparison),
            number(threshold),
            if m == 1 { "datapoint" } else { "datapoints" },
            from.as_str(),
            to.as_str()
        )
    };
    cut(text)
}

/// The reason when every datapoint of the range was missing and TreatMissingData decided.
pub fn all_missing(periods: usize, treated_as: &str) -> String {
    cut(format!(
        "Threshold Crossed: no datapoints were received for {periods} periods and {periods} missing datapoints were treated as [{treated_as}]."
    ))
}

fn cut(mut text: String) -> String {
    if text.chars().count() > MAX_REASON_CHARS {
        text = text.chars().take(MAX_REASON_CHARS).collect();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22T05:10:00Z
    const T: i64 = 1_795_324_200_000;

    #[test]
    fn times_print_as_aws_does() {
        assert_eq!(reason_time(T), "22/11/26 05:10:00");
        assert_eq!(reason_time(0), "01/01/70 00:00:00");
        assert_eq!(reason_time(951_782_400_000), "29/02/00 00:00:00", "leap day 2000");
        assert_eq!(reason_time(-1000), "31/12/69 23:59:59");
    }

    #[test]
    fn the_recorded_single_datapoint_form() {
        let r = threshold_crossed(
            Comparison::GreaterThanThreshold,
            21.0,
            &[(T, 21.5)],
            1,
            1,
            1,
            AlarmState::InsufficientData,
            AlarmState::Alarm,
        );
        assert_eq!(
            r,
            "Threshold Crossed: 1 datapoint [21.5 (22/11/26 05:10:00)] was greater than the threshold (21.0)."
        );
    }

    #[test]
    fn the_m_of_n_form_lists_newest_first() {
        let r = threshold_crossed(
            Comparison::GreaterThanOrEqualToThreshold,
            80.0,
            &[(T - 60_000, 80.5), (T, 84.0), (T - 120_000, 12.0)],
            2,
            2,
            3,
            AlarmState::Ok,
            AlarmState::Alarm,
        );
        assert_eq!(
            r,
            "Threshold Crossed: 2 out of the last 3 datapoints [84.0 (22/11/26 05:10:00), 80.5 (22/11/26 05:09:00), \
             12.0 (22/11/26 05:08:00)] were greater than or equal to the threshold (80.0) (minimum 2 datapoints for \
             OK -> ALARM transition)."
        );
        let ok = threshold_crossed(
            Comparison::GreaterThanThreshold,
            10.0,
            &[(T, 5.0)],
            0,
            1,
            1,
            AlarmState::Alarm,
            AlarmState::Ok,
        );
        assert_eq!(
            ok,
            "Threshold Crossed: 1 datapoint [5.0 (22/11/26 05:10:00)] was not greater than the threshold (10.0)."
        );
    }

    #[test]
    fn the_all_missing_form_and_the_length_limit() {
        assert_eq!(
            all_missing(2, "Breaching"),
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."
        );
        let many: Vec<(i64, f64)> = (0..200).map(|i| (T - i * 60_000, 123456.789)).collect();
        let r = threshold_crossed(
            Comparison::GreaterThanThreshold,
            1.0,
            &many,
            200,
            1,
            200,
            AlarmState::Ok,
            AlarmState::Alarm,
        );
        assert_eq!(r.chars().count(), MAX_REASON_CHARS);
    }
}
