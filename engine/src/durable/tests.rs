//! Long tests of `durable`: group commit, replay across rotations, torn tails, crash points
//! under [`SimFs`], atomic publication under crashes, fault injection, durability policies.
//! Every wait is bounded.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};
use std::{io, thread};

use super::*;

const WAIT: Duration = Duration::from_secs(20);

fn wal_dir() -> PathBuf {
    PathBuf::from("/data/wal")
}

fn config(dir: &Path, segment_bytes: u64, durability: Durability) -> WalConfig {
    WalConfig { dir: dir.to_owned(), segment_bytes, durability, queue_depth: 64 }
}

/// A self-checking payload: the sequence number, then `seq`-derived filler of varying length.
fn payload(seq: u64) -> Vec<u8> {
    let filler = (seq.wrapping_mul(37) % 300) as usize;
    let mut v = seq.to_le_bytes().to_vec();
    v.extend((0..filler).map(|i| (seq as u8).wrapping_add(i as u8)));
    v
}

/// The sequence number of a payload made by [`payload`], `None` for anything else.
fn decode(p: &[u8]) -> Option<u64> {
    let seq = u64::from_le_bytes(p.get(..8)?.try_into().ok()?);
    (payload(seq) == p).then_some(seq)
}

fn wait(t: CommitTicket) -> Result<(), WalError> {
    t.wait_timeout(WAIT).expect("commit ticket did not complete in time")
}

/// Replays everything in `dir` and returns the sequence numbers, checking that every record
/// is one of ours.
fn replay_seqs(fs: &dyn FileSystem, dir: &Path) -> (Vec<u64>, ReplayReport) {
    let mut seqs = Vec::new();
    let report = replay(fs, dir, 0, |_, p| {
        seqs.push(decode(p).ok_or_else(|| format!("garbage record of {} bytes", p.len()))?);
        Ok::<(), String>(())
    })
    .expect("replay failed");
    (seqs, report)
}

fn assert_strictly_increasing(seqs: &[u64]) {
    for w in seqs.windows(2) {
        assert!(w[0] < w[1], "records out of order or duplicated: {} then {}", w[0], w[1]);
    }
}

fn batch_of(seqs: std::ops::Range<u64>) -> WalBatch {
    let mut b = WalBatch::new();
    for s in seqs {
        b.push_record(&payload(s)).unwrap();
    }
    b
}

// ---------------------------------------------------------------------------------------------
// A file system whose fsyncs can be held at a gate, to make group commit deterministic.

#[derive(Debug, Default)]
struct Gate {
    closed: Mutex<bool>,
    cond: Condvar,
    waiting: AtomicUsize,
}

impl Gate {
    fn set(&self, closed: bool) {
        *self.closed.lock().unwrap() = closed;
        self.cond.notify_all();
    }

    fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let guard = self.closed.lock().unwrap();
        let (guard, timeout) = self.cond.wait_timeout_while(guard, WAIT, |closed| *closed).unwrap();
        drop(guard);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        assert!(!timeout.timed_out(), "gate never opened");
    }

    fn wait_for_waiter(&self) {
        let deadline = Instant::now() + WAIT;
        while self.waiting.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "nobody reached the gate");
            thread::sleep(Duration::from_millis(1));
        }
    }
}

#[derive(Debug)]
struct GateFs {
    inner: Arc<SimFs>,
    gate: Arc<Gate>,
}

#[derive(Debug)]
struct GateFile {
    inner: Box<dyn WritableFile>,
    gate: Arc<Gate>,
}

impl WritableFile for GateFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.gate.pass();
        self.inner.sync()
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
}

impl FileSystem for GateFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        self.inner.list_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Ok(Box::new(GateFile { inner: self.inner.create(path)?, gate: Arc::clone(&self.gate) }))
    }
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Ok(Box::new(GateFile { inner: self.inner.open_append(path)?, gate: Arc::clone(&self.gate) }))
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }
    fn map(&self, path: &Path) -> io::Result<ReadOnlyBytes> {
        self.inner.map(path)
    }
    fn file_len(&self, path: &Path) -> io::Result<u64> {
        self.inner.file_len(path)
    }
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.inner.truncate(path, len)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir_all(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
}

