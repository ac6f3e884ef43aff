//! Opening the store: sweep leftovers, load blocks, finish interrupted compactions, replay the
//! WAL from the last seal point into the head, start a fresh WAL segment.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64};

use arc_swap::ArcSwap;
use parking_lot::{Mutex, RwLock};

use crate::durable::{self, Clock, FileSystem, ReplayError, Wal, WalConfig};
use crate::error::{Error, Result};
use crate::metrics::block::{self, BlockReader};
use crate::metrics::head::Head;
use crate::metrics::record::SampleBuf;
use crate::metrics::record::{self, Record};
use crate::metrics::series::{SampleClass, SeriesIndex, StreamId};

use super::{Store, StoreConfig, StoreCounters, Structure, Version};

/// What recovery did, for the log.
#[derive(Debug, Default)]
pub(crate) struct RecoveryReport {
    pub(crate) blocks: usize,
    pub(crate) obsolete_blocks_removed: usize,
    pub(crate) wal_records: u64,
    pub(crate) wal_samples: u64,
    pub(crate) torn_tails: usize,
    pub(crate) unknown_series_samples: u64,
    /// Wall time of the WAL replay alone (reading, decoding and appending to the head).
    pub(crate) replay_time: std::time::Duration,
}

impl Store {
    pub(crate) fn open(
        fs: Arc<dyn FileSystem>,
        clock: Arc<dyn Clock>,
        dir: &Path,
        cfg: StoreConfig,
        mut wal_cfg: WalConfig,
    ) -> Result<(Store, RecoveryReport)> {
        let blocks_dir = dir.join("blocks");
        let wal_dir = dir.join("wal");
        for d in [dir, &blocks_dir, &wal_dir] {
            durable::create_dir_all_durable(&*fs, d).map_err(|e| Error::io(d, e))?;
        }
        durable::sweep_temp_files(&*fs, &blocks_dir).map_err(|e| Error::io(&blocks_dir, e))?;
        let mut report = RecoveryReport::default();

        // Blocks, minus those a published compaction replaced.
        let names = fs.list_dir(&blocks_dir).map_err(|e| Error::io(&blocks_dir, e))?;
        let mut blocks = Vec::new();
        for name in names {
            if block::parse_file_name(&name).is_some() {
                blocks.push(BlockReader::open(&*fs, &blocks_dir.join(&name))?);
            }
        }
        let replaced: HashSet<u64> = blocks.iter().flat_map(|b| b.meta.parents.iter().copied()).collect();
        let (obsolete, blocks): (Vec<_>, Vec<_>) = blocks.into_iter().partition(|b| replaced.contains(&b.meta.id));
        for b in &obsolete {
            fs.remove_file(&b.path).map_err(|e| Error::io(&b.path, e))?;
        }
        if !obsolete.is_empty() {
            fs.sync_dir(&blocks_dir).map_err(|e| Error::io(&blocks_dir, e))?;
        }
        report.obsolete_blocks_removed = obsolete.len();
        report.blocks = blocks.len();

        let index = SeriesIndex::default();
        for b in &blocks {
            for (id, s) in &b.streams {
                let last = s.chunks.iter().map(|c| c.max_t).max().unwrap_or(i64::MIN);
                index.register(*id, &s.key, last).map_err(|other| {
                    Error::corruption(&b.path, 0, format!("stream id {id:?} names two keys: {:?}", other.metric))
                })?;
            }
        }
        let blocks: Vec<Arc<BlockReader>> = blocks
            .into_iter()
            .map(|mut b| {
                b.share_keys(&index);
                Arc::new(b)
            })
            .collect();
        let replay_from = blocks.iter().map(|b| b.meta.wal_seq).max().unwrap_or(0);
        let next_block_id = blocks.iter().map(|b| b.meta.id + 1).max().unwrap_or(1);

        // WAL replay into a fresh head. This thread reads, checks and decodes records and keeps
        // the series index (definitions precede their samples in the log, so it stays in log
        // order); one appender thread per head shard encodes the samples into the head, in log
        // order within its shard (streams never span shards). Bounded queues keep memory flat.
        let head = Head::new(cfg.shards);
        let mut head_since = 0i64;
        let replay_started = std::time::Instant::now();
        let replay = std::thread::scope(|scope| {
            let mut queues = Vec::with_capacity(head.shard_count());
            for shard in 0..head.shard_count() {
                let (tx, rx) = crossbeam_channel::bounded::<Vec<(StreamId, SampleClass, SampleBuf)>>(64);
                let head = &head;
                std::thread::Builder::new()
                    .name(format!("stratus-replay-{shard}"))
                    .spawn_scoped(scope, move || {
                        for batch in rx {
                            head.append_shard(shard, batch.iter().map(|(id, class, buf)| (*id, *class, buf)));
                        }
                    })
                    .map_err(|e| Error::io(&wal_dir, e))?;
                queues.push(tx);
            }
            let mut per_shard: Vec<Vec<(StreamId, SampleClass, SampleBuf)>> = vec![Vec::new(); queues.len()];
            durable::replay(&*fs, &wal_dir, replay_from, |segment, payload| {
                report.wal_records += 1;
                match record::decode(payload) {
                    Ok(Record::SeriesDef { id, key }) => {
                        if key.id() != id {
                            return Err(format!("segment {segment}: series definition {id:?} does not match its key"));
                        }
                        index
                            .register(id, &key, i64::MIN)
                            .map_err(|o| format!("segment {segment}: stream id collision with {:?}", o.metric))?;
                    }
                    Ok(Record::Samples(groups)) => {
                        for (id, class, buf) in groups {
                            match index.get(id) {
                                Some(key) if key.class == class => {
                                    if let Some(&max) = buf.ts.iter().max() {
                                        index.touch(id, max);
                                    }
                                    report.wal_samples += buf.len() as u64;
                                    per_shard[head.shard_of(id)].push((id, class, buf));
                                }
                                _ => report.unknown_series_samples += buf.len() as u64,
                            }
                        }
                        for (shard, batch) in per_shard.iter_mut().enumerate() {
                            if !batch.is_empty() {
                                let full = std::mem::take(batch);
                                // A closed queue means its appender panicked; the scope re-raises that.
                                let _ = queues[shard].send(full);
                            }
                        }
                        head_since = clock.now_ms();
                    }
                    Err(e) => return Err(format!("segment {segment}: undecodable WAL record: {e}")),
                }
                Ok(())
            })
            .map_err(|e| match e {
                ReplayError::Callback { segment, offset, error } => {
                    Error::corruption(wal_dir.join(durable::segment_file_name(segment)), offset, error)
                }
                ReplayError::Wal(e) => Error::Wal(e),
            })
            // Dropping `queues` here ends the appenders; the scope joins them before returning.
        })?;
        report.replay_time = replay_started.elapsed();
        report.torn_tails = replay.torn.len();
        if report.unknown_series_samples > 0 {
            tracing::warn!(samples = report.unknown_series_samples, "WAL samples of undefined series skipped");
        }

        wal_cfg.dir = wal_dir;
        let wal = Wal::open(fs.clone(), wal_cfg)?;
        let query_pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.shards.max(1))
            .thread_name(|i| format!("stratus-query-{i}"))
            .build()
            .map_err(|e| Error::io(dir, std::io::Error::other(e)))?;
        let store = Store {
            fs,
            clock,
            blocks_dir,
            head,
            index,
            version: ArcSwap::from_pointee(Version { blocks, frozen: Vec::new() }),
            wal,
            barrier: RwLock::new(()),
            structure: Mutex::new(Structure { next_block_id, pending: Vec::new() }),
            cfg,
            counters: StoreCounters::default(),
            head_since_ms: AtomicI64::new(head_since),
            closed: AtomicBool::new(false),
            query_pool,
        };
        Ok((store, report))
    }
}
