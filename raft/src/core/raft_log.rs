//! The in-memory Raft log: 1-based indices after a snapshot offset.
//!
//! Entries `snapshot_index + 1 ..= last_index` live in a `Vec`; the entry at
//! position `k` has index `snapshot_index + 1 + k`. Everything at or below
//! `snapshot_index` has been compacted into a snapshot whose last term is
//! remembered so that `term(snapshot_index)` still answers. Every lookup is
//! checked: an index outside the log yields `None`, never a panic.

use crate::types::{Entry, LogIndex, Snapshot, SnapshotMeta, Term};

/// The log of one node.
#[derive(Debug, Clone, Default, Hash)]
pub(crate) struct RaftLog {
    /// The last index covered by the snapshot (0: none).
    snapshot_index: LogIndex,
    /// The term of the entry at `snapshot_index` (0: none).
    snapshot_term: Term,
    /// Entries after the snapshot, contiguous and ascending.
    entries: Vec<Entry>,
    /// The newest snapshot this node holds, kept to send to lagging peers.
    snapshot: Option<Snapshot>,
}

impl RaftLog {
    /// A log starting from `snapshot` (if any) followed by `entries`, which the
    /// caller has validated to be contiguous after the snapshot.
    pub(crate) fn from_parts(snapshot: Option<Snapshot>, entries: Vec<Entry>) -> RaftLog {
        let (snapshot_index, snapshot_term) = snapshot
            .as_ref()
            .map_or((0, 0), |s| (s.meta.last_index, s.meta.last_term));
        RaftLog {
            snapshot_index,
            snapshot_term,
            entries,
            snapshot,
        }
    }

    /// The last index covered by the snapshot.
    pub(crate) fn snapshot_index(&self) -> LogIndex {
        self.snapshot_index
    }

    /// The snapshot kept for sending, if any.
    pub(crate) fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// The first index held in memory.
    pub(crate) fn first_index(&self) -> LogIndex {
        self.snapshot_index.saturating_add(1)
    }

    /// The index of the last entry (the snapshot's when the log is empty).
    pub(crate) fn last_index(&self) -> LogIndex {
        self.snapshot_index
            .saturating_add(self.entries.len() as u64)
    }

    /// The term of the last entry.
    pub(crate) fn last_term(&self) -> Term {
        self.entries.last().map_or(self.snapshot_term, |e| e.term)
    }

    /// The position of `index` in `entries`, if it is held in memory.
    fn position(&self, index: LogIndex) -> Option<usize> {
        let offset = index.checked_sub(self.first_index())?;
        let pos = usize::try_from(offset).ok()?;
        (pos < self.entries.len()).then_some(pos)
    }

