//! `faultline run`: simulate a cluster under faults, check the history and
//! store the run. With no flags: 5 nodes, the kv workload, every nemesis
//! kind, 60 simulated seconds and a fresh random seed (printed).
//!
//! Raw clap arguments ([`RunArgs`]) are validated into a [`RunConfig`]
//! first; every bad value is reported with the flag's name (exit 254).

use faultline_raft::bugs::{Bug, BugSet};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use faultline_checker::{RunResults, Verdict};
use faultline_nemesis::fault::{FaultKind, Target};
use faultline_raft::ReadMode;
use faultline_workloads::WorkloadKind;

use super::exit::{CliError, Exit};
use crate::run::config::{CheckSettings, RunConfig, SimSettings};
use crate::run::profile::{self, Profile, ProfileDraw};
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
    /// Carry out this explicit fault plan instead of drawing one from the
    /// nemesis flags: a plan file (`{"actions": [...]}`, see the README), a
    /// run's `config.json`, or a run directory (its stored plan).
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<PathBuf>,
}

/// The arguments that shape a run (shared by `run` and `suite`).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The seed that determines the whole run (default: a fresh random one).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Cluster size (1 to 9).
    #[arg(long, value_name = "N", default_value_t = defaults().nodes)]
    pub nodes: usize,
    /// The workload: register, kv, set or append.
    #[arg(long, value_name = "NAME", default_value_t = defaults().workload.to_string())]
    pub workload: String,
    /// Fault kinds, a comma list: `all`, `none`, families (partition,
    /// process, clock, packet, disk), kinds (partition-one, kill-leader,
    /// clock-bump, packet-loss, disk-io-error, ...) or partition shapes.
    #[arg(long, value_name = "LIST", default_value_t = defaults().nemesis_arg())]
    pub nemesis: String,
    /// Targets for targeted faults, a comma list of one, minority, majority,
    /// all, leader.
    #[arg(long, value_name = "LIST", default_value_t = defaults().nemesis_targets_arg())]
    pub nemesis_targets: String,
    /// Seconds between nemesis actions (simulated).
    #[arg(long, value_name = "SECS", default_value_t = defaults().nemesis_interval_ms as f64 / 1000.0)]
    pub nemesis_interval: f64,
    /// The most faults in effect at once, at most one per family (1: each
    /// fault stops before the next starts; 2 or more: compound faults such
    /// as a partition during a crash).
    #[arg(long, value_name = "N", default_value_t = defaults().nemesis_overlap)]
    pub nemesis_overlap: usize,
    /// Concurrent client workers.
    #[arg(long, value_name = "N", default_value_t = defaults().concurrency)]
    pub concurrency: usize,
    /// Client ops per simulated second, over all workers.
    #[arg(long, value_name = "OPS", default_value_t = defaults().rate_per_s)]
    pub rate: f64,
    /// Length of the main phase in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = defaults().time_limit_s)]
    pub time_limit: u64,
    /// Quiet period after the final heal, in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = defaults().quiet_s)]
    pub quiet: u64,
    /// How reads are made linearizable: read-index or lease.
    #[arg(long, value_name = "MODE", default_value_t = defaults().read_mode_arg())]
    pub read_mode: String,
    /// Per-operation client timeout in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = defaults().op_timeout_ms as f64 / 1000.0)]
    pub op_timeout: f64,
    /// Application snapshot every this many applied entries.
    #[arg(long, value_name = "N", default_value_t = defaults().snapshot_every_entries)]
    pub snapshot_every: u64,
    /// Where runs are stored.
    #[arg(long, value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
    /// The test's name (default: the workload's).
    #[arg(long, value_name = "NAME")]
    pub test_name: Option<String>,
    /// Switch on a seeded bug in every node (repeatable; `faultline bugs`
    /// lists them).
    #[arg(long = "inject-bug", value_name = "NAME")]
    pub inject_bug: Vec<String>,
    /// How clients pick a node: bound (each client process starts every
    /// operation at its own node, as in Jepsen) or leader (each keeps
    /// sending to the last node that answered).
    #[arg(long, value_name = "MODE", default_value_t = defaults().clients.as_str().to_string())]
    pub clients: String,
    /// Keys in use at any one time (kv and append; 1 makes one hot key).
    #[arg(long, value_name = "N", default_value_t = defaults().keys)]
    pub keys: usize,
    /// The base election timeout T in seconds (timeouts are drawn from
    /// [T, 2T); heartbeats every T/10).
    #[arg(long, value_name = "SECS", default_value_t = defaults().election_timeout_ms as f64 / 1000.0)]
    pub election_timeout: f64,
    /// The clock-drift allowance of lease reads in seconds (a lease lasts
    /// the base election timeout minus this).
    #[arg(long, value_name = "SECS", default_value_t = defaults().lease_drift_ms as f64 / 1000.0)]
    pub lease_drift: f64,
    /// The most log entries a leader sends in one AppendEntries (Raft's
    /// batch limit).
    #[arg(long, value_name = "N", default_value_t = defaults().entries_per_message_max)]
    pub entries_per_message: usize,
    /// Draw each gap between nemesis actions from [interval/2, 3*interval/2].
    #[arg(long, value_name = "BOOL", default_value_t = false, action = clap::ArgAction::Set)]
    pub nemesis_jitter: bool,
    /// Draw the settings from a swarm profile, per seed (nightly); flags
    /// given explicitly pin their settings.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The flags given explicitly on the command line (filled in by the
    /// parser's caller; they pin a profile's settings).
    #[arg(skip)]
    pub explicit: BTreeSet<String>,
}

