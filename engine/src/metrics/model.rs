//! The metrics data model: tenants, metric identities, units, datums and statistics.
//!
//! A metric is (tenant, namespace, metric name, set of dimensions); dimension order does not
//! matter, case does. Unit and storage resolution travel with each datum and are not part of
//! identity, but datapoints of different units are never aggregated together, so storage keeps
//! one *stream* per (metric, unit) — see [`crate::metrics::series`].

use std::fmt;
use std::str::FromStr;

/// The owner of data: an AWS account and region. Every write and query carries one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tenant {
    /// 12-digit account id (not validated for shape: self-hosted users pick their own).
    pub account: String,
    /// Region name, e.g. `us-east-1`.
    pub region: String,
}

impl Tenant {
    /// A tenant from its parts.
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Tenant { account: account.into(), region: region.into() }
    }
}

impl Default for Tenant {
    /// The default tenant: account `123456789012`, region `us-east-1`.
    fn default() -> Self {
        Tenant::new("123456789012", "us-east-1")
    }
}

/// One dimension: a name/value pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimension {
    /// Dimension name (1–255 characters).
    pub name: String,
    /// Dimension value (1–1024 characters).
    pub value: String,
}

impl Dimension {
    /// A dimension from its parts.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Dimension { name: name.into(), value: value.into() }
    }
}

/// A metric's identity within a tenant. Dimensions are kept sorted by name once validated, so
/// two keys that differ only in dimension order compare equal after [`MetricKey::normalize`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    /// Namespace, e.g. `MyApp/Frontend`.
    pub namespace: String,
    /// Metric name.
    pub metric_name: String,
    /// Dimension set (at most 30, names unique).
    pub dimensions: Vec<Dimension>,
}

impl MetricKey {
    /// A key from its parts (dimensions in any order).
    pub fn new(namespace: impl Into<String>, metric_name: impl Into<String>, dimensions: Vec<Dimension>) -> Self {
        let mut key = MetricKey { namespace: namespace.into(), metric_name: metric_name.into(), dimensions };
        key.normalize();
        key
    }

    /// Sorts dimensions by name (then value), making the key order-insensitive.
    pub fn normalize(&mut self) {
        self.dimensions.sort_unstable();
    }
}

/// The 27 CloudWatch units. `None` is the default when a datum names no unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Unit {
    Seconds = 0,
    Microseconds = 1,
    Milliseconds = 2,
    Bytes = 3,
    Kilobytes = 4,
    Megabytes = 5,
    Gigabytes = 6,
    Terabytes = 7,
    Bits = 8,
    Kilobits = 9,
    Megabits = 10,
    Gigabits = 11,
    Terabits = 12,
    Percent = 13,
    Count = 14,
    BytesPerSecond = 15,
    KilobytesPerSecond = 16,
    MegabytesPerSecond = 17,
    GigabytesPerSecond = 18,
    TerabytesPerSecond = 19,
    BitsPerSecond = 20,
    KilobitsPerSecond = 21,
    MegabitsPerSecond = 22,
    GigabitsPerSecond = 23,
    TerabitsPerSecond = 24,
    CountPerSecond = 25,
    #[default]
    None = 26,
}

impl Unit {
    /// Every unit, in tag order.
    pub const ALL: [Unit; 27] = [
        Unit::Seconds,
        Unit::Microseconds,
        Unit::Milliseconds,
        Unit::Bytes,
        Unit::Kilobytes,
        Unit::Megabytes,
        Unit::Gigabytes,
        Unit::Terabytes,
        Unit::Bits,
        Unit::Kilobits,
        Unit::Megabits,
        Unit::Gigabits,
        Unit::Terabits,
        Unit::Percent,
        Unit::Count,
        Unit::BytesPerSecond,
        Unit::KilobytesPerSecond,
        Unit::MegabytesPerSecond,
        Unit::GigabytesPerSecond,
        Unit::TerabytesPerSecond,
        Unit::BitsPerSecond,
        Unit::KilobitsPerSecond,
        Unit::MegabitsPerSecond,
        Unit::GigabitsPerSecond,
        Unit::TerabitsPerSecond,
        Unit::CountPerSecond,
        Unit::None,
    ];

