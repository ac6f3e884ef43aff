//! Tests of the codec: bit I/O, chunk round trips, the v1 golden fixture, error cases, and
//! property tests against the `bitvec` reference (same bytes, same decoding, no panics).

use proptest::prelude::*;

use super::*;

// ---------------------------------------------------------------------------------------------
// helpers

/// Encodes in format v1 with the fast encoder, checks the reference produces the same bytes,
/// returns them.
pub(super) fn encode_v1(ts: &[i64], cols: &[Vec<f64>]) -> Vec<u8> {
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let mut fast = Vec::new();
    chunk::encode_chunk_v1(ts, &refs, &mut fast);
    let mut slow = Vec::new();
    reference::encode_chunk(ts, &refs, &mut slow);
    assert_eq!(fast, slow, "fast and reference encoders differ");
    fast
}

/// Encodes with [`encode_chunk`] (best encoding per stream); when that is format v1, checks it
/// equals the reference's bytes; returns the bytes.
pub(super) fn encode(ts: &[i64], cols: &[Vec<f64>]) -> Vec<u8> {
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let mut best = Vec::new();
    encode_chunk(ts, &refs, &mut best);
    let v1 = encode_v1(ts, cols);
    if best[0] == Encoding::Gorilla.tag() {
        assert_eq!(best, v1, "a v1 chunk from encode_chunk differs from the v1 encoder");
    } else {
        assert!(best.len() < v1.len(), "v2 chosen but not smaller: {} >= {}", best.len(), v1.len());
    }
    best
}

pub(super) type Decoded = (ChunkHeader, Vec<i64>, Vec<Vec<u64>>);
pub(super) type DecodeFn = fn(&[u8], &mut Vec<i64>, &mut [Vec<f64>]) -> Result<ChunkHeader, CodecError>;

/// Decodes with the given decoder; values as bit patterns so NaNs compare.
pub(super) fn decode_with(decode: DecodeFn, bytes: &[u8], ncols: usize) -> Result<Decoded, CodecError> {
    let mut ts = vec![123]; // not empty: decoding must clear it
    let mut cols = vec![vec![4.5]; ncols];
    let h = decode(bytes, &mut ts, &mut cols)?;
    let bits = cols.iter().map(|c| c.iter().map(|v| v.to_bits()).collect()).collect();
    Ok((h, ts, bits))
}

pub(super) fn bits_of(cols: &[Vec<f64>]) -> Vec<Vec<u64>> {
    cols.iter().map(|c| c.iter().map(|v| v.to_bits()).collect()).collect()
}

/// Encodes (best choice and forced v1), decodes with both decoders where they apply, checks
/// everything matches the input, and returns the best chunk.
pub(super) fn round_trip(ts: &[i64], cols: &[Vec<f64>]) -> Vec<u8> {
    let bytes = encode(ts, cols);
    let v1 = encode_v1(ts, cols);
    for chunk in [&bytes, &v1] {
        let header = chunk_header(chunk).expect("header");
        assert_eq!(header.samples as usize, ts.len());
        assert_eq!(header.columns as usize, cols.len());
        assert_eq!(chunk_len(chunk), Ok(chunk.len()));
        for decode in [decode_chunk as DecodeFn, reference::decode_chunk] {
            let (h, got_ts, got_cols) = decode_with(decode, chunk, cols.len()).expect("decode");
            assert_eq!(h, header);
            assert_eq!(got_ts, ts);
            assert_eq!(got_cols, bits_of(cols));
        }
    }
    assert_eq!(chunk_header(&v1).unwrap().encoding, Encoding::Gorilla);
    bytes
}

/// Decodes arbitrary bytes with both decoders: neither may panic, they must agree on whether
/// the chunk is valid, and on what it holds when it is.
pub(super) fn decode_any(bytes: &[u8]) {
    let _ = chunk_header(bytes);
    let _ = chunk_len(bytes);
    let ncols = match bytes.get(1) {
        Some(&c) if (1..=8).contains(&c) => usize::from(c),
        _ => 1,
    };
    for n in [ncols, ncols + 1] {
        let fast = decode_with(decode_chunk, bytes, n);
        let slow = decode_with(reference::decode_chunk, bytes, n);
        assert_eq!(fast.is_ok(), slow.is_ok(), "fast {fast:?} reference {slow:?}");
        if let (Ok(f), Ok(s)) = (&fast, &slow) {
            assert_eq!(f, s);
        }
        if let Ok((h, ts, cols)) = fast {
            assert_eq!(h, chunk_header(bytes).unwrap());
            assert_eq!(ts.len(), h.samples as usize);
            assert!(cols.iter().all(|c| c.len() == h.samples as usize));
        }
    }
}

