//! One candidate, one process: the shrinker writes the candidate's
//! configuration to a file and runs `faultline shrink-candidate CONFIG
//! OUT` (the same binary), which simulates and checks it and writes a
//! [`CandidateRecord`]. Every candidate is then a fresh process, exactly as
//! `faultline run` and `replay` are: two simulations in one process can
//! diverge after a crash (tokio's process-wide task ids order a crashed
//! host's teardown), so a candidate found in-process might not replay.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use faultline_checker::history::History;
use faultline_checker::RunResults;
use serde::{Deserialize, Serialize};

use super::Measures;
use crate::run::config::RunConfig;
use crate::run::Evaluated;

/// What a candidate's process reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRecord {
    /// The configuration as run: with the fault plan it carried out.
    pub config: RunConfig,
    /// The checkers' results.
    pub results: RunResults,
    /// The run's size.
    pub measures: Measures,
    /// FNV-1a of the run's `history.csv` bytes (equal histories, equal
    /// digests).
    pub history_digest: u64,
}

impl CandidateRecord {
    /// The record of an evaluated run.
    pub fn of(e: &Evaluated) -> CandidateRecord {
        CandidateRecord {
            config: e.config.clone(),
            results: e.results.clone(),
            measures: Measures::of(e),
            history_digest: history_digest(&e.out.history),
        }
    }
}

/// FNV-1a (64-bit) of `history` as CSV.
pub fn history_digest(history: &History) -> u64 {
    let mut bytes = Vec::new();
    if faultline_checker::io::csv::write(history, &mut bytes).is_err() {
        return 0;
    }
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Runs candidates as child processes of `exe`, with their files in
/// `scratch`.
#[derive(Debug)]
pub struct Runner {
    exe: PathBuf,
    scratch: PathBuf,
    next: AtomicU64,
}

impl Runner {
    /// A runner whose files go to a fresh directory under `scratch_root`.
    pub fn new(exe: PathBuf, scratch_root: &Path) -> std::io::Result<Runner> {
        let scratch = scratch_root.join(format!("faultline-shrink-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)?;
        Ok(Runner {
            exe,
            scratch,
            next: AtomicU64::new(0),
        })
    }

    /// Runs `config` in its own process, stopping it after `limit`.
    pub fn run(&self, config: &RunConfig, limit: Duration) -> Result<CandidateRecord, String> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let config_path = self.scratch.join(format!("candidate-{n}.json"));
        let out_path = self.scratch.join(format!("candidate-{n}.out.json"));
        let text = serde_json::to_string(config).map_err(|e| e.to_string())?;
        std::fs::write(&config_path, text).map_err(|e| format!("cannot write a candidate: {e}"))?;
        let mut command = Command::new(&self.exe);
        command
            .arg("shrink-candidate")
            .arg(&config_path)
            .arg(&out_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = crate::cli::child::spawn(&mut command)
            .map_err(|e| format!("cannot start {}: {e}", self.exe.display()))?;
        let waited = crate::cli::child::wait_bounded(child, limit);
        let record = std::fs::read_to_string(&out_path)
            .ok()
            .and_then(|t| serde_json::from_str::<CandidateRecord>(&t).ok());
        let _ = std::fs::remove_file(&config_path);
        let _ = std::fs::remove_file(&out_path);
        match (waited, record) {
            (Ok(Some(_)), Some(record)) => Ok(record),
            (Ok(None), _) => Err(format!(
                "stopped after {} s of wall-clock time",
                limit.as_secs()
            )),
            (Ok(Some(out)), None) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                Err(stderr
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("the candidate wrote no record")
                    .to_string())
            }
            (Err(e), _) => Err(format!("waiting for a candidate: {e}")),
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_histories_have_equal_digests_and_others_differ() {
        let a = History::new();
        assert_eq!(history_digest(&a), history_digest(&History::new()));
        let text = "index,time_ns,process,type,f,key,value\n0,5,0,invoke,write,x,1\n";
        let b = faultline_checker::io::csv::read(text.as_bytes(), "t")
            .unwrap()
            .history;
        assert_ne!(history_digest(&a), history_digest(&b));
    }
}