    /// The unit as AWS spells it (`Bytes/Second`, `None`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "Seconds",
            Unit::Microseconds => "Microseconds",
            Unit::Milliseconds => "Milliseconds",
            Unit::Bytes => "Bytes",
            Unit::Kilobytes => "Kilobytes",
            Unit::Megabytes => "Megabytes",
            Unit::Gigabytes => "Gigabytes",
            Unit::Terabytes => "Terabytes",
            Unit::Bits => "Bits",
            Unit::Kilobits => "Kilobits",
            Unit::Megabits => "Megabits",
            Unit::Gigabits => "Gigabits",
            Unit::Terabits => "Terabits",
            Unit::Percent => "Percent",
            Unit::Count => "Count",
            Unit::BytesPerSecond => "Bytes/Second",
            Unit::KilobytesPerSecond => "Kilobytes/Second",
            Unit::MegabytesPerSecond => "Megabytes/Second",
            Unit::GigabytesPerSecond => "Gigabytes/Second",
            Unit::TerabytesPerSecond => "Terabytes/Second",
            Unit::BitsPerSecond => "Bits/Second",
            Unit::KilobitsPerSecond => "Kilobits/Second",
            Unit::MegabitsPerSecond => "Megabits/Second",
            Unit::GigabitsPerSecond => "Gigabits/Second",
            Unit::TerabitsPerSecond => "Terabits/Second",
            Unit::CountPerSecond => "Count/Second",
            Unit::None => "None",
        }
    }

    /// The stable on-disk tag of this unit.
    pub fn tag(self) -> u8 {
        self as u8
    }

    /// The unit with this on-disk tag.
    pub fn from_tag(tag: u8) -> Option<Unit> {
        Unit::ALL.get(usize::from(tag)).copied()
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown unit name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownUnit(pub String);

impl fmt::Display for UnknownUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown unit {:?}", self.0)
    }
}

impl std::error::Error for UnknownUnit {}

impl FromStr for Unit {
    type Err = UnknownUnit;

    /// Parses an AWS unit name exactly (case-sensitive, as AWS validates it).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Unit::ALL.iter().copied().find(|u| u.as_str() == s).ok_or_else(|| UnknownUnit(s.to_owned()))
    }
}

/// Storage resolution of a datum: 1 second (high resolution) or 60 seconds (standard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Resolution {
    /// `StorageResolution = 1`.
    High,
    /// `StorageResolution = 60` (the default).
    #[default]
    Standard,
}

impl Resolution {
    /// Seconds, as the API spells it.
    pub fn seconds(self) -> u32 {
        match self {
            Resolution::High => 1,
            Resolution::Standard => 60,
        }
    }

    /// From the API's seconds (only 1 and 60 are valid).
    pub fn from_seconds(s: i64) -> Option<Resolution> {
        match s {
            1 => Some(Resolution::High),
            60 => Some(Resolution::Standard),
            _ => None,
        }
    }
}

/// The value part of one datum: one of CloudWatch's three forms.
#[derive(Debug, Clone, PartialEq)]
pub enum DatumValue {
    /// `Value`: one observation.
    Single(f64),
    /// `Values` with `Counts` (same length; an empty `counts` means 1 each): many observations
    /// at one timestamp, each value weighted by its count.
    Values {
        /// Observed values.
        values: Vec<f64>,
        /// Weight of each value; empty = all 1.
        counts: Vec<f64>,
    },
    /// `StatisticValues`: a pre-aggregated set.
    StatisticSet(StatisticSet),
}

/// A pre-aggregated statistic set (all four fields required by AWS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatisticSet {
    /// Number of observations.
    pub sample_count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Smallest observation.
    pub minimum: f64,
    /// Largest observation.
    pub maximum: f64,
}

/// One CloudWatch `MetricDatum`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDatum {
    /// Metric name.
    pub metric_name: String,
    /// Dimensions, any order.
    pub dimensions: Vec<Dimension>,
    /// Epoch milliseconds; `None` = the time the engine receives it. Stored at 1 s precision.
    pub timestamp_ms: Option<i64>,
    /// The value in one of the three forms.
    pub value: DatumValue,
    /// Unit (default `None`).
    pub unit: Unit,
    /// Storage resolution (default standard).
    pub resolution: Resolution,
}

