use super::*;
use proptest::prelude::*;

/// The exact quantile under the sketch's rule: the first value (ascending) whose cumulative
/// weight reaches `target`; the last value if rounding leaves the target unreached.
fn exact_at(sorted: &[(f64, f64)], target: f64) -> f64 {
    let mut cumulative = 0.0;
    for &(v, w) in sorted {
        cumulative += w;
        if cumulative >= target {
            return v;
        }
    }
    sorted.last().unwrap().0
}

fn sorted(values: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut s = values.to_vec();
    s.sort_by(|a, b| a.0.total_cmp(&b.0));
    s
}

fn sketch_of(values: &[(f64, f64)]) -> Sketch {
    let mut s = Sketch::new();
    for &(v, w) in values {
        s.add(v, w);
    }
    s
}

/// Checks the DDSketch guarantee for `q`, allowing the exact quantile to be either neighbour
/// when the target rank sits on a boundary that float summation may place on either side.
fn check_quantile(values: &[(f64, f64)], q: f64) -> Result<(), TestCaseError> {
    let sketch = sketch_of(values);
    let est = sketch.quantile(q).unwrap();
    let s = sorted(values);
    let total: f64 = s.iter().map(|p| p.1).sum();
    let eps = 1e-9 * total;
    let lo = exact_at(&s, q * total - eps);
    let hi = exact_at(&s, q * total + eps);
    let alpha = sketch.relative_accuracy() * (1.0 + 1e-9);
    let min_ok = lo - alpha * lo.abs() - 1e-300;
    let max_ok = hi + alpha * hi.abs() + 1e-300;
    prop_assert!(
        min_ok <= est && est <= max_ok,
        "q={q} estimate {est} outside [{min_ok}, {max_ok}] (exact {lo}..{hi})"
    );
    Ok(())
}

/// Magnitudes within a factor γ^2048 ≈ 6e17 of each other, so no store collapses.
fn magnitude() -> impl Strategy<Value = f64> {
    prop_oneof![0.0..1000.0f64, (-20.0..20.0f64).prop_map(f64::exp), (0u32..200).prop_map(f64::from), Just(0.0),]
}

fn positive_values() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((magnitude(), Just(1.0)), 1..200)
}

fn signed_values() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((magnitude(), any::<bool>()).prop_map(|(m, neg)| (if neg { -m } else { m }, 1.0)), 1..200)
}

fn weighted_values() -> impl Strategy<Value = Vec<(f64, f64)>> {
    let weight = prop_oneof![(1u32..50).prop_map(f64::from), 0.001..100.0f64];
    prop::collection::vec(
        (magnitude(), any::<bool>(), weight).prop_map(|(m, neg, w)| (if neg { -m } else { m }, w)),
        1..150,
    )
}

/// Values whose magnitudes span far more than `MAX_BUCKETS` keys, to exercise collapsing.
fn wide_values() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec(
        ((-700.0..700.0f64).prop_map(f64::exp), any::<bool>(), 1u32..5)
            .prop_map(|(m, neg, w)| (if neg { -m } else { m }, f64::from(w))),
        1..100,
    )
}

fn quantiles() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), Just(0.5), Just(0.99), 0.0..=1.0f64]
}

