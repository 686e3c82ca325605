//! `faultline hunt`: detection as a benchmark. Runs the correct Raft (the
//! control row) and then each seeded bug of the catalogue
//! ([`faultline_raft::bugs`]) on the same seeds and settings, and tabulates
//! how often, how soon and by which checker each bug was caught. A control
//! seed that is not `valid` is a false alarm, and makes the exit status
//! `invalid`.

use super::run::RunArgs;
use super::situations::{self, SituationTally};
use super::suite::{run_all, RunAllOptions, SeedOutcome};
use super::{CliError, Exit};
use crate::run::config::RunConfig;
use clap::Args;
use faultline_raft::bugs::{Bug, BugSet};
use faultline_reports::plot::detection::{render_detection, DetectionBar};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The raw arguments of `faultline hunt`.
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// The bugs: `all` or a comma list of names (`faultline bugs`).
    #[arg(long, value_name = "LIST", default_value = "all")]
    pub bugs: String,
    /// Seeds per bug: `--seed-start` .. `--seed-start + N`.
    #[arg(long = "seeds", value_name = "N", default_value_t = 20)]
    pub seeds_per_bug: u64,
    /// The first seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed_start: u64,
    /// Seeds of the correct Raft (default: as many as per bug).
    #[arg(long, value_name = "N")]
    pub control_seeds: Option<u64>,
    /// Seeds run at once (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Also write the table as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Stop a seed that runs longer than this many wall-clock seconds (it
    /// counts as unknown).
    #[arg(long, value_name = "SECS", default_value_t = super::suite::SEED_WALL_S_MAX)]
    pub seed_timeout: u64,
    /// Also write a PNG bar chart of the detection rate per row to this file.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// The settings every seed runs with (not `--seed` or `--inject-bug`).
    #[command(flatten)]
    pub run: RunArgs,
}

/// One row of the table: a bug (or the control) over its seeds.
#[derive(Debug, Clone, Serialize)]
pub struct HuntRow {
    /// The bug's name, or `none` for the correct Raft.
    pub bug: String,
    /// Seeds run.
    pub seeds: u64,
    /// Seeds whose run was `invalid`.
    pub invalid: u64,
    /// Seeds whose run was `unknown` (or ended without a verdict).
    pub unknown: u64,
    /// Each unknown seed with its cause (the first checker that was not
    /// valid and its first finding, or why the run gave no verdict), so
    /// every unknown is explained.
    pub unknown_seeds: Vec<UnknownSeed>,
    /// The first seed whose run was `invalid`.
    pub first_invalid_seed: Option<u64>,
    /// How many seeds ran up to and including the first invalid one.
    pub seeds_to_first_invalid: Option<u64>,
    /// `invalid / seeds`.
    pub detection_rate: f64,
    /// The checker named first in each invalid run, with how many runs.
    pub caught_by: BTreeMap<String, u64>,
    /// Wall-clock seconds of all its seeds' runs, summed (each seed is one
    /// single-threaded process, so this is close to CPU time).
    pub run_s_total: f64,
    /// Every situation: how many of the row's seeds reached it, how often.
    pub situations: BTreeMap<String, SituationTally>,
}

/// A seed whose run ended `unknown`, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownSeed {
    /// The seed.
    pub seed: u64,
    /// The cause, as the run's results or the suite runner gave it.
    pub reason: String,
}

/// What `--json` writes.
#[derive(Debug, Serialize)]
pub struct HuntReport {
    /// The settings every seed ran with.
    pub config: RunConfig,
    /// The control row first, then one row per bug.
    pub rows: Vec<HuntRow>,
    /// Wall-clock seconds of the whole hunt.
    pub wall_s: f64,
}

fn parse_bugs(list: &str) -> Result<Vec<Bug>, CliError> {
    if list == "all" {
        return Ok(Bug::ALL.to_vec());
    }
    list.split(',')
        .map(|name| {
            Bug::from_name(name.trim()).ok_or_else(|| {
                CliError::bad_input(format!(
                    "--bugs: no bug is named {name:?} (`faultline bugs` lists them)"
                ))
            })
        })
        .collect()
}

/// The row of one bug (or the control) from its seeds' outcomes.
fn row(bug: &str, outcomes: &[SeedOutcome]) -> HuntRow {
    let mut invalid = 0;
    let mut unknown = 0;
    let mut unknown_seeds = Vec::new();
    let mut first = None;
    let mut caught_by = BTreeMap::new();
    for (k, o) in outcomes.iter().enumerate() {
        match o.exit() {
            Exit::Valid => {}
            Exit::Invalid => {
                invalid += 1;
                first.get_or_insert((o.seed, k as u64 + 1));
                let checker = o
                    .reason
                    .as_deref()
                    .and_then(|r| r.split(':').next())
                    .unwrap_or("unnamed")
                    .to_string();
                *caught_by.entry(checker).or_insert(0) += 1;
            }
            _ => {
                unknown += 1;
                let reason = o.reason.clone().or_else(|| o.error.clone());
                unknown_seeds.push(UnknownSeed {
                    seed: o.seed,
                    reason: reason.unwrap_or_else(|| "no verdict".to_string()),
                });
            }
        }
    }
    let seeds = outcomes.len() as u64;
    HuntRow {
        bug: bug.to_string(),
        seeds,
        invalid,
        unknown,
        unknown_seeds,
        first_invalid_seed: first.map(|f| f.0),
        seeds_to_first_invalid: first.map(|f| f.1),
        detection_rate: invalid as f64 / seeds.max(1) as f64,
        caught_by,
        run_s_total: outcomes.iter().map(|o| o.wall_s).sum(),
        situations: situations::tally(outcomes),
    }
}

