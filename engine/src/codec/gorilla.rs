//! The two Gorilla column codecs: timestamps and values, one bit stream each.
//!
//! Control bits below are written in stream order, first bit first. With the LSB-first bit
//! order of [`super::bits`], a control code `c1 c2 … ck` is the integer
//! `c1 | c2 << 1 | … | ck << (k-1)`.
//!
//! **Timestamps** (`i64`): the first timestamp as 64 raw bits. Then, per sample, with
//! `delta = t[i] - t[i-1]` and `dod = delta - previous delta` (wrapping, and the delta before the
//! second sample is 0), `zigzag(dod)` in the first bucket that holds it:
//!
//! | code   | payload      | dod range                          |
//! |--------|--------------|------------------------------------|
//! | `0`    | none         | 0                                  |
//! | `10`   | 14 bits      | `-2^13 ..= 2^13 - 1`               |
//! | `110`  | 20 bits      | `-2^19 ..= 2^19 - 1`               |
//! | `1110` | 32 bits      | `-2^31 ..= 2^31 - 1`               |
//! | `1111` | 64 bits      | any (the escape)                   |
//!
//! **Values** (`f64` by bit pattern): the first value as 64 raw bits. Then, per sample,
//! `x = bits[i] ^ bits[i-1]`:
//! - `0`: `x == 0`, the value repeats.
//! - `10` + `m` bits: `x >> tz` in the current window of `lz` leading zeros, `m` meaningful bits
//!   and `tz = 64 - lz - m` trailing zeros.
//! - `11` + `lz` (5 bits) + `m` (6 bits, 64 stored as 0) + `m` bits of `x >> tz`: a new window,
//!   which becomes the current one. `lz` is the leading-zero count capped at 31.
//!
//! The window before the first `11` is `lz = 0, m = 64`. The encoder reuses the current window
//! when `x` fits in it and doing so is not longer than opening a new one (`2 + m_cur <= 13 + m`),
//! and otherwise opens the tightest window for `x`.

use super::bits::{BitReader, BitWriter};
use super::{CodecError, Corruption};

/// Payload widths of the timestamp buckets, by bucket index (0 is the `0` code).
const TS_PAYLOAD: [u32; 5] = [0, 14, 20, 32, 64];
/// Control codes of the timestamp buckets (LSB-first: `10` is `0b01`).
const TS_CODE: [u64; 5] = [0b0, 0b01, 0b011, 0b0111, 0b1111];
/// Control code lengths of the timestamp buckets.
const TS_CODE_LEN: [u32; 5] = [1, 2, 3, 4, 4];

/// Width of the value window header: `11`, 5 bits of `lz`, 6 bits of `m`.
const NEW_WINDOW_HEADER: u32 = 13;

#[inline(always)]
pub(super) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline(always)]
pub(super) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Index into the `TS_*` tables of the smallest bucket that holds `zz` (non-zero).
#[inline(always)]
fn ts_bucket(zz: u64) -> usize {
    let need = 64 - zz.leading_zeros();
    1 + usize::from(need > 14) + usize::from(need > 20) + usize::from(need > 32)
}

/// Appends the timestamp stream for `ts` to `w`.
pub(crate) fn encode_timestamps(ts: &[i64], writer: &mut BitWriter) {
    let Some((&first, rest)) = ts.split_first() else {
        return;
    };
    let mut w = std::mem::take(writer); // in registers, see `BitWriter::put`
    w.put(first as u64, 64);
    let mut prev = first;
    let mut prev_delta = 0i64;
    for &t in rest {
        let delta = t.wrapping_sub(prev);
        let zz = zigzag(delta.wrapping_sub(prev_delta));
        prev = t;
        prev_delta = delta;
        if zz == 0 {
            w.put(0, 1);
            continue;
        }
        let b = ts_bucket(zz);
        if b < 4 {
            w.put(TS_CODE[b] | zz << TS_CODE_LEN[b], TS_CODE_LEN[b] + TS_PAYLOAD[b]);
        } else {
            w.put(TS_CODE[4], TS_CODE_LEN[4]);
            w.put(zz, 64);
        }
    }
    *writer = w;
}