    /// The entry at `index`, if it is held in memory.
    pub(crate) fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.position(index).and_then(|p| self.entries.get(p))
    }

    /// The term at `index`: 0 for index 0, the snapshot's last term at the
    /// snapshot index, the entry's term in memory, `None` otherwise.
    pub(crate) fn term(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// Entries from `lo` on, at most `max_count` of them and about
    /// `max_bytes` (always at least one if `lo` is held); empty if `lo` has
    /// been compacted or is beyond the log.
    pub(crate) fn slice(&self, lo: LogIndex, max_count: usize, max_bytes: usize) -> Vec<Entry> {
        let Some(start) = self.position(lo) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for entry in self.entries.iter().skip(start) {
            if out.len() >= max_count.max(1) {
                break;
            }
            bytes = bytes.saturating_add(entry.size_bytes());
            if !out.is_empty() && bytes > max_bytes {
                break;
            }
            out.push(entry.clone());
        }
        out
    }

    /// Entries in `lo ..= hi` that are held in memory.
    pub(crate) fn range(&self, lo: LogIndex, hi: LogIndex) -> Vec<Entry> {
        let lo = lo.max(self.first_index());
        if hi < lo {
            return Vec::new();
        }
        let Some(start) = self.position(lo) else {
            return Vec::new();
        };
        let count = (hi - lo).saturating_add(1);
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        self.entries
            .iter()
            .skip(start)
            .take(count)
            .cloned()
            .collect()
    }

    /// The first index of the run of entries with `term` that contains
    /// `index` (used for the conflict hint a follower sends back).
    pub(crate) fn first_index_of_term_run(&self, index: LogIndex) -> LogIndex {
        let Some(term) = self.term(index) else {
            return index;
        };
        let mut first = index;
        while first > self.first_index() {
            let prev = first - 1;
            if self.term(prev) != Some(term) {
                break;
            }
            first = prev;
        }
        first
    }

    /// The last index at or below `index` whose term is `term`, if the log
    /// holds one (used by a leader to jump over a follower's conflict).
    pub(crate) fn last_index_of_term(&self, term: Term, index: LogIndex) -> Option<LogIndex> {
        let mut i = index.min(self.last_index());
        loop {
            let t = self.term(i)?;
            if t == term {
                return Some(i);
            }
            if t < term || i <= self.snapshot_index {
                return None;
            }
            i -= 1;
        }
    }

    /// Appends one entry at `last_index + 1` (the caller built it so).
    pub(crate) fn push(&mut self, entry: Entry) {
        debug_assert_eq!(entry.index, self.last_index() + 1);
        self.entries.push(entry);
    }

    /// Removes every entry at or after `index` (which must be in memory).
    pub(crate) fn truncate_from(&mut self, index: LogIndex) {
        if let Some(pos) = self.position(index) {
            self.entries.truncate(pos);
        }
    }

    /// Compacts the log up to `snapshot.meta.last_index`, which the caller
    /// checked is held in memory with the snapshot's term; later entries stay.
    pub(crate) fn compact(&mut self, snapshot: Snapshot) {
        let index = snapshot.meta.last_index;
        if let Some(pos) = self.position(index) {
            self.entries.drain(..=pos);
        }
        self.snapshot_index = index;
        self.snapshot_term = snapshot.meta.last_term;
        self.snapshot = Some(snapshot);
    }

    /// Installs a snapshot received from a leader: entries after it are kept
    /// only if the log holds the snapshot's last entry with the same term
    /// (Raft §7); otherwise the whole log is discarded. Returns whether the
    /// suffix was kept.
    pub(crate) fn install(&mut self, snapshot: Snapshot) -> bool {
        let meta: &SnapshotMeta = &snapshot.meta;
        let keep = self.term(meta.last_index) == Some(meta.last_term)
            && meta.last_index >= self.snapshot_index;
        if keep {
            self.compact(snapshot);
        } else {
            self.entries.clear();
            self.snapshot_index = snapshot.meta.last_index;
            self.snapshot_term = snapshot.meta.last_term;
            self.snapshot = Some(snapshot);
        }
        keep
    }

    /// Every entry held in memory.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{EntryPayload, Membership};

    fn e(index: LogIndex, term: Term) -> Entry {
        Entry {
            index,
            term,
            payload: EntryPayload::Noop,
        }
    }

    fn snap(index: LogIndex, term: Term) -> Snapshot {
        Snapshot {
            meta: SnapshotMeta {
                last_index: index,
                last_term: term,
                membership: Membership::new([1]),
            },
            data: vec![1, 2, 3],
        }
    }

    #[test]
    fn empty_log_answers_term_zero_at_index_zero_only() {
        let log = RaftLog::default();
        assert_eq!(log.term(0), Some(0));
        assert_eq!(log.term(1), None);
        assert_eq!(log.term(u64::MAX), None);
        assert_eq!(log.last_index(), 0);
        assert_eq!(log.first_index(), 1);
        assert!(log.slice(1, 10, 100).is_empty());
    }

    #[test]
    fn indices_are_offset_by_the_snapshot() {
        let log = RaftLog::from_parts(Some(snap(10, 3)), vec![e(11, 3), e(12, 4)]);
        assert_eq!(log.first_index(), 11);
        assert_eq!(log.last_index(), 12);
        assert_eq!(log.term(10), Some(3));
        assert_eq!(log.term(9), None);
        assert_eq!(log.term(12), Some(4));
        assert_eq!(log.term(13), None);
        assert_eq!(log.entry(11).map(|x| x.index), Some(11));
        assert!(log.entry(10).is_none());
        assert_eq!(log.range(5, 20).len(), 2);
    }

    #[test]
    fn slice_respects_count_and_bytes_but_returns_at_least_one() {
        let entries: Vec<Entry> = (1..=10).map(|i| e(i, 1)).collect();
        let log = RaftLog::from_parts(None, entries);
        assert_eq!(log.slice(3, 4, usize::MAX).len(), 4);
        assert_eq!(log.slice(3, 100, 50).len(), 2);
        assert_eq!(log.slice(3, 100, 1).len(), 1);
        assert_eq!(log.slice(10, 100, 1000).len(), 1);
        assert!(log.slice(11, 100, 1000).is_empty());
    }

    #[test]
    fn conflict_search_helpers_find_term_boundaries() {
        let log = RaftLog::from_parts(None, vec![e(1, 1), e(2, 1), e(3, 2), e(4, 2), e(5, 4)]);
        assert_eq!(log.first_index_of_term_run(4), 3);
        assert_eq!(log.first_index_of_term_run(2), 1);
        assert_eq!(log.last_index_of_term(2, 5), Some(4));
        assert_eq!(log.last_index_of_term(3, 5), None);
        assert_eq!(log.last_index_of_term(1, 100), Some(2));
    }

    #[test]
    fn compaction_and_install_keep_or_drop_the_suffix() {
        let mut log = RaftLog::from_parts(None, (1..=6).map(|i| e(i, 1)).collect());
        log.compact(snap(4, 1));
        assert_eq!((log.first_index(), log.last_index()), (5, 6));
        assert!(log.install(snap(5, 1)));
        assert_eq!((log.first_index(), log.last_index()), (6, 6));
        assert!(!log.install(snap(9, 2)));
        assert_eq!((log.first_index(), log.last_index()), (10, 9));
        assert_eq!(log.term(9), Some(2));
        log.truncate_from(100);
        assert_eq!(log.last_index(), 9);
    }
}
