//! A deliberately simple implementation of the chunk formats on `bitvec`: an encoder of format
//! v1 (every stream Gorilla) and a decoder of formats v1 and v2.
//!
//! It is the oracle the property tests hold the fast codec to (same v1 bytes out of the
//! encoder, same results and the same accept/reject decisions out of the decoder, for v1 and
//! v2 chunks) and the baseline the benches compare against. The fast encoder's v2 *choices*
//! (exponent, Rice parameters, which stream encoding wins) are not duplicated here: v2 output
//! is checked by decoding it with this decoder. It is written for obviousness, not speed: one `BitVec<u8, Lsb0>`
//! per stream (the same LSB-first bit order as [`BitWriter`](super::BitWriter)), control codes
//! pushed bit by bit, each rule spelled out where it is used. Do not call it on a hot path.
//!
//! [`BitVecWriter`] and [`BitVecReader`] mirror [`BitWriter`](super::BitWriter) and
//! [`BitReader`](super::BitReader) on `bitvec`, for the same reasons.

use bitvec::prelude::*;

use super::{ChunkHeader, CodecError, Corruption, Encoding, MAX_VALUE_COLUMNS};

/// [`BitWriter`](super::BitWriter) on `bitvec`: same bit order, same output.
#[derive(Debug, Clone, Default)]
pub struct BitVecWriter {
    bits: BitVec<u8, Lsb0>,
}

impl BitVecWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        Self { bits: BitVec::with_capacity(bytes * 8) }
    }

    /// Appends the low `nbits` bits of `value`, least significant first.
    ///
    /// # Panics
    /// If `nbits > 64`.
    pub fn write_bits(&mut self, value: u64, nbits: u32) {
        self.bits.extend_from_bitslice(&value.view_bits::<Lsb0>()[..nbits as usize]);
    }

    /// Appends one bit.
    pub fn write_bit(&mut self, bit: bool) {
        self.bits.push(bit);
    }

    /// Bits written so far.
    pub fn bit_len(&self) -> u64 {
        self.bits.len() as u64
    }

    /// Pads with zero bits to a whole byte and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        while !self.bits.len().is_multiple_of(8) {
            self.bits.push(false);
        }
        self.bits.into_vec()
    }
}

/// [`BitReader`](super::BitReader) on `bitvec`.
#[derive(Debug, Clone)]
pub struct BitVecReader<'a> {
    bits: &'a BitSlice<u8, Lsb0>,
    pos: usize,
}

impl<'a> BitVecReader<'a> {
    /// A reader at the first bit of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bits: bytes.view_bits::<Lsb0>(), pos: 0 }
    }

    /// Reads `nbits` bits (the first read becomes the least significant bit).
    ///
    /// # Errors
    /// [`CodecError::Truncated`] if fewer than `nbits` bits remain.
    ///
    /// # Panics
    /// If `nbits > 64`.
    pub fn read_bits(&mut self, nbits: u32) -> Result<u64, CodecError> {
        assert!(nbits <= 64, "BitVecReader::read_bits: {nbits} bits > 64");
        let n = nbits as usize;
        let Some(field) = self.bits.get(self.pos..self.pos + n) else {
            return Err(CodecError::Truncated {
                needed_bits: u64::from(nbits),
                available_bits: (self.bits.len() - self.pos) as u64,
            });
        };
        self.pos += n;
        Ok(if n == 0 { 0 } else { field.load_le::<u64>() })
    }

    /// Reads one bit.
    ///
    /// # Errors
    /// [`CodecError::Truncated`] at the end of the input.
    pub fn read_bit(&mut self) -> Result<bool, CodecError> {
        Ok(self.read_bits(1)? == 1)
    }

    /// The stream must end in its last byte, with zero padding.
    fn finish(&self, stream: usize) -> Result<(), CodecError> {
        let rest = &self.bits[self.pos..];
        if rest.len() >= 8 {
            return Err(Corruption::StreamTail(stream).into());
        }
        if rest.any() {
            return Err(Corruption::Padding(stream).into());
        }
        Ok(())
    }
}

