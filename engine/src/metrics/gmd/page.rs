//! Paging of GetMetricData results: `MaxDatapoints` per page and an opaque `NextToken`.
//!
//! Results are recomputed for every page; the token records, per result, how many of its
//! datapoints (in `ScanBy` order) earlier pages returned. Format: `v1.` then the offsets as
//! lowercase hex u32s joined by `.`.

use crate::error::{Error, InvalidCode, Result};

use super::{MetricDataResult, StatusCode};

fn bad_token() -> Error {
    Error::invalid(InvalidCode::InvalidNextToken, "The value for parameter NextToken is invalid.")
}

fn decode(token: &str, results: usize) -> Result<Vec<usize>> {
    let body = token.strip_prefix("v1.").ok_or_else(bad_token)?;
    let offsets: Vec<usize> = if body.is_empty() {
        Vec::new()
    } else {
        body.split('.')
            .map(|h| u32::from_str_radix(h, 16).map(|v| v as usize))
            .collect::<Result<_, _>>()
            .map_err(|_| bad_token())?
    };
    if offsets.len() != results {
        return Err(bad_token());
    }
    Ok(offsets)
}

fn encode(offsets: &[usize]) -> String {
    let parts: Vec<String> = offsets.iter().map(|o| format!("{o:x}")).collect();
    format!("v1.{}", parts.join("."))
}

/// Cuts `results` (complete, in order) to the page the token asks for, at most `max` datapoints
/// in all; marks cut results `PartialData` and returns the token for the next page.
pub(crate) fn paginate(results: &mut [MetricDataResult], token: Option<&str>, max: u64) -> Result<Option<String>> {
    let mut offsets = match token {
        None | Some("") => vec![0; results.len()],
        Some(t) => decode(t, results.len())?,
    };
    let mut budget = max as usize;
    let mut more = false;
    for (r, off) in results.iter_mut().zip(offsets.iter_mut()) {
        let total = r.timestamps.len();
        let start = (*off).min(total);
        let take = (total - start).min(budget);
        r.timestamps = r.timestamps[start..start + take].to_vec();
        r.values = r.values[start..start + take].to_vec();
        budget -= take;
        *off = start + take;
        if *off < total {
            more = true;
            if r.status_code == StatusCode::Complete {
                r.status_code = StatusCode::PartialData;
            }
        }
    }
    Ok(more.then(|| encode(&offsets)))
}
