//! `faultline suite`: many seeds of one test, the nightly job. Every seed
//! runs as its own `faultline run` child process (the same binary), so a
//! seed behaves in the suite exactly as it does when replayed alone, and
//! `--jobs` seeds run side by side. Each finished seed prints one line; the
//! end prints the tally, every seed that was not valid with the command
//! that replays it, and the throughput. The exit status is the worst seed's
//! (an invalid seed exits 1 even if another one was unknown).

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::child::{spawn, wait_bounded};
use super::exit::{CliError, Exit};
use super::progress::Progress;
use super::run::{fresh_seed, RunArgs};
use super::shard;
use super::situations;
use super::summary::{self, write_summary, Keep, SuiteSummary, SummaryParts};
use crate::run::config::RunConfig;
use crate::run::RunRecord;
use faultline_checker::{SituationCount, Verdict};

/// The default wall-clock bound of one seed, in seconds (a default run
/// takes one to three).
pub(crate) const SEED_WALL_S_MAX: u64 = 300;

/// The default seconds between plain progress lines.
const PROGRESS_EVERY_S: u64 = 30;

/// The most seeds one suite may run.
const SEEDS_MAX: u64 = 1_000_000;

/// The raw arguments of `faultline suite`.
#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// The seeds: a comma list of numbers and ranges, `A..B` (B excluded) or
    /// `A..=B` (B included), e.g. `1..=100` or `7,19,1000..1010`.
    #[arg(long, value_name = "LIST", conflicts_with = "count")]
    pub seeds: Option<String>,
    /// Without --seeds: this many consecutive seeds from a fresh random one
    /// (printed).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub count: u64,
    /// Seeds run at once (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Stop starting new seeds after the first one that is not valid.
    #[arg(long)]
    pub fail_fast: bool,
    /// Also write the suite's outcome as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Run only the I-th of N interleaved slices of the seeds (1-based:
    /// `1/4` … `4/4`); `auto/N` takes I from JOB_COMPLETION_INDEX
    /// (Kubernetes Indexed Job, 0-based) or CI_NODE_INDEX (GitLab), `auto`
    /// also N from CI_NODE_TOTAL. Needs --seeds.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Also write a JUnit XML file: one test case per seed.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the suite page (HTML): seeds × verdict, failures grouped
    /// by checker and finding kind, links to reports, replay commands.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Run directories to keep: failing (full artifacts for seeds that are
    /// not valid, the summary line for valid ones), all, or none.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = Keep::Failing)]
    pub keep: Keep,
    /// Seconds between plain progress lines when standard error is not a
    /// terminal (0: after every seed).
    #[arg(long, value_name = "SECS", default_value_t = PROGRESS_EVERY_S)]
    pub progress_every: u64,
    /// Stop a seed that runs longer than this many wall-clock seconds; it
    /// counts as unknown, with the cause.
    #[arg(long, value_name = "SECS", default_value_t = SEED_WALL_S_MAX)]
    pub seed_timeout: u64,
    /// Everything `faultline run` takes, for every seed (not `--seed`).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Parses a seed list (see [`SuiteArgs::seeds`]); the error names the part.
pub fn parse_seeds(list: &str) -> Result<Vec<u64>, String> {
    let mut seeds = Vec::new();
    for part in list.split(',').map(str::trim) {
        let number = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("{s:?} in {part:?} is not a seed (a whole number)"))
        };
        let (from, to_inclusive) = if let Some((a, b)) = part.split_once("..=") {
            (number(a)?, number(b)?)
        } else if let Some((a, b)) = part.split_once("..") {
            let b = number(b)?;
            if b == 0 {
                return Err(format!("{part:?} is empty"));
            }
            (number(a)?, b - 1)
        } else {
            let n = number(part)?;
            (n, n)
        };
        if from > to_inclusive {
            return Err(format!("{part:?} is empty"));
        }
        if to_inclusive - from >= SEEDS_MAX
            || seeds.len() as u64 + (to_inclusive - from) >= SEEDS_MAX
        {
            return Err(format!("more than {SEEDS_MAX} seeds"));
        }
        seeds.extend(from..=to_inclusive);
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = seeds.iter().find(|s| !seen.insert(**s)) {
        return Err(format!("seed {dup} is listed twice"));
    }
    Ok(seeds)
}

