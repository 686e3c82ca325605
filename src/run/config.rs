//! The configuration of one `faultline run` (written to `config.json`):
//! everything that, with the seed, determines the run. The defaults live
//! here ([`RunConfig::with_seed`], [`SimSettings::default`]) and
//! [`RunConfig::validate`] is the only gate: `run`, `suite` and `bench`
//! (through their flags) and `replay` (from a stored `config.json`) all pass
//! through it before anything is simulated. Its errors name the field, not
//! a flag, since a config may come from a file; the CLI maps fields to
//! flags.

use faultline_nemesis::explicit::{ExplicitPlan, PlanOrigin};
use faultline_nemesis::fault::{FaultKind, Target};
use faultline_raft::bugs::BugSet;
use faultline_raft::ReadMode;
use faultline_workloads::WorkloadKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// One run's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// The seed everything is derived from.
    pub seed: u64,
    /// Cluster size.
    pub nodes: usize,
    /// The workload.
    pub workload: WorkloadKind,
    /// Enabled fault kinds (empty: no nemesis).
    pub nemesis: BTreeSet<FaultKind>,
    /// Targets for targeted faults.
    pub nemesis_targets: Vec<Target>,
    /// Time between nemesis actions, in simulated milliseconds.
    pub nemesis_interval_ms: u64,
    /// The most faults in effect at once (1: start and stop alternate).
    #[serde(default = "one")]
    pub nemesis_overlap: usize,
    /// Concurrent client workers.
    pub concurrency: usize,
    /// Global client rate limit, ops per simulated second.
    pub rate_per_s: f64,
    /// Length of the main phase, in simulated seconds.
    pub time_limit_s: u64,
    /// Quiet period after the final heal, in simulated seconds.
    pub quiet_s: u64,
    /// How reads are made linearizable.
    pub read_mode: ReadMode,
    /// Per-operation client timeout, in simulated milliseconds.
    pub op_timeout_ms: u64,
    /// Application snapshot every this many applied entries.
    pub snapshot_every_entries: u64,
    /// The test's name (the store directory).
    pub test_name: String,
    /// The simulation's own constants (defaults when absent, as in files
    /// written before they were recorded).
    #[serde(default)]
    pub sim: SimSettings,
    /// The checker's budgets (defaults when absent).
    #[serde(default)]
    pub check: CheckSettings,
    /// Seeded bugs switched on in every node (`--inject-bug`; absent:
    /// correct Raft).
    #[serde(default, skip_serializing_if = "BugSet::is_empty")]
    pub bugs: BugSet,
    /// How clients choose the node they send to (absent: `leader`, as runs
    /// were made before the field existed).
    #[serde(default)]
    pub clients: ClientRouting,
    /// Keys in use at any one time (`kv` and `append`; 1 is one hot key).
    #[serde(default = "keys_default")]
    pub keys: usize,
    /// The base election timeout `T` in milliseconds: each timeout is drawn
    /// from `[T, 2T)`; heartbeats go every `T / 10`.
    #[serde(default = "election_timeout_ms_default")]
    pub election_timeout_ms: u64,
    /// The clock-drift allowance of lease reads, in milliseconds: a lease
    /// lasts the base election timeout minus this.
    #[serde(default = "lease_drift_ms_default")]
    pub lease_drift_ms: u64,
    /// The most log entries a leader puts in one AppendEntries (Raft's
    /// batch limit, like etcd's `MaxSizePerMsg`; absent: 64, as runs were
    /// made before the field existed).
    #[serde(default = "entries_per_message_max_default")]
    pub entries_per_message_max: usize,
    /// Draw each gap between nemesis actions from `[interval / 2, 3 *
    /// interval / 2]` instead of keeping it fixed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nemesis_interval_jitter: bool,
    /// The swarm profile that drew this run's settings, and which settings
    /// were pinned by flags instead (absent: no profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<super::profile::ProfileDraw>,
    /// The concrete fault plan (`faultline run` stores the one it drew;
    /// `--plan` and `faultline shrink` give one). Present, it replaces the
    /// draw from the `nemesis*` settings; absent (files written before
    /// plans were recorded), the run draws its plan from them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_plan: Option<ExplicitPlan>,
    /// For a run made by `faultline shrink`: the run it was shrunk from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk_from: Option<ShrunkFrom>,
}

/// Where a shrunk run came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShrunkFrom {
    /// The original run's directory, as given to `faultline shrink`.
    pub run_dir: String,
    /// The original's report, relative to the shrunk run's directory.
    pub report: String,
}

