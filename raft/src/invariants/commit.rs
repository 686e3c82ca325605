//! Commit safety: while a node runs, its term and commit index never fall
//! (after a restart they may start lower: the commit index is persisted
//! lazily), its commit index never passes its last index, and every node
//! that counts an index committed holds the same entry there (the log side
//! of state machine safety, §5.4.3).
//!
//! The monotonicity half holds for any observation; the log half needs the
//! core's in-memory log (a durable log can lag the commit index), so only
//! every-step harnesses call [`CommitTracker::observe_log`].

use super::committed::{CommittedLog, Sighting};
use super::{names, LogShape, NodeView, Violation};
use crate::{LogIndex, NodeId, Term};
use std::collections::BTreeMap;

/// Each live node's last seen commit index and term.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct CommitTracker {
    commit_of: BTreeMap<NodeId, LogIndex>,
    term_of: BTreeMap<NodeId, Term>,
    /// The commit index each node had when its log was last recorded.
    logged_to: BTreeMap<NodeId, LogIndex>,
}

impl CommitTracker {
    /// Checks a live node's term and commit index against its previous
    /// observation in this run of the node.
    pub fn observe(&mut self, id: NodeId, term: Term, commit: LogIndex) -> Result<(), Violation> {
        if let Some(previous) = self.term_of.insert(id, term) {
            if term < previous {
                return Err(Violation::new(
                    names::TERM_MONOTONIC,
                    format!("live node {id}: term went from {previous} down to {term}"),
                ));
            }
        }
        if let Some(previous) = self.commit_of.insert(id, commit) {
            if commit < previous {
                return Err(Violation::new(
                    names::COMMIT_MONOTONIC,
                    format!(
                        "live node {id}: commit index went back from {previous} to {commit} \
                         without a restart"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks a live core's commit index against its in-memory log and
    /// records every newly committed index the log still holds in
    /// `committed`, with the snapshot's last index and term (indices
    /// inside the snapshot are the state machine check's business).
    pub fn observe_log(
        &mut self,
        view: &dyn NodeView,
        shape: &LogShape,
        committed: &mut CommittedLog,
    ) -> Result<(), Violation> {
        let id = view.id();
        let commit = view.commit_index();
        if commit > shape.last() {
            return Err(Violation::new(
                names::COMMIT_SAFETY,
                format!(
                    "node {id}: commit index {commit} beyond last index {}",
                    shape.last()
                ),
            ));
        }
        let previous = self.logged_to.insert(id, commit).unwrap_or(0);
        // A snapshot's last entry is committed too: a base past what was
        // logged (a snapshot just installed or taken) is checked with the
        // term the snapshot records for it.
        let first = if shape.base > previous {
            shape.base.max(1)
        } else {
            previous + 1
        };
        for index in first..=commit {
            let Some(entry_term) = shape.term_at(index) else {
                continue;
            };
            let seen = Sighting {
                index,
                entry_term,
                digest: None,
                binds_leaders_from_term: view.term(),
                node: id,
            };
            committed.record(names::COMMIT_SAFETY, seen)?;
        }
        Ok(())
    }

    /// Forgets a crashed node: a restarted node may legitimately resume
    /// from a lower (persisted) commit index and term.
    pub fn forget(&mut self, id: NodeId) {
        self.commit_of.remove(&id);
        self.term_of.remove(&id);
        self.logged_to.remove(&id);
    }
}
