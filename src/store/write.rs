//! Writing runs: a fresh run directory per run, its files, and the
//! `latest` link once the run is complete.
//!
//! The wall clock is read here, at the binary's edge, only to name run
//! directories and stamp results; nothing inside a simulation sees it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use faultline_checker::history::History;
use faultline_checker::RunResults;
use serde::Serialize;

use super::{
    node_log_path, validate_test_name, RunName, CONFIG_JSON, HISTORY_CSV, HISTORY_JSONL, LATEST,
    NODES_DIR, RESULTS_JSON,
};

/// The most runs of one seed that may start in the same second.
const ATTEMPTS_MAX: u32 = 1000;

/// What kind of run a directory holds (its name says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunDirKind {
    /// A run (`<timestamp>-s<seed>`).
    Run,
    /// A run made by `faultline shrink` (`<timestamp>-s<seed>-shrunk`).
    Shrunk,
}

/// Creates a fresh, empty run directory (with its `nodes/`) for `test_name`
/// and `seed` under `root`, named for its `kind`. `latest` is not touched
/// until the run is complete ([`point_latest`]).
pub fn create_run_dir(
    root: &Path,
    test_name: &str,
    seed: u64,
    kind: RunDirKind,
) -> Result<PathBuf> {
    validate_test_name(test_name).map_err(anyhow::Error::msg)?;
    let test_dir = root.join(test_name);
    fs::create_dir_all(&test_dir)
        .with_context(|| format!("cannot create store directory {}", test_dir.display()))?;
    let mut name = RunName {
        stamp: utc_timestamp(SystemTime::now()),
        seed,
        attempt: 1,
        shrunk: kind == RunDirKind::Shrunk,
    };
    // `create_dir` fails on an existing directory, so two processes storing
    // the same seed in the same second get different directories.
    let dir = loop {
        let dir = test_dir.join(name.to_string());
        match fs::create_dir(&dir) {
            Ok(()) => break dir,
            Err(e)
                if e.kind() == std::io::ErrorKind::AlreadyExists && name.attempt < ATTEMPTS_MAX =>
            {
                name.attempt += 1
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot create run directory {}", dir.display()))
            }
        }
    };
    fs::create_dir_all(dir.join(NODES_DIR))
        .with_context(|| format!("cannot create run directory {}", dir.display()))?;
    Ok(dir)
}

/// What one run writes besides its report.
#[derive(Debug)]
pub struct RunFiles<'a, C: Serialize> {
    /// The run's configuration (`config.json`).
    pub config: &'a C,
    /// The recorded history (`history.csv`, `history.jsonl`).
    pub history: &'a History,
    /// The results (`results.json`).
    pub results: &'a RunResults,
    /// Each node's log (`nodes/n<id>.log`).
    pub node_logs: &'a BTreeMap<u64, String>,
}

/// Writes a run's files into its directory.
pub fn write_run<C: Serialize>(dir: &Path, files: &RunFiles<'_, C>) -> Result<()> {
    write_file(dir, CONFIG_JSON, pretty(files.config)?.as_bytes())?;
    let mut csv = Vec::new();
    faultline_checker::io::csv::write(files.history, &mut csv).context("encoding history.csv")?;
    write_file(dir, HISTORY_CSV, &csv)?;
    let mut jsonl = Vec::new();
    faultline_checker::io::jsonl::write(files.history, &mut jsonl)
        .context("encoding history.jsonl")?;
    write_file(dir, HISTORY_JSONL, &jsonl)?;
    write_results(dir, files.results)?;
    for (&id, log) in files.node_logs {
        write_file(dir, &node_log_path(id), log.as_bytes())?;
    }
    Ok(())
}

