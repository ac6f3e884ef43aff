//! Tests of chunk format v2: the per-stream encodings (regular timestamps, constant and
//! decimal values), their choice, the v2 golden fixture, lossless round trips on adversarial
//! values, and decoders that never panic on damaged v2 chunks.

use proptest::prelude::*;

use super::tests::{bits_of, chunk_input, config, decode_any, encode, regular, round_trip, timestamps, values};
use super::*;
use crate::splitmix::SplitMix64;

// ---------------------------------------------------------------------------------------------
// helpers

/// The stream encoding ids of a chunk: all 1 for v1, the id bytes for v2.
fn stream_ids(bytes: &[u8]) -> Vec<u8> {
    let h = chunk_header(bytes).unwrap();
    let n = 1 + usize::from(h.columns);
    match h.encoding {
        Encoding::Gorilla => vec![1; n],
        Encoding::PerStream => bytes[6..6 + n].to_vec(),
    }
}

/// The TSBS cpu-only walk: start in [0, 100], steps normal(0, 1), clamped to [0, 100].
fn tsbs_walk(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    let mut v = rng.unit() * 100.0;
    (0..n)
        .map(|_| {
            v = (v + rng.normal()).clamp(0.0, 100.0);
            v
        })
        .collect()
}

/// Values that do not survive a decimal round trip, or only just do.
fn adversarial() -> Vec<f64> {
    vec![
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7FF0_0000_0000_0001), // signalling NaN payload
        f64::from_bits(0xFFF8_DEAD_BEEF_0001), // negative quiet NaN with payload
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(1), // smallest subnormal
        -f64::from_bits(0x000F_FFFF_FFFF_FFFF),
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        0.1 + 0.2,
        0.3,
        1.0 + 1e-16,
        1.0 - 1e-16,
        12.34 + 1e-14,
        9_007_199_254_740_993.0, // 2^53 + 1 (rounds to 2^53)
        9_007_199_254_740_992.0,
        9_223_372_036_854_775_807.0, // 2^63: saturates the cast
        -9_223_372_036_854_775_808.0,
        9.223_372_036_854_775e16,
        1e18,
        1e19,
        -1e17,
        92_233_720.368_547_76, // near i64::MAX after scaling by 1e11
        1e-300,
        5e-324,
        123_456.789_012_345_68,
    ]
}

// ---------------------------------------------------------------------------------------------
// choice and size

#[test]
fn tsbs_shapes_pick_the_expected_encodings_and_meet_the_size_bar() {
    let n = 1024;
    let ts = regular(n, 1_700_000_000_000, 10_000);
    let walk = tsbs_walk(7, n);
    let ints: Vec<f64> = walk.iter().map(|v| v.trunc()).collect();
    let round2: Vec<f64> = walk.iter().map(|v| (v * 100.0).round() / 100.0).collect();
    for (name, col, want_id, bar) in [
        ("tsbs", &ints, 3, 0.35),
        ("round2", &round2, 3, 1.2),
        ("float", &walk, 1, 7.0),
        ("constant", &vec![42.5; n], 2, 0.05),
    ] {
        let bytes = round_trip(&ts, std::slice::from_ref(col));
        let ids = stream_ids(&bytes);
        let per_sample = bytes.len() as f64 / n as f64;
        println!("{name}: {} bytes, {per_sample:.3} bytes/sample, ids {ids:?}", bytes.len());
        assert_eq!(ids[1], want_id, "{name}: value encoding");
        assert_eq!(ids[0], 2, "{name}: regular timestamps");
        assert!(per_sample <= bar, "{name}: {per_sample:.3} bytes/sample > {bar}");
    }
}

