//! [`StdDisk`]: [`Disk`] over the real filesystem (`std::fs`).

use super::disk::Disk;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The real filesystem. Files being appended to stay open (one handle per
/// path) so that appends and syncs do not reopen them.
#[derive(Debug, Default)]
pub struct StdDisk {
    open: BTreeMap<PathBuf, File>,
}

impl StdDisk {
    /// A disk with no open files.
    pub fn new() -> Self {
        StdDisk::default()
    }

    fn handle(&mut self, path: &Path) -> io::Result<&mut File> {
        if !self.open.contains_key(path) {
            let file = OpenOptions::new().append(true).open(path)?;
            self.open.insert(path.to_path_buf(), file);
        }
        self.open
            .get_mut(path)
            .ok_or_else(|| io::Error::other("file handle vanished"))
    }
}

fn sync_directory(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Disk for StdDisk {
    fn create_dir_all(&mut self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        sync_directory(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_directory(parent)?;
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
        self.open.remove(path);
        File::create(path)?;
        Ok(())
    }

    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.handle(path)?.write_all(data)
    }

    fn truncate(&mut self, path: &Path, len: u64) -> io::Result<()> {
        self.open.remove(path);
        OpenOptions::new().write(true).open(path)?.set_len(len)
    }

    fn sync(&mut self, path: &Path) -> io::Result<()> {
        self.handle(path)?.sync_all()
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        sync_directory(dir)
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.open.remove(from);
        self.open.remove(to);
        fs::rename(from, to)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.open.remove(path);
        fs::remove_file(path)
    }
}
