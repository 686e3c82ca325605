//! The role a node plays, with the state that belongs to it alone: the votes
//! of a (pre-)campaign, or a leader's [`LeaderState`]. Leaving a role drops
//! its state, so none of it can leak into the next term or role.

use crate::core::leader::LeaderState;
use crate::core::progress::Progress;
use crate::core::read_state::ReadState;
use crate::core::status::Role;
use crate::types::NodeId;
use std::collections::BTreeMap;

/// Votes received in a (pre-)campaign: `true` granted, `false` refused.
pub(crate) type Votes = BTreeMap<NodeId, bool>;

/// A role and its private state.
#[derive(Debug, Clone, Hash)]
pub(crate) enum RoleState {
    /// Follows a leader (or waits for one).
    Follower,
    /// Asks for pre-votes (thesis §9.6).
    PreCandidate(Votes),
    /// Campaigns in its own term (Raft §5.2).
    Candidate(Votes),
    /// Leads its term.
    Leader(Box<LeaderState>),
}

impl RoleState {
    /// The public name of this role.
    pub(crate) fn role(&self) -> Role {
        match self {
            RoleState::Follower => Role::Follower,
            RoleState::PreCandidate(_) => Role::PreCandidate,
            RoleState::Candidate(_) => Role::Candidate,
            RoleState::Leader(_) => Role::Leader,
        }
    }

    /// Whether this node leads.
    pub(crate) fn is_leader(&self) -> bool {
        matches!(self, RoleState::Leader(_))
    }

    /// A leader's state.
    pub(crate) fn leader(&self) -> Option<&LeaderState> {
        match self {
            RoleState::Leader(leader) => Some(leader),
            _ => None,
        }
    }

    /// A leader's state, for updating.
    pub(crate) fn leader_mut(&mut self) -> Option<&mut LeaderState> {
        match self {
            RoleState::Leader(leader) => Some(leader),
            _ => None,
        }
    }

    /// A leader's progress of `id`.
    pub(crate) fn progress(&self, id: NodeId) -> Option<&Progress> {
        self.leader()?.progress(id)
    }

    /// A leader's progress of `id`, for updating.
    pub(crate) fn progress_mut(&mut self, id: NodeId) -> Option<&mut Progress> {
        self.leader_mut()?.progress_mut(id)
    }

    /// A leader's read bookkeeping, for updating.
    pub(crate) fn reads_mut(&mut self) -> Option<&mut ReadState> {
        Some(self.leader_mut()?.reads_mut())
    }

    /// The votes of a (pre-)campaign.
    pub(crate) fn votes(&self) -> Option<&Votes> {
        match self {
            RoleState::PreCandidate(votes) | RoleState::Candidate(votes) => Some(votes),
            _ => None,
        }
    }

    /// The votes of a (pre-)campaign, for recording one.
    pub(crate) fn votes_mut(&mut self) -> Option<&mut Votes> {
        match self {
            RoleState::PreCandidate(votes) | RoleState::Candidate(votes) => Some(votes),
            _ => None,
        }
    }
}
