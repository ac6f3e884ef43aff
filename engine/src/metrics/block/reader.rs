//! Opens a block file through mmap, verifies its footer and index, and hands out chunks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hashbrown::HashMap;

use crate::durable::{FileSystem, ReadOnlyBytes};
use crate::error::{Error, Result};
use crate::metrics::chunk::{ChunkBytes, ChunkMeta};
use crate::metrics::enc::{Cursor, DecodeError};
use crate::metrics::series::{StreamId, StreamKey};

use super::{BlockMeta, FOOTER_LEN, FOOTER_MAGIC, FORMAT_VERSION, HEADER_LEN, MAGIC};

/// One stream of a block.
#[derive(Debug)]
pub(crate) struct BlockStream {
    pub(crate) key: Arc<StreamKey>,
    pub(crate) chunks: Vec<ChunkMeta>,
    /// Per chunk, the byte range of its sketch blob (empty for raw blocks).
    pub(crate) sketches: Vec<(usize, usize)>,
}

/// An open, verified block.
#[derive(Debug)]
pub(crate) struct BlockReader {
    pub(crate) path: PathBuf,
    pub(crate) meta: BlockMeta,
    pub(crate) bytes_len: u64,
    pub(crate) streams: HashMap<StreamId, BlockStream>,
    /// The whole file (mapped), for releasing pages a compaction has consumed.
    pub(crate) file: ReadOnlyBytes,
}

