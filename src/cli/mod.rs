//! The command line: clap parses raw arguments per subcommand, each
//! subcommand validates them into a config and runs it, and the outcome is
//! an [`Exit`] status. clap's own errors exit 254 (bad arguments), not
//! clap's default 2, which means "unknown" here; `--help` and `--version`
//! exit 0.

pub mod bench;
pub mod bench_check;
pub mod bench_curve;
pub mod bugs;
pub mod check;
pub mod check_output;
pub mod child;
pub mod compare;
pub mod exit;
pub mod hunt;
pub mod junit;
pub mod merge;
pub mod model_chart;
pub mod model_check;
pub mod output;
pub mod page;
pub mod progress;
pub mod replay;
pub mod report;
pub mod run;
pub mod shard;
pub mod shrink;
pub mod situations;
pub mod suite;
pub mod summary;

use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

pub use exit::{CliError, Exit};

/// faultline: Jepsen-style fault injection and linearizability testing.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check recorded histories for linearizability.
    Check(check::CheckArgs),
    /// Run a simulated cluster under faults, check its history, store the run.
    Run(run::RunCommand),
    /// Run many seeds of one test (each in its own process) and tally them.
    Suite(suite::SuiteArgs),
    /// Run a stored run again from its config.json and compare the histories.
    Replay(replay::ReplayArgs),
    /// Re-render a stored run's report from its files, without re-running it.
    Report(report::ReportArgs),
    /// Merge the summaries of a suite's shards into one summary, tally and JUnit file.
    Merge(merge::MergeArgs),
    /// Compare two summaries of one suite from two builds: new failures, new passes, stat changes.
    Compare(compare::CompareArgs),
    /// Measure how many simulated seconds per wall second the default run achieves.
    Bench(bench::BenchArgs),
    /// Measure detection: the correct Raft and every seeded bug over the same seeds.
    Hunt(hunt::HuntArgs),
    /// List the seeded-bug catalogue (`run --inject-bug NAME` switches one on).
    Bugs(bugs::BugsArgs),
    /// Shrink a failing run to the smallest run found that fails for the same reason.
    Shrink(shrink::ShrinkArgs),
    /// One candidate of a shrink, in its own process (internal).
    #[command(hide = true)]
    ShrinkCandidate(shrink::CandidateArgs),
    /// Explore every interleaving of a small cluster of the real Raft core, within bounds.
    ModelCheck(model_check::ModelCheckArgs),
}

/// Parses `args` (program name first) and runs the chosen subcommand.
pub fn run<I, T>(args: I) -> Result<Exit, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use clap::{CommandFactory, FromArgMatches};
    let parsed = negative_numbers_are_values(Cli::command())
        .try_get_matches_from(args)
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    let (mut cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => return Ok(clap_exit(&err)),
    };
    if let (Some((_, sub)), Some(run)) = (matches.subcommand(), cli.command.run_args_mut()) {
        run.explicit = explicit_flags(sub);
    }
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Run(args) => run::run(args),
        Command::Suite(args) => suite::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Report(args) => report::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Bugs(args) => bugs::run(args),
        Command::Hunt(args) => hunt::run(args),
        Command::Shrink(args) => shrink::run(args),
        Command::ShrinkCandidate(args) => shrink::run_candidate(args),
        Command::ModelCheck(args) => model_check::run(args),
    }
}

impl Command {
    /// The run settings of the subcommands that take them.
    fn run_args_mut(&mut self) -> Option<&mut run::RunArgs> {
        match self {
            Command::Run(c) => Some(&mut c.run),
            Command::Suite(c) => Some(&mut c.run),
            Command::Hunt(c) => Some(&mut c.run),
            _ => None,
        }
    }
}

/// Lets every flag that takes a value take a negative number, so `--rate
/// -1` reaches the flag's own check ("--rate: -1 is not above 0") and `--seed
/// -1` is "invalid value '-1' for '--seed <N>'", never clap's "unexpected
/// argument '-1'". Applied to every subcommand, nested ones included.
fn negative_numbers_are_values(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            if arg.get_action().takes_values() {
                arg.allow_negative_numbers(true)
            } else {
                arg
            }
        })
        .mut_subcommands(negative_numbers_are_values)
}

/// The profile-drawn flags given on the command line (not defaulted).
fn explicit_flags(matches: &clap::ArgMatches) -> std::collections::BTreeSet<String> {
    crate::run::profile::DRAWN_FLAGS
        .iter()
        .filter(|flag| {
            matches.value_source(&flag.replace('-', "_"))
                == Some(clap::parser::ValueSource::CommandLine)
        })
        .map(|flag| flag.to_string())
        .collect()
}

/// Prints a clap error (or the help / version text it carries) and picks
/// the exit status.
fn clap_exit(err: &clap::Error) -> Exit {
    // Printing can only fail if stdout/stderr are gone; nothing to do then.
    let _ = err.print();
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Exit::Valid,
        _ => Exit::BadInput,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_version_exit_zero_and_unknown_flags_exit_254() {
        assert_eq!(run(["faultline", "--help"]).unwrap(), Exit::Valid);
        assert_eq!(run(["faultline", "--version"]).unwrap(), Exit::Valid);
        assert_eq!(run(["faultline", "check", "--help"]).unwrap(), Exit::Valid);
        assert_eq!(
            run(["faultline", "check", "--bogus", "x"]).unwrap(),
            Exit::BadInput
        );
        assert_eq!(run(["faultline"]).unwrap(), Exit::BadInput);
    }

    #[test]
    fn flags_given_on_the_command_line_pin_a_profiles_settings() {
        use clap::CommandFactory;
        let m = Cli::command()
            .try_get_matches_from([
                "faultline",
                "suite",
                "--profile",
                "nightly",
                "--keys",
                "2",
                "--nodes",
                "3",
                "--nemesis-targets",
                "one",
            ])
            .unwrap();
        let (_, sub) = m.subcommand().unwrap();
        let pinned: Vec<String> = explicit_flags(sub).into_iter().collect();
        assert_eq!(pinned, ["keys", "nemesis-targets"]);
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
