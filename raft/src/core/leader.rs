//! The state that exists only while a node leads its term: the progress of
//! every other member, the read bookkeeping, a leadership transfer in
//! progress and the heartbeat timer.
//!
//! It lives inside [`crate::core::role::RoleState::Leader`], so it is created
//! fresh when a node wins an election and dropped when it steps down;
//! follower and candidate code has no `LeaderState` to touch.

use crate::core::progress::Progress;
use crate::core::quorum::{self, Quorum};
use crate::core::read_state::ReadState;
use crate::core::status::{PeerStatus, ProgressState};
use crate::types::{LogIndex, NodeId};
use std::collections::BTreeMap;

/// A leadership transfer in progress (thesis §3.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Transfer {
    /// The node that should become leader.
    target: NodeId,
    /// Ticks since the transfer started.
    elapsed_ticks: u64,
}

/// A leader's state for its term.
#[derive(Debug, Clone, Hash)]
pub(crate) struct LeaderState {
    /// Replication progress of every other member, by id.
    progress: BTreeMap<NodeId, Progress>,
    /// ReadIndex rounds, lease accounting and waiting reads.
    reads: ReadState,
    /// The leadership transfer under way, if any.
    transfer: Option<Transfer>,
    /// Ticks since the last heartbeat round.
    heartbeat_elapsed: u64,
}

impl LeaderState {
    /// A new leader whose log ends at `last_index`, tracking `peers`.
    pub(crate) fn new(peers: impl IntoIterator<Item = NodeId>, last_index: LogIndex) -> Self {
        LeaderState {
            progress: peers
                .into_iter()
                .map(|id| (id, Progress::new(last_index)))
                .collect(),
            reads: ReadState::default(),
            transfer: None,
            heartbeat_elapsed: 0,
        }
    }

    /// The tracked members, ascending.
    pub(crate) fn peers(&self) -> Vec<NodeId> {
        self.progress.keys().copied().collect()
    }

    /// The progress of `id`, if it is tracked.
    pub(crate) fn progress(&self, id: NodeId) -> Option<&Progress> {
        self.progress.get(&id)
    }

    /// The progress of `id`, if it is tracked, for updating.
    pub(crate) fn progress_mut(&mut self, id: NodeId) -> Option<&mut Progress> {
        self.progress.get_mut(&id)
    }

    /// How far `id`'s log is known to match ours (0 if it is not tracked).
    pub(crate) fn match_index(&self, id: NodeId) -> LogIndex {
        self.progress.get(&id).map_or(0, |p| p.match_index)
    }

    /// Tracks exactly `members` after a configuration change: drops the
    /// departed, starts new ones with a fresh progress at `last_index`.
    pub(crate) fn track(&mut self, members: &[NodeId], last_index: LogIndex) {
        self.progress.retain(|id, _| members.contains(id));
        for &m in members {
            self.progress
                .entry(m)
                .or_insert_with(|| Progress::new(last_index));
        }
    }

