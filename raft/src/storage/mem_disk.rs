//! [`MemDisk`]: an in-memory, fault-injecting [`Disk`] for crash tests.
//!
//! It models POSIX durability precisely: each file (inode) has live and
//! durable contents, each directory live and durable names. [`Disk::sync`]
//! makes a file's contents durable, [`Disk::sync_dir`] its directory's names.
//! [`MemDisk::crash`] is a power loss: with [`CrashMode::LoseUnsynced`] only
//! durable contents and names survive (turmoil's model); with
//! [`CrashMode::KeepUnsynced`] everything written survives (a process crash
//! with the OS still running), including the prefix of a write that an
//! injected fault cut short, i.e. a torn record.
//!
//! Faults: [`MemDisk::fail_after_ops`] fails the n+1-th mutating operation;
//! [`MemDisk::fail_after_bytes`] cuts the append that crosses the budget,
//! writing only its head. After a fault every operation fails until the next
//! crash, like a dead process. [`MemDisk::flip_bit`] corrupts stored bytes.

use super::disk::Disk;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// What a crash keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Only synced data and names survive (power loss).
    LoseUnsynced,
    /// Everything written survives (process crash, the page cache persists).
    KeepUnsynced,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Inode {
    live: Vec<u8>,
    durable: Vec<u8>,
    /// `live[..synced_prefix] == durable[..synced_prefix]`: a sync copies
    /// only from here on.
    synced_prefix: usize,
}

impl Inode {
    fn changed_from(&mut self, offset: usize) {
        self.synced_prefix = self.synced_prefix.min(offset);
    }

    fn sync(&mut self) {
        self.durable.truncate(self.synced_prefix);
        self.durable
            .extend_from_slice(&self.live[self.synced_prefix..]);
        self.synced_prefix = self.live.len();
    }

    fn reset_to(&mut self, content: Vec<u8>) {
        self.synced_prefix = content.len();
        self.live = content.clone();
        self.durable = content;
    }
}

/// An in-memory filesystem with crash and fault injection.
#[derive(Debug, Clone, Default)]
pub struct MemDisk {
    inodes: BTreeMap<u64, Inode>,
    names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dirs: BTreeSet<PathBuf>,
    next_inode: u64,
    ops: u64,
    bytes_appended: u64,
    fail_after_ops: Option<u64>,
    fail_after_bytes: Option<u64>,
    failed: bool,
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

impl MemDisk {
    /// An empty disk without faults.
    pub fn new() -> Self {
        MemDisk::default()
    }

    /// Mutating operations (create, append, truncate, sync, sync_dir, rename,
    /// remove, create_dir_all) performed so far.
    pub fn op_count(&self) -> u64 {
        self.ops
    }

    /// Bytes appended so far.
    pub fn bytes_appended(&self) -> u64 {
        self.bytes_appended
    }

    /// Lets `ops` more mutating operations succeed, then fails the next one
    /// (`None` removes the fault).
    pub fn fail_after_ops(&mut self, ops: Option<u64>) {
        self.fail_after_ops = ops.map(|n| self.ops + n);
    }

    /// Lets `bytes` more bytes be appended, cutting the append that crosses
    /// the budget after its first bytes (`None` removes the fault).
    pub fn fail_after_bytes(&mut self, bytes: Option<u64>) {
        self.fail_after_bytes = bytes.map(|n| self.bytes_appended + n);
    }

    /// Whether an injected fault fired (every operation fails until a crash).
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    /// Power loss or process crash, then restart: applies `mode`, clears
    /// the failed state and removes pending faults.
    pub fn crash(&mut self, mode: CrashMode) {
        match mode {
            CrashMode::LoseUnsynced => {
                self.names = self.durable_names.clone();
                for inode in self.inodes.values_mut() {
                    let durable = std::mem::take(&mut inode.durable);
                    inode.reset_to(durable);
                }
            }
            CrashMode::KeepUnsynced => {
                self.durable_names = self.names.clone();
                for inode in self.inodes.values_mut() {
                    let live = std::mem::take(&mut inode.live);
                    inode.reset_to(live);
                }
            }
        }
        let referenced: BTreeSet<u64> = self.names.values().copied().collect();
        self.inodes.retain(|id, _| referenced.contains(id));
        self.failed = false;
        self.fail_after_ops = None;
        self.fail_after_bytes = None;
    }

