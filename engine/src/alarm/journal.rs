//! The alarm journal: every change to alarms, their history and the action outbox, as
//! checksummed JSON records appended to one file and fsynced before the change is applied or
//! acknowledged. Format: `docs/format/alarms.md`.
//!
//! ```text
//! header  := "STRALRM1" version:u32le
//! frame   := len:u32le crc32(payload):u32le payload   (payload: one JSON object, `len` bytes)
//! ```
//!
//! Opening reads every frame; a torn tail (a short frame or a checksum mismatch, what a crash
//! mid-append leaves) is cut off, since nothing after it was acknowledged. The journal is
//! rewritten whole — the live records only, by atomic publish — when it has grown well past
//! what it holds.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::durable::{self, FileSystem, WritableFile};
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"STRALRM1";
/// Format version written and read.
const VERSION: u32 = 1;
const HEADER_LEN: usize = 12;
/// The journal's file name in the alarms directory.
const FILE: &str = "journal";
/// Largest record accepted when reading (a record is one alarm, history item or action).
const MAX_RECORD: usize = 16 << 20;

/// The open journal.
pub(crate) struct Journal {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    file: Box<dyn WritableFile>,
    len: u64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("dir", &self.dir).field("len", &self.len).finish_non_exhaustive()
    }
}

fn header() -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&VERSION.to_le_bytes());
    h
}

fn frame(out: &mut Vec<u8>, record: &Value) {
    let payload = serde_json::to_vec(record).unwrap_or_default();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
}

/// Every complete record of `bytes` and the length of the valid prefix.
fn parse(path: &Path, bytes: &[u8]) -> Result<(Vec<Value>, usize)> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(Error::corruption(path, 0, "not an alarm journal"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if version != VERSION {
        return Err(Error::corruption(path, 8, format!("unsupported alarm journal version {version}")));
    }
    let mut records = Vec::new();
    let mut at = HEADER_LEN;
    while bytes.len() - at >= 8 {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()) as usize;
        let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap_or_default());
        if len > MAX_RECORD || bytes.len() - at - 8 < len {
            break;
        }
        let payload = &bytes[at + 8..at + 8 + len];
        if crc32fast::hash(payload) != crc {
            break;
        }
        let record = serde_json::from_slice(payload)
            .map_err(|e| Error::corruption(path, at as u64, format!("alarm journal record is not JSON: {e}")))?;
        records.push(record);
        at += 8 + len;
    }
    Ok((records, at))
}

impl Journal {
    /// Opens (creating if needed) the journal in `dir`, returning it and every record it holds.
    pub(crate) fn open(fs: Arc<dyn FileSystem>, dir: &Path) -> Result<(Journal, Vec<Value>)> {
        durable::create_dir_all_durable(&*fs, dir).map_err(|e| Error::io(dir, e))?;
        durable::sweep_temp_files(&*fs, dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(FILE);
        if !fs.exists(&path) {
            durable::publish_atomic(&*fs, dir, FILE, &header()).map_err(|e| Error::io(&path, e))?;
        }
        let bytes = fs.read(&path).map_err(|e| Error::io(&path, e))?;
        let (records, valid) = parse(&path, &bytes)?;
        if valid < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                cut_bytes = bytes.len() - valid,
                "alarm journal: cutting a torn tail (an append interrupted by a crash, never acknowledged)"
            );
            fs.truncate(&path, valid as u64).map_err(|e| Error::io(&path, e))?;
        }
        let file = fs.open_append(&path).map_err(|e| Error::io(&path, e))?;
        Ok((Journal { fs, dir: dir.to_path_buf(), file, len: valid as u64 }, records))
    }

    /// Appends `records` and fsyncs: when this returns, they survive a crash.
    pub(crate) fn append(&mut self, records: &[Value]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for r in records {
            frame(&mut buf, r);
        }
        let path = self.dir.join(FILE);
        self.file.write_all(&buf).map_err(|e| Error::io(&path, e))?;
        self.file.sync().map_err(|e| Error::io(&path, e))?;
        self.len += buf.len() as u64;
        Ok(())
    }

    /// Replaces the journal with exactly `records` (atomic: the old journal stays whole until
    /// the new one is published).
    pub(crate) fn rewrite(&mut self, records: &[Value]) -> Result<()> {
        let mut buf = header();
        for r in records {
            frame(&mut buf, r);
        }
        let path = self.dir.join(FILE);
        durable::publish_atomic(&*self.fs, &self.dir, FILE, &buf).map_err(|e| Error::io(&path, e))?;
        self.file = self.fs.open_append(&path).map_err(|e| Error::io(&path, e))?;
        self.len = buf.len() as u64;
        Ok(())
    }

    /// Bytes in the journal.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::{CrashMode, SimFs};
    use serde_json::json;

    #[test]
    fn records_survive_reopen_and_a_torn_tail_is_cut() {
        let fs = SimFs::new();
        let dir = Path::new("/a");
        let (mut j, recs) = Journal::open(fs.clone(), dir).unwrap();
        assert!(recs.is_empty());
        j.append(&[json!({"op": "x", "n": 1}), json!({"op": "y"})]).unwrap();
        // A torn append: bytes that never got their fsync.
        let path = dir.join(FILE);
        let mut f = fs.open_append(&path).unwrap();
        f.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        f.sync().unwrap();
        drop(f);
        drop(j);
        let (mut j, recs) = Journal::open(fs.clone(), dir).unwrap();
        assert_eq!(recs, vec![json!({"op": "x", "n": 1}), json!({"op": "y"})]);
        j.append(&[json!({"op": "z"})]).unwrap();
        drop(j);
        let (_, recs) = Journal::open(fs.clone(), dir).unwrap();
        assert_eq!(recs.len(), 3);
    }

    #[test]
    fn unsynced_appends_vanish_in_a_crash_and_synced_ones_stay() {
        let fs = SimFs::new();
        let dir = Path::new("/a");
        let (mut j, _) = Journal::open(fs.clone(), dir).unwrap();
        j.append(&[json!({"op": "kept"})]).unwrap();
        fs.crash(CrashMode::DropUnsynced);
        let (_, recs) = Journal::open(fs.clone(), dir).unwrap();
        assert_eq!(recs, vec![json!({"op": "kept"})]);
    }

    #[test]
    fn rewrite_replaces_everything_atomically() {
        let fs = SimFs::new();
        let dir = Path::new("/a");
        let (mut j, _) = Journal::open(fs.clone(), dir).unwrap();
        j.append(&[json!({"op": "a"}), json!({"op": "b"})]).unwrap();
        j.rewrite(&[json!({"op": "c"})]).unwrap();
        j.append(&[json!({"op": "d"})]).unwrap();
        fs.crash(CrashMode::DropUnsynced);
        let (_, recs) = Journal::open(fs.clone(), dir).unwrap();
        assert_eq!(recs, vec![json!({"op": "c"}), json!({"op": "d"})]);
    }
}