proptest! {
    #[test]
    fn quantile_within_alpha_positive(values in positive_values(), q in quantiles()) {
        check_quantile(&values, q)?;
    }

    #[test]
    fn quantile_within_alpha_signed(values in signed_values(), q in quantiles()) {
        check_quantile(&values, q)?;
    }

    #[test]
    fn quantile_within_alpha_weighted(values in weighted_values(), q in quantiles()) {
        check_quantile(&values, q)?;
    }

    #[test]
    fn merge_equals_adding_all(a in wide_values(), b in wide_values(), c in signed_values()) {
        let mut merged = sketch_of(&a);
        merged.merge(&sketch_of(&b));
        merged.merge(&sketch_of(&c));
        let all: Vec<_> = a.iter().chain(&b).chain(&c).copied().collect();
        prop_assert_eq!(&merged, &sketch_of(&all));
        // Order-independent too.
        let mut other = sketch_of(&c);
        other.merge(&sketch_of(&b));
        other.merge(&sketch_of(&a));
        prop_assert_eq!(&merged, &other);
    }

    #[test]
    fn merge_fractional_weights_keeps_counts(a in weighted_values(), b in weighted_values()) {
        let mut merged = sketch_of(&a);
        merged.merge(&sketch_of(&b));
        let all: Vec<_> = a.iter().chain(&b).copied().collect();
        let direct = sketch_of(&all);
        let m: Vec<_> = merged.buckets().collect();
        let d: Vec<_> = direct.buckets().collect();
        prop_assert_eq!(m.len(), d.len());
        for (x, y) in m.iter().zip(&d) {
            prop_assert_eq!(x.0, y.0);
            prop_assert!((x.1 - y.1).abs() <= 1e-9 * y.1);
        }
    }

    #[test]
    fn collapsed_store_stays_bounded(values in wide_values()) {
        let s = sketch_of(&values);
        prop_assert!(s.positive.counts.len() <= MAX_BUCKETS);
        prop_assert!(s.negative.counts.len() <= MAX_BUCKETS);
        let total: f64 = values.iter().map(|p| p.1).sum();
        prop_assert_eq!(s.count(), total);
        // The top of each sign is never collapsed: the maximum stays within α.
        let max = values.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let est = s.quantile(1.0).unwrap();
        prop_assert!((est - max).abs() <= 0.0100001 * max.abs() + 1e-300);
    }

    #[test]
    fn encode_decode_round_trip(values in prop_oneof![weighted_values(), wide_values()],
                                alpha in prop_oneof![Just(0.01), 0.0001..0.5f64]) {
        let mut s = Sketch::with_relative_accuracy(alpha).unwrap();
        for &(v, w) in &values {
            s.add(v, w);
        }
        let mut buf = vec![0xAA];
        s.encode(&mut buf);
        buf.push(0x55);
        let mut c = Cursor::new(&buf[1..]);
        let back = Sketch::decode(&mut c).unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(c.bytes(1).unwrap(), &[0x55][..]);
        prop_assert!(c.is_empty());
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut c = Cursor::new(&bytes);
        if let Ok(s) = Sketch::decode(&mut c) {
            // Whatever decodes is canonical: it re-encodes to the bytes it was read from.
            let used = bytes.len() - c.remaining();
            let mut again = Vec::new();
            s.encode(&mut again);
            prop_assert_eq!(&again[..], &bytes[..used]);
            let _ = s.quantile(0.5);
        }
    }

    #[test]
    fn decode_never_panics_on_plausible_input(bytes in prop::collection::vec(any::<u8>(), 0..64),
                                              flags in 0u8..16) {
        let mut input = vec![FORMAT_VERSION, flags];
        input.extend_from_slice(&bytes);
        let mut c = Cursor::new(&input);
        let _ = Sketch::decode(&mut c);
    }
}

#[test]
fn empty_sketch() {
    let s = Sketch::new();
    assert!(s.is_empty());
    assert_eq!(s.count(), 0.0);
    assert_eq!(s.quantile(0.5), None);
    assert_eq!(s.buckets().count(), 0);
    let mut buf = Vec::new();
    s.encode(&mut buf);
    assert_eq!(buf, [FORMAT_VERSION, 0]);
    assert_eq!(Sketch::decode(&mut Cursor::new(&buf)).unwrap(), s);
}

#[test]
fn ignores_invalid_input() {
    let mut s = Sketch::new();
    s.add(f64::NAN, 1.0);
    s.add(f64::INFINITY, 1.0);
    s.add(1.0, 0.0);
    s.add(1.0, -1.0);
    s.add(1.0, f64::NAN);
    assert!(s.is_empty());
    s.add(1.0, 1.0);
    assert_eq!(s.quantile(-0.1), None);
    assert_eq!(s.quantile(1.1), None);
    assert_eq!(s.quantile(f64::NAN), None);
}

#[test]
fn one_to_a_thousand() {
    let mut s = Sketch::new();
    for v in 1..=1000 {
        s.add(f64::from(v), 1.0);
    }
    assert_eq!(s.count(), 1000.0);
    // Exact nearest-rank quantiles: p50 = 500, p99 = 990, p0 = 1, p100 = 1000.
    for (q, exact) in [(0.5, 500.0), (0.99, 990.0), (0.0, 1.0), (1.0, 1000.0)] {
        let est = s.quantile(q).unwrap();
        assert!((est - exact).abs() <= 0.0100001 * exact, "q={q}: {est} vs {exact}");
    }
}

