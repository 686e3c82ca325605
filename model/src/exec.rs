//! Carrying out one action on a cluster state the way a node driver does
//! (DESIGN §4: persist, then send, then apply), and running the shared
//! invariants ([`faultline_raft::invariants::Invariants`]) on the node after
//! each of its steps: the same definitions the randomized harness and the
//! simulator's observer use.

use faultline_raft::bugs::Bug;
use faultline_raft::invariants::rules::{Incoming, MessageRules, NodeFacts, Sent};
use faultline_raft::invariants::state_machine::chain_step;
use faultline_raft::invariants::{NodeView, Violation};
use faultline_raft::{
    DurableState, Entry, Input, LogIndex, Message, MessageBody, NodeId, Output, Raft, Role, Term,
};

use std::sync::Arc;

use crate::action::Action;
use crate::bounds::{Bounds, ELECTION_TICKS};
use crate::state::{fingerprint, AppChain, ClusterState};

/// A step's outputs are drained at most this many times (a step's output
/// leads to at most a persisted notice and its own output).
const OUTPUT_ROUNDS_MAX: usize = 8;

/// A timeout action ticks a node at most this many times (the timeout is
/// fixed at [`ELECTION_TICKS`]; a leader broadcasts every tick).
const TICKS_MAX: u64 = 2 * ELECTION_TICKS + 1;

/// The name of the invariant broken when a crashed node cannot restart
/// from what it made durable.
pub const RECOVERY: &str = "recovery";

/// The invariants' view of a running core.
pub struct CoreView<'a>(pub &'a Raft);

impl NodeView for CoreView<'_> {
    fn id(&self) -> NodeId {
        self.0.id()
    }
    fn term(&self) -> Term {
        self.0.term()
    }
    fn is_leader(&self) -> bool {
        self.0.role() == Role::Leader
    }
    fn commit_index(&self) -> LogIndex {
        self.0.commit_index()
    }
    fn first_index(&self) -> LogIndex {
        self.0.first_index()
    }
    fn last_index(&self) -> LogIndex {
        self.0.last_index()
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.0.term_at(index)
    }
    fn entry(&self, index: LogIndex) -> Option<Entry> {
        self.0.entry(index).cloned()
    }
}

impl ClusterState {
    /// Carries out `action`; `None` when it is not possible here.
    pub fn apply(&mut self, bounds: &Bounds, action: &Action) -> Option<()> {
        match action {
            Action::Deliver(m) => {
                if !self.network.take(m) {
                    return None;
                }
                let to = m.to;
                self.step(bounds, to, Input::Message(m.clone()));
            }
            Action::Drop(m) => {
                if !self.network.take(m) {
                    return None;
                }
            }
            Action::Duplicate(m) => {
                if !self.network.contains(m) {
                    return None;
                }
                self.network.send(m.clone(), bounds.in_flight_max);
                self.spent.duplicates += 1;
            }
            Action::Timeout(id) | Action::Heartbeat(id) => {
                if matches!(action, Action::Heartbeat(_)) {
                    self.spent.heartbeats += 1;
                }
                self.tick_until_output(bounds, *id)?;
            }
            Action::Propose(id) => {
                let value = self.spent.proposals + 1;
                self.spent.proposals = value;
                let input = Input::Propose {
                    id: u64::from(value),
                    data: vec![value],
                };
                self.step(bounds, *id, input);
            }
            Action::Crash(id) => {
                let before = fingerprint(self.node(*id));
                self.spent.crashes += 1;
                self.crash_and_restart(bounds, *id);
                if self.violation.is_none() && fingerprint(self.node(*id)) == before {
                    // Nothing volatile was lost: the same state with less
                    // budget left, which explores nothing new.
                    return None;
                }
            }
        }
        self.forget_inert_messages(bounds);
        Some(())
    }

    /// Drops every message in flight that can no longer change anything
    /// (a reduction of the state space that loses no behaviour): an answer
    /// (a vote, append or snapshot response, or a TimeoutNow) whose term is
    /// below its recipient's. The core refuses any message of an older term
    /// and answers only requests (whose answer tells their sender the newer
    /// term); terms never fall, not even across a restart (the term is
    /// durable before any message of it leaves); so such an answer is
    /// refused whenever it arrives, changing nothing but counters. The one
    /// seeded bug that accepts older answers (`vote-from-earlier-term`,
    /// granted votes) keeps them.
    fn forget_inert_messages(&mut self, bounds: &Bounds) {
        let terms: Vec<Term> = self.nodes.iter().map(|n| n.core.term()).collect();
        let earlier_votes_count = bounds.bugs.on(Bug::VoteFromEarlierTerm);
        self.network.retain(|m| {
            let recipient_term = terms[(m.to - 1) as usize];
            let request = matches!(
                m.body,
                MessageBody::RequestVote { .. }
                    | MessageBody::AppendEntries { .. }
                    | MessageBody::InstallSnapshot { .. }
            );
            let counted_by_bug = earlier_votes_count
                && matches!(
                    m.body,
                    MessageBody::RequestVoteResponse { granted: true, .. }
                );
            m.term >= recipient_term || request || counted_by_bug
        });
    }

