//! [`SimFs`]: an in-memory [`FileSystem`] that remembers what is durable, so tests can cut the
//! power at any operation and check what survives; and that fails on command, so tests can
//! check what an I/O error does.
//!
//! # Model
//!
//! Files and directories are inodes. Per file, the simulator keeps the current bytes and the
//! durable bytes (as of the last successful `sync`). Per directory, it keeps the current entries,
//! the durable entries (as of the last `sync_dir`) and the ordered log of entry changes since
//! then (creations, renames, removals), as journaling file systems commit them in order.
//!
//! [`SimFs::crash`] is a power loss followed by a reboot:
//! - [`CrashMode::DropUnsynced`]: every file keeps only its durable bytes, every directory only
//!   its durable entries — the strict POSIX reading, which most crash-testing backends use.
//! - [`CrashMode::KeepRandomPrefix`]: every file keeps its durable bytes plus a random-length
//!   prefix of its unsynced tail (tearing records mid-way); every directory keeps its durable
//!   entries plus a random-length prefix of its change log (a same-directory rename is one
//!   change and stays atomic; a cross-directory rename is two independent changes).
//! - [`CrashMode::KeepAll`]: nothing is lost — a process crash (`kill -9`), where the kernel's
//!   page cache survives.
//!
//! Files that are no longer reachable from the root after the directory rollback vanish. File
//! handles opened before the crash fail afterwards. Crash also clears injected faults.
//!
//! [`SimFs::fail_after`] arms a fault: after `n` more mutating operations, every operation of
//! the chosen [`FaultKind`] fails with an `io::Error`, until [`SimFs::clear_faults`] or a crash.
//! Combined with [`SimFs::crash`] this cuts the power at exactly operation `n`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Component, Path};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{FileSystem, ReadOnlyBytes, WritableFile};
use crate::splitmix::SplitMix64;

/// What a simulated power loss keeps of data that was not made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Keep only what was fsynced (file bytes) and dir-synced (directory entries).
    DropUnsynced,
    /// Keep the durable state plus a random prefix of what was not synced, per file and per
    /// directory; `seed` makes it reproducible.
    KeepRandomPrefix {
        /// Seed of the pseudo-random prefix lengths.
        seed: u64,
    },
    /// Keep everything: a process crash rather than a power loss.
    KeepAll,
}

/// Which operations an armed fault makes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Every operation fails, reads included (a dead disk). `exists` answers `false`.
    Io,
    /// Only `sync`, `sync_dir` and `truncate` fail (fsync returns EIO).
    SyncOnly,
    /// `write_all` writes the first half of its buffer and fails, `create`, `open_append` and
    /// `create_dir_all` fail (the disk is full); everything else works.
    NoSpace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpClass {
    Read,
    Create,
    Write,
    Sync,
    Namespace,
}

type Ino = u64;
const ROOT: Ino = 0;

#[derive(Debug, Default)]
struct FileNode {
    data: Vec<u8>,
    durable: Vec<u8>,
    /// `durable` is not a prefix of `data` (the file was truncated or recreated since the
    /// last sync).
    diverged: bool,
}

impl FileNode {
    fn sync(&mut self) {
        if self.diverged {
            self.durable.clone_from(&self.data);
            self.diverged = false;
        } else {
            let from = self.durable.len();
            self.durable.extend_from_slice(&self.data[from..]);
        }
    }

    fn set_len(&mut self, len: usize) {
        if len < self.durable.len() {
            self.diverged = true;
        }
        self.data.resize(len, 0);
    }
}

/// One atomic change to a directory: names set to an inode or removed.
type DirChange = Vec<(String, Option<Ino>)>;

#[derive(Debug, Default)]
struct DirNode {
    entries: BTreeMap<String, Ino>,
    durable: BTreeMap<String, Ino>,
    pending: Vec<DirChange>,
}

impl DirNode {
    fn apply(map: &mut BTreeMap<String, Ino>, change: &DirChange) {
        for (name, ino) in change {
            match ino {
                Some(ino) => map.insert(name.clone(), *ino),
                None => map.remove(name),
            };
        }
    }

