//! Streams chunks into a new block file and publishes it atomically.

use std::path::{Path, PathBuf};

use hashbrown::HashMap;

use crate::durable::{FileSystem, WritableFile};
use crate::error::{Error, Result};
use crate::metrics::enc::{put_i64, put_ivarint, put_u32, put_u64, put_uvarint};
use crate::metrics::series::{StreamId, StreamKey};

use super::{BlockMeta, FOOTER_MAGIC, FORMAT_VERSION, MAGIC, file_name};

/// Writes one block: `add_stream` for each stream in increasing id order, then `finish`.
#[derive(Debug)]
pub(crate) struct BlockWriter<'a> {
    fs: &'a dyn FileSystem,
    dir: PathBuf,
    tmp: PathBuf,
    file: Box<dyn WritableFile>,
    offset: u64,
    /// Stream entries (format v3: keys as string table references, varint chunk entries).
    index: Vec<u8>,
    streams: u64,
    /// The string table: each distinct key string once, numbered in order of first use.
    strings: HashMap<String, u64>,
    table: Vec<u8>,
    /// `min_t` of the previous stream's first chunk (0 before the first stream): the base
    /// the next stream's first chunk is delta-coded from.
    prev_first_min_t: i64,
    meta: BlockMeta,
    last_id: Option<StreamId>,
}

impl<'a> BlockWriter<'a> {
    pub(crate) fn new(fs: &'a dyn FileSystem, dir: &Path, id: u64) -> Result<Self> {
        let tmp = dir.join(format!("{}.tmp", file_name(id)));
        let mut file = fs.create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut header = Vec::with_capacity(super::HEADER_LEN);
        header.extend_from_slice(MAGIC);
        put_u32(&mut header, FORMAT_VERSION);
        put_u32(&mut header, 0);
        file.write_all(&header).map_err(|e| Error::io(&tmp, e))?;
        Ok(BlockWriter {
            fs,
            dir: dir.to_path_buf(),
            tmp,
            file,
            offset: header.len() as u64,
            index: Vec::new(),
            streams: 0,
            strings: HashMap::new(),
            table: Vec::new(),
            prev_first_min_t: 0,
            meta: BlockMeta { id, min_t: i64::MAX, max_t: i64::MIN, ..BlockMeta::default() },
            last_id: None,
        })
    }

    /// Adds one stream with its chunks, given as (min_t, max_t, samples, encoded bytes).
    pub(crate) fn add_stream<'c>(
        &mut self,
        id: StreamId,
        key: &StreamKey,
        chunks: impl IntoIterator<Item = (i64, i64, u32, &'c [u8])>,
    ) -> Result<()> {
        self.add_stream_with_sketches(id, key, chunks.into_iter().map(|(a, b, n, c)| (a, b, n, c, &[][..])))
    }

    /// Adds one stream whose chunks each carry a sketch blob (rollup tiers; empty for raw).
    pub(crate) fn add_stream_with_sketches<'c>(
        &mut self,
        id: StreamId,
        key: &StreamKey,
        chunks: impl IntoIterator<Item = (i64, i64, u32, &'c [u8], &'c [u8])>,
    ) -> Result<()> {
        debug_assert!(self.last_id.is_none_or(|l| l < id), "streams must be added in id order");
        self.last_id = Some(id);
        let mut entry = Vec::new();
        let mut n = 0u64;
        // Delta base of the next chunk's min_t: the previous chunk's max_t within a stream.
        let mut prev_max_t: Option<i64> = None;
        let mut first_min_t = 0;
        for (min_t, max_t, samples, bytes, sketches) in chunks {
            debug_assert!(min_t <= max_t);
            self.file.write_all(bytes).map_err(|e| Error::io(&self.tmp, e))?;
            self.file.write_all(sketches).map_err(|e| Error::io(&self.tmp, e))?;
            // The offset is implied: chunks follow each other in index order.
            put_uvarint(&mut entry, bytes.len() as u64);
            put_uvarint(&mut entry, sketches.len() as u64);
            let base = prev_max_t.unwrap_or(self.prev_first_min_t);
            put_ivarint(&mut entry, min_t.wrapping_sub(base));
            put_uvarint(&mut entry, max_t.wrapping_sub(min_t) as u64);
            put_uvarint(&mut entry, u64::from(samples));
            // The CRC covers the chunk and its sketch blob, which follows it directly.
            let mut crc = crc32fast::Hasher::new();
            crc.update(bytes);
            crc.update(sketches);
            put_u32(&mut entry, crc.finalize());
            if prev_max_t.is_none() {
                first_min_t = min_t;
            }
            prev_max_t = Some(max_t);
            self.offset += (bytes.len() + sketches.len()) as u64;
            self.meta.min_t = self.meta.min_t.min(min_t);
            self.meta.max_t = self.meta.max_t.max(max_t);
            self.meta.samples += u64::from(samples);
            n += 1;
        }
        if n == 0 {
            return Ok(());
        }
        self.prev_first_min_t = first_min_t;
        let (strings, table) = (&mut self.strings, &mut self.table);
        key.as_ref().encode_with(&mut self.index, |out, s| {
            let next = strings.len() as u64;
            let r = *strings.entry_ref(s).or_insert_with(|| {
                put_uvarint(table, s.len() as u64);
                table.extend_from_slice(s.as_bytes());
                next
            });
            put_uvarint(out, r);
        });
        put_uvarint(&mut self.index, n);
        self.index.extend_from_slice(&entry);
        self.streams += 1;
        Ok(())
    }

    /// Writes index and footer, fsyncs, renames into place, fsyncs the directory.
    pub(crate) fn finish(mut self, level: u32, wal_seq: u64, parents: Vec<u64>, tier: u32) -> Result<BlockMeta> {
        self.meta.tier = tier;
        self.meta.level = level;
        self.meta.wal_seq = wal_seq;
        self.meta.parents = parents;
        if self.meta.samples == 0 {
            self.meta.min_t = 0;
            self.meta.max_t = 0;
        }
        let m = &self.meta;
        let mut index = Vec::with_capacity(64 + self.table.len() + self.index.len());
        put_u64(&mut index, m.id);
        put_u32(&mut index, m.level);
        put_i64(&mut index, m.min_t);
        put_i64(&mut index, m.max_t);
        put_u64(&mut index, m.samples);
        put_u64(&mut index, m.wal_seq);
        put_u32(&mut index, m.parents.len() as u32);
        for p in &m.parents {
            put_u64(&mut index, *p);
        }
        put_u32(&mut index, m.tier);
        put_uvarint(&mut index, self.strings.len() as u64);
        index.extend_from_slice(&self.table);
        put_uvarint(&mut index, self.streams);
        index.extend_from_slice(&self.index);
        let mut footer = Vec::with_capacity(super::FOOTER_LEN);
        put_u64(&mut footer, self.offset);
        put_u64(&mut footer, index.len() as u64);
        put_u32(&mut footer, crc32fast::hash(&index));
        put_u32(&mut footer, FORMAT_VERSION);
        footer.extend_from_slice(FOOTER_MAGIC);
        let io = |e| Error::io(&self.tmp, e);
        self.file.write_all(&index).map_err(io)?;
        self.file.write_all(&footer).map_err(io)?;
        self.file.sync().map_err(io)?;
        drop(self.file);
        let dest = self.dir.join(file_name(m.id));
        self.fs.rename(&self.tmp, &dest).map_err(|e| Error::io(&dest, e))?;
        self.fs.sync_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        Ok(self.meta)
    }
}
