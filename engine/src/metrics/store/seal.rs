//! Sealing the head into blocks, compacting blocks, and dropping blocks past retention.
//! All three run under the structure mutex; they publish a new [`Version`] atomically.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::metrics::block::{BlockReader, BlockWriter};
use crate::metrics::chunk;
use crate::metrics::compact::{self, BlockInfo};
use crate::metrics::head::FrozenHead;
use crate::metrics::record::SampleBuf;
use crate::metrics::series::{SampleClass, StreamId};

use super::{Store, Structure, Version};

/// What a flush did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Samples moved from the head into a new block.
    pub samples_sealed: u64,
    /// Blocks published after the flush.
    pub blocks: u32,
    /// Bytes of all published blocks.
    pub block_bytes: u64,
    /// Samples in all published blocks.
    pub samples_on_disk: u64,
}

impl Store {
    /// Seals the live head into a block (no-op when empty). Returns the samples sealed.
    pub(crate) fn seal(&self) -> Result<u64> {
        let mut st = self.structure.lock();
        // A previous seal that failed to write its block goes first: WAL segments are only
        // removed once every older frozen head is durable in a block.
        self.write_pending(&mut st)?;
        let (frozen, wal_seq) = {
            let _g = self.barrier.write();
            if self.head.samples() == 0 {
                return Ok(0);
            }
            let wal_seq = self.wal.rotate()?;
            let frozen = Arc::new(self.head.freeze());
            self.head_since_ms.store(0, Ordering::Relaxed);
            let v = self.version.load();
            let mut frozen_list = v.frozen.clone();
            frozen_list.push(frozen.clone());
            self.version.store(Arc::new(Version { blocks: v.blocks.clone(), frozen: frozen_list }));
            (frozen, wal_seq)
        };
        let samples = frozen.samples();
        st.pending.push((frozen, wal_seq));
        self.write_pending(&mut st)?;
        self.counters.seals.fetch_add(1, Ordering::Relaxed);
        Ok(samples)
    }

    fn write_pending(&self, st: &mut Structure) -> Result<()> {
        while let Some((frozen, wal_seq)) = st.pending.first().cloned() {
            let id = st.next_block_id;
            let reader = self.write_frozen(&frozen, id, wal_seq)?;
            st.next_block_id += 1;
            st.pending.remove(0);
            let v = self.version.load();
            let mut blocks = v.blocks.clone();
            blocks.push(Arc::new(reader));
            let frozen_list = v.frozen.iter().filter(|f| !Arc::ptr_eq(f, &frozen)).cloned().collect();
            self.version.store(Arc::new(Version { blocks, frozen: frozen_list }));
            if st.pending.is_empty() {
                self.wal.remove_segments_before(wal_seq)?;
            }
        }
        Ok(())
    }

    /// Opens a block this store just wrote, its keys shared with the series index.
    pub(super) fn open_block(&self, id: u64) -> Result<BlockReader> {
        let mut reader = BlockReader::open(&*self.fs, &self.blocks_dir.join(crate::metrics::block::file_name(id)))?;
        reader.share_keys(&self.index);
        Ok(reader)
    }

    fn write_frozen(&self, frozen: &FrozenHead, id: u64, wal_seq: u64) -> Result<BlockReader> {
        let mut w = BlockWriter::new(&*self.fs, &self.blocks_dir, id)?;
        for (sid, stream) in frozen.streams() {
            let key = self
                .stream_key(sid)
                .ok_or_else(|| Error::corruption(&self.blocks_dir, 0, format!("head stream {sid:?} has no key")))?;
            let chunks = stream.sealed_chunks();
            w.add_stream(sid, &key, chunks.iter().map(|c| (c.min_t, c.max_t, c.samples, c.bytes.bytes())))?;
        }
        let meta = w.finish(0, wal_seq, Vec::new(), 0)?;
        self.open_block(meta.id)
    }