/// How one seed ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// The run's verdict; `None` when the run did not produce one (bad
    /// input, an internal error, a killed child).
    pub valid: Option<Verdict>,
    /// The child's exit status (None: killed by a signal).
    pub exit_code: Option<i32>,
    /// The run directory, when the run got that far and it was kept
    /// (`--keep`).
    pub run_dir: Option<PathBuf>,
    /// The command that replays this seed alone.
    pub replay: String,
    /// Wall-clock seconds the seed took.
    pub wall_s: f64,
    /// The last lines the child wrote to stderr, when it failed.
    pub error: Option<String>,
    /// For a run that is not valid: the first checker that says so and its
    /// first finding.
    pub reason: Option<String>,
    /// The situations the run reached (empty when it did not finish).
    #[serde(default)]
    pub situations: BTreeMap<String, SituationCount>,
    /// For a run that is not valid: the first checker that says so.
    #[serde(default)]
    pub checker: Option<String>,
    /// That checker's first finding (its first line).
    #[serde(default)]
    pub first_finding: Option<String>,
    /// Availability, recovery, ops by outcome and latency quantiles of the
    /// run (see [`super::summary::digest_run`]).
    #[serde(default)]
    pub stats: BTreeMap<String, f64>,
}

impl SeedOutcome {
    pub(crate) fn exit(&self) -> Exit {
        match (self.valid, self.exit_code) {
            (Some(verdict), _) => Exit::from(verdict),
            (None, Some(254)) => Exit::BadInput,
            (None, _) => Exit::Internal,
        }
    }

    /// `valid`, `invalid`, `unknown`, `bad-input` or `error`.
    pub(crate) fn status(&self) -> &'static str {
        status_name(self.exit())
    }
}