#[test]
fn regular_timestamps_with_exceptions() {
    let n = 1000;
    let mut ts = regular(n, -5_000, 10_000);
    ts[0] = i64::MIN;
    ts[17] += 3;
    ts[999] = i64::MAX;
    let bytes = round_trip(&ts, &[vec![1.0; n]]);
    assert_eq!(stream_ids(&bytes), vec![1, 2], "first two timestamps define the interval");
    ts[0] = -5_000;
    let bytes = round_trip(&ts, &[vec![1.0; n]]);
    assert_eq!(stream_ids(&bytes), vec![2, 2]);
    // 160 bits + 2 exceptions of (10 + 64) bits.
    let ts_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    assert_eq!(ts_len, (160u32 + 2 * 74).div_ceil(8));
    // Wrapping intervals.
    round_trip(&[i64::MAX - 1, i64::MAX, i64::MIN, i64::MIN + 1, i64::MIN + 2], &[vec![0.5; 5]]);
    let wrapping: Vec<i64> = (0..200).map(|i| (i64::MAX - 100).wrapping_add(i)).collect();
    round_trip(&wrapping, &[vec![0.5; 200]]);
}

#[test]
fn small_chunks_stay_v1_when_v2_is_not_smaller() {
    for n in 0..4 {
        let bytes = round_trip(&regular(n, 0, 10), &[vec![1.0; n]]);
        assert_eq!(chunk_header(&bytes).unwrap().encoding, Encoding::Gorilla, "n = {n}");
    }
}

#[test]
fn decimal_columns_with_adversarial_exceptions_round_trip() {
    let n = 500;
    let ts = regular(n, 0, 1000);
    let base: Vec<f64> = tsbs_walk(3, n).iter().map(|v| (v * 100.0).round() / 100.0).collect();
    let specials = adversarial();
    // Specials at the start, the end, and scattered.
    let mut col = base.clone();
    col[0] = f64::NAN;
    col[n - 1] = -0.0;
    for (i, &s) in specials.iter().enumerate() {
        col[7 + i * 13] = s;
    }
    let bytes = round_trip(&ts, &[col.clone(), base.clone()]);
    assert_eq!(stream_ids(&bytes)[1], 3, "decimal with exceptions still wins");
    // Every value an exception except one; every value an exception.
    let all_special: Vec<f64> = (0..n).map(|i| specials[i % specials.len()]).collect();
    round_trip(&ts, std::slice::from_ref(&all_special));
    let mut one_decimal = all_special;
    one_decimal[250] = 1.25;
    round_trip(&ts, &[one_decimal]);
    // Each adversarial value alone, repeated, and next to its neighbours in ulps.
    for &s in &specials {
        round_trip(&ts[..3], &[vec![s, s, 1.5]]);
        let up = f64::from_bits(s.to_bits().wrapping_add(1));
        let down = f64::from_bits(s.to_bits().wrapping_sub(1));
        round_trip(&ts[..5], &[vec![1.0, s, up, down, 2.0]]);
    }
}

#[test]
fn decimal_exponents_and_huge_deltas_round_trip() {
    let n = 300;
    let ts = regular(n, 0, 1);
    for e in 0..=18 {
        let p = 10f64.powi(e);
        let col: Vec<f64> = (0..n as i64).map(|i| ((i * 7919) % 1000 - 500) as f64 / p).collect();
        round_trip(&ts, &[col]);
    }
    // Deltas that need the escape, alternating extremes of the integer range.
    let col: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -9.0e18 } else { 9.0e18 }).collect();
    round_trip(&ts, &[col]);
    let col: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { 0.0 } else { (i as f64) * 1e15 }).collect();
    round_trip(&ts, &[col]);
}

