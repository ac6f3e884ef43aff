//! [`ReadOnlyBytes`]: immutable bytes shared by reference count, backed by a memory map of an
//! immutable file or by an owned `Vec<u8>` (small files, empty files, the simulated fs).
//! Readers (block iterators, queries) clone it freely; the mapping is released when the last
//! clone is dropped.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use memmap2::Mmap;

enum Backing {
    Mmap(Mmap),
    Vec(Vec<u8>),
}

impl Backing {
    fn as_slice(&self) -> &[u8] {
        match self {
            Backing::Mmap(m) => m,
            Backing::Vec(v) => v,
        }
    }
}

/// Cheaply clonable read-only bytes (an `Arc` of a memory map or a vector, plus a window).
#[derive(Clone)]
pub struct ReadOnlyBytes {
    backing: Arc<Backing>,
    start: usize,
    len: usize,
}

impl ReadOnlyBytes {
    /// The bytes as a slice.
    pub fn as_slice(&self) -> &[u8] {
        // `start..start+len` is checked against the backing length when the window is made.
        &self.backing.as_slice()[self.start..self.start + self.len]
    }

    /// A sub-window sharing the same backing, or `None` if `range` is out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Option<ReadOnlyBytes> {
        if range.start > range.end || range.end > self.len {
            return None;
        }
        Some(ReadOnlyBytes {
            backing: Arc::clone(&self.backing),
            start: self.start + range.start,
            len: range.end - range.start,
        })
    }

    /// Whether the bytes come from a memory map (as opposed to an owned buffer).
    pub fn is_mapped(&self) -> bool {
        matches!(*self.backing, Backing::Mmap(_))
    }
}

impl From<Vec<u8>> for ReadOnlyBytes {
    fn from(v: Vec<u8>) -> Self {
        let len = v.len();
        ReadOnlyBytes { backing: Arc::new(Backing::Vec(v)), start: 0, len }
    }
}

impl From<Mmap> for ReadOnlyBytes {
    fn from(m: Mmap) -> Self {
        let len = m.len();
        ReadOnlyBytes { backing: Arc::new(Backing::Mmap(m)), start: 0, len }
    }
}

impl Deref for ReadOnlyBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for ReadOnlyBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for ReadOnlyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOnlyBytes").field("len", &self.len).field("mapped", &self.is_mapped()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_share_backing_and_check_bounds() {
        let b = ReadOnlyBytes::from(b"abcdef".to_vec());
        let s = b.slice(1..4).unwrap();
        assert_eq!(&*s, b"bcd");
        assert_eq!(&*s.slice(1..3).unwrap(), b"cd");
        assert!(s.slice(2..4).is_none());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = b.slice(3..2);
        assert!(reversed.is_none());
        assert_eq!(format!("{b:?}"), "ReadOnlyBytes { len: 6, mapped: false }");
    }
}
