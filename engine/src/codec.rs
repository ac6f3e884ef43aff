//! Pure compression of sample chunks: no I/O, no metric types.
//!
//! **What it owns.** The chunk byte format (`docs/format/chunk.md`, chunk formats v1 and v2): a
//! small header with an [`Encoding`] tag, then one bit stream per column. Timestamps are `i64`
//! (milliseconds in practice) stored as zigzag delta-of-delta in Gorilla buckets or, when
//! smaller, as a regular series with exceptions; values are `f64` stored bit-exact as Gorilla
//! XORs, as a constant, or as scaled decimal integers with exceptions — whichever is smallest,
//! per stream (`docs/design/2026-11-22-value-encoding.md`).
//!
//! **Layout.**
//! - `bits`: [`BitWriter`] / [`BitReader`], the hand-rolled 64-bit-accumulator bit I/O that the
//!   hot paths use. Bit order is LSB-first (see the type docs).
//! - `gorilla`: the two Gorilla stream codecs (timestamps, values); all of format v1.
//! - `decimal`: the decimal value stream (scaled integers, Rice-coded deltas, exceptions).
//! - `regular`: the streams whose size does not grow with `N` (regular timestamps, constants).
//! - `chunk`: the chunk header, the per-stream choice and the public [`encode_chunk`] /
//!   [`decode_chunk`] entry points.
//! - [`reference`](mod@reference): a deliberately simple `bitvec` implementation (v1 encoder,
//!   v1 + v2 decoder), used by the property tests as an oracle and by the benches as a baseline.
//!
//! **Invariants.**
//! - Decoding never panics, whatever the bytes: every failure is a [`CodecError`].
//! - Decoding is strict: a chunk decodes only if every declared byte is used, padding bits are
//!   zero and no stream ends early, so a damaged length field is caught rather than hidden.
//! - Encoding is deterministic. When every stream's best encoding is Gorilla the chunk is
//!   format v1 and bit-for-bit equal to [`reference::encode_chunk`]; v1 chunks stay readable.
//! - Values round-trip by bit pattern (NaN payloads, `-0.0`, infinities, subnormals);
//!   timestamps round-trip for any `i64` sequence (sorted or not, equal or wildly apart).
//! - No in-band end marker: the header's sample count says how many samples to read.
//! - Integrity (CRC) is the block layer's job, not the codec's.
//!
//! **Callers.** The head (sealing chunks), the block writer and reader, and the benches.

mod bits;
mod chunk;
mod decimal;
mod gorilla;
pub mod reference;
mod regular;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v2;

pub use bits::{BitReader, BitWriter};
pub use chunk::{ChunkHeader, Encoding, MAX_VALUE_COLUMNS, chunk_header, chunk_len, decode_chunk, encode_chunk};

/// Why a byte string could not be decoded. Decoding reports every problem with one of these
/// and never panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ends before the data it declares (both counts in bits).
    #[error("truncated input: {needed_bits} bits needed, {available_bits} available")]
    Truncated {
        /// Bits the decoder needed to reach the end of what it was reading.
        needed_bits: u64,
        /// Bits that were there.
        available_bits: u64,
    },
    /// The chunk's encoding tag names no encoding this build knows.
    #[error("unknown chunk encoding tag {0}")]
    UnknownEncoding(u8),
    /// The caller passed a different number of value buffers than the chunk has columns.
    #[error("chunk has {expected} value columns but {actual} buffers were passed")]
    ColumnMismatch {
        /// Value columns in the chunk.
        expected: u8,
        /// Buffers passed by the caller.
        actual: usize,
    },
    /// The bytes are inconsistent with the format.
    #[error("corrupt chunk: {0}")]
    Corrupt(Corruption),
}

/// What exactly is inconsistent in a [`CodecError::Corrupt`] chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Corruption {
    /// The column count is outside `1..=MAX_VALUE_COLUMNS`.
    #[error("value column count {0} is outside 1..=8")]
    ColumnCount(u8),
    /// Bytes follow the last stream the header declares.
    #[error("{0} bytes follow the end of the chunk")]
    TrailingBytes(usize),
    /// A stream's declared byte length cannot hold the header's sample count.
    #[error("stream {stream} length {len} bytes is impossible for the sample count")]
    StreamLength {
        /// 0 is the timestamp stream, 1.. the value columns.
        stream: usize,
        /// The declared length in bytes.
        len: u32,
    },
    /// A stream decoded completely before its last byte.
    #[error("stream {0} has unused whole bytes after its last sample")]
    StreamTail(usize),
    /// The padding bits after a stream's last sample are not zero.
    #[error("stream {0} has non-zero padding bits")]
    Padding(usize),
    /// A value's XOR window (leading zeros + meaningful bits) exceeds 64 bits.
    #[error("value XOR window exceeds 64 bits")]
    XorWindow,
    /// A v2 stream encoding id is unknown for its stream, or not allowed for the sample count.
    #[error("stream {stream} has encoding id {id}, invalid there")]
    StreamEncoding {
        /// 0 is the timestamp stream, 1.. the value columns.
        stream: usize,
        /// The id byte.
        id: u8,
    },
    /// A decimal stream's exponent or Rice parameter is out of range.
    #[error("decimal stream parameter out of range")]
    DecimalParameter,
    /// An exception list has more entries than samples, or an index that is out of range or not
    /// increasing.
    #[error("bad exception list")]
    Exceptions,
}

impl From<Corruption> for CodecError {
    fn from(c: Corruption) -> Self {
        CodecError::Corrupt(c)
    }
}
