//! `stratus_bench`: the TSBS "cpu-only" workload of `spec/benchmarks.md`, generated
//! deterministically, shared by `loadgen` (Stratus and VictoriaMetrics targets) and the benches.
//!
//! # Layout
//! - [`Workload`]: hosts × span × value [`Shape`] × seed, with the span ending at a given instant
//!   (rounded down to 10 s) so every timestamp falls inside Stratus' accepted window.
//! - [`Workload::hosts`]: the 10 TSBS host tags of every host ([`Host`]).
//! - [`Workload::phases`]: the ingest schedule, an iterator of [`Phase`]s of 30 min of data in
//!   time order; each phase holds one [`Batch`] per 10 hosts (10 hosts × 10 fields × 180 points =
//!   18,000 samples).
//! - [`Workload::query_windows`]: the seeded host/window draws of queries q1–q4 ([`QueryKind`]);
//!   [`Workload::q1_windows`] is q1's.
//!
//! # Determinism
//! Everything is drawn from an inline PRNG (splitmix64 to seed xoshiro256**, Box–Muller for the
//! normal steps), never from a crate, so the data cannot change with dependency versions. Each
//! series has its own PRNG stream derived from `(seed, host, field)`, so a host's data does not
//! depend on how many hosts are generated nor on the order batches are consumed. The only
//! platform dependence is `f64::ln`/`cos`/`sin` of the platform's libm in Box–Muller (at most an
//! ulp, invisible after the `tsbs` and `round2` shapes).
//!
//! # Fidelity to TSBS
//! Field names, tag keys and tag value lists (9 AWS regions with their datacenters, rack 0–99,
//! OS, arch, team, service 0–19, service version 0–1, service environment) are TSBS's
//! (`pkg/data/usecases/devops/host.go`); the walk is TSBS's `ClampedRandomWalk` (start uniform
//! in [0,100], step normal(0,1), clamped to [0,100]). TSBS draws from Go's `math/rand`, which
//! is not reproduced here: the same seed gives different (but equally distributed) values.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The 10 fields of the TSBS `cpu` measurement, in TSBS order.
pub const FIELDS: [&str; 10] = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
];

/// The 10 TSBS host tag keys, in TSBS order (also the order of [`Host::tags`]).
pub const TAG_KEYS: [&str; 10] = [
    "hostname",
    "region",
    "datacenter",
    "rack",
    "os",
    "arch",
    "team",
    "service",
    "service_version",
    "service_environment",
];

/// Sample interval: one sample every 10 s.
pub const INTERVAL_MS: i64 = 10_000;
/// Samples per series per hour.
pub const POINTS_PER_HOUR: usize = 360;
/// Points per series in one phase (30 min of data).
pub const PHASE_POINTS: usize = 180;
/// Hosts per request (batch) in the ingest schedule.
pub const HOSTS_PER_BATCH: usize = 10;
/// Length of a q1 window: one hour.
pub const Q1_WINDOW_MS: i64 = 3_600_000;
/// q1 bucket (period): one minute.
pub const Q1_PERIOD_S: i32 = 60;
/// One hour in ms.
pub const HOUR_MS: i64 = 3_600_000;