    /// Merges the raw blocks the policy picks (`min_blocks` of one level; `None` merges every
    /// raw block into one). Returns whether it merged.
    pub(crate) fn compact(&self, min_blocks: Option<usize>) -> Result<bool> {
        let mut st = self.structure.lock();
        // Only raw blocks merge here; rollup blocks move down the retention chain instead.
        let all: Vec<Arc<BlockReader>> =
            self.version.load().blocks.iter().filter(|b| b.meta.tier == 0).cloned().collect();
        let chosen: Vec<u64> = match min_blocks {
            None => all.iter().map(|b| b.meta.id).collect(),
            Some(min) => {
                let infos: Vec<BlockInfo> =
                    all.iter().map(|b| BlockInfo { id: b.meta.id, level: b.meta.level }).collect();
                compact::plan(&infos, min).unwrap_or_default()
            }
        };
        let inputs: Vec<Arc<BlockReader>> = all.into_iter().filter(|b| chosen.contains(&b.meta.id)).collect();
        // A full compaction also rewrites a lone sealed head (level 0): its chunks are the
        // head's small, possibly overlapping ones; rewritten they are sorted and full-sized.
        let lone_seal = min_blocks.is_none() && inputs.len() == 1 && inputs[0].meta.level == 0;
        if inputs.len() < 2 && !lone_seal {
            return Ok(false);
        }
        let id = st.next_block_id;
        let mut w = BlockWriter::new(&*self.fs, &self.blocks_dir, id)?;
        let mut ids: Vec<StreamId> = inputs.iter().flat_map(|b| b.streams.keys().copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        let (mut scratch, mut all) = (SampleBuf::default(), SampleBuf::default());
        let mut release = ConsumedInputs::new(&inputs);
        for sid in ids {
            all.clear();
            let mut key = None;
            for b in &inputs {
                let Some(s) = b.streams.get(&sid) else { continue };
                key.get_or_insert_with(|| s.key.clone());
                for c in &s.chunks {
                    BlockReader::verify(&b.path, c, 0)?;
                    chunk::decode_append(s.key.class, c.bytes.bytes(), &mut scratch, &mut all)
                        .map_err(|e| Error::corruption(&b.path, 0, format!("chunk of {sid:?}: {e}")))?;
                }
            }
            let Some(key) = key else { continue };
            let class = key.class;
            all.sort(class);
            let mut encoded = Vec::new();
            let mut part = SampleBuf::default();
            for range in chunk::block_chunk_ranges(all.len()) {
                let (start, end) = (range.start, range.end);
                part.clear();
                for i in start..end {
                    push_index(&mut part, &all, i, class);
                }
                let mut bytes = Vec::new();
                chunk::encode(class, &part, &mut bytes);
                encoded.push((part.ts[0], part.ts[end - start - 1], (end - start) as u32, bytes));
            }
            w.add_stream(sid, &key, encoded.iter().map(|(a, b, n, bytes)| (*a, *b, *n, bytes.as_slice())))?;
            release.consumed(sid);
        }
        let level = inputs.iter().map(|b| b.meta.level).max().unwrap_or(0) + 1;
        let wal_seq = inputs.iter().map(|b| b.meta.wal_seq).max().unwrap_or(0);
        let parents: Vec<u64> = inputs.iter().map(|b| b.meta.id).collect();
        let meta = w.finish(level, wal_seq, parents, 0)?;
        st.next_block_id += 1;
        let reader = self.open_block(meta.id)?;
        {
            let v = self.version.load();
            let blocks = v
                .blocks
                .iter()
                .filter(|b| !inputs.iter().any(|i| Arc::ptr_eq(i, b)))
                .cloned()
                .chain(std::iter::once(Arc::new(reader)))
                .collect();
            self.version.store(Arc::new(Version { blocks, frozen: v.frozen.clone() }));
        }
        // The new block names its parents, so a crash before these removals is finished at open.
        for b in &inputs {
            self.fs.remove_file(&b.path).map_err(|e| Error::io(&b.path, e))?;
        }
        self.fs.sync_dir(&self.blocks_dir).map_err(|e| Error::io(&self.blocks_dir, e))?;
        self.counters.compactions.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }

    pub(crate) fn flush_report(&self, samples_sealed: u64) -> FlushReport {
        let v = self.version.load();
        FlushReport {
            samples_sealed,
            blocks: v.blocks.len() as u32,
            block_bytes: v.blocks.iter().map(|b| b.bytes_len).sum(),
            samples_on_disk: v.blocks.iter().map(|b| b.meta.samples).sum(),
        }
    }
}

/// Keeps a merge's memory bounded: inputs are read front to back (streams in id order, which
/// is also the order of their chunks in every block file), so once a stream is written, the
/// input pages before its last chunk are released from the process's resident set (they stay
/// in the page cache; a concurrent query that needs them faults them back in). Without this a
/// full compaction kept every input page it had read resident until the inputs were dropped.
pub(super) struct ConsumedInputs<'a> {
    inputs: &'a [Arc<BlockReader>],
    /// Per input: bytes read up to, bytes released up to.
    marks: Vec<(usize, usize)>,
}

impl<'a> ConsumedInputs<'a> {
    /// Release in steps of this many bytes (whole pages).
    const STEP: usize = 1 << 20;

    pub(super) fn new(inputs: &'a [Arc<BlockReader>]) -> Self {
        ConsumedInputs { inputs, marks: vec![(0, 0); inputs.len()] }
    }

    /// Stream `sid` was read from every input that has it.
    pub(super) fn consumed(&mut self, sid: StreamId) {
        for (b, (read, released)) in self.inputs.iter().zip(&mut self.marks) {
            let Some(s) = b.streams.get(&sid) else { continue };
            *read = (*read).max(BlockReader::stream_end(s));
            // Only whole pages below what was read: the next stream's first bytes may share
            // the last page.
            let upto = *read & !(4096 - 1);
            if upto >= *released + Self::STEP {
                b.file.release(*released..upto);
                *released = upto;
            }
        }
    }
}

fn push_index(out: &mut SampleBuf, src: &SampleBuf, i: usize, class: SampleClass) {
    match class {
        SampleClass::Raw => out.push_raw(src.ts[i], src.cols[0][i], src.cols[1][i]),
        SampleClass::Set => out.push_set(src.ts[i], src.cols[0][i], src.cols[1][i], src.cols[2][i], src.cols[3][i]),
    }
}
