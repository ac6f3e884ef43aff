//! Atomic publication: a new file appears under its final name only complete and durable.
//!
//! Protocol ([`publish_atomic`]): write `dir/name.tmp`, fsync it, rename it to `dir/name`, fsync
//! `dir`. A crash at any point leaves either the previous `dir/name` (or none) or the new one,
//! never a partial one; a leftover `*.tmp` is removed by [`sweep_temp_files`] at open.
//!
//! The same protocol, by hand, publishes directories (write `x.tmp/`, fsync its files and the
//! directory, rename, fsync the parent); [`sweep_temp_files`] removes leftover temp
//! directories as well.

use std::io;
use std::path::Path;

use super::FileSystem;

/// The suffix of files and directories that are not yet published.
pub const TEMP_SUFFIX: &str = ".tmp";

fn check_name(name: &str) -> io::Result<()> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.ends_with(TEMP_SUFFIX);
    if bad {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid file name for publication: {name:?}"),
        ));
    }
    Ok(())
}

/// Writes `bytes` to `dir/name` atomically and durably (see the module docs). Replaces an
/// existing `dir/name`. On error the temp file is removed on a best-effort basis.
pub fn publish_atomic(fs: &dyn FileSystem, dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    check_name(name)?;
    let tmp = dir.join(format!("{name}{TEMP_SUFFIX}"));
    let result = (|| {
        let mut file = fs.create(&tmp)?;
        file.write_all(bytes)?;
        file.sync()?;
        drop(file);
        fs.rename(&tmp, &dir.join(name))?;
        fs.sync_dir(dir)
    })();
    if result.is_err() && fs.exists(&tmp) {
        let _ = fs.remove_file(&tmp);
    }
    result
}

/// Removes every `*.tmp` file or directory left in `dir` by an interrupted publication, and
/// fsyncs `dir` if anything was removed. Returns how many entries were removed. Call it at open,
/// before anything is published into `dir`.
pub fn sweep_temp_files(fs: &dyn FileSystem, dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for name in fs.list_dir(dir)? {
        if !name.ends_with(TEMP_SUFFIX) {
            continue;
        }
        let path = dir.join(&name);
        // The trait has no `is_dir`: a temp entry is either a file or a directory.
        if let Err(file_err) = fs.remove_file(&path) {
            fs.remove_dir_all(&path).map_err(|_| file_err)?;
        }
        tracing::info!(path = %path.display(), "removed leftover temporary file");
        removed += 1;
    }
    if removed > 0 {
        fs.sync_dir(dir)?;
    }
    Ok(removed)
}

/// Creates `path` and its missing ancestors durably: after each directory is created its
/// parent is fsynced, so the new directory survives a crash.
pub fn create_dir_all_durable(fs: &dyn FileSystem, path: &Path) -> io::Result<()> {
    if fs.exists(path) {
        return Ok(());
    }
    // The missing ancestors, outermost first.
    let mut missing = Vec::new();
    let mut cur = Some(path);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || fs.exists(p) {
            break;
        }
        missing.push(p);
        cur = p.parent();
    }
    fs.create_dir_all(path)?;
    for p in missing.iter().rev() {
        match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => fs.sync_dir(parent)?,
            _ => fs.sync_dir(Path::new("."))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::{CrashMode, RealFs, SimFs};

    #[test]
    fn publish_replaces_and_sweep_removes_leftovers() {
        let fs = SimFs::new();
        let dir = Path::new("/data");
        create_dir_all_durable(&*fs, dir).unwrap();
        publish_atomic(&*fs, dir, "meta", b"v1").unwrap();
        publish_atomic(&*fs, dir, "meta", b"v2").unwrap();
        fs.crash(CrashMode::DropUnsynced);
        assert_eq!(fs.read(&dir.join("meta")).unwrap(), b"v2");
        let mut f = fs.create(&dir.join("x.tmp")).unwrap();
        f.write_all(b"partial").unwrap();
        fs.create_dir_all(&dir.join("blk.tmp/sub")).unwrap();
        assert_eq!(sweep_temp_files(&*fs, dir).unwrap(), 2);
        assert_eq!(fs.list_dir(dir).unwrap(), vec!["meta".to_owned()]);
    }

    #[test]
    fn publish_rejects_bad_names() {
        let fs = SimFs::new();
        for name in ["", "a/b", "x.tmp", ".."] {
            assert!(publish_atomic(&*fs, Path::new("/"), name, b"").is_err(), "{name}");
        }
    }

    #[test]
    fn real_fs_publish_and_sweep() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_dir_all_durable(&RealFs, &dir).unwrap();
        publish_atomic(&RealFs, &dir, "f", b"hello").unwrap();
        std::fs::write(dir.join("g.tmp"), b"x").unwrap();
        std::fs::create_dir(dir.join("h.tmp")).unwrap();
        assert_eq!(sweep_temp_files(&RealFs, &dir).unwrap(), 2);
        assert_eq!(RealFs.list_dir(&dir).unwrap(), vec!["f".to_owned()]);
        assert_eq!(RealFs.read(&dir.join("f")).unwrap(), b"hello");
    }
}
