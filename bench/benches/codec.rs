//! Codec throughput and size: chunk encode/decode (`encode_chunk`, which picks the best
//! encoding per stream, vs the `bitvec` reference of format v1) on several value shapes — the
//! three TSBS shapes of `shared/spec/benchmarks.md` at 1,024 samples, and synthetic walks —
//! and raw bit writing (hand-rolled `BitWriter` vs `BitVec`).
//!
//! `cargo bench -p stratus-bench --bench codec -- --quick`; the `size …` lines give bytes per
//! sample. Figures go in `docs/design/2026-11-22-bit-writer.md` (bit I/O) and
//! `docs/design/2026-11-22-value-encoding.md` (encodings, sizes).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stratus_engine::codec::reference::{self, BitVecReader, BitVecWriter};
use stratus_engine::codec::{BitReader, BitWriter, decode_chunk, encode_chunk};

/// splitmix64: a tiny deterministic generator, so the data is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

/// Makes `n` values of one shape.
type Shape = fn(&mut Rng, usize) -> Vec<f64>;

/// The value shapes: name and generator.
const SHAPES: [(&str, Shape); 7] = [
    ("tsbs", tsbs),
    ("tsbs_round2", tsbs_round2),
    ("tsbs_float", tsbs_float),
    ("int_walk", int_walk),
    ("decimal2_walk", decimal2_walk),
    ("full_float", full_float),
    ("constant", constant),
];

/// The TSBS cpu-only walk (`shared/spec/benchmarks.md`): start uniform in [0, 100], steps
/// normal(0, 1), clamped to [0, 100].
fn tsbs_walk(rng: &mut Rng, n: usize) -> impl Iterator<Item = f64> + '_ {
    let mut v = rng.unit() * 100.0;
    (0..n).map(move |_| {
        v = (v + rng.normal()).clamp(0.0, 100.0);
        v
    })
}

/// TSBS `tsbs` values: the walk truncated to an integer.
fn tsbs(rng: &mut Rng, n: usize) -> Vec<f64> {
    tsbs_walk(rng, n).map(f64::trunc).collect()
}

/// TSBS `round2` values: the walk rounded to 2 decimals.
fn tsbs_round2(rng: &mut Rng, n: usize) -> Vec<f64> {
    tsbs_walk(rng, n).map(|v| (v * 100.0).round() / 100.0).collect()
}

/// TSBS `float` values: the walk at full precision.
fn tsbs_float(rng: &mut Rng, n: usize) -> Vec<f64> {
    tsbs_walk(rng, n).collect()
}

/// A random walk of integers, steps in -3..=3 (counters, gauges of whole things).
fn int_walk(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut v = 1000i64;
    (0..n)
        .map(|_| {
            v += (rng.next() % 7) as i64 - 3;
            v as f64
        })
        .collect()
}

/// A random walk rounded to 2 decimals (percentages, latencies in ms).
fn decimal2_walk(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut v = 50.0f64;
    (0..n)
        .map(|_| {
            v += rng.unit() - 0.5;
            (v * 100.0).round() / 100.0
        })
        .collect()
}

/// A random walk at full precision (computed ratios, averages).
fn full_float(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut v = 50.0f64;
    (0..n)
        .map(|_| {
            v += rng.unit() - 0.5;
            v
        })
        .collect()
}

/// A value that never changes (error counts, up/down gauges): the best case, runs of `0` codes.
fn constant(_: &mut Rng, n: usize) -> Vec<f64> {
    vec![1.0; n]
}

/// Regular 10 s timestamps in milliseconds.
fn regular_10s(n: usize) -> Vec<i64> {
    (0..n as i64).map(|i| 1_700_000_000_000 + i * 10_000).collect()
}

const SIZES: [usize; 4] = [120, 1000, 1024, 4096];

