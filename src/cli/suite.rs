//! `faultline suite`: many seeds of one test, the nightly job. Every seed
//! runs as its own `faultline run` child process (the same binary), so a
//! seed behaves in the suite exactly as it does when replayed alone, and
//! `--jobs` seeds run side by side. Each finished seed prints one line; the
//! end prints the tally, every seed that was not valid with the command
//! that replays it, and the throughput. The exit status is the worst seed's
//! (an invalid seed exits 1 even if another one was unknown).

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use super::exit::{CliError, Exit};
use super::run::{fresh_seed, RunArgs};
use super::situations::{self, SituationTally};
use crate::run::config::RunConfig;
use crate::run::RunRecord;
use faultline_checker::{SituationCount, Verdict};

/// The default wall-clock bound of one seed, in seconds (a default run
/// takes one to three).
pub(crate) const SEED_WALL_S_MAX: u64 = 300;

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
#[derive(Debug, Clone, Serialize)]
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// The run's verdict; `None` when the run did not produce one (bad
    /// input, an internal error, a killed child).
    pub valid: Option<Verdict>,
    /// The child's exit status (None: killed by a signal).
    pub exit_code: Option<i32>,
    /// The run directory, when the run got that far.
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
    pub situations: BTreeMap<String, SituationCount>,
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

/// The whole suite's outcome (what `--summary` writes).
#[derive(Debug, Serialize)]
pub struct SuiteSummary {
    /// The configuration every seed ran with (its `seed` is the first's).
    pub config: RunConfig,
    /// The suite's verdict: every seed's, combined (`unknown` also when a
    /// seed could not be run).
    pub valid: Verdict,
    /// Seeds by status (`valid`, `invalid`, `unknown`, `bad-input`, `error`).
    pub tally: BTreeMap<String, u64>,
    /// Every situation: how many seeds reached it, how often, how soon.
    pub situations: BTreeMap<String, SituationTally>,
    /// Every seed that ran, in seed order.
    pub seeds: Vec<SeedOutcome>,
    /// Seeds not started because of `--fail-fast`.
    pub skipped: u64,
    /// Wall-clock seconds for the whole suite.
    pub wall_s: f64,
}

