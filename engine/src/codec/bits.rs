//! Bit-level I/O for the chunk streams.
//!
//! **Bit order (part of the on-disk format).** Streams are LSB-first: stream bit `i` is bit
//! `i % 8` (value `1 << (i % 8)`) of byte `i / 8`, and a multi-bit field is written least
//! significant bit first. Equivalently: concatenate the fields, the first one in the low bits,
//! and store the result as a little-endian integer. This is the order in which a 64-bit
//! accumulator flushed with `u64::to_le_bytes` produces bytes, and the order in which a reader
//! that loads words with `u64::from_le_bytes` consumes them from the low end, so neither side
//! needs a byte swap. `bitvec`'s `BitVec<u8, Lsb0>` stores bits in the same order.
//!
//! [`BitWriter`] keeps up to 63 pending bits in a `u64` and appends whole 8-byte little-endian
//! words to its `Vec<u8>`; [`finish`](BitWriter::finish) appends the last partial word's bytes
//! (zero-padded to a whole byte). [`BitReader`] keeps 56..=63 bits buffered and refills with one
//! unaligned 8-byte load while at least 8 bytes remain (Giesen's "variant 4" refill), byte by
//! byte near the end, treating bytes past the end as zero and counting them, so the decoders
//! can read without a bounds check per field and check for overrun once per stream.

use super::CodecError;

/// Writes a bit stream into a `Vec<u8>`.
///
/// Bit order (part of the chunk format): LSB-first. Stream bit `i` is bit `i % 8` of byte
/// `i / 8`, and `write_bits` writes the value's least significant bit first, so the stream is
/// one long little-endian integer with the first field in its low bits.
///
/// ```
/// # use stratus_engine::codec::BitWriter;
/// let mut w = BitWriter::new();
/// w.write_bit(true);
/// w.write_bits(0b10, 2);
/// assert_eq!(w.bit_len(), 3);
/// assert_eq!(w.finish(), vec![0b101]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    /// Whole words flushed so far, after `start` bytes that were there before.
    buf: Vec<u8>,
    /// Length of `buf` when this writer took it over; `bit_len` counts from here.
    start: usize,
    /// Pending bits, the oldest in bit 0; bits at and above `pending` are zero.
    acc: u64,
    /// Number of pending bits, `0..=63`.
    pending: u32,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer whose buffer can hold `bytes` bytes before it reallocates.
    pub fn with_capacity(bytes: usize) -> Self {
        Self::appending_to(Vec::with_capacity(bytes))
    }

    /// A writer that appends to `buf`, after its current contents; [`finish`](Self::finish)
    /// hands the buffer back.
    pub(crate) fn appending_to(buf: Vec<u8>) -> Self {
        Self { start: buf.len(), buf, acc: 0, pending: 0 }
    }

    /// Appends the low `nbits` bits of `value`, least significant first. Higher bits of
    /// `value` are ignored; `nbits == 0` writes nothing.
    ///
    /// # Panics
    /// If `nbits > 64`.
    #[inline]
    pub fn write_bits(&mut self, value: u64, nbits: u32) {
        assert!(nbits <= 64, "BitWriter::write_bits: {nbits} bits > 64");
        let value = if nbits == 0 { 0 } else { value & (u64::MAX >> (64 - nbits)) };
        self.put(value, nbits);
    }

    /// Appends one bit.
    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        self.put(u64::from(bit), 1);
    }

    /// Appends `nbits` bits of `value`, which must have no bits set at or above `nbits`
    /// (checked in debug builds only): the unmasked fast path the encoders use.
    ///
    /// Hot loops should run on a writer they own (`std::mem::take` it, put it back at the
    /// end) rather than through `&mut`: the accumulator then stays in a register instead of
    /// being stored and reloaded around every flush.
    #[inline(always)]
    pub(crate) fn put(&mut self, value: u64, nbits: u32) {
        debug_assert!(nbits <= 64 && (nbits == 64 || value >> nbits == 0));
        // `pending <= 63`, so the shift is in range; bits shifted out are carried below.
        self.acc |= value << self.pending;
        let total = self.pending + nbits;
        if total >= 64 {
            self.buf.extend_from_slice(&self.acc.to_le_bytes());
            // The bits of `value` that did not fit; none when `pending == 0`.
            self.acc = value.checked_shr(64 - self.pending).unwrap_or(0);
            self.pending = total - 64;
        } else {
            self.pending = total;
        }
    }

    /// Bits written so far.
    #[inline]
    pub fn bit_len(&self) -> u64 {
        (self.buf.len() - self.start) as u64 * 8 + u64::from(self.pending)
    }

    /// Pads the stream with zero bits to a whole byte and returns the buffer.
    pub fn finish(mut self) -> Vec<u8> {
        let tail = self.pending.div_ceil(8) as usize;
        self.buf.extend_from_slice(&self.acc.to_le_bytes()[..tail]);
        self.buf
    }
}

