//! `faultline model-check`: exhaustive, bounded exploration of the real
//! Raft core with stateright (the `faultline-model` crate). Prints the
//! states explored, unique states, depth and rate, then either "all
//! properties hold within the bounds" (exit 0), the shortest counterexample
//! with a command that replays it (exit 1), or that the time limit ended
//! the search first (exit 2). Bad flags exit 254.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use faultline_model::{
    check, replay, Bounds, Counterexample, Outcome, RaftModel, SearchOptions, SearchOrder, Verdict,
};
use faultline_raft::bugs::{Bug, BugSet};

use super::exit::{CliError, Exit};

/// `faultline model-check` arguments (defaults: [`Bounds::default`]).
#[derive(Debug, Args)]
pub struct ModelCheckArgs {
    /// Cluster size (1 to 5).
    #[arg(long, value_name = "N", default_value_t = Bounds::default().nodes)]
    pub nodes: u8,
    /// No node campaigns for a term above this.
    #[arg(long, value_name = "T", default_value_t = Bounds::default().term_max)]
    pub max_term: u64,
    /// A leader takes client proposals only while its log is shorter than this.
    #[arg(long, value_name = "N", default_value_t = Bounds::default().log_len_max)]
    pub max_log: u64,
    /// Crash-and-restart actions along one path.
    #[arg(long, value_name = "N", default_value_t = Bounds::default().crashes_max)]
    pub max_crashes: u8,
    /// Client proposals along one path.
    #[arg(long, value_name = "N", default_value_t = Bounds::default().proposals_max)]
    pub max_proposals: u8,
    /// Leader heartbeat rounds along one path.
    #[arg(long, value_name = "N", default_value_t = Bounds::default().heartbeats_max)]
    pub max_heartbeats: u8,
    /// Message duplications along one path.
    #[arg(long, value_name = "N", default_value_t = Bounds::default().duplicates_max)]
    pub max_duplicates: u8,
    /// Messages in flight (a message sent into a full network is lost).
    #[arg(long, value_name = "N", default_value_t = Bounds::default().in_flight_max)]
    pub max_in_flight: usize,
    /// Also explore dropping any message in flight.
    #[arg(long)]
    pub loss: bool,
    /// Run the pre-vote round before elections.
    #[arg(long)]
    pub pre_vote: bool,
    /// Check only the cluster-wide invariants, not the per-input rules
    /// (which name a broken rule at the step that breaks it).
    #[arg(long)]
    pub no_rules: bool,
    /// Switch on a seeded core bug in every node (repeatable; `faultline bugs`).
    #[arg(long = "inject-bug", value_name = "NAME")]
    pub inject_bug: Vec<String>,
    /// Checker threads (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Breadth-first search (the default): counterexamples are shortest.
    #[arg(long, conflicts_with = "dfs")]
    pub bfs: bool,
    /// Depth-first search: less memory, any counterexample.
    #[arg(long)]
    pub dfs: bool,
    /// Stop (exit 2, incomplete) after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub time_limit: f64,
    /// Replay a path instead of searching: the action indices a
    /// counterexample prints (`3.0.7`).
    #[arg(long, value_name = "PATH")]
    pub replay: Option<String>,
    /// Also write the counterexample as an HTML message-sequence chart.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl ModelCheckArgs {
    /// The validated bounds.
    fn bounds(&self) -> Result<Bounds, CliError> {
        let mut bugs = BugSet::NONE;
        for name in &self.inject_bug {
            let bug = Bug::from_name(name).ok_or_else(|| {
                CliError::bad_input(format!(
                    "--inject-bug: unknown bug {name:?} (`faultline bugs` lists them)"
                ))
            })?;
            bugs.insert(bug);
        }
        let bounds = Bounds {
            nodes: self.nodes,
            term_max: self.max_term,
            log_len_max: self.max_log,
            crashes_max: self.max_crashes,
            proposals_max: self.max_proposals,
            heartbeats_max: self.max_heartbeats,
            duplicates_max: self.max_duplicates,
            in_flight_max: self.max_in_flight,
            loss: self.loss,
            pre_vote: self.pre_vote,
            rules: !self.no_rules,
            bugs,
        };
        bounds.validate().map_err(CliError::bad_input)?;
        Ok(bounds)
    }

