//! The run store (DESIGN §3): `store/<test-name>/<timestamp>-s<seed>/` holds
//! one run's files, `store/<test-name>/latest` points at the newest run of a
//! test, and `store/index.html` lists every run.
//!
//! The wall clock is read here, at the binary's edge, only to name run
//! directories; nothing inside a simulation sees it.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The name of the per-test link to the newest run.
pub const LATEST: &str = "latest";

/// Creates a fresh run directory for `test_name` and `seed` under `root`,
/// and points `<root>/<test_name>/latest` at it.
pub fn create_run_dir(root: &Path, test_name: &str, seed: u64) -> Result<PathBuf> {
    validate_test_name(test_name)?;
    let test_dir = root.join(test_name);
    std::fs::create_dir_all(&test_dir)
        .with_context(|| format!("cannot create store directory {}", test_dir.display()))?;
    let stamp = utc_timestamp(SystemTime::now());
    let base = format!("{stamp}-s{seed}");
    // `create_dir` fails on an existing directory, so two processes storing
    // the same seed in the same second get different directories.
    let mut attempt = 1;
    let dir = loop {
        let dir = if attempt == 1 {
            test_dir.join(&base)
        } else {
            test_dir.join(format!("{base}-{attempt}"))
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => break dir,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot create run directory {}", dir.display()))
            }
        }
    };
    std::fs::create_dir_all(dir.join("nodes"))
        .with_context(|| format!("cannot create run directory {}", dir.display()))?;
    point_latest(&test_dir, &dir)?;
    Ok(dir)
}

/// Repoints `<test_dir>/latest` at `run_dir` (a relative symlink, replaced
/// atomically by renaming a fresh link over the old one).
fn point_latest(test_dir: &Path, run_dir: &Path) -> Result<()> {
    let target = run_dir
        .file_name()
        .context("run directory has no name")?
        .to_owned();
    // Per process: runs of a suite repoint the same link side by side.
    let tmp = test_dir.join(format!(".latest.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp)
        .with_context(|| format!("cannot create link {}", tmp.display()))?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, target.to_string_lossy().as_bytes())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, test_dir.join(LATEST))
        .with_context(|| format!("cannot update {}/latest", test_dir.display()))?;
    Ok(())
}

/// Test names become directory names: keep them to a safe alphabet.
pub fn validate_test_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name != LATEST
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        bail!("--test-name: {name:?} must be non-empty and use only letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`, for the report.
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
    fn test_names_that_escape_the_store_are_rejected() {
        for bad in ["", "..", "a/b", "latest", "x y"] {
            assert!(validate_test_name(bad).is_err(), "{bad:?} accepted");
        }
        validate_test_name("kv-5.nodes_1").unwrap();
    }

    #[test]
    fn run_dirs_are_unique_and_latest_follows_the_newest() {
        let root = std::env::temp_dir().join(format!("faultline-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let a = create_run_dir(&root, "t", 7).unwrap();
        let b = create_run_dir(&root, "t", 7).unwrap();
        assert_ne!(a, b);
        assert!(b.join("nodes").is_dir());
        let latest = std::fs::canonicalize(root.join("t").join(LATEST)).unwrap();
        assert_eq!(latest, std::fs::canonicalize(&b).unwrap());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
