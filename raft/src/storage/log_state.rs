//! [`LogState`]: the in-memory image of one node's stored Raft state, with the
//! [`LogStorage`](super::LogStorage) rules written once.
//!
//! Both [`MemStorage`](super::MemStorage) and the write-ahead log keep their
//! live view in a `LogState`, and the write-ahead log replays its records
//! through the same methods during recovery, so "what an append or a snapshot
//! means" lives in exactly one place. Tests also use it as the reference model
//! of a store.
//!
//! Invariants (checked on every mutation; violations are refused with
//! [`StorageError::Invalid`], never a panic):
//! * stored entries are contiguous: `entries[i].index == first_index() + i`;
//! * terms never decrease along the log, starting from the snapshot's term;
//! * the snapshot (if any) precedes every stored entry.

use super::{RecoveredState, StorageError};
use crate::types::{Entry, HardState, LogIndex, Snapshot, Term};

/// The hard state, snapshot and entries of one store, kept in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogState {
    hard_state: HardState,
    snapshot: Option<Snapshot>,
    /// `entries[i].index == snapshot_index() + 1 + i`.
    entries: Vec<Entry>,
}

impl LogState {
    /// An empty state: default hard state, no snapshot, no entries.
    pub fn new() -> Self {
        LogState::default()
    }

    /// The state a [`RecoveredState`] describes, validated like any other
    /// sequence of writes (`truncated_at` is ignored).
    pub fn from_recovered(recovered: &RecoveredState) -> Result<Self, StorageError> {
        let mut state = LogState::new();
        if let Some(snapshot) = &recovered.snapshot {
            state.install_snapshot(snapshot)?;
        }
        state.append(&recovered.entries)?;
        state.set_hard_state(recovered.hard_state);
        Ok(state)
    }

    /// This state as a restarted node would receive it.
    pub fn to_recovered(&self) -> RecoveredState {
        RecoveredState {
            hard_state: self.hard_state,
            snapshot: self.snapshot.clone(),
            entries: self.entries.clone(),
            truncated_at: None,
        }
    }

    /// The current hard state.
    pub fn hard_state(&self) -> &HardState {
        &self.hard_state
    }