fn gated_wal(queue_depth: usize) -> (Arc<SimFs>, Arc<Gate>, Wal) {
    let sim = SimFs::new();
    let gate = Arc::new(Gate::default());
    let fs = Arc::new(GateFs { inner: Arc::clone(&sim), gate: Arc::clone(&gate) });
    let cfg = WalConfig { queue_depth, ..config(&wal_dir(), 1 << 20, Durability::Sync) };
    let wal = Wal::open(fs, cfg).unwrap();
    (sim, gate, wal)
}

// ---------------------------------------------------------------------------------------------
// Group commit

#[test]
fn group_commit_is_one_fsync_for_everything_pending() {
    let (sim, gate, wal) = gated_wal(64);
    assert_eq!(wal.stats().syncs, 1, "the segment header is fsynced at open");
    gate.set(true);
    let first = wal.submit(batch_of(0..1)).unwrap();
    gate.wait_for_waiter();
    // The writer is inside the first batch's fsync: everything submitted now forms one group.
    let rest: Vec<_> = (1..51).map(|s| wal.submit(batch_of(s..s + 1)).unwrap()).collect();
    gate.set(false);
    wait(first).unwrap();
    for t in rest {
        wait(t).unwrap();
    }
    let stats = wal.stats();
    assert_eq!((stats.batches, stats.records, stats.syncs), (51, 51, 3));
    wal.close().unwrap();
    sim.crash(CrashMode::DropUnsynced);
    assert_eq!(replay_seqs(&*sim, &wal_dir()).0, (0..51).collect::<Vec<_>>());
}

#[test]
fn group_commit_many_threads_real_disk() {
    const THREADS: u64 = 8;
    const BATCHES: u64 = 200;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    let wal = Wal::open(Arc::new(RealFs), config(&dir, 256 << 10, Durability::Sync)).unwrap();
    thread::scope(|s| {
        for t in 0..THREADS {
            let wal = &wal;
            s.spawn(move || {
                for i in 0..BATCHES {
                    let seq = t * 1_000_000 + i;
                    wait(wal.submit(batch_of(seq..seq + 1)).unwrap()).unwrap();
                }
            });
        }
    });
    let stats = wal.stats();
    assert_eq!(stats.batches, THREADS * BATCHES);
    assert!(stats.syncs < stats.batches, "no group commit: {stats:?}");
    assert!(stats.segments_created > 1, "256 KiB segments should have rotated: {stats:?}");
    wal.close().unwrap();
    let (seqs, report) = replay_seqs(&RealFs, &dir);
    assert!(report.torn.is_empty());
    assert_eq!(seqs.len() as u64, THREADS * BATCHES);
    for t in 0..THREADS {
        let mine: Vec<u64> = seqs.iter().copied().filter(|s| s / 1_000_000 == t).collect();
        assert_eq!(mine, (0..BATCHES).map(|i| t * 1_000_000 + i).collect::<Vec<_>>());
    }
}

#[test]
fn full_queue_is_reported_without_blocking() {
    let (_sim, gate, wal) = gated_wal(2);
    gate.set(true);
    let held = wal.submit(batch_of(0..1)).unwrap();
    gate.wait_for_waiter();
    let queued: Vec<_> = (1..3).map(|s| wal.submit(batch_of(s..s + 1)).unwrap()).collect();
    assert!(matches!(wal.submit(batch_of(3..4)), Err(WalError::Full)));
    gate.set(false);
    wait(held).unwrap();
    for t in queued {
        wait(t).unwrap();
    }
    wal.submit(batch_of(3..4)).map(wait).unwrap().unwrap();
    wal.close().unwrap();
}

// ---------------------------------------------------------------------------------------------
// Replay

