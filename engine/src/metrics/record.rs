//! WAL payloads of the metrics store (the WAL itself frames opaque records; this module says
//! what is inside). A stream is defined once per head generation by a `SeriesDef` record, then
//! referred to by id in compact `Samples` records. Byte layout: docs/format/wal.md.

use super::enc::{Cursor, DecodeError, put_f64, put_ivarint, put_u8, put_u64, put_uvarint};
use super::series::{SampleClass, StreamId, StreamKey};

const KIND_SERIES_DEF: u8 = 1;
const KIND_SAMPLES: u8 = 2;

/// Column buffers of one stream's samples, in arrival order.
///
/// `Raw` streams use `cols[0]` (value) and `cols[1]` (weight); `Set` streams use all four
/// (count, sum, min, max).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SampleBuf {
    pub(crate) ts: Vec<i64>,
    pub(crate) cols: [Vec<f64>; 4],
}

impl SampleBuf {
    pub(crate) fn len(&self) -> usize {
        self.ts.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    pub(crate) fn columns(class: SampleClass) -> usize {
        match class {
            SampleClass::Raw => 2,
            SampleClass::Set => 4,
        }
    }

    pub(crate) fn push_raw(&mut self, t: i64, v: f64, w: f64) {
        self.ts.push(t);
        self.cols[0].push(v);
        self.cols[1].push(w);
    }

    pub(crate) fn push_set(&mut self, t: i64, count: f64, sum: f64, min: f64, max: f64) {
        self.ts.push(t);
        self.cols[0].push(count);
        self.cols[1].push(sum);
        self.cols[2].push(min);
        self.cols[3].push(max);
    }

    /// Appends every sample of `other` (same class).
    pub(crate) fn extend(&mut self, other: &SampleBuf, class: SampleClass) {
        self.ts.extend_from_slice(&other.ts);
        for c in 0..Self::columns(class) {
            self.cols[c].extend_from_slice(&other.cols[c]);
        }
    }

    /// Appends samples `range` of `other` (same class).
    pub(crate) fn extend_range(&mut self, other: &SampleBuf, range: std::ops::Range<usize>, class: SampleClass) {
        self.ts.extend_from_slice(&other.ts[range.clone()]);
        for c in 0..Self::columns(class) {
            self.cols[c].extend_from_slice(&other.cols[c][range.clone()]);
        }
    }

    /// Makes room for exactly `n` more samples in the columns `class` uses.
    pub(crate) fn reserve_exact(&mut self, n: usize, class: SampleClass) {
        self.ts.reserve_exact(n);
        for c in 0..Self::columns(class) {
            self.cols[c].reserve_exact(n);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.ts.clear();
        for c in &mut self.cols {
            c.clear();
        }
    }

    /// Sorts samples by timestamp, stably (equal timestamps keep arrival order).
    pub(crate) fn sort(&mut self, class: SampleClass) {
        if self.ts.windows(2).all(|w| w[0] <= w[1]) {
            return;
        }
        let mut idx: Vec<u32> = (0..self.ts.len() as u32).collect();
        idx.sort_by_key(|&i| self.ts[i as usize]);
        self.ts = idx.iter().map(|&i| self.ts[i as usize]).collect();
        for c in 0..Self::columns(class) {
            let col = &self.cols[c];
            let sorted: Vec<f64> = idx.iter().map(|&i| col[i as usize]).collect();
            self.cols[c] = sorted;
        }
    }
}

/// One decoded WAL record.
#[derive(Debug, PartialEq)]
pub(crate) enum Record {
    SeriesDef { id: StreamId, key: StreamKey },
    Samples(Vec<(StreamId, SampleClass, SampleBuf)>),
}

pub(crate) fn encode_series_def(id: StreamId, key: &StreamKey, out: &mut Vec<u8>) {
    put_u8(out, KIND_SERIES_DEF);
    put_u64(out, id.0);
    key.encode(out);
}

/// Encodes a `Samples` record of several streams' buffers.
pub(crate) fn encode_samples<'a>(
    groups: impl ExactSizeIterator<Item = (StreamId, SampleClass, &'a SampleBuf)>,
    out: &mut Vec<u8>,
) {
    put_u8(out, KIND_SAMPLES);
    put_uvarint(out, groups.len() as u64);
    for (id, class, buf) in groups {
        put_u64(out, id.0);
        put_u8(out, class as u8);
        put_uvarint(out, buf.len() as u64);
        let mut prev = 0i64;
        for &t in &buf.ts {
            put_ivarint(out, t.wrapping_sub(prev));
            prev = t;
        }
        match class {
            SampleClass::Raw => {
                for &v in &buf.cols[0] {
                    put_f64(out, v);
                }
                let unit_weights = buf.cols[1].iter().all(|&w| w == 1.0);
                put_u8(out, u8::from(!unit_weights));
                if !unit_weights {
                    for &w in &buf.cols[1] {
                        put_f64(out, w);
                    }
                }
            }
            SampleClass::Set => {
                for col in &buf.cols {
                    for &v in col {
                        put_f64(out, v);
                    }
                }
            }
        }
    }
}

pub(crate) fn decode(payload: &[u8]) -> Result<Record, DecodeError> {
    let mut c = Cursor::new(payload);
    match c.u8()? {
        KIND_SERIES_DEF => {
            let id = StreamId(c.u64()?);
            let key = StreamKey::decode(&mut c)?;
            if !c.is_empty() {
                return Err(DecodeError::Invalid("trailing bytes in series definition"));
            }
            Ok(Record::SeriesDef { id, key })
        }
        KIND_SAMPLES => {
            let groups = c.uvarint()?;
            let mut out = Vec::new();
            for _ in 0..groups {
                let id = StreamId(c.u64()?);
                let class = SampleClass::from_tag(c.u8()?).ok_or(DecodeError::Invalid("class tag"))?;
                let n = c.uvarint()? as usize;
                // Every sample takes at least 9 bytes (varint + f64): reject counts the payload
                // cannot hold before allocating for them.
                if n > c.remaining() / 9 + 1 {
                    return Err(DecodeError::Invalid("sample count"));
                }
                let mut buf = SampleBuf::default();
                let mut t = 0i64;
                for _ in 0..n {
                    t = t.wrapping_add(c.ivarint()?);
                    buf.ts.push(t);
                }
                match class {
                    SampleClass::Raw => {
                        for _ in 0..n {
                            buf.cols[0].push(c.f64()?);
                        }
                        match c.u8()? {
                            0 => buf.cols[1].resize(n, 1.0),
                            1 => {
                                for _ in 0..n {
                                    buf.cols[1].push(c.f64()?);
                                }
                            }
                            _ => return Err(DecodeError::Invalid("weights flag")),
                        }
                    }
                    SampleClass::Set => {
                        for col in &mut buf.cols {
                            for _ in 0..n {
                                col.push(c.f64()?);
                            }
                        }
                    }
                }
                out.push((id, class, buf));
            }
            if !c.is_empty() {
                return Err(DecodeError::Invalid("trailing bytes in samples record"));
            }
            Ok(Record::Samples(out))
        }
        _ => Err(DecodeError::Invalid("record kind")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::model::{Dimension, MetricKey, Tenant, Unit};
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let key = StreamKey {
            tenant: Tenant::default(),
            metric: MetricKey::new("NS", "M", vec![Dimension::new("a", "b")]),
            unit: Unit::Bytes,
            class: SampleClass::Raw,
            resolution: crate::metrics::model::Resolution::Standard,
        };
        let mut out = Vec::new();
        encode_series_def(key.id(), &key, &mut out);
        assert_eq!(decode(&out).unwrap(), Record::SeriesDef { id: key.id(), key: key.clone() });

        let mut raw = SampleBuf::default();
        raw.push_raw(1000, 1.5, 1.0);
        raw.push_raw(500, f64::from_bits(0x7ff8_0000_0000_0001), 1.0);
        let mut weighted = SampleBuf::default();
        weighted.push_raw(-5, -0.0, 3.0);
        let mut set = SampleBuf::default();
        set.push_set(7, 2.0, 3.0, 1.0, 2.0);
        let groups = [
            (StreamId(1), SampleClass::Raw, &raw),
            (StreamId(2), SampleClass::Raw, &weighted),
            (StreamId(3), SampleClass::Set, &set),
        ];
        let mut out = Vec::new();
        encode_samples(groups.into_iter(), &mut out);
        let Record::Samples(got) = decode(&out).unwrap() else { panic!("kind") };
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].2.ts, raw.ts);
        assert_eq!(got[0].2.cols[0][1].to_bits(), raw.cols[0][1].to_bits());
        assert_eq!(got[1].2, weighted);
        assert_eq!(got[2].2, set);
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode(&bytes);
        }
    }
}
