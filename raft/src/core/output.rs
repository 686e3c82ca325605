//! What the core asks its driver to do, and the one order in which it must
//! be done.
//!
//! [`Output`] collects the effects of the steps since the last
//! [`crate::Raft::take_output`]; its documentation is the single statement
//! of the order of effects. [`Output::into_effects`] hands them out in that
//! order as three stages, each reachable only by finishing the one before:
//! [`ToPersist`], then [`ToSend`], then [`ToApply`].

use crate::core::api::{Input, MembershipChangeResult, ProposalResult, ReadResult};
use crate::types::{Entry, HardState, Message, Snapshot};

/// Effects drained from the core after each step.
///
/// # The order of effects
///
/// This is the only safe order, and the only place it is written down:
///
/// 1. **Persist**: write the received `snapshot` (if any), then the
///    `entries` (replacing any stored suffix from their first index), then
///    the `hard_state`, and sync; then report [`Input::Persisted`] (see
///    [`ToPersist::persisted_notice`]).
/// 2. **Send** the `messages`. They may promise what step 1 made durable (a
///    vote, an acknowledgement of entries), so none may leave before the
///    sync; and a leader counts its own log towards commitment only as far
///    as it was reported persisted.
/// 3. **Apply**: install the `snapshot` in the state machine, then apply the
///    `committed` entries in index order. Entries count as applied once
///    handed out, a received snapshot once handed out: apply each output
///    fully before the next step.
/// 4. **Answer** `proposals`, `reads` and `membership_changes` (a read at
///    index `i` is served once the state machine has applied `i`).
///
/// [`Output::into_effects`] enforces steps 1 to 3: messages are reachable
/// only from [`ToPersist::synced`], the entries to apply only after the
/// messages were taken. The fields stay public for inspection (tests,
/// traces).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// A snapshot received from the leader: persist it, then install it in
    /// the state machine before applying `committed`.
    pub snapshot: Option<Snapshot>,
    /// Entries to append durably; if the first index is at or below the
    /// stored last index, the stored suffix from there is replaced.
    pub entries: Vec<Entry>,
    /// A new hard state to persist, if it changed.
    pub hard_state: Option<HardState>,
    /// Messages to send, only after the above is durable.
    pub messages: Vec<Message>,
    /// Newly committed entries to apply, in index order.
    pub committed: Vec<Entry>,
    /// Answers to proposals.
    pub proposals: Vec<ProposalResult>,
    /// Answers to read requests.
    pub reads: Vec<ReadResult>,
    /// Answers to configuration changes.
    pub membership_changes: Vec<MembershipChangeResult>,
}

impl Output {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self == &Output::default()
    }

    /// The effects in the only safe order, starting with what to persist.
    ///
    /// ```
    /// use faultline_raft::{Config, Input, Membership, Raft};
    ///
    /// let mut raft = Raft::new(Config::new(1), Membership::new([1]), 7);
    /// while !raft.has_output() {
    ///     raft.step(Input::Tick).expect("ticks are never refused");
    /// }
    /// let persist = raft.take_output().into_effects();
    /// // 1. Write persist.snapshot(), persist.entries(), persist.hard_state()
    /// //    and sync; then report what is durable.
    /// let notice = persist.persisted_notice();
    /// let send = persist.synced();
    /// if let Some(notice) = notice {
    ///     raft.step(notice).expect("a fresh notice is accepted");
    /// }
    /// // 2. Send.
    /// let (messages, apply) = send.into_messages();
    /// assert!(messages.is_empty(), "a single node has no one to talk to");
    /// // 3. Apply apply.snapshot, then apply.committed; 4. answer.
    /// assert!(apply.committed.is_empty());
    /// ```
    pub fn into_effects(self) -> ToPersist {
        let Output {
            snapshot,
            entries,
            hard_state,
            messages,
            committed,
            proposals,
            reads,
            membership_changes,
        } = self;
        ToPersist {
            snapshot,
            entries,
            hard_state,
            messages,
            then: ToApply {
                snapshot: None,
                committed,
                proposals,
                reads,
                membership_changes,
            },
        }
    }

    /// Queues entries to persist. Entries at or after the first new index
    /// that were queued earlier in this output are replaced (a truncation).
    pub(crate) fn queue_entries(&mut self, entries: Vec<Entry>) {
        let Some(first) = entries.first() else {
            return;
        };
        let first_index = first.index;
        let appends = self
            .entries
            .last()
            .is_none_or(|last| last.index < first_index);
        if !appends {
            self.entries.retain(|e| e.index < first_index);
        }
        self.entries.extend(entries);
    }

    /// Hands out a snapshot received from the leader. Whatever was queued
    /// earlier in this output is covered by it (committed entries, entries up
    /// to its index) or superseded by it (the whole log, unless `kept_suffix`
    /// says the entries after it still follow it).
    pub(crate) fn supersede_with_snapshot(&mut self, snapshot: Snapshot, kept_suffix: bool) {
        let index = snapshot.meta.last_index;
        self.committed.clear();
        if kept_suffix {
            self.entries.retain(|e| e.index > index);
        } else {
            self.entries.clear();
        }
        self.snapshot = Some(snapshot);
    }
}