/// Writes a control code, first bit first.
fn write_code(bits: &mut BitVecWriter, code: &[bool]) {
    for &bit in code {
        bits.write_bit(bit);
    }
}

fn zigzag(v: i64) -> u64 {
    if v >= 0 { (v as u64) << 1 } else { ((!v) as u64) << 1 | 1 }
}

fn unzigzag(z: u64) -> i64 {
    if z & 1 == 0 { (z >> 1) as i64 } else { !((z >> 1) as i64) }
}

fn encode_timestamps(ts: &[i64]) -> BitVecWriter {
    let mut bits = BitVecWriter::new();
    let mut prev = 0i64;
    let mut prev_delta = 0i64;
    for (i, &t) in ts.iter().enumerate() {
        if i == 0 {
            bits.write_bits(t as u64, 64);
            prev = t;
            continue;
        }
        let delta = t.wrapping_sub(prev);
        let dod = zigzag(delta.wrapping_sub(prev_delta));
        prev = t;
        prev_delta = delta;
        if dod == 0 {
            bits.write_bit(false);
        } else if dod < 1 << 14 {
            write_code(&mut bits, &[true, false]);
            bits.write_bits(dod, 14);
        } else if dod < 1 << 20 {
            write_code(&mut bits, &[true, true, false]);
            bits.write_bits(dod, 20);
        } else if dod < 1 << 32 {
            write_code(&mut bits, &[true, true, true, false]);
            bits.write_bits(dod, 32);
        } else {
            write_code(&mut bits, &[true, true, true, true]);
            bits.write_bits(dod, 64);
        }
    }
    bits
}

fn encode_values(values: &[f64]) -> BitVecWriter {
    let mut bits = BitVecWriter::new();
    let mut prev = 0u64;
    // The window in force: leading zeros (at most 31) and trailing zeros.
    let mut window_lz = 0u32;
    let mut window_tz = 0u32;
    for (i, v) in values.iter().enumerate() {
        let v = v.to_bits();
        if i == 0 {
            bits.write_bits(v, 64);
            prev = v;
            continue;
        }
        let xor = v ^ prev;
        prev = v;
        if xor == 0 {
            bits.write_bit(false);
            continue;
        }
        let lz = xor.leading_zeros().min(31);
        let tz = xor.trailing_zeros();
        let meaningful = 64 - lz - tz;
        let window_meaningful = 64 - window_lz - window_tz;
        let fits = lz >= window_lz && tz >= window_tz;
        let reuse_cost = 2 + window_meaningful;
        let new_cost = 2 + 5 + 6 + meaningful;
        if fits && reuse_cost <= new_cost {
            write_code(&mut bits, &[true, false]);
            bits.write_bits(xor >> window_tz, window_meaningful);
        } else {
            write_code(&mut bits, &[true, true]);
            bits.write_bits(u64::from(lz), 5);
            bits.write_bits(u64::from(meaningful % 64), 6);
            bits.write_bits(xor >> tz, meaningful);
            window_lz = lz;
            window_tz = tz;
        }
    }
    bits
}

/// Same contract and same output as [`super::encode_chunk`].
///
/// # Panics
/// As [`super::encode_chunk`].
pub fn encode_chunk(timestamps: &[i64], columns: &[&[f64]], out: &mut Vec<u8>) {
    assert!(!columns.is_empty() && columns.len() <= usize::from(MAX_VALUE_COLUMNS));
    assert!(columns.iter().all(|c| c.len() == timestamps.len()));
    let samples = u32::try_from(timestamps.len()).expect("too many samples");

    let mut streams = vec![encode_timestamps(timestamps)];
    for column in columns {
        streams.push(encode_values(column));
    }
    out.push(Encoding::Gorilla as u8);
    out.push(columns.len() as u8);
    out.extend_from_slice(&samples.to_le_bytes());
    let streams: Vec<Vec<u8>> = streams.into_iter().map(BitVecWriter::finish).collect();
    for stream in &streams {
        let len = u32::try_from(stream.len()).expect("stream too long");
        out.extend_from_slice(&len.to_le_bytes());
    }
    for stream in &streams {
        out.extend_from_slice(stream);
    }
}

