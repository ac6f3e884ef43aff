//! Series identity: the canonical key of a storage stream, its persisted id, and the in-memory
//! series index that answers ListMetrics and finds the streams of a metric.
//!
//! A *metric* is (tenant, namespace, name, dimensions). Storage keeps one *stream* per
//! (metric, unit, class), where the class says whether samples are raw weighted values or
//! statistic sets; this keeps every chunk homogeneous and keeps units apart, as CloudWatch
//! aggregates each unit separately. A [`StreamId`] is the xxh3-64 hash of the stream's canonical
//! encoding: stable across processes and versions, so it can be persisted in the WAL and blocks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use hashbrown::HashMap;
use parking_lot::RwLock;

use super::enc::{Cursor, DecodeError, put_str, put_u8};
use super::model::{Dimension, MetricKey, Resolution, Tenant, Unit};

/// Persisted identifier of a stream: xxh3-64 of its canonical key encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StreamId(pub(crate) u64);

/// What a stream's samples are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SampleClass {
    /// Raw observations `(t, value, weight)`; single values have weight 1. Chunk columns:
    /// `[value]` when every weight is 1, else `[value, weight]`.
    Raw = 0,
    /// Statistic sets `(t, count, sum, min, max)`. Chunk columns: `[count, sum, min, max]`.
    Set = 1,
}

impl SampleClass {
    pub(crate) fn from_tag(t: u8) -> Option<SampleClass> {
        match t {
            0 => Some(SampleClass::Raw),
            1 => Some(SampleClass::Set),
            _ => None,
        }
    }
}

/// Full identity of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StreamKey {
    pub(crate) tenant: Tenant,
    pub(crate) metric: MetricKey,
    pub(crate) unit: Unit,
    pub(crate) class: SampleClass,
    /// Storage resolution the samples were sent with. Part of the stream (not of the metric):
    /// a metric sent at both resolutions has a stream for each, merged by queries.
    pub(crate) resolution: Resolution,
}

impl StreamKey {
    /// The borrowed view of this key.
    pub(crate) fn as_ref(&self) -> StreamKeyRef<'_> {
        StreamKeyRef {
            tenant: &self.tenant,
            namespace: &self.metric.namespace,
            metric_name: &self.metric.metric_name,
            dimensions: &self.metric.dimensions,
            unit: self.unit,
            class: self.class,
            resolution: self.resolution,
        }
    }

    /// Canonical encoding (format documented in docs/format/block.md, "canonical stream key").
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.as_ref().encode(out);
    }

    pub(crate) fn decode(c: &mut Cursor<'_>) -> Result<StreamKey, DecodeError> {
        Self::decode_with(c, |c| c.str())
    }

    /// Decodes a key laid out as the canonical encoding, with each string read by `str`
    /// (block format v3 stores string table references instead of the strings).
    pub(crate) fn decode_with<'a>(
        c: &mut Cursor<'a>,
        mut str: impl FnMut(&mut Cursor<'a>) -> Result<&'a str, DecodeError>,
    ) -> Result<StreamKey, DecodeError> {
        let account = str(c)?.to_owned();
        let region = str(c)?.to_owned();
        let namespace = str(c)?.to_owned();
        let metric_name = str(c)?.to_owned();
        let n = c.u8()?;
        if n > 30 {
            return Err(DecodeError::Invalid("dimension count"));
        }
        let mut dimensions = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let name = str(c)?.to_owned();
            let value = str(c)?.to_owned();
            dimensions.push(Dimension { name, value });
        }
        let unit = Unit::from_tag(c.u8()?).ok_or(DecodeError::Invalid("unit tag"))?;
        let class = SampleClass::from_tag(c.u8()?).ok_or(DecodeError::Invalid("class tag"))?;
        let resolution = Resolution::from_seconds(i64::from(c.u8()?)).ok_or(DecodeError::Invalid("resolution"))?;
        let mut metric = MetricKey { namespace, metric_name, dimensions };
        metric.normalize();
        Ok(StreamKey { tenant: Tenant { account, region }, metric, unit, class, resolution })
    }

    pub(crate) fn id(&self) -> StreamId {
        self.as_ref().id_with(&mut Vec::with_capacity(128))
    }
}

