//! The randomized simulation of one seed: a fault phase where every action
//! (delivery, tick, proposal, read, snapshot, transfer, crash, partition) is
//! drawn from one seeded RNG, then a liveness phase on a healed, quiet
//! network that must elect a leader and commit a fresh proposal everywhere.

use super::client::Client;
use super::network::{NetStats, SimNetwork};
use super::node::SimNode;
use super::profile::RunProfile;
use super::trace::Trace;
use faultline_raft::bugs::BugSet;
use faultline_raft::invariants::{Invariants, Violation};
use faultline_raft::{LogIndex, Membership, NodeId, Raft, Term};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Loop iterations allowed per fault-phase tick before the run is declared stuck.
const ITERATIONS_PER_TICK_MAX: u64 = 2_000;

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
    /// Configuration changes asked of a leader.
    pub membership_changes: u64,
    /// Configuration changes accepted (appended).
    pub membership_accepted: u64,
    /// Joint configurations entered.
    pub joint_entered: u64,
    /// Commits checked against the quorum of the committing configuration.
    pub commit_quorum_checks: u64,
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
    /// The initial configuration (the bootstrap one of the initial voters;
    /// spares start with none).
    pub(super) membership: Membership,
    /// Each leader's last observed (term, commit index).
    pub(super) leader_commits: BTreeMap<NodeId, (Term, LogIndex)>,
    pub(super) net: SimNetwork,
    pub(super) invariants: Invariants,
    pub(super) client: Client,
    pub(super) trace: Trace,
    pub(super) stats: RunStats,
    pub(super) partition_until_tick: Option<u64>,
}

impl Simulation {
    /// Runs seed `seed` to completion, recording a trace when `traced`.
    pub fn run(seed: u64, traced: bool) -> RunOutcome {
        Simulation::run_with_bugs(seed, traced, BugSet::NONE)
    }

    /// Runs seed `seed` with seeded bugs `bugs` switched on in every core
    /// (the profile drawn is the same as without them).
    pub fn run_with_bugs(seed: u64, traced: bool, bugs: BugSet) -> RunOutcome {
        let mut sim = Simulation::new(seed, traced);
        sim.profile.config.bugs = bugs;
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
        sim.stats.max_committed = sim.invariants.committed.max_index();
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
            leader_commits: BTreeMap::new(),
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
        if self.profile.weights.membership > 0 {
            for &id in &self.profile.spares.clone() {
                let config = self.profile.config_for(id);
                let seed: u64 = self.rng.gen();
                let raft = Raft::new(config.clone(), self.bootstrap_for(id), seed);
                self.nodes.insert(id, SimNode::new(config, raft));
            }
        }
        for id in self.nodes.keys().copied().collect::<Vec<_>>() {
            self.drain(id)?;
        }
        Ok(())
    }

    /// The configuration node `id` starts with: the initial one for the
    /// initial voters, none for spares (they learn theirs when added).
    pub(super) fn bootstrap_for(&self, id: NodeId) -> Membership {
        if self.profile.nodes.contains(&id) {
            self.membership.clone()
        } else {
            Membership::default()
        }
    }

    pub(super) fn live_nodes(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.is_up())
            .map(|(id, _)| *id)
            .collect()
    }

    pub(super) fn random_live_node(&mut self) -> Option<NodeId> {
        let live = self.live_nodes();
        if live.is_empty() {
            None
        } else {
            Some(live[self.rng.gen_range(0..live.len())])
        }
    }

    /// The live leader of the highest term, if any.
    pub(super) fn current_leader(&self) -> Option<(NodeId, Term)> {
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
                weights.membership,
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
                7 => self.garbage()?,
                _ => self.change_membership()?,
            }
        }
        Ok(())
    }
}
