//! [`Wal`]: the group-commit writer.
//!
//! One background thread ("stratus-wal") owns the current segment file. Submitters hand it
//! framed [`WalBatch`]es over a bounded channel and get a [`CommitTicket`] back at once. The
//! thread takes everything pending (up to `queue_depth` batches), writes it, does ONE fsync
//! (per [`Durability`]), then completes all their tickets: many writers, one fsync.
//!
//! Control requests (sync, rotate, close) travel on the same channel, so they are ordered after
//! every batch submitted before them.
//!
//! Failure rule: the first write, fsync or segment-creation error puts the WAL into the failed
//! state. Tickets of batches not yet committed complete with [`WalError::Failed`]; every later
//! submit, sync and rotate fails with the same error. Nothing is retried: after a failed fsync
//! Linux may have dropped the dirty pages, so a retry that "succeeds" proves nothing.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use std::{fmt, io};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use parking_lot::{Condvar, Mutex};

use super::segment::{SEGMENT_HEADER_LEN, SegmentHeader, segment_file_name};
use super::{Durability, WalBatch, WalConfig, WalError, list_segments};
use crate::durable::{FileSystem, WritableFile, create_dir_all_durable};

/// Batches smaller than this are copied into one staging buffer and written together.
const STAGE_BATCH_LIMIT: usize = 64 << 10;
/// The staging buffer is written out when it reaches this size.
const STAGE_FLUSH_BYTES: usize = 1 << 20;

/// Counters of a [`Wal`] since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Batches written (including empty ones).
    pub batches: u64,
    /// Records written.
    pub records: u64,
    /// Framed bytes written (records, not segment headers).
    pub bytes: u64,
    /// Of `bytes`, how many are covered by a completed fsync (`bytes - synced_bytes` is what
    /// a power loss could take right now).
    pub synced_bytes: u64,
    /// File fsyncs (group commits, rotations, segment headers, explicit syncs).
    pub syncs: u64,
    /// Segments created (the first one included).
    pub segments_created: u64,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    records: AtomicU64,
    bytes: AtomicU64,
    synced_bytes: AtomicU64,
    syncs: AtomicU64,
    segments_created: AtomicU64,
}

/// State shared by the handle and the writer thread.
#[derive(Debug)]
struct Shared {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    current: AtomicU64,
    /// Set once, by the writer thread, at the first failure.
    failed: Mutex<Option<WalError>>,
    closed: AtomicBool,
    counters: Counters,
}

