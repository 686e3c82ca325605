//! `faultline shrink RUN_DIR`: search, by re-running deterministically, for
//! the smallest run that is still invalid for the same reason as a stored
//! invalid run ([`crate::shrink`]), store it as a new run
//! (`<test>/<timestamp>-s<seed>-shrunk`, with `shrink.json`) whose report
//! links the original, and print a one-screen summary with the command that
//! replays it. The shrunk run is re-run twice at the end: a different
//! history is a determinism bug, said so and exit 255. Otherwise the exit
//! status is the shrunk run's verdict (1).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use faultline_checker::Verdict;

use super::exit::{CliError, Exit};
use crate::run::config::{RunConfig, ShrunkFrom};
use crate::run::{evaluate, store_run, RunError};
use crate::shrink::candidate::{history_digest, CandidateRecord, Runner};
use crate::shrink::reason::Reason;
use crate::shrink::summary::{render, ShrinkRecord};
use crate::shrink::trials::{Best, Budget, Tick, Trials};
use crate::shrink::{search, Measures};
use crate::store;

/// The file a shrunk run's directory records the shrink in.
pub const SHRINK_JSON: &str = "shrink.json";

/// Seconds between plain progress lines when not on a terminal.
const PROGRESS_EVERY_S: u64 = 10;

/// The raw arguments of `faultline shrink`.
#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// A stored invalid run (`store/<test>/<timestamp>-s<seed>` or a
    /// `latest` link).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// The most candidate runs the search may make.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub budget_runs: u64,
    /// The most wall-clock seconds the search may take (a candidate that
    /// has started finishes).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub budget_secs: u64,
    /// Candidates run at once (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Accept any invalid run, not only one invalid for the same reason.
    #[arg(long)]
    pub any_failure: bool,
    /// Where the shrunk run is stored.
    #[arg(long, value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
}