/// Blocks with `k <= 2` decode up to four codes per table step: walks of small steps, at
/// `e = 0` (no division) and `e = 2`, with long codes (a jump, an escape), exceptions and
/// values beyond `2^51` mixed in, at lengths around the step and block boundaries.
#[test]
fn small_k_blocks_round_trip_across_table_boundaries() {
    let mut rng = SplitMix64(7);
    for n in [2, 3, 4, 5, 6, 128, 129, 131, 132, 133, 257, 300, 1024, 4096] {
        let ts = regular(n, 0, 10_000);
        for e in [0, 2] {
            let p = 10f64.powi(e);
            for max_step in [0u64, 1, 2, 4] {
                let mut i = 1000i64;
                let col: Vec<f64> = (0..n)
                    .map(|j| {
                        i += (rng.next() % (2 * max_step + 1)) as i64 - max_step as i64;
                        match (j * 7 + 3) % 97 {
                            0 => i as f64 / p + 1e-9,  // an exception
                            1 => (i + 300) as f64 / p, // a long code
                            2 if n > 200 => 1e300,     // an escape, then an exception
                            3 if n > 200 => 3e15,      // beyond 2^51 at e = 0
                            _ => i as f64 / p,
                        }
                    })
                    .collect();
                round_trip(&ts, &[col]);
            }
        }
    }
}

