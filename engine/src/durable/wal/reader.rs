//! Recovery: [`replay`] reads the segments in order, hands every good record to the caller,
//! and repairs torn tails so the directory is clean for the next open.
//!
//! What a crash can leave, given how the writer works (create + header + fsync + dir fsync
//! before any record; fsync of the old segment before the next is created):
//! - a torn tail (partial or garbage record) at the end of the last segment written;
//! - a segment file whose header is incomplete and which holds nothing else (a crash while
//!   creating it).
//!
//! Both are repaired (the tail truncated away, the header rewritten) and reported in
//! [`ReplayReport::torn`]. A bad record anywhere else is reported the same way, loudly, and the
//! segment is truncated there (later segments are still replayed). Damage a crash cannot
//! explain — a bad header with data after it, a header naming another segment, a gap in the
//! segment numbers, an unknown format version — is an error, and nothing is modified.
//!
//! Segments are read with `FileSystem::read`, not mapped, so a media error surfaces as an
//! `io::Error` naming the file instead of a SIGBUS.

use std::io;
use std::path::Path;

use super::WalError;
use super::segment::{
    HeaderError, SEGMENT_HEADER_LEN, SegmentHeader, SegmentReader, TornReason, parse_segment_file_name,
    segment_file_name,
};
use crate::durable::FileSystem;

/// Where and why reading a segment stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment number.
    pub segment: u64,
    /// Offset of the first bad byte; the segment now ends here (for a bad header: 0, and the
    /// header was rewritten).
    pub offset: u64,
    /// What was wrong there.
    pub reason: TornReason,
    /// Bytes removed from the segment.
    pub dropped_bytes: u64,
}

/// What [`replay`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Segments read.
    pub segments: u64,
    /// Records handed to the callback.
    pub records: u64,
    /// Payload bytes handed to the callback.
    pub bytes: u64,
    /// Torn tails found and repaired, in segment order.
    pub torn: Vec<TornTail>,
    /// The highest segment read, if any.
    pub last_segment: Option<u64>,
}

/// Errors of [`replay`]: the WAL's own, or the callback's.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError<E> {
    /// Reading or repairing the WAL failed, or it is damaged beyond a torn tail.
    #[error(transparent)]
    Wal(#[from] WalError),
    /// The callback returned an error for the record at `offset` of `segment`; replay
    /// stopped there without repairing anything. (`error` is not a `#[source]`, so any
    /// `E: Display`, `String` included, makes this an `Error`.)
    #[error("wal replay callback failed on the record at offset {offset} of segment {segment}: {error}")]
    Callback {
        /// The segment number.
        segment: u64,
        /// Offset of the record in the segment file.
        offset: u64,
        /// The callback's error.
        error: E,
    },
}

/// The segment numbers in `dir`, ascending. Other files are ignored; a missing directory
/// holds no segments.
pub fn list_segments(fs: &dyn FileSystem, dir: &Path) -> io::Result<Vec<u64>> {
    let names = match fs.list_dir(dir) {
        Ok(names) => names,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut segments: Vec<u64> = names.iter().filter_map(|n| parse_segment_file_name(n)).collect();
    segments.sort_unstable();
    Ok(segments)
}

/// Reads every segment numbered `from_segment` or above, in order, and calls
/// `f(segment, payload)` for each good record. Repairs torn tails (see the module docs).
/// Call it before [`Wal::open`](super::Wal::open), never while a `Wal` writes to `dir`.
pub fn replay<E, F>(
    fs: &dyn FileSystem,
    dir: &Path,
    from_segment: u64,
    mut f: F,
) -> Result<ReplayReport, ReplayError<E>>
where
    F: FnMut(u64, &[u8]) -> Result<(), E>,
{
    let segments: Vec<u64> =
        list_segments(fs, dir).map_err(|e| WalError::io(dir, e))?.into_iter().filter(|&s| s >= from_segment).collect();
    // Segments are created one after the other and removed oldest first: a gap is lost data.
    for pair in segments.windows(2) {
        if pair[1] != pair[0] + 1 {
            return Err(WalError::Corruption {
                segment: pair[0] + 1,
                offset: 0,
                detail: format!("segment missing between {} and {}", pair[0], pair[1]),
            }
            .into());
        }
    }
    let mut report = ReplayReport::default();
    let last = segments.last().copied();
    for segment in segments {
        let path = dir.join(segment_file_name(segment));
        let bytes = fs.read(&path).map_err(|e| WalError::io(&path, e))?;
        let mut reader = match SegmentReader::new(&bytes) {
            Ok(r) => r,
            Err(HeaderError::UnsupportedVersion { version }) => {
                return Err(WalError::UnsupportedVersion { segment, version }.into());
            }
            Err(e) if bytes.len() <= SEGMENT_HEADER_LEN => {
                // A crash while the segment was being created: it holds no record. Rewrite
                // the header in place so the sequence has no gap.
                tracing::warn!(segment, error = %e, "wal segment with an incomplete header; rewriting it empty");
                rewrite_empty(fs, dir, &path, segment)?;
                report.torn.push(TornTail {
                    segment,
                    offset: 0,
                    reason: TornReason::SegmentHeader(e),
                    dropped_bytes: bytes.len() as u64,
                });
                report.segments += 1;
                report.last_segment = Some(segment);
                continue;
            }
            Err(e) => {
                return Err(WalError::Corruption { segment, offset: 0, detail: e.to_string() }.into());
            }
        };
        if reader.header().segment != segment {
            return Err(WalError::Corruption {
                segment,
                offset: 12,
                detail: format!("header names segment {}", reader.header().segment),
            }
            .into());
        }
        for record in reader.by_ref() {
            let Ok(record) = record else { break };
            f(segment, record.payload).map_err(|error| ReplayError::Callback {
                segment,
                offset: record.offset,
                error,
            })?;
            report.records += 1;
            report.bytes += record.payload.len() as u64;
        }
        if let Some(reason) = reader.stopped().cloned() {
            let offset = reader.valid_len();
            let dropped_bytes = bytes.len() as u64 - offset;
            if Some(segment) == last {
                tracing::warn!(segment, offset, dropped_bytes, %reason, "torn tail in the last wal segment; truncating it");
            } else {
                tracing::error!(
                    segment, offset, dropped_bytes, %reason,
                    "damaged record in a wal segment that is not the last; records after it in this segment are lost"
                );
            }
            fs.truncate(&path, offset).map_err(|e| WalError::io(&path, e))?;
            report.torn.push(TornTail { segment, offset, reason, dropped_bytes });
        }
        report.segments += 1;
        report.last_segment = Some(segment);
    }
    Ok(report)
}

fn rewrite_empty(fs: &dyn FileSystem, dir: &Path, path: &Path, segment: u64) -> Result<(), WalError> {
    let io = |e| WalError::io(path, e);
    let mut file = fs.create(path).map_err(io)?;
    file.write_all(&SegmentHeader::new(segment).encode()).map_err(io)?;
    file.sync().map_err(io)?;
    fs.sync_dir(dir).map_err(|e| WalError::io(dir, e))
}