fn decode_timestamps(c: &mut BitVecReader<'_>, n: u32, out: &mut Vec<i64>) -> Result<(), CodecError> {
    let mut prev = 0i64;
    let mut delta = 0i64;
    for i in 0..n {
        let t = if i == 0 {
            c.read_bits(64)? as i64
        } else {
            let dod = if !c.read_bit()? {
                0
            } else if !c.read_bit()? {
                c.read_bits(14)?
            } else if !c.read_bit()? {
                c.read_bits(20)?
            } else if !c.read_bit()? {
                c.read_bits(32)?
            } else {
                c.read_bits(64)?
            };
            delta = delta.wrapping_add(unzigzag(dod));
            prev.wrapping_add(delta)
        };
        out.push(t);
        prev = t;
    }
    Ok(())
}

fn decode_values(c: &mut BitVecReader<'_>, n: u32, out: &mut Vec<f64>) -> Result<(), CodecError> {
    let mut v = 0u64;
    let mut window_lz = 0u32;
    let mut window_meaningful = 64u32;
    for i in 0..n {
        if i == 0 {
            v = c.read_bits(64)?;
        } else if c.read_bit()? {
            if c.read_bit()? {
                window_lz = c.read_bits(5)? as u32;
                window_meaningful = match c.read_bits(6)? as u32 {
                    0 => 64,
                    m => m,
                };
                if window_lz + window_meaningful > 64 {
                    return Err(Corruption::XorWindow.into());
                }
            }
            let window_tz = 64 - window_lz - window_meaningful;
            v ^= c.read_bits(window_meaningful)? << window_tz;
        }
        out.push(f64::from_bits(v));
    }
    Ok(())
}

/// Bits of an exception index: the bit length of `n - 1`.
fn index_bits(n: u32) -> u32 {
    let mut bits = 0;
    while bits < 32 && (n - 1) >> bits != 0 {
        bits += 1;
    }
    bits
}

/// Reads an exception list (count, then index and 64-bit payload each) and hands each entry
/// to `set`, checking the count and that the indices increase and stay below `n`.
fn read_exceptions(c: &mut BitVecReader<'_>, n: u32, mut set: impl FnMut(usize, u64)) -> Result<(), CodecError> {
    let count = c.read_bits(32)?;
    if count > u64::from(n) {
        return Err(Corruption::Exceptions.into());
    }
    let mut lowest = 0;
    for _ in 0..count {
        let index = c.read_bits(index_bits(n))?;
        let payload = c.read_bits(64)?;
        if index < lowest || index >= u64::from(n) {
            return Err(Corruption::Exceptions.into());
        }
        set(index as usize, payload);
        lowest = index + 1;
    }
    Ok(())
}

/// Format v2 regular timestamps: `t0 + i * interval`, then the exceptions.
fn decode_regular(c: &mut BitVecReader<'_>, n: u32, out: &mut Vec<i64>) -> Result<(), CodecError> {
    let t0 = c.read_bits(64)? as i64;
    let interval = c.read_bits(64)? as i64;
    let mut t = t0;
    for _ in 0..n {
        out.push(t);
        t = t.wrapping_add(interval);
    }
    read_exceptions(c, n, |i, t| out[i] = t as i64)
}

