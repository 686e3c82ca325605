//! One state of the modelled cluster and how it hashes.
//!
//! A node is its core, what it made durable and what its state machine
//! applied. The core's fingerprint is [`Raft::hash_protocol_state`]: the
//! state that decides its future behaviour under this model, without the
//! counters, the tick clocks and the RNG (the model fixes the election
//! timeout and turns off check-quorum, so none of those steers the core).
//! Everything else hashes as derived. No hash-map iteration anywhere: the
//! same state hashes the same in every run.

use faultline_raft::invariants::rules::MessageRules;
use faultline_raft::invariants::state_machine::GENESIS_CHAIN;
use faultline_raft::invariants::{Invariants, Violation};
use faultline_raft::{DurableState, LogIndex, Raft, Role};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::network::Network;

/// What a node's state machine applied: the last index and a hash chain
/// over every entry up to it (two nodes that applied the same entries hold
/// the same chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppChain {
    /// The last applied index.
    pub applied_index: LogIndex,
    /// The chain value there.
    pub chain: u64,
}

impl Default for AppChain {
    fn default() -> Self {
        AppChain {
            applied_index: 0,
            chain: GENESIS_CHAIN,
        }
    }
}

/// One node: its running core, its durable state, its state machine.
#[derive(Debug, Clone)]
pub struct NodeState {
    /// The core (restarted from `durable` after a crash).
    pub core: Raft,
    /// What the node wrote and synced: hard state and log.
    pub durable: DurableState,
    /// What its state machine applied.
    pub app: AppChain,
    /// The per-input rules' memory of this run of the node (votes received
    /// and granted), reset by a restart.
    pub rules: MessageRules,
}

impl Hash for NodeState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.core.hash_protocol_state(state);
        self.durable.hash(state);
        self.app.hash(state);
        self.rules.hash(state);
    }
}

impl PartialEq for NodeState {
    /// Equal when the fingerprints agree (as the checker itself decides).
    fn eq(&self, other: &Self) -> bool {
        fingerprint(self) == fingerprint(other)
    }
}

impl Eq for NodeState {}

/// A deterministic 64-bit fingerprint of anything hashable (the standard
/// hasher with its fixed default keys: the same in every run).
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The budgets a path has spent so far (see [`crate::Bounds`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Spent {
    /// Crash-and-restart actions taken.
    pub crashes: u8,
    /// Proposals made (also the next proposal's payload).
    pub proposals: u8,
    /// Heartbeat rounds taken.
    pub heartbeats: u8,
    /// Messages duplicated.
    pub duplicates: u8,
}

/// One state of the whole cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterState {
    /// The nodes, node id `i + 1` at index `i`; shared with the states
    /// before and after until changed (copy on write: a step changes one
    /// node, so a successor state costs one node, not all of them).
    pub nodes: Vec<Arc<NodeState>>,
    /// The messages in flight.
    pub network: Network,
    /// The budgets spent on the path to this state.
    pub spent: Spent,
    /// The shared invariants' memory of the path (leaders per term,
    /// entries seen, committed indices, applied chains).
    pub invariants: Invariants,
    /// The first invariant broken on the path, if any (nothing happens
    /// after it: the state has no successors).
    pub violation: Option<Violation>,
}

impl ClusterState {
    /// The node with id `id`.
    pub fn node(&self, id: u64) -> &NodeState {
        &self.nodes[(id - 1) as usize]
    }

    /// The node with id `id`, for changing.
    pub fn node_mut(&mut self, id: u64) -> &mut NodeState {
        Arc::make_mut(&mut self.nodes[(id - 1) as usize])
    }

    /// Whether no broken invariant of this name was recorded.
    pub fn holds(&self, invariant: &str) -> bool {
        self.violation
            .as_ref()
            .is_none_or(|v| v.invariant != invariant)
    }

    /// Whether some node leads.
    pub fn has_leader(&self) -> bool {
        self.nodes.iter().any(|n| n.core.role() == Role::Leader)
    }

    /// Whether some node counts a client's command committed.
    pub fn command_committed(&self) -> bool {
        self.nodes.iter().any(|n| {
            (1..=n.core.commit_index()).any(|i| {
                n.core
                    .entry(i)
                    .is_some_and(|e| matches!(e.payload, faultline_raft::EntryPayload::Command(_)))
            })
        })
    }

    /// Notes a broken invariant (only the first one on a path counts).
    pub fn record(&mut self, result: Result<(), Violation>) {
        if let (Err(violation), None) = (result, &self.violation) {
            self.violation = Some(violation);
        }
    }
}
