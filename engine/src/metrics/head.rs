//! The head: recent samples in memory, sharded by stream id.
//!
//! Each shard is a mutex over its streams; writers of different shards never contend, and a
//! shard lock is held only to push samples or to copy out chunk handles (no decoding, no I/O
//! under it). Each stream keeps an *open buffer* of uncompressed samples in arrival order and a
//! list of compressed chunks. When the buffer reaches [`HEAD_CHUNK_SAMPLES`] it is sorted and
//! cut into a chunk. Out-of-order samples are therefore free: they land in the open buffer, or
//! in a later chunk whose time range overlaps an earlier one; queries aggregate every chunk
//! whose range overlaps the window, and compaction sorts when it merges.
//!
//! Sealing swaps every shard's state out at once (under the engine's write barrier) into an
//! immutable [`FrozenHead`], which queries read until its block is published.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;
use hashbrown::HashMap;
use parking_lot::Mutex;

use super::chunk::{self, ChunkBytes, ChunkMeta, HEAD_CHUNK_SAMPLES};
use super::record::SampleBuf;
use super::series::{SampleClass, StreamId};

/// One stream's data in the head.
#[derive(Debug)]
pub(crate) struct StreamHead {
    pub(crate) class: SampleClass,
    pub(crate) open: SampleBuf,
    pub(crate) chunks: Vec<ChunkMeta>,
}

impl StreamHead {
    fn new(class: SampleClass) -> Self {
        StreamHead { class, open: SampleBuf::default(), chunks: Vec::new() }
    }

    /// Appends `buf`, cutting a chunk each time the open buffer holds [`HEAD_CHUNK_SAMPLES`].
    /// The open buffer is allocated once at exactly that size, so a stream's uncompressed
    /// memory is bounded by it whatever the request sizes (a batch of 180 samples appended to
    /// 200 would otherwise grow every column to 512).
    /// Returns the compressed bytes it added (chunks cut).
    fn push(&mut self, buf: &SampleBuf) -> u64 {
        let mut added = 0;
        let mut from = 0;
        while from < buf.len() {
            if self.open.ts.capacity() < HEAD_CHUNK_SAMPLES {
                self.open.reserve_exact(HEAD_CHUNK_SAMPLES - self.open.len(), self.class);
            }
            let take = HEAD_CHUNK_SAMPLES.saturating_sub(self.open.len()).max(1).min(buf.len() - from);
            self.open.extend_range(buf, from..from + take, self.class);
            from += take;
            if self.open.len() >= HEAD_CHUNK_SAMPLES {
                added += self.cut();
            }
        }
        added
    }

    /// Sorts the open buffer and compresses it into a chunk; returns the chunk's size.
    fn cut(&mut self) -> u64 {
        if self.open.is_empty() {
            return 0;
        }
        self.open.sort(self.class);
        let mut bytes = Vec::new();
        chunk::encode(self.class, &self.open, &mut bytes);
        let n = self.open.len();
        let len = bytes.len() as u64;
        self.chunks.push(ChunkMeta {
            min_t: self.open.ts[0],
            max_t: self.open.ts[n - 1],
            samples: n as u32,
            bytes: ChunkBytes::Head(Arc::from(bytes)),
        });
        self.open.clear();
        len
    }

    /// Copies out what overlaps `[start, end)`: chunk handles (cheap clones) and open samples.
    pub(crate) fn collect(&self, start: i64, end: i64, chunks: &mut Vec<ChunkMeta>, open: &mut SampleBuf) {
        for c in &self.chunks {
            if c.max_t >= start && c.min_t < end {
                chunks.push(c.clone());
            }
        }
        for (i, &t) in self.open.ts.iter().enumerate() {
            if t >= start && t < end {
                open.ts.push(t);
                for col in 0..SampleBuf::columns(self.class) {
                    open.cols[col].push(self.open.cols[col][i]);
                }
            }
        }
    }

    /// All samples, sorted, as chunks ready to be written to a block.
    pub(crate) fn sealed_chunks(&self) -> Vec<ChunkMeta> {
        let mut chunks = self.chunks.clone();
        if !self.open.is_empty() {
            let mut tail = StreamHead::new(self.class);
            tail.open = self.open.clone();
            tail.cut();
            chunks.extend(tail.chunks);
        }
        chunks
    }
}