/// TSBS regions and their datacenters.
const REGIONS: [(&str, &[&str]); 9] = [
    ("us-east-1", &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"]),
    ("us-west-1", &["us-west-1a", "us-west-1b"]),
    ("us-west-2", &["us-west-2a", "us-west-2b", "us-west-2c"]),
    ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("eu-central-1", &["eu-central-1a", "eu-central-1b"]),
    ("ap-southeast-1", &["ap-southeast-1a", "ap-southeast-1b"]),
    ("ap-southeast-2", &["ap-southeast-2a", "ap-southeast-2b"]),
    ("ap-northeast-1", &["ap-northeast-1a", "ap-northeast-1c"]),
    ("sa-east-1", &["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
];
const RACK_CHOICES: u64 = 100;
const SERVICE_CHOICES: u64 = 20;
const SERVICE_VERSION_CHOICES: u64 = 2;
const OS_CHOICES: [&str; 3] = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
const ARCH_CHOICES: [&str; 2] = ["x64", "x86"];
const TEAM_CHOICES: [&str; 4] = ["SF", "NYC", "LON", "CHI"];
const ENVIRONMENT_CHOICES: [&str; 3] = ["production", "staging", "test"];

// Domain separators for derived PRNG streams.
const STREAM_TAGS: u64 = 1;
const STREAM_WALK: u64 = 2;
const STREAM_Q1: u64 = 3;
const STREAM_Q2: u64 = 4;
const STREAM_Q3: u64 = 5;
const STREAM_Q4: u64 = 6;

/// The four queries of `spec/benchmarks.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueryKind {
    /// Max of usage_user, one host, 1 h, 1-minute buckets.
    Q1,
    /// Max of all 10 fields, one host, 8 h, 1-hour buckets.
    Q2,
    /// Average of usage_user over all hosts, 12 h, 1-hour buckets, one series.
    Q3,
    /// Average of usage_user per host, all hosts, 12 h, 1-hour buckets.
    Q4,
}

impl QueryKind {
    /// All four, in order.
    pub const ALL: [QueryKind; 4] = [QueryKind::Q1, QueryKind::Q2, QueryKind::Q3, QueryKind::Q4];

    /// `q1` … `q4`.
    pub fn name(self) -> &'static str {
        match self {
            QueryKind::Q1 => "q1",
            QueryKind::Q2 => "q2",
            QueryKind::Q3 => "q3",
            QueryKind::Q4 => "q4",
        }
    }

    /// Length of the query window.
    pub fn window_ms(self) -> i64 {
        match self {
            QueryKind::Q1 => Q1_WINDOW_MS,
            QueryKind::Q2 => 8 * HOUR_MS,
            QueryKind::Q3 | QueryKind::Q4 => 12 * HOUR_MS,
        }
    }

    /// Bucket (period) length.
    pub fn period_ms(self) -> i64 {
        match self {
            QueryKind::Q1 => i64::from(Q1_PERIOD_S) * 1000,
            _ => HOUR_MS,
        }
    }

    /// Buckets per answered series.
    pub fn buckets(self) -> usize {
        (self.window_ms() / self.period_ms()) as usize
    }

    /// Whether a draw picks one host (q1, q2) or the query covers every host (q3, q4).
    pub fn per_host(self) -> bool {
        matches!(self, QueryKind::Q1 | QueryKind::Q2)
    }

    fn stream(self) -> u64 {
        match self {
            QueryKind::Q1 => STREAM_Q1,
            QueryKind::Q2 => STREAM_Q2,
            QueryKind::Q3 => STREAM_Q3,
            QueryKind::Q4 => STREAM_Q4,
        }
    }
}

impl fmt::Display for QueryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for QueryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QueryKind::ALL
            .into_iter()
            .find(|q| q.name() == s)
            .ok_or_else(|| format!("unknown query {s:?} (expected q1, q2, q3 or q4)"))
    }
}

/// How walk values are shaped before they are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Truncated to an integer, as TSBS does.
    Tsbs,
    /// Rounded to 2 decimals (exporter / CloudWatch-like data).
    Round2,
    /// The full float64 walk value.
    Float,
}

impl Shape {
    /// All shapes, in the order the benchmark reports them.
    pub const ALL: [Shape; 3] = [Shape::Tsbs, Shape::Round2, Shape::Float];

    /// The shape's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Tsbs => "tsbs",
            Shape::Round2 => "round2",
            Shape::Float => "float",
        }
    }

    /// Shapes a walk value (which is always in [0, 100]).
    pub fn apply(self, v: f64) -> f64 {
        match self {
            Shape::Tsbs => v.trunc(),
            // k / 100.0 with k integral is the double nearest to the decimal k/100, so its
            // shortest round-trip representation has at most 2 decimals.
            Shape::Round2 => (v * 100.0).round() / 100.0,
            Shape::Float => v,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown shape name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownShape(pub String);

impl fmt::Display for UnknownShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value shape {:?} (expected tsbs, round2 or float)", self.0)
    }
}

impl std::error::Error for UnknownShape {}