/// Format v2 decimal values: exponent, first integer, Rice-coded zigzag deltas in blocks of
/// 128, then the exceptions.
fn decode_decimal(c: &mut BitVecReader<'_>, n: u32, out: &mut Vec<f64>) -> Result<(), CodecError> {
    let e = c.read_bits(5)?;
    if e > 18 {
        return Err(Corruption::DecimalParameter.into());
    }
    // 10^e, exact for e <= 18 (a decimal literal parses to the nearest double).
    let scale: f64 = format!("1e{e}").parse().expect("a valid float literal");
    let mut int = c.read_bits(64)? as i64;
    let mut ints = vec![int];
    let mut left = n - 1;
    while left > 0 {
        let k = c.read_bits(5)? as u32;
        if k > 30 {
            return Err(Corruption::DecimalParameter.into());
        }
        for _ in 0..left.min(128) {
            // Up to 24 `0` bits: then the escape, else the `1` that ends the unary quotient.
            let mut q = 0u64;
            while q < 24 && !c.read_bit()? {
                q += 1;
            }
            let zz = if q == 24 { c.read_bits(64)? } else { q << k | c.read_bits(k)? };
            int = int.wrapping_add(unzigzag(zz));
            ints.push(int);
        }
        left -= left.min(128);
    }
    out.extend(ints.iter().map(|&i| i as f64 / scale));
    read_exceptions(c, n, |i, bits| out[i] = f64::from_bits(bits))
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, CodecError> {
    match bytes.get(at..at + 4) {
        Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(CodecError::Truncated { needed_bits: (at as u64 + 4) * 8, available_bits: bytes.len() as u64 * 8 }),
    }
}

/// Same contract as [`super::decode_chunk`]: accepts exactly the chunks it accepts and
/// decodes them to the same samples (the error reported for a bad chunk may differ).
///
/// # Errors
/// As [`super::decode_chunk`].
pub fn decode_chunk(
    bytes: &[u8],
    timestamps: &mut Vec<i64>,
    columns: &mut [Vec<f64>],
) -> Result<ChunkHeader, CodecError> {
    timestamps.clear();
    for column in columns.iter_mut() {
        column.clear();
    }
    let tag = *bytes.first().ok_or(CodecError::Truncated { needed_bits: 8, available_bits: 0 })?;
    let encoding = Encoding::try_from(tag)?;
    let ncols = *bytes.get(1).ok_or(CodecError::Truncated { needed_bits: 16, available_bits: 8 })?;
    if ncols == 0 || ncols > MAX_VALUE_COLUMNS {
        return Err(Corruption::ColumnCount(ncols).into());
    }
    let samples = read_u32(bytes, 2)?;
    if columns.len() != usize::from(ncols) {
        return Err(CodecError::ColumnMismatch { expected: ncols, actual: columns.len() });
    }
    let nstreams = 1 + usize::from(ncols);
    // v1: every stream Gorilla (id 1), lengths at 6. v2: the ids at 6, the lengths after them.
    let (ids, table_at) = match encoding {
        Encoding::Gorilla => (vec![1u8; nstreams], 6),
        Encoding::PerStream => match bytes.get(6..6 + nstreams) {
            Some(ids) => (ids.to_vec(), 6 + nstreams),
            None => {
                return Err(CodecError::Truncated {
                    needed_bits: (6 + nstreams) as u64 * 8,
                    available_bits: bytes.len() as u64 * 8,
                });
            }
        },
    };
    let mut offset = table_at + 4 * nstreams;
    for stream in 0..=usize::from(ncols) {
        let len = read_u32(bytes, table_at + 4 * stream)? as usize;
        let Some(stream_bytes) = bytes.get(offset..offset + len) else {
            return Err(CodecError::Truncated {
                needed_bits: (offset + len) as u64 * 8,
                available_bits: bytes.len() as u64 * 8,
            });
        };
        offset += len;
        let mut cursor = BitVecReader::new(stream_bytes);
        // Streams that do not grow with the sample count are limited to 65,536 samples.
        let flat = (1..=65_536).contains(&samples);
        match (stream, ids[stream]) {
            (0, 1) => decode_timestamps(&mut cursor, samples, timestamps)?,
            (0, 2) if flat => decode_regular(&mut cursor, samples, timestamps)?,
            (_, 1) if stream > 0 => decode_values(&mut cursor, samples, &mut columns[stream - 1])?,
            (_, 2) if stream > 0 && flat => {
                let v = f64::from_bits(cursor.read_bits(64)?);
                columns[stream - 1].extend((0..samples).map(|_| v));
            }
            (_, 3) if stream > 0 && samples >= 1 => decode_decimal(&mut cursor, samples, &mut columns[stream - 1])?,
            (_, id) => return Err(Corruption::StreamEncoding { stream, id }.into()),
        }
        cursor.finish(stream)?;
    }
    if offset != bytes.len() {
        return Err(Corruption::TrailingBytes(bytes.len().saturating_sub(offset)).into());
    }
    Ok(ChunkHeader { encoding, samples, columns: ncols })
}