/// The defaults of every flag: [`RunConfig::with_seed`]'s.
fn defaults() -> RunConfig {
    RunConfig::with_seed(0)
}

pub(crate) fn bad(flag: &str, reason: impl std::fmt::Display) -> CliError {
    CliError::bad_input(format_args!("--{flag}: {reason}"))
}

/// The flag that sets a [`RunConfig`] field, for error messages.
pub(crate) fn flag_of(field: &str) -> &str {
    match field {
        "nemesis_targets" => "nemesis-targets",
        "nemesis_interval_ms" => "nemesis-interval",
        "nemesis_overlap" => "nemesis-overlap",
        "rate_per_s" => "rate",
        "time_limit_s" => "time-limit",
        "quiet_s" => "quiet",
        "op_timeout_ms" => "op-timeout",
        "snapshot_every_entries" => "snapshot-every",
        "test_name" => "test-name",
        "bugs" => "inject-bug",
        "election_timeout_ms" => "election-timeout",
        "lease_drift_ms" => "lease-drift",
        "entries_per_message_max" => "entries-per-message",
        other => other,
    }
}

/// Seconds given on the command line, as whole milliseconds (the range is
/// checked by [`RunConfig::validate`]).
fn seconds_to_ms(flag: &str, secs: f64) -> Result<u64, CliError> {
    if !(0.0..=86_400.0).contains(&secs) {
        return Err(bad(
            flag,
            format_args!("{secs} is not between 0 and 86400 s"),
        ));
    }
    Ok((secs * 1000.0).round() as u64)
}

impl RunArgs {
    /// Parses the raw arguments into a configuration and validates it with
    /// [`RunConfig::validate`]; errors name the flag.
    pub fn into_config(self) -> Result<(RunConfig, PathBuf), CliError> {
        let seed = self.seed.unwrap_or_else(fresh_seed);
        let workload = self
            .workload
            .parse::<WorkloadKind>()
            .map_err(|e| bad("workload", e))?;
        let profile = self
            .profile
            .as_deref()
            .map(str::parse::<Profile>)
            .transpose()
            .map_err(|e| bad("profile", e))?;
        let default_name = match profile {
            Some(p) => p.as_str().to_string(),
            None => workload.to_string(),
        };
        let mut c = RunConfig {
            seed,
            nodes: self.nodes,
            workload,
            nemesis: parse_nemesis(&self.nemesis, self.nodes)?,
            nemesis_targets: self
                .nemesis_targets
                .split(',')
                .map(|t| t.parse::<Target>())
                .collect::<Result<_, _>>()
                .map_err(|e| bad("nemesis-targets", e))?,
            nemesis_interval_ms: seconds_to_ms("nemesis-interval", self.nemesis_interval)?,
            nemesis_overlap: self.nemesis_overlap,
            concurrency: self.concurrency,
            rate_per_s: self.rate,
            time_limit_s: self.time_limit,
            quiet_s: self.quiet,
            read_mode: match self.read_mode.as_str() {
                "read-index" => ReadMode::ReadIndex,
                "lease" => ReadMode::Lease,
                other => {
                    return Err(bad(
                        "read-mode",
                        format_args!("{other:?} is not read-index or lease"),
                    ))
                }
            },
            op_timeout_ms: seconds_to_ms("op-timeout", self.op_timeout)?,
            snapshot_every_entries: self.snapshot_every,
            test_name: self.test_name.unwrap_or(default_name),
            sim: SimSettings::default(),
            check: CheckSettings::default(),
            bugs: parse_bugs(&self.inject_bug)?,
            clients: self.clients.parse().map_err(|e| bad("clients", e))?,
            keys: self.keys,
            election_timeout_ms: seconds_to_ms("election-timeout", self.election_timeout)?,
            lease_drift_ms: seconds_to_ms("lease-drift", self.lease_drift)?,
            entries_per_message_max: self.entries_per_message,
            nemesis_interval_jitter: self.nemesis_jitter,
            fault_plan: None,
            shrunk_from: None,
            profile: profile.map(|profile| ProfileDraw {
                profile,
                pinned: self
                    .explicit
                    .iter()
                    .filter(|f| profile::DRAWN_FLAGS.contains(&f.as_str()))
                    .cloned()
                    .collect(),
            }),
        };
        profile::apply(&mut c);
        c.validate().map_err(|e| bad(flag_of(e.field), e.reason))?;
        Ok((c, self.store))
    }
}