pub(super) fn regular(n: usize, start: i64, step: i64) -> Vec<i64> {
    (0..n as i64).map(|i| start + i * step).collect()
}

// ---------------------------------------------------------------------------------------------
// bit I/O

#[test]
fn bit_writer_packs_lsb_first() {
    let mut w = BitWriter::new();
    w.write_bit(true);
    w.write_bits(0, 3);
    w.write_bits(0xABCD, 16);
    w.write_bits(u64::MAX, 0);
    assert_eq!(w.bit_len(), 20);
    // bits: 1, 000, then 0xABCD LSB first starting at bit 4.
    let expected = (1u32 | 0xABCD << 4).to_le_bytes();
    assert_eq!(w.finish(), expected[..3].to_vec());
}

#[test]
fn bit_writer_masks_high_bits() {
    let mut w = BitWriter::with_capacity(16);
    w.write_bits(u64::MAX, 3);
    w.write_bits(0, 5);
    assert_eq!(w.finish(), vec![0b111]);
}

#[test]
fn bit_round_trip_all_widths() {
    let mut w = BitWriter::new();
    let mut expect = Vec::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..3 {
        for n in 0..=64u32 {
            x = x.rotate_left(7).wrapping_mul(0x2545_F491_4F6C_DD1D) ^ round;
            let v = if n == 64 { x } else { x & ((1u64 << n) - 1) };
            w.write_bits(x, n);
            expect.push((v, n));
        }
    }
    let total = w.bit_len();
    let bytes = w.finish();
    assert_eq!(bytes.len() as u64, total.div_ceil(8));
    let mut r = BitReader::new(&bytes);
    for (v, n) in expect {
        assert_eq!(r.read_bits(n), Ok(v), "width {n}");
    }
    assert!(r.remaining_bits() < 8);
}

#[test]
fn bit_reader_reports_truncation() {
    let mut r = BitReader::new(&[0xFF, 0x01]);
    assert_eq!(r.read_bits(9), Ok(0x1FF));
    assert_eq!(r.remaining_bits(), 7);
    assert_eq!(r.read_bits(8), Err(CodecError::Truncated { needed_bits: 8, available_bits: 7 }));
    assert_eq!(r.read_bits(7), Ok(0));
    assert!(r.read_bit().is_err());
    assert_eq!(BitReader::new(&[]).read_bits(0), Ok(0));
}

#[test]
fn bit_writer_appends_after_existing_bytes() {
    let mut w = bits::BitWriter::appending_to(vec![7, 8]);
    w.write_bits(0x0102_0304_0506_0708, 64);
    w.write_bit(true);
    assert_eq!(w.bit_len(), 65);
    assert_eq!(w.finish(), vec![7, 8, 8, 7, 6, 5, 4, 3, 2, 1, 1]);
}

// ---------------------------------------------------------------------------------------------
// chunks

#[test]
fn empty_chunk_is_valid() {
    let bytes = round_trip(&[], &[vec![]]);
    assert_eq!(bytes, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let bytes = round_trip(&[], &[vec![], vec![], vec![]]);
    assert_eq!(bytes.len(), 6 + 4 * 4);
}

#[test]
fn single_and_two_samples() {
    round_trip(&[42], &[vec![1.5]]);
    round_trip(&[i64::MIN], &[vec![f64::NAN], vec![-0.0]]);
    round_trip(&[10, 5], &[vec![1.0, 1.0]]);
    round_trip(&[i64::MIN, i64::MAX], &[vec![f64::INFINITY, f64::NEG_INFINITY]]);
}

#[test]
fn regular_series_costs_one_bit_per_sample() {
    let n = 1000;
    let ts = regular(n, 1_700_000_000_000, 10_000);
    round_trip(&ts, &[vec![3.25; n]]);
    let bytes = encode_v1(&ts, &[vec![3.25; n]]);
    let ts_len = u32::from_le_bytes(bytes[6..10].try_into().unwrap()) as usize;
    let val_len = u32::from_le_bytes(bytes[10..14].try_into().unwrap()) as usize;
    // 64 raw bits, zigzag(10_000) = 20_000 needs the 20-bit bucket (3 + 20), then 1 bit each.
    assert_eq!(ts_len, (64 + 23 + (n - 2)).div_ceil(8));
    // A constant: 64 raw bits, then 1 bit each.
    assert_eq!(val_len, (64 + (n - 1)).div_ceil(8));
    assert_eq!(bytes.len(), 14 + ts_len + val_len);
}

#[test]
fn special_values_round_trip_bit_exact() {
    let specials = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7FF0_0000_0000_0001), // signalling NaN
        f64::from_bits(0xFFF8_DEAD_BEEF_0001), // NaN with payload
        f64::MIN_POSITIVE,
        f64::from_bits(1), // smallest subnormal
        -f64::from_bits(0x000F_FFFF_FFFF_FFFF),
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1.0,
    ];
    let n = specials.len();
    let mut cols = vec![specials.to_vec()];
    cols.push(specials.iter().rev().copied().collect());
    cols.push(specials.iter().flat_map(|&v| [v, v]).take(n).collect());
    round_trip(&regular(n, -5, 1), &cols);
}

