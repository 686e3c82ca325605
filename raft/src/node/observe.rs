//! What a node exposes to a cluster observer, updated after every step.
//!
//! The driver keeps one [`NodeObservation`] behind an `Arc<Mutex<..>>` (an
//! [`ObservationHandle`], created outside a turmoil host factory so it
//! survives crashes). Updating it is cheap: scalar fields are overwritten,
//! the durable log's terms are mirrored incrementally, and applied entries
//! are appended to a bounded queue the observer drains.

use crate::core::{Role, Status};
use crate::invariants::promises::{DurableLog, Promises};
use crate::invariants::Violation;
use crate::types::{Entry, HardState, LogIndex, NodeId, Snapshot, Term};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// One applied log entry, as seen by the observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedEntry {
    /// The entry's index.
    pub index: LogIndex,
    /// The entry's term.
    pub term: Term,
    /// The entry's digest ([`crate::invariants::digest::entry_digest`]).
    pub digest: u64,
    /// The whole state machine's digest after applying it
    /// ([`crate::kv::KvStateMachine::state_digest`]), at every index that is
    /// a multiple of [`STATE_DIGEST_EVERY_ENTRIES`].
    pub state: Option<u64>,
}

/// Every this many log indices a node reports its whole state machine's
/// digest with the entry it applied there, for the observer to compare.
pub const STATE_DIGEST_EVERY_ENTRIES: u64 = 64;

/// A node's externally visible state.
#[derive(Debug, Clone)]
pub struct NodeObservation {
    /// The node.
    pub id: NodeId,
    /// Whether the driver is running (false before start, after a fatal
    /// error, or once a crash was noted with [`ObservationHandle::mark_down`]).
    pub running: bool,
    /// Whether the pause gate holds the driver.
    pub paused: bool,
    /// How many times the driver started (1 + restarts).
    pub starts: u64,
    /// The core's role.
    pub role: Role,
    /// The durable hard state (term, vote, commit) as of the last step.
    pub hard_state: HardState,
    /// The leader the node knows of.
    pub leader: Option<NodeId>,
    /// The core's commit index.
    pub commit_index: LogIndex,
    /// The state machine's applied index.
    pub applied_index: LogIndex,
    /// Reads the core served under its lease since the last start (updated
    /// whenever the driver has processed the core's output, so a lease read
    /// shows in the same step).
    pub lease_reads: u64,
    /// The durable log's last index.
    pub last_index: LogIndex,
    /// The durable snapshot's last index (0: none).
    pub snapshot_index: LogIndex,
    /// The durable snapshot's last term.
    pub snapshot_term: Term,
    /// Terms of the durable entries `snapshot_index + 1 ..= last_index`.
    pub log_terms: Vec<Term>,
    /// The last index the storage was seen syncing: entries above it were
    /// written but may be in the page cache only (the core was told they
    /// are durable, but no sync covered them yet).
    pub synced_index: LogIndex,
    /// Entries applied since the observer last drained this queue (bounded;
    /// overflow drops the oldest and counts it in `applied_overflow`).
    pub applied: VecDeque<AppliedEntry>,
    /// Applied entries dropped from `applied` because nobody drained it.
    pub applied_overflow: u64,
    /// Client writes answered with their result since the observer last
    /// drained this queue: the `(index, term)` each proposal was appended
    /// at (bounded like `applied`).
    pub acked_writes: VecDeque<(LogIndex, Term)>,
    /// Why recovery stopped early at the last start, if it did.
    pub recovery_note: Option<String>,
    /// Durable appends that replaced a held suffix of the log whose first
    /// entry had another term (a follower truncating a conflict; kept
    /// across restarts).
    pub conflict_truncations: u64,
    /// The fatal error that stopped the driver, if any.
    pub fatal_error: Option<String>,
    /// Steps fed to the core since the last start.
    pub steps: u64,
    /// The core's full status (counters of messages by kind, elections,
    /// rejections, peer progress), refreshed on every tick.
    pub status: Option<Status>,
    /// Promises sent since the observer last took them: the newest granted
    /// vote and the newest acknowledged entry (kept across restarts).
    pub promised: Promises,
    /// The highest commit index any node of the cluster held, as of the
    /// observer's last step: the harness stamps it here so the driver can
    /// stamp it on each read that arrives ([`crate::invariants::reads::fresh`]).
    pub commit_floor: LogIndex,
    /// Rules the node broke while handling its inputs (message rules and
    /// read freshness), since the observer last drained them (bounded).
    pub local_violations: Vec<Violation>,
}

