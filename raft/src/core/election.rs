//! Leader election (Raft §5.2, §5.4.1): randomized timers, pre-vote
//! (thesis §9.6), votes with the up-to-date check, leader stickiness
//! (thesis §4.2.3) and the role transitions.

use crate::bugs::Bug;
use crate::core::leader::LeaderState;
use crate::core::quorum::{self, VoteResult};
use crate::core::raft::Raft;
use crate::core::role::{RoleState, Votes};
use crate::core::status::Role;
use crate::types::{Entry, EntryPayload, MessageBody, NodeId, Term};
use rand::Rng;

impl Raft {
    /// Draws a new election timeout in `[T, 2T)` (or takes `T` without
    /// jitter) and restarts the timer.
    pub(super) fn reset_election_timer(&mut self) {
        let base = self.config.election_ticks;
        self.election_elapsed = 0;
        let jitter = if self.config.election_jitter {
            self.rng.gen_range(0..base)
        } else {
            0
        };
        self.election_timeout = base.saturating_add(jitter);
    }

    /// Whether we heard from a live leader within the election timeout, so
    /// vote requests are ignored (needs check-quorum, which bounds how long a
    /// deposed leader can believe it still leads).
    pub(super) fn in_lease(&self) -> bool {
        self.config.check_quorum
            && self.leader.is_some()
            && self.election_elapsed < self.config.election_ticks
    }

    /// A tick on a follower or candidate: campaign when the timer expires.
    pub(super) fn tick_election(&mut self) {
        self.election_elapsed = self.election_elapsed.saturating_add(1);
        if self.election_elapsed >= self.election_timeout {
            if self.promotable() {
                self.campaign(false);
            } else {
                self.reset_election_timer();
            }
        }
    }

    /// Starts a pre-vote round, or with `transfer` (or pre-vote off) a real
    /// election.
    pub(super) fn campaign(&mut self, transfer: bool) {
        if self.config.pre_vote && !transfer {
            self.become_pre_candidate();
        } else {
            self.become_candidate(transfer);
        }
    }

    fn become_pre_candidate(&mut self) {
        self.step_down_common();
        self.role = RoleState::PreCandidate(Votes::from([(self.id, true)]));
        self.leader = None;
        self.reset_election_timer();
        self.counters.pre_votes_started += 1;
        if self.tally() == VoteResult::Won {
            self.become_candidate(false);
            return;
        }
        let next_term = self.term.saturating_add(1);
        tracing::debug!(
            next_term,
            last_index = self.log.last_index(),
            last_term = self.log.last_term(),
            "election timeout: asking for pre-votes"
        );
        self.request_votes(next_term, true, false);
    }

    fn become_candidate(&mut self, transfer: bool) {
        self.step_down_common();
        self.term = self.term.saturating_add(1);
        self.voted_for = Some(self.id);
        self.role = RoleState::Candidate(Votes::from([(self.id, true)]));
        self.leader = None;
        self.reset_election_timer();
        self.counters.elections_started += 1;
        if self.tally() == VoteResult::Won {
            self.become_leader();
            return;
        }
        let term = self.term;
        tracing::debug!(
            term,
            transfer,
            last_index = self.log.last_index(),
            last_term = self.log.last_term(),
            "campaigning"
        );
        self.request_votes(term, false, transfer);
    }

    fn request_votes(&mut self, term: Term, pre_vote: bool, transfer: bool) {
        let last_log_index = self.log.last_index();
        let last_log_term = self.log.last_term();
        let voters: Vec<NodeId> = self
            .membership
            .all_voters()
            .filter(|&v| v != self.id)
            .collect();
        for voter in voters {
            self.send_with_term(
                voter,
                term,
                MessageBody::RequestVote {
                    pre_vote,
                    last_log_index,
                    last_log_term,
                    transfer,
                },
            );
        }
    }