#[test]
fn wide_windows() {
    // x = 0x8000_0000_0000_0001: reusing the initial 64-bit window (2 + 64 bits) is cheaper
    // than a new one (13 + 64), so the stream is 64 + 66 bits.
    let bytes = round_trip(&[1, 2], &[vec![0.0, f64::from_bits(0x8000_0000_0000_0001)]]);
    assert_eq!(u32::from_le_bytes(bytes[10..14].try_into().unwrap()), 17);
    // New windows of 44..=64 meaningful bits need the decoder's wide path.
    let vals: Vec<f64> = (0..=20u32).map(|k| f64::from_bits((1u64 << (43 + k)) | 1)).collect();
    round_trip(&regular(vals.len(), 0, 1), &[vals]);
}

#[test]
fn extreme_timestamps_round_trip() {
    let ts = [
        i64::MIN,
        i64::MAX,
        i64::MIN,
        0,
        0,
        0,
        -1,
        i64::MAX,
        i64::MAX,
        1 << 40,
        -(1 << 40),
        (1 << 13) - 1,
        -(1 << 13),
        i64::MIN + 1,
    ];
    round_trip(&ts, &[vec![0.0; ts.len()]]);
    // Every bucket edge, both signs, as delta-of-delta from a zero delta.
    let mut edges = vec![0i64];
    for bits in [13, 14, 19, 20, 31, 32, 62, 63] {
        let p = 1i64.wrapping_shl(bits);
        for d in [p.wrapping_sub(1), p, p.wrapping_neg(), p.wrapping_neg().wrapping_sub(1)] {
            edges.push(0);
            edges.push(d);
        }
    }
    round_trip(&edges, &[vec![1.0; edges.len()]]);
}

#[test]
fn all_eight_columns() {
    let n = 300;
    let ts = regular(n, 0, 1000);
    let cols: Vec<Vec<f64>> = (0..8).map(|c| (0..n).map(|i| ((i * (c + 1)) as f64).sqrt()).collect()).collect();
    round_trip(&ts, &cols);
}

/// Chunk format v1 fixture: these exact bytes must keep decoding to these samples. If the
/// encoder's output changes, that is a format change: bump the encoding tag instead.
#[test]
fn golden_v1_chunk() {
    let ts = [1_700_000_000_000i64, 1_700_000_010_000, 1_700_000_020_000, 1_700_000_030_005];
    let vals = [1.0f64, 1.0, 2.5, -0.0];
    let bytes = encode_v1(&ts, &[vals.to_vec()]);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, GOLDEN_V1);
    let (h, got_ts, got_vals) = decode_with(decode_chunk, &bytes, 1).unwrap();
    assert_eq!(h.samples, 4);
    assert_eq!(got_ts, ts);
    assert_eq!(got_vals, bits_of(&[vals.to_vec()]));
}

/// Drawn bit by bit in `docs/format/chunk.md`.
const GOLDEN_V1: &str = concat!(
    "0101040000000d0000000f000000", // tag 1, C = 1, N = 4, stream lengths 13 and 15
    "0068e5cf8b010000",             // t1 = 1700000000000
    "0371022900",                   // dods 10000, 0, 5
    "000000000000f03f",             // v1 = 1.0
    "0e4dff1f380130",               // repeat, new window, new window, padding
);