fn chunk_benches(c: &mut Criterion) {
    for (shape, make) in SHAPES {
        let mut g = c.benchmark_group(format!("chunk/{shape}"));
        for n in SIZES {
            let mut rng = Rng(0x5EED ^ n as u64);
            let ts = regular_10s(n);
            let values = make(&mut rng, n);
            let cols: [&[f64]; 1] = [&values];
            let mut bytes = Vec::new();
            encode_chunk(&ts, &cols, &mut bytes);
            let mut v1_bytes = Vec::new();
            reference::encode_chunk(&ts, &cols, &mut v1_bytes);
            println!(
                "size chunk/{shape}/{n}: {} bytes, {:.3} bytes/sample (format v{}; v1 would be {:.3})",
                bytes.len(),
                bytes.len() as f64 / n as f64,
                bytes[0],
                v1_bytes.len() as f64 / n as f64,
            );
            g.throughput(Throughput::Elements(n as u64));

            let mut out = Vec::with_capacity(bytes.len());
            g.bench_with_input(BenchmarkId::new("encode", n), &n, |b, _| {
                b.iter(|| {
                    out.clear();
                    encode_chunk(black_box(&ts), black_box(&cols), &mut out);
                    black_box(&out);
                });
            });
            g.bench_with_input(BenchmarkId::new("encode_bitvec", n), &n, |b, _| {
                b.iter(|| {
                    out.clear();
                    reference::encode_chunk(black_box(&ts), black_box(&cols), &mut out);
                    black_box(&out);
                });
            });

            let mut dts = Vec::with_capacity(n);
            let mut dcols = vec![Vec::with_capacity(n)];
            decode_chunk(&bytes, &mut dts, &mut dcols).unwrap();
            assert!(dts == ts && dcols[0].iter().map(|v| v.to_bits()).eq(values.iter().map(|v| v.to_bits())));
            g.bench_with_input(BenchmarkId::new("decode", n), &n, |b, _| {
                b.iter(|| {
                    decode_chunk(black_box(&bytes), &mut dts, &mut dcols).unwrap();
                    black_box((&dts, &dcols));
                });
            });
            g.bench_with_input(BenchmarkId::new("decode_bitvec", n), &n, |b, _| {
                b.iter(|| {
                    reference::decode_chunk(black_box(&v1_bytes), &mut dts, &mut dcols).unwrap();
                    black_box((&dts, &dcols));
                });
            });
        }
        g.finish();
    }
}

/// Raw bit writing and reading: 1000 fields of 1..=64 bits.
fn bit_benches(c: &mut Criterion) {
    let mut rng = Rng(42);
    let fields: Vec<(u64, u32)> = (0..1000)
        .map(|_| {
            let nbits = (rng.next() % 64) as u32 + 1;
            (rng.next() >> (64 - nbits), nbits)
        })
        .collect();
    let total_bits: u64 = fields.iter().map(|&(_, n)| u64::from(n)).sum();
    let mut g = c.benchmark_group("bits");
    g.throughput(Throughput::Elements(fields.len() as u64));
    g.bench_function("write_bits", |b| {
        b.iter(|| {
            let mut w = BitWriter::with_capacity(total_bits.div_ceil(8) as usize);
            for &(v, n) in black_box(&fields) {
                w.write_bits(v, n);
            }
            black_box(w.finish())
        });
    });
    g.bench_function("write_bits_bitvec", |b| {
        b.iter(|| {
            let mut w = BitVecWriter::with_capacity(total_bits.div_ceil(8) as usize);
            for &(v, n) in black_box(&fields) {
                w.write_bits(v, n);
            }
            black_box(w.finish())
        });
    });
    let mut w = BitWriter::new();
    for &(v, n) in &fields {
        w.write_bits(v, n);
    }
    let bytes = w.finish();
    g.bench_function("read_bits", |b| {
        b.iter(|| {
            let mut r = BitReader::new(black_box(&bytes));
            let mut acc = 0u64;
            for &(_, n) in &fields {
                acc ^= r.read_bits(n).unwrap();
            }
            black_box(acc)
        });
    });
    g.bench_function("read_bits_bitvec", |b| {
        b.iter(|| {
            let mut r = BitVecReader::new(black_box(&bytes));
            let mut acc = 0u64;
            for &(_, n) in &fields {
                acc ^= r.read_bits(n).unwrap();
            }
            black_box(acc)
        });
    });
    g.finish();
}

criterion_group!(benches, chunk_benches, bit_benches);
criterion_main!(benches);
