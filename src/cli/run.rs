//! `faultline run`: simulate a cluster under faults, check the history and
//! store the run. With no flags: 5 nodes, the kv workload, every nemesis
//! kind, 60 simulated seconds and a fresh random seed (printed).
//!
//! Raw clap arguments ([`RunArgs`]) are validated into a [`RunConfig`]
//! first; every bad value is reported with the flag's name (exit 254).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use faultline_checker::{RunResults, Verdict};
use faultline_nemesis::fault::{FaultKind, Target};
use faultline_raft::ReadMode;
use faultline_workloads::WorkloadKind;

use super::exit::{CliError, Exit};
use crate::run::config::RunConfig;
use crate::run::{execute, RunError};

/// `faultline run`: the run's arguments and where to report its outcome.
#[derive(Debug, Args)]
pub struct RunCommand {
    /// Everything that shapes the run.
    #[command(flatten)]
    pub run: RunArgs,
    /// Also write the outcome as one JSON object (seed, valid, run_dir,
    /// first_failure) to this file, for scripts and suites.
    #[arg(long, value_name = "FILE")]
    pub result_file: Option<PathBuf>,
}

/// The arguments that shape a run (shared by `run` and `suite`).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The seed that determines the whole run (default: a fresh random one).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Cluster size (1 to 9).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub nodes: usize,
    /// The workload: register, kv, set or append.
    #[arg(long, value_name = "NAME", default_value = "kv")]
    pub workload: String,
    /// Fault kinds, a comma list: `all`, `none`, families (partition,
    /// process, clock, packet, disk), kinds (partition-one, kill-leader,
    /// clock-bump, packet-loss, disk-io-error, ...) or partition shapes.
    #[arg(long, value_name = "LIST", default_value = "all")]
    pub nemesis: String,
    /// Targets for targeted faults, a comma list of one, minority, majority,
    /// all, leader.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "one,minority,majority,all,leader"
    )]
    pub nemesis_targets: String,
    /// Seconds between nemesis actions (simulated).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub nemesis_interval: f64,
    /// The most faults in effect at once, at most one per family (1: each
    /// fault stops before the next starts; 2 or more: compound faults such
    /// as a partition during a crash).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub nemesis_overlap: usize,
    /// Concurrent client workers.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub concurrency: usize,
    /// Client ops per simulated second, over all workers.
    #[arg(long, value_name = "OPS", default_value_t = 20.0)]
    pub rate: f64,
    /// Length of the main phase in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub time_limit: u64,
    /// Quiet period after the final heal, in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub quiet: u64,
    /// How reads are made linearizable: read-index or lease.
    #[arg(long, value_name = "MODE", default_value = "read-index")]
    pub read_mode: String,
    /// Per-operation client timeout in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub op_timeout: f64,
    /// Application snapshot every this many applied entries.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub snapshot_every: u64,
    /// Where runs are stored.
    #[arg(long, value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
    /// The test's name (default: the workload's).
    #[arg(long, value_name = "NAME")]
    pub test_name: Option<String>,
}

fn bad(flag: &str, reason: impl std::fmt::Display) -> CliError {
    CliError::bad_input(format_args!("--{flag}: {reason}"))
}

fn seconds_to_ms(flag: &str, secs: f64, min_ms: u64) -> Result<u64, CliError> {
    if !secs.is_finite() || secs * 1000.0 < min_ms as f64 || secs > 86_400.0 {
        return Err(bad(
            flag,
            format_args!(
                "{secs} is out of range ({} s to 86400 s)",
                min_ms as f64 / 1000.0
            ),
        ));
    }
    Ok((secs * 1000.0).round() as u64)
}