/// How a client chooses the node it sends an operation to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientRouting {
    /// Each client keeps sending to the last node that answered (the
    /// leader, once found).
    #[default]
    Leader,
    /// Each client process is bound to one node, as in Jepsen: every
    /// operation starts there (followers, deposed leaders and minority
    /// sides answer or refuse it), and a redirect is followed only within
    /// the operation.
    Bound,
}

impl ClientRouting {
    /// The `--clients` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientRouting::Leader => "leader",
            ClientRouting::Bound => "bound",
        }
    }
}

impl std::str::FromStr for ClientRouting {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "leader" => Ok(ClientRouting::Leader),
            "bound" => Ok(ClientRouting::Bound),
            other => Err(format!("{other:?} is not leader or bound")),
        }
    }
}

/// The budgets of the linearizability search in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckSettings {
    /// Search steps one key's search may take before its verdict is
    /// `unknown`: the deterministic budget (the same run gives the same
    /// verdict on every machine).
    pub search_steps_max: u64,
    /// The wall-clock safety net over the whole search, in seconds; when
    /// it strikes, the verdict says so (it depends on the machine's speed).
    pub time_limit_s_max: u64,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            search_steps_max: 500_000_000,
            time_limit_s_max: 120,
        }
    }
}

/// The constants of the simulation that are not flags but still shape a
/// run; recorded in `config.json` so a stored run replays exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimSettings {
    /// One turmoil step, in simulated milliseconds.
    pub step_ms: u64,
    /// Node-local time between two Raft ticks, in milliseconds.
    pub tick_ms: u64,
    /// Smallest one-way message latency, in milliseconds.
    pub latency_ms_min: u64,
    /// Largest one-way message latency, in milliseconds.
    pub latency_ms_max: u64,
    /// How long a client waits for one attempt's answer at most, in
    /// milliseconds (capped by the operation timeout).
    pub attempt_timeout_ms_max: u64,
    /// How many times each final read is tried.
    pub final_read_attempts: u32,
    /// After the generator is done, how long the cluster may take to
    /// converge before it counts as a liveness failure, in seconds.
    pub converge_s_max: u64,
    /// Simulated time beyond the main phase, quiet period and one operation
    /// timeout after which turmoil stops the run, in seconds.
    pub sim_slack_s: u64,
    /// The run's deterministic bound on work: Raft messages sent plus client
    /// requests received, over all nodes, in any one simulated second. A
    /// run over it (a message storm) stops there with the verdict
    /// `unknown` and the storm named, instead of simulating for hours.
    pub messages_per_s_max: u64,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            step_ms: 1,
            tick_ms: 10,
            latency_ms_min: 1,
            latency_ms_max: 5,
            attempt_timeout_ms_max: 1_000,
            final_read_attempts: 5,
            converge_s_max: 20,
            sim_slack_s: 300,
            messages_per_s_max: 100_000,
        }
    }
}

/// A configuration value out of its range: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The field's name in `config.json` (`nodes`, `sim.tick_ms`, ...).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Fails with `reason` for `field` unless `ok`.
fn require(
    ok: bool,
    field: &'static str,
    reason: impl FnOnce() -> String,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            reason: reason(),
        })
    }
}

/// Fails unless `lo <= value <= hi`.
fn within(field: &'static str, value: u64, lo: u64, hi: u64) -> Result<(), ConfigError> {
    require((lo..=hi).contains(&value), field, || {
        format!("{value} is not between {lo} and {hi}")
    })
}

impl RunConfig {
    /// The default run: 5 nodes, the kv workload, every nemesis kind, 60
    /// simulated seconds.
    pub fn with_seed(seed: u64) -> Self {
        RunConfig {
            seed,
            nodes: 5,
            workload: WorkloadKind::Kv,
            nemesis: FaultKind::ALL.iter().copied().collect(),
            nemesis_targets: Target::ALL.to_vec(),
            nemesis_interval_ms: 10_000,
            nemesis_overlap: 1,
            concurrency: 5,
            rate_per_s: 20.0,
            time_limit_s: 60,
            quiet_s: 10,
            read_mode: ReadMode::ReadIndex,
            op_timeout_ms: 5_000,
            snapshot_every_entries: 200,
            test_name: "kv".to_string(),
            sim: SimSettings::default(),
            check: CheckSettings::default(),
            bugs: BugSet::NONE,
            clients: ClientRouting::Bound,
            keys: keys_default(),
            election_timeout_ms: election_timeout_ms_default(),
            lease_drift_ms: lease_drift_ms_default(),
            entries_per_message_max: entries_per_message_max_default(),
            nemesis_interval_jitter: false,
            profile: None,
            fault_plan: None,
            shrunk_from: None,
        }
    }

