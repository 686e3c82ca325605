//! State machine safety (Raft §5.4.3): no two nodes apply different entries
//! at the same index. Two forms, for two kinds of application:
//!
//! * [`applied`] compares the entries themselves (term
//!   and payload digest), recording each as committed for the leader
//!   completeness check; any harness that sees applied entries can use it.
//! * [`StateMachineSafety::reached`] compares a fingerprint of the whole
//!   state after each index (a hash chain over the applied entries, say), so
//!   the part of the history a node received inside a snapshot is compared
//!   too; it needs every node's state after every index it reaches.

use super::committed::{CommittedLog, Sighting};
use super::{names, Violation};
use crate::{LogIndex, NodeId, Term};
use std::collections::BTreeMap;

const NAME: &str = names::STATE_MACHINE_SAFETY;

/// The state fingerprint before any entry was applied (index 0).
pub const GENESIS_CHAIN: u64 = 0x6661_756c_746c_696e;

/// The chain value after applying `entry` on top of `chain`: a harness's
/// state machine fingerprint for [`StateMachineSafety::reached`].
pub fn chain_step(chain: u64, entry: &crate::Entry) -> u64 {
    use super::digest::{entry_digest, Fnv};
    Fnv::default().u64(chain).u64(entry_digest(entry)).finish()
}

/// One applied entry, as a harness saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The node that applied it.
    pub node: NodeId,
    /// Its index.
    pub index: LogIndex,
    /// Its term.
    pub term: Term,
    /// Its payload digest.
    pub digest: u64,
    /// The highest term any node had when it was seen: every leader of a
    /// later term was elected after the entry committed.
    pub term_max_seen: Term,
}

/// Notes an applied entry in `committed`; describes a conflicting one.
pub fn applied(e: Applied, committed: &mut CommittedLog) -> Result<(), Violation> {
    let seen = Sighting {
        index: e.index,
        entry_term: e.term,
        digest: Some(e.digest),
        binds_leaders_from_term: e.term_max_seen + 1,
        node: e.node,
    };
    committed.record(NAME, seen)
}

/// Notes that node `node` holds a snapshot whose last entry is `index` of
/// `term` (its state machine holds everything up to it, so that entry is
/// committed): a snapshot recorded with another term than the entry that
/// committed there is a conflict, as an applied entry would be.
pub fn snapshot_held(
    node: NodeId,
    index: LogIndex,
    term: Term,
    term_max_seen: Term,
    committed: &mut CommittedLog,
) -> Result<(), Violation> {
    let seen = Sighting {
        index,
        entry_term: term,
        digest: None,
        binds_leaders_from_term: term_max_seen + 1,
        node,
    };
    committed.record(NAME, seen)
}

/// The whole-state digest (data and client sessions) every node must hold
/// after applying each checkpoint index: the first node to report an index
/// sets it. Entries alone cannot show a state machine that lost part of its
/// state (client sessions left out of a snapshot, say); this does, at the
/// next checkpoint after the loss.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct StateCheckpoints {
    at: BTreeMap<LogIndex, (u64, NodeId)>,
}

impl StateCheckpoints {
    /// Node `node` holds state `digest` after applying `index`.
    pub fn record(&mut self, node: NodeId, index: LogIndex, digest: u64) -> Result<(), Violation> {
        match self.at.get(&index) {
            None => {
                self.at.insert(index, (digest, node));
                Ok(())
            }
            Some(&(first, first_node)) if first != digest => Err(Violation::new(
                NAME,
                format!(
                    "after applying index {index}, node {node}'s state machine (data and client \
                     sessions) differs from node {first_node}'s (digest {digest:016x} against \
                     {first:016x}): the same entries must give the same state"
                ),
            )),
            Some(_) => Ok(()),
        }
    }
}

/// The chain value every node must hold after applying each index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
