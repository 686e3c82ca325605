//! `faultline run`: one command from seed to verdict. Simulate (the
//! [`sim`] module), check ([`checks`]), then store the run (DESIGN §3):
//! `config.json`, `history.csv`, `history.jsonl`, `results.json`,
//! `nodes/<id>.log`, the report and plots, the `latest` link, and the
//! store's `index.html`.

pub mod checks;
pub mod clients;
pub mod config;
pub mod plan;
pub mod profile;
pub mod sim;
pub mod stability;
pub mod stats;

use crate::store;
use anyhow::{Context, Result};
use config::RunConfig;
use faultline_checker::{RunResults, SituationCount, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run directory.
    pub dir: PathBuf,
    /// The results (as written to `results.json`).
    pub results: RunResults,
}

/// What a finished run says about itself, machine-readably (`faultline
/// run --result-file FILE`): a suite learns each child's verdict and run
/// directory from this, never from its human output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run's seed.
    pub seed: u64,
    /// Its verdict.
    pub valid: Verdict,
    /// Where it is stored.
    pub run_dir: PathBuf,
    /// For a run that is not valid: the first checker that says so and the
    /// first line of its first finding.
    pub first_failure: Option<String>,
    /// The situations the run reached (`results.json`'s `situations`).
    #[serde(default)]
    pub situations: BTreeMap<String, SituationCount>,
}

/// How many characters of a finding a [`RunRecord`] keeps.
const FAILURE_CHARS_MAX: usize = 240;

impl RunOutcome {
    /// The machine-readable record of this run.
    pub fn record(&self, seed: u64) -> RunRecord {
        RunRecord {
            seed,
            valid: self.results.verdict,
            run_dir: self.dir.clone(),
            first_failure: self
                .results
                .first_failing()
                .map(|c| c.headline(FAILURE_CHARS_MAX)),
            situations: self.results.situations.clone(),
        }
    }
}

/// Why a run did not produce a verdict.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration was refused (exit 254).
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    /// A part refused the (validated) configuration (exit 254).
    #[error("{0}")]
    Refused(String),
    /// faultline failed (exit 255).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A simulated and checked run, not stored yet.
#[derive(Debug)]
pub struct Evaluated {
    /// The configuration as it is stored: with the fault plan the run
    /// carried out.
    pub config: RunConfig,
    /// What the simulation produced.
    pub out: sim::SimOutput,
    /// The checkers' results.
    pub results: RunResults,
}

/// Simulates and checks `config` without storing anything.
pub fn evaluate(config: &RunConfig, progress: &mut dyn FnMut(&str)) -> Result<Evaluated, RunError> {
    config.validate()?;
    let started_at = store::write::utc_now_rfc3339();
    let out = sim::simulate(config, progress).map_err(|e| match e {
        sim::SimError::Config(m) => RunError::Refused(m),
        sim::SimError::Internal(m) => RunError::Internal(anyhow::anyhow!("simulation: {m}")),
    })?;
    let config = RunConfig {
        fault_plan: Some(out.fault_plan.clone()),
        ..config.clone()
    };
    progress("checking the history");
    let results = checks::check_run(&config, &out, &started_at);
    Ok(Evaluated {
        config,
        out,
        results,
    })
}

/// Runs `config`, stores it under `store_root`, and returns the outcome.
/// The test's `latest` link moves to the run only once all of it is stored.
pub fn execute(
    config: &RunConfig,
    store_root: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<RunOutcome, RunError> {
    let evaluated = evaluate(config, progress)?;
    store_run(
        evaluated,
        store_root,
        store::write::RunDirKind::Run,
        progress,
    )
}

/// Stores an evaluated run under `store_root` (a directory of `kind`):
/// its files, report and plots; then moves the `latest` link and
/// refreshes the index.
pub fn store_run(
    evaluated: Evaluated,
    store_root: &Path,
    kind: store::write::RunDirKind,
    progress: &mut dyn FnMut(&str),
) -> Result<RunOutcome, RunError> {
    let Evaluated {
        config,
        out,
        mut results,
        ..
    } = evaluated;
    let dir = store::write::create_run_dir(store_root, &config.test_name, config.seed, kind)?;
    results.replay_command = Some(config.replay_command_in(&dir));
    store::write::write_run(
        &dir,
        &store::write::RunFiles {
            config: &config,
            history: &out.history,
            results: &results,
            node_logs: &out.node_logs,
        },
    )?;
    progress("rendering the report");
    let mut input = faultline_reports::ReportInput::new(results, &out.history);
    input.node_logs = store::read::node_logs(&dir);
    crate::explain::attach(&mut input, &dir);
    faultline_reports::render_run(&dir, &input).context("rendering report.html")?;
    store::write::point_latest(&dir)?;
    store::list::refresh_index(store_root)?;
    Ok(RunOutcome {
        dir,
        results: input.results,
    })
}
