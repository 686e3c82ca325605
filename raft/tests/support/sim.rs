//! The randomized simulation of one seed: a fault phase where every action
//! (delivery, tick, proposal, read, snapshot, transfer, crash, partition) is
//! drawn from one seeded RNG, then a liveness phase on a healed, quiet
//! network that must elect a leader and commit a fresh proposal everywhere.

use super::client::Client;
use super::driver::describe;
use super::invariants::{Invariants, Violation};
use super::network::{NetFaults, NetStats, SimNetwork};
use super::node::{ArmedCrash, CrashPoint, CrashTrigger, SimNode};
use super::profile::RunProfile;
use super::trace::Trace;
use faultline_raft::{
    Input, LogIndex, Membership, Message, MessageBody, NodeId, ProposalOutcome, Raft, SnapshotMeta,
    Term,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Loop iterations allowed per fault-phase tick before the run is declared stuck.
const ITERATIONS_PER_TICK_MAX: u64 = 2_000;
/// Messages delivered per tick at most in the liveness phase.
const QUIET_DELIVERIES_PER_TICK_MAX: usize = 10_000;

/// Counters describing what one run exercised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Ticks simulated.
    pub ticks: u64,
    /// Loop iterations of the fault phase.
    pub iterations: u64,
    /// Inputs the cores rejected (bad or stale input, counted by the core too).
    pub rejected_inputs: u64,
    /// Crashes.
    pub crashes: u64,
    /// Restarts from disk.
    pub restarts: u64,
    /// Partitions started.
    pub partitions: u64,
    /// Application snapshots taken.
    pub snapshots_taken: u64,
    /// Snapshots received through InstallSnapshot and installed.
    pub snapshots_installed: u64,
    /// Leadership transfers requested.
    pub transfers: u64,
    /// Foreign or misaddressed messages the cores correctly refused.
    pub garbage_rejected: u64,
    /// Terms that had a leader.
    pub leader_terms: u64,
    /// The highest committed index.
    pub max_committed: LogIndex,
    /// Proposals acknowledged to the client.
    pub acknowledged: u64,
    /// Reads answered Ready.
    pub reads_ready: u64,
    /// Network counters.
    pub net: NetStats,
}

/// The result of one seed.
#[derive(Debug)]
pub struct RunOutcome {
    /// The first violation, if any.
    pub violation: Option<Violation>,
    /// What the run exercised.
    pub stats: RunStats,
    /// The event trace (empty unless tracing was on).
    pub trace: Trace,
}

/// The state of one simulated cluster.
#[derive(Debug)]
pub struct Simulation {
    pub(super) rng: ChaCha8Rng,
    pub(super) profile: RunProfile,
    pub(super) now_tick: u64,
    pub(super) nodes: BTreeMap<NodeId, SimNode>,
    pub(super) membership: Membership,
    pub(super) net: SimNetwork,
    pub(super) invariants: Invariants,
    pub(super) client: Client,
    pub(super) trace: Trace,
    pub(super) stats: RunStats,
    partition_until_tick: Option<u64>,
}

