//! The chunk: header, stream table, the per-stream encoding choice and the public
//! encode/decode entry points.
//!
//! Byte layout (drawn in `docs/format/chunk.md`), all integers little-endian:
//!
//! ```text
//! v1 (tag 1, every stream Gorilla)          v2 (tag 2, an encoding id per stream)
//! offset  size        field                 offset  size        field
//! 0       1           tag = 1               0       1           tag = 2
//! 1       1           value column count C  1       1           value column count C
//! 2       4           sample count N        2       4           sample count N
//! 6       4 * (1+C)   stream byte lengths   6       1+C         stream encoding ids
//! 10+4C   ...         the streams           7+C     4 * (1+C)   stream byte lengths
//!                                           11+5C   ...         the streams
//! ```
//!
//! Streams: timestamps, then value columns 1..=C, each zero-padded to a whole byte.
//! Timestamp stream ids: 1 Gorilla delta-of-delta, 2 regular. Value stream ids: 1 Gorilla
//! XOR, 2 constant, 3 decimal. The encoder writes v1 when every stream is Gorilla.

use std::ops::Range;

use super::bits::{BitReader, BitWriter};
use super::{CodecError, Corruption};
use super::{decimal, gorilla, regular};

/// Most value columns a chunk can hold.
pub const MAX_VALUE_COLUMNS: u8 = 8;

/// Bytes before the stream encoding ids (v2) or the stream length table (v1).
const FIXED_HEADER: usize = 6;
/// Most streams in a chunk: timestamps plus the value columns.
const MAX_STREAMS: usize = 1 + MAX_VALUE_COLUMNS as usize;
/// Longest timestamp sample after the first: `1111` + 64 bits.
const MAX_TS_BITS: u64 = 4 + 64;
/// Longest value sample after the first: `11` + 5 + 6 + 64 bits.
const MAX_VALUE_BITS: u64 = 13 + 64;

/// Stream encoding id (chunk format v2) of a Gorilla stream, timestamps or values; every
/// stream of a v1 chunk is one.
const GORILLA: u8 = 1;
/// Timestamp stream encoding id: first timestamp, interval, exceptions (`regular.rs`).
const TS_REGULAR: u8 = 2;
/// Value stream encoding id: one value repeated (`regular.rs`).
const VALUES_CONSTANT: u8 = 2;
/// Value stream encoding id: scaled decimal integers, Rice-coded deltas (`decimal.rs`).
const VALUES_DECIMAL: u8 = 3;

/// The chunk encoding, stored as the chunk's first byte. A new encoding gets a new tag, and
/// decoders keep reading the old ones.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Chunk format v1: Gorilla delta-of-delta timestamps and XOR values, one bit stream per
    /// column. [`encode_chunk`] still writes it when Gorilla is the best choice for every
    /// stream.
    Gorilla = 1,
    /// Chunk format v2: each stream carries its own encoding id (Gorilla, regular timestamps,
    /// constant values, decimal values), chosen per stream by the smallest output.
    PerStream = 2,
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
            2 => Ok(Encoding::PerStream),
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
    /// Stream encoding ids: timestamps, then value columns; `1 + columns` used.
    ids: [u8; MAX_STREAMS],
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
    let ids_len = match encoding {
        Encoding::Gorilla => 0,
        Encoding::PerStream => nstreams,
    };
    let header_len = FIXED_HEADER + ids_len + 4 * nstreams;
    let Some(rest) = bytes.get(FIXED_HEADER..header_len) else {
        return Err(truncated_bytes(header_len, bytes.len()));
    };
    let (id_bytes, table) = rest.split_at(ids_len);
    let mut ids = [GORILLA; MAX_STREAMS];
    ids[..ids_len].copy_from_slice(id_bytes);

    // Stream ends as offsets into `bytes`; u64 so that no length table can overflow them.
    let mut ends = [0u64; MAX_STREAMS];
    let mut end = header_len as u64;
    for (i, (len_bytes, stream_end)) in table.chunks_exact(4).zip(&mut ends).enumerate() {
        let len = u32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let Some((min_bits, max_bits)) = stream_bit_bounds(samples, i, ids[i]) else {
            return Err(Corruption::StreamEncoding { stream: i, id: ids[i] }.into());
        };
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
    Ok(Layout { header: ChunkHeader { encoding, samples, columns }, ids, streams, len: start })
}