/// Runs `faultline hunt`.
pub fn run(args: HuntArgs) -> Result<Exit, CliError> {
    if args.run.seed.is_some() || !args.run.inject_bug.is_empty() {
        return Err(CliError::bad_input(
            "--seed and --inject-bug: a hunt chooses the seeds (--seeds, --seed-start) and the bugs (--bugs)",
        ));
    }
    let bugs = parse_bugs(&args.bugs)?;
    if !(1..=100_000).contains(&args.seeds_per_bug) {
        return Err(CliError::bad_input("--seeds: must be between 1 and 100000"));
    }
    let control_seeds = args.control_seeds.unwrap_or(args.seeds_per_bug);
    let jobs = match args.jobs {
        Some(0) => return Err(CliError::bad_input("--jobs: must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let (base, store) = RunArgs {
        seed: Some(args.seed_start),
        ..args.run
    }
    .into_config()?;
    let exe = std::env::current_exe().map_err(|e| {
        CliError::Internal(anyhow::anyhow!("cannot find the faultline binary: {e}"))
    })?;
    let options = RunAllOptions {
        jobs,
        fail_fast: false,
        progress: false,
        seed_wall_s_max: args.seed_timeout.max(1),
        ..RunAllOptions::default()
    };
    crate::say!(
        "hunt: {} bugs × {} seeds (control: {control_seeds}), {jobs} at a time; every seed: {}",
        bugs.len(),
        args.seeds_per_bug,
        base.run_args()[2..].join(" ")
    );
    let started = Instant::now();
    let mut rows = Vec::new();
    let cases = std::iter::once((None, control_seeds))
        .chain(bugs.iter().map(|&b| (Some(b), args.seeds_per_bug)));
    for (bug, count) in cases {
        let seeds: Vec<u64> = (args.seed_start..args.seed_start.saturating_add(count)).collect();
        let config = RunConfig {
            bugs: bug.map_or(BugSet::NONE, |b| BugSet::of([b])),
            ..base.clone()
        };
        let outcomes = run_all(&seeds, &config, &store, &exe, options)?;
        let r = row(bug.map_or("none", Bug::name), &outcomes);
        print_row(&r);
        rows.push(r);
    }
    let report = HuntReport {
        config: base,
        rows,
        wall_s: started.elapsed().as_secs_f64(),
    };
    crate::say!("{}", table(&report.rows).trim_end());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::Internal(anyhow::anyhow!("encoding the hunt: {e}")))?;
        write_output("--json", path, (text + "\n").as_bytes())?;
        crate::say!("json: {}", path.display());
    }
    if let Some(path) = &args.png {
        let title = format!(
            "faultline hunt: seeds invalid per bug ({} seeds each, control {control_seeds})",
            args.seeds_per_bug
        );
        let png = render_detection(&title, &bars(&report.rows))
            .map_err(|e| CliError::Internal(anyhow::anyhow!("drawing the hunt: {e}")))?;
        write_output("--png", path, &png)?;
        crate::say!("png: {}", path.display());
    }
    let false_alarms = report.rows.first().map_or(0, |r| r.invalid);
    if false_alarms > 0 {
        crate::say!("FALSE ALARM: the correct Raft was invalid on {false_alarms} seed(s)");
        return Ok(Exit::Invalid);
    }
    Ok(Exit::Valid)
}

/// Writes `bytes` to `path` (the file of `flag`), creating missing parent
/// directories.
fn write_output(flag: &str, path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::bad_input(format!("{flag}: cannot create {}: {e}", dir.display()))
        })?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| CliError::bad_input(format!("{flag}: cannot write {}: {e}", path.display())))
}

/// The chart's bars: one per row, noting how soon and by what it was caught.
fn bars(rows: &[HuntRow]) -> Vec<DetectionBar> {
    rows.iter()
        .map(|r| {
            let mut note = Vec::new();
            if let Some(n) = r.seeds_to_first_invalid {
                note.push(format!("first invalid after {n} seed(s)"));
            }
            let caught: Vec<String> = r
                .caught_by
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            if !caught.is_empty() {
                note.push(format!("by {}", caught.join(", ")));
            }
            if r.unknown > 0 {
                note.push(format!("{} unknown", r.unknown));
            }
            DetectionBar {
                label: if r.bug == "none" {
                    "none (control)".to_string()
                } else {
                    r.bug.clone()
                },
                seeds: r.seeds,
                invalid: r.invalid,
                unknown: r.unknown,
                note: note.join("; "),
            }
        })
        .collect()
}

