//! Read linearizability, as far as the core can promise it: a read whose
//! index is `Ready` must be at least every index acknowledged to a client
//! before the read was issued, and at most the serving node's commit index.

use super::{names, Violation};
use crate::{LogIndex, NodeId, ReadOutcome};
use std::collections::BTreeMap;

const NAME: &str = names::READ_LINEARIZABILITY;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PendingRead {
    node: NodeId,
    floor: LogIndex,
}

/// Reads in flight and the highest acknowledged write.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct ReadCheck {
    acked_max: LogIndex,
    pending: BTreeMap<u64, PendingRead>,
    /// Reads answered `Ready`.
    pub ready: u64,
    /// Reads answered `NotLeader`.
    pub not_leader: u64,
}

impl ReadCheck {
    /// A write at `index` was acknowledged to its client.
    pub fn acknowledged(&mut self, index: LogIndex) {
        self.acked_max = self.acked_max.max(index);
    }

    /// The highest acknowledged write.
    pub fn acked_max(&self) -> LogIndex {
        self.acked_max
    }

    /// Read `id` was issued at `node`.
    pub fn issued(&mut self, id: u64, node: NodeId) {
        self.pending.insert(
            id,
            PendingRead {
                node,
                floor: self.acked_max,
            },
        );
    }

    /// Node `node` (commit index `commit`) answered read `id`.
    pub fn answered(
        &mut self,
        id: u64,
        node: NodeId,
        outcome: &ReadOutcome,
        commit: LogIndex,
    ) -> Result<(), Violation> {
        let Some(read) = self.pending.remove(&id) else {
            return Err(Violation::new(
                NAME,
                format!("node {node} answered read {id}, which is not pending there"),
            ));
        };
        if read.node != node {
            return Err(Violation::new(
                NAME,
                format!(
                    "read {id} was issued at node {} but answered by {node}",
                    read.node
                ),
            ));
        }
        match outcome {
            ReadOutcome::Ready { index } => {
                self.ready += 1;
                if *index < read.floor {
                    return Err(Violation::new(
                        NAME,
                        format!(
                            "node {node} served read {id} at index {index}, below index {} \
                             acknowledged before the read was issued (stale read)",
                            read.floor
                        ),
                    ));
                }
                if *index > commit {
                    return Err(Violation::new(
                        NAME,
                        format!(
                            "node {node} served read {id} at index {index}, beyond its commit \
                             index {commit}"
                        ),
                    ));
                }
            }
            ReadOutcome::NotLeader { .. } => self.not_leader += 1,
        }
        Ok(())
    }

    /// Drops the reads pending at a crashed node (their clients time out).
    pub fn forget_node(&mut self, node: NodeId) {
        self.pending.retain(|_, read| read.node != node);
    }
}

/// Read freshness (thesis §6.4): a read served from state applied up to
/// `served_index` must reflect every entry the cluster had committed when
/// the read arrived, `floor` (the highest commit index any node held by
/// then, which a harness that sees every node can stamp on the read).
/// A correct ReadIndex or lease read serves at or past its leader's commit
/// index, which covers every earlier commit: lower means a stale read.
pub fn fresh(
    node: NodeId,
    key: &str,
    served_index: LogIndex,
    floor: LogIndex,
) -> Result<(), Violation> {
    if served_index >= floor {
        return Ok(());
    }
    Err(Violation::new(
        names::READ_FRESHNESS,
        format!(
            "n{node} served a read of key {key:?} from state applied to index {served_index}, \
             but index {floor} was committed in the cluster before the read arrived (a stale \
             read: §6.4 serves reads at the leader's commit index, confirmed current)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_served_below_the_commit_floor_is_stale_and_at_or_above_it_fresh() {
        assert!(fresh(1, "k", 7, 7).is_ok());
        assert!(fresh(1, "k", 9, 7).is_ok());
        let v = fresh(2, "k", 6, 7).unwrap_err();
        assert_eq!(v.invariant, names::READ_FRESHNESS);
        assert!(v.detail.contains("index 6") && v.detail.contains("index 7"));
    }
}
