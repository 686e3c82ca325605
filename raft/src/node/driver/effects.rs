//! Carrying out the core's output: persist, then send, then apply, then
//! answer, in the order [`crate::Output`] prescribes (its stages make any
//! other order impossible to write).

use super::Driver;
use crate::bugs::Bug;
use crate::core::api::{Input, ProposalOutcome, ProposalResult};
use crate::core::output::{ToApply, ToPersist};
use crate::invariants::promises::Promises;
use crate::invariants::rules::Sent;
use crate::node::observe::STATE_DIGEST_EVERY_ENTRIES;
use crate::node::protocol::ResponseBody;
use crate::node::stats::NodeStats;
use crate::node::NodeError;
use crate::storage::LogStorage;
use crate::types::{Entry, Message, MessageBody};

impl<S: LogStorage> Driver<S> {
    /// Carries out the core's output until it has nothing more to say.
    pub(super) fn process(&mut self) -> Result<(), NodeError> {
        while self.raft.has_output() {
            let persist = self.raft.take_output().into_effects();
            self.persist(&persist)?;
            let (messages, apply) = persist.synced().into_messages();
            self.send(messages);
            let ToApply {
                snapshot,
                committed,
                proposals,
                reads,
                // The driver never feeds `Input::ChangeMembership` (its peer
                // links are fixed at start), so there are no answers.
                membership_changes: _,
            } = apply;
            // Book-keeping for the answers (no client hears anything yet).
            self.note_proposals(proposals);
            self.note_reads(reads);
            if let Some(snapshot) = snapshot {
                self.install_snapshot(&snapshot)?;
            }
            self.apply_committed(&committed)?;
            // Answer reads whose index is applied.
            self.serve_reads();
            self.maybe_snapshot()?;
            self.observe();
        }
        Ok(())
    }

    /// Stage 1: write, sync, and tell the core what is durable.
    fn persist(&mut self, persist: &ToPersist) -> Result<(), NodeError> {
        if let Some(snapshot) = persist.snapshot() {
            self.storage.save_snapshot(snapshot)?;
        }
        if !persist.entries().is_empty() {
            self.storage.append(persist.entries())?;
        }
        if let Some(hs) = persist.hard_state() {
            self.storage.save_hard_state(hs)?;
        }
        if persist.needs_sync() {
            // Seeded bug: the writes stay in the page cache while the core
            // is told they are durable and its messages promise them.
            let synced = !self.raft.config().bugs.on(Bug::AckBeforeDurable);
            if synced {
                self.storage.sync()?;
            }
            let mut obs = self.observation.lock();
            if let Some(snapshot) = persist.snapshot() {
                obs.record_snapshot(snapshot);
            }
            obs.record_append(persist.entries());
            if synced {
                obs.record_sync();
            }
        }
        if let Some(notice) = persist.persisted_notice() {
            if self.raft.step(notice).is_err() {
                NodeStats::bump(&self.stats.step_errors);
            }
        }
        Ok(())
    }

    /// Stage 2: every message through the outbound seam.
    fn send(&mut self, messages: Vec<Message>) {
        let Some(links) = &self.links else {
            return;
        };
        self.note_promises(&messages);
        self.sent.extend(messages.iter().filter_map(Sent::of));
        for msg in messages {
            NodeStats::bump(&self.stats.raft_messages_sent);
            let fate = self.outbound.decide(&msg);
            for _ in 1..fate.copies {
                links.send(msg.clone());
            }
            match fate.hold {
                None => {
                    links.send(msg);
                }
                Some(hold) => links.send_later(msg, hold),
            }
        }
    }

    /// Takes the old messages a stale-replay fault delivers now, each as an
    /// input (checked by the per-message rules like any other).
    pub(super) fn take_late_deliveries(&mut self) -> Result<(), NodeError> {
        for msg in self.outbound.delivered_late() {
            tracing::info!(
                from = msg.from,
                term = msg.term,
                body = ?msg.body,
                "an old message delivered late (stale replay)"
            );
            self.step(Input::Message(msg))?;
        }
        Ok(())
    }

    /// Records the votes granted and entries acknowledged in `messages`, for
    /// the observer's promise-durability check.
    fn note_promises(&self, messages: &[Message]) {
        let mut newest = Promises::default();
        for m in messages {
            match m.body {
                MessageBody::RequestVoteResponse {
                    pre_vote: false,
                    granted: true,
                } => newest.vote = Some((m.term, m.to)),
                MessageBody::AppendEntriesResponse {
                    success: true,
                    match_index,
                    ..
                } if match_index > 0 => {
                    if let Some(term) = self.raft.term_at(match_index) {
                        newest.acked = Some((match_index, term));
                    }
                }
                _ => {}
            }
        }
        if newest != Promises::default() {
            let mut obs = self.observation.lock();
            obs.promised.vote = newest.vote.or(obs.promised.vote);
            obs.promised.acked = newest.acked.or(obs.promised.acked);
        }
    }

    fn note_proposals(&mut self, proposals: Vec<ProposalResult>) {
        for p in proposals {
            let Some(waiter) = self.proposing.remove(&p.id) else {
                continue;
            };
            match p.outcome {
                ProposalOutcome::Appended { index, term } => {
                    self.appended.entry(index).or_default().push((term, waiter));
                }
                ProposalOutcome::NotLeader { leader_hint } => {
                    waiter.answer(ResponseBody::NotLeader { leader_hint }, &self.stats)
                }
                ProposalOutcome::Overloaded => waiter.answer(ResponseBody::Overloaded, &self.stats),
            }
        }
    }

    /// Stage 3: apply committed entries and answer their proposers.
    pub(super) fn apply_committed(&mut self, committed: &[Entry]) -> Result<(), NodeError> {
        let wrong_result = self
            .raft
            .config()
            .bugs
            .on(Bug::AckWrongResultAfterLeaderChange);
        for entry in committed {
            if entry.index <= self.kv.applied_index() {
                continue;
            }
            let duplicates = self.kv.counters().duplicates;
            let reply = self.kv.apply_entry(entry)?;
            NodeStats::bump(&self.stats.entries_applied);
            if self.kv.counters().duplicates > duplicates {
                NodeStats::bump(&self.stats.retries_deduplicated);
            }
            let state = entry
                .index
                .is_multiple_of(STATE_DIGEST_EVERY_ENTRIES)
                .then(|| self.kv.state_digest());
            self.observation.lock().record_applied(entry, state);
            // The committed entry at this index is unique: a waiter whose
            // entry had another term certainly lost its place.
            for (term, waiter) in self.appended.remove(&entry.index).unwrap_or_default() {
                let body = match &reply {
                    Some(reply) if term == entry.term || wrong_result => {
                        let mut obs = self.observation.lock();
                        obs.record_acked_write(entry.index, term);
                        ResponseBody::Reply(reply.clone())
                    }
                    _ => ResponseBody::Dropped,
                };
                waiter.answer(body, &self.stats);
            }
        }
        Ok(())
    }
}