    /// The live content of the file at `path`.
    pub fn file(&self, path: &Path) -> Option<&[u8]> {
        let id = self.names.get(path)?;
        self.inodes.get(id).map(|i| i.live.as_slice())
    }

    /// Every live file path, sorted.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.names.keys().cloned().collect()
    }

    /// Flips bit `bit` (0..8) of byte `offset` of the file at `path`, in both
    /// its live and durable contents (silent media corruption). Returns
    /// whether the byte existed.
    pub fn flip_bit(&mut self, path: &Path, offset: usize, bit: u8) -> bool {
        let Some(inode) = self.names.get(path).and_then(|id| self.inodes.get_mut(id)) else {
            return false;
        };
        let mask = 1u8 << (bit % 8);
        let mut flipped = false;
        if let Some(byte) = inode.live.get_mut(offset) {
            *byte ^= mask;
            flipped = true;
        }
        if let Some(byte) = inode.durable.get_mut(offset) {
            *byte ^= mask;
        }
        flipped
    }

    /// Counts a mutating operation, failing it if a fault is due.
    fn begin(&mut self, what: &str, path: &Path) -> io::Result<()> {
        if self.failed {
            return Err(io::Error::other(format!(
                "{what} {}: disk failed earlier",
                path.display()
            )));
        }
        if self.fail_after_ops.is_some_and(|limit| self.ops >= limit) {
            self.failed = true;
            return Err(io::Error::other(format!(
                "{what} {}: injected fault at operation {}",
                path.display(),
                self.ops
            )));
        }
        self.ops += 1;
        Ok(())
    }

    fn inode_mut(&mut self, path: &Path) -> io::Result<&mut Inode> {
        let id = *self.names.get(path).ok_or_else(|| not_found(path))?;
        self.inodes.get_mut(&id).ok_or_else(|| not_found(path))
    }

    fn parent_exists(&self, path: &Path) -> bool {
        path.parent()
            .is_some_and(|p| p.as_os_str().is_empty() || self.dirs.contains(p))
    }
}