/// One shard's streams.
#[derive(Debug, Default)]
pub(crate) struct ShardState {
    pub(crate) streams: HashMap<StreamId, StreamHead>,
}

/// The live, mutable head.
#[derive(Debug)]
pub(crate) struct Head {
    shards: Vec<CachePadded<Mutex<ShardState>>>,
    samples: AtomicU64,
    /// Compressed bytes of the chunks cut in this generation.
    bytes: AtomicU64,
}

impl Head {
    pub(crate) fn new(shards: usize) -> Self {
        Head {
            shards: (0..shards.max(1)).map(|_| CachePadded::new(Mutex::new(ShardState::default()))).collect(),
            samples: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub(crate) fn shard_count(&self) -> usize {
        self.shards.len()
    }

    pub(crate) fn shard_of(&self, id: StreamId) -> usize {
        // The id is a hash already; the high bits spread as well as the low ones.
        ((id.0 >> 32) as usize) % self.shards.len()
    }

    pub(crate) fn samples(&self) -> u64 {
        self.samples.load(Ordering::Relaxed)
    }

    /// Compressed bytes held in chunks (open buffers not counted: their size is fixed per stream).
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Whether the stream has data in this head generation.
    pub(crate) fn contains(&self, id: StreamId) -> bool {
        self.shards[self.shard_of(id)].lock().streams.contains_key(&id)
    }

    /// Appends samples of several streams of one shard under one lock acquisition.
    pub(crate) fn append_shard<'a>(
        &self,
        shard: usize,
        groups: impl Iterator<Item = (StreamId, SampleClass, &'a SampleBuf)>,
    ) {
        let (mut n, mut bytes) = (0u64, 0u64);
        let mut st = self.shards[shard].lock();
        for (id, class, buf) in groups {
            bytes += st.streams.entry(id).or_insert_with(|| StreamHead::new(class)).push(buf);
            n += buf.len() as u64;
        }
        drop(st);
        self.samples.fetch_add(n, Ordering::Relaxed);
        if bytes > 0 {
            self.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// Copies out one stream's data overlapping `[start, end)`.
    pub(crate) fn collect(
        &self,
        id: StreamId,
        start: i64,
        end: i64,
        chunks: &mut Vec<ChunkMeta>,
        open: &mut SampleBuf,
    ) {
        let st = self.shards[self.shard_of(id)].lock();
        if let Some(s) = st.streams.get(&id) {
            s.collect(start, end, chunks, open);
        }
    }

    /// Swaps every shard's state out. Caller holds the engine's write barrier, so no append
    /// is in flight and the WAL position matches the swapped state exactly.
    pub(crate) fn freeze(&self) -> FrozenHead {
        let mut shards: Vec<ShardState> = self.shards.iter().map(|s| std::mem::take(&mut *s.lock())).collect();
        // Compress what the open buffers hold and free them: a frozen head lives until its
        // block is written, and holding two generations of uncompressed buffers (the frozen
        // one and the new head's) was the largest part of the peak memory at 10,000 streams.
        for st in &mut shards {
            for s in st.streams.values_mut() {
                s.cut();
                s.open = SampleBuf::default();
            }
        }
        let samples = self.samples.swap(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        FrozenHead { shards, samples }
    }
}

/// An immutable former head, readable until its block is published.
#[derive(Debug)]
pub(crate) struct FrozenHead {
    shards: Vec<ShardState>,
    samples: u64,
}

impl FrozenHead {
    pub(crate) fn samples(&self) -> u64 {
        self.samples
    }

    pub(crate) fn collect(
        &self,
        id: StreamId,
        start: i64,
        end: i64,
        chunks: &mut Vec<ChunkMeta>,
        open: &mut SampleBuf,
    ) {
        for st in &self.shards {
            if let Some(s) = st.streams.get(&id) {
                s.collect(start, end, chunks, open);
                return;
            }
        }
    }

    /// Every stream, in id order (blocks list streams sorted by id).
    pub(crate) fn streams(&self) -> Vec<(StreamId, &StreamHead)> {
        let mut v: Vec<(StreamId, &StreamHead)> =
            self.shards.iter().flat_map(|s| s.streams.iter().map(|(id, h)| (*id, h))).collect();
        v.sort_unstable_by_key(|(id, _)| *id);
        v
    }
}
