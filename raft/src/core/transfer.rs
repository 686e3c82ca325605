//! Leadership transfer (thesis §3.10): the leader stops taking proposals,
//! brings the target's log up to date, then sends it `TimeoutNow` so it
//! campaigns at once (skipping pre-vote, past the voters' leader leases).
//! The transfer is abandoned after an election timeout.

use crate::core::error::RejectReason;
use crate::core::raft::Raft;
use crate::core::status::Role;
use crate::types::{MessageBody, NodeId};

/// A leadership transfer in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transfer {
    /// The node that should become leader.
    pub(crate) target: NodeId,
    /// Ticks since the transfer started.
    pub(crate) elapsed_ticks: u64,
}

impl Raft {
    /// Starts handing leadership to `to`.
    pub(crate) fn transfer_leadership(&mut self, to: NodeId) -> Result<(), RejectReason> {
        if self.role != Role::Leader {
            return Err(RejectReason::NotLeader);
        }
        if to == self.id {
            self.transfer = None;
            return Ok(());
        }
        if !self.membership.voters.contains(&to) || !self.progress.contains_key(&to) {
            return Err(RejectReason::UnknownPeer);
        }
        if self.transfer.as_ref().is_some_and(|t| t.target == to) {
            return Ok(());
        }
        self.transfer = Some(Transfer {
            target: to,
            elapsed_ticks: 0,
        });
        self.counters.transfers_started += 1;
        tracing::info!(to, "leadership transfer started");
        if !self.maybe_send_timeout_now(to) {
            self.send_append(to, true);
        }
        Ok(())
    }

    /// Sends `TimeoutNow` if `peer` is the transfer target and has our whole
    /// log. Returns whether it was sent.
    pub(crate) fn maybe_send_timeout_now(&mut self, peer: NodeId) -> bool {
        let is_target = self.transfer.as_ref().is_some_and(|t| t.target == peer);
        let caught_up = self
            .progress
            .get(&peer)
            .is_some_and(|p| p.match_index == self.log.last_index());
        if !is_target || !caught_up {
            return false;
        }
        self.reads.revoke_lease();
        self.counters.transfers_timeout_now_sent += 1;
        self.send(peer, MessageBody::TimeoutNow);
        true
    }

    /// Advances the transfer timer; abandons the transfer after an election
    /// timeout. Returns whether it was abandoned.
    pub(crate) fn tick_transfer(&mut self) -> bool {
        let Some(transfer) = self.transfer.as_mut() else {
            return false;
        };
        transfer.elapsed_ticks = transfer.elapsed_ticks.saturating_add(1);
        if transfer.elapsed_ticks >= self.config.election_ticks {
            self.transfer = None;
            self.counters.transfers_aborted += 1;
            tracing::info!("leadership transfer abandoned after an election timeout");
            return true;
        }
        false
    }

    /// `TimeoutNow` from the leader of our term: campaign immediately.
    pub(crate) fn handle_timeout_now(&mut self, from: NodeId) -> Result<(), RejectReason> {
        if self.role == Role::Leader || self.leader.is_some_and(|l| l != from) {
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