impl Disk for MemDisk {
    fn create_dir_all(&mut self, dir: &Path) -> io::Result<()> {
        self.begin("create_dir_all", dir)?;
        for ancestor in dir.ancestors() {
            if !ancestor.as_os_str().is_empty() {
                self.dirs.insert(ancestor.to_path_buf());
            }
        }
        Ok(())
    }

    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>> {
        if self.failed {
            return Err(io::Error::other("list: disk failed earlier"));
        }
        if !self.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        Ok(self
            .names
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(String::from))
            .collect())
    }

    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        if self.failed {
            return Err(io::Error::other("read: disk failed earlier"));
        }
        self.file(path)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| not_found(path))
    }

    fn create(&mut self, path: &Path) -> io::Result<()> {
        self.begin("create", path)?;
        if !self.parent_exists(path) {
            return Err(not_found(path));
        }
        if let Some(&id) = self.names.get(path) {
            if let Some(inode) = self.inodes.get_mut(&id) {
                inode.live.clear();
                inode.changed_from(0);
            }
            return Ok(());
        }
        self.next_inode += 1;
        let id = self.next_inode;
        self.inodes.insert(id, Inode::default());
        self.names.insert(path.to_path_buf(), id);
        Ok(())
    }

    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.begin("append", path)?;
        let budget = self
            .fail_after_bytes
            .map(|limit| limit.saturating_sub(self.bytes_appended));
        let (written, cut) = match budget {
            Some(left) if (data.len() as u64) > left => (left as usize, true),
            _ => (data.len(), false),
        };
        let inode = self.inode_mut(path)?;
        inode.changed_from(inode.live.len());
        inode.live.extend_from_slice(&data[..written]);
        self.bytes_appended += written as u64;
        if cut {
            self.failed = true;
            return Err(io::Error::other(format!(
                "append {}: injected torn write after {written} of {} bytes",
                path.display(),
                data.len()
            )));
        }
        Ok(())
    }

    fn truncate(&mut self, path: &Path, len: u64) -> io::Result<()> {
        self.begin("truncate", path)?;
        let inode = self.inode_mut(path)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        inode.changed_from(len.min(inode.live.len()));
        if len <= inode.live.len() {
            inode.live.truncate(len);
        } else {
            inode.live.resize(len, 0);
        }
        Ok(())
    }

    fn sync(&mut self, path: &Path) -> io::Result<()> {
        self.begin("sync", path)?;
        self.inode_mut(path)?.sync();
        Ok(())
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        self.begin("sync_dir", dir)?;
        if !self.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        self.durable_names.retain(|p, _| p.parent() != Some(dir));
        for (path, id) in &self.names {
            if path.parent() == Some(dir) {
                self.durable_names.insert(path.clone(), *id);
            }
        }
        Ok(())
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.begin("rename", from)?;
        if !self.parent_exists(to) {
            return Err(not_found(to));
        }
        let id = self.names.remove(from).ok_or_else(|| not_found(from))?;
        self.names.insert(to.to_path_buf(), id);
        Ok(())
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.begin("remove", path)?;
        self.names.remove(path).ok_or_else(|| not_found(path))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn new_file_needs_file_sync_and_dir_sync_to_survive_power_loss() {
        let mut disk = MemDisk::new();
        disk.create_dir_all(&p("/d")).unwrap();
        disk.create(&p("/d/a")).unwrap();
        disk.append(&p("/d/a"), b"hello").unwrap();
        disk.sync(&p("/d/a")).unwrap();
        let mut only_file_synced = disk.clone();
        only_file_synced.crash(CrashMode::LoseUnsynced);
        assert!(only_file_synced.file(&p("/d/a")).is_none());
        disk.sync_dir(&p("/d")).unwrap();
        disk.append(&p("/d/a"), b" world").unwrap();
        disk.crash(CrashMode::LoseUnsynced);
        assert_eq!(disk.file(&p("/d/a")), Some(&b"hello"[..]));
    }

    #[test]
    fn unsynced_rename_is_undone_by_power_loss() {
        let mut disk = MemDisk::new();
        disk.create_dir_all(&p("/d")).unwrap();
        disk.create(&p("/d/tmp")).unwrap();
        disk.append(&p("/d/tmp"), b"x").unwrap();
        disk.sync(&p("/d/tmp")).unwrap();
        disk.sync_dir(&p("/d")).unwrap();
        disk.rename(&p("/d/tmp"), &p("/d/final")).unwrap();
        let mut kept = disk.clone();
        kept.crash(CrashMode::KeepUnsynced);
        assert_eq!(kept.paths(), vec![p("/d/final")]);
        disk.crash(CrashMode::LoseUnsynced);
        assert_eq!(disk.paths(), vec![p("/d/tmp")]);
    }

    #[test]
    fn byte_budget_tears_the_crossing_append_and_kills_the_disk() {
        let mut disk = MemDisk::new();
        disk.create_dir_all(&p("/d")).unwrap();
        disk.create(&p("/d/a")).unwrap();
        disk.fail_after_bytes(Some(3));
        assert!(disk.append(&p("/d/a"), b"abcdef").is_err());
        assert!(disk.has_failed());
        assert!(disk.sync(&p("/d/a")).is_err());
        disk.crash(CrashMode::KeepUnsynced);
        assert!(!disk.has_failed());
        assert_eq!(disk.file(&p("/d/a")), Some(&b"abc"[..]));
    }

    #[test]
    fn operation_budget_fails_the_next_operation() {
        let mut disk = MemDisk::new();
        disk.fail_after_ops(Some(1));
        disk.create_dir_all(&p("/d")).unwrap();
        assert!(disk.create(&p("/d/a")).is_err());
        assert!(disk.list(&p("/d")).is_err());
    }
}
