//! One run inside the simulator: build the cluster, start the clients, walk
//! the nemesis schedule, and step until the generator is done and the
//! cluster has converged (or a bound is hit). Everything here is driven by
//! the seed: no wall clock, no unseeded randomness, ordered collections only.

use super::clients::{lock, run_workers, ClientSetup, Shared};
use super::config::{ClientRouting, RunConfig};
use super::stability::Stability;
use faultline_checker::history::History;
use faultline_checker::SituationCount;
use faultline_nemesis::executor::Executor;
use faultline_nemesis::executor::NemesisEvent;
use faultline_nemesis::explicit::ExplicitPlan;
use faultline_raft::node::ClientConfig;
use faultline_raft::NodeId;
use faultline_sim::cluster::{ClusterConfig, SimCluster};
use faultline_sim::data_loss::{DataLoss, DataLossTracker};
use faultline_sim::node_log::NodeLog;
use faultline_sim::observer::Violation;
use faultline_sim::situations::SituationTracker;
use faultline_workloads::{build_workload, Generator, GeneratorConfig, Phase, WorkloadConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NS_PER_S: u64 = 1_000_000_000;

/// Everything a finished simulation hands to the checkers.
#[derive(Debug)]
pub struct SimOutput {
    /// The recorded history (client ops and nemesis actions).
    pub history: History,
    /// Raft invariant violations the observer found.
    pub violations: Vec<Violation>,
    /// Liveness findings (no recovery, no convergence).
    pub liveness: Vec<String>,
    /// Restarts that recovered less than the node had synced because the
    /// disk nemesis corrupted its log.
    pub data_losses: Vec<DataLoss>,
    /// One log per node (`nodes/<id>.log`).
    pub node_logs: BTreeMap<NodeId, String>,
    /// Phase changes `(phase, simulated ns)`.
    pub phases: Vec<(String, u64)>,
    /// Simulated time at the end.
    pub sim_end_ns: u64,
    /// When the final heal happened.
    pub heal_ns: Option<u64>,
    /// Simulation steps taken.
    pub steps: u64,
    /// Cluster counters (elections, messages, snapshots, restarts, ...).
    pub counters: BTreeMap<String, u64>,
    /// Stability findings ([`super::stability`]).
    pub stability: Vec<String>,
    /// Why the run was stopped early by its deterministic work bound, if
    /// it was ([`super::config::SimSettings::messages_per_s_max`]).
    pub bound_hit: Option<String>,
    /// The situations the run reached
    /// ([`faultline_sim::situations::names`], every one listed).
    pub situations: BTreeMap<String, SituationCount>,
    /// The fault plan the run carried out: the given one, or the one it
    /// drew from its seed and nemesis settings.
    pub fault_plan: ExplicitPlan,
}

/// Why a simulation could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A configuration the parts refused.
    #[error("{0}")]
    Config(String),
    /// The simulation or a part of faultline failed.
    #[error("{0}")]
    Internal(String),
}

/// Runs the simulation described by `config`, reporting phase changes to
/// `progress`.
pub fn simulate(config: &RunConfig, progress: &mut dyn FnMut(&str)) -> Result<SimOutput, SimError> {
    let mut run = Run::build(config)?;
    // Every host runs on this thread: the nodes' events reach their logs
    // for exactly as long as this simulation runs.
    let _log_guard = run.logs.capture().map_err(SimError::Internal)?;
    run.announce(progress);
    run.drive(progress)?;
    run.finish(progress)
}

/// An independent random stream for part `n` of the run, from its seed.
pub(crate) fn sub_seed(seed: u64, n: u64) -> u64 {
    seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(n)
}

/// One simulation in progress: the cluster, the nemesis, the clients' shared
/// state and what the run has noted so far.
struct Run<'c> {
    config: &'c RunConfig,
    cluster: SimCluster<'static>,
    executor: Executor,
    fault_plan: ExplicitPlan,
    shared: Arc<Mutex<Shared>>,
    logs: NodeLog,
    losses: DataLossTracker,
    situations: SituationTracker,
    phase: Phase,
    phases: Vec<(String, u64)>,
    heal_ns: Option<u64>,
    liveness: Vec<String>,
    work: WorkMeter,
    stability: Stability,
}

