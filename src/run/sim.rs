//! One run inside the simulator: build the cluster, start the clients, walk
//! the nemesis schedule, and step until the generator is done and the
//! cluster has converged (or a bound is hit). Everything here is driven by
//! the seed: no wall clock, no unseeded randomness, ordered collections only.

use super::clients::{lock, run_workers, ClientSetup, Shared};
use super::config::RunConfig;
use faultline_checker::history::History;
use faultline_nemesis::executor::Executor;
use faultline_nemesis::schedule::{Schedule, ScheduleConfig};
use faultline_raft::node::ClientConfig;
use faultline_raft::NodeId;
use faultline_sim::cluster::{ClusterConfig, SimCluster};
use faultline_sim::data_loss::{DataLoss, DataLossTracker};
use faultline_sim::node_log::NodeLog;
use faultline_sim::observer::Violation;
use faultline_workloads::{build_workload, Generator, GeneratorConfig, Phase, WorkloadConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::time::Duration;

const NS_PER_S: u64 = 1_000_000_000;

/// After the generator is done, how long the cluster may take to converge.
const CONVERGE_BUDGET: Duration = Duration::from_secs(20);

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
    let seed = config.seed;
    // Independent streams for the parts, all derived from the one seed.
    let sub = |n: u64| seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(n);

    let workload = build_workload(config.workload, &WorkloadConfig::default())
        .map_err(|e| SimError::Config(format!("--workload: {e}")))?;
    let time_limit_ns = config.time_limit_s * NS_PER_S;
    let generator = Generator::new(
        GeneratorConfig {
            concurrency: config.concurrency,
            rate_per_s: config.rate_per_s,
            time_limit_ns,
            quiet_ns: config.quiet_s * NS_PER_S,
            final_reads: true,
            final_read_attempts: 5,
        },
        workload,
        ChaCha8Rng::seed_from_u64(sub(1)),
    )
    .map_err(|e| SimError::Config(e.to_string()))?;

    let mut cluster_config = ClusterConfig::new(config.nodes, sub(2));
    cluster_config.raft.read_mode = config.read_mode;
    cluster_config.snapshot_every_entries = config.snapshot_every_entries;
    cluster_config.sim_duration = Duration::from_secs(
        config.time_limit_s + config.quiet_s + 300 + config.op_timeout_ms / 1000,
    );
    let mut cluster =
        SimCluster::new(cluster_config).map_err(|e| SimError::Config(format!("--nodes: {e}")))?;

    let schedule = Schedule::plan(
        sub(3),
        &ScheduleConfig {
            kinds: config.nemesis.clone(),
            interval_ms: config.nemesis_interval_ms,
            overlap: config.nemesis_overlap,
            time_limit_ms: config.time_limit_s * 1000,
            targets: config.nemesis_targets.clone(),
            ..ScheduleConfig::default()
        },
        &cluster.ids(),
    )
    .map_err(|e| SimError::Config(format!("--nemesis: {e}")))?;
    let mut executor = Executor::new(schedule);

    let shared = Shared::new(generator);
    let mut client_config = ClientConfig::new(cluster.peers().clone());
    client_config.op_timeout = Duration::from_millis(config.op_timeout_ms);
    client_config.attempt_timeout = client_config.op_timeout.min(Duration::from_secs(1));
    let setup = ClientSetup {
        config: client_config,
        workload: config.workload,
    };
    {
        let (shared, concurrency) = (shared.clone(), config.concurrency);
        cluster.sim.client("clients", async move {
            run_workers(shared, setup, concurrency).await;
            Ok(())
        });
    }

    let mut logs = NodeLog::for_cluster(&cluster);
    // Every host runs on this thread: the nodes' events reach their logs
    // for exactly as long as this simulation runs.
    let _log_guard = logs.capture().map_err(SimError::Internal)?;
    let mut losses = DataLossTracker::default();
    let mut phase = Phase::Main;
    let mut phases = vec![(Phase::Main.name().to_string(), 0)];
    progress(&format!(
        "phase main: {} clients at {} ops/s for {} s, nemesis: {}",
        config.concurrency,
        config.rate_per_s,
        config.time_limit_s,
        if config.nemesis.is_empty() {
            "none".to_string()
        } else {
            format!("{} kinds", config.nemesis.len())
        }
    ));
    let mut heal_ns = None;
    // The hard bound on the whole run: main phase, drain, quiet, final reads.
    let hard_end = Duration::from_nanos(time_limit_ns)
        + Duration::from_secs(config.quiet_s + 120)
        + Duration::from_millis(config.op_timeout_ms * 4);
    let mut liveness = Vec::new();
    loop {
        let now = cluster.now();
        let now_ns = now.as_nanos() as u64;
        for event in executor
            .poll(&mut cluster, now)
            .map_err(|e| SimError::Internal(format!("nemesis: {e}")))?
        {
            logs.nemesis(event.time_ns, &event.f, &event.value);
            let mut s = lock(&shared);
            let t = s.stamp(event.time_ns);
            s.recorder
                .nemesis(t, &event.f, event.value)
                .map_err(|e| SimError::Internal(format!("recorder: {e}")))?;
        }
        let (current, heal_due, error) = {
            let mut s = lock(&shared);
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
        if heal_due {
            let events = executor.heal_all(&mut cluster, now);
            let mut s = lock(&shared);
            let t = s.stamp(now_ns);
            for event in events {
                logs.nemesis(t, &event.f, &event.value);
                s.recorder
                    .nemesis(t, &event.f, event.value)
                    .map_err(|e| SimError::Internal(format!("recorder: {e}")))?;
            }
            s.generator
                .heal_done(t)
                .map_err(|e| SimError::Internal(format!("generator: {e}")))?;
            heal_ns = Some(t);
        }
        let current = if heal_due {
            lock(&shared).generator.phase()
        } else {
            current
        };
        if current != phase {
            phase = current;
            phases.push((phase.name().to_string(), now_ns));
            progress(&format!(
                "phase {} at {:.1} s",
                phase.name(),
                now.as_secs_f64()
            ));
        }
        if phase == Phase::Done {
            break;
        }
        if now >= hard_end {
            liveness.push(format!(
                "no recovery: the run did not finish its {} phase within {:.0} s of simulated time",
                phase.name(),
                hard_end.as_secs_f64()
            ));
            break;
        }
        cluster
            .step()
            .map_err(|e| SimError::Internal(e.to_string()))?;
        logs.observe(cluster.now(), cluster.handles());
        losses.observe(cluster.now(), &cluster);
    }
    if !executor.healed() {
        let now = cluster.now();
        for event in executor.heal_all(&mut cluster, now) {
            let mut s = lock(&shared);
            let t = s.stamp(event.time_ns);
            logs.nemesis(t, &event.f, &event.value);
            let _ = s.recorder.nemesis(t, &event.f, event.value);
        }
    }
    let abandoned = lock(&shared).generator.stats().final_reads_abandoned;
    if abandoned > 0 {
        liveness.push(format!(
            "no recovery: {abandoned} final read(s) did not succeed after the final heal and the quiet period"
        ));
    }
    liveness.extend(converge(&mut cluster, &mut logs, &mut losses)?);
    let violations = cluster.finish().to_vec();
    let sim_end_ns = cluster.now().as_nanos() as u64;
    progress(&format!(
        "simulation done at {:.1} s",
        cluster.now().as_secs_f64()
    ));
    let counters = counters(&cluster);
    let steps = cluster.observer().steps();
    let node_logs = logs.finish();
    drop(cluster);
    let history = {
        let s = lock(&shared);
        s.recorder.history().clone()
    };
    Ok(SimOutput {
        history,
        violations,
        liveness,
        data_losses: losses.finish(),
        node_logs,
        phases,
        sim_end_ns,
        heal_ns,
        steps,
        counters,
    })
}

/// Steps until every node runs and has applied everything the leader
/// committed, at most [`CONVERGE_BUDGET`]; describes whatever did not.
fn converge(
    cluster: &mut SimCluster<'_>,
    logs: &mut NodeLog,
    losses: &mut DataLossTracker,
) -> Result<Vec<String>, SimError> {
    let until = cluster.now() + CONVERGE_BUDGET;
    loop {
        let pending = lagging(cluster);
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        if cluster.now() >= until {
            return Ok(pending
                .into_iter()
                .map(|d| {
                    format!(
                        "no convergence {:.0} s after the run: {d}",
                        CONVERGE_BUDGET.as_secs_f64()
                    )
                })
                .collect());
        }
        cluster
            .step()
            .map_err(|e| SimError::Internal(e.to_string()))?;
        logs.observe(cluster.now(), cluster.handles());
        losses.observe(cluster.now(), cluster);
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
