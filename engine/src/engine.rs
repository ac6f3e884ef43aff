//! [`Engine`]: opens and recovers the store, owns its background thread, closes in order.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

use crate::alarm::model::{
    ActionOutcome, ActionRequest, AlarmHistory, CompositeAlarmInput, DescribeAlarmHistory, DescribeAlarms,
    DescribeAlarmsForMetric, DescribeAlarmsResult, EvaluationReport, MetricAlarm, MetricAlarmInput,
};
use crate::alarm::store::AlarmStore;
use crate::durable::{Clock, CommitTicket, Durability, FileSystem, RealFs, SystemClock, WalConfig};
use crate::error::{Error, Result};
use crate::metrics::dashboard::{Dashboard, DashboardEntry, DashboardStore};
use crate::metrics::gmd::{GetMetricData, GetMetricDataResult};
use crate::metrics::model::{
    DatumValue, Dimension, ListMetricsPage, ListMetricsQuery, MetricKey, PutMetricData, Resolution, StatisticsQuery,
    StatisticsResult, Tenant, Unit,
};
use crate::metrics::series::{SampleClass, StreamKeyRef};
use crate::metrics::store::{EngineStats, FlushReport, PendingWrite, Store, StoreConfig};
use crate::metrics::tier;
use crate::metrics::validate;

/// Engine configuration. `Default` gives production settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Head shards; 0 means one per available core.
    pub shards: usize,
    /// When a write is acknowledged relative to fsync.
    pub durability: Durability,
    /// WAL segment size before rotation.
    pub wal_segment_bytes: u64,
    /// Seal the head into a block once it holds this many samples.
    pub head_max_samples: u64,
    /// Seal the head into a block once its compressed chunks take this many bytes (bounds the
    /// head's memory whatever the values compress to: 16 M full-precision floats are ~120 MB,
    /// 16 M small decimals ~10 MB).
    pub head_max_bytes: u64,
    /// Seal the head once its oldest data arrived this long ago (bounds WAL replay).
    pub head_max_age: Duration,
    /// Merge blocks once there are this many.
    pub compact_min_blocks: usize,
    /// Refuse writes (Throttling) while the head holds more than this many samples.
    pub max_pending_samples: u64,
    /// Keep raw samples this long, then roll them up into the 5-minute tier; `None` keeps raw
    /// samples forever. At least 15 days (the 14-day late-data window plus a day). Default 15 d.
    pub raw_retention: Option<Duration>,
    /// Keep 5-minute rollups this long, then roll them up into the 1-hour tier; `None` keeps
    /// them forever. Default 63 days.
    pub five_minute_retention: Option<Duration>,
    /// Keep 1-hour rollups this long, then delete them; `None` keeps them forever. Default 455 days.
    pub one_hour_retention: Option<Duration>,
    /// How often the background thread checks whether to seal, compact or expire.
    pub maintenance_interval: Duration,
    /// Run the alarm scheduler thread (default true). Off, alarms are evaluated only when the
    /// embedder calls [`Engine::run_alarm_evaluations`] (a manual clock, tests).
    pub alarm_scheduler: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            shards: 0,
            durability: Durability::Sync,
            wal_segment_bytes: 64 << 20,
            head_max_samples: 16_000_000,
            head_max_bytes: 32 << 20,
            head_max_age: Duration::from_secs(2 * 3600),
            compact_min_blocks: 4,
            max_pending_samples: 64_000_000,
            raw_retention: Some(Duration::from_secs(15 * 86_400)),
            five_minute_retention: Some(Duration::from_secs(63 * 86_400)),
            one_hour_retention: Some(Duration::from_secs(455 * 86_400)),
            maintenance_interval: Duration::from_secs(1),
            alarm_scheduler: true,
        }
    }
}