impl Shared {
    fn check_open(&self) -> Result<(), WalError> {
        if let Some(e) = &*self.failed.lock() {
            return Err(e.clone());
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(WalError::Closed);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Tickets

enum TicketState {
    Pending(Option<Waker>),
    Done(Result<(), WalError>),
}

struct TicketCell {
    // parking_lot: held only to read/replace the state; no blocking under it except the
    // condvar wait, which releases it.
    state: Mutex<TicketState>,
    cond: Condvar,
}

/// Completion of one submitted batch: wait for it with [`CommitTicket::wait`] or `.await` it.
/// It completes with `Ok(())` once the batch is as durable as the [`Durability`] promises, or
/// with the error that stopped the WAL.
pub struct CommitTicket {
    cell: Arc<TicketCell>,
}

impl CommitTicket {
    /// A ticket that is already complete: for a commit with nothing to write.
    pub fn completed() -> CommitTicket {
        CommitTicket {
            cell: Arc::new(TicketCell { state: Mutex::new(TicketState::Done(Ok(()))), cond: Condvar::new() }),
        }
    }

    /// Blocks until the batch is committed or has failed.
    pub fn wait(self) -> Result<(), WalError> {
        let mut st = self.cell.state.lock();
        loop {
            if let TicketState::Done(r) = &*st {
                return r.clone();
            }
            self.cell.cond.wait(&mut st);
        }
    }

    /// Blocks at most `timeout`; `None` if the batch is still pending.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<(), WalError>> {
        let deadline = Instant::now() + timeout;
        let mut st = self.cell.state.lock();
        loop {
            if let TicketState::Done(r) = &*st {
                return Some(r.clone());
            }
            if self.cell.cond.wait_until(&mut st, deadline).timed_out() {
                return match &*st {
                    TicketState::Done(r) => Some(r.clone()),
                    TicketState::Pending(_) => None,
                };
            }
        }
    }

    /// Whether the ticket has completed (either way).
    pub fn is_done(&self) -> bool {
        matches!(*self.cell.state.lock(), TicketState::Done(_))
    }
}

impl Future for CommitTicket {
    type Output = Result<(), WalError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.cell.state.lock();
        match &mut *st {
            TicketState::Done(r) => Poll::Ready(r.clone()),
            TicketState::Pending(waker) => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl fmt::Debug for CommitTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommitTicket").field("done", &self.is_done()).finish()
    }
}

/// The writer's side of a ticket. Dropping it without completing completes the ticket with
/// [`WalError::Closed`], so no waiter hangs if the writer thread goes away.
struct Completer {
    cell: Option<Arc<TicketCell>>,
}

impl Completer {
    fn complete(mut self, result: Result<(), WalError>) {
        if let Some(cell) = self.cell.take() {
            Self::finish(&cell, result);
        }
    }

    /// Drops the completer without touching the ticket (used when the ticket is discarded).
    fn defuse(mut self) {
        self.cell = None;
    }

    fn finish(cell: &TicketCell, result: Result<(), WalError>) {
        let waker = {
            let mut st = cell.state.lock();
            let prev = std::mem::replace(&mut *st, TicketState::Done(result));
            cell.cond.notify_all();
            match prev {
                TicketState::Pending(w) => w,
                TicketState::Done(_) => None,
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            Self::finish(&cell, Err(WalError::Closed));
        }
    }
}

fn ticket_pair() -> (Completer, CommitTicket) {
    let cell = Arc::new(TicketCell { state: Mutex::new(TicketState::Pending(None)), cond: Condvar::new() });
    (Completer { cell: Some(Arc::clone(&cell)) }, CommitTicket { cell })
}

// ---------------------------------------------------------------------------------------------
// The handle

type Reply<T> = Sender<Result<T, WalError>>;

enum Msg {
    Batch { batch: WalBatch, done: Completer },
    Sync(Reply<()>),
    Rotate(Reply<u64>),
    Close(Reply<()>),
}

/// The write-ahead log (see the module docs). `Wal` is `Sync`: share it by reference or `Arc`.
pub struct Wal {
    shared: Arc<Shared>,
    tx: Option<Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Wal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.shared.dir)
            .field("current_segment", &self.current_segment())
            .field("failed", &self.shared.failed.lock().is_some())
            .finish()
    }
}

impl Wal {
    /// Opens the WAL in `config.dir` (created durably if missing) and starts a new segment
    /// numbered one past the highest existing one (or 1), so segments that recovery replays
    /// are never appended to. Call [`replay`](super::replay) before this.
    pub fn open(fs: Arc<dyn FileSystem>, config: WalConfig) -> Result<Wal, WalError> {
        config.validate()?;
        let dir = config.dir.clone();
        create_dir_all_durable(&*fs, &dir).map_err(|e| WalError::io(&dir, e))?;
        let existing = list_segments(&*fs, &dir).map_err(|e| WalError::io(&dir, e))?;
        let first = match existing.last() {
            Some(&last) => last.checked_add(1).ok_or_else(|| WalError::Corruption {
                segment: last,
                offset: 0,
                detail: "segment numbers exhausted".to_owned(),
            })?,
            None => 1,
        };
        let shared = Arc::new(Shared {
            fs,
            dir,
            current: AtomicU64::new(first),
            failed: Mutex::new(None),
            closed: AtomicBool::new(false),
            counters: Counters::default(),
        });
        let (tx, rx) = crossbeam_channel::bounded(config.queue_depth);
        let mut writer = Writer {
            shared: Arc::clone(&shared),
            rx,
            durability: config.durability,
            segment_bytes: config.segment_bytes,
            max_group: config.queue_depth,
            file: None,
            segment: first,
            staged: Vec::new(),
            unsynced: false,
            last_sync: Instant::now(),
            failed: None,
        };
        // Errors here are plain I/O errors: nothing was accepted yet.
        writer.create_segment(first).map_err(|e| match e {
            WalError::Failed { path, source, .. } => WalError::Io { path, source },
            other => other,
        })?;
        let thread = std::thread::Builder::new()
            .name("stratus-wal".to_owned())
            .spawn(move || writer.run())
            .map_err(|e| WalError::io(&shared.dir, e))?;
        Ok(Wal { shared, tx: Some(tx), thread: Some(thread) })
    }

