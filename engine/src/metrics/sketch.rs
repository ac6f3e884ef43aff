//! DDSketch: a mergeable quantile sketch with a relative-error guarantee, kept in rollups so that
//! percentiles and the other extended statistics survive the 1-minute → 5-minute → 1-hour tiers.
//!
//! Owns the log-γ bucket mapping, the two collapsing stores (negative and positive values) and
//! the zero bucket, quantile queries, ascending bucket iteration, and the byte encoding
//! ("sketch format v1", drawn in `docs/format/sketch.md`). Decisions and measurements:
//! `docs/design/2026-11-22-sketch.md`.
//!
//! Callers: rollup building and compaction (`add`, `merge`, `encode`/`decode`) and
//! [`crate::metrics::extended`], which evaluates statistics over [`Sketch::buckets`].
//!
//! # The mapping
//!
//! With relative accuracy `α` (1 % by default) and `γ = (1 + α) / (1 − α)`, a value `v > 0`
//! goes to bucket `k = ⌈ln v / ln γ⌉`, which covers `(γ^(k−1), γ^k]`. Every value of that
//! bucket is represented by `r(k) = 2γ^k / (γ + 1)`, and `|r(k) − v| ≤ α·v` for all of them.
//! A negative value goes to the negative store under key `−k(|v|)`, so that keys ascend with
//! the value in both stores. `|v| < f64::MIN_POSITIVE` (zero and subnormals) goes to the zero
//! bucket, represented by `0`. NaN, ±∞ and weights that are not finite and positive are
//! ignored (the PutMetricData validation rejects them before they get here).
//!
//! # Invariants
//!
//! * A store holds dense counts for the keys `offset .. offset + counts.len()`; it is empty or
//!   its first and last counts are positive; it spans at most [`MAX_BUCKETS`] keys.
//! * Collapsing: when a store would span more than [`MAX_BUCKETS`] keys, its lowest keys are
//!   folded into the lowest key kept (DDSketch's "collapsing lowest dense store"). A value `v`
//!   always ends up under `max(key(v), highest key − MAX_BUCKETS + 1)` whatever the order of
//!   adds and merges, so merging is order-independent and equals adding every value to one
//!   sketch. At α = 1 % the 2,048 keys cover a factor γ^2048 ≈ 6·10^17 between the smallest and
//!   largest value of one sign; only data spanning more than that loses accuracy, and only at
//!   the low end of the value axis (the smallest positive values, the most negative values).
//! * The quantile rule: `quantile(q)` is the representative of the first bucket, in ascending
//!   value order, whose cumulative weight reaches `q · count`. On raw data the same rule (first
//!   value whose cumulative weight reaches `q · count`) gives the exact quantile `x`; since
//!   buckets are monotone in the value, `x` lies in the chosen bucket, hence
//!   `|quantile(q) − x| ≤ α·|x|` (up to the rounding of one logarithm).

#[cfg(test)]
mod tests;

use crate::metrics::enc::{Cursor, DecodeError, put_f64, put_ivarint, put_u8, put_uvarint};

/// The relative accuracy of [`Sketch::new`]: 1 %.
pub(crate) const DEFAULT_RELATIVE_ACCURACY: f64 = 0.01;
/// Accepted relative accuracies: keys stay well inside `i32` and buckets stay useful.
const MIN_RELATIVE_ACCURACY: f64 = 1e-4;
const MAX_RELATIVE_ACCURACY: f64 = 0.5;
/// Most keys one store spans; part of the format (a decoder rejects wider stores).
pub(crate) const MAX_BUCKETS: usize = 2048;
/// Smallest magnitude given its own bucket; below it a value counts as zero.
const MIN_INDEXABLE: f64 = f64::MIN_POSITIVE;
/// Version byte of the encoding.
const FORMAT_VERSION: u8 = 1;
/// Flags byte of the encoding.
const FLAG_CUSTOM_ACCURACY: u8 = 1 << 0;
const FLAG_ZERO: u8 = 1 << 1;
const FLAG_NEGATIVE: u8 = 1 << 2;
const FLAG_POSITIVE: u8 = 1 << 3;
const KNOWN_FLAGS: u8 = FLAG_CUSTOM_ACCURACY | FLAG_ZERO | FLAG_NEGATIVE | FLAG_POSITIVE;
/// Largest integer count stored as an integer (every integer up to it is exact in `f64`).
const MAX_INTEGER_COUNT: u64 = 1 << 53;

/// The log-γ mapping between magnitudes and keys.
#[derive(Debug, Clone, Copy)]
struct Mapping {
    alpha: f64,
    ln_gamma: f64,
    /// `ln(2 / (γ + 1))`: the representative of key `k` is `γ^k · 2 / (γ + 1)`.
    ln_rep_factor: f64,
    /// Keys of `MIN_INDEXABLE` and `f64::MAX`: every magnitude maps into this range.
    min_key: i32,
    max_key: i32,
}