    fn change(&mut self, change: DirChange) {
        Self::apply(&mut self.entries, &change);
        self.pending.push(change);
    }
}

#[derive(Debug)]
enum Node {
    File(FileNode),
    Dir(DirNode),
}

#[derive(Debug, Clone, Copy)]
struct Fault {
    at: u64,
    kind: FaultKind,
}

#[derive(Debug)]
struct State {
    nodes: BTreeMap<Ino, Node>,
    next_ino: Ino,
    boot: u64,
    ops: u64,
    fault: Option<Fault>,
}

/// In-memory file system with simulated crashes and injected faults (see the module docs).
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use stratus_engine::durable::{CrashMode, FileSystem, SimFs};
///
/// let sim = SimFs::new();
/// let fs: Arc<dyn FileSystem> = sim.clone(); // what the code under test gets
/// let mut f = fs.create(Path::new("/f"))?;
/// f.write_all(b"durable")?;
/// f.sync()?;
/// fs.sync_dir(Path::new("/"))?;
/// f.write_all(b" and lost")?;
/// sim.crash(CrashMode::DropUnsynced); // the test keeps the handle to pull the plug
/// assert_eq!(fs.read(Path::new("/f"))?, b"durable");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SimFs {
    state: Arc<Mutex<State>>,
}

impl SimFs {
    /// An empty file system holding only the root directory `/`. Paths are resolved
    /// lexically; relative paths are taken from the root.
    pub fn new() -> Arc<SimFs> {
        let mut nodes = BTreeMap::new();
        nodes.insert(ROOT, Node::Dir(DirNode::default()));
        Arc::new(SimFs { state: Arc::new(Mutex::new(State { nodes, next_ino: 1, boot: 0, ops: 0, fault: None })) })
    }

    /// Simulates a power loss (or a process crash, for [`CrashMode::KeepAll`]) and a reboot.
    pub fn crash(&self, mode: CrashMode) {
        let mut st = self.state.lock();
        st.crash(mode);
    }

    /// After `n_ops` more mutating operations, operations of `kind` fail.
    pub fn fail_after(&self, n_ops: u64, kind: FaultKind) {
        let mut st = self.state.lock();
        let at = st.ops.saturating_add(n_ops);
        st.fault = Some(Fault { at, kind });
    }

    /// Disarms any fault.
    pub fn clear_faults(&self) {
        self.state.lock().fault = None;
    }

    /// The number of mutating operations so far (creations, writes, syncs, renames, removals,
    /// truncations), including failed ones.
    pub fn op_count(&self) -> u64 {
        self.state.lock().ops
    }
}

impl fmt::Debug for SimFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("SimFs")
            .field("nodes", &st.nodes.len())
            .field("ops", &st.ops)
            .field("boot", &st.boot)
            .field("fault", &st.fault)
            .finish()
    }
}

fn injected(kind: FaultKind) -> io::Error {
    match kind {
        FaultKind::NoSpace => io::Error::new(io::ErrorKind::StorageFull, "injected fault: no space"),
        FaultKind::Io | FaultKind::SyncOnly => io::Error::other(format!("injected fault: {kind:?}")),
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}: not found", path.display()))
}

fn components(path: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => match s.to_str() {
                Some(s) => out.push(s.to_owned()),
                None => {
                    return Err(io::Error::new(io::ErrorKind::InvalidInput, "non-UTF-8 path"));
                }
            },
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Ok(out)
}

impl State {
    /// Counts the operation and fails it if an armed fault covers it.
    fn begin(&mut self, class: OpClass) -> Result<(), FaultKind> {
        let triggered = self.fault.filter(|f| self.ops >= f.at).map(|f| f.kind);
        if class != OpClass::Read {
            self.ops += 1;
        }
        let fails = match (triggered, class) {
            (None, _) => false,
            (Some(FaultKind::Io), _) => true,
            (Some(FaultKind::SyncOnly), c) => c == OpClass::Sync,
            (Some(FaultKind::NoSpace), c) => c == OpClass::Create || c == OpClass::Write,
        };
        match triggered {
            Some(kind) if fails => Err(kind),
            _ => Ok(()),
        }
    }

    fn check(&mut self, class: OpClass) -> io::Result<()> {
        self.begin(class).map_err(injected)
    }

