//! The two streams of chunk format v2 whose size does not grow with the sample count:
//! regular timestamps (timestamp stream encoding 2) and a constant value column (value stream
//! encoding 2).
//!
//! **Regular timestamps**: `t[i] = t0 + i * interval` (wrapping), except at listed indices:
//!
//! ```text
//! t0           64 bits
//! interval     64 bits
//! x            32 bits     exception count, <= N
//! x times:     index (W bits, W = bit length of N-1, strictly increasing, < N), timestamp (64 bits)
//! ```
//!
//! **Constant values**: the value's 64 bits, repeated `N` times.
//!
//! Because these streams do not bound `N` by their length, they are valid only for
//! `1 <= N <= MAX_FLAT_SAMPLES`, so a chunk of a few bytes never makes a decoder allocate more
//! than `8 * MAX_FLAT_SAMPLES` bytes per column.

use super::CodecError;
use super::bits::{BitReader, BitWriter};
use super::decimal::{index_bits, put_exceptions, read_exceptions};

/// Most samples a regular-timestamp or constant-value stream may describe.
pub(crate) const MAX_FLAT_SAMPLES: u64 = 1 << 16;
/// Bits of a regular-timestamp stream before its exceptions.
pub(crate) const REGULAR_FIXED_BITS: u64 = 64 + 64 + 32;

/// Bits of the regular-timestamp stream for `ts`, if it may be used (`2 <= N <= MAX_FLAT`).
pub(crate) fn regular_bits(ts: &[i64]) -> Option<u64> {
    let n = ts.len();
    if n < 2 || n as u64 > MAX_FLAT_SAMPLES {
        return None;
    }
    let (t0, d) = (ts[0], ts[1].wrapping_sub(ts[0]));
    let mut expect = t0;
    let mut exceptions = 0u64;
    for &t in ts {
        exceptions += u64::from(t != expect);
        expect = expect.wrapping_add(d);
    }
    Some(REGULAR_FIXED_BITS + exceptions * (u64::from(index_bits(n)) + 64))
}

/// Appends the regular-timestamp stream for `ts` (`N >= 2`), whose size `bits` is
/// [`regular_bits`]'s answer.
pub(crate) fn encode_timestamps(ts: &[i64], bits: u64, w: &mut BitWriter) {
    let (t0, d) = (ts[0], ts[1].wrapping_sub(ts[0]));
    w.put(t0 as u64, 64);
    w.put(d as u64, 64);
    debug_assert_eq!(regular_bits(ts), Some(bits));
    if bits == REGULAR_FIXED_BITS {
        // No exceptions, as the counting pass found: no need to look for them again.
        put_exceptions(w, ts.len(), &[]);
        return;
    }
    // A plain loop that pushes only on a miss: collecting through an iterator chain cost
    // about 13 instructions per timestamp even when nothing was collected.
    let mut exceptions: Vec<(u64, u64)> = Vec::new();
    let mut expect = t0;
    for (i, &t) in ts.iter().enumerate() {
        if t != expect {
            exceptions.push((i as u64, t as u64));
        }
        expect = expect.wrapping_add(d);
    }
    put_exceptions(w, ts.len(), &exceptions);
}

/// Decodes `n` regular timestamps into `out` (cleared first).
pub(crate) fn decode_timestamps(r: &mut BitReader<'_>, n: usize, out: &mut Vec<i64>) -> Result<(), CodecError> {
    out.clear();
    let t0 = r.take_long(64) as i64;
    let d = r.take_long(64) as i64;
    out.reserve(n);
    let mut t = t0;
    out.extend((0..n).map(|_| {
        let this = t;
        t = t.wrapping_add(d);
        this
    }));
    read_exceptions(r, out, |bits| bits as i64)?;
    Ok(())
}

/// Whether `values` may be stored as a constant column: `1 <= N <= MAX_FLAT` and every value
/// has the first one's bit pattern.
pub(crate) fn is_constant(values: &[f64]) -> bool {
    let Some(first) = values.first() else {
        return false;
    };
    values.len() as u64 <= MAX_FLAT_SAMPLES && values.iter().all(|v| v.to_bits() == first.to_bits())
}

/// Decodes a constant column of `n` values into `out` (cleared first).
pub(crate) fn decode_constant(r: &mut BitReader<'_>, n: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(n, f64::from_bits(r.take_long(64)));
}