    /// Becomes leader of the current term: fresh leader state (progress for
    /// every member), a no-op entry (Raft §8) and a first round of
    /// AppendEntries.
    pub(super) fn become_leader(&mut self) {
        self.step_down_common();
        let last_index = self.log.last_index();
        let peers = self.membership.members().filter(|&m| m != self.id);
        self.role = RoleState::Leader(Box::new(LeaderState::new(peers, last_index)));
        self.leader = Some(self.id);
        self.election_elapsed = 0;
        self.counters.elections_won += 1;
        let noop = Entry {
            term: self.term,
            index: last_index.saturating_add(1),
            payload: EntryPayload::Noop,
        };
        self.log.push(noop.clone());
        self.output.queue_entries(vec![noop]);
        self.maybe_commit();
        self.broadcast_append();
    }

    /// Becomes a follower of `term` (a newer term clears the vote).
    pub(super) fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        debug_assert!(term >= self.term, "term never decreases");
        self.step_down_common();
        if term > self.term {
            self.term = term;
            self.voted_for = None;
        }
        self.leader = leader;
        self.reset_election_timer();
    }

    /// Leaves the current role (becoming a follower until the caller says
    /// otherwise), dropping its state; a leader refuses its waiting reads.
    fn step_down_common(&mut self) {
        if let RoleState::Leader(leader) = std::mem::replace(&mut self.role, RoleState::Follower) {
            self.fail_pending_reads(leader.into_reads());
        }
    }

    /// Answers a (pre-)vote request in our term (or, for a pre-vote, a
    /// request for a future term that did not change ours).
    pub(super) fn handle_request_vote(
        &mut self,
        from: NodeId,
        msg_term: Term,
        pre_vote: bool,
        last_log_index: u64,
        last_log_term: Term,
    ) {
        let up_to_date = if self.bug(Bug::UpToDateByLength) {
            last_log_index >= self.log.last_index()
        } else {
            (last_log_term, last_log_index) >= (self.log.last_term(), self.log.last_index())
        };
        if pre_vote {
            let granted = msg_term > self.term && up_to_date;
            tracing::debug!(
                candidate = from,
                term = msg_term,
                granted,
                up_to_date,
                "pre-vote request"
            );
            let reply_term = if granted { msg_term } else { self.term };
            self.send_with_term(
                from,
                reply_term,
                MessageBody::RequestVoteResponse {
                    pre_vote: true,
                    granted,
                },
            );
            return;
        }
        let can_vote =
            self.voted_for == Some(from) || (self.voted_for.is_none() && self.leader.is_none());
        let granted = can_vote && up_to_date;
        tracing::debug!(
            candidate = from,
            term = msg_term,
            granted,
            up_to_date,
            voted_for = ?self.voted_for,
            "vote request"
        );
        if granted {
            self.voted_for = Some(from);
            self.election_elapsed = 0;
        }
        self.send(
            from,
            MessageBody::RequestVoteResponse {
                pre_vote: false,
                granted,
            },
        );
    }

    /// Counts a (pre-)vote answer; late or mismatched answers are ignored.
    pub(super) fn handle_vote_response(
        &mut self,
        from: NodeId,
        msg_term: Term,
        pre_vote: bool,
        granted: bool,
    ) {
        let relevant = match (self.role.role(), pre_vote) {
            (Role::PreCandidate, true) => {
                if granted {
                    msg_term == self.term.saturating_add(1)
                } else {
                    msg_term == self.term
                }
            }
            (Role::Candidate, false) => {
                msg_term == self.term || (self.bug(Bug::VoteFromEarlierTerm) && granted)
            }
            _ => false,
        };
        if !relevant || !self.membership.is_voter(from) {
            return;
        }
        if let Some(votes) = self.role.votes_mut() {
            votes.entry(from).or_insert(granted);
        }
        match self.tally() {
            VoteResult::Won if self.role.role() == Role::PreCandidate => {
                self.become_candidate(false)
            }
            VoteResult::Won => self.become_leader(),
            VoteResult::Lost => {
                let term = self.term;
                self.become_follower(term, None);
            }
            VoteResult::Pending => {}
        }
    }

    /// Counts the votes of the campaign under way.
    fn tally(&self) -> VoteResult {
        let votes = self.role.votes();
        quorum::vote_result(self.quorum(), |v| votes.and_then(|m| m.get(&v)).copied())
    }
}