    /// The current snapshot, if any.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// The stored entries after the snapshot, ascending and contiguous.
    pub fn stored_entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The last index the snapshot covers (0 without a snapshot).
    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot.as_ref().map_or(0, |s| s.meta.last_index)
    }

    /// The term of the snapshot's last entry (0 without a snapshot).
    pub fn snapshot_term(&self) -> Term {
        self.snapshot.as_ref().map_or(0, |s| s.meta.last_term)
    }

    /// The index of the first stored entry: `snapshot_index() + 1`.
    pub fn first_index(&self) -> LogIndex {
        self.snapshot_index() + 1
    }

    /// The index of the last stored entry, or the snapshot's last index.
    pub fn last_index(&self) -> LogIndex {
        self.entries
            .last()
            .map_or(self.snapshot_index(), |e| e.index)
    }

    /// The term at `index` if it is stored or is the snapshot's last index
    /// (index 0, the empty log's sentinel, has term 0 while nothing is compacted).
    pub fn term(&self, index: LogIndex) -> Option<Term> {
        let snapshot_index = self.snapshot_index();
        if index == snapshot_index {
            return Some(self.snapshot_term());
        }
        if index < snapshot_index {
            return None;
        }
        self.entry(index).map(|e| e.term)
    }

    /// The stored entry at `index`, if any.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        let offset = index.checked_sub(self.first_index())?;
        self.entries.get(usize::try_from(offset).ok()?)
    }

    /// Stored entries in `[lo, hi)`; [`StorageError::Invalid`] if the range is
    /// reversed, reaches into the compacted prefix or past the last entry.
    pub fn entries(&self, lo: LogIndex, hi: LogIndex) -> Result<Vec<Entry>, StorageError> {
        if lo > hi {
            return Err(StorageError::Invalid(format!(
                "entries: reversed range [{lo}, {hi})"
            )));
        }
        if lo < self.first_index() {
            return Err(StorageError::Invalid(format!(
                "entries: index {lo} is compacted (first stored index is {})",
                self.first_index()
            )));
        }
        if hi > self.last_index() + 1 {
            return Err(StorageError::Invalid(format!(
                "entries: range [{lo}, {hi}) reaches past the last index {}",
                self.last_index()
            )));
        }
        let start = (lo - self.first_index()) as usize;
        let end = (hi - self.first_index()) as usize;
        Ok(self.entries[start..end].to_vec())
    }

    /// Checks that `entries` may be appended, without changing anything.
    pub fn check_append(&self, entries: &[Entry]) -> Result<(), StorageError> {
        let Some(first) = entries.first() else {
            return Ok(());
        };
        for pair in entries.windows(2) {
            if pair[1].index != pair[0].index + 1 {
                return Err(StorageError::Invalid(format!(
                    "append: entries not contiguous ({} then {})",
                    pair[0].index, pair[1].index
                )));
            }
            if pair[1].term < pair[0].term {
                return Err(StorageError::Invalid(format!(
                    "append: term decreases from {} to {} at index {}",
                    pair[0].term, pair[1].term, pair[1].index
                )));
            }
        }
        if first.index < self.first_index() {
            return Err(StorageError::Invalid(format!(
                "append: index {} is compacted (first stored index is {})",
                first.index,
                self.first_index()
            )));
        }
        if first.index > self.last_index() + 1 {
            return Err(StorageError::Invalid(format!(
                "append: gap, index {} follows last index {}",
                first.index,
                self.last_index()
            )));
        }
        // `first.index - 1` is stored or is the snapshot's index: its term exists.
        let prev_term = self.term(first.index - 1).unwrap_or(0);
        if first.term < prev_term {
            return Err(StorageError::Invalid(format!(
                "append: term {} at index {} is below the previous entry's term {prev_term}",
                first.term, first.index
            )));
        }
        Ok(())
    }

    /// Appends `entries`, first discarding the stored suffix from the first
    /// entry's index on (see [`LogStorage::append`](super::LogStorage::append)).
    pub fn append(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        self.truncate_for(entries)?;
        self.entries.extend_from_slice(entries);
        Ok(())
    }

    /// [`LogState::append`] taking the entries by value: they are moved in,
    /// not cloned (a store replaying its own queued writes at a sync).
    pub fn append_owned(&mut self, entries: Vec<Entry>) -> Result<(), StorageError> {
        self.truncate_for(&entries)?;
        self.entries.extend(entries);
        Ok(())
    }

    /// Checks `entries` and discards the stored suffix from the first one's
    /// index on, making room for them.
    fn truncate_for(&mut self, entries: &[Entry]) -> Result<(), StorageError> {
        self.check_append(entries)?;
        if let Some(first) = entries.first() {
            let keep = (first.index - self.first_index()) as usize;
            self.entries.truncate(keep);
        }
        Ok(())
    }

    /// Replaces the hard state.
    pub fn set_hard_state(&mut self, hard_state: HardState) {
        self.hard_state = hard_state;
    }

    /// Checks that `snapshot` may be installed, without changing anything.
    pub fn check_snapshot(&self, snapshot: &Snapshot) -> Result<(), StorageError> {
        let index = snapshot.meta.last_index;
        if index < self.snapshot_index() {
            return Err(StorageError::Invalid(format!(
                "snapshot: stale, covers up to {index} but the stored snapshot covers up to {}",
                self.snapshot_index()
            )));
        }
        if index == self.snapshot_index() && snapshot.meta.last_term != self.snapshot_term() {
            return Err(StorageError::Invalid(format!(
                "snapshot: index {index} has term {} but the stored snapshot says {}",
                snapshot.meta.last_term,
                self.snapshot_term()
            )));
        }
        Ok(())
    }

    /// Whether installing `snapshot` keeps the entries after it: the entry at
    /// its last index is stored with the same term.
    pub fn snapshot_keeps_suffix(&self, snapshot: &Snapshot) -> bool {
        let meta = &snapshot.meta;
        meta.last_index <= self.last_index() && self.term(meta.last_index) == Some(meta.last_term)
    }

    /// Installs `snapshot`: entries it covers are discarded; the entries after
    /// it survive only if the log matches at its last index, otherwise the
    /// whole log is discarded.
    pub fn install_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StorageError> {
        self.check_snapshot(snapshot)?;
        if self.snapshot_keeps_suffix(snapshot) {
            let covered = (snapshot.meta.last_index + 1 - self.first_index()) as usize;
            self.entries.drain(..covered.min(self.entries.len()));
        } else {
            self.entries.clear();
        }
        self.snapshot = Some(snapshot.clone());
        Ok(())
    }

    /// Replaces everything with a snapshot, a hard state and the entries after
    /// the snapshot (the write-ahead log's checkpoint record).
    pub fn reset(
        &mut self,
        snapshot: Option<Snapshot>,
        hard_state: HardState,
        entries: &[Entry],
    ) -> Result<(), StorageError> {
        let mut fresh = LogState::new();
        if let Some(snapshot) = &snapshot {
            fresh.install_snapshot(snapshot)?;
        }
        if let Some(first) = entries.first() {
            if first.index != fresh.first_index() {
                return Err(StorageError::Invalid(format!(
                    "reset: entries start at {} but the snapshot ends at {}",
                    first.index,
                    fresh.snapshot_index()
                )));
            }
        }
        fresh.append(entries)?;
        fresh.set_hard_state(hard_state);
        *self = fresh;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EntryPayload;

    fn entries(terms: &[(LogIndex, Term)]) -> Vec<Entry> {
        terms
            .iter()
            .map(|&(index, term)| Entry {
                index,
                term,
                payload: EntryPayload::Command(vec![index as u8]),
            })
            .collect()
    }

    #[test]
    fn an_owned_append_truncates_and_checks_like_a_borrowed_one() {
        let (mut borrowed, mut owned) = (LogState::default(), LogState::default());
        for batch in [
            entries(&[(1, 1), (2, 1), (3, 1)]),
            entries(&[(2, 2), (3, 2)]),
            entries(&[(4, 2)]),
        ] {
            borrowed.append(&batch).unwrap();
            owned.append_owned(batch).unwrap();
        }
        assert_eq!(
            borrowed.entries(1, 4).unwrap(),
            owned.entries(1, 4).unwrap()
        );
        assert_eq!(owned.last_index(), 4);
        assert_eq!(owned.term(2), Some(2));
        let gap = entries(&[(9, 2)]);
        assert_eq!(
            borrowed.append(&gap).unwrap_err().to_string(),
            owned.append_owned(gap).unwrap_err().to_string()
        );
    }
}
