//! GetMetricData: proto ⇄ engine. Only what the engine types cannot hold is rejected here
//! (missing times, unknown units or `ScanBy`, both or neither of MetricStat and Expression);
//! the engine validates the rest.

use stratus_engine::{
    Error, GetMetricData, GetMetricDataResult, InvalidCode, Message, MetricDataQuery, MetricKey, QueryKind, ScanBy,
};
use stratus_proto::v1 as pb;

use super::{dimensions, invalid_value, missing, ms_to_timestamp, non_empty, timestamp_ms, unit};

/// A `GetMetricData` request in engine terms.
pub(crate) fn get_metric_data_request(req: pb::GetMetricDataRequest) -> Result<GetMetricData, Error> {
    let start = req.start_time.ok_or_else(|| missing("StartTime"))?;
    let end = req.end_time.ok_or_else(|| missing("EndTime"))?;
    let scan_by = match req.scan_by.as_str() {
        "" | "TimestampDescending" => ScanBy::TimestampDescending,
        "TimestampAscending" => ScanBy::TimestampAscending,
        other => return Err(invalid_value(other, "ScanBy")),
    };
    let max_datapoints = match req.max_datapoints {
        0 => None,
        n if n < 0 => return Err(invalid_value(n, "MaxDatapoints")),
        n => Some(n as u64),
    };
    let queries =
        req.metric_data_queries.into_iter().enumerate().map(|(i, q)| query(i + 1, q)).collect::<Result<Vec<_>, _>>()?;
    Ok(GetMetricData {
        queries,
        start_ms: timestamp_ms(&start, "StartTime")?,
        end_ms: timestamp_ms(&end, "EndTime")?,
        next_token: non_empty(req.next_token),
        scan_by,
        max_datapoints,
    })
}

fn query(n: usize, q: pb::MetricDataQuery) -> Result<MetricDataQuery, Error> {
    let p = format!("MetricDataQueries.member.{n}");
    let kind = match (q.metric_stat, q.expression.is_empty()) {
        (Some(_), false) => {
            return Err(Error::InvalidArgument {
                code: InvalidCode::InvalidParameterCombination,
                message: format!(
                    "The parameters {p}.MetricStat and {p}.Expression are mutually exclusive and you have specified both."
                ),
            });
        }
        (None, true) => {
            return Err(Error::InvalidArgument {
                code: InvalidCode::MissingParameter,
                message: format!("The parameter {p}.MetricStat or {p}.Expression is required."),
            });
        }
        (None, false) => QueryKind::Expression(q.expression),
        (Some(ms), true) => {
            let metric = ms.metric.ok_or_else(|| missing(&format!("{p}.MetricStat.Metric")))?;
            let unit = if ms.unit.is_empty() { None } else { Some(unit(&ms.unit, || format!("{p}.MetricStat.Unit"))?) };
            QueryKind::MetricStat {
                metric: MetricKey::new(metric.namespace, metric.metric_name, dimensions(metric.dimensions)),
                period_s: i64::from(ms.period),
                stat: ms.stat,
                unit,
            }
        }
    };
    Ok(MetricDataQuery {
        id: q.id,
        label: non_empty(q.label),
        return_data: q.return_data.unwrap_or(true),
        period_s: (q.period != 0).then_some(i64::from(q.period)),
        kind,
    })
}

fn message(m: Message) -> pb::MessageData {
    pb::MessageData { code: m.code, value: m.value }
}

/// The engine's answer as a `GetMetricDataResponse`.
pub(crate) fn get_metric_data_response(r: GetMetricDataResult) -> pb::GetMetricDataResponse {
    pb::GetMetricDataResponse {
        metric_data_results: r
            .results
            .into_iter()
            .map(|res| pb::MetricDataResult {
                id: res.id,
                label: res.label,
                timestamps: res.timestamps.into_iter().map(ms_to_timestamp).collect(),
                values: res.values,
                status_code: res.status_code.as_str().to_owned(),
                messages: res.messages.into_iter().map(message).collect(),
            })
            .collect(),
        next_token: r.next_token.unwrap_or_default(),
        messages: r.messages.into_iter().map(message).collect(),
    }
}