/// A small v2 chunk: regular timestamps stay Gorilla (cheaper for 4 samples) and the values
/// are decimal. Drawn byte by byte in `docs/format/chunk.md`; must keep decoding.
#[test]
fn golden_v2_chunk() {
    let ts = [1_700_000_000_000, 1_700_000_010_000, 1_700_000_020_000, 1_700_000_030_000];
    let values = [21.37, 21.41, 21.4, f64::NAN];
    let golden = hex(concat!(
        "02",
        "01",
        "04000000", // tag 2, C = 1, N = 4
        "01",
        "03", // timestamp stream Gorilla, value stream decimal
        "0c000000",
        "17000000", // stream lengths 12, 23
        "0068e5cf8b010000",
        "03710200", // timestamps: t1, then 110 + 20000, 0, 0
        "220b010000000000",
        "2040170000003000",
        "0000000000fe1f", // e = 2, 2137, k = 1, +4 -1 0, NaN at 3
    ));
    assert_eq!(encode(&ts, &[values.to_vec()]), golden);
    let mut got_ts = Vec::new();
    let mut cols = vec![Vec::new()];
    let h = decode_chunk(&golden, &mut got_ts, &mut cols).unwrap();
    assert_eq!(h, ChunkHeader { encoding: Encoding::PerStream, samples: 4, columns: 1 });
    assert_eq!(got_ts, ts);
    assert_eq!(bits_of(&cols), bits_of(&[values.to_vec()]));
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

// ---------------------------------------------------------------------------------------------
// decoder rejections

/// A v2 chunk of `n` samples, one column, with the given stream ids and stream bytes.
fn v2_chunk(n: u32, ids: [u8; 2], ts: &[u8], vals: &[u8]) -> Vec<u8> {
    let mut b = vec![2, 1];
    b.extend(n.to_le_bytes());
    b.extend(ids);
    b.extend((ts.len() as u32).to_le_bytes());
    b.extend((vals.len() as u32).to_le_bytes());
    b.extend(ts);
    b.extend(vals);
    b
}

fn stream(fields: &[(u64, u32)]) -> Vec<u8> {
    let mut w = BitWriter::new();
    for &(v, n) in fields {
        w.write_bits(v, n);
    }
    w.finish()
}

fn decode1(bytes: &[u8]) -> Result<ChunkHeader, CodecError> {
    decode_chunk(bytes, &mut Vec::new(), &mut [Vec::new()])
}

#[test]
fn v2_decode_errors() {
    let ts2 = stream(&[(0, 64), (0, 1)]); // Gorilla timestamps 0, 0
    let constant = stream(&[(1.5f64.to_bits(), 64)]);
    assert!(decode1(&v2_chunk(2, [1, 2], &ts2, &constant)).is_ok());

    // Unknown ids, ids in the wrong stream, flat streams with too many or no samples.
    for ids in [[0, 1], [3, 1], [1, 0], [1, 4], [1, 255]] {
        let err = decode1(&v2_chunk(2, ids, &ts2, &constant)).unwrap_err();
        assert!(matches!(err, CodecError::Corrupt(Corruption::StreamEncoding { .. })), "{ids:?}: {err:?}");
    }
    let big = regular::MAX_FLAT_SAMPLES as u32 + 1;
    let regular_ts = stream(&[(0, 64), (10, 64), (0, 32)]);
    assert!(matches!(
        decode1(&v2_chunk(big, [2, 2], &regular_ts, &constant)),
        Err(CodecError::Corrupt(Corruption::StreamEncoding { stream: 0, id: 2 }))
    ));
    assert!(decode1(&v2_chunk(big - 1, [2, 2], &regular_ts, &constant)).is_ok());
    assert!(chunk_header(&v2_chunk(u32::MAX, [2, 2], &regular_ts, &constant)).is_err());
    assert!(decode1(&v2_chunk(0, [1, 2], &[], &constant)).is_err());
    assert!(decode1(&v2_chunk(0, [1, 3], &[], &[])).is_err());
    assert!(decode1(&v2_chunk(0, [1, 1], &[], &[])).is_ok());

    // Decimal parameters out of range: exponent 19, Rice parameter 31.
    let dec = |e: u64, k: u64| stream(&[(e, 5), (7, 64), (k, 5), (1, 1), (0, 32)]);
    assert!(decode1(&v2_chunk(2, [1, 3], &ts2, &dec(2, 0))).is_ok());
    assert_eq!(decode1(&v2_chunk(2, [1, 3], &ts2, &dec(19, 0))), Err(Corruption::DecimalParameter.into()));
    assert_eq!(decode1(&v2_chunk(2, [1, 3], &ts2, &dec(2, 31))), Err(Corruption::DecimalParameter.into()));

    // Exception lists: too many, index out of range, not increasing.
    let exc = |count: u64, list: &[(u64, u64)]| {
        let mut f = vec![(0, 5), (7, 64), (0, 5), (1, 1), (count, 32)];
        for &(i, v) in list {
            f.push((i, 1));
            f.push((v, 64));
        }
        stream(&f)
    };
    assert!(decode1(&v2_chunk(2, [1, 3], &ts2, &exc(2, &[(0, 1), (1, 2)]))).is_ok());
    assert_eq!(decode1(&v2_chunk(2, [1, 3], &ts2, &exc(3, &[(0, 1), (1, 2)]))), Err(Corruption::Exceptions.into()));
    assert_eq!(decode1(&v2_chunk(2, [1, 3], &ts2, &exc(2, &[(1, 1), (1, 2)]))), Err(Corruption::Exceptions.into()));
    assert_eq!(decode1(&v2_chunk(2, [1, 3], &ts2, &exc(2, &[(1, 1), (0, 2)]))), Err(Corruption::Exceptions.into()));
    let reg = |list: &[(u64, u64)]| {
        let mut f = vec![(0, 64), (10, 64), (list.len() as u64, 32)];
        for &(i, v) in list {
            f.push((i, 1));
            f.push((v, 64));
        }
        stream(&f)
    };
    assert!(decode1(&v2_chunk(2, [2, 2], &reg(&[(1, 5)]), &constant)).is_ok());
    assert_eq!(decode1(&v2_chunk(2, [2, 2], &reg(&[(1, 5), (1, 6)]), &constant)), Err(Corruption::Exceptions.into()));

    // Trailing garbage in a flat stream, and a non-zero padding bit in a decimal stream.
    let mut long = constant.clone();
    long.push(0);
    assert!(decode1(&v2_chunk(2, [1, 2], &ts2, &long)).is_err());
    let mut padded = dec(2, 0);
    *padded.last_mut().unwrap() |= 0x80;
    assert_eq!(decode1(&v2_chunk(2, [1, 3], &ts2, &padded)), Err(Corruption::Padding(1).into()));
}

// ---------------------------------------------------------------------------------------------
// property tests

/// One adversarial value.
fn special() -> BoxedStrategy<f64> {
    prop_oneof![
        prop::sample::select(adversarial()),
        any::<u64>().prop_map(f64::from_bits),
        // Almost a decimal: a few ulps off one.
        (-100_000i64..100_000, 0u32..8, -3i64..=3).prop_map(|(i, e, ulps)| f64::from_bits(
            ((i as f64) / 10f64.powi(e as i32)).to_bits().wrapping_add(ulps as u64)
        )),
        // Decimals with many digits, near the top of the integer range after scaling.
        (any::<i64>(), 0u32..=18).prop_map(|(i, e)| i as f64 / 10f64.powi(e as i32)),
    ]
    .boxed()
}

/// Decimal columns: walks of each shape, at a random exponent, with specials injected.
fn decimal_column(n: usize) -> BoxedStrategy<Vec<f64>> {
    (
        0u32..=8,
        prop::sample::select(vec![1i64, 3, 100, 10_000, 1 << 40]),
        prop::collection::vec(-1.0f64..1.0, n),
        prop::collection::vec(prop_oneof![20 => Just(None), 1 => special().prop_map(Some)], n),
        any::<bool>(),
    )
        .prop_map(|(e, scale, steps, injected, truncate)| {
            let p = 10f64.powi(e as i32);
            let mut i = 0i64;
            steps
                .into_iter()
                .zip(injected)
                .map(|(s, inj)| {
                    i = i.wrapping_add((s * scale as f64) as i64);
                    let v = if truncate { (i as f64 / p).trunc() } else { i as f64 / p };
                    inj.unwrap_or(v)
                })
                .collect()
        })
        .boxed()
}

/// Any column: the v1 shapes, decimal columns, constants (of any bit pattern).
fn any_column(n: usize) -> BoxedStrategy<Vec<f64>> {
    prop_oneof![values(n), decimal_column(n), decimal_column(n), special().prop_map(move |v| vec![v; n]),].boxed()
}

/// Timestamps: the v1 shapes plus regular series with a few exceptions.
fn any_timestamps(n: usize) -> BoxedStrategy<Vec<i64>> {
    prop_oneof![
        timestamps(n),
        (any::<i64>(), any::<i64>(), prop::collection::vec((any::<prop::sample::Index>(), any::<i64>()), 0..4))
            .prop_map(move |(start, step, edits)| {
                let mut ts: Vec<i64> = (0..n as i64).map(|i| start.wrapping_add(step.wrapping_mul(i))).collect();
                for (at, t) in edits {
                    if n > 0 {
                        ts[at.index(n)] = t;
                    }
                }
                ts
            }),
    ]
    .boxed()
}

fn v2_input(max_samples: usize, max_cols: usize) -> impl Strategy<Value = (Vec<i64>, Vec<Vec<f64>>)> {
    (prop_oneof![0usize..8, 0usize..=max_samples], 1usize..=max_cols)
        .prop_flat_map(|(n, ncols)| (any_timestamps(n), prop::collection::vec(any_column(n), ncols)))
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn prop_v2_round_trip_bit_exact((ts, cols) in v2_input(1500, 4)) {
        round_trip(&ts, &cols);
    }

    #[test]
    fn prop_v1_shapes_round_trip((ts, cols) in chunk_input(600, 3)) {
        round_trip(&ts, &cols);
    }
}

proptest! {
    #![proptest_config(config(4))]

    #[test]
    fn prop_decode_mutated_v2_chunks_never_panics(
        (ts, cols) in v2_input(300, 3),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = encode(&ts, &cols);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] ^= byte.max(1);
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        decode_any(&bytes);
    }

    #[test]
    fn prop_decode_truncated_v2_chunks_fails((ts, cols) in v2_input(300, 2), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&ts, &cols);
        let cut = cut.index(bytes.len());
        let mut t = Vec::new();
        let mut c = vec![Vec::new(); cols.len()];
        prop_assert!(decode_chunk(&bytes[..cut], &mut t, &mut c).is_err());
    }

    #[test]
    fn prop_decode_plausible_v2_headers_never_panics(
        ncols in 1u8..=8,
        samples in prop_oneof![0u32..300, any::<u32>()],
        ids in prop::collection::vec(prop_oneof![1u8..=3, any::<u8>()], 9),
        lens in prop::collection::vec(prop_oneof![0u32..64, 20u32..40], 9),
        body in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let nstreams = 1 + usize::from(ncols);
        let mut bytes = vec![2, ncols];
        bytes.extend(samples.to_le_bytes());
        bytes.extend(&ids[..nstreams]);
        for len in &lens[..nstreams] {
            bytes.extend(len.to_le_bytes());
        }
        bytes.extend(body);
        decode_any(&bytes);
    }
}

