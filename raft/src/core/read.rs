//! Linearizable reads (thesis §6.4): ReadIndex confirmed by a quorum
//! answering a heartbeat round sent after the read arrived, and leader leases
//! (§6.4.1) measured from when a quorum-acknowledged round was sent, shorter
//! than the election timeout by `lease_drift_ticks`.
//!
//! A leader serves no read before it has committed an entry of its own term
//! (its no-op): until then its commit index may lag what earlier leaders
//! committed. Such reads wait, bounded by `max_uncommitted_entries`.
//!
//! The bookkeeping lives in the leader's [`ReadState`]; this file decides
//! when a read is answered.

use crate::bugs::Bug;
use crate::core::api::{ReadOutcome, ReadResult};
use crate::core::quorum::{self, Quorum};
use crate::core::raft::Raft;
use crate::core::read_state::ReadState;
use crate::types::NodeId;

impl Raft {
    /// A read request.
    pub(super) fn read(&mut self, id: u64) {
        let Some(leader) = self.role.leader() else {
            let leader_hint = self.leader;
            self.answer_read(id, ReadOutcome::NotLeader { leader_hint });
            return;
        };
        if leader.reads().pending_count() >= self.config.max_uncommitted_entries {
            // Bounded: a leader that cannot confirm reads sheds them.
            self.answer_read(id, ReadOutcome::NotLeader { leader_hint: None });
            return;
        }
        if self.log.term(self.commit) != Some(self.term) && !self.bug(Bug::ReadBeforeFirstCommit) {
            if let Some(reads) = self.role.reads_mut() {
                reads.wait_for_commit(id);
            }
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
        let single = quorum::has_quorum(self.quorum(), |v| v == self.id)
            || self.bug(Bug::ReadIndexNoHeartbeat);
        if single || self.lease_held() {
            for &id in ids {
                self.counters.reads_lease += u64::from(!single);
                self.counters.reads_read_index += u64::from(single);
                self.answer_read(id, ReadOutcome::Ready { index });
            }
            return;
        }
        self.broadcast_heartbeat();
        if let Some(reads) = self.role.reads_mut() {
            for &id in ids {
                reads.wait_for_round(id, index);
            }
        }
    }

    /// Called when the leader's first entry of its term commits.
    pub(super) fn release_reads_waiting_for_commit(&mut self) {
        let ids = self
            .role
            .reads_mut()
            .map(ReadState::take_waiting_for_commit)
            .unwrap_or_default();
        self.serve_reads(&ids);
    }

    /// Starts a new heartbeat round (the caller sends the heartbeats).
    pub(super) fn new_read_round(&mut self) {
        let now = self.ticks;
        if let Some(reads) = self.role.reads_mut() {
            reads.new_round(now);
        }
    }

    /// A follower answered a message of round `round` in our term.
    pub(super) fn record_read_ack(&mut self, from: NodeId, round: u64) {
        let (quorum, me) = (Quorum::new(&self.membership, self.joint_rule()), self.id);
        let Some(reads) = self.role.reads_mut() else {
            return;
        };
        if !reads.record_ack(from, round) {
            return;
        }
        let confirmed = reads.quorum_round(quorum, me);
        while let Some(read) = self
            .role
            .reads_mut()
            .and_then(|r| r.pop_confirmed(confirmed))
        {
            self.counters.reads_read_index += 1;
            self.answer_read(read.id, ReadOutcome::Ready { index: read.index });
        }
    }

    /// Whether the leader holds a read lease: lease mode with check-quorum
    /// (which makes voters ignore campaigns while they hear from us), a
    /// commit in our term, no transfer under way, and a quorum-answered round
    /// sent less than `election_ticks - lease_drift_ticks` ticks ago.
    /// Tells the core that some of the time that passed was not ticked (the
    /// driver caps catch-up ticks after a pause or a forward clock step):
    /// a lease measured in ticks would then outlast the real time it stands
    /// for, so a leader gives up lease reads for the rest of its term and
    /// confirms reads with heartbeat rounds instead (a process pause is the
    /// classic way a lease-holding leader serves stale reads).
    pub fn time_skipped(&mut self) {
        if let Some(reads) = self.role.reads_mut() {
            reads.revoke_lease();
        }
    }

    pub(super) fn lease_held(&self) -> bool {
        let Some(leader) = self.role.leader() else {
            return false;
        };
        if !self.lease_reads_enabled()
            || leader.reads().lease_revoked()
            || leader.transfer_target().is_some()
            || self.log.term(self.commit) != Some(self.term)
        {
            return false;
        }
        let drift_ticks = if self.bug(Bug::LeaseNoDriftBound) {
            0
        } else {
            self.config.lease_drift_ticks
        };
        let Some(mut lease_ticks) = self.config.election_ticks.checked_sub(drift_ticks) else {
            return false;
        };
        if self.bug(Bug::LeaseOutlivesElectionTimeout) {
            lease_ticks = self.config.election_ticks.saturating_mul(2);
        }
        let confirmed = leader.reads().quorum_round(self.quorum(), self.id);
        let sent_at = leader.reads().sent_at(confirmed);
        sent_at.is_some_and(|tick| self.ticks < tick.saturating_add(lease_ticks))
    }

    /// Refuses every read a leader that is stepping down left unanswered.
    pub(super) fn fail_pending_reads(&mut self, reads: ReadState) {
        let leader_hint = None;
        for id in reads.into_unanswered() {
            self.answer_read(id, ReadOutcome::NotLeader { leader_hint });
        }
    }

    fn answer_read(&mut self, id: u64, outcome: ReadOutcome) {
        if matches!(outcome, ReadOutcome::NotLeader { .. }) {
            self.counters.reads_refused += 1;
        }
        self.output.reads.push(ReadResult { id, outcome });
    }
}
