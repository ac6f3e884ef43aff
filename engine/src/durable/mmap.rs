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

    /// Tells the kernel that `range` (of this window) will not be read again soon: its pages
    /// leave the process's resident set (they stay in the page cache) and the next read of them
    /// faults them back in from the file, unchanged. A no-op for owned buffers, for a range out
    /// of bounds, and if the kernel refuses. Used by compaction to keep its memory bounded while
    /// it reads inputs front to back.
    #[allow(unsafe_code)]
    pub fn release(&self, range: Range<usize>) {
        if range.start >= range.end || range.end > self.len {
            return;
        }
        if let Backing::Mmap(m) = &*self.backing {
            // SAFETY: the map is a read-only shared mapping of an immutable file
            // (`memmap2::Mmap::map`, see `durable::fs::map_file`). MADV_DONTNEED on such a
            // mapping only drops page table entries: later reads of the range fault in the
            // file's bytes again, which are the same bytes, so every outstanding `&[u8]` into the
            // map keeps reading exactly what it read before. (The hazard the flag carries —
            // private or anonymous pages reading back as zeros or stale — does not apply to a
            // shared file mapping that nobody writes.)
            let _ = unsafe {
                m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, self.start + range.start, range.len())
            };
        }
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
        b.release(0..6);
        b.release(4..4);
        b.release(0..7);
        assert_eq!(&*b, b"abcdef");
    }

    #[test]
    fn released_map_pages_read_back_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..3 * 4096 + 100).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        #[allow(unsafe_code)]
        // SAFETY: the test's own file, not modified while mapped.
        let map = unsafe { Mmap::map(&file).unwrap() };
        let b = ReadOnlyBytes::from(map);
        let w = b.slice(100..data.len()).unwrap();
        assert_eq!(&*w, &data[100..]);
        w.release(0..w.len());
        w.release(5000..9000);
        assert_eq!(&*b, data.as_slice());
        assert_eq!(&*w, &data[100..]);
    }
}
