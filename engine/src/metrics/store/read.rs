//! The read path: snapshot, select streams, decode only overlapping chunks, aggregate.

use crate::error::{Error, InvalidCode, Result};
use crate::metrics::block::BlockReader;
use crate::metrics::chunk::{self, ChunkBytes, ChunkMeta};
use crate::metrics::enc::{Cursor, put_str, put_u8};
use crate::metrics::gmd::{self, GetMetricData, GetMetricDataResult, MetricSource};
use crate::metrics::model::{
    ListMetricsPage, ListMetricsQuery, MetricKey, StatisticsQuery, StatisticsResult, Tenant, Unit,
};
use crate::metrics::query::{self, Buckets, Plan};
use crate::metrics::record::SampleBuf;
use crate::metrics::series::SampleClass;
use crate::metrics::store::decode_sketches;
use crate::metrics::tier;
use crate::metrics::validate;

use super::Store;

/// Metrics per ListMetrics page.
pub(crate) const LIST_PAGE: usize = 500;
const THREE_HOURS_MS: i64 = 3 * 3600 * 1000;

impl Store {
    pub(crate) fn get_metric_statistics(&self, tenant: &Tenant, q: &StatisticsQuery) -> Result<StatisticsResult> {
        let extended = validate::statistics_query(q)?;
        let plan = query::plan(q, self.now_ms())?;
        let mut key = q.key.clone();
        key.normalize();
        let mut result = StatisticsResult { label: key.metric_name.clone(), datapoints: Vec::new() };
        for (unit, b) in self.metric_buckets(tenant, &key, plan, q.unit, !extended.is_empty())? {
            b.datapoints(unit, &q.statistics, &extended, &mut result.datapoints);
        }
        result.datapoints.sort_by_key(|a| (a.timestamp_ms, a.unit));
        Ok(result)
    }

    /// Per-unit period buckets of one metric (exact dimension set, normalised key), in unit
    /// order; `keep_values` also keeps the observations (for percentiles). Decodes only chunks
    /// that overlap the plan.
    pub(crate) fn metric_buckets(
        &self,
        tenant: &Tenant,
        key: &MetricKey,
        plan: Plan,
        unit: Option<Unit>,
        keep_values: bool,
    ) -> Result<Vec<(Unit, Buckets)>> {
        let mut by_unit: Vec<(Unit, Buckets)> = Vec::new();
        if plan.buckets == 0 {
            return Ok(by_unit);
        }
        let mut streams = self.index.streams_of(tenant, key);
        streams.retain(|(_, u, _)| unit.is_none_or(|want| want == *u));
        streams.sort_by_key(|(_, unit, class)| (*unit, *class));
        let mut samples = SampleBuf::default();
        for (id, unit, class) in streams {
            let mut chunks: Vec<(Option<&BlockReader>, ChunkMeta)> = Vec::new();
            let mut open = SampleBuf::default();
            let mut head_chunks = Vec::new();
            let version = {
                let _g = self.barrier.read();
                self.head.collect(id, plan.start, plan.end, &mut head_chunks, &mut open);
                self.version.load_full()
            };
            for f in &version.frozen {
                f.collect(id, plan.start, plan.end, &mut head_chunks, &mut open);
            }
            chunks.extend(head_chunks.into_iter().map(|c| (None, c)));
            let mut rollups: Vec<(&BlockReader, ChunkMeta, (usize, usize))> = Vec::new();
            for b in &version.blocks {
                // Every sample lives in exactly one block (raw or one rollup tier); a rollup
                // serves only periods that are multiples of its tier.
                if b.meta.max_t < plan.start || b.meta.min_t >= plan.end || !tier::serves(b.meta.tier, plan.period) {
                    continue;
                }
                if let Some(s) = b.streams.get(&id) {
                    for (c, sk) in s.chunks.iter().zip(&s.sketches) {
                        if c.max_t < plan.start || c.min_t >= plan.end {
                            continue;
                        }
                        if b.meta.tier == 0 {
                            chunks.push((Some(b.as_ref()), c.clone()));
                        } else {
                            rollups.push((b.as_ref(), c.clone(), *sk));
                        }
                    }
                }
            }
            if by_unit.last().is_none_or(|(u, _)| *u != unit) {
                by_unit.push((unit, Buckets::new(plan, keep_values)));
            }
            let buckets = &mut by_unit.last_mut().expect("pushed above").1;
            for (b, c, (sk_start, sk_len)) in &rollups {
                BlockReader::verify(&b.path, c, *sk_len)?;
                chunk::decode_into(SampleClass::Set, c.bytes.bytes(), &mut samples).map_err(|e| {
                    Error::corruption(&b.path, *sk_start as u64, format!("rollup chunk of {id:?}: {e}"))
                })?;
                let sketches = match (&c.bytes, keep_values) {
                    (ChunkBytes::Block { file, .. }, true) => Some(
                        decode_sketches(&file[*sk_start..*sk_start + *sk_len], samples.len())
                            .map_err(|e| Error::corruption(&b.path, *sk_start as u64, format!("sketch blob: {e}")))?,
                    ),
                    _ => None,
                };
                buckets.add_rollup(&samples, sketches.as_deref());
            }
            buckets.add(class, &open);
            for (block, c) in &chunks {
                if let Some(b) = block {
                    BlockReader::verify(&b.path, c, 0)?;
                }
                let weights = chunk::decode_columns(class, c.bytes.bytes(), &mut samples).map_err(|e| {
                    let file = block.map(|b| b.path.clone()).unwrap_or_default();
                    Error::corruption(file, 0, format!("chunk of stream {id:?}: {e}"))
                })?;
                match weights {
                    chunk::Weights::One => buckets.add_unit(&samples.ts, &samples.cols[0]),
                    chunk::Weights::Stored => buckets.add(class, &samples),
                }
            }
        }
        Ok(by_unit)
    }

