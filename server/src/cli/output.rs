//! Rendering client results: tables (comfy-table) or JSON shaped like the AWS CLI's output
//! (`Label`/`Datapoints`, `Metrics`/`NextToken`, `MetricDataResults`/`Messages`, RFC 3339
//! timestamps). Pure: each function returns the text; [`emit`] writes it.

use std::io::Write as _;

use chrono::{DateTime, SecondsFormat};
use comfy_table::Table;
use serde_json::{Map, Value, json};
use stratus_proto::v1 as pb;

use super::Output;

/// Writes `text` to stdout; a closed stdout (e.g. `| head`) is not an error worth a panic.
pub(super) fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn rfc3339(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

fn key_values(rows: &[(&str, String)]) -> String {
    let mut table = Table::new();
    table.set_header(vec!["Field", "Value"]);
    for (k, v) in rows {
        table.add_row(vec![(*k).to_owned(), v.clone()]);
    }
    table.to_string()
}

pub(super) fn put_metric_data(output: Output, r: &pb::PutMetricDataResponse) -> String {
    match output {
        Output::Json => pretty(&json!({ "SamplesAccepted": r.samples_accepted })),
        Output::Table => key_values(&[("SamplesAccepted", r.samples_accepted.to_string())]),
    }
}

pub(super) fn flush(output: Output, r: &pb::FlushResponse) -> String {
    match output {
        Output::Json => pretty(&json!({
            "SamplesSealed": r.samples_sealed,
            "Blocks": r.blocks,
            "BlockBytes": r.block_bytes,
            "SamplesOnDisk": r.samples_on_disk,
        })),
        Output::Table => key_values(&[
            ("SamplesSealed", r.samples_sealed.to_string()),
            ("Blocks", r.blocks.to_string()),
            ("BlockBytes", r.block_bytes.to_string()),
            ("SamplesOnDisk", r.samples_on_disk.to_string()),
        ]),
    }
}

/// The statistics of a datapoint by AWS name, in the order asked for.
fn datapoint_values<'a>(d: &pb::Datapoint, asked: &'a [String]) -> Vec<(&'a str, Option<f64>)> {
    asked
        .iter()
        .map(|name| {
            let v = match name.as_str() {
                "SampleCount" => d.sample_count,
                "Average" => d.average,
                "Sum" => d.sum,
                "Minimum" => d.minimum,
                "Maximum" => d.maximum,
                other => d.extended_statistics.get(other).copied(),
            };
            (name.as_str(), v)
        })
        .collect()
}

pub(super) fn statistics(output: Output, asked: &[String], r: &pb::GetMetricStatisticsResponse) -> String {
    match output {
        Output::Json => {
            let datapoints: Vec<Value> = r
                .datapoints
                .iter()
                .map(|d| {
                    let mut m = Map::new();
                    m.insert("Timestamp".into(), rfc3339(d.timestamp.as_ref()).into());
                    for (name, v) in datapoint_values(d, asked) {
                        if let Some(v) = v {
                            m.insert(name.to_owned(), json!(v));
                        }
                    }
                    m.insert("Unit".into(), d.unit.clone().into());
                    Value::Object(m)
                })
                .collect();
            pretty(&json!({ "Label": r.label, "Datapoints": datapoints }))
        }
        Output::Table => {
            let mut table = Table::new();
            let mut header = vec!["Timestamp".to_owned()];
            header.extend(asked.iter().cloned());
            header.push("Unit".to_owned());
            table.set_header(header);
            for d in &r.datapoints {
                let mut row = vec![rfc3339(d.timestamp.as_ref())];
                row.extend(
                    datapoint_values(d, asked).into_iter().map(|(_, v)| v.map(|v| v.to_string()).unwrap_or_default()),
                );
                row.push(d.unit.clone());
                table.add_row(row);
            }
            format!("{}\n{table}", r.label)
        }
    }
}

fn dimensions_text(dims: &[pb::Dimension]) -> String {
    dims.iter().map(|d| format!("{}={}", d.name, d.value)).collect::<Vec<_>>().join(", ")
}

