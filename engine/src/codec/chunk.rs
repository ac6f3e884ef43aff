//! The chunk: header, stream table and the public encode/decode entry points.
//!
//! Byte layout (chunk format v1, drawn in `docs/format/chunk.md`), all integers little-endian:
//!
//! ```text
//! offset  size        field
//! 0       1           encoding tag (1 = Gorilla)
//! 1       1           value column count C, 1..=8
//! 2       4           sample count N (u32)
//! 6       4 * (1+C)   byte length of each stream: timestamps, then value columns 1..=C (u32)
//! 10+4C   ...         the streams, in that order, each zero-padded to a whole byte
//! ```

use std::ops::Range;

use super::bits::{BitReader, BitWriter};
use super::gorilla;
use super::{CodecError, Corruption};

/// Most value columns a chunk can hold.
pub const MAX_VALUE_COLUMNS: u8 = 8;

/// Bytes before the stream length table.
const FIXED_HEADER: usize = 6;
/// Most streams in a chunk: timestamps plus the value columns.
const MAX_STREAMS: usize = 1 + MAX_VALUE_COLUMNS as usize;
/// Longest timestamp sample after the first: `1111` + 64 bits.
const MAX_TS_BITS: u64 = 4 + 64;
/// Longest value sample after the first: `11` + 5 + 6 + 64 bits.
const MAX_VALUE_BITS: u64 = 13 + 64;

/// The chunk encoding, stored as the chunk's first byte. A new encoding gets a new tag, and
/// decoders keep reading the old ones.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Gorilla delta-of-delta timestamps and XOR values, one bit stream per column.
    Gorilla = 1,
}

impl Encoding {
    /// The tag byte stored in the chunk.
    pub fn tag(self) -> u8 {
        self as u8
    }
}

impl TryFrom<u8> for Encoding {
    type Error = CodecError;

    fn try_from(tag: u8) -> Result<Self, CodecError> {
        match tag {
            1 => Ok(Encoding::Gorilla),
            other => Err(CodecError::UnknownEncoding(other)),
        }
    }
}

/// What a chunk's header says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkHeader {
    /// How the streams are encoded.
    pub encoding: Encoding,
    /// Samples in the chunk (rows: one timestamp and one value per column each).
    pub samples: u32,
    /// Value columns, `1..=MAX_VALUE_COLUMNS`.
    pub columns: u8,
}

/// The header plus where each stream lies in the chunk.
#[derive(Debug)]
struct Layout {
    header: ChunkHeader,
    /// Byte ranges of the streams: timestamps, then value columns; `1 + columns` used.
    streams: [Range<usize>; MAX_STREAMS],
    /// Bytes the chunk occupies.
    len: usize,
}

fn truncated_bytes(needed: usize, available: usize) -> CodecError {
    CodecError::Truncated { needed_bits: needed as u64 * 8, available_bits: available as u64 * 8 }
}

/// Reads the header and the stream table, checking that they fit in `bytes` (which may go on
/// past the chunk) and that every stream length is possible for the sample count.
fn parse_layout(bytes: &[u8]) -> Result<Layout, CodecError> {
    let Some(fixed) = bytes.first_chunk::<FIXED_HEADER>() else {
        return Err(truncated_bytes(FIXED_HEADER, bytes.len()));
    };
    let encoding = Encoding::try_from(fixed[0])?;
    let columns = fixed[1];
    if !(1..=MAX_VALUE_COLUMNS).contains(&columns) {
        return Err(Corruption::ColumnCount(columns).into());
    }
    let samples = u32::from_le_bytes([fixed[2], fixed[3], fixed[4], fixed[5]]);
    let nstreams = 1 + usize::from(columns);
    let header_len = FIXED_HEADER + 4 * nstreams;
    let Some(table) = bytes.get(FIXED_HEADER..header_len) else {
        return Err(truncated_bytes(header_len, bytes.len()));
    };

    // Stream ends as offsets into `bytes`; u64 so that no length table can overflow them.
    let mut ends = [0u64; MAX_STREAMS];
    let mut end = header_len as u64;
    for (i, (len_bytes, stream_end)) in table.chunks_exact(4).zip(&mut ends).enumerate() {
        let len = u32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let per_sample = if i == 0 { MAX_TS_BITS } else { MAX_VALUE_BITS };
        let (min_bits, max_bits) = stream_bit_bounds(samples, per_sample);
        // The stream must hold its fewest bits and have no whole byte beyond its most.
        if u64::from(len) * 8 < min_bits || u64::from(len) > max_bits.div_ceil(8) {
            return Err(Corruption::StreamLength { stream: i, len }.into());
        }
        end += u64::from(len);
        *stream_end = end;
    }
    if end > bytes.len() as u64 {
        return Err(CodecError::Truncated { needed_bits: end * 8, available_bits: bytes.len() as u64 * 8 });
    }
    // Every end is now at most `bytes.len()`, so the casts below are lossless.
    let mut streams: [Range<usize>; MAX_STREAMS] = Default::default();
    let mut start = header_len;
    for (range, &stream_end) in streams.iter_mut().zip(&ends[..nstreams]) {
        *range = start..stream_end as usize;
        start = stream_end as usize;
    }
    Ok(Layout { header: ChunkHeader { encoding, samples, columns }, streams, len: start })
}

/// Fewest and most bits a stream of `samples` samples can take.
fn stream_bit_bounds(samples: u32, max_per_sample: u64) -> (u64, u64) {
    match u64::from(samples) {
        0 => (0, 0),
        n => (64 + (n - 1), 64 + (n - 1) * max_per_sample),
    }
}

