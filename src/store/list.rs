//! Listing the store: every run of every test, newest first, as the index
//! page shows it. A run whose `results.json` cannot be read is listed as
//! unreadable with the reason; it never stops the listing.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use faultline_reports::index::{RunEntry, RunStatus};

use super::read::read_results;
use super::{RunName, HISTORY_CSV, LATEST, REPORT_HTML, RESULTS_JSON};

/// Every run under `store_root`: tests by name, runs newest first.
pub fn scan(store_root: &Path) -> Result<Vec<RunEntry>> {
    let mut entries = Vec::new();
    for test_dir in sorted_dirs(store_root)? {
        let test = file_name(&test_dir);
        let latest = fs::read_link(test_dir.join(LATEST))
            .ok()
            .and_then(|target| target.file_name().map(|n| n.to_string_lossy().into_owned()));
        let Ok(mut runs) = sorted_dirs(&test_dir) else {
            continue;
        };
        runs.reverse();
        for run_dir in runs {
            let run = file_name(&run_dir);
            let is_latest = latest.as_deref() == Some(run.as_str());
            entries.push(entry(&test, &run, &run_dir, is_latest));
        }
    }
    Ok(entries)
}

/// Rewrites `store_root/index.html` from what the store holds now.
pub fn refresh_index(store_root: &Path) -> Result<PathBuf> {
    let entries = scan(store_root)?;
    faultline_reports::render_index(store_root, &entries).context("rendering the store index")
}

/// Real (non-symlink, non-hidden) subdirectories of `dir`, sorted by name.
fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut dirs: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| !file_name(p).starts_with('.'))
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn entry(test: &str, run: &str, dir: &Path, latest: bool) -> RunEntry {
    let name = RunName::parse(run);
    let files = [REPORT_HTML, RESULTS_JSON, HISTORY_CSV]
        .into_iter()
        .filter(|f| dir.join(f).exists())
        .map(str::to_string)
        .collect();
    let mut e = RunEntry {
        test: test.to_string(),
        run: run.to_string(),
        time: name
            .as_ref()
            .map_or_else(|| run.to_string(), |n| n.stamp.clone()),
        seed: name.map(|n| n.seed),
        status: Err(String::new()),
        latest,
        files,
    };
    e.status = match read_results(dir) {
        Err(err) => Err(err.reason()),
        Ok(results) => {
            if let Some(at) = &results.started_at {
                e.time = at.clone();
            }
            e.seed = results.seed.or(e.seed);
            Ok(RunStatus {
                verdict: results.verdict,
                title: results.title,
                checkers: results
                    .checkers
                    .into_iter()
                    .map(|c| (c.name, c.verdict))
                    .collect(),
            })
        }
    };
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::Verdict;

    #[test]
    fn the_listing_reads_both_verdict_encodings_and_tolerates_unreadable_runs() {
        let store = tempfile::tempdir().unwrap();
        let run = |path: &str, results: &str| {
            let dir = store.path().join(path);
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join(RESULTS_JSON), results).unwrap();
        };
        run(
            "kv/20261123T100000Z-s1",
            r#"{"valid": true, "seed": 1, "checkers": [{"name": "linearizability", "valid": "valid"}]}"#,
        );
        run(
            "kv/20261123T100000Z-s1-2",
            r#"{"valid": "invalid", "title": "<i>bad</i>"}"#,
        );
        run("register/20261123T090000Z-s3", "{ truncated");
        #[cfg(unix)]
        std::os::unix::fs::symlink("20261123T100000Z-s1-2", store.path().join("kv/latest"))
            .unwrap();
        let entries = scan(store.path()).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.run.as_str()).collect();
        assert_eq!(
            names,
            [
                "20261123T100000Z-s1-2",
                "20261123T100000Z-s1",
                "20261123T090000Z-s3"
            ]
        );
        // The collision suffix is not mistaken for part of the seed.
        assert_eq!(entries[0].seed, Some(1));
        let verdicts: Vec<Option<Verdict>> = entries
            .iter()
            .map(|e| e.status.as_ref().ok().map(|s| s.verdict))
            .collect();
        assert_eq!(
            verdicts,
            [Some(Verdict::Invalid), Some(Verdict::Valid), None]
        );
        assert!(entries[2].status.as_ref().unwrap_err().contains("line 1"));
        #[cfg(unix)]
        assert!(entries[0].latest && !entries[1].latest);
        let html = fs::read_to_string(refresh_index(store.path()).unwrap()).unwrap();
        assert!(html.contains("3 runs: 1 valid, 1 invalid, 0 unknown, 1 unreadable."));
    }
}
