//! [`MemStorage`]: an in-memory [`LogStorage`] with crash semantics.
//!
//! Writes change the live view at once and are queued; [`LogStorage::sync`]
//! makes the queue durable. [`LogStorage::recover`] behaves like a power loss
//! followed by a restart: unsynced writes are discarded and the live view is
//! reset to the durable state, which is returned. Cloning a `MemStorage`
//! clones both views, so a test harness can keep a node's "disk" across
//! restarts of its core.

use super::log_state::LogState;
use super::{LogStorage, RecoveredState, StorageError};
use crate::types::{Entry, HardState, LogIndex, Snapshot, Term};

/// One write not yet made durable.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PendingWrite {
    Append(Vec<Entry>),
    HardState(HardState),
    Snapshot(Snapshot),
}

/// An in-memory [`LogStorage`] whose unsynced writes are lost by
/// [`LogStorage::recover`].
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    /// What reads see: every write, synced or not.
    live: LogState,
    /// What survives a crash.
    durable: LogState,
    /// Writes since the last sync, in order.
    pending: Vec<PendingWrite>,
    /// Number of completed syncs (for tests and metrics).
    syncs: u64,
}

impl MemStorage {
    /// An empty store.
    pub fn new() -> Self {
        MemStorage::default()
    }

    /// A store whose durable and live state is `state` (e.g. a fixture).
    pub fn from_state(state: LogState) -> Self {
        MemStorage {
            live: state.clone(),
            durable: state,
            pending: Vec::new(),
            syncs: 0,
        }
    }

    /// The live view: every write, synced or not.
    pub fn live_state(&self) -> &LogState {
        &self.live
    }

    /// The durable state: what [`LogStorage::recover`] would return.
    pub fn durable_state(&self) -> &LogState {
        &self.durable
    }

    /// How many writes are waiting for a sync.
    pub fn unsynced_writes(&self) -> usize {
        self.pending.len()
    }

    /// How many times [`LogStorage::sync`] completed.
    pub fn sync_count(&self) -> u64 {
        self.syncs
    }
}

impl LogStorage for MemStorage {
    fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.live.append(entries)?;
        self.pending.push(PendingWrite::Append(entries.to_vec()));
        Ok(())
    }

    fn save_hard_state(&mut self, hard_state: &HardState) -> Result<(), StorageError> {
        self.live.set_hard_state(*hard_state);
        self.pending.push(PendingWrite::HardState(*hard_state));
        Ok(())
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StorageError> {
        self.live.install_snapshot(snapshot)?;
        self.pending.push(PendingWrite::Snapshot(snapshot.clone()));
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        for write in self.pending.drain(..) {
            // Each write was validated against the live view, which equals the
            // durable view plus the earlier pending writes: it cannot fail here.
            match write {
                PendingWrite::Append(entries) => self.durable.append_owned(entries)?,
                PendingWrite::HardState(hs) => self.durable.set_hard_state(hs),
                PendingWrite::Snapshot(snapshot) => self.durable.install_snapshot(&snapshot)?,
            }
        }
        self.syncs += 1;
        Ok(())
    }

    fn recover(&mut self) -> Result<RecoveredState, StorageError> {
        self.pending.clear();
        self.live = self.durable.clone();
        Ok(self.live.to_recovered())
    }

    fn first_index(&self) -> LogIndex {
        self.live.first_index()
    }

    fn last_index(&self) -> LogIndex {
        self.live.last_index()
    }

    fn term(&self, index: LogIndex) -> Option<Term> {
        self.live.term(index)
    }

    fn entries(&self, lo: LogIndex, hi: LogIndex) -> Result<Vec<Entry>, StorageError> {
        self.live.entries(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::conformance::{cases, run_all, StorageFactory};
    use crate::types::EntryPayload;

    fn entry(index: LogIndex, term: Term) -> Entry {
        Entry {
            term,
            index,
            payload: EntryPayload::Command(index.to_le_bytes().to_vec()),
        }
    }

    struct MemFactory;

    impl StorageFactory<MemStorage> for MemFactory {
        fn create(&mut self) -> Result<MemStorage, StorageError> {
            Ok(MemStorage::new())
        }

        fn crash_and_reopen(&mut self, mut store: MemStorage) -> Result<MemStorage, StorageError> {
            store.recover()?;
            Ok(store)
        }

        fn loses_unsynced_writes(&self) -> bool {
            true
        }
    }

    #[test]
    fn mem_storage_passes_the_conformance_suite() {
        let report = run_all(&mut MemFactory);
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.passed.len(), cases::<MemStorage>().len());
    }

    #[test]
    fn recover_discards_unsynced_writes() {
        let mut store = MemStorage::new();
        store.append(&[entry(1, 1), entry(2, 1)]).unwrap();
        store.sync().unwrap();
        store.append(&[entry(3, 1)]).unwrap();
        store
            .save_hard_state(&HardState {
                term: 2,
                voted_for: Some(1),
                commit: 2,
            })
            .unwrap();
        assert_eq!(store.last_index(), 3);
        let recovered = store.recover().unwrap();
        assert_eq!(recovered.entries, vec![entry(1, 1), entry(2, 1)]);
        assert_eq!(recovered.hard_state, HardState::default());
        assert_eq!(store.last_index(), 2);
        assert_eq!(store.unsynced_writes(), 0);
    }

    #[test]
    fn rejected_write_is_not_queued() {
        let mut store = MemStorage::new();
        assert!(store.append(&[entry(2, 1)]).is_err());
        assert_eq!(store.unsynced_writes(), 0);
        store.sync().unwrap();
        assert_eq!(store.durable_state(), &LogState::new());
    }
}
