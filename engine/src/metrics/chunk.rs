//! Encoding a stream's samples into codec chunks and back, per sample class.
//!
//! A raw stream's chunk has one column (values) when every weight is 1 — the common case,
//! which then costs nothing for weights — and two (values, weights) otherwise. A statistic-set
//! chunk has four (count, sum, min, max). The column count is in the chunk header.

use std::sync::Arc;

use crate::codec::{self, CodecError};
use crate::durable::ReadOnlyBytes;

use super::record::SampleBuf;
use super::series::SampleClass;

/// Samples per head chunk before it is cut and compressed.
pub(crate) const HEAD_CHUNK_SAMPLES: usize = 240;
/// Most samples per chunk written by compaction and rollups (the codec's flat encodings allow
/// up to 65,536; a query decodes whole chunks, so bigger than the bytes need costs reads).
pub(crate) const BLOCK_CHUNK_SAMPLES: usize = 4096;

/// Splits `n` samples into the fewest chunks of at most [`BLOCK_CHUNK_SAMPLES`], of equal
/// sizes (differing by at most one), so no stream ends in a short chunk that pays the fixed
/// per-chunk costs for few samples.
pub(crate) fn block_chunk_ranges(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let chunks = n.div_ceil(BLOCK_CHUNK_SAMPLES);
    let (base, extra) = (n.checked_div(chunks).unwrap_or(0), n.checked_rem(chunks).unwrap_or(0));
    (0..chunks).scan(0, move |start, i| {
        let len = base + usize::from(i < extra);
        let r = *start..*start + len;
        *start += len;
        Some(r)
    })
}

/// Encodes `buf` (already sorted by time) as one chunk.
pub(crate) fn encode(class: SampleClass, buf: &SampleBuf, out: &mut Vec<u8>) {
    match class {
        SampleClass::Raw => {
            if buf.cols[1].iter().all(|&w| w == 1.0) {
                codec::encode_chunk(&buf.ts, &[&buf.cols[0]], out);
            } else {
                codec::encode_chunk(&buf.ts, &[&buf.cols[0], &buf.cols[1]], out);
            }
        }
        SampleClass::Set => {
            codec::encode_chunk(&buf.ts, &[&buf.cols[0], &buf.cols[1], &buf.cols[2], &buf.cols[3]], out);
        }
    }
}

/// Decodes one chunk into `out`, replacing its contents (no intermediate copy).
pub(crate) fn decode_into(class: SampleClass, bytes: &[u8], out: &mut SampleBuf) -> Result<(), CodecError> {
    if decode_columns(class, bytes, out)? == Weights::One {
        out.cols[1].clear();
        out.cols[1].resize(out.ts.len(), 1.0);
    }
    Ok(())
}

/// What a decoded raw chunk says about weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weights {
    /// A one-column raw chunk: every weight is 1 and `cols[1]` was NOT filled.
    One,
    /// The chunk's own columns were decoded (two for raw, four for sets).
    Stored,
}

/// Decodes one chunk's stored columns into `out` (timestamps and `cols[..columns]`); for a
/// one-column raw chunk the weights column is left as it was and [`Weights::One`] returned,
/// so the query path can fold the values without materialising 1.0 per sample.
pub(crate) fn decode_columns(class: SampleClass, bytes: &[u8], out: &mut SampleBuf) -> Result<Weights, CodecError> {
    let header = codec::chunk_header(bytes)?;
    let ncols = usize::from(header.columns);
    let ok = match class {
        SampleClass::Raw => ncols == 1 || ncols == 2,
        SampleClass::Set => ncols == 4,
    };
    if !ok {
        let actual = if class == SampleClass::Raw { 2 } else { 4 };
        return Err(CodecError::ColumnMismatch { expected: header.columns, actual });
    }
    codec::decode_chunk(bytes, &mut out.ts, &mut out.cols[..ncols])?;
    Ok(if class == SampleClass::Raw && ncols == 1 { Weights::One } else { Weights::Stored })
}

/// Decodes one chunk, appending its samples to `out`. `scratch` is reused between calls.
pub(crate) fn decode_append(
    class: SampleClass,
    bytes: &[u8],
    scratch: &mut SampleBuf,
    out: &mut SampleBuf,
) -> Result<(), CodecError> {
    decode_into(class, bytes, scratch)?;
    out.extend(scratch, class);
    Ok(())
}

/// Where a chunk's bytes live.
#[derive(Debug, Clone)]
pub(crate) enum ChunkBytes {
    /// Compressed in the head.
    Head(Arc<[u8]>),
    /// A range of an mmap'd block file, with the CRC the block index promises.
    Block { file: ReadOnlyBytes, start: usize, len: usize, crc: u32 },
}

impl ChunkBytes {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            ChunkBytes::Head(b) => b,
            ChunkBytes::Block { file, start, len, .. } => &file[*start..*start + *len],
        }
    }
}

/// A chunk with its time range, as a query or compaction sees it.
#[derive(Debug, Clone)]
pub(crate) struct ChunkMeta {
    pub(crate) min_t: i64,
    pub(crate) max_t: i64,
    pub(crate) samples: u32,
    pub(crate) bytes: ChunkBytes,
}

#[cfg(test)]
mod tests {
    use super::{BLOCK_CHUNK_SAMPLES, block_chunk_ranges};

    #[test]
    fn block_chunks_are_few_and_even() {
        for n in [0, 1, 2, 1000, 4095, 4096, 4097, 8640, 12_288, 100_000] {
            let r: Vec<_> = block_chunk_ranges(n).collect();
            assert_eq!(r.len(), n.div_ceil(BLOCK_CHUNK_SAMPLES), "n {n}");
            assert_eq!(r.iter().map(|r| r.len()).sum::<usize>(), n);
            assert!(r.windows(2).all(|w| w[0].end == w[1].start));
            assert!(r.iter().all(|r| !r.is_empty() && r.len() <= BLOCK_CHUNK_SAMPLES));
            let (lo, hi) = (r.iter().map(|r| r.len()).min(), r.iter().map(|r| r.len()).max());
            assert!(hi.zip(lo).is_none_or(|(h, l)| h - l <= 1), "n {n}: {r:?}");
        }
    }
}
