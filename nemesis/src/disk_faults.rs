//! Per-node disk faults: a [`FaultyDisk`] wraps a node's [`Disk`] and, while
//! its [`DiskFaults`] handle says so, fails operations with an I/O error or
//! silently flips a byte of appended data. The handle is made outside the
//! host factory, so the nemesis can turn faults on and off at any time and
//! the setting survives crashes. Randomness comes from a seeded RNG kept in
//! the handle: the same seed gives the same faults.

use faultline_raft::storage::Disk;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug)]
struct State {
    io_error_probability: f64,
    corruption_probability: f64,
    io_errors: u64,
    corruptions: u64,
    rng: ChaCha8Rng,
}

/// A shared switch for one node's disk faults.
#[derive(Debug, Clone)]
pub struct DiskFaults {
    state: Arc<Mutex<State>>,
}

impl DiskFaults {
    /// No faults, with randomness drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        DiskFaults {
            state: Arc::new(Mutex::new(State {
                io_error_probability: 0.0,
                corruption_probability: 0.0,
                io_errors: 0,
                corruptions: 0,
                rng: ChaCha8Rng::seed_from_u64(seed),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fails each operation with this probability from now on.
    pub fn set_io_error_probability(&self, p: f64) {
        self.lock().io_error_probability = p.clamp(0.0, 1.0);
    }

    /// Corrupts each append with this probability from now on.
    pub fn set_corruption_probability(&self, p: f64) {
        self.lock().corruption_probability = p.clamp(0.0, 1.0);
    }

    /// Turns every fault off.
    pub fn clear(&self) {
        let mut s = self.lock();
        s.io_error_probability = 0.0;
        s.corruption_probability = 0.0;
    }

    /// (I/O errors injected, appends corrupted) so far.
    pub fn injected(&self) -> (u64, u64) {
        let s = self.lock();
        (s.io_errors, s.corruptions)
    }

    fn maybe_fail(&self, op: &str, path: &Path) -> io::Result<()> {
        let mut s = self.lock();
        let p = s.io_error_probability;
        if p > 0.0 && s.rng.gen_bool(p) {
            s.io_errors += 1;
            return Err(io::Error::other(format!(
                "injected disk fault: {op} {}",
                path.display()
            )));
        }
        Ok(())
    }

    fn maybe_corrupt(&self, data: &[u8]) -> Option<Vec<u8>> {
        let mut s = self.lock();
        let p = s.corruption_probability;
        if data.is_empty() || p <= 0.0 || !s.rng.gen_bool(p) {
            return None;
        }
        s.corruptions += 1;
        let mut bad = data.to_vec();
        let at = s.rng.gen_range(0..bad.len());
        let bit = s.rng.gen_range(0..8);
        bad[at] ^= 1 << bit;
        Some(bad)
    }
}

/// A [`Disk`] that injects the faults its [`DiskFaults`] handle enables.
#[derive(Debug)]
pub struct FaultyDisk<D> {
    inner: D,
    faults: DiskFaults,
}

impl<D: Disk> FaultyDisk<D> {
    /// Wraps `inner`.
    pub fn new(inner: D, faults: DiskFaults) -> Self {
        FaultyDisk { inner, faults }
    }
}

impl<D: Disk> Disk for FaultyDisk<D> {
    fn create_dir_all(&mut self, dir: &Path) -> io::Result<()> {
        self.faults.maybe_fail("create_dir_all", dir)?;
        self.inner.create_dir_all(dir)
    }

    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>> {
        self.faults.maybe_fail("list", dir)?;
        self.inner.list(dir)
    }

    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        self.faults.maybe_fail("read", path)?;
        self.inner.read(path)
    }

    fn create(&mut self, path: &Path) -> io::Result<()> {
        self.faults.maybe_fail("create", path)?;
        self.inner.create(path)
    }

    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.faults.maybe_fail("append", path)?;
        match self.faults.maybe_corrupt(data) {
            Some(bad) => self.inner.append(path, &bad),
            None => self.inner.append(path, data),
        }
    }

    fn truncate(&mut self, path: &Path, len: u64) -> io::Result<()> {
        self.faults.maybe_fail("truncate", path)?;
        self.inner.truncate(path, len)
    }

    fn sync(&mut self, path: &Path) -> io::Result<()> {
        self.faults.maybe_fail("sync", path)?;
        self.inner.sync(path)
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        self.faults.maybe_fail("sync_dir", dir)?;
        self.inner.sync_dir(dir)
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.faults.maybe_fail("rename", from)?;
        self.inner.rename(from, to)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.faults.maybe_fail("remove", path)?;
        self.inner.remove(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::storage::MemDisk;

    #[test]
    fn faults_follow_the_handle_and_are_counted() {
        let faults = DiskFaults::new(1);
        let mut disk = FaultyDisk::new(MemDisk::new(), faults.clone());
        let dir = Path::new("/d");
        disk.create_dir_all(dir).unwrap();
        let f = dir.join("f");
        disk.create(&f).unwrap();
        disk.append(&f, b"hello").unwrap();
        assert_eq!(faults.injected(), (0, 0));
        faults.set_io_error_probability(1.0);
        assert!(disk.sync(&f).is_err());
        faults.clear();
        faults.set_corruption_probability(1.0);
        disk.append(&f, b"world").unwrap();
        faults.clear();
        assert_ne!(disk.read(&f).unwrap(), b"helloworld".to_vec());
        assert_eq!(faults.injected(), (1, 1));
    }
}