/// Decodes `n` timestamps into `out` (cleared first). Reads past the end of the stream read as
/// zero bits; the caller checks [`BitReader::overran`] afterwards.
pub(crate) fn decode_timestamps(reader: &mut BitReader<'_>, n: usize, out: &mut Vec<i64>) {
    out.clear();
    if n == 0 {
        return;
    }
    let mut r = reader.clone(); // in registers, see `BitReader::refill`
    out.reserve(n);
    let mut t = r.take_long(64) as i64;
    out.push(t);
    let mut delta = 0i64;
    let mut left = n - 1;
    while left > 0 {
        r.refill();
        let bits = r.peek();
        if bits & 1 == 0 {
            // A run of `0` codes: the same delta again, up to `avail` samples at once.
            let run = bits.trailing_zeros().min(r.available()) as usize;
            let run = run.min(left);
            r.consume(run as u32);
            let (t0, d) = (t, delta);
            out.extend((1..=run as i64).map(|i| t0.wrapping_add(d.wrapping_mul(i))));
            t = t.wrapping_add(delta.wrapping_mul(run as i64));
            left -= run;
            continue;
        }
        // Count the leading `1`s of the code, at most 4: 1..=4 here.
        let ones = (!bits | 0x10).trailing_zeros() as usize;
        let zz = if ones < 4 {
            let code_len = TS_CODE_LEN[ones];
            let payload = TS_PAYLOAD[ones];
            let v = (bits >> code_len) & ((1u64 << payload) - 1);
            r.consume(code_len + payload);
            v
        } else {
            r.consume(TS_CODE_LEN[4]);
            r.take_long(64)
        };
        delta = delta.wrapping_add(unzigzag(zz));
        t = t.wrapping_add(delta);
        out.push(t);
        left -= 1;
    }
    *reader = r;
}

/// A lower bound of the bits [`encode_values`] writes for `values`, cheap to compute: 64 for
/// the first value, then 1 per repeat and, per change, the `10` code plus the XOR's meaningful
/// bits (a window that holds them is at least that wide).
#[cfg(test)]
pub(crate) fn value_bits_lower_bound(values: &[f64]) -> u64 {
    value_bits_lower_bound_until(values, u64::MAX)
}

/// [`value_bits_lower_bound`], or a smaller value that is still above `limit` (and so still a
/// lower bound): the sum stops, between runs of 64 values, once it passes `limit`.
pub(crate) fn value_bits_lower_bound_until(values: &[f64], limit: u64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut bits = 64;
    for start in (1..values.len()).step_by(64) {
        let end = (start + 64).min(values.len());
        bits += values[start - 1..end]
            .windows(2)
            .map(|w| {
                let x = w[0].to_bits() ^ w[1].to_bits();
                if x == 0 { 1 } else { u64::from(2 + 64 - x.leading_zeros().min(31) - x.trailing_zeros()) }
            })
            .sum::<u64>();
        if bits > limit {
            break;
        }
    }
    bits
}

/// Appends the value stream for `values` to `w`.
pub(crate) fn encode_values(values: &[f64], writer: &mut BitWriter) {
    let Some((&first, rest)) = values.split_first() else {
        return;
    };
    let mut w = std::mem::take(writer); // in registers, see `BitWriter::put`
    let mut prev = first.to_bits();
    w.put(prev, 64);
    // The current window: leading zeros (capped at 31), trailing zeros, meaningful bits.
    let (mut cur_lz, mut cur_tz, mut cur_m) = (0u32, 0u32, 64u32);
    for &v in rest {
        let bits = v.to_bits();
        let x = bits ^ prev;
        prev = bits;
        if x == 0 {
            w.put(0, 1);
            continue;
        }
        let lz = x.leading_zeros().min(31);
        let tz = x.trailing_zeros();
        let m = 64 - lz - tz;
        if lz >= cur_lz && tz >= cur_tz && cur_m <= m + (NEW_WINDOW_HEADER - 2) {
            let payload = x >> cur_tz;
            if cur_m <= 62 {
                w.put(0b01 | payload << 2, 2 + cur_m);
            } else {
                w.put(0b01, 2);
                w.put(payload, cur_m);
            }
        } else {
            let header = 0b11 | u64::from(lz) << 2 | u64::from(m & 63) << 7;
            let payload = x >> tz;
            if m <= 64 - NEW_WINDOW_HEADER {
                w.put(header | payload << NEW_WINDOW_HEADER, NEW_WINDOW_HEADER + m);
            } else {
                w.put(header, NEW_WINDOW_HEADER);
                w.put(payload, m);
            }
            (cur_lz, cur_tz, cur_m) = (lz, tz, m);
        }
    }
    *writer = w;
}

