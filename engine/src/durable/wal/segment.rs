//! WAL format v1 (`docs/format/wal.md`): segment file names, the segment header, record
//! framing ([`WalBatch`]) and the reader ([`SegmentReader`]), which never panics on any input.
//!
//! ```text
//! segment  = header record*
//! header   = magic[8] = 89 'S' 'T' 'R' 'W' 'A' 'L' 0A | version u32 LE = 1
//!            | segment u64 LE | crc32(bytes 0..20) u32 LE                      (24 bytes)
//! record   = len u32 LE | crc32(len bytes ++ payload) u32 LE | payload[len]    (8 + len bytes)
//! ```
//! CRC-32 is the IEEE 802.3 polynomial as computed by `crc32fast`.

use std::fmt;

use super::WalError;

/// The first 8 bytes of every segment file.
pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"\x89STRWAL\n";
/// The segment format this code writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Length of the segment header in bytes.
pub const SEGMENT_HEADER_LEN: usize = 24;
/// Length of a record header (length + CRC) in bytes.
pub(crate) const RECORD_HEADER_LEN: usize = 8;
/// The largest accepted record payload (16 MiB). A length field above it is corruption.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

const SEGMENT_SUFFIX: &str = ".wal";
const SEGMENT_DIGITS: usize = 20;

/// The file name of segment `segment`: 20 decimal digits and `.wal`, so names sort in
/// numeric order.
pub fn segment_file_name(segment: u64) -> String {
    format!("{segment:0width$}{SEGMENT_SUFFIX}", width = SEGMENT_DIGITS)
}

/// The segment number of a segment file name, `None` for any other name.
pub(crate) fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != SEGMENT_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

fn record_crc(len_bytes: [u8; 4], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len_bytes);
    h.update(payload);
    h.finalize()
}

/// The decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Format version (1).
    pub version: u32,
    /// The segment's number; must match its file name.
    pub segment: u64,
}

impl SegmentHeader {
    /// The header of a new version-1 segment.
    pub(crate) fn new(segment: u64) -> SegmentHeader {
        SegmentHeader { version: FORMAT_VERSION, segment }
    }

    /// The 24 header bytes.
    pub(crate) fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut out = [0u8; SEGMENT_HEADER_LEN];
        out[0..8].copy_from_slice(&SEGMENT_MAGIC);
        out[8..12].copy_from_slice(&self.version.to_le_bytes());
        out[12..20].copy_from_slice(&self.segment.to_le_bytes());
        let crc = crc32fast::hash(&out[0..20]);
        out[20..24].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes and checks the header at the start of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<SegmentHeader, HeaderError> {
        let Some(h) = bytes.get(..SEGMENT_HEADER_LEN) else {
            return Err(HeaderError::Short { len: bytes.len() });
        };
        if h[0..8] != SEGMENT_MAGIC {
            return Err(HeaderError::BadMagic);
        }
        let stored = le_u32(h, 20).unwrap_or(0);
        let computed = crc32fast::hash(&h[0..20]);
        if stored != computed {
            return Err(HeaderError::BadCrc { stored, computed });
        }
        let version = le_u32(h, 8).unwrap_or(0);
        if version != FORMAT_VERSION {
            return Err(HeaderError::UnsupportedVersion { version });
        }
        Ok(SegmentHeader { version, segment: le_u64(h, 12).unwrap_or(0) })
    }
}

/// Why a segment header is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than 24 bytes.
    Short {
        /// The number of bytes available.
        len: usize,
    },
    /// The first 8 bytes are not the WAL magic.
    BadMagic,
    /// The header CRC does not match.
    BadCrc {
        /// CRC stored in the header.
        stored: u32,
        /// CRC computed over bytes 0..20.
        computed: u32,
    },
    /// A well-formed header of a version this code does not read.
    UnsupportedVersion {
        /// The version found.
        version: u32,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Short { len } => write!(f, "segment header truncated ({len} of {SEGMENT_HEADER_LEN} bytes)"),
            HeaderError::BadMagic => write!(f, "not a wal segment (bad magic)"),
            HeaderError::BadCrc { stored, computed } => {
                write!(f, "segment header crc mismatch (stored {stored:#010x}, computed {computed:#010x})")
            }
            HeaderError::UnsupportedVersion { version } => {
                write!(f, "unsupported wal format version {version}")
            }
        }
    }
}

impl std::error::Error for HeaderError {}

