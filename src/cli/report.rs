//! `faultline report RUN_DIR`: re-render a stored run from its files
//! (`results.json`, `config.json`, the history) without running it again,
//! then refresh the store's `index.html` when the directory sits in a store
//! (`<store>/<test>/<run>`). Prints the report's path and exits with the
//! stored run's verdict, so scripts can use it.

use std::path::{Path, PathBuf};

use clap::Args;
use faultline_checker::Verdict;

use super::exit::{CliError, Exit};
use crate::store;

/// The raw arguments of `faultline report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A stored run directory (`store/<test>/<run>`, or `store/<test>/latest`).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Print the one-screen summary of what broke (what, where, when, the
    /// likely cause, the replay command) instead of rewriting the report.
    #[arg(long)]
    pub text: bool,
}

/// Runs `faultline report`.
pub fn run(args: ReportArgs) -> Result<Exit, CliError> {
    if args.text {
        let (dir, mut input) = load(&args.run_dir)?;
        let events = crate::explain::attach(&mut input, &dir);
        let verdict = input.results.verdict;
        match crate::explain::text::summary(&input, &events) {
            s if s.is_empty() => println!(
                "{}: {}",
                verdict.as_str().to_uppercase(),
                input.results.title
            ),
            s => print!("{s}"),
        }
        if let Some(cmd) = &input.results.replay_command {
            println!("replay: {cmd}");
        }
        return Ok(Exit::from(verdict));
    }
    let (report, verdict) = rerender(&args.run_dir)?;
    println!("{}", report.display());
    Ok(Exit::from(verdict))
}

/// Re-renders the run in `dir` (and the store index, if any); returns the
/// report's path and the stored verdict.
pub fn rerender(dir: &Path) -> Result<(PathBuf, Verdict), CliError> {
    let (dir, mut input) = load(dir)?;
    crate::explain::attach(&mut input, &dir);
    let report = faultline_reports::render_run(&dir, &input).map_err(|e| {
        CliError::Internal(anyhow::Error::new(e).context("cannot render the report"))
    })?;
    if let Some(store_root) = store_root_of(&dir) {
        store::list::refresh_index(store_root)
            .map_err(|e| CliError::Internal(e.context("cannot refresh the store index")))?;
    }
    Ok((report, input.results.verdict))
}

/// The stored run in `dir` (resolved: `latest` and relative paths) and
/// what its report shows; bad input when it is missing or unreadable.
pub fn load(dir: &Path) -> Result<(PathBuf, faultline_reports::ReportInput), CliError> {
    if !dir.is_dir() {
        return Err(CliError::bad_input(format_args!(
            "{}: no such run directory",
            dir.display()
        )));
    }
    // Resolve `latest` and relative paths so the store's layout is visible.
    let dir = dir
        .canonicalize()
        .map_err(|e| CliError::bad_input(format_args!("{}: cannot resolve: {e}", dir.display())))?;
    let input = store::read::load_report(&dir).map_err(|e| {
        CliError::BadInput(anyhow::Error::new(e).context("cannot load the stored run"))
    })?;
    Ok((dir, input))
}

/// The store root of a run directory laid out as `<store>/<test>/<run>`:
/// the test directory's name must be a valid test name, and the run's name
/// must look like `<timestamp>-s<seed>` or the store must already have an
/// `index.html`. `None` for a directory that does not look like a store's.
pub fn store_root_of(run_dir: &Path) -> Option<&Path> {
    let test_dir = run_dir.parent()?;
    let store_root = test_dir.parent()?;
    let test_name = test_dir.file_name()?.to_str()?;
    store::validate_test_name(test_name).ok()?;
    let run_name = run_dir.file_name()?.to_str()?;
    let named_like_a_run = store::RunName::parse(run_name).is_some();
    let has_index = store_root.join(store::INDEX_HTML).is_file();
    (named_like_a_run || has_index).then_some(store_root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_root_is_the_grandparent_of_a_run_named_like_a_run() {
        let run = Path::new("/tmp/store/kv/20261123T104100Z-s42");
        assert_eq!(store_root_of(run), Some(Path::new("/tmp/store")));
    }

    #[test]
    fn a_directory_outside_a_store_has_no_store_root() {
        assert_eq!(store_root_of(Path::new("/")), None);
        assert_eq!(store_root_of(Path::new("/nonexistent-faultline-x/y")), None);
        assert_eq!(store_root_of(Path::new("/tmp/some dir/run")), None);
    }
}