/// Encodes `timestamps` and the value `columns` as one chunk appended to `out`.
///
/// Timestamps are stored as zigzag delta-of-delta: they need not be sorted or distinct, and
/// any `i64` sequence round-trips, but a regular, sorted series costs 1 bit per sample after
/// the first two. Values are stored by bit pattern (NaN payloads, `-0.0` and infinities
/// round-trip exactly). An empty chunk (no samples) is valid.
///
/// # Panics
/// On a caller bug: unless `columns.len()` is in `1..=MAX_VALUE_COLUMNS` and every column has
/// `timestamps.len()` values, or if there are more than `u32::MAX` samples or a stream longer
/// than `u32::MAX` bytes.
pub fn encode_chunk(timestamps: &[i64], columns: &[&[f64]], out: &mut Vec<u8>) {
    assert!(
        (1..=usize::from(MAX_VALUE_COLUMNS)).contains(&columns.len()),
        "encode_chunk: {} value columns, want 1..={MAX_VALUE_COLUMNS}",
        columns.len()
    );
    let n = timestamps.len();
    for (i, c) in columns.iter().enumerate() {
        assert_eq!(c.len(), n, "encode_chunk: column {i} length differs from timestamps");
    }
    let samples = u32::try_from(n).expect("encode_chunk: more than u32::MAX samples");

    let start = out.len();
    let header_len = FIXED_HEADER + 4 * (1 + columns.len());
    // A guess for typical data (about 2 bytes per value); the vector grows if it is short.
    out.reserve(header_len + 8 * (1 + columns.len()) + n / 4 + 2 * n * columns.len());
    out.push(Encoding::Gorilla.tag());
    out.push(columns.len() as u8);
    out.extend_from_slice(&samples.to_le_bytes());
    out.resize(start + header_len, 0);

    let mut len_at = start + FIXED_HEADER;
    let mut stream = |out: &mut Vec<u8>, encode: &dyn Fn(&mut BitWriter)| {
        let begin = out.len();
        let mut w = BitWriter::appending_to(std::mem::take(out));
        encode(&mut w);
        *out = w.finish();
        let len = u32::try_from(out.len() - begin).expect("encode_chunk: stream over 4 GiB");
        out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
        len_at += 4;
    };
    stream(out, &|w| gorilla::encode_timestamps(timestamps, w));
    for column in columns {
        stream(out, &|w| gorilla::encode_values(column, w));
    }
}

/// Reads and checks a chunk's header and stream table without decoding the streams.
///
/// `bytes` may go on past the chunk (see [`chunk_len`]); [`decode_chunk`] wants it exact.
///
/// # Errors
/// [`CodecError::Truncated`], [`CodecError::UnknownEncoding`] or [`CodecError::Corrupt`] if the
/// header or stream table is short or inconsistent.
pub fn chunk_header(bytes: &[u8]) -> Result<ChunkHeader, CodecError> {
    parse_layout(bytes).map(|l| l.header)
}

/// The number of bytes the chunk at the start of `bytes` occupies, from its header.
///
/// # Errors
/// As [`chunk_header`].
pub fn chunk_len(bytes: &[u8]) -> Result<usize, CodecError> {
    parse_layout(bytes).map(|l| l.len)
}

/// Decodes the chunk that is exactly `bytes` into the caller's buffers, which are cleared
/// first: the timestamps into `timestamps`, value column `i` into `columns[i]`.
///
/// Never panics. On error the buffers hold unspecified (but initialised) data.
///
/// # Errors
/// - [`CodecError::ColumnMismatch`] if `columns.len()` differs from the chunk's column count;
/// - [`CodecError::UnknownEncoding`] for an encoding tag this build does not know;
/// - [`CodecError::Truncated`] if the header, a stream, or the chunk ends early;
/// - [`CodecError::Corrupt`] for anything else inconsistent, including bytes after the chunk.
pub fn decode_chunk(
    bytes: &[u8],
    timestamps: &mut Vec<i64>,
    columns: &mut [Vec<f64>],
) -> Result<ChunkHeader, CodecError> {
    let layout = parse_layout(bytes)?;
    let header = layout.header;
    if columns.len() != usize::from(header.columns) {
        return Err(CodecError::ColumnMismatch { expected: header.columns, actual: columns.len() });
    }
    if layout.len != bytes.len() {
        return Err(Corruption::TrailingBytes(bytes.len() - layout.len).into());
    }
    let n = header.samples as usize;
    match header.encoding {
        Encoding::Gorilla => {
            let mut r = BitReader::new(&bytes[layout.streams[0].clone()]);
            gorilla::decode_timestamps(&mut r, n, timestamps);
            check_stream_end(&mut r, 0)?;
            for (i, column) in columns.iter_mut().enumerate() {
                let mut r = BitReader::new(&bytes[layout.streams[1 + i].clone()]);
                gorilla::decode_values(&mut r, n, column)?;
                check_stream_end(&mut r, 1 + i)?;
            }
        }
    }
    Ok(header)
}

/// Checks that the reader stopped inside the stream's last byte and that the padding after
/// it is zero.
fn check_stream_end(r: &mut BitReader<'_>, stream: usize) -> Result<(), CodecError> {
    if r.overran() {
        return Err(CodecError::Truncated { needed_bits: r.consumed_bits(), available_bits: r.len_bits() });
    }
    let rest = r.remaining_bits();
    if rest >= 8 {
        return Err(Corruption::StreamTail(stream).into());
    }
    r.refill();
    if r.peek() & ((1u64 << rest) - 1) != 0 {
        return Err(Corruption::Padding(stream).into());
    }
    Ok(())
}