/// The deterministic work bound: messages counted once per simulated
/// second.
#[derive(Debug, Default)]
struct WorkMeter {
    /// The simulated second the count was last taken at.
    second: u64,
    /// Messages sent and client requests received, over all nodes, then.
    messages: u64,
    /// The storm that stopped the run, if one did.
    hit: Option<String>,
}

impl WorkMeter {
    /// Takes the count at each new simulated second; a second over
    /// `per_s_max` is a storm. Returns whether the run must stop.
    fn over(&mut self, cluster: &SimCluster<'_>, per_s_max: u64) -> bool {
        let second = cluster.now().as_secs();
        if second == self.second || self.hit.is_some() {
            return self.hit.is_some();
        }
        let messages: u64 = cluster
            .handles()
            .values()
            .map(|h| {
                let s = h.stats.snapshot();
                s.raft_messages_sent + s.client_requests
            })
            .sum();
        let in_second = messages.saturating_sub(self.messages);
        if in_second > per_s_max * (second - self.second) {
            self.hit = Some(format!(
                "message storm: {in_second} Raft messages and client requests in the simulated \
                 second ending at {second} s, over the run's bound of {per_s_max} per simulated \
                 second (sim.messages_per_s_max); the run was stopped there"
            ));
        }
        self.second = second;
        self.messages = messages;
        self.hit.is_some()
    }
}

impl<'c> Run<'c> {
    /// Builds the generator, the cluster, the schedule and the clients, in
    /// that order (each draws from its own stream of the seed).
    fn build(config: &'c RunConfig) -> Result<Self, SimError> {
        let generator = build_generator(config)?;
        let cluster = build_cluster(config)?;
        let (schedule, fault_plan) = super::plan::schedule(config, &cluster.ids())?;
        let mut run = Run {
            config,
            executor: Executor::new(schedule),
            fault_plan,
            shared: Shared::new(generator),
            logs: NodeLog::for_cluster(&cluster),
            cluster,
            losses: DataLossTracker::default(),
            situations: SituationTracker::default(),
            phase: Phase::Main,
            phases: vec![(Phase::Main.name().to_string(), 0)],
            heal_ns: None,
            liveness: Vec::new(),
            work: WorkMeter::default(),
            stability: Stability::new(config.election_timeout_ms),
        };
        run.start_clients();
        Ok(run)
    }

    fn start_clients(&mut self) {
        let config = self.config;
        let mut client_config = ClientConfig::new(self.cluster.peers().clone());
        client_config.op_timeout = Duration::from_millis(config.op_timeout_ms);
        client_config.bugs = config.bugs;
        client_config.bound = config.clients == ClientRouting::Bound;
        client_config.attempt_timeout = client_config
            .op_timeout
            .min(Duration::from_millis(config.sim.attempt_timeout_ms_max));
        let setup = ClientSetup {
            config: client_config,
            workload: config.workload,
        };
        let (shared, concurrency) = (self.shared.clone(), config.concurrency);
        self.cluster.sim.client("clients", async move {
            run_workers(shared, setup, concurrency).await;
            Ok(())
        });
    }

    fn announce(&self, progress: &mut dyn FnMut(&str)) {
        let c = self.config;
        progress(&format!(
            "phase main: {} clients at {} ops/s for {} s, nemesis: {}",
            c.concurrency,
            c.rate_per_s,
            c.time_limit_s,
            if c.nemesis.is_empty() {
                "none".to_string()
            } else {
                format!("{} kinds", c.nemesis.len())
            }
        ));
    }

    /// The one path by which a nemesis action enters the run: stamped in
    /// the run's non-decreasing time, then written to the node logs and the
    /// history.
    /// A fault's start also notes every node's state in its log (the
    /// report's strip of the cluster just before the fault).
    fn record(&mut self, events: Vec<NemesisEvent>) -> Result<(), SimError> {
        let mut s = lock(&self.shared);
        for event in events {
            let t = s.stamp(event.time_ns);
            self.logs.nemesis(t, &event.f, &event.value);
            if event.f.starts_with("start-") {
                self.logs.states(
                    t,
                    &faultline_sim::observer::summaries(self.cluster.handles()),
                );
            }
            s.recorder
                .nemesis(t, &event.f, event.value)
                .map_err(|e| SimError::Internal(format!("recorder: {e}")))?;
        }
        Ok(())
    }