impl Simulation {
    /// Runs seed `seed` to completion, recording a trace when `traced`.
    pub fn run(seed: u64, traced: bool) -> RunOutcome {
        let mut sim = Simulation::new(seed, traced);
        // A panic inside a core is a failure of this seed like any other:
        // catch it so that the seed, the message and the trace are reported.
        let phases = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sim.start()
                .and_then(|()| sim.fault_phase())
                .and_then(|()| sim.liveness_phase())
        }));
        let violation = match phases {
            Ok(result) => result.err(),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_string());
                Some(Violation::new(
                    "no panic",
                    format!("panicked at tick {}: {message}", sim.now_tick),
                ))
            }
        };
        if let Some(violation) = &violation {
            if sim.trace.enabled() {
                sim.trace.record(format!("VIOLATION: {violation}"));
            }
        }
        sim.stats.ticks = sim.now_tick;
        sim.stats.leader_terms = sim.invariants.election.terms_with_leader() as u64;
        sim.stats.max_committed = sim.invariants.commits.max_committed();
        sim.stats.acknowledged = sim.client.acknowledged;
        sim.stats.reads_ready = sim.invariants.reads.ready;
        sim.stats.net = sim.net.stats;
        RunOutcome {
            violation,
            stats: sim.stats,
            trace: sim.trace,
        }
    }

    fn new(seed: u64, traced: bool) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let profile = RunProfile::draw(&mut rng);
        let membership = Membership::new(profile.nodes.iter().copied());
        let net = SimNetwork::new(profile.faults, profile.queue_capacity);
        Simulation {
            rng,
            now_tick: 0,
            nodes: BTreeMap::new(),
            membership,
            net,
            invariants: Invariants::default(),
            client: Client::default(),
            trace: Trace::new(traced),
            stats: RunStats::default(),
            partition_until_tick: None,
            profile,
        }
    }

    fn start(&mut self) -> Result<(), Violation> {
        if self.trace.enabled() {
            self.trace.record(format!("profile {:?}", self.profile));
        }
        for &id in &self.profile.nodes.clone() {
            let config = self.profile.config_for(id);
            let seed: u64 = self.rng.gen();
            let raft = Raft::new(config.clone(), self.membership.clone(), seed);
            self.nodes.insert(id, SimNode::new(config, raft));
        }
        for id in self.profile.nodes.clone() {
            self.drain(id)?;
        }
        Ok(())
    }

    fn live_nodes(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.is_up())
            .map(|(id, _)| *id)
            .collect()
    }

    fn random_live_node(&mut self) -> Option<NodeId> {
        let live = self.live_nodes();
        if live.is_empty() {
            None
        } else {
            Some(live[self.rng.gen_range(0..live.len())])
        }
    }

    /// The live leader of the highest term, if any.
    fn current_leader(&self) -> Option<(NodeId, Term)> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.is_leader())
            .map(|(id, n)| (*id, n.raft.as_ref().map_or(0, |r| r.term())))
            .max_by_key(|(_, term)| *term)
    }

    fn fault_phase(&mut self) -> Result<(), Violation> {
        let weights = self.profile.weights;
        let iterations_max = (self.profile.fault_ticks + 1) * ITERATIONS_PER_TICK_MAX;
        while self.now_tick < self.profile.fault_ticks {
            self.stats.iterations += 1;
            if self.stats.iterations > iterations_max {
                return Err(Violation::new(
                    "bounded run",
                    format!("{iterations_max} iterations without finishing the fault phase"),
                ));
            }
            if self.net.has_ready(self.now_tick)
                && self.rng.gen_range(0..1000) < self.profile.deliver_per_mille
            {
                self.deliver()?;
                continue;
            }
            let options = [
                weights.tick,
                weights.propose,
                weights.read,
                weights.snapshot,
                weights.transfer,
                weights.crash,
                weights.partition,
                weights.garbage,
            ];
            let total: u32 = options.iter().sum();
            let mut pick = self.rng.gen_range(0..total);
            let mut action = 0;
            while pick >= options[action] {
                pick -= options[action];
                action += 1;
            }
            match action {
                0 => self.tick()?,
                1 => self.propose()?,
                2 => self.read()?,
                3 => {
                    if let Some(id) = self.random_live_node() {
                        self.take_snapshot(id)?;
                    }
                }
                4 => self.transfer()?,
                5 => self.crash_random()?,
                6 => self.partition(),
                _ => self.garbage()?,
            }
        }
        Ok(())
    }

    fn deliver(&mut self) -> Result<(), Violation> {
        let Some(message) = self.net.take_ready(self.now_tick, &mut self.rng) else {
            return Ok(());
        };
        let to = message.to;
        if !self.nodes.get(&to).is_some_and(SimNode::is_up) {
            self.net.count_down_drop();
            return Ok(());
        }
        self.net.count_delivered();
        if self.trace.enabled() {
            self.trace
                .record(format!("t{} deliver {}", self.now_tick, describe(&message)));
        }
        self.step(to, Input::Message(message))
    }

    fn tick(&mut self) -> Result<(), Violation> {
        self.now_tick += 1;
        if self.trace.enabled() {
            self.trace.record(format!("t{} tick", self.now_tick));
        }
        if self
            .partition_until_tick
            .is_some_and(|until| until <= self.now_tick)
        {
            self.heal();
        }
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            let node = &self.nodes[&id];
            if !node.is_up() && node.restart_at_tick <= self.now_tick {
                self.restart(id)?;
            }
        }
        for id in self.live_nodes() {
            self.step(id, Input::Tick)?;
        }
        Ok(())
    }

    /// A client sends a small batch of proposals, to the leader it last
    /// heard of (usually) or to a random node, and follows one redirect.
    fn propose(&mut self) -> Result<(), Violation> {
        let batch = self.rng.gen_range(1..=self.profile.proposal_batch_max);
        for _ in 0..batch {
            let hinted = self
                .client
                .leader_hint
                .filter(|id| self.nodes.get(id).is_some_and(SimNode::is_up));
            let target = match hinted {
                Some(id) if self.rng.gen_range(0..1000) < 800 => Some(id),
                _ => self.random_live_node(),
            };
            let Some(mut node) = target else {
                return Ok(());
            };
            for _attempt in 0..2 {
                let id = self.client.next_id();
                let (low, high) = self.profile.payload_bytes;
                let len = self.rng.gen_range(low..=high);
                let mut data = format!("p{id}:").into_bytes();
                data.extend((0..len).map(|_| self.rng.gen::<u8>()));
                self.client.proposed(id, node, data.clone());
                if self.trace.enabled() {
                    self.trace
                        .record(format!("t{} n{node} Propose {id}", self.now_tick));
                }
                self.step(node, Input::Propose { id, data })?;
                match self.client.last_outcome(id) {
                    Some(ProposalOutcome::Appended { .. }) => {
                        self.client.leader_hint = Some(node);
                        break;
                    }
                    Some(ProposalOutcome::NotLeader {
                        leader_hint: Some(hint),
                    }) if *hint != node && self.nodes.get(hint).is_some_and(SimNode::is_up) => {
                        let hint = *hint;
                        self.client.leader_hint = Some(hint);
                        node = hint;
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }

    fn read(&mut self) -> Result<(), Violation> {
        let Some(id) = self.random_live_node() else {
            return Ok(());
        };
        let read = self.client.next_id();
        self.invariants.reads.issued(read, id);
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} Read {read} (acked up to {})",
                self.now_tick,
                self.invariants.reads.acked_max()
            ));
        }
        self.step(id, Input::Read { id: read })
    }

    fn transfer(&mut self) -> Result<(), Violation> {
        let Some((leader, _)) = self.current_leader() else {
            return Ok(());
        };
        let others: Vec<NodeId> = self
            .profile
            .nodes
            .iter()
            .copied()
            .filter(|&n| n != leader)
            .collect();
        let to = others[self.rng.gen_range(0..others.len())];
        self.stats.transfers += 1;
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{leader} TransferLeadership to {to}",
                self.now_tick
            ));
        }
        self.step(leader, Input::TransferLeadership { to })
    }

    fn crash_random(&mut self) -> Result<(), Violation> {
        let live = self.live_nodes();
        if live.len() <= 1 {
            return Ok(());
        }
        let id = live[self.rng.gen_range(0..live.len())];
        let point = match self.rng.gen_range(0..3) {
            0 => CrashPoint::BeforeSync,
            1 => CrashPoint::AfterSync,
            _ => CrashPoint::AfterSend,
        };
        let trigger = match self.rng.gen_range(0..6) {
            0 => return self.crash(id, "between steps"),
            1 | 2 => CrashTrigger::NextOutput,
            3 => CrashTrigger::VoteGranted,
            _ => CrashTrigger::AppendAcked,
        };
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} crash armed ({:?}, {})",
                self.now_tick,
                trigger,
                point.as_str()
            ));
        }
        self.nodes.get_mut(&id).expect("node exists").armed = Some(ArmedCrash { trigger, point });
        Ok(())
    }

    /// Feeds a live node a message it must refuse without effect: from a
    /// node outside the cluster, or addressed to another node. Its body is
    /// random, so this also checks that no field value makes a core panic.
    fn garbage(&mut self) -> Result<(), Violation> {
        let Some(id) = self.random_live_node() else {
            return Ok(());
        };
        let mut message = garbage_message(&mut self.rng);
        if self.rng.gen_bool(0.5) {
            message.from = self.rng.gen_range(100..200);
            message.to = id;
        } else {
            message.from = self.profile.nodes[self.rng.gen_range(0..self.profile.nodes.len())];
            message.to = self.rng.gen_range(100..200);
        }
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} garbage {}",
                self.now_tick,
                describe(&message)
            ));
        }
        let raft = self.nodes.get_mut(&id).and_then(|n| n.raft.as_mut());
        let Some(raft) = raft else {
            return Ok(());
        };
        let before = (
            raft.term(),
            raft.commit_index(),
            raft.last_index(),
            raft.role(),
        );
        let result = raft.step(Input::Message(message.clone()));
        let after = (
            raft.term(),
            raft.commit_index(),
            raft.last_index(),
            raft.role(),
        );
        let output = raft.take_output();
        if result.is_ok() || before != after || !output.messages.is_empty() {
            return Err(Violation::new(
                "bad input rejected",
                format!(
                    "node {id} accepted or acted on {} (result {result:?}, state {before:?} -> \
                     {after:?}, {} messages out)",
                    describe(&message),
                    output.messages.len()
                ),
            ));
        }
        self.stats.garbage_rejected += 1;
        // Whatever else the output holds (nothing is expected) is carried out.
        self.execute_output(id, output)
    }

    fn partition(&mut self) {
        if self.net.is_partitioned() {
            return;
        }
        let nodes = self.profile.nodes.clone();
        let side_size = self.rng.gen_range(1..nodes.len());
        let mut side = nodes.clone();
        // A random subset of `side_size` nodes (partial Fisher-Yates).
        for i in 0..side_size {
            let j = self.rng.gen_range(i..side.len());
            side.swap(i, j);
        }
        side.truncate(side_size);
        let one_way = self.rng.gen_bool(0.25);
        for &a in &side {
            for &b in nodes.iter().filter(|n| !side.contains(n)) {
                self.net.block(a, b);
                if !one_way {
                    self.net.block(b, a);
                }
            }
        }
        let (low, high) = self.profile.partition_ticks;
        let until = self.now_tick + self.rng.gen_range(low..=high);
        self.partition_until_tick = Some(until);
        self.stats.partitions += 1;
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} PARTITION {side:?} {} the rest until t{until}",
                self.now_tick,
                if one_way { "cannot reach" } else { "cut from" }
            ));
        }
    }

    fn heal(&mut self) {
        self.net.heal();
        self.partition_until_tick = None;
        if self.trace.enabled() {
            self.trace.record(format!("t{} HEAL", self.now_tick));
        }
    }

    /// Heals everything, then requires a leader and a new proposal applied
    /// on every node within a bounded number of quiet ticks.
    fn liveness_phase(&mut self) -> Result<(), Violation> {
        self.heal();
        self.net.set_faults(NetFaults::quiet());
        for node in self.nodes.values_mut() {
            node.armed = None;
        }
        let down: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.is_up())
            .map(|(id, _)| *id)
            .collect();
        for id in down {
            self.restart(id)?;
        }
        if self.trace.enabled() {
            self.trace
                .record(format!("t{} LIVENESS PHASE (all healed)", self.now_tick));
        }
        let quiet_ticks_max = 60 * self.profile.config.election_ticks;
        let deadline = self.now_tick + quiet_ticks_max;
        let mut marker: Option<(NodeId, LogIndex, Term)> = None;
        while self.now_tick < deadline {
            let mut delivered = 0;
            while self.net.has_ready(self.now_tick) && delivered < QUIET_DELIVERIES_PER_TICK_MAX {
                self.deliver()?;
                delivered += 1;
            }
            if let Some((node, index, term)) = marker {
                if self.client.is_acknowledged(node, index) {
                    if self.nodes.values().all(|n| n.app.applied_index >= index) {
                        return Ok(());
                    }
                } else if !self.client.is_waiting(node, index)
                    || self.nodes[&node]
                        .raft
                        .as_ref()
                        .is_none_or(|r| r.term_at(index) != Some(term))
                {
                    // Overwritten by another leader's entry (or about to be):
                    // propose again.
                    marker = None;
                }
            }
            if marker.is_none() {
                if let Some((leader, _)) = self.current_leader() {
                    marker = self.propose_marker(leader)?;
                }
            }
            self.tick()?;
        }
        let summary: Vec<String> = self
            .nodes
            .iter()
            .map(|(id, n)| match &n.raft {
                Some(r) => {
                    let peers: Vec<String> = r
                        .status()
                        .peers
                        .iter()
                        .map(|p| {
                            format!(
                                "n{} {:?} match {} next {} inflight {}",
                                p.id, p.state, p.match_index, p.next_index, p.inflight_msgs
                            )
                        })
                        .collect();
                    format!(
                        "n{id} {:?} t{} commit {} applied {} first {}{}",
                        r.role(),
                        r.term(),
                        r.commit_index(),
                        n.app.applied_index,
                        r.first_index(),
                        if peers.is_empty() {
                            String::new()
                        } else {
                            format!(" peers {{{}}}", peers.join("; "))
                        }
                    )
                }
                None => format!("n{id} down"),
            })
            .collect();
        Err(Violation::new(
            "liveness",
            format!(
                "{quiet_ticks_max} quiet ticks after healing every fault, {}: [{}]",
                match marker {
                    None => "no leader accepted a proposal".to_string(),
                    Some((n, i, _)) =>
                        format!("the proposal at n{n} index {i} was not applied everywhere"),
                },
                summary.join(", ")
            ),
        ))
    }

    /// Proposes at `leader`; returns where it was appended, if it was.
    fn propose_marker(
        &mut self,
        leader: NodeId,
    ) -> Result<Option<(NodeId, LogIndex, Term)>, Violation> {
        let id = self.client.next_id();
        let data = format!("marker{id}").into_bytes();
        self.client.proposed(id, leader, data.clone());
        if self.trace.enabled() {
            self.trace
                .record(format!("t{} n{leader} Propose marker {id}", self.now_tick));
        }
        self.step(leader, Input::Propose { id, data })?;
        Ok(match self.client.last_outcome(id) {
            Some(ProposalOutcome::Appended { index, term }) => Some((leader, *index, *term)),
            _ => None,
        })
    }
}

