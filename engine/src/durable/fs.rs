//! The file-system seam: every byte `durable` writes or reads goes through [`FileSystem`].
//!
//! [`RealFs`] is `std::fs` plus `memmap2`; [`SimFs`](super::SimFs) is the in-memory crash and
//! fault backend used by tests. The trait is deliberately small and synchronous: the engine is
//! a local-disk core, not an async one.
//!
//! Durability contract (what callers may rely on, and what `SimFs` enforces):
//! - bytes written with [`WritableFile::write_all`] are durable only after
//!   [`WritableFile::sync`] returned `Ok`;
//! - a created, renamed or removed directory entry is durable only after
//!   [`FileSystem::sync_dir`] of its parent directory returned `Ok`;
//! - [`FileSystem::truncate`] is durable when it returns.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::ReadOnlyBytes;

/// A file system: the real one ([`RealFs`]) or a simulated one ([`SimFs`](super::SimFs)).
pub trait FileSystem: Send + Sync + fmt::Debug + 'static {
    /// Creates `path` and any missing parents. Not durable until the parents are synced
    /// (see [`create_dir_all_durable`](super::create_dir_all_durable)).
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// The names (not paths) of the entries of directory `path`, sorted.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// Whether `path` exists (file or directory).
    fn exists(&self, path: &Path) -> bool;
    /// Creates `path`, truncating it if it exists, and opens it for writing.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;
    /// Opens `path` for appending, creating it if missing.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;
    /// Reads the whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Maps the whole file read-only (a memory map on the real file system). The file must not
    /// be modified or truncated while any clone of the returned bytes is alive.
    fn map(&self, path: &Path) -> io::Result<ReadOnlyBytes>;
    /// The length of the file in bytes.
    fn file_len(&self, path: &Path) -> io::Result<u64>;
    /// Sets the length of the file to `len` and fsyncs it.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// Renames `from` to `to`, replacing `to` if it is a file.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Removes a directory and everything below it.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Fsyncs directory `path`, making creations, renames and removals of its entries durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
}

/// A file opened for writing by [`FileSystem::create`] or [`FileSystem::open_append`].
/// Writes always go to the end of the file.
pub trait WritableFile: Send + fmt::Debug {
    /// Writes all of `buf` at the end of the file (not durable until [`sync`](Self::sync)).
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Makes everything written so far durable (`fdatasync` on Linux: it also persists the
    /// file size, which is the only metadata a reader needs).
    fn sync(&mut self) -> io::Result<()>;
    /// The length of the file, including bytes not yet synced.
    fn len(&self) -> u64;
    /// Whether the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The real file system: `std::fs` for I/O, `memmap2` for [`FileSystem::map`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

#[derive(Debug)]
struct RealFile {
    file: File,
    len: u64,
}

impl WritableFile for RealFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // On error the file may hold a prefix of `buf`; `len` is then stale, which is fine:
        // the WAL stops writing after the first error.
        self.file.write_all(buf)?;
        self.len += buf.len() as u64;
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn len(&self) -> u64 {
        self.len
    }
}

impl FileSystem for RealFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            match entry.file_name().into_string() {
                Ok(name) => names.push(name),
                // Stratus never creates non-UTF-8 names; such an entry is not ours.
                Err(_) => continue,
            }
        }
        names.sort_unstable();
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
        Ok(Box::new(RealFile { file, len: 0 }))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new().append(true).create(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(Box::new(RealFile { file, len }))
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn map(&self, path: &Path) -> io::Result<ReadOnlyBytes> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            // mmap(2) rejects a zero length.
            return Ok(ReadOnlyBytes::from(Vec::new()));
        }
        map_file(&file)
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        Ok(std::fs::metadata(path)?.len())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(len)?;
        file.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }
}

#[allow(unsafe_code)]
fn map_file(file: &File) -> io::Result<ReadOnlyBytes> {
    // SAFETY: `Mmap::map` is unsafe because the mapped file could be modified or truncated
    // (by this or another process) while mapped, which is undefined behaviour / SIGBUS. Stratus
    // maps only immutable files: sealed blocks and closed segments that were published by
    // atomic rename and are never written again; they are removed (unlinked) only once no
    // reader holds them, and unlinking keeps the mapped pages valid. The data directory is
    // owned by one process (the engine's lock), so no other process writes it.
    let map = unsafe { memmap2::Mmap::map(file)? };
    Ok(ReadOnlyBytes::from(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_fs_basic_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFs;
        let sub = dir.path().join("a/b");
        fs.create_dir_all(&sub).unwrap();
        let p = sub.join("f");
        let mut f = fs.create(&p).unwrap();
        f.write_all(b"hello").unwrap();
        f.sync().unwrap();
        assert_eq!(f.len(), 5);
        drop(f);
        let mut f = fs.open_append(&p).unwrap();
        assert_eq!(f.len(), 5);
        f.write_all(b" world").unwrap();
        drop(f);
        assert_eq!(fs.read(&p).unwrap(), b"hello world");
        assert_eq!(&*fs.map(&p).unwrap(), b"hello world");
        assert_eq!(fs.file_len(&p).unwrap(), 11);
        fs.truncate(&p, 5).unwrap();
        assert_eq!(fs.read(&p).unwrap(), b"hello");
        fs.rename(&p, &sub.join("g")).unwrap();
        assert_eq!(fs.list_dir(&sub).unwrap(), vec!["g".to_owned()]);
        fs.sync_dir(&sub).unwrap();
        fs.remove_file(&sub.join("g")).unwrap();
        assert!(!fs.exists(&sub.join("g")));
        fs.remove_dir_all(&dir.path().join("a")).unwrap();
        assert!(!fs.exists(&sub));
    }

    #[test]
    fn real_fs_maps_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty");
        drop(RealFs.create(&p).unwrap());
        let bytes = RealFs.map(&p).unwrap();
        assert!(bytes.is_empty());
    }
}