    /// Whether a quorum of voters (counting the leader `me`) was heard from
    /// since the last call; starts the next round of marks.
    pub(crate) fn heard_from_quorum<'a>(
        &mut self,
        quorum: impl Into<Quorum<'a>>,
        me: NodeId,
    ) -> bool {
        let active = quorum::has_quorum(quorum, |v| {
            v == me || self.progress.get(&v).is_some_and(|p| p.recent_active)
        });
        for pr in self.progress.values_mut() {
            pr.recent_active = false;
        }
        active
    }

    /// The members in Snapshot state sending a snapshot other than the one
    /// ending at `index`, ascending.
    pub(crate) fn sending_other_snapshot(&self, index: LogIndex) -> Vec<NodeId> {
        self.progress
            .iter()
            .filter(|(_, p)| p.state == ProgressState::Snapshot && p.snapshot_index != index)
            .map(|(&id, _)| id)
            .collect()
    }

    /// A view of every tracked member for [`crate::Status`].
    pub(crate) fn peer_statuses(&self) -> Vec<PeerStatus> {
        self.progress
            .iter()
            .map(|(&id, pr)| pr.status(id))
            .collect()
    }

    /// The read bookkeeping.
    pub(crate) fn reads(&self) -> &ReadState {
        &self.reads
    }

    /// The read bookkeeping, for updating.
    pub(crate) fn reads_mut(&mut self) -> &mut ReadState {
        &mut self.reads
    }

    /// Gives up the read bookkeeping (on stepping down).
    pub(crate) fn into_reads(self) -> ReadState {
        self.reads
    }

    /// The target of the transfer under way, if any.
    pub(crate) fn transfer_target(&self) -> Option<NodeId> {
        self.transfer.as_ref().map(|t| t.target)
    }

    /// Starts a transfer to `target` (replacing any other).
    pub(crate) fn start_transfer(&mut self, target: NodeId) {
        self.transfer = Some(Transfer {
            target,
            elapsed_ticks: 0,
        });
    }

    /// Stops any transfer under way.
    pub(crate) fn cancel_transfer(&mut self) {
        self.transfer = None;
    }

    /// Advances the transfer timer; abandons the transfer once it has run
    /// for `limit_ticks`. Returns whether it was abandoned.
    pub(crate) fn tick_transfer(&mut self, limit_ticks: u64) -> bool {
        let Some(transfer) = self.transfer.as_mut() else {
            return false;
        };
        transfer.elapsed_ticks = transfer.elapsed_ticks.saturating_add(1);
        if transfer.elapsed_ticks >= limit_ticks {
            self.transfer = None;
            return true;
        }
        false
    }

    /// Advances the heartbeat timer by one tick.
    pub(crate) fn tick_heartbeat(&mut self) {
        self.heartbeat_elapsed = self.heartbeat_elapsed.saturating_add(1);
    }

    /// Whether a heartbeat round is due every `interval_ticks`; restarts the
    /// timer if so.
    pub(crate) fn heartbeat_due(&mut self, interval_ticks: u64) -> bool {
        if self.heartbeat_elapsed >= interval_ticks {
            self.heartbeat_elapsed = 0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Membership;

    #[test]
    fn check_quorum_counts_the_leader_and_resets_the_marks() {
        let membership = Membership::new([1, 2, 3]);
        let mut leader = LeaderState::new([2, 3], 5);
        assert!(!leader.heard_from_quorum(&membership, 1));
        if let Some(p) = leader.progress_mut(3) {
            p.recent_active = true;
        }
        assert!(leader.heard_from_quorum(&membership, 1));
        assert!(!leader.heard_from_quorum(&membership, 1), "marks reset");
    }

    #[test]
    fn track_keeps_known_progress_and_adds_newcomers() {
        let mut leader = LeaderState::new([2, 3], 5);
        if let Some(p) = leader.progress_mut(2) {
            p.acknowledge(4);
        }
        leader.track(&[2, 4], 9);
        assert_eq!(leader.peers(), vec![2, 4]);
        assert_eq!(leader.match_index(2), 4);
        assert_eq!(leader.progress(4).map(|p| p.next_index), Some(10));
        assert_eq!(leader.match_index(3), 0);
    }

    #[test]
    fn a_transfer_is_abandoned_after_its_limit_and_heartbeats_come_due() {
        let mut leader = LeaderState::new([2], 0);
        leader.start_transfer(2);
        assert!(!leader.tick_transfer(2));
        assert!(leader.tick_transfer(2));
        assert_eq!(leader.transfer_target(), None);
        leader.tick_heartbeat();
        assert!(!leader.heartbeat_due(2));
        leader.tick_heartbeat();
        assert!(leader.heartbeat_due(2));
        assert!(!leader.heartbeat_due(2), "the timer restarted");
    }
}
