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
//! `log2` of the mean `zz`. Decoding is branch-light: one `trailing_zeros`, one add and one
//! division per sample, or, for `k <= 2`, up to four codes per table lookup and a vectorised
//! division (none at `e = 0`); see `docs/design/2026-11-22-codec-speed.md`.

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
pub(super) fn to_int(v: f64, p: f64) -> Option<i64> {
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

/// [`rice_bits`] for a block whose values all fit in 32 bits, in 32-bit lanes (four per SSE2
/// instruction). At most `BLOCK * 88` bits, so the sum fits.
#[inline(always)]
fn rice_bits32(zz: &[u32], k: u32) -> u32 {
    zz.iter().map(|&z| if z >> k < ESCAPE { (z >> k) + 1 + k } else { ESCAPE + 64 }).sum()
}

/// The cheapest Rice parameter for a block, among those near `log2(mean)`: the first `k` of
/// `log - 2 ..= log + 1` (clamped to `0..=MAX_K`) with the fewest bits.
pub(super) fn best_k(zz: &[u64]) -> u32 {
    if zz.len() <= BLOCK && zz.iter().fold(0, |acc, &z| acc | z) >> 32 == 0 {
        // The usual case: every delta is small. The same choice, in 32-bit arithmetic.
        let mut narrow = [0u32; BLOCK];
        let narrow = &mut narrow[..zz.len()];
        for (n, &z) in narrow.iter_mut().zip(zz) {
            *n = z as u32;
        }
        let mean = narrow.iter().map(|&z| u64::from(z)).sum::<u64>() / zz.len().max(1) as u64;
        let log = 63u32.saturating_sub(mean.leading_zeros()).min(MAX_K);
        let (lo, hi) = (log.saturating_sub(2), (log + 1).min(MAX_K));
        return (lo..=hi).min_by_key(|&k| rice_bits32(narrow, k)).unwrap_or(0);
    }
    best_k_wide(zz)
}

/// [`best_k`] in 64-bit (and 128-bit for the sum) arithmetic, for any block.
pub(super) fn best_k_wide(zz: &[u64]) -> u32 {
    let sum: u128 = zz.iter().map(|&z| u128::from(z)).sum();
    let mean = (sum / zz.len().max(1) as u128).min(u128::from(u64::MAX)) as u64;
    let log = 63u32.saturating_sub(mean.leading_zeros()).min(MAX_K);
    let (lo, hi) = (log.saturating_sub(2), (log + 1).min(MAX_K));
    (lo..=hi).min_by_key(|&k| rice_bits(zz, k)).unwrap_or(0)
}

/// `1.5 * 2^52`: for `|x| < 2^51`, `x + MAGIC` rounds `x` to an integer `r` (ties to even) and
/// lies in `[2^52, 2^53]`, where consecutive doubles are 1 apart, so its bit pattern is
/// `MAGIC`'s plus `r`: the integer without a `cvt` instruction, which SSE2 has only for one
/// 64-bit value at a time.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// [`to_int`] for a block of up to [`BLOCK`] values, in a loop the compiler vectorises: sets
/// `ints[j]` and `ok[j] = true` where `values[j]` passes [`to_int`]'s fast path (`|v * p| <
/// 2^51`, which is where it rounds with the same `MAGIC` addition) with `ints[j] ==
/// to_int(values[j], p)`; `ok[j] = false` leaves the value to the scalar [`to_int`].
#[inline(always)]
pub(super) fn to_ints(values: &[f64], p: f64, ints: &mut [i64; BLOCK], ok: &mut [bool; BLOCK]) {
    if p == 1.0 {
        // `e == 0`: `v * 1` is `v`, and `r / 1` is `r` for the finite `r` of the fast path,
        // bit for bit, so the same check without the multiplication and the division.
        for ((&v, i), ok) in values.iter().zip(ints.iter_mut()).zip(ok.iter_mut()) {
            let m = v + MAGIC;
            let r = m - MAGIC;
            *i = m.to_bits().wrapping_sub(MAGIC.to_bits()) as i64;
            *ok = (v.abs() < 2_251_799_813_685_248.0) & (r.to_bits() == v.to_bits());
        }
        return;
    }
    for ((&v, i), ok) in values.iter().zip(ints.iter_mut()).zip(ok.iter_mut()) {
        let x = v * p;
        let m = x + MAGIC;
        let r = m - MAGIC;
        *i = m.to_bits().wrapping_sub(MAGIC.to_bits()) as i64;
        *ok = (x.abs() < 2_251_799_813_685_248.0) & ((r / p).to_bits() == v.to_bits());
    }
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
    let mut ints = [0i64; BLOCK];
    let mut ok = [false; BLOCK];
    let mut zz = [0u64; BLOCK];
    // Columns whose first value is scaled beyond the fast path's range (full-precision floats
    // at e = 15 or so; a NaN first value does not count) go to the scalar check directly.
    // Chosen once, outside the loop: a branch per block there cost the usual columns some 7 %.
    let block_ints: fn(&[f64], f64, &mut [i64; BLOCK], &mut [bool; BLOCK]) =
        if (first * p).abs() < 2_251_799_813_685_248.0 || first.is_nan() {
            to_ints
        } else {
            |_, _, _, ok| ok.fill(false)
        };
    for (b, block) in rest.chunks(BLOCK).enumerate() {
        let len = block.len();
        block_ints(block, p, &mut ints, &mut ok);
        if !ok[..len].iter().all(|&ok| ok) {
            // The rare values off the fast path: decide them exactly; an exception repeats
            // the previous integer.
            for j in (0..len).filter(|&j| !ok[j]) {
                ints[j] = to_int(block[j], p).unwrap_or_else(|| {
                    exceptions.push(((1 + b * BLOCK + j) as u64, block[j].to_bits()));
                    if j == 0 { prev } else { ints[j - 1] }
                });
            }
        }
        zz[0] = zigzag(ints[0].wrapping_sub(prev));
        for j in 1..len {
            zz[j] = zigzag(ints[j].wrapping_sub(ints[j - 1]));
        }
        prev = ints[len - 1];
        let zz = &zz[..len];
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

/// Bits of the window a table step of the decoder looks at.
const TABLE_BITS: u32 = 11;
/// Largest Rice parameter with a decoding table: the parameters of deltas of a few units
/// (integer walks like TSBS `tsbs`), whose codes are 1 to 4 bits long.
const TABLE_MAX_K: u32 = 2;
/// Most codes one table step decodes.
const TABLE_CODES: usize = 4;

/// Decoding tables, one per `k <= TABLE_MAX_K`: for each [`TABLE_BITS`]-bit window, the
/// whole codes at its start (at most [`TABLE_CODES`]): their deltas (unzigzagged, as `i8`) in
/// bytes 0..4, 0 for unused slots; the bits they take in byte 4; their count in byte 5. A
/// window whose first code does not fit has count 0.
static TABLES: [[u64; 1 << TABLE_BITS]; TABLE_MAX_K as usize + 1] = build_tables();

const fn build_tables() -> [[u64; 1 << TABLE_BITS]; TABLE_MAX_K as usize + 1] {
    let mut tables = [[0u64; 1 << TABLE_BITS]; TABLE_MAX_K as usize + 1];
    let mut k = 0;
    while k <= TABLE_MAX_K {
        let mut window = 0u64;
        while window < 1 << TABLE_BITS {
            let (mut pos, mut count, mut entry) = (0u32, 0u64, 0u64);
            while count < TABLE_CODES as u64 {
                let rest = window >> pos;
                if rest == 0 {
                    break;
                }
                let q = rest.trailing_zeros();
                if pos + q + 1 + k > TABLE_BITS {
                    break;
                }
                // Within 11 bits, q <= 10 and zz <= 43: the delta fits an `i8`.
                let zz = (q as u64) << k | (rest >> (q + 1)) & ((1 << k) - 1);
                let delta = ((zz >> 1) as i64) ^ -((zz & 1) as i64);
                entry |= (delta as u8 as u64) << (8 * count);
                pos += q + 1 + k;
                count += 1;
            }
            tables[k as usize][window as usize] = entry | (pos as u64) << 32 | count << 40;
            window += 1;
        }
        k += 1;
    }
    tables
}

/// `1.5 * 2^52` as an integer-to-double converter: for `|i| <= 2^51`, `MAGIC + i` is exact
/// and its bit pattern is `MAGIC`'s plus `i` (see [`MAGIC`]).
const MAGIC_RANGE: i64 = 1 << 51;

/// Appends `i as f64 / p` for each of `ints` to `out`, bit for bit. When every integer is in
/// `[-2^51, 2^51)` the conversion goes through [`MAGIC`] instead (`MAGIC + i` is exact, and so
/// is subtracting `MAGIC` again, giving exactly `i as f64`), which lets the loop run two values
/// per SSE2 instruction, division included.
#[inline(always)]
fn push_scaled(out: &mut Vec<f64>, ints: &[i64], p: f64) {
    let mut scaled = [0.0f64; BLOCK];
    let scaled = &mut scaled[..ints.len()];
    let outside = ints.iter().fold(0u64, |acc, &i| acc | (i.wrapping_add(MAGIC_RANGE) as u64) >> 52);
    if outside == 0 && p == 1.0 {
        // `e == 0`: dividing a finite double by 1 gives it back exactly, so skip the division.
        for (s, &i) in scaled.iter_mut().zip(ints) {
            *s = f64::from_bits(MAGIC.to_bits().wrapping_add(i as u64)) - MAGIC;
        }
    } else if outside == 0 {
        for (s, &i) in scaled.iter_mut().zip(ints) {
            *s = (f64::from_bits(MAGIC.to_bits().wrapping_add(i as u64)) - MAGIC) / p;
        }
    } else {
        for (s, &i) in scaled.iter_mut().zip(ints) {
            *s = i as f64 / p;
        }
    }
    out.extend_from_slice(scaled);
}

/// Reads one Rice code (or escape) with parameter `k`; refills first if fewer than `longest`
/// bits are buffered.
#[inline(always)]
fn read_code(r: &mut BitReader<'_>, k: u32, longest: u32) -> u64 {
    if r.available() < longest {
        r.refill();
    }
    let bits = r.peek();
    let q = (bits | 1 << ESCAPE).trailing_zeros();
    if q < ESCAPE {
        r.consume(q + 1 + k);
        u64::from(q) << k | (bits >> (q + 1)) & ((1u64 << k) - 1)
    } else {
        r.consume(ESCAPE);
        r.take_long(64)
    }
}

/// Decodes `n >= 1` values into `out` (cleared first). Reads past the end of the stream read
/// as zero bits; the caller checks [`BitReader::overran`] afterwards.
///
/// Parsing the codes is the serial part: each code's position depends on the previous code's
/// length. Blocks with `k <= TABLE_MAX_K` (1-4 bit codes) decode up to 4 codes per step from
/// [`TABLES`] into integers and then scale the block in a vectorised loop ([`push_scaled`]).
/// Other blocks decode one code per step and divide right away, so that the division overlaps
/// the parsing of the next code; values go to a block buffer on the stack and then to `out`,
/// which is cheaper than zero-filling `out` first.
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
    out.reserve(n);
    out.push(i as f64 / p);
    let mut block = [0.0f64; BLOCK];
    let mut ints = [0i64; BLOCK];
    let mut left = n - 1;
    while left > 0 {
        let len = left.min(BLOCK);
        left -= len;
        r.refill();
        let k = r.take(PARAM_BITS) as u32;
        if k > MAX_K {
            return Err(Corruption::DecimalParameter.into());
        }
        // The longest code that does not escape; a refill is needed only below it.
        let longest = ESCAPE + 1 + k;
        if let Some(table) = TABLES.get(k as usize) {
            let mut j = 0;
            while len - j >= TABLE_CODES {
                if r.available() < TABLE_BITS {
                    r.refill();
                }
                let entry = table[(r.peek() & ((1 << TABLE_BITS) - 1)) as usize];
                let count = (entry >> 40) as usize;
                if count == 0 {
                    i = i.wrapping_add(unzigzag(read_code(&mut r, k, longest)));
                    ints[j] = i;
                    j += 1;
                    continue;
                }
                r.consume((entry >> 32) as u32 & 0xFF);
                // All four slots are written; those past `count` are overwritten next step
                // (unused deltas are 0, so the last slot is the integer after `count` codes).
                let [d0, d1, d2, d3, ..] = entry.to_le_bytes();
                let i0 = i.wrapping_add(i64::from(d0 as i8));
                let i1 = i0.wrapping_add(i64::from(d1 as i8));
                let i2 = i1.wrapping_add(i64::from(d2 as i8));
                i = i2.wrapping_add(i64::from(d3 as i8));
                ints[j..j + TABLE_CODES].copy_from_slice(&[i0, i1, i2, i]);
                j += count;
            }
            for slot in &mut ints[j..len] {
                i = i.wrapping_add(unzigzag(read_code(&mut r, k, longest)));
                *slot = i;
            }
            push_scaled(out, &ints[..len], p);
        } else {
            for slot in &mut block[..len] {
                i = i.wrapping_add(unzigzag(read_code(&mut r, k, longest)));
                *slot = i as f64 / p;
            }
            out.extend_from_slice(&block[..len]);
        }
    }
    read_exceptions(&mut r, out, f64::from_bits)?;
    *reader = r;
    Ok(())
}