impl PartialEq for Mapping {
    fn eq(&self, other: &Self) -> bool {
        self.alpha.to_bits() == other.alpha.to_bits()
    }
}

impl Mapping {
    /// `alpha` must lie in `[MIN_RELATIVE_ACCURACY, MAX_RELATIVE_ACCURACY]`.
    fn new(alpha: f64) -> Mapping {
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        let ln_gamma = gamma.ln();
        let mut m = Mapping {
            alpha,
            ln_gamma,
            ln_rep_factor: (2.0 / (gamma + 1.0)).ln(),
            min_key: i32::MIN,
            max_key: i32::MAX,
        };
        m.min_key = m.key(MIN_INDEXABLE);
        m.max_key = m.key(f64::MAX);
        m
    }

    /// Key of a magnitude `abs >= MIN_INDEXABLE` (finite).
    fn key(&self, abs: f64) -> i32 {
        let k = (abs.ln() / self.ln_gamma).ceil();
        // The range check keeps the cast exact; `min_key..=max_key` holds every finite input.
        (k.clamp(f64::from(self.min_key), f64::from(self.max_key))) as i32
    }

    /// Representative magnitude of a key: `2γ^k / (γ + 1)`, within α of every value it holds.
    fn value(&self, key: i32) -> f64 {
        (f64::from(key) * self.ln_gamma + self.ln_rep_factor).exp().min(f64::MAX)
    }
}

/// Dense counts over a window of keys, collapsing its lowest keys beyond [`MAX_BUCKETS`].
#[derive(Debug, Clone, Default, PartialEq)]
struct Store {
    /// Key of `counts[0]`.
    offset: i32,
    /// Empty, or first and last entries positive; at most `MAX_BUCKETS` entries.
    counts: Vec<f64>,
}

impl Store {
    fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Non-empty buckets as `(key, count)`, ascending keys.
    fn iter(&self) -> impl Iterator<Item = (i32, f64)> + '_ {
        let offset = self.offset;
        self.counts.iter().enumerate().filter(|(_, c)| **c > 0.0).map(move |(i, c)| (offset + i as i32, *c))
    }

    fn add(&mut self, key: i32, weight: f64) {
        if self.counts.is_empty() {
            self.offset = key;
            self.counts.push(weight);
            return;
        }
        let lo = i64::from(self.offset);
        let hi = lo + self.counts.len() as i64 - 1;
        let key = i64::from(key);
        if key > hi {
            let new_lo = key - MAX_BUCKETS as i64 + 1;
            if new_lo > lo {
                self.collapse_below(new_lo);
            }
            let len = (key - i64::from(self.offset) + 1) as usize;
            self.counts.resize(len, 0.0);
            self.counts[len - 1] += weight;
        } else if key < lo {
            // The span may not grow past MAX_BUCKETS: keys below the floor land on it.
            let key = key.max(hi - MAX_BUCKETS as i64 + 1);
            if key < lo {
                let grow = (lo - key) as usize;
                self.counts.splice(0..0, std::iter::repeat_n(0.0, grow));
                self.offset = key as i32;
            }
            self.counts[(key - i64::from(self.offset)) as usize] += weight;
        } else {
            self.counts[(key - lo) as usize] += weight;
        }
    }

    /// Folds every key below `new_lo` into `new_lo` and makes `new_lo` the first key.
    fn collapse_below(&mut self, new_lo: i64) {
        let lo = i64::from(self.offset);
        let len = self.counts.len() as i64;
        if new_lo >= lo + len {
            let total: f64 = self.counts.iter().sum();
            self.counts.clear();
            self.counts.push(total);
        } else {
            let n = (new_lo - lo) as usize;
            let folded: f64 = self.counts.drain(..n).sum();
            self.counts[0] += folded;
        }
        self.offset = new_lo as i32;
    }

    fn merge(&mut self, other: &Store) {
        // Ascending keys: the range grows downwards at most once, then only upwards.
        for (key, count) in other.iter() {
            self.add(key, count);
        }
    }

    /// Writes `n`, the first key, then key gaps, each followed by its count.
    fn encode(&self, out: &mut Vec<u8>) {
        let n = self.iter().count();
        put_uvarint(out, n as u64);
        let mut prev: Option<i32> = None;
        for (key, count) in self.iter() {
            match prev {
                None => put_ivarint(out, i64::from(key)),
                Some(p) => put_uvarint(out, (i64::from(key) - i64::from(p) - 1) as u64),
            }
            put_count(out, count);
            prev = Some(key);
        }
    }

    /// Reads a store whose keys must lie in `min_key..=max_key`.
    fn decode(c: &mut Cursor<'_>, min_key: i32, max_key: i32) -> Result<Store, DecodeError> {
        let n = c.uvarint()?;
        if n == 0 || n > MAX_BUCKETS as u64 {
            return Err(DecodeError::Invalid("sketch bucket count"));
        }
        let n = n as usize;
        // Each bucket takes at least two bytes (key or gap, count).
        if c.remaining() < 2 * n {
            return Err(DecodeError::Truncated);
        }
        let first = c.ivarint()?;
        if first < i64::from(min_key) || first > i64::from(max_key) {
            return Err(DecodeError::Invalid("sketch key"));
        }
        let mut buckets = Vec::with_capacity(n);
        buckets.push((first, read_count(c)?));
        let mut prev = first;
        for _ in 1..n {
            let gap = c.uvarint()?;
            if gap >= MAX_BUCKETS as u64 {
                return Err(DecodeError::Invalid("sketch key gap"));
            }
            let key = prev + 1 + gap as i64;
            if key - first >= MAX_BUCKETS as i64 || key > i64::from(max_key) {
                return Err(DecodeError::Invalid("sketch key span"));
            }
            buckets.push((key, read_count(c)?));
            prev = key;
        }
        let mut counts = vec![0.0; (prev - first + 1) as usize];
        for (key, count) in buckets {
            counts[(key - first) as usize] = count;
        }
        Ok(Store { offset: first as i32, counts })
    }
}

