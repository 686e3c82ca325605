//! A node's state as the observer's whole-log checks see it: a copy of its
//! observation's durable log shape, taken under the lock and checked after.

use faultline_raft::invariants::{self, LogShape};
use faultline_raft::node::{NodeHandles, NodeObservation};
use faultline_raft::{LogIndex, NodeId, Role, Term};
use std::collections::BTreeMap;

/// One node's state at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// The node.
    pub id: NodeId,
    /// Whether its driver runs.
    pub running: bool,
    /// Its role.
    pub role: Role,
    /// Its current term.
    pub term: Term,
    /// Its commit index.
    pub commit: LogIndex,
    /// Its applied index.
    pub applied: LogIndex,
    /// How many times it started.
    pub starts: u64,
    /// Its durable log: the snapshot's last index and term as the base, then
    /// the terms of the durable entries after it.
    pub shape: LogShape,
}

impl NodeView {
    /// The view of one observation.
    pub fn of(o: &NodeObservation) -> Self {
        NodeView {
            id: o.id,
            running: o.running,
            role: o.role,
            term: o.hard_state.term,
            commit: o.commit_index,
            applied: o.applied_index,
            starts: o.starts,
            shape: LogShape {
                base: o.snapshot_index,
                base_term: Some(o.snapshot_term),
                terms: o.log_terms.clone(),
            },
        }
    }

    /// The term of the durable entry at `index` (or the snapshot's last), if held.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.shape.term_at(index)
    }

    /// The durable log as runs `(term, first index, last index)`, ascending;
    /// the snapshot's last entry is the first run when a snapshot exists.
    pub fn runs(&self) -> Vec<(Term, LogIndex, LogIndex)> {
        let mut runs: Vec<(Term, LogIndex, LogIndex)> = Vec::new();
        if self.shape.base > 0 {
            let base_term = self.shape.base_term.unwrap_or(0);
            runs.push((base_term, self.shape.base, self.shape.base));
        }
        for (offset, &term) in self.shape.terms.iter().enumerate() {
            let index = self.shape.base + 1 + offset as u64;
            match runs.last_mut() {
                Some(last) if last.0 == term && last.2 + 1 == index => last.2 = index,
                _ => runs.push((term, index, index)),
            }
        }
        runs
    }

    /// One line: role, term, indices and the log's runs of terms, as
    /// [`faultline_checker::NodeState`] writes it (and reads it back from
    /// a stored finding).
    pub fn summary(&self) -> String {
        faultline_checker::NodeState {
            id: self.id,
            running: self.running,
            role: format!("{:?}", self.role),
            term: self.term,
            commit: self.commit,
            applied: self.applied,
            snapshot: self.shape.base,
            last: self.shape.last(),
            starts: self.starts,
            log: self
                .runs()
                .into_iter()
                .map(|(term, first, last)| faultline_checker::results::TermRun {
                    term,
                    first,
                    last,
                })
                .collect(),
        }
        .to_string()
    }
}

/// Every node's [`NodeView::summary`] line, by id: the cluster at a moment
/// (the node logs note it when a fault starts).
pub fn summaries(nodes: &BTreeMap<NodeId, NodeHandles>) -> BTreeMap<NodeId, String> {
    nodes
        .iter()
        .map(|(&id, h)| (id, NodeView::of(&h.observation.lock()).summary()))
        .collect()
}

impl invariants::NodeView for NodeView {
    fn id(&self) -> NodeId {
        self.id
    }
    fn term(&self) -> Term {
        self.term
    }
    fn is_leader(&self) -> bool {
        self.running && self.role == Role::Leader
    }
    fn commit_index(&self) -> LogIndex {
        self.commit
    }
    fn first_index(&self) -> LogIndex {
        self.shape.base + 1
    }
    fn last_index(&self) -> LogIndex {
        self.shape.last()
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.shape.term_at(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_equal_terms_after_the_snapshot() {
        let view = NodeView {
            id: 1,
            running: true,
            role: Role::Follower,
            term: 3,
            commit: 0,
            applied: 0,
            starts: 1,
            shape: LogShape {
                base: 4,
                base_term: Some(2),
                terms: vec![2, 2, 3],
            },
        };
        assert_eq!(view.runs(), vec![(2, 4, 6), (3, 7, 7)]);
        assert!(view.summary().contains("log=[t2:4..=6 t3:7..=7]"));
        // A stored finding's node line reads back as the node's state.
        let state = faultline_checker::NodeState::parse(&view.summary()).unwrap();
        assert_eq!(
            (state.snapshot, state.last, state.term_at(7)),
            (4, 7, Some(3))
        );
        assert_eq!(view.term_at(6), Some(2));
        assert_eq!(view.term_at(8), None);
    }
}