impl FromStr for Shape {
    type Err = UnknownShape;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tsbs" => Ok(Shape::Tsbs),
            "round2" => Ok(Shape::Round2),
            "float" => Ok(Shape::Float),
            other => Err(UnknownShape(other.to_owned())),
        }
    }
}

/// One simulated host and its 10 tags (values in [`TAG_KEYS`] order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// 0-based host number; the hostname is `host_{index}`.
    pub index: usize,
    /// Tag values in [`TAG_KEYS`] order.
    pub tags: [String; 10],
}

impl Host {
    /// `host_N`.
    pub fn hostname(&self) -> &str {
        &self.tags[0]
    }

    /// `(key, value)` pairs in [`TAG_KEYS`] order.
    pub fn dimensions(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        TAG_KEYS.iter().copied().zip(self.tags.iter().map(String::as_str))
    }
}

/// The workload: which hosts, which span, which value shape, which seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    hosts: usize,
    points: usize,
    shape: Shape,
    seed: u64,
    end_ms: i64,
}

impl Workload {
    /// `hosts` hosts, `hours` hours of data ending at `end_ms` rounded down to 10 s (the last
    /// sample is 10 s before that end, so the span is `[end - hours, end)`).
    pub fn new(hosts: usize, hours: u32, shape: Shape, seed: u64, end_ms: i64) -> Self {
        Self::with_points(hosts, hours as usize * POINTS_PER_HOUR, shape, seed, end_ms)
    }

    /// Like [`Workload::new`] with the span given in points per series (10 s each).
    pub fn with_points(hosts: usize, points: usize, shape: Shape, seed: u64, end_ms: i64) -> Self {
        let end_ms = end_ms - end_ms.rem_euclid(INTERVAL_MS);
        Workload { hosts, points, shape, seed, end_ms }
    }

    /// Number of hosts.
    pub fn host_count(&self) -> usize {
        self.hosts
    }
    /// Value shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }
    /// Seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Points per series.
    pub fn points_per_series(&self) -> usize {
        self.points
    }
    /// End of the span (exclusive), a multiple of 10 s.
    pub fn end_ms(&self) -> i64 {
        self.end_ms
    }
    /// First timestamp of the span.
    pub fn start_ms(&self) -> i64 {
        self.end_ms - self.points as i64 * INTERVAL_MS
    }
    /// Number of series: hosts × 10 fields.
    pub fn series_count(&self) -> usize {
        self.hosts * FIELDS.len()
    }
    /// Total samples: hosts × 10 fields × points.
    pub fn total_samples(&self) -> u64 {
        self.series_count() as u64 * self.points as u64
    }
    /// Number of phases (30 min of data each; the last may be shorter).
    pub fn phase_count(&self) -> usize {
        self.points.div_ceil(PHASE_POINTS)
    }

    /// Host `index` with its tags (independent of the number of hosts).
    pub fn host(&self, index: usize) -> Host {
        let mut rng = Xoshiro256::new(derive_seed(self.seed, STREAM_TAGS, index as u64, 0));
        // Draw order follows TSBS: region, datacenter, rack, arch, os, service, version,
        // environment, team.
        let (region, datacenters) = REGIONS[rng.below(REGIONS.len() as u64) as usize];
        let datacenter = datacenters[rng.below(datacenters.len() as u64) as usize];
        let rack = rng.below(RACK_CHOICES);
        let arch = ARCH_CHOICES[rng.below(ARCH_CHOICES.len() as u64) as usize];
        let os = OS_CHOICES[rng.below(OS_CHOICES.len() as u64) as usize];
        let service = rng.below(SERVICE_CHOICES);
        let version = rng.below(SERVICE_VERSION_CHOICES);
        let environment = ENVIRONMENT_CHOICES[rng.below(ENVIRONMENT_CHOICES.len() as u64) as usize];
        let team = TEAM_CHOICES[rng.below(TEAM_CHOICES.len() as u64) as usize];
        Host {
            index,
            tags: [
                format!("host_{index}"),
                region.to_owned(),
                datacenter.to_owned(),
                rack.to_string(),
                os.to_owned(),
                arch.to_owned(),
                team.to_owned(),
                service.to_string(),
                version.to_string(),
                environment.to_owned(),
            ],
        }
    }