/// Why reading a segment stopped before its end: at a crash, the tail of the last segment
/// written; anywhere else, corruption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TornReason {
    /// The segment header itself is incomplete or invalid (a crash while creating the segment,
    /// before any record was written).
    SegmentHeader(HeaderError),
    /// Fewer than 8 bytes left for a record header.
    ShortRecordHeader {
        /// Bytes available.
        available: usize,
    },
    /// The length field exceeds [`MAX_RECORD_BYTES`].
    LengthTooLarge {
        /// The length field.
        len: u32,
    },
    /// The payload extends past the end of the file.
    ShortPayload {
        /// The length field.
        len: u32,
        /// Payload bytes available.
        available: usize,
    },
    /// The record CRC does not match.
    CrcMismatch {
        /// CRC stored in the record header.
        stored: u32,
        /// CRC computed over the length bytes and the payload.
        computed: u32,
    },
}

impl fmt::Display for TornReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TornReason::SegmentHeader(e) => write!(f, "{e}"),
            TornReason::ShortRecordHeader { available } => {
                write!(f, "record header truncated ({available} of {RECORD_HEADER_LEN} bytes)")
            }
            TornReason::LengthTooLarge { len } => {
                write!(f, "record length {len} exceeds the maximum of {MAX_RECORD_BYTES}")
            }
            TornReason::ShortPayload { len, available } => {
                write!(f, "record payload truncated ({available} of {len} bytes)")
            }
            TornReason::CrcMismatch { stored, computed } => {
                write!(f, "record crc mismatch (stored {stored:#010x}, computed {computed:#010x})")
            }
        }
    }
}

/// One record read from a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRecord<'a> {
    /// Byte offset of the record (its header) in the segment file.
    pub offset: u64,
    /// The payload.
    pub payload: &'a [u8],
}

/// Iterates the records of one segment held in memory. Yields `Ok` records until the clean
/// end of the data, or one `Err` at the first damaged record and then `None`. Never panics.
#[derive(Debug, Clone)]
pub struct SegmentReader<'a> {
    bytes: &'a [u8],
    header: SegmentHeader,
    pos: usize,
    stopped: Option<TornReason>,
}

impl<'a> SegmentReader<'a> {
    /// Checks the segment header at the start of `bytes` (the whole segment file).
    pub fn new(bytes: &'a [u8]) -> Result<SegmentReader<'a>, HeaderError> {
        let header = SegmentHeader::decode(bytes)?;
        Ok(SegmentReader { bytes, header, pos: SEGMENT_HEADER_LEN, stopped: None })
    }

    /// The segment header.
    pub fn header(&self) -> SegmentHeader {
        self.header
    }

    /// The file offset just past the last good record read so far: the length a torn segment
    /// is truncated to.
    pub fn valid_len(&self) -> u64 {
        self.pos as u64
    }

    /// Why reading stopped early, once the iterator returned an `Err`.
    pub fn stopped(&self) -> Option<&TornReason> {
        self.stopped.as_ref()
    }

    fn read_record(&self) -> Result<Option<(SegmentRecord<'a>, usize)>, TornReason> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(None);
        }
        let (Some(len), Some(stored)) = (le_u32(rest, 0), le_u32(rest, 4)) else {
            return Err(TornReason::ShortRecordHeader { available: rest.len() });
        };
        if len as usize > MAX_RECORD_BYTES {
            return Err(TornReason::LengthTooLarge { len });
        }
        let body = &rest[RECORD_HEADER_LEN..];
        let Some(payload) = body.get(..len as usize) else {
            return Err(TornReason::ShortPayload { len, available: body.len() });
        };
        let computed = record_crc(len.to_le_bytes(), payload);
        if computed != stored {
            return Err(TornReason::CrcMismatch { stored, computed });
        }
        let record = SegmentRecord { offset: self.pos as u64, payload };
        Ok(Some((record, RECORD_HEADER_LEN + len as usize)))
    }
}

impl<'a> Iterator for SegmentReader<'a> {
    type Item = Result<SegmentRecord<'a>, TornReason>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped.is_some() {
            return None;
        }
        match self.read_record() {
            Ok(None) => None,
            Ok(Some((record, advance))) => {
                self.pos += advance;
                Some(Ok(record))
            }
            Err(reason) => {
                self.stopped = Some(reason.clone());
                Some(Err(reason))
            }
        }
    }
}

