//! The metrics store: head, series index, blocks and WAL wired together.
//!
//! # Invariants
//!
//! - A stream's `SeriesDef` precedes its first sample in the WAL in every head generation, so
//!   replay from the last seal point always knows every id it meets.
//! - Appends hold the *barrier* shared; sealing holds it exclusively while it rotates the WAL
//!   and swaps the head out, so the WAL position and the frozen head match exactly.
//! - Readers take the barrier shared while they load the version and copy head handles, so a
//!   concurrent seal can neither hide samples from them nor show them twice.
//! - One mutex (`structure`) serialises seals and compactions; the published [`Version`] is
//!   swapped atomically, so a reader sees a block list or its replacement, never both.
//! - WAL segments are removed only after the block holding their samples is durable.

mod append;
mod read;
mod recovery;
mod rollup;
mod seal;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use parking_lot::{Mutex, RwLock};

use crate::durable::{Clock, FileSystem, Wal};

use super::block::BlockReader;
use super::head::{FrozenHead, Head};
use super::series::SeriesIndex;

pub(crate) use append::PendingWrite;
pub(crate) use rollup::decode_sketches;
pub use seal::FlushReport;

/// Tunables of the store (the engine's config narrowed to what the store needs).
#[derive(Debug, Clone)]
pub(crate) struct StoreConfig {
    pub(crate) shards: usize,
    /// Refuse writes (Throttling) while the head holds more than this many samples.
    pub(crate) max_pending_samples: u64,
    /// How long raw samples and each rollup tier are kept.
    pub(crate) retention: crate::metrics::tier::Retention,
}

/// What readers see besides the live head: published blocks and heads being sealed.
#[derive(Debug, Default)]
pub(crate) struct Version {
    pub(crate) blocks: Vec<Arc<BlockReader>>,
    pub(crate) frozen: Vec<Arc<FrozenHead>>,
}

/// Counters for self-metrics.
#[derive(Debug, Default)]
pub(crate) struct StoreCounters {
    pub(crate) samples_appended: AtomicU64,
    pub(crate) commits: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) seals: AtomicU64,
    pub(crate) compactions: AtomicU64,
}

/// Seal/compaction bookkeeping, guarded by the structure mutex.
#[derive(Debug)]
struct Structure {
    next_block_id: u64,
    /// Frozen heads whose block could not be written yet, oldest first, with the WAL segment
    /// that starts after them. While any is pending, no WAL segment is removed.
    pending: Vec<(Arc<FrozenHead>, u64)>,
}

#[derive(Debug)]
pub(crate) struct Store {
    fs: Arc<dyn FileSystem>,
    clock: Arc<dyn Clock>,
    blocks_dir: PathBuf,
    head: Head,
    index: SeriesIndex,
    version: ArcSwap<Version>,
    wal: Wal,
    barrier: RwLock<()>,
    structure: Mutex<Structure>,
    cfg: StoreConfig,
    pub(crate) counters: StoreCounters,
    /// When the current head generation received its first sample (ms), or 0 if empty.
    head_since_ms: AtomicI64,
    closed: AtomicBool,
    /// Threads for per-series work within a query (one per head shard).
    query_pool: rayon::ThreadPool,
}

/// Plain numbers describing the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Streams known (metric × unit × class).
    pub series: u64,
    /// Samples in the live head.
    pub head_samples: u64,
    /// Published blocks.
    pub blocks: u64,
    /// Bytes of published blocks.
    pub block_bytes: u64,
    /// Samples in published blocks.
    pub block_samples: u64,
    /// Samples accepted since open.
    pub samples_appended: u64,
    /// Commits accepted since open.
    pub commits: u64,
    /// Writes refused for overload since open.
    pub throttled: u64,
    /// Heads sealed since open.
    pub seals: u64,
    /// Compactions since open.
    pub compactions: u64,
    /// WAL fsyncs since open.
    pub wal_syncs: u64,
    /// WAL bytes written since open.
    pub wal_bytes: u64,
}

impl Store {
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn head_samples(&self) -> u64 {
        self.head.samples()
    }

    pub(crate) fn head_bytes(&self) -> u64 {
        self.head.bytes()
    }

    /// Age of the current head generation in ms (0 when empty).
    pub(crate) fn head_age_ms(&self) -> i64 {
        match self.head_since_ms.load(Ordering::Relaxed) {
            0 => 0,
            since => self.now_ms() - since,
        }
    }

    pub(crate) fn block_count(&self) -> usize {
        self.version.load().blocks.len()
    }

    pub(crate) fn stats(&self) -> EngineStats {
        let v = self.version.load();
        let w = self.wal.stats();
        let c = &self.counters;
        EngineStats {
            series: self.index.series_count(),
            head_samples: self.head.samples(),
            blocks: v.blocks.len() as u64,
            block_bytes: v.blocks.iter().map(|b| b.bytes_len).sum(),
            block_samples: v.blocks.iter().map(|b| b.meta.samples).sum(),
            samples_appended: c.samples_appended.load(Ordering::Relaxed),
            commits: c.commits.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            seals: c.seals.load(Ordering::Relaxed),
            compactions: c.compactions.load(Ordering::Relaxed),
            wal_syncs: w.syncs,
            wal_bytes: w.bytes,
        }
    }

    /// Stops intake and flushes the WAL. Idempotent.
    pub(crate) fn close(&self) -> crate::error::Result<()> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        // Wait for in-flight appends, then make everything submitted durable.
        let _g = self.barrier.write();
        self.wal.sync()?;
        Ok(())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}