impl EngineConfig {
    /// Rejects settings that cannot work, naming the field.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.wal_segment_bytes < 4096 {
            return Err("wal_segment_bytes must be at least 4096".into());
        }
        if self.head_max_samples == 0 || self.head_max_bytes == 0 {
            return Err("head_max_samples and head_max_bytes must be positive".into());
        }
        if self.max_pending_samples < self.head_max_samples {
            return Err("max_pending_samples must be at least head_max_samples".into());
        }
        if self.compact_min_blocks < 2 {
            return Err("compact_min_blocks must be at least 2".into());
        }
        if self.head_max_age.is_zero() || self.maintenance_interval.is_zero() {
            return Err("head_max_age and maintenance_interval must be positive".into());
        }
        if self.raw_retention.is_some_and(|r| (r.as_millis() as i64) < tier::MIN_RAW_RETENTION_MS) {
            return Err("raw_retention must be at least 15 days (late samples are accepted for 14 days), or absent to keep raw samples forever".into());
        }
        if self.five_minute_retention.is_some_and(|r| r.is_zero())
            || self.one_hour_retention.is_some_and(|r| r.is_zero())
        {
            return Err("rollup retentions must be positive (or absent to keep forever)".into());
        }
        Ok(())
    }
}

/// An acknowledged-on-durability receipt for a write.
#[derive(Debug)]
pub struct PutReceipt {
    /// Samples stored (each distinct value of a `Values` datum counts once).
    pub samples: u64,
    /// Completes when the write is as durable as the configured policy promises.
    pub ticket: CommitTicket,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    dashboards: DashboardStore,
    alarms: AlarmStore,
    cfg: EngineConfig,
}

/// The embeddable metrics engine: open a directory, append, query, close.
///
/// ```
/// use stratus_engine::{DatumValue, Engine, EngineConfig, MetricKey, Resolution, Statistic,
///     StatisticsQuery, Tenant, Unit};
///
/// let dir = tempfile::tempdir()?;
/// let engine = Engine::open(dir.path(), EngineConfig::default())?;
/// let tenant = Tenant::default();
/// let key = MetricKey::new("MyApp", "Latency", vec![]);
/// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
/// let t = now - now % 60_000;
///
/// let mut app = engine.appender(&tenant);
/// app.append(&key, Unit::Milliseconds, Resolution::Standard, t, &DatumValue::Single(12.0))?;
/// app.append(&key, Unit::Milliseconds, Resolution::Standard, t, &DatumValue::Single(20.0))?;
/// app.commit()?.wait()?; // durable: the WAL group holding it was fsynced
///
/// let stats = engine.querier().get_metric_statistics(&tenant, &StatisticsQuery {
///     key,
///     start_ms: t,
///     end_ms: t + 60_000,
///     period_s: 60,
///     statistics: vec![Statistic::Average, Statistic::SampleCount],
///     extended_statistics: vec![],
///     unit: None,
/// })?;
/// assert_eq!(stats.datapoints[0].average, Some(16.0));
/// assert_eq!(stats.datapoints[0].sample_count, Some(2.0));
/// engine.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    inner: Arc<Inner>,
    stop: Sender<()>,
    wake: Sender<()>,
    maintenance: Mutex<Option<JoinHandle<()>>>,
    alarm_stop: Sender<()>,
    alarm_thread: Mutex<Option<JoinHandle<()>>>,
    /// The exclusive lock on `<dir>/LOCK` (real file system only), released after close.
    _dir_lock: Option<std::fs::File>,
}

impl Engine {
    /// Opens (creating if needed) the engine in `dir` on the real file system. The directory is
    /// locked (`<dir>/LOCK`, an advisory exclusive lock) for as long as the engine is open: a
    /// second process opening it gets an error instead of two writers corrupting one WAL.
    pub fn open(dir: impl AsRef<Path>, config: EngineConfig) -> Result<Engine> {
        Engine::open_with_clock(dir, config, Arc::new(SystemClock))
    }

    /// [`Engine::open`] on the real file system with another clock (e.g. a
    /// [`crate::ManualClock`] that a test advances; with one, turn
    /// [`EngineConfig::alarm_scheduler`] off and call [`Engine::run_alarm_evaluations`]).
    pub fn open_with_clock(dir: impl AsRef<Path>, config: EngineConfig, clock: Arc<dyn Clock>) -> Result<Engine> {
        let dir = dir.as_ref();
        let lock = lock_dir(dir)?;
        let mut engine = Engine::open_with(Arc::new(RealFs), clock, dir, config)?;
        engine._dir_lock = Some(lock);
        Ok(engine)
    }

