//! State machine safety (Raft §5.4.3): no two nodes apply different entries
//! at the same index. Every applied entry also counts as committed, for the
//! leader completeness check.

use faultline_raft::node::AppliedEntry;
use faultline_raft::{LogIndex, NodeId, Term};
use std::collections::BTreeMap;

/// What was first applied at an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// The entry's term.
    pub term: Term,
    /// Its payload digest.
    pub digest: u64,
    /// The node that applied it first.
    pub node: NodeId,
    /// The highest term any node had when it was first seen applied: a
    /// leader of a later term was elected after the commit.
    pub known_by_term: Term,
}

/// The first entry applied at each index.
#[derive(Debug, Default)]
pub struct StateMachineSafety {
    committed: BTreeMap<LogIndex, Committed>,
}

impl StateMachineSafety {
    /// Notes that `node` applied `e`; describes a conflicting application.
    pub fn applied(&mut self, node: NodeId, e: AppliedEntry, max_term: Term) -> Option<String> {
        match self.committed.get(&e.index) {
            None => {
                self.committed.insert(
                    e.index,
                    Committed {
                        term: e.term,
                        digest: e.digest,
                        node,
                        known_by_term: max_term,
                    },
                );
                None
            }
            Some(c) if c.term == e.term && c.digest == e.digest => None,
            Some(c) => Some(format!(
                "index {}: n{} applied term {} (digest {:016x}) but n{node} applied term {} (digest {:016x})",
                e.index, c.node, c.term, c.digest, e.term, e.digest
            )),
        }
    }

    /// Every committed entry seen so far, by index.
    pub fn committed(&self) -> &BTreeMap<LogIndex, Committed> {
        &self.committed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(index: LogIndex, term: Term, digest: u64) -> AppliedEntry {
        AppliedEntry {
            index,
            term,
            digest,
        }
    }

    #[test]
    fn different_entries_applied_at_one_index_are_reported() {
        let mut s = StateMachineSafety::default();
        assert!(s.applied(1, e(5, 2, 7), 2).is_none());
        assert!(s.applied(2, e(5, 2, 7), 3).is_none());
        assert!(s.applied(3, e(5, 2, 8), 3).unwrap().contains("index 5"));
        assert!(s.applied(3, e(5, 3, 7), 3).is_some());
    }
}
