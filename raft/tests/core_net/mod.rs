//! A tiny in-test network for driving Raft cores by hand: every node has a
//! model disk, messages wait in one FIFO queue until delivered, links can be
//! cut, and every output is carried out in the documented order (persist,
//! report `Persisted`, send, apply, answer).

#![allow(dead_code)]

use faultline_raft::{
    Config, Entry, HardState, Input, LogIndex, Membership, MembershipChange,
    MembershipChangeOutcome, MembershipChangeResult, Message, MessageBody, NodeId, Output,
    ProposalResult, Raft, ReadResult, RecoveredState, Role, Snapshot, Term,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What a node's disk holds.
#[derive(Debug, Clone, Default)]
pub struct Disk {
    pub hard_state: HardState,
    pub snapshot: Option<Snapshot>,
    pub entries: Vec<Entry>,
}

impl Disk {
    /// Persists an output's durable parts; returns what to report as persisted.
    pub fn persist(&mut self, out: &Output) -> Option<(LogIndex, Term)> {
        let mut mark = None;
        if let Some(snap) = &out.snapshot {
            self.save_snapshot(snap);
            mark = Some((snap.meta.last_index, snap.meta.last_term));
        }
        if let Some(first) = out.entries.first() {
            self.entries.retain(|e| e.index < first.index);
            self.entries.extend(out.entries.iter().cloned());
        }
        if let Some(last) = out.entries.last() {
            mark = Some((last.index, last.term));
        }
        if let Some(hs) = out.hard_state {
            self.hard_state = hs;
        }
        mark
    }

    /// Stores a snapshot, keeping later entries only if they follow it.
    pub fn save_snapshot(&mut self, snap: &Snapshot) {
        let last = snap.meta.last_index;
        let keep = self
            .entries
            .iter()
            .any(|e| e.index == last && e.term == snap.meta.last_term);
        if keep {
            self.entries.retain(|e| e.index > last);
        } else {
            self.entries.clear();
        }
        self.snapshot = Some(snap.clone());
    }

    /// What a restart reads back.
    pub fn recovered(&self) -> RecoveredState {
        RecoveredState {
            hard_state: self.hard_state,
            snapshot: self.snapshot.clone(),
            entries: self.entries.clone(),
            truncated_at: None,
        }
    }
}

/// One node: its core, disk and what it handed to the application.
pub struct Node {
    pub raft: Raft,
    pub disk: Disk,
    /// Entries applied, in order (after any installed snapshot).
    pub applied: Vec<Entry>,
    /// Snapshots installed in the state machine.
    pub installed: Vec<Snapshot>,
    pub proposals: Vec<ProposalResult>,
    pub reads: Vec<ReadResult>,
    pub changes: Vec<MembershipChangeResult>,
    /// Report `Persisted` automatically after persisting.
    pub auto_persist_ack: bool,
}

impl Node {
    /// A fresh node around `raft`: an empty disk, nothing applied yet.
    pub fn new(raft: Raft) -> Node {
        Node {
            raft,
            disk: Disk::default(),
            applied: Vec::new(),
            installed: Vec::new(),
            proposals: Vec::new(),
            reads: Vec::new(),
            changes: Vec::new(),
            auto_persist_ack: true,
        }
    }
}

/// A configuration with small timeouts for tests.
pub fn config(id: NodeId) -> Config {
    let mut c = Config::new(id);
    c.election_ticks = 10;
    c.heartbeat_ticks = 2;
    c.lease_drift_ticks = 2;
    c
}

/// The network.
pub struct Net {
    pub nodes: BTreeMap<NodeId, Node>,
    pub queue: VecDeque<Message>,
    /// Nodes cut off from everyone.
    pub isolated: BTreeSet<NodeId>,
    /// Directed links that drop messages.
    pub cut_links: BTreeSet<(NodeId, NodeId)>,
    pub membership: Membership,
    /// Every message ever sent (for inspection).
    pub sent_log: Vec<Message>,
}

impl Net {
    /// `n` fresh nodes 1..=n with `config`, modified by `tweak`.
    pub fn new(n: u64, tweak: impl Fn(&mut Config)) -> Net {
        let membership = Membership::new(1..=n);
        let mut nodes = BTreeMap::new();
        for id in 1..=n {
            let mut c = config(id);
            tweak(&mut c);
            nodes.insert(id, Node::new(Raft::new(c, membership.clone(), 1000 + id)));
        }
        Net {
            nodes,
            queue: VecDeque::new(),
            isolated: BTreeSet::new(),
            cut_links: BTreeSet::new(),
            membership,
            sent_log: Vec::new(),
        }
    }

    pub fn raft(&self, id: NodeId) -> &Raft {
        &self.nodes[&id].raft
    }

    pub fn node(&mut self, id: NodeId) -> &mut Node {
        self.nodes.get_mut(&id).expect("node exists")
    }

    /// Steps `input` into node `id` (ignoring a refusal) and carries out the output.
    pub fn step(&mut self, id: NodeId, input: Input) {
        let _ = self.node(id).raft.step(input);
        self.flush(id);
    }

    /// Carries out everything node `id` has to do.
    pub fn flush(&mut self, id: NodeId) {
        for _ in 0..100 {
            let node = self.nodes.get_mut(&id).expect("node exists");
            let out = node.raft.take_output();
            if out.is_empty() {
                return;
            }
            let mark = node.disk.persist(&out);
            if let (Some((index, term)), true) = (mark, node.auto_persist_ack) {
                let _ = node.raft.step(Input::Persisted { index, term });
            }
            if let Some(snap) = &out.snapshot {
                node.installed.push(snap.clone());
                node.applied.clear();
            }
            node.applied.extend(out.committed.iter().cloned());
            node.proposals.extend(out.proposals.iter().cloned());
            node.reads.extend(out.reads.iter().cloned());
            node.changes.extend(out.membership_changes.iter().cloned());
            for m in out.messages {
                self.sent_log.push(m.clone());
                self.queue.push_back(m);
            }
        }
        panic!("node {id} keeps producing output");
    }

    fn blocked(&self, m: &Message) -> bool {
        self.isolated.contains(&m.from)
            || self.isolated.contains(&m.to)
            || self.cut_links.contains(&(m.from, m.to))
    }

    /// Delivers one queued message (dropping it if its link is cut).
    pub fn deliver_one(&mut self) -> Option<Message> {
        let m = self.queue.pop_front()?;
        if !self.blocked(&m) && self.nodes.contains_key(&m.to) {
            let to = m.to;
            self.step(to, Input::Message(m.clone()));
        }
        Some(m)
    }

    /// Delivers until no message is left.
    pub fn settle(&mut self) {
        for id in self.ids() {
            self.flush(id);
        }
        let mut budget = 100_000;
        while self.deliver_one().is_some() {
            budget -= 1;
            assert!(budget > 0, "network does not settle");
        }
    }

    /// Drops every queued message.
    pub fn drop_queue(&mut self) -> Vec<Message> {
        self.queue.drain(..).collect()
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.keys().copied().collect()
    }

    /// Ticks node `id` once.
    pub fn tick(&mut self, id: NodeId) {
        self.step(id, Input::Tick);
    }

    /// Ticks every node `n` times, settling the network after each round.
    pub fn tick_all(&mut self, n: u64) {
        for _ in 0..n {
            for id in self.ids() {
                self.tick(id);
            }
            self.settle();
        }
    }

    /// Ticks only `id` until it starts campaigning, then settles.
    pub fn campaign(&mut self, id: NodeId) {
        for _ in 0..1000 {
            if self.raft(id).role() != Role::Follower {
                break;
            }
            self.tick(id);
        }
        self.settle();
    }

    /// Elects `id` in a cluster without a live leader; asserts it won.
    pub fn elect(&mut self, id: NodeId) {
        self.campaign(id);
        assert_eq!(self.raft(id).role(), Role::Leader, "node {id} should lead");
    }

    /// Proposes `data` at `id` and settles.
    pub fn propose(&mut self, id: NodeId, data: &[u8]) {
        let pid = self.nodes[&id].proposals.len() as u64 + 1;
        self.step(
            id,
            Input::Propose {
                id: pid,
                data: data.to_vec(),
            },
        );
        self.settle();
    }

    /// Restarts node `id` from its disk.
    pub fn restart(&mut self, id: NodeId, seed: u64) {
        let membership = self.membership.clone();
        let node = self.node(id);
        let config = node.raft.config().clone();
        let recovered = node.disk.recovered();
        node.raft = Raft::restore(config, membership, recovered, seed).expect("restore");
        node.applied.clear();
        node.installed.clear();
        self.flush(id);
    }

    /// Adds node `id`, not a member yet: it starts empty with no
    /// configuration (a joiner), configured by `tweak`.
    pub fn add_node(&mut self, id: NodeId, tweak: impl Fn(&mut Config)) {
        let mut c = config(id);
        tweak(&mut c);
        self.nodes.insert(
            id,
            Node::new(Raft::new(c, Membership::default(), 1000 + id)),
        );
    }

    /// Asks node `id` for a configuration change and returns its answer
    /// (without settling the network).
    pub fn change(&mut self, id: NodeId, change: MembershipChange) -> MembershipChangeOutcome {
        let change_id = self.nodes[&id].changes.len() as u64 + 1;
        self.step(
            id,
            Input::ChangeMembership {
                id: change_id,
                change,
            },
        );
        let result = self.nodes[&id]
            .changes
            .last()
            .cloned()
            .expect("every change is answered");
        assert_eq!(result.id, change_id, "the answer is to this change");
        result.outcome
    }

    /// Messages of `kind` currently queued.
    pub fn queued(&self, kind: &str) -> Vec<Message> {
        self.queue
            .iter()
            .filter(|m| m.body.kind() == kind)
            .cloned()
            .collect()
    }
}

/// A message from `from` to `to` in `term`.
pub fn msg(from: NodeId, to: NodeId, term: Term, body: MessageBody) -> Message {
    Message {
        from,
        to,
        term,
        body,
    }
}

/// An entry carrying a command.
pub fn cmd(index: LogIndex, term: Term, data: &[u8]) -> Entry {
    Entry {
        index,
        term,
        payload: faultline_raft::EntryPayload::Command(data.to_vec()),
    }
}
