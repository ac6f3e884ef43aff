//! Bytes to disk and back. `durable` knows nothing of metrics, logs or trail: it moves opaque,
//! CRC-checked bytes and says exactly how durable they are.
//!
//! # Layout
//!
//! | module      | owns                                                                          |
//! |-------------|-------------------------------------------------------------------------------|
//! | `fs`        | the [`FileSystem`] / [`WritableFile`] traits and [`RealFs`] (std::fs + mmap)   |
//! | `sim`       | [`SimFs`]: in-memory file system with simulated power loss and injected faults |
//! | `mmap`      | [`ReadOnlyBytes`]: cheap-clone read-only bytes (a mapping or a `Vec`)          |
//! | `publish`   | atomic publication (`*.tmp`, fsync, rename, fsync dir) and the sweep at open   |
//! | `clock`     | the [`Clock`] trait, [`SystemClock`], [`ManualClock`]                          |
//! | `wal`       | the write-ahead log: segment format, group-commit writer, replay/recovery     |
//!
//! # Invariants
//!
//! - Every byte written by this module goes through a [`FileSystem`], so crash and fault tests
//!   run the production code against [`SimFs`].
//! - A new file becomes visible under its final name only by rename after its contents were
//!   fsynced, and the rename is made durable by fsyncing the directory.
//! - An fsync failure is never retried: the [`Wal`] stops accepting writes (see
//!   `docs/design/2026-11-22-durability.md`).
//! - All integers on disk are little-endian; every WAL record carries a CRC
//!   (`docs/format/wal.md`).
//!
//! # Who calls it
//!
//! The engine's metrics, logs and trail modules: they encode their own records and hand the
//! bytes to [`Wal::submit`], replay them with [`replay`] at open, and publish immutable files
//! with [`publish_atomic`].

mod clock;
mod fs;
mod mmap;
mod publish;
mod sim;
mod wal;

#[cfg(test)]
mod tests;

pub use clock::{Clock, ManualClock, SystemClock};
pub use fs::{FileSystem, RealFs, WritableFile};
pub use mmap::ReadOnlyBytes;
pub use publish::{TEMP_SUFFIX, create_dir_all_durable, publish_atomic, sweep_temp_files};
pub use sim::{CrashMode, FaultKind, SimFs};
pub use wal::{
    CommitTicket, Durability, HeaderError, MAX_RECORD_BYTES, ReplayError, ReplayReport, SEGMENT_HEADER_LEN,
    SegmentHeader, SegmentReader, SegmentRecord, TornReason, TornTail, Wal, WalBatch, WalConfig, WalError, WalStats,
    list_segments, replay, segment_file_name,
};