proptest! {
    #![proptest_config(config(1))]

    /// The encoder skips Gorilla when a lower bound of its size already loses: the bound must
    /// hold.
    #[test]
    fn prop_gorilla_value_lower_bound_holds(col in any_column(300)) {
        let mut w = BitWriter::new();
        gorilla::encode_values(&col, &mut w);
        prop_assert!(gorilla::value_bits_lower_bound(&col) <= w.bit_len());
        // The early-stopping sum is still a lower bound, and above its limit when it stops.
        let limit = w.bit_len() / 2;
        let partial = gorilla::value_bits_lower_bound_until(&col, limit);
        prop_assert!(partial <= gorilla::value_bits_lower_bound(&col));
        prop_assert!(partial == gorilla::value_bits_lower_bound(&col) || partial > limit);
    }
}

proptest! {
    #![proptest_config(config(1))]

    /// The encoder's vectorised decimal check accepts a value only with the integer the exact
    /// scalar check gives, at every exponent: adversarial values, near-decimals, decimals.
    #[test]
    fn prop_block_decimal_check_agrees_with_scalar(
        col in prop_oneof![decimal_column(decimal::BLOCK), any_column(decimal::BLOCK)],
        e in 0u32..=decimal::MAX_EXPONENT,
    ) {
        check_block_decimal(&col, e)?;
    }

    /// The 32-bit Rice parameter choice is the 64-bit one.
    #[test]
    fn prop_narrow_best_k_agrees_with_wide(
        zz in prop::collection::vec(
            prop_oneof![0u64..4, 0u64..300, 0u64..100_000, 0u64..(1 << 32), Just(u64::from(u32::MAX))],
            1..=decimal::BLOCK,
        ),
    ) {
        prop_assert_eq!(decimal::best_k(&zz), decimal::best_k_wide(&zz));
    }
}

