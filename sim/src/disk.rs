//! [`TurmoilDisk`]: the write-ahead log's [`Disk`] over turmoil's simulated
//! filesystem (`turmoil::fs::shim::std::fs`, cargo feature `unstable-fs`).
//!
//! Each simulated host has its own filesystem. Writes stay pending until
//! [`Disk::sync`], and a new or renamed name until [`Disk::sync_dir`] of its
//! directory; `Sim::crash` discards whatever is pending (tearing writes when
//! the builder sets `fs().block_size`), while `Sim::bounce` keeps it. The
//! builder's `fs()` knobs (`io_error_probability`, `corruption_probability`,
//! `sync_probability`, `capacity`) are the disk nemesis: the log turns their
//! effects into I/O errors and reported corrupt tails, never panics.
//!
//! The methods must run inside a host of a running simulation (they reach
//! the host's filesystem through turmoil's context); create the
//! [`faultline_raft::storage::Wal`] inside the host's future, so that a
//! restarted host recovers from its disk rather than from captured state.

use faultline_raft::storage::Disk;
use std::io::{self, Write};
use std::path::Path;
use turmoil::fs::shim::std::fs;

/// The current turmoil host's simulated filesystem. It holds no state: every
/// operation opens what it needs, so nothing stale survives a crash.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurmoilDisk;

impl TurmoilDisk {
    /// The disk of the host whose future is running.
    pub fn new() -> Self {
        TurmoilDisk
    }
}

impl Disk for TurmoilDisk {
    fn create_dir_all(&mut self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        // A directory's own entry lives in its parent: sync every level.
        for ancestor in dir.ancestors() {
            if !ancestor.as_os_str().is_empty() {
                fs::sync_dir(ancestor)?;
            }
        }
        Ok(())
    }

    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                if let Some(name) = entry.file_name().to_str() {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn create(&mut self, path: &Path) -> io::Result<()> {
        fs::File::create(path).map(drop)
    }

    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        fs::OpenOptions::new()
            .append(true)
            .open(path)?
            .write_all(data)
    }

    fn truncate(&mut self, path: &Path, len: u64) -> io::Result<()> {
        fs::OpenOptions::new().write(true).open(path)?.set_len(len)
    }

    fn sync(&mut self, path: &Path) -> io::Result<()> {
        fs::OpenOptions::new().write(true).open(path)?.sync_all()
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        fs::sync_dir(dir)
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
}
