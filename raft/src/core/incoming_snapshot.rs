//! A snapshot being received from a leader, chunk by chunk (Raft §7): which
//! transfer it belongs to and the bytes assembled so far. `snapshot.rs`
//! decides what to do with each chunk.

use crate::types::{Snapshot, SnapshotMeta, Term};

/// A snapshot being received, chunk by chunk.
#[derive(Debug, Clone, Hash)]
pub(crate) struct IncomingSnapshot {
    /// The metadata every chunk of this transfer must carry.
    meta: SnapshotMeta,
    /// The term of the leader sending it.
    term: Term,
    /// The bytes received so far (the next expected offset is their length).
    data: Vec<u8>,
}

impl IncomingSnapshot {
    /// A new transfer of the snapshot `meta` from the leader of `term`.
    pub(crate) fn new(meta: SnapshotMeta, term: Term) -> Self {
        IncomingSnapshot {
            meta,
            term,
            data: Vec::new(),
        }
    }

    /// The offset expected next if a chunk of `meta` from the leader of
    /// `term` belongs to this transfer (`None` if it does not).
    pub(crate) fn next_offset_for(&self, meta: &SnapshotMeta, term: Term) -> Option<u64> {
        (self.meta == *meta && self.term == term).then_some(self.data.len() as u64)
    }

    /// Adds the next chunk; returns the bytes received so far.
    pub(crate) fn append(&mut self, chunk: &[u8]) -> u64 {
        self.data.extend_from_slice(chunk);
        self.data.len() as u64
    }

    /// The assembled snapshot.
    pub(crate) fn into_snapshot(self) -> Snapshot {
        Snapshot {
            meta: self.meta,
            data: self.data,
        }
    }
}
