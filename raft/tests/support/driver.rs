//! How the simulation carries out one core step, in the order the crate
//! docs prescribe: persist (and sync), report `Persisted`, send, apply,
//! answer. Crashes, restarts and application snapshots live here too, since
//! they are the other ways a node's durable state changes.

use super::node::{CoreView, CrashPoint};
use super::sim::Simulation;
use super::state_machine::HashChain;
use faultline_raft::invariants::config::check_commit_quorum;
use faultline_raft::invariants::durability::check_promise;
use faultline_raft::invariants::Violation;
use faultline_raft::{
    EntryPayload, Input, LogIndex, MembershipChangeOutcome, Message, MessageBody, NodeId, Output,
    Raft, Role, Snapshot, StorageError,
};
use rand::Rng;

/// A core that keeps producing output beyond this many rounds after one
/// input is reported (everything is bounded).
const OUTPUT_ROUNDS_MAX: usize = 64;

fn storage_violation(id: NodeId, what: &str, err: StorageError) -> Violation {
    Violation::new(
        "storage contract",
        format!("node {id}: the core's output could not be {what}: {err}"),
    )
}

/// A one-line description of a message for traces.
pub fn describe(message: &Message) -> String {
    let head = format!("{}->{} t{}", message.from, message.to, message.term);
    match &message.body {
        MessageBody::RequestVote {
            pre_vote,
            last_log_index,
            last_log_term,
            transfer,
        } => format!(
            "{head} {}Vote last {last_log_index}/{last_log_term}{}",
            if *pre_vote { "Pre" } else { "Request" },
            if *transfer { " transfer" } else { "" }
        ),
        MessageBody::RequestVoteResponse { pre_vote, granted } => format!(
            "{head} {}VoteResp granted={granted}",
            if *pre_vote { "Pre" } else { "" }
        ),
        MessageBody::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            read_round,
        } => format!(
            "{head} Append prev {prev_log_index}/{prev_log_term} n={} commit {leader_commit} \
             round {read_round}",
            entries.len()
        ),
        MessageBody::AppendEntriesResponse {
            success,
            match_index,
            conflict_term,
            conflict_index,
            rejected_index,
            read_round,
        } => format!(
            "{head} AppendResp ok={success} match {match_index} conflict {conflict_term:?}@\
             {conflict_index} rejected {rejected_index} round {read_round}"
        ),
        MessageBody::InstallSnapshot {
            meta,
            offset,
            data,
            done,
        } => format!(
            "{head} Snapshot {}/{} off {offset} len {} done={done}",
            meta.last_index,
            meta.last_term,
            data.len()
        ),
        MessageBody::InstallSnapshotResponse {
            last_index,
            next_offset,
            done,
            rejected,
        } => format!(
            "{head} SnapshotResp {last_index} next {next_offset} done={done} rejected={rejected}"
        ),
        MessageBody::TimeoutNow => format!("{head} TimeoutNow"),
    }
}

impl Simulation {
    /// Feeds `input` to node `id` (if it is up) and carries out its output.
    pub(super) fn step(&mut self, id: NodeId, input: Input) -> Result<(), Violation> {
        let Some(raft) = self.nodes.get_mut(&id).and_then(|n| n.raft.as_mut()) else {
            return Ok(());
        };
        if let Err(err) = raft.step(input) {
            self.stats.rejected_inputs += 1;
            if self.trace.enabled() {
                self.trace.record(format!("  n{id} rejected: {err}"));
            }
        }
        self.drain(id)
    }

    /// Carries out node `id`'s output until it has none, checking the
    /// invariants after every round.
    pub(super) fn drain(&mut self, id: NodeId) -> Result<(), Violation> {
        for _ in 0..OUTPUT_ROUNDS_MAX {
            let Some(raft) = self.nodes.get_mut(&id).and_then(|n| n.raft.as_mut()) else {
                return Ok(());
            };
            let output = raft.take_output();
            if output.is_empty() {
                return self.check(id);
            }
            self.execute(id, output)?;
            self.check(id)?;
        }
        Err(Violation::new(
            "bounded output",
            format!("node {id} still had output after {OUTPUT_ROUNDS_MAX} rounds"),
        ))
    }