    /// Queues `batch` and returns its ticket at once. Never blocks: a full queue returns
    /// [`WalError::Full`]; a failed WAL returns [`WalError::Failed`].
    pub fn submit(&self, batch: WalBatch) -> Result<CommitTicket, WalError> {
        self.shared.check_open()?;
        let tx = self.tx.as_ref().ok_or(WalError::Closed)?;
        let (done, ticket) = ticket_pair();
        match tx.try_send(Msg::Batch { batch, done }) {
            Ok(()) => Ok(ticket),
            Err(TrySendError::Full(msg)) => {
                if let Msg::Batch { done, .. } = msg {
                    done.defuse();
                }
                Err(WalError::Full)
            }
            Err(TrySendError::Disconnected(_)) => Err(WalError::Closed),
        }
    }

    fn request<T>(&self, make: impl FnOnce(Reply<T>) -> Msg) -> Result<T, WalError> {
        self.shared.check_open()?;
        let tx = self.tx.as_ref().ok_or(WalError::Closed)?;
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        // Blocking send: the writer drains the queue, and a control request must not be lost.
        tx.send(make(reply_tx)).map_err(|_| WalError::Closed)?;
        reply_rx.recv().unwrap_or(Err(WalError::Closed))
    }

    /// Writes and fsyncs the current segment, then starts the next one. Every batch submitted
    /// before is in the old segment and durable. Returns the new segment's number.
    pub fn rotate(&self) -> Result<u64, WalError> {
        self.request(Msg::Rotate)
    }

    /// Blocks until everything submitted before is written and fsynced (whatever the
    /// [`Durability`]).
    pub fn sync(&self) -> Result<(), WalError> {
        self.request(Msg::Sync)
    }

    /// The number of the segment being written.
    pub fn current_segment(&self) -> u64 {
        self.shared.current.load(Ordering::Acquire)
    }

    /// Counters since open.
    pub fn stats(&self) -> WalStats {
        let c = &self.shared.counters;
        WalStats {
            batches: c.batches.load(Ordering::Relaxed),
            records: c.records.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
            synced_bytes: c.synced_bytes.load(Ordering::Relaxed),
            syncs: c.syncs.load(Ordering::Relaxed),
            segments_created: c.segments_created.load(Ordering::Relaxed),
        }
    }

    /// Checkpoint truncation: removes every segment numbered below `segment` (never the current
    /// one) and fsyncs the directory. Returns how many were removed.
    pub fn remove_segments_before(&self, segment: u64) -> Result<usize, WalError> {
        let shared = &self.shared;
        let limit = segment.min(self.current_segment());
        let segments = list_segments(&*shared.fs, &shared.dir).map_err(|e| WalError::io(&shared.dir, e))?;
        let mut removed = 0;
        for s in segments.into_iter().filter(|&s| s < limit) {
            let path = shared.dir.join(segment_file_name(s));
            shared.fs.remove_file(&path).map_err(|e| WalError::io(&path, e))?;
            removed += 1;
        }
        if removed > 0 {
            shared.fs.sync_dir(&shared.dir).map_err(|e| WalError::io(&shared.dir, e))?;
        }
        Ok(removed)
    }

