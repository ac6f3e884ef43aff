use std::path::Path;
use std::sync::Arc;

use crate::durable::{FileSystem, RealFs, SimFs};
use crate::metrics::chunk;
use crate::metrics::model::{Dimension, MetricKey, Resolution, Tenant, Unit};
use crate::metrics::record::SampleBuf;
use crate::metrics::series::{SampleClass, StreamKey};

use super::{BlockReader, BlockWriter, file_name, parse_file_name};

fn key(name: &str, class: SampleClass) -> StreamKey {
    StreamKey {
        tenant: Tenant::default(),
        metric: MetricKey::new("NS", name, vec![Dimension::new("host", "a")]),
        unit: Unit::Count,
        class,
        resolution: Resolution::High,
    }
}

fn write_sample_block(fs: &dyn FileSystem, dir: &Path) -> (StreamKey, StreamKey) {
    let raw = key("raw", SampleClass::Raw);
    let set = key("set", SampleClass::Set);
    let mut rb = SampleBuf::default();
    for i in 0..100 {
        rb.push_raw(i * 10_000, i as f64 * 0.5, 1.0);
    }
    let mut sb = SampleBuf::default();
    sb.push_set(5_000, 3.0, 6.0, 1.0, 3.0);
    let (mut rc, mut sc) = (Vec::new(), Vec::new());
    chunk::encode(SampleClass::Raw, &rb, &mut rc);
    chunk::encode(SampleClass::Set, &sb, &mut sc);
    let mut w = BlockWriter::new(fs, dir, 7).unwrap();
    let mut streams = [(raw.id(), &raw, 0, 990_000, 100u32, rc), (set.id(), &set, 5_000, 5_000, 1, sc)];
    streams.sort_by_key(|s| s.0);
    for (id, k, a, b, n, bytes) in &streams {
        w.add_stream(*id, k, [(*a, *b, *n, bytes.as_slice())]).unwrap();
    }
    let meta = w.finish(0, 3, vec![1, 2], 0).unwrap();
    assert_eq!(meta.samples, 101);
    (raw, set)
}

#[test]
fn write_then_read_through_mmap() {
    let dir = tempfile::tempdir().unwrap();
    let (raw, set) = write_sample_block(&RealFs, dir.path());
    let r = BlockReader::open(&RealFs, &dir.path().join(file_name(7))).unwrap();
    assert_eq!((r.meta.id, r.meta.wal_seq, r.meta.parents.clone()), (7, 3, vec![1, 2]));
    assert_eq!((r.meta.min_t, r.meta.max_t), (0, 990_000));
    let s = &r.streams[&raw.id()];
    assert_eq!(*s.key, raw);
    let (mut scratch, mut out) = (SampleBuf::default(), SampleBuf::default());
    BlockReader::verify(&r.path, &s.chunks[0], 0).unwrap();
    chunk::decode_append(SampleClass::Raw, s.chunks[0].bytes.bytes(), &mut scratch, &mut out).unwrap();
    assert_eq!(out.len(), 100);
    assert_eq!(out.cols[0][99], 49.5);
    assert_eq!(out.cols[1][0], 1.0);
    let s = &r.streams[&set.id()];
    out.clear();
    chunk::decode_append(SampleClass::Set, s.chunks[0].bytes.bytes(), &mut scratch, &mut out).unwrap();
    assert_eq!(out.cols[3], vec![3.0]);
    assert_eq!(parse_file_name(&file_name(7)), Some(7));
    assert_eq!(parse_file_name("0000000000000007.blk.tmp"), None);
}

#[test]
fn corruption_is_an_error_naming_file_and_offset() {
    let fs = SimFs::new();
    let dir = Path::new("/b");
    fs.create_dir_all(dir).unwrap();
    write_sample_block(&*fs, dir);
    let path = dir.join(file_name(7));
    let good = fs.read(&path).unwrap();
    // Flip every byte in turn: opening or verifying chunks must fail, never panic, and a chunk
    // byte flip must be caught by the chunk CRC.
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x5a;
        let r = BlockReader::from_bytes(&path, crate::durable::ReadOnlyBytes::from(bad));
        match r {
            Err(e) => assert!(e.to_string().contains("/b/0000000000000007.blk"), "{e}"),
            Ok(r) => {
                let any_bad = r
                    .streams
                    .values()
                    .flat_map(|s| s.chunks.iter())
                    .any(|c| BlockReader::verify(&r.path, c, 0).is_err());
                assert!(any_bad, "flip at {i} went unnoticed");
            }
        }
    }
    for cut in [0, 10, good.len() / 2, good.len() - 1] {
        let r = BlockReader::from_bytes(&path, crate::durable::ReadOnlyBytes::from(good[..cut].to_vec()));
        assert!(r.is_err(), "truncation at {cut}");
    }
    let _ = Arc::strong_count(&fs);
}

/// Writes a v3 block of `streams` streams with awkward chunk lists (overlapping, extreme and
/// equal timestamps, sketch blobs in a rollup block) and returns its bytes and what it holds.
/// A stream's key and its chunks as (min_t, max_t, samples, bytes).
type TestStream = (StreamKey, Vec<(i64, i64, u32, Vec<u8>)>);