/// A stream identity by reference: hashing a datum's identity needs no owned strings, so a
/// request naming the same series many times (CloudWatch-shaped datums) allocates a key once.
/// `dimensions` must be sorted by name (then value), as [`MetricKey::normalize`] leaves them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamKeyRef<'a> {
    pub(crate) tenant: &'a Tenant,
    pub(crate) namespace: &'a str,
    pub(crate) metric_name: &'a str,
    pub(crate) dimensions: &'a [Dimension],
    pub(crate) unit: Unit,
    pub(crate) class: SampleClass,
    pub(crate) resolution: Resolution,
}

impl StreamKeyRef<'_> {
    /// Canonical encoding: account, region, namespace, metric name as u32-length-prefixed UTF-8,
    /// dimension count u8, each dimension's name and value (sorted by name), unit tag u8, class
    /// tag u8, storage resolution in seconds u8 (1 or 60).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.encode_with(out, put_str);
    }

    /// The canonical layout with each string written by `str` (block format v3 writes string
    /// table references).
    pub(crate) fn encode_with(&self, out: &mut Vec<u8>, mut str: impl FnMut(&mut Vec<u8>, &str)) {
        str(out, &self.tenant.account);
        str(out, &self.tenant.region);
        str(out, self.namespace);
        str(out, self.metric_name);
        put_u8(out, self.dimensions.len() as u8);
        for d in self.dimensions {
            str(out, &d.name);
            str(out, &d.value);
        }
        put_u8(out, self.unit.tag());
        put_u8(out, self.class as u8);
        put_u8(out, self.resolution.seconds() as u8);
    }

    /// The id, encoding into `scratch` (cleared first).
    pub(crate) fn id_with(&self, scratch: &mut Vec<u8>) -> StreamId {
        scratch.clear();
        self.encode(scratch);
        StreamId(xxhash_rust::xxh3::xxh3_64(scratch))
    }

    pub(crate) fn to_owned_key(self) -> StreamKey {
        StreamKey {
            tenant: self.tenant.clone(),
            metric: MetricKey {
                namespace: self.namespace.to_owned(),
                metric_name: self.metric_name.to_owned(),
                dimensions: self.dimensions.to_vec(),
            },
            unit: self.unit,
            class: self.class,
            resolution: self.resolution,
        }
    }
}

/// What the index knows about one metric.
#[derive(Debug, Default)]
struct MetricEntry {
    /// Streams of this metric (one per unit × class × resolution seen).
    streams: Vec<(StreamId, Unit, SampleClass)>,
    /// Largest sample timestamp seen, epoch ms (drives "no data in two weeks" and
    /// RecentlyActive). Shared with every stream of the metric so appends update it under the
    /// read lock.
    last_ms: Arc<AtomicI64>,
}

#[derive(Debug, Default)]
struct IndexInner {
    by_id: HashMap<StreamId, (Arc<StreamKey>, Arc<AtomicI64>)>,
    metrics: BTreeMap<(Tenant, MetricKey), MetricEntry>,
}

/// The in-memory series index: every stream ever seen (blocks and head), by id and by metric.
#[derive(Debug, Default)]
pub(crate) struct SeriesIndex {
    inner: RwLock<IndexInner>,
}

impl SeriesIndex {
    pub(crate) fn get(&self, id: StreamId) -> Option<Arc<StreamKey>> {
        self.inner.read().by_id.get(&id).map(|(k, _)| k.clone())
    }

    /// Registers a stream (idempotent) and records data at `last_ms`. Fails if another key
    /// already owns the id (a 64-bit hash collision: astronomically unlikely, but never
    /// silently merged).
    pub(crate) fn register(&self, id: StreamId, key: &StreamKey, last_ms: i64) -> Result<(), Arc<StreamKey>> {
        {
            let inner = self.inner.read();
            if let Some((k, last)) = inner.by_id.get(&id) {
                if **k != *key {
                    return Err(k.clone());
                }
                last.fetch_max(last_ms, Ordering::Relaxed);
                return Ok(());
            }
        }
        let mut inner = self.inner.write();
        if let Some((k, last)) = inner.by_id.get(&id) {
            if **k != *key {
                return Err(k.clone());
            }
            last.fetch_max(last_ms, Ordering::Relaxed);
            return Ok(());
        }
        let e = inner
            .metrics
            .entry((key.tenant.clone(), key.metric.clone()))
            .or_insert_with(|| MetricEntry { streams: Vec::new(), last_ms: Arc::new(AtomicI64::new(i64::MIN)) });
        e.streams.push((id, key.unit, key.class));
        e.last_ms.fetch_max(last_ms, Ordering::Relaxed);
        let last = e.last_ms.clone();
        inner.by_id.insert(id, (Arc::new(key.clone()), last));
        Ok(())
    }