#[test]
fn replay_round_trips_across_rotations() {
    let sim = SimFs::new();
    let dir = wal_dir();
    let wal = Wal::open(sim.clone(), config(&dir, 1024, Durability::Sync)).unwrap();
    assert_eq!(wal.current_segment(), 1);
    let mut tickets = Vec::new();
    let mut seq = 0;
    for b in 0..60u64 {
        let n = 1 + b % 4;
        tickets.push(wal.submit(batch_of(seq..seq + n)).unwrap());
        seq += n;
        if b == 30 {
            let before = wal.current_segment();
            let new = wal.rotate().unwrap();
            assert!(new > before);
            assert_eq!(new, wal.current_segment());
        }
    }
    wal.submit(WalBatch::new()).map(wait).unwrap().unwrap();
    for t in tickets {
        wait(t).unwrap();
    }
    let last = wal.current_segment();
    assert!(last > 5, "1 KiB segments should rotate often, got {last}");
    wal.close().unwrap();
    sim.crash(CrashMode::DropUnsynced);

    let mut by_segment = Vec::new();
    let report = replay(&*sim, &dir, 0, |segment, p| {
        by_segment.push((segment, decode(p).unwrap()));
        Ok::<(), String>(())
    })
    .unwrap();
    assert_eq!(by_segment.iter().map(|&(_, s)| s).collect::<Vec<_>>(), (0..seq).collect::<Vec<_>>());
    assert!(by_segment.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!((report.records, report.segments, report.last_segment), (seq, last, Some(last)));
    assert!(report.torn.is_empty());
    assert_eq!(report.bytes, (0..seq).map(|s| payload(s).len() as u64).sum::<u64>());
    for s in list_segments(&*sim, &dir).unwrap() {
        assert!(sim.file_len(&dir.join(segment_file_name(s))).unwrap() <= 1024 + 8 + 316);
    }

    // Replaying from a later segment skips the earlier ones.
    let mut later = 0;
    replay(&*sim, &dir, last - 1, |segment, _| {
        assert!(segment >= last - 1);
        later += 1;
        Ok::<(), String>(())
    })
    .unwrap();
    assert!(later < seq);

    // A new Wal starts after the last segment; truncation never removes the current one.
    let wal = Wal::open(sim.clone(), config(&dir, 1024, Durability::Sync)).unwrap();
    assert_eq!(wal.current_segment(), last + 1);
    assert_eq!(wal.remove_segments_before(3).unwrap(), 2);
    assert_eq!(list_segments(&*sim, &dir).unwrap().first(), Some(&3));
    assert_eq!(wal.remove_segments_before(u64::MAX).unwrap() as u64, last - 2);
    assert_eq!(list_segments(&*sim, &dir).unwrap(), vec![last + 1]);
    wal.close().unwrap();
}

fn write_and_close(fs: Arc<dyn FileSystem>, dir: &Path, seqs: std::ops::Range<u64>, segment_bytes: u64) {
    let wal = Wal::open(fs, config(dir, segment_bytes, Durability::Sync)).unwrap();
    for s in seqs {
        wait(wal.submit(batch_of(s..s + 1)).unwrap()).unwrap();
    }
    wal.close().unwrap();
}

#[test]
fn torn_tail_is_truncated_reported_and_clean_afterwards() {
    let sim = SimFs::new();
    let dir = wal_dir();
    write_and_close(sim.clone(), &dir, 0..10, 1 << 20);
    let seg = dir.join(segment_file_name(1));
    let good_len = sim.file_len(&seg).unwrap();
    // A torn record: a header promising 100 bytes, and 5 of them.
    let mut f = sim.open_append(&seg).unwrap();
    let mut torn = WalBatch::new();
    torn.push_record(&[7u8; 100]).unwrap();
    f.write_all(&torn.as_bytes()[..13]).unwrap();
    f.sync().unwrap();
    drop(f);

    let (seqs, report) = replay_seqs(&*sim, &dir);
    assert_eq!(seqs, (0..10).collect::<Vec<_>>());
    assert_eq!(
        report.torn,
        vec![TornTail {
            segment: 1,
            offset: good_len,
            reason: TornReason::ShortPayload { len: 100, available: 5 },
            dropped_bytes: 13,
        }]
    );
    assert_eq!(sim.file_len(&seg).unwrap(), good_len);
    sim.crash(CrashMode::DropUnsynced);
    assert_eq!(sim.file_len(&seg).unwrap(), good_len, "the truncation must be durable");
    let (_, again) = replay_seqs(&*sim, &dir);
    assert!(again.torn.is_empty());

    // Reopen: a new segment, the old one is never appended to.
    write_and_close(sim.clone(), &dir, 10..20, 1 << 20);
    assert_eq!(sim.file_len(&seg).unwrap(), good_len);
    assert_eq!(replay_seqs(&*sim, &dir).0, (0..20).collect::<Vec<_>>());
}

#[test]
fn damage_in_an_earlier_segment_is_reported_and_replay_continues() {
    let sim = SimFs::new();
    let dir = wal_dir();
    write_and_close(sim.clone(), &dir, 0..40, 1024);
    let segments = list_segments(&*sim, &dir).unwrap();
    assert!(segments.len() >= 3);
    // Flip one payload byte of the second record of segment 1.
    let seg1 = dir.join(segment_file_name(1));
    let mut bytes = sim.read(&seg1).unwrap();
    let second = SEGMENT_HEADER_LEN + 8 + payload(0).len();
    bytes[second + 8 + 3] ^= 0x40;
    let mut f = sim.create(&seg1).unwrap();
    f.write_all(&bytes).unwrap();
    f.sync().unwrap();
    drop(f);

    let (seqs, report) = replay_seqs(&*sim, &dir);
    assert_eq!(report.torn.len(), 1);
    assert_eq!((report.torn[0].segment, report.torn[0].offset), (1, second as u64));
    assert!(matches!(report.torn[0].reason, TornReason::CrcMismatch { .. }));
    assert_eq!(seqs[0], 0);
    assert!(seqs.len() > 20 && !seqs.contains(&1));
    assert_eq!(*seqs.last().unwrap(), 39);
    assert_strictly_increasing(&seqs);
}

#[test]
fn incomplete_segment_header_is_rewritten_not_an_error() {
    let sim = SimFs::new();
    let dir = wal_dir();
    write_and_close(sim.clone(), &dir, 0..5, 1 << 20);
    // A crash while creating segment 2 left 10 header bytes, then segment 3 was started.
    let mut f = sim.create(&dir.join(segment_file_name(2))).unwrap();
    f.write_all(&sim.read(&dir.join(segment_file_name(1))).unwrap()[..10]).unwrap();
    drop(f);
    write_and_close(sim.clone(), &dir, 5..8, 1 << 20);
    let (seqs, report) = replay_seqs(&*sim, &dir);
    assert_eq!(seqs, (0..8).collect::<Vec<_>>());
    assert_eq!(report.torn.len(), 1);
    assert_eq!(report.torn[0].segment, 2);
    assert!(matches!(report.torn[0].reason, TornReason::SegmentHeader(HeaderError::Short { len: 10 })));
    let (_, again) = replay_seqs(&*sim, &dir);
    assert!(again.torn.is_empty(), "{again:?}");
}

#[test]
fn damage_a_crash_cannot_explain_is_an_error() {
    let dir = wal_dir();
    let put = |sim: &SimFs, segment: u64, bytes: &[u8]| {
        sim.create_dir_all(&dir).unwrap();
        let mut f = sim.create(&dir.join(segment_file_name(segment))).unwrap();
        f.write_all(bytes).unwrap();
    };
    let replay_err = |sim: &SimFs| replay(sim, &dir, 0, |_, _| Ok::<(), String>(())).unwrap_err();

    // A gap in the sequence.
    let sim = SimFs::new();
    write_and_close(sim.clone(), &dir, 0..3, 1 << 20);
    put(&sim, 3, &SegmentHeader { version: 1, segment: 3 }.encode());
    assert!(matches!(replay_err(&sim), ReplayError::Wal(WalError::Corruption { segment: 2, .. })));
    // A newer format version.
    let sim = SimFs::new();
    put(&sim, 1, &SegmentHeader { version: 2, segment: 1 }.encode());
    assert!(matches!(replay_err(&sim), ReplayError::Wal(WalError::UnsupportedVersion { segment: 1, version: 2 })));
    // A header naming another segment.
    let sim = SimFs::new();
    put(&sim, 1, &SegmentHeader { version: 1, segment: 9 }.encode());
    assert!(matches!(replay_err(&sim), ReplayError::Wal(WalError::Corruption { segment: 1, offset: 12, .. })));
    // A bad header with records after it.
    let sim = SimFs::new();
    let mut bytes = vec![0u8; SEGMENT_HEADER_LEN];
    bytes.extend_from_slice(batch_of(0..1).as_bytes());
    put(&sim, 1, &bytes);
    assert!(matches!(replay_err(&sim), ReplayError::Wal(WalError::Corruption { segment: 1, offset: 0, .. })));
    // The callback's error stops replay and says where.
    let sim = SimFs::new();
    write_and_close(sim.clone(), &dir, 0..3, 1 << 20);
    let err = replay(&*sim, &dir, 0, |_, p| if decode(p) == Some(1) { Err("boom") } else { Ok(()) }).unwrap_err();
    let offset = (SEGMENT_HEADER_LEN + 8 + payload(0).len()) as u64;
    assert!(matches!(err, ReplayError::Callback { segment: 1, offset: o, error: "boom" } if o == offset));
    // A missing directory is an empty WAL.
    assert_eq!(replay_seqs(&*SimFs::new(), &dir).1, ReplayReport::default());
}

// ---------------------------------------------------------------------------------------------
// Crash points

#[derive(Debug, Default)]
struct Outcome {
    acked: Vec<u64>,
    next_seq: u64,
}

/// One submitter keeping up to 4 batches in flight, with manual rotations; stops at the first
/// failure.
fn crash_workload(fs: Arc<dyn FileSystem>, dir: &Path, first_seq: u64, batches: u64) -> Outcome {
    let mut out = Outcome { acked: Vec::new(), next_seq: first_seq };
    let Ok(wal) = Wal::open(fs, config(dir, 1024, Durability::Sync)) else {
        return out;
    };
    let mut inflight: VecDeque<(std::ops::Range<u64>, CommitTicket)> = VecDeque::new();
    let mut failed = false;
    let mut settle =
        |inflight: &mut VecDeque<(std::ops::Range<u64>, CommitTicket)>, keep: usize, acked: &mut Vec<u64>| {
            while inflight.len() > keep {
                let (seqs, t) = inflight.pop_front().unwrap();
                match wait(t) {
                    Ok(()) => acked.extend(seqs),
                    Err(WalError::Failed { .. }) => failed = true,
                    Err(e) => panic!("unexpected ticket error {e:?}"),
                }
            }
            failed
        };
    for b in 0..batches {
        let n = 1 + b % 3;
        let seqs = out.next_seq..out.next_seq + n;
        out.next_seq += n;
        if b % 17 == 16 && wal.rotate().is_err() {
            break;
        }
        match wal.submit(batch_of(seqs.clone())) {
            Ok(t) => inflight.push_back((seqs, t)),
            Err(WalError::Failed { .. }) => break,
            Err(e) => panic!("unexpected submit error {e:?}"),
        }
        if settle(&mut inflight, 3, &mut out.acked) {
            break;
        }
    }
    settle(&mut inflight, 0, &mut out.acked);
    let _ = wal.close();
    out
}

/// Checks the recovered WAL against what was acknowledged and returns the recovered sequence.
fn check_recovery(sim: &SimFs, dir: &Path, acked: &[u64], next_seq: u64, what: &str) -> (Vec<u64>, ReplayReport) {
    let (seqs, report) = replay_seqs(sim, dir);
    assert_strictly_increasing(&seqs);
    assert!(seqs.iter().all(|&s| s < next_seq), "{what}: a record never submitted appeared");
    let present: BTreeSet<u64> = seqs.iter().copied().collect();
    let lost: Vec<u64> = acked.iter().copied().filter(|s| !present.contains(s)).collect();
    assert!(lost.is_empty(), "{what}: acknowledged records lost: {lost:?}");
    (seqs, report)
}

#[test]
fn crash_at_any_point_keeps_every_acknowledged_record_exactly_once() {
    let dir = wal_dir();
    const BATCHES: u64 = 40;
    let total_ops = {
        let sim = SimFs::new();
        let out = crash_workload(sim.clone(), &dir, 0, BATCHES);
        assert_eq!(out.acked.len() as u64, out.next_seq);
        sim.op_count()
    };
    assert!(total_ops > 50, "workload too small: {total_ops} ops");
    let step = (total_ops / 120).max(1);
    let (mut points, mut torn_seen, mut unacked_recovered, mut partial) = (0, 0, 0, 0);
    for k in (0..=total_ops).step_by(step as usize) {
        for mode in [CrashMode::DropUnsynced, CrashMode::KeepRandomPrefix { seed: k }] {
            points += 1;
            let what = format!("crash after {k} ops, {mode:?}");
            let sim = SimFs::new();
            sim.fail_after(k, FaultKind::Io);
            let first = crash_workload(sim.clone(), &dir, 0, BATCHES);
            sim.crash(mode);
            let (recovered, report) = check_recovery(&sim, &dir, &first.acked, first.next_seq, &what);
            torn_seen += usize::from(!report.torn.is_empty());
            unacked_recovered += usize::from(recovered.len() > first.acked.len());
            partial += usize::from(!first.acked.is_empty() && first.acked.len() < first.next_seq as usize);

            // Reboot: recover, write more, lose power again.
            let second = crash_workload(sim.clone(), &dir, first.next_seq, 10);
            assert_eq!(second.acked.len() as u64, second.next_seq - first.next_seq, "{what}: second boot failed");
            sim.crash(CrashMode::DropUnsynced);
            let mut expect = recovered.clone();
            expect.extend(&second.acked);
            let (all, _) = check_recovery(&sim, &dir, &expect, second.next_seq, &what);
            assert_eq!(all, expect, "{what}: second boot changed the recovered history");
        }
    }
    // The test must exercise what it claims to: torn tails, records written but not
    // acknowledged, workloads cut in the middle.
    assert!(
        points >= 100 && torn_seen > 5 && unacked_recovered > 5 && partial > 20,
        "{total_ops} ops, {points} points, {torn_seen} torn, {unacked_recovered} unacked recovered, {partial} partial"
    );
}

#[test]
fn process_crash_keeps_acknowledged_records_under_every_policy() {
    for durability in [Durability::Sync, Durability::Interval(Duration::from_secs(3600)), Durability::None] {
        let sim = SimFs::new();
        let dir = wal_dir();
        let wal = Wal::open(sim.clone(), config(&dir, 4096, durability)).unwrap();
        let tickets: Vec<_> = (0..30).map(|s| wal.submit(batch_of(s..s + 1)).unwrap()).collect();
        for t in tickets {
            wait(t).unwrap();
        }
        // kill -9: the page cache survives, the process does not get to close.
        sim.crash(CrashMode::KeepAll);
        drop(wal);
        assert_eq!(replay_seqs(&*sim, &dir).0, (0..30).collect::<Vec<_>>(), "{durability:?}");
    }
}

#[test]
fn relaxed_policies_lose_only_unsynced_writes_on_power_loss() {
    let dir = wal_dir();
    // None: nothing is fsynced until sync(); afterwards everything is.
    let sim = SimFs::new();
    let wal = Wal::open(sim.clone(), config(&dir, 1 << 20, Durability::None)).unwrap();
    for s in 0..10 {
        wait(wal.submit(batch_of(s..s + 1)).unwrap()).unwrap();
    }
    assert_eq!(wal.stats().syncs, 1, "only the header");
    wal.sync().unwrap();
    for s in 10..20 {
        wait(wal.submit(batch_of(s..s + 1)).unwrap()).unwrap();
    }
    sim.crash(CrashMode::DropUnsynced);
    drop(wal);
    assert_eq!(replay_seqs(&*sim, &dir).0, (0..10).collect::<Vec<_>>());

    // Interval: the writer fsyncs on its own within the interval.
    let sim = SimFs::new();
    let wal = Wal::open(sim.clone(), config(&dir, 1 << 20, Durability::Interval(Duration::from_millis(20)))).unwrap();
    for s in 0..10 {
        wait(wal.submit(batch_of(s..s + 1)).unwrap()).unwrap();
    }
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = wal.stats();
        if stats.synced_bytes == stats.bytes {
            break;
        }
        assert!(Instant::now() < deadline, "no periodic fsync: {stats:?}");
        thread::sleep(Duration::from_millis(5));
    }
    assert!(wal.stats().syncs >= 2);
    sim.crash(CrashMode::DropUnsynced);
    drop(wal);
    assert_eq!(replay_seqs(&*sim, &dir).0, (0..10).collect::<Vec<_>>());
}

