//! [`Disk`]: the few filesystem operations the write-ahead log needs, so that
//! the same log runs on the real filesystem ([`StdDisk`](super::StdDisk)),
//! on turmoil's simulated one (in the sim crate) and on the
//! fault-injecting `MemDisk` of the crash tests (feature `testing`).
//!
//! The durability model is POSIX's: written data survives a crash only after
//! [`Disk::sync`] of the file, and a created, renamed or removed name only
//! after [`Disk::sync_dir`] of its directory.

use std::io;
use std::path::Path;

/// A directory-and-file store with explicit durability.
pub trait Disk {
    /// Creates `dir` and its missing parents, durably.
    fn create_dir_all(&mut self, dir: &Path) -> io::Result<()>;

    /// The names of the regular files in `dir`, sorted.
    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>>;

    /// The whole content of the file at `path`.
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>>;

    /// Creates an empty file at `path`, truncating an existing one.
    fn create(&mut self, path: &Path) -> io::Result<()>;

    /// Appends `data` to the existing file at `path`.
    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()>;

    /// Shortens the file at `path` to `len` bytes.
    fn truncate(&mut self, path: &Path, len: u64) -> io::Result<()>;

    /// Makes the file's data and length durable (fsync).
    fn sync(&mut self, path: &Path) -> io::Result<()>;

    /// Makes the names in `dir` durable (fsync of the directory).
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()>;

    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes the file at `path`.
    fn remove(&mut self, path: &Path) -> io::Result<()>;
}

/// Generates a forwarding `Disk` impl for a pointer type.
macro_rules! forward_disk {
    ($($ty:ty),*) => {$(
impl<D: Disk + ?Sized> Disk for $ty {
    fn create_dir_all(&mut self, dir: &Path) -> io::Result<()> {
        (**self).create_dir_all(dir)
    }
    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>> {
        (**self).list(dir)
    }
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        (**self).read(path)
    }
    fn create(&mut self, path: &Path) -> io::Result<()> {
        (**self).create(path)
    }
    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        (**self).append(path, data)
    }
    fn truncate(&mut self, path: &Path, len: u64) -> io::Result<()> {
        (**self).truncate(path, len)
    }
    fn sync(&mut self, path: &Path) -> io::Result<()> {
        (**self).sync(path)
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        (**self).sync_dir(dir)
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        (**self).rename(from, to)
    }
    fn remove(&mut self, path: &Path) -> io::Result<()> {
        (**self).remove(path)
    }
}
    )*};
}

forward_disk!(Box<D>, &mut D);
