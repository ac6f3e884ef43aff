//! Request bodies of the AWS face: `Content-Encoding: gzip` (SDKs compress PutMetricData bodies of
//! 10 KiB and more, `aws-semantics.md` §1.7) inflated under a hard limit, so a gzip bomb is refused
//! after at most `limit + 1` inflated bytes instead of being expanded in memory. The signature
//! is checked over the bytes as received, before this runs.

use std::io::Read as _;

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the limit (after inflation, or as received).
    TooLarge { limit: usize },
    /// `Content-Encoding` names something other than `gzip` / `identity`.
    UnsupportedEncoding(String),
    /// Not a valid gzip stream.
    BadGzip(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge { limit } => write!(f, "Request size exceeded {limit} bytes"),
            BodyError::UnsupportedEncoding(e) => {
                write!(f, "Content-Encoding {e} is not supported; use gzip or identity")
            }
            BodyError::BadGzip(e) => write!(f, "The request body is not valid gzip: {e}"),
        }
    }
}

/// The body as the operation reads it: `raw` undone through every encoding of
/// `content_encoding` (a comma-separated list, applied in order, so undone last to first),
/// never more than `limit` bytes.
pub(crate) fn decode(raw: &[u8], content_encoding: Option<&str>, limit: usize) -> Result<Vec<u8>, BodyError> {
    if raw.len() > limit && content_encoding.is_none() {
        return Err(BodyError::TooLarge { limit });
    }
    let encodings: Vec<&str> =
        content_encoding.map(|v| v.split(',').map(str::trim).filter(|e| !e.is_empty()).collect()).unwrap_or_default();
    let mut body = raw.to_vec();
    for enc in encodings.iter().rev() {
        if enc.eq_ignore_ascii_case("identity") {
            continue;
        }
        if !enc.eq_ignore_ascii_case("gzip") {
            return Err(BodyError::UnsupportedEncoding((*enc).to_string()));
        }
        body = gunzip(&body, limit)?;
    }
    if body.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(body)
}

/// Inflates `data` (one or more gzip members), reading at most `limit + 1` bytes of output.
fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(data);
    decoder.take(limit as u64 + 1).read_to_end(&mut out).map_err(|e| BodyError::BadGzip(e.to_string()))?;
    if out.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn plain_and_gzip_bodies() {
        assert_eq!(decode(b"{}", None, 10).unwrap(), b"{}");
        assert_eq!(decode(&gzip(b"Action=ListMetrics"), Some("gzip"), 100).unwrap(), b"Action=ListMetrics");
        assert_eq!(decode(&gzip(b"x"), Some("identity, gzip"), 100).unwrap(), b"x");
        assert_eq!(decode(&gzip(&gzip(b"twice")), Some("gzip,gzip"), 100).unwrap(), b"twice");
    }

    #[test]
    fn limits_hold_before_and_after_inflation() {
        assert_eq!(decode(&[b'a'; 11], None, 10), Err(BodyError::TooLarge { limit: 10 }));
        assert_eq!(decode(&gzip(&[b'a'; 11]), Some("gzip"), 10), Err(BodyError::TooLarge { limit: 10 }));
        assert_eq!(decode(&gzip(&[b'a'; 10]), Some("gzip"), 10).unwrap().len(), 10);
    }

    #[test]
    fn a_gzip_bomb_is_refused_without_inflating_it() {
        // 64 MiB of zeros compress to ~64 KiB; with a 1 MB limit at most 1 MB + 1 is inflated.
        let bomb = gzip(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 1 << 20);
        assert_eq!(decode(&bomb, Some("gzip"), 1_000_000), Err(BodyError::TooLarge { limit: 1_000_000 }));
    }

    #[test]
    fn bad_gzip_and_unknown_encodings_are_errors() {
        assert!(matches!(decode(b"not gzip", Some("gzip"), 100), Err(BodyError::BadGzip(_))));
        let mut truncated = gzip(b"hello world, hello world");
        truncated.truncate(truncated.len() - 6);
        assert!(matches!(decode(&truncated, Some("gzip"), 100), Err(BodyError::BadGzip(_))));
        assert_eq!(decode(b"x", Some("br"), 100), Err(BodyError::UnsupportedEncoding("br".into())));
    }
}