impl BlockReader {
    pub(crate) fn open(fs: &dyn FileSystem, path: &Path) -> Result<BlockReader> {
        let file = fs.map(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(path, file)
    }

    pub(crate) fn from_bytes(path: &Path, file: ReadOnlyBytes) -> Result<BlockReader> {
        let corrupt = |offset: usize, detail: &str| Error::corruption(path, offset as u64, detail.to_owned());
        let len = file.len();
        if len < HEADER_LEN + FOOTER_LEN {
            return Err(corrupt(0, "file shorter than header and footer"));
        }
        if &file[..8] != MAGIC {
            return Err(corrupt(0, "bad magic"));
        }
        let mut c = Cursor::new(&file[8..HEADER_LEN]);
        let (version, flags) = (c.u32(), c.u32());
        let (Ok(version), Ok(flags)) = (version, flags) else { return Err(corrupt(8, "header")) };
        if version == 0 || version > FORMAT_VERSION {
            return Err(corrupt(8, &format!("unsupported block format version {version}")));
        }
        if flags != 0 {
            return Err(corrupt(12, &format!("unknown header flags {flags:#x}")));
        }
        let foot_at = len - FOOTER_LEN;
        let mut f = Cursor::new(&file[foot_at..]);
        let (index_off, index_len, index_crc, fversion) =
            (|| -> Result<_, DecodeError> { Ok((f.u64()?, f.u64()?, f.u32()?, f.u32()?)) })()
                .map_err(|_| corrupt(foot_at, "footer"))?;
        if &file[len - 8..] != FOOTER_MAGIC || fversion != version {
            return Err(corrupt(foot_at, "bad footer magic or version"));
        }
        let index_end = index_off.saturating_add(index_len);
        if index_off < HEADER_LEN as u64 || index_end != foot_at as u64 {
            return Err(corrupt(foot_at, "index range out of bounds"));
        }
        let index = &file[index_off as usize..foot_at];
        if crc32fast::hash(index) != index_crc {
            return Err(corrupt(index_off as usize, "index checksum mismatch"));
        }
        let data_end = index_off as usize;
        let parse = || -> Result<(BlockMeta, HashMap<StreamId, BlockStream>), DecodeError> {
            // v1 has no tier field and 36-byte chunk entries; v2 adds both (docs/format/block.md).
            let mut c = Cursor::new(index);
            let mut meta = BlockMeta {
                id: c.u64()?,
                level: c.u32()?,
                min_t: c.i64()?,
                max_t: c.i64()?,
                samples: c.u64()?,
                wal_seq: c.u64()?,
                parents: Vec::new(),
                tier: 0,
            };
            let np = c.u32()?;
            if np as usize > c.remaining() / 8 {
                return Err(DecodeError::Invalid("parent count"));
            }
            for _ in 0..np {
                meta.parents.push(c.u64()?);
            }
            if version >= 2 {
                meta.tier = c.u32()?;
                if !matches!(meta.tier, 0 | 300 | 3600) {
                    return Err(DecodeError::Invalid("tier"));
                }
            }
            let streams = if version >= 3 {
                parse_streams_v3(&mut c, &meta, &file, data_end)?
            } else {
                parse_streams_v2(&mut c, &meta, &file, data_end, version)?
            };
            if !c.is_empty() {
                return Err(DecodeError::Invalid("trailing bytes in index"));
            }
            Ok((meta, streams))
        };
        let (meta, streams) = parse().map_err(|e| corrupt(index_off as usize, &format!("index: {e}")))?;
        Ok(BlockReader { path: path.to_path_buf(), meta, bytes_len: len as u64, streams, file })
    }

    /// Points every stream's key at the series index's shared copy. A block decodes its own
    /// keys; without this each open block kept a private copy of every key it holds (at
    /// 10,000 streams of 10 dimensions, ~19 MB across five blocks).
    pub(crate) fn share_keys(&mut self, index: &crate::metrics::series::SeriesIndex) {
        for (id, s) in self.streams.iter_mut() {
            if let Some(k) = index.get(*id).filter(|k| **k == *s.key) {
                s.key = k;
            }
        }
    }

    /// Byte offset just past the last chunk (and sketch blob) of `stream` in this file.
    pub(crate) fn stream_end(stream: &BlockStream) -> usize {
        stream.sketches.iter().map(|&(start, len)| start + len).max().unwrap_or(0)
    }

    /// Verifies a block chunk's CRC (over the chunk and, in rollup blocks, the sketch blob
    /// that follows it); head chunks pass.
    pub(crate) fn verify(path: &Path, chunk: &ChunkMeta, sketch_len: usize) -> Result<()> {
        if let ChunkBytes::Block { file, start, len, crc } = &chunk.bytes {
            let covered = file.get(*start..*start + *len + sketch_len).unwrap_or(&[]);
            if crc32fast::hash(covered) != *crc {
                return Err(Error::corruption(path, *start as u64, "chunk checksum mismatch"));
            }
        }
        Ok(())
    }
}

/// Stream table of format v1 and v2: full keys, stream ids, fixed-width chunk entries with
/// absolute offsets (36 bytes in v1, 40 in v2, which adds the sketch blob length).
fn parse_streams_v2(
    c: &mut Cursor<'_>,
    meta: &BlockMeta,
    file: &ReadOnlyBytes,
    data_end: usize,
    version: u32,
) -> Result<HashMap<StreamId, BlockStream>, DecodeError> {
    let entry_len = if version >= 2 { 40 } else { 36 };
    let ns = c.u32()?;
    let mut streams = HashMap::with_capacity((ns as usize).min(c.remaining() / 16));
    for _ in 0..ns {
        let klen = c.u32()? as usize;
        let kbytes = c.bytes(klen)?;
        let key = StreamKey::decode(&mut Cursor::new(kbytes))?;
        let id = StreamId(c.u64()?);
        if key.id() != id {
            return Err(DecodeError::Invalid("stream id does not match its key"));
        }
        let nc = c.u32()? as usize;
        if nc > c.remaining() / entry_len {
            return Err(DecodeError::Invalid("chunk count"));
        }
        let mut chunks = Vec::with_capacity(nc);
        let mut sketches = Vec::with_capacity(nc);
        for _ in 0..nc {
            let off = c.u64()?;
            let clen = c.u32()?;
            let min_t = c.i64()?;
            let max_t = c.i64()?;
            let samples = c.u32()?;
            let crc = c.u32()?;
            let slen = if version >= 2 { c.u32()? } else { 0 };
            let end = off
                .checked_add(u64::from(clen))
                .and_then(|e| e.checked_add(u64::from(slen)))
                .ok_or(DecodeError::Invalid("chunk range"))?;
            if off < HEADER_LEN as u64 || end > data_end as u64 || min_t > max_t {
                return Err(DecodeError::Invalid("chunk range"));
            }
            if meta.tier == 0 && slen != 0 {
                return Err(DecodeError::Invalid("sketch blob in a raw block"));
            }
            sketches.push(((off + u64::from(clen)) as usize, slen as usize));
            chunks.push(ChunkMeta {
                min_t,
                max_t,
                samples,
                bytes: ChunkBytes::Block { file: file.clone(), start: off as usize, len: clen as usize, crc },
            });
        }
        streams.insert(id, BlockStream { key: Arc::new(key), chunks, sketches });
    }
    Ok(streams)
}

/// Stream table of format v3 (docs/format/block.md): a string table, keys as references into
/// it, stream ids implied by the keys (strictly increasing), varint chunk entries whose offsets
/// are implied by the lengths, chunks back to back from the header to the index.
fn parse_streams_v3<'a>(
    c: &mut Cursor<'a>,
    meta: &BlockMeta,
    file: &ReadOnlyBytes,
    data_end: usize,
) -> Result<HashMap<StreamId, BlockStream>, DecodeError> {
    // Smallest encodings: a string is its length byte; a stream 4 references, the dimension
    // count, 3 tags and a chunk count; a chunk entry 5 one-byte varints and a CRC.
    const MIN_STREAM: usize = 9;
    const MIN_CHUNK: usize = 9;
    let ns = c.uvarint()?;
    if ns > c.remaining() as u64 {
        return Err(DecodeError::Invalid("string count"));
    }
    let mut strings = Vec::with_capacity(ns as usize);
    for _ in 0..ns {
        let len = c.uvarint()?;
        if len > c.remaining() as u64 {
            return Err(DecodeError::Truncated);
        }
        let b = c.bytes(len as usize)?;
        strings.push(std::str::from_utf8(b).map_err(|_| DecodeError::Invalid("utf-8 string"))?);
    }
    let n_streams = c.uvarint()?;
    if n_streams > (c.remaining() / MIN_STREAM) as u64 {
        return Err(DecodeError::Invalid("stream count"));
    }
    let mut streams = HashMap::with_capacity(n_streams as usize);
    let mut offset = HEADER_LEN as u64;
    let mut prev_first_min_t = 0i64;
    let mut prev_id: Option<StreamId> = None;
    for _ in 0..n_streams {
        let key = StreamKey::decode_with(c, |c| {
            let r = c.uvarint()?;
            usize::try_from(r)
                .ok()
                .and_then(|r| strings.get(r).copied())
                .ok_or(DecodeError::Invalid("string reference"))
        })?;
        let id = key.id();
        if prev_id.is_some_and(|p| p >= id) {
            return Err(DecodeError::Invalid("stream order"));
        }
        prev_id = Some(id);
        let nc = c.uvarint()?;
        if nc == 0 || nc > (c.remaining() / MIN_CHUNK) as u64 {
            return Err(DecodeError::Invalid("chunk count"));
        }
        let nc = nc as usize;
        let mut chunks = Vec::with_capacity(nc);
        let mut sketches = Vec::with_capacity(nc);
        let mut prev_max_t: Option<i64> = None;
        for _ in 0..nc {
            let clen = c.uvarint()?;
            let slen = c.uvarint()?;
            let base = prev_max_t.unwrap_or(prev_first_min_t);
            let min_t = base.wrapping_add(c.ivarint()?);
            let span = c.uvarint()?;
            let max_t = i64::try_from(i128::from(min_t) + i128::from(span))
                .map_err(|_| DecodeError::Invalid("chunk time range"))?;
            let samples = u32::try_from(c.uvarint()?).map_err(|_| DecodeError::Invalid("chunk sample count"))?;
            let crc = c.u32()?;
            let start = offset;
            let chunk_end = start.checked_add(clen).ok_or(DecodeError::Invalid("chunk range"))?;
            let end = chunk_end.checked_add(slen).ok_or(DecodeError::Invalid("chunk range"))?;
            if end > data_end as u64 {
                return Err(DecodeError::Invalid("chunk range"));
            }
            if meta.tier == 0 && slen != 0 {
                return Err(DecodeError::Invalid("sketch blob in a raw block"));
            }
            if prev_max_t.is_none() {
                prev_first_min_t = min_t;
            }
            prev_max_t = Some(max_t);
            offset = end;
            sketches.push((chunk_end as usize, slen as usize));
            chunks.push(ChunkMeta {
                min_t,
                max_t,
                samples,
                bytes: ChunkBytes::Block { file: file.clone(), start: start as usize, len: clen as usize, crc },
            });
        }
        streams.insert(id, BlockStream { key: Arc::new(key), chunks, sketches });
    }
    if offset != data_end as u64 {
        return Err(DecodeError::Invalid("chunk data not covered by the index"));
    }
    Ok(streams)
}
