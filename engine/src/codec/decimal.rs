//! The decimal value stream (chunk format v2, value stream encoding 3): values that are
//! decimals with few digits, stored as scaled integers, Rice-coded deltas, and exceptions.
//!
//! **Idea** (the one behind ALP and VictoriaMetrics' decimal blocks, made lossless): pick one
//! exponent `e` for the column such that most values `v` satisfy
//! `v == (i as f64) / 10^e` *bit for bit* for some integer `i` (found as `round(v * 10^e)`).
//! Division by an exact power of ten is correctly rounded, so this is exactly the double a
//! decimal parser returns for the digits of `i` with `e` decimals: rounded exporter output
//! round-trips. Values that do not (NaN, `-0.0`, infinities, subnormals, huge magnitudes,
//! `0.1 + 0.2`, …) are *exceptions*, stored raw after the integers, so every column stays
//! lossless; in the integer sequence an exception repeats the previous integer.
//!
//! **Stream** (LSB-first bit order of [`super::bits`]):
//!
//! ```text
//! e                5 bits      0..=18
//! i[0]             64 bits     two's complement
//! per block of up to 128 deltas (i[1]-i[0], …, i[N-1]-i[N-2], wrapping):
//!   k              5 bits      Rice parameter, 0..=30
//!   per delta      zz = zigzag(delta), q = zz >> k:
//!                  q < 24:  q zero bits, a one bit, then the low k bits of zz
//!                  q >= 24: 24 zero bits, then zz in 64 bits (the escape)
//! x                32 bits     exception count, <= N
//! x times:         index (W bits, W = bit length of N-1, strictly increasing, < N),
//!                  then the value's 64 bits
//! ```
//!
//! The encoder picks `e` from a sample of the column (the smallest `e` that makes the most
//! sampled values round-trip) and `k` per block by exact cost among the few values near
//! `log2` of the mean `zz`. Decoding is branch-light: one refill, one `trailing_zeros`, one
//! add and one division per sample.

use super::bits::{BitReader, BitWriter};
use super::gorilla::{unzigzag, zigzag};
use super::{CodecError, Corruption};

/// Largest decimal exponent; `10^e` is exact in `f64` for all of them.
pub(crate) const MAX_EXPONENT: u32 = 18;
/// Deltas per Rice block (each block has its own parameter).
pub(crate) const BLOCK: usize = 128;
/// Largest Rice parameter: keeps the longest non-escape code (`24 + 1 + 30` bits) within
/// the 56 bits a refill guarantees.
pub(crate) const MAX_K: u32 = 30;
/// Unary quotients from here on are escapes.
const ESCAPE: u32 = 24;
/// Bits of the `e` and `k` fields.
const PARAM_BITS: u32 = 5;
/// Values sampled to choose the exponent.
const SAMPLE: usize = 32;

const POW10: [f64; MAX_EXPONENT as usize + 1] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

/// Fewest and most bits a decimal stream of `n >= 1` samples can take.
pub(crate) fn bit_bounds(n: u64) -> (u64, u64) {
    let deltas = n - 1;
    let blocks = deltas.div_ceil(BLOCK as u64);
    let fixed = u64::from(PARAM_BITS) + 64 + 32 + u64::from(PARAM_BITS) * blocks;
    (fixed + deltas, fixed + deltas * (u64::from(ESCAPE) + 64) + n * (32 + 64))
}

/// Bits of an exception index for `n` samples.
pub(crate) fn index_bits(n: usize) -> u32 {
    usize::BITS - n.saturating_sub(1).leading_zeros()
}

/// Writes an exception list of a stream of `n` samples: the count (32 bits), then each
/// exception's index (`index_bits(n)` bits) and raw 64 bits, in increasing index order. Shared
/// by the decimal value and regular timestamp streams (docs/format/chunk.md).
pub(crate) fn put_exceptions(w: &mut BitWriter, n: usize, exceptions: &[(u64, u64)]) {
    w.put(exceptions.len() as u64, 32);
    let iw = index_bits(n);
    for &(index, bits) in exceptions {
        w.put(index, iw);
        w.put(bits, 64);
    }
}

/// Reads an exception list written by [`put_exceptions`] into `out`: indices must increase
/// and lie below `out.len()`; `from_bits` turns the raw bits into a sample.
pub(crate) fn read_exceptions<T>(
    r: &mut BitReader<'_>,
    out: &mut [T],
    from_bits: impl Fn(u64) -> T,
) -> Result<(), CodecError> {
    let n = out.len();
    let count = r.take_long(32);
    if count > n as u64 {
        return Err(Corruption::Exceptions.into());
    }
    let iw = index_bits(n);
    let mut next = 0u64;
    for _ in 0..count {
        let index = r.take_long(iw);
        let bits = r.take_long(64);
        let Some(slot) = out.get_mut(index as usize).filter(|_| index >= next) else {
            return Err(Corruption::Exceptions.into());
        };
        *slot = from_bits(bits);
        next = index + 1;
    }
    Ok(())
}

/// The integer `i` with `i / 10^e == v` bit for bit, if there is one near `v * 10^e`.
#[inline(always)]
fn to_int(v: f64, p: f64) -> Option<i64> {
    /// Adding and subtracting 1.5 * 2^52 rounds an `f64` below 2^51 in magnitude to an
    /// integer (ties to even), without a call to `round`.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let x = v * p;
    // Above 2^51 the cast alone is close enough: the check decides anyway.
    let r = if x.abs() < 2_251_799_813_685_248.0 { (x + ROUND) - ROUND } else { x };
    // Saturating cast: NaN gives 0, infinities and huge values saturate, and the check below
    // rejects every `i` that does not give back `v` exactly.
    let i = r as i64;
    ((i as f64 / p).to_bits() == v.to_bits()).then_some(i)
}

