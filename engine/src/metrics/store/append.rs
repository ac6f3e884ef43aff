//! The write path: validated samples grouped per stream, one WAL batch per commit, then the
//! head. Nothing reaches the WAL or the head before `commit`, so a request rejected midway
//! leaves no trace.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use hashbrown::HashMap;

use crate::durable::{CommitTicket, WalBatch, WalError};
use crate::error::{Error, InvalidCode, Result};
use crate::metrics::record::{self, SampleBuf};
use crate::metrics::series::{SampleClass, StreamId, StreamKey, StreamKeyRef};

use super::Store;

/// One stream's pending samples.
#[derive(Debug)]
struct PendingStream {
    id: StreamId,
    key: StreamKey,
    buf: SampleBuf,
    max_t: i64,
}

/// Samples buffered for one commit, grouped by stream.
#[derive(Debug, Default)]
pub(crate) struct PendingWrite {
    streams: Vec<PendingStream>,
    lookup: HashMap<StreamId, usize>,
    samples: u64,
    /// Reused to encode keys for hashing.
    scratch: Vec<u8>,
}

impl PendingWrite {
    /// The slot of a stream, creating it on first use (the only time an owned key is built).
    /// Returns its index for `push_*`.
    pub(crate) fn stream(&mut self, key: StreamKeyRef<'_>) -> usize {
        let id = key.id_with(&mut self.scratch);
        if let Some(&i) = self.lookup.get(&id) {
            return i;
        }
        let i = self.streams.len();
        self.streams.push(PendingStream { id, key: key.to_owned_key(), buf: SampleBuf::default(), max_t: i64::MIN });
        self.lookup.insert(id, i);
        i
    }

    pub(crate) fn push_raw(&mut self, slot: usize, t: i64, v: f64, w: f64) {
        let s = &mut self.streams[slot];
        s.buf.push_raw(t, v, w);
        s.max_t = s.max_t.max(t);
        self.samples += 1;
    }

    pub(crate) fn push_set(&mut self, slot: usize, t: i64, count: f64, sum: f64, min: f64, max: f64) {
        let s = &mut self.streams[slot];
        s.buf.push_set(t, count, sum, min, max);
        s.max_t = s.max_t.max(t);
        self.samples += 1;
    }

    /// Samples buffered so far.
    pub(crate) fn samples(&self) -> u64 {
        self.samples
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.samples == 0
    }
}

impl Store {
    /// Makes `w` durable (per the WAL policy, when the ticket completes) and visible.
    pub(crate) fn commit(&self, w: PendingWrite) -> Result<CommitTicket> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let w_samples = w.samples;
        if self.head.samples().saturating_add(w_samples) > self.cfg.max_pending_samples {
            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
            return Err(Error::Throttled("the head is full and sealing is behind; retry later"));
        }
        for s in &w.streams {
            if let Some(existing) = self.index.get(s.id)
                && *existing != s.key
            {
                return Err(Error::invalid(
                    InvalidCode::InvalidParameterValue,
                    format!("series id collision between {:?} and {:?}", existing.metric, s.key.metric),
                ));
            }
        }

        let _g = self.barrier.read();
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let mut batch = WalBatch::new();
        let mut payload = Vec::with_capacity(64 + w_samples as usize * 10);
        for s in w.streams.iter().filter(|s| !s.buf.is_empty()) {
            if !self.head.contains(s.id) {
                payload.clear();
                record::encode_series_def(s.id, &s.key, &mut payload);
                batch.push_record(&payload).map_err(too_large)?;
            }
        }
        payload.clear();
        let live = w.streams.iter().filter(|s| !s.buf.is_empty());
        let groups: Vec<(StreamId, SampleClass, &SampleBuf)> = live.map(|s| (s.id, s.key.class, &s.buf)).collect();
        if groups.is_empty() {
            drop(_g);
            return Ok(CommitTicket::completed());
        }
        // One record for the whole request: after a crash it is there entirely or not at all.
        record::encode_samples(groups.iter().copied(), &mut payload);
        batch.push_record(&payload).map_err(too_large)?;
        let ticket = match self.wal.submit(batch) {
            Ok(t) => t,
            Err(WalError::Full) => {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                return Err(Error::Throttled("the write-ahead log queue is full; retry later"));
            }
            Err(e) => return Err(e.into()),
        };

        // Visible at once; the ticket says when it is durable.
        let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); self.head.shard_count()];
        for (i, (id, _, _)) in groups.iter().enumerate() {
            by_shard[self.head.shard_of(*id)].push(i);
        }
        for (shard, members) in by_shard.iter().enumerate().filter(|(_, m)| !m.is_empty()) {
            self.head.append_shard(shard, members.iter().map(|&i| groups[i]));
        }
        for s in &w.streams {
            // Registration cannot fail here: collisions were ruled out above and ids are
            // hashes of keys, so a racing registration registers the same key.
            let _ = self.index.register(s.id, &s.key, s.max_t);
        }
        let _ = self.head_since_ms.compare_exchange(0, self.now_ms().max(1), Ordering::Relaxed, Ordering::Relaxed);
        self.counters.samples_appended.fetch_add(w_samples, Ordering::Relaxed);
        self.counters.commits.fetch_add(1, Ordering::Relaxed);
        Ok(ticket)
    }

    /// The shared key of a stream, if known.
    pub(crate) fn stream_key(&self, id: StreamId) -> Option<Arc<StreamKey>> {
        self.index.get(id)
    }
}

fn too_large(e: WalError) -> Error {
    match e {
        WalError::RecordTooLarge { len, max } => Error::invalid(
            InvalidCode::InvalidParameterValue,
            format!(
                "The request encodes to {len} bytes, over the limit of {max} bytes for one atomic write; split it."
            ),
        ),
        other => other.into(),
    }
}
