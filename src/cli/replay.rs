//! `faultline replay RUN_DIR`: run a stored run again from its
//! `config.json` (same seed, same flags) with the current build, store it as
//! a new run, and compare the new `history.csv` with the stored one byte for
//! byte. An identical history proves the failure reproduces; a different one
//! means the code under test changed (the usual case after a fix) or, with
//! unchanged code, that determinism broke: `--require-identical` turns a
//! difference into an internal error (exit 255).
//!
//! The exit status is the new run's verdict, so a fixed bug replays as 0.

use std::path::{Path, PathBuf};

use clap::Args;

use super::exit::{CliError, Exit};
use crate::run::config::RunConfig;
use crate::run::{execute, RunError};
use crate::store;

/// The raw arguments of `faultline replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A stored run directory (`store/<test>/<timestamp>-s<seed>` or a
    /// `latest` link).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Where the new run is stored.
    #[arg(long, value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
    /// Exit 255 when the new history differs from the stored one.
    #[arg(long)]
    pub require_identical: bool,
}

/// Reads and validates `dir/config.json`; errors name the file, line and
/// field.
pub fn read_config(dir: &Path) -> Result<RunConfig, CliError> {
    let path = dir.join(store::CONFIG_JSON);
    let config: RunConfig = store::read::read_json(&path).map_err(CliError::bad_input)?;
    store::validate_test_name(&config.test_name)
        .map_err(|e| CliError::bad_input(format!("{}: test_name: {e}", path.display())))?;
    Ok(config)
}

/// Where two histories first differ: `(line number, stored line, new line)`.
pub fn first_difference(stored: &str, new: &str) -> Option<(usize, String, String)> {
    let mut a = stored.lines();
    let mut b = new.lines();
    let mut line = 0;
    loop {
        line += 1;
        match (a.next(), b.next()) {
            (None, None) => return (stored != new).then(|| (line, String::new(), String::new())),
            (x, y) if x == y => continue,
            (x, y) => {
                let show = |l: Option<&str>| l.unwrap_or("(end of file)").to_string();
                return Some((line, show(x), show(y)));
            }
        }
    }
}

/// Runs `faultline replay`.
pub fn run(args: ReplayArgs) -> Result<Exit, CliError> {
    let config = read_config(&args.run_dir)?;
    config.validate().map_err(|e| {
        CliError::bad_input(format!(
            "{}: {e}",
            args.run_dir.join(store::CONFIG_JSON).display()
        ))
    })?;
    super::output::check_store(&args.store)?;
    let stored_path = args.run_dir.join(store::HISTORY_CSV);
    let stored = std::fs::read_to_string(&stored_path)
        .map_err(|e| CliError::bad_input(format!("{}: cannot read: {e}", stored_path.display())))?;
    crate::say!(
        "replaying {}: {}",
        args.run_dir.display(),
        config.replay_command()
    );
    let outcome =
        execute(&config, &args.store, &mut |line| crate::say!("{line}")).map_err(|e| match e {
            RunError::Config(m) => CliError::bad_input(format!(
                "{}: {m}",
                args.run_dir.join(store::CONFIG_JSON).display()
            )),
            RunError::Refused(m) => CliError::bad_input(format!(
                "{}: {m}",
                args.run_dir.join(store::CONFIG_JSON).display()
            )),
            RunError::Internal(e) => CliError::Internal(e.context(format!(
                "replay failed; reproduce with: faultline replay {}",
                args.run_dir.display()
            ))),
        })?;
    let new_path = outcome.dir.join(store::HISTORY_CSV);
    let new = std::fs::read_to_string(&new_path).map_err(|e| {
        CliError::Internal(anyhow::anyhow!("{}: cannot read: {e}", new_path.display()))
    })?;
    let r = &outcome.results;
    super::run::print_checkers(r);
    crate::say!("run directory: {}", outcome.dir.display());
    let difference = first_difference(&stored, &new);
    match &difference {
        None => crate::say!(
            "history: identical to the stored run ({} lines)",
            new.lines().count()
        ),
        Some((line, was, now)) => {
            crate::say!("history: differs from the stored run at line {line}");
            crate::say!("  stored:   {was}");
            crate::say!("  replayed: {now}");
            crate::say!(
                "  (expected if the code under test changed; with the same build it means determinism broke)"
            );
        }
    }
    crate::say!("verdict: {}", r.verdict);
    if args.require_identical {
        if let Some((line, _, _)) = difference {
            return Err(CliError::Internal(anyhow::anyhow!(
                "--require-identical: the replayed history differs from {} at line {line}",
                stored_path.display()
            )));
        }
    }
    Ok(Exit::from(r.verdict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_names_the_line_and_both_texts() {
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nx\nc\n"),
            Some((2, "b".into(), "x".into()))
        );
        assert_eq!(
            first_difference("a\n", "a\nb\n"),
            Some((2, "(end of file)".into(), "b".into()))
        );
        assert!(first_difference("a\n", "a").is_some());
    }
}
