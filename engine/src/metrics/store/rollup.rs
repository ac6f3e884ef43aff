//! Rolling whole blocks down the retention chain (raw → 5-minute → 1-hour) and deleting
//! 1-hour rollups past their retention. The policy is `metrics::tier`; this is the executor.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::metrics::block::{BlockReader, BlockStream, BlockWriter};
use crate::metrics::chunk;
use crate::metrics::enc::{Cursor, put_uvarint};
use crate::metrics::extended;
use crate::metrics::frame::PeriodAgg;
use crate::metrics::record::SampleBuf;
use crate::metrics::series::{SampleClass, StreamId};
use crate::metrics::sketch::Sketch;
use crate::metrics::tier::{self, TierBlock};

use super::{Store, Version};

/// One rollup bucket: exact aggregates and the distribution (`None`: a contribution had no
/// distribution, so the bucket has no percentiles).
#[derive(Debug, Clone)]
pub(crate) struct RollupBucket {
    pub(crate) agg: PeriodAgg,
    pub(crate) sketch: Option<Sketch>,
}

impl Default for RollupBucket {
    fn default() -> Self {
        RollupBucket { agg: PeriodAgg::default(), sketch: Some(Sketch::new()) }
    }
}

impl RollupBucket {
    fn merge_sketch(&mut self, other: Option<&Sketch>) {
        match (&mut self.sketch, other) {
            (Some(mine), Some(o)) => mine.merge(o),
            _ => self.sketch = None,
        }
    }
}

/// Decodes a rollup chunk's sketch blob: one `uvarint length` + sketch per sample; length 0 =
/// no distribution.
pub(crate) fn decode_sketches(blob: &[u8], n: usize) -> Result<Vec<Option<Sketch>>, String> {
    let mut c = Cursor::new(blob);
    let mut out = Vec::with_capacity(n.min(blob.len() + 1));
    for _ in 0..n {
        let len = c.uvarint().map_err(|e| e.to_string())? as usize;
        if len == 0 {
            out.push(None);
            continue;
        }
        let bytes = c.bytes(len).map_err(|e| e.to_string())?;
        let mut inner = Cursor::new(bytes);
        let s = Sketch::decode(&mut inner).map_err(|e| e.to_string())?;
        if !inner.is_empty() {
            return Err("trailing bytes in a sketch".into());
        }
        out.push(Some(s));
    }
    if !c.is_empty() {
        return Err("trailing bytes in a sketch blob".into());
    }
    Ok(out)
}

/// Folds one stream's data from `b` into `buckets` of `period` ms.
fn fold_stream(b: &BlockReader, s: &BlockStream, period: i64, buckets: &mut BTreeMap<i64, RollupBucket>) -> Result<()> {
    let class = s.key.class;
    let (mut scratch, mut samples) = (SampleBuf::default(), SampleBuf::default());
    for (c, &(sk_start, sk_len)) in s.chunks.iter().zip(&s.sketches) {
        BlockReader::verify(&b.path, c, sk_len)?;
        samples.clear();
        let rollup = b.meta.tier != 0;
        let chunk_class = if rollup { SampleClass::Set } else { class };
        chunk::decode_append(chunk_class, c.bytes.bytes(), &mut scratch, &mut samples)
            .map_err(|e| Error::corruption(&b.path, sk_start as u64, format!("chunk: {e}")))?;
        let sketches = if rollup {
            let file = match &c.bytes {
                chunk::ChunkBytes::Block { file, .. } => file.clone(),
                chunk::ChunkBytes::Head(_) => unreachable!("block chunks live in the block file"),
            };
            Some(
                decode_sketches(&file[sk_start..sk_start + sk_len], samples.len())
                    .map_err(|e| Error::corruption(&b.path, sk_start as u64, format!("sketch blob: {e}")))?,
            )
        } else {
            None
        };
        for i in 0..samples.len() {
            let t = samples.ts[i];
            let bucket = buckets.entry(t.div_euclid(period) * period).or_default();
            let a = &mut bucket.agg;
            match (chunk_class, &sketches) {
                (SampleClass::Raw, _) => {
                    let (v, w) = (samples.cols[0][i], samples.cols[1][i]);
                    if w > 0.0 {
                        a.merge(&PeriodAgg { count: w, sum: v * w, min: v, max: v });
                        if let Some(sk) = &mut bucket.sketch {
                            sk.add(v, w);
                        }
                    }
                }
                (SampleClass::Set, _) => {
                    let set = [samples.cols[0][i], samples.cols[1][i], samples.cols[2][i], samples.cols[3][i]];
                    a.merge(&PeriodAgg { count: set[0], sum: set[1], min: set[2], max: set[3] });
                    match &sketches {
                        Some(list) => bucket.merge_sketch(list[i].as_ref()),
                        None => match extended::set_as_values(set[0], set[1], set[2], set[3]) {
                            Some(pairs) => {
                                if let Some(sk) = &mut bucket.sketch {
                                    for (v, w) in pairs {
                                        sk.add(v, w);
                                    }
                                }
                            }
                            None => bucket.sketch = None,
                        },
                    }
                }
            }
        }
    }
    Ok(())
}