    /// Steps the simulation until the generator is done, or the hard bound
    /// on the whole run (main phase, drain, quiet, final reads) passes.
    fn drive(&mut self, progress: &mut dyn FnMut(&str)) -> Result<(), SimError> {
        let c = self.config;
        let hard_end = Duration::from_secs(c.time_limit_s + c.quiet_s + 120)
            + Duration::from_millis(c.op_timeout_ms * 4);
        loop {
            let now = self.cluster.now();
            let events = self
                .executor
                .poll(&mut self.cluster, now)
                .map_err(|e| SimError::Internal(format!("nemesis: {e}")))?;
            self.record(events)?;
            let current = self.poll_generator(now)?;
            if current != self.phase {
                self.phase = current;
                self.phases
                    .push((current.name().to_string(), now.as_nanos() as u64));
                progress(&format!(
                    "phase {} at {:.1} s",
                    current.name(),
                    now.as_secs_f64()
                ));
            }
            if self.phase == Phase::Done || self.work.over(&self.cluster, c.sim.messages_per_s_max)
            {
                return Ok(());
            }
            if now >= hard_end {
                self.liveness.push(format!(
                    "no recovery: the run did not finish its {} phase within {:.0} s of simulated time",
                    self.phase.name(),
                    hard_end.as_secs_f64()
                ));
                return Ok(());
            }
            self.step()?;
        }
    }

    /// Lets the generator act at `now`; carries out the final heal when it
    /// is due. Returns the generator's phase.
    fn poll_generator(&mut self, now: Duration) -> Result<Phase, SimError> {
        let now_ns = now.as_nanos() as u64;
        let (current, heal_due, error) = {
            let mut s = lock(&self.shared);
            let t = s.stamp(now_ns);
            let current = s
                .generator
                .poll(t)
                .map_err(|e| SimError::Internal(format!("generator: {e}")))?;
            (current, s.generator.heal_due(), s.error.clone())
        };
        if let Some(e) = error {
            return Err(SimError::Internal(e));
        }
        if !heal_due {
            return Ok(current);
        }
        let events = self.executor.heal_all(&mut self.cluster, now);
        self.record(events)?;
        let mut s = lock(&self.shared);
        let t = s.stamp(now_ns);
        s.generator
            .heal_done(t)
            .map_err(|e| SimError::Internal(format!("generator: {e}")))?;
        self.heal_ns = Some(t);
        Ok(s.generator.phase())
    }

    fn step(&mut self) -> Result<(), SimError> {
        self.cluster
            .step()
            .map_err(|e| SimError::Internal(e.to_string()))?;
        self.logs
            .observe(self.cluster.now(), self.cluster.handles());
        self.losses.observe(self.cluster.now(), &self.cluster);
        let now_ns = self.cluster.now().as_nanos() as u64;
        let fault_free = self.config.nemesis.is_empty()
            || (self.executor.healed()
                && self
                    .heal_ns
                    .is_some_and(|heal| now_ns >= heal + settle_ns(self.config)));
        self.stability.observe(
            self.cluster.now().as_nanos() as u64,
            self.cluster.handles(),
            fault_free,
        );
        self.situations
            .observe(self.cluster.now(), self.cluster.handles());
        Ok(())
    }

    /// Heals what the run did not, lets the cluster converge, and collects
    /// everything the checkers need.
    fn finish(mut self, progress: &mut dyn FnMut(&str)) -> Result<SimOutput, SimError> {
        if !self.executor.healed() {
            let now = self.cluster.now();
            let events = self.executor.heal_all(&mut self.cluster, now);
            self.record(events)?;
        }
        let abandoned = lock(&self.shared).generator.stats().final_reads_abandoned;
        if abandoned > 0 {
            self.liveness.push(format!(
                "no recovery: {abandoned} final read(s) did not succeed after the final heal and the quiet period"
            ));
        }
        if self.work.hit.is_none() {
            let converge_s_max = self.config.sim.converge_s_max;
            let stuck = converge(&mut self, converge_s_max)?;
            self.liveness.extend(stuck);
        }
        let violations = self.cluster.finish().to_vec();
        let sim_end_ns = self.cluster.now().as_nanos() as u64;
        progress(&format!(
            "simulation done at {:.1} s",
            self.cluster.now().as_secs_f64()
        ));
        let mut counters = counters(&self.cluster);
        let (fault_free_ms, rises) = self.stability.fault_free();
        counters.insert("fault_free_ms".into(), fault_free_ms);
        counters.insert("fault_free_term_rises".into(), rises);
        let steps = self.cluster.observer().steps();
        let Run {
            cluster,
            fault_plan,
            shared,
            logs,
            losses,
            situations,
            phases,
            heal_ns,
            liveness,
            work,
            stability,
            ..
        } = self;
        drop(cluster);
        let history = lock(&shared).recorder.history().clone();
        let situations = situations.finish(&history);
        Ok(SimOutput {
            history,
            violations,
            liveness,
            data_losses: losses.finish(),
            node_logs: logs.finish(),
            phases,
            sim_end_ns,
            heal_ns,
            steps,
            counters,
            bound_hit: work.hit,
            stability: stability.findings().to_vec(),
            situations,
            fault_plan,
        })
    }
}