#[test]
fn decode_errors() {
    let good = encode_v1(&regular(10, 0, 10), &[vec![1.0; 10]]);
    let mut ts = Vec::new();
    let mut one = vec![Vec::new()];

    assert!(matches!(decode_chunk(&good[..3], &mut ts, &mut one), Err(CodecError::Truncated { .. })));
    assert!(matches!(decode_chunk(&good[..good.len() - 1], &mut ts, &mut one), Err(CodecError::Truncated { .. })));
    assert!(matches!(decode_chunk(&[], &mut ts, &mut one), Err(CodecError::Truncated { .. })));

    let mut bad = good.clone();
    bad[0] = 9;
    assert_eq!(decode_chunk(&bad, &mut ts, &mut one), Err(CodecError::UnknownEncoding(9)));
    assert_eq!(chunk_header(&bad), Err(CodecError::UnknownEncoding(9)));

    let mut bad = good.clone();
    bad[1] = 0;
    assert_eq!(chunk_header(&bad), Err(Corruption::ColumnCount(0).into()));
    bad[1] = 9;
    assert_eq!(chunk_header(&bad), Err(Corruption::ColumnCount(9).into()));

    let mut two = vec![Vec::new(), Vec::new()];
    assert_eq!(decode_chunk(&good, &mut ts, &mut two), Err(CodecError::ColumnMismatch { expected: 1, actual: 2 }));

    let mut long = good.clone();
    long.push(0);
    assert_eq!(chunk_len(&long), Ok(good.len()));
    assert!(chunk_header(&long).is_ok());
    assert_eq!(decode_chunk(&long, &mut ts, &mut one), Err(Corruption::TrailingBytes(1).into()));

    // More samples than the streams can hold.
    let mut bad = good.clone();
    bad[2] = 200;
    assert!(matches!(chunk_header(&bad), Err(CodecError::Corrupt(Corruption::StreamLength { .. }))));
    // A sample count that would need gigabytes is rejected before anything is allocated.
    let mut bad = good.clone();
    bad[2..6].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(chunk_header(&bad).is_err());

    // Non-zero padding after the last value (10 values: 64 + 9 bits, 7 bits of padding).
    let mut bad = good.clone();
    *bad.last_mut().unwrap() |= 0x80;
    assert_eq!(decode_chunk(&bad, &mut ts, &mut one), Err(Corruption::Padding(1).into()));

    // A value window of 31 leading zeros and 40 meaningful bits.
    let mut w = BitWriter::new();
    w.write_bits(0, 64);
    w.write_bits(0b11, 2);
    w.write_bits(31, 5);
    w.write_bits(40, 6);
    w.write_bits(0, 40);
    let values = w.finish();
    let mut chunk = vec![1, 1, 2, 0, 0, 0];
    let ts_stream = encode_v1(&[0, 0], &[vec![0.0; 2]])[14..23].to_vec();
    chunk.extend((ts_stream.len() as u32).to_le_bytes());
    chunk.extend((values.len() as u32).to_le_bytes());
    chunk.extend(&ts_stream);
    chunk.extend(&values);
    assert_eq!(decode_chunk(&chunk, &mut ts, &mut one), Err(Corruption::XorWindow.into()));
    assert!(reference::decode_chunk(&chunk, &mut ts, &mut one).is_err());
}

#[test]
#[should_panic(expected = "length differs")]
fn encode_rejects_ragged_columns() {
    encode_chunk(&[1, 2], &[&[1.0]], &mut Vec::new());
}

#[test]
#[should_panic(expected = "value columns")]
fn encode_rejects_no_columns() {
    encode_chunk(&[1, 2], &[], &mut Vec::new());
}

#[test]
fn encode_appends() {
    let mut out = vec![0xEE];
    encode_chunk(&[1, 2, 3], &[&[1.0, 2.0, 3.0]], &mut out);
    assert_eq!(out[0], 0xEE);
    assert_eq!(out[1..], encode(&[1, 2, 3], &[vec![1.0, 2.0, 3.0]]));
}

// ---------------------------------------------------------------------------------------------
// property tests

const MAX_SAMPLES: usize = 2000;

/// `scale` times the default case count (256, or `PROPTEST_CASES` for a deeper run).
pub(super) fn config(scale: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig { cases: default.cases * scale, ..default }
}