/// Reads a bit stream written by [`BitWriter`].
///
/// ```
/// # use stratus_engine::codec::BitReader;
/// let mut r = BitReader::new(&[0b101]);
/// assert_eq!(r.read_bit(), Ok(true));
/// assert_eq!(r.read_bits(2), Ok(0b10));
/// assert_eq!(r.remaining_bits(), 5);
/// assert!(r.read_bits(6).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    bytes: &'a [u8],
    /// Next byte to load into `buf`. May pass `bytes.len()`: those bytes read as zero.
    pos: usize,
    /// Unconsumed bits, the next one in bit 0. Bits at and above `avail` are either the
    /// stream's next bits or zero, never anything else.
    buf: u64,
    /// Valid bits in `buf`, `0..=63`.
    avail: u32,
}

impl<'a> BitReader<'a> {
    /// A reader positioned at the first bit of `bytes`.
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0, buf: 0, avail: 0 }
    }

    /// Reads `nbits` bits (the first read becomes the least significant bit).
    ///
    /// # Errors
    /// [`CodecError::Truncated`] if fewer than `nbits` bits remain; nothing is consumed then.
    ///
    /// # Panics
    /// If `nbits > 64`.
    #[inline]
    pub fn read_bits(&mut self, nbits: u32) -> Result<u64, CodecError> {
        assert!(nbits <= 64, "BitReader::read_bits: {nbits} bits > 64");
        let available = self.remaining_bits();
        if u64::from(nbits) > available {
            return Err(CodecError::Truncated { needed_bits: u64::from(nbits), available_bits: available });
        }
        Ok(self.take_long(nbits))
    }

    /// Reads one bit.
    ///
    /// # Errors
    /// [`CodecError::Truncated`] at the end of the input.
    #[inline]
    pub fn read_bit(&mut self) -> Result<bool, CodecError> {
        self.read_bits(1).map(|b| b == 1)
    }

    /// Bits not yet read.
    #[inline]
    pub fn remaining_bits(&self) -> u64 {
        (self.bytes.len() as u64 * 8).saturating_sub(self.consumed_bits())
    }

    /// Bits consumed so far, counting any zero bits read past the end.
    #[inline]
    pub(crate) fn consumed_bits(&self) -> u64 {
        self.pos as u64 * 8 - u64::from(self.avail)
    }

    /// Bits in the input.
    #[inline]
    pub(crate) fn len_bits(&self) -> u64 {
        self.bytes.len() as u64 * 8
    }

    /// Whether reads went past the end of the input (they returned zero bits).
    #[inline]
    pub(crate) fn overran(&self) -> bool {
        self.consumed_bits() > self.bytes.len() as u64 * 8
    }

    /// Makes at least 56 bits available.
    ///
    /// Hot loops should run on a local copy of the reader (`let mut r = reader.clone()`, and
    /// write it back at the end): the state then stays in registers instead of going through
    /// memory on every refill, which is on the decoder's critical path.
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
        if self.bytes.len() >= 8 && self.pos <= self.bytes.len() - 8 {
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.bytes[self.pos..self.pos + 8]);
            // Load 8 bytes, keep as many whole bytes as fit. The extra bits that land at and
            // above the new `avail` are the next stream bits, so OR-ing them again later is
            // harmless.
            self.buf |= u64::from_le_bytes(word) << self.avail;
            self.pos += ((63 - self.avail) >> 3) as usize;
            self.avail |= 56;
        } else {
            *self = self.clone().refilled_slowly();
        }
    }

    /// The refill near the end of the input, byte by byte. By value, so that the caller's
    /// reader does not have to live in memory.
    #[cold]
    #[inline(never)]
    fn refilled_slowly(mut self) -> Self {
        while self.avail < 56 {
            let byte = self.bytes.get(self.pos).copied().unwrap_or(0);
            self.buf |= u64::from(byte) << self.avail;
            self.pos += 1;
            self.avail += 8;
        }
        self
    }

    /// The buffered bits; only the low [`available`](Self::available) of them are valid.
    #[inline(always)]
    pub(crate) fn peek(&self) -> u64 {
        self.buf
    }

    /// Number of valid bits in [`peek`](Self::peek).
    #[inline(always)]
    pub(crate) fn available(&self) -> u32 {
        self.avail
    }

    /// Drops `n <= available()` bits.
    #[inline(always)]
    pub(crate) fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.avail);
        self.buf >>= n;
        self.avail -= n;
    }

    /// Takes `n <= available()` bits (`n <= 56` right after a refill).
    #[inline(always)]
    pub(crate) fn take(&mut self, n: u32) -> u64 {
        debug_assert!(n <= self.avail && n < 64);
        let v = self.buf & ((1u64 << n) - 1);
        self.consume(n);
        v
    }

    /// Refills and takes `n <= 64` bits, reading zeros past the end.
    #[inline(always)]
    pub(crate) fn take_long(&mut self, n: u32) -> u64 {
        self.refill();
        if n <= 56 {
            self.take(n)
        } else {
            let lo = self.take(32);
            self.refill();
            lo | self.take(n - 32) << 32
        }
    }
}