    /// Runs every per-step invariant on node `id` (if it is up).
    pub(super) fn check(&mut self, id: NodeId) -> Result<(), Violation> {
        let Some(raft) = self.nodes.get(&id).and_then(|n| n.raft.as_ref()) else {
            return Ok(());
        };
        if self.trace.enabled() {
            self.trace.record(format!(
                "  n{id} {:?} term {} commit {} last {} first {}",
                raft.role(),
                raft.term(),
                raft.commit_index(),
                raft.last_index(),
                raft.first_index()
            ));
        }
        self.invariants.after_step(&CoreView { id, raft })?;
        self.check_commit_quorum(id)
    }

    /// When leader `id` advanced its commit index in its term, checks the
    /// new index is held by a quorum of its configuration (a node that is
    /// down counts if its disk reaches the index: an over-approximation,
    /// never a false alarm).
    fn check_commit_quorum(&mut self, id: NodeId) -> Result<(), Violation> {
        let Some(raft) = self.nodes.get(&id).and_then(|n| n.raft.as_ref()) else {
            return Ok(());
        };
        if raft.role() != Role::Leader {
            self.leader_commits.remove(&id);
            return Ok(());
        }
        let (term, commit) = (raft.term(), raft.commit_index());
        let previous = self.leader_commits.insert(id, (term, commit));
        if previous.is_none_or(|(t, c)| t != term || c >= commit) {
            return Ok(());
        }
        let Some(entry_term) = raft.term_at(commit) else {
            return Ok(());
        };
        self.stats.commit_quorum_checks += 1;
        let holds = |n: NodeId| match self.nodes.get(&n) {
            Some(node) => match &node.raft {
                Some(r) => r.snapshot_index() >= commit || r.term_at(commit) == Some(entry_term),
                None => node.disk.last().0 >= commit,
            },
            None => false,
        };
        check_commit_quorum(id, commit, entry_term, raft.membership(), holds)
    }

    /// Carries out an output already taken from node `id`, then drains it.
    pub(super) fn execute_output(&mut self, id: NodeId, output: Output) -> Result<(), Violation> {
        if !output.is_empty() {
            self.execute(id, output)?;
        }
        self.drain(id)
    }

