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