/// Runs `faultline shrink`.
pub fn run(args: ShrinkArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    if args.budget_runs == 0 || args.budget_secs == 0 {
        return Err(CliError::bad_input(
            "--budget-runs and --budget-secs must be above 0",
        ));
    }
    let jobs = match args.jobs {
        Some(0) => return Err(CliError::bad_input("--jobs: must be at least 1")),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let (config, target) = read_invalid_run(&args.run_dir)?;
    super::output::check_store(&args.store)?;
    crate::say!(
        "shrinking {}: invalid for {target}{}; re-running it first",
        args.run_dir.display(),
        if args.any_failure {
            " (any failure accepted)"
        } else {
            ""
        }
    );
    let exe = std::env::current_exe().map_err(|e| {
        CliError::Internal(anyhow::anyhow!("cannot find the faultline binary: {e}"))
    })?;
    let runner = Runner::new(exe, &std::env::temp_dir()).map_err(|e| {
        CliError::Internal(anyhow::anyhow!("cannot create a scratch directory: {e}"))
    })?;
    let limit = Duration::from_secs(super::suite::SEED_WALL_S_MAX.max(args.budget_secs));
    let original = reproduce(&args, &runner, &config, &target, limit)?;
    let original_measures = original.measures;
    let original_config = original.config.clone();
    let budget = Budget {
        runs_max: args.budget_runs,
        wall_max: Duration::from_secs(args.budget_secs),
    };
    let mut display = Display::new();
    let mut on_tick = |tick: &Tick<'_>| display.tick(tick);
    let best = Best {
        config: original.config.clone(),
        record: original,
    };
    let mut trials = Trials::new(
        &runner,
        best,
        target.clone(),
        args.any_failure,
        jobs,
        budget,
        &mut on_tick,
    );
    search(&mut trials);
    let mut record = ShrinkRecord {
        original_run_dir: args.run_dir.display().to_string(),
        shrunk_run_dir: String::new(),
        reason: if args.any_failure {
            "any failure".to_string()
        } else {
            target.to_string()
        },
        original: original_measures,
        shrunk: trials.best().record.measures,
        runs: trials.runs(),
        wall_s: 0.0,
        budget_runs: args.budget_runs,
        budget_secs: args.budget_secs,
        budget_exhausted: trials.exhausted(),
        replays_identical: 0,
        changes: trials.accepted().to_vec(),
        other_failures: trials.others().clone(),
        candidate_errors: trials.errors().clone(),
        replay: String::new(),
    };
    let best = trials.into_best();
    display.clear();
    finish(
        &args,
        &runner,
        &best,
        &original_config,
        &mut record,
        limit,
        started,
    )
}

/// Re-runs the original (a child, like every candidate) and checks that
/// it still fails as sought.
fn reproduce(
    args: &ShrinkArgs,
    runner: &Runner,
    config: &RunConfig,
    target: &Reason,
    limit: Duration,
) -> Result<CandidateRecord, CliError> {
    let original = runner.run(config, limit).map_err(|e| {
        CliError::Internal(anyhow::anyhow!(
            "re-running {}: {e}",
            args.run_dir.display()
        ))
    })?;
    let reproduces = if args.any_failure {
        original.results.verdict == Verdict::Invalid
    } else {
        target.found_in(&original.results)
    };
    if !reproduces {
        return Err(CliError::bad_input(format!(
            "{}: this build does not reproduce the failure ({} now); the code under test \
             changed since the run was made, or determinism broke (`faultline replay` compares)",
            args.run_dir.display(),
            original.results.verdict
        )));
    }
    Ok(original)
}

/// Re-runs the best run twice (the determinism check), stores it as the
/// shrunk run with `shrink.json`, and prints the summary.
fn finish(
    args: &ShrinkArgs,
    runner: &Runner,
    best: &Best,
    original_config: &RunConfig,
    record: &mut ShrinkRecord,
    limit: Duration,
    started: Instant,
) -> Result<Exit, CliError> {
    crate::say!("re-running the shrunk run twice to check that it is deterministic");
    // This process has simulated nothing yet, so its run is a fresh
    // process's; the second re-run is a child like every candidate.
    let config_path = args.run_dir.join(store::CONFIG_JSON);
    let mut shrunk = evaluate(&best.config, &mut |_| {}).map_err(|e| run_error(&config_path, e))?;
    let again = runner.run(&best.config, limit);
    let expected = best.record.history_digest;
    record.replays_identical = u32::from(history_digest(&shrunk.out.history) == expected)
        + u32::from(again.is_ok_and(|r| r.history_digest == expected));
    shrunk.config.shrunk_from = Some(shrunk_from(&args.run_dir, &args.store, &shrunk.config));
    shrunk.results.config = serde_json::to_value(&shrunk.config).unwrap_or_default();
    record.shrunk = Measures::of(&shrunk);
    let shrunk_config = shrunk.config.clone();
    let history = shrunk.out.history.clone();
    let kind = store::write::RunDirKind::Shrunk;
    let outcome = store_run(shrunk, &args.store, kind, &mut |_| {})
        .map_err(|e| run_error(&config_path, e))?;
    record.shrunk_run_dir = outcome.dir.display().to_string();
    record.replay = outcome.results.replay_command.clone().unwrap_or_default();
    record.wall_s = started.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&record).map_err(|e| CliError::Internal(e.into()))?;
    std::fs::write(outcome.dir.join(SHRINK_JSON), json + "\n")
        .map_err(|e| CliError::Internal(anyhow::anyhow!("cannot write {SHRINK_JSON}: {e}")))?;
    let failure = failure_summary(&outcome.dir);
    let text = render(record, original_config, &shrunk_config, &history, &failure);
    for line in text.lines() {
        crate::say!("{line}");
    }
    if record.replays_identical < 2 {
        return Err(CliError::Internal(anyhow::anyhow!(
            "determinism bug: the shrunk run {} gave a different history when re-run",
            outcome.dir.display()
        )));
    }
    Ok(Exit::from(outcome.results.verdict))
}

/// The raw arguments of the hidden `faultline shrink-candidate`: the
/// shrinker's child process for one candidate.
#[derive(Debug, Args)]
pub struct CandidateArgs {
    /// The candidate's configuration (a `config.json`).
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,
    /// Where its [`CandidateRecord`] is written.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
}

/// Runs one candidate (`faultline shrink-candidate CONFIG OUT`): simulate
/// and check it, store nothing, write its record; the exit status is its
/// verdict.
pub fn run_candidate(args: CandidateArgs) -> Result<Exit, CliError> {
    let config: RunConfig = store::read::read_json(&args.config).map_err(CliError::bad_input)?;
    let evaluated = evaluate(&config, &mut |_| {}).map_err(|e| run_error(&args.config, e))?;
    let record = CandidateRecord::of(&evaluated);
    let json = serde_json::to_string(&record).map_err(|e| CliError::Internal(e.into()))?;
    std::fs::write(&args.out, json).map_err(|e| {
        CliError::Internal(anyhow::anyhow!("cannot write {}: {e}", args.out.display()))
    })?;
    Ok(Exit::from(record.results.verdict))
}

