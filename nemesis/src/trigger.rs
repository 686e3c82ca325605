//! Protocol-aware faults: kinds that strike on a cluster event rather than
//! on the clock alone. At its scheduled start such a fault is armed; it
//! fires at the first step where its [`Trigger`] sees the event, against
//! the node the event names (crash the node that just granted a vote,
//! isolate the leader that holds uncommitted entries, crash or isolate a
//! leader elected a moment ago before an entry of its term committed, crash
//! a leader the moment it commits, before its followers hear of it), and
//! it stops at its scheduled stop. A fault whose event never came does
//! nothing and records nothing.
//!
//! The triggers read each node's state through [`FaultTarget::protocol_view`]
//! (the harness sees everything), comparing it with the previous step's.
//!
//! [`FaultTarget::protocol_view`]: crate::target::FaultTarget::protocol_view

use faultline_raft::{LogIndex, NodeId, Term};

/// What a protocol-aware fault waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A node granted a vote to another node (its durable vote changed).
    VoteGranted,
    /// A node just became leader of a new term and no entry of that term is
    /// committed yet.
    NewLeaderUncommitted,
    /// The leader holds entries beyond its commit index.
    LeaderUncommitted,
    /// The leader just advanced its commit index in the term it led
    /// before: the followers learn the new index only with its next message.
    LeaderCommitted,
}

/// One node's state as the triggers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeState {
    /// The node.
    pub id: NodeId,
    /// Whether it runs.
    pub running: bool,
    /// Whether it believes it leads.
    pub leads: bool,
    /// Whether it campaigns for votes (a candidate, not a pre-candidate).
    pub campaigning: bool,
    /// Whether it follows a leader it heard from in its term.
    pub knows_leader: bool,
    /// Its durable term.
    pub term: Term,
    /// The candidate it voted for in `term`.
    pub voted_for: Option<NodeId>,
    /// Its commit index.
    pub commit_index: LogIndex,
    /// Its last log index.
    pub last_index: LogIndex,
    /// Whether the entry at its commit index is of its current term.
    pub committed_own_term: bool,
}

impl Trigger {
    /// The node the event names, if it happened between `before` and
    /// `now` (both one entry per node, by id).
    pub fn fired(self, before: &[NodeState], now: &[NodeState]) -> Option<NodeId> {
        let was = |id: NodeId| before.iter().find(|b| b.id == id);
        now.iter().filter(|n| n.running).find_map(|n| {
            let hit = match self {
                Trigger::VoteGranted => {
                    let voted = n.voted_for.is_some_and(|c| c != n.id);
                    voted
                        && was(n.id).is_some_and(|b| (b.term, b.voted_for) != (n.term, n.voted_for))
                }
                Trigger::NewLeaderUncommitted => {
                    n.leads
                        && !n.committed_own_term
                        && was(n.id).is_some_and(|b| !b.leads || b.term != n.term)
                }
                Trigger::LeaderUncommitted => n.leads && n.last_index > n.commit_index,
                Trigger::LeaderCommitted => {
                    n.leads
                        && was(n.id).is_some_and(|b| {
                            b.leads && b.term == n.term && b.commit_index < n.commit_index
                        })
                }
            };
            hit.then_some(n.id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: NodeId, term: Term) -> NodeState {
        NodeState {
            id,
            running: true,
            term,
            ..NodeState::default()
        }
    }

    #[test]
    fn a_granted_vote_fires_once_on_the_voter() {
        let before = [node(1, 1), node(2, 1)];
        let mut now = before;
        now[1].term = 2;
        now[1].voted_for = Some(1);
        assert_eq!(Trigger::VoteGranted.fired(&before, &now), Some(2));
        assert_eq!(Trigger::VoteGranted.fired(&now, &now), None);
        // A vote for itself (a candidate) is not a granted vote.
        let mut own = before;
        own[0].term = 2;
        own[0].voted_for = Some(1);
        assert_eq!(Trigger::VoteGranted.fired(&before, &own), None);
    }

    #[test]
    fn a_new_leader_fires_until_its_term_commits_but_an_old_one_does_not() {
        let before = [node(1, 1), node(2, 1)];
        let mut now = before;
        now[0].term = 2;
        now[0].leads = true;
        assert_eq!(Trigger::NewLeaderUncommitted.fired(&before, &now), Some(1));
        // Still leading the same term a step later: not new.
        assert_eq!(Trigger::NewLeaderUncommitted.fired(&now, &now), None);
        let mut committed = now;
        committed[0].committed_own_term = true;
        assert_eq!(
            Trigger::NewLeaderUncommitted.fired(&before, &committed),
            None
        );
    }

    #[test]
    fn a_leader_with_entries_past_its_commit_index_fires() {
        let mut now = [node(1, 3), node(2, 3)];
        now[1].leads = true;
        now[1].last_index = 7;
        now[1].commit_index = 7;
        assert_eq!(Trigger::LeaderUncommitted.fired(&now, &now), None);
        now[1].last_index = 8;
        assert_eq!(Trigger::LeaderUncommitted.fired(&now, &now), Some(2));
        now[1].running = false;
        assert_eq!(Trigger::LeaderUncommitted.fired(&now, &now), None);
    }

    #[test]
    fn a_leader_that_commits_fires_but_a_new_leader_or_a_follower_does_not() {
        let mut before = [node(1, 3), node(2, 3)];
        before[0].leads = true;
        before[0].commit_index = 4;
        before[1].commit_index = 4;
        let mut now = before;
        now[0].commit_index = 5;
        assert_eq!(Trigger::LeaderCommitted.fired(&before, &now), Some(1));
        assert_eq!(Trigger::LeaderCommitted.fired(&now, &now), None);
        // A follower learning the commit index is not the event.
        let mut follower = now;
        follower[1].commit_index = 5;
        assert_eq!(Trigger::LeaderCommitted.fired(&now, &follower), None);
        // Nor a leader of a new term whose commit index is its predecessor's.
        let mut elected = before;
        elected[1].leads = true;
        elected[1].term = 4;
        elected[1].commit_index = 6;
        assert_eq!(Trigger::LeaderCommitted.fired(&before, &elected), None);
    }
}
