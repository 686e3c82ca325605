//! Log replication (Raft §5.3) and commitment (§5.4.2): proposals, batched
//! and pipelined AppendEntries, the follower's consistency check with
//! conflict hints, the leader's fast backtracking, and commit counting that
//! only ever counts entries of the leader's own term (Figure 8).

use crate::bugs::Bug;
use crate::core::api::{ProposalOutcome, ProposalResult};
use crate::core::error::RejectReason;
use crate::core::quorum::{self, Quorum};
use crate::core::raft::Raft;
use crate::core::status::ProgressState;
use crate::types::{Entry, EntryPayload, LogIndex, MessageBody, NodeId, Term};

impl Raft {
    /// A tick on a leader: heartbeats, check-quorum and the transfer timer.
    pub(super) fn tick_leader(&mut self) {
        if let Some(leader) = self.role.leader_mut() {
            leader.tick_heartbeat();
        }
        self.election_elapsed = self.election_elapsed.saturating_add(1);
        if self.election_elapsed >= self.config.election_ticks {
            self.election_elapsed = 0;
            let check_quorum = self.config.check_quorum && !self.bug(Bug::NoCheckQuorum);
            if check_quorum && !self.quorum_active() {
                self.counters.check_quorum_step_downs += 1;
                tracing::info!(
                    term = self.term,
                    "check-quorum: no quorum heard within an election timeout, stepping down"
                );
                let term = self.term;
                self.become_follower(term, None);
                return;
            }
        }
        if self.tick_transfer() {
            return;
        }
        let interval = self.config.heartbeat_ticks;
        if self
            .role
            .leader_mut()
            .is_some_and(|l| l.heartbeat_due(interval))
        {
            self.broadcast_heartbeat();
        }
    }

    /// Whether a quorum of voters (counting us) was heard from since the last
    /// check; resets the marks for the next round.
    fn quorum_active(&mut self) -> bool {
        let (quorum, me) = (Quorum::new(&self.membership, self.joint_rule()), self.id);
        self.role
            .leader_mut()
            .is_some_and(|l| l.heard_from_quorum(quorum, me))
    }

    /// Appends an application command if we lead and are not overloaded.
    pub(super) fn propose(&mut self, id: u64, data: Vec<u8>) {
        let transferring = self.role.leader().map(|l| l.transfer_target().is_some());
        let outcome = if transferring.is_none() {
            ProposalOutcome::NotLeader {
                leader_hint: self.leader,
            }
        } else if transferring == Some(true)
            || self.log.last_index().saturating_sub(self.commit)
                >= self.config.max_uncommitted_entries as u64
        {
            ProposalOutcome::Overloaded
        } else {
            let entry = Entry {
                term: self.term,
                index: self.log.last_index().saturating_add(1),
                payload: EntryPayload::Command(data),
            };
            let index = entry.index;
            self.log.push(entry.clone());
            self.output.queue_entries(vec![entry]);
            self.broadcast_append();
            ProposalOutcome::Appended {
                index,
                term: self.term,
            }
        };
        if matches!(outcome, ProposalOutcome::Appended { .. }) {
            self.counters.proposals_appended += 1;
        } else {
            self.counters.proposals_refused += 1;
        }
        self.output.proposals.push(ProposalResult { id, outcome });
    }

    /// Sends entries to every follower whose window has room.
    pub(super) fn broadcast_append(&mut self) {
        for peer in self.leader_peers() {
            while self.send_append(peer, false) {}
        }
    }

    /// Sends one heartbeat round to every follower: it confirms leadership
    /// for reads and leases (a fresh read round), retries a paused probe and
    /// a snapshot chunk that got no answer.
    pub(super) fn broadcast_heartbeat(&mut self) {
        self.new_read_round();
        for peer in self.leader_peers() {
            let Some(pr) = self.role.progress_mut(peer) else {
                continue;
            };
            match pr.state {
                ProgressState::Probe => {
                    pr.probe_sent = false;
                    self.send_append(peer, true);
                }
                ProgressState::Replicate => {
                    self.send_heartbeat(peer);
                    while self.send_append(peer, false) {}
                }
                ProgressState::Snapshot => {
                    let resend = pr.chunk_sent;
                    self.send_heartbeat(peer);
                    if resend {
                        self.send_snapshot_chunk(peer);
                    }
                }
            }
        }
    }