/// Writes (or rewrites) a run's `results.json`.
pub fn write_results(dir: &Path, results: &RunResults) -> Result<()> {
    write_file(dir, RESULTS_JSON, pretty(results)?.as_bytes())
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Pretty JSON with a trailing newline.
fn pretty<T: Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// Repoints `<run_dir>/../latest` at `run_dir`, a complete run (a relative
/// symlink, replaced atomically by renaming a fresh link over the old one).
pub fn point_latest(run_dir: &Path) -> Result<()> {
    let test_dir = run_dir.parent().context("run directory has no parent")?;
    let target = run_dir
        .file_name()
        .context("run directory has no name")?
        .to_owned();
    // Per process: runs of a suite repoint the same link side by side.
    let tmp = test_dir.join(format!(".latest.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp)
        .with_context(|| format!("cannot create link {}", tmp.display()))?;
    #[cfg(not(unix))]
    fs::write(&tmp, target.to_string_lossy().as_bytes())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, test_dir.join(LATEST))
        .with_context(|| format!("cannot update {}/{LATEST}", test_dir.display()))?;
    Ok(())
}

/// Removes a stored run (`suite --keep`): `run_dir` must be a run
/// directory the store made (`<store_root>/<test>/<timestamp>-s<seed>`,
/// holding `config.json`), so nothing else is ever deleted.
pub fn prune_run(store_root: &Path, run_dir: &Path) -> Result<()> {
    let name = run_dir.file_name().and_then(|n| n.to_str());
    let test_dir = run_dir.parent();
    let is_run = name.and_then(RunName::parse).is_some()
        && test_dir.and_then(Path::parent) == Some(store_root)
        && run_dir.join(CONFIG_JSON).is_file();
    if !is_run {
        anyhow::bail!(
            "{} is not a run directory of {}",
            run_dir.display(),
            store_root.display()
        );
    }
    fs::remove_dir_all(run_dir).with_context(|| format!("removing {}", run_dir.display()))
}

/// Points `<test_dir>/latest` at the newest complete run left (one with
/// `results.json`) after runs were pruned, or removes it when none is
/// left; a `latest` that still resolves is left alone.
pub fn repair_latest(test_dir: &Path) -> Result<()> {
    let link = test_dir.join(LATEST);
    if link.join(RESULTS_JSON).is_file() || !test_dir.is_dir() {
        return Ok(());
    }
    let mut runs: Vec<(RunName, PathBuf)> = fs::read_dir(test_dir)
        .with_context(|| format!("reading {}", test_dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = RunName::parse(e.file_name().to_str()?)?;
            e.path()
                .join(RESULTS_JSON)
                .is_file()
                .then(|| (name, e.path()))
        })
        .collect();
    runs.sort_by(|(a, _), (b, _)| {
        (&a.stamp, a.attempt, a.seed).cmp(&(&b.stamp, b.attempt, b.seed))
    });
    match runs.last() {
        Some((_, newest)) => point_latest(newest),
        None => match fs::remove_file(&link) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", link.display()))
            }
            _ => Ok(()),
        },
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`, for the results.
pub fn utc_now_rfc3339() -> String {
    let compact = utc_timestamp(SystemTime::now());
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &compact[0..4],
        &compact[4..6],
        &compact[6..8],
        &compact[9..11],
        &compact[11..13],
        &compact[13..15]
    )
}

/// Formats a time as `YYYYMMDDTHHMMSSZ` (UTC), for run directory names.
fn utc_timestamp(now: SystemTime) -> String {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Converts days since 1970-01-01 to a (year, month, day) civil date
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_430_096);
        assert_eq!(utc_timestamp(t), "20261123T103456Z");
        assert_eq!(utc_timestamp(UNIX_EPOCH), "19700101T000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(utc_timestamp(leap), "20000229T000000Z");
    }

    #[test]
    fn run_dirs_are_unique_and_latest_follows_only_complete_runs() {
        let root = tempfile::tempdir().unwrap();
        let a = create_run_dir(root.path(), "t", 7, RunDirKind::Run).unwrap();
        let b = create_run_dir(root.path(), "t", 7, RunDirKind::Run).unwrap();
        assert_ne!(a, b);
        assert!(b.join(NODES_DIR).is_dir());
        let name = |p: &Path| RunName::parse(p.file_name().unwrap().to_str().unwrap()).unwrap();
        assert_eq!(name(&b).seed, 7);
        assert!(!root.path().join("t").join(LATEST).exists());
        point_latest(&a).unwrap();
        let latest = fs::canonicalize(root.path().join("t").join(LATEST)).unwrap();
        assert_eq!(latest, fs::canonicalize(&a).unwrap());
    }

    #[test]
    fn pruning_removes_only_run_directories_and_latest_follows_what_is_left() {
        let root = tempfile::tempdir().unwrap();
        let complete = |dir: &Path| {
            fs::write(dir.join(CONFIG_JSON), "{}").unwrap();
            fs::write(dir.join(RESULTS_JSON), "{}").unwrap();
        };
        let a = create_run_dir(root.path(), "t", 1, RunDirKind::Run).unwrap();
        let b = create_run_dir(root.path(), "t", 2, RunDirKind::Run).unwrap();
        complete(&a);
        complete(&b);
        point_latest(&b).unwrap();
        // Not run directories of this store: refused, untouched.
        let other = tempfile::tempdir().unwrap();
        assert!(prune_run(other.path(), &a).is_err());
        assert!(prune_run(root.path(), &root.path().join("t")).is_err());
        assert!(a.is_dir());
        prune_run(root.path(), &b).unwrap();
        assert!(!b.exists());
        repair_latest(&root.path().join("t")).unwrap();
        let latest = fs::canonicalize(root.path().join("t").join(LATEST)).unwrap();
        assert_eq!(latest, fs::canonicalize(&a).unwrap());
        prune_run(root.path(), &a).unwrap();
        repair_latest(&root.path().join("t")).unwrap();
        assert!(fs::symlink_metadata(root.path().join("t").join(LATEST)).is_err());
    }
}