    /// Writes and fsyncs everything submitted, stops the writer thread and returns the first
    /// error the WAL met, if any.
    pub fn close(mut self) -> Result<(), WalError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), WalError> {
        let Some(tx) = self.tx.take() else {
            return Ok(());
        };
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        let result = match tx.send(Msg::Close(reply_tx)) {
            Ok(()) => reply_rx.recv().unwrap_or(Err(WalError::Closed)),
            Err(_) => Err(WalError::Closed),
        };
        self.shared.closed.store(true, Ordering::Release);
        drop(tx);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the wal writer thread panicked");
            return Err(WalError::Closed);
        }
        result
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!(error = %e, "closing the wal on drop failed");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The writer thread

struct Writer {
    shared: Arc<Shared>,
    rx: Receiver<Msg>,
    durability: Durability,
    segment_bytes: u64,
    max_group: usize,
    file: Option<Box<dyn WritableFile>>,
    segment: u64,
    /// Small batches, copied together to be written with one call.
    staged: Vec<u8>,
    /// Bytes were written (or staged) since the last fsync.
    unsynced: bool,
    last_sync: Instant,
    failed: Option<WalError>,
}

impl Writer {
    fn run(mut self) {
        loop {
            let first = match self.next_message() {
                Some(msg) => msg,
                None => break,
            };
            let mut group = Vec::new();
            let mut control = None;
            match first {
                Msg::Batch { batch, done } => self.write_batch(batch, done, &mut group),
                other => control = Some(other),
            }
            while control.is_none() && group.len() < self.max_group {
                match self.rx.try_recv() {
                    Ok(Msg::Batch { batch, done }) => self.write_batch(batch, done, &mut group),
                    Ok(other) => control = Some(other),
                    Err(_) => break,
                }
            }
            self.commit_group(group);
            match control {
                None => {}
                Some(Msg::Sync(reply)) => {
                    let _ = reply.send(self.flush_and_sync());
                }
                Some(Msg::Rotate(reply)) => {
                    let r = self.rotate().map(|()| self.segment);
                    let _ = reply.send(r);
                }
                Some(Msg::Close(reply)) => {
                    let r = self.flush_and_sync();
                    self.shared.closed.store(true, Ordering::Release);
                    let _ = reply.send(r);
                    return;
                }
                Some(Msg::Batch { .. }) => unreachable!("batches are never taken as control"),
            }
        }
        // Every handle is gone without a close: flush what we have, best effort.
        if let Err(e) = self.flush_and_sync() {
            tracing::warn!(error = %e, "final wal sync failed");
        }
    }