    /// Records that a known stream received data at `t_ms`.
    pub(crate) fn touch(&self, id: StreamId, t_ms: i64) {
        if let Some((_, last)) = self.inner.read().by_id.get(&id) {
            last.fetch_max(t_ms, Ordering::Relaxed);
        }
    }

    /// Streams of one metric (exact dimension set).
    pub(crate) fn streams_of(&self, tenant: &Tenant, metric: &MetricKey) -> Vec<(StreamId, Unit, SampleClass)> {
        let key = (tenant.clone(), metric.clone());
        self.inner.read().metrics.get(&key).map(|e| e.streams.clone()).unwrap_or_default()
    }

    pub(crate) fn series_count(&self) -> u64 {
        self.inner.read().by_id.len() as u64
    }

    /// Metrics of `tenant` in key order strictly after `after`, passing `filter`, at most `limit`,
    /// with data at or after `min_last_ms`. Returns the page and whether more remain.
    pub(crate) fn scan_metrics(
        &self,
        tenant: &Tenant,
        namespace: Option<&str>,
        after: Option<&MetricKey>,
        min_last_ms: i64,
        limit: usize,
        mut filter: impl FnMut(&MetricKey) -> bool,
    ) -> (Vec<MetricKey>, bool) {
        use std::ops::Bound;
        let inner = self.inner.read();
        let lower = match (after, namespace) {
            (Some(a), _) => Bound::Excluded((tenant.clone(), a.clone())),
            (None, Some(ns)) => Bound::Included((
                tenant.clone(),
                MetricKey { namespace: ns.to_owned(), metric_name: String::new(), dimensions: Vec::new() },
            )),
            (None, None) => Bound::Included((
                tenant.clone(),
                MetricKey { namespace: String::new(), metric_name: String::new(), dimensions: Vec::new() },
            )),
        };
        let mut out = Vec::new();
        for ((t, m), e) in inner.metrics.range((lower, Bound::Unbounded)) {
            if t != tenant {
                break;
            }
            if let Some(ns) = namespace {
                if m.namespace.as_str() > ns {
                    break;
                }
                if m.namespace != ns {
                    continue;
                }
            }
            if e.last_ms.load(Ordering::Relaxed) < min_last_ms || !filter(m) {
                continue;
            }
            if out.len() == limit {
                return (out, true);
            }
            out.push(m.clone());
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dims: &[(&str, &str)], unit: Unit) -> StreamKey {
        StreamKey {
            tenant: Tenant::default(),
            metric: MetricKey::new("NS", "M", dims.iter().map(|(n, v)| Dimension::new(*n, *v)).collect()),
            unit,
            class: SampleClass::Raw,
            resolution: Resolution::High,
        }
    }

    #[test]
    fn id_is_order_insensitive_and_unit_sensitive() {
        let a = key(&[("a", "1"), ("b", "2")], Unit::Count);
        let b = key(&[("b", "2"), ("a", "1")], Unit::Count);
        let c = key(&[("a", "1"), ("b", "2")], Unit::Seconds);
        assert_eq!(a.id(), b.id());
        assert_ne!(a.id(), c.id());
        let mut buf = Vec::new();
        a.encode(&mut buf);
        assert_eq!(StreamKey::decode(&mut Cursor::new(&buf)).unwrap(), a);
    }

    #[test]
    fn scan_pages_in_order() {
        let idx = SeriesIndex::default();
        for i in 0..10 {
            let k = key(&[("host", &format!("h{i}"))], Unit::None);
            idx.register(k.id(), &k, 100).unwrap();
        }
        let t = Tenant::default();
        let (p1, more) = idx.scan_metrics(&t, Some("NS"), None, 0, 4, |_| true);
        assert!(more);
        assert_eq!(p1.len(), 4);
        let (p2, _) = idx.scan_metrics(&t, Some("NS"), p1.last(), 0, 100, |_| true);
        assert_eq!(p2.len(), 6);
        assert!(p1.last().unwrap() < p2.first().unwrap());
        let (none, _) = idx.scan_metrics(&t, Some("Other"), None, 0, 100, |_| true);
        assert!(none.is_empty());
        let (old, _) = idx.scan_metrics(&t, None, None, 101, 100, |_| true);
        assert!(old.is_empty());
    }
}