    /// Carries out one output of node `id`.
    fn execute(&mut self, id: NodeId, output: Output) -> Result<(), Violation> {
        if self.trace.enabled() {
            self.trace.record(summarize(id, &output));
        }
        let node = self.nodes.get_mut(&id).expect("node exists");
        let armed = match node.armed {
            Some(crash) if crash.trigger.fires_on(&output) => {
                node.armed = None;
                Some(crash.point)
            }
            _ => None,
        };

        // 1. Persist: snapshot, entries, hard state; then sync.
        if let Some(snapshot) = &output.snapshot {
            node.disk
                .write_snapshot(snapshot)
                .map_err(|e| storage_violation(id, "stored (snapshot)", e))?;
        }
        node.disk
            .write_entries(&output.entries)
            .map_err(|e| storage_violation(id, "stored (entries)", e))?;
        if let Some(hard_state) = &output.hard_state {
            node.disk
                .write_hard_state(hard_state)
                .map_err(|e| storage_violation(id, "stored (hard state)", e))?;
        }
        if armed == Some(CrashPoint::BeforeSync) {
            return self.crash(id, CrashPoint::BeforeSync.as_str());
        }
        node.disk
            .sync()
            .map_err(|e| storage_violation(id, "synced", e))?;
        if armed == Some(CrashPoint::AfterSync) {
            return self.crash(id, CrashPoint::AfterSync.as_str());
        }
        let wrote =
            output.snapshot.is_some() || !output.entries.is_empty() || output.hard_state.is_some();
        if wrote {
            let (index, term) = node.disk.last();
            let raft = node.raft.as_mut().expect("node is up");
            if let Err(err) = raft.step(Input::Persisted { index, term }) {
                self.stats.rejected_inputs += 1;
                if self.trace.enabled() {
                    self.trace
                        .record(format!("  n{id} Persisted {index}/{term} rejected: {err}"));
                }
            }
        }

        // 2. Send.
        let node = self.nodes.get_mut(&id).expect("node exists");
        let raft = node.raft.as_ref().expect("node is up");
        for message in &output.messages {
            check_promise(message, &node.disk, &|index| raft.term_at(index))?;
        }
        for message in output.messages {
            if message.from != id || message.to == id || !self.nodes.contains_key(&message.to) {
                return Err(Violation::new(
                    "message addressing",
                    format!("node {id} emitted {}", describe(&message)),
                ));
            }
            self.net.send(message, self.now_tick, &mut self.rng);
        }
        if armed == Some(CrashPoint::AfterSend) {
            return self.crash(id, CrashPoint::AfterSend.as_str());
        }

        // 3. Apply: the received snapshot, then the committed entries.
        let node = self.nodes.get_mut(&id).expect("node exists");
        let commit = node.raft.as_ref().expect("node is up").commit_index();
        if let Some(snapshot) = &output.snapshot {
            node.app.restore(snapshot).map_err(|e| {
                Violation::new("snapshot integrity", format!("node {id} installed: {e}"))
            })?;
            self.invariants.machines.reached(
                id,
                node.app.applied_index,
                node.app.chain,
                commit,
                "installed a snapshot at",
            )?;
            self.client.forget(id, Some(snapshot.meta.last_index));
            self.stats.snapshots_installed += 1;
        }
        for entry in &output.committed {
            node.app
                .apply(entry)
                .map_err(|e| Violation::new("state machine safety", format!("node {id}: {e}")))?;
            self.invariants
                .machines
                .reached(id, entry.index, node.app.chain, commit, "applied")?;
            if let Some(index) = self.client.applied(id, entry)? {
                self.invariants.reads.acknowledged(index);
            }
        }

        // 4. Answer proposals, reads and configuration changes.
        for result in &output.membership_changes {
            if let MembershipChangeOutcome::Accepted { index, .. } = result.outcome {
                self.stats.membership_accepted += 1;
                let raft = self.nodes[&id].raft.as_ref().expect("node is up");
                if raft.entry(index).is_some_and(
                    |e| matches!(&e.payload, EntryPayload::Membership(m) if m.is_joint()),
                ) {
                    self.stats.joint_entered += 1;
                }
            }
        }
        for result in &output.proposals {
            self.client.answered(id, result)?;
        }
        for result in &output.reads {
            self.invariants
                .reads
                .answered(result.id, id, &result.outcome, commit)?;
        }
        Ok(())
    }