fn status_name(exit: Exit) -> &'static str {
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
        valid: None,
        exit_code: None,
        run_dir: None,
        replay: config.replay_command(),
        wall_s: 0.0,
        error: None,
        reason: None,
        situations: BTreeMap::new(),
    };
    let child = Command::new(exe)
        .args(&args)
        .arg("--store")
        .arg(store)
        .arg("--result-file")
        .arg(record_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let waited = match child {
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

/// Waits for `child` at most `limit`, collecting its stderr; kills it
/// past the limit (`Ok(None)`).
fn wait_bounded(mut child: Child, limit: Duration) -> std::io::Result<Option<Output>> {
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = stderr {
            let _ = pipe.read_to_end(&mut text);
        }
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().unwrap_or_default();
    Ok(status.map(|status| Output {
        status,
        stdout: Vec::new(),
        stderr,
    }))
}

/// Runs `faultline suite`.
pub fn run(args: SuiteArgs) -> Result<Exit, CliError> {
    if args.run.seed.is_some() {
        return Err(CliError::bad_input(
            "--seed: a suite takes --seeds LIST or --count N",
        ));
    }
    let seeds = match &args.seeds {
        Some(list) => {
            parse_seeds(list).map_err(|e| CliError::bad_input(format!("--seeds: {e}")))?
        }
        None => {
            if !(1..=SEEDS_MAX).contains(&args.count) {
                return Err(CliError::bad_input(format!(
                    "--count: {} is not between 1 and {SEEDS_MAX}",
                    args.count
                )));
            }
            let first = fresh_seed();
            println!("seeds {first}..{} (random start)", first + args.count);
            (first..first + args.count).collect()
        }
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
    let exe = std::env::current_exe().map_err(|e| {
        CliError::Internal(anyhow::anyhow!("cannot find the faultline binary: {e}"))
    })?;
    println!(
        "suite: {} seeds, {jobs} at a time; every seed: {}",
        seeds.len(),
        base.run_args()[2..].join(" ")
    );

    let started = Instant::now();
    let options = RunAllOptions {
        jobs,
        fail_fast: args.fail_fast,
        progress: true,
        seed_wall_s_max: args.seed_timeout.max(1),
    };
    let outcomes = run_all(&seeds, &base, &store, &exe, options)?;
    let wall_s = started.elapsed().as_secs_f64();
    let skipped = (seeds.len() - outcomes.len()) as u64;
    let summary = summarize(base, outcomes, skipped, wall_s);
    print_summary(&summary);
    if let Some(path) = &args.summary {
        write_summary(path, &summary)?;
        println!("summary: {}", path.display());
    }
    let exit = summary
        .seeds
        .iter()
        .fold(Exit::Valid, |worst, o| worst.worst(o.exit()));
    println!("verdict: {}", status_name(exit));
    Ok(exit)
}

/// Writes the summary as JSON to `path`, creating missing parent
/// directories (as `check --html` does).
fn write_summary(path: &Path, summary: &SuiteSummary) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(summary)
        .map_err(|e| CliError::Internal(anyhow::anyhow!("encoding the summary: {e}")))?;
    let cannot = |e: std::io::Error| {
        CliError::bad_input(format!("--summary: cannot write {}: {e}", path.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(cannot)?;
    }
    std::fs::write(path, text + "\n").map_err(cannot)
}

/// How [`run_all`] runs its seeds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunAllOptions {
    /// Seeds run at once.
    pub jobs: usize,
    /// No seed starts after the first that is not valid.
    pub fail_fast: bool,
    /// Print a line as each seed finishes.
    pub progress: bool,
    /// Wall-clock seconds one seed may take before it is stopped.
    pub seed_wall_s_max: u64,
}

/// Runs every seed, `jobs` at a time, each as a child process of `exe`;
/// returns the outcomes in seed order.
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
            let outcome = run_seed(&exe, &config, &store, &record, seed_wall_s_max);
            if tx.send(outcome).is_err() {
                return;
            }
        }));
    }
    drop(tx);
    let mut outcomes = Vec::new();
    for outcome in rx {
        if progress {
            print_outcome(&outcome, outcomes.len() + 1, seeds.len());
        }
        if fail_fast && outcome.exit() != Exit::Valid {
            stop.store(true, Ordering::SeqCst);
        }
        outcomes.push(outcome);
    }
    for w in workers {
        let _ = w.join();
    }
    let _ = std::fs::remove_dir_all(&records);
    outcomes.sort_by_key(|o| o.seed);
    Ok(outcomes)
}

fn print_outcome(outcome: &SeedOutcome, done: usize, total: usize) {
    let dir = outcome
        .run_dir
        .as_ref()
        .map_or(String::new(), |d| format!("  {}", d.display()));
    println!(
        "[{done}/{total}] seed {}: {} ({:.1} s){dir}",
        outcome.seed,
        outcome.status(),
        outcome.wall_s
    );
    if let Some(reason) = &outcome.reason {
        println!("    {reason}");
    }
    if let Some(e) = &outcome.error {
        for line in e.lines() {
            println!("    {line}");
        }
    }
}

/// The suite's summary: tally and combined verdict (a seed without a
/// verdict counts as unknown).
fn summarize(
    config: RunConfig,
    seeds: Vec<SeedOutcome>,
    skipped: u64,
    wall_s: f64,
) -> SuiteSummary {
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    for o in &seeds {
        *tally.entry(o.status().to_string()).or_insert(0) += 1;
    }
    let valid = Verdict::combine_all(seeds.iter().map(|o| o.valid.unwrap_or(Verdict::Unknown)));
    SuiteSummary {
        config,
        valid,
        tally,
        situations: situations::tally(&seeds),
        seeds,
        skipped,
        wall_s,
    }
}

fn print_summary(summary: &SuiteSummary) {
    let counts: Vec<String> = summary
        .tally
        .iter()
        .map(|(v, n)| format!("{n} {v}"))
        .collect();
    let ran = summary.seeds.len();
    println!(
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
        println!("{line}");
    }
    let failing: Vec<&SeedOutcome> = summary
        .seeds
        .iter()
        .filter(|o| o.exit() != Exit::Valid)
        .collect();
    if !failing.is_empty() {
        println!("not valid:");
        for o in &failing {
            println!("  seed {} {}: {}", o.seed, o.status(), o.replay);
        }
    }
}

#[cfg(test)]
#[path = "suite_tests.rs"]
mod tests;
