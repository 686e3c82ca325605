//! The validated configuration of one `faultline run` (written to
//! `config.json`): everything that, with the seed, determines the run.

use faultline_nemesis::fault::{FaultKind, Target};
use faultline_raft::ReadMode;
use faultline_workloads::WorkloadKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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
        }
    }

    /// The command line that reproduces this run exactly.
    pub fn replay_command(&self) -> String {
        format!("faultline run {}", self.run_args().join(" "))
    }

    /// The `faultline run` arguments (without `--store`) that reproduce this
    /// run exactly; `--seed N` comes first.
    pub fn run_args(&self) -> Vec<String> {
        let nemesis = if self.nemesis.is_empty() {
            "none".to_string()
        } else if self.nemesis.len() == FaultKind::ALL.len() {
            "all".to_string()
        } else {
            self.nemesis
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let targets = self
            .nemesis_targets
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let read_mode = match self.read_mode {
            ReadMode::ReadIndex => "read-index",
            ReadMode::Lease => "lease",
        };
        let flags: [(&str, String); 15] = [
            ("seed", self.seed.to_string()),
            ("nodes", self.nodes.to_string()),
            ("workload", self.workload.to_string()),
            ("nemesis", nemesis),
            ("nemesis-targets", targets),
            (
                "nemesis-interval",
                (self.nemesis_interval_ms as f64 / 1000.0).to_string(),
            ),
            ("nemesis-overlap", self.nemesis_overlap.to_string()),
            ("concurrency", self.concurrency.to_string()),
            ("rate", self.rate_per_s.to_string()),
            ("time-limit", self.time_limit_s.to_string()),
            ("quiet", self.quiet_s.to_string()),
            ("read-mode", read_mode.to_string()),
            (
                "op-timeout",
                (self.op_timeout_ms as f64 / 1000.0).to_string(),
            ),
            ("snapshot-every", self.snapshot_every_entries.to_string()),
            ("test-name", self.test_name.clone()),
        ];
        flags
            .into_iter()
            .flat_map(|(flag, value)| [format!("--{flag}"), value])
            .collect()
    }
}

/// The default of fields that older `config.json` files lack.
fn one() -> usize {
    1
}
