//! `faultline report RUN_DIR`: re-render a stored run from its files
//! (`results.json`, `config.json`, the history) without running it again,
//! then refresh the store's `index.html` when the directory sits in a store
//! (`<store>/<test>/<run>`). Prints the report's path and exits with the
//! stored run's verdict, so scripts can use it.

use std::path::{Path, PathBuf};

use clap::Args;
use faultline_reports::index::parse_run_name;
use faultline_reports::{ReportError, Verdict};

use super::exit::{CliError, Exit};

/// The raw arguments of `faultline report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A stored run directory (`store/<test>/<run>`, or `store/<test>/latest`).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
}

/// Runs `faultline report`.
pub fn run(args: ReportArgs) -> Result<Exit, CliError> {
    let (report, verdict) = rerender(&args.run_dir)?;
    println!("{}", report.display());
    Ok(exit_of(verdict))
}

/// Re-renders the run in `dir` (and the store index, if any); returns the
/// report's path and the stored verdict.
pub fn rerender(dir: &Path) -> Result<(PathBuf, Verdict), CliError> {
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
    let input = faultline_reports::load_run(&dir).map_err(|e| match e {
        ReportError::Io { .. } | ReportError::Parse { .. } => {
            CliError::BadInput(anyhow::Error::new(e).context("cannot load the stored run"))
        }
        other => CliError::Internal(anyhow::Error::new(other)),
    })?;
    let report = faultline_reports::render_run(&dir, &input).map_err(|e| {
        CliError::Internal(anyhow::Error::new(e).context("cannot render the report"))
    })?;
    if let Some(store_root) = store_root_of(&dir) {
        faultline_reports::render_index(store_root).map_err(|e| {
            CliError::Internal(anyhow::Error::new(e).context("cannot refresh the store index"))
        })?;
    }
    Ok((report, input.verdict))
}

/// The store root of a run directory laid out as `<store>/<test>/<run>`:
/// the test directory's name must be a valid test name, and the run's name
/// must look like `<timestamp>-s<seed>` or the store must already have an
/// `index.html`. `None` for a directory that does not look like a store's.
pub fn store_root_of(run_dir: &Path) -> Option<&Path> {
    let test_dir = run_dir.parent()?;
    let store_root = test_dir.parent()?;
    let test_name = test_dir.file_name()?.to_str()?;
    crate::store::validate_test_name(test_name).ok()?;
    let run_name = run_dir.file_name()?.to_str()?;
    let named_like_a_run = parse_run_name(run_name).1.is_some();
    let has_index = store_root
        .join(faultline_reports::index::INDEX_HTML)
        .is_file();
    (named_like_a_run || has_index).then_some(store_root)
}

/// The exit status of a stored verdict.
fn exit_of(verdict: Verdict) -> Exit {
    match verdict {
        Verdict::Valid => Exit::Valid,
        Verdict::Invalid => Exit::Invalid,
        Verdict::Unknown => Exit::Unknown,
    }
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

    #[test]
    fn stored_verdicts_map_to_exit_codes() {
        assert_eq!(exit_of(Verdict::Valid).code(), 0);
        assert_eq!(exit_of(Verdict::Invalid).code(), 1);
        assert_eq!(exit_of(Verdict::Unknown).code(), 2);
    }
}
