//! `faultline bench curve`: how one run's wall time and peak memory grow
//! with its size. One knob at a time is varied (nodes 3, 5, 7, 9; client
//! rate 20, 200, 1,000 ops/s; concurrency 5, 20, 100; main phase 60, 300,
//! 1,200 simulated s), every other at the default run's value. Each point is
//! one seed run by `faultline bench` in a process of its own, so its peak
//! resident memory is its own; the wall time is that whole process's.
//! Writes `cost-curve.csv` and `cost-curve.png` (drawn by
//! [`faultline_reports::plot::cost_curve`]) into `--out`. A benchmark, not
//! a test: it reads the wall clock and asserts nothing.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use clap::Args;
use faultline_reports::plot::cost_curve::{render_cost_curve, CurvePanel, CurvePoint};

use super::bench::PEAK_RSS_PREFIX;
use super::exit::{CliError, Exit};

/// The raw arguments of `faultline bench curve`.
#[derive(Debug, Args)]
pub struct BenchCurveArgs {
    /// The directory `cost-curve.csv` and `cost-curve.png` are written to.
    #[arg(long, value_name = "DIR", default_value = "cost-curve")]
    pub out: PathBuf,
    /// The seed every point runs.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

/// The knobs the curve varies, with the values it measures.
const KNOBS: [(Knob, &[u64]); 4] = [
    (Knob::Nodes, &[3, 5, 7, 9]),
    (Knob::Rate, &[20, 200, 1_000]),
    (Knob::Concurrency, &[5, 20, 100]),
    (Knob::Duration, &[60, 300, 1_200]),
];

/// One knob of a run's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Knob {
    Nodes,
    Rate,
    Concurrency,
    Duration,
}

impl Knob {
    /// The axis label, with its unit.
    fn label(self) -> &'static str {
        match self {
            Knob::Nodes => "nodes",
            Knob::Rate => "client ops/s",
            Knob::Concurrency => "client workers",
            Knob::Duration => "main phase (simulated s)",
        }
    }

    /// The `faultline bench` flag that sets it.
    fn flag(self) -> &'static str {
        match self {
            Knob::Nodes => "--nodes",
            Knob::Rate => "--rate",
            Knob::Concurrency => "--concurrency",
            Knob::Duration => "--time-limit",
        }
    }
}

/// The `faultline bench` arguments of one point: the knob at `value`, the
/// others at the defaults `faultline bench` has.
fn point_args(knob: Knob, value: u64, seed: u64) -> Vec<String> {
    let mut args = vec![
        "bench".to_string(),
        "--seeds".to_string(),
        "1".to_string(),
        "--first-seed".to_string(),
        seed.to_string(),
    ];
    args.push(knob.flag().to_string());
    args.push(value.to_string());
    args
}

/// The peak resident bytes a `faultline bench` output reports, if any.
fn parse_peak_bytes(stdout: &str) -> Option<u64> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(PEAK_RSS_PREFIX))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Runs one point in a child process; returns it and the child's verdict
/// exit code.
fn measure(knob: Knob, value: u64, seed: u64) -> Result<(CurvePoint, i32), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Internal(anyhow::anyhow!("cannot find this program: {e}")))?;
    let args = point_args(knob, value, seed);
    let start = Instant::now();
    let out = Command::new(exe)
        .args(&args)
        .output()
        .map_err(|e| CliError::Internal(anyhow::anyhow!("cannot start faultline bench: {e}")))?;
    let wall_s = start.elapsed().as_secs_f64();
    let code = out.status.code().unwrap_or(-1);
    if !(0..=2).contains(&code) {
        return Err(CliError::Internal(anyhow::anyhow!(
            "faultline {} exited with {code}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let peak = parse_peak_bytes(&String::from_utf8_lossy(&out.stdout));
    let point = CurvePoint {
        x: value as f64,
        wall_s,
        peak_mib: peak.map_or(0.0, |b| b as f64 / (1024.0 * 1024.0)),
    };
    Ok((point, code))
}

/// Runs `faultline bench curve`.
pub fn run(args: BenchCurveArgs) -> Result<Exit, CliError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        CliError::bad_input(format_args!("--out {}: {what}: {e}", args.out.display()))
    };
    std::fs::create_dir_all(&args.out).map_err(|e| fail("cannot create", &e))?;
    let mut csv = String::from("knob,value,wall_s,peak_mib,exit\n");
    let mut panels = Vec::new();
    for (knob, values) in KNOBS {
        let mut points = Vec::new();
        for &value in values {
            let (point, code) = measure(knob, value, args.seed)?;
            println!(
                "{} = {value}: {:.2} s wall, {:.1} MiB peak, exit {code}",
                knob.label(),
                point.wall_s,
                point.peak_mib
            );
            csv.push_str(&format!(
                "{},{value},{:.3},{:.1},{code}\n",
                knob.flag().trim_start_matches("--"),
                point.wall_s,
                point.peak_mib
            ));
            points.push(point);
        }
        panels.push(CurvePanel {
            knob: knob.label().to_string(),
            points,
        });
    }
    let png = render_cost_curve(&panels)
        .map_err(|e| CliError::Internal(anyhow::anyhow!("cost-curve.png: {e}")))?;
    let csv_path = args.out.join("cost-curve.csv");
    let png_path = args.out.join("cost-curve.png");
    std::fs::write(&csv_path, csv).map_err(|e| fail("cannot write cost-curve.csv", &e))?;
    std::fs::write(&png_path, png).map_err(|e| fail("cannot write cost-curve.png", &e))?;
    println!("wrote {} and {}", csv_path.display(), png_path.display());
    Ok(Exit::Valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_point_varies_one_knob_and_leaves_the_rest_at_the_defaults() {
        assert_eq!(
            point_args(Knob::Rate, 200, 7),
            [
                "bench",
                "--seeds",
                "1",
                "--first-seed",
                "7",
                "--rate",
                "200"
            ]
        );
        let flags: Vec<&str> = KNOBS.iter().map(|(k, _)| k.flag()).collect();
        assert_eq!(
            flags,
            ["--nodes", "--rate", "--concurrency", "--time-limit"]
        );
    }

    #[test]
    fn the_peak_is_read_from_the_bench_line_and_absent_without_it() {
        let out = format!("seed 1: ...\ntotal: ...\n{PEAK_RSS_PREFIX}1048576 bytes\n");
        assert_eq!(parse_peak_bytes(&out), Some(1_048_576));
        assert_eq!(parse_peak_bytes("total: ...\n"), None);
    }
}