/// Stage 1 of an [`Output`]: what must be durable before anything else.
///
/// Every message waits for the sync, which is always safe. (A leader's
/// AppendEntries could go out before its own sync when the output changes
/// neither its term nor its vote; the core does not split them out.)
///
/// ```compile_fail
/// # let output = faultline_raft::Output::default();
/// let persist = output.into_effects();
/// // No messages before the sync: only `synced` leads to them.
/// let _ = persist.messages();
/// ```
#[derive(Debug)]
#[must_use = "the messages and what to apply come only after persisting"]
pub struct ToPersist {
    snapshot: Option<Snapshot>,
    entries: Vec<Entry>,
    hard_state: Option<HardState>,
    messages: Vec<Message>,
    then: ToApply,
}

impl ToPersist {
    /// A snapshot received from the leader, to write first.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// Entries to append next; if the first index is at or below the stored
    /// last index, the stored suffix from there is replaced.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// A new hard state to write last.
    pub fn hard_state(&self) -> Option<&HardState> {
        self.hard_state.as_ref()
    }

    /// Whether anything is to be written (and so synced).
    pub fn needs_sync(&self) -> bool {
        self.snapshot.is_some() || !self.entries.is_empty() || self.hard_state.is_some()
    }

    /// The notice to feed the core once everything is written and synced:
    /// [`Input::Persisted`] with the last entry written, or the snapshot if
    /// no entry was; `None` when neither was written.
    pub fn persisted_notice(&self) -> Option<Input> {
        let last = self.entries.last().map(|e| (e.index, e.term));
        let snapshot = self
            .snapshot
            .as_ref()
            .map(|s| (s.meta.last_index, s.meta.last_term));
        last.or(snapshot)
            .map(|(index, term)| Input::Persisted { index, term })
    }

    /// Declares everything above written and synced: the messages may go.
    pub fn synced(self) -> ToSend {
        let ToPersist {
            snapshot,
            messages,
            mut then,
            ..
        } = self;
        then.snapshot = snapshot;
        ToSend { messages, then }
    }
}

/// Stage 2 of an [`Output`]: the messages, which may go now that what they
/// promise is durable.
///
/// ```compile_fail
/// # let output = faultline_raft::Output::default();
/// let send = output.into_effects().synced();
/// // Nothing to apply before the messages are taken.
/// let _ = send.committed;
/// ```
#[derive(Debug)]
#[must_use = "what to apply comes only with the messages"]
pub struct ToSend {
    messages: Vec<Message>,
    then: ToApply,
}

impl ToSend {
    /// The messages to send.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Takes the messages to send, and with them what to apply after.
    pub fn into_messages(self) -> (Vec<Message>, ToApply) {
        (self.messages, self.then)
    }
}