impl Store {
    /// Makes the next rollup the retention policy calls for and drops expired 1-hour
    /// rollups. Returns whether it changed anything.
    pub(crate) fn roll_up(&self) -> Result<bool> {
        let mut st = self.structure.lock();
        let now = self.now_ms();
        let all = self.version.load().blocks.clone();
        let infos: Vec<TierBlock> =
            all.iter().map(|b| TierBlock { id: b.meta.id, tier: b.meta.tier, max_t: b.meta.max_t }).collect();
        let mut changed = false;

        if let Some((ids, target)) = tier::next_rollup(&infos, now, &self.cfg.retention) {
            let inputs: Vec<Arc<BlockReader>> = all.iter().filter(|b| ids.contains(&b.meta.id)).cloned().collect();
            let period = i64::from(target) * 1000;
            let id = st.next_block_id;
            let mut w = BlockWriter::new(&*self.fs, &self.blocks_dir, id)?;
            let mut sids: Vec<StreamId> = inputs.iter().flat_map(|b| b.streams.keys().copied()).collect();
            sids.sort_unstable();
            sids.dedup();
            let mut release = super::seal::ConsumedInputs::new(&inputs);
            for sid in sids {
                let mut buckets: BTreeMap<i64, RollupBucket> = BTreeMap::new();
                let mut key = None;
                for b in &inputs {
                    if let Some(s) = b.streams.get(&sid) {
                        key.get_or_insert_with(|| s.key.clone());
                        fold_stream(b, s, period, &mut buckets)?;
                    }
                }
                let (Some(key), false) = (key, buckets.is_empty()) else { continue };
                let rows: Vec<(i64, RollupBucket)> = buckets.into_iter().collect();
                let mut encoded = Vec::new();
                for part in chunk::block_chunk_ranges(rows.len()).map(|r| &rows[r]) {
                    let mut buf = SampleBuf::default();
                    let mut blob = Vec::new();
                    for (t, b) in part {
                        buf.push_set(*t, b.agg.count, b.agg.sum, b.agg.min, b.agg.max);
                        match &b.sketch {
                            Some(sk) => {
                                let mut bytes = Vec::new();
                                sk.encode(&mut bytes);
                                put_uvarint(&mut blob, bytes.len() as u64);
                                blob.extend_from_slice(&bytes);
                            }
                            None => put_uvarint(&mut blob, 0),
                        }
                    }
                    let mut bytes = Vec::new();
                    chunk::encode(SampleClass::Set, &buf, &mut bytes);
                    let n = part.len();
                    encoded.push((part[0].0, part[n - 1].0, n as u32, bytes, blob));
                }
                w.add_stream_with_sketches(
                    sid,
                    &key,
                    encoded.iter().map(|(a, b, n, c, s)| (*a, *b, *n, c.as_slice(), s.as_slice())),
                )?;
                release.consumed(sid);
            }
            let wal_seq = inputs.iter().map(|b| b.meta.wal_seq).max().unwrap_or(0);
            let meta = w.finish(0, wal_seq, ids.clone(), target)?;
            st.next_block_id += 1;
            let reader = self.open_block(meta.id)?;
            self.replace_blocks(&ids, Some(reader))?;
            tracing::info!(blocks = ids.len(), tier = target, "rolled up");
            changed = true;
        }

        let expired = tier::expired(&infos, now, &self.cfg.retention);
        if !expired.is_empty() {
            self.replace_blocks(&expired, None)?;
            tracing::info!(blocks = expired.len(), "dropped 1-hour rollups past retention");
            changed = true;
        }
        Ok(changed)
    }

    /// Publishes a version without `ids` (plus `new`), then deletes their files. A crash in
    /// between is finished at open: `new` names `ids` as parents.
    fn replace_blocks(&self, ids: &[u64], new: Option<BlockReader>) -> Result<()> {
        let v = self.version.load();
        let (gone, mut kept): (Vec<_>, Vec<_>) = v.blocks.iter().cloned().partition(|b| ids.contains(&b.meta.id));
        kept.extend(new.map(Arc::new));
        self.version.store(Arc::new(Version { blocks: kept, frozen: v.frozen.clone() }));
        for b in &gone {
            self.fs.remove_file(&b.path).map_err(|e| Error::io(&b.path, e))?;
        }
        self.fs.sync_dir(&self.blocks_dir).map_err(|e| Error::io(&self.blocks_dir, e))?;
        Ok(())
    }
}
