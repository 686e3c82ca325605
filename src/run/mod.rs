//! `faultline run`: one command from seed to verdict. Simulate (the
//! [`sim`] module), check ([`checks`]), then store the run (DESIGN §3):
//! `config.json`, `history.csv`, `history.jsonl`, `results.json`,
//! `nodes/<id>.log`, the report and plots, the `latest` link, and the
//! store's `index.html`.

pub mod checks;
pub mod clients;
pub mod config;
pub mod data_loss;
pub mod sim;

use crate::store::create_run_dir;
use anyhow::{Context, Result};
use config::RunConfig;
use faultline_reports::ReportInput;
use std::fs;
use std::path::{Path, PathBuf};

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run directory.
    pub dir: PathBuf,
    /// The results (as written to `results.json`).
    pub results: ReportInput,
}

/// Why a run did not produce a verdict.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration was refused (exit 254).
    #[error("{0}")]
    Config(String),
    /// faultline failed (exit 255).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Runs `config`, stores it under `store_root`, and returns the outcome.
pub fn execute(
    config: &RunConfig,
    store_root: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<RunOutcome, RunError> {
    crate::store::validate_test_name(&config.test_name)
        .map_err(|e| RunError::Config(e.to_string()))?;
    let started_at = crate::store::utc_now_rfc3339();
    let out = sim::simulate(config, progress).map_err(|e| match e {
        sim::SimError::Config(m) => RunError::Config(m),
        sim::SimError::Internal(m) => RunError::Internal(anyhow::anyhow!("simulation: {m}")),
    })?;
    progress("checking the history");
    let results = checks::check_run(config, &out, &started_at);
    let dir = create_run_dir(store_root, &config.test_name, config.seed)?;
    write_run(&dir, config, &out, &results)?;
    progress("rendering the report");
    faultline_reports::render_run(&dir, &results).context("rendering report.html")?;
    faultline_reports::render_index(store_root).context("rendering the store index")?;
    Ok(RunOutcome { dir, results })
}

fn write_run(
    dir: &Path,
    config: &RunConfig,
    out: &sim::SimOutput,
    results: &ReportInput,
) -> Result<()> {
    fs::write(dir.join("config.json"), pretty(config)?)
        .with_context(|| format!("writing {}/config.json", dir.display()))?;
    let mut csv = Vec::new();
    faultline_checker::io::csv::write(&out.history, &mut csv).context("encoding history.csv")?;
    fs::write(dir.join("history.csv"), csv).context("writing history.csv")?;
    let mut jsonl = Vec::new();
    faultline_checker::io::jsonl::write(&out.history, &mut jsonl)
        .context("encoding history.jsonl")?;
    fs::write(dir.join("history.jsonl"), jsonl).context("writing history.jsonl")?;
    fs::write(dir.join("results.json"), pretty(results)?).context("writing results.json")?;
    let nodes = dir.join("nodes");
    fs::create_dir_all(&nodes).context("creating nodes/")?;
    for (id, log) in &out.node_logs {
        fs::write(nodes.join(format!("n{id}.log")), log)
            .with_context(|| format!("writing nodes/n{id}.log"))?;
    }
    Ok(())
}

/// Pretty JSON with a trailing newline.
fn pretty<T: serde::Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}