/// The bulk form: one series' identity, then parallel timestamp/value arrays of single values.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesBatch {
    /// Metric name.
    pub metric_name: String,
    /// Dimensions, any order.
    pub dimensions: Vec<Dimension>,
    /// Unit of every sample.
    pub unit: Unit,
    /// Storage resolution of every sample.
    pub resolution: Resolution,
    /// Epoch milliseconds, parallel to `values`.
    pub timestamps_ms: Vec<i64>,
    /// Values, parallel to `timestamps_ms`.
    pub values: Vec<f64>,
}

/// A whole `PutMetricData` request: a namespace, datums and bulk series, stored atomically.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PutMetricData {
    /// Namespace of every datum.
    pub namespace: String,
    /// CloudWatch-shaped datums.
    pub metric_data: Vec<MetricDatum>,
    /// Bulk entries.
    pub series: Vec<SeriesBatch>,
}

/// The basic statistics GetMetricStatistics answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Statistic {
    /// Number of observations.
    SampleCount,
    /// Sum / SampleCount.
    Average,
    /// Sum of observations.
    Sum,
    /// Smallest observation.
    Minimum,
    /// Largest observation.
    Maximum,
}

impl Statistic {
    /// Every basic statistic.
    pub const ALL: [Statistic; 5] =
        [Statistic::SampleCount, Statistic::Average, Statistic::Sum, Statistic::Minimum, Statistic::Maximum];

    /// The name as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
        }
    }
}

impl FromStr for Statistic {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Statistic::ALL.iter().copied().find(|st| st.as_str() == s).ok_or_else(|| s.to_owned())
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A GetMetricStatistics request.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsQuery {
    /// The metric (dimension set must match exactly).
    pub key: MetricKey,
    /// Inclusive start, epoch milliseconds.
    pub start_ms: i64,
    /// Exclusive end, epoch milliseconds.
    pub end_ms: i64,
    /// Period in seconds: 1, 5, 10, 20, 30 or a multiple of 60.
    pub period_s: i64,
    /// 1–5 distinct statistics (exactly one of this and `extended_statistics` is non-empty).
    pub statistics: Vec<Statistic>,
    /// 1–10 extended statistics as the client spelled them (`p99`, `TM(10%:90%)`, …).
    pub extended_statistics: Vec<String>,
    /// Only datapoints of this unit, if set.
    pub unit: Option<Unit>,
}

/// One aggregated period of one unit. Statistics not asked for are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    /// Start of the period, epoch milliseconds.
    pub timestamp_ms: i64,
    /// Unit of the aggregated observations.
    pub unit: Unit,
    /// SampleCount.
    pub sample_count: Option<f64>,
    /// Average.
    pub average: Option<f64>,
    /// Sum.
    pub sum: Option<f64>,
    /// Minimum.
    pub minimum: Option<f64>,
    /// Maximum.
    pub maximum: Option<f64>,
    /// Extended statistics by the name the query used (absent where undefined, e.g. a
    /// percentile of a period holding a negative value).
    pub extended_statistics: Vec<(String, f64)>,
}

/// A GetMetricStatistics answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatisticsResult {
    /// The metric name.
    pub label: String,
    /// Datapoints sorted by (timestamp, unit).
    pub datapoints: Vec<Datapoint>,
}

/// A ListMetrics dimension filter: the name must be present; the value, if given, must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimensionFilter {
    /// Dimension name.
    pub name: String,
    /// Dimension value, or any.
    pub value: Option<String>,
}

/// A ListMetrics request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListMetricsQuery {
    /// Exact namespace, or any.
    pub namespace: Option<String>,
    /// Exact metric name, or any.
    pub metric_name: Option<String>,
    /// Up to 10 filters; a metric with extra dimensions still matches.
    pub dimensions: Vec<DimensionFilter>,
    /// Only metrics with data received in the last 3 hours (`RecentlyActive=PT3H`).
    pub recently_active: bool,
    /// Paging token from a previous page.
    pub next_token: Option<String>,
}

/// One page of ListMetrics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListMetricsPage {
    /// Metrics in stable order (namespace, name, dimensions).
    pub metrics: Vec<MetricKey>,
    /// Token for the next page, if any.
    pub next_token: Option<String>,
}