fn awkward_block(fs: &dyn FileSystem, dir: &Path, tier: u32) -> Vec<TestStream> {
    let times: [(i64, i64); 6] = [
        (1_795_305_600_000, 1_795_305_700_000),
        (1_795_305_650_000, 1_795_305_650_000),
        (i64::MIN, i64::MIN + 1),
        (i64::MAX - 5, i64::MAX),
        (i64::MIN, i64::MAX),
        (-5, 7),
    ];
    let mut streams: Vec<TestStream> = (0..40)
        .map(|i| {
            let dims = (0..i % 12).map(|d| Dimension::new(format!("k{d}"), format!("v{}", (i * d) % 7))).collect();
            let key = StreamKey {
                tenant: Tenant { account: format!("acct{}", i % 3), region: "eu-west-1".into() },
                metric: MetricKey::new(format!("NS/{}", i % 4), format!("m{i}"), dims),
                unit: Unit::Count,
                class: if tier == 0 { SampleClass::Raw } else { SampleClass::Set },
                resolution: Resolution::High,
            };
            let chunks = (0..1 + i % 5)
                .map(|c| {
                    let (a, b) = times[(i + c) % times.len()];
                    let bytes: Vec<u8> = (0..(i * 7 + c) % 300).map(|x| x as u8).collect();
                    (a, b, (i * 1000 + c) as u32, bytes)
                })
                .collect();
            (key, chunks)
        })
        .collect();
    streams.sort_by_key(|s| s.0.id());
    let mut w = BlockWriter::new(fs, dir, 9).unwrap();
    for (key, chunks) in &streams {
        let sketch = if tier == 0 { &[][..] } else { &[1u8, 2, 3][..] };
        w.add_stream_with_sketches(key.id(), key, chunks.iter().map(|(a, b, n, c)| (*a, *b, *n, c.as_slice(), sketch)))
            .unwrap();
    }
    w.finish(2, 11, vec![3, 4, 5], tier).unwrap();
    streams
}

#[test]
fn v3_index_round_trips_awkward_streams() {
    for tier in [0, 300] {
        let dir = tempfile::tempdir().unwrap();
        let streams = awkward_block(&RealFs, dir.path(), tier);
        let r = BlockReader::open(&RealFs, &dir.path().join(file_name(9))).unwrap();
        assert_eq!((r.meta.level, r.meta.wal_seq, r.meta.tier, r.meta.parents.clone()), (2, 11, tier, vec![3, 4, 5]));
        assert_eq!((r.meta.min_t, r.meta.max_t), (i64::MIN, i64::MAX));
        assert_eq!(r.streams.len(), streams.len());
        for (key, chunks) in &streams {
            let s = &r.streams[&key.id()];
            assert_eq!(*s.key, *key);
            assert_eq!(s.chunks.len(), chunks.len());
            for ((c, sk), (a, b, n, bytes)) in s.chunks.iter().zip(&s.sketches).zip(chunks) {
                assert_eq!((c.min_t, c.max_t, c.samples), (*a, *b, *n));
                assert_eq!(c.bytes.bytes(), bytes.as_slice());
                assert_eq!(sk.1, if tier == 0 { 0 } else { 3 });
                BlockReader::verify(&r.path, c, sk.1).unwrap();
            }
        }
    }
}

#[test]
fn empty_v3_block_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let meta = BlockWriter::new(&RealFs, dir.path(), 1).unwrap().finish(0, 1, vec![], 0).unwrap();
    assert_eq!((meta.samples, meta.min_t, meta.max_t), (0, 0, 0));
    let r = BlockReader::open(&RealFs, &dir.path().join(file_name(1))).unwrap();
    assert!(r.streams.is_empty());
}

proptest::proptest! {
    /// A damaged index whose checksum was made to match anyway (so the parser, not the CRC,
    /// must cope): opening fails or succeeds, never panics, and any chunk it hands out lies
    /// inside the chunk data region.
    #[test]
    fn v3_index_parser_never_panics(edits in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..8), cut in proptest::prelude::any::<usize>(), truncate in proptest::prelude::any::<bool>()) {
        let fs = SimFs::new();
        let dir = Path::new("/p");
        fs.create_dir_all(dir).unwrap();
        awkward_block(&*fs, dir, 300);
        let path = dir.join(file_name(9));
        let good = fs.read(&path).unwrap();
        let n = good.len();
        let index_off = u64::from_le_bytes(good[n - 32..n - 24].try_into().unwrap()) as usize;
        let mut index = good[index_off..n - 32].to_vec();
        for (at, v) in &edits {
            let i = at % index.len();
            index[i] = *v;
        }
        if truncate {
            index.truncate(cut % (index.len() + 1));
        }
        let mut bad = good[..index_off].to_vec();
        bad.extend_from_slice(&index);
        bad.extend_from_slice(&(index_off as u64).to_le_bytes());
        bad.extend_from_slice(&(index.len() as u64).to_le_bytes());
        bad.extend_from_slice(&crc32fast::hash(&index).to_le_bytes());
        bad.extend_from_slice(&good[n - 12..]);
        if let Ok(r) = BlockReader::from_bytes(&path, crate::durable::ReadOnlyBytes::from(bad)) {
            for s in r.streams.values() {
                for (c, sk) in s.chunks.iter().zip(&s.sketches) {
                    let _ = BlockReader::verify(&r.path, c, sk.1);
                    proptest::prop_assert!(sk.0 + sk.1 <= index_off);
                    proptest::prop_assert!(c.min_t <= c.max_t);
                }
            }
        }
    }
}