/// Timestamps of every shape the head can hand over.
pub(super) fn timestamps(n: usize) -> BoxedStrategy<Vec<i64>> {
    prop_oneof![
        // Anything at all.
        prop::collection::vec(any::<i64>(), n),
        // Regular with jitter, occasional gaps and repeats.
        (
            any::<i64>(),
            prop::sample::select(vec![1i64, 1000, 10_000, 60_000]),
            prop::collection::vec((-50i64..50, 0u8..100), n)
        )
            .prop_map(|(start, step, noise)| {
                let mut t = start;
                noise
                    .into_iter()
                    .map(|(jitter, event)| {
                        t = t.wrapping_add(match event {
                            0..=2 => 0,         // equal timestamps
                            3..=5 => step * 37, // a gap
                            6 => -step * 5,     // out of order
                            _ => step,
                        });
                        t.wrapping_add(jitter)
                    })
                    .collect()
            }),
        // Perfectly regular.
        (-(1i64 << 50)..(1i64 << 50), 1i64..100_000).prop_map(move |(s, d)| regular(n, s, d)),
        // Extremes.
        prop::collection::vec(prop::sample::select(vec![i64::MIN, i64::MAX, 0, -1, 1, i64::MIN + 1]), n),
    ]
    .boxed()
}

/// Values of every shape: random walks, decimals, constants, arbitrary bit patterns, specials.
pub(super) fn values(n: usize) -> BoxedStrategy<Vec<f64>> {
    let special =
        prop::sample::select(vec![0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::from_bits(1), f64::MAX]);
    prop_oneof![
        prop::collection::vec(any::<u64>().prop_map(f64::from_bits), n),
        prop::collection::vec(-3i64..=3, n).prop_map(|steps| {
            let mut v = 100i64;
            steps
                .into_iter()
                .map(|s| {
                    v += s;
                    v as f64
                })
                .collect()
        }),
        prop::collection::vec(-1.0f64..1.0, n).prop_map(|steps| {
            let mut v = 50.0f64;
            steps
                .into_iter()
                .map(|s| {
                    v += s;
                    (v * 100.0).round() / 100.0
                })
                .collect()
        }),
        (any::<f64>(), prop::collection::vec(0u8..20, n)).prop_map(|(c, changes)| {
            let mut v = c;
            changes
                .into_iter()
                .map(|k| {
                    if k == 0 {
                        v += 1.0;
                    }
                    v
                })
                .collect()
        }),
        prop::collection::vec(prop_oneof![special, any::<f64>(), any::<u64>().prop_map(f64::from_bits)], n),
    ]
    .boxed()
}

/// A chunk's worth of input: timestamps and `1..=max_cols` columns of the same length, at most
/// `max_samples` long (small sizes are drawn often, so edge cases get their share).
pub(super) fn chunk_input(max_samples: usize, max_cols: usize) -> impl Strategy<Value = (Vec<i64>, Vec<Vec<f64>>)> {
    (prop_oneof![0usize..8, 0usize..=max_samples], 1usize..=max_cols)
        .prop_flat_map(|(n, ncols)| (timestamps(n), prop::collection::vec(values(n), ncols)))
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn prop_round_trip_and_reference_bytes((ts, cols) in chunk_input(MAX_SAMPLES, 8)) {
        round_trip(&ts, &cols);
    }
}

proptest! {
    // Cheap cases: many of them.
    #![proptest_config(config(8))]

    #[test]
    fn prop_decode_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        decode_any(&bytes);
    }

    #[test]
    fn prop_decode_plausible_headers_never_panics(
        ncols in 1u8..=8,
        samples in prop_oneof![0u32..64, any::<u32>()],
        lens in prop::collection::vec(0u32..64, 9),
        body in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut bytes = vec![1, ncols];
        bytes.extend(samples.to_le_bytes());
        for len in &lens[..=usize::from(ncols)] {
            bytes.extend(len.to_le_bytes());
        }
        bytes.extend(body);
        decode_any(&bytes);
    }
}

proptest! {
    #![proptest_config(config(2))]

    #[test]
    fn prop_decode_mutated_chunks_never_panics(
        (ts, cols) in chunk_input(300, 3),
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
    fn prop_decode_truncated_chunks_fails(
        (ts, cols) in chunk_input(300, 2),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = encode(&ts, &cols);
        let cut = cut.index(bytes.len());
        let mut t = Vec::new();
        let mut c = vec![Vec::new(); cols.len()];
        prop_assert!(decode_chunk(&bytes[..cut], &mut t, &mut c).is_err());
    }
}