/// Integer counts `1..=2^53` as `uvarint(n << 1)`; any other count as `uvarint(1)` + `f64`.
fn put_count(out: &mut Vec<u8>, count: f64) {
    if count.fract() == 0.0 && count <= MAX_INTEGER_COUNT as f64 {
        put_uvarint(out, (count as u64) << 1);
    } else {
        put_uvarint(out, 1);
        put_f64(out, count);
    }
}

/// Reads a count written by [`put_count`], accepting only its canonical form.
fn read_count(c: &mut Cursor<'_>) -> Result<f64, DecodeError> {
    let tag = c.uvarint()?;
    if tag & 1 == 0 {
        let n = tag >> 1;
        if n == 0 || n > MAX_INTEGER_COUNT {
            return Err(DecodeError::Invalid("sketch count"));
        }
        Ok(n as f64)
    } else if tag == 1 {
        let v = c.f64()?;
        let integral = v.fract() == 0.0 && v <= MAX_INTEGER_COUNT as f64;
        if !(v.is_finite() && v > 0.0) || integral {
            return Err(DecodeError::Invalid("sketch count"));
        }
        Ok(v)
    } else {
        Err(DecodeError::Invalid("sketch count tag"))
    }
}

/// A DDSketch over weighted `f64` values; see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sketch {
    mapping: Mapping,
    /// Keys are `−key(|v|)` so that they ascend with the value.
    negative: Store,
    zero: f64,
    positive: Store,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch::new()
    }
}

impl Sketch {
    /// An empty sketch with relative accuracy [`DEFAULT_RELATIVE_ACCURACY`] (1 %).
    pub(crate) fn new() -> Sketch {
        Sketch::with_mapping(Mapping::new(DEFAULT_RELATIVE_ACCURACY))
    }

    /// An empty sketch with relative accuracy `alpha`, if `1e-4 <= alpha <= 0.5`.
    pub(crate) fn with_relative_accuracy(alpha: f64) -> Option<Sketch> {
        (MIN_RELATIVE_ACCURACY..=MAX_RELATIVE_ACCURACY)
            .contains(&alpha)
            .then(|| Sketch::with_mapping(Mapping::new(alpha)))
    }

    fn with_mapping(mapping: Mapping) -> Sketch {
        Sketch { mapping, negative: Store::default(), zero: 0.0, positive: Store::default() }
    }

    /// The α of the guarantee `|quantile(q) − x| ≤ α·|x|`.
    #[cfg_attr(not(test), allow(dead_code))] // inspection API; production reads go through `buckets`
    pub(crate) fn relative_accuracy(&self) -> f64 {
        self.mapping.alpha
    }

    /// Adds `value` with `weight` (a PutMetricData `Counts` entry; 1 for a plain value).
    /// Ignores NaN and infinite values and weights that are not finite and positive.
    pub(crate) fn add(&mut self, value: f64, weight: f64) {
        if !value.is_finite() || !weight.is_finite() || weight <= 0.0 {
            return;
        }
        let abs = value.abs();
        if abs < MIN_INDEXABLE {
            self.zero += weight;
        } else if value > 0.0 {
            self.positive.add(self.mapping.key(abs), weight);
        } else {
            self.negative.add(-self.mapping.key(abs), weight);
        }
    }

