//! `faultline bench`: how fast the default run goes. Runs the default
//! configuration (or the given size) for several seeds, simulation and
//! checks included, nothing stored, and reports simulated seconds per wall
//! second, and the process's peak resident memory. `faultline bench check`
//! measures the checker alone on a large generated history instead (see
//! [`super::bench_check`]); `faultline bench curve` measures how one run's
//! cost grows with its size (see [`super::bench_curve`]). A benchmark, not a
//! test: it reads the wall clock and asserts nothing.

use std::time::Instant;

use clap::{Args, Subcommand};

use super::bench_check::{self, peak_rss_bytes, BenchCheckArgs};
use super::bench_curve::{self, BenchCurveArgs};
use super::exit::{CliError, Exit};
use crate::run::checks::check_run;
use crate::run::config::RunConfig;
use crate::run::sim::simulate;

/// The raw arguments of `faultline bench`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// Measure something other than the default run.
    #[command(subcommand)]
    pub mode: Option<BenchMode>,
    /// How many seeds to run (1, 2, ...).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub seeds: u64,
    /// Cluster size.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub nodes: usize,
    /// Length of the main phase in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub time_limit: u64,
    /// Client ops per simulated second, over all workers.
    #[arg(long, value_name = "OPS", default_value_t = 20.0)]
    pub rate: f64,
    /// Concurrent client workers.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub concurrency: usize,
    /// The first seed (seeds run from it upwards).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub first_seed: u64,
}

/// What `faultline bench` can measure besides the default run.
#[derive(Debug, Subcommand)]
pub enum BenchMode {
    /// Time and memory of the linearizability checker on a generated history.
    Check(BenchCheckArgs),
    /// Wall time and peak memory of one run against its size, as CSV and PNG.
    Curve(BenchCurveArgs),
}

/// How the last line of `faultline bench` starts when the system reports
/// the process's peak resident memory (`bench curve` reads it).
pub const PEAK_RSS_PREFIX: &str = "peak RSS: ";

/// Runs `faultline bench`.
pub fn run(args: BenchArgs) -> Result<Exit, CliError> {
    match args.mode {
        Some(BenchMode::Check(check)) => return bench_check::run(check),
        Some(BenchMode::Curve(curve)) => return bench_curve::run(curve),
        None => {}
    }
    if args.seeds == 0 || args.seeds > 10_000 {
        return Err(CliError::bad_input("--seeds: must be between 1 and 10000"));
    }
    let (mut sim_s, mut sim_wall_s, mut check_wall_s, mut ops) = (0.0, 0.0, 0.0, 0u64);
    let mut worst = Exit::Valid;
    let last_seed = args.first_seed.saturating_add(args.seeds - 1);
    for seed in args.first_seed..=last_seed {
        let mut config = RunConfig::with_seed(seed);
        config.nodes = args.nodes;
        config.time_limit_s = args.time_limit;
        config.rate_per_s = args.rate;
        config.concurrency = args.concurrency;
        config
            .validate()
            .map_err(|e| super::run::bad(super::run::flag_of(e.field), e.reason))?;
        let start = Instant::now();
        let out = simulate(&config, &mut |_| {})
            .map_err(|e| CliError::Internal(anyhow::anyhow!("seed {seed}: {e}")))?;
        let simulated = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let results = check_run(&config, &out, "bench");
        let checked = start.elapsed().as_secs_f64();
        let n = out.history.events.len() as u64;
        println!(
            "seed {seed}: {:.1} simulated s in {:.2} s wall ({:.0}x), check {:.3} s, {} events, {}",
            out.sim_end_ns as f64 / 1e9,
            simulated,
            out.sim_end_ns as f64 / 1e9 / simulated.max(1e-9),
            checked,
            n,
            results.verdict.as_str()
        );
        sim_s += out.sim_end_ns as f64 / 1e9;
        sim_wall_s += simulated;
        check_wall_s += checked;
        ops += n;
        worst = worst.worst(Exit::from(results.verdict));
    }
    println!(
        "total: {:.0} simulated s in {:.2} s wall: {:.0} simulated s per wall s; checks {:.3} s; {} history events",
        sim_s,
        sim_wall_s + check_wall_s,
        sim_s / (sim_wall_s + check_wall_s).max(1e-9),
        check_wall_s,
        ops
    );
    if let Some(bytes) = peak_rss_bytes() {
        println!("{PEAK_RSS_PREFIX}{bytes} bytes");
    }
    Ok(worst)
}
