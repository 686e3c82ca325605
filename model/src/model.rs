//! The stateright [`Model`] of a cluster of real Raft cores: its initial
//! state, the actions each state offers within the [`Bounds`], and the
//! properties checked in every state.
//!
//! The "always" properties are the shared invariants of
//! [`faultline_raft::invariants`], one property per invariant name, each
//! holding while no violation of that name was recorded on the path. The
//! "sometimes" properties show the bounds leave room for the interesting
//! things (a leader is elected, a client's command commits, a crashed node
//! comes back and leads): a search that never reaches them proves little.

use faultline_raft::invariants::names;
use faultline_raft::{Raft, Role};
use stateright::{Model, Property};
use std::sync::Arc;

use crate::action::Action;
use crate::bounds::Bounds;
use crate::exec::RECOVERY;
use crate::state::{ClusterState, NodeState, Spent};

/// The invariant names checked as "always" properties, in report order.
pub const ALWAYS: &[&str] = &[
    names::ELECTION_SAFETY,
    names::LOG_MATCHING,
    names::LEADER_COMPLETENESS,
    names::STATE_MACHINE_SAFETY,
    names::COMMIT_SAFETY,
    names::COMMIT_MONOTONIC,
    names::TERM_MONOTONIC,
    names::TERM_ADOPTION,
    names::STALE_TERM_REFUSED,
    names::VOTE_RESTRICTION,
    names::ELECTION_QUORUM,
    names::CURRENT_TERM_COMMIT,
    RECOVERY,
];

/// The name of the property that catches any other recorded violation.
pub const OTHER: &str = "other-invariants";

/// A cluster of real Raft cores under the given bounds.
#[derive(Debug, Clone)]
pub struct RaftModel {
    /// The bounds (validated by the caller).
    pub bounds: Bounds,
}

impl RaftModel {
    /// A model within `bounds`.
    pub fn new(bounds: Bounds) -> Self {
        RaftModel { bounds }
    }

    /// The one initial state: fresh nodes, nothing in flight.
    pub fn initial(&self) -> ClusterState {
        let nodes = self
            .bounds
            .ids()
            .map(|id| {
                Arc::new(NodeState {
                    core: Raft::new(self.bounds.config(id), self.bounds.membership(), id),
                    durable: Default::default(),
                    app: Default::default(),
                    rules: Default::default(),
                })
            })
            .collect();
        ClusterState {
            nodes,
            network: Default::default(),
            spent: Spent::default(),
            invariants: Default::default(),
            violation: None,
        }
    }

    fn node_actions(&self, state: &ClusterState, actions: &mut Vec<Action>) {
        let b = &self.bounds;
        for id in b.ids() {
            let core = &state.node(id).core;
            if core.role() == Role::Leader {
                if state.spent.heartbeats < b.heartbeats_max {
                    actions.push(Action::Heartbeat(id));
                }
                if state.spent.proposals < b.proposals_max && core.last_index() < b.log_len_max {
                    actions.push(Action::Propose(id));
                }
            } else if core.term() < b.term_max {
                actions.push(Action::Timeout(id));
            }
            if state.spent.crashes < b.crashes_max {
                actions.push(Action::Crash(id));
            }
        }
    }
}

fn holds(name: &'static str) -> fn(&RaftModel, &ClusterState) -> bool {
    // One function per name: stateright properties take plain fn pointers.
    match name {
        names::ELECTION_SAFETY => |_, s| s.holds(names::ELECTION_SAFETY),
        names::LOG_MATCHING => |_, s| s.holds(names::LOG_MATCHING),
        names::LEADER_COMPLETENESS => |_, s| s.holds(names::LEADER_COMPLETENESS),
        names::STATE_MACHINE_SAFETY => |_, s| s.holds(names::STATE_MACHINE_SAFETY),
        names::COMMIT_SAFETY => |_, s| s.holds(names::COMMIT_SAFETY),
        names::COMMIT_MONOTONIC => |_, s| s.holds(names::COMMIT_MONOTONIC),
        names::TERM_MONOTONIC => |_, s| s.holds(names::TERM_MONOTONIC),
        names::TERM_ADOPTION => |_, s| s.holds(names::TERM_ADOPTION),
        names::STALE_TERM_REFUSED => |_, s| s.holds(names::STALE_TERM_REFUSED),
        names::VOTE_RESTRICTION => |_, s| s.holds(names::VOTE_RESTRICTION),
        names::ELECTION_QUORUM => |_, s| s.holds(names::ELECTION_QUORUM),
        names::CURRENT_TERM_COMMIT => |_, s| s.holds(names::CURRENT_TERM_COMMIT),
        _ => |_, s| s.holds(RECOVERY),
    }
}

impl Model for RaftModel {
    type State = ClusterState;
    type Action = Action;

    fn init_states(&self) -> Vec<ClusterState> {
        vec![self.initial()]
    }

    fn actions(&self, state: &ClusterState, actions: &mut Vec<Action>) {
        if state.violation.is_some() {
            return;
        }
        for m in state.network.distinct() {
            actions.push(Action::Deliver(m.clone()));
        }
        if self.bounds.loss {
            for m in state.network.distinct() {
                actions.push(Action::Drop(m.clone()));
            }
        }
        if state.spent.duplicates < self.bounds.duplicates_max {
            for m in state.network.distinct() {
                actions.push(Action::Duplicate(m.clone()));
            }
        }
        self.node_actions(state, actions);
    }

    fn next_state(&self, last: &ClusterState, action: Action) -> Option<ClusterState> {
        let mut next = last.clone();
        next.apply(&self.bounds, &action)?;
        Some(next)
    }

    fn format_action(&self, action: &Action) -> String {
        action.to_string()
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut properties: Vec<Property<Self>> = ALWAYS
            .iter()
            .map(|&name| Property::always(name, holds(name)))
            .collect();
        properties.push(Property::always(
            OTHER,
            |_: &RaftModel, s: &ClusterState| {
                s.violation
                    .as_ref()
                    .is_none_or(|v| ALWAYS.contains(&v.invariant))
            },
        ));
        properties.push(Property::sometimes(
            SOMETIMES[0],
            |_: &RaftModel, s: &ClusterState| s.has_leader(),
        ));
        properties.push(Property::sometimes(
            SOMETIMES[1],
            |_: &RaftModel, s: &ClusterState| s.command_committed(),
        ));
        properties.push(Property::sometimes(
            SOMETIMES[2],
            |_: &RaftModel, s: &ClusterState| s.spent.crashes > 0 && s.has_leader(),
        ));
        properties
    }
}

/// The "sometimes" properties, which show the model is not vacuous.
pub const SOMETIMES: [&str; 3] = [
    "a leader is elected",
    "a client's command commits",
    "a leader exists after a crash",
];