    fn lookup(&self, path: &Path) -> io::Result<Ino> {
        let mut ino = ROOT;
        for name in components(path)? {
            match self.nodes.get(&ino) {
                Some(Node::Dir(d)) => match d.entries.get(&name) {
                    Some(&child) => ino = child,
                    None => return Err(not_found(path)),
                },
                _ => return Err(not_found(path)),
            }
        }
        Ok(ino)
    }

    /// The parent directory's inode and the last component's name.
    fn lookup_parent(&self, path: &Path) -> io::Result<(Ino, String)> {
        let mut comps = components(path)?;
        let Some(name) = comps.pop() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "path names the root"));
        };
        let parent: std::path::PathBuf = comps.iter().collect();
        let parent_ino = self.lookup(&parent).map_err(|_| not_found(path))?;
        match self.nodes.get(&parent_ino) {
            Some(Node::Dir(_)) => Ok((parent_ino, name)),
            _ => Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}", path.display()))),
        }
    }

    fn dir_mut(&mut self, ino: Ino) -> &mut DirNode {
        match self.nodes.get_mut(&ino) {
            Some(Node::Dir(d)) => d,
            _ => unreachable!("inode {ino} checked to be a directory"),
        }
    }

    fn file(&self, ino: Ino, path: &Path) -> io::Result<&FileNode> {
        match self.nodes.get(&ino) {
            Some(Node::File(f)) => Ok(f),
            Some(Node::Dir(_)) => {
                Err(io::Error::new(io::ErrorKind::IsADirectory, format!("{}: is a directory", path.display())))
            }
            None => Err(not_found(path)),
        }
    }

    fn file_mut(&mut self, ino: Ino) -> Option<&mut FileNode> {
        match self.nodes.get_mut(&ino) {
            Some(Node::File(f)) => Some(f),
            _ => None,
        }
    }

    fn alloc(&mut self, node: Node) -> Ino {
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(ino, node);
        ino
    }

    /// Opens (creating if missing) a file for writing; `truncate` empties it.
    fn open_file(&mut self, path: &Path, truncate: bool) -> io::Result<Ino> {
        self.check(OpClass::Create)?;
        let (parent, name) = self.lookup_parent(path)?;
        let existing = self.dir_mut(parent).entries.get(&name).copied();
        match existing {
            Some(ino) => {
                self.file(ino, path)?;
                if truncate && let Some(f) = self.file_mut(ino) {
                    f.set_len(0);
                }
                Ok(ino)
            }
            None => {
                let ino = self.alloc(Node::File(FileNode::default()));
                self.dir_mut(parent).change(vec![(name, Some(ino))]);
                Ok(ino)
            }
        }
    }

    fn is_ancestor(&self, ancestor: Ino, mut of: Ino) -> bool {
        // Walk down from the root recording parents; directories are a tree.
        let mut parent_of: BTreeMap<Ino, Ino> = BTreeMap::new();
        let mut stack = vec![ROOT];
        while let Some(ino) = stack.pop() {
            if let Some(Node::Dir(d)) = self.nodes.get(&ino) {
                for &child in d.entries.values() {
                    parent_of.insert(child, ino);
                    stack.push(child);
                }
            }
        }
        loop {
            if of == ancestor {
                return true;
            }
            match parent_of.get(&of) {
                Some(&p) => of = p,
                None => return false,
            }
        }
    }

    fn crash(&mut self, mode: CrashMode) {
        let mut rng = SplitMix64(match mode {
            CrashMode::KeepRandomPrefix { seed } => seed,
            _ => 0,
        });
        self.boot += 1;
        self.fault = None;
        for node in self.nodes.values_mut() {
            if let Node::Dir(d) = node {
                match mode {
                    CrashMode::KeepAll => {}
                    CrashMode::DropUnsynced => d.entries = d.durable.clone(),
                    CrashMode::KeepRandomPrefix { .. } => {
                        let keep = rng.up_to(d.pending.len());
                        let mut entries = d.durable.clone();
                        for change in &d.pending[..keep] {
                            DirNode::apply(&mut entries, change);
                        }
                        d.entries = entries;
                    }
                }
                d.durable = d.entries.clone();
                d.pending.clear();
            }
        }
        // Drop everything no longer reachable from the root.
        let mut reachable = BTreeSet::new();
        let mut stack = vec![ROOT];
        while let Some(ino) = stack.pop() {
            if !reachable.insert(ino) {
                continue;
            }
            if let Some(Node::Dir(d)) = self.nodes.get(&ino) {
                stack.extend(d.entries.values().copied());
            }
        }
        self.nodes.retain(|ino, _| reachable.contains(ino));
        for node in self.nodes.values_mut() {
            if let Node::File(f) = node {
                match mode {
                    CrashMode::KeepAll => {}
                    CrashMode::DropUnsynced => f.data = f.durable.clone(),
                    CrashMode::KeepRandomPrefix { .. } => {
                        if f.diverged {
                            f.data = f.durable.clone();
                        } else {
                            let tail = f.data.len() - f.durable.len();
                            let keep = f.durable.len() + rng.up_to(tail);
                            f.data.truncate(keep);
                        }
                    }
                }
                f.durable = f.data.clone();
                f.diverged = false;
            }
        }
    }
}

