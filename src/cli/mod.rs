//! The command line: clap parses raw arguments per subcommand, each
//! subcommand validates them into a config and runs it, and the outcome is
//! an [`Exit`] status. clap's own errors exit 254 (bad arguments), not
//! clap's default 2, which means "unknown" here; `--help` and `--version`
//! exit 0.

pub mod bench;
pub mod bench_check;
pub mod bugs;
pub mod check;
pub mod check_output;
pub mod exit;
pub mod hunt;
pub mod replay;
pub mod report;
pub mod run;
pub mod situations;
pub mod suite;

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
    /// Measure how many simulated seconds per wall second the default run achieves.
    Bench(bench::BenchArgs),
    /// Measure detection: the correct Raft and every seeded bug over the same seeds.
    Hunt(hunt::HuntArgs),
    /// List the seeded-bug catalogue (`run --inject-bug NAME` switches one on).
    Bugs(bugs::BugsArgs),
}

/// Parses `args` (program name first) and runs the chosen subcommand.
pub fn run<I, T>(args: I) -> Result<Exit, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => return Ok(clap_exit(&err)),
    };
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Run(args) => run::run(args),
        Command::Suite(args) => suite::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Report(args) => report::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Bugs(args) => bugs::run(args),
        Command::Hunt(args) => hunt::run(args),
    }
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
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