    /// Opens with an injected file system and clock (simulated crashes, tests).
    pub fn open_with(
        fs: Arc<dyn FileSystem>,
        clock: Arc<dyn Clock>,
        dir: &Path,
        config: EngineConfig,
    ) -> Result<Engine> {
        config.validate().map_err(|m| Error::invalid(crate::InvalidCode::InvalidParameterValue, m))?;
        let shards = if config.shards == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        } else {
            config.shards
        };
        let store_cfg = StoreConfig {
            shards,
            max_pending_samples: config.max_pending_samples,
            retention: tier::Retention {
                raw: config.raw_retention.map(|r| r.as_millis() as i64),
                five_minute: config.five_minute_retention.map(|r| r.as_millis() as i64),
                one_hour: config.one_hour_retention.map(|r| r.as_millis() as i64),
            },
        };
        let mut wal_cfg = WalConfig::new(dir.join("wal"));
        wal_cfg.segment_bytes = config.wal_segment_bytes;
        wal_cfg.durability = config.durability;
        let dashboards_fs = Arc::clone(&fs);
        let opened = std::time::Instant::now();
        let (store, report) = Store::open(fs, clock, dir, store_cfg, wal_cfg)?;
        let elapsed = opened.elapsed();
        tracing::info!(
            elapsed_ms = elapsed.as_millis() as u64,
            replay_ms = report.replay_time.as_millis() as u64,
            replay_samples_per_s = (report.wal_samples as f64 / report.replay_time.as_secs_f64().max(1e-9)) as u64,
            blocks = report.blocks,
            obsolete_blocks_removed = report.obsolete_blocks_removed,
            wal_records = report.wal_records,
            wal_samples = report.wal_samples,
            torn_tails = report.torn_tails,
            "engine recovered"
        );
        let dashboards = DashboardStore::open(Arc::clone(&dashboards_fs), &dir.join("dashboards"))?;
        let alarms = AlarmStore::open(dashboards_fs, &dir.join("alarms"), store.now_ms())?;
        let scheduler = config.alarm_scheduler;
        let inner = Arc::new(Inner { store, dashboards, alarms, cfg: config });
        let (stop, stop_rx) = crossbeam_channel::bounded(1);
        let (wake, wake_rx) = crossbeam_channel::bounded(1);
        let bg = inner.clone();
        let handle = std::thread::Builder::new()
            .name("stratus-maintenance".into())
            .spawn(move || maintenance_loop(&bg, &stop_rx, &wake_rx))
            .map_err(|e| Error::io(dir, e))?;
        let (alarm_stop, alarm_stop_rx) = crossbeam_channel::bounded(1);
        let alarm_thread = if scheduler {
            let bg = inner.clone();
            Some(
                std::thread::Builder::new()
                    .name("stratus-alarms".into())
                    .spawn(move || alarm_loop(&bg, &alarm_stop_rx))
                    .map_err(|e| Error::io(dir, e))?,
            )
        } else {
            None
        };
        Ok(Engine {
            inner,
            stop,
            wake,
            maintenance: Mutex::new(Some(handle)),
            alarm_stop,
            alarm_thread: Mutex::new(alarm_thread),
            _dir_lock: None,
        })
    }

    /// A write transaction for `tenant`: `append` samples, then `commit`.
    pub fn appender(&self, tenant: &Tenant) -> Appender<'_> {
        // The tenant is checked with every append (an invalid one fails the first append).
        Appender {
            engine: self,
            tenant: tenant.clone(),
            pending: PendingWrite::default(),
            now_ms: self.inner.store.now_ms(),
        }
    }

    /// A read handle.
    pub fn querier(&self) -> Querier<'_> {
        Querier { store: &self.inner.store }
    }

    /// Validates a whole PutMetricData request and stores it atomically: either every datum
    /// is accepted or none is.
    pub fn put_metric_data(&self, tenant: &Tenant, req: &PutMetricData) -> Result<PutReceipt> {
        let now = self.inner.store.now_ms();
        validate::tenant(tenant)?;
        validate::put_metric_data(req, now)?;
        let mut w = PendingWrite::default();
        for d in &req.metric_data {
            let dims = sorted_dimensions(&d.dimensions);
            let id = Identity { tenant, namespace: &req.namespace, metric_name: &d.metric_name, dimensions: &dims };
            add_datum(&mut w, id, d.unit, d.resolution, d.timestamp_ms.unwrap_or(now), &d.value);
        }
        for s in &req.series {
            let dims = sorted_dimensions(&s.dimensions);
            let id = Identity { tenant, namespace: &req.namespace, metric_name: &s.metric_name, dimensions: &dims };
            let slot = w.stream(id.stream(s.unit, SampleClass::Raw, s.resolution));
            for (&t, &v) in s.timestamps_ms.iter().zip(&s.values) {
                w.push_raw(slot, to_second(t), v, 1.0);
            }
        }
        let samples = w.samples();
        let ticket = self.commit(w)?;
        Ok(PutReceipt { samples, ticket })
    }

    fn commit(&self, w: PendingWrite) -> Result<CommitTicket> {
        let ticket = self.inner.store.commit(w)?;
        if self.inner.store.head_samples() >= self.inner.cfg.head_max_samples
            || self.inner.store.head_bytes() >= self.inner.cfg.head_max_bytes
        {
            let _ = self.wake.try_send(());
        }
        Ok(ticket)
    }

    /// GetMetricStatistics (see [`Querier::get_metric_statistics`]).
    pub fn get_metric_statistics(&self, tenant: &Tenant, q: &StatisticsQuery) -> Result<StatisticsResult> {
        self.querier().get_metric_statistics(tenant, q)
    }

    /// GetMetricData (see [`Querier::get_metric_data`]).
    pub fn get_metric_data(&self, tenant: &Tenant, req: &GetMetricData) -> Result<GetMetricDataResult> {
        self.querier().get_metric_data(tenant, req)
    }

    /// ListMetrics (see [`Querier::list_metrics`]).
    pub fn list_metrics(&self, tenant: &Tenant, q: &ListMetricsQuery) -> Result<ListMetricsPage> {
        self.querier().list_metrics(tenant, q)
    }

    /// PutDashboard: creates or replaces the tenant's dashboard `name` (durable on return). An
    /// invalid name is `InvalidParameterValue`; an invalid body is
    /// [`Error::InvalidDashboardBody`] with a message per problem, and nothing is stored.
    pub fn put_dashboard(&self, tenant: &Tenant, name: &str, body: &str) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.dashboards.put(tenant, name, body, self.inner.store.now_ms())
    }

    /// GetDashboard; a missing one is [`Error::NotFound`].
    pub fn get_dashboard(&self, tenant: &Tenant, name: &str) -> Result<Dashboard> {
        validate::tenant(tenant)?;
        self.inner.dashboards.get(tenant, name)
    }

    /// ListDashboards: the tenant's dashboards whose names start with `prefix`, by name.
    pub fn list_dashboards(&self, tenant: &Tenant, prefix: &str) -> Result<Vec<DashboardEntry>> {
        validate::tenant(tenant)?;
        Ok(self.inner.dashboards.list(tenant, prefix))
    }

    /// DeleteDashboards: all or nothing; a missing name is [`Error::NotFound`] and deletes none.
    pub fn delete_dashboards(&self, tenant: &Tenant, names: &[String]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.dashboards.delete(tenant, names)
    }

    /// TagResource on the tenant's dashboard `name`: adds or replaces `tags` (at most 50 in all).
    pub fn tag_dashboard(&self, tenant: &Tenant, name: &str, tags: &[(String, String)]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.dashboards.tag(tenant, name, tags)
    }

    /// UntagResource on the tenant's dashboard `name`.
    pub fn untag_dashboard(&self, tenant: &Tenant, name: &str, keys: &[String]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.dashboards.untag(tenant, name, keys)
    }

    /// PutMetricAlarm: creates the alarm (INSUFFICIENT_DATA, "Unchecked: Initial alarm
    /// creation") or replaces its configuration, keeping its state. Durable when it returns.
    pub fn put_metric_alarm(&self, tenant: &Tenant, input: &MetricAlarmInput) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.put_metric_alarm(tenant, input, &self.alarm_queries(), self.now_ms())
    }

    /// PutCompositeAlarm: creates or replaces a composite alarm and evaluates its rule.
    pub fn put_composite_alarm(&self, tenant: &Tenant, input: &CompositeAlarmInput) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.put_composite_alarm(tenant, input, self.now_ms())
    }

    /// DescribeAlarms.
    pub fn describe_alarms(&self, tenant: &Tenant, q: &DescribeAlarms) -> Result<DescribeAlarmsResult> {
        validate::tenant(tenant)?;
        self.inner.alarms.describe(tenant, q)
    }

    /// DescribeAlarmsForMetric.
    pub fn describe_alarms_for_metric(&self, tenant: &Tenant, q: &DescribeAlarmsForMetric) -> Result<Vec<MetricAlarm>> {
        validate::tenant(tenant)?;
        self.inner.alarms.describe_for_metric(tenant, q)
    }

    /// DescribeAlarmHistory (history outlives the alarm).
    pub fn describe_alarm_history(&self, tenant: &Tenant, q: &DescribeAlarmHistory) -> Result<AlarmHistory> {
        validate::tenant(tenant)?;
        self.inner.alarms.history(tenant, q)
    }

    /// DeleteAlarms: all or nothing (a composite still referenced by another composite refuses
    /// the batch). Names that do not exist are skipped.
    pub fn delete_alarms(&self, tenant: &Tenant, names: &[String]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.delete(tenant, names, self.now_ms())
    }

    /// SetAlarmState: sets the state until the next evaluation (metric alarms) or the next child
    /// change (composites); a change runs actions and is recorded in the history.
    pub fn set_alarm_state(
        &self,
        tenant: &Tenant,
        name: &str,
        state_value: &str,
        reason: &str,
        reason_data: Option<&str>,
    ) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.set_state(tenant, name, state_value, reason, reason_data, self.now_ms())
    }

    /// EnableAlarmActions.
    pub fn enable_alarm_actions(&self, tenant: &Tenant, names: &[String]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.set_actions_enabled(tenant, names, true, self.now_ms())
    }

    /// DisableAlarmActions.
    pub fn disable_alarm_actions(&self, tenant: &Tenant, names: &[String]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.set_actions_enabled(tenant, names, false, self.now_ms())
    }

    /// TagResource on alarm `name`: adds or replaces `tags` (at most 50 in all).
    pub fn tag_alarm(&self, tenant: &Tenant, name: &str, tags: &[(String, String)]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.tag(tenant, name, tags, self.now_ms())
    }

    /// UntagResource on alarm `name`.
    pub fn untag_alarm(&self, tenant: &Tenant, name: &str, keys: &[String]) -> Result<()> {
        validate::tenant(tenant)?;
        self.inner.alarms.untag(tenant, name, keys, self.now_ms())
    }

    /// ListTagsForResource on alarm `name`, by key.
    pub fn alarm_tags(&self, tenant: &Tenant, name: &str) -> Result<Vec<(String, String)>> {
        validate::tenant(tenant)?;
        self.inner.alarms.tags(tenant, name)
    }

    /// Evaluates every alarm due at the latest evaluation time (a multiple of 10 s) not after
    /// the engine clock's now, once per time: metric alarms with a period of at least a minute at
    /// whole minutes, 10/20/30-second alarms every 10 s; then ends composite suppression
    /// periods that ran out. The engine's scheduler thread calls this (see
    /// [`EngineConfig::alarm_scheduler`]); a caller driving a manual clock calls it itself.
    pub fn run_alarm_evaluations(&self) -> Result<EvaluationReport> {
        self.inner.alarms.run_due(self.now_ms(), &self.alarm_queries())
    }

    /// The queue of actions to run (see [`ActionRequest`]); bounded, each request once per
    /// open unless it is still pending at the next open.
    pub fn alarm_actions(&self) -> Receiver<ActionRequest> {
        self.inner.alarms.action_receiver()
    }

    /// Records how action `id` went (an `Action` history item); it is not handed out again.
    pub fn complete_action(&self, id: u64, outcome: ActionOutcome) -> Result<()> {
        self.inner.alarms.complete_action(id, outcome, self.now_ms())
    }

    fn now_ms(&self) -> i64 {
        self.inner.store.now_ms()
    }

    fn alarm_queries(&self) -> impl Fn(&Tenant, &GetMetricData) -> Result<GetMetricDataResult> + '_ {
        alarm_queries(&self.inner)
    }

    /// Seals the head into a block now and, if `compact`, merges all blocks.
    pub fn flush(&self, compact: bool) -> Result<FlushReport> {
        let store = &self.inner.store;
        if store.is_closed() {
            return Err(Error::Closed);
        }
        let sealed = store.seal()?;
        if compact {
            store.compact(None)?;
            while store.roll_up()? {}
        }
        Ok(store.flush_report(sealed))
    }

    /// Counters and gauges for self-metrics.
    pub fn stats(&self) -> EngineStats {
        self.inner.store.stats()
    }

    /// Stops background work and intake, and makes every accepted write durable. Idempotent;
    /// the head is not sealed (the WAL holds it and replays it at the next open).
    pub fn close(&self) -> Result<()> {
        let _ = self.alarm_stop.try_send(());
        if let Some(h) = self.alarm_thread.lock().take() {
            let _ = h.join();
        }
        let _ = self.stop.try_send(());
        if let Some(h) = self.maintenance.lock().take() {
            let _ = h.join();
        }
        self.inner.store.close()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!(error = %e, "closing the engine failed");
        }
    }
}

