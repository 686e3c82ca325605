//! Linearizable reads (thesis §6.4): ReadIndex confirmed by a quorum
//! answering a heartbeat round sent after the read arrived, and leader leases
//! (§6.4.1) measured from when a quorum-acknowledged round was sent, shorter
//! than the election timeout by `lease_drift_ticks`.
//!
//! A leader serves no read before it has committed an entry of its own term
//! (its no-op): until then its commit index may lag what earlier leaders
//! committed. Such reads wait, bounded by `max_uncommitted_entries`.

use crate::core::api::{ReadOutcome, ReadResult};
use crate::core::quorum;
use crate::core::raft::Raft;
use crate::core::status::Role;
use crate::types::{LogIndex, NodeId};
use std::collections::{BTreeMap, VecDeque};

/// How many sent rounds are remembered for lease accounting.
const ROUND_HISTORY_MAX: usize = 256;

/// A read waiting for its heartbeat round to be confirmed.
#[derive(Debug, Clone)]
struct PendingRead {
    id: u64,
    index: LogIndex,
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
}

impl Raft {
    /// A read request.
    pub(crate) fn read(&mut self, id: u64) {
        if self.role != Role::Leader {
            let leader_hint = self.leader;
            self.answer_read(id, ReadOutcome::NotLeader { leader_hint });
            return;
        }
        if self.reads.pending_count() >= self.config.max_uncommitted_entries {
            // Bounded: a leader that cannot confirm reads sheds them.
            self.answer_read(id, ReadOutcome::NotLeader { leader_hint: None });
            return;
        }
        if self.log.term(self.commit) != Some(self.term) {
            self.reads.waiting_for_commit.push(id);
            return;
        }
        self.serve_reads(&[id]);
    }

    /// Serves reads now that the leader committed in its term: at once for a
    /// single voter or under a lease, otherwise after one heartbeat round.
    fn serve_reads(&mut self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        let index = self.commit;
        let single = quorum::has_quorum(&self.membership, |v| v == self.id);
        if single || self.lease_held() {
            for &id in ids {
                self.counters.reads_lease += u64::from(!single);
                self.counters.reads_read_index += u64::from(single);
                self.answer_read(id, ReadOutcome::Ready { index });
            }
            return;
        }
        self.broadcast_heartbeat();
        let round = self.reads.round;
        for &id in ids {
            self.reads
                .pending
                .push_back(PendingRead { id, index, round });
        }
    }

    /// Called when the leader's first entry of its term commits.
    pub(crate) fn release_reads_waiting_for_commit(&mut self) {
        let ids = std::mem::take(&mut self.reads.waiting_for_commit);
        self.serve_reads(&ids);
    }

    /// Starts a new heartbeat round (the caller sends the heartbeats).
    pub(crate) fn new_read_round(&mut self) {
        self.reads.round = self.reads.round.saturating_add(1);
        self.reads.sent_at.push_back((self.reads.round, self.ticks));
        while self.reads.sent_at.len() > ROUND_HISTORY_MAX {
            self.reads.sent_at.pop_front();
        }
    }

    /// A follower answered a message of round `round` in our term.
    pub(crate) fn record_read_ack(&mut self, from: NodeId, round: u64) {
        if round == 0 || round > self.reads.round {
            return;
        }
        let acked = self.reads.acked.entry(from).or_insert(0);
        if round <= *acked {
            return;
        }
        *acked = round;
        let confirmed = self.quorum_round();
        while self
            .reads
            .pending
            .front()
            .is_some_and(|r| r.round <= confirmed)
        {
            if let Some(read) = self.reads.pending.pop_front() {
                self.counters.reads_read_index += 1;
                self.answer_read(read.id, ReadOutcome::Ready { index: read.index });
            }
        }
    }

    /// The highest round a quorum of voters (counting us) has answered.
    fn quorum_round(&self) -> u64 {
        quorum::committed_index(&self.membership, |v| {
            if v == self.id {
                self.reads.round
            } else {
                self.reads.acked.get(&v).copied().unwrap_or(0)
            }
        })
    }

    /// Whether the leader holds a read lease: lease mode with check-quorum
    /// (which makes voters ignore campaigns while they hear from us), a
    /// commit in our term, no transfer under way, and a quorum-answered round
    /// sent less than `election_ticks - lease_drift_ticks` ticks ago.
    pub(crate) fn lease_held(&self) -> bool {
        if !self.lease_reads_enabled()
            || self.role != Role::Leader
            || self.reads.lease_revoked
            || self.transfer.is_some()
            || self.log.term(self.commit) != Some(self.term)
        {
            return false;
        }
        let Some(lease_ticks) = self
            .config
            .election_ticks
            .checked_sub(self.config.lease_drift_ticks)
        else {
            return false;
        };
        let confirmed = self.quorum_round();
        let sent_at = self
            .reads
            .sent_at
            .iter()
            .find(|(round, _)| *round == confirmed)
            .map(|(_, tick)| *tick);
        sent_at.is_some_and(|tick| self.ticks < tick.saturating_add(lease_ticks))
    }

    /// Refuses every waiting read (on losing leadership) and forgets the
    /// term's read state.
    pub(crate) fn fail_pending_reads(&mut self) {
        let state = std::mem::take(&mut self.reads);
        let leader_hint = None;
        for id in state.waiting_for_commit {
            self.answer_read(id, ReadOutcome::NotLeader { leader_hint });
        }
        for read in state.pending {
            self.answer_read(read.id, ReadOutcome::NotLeader { leader_hint });
        }
    }

    fn answer_read(&mut self, id: u64, outcome: ReadOutcome) {
        if matches!(outcome, ReadOutcome::NotLeader { .. }) {
            self.counters.reads_refused += 1;
        }
        self.output.reads.push(ReadResult { id, outcome });
    }
}