/// The `--nemesis` list for a cluster of `nodes`: a group (`all`, a family,
/// `protocol`) stands for its kinds that apply to that many nodes, so
/// `--nodes 1` and `2` run with the default `all`; a kind named explicitly
/// that needs more nodes stays an error ([`RunConfig::validate`] names it).
fn parse_nemesis(list: &str, nodes: usize) -> Result<BTreeSet<FaultKind>, CliError> {
    let kinds = FaultKind::parse_list(list).map_err(|e| bad("nemesis", e))?;
    let named: BTreeSet<FaultKind> = list
        .split(',')
        .filter_map(|name| name.parse::<FaultKind>().ok())
        .collect();
    let applicable: BTreeSet<FaultKind> = kinds
        .iter()
        .copied()
        .filter(|k| k.min_nodes() <= nodes || named.contains(k))
        .collect();
    // Nothing left (a partition family on one node): keep the list as
    // given, so validation names the kind that does not fit.
    Ok(if applicable.is_empty() {
        kinds
    } else {
        applicable
    })
}

/// The `--inject-bug` names as a set; an unknown name is bad input.
fn parse_bugs(names: &[String]) -> Result<BugSet, CliError> {
    let mut bugs = BugSet::NONE;
    for name in names {
        let bug = Bug::from_name(name).ok_or_else(|| {
            bad(
                "inject-bug",
                format_args!("no bug is named {name:?} (`faultline bugs` lists them)"),
            )
        })?;
        bugs.insert(bug);
    }
    Ok(bugs)
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
        crate::say!("  {:<28} {}", c.name, c.verdict);
        if c.verdict != Verdict::Valid {
            crate::say!("      {}", c.summary);
        }
    }
}

/// Prints the one-screen summary of a stored run that is not valid
/// ([`crate::explain::text::summary`]); the full findings are in its
/// `results.json` and report.
fn print_summary(dir: &std::path::Path) {
    match crate::store::read::load_report(dir) {
        Ok(mut input) => {
            let events = crate::explain::attach(&mut input, dir);
            let summary = crate::explain::text::summary(&input, &events);
            for line in summary.lines() {
                crate::say!("{line}");
            }
        }
        Err(e) => crate::say!("(no summary: {e})"),
    }
}

/// Runs `faultline run`.
pub fn run(command: RunCommand) -> Result<Exit, CliError> {
    let given_seed = command.run.seed.is_some();
    let (mut config, store) = command.run.into_config()?;
    if let Some(path) = &command.plan {
        let plan = crate::run::plan::read_plan(path).map_err(|e| bad("plan", e))?;
        crate::run::plan::check_plan(&plan, path, config.nodes, config.time_limit_s * 1000)
            .map_err(|e| bad("plan", e))?;
        config.fault_plan = Some(plan);
    }
    super::output::check_store(&store)?;
    if let Some(path) = &command.result_file {
        super::output::check_file("result-file", path)?;
    }
    if !given_seed {
        crate::say!("seed {} (random)", config.seed);
    }
    if let Some(draw) = &config.profile {
        crate::say!(
            "profile {}: {}",
            draw.profile.as_str(),
            profile::describe(&config)
        );
    }
    let outcome =
        execute(&config, &store, &mut |line| crate::say!("{line}")).map_err(|e| match e {
            RunError::Config(e) => bad(flag_of(e.field), e.reason),
            RunError::Refused(m) => CliError::bad_input(m),
            RunError::Internal(e) => CliError::Internal(e.context(format!(
                "run failed; reproduce with: {}",
                config.replay_command()
            ))),
        })?;
    let r = &outcome.results;
    print_checkers(r);
    if r.verdict != Verdict::Valid {
        print_summary(&outcome.dir);
    }
    crate::say!("run directory: {}", outcome.dir.display());
    crate::say!("verdict: {}", r.verdict);
    crate::say!(
        "replay: {}",
        r.replay_command
            .clone()
            .unwrap_or_else(|| config.replay_command())
    );
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
