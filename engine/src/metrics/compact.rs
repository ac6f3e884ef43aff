//! Compaction policy as a pure function over the block list: which blocks to merge next.
//!
//! Size-tiered by level: a sealed head is level 0, a merge of level-L blocks is level L + 1.
//! When some level holds at least `min_blocks` blocks, the lowest such level is merged. Each
//! sample is therefore rewritten about once per level, O(log n) times overall, instead of on
//! every compaction as a merge-everything policy would.

/// What the planner needs to know about a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockInfo {
    pub(crate) id: u64,
    pub(crate) level: u32,
}

/// The ids of the blocks to merge next, oldest first, or `None` when nothing is due.
pub(crate) fn plan(blocks: &[BlockInfo], min_blocks: usize) -> Option<Vec<u64>> {
    let mut levels: Vec<u32> = blocks.iter().map(|b| b.level).collect();
    levels.sort_unstable();
    levels.dedup();
    for level in levels {
        let mut ids: Vec<u64> = blocks.iter().filter(|b| b.level == level).map(|b| b.id).collect();
        if ids.len() >= min_blocks.max(2) {
            ids.sort_unstable();
            return Some(ids);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(spec: &[(u64, u32)]) -> Vec<BlockInfo> {
        spec.iter().map(|&(id, level)| BlockInfo { id, level }).collect()
    }

    /// (blocks as (id, level), min_blocks, expected merge).
    type Row = (&'static [(u64, u32)], usize, Option<&'static [u64]>);

    #[test]
    fn table() {
        let rows: &[Row] = &[
            (&[], 4, None),
            (&[(1, 0), (2, 0), (3, 0)], 4, None),
            (&[(1, 0), (2, 0), (3, 0), (4, 0)], 4, Some(&[1, 2, 3, 4])),
            (&[(9, 1), (5, 0), (6, 0), (7, 0), (8, 0)], 4, Some(&[5, 6, 7, 8])),
            (&[(1, 1), (2, 1), (3, 1), (4, 1), (5, 0)], 4, Some(&[1, 2, 3, 4])),
            (&[(1, 2), (2, 1), (3, 0)], 2, None),
            (&[(1, 2), (2, 1), (3, 1), (4, 0)], 2, Some(&[2, 3])),
            (&[(1, 0), (2, 0)], 1, Some(&[1, 2])),
        ];
        for (spec, min, want) in rows {
            assert_eq!(plan(&blocks(spec), *min).as_deref(), *want, "{spec:?} min {min}");
        }
    }
}
