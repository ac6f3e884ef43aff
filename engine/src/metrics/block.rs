//! Immutable on-disk blocks: a sealed head or a compaction's output, one self-contained file.
//!
//! A block lists its streams (full canonical keys, so a block is readable on its own — e.g.
//! from object storage — without any other file) and their chunks, and records which WAL
//! segments it makes redundant and which blocks it replaces. Files are written to `*.tmp`,
//! fsynced and renamed into place; readers mmap them. Byte layout: docs/format/block.md.

mod reader;
mod writer;

pub(crate) use reader::{BlockReader, BlockStream};
pub(crate) use writer::BlockWriter;

pub(crate) const MAGIC: &[u8; 8] = b"STRBLK01";
pub(crate) const FOOTER_MAGIC: &[u8; 8] = b"STRBLKFT";
/// Version written: 3 (string table, varint chunk entries). Versions 1 (no tier, no sketch
/// references) and 2 (fixed-width index) stay readable.
pub(crate) const FORMAT_VERSION: u32 = 3;
pub(crate) const HEADER_LEN: usize = 16;
pub(crate) const FOOTER_LEN: usize = 32;

/// Block metadata, stored in the index section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct BlockMeta {
    /// Unique, increasing block number (the file name).
    pub(crate) id: u64,
    /// 0 for a sealed head, parents' max + 1 for a compaction output.
    pub(crate) level: u32,
    pub(crate) min_t: i64,
    pub(crate) max_t: i64,
    pub(crate) samples: u64,
    /// First WAL segment whose records are NOT in this block or its ancestors; recovery
    /// replays from the largest such number over all blocks.
    pub(crate) wal_seq: u64,
    /// Blocks this one replaces. At open, a block listed as a parent by another block is
    /// deleted (its replacement was published but the cleanup did not finish).
    pub(crate) parents: Vec<u64>,
    /// 0 for raw samples; otherwise the rollup period in seconds (300, 3600): every chunk
    /// then holds per-bucket statistic sets `[count, sum, min, max]` stamped with the bucket
    /// start, and a sketch blob per chunk (format v2).
    pub(crate) tier: u32,
}

/// File name of block `id`.
pub(crate) fn file_name(id: u64) -> String {
    format!("{id:016x}.blk")
}

/// Block id from a file name, if it is a block file.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".blk")?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests;