#[test]
fn buckets_ascend_through_negatives_zero_and_positives() {
    let mut s = Sketch::new();
    for (v, w) in [(5.0, 1.0), (-5.0, 2.0), (0.0, 3.0), (-0.5, 1.0), (1e-320, 1.0), (50.0, 0.5)] {
        s.add(v, w);
    }
    let b: Vec<_> = s.buckets().collect();
    assert_eq!(b.len(), 5);
    assert!(b.windows(2).all(|w| w[0].0 < w[1].0), "{b:?}");
    // Zero bucket: the exact zero and the subnormal.
    assert_eq!(b[2], (0.0, 4.0));
    assert!((b[0].0 + 5.0).abs() <= 0.05 && b[0].1 == 2.0);
    assert!(s.has_negative());
    assert_eq!(s.count(), 8.5);
    // Ranks: -5 (2), -0.5 (1), 0 (4), 5 (1), 50 (0.5); total 8.5.
    assert!((s.quantile(0.0).unwrap() + 5.0).abs() <= 0.05);
    assert!((s.quantile(0.3).unwrap() + 0.5).abs() <= 0.005); // target 2.55 → -0.5
    assert_eq!(s.quantile(0.5).unwrap(), 0.0); // target 4.25 → 0
    assert!((s.quantile(1.0).unwrap() - 50.0).abs() <= 0.5);
}

#[test]
fn representatives_are_within_alpha_of_bucket_bounds() {
    let m = Mapping::new(DEFAULT_RELATIVE_ACCURACY);
    for key in [m.min_key + 1, -1000, -1, 0, 1, 17, 1000, m.max_key - 1] {
        let upper = (f64::from(key) * m.ln_gamma).exp();
        let lower = upper / m.ln_gamma.exp();
        let rep = m.value(key);
        assert!((rep - upper).abs() <= 0.01 * upper * (1.0 + 1e-9), "key {key}");
        assert!((rep - lower).abs() <= 0.01 * lower * (1.0 + 1e-9), "key {key}");
    }
    assert!(m.value(m.max_key).is_finite());
    assert_eq!(m.key(f64::MAX), m.max_key);
    assert_eq!(m.key(MIN_INDEXABLE), m.min_key);
}

#[test]
fn extreme_magnitudes() {
    let mut s = Sketch::new();
    for v in [f64::MAX, -f64::MAX, f64::MIN_POSITIVE, 2f64.powi(360), -(2f64.powi(-360))] {
        s.add(v, 1.0);
    }
    let mut buf = Vec::new();
    s.encode(&mut buf);
    let back = Sketch::decode(&mut Cursor::new(&buf)).unwrap();
    assert_eq!(back, s);
    assert!(back.buckets().all(|(v, _)| v.is_finite()));
    let top = s.quantile(1.0).unwrap();
    assert!(top.is_finite() && top >= f64::MAX / 1.02);
}

#[test]
fn collapse_folds_the_lowest_keys() {
    let mut s = Sketch::new();
    s.add(1e-200, 1.0);
    s.add(1e-100, 2.0);
    s.add(1.0, 3.0);
    // 1e-200 and 1e-100 lie more than 2048 keys below 1.0 (γ^2048 ≈ 6e17): both fold into the
    // lowest kept key, 2047 keys below key(1.0) = 0.
    assert_eq!(s.positive.counts.len(), MAX_BUCKETS);
    assert_eq!(s.positive.offset, -(MAX_BUCKETS as i32 - 1));
    let b: Vec<_> = s.buckets().collect();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].1, 3.0);
    assert!((b[1].0 - 1.0).abs() <= 0.0100001);
    // Adding below the floor lands on the floor.
    s.add(1e-300, 1.0);
    assert_eq!(s.buckets().next().unwrap().1, 4.0);
    // Negative store: the most negative values collapse.
    let mut n = Sketch::new();
    n.add(-1e200, 1.0);
    n.add(-1.0, 1.0);
    assert_eq!(n.negative.counts.len(), MAX_BUCKETS);
    assert!((n.quantile(1.0).unwrap() + 1.0).abs() <= 0.0100001);
}

#[test]
fn merge_across_accuracies_is_approximate_but_keeps_weight() {
    let mut a = Sketch::new();
    let mut b = Sketch::with_relative_accuracy(0.05).unwrap();
    for v in 1..=100 {
        a.add(f64::from(v), 1.0);
        b.add(f64::from(v), 2.0);
    }
    a.merge(&b);
    assert_eq!(a.count(), 300.0);
    let p50 = a.quantile(0.5).unwrap();
    assert!((p50 - 50.0).abs() <= 0.07 * 50.0, "{p50}");
}