impl FileSystem for SimFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.check(OpClass::Create)?;
        let mut ino = ROOT;
        let mut walked = std::path::PathBuf::from("/");
        for name in components(path)? {
            walked.push(&name);
            let existing = match st.nodes.get(&ino) {
                Some(Node::Dir(d)) => d.entries.get(&name).copied(),
                _ => return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}", walked.display()))),
            };
            ino = match existing {
                Some(child) => child,
                None => {
                    let child = st.alloc(Node::Dir(DirNode::default()));
                    st.dir_mut(ino).change(vec![(name, Some(child))]);
                    child
                }
            };
        }
        match st.nodes.get(&ino) {
            Some(Node::Dir(_)) => Ok(()),
            _ => Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{}: is a file", path.display()))),
        }
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut st = self.state.lock();
        st.check(OpClass::Read)?;
        let ino = st.lookup(path)?;
        match st.nodes.get(&ino) {
            // BTreeMap keys are already sorted.
            Some(Node::Dir(d)) => Ok(d.entries.keys().cloned().collect()),
            _ => Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}", path.display()))),
        }
    }

    fn exists(&self, path: &Path) -> bool {
        let mut st = self.state.lock();
        st.check(OpClass::Read).is_ok() && st.lookup(path).is_ok()
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.state.lock();
        let ino = st.open_file(path, true)?;
        Ok(Box::new(SimFile { state: Arc::clone(&self.state), ino, boot: st.boot }))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.state.lock();
        let ino = st.open_file(path, false)?;
        Ok(Box::new(SimFile { state: Arc::clone(&self.state), ino, boot: st.boot }))
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut st = self.state.lock();
        st.check(OpClass::Read)?;
        let ino = st.lookup(path)?;
        Ok(st.file(ino, path)?.data.clone())
    }

    fn map(&self, path: &Path) -> io::Result<ReadOnlyBytes> {
        self.read(path).map(ReadOnlyBytes::from)
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        let mut st = self.state.lock();
        st.check(OpClass::Read)?;
        let ino = st.lookup(path)?;
        Ok(st.file(ino, path)?.data.len() as u64)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut st = self.state.lock();
        st.check(OpClass::Sync)?;
        let ino = st.lookup(path)?;
        st.file(ino, path)?;
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if let Some(f) = st.file_mut(ino) {
            f.set_len(len);
            f.sync();
        }
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.check(OpClass::Namespace)?;
        let ino = st.lookup(from)?;
        let (from_dir, from_name) = st.lookup_parent(from)?;
        let (to_dir, to_name) = st.lookup_parent(to)?;
        if let Some(&target) = st.dir_mut(to_dir).entries.get(&to_name) {
            if target == ino {
                return Ok(());
            }
            match (st.nodes.get(&ino), st.nodes.get(&target)) {
                (Some(Node::File(_)), Some(Node::Dir(_))) => {
                    return Err(io::Error::new(io::ErrorKind::IsADirectory, format!("{}", to.display())));
                }
                (Some(Node::Dir(_)), Some(Node::File(_))) => {
                    return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}", to.display())));
                }
                (_, Some(Node::Dir(d))) if !d.entries.is_empty() => {
                    return Err(io::Error::new(io::ErrorKind::DirectoryNotEmpty, format!("{}", to.display())));
                }
                _ => {}
            }
        }
        if matches!(st.nodes.get(&ino), Some(Node::Dir(_))) && st.is_ancestor(ino, to_dir) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot move a directory into itself"));
        }
        if from_dir == to_dir {
            st.dir_mut(from_dir).change(vec![(from_name, None), (to_name, Some(ino))]);
        } else {
            st.dir_mut(from_dir).change(vec![(from_name, None)]);
            st.dir_mut(to_dir).change(vec![(to_name, Some(ino))]);
        }
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.check(OpClass::Namespace)?;
        let ino = st.lookup(path)?;
        st.file(ino, path)?;
        let (parent, name) = st.lookup_parent(path)?;
        st.dir_mut(parent).change(vec![(name, None)]);
        Ok(())
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.check(OpClass::Namespace)?;
        let ino = st.lookup(path)?;
        if !matches!(st.nodes.get(&ino), Some(Node::Dir(_))) {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}", path.display())));
        }
        let (parent, name) = st.lookup_parent(path)?;
        st.dir_mut(parent).change(vec![(name, None)]);
        Ok(())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.check(OpClass::Sync)?;
        let ino = st.lookup(path)?;
        match st.nodes.get_mut(&ino) {
            Some(Node::Dir(d)) => {
                d.durable = d.entries.clone();
                d.pending.clear();
                Ok(())
            }
            _ => Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}", path.display()))),
        }
    }
}