/// Fewest and most bits stream `stream` (0 = timestamps) of `samples` samples can take in
/// encoding `id`, or `None` if `id` is not valid there (unknown, or not for this many samples).
fn stream_bit_bounds(samples: u32, stream: usize, id: u8) -> Option<(u64, u64)> {
    let n = u64::from(samples);
    let flat = (1..=regular::MAX_FLAT_SAMPLES).contains(&n);
    match (stream == 0, id) {
        (_, GORILLA) => {
            let per_sample = if stream == 0 { MAX_TS_BITS } else { MAX_VALUE_BITS };
            Some(match n {
                0 => (0, 0),
                n => (64 + (n - 1), 64 + (n - 1) * per_sample),
            })
        }
        (true, TS_REGULAR) if flat => Some((regular::REGULAR_FIXED_BITS, regular::REGULAR_FIXED_BITS + n * (32 + 64))),
        (false, VALUES_CONSTANT) if flat => Some((64, 64)),
        (false, VALUES_DECIMAL) if n >= 1 => Some(decimal::bit_bounds(n)),
        _ => None,
    }
}

/// Appends one stream written by `encode` to `out`.
fn write_stream(out: &mut Vec<u8>, encode: impl FnOnce(&mut BitWriter)) {
    let mut w = BitWriter::appending_to(std::mem::take(out));
    encode(&mut w);
    *out = w.finish();
}

/// Appends the smallest timestamp stream for `ts` and returns its encoding id and the byte
/// length of its Gorilla stream.
fn encode_timestamp_stream(ts: &[i64], out: &mut Vec<u8>) -> (u8, usize) {
    let regular_bits = regular::regular_bits(ts);
    // Gorilla takes 64 bits and at least one per further sample: skip it when regular beats that.
    let gorilla_min_bits = 64 + ts.len().saturating_sub(1) as u64;
    if let Some(bits) = regular_bits.filter(|b| b.div_ceil(8) < gorilla_min_bits.div_ceil(8)) {
        let begin = out.len();
        write_stream(out, |w| regular::encode_timestamps(ts, bits, w));
        debug_assert_eq!((out.len() - begin) as u64, bits.div_ceil(8));
        // A lower bound of the Gorilla length: the v1-or-v2 decision may then keep v1 where v2
        // would be a byte or two smaller, never the other way round.
        return (TS_REGULAR, gorilla_min_bits.div_ceil(8) as usize);
    }
    let begin = out.len();
    write_stream(out, |w| gorilla::encode_timestamps(ts, w));
    let gorilla_len = out.len() - begin;
    match regular_bits {
        Some(bits) if bits.div_ceil(8) < gorilla_len as u64 => {
            out.truncate(begin);
            write_stream(out, |w| regular::encode_timestamps(ts, bits, w));
            (TS_REGULAR, gorilla_len)
        }
        _ => (GORILLA, gorilla_len),
    }
}

/// Appends the smallest value stream for `values` and returns its encoding id and the byte
/// length of its Gorilla stream. Ties go to Gorilla.
fn encode_value_stream(values: &[f64], out: &mut Vec<u8>) -> (u8, usize) {
    if regular::is_constant(values) && values.len() > 1 {
        // 8 bytes; Gorilla takes 64 bits plus a `0` bit per further sample.
        write_stream(out, |w| w.put(values[0].to_bits(), 64));
        return (VALUES_CONSTANT, (64 + values.len() - 1).div_ceil(8));
    }
    let begin = out.len();
    let decimal_len = decimal::choose_exponent(values).map(|e| {
        write_stream(out, |w| decimal::encode_values(values, e, w));
        out.len() - begin
    });
    if let Some(len) = decimal_len {
        // Summing stops once the bound exceeds the decimal stream by 16 bytes: still a lower
        // bound, and one that makes the v1-or-v2 decision below come out as with the full sum
        // (v2 wins by more than its at most `MAX_STREAMS` id bytes either way).
        let limit = (len as u64 + 16) * 8;
        let gorilla_min = gorilla::value_bits_lower_bound_until(values, limit).div_ceil(8) as usize;
        if len < gorilla_min {
            // As for timestamps: a lower bound of the Gorilla length.
            return (VALUES_DECIMAL, gorilla_min);
        }
    }
    let gorilla_begin = out.len();
    write_stream(out, |w| gorilla::encode_values(values, w));
    let gorilla_len = out.len() - gorilla_begin;
    match decimal_len {
        Some(len) if len < gorilla_len => {
            out.truncate(begin + len);
            (VALUES_DECIMAL, gorilla_len)
        }
        _ => {
            out.copy_within(gorilla_begin.., begin);
            out.truncate(begin + gorilla_len);
            (GORILLA, gorilla_len)
        }
    }
}