/// Reads `dir`'s configuration and results; a run that is not invalid, or
/// a directory that is not a readable run, is bad input.
fn read_invalid_run(dir: &Path) -> Result<(RunConfig, Reason), CliError> {
    if !dir.is_dir() {
        return Err(CliError::bad_input(format!(
            "{}: not a run directory",
            dir.display()
        )));
    }
    let config = super::replay::read_config(dir)?;
    config.validate().map_err(|e| {
        CliError::bad_input(format!("{}: {e}", dir.join(store::CONFIG_JSON).display()))
    })?;
    let results = store::read::read_results(dir).map_err(CliError::bad_input)?;
    match Reason::primary(&results) {
        Some(reason) => Ok((config, reason)),
        None => Err(CliError::bad_input(format!(
            "{}: the run is {}, not invalid: there is no failure to shrink",
            dir.display(),
            results.verdict
        ))),
    }
}

fn run_error(dir: &Path, e: RunError) -> CliError {
    match e {
        RunError::Config(e) => {
            CliError::bad_input(format!("{}: {e}", dir.join(store::CONFIG_JSON).display()))
        }
        RunError::Refused(m) => {
            CliError::bad_input(format!("{}: {m}", dir.join(store::CONFIG_JSON).display()))
        }
        RunError::Internal(e) => CliError::Internal(e.context(format!(
            "shrink failed; reproduce the run with: faultline replay {}",
            dir.display()
        ))),
    }
}

/// Where the shrunk run came from, with the original's report as a link
/// relative to the shrunk run's directory when both are in one test's
/// directory of the store.
fn shrunk_from(run_dir: &Path, store_root: &Path, config: &RunConfig) -> ShrunkFrom {
    let original = run_dir
        .canonicalize()
        .unwrap_or_else(|_| run_dir.to_path_buf());
    let test_dir = store_root.join(&config.test_name).canonicalize().ok();
    let report = match (original.parent(), original.file_name()) {
        (Some(parent), Some(name)) if Some(parent.to_path_buf()) == test_dir => {
            format!("../{}/{}", name.to_string_lossy(), store::REPORT_HTML)
        }
        _ => original.join(store::REPORT_HTML).display().to_string(),
    };
    ShrunkFrom {
        run_dir: run_dir.display().to_string(),
        report,
    }
}

/// The stored run's own failure summary ([`crate::explain::text::summary`]).
fn failure_summary(dir: &Path) -> String {
    match store::read::load_report(dir) {
        Ok(mut input) => {
            let events = crate::explain::attach(&mut input, dir);
            crate::explain::text::summary(&input, &events)
        }
        Err(e) => format!("(no summary: {e})\n"),
    }
}

/// The search's progress: a line for every change kept; on a terminal a
/// status line redrawn in place on standard error, otherwise a plain
/// `progress:` line every few seconds.
struct Display {
    live: bool,
    drawn: bool,
    last_line: Instant,
}

impl Display {
    fn new() -> Display {
        Display {
            live: std::io::stderr().is_terminal(),
            drawn: false,
            last_line: Instant::now(),
        }
    }

    fn tick(&mut self, tick: &Tick<'_>) {
        let best = format!(
            "{} faults, {} operations, {:.1} simulated s",
            tick.best.faults_count, tick.best.operations_count, tick.best.sim_s
        );
        if let Some(change) = tick.accepted {
            self.clear();
            crate::say!("  kept ({}): {change} → {best}", tick.dimension);
        }
        let status = format!(
            "[{}/{} runs] shrinking {}; best: {best}",
            tick.runs, tick.runs_max, tick.dimension
        );
        if self.live {
            let filled = (20 * tick.runs / tick.runs_max.max(1)) as usize;
            let bar = format!("{}{}", "#".repeat(filled), "-".repeat(20 - filled.min(20)));
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K[{bar}] {status}");
            let _ = err.flush();
            self.drawn = true;
        } else if self.last_line.elapsed() >= Duration::from_secs(PROGRESS_EVERY_S) {
            self.last_line = Instant::now();
            crate::say!("progress: {status}");
        }
    }

    fn clear(&mut self) {
        if self.live && self.drawn {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
            self.drawn = false;
        }
    }
}