/// How long after the final heal the stability check waits before it
/// counts time as fault-free: a clock reset at the heal can step a node's
/// clock back, stalling its timers for up to `max_catchup_ticks` ticks (a
/// stalled leader sends no heartbeats, and its followers rightly elect
/// another), and a follower then needs up to twice the base election
/// timeout to notice.
fn settle_ns(config: &RunConfig) -> u64 {
    let catchup_ticks =
        faultline_raft::node::NodeConfig::new(1, BTreeMap::new(), String::new()).max_catchup_ticks;
    (catchup_ticks * config.sim.tick_ms + 2 * config.election_timeout_ms) * 1_000_000
}

fn build_generator(config: &RunConfig) -> Result<Generator, SimError> {
    let settings = WorkloadConfig {
        active_keys: config.keys,
        ..WorkloadConfig::default()
    };
    let workload = build_workload(config.workload, &settings)
        .map_err(|e| SimError::Config(format!("workload: {e}")))?;
    Generator::new(
        GeneratorConfig {
            concurrency: config.concurrency,
            rate_per_s: config.rate_per_s,
            time_limit_ns: config.time_limit_s * NS_PER_S,
            quiet_ns: config.quiet_s * NS_PER_S,
            final_reads: true,
            final_read_attempts: config.sim.final_read_attempts,
        },
        workload,
        ChaCha8Rng::seed_from_u64(sub_seed(config.seed, 1)),
    )
    .map_err(|e| SimError::Config(e.to_string()))
}

fn build_cluster(config: &RunConfig) -> Result<SimCluster<'static>, SimError> {
    let settings = &config.sim;
    let mut cluster_config = ClusterConfig::new(config.nodes, sub_seed(config.seed, 2));
    cluster_config.raft.read_mode = config.read_mode;
    cluster_config.raft.bugs = config.bugs;
    let election_ticks = (config.election_timeout_ms / settings.tick_ms).max(2);
    cluster_config.raft.election_ticks = election_ticks;
    cluster_config.raft.heartbeat_ticks = (election_ticks / 10).clamp(1, election_ticks - 1);
    cluster_config.raft.lease_drift_ticks = config.lease_drift_ms / settings.tick_ms;
    cluster_config.raft.max_entries_per_msg = config.entries_per_message_max;
    cluster_config.snapshot_every_entries = config.snapshot_every_entries;
    cluster_config.step = Duration::from_millis(settings.step_ms);
    cluster_config.tick_interval = Duration::from_millis(settings.tick_ms);
    cluster_config.latency = (
        Duration::from_millis(settings.latency_ms_min),
        Duration::from_millis(settings.latency_ms_max),
    );
    cluster_config.sim_duration = Duration::from_secs(
        config.time_limit_s + config.quiet_s + settings.sim_slack_s + config.op_timeout_ms / 1000,
    );
    SimCluster::new(cluster_config).map_err(|e| SimError::Config(e.to_string()))
}

/// Steps until every node runs and has applied everything the leader
/// committed, at most `converge_s_max` simulated seconds; describes whatever
/// did not.
fn converge(run: &mut Run<'_>, converge_s_max: u64) -> Result<Vec<String>, SimError> {
    let budget = Duration::from_secs(converge_s_max);
    let until = run.cluster.now() + budget;
    loop {
        let pending = lagging(&run.cluster);
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        if run.cluster.now() >= until {
            return Ok(pending
                .into_iter()
                .map(|d| {
                    format!(
                        "no convergence {:.0} s after the run: {d}",
                        budget.as_secs_f64()
                    )
                })
                .collect());
        }
        run.step()?;
    }
}