/// Encodes `timestamps` and the value `columns` as one chunk appended to `out`, choosing for
/// each stream the encoding with the smallest output.
///
/// Timestamps: Gorilla zigzag delta-of-delta (any `i64` sequence, sorted or not), or, when
/// smaller, "regular" (first timestamp, interval, exceptions). Values: Gorilla XOR, a constant,
/// or scaled decimal integers with exceptions. Every encoding is lossless: values are restored
/// by bit pattern (NaN payloads, `-0.0`, infinities and subnormals round-trip exactly). The
/// chunk is written in format v2 (tag 2) only if that is smaller than format v1 after paying
/// for its per-stream id bytes; otherwise in v1 (tag 1), byte for byte as v1 encoders always
/// wrote it. An empty chunk (no samples) is valid.
///
/// # Panics
/// On a caller bug: unless `columns.len()` is in `1..=MAX_VALUE_COLUMNS` and every column has
/// `timestamps.len()` values, or if there are more than `u32::MAX` samples or a stream longer
/// than `u32::MAX` bytes.
pub fn encode_chunk(timestamps: &[i64], columns: &[&[f64]], out: &mut Vec<u8>) {
    encode(timestamps, columns, out, false);
}

/// [`encode_chunk`] restricted to format v1 (every stream Gorilla): what the `bitvec`
/// reference encoder must reproduce byte for byte.
#[cfg(test)]
pub(crate) fn encode_chunk_v1(timestamps: &[i64], columns: &[&[f64]], out: &mut Vec<u8>) {
    encode(timestamps, columns, out, true);
}

fn encode(timestamps: &[i64], columns: &[&[f64]], out: &mut Vec<u8>, v1_only: bool) {
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
    let nstreams = 1 + columns.len();
    // The v2 header; turned into v1 at the end if every stream is Gorilla.
    let ids_at = start + FIXED_HEADER;
    let table_at = ids_at + nstreams;
    let header_len = FIXED_HEADER + nstreams + 4 * nstreams;
    // A guess for typical data (about 2 bytes per value); the vector grows if it is short.
    out.reserve(header_len + 8 * nstreams + n / 4 + 2 * n * columns.len());
    out.push(Encoding::PerStream.tag());
    out.push(columns.len() as u8);
    out.extend_from_slice(&samples.to_le_bytes());
    out.resize(start + header_len, 0);

    // Bytes the streams would take in format v1.
    let mut v1_stream_bytes = 0;
    for i in 0..nstreams {
        let begin = out.len();
        let (id, gorilla_len) = match i {
            0 if v1_only => {
                write_stream(out, |w| gorilla::encode_timestamps(timestamps, w));
                (GORILLA, out.len() - begin)
            }
            0 => encode_timestamp_stream(timestamps, out),
            _ if v1_only => {
                write_stream(out, |w| gorilla::encode_values(columns[i - 1], w));
                (GORILLA, out.len() - begin)
            }
            _ => encode_value_stream(columns[i - 1], out),
        };
        v1_stream_bytes += gorilla_len;
        let len = u32::try_from(out.len() - begin).expect("encode_chunk: stream over 4 GiB");
        out[ids_at + i] = id;
        out[table_at + 4 * i..table_at + 4 * i + 4].copy_from_slice(&len.to_le_bytes());
    }
    // v2 must pay for its id bytes; otherwise write v1 (re-encoding the streams that differ).
    let v2_stream_bytes = out.len() - (start + header_len);
    if !v1_only
        && v2_stream_bytes + nstreams >= v1_stream_bytes
        && out[ids_at..table_at].iter().any(|&id| id != GORILLA)
    {
        out.truncate(start);
        return encode(timestamps, columns, out, true);
    }
    if out[ids_at..table_at].iter().all(|&id| id == GORILLA) {
        out.copy_within(table_at.., ids_at);
        out.truncate(out.len() - nstreams);
        out[start] = Encoding::Gorilla.tag();
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
    for i in 0..=usize::from(header.columns) {
        let mut r = BitReader::new(&bytes[layout.streams[i].clone()]);
        match (i, layout.ids[i]) {
            (0, GORILLA) => gorilla::decode_timestamps(&mut r, n, timestamps),
            (0, _) => regular::decode_timestamps(&mut r, n, timestamps)?,
            (_, GORILLA) => gorilla::decode_values(&mut r, n, &mut columns[i - 1])?,
            (_, VALUES_CONSTANT) => regular::decode_constant(&mut r, n, &mut columns[i - 1]),
            (_, _) => decimal::decode_values(&mut r, n, &mut columns[i - 1])?,
        }
        check_stream_end(&mut r, i)?;
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