    /// Checks every field's range and the fields' consistency; the only
    /// gate before a run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        within("nodes", self.nodes as u64, 1, 9)?;
        if let Some(k) = self.nemesis.iter().find(|k| k.min_nodes() > self.nodes) {
            return Err(ConfigError {
                field: "nemesis",
                reason: format!(
                    "{} needs at least {} nodes (nodes is {})",
                    k.as_str(),
                    k.min_nodes(),
                    self.nodes
                ),
            });
        }
        require(!self.nemesis_targets.is_empty(), "nemesis_targets", || {
            "names no target".into()
        })?;
        within(
            "nemesis_interval_ms",
            self.nemesis_interval_ms,
            100,
            86_400_000,
        )?;
        within("nemesis_overlap", self.nemesis_overlap as u64, 1, 6)?;
        within("concurrency", self.concurrency as u64, 1, 1000)?;
        require(
            self.rate_per_s.is_finite() && self.rate_per_s > 0.0 && self.rate_per_s <= 100_000.0,
            "rate_per_s",
            || format!("{} is not above 0 and at most 100000", self.rate_per_s),
        )?;
        within("time_limit_s", self.time_limit_s, 1, 86_400)?;
        within("quiet_s", self.quiet_s, 0, 3600)?;
        within("op_timeout_ms", self.op_timeout_ms, 10, 86_400_000)?;
        within(
            "snapshot_every_entries",
            self.snapshot_every_entries,
            1,
            u64::MAX,
        )?;
        crate::store::validate_test_name(&self.test_name).map_err(|reason| ConfigError {
            field: "test_name",
            reason,
        })?;
        within(
            "check.search_steps_max",
            self.check.search_steps_max,
            1,
            u64::MAX,
        )?;
        within(
            "check.time_limit_s_max",
            self.check.time_limit_s_max,
            1,
            86_400,
        )?;
        within("keys", self.keys as u64, 1, 1000)?;
        within(
            "election_timeout_ms",
            self.election_timeout_ms,
            2 * self.sim.tick_ms,
            600_000,
        )?;
        within(
            "lease_drift_ms",
            self.lease_drift_ms,
            0,
            self.election_timeout_ms.saturating_sub(self.sim.tick_ms),
        )?;
        within(
            "entries_per_message_max",
            self.entries_per_message_max as u64,
            1,
            100_000,
        )?;
        if !self.bugs.is_empty() && !faultline_raft::bugs::CATALOGUE_COMPILED {
            return Err(ConfigError {
                field: "bugs",
                reason: "this build has no bug catalogue".to_string(),
            });
        }
        if let Some(plan) = &self.fault_plan {
            plan.validate(self.nodes, self.time_limit_s * 1000)
                .map_err(|e| ConfigError {
                    field: "fault_plan",
                    reason: e.to_string(),
                })?;
        }
        self.sim.validate()
    }

    /// This configuration with another seed (and, under a profile, the
    /// settings that seed draws); a drawn fault plan is the old seed's, so
    /// the new seed draws its own.
    pub fn for_seed(&self, seed: u64) -> RunConfig {
        let mut c = RunConfig {
            seed,
            ..self.clone()
        };
        if c.fault_plan.as_ref().map(|p| p.origin) == Some(PlanOrigin::Drawn) {
            c.fault_plan = None;
        }
        super::profile::apply(&mut c);
        c
    }

    /// The command line that reproduces this run exactly (a run with a
    /// given fault plan: see [`RunConfig::replay_command_in`]).
    pub fn replay_command(&self) -> String {
        format!("faultline run {}", self.run_args().join(" "))
    }

    /// Whether the fault plan was given (by `--plan` or `faultline
    /// shrink`) rather than drawn: then only the plan reproduces it.
    pub fn plan_is_given(&self) -> bool {
        self.fault_plan.as_ref().map(|p| p.origin) == Some(PlanOrigin::Given)
    }

    /// The command line that reproduces this run, stored in `run_dir`:
    /// [`RunConfig::replay_command`], plus `--plan RUN_DIR` when the fault
    /// plan was given.
    pub fn replay_command_in(&self, run_dir: &std::path::Path) -> String {
        if self.plan_is_given() {
            format!("{} --plan {}", self.replay_command(), run_dir.display())
        } else {
            self.replay_command()
        }
    }

    /// The `--nemesis` value that selects exactly these kinds.
    pub fn nemesis_arg(&self) -> String {
        if self.nemesis.is_empty() {
            "none".to_string()
        } else if self.nemesis.len() == FaultKind::ALL.len() {
            "all".to_string()
        } else {
            self.nemesis
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(",")
        }
    }

    /// The `--nemesis-targets` value.
    pub fn nemesis_targets_arg(&self) -> String {
        self.nemesis_targets
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The `--read-mode` value.
    pub fn read_mode_arg(&self) -> String {
        match self.read_mode {
            ReadMode::ReadIndex => "read-index",
            ReadMode::Lease => "lease",
        }
        .to_string()
    }

    /// The `faultline run` arguments (without `--store`) that reproduce this
    /// run exactly; `--seed N` comes first. (The simulation constants of
    /// [`SimSettings`] are not flags: a run with other values replays from
    /// its `config.json`.) A run drawn from a profile is reproduced by the
    /// profile, its seed and its pinned flags: the draw is a function of
    /// the seed.
    pub fn run_args(&self) -> Vec<String> {
        let mut flags = self.flags();
        if let Some(draw) = &self.profile {
            flags.retain(|(flag, _)| {
                !super::profile::DRAWN_FLAGS.contains(flag) || draw.pinned.contains(*flag)
            });
            flags.insert(1, ("profile", draw.profile.as_str().to_string()));
        }
        let bugs = self
            .bugs
            .iter()
            .map(|bug| ("inject-bug", bug.name().to_string()));
        flags
            .into_iter()
            .chain(bugs)
            .flat_map(|(flag, value)| [format!("--{flag}"), value])
            .collect()
    }

    /// Every flag of `faultline run` with this run's value, `seed` first.
    fn flags(&self) -> Vec<(&'static str, String)> {
        let secs = |ms: u64| (ms as f64 / 1000.0).to_string();
        vec![
            ("seed", self.seed.to_string()),
            ("nodes", self.nodes.to_string()),
            ("workload", self.workload.to_string()),
            ("nemesis", self.nemesis_arg()),
            ("nemesis-targets", self.nemesis_targets_arg()),
            ("nemesis-interval", secs(self.nemesis_interval_ms)),
            ("nemesis-jitter", self.nemesis_interval_jitter.to_string()),
            ("nemesis-overlap", self.nemesis_overlap.to_string()),
            ("concurrency", self.concurrency.to_string()),
            ("rate", self.rate_per_s.to_string()),
            ("clients", self.clients.as_str().to_string()),
            ("keys", self.keys.to_string()),
            ("time-limit", self.time_limit_s.to_string()),
            ("quiet", self.quiet_s.to_string()),
            ("read-mode", self.read_mode_arg()),
            ("election-timeout", secs(self.election_timeout_ms)),
            ("lease-drift", secs(self.lease_drift_ms)),
            (
                "entries-per-message",
                self.entries_per_message_max.to_string(),
            ),
            ("op-timeout", secs(self.op_timeout_ms)),
            ("snapshot-every", self.snapshot_every_entries.to_string()),
            ("test-name", self.test_name.clone()),
        ]
    }
}

