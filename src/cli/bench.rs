//! `faultline bench`: how fast the default run goes. Runs the default
//! configuration (or the given size) for several seeds, simulation and
//! checks included, nothing stored, and reports simulated seconds per wall
//! second. `faultline bench check` measures the checker alone on a large
//! generated history instead (see [`super::bench_check`]). A benchmark, not
//! a test: it reads the wall clock and asserts nothing.

use std::time::Instant;

use clap::{Args, Subcommand};

use super::bench_check::{self, BenchCheckArgs};
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
}

/// What `faultline bench` can measure besides the default run.
#[derive(Debug, Subcommand)]
pub enum BenchMode {
    /// Time and memory of the linearizability checker on a generated history.
    Check(BenchCheckArgs),
}

/// Runs `faultline bench`.
pub fn run(args: BenchArgs) -> Result<Exit, CliError> {
    if let Some(BenchMode::Check(check)) = args.mode {
        return bench_check::run(check);
    }
    if args.seeds == 0 || args.seeds > 10_000 {
        return Err(CliError::bad_input("--seeds: must be between 1 and 10000"));
    }
    let (mut sim_s, mut sim_wall_s, mut check_wall_s, mut ops) = (0.0, 0.0, 0.0, 0u64);
    let mut worst = Exit::Valid;
    for seed in 1..=args.seeds {
        let mut config = RunConfig::with_seed(seed);
        config.nodes = args.nodes;
        config.time_limit_s = args.time_limit;
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
    Ok(worst)
}