    /// Ticks node `id` until it has something to do (campaign, broadcast).
    fn tick_until_output(&mut self, bounds: &Bounds, id: NodeId) -> Option<()> {
        let before = NodeFacts::of(&self.node(id).core);
        let core = &mut self.node_mut(id).core;
        let fired = (0..TICKS_MAX).any(|_| {
            // A tick is never refused.
            let _ = core.step(Input::Tick);
            core.has_output()
        });
        if !fired {
            return None;
        }
        let sent = self.drain(bounds, id);
        self.check(bounds, id, Some((before, None, sent)));
        Some(())
    }

    /// Feeds one input to node `id`, carries out its output, checks it.
    pub fn step(&mut self, bounds: &Bounds, id: NodeId, input: Input) {
        let incoming = match &input {
            Input::Message(m) => Some(Incoming::of(m)),
            _ => None,
        };
        let before = NodeFacts::of(&self.node(id).core);
        // Refusals are routine under reordering and loss, never fatal; the
        // output may still hold the protocol's answer.
        let _ = self.node_mut(id).core.step(input);
        let sent = self.drain(bounds, id);
        self.check(bounds, id, Some((before, incoming, sent)));
    }

    /// The node loses its core and state machine and restarts from what it
    /// made durable.
    fn crash_and_restart(&mut self, bounds: &Bounds, id: NodeId) {
        self.invariants.node_crashed(id);
        let durable = self.node(id).durable.clone();
        match Raft::restore(bounds.config(id), bounds.membership(), durable, id) {
            Ok(core) => {
                let node = self.node_mut(id);
                node.core = core;
                node.app = AppChain::default();
                node.rules = MessageRules::default();
                self.drain(bounds, id);
                self.check(bounds, id, None);
            }
            Err(err) => self.record(Err(Violation::new(
                RECOVERY,
                format!("node {id} cannot restart from its durable state: {err}"),
            ))),
        }
    }

    /// Runs the per-step invariants on node `id`, and the per-input rules
    /// on what it did (`before` it, the message it took, the answers it
    /// sent) unless they are off.
    fn check(
        &mut self,
        bounds: &Bounds,
        id: NodeId,
        input: Option<(NodeFacts, Option<Incoming>, Vec<Sent>)>,
    ) {
        let node = Arc::make_mut(&mut self.nodes[(id - 1) as usize]);
        if let (true, Some((before, incoming, sent))) = (bounds.rules, input) {
            let after = NodeFacts::of(&node.core);
            let membership = bounds.membership();
            let found = node
                .rules
                .check(&before, incoming.as_ref(), &after, &sent, &membership);
            if let Some(violation) = found.into_iter().next() {
                self.record(Err(violation));
            }
        }
        let node = &self.nodes[(id - 1) as usize];
        let result = self.invariants.after_step(&CoreView(&node.core));
        self.record(result);
    }

    /// Carries out node `id`'s outputs until it has none left; returns the
    /// answers it sent, for the rules.
    fn drain(&mut self, bounds: &Bounds, id: NodeId) -> Vec<Sent> {
        let mut sent = Vec::new();
        for _ in 0..OUTPUT_ROUNDS_MAX {
            let node = self.node_mut(id);
            if !node.core.has_output() {
                return sent;
            }
            let output = node.core.take_output();
            sent.extend(output.messages.iter().filter_map(Sent::of));
            self.execute(bounds, id, output);
        }
        self.record(Err(Violation::new(
            "bounded-output",
            format!("node {id} still had output after {OUTPUT_ROUNDS_MAX} rounds"),
        )));
        sent
    }

    /// Carries out one output: persist (and report it), send, apply.
    fn execute(&mut self, bounds: &Bounds, id: NodeId, output: Output) {
        let node = self.node_mut(id);
        let persist = output.into_effects();
        write_durable(
            &mut node.durable,
            persist.snapshot().cloned(),
            persist.entries(),
            persist.hard_state().copied(),
        );
        let notice = persist.persisted_notice();
        let (messages, apply) = persist.synced().into_messages();
        if let Some(notice) = notice {
            // A stale notice is refused and counted, never harmful.
            let _ = node.core.step(notice);
        }
        let commit = node.core.commit_index();
        for message in messages {
            self.send(bounds, message);
        }
        for entry in &apply.committed {
            let node = self.node_mut(id);
            node.app = AppChain {
                applied_index: entry.index,
                chain: chain_step(node.app.chain, entry),
            };
            let chain = node.app.chain;
            let result =
                self.invariants
                    .machines
                    .reached(id, entry.index, chain, commit, "applied");
            self.record(result);
        }
    }

    /// Puts a message in flight (a full network loses it).
    fn send(&mut self, bounds: &Bounds, message: Message) {
        self.network.send(message, bounds.in_flight_max);
    }
}

/// Writes what an output asks to persist: a snapshot replaces the entries
/// it covers, entries replace the stored suffix from their first index.
fn write_durable(
    durable: &mut DurableState,
    snapshot: Option<faultline_raft::Snapshot>,
    entries: &[Entry],
    hard_state: Option<faultline_raft::HardState>,
) {
    if let Some(snapshot) = snapshot {
        let last = snapshot.meta.last_index;
        durable.entries.retain(|e| e.index > last);
        durable.snapshot = Some(snapshot);
    }
    if let Some(first) = entries.first() {
        durable.entries.retain(|e| e.index < first.index);
        durable.entries.extend(entries.iter().cloned());
    }
    if let Some(hard_state) = hard_state {
        durable.hard_state = hard_state;
    }
}
