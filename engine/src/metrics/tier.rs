//! Retention tiers as pure policy over a snapshot: what to roll up next and what expired.
//!
//! CloudWatch keeps 1-minute data 15 days, 5-minute data 63 days and 1-hour data 455 days.
//! Stratus keeps every sample in exactly one place at a time, moving whole blocks down a chain:
//!
//! ```text
//! raw ──(older than `raw`, default 15 d)──▶ 5-minute rollup ──(older than 63 d)──▶ 1-hour rollup ──(455 d)──▶ gone
//! ```
//!
//! Raw data serves every period AWS allows on data that young (sub-minute periods while it is
//! under 3 hours old); a rollup block serves periods that are multiples of its tier, which the
//! AWS period rules by data age guarantee for data that old. Because a sample is never in two
//! places, queries add every source without double counting. Raw retention must cover the
//! 14-day window in which late samples are accepted, so a rollup is final when it is made.

const DAY_MS: i64 = 86_400_000;

/// How long each kind of data stays where it is, in ms; `None` keeps it there forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Raw samples, before they are rolled up into the 5-minute tier.
    pub(crate) raw: Option<i64>,
    /// 5-minute rollups, before they are rolled up into the 1-hour tier.
    pub(crate) five_minute: Option<i64>,
    /// 1-hour rollups, before they are deleted.
    pub(crate) one_hour: Option<i64>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { raw: Some(15 * DAY_MS), five_minute: Some(63 * DAY_MS), one_hour: Some(455 * DAY_MS) }
    }
}

/// The least raw retention that keeps rollups final: the 14-day acceptance window plus a day.
pub(crate) const MIN_RAW_RETENTION_MS: i64 = 15 * DAY_MS;

/// What the planner knows of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TierBlock {
    pub(crate) id: u64,
    /// 0 raw, else the rollup period in seconds.
    pub(crate) tier: u32,
    pub(crate) max_t: i64,
}

/// The next rollup to make: the source blocks (all of one tier, every sample past that tier's
/// retention) and the tier to write. Raw blocks go first.
pub(crate) fn next_rollup(blocks: &[TierBlock], now: i64, r: &Retention) -> Option<(Vec<u64>, u32)> {
    for (from, keep, to) in [(0, r.raw, 300), (300, r.five_minute, 3600)] {
        let Some(keep) = keep else { continue };
        let ids: Vec<u64> = blocks.iter().filter(|b| b.tier == from && b.max_t < now - keep).map(|b| b.id).collect();
        if !ids.is_empty() {
            return Some((ids, to));
        }
    }
    None
}

/// 1-hour rollup blocks past their retention: to be deleted.
pub(crate) fn expired(blocks: &[TierBlock], now: i64, r: &Retention) -> Vec<u64> {
    let Some(keep) = r.one_hour else { return Vec::new() };
    blocks.iter().filter(|b| b.tier == 3600 && b.max_t < now - keep).map(|b| b.id).collect()
}

/// Whether a block of `tier` can answer buckets of `period_ms`.
pub(crate) fn serves(tier: u32, period_ms: i64) -> bool {
    tier == 0 || period_ms % (i64::from(tier) * 1000) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 2_000_000_000_000;

    fn b(id: u64, tier: u32, age_days: i64) -> TierBlock {
        TierBlock { id, tier, max_t: NOW - age_days * DAY_MS }
    }

    #[test]
    fn rollup_chain_table() {
        let r = Retention::default();
        // (blocks, expected next rollup)
        type Row = (Vec<TierBlock>, Option<(Vec<u64>, u32)>);
        let rows: Vec<Row> = vec![
            (vec![b(1, 0, 1), b(2, 0, 15)], None), // exactly 15 days old: kept
            (vec![b(1, 0, 20), b(2, 0, 16), b(3, 0, 1)], Some((vec![1, 2], 300))),
            (vec![b(1, 300, 64), b(2, 300, 62)], Some((vec![1], 3600))),
            (vec![b(1, 300, 64), b(2, 0, 16)], Some((vec![2], 300))), // raw first
            (vec![b(1, 3600, 500)], None),
        ];
        for (blocks, want) in rows {
            assert_eq!(next_rollup(&blocks, NOW, &r), want, "{blocks:?}");
        }
        let forever = Retention { raw: None, five_minute: None, one_hour: None };
        assert_eq!(next_rollup(&[b(1, 0, 400), b(2, 300, 400)], NOW, &forever), None);
        assert_eq!(expired(&[b(1, 3600, 456), b(2, 3600, 454), b(3, 0, 999)], NOW, &r), vec![1]);
        assert!(expired(&[b(1, 3600, 456)], NOW, &forever).is_empty());
    }

    #[test]
    fn serving_table() {
        for (tier, period_s, want) in [
            (0, 1, true),
            (0, 60, true),
            (300, 60, false),
            (300, 300, true),
            (300, 3600, true),
            (3600, 300, false),
            (3600, 7200, true),
        ] {
            assert_eq!(serves(tier, period_s * 1000), want, "tier {tier} period {period_s}");
        }
    }
}