pub(super) fn metrics(output: Output, metrics: &[pb::Metric], next_token: &str) -> String {
    match output {
        Output::Json => {
            let list: Vec<Value> = metrics
                .iter()
                .map(|m| {
                    json!({
                        "Namespace": m.namespace,
                        "MetricName": m.metric_name,
                        "Dimensions": m.dimensions.iter().map(|d| json!({"Name": d.name, "Value": d.value})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let mut out = json!({ "Metrics": list });
            if !next_token.is_empty() {
                out["NextToken"] = next_token.into();
            }
            pretty(&out)
        }
        Output::Table => {
            let mut table = Table::new();
            table.set_header(vec!["Namespace", "MetricName", "Dimensions"]);
            for m in metrics {
                table.add_row(vec![m.namespace.clone(), m.metric_name.clone(), dimensions_text(&m.dimensions)]);
            }
            let mut text = table.to_string();
            if !next_token.is_empty() {
                text.push_str(&format!("\nNextToken: {next_token}"));
            }
            text
        }
    }
}

fn messages_json(messages: &[pb::MessageData]) -> Vec<Value> {
    messages.iter().map(|m| json!({"Code": m.code, "Value": m.value})).collect()
}

fn messages_text(messages: &[pb::MessageData]) -> String {
    messages.iter().map(|m| format!("\n  {}: {}", m.code, m.value)).collect()
}

/// A GetMetricData answer (all pages merged, or one page with its `NextToken`). A value JSON
/// cannot hold (NaN, ±Inf) is `null`, as the AWS CLI prints it.
pub(super) fn metric_data(output: Output, r: &pb::GetMetricDataResponse) -> String {
    match output {
        Output::Json => {
            let results: Vec<Value> = r
                .metric_data_results
                .iter()
                .map(|m| {
                    json!({
                        "Id": m.id,
                        "Label": m.label,
                        "Timestamps": m.timestamps.iter().map(|t| rfc3339(Some(t))).collect::<Vec<_>>(),
                        "Values": m.values,
                        "StatusCode": m.status_code,
                        "Messages": messages_json(&m.messages),
                    })
                })
                .collect();
            let mut out = json!({ "MetricDataResults": results, "Messages": messages_json(&r.messages) });
            if !r.next_token.is_empty() {
                out["NextToken"] = r.next_token.clone().into();
            }
            pretty(&out)
        }
        Output::Table => {
            let mut blocks = Vec::new();
            for m in &r.metric_data_results {
                let mut table = Table::new();
                table.set_header(vec!["Timestamp", "Value"]);
                for (t, v) in m.timestamps.iter().zip(&m.values) {
                    table.add_row(vec![rfc3339(Some(t)), v.to_string()]);
                }
                blocks.push(format!("{} ({}) {}{}\n{table}", m.label, m.id, m.status_code, messages_text(&m.messages)));
            }
            let mut text = blocks.join("\n\n");
            if !r.messages.is_empty() {
                text.push_str(&format!("\n\nMessages:{}", messages_text(&r.messages)));
            }
            if !r.next_token.is_empty() {
                text.push_str(&format!("\n\nNextToken: {}", r.next_token));
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use prost_types::Timestamp;

    use super::*;

    fn response() -> pb::GetMetricStatisticsResponse {
        pb::GetMetricStatisticsResponse {
            label: "Latency".into(),
            datapoints: vec![pb::Datapoint {
                timestamp: Some(Timestamp { seconds: 1_795_348_800, nanos: 0 }),
                sample_count: Some(2.0),
                average: Some(1.5),
                sum: None,
                minimum: None,
                maximum: Some(2.0),
                unit: "Milliseconds".into(),
                extended_statistics: Default::default(),
            }],
        }
    }

    #[test]
    fn statistics_as_json_like_the_aws_cli() {
        let asked = vec!["Average".to_owned(), "Maximum".to_owned()];
        let v: Value = serde_json::from_str(&statistics(Output::Json, &asked, &response())).unwrap();
        assert_eq!(
            v,
            json!({"Label": "Latency", "Datapoints": [
                {"Timestamp": "2026-11-22T12:00:00Z", "Average": 1.5, "Maximum": 2.0, "Unit": "Milliseconds"}
            ]})
        );
    }

    #[test]
    fn statistics_as_table() {
        let asked = vec!["Average".to_owned(), "Sum".to_owned()];
        let text = statistics(Output::Table, &asked, &response());
        assert!(text.starts_with("Latency\n"), "{text}");
        for needle in ["Timestamp", "Average", "Sum", "Unit", "2026-11-22T12:00:00Z", "1.5", "Milliseconds"] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
    }

    #[test]
    fn metrics_as_json_and_table() {
        let m = vec![pb::Metric {
            namespace: "App".into(),
            metric_name: "Latency".into(),
            dimensions: vec![pb::Dimension { name: "host".into(), value: "h1".into() }],
        }];
        let v: Value = serde_json::from_str(&metrics(Output::Json, &m, "")).unwrap();
        assert_eq!(
            v,
            json!({"Metrics": [{"Namespace": "App", "MetricName": "Latency", "Dimensions": [{"Name": "host", "Value": "h1"}]}]})
        );
        let v: Value = serde_json::from_str(&metrics(Output::Json, &m, "t1")).unwrap();
        assert_eq!(v["NextToken"], "t1");
        let text = metrics(Output::Table, &m, "");
        assert!(text.contains("host=h1") && text.contains("Latency"), "{text}");
    }
}