    pub(crate) fn list_metrics(&self, tenant: &Tenant, q: &ListMetricsQuery) -> Result<ListMetricsPage> {
        validate::list_metrics(q)?;
        let after = match q.next_token.as_deref() {
            None | Some("") => None,
            Some(t) => Some(decode_token(t).ok_or_else(|| {
                Error::invalid(InvalidCode::InvalidParameterValue, "The value for parameter NextToken is invalid.")
            })?),
        };
        let now = self.now_ms();
        let min_last = if q.recently_active { now - THREE_HOURS_MS } else { now - validate::MAX_PAST_MS };
        let (metrics, more) =
            self.index.scan_metrics(tenant, q.namespace.as_deref(), after.as_ref(), min_last, LIST_PAGE, |m| {
                q.metric_name.as_ref().is_none_or(|n| *n == m.metric_name)
                    && q.dimensions.iter().all(|f| {
                        m.dimensions.iter().any(|d| d.name == f.name && f.value.as_ref().is_none_or(|v| *v == d.value))
                    })
            });
        let next_token = if more { metrics.last().map(encode_token) } else { None };
        Ok(ListMetricsPage { metrics, next_token })
    }
}

/// Paging tokens are the hex of the last returned key's encoding: opaque to clients, stable
/// across restarts, and valid even if metrics appear between pages.
fn encode_token(m: &MetricKey) -> String {
    let mut b = Vec::new();
    put_str(&mut b, &m.namespace);
    put_str(&mut b, &m.metric_name);
    put_u8(&mut b, m.dimensions.len() as u8);
    for d in &m.dimensions {
        put_str(&mut b, &d.name);
        put_str(&mut b, &d.value);
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn decode_token(t: &str) -> Option<MetricKey> {
    if !t.len().is_multiple_of(2) || t.len() > 1 << 20 {
        return None;
    }
    let bytes: Vec<u8> =
        (0..t.len()).step_by(2).map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok()).collect::<Option<_>>()?;
    let mut c = Cursor::new(&bytes);
    let namespace = c.str().ok()?.to_owned();
    let metric_name = c.str().ok()?.to_owned();
    let n = c.u8().ok()?;
    let mut dimensions = Vec::new();
    for _ in 0..n {
        let name = c.str().ok()?.to_owned();
        let value = c.str().ok()?.to_owned();
        dimensions.push(crate::metrics::model::Dimension { name, value });
    }
    c.is_empty().then(|| MetricKey::new(namespace, metric_name, dimensions))
}

/// The store as seen by GetMetricData for one tenant.
#[derive(Debug)]
pub(crate) struct TenantSource<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

impl MetricSource for TenantSource<'_> {
    fn now_ms(&self) -> i64 {
        self.store.now_ms()
    }

    fn buckets(
        &self,
        key: &MetricKey,
        plan: Plan,
        unit: Option<Unit>,
        keep_values: bool,
    ) -> Result<Vec<(Unit, Buckets)>> {
        self.store.metric_buckets(self.tenant, key, plan, unit, keep_values)
    }

    fn metrics(
        &self,
        namespace: Option<&str>,
        filter: &mut dyn FnMut(&MetricKey) -> bool,
        limit: usize,
    ) -> Vec<MetricKey> {
        // Searches reach metrics with data in the last two weeks, as ListMetrics does.
        let min_last = self.store.now_ms() - validate::MAX_PAST_MS;
        self.store.index.scan_metrics(self.tenant, namespace, None, min_last, limit, filter).0
    }
}

impl Store {
    /// GetMetricData on the engine's query pool: per-series work inside the request runs in
    /// parallel there (bounded by the pool size), not on threads spawned per request.
    pub(crate) fn get_metric_data(&self, tenant: &Tenant, req: &GetMetricData) -> Result<GetMetricDataResult> {
        self.query_pool.install(|| gmd::execute(&TenantSource { store: self, tenant }, req))
    }
}