/// The bound of [`NodeObservation::applied`].
pub const APPLIED_QUEUE_MAX: usize = 1 << 16;

/// The bound of [`NodeObservation::local_violations`] (the run is already
/// invalid; the first ones explain it).
pub const LOCAL_VIOLATIONS_MAX: usize = 64;

impl NodeObservation {
    /// The observation of a node that has not started.
    pub fn new(id: NodeId) -> Self {
        NodeObservation {
            id,
            running: false,
            paused: false,
            starts: 0,
            role: Role::Follower,
            hard_state: HardState::default(),
            leader: None,
            commit_index: 0,
            applied_index: 0,
            lease_reads: 0,
            last_index: 0,
            snapshot_index: 0,
            snapshot_term: 0,
            log_terms: Vec::new(),
            synced_index: 0,
            applied: VecDeque::new(),
            applied_overflow: 0,
            acked_writes: VecDeque::new(),
            recovery_note: None,
            conflict_truncations: 0,
            fatal_error: None,
            steps: 0,
            status: None,
            promised: Promises::default(),
            commit_floor: 0,
            local_violations: Vec::new(),
        }
    }

    /// The term of the durable entry at `index`, if held (the snapshot's
    /// term at its last index).
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        if index < self.snapshot_index || index > self.last_index {
            return None;
        }
        self.log_terms
            .get((index - self.snapshot_index - 1) as usize)
            .copied()
    }

    /// Mirrors a durable append (which may replace a suffix); an append
    /// that replaces a held entry of another term counts in
    /// [`NodeObservation::conflict_truncations`].
    ///
    /// (The observation is a [`DurableLog`] for the promise check.)
    pub fn record_append(&mut self, entries: &[Entry]) {
        let Some(first) = entries.first() else {
            return;
        };
        self.synced_index = self.synced_index.min(first.index - 1);
        let replaced = first.index > self.snapshot_index
            && self.term_at(first.index).is_some_and(|t| t != first.term);
        if replaced {
            self.conflict_truncations += 1;
        }
        let keep = first.index.saturating_sub(self.snapshot_index + 1) as usize;
        self.log_terms.truncate(keep);
        self.log_terms.extend(entries.iter().map(|e| e.term));
        self.last_index = self.snapshot_index + self.log_terms.len() as u64;
    }

    /// Mirrors a durable snapshot (taken locally or received).
    pub fn record_snapshot(&mut self, snapshot: &Snapshot) {
        let meta = &snapshot.meta;
        if meta.last_index <= self.snapshot_index {
            return;
        }
        if self.term_at(meta.last_index) == Some(meta.last_term) {
            let drop = (meta.last_index - self.snapshot_index) as usize;
            self.log_terms.drain(..drop.min(self.log_terms.len()));
        } else {
            self.log_terms.clear();
        }
        self.snapshot_index = meta.last_index;
        self.snapshot_term = meta.last_term;
        self.last_index = self.snapshot_index + self.log_terms.len() as u64;
    }

    /// Notes rules the node broke (beyond [`LOCAL_VIOLATIONS_MAX`] pending,
    /// the newest are dropped).
    pub fn record_local_violations(&mut self, found: Vec<Violation>) {
        let room = LOCAL_VIOLATIONS_MAX.saturating_sub(self.local_violations.len());
        self.local_violations.extend(found.into_iter().take(room));
    }

    /// Notes that the storage synced everything written so far.
    pub fn record_sync(&mut self) {
        self.synced_index = self.last_index;
    }

    /// The log as far as the storage synced it: what a crash now would
    /// keep.
    pub fn synced(&self) -> SyncedLog<'_> {
        SyncedLog(self)
    }

    /// Records that a client's write, appended at `index` in `term`, was
    /// answered with its result.
    pub fn record_acked_write(&mut self, index: LogIndex, term: Term) {
        if self.acked_writes.len() >= APPLIED_QUEUE_MAX {
            self.acked_writes.pop_front();
        }
        self.acked_writes.push_back((index, term));
    }

    /// Records an applied entry, with the state machine's digest after it
    /// at a checkpoint index.
    pub fn record_applied(&mut self, entry: &Entry, state: Option<u64>) {
        if self.applied.len() >= APPLIED_QUEUE_MAX {
            self.applied.pop_front();
            self.applied_overflow += 1;
        }
        self.applied.push_back(AppliedEntry {
            index: entry.index,
            term: entry.term,
            digest: crate::invariants::digest::entry_digest(entry),
            state,
        });
    }
}