fn check_block_decimal(col: &[f64], e: u32) -> Result<(), TestCaseError> {
    let p = 10f64.powi(e as i32);
    let mut ints = [0i64; decimal::BLOCK];
    let mut ok = [false; decimal::BLOCK];
    for block in col.chunks(decimal::BLOCK) {
        decimal::to_ints(block, p, &mut ints, &mut ok);
        for (j, &v) in block.iter().enumerate() {
            if ok[j] {
                prop_assert_eq!(decimal::to_int(v, p), Some(ints[j]), "{:?} at e = {}", v, e);
            }
        }
    }
    Ok(())
}

#[test]
fn block_decimal_check_on_adversarial_values() {
    let mut col = adversarial();
    // Values that almost round to decimals, and the largest integers the fast path takes.
    for base in [0.07f64, 12.34, 99.99, 1e-5, 2_251_799_813_685_247.0, -2_251_799_813_685_248.0] {
        for ulps in -2i64..=2 {
            col.push(f64::from_bits(base.to_bits().wrapping_add(ulps as u64)));
        }
    }
    for e in 0..=decimal::MAX_EXPONENT {
        check_block_decimal(&col, e).unwrap();
    }
    // Wide deltas and the 32-bit boundary in one block.
    let zz: Vec<u64> = (0..decimal::BLOCK as u64).map(|j| (u64::from(u32::MAX) >> (j % 33)) + j).collect();
    assert_eq!(decimal::best_k(&zz), decimal::best_k_wide(&zz));
}