/// A writable handle on a [`SimFs`] file; fails once the file system has crashed since it was
/// opened.
struct SimFile {
    state: Arc<Mutex<State>>,
    ino: Ino,
    boot: u64,
}

impl fmt::Debug for SimFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimFile").field("ino", &self.ino).field("boot", &self.boot).finish()
    }
}

fn stale() -> io::Error {
    io::Error::other("file handle from before a simulated crash")
}

impl WritableFile for SimFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut st = self.state.lock();
        if st.boot != self.boot {
            return Err(stale());
        }
        let fault = st.begin(OpClass::Write);
        let file = st.file_mut(self.ino).ok_or_else(stale)?;
        match fault {
            Ok(()) => {
                file.data.extend_from_slice(buf);
                Ok(())
            }
            Err(kind) => {
                if kind == FaultKind::NoSpace {
                    file.data.extend_from_slice(&buf[..buf.len() / 2]);
                }
                Err(injected(kind))
            }
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut st = self.state.lock();
        if st.boot != self.boot {
            return Err(stale());
        }
        st.check(OpClass::Sync)?;
        st.file_mut(self.ino).ok_or_else(stale)?.sync();
        Ok(())
    }

    fn len(&self) -> u64 {
        let mut st = self.state.lock();
        if st.boot != self.boot {
            return 0;
        }
        st.file_mut(self.ino).map_or(0, |f| f.data.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(fs: &SimFs, path: &str, bytes: &[u8], sync: bool) {
        let mut f = fs.open_append(Path::new(path)).unwrap();
        f.write_all(bytes).unwrap();
        if sync {
            f.sync().unwrap();
        }
    }

    #[test]
    fn drop_unsynced_keeps_only_durable_bytes_and_entries() {
        let fs = SimFs::new();
        fs.create_dir_all(Path::new("/d")).unwrap();
        fs.sync_dir(Path::new("/")).unwrap();
        write(&fs, "/d/a", b"durable", true);
        fs.sync_dir(Path::new("/d")).unwrap();
        write(&fs, "/d/a", b"-lost", false);
        write(&fs, "/d/b", b"synced but entry not durable", true);
        fs.crash(CrashMode::DropUnsynced);
        assert_eq!(fs.read(Path::new("/d/a")).unwrap(), b"durable");
        assert!(!fs.exists(Path::new("/d/b")));
        assert_eq!(fs.list_dir(Path::new("/d")).unwrap(), vec!["a".to_owned()]);
    }

    #[test]
    fn unsynced_directory_loses_its_files() {
        let fs = SimFs::new();
        fs.create_dir_all(Path::new("/x/y")).unwrap();
        write(&fs, "/x/y/f", b"data", true);
        fs.sync_dir(Path::new("/x/y")).unwrap();
        fs.crash(CrashMode::DropUnsynced);
        assert!(!fs.exists(Path::new("/x")));
    }

    #[test]
    fn keep_all_keeps_everything_and_handles_go_stale() {
        let fs = SimFs::new();
        let mut f = fs.create(Path::new("/f")).unwrap();
        f.write_all(b"abc").unwrap();
        fs.crash(CrashMode::KeepAll);
        assert_eq!(fs.read(Path::new("/f")).unwrap(), b"abc");
        assert!(f.write_all(b"more").is_err());
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn random_prefix_keeps_a_prefix() {
        for seed in 0..50 {
            let fs = SimFs::new();
            write(&fs, "/f", b"0123", true);
            fs.sync_dir(Path::new("/")).unwrap();
            write(&fs, "/f", b"456789", false);
            fs.crash(CrashMode::KeepRandomPrefix { seed });
            let data = fs.read(Path::new("/f")).unwrap();
            assert!(data.len() >= 4 && b"0123456789".starts_with(&data), "{data:?}");
        }
    }

    #[test]
    fn rename_is_atomic_within_a_directory() {
        for seed in 0..50 {
            let fs = SimFs::new();
            write(&fs, "/t", b"new", true);
            fs.rename(Path::new("/t"), Path::new("/n")).unwrap();
            fs.crash(CrashMode::KeepRandomPrefix { seed });
            let names = fs.list_dir(Path::new("/")).unwrap();
            assert!(names.is_empty() || names == ["t"] || names == ["n"], "{names:?}");
        }
    }

    #[test]
    fn recreate_then_crash_restores_old_durable_content() {
        let fs = SimFs::new();
        write(&fs, "/f", b"old", true);
        fs.sync_dir(Path::new("/")).unwrap();
        let mut f = fs.create(Path::new("/f")).unwrap();
        f.write_all(b"new!").unwrap();
        fs.crash(CrashMode::DropUnsynced);
        assert_eq!(fs.read(Path::new("/f")).unwrap(), b"old");
    }

    #[test]
    fn faults_fire_after_countdown_and_clear() {
        let fs = SimFs::new();
        let mut f = fs.create(Path::new("/f")).unwrap();
        fs.fail_after(2, FaultKind::SyncOnly);
        f.write_all(b"a").unwrap();
        f.write_all(b"b").unwrap();
        f.write_all(b"c").unwrap();
        assert!(f.sync().is_err());
        assert!(fs.sync_dir(Path::new("/")).is_err());
        fs.clear_faults();
        f.sync().unwrap();
        fs.fail_after(0, FaultKind::NoSpace);
        assert_eq!(f.write_all(b"1234").unwrap_err().kind(), io::ErrorKind::StorageFull);
        assert_eq!(fs.read(Path::new("/f")).unwrap(), b"abc12");
        fs.fail_after(0, FaultKind::Io);
        assert!(fs.read(Path::new("/f")).is_err());
        assert!(!fs.exists(Path::new("/f")));
        let before = fs.op_count();
        assert!(fs.rename(Path::new("/f"), Path::new("/g")).is_err());
        assert_eq!(fs.op_count(), before + 1);
    }

    #[test]
    fn directory_rename_moves_contents() {
        let fs = SimFs::new();
        fs.create_dir_all(Path::new("/a.tmp")).unwrap();
        write(&fs, "/a.tmp/x", b"1", true);
        fs.sync_dir(Path::new("/a.tmp")).unwrap();
        fs.rename(Path::new("/a.tmp"), Path::new("/a")).unwrap();
        fs.sync_dir(Path::new("/")).unwrap();
        fs.crash(CrashMode::DropUnsynced);
        assert_eq!(fs.read(Path::new("/a/x")).unwrap(), b"1");
        assert!(fs.rename(Path::new("/a"), Path::new("/a/b")).is_err());
    }
}