    /// All hosts, by index.
    pub fn hosts(&self) -> Vec<Host> {
        (0..self.hosts).map(|i| self.host(i)).collect()
    }

    /// The ingest schedule: phases in time order.
    pub fn phases(&self) -> Phases {
        let walks = (0..self.hosts)
            .flat_map(|h| (0..FIELDS.len()).map(move |f| (h, f)))
            .map(|(h, f)| Walk::new(derive_seed(self.seed, STREAM_WALK, h as u64, f as u64)))
            .collect();
        Phases { workload: *self, walks, next: 0 }
    }

    /// Every value of one series over the whole span, in time order (point `i` is at
    /// [`Workload::timestamp_ms`]`(i)`): the same values the schedule yields, generated alone.
    pub fn series_values(&self, host: usize, field: usize) -> Vec<f64> {
        let mut walk = Walk::new(derive_seed(self.seed, STREAM_WALK, host as u64, field as u64));
        (0..self.points).map(|_| self.shape.apply(walk.next_value())).collect()
    }

    /// Timestamp of point `i` of every series.
    pub fn timestamp_ms(&self, i: usize) -> i64 {
        self.start_ms() + i as i64 * INTERVAL_MS
    }

    /// `count` q1 draws (one host, one hour, minute-aligned start inside the span) from `seed`.
    /// Empty when the span is shorter than an hour or there are no hosts.
    pub fn q1_windows(&self, seed: u64, count: usize) -> Vec<QueryWindow> {
        self.query_windows(QueryKind::Q1, seed, count)
    }

    /// `count` draws of query `q` from `seed`: a minute-aligned window of [`QueryKind::window_ms`]
    /// inside the span and, for the per-host queries (q1, q2), a host (host 0 for q3 and q4,
    /// which cover every host). Each query has its own stream, so q1's draws are the same
    /// whichever other queries run. Empty when the span is shorter than the window or there are
    /// no hosts.
    pub fn query_windows(&self, q: QueryKind, seed: u64, count: usize) -> Vec<QueryWindow> {
        let start = self.start_ms();
        let first = start + (60_000 - start.rem_euclid(60_000)) % 60_000;
        let last = self.end_ms - q.window_ms();
        if self.hosts == 0 || last < first {
            return Vec::new();
        }
        let starts = ((last - first) / 60_000 + 1) as u64;
        let mut rng = Xoshiro256::new(derive_seed(seed, q.stream(), 0, 0));
        (0..count)
            .map(|_| {
                let host = if q.per_host() { rng.below(self.hosts as u64) as usize } else { 0 };
                let start_ms = first + rng.below(starts) as i64 * 60_000;
                QueryWindow { host, start_ms, end_ms: start_ms + q.window_ms() }
            })
            .collect()
    }

    /// Index range of the points of every series with timestamps in `[lo_ms, hi_ms)`, clipped
    /// to the span.
    pub fn point_range(&self, lo_ms: i64, hi_ms: i64) -> Range<usize> {
        let idx = |t: i64| {
            let rel = (t - self.start_ms()).clamp(0, self.points as i64 * INTERVAL_MS);
            (rel + INTERVAL_MS - 1).div_euclid(INTERVAL_MS) as usize
        };
        let (a, b) = (idx(lo_ms), idx(hi_ms));
        a..b.max(a)
    }
}

/// One query draw: a host and a `[start, end)` window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryWindow {
    /// Host index (`host_{host}`).
    pub host: usize,
    /// Inclusive start, ms since the epoch.
    pub start_ms: i64,
    /// Exclusive end, ms since the epoch.
    pub end_ms: i64,
}

/// One phase: 30 min of data for every host, as requests of up to 10 hosts.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    /// 0-based phase number.
    pub index: usize,
    /// One batch per 10 hosts, in host order.
    pub batches: Vec<Batch>,
}

impl Phase {
    /// Samples in the phase.
    pub fn samples(&self) -> u64 {
        self.batches.iter().map(Batch::samples).sum()
    }
}

