//! The time-series store behind CloudWatch metrics.
//!
//! # Layout
//!
//! | module     | owns                                                                            |
//! |------------|---------------------------------------------------------------------------------|
//! | `model`    | public data types: tenants, metric keys, units, datums, queries, datapoints       |
//! | `validate` | CloudWatch's input rules with AWS error codes and wording                        |
//! | `series`   | stream identity (`StreamId` = xxh3 of the canonical key) and the series index    |
//! | `gmd`      | GetMetricData: model, validation, execution (MetricStat, math, SEARCH, Insights), paging |
//! | `gmd`      | GetMetricData: model, validation, execution (MetricStat, math, SEARCH, Insights), paging |
//! | `frame`    | period grids, labelled time series and mergeable period aggregates              |
//! | `record`   | WAL payloads: series definitions and compact sample batches                      |
//! | `chunk`    | samples ⇄ codec chunks per sample class                                          |
//! | `head`     | the sharded in-memory head and frozen heads being sealed                         |
//! | `block`    | immutable block files: writer, mmap reader                                       |
//! | `compact`  | pure compaction policy: which blocks to merge next                               |
//! | `query`    | pure GetMetricStatistics semantics: period rules, rounding, aggregation          |
//! | `tier`     | pure retention-tier policy: what to roll up, what expired, which tier answers    |
//! | `store`    | the wiring: append/commit, recovery, seal, compaction, retention, reads          |
//!
//! Callers: the [`crate::Engine`] facade only.

pub(crate) mod block;
pub(crate) mod chunk;
pub(crate) mod compact;
pub(crate) mod dashboard;
pub(crate) mod enc;
pub(crate) mod extended;
pub(crate) mod frame;
pub(crate) mod gmd;
pub(crate) mod head;
pub(crate) mod insights;
pub(crate) mod math;
pub(crate) mod model;
pub(crate) mod query;
pub(crate) mod record;
pub(crate) mod series;
pub(crate) mod sketch;
pub(crate) mod store;
pub(crate) mod tier;
pub mod validate;