fn print_row(r: &HuntRow) {
    crate::say!(
        "  {}: {}/{} invalid{}",
        r.bug,
        r.invalid,
        r.seeds,
        r.first_invalid_seed
            .map_or(String::new(), |s| format!(", first at seed {s}"))
    );
    for u in r.unknown_seeds.iter().take(UNKNOWN_PRINTED_MAX) {
        crate::say!("    unknown: seed {}: {}", u.seed, u.reason);
    }
    if r.unknown_seeds.len() > UNKNOWN_PRINTED_MAX {
        crate::say!(
            "    ... and {} more unknown (all in --json)",
            r.unknown_seeds.len() - UNKNOWN_PRINTED_MAX
        );
    }
}

/// The most unknown seeds a row prints (`--json` lists them all).
const UNKNOWN_PRINTED_MAX: usize = 20;

/// The table as Markdown (it pastes into a README).
fn table(rows: &[HuntRow]) -> String {
    let mut out = String::from(
        "| bug | invalid | unknown | first invalid seed | seeds to first | caught by | run s | situations never reached |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in rows {
        let caught: Vec<String> = r
            .caught_by
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let blind = situations::never_reached(&r.situations);
        out.push_str(&format!(
            "| {} | {}/{} | {} | {} | {} | {} | {:.0} | {} |\n",
            r.bug,
            r.invalid,
            r.seeds,
            r.unknown,
            r.first_invalid_seed
                .map_or("–".to_string(), |s| s.to_string()),
            r.seeds_to_first_invalid
                .map_or("–".to_string(), |s| s.to_string()),
            if caught.is_empty() {
                "–".to_string()
            } else {
                caught.join(", ")
            },
            r.run_s_total,
            if blind.is_empty() {
                "–".to_string()
            } else {
                blind.join(", ")
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::Verdict;
    use faultline_sim::situations::names;

    fn outcome(seed: u64, valid: Option<Verdict>, reason: Option<&str>) -> SeedOutcome {
        SeedOutcome {
            seed,
            valid,
            exit_code: Some(0),
            run_dir: None,
            replay: String::new(),
            wall_s: 1.5,
            error: None,
            reason: reason.map(str::to_string),
            situations: BTreeMap::new(),
            ..SeedOutcome::default()
        }
    }

    #[test]
    fn a_row_counts_invalid_and_unknown_seeds_and_names_the_catching_checker() {
        let outcomes = [
            outcome(4, Some(Verdict::Valid), None),
            outcome(5, Some(Verdict::Unknown), Some("liveness: no recovery")),
            outcome(
                6,
                Some(Verdict::Invalid),
                Some("raft invariants: log-matching violated"),
            ),
            SeedOutcome {
                situations: BTreeMap::from([(
                    names::TWO_LEADERS.to_string(),
                    faultline_checker::SituationCount {
                        count: 2,
                        first_ms: Some(40),
                    },
                )]),
                ..outcome(
                    7,
                    Some(Verdict::Invalid),
                    Some("linearizability (kv): not linearizable"),
                )
            },
            outcome(8, None, None),
        ];
        let r = row("figure-8-commit", &outcomes);
        assert_eq!((r.seeds, r.invalid, r.unknown), (5, 2, 2));
        let unknown: Vec<(u64, &str)> = r
            .unknown_seeds
            .iter()
            .map(|u| (u.seed, u.reason.as_str()))
            .collect();
        assert_eq!(unknown, [(5, "liveness: no recovery"), (8, "no verdict")]);
        assert_eq!(r.first_invalid_seed, Some(6));
        assert_eq!(r.seeds_to_first_invalid, Some(3));
        assert!((r.detection_rate - 0.4).abs() < 1e-9);
        assert_eq!(r.caught_by["raft invariants"], 1);
        assert_eq!(r.caught_by["linearizability (kv)"], 1);
        assert!((r.run_s_total - 7.5).abs() < 1e-9);
        let two = r.situations[names::TWO_LEADERS];
        assert_eq!((two.seeds_reached, two.count_total), (1, 2));
        assert_eq!(r.situations.len(), names::ALL.len());
        let b = &bars(std::slice::from_ref(&r))[0];
        assert_eq!((b.seeds, b.invalid, b.unknown), (5, 2, 2));
        assert_eq!(
            b.note,
            "first invalid after 3 seed(s); by linearizability (kv) 1, raft invariants 1; 2 unknown"
        );
        let t = table(&[r]);
        assert!(t.contains("| figure-8-commit | 2/5 | 2 | 6 | 3 |"), "{t}");
        assert!(t.contains("| deposed-leader-serving, "), "{t}");
        assert!(!t.contains("two-leaders"), "{t}");
    }

    #[test]
    fn bug_lists_are_all_or_known_names() {
        assert_eq!(parse_bugs("all").unwrap().len(), Bug::ALL.len());
        assert_eq!(
            parse_bugs("vote-not-durable,figure-8-commit").unwrap(),
            vec![Bug::VoteNotDurable, Bug::Figure8Commit]
        );
        assert!(parse_bugs("figure-9").is_err());
    }
}