/// A shared, cloneable handle to one node's observation.
#[derive(Debug, Clone)]
pub struct ObservationHandle {
    inner: Arc<Mutex<NodeObservation>>,
}

impl ObservationHandle {
    /// A handle for node `id` (not yet started).
    pub fn new(id: NodeId) -> Self {
        ObservationHandle {
            inner: Arc::new(Mutex::new(NodeObservation::new(id))),
        }
    }

    /// Locks the observation (the driver holds the lock only briefly).
    pub fn lock(&self) -> MutexGuard<'_, NodeObservation> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the observation.
    pub fn get(&self) -> NodeObservation {
        self.lock().clone()
    }

    /// Takes the applied entries recorded since the last call.
    pub fn drain_applied(&self) -> Vec<AppliedEntry> {
        self.lock().applied.drain(..).collect()
    }

    /// Notes that the node's host crashed (the driver cannot say so itself).
    pub fn mark_down(&self) {
        self.lock().running = false;
    }
}

impl DurableLog for NodeObservation {
    fn snapshot_index(&self) -> LogIndex {
        self.snapshot_index
    }
    fn last_index(&self) -> LogIndex {
        self.last_index
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        NodeObservation::term_at(self, index)
    }
}

/// A node's log as far as its storage synced it ([`NodeObservation::synced`]).
#[derive(Debug, Clone, Copy)]
pub struct SyncedLog<'a>(&'a NodeObservation);

impl DurableLog for SyncedLog<'_> {
    fn snapshot_index(&self) -> LogIndex {
        self.0.snapshot_index
    }
    fn last_index(&self) -> LogIndex {
        self.0
            .last_index
            .min(self.0.synced_index.max(self.0.snapshot_index))
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        (index <= self.last_index())
            .then(|| self.0.term_at(index))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{EntryPayload, SnapshotMeta};

    fn entry(index: LogIndex, term: Term) -> Entry {
        Entry {
            term,
            index,
            payload: EntryPayload::Noop,
        }
    }

    #[test]
    fn the_log_mirror_follows_appends_truncations_and_snapshots() {
        let mut o = NodeObservation::new(1);
        o.record_append(&[entry(1, 1), entry(2, 1), entry(3, 2)]);
        assert_eq!(o.last_index, 3);
        o.record_append(&[entry(3, 3), entry(4, 3)]);
        assert_eq!(o.log_terms, vec![1, 1, 3, 3]);
        let snap = Snapshot {
            meta: SnapshotMeta {
                last_index: 2,
                last_term: 1,
                membership: Default::default(),
            },
            data: vec![],
        };
        o.record_snapshot(&snap);
        assert_eq!((o.snapshot_index, o.last_index), (2, 4));
        assert_eq!(o.term_at(2), Some(1));
        assert_eq!(o.term_at(3), Some(3));
        assert_eq!(o.term_at(1), None);
        // A snapshot that does not match the log replaces it entirely.
        let other = Snapshot {
            meta: SnapshotMeta {
                last_index: 3,
                last_term: 9,
                membership: Default::default(),
            },
            data: vec![],
        };
        o.record_snapshot(&other);
        assert_eq!((o.snapshot_index, o.last_index), (3, 3));
        assert!(o.log_terms.is_empty());
    }

    #[test]
    fn only_an_append_replacing_an_entry_of_another_term_counts_as_a_conflict_truncation() {
        let mut o = NodeObservation::new(1);
        o.record_append(&[entry(1, 1), entry(2, 1), entry(3, 2)]);
        o.record_append(&[entry(4, 2)]);
        o.record_append(&[entry(4, 2)]);
        o.record_append(&[]);
        assert_eq!(o.conflict_truncations, 0, "appends and same-term rewrites");
        o.record_append(&[entry(3, 3)]);
        assert_eq!((o.conflict_truncations, o.last_index), (1, 3));
        o.record_snapshot(&Snapshot {
            meta: SnapshotMeta {
                last_index: 3,
                last_term: 3,
                membership: Default::default(),
            },
            data: vec![],
        });
        o.record_append(&[entry(4, 5)]);
        assert_eq!(
            o.conflict_truncations, 1,
            "nothing was held after the snapshot"
        );
        o.record_append(&[entry(4, 6), entry(5, 6)]);
        assert_eq!(o.conflict_truncations, 2);
    }
}