    /// The next message; under [`Durability::Interval`] with unsynced data, fsyncs when the
    /// interval elapses while waiting. `None` when every sender is gone.
    fn next_message(&mut self) -> Option<Msg> {
        loop {
            let deadline = match self.durability {
                Durability::Interval(d) if self.unsynced && self.failed.is_none() => self.last_sync + d,
                _ => return self.rx.recv().ok(),
            };
            match self.rx.recv_deadline(deadline) {
                Ok(msg) => return Some(msg),
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = self.flush_and_sync() {
                        tracing::error!(error = %e, "periodic wal fsync failed");
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn fail(&mut self, op: &'static str, path: &Path, err: io::Error) -> WalError {
        let e = WalError::Failed { op, path: path.to_owned(), source: Arc::new(err) };
        tracing::error!(error = %e, "wal failed; no further writes are accepted");
        self.failed = Some(e.clone());
        let mut shared = self.shared.failed.lock();
        if shared.is_none() {
            *shared = Some(e.clone());
        }
        e
    }

    fn check(&self) -> Result<(), WalError> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn segment_path(&self) -> PathBuf {
        self.shared.dir.join(segment_file_name(self.segment))
    }

    fn segment_len(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.len()) + self.staged.len() as u64
    }

    /// Creates segment `n`: create, header, fsync the file, fsync the directory.
    fn create_segment(&mut self, n: u64) -> Result<(), WalError> {
        let path = self.shared.dir.join(segment_file_name(n));
        let mut file = match self.shared.fs.create(&path) {
            Ok(f) => f,
            Err(e) => return Err(self.fail("create segment", &path, e)),
        };
        let header = SegmentHeader::new(n).encode();
        if let Err(e) = file.write_all(&header).and_then(|()| file.sync()) {
            return Err(self.fail("write segment header", &path, e));
        }
        self.shared.counters.syncs.fetch_add(1, Ordering::Relaxed);
        let dir = self.shared.dir.clone();
        if let Err(e) = self.shared.fs.sync_dir(&dir) {
            return Err(self.fail("fsync directory", &dir, e));
        }
        self.file = Some(file);
        self.segment = n;
        self.unsynced = false;
        self.last_sync = Instant::now();
        self.shared.current.store(n, Ordering::Release);
        self.shared.counters.segments_created.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(segment = n, "started wal segment");
        Ok(())
    }

    fn flush_staged(&mut self) -> Result<(), WalError> {
        self.check()?;
        if self.staged.is_empty() {
            return Ok(());
        }
        let result = match self.file.as_mut() {
            Some(f) => f.write_all(&self.staged),
            None => Err(io::Error::other("no open segment")),
        };
        self.staged.clear();
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                let path = self.segment_path();
                Err(self.fail("write", &path, e))
            }
        }
    }

    fn flush_and_sync(&mut self) -> Result<(), WalError> {
        self.flush_staged()?;
        if !self.unsynced {
            return Ok(());
        }
        let result = match self.file.as_mut() {
            Some(f) => f.sync(),
            None => Ok(()),
        };
        match result {
            Ok(()) => {
                let c = &self.shared.counters;
                c.syncs.fetch_add(1, Ordering::Relaxed);
                // Only this thread adds to `bytes`, and everything counted has been written.
                c.synced_bytes.store(c.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
                self.unsynced = false;
                self.last_sync = Instant::now();
                Ok(())
            }
            Err(e) => {
                let path = self.segment_path();
                Err(self.fail("fsync", &path, e))
            }
        }
    }

    fn rotate(&mut self) -> Result<(), WalError> {
        self.flush_and_sync()?;
        let next = self.segment.checked_add(1).ok_or_else(|| WalError::Corruption {
            segment: self.segment,
            offset: 0,
            detail: "segment numbers exhausted".to_owned(),
        })?;
        self.file = None;
        self.create_segment(next)
    }

    /// Writes (or stages) one batch and adds its completer to the group.
    fn write_batch(&mut self, batch: WalBatch, done: Completer, group: &mut Vec<Completer>) {
        group.push(done);
        if self.failed.is_some() {
            return;
        }
        let bytes = batch.as_bytes();
        let len = bytes.len() as u64;
        if self.segment_len() > SEGMENT_HEADER_LEN as u64 && self.segment_len() + len > self.segment_bytes {
            // Segments rotate at batch boundaries; a failure is recorded in `self.failed`.
            if self.rotate().is_err() {
                return;
            }
        }
        if bytes.len() < STAGE_BATCH_LIMIT {
            self.staged.extend_from_slice(bytes);
            if self.staged.len() >= STAGE_FLUSH_BYTES && self.flush_staged().is_err() {
                return;
            }
        } else {
            if self.flush_staged().is_err() {
                return;
            }
            let result = match self.file.as_mut() {
                Some(f) => f.write_all(bytes),
                None => Err(io::Error::other("no open segment")),
            };
            if let Err(e) = result {
                let path = self.segment_path();
                self.fail("write", &path, e);
                return;
            }
        }
        self.unsynced |= len > 0;
        let c = &self.shared.counters;
        c.batches.fetch_add(1, Ordering::Relaxed);
        c.records.fetch_add(batch.records() as u64, Ordering::Relaxed);
        c.bytes.fetch_add(len, Ordering::Relaxed);
    }

    /// Makes the group as durable as the policy says and completes its tickets.
    fn commit_group(&mut self, group: Vec<Completer>) {
        if group.is_empty() {
            return;
        }
        let result = match self.durability {
            Durability::Sync => self.flush_and_sync(),
            Durability::Interval(d) => {
                if self.last_sync.elapsed() >= d {
                    self.flush_and_sync()
                } else {
                    self.flush_staged()
                }
            }
            Durability::None => self.flush_staged(),
        };
        let result = result.and_then(|()| self.check());
        for done in group {
            done.complete(result.clone());
        }
    }
}