    /// Adds every value of `other`. Lossless (bucket counts add) when both sketches have the
    /// same relative accuracy; otherwise `other`'s bucket representatives are re-added, and the
    /// result is accurate to about the sum of both α.
    pub(crate) fn merge(&mut self, other: &Sketch) {
        if self.mapping == other.mapping {
            self.negative.merge(&other.negative);
            self.zero += other.zero;
            self.positive.merge(&other.positive);
        } else {
            for (value, weight) in other.buckets() {
                self.add(value, weight);
            }
        }
    }

    /// Total weight of the values added.
    #[cfg_attr(not(test), allow(dead_code))] // inspection API; production reads go through `buckets`
    pub(crate) fn count(&self) -> f64 {
        // Summed in bucket order, exactly as `quantile` accumulates.
        self.buckets().map(|(_, w)| w).sum()
    }

    #[cfg_attr(not(test), allow(dead_code))] // inspection API; production reads go through `buckets`
    pub(crate) fn is_empty(&self) -> bool {
        self.negative.is_empty() && self.zero == 0.0 && self.positive.is_empty()
    }

    /// Whether a value below zero (not counted as zero) was added.
    pub(crate) fn has_negative(&self) -> bool {
        !self.negative.is_empty()
    }

    /// The `q`-quantile (`q` in `[0, 1]`): the representative of the first bucket whose
    /// cumulative weight reaches `q · count`. `None` when empty or `q` is out of range.
    #[cfg_attr(not(test), allow(dead_code))] // inspection API; production reads go through `buckets`
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        let total = self.count();
        if total <= 0.0 {
            return None;
        }
        let target = q * total;
        let mut cumulative = 0.0;
        let mut last = None;
        for (value, weight) in self.buckets() {
            cumulative += weight;
            if cumulative >= target {
                return Some(value);
            }
            last = Some(value);
        }
        last
    }

    /// Non-empty buckets as `(representative value, weight)` in ascending value order:
    /// negative values, then zero, then positive values.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let m = self.mapping;
        let negative = self.negative.iter().map(move |(k, c)| (-m.value(-k), c));
        let zero = (self.zero > 0.0).then_some((0.0, self.zero));
        let positive = self.positive.iter().map(move |(k, c)| (m.value(k), c));
        negative.chain(zero).chain(positive)
    }

    /// Appends the "sketch format v1" encoding (`docs/format/sketch.md`).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let custom = self.mapping.alpha.to_bits() != DEFAULT_RELATIVE_ACCURACY.to_bits();
        let mut flags = 0;
        if custom {
            flags |= FLAG_CUSTOM_ACCURACY;
        }
        if self.zero > 0.0 {
            flags |= FLAG_ZERO;
        }
        if !self.negative.is_empty() {
            flags |= FLAG_NEGATIVE;
        }
        if !self.positive.is_empty() {
            flags |= FLAG_POSITIVE;
        }
        put_u8(out, FORMAT_VERSION);
        put_u8(out, flags);
        if custom {
            put_f64(out, self.mapping.alpha);
        }
        if self.zero > 0.0 {
            put_count(out, self.zero);
        }
        if !self.negative.is_empty() {
            self.negative.encode(out);
        }
        if !self.positive.is_empty() {
            self.positive.encode(out);
        }
    }

    /// Reads one encoded sketch from `c`, leaving what follows it. Accepts only what
    /// [`Sketch::encode`] can produce; never panics; allocates at most `MAX_BUCKETS` counts per
    /// store, and never more than the input could describe.
    pub(crate) fn decode(c: &mut Cursor<'_>) -> Result<Sketch, DecodeError> {
        if c.u8()? != FORMAT_VERSION {
            return Err(DecodeError::Invalid("sketch version"));
        }
        let flags = c.u8()?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(DecodeError::Invalid("sketch flags"));
        }
        let mut sketch = if flags & FLAG_CUSTOM_ACCURACY != 0 {
            let alpha = c.f64()?;
            if alpha.to_bits() == DEFAULT_RELATIVE_ACCURACY.to_bits() {
                return Err(DecodeError::Invalid("sketch accuracy"));
            }
            Sketch::with_relative_accuracy(alpha).ok_or(DecodeError::Invalid("sketch accuracy"))?
        } else {
            Sketch::new()
        };
        if flags & FLAG_ZERO != 0 {
            sketch.zero = read_count(c)?;
        }
        let (min_key, max_key) = (sketch.mapping.min_key, sketch.mapping.max_key);
        if flags & FLAG_NEGATIVE != 0 {
            sketch.negative = Store::decode(c, -max_key, -min_key)?;
        }
        if flags & FLAG_POSITIVE != 0 {
            sketch.positive = Store::decode(c, min_key, max_key)?;
        }
        Ok(sketch)
    }
}