fn lagging(cluster: &SimCluster<'_>) -> Vec<String> {
    let Some((leader, _)) = cluster.leader() else {
        return vec!["no leader".to_string()];
    };
    let target = cluster.handles()[&leader].observation.lock().commit_index;
    cluster
        .handles()
        .iter()
        .filter_map(|(id, h)| {
            let o = h.observation.lock();
            if !o.running {
                Some(format!(
                    "n{id} is not running{}",
                    o.fatal_error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                ))
            } else if o.applied_index < target {
                Some(format!(
                    "n{id} applied {} of the leader's {target} committed entries",
                    o.applied_index
                ))
            } else {
                None
            }
        })
        .collect()
}

fn counters(cluster: &SimCluster<'_>) -> BTreeMap<String, u64> {
    let mut c = BTreeMap::new();
    for h in cluster.handles().values() {
        let s = h.stats.snapshot();
        let o = h.observation.lock();
        *c.entry("restarts".to_string()).or_default() += o.starts.saturating_sub(1);
        *c.entry("snapshots_taken".to_string()).or_default() += s.snapshots_taken;
        *c.entry("peer_frames_sent".to_string()).or_default() += s.peer_frames_sent;
        *c.entry("peer_queue_drops".to_string()).or_default() += s.peer_queue_drops;
        *c.entry("malformed_frames".to_string()).or_default() += s.malformed_frames;
        *c.entry("entries_applied".to_string()).or_default() += s.entries_applied;
        *c.entry("step_errors".to_string()).or_default() += s.step_errors;
        *c.entry("connect_failures".to_string()).or_default() += s.connect_failures;
        *c.entry("stalls_detected".to_string()).or_default() += s.stalls_detected;
        let (duplicated, held) = cluster
            .message_faults(o.id)
            .map_or((0, 0), |m| m.injected());
        *c.entry("messages_duplicated".to_string()).or_default() += duplicated;
        *c.entry("messages_held_back".to_string()).or_default() += held;
        *c.entry("messages_replayed_stale".to_string()).or_default() +=
            cluster.message_faults(o.id).map_or(0, |m| m.replayed());
        let max_term: &mut u64 = c.entry("max_term".to_string()).or_default();
        *max_term = (*max_term).max(o.hard_state.term);
    }
    for id in cluster.ids() {
        if let Some(d) = cluster.disk_faults(id) {
            let (io_errors, corruptions) = d.injected();
            *c.entry("disk_io_errors_injected".to_string()).or_default() += io_errors;
            *c.entry("disk_corruptions_injected".to_string())
                .or_default() += corruptions;
        }
    }
    c.insert(
        "committed_entries".into(),
        cluster.observer().committed_entries() as u64,
    );
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drift bound keeps a correct lease safe and leaves a lease without
    /// the drift allowance unsafe: in real time, the slowest leader clock's
    /// lease against the fastest follower clock's earliest timeout.
    #[test]
    fn the_drift_bound_keeps_correct_leases_safe_and_unbounded_ones_not() {
        for election_ms in [300u64, 500, 1_000, 2_000] {
            for pct in [0u64, 10, 20, 40] {
                let mut c = RunConfig::with_seed(1);
                c.election_timeout_ms = election_ms;
                c.lease_drift_ms = election_ms * pct / 100;
                c.validate().unwrap();
                let eps = crate::run::plan::drift_rate_ppm_max(&c) as f64 / 1e6;
                assert!(eps < 0.5);
                let (t, d, tick) = (
                    election_ms as f64,
                    c.lease_drift_ms as f64,
                    c.sim.tick_ms as f64,
                );
                if c.lease_drift_ms <= 2 * c.sim.tick_ms {
                    // No allowance beyond the ticks' phase: no drift at all.
                    assert_eq!(eps, 0.0, "T {t} D {d}");
                    continue;
                }
                let follower_ms = (t - tick) / (1.0 + eps);
                let correct_ms = (t - d) / (1.0 - eps);
                assert!(
                    correct_ms <= follower_ms,
                    "T {t} D {d}: {correct_ms} > {follower_ms}"
                );
                let no_allowance_ms = t / (1.0 - eps);
                assert!(no_allowance_ms > follower_ms, "T {t} D {d}");
            }
        }
    }
}
