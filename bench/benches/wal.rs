//! WAL group commit on the real disk: `submit` + `wait` of batches of 18,000 samples × 16
//! bytes (288,000 payload bytes, one record) from 1, 4 and 16 threads, `Durability::Sync`
//! (every acknowledged batch is fsynced).
//!
//! `cargo bench -p stratus-bench --bench wal`. The WAL lives in a temporary directory under
//! cargo's target tmpdir (a real disk, not tmpfs); set `STRATUS_BENCH_DIR` to bench another
//! disk. One iteration = every thread commits one batch, so throughput is per iteration ×
//! threads. Figures go in `docs/design/2026-11-22-durability.md`.

use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stratus_engine::durable::{Durability, RealFs, Wal, WalBatch, WalConfig};

const SAMPLES: usize = 18_000;
const SAMPLE_BYTES: usize = 16;

/// One batch: a single record of `SAMPLES` pseudo-random 16-byte samples.
fn batch() -> WalBatch {
    let mut payload = Vec::with_capacity(SAMPLES * SAMPLE_BYTES);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..SAMPLES * SAMPLE_BYTES / 8 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        payload.extend_from_slice(&x.to_le_bytes());
    }
    let mut b = WalBatch::with_capacity(payload.len() + 8);
    b.push_record(&payload).expect("288 KB is below the record limit");
    b
}

fn bench_root() -> PathBuf {
    std::env::var_os("STRATUS_BENCH_DIR").map_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")), PathBuf::from)
}

fn submit_wait(c: &mut Criterion) {
    let root = bench_root();
    std::fs::create_dir_all(&root).expect("bench dir");
    let batch = batch();
    let mut group = c.benchmark_group("wal_sync_submit_wait");
    group.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(8));
    for threads in [1usize, 4, 16] {
        let tmp = tempfile::tempdir_in(&root).expect("temp dir");
        let config = WalConfig { durability: Durability::Sync, ..WalConfig::new(tmp.path().join("wal")) };
        let wal = Wal::open(Arc::new(RealFs), config).expect("open wal");
        group.throughput(Throughput::Bytes((threads * batch.len_bytes()) as u64));
        group.bench_function(BenchmarkId::new("bytes", threads), |b| {
            b.iter_custom(|iters| run(&wal, &batch, threads, iters))
        });
        group.throughput(Throughput::Elements((threads * SAMPLES) as u64));
        group.bench_function(BenchmarkId::new("samples", threads), |b| {
            b.iter_custom(|iters| run(&wal, &batch, threads, iters))
        });
        let stats = wal.stats();
        eprintln!(
            "wal {threads} thread(s): {} batches, {} fsyncs ({:.2} batches per fsync), {} segments",
            stats.batches,
            stats.syncs,
            stats.batches as f64 / stats.syncs.max(1) as f64,
            stats.segments_created
        );
        wal.close().expect("close wal");
    }
    group.finish();
}

/// `threads` threads each commit `iters` batches; returns the wall time. Old segments are
/// removed afterwards (untimed) so the disk does not fill up.
fn run(wal: &Wal, batch: &WalBatch, threads: usize, iters: u64) -> Duration {
    let start_line = Barrier::new(threads + 1);
    let start = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start_line.wait();
                for _ in 0..iters {
                    loop {
                        match wal.submit(batch.clone()) {
                            Ok(ticket) => {
                                ticket.wait().expect("commit");
                                break;
                            }
                            Err(stratus_engine::durable::WalError::Full) => std::thread::yield_now(),
                            Err(e) => panic!("submit: {e}"),
                        }
                    }
                }
            });
        }
        start_line.wait();
        Instant::now()
    });
    // The scope returned only after joining every thread.
    let elapsed = start.elapsed();
    wal.remove_segments_before(wal.current_segment()).expect("remove old segments");
    elapsed
}

criterion_group!(benches, submit_wait);
criterion_main!(benches);
