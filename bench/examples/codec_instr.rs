//! A fixed amount of codec work for instruction counting, which is stable on a shared machine
//! where wall-clock benches are not:
//!
//! ```text
//! cargo build --release -p stratus-bench --example codec_instr
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/codec_instr SHAPE MODE N ROUNDS
//! ```
//!
//! SHAPE is `tsbs`, `round2` or `float` (the TSBS walks of `benches/codec.rs`), MODE `encode`,
//! `decode`, `setup` (data and one encode only, to subtract) or `time` (a quick wall-clock look), N the chunk size. The work is
//! ROUNDS encodes or decodes of one chunk of regular 10 s timestamps and one value column;
//! instructions per sample = (MODE's count - setup's count) / (ROUNDS * N).

use std::hint::black_box;

use stratus_engine::codec::{decode_chunk, encode_chunk};

/// splitmix64, as in `benches/codec.rs`, so the data matches the bench's.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, shape, mode, n, rounds] = args.as_slice() else {
        eprintln!("usage: codec_instr tsbs|round2|float encode|decode|setup N ROUNDS");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N");
    let rounds: usize = rounds.parse().expect("ROUNDS");
    let mut rng = Rng(0x5EED ^ n as u64);
    let mut v = rng.unit() * 100.0;
    let walk: Vec<f64> = (0..n)
        .map(|_| {
            v = (v + rng.normal()).clamp(0.0, 100.0);
            v
        })
        .collect();
    let values: Vec<f64> = match shape.as_str() {
        "tsbs" => walk.iter().map(|v| v.trunc()).collect(),
        "round2" => walk.iter().map(|v| (v * 100.0).round() / 100.0).collect(),
        "float" => walk,
        other => panic!("unknown shape {other}"),
    };
    let ts: Vec<i64> = (0..n as i64).map(|i| 1_700_000_000_000 + i * 10_000).collect();
    let cols: [&[f64]; 1] = [&values];
    let mut bytes = Vec::new();
    encode_chunk(&ts, &cols, &mut bytes);
    let mut dts = Vec::with_capacity(n);
    let mut dcols = vec![Vec::with_capacity(n)];
    match mode.as_str() {
        "setup" => {}
        "encode" => {
            let mut out = Vec::with_capacity(bytes.len());
            for _ in 0..rounds {
                out.clear();
                encode_chunk(black_box(&ts), black_box(&cols), &mut out);
                black_box(&out);
            }
        }
        "decode" => {
            for _ in 0..rounds {
                decode_chunk(black_box(&bytes), &mut dts, &mut dcols).expect("decode");
                black_box((&dts, &dcols));
            }
        }
        "time" => {
            // Wall-clock M samples/s, best of 7 batches of ROUNDS: a quick look only; the
            // figures of record come from criterion and callgrind.
            let mut out = Vec::with_capacity(bytes.len());
            let best = |f: &mut dyn FnMut()| {
                (0..7)
                    .map(|_| {
                        let t = std::time::Instant::now();
                        for _ in 0..rounds {
                            f();
                        }
                        (rounds * n) as f64 / t.elapsed().as_secs_f64() / 1e6
                    })
                    .fold(0.0, f64::max)
            };
            let enc = best(&mut || {
                out.clear();
                encode_chunk(black_box(&ts), black_box(&cols), &mut out);
                black_box(&out);
            });
            let dec = best(&mut || {
                decode_chunk(black_box(&bytes), &mut dts, &mut dcols).expect("decode");
                black_box((&dts, &dcols));
            });
            println!("{shape} n={n}: encode {enc:.0} M/s, decode {dec:.0} M/s");
        }
        other => panic!("unknown mode {other}"),
    }
    println!("{} bytes, {:.3} bytes/sample", bytes.len(), bytes.len() as f64 / n as f64);
}
