//! Peer messages in: addressing, sender and term checks (Raft §5.1: a newer
//! term makes us a follower, an older one is refused, with an answer where
//! it helps the sender catch up), then dispatch to the handler of each
//! message kind. A leader's message in our term makes us follow it.

use crate::bugs::Bug;
use crate::core::error::RejectReason;
use crate::core::raft::Raft;
use crate::core::status::Role;
use crate::types::{Message, MessageBody, NodeId};

impl Raft {
    /// Validates a message's addressing and term, then dispatches it.
    pub(super) fn handle_message(&mut self, msg: Message) -> Result<(), RejectReason> {
        *self
            .counters
            .messages_received
            .entry(msg.body.kind())
            .or_insert(0) += 1;
        self.check_message(&msg)?;
        self.dispatch(msg)
    }

    /// Checks addressing and sender, then the term: a newer term makes us a
    /// follower of it (unless the message is a pre-vote, or a vote request
    /// we ignore under a leader lease); an older one is answered where that
    /// helps the sender and refused.
    fn check_message(&mut self, msg: &Message) -> Result<(), RejectReason> {
        if msg.to != self.id || msg.from == self.id {
            return Err(RejectReason::WrongRecipient);
        }
        if !self.membership.contains(msg.from) && !self.hears_outsider(msg) {
            return Err(RejectReason::UnknownPeer);
        }
        let is_pre_vote_request =
            matches!(msg.body, MessageBody::RequestVote { pre_vote: true, .. });
        let is_granted_pre_vote = matches!(
            msg.body,
            MessageBody::RequestVoteResponse {
                pre_vote: true,
                granted: true
            }
        );
        if msg.term > self.term {
            let is_answer = matches!(
                msg.body,
                MessageBody::AppendEntriesResponse { .. }
                    | MessageBody::InstallSnapshotResponse { .. }
            );
            if is_answer && self.role.is_leader() && self.bug(Bug::NoStepDownOnHigherTerm) {
                return Err(RejectReason::UnexpectedMessage);
            }
            if let MessageBody::RequestVote { transfer, .. } = msg.body {
                if !transfer && self.in_lease() {
                    return Err(RejectReason::LeaderLease);
                }
            }
            if !is_pre_vote_request && !is_granted_pre_vote {
                let leader = matches!(
                    msg.body,
                    MessageBody::AppendEntries { .. }
                        | MessageBody::InstallSnapshot { .. }
                        | MessageBody::TimeoutNow
                )
                .then_some(msg.from);
                self.become_follower(msg.term, leader);
            }
        } else if msg.term < self.term {
            if self.accepts_stale_by_bug(msg) {
                return Ok(());
            }
            self.answer_stale(msg);
            return Err(RejectReason::StaleTerm);
        }
        Ok(())
    }

    /// Whether a request from a sender outside our configuration is
    /// processed anyway (thesis §4.1): its id may join the cluster
    /// ([`crate::Config::member_id_max`]) and it is a request, which a
    /// leader of a configuration we have not learned yet, or a candidate,
    /// sends. Answers from outsiders are never needed.
    fn hears_outsider(&self, msg: &Message) -> bool {
        let joinable = self.config.member_id_max.is_some_and(|max| msg.from <= max);
        let request = matches!(
            msg.body,
            MessageBody::AppendEntries { .. }
                | MessageBody::InstallSnapshot { .. }
                | MessageBody::RequestVote { .. }
        );
        joinable && request
    }

    /// Seeded bugs that let an older term's message through: AppendEntries
    /// from a stale leader, a vote granted in an earlier term of ours.
    fn accepts_stale_by_bug(&self, msg: &Message) -> bool {
        match msg.body {
            MessageBody::AppendEntries { .. } => self.bug(Bug::StaleTermAppendAccepted),
            MessageBody::RequestVoteResponse {
                pre_vote: false,
                granted: true,
            } => self.bug(Bug::VoteFromEarlierTerm),
            _ => false,
        }
    }

    /// Hands a checked message of our term (or a pre-vote's) to its handler.
    fn dispatch(&mut self, msg: Message) -> Result<(), RejectReason> {
        let from = msg.from;
        let term = msg.term;
        match msg.body {
            MessageBody::RequestVote {
                pre_vote,
                last_log_index,
                last_log_term,
                transfer: _,
            } => {
                self.handle_request_vote(from, term, pre_vote, last_log_index, last_log_term);
                Ok(())
            }
            MessageBody::RequestVoteResponse { pre_vote, granted } => {
                self.handle_vote_response(from, term, pre_vote, granted);
                Ok(())
            }
            MessageBody::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                read_round,
            } => {
                self.accept_leader(from)?;
                self.handle_append(
                    from,
                    term,
                    prev_log_index,
                    prev_log_term,
                    entries,
                    leader_commit,
                    read_round,
                )
            }
            MessageBody::AppendEntriesResponse {
                success,
                match_index,
                conflict_term,
                conflict_index,
                rejected_index,
                read_round,
            } => self.handle_append_response(
                from,
                success,
                match_index,
                conflict_term,
                conflict_index,
                rejected_index,
                read_round,
            ),
            MessageBody::InstallSnapshot {
                meta,
                offset,
                data,
                done,
            } => {
                self.accept_leader(from)?;
                self.handle_install_snapshot(from, meta, offset, data, done)
            }
            MessageBody::InstallSnapshotResponse {
                last_index,
                next_offset,
                done,
                rejected,
            } => self.handle_snapshot_response(from, last_index, next_offset, done, rejected),
            MessageBody::TimeoutNow => self.handle_timeout_now(from),
        }
    }

    /// Tells the sender of an outdated message our term where that helps it
    /// catch up: a stale leader steps down, a stale candidate learns the term.
    fn answer_stale(&mut self, msg: &Message) {
        match msg.body {
            MessageBody::AppendEntries { .. } | MessageBody::InstallSnapshot { .. } => {
                self.send(
                    msg.from,
                    MessageBody::AppendEntriesResponse {
                        success: false,
                        match_index: 0,
                        conflict_term: None,
                        conflict_index: 0,
                        rejected_index: 0,
                        read_round: 0,
                    },
                );
            }
            MessageBody::RequestVote { pre_vote, .. } => {
                self.send(
                    msg.from,
                    MessageBody::RequestVoteResponse {
                        pre_vote,
                        granted: false,
                    },
                );
            }
            _ => {}
        }
    }

    /// A leader message in our term: follow its sender.
    fn accept_leader(&mut self, from: NodeId) -> Result<(), RejectReason> {
        match self.role.role() {
            Role::Leader => return Err(RejectReason::UnexpectedMessage),
            Role::Candidate | Role::PreCandidate => self.become_follower(self.term, Some(from)),
            Role::Follower => {
                if self.leader.is_some_and(|l| l != from) {
                    return Err(RejectReason::UnexpectedMessage);
                }
                self.leader = Some(from);
            }
        }
        self.election_elapsed = 0;
        Ok(())
    }
}
