//! State machine safety (Raft §5.4.3): no two nodes apply different entries
//! at the same index. Each node's application is a hash chain, so comparing
//! the chain value at an index compares the whole applied prefix, including
//! the part a node received inside a snapshot.

use super::Violation;
use crate::support::state_machine::GENESIS_CHAIN;
use faultline_raft::{LogIndex, NodeId};

const NAME: &str = "state machine safety";

/// The chain value every node must hold after applying each index.
#[derive(Debug)]
pub struct StateMachineSafety {
    /// `chain_at[i]` is the chain after applying index `i`.
    chain_at: Vec<u64>,
    /// `first_at[i]` is the first node that reached index `i`.
    first_at: Vec<NodeId>,
}

impl Default for StateMachineSafety {
    fn default() -> Self {
        StateMachineSafety {
            chain_at: vec![GENESIS_CHAIN],
            first_at: vec![0],
        }
    }
}

impl StateMachineSafety {
    /// Node `id` now holds `chain` at `index` (after applying an entry, or
    /// after installing a snapshot). `commit` is the node's commit index.
    pub fn reached(
        &mut self,
        id: NodeId,
        index: LogIndex,
        chain: u64,
        commit: LogIndex,
        how: &str,
    ) -> Result<(), Violation> {
        if index > commit {
            return Err(Violation::new(
                NAME,
                format!("node {id} {how} index {index} beyond its commit index {commit}"),
            ));
        }
        let at = index as usize;
        if at < self.chain_at.len() {
            if self.chain_at[at] != chain {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id} {how} index {index} with state {chain:016x}, but node {} \
                         reached it with state {:016x}: the applied sequences differ",
                        self.first_at[at], self.chain_at[at]
                    ),
                ));
            }
            return Ok(());
        }
        if at != self.chain_at.len() {
            return Err(Violation::new(
                NAME,
                format!(
                    "node {id} {how} index {index} but no node ever applied index {}",
                    self.chain_at.len()
                ),
            ));
        }
        self.chain_at.push(chain);
        self.first_at.push(id);
        Ok(())
    }
}
