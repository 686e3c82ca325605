//! A leader's read bookkeeping for its term (thesis §6.4): the heartbeat
//! rounds it sent and when, the highest round each follower answered, and
//! the reads waiting for a round to be confirmed or for the term's first
//! commit. Pure data: `read.rs` decides when reads are served.

use crate::core::quorum::{self, Quorum};
use crate::types::{LogIndex, NodeId};
use std::collections::{BTreeMap, VecDeque};

/// How many sent rounds are remembered for lease accounting.
const ROUND_HISTORY_MAX: usize = 256;

/// A read waiting for its heartbeat round to be confirmed.
#[derive(Debug, Clone, Hash)]
pub(crate) struct PendingRead {
    /// The caller's id for the read.
    pub(crate) id: u64,
    /// The read index: the commit index when the read arrived.
    pub(crate) index: LogIndex,
    /// The heartbeat round that must be confirmed first.
    round: u64,
}

/// A leader's read bookkeeping for its current term.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadState {
    /// The latest heartbeat round sent (0: none yet).
    round: u64,
    /// When recent rounds were sent: `(round, tick)`, ascending.
    sent_at: VecDeque<(u64, u64)>,
    /// The highest round each follower has answered.
    acked: BTreeMap<NodeId, u64>,
    /// Reads waiting for a round to be confirmed, ascending by round.
    pending: VecDeque<PendingRead>,
    /// Reads waiting for the first commit of the leader's term.
    waiting_for_commit: Vec<u64>,
    /// Set once a TimeoutNow went out: the target may be elected before our
    /// lease runs out, so leases stay off for the rest of the term.
    lease_revoked: bool,
}

impl std::hash::Hash for ReadState {
    /// Everything but `sent_at`, whose tick stamps only time leases: an
    /// explorer that does not model ticks (nor leases) must not tell two
    /// states apart by them.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.round.hash(state);
        self.acked.hash(state);
        self.pending.hash(state);
        self.waiting_for_commit.hash(state);
        self.lease_revoked.hash(state);
    }
}

impl ReadState {
    /// The latest round sent.
    pub(crate) fn round(&self) -> u64 {
        self.round
    }

    /// Reads not yet answered.
    pub(crate) fn pending_count(&self) -> usize {
        self.pending.len() + self.waiting_for_commit.len()
    }

    /// Stops lease reads until the next term.
    pub(crate) fn revoke_lease(&mut self) {
        self.lease_revoked = true;
    }

    /// Whether leases are off for the rest of the term.
    pub(crate) fn lease_revoked(&self) -> bool {
        self.lease_revoked
    }

    /// Parks a read until the leader's first commit in its term.
    pub(crate) fn wait_for_commit(&mut self, id: u64) {
        self.waiting_for_commit.push(id);
    }

    /// The reads parked until the first commit, oldest first.
    pub(crate) fn take_waiting_for_commit(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.waiting_for_commit)
    }

    /// Parks a read at `index` until the latest round is confirmed.
    pub(crate) fn wait_for_round(&mut self, id: u64, index: LogIndex) {
        let round = self.round;
        self.pending.push_back(PendingRead { id, index, round });
    }

    /// Starts a new heartbeat round sent at tick `now` (the caller sends the
    /// heartbeats).
    pub(crate) fn new_round(&mut self, now: u64) {
        self.round = self.round.saturating_add(1);
        self.sent_at.push_back((self.round, now));
        while self.sent_at.len() > ROUND_HISTORY_MAX {
            self.sent_at.pop_front();
        }
    }

    /// Records that `from` answered a message of round `round`; returns
    /// whether that raised the highest round it answered.
    pub(crate) fn record_ack(&mut self, from: NodeId, round: u64) -> bool {
        if round == 0 || round > self.round {
            return false;
        }
        let acked = self.acked.entry(from).or_insert(0);
        if round <= *acked {
            return false;
        }
        *acked = round;
        true
    }

    /// The highest round a quorum of voters has answered (the leader `me`
    /// answers every round it sends).
    pub(crate) fn quorum_round<'a>(&self, quorum: impl Into<Quorum<'a>>, me: NodeId) -> u64 {
        quorum::committed_index(quorum, |v| {
            if v == me {
                self.round
            } else {
                self.acked.get(&v).copied().unwrap_or(0)
            }
        })
    }

    /// The tick at which `round` was sent, if it is still remembered.
    pub(crate) fn sent_at(&self, round: u64) -> Option<u64> {
        self.sent_at
            .iter()
            .find(|(r, _)| *r == round)
            .map(|(_, tick)| *tick)
    }

    /// The oldest waiting read whose round is at most `confirmed`, if any.
    pub(crate) fn pop_confirmed(&mut self, confirmed: u64) -> Option<PendingRead> {
        if self.pending.front().is_some_and(|r| r.round <= confirmed) {
            self.pending.pop_front()
        } else {
            None
        }
    }

    /// Every read not yet answered, in the order they are refused: those
    /// waiting for the first commit, then those waiting for a round.
    pub(crate) fn into_unanswered(self) -> impl Iterator<Item = u64> {
        self.waiting_for_commit
            .into_iter()
            .chain(self.pending.into_iter().map(|r| r.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Membership;

    #[test]
    fn a_round_is_confirmed_once_a_quorum_answered_it() {
        let membership = Membership::new([1, 2, 3]);
        let mut reads = ReadState::default();
        reads.new_round(10);
        reads.wait_for_round(7, 4);
        assert_eq!(reads.quorum_round(&membership, 1), 0);
        assert!(reads.pop_confirmed(0).is_none());
        assert!(reads.record_ack(2, 1));
        assert!(
            !reads.record_ack(2, 1),
            "a duplicate answer changes nothing"
        );
        assert!(!reads.record_ack(3, 2), "a round never sent is ignored");
        let confirmed = reads.quorum_round(&membership, 1);
        assert_eq!(confirmed, 1);
        assert_eq!(reads.sent_at(confirmed), Some(10));
        let read = reads.pop_confirmed(confirmed).expect("confirmed");
        assert_eq!((read.id, read.index), (7, 4));
        assert_eq!(reads.pending_count(), 0);
    }

    #[test]
    fn unanswered_reads_come_out_commit_waiters_first() {
        let mut reads = ReadState::default();
        reads.new_round(0);
        reads.wait_for_round(1, 5);
        reads.wait_for_commit(2);
        reads.wait_for_round(3, 5);
        assert_eq!(reads.pending_count(), 3);
        assert_eq!(reads.into_unanswered().collect::<Vec<_>>(), vec![2, 1, 3]);
    }

    #[test]
    fn only_the_latest_rounds_are_remembered() {
        let mut reads = ReadState::default();
        for tick in 0..(ROUND_HISTORY_MAX as u64 + 10) {
            reads.new_round(tick);
        }
        assert_eq!(reads.sent_at(1), None);
        assert_eq!(
            reads.sent_at(reads.round()),
            Some(ROUND_HISTORY_MAX as u64 + 9)
        );
    }
}