/// Skips `code_len` bits and takes `m` more: the rare case of [`decode_values`] where code and
/// payload do not fit one refill. Out of line, by value, so the hot loop keeps its registers.
#[cold]
#[inline(never)]
fn take_wide(mut r: BitReader<'_>, code_len: u32, m: u32) -> (BitReader<'_>, u64) {
    r.consume(code_len);
    let x = r.take_long(m);
    (r, x)
}

/// Decodes `n` values into `out` (cleared first). Reads past the end of the stream read as
/// zero bits; the caller checks [`BitReader::overran`] afterwards.
///
/// # Errors
/// [`Corruption::XorWindow`] if a window header declares more than 64 bits.
pub(crate) fn decode_values(reader: &mut BitReader<'_>, n: usize, out: &mut Vec<f64>) -> Result<(), CodecError> {
    out.clear();
    out.resize(n, 0.0);
    let Some((first, rest)) = out.split_first_mut() else {
        return Ok(());
    };
    let mut r = reader.clone(); // in registers, see `BitReader::refill`
    let mut v = r.take_long(64);
    *first = f64::from_bits(v);
    // The current window as meaningful bits and trailing zeros. `tz` is computed as
    // `64 - lz - m` without a check; a corrupt window makes it negative, and `bad_tz`
    // collects its sign bit, checked once at the end.
    let (mut m, mut tz) = (64u32, 0u32);
    let mut bad_tz = 0u32;
    let mut i = 0;
    while i < rest.len() {
        r.refill();
        let bits = r.peek();
        if bits & 0xFF == 0 {
            // At least 8 `0` codes: a run of repeats, up to `available` at once.
            let run = (bits.trailing_zeros().min(r.available()) as usize).min(rest.len() - i);
            r.consume(run as u32);
            rest[i..i + run].fill(f64::from_bits(v));
            i += run;
            continue;
        }
        // Branch-free over the three codes (the code is data-dependent and unpredictable):
        // `0` → nz = 0; `10` → nz = 1, new = 0; `11` → nz = 1, new = 1.
        let nz = (bits & 1) as u32;
        let new = (bits >> 1) as u32 & nz;
        let new_lz = (bits >> 2) as u32 & 31;
        let new_m = (((bits >> 7) as u32).wrapping_sub(1) & 63) + 1; // 0 means 64
        let keep = new.wrapping_sub(1); // all ones unless a new window
        m = (m & keep) | (new_m & !keep);
        tz = (tz & keep) | (64u32.wrapping_sub(new_lz + new_m) & !keep);
        bad_tz |= tz;
        let code_len = 1 + nz + 11 * new;
        let m_now = m & 0u32.wrapping_sub(nz); // no payload for `0`
        // One refill covers code and payload unless the window is wide (rare, predictable).
        let x = if code_len + m_now <= 56 {
            r.consume(code_len + m_now);
            (bits >> code_len) & ((1u64 << m_now) - 1)
        } else {
            let x;
            (r, x) = take_wide(r, code_len, m_now);
            x
        };
        v ^= x << (tz & 63);
        rest[i] = f64::from_bits(v);
        i += 1;
    }
    *reader = r;
    if bad_tz > 64 {
        return Err(Corruption::XorWindow.into());
    }
    Ok(())
}