#[test]
fn counts_encode_compactly() {
    let mut s = Sketch::new();
    s.add(1.0, 1.0);
    let mut buf = Vec::new();
    s.encode(&mut buf);
    // version, flags, n=1, key 0, count 1 → 5 bytes.
    assert_eq!(buf, [FORMAT_VERSION, FLAG_POSITIVE, 1, 0, 2]);
    let mut f = Sketch::new();
    f.add(1.0, 0.5);
    let mut buf = Vec::new();
    f.encode(&mut buf);
    assert_eq!(buf.len(), 5 + 8);
    // A fractional-path count that is integral is not canonical.
    let mut bad = vec![FORMAT_VERSION, FLAG_POSITIVE, 1, 0, 1];
    bad.extend_from_slice(&2.0f64.to_bits().to_le_bytes());
    assert!(Sketch::decode(&mut Cursor::new(&bad)).is_err());
    // Unknown version, unknown flags, a zero count, an empty store.
    for bad in [&[2u8, 0][..], &[1, 0x10], &[1, FLAG_ZERO, 0], &[1, FLAG_POSITIVE, 0]] {
        assert!(Sketch::decode(&mut Cursor::new(bad)).is_err(), "{bad:?}");
    }
}

/// A TSBS-style clamped random walk (start uniform in [0, 100], steps normal(0, 1), clamped),
/// with a small deterministic generator so the figures in the design doc can be reproduced.
fn random_walk(n: usize, seed: u64, shape: fn(f64) -> f64) -> Vec<f64> {
    let mut state = seed;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut v = next() * 100.0;
    (0..n)
        .map(|_| {
            let (u1, u2) = (next().max(1e-300), next());
            let step = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            v = (v + step).clamp(0.0, 100.0);
            shape(v)
        })
        .collect()
}

/// Encoded sizes quoted in `docs/design/2026-11-22-sketch.md`
/// (`cargo test -p stratus-engine --lib metrics::sketch::tests::random_walk_sizes -- --nocapture`).
#[test]
fn random_walk_sizes() {
    type Shape = (&'static str, fn(f64) -> f64);
    let shapes: [Shape; 3] = [("tsbs", f64::trunc), ("round2", |v| (v * 100.0).round() / 100.0), ("float", |v| v)];
    for (name, shape) in shapes {
        for n in [6, 360, 1_000, 100_000] {
            let values = random_walk(n, 42, shape);
            let mut s = Sketch::new();
            for &v in &values {
                s.add(v, 1.0);
            }
            let mut buf = Vec::new();
            s.encode(&mut buf);
            println!("{name:>6} n={n:>6}: {} buckets, {} bytes", s.buckets().count(), buf.len());
            // Tiny values next to the clamp at 0 add keys below 1; each key costs ≤ 4 bytes.
            assert!(buf.len() <= 2 + 3 + 4 * 400, "{name} {n}: {}", buf.len());
            let pairs: Vec<_> = values.iter().map(|&v| (v, 1.0)).collect();
            let p99 = exact_at(&sorted(&pairs), 0.99 * n as f64);
            assert!((s.quantile(0.99).unwrap() - p99).abs() <= 0.0100001 * p99);
        }
    }
}

/// The worked example of `docs/format/sketch.md`, byte for byte.
#[test]
fn format_doc_example() {
    let mut s = Sketch::new();
    s.add(0.0, 3.0);
    s.add(5.0, 1.0);
    s.add(-5.0, 2.0);
    s.add(5.04, 1.0);
    s.add(100.0, 0.5);
    let mut buf = Vec::new();
    s.encode(&mut buf);
    let want = [
        0x01, 0x0E, // version 1; flags: zero, negative, positive
        0x06, // zero bucket: 3
        0x01, 0xA1, 0x01, 0x04, // negative store: 1 bucket, key -81, count 2
        0x02, 0xA2, 0x01, 0x04, // positive store: 2 buckets, key 81, count 2
        0x95, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // gap 149 (key 231), 0.5
    ];
    assert_eq!(buf, want);
    assert_eq!(Sketch::decode(&mut Cursor::new(&want)).unwrap(), s);
}
