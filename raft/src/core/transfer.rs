//! Leadership transfer (thesis §3.10): the leader stops taking proposals,
//! brings the target's log up to date, then sends it `TimeoutNow` so it
//! campaigns at once (skipping pre-vote, past the voters' leader leases).
//! The transfer is abandoned after an election timeout. The transfer itself
//! is part of the leader's state.

use crate::core::error::RejectReason;
use crate::core::raft::Raft;
use crate::types::{MessageBody, NodeId};

impl Raft {
    /// Starts handing leadership to `to`.
    pub(super) fn transfer_leadership(&mut self, to: NodeId) -> Result<(), RejectReason> {
        let Some(leader) = self.role.leader_mut() else {
            return Err(RejectReason::NotLeader);
        };
        if to == self.id {
            leader.cancel_transfer();
            return Ok(());
        }
        if !self.membership.is_voter(to) || leader.progress(to).is_none() {
            return Err(RejectReason::UnknownPeer);
        }
        if leader.transfer_target() == Some(to) {
            return Ok(());
        }
        leader.start_transfer(to);
        self.counters.transfers_started += 1;
        tracing::info!(to, "leadership transfer started");
        if !self.maybe_send_timeout_now(to) {
            self.send_append(to, true);
        }
        Ok(())
    }

    /// Sends `TimeoutNow` if `peer` is the transfer target and has our whole
    /// log. Returns whether it was sent.
    pub(super) fn maybe_send_timeout_now(&mut self, peer: NodeId) -> bool {
        let last_index = self.log.last_index();
        let Some(leader) = self.role.leader_mut() else {
            return false;
        };
        let is_target = leader.transfer_target() == Some(peer);
        let caught_up = leader
            .progress(peer)
            .is_some_and(|p| p.match_index == last_index);
        if !is_target || !caught_up {
            return false;
        }
        leader.reads_mut().revoke_lease();
        self.counters.transfers_timeout_now_sent += 1;
        self.send(peer, MessageBody::TimeoutNow);
        true
    }

    /// Advances the transfer timer; abandons the transfer after an election
    /// timeout. Returns whether it was abandoned.
    pub(super) fn tick_transfer(&mut self) -> bool {
        let limit_ticks = self.config.election_ticks;
        let abandoned = self
            .role
            .leader_mut()
            .is_some_and(|l| l.tick_transfer(limit_ticks));
        if abandoned {
            self.counters.transfers_aborted += 1;
            tracing::info!("leadership transfer abandoned after an election timeout");
        }
        abandoned
    }

    /// `TimeoutNow` from the leader of our term: campaign immediately.
    pub(super) fn handle_timeout_now(&mut self, from: NodeId) -> Result<(), RejectReason> {
        if self.role.is_leader() || self.leader.is_some_and(|l| l != from) {
            return Err(RejectReason::UnexpectedMessage);
        }
        if !self.promotable() {
            return Err(RejectReason::UnexpectedMessage);
        }
        tracing::info!(from, "TimeoutNow: campaigning at once");
        self.campaign(true);
        Ok(())
    }
}