/// Stage 3 of an [`Output`]: what to apply, then the answers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ToApply {
    /// A snapshot received from the leader (already persisted): install it
    /// in the state machine before applying `committed`.
    pub snapshot: Option<Snapshot>,
    /// Newly committed entries to apply, in index order.
    pub committed: Vec<Entry>,
    /// Answers to proposals.
    pub proposals: Vec<ProposalResult>,
    /// Answers to read requests (serve each once its index is applied).
    pub reads: Vec<ReadResult>,
    /// Answers to configuration changes.
    pub membership_changes: Vec<MembershipChangeResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::api::{Config, ProposalOutcome, ReadOutcome};
    use crate::core::Raft;
    use crate::types::{EntryPayload, Membership, MessageBody, SnapshotMeta};

    /// Carries an output out the way a driver does, recording each effect.
    fn carry_out(output: Output, events: &mut Vec<String>) -> (Option<Input>, ToApply) {
        let persist = output.into_effects();
        if let Some(s) = persist.snapshot() {
            events.push(format!("write snapshot {}", s.meta.last_index));
        }
        for e in persist.entries() {
            events.push(format!("write entry {}", e.index));
        }
        if let Some(hs) = persist.hard_state() {
            events.push(format!("write hard state t{}", hs.term));
        }
        if persist.needs_sync() {
            events.push("sync".to_string());
        }
        let notice = persist.persisted_notice();
        let (messages, apply) = persist.synced().into_messages();
        for m in &messages {
            events.push(format!("send {}", m.body.kind()));
        }
        if let Some(s) = &apply.snapshot {
            events.push(format!("install snapshot {}", s.meta.last_index));
        }
        for e in &apply.committed {
            events.push(format!("apply {}", e.index));
        }
        (notice, apply)
    }

    fn entry(index: u64) -> Entry {
        Entry {
            term: 2,
            index,
            payload: EntryPayload::Noop,
        }
    }

    #[test]
    fn every_effect_comes_out_once_persist_then_send_then_apply() {
        let snapshot = Snapshot {
            meta: SnapshotMeta {
                last_index: 3,
                last_term: 1,
                membership: Membership::new([1, 2]),
            },
            data: b"state".to_vec(),
        };
        let output = Output {
            snapshot: Some(snapshot.clone()),
            entries: vec![entry(4), entry(5)],
            hard_state: Some(HardState {
                term: 2,
                voted_for: Some(2),
                commit: 4,
            }),
            messages: vec![Message {
                from: 1,
                to: 2,
                term: 2,
                body: MessageBody::TimeoutNow,
            }],
            committed: vec![entry(4)],
            proposals: vec![ProposalResult {
                id: 9,
                outcome: ProposalOutcome::Overloaded,
            }],
            reads: vec![ReadResult {
                id: 8,
                outcome: ReadOutcome::Ready { index: 4 },
            }],
            membership_changes: Vec::new(),
        };
        let mut events = Vec::new();
        let (notice, apply) = carry_out(output.clone(), &mut events);
        let expected = [
            "write snapshot 3",
            "write entry 4",
            "write entry 5",
            "write hard state t2",
            "sync",
            "send TimeoutNow",
            "install snapshot 3",
            "apply 4",
        ];
        assert_eq!(events, expected);
        assert_eq!(notice, Some(Input::Persisted { index: 5, term: 2 }));
        assert_eq!(apply.snapshot, Some(snapshot));
        assert_eq!(apply.committed, output.committed);
        assert_eq!(apply.proposals, output.proposals);
        assert_eq!(apply.reads, output.reads);
    }

    #[test]
    fn the_persisted_notice_names_the_last_entry_else_the_snapshot() {
        let only_hard_state = Output {
            hard_state: Some(HardState::default()),
            ..Output::default()
        }
        .into_effects();
        assert!(only_hard_state.needs_sync());
        assert_eq!(only_hard_state.persisted_notice(), None);
        let nothing = Output::default().into_effects();
        assert!(!nothing.needs_sync());
        assert_eq!(nothing.persisted_notice(), None);
        let snapshot_only = Output {
            snapshot: Some(Snapshot {
                meta: SnapshotMeta {
                    last_index: 7,
                    last_term: 3,
                    membership: Membership::new([1]),
                },
                data: Vec::new(),
            }),
            ..Output::default()
        }
        .into_effects();
        let notice = Some(Input::Persisted { index: 7, term: 3 });
        assert_eq!(snapshot_only.persisted_notice(), notice);
    }

    #[test]
    fn a_candidate_persists_its_vote_before_asking_for_votes() {
        let mut config = Config::new(1);
        config.pre_vote = false;
        let mut raft = Raft::new(config, Membership::new([1, 2, 3]), 7);
        while raft.role() != crate::core::Role::Candidate {
            raft.step(Input::Tick).expect("a tick is never refused");
        }
        let mut events = Vec::new();
        carry_out(raft.take_output(), &mut events);
        let sync = events.iter().position(|e| e == "sync").expect("a sync");
        let first_send = events.iter().position(|e| e.starts_with("send"));
        assert!(events[..sync].contains(&"write hard state t1".to_string()));
        assert!(first_send.is_some_and(|send| send > sync), "{events:?}");
    }

    #[test]
    fn a_single_node_commits_after_reporting_its_own_write() {
        let mut raft = Raft::new(Config::new(1), Membership::new([1]), 3);
        while raft.role() != crate::core::Role::Leader {
            raft.step(Input::Tick).expect("a tick is never refused");
        }
        let mut events = Vec::new();
        let (notice, apply) = carry_out(raft.take_output(), &mut events);
        assert!(
            apply.committed.is_empty(),
            "nothing commits before the sync"
        );
        raft.step(notice.expect("the no-op was written"))
            .expect("a fresh notice is accepted");
        let (_, apply) = carry_out(raft.take_output(), &mut events);
        assert_eq!(apply.committed.len(), 1, "{events:?}");
    }
}