/// Creates `dir` if needed and takes the exclusive lock on `dir/LOCK`.
fn lock_dir(dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join("LOCK");
    let file = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::io(
            &path,
            std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("the data directory {} is in use by another process (it holds this lock)", dir.display()),
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// Alarms query through the public GetMetricData path, like any client.
fn alarm_queries(inner: &Inner) -> impl Fn(&Tenant, &GetMetricData) -> Result<GetMetricDataResult> + '_ {
    move |tenant, req| inner.store.get_metric_data(tenant, req)
}

/// The alarm scheduler: wakes at every 10-second boundary of the engine clock (checking every
/// 250 ms of real time, so a clock that jumps is followed) and evaluates what is due.
fn alarm_loop(inner: &Inner, stop: &Receiver<()>) {
    let mut last_tick = i64::MIN;
    loop {
        crossbeam_channel::select! {
            recv(stop) -> _ => return,
            default(Duration::from_millis(250)) => {},
        }
        let tick = crate::alarm::store::tick_of(inner.store.now_ms());
        if tick == last_tick {
            continue;
        }
        last_tick = tick;
        match inner.alarms.run_due(inner.store.now_ms(), &alarm_queries(inner)) {
            Ok(report) if report.transitions > 0 => tracing::debug!(?report, "alarms evaluated"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "alarm evaluation failed; will retry at the next tick"),
        }
    }
}

fn maintenance_loop(inner: &Inner, stop: &Receiver<()>, wake: &Receiver<()>) {
    let store = &inner.store;
    let cfg = &inner.cfg;
    loop {
        crossbeam_channel::select! {
            recv(stop) -> _ => return,
            recv(wake) -> _ => {},
            default(cfg.maintenance_interval) => {},
        }
        let due = store.head_samples() >= cfg.head_max_samples
            || store.head_bytes() >= cfg.head_max_bytes
            || (store.head_samples() > 0 && store.head_age_ms() >= cfg.head_max_age.as_millis() as i64);
        if due && let Err(e) = store.seal() {
            tracing::error!(error = %e, "sealing the head failed; will retry");
            continue;
        }
        if store.block_count() >= cfg.compact_min_blocks
            && let Err(e) = store.compact(Some(cfg.compact_min_blocks))
        {
            tracing::error!(error = %e, "compaction failed; will retry");
        }
        if let Err(e) = store.roll_up() {
            tracing::error!(error = %e, "rollup or retention failed; will retry");
        }
    }
}

fn to_second(t_ms: i64) -> i64 {
    t_ms.div_euclid(1000) * 1000
}

/// Dimensions in canonical order, borrowed when already sorted (the common case).
fn sorted_dimensions(dims: &[Dimension]) -> Cow<'_, [Dimension]> {
    if dims.is_sorted() {
        Cow::Borrowed(dims)
    } else {
        let mut v = dims.to_vec();
        v.sort_unstable();
        Cow::Owned(v)
    }
}