impl std::iter::FusedIterator for SegmentReader<'_> {}

/// A group of records submitted to the WAL together, framed into one contiguous buffer, so
/// the writer thread does one `write` per batch (or fewer: small batches are coalesced).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalBatch {
    buf: Vec<u8>,
    records: usize,
}

impl WalBatch {
    /// An empty batch.
    pub fn new() -> WalBatch {
        WalBatch::default()
    }

    /// An empty batch with room for `bytes` bytes of framed records (payload + 8 per record).
    pub fn with_capacity(bytes: usize) -> WalBatch {
        WalBatch { buf: Vec::with_capacity(bytes), records: 0 }
    }

    /// Appends one record: length, CRC and payload.
    pub fn push_record(&mut self, payload: &[u8]) -> Result<(), WalError> {
        if payload.len() > MAX_RECORD_BYTES {
            return Err(WalError::RecordTooLarge { len: payload.len(), max: MAX_RECORD_BYTES });
        }
        let len_bytes = (payload.len() as u32).to_le_bytes();
        self.buf.reserve(RECORD_HEADER_LEN + payload.len());
        self.buf.extend_from_slice(&len_bytes);
        self.buf.extend_from_slice(&record_crc(len_bytes, payload).to_le_bytes());
        self.buf.extend_from_slice(payload);
        self.records += 1;
        Ok(())
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The framed size in bytes (what the batch adds to the segment).
    pub fn len_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The number of records.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Removes all records, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.records = 0;
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn segment(n: u64, payloads: &[Vec<u8>]) -> Vec<u8> {
        let mut b = WalBatch::new();
        for p in payloads {
            b.push_record(p).unwrap();
        }
        let mut out = SegmentHeader::new(n).encode().to_vec();
        out.extend_from_slice(b.as_bytes());
        out
    }

    fn read_all(bytes: &[u8]) -> Option<(Vec<Vec<u8>>, Option<TornReason>, u64)> {
        let mut r = SegmentReader::new(bytes).ok()?;
        let mut out = Vec::new();
        for rec in r.by_ref() {
            match rec {
                Ok(rec) => out.push(rec.payload.to_vec()),
                Err(_) => break,
            }
        }
        let stopped = r.stopped().cloned();
        Some((out, stopped, r.valid_len()))
    }

    #[test]
    fn file_names_sort_numerically_and_parse_back() {
        assert_eq!(segment_file_name(7), "00000000000000000007.wal");
        assert_eq!(segment_file_name(u64::MAX), "18446744073709551615.wal");
        assert_eq!(parse_segment_file_name(&segment_file_name(u64::MAX)), Some(u64::MAX));
        for bad in ["7.wal", "0000000000000000000a.wal", "00000000000000000007.wal.tmp", "99999999999999999999.wal"] {
            assert_eq!(parse_segment_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn header_bytes_match_the_documented_layout() {
        let h = SegmentHeader::new(0x0102_0304_0506_0708).encode();
        assert_eq!(&h[0..8], b"\x89STRWAL\n");
        assert_eq!(&h[8..12], &[1, 0, 0, 0]);
        assert_eq!(&h[12..20], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&h[20..24], &crc32fast::hash(&h[0..20]).to_le_bytes());
        assert_eq!(SegmentHeader::decode(&h).unwrap().segment, 0x0102_0304_0506_0708);
    }

    /// The byte-by-byte examples of `docs/format/wal.md`: format v1 must stay exactly this.
    #[test]
    fn v1_golden_bytes() {
        let header = SegmentHeader::new(1).encode();
        assert_eq!(
            header,
            [
                0x89, 0x53, 0x54, 0x52, 0x57, 0x41, 0x4C, 0x0A, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x61, 0x2C,
                0x95, 0x20
            ]
        );
        let mut b = WalBatch::new();
        b.push_record(b"abc").unwrap();
        assert_eq!(b.as_bytes(), [0x03, 0, 0, 0, 0x33, 0x5D, 0xE1, 0x66, b'a', b'b', b'c']);
        let mut segment = header.to_vec();
        segment.extend_from_slice(b.as_bytes());
        let (records, stop, _) = read_all(&segment).unwrap();
        assert_eq!((records, stop), (vec![b"abc".to_vec()], None));
    }

    #[test]
    fn record_bytes_match_the_documented_layout() {
        let mut b = WalBatch::new();
        b.push_record(b"abc").unwrap();
        let bytes = b.as_bytes();
        assert_eq!(&bytes[0..4], &[3, 0, 0, 0]);
        // CRC-32/ISO-HDLC of 03 00 00 00 61 62 63, computed independently.
        let mut h = crc32fast::Hasher::new();
        h.update(&[3, 0, 0, 0, b'a', b'b', b'c']);
        assert_eq!(&bytes[4..8], &h.finalize().to_le_bytes());
        assert_eq!(&bytes[8..], b"abc");
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926, "crc32fast is CRC-32/ISO-HDLC");
    }

    #[test]
    fn header_errors_are_classified() {
        let good = SegmentHeader::new(3).encode();
        assert_eq!(SegmentHeader::decode(&good[..10]), Err(HeaderError::Short { len: 10 }));
        assert_eq!(SegmentHeader::decode(&[0u8; 24]), Err(HeaderError::BadMagic));
        let mut bad_crc = good;
        bad_crc[13] ^= 1;
        assert!(matches!(SegmentHeader::decode(&bad_crc), Err(HeaderError::BadCrc { .. })));
        let v2 = SegmentHeader { version: 2, segment: 3 }.encode();
        assert_eq!(SegmentHeader::decode(&v2), Err(HeaderError::UnsupportedVersion { version: 2 }));
    }

    #[test]
    fn torn_tails_are_classified() {
        let full = segment(1, &[b"first".to_vec(), b"second".to_vec()]);
        let second_at = SEGMENT_HEADER_LEN + 8 + 5;
        let (recs, stop, valid) = read_all(&full[..second_at + 3]).unwrap();
        assert_eq!((recs.len(), valid), (1, second_at as u64));
        assert_eq!(stop, Some(TornReason::ShortRecordHeader { available: 3 }));
        let (_, stop, _) = read_all(&full[..full.len() - 1]).unwrap();
        assert_eq!(stop, Some(TornReason::ShortPayload { len: 6, available: 5 }));
        let mut zeros = full.clone();
        zeros.extend_from_slice(&[0u8; 64]);
        let (recs, stop, valid) = read_all(&zeros).unwrap();
        assert_eq!((recs.len(), valid), (2, full.len() as u64));
        assert!(matches!(stop, Some(TornReason::CrcMismatch { .. })));
        let mut huge = full.clone();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&[0u8; 4]);
        let (_, stop, _) = read_all(&huge).unwrap();
        assert_eq!(stop, Some(TornReason::LengthTooLarge { len: u32::MAX }));
    }

    #[test]
    fn oversized_record_is_rejected() {
        let mut b = WalBatch::new();
        let big = vec![0u8; MAX_RECORD_BYTES + 1];
        assert!(matches!(b.push_record(&big), Err(WalError::RecordTooLarge { .. })));
        assert!(b.is_empty());
        b.push_record(&big[..MAX_RECORD_BYTES]).unwrap();
        assert_eq!(b.records(), 1);
    }

    proptest! {
        #[test]
        fn reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = read_all(&bytes);
            let mut with_header = SegmentHeader::new(1).encode().to_vec();
            with_header.extend_from_slice(&bytes);
            let (_, _, valid) = read_all(&with_header).unwrap();
            prop_assert!(valid as usize <= with_header.len());
        }

        #[test]
        fn records_round_trip(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20)) {
            let bytes = segment(9, &payloads);
            let (recs, stop, valid) = read_all(&bytes).unwrap();
            prop_assert_eq!(recs, payloads);
            prop_assert_eq!(stop, None);
            prop_assert_eq!(valid as usize, bytes.len());
        }

        #[test]
        fn corruption_yields_a_prefix_and_never_panics(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..12),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = segment(4, &payloads);
            let cut_at = SEGMENT_HEADER_LEN + cut.index(bytes.len() - SEGMENT_HEADER_LEN + 1);
            bytes.truncate(cut_at);
            for (at, x) in &flips {
                if bytes.len() > SEGMENT_HEADER_LEN {
                    let i = SEGMENT_HEADER_LEN + at.index(bytes.len() - SEGMENT_HEADER_LEN);
                    bytes[i] ^= x;
                }
            }
            let (recs, _, valid) = read_all(&bytes).unwrap();
            prop_assert!(valid as usize <= bytes.len());
            // A CRC-32 collision on random damage has probability 2^-32 per record.
            prop_assert!(payloads.starts_with(&recs), "read records are not a prefix of the written ones");
        }
    }
}