/// A message with a random body and random field values.
fn garbage_message(rng: &mut ChaCha8Rng) -> Message {
    let small = |rng: &mut ChaCha8Rng| -> u64 {
        if rng.gen_bool(0.1) {
            rng.gen()
        } else {
            rng.gen_range(0..64)
        }
    };
    let body = match rng.gen_range(0..7) {
        0 => MessageBody::RequestVote {
            pre_vote: rng.gen(),
            last_log_index: small(rng),
            last_log_term: small(rng),
            transfer: rng.gen(),
        },
        1 => MessageBody::RequestVoteResponse {
            pre_vote: rng.gen(),
            granted: rng.gen(),
        },
        2 => MessageBody::AppendEntries {
            prev_log_index: small(rng),
            prev_log_term: small(rng),
            entries: Vec::new(),
            leader_commit: small(rng),
            read_round: small(rng),
        },
        3 => MessageBody::AppendEntriesResponse {
            success: rng.gen(),
            match_index: small(rng),
            conflict_term: rng.gen::<bool>().then(|| small(rng)),
            conflict_index: small(rng),
            read_round: small(rng),
        },
        4 => MessageBody::InstallSnapshot {
            meta: SnapshotMeta {
                last_index: small(rng),
                last_term: small(rng),
                membership: Membership::new([1, 2, 3]),
            },
            offset: small(rng),
            data: vec![0xee; rng.gen_range(0..32)],
            done: rng.gen(),
        },
        5 => MessageBody::InstallSnapshotResponse {
            last_index: small(rng),
            next_offset: small(rng),
            done: rng.gen(),
            rejected: rng.gen(),
        },
        _ => MessageBody::TimeoutNow,
    };
    Message {
        from: 0,
        to: 0,
        term: small(rng),
        body,
    }
}
