//! Lease safety (thesis §6.4.1): a leader may answer reads from its own
//! state without a heartbeat round only while no other node can have been
//! elected. So no node serves a lease read once another node leads a higher
//! term and has committed an entry in it: from then on the new leader can
//! acknowledge writes the old one does not have, and a lease read on the
//! old one can miss them.
//!
//! Checked between two observations: a node whose count of lease reads
//! rose during a step served them after the previous observation, so a
//! higher-term leader that had committed in its term at that previous
//! observation was already there. The lease is only as good as the clocks:
//! a harness that skews clocks beyond the lease's drift allowance must
//! treat a violation as the environment's doing.

use super::{names, Violation};
use crate::{NodeId, Term};
use std::collections::BTreeMap;

/// One node as this check sees it at one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseView {
    /// The node.
    pub node: NodeId,
    /// Its current term.
    pub term: Term,
    /// Whether it leads and has committed an entry of its term.
    pub leads_committed: bool,
    /// Lease reads it served since its last start.
    pub lease_reads: u64,
    /// How many times it started (a restart resets its count).
    pub starts: u64,
}

/// Lease safety across observations.
#[derive(Debug, Default)]
pub struct LeaseSafety {
    /// Per node: (starts, lease reads) at the previous observation.
    last: BTreeMap<NodeId, (u64, u64)>,
    /// The newest (term, leader) that had committed in its term at the
    /// previous observation.
    newest_before: Option<(Term, NodeId)>,
}

impl LeaseSafety {
    /// Checks one observation of every node.
    pub fn observe(&mut self, nodes: &[LeaseView]) -> Vec<Violation> {
        let mut found = Vec::new();
        for n in nodes {
            let before = self.last.insert(n.node, (n.starts, n.lease_reads));
            let served = match before {
                Some((starts, reads)) if starts == n.starts => n.lease_reads.saturating_sub(reads),
                // A restart (or a start that failed before it reset the
                // count): a node that just started is no leader, so it
                // served nothing under a lease.
                Some(_) | None => 0,
            };
            let Some((term, leader)) = self.newest_before else {
                continue;
            };
            if served > 0 && term > n.term && leader != n.node {
                found.push(Violation::new(
                    names::LEASE_SAFETY,
                    format!(
                        "node {} served {served} read(s) under its lease in term {} while node \
                         {leader} already led term {term} and had committed in it",
                        n.node, n.term
                    ),
                ));
            }
        }
        self.newest_before = nodes
            .iter()
            .filter(|n| n.leads_committed)
            .map(|n| (n.term, n.node))
            .max()
            .max(self.newest_before);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(node: NodeId, term: Term, leads: bool, reads: u64) -> LeaseView {
        LeaseView {
            node,
            term,
            leads_committed: leads,
            lease_reads: reads,
            starts: 1,
        }
    }

    #[test]
    fn a_lease_read_after_a_newer_leader_committed_is_a_violation() {
        let mut c = LeaseSafety::default();
        assert!(c
            .observe(&[view(1, 2, true, 5), view(2, 2, false, 0)])
            .is_empty());
        // n2 leads term 3 and commits; n1 still serves under its lease in
        // the same step: not yet a violation (the order within a step is
        // unknown).
        assert!(c
            .observe(&[view(1, 2, true, 6), view(2, 3, true, 0)])
            .is_empty());
        let v = c.observe(&[view(1, 2, true, 7), view(2, 3, true, 0)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].invariant, names::LEASE_SAFETY);
        assert!(
            v[0].detail.contains("node 1 served 1 read(s)"),
            "{}",
            v[0].detail
        );
    }

    #[test]
    fn reads_by_the_newest_leader_and_restarts_are_not_violations() {
        let mut c = LeaseSafety::default();
        c.observe(&[view(1, 2, true, 5), view(2, 3, true, 0)]);
        assert!(c
            .observe(&[view(1, 3, false, 5), view(2, 3, true, 9)])
            .is_empty());
        // n1 restarted: its count began again, and it serves nothing.
        let restarted = LeaseView {
            starts: 2,
            ..view(1, 3, false, 0)
        };
        assert!(c.observe(&[restarted, view(2, 3, true, 9)]).is_empty());
    }
}