pub(crate) fn status_name(exit: Exit) -> &'static str {
    match exit {
        Exit::Valid => "valid",
        Exit::Invalid => "invalid",
        Exit::Unknown => "unknown",
        Exit::BadInput => "bad-input",
        Exit::Internal => "error",
    }
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs one seed as a child process; its verdict and run directory come
/// from the record it writes to `record_path` (`--result-file`).
fn run_seed(
    exe: &Path,
    config: &RunConfig,
    store: &Path,
    record_path: &Path,
    wall_s_max: u64,
) -> SeedOutcome {
    let started = Instant::now();
    let _ = std::fs::remove_file(record_path);
    let mut args = vec!["run".to_string()];
    args.extend(config.run_args());
    let mut outcome = SeedOutcome {
        seed: config.seed,
        replay: config.replay_command(),
        ..SeedOutcome::default()
    };
    let mut command = Command::new(exe);
    command
        .args(&args)
        .arg("--store")
        .arg(store)
        .arg("--result-file")
        .arg(record_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let waited = match spawn(&mut command) {
        Ok(child) => wait_bounded(child, Duration::from_secs(wall_s_max)),
        Err(e) => {
            outcome.error = Some(format!("cannot start {}: {e}", exe.display()));
            return outcome;
        }
    };
    outcome.wall_s = started.elapsed().as_secs_f64();
    let out = match waited {
        Ok(Some(out)) => out,
        Ok(None) => {
            // The bound of last resort: the run's own deterministic work
            // bound did not stop it, so the verdict is unknown, with why.
            outcome.valid = Some(Verdict::Unknown);
            outcome.reason = Some(format!(
                "stopped after {wall_s_max} s of wall-clock time (--seed-timeout): the run did \
                 not finish; replay it alone to see where it spends its time"
            ));
            let _ = std::fs::remove_file(record_path);
            return outcome;
        }
        Err(e) => {
            outcome.error = Some(format!("waiting for {}: {e}", exe.display()));
            return outcome;
        }
    };
    outcome.exit_code = out.status.code();
    let record = std::fs::read_to_string(record_path)
        .ok()
        .and_then(|text| serde_json::from_str::<RunRecord>(&text).ok());
    let _ = std::fs::remove_file(record_path);
    match record {
        Some(record) if record.seed == config.seed => {
            outcome.valid = Some(record.valid);
            outcome.run_dir = Some(record.run_dir);
            outcome.reason = record.first_failure;
            outcome.situations = record.situations;
        }
        _ => {
            let stderr = tail(&String::from_utf8_lossy(&out.stderr), 5);
            outcome.error = Some(if stderr.is_empty() {
                "the run wrote no result record".to_string()
            } else {
                stderr
            });
        }
    }
    outcome
}

/// Runs `faultline suite`.
pub fn run(args: SuiteArgs) -> Result<Exit, CliError> {
    if args.run.seed.is_some() {
        return Err(CliError::bad_input(
            "--seed: a suite takes --seeds LIST or --count N",
        ));
    }
    let (all_seeds, seed_set) = match &args.seeds {
        Some(list) => (
            parse_seeds(list).map_err(|e| CliError::bad_input(format!("--seeds: {e}")))?,
            list.trim().to_string(),
        ),
        None => {
            if args.shard.is_some() {
                return Err(CliError::bad_input(
                    "--shard: needs --seeds LIST, so that every shard cuts the same seed set \
                     (--count starts at a random seed)",
                ));
            }
            if !(1..=SEEDS_MAX).contains(&args.count) {
                return Err(CliError::bad_input(format!(
                    "--count: {} is not between 1 and {SEEDS_MAX}",
                    args.count
                )));
            }
            let first = fresh_seed();
            crate::say!("seeds {first}..{} (random start)", first + args.count);
            (
                (first..first + args.count).collect(),
                format!("{first}..{}", first + args.count),
            )
        }
    };
    let shard = args
        .shard
        .as_deref()
        .map(|arg| shard::parse(arg, &|name| std::env::var(name).ok()))
        .transpose()
        .map_err(|e| CliError::bad_input(format!("--shard: {e}")))?;
    let seeds = match &shard {
        Some(shard) if shard.count > all_seeds.len() as u64 => {
            return Err(CliError::bad_input(format!(
                "--shard: {} shards of {} seeds would leave some empty",
                shard.count,
                all_seeds.len()
            )))
        }
        Some(shard) => shard::slice(&all_seeds, shard),
        None => all_seeds.clone(),
    };
    let jobs = match args.jobs {
        Some(0) => return Err(CliError::bad_input("--jobs: must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
    .min(seeds.len());
    let (base, store) = RunArgs {
        seed: Some(seeds[0]),
        ..args.run
    }
    .into_config()?;
    // Every output location is tried before the first seed starts.
    super::output::check_store(&store)?;
    for (flag, path) in [
        ("summary", &args.summary),
        ("junit", &args.junit),
        ("html", &args.html),
    ] {
        if let Some(path) = path {
            super::output::check_file(flag, path)?;
        }
    }
    let exe = std::env::current_exe().map_err(|e| {
        CliError::Internal(anyhow::anyhow!("cannot find the faultline binary: {e}"))
    })?;
    if let Some(shard) = &shard {
        crate::say!(
            "shard {shard}: {} of the {} seeds of {seed_set}",
            seeds.len(),
            all_seeds.len()
        );
    }
    crate::say!(
        "suite: {} seeds, {jobs} at a time, keeping {} run directories; every seed: {}",
        seeds.len(),
        keep_name(args.keep),
        summary::run_flags(&base)
    );

    let started_at = crate::store::write::utc_now_rfc3339();
    let started = Instant::now();
    let options = RunAllOptions {
        jobs,
        fail_fast: args.fail_fast,
        progress: true,
        seed_wall_s_max: args.seed_timeout.max(1),
        keep: args.keep,
        progress_every: Duration::from_secs(args.progress_every),
    };
    let outcomes = run_all(&seeds, &base, &store, &exe, options)?;
    if args.keep != Keep::All {
        // Pruned runs leave the store's index and `latest` behind.
        crate::store::write::repair_latest(&store.join(&base.test_name))
            .and_then(|()| crate::store::list::refresh_index(&store).map(|_| ()))
            .map_err(|e| CliError::Internal(e.context("tidying the store after --keep")))?;
    }
    let wall_s = started.elapsed().as_secs_f64();
    let skipped = (seeds.len() - outcomes.len()) as u64;
    let parts = SummaryParts {
        config: base,
        seed_set,
        seeds_total: all_seeds.len() as u64,
        shard,
        keep: args.keep,
        started_at: Some(started_at),
    };
    let summary = summary::summarize(parts, outcomes, skipped, wall_s);
    print_summary(&summary);
    if let Some(path) = &args.summary {
        write_summary(path, &summary)?;
        crate::say!("summary: {}", path.display());
    }
    write_outputs(&summary, args.junit.as_deref(), args.html.as_deref())?;
    let exit = summary.exit();
    crate::say!("verdict: {}", status_name(exit));
    Ok(exit)
}

/// Writes the outputs a suite or a merge was asked for besides its
/// summary: the JUnit file and the suite page.
pub(crate) fn write_outputs(
    summary: &SuiteSummary,
    junit: Option<&Path>,
    html: Option<&Path>,
) -> Result<(), CliError> {
    if let Some(path) = junit {
        super::junit::write(path, summary)?;
        crate::say!("junit: {}", path.display());
    }
    if let Some(path) = html {
        super::page::write(path, summary)?;
        crate::say!("page: {}", path.display());
    }
    Ok(())
}

/// `--keep`'s value, as the flag spells it.
fn keep_name(keep: Keep) -> &'static str {
    match keep {
        Keep::Failing => "failing",
        Keep::All => "all",
        Keep::None => "no",
    }
}

/// How [`run_all`] runs its seeds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunAllOptions {
    /// Seeds run at once.
    pub jobs: usize,
    /// No seed starts after the first that is not valid.
    pub fail_fast: bool,
    /// Print a line as each seed finishes, and the progress.
    pub progress: bool,
    /// Wall-clock seconds one seed may take before it is stopped.
    pub seed_wall_s_max: u64,
    /// Which seeds keep their run directories.
    pub keep: Keep,
    /// How often a plain progress line is printed (not on a terminal).
    pub progress_every: Duration,
}

impl Default for RunAllOptions {
    /// One job, no fail-fast, quiet, the default seed bound, every run
    /// directory kept.
    fn default() -> Self {
        RunAllOptions {
            jobs: 1,
            fail_fast: false,
            progress: false,
            seed_wall_s_max: SEED_WALL_S_MAX,
            keep: Keep::All,
            progress_every: Duration::from_secs(PROGRESS_EVERY_S),
        }
    }
}

/// Runs every seed, `jobs` at a time, each as a child process of `exe`;
/// returns the outcomes in seed order. Each outcome carries its run's
/// first finding and statistics; a run directory `keep` does not keep is
/// removed as soon as its seed is done.
pub(crate) fn run_all(
    seeds: &[u64],
    base: &RunConfig,
    store: &Path,
    exe: &Path,
    options: RunAllOptions,
) -> Result<Vec<SeedOutcome>, CliError> {
    let RunAllOptions {
        jobs,
        fail_fast,
        progress,
        seed_wall_s_max,
        keep,
        progress_every,
    } = options;
    static BATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let batch = BATCH.fetch_add(1, Ordering::SeqCst);
    let records =
        std::env::temp_dir().join(format!("faultline-suite-{}-{batch}", std::process::id()));
    std::fs::create_dir_all(&records).map_err(|e| {
        CliError::Internal(anyhow::anyhow!("cannot create {}: {e}", records.display()))
    })?;
    let queue: Arc<Mutex<VecDeque<u64>>> = Arc::new(Mutex::new(seeds.iter().copied().collect()));
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<SeedOutcome>();
    let mut workers = Vec::new();
    for _ in 0..jobs {
        let (queue, stop, tx) = (queue.clone(), stop.clone(), tx.clone());
        let (base, store, exe) = (base.clone(), store.to_path_buf(), exe.to_path_buf());
        let records = records.clone();
        workers.push(std::thread::spawn(move || loop {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            let Some(seed) = next else { return };
            let config = base.for_seed(seed);
            let record = records.join(format!("seed-{seed}.json"));
            let mut outcome = run_seed(&exe, &config, &store, &record, seed_wall_s_max);
            if let Some(dir) = outcome.run_dir.clone() {
                summary::digest_run(&dir, &mut outcome);
                if !keep.keeps(outcome.exit())
                    && crate::store::write::prune_run(&store, &dir).is_ok()
                {
                    outcome.run_dir = None;
                }
            }
            if tx.send(outcome).is_err() {
                return;
            }
        }));
    }
    drop(tx);
    let mut display = progress.then(|| Progress::new(seeds.len(), progress_every));
    let mut outcomes = Vec::new();
    for outcome in rx {
        if let Some(display) = &mut display {
            display.seed_done(&outcome);
        }
        if fail_fast && outcome.exit() != Exit::Valid {
            stop.store(true, Ordering::SeqCst);
        }
        outcomes.push(outcome);
    }
    if let Some(display) = &display {
        display.clear();
    }
    for w in workers {
        let _ = w.join();
    }
    let _ = std::fs::remove_dir_all(&records);
    outcomes.sort_by_key(|o| o.seed);
    Ok(outcomes)
}

/// The end of a suite on the terminal: the tally and throughput, the
/// situations, the failures grouped by checker and kind, and every seed
/// that was not valid with its replay command.
pub(crate) fn print_summary(summary: &SuiteSummary) {
    let counts: Vec<String> = summary
        .tally
        .iter()
        .map(|(v, n)| format!("{n} {v}"))
        .collect();
    let ran = summary.seeds.len();
    crate::say!(
        "suite done: {ran} seeds in {:.1} s ({:.2} seeds/s): {}{}",
        summary.wall_s,
        ran as f64 / summary.wall_s.max(1e-9),
        counts.join(", "),
        if summary.skipped > 0 {
            format!(", {} skipped (--fail-fast)", summary.skipped)
        } else {
            String::new()
        }
    );
    for line in situations::lines(&summary.situations, ran) {
        crate::say!("{line}");
    }
    if !summary.failure_groups.is_empty() {
        crate::say!("failures by checker and kind:");
        for g in &summary.failure_groups {
            crate::say!(
                "  {} {} {}: {} (seeds {})",
                g.seeds.len(),
                g.status,
                g.checker.as_deref().unwrap_or("no verdict"),
                g.kind,
                seed_list(&g.seeds, 10)
            );
        }
    }
    let failing: Vec<&SeedOutcome> = summary
        .seeds
        .iter()
        .filter(|o| o.exit() != Exit::Valid)
        .collect();
    if !failing.is_empty() {
        crate::say!("not valid:");
        for o in &failing {
            crate::say!("  seed {} {}: {}", o.seed, o.status(), o.replay);
        }
    }
}

/// At most `n` seeds, comma-separated, then how many more.
pub(crate) fn seed_list(seeds: &[u64], n: usize) -> String {
    let shown: Vec<String> = seeds.iter().take(n).map(u64::to_string).collect();
    let more = seeds.len().saturating_sub(n);
    if more > 0 {
        format!("{}, +{more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
#[path = "suite_tests.rs"]
mod tests;