/// One request's worth of data: every field of a group of (up to) 10 hosts over one phase.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The hosts of this batch.
    pub hosts: Range<usize>,
    /// Timestamp of the first point; point `i` is at `start_ms + i × 10 s`.
    pub start_ms: i64,
    /// One chunk per (host, field), host-major.
    pub series: Vec<SeriesChunk>,
}

impl Batch {
    /// Samples in the batch.
    pub fn samples(&self) -> u64 {
        self.series.iter().map(|s| s.values.len() as u64).sum()
    }

    /// Timestamp of point `i`.
    pub fn timestamp_ms(&self, i: usize) -> i64 {
        self.start_ms + i as i64 * INTERVAL_MS
    }
}

/// Consecutive points of one series.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesChunk {
    /// Host index.
    pub host: usize,
    /// Index into [`FIELDS`].
    pub field: usize,
    /// Shaped values, one per 10 s.
    pub values: Vec<f64>,
}

impl SeriesChunk {
    /// The field (metric) name.
    pub fn field_name(&self) -> &'static str {
        FIELDS[self.field]
    }
}

/// Iterator over the phases of a [`Workload`]; holds the state of every walk.
#[derive(Debug)]
pub struct Phases {
    workload: Workload,
    walks: Vec<Walk>,
    next: usize,
}

impl Iterator for Phases {
    type Item = Phase;

    fn next(&mut self) -> Option<Phase> {
        let w = &self.workload;
        let first_point = self.next * PHASE_POINTS;
        if first_point >= w.points {
            return None;
        }
        let points = PHASE_POINTS.min(w.points - first_point);
        let start_ms = w.start_ms() + first_point as i64 * INTERVAL_MS;
        let mut batches = Vec::with_capacity(w.hosts.div_ceil(HOSTS_PER_BATCH));
        for group in (0..w.hosts).step_by(HOSTS_PER_BATCH) {
            let hosts = group..(group + HOSTS_PER_BATCH).min(w.hosts);
            let mut series = Vec::with_capacity(hosts.len() * FIELDS.len());
            for host in hosts.clone() {
                for field in 0..FIELDS.len() {
                    let walk = &mut self.walks[host * FIELDS.len() + field];
                    let values = (0..points).map(|_| w.shape.apply(walk.next_value())).collect();
                    series.push(SeriesChunk { host, field, values });
                }
            }
            batches.push(Batch { hosts, start_ms, series });
        }
        let phase = Phase { index: self.next, batches };
        self.next += 1;
        Some(phase)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.workload.phase_count().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Phases {}

/// TSBS `ClampedRandomWalk`: start U[0,100], step N(0,1), clamped to [0,100]. The first value
/// is the start; each later value is the previous plus one step.
#[derive(Clone, Debug)]
struct Walk {
    rng: Xoshiro256,
    state: f64,
    started: bool,
}

impl Walk {
    fn new(seed: u64) -> Self {
        let mut rng = Xoshiro256::new(seed);
        let state = rng.uniform() * 100.0;
        Walk { rng, state, started: false }
    }

    fn next_value(&mut self) -> f64 {
        if self.started {
            self.state = (self.state + self.rng.normal()).clamp(0.0, 100.0);
        }
        self.started = true;
        self.state
    }
}

/// splitmix64's output function: a bijective 64-bit mixer.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for an independent stream `(kind, a, b)` under the user's seed.
fn derive_seed(seed: u64, kind: u64, a: u64, b: u64) -> u64 {
    const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = mix64(seed.wrapping_add(GOLDEN));
    for part in [kind, a, b] {
        h = mix64(h ^ part.wrapping_mul(GOLDEN).wrapping_add(0x632b_e59b_d9b4_e019));
    }
    h
}

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64, with a Box–Muller normal.
#[derive(Clone, Debug)]
struct Xoshiro256 {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

impl Xoshiro256 {
    fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix64(x)
        };
        Xoshiro256 { s: [next(), next(), next(), next()], spare_normal: None }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) (multiply-shift; bias below 2^-32 for the small n used here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Standard normal by Box–Muller; the second value of each pair is kept for the next call.
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1 = 1.0 - self.uniform(); // (0, 1]: ln is finite
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare_normal = Some(r * theta.sin());
        r * theta.cos()
    }
}

pub mod in_engine;
#[cfg(test)]
mod tests;