    /// An empty AppendEntries at the follower's next index (or, when that is
    /// unknown, at its match index): confirms leadership and carries the
    /// commit index; a follower that lost in-flight entries rejects it, which
    /// sends the leader back to probing.
    fn send_heartbeat(&mut self, to: NodeId) {
        let Some(leader) = self.role.leader() else {
            return;
        };
        let Some(pr) = leader.progress(to) else {
            return;
        };
        let candidates = [pr.next_index.saturating_sub(1), pr.match_index, 0];
        let (prev_log_index, prev_log_term) = candidates
            .iter()
            .find_map(|&i| self.log.term(i).map(|t| (i, t)))
            .unwrap_or((0, 0));
        let body = MessageBody::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries: Vec::new(),
            leader_commit: self.commit,
            read_round: leader.reads().round(),
        };
        self.send(to, body);
    }

    /// Sends the next AppendEntries to `to` if its progress allows; with
    /// `allow_empty` a message goes out even without new entries (a probe).
    /// Starts a snapshot transfer when the entries it needs are compacted.
    /// Returns whether a message carrying entries was sent.
    pub(super) fn send_append(&mut self, to: NodeId, allow_empty: bool) -> bool {
        let max_inflight = self.config.max_inflight_msgs;
        let Some(leader) = self.role.leader() else {
            return false;
        };
        let read_round = leader.reads().round();
        let Some(pr) = leader.progress(to) else {
            return false;
        };
        if pr.state == ProgressState::Snapshot {
            return false;
        }
        let prev_log_index = pr.next_index.saturating_sub(1);
        let next_index = pr.next_index;
        let paused = pr.is_paused(max_inflight);
        let Some(prev_log_term) = self.log.term(prev_log_index) else {
            // The entries it needs are compacted (even if messages are still
            // in flight, they cannot bridge the gap once lost).
            self.start_snapshot_transfer(to);
            return false;
        };
        if paused {
            return false;
        }
        let entries = self.log.slice(
            next_index,
            self.config.max_entries_per_msg,
            self.config.max_bytes_per_msg,
        );
        if entries.is_empty() && !allow_empty {
            return false;
        }
        let carried = !entries.is_empty();
        let last_sent = prev_log_index.saturating_add(entries.len() as u64);
        let body = MessageBody::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit,
            read_round,
        };
        self.send(to, body);
        if let Some(pr) = self.role.progress_mut(to) {
            pr.sent_entries(last_sent, carried);
        }
        carried
    }

    /// A follower's side of AppendEntries from the leader of our term.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn handle_append(
        &mut self,
        from: NodeId,
        msg_term: Term,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: LogIndex,
        read_round: u64,
    ) -> Result<(), RejectReason> {
        // Well-formedness of peer-controlled data first.
        check_append_shape(msg_term, prev_log_index, prev_log_term, &entries)?;

        // Entries at or below our commit index are committed, hence in every
        // later leader's log: skip them rather than compare.
        let mut prev_index = prev_log_index;
        let mut prev_term = prev_log_term;
        let mut entries = entries;
        if prev_index < self.commit {
            let skip = usize::try_from(self.commit - prev_index)
                .unwrap_or(usize::MAX)
                .min(entries.len());
            for e in entries.iter().take(skip) {
                if self.log.term(e.index).is_some_and(|t| t != e.term) {
                    return Err(RejectReason::ConflictBelowCommit);
                }
            }
            entries.drain(..skip);
            prev_index = self.commit;
            prev_term = self.log.term(self.commit).unwrap_or(0);
            if entries.is_empty() {
                let match_index = self.commit.max(prev_log_index);
                self.reply_append_success(from, match_index, leader_commit, read_round);
                return Ok(());
            }
        }

        // The consistency check (Raft §5.3).
        match self.log.term(prev_index) {
            Some(t) if t == prev_term => {}
            found => {
                self.reply_append_conflict(from, prev_log_index, prev_index, found, read_round);
                return Ok(());
            }
        }

        let last_new = prev_index.saturating_add(entries.len() as u64);
        self.append_new_entries(from, entries)?;
        self.reply_append_success(from, last_new, leader_commit, read_round);
        Ok(())
    }

    /// Appends the entries our log does not hold yet; truncates only at a
    /// real conflict (never at or below our commit index).
    fn append_new_entries(
        &mut self,
        from: NodeId,
        mut entries: Vec<Entry>,
    ) -> Result<(), RejectReason> {
        let first_new = if self.bug(Bug::TruncateOnMatchingEntries) {
            Some(0).filter(|_| !entries.is_empty())
        } else {
            entries
                .iter()
                .position(|e| self.log.term(e.index) != Some(e.term))
        };
        let Some(pos) = first_new else {
            return Ok(());
        };
        let new = entries.split_off(pos);
        let Some(first) = new.first() else {
            return Ok(());
        };
        let conflict_at = first.index;
        if conflict_at <= self.commit {
            return Err(RejectReason::ConflictBelowCommit);
        }
        let truncated = conflict_at <= self.log.last_index();
        if truncated {
            tracing::info!(
                from_index = conflict_at,
                last_index = self.log.last_index(),
                leader = from,
                "conflicting entries: truncating the log"
            );
            self.log.truncate_from(conflict_at);
            self.persisted = self.persisted.min(conflict_at - 1);
        }
        let has_membership = new
            .iter()
            .any(|e| matches!(e.payload, EntryPayload::Membership(_)));
        for e in &new {
            self.log.push(e.clone());
        }
        self.output.queue_entries(new);
        if truncated || has_membership {
            self.refresh_membership();
        }
        Ok(())
    }

    /// Refuses entries whose predecessor at `prev_index` we lack (`found`
    /// is `None`) or hold with another term, with a hint for the leader: our
    /// log's end, or the start of the conflicting term's run (never at or
    /// below our commit index). `rejected_index` is the request's own
    /// `prev_log_index`, echoed so the leader can tell current from stale.
    fn reply_append_conflict(
        &mut self,
        to: NodeId,
        rejected_index: LogIndex,
        prev_index: LogIndex,
        found: Option<Term>,
        read_round: u64,
    ) {
        let (conflict_term, conflict_index) = match found {
            None => (None, self.log.last_index().saturating_add(1)),
            Some(t) => (
                Some(t),
                self.log
                    .first_index_of_term_run(prev_index)
                    .max(self.commit.saturating_add(1)),
            ),
        };
        self.send(
            to,
            MessageBody::AppendEntriesResponse {
                success: false,
                match_index: 0,
                conflict_term,
                conflict_index,
                rejected_index,
                read_round,
            },
        );
    }

    /// Advances the commit index as far as the leader allows and `match_index`
    /// proves, then acknowledges.
    fn reply_append_success(
        &mut self,
        to: NodeId,
        match_index: LogIndex,
        leader_commit: LogIndex,
        read_round: u64,
    ) {
        let proven = if self.bug(Bug::FollowerCommitToLastIndex) {
            self.log.last_index()
        } else {
            match_index
        };
        let new_commit = leader_commit.min(proven).min(self.log.last_index());
        if new_commit > self.commit {
            self.commit = new_commit;
        }
        self.send(
            to,
            MessageBody::AppendEntriesResponse {
                success: true,
                match_index,
                conflict_term: None,
                conflict_index: 0,
                rejected_index: 0,
                read_round,
            },
        );
    }

    /// A leader's side of an AppendEntries answer in its term.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn handle_append_response(
        &mut self,
        from: NodeId,
        success: bool,
        match_index: LogIndex,
        conflict_term: Option<Term>,
        conflict_index: LogIndex,
        rejected_index: LogIndex,
        read_round: u64,
    ) -> Result<(), RejectReason> {
        if !self.role.is_leader() {
            return Ok(());
        }
        if success && match_index > self.log.last_index() {
            return Err(RejectReason::IndexOutOfRange);
        }
        let Some(pr) = self.role.progress_mut(from) else {
            return Err(RejectReason::UnknownPeer);
        };
        pr.recent_active = true;
        self.record_read_ack(from, read_round);
        let Some(pr) = self.role.progress_mut(from) else {
            return Ok(());
        };
        if !success {
            return self.handle_append_rejection(
                from,
                conflict_term,
                conflict_index,
                rejected_index,
            );
        }
        let advanced = pr.acknowledge(match_index);
        match pr.state {
            ProgressState::Probe => pr.become_replicate(),
            ProgressState::Snapshot if pr.match_index >= pr.snapshot_index => pr.become_probe(),
            _ => {}
        }
        if advanced {
            // Followers learn a new commit index with the next message.
            self.maybe_commit();
        }
        self.maybe_send_timeout_now(from);
        while self.send_append(from, false) {}
        Ok(())
    }

    /// A follower refused the AppendEntries whose `prev_log_index` was
    /// `rejected_index`. Only the answer to what the leader is waiting on
    /// counts (in Probe, the probe at `next_index - 1`; in Replicate, a
    /// message sent past what is known to match): the other answers of a
    /// pipelined window, duplicates and reordered ones are stale and
    /// ignored, so a window of refusals costs one probe, not one each (the
    /// message storm of answering every refusal). A current refusal at the
    /// match index means the follower lost entries it acknowledged (a
    /// damaged disk): the leader believes it and backs its match index off,
    /// or the follower could never catch up.
    fn handle_append_rejection(
        &mut self,
        from: NodeId,
        conflict_term: Option<Term>,
        conflict_index: LogIndex,
        rejected_index: LogIndex,
    ) -> Result<(), RejectReason> {
        let last_index = self.log.last_index();
        // Fast backtracking: jump past the follower's conflicting term, or
        // to the end of its log.
        let hint = match conflict_term {
            Some(t) => self
                .log
                .last_index_of_term(t, last_index)
                .map_or(conflict_index, |i| i.saturating_add(1)),
            None => conflict_index,
        };
        let Some(pr) = self.role.progress_mut(from) else {
            return Ok(());
        };
        let current = match pr.state {
            ProgressState::Snapshot => false,
            ProgressState::Probe => rejected_index.saturating_add(1) == pr.next_index,
            ProgressState::Replicate => (pr.match_index..pr.next_index).contains(&rejected_index),
        };
        if !current {
            return Err(RejectReason::StaleRejection);
        }
        if rejected_index <= pr.match_index {
            pr.match_index = hint.saturating_sub(1).min(rejected_index.saturating_sub(1));
        }
        pr.next_index = hint
            .min(rejected_index)
            .min(last_index.saturating_add(1))
            .max(pr.match_index.saturating_add(1));
        pr.become_probe();
        self.send_append(from, true);
        Ok(())
    }

    /// A `Persisted` notice: our own log counts towards commitment up to it.
    pub(super) fn handle_persisted(
        &mut self,
        index: LogIndex,
        term: Term,
    ) -> Result<(), RejectReason> {
        if index <= self.persisted {
            return Ok(());
        }
        if self.log.term(index) != Some(term) {
            return Err(RejectReason::StalePersisted);
        }
        self.persisted = index;
        if self.role.is_leader() {
            self.maybe_commit();
        }
        Ok(())
    }

    /// Commits the highest index a quorum of voters holds, if it is of our
    /// term (Figure 8: older entries commit only indirectly). Our own log
    /// counts only as far as it is persisted. Returns whether commit moved.
    pub(super) fn maybe_commit(&mut self) -> bool {
        let Some(leader) = self.role.leader() else {
            return false;
        };
        let candidate = quorum::committed_index(self.quorum(), |v| {
            if v == self.id {
                self.persisted.min(self.log.last_index())
            } else {
                leader.match_index(v)
            }
        });
        let candidate = if self.bug(Bug::CommitQuorumOffByOne) {
            quorum::index_reached_by_one_fewer(self.quorum(), |v| {
                if v == self.id {
                    self.persisted.min(self.log.last_index())
                } else {
                    leader.match_index(v)
                }
            })
        } else {
            candidate
        };
        let of_our_term = self.log.term(candidate) == Some(self.term);
        if candidate > self.commit && (of_our_term || self.bug(Bug::Figure8Commit)) {
            let first_in_term = self.log.term(self.commit) != Some(self.term);
            self.commit = candidate;
            if first_in_term {
                self.release_reads_waiting_for_commit();
            }
            return true;
        }
        false
    }
}

/// Checks the shape of peer-controlled AppendEntries data: entries follow
/// `prev_log_index` contiguously, their terms never go backwards from
/// `prev_log_term`, and no term exceeds the sender's.
fn check_append_shape(
    msg_term: Term,
    prev_log_index: LogIndex,
    prev_log_term: Term,
    entries: &[Entry],
) -> Result<(), RejectReason> {
    let mut expected_term = prev_log_term;
    for (k, entry) in entries.iter().enumerate() {
        let expected_index = prev_log_index.checked_add(k as u64 + 1);
        if Some(entry.index) != expected_index {
            return Err(RejectReason::IndexOutOfRange);
        }
        if entry.term < expected_term || entry.term > msg_term {
            return Err(RejectReason::MalformedEntries);
        }
        expected_term = entry.term;
    }
    if prev_log_term > msg_term {
        return Err(RejectReason::MalformedEntries);
    }
    Ok(())
}