/// The exponent that makes the most of a sample of `values` round-trip (the smallest such),
/// or `None` if none makes any.
pub(crate) fn choose_exponent(values: &[f64]) -> Option<u32> {
    let step = (values.len() / SAMPLE).max(1);
    let sample = || values.iter().step_by(step).take(SAMPLE);
    let total = sample().count();
    let mut best = None;
    let mut best_count = 0;
    for e in 0..=MAX_EXPONENT {
        let p = POW10[e as usize];
        let count = sample().filter(|&&v| to_int(v, p).is_some()).count();
        if count > best_count {
            best = Some(e);
            best_count = count;
            if count == total {
                break;
            }
        }
    }
    best
}

/// Bits the Rice code with parameter `k` takes for `zz`.
#[inline(always)]
fn rice_bits(zz: &[u64], k: u32) -> u64 {
    zz.iter()
        .map(|&z| {
            let q = z >> k;
            if q < u64::from(ESCAPE) { q + 1 + u64::from(k) } else { u64::from(ESCAPE) + 64 }
        })
        .sum()
}

/// The cheapest Rice parameter for a block, among those near `log2(mean)`.
fn best_k(zz: &[u64]) -> u32 {
    let sum: u128 = zz.iter().map(|&z| u128::from(z)).sum();
    let mean = (sum / zz.len().max(1) as u128).min(u128::from(u64::MAX)) as u64;
    let log = 63u32.saturating_sub(mean.leading_zeros()).min(MAX_K);
    let (lo, hi) = (log.saturating_sub(2), (log + 1).min(MAX_K));
    (lo..=hi).min_by_key(|&k| rice_bits(zz, k)).unwrap_or(0)
}

/// Appends the decimal stream of `values` (non-empty) with exponent `e <= MAX_EXPONENT`.
pub(crate) fn encode_values(values: &[f64], e: u32, writer: &mut BitWriter) {
    let Some((&first, rest)) = values.split_first() else {
        return;
    };
    let p = POW10[e as usize];
    let mut exceptions: Vec<(u64, u64)> = Vec::new();
    let mut w = std::mem::take(writer); // in registers, see `BitWriter::put`
    w.put(u64::from(e), PARAM_BITS);
    let first_int = to_int(first, p).unwrap_or_else(|| {
        exceptions.push((0, first.to_bits()));
        0
    });
    w.put(first_int as u64, 64);
    let mut prev = first_int;
    let mut zz = [0u64; BLOCK];
    for (b, block) in rest.chunks(BLOCK).enumerate() {
        for (j, (&v, z)) in block.iter().zip(&mut zz).enumerate() {
            let i = to_int(v, p).unwrap_or_else(|| {
                exceptions.push(((1 + b * BLOCK + j) as u64, v.to_bits()));
                prev
            });
            *z = zigzag(i.wrapping_sub(prev));
            prev = i;
        }
        let zz = &zz[..block.len()];
        let k = best_k(zz);
        w.put(u64::from(k), PARAM_BITS);
        let mask = (1u64 << k) - 1;
        for &z in zz {
            let q = (z >> k) as u32;
            if z >> k < u64::from(ESCAPE) {
                w.put(1 << q | (z & mask) << (q + 1), q + 1 + k);
            } else {
                w.put(0, ESCAPE);
                w.put(z, 64);
            }
        }
    }
    put_exceptions(&mut w, values.len(), &exceptions);
    *writer = w;
}

/// Decodes `n >= 1` values into `out` (cleared first). Reads past the end of the stream read
/// as zero bits; the caller checks [`BitReader::overran`] afterwards.
pub(crate) fn decode_values(reader: &mut BitReader<'_>, n: usize, out: &mut Vec<f64>) -> Result<(), CodecError> {
    out.clear();
    if n == 0 {
        return Ok(());
    }
    let mut r = reader.clone(); // in registers, see `BitReader::refill`
    r.refill();
    let e = r.take(PARAM_BITS) as u32;
    let Some(&p) = POW10.get(e as usize) else {
        return Err(Corruption::DecimalParameter.into());
    };
    let mut i = r.take_long(64) as i64;
    out.resize(n, 0.0);
    out[0] = i as f64 / p;
    for block in out[1..].chunks_mut(BLOCK) {
        r.refill();
        let k = r.take(PARAM_BITS) as u32;
        if k > MAX_K {
            return Err(Corruption::DecimalParameter.into());
        }
        let mask = (1u64 << k) - 1;
        // The longest code that does not escape; a refill is needed only below it.
        let longest = ESCAPE + 1 + k;
        for slot in block {
            if r.available() < longest {
                r.refill();
            }
            let bits = r.peek();
            let q = (bits | 1 << ESCAPE).trailing_zeros();
            let zz = if q < ESCAPE {
                r.consume(q + 1 + k);
                u64::from(q) << k | (bits >> (q + 1)) & mask
            } else {
                r.consume(ESCAPE);
                r.take_long(64)
            };
            i = i.wrapping_add(unzigzag(zz));
            *slot = i as f64 / p;
        }
    }
    read_exceptions(&mut r, out, f64::from_bits)?;
    *reader = r;
    Ok(())
}