    /// Node `id` loses its core, its application state and its unsynced writes.
    pub(super) fn crash(&mut self, id: NodeId, why: &str) -> Result<(), Violation> {
        // Some crashes are bounces (an immediate or quick process restart),
        // so that a node comes back while the election or replication round
        // it took part in is still going on; the others keep it down a while.
        let (low, high) = match self.rng.gen_range(0..10) {
            0..=2 => (0, 0),
            3..=5 => (1, 2),
            _ => self.profile.down_ticks,
        };
        let restart_at_tick = self.now_tick + self.rng.gen_range(low..=high);
        let node = self.nodes.get_mut(&id).expect("node exists");
        node.raft = None;
        node.disk.crash();
        node.app = HashChain::default();
        node.armed = None;
        node.restart_at_tick = restart_at_tick;
        self.invariants.node_crashed(id);
        self.client.forget(id, None);
        self.stats.crashes += 1;
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} CRASH ({why}); restarts at t{restart_at_tick}",
                self.now_tick
            ));
        }
        if restart_at_tick == self.now_tick {
            return self.restart(id);
        }
        Ok(())
    }

    /// Restarts node `id` from its disk alone.
    pub(super) fn restart(&mut self, id: NodeId) -> Result<(), Violation> {
        let seed: u64 = self.rng.gen();
        let membership = self.bootstrap_for(id);
        let node = self.nodes.get_mut(&id).expect("node exists");
        let recovered = node
            .disk
            .recover()
            .map_err(|e| storage_violation(id, "recovered", e))?;
        let mut app = HashChain::default();
        if let Some(snapshot) = &recovered.snapshot {
            app.restore(snapshot).map_err(|e| {
                Violation::new("snapshot integrity", format!("node {id} restored: {e}"))
            })?;
            self.invariants.machines.reached(
                id,
                app.applied_index,
                app.chain,
                app.applied_index,
                "restored a snapshot at",
            )?;
        }
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} RESTART hs {:?} snapshot {:?} entries {}",
                self.now_tick,
                recovered.hard_state,
                recovered.snapshot.as_ref().map(|s| s.meta.last_index),
                recovered.entries.len()
            ));
        }
        let raft =
            Raft::restore(node.config.clone(), membership, recovered, seed).map_err(|e| {
                Violation::new(
                    "restart",
                    format!("node {id} could not restore from its own disk: {e}"),
                )
            })?;
        node.raft = Some(raft);
        node.app = app;
        self.stats.restarts += 1;
        self.drain(id)
    }

    /// Node `id`'s application snapshots its applied prefix, stores it
    /// durably, and tells the core (which compacts its log).
    pub(super) fn take_snapshot(&mut self, id: NodeId) -> Result<(), Violation> {
        let min_entries = self.profile.snapshot_min_entries;
        let node = self.nodes.get_mut(&id).expect("node exists");
        let Some(raft) = node.raft.as_mut() else {
            return Ok(());
        };
        let index: LogIndex = node.app.applied_index;
        if index < node.disk.snapshot_index() + min_entries {
            return Ok(());
        }
        let Some(meta) = raft.snapshot_meta(index) else {
            return Ok(());
        };
        let term = meta.last_term;
        let snapshot = Snapshot {
            meta,
            data: node.app.snapshot_data(),
        };
        node.disk
            .write_snapshot(&snapshot)
            .and_then(|()| node.disk.sync())
            .map_err(|e| storage_violation(id, "stored (application snapshot)", e))?;
        self.stats.snapshots_taken += 1;
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} SnapshotTaken {index}/{term} ({} bytes)",
                self.now_tick,
                snapshot.data.len()
            ));
        }
        self.step(id, Input::SnapshotTaken { snapshot })
    }
}

/// A one-line summary of an output for traces.
fn summarize(id: NodeId, output: &Output) -> String {
    let mut parts = Vec::new();
    if let Some(snapshot) = &output.snapshot {
        parts.push(format!(
            "snapshot {}/{}",
            snapshot.meta.last_index, snapshot.meta.last_term
        ));
    }
    if let (Some(first), Some(last)) = (output.entries.first(), output.entries.last()) {
        parts.push(format!(
            "entries {}..={} (t{}..t{})",
            first.index, last.index, first.term, last.term
        ));
    }
    if let Some(hs) = &output.hard_state {
        parts.push(format!(
            "hs t{} vote {:?} commit {}",
            hs.term, hs.voted_for, hs.commit
        ));
    }
    for message in &output.messages {
        parts.push(format!("send [{}]", describe(message)));
    }
    if let (Some(first), Some(last)) = (output.committed.first(), output.committed.last()) {
        parts.push(format!("apply {}..={}", first.index, last.index));
    }
    for result in &output.proposals {
        parts.push(format!("proposal {} {:?}", result.id, result.outcome));
    }
    for result in &output.reads {
        parts.push(format!("read {} {:?}", result.id, result.outcome));
    }
    for result in &output.membership_changes {
        parts.push(format!(
            "membership change {} {:?}",
            result.id, result.outcome
        ));
    }
    format!("  n{id} out: {}", parts.join("; "))
}
