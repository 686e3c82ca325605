//! A node's "disk": the crate's [`MemStorage`], whose unsynced writes are
//! lost on recovery, driven in the order the core's output prescribes.
//!
//! The core itself lives only in memory; a crash drops it, and a restart
//! rebuilds it from [`SimDisk::recover`], which sees exactly what was synced.
//! A driver (or core) that reported something as persisted without it being
//! synced would therefore be caught by the invariants after the restart.

use faultline_raft::invariants::durability::DurableView;
use faultline_raft::storage::MemStorage;
use faultline_raft::{
    Entry, HardState, LogIndex, LogStorage, RecoveredState, Snapshot, StorageError, Term,
};

/// One node's durable state across restarts of its core.
#[derive(Debug, Default)]
pub struct SimDisk {
    storage: MemStorage,
    /// Writes lost to crashes so far.
    pub lost_writes: u64,
}

impl SimDisk {
    /// An empty disk.
    pub fn new() -> Self {
        SimDisk::default()
    }

    /// Writes a snapshot (durable only after [`SimDisk::sync`]).
    pub fn write_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StorageError> {
        self.storage.save_snapshot(snapshot)
    }

    /// Writes entries (a suffix replacement when they overlap the log).
    pub fn write_entries(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        self.storage.append(entries)
    }

    /// Writes a hard state.
    pub fn write_hard_state(&mut self, hard_state: &HardState) -> Result<(), StorageError> {
        self.storage.save_hard_state(hard_state)
    }

    /// Makes every earlier write durable.
    pub fn sync(&mut self) -> Result<(), StorageError> {
        self.storage.sync()
    }

    /// A crash: the unsynced writes will be gone at the next recovery.
    pub fn crash(&mut self) {
        self.lost_writes += self.storage.unsynced_writes() as u64;
    }

    /// What a restarted node reads back (unsynced writes are discarded).
    pub fn recover(&mut self) -> Result<RecoveredState, StorageError> {
        self.storage.recover()
    }

    /// The last written index and its term.
    pub fn last(&self) -> (LogIndex, Term) {
        let last = self.storage.last_index();
        (last, self.storage.term(last).unwrap_or(0))
    }

    /// The stored snapshot's last index (0 without one).
    pub fn snapshot_index(&self) -> LogIndex {
        self.storage.first_index().saturating_sub(1)
    }
}

impl DurableView for SimDisk {
    fn hard_state(&self) -> HardState {
        *self.storage.durable_state().hard_state()
    }
    fn last_index(&self) -> LogIndex {
        self.storage.durable_state().last_index()
    }
    fn term(&self, index: LogIndex) -> Option<Term> {
        self.storage.durable_state().term(index)
    }
}
