//! Commit monotonicity: while a node runs, its commit index never decreases
//! (after a restart it may start lower: the commit index is persisted lazily).

use faultline_raft::{LogIndex, NodeId};
use std::collections::BTreeMap;

/// The last commit index seen for each node during its current run.
#[derive(Debug, Default)]
pub struct CommitMonotonic {
    last: BTreeMap<NodeId, (u64, LogIndex)>,
}

impl CommitMonotonic {
    /// Notes `node`'s commit index during its `starts`-th run.
    pub fn commit(&mut self, node: NodeId, starts: u64, commit: LogIndex) -> Option<String> {
        let prev = self.last.insert(node, (starts, commit));
        match prev {
            Some((s, c)) if s == starts && commit < c => Some(format!(
                "n{node}'s commit index went back from {c} to {commit} without a restart"
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_may_only_fall_across_a_restart() {
        let mut m = CommitMonotonic::default();
        assert!(m.commit(1, 1, 5).is_none());
        assert!(m.commit(1, 1, 4).is_some());
        assert!(m.commit(1, 2, 1).is_none());
        assert!(m.commit(1, 2, 3).is_none());
    }
}