#[test]
fn publish_atomic_under_crash_at_every_op() {
    let dir = Path::new("/data/blocks");
    for with_old in [false, true] {
        let setup = || {
            let sim = SimFs::new();
            create_dir_all_durable(&*sim, dir).unwrap();
            if with_old {
                publish_atomic(&*sim, dir, "meta.json", b"old version").unwrap();
            }
            sim
        };
        let total = {
            let sim = setup();
            let before = sim.op_count();
            publish_atomic(&*sim, dir, "meta.json", &[b'n'; 5000]).unwrap();
            sim.op_count() - before
        };
        for k in 0..=total {
            for mode in [CrashMode::DropUnsynced, CrashMode::KeepRandomPrefix { seed: k }, CrashMode::KeepAll] {
                let what = format!("old={with_old} k={k} {mode:?}");
                let sim = setup();
                sim.fail_after(k, FaultKind::Io);
                let result = publish_atomic(&*sim, dir, "meta.json", &[b'n'; 5000]);
                sim.crash(mode);
                sweep_temp_files(&*sim, dir).unwrap();
                let names = sim.list_dir(dir).unwrap();
                assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{what}: {names:?}");
                let target = dir.join("meta.json");
                match sim.read(&target) {
                    Ok(bytes) if bytes == [b'n'; 5000] => {}
                    Ok(bytes) if with_old && bytes == b"old version" => {
                        assert!(result.is_err(), "{what}: publish returned Ok but the old version survived")
                    }
                    Ok(bytes) => panic!("{what}: partial target of {} bytes", bytes.len()),
                    Err(e) => {
                        assert_eq!(e.kind(), io::ErrorKind::NotFound);
                        assert!(!with_old && result.is_err(), "{what}: target vanished");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Faults

#[test]
fn injected_faults_stop_the_wal_without_panicking() {
    let dir = wal_dir();
    for kind in [FaultKind::Io, FaultKind::SyncOnly, FaultKind::NoSpace] {
        for k in [0, 1, 3, 6, 10, 20, 40] {
            let what = format!("{kind:?} after {k}");
            let sim = SimFs::new();
            let wal = Wal::open(sim.clone(), config(&dir, 2048, Durability::Sync)).unwrap();
            sim.fail_after(k, kind);
            let mut acked = Vec::new();
            let mut failed_at = None;
            for s in 0..40u64 {
                match wal.submit(batch_of(s..s + 1)) {
                    Ok(t) => match wait(t) {
                        Ok(()) => {
                            assert!(failed_at.is_none(), "{what}: a commit succeeded after a failure");
                            acked.push(s);
                        }
                        Err(WalError::Failed { .. }) => failed_at = failed_at.or(Some(s)),
                        Err(e) => panic!("{what}: {e:?}"),
                    },
                    Err(WalError::Failed { .. }) => {
                        assert!(failed_at.is_some(), "{what}: submit failed before any ticket did");
                    }
                    Err(e) => panic!("{what}: {e:?}"),
                }
            }
            assert!(failed_at.is_some(), "{what}: the fault never surfaced");
            assert!(matches!(wal.sync(), Err(WalError::Failed { .. })), "{what}");
            assert!(matches!(wal.rotate(), Err(WalError::Failed { .. })), "{what}");
            assert!(matches!(wal.submit(WalBatch::new()), Err(WalError::Failed { .. })), "{what}");
            assert!(matches!(wal.close(), Err(WalError::Failed { .. })), "{what}");
            // After a reboot, what was acknowledged is there.
            sim.crash(CrashMode::KeepRandomPrefix { seed: k });
            check_recovery(&sim, &dir, &acked, 40, &what);
        }
    }
}

#[test]
fn open_fails_cleanly_when_the_disk_does() {
    let sim = SimFs::new();
    sim.fail_after(0, FaultKind::Io);
    assert!(matches!(Wal::open(sim.clone(), WalConfig::new("/wal")), Err(WalError::Io { .. })));
    sim.clear_faults();
    sim.fail_after(2, FaultKind::SyncOnly);
    assert!(matches!(Wal::open(sim.clone(), WalConfig::new("/wal")), Err(WalError::Io { .. })));
}

// ---------------------------------------------------------------------------------------------
// Tickets

struct ThreadWaker(thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor with a deadline.
fn block_on<F: Future + Unpin>(mut fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Poll::Ready(v) = Pin::new(&mut fut).poll(&mut cx) {
            return v;
        }
        assert!(Instant::now() < deadline, "future never completed");
        thread::park_timeout(Duration::from_millis(50));
    }
}

#[test]
fn tickets_can_be_awaited() {
    let (_sim, gate, wal) = gated_wal(8);
    gate.set(true);
    let mut ticket = wal.submit(batch_of(0..1)).unwrap();
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    assert!(Pin::new(&mut ticket).poll(&mut Context::from_waker(&waker)).is_pending());
    assert!(!ticket.is_done());
    gate.set(false);
    block_on(ticket).unwrap();
    block_on(CommitTicket::completed()).unwrap();
    fn assert_send<T: Send + 'static>() {}
    assert_send::<CommitTicket>();
    wal.close().unwrap();
}

#[test]
fn dropping_the_wal_commits_pending_batches() {
    let sim = SimFs::new();
    let dir = wal_dir();
    let wal = Wal::open(sim.clone(), config(&dir, 1 << 20, Durability::Sync)).unwrap();
    let tickets: Vec<_> = (0..20).map(|s| wal.submit(batch_of(s..s + 1)).unwrap()).collect();
    drop(wal);
    for t in tickets {
        assert!(t.is_done());
        wait(t).unwrap();
    }
    sim.crash(CrashMode::DropUnsynced);
    assert_eq!(replay_seqs(&*sim, &dir).0, (0..20).collect::<Vec<_>>());
}

#[test]
fn large_batches_bypass_staging_and_get_their_own_segment() {
    let sim = SimFs::new();
    let dir = wal_dir();
    let wal = Wal::open(sim.clone(), config(&dir, 64 << 10, Durability::Sync)).unwrap();
    let big = vec![0xAB; 200 << 10];
    let mut b = WalBatch::new();
    b.push_record(&big).unwrap();
    let t1 = wal.submit(batch_of(0..3)).unwrap();
    let t2 = wal.submit(b).unwrap();
    let t3 = wal.submit(batch_of(3..5)).unwrap();
    for t in [t1, t2, t3] {
        wait(t).unwrap();
    }
    wal.close().unwrap();
    let mut records = Vec::new();
    replay(&*sim, &dir, 0, |seg, p| {
        records.push((seg, p.len()));
        Ok::<(), String>(())
    })
    .unwrap();
    assert_eq!(records.len(), 6);
    assert_eq!(records[3], (2, 200 << 10));
    assert_eq!(records[0].0, 1);
    assert_eq!(records[4].0, 3);
}