    /// The validated search options.
    fn options(&self) -> Result<SearchOptions, CliError> {
        if !(self.time_limit.is_finite() && self.time_limit > 0.0 && self.time_limit <= 86_400.0) {
            return Err(CliError::bad_input(format!(
                "--time-limit: {} is not in (0, 86400] seconds",
                self.time_limit
            )));
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = self.threads.unwrap_or(cores);
        if threads == 0 || threads > 256 {
            return Err(CliError::bad_input(format!(
                "--threads: {threads} is not in 1 to 256"
            )));
        }
        Ok(SearchOptions {
            threads,
            order: if self.dfs {
                SearchOrder::Dfs
            } else {
                SearchOrder::Bfs
            },
            time_limit: Duration::from_secs_f64(self.time_limit),
        })
    }

    /// The flags that shape the model, as a command line fragment.
    fn model_flags(&self) -> String {
        let mut flags = format!(
            "--nodes {} --max-term {} --max-log {} --max-crashes {} --max-proposals {} \
             --max-heartbeats {} --max-duplicates {} --max-in-flight {}",
            self.nodes,
            self.max_term,
            self.max_log,
            self.max_crashes,
            self.max_proposals,
            self.max_heartbeats,
            self.max_duplicates,
            self.max_in_flight
        );
        if self.loss {
            flags.push_str(" --loss");
        }
        if self.pre_vote {
            flags.push_str(" --pre-vote");
        }
        if self.no_rules {
            flags.push_str(" --no-rules");
        }
        for bug in &self.inject_bug {
            flags.push_str(&format!(" --inject-bug {bug}"));
        }
        flags
    }
}

/// Runs the search (or a replay) and prints its outcome.
pub fn run(args: ModelCheckArgs) -> Result<Exit, CliError> {
    let bounds = args.bounds()?;
    let options = args.options()?;
    let model = RaftModel::new(bounds);
    if let Some(path) = &args.replay {
        return run_replay(&args, &model, path);
    }
    println!("model-check: {}", args.model_flags());
    let outcome = check(model, options);
    print_counts(&outcome);
    match &outcome.counterexample {
        Some(cx) => {
            report_counterexample(&args, cx)?;
            Ok(Exit::Invalid)
        }
        None if outcome.verdict == Verdict::Incomplete => {
            println!(
                "incomplete: the time limit ({} s) ended the search; nothing violated so far",
                args.time_limit
            );
            Ok(Exit::Unknown)
        }
        None => {
            println!("all properties hold within the bounds");
            Ok(Exit::Valid)
        }
    }
}

fn print_counts(outcome: &Outcome) {
    println!(
        "explored {} states ({} unique), depth {}, in {:.1} s: {:.0} states/s",
        outcome.states_total,
        outcome.states_unique,
        outcome.depth_max,
        outcome.elapsed.as_secs_f64(),
        outcome.states_per_sec()
    );
    for (name, reached) in &outcome.reached {
        let mark = if *reached { "reached" } else { "NOT reached" };
        println!("sometimes: {name}: {mark}");
    }
}

fn report_counterexample(args: &ModelCheckArgs, cx: &Counterexample) -> Result<(), CliError> {
    println!("VIOLATED: {}", cx.detail);
    println!("counterexample ({} steps):", cx.steps.len());
    print!("{}", cx.render_text());
    println!(
        "replay: faultline model-check {} --replay {}",
        args.model_flags(),
        cx.replay_arg()
    );
    if let Some(file) = &args.html {
        let title = format!("faultline model-check: {}", cx.property);
        let html = crate::cli::model_chart::render(&title, &args.model_flags(), cx);
        std::fs::write(file, html)
            .map_err(|e| CliError::Internal(anyhow::anyhow!("writing {}: {e}", file.display())))?;
        println!("chart: {}", file.display());
    }
    Ok(())
}

fn run_replay(args: &ModelCheckArgs, model: &RaftModel, path: &str) -> Result<Exit, CliError> {
    let choices = path
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::bad_input(format!("--replay: {path:?}: {e}")))?;
    let cx = replay(model, &choices).map_err(|e| CliError::bad_input(format!("--replay: {e}")))?;
    if cx.property.is_empty() {
        print!("{}", cx.render_text());
        println!("the replayed path breaks no property");
        return Ok(Exit::Valid);
    }
    report_counterexample(args, &cx)?;
    Ok(Exit::Invalid)
}
