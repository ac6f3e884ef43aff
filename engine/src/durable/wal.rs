//! The write-ahead log: CRC-framed opaque records in numbered segment files, written by one
//! group-commit thread, replayed at open with torn-tail repair.
//!
//! - `segment`: the byte format (`docs/format/wal.md`), file names, [`WalBatch`] framing and
//!   the never-panicking [`SegmentReader`].
//! - `writer`: [`Wal`], the group-commit writer thread, and [`CommitTicket`].
//! - `reader`: [`replay`] and [`list_segments`] (recovery).
//!
//! The WAL knows nothing of what its records mean; `metrics::record` (and the logs and trail
//! modules) define the payloads.
//!
//! Rules: a segment is appended to only by the `Wal` that created it, so recovery never
//! appends to a segment it replayed; a write or fsync failure is never retried, the `Wal`
//! stops accepting writes (see `docs/design/2026-11-22-durability.md`).

mod reader;
mod segment;
mod writer;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use reader::{ReplayError, ReplayReport, TornTail, list_segments, replay};
pub use segment::{
    HeaderError, MAX_RECORD_BYTES, SEGMENT_HEADER_LEN, SegmentHeader, SegmentReader, SegmentRecord, TornReason,
    WalBatch, segment_file_name,
};
pub use writer::{CommitTicket, Wal, WalStats};

/// When a submitted batch counts as committed, and so what a crash can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// The ticket completes only after the fsync that covers the batch: a committed batch
    /// survives power loss. One fsync per group of concurrently submitted batches.
    #[default]
    Sync,
    /// The ticket completes after the batch was written to the file (`write(2)`); the file is
    /// fsynced at most this long after a write. Power loss can lose up to one interval of
    /// committed batches; a process crash loses nothing committed.
    Interval(Duration),
    /// The ticket completes after `write(2)`; fsync happens only at rotation and close. Power
    /// loss can lose anything the OS had not written back; a process crash loses nothing
    /// committed.
    None,
}

/// Configuration of a [`Wal`]. Invalid values are rejected by [`Wal::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalConfig {
    /// The directory holding the segment files (created if missing).
    pub dir: PathBuf,
    /// A segment is rotated before a batch that would take it past this size (a single batch
    /// larger than this gets a segment of its own). At least 1024. Default 64 MiB.
    pub segment_bytes: u64,
    /// When a batch counts as committed. Default [`Durability::Sync`].
    pub durability: Durability,
    /// Capacity of the queue of submitted batches; [`Wal::submit`] returns
    /// [`WalError::Full`] when it is full. At least 1. Default 1024.
    pub queue_depth: usize,
}

/// [`WalConfig::new`] with an empty `dir`, which [`Wal::open`] rejects: set `dir`.
impl Default for WalConfig {
    fn default() -> WalConfig {
        WalConfig::new(PathBuf::new())
    }
}

/// The smallest accepted [`WalConfig::segment_bytes`].
const MIN_SEGMENT_BYTES: u64 = 1024;

impl WalConfig {
    /// Defaults (64 MiB segments, [`Durability::Sync`], queue of 1024 batches) for `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> WalConfig {
        WalConfig { dir: dir.into(), segment_bytes: 64 << 20, durability: Durability::Sync, queue_depth: 1024 }
    }

    fn validate(&self) -> Result<(), WalError> {
        if self.dir.as_os_str().is_empty() {
            return Err(WalError::InvalidConfig { field: "dir", reason: "must be set".to_owned() });
        }
        if self.segment_bytes < MIN_SEGMENT_BYTES {
            return Err(WalError::InvalidConfig {
                field: "segment_bytes",
                reason: format!("{} is below the minimum of {MIN_SEGMENT_BYTES}", self.segment_bytes),
            });
        }
        if self.queue_depth == 0 {
            return Err(WalError::InvalidConfig { field: "queue_depth", reason: "must be at least 1".to_owned() });
        }
        if self.durability == Durability::Interval(Duration::ZERO) {
            return Err(WalError::InvalidConfig {
                field: "durability",
                reason: "the fsync interval must be positive (use Durability::Sync to fsync every group)".to_owned(),
            });
        }
        Ok(())
    }
}

/// Errors of the WAL. `Clone`, because one failure completes many tickets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WalError {
    /// The queue of pending batches is full: back off and retry (maps to Throttling).
    #[error("the wal queue is full; retry later")]
    Full,
    /// A write or fsync failed. The WAL accepts no more writes: every later submit fails with
    /// this error, and batches not yet committed must be treated as lost.
    #[error("the wal failed to {op} {path}: {source}; it accepts no more writes")]
    Failed {
        /// What was being done ("write", "fsync", "create segment", ...).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: Arc<io::Error>,
    },
    /// The WAL was closed.
    #[error("the wal is closed")]
    Closed,
    /// An I/O error outside the write path (open, listing, reading, removing segments); the
    /// WAL, if running, is not affected.
    #[error("wal i/o error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: Arc<io::Error>,
    },
    /// A segment is damaged in a way a crash cannot explain (bad header with data after it,
    /// header naming another segment, a missing segment in the sequence).
    #[error("wal corruption in segment {segment} at offset {offset}: {detail}")]
    Corruption {
        /// The segment number.
        segment: u64,
        /// Byte offset in the segment file.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A segment was written by a newer (or unknown) format version.
    #[error("wal segment {segment} has unsupported format version {version}")]
    UnsupportedVersion {
        /// The segment number.
        segment: u64,
        /// The version found in its header.
        version: u32,
    },
    /// A record is larger than [`MAX_RECORD_BYTES`] (maps to InvalidArgument).
    #[error("a wal record of {len} bytes exceeds the maximum of {max} bytes")]
    RecordTooLarge {
        /// The record's payload length.
        len: usize,
        /// [`MAX_RECORD_BYTES`].
        max: usize,
    },
    /// A [`WalConfig`] value is invalid.
    #[error("invalid wal config: {field}: {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// Why it is rejected.
        reason: String,
    },
}

impl WalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> WalError {
        WalError::Io { path: path.into(), source: Arc::new(source) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation_rejects_bad_values() {
        let ok = WalConfig::new("/wal");
        assert!(ok.validate().is_ok());
        let bad = [
            WalConfig { segment_bytes: 10, ..ok.clone() },
            WalConfig { queue_depth: 0, ..ok.clone() },
            WalConfig { durability: Durability::Interval(Duration::ZERO), ..ok.clone() },
            WalConfig::default(),
        ];
        for c in bad {
            assert!(matches!(c.validate(), Err(WalError::InvalidConfig { .. })), "{c:?}");
        }
    }

    #[test]
    fn errors_are_send_sync_clone() {
        fn check<T: Send + Sync + Clone + std::error::Error + 'static>() {}
        check::<WalError>();
    }
}