impl SimSettings {
    /// Checks the simulation constants' ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        within("sim.step_ms", self.step_ms, 1, 100)?;
        within("sim.tick_ms", self.tick_ms, self.step_ms, 1000)?;
        within("sim.latency_ms_min", self.latency_ms_min, 0, 10_000)?;
        within(
            "sim.latency_ms_max",
            self.latency_ms_max,
            self.latency_ms_min,
            10_000,
        )?;
        within(
            "sim.attempt_timeout_ms_max",
            self.attempt_timeout_ms_max,
            1,
            86_400_000,
        )?;
        within(
            "sim.final_read_attempts",
            u64::from(self.final_read_attempts),
            0,
            100,
        )?;
        within("sim.converge_s_max", self.converge_s_max, 1, 86_400)?;
        within(
            "sim.messages_per_s_max",
            self.messages_per_s_max,
            100,
            u64::MAX,
        )?;
        within(
            "sim.sim_slack_s",
            self.sim_slack_s,
            self.converge_s_max,
            86_400,
        )
    }
}

/// The default of fields that older `config.json` files lack.
fn one() -> usize {
    1
}

fn keys_default() -> usize {
    faultline_workloads::WorkloadConfig::default().active_keys
}

fn election_timeout_ms_default() -> u64 {
    1_000
}

fn entries_per_message_max_default() -> usize {
    faultline_raft::Config::new(1).max_entries_per_msg
}

fn lease_drift_ms_default() -> u64 {
    200
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
