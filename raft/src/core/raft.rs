//! The [`Raft`] state machine: construction, restart, the `step` dispatcher,
//! output draining, status and read-only accessors.
//!
//! Each concern lives in its own file as an `impl Raft` block:
//! `election.rs` (timers, pre-vote, votes, roles), `replication.rs`
//! (AppendEntries, commit, proposals), `snapshot.rs` (compaction and
//! InstallSnapshot), `read.rs` (ReadIndex and leases), `transfer.rs`
//! (leadership transfer). The state those files share is here; the state
//! of one role is inside [`RoleState`], so only the code that holds the
//! role can reach it.

use crate::bugs::Bug;
use crate::core::api::{Config, Input, ReadMode};
use crate::core::durable::DurableState;
use crate::core::error::{CoreError, StepError};
use crate::core::incoming_snapshot::IncomingSnapshot;
use crate::core::output::Output;
use crate::core::raft_log::RaftLog;
use crate::core::role::RoleState;
use crate::core::status::{Counters, Role, Status};
use crate::types::{
    Entry, EntryPayload, HardState, LogIndex, Membership, Message, MessageBody, NodeId,
    SnapshotMeta, Term,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A deterministic, sans-I/O Raft node: feed it [`Input`]s with
/// [`Raft::step`], drain [`Output`]s with [`Raft::take_output`] and carry
/// each out in the order [`Output`] documents.
///
/// # Restart and persistence semantics
///
/// * The [`Input::Persisted`] notice after persisting names the last entry
///   written (or the snapshot if only a snapshot was written; see
///   [`crate::ToPersist::persisted_notice`]). Only a leader needs these
///   notices, to count its own log towards commitment; followers may
///   receive them too. A stale notice (for a term no longer at that index) is
///   rejected and counted, never harmful.
/// * [`Raft::restore`] rebuilds a node from a [`DurableState`] (storage's
///   recovered state converts into one): the term and
///   vote of the hard state, the snapshot, the entries after it. The
///   configuration is the latest `Membership` entry in the log, else the
///   snapshot's, else the bootstrap membership passed in. Recovered entries
///   count as persisted. The commit index is the hard state's (at least the
///   snapshot's, at most the last index); the applied index starts at the
///   snapshot's last index, so the first output hands out the committed
///   entries after the snapshot again. The driver restores its state machine
///   from the recovered snapshot itself (the core does not hand it out again).
/// * [`Input::SnapshotTaken`] must come after the snapshot is durable; its
///   metadata must match [`Raft::snapshot_meta`] at its index.
/// * Refused inputs ([`Raft::step`] returning `Err`) are never fatal.
#[derive(Debug, Clone)]
pub struct Raft {
    pub(super) config: Config,
    pub(super) id: NodeId,
    /// The configuration used when neither the log nor a snapshot holds one.
    pub(super) bootstrap: Membership,
    /// The configuration in force (the latest one appended).
    pub(super) membership: Membership,
    /// The index of the latest configuration entry in the log (the
    /// snapshot's index if the log holds none, 0 for the bootstrap one).
    pub(super) latest_config_index: LogIndex,
    pub(super) term: Term,
    pub(super) voted_for: Option<NodeId>,
    /// The role, with the state only that role has (votes, leader state).
    pub(super) role: RoleState,
    pub(super) leader: Option<NodeId>,
    pub(super) log: RaftLog,
    pub(super) commit: LogIndex,
    pub(super) applied: LogIndex,
    /// The highest index reported durable (and still in our log).
    pub(super) persisted: LogIndex,
    pub(super) rng: ChaCha8Rng,
    /// Ticks since construction: the clock of leases.
    pub(super) ticks: u64,
    pub(super) election_elapsed: u64,
    /// This round's randomized election timeout, in `[T, 2T)`.
    pub(super) election_timeout: u64,
    /// A snapshot being received from the leader (kept across role changes
    /// within a term: a pre-candidate may go back to following).
    pub(super) incoming_snapshot: Option<IncomingSnapshot>,
    pub(super) output: Output,
    pub(super) last_hard_state: HardState,
    pub(super) counters: Counters,
}

impl Raft {
    /// A fresh node with an empty log in the configuration `membership`.
    ///
    /// Out-of-range configuration values are clamped (see
    /// [`Config::normalized`]); call [`Config::validate`] first to reject them.
    pub fn new(config: Config, membership: Membership, seed: u64) -> Raft {
        Raft::build(
            config.normalized(),
            membership,
            HardState::default(),
            RaftLog::default(),
            seed,
        )
    }

    /// A node restarted from its durable state. `bootstrap` is the
    /// configuration it was created with, used only when neither the log nor
    /// the snapshot holds one. Fails if the recovered state is inconsistent
    /// (a gap in the entries, terms going backwards). A log ahead of the
    /// hard state's term resumes in the log's term, written before anything
    /// else (see [`DurableState`]).
    pub fn restore(
        config: Config,
        bootstrap: Membership,
        state: impl Into<DurableState>,
        seed: u64,
    ) -> Result<Raft, CoreError> {
        let recovered = state.into().into_parts()?;
        let mut raft = Raft::build(
            config.normalized(),
            bootstrap,
            recovered.hard_state,
            recovered.log,
            seed,
        );
        // What the disk holds: a resumed term differs, and so is written.
        raft.last_hard_state = HardState {
            commit: raft.last_hard_state.commit,
            ..recovered.durable_hard_state
        };
        Ok(raft)
    }

    fn build(
        config: Config,
        bootstrap: Membership,
        hard_state: HardState,
        log: RaftLog,
        seed: u64,
    ) -> Raft {
        let snapshot_index = log.snapshot_index();
        let last_index = log.last_index();
        let commit = hard_state.commit.max(snapshot_index).min(last_index);
        let mut raft = Raft {
            id: config.id,
            config,
            membership: bootstrap.clone(),
            latest_config_index: 0,
            bootstrap,
            term: hard_state.term,
            voted_for: hard_state.voted_for,
            role: RoleState::Follower,
            leader: None,
            log,
            commit,
            applied: snapshot_index,
            persisted: last_index,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ticks: 0,
            election_elapsed: 0,
            election_timeout: 0,
            incoming_snapshot: None,
            output: Output::default(),
            last_hard_state: HardState {
                commit,
                ..hard_state
            },
            counters: Counters::default(),
        };
        raft.refresh_membership();
        raft.reset_election_timer();
        raft.emit_committed();
        raft
    }

    /// Feeds one input to the core. Its effects accumulate in the output
    /// drained by [`Raft::take_output`].
    ///
    /// An `Err` means the input (or part of it) was refused and counted in
    /// [`Status::counters`]; it is never fatal and the core stays usable.
    /// Under message loss, duplication and delay some refusals are routine
    /// (for example [`crate::RejectReason::StaleTerm`]); the output may still hold
    /// the protocol's answer (a stale leader is told the newer term).
    pub fn step(&mut self, input: Input) -> Result<(), StepError> {
        let before = (self.role.role(), self.term, self.leader);
        let result = match input {
            Input::Tick => {
                self.tick();
                Ok(())
            }
            Input::Message(msg) => self.handle_message(msg),
            Input::Propose { id, data } => {
                self.propose(id, data);
                Ok(())
            }
            Input::Read { id } => {
                self.read(id);
                Ok(())
            }
            Input::Persisted { index, term } => self.handle_persisted(index, term),
            Input::SnapshotTaken { snapshot } => self.snapshot_taken(snapshot),
            Input::TransferLeadership { to } => self.transfer_leadership(to),
            Input::ChangeMembership { id, change } => {
                self.change_membership(id, change);
                Ok(())
            }
        };
        if let Err(reason) = result {
            *self.counters.rejected.entry(reason.as_str()).or_insert(0) += 1;
            if reason.is_routine() {
                tracing::trace!(%reason, "input refused");
            } else {
                tracing::warn!(%reason, "input refused");
            }
        }
        self.finish_step();
        if before != (self.role.role(), self.term, self.leader) {
            tracing::info!(
                role = self.role.role().as_str(),
                term = self.term,
                leader = %self.leader.map_or_else(|| "none".to_string(), |l| format!("n{l}")),
                last_index = self.log.last_index(),
                commit = self.commit,
                "role, term or leader changed"
            );
        }
        result.map_err(|reason| StepError { reason })
    }

    /// Drains the effects accumulated since the last call; carry them out in
    /// the order [`Output`] documents ([`Output::into_effects`] hands them
    /// out in it).
    pub fn take_output(&mut self) -> Output {
        std::mem::take(&mut self.output)
    }

    /// Whether [`Raft::take_output`] would return something.
    pub fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// How many reads this node has served under its lease (a cheap read of
    /// one [`Status::counters`] field, for observers).
    pub fn lease_reads(&self) -> u64 {
        self.counters.reads_lease
    }

    /// A snapshot of this node's state and counters.
    pub fn status(&self) -> Status {
        let leader = self.role.leader();
        Status {
            id: self.id,
            role: self.role.role(),
            term: self.term,
            voted_for: self.voted_for,
            leader: self.leader,
            commit_index: self.commit,
            applied_index: self.applied,
            persisted_index: self.persisted,
            first_index: self.log.first_index(),
            last_index: self.log.last_index(),
            snapshot_index: self.log.snapshot_index(),
            membership: self.membership.clone(),
            membership_index: self.latest_config_index,
            transfer_target: leader.and_then(|l| l.transfer_target()),
            lease_held: self.lease_held(),
            pending_reads: leader.map_or(0, |l| l.reads().pending_count()),
            peers: leader.map(|l| l.peer_statuses()).unwrap_or_default(),
            counters: self.counters.clone(),
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// This node's role.
    pub fn role(&self) -> Role {
        self.role.role()
    }

    /// The current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// The leader of the current term, if known.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The highest index known to be committed.
    pub fn commit_index(&self) -> LogIndex {
        self.commit
    }

    /// The highest index handed out for applying (in `Output::committed` or
    /// as `Output::snapshot`).
    pub fn applied_index(&self) -> LogIndex {
        self.applied
    }

    /// The index of the last log entry.
    pub fn last_index(&self) -> LogIndex {
        self.log.last_index()
    }

    /// The first index still held in memory (`snapshot_index + 1`).
    pub fn first_index(&self) -> LogIndex {
        self.log.first_index()
    }

    /// The last index covered by this node's snapshot (0: none).
    pub fn snapshot_index(&self) -> LogIndex {
        self.log.snapshot_index()
    }

    /// The entry at `index`, if it is held in memory.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.log.entry(index)
    }

    /// The term of the entry at `index`, if known (0 at index 0; the
    /// snapshot's term at the snapshot index).
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.log.term(index)
    }

    /// The configuration in force.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// This node's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether seeded bug `bug` is switched on ([`crate::bugs`]).
    #[inline]
    pub(super) fn bug(&self, bug: crate::bugs::Bug) -> bool {
        self.config.bugs.on(bug)
    }

    /// The hard state as of the last step (what the last emitted
    /// `Output::hard_state` said, or the recovered one).
    pub fn hard_state(&self) -> HardState {
        self.last_hard_state
    }

    /// The metadata a snapshot covering the log up to `index` must carry
    /// (term and configuration at `index`), if the term at `index` is known.
    /// Drivers build the snapshot they pass to [`Input::SnapshotTaken`] with it.
    pub fn snapshot_meta(&self, index: LogIndex) -> Option<SnapshotMeta> {
        let last_term = self.log.term(index)?;
        Some(SnapshotMeta {
            last_index: index,
            last_term,
            membership: self.membership_at(index),
        })
    }

    /// The configuration in force at `index`: the latest `Membership` entry at
    /// or below it, else the snapshot's, else the bootstrap configuration.
    pub(super) fn membership_at(&self, index: LogIndex) -> Membership {
        self.config_at(index).1
    }

    /// The configuration in force at `index` with the index of its entry
    /// (the snapshot's index for the snapshot's, 0 for the bootstrap one).
    fn config_at(&self, index: LogIndex) -> (LogIndex, Membership) {
        let from_log = self
            .log
            .entries()
            .iter()
            .rev()
            .filter(|e| e.index <= index)
            .find_map(|e| match &e.payload {
                EntryPayload::Membership(m) => Some((e.index, m.clone())),
                _ => None,
            });
        from_log
            .or_else(|| {
                self.log
                    .snapshot()
                    .map(|s| (s.meta.last_index, s.meta.membership.clone()))
            })
            .unwrap_or_else(|| (0, self.bootstrap.clone()))
    }

    /// Recomputes the configuration after the log changed (Raft §6: the
    /// latest one in the log is in force, committed or not; a truncated one
    /// rolls back); a leader starts or stops tracking members accordingly.
    pub(super) fn refresh_membership(&mut self) {
        let (latest_index, latest) = self.config_at(self.log.last_index());
        self.latest_config_index = latest_index;
        let membership = if self.bug(Bug::ConfigAtCommit) {
            self.membership_at(self.commit)
        } else {
            latest
        };
        if membership == self.membership {
            return;
        }
        tracing::info!(
            membership = %membership,
            index = latest_index,
            "configuration in force changed"
        );
        self.membership = membership;
        let last_index = self.log.last_index();
        let members: Vec<NodeId> = self
            .membership
            .members()
            .filter(|&m| m != self.id)
            .collect();
        if let Some(leader) = self.role.leader_mut() {
            leader.track(&members, last_index);
        }
    }

    /// The members a leader tracks, ascending (none unless leading).
    pub(super) fn leader_peers(&self) -> Vec<NodeId> {
        self.role.leader().map(|l| l.peers()).unwrap_or_default()
    }

    /// Whether this node may campaign: it is a voter of the configuration
    /// in force (of either half while joint), or of the committed one while
    /// a later configuration without it is uncommitted (thesis §4.2.2: it
    /// may still be needed until C_new commits; its own vote counts only
    /// where it is a voter). A node removed by a committed configuration
    /// never campaigns.
    pub(super) fn promotable(&self) -> bool {
        self.membership.is_voter(self.id)
            || (self.latest_config_index > self.commit
                && self.membership_at(self.commit).is_voter(self.id))
    }

    /// Queues a message from us in our current term.
    pub(super) fn send(&mut self, to: NodeId, body: MessageBody) {
        let term = self.term;
        self.send_with_term(to, term, body);
    }

    /// Queues a message carrying an explicit term (pre-votes use `term + 1`).
    pub(super) fn send_with_term(&mut self, to: NodeId, term: Term, body: MessageBody) {
        *self.counters.messages_sent.entry(body.kind()).or_insert(0) += 1;
        self.output.messages.push(Message {
            from: self.id,
            to,
            term,
            body,
        });
    }

    /// Hands out newly committed entries for applying.
    pub(super) fn emit_committed(&mut self) {
        if self.commit > self.applied {
            let entries = self.log.range(self.applied.saturating_add(1), self.commit);
            debug_assert_eq!(
                entries.last().map(|e| e.index),
                Some(self.commit),
                "committed entries must be held in memory"
            );
            if let Some(last) = entries.last() {
                self.applied = last.index;
            }
            self.output.committed.extend(entries);
        }
    }

    /// Answers, persistence and assertions common to every step.
    fn finish_step(&mut self) {
        if self.bug(Bug::ConfigAtCommit) {
            self.refresh_membership();
        }
        self.advance_membership();
        self.emit_committed();
        let hard_state = HardState {
            term: self.term,
            voted_for: if self.bug(Bug::VoteNotDurable) {
                None
            } else {
                self.voted_for
            },
            commit: self.commit,
        };
        debug_assert!(
            hard_state.term >= self.last_hard_state.term,
            "term never decreases"
        );
        if hard_state != self.last_hard_state {
            self.output.hard_state = Some(hard_state);
            self.last_hard_state = hard_state;
        }
        debug_assert!(self.applied <= self.commit, "applied <= commit");
        debug_assert!(self.commit <= self.log.last_index(), "commit <= last index");
        debug_assert!(
            self.log.snapshot_index() <= self.applied,
            "snapshot <= applied"
        );
        debug_assert!(
            self.persisted <= self.log.last_index(),
            "persisted <= last index"
        );
    }

    /// One logical tick.
    fn tick(&mut self) {
        self.ticks = self.ticks.saturating_add(1);
        if self.role.is_leader() {
            self.tick_leader();
        } else {
            self.tick_election();
        }
    }

    /// Whether the lease rules of `read_mode` apply (kept for status).
    pub(super) fn lease_reads_enabled(&self) -> bool {
        self.config.read_mode == ReadMode::Lease && self.config.check_quorum
    }
}
