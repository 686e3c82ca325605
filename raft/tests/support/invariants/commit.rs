//! Commit safety: a live node's commit index never regresses and never
//! passes its last index, and every node that counts an index as committed
//! holds the same entry there (the log side of state machine safety, §5.4.3).
//!
//! It also records, for each committed index, the lowest term in which any
//! node was seen counting it committed: leader completeness needs that.

use super::{LogShape, NodeView, Violation};
use faultline_raft::{LogIndex, NodeId, Term};
use std::collections::BTreeMap;

const NAME: &str = "commit safety";

/// What is known about one committed index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitRecord {
    /// The term of the committed entry.
    pub entry_term: Term,
    /// The lowest node term in which some node counted it committed.
    pub committed_in_term: Term,
    /// The first node seen counting it committed.
    pub first_seen_on: NodeId,
}

/// Tracks committed entries and each live node's commit index.
#[derive(Debug, Default)]
pub struct CommitTracker {
    committed: BTreeMap<LogIndex, CommitRecord>,
    commit_of: BTreeMap<NodeId, LogIndex>,
    term_of: BTreeMap<NodeId, Term>,
}

impl CommitTracker {
    /// Checks a node's commit index and term against its previous observation.
    pub fn observe(&mut self, view: &dyn NodeView, shape: &LogShape) -> Result<(), Violation> {
        let id = view.id();
        let commit = view.commit_index();
        let term = view.term();
        if let Some(&previous) = self.term_of.get(&id) {
            if term < previous {
                return Err(Violation::new(
                    "term monotonicity",
                    format!("live node {id}: term went from {previous} down to {term}"),
                ));
            }
        }
        self.term_of.insert(id, term);
        if commit > shape.last() {
            return Err(Violation::new(
                NAME,
                format!(
                    "node {id}: commit index {commit} beyond last index {}",
                    shape.last()
                ),
            ));
        }
        let previous = self.commit_of.get(&id).copied();
        if let Some(previous) = previous {
            if commit < previous {
                return Err(Violation::new(
                    NAME,
                    format!("live node {id}: commit index regressed from {previous} to {commit}"),
                ));
            }
        }
        self.commit_of.insert(id, commit);
        // Every committed index the log still holds must match the record;
        // newly committed ones are recorded. Indices inside the snapshot are
        // covered by the state machine check.
        let from = shape.base.max(previous.unwrap_or(0)) + 1;
        for index in from..=commit {
            let Some(entry_term) = shape.term_at(index) else {
                continue;
            };
            match self.committed.get_mut(&index) {
                Some(record) if record.entry_term != entry_term => {
                    return Err(Violation::new(
                        NAME,
                        format!(
                            "index {index} committed with term {} on node {} but with term \
                             {entry_term} on node {id}",
                            record.entry_term, record.first_seen_on
                        ),
                    ));
                }
                Some(record) => {
                    record.committed_in_term = record.committed_in_term.min(term);
                }
                None => {
                    self.committed.insert(
                        index,
                        CommitRecord {
                            entry_term,
                            committed_in_term: term,
                            first_seen_on: id,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Forgets a crashed node: a restarted node may legitimately resume
    /// from a lower (persisted) commit index and term.
    pub fn forget(&mut self, id: NodeId) {
        self.commit_of.remove(&id);
        self.term_of.remove(&id);
    }

    /// Committed records with index in `range`.
    pub fn committed_range(
        &self,
        range: impl std::ops::RangeBounds<LogIndex>,
    ) -> impl Iterator<Item = (&LogIndex, &CommitRecord)> {
        self.committed.range(range)
    }

    /// The highest index any node was seen counting committed.
    pub fn max_committed(&self) -> LogIndex {
        self.committed.keys().next_back().copied().unwrap_or(0)
    }
}