/// A metric's identity by reference (dimensions sorted).
#[derive(Debug, Clone, Copy)]
struct Identity<'a> {
    tenant: &'a Tenant,
    namespace: &'a str,
    metric_name: &'a str,
    dimensions: &'a [Dimension],
}

impl<'a> Identity<'a> {
    fn stream(self, unit: Unit, class: SampleClass, resolution: Resolution) -> StreamKeyRef<'a> {
        StreamKeyRef {
            tenant: self.tenant,
            namespace: self.namespace,
            metric_name: self.metric_name,
            dimensions: self.dimensions,
            unit,
            class,
            resolution,
        }
    }
}

fn add_datum(
    w: &mut PendingWrite,
    id: Identity<'_>,
    unit: Unit,
    resolution: Resolution,
    t_ms: i64,
    value: &DatumValue,
) {
    let t = to_second(t_ms);
    match value {
        DatumValue::Single(v) => {
            let slot = w.stream(id.stream(unit, SampleClass::Raw, resolution));
            w.push_raw(slot, t, *v, 1.0);
        }
        DatumValue::Values { values, counts } => {
            let slot = w.stream(id.stream(unit, SampleClass::Raw, resolution));
            for (i, v) in values.iter().enumerate() {
                let c = counts.get(i).copied().unwrap_or(1.0);
                if c > 0.0 {
                    w.push_raw(slot, t, *v, c);
                }
            }
        }
        DatumValue::StatisticSet(s) => {
            let slot = w.stream(id.stream(unit, SampleClass::Set, resolution));
            w.push_set(slot, t, s.sample_count, s.sum, s.minimum, s.maximum);
        }
    }
}

