//! [`SharedStorage`]: a [`LogStorage`] behind an `Arc<Mutex<..>>`, so that a
//! node's "disk" can be created outside a turmoil host factory and outlive
//! the host's crashes. With [`crate::storage::MemStorage`] inside, a crash
//! followed by a restart behaves like a power loss: the restarted driver's
//! [`LogStorage::recover`] discards every write that was not synced.

use crate::storage::{LogStorage, RecoveredState, StorageError};
use crate::types::{Entry, HardState, LogIndex, Snapshot, Term};
use std::sync::{Arc, Mutex, MutexGuard};

/// A cloneable handle to one storage; every clone sees the same state.
#[derive(Debug, Default)]
pub struct SharedStorage<S> {
    inner: Arc<Mutex<S>>,
}

impl<S> Clone for SharedStorage<S> {
    fn clone(&self) -> Self {
        SharedStorage {
            inner: self.inner.clone(),
        }
    }
}

impl<S: LogStorage> SharedStorage<S> {
    /// Shares `storage`.
    pub fn new(storage: S) -> Self {
        SharedStorage {
            inner: Arc::new(Mutex::new(storage)),
        }
    }

    /// Locks the storage (for inspection by tests and observers).
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<S: LogStorage> LogStorage for SharedStorage<S> {
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        self.lock().append(entries)
    }

    fn save_hard_state(&mut self, hard_state: &HardState) -> Result<(), StorageError> {
        self.lock().save_hard_state(hard_state)
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StorageError> {
        self.lock().save_snapshot(snapshot)
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.lock().sync()
    }

    fn recover(&mut self) -> Result<RecoveredState, StorageError> {
        self.lock().recover()
    }

    fn first_index(&self) -> LogIndex {
        self.lock().first_index()
    }

    fn last_index(&self) -> LogIndex {
        self.lock().last_index()
    }

    fn term(&self, index: LogIndex) -> Option<Term> {
        self.lock().term(index)
    }

    fn entries(&self, lo: LogIndex, hi: LogIndex) -> Result<Vec<Entry>, StorageError> {
        self.lock().entries(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemStorage;
    use crate::types::EntryPayload;

    #[test]
    fn clones_share_one_disk_and_recovery_drops_unsynced_writes() {
        let disk = SharedStorage::new(MemStorage::new());
        let mut writer = disk.clone();
        let entry = |index| Entry {
            term: 1,
            index,
            payload: EntryPayload::Noop,
        };
        writer.append(&[entry(1)]).unwrap();
        writer.sync().unwrap();
        writer.append(&[entry(2)]).unwrap();
        let mut restarted = disk.clone();
        let recovered = restarted.recover().unwrap();
        assert_eq!(recovered.entries, vec![entry(1)]);
        assert_eq!(disk.lock().last_index(), 1);
    }
}