impl RunArgs {
    /// Validates the raw arguments; errors name the flag.
    pub fn into_config(self) -> Result<(RunConfig, PathBuf), CliError> {
        let seed = self.seed.unwrap_or_else(fresh_seed);
        let mut c = RunConfig::with_seed(seed);
        if !(1..=9).contains(&self.nodes) {
            return Err(bad(
                "nodes",
                format_args!("{} is not between 1 and 9", self.nodes),
            ));
        }
        c.nodes = self.nodes;
        c.workload = self
            .workload
            .parse::<WorkloadKind>()
            .map_err(|e| bad("workload", e))?;
        c.nemesis = FaultKind::parse_list(&self.nemesis).map_err(|e| bad("nemesis", e))?;
        if let Some(k) = c.nemesis.iter().find(|k| k.min_nodes() > c.nodes) {
            return Err(bad(
                "nemesis",
                format_args!(
                    "{} needs at least {} nodes (--nodes is {})",
                    k.as_str(),
                    k.min_nodes(),
                    c.nodes
                ),
            ));
        }
        c.nemesis_targets = self
            .nemesis_targets
            .split(',')
            .map(|t| t.parse::<Target>())
            .collect::<Result<_, _>>()
            .map_err(|e| bad("nemesis-targets", e))?;
        c.nemesis_interval_ms = seconds_to_ms("nemesis-interval", self.nemesis_interval, 100)?;
        if !(1..=6).contains(&self.nemesis_overlap) {
            return Err(bad(
                "nemesis-overlap",
                format_args!(
                    "{} is not between 1 and 6 (one fault per family at most)",
                    self.nemesis_overlap
                ),
            ));
        }
        c.nemesis_overlap = self.nemesis_overlap;
        if !(1..=1000).contains(&self.concurrency) {
            return Err(bad(
                "concurrency",
                format_args!("{} is not between 1 and 1000", self.concurrency),
            ));
        }
        c.concurrency = self.concurrency;
        if !(self.rate.is_finite() && self.rate > 0.0 && self.rate <= 100_000.0) {
            return Err(bad(
                "rate",
                format_args!("{} is not above 0 and at most 100000", self.rate),
            ));
        }
        c.rate_per_s = self.rate;
        if !(1..=86_400).contains(&self.time_limit) {
            return Err(bad(
                "time-limit",
                format_args!("{} is not between 1 and 86400 seconds", self.time_limit),
            ));
        }
        c.time_limit_s = self.time_limit;
        if self.quiet > 3600 {
            return Err(bad(
                "quiet",
                format_args!("{} is above 3600 seconds", self.quiet),
            ));
        }
        c.quiet_s = self.quiet;
        c.read_mode = match self.read_mode.as_str() {
            "read-index" => ReadMode::ReadIndex,
            "lease" => ReadMode::Lease,
            other => {
                return Err(bad(
                    "read-mode",
                    format_args!("{other:?} is not read-index or lease"),
                ))
            }
        };
        c.op_timeout_ms = seconds_to_ms("op-timeout", self.op_timeout, 10)?;
        if self.snapshot_every == 0 {
            return Err(bad("snapshot-every", "must be at least 1"));
        }
        c.snapshot_every_entries = self.snapshot_every;
        c.test_name = self.test_name.unwrap_or_else(|| c.workload.to_string());
        crate::store::validate_test_name(&c.test_name).map_err(|e| bad("test-name", e))?;
        Ok((c, self.store))
    }
}

/// A fresh seed when none was given: read at the edge, printed, and then
/// the only source of randomness for the run.
pub(crate) fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32);
    // splitmix64 finaliser: spread the clock's low-entropy bits.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) % 1_000_000_000
}

/// Prints each checker's verdict, with its summary when it is not valid.
pub(crate) fn print_checkers(r: &RunResults) {
    for c in &r.checkers {
        println!("  {:<28} {}", c.name, c.verdict);
        if c.verdict != Verdict::Valid {
            println!("      {}", c.summary);
        }
    }
}

/// Runs `faultline run`.
pub fn run(command: RunCommand) -> Result<Exit, CliError> {
    let given_seed = command.run.seed.is_some();
    let (config, store) = command.run.into_config()?;
    if !given_seed {
        println!("seed {} (random)", config.seed);
    }
    let outcome =
        execute(&config, &store, &mut |line| println!("{line}")).map_err(|e| match e {
            RunError::Config(m) => CliError::bad_input(m),
            RunError::Internal(e) => CliError::Internal(e.context(format!(
                "run failed; reproduce with: {}",
                config.replay_command()
            ))),
        })?;
    let r = &outcome.results;
    print_checkers(r);
    for f in &r.linearizability_failures {
        println!("{}", f.text);
    }
    for c in r
        .checkers
        .iter()
        .filter(|c| !c.name.starts_with("linearizability"))
    {
        if c.verdict != Verdict::Valid {
            for finding in &c.findings {
                println!("  {finding}");
            }
        }
    }
    println!("run directory: {}", outcome.dir.display());
    println!("verdict: {}", r.verdict);
    println!("replay: {}", config.replay_command());
    if let Some(path) = &command.result_file {
        let record = serde_json::to_string(&outcome.record(config.seed))
            .map_err(|e| CliError::Internal(e.into()))?;
        std::fs::write(path, record + "\n").map_err(|e| {
            CliError::Internal(anyhow::anyhow!(
                "--result-file: cannot write {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(Exit::from(r.verdict))
}