/// A write transaction: validated appends buffered in memory until [`Appender::commit`].
/// Dropping it without committing discards everything.
#[derive(Debug)]
pub struct Appender<'e> {
    engine: &'e Engine,
    tenant: Tenant,
    pending: PendingWrite,
    now_ms: i64,
}

impl Appender<'_> {
    /// Validates and buffers one datum (AWS rules; `timestamp_ms` inside the accepted window).
    pub fn append(
        &mut self,
        key: &MetricKey,
        unit: Unit,
        resolution: Resolution,
        timestamp_ms: i64,
        value: &DatumValue,
    ) -> Result<()> {
        validate::tenant(&self.tenant)?;
        validate::namespace(&key.namespace)?;
        validate::identity("", &key.metric_name, &key.dimensions)?;
        validate::datum_value("", value)?;
        validate::timestamp("Timestamp", timestamp_ms, self.now_ms)?;
        let dims = sorted_dimensions(&key.dimensions);
        let id = Identity {
            tenant: &self.tenant,
            namespace: &key.namespace,
            metric_name: &key.metric_name,
            dimensions: &dims,
        };
        add_datum(&mut self.pending, id, unit, resolution, timestamp_ms, value);
        Ok(())
    }

    /// Samples buffered so far.
    pub fn samples(&self) -> u64 {
        self.pending.samples()
    }

    /// Writes everything buffered to the WAL and the head in one group; the ticket completes
    /// when it is durable per the configured policy.
    pub fn commit(self) -> Result<CommitTicket> {
        if self.pending.is_empty() {
            return Ok(CommitTicket::completed());
        }
        self.engine.commit(self.pending)
    }
}

/// Read access: GetMetricStatistics and ListMetrics over a consistent snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Querier<'e> {
    store: &'e Store,
}

impl Querier<'_> {
    /// Statistics of one metric in periods: StartTime inclusive, EndTime exclusive, one
    /// datapoint per unit per non-empty period, sorted by time then unit.
    pub fn get_metric_statistics(&self, tenant: &Tenant, q: &StatisticsQuery) -> Result<StatisticsResult> {
        validate::tenant(tenant)?;
        self.store.get_metric_statistics(tenant, q)
    }

    /// GetMetricData: MetricStat queries, metric math, SEARCH and Metrics Insights, paged.
    pub fn get_metric_data(&self, tenant: &Tenant, req: &GetMetricData) -> Result<GetMetricDataResult> {
        validate::tenant(tenant)?;
        self.store.get_metric_data(tenant, req)
    }

    /// Metrics matching the filters, 500 per page, in stable key order.
    pub fn list_metrics(&self, tenant: &Tenant, q: &ListMetricsQuery) -> Result<ListMetricsPage> {
        validate::tenant(tenant)?;
        self.store.list_metrics(tenant, q)
    }
}
